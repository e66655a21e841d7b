import Foundation

/// The compiled residual program of a graph whose inputs in `bound` are given ahead of time: which nodes
/// are known at binding time, the steps that compute the rest (elementwise chains fused, see `Fusion`;
/// transposes folded into products, `TransposeFolding`, and into the elementwise ops they permute,
/// `PermutedElementwise`) and which values each step frees. Plans depend only on the graph and which inputs
/// are bound, so each graph builds its plans once (`Graph.plan(bound:)`) and every later call reuses them.
final class ExecutionPlan: @unchecked Sendable {
  enum Step {
    case apply(id: Int, primitive: any Primitive, arguments: [Int], type: TensorType)
    case fused(FusedGroup)
    case permuted(PermutedElementwise)
  }

  let steps: [Step]
  /// Node ids whose values die after each step.
  let releases: [[Int]]
  /// Apply nodes computed once at binding time (they depend only on bound inputs and constants), in order.
  let bindTime: [Int]
  /// Positions (in `graph.inputs`) of the inputs given at run time, in order.
  let free: [Int]
  /// With no bound inputs: the constants and what derives from them, shared by every run.
  let constants: [Tensor?]?

  init(_ graph: Graph, bound: [Bool]) {
    let nodes = graph.nodes
    let needed = graph.liveNodes()
    var isKnown = [Bool](repeating: false, count: nodes.count)
    var schedule: [Int] = []
    var bindTime: [Int] = []
    for (id, node) in nodes.enumerated() where needed[id] {
      switch node.kind {
      case .input(let k): isKnown[id] = bound[k]
      case .constant: isKnown[id] = true
      case .apply(_, let args):
        if args.allSatisfy({ isKnown[$0] }) {
          isKnown[id] = true
          bindTime.append(id)
        } else {
          schedule.append(id)
        }
      }
    }
    ExecutionPlan.deferFoldablePermutes(graph, needed: needed, isKnown: &isKnown, bindTime: &bindTime, schedule: &schedule)
    free = graph.inputs.indices.filter { !bound[$0] }
    let fused = Fusion.steps(graph, schedule: schedule, isKnown: isKnown)
    steps = PermutedElementwise.fold(graph, TransposeFolding.fold(graph, fused, isKnown: isKnown), isKnown: isKnown)
    self.bindTime = bindTime

    var lastUse = [Int: Int]()
    for (s, step) in steps.enumerated() {
      switch step {
      case .apply(_, _, let args, _): for arg in args where !isKnown[arg] { lastUse[arg] = s }
      case .fused(let group): for e in group.externals where !isKnown[e.node] { lastUse[e.node] = s }
      case .permuted(let p): for arg in p.arguments where !isKnown[arg] { lastUse[arg] = s }
      }
    }
    // Values produced and never read again die right after their step.
    for (s, step) in steps.enumerated() {
      switch step {
      case .apply(let id, _, _, _): if lastUse[id] == nil { lastUse[id] = s }
      case .fused(let group): for id in group.outputs where lastUse[id] == nil { lastUse[id] = s }
      case .permuted(let p): if lastUse[p.node] == nil { lastUse[p.node] = s }
      }
    }
    for output in graph.outputs { lastUse[output] = nil }
    var releases = [[Int]](repeating: [], count: steps.count)
    for (id, s) in lastUse { releases[s].append(id) }
    self.releases = releases

    if bound.contains(true) {
      constants = nil
    } else {
      var known = [Tensor?](repeating: nil, count: nodes.count)
      ExecutionPlan.bind(graph, bindTime, into: &known)
      constants = known
    }
  }

  /// Bind-time permutes read only by run-time products and permutes (a bound weight's `w.T` in `F.linear`)
  /// move to the run-time steps, where `TransposeFolding` turns them into BLAS flags or composes them away:
  /// binding then copies no transposed matrix. Their readers run at run time either way, so nothing else moves.
  static func deferFoldablePermutes(_ graph: Graph, needed: [Bool], isKnown: inout [Bool], bindTime: inout [Int], schedule: inout [Int]) {
    let nodes = graph.nodes
    var readers = [[Int]](repeating: [], count: nodes.count)
    for (id, node) in nodes.enumerated() where needed[id] { for arg in node.arguments { readers[arg].append(id) } }
    let outputs = Set(graph.outputs)
    let deferred = bindTime.filter { id in
      guard !outputs.contains(id), case .apply(let primitive, _) = nodes[id].kind, let permute = primitive as? Permute else { return false }
      let rank = permute.order.count
      let isMatrixTranspose = rank >= 2 && permute.order == Array(0..<(rank - 2)) + [rank - 1, rank - 2]
      return !readers[id].isEmpty && readers[id].allSatisfy { reader in
        guard !isKnown[reader], case .apply(let user, _) = nodes[reader].kind else { return false }
        return user is Permute || user is MatMul && isMatrixTranspose
      }
    }
    guard !deferred.isEmpty else { return }
    for id in deferred { isKnown[id] = false }
    bindTime.removeAll { !isKnown[$0] }
    schedule = (schedule + deferred).sorted()
  }

  /// Fills `known` with the constants and the bind-time nodes (bound inputs must already be there).
  static func bind(_ graph: Graph, _ bindTime: [Int], into known: inout [Tensor?]) {
    let needed = graph.liveNodes()
    for (id, node) in graph.nodes.enumerated() where needed[id] {
      if case .constant(let value) = node.kind { known[id] = value }
    }
    for id in bindTime {
      guard case .apply(let primitive, let args) = graph.nodes[id].kind else { continue }
      known[id] = primitive.forward(args.map { known[$0]! }, graph.nodes[id].type)
    }
  }

  /// Runs the steps on `known` values plus the free inputs; returns the graph's outputs.
  func run(_ graph: Graph, known: [Tensor?], inputs: [Tensor]) -> [Tensor] {
    // Values computed now live in `values`; known ones are read from `known`, which is not copied.
    var values = [Tensor?](repeating: nil, count: known.count)
    for (k, position) in free.enumerated() { values[graph.inputs[position]] = inputs[k] }
    for (s, step) in steps.enumerated() {
      switch step {
      case .apply(let id, let primitive, let args, let type):
        values[id] = primitive.forward(args.map { values[$0] ?? known[$0]! }, type)
      case .fused(let group):
        group.run(&values, known: known)
      case .permuted(let p):
        p.run(&values, known: known)
      }
      for dead in releases[s] { values[dead] = nil }
    }
    return graph.outputs.map { values[$0] ?? known[$0]! }
  }
}

/// Runs a graph on concrete tensors, with some inputs bound ahead of time.
///
/// Everything that depends only on the bound inputs is computed once, at construction; `run` evaluates
/// only the rest. A jacobian binds the primal inputs and runs the tangent (or cotangent) part once per
/// column (or row): the primal computation is never repeated. Intermediates are released after their last use.
public struct PartialEvaluation {
  private let graph: Graph
  private let plan: ExecutionPlan
  private let known: [Tensor?]

  /// Binds `bound[k]` to input `k` for each key, computing what depends only on bound inputs and constants.
  public init(_ graph: Graph, bound: [Int: Tensor]) {
    self.graph = graph
    plan = graph.plan(bound: graph.inputs.indices.map { bound[$0] != nil })
    if let constants = plan.constants {
      known = constants
    } else {
      var known = [Tensor?](repeating: nil, count: graph.nodes.count)
      for (k, value) in bound { known[graph.inputs[k]] = value }
      ExecutionPlan.bind(graph, plan.bindTime, into: &known)
      self.known = known
    }
  }

  /// The graph's outputs for values of the inputs that were not bound, in input order.
  public func run(_ inputs: [Tensor]) -> [Tensor] { plan.run(graph, known: known, inputs: inputs) }
}

extension Graph {
  /// The graph's outputs for `inputs`, which must match the input types.
  public func evaluate(_ inputs: [Tensor]) throws -> [Tensor] {
    guard inputs.count == self.inputs.count else {
      throw EngineError.vectorMismatch("expected \(self.inputs.count) inputs, got \(inputs.count)")
    }
    for (k, value) in inputs.enumerated() {
      let type = nodes[self.inputs[k]].type
      if value.shape != type.shape || value.dtype != type.dtype {
        throw EngineError.vectorMismatch("input \(k) should be \(type), got \(TensorType(of: value))")
      }
    }
    let plan = evaluationPlan()
    return plan.run(self, known: plan.constants!, inputs: inputs)
  }

  /// A graph built from this one (a transform, `key` naming it with its parameters), built on first use and
  /// kept with this graph, so a later call on an identical trace (`TraceStore`) reuses it and its plans.
  public func derived(_ key: String, _ build: () throws -> Graph) rethrows -> Graph { try cache.graph(key, build) }

  /// The plan `evaluate` runs, built now if it is not yet: one-time work that timing should leave out.
  @discardableResult
  func evaluationPlan() -> ExecutionPlan { plan(bound: [Bool](repeating: false, count: inputs.count)) }

  /// The execution plan for these bound inputs, built on first use and kept with the graph.
  func plan(bound: [Bool]) -> ExecutionPlan {
    cache.value(plan: bound) { ExecutionPlan(self, bound: bound) }
  }

  /// The element count of the largest node some output needs.
  var widestLiveNode: Int {
    let live = liveNodes()
    return nodes.indices.filter { live[$0] }.map { nodes[$0].type.count }.max() ?? 1
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

/// What a graph derives from itself and keeps: execution plans and transformed graphs. Graphs are
/// immutable, so whatever is cached stays valid; copies of a graph share the cache.
final class GraphCache: @unchecked Sendable {
  private let lock = NSLock()
  private var plans: [[Bool]: ExecutionPlan] = [:]
  private var graphs: [String: Graph] = [:]

  func value(plan key: [Bool], _ build: () -> ExecutionPlan) -> ExecutionPlan {
    lock.lock()
    if let plan = plans[key] {
      lock.unlock()
      return plan
    }
    lock.unlock()
    let plan = build()
    lock.lock()
    plans[key] = plan
    lock.unlock()
    return plan
  }

  func graph(_ key: String, _ build: () throws -> Graph) rethrows -> Graph {
    lock.lock()
    if let graph = graphs[key] {
      lock.unlock()
      return graph
    }
    lock.unlock()
    let graph = try build()
    lock.lock()
    graphs[key] = graph
    lock.unlock()
    return graph
  }
}
