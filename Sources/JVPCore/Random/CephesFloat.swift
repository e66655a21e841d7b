/// One lane of ATen's `avx_mathfun.h` (`log256_ps`, `sincos256_ps`): Cephes float polynomials.
///
/// PyTorch's float32 `randn` runs through these rather than libm, and GCC contracts some of their
/// multiply-adds into FMAs. Each `addingProduct` below is one of those fused steps; every other
/// operation rounds on its own, so the results match PyTorch bit for bit.
enum CephesFloat {
  private static let sqrtHalf: Float = 0.707106781186547524
  private static let logP0: Float = 7.0376836292E-2
  private static let logP1: Float = -1.1514610310E-1
  private static let logP2: Float = 1.1676998740E-1
  private static let logP3: Float = -1.2420140846E-1
  private static let logP4: Float = 1.4249322787E-1
  private static let logP5: Float = -1.6668057665E-1
  private static let logP6: Float = 2.0000714765E-1
  private static let logP7: Float = -2.4999993993E-1
  private static let logP8: Float = 3.3333331174E-1
  private static let logQ1: Float = -2.12194440e-4
  private static let logQ2: Float = 0.693359375

  private static let fourOverPi: Float = 1.27323954473516
  private static let minusDP1: Float = -0.78515625
  private static let minusDP2: Float = -2.4187564849853515625e-4
  private static let minusDP3: Float = -3.77489497744594108e-8
  private static let cos0: Float = 2.443315711809948E-5
  private static let cos1: Float = -1.388731625493765E-3
  private static let cos2: Float = 4.166664568298827E-2
  private static let sin0: Float = -1.9515295891E-4
  private static let sin1: Float = 8.3321608736E-3
  private static let sin2: Float = -1.6666654611E-1

  /// `log256_ps` for one positive value; inputs below the smallest normal are clamped to it.
  @inline(__always)
  static func log(_ value: Float) -> Float {
    let bits = max(value, .leastNormalMagnitude).bitPattern
    var e = Float(Int32(bitPattern: bits >> 23) - 0x7F) + 1
    var x = Float(bitPattern: bits & ~0x7F80_0000 | 0x3F00_0000)
    let below = x < sqrtHalf
    let carried: Float = below ? x : 0
    x = x - 1
    if below { e = e - 1 }
    x = x + carried
    let z = x * x
    var y = logP1.addingProduct(logP0, x)
    y = logP2.addingProduct(y, x)
    y = logP3.addingProduct(y, x)
    y = logP4.addingProduct(y, x)
    y = logP5.addingProduct(y, x)
    y = logP6.addingProduct(y, x)
    y = logP7.addingProduct(y, x)
    y = logP8.addingProduct(y, x)
    y = y * x
    y = (e * logQ1).addingProduct(y, z)
    y = y.addingProduct(-z, 0.5)
    x = x + y
    return x.addingProduct(e, logQ2)
  }

  /// `sincos256_ps` for one finite value whose magnitude times 4/pi fits in an Int32.
  @inline(__always)
  static func sincos(_ value: Float) -> (sin: Float, cos: Float) {
    let bits = value.bitPattern
    let magnitude = Float(bitPattern: bits & 0x7FFF_FFFF)
    var j = Int32(magnitude * fourOverPi)
    j = (j &+ 1) & ~1
    let y = Float(j)
    let sinSign = bits & 0x8000_0000 ^ UInt32(truncatingIfNeeded: (j & 4) << 29)
    let cosSign = UInt32(truncatingIfNeeded: (~(j &- 2) & 4) << 29)
    let sinPolynomialIsSin = j & 2 == 0

    var x = magnitude.addingProduct(y, minusDP1)
    x = x.addingProduct(y, minusDP2)
    x = x.addingProduct(y, minusDP3)
    let z = x * x

    var yc = cos1.addingProduct(cos0, z)
    yc = cos2.addingProduct(yc, z)
    yc = yc * z
    yc = (-(z * 0.5)).addingProduct(yc, z)
    yc = yc + 1

    var ys = sin1.addingProduct(sin0, z)
    ys = sin2.addingProduct(ys, z)
    ys = ys * z
    ys = x.addingProduct(ys, x)

    let (s, c) = sinPolynomialIsSin ? (ys, yc) : (yc, ys)
    return (Float(bitPattern: s.bitPattern ^ sinSign), Float(bitPattern: c.bitPattern ^ cosSign))
  }
}
