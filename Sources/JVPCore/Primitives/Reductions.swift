/// Shape helpers shared by the reductions.
enum Reduction {
  /// `shape` with the reduced `dims` set to 1.
  static func keptShape(_ shape: [Int], _ dims: [Int]) -> [Int] {
    shape.enumerated().map { dims.contains($0.offset) ? 1 : $0.element }
  }

  /// `shape` after reducing `dims`, dropping them unless `keepDim`.
  static func resultShape(_ shape: [Int], _ dims: [Int], keepDim: Bool) -> [Int] {
    keepDim ? keptShape(shape, dims) : shape.enumerated().filter { !dims.contains($0.offset) }.map(\.element)
  }

  /// `x` folded over `dims` with `combine`, returned with the keepdim shape.
  static func fold(_ x: Tensor, _ dims: [Int], initial: Double, _ combine: (Double, Double) -> Double,
                   float32 combine32: (Float, Float) -> Float) -> Tensor {
    let kept = keptShape(x.shape, dims)
    switch x.storage {
    case .float32(let v):
      return Tensor(shape: kept, float32: Reduce.fold(v, shape: x.shape, dims: Set(dims), initial: Float(initial), combine32))
    case .float64(let v):
      return Tensor(shape: kept, float64: Reduce.fold(v, shape: x.shape, dims: Set(dims), initial: initial, combine))
    case .int64, .bool: preconditionFailure("reductions check for floating point input")
    }
  }

  /// Sum over `dims` (keepdim). Trailing dims are contiguous rows, summed in `RowSum`'s canonical order.
  static func sum(_ x: Tensor, _ dims: [Int]) -> Tensor {
    if let k = trailingSplit(x.shape, dims), x.count > 0 {
      let inner = x.shape[k...].reduce(1, *)
      let kept = keptShape(x.shape, dims)
      switch x.storage {
      case .float32(let v): return Tensor(shape: kept, float32: RowSum.rows(v, rows: x.count / inner, inner: inner))
      case .float64(let v): return Tensor(shape: kept, float64: RowSum.rows(v, rows: x.count / inner, inner: inner))
      case .int64, .bool: preconditionFailure("reductions check for floating point input")
      }
    }
    return fold(x, dims, initial: 0, +, float32: +)
  }

  /// `k` when `dims` (ignoring size-1 dims) are exactly the trailing dims `k..<rank`, so rows of the
  /// contiguous storage are what gets reduced; nil otherwise (or when nothing is reduced).
  static func trailingSplit(_ shape: [Int], _ dims: [Int]) -> Int? {
    let reduced = Set(dims)
    guard !reduced.isEmpty else { return nil }
    var k = shape.count
    while k > 0 && (reduced.contains(k - 1) || shape[k - 1] == 1) { k -= 1 }
    for d in reduced where d < k && shape[d] != 1 { return nil }
    return k
  }

  /// Max over `dims` (keepdim); NaN propagates, as `torch.amax`.
  static func max(_ x: Tensor, _ dims: [Int]) -> Tensor {
    fold(x, dims, initial: -.infinity, { $0 > $1 || $0.isNaN ? $0 : $1 }, float32: { $0 > $1 || $0.isNaN ? $0 : $1 })
  }
}

/// A reduction over `dims` (sorted, normalised), dropping them from the result unless `keepDim`.
protocol DimReduction: Primitive {
  var name: String { get }
  var dims: [Int] { get }
  var keepDim: Bool { get }
}

extension DimReduction {
  public var description: String { "\(name)(dims: \(Shape.describe(dims)), keepdim: \(keepDim))" }

  public func outputType(_ arguments: [TensorType]) throws -> TensorType {
    try Check.floating(arguments[0], name)
    return TensorType(shape: Reduction.resultShape(arguments[0].shape, dims, keepDim: keepDim), dtype: arguments[0].dtype)
  }
}

/// A reduction whose derivative is a weighting of the reduced elements: dy = sum(w * dx) over `dims`,
/// so the JVP sums the weighted tangent and the VJP spreads the cotangent with the same weights.
protocol WeightedReduction: DimReduction {
  /// dy/dx, shaped like `x`, from the input and the (not kept) output.
  func weights(_ x: Var, _ output: Var) throws -> Var
}

extension WeightedReduction {
  public func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    guard let t = tangents[0] else { return nil }
    return try (t * weights(primals[0], output)).sum(dims: dims, keepDim: keepDim)
  }

  public func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    let x = primals[0]
    return [try cotangent.reshape(Reduction.keptShape(x.shape, dims)) * weights(x, output)]
  }
}

/// `sum(x, dims, keepdim)`.
struct Sum: DimReduction {
  let name = "sum"
  var savesTensors: Bool { false }
  /// `SumBackward0` for the sum of everything, `SumBackward1` for a sum over dims.
  func autogradName(_ arguments: [TensorType]) -> String {
    dims.count == arguments[0].rank && !keepDim ? "SumBackward0" : "SumBackward1"
  }
  let dims: [Int]
  let keepDim: Bool

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    Reduction.sum(arguments[0], dims).reshaped(type.shape)
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    try tangents[0].map { try $0.sum(dims: dims, keepDim: keepDim) }
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    let x = primals[0]
    return [try cotangent.reshape(Reduction.keptShape(x.shape, dims)).expanded(to: x.type)]
  }
}

/// `prod(x, dims, keepdim)`. The weights are y / x, so inputs with zeros give non-finite derivatives.
struct Product: WeightedReduction {
  let name = "prod"
  func autogradName(_ arguments: [TensorType]) -> String {
    dims.count == arguments[0].rank && !keepDim ? "ProdBackward0" : "ProdBackward1"
  }
  let dims: [Int]
  let keepDim: Bool

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    Reduction.fold(arguments[0], dims, initial: 1, *, float32: *).reshaped(type.shape)
  }

  func weights(_ x: Var, _ output: Var) throws -> Var {
    try Var.apply(ProductWeights(dims: dims), [output.reshape(Reduction.keptShape(x.shape, dims)), x])
  }
}

/// `prod`'s derivative, `(kept_result, x) -> dprod/dx`, as PyTorch's `prod_backward` computes it: the
/// result over x when x holds no zero; otherwise the product of the other elements of each reduced slice,
/// from exclusive cumulative products accumulated in double as PyTorch's CPU `cumprod` does, so a zero gives
/// finite weights where the quotient would give nan. A whole-tensor prod with two or more zeros has zero
/// weights (PyTorch returns `zeros_like` there, outside `create_graph`).
///
/// Its own derivatives are those of the quotient, so second derivatives at an input with zeros are not
/// PyTorch's (its double backward runs through the cumulative products).
struct ProductWeights: Primitive {
  let dims: [Int]
  var description: String { "prod_weights(dims: \(Shape.describe(dims)))" }

  func outputType(_ arguments: [TensorType]) throws -> TensorType { try Divide().outputType(arguments) }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    let x = arguments[1]
    switch x.storage {
    case .float32(let values) where values.contains(0): return Tensor(shape: type.shape, float32: exclusive(values, x.shape))
    case .float64(let values) where values.contains(0): return Tensor(shape: type.shape, float64: exclusive(values, x.shape))
    default: return Divide().forward(arguments, type)
    }
  }

  /// For each element, the product of the others in its slice: left products times right products.
  private func exclusive<T: FloatElement>(_ x: [T], _ shape: [Int]) -> [T] {
    let all = dims.count == shape.count || shape.isEmpty
    if all && x.reduce(0, { $0 + ($1 == 0 ? 1 : 0) }) > 1 { return [T](repeating: 0, count: x.count) }
    // A whole-tensor prod is one slice of every element; prod(dim) has slices of `length` elements `step` apart.
    let length = all ? x.count : shape[dims[0]]
    let step = all ? 1 : shape[(dims[0] + 1)...].reduce(1, *)
    var weights = [T](repeating: 0, count: x.count)
    var lefts = [T](repeating: 1, count: length)
    for outer in stride(from: 0, to: x.count, by: length * step) {
      for start in outer..<outer + step {
        var left = 1.0, right = 1.0
        for i in 1..<length {
          left *= Double(x[start + (i - 1) * step])
          lefts[i] = T(left)
        }
        weights[start + (length - 1) * step] = lefts[length - 1]
        for i in stride(from: length - 2, through: 0, by: -1) {
          right *= Double(x[start + (i + 1) * step])
          weights[start + i * step] = lefts[i] * T(right)
        }
      }
    }
    return weights
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    try Divide().jvp(primals, output, tangents)
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    try Divide().vjp(primals, output, cotangent)
  }
}

/// `logsumexp(x, dims, keepdim)`, computed stably around the max as PyTorch does; the weights are softmax.
struct LogSumExp: WeightedReduction {
  let name = "logsumexp"
  let dims: [Int]
  let keepDim: Bool

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    let x = arguments[0]
    let kept = Reduction.keptShape(x.shape, dims)
    let maxima = Reduction.max(x, dims)
    let shift = Tensor(shape: kept, doubles: maxima.doubles.map { $0.isInfinite ? 0 : $0 }, dtype: x.dtype)
    let shifted = Subtract().forward([x, shift], TensorType(of: x))
    let sums = Reduction.sum(Exp().forward([shifted], TensorType(of: x)), dims)
    let logs = Log().forward([sums], TensorType(of: sums))
    return Add().forward([logs, shift], TensorType(shape: kept, dtype: x.dtype)).reshaped(type.shape)
  }

  func weights(_ x: Var, _ output: Var) throws -> Var {
    try (x - output.reshape(Reduction.keptShape(x.shape, dims))).exp()
  }
}

/// `softmax(x, dim)`: exp(x - max) scaled by the reciprocal of its sum.
struct Softmax: Primitive {
  let dim: Int
  var description: String { "softmax(dim: \(dim))" }

  func outputType(_ arguments: [TensorType]) throws -> TensorType {
    try Check.floating(arguments[0], "softmax")
    return arguments[0]
  }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    let x = arguments[0]
    let dims = x.rank == 0 ? [] : [dim]
    let shifted = Subtract().forward([x, Reduction.max(x, dims)], type)
    let e = Exp().forward([shifted], type)
    let sums = Reduction.sum(e, dims)
    let inverse = Reciprocal().forward([sums], TensorType(of: sums))
    return Multiply().forward([e, inverse], type)
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    guard let t = tangents[0] else { return nil }
    return try output * (t - (t * output).sum(dims: [dim], keepDim: true))
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    [try output * (cotangent - (cotangent * output).sum(dims: [dim], keepDim: true))]
  }
}

/// `log_softmax(x, dim)`: x - max - log(sum(exp(x - max))).
struct LogSoftmax: Primitive {
  let dim: Int
  var description: String { "log_softmax(dim: \(dim))" }

  func outputType(_ arguments: [TensorType]) throws -> TensorType {
    try Check.floating(arguments[0], "log_softmax")
    return arguments[0]
  }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    let x = arguments[0]
    let dims = x.rank == 0 ? [] : [dim]
    let shifted = Subtract().forward([x, Reduction.max(x, dims)], type)
    let sums = Reduction.sum(Exp().forward([shifted], type), dims)
    return Subtract().forward([shifted, Log().forward([sums], TensorType(of: sums))], type)
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    guard let t = tangents[0] else { return nil }
    return try t - (t * output.exp()).sum(dims: [dim], keepDim: true)
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    [try cotangent - output.exp() * cotangent.sum(dims: [dim], keepDim: true)]
  }
}
