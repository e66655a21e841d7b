/// Runs a graph on concrete tensors, with some inputs bound ahead of time.
///
/// Everything that depends only on the bound inputs is computed once, at construction; `run` evaluates
/// only the rest. A jacobian binds the primal inputs and runs the tangent (or cotangent) part once per
/// column (or row): the primal computation is never repeated. Intermediates are released after their last use.
public struct PartialEvaluation {
  private let graph: Graph
  private let free: [Int]
  private var known: [Tensor?]
  private let schedule: [Int]
  private let releases: [[Int]]

  /// Binds `bound[k]` to input `k` for each key, computing what depends only on bound inputs and constants.
  public init(_ graph: Graph, bound: [Int: Tensor]) {
    self.graph = graph
    free = graph.inputs.indices.filter { bound[$0] == nil }
    let needed = graph.liveNodes()
    var isKnown = [Bool](repeating: false, count: graph.nodes.count)
    var known = [Tensor?](repeating: nil, count: graph.nodes.count)
    var schedule: [Int] = []
    for (id, node) in graph.nodes.enumerated() where needed[id] {
      switch node.kind {
      case .input(let k):
        if let value = bound[k] {
          known[id] = value
          isKnown[id] = true
        }
      case .constant(let value):
        known[id] = value
        isKnown[id] = true
      case .apply(let primitive, let args):
        if args.allSatisfy({ isKnown[$0] }) {
          known[id] = primitive.forward(args.map { known[$0]! }, node.type)
          isKnown[id] = true
        } else {
          schedule.append(id)
        }
      }
    }
    var lastUse = [Int: Int]()
    for (step, id) in schedule.enumerated() {
      for arg in graph.nodes[id].arguments where !isKnown[arg] { lastUse[arg] = step }
    }
    for output in graph.outputs { lastUse[output] = nil }
    var releases = [[Int]](repeating: [], count: schedule.count)
    for (id, step) in lastUse { releases[step].append(id) }
    self.known = known
    self.schedule = schedule
    self.releases = releases
  }

  /// The graph's outputs for values of the inputs that were not bound, in input order.
  public func run(_ inputs: [Tensor]) -> [Tensor] {
    var values = known
    for (k, position) in free.enumerated() { values[graph.inputs[position]] = inputs[k] }
    for (step, id) in schedule.enumerated() {
      let node = graph.nodes[id]
      guard case .apply(let primitive, let args) = node.kind else { continue }
      values[id] = primitive.forward(args.map { values[$0]! }, node.type)
      for dead in releases[step] { values[dead] = nil }
    }
    return graph.outputs.map { values[$0]! }
  }
}

extension Graph {
  /// The graph's outputs for `inputs`, which must match the input types.
  public func evaluate(_ inputs: [Tensor]) throws -> [Tensor] {
    guard inputs.count == self.inputs.count else {
      throw EngineError.vectorMismatch("expected \(self.inputs.count) inputs, got \(inputs.count)")
    }
    for (k, (value, type)) in zip(inputs, inputTypes).enumerated() where TensorType(of: value) != type {
      throw EngineError.vectorMismatch("input \(k) should be \(type), got \(TensorType(of: value))")
    }
    return PartialEvaluation(self, bound: [:]).run(inputs)
  }

  /// Which nodes some output needs.
  func liveNodes() -> [Bool] {
    var live = [Bool](repeating: false, count: nodes.count)
    for output in outputs { live[output] = true }
    for id in stride(from: nodes.count - 1, through: 0, by: -1) where live[id] {
      for arg in nodes[id].arguments { live[arg] = true }
    }
    return live
  }
}
