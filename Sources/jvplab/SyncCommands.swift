import ArgumentParser
import JVPLab

/// What push and pull share: the filter and how long to wait for a locked target.
struct SyncOptions: ParsableArguments {
  @Argument(help: "The filter selecting the runs to copy, as in jvplab query (default: every live run).")
  var filter: [String] = []

  @Option(help: "Seconds to keep retrying while another process holds the target's write lock (0: do not wait).")
  var lockWait: Double = 60

  func validate() throws {
    guard lockWait >= 0, lockWait.isFinite else { throw ValidationError("--lock-wait must be 0 or more seconds, got \(lockWait)") }
  }

  func request(_ direction: Sync.Direction, database: String, remote: String) -> Sync.Request {
    var request = Sync.Request(direction: direction, database: database, remote: remote)
    request.filter = filter.joined(separator: " ")
    request.lockWait = lockWait
    return request
  }
}

/// Runs a copy with signals caught, so Ctrl-C stops between runs with a summary.
private func runSync(_ request: Sync.Request) throws {
  let interruption = Interruption()
  interruption.install()
  try Sync.run(request, console: .standard, interruption: interruption).finish()
}

struct PushCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "push", abstract: "Copy runs from --db into another store, each run once however often pushed.",
    discussion: """
      Runs keep their UUIDs (jvplab show prints them) and get new ids in the target. Each run is copied in its own \
      transaction; an interrupted push is finished by running it again.
      """)

  @OptionGroup var sync: SyncOptions

  @Option(help: ArgumentHelp("The store to copy the runs into.", valueName: "db"))
  var to: String

  @Flag(help: "Create the target database when it does not exist.")
  var create = false

  @OptionGroup var database: DatabaseOptions

  func run() throws {
    var request = sync.request(.push, database: database.resolved, remote: to)
    request.create = create
    try runSync(request)
  }
}

struct PullCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pull", abstract: "Copy runs from another store into --db, each run once however often pulled.",
    discussion: "The reverse of push: --db is created when it does not exist, as jvplab run does.")

  @OptionGroup var sync: SyncOptions

  @Option(help: ArgumentHelp("The store to copy the runs from.", valueName: "db"))
  var from: String

  @OptionGroup var database: DatabaseOptions

  func run() throws {
    try runSync(sync.request(.pull, database: database.resolved, remote: from))
  }
}
