import Foundation
import JVPLab
import JVPStore

/// `jvplab-bench sync`: a push of a 100,000-run history (`--quick`: 10,000) into a new SQLite store, and again
/// (every run already there), through the use case `jvplab push` runs (in-process, so no release `jvplab`
/// binary is needed); with a PostgreSQL server (`$JVPLAB_BENCH_POSTGRES_URL`, else `$JVPLAB_TEST_POSTGRES_URL`)
/// the same history pushed into a new database there too (issue #18: under 2 minutes for 100,000 runs).
enum SyncSuite {
  static func run(_ options: BenchOptions) throws {
    let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("jvplab-bench-sync-\(getpid())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let count = options.quick ? 10_000 : 100_000
    let source = directory.appendingPathComponent("laptop.db").path
    let target = directory.appendingPathComponent("team.db").path
    let store = try RunStore.open(path: source, mode: .readWrite)
    var generator = SystemRandomNumberGenerator()
    let start = Date(timeIntervalSince1970: 1_790_000_000)
    for i in 0..<count { _ = try store.record(try StoreSuite.historyRun(i, start: start, using: &generator)) }

    var request = Sync.Request(direction: .push, database: source, remote: target)
    request.create = true
    let said = Said()
    let (push, pushCPU, again) = try timedTwice(request, said: said)
    let copied = try RunStore.open(path: target, mode: .readOnly).count(matching: RunQuery())
    precondition(copied == count, "the push left \(copied) runs in the target")
    let met = push < 120 ? "met" : "NOT met"
    var rows = [
      ["case", "value", "target"],
      ["push of \(count.formatted()) runs, SQLite -> new SQLite (Sync.run in-process)",
       String(format: "%.1f s wall, %.1f s CPU (%.0f runs/s)", push, pushCPU, Double(count) / push),
       count == 100_000 ? "< 2 min (the PostgreSQL target): \(met)" : ""],
      ["the same push again, every run already there", String(format: "%.2f s", again), ""],
    ]
    let environment = ProcessInfo.processInfo.environment
    if let server = environment["JVPLAB_BENCH_POSTGRES_URL"] ?? environment["JVPLAB_TEST_POSTGRES_URL"] {
      rows += try postgresPush(source, count: count, server: server, said: said)
    }
    rows.append(["what push said", said.text.split(separator: "\n").joined(separator: " / "), ""])
    StoreSuite.json = options.json
    StoreSuite.table(rows, suite: "sync")
  }

  /// The history at `source` pushed into a new database on `server`, and pushed again.
  static func postgresPush(_ source: String, count: Int, server: String, said: Said) throws -> [[String]] {
    let url = try PostgresSuite.freshDatabase(on: server)
    let (push, pushCPU, again) = try timedTwice(Sync.Request(direction: .push, database: source, remote: url), said: said)
    let copied = try PostgresStore.open(url: url, mode: .readOnly).count(matching: RunQuery())
    precondition(copied == count, "the push left \(copied) runs on the server")
    return [
      ["push of \(count.formatted()) runs, SQLite -> new PostgreSQL database (Sync.run in-process)",
       String(format: "%.1f s wall, %.1f s CPU in jvplab (%.0f runs/s)", push, pushCPU, Double(count) / push),
       count == 100_000 ? "< 2 min: \(push < 120 ? "met" : "NOT met")" : "< 2 min for 100,000"],
      ["the same push to PostgreSQL again, every run already there", String(format: "%.2f s", again), ""],
    ]
  }

  /// `request` run twice: the first copy's wall and CPU seconds, then the wall seconds of the second, which
  /// finds every run already there.
  static func timedTwice(_ request: Sync.Request, said: Said) throws -> (wall: Double, cpu: Double, again: Double) {
    let cpu = LifecycleSuite.cpuSeconds(RUSAGE_SELF)
    let wall = try StoreSuite.time { precondition(Sync.run(request, console: said.console) == .success, said.text) }
    let used = LifecycleSuite.cpuSeconds(RUSAGE_SELF) - cpu
    let again = try StoreSuite.time { precondition(Sync.run(request, console: said.console) == .success, said.text) }
    return (wall, used, again)
  }

  /// What the pushes write to stderr, collected.
  final class Said: @unchecked Sendable {
    private let lock = NSLock()
    private var lines = ""
    var text: String { lock.withLock { lines } }
    var console: Console { Console(out: { _ in }, err: { text in self.lock.withLock { self.lines += text } }) }
  }
}
