/// A tensor with identity, as the tape and forward-mode AD need it: `.grad` lives on the leaf, `grad_fn` on
/// a result, a tangent on a dual tensor.
///
/// Plain tensors stay values (`Operand.concrete`); a tensor becomes a `TapeTensor` when it requires grad,
/// results from one that does, carries a tangent, or is a `.grad` that must be zeroed in place.
public final class TapeTensor {
  public private(set) var value: Tensor
  /// Set on leaves by `requires_grad=True` / `requires_grad_()`; always true for results with a `gradFunction`.
  public private(set) var requiresGrad: Bool
  /// The node that made this tensor (PyTorch's `grad_fn`); nil for leaves. An in-place operation on a
  /// result replaces it (`y.add_(1)` gives `y` an `AddBackward0`).
  public private(set) var gradFunction: TapeNode?
  /// PyTorch's version counter (`x._version`): one more for each in-place write.
  public private(set) var version = 0
  /// `gradFunction` as it was at each earlier version: nodes recorded before an in-place write refer to those.
  private var earlierGradFunctions: [TapeNode?] = []
  /// The accumulated gradient of a leaf, or of a result after `retain_grad()` (None until a backward reaches it).
  public var grad: TapeTensor?
  /// How a result computed from duals in a dual level was made, when the tape recorded no `gradFunction` for it:
  /// what a forward-AD run's finite-difference check evaluates again.
  public internal(set) var forwardNode: TapeNode?
  /// An `nn.Parameter` (a module's weight or bias): it prints as `Parameter containing:` and its tensor.
  public var isParameter = false
  /// Set by `retain_grad()` on a result: backward then fills its `.grad` as it fills a leaf's.
  public private(set) var retainsGrad = false
  /// The tangent and the dual level it belongs to (`fwAD.make_dual`).
  private var dual: (tangent: Operand, level: Int)?

  public init(value: Tensor, requiresGrad: Bool, gradFunction: TapeNode? = nil) {
    self.value = value
    self.requiresGrad = requiresGrad || gradFunction != nil
    self.gradFunction = gradFunction
    gradFunction?.output = (self, 0)
  }

  public var isLeaf: Bool { gradFunction == nil }

  /// The node that made this tensor as it was at `version`.
  func gradFunction(at version: Int) -> TapeNode? {
    version == self.version ? gradFunction : earlierGradFunctions[version]
  }

  /// `retain_grad()`: a no-op on leaves, as in PyTorch.
  public func retainGrad() throws {
    guard requiresGrad else {
      throw EngineError.autograd("can't retain_grad on Tensor that has requires_grad=False")
    }
    if !isLeaf { retainsGrad = true }
  }

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
    bumpVersion()
    value = newValue
  }

  /// An in-place operation recorded on the tape (`y.add_(1)` on a result, or on a plain tensor with an
  /// argument that requires grad): this tensor takes the result's value and node, one version on.
  public func write(recorded result: TapeTensor, value newValue: Tensor? = nil) throws {
    if isLeaf && requiresGrad && GradMode.isEnabled {
      throw EngineError.autograd("a leaf Variable that requires grad is being used in an in-place operation.")
    }
    bumpVersion()
    value = newValue ?? result.value
    gradFunction = result.gradFunction
    requiresGrad = requiresGrad || result.requiresGrad
    gradFunction?.output = (self, version)
  }

  private func bumpVersion() {
    earlierGradFunctions.append(gradFunction)
    version += 1
    if valueBefore?.origin != GradMode.origin { valueBefore = (GradMode.origin, value) }
  }

  /// The value before the first in-place write made under the current `GradMode.origin`.
  private var valueBefore: (origin: Int?, value: Tensor)?

  /// The value this tensor had when the code tagged `origin` started, if that code wrote it in place since
  /// (a training loop's `w -= lr * w.grad`); nil when it did not.
  public func value(before origin: Int?) -> Tensor? {
    guard let valueBefore, valueBefore.origin == origin else { return nil }
    return valueBefore.value
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
  /// The version of each taped argument when the node was recorded (0 for plain ones).
  let argumentVersions: [Int]
  /// Which arguments, and whether the output, PyTorch's node saves for backward.
  let saved: (arguments: [Bool], output: Bool)
  /// The tensor this node made and its version then, to tell a saved output modified in place.
  weak var outputTensor: TapeTensor?
  var outputVersion = 0
  /// Set by a backward pass without `retain_graph`: a node that saved tensors can then not be differentiated again.
  var released = false
  /// `GradMode.origin` when the node was recorded.
  public let origin: Int?

  init(primitive: any Primitive, arguments: [Operand]) {
    origin = GradMode.origin
    self.name = primitive.autogradName(arguments.map(\.type))
    self.primitive = primitive
    self.arguments = arguments
    argumentVersions = arguments.map { if case .taped(let t) = $0 { t.version } else { 0 } }
    saved = primitive.savedForBackward(arguments.map(\.requiresGrad))
  }

  /// The output tensor and its version, set when the tensor takes this node.
  var output: (tensor: TapeTensor, version: Int)? {
    get { outputTensor.map { ($0, outputVersion) } }
    set {
      outputTensor = newValue?.tensor
      outputVersion = newValue?.version ?? 0
    }
  }

  /// PyTorch's error when a tensor this node saved was modified in place since.
  func checkSavedVersions() throws {
    for (argument, (version, isSaved)) in zip(arguments, zip(argumentVersions, saved.arguments)) where isSaved {
      guard case .taped(let t) = argument, t.version != version else { continue }
      throw Self.modified(t, expected: version, producer: t.gradFunction)
    }
    if saved.output, let (tensor, version) = output, tensor.version != version {
      throw Self.modified(tensor, expected: version, producer: self)
    }
  }

  /// "one of the variables needed for gradient computation has been modified by an inplace operation: ...".
  private static func modified(_ t: TapeTensor, expected: Int, producer: TapeNode?) -> EngineError {
    let type = t.value.dtype == .float64 ? "torch.DoubleTensor" : t.value.dtype == .int64 ? "torch.LongTensor" : "torch.FloatTensor"
    let sizes = "[" + t.value.shape.map(String.init).joined(separator: ", ") + "]"
    let origin = producer.map { ", which is output 0 of \($0.name.components(separatedBy: "Backward").first ?? $0.name)," } ?? ""
    return EngineError.autograd(
      "one of the variables needed for gradient computation has been modified by an inplace operation: [\(type) \(sizes)]\(origin) is at version \(t.version); expected version \(expected) instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).")
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

  /// `view(shape)` as PyTorch records it: a `ViewBackward0` node on the tape even when the shape stays.
  public func viewed(_ shape: [Int]) throws -> Operand { try Operand.apply(Reshape(shape: shape), [self]) }

  /// The same values with no tape, tangent or identity (`detach()`).
  public var detached: Operand {
    if case .taped(let t) = self { return .concrete(t.value) }
    return self
  }

  /// `detach()`: `detached`, and under a `torch.func` transform (a traced value) a constant for the
  /// transform's differentiation, as PyTorch's `detach` is there.
  public func detachedFromTransforms() throws -> Operand {
    guard case .traced(let v) = self, v.dtype.isFloatingPoint else { return detached }
    return .traced(try v.stopGradient())
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
