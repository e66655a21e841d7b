import Foundation
import PostgresNIO

/// Recording a run into PostgreSQL: one statement, so one round trip and one transaction per run.
///
/// The run row and all its tensors, timings, checks, tags, functions and grid values go in a single
/// `WITH run AS (INSERT ... RETURNING id), ... INSERT ... SELECT FROM unnest($n, ...)` statement, each
/// child table's column bound as one array parameter. Data of 64 KiB or more is looked up in (or added to)
/// `tensor_data` first, in the same transaction, under an advisory lock on its digest, so concurrent
/// writers of the same content store it once, as on SQLite.
extension PostgresStore {
  public func record(_ run: NewRun) throws(StoreError) -> Int64 {
    guard mode == .readWrite else { throw StoreError(.readOnly, "\(path) was opened read-only: cannot record a run") }
    try RunStore.requireDistinct(run.timings.map(\.phase), what: "timing phase")
    try RunStore.requireDistinct(run.checks.map(\.name), what: "check")
    let limit = maxStoredElements
    let data = run.tensors.map { $0.elementCount <= limit ? $0.data : nil }
    let shared = data.indices.filter { (data[$0]?.count ?? 0) >= RunWriter.sharedDataBytes }
    let insert = Self.insert(run, data: data)
    do {
      return try session.blocking { connection in
        guard !shared.isEmpty else { return try await Self.runID(connection.query(insert, logger: PostgresSession.logger)) }
        return try await connection.withTransaction(logger: PostgresSession.logger) { connection in
          var insert = insert
          var dataIDs: [Int64?] = Array(repeating: nil, count: run.tensors.count)
          for index in shared {
            dataIDs[index] = try await Self.sharedData(data[index]!, digest: run.tensors[index].digestHex, connection)
          }
          // The last parameter is the data_id column: rebound now that the shared rows exist.
          insert.binds = Self.bindings(run, data: data.enumerated().map { dataIDs[$0.offset] == nil ? $0.element : nil }, dataIDs: dataIDs)
          return try await Self.runID(connection.query(insert, logger: PostgresSession.logger))
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
    let runColumns = """
      name, kind, fn, source, strategy, vectorize, dtype, seed, rng_offset, status, error, script, script_sha256, line,
      parent_id, started, finished, host, os, jvplab_version, command_line, numel_in, numel_out, transform, made_by,
      sweep_id, sweep_point, uuid
      """
    var next = 0
    func parameters(_ types: [String]) -> String {
      types.map { type in
        next += 1
        return type.isEmpty ? "$\(next)" : "$\(next)::\(type)"
      }.joined(separator: ", ")
    }
    let runValues = parameters(Array(repeating: "", count: 28))
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
    return "WITH run AS (INSERT INTO runs (\(runColumns)) VALUES (\(runValues)) RETURNING id),\n"
      + children.joined(separator: ",\n") + "\nSELECT id FROM run"
  }()

  static func insert(_ run: NewRun, data: [Data?]) -> PostgresQuery {
    PostgresQuery(unsafeSQL: insertSQL, binds: bindings(run, data: data, dataIDs: Array(repeating: nil, count: run.tensors.count)))
  }

  /// The parameters of `insertSQL`, in its order: the run's 28 columns, then each child table's arrays.
  static func bindings(_ run: NewRun, data: [Data?], dataIDs: [Int64?]) -> PostgresBindings {
    let info = run.info
    var binds = PostgresBindings(capacity: 60)
    var numelIn = 0
    var numelOut = 0
    for tensor in run.tensors {
      if tensor.role == "input" { numelIn += tensor.elementCount }
      if tensor.role == "output" { numelOut += tensor.elementCount }
    }
    binds.append(info.name)
    binds.append(info.kind)
    binds.append(info.function)
    binds.append(info.source)
    binds.append(info.strategy)
    binds.append(Int64(info.vectorize ? 1 : 0))
    binds.append(info.dtype)
    binds.append(info.seed)
    binds.append(info.rngOffset)
    binds.append(info.status.rawValue)
    binds.append(info.error)
    binds.append(info.script)
    binds.append(info.scriptSHA256)
    binds.append(info.line.map(Int64.init))
    binds.append(info.parent)
    binds.append(Timestamp.text(info.started))
    binds.append(info.finished.map(Timestamp.text))
    binds.append(info.host)
    binds.append(info.os)
    binds.append(info.jvplabVersion)
    binds.append(info.commandLine)
    binds.append(Int64(numelIn))
    binds.append(Int64(numelOut))
    binds.append(info.transform)
    binds.append(info.madeBy)
    binds.append(info.sweep)
    binds.append(info.sweepPoint.map(Int64.init))
    binds.append(info.uuid ?? RunUUID.random())

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
