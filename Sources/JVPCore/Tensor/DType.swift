/// The element types a tensor can hold, named as PyTorch names them.
///
/// Only the floating types can be differentiated; `int64` exists for creation, indexing and display, `bool` for
/// the results of comparisons.
public enum DType: String, Sendable, CaseIterable, Codable {
  case float32
  case float64
  case int64
  case bool

  /// Whether values of this type can carry tangents and cotangents.
  public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

  /// Bytes per element in storage and in the database's little-endian blobs.
  public var byteWidth: Int {
    switch self {
    case .bool: 1
    case .float32: 4
    case .float64, .int64: 8
    }
  }

  /// PyTorch's spelling, `torch.float32`.
  public var torchName: String { "torch.\(rawValue)" }

  /// The type of a result that combines two tensors, as PyTorch's type promotion decides it.
  public static func promote(_ a: DType, _ b: DType) -> DType {
    if a == b { return a }
    if a == .float64 || b == .float64 { return .float64 }
    return .float32
  }
}
