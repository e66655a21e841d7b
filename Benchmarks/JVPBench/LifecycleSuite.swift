import Dispatch
import Foundation
import JVPLab
import JVPStore

/// `jvplab-bench lifecycle`: a 1,000-point sweep against what its points cost, and gc of 100,000 removed runs.
///
/// Both run the built `jvplab` (next to this binary) as a user would, so process start, schema checks and
/// every transaction count.
enum LifecycleSuite {
  static let sweepArguments = [
    "sweep", "--fn", "x.exp().sum(dim=1)", "--input", "x=rand(N, N)", "--kind", "jvp", "--grid", "N=2,3,4,5", "--seeds", "0..249",
  ]

  static func run(_ options: BenchOptions) throws {
    guard let binary = StoreSuite.releaseBinary() else {
      FileHandle.standardError.write(Data("jvplab-bench lifecycle: no jvplab next to jvplab-bench (swift build -c release)\n".utf8))
      return
    }
    let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("jvplab-bench-lifecycle-\(getpid())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    var rows = [["case", "value", "target"]]
    rows += try sweep(binary, in: directory, trials: options.quick ? 1 : 3)
    rows += try garbageCollection(binary, in: directory, runs: options.quick ? 10_000 : 100_000)
    StoreSuite.json = options.json
    StoreSuite.table(rows, suite: "lifecycle")
  }

  /// The sweep's wall time against the sum of its runs' stored medians (every phase) plus the time
  /// recording takes to write the same 1,000 runs again, grouped as the sweep groups them (`RunGroup`);
  /// the median of `trials` sweeps.
  static func sweep(_ binary: String, in directory: URL, trials: Int) throws -> [[String]] {
    var walls: [Double] = []
    var cpus: [Double] = []
    var budgets: [(medians: Double, transform: Double, recording: Double, recordingCPU: Double)] = []
    for trial in 0..<trials {
      let path = directory.appendingPathComponent("sweep-\(trial).db").path
      let childCPU = cpuSeconds(RUSAGE_CHILDREN)
      walls.append(try jvplab(binary, sweepArguments + ["--db", path]).seconds)
      cpus.append(cpuSeconds(RUSAGE_CHILDREN) - childCPU)
      let store = try RunStore.open(path: path, mode: .readOnly)
      let runs = try store.runs(ofSweep: 1)
      precondition(runs.count == 1000, "the sweep recorded \(runs.count) runs")
      let medians = runs.reduce(0.0) { $0 + $1.timings.reduce(0.0) { $0 + ($1.median ?? 0) } }
      let transform = runs.reduce(0.0) { $0 + ($1.timings.first { $0.phase == "jvp" }?.median ?? 0) }
      let details = try runs.map { try store.run(id: $0.id)! }
      let copy = try RunStore.open(path: directory.appendingPathComponent("copy-\(trial).db").path, mode: .readWrite)
      guard let group = copy.groupedRuns(RunGroupBounds()) else { preconditionFailure("a read-write store records in groups") }
      let ownCPU = cpuSeconds(RUSAGE_SELF)
      let recording = try StoreSuite.time {
        for detail in details {
          var run = NewRun(info: detail.info, tensors: detail.tensors, timings: detail.timings, checks: detail.checks,
                           tags: detail.tags, functions: detail.functions, grid: detail.grid)
          run.info.sweep = nil
          _ = try group.record(run)
        }
        try group.flush()
      }
      budgets.append((medians, transform, recording, cpuSeconds(RUSAGE_SELF) - ownCPU))
    }
    let wall = StoreSuite.median(walls)
    let cpu = StoreSuite.median(cpus)
    let middle = budgets.sorted { $0.medians + $0.recording < $1.medians + $1.recording }[budgets.count / 2]
    let budget = middle.medians + middle.recording
    let ratio = wall / budget
    let cpuRatio = cpu / (middle.medians + middle.recordingCPU)
    return [
      ["sweep of 1,000 points (4 sizes x 250 seeds, jvp 2x2..5x5), whole process", String(format: "%.3f s wall, %.3f s CPU (median of %d)", wall, cpu, trials), ""],
      ["its runs' stored medians, every phase (jvp alone)", String(format: "%.4f s (%.4f s)", middle.medians, middle.transform), ""],
      ["recording the same 1,000 runs, grouped as the sweep records", String(format: "%.3f s wall, %.3f s CPU", middle.recording, middle.recordingCPU), ""],
      ["sweep / (medians + recording), wall", String(format: "%.2fx; per point %.0f µs over the budget", ratio, (wall - budget) / 1000 * 1e6),
       ratio < 1.5 ? "< 1.5x: met" : "< 1.5x: NOT met"],
      ["sweep / (medians + recording), CPU time", String(format: "%.2fx", cpuRatio), ""],
    ]
  }

  /// `jvplab gc` of `count` removed runs of a synthetic history, with the runs removed long enough ago.
  static func garbageCollection(_ binary: String, in directory: URL, runs count: Int) throws -> [[String]] {
    let path = directory.appendingPathComponent("gc.db").path
    let store = try RunStore.open(path: path, mode: .readWrite)
    var generator = SystemRandomNumberGenerator()
    let start = Date(timeIntervalSince1970: 1_790_000_000)
    let kept = 1000
    for i in 0..<(count + kept) { _ = try store.record(try StoreSuite.historyRun(i, start: start, using: &generator)) }
    let ids = try store.ids(matching: RunQuery(filter: "id > \(kept)"))
    precondition(ids.count == count)
    for chunk in stride(from: 0, to: ids.count, by: 10_000) {
      _ = try store.softDelete(Array(ids[chunk..<min(chunk + 10_000, ids.count)]))
    }
    let before = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
    let (output, seconds) = try jvplab(binary, ["gc", "--db", path])
    let after = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
    let remaining = try RunStore.open(path: path, mode: .readOnly).runs(matching: RunQuery()).count
    precondition(remaining == kept, "gc left \(remaining) runs")
    return [
      ["`jvplab gc` of \(count.formatted()) removed runs (\(kept) kept)", String(format: "%.2f s", seconds), count == 100_000 ? (seconds < 30 ? "< 30 s: met" : "< 30 s: NOT met") : "< 30 s at 100,000"],
      ["database file before and after gc", String(format: "%.1f MB -> %.1f MB", Double(before) / 1e6, Double(after) / 1e6), ""],
      ["what gc said", output.trimmingCharacters(in: .whitespacesAndNewlines), ""],
    ]
  }

  /// User plus system CPU seconds of this process or of its finished children.
  static func cpuSeconds(_ who: __rusage_who) -> Double {
    var usage = rusage()
    getrusage(who.rawValue, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
  }

  /// Runs `jvplab arguments...` and returns its stderr and its wall time; a failure stops the benchmark.
  ///
  /// The time ends when the child's stderr closes, which the kernel does as it exits: Foundation's
  /// `waitUntilExit` polls its run loop every 50 ms, and timing past it added up to that much to each process.
  @discardableResult
  static func jvplab(_ binary: String, _ arguments: [String]) throws -> (output: String, seconds: Double) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    let errors = Pipe()
    process.standardOutput = FileHandle.nullDevice
    process.standardError = errors
    let start = DispatchTime.now().uptimeNanoseconds
    try process.run()
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    process.waitUntilExit()
    precondition(process.terminationStatus == 0, "jvplab \(arguments.joined(separator: " ")) failed: \(text)")
    return (text, seconds)
  }
}
