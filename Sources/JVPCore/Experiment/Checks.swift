/// A correctness check recorded with a run: the largest absolute and relative disagreement between the
/// result and an independent estimate, and whether that is within the dtype's tolerance.
public struct CheckOutcome: Sendable, Equatable {
  public let name: String
  public let maxAbs: Double
  public let maxRel: Double
  /// nil when the comparison met non-finite values: recorded as such, not as a failure.
  public let ok: Bool?

  public init(name: String, maxAbs: Double, maxRel: Double, ok: Bool?) {
    self.name = name
    self.maxAbs = maxAbs
    self.maxRel = maxRel
    self.ok = ok
  }
}

/// The checks run with every experiment, each costing O(1) extra evaluations:
/// - `fd`: the product the transform computes (J·v, J·u, H·v, H·u) against a float64 central finite
///   difference along the same direction;
/// - `dot`: for vjp, the dot-product test ⟨vjp(v), u⟩ = ⟨v, J·u⟩ for a random u, with J·u by forward mode.
public enum Checks {
  static func run(_ r: ExperimentRequest, result: Nested) -> [CheckOutcome] {
    do {
      var random = CheckDirections(seed: r.checkSeed)
      switch r.kind {
      case .jvp:
        return [try finiteDifference(r.function.graph, at: r.inputs, along: r.vectors, expected: result[1].tensors)]
      case .vjp:
        let u = r.inputs.map { random.direction(like: $0) }
        let ju = try r.function.forwardGraph().evaluate(r.inputs + u).suffix(r.function.outputTypes.count)
        let left = dot(result[1].tensors, u)
        let right = dot(r.vectors, Array(ju))
        return [compare("dot", [left], [right], dtype: r.inputs.first?.dtype ?? .float64)]
      case .jacobian:
        let u = r.inputs.map { random.direction(like: $0) }
        let ju = product(result, u, outputCount: r.function.outputTypes.count, outputsAreTuple: r.function.outputsAreTuple,
                         inputsAreTuple: r.function.inputsAreTuple)
        return [try finiteDifference(r.function.graph, at: r.inputs, along: u, expected: ju, dtype: r.inputs.first?.dtype)]
      case .hessian:
        let u = r.inputs.map { random.direction(like: $0) }
        let hu = product(result, u, outputCount: r.inputs.count, outputsAreTuple: r.function.inputsAreTuple,
                         inputsAreTuple: r.function.inputsAreTuple)
        return [try finiteDifference(r.function.gradientGraph(), at: r.inputs, along: u, expected: hu, dtype: r.inputs.first?.dtype)]
      case .hvp, .vhp:
        return [try finiteDifference(r.function.gradientGraph(), at: r.inputs, along: r.vectors, expected: result[1].tensors)]
      }
    } catch {
      return []
    }
  }

  /// The dot-product test of a tape's reverse pass: ⟨gradients, u⟩ for a random u against ⟨seeds, J·u⟩ with J·u
  /// a float64 central finite difference of `graph` (the tape slice the gradients came from).
  public static func reverse(_ graph: Graph, at x: [Tensor], seeds: [Tensor], gradients: [Tensor], seed: UInt64) throws -> CheckOutcome {
    let u = directions(for: x, varying: Set(x.indices), seed: seed)
    return try dotIdentity(graph, at: x, along: u, seeds: seeds, gradients: gradients)
  }

  /// The dot-product test of a reverse product computed elsewhere (`torch.func`'s `vjp_fn`): ⟨gradients, u⟩
  /// against ⟨seeds, J·u⟩, J·u a float64 central finite difference of `graph` along `u` (one per input).
  public static func dotIdentity(_ graph: Graph, at x: [Tensor], along u: [Tensor], seeds: [Tensor], gradients: [Tensor]) throws -> CheckOutcome {
    let ju = try centralDifference(graph, at: x, along: u).map { Tensor(shape: [$0.count], float64: $0) }
    return compare("dot", [dot(gradients, u)], [dot(seeds, ju)], dtype: x.first?.dtype ?? .float64)
  }

  /// Random check directions shaped like `inputs`, seeded as an experiment's are; zeros for the inputs
  /// whose positions are not in `varying` (held fixed by the check).
  public static func directions(for inputs: [Tensor], varying: Set<Int>, seed: UInt64) -> [Tensor] {
    var random = CheckDirections(seed: seed)
    return inputs.enumerated().map { k, x in
      varying.contains(k) ? random.direction(like: x) : Tensor(shape: x.shape, doubles: [Double](repeating: 0, count: x.count), dtype: x.dtype)
    }
  }

  /// Compares `expected` with (g(x + h·d) - g(x - h·d)) / 2h evaluated in float64, within the tolerance of
  /// `dtype` (the computation's; by default `expected`'s, which a product formed in float64 does not carry).
  public static func finiteDifference(
    _ graph: Graph, at x: [Tensor], along d: [Tensor], expected: [Tensor], dtype: DType? = nil
  ) throws -> CheckOutcome {
    let estimate = try centralDifference(graph, at: x, along: d)
    return compare("fd", expected.map(\.doubles), estimate, dtype: dtype ?? expected.first?.dtype ?? .float64)
  }

  /// (g(x + h·d) - g(x - h·d)) / 2h per output of `graph`, evaluated in float64, h scaled to the inputs.
  static func centralDifference(_ graph: Graph, at x: [Tensor], along d: [Tensor]) throws -> [[Double]] {
    let wide = try graph.promotedToFloat64()
    let scale = x.flatMap(\.doubles).reduce(1.0) { Swift.max($0, Swift.abs($1)) }
    let h = 1e-6 * scale
    let plus = try wide.evaluate(zip(x, d).map { shifted($0, $1, h) })
    let minus = try wide.evaluate(zip(x, d).map { shifted($0, $1, -h) })
    return zip(plus, minus).map { p, m in zip(p.doubles, m.doubles).map { ($0 - $1) / (2 * h) } }
  }

  /// The jacobian-vector product from jacobian blocks: for each output `i`, Σ_j blocks[i][j]·u_j, where block
  /// `(i, j)` holds output `i`'s shape then input `j`'s (torch.func's jacobian layout), flattened to a vector.
  /// Float32 blocks are read in place (converting first would copy the whole jacobian); each row's sum runs in
  /// float64 over eight lanes, and rows are split across cores.
  public static func blockProduct(_ blocks: [[Tensor]], _ u: [Tensor]) -> [Tensor] {
    blocks.map { row in
      let rows = row.first.map { $0.count / Swift.max(u[0].count, 1) } ?? 0
      var total = [Double](repeating: 0, count: rows)
      for (block, direction) in zip(row, u) {
        let d = direction.doubles
        if case .float32(let values) = block.storage { accumulate(values, d, into: &total) } else { accumulate(block.doubles, d, into: &total) }
      }
      return Tensor(shape: [rows], float64: total)
    }
  }

  /// `total[r] += Σ_c values[r·n + c]·d[c]` for the rows of `values` (n = `d.count`).
  @inline(__always)
  private static func accumulate<T: BinaryFloatingPoint & SIMDScalar>(_ values: [T], _ d: [Double], into total: inout [Double]) {
    let n = d.count
    let rows = total.count
    guard n > 0, rows > 0 else { return }
    values.withUnsafeBufferPointer { v in
      d.withUnsafeBufferPointer { d in
        total.withUnsafeMutableBufferPointer { total in
          let (v, d, total) = (v.baseAddress!, d.baseAddress!, total.baseAddress!)
          Parallel.forRanges(rows, grain: Swift.max(1, Parallel.grain / n)) { range in
            for r in range { total[r] += dot(v + r * n, d, n) }
          }
        }
      }
    }
  }

  /// Σ_c v[c]·d[c] in float64: eight partial sums, then the tail.
  @inline(__always)
  private static func dot<T: BinaryFloatingPoint & SIMDScalar>(_ v: UnsafePointer<T>, _ d: UnsafePointer<Double>, _ n: Int) -> Double {
    var lanes = SIMD8<Double>()
    var c = 0
    while c &+ 8 <= n {
      let x = SIMD8<Double>(UnsafeRawPointer(v + c).loadUnaligned(as: SIMD8<T>.self))
      lanes += x * UnsafeRawPointer(d + c).loadUnaligned(as: SIMD8<Double>.self)
      c &+= 8
    }
    var sum = lanes.sum()
    while c < n {
      sum += Double(v[c]) * d[c]
      c &+= 1
    }
    return sum
  }

  static func shifted(_ x: Tensor, _ d: Tensor, _ h: Double) -> Tensor {
    guard x.dtype.isFloatingPoint else { return x }
    return Tensor(shape: x.shape, float64: zip(x.doubles, d.doubles).map { $0 + h * $1 })
  }

  static func compare(_ name: String, _ got: [[Double]], _ want: [[Double]], dtype: DType) -> CheckOutcome {
    var maxAbs = 0.0
    var maxRel = 0.0
    var finite = true
    var ok = true
    let (rtol, atol) = dtype == .float32 ? (1e-2, 1e-3) : (1e-5, 1e-7)
    for (a, b) in zip(got.flatMap { $0 }, want.flatMap { $0 }) {
      guard a.isFinite && b.isFinite else {
        finite = false
        continue
      }
      let error = Swift.abs(a - b)
      maxAbs = Swift.max(maxAbs, error)
      maxRel = Swift.max(maxRel, error / Swift.max(Swift.abs(b), .leastNormalMagnitude))
      if error > atol + rtol * Swift.abs(b) { ok = false }
    }
    return CheckOutcome(name: name, maxAbs: maxAbs, maxRel: maxRel, ok: finite ? ok : nil)
  }

  static func compare(_ name: String, _ got: [Double], _ want: [Double], dtype: DType) -> CheckOutcome {
    compare(name, [got], [want], dtype: dtype)
  }

  static func dot(_ a: [Tensor], _ b: [Tensor]) -> Double {
    zip(a, b).reduce(0) { total, pair in total + zip(pair.0.doubles, pair.1.doubles).reduce(0) { $0 + $1.0 * $1.1 } }
  }

  /// Σ_j J[i][j]·u_j for each output i, from the nested jacobian blocks.
  static func product(_ jacobian: Nested, _ u: [Tensor], outputCount: Int, outputsAreTuple: Bool, inputsAreTuple: Bool) -> [Tensor] {
    blockProduct((0..<outputCount).map { i in
      let row = outputsAreTuple ? jacobian[i] : jacobian
      return inputsAreTuple ? (0..<u.count).map { row[$0].tensors[0] } : [row.tensors[0]]
    }, u)
  }
}

/// Random check directions from their own stream, so checks never disturb the script's generator.
struct CheckDirections {
  private var random: SplitMix64

  init(seed: UInt64) { random = SplitMix64(seed: seed ^ 0x6A09_E667_F3BC_C908) }

  /// Uniform in [-1, 1).
  mutating func next() -> Double { Double(random.next() >> 11) / Double(1 << 53) * 2 - 1 }

  mutating func direction(like x: Tensor) -> Tensor {
    Tensor(shape: x.shape, doubles: (0..<x.count).map { _ in next() }, dtype: x.dtype)
  }
}
