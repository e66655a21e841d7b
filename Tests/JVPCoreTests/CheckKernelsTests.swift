@testable import JVPCore
import Testing

/// The SIMD loops the correctness checks run on whole results and inputs, against plain scalar loops: the
/// float64 widening (exact), the step size's largest |x| (NaN ignored, as `Swift.max` ignores it) and the
/// jacobian-vector product from blocks (float64 sums, to rounding), at lengths around the eight lanes and
/// with enough rows to split across cores.
@Suite struct CheckKernelsTests {
  static let lengths = [0, 1, 7, 8, 9, 17, 1001]

  static func values(_ n: Int, seed: UInt64) -> [Float] {
    var random = SeededValues(seed: seed)
    return (0..<n).map { _ in Float(random.uniform(-3...3)) }
  }

  @Test(arguments: lengths)
  func widenedIsEachValueExactly(_ n: Int) {
    var x = Self.values(n, seed: UInt64(n))
    if n > 3 { (x[0], x[1], x[2]) = (.nan, -.infinity, -0.0) }
    let widened = Tensor.widened(x)
    #expect(widened.map(\.bitPattern) == x.map { Double($0).bitPattern })
  }

  @Test(arguments: lengths)
  func largestMagnitudeIgnoresNaNAsTheScalarMaximumDoes(_ n: Int) {
    var x = Self.values(n, seed: UInt64(n) &+ 7)
    if n > 8 { (x[3], x[n - 1]) = (.nan, -5) }
    let scalar = Double(x.reduce(Float(0)) { Swift.max($0, Swift.abs($1)) })
    #expect(Checks.largestMagnitude(Tensor(shape: [n], float32: x)) == scalar)
    let wide = x.map(Double.init)
    #expect(Checks.largestMagnitude(Tensor(shape: [n], float64: wide)) == scalar)
  }

  @Test(arguments: [(3, 5), (2, 8), (40, 13), (3000, 33)])
  func blockProductIsTheSumOfRowDotProducts(_ rows: Int, _ columns: Int) {
    let first = Self.values(rows * columns, seed: 1), second = Self.values(rows * 2, seed: 2)
    let (u, v) = (Self.values(columns, seed: 3).map(Double.init), Self.values(2, seed: 4).map(Double.init))
    let blocks = [[Tensor(shape: [rows, columns], float32: first), Tensor(shape: [rows, 2], float64: second.map(Double.init))]]
    let product = Checks.blockProduct(blocks, [Tensor(shape: [columns], float64: u), Tensor(shape: [2], float64: v)])[0].doubles
    let expected = (0..<rows).map { r in
      (0..<columns).reduce(0.0) { $0 + Double(first[r * columns + $1]) * u[$1] }
        + (0..<2).reduce(0.0) { $0 + Double(second[r * 2 + $1]) * v[$1] }
    }
    #expect(product.count == rows)
    #expect(zip(product, expected).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) })
  }
}
