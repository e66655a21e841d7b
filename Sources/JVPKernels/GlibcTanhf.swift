import Foundation
import JVPKernelAlgorithms
#if arch(x86_64)
import JVPKernelsAVX512
import _Builtin_intrinsics.intel
#endif

/// `tanhf` over a buffer with vector instructions, bit for bit what glibc's `tanhf` returns.
///
/// glibc (2.36) computes `tanhf` in single precision from `expm1f` (fdlibm's algorithms: tanh(x) =
/// 1 - 2/(expm1(2|x|) + 2) from 1 on, -t/(t + 2) with t = expm1(-2|x|) below; expm1 reduces by k ln2 and
/// evaluates a rational approximation); no multiply-add is fused. The kernels perform the same operations,
/// `FdlibmTanh` written once over `TanhLanes`, on eight lanes (AVX2, `Lanes` here) or sixteen (AVX-512,
/// `JVPKernelsAVX512`) and take every branch as a blend; infinities and NaN go to the C library. Matching
/// is checked at first use (`agreesWithLibrary`; another libm turns the kernel off), by
/// `Tests/JVPCoreTests/TanhKernelTests.swift`, and over all 2^32 inputs by `jvplab-bench expcheck`. It
/// runs on Linux only, where `GlibcExpf.runnable` lists kernels at all.
/// PyTorch runs SLEEF's tanh there instead (within 1 ulp of this); jvplab keeps glibc's values, as before.
public enum GlibcTanhf {
  /// The instruction set a kernel is compiled for: the same ones as `expf`'s, on the same CPUs.
  public typealias Kernel = GlibcExpf.Kernel

  /// The kernels this CPU runs whose results match its C library's `tanhf`, widest first.
  public static let available: [Kernel] = GlibcExpf.runnable.filter(agreesWithLibrary)

  /// The kernel `apply` runs: the widest that matches, checked widest first and no further than the first
  /// that does.
  public static let selected: Kernel? = GlibcExpf.runnable.first(where: agreesWithLibrary)

  /// Whether a vector kernel runs here and matches the C library's `tanhf`.
  public static var isAvailable: Bool { selected != nil }

  /// `dst[i] = tanhf(src[i])` for `i < count`, with the selected kernel when there is one; `dst` may equal `src`.
  public static func apply(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    if let selected {
      apply(selected, src, dst, count: count)
      return
    }
    for i in 0..<count { dst[i] = tanhf(src[i]) }
  }

  /// `dst[i] = tanhf(src[i])` with `kernel`, which must be one this CPU runs (`GlibcExpf.runnable`).
  public static func apply(_ kernel: Kernel, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    #if arch(x86_64)
    switch kernel {
    case .avx512: GlibcTanhfAVX512.apply(src, dst, count: count)
    case .avx2: applyAVX2(src, dst, count: count)
    }
    #else
    for i in 0..<count { dst[i] = tanhf(src[i]) }
    #endif
  }

  /// Whether `kernel` gives `tanhf`'s bits (`LibraryMatch`).
  static func agreesWithLibrary(_ kernel: Kernel) -> Bool {
    LibraryMatch.holds(tanhf) { apply(kernel, $0, $1, count: $2) }
  }

  #if arch(x86_64)

  /// Eight float lanes in AVX2 registers; masks are lanes of all ones or zeros, and selects are blends.
  enum Lanes: TanhLanes {
    static var width: Int { 8 }
    @inline(__always) static func load(_ source: UnsafePointer<Float>) -> __m256 { _mm256_loadu_ps(source) }
    @inline(__always) static func store(_ value: __m256, _ destination: UnsafeMutablePointer<Float>) {
      _mm256_storeu_ps(destination, value)
    }
    @inline(__always) static func any(_ mask: __m256i) -> Bool { _mm256_testz_si256(mask, mask) == 0 }
    @inline(__always) static func floats(_ value: Float) -> __m256 { _mm256_set1_ps(value) }
    @inline(__always) static func ints(_ value: Int32) -> __m256i { _mm256_set1_epi32(value) }
    @inline(__always) static func bits(_ value: __m256) -> __m256i { _mm256_castps_si256(value) }
    @inline(__always) static func float(_ value: __m256i) -> __m256 { _mm256_castsi256_ps(value) }
    @inline(__always) static func add(_ a: __m256, _ b: __m256) -> __m256 { _mm256_add_ps(a, b) }
    @inline(__always) static func sub(_ a: __m256, _ b: __m256) -> __m256 { _mm256_sub_ps(a, b) }
    @inline(__always) static func mul(_ a: __m256, _ b: __m256) -> __m256 { _mm256_mul_ps(a, b) }
    @inline(__always) static func div(_ a: __m256, _ b: __m256) -> __m256 { _mm256_div_ps(a, b) }
    @inline(__always) static func add(_ a: __m256i, _ b: __m256i) -> __m256i { _mm256_add_epi32(a, b) }
    @inline(__always) static func sub(_ a: __m256i, _ b: __m256i) -> __m256i { _mm256_sub_epi32(a, b) }
    @inline(__always) static func and(_ a: __m256i, _ b: __m256i) -> __m256i { _mm256_and_si256(a, b) }
    @inline(__always) static func xor(_ a: __m256i, _ b: __m256i) -> __m256i { _mm256_xor_si256(a, b) }
    @inline(__always) static func shiftedToExponent(_ a: __m256i) -> __m256i { _mm256_slli_epi32(a, 23) }
    @inline(__always) static func shiftedRight(_ a: __m256i, by b: __m256i) -> __m256i { _mm256_srlv_epi32(a, b) }
    @inline(__always) static func truncated(_ value: __m256) -> __m256i { _mm256_cvttps_epi32(value) }
    @inline(__always) static func converted(_ value: __m256i) -> __m256 { _mm256_cvtepi32_ps(value) }
    @inline(__always) static func greater(_ a: __m256i, _ b: Int32) -> __m256i { _mm256_cmpgt_epi32(a, ints(b)) }
    @inline(__always) static func less(_ a: __m256i, _ b: Int32) -> __m256i { _mm256_cmpgt_epi32(ints(b), a) }
    @inline(__always) static func equal(_ a: __m256i, _ b: Int32) -> __m256i { _mm256_cmpeq_epi32(a, ints(b)) }
    @inline(__always) static func negative(_ a: __m256i) -> __m256i { _mm256_srai_epi32(a, 31) }
    @inline(__always) static func both(_ a: __m256i, _ b: __m256i) -> __m256i { _mm256_and_si256(a, b) }
    @inline(__always) static func either(_ a: __m256i, _ b: __m256i) -> __m256i { _mm256_or_si256(a, b) }
    @inline(__always) static func select(_ mask: __m256i, _ a: __m256, _ b: __m256) -> __m256 {
      _mm256_blendv_ps(b, a, _mm256_castsi256_ps(mask))
    }
    @inline(__always) static func select(_ mask: __m256i, _ a: __m256i, _ b: __m256i) -> __m256i { _mm256_blendv_epi8(b, a, mask) }
  }

  /// Eight lanes at a time (`FdlibmTanh.apply`).
  @inline(never)
  static func applyAVX2(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    FdlibmTanh.apply(src, dst, count: count, Lanes.self)
  }
  #endif
}
