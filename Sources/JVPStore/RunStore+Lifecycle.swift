import Foundation
import GRDB

/// What `jvplab gc` did.
public struct GarbageReport: Sendable {
  /// Runs deleted for good.
  public var runs: Int
  /// Shared `tensor_data` rows no remaining tensor pointed at, deleted with them.
  public var sharedData: Int
  /// Removed runs kept because a replay that stays links to them, with that replay: (kept, child).
  public var kept: [(run: Int64, child: Int64)]
  /// Bytes of pages the deleted rows held: returned to the file system on a database that reclaims
  /// incrementally, left free inside the file for new runs otherwise.
  public var freedBytes: Int64
  /// Whether the database gave the freed pages back (auto_vacuum = incremental, every new database).
  public var reclaimed: Bool
  /// The database's size (its pages) before and after; the file itself shrinks once SQLite checkpoints.
  public var databaseBytesBefore: Int64
  public var databaseBytesAfter: Int64
}

/// Annotating and removing runs after the fact: tags, notes, soft deletion and garbage collection.
///
/// Every change is one short `BEGIN IMMEDIATE` transaction (gc: one per batch), so a process
/// recording runs at the same time waits at most one batch, well inside its busy timeout.
extension RunStore {
  /// Sets `set` and removes `remove` on every run of `ids`, in one transaction.
  public func retag(_ ids: [Int64], set: [String: String], remove: [String]) throws(StoreError) {
    try write { db in
      for id in ids {
        for key in remove {
          try db.execute(sql: "DELETE FROM tags WHERE run_id = ? AND key = ?", arguments: [id, key])
        }
        for (key, value) in set {
          try db.execute(
            sql: "INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
            arguments: [id, key, value])
        }
      }
    }
  }

  /// Sets run `id`'s note; nil or empty clears it.
  public func setNote(_ id: Int64, _ note: String?) throws(StoreError) {
    let text = note.flatMap { $0.isEmpty ? nil : $0 }
    try write { db in try db.execute(sql: "UPDATE runs SET note = ? WHERE id = ?", arguments: [text, id]) }
  }

  /// Marks the runs of `ids` removed at `date` (soft deletion) and returns those that were live.
  public func softDelete(_ ids: [Int64], at date: Date) throws(StoreError) -> [Int64] {
    try write { db in
      try ids.filter { id in
        try db.execute(sql: "UPDATE runs SET deleted = ? WHERE id = ? AND deleted IS NULL", arguments: [Timestamp.text(date), id])
        return db.changesCount > 0
      }
    }
  }

  /// Makes removed runs of `ids` live again and returns those that were removed.
  public func restore(_ ids: [Int64]) throws(StoreError) -> [Int64] {
    try write { db in
      try ids.filter { id in
        try db.execute(sql: "UPDATE runs SET deleted = NULL WHERE id = ? AND deleted IS NOT NULL", arguments: [id])
        return db.changesCount > 0
      }
    }
  }

  /// The ids `query` selects, in its order.
  public func ids(matching query: RunQuery) throws(StoreError) -> [Int64] {
    try guarded {
      try reader.read { db in
        try Int64.fetchAll(
          db, sql: "SELECT id FROM (\(query.sqlite.sql))", arguments: StatementArguments(query.sqlite.arguments.map(\.databaseValue)))
      }
    }
  }

  /// Live replays of the runs of `ids`: (parent, child) pairs, by parent.
  public func liveReplays(of ids: [Int64]) throws(StoreError) -> [(parent: Int64, child: Int64)] {
    try guarded {
      try reader.read { db in
        var pairs: [(Int64, Int64)] = []
        for id in ids {
          for child in try Int64.fetchAll(
            db, sql: "SELECT id FROM runs WHERE parent_id = ? AND deleted IS NULL ORDER BY id", arguments: [id])
          {
            pairs.append((id, child))
          }
        }
        return pairs
      }
    }
  }

  /// Deletes for good the runs removed before `cutoff` (every removed run when nil), with their tensors
  /// and the shared data no other tensor holds, then gives the freed pages back to the file system.
  ///
  /// A removed run that a replay which stays (live, or removed after `cutoff`) descends from is kept,
  /// so no replay loses its parent. Runs are deleted in batches of `batchSize`, each its own short
  /// transaction, so a writer waits at most one batch; `progress` hears (done, total) after each.
  public func collectGarbage(
    removedBefore cutoff: Date?, batchSize: Int, progress: (Int, Int) -> Void
  ) throws(StoreError) -> GarbageReport {
    let cutoffText = Timestamp.text(cutoff ?? Date.distantFuture)
    let (candidates, kept, before) = try guarded {
      try reader.read { db in
        // Ancestors of every run that stays, through any chain of replays.
        let keptSQL = """
          WITH RECURSIVE keep(id, child) AS (
            SELECT parent_id, id FROM runs WHERE parent_id IS NOT NULL AND (deleted IS NULL OR deleted > ?)
            UNION SELECT r.parent_id, r.id FROM runs r JOIN keep k ON r.id = k.id WHERE r.parent_id IS NOT NULL)
          SELECT keep.id, min(keep.child) FROM keep JOIN runs ON runs.id = keep.id
          WHERE runs.deleted IS NOT NULL AND runs.deleted <= ? GROUP BY keep.id ORDER BY keep.id
          """
        let kept = try Row.fetchAll(db, sql: keptSQL, arguments: [cutoffText, cutoffText]).map { row in
          (run: row[0] as Int64, child: row[1] as Int64)
        }
        let keptIDs = Set(kept.map(\.run))
        let candidates = try Int64.fetchAll(
          db, sql: "SELECT id FROM runs WHERE deleted IS NOT NULL AND deleted <= ? ORDER BY id", arguments: [cutoffText]
        ).filter { !keptIDs.contains($0) }
        return (candidates, kept, try Self.bytes(db))
      }
    }
    var report = GarbageReport(
      runs: 0, sharedData: 0, kept: kept, freedBytes: 0, reclaimed: false, databaseBytesBefore: before.total,
      databaseBytesAfter: before.total)
    progress(0, candidates.count)
    for start in stride(from: 0, to: candidates.count, by: max(batchSize, 1)) {
      let batch = Array(candidates[start..<min(start + max(batchSize, 1), candidates.count)])
      let (runs, data) = try write { db in try Self.deleteBatch(batch, cutoff: cutoffText, db) }
      report.runs += runs
      report.sharedData += data
      progress(min(start + batch.count, candidates.count), candidates.count)
    }
    let (after, incremental) = try guarded {
      try reader.read { db in (try Self.bytes(db), try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") == 2) }
    }
    report.freedBytes = max(before.used - after.used, 0)
    report.reclaimed = incremental
    if incremental { try reclaimFreePages() }
    report.databaseBytesAfter = try guarded { try reader.read { try Self.bytes($0).total } }
    return report
  }

  /// Deletes the runs of `batch` that are still removed before `cutoff` and still have no live replay
  /// (a command may have restored or replayed one since gc looked), then the shared data they alone held.
  private static func deleteBatch(_ batch: [Int64], cutoff: String, _ db: Database) throws -> (runs: Int, data: Int) {
    let list = "(" + Array(repeating: "?", count: batch.count).joined(separator: ",") + ")"
    let ids = StatementArguments(batch)
    let dataIDs = try Int64.fetchAll(
      db, sql: "SELECT DISTINCT data_id FROM tensors WHERE run_id IN \(list) AND data_id IS NOT NULL", arguments: ids)
    try db.execute(
      sql: """
        DELETE FROM runs WHERE id IN \(list) AND deleted IS NOT NULL AND deleted <= ?
          AND NOT EXISTS (SELECT 1 FROM runs c WHERE c.parent_id = runs.id AND (c.deleted IS NULL OR c.deleted > ?))
        """,
      arguments: ids + [cutoff, cutoff])
    let runs = db.changesCount
    var data = 0
    for chunk in stride(from: 0, to: dataIDs.count, by: 500) {
      let part = Array(dataIDs[chunk..<min(chunk + 500, dataIDs.count)])
      try db.execute(
        sql: """
          DELETE FROM tensor_data WHERE id IN (\(Array(repeating: "?", count: part.count).joined(separator: ",")))
            AND NOT EXISTS (SELECT 1 FROM tensors WHERE tensors.data_id = tensor_data.id)
          """,
        arguments: StatementArguments(part))
      data += db.changesCount
    }
    return (runs, data)
  }

  /// Gives free pages back to the file system 256 at a time (1 MiB of 4 KiB pages), each step a
  /// short write of its own, then checkpoints without waiting so the file itself shrinks.
  private func reclaimFreePages() throws(StoreError) {
    while try write({ db -> Bool in
      try db.execute(sql: "PRAGMA incremental_vacuum(256)")
      return try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0 > 0
    }) {}
    try guarded {
      guard let writer else { return }
      try writer.writeWithoutTransaction { db in _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") }
    }
  }

  /// Bytes of all the database's pages, and of those that hold data (all but the free ones).
  private static func bytes(_ db: Database) throws -> (total: Int64, used: Int64) {
    let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
    let free = try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
    let size = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
    return (pages * size, (pages - free) * size)
  }

  /// Runs `body` in one `BEGIN IMMEDIATE` transaction of the writing connection.
  func write<T>(_ body: @escaping (Database) throws -> T) throws(StoreError) -> T {
    guard let writer else { throw StoreError(.readOnly, "\(path) was opened read-only: cannot change runs") }
    return try guarded {
      try writer.writeWithoutTransaction { db in try RunWriter.inImmediateTransaction(db) { try body(db) } }
    }
  }
}
