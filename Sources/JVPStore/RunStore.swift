import Foundation
import GRDB

/// The jvplab database: one SQLite file of runs with their tensors, timings, checks and tags.
///
/// Owns the connection configuration and the schema, like GRDB's `AppDatabase`: opening checks
/// that the file is a jvplab database this build understands, upgrading an older one, and every
/// method after that trusts the schema. A read-write store uses one connection in WAL mode, so readers
/// never block the writer, and `BEGIN IMMEDIATE` with a busy timeout so that several processes
/// recording into one file queue up instead of failing with "database is locked".
public struct RunStore: Sendable {
  /// Whether the store may create and write the file.
  public typealias AccessMode = StoreAccessMode

  /// Tunables, with the defaults the command line uses.
  public struct Options: Sendable {
    /// Tensors with more elements are stored as shape, digest and summary only (data NULL).
    public var maxStoredElements: Int
    /// Seconds to wait for another connection's write lock before giving up.
    public var busyTimeout: TimeInterval

    public init(maxStoredElements: Int = 16 * 1024 * 1024, busyTimeout: TimeInterval = 10) {
      self.maxStoredElements = maxStoredElements
      self.busyTimeout = busyTimeout
    }
  }

  /// The path as the caller gave it; error messages name it so.
  public let path: String
  public let mode: AccessMode
  public let options: Options
  let reader: any DatabaseReader
  let writer: DatabaseQueue?

  /// Opens the database at `path`, creating it (read-write only) and bringing its schema up to date.
  ///
  /// Throws a `StoreError` naming the path when the file is missing (read-only), cannot be created
  /// or written, is not SQLite, is another application's database, or comes from a newer jvplab.
  public static func open(path: String, mode: AccessMode, options: Options = Options()) throws(StoreError) -> RunStore {
    // Several processes starting at once on a new file race to create it, switch it to WAL and migrate
    // it. Some steps of that report SQLITE_BUSY without waiting for the busy timeout (seen with 40
    // processes on two cores); the open is retried, with growing pauses, until the timeout has passed.
    let start = Date()
    var pause = 0.002
    while true {
      do {
        return try openOnce(path: path, mode: mode, options: options)
      } catch let error where error.code == .locked && Date().timeIntervalSince(start) + pause < options.busyTimeout {
        Thread.sleep(forTimeInterval: pause)
        pause = min(pause * 2, 0.1)
      }
    }
  }

  private static func openOnce(path: String, mode: AccessMode, options: Options) throws(StoreError) -> RunStore {
    let exists = try checkAccess(path: path, mode: mode)
    var configuration = Configuration()
    configuration.busyMode = .timeout(options.busyTimeout)
    configuration.foreignKeysEnabled = true
    var readOnlyConfiguration = configuration
    readOnlyConfiguration.readonly = true
    let migrator = SchemaMigrator()
    do {
      // Look before writing anything: a pool would switch another application's file to WAL.
      let inspection = exists ? try inspect(path: path, configuration: readOnlyConfiguration, migrator: migrator) : nil
      let inspector = inspection?.queue
      var state = inspection?.state ?? .empty
      switch mode {
      case .readOnly:
        guard var reader = inspector else { throw missingDatabase(path) }
        // An older jvplab's history is upgraded (one transaction) by whichever command opens it first,
        // so `query` after installing a new jvplab just works; a file this user cannot write stays
        // readable only by an older jvplab, and the error says how to upgrade it.
        if case .outdated = state, (try? upgrade(path: path, configuration: configuration, migrator: migrator, from: state)) != nil {
          (reader, state) = try inspect(path: path, configuration: readOnlyConfiguration, migrator: migrator)
        }
        try check(state, path: path, migrator: migrator)
        return RunStore(path: path, mode: mode, options: options, reader: reader, writer: nil)
      case .readWrite:
        switch state {
        case .newer, .foreign: try check(state, path: path, migrator: migrator)
        case .empty, .outdated, .current: break
        }
        let queue = try upgrade(path: path, configuration: configuration, migrator: migrator, from: state)
        return RunStore(path: path, mode: mode, options: options, reader: queue, writer: queue)
      }
    } catch {
      throw StoreError(error, path: path)
    }
  }

  /// A writing connection on `path` in WAL mode with the current schema: an `.empty` or `.outdated`
  /// database is brought up to date first, in one transaction.
  ///
  /// A `DatabaseQueue` rather than a `DatabasePool`: a pool's opening writes to a database whose WAL
  /// is empty (GRDB's guard for pool readers), so it fails while another process holds the write
  /// lock, before a run has even started. One connection opens without any lock; WAL still lets
  /// other processes read while this one writes.
  @discardableResult
  private static func upgrade(
    path: String, configuration: Configuration, migrator: SchemaMigrator, from state: SchemaState
  ) throws -> DatabaseQueue {
    var configuration = configuration
    configuration.prepareDatabase { db in
      // A killed process loses nothing with synchronous=NORMAL in WAL mode (only a power cut can drop
      // the last commits), and commits do not wait for an fsync each.
      try db.execute(sql: "PRAGMA synchronous = NORMAL")
      // Statement journals (a group's savepoints open one) stay in memory: on disk they were a /var/tmp
      // file taking about 11 small writes per run recorded, more than the WAL's own.
      try db.execute(sql: "PRAGMA temp_store = MEMORY")
    }
    // `GroupedRuns` keeps a transaction open from one run to the next.
    configuration.allowsUnsafeTransactions = true
    let queue = try DatabaseQueue(path: path, configuration: configuration)
    let upgraded = try queue.writeWithoutTransaction { db in
      // A new file reclaims the space of deleted runs page by page (`jvplab gc`), never by a VACUUM
      // that would hold writers up; SQLite takes the setting only before the file has a table or WAL.
      if state == .empty { try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL") }
      // Reading the mode takes no lock; switching a new file to WAL does, once.
      if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
        guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
          throw DatabaseError(message: "could not switch \(path) to WAL mode")
        }
      }
      return state == .current ? state : try migrator.upgrade(db)
    }
    try check(upgraded, path: path, migrator: migrator)
    return queue
  }

  /// A read-only connection to the existing file at `path` and the schema state it finds.
  ///
  /// Reading a WAL database needs its `-shm` index, which SQLite creates next to the file. A user
  /// who may read the database but not write its directory (a colleague's results, a read-only
  /// share) cannot create it, and SQLite then refuses even to read. When no `-wal` file exists
  /// (so every committed run is in the main file and no writer has it open), jvplab reads the
  /// file as immutable instead, which needs no index and no locks. A writer creates both files,
  /// readable by others, so while one runs the ordinary read-only open works.
  private static func inspect(
    path: String, configuration: Configuration, migrator: SchemaMigrator
  ) throws -> (queue: DatabaseQueue, state: SchemaState) {
    do {
      let queue = try DatabaseQueue(path: path, configuration: configuration)
      return (queue, try queue.read(migrator.state))
    } catch let error as DatabaseError
      where [.SQLITE_READONLY, .SQLITE_CANTOPEN].contains(error.resultCode.primaryResultCode)
    {
      let wal = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
      guard wal == 0, let uri = immutableURI(path) else { throw error }
      // Where SQLite does not take URIs, this open fails and the original error stands.
      guard let immutable = try? DatabaseQueue(path: uri, configuration: configuration),
        let state = try? immutable.read(migrator.state)
      else { throw error }
      return (immutable, state)
    }
  }

  /// `file:/absolute/path?immutable=1`, with the characters URIs reserve escaped.
  private static func immutableURI(_ path: String) -> String? {
    let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
    guard let escaped = absolute.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#%")))
    else { return nil }
    return "file:\(escaped)?immutable=1"
  }

  private init(path: String, mode: AccessMode, options: Options, reader: any DatabaseReader, writer: DatabaseQueue?) {
    self.path = path
    self.mode = mode
    self.options = options
    self.reader = reader
    self.writer = writer
  }

  // MARK: - Writing

  /// Writes `run` with its tensors, timings, checks and tags in one transaction and returns its id.
  ///
  /// Tensors over `options.maxStoredElements` keep only shape, digest and summary. A process
  /// killed while recording leaves either the whole run or nothing.
  public func record(_ run: NewRun) throws(StoreError) -> Int64 {
    guard let writer else { throw StoreError(.readOnly, "\(path) was opened read-only: cannot record a run") }
    try Self.validate(run)
    return try guarded {
      try Self.explainingParent(of: run, in: path) {
        try writer.writeWithoutTransaction { db in
          try RunWriter.inImmediateTransaction(db) {
            try RunWriter.insert(run, limit: options.maxStoredElements, into: db)
          }
        }
      }
    }
  }

  /// Refuses a run SQLite would take but jvplab could not read back: two timings or checks of one name.
  static func validate(_ run: NewRun) throws(StoreError) {
    try requireDistinct(run.timings.map(\.phase), what: "timing phase")
    try requireDistinct(run.checks.map(\.name), what: "check")
  }

  /// Runs `write`, which inserts `run`, naming the missing parent when SQLite refuses a foreign key.
  static func explainingParent<T>(of run: NewRun, in path: String, _ write: () throws -> T) throws -> T {
    do {
      return try write()
    } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
      // Every other foreign key of the run's rows points at the run itself.
      throw StoreError(.invalidInput, "cannot record the run: its parent run \(run.parent ?? 0) is not in \(path)")
    }
  }

  // MARK: - Reading

  /// The run `id` with everything recorded about it, or nil if there is no such run.
  public func run(id: Int64) throws(StoreError) -> RunDetail? {
    try guarded { try reader.read { db in try detail(db, id: id) } }
  }

  /// The run `id` with everything recorded about it, read inside the caller's transaction.
  func detail(_ db: Database, id: Int64) throws -> RunDetail? {
    guard let row = try RunRow.fetchOne(db, key: id), let summary = try summaries(db, [row]).first else {
      return nil
    }
    let tensors = try TensorRow.fetchAll(db, sql: TensorRow.sql, arguments: [id]).map { row in
      guard let tensor = row.tensor else { throw damaged("tensor \(row.id) of run \(id)") }
      return tensor
    }
    let functions = try Row.fetchAll(db, sql: "SELECT name, source FROM functions WHERE run_id = ?", arguments: [id])
    return RunDetail(
      summary: summary, tensors: tensors,
      functions: Dictionary(functions.map { ($0["name"] as String, $0["source"] as String) }, uniquingKeysWith: { a, _ in a }))
  }

  /// The run id a command-line RUN reference names: `17`, `latest`, `latest~N` (N runs before the latest),
  /// or `uuid:PREFIX` (the run whose UUID starts so). `latest` counts live runs only; an id or UUID names a
  /// removed run too (`show`, `restore`).
  public func resolve(_ reference: String) throws(StoreError) -> Int64 {
    if reference.hasPrefix(RunUUID.referencePrefix) {
      return try resolve(uuidPrefix: String(reference.dropFirst(RunUUID.referencePrefix.count)), reference: reference)
    }
    if let id = Int64(reference) {
      let exists = try guarded { try reader.read { try RunRow.exists($0, key: id) } }
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
    let (id, count) = try guarded {
      try reader.read { db in
        (
          try Int64.fetchOne(
            db, sql: "SELECT id FROM runs WHERE deleted IS NULL ORDER BY id DESC LIMIT 1 OFFSET ?", arguments: [back]),
          try Int.fetchOne(db, sql: "SELECT count(*) FROM runs WHERE deleted IS NULL") ?? 0
        )
      }
    }
    guard let id else {
      let holding = count == 0 ? "holds no runs yet" : "holds only \(count) run\(count == 1 ? "" : "s")"
      throw StoreError(.noSuchRun, "\(reference): \(path) \(holding)")
    }
    return id
  }

  /// The runs `query` selects, in its order, without their tensors.
  public func runs(matching query: RunQuery) throws(StoreError) -> [RunSummary] {
    try guarded {
      try reader.read { db in
        let compiled = query.sqlite
        let rows = try RunRow.fetchAll(db, sql: compiled.sql, arguments: StatementArguments(compiled.arguments.map(\.databaseValue)))
        return try summaries(db, rows)
      }
    }
  }

  /// How many runs `query`'s filter matches, ignoring its limit and offset.
  public func count(matching query: RunQuery) throws(StoreError) -> Int {
    try guarded {
      try reader.read { db in
        try Int.fetchOne(db, sql: query.sqlite.countSQL, arguments: StatementArguments(query.sqlite.countArguments.map(\.databaseValue))) ?? 0
      }
    }
  }

  /// SQLite's `PRAGMA data_version` on this store's connection: it changes when another connection
  /// commits, so a long-lived reader (`jvplab ui`) polls it to see new runs that other processes record.
  public func dataVersion() throws(StoreError) -> Int64 {
    try guarded {
      try reader.unsafeReentrantRead { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
    }
  }

  /// Runs one read-only SQL statement for `jvplab query --sql` and returns its columns and rows.
  ///
  /// It runs on a read-only connection, and a statement that would write is refused before it runs.
  public func rawQuery(sql: String) throws(StoreError) -> RawQueryResult {
    try guarded {
      try reader.read { db in
        let statement: Statement
        do {
          statement = try db.makeStatement(sql: sql)
        } catch let error as DatabaseError {
          throw StoreError(.badSQL, "--sql: \(error.message ?? "\(error.resultCode)")")
        }
        guard statement.isReadonly else {
          throw StoreError(.badSQL, "--sql runs read-only: this statement would change \(path)")
        }
        do {
          let rows = try Row.fetchAll(statement).map { row in Array(row.databaseValues.map(SQLValue.init)) }
          return RawQueryResult(columns: statement.columnNames, rows: rows)
        } catch let error as DatabaseError {
          throw StoreError(.badSQL, "--sql: \(error.message ?? "\(error.resultCode)")")
        }
      }
    }
  }

  // MARK: - Helpers

  /// Summaries of `rows`, with their tags, timings and checks fetched for all rows at once.
  private func summaries(_ db: Database, _ rows: [RunRow]) throws -> [RunSummary] {
    var tags: [Int64: [String: String]] = [:]
    var timings: [Int64: [TimingSeries]] = [:]
    var checks: [Int64: [CheckResult]] = [:]
    var grids: [Int64: [String: String]] = [:]
    let ids = rows.map(\.id)
    // Chunks keep the `IN (...)` lists well under SQLite's limit on bound parameters.
    for start in stride(from: 0, to: ids.count, by: 500) {
      let chunk = Array(ids[start..<min(start + 500, ids.count)])
      for tag in try TagRow.filter(chunk.contains(Column("run_id"))).fetchAll(db) {
        tags[tag.runId, default: [:]][tag.key] = tag.value
      }
      // Only sweep points have grid values: a listing of other runs skips the lookup.
      let points = rows[start..<min(start + 500, rows.count)].filter { $0.sweepId != nil }.map(\.id)
      if !points.isEmpty {
        let placeholders = Array(repeating: "?", count: points.count).joined(separator: ",")
        let sql = "SELECT run_id, key, value FROM grid WHERE run_id IN (\(placeholders))"
        for value in try TagRow.fetchAll(db, sql: sql, arguments: StatementArguments(points)) {
          grids[value.runId, default: [:]][value.key] = value.value
        }
      }
      for row in try TimingRow.filter(chunk.contains(Column("run_id"))).order(Column("id")).fetchAll(db) {
        guard let series = row.series else { throw damaged("timing '\(row.phase)' of run \(row.runId)") }
        timings[row.runId, default: []].append(series)
      }
      for row in try CheckRow.filter(chunk.contains(Column("run_id"))).order(Column("id")).fetchAll(db) {
        checks[row.runId, default: []].append(row.check)
      }
    }
    return try rows.map { row in
      guard let info = row.info else { throw damaged("run \(row.id)") }
      return RunSummary(
        id: row.id, info: info, inputElements: row.numelIn, outputElements: row.numelOut, tags: tags[row.id] ?? [:],
        timings: timings[row.id] ?? [], checks: checks[row.id] ?? [], grid: grids[row.id] ?? [:])
    }
  }

  func damaged(_ what: String) -> StoreError {
    StoreError(.damaged, "\(path) is damaged: \(what) holds a value jvplab never writes")
  }

  /// Runs `body`, turning whatever it throws into a `StoreError` that names the database.
  func guarded<T>(_ body: () throws -> T) throws(StoreError) -> T {
    do {
      return try body()
    } catch {
      throw StoreError(error, path: path)
    }
  }

  static func requireDistinct(_ names: [String], what: String) throws(StoreError) {
    guard names.count > 1 else { return }
    var seen = Set<String>()
    for name in names where !seen.insert(name).inserted {
      throw StoreError(.invalidInput, "a run cannot hold two \(what)s named '\(name)'")
    }
  }

  private static func check(_ state: SchemaState, path: String, migrator: SchemaMigrator) throws(StoreError) {
    let empty = StoreError(.notJVPLab, "\(path) is an empty database, not a jvplab one yet (jvplab run creates one)")
    if let refusal = StoreError.schema(state, of: path, engine: "an SQLite", currentVersion: migrator.currentVersion, whenEmpty: empty) {
      throw refusal
    }
  }

  private static func missingDatabase(_ path: String) -> StoreError {
    StoreError(.missingDatabase, "no jvplab database at \(path) (jvplab run creates one)")
  }

  /// Fails early, with the path in the message, where SQLite would fail late or vaguely, and
  /// tells whether the file exists.
  private static func checkAccess(path: String, mode: AccessMode) throws(StoreError) -> Bool {
    guard !path.isEmpty else { throw StoreError(.inaccessible, "the database path is empty") }
    if let kind = FileKind.special(atPath: path) {
      throw StoreError(.inaccessible, "\(path) is \(kind), not a jvplab database")
    }
    let files = FileManager.default
    var isDirectory: ObjCBool = false
    let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
    guard files.fileExists(atPath: path, isDirectory: &isDirectory) else {
      if mode == .readOnly { throw missingDatabase(path) }
      var directoryIsDirectory: ObjCBool = false
      guard files.fileExists(atPath: directory, isDirectory: &directoryIsDirectory) else {
        throw StoreError(.inaccessible, "cannot create \(path): directory \(directory) does not exist")
      }
      guard directoryIsDirectory.boolValue else {
        throw StoreError(.inaccessible, "cannot create \(path): \(directory) is not a directory")
      }
      guard files.isWritableFile(atPath: directory) else {
        throw StoreError(.inaccessible, "cannot create \(path): directory \(directory) is not writable")
      }
      return false
    }
    guard files.isReadableFile(atPath: path) else {
      throw StoreError(.inaccessible, "cannot read \(path): permission denied")
    }
    if mode == .readWrite {
      guard files.isWritableFile(atPath: path) else {
        throw StoreError(.inaccessible, "cannot record into \(path): the file is read-only")
      }
      guard files.isWritableFile(atPath: directory) || files.fileExists(atPath: path + "-wal") else {
        throw StoreError(
          .inaccessible, "cannot record into \(path): directory \(directory) is not writable (SQLite keeps \(path)-wal there)")
      }
    }
    let header = FileHandle(forReadingAtPath: path).flatMap { handle in
      defer { try? handle.close() }
      return try? handle.read(upToCount: 16)
    }
    if let header, !header.isEmpty, header != Data("SQLite format 3\0".utf8) {
      throw StoreError(.notSQLite, "\(path) is not a jvplab database: it is not an SQLite file")
    }
    return true
  }
}

extension StoreError {
  /// `error` as a store error about the database at `path`: SQLite's result codes become codes and
  /// messages a user can act on.
  init(_ error: any Error, path: String) {
    if let error = error as? StoreError {
      self = error
      return
    }
    if error is RowDecodingError {
      self.init(.damaged, "\(path) is damaged: \(error)")
      return
    }
    guard let error = error as? DatabaseError else {
      self.init(.sqlite, "\(path): \(error)")
      return
    }
    let detail = error.message ?? "\(error.resultCode)"
    switch error.resultCode.primaryResultCode {
    case .SQLITE_BUSY, .SQLITE_LOCKED:
      self.init(.locked, "\(path) stayed locked by another process past the busy timeout: \(detail)")
    case .SQLITE_NOTADB:
      self.init(.notSQLite, "\(path) is not a jvplab database: it is not an SQLite file")
    case .SQLITE_CORRUPT:
      self.init(.damaged, "\(path) is damaged: \(detail)")
    case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH:
      self.init(.inaccessible, "cannot use \(path): \(detail)")
    case .SQLITE_CONSTRAINT:
      self.init(.invalidInput, "\(path) refused the run: \(detail)")
    default:
      self.init(.sqlite, "\(path): \(detail)")
    }
  }
}
