import Foundation
import JVPCore
import JVPStore

/// `jvplab diff A B`: what changed between two runs, with tolerance-aware tensor comparisons.
public enum Diff {
  public enum Format: String, Sendable, CaseIterable {
    case text, json
  }

  public struct Tolerance: Sendable {
    public var rtol = 1e-5
    public var atol = 1e-8

    public init(rtol: Double = 1e-5, atol: Double = 1e-8) {
      self.rtol = rtol
      self.atol = atol
    }
  }

  /// The comparison of one tensor present in both runs.
  struct TensorComparison {
    let label: String
    var note: String?
    var maxAbs = 0.0
    var maxRel = 0.0
    var outside = 0
    var count = 0
    var firstDifferences: [(index: [Int], a: Double, b: Double)] = []
    var equivalent: Bool { note == nil && outside == 0 }
  }

  /// Everything `diff` reports about two runs.
  struct Report {
    var metadata: [(field: String, a: String, b: String)] = []
    var sourceDiff: [String] = []
    var structural: [String] = []
    var tensors: [TensorComparison] = []
    var timings: [(phase: String, a: Double?, b: Double?)] = []
    var equivalent: Bool { structural.isEmpty && tensors.allSatisfy(\.equivalent) }
  }

  public static func run(_ a: String, _ b: String, database: String, tolerance: Tolerance, format: Format, console: Console) -> ExitStatus {
    do {
      let store = try DatabaseLocation.open(database, mode: .readOnly, console: console)
      let left = try RunLookup.detail(a, in: store)
      let right = try RunLookup.detail(b, in: store)
      let report = compare(left, right, tolerance: tolerance)
      console.out((format == .json ? json(report, left.id, right.id).text : text(report, left.id, right.id)) + "\n")
      return report.equivalent ? .success : .differs
    } catch {
      console.err("jvplab: \(error)\n")
      return .usage
    }
  }

  static func compare(_ a: RunDetail, _ b: RunDetail, tolerance: Tolerance) -> Report {
    var report = Report()
    let (x, y) = (a.info, b.info)
    func field(_ name: String, _ p: String?, _ q: String?) {
      if p != q { report.metadata.append((name, p ?? "-", q ?? "-")) }
    }
    field("kind", x.kind, y.kind)
    field("fn", x.function, y.function)
    field("strategy", x.strategy, y.strategy)
    field("vectorize", "\(x.vectorize)", "\(y.vectorize)")
    field("dtype", x.dtype, y.dtype)
    field("seed", x.seed.map { "\($0)" }, y.seed.map { "\($0)" })
    field("rng_offset", x.rngOffset.map { "\($0)" }, y.rngOffset.map { "\($0)" })
    field("status", x.status.rawValue, y.status.rawValue)
    if x.kind != y.kind {
      report.structural.append("the runs are of different kinds (\(x.kind) and \(y.kind)): their results cannot be compared")
    }
    report.sourceDiff = LineDiff.unified(x.source ?? "", y.source ?? "", labels: ("run \(a.id)", "run \(b.id)"))

    let key = { (t: StoredTensor) in "\(t.role)\(t.index)" }
    let right = Dictionary(b.tensors.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
    let left = Set(a.tensors.map(key))
    for t in a.tensors {
      guard let u = right[key(t)] else {
        report.structural.append("\(key(t)) is only in run \(a.id)")
        continue
      }
      report.tensors.append(compare(t, u, label: key(t), tolerance: tolerance))
    }
    for u in b.tensors where !left.contains(key(u)) { report.structural.append("\(key(u)) is only in run \(b.id)") }

    let phases = a.timings.map(\.phase) + b.timings.map(\.phase).filter { p in !a.timings.contains { $0.phase == p } }
    report.timings = phases.map { phase in
      (phase, a.timings.first { $0.phase == phase }?.median, b.timings.first { $0.phase == phase }?.median)
    }
    return report
  }

  static func compare(_ a: StoredTensor, _ b: StoredTensor, label: String, tolerance: Tolerance) -> TensorComparison {
    var result = TensorComparison(label: label)
    guard a.shape == b.shape else {
      result.note = "shapes differ: \(a.shape) and \(b.shape)"
      return result
    }
    if a.dtype != b.dtype { result.note = "dtypes differ: \(a.dtype.rawValue) and \(b.dtype.rawValue)" }
    guard let x = a.tensor?.doubles, let y = b.tensor?.doubles else {
      if a.digest != b.digest {
        result.note = "stored as summaries only (over the store limit) and their digests differ"
      }
      return result
    }
    result.count = x.count
    let strides = Shape.strides(a.shape)
    for i in 0..<x.count {
      let (p, q) = (x[i], y[i])
      if p.isNaN && q.isNaN { continue }
      let difference = Swift.abs(p - q)
      let exact = p == q
      if !exact {
        result.maxAbs = difference.isNaN ? .nan : Swift.max(result.maxAbs, difference)
        let relative = difference / Swift.abs(q)
        if relative.isFinite { result.maxRel = Swift.max(result.maxRel, relative) } else if difference > 0 { result.maxRel = .infinity }
      }
      if !exact && !(difference <= tolerance.atol + tolerance.rtol * Swift.abs(q)) {
        result.outside += 1
        if result.firstDifferences.count < 5 { result.firstDifferences.append((multiIndex(i, strides), p, q)) }
      }
    }
    return result
  }

  static func text(_ report: Report, _ a: Int64, _ b: Int64) -> String {
    var lines = ["run \(a) vs run \(b): " + (report.equivalent ? "equivalent" : "DIFFERENT")]
    if !report.metadata.isEmpty {
      lines.append(Formatting.table([["  field", "run \(a)", "run \(b)"]] + report.metadata.map { ["  " + $0.field, $0.a, $0.b] }))
    }
    if !report.sourceDiff.isEmpty {
      lines.append("source:")
      lines += report.sourceDiff.map { "  " + $0 }
    }
    lines += report.structural.map { "  " + $0 }
    if !report.tensors.isEmpty {
      lines.append("tensors:")
      var rows = [["  tensor", "max_abs", "max_rel", "outside", "verdict"]]
      for t in report.tensors {
        rows.append(["  " + t.label, Formatting.error(t.maxAbs), Formatting.error(t.maxRel), "\(t.outside)/\(t.count)",
                     t.note ?? (t.outside == 0 ? (t.maxAbs == 0 ? "identical" : "within tolerance") : "DIFFERENT")])
      }
      lines.append(Formatting.table(rows))
      for t in report.tensors where !t.firstDifferences.isEmpty {
        lines.append("  \(t.label) first differences:")
        for d in t.firstDifferences {
          lines.append("    \(d.index): \(d.a) vs \(d.b)")
        }
      }
    }
    if !report.timings.isEmpty {
      lines.append("timings (median):")
      let rows = [["  phase", "run \(a)", "run \(b)", "B/A"]] + report.timings.map { t -> [String] in
        let ratio = (t.a ?? 0) > 0 && t.b != nil ? String(format: "%.2fx", t.b! / t.a!) : "-"
        return ["  " + t.phase, Formatting.duration(t.a), Formatting.duration(t.b), ratio]
      }
      lines.append(Formatting.table(rows))
    }
    return lines.joined(separator: "\n")
  }

  static func json(_ report: Report, _ a: Int64, _ b: Int64) -> JSON {
    .object([
      ("a", .int(a)), ("b", .int(b)), ("equivalent", .bool(report.equivalent)),
      ("metadata", .array(report.metadata.map { .object([("field", .string($0.field)), ("a", .string($0.a)), ("b", .string($0.b))]) })),
      ("source_diff", .array(report.sourceDiff.map(JSON.string))),
      ("structural", .array(report.structural.map(JSON.string))),
      ("tensors", .array(report.tensors.map { t in
        .object([
          ("tensor", .string(t.label)), ("max_abs", .number(t.maxAbs)), ("max_rel", .number(t.maxRel)),
          ("outside", .int(Int64(t.outside))), ("count", .int(Int64(t.count))), ("note", t.note.map(JSON.string) ?? .null),
          ("first_differences", .array(t.firstDifferences.map { d in
            .object([("index", .array(d.index.map { .int(Int64($0)) })), ("a", .number(d.a)), ("b", .number(d.b))])
          })),
        ])
      })),
      ("timings", .array(report.timings.map { t in
        .object([("phase", .string(t.phase)), ("a_median_s", t.a.map(JSON.number) ?? .null),
                 ("b_median_s", t.b.map(JSON.number) ?? .null),
                 ("ratio", (t.a ?? 0) > 0 && t.b != nil ? .number(t.b! / t.a!) : .null)])
      })),
    ])
  }
}

extension Diff {
  /// The row-major multi-index of flat position `flat`.
  static func multiIndex(_ flat: Int, _ strides: [Int]) -> [Int] {
    var rest = flat
    return strides.map { stride in
      defer { rest %= stride }
      return rest / stride
    }
  }
}
