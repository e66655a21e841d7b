import Foundation
import JVPCore
import Testing

/// One `torch.manual_seed(seed); torch.<call>(numel, dtype=dtype)` case recorded from PyTorch.
struct RNGCase: Decodable, Sendable, CustomTestStringConvertible {
  let seed: UInt64
  let call: String
  let dtype: String
  let numel: Int
  let leHex: [String]

  enum CodingKeys: String, CodingKey {
    case seed, call, dtype, numel
    case leHex = "le_hex"
  }

  var testDescription: String { "seed \(seed) \(call)(\(numel)) \(dtype)" }

  /// Raised when the test bundle lacks Fixtures/rng.json.
  struct MissingFixture: Error {}

  /// Every case of Fixtures/rng.json.
  static func all() throws -> [RNGCase] {
    struct File: Decodable { let cases: [RNGCase] }
    guard let url = Bundle.module.url(forResource: "rng", withExtension: "json", subdirectory: "Fixtures") else {
      throw MissingFixture()
    }
    return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
  }

  /// The recorded case with these parameters.
  static func find(seed: UInt64, call: String, dtype: String, numel: Int) throws -> RNGCase {
    try #require(all().first { $0.seed == seed && $0.call == call && $0.dtype == dtype && $0.numel == numel })
  }
}

/// A large draw checked against the Python reference: an FNV-1a digest of all its bytes plus a few samples.
struct ReferenceDigest: Sendable, CustomTestStringConvertible {
  let seed: UInt64
  let normal: Bool
  let dtype: DType
  let count: Int
  let fnv: UInt64
  let samples: [Int: String]

  var testDescription: String { "seed \(seed) \(normal ? "randn" : "rand")(\(count)) \(dtype.rawValue)" }
}

/// The element bit patterns of a float tensor, widened to 64 bits.
private func bitPatterns(_ tensor: Tensor) -> [UInt64] {
  switch tensor.storage {
  case .float32(let values): values.map { UInt64($0.bitPattern) }
  case .float64(let values): values.map { $0.bitPattern }
  case .int64(let values): values.map { UInt64(bitPattern: $0) }
  case .bool(let values): values.map { $0 ? 1 : 0 }
  }
}

/// Reads the little-endian hex of a float's bytes (`"5815fe3e"`) as its bit pattern.
private func bitPattern(leHex: String) -> UInt64? {
  let bytes = Array(leHex)
  guard bytes.count % 2 == 0 else { return nil }
  let bigEndian = stride(from: bytes.count - 2, through: 0, by: -2).map { String(bytes[$0...$0 + 1]) }.joined()
  return UInt64(bigEndian, radix: 16)
}

/// FNV-1a over the little-endian bytes of each element, as the Python reference digests them.
private func fnv1a(_ tensor: Tensor) -> UInt64 {
  let width = tensor.dtype.byteWidth
  var hash: UInt64 = 0xCBF2_9CE4_8422_2325
  for bits in bitPatterns(tensor) {
    for byte in 0..<width {
      hash = (hash ^ (bits >> (8 * UInt64(byte)) & 0xFF)) &* 0x100_0000_01B3
    }
  }
  return hash
}

@Suite("TorchGenerator")
struct GeneratorTests {
  @Test("every rng.json case is bit-exact", arguments: try RNGCase.all())
  func fixtureCase(_ fixture: RNGCase) throws {
    let dtype = try #require(DType(rawValue: fixture.dtype))
    var generator = TorchGenerator(seed: fixture.seed)
    let tensor = fixture.call == "rand"
      ? generator.rand([fixture.numel], dtype: dtype)
      : generator.randn([fixture.numel], dtype: dtype)
    #expect(tensor.dtype == dtype)
    #expect(tensor.shape == [fixture.numel])
    #expect(bitPatterns(tensor) == fixture.leHex.map { bitPattern(leHex: $0) })
  }

  @Test("manual_seed(42); rand(2) prints tensor([0.8823, 0.9150])")
  func seed42Rand() throws {
    var generator = TorchGenerator()
    generator.manualSeed(42)
    let tensor = generator.rand([2], dtype: .float32)
    #expect(tensor.doubles.map { ($0 * 10_000).rounded() / 10_000 } == [0.8823, 0.9150])
    let recorded = try RNGCase.find(seed: 42, call: "rand", dtype: "float32", numel: 2)
    #expect(bitPatterns(tensor) == recorded.leHex.map { bitPattern(leHex: $0) })
  }

  @Test("the cached normal survives between calls", arguments: [DType.float32, .float64])
  func cachedNormalSurvives(_ dtype: DType) {
    var split = TorchGenerator(seed: 0)
    let first = split.randn([7], dtype: dtype)
    let second = split.randn([7], dtype: dtype)
    var whole = TorchGenerator(seed: 0)
    let both = whole.randn([14], dtype: dtype)
    #expect(bitPatterns(first) + bitPatterns(second) == bitPatterns(both))
    #expect(split.drawCount == whole.drawCount)
  }

  @Test("manualSeed clears the cached normal and the draw count")
  func manualSeedClearsCache() {
    var generator = TorchGenerator(seed: 5)
    let first = generator.randn([7], dtype: .float64)
    generator.manualSeed(5)
    #expect(generator.drawCount == 0)
    #expect(generator.seed == 5)
    #expect(bitPatterns(generator.randn([7], dtype: .float64)) == bitPatterns(first))
  }

  @Test("skip(n) leaves the stream where n draws would", arguments: [0, 1, 6, 623, 624, 625, 5000])
  func skipMatchesDrawing(_ n: Int) {
    var skipped = TorchGenerator(seed: 42)
    skipped.skip(n)
    var drawn = TorchGenerator(seed: 42)
    _ = drawn.rand([n], dtype: .float32)
    #expect(skipped.drawCount == n)
    #expect(bitPatterns(skipped.rand([4, 4], dtype: .float32)) == bitPatterns(drawn.rand([4, 4], dtype: .float32)))
  }

  @Test("drawCount counts 32-bit draws")
  func drawCount() {
    var generator = TorchGenerator(seed: 1)
    #expect(generator.drawCount == 0)
    _ = generator.rand([10], dtype: .float32)
    #expect(generator.drawCount == 10)
    _ = generator.rand([2, 5], dtype: .float64)
    #expect(generator.drawCount == 30)
    _ = generator.nextUInt32()
    _ = generator.nextUInt64()
    #expect(generator.drawCount == 33)

    generator.manualSeed(1)
    _ = generator.randn([3], dtype: .float32)  // two Box-Muller pairs, four uniform64 draws
    #expect(generator.drawCount == 8)
    _ = generator.randn([1], dtype: .float32)  // the cached sine half
    #expect(generator.drawCount == 8)
    _ = generator.randn([32], dtype: .float32)
    #expect(generator.drawCount == 40)
    _ = generator.randn([17], dtype: .float32)  // 17 uniforms, then 16 fresh ones for the tail block
    #expect(generator.drawCount == 73)
    _ = generator.randn([17], dtype: .float64)
    #expect(generator.drawCount == 73 + 66)
    _ = generator.rand([0], dtype: .float32)
    #expect(generator.drawCount == 139)
  }

  @Test("nextUInt64 puts the first draw in the high word")
  func nextUInt64HighWordFirst() {
    var words = TorchGenerator(seed: 9)
    let high = UInt64(words.nextUInt32())
    let low = UInt64(words.nextUInt32())
    var joined = TorchGenerator(seed: 9)
    #expect(joined.nextUInt64() == high << 32 | low)
  }

  @Test("the engine is std::mt19937: its 10000th output from seed 5489 is 4123659995")
  func engineIsStdMT19937() {
    var generator = TorchGenerator(seed: 5489)
    for _ in 1..<10_000 { _ = generator.nextUInt32() }
    #expect(generator.nextUInt32() == 4_123_659_995)
  }

  @Test("seeds: torch's default, and only the low 32 bits reach the engine")
  func seeds() {
    let fresh = TorchGenerator()
    #expect(fresh.seed == 67_280_421_310_721)
    #expect(fresh.seed == TorchGenerator.defaultSeed)
    var wide = TorchGenerator(seed: 1 << 32 | 42)
    var narrow = TorchGenerator(seed: 42)
    #expect(wide.seed == 1 << 32 | 42)
    #expect(bitPatterns(wide.rand([4], dtype: .float64)) == bitPatterns(narrow.rand([4], dtype: .float64)))
  }

  @Test("shapes are kept and elements drawn row-major")
  func shapes() {
    var generator = TorchGenerator(seed: 3)
    let scalar = generator.randn([], dtype: .float64)
    #expect(scalar.shape == [] && scalar.count == 1)
    let empty = generator.randn([0, 4], dtype: .float32)
    #expect(empty.shape == [0, 4] && empty.count == 0)

    generator.manualSeed(3)
    let matrix = generator.randn([4, 5], dtype: .float32)
    generator.manualSeed(3)
    let flat = generator.randn([20], dtype: .float32)
    #expect(matrix.shape == [4, 5])
    #expect(bitPatterns(matrix) == bitPatterns(flat))
  }

  @Test("large draws match the Python reference", arguments: [
    ReferenceDigest(
      seed: 42, normal: false, dtype: .float32, count: 5000, fnv: 0xFD47_8DB3_18EB_A8E6,
      samples: [0: "66dc613f", 1: "b33d6a3f", 2: "b806c43e", 999: "40f3f23c", 2500: "2dde693f",
                4998: "a2e0ae3e", 4999: "5b52063f"]),
    ReferenceDigest(
      seed: 42, normal: false, dtype: .float64, count: 5000, fnv: 0xB600_7C51_F36E_274A,
      samples: [0: "30dba3be6cc6ad3f", 999: "e0ebe70a6ddeda3f", 4999: "e87ad2a6baedd23f"]),
    ReferenceDigest(
      seed: 0, normal: true, dtype: .float32, count: 1000, fnv: 0x31AE_6782_1CA5_077E,
      samples: [0: "851b90bf", 7: "c15f07c0", 8: "3801a53e", 15: "7c367dbe", 16: "c223adbf",
                500: "4a2828be", 983: "1d090e3f", 984: "4ad34bbf", 991: "393ce23d", 992: "2580443f",
                999: "600f16bf"]),
    ReferenceDigest(
      seed: 0, normal: true, dtype: .float64, count: 1000, fnv: 0xD6D6_B1DF_372A_5A00,
      samples: [0: "dc62922eb97b02c0", 8: "15493886e3baf4bf", 500: "d4056309e8c1f6bf",
                984: "8c7e037a9544e2bf", 999: "38597ebf024ec0bf"]),
    ReferenceDigest(
      seed: 31337, normal: true, dtype: .float32, count: 4099, fnv: 0xB97E_F35D_24AF_BE02,
      samples: [0: "c675973f", 2048: "a523be3e", 4083: "850e71be", 4098: "974607be"]),
    ReferenceDigest(
      seed: 1, normal: true, dtype: .float32, count: 65543, fnv: 0x3845_FC2A_1155_66BC,
      samples: [0: "ba46c3bf", 32768: "5ad0973f", 65526: "596c3cbf", 65542: "5ea7fd3e"]),
  ])
  func largeDraw(_ expected: ReferenceDigest) {
    var generator = TorchGenerator(seed: expected.seed)
    let tensor = expected.normal
      ? generator.randn([expected.count], dtype: expected.dtype)
      : generator.rand([expected.count], dtype: expected.dtype)
    let bits = bitPatterns(tensor)
    #expect(fnv1a(tensor) == expected.fnv)
    for (index, hex) in expected.samples {
      #expect(bits[index] == bitPattern(leHex: hex), "element \(index)")
    }
  }

  @Test("the block path leaves the cached normal for the next small call")
  func blockPathKeepsCache() {
    var generator = TorchGenerator(seed: 7)
    let small = generator.randn([5], dtype: .float64)
    let block = generator.randn([100], dtype: .float32)
    let after = generator.randn([3], dtype: .float64)
    #expect(fnv1a(small) == 0xB457_FE64_4A01_07B9)
    #expect(fnv1a(block) == 0x4DF1_CA59_AECC_3537)
    #expect(bitPatterns(after) == ["850e93136ea2ecbf", "30532d3a5b14eabf", "425d9776672dedbf"].map {
      bitPattern(leHex: $0)
    })
  }
}
