#if arch(x86_64)
import JVPKernelAlgorithms
import _Builtin_intrinsics.intel

/// glibc's `tanhf` on sixteen lanes with AVX-512, for `JVPKernels.GlibcTanhf` to dispatch to: `FdlibmTanh`
/// on `__m512` lanes, every branch a blend under a mask register.
/// This module is compiled for AVX-512 (-target-cpu skylake-avx512): call it only on CPUs that have it.
public enum GlibcTanhfAVX512 {
  /// `dst[i] = tanhf(src[i])` for `i < count`, sixteen lanes at a time (`FdlibmTanh.apply`); `dst` may equal `src`.
  @inline(never)
  public static func apply(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    FdlibmTanh.apply(src, dst, count: count, Lanes.self)
  }

  /// Sixteen float lanes; masks in mask registers.
  enum Lanes: TanhLanes {
    static var width: Int { 16 }
    @inline(__always) static func load(_ source: UnsafePointer<Float>) -> __m512 { _mm512_loadu_ps(source) }
    @inline(__always) static func store(_ value: __m512, _ destination: UnsafeMutablePointer<Float>) {
      _mm512_storeu_ps(destination, value)
    }
    @inline(__always) static func any(_ mask: __mmask16) -> Bool { mask != 0 }
    @inline(__always) static func floats(_ value: Float) -> __m512 { _mm512_set1_ps(value) }
    @inline(__always) static func ints(_ value: Int32) -> __m512i { _mm512_set1_epi32(value) }
    @inline(__always) static func bits(_ value: __m512) -> __m512i { _mm512_castps_si512(value) }
    @inline(__always) static func float(_ value: __m512i) -> __m512 { _mm512_castsi512_ps(value) }
    @inline(__always) static func add(_ a: __m512, _ b: __m512) -> __m512 { _mm512_add_ps(a, b) }
    @inline(__always) static func sub(_ a: __m512, _ b: __m512) -> __m512 { _mm512_sub_ps(a, b) }
    @inline(__always) static func mul(_ a: __m512, _ b: __m512) -> __m512 { _mm512_mul_ps(a, b) }
    @inline(__always) static func div(_ a: __m512, _ b: __m512) -> __m512 { _mm512_div_ps(a, b) }
    @inline(__always) static func add(_ a: __m512i, _ b: __m512i) -> __m512i { _mm512_add_epi32(a, b) }
    @inline(__always) static func sub(_ a: __m512i, _ b: __m512i) -> __m512i { _mm512_sub_epi32(a, b) }
    @inline(__always) static func and(_ a: __m512i, _ b: __m512i) -> __m512i { _mm512_and_si512(a, b) }
    @inline(__always) static func xor(_ a: __m512i, _ b: __m512i) -> __m512i { _mm512_xor_si512(a, b) }
    @inline(__always) static func shiftedToExponent(_ a: __m512i) -> __m512i { _mm512_slli_epi32(a, 23) }
    @inline(__always) static func shiftedRight(_ a: __m512i, by b: __m512i) -> __m512i { _mm512_srlv_epi32(a, b) }
    @inline(__always) static func truncated(_ value: __m512) -> __m512i { _mm512_cvttps_epi32(value) }
    @inline(__always) static func converted(_ value: __m512i) -> __m512 { _mm512_cvtepi32_ps(value) }
    // The sign of a difference: the compare intrinsics are C macros, which Swift does not import. No
    // difference overflows in the lanes whose result is kept (|x| bits, constants, |k| <= 64).
    @inline(__always) static func greater(_ a: __m512i, _ b: Int32) -> __mmask16 { _mm512_movepi32_mask(_mm512_sub_epi32(ints(b), a)) }
    @inline(__always) static func less(_ a: __m512i, _ b: Int32) -> __mmask16 { _mm512_movepi32_mask(_mm512_sub_epi32(a, ints(b))) }
    @inline(__always) static func equal(_ a: __m512i, _ b: Int32) -> __mmask16 { ~(greater(a, b) | less(a, b)) }
    @inline(__always) static func negative(_ a: __m512i) -> __mmask16 { _mm512_movepi32_mask(a) }
    @inline(__always) static func both(_ a: __mmask16, _ b: __mmask16) -> __mmask16 { a & b }
    @inline(__always) static func either(_ a: __mmask16, _ b: __mmask16) -> __mmask16 { a | b }
    @inline(__always) static func select(_ mask: __mmask16, _ a: __m512, _ b: __m512) -> __m512 { _mm512_mask_blend_ps(mask, b, a) }
    @inline(__always) static func select(_ mask: __mmask16, _ a: __m512i, _ b: __m512i) -> __m512i {
      _mm512_mask_blend_epi32(mask, b, a)
    }
  }
}
#endif
