import Foundation

/// Packs fixed-width values into the little-endian bytes of the store's blobs, and back,
/// whatever the host's byte order.
enum LittleEndian {
  static func bytes<T: FixedWidthInteger>(_ values: [T]) -> Data {
    bytes(values) { $0 }
  }

  /// The bytes of `bits(value)` for each of `values`: floats by their bit patterns, with no
  /// intermediate array of them.
  static func bytes<Element, T: FixedWidthInteger>(_ values: [Element], as bits: (Element) -> T) -> Data {
    let width = MemoryLayout<T>.size
    var data = Data(count: values.count * width)
    data.withUnsafeMutableBytes { raw in
      for (i, value) in values.enumerated() {
        raw.storeBytes(of: bits(value).littleEndian, toByteOffset: i * width, as: T.self)
      }
    }
    return data
  }

  /// The values in `data`; a trailing partial value is ignored.
  static func values<T: FixedWidthInteger>(_ data: Data, as _: T.Type) -> [T] {
    let width = MemoryLayout<T>.size
    return data.withUnsafeBytes { raw in
      (0..<raw.count / width).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * width, as: T.self)) }
    }
  }
}
