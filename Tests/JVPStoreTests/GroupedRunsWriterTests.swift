import Foundation
import GRDB
import Testing

@testable import JVPStore

/// A group's INSERTs run on a writer thread, each run given its id before they do: the ids handed out
/// must be the ids stored, in order, links between runs intact, and a run SQLite does not take must
/// reach a pending file, never vanish.
@Suite struct GroupedRunsWriterTests {
  /// A sample run told apart by its name.
  static func run(_ name: String, madeBy: Int64? = nil) throws -> NewRun {
    var run = try sampleRun()
    run.info.name = name
    run.info.madeBy = madeBy
    return run
  }

  @Test func theIdsHandedOutAreTheIdsStoredInOrderAcrossGroups() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      // Ids are AUTOINCREMENT: a removed run's id is not given again.
      _ = try store.record(try Self.run("removed"))
      try rawDatabase(path).write { db in try db.execute(sql: "DELETE FROM runs") }
      let group = try #require(store.groupedRuns(.init(maxRuns: 7, maxAge: 3600)))
      var handed: [(id: Int64, name: String, madeBy: Int64?)] = []
      for index in 0..<40 {
        // Every fifth run is made by the run before it, as a linearized function's runs are.
        let maker = index % 5 == 4 ? handed.last?.id : nil
        let name = "run \(index)"
        handed.append((try group.record(try Self.run(name, madeBy: maker)), name, maker))
      }
      try group.flush()
      #expect(handed.map(\.id) == Array(2...41))
      let reader = try RunStore.open(path: path, mode: .readOnly)
      for expected in handed {
        let stored = try #require(try reader.run(id: expected.id))
        #expect(stored.info.name == expected.name && stored.info.madeBy == expected.madeBy)
        #expect(stored.tensors.count == 4 && stored.timings.count == 1 && stored.checks.count == 1)
      }
    }
  }

  @Test func aGroupOpenedAfterAnotherWritersRunsContinuesAfterThem() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let group = try #require(store.groupedRuns(.init(maxRuns: 3, maxAge: 3600)))
      let first = try (0..<3).map { _ in try group.record(try sampleRun()) }
      let other = try RunStore.open(path: path, mode: .readWrite)
      let between = try other.record(try sampleRun())
      let next = try group.record(try sampleRun())
      try group.flush()
      #expect(first == [1, 2, 3] && between == 4 && next == 5)
      #expect(try RunStore.open(path: path, mode: .readOnly).runs(matching: RunQuery()).map(\.id).sorted() == [1, 2, 3, 4, 5])
    }
  }

  @Test func aGroupLetGoWithoutFlushCommitsItsRuns() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      // Let go at once, the writer thread often still inserting: the last reference then goes with its task.
      for round in 1...20 {
        let group = try #require(store.groupedRuns(.init(maxRuns: 100, maxAge: 3600)))
        _ = try group.record(try sampleRun())
        _ = try group.record(try sampleRun())
        _ = consume group
        // When the writer thread held the last reference, it commits as it lets go: wait for it.
        let deadline = Date().addingTimeInterval(30)
        while try GroupedRunsTests.visibleRuns(path) < 2 * round && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        #expect(try GroupedRunsTests.visibleRuns(path) == 2 * round)
      }
    }
  }

  @Test func runsTheDatabaseCannotTakeGoToPendingFilesAndTheNextCallSaysSo() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      _ = try store.record(try sampleRun())
      // The writer's connection may grow the file by a few pages only: "database or disk is full".
      try #require(store.writer).writeWithoutTransaction { db in
        let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
        _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(pages + 8)")
      }
      let group = try #require(store.groupedRuns(.init(maxRuns: 100, maxAge: 3600)))
      var calls = 0
      var failure: StoreError?
      while failure == nil && calls < 200 {
        calls += 1
        var run = try sampleRun()
        // 16 KiB of data that differs from run to run fills the pages after a few runs.
        let values = (0..<4096).map { Float($0 + calls * 4096) }
        run.tensors[0] = try StoredTensor(role: "input", index: [0], name: "x", shape: [4096], elements: .float32(values))
        do throws(StoreError) {
          _ = try group.record(run)
        } catch {
          failure = error
        }
      }
      if failure == nil {
        do throws(StoreError) { try group.flush() } catch { failure = error }
      }
      let error = try #require(failure)
      #expect(error.message.contains("full"))
      #expect(error.message.contains("for the next jvplab command to merge"))
      try? group.flush()
      let merging = try RunStore.open(path: path, mode: .readWrite)
      let merged = try merging.mergePending()
      #expect(merged.unreadable.isEmpty)
      // Every run handed over is stored: committed before the disk filled, or merged from its pending file.
      #expect(try merging.runs(matching: RunQuery()).count == 1 + calls)
    }
  }
}
