import Foundation
import JVPCore
import JVPLab
import JVPScript
import JVPStore
import Testing

/// `jvplab sweep` (issue #19): grid expansion, the checks on a grid, each point recorded as a run
/// with its sweep and grid values, and `--resume` after SIGINT.
@Suite struct SweepTests {
  func plan(_ grid: [String], fn: String = "x.exp().sum(dim=1)", input: String = "rand(N, N)",
            kind: AutodiffKind? = .jvp) throws -> SweepPlan {
    var plan = SweepPlan()
    plan.function = fn
    plan.inputs = [SweepPlan.Assignment(name: "x", expression: input)]
    plan.kind = kind
    plan.grid = try grid.map { text throws(LabFailure) in try GridAxis(parsing: text) }
    return plan
  }

  func sweep(_ lab: Lab, _ plan: SweepPlan) throws -> (status: ExitStatus, output: Capture) {
    try plan.validate(scriptSource: plan.script.map { try String(contentsOfFile: $0, encoding: .utf8) }, confirmed: false)
    let output = Capture()
    return (Sweep.run(plan, settings: Sweep.Settings(database: lab.database), console: output.console), output)
  }

  @Test func theGridExpandsAsNestedLoopsWithTheLastAxisFastest() throws {
    let plan = try plan(["N=4,64,512", "strategy=reverse-mode,auto"])
    #expect(plan.pointCount == 6)
    let points = (0..<6).map { plan.point($0).map { "\($0.name)=\($0.value)" }.joined(separator: " ") }
    #expect(points == [
      "N=4 strategy=reverse-mode", "N=4 strategy=auto", "N=64 strategy=reverse-mode", "N=64 strategy=auto",
      "N=512 strategy=reverse-mode", "N=512 strategy=auto",
    ])
  }

  @Test func seedsAreARangeWithBothEndsOrAList() throws {
    #expect(try SweepPlan.seeds("0..4") == ["0", "1", "2", "3", "4"])
    #expect(try SweepPlan.seeds("3,1,7") == ["3", "1", "7"])
    #expect(throws: LabFailure.self) { try SweepPlan.seeds("4..0") }
    #expect(throws: LabFailure.self) { try SweepPlan.seeds("a..b") }
  }

  @Test(arguments: [
    ("N", "--grid expects NAME=V1,V2,..., got 'N'"),
    ("N=", "--grid N has no values: give N=V1,V2,..."),
    ("N=4,,8", "--grid N: value 2 of '4,,8' is empty"),
    ("2N=4", "--grid '2N=4': the name before '=' must be an identifier such as N or size"),
    ("N=4,4", "--grid N lists the value 4 twice"),
  ])
  func aMalformedGridIsOneLineNamingIt(_ text: String, _ message: String) {
    do {
      _ = try GridAxis(parsing: text)
      Issue.record("\(text) was accepted")
    } catch {
      #expect(error.message == message)
    }
  }

  @Test(arguments: [
    (["N=4", "M=1,2"], "--grid M: M is not used by --fn, --input, --tangent or --cotangent"),
    (["N=4", "N=8"], "--grid N is given twice (--seeds is the axis seed)"),
    (["N=4", "strategy=sideways"], "--grid strategy: 'sideways' is not one of reverse-mode, forward-mode, auto"),
    (["N=4", "dtype=int64"], "--grid dtype: 'int64' is not one of float32, float64"),
    (["N=4", "seed=x"], "--grid seed: 'x' is not an integer"),
    ([], "sweep needs at least one --grid NAME=V1,V2,... (or --seeds)"),
  ])
  func aGridThatCannotRunIsRefusedBeforeAnything(_ grid: [String], _ message: String) throws {
    let plan = try plan(grid)
    do {
      try plan.validate(confirmed: false)
      Issue.record("\(grid) was accepted")
    } catch {
      #expect(error.message == message)
    }
  }

  @Test func moreThan100000PointsNeedYes() throws {
    let values = (1...400).map(String.init).joined(separator: ",")
    let plan = try plan(["N=\(values)", "M=\(values)"], input: "rand(N, M)")
    #expect(plan.pointCount == 160_000)
    do {
      try plan.validate(confirmed: false)
      Issue.record("160,000 points ran without --yes")
    } catch {
      #expect(error.message == "the grid has 160,000 points, more than 100,000: pass --yes to run them all")
    }
    try plan.validate(confirmed: true)
  }

  @Test func eachPointIsARunWithItsSweepAndGridValuesQueryable() throws {
    let lab = try Lab()
    var plan = try plan(["N=2,3,5", "strategy=reverse-mode,forward-mode"], kind: .jacobian)
    plan.grid.append(GridAxis(name: "dtype", values: ["float32", "float64"]))
    let (status, output) = try sweep(lab, plan)
    #expect(status == .success, "\(output.err)")
    #expect(output.err.hasPrefix("jvplab: sweep 1: 12 points into \(lab.database)\n"))
    let runs = try lab.runs()
    #expect(runs.count == 12)
    for (index, run) in runs.enumerated() {
      let values = plan.point(index)
      #expect(run.info.sweep == 1)
      #expect(run.info.sweepPoint == index)
      #expect(run.grid == Dictionary(uniqueKeysWithValues: values.map { ($0.name, $0.value) }))
      let n = Int(values[0].value)!
      #expect(run.inputElements == n * n)
      #expect(run.info.strategy == values[1].value)
      #expect(run.info.dtype == values[2].value)
    }
    #expect(try lab.ids("sweep = 1 and grid.N >= 3 and strategy = forward-mode", sort: "id") == [7, 8, 11, 12])
    #expect(try lab.ids("grid.dtype = float64 and grid.N < 3", sort: "id") == [2, 4])
    #expect(try lab.ids("sweep = 2") == [])
  }

  @Test func gridVariablesReachInputsTangentsAndTheFunctionAndSeedsSweep() throws {
    let lab = try Lab()
    var plan = try plan(["N=2,4", "scale=0.5,2"], fn: "x.exp() * scale")
    plan.tangents = [SweepPlan.Assignment(name: "x", expression: "ones(N) * 3")]
    plan.inputs = [SweepPlan.Assignment(name: "x", expression: "rand(N)")]
    plan.grid.append(GridAxis(name: "seed", values: try SweepPlan.seeds("0..1")))
    let (status, output) = try sweep(lab, plan)
    #expect(status == .success, "\(output.err)")
    for run in try lab.runs() {
      let detail = try lab.detail(run.id)
      let scale = try #require(Double(run.grid["scale"] ?? ""))
      let x = try #require(detail.tensors.first { $0.role == "input" })
      let jvp = try #require(detail.tensors.first { $0.role == "jvp" }?.values)
      #expect(x.shape == [Int(run.grid["N"] ?? "") ?? -1])
      #expect(run.info.seed == Int64(run.grid["seed"] ?? ""))
      // jvp of exp(x) * scale along 3 is 3 * scale * exp(x).
      let expected = try #require(x.values).map { 3 * scale * Foundation.exp($0) }
      #expect(jvp.count == expected.count)
      for (a, b) in zip(jvp, expected) { #expect(abs(a - b) <= 1e-5 * abs(b)) }
    }
    // Seeds 0 and 1 draw different inputs; the same seed the same ones.
    let inputs = try lab.runs().map { try lab.detail($0.id).tensors.first { $0.role == "input" }?.digestHex }
    #expect(inputs[0] != inputs[1])
    #expect(inputs[0] == inputs[2])
  }

  @Test func aScriptSweepBindsTheVariablesAsGlobals() throws {
    let lab = try Lab()
    let path = try lab.script("grid.py", """
      import torch
      from torch.autograd.functional import jvp
      x = torch.rand(N, 2)
      jvp(lambda x: (x * factor).sum(dim=1), x, torch.ones(N, 2))
      """)
    var plan = SweepPlan()
    plan.script = path
    plan.grid = [GridAxis(name: "N", values: ["1", "3"]), GridAxis(name: "factor", values: ["2", "0.5"])]
    let (status, output) = try sweep(lab, plan)
    #expect(status == .success, "\(output.err)")
    let runs = try lab.runs()
    #expect(runs.map(\.inputElements) == [2, 2, 6, 6])
    #expect(runs.map(\.info.sweepPoint) == [0, 1, 2, 3])
    #expect(runs.map { $0.grid["factor"] } == ["2", "0.5", "2", "0.5"])
    #expect(runs.allSatisfy { $0.info.script == path && $0.info.sweep == 1 })
    // N=1, factor=0.5: the jvp of (x * 0.5).sum(dim=1) along ones is 2 * 0.5.
    #expect(try lab.detail(runs[1].id).tensors.first { $0.role == "jvp" }?.values == [1])
    var unused = plan
    unused.grid.append(GridAxis(name: "M", values: ["1"]))
    #expect(throws: LabFailure.self) { try unused.validate(scriptSource: try String(contentsOfFile: path, encoding: .utf8), confirmed: false) }
  }

  @Test func aProgressBarWithTheTimeLeftGoesOnlyToATerminal() throws {
    let plan = try plan(["N=2,3,4"])
    let lab = try Lab()
    let quiet = Capture()
    #expect(Sweep.run(plan, settings: Sweep.Settings(database: lab.database), console: quiet.console) == .success)
    #expect(!quiet.err.contains("\r"))
    let terminal = Capture()
    let console = Console(out: terminal.console.out, err: terminal.console.err, errIsTerminal: true)
    #expect(Sweep.run(plan, settings: Sweep.Settings(database: lab.database), console: console) == .success)
    #expect(terminal.err.contains("\r[" + String(repeating: "#", count: 30) + "] 3/3 points, 0 s left"), "\(terminal.err)")
  }
}
