import Dispatch
import Foundation
import JVPLab

/// `jvplab-bench cli`: does the median `jvplab run --repeat N` stores match what the process really spends per call?
///
/// Runs the built `jvplab` (next to this binary) on a 4x4 exp_reducer jvp with `--repeat 1`, `1000` and `100000`,
/// several times each, and takes the marginal wall-clock cost per repetition, (T(N) - T(1)) / (N - 1), as the
/// whole-process measurement to compare with the stored median of the `--repeat 1000` run.
enum CLISuite {
  static func jvplabPath() -> String {
    URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
      .appendingPathComponent("jvplab").path
  }

  /// Wall time of one `jvplab run` and the stored median of its jvp timing.
  static func runOnce(_ repeats: Int, database: String) throws -> (wall: Double, storedMedian: Double?) {
    try? FileManager.default.removeItem(atPath: database)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: jvplabPath())
    process.arguments = ["run", "--fn", "x.exp().sum(dim=1)", "--input", "x=rand(4, 4)", "--kind", "jvp", "--seed", "42",
                         "--repeat", String(repeats), "--db", database, "--format", "json"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    let start = DispatchTime.now().uptimeNanoseconds
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    // Timed at the EOF of its stdout (the kernel closes it as the process exits): `waitUntilExit` polls
    // every 50 ms.
    let wall = Timing.seconds(since: start)
    process.waitUntilExit()
    let runs = try JSONSerialization.jsonObject(with: data) as? [[String: Any]]
    let timings = runs?.first?["timings"] as? [String: Any]
    let median = ((timings?["jvp"] as? [String: Any])?["median_s"] as? NSNumber)?.doubleValue
    return (wall, median)
  }

  static func run(_ options: BenchOptions) throws {
    let database = NSTemporaryDirectory() + "jvplab-bench-cli-\(getpid()).db"
    defer {
      for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
    }
    let trials = options.quick ? 3 : 11
    var walls: [Int: [Double]] = [:]
    var stored: [Double] = []
    for _ in 0..<trials {
      for repeats in [1, 1000, 100_000] {
        let (wall, median) = try runOnce(repeats, database: database)
        walls[repeats, default: []].append(wall)
        if repeats == 1000, let median { stored.append(median) }
      }
    }
    func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    let t1 = median(walls[1]!), t1000 = median(walls[1000]!), t100k = median(walls[100_000]!)
    let perCall1000 = (t1000 - t1) / 999
    let perCall100k = (t100k - t1) / 99_999
    let storedMedian = median(stored)
    let ratio = perCall100k / storedMedian
    if options.json {
      print(JSON.object([
        ("suite", .string("cli")), ("case", .string("jvplab run --repeat 1000, jvp exp_reducer 4x4")),
        ("stored_median_s", .num(storedMedian)), ("process_s_repeat_1", .num(t1)), ("process_s_repeat_1000", .num(t1000)),
        ("process_s_repeat_100000", .num(t100k)), ("per_call_from_1000_s", .num(perCall1000)),
        ("per_call_from_100000_s", .num(perCall100k)), ("ratio", .num(ratio)), ("met", .bool(ratio >= 0.5 && ratio <= 2)),
      ]).text)
      return
    }
    print("jvplab run --fn 'x.exp().sum(dim=1)' --input x='rand(4, 4)' --kind jvp (median of \(trials) processes each)")
    print(renderTable(["--repeat", "process wall time"], [
      ["1", formatDuration(t1)], ["1000", formatDuration(t1000)], ["100000", formatDuration(t100k)],
    ]))
    print("stored median (--repeat 1000): \(formatDuration(storedMedian))")
    print("whole-process cost per call: \(formatDuration(perCall1000)) from --repeat 1000, \(formatDuration(perCall100k)) from --repeat 100000")
    print("ratio whole-process / stored median: \(String(format: "%.2f", ratio)) (target within 2x: \(ratio >= 0.5 && ratio <= 2 ? "met" : "NOT met"))")
  }
}
