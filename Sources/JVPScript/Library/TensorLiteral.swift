import JVPCore

/// `torch.tensor(data)`: nested lists and tuples of numbers (or 0-d tensors) to a dense tensor.
enum TensorLiteral {
  static func make(_ data: Value, dtype: DType?, floatDType: DType) throws -> Tensor {
    var shape: [Int] = []
    var values: [Double] = []
    var sawFloat = false
    try collect(data, depth: 0, shape: &shape, values: &values, sawFloat: &sawFloat)
    let resolved = dtype ?? (sawFloat ? floatDType : .int64)
    try TorchNamespace.checkedSize("tensor", shape, resolved)
    return Tensor(shape: shape, doubles: values, dtype: resolved)
  }

  private static func collect(_ value: Value, depth: Int, shape: inout [Int], values: inout [Double], sawFloat: inout Bool) throws {
    switch value {
    case .tuple(let items), .list(let items):
      if depth == shape.count {
        guard values.isEmpty || depth == 0 else { throw ragged(depth) }
        shape.append(items.count)
      } else if depth > shape.count || shape[depth] != items.count {
        throw ragged(depth)
      }
      for item in items { try collect(item, depth: depth + 1, shape: &shape, values: &values, sawFloat: &sawFloat) }
    case .int(let i):
      guard depth == shape.count else { throw ragged(depth) }
      values.append(Double(i))
    case .float(let d):
      guard depth == shape.count else { throw ragged(depth) }
      sawFloat = true
      values.append(d)
    case .bool:
      throw RuntimeFailure("tensor(): bool tensors are not supported in jvplab v1")
    case .tensor(.concrete(let t), _) where t.count == 1 && t.rank == 0:
      guard depth == shape.count else { throw ragged(depth) }
      sawFloat = sawFloat || t.dtype.isFloatingPoint
      values.append(t.element(0))
    default:
      throw RuntimeFailure("tensor(): could not infer dtype of \(value.typeName)")
    }
  }

  private static func ragged(_ depth: Int) -> RuntimeFailure {
    RuntimeFailure("tensor(): expected a sequence of equal-length sequences (ragged at depth \(depth))")
  }
}
