import Foundation
import Testing

@testable import JVPStore

/// Sweeps in the store (v0007): the sweep row, its runs' grid values, and the `sweep` and `grid.KEY` fields.
struct SweepStoreTests {
  /// Sweep 1 over N = 4, 64, 512, 2048 and two strategies, then an unrelated run; returns the sweep's run ids.
  func sweep(_ store: RunStore) throws -> [Int64] {
    let id = try store.createSweep(name: "sizes", spec: "{}", points: 8, started: Date(timeIntervalSince1970: 1_800_000_000))
    #expect(id == 1)
    var ids: [Int64] = []
    for (point, (n, strategy)) in ["4", "64", "512", "2048"].flatMap({ n in ["reverse-mode", "auto"].map { (n, $0) } }).enumerated() {
      var run = try sampleRun()
      run.info.sweep = id
      run.info.sweepPoint = point
      run.info.strategy = strategy
      run.info.status = point == 7 ? .interrupted : .ok
      run.grid = ["N": n, "strategy": strategy]
      ids.append(try store.record(run))
    }
    _ = try store.record(try sampleRun())
    return ids
  }

  @Test func sweepAndGridFieldsSelectRunsComparingNumbersAsNumbers() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let ids = try sweep(store)
      // As text, "64" >= "512"; as numbers it is not.
      #expect(try store.ids(matching: RunQuery(filter: "sweep = 1 and grid.N >= 512", sort: "id")) == Array(ids[4...]))
      #expect(try store.ids(matching: RunQuery(filter: "grid.N < 100 and grid.strategy = auto", sort: "id")) == [ids[1], ids[3]])
      #expect(try store.ids(matching: RunQuery(filter: "grid.N = 2048", sort: "id")) == [ids[6], ids[7]])
      #expect(try store.ids(matching: RunQuery(filter: "sweep != 1")) == [ids[7] + 1])
      #expect(try store.ids(matching: RunQuery(filter: "grid.missing = 1")) == [])
      #expect(try store.run(id: ids[5])?.grid == ["N": "512", "strategy": "auto"])
      #expect(try store.run(id: ids[5])?.info.sweepPoint == 5)
      #expect(try store.run(id: ids[7] + 1)?.grid == [:])
    }
  }

  @Test func theSweepRowAndItsFinishedPointsRoundTrip() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let ids = try sweep(store)
      #expect(try store.sweep(1)?.status == .running)
      try store.setSweepStatus(1, .interrupted, partialPoint: 7, at: Date(timeIntervalSince1970: 1_800_000_060))
      let record = try #require(try store.sweep(1))
      #expect(record.name == "sizes")
      #expect(record.points == 8)
      #expect(record.partialPoint == 7)
      #expect(record.finished == Date(timeIntervalSince1970: 1_800_000_060))
      // The interrupted point is not finished, and a removed run's point is missing again.
      #expect(try store.finishedPoints(ofSweep: 1) == Set(0..<7))
      _ = try store.softDelete([ids[2]])
      #expect(try store.finishedPoints(ofSweep: 1) == Set([0, 1, 3, 4, 5, 6]))
      #expect(try store.runs(ofSweep: 1).map(\.id) == ids.filter { $0 != ids[2] })
      #expect(try store.sweep(2) == nil)
    }
  }
}
