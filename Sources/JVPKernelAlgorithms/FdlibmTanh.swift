import Foundation

/// The operations fdlibm's `expm1f` and `tanhf` need on a vector of float lanes: the algorithm below is
/// written once and specialized, inlined, in each kernel module for its instruction set (AVX2 in
/// `JVPKernels`, AVX-512 in `JVPKernelsAVX512`). Every operation is one IEEE single operation per lane (no
/// multiply-add fused), so each instruction set gives the C library's bits.
public protocol TanhLanes {
  associatedtype Floats
  associatedtype Ints
  associatedtype Mask

  /// Lanes in a vector.
  static var width: Int { get }
  static func load(_ source: UnsafePointer<Float>) -> Floats
  static func store(_ value: Floats, _ destination: UnsafeMutablePointer<Float>)
  /// Whether any lane of `mask` is set.
  static func any(_ mask: Mask) -> Bool

  static func floats(_ value: Float) -> Floats
  static func ints(_ value: Int32) -> Ints
  static func bits(_ value: Floats) -> Ints
  static func float(_ value: Ints) -> Floats
  static func add(_ a: Floats, _ b: Floats) -> Floats
  static func sub(_ a: Floats, _ b: Floats) -> Floats
  static func mul(_ a: Floats, _ b: Floats) -> Floats
  static func div(_ a: Floats, _ b: Floats) -> Floats
  static func add(_ a: Ints, _ b: Ints) -> Ints
  static func sub(_ a: Ints, _ b: Ints) -> Ints
  static func and(_ a: Ints, _ b: Ints) -> Ints
  static func xor(_ a: Ints, _ b: Ints) -> Ints
  /// `a << 23` in each lane.
  static func shiftedToExponent(_ a: Ints) -> Ints
  /// `a >> b` in each lane, logical, for shifts below 32.
  static func shiftedRight(_ a: Ints, by b: Ints) -> Ints
  /// C's float-to-int conversion (toward zero), for lanes within Int32's range.
  static func truncated(_ value: Floats) -> Ints
  static func converted(_ value: Ints) -> Floats
  /// Signed comparisons of each lane with `b`; `equal`'s operands small integers.
  static func greater(_ a: Ints, _ b: Int32) -> Mask
  static func less(_ a: Ints, _ b: Int32) -> Mask
  static func equal(_ a: Ints, _ b: Int32) -> Mask
  /// Lanes whose sign bit is set.
  static func negative(_ a: Ints) -> Mask
  static func both(_ a: Mask, _ b: Mask) -> Mask
  static func either(_ a: Mask, _ b: Mask) -> Mask
  /// `a` where `mask` is set, else `b`.
  static func select(_ mask: Mask, _ a: Floats, _ b: Floats) -> Floats
  static func select(_ mask: Mask, _ a: Ints, _ b: Ints) -> Ints
}

/// glibc's `tanhf` (2.36: fdlibm's `s_tanhf.c` over `s_expm1f.c`) on the lanes of `L`.
public enum FdlibmTanh {
  /// `dst[i] = tanhf(src[i])` for `i < count`, `L.width` lanes at a time; vectors holding an infinity or NaN,
  /// and the tail, go through the C library's `tanhf`. `dst` may equal `src`.
  @inlinable @inline(__always)
  public static func apply<L: TanhLanes>(
    _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, _ lanes: L.Type
  ) {
    var i = 0
    while i + L.width <= count {
      let x = L.load(src + i)
      if L.any(L.greater(L.and(L.bits(x), L.ints(0x7fff_ffff)), 0x7f7f_ffff)) {
        for lane in 0..<L.width { dst[i + lane] = tanhf(src[i + lane]) }
      } else {
        L.store(tanh(x, lanes), dst + i)
      }
      i += L.width
    }
    while i < count {
      dst[i] = tanhf(src[i])
      i += 1
    }
  }

  /// `tanhf` for finite lanes: 1 - 2/(expm1(2|x|) + 2) from 1 on, -t/(t + 2) with t = expm1(-2|x|) below.
  @inlinable @inline(__always)
  public static func tanh<L: TanhLanes>(_ x: L.Floats, _ lanes: L.Type) -> L.Floats {
    let signBit = L.ints(Int32(bitPattern: 0x8000_0000))
    let ix = L.and(L.bits(x), L.ints(0x7fff_ffff))
    let ax = L.float(ix)  // |x|; lanes at 22 or more are set to ±1 below
    let large = L.greater(ix, 0x3f7f_ffff)
    let t = expm1(L.select(large, L.mul(L.floats(2), ax), L.mul(L.floats(-2), ax)), lanes)
    let tPlus2 = L.add(t, L.floats(2))
    let negated = L.float(L.xor(L.bits(t), signBit))  // -t, exactly
    var z = L.select(large, L.sub(L.floats(1), L.div(L.floats(2), tPlus2)), L.div(negated, tPlus2))
    z = L.select(L.greater(ix, 0x41af_ffff), L.floats(1), z)
    z = L.float(L.xor(L.bits(z), L.and(L.bits(x), signBit)))
    return L.select(L.less(ix, 0x2400_0000), x, z)
  }

  /// `expm1f(u)` for lanes with |u| < 44, which take none of its overflow branches (other lanes give
  /// values that `tanh` discards).
  @inlinable @inline(__always)
  public static func expm1<L: TanhLanes>(_ u: L.Floats, _ lanes: L.Type) -> L.Floats {
    // fdlibm's constants (s_expm1f.c).
    let ln2Hi = L.floats(Float(bitPattern: 0x3f31_7180))
    let ln2Lo = L.floats(Float(bitPattern: 0x3717_f7d1))
    let invLn2 = L.floats(Float(bitPattern: 0x3fb8_aa3b))
    let q1 = L.floats(Float(bitPattern: 0xbd08_8889))
    let q2 = L.floats(Float(bitPattern: 0x3ad0_0d01))
    let q3 = L.floats(Float(bitPattern: 0xb8a6_70cd))
    let q4 = L.floats(Float(bitPattern: 0x3686_7e54))
    let q5 = L.floats(Float(bitPattern: 0xb457_edbb))
    let one = L.floats(1)
    let half = L.floats(0.5)

    let hu = L.and(L.bits(u), L.ints(0x7fff_ffff))
    let negative = L.negative(L.bits(u))
    // u = k ln2 + r with |r| <= ln2 / 2 (k = ±1 near ln2, 0 below ln2 / 2: there r = u and c = 0).
    var k = L.truncated(L.add(L.mul(invLn2, u), L.select(negative, L.floats(-0.5), half)))
    k = L.select(L.less(hu, 0x3f85_1592), L.select(negative, L.ints(-1), L.ints(1)), k)
    k = L.select(L.greater(hu, 0x3eb1_7218), k, L.ints(0))
    let t = L.converted(k)
    let hi = L.sub(u, L.mul(t, ln2Hi))
    let lo = L.mul(t, ln2Lo)
    let r = L.sub(hi, lo)
    let c = L.sub(L.sub(hi, r), lo)
    let hfx = L.mul(half, r)
    let hxs = L.mul(r, hfx)
    let poly = L.add(q3, L.mul(hxs, L.add(q4, L.mul(hxs, q5))))
    let r1 = L.add(one, L.mul(hxs, L.add(q1, L.mul(hxs, L.add(q2, L.mul(hxs, poly))))))
    let t3 = L.sub(L.floats(3), L.mul(r1, hfx))
    let e = L.mul(hxs, L.div(L.sub(r1, t3), L.sub(L.floats(6), L.mul(r, t3))))
    var y = L.sub(r, L.sub(L.mul(r, e), hxs))                                              // k == 0
    let e2 = L.sub(L.sub(L.mul(r, L.sub(e, c)), c), hxs)
    let eMinusR = L.sub(e2, r)
    let exponent = L.shiftedToExponent(k)
    /// `v` times 2^k, by its exponent field.
    func scaled(_ v: L.Floats) -> L.Floats { L.float(L.add(L.bits(v), exponent)) }
    // k <= -2 or k > 56: (1 - (e - r)) 2^k - 1.
    let wide = L.sub(scaled(L.sub(one, eMinusR)), one)
    // 2 <= k < 23: ((1 - 2^-k) - (e - r)) 2^k.
    let oneMinus = L.float(L.sub(L.ints(0x3f80_0000), L.shiftedRight(L.ints(0x0100_0000), by: L.and(k, L.ints(31)))))
    let low = scaled(L.sub(oneMinus, eMinusR))
    // 23 <= k <= 56: ((r - (e + 2^-k)) + 1) 2^k.
    let twoToMinusK = L.float(L.shiftedToExponent(L.sub(L.ints(0x7f), k)))
    let high = scaled(L.add(L.sub(r, L.add(e2, twoToMinusK)), one))
    let minusOne = L.sub(L.mul(half, L.sub(r, e2)), half)
    // r < -0.25: negative with |r| > 0.25.
    let belowQuarter = L.both(L.negative(L.bits(r)), L.greater(L.and(L.bits(r), L.ints(0x7fff_ffff)), 0x3e80_0000))
    let plusOne = L.select(
      belowQuarter, L.mul(L.floats(-2), L.sub(e2, L.add(r, half))), L.add(one, L.mul(L.floats(2), L.sub(r, e2))))
    y = L.select(L.either(L.less(k, -1), L.greater(k, 56)), wide, y)
    y = L.select(L.both(L.greater(k, 1), L.less(k, 23)), low, y)
    y = L.select(L.both(L.greater(k, 22), L.less(k, 57)), high, y)
    y = L.select(L.equal(k, -1), minusOne, y)
    y = L.select(L.equal(k, 1), plusOne, y)
    return L.select(L.less(hu, 0x3300_0000), u, y)                                       // |u| < 2^-25: u
  }
}
