/// Turning script bytes into the scalar array the lexer walks, and finding lines in it again.
///
/// The lexer works on `[Unicode.Scalar]` with integer indices so that every step is O(1) and a
/// column is just an index difference; these helpers keep the decoding and the line rules (`\n`,
/// `\r\n` or a lone `\r` ends a line) in one place, shared with `ScriptError.render(source:)`.
enum SourceText {
  /// U+FEFF at the very start of a file is a byte-order mark, skipped as Python skips it.
  static let byteOrderMark: Unicode.Scalar = "\u{FEFF}"

  /// The scalars of `source` without a leading byte-order mark.
  static func scalars(of source: String) -> [Unicode.Scalar] {
    var scalars = Array(source.unicodeScalars)
    if scalars.first == byteOrderMark { scalars.removeFirst() }
    return scalars
  }

  /// Decodes strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF) and drops a
  /// leading byte-order mark. The first invalid byte is reported at its line and column, counting
  /// the scalars decoded before it on its line.
  static func decode(_ bytes: [UInt8], file: String) throws(ScriptError) -> [Unicode.Scalar] {
    var scalars: [Unicode.Scalar] = []
    scalars.reserveCapacity(bytes.count)
    var index = 0
    while index < bytes.count {
      let lead = bytes[index]
      if lead < 0x80 {
        scalars.append(Unicode.Scalar(lead))
        index += 1
        continue
      }
      let length: Int
      var value: UInt32
      switch lead {
      case 0xC2...0xDF: (length, value) = (2, UInt32(lead & 0x1F))
      case 0xE0...0xEF: (length, value) = (3, UInt32(lead & 0x0F))
      case 0xF0...0xF4: (length, value) = (4, UInt32(lead & 0x07))
      default: throw invalidByte(lead, "not a valid start byte", after: scalars, file: file)
      }
      for offset in 1..<length {
        guard index + offset < bytes.count else {
          throw invalidByte(lead, "truncated sequence", after: scalars, file: file)
        }
        let next = bytes[index + offset]
        guard next & 0xC0 == 0x80 else {
          throw invalidByte(lead, "invalid continuation byte", after: scalars, file: file)
        }
        value = value << 6 | UInt32(next & 0x3F)
      }
      let smallest: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x1_0000
      guard value >= smallest else { throw invalidByte(lead, "overlong encoding", after: scalars, file: file) }
      guard let scalar = Unicode.Scalar(value) else {
        throw invalidByte(lead, "not a Unicode scalar value", after: scalars, file: file)
      }
      scalars.append(scalar)
      index += length
    }
    if scalars.first == byteOrderMark { scalars.removeFirst() }
    return scalars
  }

  private static func invalidByte(
    _ byte: UInt8, _ reason: String, after scalars: [Unicode.Scalar], file: String
  ) -> ScriptError {
    var withoutMark = scalars[...]
    if withoutMark.first == byteOrderMark { withoutMark = withoutMark.dropFirst() }
    return ScriptError(
      file: file, location: location(ofOffset: withoutMark.count, in: withoutMark),
      message: "invalid UTF-8 byte \(hex(byte)) (\(reason))", kind: .syntax)
  }

  /// `0xAB`: two upper-case hex digits.
  static func hex(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: true)
    return "0x" + (digits.count < 2 ? "0" + digits : digits)
  }

  /// The line and column of the scalar at `offset` (or of the end when `offset == scalars.count`).
  static func location(ofOffset offset: Int, in scalars: ArraySlice<Unicode.Scalar>) -> SourceLocation {
    var line = 1
    var lineStart = scalars.startIndex
    var index = scalars.startIndex
    let end = scalars.startIndex + offset
    while index < end {
      let scalar = scalars[index]
      index += 1
      if scalar == "\r", index < end, scalars[index] == "\n" { index += 1 }
      if scalar == "\n" || scalar == "\r" {
        line += 1
        lineStart = index
      }
    }
    return SourceLocation(line: line, column: end - lineStart + 1)
  }

  /// The scalars of 1-based line `number` without its line break, or nil past the last line.
  static func line(_ number: Int, of scalars: [Unicode.Scalar]) -> ArraySlice<Unicode.Scalar>? {
    guard number >= 1 else { return nil }
    var line = 1
    var index = 0
    var start = 0
    while index < scalars.count {
      let scalar = scalars[index]
      if scalar == "\n" || scalar == "\r" {
        if line == number { return scalars[start..<index] }
        index += scalar == "\r" && index + 1 < scalars.count && scalars[index + 1] == "\n" ? 2 : 1
        line += 1
        start = index
      } else {
        index += 1
      }
    }
    return line == number ? scalars[start..<index] : nil
  }
}
