import JVPCore

/// `==`, `!=`, `<`, ... with a tensor on either side: an elementwise bool tensor, broadcast as PyTorch
/// broadcasts, with both sides compared in their promoted dtype (a Python float meets a float32 tensor as a
/// float32, so `t == 0.1` is true where `t` holds float32's 0.1). Comparisons are not differentiable; on a tensor
/// being traced they are refused, as the truth value of one is.
enum TensorComparison {
  static func compare(_ op: ComparisonOperator, _ tensor: Operand, _ other: Value, swapped: Bool) throws -> Operand {
    if case .traced(let v) = tensor { throw traced(v) }
    let x = tensor.concreteValue!
    let y: Tensor
    switch other {
    case .tensor(.concrete(let given), _): y = given
    case .tensor(.taped(let given), _): y = given.value
    case .tensor(.traced(let v), _): throw traced(v)
    default:
      guard let number = other.number else {
        throw RuntimeFailure(
          "'\(op.rawValue)' not supported between instances of 'Tensor' and '\(other.typeName)'", type: "TypeError")
      }
      let dtype: DType = switch number {
      case .int: x.dtype == .bool ? .int64 : x.dtype
      case .float: x.dtype.isFloatingPoint ? x.dtype : .float32
      }
      y = Tensor(repeating: number.double, shape: [], dtype: dtype)
    }
    let dtype = promoted(x.dtype, y.dtype)
    guard let shape = Broadcast.shape(x.shape, y.shape) else {
      throw RuntimeFailure(Broadcast.mismatch(x.shape, y.shape))
    }
    let left = try expanded(x, shape, dtype).doubles
    let right = try expanded(y, shape, dtype).doubles
    let holds: (Double, Double) -> Bool = switch op {
    case .equal: (==)
    case .notEqual: (!=)
    case .less: swapped ? (>) : (<)
    case .lessOrEqual: swapped ? (>=) : (<=)
    case .greater: swapped ? (<) : (>)
    default: swapped ? (<=) : (>=)
    }
    return .concrete(Tensor(shape: shape, bool: zip(left, right).map(holds)))
  }

  /// The dtype two tensors are compared in: floating beats integer beats bool, float64 beats float32.
  static func promoted(_ a: DType, _ b: DType) -> DType {
    if a.isFloatingPoint || b.isFloatingPoint {
      return a == .float64 || b == .float64 ? .float64 : .float32
    }
    return a == .int64 || b == .int64 ? .int64 : .bool
  }

  static func expanded(_ tensor: Tensor, _ shape: [Int], _ dtype: DType) throws -> Tensor {
    let converted = tensor.converted(to: dtype)
    guard converted.shape != shape else { return converted }
    guard case .concrete(let result) = try Operand.concrete(converted).expanded(to: TensorType(shape: shape, dtype: dtype)) else {
      preconditionFailure("expanding a concrete tensor is concrete")
    }
    return result
  }

  static func traced(_ v: Var) -> RuntimeFailure {
    if v.tracer.isUnderVectorizing { return vmapControlFlow }
    return RuntimeFailure("comparing a tensor being differentiated is data-dependent control flow, which jvplab cannot trace")
  }

  /// PyTorch's error for a batched value steering control flow (`if x.sum() > 0` inside `vmap`).
  static let vmapControlFlow = RuntimeFailure(
    "vmap: It looks like you're attempting to use a Tensor in some data-dependent control flow. We don't support that yet, please file an issue at https://github.com/pytorch/pytorch/issues .")
}
