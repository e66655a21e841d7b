import JVPCore
import Testing

/// A trace is reused only when it is the same program bit for bit, and a reused trace computes what a fresh
/// one does, bit for bit, checks included.
@Suite struct TraceStoreTests {
  static let type = TensorType(shape: [4, 4], dtype: .float32)

  /// `sum(exp(x) * w, dim=1)` with `w` a constant row baked into the trace, as a captured global would be.
  static func scaled(_ w: [Float], _ type: TensorType = type) throws -> TracedFunction {
    try traced(type) { x in
      let row = x.tracer.constant(Tensor(shape: [4], float32: w).converted(to: type.dtype))
      return try (x.exp() * row).sum(dims: [1])
    }
  }

  static func bits(_ tensors: [Tensor]) -> [[UInt64]] { tensors.map { $0.doubles.map(\.bitPattern) } }

  @Test func identicalTracesShareOneFunction() throws {
    let store = TraceStore()
    let first = store.reuse(try Self.scaled([1, 2, 3, 4]))
    let second = store.reuse(try Self.scaled([1, 2, 3, 4]))
    #expect(first === second && store.count == 1)
  }

  @Test func aChangedConstantZeroSignShapeOrDtypeIsNotServedTheOldTrace() throws {
    let store = TraceStore()
    let base = store.reuse(try Self.scaled([0, 2, 3, 4]))
    #expect(store.reuse(try Self.scaled([-0.0, 2, 3, 4])) !== base)
    #expect(store.reuse(try Self.scaled([1, 2, 3, 5])) !== base)
    #expect(store.reuse(try Self.scaled([0, 2, 3, 4], TensorType(shape: [3, 4], dtype: .float32))) !== base)
    #expect(store.reuse(try Self.scaled([0, 2, 3, 4], TensorType(shape: [4, 4], dtype: .float64))) !== base)
    #expect(store.count == 5)
    #expect(store.reuse(try Self.scaled([0, 2, 3, 4])) === base)
  }

  @Test func theOldestTraceIsDroppedPastCapacity() throws {
    let store = TraceStore(capacity: 2)
    let first = store.reuse(try Self.scaled([1, 1, 1, 1]))
    _ = store.reuse(try Self.scaled([2, 2, 2, 2]))
    _ = store.reuse(try Self.scaled([3, 3, 3, 3]))
    #expect(store.count == 2)
    #expect(store.reuse(try Self.scaled([1, 1, 1, 1])) !== first)
  }

  @Test(arguments: [AutodiffKind.jvp, .vjp, .jacobian, .hessian])
  func aReusedTraceGivesTheUncachedOutcomeBitForBit(kind: AutodiffKind) throws {
    var values = SeededValues(seed: 12)
    let x = values.tensor([4, 4], dtype: .float32)
    let isScalar = kind == .hessian
    func fresh() throws -> TracedFunction {
      try traced(Self.type) { x in isScalar ? try x.exp().sum(dims: nil) : try (x.exp() * x).sum(dims: [1]) }
    }
    let vectors: [Tensor] = switch kind {
    case .jvp: [values.tensor([4, 4], dtype: .float32)]
    case .vjp: [values.tensor([4], dtype: .float32)]
    default: []
    }
    func outcome(_ f: TracedFunction) throws -> ExperimentOutcome {
      try Experiment.run(ExperimentRequest(kind: kind, function: f, inputs: [x], vectors: vectors, checkSeed: 7))
    }
    let store = TraceStore()
    let kept = store.reuse(try fresh())
    _ = try outcome(kept)
    let served = store.reuse(try fresh())
    #expect(served === kept)
    let reused = try outcome(served)
    let uncached = try outcome(try fresh())
    #expect(Self.bits(reused.result.tensors) == Self.bits(uncached.result.tensors))
    #expect(Self.bits(reused.outputs.tensors) == Self.bits(uncached.outputs.tensors))
    #expect(reused.checks.map(\.name) == uncached.checks.map(\.name) && !reused.checks.isEmpty)
    #expect(reused.checks.map(\.maxAbs.bitPattern) == uncached.checks.map(\.maxAbs.bitPattern))
    #expect(reused.checks.map(\.maxRel.bitPattern) == uncached.checks.map(\.maxRel.bitPattern))
    #expect(reused.checks.map(\.ok) == uncached.checks.map(\.ok))
  }
}
