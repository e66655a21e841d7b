extension Graph {
  /// Runs the graph on `arguments` at the level they live on: evaluated when they are all concrete (on the
  /// tape node by node, `replay`, when some require grad), else inlined into the innermost trace among them,
  /// the others lifted there.
  ///
  /// This is how a transformed function composes: called at the top level it computes; called inside
  /// another transform's trace it becomes part of that trace, to be transformed again.
  public func apply(to arguments: [Operand]) throws -> [Operand] {
    var innermost: Tracer?
    for case .traced(let v) in arguments where innermost == nil || v.tracer.level > innermost!.level {
      innermost = v.tracer
    }
    guard let tracer = innermost else {
      // Values that require grad: computed on the tape, so the results carry a `grad_fn` as PyTorch's do.
      if GradMode.isEnabled && arguments.contains(where: \.requiresGrad) { return try replay(arguments) }
      return try evaluate(arguments.map { $0.concreteValue! }).map(Operand.concrete)
    }
    return try inline(into: tracer, arguments.map { try $0.lifted(into: tracer) }).map(Operand.traced)
  }

  /// The graph's nodes copied into `tracer` on `inputs`; returns the outputs there.
  public func inline(into tracer: Tracer, _ inputs: [Var]) throws -> [Var] {
    let (primal, _) = try replay(into: tracer, primalInputs: inputs) { _, _, _, _, _ in nil }
    return outputs.map { primal[$0]! }
  }

  /// For each output, whether it depends on any of the inputs at positions `inputPositions`.
  public func outputsDepend(on inputPositions: Set<Int>) -> [Bool] {
    let depends = dependsOnInputs(inputPositions)
    return outputs.map { depends[$0] }
  }

  /// The same nodes and inputs with other outputs (a part of the results).
  public func selecting(_ outputIndices: [Int]) -> Graph {
    Graph(nodes: nodes, inputs: inputs, outputs: outputIndices.map { outputs[$0] })
  }
}

extension TensorValue {
  /// `movedim(source, destination)` for one dim: the other dims keep their order.
  public func movedim(_ source: Int, to destination: Int) throws -> Self {
    let from = try Check.dim(source, rank: rank, "movedim")
    let to = try Check.dim(destination, rank: rank, "movedim")
    if from == to { return self }
    var order = Array(0..<rank)
    order.remove(at: from)
    order.insert(from, at: to)
    return try permute(order)
  }
}
