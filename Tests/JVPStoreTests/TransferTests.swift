import Foundation
import GRDB
import JVPMigrations
import Testing

@testable import JVPStore

/// Run UUIDs (v0008) and the transfer API behind `jvplab push` and `pull`: whole runs copied by UUID.
@Suite struct TransferTests {
  /// A replay of `parent` made by it too, in a sweep, with every kind of row: shared, inline and summarized
  /// tensors with awkward bit patterns, timings, a non-finite check, tags, functions, grid values and a note.
  static func richRun(parent: Int64, sweep: Int64) throws -> NewRun {
    var run = try sampleRun(kind: "vjp", tags: ["model": "big", "lr": "0.01"])
    let large = (0..<20_000).map { Float(bitPattern: 0x3F80_0000 &+ UInt32($0) &* 977) }  // 80 KB: shared data
    run.tensors = [
      try StoredTensor(
        role: "input", index: [0], name: "x", shape: [2, 3],
        elements: .float32([0.1, -0.0, .infinity, Float(bitPattern: 0x7FC0_0001), .leastNonzeroMagnitude, -.greatestFiniteMagnitude])),
      try StoredTensor(role: "input", index: [1], name: "W", shape: [100, 200], elements: .float32(large)),
      try StoredTensor(role: "global_string", index: [0], name: "act", shape: [4], elements: .int64([114, 101, 108, 117])),
      try StoredTensor(role: "vjp", index: [0], shape: [300, 300], elements: .float64((0..<90_000).map { Double($0) / 7 })),
    ]
    run.timings = [TimingSeries(phase: "vjp", samples: [3e-6, 1e-6, .leastNormalMagnitude]), TimingSeries(phase: "inputs", samples: [])]
    run.checks = [
      CheckResult(name: "fd", maxAbs: 1e-7, maxRel: .infinity, ok: true), CheckResult(name: "dot", maxAbs: .nan, maxRel: .nan, ok: false),
    ]
    run.functions = ["helper": "def helper(z):\n    return (W @ z).tanh()", "e": "torch.exp"]
    run.parent = parent
    run.madeBy = parent
    run.sweep = sweep
    run.sweepPoint = 3
    run.grid = ["N": "512", "lr": "0.01"]
    run.transform = "vjp(f)"
    return run
  }

  /// Every column of `table`'s rows for the run `uuid` but the store-local ids, in row order.
  static func rows(_ table: String, uuid: String, in path: String) throws -> [[DatabaseValue]] {
    let queue = try DatabaseQueue(path: path)
    return try queue.read { db in
      let id = try #require(try Int64.fetchOne(db, sql: "SELECT id FROM runs WHERE uuid = ?", arguments: [uuid]))
      let sql: String =
        switch table {
        case "runs":
          "SELECT * FROM runs WHERE id = ?"
        case "tensors":
          "SELECT t.*, COALESCE(t.data, d.data) AS bytes FROM tensors t LEFT JOIN tensor_data d ON d.id = t.data_id WHERE run_id = ? ORDER BY t.id"
        default:
          "SELECT * FROM \(table) WHERE run_id = ? ORDER BY 2, 3"
        }
      let local: Set<String> = ["id", "run_id", "parent_id", "made_by", "sweep_id", "data_id"]
      return try Row.fetchAll(db, sql: sql, arguments: [id]).map { row in
        zip(row.columnNames, row.databaseValues).filter { !local.contains($0.0) }.map(\.1)
      }
    }
  }

  @Test func aBundleCopiesARunBitForBit() throws {
    try withTemporaryDirectory { directory in
      let sourcePath = directory.appendingPathComponent("source.db").path
      let targetPath = directory.appendingPathComponent("target.db").path
      // A store limit under the 90,000-element vjp: the source keeps it as a summary, and so must the target.
      let source = try RunStore.open(path: sourcePath, mode: .readWrite, options: .init(maxStoredElements: 50_000))
      let target = try RunStore.open(path: targetPath, mode: .readWrite)
      let parentID = try source.record(try sampleRun())
      let sweepID = try source.createSweep(name: "sizes", spec: #"{"fn":"f"}"#, points: 8, started: Date(timeIntervalSince1970: 1_800_000_000))
      try source.setSweepStatus(sweepID, .interrupted, partialPoint: 3, at: Date(timeIntervalSince1970: 1_800_000_100.5))
      let id = try source.record(try Self.richRun(parent: parentID, sweep: sweepID))
      try source.setNote(id, "a note\nover two lines")
      _ = try source.softDelete([id], at: Date(timeIntervalSince1970: 1_800_000_200.25))
      // A target that already has runs: the copy gets other ids there.
      _ = try target.record(try sampleRun(kind: "jvp"))

      let entries = try source.transferEntries(matching: RunQuery(sort: "id", scope: .deleted))
      #expect(entries.map(\.id) == [id])
      let parentUUID = try #require(try source.run(id: parentID)?.info.uuid)
      let parent = try #require(try source.bundle(uuid: parentUUID))
      let bundle = try #require(try source.bundle(uuid: entries[0].uuid))
      #expect(bundle.uuid == entries[0].uuid && isVersion4UUID(bundle.uuid))
      #expect(bundle.parentUUID == parent.uuid && bundle.makerUUID == parent.uuid)
      #expect(bundle.sweep?.uuid == (try source.sweep(sweepID))?.uuid && bundle.sweep?.partialPoint == 3)
      #expect(bundle.run.tensors[3].isSummarized && !bundle.run.tensors[1].isSummarized)

      #expect(try target.insert(parent) == .inserted(id: 2))
      #expect(try target.insert(bundle) == .inserted(id: 3))

      let copied = try #require(try target.bundle(uuid: bundle.uuid))
      #expect(copied.run.tensors == bundle.run.tensors, "every tensor bit for bit, with its digest and summary")
      #expect(copied.run.timings.map { $0.samples.map(\.bitPattern) } == bundle.run.timings.map { $0.samples.map(\.bitPattern) })
      #expect(copied.run.checks.map { [$0.maxAbs.bitPattern, $0.maxRel.bitPattern] } == [[(1e-7).bitPattern, Double.infinity.bitPattern], [Double.nan.bitPattern, Double.nan.bitPattern]])
      #expect(copied.run.checks.map(\.ok) == [true, false])
      #expect(copied.run.info == bundle.run.info)
      #expect(copied.run.tags == bundle.run.tags && copied.run.functions == bundle.run.functions && copied.run.grid == bundle.run.grid)
      #expect(copied.parentUUID == parent.uuid && copied.makerUUID == parent.uuid)
      var sweep = try #require(bundle.sweep)
      sweep.id = try #require(copied.sweep?.id)
      #expect(copied.sweep == sweep)

      // The rows themselves, column by column, but for the ids that are each store's own.
      for table in ["runs", "tensors", "timings", "checks", "tags", "functions", "grid"] {
        let (before, after) = (try Self.rows(table, uuid: bundle.uuid, in: sourcePath), try Self.rows(table, uuid: bundle.uuid, in: targetPath))
        #expect(!before.isEmpty && before == after, "\(table)")
      }
      let links = try DatabaseQueue(path: targetPath).read { db in
        try Row.fetchOne(db, sql: "SELECT parent_id, made_by, sweep_id FROM runs WHERE id = 3")
      }
      #expect(links?[0] == 2 as Int64 && links?[1] == 2 as Int64)
      // The large input went to shared data in the target too, stored once.
      let shared = try DatabaseQueue(path: targetPath).read { db in
        try Int.fetchOne(db, sql: "SELECT count(*) FROM tensors WHERE run_id = 3 AND data IS NULL AND data_id IS NOT NULL")
      }
      #expect(shared == 1)
    }
  }

  @Test func insertingAUUIDTwiceStoresItOnce() throws {
    try withTemporaryDirectory { directory in
      let source = try RunStore.open(path: directory.appendingPathComponent("a.db").path, mode: .readWrite)
      let target = try RunStore.open(path: directory.appendingPathComponent("b.db").path, mode: .readWrite)
      let parent = try source.record(try sampleRun())
      var child = try sampleRun(kind: "vjp")
      child.parent = parent
      let uuid = try #require(try source.run(id: try source.record(child))?.info.uuid)
      let bundle = try #require(try source.bundle(uuid: uuid))
      // The parent is not in the target: the copy is there without the link.
      #expect(try target.insert(bundle) == .inserted(id: 1))
      #expect(try target.insert(bundle) == .present(id: 1))
      #expect(try target.count(matching: RunQuery()) == 1)
      #expect(try target.run(id: 1)?.info.parent == nil)
      #expect(try target.presentUUIDs([uuid, RunUUID.random()]) == [uuid])
      #expect(try target.bundle(uuid: RunUUID.random()) == nil)
    }
  }

  /// Each run of a batch is a transaction of its own on both engines: a parent inserted earlier in the same batch is linked,
  /// a UUID that comes twice is stored once, and a batch inserted again changes nothing.
  @Test func aBatchLinksToItsOwnEarlierRunsAndStoresEachUUIDOnce() throws {
    try withTemporaryDirectory { directory in
      let source = try RunStore.open(path: directory.appendingPathComponent("source.db").path, mode: .readWrite)
      let parentID = try source.record(try sampleRun())
      var child = try sampleRun(kind: "vjp")
      child.parent = parentID
      child.madeBy = parentID
      let childID = try source.record(child)
      let uuids = try [parentID, childID].map { try #require(try source.run(id: $0)?.info.uuid) }
      // A UUID the source lacks is left out; the order is the one asked for.
      let bundles = try source.bundles(uuids: [uuids[0], RunUUID.random(), uuids[1]])
      #expect(bundles.map(\.uuid) == uuids)
      var targets: [any RunTransferStore & RunReading] = [
        try RunStore.open(path: directory.appendingPathComponent("target.db").path, mode: .readWrite)
      ]
      if PostgresTestServer.available {
        targets.append(try PostgresStore.open(url: try PostgresTestServer.freshDatabase(), mode: .readWrite))
      }
      for target in targets {
        #expect(try target.insert(bundles + [bundles[1]]) == [.inserted(id: 1), .inserted(id: 2), .present(id: 2)], "\(target.path)")
        let copied = try #require(try target.run(id: 2))
        #expect(copied.info.parent == 1 && copied.info.madeBy == 1, "\(target.path)")
        #expect(try target.insert(bundles) == [.present(id: 1), .present(id: 2)])
        #expect(try target.count(matching: RunQuery()) == 2)
        #expect(try target.bundles(uuids: uuids).map(\.parentUUID) == [nil, uuids[0]])
      }
    }
  }

  /// Two copies of the same runs racing each other into one server store each run once: every UUID is
  /// reported inserted by exactly one of them and present by the other, and the runs are whole.
  @Test(.enabled(if: PostgresTestServer.available, PostgresTestServer.reason))
  func racingCopiesIntoPostgreSQLStoreEachRunOnce() throws {
    try withTemporaryDirectory { directory in
      let source = try RunStore.open(path: directory.appendingPathComponent("source.db").path, mode: .readWrite)
      var uuids: [String] = []
      for index in 0..<120 {
        let id = try source.record(try sampleRun(kind: index.isMultiple(of: 2) ? "jvp" : "vjp"))
        uuids.append(try #require(try source.run(id: id)?.info.uuid))
      }
      let bundles = try source.bundles(uuids: uuids)
      let url = try PostgresTestServer.freshDatabase()
      let stores = try [PostgresStore.open(url: url, mode: .readWrite), PostgresStore.open(url: url, mode: .readWrite)]
      let results = Array(repeating: [TransferInsert](), count: 2)
      let box = ResultsBox(results)
      DispatchQueue.concurrentPerform(iterations: 2) { side in
        var mine: [TransferInsert] = []
        // In batches of ten, as a push writes them, the two sides in opposite orders so that they meet.
        let ordered = side == 0 ? bundles : bundles.reversed()
        for start in stride(from: 0, to: ordered.count, by: 10) {
          mine += (try? stores[side].insert(Array(ordered[start..<min(start + 10, ordered.count)]))) ?? []
        }
        box.set(side, side == 0 ? mine : mine.reversed())
      }
      let (first, second) = (box.values[0], box.values[1])
      #expect(first.count == 120 && second.count == 120)
      for index in 0..<min(first.count, second.count) {
        let inserted = [first[index], second[index]].filter { if case .inserted = $0 { true } else { false } }
        #expect(inserted.count == 1, "run \(index): \(first[index]) and \(second[index])")
      }
      let reader = try PostgresStore.open(url: url, mode: .readOnly)
      #expect(try reader.count(matching: RunQuery()) == 120)
      #expect(try reader.bundles(uuids: uuids).map(\.run) == bundles.map(\.run))
    }
  }

  @Test func transferEntriesFollowTheFilter() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      for kind in ["jvp", "vjp", "jvp"] { _ = try store.record(try sampleRun(kind: kind)) }
      let entries = try store.transferEntries(matching: RunQuery(filter: "kind = jvp", sort: "id"))
      #expect(entries.map(\.id) == [1, 3])
      #expect(Set(entries.map(\.uuid)).count == 2 && entries.allSatisfy { isVersion4UUID($0.uuid) })
      #expect(try store.ids(matching: RunQuery(filter: "uuid = '\(entries[1].uuid)'")) == [3])
    }
  }

  @Test func uuidPrefixesNameRuns() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      for _ in 0..<3 { _ = try store.record(try sampleRun()) }
      try DatabaseQueue(path: path).write { db in
        for (id, uuid) in [(1, "aaaa1111-0000-4000-8000-000000000001"), (2, "aaaa2222-0000-4000-8000-000000000002"),
                           (3, "bbbb0000-0000-4000-8000-000000000003")] {
          try db.execute(sql: "UPDATE runs SET uuid = ? WHERE id = ?", arguments: [uuid, id])
        }
      }
      #expect(try store.resolve("uuid:bbbb") == 3)
      #expect(try store.resolve("uuid:AAAA1") == 1, "case is ignored")
      #expect(try store.resolve("uuid:aaaa2222-0000-4000-8000-000000000002") == 2)
      _ = try store.softDelete([2])
      #expect(try store.resolve("uuid:aaaa2") == 2, "a removed run, as by id")
      let failures: [(String, StoreError)] = [
        ("uuid:aaaa", StoreError(.badReference, "uuid:aaaa is ambiguous in \(path): run 1 (aaaa1111-0000-4000-8000-000000000001), run 2 (aaaa2222-0000-4000-8000-000000000002) start so; give more digits")),
        ("uuid:cafe", StoreError(.noSuchRun, "no run with a UUID starting cafe in \(path)")),
        ("uuid:xyz", StoreError(.badReference, "'uuid:xyz' is not a run reference: uuid: takes the start of a run's UUID (hex digits and -)")),
        ("uuid:", StoreError(.badReference, "'uuid:' is not a run reference: uuid: takes the start of a run's UUID (hex digits and -)")),
      ]
      for (reference, expected) in failures {
        #expect(throws: expected) { try store.resolve(reference) }
      }
    }
  }

  /// Runs and sweeps recorded before v0008 get distinct random UUIDs in the upgrade.
  @Test func theUpgradeGivesEveryOlderRunAUUID() throws {
    try withDatabasePath { path in
      #expect(FileManager.default.createFile(atPath: path, contents: nil))
      let v0007 = SchemaMigrator(migrations: Array(Migrations.all.prefix(7)))
      #expect(try rawDatabase(path).barrierWriteWithoutTransaction(v0007.upgrade) == .current)
      try rawDatabase(path).write { db in
        try db.execute(sql: "INSERT INTO sweeps (name, spec, points, status, started) VALUES ('s', '{}', 2, 'done', '2026-11-27T10:00:00.000Z')")
        for _ in 0..<50 {
          try db.execute(sql: "INSERT INTO runs (kind, status, started, sweep_id) VALUES ('jvp', 'ok', '2026-11-27T10:00:00.000Z', 1)")
        }
      }
      let store = try RunStore.open(path: path, mode: .readWrite)
      let uuids = try store.transferEntries(matching: RunQuery()).map(\.uuid)
      #expect(uuids.count == 50 && Set(uuids).count == 50 && uuids.allSatisfy(isVersion4UUID))
      #expect(isVersion4UUID(try store.sweep(1)?.uuid))
      // A new run gets one at recording; the unique index refuses a second run with the same UUID.
      let id = try store.record(try sampleRun())
      #expect(isVersion4UUID(try store.run(id: id)?.info.uuid))
      var twin = try sampleRun()
      twin.uuid = uuids[0]
      #expect(throws: StoreError.self) { try store.record(twin) }
    }
  }
}

/// The two sides' results of `racingCopiesIntoPostgreSQLStoreEachRunOnce`, written from two threads.
private final class ResultsBox: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var values: [[TransferInsert]]
  init(_ values: [[TransferInsert]]) { self.values = values }
  func set(_ index: Int, _ value: [TransferInsert]) {
    lock.lock()
    defer { lock.unlock() }
    values[index] = value
  }
}
