import Foundation

/// The element types the store holds; raw values are the spellings in the database and the run object.
public enum TensorDType: String, Codable, Sendable, CaseIterable {
  case float32
  case float64
  case int64
  case bool

  /// Bytes per element in the little-endian data blob.
  public var byteWidth: Int {
    switch self {
    case .bool: 1
    case .float32: 4
    case .float64, .int64: 8
    }
  }
}

/// A tensor's elements decoded from the store's little-endian bytes, one case per dtype.
public enum TensorElements: Sendable, Equatable {
  case float32([Float])
  case float64([Double])
  case int64([Int64])
  /// One byte per element, 0 or 1.
  case bool([Bool])
}

/// Statistics kept for every tensor, and all that remains of one too large to store whole.
///
/// `min`, `max` and `mean` cover the finite elements only (nil when there are none), so a single
/// NaN does not hide the range of the rest; NaNs and infinities are counted instead.
/// For int64 they are the nearest doubles.
public struct TensorSummary: Codable, Sendable, Equatable {
  public var min: Double?
  public var max: Double?
  public var mean: Double?
  public var nanCount: Int
  public var infCount: Int

  public init(min: Double?, max: Double?, mean: Double?, nanCount: Int, infCount: Int) {
    self.min = min
    self.max = max
    self.mean = mean
    self.nanCount = nanCount
    self.infCount = infCount
  }
}

/// One tensor of a run: where it sits in the call, its type and shape, its bytes, and a digest.
///
/// Build one from bytes or elements; the initializer checks that they fill the shape and computes
/// the digest and summary. `data` is nil on a tensor read back from the store when it had more
/// elements than the store's limit (`isSummarized`): its digest and summary are still there.
public struct StoredTensor: Codable, Sendable, Equatable {
  /// `input`, `tangent`, `cotangent`, `output`, `jvp`, `vjp`, `jacobian`, `hessian`, `hvp`, `vhp`.
  public var role: String
  /// Position in the returned nesting: `[i]`, or `[i_out, j_in]` for tuple jacobians.
  public var index: [Int]
  /// The argument name, for inputs.
  public var name: String?
  public let dtype: TensorDType
  /// Sizes of the dimensions, `[]` for a 0-d tensor.
  public let shape: [Int]
  /// Flat row-major elements, little-endian; nil when only the summary was stored.
  public let data: Data?
  /// FNV-1a 64 of dtype, shape and data (see `digest(dtype:shape:data:)`): equal tensors have equal digests.
  public let digest: UInt64
  public let summary: TensorSummary

  /// Wraps little-endian `data` of `shape`; throws `invalidInput` if the bytes do not fill the shape.
  public init(
    role: String, index: [Int], name: String? = nil, dtype: TensorDType, shape: [Int], data: Data
  ) throws(StoreError) {
    let count = try Self.elementCount(shape)
    guard Self.fits(data, dtype: dtype, count: count) else {
      throw StoreError(
        .invalidInput, "tensor \(role)\(index) of shape \(shape) needs \(count) \(dtype.rawValue) elements, got \(data.count) bytes")
    }
    self.init(
      role: role, index: index, name: name, dtype: dtype, shape: shape, data: data,
      digest: Self.digest(dtype: dtype, shape: shape, data: data), summary: Self.summarize(dtype: dtype, data: data))
  }

  /// Wraps `elements` of `shape`, encoding them little-endian bit for bit (NaN payloads, -0.0 included).
  public init(role: String, index: [Int], name: String? = nil, shape: [Int], elements: TensorElements) throws(StoreError) {
    let (dtype, data): (TensorDType, Data) =
      switch elements {
      case .float32(let values): (.float32, LittleEndian.bytes(values, as: \.bitPattern))
      case .float64(let values): (.float64, LittleEndian.bytes(values, as: \.bitPattern))
      case .int64(let values): (.int64, LittleEndian.bytes(values))
      case .bool(let values): (.bool, Data(values.map { $0 ? 1 : 0 }))
      }
    try self.init(role: role, index: index, name: name, dtype: dtype, shape: shape, data: data)
  }

  /// Decodes a tensor, refusing one whose data does not fill its shape (the digest and summary are trusted).
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    role = try container.decode(String.self, forKey: .role)
    index = try container.decode([Int].self, forKey: .index)
    name = try container.decodeIfPresent(String.self, forKey: .name)
    dtype = try container.decode(TensorDType.self, forKey: .dtype)
    shape = try container.decode([Int].self, forKey: .shape)
    data = try container.decodeIfPresent(Data.self, forKey: .data)
    digest = try container.decode(UInt64.self, forKey: .digest)
    summary = try container.decode(TensorSummary.self, forKey: .summary)
    guard let count = try? Self.elementCount(shape), data.map({ Self.fits($0, dtype: dtype, count: count) }) ?? true else {
      throw DecodingError.dataCorruptedError(
        forKey: .data, in: container, debugDescription: "data does not fill shape \(shape) of \(dtype.rawValue)")
    }
  }

  /// A tensor as stored, trusting the database for the digest and summary.
  init(
    role: String, index: [Int], name: String?, dtype: TensorDType, shape: [Int], data: Data?,
    digest: UInt64, summary: TensorSummary
  ) {
    self.role = role
    self.index = index
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.data = data
    self.digest = digest
    self.summary = summary
  }

  /// The number of elements, the product of `shape` (which every initializer checks does not overflow).
  public var elementCount: Int { shape.contains(0) ? 0 : shape.reduce(1, *) }

  /// True when only the shape, digest and summary were stored because the tensor was over the limit.
  public var isSummarized: Bool { data == nil }

  /// The digest as the 16 lowercase hex digits stored in the database.
  public var digestHex: String {
    // Written in place: every recorded tensor's digest goes through here.
    String(unsafeUninitializedCapacity: 16) { buffer in
      for position in 0..<16 {
        let nibble = UInt8(truncatingIfNeeded: digest >> UInt64(60 - 4 * position)) & 0xf
        buffer[position] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
      }
      return 16
    }
  }

  /// The elements decoded from `data`, or nil for a summarized tensor.
  public var elements: TensorElements? {
    guard let data else { return nil }
    return switch dtype {
    case .float32: .float32(LittleEndian.values(data, as: UInt32.self).map(Float.init(bitPattern:)))
    case .float64: .float64(LittleEndian.values(data, as: UInt64.self).map(Double.init(bitPattern:)))
    case .int64: .int64(LittleEndian.values(data, as: Int64.self))
    case .bool: .bool(data.map { $0 != 0 })
    }
  }

  // MARK: - Digest and summary

  /// 64-bit FNV-1a over the dtype's name, a zero byte, the rank and each dimension as little-endian
  /// UInt64, then the data bytes. Digests are stored, so this function must never change.
  public static func digest(dtype: TensorDType, shape: [Int], data: Data) -> UInt64 {
    var hash = FNV1a()
    for byte in dtype.rawValue.utf8 { hash.mix(byte) }
    hash.mix(UInt8(0))
    hash.mix(UInt64(shape.count))
    for dimension in shape { hash.mix(UInt64(bitPattern: Int64(dimension))) }
    data.withUnsafeBytes { bytes in
      for byte in bytes { hash.mix(byte) }
    }
    return hash.value
  }

  /// 64-bit FNV-1a, a byte at a time. A struct rather than closures over a local: those paid an
  /// exclusivity check per byte.
  private struct FNV1a {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func mix(_ byte: UInt8) {
      value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    /// The eight bytes of `word`, least significant first.
    mutating func mix(_ word: UInt64) {
      for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
    }
  }

  private static func summarize(dtype: TensorDType, data: Data) -> TensorSummary {
    var low = Double.infinity
    var high = -Double.infinity
    var sum = 0.0
    var finite = 0
    var nans = 0
    var infinities = 0
    func add(_ value: Double) {
      if value.isNaN {
        nans += 1
      } else if value.isInfinite {
        infinities += 1
      } else {
        low = Swift.min(low, value)
        high = Swift.max(high, value)
        sum += value
        finite += 1
      }
    }
    data.withUnsafeBytes { raw in
      switch dtype {
      case .float32:
        for i in 0..<raw.count / 4 {
          add(Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))))
        }
      case .float64:
        for i in 0..<raw.count / 8 {
          add(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
        }
      case .int64:
        for i in 0..<raw.count / 8 {
          add(Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))))
        }
      case .bool:
        for byte in raw { add(byte != 0 ? 1 : 0) }
      }
    }
    guard finite > 0 else { return TensorSummary(min: nil, max: nil, mean: nil, nanCount: nans, infCount: infinities) }
    return TensorSummary(min: low, max: high, mean: sum / Double(finite), nanCount: nans, infCount: infinities)
  }

  // MARK: - Shapes

  /// Whether `data` holds exactly `count` elements of `dtype`.
  static func fits(_ data: Data, dtype: TensorDType, count: Int) -> Bool {
    data.count % dtype.byteWidth == 0 && data.count / dtype.byteWidth == count
  }

  static func elementCount(_ shape: [Int]) throws(StoreError) -> Int {
    // An empty tensor whose other sizes alone would overflow (rank 100 of 23s, then a 0) is valid.
    if shape.contains(0) && shape.allSatisfy({ $0 >= 0 }) { return 0 }
    var count = 1
    for dimension in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
      guard dimension >= 0, !overflow else {
        throw StoreError(.invalidInput, "tensor shape \(shape) is not a valid shape")
      }
      count = product
    }
    return count
  }
}
