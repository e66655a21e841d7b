import Foundation
import PostgresNIO

/// Copying whole runs in and out of a PostgreSQL store by UUID, as `RunStore+Transfer` does for SQLite.
extension PostgresStore {
  public var location: String { path }

  public func transferEntries(matching query: RunQuery) throws(StoreError) -> [TransferEntry] {
    let compiled = query.compiled(for: dialect)
    let rows = try session.blocking { connection in
      var rows: [(Int64, String?)] = []
      let selected = PostgresQuery(
        unsafeSQL: "SELECT id, uuid FROM (\(compiled.sql)) AS selected", binds: Self.bindings(compiled.arguments))
      for try await row in try await connection.query(selected, logger: PostgresSession.logger).decode((Int64, String?).self) {
        rows.append(row)
      }
      return rows
    }
    var entries: [TransferEntry] = []
    for (id, uuid) in rows {
      guard let uuid else { throw damaged("the uuid of run \(id)") }
      entries.append(TransferEntry(id: id, uuid: uuid))
    }
    return entries
  }

  public func presentUUIDs(_ uuids: [String]) throws(StoreError) -> Set<String> {
    try session.blocking { connection in
      var present = Set<String>()
      // One array parameter per chunk keeps each message small.
      for start in stride(from: 0, to: uuids.count, by: 10_000) {
        var binds = PostgresBindings()
        binds.append(PostgresColumn.text(Array(uuids[start..<min(start + 10_000, uuids.count)])))
        let query = PostgresQuery(unsafeSQL: "SELECT uuid FROM runs WHERE uuid = ANY($1::text[])", binds: binds)
        for try await (uuid) in try await connection.query(query, logger: PostgresSession.logger).decode(String.self) {
          present.insert(uuid)
        }
      }
      return present
    }
  }

  public func bundles(uuids: [String]) throws(StoreError) -> [RunBundle] {
    var bundles: [RunBundle] = []
    for uuid in uuids {
      guard let id = try runID(uuid: uuid), let detail = try run(id: id) else { continue }
      let info = detail.info
      let run = NewRun(
        info: info, tensors: detail.tensors, timings: detail.timings, checks: detail.checks, tags: detail.tags,
        functions: detail.functions, grid: detail.grid)
      let parentUUID = try info.parent.map { id throws(StoreError) in try self.uuid(ofRun: id) } ?? nil
      let makerUUID = try info.madeBy.map { id throws(StoreError) in try self.uuid(ofRun: id) } ?? nil
      let sweep = try info.sweep.map { id throws(StoreError) in try self.sweep(id) } ?? nil
      bundles.append(RunBundle(uuid: uuid, run: run, parentUUID: parentUUID, makerUUID: makerUUID, sweep: sweep))
    }
    return bundles
  }

  /// Each run in a transaction of its own: one query maps every UUID the batch names (its runs, parents
  /// and makers) to ids, then each run it lacks is one prepared statement, which is its own transaction and
  /// does nothing when the UUID is there already (`ON CONFLICT (uuid) DO NOTHING`: two copies of one run
  /// racing each other store it once, the second waiting for the first). A run with shared data, a note or
  /// a deletion mark needs more than one statement, so it gets an explicit transaction under an advisory
  /// lock on its UUID.
  public func insert(_ bundles: [RunBundle]) throws(StoreError) -> [TransferInsert] {
    try requireWritable()
    for bundle in bundles {
      try RunStore.requireDistinct(bundle.run.timings.map(\.phase), what: "timing phase")
      try RunStore.requireDistinct(bundle.run.checks.map(\.name), what: "check")
    }
    guard !bundles.isEmpty else { return [] }
    let named = Array(Set(bundles.map(\.uuid) + bundles.compactMap(\.parentUUID) + bundles.compactMap(\.makerUUID)))
    return try session.blocking { connection in
      var ids = try await Self.ids(ofUUIDs: named, connection)
      var sweeps: [String: Int64] = [:]
      var results: [TransferInsert] = []
      for bundle in bundles {
        if let existing = ids[bundle.uuid] {
          results.append(.present(id: existing))
          continue
        }
        var run = bundle.run
        run.info.uuid = bundle.uuid
        run.info.parent = bundle.parentUUID.flatMap { ids[$0] }
        run.info.madeBy = bundle.makerUUID.flatMap { ids[$0] }
        if let sweep = bundle.sweep {
          let id = try await sweeps[sweep.uuid].asyncDefault { try await Self.sweepID(sweep, connection) }
          sweeps[sweep.uuid] = id
          run.info.sweep = id
        }
        if let id = try await Self.insertUnlessPresent(run, connection) {
          ids[bundle.uuid] = id
          results.append(.inserted(id: id))
        } else if let id = try await Self.runID(uuid: bundle.uuid, connection) {
          ids[bundle.uuid] = id
          results.append(.present(id: id))
        } else {
          throw StoreError(.sqlite, "the server stored no run with uuid \(bundle.uuid)")
        }
      }
      return results
    }
  }

  /// `run` inserted in a transaction of its own; nil when the store holds its UUID already.
  private static func insertUnlessPresent(_ run: NewRun, _ connection: PostgresConnection) async throws -> Int64? {
    // The data travels as the source stored it: a summarized tensor stays one, none is summarized anew.
    let data = run.tensors.map(\.data)
    let sharesData = data.contains { ($0?.count ?? 0) >= RunWriter.sharedDataBytes }
    guard sharesData || run.info.note != nil || run.info.deleted != nil else {
      return try await insertRunUnlessPresent(run, data: data, connection)
    }
    return try await connection.withTransaction(logger: PostgresSession.logger) { connection in
      let uuid = run.info.uuid
      try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(uuid)))", logger: PostgresSession.logger).collect()
      if try await runID(uuid: uuid, connection) != nil { return nil }
      let id = try await insertRun(run, data: data, connection)
      // Set after the fact, as `jvplab note` and `rm` do: a new run has neither.
      if run.info.note != nil || run.info.deleted != nil {
        let note = run.info.note
        let deleted = run.info.deleted.map(Timestamp.text)
        try await connection.query("UPDATE runs SET note = \(note), deleted = \(deleted) WHERE id = \(id)", logger: PostgresSession.logger)
      }
      return id
    }
  }

  /// The ids of the runs with `uuids` that the store holds, by UUID.
  private static func ids(ofUUIDs uuids: [String], _ connection: PostgresConnection) async throws -> [String: Int64] {
    var binds = PostgresBindings()
    binds.append(PostgresColumn.text(uuids))
    let query = PostgresQuery(unsafeSQL: "SELECT uuid, id FROM runs WHERE uuid = ANY($1::text[])", binds: binds)
    var ids: [String: Int64] = [:]
    for try await (uuid, id) in try await connection.query(query, logger: PostgresSession.logger).decode((String, Int64).self) {
      ids[uuid] = id
    }
    return ids
  }

  /// The ids and UUIDs of the runs whose UUID starts with `prefix`, at most 3, by UUID (`uuid:PREFIX`).
  func uuidMatches(startingWith prefix: String) throws(StoreError) -> [(id: Int64, uuid: String)] {
    let upper = prefix + "~"
    return try session.blocking { connection in
      var found: [(id: Int64, uuid: String)] = []
      for try await (id, uuid) in try await connection.query(
        "SELECT id, uuid FROM runs WHERE uuid >= \(prefix) AND uuid < \(upper) ORDER BY uuid LIMIT 3", logger: PostgresSession.logger
      ).decode((Int64, String).self) {
        found.append((id, uuid))
      }
      return found
    }
  }

  private func runID(uuid: String) throws(StoreError) -> Int64? {
    try session.blocking { connection in try await Self.runID(uuid: uuid, connection) }
  }

  private func uuid(ofRun id: Int64) throws(StoreError) -> String? {
    try session.blocking { connection in
      var uuid: String?
      for try await (found) in try await connection.query("SELECT uuid FROM runs WHERE id = \(id)", logger: PostgresSession.logger)
        .decode(String?.self)
      {
        uuid = found
      }
      return uuid
    }
  }

  private static func runID(uuid: String?, _ connection: PostgresConnection) async throws -> Int64? {
    guard let uuid else { return nil }
    return try await ids(connection, "SELECT id FROM runs WHERE uuid = \(uuid)").first
  }

  /// The local id of `sweep`, found by UUID or inserted with its row as the source had it.
  private static func sweepID(_ sweep: SweepRecord, _ connection: PostgresConnection) async throws -> Int64 {
    let select: PostgresQuery = "SELECT id FROM sweeps WHERE uuid = \(sweep.uuid)"
    if let id = try await ids(connection, select).first { return id }
    let points = Int64(sweep.points)
    let status = sweep.status.rawValue
    let partial = sweep.partialPoint.map(Int64.init)
    let started = Timestamp.text(sweep.started)
    let finished = sweep.finished.map(Timestamp.text)
    // A copy racing this one may insert the sweep first: then its row is the one to use.
    let inserted = try await ids(
      connection,
      """
      INSERT INTO sweeps (uuid, name, spec, points, status, partial_point, started, finished)
      VALUES (\(sweep.uuid), \(sweep.name), \(sweep.spec), \(points), \(status), \(partial), \(started), \(finished))
      ON CONFLICT (uuid) DO NOTHING RETURNING id
      """)
    if let id = inserted.first { return id }
    return try await ids(connection, select)[0]
  }
}

extension Optional {
  /// The wrapped value, or `fallback` awaited when there is none.
  fileprivate func asyncDefault(_ fallback: () async throws -> Wrapped) async rethrows -> Wrapped {
    if let self { return self }
    return try await fallback()
  }
}
