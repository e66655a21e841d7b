extension Graph {
  /// The same program with its floating point inputs and constants widened to float64.
  ///
  /// Checks use it to compute float64 finite differences of a float32 function. Types are re-inferred by
  /// each primitive, so promotion flows through the program as PyTorch's type promotion would. Built once
  /// per graph and kept with it, so a reused trace's checks skip the rebuild and its planning.
  public func promotedToFloat64() throws -> Graph {
    try cache.graph("float64") { try buildPromotedToFloat64() }
  }

  private func buildPromotedToFloat64() throws -> Graph {
    let tracer = Tracer()
    var mapped = [Var?](repeating: nil, count: nodes.count)
    let live = liveNodes()
    for (id, node) in nodes.enumerated() where live[id] || inputs.contains(id) {
      switch node.kind {
      case .input:
        let type = node.type
        mapped[id] = tracer.input(type.dtype.isFloatingPoint ? TensorType(shape: type.shape, dtype: .float64) : type)
      case .constant(let tensor):
        mapped[id] = tracer.constant(tensor.dtype.isFloatingPoint ? tensor.converted(to: .float64) : tensor)
      case .apply(let primitive, let args):
        let widened = (primitive as? Convert).map { Convert(dtype: $0.dtype.isFloatingPoint ? .float64 : $0.dtype) }
        mapped[id] = try tracer.apply(widened ?? primitive, args.map { mapped[$0]! })
      }
    }
    return tracer.finish(outputs: outputs.map { mapped[$0]! })
  }
}
