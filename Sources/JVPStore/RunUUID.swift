import Foundation
import GRDB

/// The stable identity of runs and sweeps across stores (v0008): random version 4 UUIDs, lowercase.
public enum RunUUID {
  /// The `uuid:` that starts a RUN reference naming a run by its UUID or a prefix of it.
  public static let referencePrefix = "uuid:"

  /// A new random version 4 UUID, `0f8e2c1a-93b4-4c55-8d1e-2b7f9a6c3e10`.
  ///
  /// Written straight from 16 bytes of one `getentropy` call, version and variant bits set as RFC 9562 says:
  /// Foundation's `UUID()` opened, read and closed /dev/urandom for every run recorded.
  public static func random() -> String {
    var bytes: (UInt64, UInt64) = (0, 0)
    withUnsafeMutableBytes(of: &bytes) { raw in
      if getentropy(raw.baseAddress, raw.count) != 0 {
        var generator = SystemRandomNumberGenerator()
        raw.storeBytes(of: generator.next() as UInt64, as: UInt64.self)
        raw.storeBytes(of: generator.next() as UInt64, toByteOffset: 8, as: UInt64.self)
      }
      raw[6] = (raw[6] & 0x0f) | 0x40
      raw[8] = (raw[8] & 0x3f) | 0x80
    }
    return withUnsafeBytes(of: bytes) { raw in
      String(unsafeUninitializedCapacity: 36) { text in
        var position = 0
        for (offset, byte) in raw.enumerated() {
          if offset == 4 || offset == 6 || offset == 8 || offset == 10 {
            text[position] = UInt8(ascii: "-")
            position += 1
          }
          text[position] = hexDigits[Int(byte >> 4)]
          text[position + 1] = hexDigits[Int(byte & 0xf)]
          position += 2
        }
        return position
      }
    }
  }

  private static let hexDigits = Array("0123456789abcdef".utf8)

  /// `prefix` lowercased when it could start a stored UUID (hex digits and dashes), else nil.
  static func normalized(_ prefix: String) -> String? {
    let lowered = prefix.lowercased()
    guard !lowered.isEmpty, lowered.count <= 36, lowered.allSatisfy({ $0 == "-" || $0.isHexDigit }) else { return nil }
    return lowered
  }

  /// The ids and UUIDs of the runs whose UUID starts with `prefix`, at most `limit`, by UUID.
  ///
  /// A range over the unique index rather than LIKE (case-insensitive, so no index): every UUID starting
  /// with the prefix sorts between it and the prefix followed by `~`, which sorts after hex digits and `-`.
  static func runs(startingWith prefix: String, limit: Int, _ db: Database) throws -> [(id: Int64, uuid: String)] {
    try Row.fetchAll(
      db, sql: "SELECT id, uuid FROM runs WHERE uuid >= ? AND uuid < ? ORDER BY uuid LIMIT ?",
      arguments: [prefix, prefix + "~", limit]
    ).map { ($0["id"], $0["uuid"]) }
  }
}

extension RunUUID {
  /// The run a `uuid:PREFIX` reference names in the store at `location`: the one run whose UUID starts with
  /// PREFIX (case ignored), found by `matches` (at most 3 ids and UUIDs, by UUID). An unknown or ambiguous
  /// prefix is an error naming it; removed runs count, as ids do.
  static func resolve(
    _ text: String, reference: String, in location: String,
    matches: (_ prefix: String) throws(StoreError) -> [(id: Int64, uuid: String)]
  ) throws(StoreError) -> Int64 {
    guard let prefix = normalized(text) else {
      throw StoreError(.badReference, "'\(reference)' is not a run reference: uuid: takes the start of a run's UUID (hex digits and -)")
    }
    let found = try matches(prefix)
    switch found.count {
    case 0:
      throw StoreError(.noSuchRun, "no run with a UUID starting \(prefix) in \(location)")
    case 1:
      return found[0].id
    default:
      let listed = found.prefix(2).map { "run \($0.id) (\($0.uuid))" }.joined(separator: ", ")
      let more = found.count > 2 ? " and more" : ""
      throw StoreError(.badReference, "\(reference) is ambiguous in \(location): \(listed)\(more) start so; give more digits")
    }
  }
}

extension RunStore {
  /// The run a `uuid:PREFIX` reference names (see `RunUUID.resolve`).
  func resolve(uuidPrefix text: String, reference: String) throws(StoreError) -> Int64 {
    try RunUUID.resolve(text, reference: reference, in: path) { prefix throws(StoreError) in
      try guarded { try reader.read { try RunUUID.runs(startingWith: prefix, limit: 3, $0) } }
    }
  }
}
