import JVPCore

/// `torch.tensor(data)`: nested lists, tuples, numbers and 0-d tensors, with PyTorch's dtype inference.
enum TensorLiteral {
  /// One element as written: Python ints stay exact (all 64 bits), so int64 tensors hold them whole and
  /// float tensors round them once, as PyTorch does.
  enum Scalar {
    case int(Int64)
    case float(Double)
  }

  static func make(_ data: Value, dtype: DType?, floatDType: DType) throws -> Tensor {
    var shape: [Int] = []
    var values: [Scalar] = []
    var sawFloat = false
    try collect(data, depth: 0, shape: &shape, values: &values, sawFloat: &sawFloat)
    let resolved = dtype ?? (sawFloat ? floatDType : .int64)
    try TorchNamespace.checkedSize("tensor", shape, resolved)
    switch resolved {
    case .float32:
      return Tensor(shape: shape, float32: values.map { switch $0 { case .int(let i): Float(i); case .float(let d): Float(d) } })
    case .float64:
      return Tensor(shape: shape, float64: values.map { switch $0 { case .int(let i): Double(i); case .float(let d): d } })
    case .int64:
      return Tensor(shape: shape, int64: try values.map { value in
        switch value {
        case .int(let i): return i
        case .float(let d):
          // Truncation toward zero, as a C cast; PyTorch refuses what does not fit.
          guard let i = Int64(exactly: d.rounded(.towardZero)) else {
            throw RuntimeFailure("tensor(): value cannot be converted to type int64 without overflow")
          }
          return i
        }
      })
    }
  }

  private static func collect(_ value: Value, depth: Int, shape: inout [Int], values: inout [Scalar], sawFloat: inout Bool) throws {
    switch value {
    case .tuple, .list:
      let items = value.sequenceItems!
      if depth == shape.count {
        guard values.isEmpty || depth == 0 else { throw ragged(depth) }
        shape.append(items.count)
      } else if depth > shape.count || shape[depth] != items.count {
        throw ragged(depth)
      }
      for item in items { try collect(item, depth: depth + 1, shape: &shape, values: &values, sawFloat: &sawFloat) }
    case .int(let i):
      guard depth == shape.count else { throw ragged(depth) }
      values.append(.int(Int64(i)))
    case .float(let d):
      guard depth == shape.count else { throw ragged(depth) }
      sawFloat = true
      values.append(.float(d))
    case .wideInt:
      throw RuntimeFailure("tensor(): Overflow when unpacking long")
    case .bool:
      throw RuntimeFailure("tensor(): bool tensors are not supported in jvplab v1")
    case .tensor(.concrete(let t), _) where t.count == 1 && t.rank == 0:
      guard depth == shape.count else { throw ragged(depth) }
      sawFloat = sawFloat || t.dtype.isFloatingPoint
      if case .int64(let elements) = t.storage { values.append(.int(elements[0])) } else { values.append(.float(t.element(0))) }
    default:
      throw RuntimeFailure("tensor(): could not infer dtype of \(value.typeName)", type: "RuntimeError")
    }
  }

  private static func ragged(_ depth: Int) -> RuntimeFailure {
    RuntimeFailure("tensor(): expected a sequence of equal-length sequences (ragged at depth \(depth))")
  }
}
