/// Dense jacobians assembled from linearized sweeps.
///
/// The primal part of the linearized graph is evaluated once (`PartialEvaluation`); each sweep then runs
/// only the tangent (forward mode, one column) or cotangent (reverse mode, one row) part with a one-hot
/// vector. With `vectorize`, all sweeps run at once over the one-hot basis carried as bands
/// (`Graph.batched(overBasis:)`), or, when they are few or what stays dense there is too wide, in chunks through the
/// vectorized graph (`Graph.batched`) sized to bound memory. `auto` picks the mode with fewer sweeps and
/// always batches them (the values agree with single sweeps to rounding).
enum Jacobian {
  /// Elements of intermediate storage one vectorized chunk may use.
  static let chunkBudget = 1 << 22

  /// `blocks[i][j]`, of shape `output_i.shape + input_j.shape`, for `graph` at `inputs`.
  ///
  /// `linearized(mode)` returns the graph's jvp graph for `.forwardMode` and its vjp graph otherwise;
  /// `cache(key, build)` keeps the graphs derived from it (the linear part, batched versions) across calls.
  static func blocks(
    graph: Graph, linearized: (JacobianStrategy) throws -> Graph,
    cache: (String, () throws -> Graph) throws -> Graph, inputs: [Tensor],
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
    let vectorize = vectorize || strategy == .auto
    let forward = mode == .forwardMode
    let vectorTypes = forward ? inTypes : outTypes
    let productTypes = forward ? outTypes : inTypes
    let full = try linearized(mode)
    let linear = try cache("linear.\(mode.rawValue)") {
      Graph(nodes: full.nodes, inputs: full.inputs, outputs: Array(full.outputs.suffix(productTypes.count)))
    }
    var bound = [Int: Tensor]()
    for (k, input) in inputs.enumerated() { bound[k] = input }

    lazy var blocks = outTypes.enumerated().map { i, o in inTypes.enumerated().map { j, t in Block(dtypes[i][j], o.count * t.count) } }
    let offsets = vectorTypes.reduce(into: [0]) { $0.append($0.last! + $1.count) }
    /// Writes the products of sweeps `first..<first+count` (columns in forward mode, rows in reverse mode);
    /// `products[p]` holds `batch` sweeps' values for product `p`, sweep `b` at `b * productTypes[p].count`.
    func place(_ first: Int, _ count: Int, _ products: [Tensor]) {
      for (p, product) in products.enumerated() {
        let n = productTypes[p].count
        for b in 0..<count {
          let g = first + b
          let k = offsets.lastIndex { $0 <= g }!
          let e = g - offsets[k]
          let (i, j) = forward ? (p, k) : (k, p)
          blocks[i][j].write(product, from: b * n, count: n, at: forward ? e : e * inTypes[j].count,
                             stride: forward ? inTypes[j].count : 1)
        }
      }
    }

    let sweeps = offsets.last!
    if vectorize && sweeps > 1 {
      // All sweeps at once over the one-hot basis as bands (`batched(overBasis:)`), unless they are few or
      // what stays dense there is wider than the chunk budget and the result itself.
      let basis = Dictionary(uniqueKeysWithValues: vectorTypes.indices.map { (inputs.count + $0, -offsets[$0]) })
      let banded = sweeps < Band.minimumSweeps
        ? nil : try cache("basis.\(mode.rawValue)") { try linear.batched(overBasis: basis, size: sweeps) }
      let resultCount = sweeps * productTypes.reduce(0) { $0 + $1.count }
      if let banded, banded.widestLiveNode <= max(chunkBudget, resultCount) {
        let size = sweeps
        let products = try banded.evaluate(inputs)
        if !forward && outTypes.count == 1 {
          // Reverse sweeps of one output: the products, row after row, are the blocks themselves.
          return [inTypes.enumerated().map { j, t in
            products[j].converted(to: dtypes[0][j]).reshaped(outTypes[0].shape + t.shape)
          }]
        }
        place(0, size, products)
        return outTypes.enumerated().map { i, o in
          inTypes.enumerated().map { j, t in blocks[i][j].tensor(shape: o.shape + t.shape) }
        }
      }
      // Only nodes the products need count: the linear graph also holds cotangents of constants, which
      // batching drops.
      let size = min(sweeps, max(1, chunkBudget / max(linear.widestLiveNode, 1)))
      let batched = try cache("batched.\(mode.rawValue).\(size)") {
        try linear.batched(Set(inputs.count..<(inputs.count + vectorTypes.count)), size: size)
      }
      let evaluation = PartialEvaluation(batched, bound: bound)
      if !forward && size == sweeps && outTypes.count == 1 {
        // One chunk of reverse sweeps: the products, row after row, are the blocks themselves.
        let products = evaluation.run(vectorTypes.map { oneHot($0, batch: size, first: 0) })
        return [inTypes.enumerated().map { j, t in
          products[j].converted(to: dtypes[0][j]).reshaped(outTypes[0].shape + t.shape)
        }]
      }
      for start in stride(from: 0, to: sweeps, by: size) {
        let vectors = vectorTypes.enumerated().map { k, type in oneHot(type, batch: size, first: start - offsets[k]) }
        place(start, min(size, sweeps - start), evaluation.run(vectors))
      }
    } else if !forward && outTypes.count > 1 {
      // PyTorch's unbatched reverse mode differentiates each output on its own. One vjp graph for all outputs
      // would add the other outputs' zero cotangents into every row, and -0 + 0 is +0: a -0 that PyTorch
      // prints as `-0.` would print as `0.`. So each output gets the vjp of the graph restricted to it.
      for (k, type) in outTypes.enumerated() {
        let single = try cache("linear.reverse-mode.output\(k)") {
          let full = try Graph(nodes: graph.nodes, inputs: graph.inputs, outputs: [graph.outputs[k]]).vjp()
          return Graph(nodes: full.nodes, inputs: full.inputs, outputs: Array(full.outputs.suffix(productTypes.count)))
        }
        let evaluation = PartialEvaluation(single, bound: bound)
        for e in 0..<type.count { place(offsets[k] + e, 1, evaluation.run([oneHot(type, batch: nil, first: e)])) }
      }
    } else {
      let evaluation = PartialEvaluation(linear, bound: bound)
      for g in 0..<sweeps {
        let k = offsets.lastIndex { $0 <= g }!
        let vectors = vectorTypes.enumerated().map { index, type in
          oneHot(type, batch: nil, first: index == k ? g - offsets[k] : type.count)
        }
        place(g, 1, evaluation.run(vectors))
      }
    }
    return outTypes.enumerated().map { i, o in
      inTypes.enumerated().map { j, t in blocks[i][j].tensor(shape: o.shape + t.shape) }
    }
  }

  /// One dense block of the result, in its own dtype, filled row by row or column by column.
  final class Block {
    let dtype: DType
    private var float32: [Float] = []
    private var float64: [Double] = []

    init(_ dtype: DType, _ count: Int) {
      self.dtype = dtype
      if dtype == .float32 { float32 = [Float](repeating: 0, count: count) } else { float64 = [Double](repeating: 0, count: count) }
    }

    /// `block[at + r * stride] = product[from + r]` for `r < count`.
    func write(_ product: Tensor, from: Int, count: Int, at: Int, stride: Int) {
      if dtype == .float32 {
        Self.copy(product.elements(as: Float.self), from, count, &float32, at, stride)
      } else {
        Self.copy(product.elements(as: Double.self), from, count, &float64, at, stride)
      }
    }

    private static func copy<T>(_ source: [T], _ from: Int, _ count: Int, _ target: inout [T], _ at: Int, _ stride: Int) {
      source.withUnsafeBufferPointer { src in
        target.withUnsafeMutableBufferPointer { dst in
          if stride == 1 {
            (dst.baseAddress! + at).update(from: src.baseAddress! + from, count: count)
          } else {
            for r in 0..<count { dst[at + r * stride] = src[from + r] }
          }
        }
      }
    }

    func tensor(shape: [Int]) -> Tensor {
      dtype == .float32 ? Tensor(shape: shape, float32: float32) : Tensor(shape: shape, float64: float64)
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

  /// One-hot vectors of `type`: with `batch`, `batch` of them stacked along a new leading dim, vector `b`
  /// having its 1 at `first + b`; without, a single vector with its 1 at `first`. Positions outside the
  /// type's elements give zero vectors.
  static func oneHot(_ type: TensorType, batch: Int?, first: Int) -> Tensor {
    let n = type.count
    let size = batch ?? 1
    let shape = (batch.map { [$0] } ?? []) + type.shape
    // The vectors whose 1 falls inside the type's elements.
    let lower = max(0, -first)
    let ones = lower..<max(lower, min(size, n - first))
    switch type.dtype {
    case .float32:
      var values = [Float](repeating: 0, count: size * n)
      for b in ones { values[b * n + first + b] = 1 }
      return Tensor(shape: shape, float32: values)
    case .float64:
      var values = [Double](repeating: 0, count: size * n)
      for b in ones { values[b * n + first + b] = 1 }
      return Tensor(shape: shape, float64: values)
    case .int64, .bool: preconditionFailure("one-hot vectors are floating point")
    }
  }
}
