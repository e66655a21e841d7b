import ArgumentParser
import Foundation
import JVPLab

/// The `jvplab` command: run autodiff experiments and explore their recorded history.
@main
struct JVPLabCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "jvplab",
    abstract: "Run torch.autograd.functional experiments through jvplab's engine and track every call in SQLite.",
    discussion: """
      Every command takes --db PATH (default: $JVPLAB_DB, else ./jvplab.db). A run is an id, latest, latest~N, or uuid:PREFIX.
      Exit codes: 0 success, 1 the runs differ (diff, replay), 2 usage or input error, 3 the script or function failed, \
      130 interrupted.
      Commands, options and the filter language in full: docs/cli.md.
      """,
    version: JVPLabVersion.current,
    subcommands: [
      RunCommand.self, QueryCommand.self, ShowCommand.self, DiffCommand.self, ReplayCommand.self, TagCommand.self,
      NoteCommand.self, RemoveCommand.self, RestoreCommand.self, GarbageCollectCommand.self, SweepCommand.self,
      ExportCommand.self, UICommand.self, PushCommand.self, PullCommand.self,
    ])

  /// Parses and runs a subcommand, exiting with the documented codes: 0 success, 1 differs (or
  /// stdout could not be written), 2 usage or input error, 3 a run failed, 129/130/143 stopped by
  /// SIGHUP/SIGINT/SIGTERM, 141 stdout was a closed pipe.
  static func main() {
    MemoryTuning.keepWorkingMemoryResident()
    // A closed stdout pipe is then an EPIPE that StandardStream notes, not a kill mid-run.
    signal(SIGPIPE, SIG_IGN)
    do {
      var command = try parseAsRoot()
      try command.run()
      exit(0)
    } catch let code as ExitCode {
      exit(code.rawValue)
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        StandardStream.output.write(fullMessage(for: error) + "\n")
        exit(0)
      }
      var message = fullMessage(for: error)
      if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
      StandardStream.error.write("jvplab: " + message + "\n")
      exit(ExitStatus.usage.rawValue)
    }
  }

  /// Ends the process with `status`, or with what a failed stdout makes of it.
  private static func exit(_ status: Int32) -> Never {
    Foundation.exit(StandardStream.exitStatus(after: status))
  }
}

/// Options every command takes.
struct DatabaseOptions: ParsableArguments {
  @Option(
    name: .customLong("db"),
    help: "The database: an SQLite file, or postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?sslmode=MODE] (default: $JVPLAB_DB, else ./jvplab.db).")
  var path: String?

  var resolved: String { DatabaseLocation.resolve(path) }
}

extension ExitStatus {
  /// Ends the command with this status.
  func finish() throws {
    if self != .success { throw ExitCode(rawValue) }
  }
}

/// The command line as typed, recorded with each run; a PostgreSQL URL's password is masked (`:***@`).
let commandLine = CommandLine.arguments.map(DatabaseLocation.masked).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
