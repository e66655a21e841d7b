#if arch(x86_64)
import Foundation
import _Builtin_intrinsics.intel

/// glibc's `tanhf` on sixteen lanes with AVX-512, for `JVPKernels.GlibcTanhf` to dispatch to.
///
/// The same operations as the AVX2 kernel (fdlibm's `expm1f` and `tanhf`, no multiply-add fused), written with
/// AVX-512 intrinsics so that every branch is a blend under a mask register: written with Swift's SIMD8, the
/// AVX2 kernel's selects were split into 128-bit halves with masks rebuilt lane by lane. Lanes holding an
/// infinity or NaN, and the tail, go to the C library.
/// This module is compiled for AVX-512 (-target-cpu skylake-avx512): call it only on CPUs that have it.
public enum GlibcTanhfAVX512 {
  @inline(__always) static func f(_ v: Float) -> __m512 { _mm512_set1_ps(v) }
  @inline(__always) static func i(_ v: Int32) -> __m512i { _mm512_set1_epi32(v) }
  @inline(__always) static func bits(_ v: __m512) -> __m512i { _mm512_castps_si512(v) }
  @inline(__always) static func float(_ v: __m512i) -> __m512 { _mm512_castsi512_ps(v) }
  @inline(__always) static func add(_ a: __m512, _ b: __m512) -> __m512 { _mm512_add_ps(a, b) }
  @inline(__always) static func sub(_ a: __m512, _ b: __m512) -> __m512 { _mm512_sub_ps(a, b) }
  @inline(__always) static func mul(_ a: __m512, _ b: __m512) -> __m512 { _mm512_mul_ps(a, b) }
  @inline(__always) static func div(_ a: __m512, _ b: __m512) -> __m512 { _mm512_div_ps(a, b) }
  /// Signed 32-bit comparisons of the lanes' bits, as masks: the sign of a difference, for operands whose
  /// difference cannot overflow (the compare intrinsics are C macros, which Swift does not import).
  @inline(__always) static func greater(_ a: __m512i, _ b: Int32) -> __mmask16 { _mm512_movepi32_mask(_mm512_sub_epi32(i(b), a)) }
  @inline(__always) static func less(_ a: __m512i, _ b: Int32) -> __mmask16 { _mm512_movepi32_mask(_mm512_sub_epi32(a, i(b))) }
  @inline(__always) static func equal(_ a: __m512i, _ b: Int32) -> __mmask16 { ~(greater(a, b) | less(a, b)) }
  /// `a` where `mask` is set, else `b`.
  @inline(__always) static func select(_ mask: __mmask16, _ a: __m512, _ b: __m512) -> __m512 { _mm512_mask_blend_ps(mask, b, a) }
  @inline(__always) static func select(_ mask: __mmask16, _ a: __m512i, _ b: __m512i) -> __m512i {
    _mm512_mask_blend_epi32(mask, b, a)
  }
  /// `x << 23` added to the bits of `v`: `v` times 2^x by its exponent field.
  @inline(__always) static func scaled(_ v: __m512, _ exponent: __m512i) -> __m512 { float(_mm512_add_epi32(bits(v), exponent)) }

  // fdlibm's constants (s_expm1f.c), as in the AVX2 kernel.
  static let ln2Hi = Float(bitPattern: 0x3f31_7180)
  static let ln2Lo = Float(bitPattern: 0x3717_f7d1)
  static let invLn2 = Float(bitPattern: 0x3fb8_aa3b)
  static let q1 = Float(bitPattern: 0xbd08_8889)
  static let q2 = Float(bitPattern: 0x3ad0_0d01)
  static let q3 = Float(bitPattern: 0xb8a6_70cd)
  static let q4 = Float(bitPattern: 0x3686_7e54)
  static let q5 = Float(bitPattern: 0xb457_edbb)

  /// glibc's `expm1f(u)` for lanes with |u| < 44, which take none of its overflow branches.
  @inline(__always)
  static func expm1(_ u: __m512) -> __m512 {
    let ui = bits(u)
    let hu = _mm512_and_si512(ui, i(0x7fff_ffff))
    let negative = _mm512_movepi32_mask(ui)
    // u = k ln2 + r with |r| <= ln2 / 2 (k = ±1 near ln2, 0 below ln2 / 2: there r = u and c = 0).
    var k = _mm512_cvttps_epi32(add(mul(f(invLn2), u), select(negative, f(-0.5), f(0.5))))
    k = select(less(hu, 0x3f85_1592), select(negative, i(-1), i(1)), k)
    k = select(greater(hu, 0x3eb1_7218), k, _mm512_setzero_si512())
    let t = _mm512_cvtepi32_ps(k)
    let hi = sub(u, mul(t, f(ln2Hi)))
    let lo = mul(t, f(ln2Lo))
    let r = sub(hi, lo)
    let c = sub(sub(hi, r), lo)
    let hfx = mul(f(0.5), r)
    let hxs = mul(r, hfx)
    let poly = add(f(q4), mul(hxs, f(q5)))
    let r1 = add(f(1), mul(hxs, add(f(q1), mul(hxs, add(f(q2), mul(hxs, add(f(q3), mul(hxs, poly))))))))
    let t3 = sub(f(3), mul(r1, hfx))
    let e = mul(hxs, div(sub(r1, t3), sub(f(6), mul(r, t3))))
    var y = sub(r, sub(mul(r, e), hxs))                                              // k == 0
    let e2 = sub(sub(mul(r, sub(e, c)), c), hxs)
    let exponent = _mm512_slli_epi32(k, 23)
    // k <= -2 or k > 56: (1 - (e - r)) 2^k - 1.
    let wide = sub(scaled(sub(f(1), sub(e2, r)), exponent), f(1))
    // 2 <= k < 23: ((1 - 2^-k) - (e - r)) 2^k.
    let oneMinus = float(_mm512_sub_epi32(i(0x3f80_0000), _mm512_srlv_epi32(i(0x0100_0000), _mm512_and_si512(k, i(31)))))
    let low = scaled(sub(oneMinus, sub(e2, r)), exponent)
    // 23 <= k <= 56: ((r - (e + 2^-k)) + 1) 2^k.
    let twoToMinusK = float(_mm512_slli_epi32(_mm512_sub_epi32(i(0x7f), k), 23))
    let high = scaled(add(sub(r, add(e2, twoToMinusK)), f(1)), exponent)
    let minusOne = sub(mul(f(0.5), sub(r, e2)), f(0.5))
    // r < -0.25: negative with |r| > 0.25.
    let belowQuarter = _mm512_movepi32_mask(bits(r)) & greater(_mm512_and_si512(bits(r), i(0x7fff_ffff)), 0x3e80_0000)
    let plusOne = select(belowQuarter, mul(f(-2), sub(e2, add(r, f(0.5)))), add(f(1), mul(f(2), sub(r, e2))))
    y = select(less(k, -1) | greater(k, 56), wide, y)
    y = select(greater(k, 1) & less(k, 23), low, y)
    y = select(greater(k, 22) & less(k, 57), high, y)
    y = select(equal(k, -1), minusOne, y)
    y = select(equal(k, 1), plusOne, y)
    return select(less(hu, 0x3300_0000), u, y)                                       // |u| < 2^-25: u
  }

  /// glibc's `tanhf` for finite lanes.
  @inline(__always)
  static func tanh16(_ x: __m512) -> __m512 {
    let sign = _mm512_and_si512(bits(x), i(Int32(bitPattern: 0x8000_0000)))
    let ix = _mm512_and_si512(bits(x), i(0x7fff_ffff))
    let ax = float(ix)  // |x|; lanes at 22 or more are set to ±1 below
    let large = greater(ix, 0x3f7f_ffff)
    let t = expm1(select(large, mul(f(2), ax), mul(f(-2), ax)))
    let tPlus2 = add(t, f(2))
    let negated = float(_mm512_xor_si512(bits(t), i(Int32(bitPattern: 0x8000_0000))))  // -t, exactly
    var z = select(large, sub(f(1), div(f(2), tPlus2)), div(negated, tPlus2))
    z = select(greater(ix, 0x41af_ffff), f(1), z)
    z = float(_mm512_xor_si512(bits(z), sign))
    return select(less(ix, 0x2400_0000), x, z)
  }

  /// `dst[i] = tanhf(src[i])` for `i < count`: sixteen lanes at a time, blocks holding an infinity or NaN and
  /// the tail through `tanhf`; `dst` may equal `src`.
  @inline(never)
  public static func apply(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    var index = 0
    while index + 16 <= count {
      let x = _mm512_loadu_ps(src + index)
      if greater(_mm512_and_si512(bits(x), i(0x7fff_ffff)), 0x7f7f_ffff) != 0 {
        for lane in 0..<16 { dst[index + lane] = tanhf(src[index + lane]) }
      } else {
        _mm512_storeu_ps(dst + index, tanh16(x))
      }
      index += 16
    }
    while index < count {
      dst[index] = tanhf(src[index])
      index += 1
    }
  }
}
#endif
