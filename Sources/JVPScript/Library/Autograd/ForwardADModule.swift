import Foundation
import JVPCore

/// `torch.autograd.forward_ad`: dual tensors whose tangents the primitives' JVP rules carry through every operation.
enum ForwardADModule {
  static let functions: [String: Builtin] = [
    "dual_level": Builtin(name: "dual_level") { _, args in
      _ = try args.bind("dual_level", [])
      return .object(DualLevelContext())
    },
    "make_dual": Builtin(name: "make_dual") { interpreter, args in
      let bound = try args.bind("make_dual", ["tensor", "tangent", "level"], required: 2)
      let dual = try TapeTensor.dual(primal: bound.tensor("tensor"), tangent: bound.tensor("tangent"))
      interpreter.noteDual(primal: dual.value, tangent: try dual.tangent?.value(), roles: ("input", "tangent"))
      if interpreter.dualRun != nil { interpreter.dualTensors.made.append(dual) }
      return .tensor(.taped(dual))
    },
    "unpack_dual": Builtin(name: "unpack_dual") { interpreter, args in
      let bound = try args.bind("unpack_dual", ["tensor", "level"], required: 1)
      let x = try bound.tensor("tensor")
      var tangent = Value.none
      if case .taped(let t) = x, let given = t.tangent {
        tangent = .tensor(given)
        interpreter.noteDual(primal: t.value, tangent: try given.value(), roles: ("output", "jvp"))
        if interpreter.dualRun != nil { interpreter.dualTensors.unpacked.append(t) }
      }
      let primal: Value = if case .taped(let t) = x, t.tangent != nil { .tensor(.concrete(t.value)) } else { .tensor(x) }
      return .object(NamedTupleObject("torch.autograd.forward_ad", "UnpackedDualTensor", fields: ["primal", "tangent"], [primal, tangent], oneLine: true))
    },
    "enter_dual_level": Builtin(name: "enter_dual_level") { _, _ in .int(try GradMode.enterDualLevel()) },
    "exit_dual_level": Builtin(name: "exit_dual_level") { _, _ in
      GradMode.exitDualLevel()
      return .none
    },
  ]
}

/// `with fwAD.dual_level():`: tangents made inside live until the block ends.
final class DualLevelContext: ContextManager {
  /// The `fd` check: each unpacked tangent against a float64 central difference, along the tangents given,
  /// of the computation from the duals made to the dual unpacked (traced back through the tape).
  static func check(made: [TapeTensor], unpacked: [TapeTensor], in run: RecordedCall) -> [CheckOutcome] {
    guard !made.isEmpty, !unpacked.isEmpty,
      let graph = try? Tape.forwardGraph(of: unpacked, inputs: made) else { return [] }
    let tangents = run.tensors.filter { $0.role == "tangent" }.map(\.tensor)
    let expected = run.tensors.filter { $0.role == "jvp" }.map(\.tensor)
    let primals = run.tensors.filter { $0.role == "input" }.map(\.tensor)
    guard tangents.count == made.count, expected.count == unpacked.count, primals.count == made.count,
      let check = try? Checks.finiteDifference(graph, at: primals, along: tangents, expected: expected) else { return [] }
    return [check]
  }

  var typeName: String { "dual_level" }
  func repr() -> String { "<torch.autograd.forward_ad.dual_level object at \(Display.address(of: typeName))>" }

  func enter(_ interpreter: Interpreter) throws -> Value {
    _ = try GradMode.enterDualLevel()
    let location = interpreter.currentCallLocation
    interpreter.dualRun = RecordedCall(
      kind: .forwardAD, functionName: "dual_level", source: interpreter.statementSource(location), strategy: nil,
      vectorize: false, dtype: .float32, seed: interpreter.seed, rngOffset: nil, line: location.line, column: location.column,
      tensors: [], timings: [], checks: [], status: .ok, error: nil, started: Date(), finished: Date())
    return .none
  }

  /// Ends the level and records the block as one `forward_ad` run (the duals it made and unpacked).
  func exit(_ interpreter: Interpreter) throws {
    GradMode.exitDualLevel()
    guard var run = interpreter.dualRun else { return }
    interpreter.dualRun = nil
    run.finished = Date()
    run.timings = [("forward_ad", [run.finished.timeIntervalSince(run.started)])]
    let (made, unpacked) = interpreter.dualTensors
    interpreter.dualTensors = ([], [])
    run.checks = Self.check(made: made, unpacked: unpacked, in: run)
    interpreter.describeTapeRun(&run, origins: [], leaves: [])
    try interpreter.recorder.record(run)
  }
}

extension Interpreter {
  /// Adds a dual's primal and tangent to the open block's run, numbered per role.
  func noteDual(primal: Tensor, tangent: Tensor?, roles: (primal: String, tangent: String)) {
    guard var run = dualRun else { return }
    let index = run.tensors.filter { $0.role == roles.primal }.count
    if run.tensors.isEmpty { run.dtype = primal.dtype }
    run.tensors.append(RecordedTensor(role: roles.primal, index: [index], name: nil, tensor: primal))
    if let tangent { run.tensors.append(RecordedTensor(role: roles.tangent, index: [index], name: nil, tensor: tangent)) }
    dualRun = run
  }
}
