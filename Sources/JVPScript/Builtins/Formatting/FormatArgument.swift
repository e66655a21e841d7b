// The values and errors of Python's string formatting, the `PythonFormat` namespace the other files in this folder
// extend, and the checks they share.

/// A value as Python's string formatting sees it.
enum FormatArgument {
  /// A Python int (bools are passed as `.bool`).
  case int(Int128)
  case bool(Bool)
  case float(Double)
  case string(String)
  /// Any other object: its str() and repr() already computed (tensors, lists, None, ...).
  case other(str: String, repr: String, typeName: String)
}

/// A formatting mistake: the Python exception type it raises ("ValueError", "TypeError", "KeyError", "IndexError",
/// "OverflowError") and CPython's own message text.
struct FormatError: Error, Equatable {
  let type: String
  let message: String
}

/// Python's string formatting, character for character as CPython 3.11 does it: `format()` and its format-spec
/// mini-language, the `!r`/`!s`/`!a` conversions, `%` printf-style formatting, and `str.format` template parsing.
///
/// The algorithms follow CPython's `Python/formatter_unicode.c`, `Python/pystrtod.c` (`format_float_short`),
/// `Objects/unicodeobject.c` (`PyUnicode_Format`) and `Objects/stringlib/unicode_format.h`; the decimal digits
/// come from Swift's shortest round-trip `description` and from the C library's correctly rounded `printf`.
enum PythonFormat {}

extension PythonFormat {
  static func valueError(_ message: String) -> FormatError { FormatError(type: "ValueError", message: message) }

  /// Widths and precisions beyond 2^28 characters are CPython's MemoryError here rather than a crash: CPython would
  /// try to allocate them.
  static func checkSize(_ count: Int) throws(FormatError) {
    if count > 1 << 28 { throw FormatError(type: "MemoryError", message: "") }
  }

  /// The value of a Unicode decimal digit (category Nd), as CPython's `Py_UNICODE_TODECIMAL`.
  static func decimalValue(_ c: Unicode.Scalar) -> Int? {
    if c.isASCII { return c >= "0" && c <= "9" ? Int(c.value - 48) : nil }
    guard c.properties.numericType == .decimal, let value = c.properties.numericValue else { return nil }
    return Int(value)
  }

  /// `value * 10 + digit`, or CPython's ValueError `message` when that would pass `limit`.
  static func appendingDigit(
    _ digit: Int, to value: Int, limit: Int = .max, message: String = "Too many decimal digits in format string"
  ) throws(FormatError) -> Int {
    if value > (limit - digit) / 10 { throw valueError(message) }
    return value * 10 + digit
  }
}
