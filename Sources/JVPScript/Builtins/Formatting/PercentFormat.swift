// `template % args`: printf-style formatting as CPython's `PyUnicode_Format` does it.

extension PythonFormat {
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
        throw FormatError(type: "KeyError", message: stringRepr(key))
      }
      pending = [value]
      nextArgument = 0
    }

    /// A `*` width or precision: the next argument, an int that fits the C type CPython reads it into.
    private mutating func starValue(bits: Int, cType: String) throws(FormatError) -> Int {
      pos += 1
      guard let value = try nextValue().integer else { throw FormatError(type: "TypeError", message: "* wants int") }
      guard value.magnitude < UInt128(1) << (bits - 1) else {
        throw FormatError(type: "OverflowError", message: "Python int too large to convert to C \(cType)")
      }
      return Int(value)
    }

    /// A width or precision written in ASCII digits, or nil when there is none.
    private mutating func digits(overflow limit: Int, message: String) throws(FormatError) -> Int? {
      guard let first = current, first >= "0" && first <= "9" else { return nil }
      var value = Int(first.value - 48)
      pos += 1
      while let c = current, c >= "0" && c <= "9" {
        value = try appendingDigit(Int(c.value - 48), to: value, limit: limit, message: message)
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
      case "s": return try pad(truncated(str(value)), numeric: false)
      case "r": return try pad(truncated(repr(value)), numeric: false)
      case "a": return try pad(truncated(ascii(repr(value))), numeric: false)
      case "d", "i", "u", "o", "x", "X": return try pad(integerText(value), numeric: true)
      case "e", "E", "f", "F", "g", "G":
        let x = try real(value)
        try checkSize(precision)
        let text = floatText(
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
        (digits, negative) = (integralDigits(x), x <= -1)
      default:
        let kind = radix == 10 ? "a real number" : "an integer"
        throw FormatError(type: "TypeError", message: "%\(type) format: \(kind) is required, not \(typeName(value))")
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
      if case .float(let x) = value { return x }
      guard let i = value.integer else {
        throw FormatError(type: "TypeError", message: "must be real number, not \(typeName(value))")
      }
      return Double(i)
    }

    private func character(_ value: FormatArgument) throws(FormatError) -> String {
      if case .string(let s) = value, s.unicodeScalars.count == 1 { return s }
      guard let code = value.integer else { throw FormatError(type: "TypeError", message: "%c requires int or char") }
      return try PythonFormat.character(code)
    }

    /// The Python type name CPython's messages quote.
    private func typeName(_ value: FormatArgument) -> String {
      switch value {
      case .int: "int"
      case .bool: "bool"
      case .float: "float"
      case .string: "str"
      case .other(_, _, let typeName): typeName
      }
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
}

extension FormatArgument {
  /// An int or bool as the integer `%` reads for `*`, `%c` and the float conversions; nil for anything else.
  fileprivate var integer: Int128? {
    switch self {
    case .int(let i): i
    case .bool(let b): b ? 1 : 0
    default: nil
    }
  }
}
