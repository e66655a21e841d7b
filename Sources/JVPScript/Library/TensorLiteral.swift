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
    var kinds = Kinds()
    try collect(data, depth: 0, shape: &shape, values: &values, kinds: &kinds)
    let resolved = dtype ?? (kinds.float ? floatDType : kinds.onlyBools && !values.isEmpty ? .bool : .int64)
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
    case .bool:
      return Tensor(shape: shape, bool: values.map { switch $0 { case .int(let i): i != 0; case .float(let d): d != 0 } })
    }
  }

  private static func collect(_ value: Value, depth: Int, shape: inout [Int], values: inout [Scalar], kinds: inout Kinds) throws {
    switch value {
    case .tuple, .list:
      let items = value.sequenceItems!
      if depth == shape.count {
        guard values.isEmpty || depth == 0 else { throw ragged(depth) }
        shape.append(items.count)
      } else if depth > shape.count || shape[depth] != items.count {
        throw ragged(depth)
      }
      for item in items { try collect(item, depth: depth + 1, shape: &shape, values: &values, kinds: &kinds) }
    case .int(let i):
      guard depth == shape.count else { throw ragged(depth) }
      kinds.onlyBools = false
      values.append(.int(Int64(i)))
    case .float(let d):
      guard depth == shape.count else { throw ragged(depth) }
      kinds.float = true
      kinds.onlyBools = false
      values.append(.float(d))
    case .wideInt:
      throw RuntimeFailure("tensor(): Overflow when unpacking long")
    case .bool(let flag):
      guard depth == shape.count else { throw ragged(depth) }
      values.append(.int(flag ? 1 : 0))
    case .tensor(let x, _) where x.concreteValue.map { $0.count == 1 && $0.rank == 0 } == true:
      let t = x.concreteValue!
      guard depth == shape.count else { throw ragged(depth) }
      kinds.float = kinds.float || t.dtype.isFloatingPoint
      kinds.onlyBools = kinds.onlyBools && t.dtype == .bool
      if case .int64(let elements) = t.storage { values.append(.int(elements[0])) } else { values.append(.float(t.element(0))) }
    default:
      throw RuntimeFailure("tensor(): could not infer dtype of \(value.typeName)", type: "RuntimeError")
    }
  }

  /// What kinds of Python scalar the data held, which decide the inferred dtype as PyTorch infers it.
  private struct Kinds {
    var float = false
    var onlyBools = true
  }

  private static func ragged(_ depth: Int) -> RuntimeFailure {
    RuntimeFailure("tensor(): expected a sequence of equal-length sequences (ragged at depth \(depth))")
  }
}
