// The text of a value as `str()`, `repr()` and `ascii()` give it, the `!s`/`!r`/`!a` conversions that apply them,
// and the character an int code names.

extension PythonFormat {
  /// A conversion `!r`, `!s` or `!a` applied before formatting; the result is always a string.
  static func convert(_ value: FormatArgument, _ conversion: Character) throws(FormatError) -> FormatArgument {
    switch conversion {
    case "s": return .string(str(value))
    case "r": return .string(repr(value))
    case "a": return .string(ascii(repr(value)))
    default: throw unknownConversion(conversion.unicodeScalars.first!)
    }
  }

  /// `str(value)`, as `%s` and `!s` show it.
  static func str(_ value: FormatArgument) -> String {
    switch value {
    case .int(let i): String(i)
    case .bool(let b): b ? "True" : "False"
    case .float(let x): floatRepr(x)
    case .string(let s): s
    case .other(let str, _, _): str
    }
  }

  /// `repr(value)`, as `%r` and `!r` show it.
  static func repr(_ value: FormatArgument) -> String {
    switch value {
    case .string(let s): stringRepr(s)
    case .other(_, let repr, _): repr
    default: str(value)
    }
  }

  /// Python's `repr(str)`: single quotes unless the text holds `'` and no `"`; control and non-printable
  /// characters escaped as `\xhh`, `\uhhhh` or `\Uhhhhhhhh`.
  static func stringRepr(_ s: String) -> String {
    let quote: Unicode.Scalar = s.unicodeScalars.contains("'") && !s.unicodeScalars.contains("\"") ? "\"" : "'"
    var out = String.UnicodeScalarView()
    out.append(quote)
    for scalar in s.unicodeScalars {
      switch scalar {
      case quote, "\\": out.append(contentsOf: ["\\", scalar])
      case "\t": out.append(contentsOf: "\\t".unicodeScalars)
      case "\n": out.append(contentsOf: "\\n".unicodeScalars)
      case "\r": out.append(contentsOf: "\\r".unicodeScalars)
      default:
        if scalar.value < 0x20 || scalar.value == 0x7F || (scalar.value > 0x7F && !isPrintable(scalar)) {
          out.append(contentsOf: escaped(scalar).unicodeScalars)
        } else {
          out.append(scalar)
        }
      }
    }
    out.append(quote)
    return String(out)
  }

  /// `ascii()` of an object whose repr is given: every non-ASCII character escaped.
  static func ascii(_ repr: String) -> String {
    var out = ""
    for scalar in repr.unicodeScalars {
      if scalar.isASCII { out.unicodeScalars.append(scalar) } else { out += escaped(scalar) }
    }
    return out
  }

  /// The character with code `code`, as `%c` and the `c` presentation type print it; a lone surrogate, which a
  /// Swift string cannot hold, comes out as U+FFFD.
  static func character(_ code: Int128) throws(FormatError) -> String {
    guard code >= 0 && code <= 0x10FFFF else {
      throw FormatError(type: "OverflowError", message: "%c arg not in range(0x110000)")
    }
    return Unicode.Scalar(UInt32(code)).map { String($0) } ?? String(decoding: [UInt16(code)], as: UTF16.self)
  }

  /// The error for a conversion other than `r`, `s` or `a`.
  static func unknownConversion(_ conversion: Unicode.Scalar) -> FormatError {
    let shown = conversion.value > 32 && conversion.value < 127
      ? String(conversion) : "\\x" + String(conversion.value, radix: 16)
    return valueError("Unknown conversion specifier \(shown)")
  }

  /// Python's `str.isprintable()` for one character: everything but the Other and Separator categories, space aside.
  private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator: false
    case .spaceSeparator: scalar == " "
    default: true
    }
  }

  /// `\xhh`, `\uhhhh` or `\Uhhhhhhhh`, the shortest that holds the character.
  private static func escaped(_ scalar: Unicode.Scalar) -> String {
    let (prefix, width) = scalar.value <= 0xFF ? ("\\x", 2) : scalar.value <= 0xFFFF ? ("\\u", 4) : ("\\U", 8)
    let hex = String(scalar.value, radix: 16)
    return prefix + String(repeating: "0", count: width - hex.count) + hex
  }
}
