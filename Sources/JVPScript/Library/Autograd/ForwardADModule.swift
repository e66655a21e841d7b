import JVPCore

/// `torch.autograd.forward_ad`: dual tensors whose tangents the primitives' JVP rules carry through every operation.
enum ForwardADModule {
  static let functions: [String: Builtin] = [
    "dual_level": Builtin(name: "dual_level") { _, args in
      _ = try args.bind("dual_level", [])
      return .object(DualLevelContext())
    },
    "make_dual": Builtin(name: "make_dual") { _, args in
      let bound = try args.bind("make_dual", ["tensor", "tangent", "level"], required: 2)
      return .tensor(.taped(try TapeTensor.dual(primal: bound.tensor("tensor"), tangent: bound.tensor("tangent"))))
    },
    "unpack_dual": Builtin(name: "unpack_dual") { _, args in
      let bound = try args.bind("unpack_dual", ["tensor", "level"], required: 1)
      let x = try bound.tensor("tensor")
      var tangent = Value.none
      if case .taped(let t) = x, let given = t.tangent { tangent = .tensor(given) }
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
  var typeName: String { "dual_level" }
  func repr() -> String { "<torch.autograd.forward_ad.dual_level object at \(Display.address(of: typeName))>" }

  func enter(_ interpreter: Interpreter) throws -> Value {
    _ = try GradMode.enterDualLevel()
    return .none
  }

  func exit(_ interpreter: Interpreter) throws { GradMode.exitDualLevel() }
}
