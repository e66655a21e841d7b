/// Dense jacobians assembled from linearized sweeps.
///
/// The primal part of the linearized graph is evaluated once (`PartialEvaluation`); each sweep then runs
/// only the tangent (forward mode, one column) or cotangent (reverse mode, one row) part with a one-hot
/// vector. With `vectorize`, sweeps run in batches through the vectorized graph (`Graph.batched`), in
/// chunks sized to bound memory.
enum Jacobian {
  /// Elements of intermediate storage one vectorized chunk may use.
  static let chunkBudget = 1 << 22

  /// `blocks[i][j]`, of shape `output_i.shape + input_j.shape`, for `graph` at `inputs`.
  ///
  /// `linearized(mode)` returns the graph's jvp graph for `.forwardMode` and its vjp graph otherwise.
  static func blocks(
    graph: Graph, linearized: (JacobianStrategy) throws -> Graph, inputs: [Tensor],
    strategy: JacobianStrategy, vectorize: Bool, memoryLimit: Int, what: String
  ) throws -> [[Tensor]] {
    let inTypes = graph.inputTypes
    let outTypes = graph.outputTypes
    let inCount = inTypes.reduce(0) { $0 + $1.count }
    let outCount = outTypes.reduce(0) { $0 + $1.count }
    let dtypes = outTypes.map { o in inTypes.map { DType.promote(o.dtype, $0.dtype) } }
    try checkSize(outTypes, inTypes, dtypes, limit: memoryLimit, what: what)

    let mode: JacobianStrategy = switch strategy {
    case .auto: outCount <= inCount ? .reverseMode : .forwardMode
    default: strategy
    }
    let forward = mode == .forwardMode
    let vectorTypes = forward ? inTypes : outTypes
    let productTypes = forward ? outTypes : inTypes
    let full = try linearized(mode)
    let linear = Graph(nodes: full.nodes, inputs: full.inputs, outputs: Array(full.outputs.suffix(productTypes.count)))
    var bound = [Int: Tensor]()
    for (k, input) in inputs.enumerated() { bound[k] = input }

    var data = outTypes.map { o in inTypes.map { [Double](repeating: 0, count: o.count * $0.count) } }
    let offsets = vectorTypes.reduce(into: [0]) { $0.append($0.last! + $1.count) }
    /// Writes the products of sweep `g` (a column in forward mode, a row in reverse mode).
    func place(_ g: Int, _ products: [ArraySlice<Double>]) {
      let k = offsets.lastIndex { $0 <= g }!
      let e = g - offsets[k]
      for (p, values) in products.enumerated() {
        let (i, j) = forward ? (p, k) : (k, p)
        let n = inTypes[j].count
        data[i][j].withUnsafeMutableBufferPointer { block in
          if forward {
            for (r, value) in values.enumerated() { block[r * n + e] = value }
          } else {
            for (c, value) in values.enumerated() { block[e * n + c] = value }
          }
        }
      }
    }

    let sweeps = offsets.last!
    if vectorize && sweeps > 1 {
      let widest = linear.nodes.map(\.type.count).max() ?? 1
      let size = min(sweeps, max(1, chunkBudget / max(widest, 1)))
      let batched = try linear.batched(Set(inputs.count..<(inputs.count + vectorTypes.count)), size: size)
      let evaluation = PartialEvaluation(batched, bound: bound)
      for start in stride(from: 0, to: sweeps, by: size) {
        let vectors = vectorTypes.enumerated().map { k, type in
          var values = [Double](repeating: 0, count: size * type.count)
          for b in 0..<size {
            let g = start + b - offsets[k]
            if g >= 0 && g < type.count { values[b * type.count + g] = 1 }
          }
          return Tensor(shape: [size] + type.shape, doubles: values, dtype: type.dtype)
        }
        let products = evaluation.run(vectors).map(\.doubles)
        for b in 0..<min(size, sweeps - start) {
          place(start + b, products.enumerated().map { p, values in
            let n = productTypes[p].count
            return values[(b * n)..<((b + 1) * n)]
          })
        }
      }
    } else {
      let evaluation = PartialEvaluation(linear, bound: bound)
      for g in 0..<sweeps {
        let k = offsets.lastIndex { $0 <= g }!
        let vectors = vectorTypes.enumerated().map { index, type in oneHot(type, at: index == k ? g - offsets[k] : nil) }
        place(g, evaluation.run(vectors).map { ArraySlice($0.doubles) })
      }
    }
    return outTypes.enumerated().map { i, o in
      inTypes.enumerated().map { j, t in Tensor(shape: o.shape + t.shape, doubles: data[i][j], dtype: dtypes[i][j]) }
    }
  }

  /// Refuses a dense result above `limit` bytes, naming the size it would need.
  static func checkSize(_ outTypes: [TensorType], _ inTypes: [TensorType], _ dtypes: [[DType]], limit: Int, what: String) throws {
    var bytes = 0
    for (i, o) in outTypes.enumerated() {
      for (j, t) in inTypes.enumerated() {
        let (elements, overflow1) = o.count.multipliedReportingOverflow(by: t.count)
        let (size, overflow2) = elements.multipliedReportingOverflow(by: dtypes[i][j].byteWidth)
        let (total, overflow3) = bytes.addingReportingOverflow(size)
        bytes = overflow1 || overflow2 || overflow3 ? Int.max : total
      }
    }
    if bytes > limit { throw EngineError.tooLarge(what: what, bytes: bytes, limit: limit) }
  }

  /// Zeros of `type`, with a 1 at `index` when given.
  static func oneHot(_ type: TensorType, at index: Int?) -> Tensor {
    var values = [Double](repeating: 0, count: type.count)
    if let index { values[index] = 1 }
    return Tensor(shape: type.shape, doubles: values, dtype: type.dtype)
  }
}
