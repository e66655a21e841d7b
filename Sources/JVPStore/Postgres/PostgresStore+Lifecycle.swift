import Foundation
import PostgresNIO

/// Tags, notes, soft deletion, garbage collection and sweeps on PostgreSQL: each change one transaction,
/// the same statements as `RunStore+Lifecycle.swift` and `Sweeps.swift` with bound parameters.
extension PostgresStore {
  func write<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) throws(StoreError) -> T {
    try requireWritable()
    return try session.blocking { connection in
      try await connection.withTransaction(logger: PostgresSession.logger) { connection in try await body(connection) }
    }
  }

  /// Refuses a change to a store opened read-only.
  func requireWritable() throws(StoreError) {
    guard mode == .readWrite else { throw StoreError(.readOnly, "\(path) was opened read-only: cannot change it") }
  }

  public func retag(_ ids: [Int64], set: [String: String], remove: [String]) throws(StoreError) {
    let keys = Array(set.keys)
    let values = keys.map { set[$0]! }
    try write { connection in
      try await connection.query(
        "DELETE FROM tags WHERE run_id = ANY(\(ids)) AND key = ANY(\(remove))", logger: PostgresSession.logger)
      try await connection.query(
        """
        INSERT INTO tags (run_id, key, value) SELECT r, u.key, u.value FROM unnest(\(ids)) AS r, unnest(\(keys), \(values)) AS u(key, value)
        ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value
        """, logger: PostgresSession.logger)
    }
  }

  public func setNote(_ id: Int64, _ note: String?) throws(StoreError) {
    let text = note.flatMap { $0.isEmpty ? nil : $0 }
    try write { connection in
      try await connection.query("UPDATE runs SET note = \(text) WHERE id = \(id)", logger: PostgresSession.logger)
    }
  }

  public func softDelete(_ ids: [Int64], at date: Date) throws(StoreError) -> [Int64] {
    let stamp = Timestamp.text(date)
    let changed = try write { connection in
      try await Self.ids(connection, "UPDATE runs SET deleted = \(stamp) WHERE id = ANY(\(ids)) AND deleted IS NULL RETURNING id")
    }
    return Self.firstOccurrences(of: ids, in: changed)
  }

  public func restore(_ ids: [Int64]) throws(StoreError) -> [Int64] {
    let changed = try write { connection in
      try await Self.ids(connection, "UPDATE runs SET deleted = NULL WHERE id = ANY(\(ids)) AND deleted IS NOT NULL RETURNING id")
    }
    return Self.firstOccurrences(of: ids, in: changed)
  }

  /// The ids of `ids` that `changed` holds, in the caller's order, each once (as SQLite reports them).
  private static func firstOccurrences(of ids: [Int64], in changed: [Int64]) -> [Int64] {
    let changed = Set(changed)
    var seen = Set<Int64>()
    return ids.filter { changed.contains($0) && seen.insert($0).inserted }
  }

  /// As `RunStore.collectGarbage`, batch by batch; the server reclaims the space itself (autovacuum), so
  /// the report's byte counts are the database's size before and after, from `pg_database_size`.
  public func collectGarbage(
    removedBefore cutoff: Date?, batchSize: Int, progress: (Int, Int) -> Void
  ) throws(StoreError) -> GarbageReport {
    try requireWritable()
    let cutoffText = Timestamp.text(cutoff ?? Date.distantFuture)
    let (candidates, kept, before) = try session.blocking { connection in
      var kept: [[Int64]] = []
      for try await (run, child) in try await connection.query(
        """
        WITH RECURSIVE keep(id, child) AS (
          SELECT parent_id, id FROM runs WHERE parent_id IS NOT NULL AND (deleted IS NULL OR deleted > \(cutoffText))
          UNION SELECT r.parent_id, r.id FROM runs r JOIN keep k ON r.id = k.id WHERE r.parent_id IS NOT NULL)
        SELECT keep.id, min(keep.child) FROM keep JOIN runs ON runs.id = keep.id
        WHERE runs.deleted IS NOT NULL AND runs.deleted <= \(cutoffText) GROUP BY keep.id ORDER BY keep.id
        """, logger: PostgresSession.logger
      ).decode((Int64, Int64).self) {
        kept.append([run, child])
      }
      let keptIDs = Set(kept.map { $0[0] })
      let candidates = try await Self.ids(
        connection, "SELECT id FROM runs WHERE deleted IS NOT NULL AND deleted <= \(cutoffText) ORDER BY id"
      ).filter { !keptIDs.contains($0) }
      return (candidates, kept, try await Self.size(connection))
    }
    var report = GarbageReport(
      runs: 0, sharedData: 0, kept: kept.map { (run: $0[0], child: $0[1]) }, freedBytes: 0, reclaimed: false,
      databaseBytesBefore: before, databaseBytesAfter: before)
    progress(0, candidates.count)
    let step = max(batchSize, 1)
    for start in stride(from: 0, to: candidates.count, by: step) {
      let batch = Array(candidates[start..<min(start + step, candidates.count)])
      let (runs, data) = try write { connection in
        let deleted = try await Self.ids(
          connection, "DELETE FROM runs WHERE id = ANY(\(batch)) AND deleted IS NOT NULL AND deleted <= \(cutoffText) RETURNING id")
        // Shared data that no tensor holds any more, among the data these runs held.
        let freed = try await Self.ids(
          connection,
          "DELETE FROM tensor_data d WHERE NOT EXISTS (SELECT 1 FROM tensors t WHERE t.data_id = d.id) RETURNING id")
        return (deleted.count, freed.count)
      }
      report.runs += runs
      report.sharedData += data
      progress(min(start + step, candidates.count), candidates.count)
    }
    report.databaseBytesAfter = try session.blocking { connection in try await Self.size(connection) }
    return report
  }

  // MARK: - Sweeps

  public func createSweep(name: String?, spec: String, points: Int, started: Date) throws(StoreError) -> Int64 {
    let stamp = Timestamp.text(started)
    let count = Int64(points)
    let uuid = RunUUID.random()
    return try write { connection in
      try await Self.ids(
        connection,
        "INSERT INTO sweeps (name, spec, points, status, started, uuid) VALUES (\(name), \(spec), \(count), 'running', \(stamp), \(uuid)) RETURNING id"
      )[0]
    }
  }

  public func setSweepStatus(_ id: Int64, _ status: SweepStatus, partialPoint: Int?, at date: Date) throws(StoreError) {
    let finished = status == .running ? nil : Timestamp.text(date)
    let partial = partialPoint.map(Int64.init)
    let text = status.rawValue
    try write { connection in
      try await connection.query(
        "UPDATE sweeps SET status = \(text), partial_point = \(partial), finished = \(finished) WHERE id = \(id)",
        logger: PostgresSession.logger)
    }
  }

  public func sweep(_ id: Int64) throws(StoreError) -> SweepRecord? {
    typealias Row = (
      name: String?, spec: String, points: Int64, status: String, partial: Int64?, started: String, finished: String?, uuid: String?
    )
    let rows = try session.blocking { connection in
      var rows: [Row] = []
      for try await row in try await connection.query(
        "SELECT name, spec, points, status, partial_point, started, finished, uuid FROM sweeps WHERE id = \(id)",
        logger: PostgresSession.logger
      ).decode((String?, String, Int64, String, Int64?, String, String?, String?).self) {
        rows.append(row)
      }
      return rows
    }
    guard let row = rows.first else { return nil }
    guard let status = SweepStatus(rawValue: row.status), let started = Timestamp.date(row.started), let uuid = row.uuid else {
      throw StoreError(.damaged, "\(path) is damaged: sweep \(id) holds a value jvplab never writes")
    }
    return SweepRecord(
      id: id, uuid: uuid, name: row.name, spec: row.spec, points: Int(row.points), status: status, partialPoint: row.partial.map(Int.init),
      started: started, finished: row.finished.flatMap(Timestamp.date))
  }

  public func finishedPoints(ofSweep id: Int64) throws(StoreError) -> Set<Int> {
    let points = try session.blocking { connection in
      try await Self.ids(
        connection,
        "SELECT DISTINCT sweep_point FROM runs WHERE sweep_id = \(id) AND deleted IS NULL AND status != 'interrupted' AND sweep_point IS NOT NULL"
      )
    }
    return Set(points.map(Int.init))
  }

  // MARK: - Helpers

  /// The first column of every row of `query`, as integers.
  static func ids(_ connection: PostgresConnection, _ query: PostgresQuery) async throws -> [Int64] {
    var ids: [Int64] = []
    for try await (id) in try await connection.query(query, logger: PostgresSession.logger).decode(Int64.self) { ids.append(id) }
    return ids
  }

  private static func size(_ connection: PostgresConnection) async throws -> Int64 {
    try await ids(connection, "SELECT pg_database_size(current_database())").first ?? 0
  }
}
