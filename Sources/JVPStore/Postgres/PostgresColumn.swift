import Foundation
import NIOCore
import PostgresNIO

/// One column of many rows, bound as a single PostgreSQL array parameter (NULL elements allowed), so
/// that `INSERT ... SELECT ... FROM unnest($1, $2, ...)` writes all of a run's tensors (or timings, tags,
/// ...) in one statement. postgres-nio's own arrays take no NULL elements; this writes the binary
/// array format itself: dimensions, a NULL flag, the element type, then each element's length and bytes.
struct PostgresColumn: PostgresDynamicTypeEncodable {
  enum Values {
    case text([String?])
    case int8([Int64?])
    case float8([Double?])
    case bytea([Data?])
  }

  var values: Values

  static func text(_ values: [String?]) -> PostgresColumn { PostgresColumn(values: .text(values)) }
  static func int8(_ values: [Int64?]) -> PostgresColumn { PostgresColumn(values: .int8(values)) }
  static func float8(_ values: [Double?]) -> PostgresColumn { PostgresColumn(values: .float8(values)) }
  static func bytea(_ values: [Data?]) -> PostgresColumn { PostgresColumn(values: .bytea(values)) }

  var psqlType: PostgresDataType {
    switch values {
    case .text: .textArray
    case .int8: .int8Array
    case .float8: .float8Array
    case .bytea: .byteaArray
    }
  }

  var psqlFormat: PostgresFormat { .binary }

  func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
    switch values {
    case .text(let values): Self.write(values, element: 25, into: &buffer) { buffer, text in buffer.writeString(text) }
    case .int8(let values): Self.write(values, element: 20, into: &buffer) { buffer, value in buffer.writeInteger(value) }
    case .float8(let values):
      // As SQLite stores a REAL: NaN as NULL, and -0.0 as 0.0.
      Self.write(values.map { $0?.isNaN == true ? nil : $0 }, element: 701, into: &buffer) { buffer, value in
        buffer.writeInteger((value == 0 ? 0 : value).bitPattern)
      }
    case .bytea(let values): Self.write(values, element: 17, into: &buffer) { buffer, data in buffer.writeBytes(data) }
    }
  }

  private static func write<T>(
    _ values: [T?], element: Int32, into buffer: inout ByteBuffer, _ writeElement: (inout ByteBuffer, T) -> Void
  ) {
    buffer.writeInteger(Int32(1))  // one dimension
    buffer.writeInteger(Int32(values.contains { $0 == nil } ? 1 : 0))
    buffer.writeInteger(element)
    buffer.writeInteger(Int32(values.count))
    buffer.writeInteger(Int32(1))  // lower bound
    for value in values {
      guard let value else {
        buffer.writeInteger(Int32(-1))
        continue
      }
      let lengthIndex = buffer.writerIndex
      buffer.writeInteger(Int32(0))
      writeElement(&buffer, value)
      buffer.setInteger(Int32(buffer.writerIndex - lengthIndex - 4), at: lengthIndex)
    }
  }
}

extension PostgresBindings {
  /// Binds a filter or raw value as its PostgreSQL type.
  mutating func append(_ value: SQLValue) {
    switch value {
    case .null: appendNull()
    case .integer(let integer): append(integer)
    case .real(let real): append(real)
    case .text(let text): append(text)
    case .blob(let data): append(ByteBuffer(bytes: data))
    }
  }
}
