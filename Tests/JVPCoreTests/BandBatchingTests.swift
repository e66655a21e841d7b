import JVPCore
import Testing

/// Batching over the one-hot basis as bands (`Graph.batched(overBasis:)`) against the dense vectorizing map
/// fed the one-hot vectors themselves, in float64: the same values to 1e-12 (scaled by 1 + |value|), for the
/// forward (jvp) and reverse (vjp) linearizations, over the whole basis and over shifted windows of it (a
/// later chunk, and a second vector input whose basis starts at a negative offset). The cases are functions
/// of vectors, whose seeds stay bands through scaling, slices, sums and matrix products.
@Suite struct BandBatchingTests {
  struct Case: CustomTestStringConvertible, Sendable {
    let name: String
    let n: Int
    let body: @Sendable (Var) throws -> Var
    var testDescription: String { name }
  }

  static let w: Tensor = { var values = SeededValues(seed: 3); return values.tensor([5, 6]) }()
  static let v: Tensor = { var values = SeededValues(seed: 4); return values.tensor([6, 6]) }()

  static let cases: [Case] = [
    Case(name: "rosenbrock", n: 7) { x in
      let head = try x.slice(dim: 0, start: nil, stop: -1)
      let tail = try x.slice(dim: 0, start: 1, stop: nil)
      return try (100 * (tail - head.pow(2)).pow(2) + (1 - head).pow(2)).sum()
    },
    Case(name: "predict", n: 6) { x in try (x.tracer.constant(w).matmul(x) + 0.5).tanh() },
    Case(name: "vector times matrix", n: 5) { x in try x.matmul(x.tracer.constant(w)).sin() },
    Case(name: "quadratic form", n: 6) { x in try x.matmul(x.tracer.constant(v).matmul(x)).sum() },
    Case(name: "mlp of a column", n: 6) { x in
      let h = try x.tracer.constant(v).matmul(x.reshape([6, 1])).tanh()
      return try x.tracer.constant(w).matmul(h).sum(dims: [1]) * x.slice(dim: 0, start: 0, stop: 5)
    },
    Case(name: "outer and expand", n: 4) { x in
      let outer = try x.reshape([4, 1]) * x.reshape([1, 4])
      return try (outer.exp() / (1 + x.expanded(to: TensorType(shape: [3, 4], dtype: .float64)).sum(dims: [0]))).sum(dims: [0])
    },
    Case(name: "strided slice and cat", n: 6) { x in
      let even = try x.slice(dim: 0, start: 0, stop: nil, step: 2)
      return try Var.cat([even.exp(), x.slice(dim: 0, start: 1, stop: 4).negated()], dim: 0)
    },
  ]

  /// The linear part of `graph`'s jvp (inputs x, t) or vjp (inputs x, u): the products only.
  static func linear(_ graph: Graph, forward: Bool) throws -> Graph {
    forward ? try graph.jvp().selecting([1]) : try graph.vjp().selecting([1])
  }

  @Test(arguments: cases)
  func bandsEqualTheDenseSweepOverOneHotVectors(_ c: Case) throws {
    var values = SeededValues(seed: 21)
    let x = values.tensor([c.n])
    let f = try TracedFunction.trace(inputTypes: [TensorType(of: x)], inputsAreTuple: false) { ([try c.body($0[0])], false) }
    for forward in [true, false] {
      let linear = try Self.linear(f.graph, forward: forward)
      let vectorType = linear.inputTypes[1]
      for (first, size) in [(0, vectorType.count), (1, max(1, vectorType.count - 2)), (-2, vectorType.count)] {
        let band = try linear.batched(overBasis: [1: first], size: size).evaluate([x])[0]
        let oneHot = Self.oneHot(vectorType, size: size, first: first)
        let dense = try linear.batched([1], size: size).evaluate([x, oneHot])[0]
        #expect(band.shape == dense.shape)
        #expect(maxScaledError(band, dense) < 1e-12, "\(c.name) forward \(forward) first \(first)")
      }
    }
  }

  /// A jacobian made dense from bands differentiates again in both modes: reverse over reverse (the
  /// `BandEmbed` vjp rule) equals forward over reverse (its jvp rule).
  @Test(arguments: cases.filter { $0.name != "strided slice and cat" })
  func jacobiansOfBandJacobiansAgree(_ c: Case) throws {
    var values = SeededValues(seed: 22)
    let x = values.tensor([c.n])
    let f = try TracedFunction.trace(inputTypes: [TensorType(of: x)], inputsAreTuple: false) { ([try c.body($0[0])], false) }
    let jacobian = try FuncGraphs.jacrev(f.graph, differentiated: 1, wrt: [0])
    let reverse = try FuncGraphs.jacrev(jacobian, differentiated: 1, wrt: [0]).evaluate([x])[0]
    let forward = try FuncGraphs.jacfwd(jacobian, differentiated: 1, wrt: [0]).evaluate([x])[0]
    #expect(maxScaledError(reverse, forward) < 1e-12)
  }

  static func oneHot(_ type: TensorType, size: Int, first: Int) -> Tensor {
    var values = [Double](repeating: 0, count: size * type.count)
    for b in 0..<size where first + b >= 0 && first + b < type.count { values[b * type.count + first + b] = 1 }
    return Tensor(shape: [size] + type.shape, doubles: values, dtype: type.dtype)
  }
}
