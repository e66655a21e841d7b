/// The 32-bit Mersenne Twister (the `std::mt19937` stream) that ATen's `at::mt19937` implements.
///
/// ATen seeds it with the low 32 bits of the generator's seed and regenerates the whole
/// 624-word state at once, before the first draw and after every 624 draws.
struct MersenneTwister: Sendable {
  private static let stateSize = 624
  private static let shift = 397

  private var state: [UInt32]
  /// The next word of `state` to temper; `stateSize` means the state must be regenerated first.
  private var index: Int

  /// Seeds the state with Knuth's linear recurrence, exactly as `std::mt19937(seed)` does.
  init(seed: UInt32) {
    state = [UInt32](unsafeUninitializedCapacity: Self.stateSize) { words, count in
      words[0] = seed
      for i in 1..<Self.stateSize {
        let previous = words[i - 1]
        words[i] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(i)
      }
      count = Self.stateSize
    }
    index = Self.stateSize
  }

  /// The next tempered 32-bit word of the stream.
  @inline(__always)
  mutating func next() -> UInt32 {
    if index == Self.stateSize { regenerate() }
    var y = state[index]
    index += 1
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C_5680
    y ^= (y << 15) & 0xEFC6_0000
    y ^= y >> 18
    return y
  }

  /// Twists all 624 words in place (ATen's `next_state`), in three runs so no index wraps.
  private mutating func regenerate() {
    let n = Self.stateSize
    let m = Self.shift
    state.withUnsafeMutableBufferPointer { s in
      for i in 0..<(n - m) {
        s[i] = s[i + m] ^ Self.twist(s[i], s[i + 1])
      }
      for i in (n - m)..<(n - 1) {
        s[i] = s[i + m - n] ^ Self.twist(s[i], s[i + 1])
      }
      s[n - 1] = s[m - 1] ^ Self.twist(s[n - 1], s[0])
    }
    index = 0
  }

  /// Joins the top bit of `upper` with the low 31 bits of `lower` and applies the twist matrix.
  @inline(__always)
  private static func twist(_ upper: UInt32, _ lower: UInt32) -> UInt32 {
    let y = (upper & 0x8000_0000) | (lower & 0x7FFF_FFFF)
    return (y >> 1) ^ (lower & 1 == 0 ? 0 : 0x9908_B0DF)
  }
}
