import ArgumentParser
import Foundation
import JVPLab

struct TagCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tag", abstract: "Set or remove tags on recorded runs.",
    discussion: "jvplab tag 4 7 lr=0.01 -draft sets lr on runs 4 and 7 and removes their tag draft.")

  // All unrecognized: `-KEY` removes a tag and must not be read as an option.
  @Argument(
    parsing: .allUnrecognized,
    help: ArgumentHelp("Runs (ids, latest, latest~N, uuid:PREFIX), then KEY=VALUE to set or -KEY to remove.", valueName: "run-or-change"))
  var items: [String] = []

  @OptionGroup var database: DatabaseOptions

  func validate() throws {
    do { _ = try Annotate.TagChange(items) } catch { throw ValidationError(error.message) }
  }

  func run() throws {
    try Annotate.tag(try Annotate.TagChange(items), database: database.resolved, console: .standard).finish()
  }
}

struct NoteCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "note", abstract: "Attach a note to a run (an empty note clears it).",
    discussion: "show prints the note; the filter field note matches it (note ~ '*baseline*').")

  @Argument(help: ArgumentHelp("The run: an id, latest, latest~N, or uuid:PREFIX.", valueName: "run"))
  var reference: String

  @Argument(help: "The note's text.")
  var text: String

  @OptionGroup var database: DatabaseOptions

  func run() throws {
    try Annotate.note(reference, text: text, database: database.resolved, console: .standard).finish()
  }
}

/// The runs `rm` and `restore` act on: references or a filter, not both.
struct SelectionOptions: ParsableArguments {
  @Argument(help: ArgumentHelp("Runs: ids, latest, latest~N, or uuid:PREFIX.", valueName: "run"))
  var references: [String] = []

  @Option(help: "Select the runs with a filter instead of naming them.")
  var filter: String?

  func validate() throws {
    guard references.isEmpty != (filter == nil) else { throw ValidationError("give either RUN... or --filter FILTER, not both") }
  }

  var selection: Remove.Selection { filter.map { .filter($0) } ?? .runs(references) }
}

struct RemoveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rm", abstract: "Remove runs: hide them from query until restored or deleted for good by gc.",
    discussion: "jvplab query --deleted lists removed runs; jvplab restore brings them back.")

  @OptionGroup var runs: SelectionOptions

  @OptionGroup var database: DatabaseOptions

  func run() throws {
    try Remove.remove(runs.selection, database: database.resolved, console: .standard).finish()
  }
}

struct RestoreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "restore", abstract: "Bring removed runs back (--filter selects among the removed runs).")

  @OptionGroup var runs: SelectionOptions

  @OptionGroup var database: DatabaseOptions

  func run() throws {
    try Remove.restore(runs.selection, database: database.resolved, console: .standard).finish()
  }
}

struct GarbageCollectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gc", abstract: "Delete removed runs for good, with their tensors, and reclaim their space.",
    discussion: "Works in short batches, so runs being recorded meanwhile wait at most one batch.")

  @Option(help: ArgumentHelp("Only runs removed at least this long ago: 30d, 12h, 90m, 45s or 2w.", valueName: "duration"))
  var olderThan: String?

  @OptionGroup var database: DatabaseOptions

  func validate() throws {
    if let olderThan, GarbageCollection.seconds(olderThan) == nil {
      throw ValidationError("--older-than expects a duration such as 30d, 12h, 90m, 45s or 2w, got '\(olderThan)'")
    }
  }

  func run() throws {
    try GarbageCollection.run(olderThan: olderThan.flatMap(GarbageCollection.seconds), database: database.resolved, console: .standard)
      .finish()
  }
}
