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
      Every command takes --db PATH (default: $JVPLAB_DB, else ./jvplab.db). A run is an id, latest, or latest~N.
      Exit codes: 0 success, 1 the runs differ (diff, replay), 2 usage or input error, 3 the script or function failed, \
      130 interrupted.
      Commands, options and the filter language in full: docs/cli.md.
      """,
    version: JVPLabVersion.current,
    subcommands: [RunCommand.self, QueryCommand.self, ShowCommand.self, DiffCommand.self, ReplayCommand.self])

  /// Parses and runs a subcommand, exiting with the documented codes: 0 success, 1 differs,
  /// 2 usage or input error, 3 a run failed, 130 interrupted.
  static func main() {
    MemoryTuning.keepWorkingMemoryResident()
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch let code as ExitCode {
      Foundation.exit(code.rawValue)
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        print(fullMessage(for: error))
        Foundation.exit(0)
      }
      var message = fullMessage(for: error)
      if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
      FileHandle.standardError.write(Data(("jvplab: " + message + "\n").utf8))
      Foundation.exit(ExitStatus.usage.rawValue)
    }
  }
}

/// Options every command takes.
struct DatabaseOptions: ParsableArguments {
  @Option(name: .customLong("db"), help: "The database file (default: $JVPLAB_DB, else ./jvplab.db).")
  var path: String?

  var resolved: String { DatabaseLocation.resolve(path) }
}

extension ExitStatus {
  /// Ends the command with this status.
  func finish() throws {
    if self != .success { throw ExitCode(rawValue) }
  }
}

/// The command line as typed, recorded with each run.
let commandLine = CommandLine.arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
