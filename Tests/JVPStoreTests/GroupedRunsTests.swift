import Foundation
import Testing

@testable import JVPStore

/// Runs written several to a transaction (issue #12): other connections see a group only once it is
/// committed, whole; a refused run rolls back alone; every bound commits.
@Suite struct GroupedRunsTests {
  /// How many runs another connection (a separate read-only store) sees.
  static func visibleRuns(_ path: String) throws -> Int {
    try RunStore.open(path: path, mode: .readOnly).runs(matching: RunQuery()).count
  }

  @Test func aGroupIsInvisibleToOtherConnectionsUntilFlushedThenWhole() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let group = try #require(store.groupedRuns(.init(maxRuns: 100, maxAge: 3600)))
      let ids = try (0..<3).map { _ in try group.record(try sampleRun()) }
      #expect(ids == [1, 2, 3])
      #expect(group.hasOpenGroup)
      #expect(try Self.visibleRuns(path) == 0)
      try group.flush()
      #expect(!group.hasOpenGroup)
      #expect(try Self.visibleRuns(path) == 3)
      let direct = try #require(try RunStore.open(path: path, mode: .readOnly).run(id: 3))
      #expect(direct.tensors.count == 4 && direct.timings.count == 1 && direct.checks.count == 1)
    }
  }

  @Test func aGroupCommitsWhenItHoldsMaxRuns() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let group = try #require(store.groupedRuns(.init(maxRuns: 2, maxAge: 3600)))
      _ = try group.record(try sampleRun())
      #expect(try Self.visibleRuns(path) == 0)
      _ = try group.record(try sampleRun())
      #expect(!group.hasOpenGroup)
      #expect(try Self.visibleRuns(path) == 2)
      _ = try group.record(try sampleRun())
      #expect(try Self.visibleRuns(path) == 2)
      try group.flush()
      #expect(try Self.visibleRuns(path) == 3)
    }
  }

  @Test func theTimerCommitsAnIdleGroup() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let group = try #require(store.groupedRuns(.init(maxRuns: 100, maxAge: 0.05)))
      _ = try group.record(try sampleRun())
      let deadline = Date().addingTimeInterval(30)
      while group.hasOpenGroup && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
      #expect(!group.hasOpenGroup)
      #expect(try Self.visibleRuns(path) == 1)
    }
  }

  @Test func aRefusedRunRollsBackAloneAndTheGroupGoesOn() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let group = try #require(store.groupedRuns(.init(maxRuns: 100, maxAge: 3600)))
      _ = try group.record(try sampleRun())
      var orphan = try sampleRun()
      orphan.info.parent = 99
      do throws(StoreError) {
        _ = try group.record(orphan)
        Issue.record("a run whose parent is missing was recorded")
      } catch {
        #expect(error.code == .invalidInput)
        #expect(error.message == "cannot record the run: its parent run 99 is not in \(path)")
      }
      let third = try group.record(try sampleRun())
      try group.flush()
      let runs = try RunStore.open(path: path, mode: .readOnly).runs(matching: RunQuery())
      #expect(runs.map(\.id).sorted() == [1, third])
      #expect(third == 2, "the refused run's id is not used up")
    }
  }

  @Test func anotherWriterWaitsForTheOpenGroupAndThenRecords() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let group = try #require(store.groupedRuns(.init(maxRuns: 100, maxAge: 0.2)))
      _ = try group.record(try sampleRun())
      // A second connection's BEGIN IMMEDIATE waits (busy timeout 10 s) until the timer commits the group.
      let other = try RunStore.open(path: path, mode: .readWrite)
      let id = try other.record(try sampleRun())
      #expect(id == 2)
      #expect(try Self.visibleRuns(path) == 2)
    }
  }
}
