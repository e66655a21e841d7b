import ArgumentParser
import JVPLab

extension Query.Format: ExpressibleByArgument {}
extension Show.Format: ExpressibleByArgument {}
extension Diff.Format: ExpressibleByArgument {}

struct QueryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "query",
    abstract: "List recorded runs that match a filter.",
    discussion: """
      FILTER: comparisons FIELD OP VALUE joined by and, or, not and parentheses; OP is = != < <= > >= or ~ (glob).
      VALUE: a number (time.* may carry ns, us, ms, s), a quoted string, a bare word, a date for started and finished.
      Fields: \(Query.fieldNames).
      Example: jvplab query 'kind = jvp and time.jvp < 1ms' --limit 50
      The filter language in full: docs/cli.md.
      """)

  @Argument(help: "The filter (words are joined with spaces).")
  var filter: [String] = []

  // Unconditional, so `--sort -started` takes `-started` as the value rather than as an unknown flag.
  @Option(parsing: .unconditional, help: "Comma-separated sort fields; a leading - sorts descending (default: newest first).")
  var sort: String?

  @Option(help: "At most this many runs.")
  var limit: Int?

  @Option(help: "Output: table, json or csv.")
  var format: Query.Format = .table

  @Option(help: "Run a raw read-only SQL statement instead of a filter.")
  var sql: String?

  @Flag(help: "List the runs jvplab rm removed instead of the live ones.")
  var deleted = false

  @OptionGroup var database: DatabaseOptions

  func validate() throws {
    if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more, got \(limit)") }
    if sql != nil && !filter.isEmpty { throw ValidationError("give either a FILTER or --sql, not both") }
  }

  func run() throws {
    var request = Query.Request(database: database.resolved)
    request.filter = filter.joined(separator: " ")
    request.sort = sort
    request.limit = limit
    request.format = format
    request.sql = sql
    request.deleted = deleted
    try Query.run(request, console: .standard).finish()
  }
}

struct ShowCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Show everything recorded about one run.",
    discussion: "Text: metadata, every tensor as PyTorch prints it, then timings and checks.")

  @Argument(help: ArgumentHelp("The run: an id, latest, latest~N, or uuid:PREFIX.", valueName: "run"))
  var reference: String

  @Option(help: "Output: text or json (the run object with its tensors).")
  var format: Show.Format = .text

  @OptionGroup var database: DatabaseOptions

  func run() throws {
    try Show.run(reference: reference, database: database.resolved, format: format, console: .standard).finish()
  }
}

/// Tolerances shared by diff and replay.
struct ToleranceOptions: ParsableArguments {
  @Option(help: "Relative tolerance: elements agree when |a - b| <= atol + rtol * |b|.")
  var rtol: Double = 1e-5

  @Option(help: "Absolute tolerance.")
  var atol: Double = 1e-8

  func validate() throws {
    guard rtol >= 0, atol >= 0, rtol.isFinite, atol.isFinite else {
      throw ValidationError("--rtol and --atol must be finite and 0 or more")
    }
  }

  var tolerance: Diff.Tolerance { Diff.Tolerance(rtol: rtol, atol: atol) }
}

struct DiffCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "diff",
    abstract: "Compare two runs: metadata, source, every tensor within tolerance, and timings.",
    discussion: "Exits 0 when the runs agree within tolerance, 1 when they differ, 2 on an error.")

  @Argument(help: "The first run (A).")
  var a: String

  @Argument(help: "The second run (B).")
  var b: String

  @OptionGroup var tolerances: ToleranceOptions

  @Option(help: "Output: text or json.")
  var format: Diff.Format = .text

  @OptionGroup var database: DatabaseOptions

  func run() throws {
    try Diff.run(a, b, database: database.resolved, tolerance: tolerances.tolerance, format: format, console: .standard).finish()
  }
}

struct ReplayCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "replay",
    abstract: "Re-run a recorded call from its stored source and inputs, record it, and diff the two.",
    discussion: "The new run's parent is the replayed one. Exits as diff does: 0 equivalent, 1 different, 2 on an error.")

  @Argument(help: ArgumentHelp("The run to replay: an id, latest, latest~N, or uuid:PREFIX.", valueName: "run"))
  var reference: String

  @Option(name: .customLong("repeat"), help: "Timed repetitions of the replayed call.")
  var repeats: Int = 1

  @OptionGroup var tolerances: ToleranceOptions

  @Option(help: "Output: text or json.")
  var format: Diff.Format = .text

  @OptionGroup var database: DatabaseOptions

  func validate() throws {
    guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1, got \(repeats)") }
  }

  func run() throws {
    try Replay.run(reference: reference, database: database.resolved, repeats: repeats, tolerance: tolerances.tolerance,
                   format: format, commandLine: commandLine, console: .standard).finish()
  }
}
