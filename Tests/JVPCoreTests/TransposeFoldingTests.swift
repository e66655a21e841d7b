@testable import JVPCore
import Testing

/// Transposes read only by matrix products become BLAS flags, and permutes of permutes one permute
/// (Engine/TransposeFolding.swift). Each program is evaluated through its traced graph (folded) and eagerly,
/// one primitive at a time (every transpose materialised); the plan must contain no permute step where
/// everything folds. Below the BLAS crossover both run the reference loop in the same order, so the bits
/// agree; above it the folded product reads the operand transposed through the BLAS and agrees within
/// rounding. The vjp and jvp of `x @ w.T` are checked against finite differences.
@Suite struct TransposeFoldingTests {
  struct Program: CustomTestStringConvertible, Sendable {
    let name: String
    let x: [Int]
    let y: [Int]
    /// Permute steps the folded plan still has.
    let permutesLeft: Int
    let body: @Sendable (Operand, Operand) throws -> [Operand]
    var testDescription: String { name }
  }

  static let programs: [Program] = [
    Program(name: "x @ w.T (F.linear)", x: [5, 7], y: [3, 7], permutesLeft: 0) { x, w in [try x.matmul(w.transpose(0, 1))] },
    Program(name: "x.T @ w", x: [7, 5], y: [7, 3], permutesLeft: 0) { x, w in [try x.transpose(0, 1).matmul(w)] },
    Program(name: "both transposed, batched", x: [2, 6, 4], y: [2, 5, 6], permutesLeft: 0) { x, w in
      [try x.transpose(1, 2).matmul(w.transpose(-2, -1))]
    },
    Program(name: "transposed matrix times a vector", x: [6, 4], y: [6], permutesLeft: 0) { x, v in [try x.transpose(0, 1).matmul(v)] },
    Program(name: "transpose of a transpose of a product", x: [40, 30], y: [30, 50], permutesLeft: 0) { x, w in
      [try x.matmul(w).transpose(0, 1).transpose(0, 1).tanh()]
    },
    Program(name: "permute of a permute", x: [3, 4, 5], y: [1], permutesLeft: 1) { x, _ in
      [try x.permute([2, 0, 1]).permute([0, 2, 1]).exp()]
    },
    Program(name: "transpose also read elsewhere", x: [6, 6], y: [6, 6], permutesLeft: 1) { x, w in
      let t = try w.transpose(0, 1)
      return [try x.matmul(t), try t.sin()]
    },
    Program(name: "BLAS sizes", x: [96, 80], y: [64, 80], permutesLeft: 0) { x, w in
      [try x.matmul(w.transpose(0, 1)).tanh(), try w.matmul(x.transpose(0, 1))]
    },
  ]

  @Test(arguments: programs, [DType.float32, .float64])
  func foldedEqualsEager(_ p: Program, dtype: DType) throws {
    var values = SeededValues(seed: UInt64(p.name.count) &* 17)
    let x = values.tensor(p.x, dtype: dtype)
    let y = values.tensor(p.y, dtype: dtype)
    let eager = try p.body(.concrete(x), .concrete(y)).map(\.concreteValue)
    let f = try traced(x, y, p.body)
    let permutes = f.graph.plan(bound: [false, false]).steps.filter { step in
      if case .apply(_, let primitive, _, _) = step { primitive is Permute } else { false }
    }
    #expect(permutes.count == p.permutesLeft)
    let folded = try f.graph.evaluate([x, y])
    #expect(folded.map { $0.shape } == eager.map { $0.shape })
    let blas = p.x.reduce(1, *) * p.y.reduce(1, *) >= MatMulKernel.blasCrossover * 4
    for (a, b) in zip(folded, eager) {
      if blas {
        let tolerance = dtype == .float32 ? 1e-4 : 1e-12
        #expect(zip(a.doubles, b.doubles).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) })
      } else {
        #expect(a.doubles.map { $0.bitPattern } == b.doubles.map { $0.bitPattern })
      }
    }
  }

  /// A bound weight's transpose read only by products (a check holding `F.linear`'s weight fixed) is not copied
  /// at binding: it folds into the product's flag at run time, with the eager values (below the BLAS crossover,
  /// bit for bit).
  @Test(arguments: [DType.float32, .float64])
  func boundWeightTransposeFoldsAtRunTime(dtype: DType) throws {
    var values = SeededValues(seed: 9)
    let x = values.tensor([3, 7], dtype: dtype), w = values.tensor([5, 7], dtype: dtype)
    let body: @Sendable (Operand, Operand) throws -> [Operand] = { x, w in [try x.matmul(w.transpose(0, 1)).tanh()] }
    let f = try traced(x, w, body)
    let plan = f.graph.plan(bound: [false, true])
    #expect(!plan.bindTime.contains { f.graph.nodes[$0].isApply(of: Permute.self) })
    #expect(!plan.steps.contains { if case .apply(_, let primitive, _, _) = $0 { primitive is Permute } else { false } })
    let bound = PartialEvaluation(f.graph, bound: [1: w]).run([x])
    let eager = try body(.concrete(x), .concrete(w)).map(\.concreteValue)
    #expect(bound.map { $0.doubles.map(\.bitPattern) } == eager.map { $0.doubles.map(\.bitPattern) })
  }

  /// vjp = vᵀJ and jvp = J·v for `tanh(x @ w.T)`, whose reverse sweep multiplies by transposes of transposes,
  /// against central differences in float64.
  @Test func linearLayerDerivativesMatchFiniteDifferences() throws {
    var values = SeededValues(seed: 5)
    let x = values.tensor([4, 6]), w = values.tensor([3, 6])
    let f = try traced([TensorType(of: x), TensorType(of: w)]) { v in [try v[0].matmul(v[1].transpose(0, 1)).tanh()] }
    let v = values.tensor([4, 3])
    let (tx, tw) = (values.tensor([4, 6]), values.tensor([3, 6]))
    let (_, vjp) = try Autodiff.vjp(f, inputs: [x, w], cotangents: [v])
    let (_, jvp) = try Autodiff.jvp(f, inputs: [x, w], tangents: [tx, tw])
    func shifted(_ t: Tensor, _ direction: Tensor, _ step: Double) -> Tensor {
      let values: [Double] = zip(t.doubles, direction.doubles).map { pair in pair.0 + step * pair.1 }
      return Tensor(shape: t.shape, doubles: values, dtype: .float64)
    }
    func output(_ step: Double) throws -> [Double] {
      try f.graph.evaluate([shifted(x, tx, step), shifted(w, tw, step)])[0].doubles
    }
    let h = 1e-6
    let (plus, minus) = (try output(h), try output(-h))
    let difference: [Double] = zip(plus, minus).map { pair in (pair.0 - pair.1) / (2 * h) }
    guard case .tuple(let jvps) = jvp, case .tuple(let vjps) = vjp else { Issue.record("expected tuples"); return }
    #expect(zip(jvps[0].tensor.doubles, difference).allSatisfy { abs($0 - $1) < 1e-7 })
    // vᵀ(J t) = (vᵀJ) · t.
    func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { $0 * $1 }.reduce(0, +) }
    let left = dot(v.doubles, difference)
    let right = dot(vjps[0].tensor.doubles, tx.doubles) + dot(vjps[1].tensor.doubles, tw.doubles)
    #expect(abs(left - right) < 1e-7)
  }
}
