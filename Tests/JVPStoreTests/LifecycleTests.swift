import Foundation
import GRDB
import Testing

@testable import JVPMigrations
@testable import JVPStore

/// Tags, notes, soft deletion and garbage collection at the store level.
struct LifecycleTests {
  /// A run whose input is `bytes` of shared data (over the 64 KiB threshold) filled with `value`.
  func largeRun(_ value: Float, parent: Int64? = nil) throws -> NewRun {
    var run = try sampleRun()
    run.info.parent = parent
    run.tensors.append(
      try StoredTensor(role: "input", index: [1], name: "big", shape: [20_000], elements: .float32(Array(repeating: value, count: 20_000))))
    return run
  }

  func count(_ store: RunStore, _ sql: String) throws -> Int {
    let result = try store.rawQuery(sql: sql)
    return Int(result.rows[0][0].description) ?? -1
  }

  @Test func tagsAreSetReplacedAndRemoved() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let a = try store.record(try sampleRun(tags: ["model": "small", "draft": "1"]))
      let b = try store.record(try sampleRun(tags: [:]))
      try store.retag([a, b], set: ["lr": "0.01", "model": "large"], remove: ["draft"])
      #expect(try store.run(id: a)?.tags == ["model": "large", "lr": "0.01"])
      #expect(try store.run(id: b)?.tags == ["model": "large", "lr": "0.01"])
      #expect(try store.ids(matching: RunQuery(filter: "tag.lr < 0.1", sort: "id")) == [a, b])
      try store.retag([b], set: [:], remove: ["lr", "model", "absent"])
      #expect(try store.run(id: b)?.tags == [:])
    }
  }

  @Test func aNoteIsSetQueriedAndCleared() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let id = try store.record(try sampleRun())
      try store.setNote(id, "baseline before the fused kernel\nsecond line")
      #expect(try store.run(id: id)?.info.note == "baseline before the fused kernel\nsecond line")
      #expect(try store.ids(matching: RunQuery(filter: "note ~ '*fused*'")) == [id])
      try store.setNote(id, "")
      #expect(try store.run(id: id)?.info.note == nil)
    }
  }

  @Test func removedRunsLeaveQueriesAndLatestUntilRestored() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let ids = try (0..<3).map { _ in try store.record(try sampleRun()) }
      #expect(try store.softDelete([ids[2], ids[1]], at: Date(timeIntervalSince1970: 1_800_000_000)) == [ids[2], ids[1]])
      #expect(try store.softDelete([ids[1]]) == [])
      #expect(try store.ids(matching: RunQuery()) == [ids[0]])
      #expect(try store.ids(matching: RunQuery(scope: .deleted)) == [ids[2], ids[1]])
      #expect(try store.resolve("latest") == ids[0])
      #expect(try store.run(id: ids[1])?.info.deleted == Date(timeIntervalSince1970: 1_800_000_000))
      #expect(try store.restore([ids[1], ids[0]]) == [ids[1]])
      #expect(try store.ids(matching: RunQuery(sort: "id")) == [ids[0], ids[1]])
      #expect(try store.run(id: ids[1])?.info.deleted == nil)
    }
  }

  @Test func gcDeletesRemovedRunsAndTheirDataAndLeavesTheRestWhole() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let kept = try store.record(try largeRun(1))
      let sharing = try store.record(try largeRun(1))
      let alone = try store.record(try largeRun(2))
      let small = try store.record(try sampleRun())
      let before = try store.run(id: kept)
      #expect(try count(store, "SELECT count(*) FROM tensor_data") == 2)
      _ = try store.softDelete([sharing, alone, small])
      let report = try store.collectGarbage(removedBefore: nil, batchSize: 2, progress: { _, _ in })
      #expect(report.runs == 3)
      // The data of value 1 is still held by the kept run; that of value 2 went with its only run.
      #expect(report.sharedData == 1)
      #expect(try count(store, "SELECT count(*) FROM tensor_data") == 1)
      #expect(try count(store, "SELECT count(*) FROM runs") == 1)
      for table in ["tensors", "timings", "checks", "tags"] {
        #expect(try count(store, "SELECT count(*) FROM \(table) WHERE run_id != \(kept)") == 0, "\(table)")
      }
      #expect(try store.run(id: kept) == before)
      #expect(report.reclaimed)
      #expect(report.freedBytes >= 80_000)
      #expect(report.databaseBytesAfter <= report.databaseBytesBefore - 80_000)
      let integrity = try DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "PRAGMA integrity_check") }
      #expect(integrity == ["ok"])
    }
  }

  /// The last run recorded found its data already stored: gc on the same connection right after must
  /// still delete shared data (an unreset lookup once made it fail with "database table is locked").
  @Test func gcRightAfterARunThatSharedItsDataDeletesOnTheSameConnection() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let removed = try store.record(try largeRun(2))
      _ = try store.record(try largeRun(1))
      let sharing = try store.record(try largeRun(1))
      _ = try store.softDelete([removed, sharing])
      let report = try store.collectGarbage(removedBefore: nil, batchSize: 10, progress: { _, _ in })
      #expect(report.runs == 2)
      #expect(report.sharedData == 1)
      #expect(try count(store, "SELECT count(*) FROM tensor_data") == 1)
    }
  }

  @Test func gcKeepsARemovedRunThatALiveReplayDescendsFrom() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let original = try store.record(try sampleRun())
      var replay = try sampleRun()
      replay.info.parent = original
      let middle = try store.record(replay)
      replay.info.parent = middle
      let child = try store.record(replay)
      _ = try store.softDelete([original, middle])
      let report = try store.collectGarbage()
      #expect(report.runs == 0)
      #expect(report.kept.map(\.run) == [original, middle])
      #expect(report.kept.map(\.child) == [middle, child])
      #expect(try store.run(id: child)?.info.parent == middle)
      _ = try store.softDelete([child])
      #expect(try store.collectGarbage().runs == 3)
    }
  }

  @Test func gcOlderThanTakesOnlyRunsRemovedBeforeTheCutoff() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let old = try store.record(try sampleRun())
      let recent = try store.record(try sampleRun())
      _ = try store.softDelete([old], at: Date().addingTimeInterval(-40 * 86400))
      _ = try store.softDelete([recent])
      #expect(try store.collectGarbage(removedBefore: Date().addingTimeInterval(-30 * 86400)).runs == 1)
      #expect(try store.run(id: old) == nil)
      #expect(try store.ids(matching: RunQuery(scope: .deleted)) == [recent])
    }
  }

  /// A database made before v0007 has no incremental vacuum (SQLite takes it only before the first
  /// table): gc deletes the same rows and says the pages stay free inside the file.
  @Test func gcOnADatabaseWithoutIncrementalVacuumFreesPagesInsideTheFile() throws {
    try withDatabasePath { path in
      let old = SchemaMigrator(migrations: Array(Migrations.all.prefix(5)))
      #expect(try rawDatabase(path).barrierWriteWithoutTransaction(old.upgrade) == .current)
      let store = try RunStore.open(path: path, mode: .readWrite)
      let kept = try store.record(try largeRun(1))
      let removed = try store.record(try largeRun(2))
      _ = try store.softDelete([removed])
      let report = try store.collectGarbage()
      #expect(report.runs == 1)
      #expect(report.sharedData == 1)
      #expect(!report.reclaimed)
      #expect(report.freedBytes >= 80_000)
      #expect(report.databaseBytesAfter == report.databaseBytesBefore)
      #expect(try store.run(id: kept) != nil)
      let integrity = try DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "PRAGMA integrity_check") }
      #expect(integrity == ["ok"])
    }
  }
}
