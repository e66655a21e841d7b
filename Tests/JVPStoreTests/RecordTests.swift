import Foundation
import GRDB
import Testing

@testable import JVPStore

/// Recording runs and reading them back: exactness, large tensors, references, concurrency.
@Suite struct RecordTests {
  @Test func aRunReadsBackAsRecorded() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let quietNaN = Float(bitPattern: 0x7FC0_0001)
      let tensors = [
        try StoredTensor(
          role: "input", index: [0], name: "x", shape: [2, 3],
          elements: .float32([0.1, -0.0, .infinity, quietNaN, .leastNonzeroMagnitude, -.greatestFiniteMagnitude])),
        try StoredTensor(role: "input", index: [1], name: "y", shape: [], elements: .float64([Double.pi])),
        try StoredTensor(role: "output", index: [0], shape: [0, 3], elements: .float32([])),
        try StoredTensor(role: "jacobian", index: [1, 0], shape: [2], elements: .int64([.min, .max])),
      ]
      var run = try sampleRun()
      run.tensors = tensors
      run.vectorize = true
      run.status = .failed
      run.error = "shape mismatch"
      run.scriptSHA256 = String(repeating: "ab", count: 32)
      run.checks = [
        CheckResult(name: "fd", maxAbs: 1e-7, maxRel: .infinity, ok: true),
        CheckResult(name: "torch", maxAbs: .nan, maxRel: .nan, ok: false),
      ]
      run.timings = [
        TimingSeries(phase: "jvp", samples: [3e-6, 1e-6, 2e-6, 4e-6]),
        TimingSeries(phase: "compile", samples: []),
      ]
      run.tags = ["model": "small", "lr": "0.01", "note": "it's \"quoted\""]
      run.functions = ["helper": "def helper(z):\n    return (W @ z).tanh()", "sq": "lambda t: t * t"]
      let id = try store.record(run)

      let detail = try #require(try store.run(id: id))
      #expect(detail.id == id)
      // The store gave the run its UUID: everything else is as handed over.
      #expect(isVersion4UUID(detail.info.uuid))
      #expect(detail.info.withoutUUID == run.info)
      #expect(detail.tensors == tensors)
      #expect(detail.tensors[0].elements.map { elements -> [UInt32] in
        guard case .float32(let values) = elements else { return [] }
        return values.map(\.bitPattern)
      } == [Float(0.1), -0.0, .infinity, quietNaN, .leastNonzeroMagnitude, -.greatestFiniteMagnitude].map(\.bitPattern))
      #expect(detail.tensors[3].elements == .int64([.min, .max]))
      let finite: [Double] = [Double(Float(0.1)), 0, Double(Float.leastNonzeroMagnitude), -Double(Float.greatestFiniteMagnitude)]
      let summary = TensorSummary(
        min: finite[3], max: finite[0], mean: finite.reduce(0, +) / 4, nanCount: 1, infCount: 1)
      #expect(detail.tensors[0].summary == summary)
      #expect(detail.tensors.allSatisfy { !$0.isSummarized })
      #expect(detail.timings == run.timings)
      #expect(detail.timings[0].median == (2e-6 + 3e-6) / 2)
      #expect(detail.timings[1].median == nil)
      #expect(detail.checks[0] == run.checks[0])
      #expect(detail.checks[1].name == "torch" && detail.checks[1].maxAbs.isNaN && detail.checks[1].maxRel.isNaN)
      #expect(detail.tags == run.tags)
      #expect(detail.functions == run.functions)
      #expect(detail.inputElements == 7)
      #expect(detail.outputElements == 0)
      #expect(try store.run(id: id + 1) == nil)
    }
  }

  @Test func randomUUIDsAreVersion4LowercaseAndWhatFoundationReads() {
    let uuids = (0..<1000).map { _ in RunUUID.random() }
    #expect(uuids.allSatisfy(isVersion4UUID))
    #expect(Set(uuids).count == uuids.count)
    #expect(uuids.allSatisfy { UUID(uuidString: $0)?.uuidString.lowercased() == $0 })
  }

  /// Rows go several to an INSERT where their data is small; long runs of them, summarized tensors, data
  /// bound in place and data shared through `tensor_data` all read back whole and in order.
  @Test func manyTensorsAndTimingsOfMixedSizesReadBackInOrder() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite, options: .init(maxStoredElements: 20_000))
      let sizes = [1, 16, 0, 2, 3, 4, 5, 6, 7, 8, 9, 2_000, 10, 30_000, 11, 17_000, 3]
      var run = try sampleRun()
      run.tensors = try sizes.enumerated().map { k, count in
        try StoredTensor(role: "output", index: [k], shape: [count], elements: .float64((0..<count).map { Double($0 * 7 + k) }))
      }
      run.timings = (0..<11).map { TimingSeries(phase: "phase\($0)", samples: (0...$0).map { 1e-6 * Double($0 + 1) }) }
      let id = try store.record(run)
      let detail = try #require(try store.run(id: id))
      #expect(detail.tensors.map(\.index) == sizes.indices.map { [$0] })
      #expect(detail.tensors.map(\.isSummarized) == sizes.map { $0 > 20_000 })
      for (stored, given) in zip(detail.tensors, run.tensors) where !stored.isSummarized { #expect(stored == given) }
      #expect(detail.tensors[13].digest == run.tensors[13].digest && detail.tensors[13].summary == run.tensors[13].summary)
      #expect(detail.timings == run.timings)
    }
  }

  /// Empty text stays text (tag values are NOT NULL), and text is stored up to its first NUL, as
  /// SQLite's C strings and GRDB's reading of them have it.
  @Test func emptyTextIsNotNullAndTextEndsAtNUL() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      var run = try sampleRun(tags: ["empty": "", "nul": "a\u{0}b", "wide": "µs ≤ 1"])
      run.name = ""
      run.error = "line 1\u{0}hidden"
      let id = try store.record(run)
      let detail = try #require(try store.run(id: id))
      #expect(detail.name == "")
      #expect(detail.error == "line 1")
      #expect(detail.tags == ["empty": "", "nul": "a", "wide": "µs ≤ 1"])
      let types = try store.rawQuery(sql: "SELECT typeof(name), typeof(error) FROM runs WHERE id = \(id)")
      #expect(types.rows == [[.text("text"), .text("text")]])
    }
  }

  @Test func timesAreStoredAsUTCTextToTheMillisecond() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let started = try #require(Timestamp.date("2026-11-27T10:00:00.123Z"))
      let id = try store.record(try sampleRun(started: started))
      let stored = try store.rawQuery(sql: "SELECT started, finished FROM runs WHERE id = \(id)")
      #expect(stored.rows == [[.text("2026-11-27T10:00:00.123Z"), .text("2026-11-27T10:00:00.373Z")]])
      #expect(try store.run(id: id)?.started == started)
    }
  }

  @Test func timestampsParseTheFormsAQueryUses() {
    #expect(Timestamp.parse("1970-01-01") == 0)
    #expect(Timestamp.parse("1970-01-02T00:00:00.5Z") == 86_400_500)
    #expect(Timestamp.parse("2026-11-27T11:00+01:00") == Timestamp.parse("2026-11-27 10:00:00.000z"))
    #expect(Timestamp.parse("2024-02-29T23:59:59.999999") == Timestamp.parse("2024-03-01") .map { $0 - 1 })
    for bad in ["2026-02-30", "2026-13-01", "2026-11-27T24:00", "yesterday", "2026-11-27T10", "2026-11-27Z", ""] {
      #expect(Timestamp.parse(bad) == nil, "\(bad)")
    }
    #expect(Timestamp.text(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
  }

  @Test func timestampTextIsFixedWidthWithinFourDigitYears() throws {
    #expect(Timestamp.text(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
    #expect(Timestamp.text(milliseconds: -62_135_596_800_000) == "0001-01-01T00:00:00.000Z")
    #expect(Timestamp.text(milliseconds: 253_402_300_799_999) == "9999-12-31T23:59:59.999Z")
    // Past year 9999 the year grows a digit rather than wrapping.
    #expect(Timestamp.text(milliseconds: 253_402_300_800_000) == "10000-01-01T00:00:00.000Z")
    for text in ["2026-11-27T10:00:00.123Z", "2024-02-29T23:59:59.999Z", "1900-03-01T00:00:00.001Z"] {
      #expect(Timestamp.parse(text).map(Timestamp.text(milliseconds:)) == text)
    }
  }

  @Test func shapesAndIndexPathsAreJSONArrays() {
    #expect(IntegerList.text([]) == "[]")
    #expect(IntegerList.text([4, 4]) == "[4,4]")
    #expect(IntegerList.text([0, -1, 12_345_678_901]) == "[0,-1,12345678901]")
    #expect(IntegerList.values("[0,-1,12345678901]") == [0, -1, 12_345_678_901])
  }

  @Test func tensorsOverTheLimitKeepOnlyDigestAndSummary() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite, options: .init(maxStoredElements: 10))
      let small = try StoredTensor(role: "input", index: [0], shape: [10], elements: .float64((0..<10).map(Double.init)))
      let values: [Double] = (0..<12).map(Double.init) + [.nan, .infinity, -.infinity]
      let large = try StoredTensor(role: "output", index: [0], shape: [3, 5], elements: .float64(values))
      var run = try sampleRun()
      run.tensors = [small, large]
      let id = try store.record(run)

      let tensors = try #require(try store.run(id: id)).tensors
      #expect(tensors[0] == small)
      #expect(tensors[1].isSummarized)
      #expect(tensors[1].data == nil && tensors[1].elements == nil)
      #expect(tensors[1].shape == [3, 5] && tensors[1].elementCount == 15)
      #expect(tensors[1].digest == large.digest)
      #expect(tensors[1].summary == TensorSummary(min: 0, max: 11, mean: 5.5, nanCount: 1, infCount: 2))
      let stored = try store.rawQuery(sql: "SELECT data IS NULL, numel FROM tensors WHERE run_id = \(id) ORDER BY id")
      #expect(stored.rows == [[.integer(0), .integer(10)], [.integer(1), .integer(15)]])
    }
  }

  /// A run whose input is a 128x128 float32 tensor (64 KiB, the smallest shared size) and whose output is small.
  func runWithLargeInput(_ values: [Float], output: Float = 1) throws -> NewRun {
    var run = try sampleRun()
    run.tensors = [
      try StoredTensor(role: "input", index: [0], name: "x", shape: [128, 128], elements: .float32(values)),
      try StoredTensor(role: "output", index: [0], shape: [], elements: .float32([output])),
    ]
    return run
  }

  @Test func largeDataIsStoredOnceHoweverManyRunsRecordIt() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let values = (0..<128 * 128).map { Float($0) * 0.5 }
      let first = try runWithLargeInput(values)
      let ids = try [first, first, try runWithLargeInput(values, output: 2)].map { try store.record($0) }
      for id in ids { #expect(try store.run(id: id)?.tensors[0] == first.tensors[0]) }
      #expect(try store.run(id: ids[2])?.tensors[1].elements == .float32([2]))
      // One shared copy; the small outputs stay in their rows.
      let shared = try store.rawQuery(sql: "SELECT count(*), sum(length(data)) FROM tensor_data")
      #expect(shared.rows == [[.integer(1), .integer(128 * 128 * 4)]])
      let rows = try store.rawQuery(sql: "SELECT role, data IS NULL, data_id FROM tensors ORDER BY id")
      #expect(rows.rows.map { [$0[0], $0[1], $0[2]] } == Array(repeating: [
        [.text("input"), .integer(1), .integer(1)], [.text("output"), .integer(0), .null],
      ], count: 3).flatMap { $0 })
      // Just under the shared size: in the row.
      var small = try sampleRun()
      small.tensors = [try StoredTensor(role: "input", index: [0], shape: [128, 127], elements: .float32(Array(values.prefix(128 * 127))))]
      let smallID = try store.record(small)
      #expect(try store.rawQuery(sql: "SELECT data IS NULL, data_id FROM tensors WHERE run_id = \(smallID)").rows
        == [[.integer(0), .null]])
    }
  }

  @Test func sharedDataIsMatchedByItsBytesNotByItsDigestAlone() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let run = try runWithLargeInput((0..<128 * 128).map(Float.init))
      // Another content under the same 64-bit digest, as a collision would leave it.
      try rawDatabase(path).write { db in
        try db.execute(
          sql: "INSERT INTO tensor_data (digest, data) VALUES (?, zeroblob(65536))", arguments: [run.tensors[0].digestHex])
      }
      let id = try store.record(run)
      #expect(try store.run(id: id)?.tensors[0] == run.tensors[0])
      #expect(try store.rawQuery(sql: "SELECT count(*) FROM tensor_data").rows == [[.integer(2)]])
    }
  }

  @Test func lostSharedDataIsDamageNotASummary() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let id = try store.record(try runWithLargeInput((0..<128 * 128).map(Float.init)))
      try rawDatabase(path).writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA foreign_keys = OFF")
        try db.execute(sql: "DELETE FROM tensor_data")
      }
      let error = #expect(throws: StoreError.self) { try store.run(id: id) }
      #expect(error?.code == .damaged)
    }
  }

  @Test func equalTensorsHaveEqualDigests() throws {
    let a = try StoredTensor(role: "input", index: [0], shape: [2], elements: .float32([1, 2]))
    let b = try StoredTensor(role: "jvp", index: [3], shape: [2], elements: .float32([1, 2]))
    let reshaped = try StoredTensor(role: "input", index: [0], shape: [2, 1], elements: .float32([1, 2]))
    let sameBytes = try StoredTensor(role: "input", index: [0], dtype: .int64, shape: [1], data: a.data ?? Data())
    #expect(a.digest == b.digest)
    #expect(a.digest != reshaped.digest)
    #expect(a.digest != sameBytes.digest)
    #expect(a.digestHex.count == 16)
    // Pinned (computed independently): digests live in databases, so the function must never change.
    #expect(StoredTensor.digest(dtype: .float32, shape: [], data: Data()) == 0xf9bc_52e8_d477_d190)
    #expect(a.digestHex == "180e5b5ec97cf4aa")
    let small = StoredTensor(
      role: "input", index: [0], name: nil, dtype: .float32, shape: [0], data: Data(), digest: 0xa0f,
      summary: TensorSummary(min: nil, max: nil, mean: nil, nanCount: 0, infCount: 0))
    #expect(small.digestHex == "0000000000000a0f")
  }

  @Test func tensorsRoundTripThroughJSONAndRefuseBadShapes() throws {
    let tensor = try StoredTensor(role: "input", index: [0], name: "x", shape: [2], elements: .float64([1, .nan]))
    let json = try JSONEncoder().encode(tensor)
    let decoded = try JSONDecoder().decode(StoredTensor.self, from: json)
    #expect(decoded.data == tensor.data && decoded.digest == tensor.digest && decoded.shape == [2])
    let text = try #require(String(data: json, encoding: .utf8))
    for shape in ["[3]", "[9223372036854775807,2]", "[-2]"] {
      let bad = Data(text.replacingOccurrences(of: "\"shape\":[2]", with: "\"shape\":\(shape)").utf8)
      #expect(throws: DecodingError.self, "\(shape)") { try JSONDecoder().decode(StoredTensor.self, from: bad) }
    }
  }

  @Test func bytesThatDoNotFillTheShapeAreRefused() {
    let error = #expect(throws: StoreError.self) {
      try StoredTensor(role: "input", index: [0], dtype: .float64, shape: [2, 2], data: Data(count: 24))
    }
    #expect(error?.code == .invalidInput)
    #expect(throws: StoreError.self) { try StoredTensor(role: "input", index: [0], shape: [-1], elements: .int64([])) }
    #expect(throws: StoreError.self) {
      try StoredTensor(role: "input", index: [0], shape: [Int.max, 2], elements: .int64([]))
    }
  }

  @Test func aRunWithTwoPhasesOfOneNameIsRefused() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      var run = try sampleRun()
      run.timings.append(TimingSeries(phase: "jvp", samples: [1]))
      let error = #expect(throws: StoreError.self) { try store.record(run) }
      #expect(error?.code == .invalidInput)
      #expect(error?.message == "a run cannot hold two timing phases named 'jvp'")
      var orphan = try sampleRun()
      orphan.parent = 99
      let orphanError = #expect(throws: StoreError.self) { try store.record(orphan) }
      #expect(orphanError?.message == "cannot record the run: its parent run 99 is not in \(path)")
      #expect(try store.rawQuery(sql: "SELECT count(*) FROM runs").rows == [[.integer(0)]])
    }
  }

  /// A failure on the last row of a run (here a trigger on tags) leaves none of its rows.
  @Test func aRunIsWrittenWholeOrNotAtAll() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      try rawDatabase(path).write { db in
        try db.execute(sql: "CREATE TRIGGER refuse_tags BEFORE INSERT ON tags BEGIN SELECT RAISE(ABORT, 'no tags today'); END")
      }
      let error = #expect(throws: StoreError.self) { try store.record(try sampleRun()) }
      #expect(error?.message.contains("no tags today") == true)
      let counts = try store.rawQuery(sql: """
        SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM tensors), (SELECT count(*) FROM timings),
          (SELECT count(*) FROM checks), (SELECT count(*) FROM tags)
        """)
      #expect(counts.rows == [Array(repeating: .integer(0), count: 5)])
      _ = try store.record(try sampleRun(tags: [:]))
      // The statement that failed is reused as it is for the next run's tags.
      try rawDatabase(path).write { try $0.execute(sql: "DROP TRIGGER refuse_tags") }
      let id = try store.record(try sampleRun(tags: ["after": "failure"]))
      #expect(try store.run(id: id)?.tags == ["after": "failure"])
    }
  }

  @Test(arguments: [
    "UPDATE runs SET status = 'paused'", "UPDATE runs SET finished = 'later'", "UPDATE runs SET started = 'noon'",
    "UPDATE tensors SET shape = '[4,'", "UPDATE tensors SET dtype = 'float16'", "UPDATE tensors SET data = x'00'",
    "UPDATE timings SET n = 7", "UPDATE tensors SET digest = 'xyz'",
  ])
  func aDamagedRowIsAnErrorNotACrash(tampering: String) throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let id = try store.record(try sampleRun())
      try rawDatabase(path).write { db in
        try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
        try db.execute(sql: tampering)
      }
      let error = #expect(throws: StoreError.self) { try store.run(id: id) }
      #expect(error?.code == .damaged)
      #expect(error?.message.hasPrefix("\(path) is damaged: ") == true)
    }
  }

  @Test func referencesResolveToIDs() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      let empty = #expect(throws: StoreError.self) { try store.resolve("latest") }
      #expect(empty?.message == "latest: \(path) holds no runs yet")
      let ids = try (0..<3).map { _ in try store.record(try sampleRun()) }
      #expect(try store.resolve("latest") == ids[2])
      #expect(try store.resolve("latest~0") == ids[2])
      #expect(try store.resolve("latest~2") == ids[0])
      #expect(try store.resolve("\(ids[1])") == ids[1])

      let tooFar = #expect(throws: StoreError.self) { try store.resolve("latest~5") }
      #expect(tooFar?.code == .noSuchRun)
      #expect(tooFar?.message == "latest~5: \(path) holds only 3 runs")
      let missing = #expect(throws: StoreError.self) { try store.resolve("17") }
      #expect(missing?.message == "no run 17 in \(path)")
      for bad in ["", "latest~", "latest~-1", "latest~x", "Latest", "first", "1.5"] {
        let error = #expect(throws: StoreError.self) { try store.resolve(bad) }
        #expect(error?.code == .badReference, "\(bad)")
      }
    }
  }

  @Test func aReadOnlyStoreReadsButDoesNotWrite() throws {
    try withDatabasePath { path in
      let id = try RunStore.open(path: path, mode: .readWrite).record(try sampleRun())
      let store = try RunStore.open(path: path, mode: .readOnly)
      #expect(try store.run(id: id)?.id == id)
      let error = #expect(throws: StoreError.self) { try store.record(try sampleRun()) }
      #expect(error?.code == .readOnly)
    }
  }

  @Test(arguments: [RunStore.AccessMode.readWrite, .readOnly])
  func rawSQLIsReadOnly(mode: RunStore.AccessMode) throws {
    try withDatabasePath { path in
      _ = try RunStore.open(path: path, mode: .readWrite).record(try sampleRun())
      let store = try RunStore.open(path: path, mode: mode)
      let result = try store.rawQuery(sql: "SELECT id, kind, seed * 0.5 AS half, NULL, x'00ff' FROM runs")
      #expect(result.columns == ["id", "kind", "half", "NULL", "x'00ff'"])
      #expect(result.rows == [[.integer(1), .text("jvp"), .real(21), .null, .blob(Data([0, 255]))]])
      #expect(result.rows[0].map(\.description) == ["1", "jvp", "21.0", "NULL", "X'00FF'"])

      for sql in [
        "DELETE FROM runs", "DROP TABLE runs", "UPDATE runs SET kind = 'x'", "SELECT 1; DELETE FROM runs",
        "SELEC 1", "SELECT * FROM nowhere", "INSERT INTO tags VALUES (1, 'a', 'b')",
      ] {
        let error = #expect(throws: StoreError.self) { try store.rawQuery(sql: sql) }
        #expect(error?.code == .badSQL, "\(sql)")
      }
      #expect(try store.rawQuery(sql: "SELECT count(*) FROM runs").rows == [[.integer(1)]])
    }
  }

  /// Eight writers, each with its own store on one new file, as eight processes would be.
  @Test func concurrentWritersAllSucceed() throws {
    try withDatabasePath { path in
      let failures = Failures()
      let group = DispatchGroup()
      for writer in 0..<8 {
        group.enter()
        Thread {
          defer { group.leave() }
          do {
            let store = try RunStore.open(path: path, mode: .readWrite)
            for _ in 0..<200 {
              _ = try store.record(try sampleRun(tags: ["writer": "\(writer)"]))
            }
          } catch {
            failures.append("\(error)")
          }
        }.start()
      }
      group.wait()
      #expect(failures.all.isEmpty)
      let store = try RunStore.open(path: path, mode: .readOnly)
      #expect(try store.rawQuery(sql: "SELECT count(*), count(DISTINCT id), max(id) FROM runs").rows
        == [[.integer(1600), .integer(1600), .integer(1600)]])
      #expect(try store.rawQuery(sql: "SELECT count(*) FROM tensors").rows == [[.integer(6400)]])
      for writer in 0..<8 {
        #expect(try store.runs(matching: RunQuery(filter: "tag.writer = \(writer)")).count == 200)
      }
    }
  }
}

/// Errors collected from several threads.
private final class Failures: @unchecked Sendable {
  private let lock = NSLock()
  private var messages: [String] = []

  func append(_ message: String) {
    lock.withLock { messages.append(message) }
  }

  var all: [String] { lock.withLock { messages } }
}
