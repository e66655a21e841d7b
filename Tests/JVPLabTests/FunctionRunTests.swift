import Foundation
import JVPCore
import JVPLab
import JVPScript
import JVPStore
import Testing

/// `jvplab run --fn SRC --input NAME=EXPR ... --kind KIND` through `FunctionRun.run`.
@Suite struct FunctionRunTests {
  /// The seed notebook recorded into `lab`; returns its runs by line.
  func recordSeedNotebook(_ lab: Lab) throws -> [Int: RunDetail] {
    let (status, output) = lab.run(script: try lab.fixture("seed_notebook"))
    #expect(status == .success, "\(output.err)")
    var byLine: [Int: RunDetail] = [:]
    for run in try lab.runs() where byLine[run.info.line ?? 0] == nil {
      byLine[run.info.line ?? 0] = try lab.detail(run.id)
    }
    return byLine
  }

  func expectSameTensors(_ a: RunDetail, _ b: RunDetail, sourceLocation: SourceLocation = #_sourceLocation) {
    let key = { (t: StoredTensor) in "\(t.role)\(t.index)" }
    #expect(a.tensors.map(key) == b.tensors.map(key), sourceLocation: sourceLocation)
    for (x, y) in zip(a.tensors, b.tensors) {
      #expect(x.shape == y.shape && x.elements == y.elements && x.digest == y.digest, "\(key(x))", sourceLocation: sourceLocation)
    }
  }

  /// `x.exp().sum(dim=1)` with `--input x=rand(4,4)` and seed 42 draws the same numbers the script form
  /// draws after `torch.manual_seed(42)`: its first six are the notebook's `x` and `inputs` bit for bit.
  @Test func bareExpressionDrawsWhatTheScriptFormDraws() throws {
    let lab = try Lab()
    let notebook = try recordSeedNotebook(lab)
    let (status, output) = lab.run(fn: spec("x.exp().sum(dim=1)", [("x", "rand(4,4)")], kind: .jvp, seed: 42))
    #expect(status == .success, "\(output.err)")
    #expect(output.out == "(tensor([8.9895, 6.8053, 8.0611, 7.7843]),\n tensor([8.9895, 6.8053, 8.0611, 7.7843]))\n")
    let run = try lab.detail(try #require(lab.runs().last).id)
    #expect(run.info.kind == "jvp")
    #expect(run.info.function == "<fn>")
    #expect(run.info.source == "x.exp().sum(dim=1)")
    #expect(run.info.seed == 42)
    #expect(run.info.rngOffset == 0)
    let input = try #require(run.tensor("input", [0]))
    #expect(input.name == "x")
    #expect(input.shape == [4, 4])
    #expect(run.tensor("tangent", [0])?.elements == .float32(Array(repeating: 1, count: 16)))
    guard case .float32(let drawn)? = input.elements else { Issue.record("input is not float32"); return }
    let first = try #require(notebook[10]?.tensor("input", [0]))
    let adderX = try #require(notebook[23]?.tensor("input", [0]))
    let adderY = try #require(notebook[23]?.tensor("input", [1]))
    let earlier = [first, adderX, adderY].flatMap { tensor -> [Float] in
      guard case .float32(let values)? = tensor.elements else { return [] }
      return values
    }
    #expect(Array(drawn.prefix(6)) == earlier)
    #expect(run.tensor("jvp")?.elements == run.tensor("output")?.elements)
  }

  /// Skipping the notebook's six earlier draws reproduces its `exp_reducer` jvp (7.2083, ...) bit for bit.
  @Test func bareExpressionReproducesTheNotebookRun() throws {
    let lab = try Lab()
    let notebook = try recordSeedNotebook(lab)
    let (status, output) = lab.run(fn: spec("x.exp().sum(dim=1)", [("x", "(rand(6), rand(4, 4))[1]")], kind: .jvp, seed: 42))
    #expect(status == .success, "\(output.err)")
    #expect(output.out == "(tensor([7.2083, 8.5064, 7.8338, 6.0426]),\n tensor([7.2083, 8.5064, 7.8338, 6.0426]))\n")
    let run = try lab.detail(try #require(lab.runs().last).id)
    let original = try #require(notebook[33])
    #expect(original.info.function == "exp_reducer")
    #expect(run.info.rngOffset == 6)
    #expect(run.info.rngOffset == original.info.rngOffset)
    expectSameTensors(run, original)
  }

  /// `--rng-offset 6` skips the same six draws: the run's rng_offset is what it was given, and seed plus
  /// rng_offset of any script run regenerate its inputs alone.
  @Test func rngOffsetContinuesTheStreamWhereTheScriptRunBegan() throws {
    let lab = try Lab()
    let notebook = try recordSeedNotebook(lab)
    let original = try #require(notebook[33])
    var offsetSpec = spec("x.exp().sum(dim=1)", [("x", "rand(4, 4)")], kind: .jvp, seed: 42)
    offsetSpec.rngOffset = try #require(original.info.rngOffset.map(Int.init))
    let (status, output) = lab.run(fn: offsetSpec)
    #expect(status == .success, "\(output.err)")
    #expect(output.out == "(tensor([7.2083, 8.5064, 7.8338, 6.0426]),\n tensor([7.2083, 8.5064, 7.8338, 6.0426]))\n")
    let run = try lab.detail(try #require(lab.runs().last).id)
    #expect(run.info.rngOffset == 6)
    expectSameTensors(run, original)
  }

  @Test func defIsRecordedWithItsNameAndSource() throws {
    let lab = try Lab()
    let notebook = try recordSeedNotebook(lab)
    let source = "def exp_reducer(x):\n    return x.exp().sum(dim=1)"
    let (status, output) = lab.run(fn: spec(source, [("x", "(rand(6), rand(4, 4))[1]")], kind: .jacobian, seed: 42))
    #expect(status == .success, "\(output.err)")
    let run = try lab.detail(try #require(lab.runs().last).id)
    #expect(run.info.function == "exp_reducer")
    #expect(run.info.source == source)
    #expect(run.info.strategy == "reverse-mode")
    #expect(run.tensor("jacobian")?.shape == [4, 4, 4])
    expectSameTensors(run, try #require(notebook[35]))
  }

  /// The notebook's `jvp(adder, inputs, v)` as a two-input lambda with `--tangent`s.
  @Test func lambdaWithTwoInputsAndTangents() throws {
    let lab = try Lab()
    let notebook = try recordSeedNotebook(lab)
    let (status, output) = lab.run(fn: spec(
      "lambda x, y: 2 * x + 3 * y", [("x", "(rand(2), rand(2))[1]"), ("y", "rand(2)")], kind: .jvp, seed: 42,
      tangents: [("x", "[1., 2.]"), ("y", "torch.tensor([2., 3.])")]))
    #expect(status == .success, "\(output.err)")
    #expect(output.out == "(tensor([1.9371, 3.7213]), tensor([ 8., 13.]))\n")
    let run = try lab.detail(try #require(lab.runs().last).id)
    #expect(run.info.function == "<lambda>")
    #expect(run.info.source == "lambda x, y: 2 * x + 3 * y")
    #expect(run.tensors.filter { $0.role == "input" }.map(\.name) == ["x", "y"])
    let adder = try #require(notebook[23])
    for role in ["input", "tangent"] {
      for i in 0..<2 { #expect(run.tensor(role, [i])?.elements == adder.tensor(role, [i])?.elements, "\(role)[\(i)]") }
    }
    #expect(run.tensor("jvp")?.elements == adder.tensor("jvp")?.elements)
    #expect(run.tensor("jvp")?.elements == .float32([8, 13]))
  }

  /// Inputs bind to the function's parameters by name, whatever order the `--input`s come in.
  @Test func inputsBindByName() throws {
    let lab = try Lab()
    let (status, output) = lab.run(fn: spec("lambda a, b: a - b", [("b", "[1., 1.]"), ("a", "[5., 7.]")], kind: .jvp))
    #expect(status == .success, "\(output.err)")
    #expect(output.out == "(tensor([4., 6.]), tensor([0., 0.]))\n")
    let run = try lab.detail(1)
    #expect(run.tensors.filter { $0.role == "input" }.map(\.name) == ["a", "b"])
  }

  @Test func missingTangentsDefaultToOnes() throws {
    let lab = try Lab()
    let (status, output) = lab.run(fn: spec("lambda x, y: x * y", [("x", "[1., 2.]"), ("y", "[3., 4.]")], kind: .jvp,
                                           tangents: [("y", "[10., 0.]")]))
    #expect(status == .success, "\(output.err)")
    // d(x*y) = dx*y + x*dy with dx = ones, dy = [10, 0].
    #expect(output.out == "(tensor([3., 8.]), tensor([13.,  4.]))\n")
    let run = try lab.detail(1)
    #expect(run.tensor("tangent", [0])?.elements == .float32([1, 1]))
    #expect(run.tensor("tangent", [1])?.elements == .float32([10, 0]))
  }

  @Test func cotangentForVJP() throws {
    let lab = try Lab()
    let (status, output) = lab.run(fn: spec(
      "lambda a, b: a * b.sin()", [("a", "[1., 2., 3.]"), ("b", "zeros(3)")], kind: .vjp, cotangent: "[1., 2., 3.]"))
    #expect(status == .success, "\(output.err)")
    #expect(output.out == "(tensor([0., 0., 0.]), (tensor([0., 0., 0.]), tensor([1., 4., 9.])))\n")
    let run = try lab.detail(1)
    #expect(run.tensor("cotangent", [0])?.elements == .float32([1, 2, 3]))
    #expect(run.tensor("vjp", [0])?.elements == .float32([0, 0, 0]))
    #expect(run.tensor("vjp", [1])?.elements == .float32([1, 4, 9]))
    #expect(run.checks.map(\.name) == ["dot"])
    #expect(run.checks.first?.ok == true)
  }

  @Test func float64() throws {
    let lab = try Lab()
    let (status, output) = lab.run(fn: spec("(x * x).sum()", [("x", "rand(3)")], kind: .vjp, seed: 3), dtype: .float64)
    #expect(status == .success, "\(output.err)")
    #expect(output.out.contains("dtype=torch.float64"))
    let run = try lab.detail(1)
    #expect(run.info.dtype == "float64")
    let x = try #require(run.tensor("input", [0])?.values)
    guard case .float64(let gradient)? = run.tensor("vjp")?.elements else {
      Issue.record("vjp is not float64")
      return
    }
    #expect(gradient == x.map { 2 * $0 })
  }

  @Test func hessian() throws {
    let lab = try Lab()
    let (status, output) = lab.run(fn: spec("(x**3).sum()", [("x", "[1., 2.]")], kind: .hessian), dtype: .float64)
    #expect(status == .success, "\(output.err)")
    #expect(output.out == "tensor([[ 6.,  0.],\n        [ 0., 12.]], dtype=torch.float64)\n")
    let run = try lab.detail(1)
    #expect(run.info.kind == "hessian")
    #expect(run.tensor("hessian")?.elements == .float64([6, 0, 0, 12]))
    #expect(run.timings.first { $0.phase == "hessian" }?.samples.count == 1)
  }

  @Test func hvp() throws {
    let lab = try Lab()
    let (status, output) = lab.run(fn: spec("(x**3).sum()", [("x", "[1., 2.]")], kind: .hvp, tangents: [("x", "[1., 0.]")]))
    #expect(status == .success, "\(output.err)")
    #expect(output.out == "(tensor(9.), tensor([6., 0.]))\n")
    let run = try lab.detail(1)
    #expect(run.tensor("tangent", [0])?.elements == .float32([1, 0]))
    #expect(run.tensor("hvp")?.elements == .float32([6, 0]))
  }

  /// `--format json`: stdout is exactly one JSON array of run objects, fields as cli.md documents them.
  @Test func jsonFormat() throws {
    let lab = try Lab()
    let (status, output) = lab.run(fn: spec("x.exp()", [("x", "rand(2)")], kind: .jvp, seed: 7)) { options in
      options.format = .json
      options.repeats = 3
      options.tags = ["who": "test"]
    }
    #expect(status == .success, "\(output.err)")
    let array = try #require(try parseJSON(output.out) as? [[String: Any]])
    #expect(array.count == 1)
    let run = try #require(array.first)
    #expect(run["id"] as? Int == 1)
    #expect(run["kind"] as? String == "jvp")
    #expect(run["fn"] as? String == "<fn>")
    #expect(run["source"] as? String == "x.exp()")
    #expect(run["seed"] as? Int == 7)
    #expect(run["rng_offset"] as? Int == 0)
    #expect(run["status"] as? String == "ok")
    #expect(run["error"] is NSNull)
    #expect(run["dtype"] as? String == "float32")
    #expect(run["parent"] is NSNull)
    #expect(run["tags"] as? [String: String] == ["who": "test"])
    let timings = try #require(run["timings"] as? [String: [String: Any]])
    #expect(timings["jvp"]?["n"] as? Int == 3)
    #expect((timings["jvp"]?["samples_s"] as? [Double])?.count == 3)
    #expect(timings["jvp"]?["median_s"] is Double)
    let checks = try #require(run["checks"] as? [String: [String: Any]])
    #expect(checks["fd"]?["ok"] as? Bool == true)
    let tensors = try #require(run["tensors"] as? [[String: Any]])
    #expect(tensors.map { $0["role"] as? String } == ["input", "tangent", "output", "jvp"])
    #expect(tensors.map { $0["index"] as? [Int] } == [[0], [0], [], []])
    #expect(tensors.map { $0["shape"] as? [Int] } == [[2], [2], [2], [2]])
    #expect(tensors[0]["name"] as? String == "x")
    // `data` round-trips to the stored values exactly.
    let stored = try lab.detail(1)
    for (json, tensor) in zip(tensors, stored.tensors) {
      #expect(json["data"] as? [Double] == tensor.values)
    }
    #expect(tensors[1]["data"] as? [Double] == [1, 1])
    #expect(output.err == "jvplab: recorded run 1 in \(lab.database)\n")
  }

  @Test func syntaxErrorInAnInputPointsAtTheOption() throws {
    let lab = try Lab()
    let (status, output) = lab.run(fn: spec("x.exp()", [("x", "rand(4,")], kind: .jvp))
    #expect(status == .usage)
    #expect(output.err == "--input x:1:5: '(' was never closed\n    rand(4,\n        ^\n")
    #expect(output.out == "")
  }

  /// An input that fails to evaluate is an input error (exit 2): nothing ran, the command line needs fixing.
  @Test func runtimeErrorInAnInputPointsAtTheOption() throws {
    let lab = try Lab()
    let (status, output) = lab.run(fn: spec("x + y", [("x", "rand(2)"), ("y", "rand(4, foo)")], kind: .jvp))
    #expect(status == .usage)
    #expect(output.err == "--input y:1:9: name 'foo' is not defined\n    rand(4, foo)\n            ^\n")
    #expect(try lab.runs().isEmpty)
  }

  @Test func errorInATangentPointsAtTheOption() throws {
    let lab = try Lab()
    let (status, output) = lab.run(fn: spec("x.exp()", [("x", "rand(2)")], kind: .jvp, tangents: [("x", "ones(2) + nope")]))
    #expect(status == .usage)
    #expect(output.err == "--tangent x:1:11: name 'nope' is not defined\n    ones(2) + nope\n              ^\n")
  }

  @Test func tangentForAnUnknownInputIsAUsageError() throws {
    let lab = try Lab()
    let (status, output) = lab.run(fn: spec("x.exp()", [("x", "rand(2)")], kind: .jvp, tangents: [("y", "ones(2)")]))
    #expect(status == .usage)
    #expect(output.err == "--tangent y:1:1: no --input named 'y'\n    ones(2)\n    ^\n")
    #expect(try lab.runs().isEmpty)
  }

  @Test func parameterCountMismatchIsAUsageError() throws {
    let lab = try Lab()
    let (status, output) = lab.run(fn: spec("lambda a, b: a * b", [("a", "rand(2)")], kind: .jvp))
    #expect(status == .usage)
    #expect(output.err == "--fn:1:1: <lambda> takes 2 inputs (a, b) but 1 --input was given (a)\n    lambda a, b: a * b\n    ^\n")
    #expect(try lab.runs().isEmpty)
  }

  @Test func failureInsideTheFunctionIsRecorded() throws {
    let lab = try Lab()
    let (status, output) = lab.run(fn: spec("x + ones(3)", [("x", "rand(2)")], kind: .jvp))
    #expect(status == .runFailed)
    let message = "--fn:1:3: The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"
    #expect(output.err == "\(message)\n    x + ones(3)\n      ^\njvplab: recorded run 1 in \(lab.database)\n")
    let run = try lab.detail(1)
    #expect(run.info.status == .failed)
    #expect(run.info.error == message)
  }

  /// `--repeat N --warmup W` keeps exactly N samples of the transform's phase.
  @Test(arguments: [AutodiffKind.jvp, .vjp, .jacobian, .hessian, .hvp, .vhp])
  func repeatStoresExactlyNSamples(kind: AutodiffKind) throws {
    let lab = try Lab()
    let (status, output) = lab.run(fn: spec("(x * x).sum()", [("x", "rand(3)")], kind: kind)) { options in
      options.repeats = 7
      options.warmup = 4
    }
    #expect(status == .success, "\(output.err)")
    let run = try lab.detail(1)
    #expect(run.timings.first { $0.phase == kind.rawValue }?.samples.count == 7)
  }

  @Test func repeatAppliesToEveryRunOfAScript() throws {
    let lab = try Lab()
    let (status, output) = lab.run(script: try lab.fixture("seed_notebook")) { options in
      options.repeats = 5
      options.warmup = 2
    }
    #expect(status == .success, "\(output.err)")
    let runs = try lab.runs()
    #expect(runs.count == 13)
    for run in runs {
      #expect(run.timings.first { $0.phase == run.info.kind }?.samples.count == 5, "run \(run.id)")
    }
  }
}
