import Foundation
import JVPLab
import JVPScript

/// `jvplab-bench func`: the torch.func tutorial's cases (Benchmarks/func_cases.py), timed by the script itself
/// under jvplab's interpreter with nothing recorded, so the medians are the transform calls alone (tracing,
/// graph transforms and evaluation) as a script makes them. `Benchmarks/compare_torch.py --suite func` runs the
/// same file under PyTorch and prints both side by side.
enum FuncSuite {
  static func script() -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("func_cases.py")
  }

  /// `case: seconds` lines as (case, seconds).
  static func medians(_ transcript: String) -> [(String, Double)] {
    transcript.split(separator: "\n").compactMap { line in
      guard let colon = line.lastIndex(of: ":"), let seconds = Double(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)) else {
        return nil
      }
      return (String(line[..<colon]), seconds)
    }
  }

  static func run(_ options: BenchOptions) throws {
    let source = try String(contentsOf: script(), encoding: .utf8)
    var transcript = ""
    let interpreter = Interpreter(file: "func_cases.py", recorder: DiscardingRecorder()) { transcript += $0 }
    try interpreter.run(bytes: Array(source.utf8))
    let results = medians(transcript)
    if options.json {
      print(JSON.object([
        ("suite", .string("func")),
        ("cases", .array(results.map { .object([("case", .string($0.0)), ("median_s", .num($0.1))]) })),
      ]).text)
    } else {
      print(renderTable(["case", "jvplab median"], results.map { [$0.0, formatDuration($0.1)] }))
    }
  }
}
