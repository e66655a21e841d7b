import Foundation

/// A value with PyTorch's functional-API nesting: a tensor, or a tuple of nested values.
public indirect enum Nested: Equatable, Sendable {
  case tensor(Tensor)
  case tuple([Nested])

  /// The tensors in order, depth first.
  public var tensors: [Tensor] {
    switch self {
    case .tensor(let t): [t]
    case .tuple(let items): items.flatMap(\.tensors)
    }
  }

  /// Item `i` of a tuple, or the value itself when it is a single tensor.
  public subscript(_ i: Int) -> Nested {
    switch self {
    case .tuple(let items): items[i]
    case .tensor: self
    }
  }

  /// `tensors` wrapped as a tuple when `isTuple`, else the single tensor.
  static func pack(_ tensors: [Tensor], isTuple: Bool) -> Nested {
    isTuple ? .tuple(tensors.map(Nested.tensor)) : .tensor(tensors[0])
  }
}

/// A user function traced once into a graph, remembering whether its inputs and outputs were tuples.
///
/// Transformed graphs are built on first use and kept, so repeated calls (`--repeat`, jacobian rows) pay
/// for tracing and transformation once. `TraceReuse` shares one instance between calls whose traces are
/// identical, possibly from different threads, so the kept graphs sit behind a lock.
public final class TracedFunction: @unchecked Sendable {
  public let graph: Graph
  public let inputsAreTuple: Bool
  public let outputsAreTuple: Bool
  private let lock = NSLock()
  private var cache: [String: Graph] = [:]

  public init(graph: Graph, inputsAreTuple: Bool, outputsAreTuple: Bool) {
    self.graph = graph
    self.inputsAreTuple = inputsAreTuple
    self.outputsAreTuple = outputsAreTuple
  }

  /// Traces `body` on symbolic inputs of `inputTypes`; `body` returns the outputs and whether they form a tuple.
  public static func trace(
    inputTypes: [TensorType], inputsAreTuple: Bool, _ body: ([Var]) throws -> (outputs: [Var], isTuple: Bool)
  ) throws -> TracedFunction {
    let tracer = Tracer()
    let inputs = inputTypes.map { tracer.input($0) }
    let (outputs, isTuple) = try body(inputs)
    return TracedFunction(graph: tracer.finish(outputs: outputs), inputsAreTuple: inputsAreTuple, outputsAreTuple: isTuple)
  }

  public var inputTypes: [TensorType] { graph.inputTypes }
  public var outputTypes: [TensorType] { graph.outputTypes }

  /// The forward-mode graph (primals, tangents) -> (outputs, output tangents).
  public func forwardGraph() throws -> Graph { try cached("jvp") { try graph.jvp() } }

  /// The reverse-mode graph (primals, cotangents) -> (outputs, input cotangents).
  public func reverseGraph() throws -> Graph { try cached("vjp") { try graph.vjp() } }

  /// The gradient graph of a scalar function: primals -> one gradient per input.
  public func gradientGraph() throws -> Graph {
    try cached("grad") {
      let seed = outputTypes.map { Tensor(repeating: 1, shape: $0.shape, dtype: $0.dtype) }
      let full = try graph.vjp(seeds: seed)
      return Graph(nodes: full.nodes, inputs: full.inputs, outputs: Array(full.outputs.dropFirst(outputTypes.count)))
    }
  }

  /// A graph derived from this function (a transform, a linearization, a batched sweep), built once.
  /// The lock is not held while building: a build may ask for another cached graph.
  func cached(_ key: String, _ build: () throws -> Graph) throws -> Graph {
    lock.lock()
    if let graph = cache[key] {
      lock.unlock()
      return graph
    }
    lock.unlock()
    let graph = try build()
    lock.lock()
    defer { lock.unlock() }
    if let first = cache[key] { return first }
    cache[key] = graph
    return graph
  }
}
