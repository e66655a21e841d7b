import JVPCore
import Testing

/// The tape against numerical identities, in float64 on seeded inputs: reverse mode equals a central finite
/// difference of the function, `create_graph=True` gradients differentiate again to the finite difference of the
/// gradient (a hessian-vector product), forward-mode tangents equal the directional finite difference; and the
/// tape's bookkeeping: accumulation into `.grad`, freed graphs, grad mode, unused inputs.
@Suite struct TapeTests {
  /// A scalar function of one tensor touching reductions, matmul, layout and elementwise primitives.
  static func loss<T: TensorValue>(_ x: T) throws -> T {
    let y = try x.matmul(x.transpose(0, 1)).tanh()
    let z = try (y.exp().sum(dims: [1]) * x.sin().sum(dims: [1])).logsumexp(dims: [0])
    return try z + (x.slice(dim: 1, start: 1, stop: nil, step: 1).square() / 3).sum()
  }

  static func leaf(_ tensor: Tensor) throws -> TapeTensor {
    let t = TapeTensor(value: tensor, requiresGrad: false)
    try t.setRequiresGrad(true)
    return t
  }

  static func scalar(_ operand: Operand) throws -> Double { try operand.value().element(0) }

  static func taped(_ operand: Operand) -> TapeTensor {
    if case .taped(let t) = operand { return t }
    preconditionFailure("expected a tape tensor")
  }

  /// Central differences of `f` at `x` along `v`, step `h`.
  static func difference(_ x: Tensor, _ v: Tensor, _ h: Double = 1e-6, _ f: (Tensor) throws -> Tensor) throws -> [Double] {
    let plus = try f((Operand.concrete(x) + Operand.concrete(v) * h).value())
    let minus = try f((Operand.concrete(x) - Operand.concrete(v) * h).value())
    return zip(plus.doubles, minus.doubles).map { ($0 - $1) / (2 * h) }
  }

  @Test(arguments: [1, 2, 3] as [UInt64])
  func backwardMatchesFiniteDifferences(_ seed: UInt64) throws {
    var values = SeededValues(seed: seed)
    let x = values.tensor([3, 4])
    let leaf = try Self.leaf(x)
    let output = Self.taped(try Self.loss(Operand.taped(leaf)))
    #expect(output.gradFunction != nil)
    let result = try Tape.gradients(of: [output], seeds: [Tensor(scalar: 1, dtype: .float64)], inputs: nil, retainGraph: false, createGraph: false)
    #expect(result.inputs.count == 1 && result.inputs[0] === leaf)
    let gradient = try result.gradients[0]!.value().doubles
    for k in 0..<x.count {
      var e = [Double](repeating: 0, count: x.count)
      e[k] = 1
      let fd = try Self.difference(x, Tensor(shape: x.shape, float64: e)) { try Self.loss(Operand.concrete($0)).value() }[0]
      #expect(abs(gradient[k] - fd) < 1e-6 * (1 + abs(fd)))
    }
  }

  @Test func createGraphGivesAHessianVectorProduct() throws {
    var values = SeededValues(seed: 7)
    let x = values.tensor([3, 4])
    let v = values.tensor([3, 4])
    let leaf = try Self.leaf(x)
    let output = Self.taped(try Self.loss(Operand.taped(leaf)))
    let one = Tensor(scalar: 1, dtype: .float64)
    let gradient = try Tape.gradients(of: [output], seeds: [one], inputs: [leaf], retainGraph: true, createGraph: true).gradients[0]!
    let g = Self.taped(gradient)
    #expect(g.gradFunction != nil)
    let gv = Self.taped(try (gradient * Operand.concrete(v)).sum())
    let hv = try Tape.gradients(of: [gv], seeds: [one], inputs: [leaf], retainGraph: false, createGraph: false).gradients[0]!.value()
    let fd = try Self.difference(x, v, 1e-5) { point in
      let l = try Self.leaf(point)
      let out = Self.taped(try Self.loss(Operand.taped(l)))
      return try Tape.gradients(of: [out], seeds: [one], inputs: [l], retainGraph: false, createGraph: false).gradients[0]!.value()
    }
    for (a, b) in zip(hv.doubles, fd) { #expect(abs(a - b) < 1e-5 * (1 + abs(b))) }
  }

  @Test func forwardTangentsMatchDirectionalDifferences() throws {
    var values = SeededValues(seed: 11)
    let x = values.tensor([3, 4])
    let v = values.tensor([3, 4])
    _ = try GradMode.enterDualLevel()
    defer { GradMode.exitDualLevel() }
    let dual = try TapeTensor.dual(primal: .concrete(x), tangent: .concrete(v))
    let y = try Operand.taped(dual).matmul(Operand.taped(dual).transpose(0, 1)).sigmoid().sum(dims: [0])
    let tangent = try #require(Self.taped(y).tangent).value()
    let fd = try Self.difference(x, v) { point in
      try Operand.concrete(point).matmul(Operand.concrete(point).transpose(0, 1)).sigmoid().sum(dims: [0]).value()
    }
    for (a, b) in zip(tangent.doubles, fd) { #expect(abs(a - b) < 1e-6 * (1 + abs(b))) }
  }

  @Test func tangentsAreGoneAfterTheLevel() throws {
    _ = try GradMode.enterDualLevel()
    let dual = try TapeTensor.dual(primal: .concrete(Tensor(scalar: 2, dtype: .float64)), tangent: .concrete(Tensor(scalar: 1, dtype: .float64)))
    let y = try Operand.taped(dual) * Operand.taped(dual)
    #expect(try Self.taped(y).tangent?.value().element(0) == 4)
    GradMode.exitDualLevel()
    #expect(Self.taped(y).tangent == nil)
  }

  @Test func gradientsAccumulateAcrossBackwardCalls() throws {
    let leaf = try Self.leaf(Tensor(shape: [2], float64: [1, 2]))
    let one = Tensor(scalar: 1, dtype: .float64)
    for _ in 0..<2 {
      let output = Self.taped(try (Operand.taped(leaf) * Operand.taped(leaf)).sum())
      let result = try Tape.gradients(of: [output], seeds: [one], inputs: nil, retainGraph: false, createGraph: false)
      try leaf.accumulate(result.gradients[0]!)
    }
    #expect(leaf.grad?.value.doubles == [4, 8])
  }

  @Test func aFreedGraphRefusesASecondBackward() throws {
    let leaf = try Self.leaf(Tensor(shape: [2], float64: [1, 2]))
    let output = Self.taped(try (Operand.taped(leaf) * Operand.taped(leaf)).sum())
    let one = Tensor(scalar: 1, dtype: .float64)
    _ = try Tape.gradients(of: [output], seeds: [one], inputs: nil, retainGraph: false, createGraph: false)
    #expect(throws: EngineError.self) {
      _ = try Tape.gradients(of: [output], seeds: [one], inputs: nil, retainGraph: false, createGraph: false)
    }
    // A sum of leaves saves no tensors, so PyTorch lets it run backward again; so does the tape.
    let sum = Self.taped(try (Operand.taped(leaf) + Operand.taped(leaf)).sum())
    for _ in 0..<2 {
      let grads = try Tape.gradients(of: [sum], seeds: [one], inputs: nil, retainGraph: false, createGraph: false).gradients
      #expect(try grads[0]?.value().doubles == [2, 2])
    }
  }

  @Test func noGradAndPlainTensorsStayOffTheTape() throws {
    let leaf = try Self.leaf(Tensor(shape: [2], float64: [1, 2]))
    let inside = try GradMode.with(enabled: false) { try Operand.taped(leaf) * 2 }
    guard case .concrete = inside else { Issue.record("no_grad result is on the tape"); return }
    guard case .concrete = try Operand.concrete(leaf.value).exp() else { Issue.record("a plain tensor went on the tape"); return }
  }

  @Test func anUnusedInputHasNoGradient() throws {
    let x = try Self.leaf(Tensor(shape: [2], float64: [1, 2]))
    let w = try Self.leaf(Tensor(shape: [2], float64: [3, 4]))
    let output = Self.taped(try (Operand.taped(x) * 2).sum())
    let result = try Tape.gradients(
      of: [output], seeds: [Tensor(scalar: 1, dtype: .float64)], inputs: [x, w], retainGraph: false, createGraph: false)
    #expect(try result.gradients[0]?.value().doubles == [2, 2])
    #expect(result.gradients[1] == nil)
  }

  @Test func nodeNamesArePyTorchs() throws {
    let x = try Self.leaf(Tensor(shape: [2, 2], float64: [1, 2, 3, 4]))
    let v = try Self.leaf(Tensor(shape: [2], float64: [1, 2]))
    func name(_ operand: Operand) -> String? { Self.taped(operand).gradFunction?.name }
    #expect(name(try Operand.taped(x).sum()) == "SumBackward0")
    #expect(name(try Operand.taped(x).sum(dims: [1])) == "SumBackward1")
    #expect(name(try Operand.taped(x).matmul(.taped(x))) == "MmBackward0")
    #expect(name(try Operand.taped(x).matmul(.taped(v))) == "MvBackward0")
    #expect(name(try Operand.taped(v).matmul(.taped(x))) == "SqueezeBackward4")
    #expect(name(try Operand.taped(v).matmul(.taped(v))) == "DotBackward0")
    #expect(name(try Operand.taped(x).log1p()) == "Log1PBackward0")
    #expect(name(try Operand.taped(x).pow(2)) == "PowBackward0")
    #expect(name(try Operand.taped(x).reshape([4])) == "ViewBackward0")
  }
}
