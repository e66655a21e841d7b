import Foundation
import JVPLab
import JVPScript
import JVPStore

/// `jvplab-bench postgres`: the store suite's recording and query cases on a PostgreSQL server, beside
/// the same cases on SQLite (issue #18).
///
/// The server is `$JVPLAB_BENCH_POSTGRES_URL`, else `$JVPLAB_TEST_POSTGRES_URL` (start one with
/// `eval "$(tools/postgres_cluster.sh start)"`); the suite creates its own databases there with `psql`.
/// - (a) The 2,000-call `jvp` script run in-process with the real recorder, into PostgreSQL and into
///   SQLite, alternating (3 rounds each): recorded runs per second (target ≥ 1,000 on PostgreSQL).
/// - (b) A history of 100,000 runs (`--quick`: 10,000) written with `record`, then the filtered query
///   `kind = jvp and time.jvp < 1ms`, newest 50, median of 20 (target < 100 ms on PostgreSQL). The
///   server's statistics are refreshed with ANALYZE after the bulk write, as autovacuum would.
enum PostgresSuite {
  static func run(_ options: BenchOptions) throws {
    let environment = ProcessInfo.processInfo.environment
    guard let server = environment["JVPLAB_BENCH_POSTGRES_URL"] ?? environment["JVPLAB_TEST_POSTGRES_URL"] else {
      print("skipped: set JVPLAB_BENCH_POSTGRES_URL (or JVPLAB_TEST_POSTGRES_URL) to a PostgreSQL server; tools/postgres_cluster.sh starts one")
      return
    }
    StoreSuite.json = options.json
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jvplab-bench-pg-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try recording(server: server, in: directory)
    try history(server: server, in: directory, size: options.quick ? 10_000 : 100_000)
  }

  static func recording(server: String, in directory: URL) throws {
    let bytes = StoreSuite.script()
    var postgres: [Double] = []
    var sqlite: [Double] = []
    for round in 0..<3 {
      let url = try freshDatabase(on: server)
      postgres.append(try record(bytes, into: try PostgresStore.open(url: url, mode: .readWrite)))
      let path = directory.appendingPathComponent("recording\(round).db").path
      sqlite.append(try record(bytes, into: try RunStore.open(path: path, mode: .readWrite)))
    }
    let calls = Double(StoreSuite.calls)
    StoreSuite.table([
      ["case", "value", "target"],
      ["script of \(StoreSuite.calls) jvp calls (4x4) into PostgreSQL", String(format: "%.3f s, %.0f runs/s", StoreSuite.median(postgres), calls / StoreSuite.median(postgres)), ">= 1000 runs/s"],
      ["same script into SQLite", String(format: "%.3f s, %.0f runs/s", StoreSuite.median(sqlite), calls / StoreSuite.median(sqlite)), ""],
    ], suite: "postgres")
  }

  /// Seconds to run the script with every call recorded into `store`.
  static func record(_ bytes: [UInt8], into store: any ExperimentStore) throws -> Double {
    try StoreSuite.time {
      let recorder = StoreRecorder(store: store, context: RunContext(script: "overhead.py", scriptSHA256: "0"))
      try Interpreter(file: "overhead.py", recorder: recorder, output: { _ in }).run(bytes: bytes)
      precondition(recorder.ids.count == StoreSuite.calls, "expected \(StoreSuite.calls) recorded runs, got \(recorder.ids.count)")
    }
  }

  static func history(server: String, in directory: URL, size: Int) throws {
    let url = try freshDatabase(on: server)
    let postgres = try PostgresStore.open(url: url, mode: .readWrite)
    let sqlite = try RunStore.open(path: directory.appendingPathComponent("history.db").path, mode: .readWrite)
    let start = Date(timeIntervalSince1970: 1_790_000_000)
    var generator = SystemRandomNumberGenerator()
    var writeSeconds: [String: Double] = [:]
    for (name, store) in [("PostgreSQL", postgres), ("SQLite", sqlite)] as [(String, any ExperimentStore)] {
      writeSeconds[name] = try StoreSuite.time {
        for i in 0..<size { _ = try store.record(try StoreSuite.historyRun(i, start: start, using: &generator)) }
      }
    }
    try psql(url, "ANALYZE")
    let query = try RunQuery(filter: "kind = jvp and time.jvp < 1ms", limit: 50)
    var rows = [["case", "value", "target"]]
    for (name, store) in [("PostgreSQL", postgres), ("SQLite", sqlite)] as [(String, any ExperimentStore)] {
      var found = 0
      let seconds = try (0..<20).map { _ in try StoreSuite.time { found = try store.runs(matching: query).count } }
      let written = writeSeconds[name] ?? .nan
      rows.append(["\(name): history written with record", String(format: "%d runs in %.1f s (%.0f runs/s)", size, written, Double(size) / written), ""])
      rows.append([
        "\(name): query 'kind = jvp and time.jvp < 1ms', newest 50",
        String(format: "%.2f ms median (%d runs)", StoreSuite.median(seconds) * 1e3, found), name == "PostgreSQL" ? "< 100 ms" : "< 50 ms",
      ])
    }
    StoreSuite.table(rows, suite: "postgres")
  }

  /// A new database on `server`, made with psql, and its URL.
  static func freshDatabase(on server: String) throws -> String {
    let name = "jvplab_bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
    try psql(server, "CREATE DATABASE \(name)")
    return server.replacingOccurrences(of: #"/[^/?]+(\?.*)?$"#, with: "/\(name)$1", options: .regularExpression)
  }

  static func psql(_ url: String, _ statement: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", statement]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw StoreError(.invalidInput, "psql failed: \(statement)") }
  }
}
