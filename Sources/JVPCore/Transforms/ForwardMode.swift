extension Graph {
  /// Forward mode: a graph computing the outputs together with their tangents.
  ///
  /// The new graph takes the primal inputs, then one tangent per input listed in `wrt` (the others are
  /// constant), and returns the primal outputs, then one tangent per output. Each node's tangent comes from
  /// its primitive's `jvp` rule, evaluated alongside the primal in one sweep; symbolic zeros are skipped.
  public func jvp(wrt: [Int]? = nil) throws -> Graph {
    let tracer = Tracer()
    let wrt = wrt ?? Array(inputs.indices)
    let primalInputs = inputTypes.map { tracer.input($0) }
    var tangentOfInput = [Int: Var]()
    for k in wrt { tangentOfInput[k] = tracer.input(inputTypes[k]) }
    let (primal, tangent) = try replay(into: tracer, primalInputs: primalInputs) { node, id, primals, value, argumentTangents in
      if case .input(let k) = node.kind { return tangentOfInput[k] }
      guard case .apply(let primitive, _) = node.kind, argumentTangents.contains(where: { $0 != nil }) else { return nil }
      return try primitive.jvp(primals, value, argumentTangents)?.converted(to: value.dtype)
    }
    let outputTangents = try outputs.map { id in try tangent[id] ?? primal[id]!.zeros(dtype: nodes[id].type.dtype) }
    return tracer.finish(outputs: outputs.map { primal[$0]! } + outputTangents)
  }

  /// Copies every live node into `tracer`, calling `extra` after each to compute a companion value (a tangent).
  func replay(
    into tracer: Tracer, primalInputs: [Var],
    _ extra: (Node, Int, [Var], Var, [Var?]) throws -> Var?
  ) throws -> (primal: [Var?], extra: [Var?]) {
    let live = liveNodes()
    var primal = [Var?](repeating: nil, count: nodes.count)
    var companion = [Var?](repeating: nil, count: nodes.count)
    for (id, node) in nodes.enumerated() where live[id] {
      let value: Var
      switch node.kind {
      case .input(let k): value = primalInputs[k]
      case .constant(let tensor): value = tracer.constant(tensor)
      case .apply(let primitive, let args): value = try tracer.apply(primitive, args.map { primal[$0]! })
      }
      primal[id] = value
      let argumentPrimals = node.arguments.map { primal[$0]! }
      companion[id] = try extra(node, id, argumentPrimals, value, node.arguments.map { companion[$0] })
    }
    return (primal, companion)
  }
}
