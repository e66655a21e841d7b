import Foundation
import JVPLab
import JVPStore

/// `jvplab-bench sync`: `jvplab push` of a 100,000-run history into a new SQLite store, and again (every run
/// already there), through the built `jvplab` as a user runs it.
enum SyncSuite {
  static func run(_ options: BenchOptions) throws {
    guard let binary = StoreSuite.releaseBinary() else {
      FileHandle.standardError.write(Data("jvplab-bench sync: no jvplab next to jvplab-bench (swift build -c release)\n".utf8))
      return
    }
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

    var first = ""
    let push = try StoreSuite.time { first = try LifecycleSuite.jvplab(binary, ["push", "--db", source, "--to", target, "--create"]) }
    var second = ""
    let again = try StoreSuite.time { second = try LifecycleSuite.jvplab(binary, ["push", "--db", source, "--to", target]) }
    let copied = try RunStore.open(path: target, mode: .readOnly).count(matching: RunQuery())
    precondition(copied == count, "the push left \(copied) runs in the target")
    let met = push < 120 ? "met" : "NOT met"
    StoreSuite.json = options.json
    StoreSuite.table(
      [
        ["case", "value", "target"],
        ["`jvplab push` of \(count.formatted()) runs, SQLite -> new SQLite (whole process)",
         String(format: "%.1f s (%.0f runs/s)", push, Double(count) / push), count == 100_000 ? "< 2 min (the PostgreSQL target): \(met)" : ""],
        ["the same push again, every run already there", String(format: "%.2f s", again), ""],
        ["what push said, then", first.trimmingCharacters(in: .whitespacesAndNewlines) + " / " + second.trimmingCharacters(in: .whitespacesAndNewlines), ""],
      ], suite: "sync")
  }
}
