import Foundation
import JVPCore
import JVPLab
import JVPScript
import JVPStore
import Testing

extension Lab {
  func show(_ reference: String, format: Show.Format = .text) -> (status: ExitStatus, output: Capture) {
    let output = Capture()
    return (Show.run(reference: reference, database: database, format: format, console: output.console), output)
  }

  func diff(_ a: String, _ b: String, rtol: Double = 1e-5, atol: Double = 1e-8, format: Diff.Format = .text)
    -> (status: ExitStatus, output: Capture)
  {
    let output = Capture()
    let status = Diff.run(a, b, database: database, tolerance: Diff.Tolerance(rtol: rtol, atol: atol), format: format,
                          console: output.console)
    return (status, output)
  }

  func replay(_ reference: String, repeats: Int = 1, format: Diff.Format = .text) -> (status: ExitStatus, output: Capture) {
    let output = Capture()
    let status = Replay.run(reference: reference, database: database, repeats: repeats, tolerance: Diff.Tolerance(),
                            format: format, commandLine: nil, console: output.console)
    return (status, output)
  }

  /// Records one `--fn` run and returns its id.
  func record(_ spec: FunctionSpec, dtype: DType = .float32) throws -> Int64 {
    let (status, output) = run(fn: spec, dtype: dtype)
    #expect(status == .success, "\(output.err)")
    return try #require(try runs().last).id
  }
}

/// `jvplab show`: every tensor as PyTorch prints it, timings and checks; JSON with tensors; errors.
@Suite struct ShowTests {
  @Test func textShowsMetadataTensorsTimingsAndChecks() throws {
    let lab = try Lab()
    let (status, _) = lab.run(script: try lab.fixture("seed_notebook")) { $0.tags = ["nb": "seed"] }
    #expect(status == .success)
    let (shown, output) = lab.show("1")
    #expect(shown == .success)
    #expect(output.err == "")
    let text = output.out
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    #expect(lines.first == "run 1  jvp  ok")
    #expect(lines.contains("  function  f"))
    #expect(lines.contains("  script    \(lab.directory.path)/seed_notebook.py:10"))
    #expect(lines.contains("  dtype     float32"))
    #expect(lines.contains("  seed      42 (rng_offset 0)"))
    #expect(lines.contains("  tags      nb=seed"))
    #expect(text.contains("source:\n    def f(x):\n        return 2*x\n"))
    #expect(text.contains("""
      tensors:
        input[0]  float32[2]
      tensor([0.8823, 0.9150])
        tangent[0]  float32[2]
      tensor([1., 2.])
        output[]  float32[2]
      tensor([1.7645, 1.8300])
        jvp[]  float32[2]
      tensor([2., 4.])
      timings:
      """))
    let timings = try #require(lines.firstIndex(of: "timings:"))
    #expect(lines[timings + 1].split(separator: " ") == ["phase", "median", "min", "max", "n"])
    #expect(lines[(timings + 1)...].contains { $0.hasPrefix("  jvp ") && $0.hasSuffix("  1") })
    let checks = try #require(lines.firstIndex(of: "checks:"))
    #expect(lines[checks + 1].split(separator: " ") == ["check", "max_abs", "max_rel", "ok"])
    #expect(lines[checks + 2].hasPrefix("  fd "))
    #expect(lines[checks + 2].hasSuffix("  yes"))
  }

  @Test func textShowsMultiLineTensorsAsPyTorchPrintsThem() throws {
    let lab = try Lab()
    let (status, _) = lab.run(script: try lab.fixture("seed_notebook"))
    #expect(status == .success)
    let (shown, output) = lab.show("7")  // jacobian(exp_reducer, inputs)
    #expect(shown == .success)
    #expect(output.out.contains("""
        input[0]  float32[4, 4]
      tensor([[0.2566, 0.7936, 0.9408, 0.1332],
              [0.9346, 0.5936, 0.8694, 0.5677],
              [0.7411, 0.4294, 0.8854, 0.5739],
              [0.2666, 0.6274, 0.2696, 0.4414]])
        output[]  float32[4]
      tensor([7.2083, 8.5064, 7.8338, 6.0426])
        jacobian[]  float32[4, 4, 4]
      tensor([[[1.2925, 2.2114, 2.5620, 1.1425],
      """))
  }

  @Test func failedRunShowsItsError() throws {
    let lab = try Lab()
    let (status, _) = lab.run(fn: spec("x + ones(3)", [("x", "rand(2)")], kind: .jvp))
    #expect(status == .runFailed)
    let (shown, output) = lab.show("latest")
    #expect(shown == .success)
    #expect(output.out.hasPrefix("run 1  jvp  failed\n"))
    #expect(output.out.contains("\n  error     --fn:1:3: The size of tensor a (2) must match"))
  }

  @Test func jsonIsTheRunObjectWithTensors() throws {
    let lab = try Lab()
    let (status, _) = lab.run(script: try lab.fixture("seed_notebook"))
    #expect(status == .success)
    let (shown, output) = lab.show("latest~10", format: .json)  // run 3: jvp(adder, inputs, v)
    #expect(shown == .success)
    let run = try #require(try parseJSON(output.out) as? [String: Any])
    #expect(run["id"] as? Int == 3)
    #expect(run["kind"] as? String == "jvp")
    #expect(run["fn"] as? String == "adder")
    #expect(run["source"] as? String == "def adder(x, y):\n    return 2 * x + 3 * y")
    #expect(run["seed"] as? Int == 42)
    #expect(run["rng_offset"] as? Int == 2)
    #expect(run["line"] as? Int == 23)
    #expect(run["status"] as? String == "ok")
    let tensors = try #require(run["tensors"] as? [[String: Any]])
    #expect(tensors.map { $0["role"] as? String } == ["input", "input", "tangent", "tangent", "output", "jvp"])
    #expect(tensors.map { $0["index"] as? [Int] } == [[0], [1], [0], [1], [], []])
    #expect(tensors.map { $0["shape"] as? [Int] } == Array(repeating: [2], count: 6))
    #expect(tensors[2]["data"] as? [Double] == [1, 2])
    #expect(tensors[3]["data"] as? [Double] == [2, 3])
    #expect(tensors[5]["data"] as? [Double] == [8, 13])
    let stored = try lab.detail(3)
    #expect(tensors[0]["data"] as? [Double] == stored.tensor("input", [0])?.values)
    #expect(tensors[0]["digest"] as? String == stored.tensor("input", [0])?.digestHex)
  }

  @Test(arguments: [
    ("999", "no run 999 in DB"),
    ("latest~50", "latest~50: DB holds only 13 runs"),
    ("nonsense", "'nonsense' is not a run reference: use an id (17), latest, latest~N, or uuid:PREFIX"),
  ])
  func unknownRunReference(reference: String, message: String) throws {
    let lab = try Lab()
    #expect(lab.run(script: try lab.fixture("seed_notebook")).status == .success)
    for format in Show.Format.allCases {
      let (status, output) = lab.show(reference, format: format)
      #expect(status == .usage)
      #expect(output.err == "jvplab: " + message.replacingOccurrences(of: "DB", with: lab.database) + "\n")
      #expect(output.out == "")
    }
  }

  @Test func readOnlyCommandsOnAMissingDatabaseCreateNothing() throws {
    let lab = try Lab()
    let expected = "jvplab: no jvplab database at \(lab.database) (jvplab run creates one)\n"
    let show = lab.show("1")
    #expect(show.status == .usage)
    #expect(show.output.err == expected)
    let diff = lab.diff("1", "2")
    #expect(diff.status == .usage)
    #expect(diff.output.err == expected)
    let replay = lab.replay("1")
    #expect(replay.status == .usage)
    #expect(replay.output.err == expected)
    #expect(try FileManager.default.contentsOfDirectory(atPath: lab.directory.path).isEmpty)
  }
}

/// `jvplab diff A B`: exit 0 when equivalent, 1 when different, 2 on a missing run.
@Suite struct DiffTests {
  @Test func sameFunctionRunTwiceIsEquivalent() throws {
    let lab = try Lab()
    let a = try lab.record(spec("x.exp().sum(dim=1)", [("x", "rand(4, 4)")], kind: .jvp, seed: 42))
    let b = try lab.record(spec("x.exp().sum(dim=1)", [("x", "rand(4, 4)")], kind: .jvp, seed: 42))
    let (status, output) = lab.diff("\(a)", "\(b)")
    #expect(status == .success)
    let lines = output.out.split(separator: "\n").map(String.init)
    #expect(lines.first == "run 1 vs run 2: equivalent")
    #expect(!output.out.contains("source:"))
    #expect(!output.out.contains("DIFFERENT"))
    for label in ["input[0]", "tangent[0]", "output[]", "jvp[]"] {
      #expect(lines.contains { $0.hasPrefix("  \(label) ") && $0.hasSuffix("identical") }, "\(label)")
    }
    #expect(lines.contains("timings (median):"))

    let (jsonStatus, json) = lab.diff("1", "latest", format: .json)
    #expect(jsonStatus == .success)
    let report = try #require(try parseJSON(json.out) as? [String: Any])
    #expect(report["equivalent"] as? Bool == true)
    #expect((report["tensors"] as? [[String: Any]])?.map { $0["outside"] as? Int } == [0, 0, 0, 0])
  }

  @Test func differentSeedsDifferAndListTheFirstDifferingIndices() throws {
    let lab = try Lab()
    let a = try lab.record(spec("x.exp().sum(dim=1)", [("x", "rand(4, 4)")], kind: .jvp, seed: 42))
    let b = try lab.record(spec("x.exp().sum(dim=1)", [("x", "rand(4, 4)")], kind: .jvp, seed: 7))
    let (status, output) = lab.diff("\(a)", "\(b)")
    #expect(status == .differs)
    let text = output.out
    #expect(text.hasPrefix("run 1 vs run 2: DIFFERENT\n"))
    #expect(text.contains("\n  field  run 1  run 2\n  seed   42     7\ntensors:\n"))
    #expect(text.contains("\n  input[0] first differences:\n    [0, 0]: "))
    #expect(text.contains("\n  jvp[] first differences:\n    [0]: "))
    let x = try #require(lab.detail(a).tensor("input", [0])?.values)
    let y = try #require(lab.detail(b).tensor("input", [0])?.values)
    #expect(text.contains("    [0, 0]: \(x[0]) vs \(y[0])\n    [0, 1]: \(x[1]) vs \(y[1])\n"))

    let (_, json) = lab.diff("\(a)", "\(b)", format: .json)
    let report = try #require(try parseJSON(json.out) as? [String: Any])
    #expect(report["equivalent"] as? Bool == false)
    let tensors = try #require(report["tensors"] as? [[String: Any]])
    let input = try #require(tensors.first { $0["tensor"] as? String == "input[0]" })
    #expect(input["outside"] as? Int == 16)
    #expect(input["count"] as? Int == 16)
    let first = try #require(input["first_differences"] as? [[String: Any]])
    #expect(first.map { $0["index"] as? [Int] } == [[0, 0], [0, 1], [0, 2], [0, 3], [1, 0]])
    #expect(first.first?["a"] as? Double == x[0])
    #expect(first.first?["b"] as? Double == y[0])
    let tangent = try #require(tensors.first { $0["tensor"] as? String == "tangent[0]" })
    #expect(tangent["outside"] as? Int == 0)
  }

  @Test func differentKindsDifferWithAnExplanation() throws {
    let lab = try Lab()
    let a = try lab.record(spec("2 * x", [("x", "[1., 2.]")], kind: .jvp))
    let b = try lab.record(spec("2 * x", [("x", "[1., 2.]")], kind: .jacobian))
    let (status, output) = lab.diff("\(a)", "\(b)")
    #expect(status == .differs)
    #expect(output.out.contains("\n  the runs are of different kinds (jvp and jacobian): their results cannot be compared\n"))
    #expect(output.out.contains("\n  jvp[] is only in run 1\n"))
    #expect(output.out.contains("\n  jacobian[] is only in run 2\n"))
  }

  @Test func differentShapesDifferWithAnExplanation() throws {
    let lab = try Lab()
    let a = try lab.record(spec("x.exp()", [("x", "ones(2)")], kind: .jvp))
    let b = try lab.record(spec("x.exp()", [("x", "ones(3)")], kind: .jvp))
    let (status, output) = lab.diff("\(a)", "\(b)")
    #expect(status == .differs)
    #expect(output.out.hasPrefix("run 1 vs run 2: DIFFERENT\n"))
    #expect(output.out.contains("shapes differ: [2] and [3]"))
    let (_, json) = lab.diff("\(a)", "\(b)", format: .json)
    let report = try #require(try parseJSON(json.out) as? [String: Any])
    let notes = (report["tensors"] as? [[String: Any]])?.map { $0["note"] as? String }
    #expect(notes == Array(repeating: "shapes differ: [2] and [3]", count: 4))
  }

  @Test func missingRunIsAUsageError() throws {
    let lab = try Lab()
    _ = try lab.record(spec("x.exp()", [("x", "ones(2)")], kind: .jvp))
    let (status, output) = lab.diff("1", "2")
    #expect(status == .usage)
    #expect(output.err == "jvplab: no run 2 in \(lab.database)\n")
    #expect(output.out == "")
    #expect(lab.diff("latest~1", "1").output.err == "jvplab: latest~1: \(lab.database) holds only 1 run\n")
  }

  /// Outputs 1.0 and 1.001: within rtol 1e-2, outside the default rtol 1e-5 and outside atol 1e-4.
  @Test func tolerancesDecideTheVerdict() throws {
    let lab = try Lab()
    let a = try lab.record(spec("x * 1.0", [("x", "[1., 2.]")], kind: .jvp), dtype: .float64)
    let b = try lab.record(spec("x * 1.001", [("x", "[1., 2.]")], kind: .jvp), dtype: .float64)
    #expect(lab.diff("\(a)", "\(b)").status == .differs)
    #expect(lab.diff("\(a)", "\(b)", rtol: 1e-2).status == .success)
    #expect(lab.diff("\(a)", "\(b)", rtol: 0, atol: 0.01).status == .success)
    #expect(lab.diff("\(a)", "\(b)", rtol: 0, atol: 1e-4).status == .differs)
    #expect(lab.diff("\(a)", "\(b)", rtol: 1e-4, atol: 0).status == .differs)
    let loose = lab.diff("\(a)", "\(b)", rtol: 1e-2).output.out
    #expect(loose.hasPrefix("run 1 vs run 2: equivalent\n"))
    #expect(loose.contains("within tolerance"))
  }

  @Test func differentSourcesShowAUnifiedDiff() throws {
    let lab = try Lab()
    let a = try lab.record(spec("def f(x):\n    y = x * 2\n    return y.exp()", [("x", "[1., 2.]")], kind: .jvp))
    let b = try lab.record(spec("def f(x):\n    y = x * 3\n    return y.exp()", [("x", "[1., 2.]")], kind: .jvp))
    let (status, output) = lab.diff("\(a)", "\(b)")
    #expect(status == .differs)
    #expect(output.out.contains("""
      source:
        --- run 1
        +++ run 2
         def f(x):
        -    y = x * 2
        +    y = x * 3
             return y.exp()

      """))
  }
}

/// `jvplab replay RUN`: a child run with bit-identical tensors, exit 0.
@Suite struct ReplayTests {
  /// Runs `source` as the script `name`; expects it to succeed with `count` runs, and returns them.
  func recordScript(_ lab: Lab, _ name: String, _ source: String, runs count: Int,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> [RunSummary] {
    let (status, output) = lab.run(script: try lab.script(name, source))
    #expect(status == .success, "\(output.err)", sourceLocation: sourceLocation)
    let runs = try lab.runs()
    #expect(runs.count == count, sourceLocation: sourceLocation)
    return runs
  }

  func expectReplayIsIdentical(_ lab: Lab, _ id: Int64, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let before = try lab.runs().count
    let (status, output) = lab.replay("\(id)")
    #expect(status == .success, "\(output.err)", sourceLocation: sourceLocation)
    let runs = try lab.runs()
    #expect(runs.count == before + 1, sourceLocation: sourceLocation)
    let child = try lab.detail(try #require(runs.last).id)
    let original = try lab.detail(id)
    #expect(output.err == "jvplab: replayed run \(id) as run \(child.id)\n", sourceLocation: sourceLocation)
    #expect(output.out.hasPrefix("run \(id) vs run \(child.id): equivalent\n"), sourceLocation: sourceLocation)
    // Nothing but timings may differ: no metadata rows, no source diff.
    #expect(!output.out.contains("  field "), "\(output.out)", sourceLocation: sourceLocation)
    #expect(!output.out.contains("source:"), sourceLocation: sourceLocation)
    #expect(child.info.parent == id, sourceLocation: sourceLocation)
    #expect(child.info.status == .ok, sourceLocation: sourceLocation)
    for field in [\RunInfo.function, \.source, \.strategy, \.dtype, \.script, \.scriptSHA256, \.name] as [KeyPath<RunInfo, String?>] {
      #expect(child.info[keyPath: field] == original.info[keyPath: field], sourceLocation: sourceLocation)
    }
    #expect(child.info.kind == original.info.kind, sourceLocation: sourceLocation)
    #expect(child.info.seed == original.info.seed, sourceLocation: sourceLocation)
    #expect(child.info.rngOffset == original.info.rngOffset, sourceLocation: sourceLocation)
    #expect(child.info.line == original.info.line, sourceLocation: sourceLocation)
    #expect(child.tags == original.tags, sourceLocation: sourceLocation)
    let key = { (t: StoredTensor) in "\(t.role)\(t.index)" }
    #expect(child.tensors.map(key) == original.tensors.map(key), sourceLocation: sourceLocation)
    for (x, y) in zip(child.tensors, original.tensors) {
      #expect(x.digest == y.digest && x.elements == y.elements && x.name == y.name, "\(key(x))", sourceLocation: sourceLocation)
    }
  }

  @Test func replaysSeedNotebookRuns() throws {
    let lab = try Lab()
    #expect(lab.run(script: try lab.fixture("seed_notebook")) { $0.tags = ["from": "nb"] }.status == .success)
    let runs = try lab.runs()
    let expReducerJacobian = try #require(runs.first { $0.info.function == "exp_reducer" && $0.info.kind == "jacobian" })
    let adderJVP = try #require(runs.first { $0.info.function == "adder" })
    let lambdaJacobian = try #require(runs.first { $0.info.function == "<lambda>" })
    for run in [expReducerJacobian, adderJVP, lambdaJacobian, runs[0]] {
      try expectReplayIsIdentical(lab, run.id)
    }
    #expect(try lab.ids("parent > 0", sort: "id").count == 4)
  }

  /// A notebook function that reads script globals (a tensor, a float, an int) records them with the run
  /// (roles `global` and `global_number`, by name), and replay rebinds them: its result is bit-identical.
  @Test func replaysFunctionsThatReadScriptGlobals() throws {
    let lab = try Lab()
    let runs = try recordScript(lab, "globals.py", """
      import torch
      from torch.autograd.functional import jvp, jacobian
      torch.manual_seed(0)
      W = torch.randn(3, 4)
      scale = 2.5
      n = 2
      def f(x):
          return scale * (W @ x) ** n
      x = torch.rand(4)
      jvp(f, x, torch.ones(4))
      jacobian(lambda y: W @ y.exp(), x)

      """, runs: 2)
    let first = try lab.detail(runs[0].id)
    #expect(first.tensors.filter { $0.role == "global" }.map(\.name) == ["W"])
    #expect(first.tensors.filter { $0.role == "global_number" }.map(\.name) == ["scale", "n"])
    #expect(first.tensor("global_number", [0])?.elements == .float64([2.5]))
    #expect(first.tensor("global_number", [1])?.elements == .int64([2]))
    #expect(first.tensor("global", [0])?.shape == [3, 4])
    let second = try lab.detail(runs[1].id)
    #expect(second.tensors.filter { $0.role.hasPrefix("global") }.map(\.name) == ["W"])
    for run in runs { try expectReplayIsIdentical(lab, run.id) }
  }

  /// Tuples and lists of tensors and numbers, nested, are recorded element by element under a container row
  /// (role `global_tuple` or `global_list`, holding its length), strings and None as `global_string` (UTF-8
  /// bytes) and `global_none`, a bool as `global_bool`, a torch.Size and a dtype as `global_size` and
  /// `global_dtype`; `show` prints those as Python does, and replay rebuilds them all.
  @Test func replaysFunctionsThatReadTuplesAndListsOfScriptGlobals() throws {
    let lab = try Lab()
    let runs = try recordScript(lab, "containers.py", """
      import torch
      from torch.autograd.functional import jvp, vjp
      torch.manual_seed(0)
      layers = (torch.randn(3, 3), [torch.randn(3), 0.5], ())
      coef = [2, 1.5, True]
      name = "relu ü"
      nothing = None
      shape = torch.rand(3, 1).shape
      kind = torch.float64
      def f(x):
          return coef[0] * (layers[0] @ x).tanh() + layers[1][0] * layers[1][1] * coef[1] * coef[2] + len(layers[2])
      def g(x):
          return x.reshape(shape).sum() * torch.ones(3, dtype=kind).sum() if name == "relu ü" and nothing is None else x.prod()
      x = torch.rand(3)
      jvp(f, x, torch.ones(3))
      vjp(g, x)

      """, runs: 2)
    let first = try lab.detail(runs[0].id)
    let globals = first.tensors.filter { $0.role.hasPrefix("global") }
    // In the order the function read them: coef first.
    #expect(globals.map { "\($0.role)\($0.index) \($0.name ?? "")" } == [
      "global_list[0] coef", "global_number[0, 0] coef", "global_number[0, 1] coef", "global_bool[0, 2] coef",
      "global_tuple[1] layers", "global[1, 0] layers", "global_list[1, 1] layers", "global[1, 1, 0] layers",
      "global_number[1, 1, 1] layers", "global_tuple[1, 2] layers",
    ])
    #expect(first.tensor("global_tuple", [1])?.elements == .int64([3]))
    #expect(first.tensor("global_tuple", [1, 2])?.elements == .int64([0]))
    #expect(first.tensor("global_number", [0, 1])?.elements == .float64([1.5]))
    #expect(first.tensor("global_bool", [0, 2])?.elements == .int64([1]))
    try expectReplayIsIdentical(lab, runs[0].id)

    let second = try lab.detail(runs[1].id)
    #expect(second.tensors.filter { $0.role.hasPrefix("global") }.map { "\($0.role)\($0.index) \($0.name ?? "")" }
      == ["global_string[0] name", "global_none[0] nothing", "global_size[0] shape", "global_dtype[0] kind"])
    #expect(second.tensor("global_string", [0])?.elements == .int64(Array("relu ü".utf8).map(Int64.init)))
    #expect(second.tensor("global_size", [0])?.elements == .int64([3, 1]))
    #expect(lab.show("\(runs[1].id)").output.out.contains("""
        global_string[0] name  str
      'relu ü'
        global_none[0] nothing  NoneType
      None
        global_size[0] shape  torch.Size
      torch.Size([3, 1])
        global_dtype[0] kind  torch.dtype
      torch.float64

      """))
    try expectReplayIsIdentical(lab, runs[1].id)
  }

  /// Globals that default values read where a function was defined (its own, or a called helper's) are
  /// recorded with its runs, so replay can define the function again from its source.
  @Test func replaysFunctionsWhoseDefaultsReadScriptGlobals() throws {
    let lab = try Lab()
    let runs = try recordScript(lab, "defaults.py", """
      import torch
      from torch.autograd.functional import jacobian, jvp
      torch.manual_seed(1)
      W0 = torch.randn(2, 3)
      k0 = 1.5
      def helper(z, k=k0):
          return z * k
      def f(x, W=W0):
          return helper(W @ x)
      x = torch.randn(3)
      jacobian(f, x)
      jvp(lambda t, b=W0: (b @ t).sum(), x, torch.ones(3))

      """, runs: 2)
    #expect(try lab.detail(runs[0].id).tensors.filter { $0.role.hasPrefix("global") }.compactMap(\.name) == ["W0", "k0"])
    #expect(try lab.detail(runs[1].id).tensors.filter { $0.role.hasPrefix("global") }.compactMap(\.name) == ["W0"])
    for run in runs { try expectReplayIsIdentical(lab, run.id) }
  }

  /// Torch functions and modules the function reads under other names are recorded by the expression that
  /// names them, beside script functions; names replay binds anyway (`from torch import cos`) are not.
  @Test func replaysFunctionsThatReadTorchFunctionsUnderOtherNames() throws {
    let lab = try Lab()
    let run = try #require(try recordScript(lab, "aliases.py", """
      import torch as th
      import torch.autograd.functional as AF
      from torch import cos
      e = th.exp
      size = len
      def f(x):
          return th.sin(x) + e(x) * cos(x) + size(x)
      x = th.rand(3)
      AF.jvp(f, x, th.ones(3))

      """, runs: 1).first)
    #expect(try lab.detail(run.id).functions == ["th": "torch", "e": "torch.exp", "size": "len"])
    try expectReplayIsIdentical(lab, run.id)
  }

  /// A function that calls other functions of the script (a `def` and a `lambda`) records their sources by the
  /// names it called them, `show` lists them, and replay defines them again before running the function.
  @Test func replaysFunctionsThatCallScriptFunctions() throws {
    let lab = try Lab()
    let runs = try recordScript(lab, "calls.py", """
      import torch
      from torch.autograd.functional import jvp, hessian
      torch.manual_seed(0)
      W = torch.randn(3, 4)
      def helper(z):
          return (W @ z).tanh()
      sq = lambda t: t * t
      def f(x):
          return sq(helper(x)).sum()
      x = torch.rand(4)
      jvp(f, x, torch.ones(4))
      hessian(f, x)

      """, runs: 2)
    let shown = lab.show("\(runs[0].id)").output.out
    #expect(shown.contains("calls helper:\n    def helper(z):\n        return (W @ z).tanh()\ncalls sq:\n    lambda t: t * t\n"))
    let json = lab.show("\(runs[0].id)", format: .json).output.out
    #expect(json.contains(#""functions": {"helper": "def helper(z):\n    return (W @ z).tanh()", "sq": "lambda t: t * t"}"#))
    for run in runs {
      let detail = try lab.detail(run.id)
      #expect(detail.functions == ["helper": "def helper(z):\n    return (W @ z).tanh()", "sq": "lambda t: t * t"])
      #expect(detail.tensors.filter { $0.role == "global" }.map(\.name) == ["W"])
      try expectReplayIsIdentical(lab, run.id)
      #expect(try lab.detail(try #require(lab.runs().last).id).functions == detail.functions)
    }
  }

  /// Functions with loops, branches and comprehensions replay from their source, and a closure's captured
  /// variables (`k` below, a local of the function that made it) are recorded like script globals.
  @Test func replaysNotebookPythonFunctionsAndClosures() throws {
    let lab = try Lab()
    let runs = try recordScript(lab, "closures.py", """
      import torch
      from torch.autograd.functional import jacobian, jvp
      def make(k, powers):
          def g(x):
              total = 0
              for p in powers:
                  if p > 1:
                      total = total + (x ** p).sum() * k
              return total + sum(x[i] for i in range(2))
          return g
      for k in [2.0, 3.0]:
          jacobian(make(k, [1, 2, 3]), torch.arange(1.0, 3.0))
      jvp(make(0.5, (2,)), torch.ones(2), torch.ones(2))

      """, runs: 3)
    for run in runs {
      let detail = try lab.detail(run.id)
      #expect(Set(detail.tensors.filter { $0.role.hasPrefix("global") }.compactMap(\.name)) == ["k", "powers"])
      try expectReplayIsIdentical(lab, run.id)
    }
  }

  @Test func replaysFunctionRuns() throws {
    let lab = try Lab()
    let ids = [
      try lab.record(spec("x.exp().sum(dim=1)", [("x", "rand(4, 4)")], kind: .jvp, seed: 42)),
      try lab.record(spec("lambda a, b: a * b.sin()", [("a", "rand(3)"), ("b", "rand(3)")], kind: .vjp, seed: 1,
                          cotangent: "[1., 2., 3.]")),
      try lab.record(spec("def h(x):\n    return (x**3).sum()", [("x", "rand(3)")], kind: .hessian, seed: 2), dtype: .float64),
      try lab.record(spec("(x**3).sum()", [("x", "[1., 2.]")], kind: .hvp, tangents: [("x", "[1., 0.]")])),
      try lab.record(spec("lambda x, y: (x * y).sum()", [("x", "rand(2)"), ("y", "rand(2)")], kind: .vhp, seed: 9)),
      try lab.record(spec("x.sin()", [("x", "rand(3)")], kind: .jacobian, seed: 4)),
    ]
    for id in ids { try expectReplayIsIdentical(lab, id) }
  }

  @Test func replayWithRepeatsStoresTheSamples() throws {
    let lab = try Lab()
    let id = try lab.record(spec("x.exp()", [("x", "rand(3)")], kind: .jvp, seed: 1))
    let (status, output) = lab.replay("\(id)", repeats: 4)
    #expect(status == .success, "\(output.err)")
    let child = try lab.detail(2)
    #expect(child.timings.first { $0.phase == "jvp" }?.samples.count == 4)
  }

  @Test func replayOfAMissingRunIsAUsageError() throws {
    let lab = try Lab()
    _ = try lab.record(spec("x.exp()", [("x", "rand(3)")], kind: .jvp, seed: 1))
    let (status, output) = lab.replay("5")
    #expect(status == .usage)
    #expect(output.err == "jvplab: no run 5 in \(lab.database)\n")
    #expect(try lab.runs().count == 1)
  }
}
