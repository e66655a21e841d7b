extension TensorStorage {
  /// A contiguous copy of a strided view of this storage.
  func gather(shape: [Int], strides: [Int], offset: Int) -> TensorStorage {
    switch self {
    case .float32(let a): .float32(Layout.gather(a, shape: shape, strides: strides, offset: offset))
    case .float64(let a): .float64(Layout.gather(a, shape: shape, strides: strides, offset: offset))
    case .int64(let a): .int64(Layout.gather(a, shape: shape, strides: strides, offset: offset))
    case .bool(let a): .bool(Layout.gather(a, shape: shape, strides: strides, offset: offset))
    }
  }

  /// A zero-filled storage of `count` elements with `self` written into a strided view of it.
  func scattered(count: Int, shape: [Int], strides: [Int], offset: Int) -> TensorStorage {
    switch self {
    case .float32(let a):
      var out = [Float](repeating: 0, count: count)
      Layout.scatter(a, into: &out, shape: shape, strides: strides, offset: offset)
      return .float32(out)
    case .float64(let a):
      var out = [Double](repeating: 0, count: count)
      Layout.scatter(a, into: &out, shape: shape, strides: strides, offset: offset)
      return .float64(out)
    case .int64(let a):
      var out = [Int64](repeating: 0, count: count)
      Layout.scatter(a, into: &out, shape: shape, strides: strides, offset: offset)
      return .int64(out)
    case .bool(let a):
      var out = [Bool](repeating: false, count: count)
      Layout.scatter(a, into: &out, shape: shape, strides: strides, offset: offset)
      return .bool(out)
    }
  }
}

/// Same elements, new shape (`reshape`, `view`, `flatten`, `squeeze`, `unsqueeze`).
struct Reshape: Primitive {
  let shape: [Int]
  var description: String { "reshape(\(Shape.describe(shape)))" }
  func autogradName(_ arguments: [TensorType]) -> String { "ViewBackward0" }
  var savesTensors: Bool { false }

  func outputType(_ arguments: [TensorType]) throws -> TensorType {
    guard Shape.count(shape) == arguments[0].count else {
      throw EngineError.shapeMismatch(
        operation: "reshape", detail: "shape '\(Shape.describe(shape))' is invalid for input of size \(arguments[0].count)")
    }
    return TensorType(shape: shape, dtype: arguments[0].dtype)
  }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor { arguments[0].reshaped(shape) }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    try tangents[0].map { try $0.reshape(shape) }
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    [try cotangent.reshape(primals[0].shape)]
  }
}

/// Reorders dims (`permute`, `transpose`, `t()`, `.T`).
struct Permute: Primitive {
  let order: [Int]
  var description: String { "permute(\(Shape.describe(order)))" }
  var savesTensors: Bool { false }

  func outputType(_ arguments: [TensorType]) throws -> TensorType {
    let x = arguments[0]
    guard order.count == x.rank, Set(order) == Set(0..<x.rank) else {
      throw EngineError.invalidArgument(
        operation: "permute", detail: "order \(order) is not a permutation of the \(x.rank) dims of \(Shape.describe(x.shape))")
    }
    return TensorType(shape: order.map { x.shape[$0] }, dtype: x.dtype)
  }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    let x = arguments[0]
    let strides = x.strides
    return Tensor(shape: type.shape, storage: x.storage.gather(shape: type.shape, strides: order.map { strides[$0] }, offset: 0))
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    try tangents[0].map { try $0.permute(order) }
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    var inverse = [Int](repeating: 0, count: order.count)
    for (i, d) in order.enumerated() { inverse[d] = i }
    return [try cotangent.permute(inverse)]
  }
}

/// Broadcasts to a larger shape (`expand`, and implicit broadcasting in rules).
struct Expand: Primitive {
  let shape: [Int]
  var description: String { "expand(\(Shape.describe(shape)))" }
  var savesTensors: Bool { false }

  func outputType(_ arguments: [TensorType]) throws -> TensorType {
    guard Broadcast.canExpand(arguments[0].shape, to: shape) else {
      throw EngineError.shapeMismatch(
        operation: "expand", detail: "cannot expand a tensor of shape \(Shape.describe(arguments[0].shape)) to \(Shape.describe(shape))")
    }
    return TensorType(shape: shape, dtype: arguments[0].dtype)
  }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    let x = arguments[0]
    return Tensor(shape: shape, storage: x.storage.gather(shape: shape, strides: Broadcast.strides(of: x.shape, in: shape), offset: 0))
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    try tangents[0].map { try $0.expanded(to: TensorType(shape: shape, dtype: $0.dtype)) }
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    [try cotangent.reduced(to: primals[0].type)]
  }
}

/// Sums a broadcast result back to an argument's shape: the transpose of `Expand`.
struct ReduceTo: Primitive {
  let shape: [Int]
  var description: String { "reduce_to(\(Shape.describe(shape)))" }

  func outputType(_ arguments: [TensorType]) throws -> TensorType {
    guard Broadcast.canExpand(shape, to: arguments[0].shape) else {
      throw EngineError.shapeMismatch(
        operation: "sum_to_size", detail: "\(Shape.describe(arguments[0].shape)) cannot be summed to \(Shape.describe(shape))")
    }
    return TensorType(shape: shape, dtype: arguments[0].dtype)
  }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    let x = arguments[0]
    let lead = x.rank - shape.count
    let dims = (0..<x.rank).filter { $0 < lead || shape[$0 - lead] == 1 && x.shape[$0] != 1 }
    return Reduction.sum(x, dims).reshaped(shape)
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    try tangents[0].map { try $0.reduced(to: TensorType(shape: shape, dtype: $0.dtype)) }
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    [try cotangent.expanded(to: TensorType(shape: primals[0].shape, dtype: cotangent.dtype))]
  }
}

/// A strided range of one dim, `x[start:stop:step]` (bounds already clamped, step positive).
struct Slice: Primitive {
  let dim: Int
  let start: Int
  let stop: Int
  let step: Int
  var description: String { "slice(dim: \(dim), \(start):\(stop):\(step))" }
  var savesTensors: Bool { false }

  var length: Int { stop > start ? (stop - start + step - 1) / step : 0 }

  func outputType(_ arguments: [TensorType]) throws -> TensorType {
    var shape = arguments[0].shape
    shape[dim] = length
    return TensorType(shape: shape, dtype: arguments[0].dtype)
  }

  /// The strided view of the slice inside a contiguous tensor of `base`.
  func view(in base: [Int]) -> (strides: [Int], offset: Int) {
    var strides = Shape.strides(base)
    let offset = start * strides[dim]
    strides[dim] *= step
    return (strides, offset)
  }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    // All of the dim: the same elements, shared rather than copied.
    if type.shape == arguments[0].shape { return arguments[0] }
    let (strides, offset) = view(in: arguments[0].shape)
    return Tensor(shape: type.shape, storage: arguments[0].storage.gather(shape: type.shape, strides: strides, offset: offset))
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    try tangents[0].map { try Var.apply(self, [$0]) }
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    [try Var.apply(SliceScatter(slice: self, base: primals[0].shape), [cotangent])]
  }
}

/// Zeros of `base` with the argument written into `slice`: the transpose of `Slice`.
struct SliceScatter: Primitive {
  let slice: Slice
  let base: [Int]
  var description: String { "slice_scatter(\(slice), base: \(base))" }

  func outputType(_ arguments: [TensorType]) throws -> TensorType { TensorType(shape: base, dtype: arguments[0].dtype) }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    let (strides, offset) = slice.view(in: base)
    let x = arguments[0]
    return Tensor(shape: base, storage: x.storage.scattered(count: type.count, shape: x.shape, strides: strides, offset: offset))
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    try tangents[0].map { try Var.apply(self, [$0]) }
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    [try Var.apply(slice, [cotangent])]
  }
}

/// Joins tensors along an existing dim (`cat`; `stack` is `unsqueeze` then `cat`).
struct Concat: Primitive {
  let dim: Int
  var description: String { "cat(dim: \(dim))" }
  var savesTensors: Bool { false }

  func outputType(_ arguments: [TensorType]) throws -> TensorType {
    guard let first = arguments.first else {
      throw EngineError.invalidArgument(operation: "cat", detail: "expected a non-empty list of tensors")
    }
    if let scalar = arguments.firstIndex(where: { $0.rank == 0 }) {
      throw EngineError.invalidArgument(
        operation: "cat", detail: "zero-dimensional tensor (at position \(scalar)) cannot be concatenated")
    }
    var shape = first.shape
    var dtype = first.dtype
    for (i, t) in arguments.enumerated().dropFirst() {
      guard t.rank == first.rank, (0..<t.rank).allSatisfy({ $0 == dim || t.shape[$0] == first.shape[$0] }) else {
        throw EngineError.shapeMismatch(
          operation: "cat", detail: "tensor \(i) has shape \(Shape.describe(t.shape)), which does not match \(Shape.describe(first.shape)) except in dimension \(dim)")
      }
      shape[dim] += t.shape[dim]
      if t.dtype != dtype {
        guard t.dtype.isFloatingPoint && dtype.isFloatingPoint else {
          throw EngineError.invalidArgument(operation: "cat", detail: "cannot mix int64 and floating point tensors")
        }
        dtype = DType.promote(dtype, t.dtype)
      }
    }
    return TensorType(shape: shape, dtype: dtype)
  }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    let strides = Shape.strides(type.shape)
    let dimStride = strides[dim]
    var output = Tensor(repeating: 0, shape: type.shape, dtype: type.dtype).storage
    var position = 0
    for part in arguments {
      let values = part.converted(to: type.dtype).storage
      let offset = position * dimStride
      switch (values, output) {
      case (.float32(let v), .float32(var o)):
        Layout.scatter(v, into: &o, shape: part.shape, strides: strides, offset: offset)
        output = .float32(o)
      case (.float64(let v), .float64(var o)):
        Layout.scatter(v, into: &o, shape: part.shape, strides: strides, offset: offset)
        output = .float64(o)
      case (.int64(let v), .int64(var o)):
        Layout.scatter(v, into: &o, shape: part.shape, strides: strides, offset: offset)
        output = .int64(o)
      default: preconditionFailure("parts were converted to the output dtype")
      }
      position += part.shape[dim]
    }
    return Tensor(shape: type.shape, storage: output)
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    guard tangents.contains(where: { $0 != nil }) else { return nil }
    let parts = try zip(primals, tangents).map { primal, tangent in
      try tangent ?? primal.zeros(dtype: output.dtype)
    }
    return try Var.apply(self, parts)
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    var position = 0
    return try primals.map { part in
      let slice = Slice(dim: dim, start: position, stop: position + part.shape[dim], step: 1)
      position += part.shape[dim]
      return try Var.apply(slice, [cotangent]).converted(to: part.dtype)
    }
  }
}

/// The main diagonal of a matrix (`torch.diag` of a 2-d tensor), over the last two dims.
struct Diagonal: Primitive {
  var description: String { "diagonal" }
  func autogradName(_ arguments: [TensorType]) -> String { "DiagonalBackward0" }
  var savesTensors: Bool { false }

  func outputType(_ arguments: [TensorType]) throws -> TensorType {
    let x = arguments[0]
    guard x.rank >= 2 else {
      throw EngineError.invalidArgument(operation: "diag", detail: "expected a 1-d or 2-d tensor, got shape \(Shape.describe(x.shape))")
    }
    let (m, n) = (x.shape[x.rank - 2], x.shape[x.rank - 1])
    return TensorType(shape: x.shape.dropLast(2) + [min(m, n)], dtype: x.dtype)
  }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    let x = arguments[0]
    let strides = x.strides.dropLast(2) + [x.shape[x.rank - 1] + 1]
    return Tensor(shape: type.shape, storage: x.storage.gather(shape: type.shape, strides: Array(strides), offset: 0))
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    try tangents[0].map { try Var.apply(self, [$0]) }
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    [try Var.apply(DiagonalScatter(shape: primals[0].shape), [cotangent])]
  }
}

/// Zero matrices of `shape` with the argument on their main diagonal (`torch.diag` of a 1-d tensor);
/// leading dims of `shape` are batch dims.
struct DiagonalScatter: Primitive {
  let shape: [Int]
  var description: String { "diagonal_scatter(\(Shape.describe(shape)))" }

  func outputType(_ arguments: [TensorType]) throws -> TensorType {
    let x = arguments[0]
    let k = min(shape[shape.count - 2], shape[shape.count - 1])
    guard x.shape == shape.dropLast(2) + [k] else {
      throw EngineError.invalidArgument(operation: "diag", detail: "expected a 1-d tensor, got shape \(Shape.describe(x.shape))")
    }
    return TensorType(shape: shape, dtype: x.dtype)
  }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    let x = arguments[0]
    let strides = Shape.strides(shape).dropLast(2) + [shape[shape.count - 1] + 1]
    return Tensor(shape: shape, storage: x.storage.scattered(count: type.count, shape: x.shape, strides: Array(strides), offset: 0))
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    try tangents[0].map { try Var.apply(self, [$0]) }
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    [try Var.apply(Diagonal(), [cotangent])]
  }
}

/// Changes dtype (`.double()`, `.float()`, `.to(dtype)`, promotion inside rules).
struct Convert: Primitive {
  let dtype: DType
  var description: String { "convert(\(dtype.rawValue))" }
  func autogradName(_ arguments: [TensorType]) -> String { "ToCopyBackward0" }
  var savesTensors: Bool { false }

  func outputType(_ arguments: [TensorType]) throws -> TensorType { TensorType(shape: arguments[0].shape, dtype: dtype) }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor { arguments[0].converted(to: dtype) }

  /// Whether derivatives flow through: only between floating point dtypes. A cast to or from int64
  /// cuts the graph, as `.long()` does in PyTorch (converting the tangent instead would truncate it
  /// and give a silently wrong derivative).
  private func carriesDerivatives(from source: DType) -> Bool { dtype.isFloatingPoint && source.isFloatingPoint }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    guard carriesDerivatives(from: primals[0].dtype) else { return nil }
    return try tangents[0].map { try $0.converted(to: dtype) }
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    guard carriesDerivatives(from: primals[0].dtype) else { return [nil] }
    return [try cotangent.converted(to: primals[0].dtype)]
  }
}
