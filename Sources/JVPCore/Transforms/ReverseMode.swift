extension Graph {
  /// Reverse mode: a graph computing the outputs and the vector-Jacobian products for given cotangents.
  ///
  /// The new graph takes the primal inputs, then one cotangent per output (unless `seeds` fixes them as
  /// constants, as the gradient of a scalar function does), and returns the primal outputs, then one cotangent
  /// per input listed in `wrt`. The backward sweep applies each primitive's `vjp` rule in reverse order and
  /// only for nodes that lie between a `wrt` input and an output. `simplifies` as `Tracer` has it.
  public func vjp(wrt: [Int]? = nil, seeds: [Tensor]? = nil, simplifies: Bool = true) throws -> Graph {
    let tracer = Tracer(simplifies: simplifies)
    let wrt = wrt ?? Array(inputs.indices)
    let primalInputs = inputTypes.map { tracer.input($0) }
    let (primal, _) = try replay(into: tracer, primalInputs: primalInputs) { _, _, _, _, _ in nil }
    let seedValues = seeds.map { $0.map { tracer.constant($0) } } ?? outputTypes.map { tracer.input($0) }

    var reaches = [Bool](repeating: false, count: nodes.count)
    for k in wrt { reaches[inputs[k]] = true }
    for (id, node) in nodes.enumerated() where node.arguments.contains(where: { reaches[$0] }) { reaches[id] = true }

    var cotangent = [Var?](repeating: nil, count: nodes.count)
    func accumulate(_ id: Int, _ value: Var) throws {
      cotangent[id] = try cotangent[id].map { try $0 + value } ?? value
    }
    for (k, id) in outputs.enumerated() where reaches[id] { try accumulate(id, seedValues[k]) }
    for id in stride(from: nodes.count - 1, through: 0, by: -1) {
      guard reaches[id], let g = cotangent[id], case .apply(let primitive, let args) = nodes[id].kind else { continue }
      let argumentCotangents = try primitive.vjp(args.map { primal[$0]! }, primal[id]!, g)
      for (arg, contribution) in zip(args, argumentCotangents) where reaches[arg] {
        if let contribution { try accumulate(arg, contribution.reduced(to: nodes[arg].type)) }
      }
    }
    let inputCotangents = try wrt.map { k in
      try cotangent[inputs[k]] ?? primalInputs[k].zeros(dtype: inputTypes[k].dtype)
    }
    return tracer.finish(outputs: outputs.map { primal[$0]! } + inputCotangents)
  }
}
