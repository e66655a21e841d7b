import Foundation
import PostgresNIO

/// The jvplab history in a PostgreSQL database: the same runs, queries and output as an SQLite file,
/// shared by every machine that reaches the server.
///
/// Opening connects (a refused connection, a failed login or an unknown database is a one-line error),
/// then checks the schema: a read-write open creates or upgrades it (as `jvplab run` creates an SQLite
/// file), a read-only open of a database without it is an error saying so, and a schema from a newer
/// jvplab is refused. Every value is bound as a parameter (extended protocol); filters go through the
/// same compiler as on SQLite, in `SQLDialect.postgres`.
public final class PostgresStore: ExperimentStore {
  /// The server URL without its password, as every message names the store.
  public let path: String
  public let mode: StoreAccessMode
  /// Tensors with more elements are stored as shape, digest and summary only (data NULL).
  public let maxStoredElements: Int
  let session: PostgresSession
  let dialect = SQLDialect.postgres

  /// Connects to the server `url` names and checks (read-write: creates or upgrades) its schema.
  public static func open(
    url text: String, mode: StoreAccessMode, maxStoredElements: Int = 16 * 1024 * 1024,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws(StoreError) -> PostgresStore {
    let url = try PostgresURL(text, environment: environment)
    let session = try PostgresSession(url: url)
    let state = try session.blocking { connection in
      let found = try await PostgresSchema.state(connection)
      switch (mode, found) {
      case (.readWrite, .empty), (.readWrite, .outdated): return try await PostgresSchema.upgrade(connection)
      default: return found
      }
    }
    let empty = StoreError(.missingDatabase, "\(url) has no jvplab schema yet (jvplab run creates it)")
    if let refusal = StoreError.schema(
      state, of: url.description, engine: "a PostgreSQL", currentVersion: PostgresSchema.currentVersion, whenEmpty: empty)
    {
      throw refusal
    }
    return PostgresStore(path: url.description, mode: mode, maxStoredElements: maxStoredElements, session: session)
  }

  private init(path: String, mode: StoreAccessMode, maxStoredElements: Int, session: PostgresSession) {
    self.path = path
    self.mode = mode
    self.maxStoredElements = maxStoredElements
    self.session = session
  }

  // MARK: - Reading

  public func run(id: Int64) throws(StoreError) -> RunDetail? {
    let tensorSQL = dialect.render(TensorRow.sql)
    let (rows, tensorRows, functions) = try session.blocking { connection in
      let rows = try await Self.runRows(connection, "SELECT * FROM runs WHERE id = \(id)")
      guard !rows.isEmpty else { return ([RunRow](), [TensorRow](), [(String, String)]()) }
      var tensors: [TensorRow] = []
      var bindings = PostgresBindings()
      bindings.append(id)
      for try await row in try await connection.query(PostgresQuery(unsafeSQL: tensorSQL, binds: bindings), logger: PostgresSession.logger) {
        tensors.append(try TensorRow(postgres: row.makeRandomAccess()))
      }
      var functions: [(String, String)] = []
      for try await (name, source) in try await connection.query(
        "SELECT name, source FROM functions WHERE run_id = \(id)", logger: PostgresSession.logger
      ).decode((String, String).self) {
        functions.append((name, source))
      }
      return (rows, tensors, functions)
    }
    guard let row = rows.first else { return nil }
    guard let summary = try summaries([row]).first else { return nil }
    var tensors: [StoredTensor] = []
    for row in tensorRows {
      guard let tensor = row.tensor else { throw damaged("tensor \(row.id) of run \(id)") }
      tensors.append(tensor)
    }
    return RunDetail(summary: summary, tensors: tensors, functions: Dictionary(functions, uniquingKeysWith: { a, _ in a }))
  }

  public func resolve(_ reference: String) throws(StoreError) -> Int64 {
    if reference.hasPrefix(RunUUID.referencePrefix) {
      return try RunUUID.resolve(String(reference.dropFirst(RunUUID.referencePrefix.count)), reference: reference, in: path) {
        prefix throws(StoreError) in try self.uuidMatches(startingWith: prefix)
      }
    }
    if let id = Int64(reference) {
      let exists = try session.blocking { connection in
        try await connection.query("SELECT 1 FROM runs WHERE id = \(id)", logger: PostgresSession.logger).collect().count > 0
      }
      guard exists else { throw StoreError(.noSuchRun, "no run \(id) in \(path)") }
      return id
    }
    let back: Int
    if reference == "latest" {
      back = 0
    } else if reference.hasPrefix("latest~"), let n = Int(reference.dropFirst("latest~".count)), n >= 0 {
      back = n
    } else {
      throw StoreError(.badReference, "'\(reference)' is not a run reference: use an id (17), latest, latest~N, or uuid:PREFIX")
    }
    let (id, count) = try session.blocking { connection in
      let offset = Int64(back)
      var id: Int64?
      for try await (found) in try await connection.query(
        "SELECT id FROM runs WHERE deleted IS NULL ORDER BY id DESC LIMIT 1 OFFSET \(offset)", logger: PostgresSession.logger
      ).decode(Int64.self) {
        id = found
      }
      var count: Int64 = 0
      for try await (total) in try await connection.query(
        "SELECT count(*) FROM runs WHERE deleted IS NULL", logger: PostgresSession.logger
      ).decode(Int64.self) {
        count = total
      }
      return (id, Int(count))
    }
    guard let id else {
      let holding = count == 0 ? "holds no runs yet" : "holds only \(count) run\(count == 1 ? "" : "s")"
      throw StoreError(.noSuchRun, "\(reference): \(path) \(holding)")
    }
    return id
  }

  public func runs(matching query: RunQuery) throws(StoreError) -> [RunSummary] {
    let compiled = query.compiled(for: dialect)
    let rows = try session.blocking { connection in
      try await Self.runRows(connection, PostgresQuery(unsafeSQL: compiled.sql, binds: Self.bindings(compiled.arguments)))
    }
    return try summaries(rows)
  }

  public func count(matching query: RunQuery) throws(StoreError) -> Int {
    let compiled = query.compiled(for: dialect)
    return try session.blocking { connection in
      var count: Int64 = 0
      let sql = PostgresQuery(unsafeSQL: compiled.countSQL, binds: Self.bindings(compiled.countArguments))
      for try await (total) in try await connection.query(sql, logger: PostgresSession.logger).decode(Int64.self) { count = total }
      return Int(count)
    }
  }

  public func ids(matching query: RunQuery) throws(StoreError) -> [Int64] {
    let compiled = query.compiled(for: dialect)
    return try session.blocking { connection in
      var ids: [Int64] = []
      let sql = PostgresQuery(unsafeSQL: "SELECT id FROM (\(compiled.sql)) AS selected", binds: Self.bindings(compiled.arguments))
      for try await (id) in try await connection.query(sql, logger: PostgresSession.logger).decode(Int64.self) { ids.append(id) }
      return ids
    }
  }

  public func liveReplays(of ids: [Int64]) throws(StoreError) -> [(parent: Int64, child: Int64)] {
    let pairs = try session.blocking { connection in
      var pairs: [[Int64]] = []
      for try await (parent, child) in try await connection.query(
        "SELECT parent_id, id FROM runs WHERE parent_id = ANY(\(ids)) AND deleted IS NULL ORDER BY id",
        logger: PostgresSession.logger
      ).decode((Int64, Int64).self) {
        pairs.append([parent, child])
      }
      return pairs
    }
    // By parent in the order asked, then child id, as the SQLite store lists them.
    return ids.flatMap { parent in pairs.filter { $0[0] == parent }.map { (parent: $0[0], child: $0[1]) } }
  }

  /// The server's next transaction id: it moves only when some transaction writes (reads take none), so a
  /// long-lived reader (`jvplab ui`) sees that others recorded, removed or annotated runs, as SQLite's
  /// `data_version` tells it.
  public func dataVersion() throws(StoreError) -> Int64 {
    try session.blocking { connection in
      var version: Int64 = 0
      for try await (value) in try await connection.query(
        "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint", logger: PostgresSession.logger
      ).decode(Int64.self) {
        version = value
      }
      return version
    }
  }

  /// Runs one statement inside a `READ ONLY` transaction that is always rolled back.
  public func rawQuery(sql: String) throws(StoreError) -> RawQueryResult {
    let path = path
    return try session.blocking { connection in
      try await connection.query("START TRANSACTION READ ONLY", logger: PostgresSession.logger)
      do {
        var columns: [String] = []
        var rows: [[SQLValue]] = []
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: PostgresSession.logger) {
          if columns.isEmpty { columns = row.map(\.columnName) }
          rows.append(row.map(SQLValue.init(postgres:)))
        }
        try await connection.query("ROLLBACK", logger: PostgresSession.logger)
        return RawQueryResult(columns: columns, rows: rows)
      } catch let error as PSQLError where error.code == .server {
        try? await connection.query("ROLLBACK", logger: PostgresSession.logger)
        if error.serverInfo?[.sqlState] == "25006" {
          throw StoreError(.badSQL, "--sql runs read-only: this statement would change \(path)")
        }
        throw StoreError(.badSQL, "--sql: \(error.serverInfo?[.message] ?? "\(error.code)")")
      }
    }
  }

  // MARK: - Helpers

  static func bindings(_ values: [SQLValue]) -> PostgresBindings {
    var bindings = PostgresBindings(capacity: values.count)
    for value in values { bindings.append(value) }
    return bindings
  }

  static func runRows(_ connection: PostgresConnection, _ query: PostgresQuery) async throws -> [RunRow] {
    var rows: [RunRow] = []
    for try await row in try await connection.query(query, logger: PostgresSession.logger) {
      rows.append(try RunRow(postgres: row.makeRandomAccess()))
    }
    return rows
  }

  /// Summaries of `rows`, with their tags, timings, checks and grid values fetched for all rows at once.
  private func summaries(_ rows: [RunRow]) throws(StoreError) -> [RunSummary] {
    guard !rows.isEmpty else { return [] }
    let ids = rows.map(\.id)
    let points = rows.filter { $0.sweepId != nil }.map(\.id)
    let (tags, timings, checks, grids) = try session.blocking { connection in
      var tags: [Int64: [String: String]] = [:]
      var timings: [Int64: [TimingRow]] = [:]
      var checks: [Int64: [CheckRow]] = [:]
      var grids: [Int64: [String: String]] = [:]
      for try await (run, key, value) in try await connection.query(
        "SELECT run_id, key, value FROM tags WHERE run_id = ANY(\(ids))", logger: PostgresSession.logger
      ).decode((Int64, String, String).self) {
        tags[run, default: [:]][key] = value
      }
      if !points.isEmpty {
        for try await (run, key, value) in try await connection.query(
          "SELECT run_id, key, value FROM grid WHERE run_id = ANY(\(points))", logger: PostgresSession.logger
        ).decode((Int64, String, String).self) {
          grids[run, default: [:]][key] = value
        }
      }
      for try await row in try await connection.query(
        "SELECT run_id, phase, samples, n FROM timings WHERE run_id = ANY(\(ids)) ORDER BY id", logger: PostgresSession.logger
      ) {
        let timing = try TimingRow(postgres: row.makeRandomAccess())
        timings[timing.runId, default: []].append(timing)
      }
      for try await row in try await connection.query(
        "SELECT run_id, name, max_abs, max_rel, ok FROM checks WHERE run_id = ANY(\(ids)) ORDER BY id", logger: PostgresSession.logger
      ) {
        let check = try CheckRow(postgres: row.makeRandomAccess())
        checks[check.runId, default: []].append(check)
      }
      return (tags, timings, checks, grids)
    }
    var summaries: [RunSummary] = []
    summaries.reserveCapacity(rows.count)
    for row in rows {
      guard let info = row.info else { throw damaged("run \(row.id)") }
      var series: [TimingSeries] = []
      for timing in timings[row.id] ?? [] {
        guard let value = timing.series else { throw damaged("timing '\(timing.phase)' of run \(row.id)") }
        series.append(value)
      }
      summaries.append(
        RunSummary(
          id: row.id, info: info, inputElements: row.numelIn, outputElements: row.numelOut, tags: tags[row.id] ?? [:],
          timings: series, checks: (checks[row.id] ?? []).map(\.check), grid: grids[row.id] ?? [:]))
    }
    return summaries
  }

  func damaged(_ what: String) -> StoreError {
    StoreError(.damaged, "\(path) is damaged: \(what) holds a value jvplab never writes")
  }
}
