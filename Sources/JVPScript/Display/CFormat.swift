#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// C's `printf` conversions for finite doubles, which round the exact binary value correctly (ties to even), as
/// PyTorch's display and CPython's float formatting both need.
///
/// Callers handle nan and inf themselves, so the C library's `-nan` never reaches the output.
enum CFormat {
  /// `%.{precision}f`, for example `12345.6777`.
  static func fixed(_ value: Double, precision: Int) -> String {
    String(decoding: bytes("f", precision, value), as: UTF8.self)
  }

  /// `%.{precision}e`, for example `1.0000e-05` (at least two exponent digits).
  static func exponent(_ value: Double, precision: Int) -> String {
    String(decoding: bytes("e", precision, value), as: UTF8.self)
  }

  /// `%.{precision}{conversion}` of a finite double, through `vsnprintf` into a buffer sized for the value's
  /// integer digits and the precision.
  static func bytes(_ conversion: Character, _ precision: Int, _ value: Double) -> [UInt8] {
    precondition(value.isFinite, "CFormat only formats finite values")
    let capacity = precision + (value.exponent > 0 ? Int(value.exponent) / 3 + 2 : 1) + 16
    var buffer = [CChar](repeating: 0, count: capacity)
    let written = withVaList([Int32(precision), value]) { args in
      buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, "%.*\(conversion)", args) }
    }
    precondition(written >= 0 && Int(written) < capacity, "printf output did not fit")
    return buffer.prefix(Int(written)).map { UInt8(bitPattern: $0) }
  }
}
