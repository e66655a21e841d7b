// The format-spec mini-language: `format(value, spec)` for str, int and float, from parsing the spec to padding and
// grouping the digits.

extension PythonFormat {
  /// `format(value, spec)`, the `{x:spec}` of f-strings and `str.format`.
  ///
  /// A non-empty spec on `.other` is CPython's `object.__format__` TypeError; callers pass a 0-d tensor's item
  /// instead, as PyTorch's `Tensor.__format__` does.
  static func format(_ value: FormatArgument, spec: String) throws(FormatError) -> String {
    guard !spec.isEmpty else { return str(value) }
    let spec = Array(spec.unicodeScalars)
    switch value {
    case .string(let s): return try formatString(s, spec: spec)
    case .int(let i): return try formatInt(i, spec: spec, typeName: "int")
    case .bool(let b): return try formatInt(b ? 1 : 0, spec: spec, typeName: "bool")
    case .float(let x): return try formatFloat(x, spec: spec)
    case .other(_, _, let typeName):
      throw FormatError(type: "TypeError", message: "unsupported format string passed to \(typeName).__format__")
    }
  }

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
        value = try appendingDigit(digit, to: value)
        pos += 1
      }
      return pos == start ? nil : value
    }

    /// A presentation type as CPython's messages show it: the character, or `\x..` outside printable ASCII.
    static func shown(_ c: Unicode.Scalar) -> String {
      c.value > 32 && c.value < 128 ? String(c) : "\\x" + String(c.value, radix: 16)
    }
  }

  private static func unknownCode(_ type: Unicode.Scalar?, _ typeName: String) -> FormatError {
    valueError("Unknown format code '\(FormatSpec.shown(type ?? "\0"))' for object of type '\(typeName)'")
  }

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

  /// CPython's `format_long_internal`, or its float formatting for the float presentation types.
  private static func formatInt(_ value: Int128, spec: [Unicode.Scalar], typeName: String) throws(FormatError) -> String {
    let spec = try FormatSpec(spec, defaultAlign: ">", defaultType: "d", typeName: typeName)
    switch spec.type {
    case "d", "n", "b", "o", "x", "X", "c": break
    case "e", "E", "f", "F", "g", "G", "%": return try formatFloat(Double(value), spec: spec)
    default: throw unknownCode(spec.type, typeName)
    }
    if spec.precision >= 0 { throw valueError("Precision not allowed in integer format specifier") }
    if spec.noNegativeZero {
      throw valueError("Negative zero coercion (z) not allowed in integer format specifier")
    }
    if spec.type == "c" { return try formatCharacter(value, spec: spec) }
    let base = spec.type == "b" ? 2 : spec.type == "o" ? 8 : spec.type == "x" || spec.type == "X" ? 16 : 10
    let digits = String(value.magnitude, radix: base, uppercase: spec.type == "X")
    let prefix = spec.alternate && base != 10 ? "0" + String(spec.type!) : ""
    return try layOut(
      NumberParts(negative: value < 0, prefix: prefix, digits: Array(digits.unicodeScalars), remainder: ""), spec)
  }

  /// The `c` presentation type: the int as a character, laid out like a number without digits.
  private static func formatCharacter(_ value: Int128, spec: FormatSpec) throws(FormatError) -> String {
    if spec.sign != nil { throw valueError("Sign not allowed with integer format specifier 'c'") }
    if spec.alternate { throw valueError("Alternate form (#) not allowed with integer format specifier 'c'") }
    guard value.magnitude <= UInt64(Int64.max) else {
      throw FormatError(type: "OverflowError", message: "Python int too large to convert to C long")
    }
    return try layOut(NumberParts(negative: false, prefix: "", digits: [], remainder: character(value)), spec)
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
