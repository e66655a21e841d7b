import Foundation
import JVPLab
import JVPStore
import Testing

/// `jvplab sweep show` on a synthetic sweep whose times follow known power laws.
@Suite struct SweepReportTests {
  /// Sweep 1 over N (sizes N×N) and two strategies: a-mode takes 1e-9·numel^1.5 s, b-mode 4e-8·numel^1.0 s,
  /// so a-mode is faster below numel 1600 and b-mode above; seeds 0 and 1 carry the same times.
  func syntheticSweep(_ lab: Lab) throws {
    let store = try RunStore.open(path: lab.database, mode: .readWrite)
    var plan = SweepPlan()
    plan.function = "x.exp()"
    plan.inputs = [SweepPlan.Assignment(name: "x", expression: "rand(N, N)")]
    plan.kind = .jvp
    plan.grid = [GridAxis(name: "N", values: ["4", "16", "64", "256"]), GridAxis(name: "strategy", values: ["a-mode", "b-mode"]),
                 GridAxis(name: "seed", values: ["0", "1"])]
    let spec = String(decoding: try JSONEncoder().encode(plan), as: UTF8.self)
    let id = try store.createSweep(name: "synthetic", spec: spec, points: plan.pointCount ?? 0)
    for index in 0..<(plan.pointCount ?? 0) {
      let values = Dictionary(uniqueKeysWithValues: plan.point(index).map { ($0.name, $0.value) })
      let n = Int(values["N"] ?? "") ?? 0
      let numel = Double(n * n)
      let seconds = values["strategy"] == "a-mode" ? 1e-9 * pow(numel, 1.5) : 4e-8 * numel
      let run = NewRun(
        info: RunInfo(kind: "jvp", strategy: values["strategy"], started: Date(), sweep: id, sweepPoint: index),
        tensors: [try StoredTensor(role: "input", index: [0], name: "x", shape: [n, n], elements: .float32(Array(repeating: 0.5, count: n * n)))],
        timings: [TimingSeries(phase: "jvp", samples: [seconds * 1.1, seconds, seconds * 0.9])],
        checks: [CheckResult(name: "fd", maxAbs: 1e-7, maxRel: 1e-7, ok: true)], grid: values)
      _ = try store.record(run)
    }
    try store.setSweepStatus(id, .done)
  }

  func show(_ lab: Lab, _ format: SweepReport.Format) -> (status: ExitStatus, output: Capture) {
    let output = Capture()
    return (SweepReport.run(1, database: lab.database, format: format, console: output.console), output)
  }

  @Test func theScalingExponentIsTheSlopeOfAKnownPowerLaw() throws {
    let lab = try Lab()
    try syntheticSweep(lab)
    let (status, output) = show(lab, .json)
    #expect(status == .success, "\(output.err)")
    let json = try #require(try parseJSON(output.out) as? [String: Any])
    let series = try #require(json["series"] as? [[String: Any]])
    #expect(series.map { ($0["of"] as? [String: String])?["strategy"] } == ["a-mode", "b-mode"])
    let exponents = series.compactMap { $0["exponent"] as? Double }
    #expect(exponents.count == 2)
    #expect(abs(exponents[0] - 1.5) < 1e-9)
    #expect(abs(exponents[1] - 1.0) < 1e-9)
    #expect(series.map { $0["points"] as? Int } == [8, 8])
    #expect((json["points"] as? [Any])?.count == 16)
  }

  @Test func theFastestStrategyChangesWhereTheTimesCross() throws {
    let lab = try Lab()
    try syntheticSweep(lab)
    let json = try #require(try parseJSON(show(lab, .json).output.out) as? [String: Any])
    let fastest = try #require(json["fastest"] as? [[String: Any]])
    #expect(fastest.map { $0["numel_in"] as? Int } == [16, 256, 4096, 65536])
    #expect(fastest.map { $0["strategy"] as? String } == ["a-mode", "a-mode", "b-mode", "b-mode"])
    let text = show(lab, .text).output.out
    #expect(text.hasPrefix("sweep 1  \"synthetic\"  done  16 points"))
    #expect(text.contains("  kind=jvp strategy=a-mode  1.50      8\n"))
    #expect(text.contains("  kind=jvp strategy=b-mode  1.00      8\n"))
  }

  @Test func csvHasOneRowPerPoint() throws {
    let lab = try Lab()
    try syntheticSweep(lab)
    let lines = show(lab, .csv).output.out.split(separator: "\n")
    #expect(lines.first == "point,N,strategy,seed,run,kind,numel_in,median_s,checks,status")
    #expect(lines.count == 17)
    #expect(lines[1].hasPrefix("0,4,a-mode,0,1,jvp,16,"))
    #expect(lines[1].hasSuffix(",fd:ok,ok"))
  }

  @Test func anUnknownSweepIsAnInputError() throws {
    let lab = try Lab()
    try syntheticSweep(lab)
    let output = Capture()
    #expect(SweepReport.run(7, database: lab.database, format: .text, console: output.console) == .usage)
    #expect(output.err == "jvplab: no sweep 7 in \(lab.database)\n")
  }

  @Test func aFitNeedsTwoSizes() {
    #expect(ScalingFit.exponent([(16, 1e-3), (16, 2e-3)]) == nil)
    #expect(ScalingFit.exponent([(10, 1e-3), (1000, 1e-1)]).map { abs($0 - 1) < 1e-12 } == true)
  }
}
