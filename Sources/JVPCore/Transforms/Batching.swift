extension Graph {
  /// The vectorizing map: the same program where the inputs in `batchedInputs` carry an extra leading
  /// dim of `size`, computing `size` independent evaluations in one pass of batched kernels.
  ///
  /// Each primitive's `batch` rule says how; nodes that do not depend on a batched input are copied
  /// unchanged, so the primal part of a linearized graph is still computed once.
  public func batched(_ batchedInputs: Set<Int>, size: Int) throws -> Graph {
    let tracer = Tracer()
    var mapped = [Var?](repeating: nil, count: nodes.count)
    var isBatched = [Bool](repeating: false, count: nodes.count)
    let live = liveNodes()
    for (id, node) in nodes.enumerated() where live[id] || inputs.contains(id) {
      switch node.kind {
      case .input(let k):
        isBatched[id] = batchedInputs.contains(k)
        mapped[id] = tracer.input(isBatched[id] ? TensorType(shape: [size] + node.type.shape, dtype: node.type.dtype) : node.type)
      case .constant(let tensor):
        mapped[id] = tracer.constant(tensor)
      case .apply(let primitive, let args):
        let flags = args.map { isBatched[$0] }
        let values = args.map { mapped[$0]! }
        if flags.contains(true) {
          mapped[id] = try primitive.batch(values, batched: flags, size: size)
          isBatched[id] = true
        } else {
          mapped[id] = try tracer.apply(primitive, values)
        }
      }
    }
    let results = try outputs.map { id in isBatched[id] ? mapped[id]! : try Batching.materialize(mapped[id]!, size: size) }
    return tracer.finish(outputs: results)
  }
}

/// Shape moves shared by the batching rules.
enum Batching {
  /// A batched value (`[B] + s`) with size-1 dims inserted after the batch dim so that `s` has `rank` dims:
  /// it then broadcasts against unbatched values of rank <= `rank` exactly as `s` would.
  static func align(_ v: Var, to rank: Int) throws -> Var {
    let inner = Array(v.shape.dropFirst())
    guard inner.count < rank else { return v }
    return try v.reshape([v.shape[0]] + [Int](repeating: 1, count: rank - inner.count) + inner)
  }

  /// An unbatched value repeated along a new leading batch dim.
  static func materialize(_ v: Var, size: Int) throws -> Var {
    try v.unsqueeze(0).expanded(to: TensorType(shape: [size] + v.shape, dtype: v.dtype))
  }

  /// The unbatched type of an argument.
  static func unbatchedType(_ v: Var, _ batched: Bool) -> TensorType {
    batched ? TensorType(shape: Array(v.shape.dropFirst()), dtype: v.dtype) : v.type
  }
}

extension UnaryFunction {
  public func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var { try Var.apply(self, arguments) }
}

extension BinaryFunction {
  public func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var {
    let types = zip(arguments, batched).map { Batching.unbatchedType($0, $1) }
    let rank = try outputType(types).rank
    let aligned = try zip(arguments, batched).map { $1 ? try Batching.align($0, to: rank) : $0 }
    return try Var.apply(self, aligned)
  }
}

extension PowerScalar {
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var { try Var.apply(self, arguments) }
}

extension Convert {
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var { try Var.apply(self, arguments) }
}

extension Sum {
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var {
    try Var.apply(Sum(dims: dims.map { $0 + 1 }, keepDim: keepDim), arguments)
  }
}

extension Product {
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var {
    try Var.apply(Product(dims: dims.map { $0 + 1 }, keepDim: keepDim), arguments)
  }
}

extension ProductWeights {
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var {
    let aligned = try zip(arguments, batched).map { $1 ? $0 : try Batching.materialize($0, size: size) }
    return try Var.apply(ProductWeights(dims: dims.map { $0 + 1 }), aligned)
  }
}

extension LogSumExp {
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var {
    try Var.apply(LogSumExp(dims: dims.map { $0 + 1 }, keepDim: keepDim), arguments)
  }
}

extension Softmax {
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var {
    try Var.apply(Softmax(dim: dim + 1), arguments)
  }
}

extension LogSoftmax {
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var {
    try Var.apply(LogSoftmax(dim: dim + 1), arguments)
  }
}

extension Reshape {
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var {
    try Var.apply(Reshape(shape: [size] + shape), arguments)
  }
}

extension Permute {
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var {
    try Var.apply(Permute(order: [0] + order.map { $0 + 1 }), arguments)
  }
}

extension Expand {
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var {
    try Var.apply(Expand(shape: [size] + shape), [Batching.align(arguments[0], to: shape.count)])
  }
}

extension ReduceTo {
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var {
    let x = arguments[0]
    let lead = x.rank - 1 - shape.count
    let padded = [size] + [Int](repeating: 1, count: lead) + shape
    return try Var.apply(ReduceTo(shape: padded), [x]).reshape([size] + shape)
  }
}

extension Slice {
  var shiftedOneDim: Slice { Slice(dim: dim + 1, start: start, stop: stop, step: step) }

  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var {
    try Var.apply(shiftedOneDim, arguments)
  }
}

extension SliceScatter {
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var {
    try Var.apply(SliceScatter(slice: slice.shiftedOneDim, base: [size] + base), arguments)
  }
}

extension Concat {
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var {
    let parts = try zip(arguments, batched).map { $1 ? $0 : try Batching.materialize($0, size: size) }
    return try Var.apply(Concat(dim: dim + 1), parts)
  }
}

extension Diagonal {
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var { try Var.apply(self, arguments) }
}

extension DiagonalScatter {
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var {
    try Var.apply(DiagonalScatter(shape: [size] + shape), arguments)
  }
}

extension MatMul {
  /// Lifts each operand to the rank >= 2 form torch.matmul uses, puts the batch dim in front of both
  /// (aligned past any existing batch dims), multiplies, and drops the lifted unit dims again.
  ///
  /// An unbatched matrix (or vector) times a batch of vectors is one product with the vectors as rows,
  /// `V op(A)ᵀ`, instead of one matrix-vector product per vector: how vectorized jacobians and hessians of
  /// matrix chains become matrix-matrix products. The same holds for a batch of matrices whose columns of
  /// `op(B)` are contiguous rows, when the per-example result has a unit dim (so `Cᵀ` and `C` share a layout).
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var {
    let types = zip(arguments, batched).map { Batching.unbatchedType($0, $1) }
    let (a, b) = (types[0].shape, types[1].shape)
    if !batched[0], batched[1], a.count <= 2 {
      if b.count == 1 {
        return a.count == 1
          ? try arguments[1].matmul(arguments[0])
          : try MatMul.product(arguments[1], arguments[0], transposeA: false, transposeB: !transposeA)
      }
      let (m, k, n) = a.count == 2 ? MatMulKernel.dims(a, transposedA: transposeA, b, transposedB: transposeB) : (0, 0, 0)
      if a.count == 2, b.count == 2, transposeB || n == 1, m == 1 || n == 1 {
        let rows = try arguments[1].reshape([size * n, k])
        return try MatMul.product(rows, arguments[0], transposeA: false, transposeB: !transposeA).reshape([size, m, n])
      }
    }
    if batched[0], !batched[1], a.count == 1, b.count == 2 {
      // A batch of vectors times one matrix is the matrix product with the vectors as rows, as PyTorch's
      // batching rule computes it, so `vmap(f)(X)` equals the same `f` written on the rows of `X`.
      return try MatMul.product(arguments[0], arguments[1], transposeA: false, transposeB: transposeB)
    }
    if batched[0], !batched[1], a.count == 2, b.count == 2, !transposeA {
      // A batch of matrices times one matrix is one product of the stacked rows, as torch.matmul folds a
      // 3-d by 2-d product: one large GEMM instead of `size` small ones.
      let (m, k) = (a[0], a[1])
      let rows = try arguments[0].reshape([size * m, k])
      let product = try MatMul.product(rows, arguments[1], transposeA: false, transposeB: transposeB)
      return try product.reshape([size, m, product.shape[1]])
    }
    let plan = try plan(types[0].shape, types[1].shape)
    let batchRank = plan.batch.count
    func lift(_ v: Var, _ isBatched: Bool, _ lifted: [Int]) throws -> Var {
      guard isBatched else { return try v.reshape(lifted) }
      let pad = [Int](repeating: 1, count: batchRank - (lifted.count - 2))
      return try v.reshape([size] + pad + lifted)
    }
    let lhs = try lift(arguments[0], batched[0], plan.a)
    let rhs = try lift(arguments[1], batched[1], plan.b)
    return try MatMul.product(lhs, rhs, transposeA: transposeA, transposeB: transposeB).reshape([size] + plan.result)
  }
}
