/// PyTorch's CPU generator (mt19937 + ATen's transformations).
///
/// `manualSeed(s)` followed by `rand` / `randn` reproduces `torch.manual_seed(s)` followed by
/// `torch.rand` / `torch.randn` on the CPU bit for bit. It is a value type: copying a generator
/// forks its stream.
public struct TorchGenerator: Sendable {
  /// The seed a fresh PyTorch process starts from (ATen's `default_rng_seed_val`).
  public static let defaultSeed: UInt64 = 67_280_421_310_721

  /// The seed last given to `init` or `manualSeed`, all 64 bits, as `torch.initial_seed()` reports it.
  public private(set) var seed: UInt64
  /// The 32-bit draws made since the last seeding (the generator's "rng_offset").
  public private(set) var drawCount: Int

  private var engine: MersenneTwister
  /// The second Box-Muller sample of `normal_distribution<double>`, kept for the next normal draw (public so
  /// that a replay can put a generator back where a recorded call found it: `drawCount` and this).
  public var cachedNormal: Double?

  /// A generator seeded with `seed` (PyTorch's default seed unless given).
  public init(seed: UInt64 = TorchGenerator.defaultSeed) {
    self.seed = seed
    drawCount = 0
    engine = MersenneTwister(seed: UInt32(truncatingIfNeeded: seed))
    cachedNormal = nil
  }

  /// Reseeds like `torch.manual_seed`: restarts the stream, clears the cached normal, zeroes `drawCount`.
  public mutating func manualSeed(_ seed: UInt64) {
    self = TorchGenerator(seed: seed)
  }

  /// One 32-bit draw (ATen's `random()`).
  @inline(__always)
  public mutating func nextUInt32() -> UInt32 {
    drawCount += 1
    return engine.next()
  }

  /// Advances the stream by `draws` 32-bit draws, as if that many had been taken (`drawCount` included).
  public mutating func skip(_ draws: Int) {
    for _ in 0..<max(0, draws) { _ = nextUInt32() }
  }

  /// Two 32-bit draws joined as ATen's `random64()` does: the first draw is the HIGH word.
  @inline(__always)
  public mutating func nextUInt64() -> UInt64 {
    let high = UInt64(nextUInt32())
    let low = UInt64(nextUInt32())
    return high << 32 | low
  }

  /// `uniform_real_distribution<float>(0, 1)`: the low 24 bits of one draw, scaled by 2^-24.
  @inline(__always)
  mutating func uniformFloat() -> Float {
    Float(nextUInt32() & 0xFF_FFFF) * 0x1p-24
  }

  /// `uniform_real_distribution<double>(0, 1)`: the low 53 bits of one `random64()`, scaled by 2^-53.
  @inline(__always)
  mutating func uniformDouble() -> Double {
    Double(nextUInt64() & (1 << 53 - 1)) * 0x1p-53
  }

  /// `torch.rand(shape, dtype=dtype)`: uniforms in [0, 1), drawn in row-major order.
  ///
  /// float32 takes one draw per element, float64 two. `dtype` must be floating and `shape`
  /// non-negative; callers validate both, as PyTorch rejects them with an error.
  public mutating func rand(_ shape: [Int], dtype: DType) -> Tensor {
    let n = Self.elementCount(shape)
    switch dtype {
    case .float32:
      let values = [Float](unsafeUninitializedCapacity: n) { buffer, count in
        for i in 0..<n { buffer[i] = uniformFloat() }
        count = n
      }
      return Tensor(shape: shape, float32: values)
    case .float64:
      let values = [Double](unsafeUninitializedCapacity: n) { buffer, count in
        for i in 0..<n { buffer[i] = uniformDouble() }
        count = n
      }
      return Tensor(shape: shape, float64: values)
    case .int64, .bool:
      preconditionFailure("rand is not implemented for \(dtype.torchName)")
    }
  }

  /// `Tensor.uniform_(from, to)` (what `nn.init` draws with): ATen's `uniform_real_distribution`, which takes
  /// one draw per float32 element (24 bits) or a `random64()` per float64 one (53 bits), scales it into [0, 1)
  /// in double and returns `x · (to - from) + from` with `from` and `to` in the tensor's dtype.
  public mutating func uniform(_ shape: [Int], from: Double, to: Double, dtype: DType) -> Tensor {
    let n = Self.elementCount(shape)
    switch dtype {
    case .float32:
      let (low, high) = (Float(from), Float(to))
      let span = Double(high - low)
      return Tensor(shape: shape, float32: (0..<n).map { _ in
        Float(Double(nextUInt32() & 0xFF_FFFF) * 0x1p-24 * span + Double(low))
      })
    case .float64:
      return Tensor(shape: shape, float64: (0..<n).map { _ in uniformDouble() * (to - from) + from })
    case .int64, .bool:
      preconditionFailure("uniform_ is not implemented for \(dtype.torchName)")
    }
  }

  /// The element count of `shape`, trapping on a negative dimension as `Tensor` would.
  static func elementCount(_ shape: [Int]) -> Int {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(Shape.describe(shape))")
    return Shape.count(shape)
  }
}
