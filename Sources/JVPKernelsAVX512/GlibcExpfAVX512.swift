#if arch(x86_64)
import _Builtin_intrinsics.intel
#if canImport(Glibc)
import Glibc
#endif

/// glibc's `expf` algorithm on sixteen lanes with AVX-512, for `JVPKernels.GlibcExpf` to dispatch to.
///
/// The arithmetic is the same double-precision sequence as the AVX2 kernel (and as glibc's FMA build);
/// what AVX-512 adds is the table lookup: the 32-entry table of 2^(i/32) sits in four registers and two
/// `vpermt2q` plus a blend replace eight scalar loads, which makes the kernel about twice as fast.
/// This module is compiled for AVX-512 (-target-cpu skylake-avx512): call it only on CPUs that have it.
public enum GlibcExpfAVX512 {
  /// The constants of glibc's `expf`, as bit patterns of doubles, and its 32-entry table.
  public struct Parameters {
    public var invLn2N: UInt64
    public var shift: UInt64
    public var c0: UInt64
    public var c1: UInt64
    public var c2: UInt64
    /// 32 entries: the bits of 2^(i/32) with the exponent adjustment glibc folds into them.
    public var table: UnsafePointer<UInt64>

    public init(invLn2N: UInt64, shift: UInt64, c0: UInt64, c1: UInt64, c2: UInt64, table: UnsafePointer<UInt64>) {
      (self.invLn2N, self.shift, self.c0, self.c1, self.c2, self.table) = (invLn2N, shift, c0, c1, c2, table)
    }
  }

  /// The parameters broadcast into registers once per call.
  struct Registers {
    let t0, t1, t2, t3: __m512i
    let invLn2N, shift, c0, c1, c2, one: __m512d

    init(_ p: Parameters) {
      let table = UnsafeRawPointer(p.table)
      (t0, t1, t2, t3) = (_mm512_loadu_si512(table), _mm512_loadu_si512(table + 64),
                          _mm512_loadu_si512(table + 128), _mm512_loadu_si512(table + 192))
      func broadcast(_ bits: UInt64) -> __m512d { _mm512_set1_pd(Double(bitPattern: bits)) }
      (invLn2N, shift, c0, c1, c2, one) = (broadcast(p.invLn2N), broadcast(p.shift), broadcast(p.c0),
                                           broadcast(p.c1), broadcast(p.c2), _mm512_set1_pd(1))
    }
  }

  /// Eight lanes of the fast path (|x| < 88), glibc's operations with its fused multiply-adds.
  @inline(__always)
  static func fast8(_ x: __m256, _ k: Registers) -> __m256 {
    let xd = _mm512_cvtps_pd(x)
    let kd0 = _mm512_fmadd_pd(k.invLn2N, xd, k.shift)  // fma(InvLn2N, xd, SHIFT)
    let ki = _mm512_castpd_si512(kd0)
    let kd = _mm512_sub_pd(kd0, k.shift)
    let r = _mm512_fmsub_pd(k.invLn2N, xd, kd)          // fms(InvLn2N, xd, kd)
    // table[ki & 31]: entries 0-15 and 16-31 by the low four bits, then bit 4 picks between them.
    let low = _mm512_permutex2var_epi64(k.t0, ki, k.t1)
    let high = _mm512_permutex2var_epi64(k.t2, ki, k.t3)
    let t = _mm512_mask_blend_epi64(_mm512_test_epi64_mask(ki, _mm512_set1_epi64(16)), low, high)
    let s = _mm512_castsi512_pd(_mm512_add_epi64(t, _mm512_slli_epi64(ki, 47)))
    let z = _mm512_fmadd_pd(r, k.c0, k.c1)              // fma(r, C0, C1)
    let r2 = _mm512_mul_pd(r, r)
    let y0 = _mm512_fmadd_pd(r, k.c2, k.one)            // fma(r, C2, 1)
    return _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_fmadd_pd(z, r2, y0), s))  // fma(z, r2, y) * s
  }

  /// `dst[i] = expf(src[i])` for `i < count`; `dst` may equal `src`. Lanes outside the fast path
  /// (|x| >= 88, infinities, NaN) and the last `count % 16` elements go to the C library's `expf`.
  @inline(never)
  public static func apply(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, _ parameters: Parameters) {
    let k = Registers(parameters)
    let magnitudeMask = _mm512_set1_epi32(0x7fff_ffff)
    // glibc leaves its fast path when |x| >= 88 (bits 0x42b00000): adding 2^31 - those bits sets the sign bit.
    let bias = _mm512_set1_epi32(Int32(bitPattern: 0x8000_0000 - 0x42b0_0000))
    let signBit = _mm512_set1_epi32(Int32(bitPattern: 0x8000_0000))
    var i = 0
    while i + 16 <= count {
      let x = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD16<Float>.self)
      var y = SIMD16<Float>(lowHalf: fast8(x.lowHalf, k), highHalf: fast8(x.highHalf, k))
      let over = _mm512_test_epi32_mask(_mm512_add_epi32(_mm512_and_si512(unsafeBitCast(x, to: __m512i.self), magnitudeMask), bias), signBit)
      if over != 0 {
        for lane in 0..<16 where over & (1 << lane) != 0 { y[lane] = expf(x[lane]) }
      }
      UnsafeMutableRawPointer(dst + i).storeBytes(of: y, as: SIMD16<Float>.self)
      i += 16
    }
    while i < count {
      dst[i] = expf(src[i])
      i += 1
    }
  }
}
#endif
