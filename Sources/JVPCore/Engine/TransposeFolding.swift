/// Transposes the evaluator never materialises: after fusion, a matrix product reading a value that is only
/// its operand's matrix transpose (`x @ w.T`, `F.linear`, a rule's `swapaxes`) reads the operand with the
/// product's BLAS flag flipped, and a permute of a permute is one permute of the original value (none when
/// the two cancel). A permute nothing else reads is then not computed at all.
///
/// Only execution steps change: the graph keeps its nodes (so `grad_fn` names, tape replays and transforms
/// see the program as written) and every other value is computed as before. A folded product computes the
/// same sums from the same operands; with the BLAS it may round differently in the last bits (another
/// packing path), within the tolerance `MatMulKernelTests` checks.
enum TransposeFolding {
  static func fold(_ graph: Graph, _ steps: [ExecutionPlan.Step], isKnown: [Bool]) -> [ExecutionPlan.Step] {
    let nodes = graph.nodes
    /// The permute `id` computes, with its argument, when it is a step of this plan.
    func permute(_ id: Int) -> (order: [Int], argument: Int)? {
      guard !isKnown[id], case .apply(let primitive, let args) = nodes[id].kind, let p = primitive as? Permute else { return nil }
      return (p.order, args[0])
    }
    var rewritten = steps.map { step -> ExecutionPlan.Step in
      guard case .apply(let id, let primitive, let args, let type) = step else { return step }
      if let product = primitive as? MatMul {
        var flags = [product.transposeA, product.transposeB]
        var operands = args
        for k in 0..<2 {
          guard let (order, argument) = permute(args[k]) else { continue }
          let rank = order.count
          guard rank >= 2, order == Array(0..<(rank - 2)) + [rank - 1, rank - 2] else { continue }
          operands[k] = argument
          flags[k].toggle()
        }
        if operands == args { return step }
        return .apply(id: id, primitive: MatMul(transposeA: flags[0], transposeB: flags[1]), arguments: operands, type: type)
      }
      if let outer = primitive as? Permute, let (inner, argument) = permute(args[0]) {
        let composed = outer.order.map { inner[$0] }
        // A permute undone by the next is a reshape to the same shape, which shares its argument's storage.
        let folded: any Primitive = composed == Array(composed.indices) ? Reshape(shape: type.shape) : Permute(order: composed)
        return .apply(id: id, primitive: folded, arguments: [argument], type: type)
      }
      return step
    }
    // Permutes that no step, fused group or output reads any more are dropped.
    var read = [Bool](repeating: false, count: nodes.count)
    for output in graph.outputs { read[output] = true }
    for step in rewritten {
      switch step {
      case .apply(_, _, let args, _): for arg in args { read[arg] = true }
      case .fused(let group): for e in group.externals { read[e.node] = true }
      case .permuted(let p): for arg in p.arguments { read[arg] = true }
      }
    }
    rewritten.removeAll { step in
      guard case .apply(let id, let primitive, _, _) = step else { return false }
      return primitive is Permute && !read[id]
    }
    return rewritten
  }
}
