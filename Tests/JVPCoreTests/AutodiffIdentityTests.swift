import JVPCore
import Testing

/// Numerical identities that any correct autodiff engine satisfies, checked on random shapes and seeds
/// in float64 over a catalogue touching every primitive:
/// - forward-mode and reverse-mode jacobians agree, with and without vectorized (batched) sweeps
///   (to 1e-12, scaled by 1 + |value|);
/// - jvp(x, v) = J·v and vjp(x, u) = uᵀ·J (to 1e-12);
/// - J·v agrees with a central finite difference along v, step 1e-6 (to 1e-6);
/// - for scalar functions: H is symmetric, hvp = H·v, vhp = vᵀ·H, and H·v matches a central finite
///   difference of the gradient (to 1e-5).
@Suite struct AutodiffIdentityTests {
  struct Case: CustomTestStringConvertible, Sendable {
    let name: String
    let shape: @Sendable (inout SeededValues) -> [Int]
    var range: ClosedRange<Double> = -1...1
    let body: @Sendable (Var) throws -> Var
    var testDescription: String { name }
  }

  static let matrix: @Sendable (inout SeededValues) -> [Int] = { [$0.int(2...4), $0.int(2...4)] }
  static let anyShape: @Sendable (inout SeededValues) -> [Int] = { v in (0..<v.int(1...3)).map { _ in v.int(1...4) } }

  static let cases: [Case] = [
    Case(name: "exp reducer", shape: matrix) { try $0.exp().sum(dims: [1]) },
    Case(name: "trigonometry", shape: anyShape) { try $0.sin() * $0.cos() + $0.tanh() - $0.tan() },
    Case(name: "log1p over sigmoid", shape: anyShape) { try ($0 * $0).log1p() / (1 + $0.sigmoid()) },
    Case(name: "softmax", shape: matrix) { try $0.softmax(dim: -1) },
    Case(name: "log_softmax", shape: matrix) { try $0.logSoftmax(dim: 0) },
    Case(name: "logsumexp", shape: matrix) { try $0.logsumexp(dims: [1]) },
    Case(name: "gram matrix", shape: matrix) { try $0.matmul($0.transpose(0, 1)) },
    Case(name: "batched matmul", shape: { v in [v.int(1...3), v.int(2...3), v.int(2...3)] }) { x in
      try x.matmul(x.permute([0, 2, 1])).matmul(x.select(dim: 0, index: 0))
    },
    Case(name: "vector matmul", shape: matrix) { x in try x.select(dim: 0, index: -1).matmul(x.transpose(0, 1)) },
    Case(name: "cube mean", shape: anyShape) { try $0.pow(3).mean() },
    Case(name: "product", shape: matrix, range: 0.5...1.5) { try $0.prod(dims: [0]) },
    Case(name: "roots and reciprocals", shape: anyShape) { x in
      try (x * x + 1).sqrt() * (x + 3).reciprocal() + x.expm1() - (x + 2).log() + x.square()
    },
    Case(name: "abs and relu", shape: anyShape) { x in try x.abs() * x + (x * 3).relu() },
    Case(name: "erf", shape: anyShape) { x in try x.erf() * x + (x * 0.7).erf().square() },
    Case(name: "shifted slices", shape: matrix) { x in
      try x.slice(dim: 0, start: 1, stop: nil) * x.slice(dim: 0, start: nil, stop: -1)
    },
    Case(name: "strided slice", shape: { v in [v.int(3...7)] }) { x in try x.slice(dim: 0, start: nil, stop: nil, step: 2).exp() },
    Case(name: "cat and stack", shape: matrix) { x in
      try Var.stack([Var.cat([x, x * 2], dim: 0).sum(dims: [0]), x.sum(dims: [0]).exp()], dim: 1)
    },
    Case(name: "reshape and permute", shape: { v in [v.int(1...3), v.int(1...3), 2] }) { x in
      try x.permute([2, 0, 1]).reshape([2, -1]).sin().flatten()
    },
    Case(name: "diagonals", shape: matrix) { x in try x.matmul(x.transpose(0, 1)).diag().diag().sum(dims: [0]) },
    Case(name: "broadcasting", shape: matrix) { x in try x * x.sum(dims: [0], keepDim: true) + x.mean(dims: [1], keepDim: true) },
    Case(name: "tensor power", shape: anyShape) { x in try (x + 2).pow(x) },
    Case(name: "expand and unsqueeze", shape: { v in [v.int(1...4)] }) { x in
      try x.unsqueeze(0).expanded(to: TensorType(shape: [3, x.shape[0]], dtype: .float64)).cos().squeeze()
    },
  ]

  static let seeds: [UInt64] = Array(0..<6)

  @Test(arguments: cases, seeds)
  func jacobiansAgreeWithProductsAndFiniteDifferences(_ c: Case, seed: UInt64) throws {
    var values = SeededValues(seed: seed &* 7919 &+ UInt64(c.name.count))
    let shape = c.shape(&values)
    let x = values.tensor(shape, c.range)
    let f = try traced(TensorType(of: x), c.body)
    let outType = f.outputTypes[0]
    let reverse = try Autodiff.jacobian(f, inputs: [x], strategy: .reverseMode).tensor
    let forward = try Autodiff.jacobian(f, inputs: [x], strategy: .forwardMode).tensor
    #expect(reverse.shape == outType.shape + shape)
    #expect(maxScaledError(forward, reverse) < 1e-12)
    for strategy in [JacobianStrategy.reverseMode, .forwardMode, .auto] {
      let vectorized = try Autodiff.jacobian(f, inputs: [x], strategy: strategy, vectorize: true).tensor
      #expect(maxScaledError(vectorized, reverse) < 1e-12, "vectorized \(strategy.rawValue)")
    }

    let v = values.tensor(shape)
    let u = values.tensor(outType.shape)
    let jv = try Autodiff.jvp(f, inputs: [x], tangents: [v]).jvp.tensor
    let uj = try Autodiff.vjp(f, inputs: [x], cotangents: [u]).vjp.tensor
    let (m, n) = (outType.count, x.count)
    let jacobian = reverse.doubles
    let expectedJV = (0..<m).map { r in (0..<n).reduce(0.0) { $0 + jacobian[r * n + $1] * v.element($1) } }
    let expectedUJ = (0..<n).map { c in (0..<m).reduce(0.0) { $0 + u.element($1) * jacobian[$1 * n + c] } }
    #expect(maxScaledError(jv, Tensor(shape: outType.shape, float64: expectedJV)) < 1e-12)
    #expect(maxScaledError(uj, Tensor(shape: shape, float64: expectedUJ)) < 1e-12)

    let h = 1e-6
    let plus = try f.graph.evaluate([x.adding(v, scale: h)])[0]
    let minus = try f.graph.evaluate([x.adding(v, scale: -h)])[0]
    let difference = zip(plus.doubles, minus.doubles).map { ($0 - $1) / (2 * h) }
    #expect(maxScaledError(jv, Tensor(shape: outType.shape, float64: difference)) < 1e-6)
  }

  @Test(arguments: cases.filter { ["cube mean", "exp reducer", "logsumexp", "diagonals", "product", "erf"].contains($0.name) }, seeds)
  func hessiansAreSymmetricAndMatchProducts(_ c: Case, seed: UInt64) throws {
    var values = SeededValues(seed: seed &+ 101)
    let shape = c.shape(&values)
    let x = values.tensor(shape, c.range)
    let f = try traced(TensorType(of: x)) { try c.body($0).sum() }
    let n = x.count
    let reverse = try Autodiff.hessian(f, inputs: [x], outerStrategy: .reverseMode).tensor
    let forward = try Autodiff.hessian(f, inputs: [x], outerStrategy: .forwardMode).tensor
    #expect(reverse.shape == shape + shape)
    #expect(maxScaledError(forward, reverse) < 1e-12)
    let vectorized = try Autodiff.hessian(f, inputs: [x], outerStrategy: .forwardMode, vectorize: true).tensor
    #expect(maxScaledError(vectorized, reverse) < 1e-12)
    let h = reverse.doubles
    for r in 0..<n {
      for c in 0..<n { #expect(Swift.abs(h[r * n + c] - h[c * n + r]) <= 1e-12 * (1 + Swift.abs(h[r * n + c]))) }
    }
    let v = values.tensor(shape)
    let hv = try Autodiff.hvp(f, inputs: [x], vectors: [v]).hvp.tensor
    let vh = try Autodiff.vhp(f, inputs: [x], vectors: [v]).vhp.tensor
    let expected = Tensor(shape: shape, float64: (0..<n).map { r in (0..<n).reduce(0.0) { $0 + h[r * n + $1] * v.element($1) } })
    #expect(maxScaledError(hv, expected) < 1e-12)
    #expect(maxScaledError(vh, expected) < 1e-12)

    let step = 1e-5
    let gradient = try f.gradientGraph()
    let plus = try gradient.evaluate([x.adding(v, scale: step)])[0]
    let minus = try gradient.evaluate([x.adding(v, scale: -step)])[0]
    let difference = zip(plus.doubles, minus.doubles).map { ($0 - $1) / (2 * step) }
    #expect(maxScaledError(hv, Tensor(shape: shape, float64: difference)) < 1e-5)
  }
}

extension Tensor {
  /// `self + scale * other`, elementwise, in float64.
  func adding(_ other: Tensor, scale: Double) -> Tensor {
    Tensor(shape: shape, float64: zip(doubles, other.doubles).map { $0 + scale * $1 })
  }
}
