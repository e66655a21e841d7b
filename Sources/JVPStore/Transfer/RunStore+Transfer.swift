import Foundation
import GRDB

/// Copying whole runs in and out of an SQLite store, by UUID (v0008).
extension RunStore: RunTransferStore {
  public var location: String { path }

  public func transferEntries(matching query: RunQuery) throws(StoreError) -> [TransferEntry] {
    try guarded {
      try reader.read { db in
        let compiled = query.compiled(for: .sqlite)
        let arguments = StatementArguments(compiled.arguments.map(\.databaseValue))
        return try Row.fetchAll(db, sql: "SELECT id, uuid FROM (\(compiled.sql))", arguments: arguments).map { row in
          guard let uuid = row["uuid"] as String? else { throw damaged("the uuid of run \(row["id"] as Int64)") }
          return TransferEntry(id: row["id"], uuid: uuid)
        }
      }
    }
  }

  public func presentUUIDs(_ uuids: [String]) throws(StoreError) -> Set<String> {
    try guarded {
      try reader.read { db in
        var present = Set<String>()
        // Chunks keep the `IN (...)` lists well under SQLite's limit on bound parameters.
        for start in stride(from: 0, to: uuids.count, by: 500) {
          let chunk = Array(uuids[start..<min(start + 500, uuids.count)])
          let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
          present.formUnion(
            try String.fetchAll(db, sql: "SELECT uuid FROM runs WHERE uuid IN (\(placeholders))", arguments: StatementArguments(chunk)))
        }
        return present
      }
    }
  }

  public func bundles(uuids: [String]) throws(StoreError) -> [RunBundle] {
    try guarded {
      try reader.read { db in
        try uuids.compactMap { uuid -> RunBundle? in
          guard let id = try Self.runID(uuid: uuid, db), let detail = try detail(db, id: id) else { return nil }
          let info = detail.info
          let run = NewRun(
            info: info, tensors: detail.tensors, timings: detail.timings, checks: detail.checks, tags: detail.tags,
            functions: detail.functions, grid: detail.grid)
          return RunBundle(
            uuid: uuid, run: run, parentUUID: try info.parent.flatMap { try Self.uuid(ofRun: $0, db) },
            makerUUID: try info.madeBy.flatMap { try Self.uuid(ofRun: $0, db) },
            sweep: try info.sweep.flatMap { try sweepRecord(db, id: $0) })
        }
      }
    }
  }

  public func insert(_ bundles: [RunBundle]) throws(StoreError) -> [TransferInsert] {
    var results: [TransferInsert] = []
    for bundle in bundles {
      results.append(try write { db in try Self.insert(bundle, db) })
    }
    return results
  }

  /// `bundle` inserted inside the caller's transaction (one per run), unless the store holds its UUID already.
  private static func insert(_ bundle: RunBundle, _ db: Database) throws -> TransferInsert {
    if let existing = try runID(uuid: bundle.uuid, db) { return .present(id: existing) }
    var run = bundle.run
    run.info.uuid = bundle.uuid
    run.info.parent = try bundle.parentUUID.flatMap { try runID(uuid: $0, db) }
    run.info.madeBy = try bundle.makerUUID.flatMap { try runID(uuid: $0, db) }
    run.info.sweep = try bundle.sweep.map { try sweepID($0, db) }
    // The data travels as the source stored it: a summarized tensor stays one, none is summarized anew.
    let id = try RunWriter.insert(run, limit: .max, into: db)
    // Set after the fact, as `jvplab note` and `rm` do: a new run has neither.
    if run.info.note != nil || run.info.deleted != nil {
      try db.execute(
        sql: "UPDATE runs SET note = ?, deleted = ? WHERE id = ?",
        arguments: [run.info.note, run.info.deleted.map(Timestamp.text), id])
    }
    return .inserted(id: id)
  }

  private static func runID(uuid: String, _ db: Database) throws -> Int64? {
    try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM runs WHERE uuid = ?"), arguments: [uuid])
  }

  private static func uuid(ofRun id: Int64, _ db: Database) throws -> String? {
    try String.fetchOne(db.cachedStatement(sql: "SELECT uuid FROM runs WHERE id = ?"), arguments: [id])
  }

  /// The local id of `sweep`, found by UUID or inserted with its row as the source had it.
  private static func sweepID(_ sweep: SweepRecord, _ db: Database) throws -> Int64 {
    if let id = try Int64.fetchOne(db, sql: "SELECT id FROM sweeps WHERE uuid = ?", arguments: [sweep.uuid]) { return id }
    try db.execute(
      sql: """
        INSERT INTO sweeps (uuid, name, spec, points, status, partial_point, started, finished)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [
        sweep.uuid, sweep.name, sweep.spec, sweep.points, sweep.status.rawValue, sweep.partialPoint,
        Timestamp.text(sweep.started), sweep.finished.map(Timestamp.text),
      ])
    return db.lastInsertedRowID
  }
}
