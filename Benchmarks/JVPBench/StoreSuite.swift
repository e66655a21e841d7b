import Foundation
import JVPLab
import JVPScript
import JVPStore

/// `jvplab-bench store`: what recording costs and how fast the history answers (issues #4, #5).
///
/// - (a) A generated script of 2,000 `jvp` calls on 4x4 inputs, run in-process once with the real
///   recorder (one SQLite transaction per run, as `jvplab run` does) and once with a recorder that
///   keeps nothing; the difference per call is the recording overhead (target < 0.2 ms per run).
/// - (b) Database bytes per recorded run (pages in use, WAL included), from the same database.
/// - (c) A history of 100,000 runs written with `RunStore.record`, then the filtered query
///   `kind = jvp and time.jvp < 1ms`, newest 50 (target < 50 ms).
/// - (d) `jvplab query --limit 20` on that history as a whole process, the release binary next to
///   this one (target < 100 ms); build it first with `swift build -c release`.
enum StoreSuite {
  static let calls = 2_000
  static let defaultHistorySize = ProcessInfo.processInfo.environment["JVPLAB_BENCH_HISTORY"].flatMap(Int.init) ?? 100_000
  nonisolated(unsafe) static var historySize = defaultHistorySize
  nonisolated(unsafe) static var json = false

  static func run(_ options: BenchOptions) throws {
    historySize = options.quick ? 10_000 : defaultHistorySize
    json = options.json
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jvplab-bench-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }

    try recordingOverhead(in: directory)
    try history(in: directory)
  }

  // MARK: (a) and (b)

  static func script() -> [UInt8] {
    var lines = ["import torch", "from torch.autograd.functional import jvp", "torch.manual_seed(0)",
                 "x = torch.rand(4, 4)", "v = torch.ones(4, 4)"]
    for _ in 0..<calls { lines.append("jvp(lambda x: x.exp().sum(dim=1), x, v)") }
    return Array((lines.joined(separator: "\n") + "\n").utf8)
  }

  static func recordingOverhead(in directory: URL) throws {
    let bytes = script()
    // Alternate the two so that machine noise hits both alike; the median of each is kept.
    var withStore: [Double] = []
    var withoutStore: [Double] = []
    var bytesPerRun = 0.0
    for round in 0..<5 {
      let path = directory.appendingPathComponent("overhead\(round).db").path
      let store = try RunStore.open(path: path, mode: .readWrite)
      let empty = try pagesInUse(store)
      withStore.append(try time {
        // Grouped and finished as `jvplab run SCRIPT` records.
        let recorder = StoreRecorder(
          store: store, context: RunContext(script: "overhead.py", scriptSHA256: "0"), grouped: RunGroupBounds())
        try Interpreter(file: "overhead.py", recorder: recorder, output: { _ in }).run(bytes: bytes)
        precondition(recorder.finish(.success) == .success, "the last group could not be committed")
        precondition(recorder.ids.count == calls, "expected \(calls) recorded runs, got \(recorder.ids.count)")
      })
      bytesPerRun = Double(try pagesInUse(store) - empty) / Double(calls)
      withoutStore.append(try time {
        try Interpreter(file: "overhead.py", recorder: DiscardingRecorder(), output: { _ in }).run(bytes: bytes)
      })
    }
    let recorded = median(withStore)
    let bare = median(withoutStore)
    let overhead = (recorded - bare) / Double(calls)
    table([
      ["case", "value", "target"],
      ["script of \(calls) jvp calls (4x4), recorded", String(format: "%.3f s", recorded), ""],
      ["same script, no-op recorder", String(format: "%.3f s", bare), ""],
      ["recorded runs per second", String(format: "%.0f", Double(calls) / recorded), ""],
      ["ms per recorded run (whole call)", String(format: "%.3f ms", recorded / Double(calls) * 1e3), ""],
      ["recording overhead per run", String(format: "%.3f ms", overhead * 1e3), "< 0.2 ms"],
      ["database bytes per run", String(format: "%.0f B", bytesPerRun), ""],
    ])
  }

  /// Bytes of the pages the database uses, as its connections see it (WAL included).
  static func pagesInUse(_ store: RunStore) throws -> Int {
    func value(_ sql: String) throws -> Int {
      guard case .integer(let n)? = try store.rawQuery(sql: sql).rows.first?.first else { return 0 }
      return Int(n)
    }
    return try value("PRAGMA page_count") * value("PRAGMA page_size") - value("PRAGMA freelist_count") * value("PRAGMA page_size")
  }

  // MARK: (c) and (d)

  static func history(in directory: URL) throws {
    let path = directory.appendingPathComponent("history.db").path
    let store = try RunStore.open(path: path, mode: .readWrite)
    let start = Date(timeIntervalSince1970: 1_790_000_000)
    var generator = SystemRandomNumberGenerator()
    let insertSeconds = try time {
      for i in 0..<historySize { _ = try store.record(try historyRun(i, start: start, using: &generator)) }
    }

    let query = try RunQuery(filter: "kind = jvp and time.jvp < 1ms", limit: 50)
    var found = 0
    let querySeconds = try (0..<20).map { _ in try time { found = try store.runs(matching: query).count } }
    let newestSeconds = try (0..<20).map { _ in try time { _ = try store.runs(matching: RunQuery(limit: 20)) } }
    let bytes = try pagesInUse(store)

    var rows = [
      ["case", "value", "target"],
      ["history written with RunStore.record", String(format: "%d runs in %.1f s (%.0f runs/s)", historySize, insertSeconds, Double(historySize) / insertSeconds), ""],
      ["history size", String(format: "%.1f MiB (%.0f B per run)", Double(bytes) / 1_048_576, Double(bytes) / Double(historySize)), ""],
      ["query 'kind = jvp and time.jvp < 1ms', newest 50", String(format: "%.2f ms median (%d runs)", median(querySeconds) * 1e3, found), "< 50 ms"],
      ["query, no filter, newest 20 (in-process)", String(format: "%.2f ms median", median(newestSeconds) * 1e3), ""],
    ]
    if let binary = releaseBinary() {
      var samples: [Double] = []
      for _ in 0..<11 {
        samples.append(try time {
          let process = Process()
          process.executableURL = URL(fileURLWithPath: binary)
          process.arguments = ["query", "--limit", "20", "--db", path]
          process.standardOutput = FileHandle.nullDevice
          process.standardError = FileHandle.nullDevice
          try process.run()
          process.waitUntilExit()
          precondition(process.terminationStatus == 0, "jvplab query failed")
        })
      }
      rows.append(["`jvplab query --limit 20` (whole process)", String(format: "%.1f ms median", median(samples) * 1e3), "< 100 ms"])
    } else {
      rows.append(["`jvplab query --limit 20` (whole process)", "skipped: no jvplab next to jvplab-bench (swift build -c release)", "< 100 ms"])
    }
    table(rows)
  }

  /// Run `i` of a synthetic history: one of five kinds, four 4x4 tensors, two timings whose medians spread
  /// from 0.2 ms to 2 ms (so about half of the jvp runs are under 1 ms), and a check.
  static func historyRun(_ i: Int, start: Date, using generator: inout SystemRandomNumberGenerator) throws -> NewRun {
    let kinds = ["jvp", "jvp", "vjp", "jacobian", "hvp"]
    let kind = kinds[i % kinds.count]
    let median = Double.random(in: 2e-4...2e-3, using: &generator)
    let values = (0..<16).map { _ in Float.random(in: 0..<1, using: &generator) }
    return NewRun(
      info: RunInfo(
        kind: kind, function: "f\(i % 17)", source: "lambda x: x.exp()", strategy: kind == "jacobian" ? "reverse-mode" : nil,
        dtype: "float32", seed: Int64(i % 100), rngOffset: 0, script: "notebook\(i % 9).py", line: i % 50 + 1,
        started: start.addingTimeInterval(Double(i)), finished: start.addingTimeInterval(Double(i) + 0.001)),
      tensors: [
        try StoredTensor(role: "input", index: [0], name: "x", shape: [4, 4], elements: .float32(values)),
        try StoredTensor(role: "tangent", index: [0], shape: [4, 4], elements: .float32(Array(repeating: 1, count: 16))),
        try StoredTensor(role: "output", index: [], shape: [4], elements: .float32(Array(values.prefix(4)))),
        try StoredTensor(role: kind, index: [], shape: [4], elements: .float32(Array(values.suffix(4)))),
      ],
      timings: [TimingSeries(phase: "forward", samples: [median / 2]), TimingSeries(phase: kind, samples: [median])],
      checks: [CheckResult(name: "fd", maxAbs: 1e-6, maxRel: 1e-5, ok: true)])
  }

  /// The `jvplab` built in the same configuration as this benchmark.
  static func releaseBinary() -> String? {
    let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    let candidate = here.appendingPathComponent("jvplab").path
    return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
  }

  // MARK: Helpers

  static func time(_ body: () throws -> Void) throws -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }

  static func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
  }

  /// Rows as a table, or with `--json` one object per row (case, value, target).
  static func table(_ rows: [[String]], suite: String = "store") {
    if json {
      for row in rows.dropFirst() {
        print(JSON.object([("suite", .string(suite)), ("case", .string(row[0])), ("value", .string(row[1])),
                                ("target", .string(row[2]))]).text)
      }
      return
    }
    let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
    for row in rows {
      print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
    }
  }
}
