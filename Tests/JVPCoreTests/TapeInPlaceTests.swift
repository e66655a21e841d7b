import JVPCore
import Testing

/// In-place operations, `retain_grad()` and `create_graph` with other leaves, against finite differences in
/// float64: an in-place write on a result differentiates the function it now holds, a retained result's grad is
/// the derivative with respect to it, a gradient taken with `create_graph` differentiates again in a leaf it was
/// not taken for; and a tensor saved for backward and then written fails with PyTorch's version error.
@Suite struct TapeInPlaceTests {
  @Test func anInPlaceAddOnAResultDifferentiatesTheUpdatedFunction() throws {
    var values = SeededValues(seed: 21)
    let x = values.tensor([5])
    func f(_ point: Tensor) throws -> (leaf: TapeTensor, result: TapeTensor) {
      let leaf = try TapeTests.leaf(point)
      let y = TapeTests.taped(try Operand.taped(leaf).sin())
      try y.write(recorded: TapeTests.taped(try Operand.taped(y) + Operand.taped(leaf).square()))
      return (leaf, y)
    }
    let (leaf, y) = try f(x)
    #expect(y.version == 1 && y.gradFunction?.name == "AddBackward0")
    let total = TapeTests.taped(try Operand.taped(y).sum())
    let gradient = try Tape.gradients(of: [total], seeds: [Tensor(scalar: 1, dtype: .float64)], inputs: [leaf], retainGraph: false, createGraph: false)
      .gradients[0]!.value().doubles
    for k in 0..<x.count {
      var e = [Double](repeating: 0, count: x.count)
      e[k] = 1
      let fd = try TapeTests.difference(x, Tensor(shape: x.shape, float64: e)) { try Operand.taped(try f($0).result).sum().value() }[0]
      #expect(abs(gradient[k] - fd) < 1e-6 * (1 + abs(fd)))
    }
  }

  @Test func aSavedOutputWrittenInPlaceFailsWithPyTorchsVersionError() throws {
    let leaf = try TapeTests.leaf(Tensor(shape: [3], float32: [1, 2, 3]))
    let y = TapeTests.taped(try Operand.taped(leaf).exp())
    try y.write(recorded: TapeTests.taped(try Operand.taped(y) + 1))
    let total = TapeTests.taped(try Operand.taped(y).sum())
    #expect {
      _ = try Tape.gradients(of: [total], seeds: [Tensor(scalar: 1, dtype: .float32)], inputs: nil, retainGraph: false, createGraph: false)
    } throws: { error in
      "\(error)".contains("modified by an inplace operation: [torch.FloatTensor [3]], which is output 0 of Exp, is at version 1; expected version 0 instead.")
    }
  }

  @Test func aRetainedResultGetsTheDerivativeWithRespectToIt() throws {
    var values = SeededValues(seed: 22)
    let x = values.tensor([3, 4])
    let leaf = try TapeTests.leaf(x)
    let y = TapeTests.taped(try Operand.taped(leaf).sin())
    try y.retainGrad()
    let output = TapeTests.taped(try TapeTests.loss(Operand.taped(y)))
    let result = try Tape.gradients(of: [output], seeds: [Tensor(scalar: 1, dtype: .float64)], inputs: nil, retainGraph: false, createGraph: false)
    #expect(result.inputs.count == 1 && result.retained.count == 1 && result.retained[0].tensor === y)
    let retained = try result.retained[0].gradient!.value().doubles
    for k in 0..<x.count {
      var e = [Double](repeating: 0, count: x.count)
      e[k] = 1
      let fd = try TapeTests.difference(y.value, Tensor(shape: x.shape, float64: e)) { try TapeTests.loss(Operand.concrete($0)).value() }[0]
      #expect(abs(retained[k] - fd) < 1e-6 * (1 + abs(fd)))
    }
  }

  @Test func aCreateGraphGradientDifferentiatesAgainInAnotherLeaf() throws {
    var values = SeededValues(seed: 23)
    let x = values.tensor([4])
    let v = values.tensor([4])
    let u = values.tensor([4])
    let one = Tensor(scalar: 1, dtype: .float64)
    /// ∂/∂x Σ sin(x)·v, taken for x alone with create_graph, then dotted with u.
    func gradientDotU(_ vPoint: Tensor) throws -> (leaf: TapeTensor, value: TapeTensor) {
      let xLeaf = try TapeTests.leaf(x)
      let vLeaf = try TapeTests.leaf(vPoint)
      let f = TapeTests.taped(try (Operand.taped(xLeaf).sin() * Operand.taped(vLeaf)).sum())
      let g = try Tape.gradients(of: [f], seeds: [one], inputs: [xLeaf], retainGraph: true, createGraph: true).gradients[0]!
      return (vLeaf, TapeTests.taped(try (g * Operand.concrete(u)).sum()))
    }
    let (vLeaf, value) = try gradientDotU(v)
    let mixed = try Tape.gradients(of: [value], seeds: [one], inputs: [vLeaf], retainGraph: false, createGraph: false).gradients[0]!.value()
    for k in 0..<v.count {
      var e = [Double](repeating: 0, count: v.count)
      e[k] = 1
      let fd = try TapeTests.difference(v, Tensor(shape: v.shape, float64: e)) { try gradientDotU($0).value.value }[0]
      #expect(abs(mixed.doubles[k] - fd) < 1e-6 * (1 + abs(fd)))
    }
  }
}
