import Foundation
import Testing

@testable import JVPStore

/// Runs saved beside a locked database and merged later (issue #20): exactly what `record` would
/// have stored, and each pending file merged once, however merges race or die.
@Suite struct PendingRunsTests {
  /// A run with the awkward values: NaN payloads, -0.0, infinities, int64 extremes, NaN checks, an empty timing.
  static func awkwardRun() throws -> NewRun {
    var run = try sampleRun()
    run.tensors = [
      try StoredTensor(role: "input", index: [0], name: "x", shape: [2, 3],
                       elements: .float32([0.1, -0.0, .infinity, Float(bitPattern: 0x7FC0_0001), .leastNonzeroMagnitude, -.greatestFiniteMagnitude])),
      try StoredTensor(role: "input", index: [1], name: "y", shape: [], elements: .float64([-.infinity])),
      try StoredTensor(role: "jacobian", index: [1, 0], shape: [2], elements: .int64([.min, .max])),
    ]
    run.checks = [CheckResult(name: "fd", maxAbs: 1e-7, maxRel: .infinity, ok: true), CheckResult(name: "torch", maxAbs: .nan, maxRel: .nan, ok: false)]
    run.timings = [TimingSeries(phase: "jvp", samples: [3e-6, 1e-6, 0.1 + 0.2]), TimingSeries(phase: "compile", samples: [])]
    run.functions = ["helper": "def helper(z):\n    return z * 2"]
    run.status = .interrupted
    return run
  }

  @Test func aMergedRunIsWhatRecordingItDirectlyStores() throws {
    try withTemporaryDirectory { directory in
      let run = try Self.awkwardRun()
      let direct = try RunStore.open(path: directory.appendingPathComponent("direct.db").path, mode: .readWrite)
      let expected = try #require(try direct.run(id: try direct.record(run)))

      let path = directory.appendingPathComponent("lab.db").path
      let store = try RunStore.open(path: path, mode: .readWrite)
      let file = try store.savePending(run)
      #expect(file.hasPrefix(path + "-pending-") && file.hasSuffix(".json"))
      #expect(!FileManager.default.fileExists(atPath: file + ".tmp"))
      let merge = try store.mergePending()
      #expect(merge == PendingMerge(merged: [1], unreadable: []))
      let merged = try #require(try store.run(id: 1))

      // A merged run gets a UUID of its own when recorded, as a direct one does.
      #expect(isVersion4UUID(merged.info.uuid) && merged.info.uuid != expected.info.uuid)
      #expect(merged.info.withoutUUID == expected.info.withoutUUID)
      #expect(merged.tensors == expected.tensors, "every tensor bit for bit, with its digest and summary")
      #expect(merged.timings == expected.timings)
      #expect(merged.checks[0] == expected.checks[0])
      #expect(merged.checks[1].maxAbs.isNaN && merged.checks[1].maxRel.isNaN && !merged.checks[1].ok)
      #expect(merged.tags == expected.tags && merged.functions == expected.functions)
      #expect(!FileManager.default.fileExists(atPath: file))
    }
  }

  @Test func aPendingRunKeepsOnlyTheSummaryOfTensorsOverTheLimit() throws {
    try withDatabasePath { path in
      var options = RunStore.Options()
      options.maxStoredElements = 4
      let store = try RunStore.open(path: path, mode: .readWrite, options: options)
      let file = try store.savePending(try Self.awkwardRun())
      let bytes = try #require(FileManager.default.contents(atPath: file))
      #expect(bytes.count < 4096, "the 6-element tensor's data is not in the file (\(bytes.count) bytes)")
      _ = try store.mergePending()
      let merged = try #require(try store.run(id: 1))
      #expect(merged.tensors.map(\.isSummarized) == [true, false, false])
    }
  }

  /// A merge killed after its commit leaves its files behind: the next merge only deletes them.
  @Test func aFileMergedBeforeIsDeletedNotRecordedAgain() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let first = try store.savePending(try sampleRun())
      _ = try store.savePending(try sampleRun(kind: "vjp"))
      let leftOver = try #require(FileManager.default.contents(atPath: first))
      #expect(try store.mergePending().merged == [1, 2])
      try leftOver.write(to: URL(fileURLWithPath: first))

      #expect(try store.mergePending() == PendingMerge())
      #expect(!FileManager.default.fileExists(atPath: first))
      #expect(try store.runs(matching: RunQuery()).count == 2)
    }
  }

  @Test func concurrentMergesRecordEachPendingRunOnce() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      for k in 0..<12 { _ = try store.savePending(try sampleRun(tags: ["k": "\(k)"])) }
      let results = MergeResults()
      let group = DispatchGroup()
      for _ in 0..<4 {
        DispatchQueue.global().async(group: group) {
          results.add(Result { try RunStore.open(path: path, mode: .readWrite).mergePending().merged.count })
        }
      }
      group.wait()
      #expect(try results.all.map { try $0.get() }.reduce(0, +) == 12)
      let runs = try store.runs(matching: RunQuery())
      #expect(runs.count == 12)
      #expect(Set(runs.compactMap { $0.tags["k"] }) == Set((0..<12).map(String.init)))
      #expect(PendingRuns(databasePath: path).paths().isEmpty)
    }
  }

  @Test func aDamagedPendingFileIsReportedAndLeftInPlace() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      _ = try store.savePending(try sampleRun())
      let damaged = path + "-pending-damaged.json"
      try Data("{\"id\": 1".utf8).write(to: URL(fileURLWithPath: damaged))
      let merge = try store.mergePending()
      #expect(merge.merged == [1])
      #expect(merge.unreadable.count == 1 && merge.unreadable[0].hasPrefix("pending run \(damaged) is damaged"), "\(merge.unreadable)")
      #expect(PendingRuns(databasePath: path).paths() == [damaged])
    }
  }
}

/// Results gathered from several threads.
private final class MergeResults: @unchecked Sendable {
  private let lock = NSLock()
  private var results: [Result<Int, any Error>] = []
  func add(_ result: Result<Int, any Error>) { lock.withLock { results.append(result) } }
  var all: [Result<Int, any Error>] { lock.withLock { results } }
}
