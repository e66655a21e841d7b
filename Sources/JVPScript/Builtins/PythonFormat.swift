#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

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

/// A piece of a `str.format` template.
enum TemplatePart: Equatable {
  case literal(String)
  /// `name` is the field name with auto-numbered `{}` resolved to "0", "1", ..., its `.attr` / `[key]` accessors
  /// left in for the caller to apply; `spec` is the raw format spec, whose nested auto-numbered fields are
  /// likewise rewritten as `{1}`, ... so that formatting them later keeps CPython's numbering.
  case field(name: String, conversion: Character?, spec: String)
}

/// Python's string formatting, character for character as CPython 3.11 does it: `format()` and its format-spec
/// mini-language, the `!r`/`!s`/`!a` conversions, `%` printf-style formatting, and `str.format` template parsing.
///
/// The algorithms follow CPython's `Python/formatter_unicode.c`, `Python/pystrtod.c` (`format_float_short`),
/// `Objects/unicodeobject.c` (`PyUnicode_Format`) and `Objects/stringlib/unicode_format.h`; the decimal digits
/// come from Swift's shortest round-trip `description` and from the C library's correctly rounded `printf`.
enum PythonFormat {
  /// `format(value, spec)`, the `{x:spec}` of f-strings and `str.format`.
  ///
  /// A non-empty spec on `.other` is CPython's `object.__format__` TypeError; callers pass a 0-d tensor's item
  /// instead, as PyTorch's `Tensor.__format__` does.
  static func format(_ value: FormatArgument, spec: String) throws(FormatError) -> String {
    let spec = Array(spec.unicodeScalars)
    switch value {
    case .string(let s):
      return spec.isEmpty ? s : try formatString(s, spec: spec)
    case .int(let i):
      return spec.isEmpty ? String(i) : try formatInt(i, spec: spec, typeName: "int")
    case .bool(let b):
      return spec.isEmpty ? (b ? "True" : "False") : try formatInt(b ? 1 : 0, spec: spec, typeName: "bool")
    case .float(let x):
      return spec.isEmpty ? floatRepr(x) : try formatFloat(x, spec: spec)
    case .other(let str, _, let typeName):
      guard spec.isEmpty else {
        throw FormatError(type: "TypeError", message: "unsupported format string passed to \(typeName).__format__")
      }
      return str
    }
  }

  /// A conversion `!r`, `!s` or `!a` applied before formatting; the result is always a string.
  static func convert(_ value: FormatArgument, _ conversion: Character) throws(FormatError) -> FormatArgument {
    switch conversion {
    case "s": return .string(str(value))
    case "r": return .string(repr(value))
    case "a": return .string(ascii(repr(value)))
    default: throw unknownConversion(conversion.unicodeScalars.first!)
    }
  }

  /// `template % args`, printf-style.
  ///
  /// `args` is the right operand as positional items: a tuple's items, or the single value. `mapping` is given when
  /// the right operand is a dict; then `args` holds the dict itself as its one item, which a key-less `%s` formats.
  static func percent(
    _ template: String, _ args: [FormatArgument], mapping: [String: FormatArgument]?
  ) throws(FormatError) -> String {
    var formatter = PercentFormatter(template: Array(template.unicodeScalars), args: args, mapping: mapping)
    return try formatter.run()
  }

  /// The parts of a `str.format` template: literal text with `{{`/`}}` unescaped, adjacent pieces merged, and the
  /// replacement fields `{field_name!conversion:format_spec}` in order.
  static func parseTemplate(_ template: String) throws(FormatError) -> [TemplatePart] {
    var numbering = FieldNumbering()
    return try TemplateParser.parse(Array(template.unicodeScalars), depth: 2, numbering: &numbering)
  }
}

// MARK: - str(), repr(), ascii()

extension PythonFormat {
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

  /// The Python type name CPython's messages quote.
  fileprivate static func typeName(_ value: FormatArgument) -> String {
    switch value {
    case .int: "int"
    case .bool: "bool"
    case .float: "float"
    case .string: "str"
    case .other(_, _, let typeName): typeName
    }
  }

  fileprivate static func unknownConversion(_ conversion: Unicode.Scalar) -> FormatError {
    let shown = conversion.value > 32 && conversion.value < 127
      ? String(conversion) : "\\x" + String(conversion.value, radix: 16)
    return FormatError(type: "ValueError", message: "Unknown conversion specifier \(shown)")
  }
}

// MARK: - The format-spec mini-language

/// A parsed `[[fill]align][sign][z][#][0][width][grouping][.precision][type]`.
private struct FormatSpec {
  var fill: Unicode.Scalar = " "
  var align: Unicode.Scalar
  var sign: Unicode.Scalar?
  var noNegativeZero = false
  var alternate = false
  var width = -1
  /// "," or "_"; `groupSize` is 4 for `_` with `b`, `o`, `x`, `X`.
  var separator: Unicode.Scalar?
  var groupSize = 3
  var precision = -1
  var type: Unicode.Scalar?

  /// CPython's `parse_internal_render_format_spec`, with the type's default alignment and presentation type.
  init(
    _ spec: [Unicode.Scalar], defaultAlign: Unicode.Scalar, defaultType: Unicode.Scalar?, typeName: String
  ) throws(FormatError) {
    align = defaultAlign
    type = defaultType
    var pos = 0
    let end = spec.count
    var fillSpecified = false
    var alignSpecified = false
    if end - pos >= 2 && Self.isAlign(spec[pos + 1]) {
      fill = spec[pos]
      align = spec[pos + 1]
      fillSpecified = true
      alignSpecified = true
      pos += 2
    } else if end - pos >= 1 && Self.isAlign(spec[pos]) {
      align = spec[pos]
      alignSpecified = true
      pos += 1
    }
    if pos < end && "+- ".unicodeScalars.contains(spec[pos]) {
      sign = spec[pos]
      pos += 1
    }
    if pos < end && spec[pos] == "z" {
      noNegativeZero = true
      pos += 1
    }
    if pos < end && spec[pos] == "#" {
      alternate = true
      pos += 1
    }
    if !fillSpecified && pos < end && spec[pos] == "0" {
      fill = "0"
      if !alignSpecified && defaultAlign == ">" { align = "=" }
      pos += 1
    }
    if let w = try Self.integer(spec, &pos) { width = w }
    if pos < end && spec[pos] == "," {
      separator = ","
      pos += 1
    }
    if pos < end && spec[pos] == "_" {
      if separator != nil { throw valueError("Cannot specify both ',' and '_'.") }
      separator = "_"
      pos += 1
    }
    if pos < end && spec[pos] == "," {
      if separator == "_" { throw valueError("Cannot specify both ',' and '_'.") }
    }
    if pos < end && spec[pos] == "." {
      pos += 1
      guard let p = try Self.integer(spec, &pos) else { throw valueError("Format specifier missing precision") }
      precision = p
    }
    if end - pos > 1 {
      let text = String(String.UnicodeScalarView(spec))
      throw valueError("Invalid format specifier '\(text)' for object of type '\(typeName)'")
    }
    if pos < end { type = spec[pos] }
    if let separator {
      switch type {
      case nil, "d", "e", "f", "g", "E", "G", "%", "F": break
      case let type? where separator == "_" && "boxX".unicodeScalars.contains(type): groupSize = 4
      default:
        throw valueError("Cannot specify '\(separator)' with '\(Self.shown(type ?? "\0"))'.")
      }
    }
  }

  private static func isAlign(_ c: Unicode.Scalar) -> Bool { "<>=^".unicodeScalars.contains(c) }

  /// A run of decimal digits (any script, as CPython accepts), or nil when there is none.
  private static func integer(_ spec: [Unicode.Scalar], _ pos: inout Int) throws(FormatError) -> Int? {
    var value = 0
    let start = pos
    while pos < spec.count, let digit = decimalValue(spec[pos]) {
      if value > (Int.max - digit) / 10 { throw valueError("Too many decimal digits in format string") }
      value = value * 10 + digit
      pos += 1
    }
    return pos == start ? nil : value
  }

  /// A presentation type as CPython's messages show it: the character, or `\x..` outside printable ASCII.
  static func shown(_ c: Unicode.Scalar) -> String {
    c.value > 32 && c.value < 128 ? String(c) : "\\x" + String(c.value, radix: 16)
  }
}

private func valueError(_ message: String) -> FormatError { FormatError(type: "ValueError", message: message) }

/// Widths and precisions beyond 2^28 characters are CPython's MemoryError here rather than a crash: CPython would
/// try to allocate them.
private func checkSize(_ count: Int) throws(FormatError) {
  if count > 1 << 28 { throw FormatError(type: "MemoryError", message: "") }
}

/// The value of a Unicode decimal digit (category Nd), as CPython's `Py_UNICODE_TODECIMAL`.
private func decimalValue(_ c: Unicode.Scalar) -> Int? {
  if c.isASCII { return c >= "0" && c <= "9" ? Int(c.value - 48) : nil }
  guard c.properties.numericType == .decimal, let value = c.properties.numericValue else { return nil }
  return Int(value)
}

private func unknownCode(_ type: Unicode.Scalar?, _ typeName: String) -> FormatError {
  valueError("Unknown format code '\(FormatSpec.shown(type ?? "\0"))' for object of type '\(typeName)'")
}

extension PythonFormat {
  private static func formatString(_ s: String, spec: [Unicode.Scalar]) throws(FormatError) -> String {
    let spec = try FormatSpec(spec, defaultAlign: "<", defaultType: "s", typeName: "str")
    guard spec.type == "s" else { throw unknownCode(spec.type, "str") }
    if spec.sign == " " { throw valueError("Space not allowed in string format specifier") }
    if spec.sign != nil { throw valueError("Sign not allowed in string format specifier") }
    if spec.noNegativeZero {
      throw valueError("Negative zero coercion (z) not allowed in string format specifier")
    }
    if spec.alternate { throw valueError("Alternate form (#) not allowed in string format specifier") }
    if spec.align == "=" { throw valueError("'=' alignment not allowed in string format specifier") }
    try checkSize(spec.width)
    var scalars = Array(s.unicodeScalars)
    if spec.precision >= 0 && scalars.count > spec.precision { scalars.removeLast(scalars.count - spec.precision) }
    let padding = max(0, spec.width - scalars.count)
    let left = spec.align == ">" ? padding : spec.align == "^" ? padding / 2 : 0
    let fill = String(spec.fill)
    return String(repeating: fill, count: left) + String(String.UnicodeScalarView(scalars))
      + String(repeating: fill, count: padding - left)
  }

  private static func formatInt(_ value: Int128, spec: [Unicode.Scalar], typeName: String) throws(FormatError) -> String {
    let spec = try FormatSpec(spec, defaultAlign: ">", defaultType: "d", typeName: typeName)
    let base: Int
    switch spec.type {
    case "d", "n": base = 10
    case "b": base = 2
    case "o": base = 8
    case "x", "X": base = 16
    case "c": return try formatCharacter(value, spec: spec)
    case "e", "E", "f", "F", "g", "G", "%": return try formatFloat(Double(value), spec: spec)
    default: throw unknownCode(spec.type, typeName)
    }
    if spec.precision >= 0 { throw valueError("Precision not allowed in integer format specifier") }
    if spec.noNegativeZero {
      throw valueError("Negative zero coercion (z) not allowed in integer format specifier")
    }
    let digits = String(value.magnitude, radix: base, uppercase: spec.type == "X")
    let prefix = spec.alternate && base != 10 ? "0" + String(spec.type!) : ""
    return try layOut(
      NumberParts(negative: value < 0, prefix: prefix, digits: Array(digits.unicodeScalars), remainder: ""), spec)
  }

  /// The `c` presentation type: the int as a character, laid out like a number without digits.
  private static func formatCharacter(_ value: Int128, spec: FormatSpec) throws(FormatError) -> String {
    if spec.precision >= 0 { throw valueError("Precision not allowed in integer format specifier") }
    if spec.noNegativeZero {
      throw valueError("Negative zero coercion (z) not allowed in integer format specifier")
    }
    if spec.sign != nil { throw valueError("Sign not allowed with integer format specifier 'c'") }
    if spec.alternate { throw valueError("Alternate form (#) not allowed with integer format specifier 'c'") }
    guard value.magnitude <= UInt64(Int64.max) else {
      throw FormatError(type: "OverflowError", message: "Python int too large to convert to C long")
    }
    guard value >= 0 && value <= 0x10FFFF else {
      throw FormatError(type: "OverflowError", message: "%c arg not in range(0x110000)")
    }
    let character = Unicode.Scalar(UInt32(value)).map { String($0) } ?? String(decoding: [UInt16(value)], as: UTF16.self)
    return try layOut(NumberParts(negative: false, prefix: "", digits: [], remainder: character), spec)
  }

  private static func formatFloat(_ value: Double, spec: [Unicode.Scalar]) throws(FormatError) -> String {
    try formatFloat(value, spec: FormatSpec(spec, defaultAlign: ">", defaultType: nil, typeName: "float"))
  }

  /// CPython's `format_float_internal`: no type is repr (or `g` keeping a `.0` when a precision is given).
  private static func formatFloat(_ value: Double, spec: FormatSpec) throws(FormatError) -> String {
    var code: Unicode.Scalar
    var addDotZero = false
    var defaultPrecision = 6
    var value = value
    switch spec.type {
    case nil:
      code = "r"
      addDotZero = true
      defaultPrecision = 0
    case "n": code = "g"
    case "%":
      code = "f"
      value *= 100
    case let type? where "eEfFgG".unicodeScalars.contains(type): code = type
    default: throw unknownCode(spec.type, "float")
    }
    if spec.precision > Int(Int32.max) { throw valueError("precision too big") }
    var precision = spec.precision
    if precision < 0 {
      precision = defaultPrecision
    } else if code == "r" {
      code = "g"
    }
    try checkSize(precision)
    var text = floatText(
      value, code: code, precision: precision, alternate: spec.alternate, addDotZero: addDotZero,
      noNegativeZero: spec.noNegativeZero)
    if spec.type == "%" { text += "%" }
    return try layOut(NumberParts(floatText: text), spec)
  }
}

// MARK: - Laying out a number

/// A formatted number cut as CPython's `parse_number` does: sign, prefix (`0x`), integer digits, and the remainder
/// after them (decimal point, fraction, exponent, `%`, or `inf`).
private struct NumberParts {
  var negative: Bool
  var prefix: String
  var digits: [Unicode.Scalar]
  var hasDecimalPoint = false
  var remainder: String

  init(negative: Bool, prefix: String, digits: [Unicode.Scalar], remainder: String) {
    self.negative = negative
    self.prefix = prefix
    self.digits = digits
    self.remainder = remainder
  }

  init(floatText text: String) {
    var scalars = Substring(text).unicodeScalars[...]
    negative = scalars.first == "-"
    if negative { scalars.removeFirst() }
    let integerEnd = scalars.firstIndex { !($0 >= "0" && $0 <= "9") } ?? scalars.endIndex
    digits = Array(scalars[..<integerEnd])
    var rest = scalars[integerEnd...]
    hasDecimalPoint = rest.first == "."
    if hasDecimalPoint { rest.removeFirst() }
    prefix = ""
    remainder = String(String.UnicodeScalarView(rest))
  }
}

extension PythonFormat {
  /// CPython's `calc_number_widths` + `fill_number`: `lpad sign prefix spad digits . remainder rpad`, where zero
  /// padding with `=` (the `0` flag) becomes part of the grouped digits, so `format(1234, '08,')` is `0,001,234`.
  private static func layOut(_ number: NumberParts, _ spec: FormatSpec) throws(FormatError) -> String {
    try checkSize(spec.width)
    let sign: String
    switch spec.sign {
    case "+": sign = number.negative ? "-" : "+"
    case " ": sign = number.negative ? "-" : " "
    default: sign = number.negative ? "-" : ""
    }
    let nonDigits = sign.count + number.prefix.count + (number.hasDecimalPoint ? 1 : 0)
      + number.remainder.unicodeScalars.count
    let minWidth = spec.fill == "0" && spec.align == "=" ? spec.width - nonDigits : 0
    let grouped = number.digits.isEmpty
      ? "" : group(number.digits, separator: spec.separator, size: spec.groupSize, minWidth: minWidth)
    let padding = max(0, spec.width - nonDigits - grouped.unicodeScalars.count)
    var left = 0
    var inner = 0
    switch spec.align {
    case "<": break
    case "^": left = padding / 2
    case "=": inner = padding
    default: left = padding
    }
    let fill = String(spec.fill)
    return String(repeating: fill, count: left) + sign + number.prefix + String(repeating: fill, count: inner)
      + grouped + (number.hasDecimalPoint ? "." : "") + number.remainder
      + String(repeating: fill, count: padding - left - inner)
  }

  /// CPython's `_PyUnicode_InsertThousandsGrouping`: separators every `size` digits from the right, and leading zeros
  /// (grouped too) until `minWidth` is reached; a separator never leads, so the result may exceed `minWidth` by one.
  private static func group(
    _ digits: [Unicode.Scalar], separator: Unicode.Scalar?, size: Int, minWidth: Int
  ) -> String {
    var remaining = digits.count
    var minWidth = minWidth
    var groups: [String] = []
    func take(_ length: Int) {
      let zeros = max(0, length - remaining)
      let chars = max(0, min(remaining, length))
      groups.append(
        String(repeating: "0", count: zeros)
          + String(String.UnicodeScalarView(digits[(remaining - chars)..<remaining])))
      remaining -= chars
    }
    guard let separator else {
      take(max(remaining, minWidth, 1))
      return groups[0]
    }
    while true {
      let length = min(size, max(remaining, minWidth, 1))
      take(length)
      minWidth -= length
      if remaining <= 0 && minWidth <= 0 { break }
      minWidth -= 1
    }
    return groups.reversed().joined(separator: String(separator))
  }
}

// MARK: - Float digits

/// A finite magnitude as decimal digits, value = 0.d1d2…dn × 10^point (Gay's `dtoa` convention), without leading or
/// trailing zeros; zero is "0" with point 1.
private struct DecimalDigits {
  var digits: [UInt8]
  var point: Int

  /// Digits and decimal point read from `1.25e-05`, `0.00125`, `125` and the like.
  init(reading text: some Sequence<UInt8>) {
    digits = []
    point = 0
    var seenPoint = false
    var exponent: [UInt8] = []
    var inExponent = false
    for byte in text {
      if inExponent {
        exponent.append(byte)
      } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
        inExponent = true
      } else if byte == UInt8(ascii: ".") {
        seenPoint = true
      } else {
        digits.append(byte)
        if !seenPoint { point += 1 }
      }
    }
    point += Int(String(decoding: exponent, as: UTF8.self)) ?? 0
    let leadingZeros = digits.prefix { $0 == UInt8(ascii: "0") }.count
    digits.removeFirst(leadingZeros)
    point -= leadingZeros
    while digits.last == UInt8(ascii: "0") { digits.removeLast() }
    if digits.isEmpty { (digits, point) = ([UInt8(ascii: "0")], 1) }
  }

  /// The shortest digits that read back as `magnitude` (Python's repr), from Swift's shortest round-trip description.
  static func shortest(_ magnitude: Double) -> DecimalDigits { DecimalDigits(reading: magnitude.description.utf8) }

  /// `count` significant digits, correctly rounded (dtoa mode 2).
  static func significant(_ magnitude: Double, _ count: Int) -> DecimalDigits {
    DecimalDigits(reading: printf("%.*e", count - 1, magnitude))
  }

  /// Rounded to `count` digits after the decimal point (dtoa mode 3).
  static func fractional(_ magnitude: Double, _ count: Int) -> DecimalDigits {
    DecimalDigits(reading: printf("%.*f", count, magnitude))
  }

  /// C's `printf` of a finite double: the exact binary value correctly rounded, ties to even, as CPython's dtoa.
  private static func printf(_ format: String, _ precision: Int, _ value: Double) -> [UInt8] {
    let capacity = precision + (value.exponent > 0 ? Int(value.exponent) / 3 + 2 : 1) + 16
    var buffer = [CChar](repeating: 0, count: capacity)
    let written = withVaList([Int32(precision), value]) { args in
      buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, format, args) }
    }
    precondition(written >= 0 && Int(written) < capacity, "printf output did not fit")
    return buffer.prefix(Int(written)).map { UInt8(bitPattern: $0) }
  }
}

extension PythonFormat {
  /// `repr(x)` for a float: `0.1`, `1e-05`, `1e+16`, `inf`, `nan`, `-0.0`.
  static func floatRepr(_ x: Double) -> String {
    floatText(x, code: "r", precision: 0, alternate: false, addDotZero: true, noNegativeZero: false)
  }

  /// CPython's `format_float_short`: `x` with code `e`, `f`, `g` (upper case for `INF` and `E`) or `r` (repr), the
  /// precision as that code reads it, `#` (keep the point and `g`'s zeros), `.0` for integral values, and `z`.
  fileprivate static func floatText(
    _ x: Double, code: Unicode.Scalar, precision: Int, alternate: Bool, addDotZero: Bool, noNegativeZero: Bool
  ) -> String {
    let uppercase = code.properties.isUppercase
    let code = code.properties.lowercaseMapping.unicodeScalars.first!
    if !x.isFinite {
      let text = x.isNaN ? "nan" : x < 0 ? "-inf" : "inf"
      return uppercase ? text.uppercased() : text
    }
    var precision = precision
    let decimal: DecimalDigits
    switch code {
    case "e":
      precision += 1
      decimal = .significant(x.magnitude, precision)
    case "f": decimal = .fractional(x.magnitude, precision)
    case "g":
      precision = max(precision, 1)
      decimal = .significant(x.magnitude, precision)
    default: decimal = .shortest(x.magnitude)
    }
    let negative = x.sign == .minus && !(noNegativeZero && decimal.digits == [UInt8(ascii: "0")])
    var point = decimal.point
    var end = decimal.digits.count
    var useExponent = false
    switch code {
    case "e":
      useExponent = true
      end = precision
    case "f": end = point + precision
    case "g":
      useExponent = point <= -4 || point > (addDotZero ? precision - 1 : precision)
      if alternate { end = precision }
    default: useExponent = point <= -4 || point > 16
    }
    let exponent = point - 1
    if useExponent { point = 1 }
    let start = point <= 0 ? point - 1 : 0
    end = max(end, !useExponent && addDotZero ? point + 1 : point)
    var text = negative ? "-" : ""
    for index in start..<end {
      if index == point { text += "." }
      let digit = index >= 0 && index < decimal.digits.count ? decimal.digits[index] : UInt8(ascii: "0")
      text.unicodeScalars.append(Unicode.Scalar(digit))
    }
    if end == point && alternate { text += "." }
    if useExponent {
      let magnitude = String(abs(exponent))
      text += (uppercase ? "E" : "e") + (exponent < 0 ? "-" : "+") + (magnitude.count < 2 ? "0" : "") + magnitude
    }
    return text
  }
}

// MARK: - printf-style formatting

/// CPython's `PyUnicode_Format` over one template: a cursor in the template and in the arguments.
private struct PercentFormatter {
  let template: [Unicode.Scalar]
  /// The values `%` conversions consume; a `%(key)` replaces them with the key's value.
  var pending: [FormatArgument]
  var nextArgument = 0
  let mapping: [String: FormatArgument]?
  var pos = 0
  var output = ""

  init(template: [Unicode.Scalar], args: [FormatArgument], mapping: [String: FormatArgument]?) {
    self.template = template
    self.pending = args
    self.mapping = mapping
  }

  mutating func run() throws(FormatError) -> String {
    while pos < template.count {
      let literalEnd = template[pos...].firstIndex(of: "%") ?? template.count
      output.unicodeScalars.append(contentsOf: template[pos..<literalEnd])
      pos = literalEnd + 1
      if literalEnd < template.count { try conversion() }
    }
    if mapping == nil && nextArgument < pending.count {
      throw FormatError(type: "TypeError", message: "not all arguments converted during string formatting")
    }
    return output
  }

  private mutating func nextValue() throws(FormatError) -> FormatArgument {
    guard nextArgument < pending.count else {
      throw FormatError(type: "TypeError", message: "not enough arguments for format string")
    }
    nextArgument += 1
    return pending[nextArgument - 1]
  }

  private var current: Unicode.Scalar? { pos < template.count ? template[pos] : nil }

  /// One `%[(key)][flags][width][.precision][hlL]type` after its `%`.
  private mutating func conversion() throws(FormatError) {
    if current == "%" {
      output += "%"
      pos += 1
      return
    }
    if current == "(" { try selectKey() }
    var flags = PercentFlags()
    while let c = current, let flag = PercentFlags.flag(c) {
      flags.insert(flag)
      pos += 1
    }
    var width = -1
    if current == "*" {
      width = try starValue(bits: 64, cType: "ssize_t")
      if width < 0 {
        flags.insert(.leftJustify)
        width = -width
      }
    } else {
      width = try digits(overflow: Int.max, message: "width too big") ?? -1
    }
    var precision = -1
    if current == "." {
      pos += 1
      if current == "*" {
        precision = max(0, try starValue(bits: 32, cType: "int"))
      } else {
        precision = try digits(overflow: Int(Int32.max), message: "precision too big") ?? 0
      }
    }
    if let c = current, "hlL".unicodeScalars.contains(c) { pos += 1 }
    guard let type = current else { throw valueError("incomplete format") }
    pos += 1
    let value = try nextValue()
    try output += PercentConversion(type: type, flags: flags, width: width, precision: precision, index: pos - 1)
      .format(value)
  }

  /// `%(key)`: the key's value from the mapping becomes the only argument.
  private mutating func selectKey() throws(FormatError) {
    guard let mapping else { throw FormatError(type: "TypeError", message: "format requires a mapping") }
    pos += 1
    let keyStart = pos
    var depth = 1
    while depth > 0 && pos < template.count {
      if template[pos] == ")" { depth -= 1 } else if template[pos] == "(" { depth += 1 }
      pos += 1
    }
    guard depth == 0 else { throw valueError("incomplete format key") }
    let key = String(String.UnicodeScalarView(template[keyStart..<(pos - 1)]))
    guard let value = mapping[key] else {
      throw FormatError(type: "KeyError", message: PythonFormat.stringRepr(key))
    }
    pending = [value]
    nextArgument = 0
  }

  /// A `*` width or precision: the next argument, an int that fits the C type CPython reads it into.
  private mutating func starValue(bits: Int, cType: String) throws(FormatError) -> Int {
    pos += 1
    let value: Int128
    switch try nextValue() {
    case .int(let i): value = i
    case .bool(let b): value = b ? 1 : 0
    default: throw FormatError(type: "TypeError", message: "* wants int")
    }
    guard value.magnitude < UInt128(1) << (bits - 1) else {
      throw FormatError(type: "OverflowError", message: "Python int too large to convert to C \(cType)")
    }
    return Int(value)
  }

  private mutating func digits(overflow limit: Int, message: String) throws(FormatError) -> Int? {
    guard let first = current, first >= "0" && first <= "9" else { return nil }
    var value = Int(first.value - 48)
    pos += 1
    while let c = current, c >= "0" && c <= "9" {
      let digit = Int(c.value - 48)
      if value > (limit - digit) / 10 { throw valueError(message) }
      value = value * 10 + digit
      pos += 1
    }
    return value
  }
}

private struct PercentFlags: OptionSet {
  let rawValue: UInt8
  static let leftJustify = PercentFlags(rawValue: 1)
  static let sign = PercentFlags(rawValue: 2)
  static let blank = PercentFlags(rawValue: 4)
  static let alternate = PercentFlags(rawValue: 8)
  static let zero = PercentFlags(rawValue: 16)

  static func flag(_ c: Unicode.Scalar) -> PercentFlags? {
    switch c {
    case "-": .leftJustify
    case "+": .sign
    case " ": .blank
    case "#": .alternate
    case "0": .zero
    default: nil
    }
  }
}

/// One parsed `%` conversion, applied to its value (CPython's `unicode_format_arg_format` and `_output`).
private struct PercentConversion {
  let type: Unicode.Scalar
  let flags: PercentFlags
  let width: Int
  let precision: Int
  /// Where the type character sits in the template, for the unsupported-character message.
  let index: Int

  func format(_ value: FormatArgument) throws(FormatError) -> String {
    switch type {
    case "s": return try pad(truncated(PythonFormat.str(value)), numeric: false)
    case "r": return try pad(truncated(PythonFormat.repr(value)), numeric: false)
    case "a": return try pad(truncated(PythonFormat.ascii(PythonFormat.repr(value))), numeric: false)
    case "d", "i", "u", "o", "x", "X": return try pad(integerText(value), numeric: true)
    case "e", "E", "f", "F", "g", "G":
      let x = try real(value)
      try checkSize(precision)
      let text = PythonFormat.floatText(
        x, code: type, precision: precision < 0 ? 6 : precision, alternate: flags.contains(.alternate),
        addDotZero: false, noNegativeZero: false)
      return try pad(text, numeric: true)
    case "c": return try pad(character(value), numeric: false)
    default:
      let shown = type.value >= 31 && type.value <= 126 ? String(type) : "?"
      throw valueError(
        "unsupported format character '\(shown)' (0x\(String(type.value, radix: 16))) at index \(index)")
    }
  }

  /// `_PyUnicode_FormatLong`: sign, `0x`/`0o` with `#`, digits zero-extended to the precision.
  private func integerText(_ value: FormatArgument) throws(FormatError) -> String {
    let digits: String
    let negative: Bool
    switch value {
    case .int(let i): (digits, negative) = (String(i.magnitude, radix: radix), i < 0)
    case .bool(let b): (digits, negative) = (b ? "1" : "0", false)
    case .float(let x) where radix == 10:
      if x.isNaN { throw valueError("cannot convert float NaN to integer") }
      if x.isInfinite {
        throw FormatError(type: "OverflowError", message: "cannot convert float infinity to integer")
      }
      let integral = DecimalDigits.fractional(x.rounded(.towardZero).magnitude, 0)
      let text = String(decoding: integral.digits, as: UTF8.self)
      digits = integral.point > text.count ? text + String(repeating: "0", count: integral.point - text.count) : text
      negative = x <= -1
    default:
      let kind = radix == 10 ? "a real number" : "an integer"
      throw FormatError(
        type: "TypeError", message: "%\(type) format: \(kind) is required, not \(PythonFormat.typeName(value))")
    }
    try checkSize(precision)
    let marker = radix == 16 ? "0x" : "0o"
    var text = (negative ? "-" : "") + (flags.contains(.alternate) && radix != 10 ? marker : "")
      + String(repeating: "0", count: max(0, precision - digits.count)) + digits
    if type == "X" { text = text.uppercased() }
    return text
  }

  private var radix: Int { type == "o" ? 8 : type == "x" || type == "X" ? 16 : 10 }

  private func real(_ value: FormatArgument) throws(FormatError) -> Double {
    switch value {
    case .float(let x): return x
    case .int(let i): return Double(i)
    case .bool(let b): return b ? 1 : 0
    default:
      throw FormatError(type: "TypeError", message: "must be real number, not \(PythonFormat.typeName(value))")
    }
  }

  private func character(_ value: FormatArgument) throws(FormatError) -> String {
    let code: Int128
    switch value {
    case .string(let s) where s.unicodeScalars.count == 1: return s
    case .int(let i): code = i
    case .bool(let b): code = b ? 1 : 0
    default: throw FormatError(type: "TypeError", message: "%c requires int or char")
    }
    guard code >= 0 && code <= 0x10FFFF else {
      throw FormatError(type: "OverflowError", message: "%c arg not in range(0x110000)")
    }
    return Unicode.Scalar(UInt32(code)).map { String($0) } ?? String(decoding: [UInt16(code)], as: UTF16.self)
  }

  /// `%s`, `%r` and `%a` keep at most `precision` characters.
  private func truncated(_ text: String) -> String {
    guard precision >= 0 else { return text }
    return String(String.UnicodeScalarView(text.unicodeScalars.prefix(precision)))
  }

  /// `unicode_format_arg_output`: numbers take the `+`/space sign and, with `0`, zero padding after the sign and
  /// `0x`; `-` pads on the right with spaces.
  private func pad(_ text: String, numeric: Bool) throws(FormatError) -> String {
    try checkSize(width)
    var body = Array(text.unicodeScalars)
    var sign = ""
    if numeric {
      if body.first == "-" || body.first == "+" {
        sign = String(body.removeFirst())
      } else if flags.contains(.sign) {
        sign = "+"
      } else if flags.contains(.blank) {
        sign = " "
      }
    }
    var prefix = ""
    if numeric && flags.contains(.alternate) && "xXo".unicodeScalars.contains(type) {
      prefix = String(String.UnicodeScalarView(body.prefix(2)))
      body.removeFirst(2)
    }
    let padding = max(0, width - sign.count - prefix.count - body.count)
    let zeroFill = numeric && flags.contains(.zero)
    let digits = String(String.UnicodeScalarView(body))
    if flags.contains(.leftJustify) { return sign + prefix + digits + String(repeating: " ", count: padding) }
    if zeroFill { return sign + prefix + String(repeating: "0", count: padding) + digits }
    return String(repeating: " ", count: padding) + sign + prefix + digits
  }
}

// MARK: - str.format templates

/// Whether `{}` or `{0}` numbering is in use, shared by a template and the fields nested in its specs.
private struct FieldNumbering {
  enum Mode { case unset, automatic, manual }
  var mode = Mode.unset
  var next = 0
}

/// CPython's `MarkupIterator` and `parse_field`, plus the numbering half of `field_name_split`.
private enum TemplateParser {
  static func parse(
    _ s: [Unicode.Scalar], depth: Int, numbering: inout FieldNumbering
  ) throws(FormatError) -> [TemplatePart] {
    if depth <= 0 { throw valueError("Max string recursion exceeded") }
    var parts: [TemplatePart] = []
    var literal = String.UnicodeScalarView()
    var i = 0
    while i < s.count {
      let start = i
      var brace: Unicode.Scalar?
      while i < s.count {
        i += 1
        if s[i - 1] == "{" || s[i - 1] == "}" {
          brace = s[i - 1]
          break
        }
      }
      guard let brace else {
        literal.append(contentsOf: s[start..<i])
        break
      }
      if i < s.count && s[i] == brace {
        literal.append(contentsOf: s[start..<i])
        i += 1
        continue
      }
      if brace == "}" { throw valueError("Single '}' encountered in format string") }
      if i >= s.count { throw valueError("Single '{' encountered in format string") }
      literal.append(contentsOf: s[start..<(i - 1)])
      if !literal.isEmpty {
        parts.append(.literal(String(literal)))
        literal = String.UnicodeScalarView()
      }
      parts.append(try field(s, &i, depth: depth, numbering: &numbering))
    }
    if !literal.isEmpty { parts.append(.literal(String(literal))) }
    return parts
  }

  /// The field after its `{`, through its closing `}`.
  private static func field(
    _ s: [Unicode.Scalar], _ i: inout Int, depth: Int, numbering: inout FieldNumbering
  ) throws(FormatError) -> TemplatePart {
    let nameStart = i
    var terminator: Unicode.Scalar?
    scan: while i < s.count {
      let c = s[i]
      i += 1
      switch c {
      case "{": throw valueError("unexpected '{' in field name")
      case "[": while i < s.count && s[i] != "]" { i += 1 }
      case "}", ":", "!":
        terminator = c
        break scan
      default: continue
      }
    }
    guard let terminator else { throw valueError("expected '}' before end of string") }
    let nameEnd = i - 1
    var conversion: Unicode.Scalar?
    var spec: ArraySlice<Unicode.Scalar> = []
    var nested = false
    if terminator != "}" {
      var hasSpec = true
      if terminator == "!" {
        guard i < s.count else { throw valueError("end of string while looking for conversion specifier") }
        conversion = s[i]
        i += 1
        if i < s.count {
          i += 1
          if s[i - 1] == "}" {
            hasSpec = false
          } else if s[i - 1] != ":" {
            throw valueError("expected ':' after conversion specifier")
          }
        }
      }
      if hasSpec { (spec, nested) = try specExtent(s, &i) }
    }
    // CPython looks the field up (numbering it), converts it, then expands its spec: errors come in that order.
    let name = try numbered(s[nameStart..<nameEnd], &numbering)
    if let conversion, !"rsa".unicodeScalars.contains(conversion) {
      throw PythonFormat.unknownConversion(conversion)
    }
    var specText = String(String.UnicodeScalarView(spec))
    if nested {
      specText = try parse(Array(spec), depth: depth - 1, numbering: &numbering).map(templateText).joined()
    }
    return .field(name: name, conversion: conversion.map(Character.init), spec: specText)
  }

  /// A format spec through its matching `}`, and whether it holds nested fields.
  private static func specExtent(
    _ s: [Unicode.Scalar], _ i: inout Int
  ) throws(FormatError) -> (spec: ArraySlice<Unicode.Scalar>, nested: Bool) {
    let start = i
    var open = 1
    var nested = false
    while i < s.count {
      i += 1
      if s[i - 1] == "{" {
        nested = true
        open += 1
      } else if s[i - 1] == "}" {
        open -= 1
        if open == 0 { return (s[start..<(i - 1)], nested) }
      }
    }
    throw valueError("unmatched '{' in format spec")
  }

  private static func templateText(_ part: TemplatePart) -> String {
    switch part {
    case .literal(let text): escapedLiteral(text)
    case .field(let name, let conversion, let spec):
      "{" + name + (conversion.map { "!" + String($0) } ?? "") + (spec.isEmpty ? "" : ":" + spec) + "}"
    }
  }

  /// Literal template text with its braces doubled again.
  private static func escapedLiteral(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    for c in text.unicodeScalars {
      out.append(c)
      if c == "{" || c == "}" { out.append(c) }
    }
    return String(out)
  }

  /// An empty first name component becomes the next automatic number; mixing `{}` with `{0}` is an error.
  private static func numbered(
    _ name: ArraySlice<Unicode.Scalar>, _ numbering: inout FieldNumbering
  ) throws(FormatError) -> String {
    let firstEnd = name.firstIndex { $0 == "." || $0 == "[" } ?? name.endIndex
    let first = name[..<firstEnd]
    let isEmpty = first.isEmpty
    var isIndex = !isEmpty
    var index = 0
    for c in first {
      guard let digit = decimalValue(c) else {
        isIndex = false
        break
      }
      if index > (Int.max - digit) / 10 { throw valueError("Too many decimal digits in format string") }
      index = index * 10 + digit
    }
    let rest = String(String.UnicodeScalarView(name[firstEnd...]))
    guard isEmpty || isIndex else { return String(String.UnicodeScalarView(name)) }
    if numbering.mode == .unset { numbering.mode = isEmpty ? .automatic : .manual }
    if numbering.mode == .manual && isEmpty {
      throw valueError("cannot switch from manual field specification to automatic field numbering")
    }
    if numbering.mode == .automatic && !isEmpty {
      throw valueError("cannot switch from automatic field numbering to manual field specification")
    }
    guard isEmpty else { return String(String.UnicodeScalarView(name)) }
    numbering.next += 1
    return String(numbering.next - 1) + rest
  }
}

