import Dispatch
import Foundation
import JVPLab

/// Options every suite sees: `--json` (machine-readable output for Benchmarks/compare_torch.py) and
/// `--quick` (fewer repetitions, for a smoke run).
struct BenchOptions: Sendable {
  var json = false
  var quick = false
  /// Where the stored PyTorch medians live (`--torch FILE`); defaults to Benchmarks/torch-timings.json.
  var torchTimings: String?
  /// `--only TEXT`: run only the engine cases whose name contains TEXT (and skip the extra reports).
  var only: String?
  /// `--kernels-only` (matmul suite): time the kernels and list the cases untimed, for a driver that times
  /// each case in a process of its own (`compare_torch.py --suite matmul`).
  var kernelsOnly = false
}

/// Median-of-many timing of one call, warm.
struct Timing: Sendable {
  var median: Double
  var min: Double
  var p25: Double
  var p75: Double
  var samples: Int

  /// Calls `body` until warm, then times single calls until both `minReps` samples and `minTime` seconds are
  /// reached (or `maxReps`); reports the median and quartiles of the per-call times.
  static func measure(minTime: Double, minReps: Int = 31, maxReps: Int = 200_000, _ body: () throws -> Void) rethrows -> Timing {
    let warmStart = DispatchTime.now().uptimeNanoseconds
    var warm = 0
    while warm < 3 || (warm < 1000 && seconds(since: warmStart) < minTime / 10) {
      try body()
      warm += 1
    }
    var samples: [Double] = []
    samples.reserveCapacity(Swift.min(maxReps, 1 << 16))
    let start = DispatchTime.now().uptimeNanoseconds
    while samples.count < maxReps && (samples.count < minReps || seconds(since: start) < minTime) {
      let t0 = DispatchTime.now().uptimeNanoseconds
      try body()
      samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
    return timing(of: samples)
  }

  /// `measure` for several bodies at once, in turns of `slice` seconds each until every one has `minReps`
  /// samples and `minTime` seconds have passed, so that all of them see the same machine: the memory
  /// bandwidth other tenants of the host leave comes and goes over seconds, and a bound measured at another
  /// moment than what it bounds can be off by half. The first call of each turn is not timed: it pays for
  /// the turn before (its worker threads still spinning, its data in the caches).
  static func alternate(minTime: Double, slice: Double = 0.02, minReps: Int = 31, _ bodies: [() throws -> Void]) throws -> [Timing] {
    var samples = [[Double]](repeating: [], count: bodies.count)
    let start = DispatchTime.now().uptimeNanoseconds
    while samples.contains(where: { $0.count < minReps }) || seconds(since: start) < minTime {
      for (k, body) in bodies.enumerated() {
        try body()
        let turn = DispatchTime.now().uptimeNanoseconds
        repeat {
          let t0 = DispatchTime.now().uptimeNanoseconds
          try body()
          samples[k].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        } while seconds(since: turn) < slice
      }
    }
    return samples.map { timing(of: $0) }
  }

  static func timing(of unsorted: [Double]) -> Timing {
    let samples = unsorted.sorted()
    func q(_ p: Double) -> Double { samples[Swift.min(samples.count - 1, Int(p * Double(samples.count)))] }
    return Timing(median: q(0.5), min: samples[0], p25: q(0.25), p75: q(0.75), samples: samples.count)
  }

  static func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}

/// Durations as people read them: `3.2 µs`, `1.40 ms`.
func formatDuration(_ s: Double) -> String {
  if s.isNaN { return "–" }
  if s < 1e-6 { return String(format: "%.0f ns", s * 1e9) }
  if s < 1e-3 { return String(format: s < 1e-5 ? "%.2f µs" : "%.1f µs", s * 1e6) }
  if s < 1 { return String(format: s < 1e-2 ? "%.3f ms" : "%.2f ms", s * 1e3) }
  return String(format: "%.3f s", s)
}

/// A plain text table with left-aligned first column and right-aligned others.
func renderTable(_ header: [String], _ rows: [[String]]) -> String {
  var widths = header.map(\.count)
  for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
  func line(_ cells: [String]) -> String {
    cells.enumerated().map { i, cell in
      let pad = String(repeating: " ", count: widths[i] - cell.count)
      return i == 0 ? cell + pad : pad + cell
    }.joined(separator: "  ")
  }
  return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")] + rows.map(line))
    .joined(separator: "\n")
}

extension JSON {
  /// A measurement for the `--json` output: null when it is missing or not finite.
  static func num(_ x: Double?) -> JSON { x.map { $0.isFinite ? .number($0) : .null } ?? .null }
}

/// The stored PyTorch medians (`Benchmarks/torch-timings.json`, a copy of the reference measured on this machine class).
func loadTorchTimings(_ options: BenchOptions) -> [String: Double] {
  let path = options.torchTimings ?? URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Benchmarks/torch-timings.json").path
  guard let data = FileManager.default.contents(atPath: path),
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
    FileHandle.standardError.write(Data("jvplab-bench: no PyTorch timings at \(path)\n".utf8))
    return [:]
  }
  return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
}
