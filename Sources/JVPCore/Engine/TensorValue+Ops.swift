/// The operation vocabulary, written once for traced and concrete values.
///
/// Each method builds the primitive with normalised arguments (negative dims, Python slice bounds, scalar
/// dtypes) and applies it; rules, transforms, the interpreter and Swift callers all go through here.
extension TensorValue {
  public var shape: [Int] { type.shape }
  public var dtype: DType { type.dtype }
  public var rank: Int { type.rank }

  // MARK: Elementwise

  public func negated() throws -> Self { try Self.apply(Negate(), [self]) }
  public func exp() throws -> Self { try Self.apply(Exp(), [self]) }
  public func log() throws -> Self { try Self.apply(Log(), [self]) }
  public func log1p() throws -> Self { try Self.apply(Log1p(), [self]) }
  public func expm1() throws -> Self { try Self.apply(Expm1(), [self]) }
  public func sin() throws -> Self { try Self.apply(Sin(), [self]) }
  public func cos() throws -> Self { try Self.apply(Cos(), [self]) }
  public func tan() throws -> Self { try Self.apply(Tan(), [self]) }
  public func tanh() throws -> Self { try Self.apply(Tanh(), [self]) }
  public func sigmoid() throws -> Self { try Self.apply(Sigmoid(), [self]) }
  public func relu() throws -> Self { try Self.apply(Relu(), [self]) }
  public func sqrt() throws -> Self { try Self.apply(SquareRoot(), [self]) }
  public func abs() throws -> Self { try Self.apply(Absolute(), [self]) }
  public func square() throws -> Self { try Self.apply(Square(), [self]) }
  public func reciprocal() throws -> Self { try Self.apply(Reciprocal(), [self]) }
  public func sign() throws -> Self { try Self.apply(Sign(), [self]) }
  /// 1 where the value is above zero, else 0 (its derivative is zero): `relu`'s and `clamp_min`'s mask.
  public func positiveMask() throws -> Self { try Self.apply(PositiveMask(), [self]) }
  public func erf() throws -> Self { try Self.apply(Erf(), [self]) }
  /// The same values, a constant for differentiation (their derivative is zero): `detach()` under a transform.
  public func stopGradient() throws -> Self { try Self.apply(StopGradient(), [self]) }

  /// `self ** exponent` for a Python number.
  public func pow(_ exponent: Double) throws -> Self { try Self.apply(PowerScalar(exponent: exponent), [self]) }
  /// `self ** exponent` for a tensor exponent.
  public func pow(_ exponent: Self) throws -> Self { try Self.apply(Power(), [self, exponent]) }

  /// A Python number as a 0-d value of the dtype PyTorch would compute in with this tensor.
  func wrapped(_ value: Double) -> Self {
    scalar(value, dtype: dtype.isFloatingPoint ? dtype : .float32)
  }

  public static func + (a: Self, b: Self) throws -> Self { try apply(Add(), [a, b]) }
  public static func - (a: Self, b: Self) throws -> Self { try apply(Subtract(), [a, b]) }
  public static func * (a: Self, b: Self) throws -> Self { try apply(Multiply(), [a, b]) }
  public static func / (a: Self, b: Self) throws -> Self { try apply(Divide(), [a, b]) }
  public static func + (a: Self, b: Double) throws -> Self { try a + a.wrapped(b) }
  public static func - (a: Self, b: Double) throws -> Self { try a - a.wrapped(b) }
  public static func * (a: Self, b: Double) throws -> Self { try a * a.wrapped(b) }
  public static func / (a: Self, b: Double) throws -> Self { try a / a.wrapped(b) }
  public static func + (a: Double, b: Self) throws -> Self { try b.wrapped(a) + b }
  public static func - (a: Double, b: Self) throws -> Self { try b.wrapped(a) - b }
  public static func * (a: Double, b: Self) throws -> Self { try b.wrapped(a) * b }
  public static func / (a: Double, b: Self) throws -> Self { try b.wrapped(a) / b }

  // MARK: Reductions

  /// Dims normalised to `0..<rank`, sorted, without repeats; `nil` means every dim.
  func normalized(_ dims: [Int]?, _ op: String) throws -> [Int] {
    guard let dims else { return Array(0..<rank) }
    let normalized = try dims.map { try Check.dim($0, rank: rank, op) }.filter { $0 < rank }
    guard Set(normalized).count == normalized.count else {
      throw EngineError.invalidArgument(operation: op, detail: "dim \(dims) appears multiple times in the list of dims")
    }
    return normalized.sorted()
  }

  public func sum(dims: [Int]? = nil, keepDim: Bool = false) throws -> Self {
    try Self.apply(Sum(dims: normalized(dims, "sum"), keepDim: keepDim), [self])
  }

  /// The mean as PyTorch computes it on the CPU: the sum, then divided by the element count.
  public func mean(dims: [Int]? = nil, keepDim: Bool = false) throws -> Self {
    let reduced = try normalized(dims, "mean")
    let count = reduced.reduce(1) { $0 * shape[$1] }
    return try sum(dims: reduced, keepDim: keepDim) / Double(count)
  }

  public func prod(dims: [Int]? = nil, keepDim: Bool = false) throws -> Self {
    try Self.apply(Product(dims: normalized(dims, "prod"), keepDim: keepDim), [self])
  }

  public func logsumexp(dims: [Int], keepDim: Bool = false) throws -> Self {
    try Self.apply(LogSumExp(dims: normalized(dims, "logsumexp"), keepDim: keepDim), [self])
  }

  public func softmax(dim: Int) throws -> Self {
    try Self.apply(Softmax(dim: Check.dim(dim, rank: rank, "softmax")), [self])
  }

  public func logSoftmax(dim: Int) throws -> Self {
    try Self.apply(LogSoftmax(dim: Check.dim(dim, rank: rank, "log_softmax")), [self])
  }

  // MARK: Linear algebra

  public func matmul(_ other: Self) throws -> Self { try Self.apply(MatMul(), [self, other]) }

  /// Swaps the last two dims (the transpose inside a batched product).
  func matrixTranspose() throws -> Self { try transpose(-2, -1) }

  public func transpose(_ d0: Int, _ d1: Int) throws -> Self {
    if rank < 2 && (d0 == 0 || d0 == -1) && (d1 == 0 || d1 == -1) { return self }
    let a = try Check.dim(d0, rank: rank, "transpose")
    let b = try Check.dim(d1, rank: rank, "transpose")
    var order = Array(0..<rank)
    order.swapAt(a, b)
    return try permute(order)
  }

  public func permute(_ order: [Int]) throws -> Self {
    let normalized = try order.map { try Check.dim($0, rank: rank, "permute") }
    if normalized == Array(0..<rank) { return self }
    return try Self.apply(Permute(order: normalized), [self])
  }

  /// `torch.diag`: the diagonal of a matrix, or a diagonal matrix from a vector.
  public func diag() throws -> Self {
    switch rank {
    case 1: return try Self.apply(DiagonalScatter(shape: [shape[0], shape[0]]), [self])
    case 2: return try Self.apply(Diagonal(), [self])
    default:
      throw EngineError.invalidArgument(operation: "diag", detail: "expected a 1-d or 2-d tensor, got shape \(Shape.describe(shape))")
    }
  }

  // MARK: Shape

  /// `reshape` with at most one `-1` inferred from the element count.
  public func reshape(_ newShape: [Int]) throws -> Self {
    var resolved = newShape
    if let hole = newShape.firstIndex(of: -1) {
      let known = Shape.count(newShape.enumerated().filter { $0.offset != hole }.map(\.element))
      guard known > 0, type.count % known == 0, newShape.filter({ $0 == -1 }).count == 1 else {
        throw EngineError.shapeMismatch(
          operation: "reshape", detail: "shape '\(Shape.describe(newShape))' is invalid for input of size \(type.count)")
      }
      resolved[hole] = type.count / known
    }
    if resolved == shape { return self }
    return try Self.apply(Reshape(shape: resolved), [self])
  }

  public func flatten() throws -> Self { try reshape([type.count]) }

  public func unsqueeze(_ dim: Int) throws -> Self {
    let d = try Check.dim(dim, rank: rank + 1, "unsqueeze")
    var newShape = shape
    newShape.insert(1, at: d)
    return try reshape(newShape)
  }

  /// Removes size-1 dims: all of them, or only `dim`.
  public func squeeze(_ dim: Int? = nil) throws -> Self {
    guard let dim else { return try reshape(shape.filter { $0 != 1 }) }
    let d = try Check.dim(dim, rank: rank, "squeeze")
    guard rank > 0, shape[d] == 1 else { return self }
    var newShape = shape
    newShape.remove(at: d)
    return try reshape(newShape)
  }

  /// Broadcasts to `target`'s shape and converts to its dtype; a no-op when already there.
  public func expanded(to target: TensorType) throws -> Self {
    let converted = try self.converted(to: target.dtype)
    return target.shape == shape ? converted : try Self.apply(Expand(shape: target.shape), [converted])
  }

  /// Sums a broadcast value back to `target`'s shape and converts to its dtype; a no-op when already there.
  public func reduced(to target: TensorType) throws -> Self {
    let summed = target.shape == shape ? self : try Self.apply(ReduceTo(shape: target.shape), [self])
    return try summed.converted(to: target.dtype)
  }

  public func converted(to dtype: DType) throws -> Self {
    dtype == self.dtype ? self : try Self.apply(Convert(dtype: dtype), [self])
  }

  /// Zeros of this value's shape.
  public func zeros(dtype: DType) throws -> Self {
    try scalar(0, dtype: dtype).expanded(to: TensorType(shape: shape, dtype: dtype))
  }

  // MARK: Indexing

  /// `self[start:stop:step]` along `dim`, with Python's bounds rules (negative and out-of-range bounds clamp).
  public func slice(dim: Int, start: Int?, stop: Int?, step: Int = 1) throws -> Self {
    let d = try Check.dim(dim, rank: rank, "slice")
    guard step > 0 else {
      throw EngineError.invalidArgument(operation: "slice", detail: "step must be greater than zero, got \(step)")
    }
    let size = shape[d]
    func clamp(_ bound: Int?, _ fallback: Int) -> Int {
      guard let bound else { return fallback }
      return Swift.min(Swift.max(bound < 0 ? bound + size : bound, 0), size)
    }
    let begin = clamp(start, 0)
    let end = Swift.max(clamp(stop, size), begin)
    if begin == 0 && end == size && step == 1 { return self }
    return try Self.apply(Slice(dim: d, start: begin, stop: end, step: step), [self])
  }

  /// `self[index]` along `dim`: that position, with the dim removed.
  public func select(dim: Int, index: Int) throws -> Self {
    let d = try Check.dim(dim, rank: rank, "index")
    let size = shape[d]
    guard index >= -size && index < size else {
      throw EngineError.invalidArgument(
        operation: "index", detail: "index \(index) is out of bounds for dimension \(d) with size \(size)")
    }
    let i = index < 0 ? index + size : index
    var newShape = shape
    newShape.remove(at: d)
    return try Self.apply(Slice(dim: d, start: i, stop: i + 1, step: 1), [self]).reshape(newShape)
  }

  /// `torch.cat(values, dim)`.
  public static func cat(_ values: [Self], dim: Int) throws -> Self {
    guard let first = values.first else {
      throw EngineError.invalidArgument(operation: "cat", detail: "expected a non-empty list of tensors")
    }
    return try apply(Concat(dim: Check.dim(dim, rank: first.rank, "cat")), values)
  }

  /// `torch.stack(values, dim)`: a new dim of size `values.count`.
  public static func stack(_ values: [Self], dim: Int) throws -> Self {
    guard let first = values.first else {
      throw EngineError.invalidArgument(operation: "stack", detail: "expected a non-empty list of tensors")
    }
    for (i, value) in values.enumerated() where value.shape != first.shape {
      throw EngineError.shapeMismatch(
        operation: "stack", detail: "stack expects each tensor to be equal size, but got \(Shape.describe(first.shape)) at entry 0 and \(Shape.describe(value.shape)) at entry \(i)")
    }
    let d = try Check.dim(dim, rank: first.rank + 1, "stack")
    return try cat(values.map { try $0.unsqueeze(d) }, dim: d)
  }
}

extension Array where Element: TensorValue {
  /// The sum of the values, or nil when there are none (a symbolic zero).
  func sum() throws -> Element? {
    guard var total = first else { return nil }
    for value in dropFirst() { total = try total + value }
    return total
  }
}
