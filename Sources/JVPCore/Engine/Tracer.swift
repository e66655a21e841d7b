/// Records primitive applications into a `Graph`; the builder every rule and transform emits into.
public final class Tracer {
  private(set) var nodes: [Node] = []
  private(set) var inputs: [Int] = []
  /// Whether the trace takes shortcuts that keep values but drop nodes: `x * 1` folded to `x`, and rules'
  /// special cases (`x ** 2` differentiated as `2x` rather than `2 · x ** 1`). The tape's `create_graph` passes
  /// turn them off, so a gradient has the nodes PyTorch's formulas give it (its `grad_fn`, and whether a
  /// second derivative still depends on the input), with the same values.
  let simplifies: Bool

  public init(simplifies: Bool = true) {
    self.simplifies = simplifies
  }

  /// A new program input of `type`.
  public func input(_ type: TensorType) -> Var {
    nodes.append(Node(kind: .input(inputs.count), type: type))
    inputs.append(nodes.count - 1)
    return Var(id: nodes.count - 1, tracer: self)
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
