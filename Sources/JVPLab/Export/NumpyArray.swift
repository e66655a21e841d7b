import Foundation
import JVPStore

/// numpy's `.npy` format, version 1.0: the 6-byte magic, the version, a little-endian header length, a
/// Python dict literal naming dtype, order and shape padded to a multiple of 64 bytes, then the elements.
///
/// The store already keeps elements little-endian and row-major, so an array is the header followed by
/// the stored bytes unchanged; `numpy.load` reads it as `<f4`, `<f8`, `<i8` or `|b1`.
public enum NumpyArray {
  /// The `descr` numpy gives each stored dtype.
  public static func descr(_ dtype: TensorDType) -> String {
    switch dtype {
    case .float32: "<f4"
    case .float64: "<f8"
    case .int64: "<i8"
    case .bool: "|b1"
    }
  }

  /// The shape as a Python tuple: `()`, `(3,)`, `(2, 3)`.
  static func tuple(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
  }

  /// The magic, version, header length and the header dict padded with spaces and a newline, as
  /// `numpy.lib.format.write_array_header_1_0` writes it (64-byte alignment).
  public static func header(dtype: TensorDType, shape: [Int]) -> Data {
    var dict = "{'descr': '\(descr(dtype))', 'fortran_order': False, 'shape': \(tuple(shape)), }"
    let prefixLength = 10
    let unpadded = prefixLength + dict.utf8.count + 1
    dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    let length = UInt16(dict.utf8.count)
    data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
    data.append(contentsOf: Array(dict.utf8))
    return data
  }

  /// The whole `.npy` file of a stored tensor; nil when only its digest and summary were stored.
  public static func file(_ tensor: StoredTensor) -> Data? {
    guard let data = tensor.data else { return nil }
    return header(dtype: tensor.dtype, shape: tensor.shape) + data
  }

  /// The array's name in an archive and in file names: the role, then each index joined by `_`
  /// (`output`, `input_0`, `jacobian_0_1`).
  public static func memberName(_ tensor: StoredTensor) -> String {
    ([tensor.role] + tensor.index.map(String.init)).joined(separator: "_")
  }
}
