/// The contiguous, row-major elements of a tensor, one case per dtype.
///
/// Swift arrays give the storage copy-on-write value semantics.
public enum TensorStorage: Sendable, Equatable {
  case float32([Float])
  case float64([Double])
  case int64([Int64])
  case bool([Bool])

  public var count: Int {
    switch self {
    case .float32(let a): a.count
    case .float64(let a): a.count
    case .int64(let a): a.count
    case .bool(let a): a.count
    }
  }

  public var dtype: DType {
    switch self {
    case .float32: .float32
    case .float64: .float64
    case .int64: .int64
    case .bool: .bool
    }
  }
}

/// A dense n-dimensional array with a shape and contiguous row-major storage.
public struct Tensor: Sendable, Equatable {
  /// The size of each dimension; `[]` for a 0-d (scalar) tensor.
  public let shape: [Int]
  /// The elements, row-major.
  public let storage: TensorStorage

  /// Wraps storage whose element count must equal the product of `shape`.
  public init(shape: [Int], storage: TensorStorage) {
    precondition(shape.allSatisfy { $0 >= 0 } && Shape.count(shape) == storage.count,
                 "storage of \(storage.count) elements does not fill shape \(shape)")
    self.shape = shape
    self.storage = storage
  }

  public init(shape: [Int], float32 values: [Float]) { self.init(shape: shape, storage: .float32(values)) }
  public init(shape: [Int], float64 values: [Double]) { self.init(shape: shape, storage: .float64(values)) }
  public init(shape: [Int], int64 values: [Int64]) { self.init(shape: shape, storage: .int64(values)) }
  public init(shape: [Int], bool values: [Bool]) { self.init(shape: shape, storage: .bool(values)) }

  /// A tensor of `shape` whose every element is `value`, rounded to `dtype`.
  public init(repeating value: Double, shape: [Int], dtype: DType) {
    let n = Shape.count(shape)
    switch dtype {
    case .float32: self.init(shape: shape, storage: .float32(Array(repeating: Float(value), count: n)))
    case .float64: self.init(shape: shape, storage: .float64(Array(repeating: value, count: n)))
    case .int64: self.init(shape: shape, storage: .int64(Array(repeating: Int64(truncating: value), count: n)))
    case .bool: self.init(shape: shape, storage: .bool(Array(repeating: value != 0, count: n)))
    }
  }

  /// A 0-d tensor.
  public init(scalar value: Double, dtype: DType) { self.init(repeating: value, shape: [], dtype: dtype) }

  /// Builds a tensor of `dtype` from doubles, rounding each to the dtype.
  public init(shape: [Int], doubles: [Double], dtype: DType) {
    switch dtype {
    case .float32: self.init(shape: shape, storage: .float32(doubles.map { Float($0) }))
    case .float64: self.init(shape: shape, storage: .float64(doubles))
    case .int64: self.init(shape: shape, storage: .int64(doubles.map { Int64(truncating: $0) }))
    case .bool: self.init(shape: shape, storage: .bool(doubles.map { $0 != 0 }))
    }
  }

  public var dtype: DType { storage.dtype }
  public var rank: Int { shape.count }
  /// The number of elements.
  public var count: Int { storage.count }

  /// Element `index` (row-major) as a Double; exact for float32 and float64.
  public func element(_ index: Int) -> Double {
    switch storage {
    case .float32(let a): Double(a[index])
    case .float64(let a): a[index]
    case .int64(let a): Double(a[index])
    case .bool(let a): a[index] ? 1 : 0
    }
  }

  /// Every element as a Double, row-major.
  public var doubles: [Double] {
    switch storage {
    case .float32(let a): Self.widened(a)
    case .float64(let a): a
    case .int64(let a): a.map(Double.init)
    case .bool(let a): a.map { $0 ? 1 : 0 }
    }
  }

  /// The same values in another dtype (rounding to nearest; truncation toward zero for int64; nonzero is True).
  public func converted(to dtype: DType) -> Tensor {
    if dtype == self.dtype { return self }
    if dtype == .bool { return Tensor(shape: shape, bool: doubles.map { $0 != 0 }) }
    if case .bool = storage { return Tensor(shape: shape, doubles: doubles, dtype: dtype) }
    switch (storage, dtype) {
    case (.float32(let a), .float64): return Tensor(shape: shape, float64: Self.widened(a))
    case (.float64(let a), .float32): return Tensor(shape: shape, float32: a.map(Float.init))
    case (.int64(let a), .float32): return Tensor(shape: shape, float32: a.map(Float.init))
    case (.int64(let a), .float64): return Tensor(shape: shape, float64: a.map(Double.init))
    case (.float32(let a), .int64): return Tensor(shape: shape, int64: a.map { Int64(truncating: Double($0)) })
    case (.float64(let a), .int64): return Tensor(shape: shape, int64: a.map { Int64(truncating: $0) })
    default: return self
    }
  }

  /// float32 values as float64 (exact), eight at a time: a check converts whole weight matrices per call.
  static func widened(_ a: [Float]) -> [Double] {
    if a.isEmpty { return [] }
    return a.withUnsafeBufferPointer { source in
      makeArray(count: source.count) { target in
        let (from, to) = (source.baseAddress!, target.baseAddress!)
        var i = 0
        while i &+ 8 <= source.count {
          let lanes = SIMD8<Double>(UnsafeRawPointer(from + i).loadUnaligned(as: SIMD8<Float>.self))
          UnsafeMutableRawPointer(to + i).storeBytes(of: lanes, as: SIMD8<Double>.self)
          i &+= 8
        }
        while i < source.count {
          to[i] = Double(from[i])
          i &+= 1
        }
      }
    }
  }

  /// The same elements viewed with another shape of equal element count.
  public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, storage: storage) }

  /// Row-major strides, in elements.
  public var strides: [Int] { Shape.strides(shape) }
}

/// Helpers for shapes as PyTorch treats them.
public enum Shape {
  /// Row-major strides of a contiguous tensor of `shape`.
  public static func strides(_ shape: [Int]) -> [Int] {
    var strides = Array(repeating: 1, count: shape.count)
    var running = 1
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[d] = running
      running *= shape[d]
    }
    return strides
  }

  /// The element count of `shape`; `Int.max` when the product does not fit (such a shape is always
  /// refused as too large, never allocated), so no caller traps on overflow.
  public static func count(_ shape: [Int]) -> Int {
    // A zero anywhere makes the product 0, even after sizes whose product alone would overflow.
    if shape.contains(0) { return 0 }
    var count = 1
    for size in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: size)
      if overflow { return Int.max }
      count = product
    }
    return count
  }

  /// `torch.Size([2, 3])` style text, used in error messages.
  public static func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}

extension Int64 {
  /// `value` truncated toward zero as the x86 conversion PyTorch's CPU kernels use does: NaN, the
  /// infinities and values outside the int64 range become `Int64.min` instead of trapping.
  public init(truncating value: Double) {
    if value >= -9_223_372_036_854_775_808.0 && value < 9_223_372_036_854_775_808.0 {
      self.init(value)
    } else {
      self = .min
    }
  }
}

extension Tensor {
  /// Whether both tensors are views of the same buffer with the same shape: Python's `is` for tensors, which
  /// the interpreter holds as values (an assignment shares the buffer; any operation makes a new one).
  public func sharesStorage(with other: Tensor) -> Bool {
    guard shape == other.shape, count > 0 else { return false }
    func base<T>(_ a: [T]) -> UnsafeRawPointer? { a.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } }
    switch (storage, other.storage) {
    case (.float32(let a), .float32(let b)): return base(a) == base(b)
    case (.float64(let a), .float64(let b)): return base(a) == base(b)
    case (.int64(let a), .int64(let b)): return base(a) == base(b)
    case (.bool(let a), .bool(let b)): return base(a) == base(b)
    default: return false
    }
  }
}
