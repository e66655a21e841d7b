import Foundation
import PostgresNIO

/// Recording a run into PostgreSQL: one prepared statement, so one round trip and one transaction per run.
///
/// The run row and all its tensors, timings, checks, tags, functions and grid values go in a single
/// `WITH run AS (INSERT ... RETURNING id), ... INSERT ... SELECT FROM unnest($n, ...)` statement, each
/// child table's column bound as one array parameter, prepared once per connection. Data of 64 KiB or more is looked up in (or added to)
/// `tensor_data` first, in the same transaction, under an advisory lock on its digest, so concurrent
/// writers of the same content store it once, as on SQLite.
extension PostgresStore {
  public func record(_ run: NewRun) throws(StoreError) -> Int64 {
    guard mode == .readWrite else { throw StoreError(.readOnly, "\(path) was opened read-only: cannot record a run") }
    try RunStore.requireDistinct(run.timings.map(\.phase), what: "timing phase")
    try RunStore.requireDistinct(run.checks.map(\.name), what: "check")
    let limit = maxStoredElements
    let data = run.tensors.map { $0.elementCount <= limit ? $0.data : nil }
    let sharesData = data.contains { ($0?.count ?? 0) >= RunWriter.sharedDataBytes }
    do {
      return try session.blocking { connection in
        guard sharesData else { return try await Self.insertRun(run, data: data, connection) }
        return try await connection.withTransaction(logger: PostgresSession.logger) { connection in
          try await Self.insertRun(run, data: data, connection)
        }
      }
    } catch where error.message.contains("runs_parent_id_fkey") {
      throw StoreError(.invalidInput, "cannot record the run: its parent run \(run.info.parent ?? 0) is not in \(path)")
    }
  }

  /// PostgreSQL never reports a write lock held past a timeout (`.locked`), so it has no pending files.
  public func savePending(_ run: NewRun) throws(StoreError) -> String {
    throw StoreError(.invalidInput, "\(path) is a PostgreSQL server: runs are not kept in pending files")
  }

  /// Inserts `run` with `data` (nil: the tensor is stored without its data) through the prepared
  /// `RunInsertStatement` and returns its id. Data of 64 KiB or more goes to `tensor_data` first, so
  /// the caller holds a transaction when the run has such data.
  static func insertRun(_ run: NewRun, data: [Data?], _ connection: PostgresConnection) async throws -> Int64 {
    guard let id = try await insertRunUnlessPresent(run, data: data, connection) else {
      throw StoreError(.sqlite, "the server returned no id for the new run")
    }
    return id
  }

  /// As `insertRun`, but nil, with nothing written, when the store holds a run with `run`'s UUID already
  /// (the statement's `ON CONFLICT (uuid) DO NOTHING`; a concurrent insert of the same UUID is waited for).
  static func insertRunUnlessPresent(_ run: NewRun, data: [Data?], _ connection: PostgresConnection) async throws -> Int64? {
    var inline = data
    var dataIDs: [Int64?] = Array(repeating: nil, count: run.tensors.count)
    for (index, bytes) in data.enumerated() {
      guard let bytes, bytes.count >= RunWriter.sharedDataBytes else { continue }
      dataIDs[index] = try await sharedData(bytes, digest: run.tensors[index].digestHex, connection)
      inline[index] = nil
    }
    let statement = RunInsertStatement(bindings: bindings(run, data: inline, dataIDs: dataIDs))
    var id: Int64?
    for try await value in try await connection.execute(statement, logger: PostgresSession.logger) { id = value }
    return id
  }

  static func runID(_ rows: PostgresRowSequence) async throws -> Int64 {
    var id: Int64?
    for try await (value) in rows.decode(Int64.self) { id = value }
    guard let id else { throw StoreError(.sqlite, "the server returned no id for the new run") }
    return id
  }

  /// The `tensor_data` row holding `data`: an existing one with the same digest and bytes, or a new one.
  static func sharedData(_ data: Data, digest: String, _ connection: PostgresConnection) async throws -> Int64 {
    try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(digest)))", logger: PostgresSession.logger)
    for try await (id) in try await connection.query(
      "SELECT id FROM tensor_data WHERE digest = \(digest) AND data = \(data) LIMIT 1", logger: PostgresSession.logger
    ).decode(Int64.self) {
      return id
    }
    return try await runID(
      connection.query("INSERT INTO tensor_data (digest, data) VALUES (\(digest), \(data)) RETURNING id", logger: PostgresSession.logger))
  }

  static let insertSQL: String = {
    var next = 0
    func parameters(_ types: [String]) -> String {
      types.map { type in
        next += 1
        return "$\(next)::\(type)"
      }.joined(separator: ", ")
    }
    // Every parameter carries its type, so the statement prepares the same whatever the first run binds as NULL.
    let runColumns = RunColumns.all.map(\.name).joined(separator: ", ")
    let runValues = parameters(RunColumns.all.map(\.kind.rawValue))
    func child(_ table: String, _ columns: [(String, String)]) -> String {
      let names = columns.map(\.0).joined(separator: ", ")
      return """
        \(table)_rows AS (INSERT INTO \(table) (run_id, \(names))
          SELECT run.id, \(columns.map { "u." + $0.0 }.joined(separator: ", ")) FROM run,
            unnest(\(parameters(columns.map(\.1)))) WITH ORDINALITY AS u(\(names), position) ORDER BY u.position)
        """
    }
    let children = [
      child(
        "tensors",
        [("role", "text[]"), ("idx", "text[]"), ("name", "text[]"), ("dtype", "text[]"), ("shape", "text[]"), ("numel", "int8[]"),
         ("digest", "text[]"), ("min", "float8[]"), ("max", "float8[]"), ("mean", "float8[]"), ("nan_count", "int8[]"),
         ("inf_count", "int8[]"), ("data", "bytea[]"), ("data_id", "int8[]")]),
      child(
        "timings",
        [("phase", "text[]"), ("n", "int8[]"), ("min_s", "float8[]"), ("median_s", "float8[]"), ("max_s", "float8[]"),
         ("samples", "bytea[]")]),
      child("checks", [("name", "text[]"), ("max_abs", "float8[]"), ("max_rel", "float8[]"), ("ok", "int8[]")]),
      child("tags", [("key", "text[]"), ("value", "text[]")]),
      child("functions", [("name", "text[]"), ("source", "text[]")]),
      child("grid", [("key", "text[]"), ("value", "text[]")]),
    ]
    return "WITH run AS (INSERT INTO runs (\(runColumns)) VALUES (\(runValues)) ON CONFLICT (uuid) DO NOTHING RETURNING id),\n"
      + children.joined(separator: ",\n") + "\nSELECT id FROM run"
  }()

  /// The parameters of `insertSQL`, in its order: the run's columns (`RunColumns`), then each child table's arrays.
  static func bindings(_ run: NewRun, data: [Data?], dataIDs: [Int64?]) -> PostgresBindings {
    var binds = PostgresBindings(capacity: 60)
    RunColumns.bind(run, withSweep: true, into: &binds)

    let tensors = run.tensors
    binds.append(PostgresColumn.text(tensors.map(\.role)))
    binds.append(PostgresColumn.text(tensors.map { IntegerList.text($0.index) }))
    binds.append(PostgresColumn.text(tensors.map(\.name)))
    binds.append(PostgresColumn.text(tensors.map(\.dtype.rawValue)))
    binds.append(PostgresColumn.text(tensors.map { IntegerList.text($0.shape) }))
    binds.append(PostgresColumn.int8(tensors.map { Int64($0.elementCount) }))
    binds.append(PostgresColumn.text(tensors.map(\.digestHex)))
    binds.append(PostgresColumn.float8(tensors.map(\.summary.min)))
    binds.append(PostgresColumn.float8(tensors.map(\.summary.max)))
    binds.append(PostgresColumn.float8(tensors.map(\.summary.mean)))
    binds.append(PostgresColumn.int8(tensors.map { Int64($0.summary.nanCount) }))
    binds.append(PostgresColumn.int8(tensors.map { Int64($0.summary.infCount) }))
    binds.append(PostgresColumn.bytea(data))
    binds.append(PostgresColumn.int8(dataIDs))

    binds.append(PostgresColumn.text(run.timings.map(\.phase)))
    binds.append(PostgresColumn.int8(run.timings.map { Int64($0.samples.count) }))
    binds.append(PostgresColumn.float8(run.timings.map(\.min)))
    binds.append(PostgresColumn.float8(run.timings.map(\.median)))
    binds.append(PostgresColumn.float8(run.timings.map(\.max)))
    binds.append(PostgresColumn.bytea(run.timings.map { LittleEndian.bytes($0.samples, as: \.bitPattern) }))

    binds.append(PostgresColumn.text(run.checks.map(\.name)))
    binds.append(PostgresColumn.float8(run.checks.map(\.maxAbs)))
    binds.append(PostgresColumn.float8(run.checks.map(\.maxRel)))
    binds.append(PostgresColumn.int8(run.checks.map { $0.ok ? 1 : 0 }))

    for pairs in [run.tags, run.functions, run.grid] {
      binds.append(PostgresColumn.text(Array(pairs.keys)))
      binds.append(PostgresColumn.text(Array(pairs.values)))
    }
    return binds
  }
}

extension PostgresBindings: RunRowBinding {
  mutating func bind(_ value: String?) { append(value) }
  mutating func bind(_ value: Int64?) { append(value) }
}

/// `insertSQL` prepared once per connection: parsing and planning its seven inserts on every run cost
/// more than running them.
struct RunInsertStatement: PostgresPreparedStatement {
  typealias Row = Int64
  static let name = "jvplab_insert_run"
  static let sql = PostgresStore.insertSQL

  var bindings: PostgresBindings

  func makeBindings() -> PostgresBindings { bindings }
  func decodeRow(_ row: PostgresRow) throws -> Int64 { try row.decode(Int64.self) }
}
