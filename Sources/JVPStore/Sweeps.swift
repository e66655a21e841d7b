import Foundation
import GRDB

/// How a sweep stands: still running (or killed while it ran), stopped by a signal, stopped by an
/// input error, or every point run.
public enum SweepStatus: String, Codable, Sendable {
  case running, interrupted, failed, done
}

/// One `jvplab sweep` as recorded in `sweeps` (v0007).
public struct SweepRecord: Sendable, Equatable {
  public var id: Int64
  /// The sweep's stable identity across stores (v0008).
  public var uuid: String
  public var name: String?
  /// What defines the points, as the lab wrote it (JSON); the store keeps it as text.
  public var spec: String
  public var points: Int
  public var status: SweepStatus
  /// The point a script sweep was in when it was interrupted: its runs are incomplete.
  public var partialPoint: Int?
  public var started: Date
  public var finished: Date?
}

/// Sweeps: a row per sweep, and its runs found by `runs.sweep_id`.
extension RunStore {
  /// Records a new sweep, `running`, and returns its id.
  public func createSweep(name: String?, spec: String, points: Int, started: Date) throws(StoreError) -> Int64 {
    try write { db in
      try db.execute(
        sql: "INSERT INTO sweeps (name, spec, points, status, started, uuid) VALUES (?, ?, ?, 'running', ?, ?)",
        arguments: [name, spec, points, Timestamp.text(started), RunUUID.random()])
      return db.lastInsertedRowID
    }
  }

  /// Sets the sweep's status (and, for an interrupted script sweep, the point it was in).
  public func setSweepStatus(_ id: Int64, _ status: SweepStatus, partialPoint: Int?, at date: Date) throws(StoreError) {
    try write { db in
      try db.execute(
        sql: "UPDATE sweeps SET status = ?, partial_point = ?, finished = ? WHERE id = ?",
        arguments: [status.rawValue, partialPoint, status == .running ? nil : Timestamp.text(date), id])
    }
  }

  /// The sweep `id`, or nil if there is none.
  public func sweep(_ id: Int64) throws(StoreError) -> SweepRecord? {
    try guarded { try reader.read { db in try sweepRecord(db, id: id) } }
  }

  /// The sweep `id`, read inside the caller's transaction.
  func sweepRecord(_ db: Database, id: Int64) throws -> SweepRecord? {
    guard let row = try Row.fetchOne(db, sql: "SELECT * FROM sweeps WHERE id = ?", arguments: [id]) else { return nil }
    guard let status = SweepStatus(rawValue: row["status"]), let started = Timestamp.date(row["started"]) else {
      throw damaged("sweep \(id)")
    }
    return SweepRecord(
      id: id, uuid: row["uuid"], name: row["name"], spec: row["spec"], points: row["points"], status: status,
      partialPoint: row["partial_point"], started: started, finished: (row["finished"] as String?).flatMap(Timestamp.date))
  }

  /// The points of sweep `id` that have a live run that ended (ok or failed): the points `--resume` skips.
  public func finishedPoints(ofSweep id: Int64) throws(StoreError) -> Set<Int> {
    try guarded {
      try reader.read { db in
        Set(try Int.fetchAll(
          db,
          sql: "SELECT DISTINCT sweep_point FROM runs WHERE sweep_id = ? AND deleted IS NULL AND status != 'interrupted'",
          arguments: [id]))
      }
    }
  }
}
