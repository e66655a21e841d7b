import Foundation
#if arch(x86_64)
import JVPKernelsAVX512
import _Builtin_intrinsics.intel
#endif

/// `tanhf` over a buffer with vector instructions, bit for bit what glibc's `tanhf` returns.
///
/// glibc (2.36) computes `tanhf` in single precision from `expm1f` (fdlibm's algorithms: tanh(x) =
/// 1 - 2/(expm1(2|x|) + 2) from 1 on, -t/(t + 2) with t = expm1(-2|x|) below; expm1 reduces by k ln2 and
/// evaluates a rational approximation); no multiply-add is fused. The kernels perform the same operations on
/// eight lanes (AVX2, here) or sixteen (AVX-512, `JVPKernelsAVX512`, about twice as fast per element) and take
/// every branch as a blend; infinities and NaN go to the C library. Matching
/// is checked at first use (`agreesWithLibrary`; another libm turns the kernel off), by
/// `Tests/JVPCoreTests/TanhKernelTests.swift`, and over all 2^32 inputs by `jvplab-bench expcheck`.
/// PyTorch runs SLEEF's tanh there instead (within 1 ulp of this); jvplab keeps glibc's values, as before.
public enum GlibcTanhf {
  /// A vector implementation of glibc's `tanhf`.
  public enum Kernel: String, CaseIterable, Sendable {
    case avx512 = "AVX-512"
    case avx2 = "AVX2"
  }

  /// The kernels this CPU runs whose results match its C library's `tanhf`, widest first.
  public static let available: [Kernel] = runnable.filter(agreesWithLibrary)

  /// The kernel `apply` runs: the widest that matches, checked widest first and no further than the first
  /// that does.
  public static let selected: Kernel? = runnable.first(where: agreesWithLibrary)

  /// Whether a vector kernel runs here and matches the C library's `tanhf`.
  public static var isAvailable: Bool { selected != nil }

  /// The kernels this CPU can run (glibc's algorithm: Linux only), widest first.
  static var runnable: [Kernel] {
    #if arch(x86_64) && os(Linux)
    guard GlibcExpf.runsAVX2 else { return [] }
    return GlibcExpf.runsAVX512 ? [.avx512, .avx2] : [.avx2]
    #else
    return []
    #endif
  }

  /// `dst[i] = tanhf(src[i])` for `i < count`, with the selected kernel when there is one; `dst` may equal `src`.
  public static func apply(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    if let selected {
      apply(selected, src, dst, count: count)
      return
    }
    for i in 0..<count { dst[i] = tanhf(src[i]) }
  }

  /// `dst[i] = tanhf(src[i])` with `kernel`, which must be one this CPU runs (`runnable`).
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

  /// 65536 inputs spread over every exponent of both signs, bit for bit against `tanhf`.
  static func agreesWithLibrary(_ kernel: Kernel) -> Bool {
    let n = 1 << 16
    let inputs = (0..<n).map { i in Float(bitPattern: UInt32(truncatingIfNeeded: i &* 65_537 &+ 0x1234)) }
    var outputs = [Float](repeating: 0, count: n)
    inputs.withUnsafeBufferPointer { src in
      outputs.withUnsafeMutableBufferPointer { dst in apply(kernel, src.baseAddress!, dst.baseAddress!, count: n) }
    }
    return zip(inputs, outputs).allSatisfy { tanhf($0).bitPattern == $1.bitPattern }
  }

  #if arch(x86_64)

  // fdlibm's constants (s_expm1f.c).
  static let ln2Hi = Float(bitPattern: 0x3f31_7180)
  static let ln2Lo = Float(bitPattern: 0x3717_f7d1)
  static let invLn2 = Float(bitPattern: 0x3fb8_aa3b)
  static let q1 = Float(bitPattern: 0xbd08_8889)
  static let q2 = Float(bitPattern: 0x3ad0_0d01)
  static let q3 = Float(bitPattern: 0xb8a6_70cd)
  static let q4 = Float(bitPattern: 0x3686_7e54)
  static let q5 = Float(bitPattern: 0xb457_edbb)

  typealias V = SIMD8<Float>
  /// Integer lanes; comparisons give masks as lanes of all ones or zeros.
  typealias I = SIMD8<Int32>

  @inline(__always) static func bits(_ v: V) -> I { unsafeBitCast(v, to: I.self) }
  @inline(__always) static func float(_ i: I) -> V { unsafeBitCast(i, to: V.self) }
  /// All ones where `a > b` (signed): Swift's `.>` builds its mask lane by lane.
  @inline(__always) static func greater(_ a: I, _ b: I) -> I {
    unsafeBitCast(_mm256_cmpgt_epi32(unsafeBitCast(a, to: __m256i.self), unsafeBitCast(b, to: __m256i.self)), to: I.self)
  }
  @inline(__always) static func greater(_ a: I, _ b: Int32) -> I { greater(a, I(repeating: b)) }
  @inline(__always) static func less(_ a: I, _ b: Int32) -> I { greater(I(repeating: b), a) }
  @inline(__always) static func equal(_ a: I, _ b: Int32) -> I {
    unsafeBitCast(_mm256_cmpeq_epi32(unsafeBitCast(a, to: __m256i.self), unsafeBitCast(I(repeating: b), to: __m256i.self)), to: I.self)
  }
  /// `a` where `mask` is all ones, else `b`.
  @inline(__always) static func select(_ mask: I, _ a: I, _ b: I) -> I { (a & mask) | (b & ~mask) }
  @inline(__always) static func select(_ mask: I, _ a: V, _ b: V) -> V { float(select(mask, bits(a), bits(b))) }
  /// C's float-to-int conversion (toward zero), for lanes within Int32's range.
  @inline(__always) static func truncated(_ v: V) -> I { unsafeBitCast(_mm256_cvttps_epi32(v), to: I.self) }

  /// glibc's `expm1f(u)` for lanes with |u| < 44, which take none of its overflow branches.
  @inline(__always)
  static func expm1(_ u: V) -> V {
    let hu = bits(u) & 0x7fff_ffff
    let negative = bits(u) &>> 31
    // u = k ln2 + r with |r| <= ln2 / 2 (k = ±1 near ln2, 0 below ln2 / 2: there r = u and c = 0).
    var k = truncated(invLn2 * u + select(negative, V(repeating: -0.5), V(repeating: 0.5)))
    k = select(less(hu, 0x3f85_1592), select(negative, I(repeating: -1), I(repeating: 1)), k)
    k = select(greater(hu, 0x3eb1_7218), k, I())
    let t = V(k)
    let hi = u - t * ln2Hi
    let lo = t * ln2Lo
    let r = hi - lo
    let c = (hi - r) - lo
    let hfx = 0.5 * r
    let hxs = r * hfx
    let r1 = 1 + hxs * (q1 + hxs * (q2 + hxs * (q3 + hxs * (q4 + hxs * q5))))
    let t3 = 3 - r1 * hfx
    let e = hxs * ((r1 - t3) / (6 - r * t3))
    var y = r - (r * e - hxs)                                                    // k == 0
    let e2 = (r * (e - c) - c) - hxs
    let exponent = k &<< 23
    // k <= -2 or k > 56: (1 - (e - r)) 2^k - 1.
    let wide = float(bits(1 - (e2 - r)) &+ exponent) - 1
    // 2 <= k < 23: ((1 - 2^-k) - (e - r)) 2^k.
    let oneMinus = float(0x3f80_0000 &- (I(repeating: 0x0100_0000) &>> (k & 31)))
    let low = float(bits(oneMinus - (e2 - r)) &+ exponent)
    // 23 <= k <= 56: ((r - (e + 2^-k)) + 1) 2^k.
    let high = float(bits((r - (e2 + float((0x7f &- k) &<< 23))) + 1) &+ exponent)
    let minusOne = 0.5 * (r - e2) - 0.5
    // r < -0.25: negative with |r| > 0.25.
    let belowQuarter = (bits(r) &>> 31) & greater(bits(r) & 0x7fff_ffff, 0x3e80_0000)
    let plusOne = select(belowQuarter, -2 * (e2 - (r + 0.5)), 1 + 2 * (r - e2))
    y = select(less(k, -1) | greater(k, 56), wide, y)
    y = select(greater(k, 1) & less(k, 23), low, y)
    y = select(greater(k, 22) & less(k, 57), high, y)
    y = select(equal(k, -1), minusOne, y)
    y = select(equal(k, 1), plusOne, y)
    return select(less(hu, 0x3300_0000), u, y)                                   // |u| < 2^-25: u
  }

  /// glibc's `tanhf` for finite lanes.
  @inline(__always)
  static func tanh8(_ x: V) -> V {
    let ix = bits(x) & 0x7fff_ffff
    let ax = float(ix)  // |x|; lanes at 22 or more are set to ±1 below
    let large = greater(ix, 0x3f7f_ffff)
    let t = expm1(select(large, 2 * ax, -2 * ax))
    var z = select(large, 1 - 2 / (t + 2), -t / (t + 2))
    z = select(greater(ix, 0x41af_ffff), V(repeating: 1), z)
    z = float(bits(z) ^ (bits(x) & I(repeating: Int32(bitPattern: 0x8000_0000))))
    return select(less(ix, 0x2400_0000), x, z)
  }

  /// The vector loop: eight lanes at a time, blocks holding an infinity or NaN and the tail through `tanhf`.
  @inline(never)
  static func applyAVX2(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
      let x = UnsafeRawPointer(src + i).loadUnaligned(as: V.self)
      let special = unsafeBitCast(greater(bits(x) & 0x7fff_ffff, 0x7f7f_ffff), to: __m256i.self)
      if _mm256_testz_si256(special, special) == 0 {
        for lane in 0..<8 { dst[i + lane] = tanhf(src[i + lane]) }
      } else {
        UnsafeMutableRawPointer(dst + i).storeBytes(of: tanh8(x), as: V.self)
      }
      i += 8
    }
    while i < count {
      dst[i] = tanhf(src[i])
      i += 1
    }
  }
  #endif
}
