import Foundation
import Testing

@testable import JVPStore

/// What `jvplab ui` asks of the store: pages of a filtered history (offset and count), and noticing
/// another connection's commits through `PRAGMA data_version`.
@Suite struct PagingTests {
  @Test func offsetPagesAndCountIgnoresTheLimit() throws {
    try withDatabasePath { path in
      let writer = try RunStore.open(path: path, mode: .readWrite)
      for n in 0..<7 { _ = try writer.record(try sampleRun(kind: n % 2 == 0 ? "jvp" : "vjp")) }
      let reader = try RunStore.open(path: path, mode: .readOnly)
      func ids(_ query: RunQuery) throws -> [Int64] { try reader.runs(matching: query).map(\.id) }
      #expect(try ids(RunQuery(limit: 3)) == [7, 6, 5])
      #expect(try ids(RunQuery(limit: 3, offset: 3)) == [4, 3, 2])
      #expect(try ids(RunQuery(limit: 3, offset: 6)) == [1])
      #expect(try ids(RunQuery(sort: "id", offset: 5)) == [6, 7], "an offset without a limit")
      #expect(try ids(RunQuery(filter: "kind = jvp", limit: 2, offset: 1)) == [5, 3])
      #expect(try reader.count(matching: RunQuery(filter: "kind = jvp", limit: 2, offset: 1)) == 4)
      #expect(try reader.count(matching: RunQuery(filter: "kind = hessian")) == 0)
    }
  }

  @Test func dataVersionChangesWhenAnotherConnectionCommits() throws {
    try withDatabasePath { path in
      let writer = try RunStore.open(path: path, mode: .readWrite)
      _ = try writer.record(try sampleRun())
      let reader = try RunStore.open(path: path, mode: .readOnly)
      let first = try reader.dataVersion()
      #expect(try reader.dataVersion() == first, "no commit, no change")
      _ = try reader.runs(matching: RunQuery())
      #expect(try reader.dataVersion() == first, "reading is not a commit")
      _ = try writer.record(try sampleRun())
      let second = try reader.dataVersion()
      #expect(second != first)
      #expect(try reader.count(matching: RunQuery()) == 2)
    }
  }
}
