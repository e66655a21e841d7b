/// Finite-difference checks of a graph along directions on some of its inputs only (a transform's `wrt`
/// inputs), the others held fixed: those are converted to float64 and bound once (`PartialEvaluation`, so
/// what depends only on them, a weight's transpose, is computed once), and only the varying inputs are shifted.
/// The estimate is `Checks.finiteDifference`'s with zero directions on the fixed inputs: the same h, the same
/// float64 graph, without converting and shifting the fixed inputs twice.
extension Checks {
  /// `expected` against (g(x + h·d) - g(x - h·d)) / 2h in float64, `d` given for the inputs in `directions`
  /// (zero elsewhere), within the tolerance of `dtype`.
  public static func finiteDifference(
    _ graph: Graph, at x: [Tensor], along directions: [Int: Tensor], expected: [Tensor], dtype: DType
  ) throws -> CheckOutcome {
    let wide = try graph.promotedToFloat64()
    let h = 1e-6 * x.reduce(1.0) { Swift.max($0, largestMagnitude($1)) }
    var bound: [Int: Tensor] = [:]
    for (k, value) in x.enumerated() where directions[k] == nil {
      bound[k] = value.dtype.isFloatingPoint ? value.converted(to: .float64) : value
    }
    let evaluation = PartialEvaluation(wide, bound: bound)
    let varying = directions.keys.sorted()
    let plus = evaluation.run(varying.map { shifted(x[$0], directions[$0]!, h) })
    let minus = evaluation.run(varying.map { shifted(x[$0], directions[$0]!, -h) })
    let estimate = zip(plus, minus).map { p, m in zip(p.doubles, m.doubles).map { ($0 - $1) / (2 * h) } }
    return compare("fd", expected.map(\.doubles), estimate, dtype: dtype)
  }

  /// The largest |element| (NaN ignored, as `Swift.max` ignores it), read in place.
  static func largestMagnitude(_ x: Tensor) -> Double {
    switch x.storage {
    case .float32(let a): Double(largestMagnitude(a))
    case .float64(let a): a.reduce(0) { Swift.max($0, Swift.abs($1)) }
    case .int64(let a): a.reduce(0) { Swift.max($0, Swift.abs(Double($1))) }
    case .bool(let a): a.contains(true) ? 1 : 0
    }
  }

  /// The largest |element| of a float32 array, eight lanes at a time: a lane keeps its value unless the new
  /// one is larger, so NaN (never larger) is ignored, and the maximum does not depend on the order.
  private static func largestMagnitude(_ a: [Float]) -> Float {
    a.withUnsafeBufferPointer { p in
      var lanes = SIMD8<Float>()
      var i = 0
      while i &+ 8 <= p.count {
        let signed = UnsafeRawPointer(p.baseAddress! + i).loadUnaligned(as: SIMD8<Float>.self)
        let v = signed.replacing(with: -signed, where: signed .< 0)
        lanes.replace(with: v, where: v .> lanes)
        i &+= 8
      }
      var largest = lanes.max()
      while i < p.count {
        if Swift.abs(p[i]) > largest { largest = Swift.abs(p[i]) }
        i &+= 1
      }
      return largest
    }
  }
}
