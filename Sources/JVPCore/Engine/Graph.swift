/// The static type of a value in a traced program: its shape and dtype.
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
  public var shape: [Int]
  public var dtype: DType

  public init(shape: [Int], dtype: DType) {
    self.shape = shape
    self.dtype = dtype
  }

  public init(of tensor: Tensor) { self.init(shape: tensor.shape, dtype: tensor.dtype) }

  public var count: Int { Shape.count(shape) }
  public var rank: Int { shape.count }
  public var description: String { "\(dtype.rawValue)\(Shape.describe(shape))" }
}

/// One value of a traced program: an input, a constant, or a primitive applied to earlier nodes.
public struct Node: Sendable {
  public enum Kind: Sendable {
    case input(Int)
    case constant(Tensor)
    case apply(any Primitive, [Int])
  }

  public let kind: Kind
  public let type: TensorType

  /// The ids of the nodes this one reads.
  public var arguments: [Int] {
    if case .apply(_, let args) = kind { return args }
    return []
  }
}

/// A straight-line program over tensors, in SSA form: nodes only read earlier nodes.
///
/// Functions are traced into graphs once; transforms (`jvp`, `vjp`) map graphs to new graphs, so they compose:
/// a hessian is a transform of a transformed graph.
public struct Graph: Sendable {
  public let nodes: [Node]
  /// Node ids of the inputs, in parameter order.
  public let inputs: [Int]
  /// Node ids of the results, in order.
  public let outputs: [Int]
  /// Plans and transformed graphs derived from this graph, built once.
  let cache = GraphCache()

  public var inputTypes: [TensorType] { inputs.map { nodes[$0].type } }
  public var outputTypes: [TensorType] { outputs.map { nodes[$0].type } }

  /// For each node, whether it depends on input `k`: used for `strict` mode and to skip symbolic zeros.
  func dependsOnInput(_ k: Int) -> [Bool] { dependsOnInputs([k]) }

  /// For each node, whether it depends on any of the inputs at `positions`.
  func dependsOnInputs(_ positions: Set<Int>) -> [Bool] {
    var depends = [Bool](repeating: false, count: nodes.count)
    for k in positions { depends[inputs[k]] = true }
    for (id, node) in nodes.enumerated() where node.arguments.contains(where: { depends[$0] }) {
      depends[id] = true
    }
    return depends
  }
}
