import JVPCore

/// Seeded values for property tests, independent of the PyTorch generator under test.
struct SeededValues {
  private var random: SplitMix64

  init(seed: UInt64) { random = SplitMix64(seed: seed) }

  mutating func next() -> UInt64 { random.next() }

  /// Uniform in `range`.
  mutating func uniform(_ range: ClosedRange<Double>) -> Double {
    range.lowerBound + Double(next() >> 11) / Double(1 << 53) * (range.upperBound - range.lowerBound)
  }

  mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }

  mutating func tensor(_ shape: [Int], _ range: ClosedRange<Double> = -1...1, dtype: DType = .float64) -> Tensor {
    Tensor(shape: shape, doubles: (0..<Shape.count(shape)).map { _ in uniform(range) }, dtype: dtype)
  }
}

/// Traces a single-input, single-output Swift function.
func traced(_ type: TensorType, _ body: (Var) throws -> Var) throws -> TracedFunction {
  try TracedFunction.trace(inputTypes: [type], inputsAreTuple: false) { inputs in ([try body(inputs[0])], false) }
}

/// Traces a function of several inputs returning several outputs as tuples.
func traced(_ types: [TensorType], _ body: ([Var]) throws -> [Var]) throws -> TracedFunction {
  try TracedFunction.trace(inputTypes: types, inputsAreTuple: true) { inputs in (try body(inputs), true) }
}

/// Traces a program written over `Operand`s of two inputs (the shape of the fusion and folding tests' programs),
/// so that the same body also runs eagerly on `.concrete` operands.
func traced(_ x: Tensor, _ y: Tensor, _ body: (Operand, Operand) throws -> [Operand]) throws -> TracedFunction {
  try traced([TensorType(of: x), TensorType(of: y)]) { vars in
    try body(.traced(vars[0]), .traced(vars[1])).map { operand -> Var in
      guard case .traced(let v) = operand else { preconditionFailure("every output depends on an input") }
      return v
    }
  }
}

extension Nested {
  /// The single tensor of a non-tuple result.
  var tensor: Tensor {
    if case .tensor(let t) = self { return t }
    preconditionFailure("expected a tensor, found a tuple")
  }
}

/// The largest |a - b| / (1 + |b|) over the elements.
func maxScaledError(_ a: Tensor, _ b: Tensor) -> Double {
  zip(a.doubles, b.doubles).map { Swift.abs($0 - $1) / (1 + Swift.abs($1)) }.max() ?? 0
}

/// Float32 values given as their little-endian IEEE bit patterns.
func float32Tensor(_ shape: [Int], bits: [UInt32]) -> Tensor {
  Tensor(shape: shape, float32: bits.map { Float(bitPattern: $0) })
}
