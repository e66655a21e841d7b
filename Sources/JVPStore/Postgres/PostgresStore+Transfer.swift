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

  public func bundle(uuid: String) throws(StoreError) -> RunBundle? {
    guard let id = try runID(uuid: uuid), let detail = try run(id: id) else { return nil }
    let info = detail.info
    let run = NewRun(
      info: info, tensors: detail.tensors, timings: detail.timings, checks: detail.checks, tags: detail.tags,
      functions: detail.functions, grid: detail.grid)
    let parentUUID = try info.parent.map { id throws(StoreError) in try self.uuid(ofRun: id) } ?? nil
    let makerUUID = try info.madeBy.map { id throws(StoreError) in try self.uuid(ofRun: id) } ?? nil
    let sweep = try info.sweep.map { id throws(StoreError) in try self.sweep(id) } ?? nil
    return RunBundle(uuid: uuid, run: run, parentUUID: parentUUID, makerUUID: makerUUID, sweep: sweep)
  }

  public func insert(_ bundle: RunBundle) throws(StoreError) -> TransferInsert {
    try RunStore.requireDistinct(bundle.run.timings.map(\.phase), what: "timing phase")
    try RunStore.requireDistinct(bundle.run.checks.map(\.name), what: "check")
    // The data travels as the source stored it: a summarized tensor stays one, none is summarized anew.
    let data = bundle.run.tensors.map(\.data)
    return try write { connection in
      // Two copies of one run racing each other store it once: the second waits here, then finds it.
      try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(bundle.uuid)))", logger: PostgresSession.logger)
      if let existing = try await Self.ids(connection, "SELECT id FROM runs WHERE uuid = \(bundle.uuid)").first {
        return .present(id: existing)
      }
      var run = bundle.run
      run.info.uuid = bundle.uuid
      run.info.parent = try await Self.runID(uuid: bundle.parentUUID, connection)
      run.info.madeBy = try await Self.runID(uuid: bundle.makerUUID, connection)
      run.info.sweep = try await bundle.sweep.asyncMap { try await Self.sweepID($0, connection) }
      var dataIDs: [Int64?] = Array(repeating: nil, count: run.tensors.count)
      for (index, bytes) in data.enumerated() {
        guard let bytes, bytes.count >= RunWriter.sharedDataBytes else { continue }
        dataIDs[index] = try await Self.sharedData(bytes, digest: run.tensors[index].digestHex, connection)
      }
      let inline = data.enumerated().map { dataIDs[$0.offset] == nil ? $0.element : nil }
      let query = PostgresQuery(unsafeSQL: Self.insertSQL, binds: Self.bindings(run, data: inline, dataIDs: dataIDs))
      let id = try await Self.runID(connection.query(query, logger: PostgresSession.logger))
      // Set after the fact, as `jvplab note` and `rm` do: a new run has neither.
      if run.info.note != nil || run.info.deleted != nil {
        let note = run.info.note
        let deleted = run.info.deleted.map(Timestamp.text)
        try await connection.query("UPDATE runs SET note = \(note), deleted = \(deleted) WHERE id = \(id)", logger: PostgresSession.logger)
      }
      return .inserted(id: id)
    }
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
    if let id = try await ids(connection, "SELECT id FROM sweeps WHERE uuid = \(sweep.uuid)").first { return id }
    let points = Int64(sweep.points)
    let status = sweep.status.rawValue
    let partial = sweep.partialPoint.map(Int64.init)
    let started = Timestamp.text(sweep.started)
    let finished = sweep.finished.map(Timestamp.text)
    return try await ids(
      connection,
      """
      INSERT INTO sweeps (uuid, name, spec, points, status, partial_point, started, finished)
      VALUES (\(sweep.uuid), \(sweep.name), \(sweep.spec), \(points), \(status), \(partial), \(started), \(finished)) RETURNING id
      """)[0]
  }
}

extension Optional {
  /// `transform` of the wrapped value, awaited; nil stays nil.
  fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
    guard let self else { return nil }
    return try await transform(self)
  }
}
