/// Records primitive applications into a `Graph`; the builder every rule and transform emits into.
///
/// Tracers nest as JAX's trace levels do: a function transformed inside another transform's trace gets a
/// tracer whose `parent` is the enclosing one. A value of an enclosing trace used inside becomes an extra
/// input of the inner graph (`lift`), listed in `captures`, so the inner graph stays closed and can be
/// transformed, then inlined back into the parent with the captured values as its extra arguments.
public final class Tracer {
  private(set) var nodes: [Node] = []
  private(set) var inputs: [Int] = []
  /// Whether the trace takes shortcuts that keep values but drop nodes: `x * 1` folded to `x`, and rules'
  /// special cases (`x ** 2` differentiated as `2x` rather than `2 · x ** 1`). The tape's `create_graph` passes
  /// turn them off, so a gradient has the nodes PyTorch's formulas give it (its `grad_fn`, and whether a
  /// second derivative still depends on the input), with the same values.
  let simplifies: Bool

  /// The enclosing trace, or nil at the top level.
  public let parent: Tracer?
  /// Depth in the chain of enclosing traces: 0 for a tracer without parent.
  public let level: Int
  /// Inputs beyond the declared ones, in the order they were made: values of the parent trace this trace
  /// read (`lift`), and batches of values drawn for it (`batchedInput`).
  public private(set) var extraInputs: [ExtraInput] = []

  public enum ExtraInput {
    /// A value of the parent trace.
    case capture(Var)
    /// One value per example of a `vmap` (random draws under `randomness='different'`): the input is one
    /// example, the tensor holds them all along its leading dim.
    case batched(Tensor)
    /// A tensor on the autograd tape that the function read (a global that requires grad), kept as an input so
    /// that the transformed function's results stay on the tape with it.
    case taped(TapeTensor)
  }
  private var liftedByParentId: [Int: Var] = [:]
  private var tapedInputs: [ObjectIdentifier: Var] = [:]
  /// Set by `torch.func`: a tensor that requires grad read inside becomes an input (`tapedValue`), not a
  /// constant, so results computed from it carry a `grad_fn` and a backward reaches it, as PyTorch's do.
  public var keepsTapeLinks = false
  /// Set by `vmap`: values of this trace stand for a batch, so their data cannot steer control flow.
  public var isVectorizing = false

  /// Whether this trace or one enclosing it is a `vmap` trace.
  public var isUnderVectorizing: Bool { isVectorizing || parent?.isUnderVectorizing == true }

  /// A trace nested in `parent` (nil: top level); it simplifies as its parent does unless told otherwise.
  public init(parent: Tracer? = nil, simplifies: Bool? = nil) {
    self.parent = parent
    level = parent.map { $0.level + 1 } ?? 0
    self.simplifies = simplifies ?? parent?.simplifies ?? true
  }

  /// `v` as a value of this trace: itself when it is one, else an input standing for it (a constant when it
  /// is constant), lifted through every level in between. Values of an unrelated trace cannot be lifted.
  public func lift(_ v: Var) throws -> Var {
    if v.tracer === self { return v }
    guard let parent, v.tracer.level < level else {
      throw EngineError.invalidFunction(
        "values from two different differentiated functions were mixed (a value escaped the function transform that made it)")
    }
    let outer = try parent.lift(v)
    if let constant = parent.constantValue(outer) { return self.constant(constant) }
    if let existing = liftedByParentId[outer.id] { return existing }
    let inner = input(outer.type)
    extraInputs.append(.capture(outer))
    liftedByParentId[outer.id] = inner
    return inner
  }

  /// `t`, a tensor the function read from outside, as a value of this trace: an input standing for it at the
  /// outermost trace that keeps tape links (lifted from there into this one) when it requires grad, else a constant.
  public func tapedValue(_ t: TapeTensor) throws -> Var {
    guard keepsTapeLinks, t.requiresGrad, GradMode.isEnabled else { return constant(t.value) }
    if let parent, parent.keepsTapeLinks { return try lift(parent.tapedValue(t)) }
    if let existing = tapedInputs[ObjectIdentifier(t)] { return existing }
    let v = input(TensorType(of: t.value))
    extraInputs.append(.taped(t))
    tapedInputs[ObjectIdentifier(t)] = v
    return v
  }

  /// A new program input of `type`.
  public func input(_ type: TensorType) -> Var {
    nodes.append(Node(kind: .input(inputs.count), type: type))
    inputs.append(nodes.count - 1)
    return Var(id: nodes.count - 1, tracer: self)
  }

  /// An input standing for one example of `batch` (its leading dim indexes the examples).
  public func batchedInput(_ batch: Tensor) -> Var {
    let example = input(TensorType(shape: Array(batch.shape.dropFirst()), dtype: batch.dtype))
    extraInputs.append(.batched(batch))
    return example
  }

  /// An input standing for one example of `batch`, a value of an enclosing trace whose leading dim indexes
  /// this trace's examples (a random draw batched at enclosing `vmap` levels too): captured like `lift`'s
  /// values, so the graph must be batched over it before it is inlined back.
  public func batchedCapture(_ batch: Var) throws -> Var {
    guard let parent else { throw EngineError.invalidFunction("a batched capture needs an enclosing trace") }
    let outer = try parent.lift(batch)
    let example = input(TensorType(shape: Array(outer.type.shape.dropFirst()), dtype: outer.type.dtype))
    extraInputs.append(.capture(outer))
    return example
  }

  /// A constant baked into the program.
  public func constant(_ tensor: Tensor) -> Var {
    nodes.append(Node(kind: .constant(tensor), type: TensorType(of: tensor)))
    return Var(id: nodes.count - 1, tracer: self)
  }

  /// A 0-d constant of `dtype`, for Python scalars mixed with tensors.
  public func scalar(_ value: Double, dtype: DType) -> Var { constant(Tensor(scalar: value, dtype: dtype)) }

  /// Applies `primitive` to `arguments`, checking shapes; constant arguments are folded eagerly.
  public func apply(_ primitive: any Primitive, _ arguments: [Var]) throws -> Var {
    let type = try primitive.outputType(arguments.map(\.type))
    try Check.result(type, of: primitive)
    let constants = arguments.compactMap { argument -> Tensor? in
      if case .constant(let value) = nodes[argument.id].kind { return value }
      return nil
    }
    if constants.count == arguments.count && !arguments.isEmpty {
      return constant(primitive.forward(constants, type))
    }
    // x * 1 is x, exactly: a gradient's seed of ones meets every term of its vjp, and its hessian again.
    if simplifies, primitive is Multiply, arguments.count == 2 {
      for (one, other) in [(arguments[0], arguments[1]), (arguments[1], arguments[0])]
      where other.type == type && constantValue(one)?.isAllOnes == true {
        return other
      }
    }
    nodes.append(Node(kind: .apply(primitive, arguments.map(\.id)), type: type))
    return Var(id: nodes.count - 1, tracer: self)
  }

  /// The concrete value of `v` if it is a constant node.
  public func constantValue(_ v: Var) -> Tensor? {
    if case .constant(let value) = nodes[v.id].kind { return value }
    return nil
  }

  /// Closes the trace into a graph whose results are `outputs`.
  public func finish(outputs: [Var]) -> Graph {
    Graph(nodes: nodes, inputs: inputs, outputs: outputs.map(\.id))
  }

  func type(of id: Int) -> TensorType { nodes[id].type }
}

/// A value inside a trace: a handle to a node of its tracer.
public struct Var {
  public let id: Int
  public let tracer: Tracer

  public var type: TensorType { tracer.type(of: id) }
  public var shape: [Int] { type.shape }
  public var dtype: DType { type.dtype }
}

private extension Tensor {
  /// Whether every element is exactly one.
  var isAllOnes: Bool {
    switch storage {
    case .float32(let a): a.allSatisfy { $0 == 1 }
    case .float64(let a): a.allSatisfy { $0 == 1 }
    case .int64(let a): a.allSatisfy { $0 == 1 }
    case .bool(let a): a.allSatisfy { $0 }
    }
  }
}
