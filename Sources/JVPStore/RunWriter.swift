import Foundation
import GRDB
import GRDBSQLite

/// Writes one run's rows with INSERT statements that each connection prepares once and reuses.
///
/// Hand-written rather than through `PersistableRecord`, and bound through SQLite's C API rather
/// than `Statement.execute(arguments:)`: recording is the hot path (the target is under 0.2 ms per
/// small run), and GRDB's arguments (every value boxed, the count validated, strings bound in
/// nested closures) cost as many instructions as SQLite's own work for the nine rows of a small
/// run. The column lists here and the record types in `Records.swift` must both follow the
/// migrations.
enum RunWriter {
  /// Runs `body` in a `BEGIN IMMEDIATE` transaction: committed when it returns, rolled back when
  /// it or the commit throws.
  ///
  /// Not GRDB's `inTransaction`, which prepares BEGIN and COMMIT anew each time: parsing them took
  /// about 26k instructions per run, 6% of recording a small one. Here they are cached like the
  /// INSERTs.
  static func inImmediateTransaction<T>(_ db: Database, _ body: () throws -> T) throws -> T {
    try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
    do {
      let result = try body()
      try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
      return result
    } catch {
      // GRDB rolls back only if SQLite has not already done so (it does on SQLITE_FULL, IOERR, ...).
      // The first error is the one to report, as GRDB's inTransaction does.
      try? db.rollback()
      throw error
    }
  }

  /// Inserts `run` (inside the caller's transaction) and returns its new id: `id` when given, else the one
  /// SQLite chooses.
  ///
  /// Tensors with more than `limit` elements are written without their data; data of `sharedDataBytes`
  /// or more goes to `tensor_data`, once.
  static func insert(_ run: NewRun, id chosen: Int64? = nil, limit: Int, into db: Database) throws -> Int64 {
    if let chosen {
      try insert([(run, chosen)], limit: limit, into: db)
      return chosen
    }
    var row = RowBinder()
    let sweepPoint = run.info.sweep != nil
    row.start(try db.cachedStatement(sql: runInsert(sweepPoint: sweepPoint, withID: false)))
    RunColumns.bind(run, withSweep: sweepPoint, into: &row)
    try row.execute()
    let id = db.lastInsertedRowID
    try insertRows(of: [(run, id)], limit: limit, &row, db, nil)
    return id
  }

  /// Inserts `batch`'s runs as the ids given (a grouped writer hands ids out before its INSERTs run), in order:
  /// consecutive rows of one table share a multi-row INSERT, across runs. Each statement costs SQLite a fixed
  /// part besides its rows (a `runs` INSERT opens the table's and its 11 indexes' cursors: about 20k
  /// instructions of a single-row one), so a writer that has fallen behind catches up in fewer statements.
  ///
  /// `prepared` keeps the statements of a connection that writes batch after batch (see `PreparedInserts`).
  static func insert(
    _ batch: some Collection<(run: NewRun, id: Int64)>, limit: Int, into db: Database, prepared: PreparedInserts? = nil
  ) throws {
    var row = RowBinder()
    var pending: [(run: NewRun, id: Int64)] = []
    pending.reserveCapacity(maxRunsPerInsert)
    // Only a sweep's points carry sweep_id and sweep_point (v0007): the INSERT every other run takes stays as it was.
    func insertPending() throws {
      guard let first = pending.first else { return }
      let sweepPoint = first.run.info.sweep != nil
      let family = runInsertFamily(sweepPoint: sweepPoint, withID: true)
      row.start(try statement(family, runInserts[family], rows: pending.count, prepared, db))
      for (run, id) in pending {
        row.bind(id)
        RunColumns.bind(run, withSweep: sweepPoint, into: &row)
      }
      try row.execute()
      pending.removeAll(keepingCapacity: true)
    }
    for entry in batch {
      if pending.count == maxRunsPerInsert || (pending.first.map { ($0.run.info.sweep != nil) != (entry.run.info.sweep != nil) } ?? false) {
        try insertPending()
      }
      pending.append(entry)
    }
    try insertPending()
    try insertRows(of: batch, limit: limit, &row, db, prepared)
  }

  /// The tensor, timing, check, tag, function and grid rows of `runs`, whose `runs` rows are in.
  private static func insertRows(
    of runs: some Collection<(run: NewRun, id: Int64)>, limit: Int, _ row: inout RowBinder, _ db: Database,
    _ prepared: PreparedInserts?
  ) throws {
    let inline = (family: 4, sql: tensorInsert.inlineRows)
    func bindTensor(_ tensor: StoredTensor, _ id: Int64, _ row: inout RowBinder) {
      bindColumns(of: tensor, run: id, &row)
      row.bind(blob: tensor.elementCount <= limit ? tensor.data : nil)
    }
    var tensors: [(StoredTensor, id: Int64)] = []
    for (run, id) in runs {
      for tensor in run.tensors {
        guard Self.isSmallInline(tensor, limit: limit) else {
          // Rows keep their order: the small rows before this one go in first.
          try insertTogether(&tensors, inline, prepared, &row, db, bind: bindTensor)
          try insertTensor(tensor, run: id, limit: limit, &row, db)
          continue
        }
        tensors.append((tensor, id))
        if tensors.count == maxRowsPerInsert { try insertTogether(&tensors, inline, prepared, &row, db, bind: bindTensor) }
      }
    }
    try insertTogether(&tensors, inline, prepared, &row, db, bind: bindTensor)

    try insertTogether(runs.flatMap { run in run.run.timings.map { ($0, id: run.id) } }, (5, timingInsert), prepared, &row, db) { series, id, row in
      row.bind(id)
      row.bind(series.phase)
      row.bind(Int64(series.samples.count))
      row.bind(series.min)
      row.bind(series.median)
      row.bind(series.max)
      row.bind(blob: LittleEndian.bytes(series.samples, as: \.bitPattern))
    }
    try insertTogether(runs.flatMap { run in run.run.checks.map { ($0, id: run.id) } }, (6, checkInsert), prepared, &row, db) { check, id, row in
      row.bind(id)
      row.bind(check.name)
      // SQLite would turn NaN into NULL anyway; say so here rather than rely on it.
      row.bind(check.maxAbs.isNaN ? nil : check.maxAbs)
      row.bind(check.maxRel.isNaN ? nil : check.maxRel)
      row.bind(check.ok)
    }

    for (run, id) in runs {
      try insertPairs(run.tags, sql: "INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?)", run: id, &row, db)
      try insertPairs(run.functions, sql: "INSERT INTO functions (run_id, name, source) VALUES (?, ?, ?)", run: id, &row, db)
      try insertPairs(run.grid, sql: "INSERT INTO grid (run_id, key, value) VALUES (?, ?, ?)", run: id, &row, db)
    }
  }

  /// `rows`, `maxRowsPerInsert` to an INSERT (`statements.sql[k - 1]` inserts k), each bound by `bind`.
  private static func insertTogether<Value>(
    _ rows: [(Value, id: Int64)], _ statements: (family: Int, sql: [String]), _ prepared: PreparedInserts?,
    _ row: inout RowBinder, _ db: Database, bind: (Value, Int64, inout RowBinder) -> Void
  ) throws {
    var start = 0
    while start < rows.count {
      var chunk = Array(rows[start..<min(start + maxRowsPerInsert, rows.count)])
      start += chunk.count
      try insertTogether(&chunk, statements, prepared, &row, db, bind: bind)
    }
  }

  /// `rows` (at most `maxRowsPerInsert`) in one INSERT of `statements.sql[rows.count - 1]`; empties `rows`.
  private static func insertTogether<Value>(
    _ rows: inout [(Value, id: Int64)], _ statements: (family: Int, sql: [String]), _ prepared: PreparedInserts?,
    _ row: inout RowBinder, _ db: Database, bind: (Value, Int64, inout RowBinder) -> Void
  ) throws {
    guard !rows.isEmpty else { return }
    row.start(try statement(statements.family, statements.sql, rows: rows.count, prepared, db))
    for (value, id) in rows { bind(value, id, &row) }
    try row.execute()
    rows.removeAll(keepingCapacity: true)
  }

  /// The INSERT of `rows` runs' rows (at most `maxRunsPerInsert`), sweep points' with their sweep and point
  /// besides, with the ids given or SQLite's (one row only).
  static func runInsert(sweepPoint: Bool, withID: Bool, rows: Int = 1) -> String {
    runInserts[runInsertFamily(sweepPoint: sweepPoint, withID: withID)][rows - 1]
  }

  /// Which of `runInserts` (numbered 0 to 3 among `PreparedInserts`' families; tensors, timings and checks are 4 to 6).
  private static func runInsertFamily(sweepPoint: Bool, withID: Bool) -> Int {
    (sweepPoint ? 2 : 0) + (withID ? 1 : 0)
  }

  /// A statement of `sql` (`sql[rows - 1]`), from `prepared` when the caller keeps one, else from GRDB's cache.
  private static func statement(
    _ family: Int, _ sql: [String], rows: Int, _ prepared: PreparedInserts?, _ db: Database
  ) throws -> Statement {
    if let prepared { return try prepared.statement(family, sql, rows: rows, db) }
    return try db.cachedStatement(sql: sql[rows - 1])
  }

  /// `runInsert`'s statements: plain, plain with id, sweep point, sweep point with id; each for 1 to
  /// `maxRunsPerInsert` rows.
  private static let runInserts = {
    let all = RunColumns.all.map(\.name)
    let plain = Array(all.dropLast(RunColumns.sweepColumnCount))
    return [plain, ["id"] + plain, all, ["id"] + all].map { columns in
      let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
      return (1...maxRunsPerInsert).map {
        "INSERT INTO runs (\(columns.joined(separator: ", "))) VALUES " + repeatElement(row, count: $0).joined(separator: ", ")
      }
    }
  }()

  /// A tensor row with its data in place, one pointing at `tensor_data`, and 1 to `maxRowsPerInsert` rows
  /// with their data in place (`inlineRows[k - 1]` inserts k).
  static let tensorInsert = {
    let columns = "run_id, role, idx, name, dtype, shape, numel, digest, min, max, mean, nan_count, inf_count"
    let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    return (
      inline: "INSERT INTO tensors (\(columns), data) VALUES \(row)",
      shared: "INSERT INTO tensors (\(columns), data_id) VALUES \(row)",
      inlineRows: rowCounts.map { "INSERT INTO tensors (\(columns), data) VALUES " + repeatElement(row, count: $0).joined(separator: ", ") }
    )
  }()

  /// 1 to `maxRowsPerInsert` timing rows (`timingInsert[k - 1]` inserts k).
  static let timingInsert = rowCounts.map {
    "INSERT INTO timings (run_id, phase, n, min_s, median_s, max_s, samples) VALUES "
      + repeatElement("(?, ?, ?, ?, ?, ?, ?)", count: $0).joined(separator: ", ")
  }

  /// 1 to `maxRowsPerInsert` check rows (`checkInsert[k - 1]` inserts k).
  static let checkInsert = rowCounts.map {
    "INSERT INTO checks (run_id, name, max_abs, max_rel, ok) VALUES " + repeatElement("(?, ?, ?, ?, ?)", count: $0).joined(separator: ", ")
  }

  /// The most tensor, timing or check rows one INSERT writes; more are split.
  static let maxRowsPerInsert = 32
  /// The most `runs` rows one INSERT writes (27 or 29 values each).
  static let maxRunsPerInsert = 8
  private static let rowCounts = Array(1...maxRowsPerInsert)

  /// Data a multi-row INSERT copies into SQLite (every row's data must be bound before the one step):
  /// small enough that the copy costs less than the statement it saves. Larger data is bound in place, alone.
  static let smallDataBytes = 4096

  /// Whether `tensor` goes in a multi-row INSERT: its row holds no data or small data.
  private static func isSmallInline(_ tensor: StoredTensor, limit: Int) -> Bool {
    tensor.elementCount > limit || (tensor.data?.count ?? 0) <= smallDataBytes
  }

  /// Inserts one tensor row on its own, its data bound in place (or stored once in `tensor_data`).
  private static func insertTensor(_ tensor: StoredTensor, run id: Int64, limit: Int, _ row: inout RowBinder, _ db: Database) throws {
    // data (or data_id) last: data is bound without a copy for the one step that reads it.
    let data = tensor.elementCount <= limit ? tensor.data : nil
    let dataID = try data.flatMap { $0.count >= sharedDataBytes ? try sharedData($0, digest: tensor.digestHex, &row, db) : nil }
    row.start(try db.cachedStatement(sql: dataID == nil ? tensorInsert.inline : tensorInsert.shared))
    bindColumns(of: tensor, run: id, &row)
    if let dataID {
      row.bind(dataID)
      try row.execute()
    } else {
      try row.execute(lastBlob: data)
    }
  }

  /// The columns of a tensor row before its data.
  private static func bindColumns(of tensor: StoredTensor, run id: Int64, _ row: inout RowBinder) {
    let summary = tensor.summary
    row.bind(id)
    row.bind(tensor.role)
    row.bind(IntegerList.text(tensor.index))
    row.bind(tensor.name)
    row.bind(tensor.dtype.rawValue)
    row.bind(IntegerList.text(tensor.shape))
    row.bind(Int64(tensor.elementCount))
    row.bind(tensor.digestHex)
    row.bind(summary.min)
    row.bind(summary.max)
    row.bind(summary.mean)
    row.bind(Int64(summary.nanCount))
    row.bind(Int64(summary.infCount))
  }

  /// Data of at least this many bytes is stored once in `tensor_data`, however many tensors hold it:
  /// runs with the same seed record the same inputs (and, being deterministic, the same results).
  /// Smaller data stays in its row, where it costs no index lookup.
  static let sharedDataBytes = 64 * 1024

  /// The `tensor_data` row holding `data`: an existing one with the same digest and the same bytes (the
  /// digest alone is 64 bits, not proof), or a new one.
  private static func sharedData(_ data: Data, digest: String, _ row: inout RowBinder, _ db: Database) throws -> Int64 {
    row.start(try db.cachedStatement(sql: "SELECT id FROM tensor_data WHERE digest = ? AND data = ? LIMIT 1"))
    row.bind(digest)
    if let existing = try row.firstInteger(lastBlob: data) { return existing }
    row.start(try db.cachedStatement(sql: "INSERT INTO tensor_data (digest, data) VALUES (?, ?)"))
    row.bind(digest)
    try row.execute(lastBlob: data)
    return db.lastInsertedRowID
  }

  /// One `(run_id, key, value)` row per entry of `pairs` (tags, function sources, grid values).
  private static func insertPairs(
    _ pairs: [String: String], sql: String, run id: Int64, _ row: inout RowBinder, _ db: Database
  ) throws {
    guard !pairs.isEmpty else { return }
    let statement = try db.cachedStatement(sql: sql)
    for (key, value) in pairs {
      row.start(statement)
      row.bind(id)
      row.bind(key)
      row.bind(value)
      try row.execute()
    }
  }
}

/// Binds the `?` of cached INSERTs in order through `sqlite3_bind_*` and runs them, one statement (of
/// one row or several) at a time; one binder serves all the rows of a run.
///
/// The statements are GRDB's (prepared once per connection) and run inside the caller's
/// transaction, which rolls back when `execute` throws. Values are bound as GRDB binds them: text
/// up to its first NUL, NULL for nil. Text and blobs are bound in place (`SQLITE_STATIC`) for the
/// one step that reads them rather than copied by SQLite, which cost a malloc and a free for each
/// of the 37 text values of a small run; every binding is cleared after the step, so that no
/// pointer outlives the bytes it points into.
private struct RowBinder: RunRowBinding {
  private var handle: SQLiteStatement?
  private var next: CInt = 1
  /// The first binding SQLite refused (a value over its length limit), thrown by `execute`.
  private var bindingError: CInt = SQLITE_OK
  /// The UTF-8 of the row's text values, and which parameter each range goes to.
  private var utf8: [UInt8] = []
  private var texts: [(index: CInt, start: Int, count: Int)] = []

  /// SQLite copies such a value before the call returns.
  private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

  init() {
    // Enough for the rows of a typical run, so that appending does not reallocate.
    utf8.reserveCapacity(1024)
    texts.reserveCapacity(24)
  }

  /// Starts a row of `statement`.
  mutating func start(_ statement: Statement) {
    handle = statement.sqliteStatement
    // Rewinds the statement; its return value repeats the last step's error, already thrown then.
    sqlite3_reset(statement.sqliteStatement)
    next = 1
    bindingError = SQLITE_OK
    utf8.removeAll(keepingCapacity: true)
    texts.removeAll(keepingCapacity: true)
  }

  mutating func bind(_ value: Int64?) {
    record(value.map { sqlite3_bind_int64(handle, next, $0) } ?? sqlite3_bind_null(handle, next))
  }

  /// Binds `blob` now, copied by SQLite: for rows of a multi-row INSERT, whose blobs must all be bound before
  /// the one step. NULL for nil.
  mutating func bind(blob: Data?) {
    guard let blob else { return record(sqlite3_bind_null(handle, next)) }
    record(blob.withUnsafeBytes { bytes in
      // An empty blob has no base address, and a NULL pointer would bind NULL: X'' it is.
      bytes.isEmpty
        ? sqlite3_bind_zeroblob(handle, next, 0)
        : sqlite3_bind_blob64(handle, next, bytes.baseAddress, sqlite3_uint64(bytes.count), Self.transient)
    })
  }

  mutating func bind(_ value: Bool) {
    record(sqlite3_bind_int64(handle, next, value ? 1 : 0))
  }

  mutating func bind(_ value: Double?) {
    record(value.map { sqlite3_bind_double(handle, next, $0) } ?? sqlite3_bind_null(handle, next))
  }

  /// Keeps the text's UTF-8 for `execute` to bind.
  mutating func bind(_ value: String?) {
    guard var text = value else { return record(sqlite3_bind_null(handle, next)) }
    text.withUTF8 { bytes in
      let count = bytes.firstIndex(of: 0) ?? bytes.count
      texts.append((next, utf8.count, count))
      utf8.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[..<count]))
    }
    next += 1
  }

  /// Binds `blob` as the last value and runs the statement. Tensor data can be hundreds of
  /// megabytes: it is read where it is.
  mutating func execute(lastBlob blob: Data?) throws {
    _ = try step(lastBlob: blob)
  }

  /// Binds `blob` as the last value, runs the query and returns its first row's first column, or nil
  /// when it has no row.
  /// The statement is reset after the row is read, so that it holds no read cursor: an active lookup left
  /// behind made a later `DELETE FROM tensor_data` on the connection (gc) fail with "table is locked".
  mutating func firstInteger(lastBlob blob: Data) throws -> Int64? {
    guard try step(lastBlob: blob) else { return nil }
    defer { sqlite3_reset(handle) }
    return sqlite3_column_int64(handle, 0)
  }

  private mutating func step(lastBlob blob: Data?) throws -> Bool {
    guard let blob else {
      record(sqlite3_bind_null(handle, next))
      return try step()
    }
    return try blob.withUnsafeBytes { bytes in
      // An empty blob has no base address, and a NULL pointer would bind NULL: X'' it is.
      record(
        bytes.isEmpty
          ? sqlite3_bind_zeroblob(handle, next, 0)
          : sqlite3_bind_blob64(handle, next, bytes.baseAddress, sqlite3_uint64(bytes.count), nil))
      return try step()
    }
  }

  /// Binds the text values, runs the statement, which must have had every parameter bound, and
  /// clears the bindings.
  mutating func execute() throws {
    _ = try step()
  }

  /// `execute`, for a query too: whether the statement produced a row (read it before the next `start`).
  private mutating func step() throws -> Bool {
    precondition(next - 1 == sqlite3_bind_parameter_count(handle), "\(next - 1) values bound to: \(sql)")
    defer { sqlite3_clear_bindings(handle) }
    var code = bindingError
    utf8.withUnsafeBufferPointer { buffer in
      for text in texts where code == SQLITE_OK {
        code =
          if let base = buffer.baseAddress, text.count > 0 {
            sqlite3_bind_text64(
              handle, text.index, UnsafeRawPointer(base + text.start).assumingMemoryBound(to: CChar.self),
              sqlite3_uint64(text.count), nil, UInt8(SQLITE_UTF8))
          } else {
            sqlite3_bind_text64(handle, text.index, "", 0, Self.transient, UInt8(SQLITE_UTF8))
          }
      }
      if code == SQLITE_OK { code = sqlite3_step(handle) }
    }
    if code == SQLITE_DONE || code == SQLITE_ROW { return code == SQLITE_ROW }
    let connection = sqlite3_db_handle(handle)
    // The extended code (SQLITE_CONSTRAINT_FOREIGNKEY, ...), as GRDB reports it.
    throw DatabaseError(
      resultCode: ResultCode(rawValue: sqlite3_extended_errcode(connection)),
      message: String(cString: sqlite3_errmsg(connection)), sql: sql)
  }

  private var sql: String { String(cString: sqlite3_sql(handle)) }

  private mutating func record(_ code: CInt) {
    if code != SQLITE_OK && bindingError == SQLITE_OK { bindingError = code }
    next += 1
  }
}
