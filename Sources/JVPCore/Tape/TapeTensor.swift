/// A tensor with identity, as the tape and forward-mode AD need it: `.grad` lives on the leaf, `grad_fn` on
/// a result, a tangent on a dual tensor.
///
/// Plain tensors stay values (`Operand.concrete`); a tensor becomes a `TapeTensor` when it requires grad,
/// results from one that does, carries a tangent, or is a `.grad` that must be zeroed in place.
public final class TapeTensor {
  public private(set) var value: Tensor
  /// Set on leaves by `requires_grad=True` / `requires_grad_()`; always true for results with a `gradFunction`.
  public private(set) var requiresGrad: Bool
  /// The node that made this tensor (PyTorch's `grad_fn`); nil for leaves.
  public let gradFunction: TapeNode?
  /// The accumulated gradient of a leaf (None until a backward reaches it).
  public var grad: TapeTensor?
  /// The tangent and the dual level it belongs to (`fwAD.make_dual`).
  private var dual: (tangent: Operand, level: Int)?

  public init(value: Tensor, requiresGrad: Bool, gradFunction: TapeNode? = nil) {
    self.value = value
    self.requiresGrad = requiresGrad || gradFunction != nil
    self.gradFunction = gradFunction
  }

  public var isLeaf: Bool { gradFunction == nil }

  /// The tangent in the open dual level, nil when there is none.
  public var tangent: Operand? {
    guard let dual, dual.level == GradMode.dualLevel else { return nil }
    return dual.tangent
  }

  func attach(tangent: Operand, level: Int) { dual = (tangent, level) }

  /// `fwAD.make_dual(primal, tangent)` in the open dual level: the primal's values carrying `tangent`.
  public static func dual(primal: Operand, tangent: Operand) throws -> TapeTensor {
    guard let level = GradMode.dualLevel else {
      throw EngineError.autograd(
        "Trying to create a dual Tensor for forward AD but no level exists, make sure to enter_dual_level() first.")
    }
    let value = try primal.value()
    let tangentValue = try tangent.value()
    guard tangentValue.shape == value.shape else {
      throw EngineError.autograd(
        "Trying to set a forward gradient that has a different size than that of the original Tensor, this is not supported. Tensor is of size \(value.shape) while the given forward gradient is of size \(tangentValue.shape).")
    }
    guard value.dtype.isFloatingPoint, tangentValue.dtype == value.dtype else {
      throw EngineError.autograd(
        "Expected tangent to be floating point or complex with the same dtype as the primal, got \(tangentValue.dtype.torchName) for a \(value.dtype.torchName) primal")
    }
    let dual = TapeTensor(value: value, requiresGrad: false)
    dual.attach(tangent: tangent, level: level)
    return dual
  }

  /// `requires_grad_(flag)`: only leaves can change it, and only floating point ones can require grad.
  public func setRequiresGrad(_ flag: Bool) throws {
    guard isLeaf || flag else {
      throw EngineError.autograd(
        "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
    }
    if flag && !value.dtype.isFloatingPoint {
      throw EngineError.autograd("only Tensors of floating point dtype can require gradients")
    }
    requiresGrad = flag
  }

  /// An in-place write (`zero_()`, `x[i] = v`, `x += 1`): refused on a leaf that requires grad while grad
  /// mode is on, as PyTorch refuses it.
  public func write(_ newValue: Tensor) throws {
    if isLeaf && requiresGrad && GradMode.isEnabled {
      throw EngineError.autograd("a leaf Variable that requires grad is being used in an in-place operation.")
    }
    value = newValue
  }

  /// Adds `contribution` into `.grad`, in place when there is one (PyTorch's accumulation).
  public func accumulate(_ contribution: Operand) throws {
    guard let grad else {
      switch contribution {
      case .taped(let t) where GradMode.isEnabled && t.requiresGrad: self.grad = t
      default: self.grad = TapeTensor(value: try contribution.value(), requiresGrad: false)
      }
      return
    }
    if case .taped(let t) = contribution, t.requiresGrad {
      self.grad = TapeTensor(value: try (Operand.taped(grad) + contribution).value(), requiresGrad: false)
      return
    }
    grad.value = try Operand.concrete(grad.value).add(contribution)
  }
}

/// How a tape result was made: the primitive, its arguments, and its output's value (PyTorch's `grad_fn`).
public final class TapeNode {
  /// PyTorch's class name for the node (`MulBackward0`).
  public internal(set) var name: String
  let primitive: any Primitive
  /// Tape tensors (edges back into the graph) and plain tensors (constants), in argument order.
  let arguments: [Operand]
  let output: Tensor
  /// Set by a backward pass without `retain_graph`: a node that saved tensors can then not be differentiated again.
  var released = false

  init(primitive: any Primitive, arguments: [Operand], output: Tensor) {
    self.name = primitive.autogradName(arguments.map(\.type))
    self.primitive = primitive
    self.arguments = arguments
    self.output = output
  }

  /// The nodes this one's arguments came from (`grad_fn.next_functions`).
  public var next: [TapeNode?] {
    arguments.map { if case .taped(let t) = $0 { t.gradFunction } else { nil } }
  }
}

extension Operand {
  /// The concrete tensor behind a value that is not being traced.
  public func value() throws -> Tensor {
    switch self {
    case .concrete(let tensor): return tensor
    case .taped(let t): return t.value
    case .traced: throw EngineError.invalidFunction("the value of a tensor being differentiated is not known while tracing")
    }
  }

  /// The concrete tensor, nil while traced.
  public var concreteValue: Tensor? {
    switch self {
    case .concrete(let tensor): tensor
    case .taped(let t): t.value
    case .traced: nil
    }
  }

  /// `clone()`: a copy with identity of its own; on the tape a `CloneBackward0` node.
  public func cloned() throws -> Operand {
    guard case .taped(let t) = self else { return self }
    guard t.requiresGrad && GradMode.isEnabled else { return .concrete(t.value) }
    return try Operand.apply(Convert(dtype: t.value.dtype), [self]).labelled("CloneBackward0")
  }

  /// The same value with its `grad_fn` renamed: composite operations take the name PyTorch's single node has
  /// (`mean` is a sum and a division here, `MeanBackward0` there).
  public func labelled(_ name: String) -> Operand {
    if case .taped(let t) = self, let node = t.gradFunction { node.name = name }
    return self
  }

  /// The same values with no tape, tangent or identity (`detach()`).
  public var detached: Operand {
    if case .taped(let t) = self { return .concrete(t.value) }
    return self
  }

  /// Whether the tape records operations on this value.
  public var requiresGrad: Bool {
    if case .taped(let t) = self { return t.requiresGrad }
    return false
  }

  func add(_ other: Operand) throws -> Tensor {
    try GradMode.with(enabled: false) { try (self + other).value() }
  }
}
