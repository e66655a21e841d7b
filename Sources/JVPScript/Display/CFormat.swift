#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// C's `printf` conversions for finite doubles, which round the exact binary value correctly (ties to even).
///
/// Callers handle nan and inf themselves, so the C library's `-nan` never reaches the output.
enum CFormat {
  /// `%.{precision}f`, for example `12345.6777`.
  static func fixed(_ value: Double, precision: Int) -> String {
    format("%.\(precision)f", value)
  }

  /// `%.{precision}e`, for example `1.0000e-05` (at least two exponent digits).
  static func exponent(_ value: Double, precision: Int) -> String {
    format("%.\(precision)e", value)
  }

  /// Runs `vsnprintf` into a buffer large enough for any finite double (`%.4f` of 1.8e308 is 314 bytes).
  private static func format(_ spec: String, _ value: Double) -> String {
    precondition(value.isFinite, "CFormat only formats finite values")
    var buffer = [CChar](repeating: 0, count: 400)
    let written = withVaList([value]) { args in
      buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, spec, args) }
    }
    precondition(written >= 0 && Int(written) < buffer.count, "printf output did not fit")
    return buffer.withUnsafeBufferPointer { pointer in
      String(decoding: UnsafeRawBufferPointer(start: pointer.baseAddress, count: Int(written)), as: UTF8.self)
    }
  }
}
