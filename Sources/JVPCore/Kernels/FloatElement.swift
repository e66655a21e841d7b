import Foundation

/// The floating point element types kernels are generic over (`Float`, `Double`), with the C library's math.
///
/// Kernels call these instead of generic `Foundation` overloads so float32 stays float32 (`expf`, not `exp`),
/// which is what PyTorch does and what keeps its printed values.
public protocol FloatElement: BinaryFloatingPoint, SIMDScalar, Sendable, Codable
where Self.RawSignificand: FixedWidthInteger {
  static var dtype: DType { get }
  static func elements(of storage: TensorStorage) -> [Self]
  static func storage(_ values: [Self]) -> TensorStorage
  static func exp(_ x: Self) -> Self
  static func log(_ x: Self) -> Self
  static func log1p(_ x: Self) -> Self
  static func expm1(_ x: Self) -> Self
  static func sin(_ x: Self) -> Self
  static func cos(_ x: Self) -> Self
  static func tan(_ x: Self) -> Self
  static func tanh(_ x: Self) -> Self
  static func pow(_ x: Self, _ y: Self) -> Self
  static func erf(_ x: Self) -> Self
}

extension Float: FloatElement {
  public static var dtype: DType { .float32 }
  public static func elements(of storage: TensorStorage) -> [Float] {
    if case .float32(let values) = storage { return values }
    return Tensor(shape: [storage.count], storage: storage).converted(to: .float32).floats
  }
  public static func storage(_ values: [Float]) -> TensorStorage { .float32(values) }
  public static func exp(_ x: Float) -> Float { expf(x) }
  public static func log(_ x: Float) -> Float { logf(x) }
  public static func log1p(_ x: Float) -> Float { log1pf(x) }
  public static func expm1(_ x: Float) -> Float { expm1f(x) }
  public static func sin(_ x: Float) -> Float { sinf(x) }
  public static func cos(_ x: Float) -> Float { cosf(x) }
  public static func tan(_ x: Float) -> Float { tanf(x) }
  public static func tanh(_ x: Float) -> Float { tanhf(x) }
  public static func pow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
  public static func erf(_ x: Float) -> Float { erff(x) }
}

extension Double: FloatElement {
  public static var dtype: DType { .float64 }
  public static func elements(of storage: TensorStorage) -> [Double] {
    if case .float64(let values) = storage { return values }
    return Tensor(shape: [storage.count], storage: storage).doubles
  }
  public static func storage(_ values: [Double]) -> TensorStorage { .float64(values) }
  public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
  public static func log(_ x: Double) -> Double { Foundation.log(x) }
  public static func log1p(_ x: Double) -> Double { Foundation.log1p(x) }
  public static func expm1(_ x: Double) -> Double { Foundation.expm1(x) }
  public static func sin(_ x: Double) -> Double { Foundation.sin(x) }
  public static func cos(_ x: Double) -> Double { Foundation.cos(x) }
  public static func tan(_ x: Double) -> Double { Foundation.tan(x) }
  public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }
  public static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
  public static func erf(_ x: Double) -> Double { Foundation.erf(x) }
}

extension Tensor {
  /// The float32 elements; the tensor must be float32.
  var floats: [Float] {
    if case .float32(let values) = storage { return values }
    preconditionFailure("expected float32 storage, found \(dtype)")
  }

  /// The elements as `T`, converting when the dtype differs.
  func elements<T: FloatElement>(as type: T.Type) -> [T] { T.elements(of: storage) }
}

/// Builds an array of `count` elements by writing each through `body`, without zero-filling first.
@inline(__always)
func makeArray<T>(count: Int, _ body: (UnsafeMutableBufferPointer<T>) -> Void) -> [T] {
  [T](unsafeUninitializedCapacity: count) { buffer, initialized in
    LargePages.advise(UnsafeMutableRawBufferPointer(buffer))
    body(buffer)
    initialized = count
  }
}

/// Huge pages for the largest results. The C library maps a block of 32 MiB or more afresh on each
/// allocation, so writing it faults in 8,192 small pages (most of the time of a 33.5 MB hessian); advised
/// before its first write, the kernel backs its 2 MiB-aligned interior with 16 huge pages instead.
enum LargePages {
  /// Blocks at least this large are always fresh mappings (glibc's largest mmap threshold).
  static let threshold = 32 << 20
  static let size = 2 << 20

  @inline(__always)
  static func advise(_ buffer: UnsafeMutableRawBufferPointer) {
    guard buffer.count >= threshold, let base = buffer.baseAddress else { return }
    let start = (Int(bitPattern: base) + size - 1) & ~(size - 1)
    let end = (Int(bitPattern: base) + buffer.count) & ~(size - 1)
    guard end > start else { return }
    _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE)
  }
}
