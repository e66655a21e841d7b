import Foundation
import Testing

@testable import JVPStore

/// `PostgresStore` against a real server: every run, query and change reads back as it does from an
/// SQLite file holding the same runs, and each way of failing to open is a one-line error.
@Suite(.enabled(if: PostgresTestServer.available, PostgresTestServer.reason), .serialized)
struct PostgresStoreTests {
  /// The same runs recorded into a new SQLite file and a new server database.
  private func pair(_ runs: [NewRun]) throws -> (sqlite: RunStore, postgres: PostgresStore, directory: URL) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jvplab-pg-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let sqlite = try RunStore.open(path: directory.appendingPathComponent("lab.db").path, mode: .readWrite)
    let postgres = try PostgresStore.open(url: try PostgresTestServer.freshDatabase(), mode: .readWrite)
    // Each run goes to both under one UUID, as a push would copy it; left nil, each store would draw its own.
    for var run in runs {
      run.info.uuid = RunUUID.random()
      #expect(try sqlite.record(run) == (try postgres.record(run)))
    }
    return (sqlite, postgres, directory)
  }

  private func largeRun(_ values: [Float]) throws -> NewRun {
    var run = try sampleRun()
    run.tensors.append(try StoredTensor(role: "input", index: [1], name: "big", shape: [values.count], elements: .float32(values)))
    return run
  }

  @Test func runsReadBackAsFromSQLite() throws {
    let big = (0..<20_000).map { Float($0) * 0.5 }
    var nan = try sampleRun(kind: "vjp", tags: ["model": "big", "lr": "1e-3"])
    nan.checks = [CheckResult(name: "fd", maxAbs: .nan, maxRel: .nan, ok: false)]
    nan.functions = ["helper": "def helper(x): return x"]
    nan.grid = ["N": "4"]
    let runs = [try sampleRun(), try largeRun(big), try largeRun(big), nan]
    let (sqlite, postgres, directory) = try pair(runs)
    defer { try? FileManager.default.removeItem(at: directory) }
    for id in Int64(1)...4 {
      let expected = try #require(try sqlite.run(id: id))
      let actual = try #require(try postgres.run(id: id))
      #expect(Self.withoutNaN(actual) == Self.withoutNaN(expected))
    }
    #expect(try postgres.run(id: 99) == nil)
    // The two large inputs share one tensor_data row, as on SQLite.
    #expect(try PostgresTestServer.sql("SELECT count(*) FROM tensor_data", on: postgres.path.replacingOccurrences(of: ":***@", with: ":\(password)@")) == "1")
    let all = try RunQuery(filter: "", sort: "id")
    #expect(try postgres.runs(matching: all).map(Self.withoutNaN) == (try sqlite.runs(matching: all).map(Self.withoutNaN)))
    #expect(try postgres.rawQuery(sql: "SELECT max_abs IS NULL AND max_rel IS NULL FROM checks WHERE run_id = 4").rows == [[.integer(1)]])
    for reference in ["1", "latest", "latest~3"] {
      #expect(try postgres.resolve(reference) == (try sqlite.resolve(reference)))
    }
    for reference in ["latest~4", "17", "newest"] {
      let expected = #expect(throws: StoreError.self) { try sqlite.resolve(reference) }
      let actual = #expect(throws: StoreError.self) { try postgres.resolve(reference) }
      #expect(actual?.code == expected?.code)
      #expect(actual?.message == expected?.message.replacingOccurrences(of: sqlite.path, with: postgres.path))
    }
  }

  /// Every filter and sort of `QueryTests` selects the same runs in the same order on both engines.
  @Test func filtersAndSortsSelectTheSameRuns() throws {
    let (sqlite, postgres, directory) = try pair(QueryTests.runs)
    defer { try? FileManager.default.removeItem(at: directory) }
    let filters = [
      "", "kind = jvp", "kind != jvp", "id >= 3", "name != first", "name = 'x\\'; DROP TABLE runs; --'",
      "seed < 10", "seed >= 0", "status = failed", "vectorize = true", "vectorize = no", "error ~ 'bo*'",
      "kind = jvp and seed = 42", "not kind = jvp", "NOT seed > 10", "not not kind = jvp",
      "kind = jvp or kind = vjp and dtype = float64", "kind = jvp and not (seed = 42 or status = failed)",
      "fn ~ 'exp*'", "fn ~ '*_*'", "name ~ '?????'", "script ~ [ab].py", "fn ~ EXP*", "started ~ '2026-11-2*'",
      "tag.model ~ 's*'", "time.jvp < 1ms", "time.jvp <= 2000ns", "time.jvp = 4000us", "time.jvp != 4ms",
      "not time.jvp < 1ms", "time.nothing < 1s", "check.fd < 1e-3", "check.fd.rel >= 1", "check.fd.ok = true",
      "check.fd.ok != true", "tag.model != big", "tag.lr < 0.005", "tag.lr >= 0.005", "tag.lr > '0.005'",
      "numel.in > 50", "numel.out < 1", "started >= 2026-11-29", "started < 2026-11-28T11:00:00+01:00",
      "line > 1.5", "seed = 42.0",
    ]
    for filter in filters {
      let query = try RunQuery(filter: filter)
      #expect(try postgres.ids(matching: query) == (try sqlite.ids(matching: query)), "\(filter)")
      #expect(try postgres.count(matching: query) == (try sqlite.count(matching: query)), "\(filter)")
    }
    for sort in ["seed", "-seed", "kind, -id", "-time.jvp", "tag.model", "-check.fd", "numel.in,started", "name"] {
      let query = try RunQuery(filter: "", sort: sort)
      #expect(try postgres.ids(matching: query) == (try sqlite.ids(matching: query)), "\(sort)")
    }
    let page = try RunQuery(filter: "", sort: "id", limit: 2, offset: 1)
    #expect(try postgres.ids(matching: page) == [2, 3])
    let skip = try RunQuery(filter: "", sort: "id", offset: 3)
    #expect(try postgres.ids(matching: skip) == [4])
  }

  /// `summary` with NaN check values as infinity, so that equal runs compare equal (NaN != NaN).
  static func withoutNaN(_ summary: RunSummary) -> RunSummary {
    var summary = summary
    summary.checks = summary.checks.map { check in
      var check = check
      if check.maxAbs.isNaN { check.maxAbs = .infinity }
      if check.maxRel.isNaN { check.maxRel = .infinity }
      return check
    }
    return summary
  }

  static func withoutNaN(_ detail: RunDetail) -> RunDetail {
    var detail = detail
    detail.summary = withoutNaN(detail.summary)
    return detail
  }

  @Test func lifecycleAndSweepsMatchSQLite() throws {
    let big = (0..<20_000).map { Float($0) }
    let (sqlite, postgres, directory) = try pair([try sampleRun(), try largeRun(big), try sampleRun(), try largeRun(big)])
    defer { try? FileManager.default.removeItem(at: directory) }
    let when = Date(timeIntervalSince1970: 1_800_000_000)
    for store in [sqlite, postgres] as [any ExperimentStore] {
      try store.retag([1, 2], set: ["stage": "b", "model": "tiny"], remove: ["nothing"])
      try store.setNote(3, "kept")
      #expect(try store.softDelete([2, 4, 4], at: when) == [2, 4])
      #expect(try store.softDelete([2], at: when) == [])
      #expect(try store.restore([4, 1]) == [4])
      _ = try store.softDelete([4], at: when)
      let report = try store.collectGarbage(removedBefore: nil, batchSize: 1, progress: { _, _ in })
      #expect(report.runs == 2)
      #expect(report.sharedData == 1)
      let sweep = try store.createSweep(name: "sizes", spec: "{}", points: 3, started: when)
      try store.setSweepStatus(sweep, .interrupted, partialPoint: 2, at: when)
      #expect(try store.sweep(sweep)?.partialPoint == 2)
      #expect(try store.sweep(sweep + 1) == nil)
    }
    let all = try RunQuery(filter: "", sort: "id")
    #expect(try postgres.runs(matching: all) == (try sqlite.runs(matching: all)))
    // Each store drew its sweep's UUID; the rest of the row is the same.
    let (postgresSweep, sqliteSweep) = (try #require(try postgres.sweep(1)), try #require(try sqlite.sweep(1)))
    #expect(isVersion4UUID(postgresSweep.uuid) && postgresSweep.uuid != sqliteSweep.uuid)
    var expected = sqliteSweep
    expected.uuid = postgresSweep.uuid
    #expect(postgresSweep == expected)
    #expect(try postgres.runs(matching: all).map(\.id) == [1, 3])
  }

  @Test func rawSQLRunsReadOnly() throws {
    let (_, postgres, directory) = try pair([try sampleRun()])
    defer { try? FileManager.default.removeItem(at: directory) }
    let result = try postgres.rawQuery(sql: "SELECT id, kind, seed, vectorize = 1 AS v, 0.5::float8 AS half, NULL AS nothing FROM runs")
    #expect(result.columns == ["id", "kind", "seed", "v", "half", "nothing"])
    #expect(result.rows == [[.integer(1), .text("jvp"), .integer(42), .integer(0), .real(0.5), .null]])
    let refused = #expect(throws: StoreError.self) { try postgres.rawQuery(sql: "DELETE FROM runs") }
    #expect(refused?.message == "--sql runs read-only: this statement would change \(postgres.path)")
    let bad = #expect(throws: StoreError.self) { try postgres.rawQuery(sql: "SELEC 1") }
    #expect(bad?.code == .badSQL)
    #expect(bad?.message.hasPrefix("--sql: ") == true)
    #expect(try postgres.count(matching: RunQuery()) == 1)
  }

  /// The test server's password, for psql calls on a database whose URL a store shows masked.
  private var password: String {
    let url = PostgresTestServer.url ?? ""
    guard let scheme = url.range(of: "://"), let at = url.range(of: "@", options: .backwards) else { return "" }
    return String(url[scheme.upperBound..<at.lowerBound].drop(while: { $0 != ":" }).dropFirst())
  }

  @Test func openingFailuresAreOneLineErrorsWithoutThePassword() throws {
    let wrong = PostgresTestServer.url(password: "not-the-password")
    let login = #expect(throws: StoreError.self) { try PostgresStore.open(url: wrong, mode: .readOnly) }
    #expect(login?.message.hasPrefix("cannot log in to postgresql://jvplab:***@") == true, "\(login?.message ?? "")")
    #expect(login?.message.contains("password authentication failed") == true)
    #expect(login?.message.contains("not-the-password") == false)

    let unknown = PostgresTestServer.url(database: "no_such_database")
    let missing = #expect(throws: StoreError.self) { try PostgresStore.open(url: unknown, mode: .readWrite) }
    #expect(missing?.message.hasSuffix("database \"no_such_database\" does not exist") == true, "\(missing?.message ?? "")")

    let refusedURL = try #require(PostgresTestServer.url).replacingOccurrences(
      of: #":[0-9]+/"#, with: ":1/", options: .regularExpression)
    let refused = #expect(throws: StoreError.self) { try PostgresStore.open(url: refusedURL, mode: .readOnly) }
    #expect(refused?.message.hasSuffix("1/jvplab_test: connection refused") == true, "\(refused?.message ?? "")")
    #expect(refused?.message.contains(password) == false)

    let empty = try PostgresTestServer.freshDatabase()
    let noSchema = #expect(throws: StoreError.self) { try PostgresStore.open(url: empty, mode: .readOnly) }
    #expect(noSchema?.message.hasSuffix("has no jvplab schema yet (jvplab run creates it)") == true)
    _ = try PostgresStore.open(url: empty, mode: .readWrite)
    #expect(try PostgresTestServer.sql("SELECT string_agg(identifier, ',') FROM jvplab_migrations", on: empty) == "p0001_init")
    _ = try PostgresStore.open(url: empty, mode: .readOnly)

    try PostgresTestServer.sql("INSERT INTO jvplab_migrations VALUES ('p9999_future')", on: empty)
    let newer = #expect(throws: StoreError.self) { try PostgresStore.open(url: empty, mode: .readWrite) }
    #expect(newer?.code == .newerSchema)
    #expect(newer?.message.contains("its schema is p9999_future, this jvplab knows up to p0001_init") == true)

    let foreign = try PostgresTestServer.freshDatabase()
    try PostgresTestServer.sql("CREATE TABLE accounts (id int)", on: foreign)
    let other = #expect(throws: StoreError.self) { try PostgresStore.open(url: foreign, mode: .readWrite) }
    #expect(other?.message.hasSuffix("is a PostgreSQL database but not a jvplab one (it has tables accounts)") == true)
  }

  /// Processes racing to create the schema wait for the first one: all open, one set of tables.
  @Test func concurrentOpenersCreateTheSchemaOnce() throws {
    let url = try PostgresTestServer.freshDatabase()
    let failures = Locked<[String]>([])
    DispatchQueue.concurrentPerform(iterations: 6) { _ in
      do {
        _ = try PostgresStore.open(url: url, mode: .readWrite).record(try sampleRun())
      } catch {
        failures.update { $0.append("\(error)") }
      }
    }
    #expect(failures.value == [])
    #expect(try PostgresTestServer.sql("SELECT count(*) FROM runs", on: url) == "6")
  }
}

/// A value several threads change under a lock.
final class Locked<Value>: @unchecked Sendable {
  private var stored: Value
  private let lock = NSLock()
  init(_ value: Value) { stored = value }
  var value: Value { lock.withLock { stored } }
  func update(_ change: (inout Value) -> Void) { lock.withLock { change(&stored) } }
}
