import JVPCore

/// The autograd side of a tensor: `.requires_grad`, `.is_leaf`, `.grad`, `.grad_fn`, `requires_grad_()`,
/// `backward()`, `zero_()`, and the `requires_grad=True` / `grad_fn=<...>` / `tangent=` suffixes of its repr.
enum TensorAutograd {
  static let attributes: Set<String> = ["requires_grad", "is_leaf", "grad", "grad_fn", "data", "_version", "retains_grad"]
  static let methods: Set<String> = inPlace.union(["backward", "retain_grad"])
  /// In-place methods: on a plain tensor (a value in the interpreter) the variable holding the receiver is
  /// rebound to the result, so `x.requires_grad_()` turns `x` itself into a leaf.
  static let inPlace: Set<String> = Set(["requires_grad_", "zero_"]).union(inPlaceArithmetic.keys)
  static let inPlaceArithmetic: [String: BinaryOperator] = ["add_": .add, "sub_": .subtract, "mul_": .multiply, "div_": .divide]

  static func attribute(_ interpreter: Interpreter, _ x: Operand, _ name: String) throws -> Value {
    guard case .taped(let t) = x else {
      switch name {
      case "requires_grad": return .bool(false)
      case "is_leaf": return .bool(true)
      case "data": return .tensor(x)
      case "_version": return .int(0)
      case "retains_grad": return .bool(false)
      default: return .none
      }
    }
    switch name {
    case "data": return .tensor(x.detached)
    case "requires_grad": return .bool(t.requiresGrad)
    case "is_leaf": return .bool(t.isLeaf)
    case "_version": return .int(t.version)
    case "retains_grad": return .bool(t.retainsGrad)
    case "grad_fn": return t.gradFunction.map { .object(GradFunctionObject($0)) } ?? .none
    default:
      if !t.isLeaf && !t.retainsGrad {
        interpreter.warn("UserWarning", nonLeafGradWarning)
        return .none
      }
      return t.grad.map { .tensor(.taped($0)) } ?? .none
    }
  }

  /// `x.grad = value` (None, or a tensor of the leaf's shape).
  static func setGrad(_ x: Operand, _ value: Value) throws {
    guard case .taped(let t) = x else {
      throw RuntimeFailure("setting .grad is only supported on tensors that require grad in jvplab", type: "RuntimeError")
    }
    switch value {
    case .none: t.grad = nil
    case .tensor(let g, _):
      let grad = try g.value()
      guard grad.shape == t.value.shape else {
        throw RuntimeFailure("assigned grad has data of a different size", type: "RuntimeError")
      }
      t.grad = TapeTensor(value: grad, requiresGrad: false)
    default:
      throw RuntimeFailure("assigned grad expected to be a Tensor or None but got grad of type \(value.typeName)", type: "TypeError")
    }
  }

  static func call(_ interpreter: Interpreter, _ name: String, _ x: Operand, _ args: Arguments) throws -> Value {
    switch name {
    case "requires_grad_":
      let flag = try args.bind(name, ["requires_grad"]).bool("requires_grad", default: true)
      let t: TapeTensor
      if case .taped(let taped) = x { t = taped } else { t = TapeTensor(value: try x.value(), requiresGrad: false) }
      try t.setRequiresGrad(flag)
      return .tensor(.taped(t))
    case "zero_":
      _ = try args.bind(name, [])
      let value = try x.value()
      let zeros = Tensor(repeating: 0, shape: value.shape, dtype: value.dtype)
      guard case .taped(let t) = x else { return .tensor(zeros) }
      if t.requiresGrad && !t.isLeaf && GradMode.isEnabled, case .taped(let recorded) = try (x * 0).labelled("ZeroBackward0") {
        // PyTorch's ZeroBackward0 passes a zero gradient back; the values are zeros (not -0 from a product).
        try t.write(recorded: recorded, value: zeros)
      } else {
        try t.write(zeros)
      }
      return .tensor(x)
    case _ where inPlaceArithmetic[name] != nil:
      let other = try args.bind(name, ["other"], required: 1).values["other"]!
      let result = try Operators.binary(inPlaceArithmetic[name]!, .tensor(x), other)
      guard case .taped(let t) = x else { return result }
      guard case .tensor(let updated, _) = result else { preconditionFailure("tensor arithmetic gives a tensor") }
      if case .taped(let recorded) = updated, recorded.gradFunction != nil {
        // On the tape: the tensor takes the operation's node, one version on (PyTorch's in-place autograd).
        try t.write(recorded: recorded)
      } else {
        try t.write(updated.value().converted(to: t.value.dtype))
      }
      return .tensor(x)
    case "retain_grad":
      _ = try args.bind(name, [])
      guard case .taped(let t) = x else { throw RuntimeFailure("can't retain_grad on Tensor that has requires_grad=False") }
      try t.retainGrad()
      return .none
    default:
      try interpreter.backward(x, args)
      return .none
    }
  }

  /// PyTorch's repr with the autograd suffix: `requires_grad=True` on leaves, `grad_fn=<MulBackward0>` on
  /// results, `tangent=...` on dual tensors in the open level.
  static func repr(_ t: TapeTensor) -> String {
    var suffix: String?
    if let node = t.gradFunction {
      suffix = "grad_fn=<\(node.name)>"
    } else if t.requiresGrad {
      suffix = "requires_grad=True"
    }
    if let tangent = t.tangent {
      let text = "tangent=" + (tangent.concreteValue.map { TorchFormatter.repr($0) } ?? "None")
      suffix = suffix.map { $0 + ", " + text } ?? text
    }
    let text = TorchFormatter.repr(t.value, autogradSuffix: suffix)
    return t.isParameter ? "Parameter containing:\n" + text : text
  }

  static let nonLeafGradWarning =
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information. (Triggered internally at /__w/pytorch/pytorch/build/aten/src/ATen/core/TensorBody.h:488.)"

  /// `requires_grad=True` given to a creation function (PyTorch's factory words for an integer dtype).
  static func requiringGrad(_ value: Value, _ bound: BoundArguments) throws -> Value {
    guard try bound.bool("requires_grad", default: false), case .tensor(let x, let origin) = value else { return value }
    let tensor = try x.value()
    guard tensor.dtype.isFloatingPoint else {
      throw RuntimeFailure("Only Tensors of floating point and complex dtype can require gradients")
    }
    return .tensor(.taped(TapeTensor(value: tensor, requiresGrad: true)), origin: origin)
  }
}
