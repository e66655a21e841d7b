/// A batch of tensors that are zero off a few diagonals, made dense: the result has the arguments' shape
/// with a new dim of `size` inserted at `position`, and entry `b` along it is `Σ_k arguments[k]` where the
/// argument dim `dim` has index `b + offsets[k]`, zero elsewhere.
///
/// It is how a vectorized jacobian's sweeps over the one-hot basis come out of their band form
/// (`Graph.batched(overBasis:)`): the identity seeds and what linear maps make of them are carried as their
/// diagonals, and only the result is written densely, once.
struct BandEmbed: Primitive {
  let size: Int
  let position: Int
  let dim: Int
  let offsets: [Int]

  var description: String { "band_embed(size: \(size), at: \(position), dim: \(dim), offsets: \(Shape.describe(offsets)))" }
  var savesTensors: Bool { false }

  func outputType(_ arguments: [TensorType]) throws -> TensorType {
    let first = arguments[0]
    guard arguments.count == offsets.count, arguments.allSatisfy({ $0 == first }),
          Set(offsets).count == offsets.count, dim < first.rank, position <= first.rank else {
      throw EngineError.invalidArgument(operation: "band_embed", detail: "expected \(offsets.count) diagonals of one type at distinct offsets")
    }
    var shape = first.shape
    shape.insert(size, at: position)
    return TensorType(shape: shape, dtype: first.dtype)
  }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    switch type.dtype {
    case .float32: Tensor(shape: type.shape, float32: embed(arguments.map { $0.elements(as: Float.self) }, arguments[0].shape))
    case .float64: Tensor(shape: type.shape, float64: embed(arguments.map { $0.elements(as: Double.self) }, arguments[0].shape))
    case .int64, .bool: preconditionFailure("band_embed is floating point")
    }
  }

  /// Zeros with each diagonal's entries written at their batch index: one pass over the diagonals.
  private func embed<T: FloatElement>(_ diagonals: [[T]], _ shape: [Int]) -> [T] {
    let inner = Shape.count(Array(shape[position...]))
    let bandStride = Shape.strides(shape)[dim]
    let bandLength = shape[dim]
    var out = [T](repeating: 0, count: Shape.count(shape) * size)
    out.withUnsafeMutableBufferPointer { out in
      for (values, offset) in zip(diagonals, offsets) {
        for (i, value) in values.enumerated() {
          let b = (i / bandStride) % bandLength - offset
          guard b >= 0 && b < size else { continue }
          out[(i / inner) * size * inner + b * inner + i % inner] = value
        }
      }
    }
    return out
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    guard tangents.contains(where: { $0 != nil }) else { return nil }
    let full = try zip(primals, tangents).map { p, t in try t ?? p.zeros(dtype: p.dtype) }
    return try Var.apply(self, full)
  }

  /// Diagonal `k` of the cotangent: its entries at `b + offsets[k]` along `dim`, summed over the batch dim
  /// through a one-hot mask (this rule runs only when a band result is differentiated again).
  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    let shape = primals[0].shape
    let bandDim = dim < position ? dim : dim + 1
    return try offsets.map { offset in
      var mask = [Double](repeating: 0, count: size * shape[dim])
      for b in 0..<size where b + offset >= 0 && b + offset < shape[dim] {
        mask[position < bandDim ? b * shape[dim] + b + offset : (b + offset) * size + b] = 1
      }
      var maskShape = [Int](repeating: 1, count: shape.count + 1)
      maskShape[position] = size
      maskShape[bandDim] = shape[dim]
      let constant = cotangent.tracer.constant(Tensor(shape: maskShape, doubles: mask, dtype: cotangent.dtype))
      return try (cotangent * constant).sum(dims: [position])
    }
  }

  func batch(_ arguments: [Var], batched: [Bool], size batchSize: Int) throws -> Var {
    let all = try zip(arguments, batched).map { $1 ? $0 : try Batching.materialize($0, size: batchSize) }
    return try Var.apply(BandEmbed(size: size, position: position + 1, dim: dim + 1, offsets: offsets), all)
  }
}
