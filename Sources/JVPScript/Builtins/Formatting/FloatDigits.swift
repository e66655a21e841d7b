// A float's decimal digits and their text: repr, and CPython's `format_float_short` behind the `e`, `f`, `g` and
// repr presentations of `format()` and `%`.

extension PythonFormat {
  /// `repr(x)` for a float: `0.1`, `1e-05`, `1e+16`, `inf`, `nan`, `-0.0`.
  static func floatRepr(_ x: Double) -> String {
    floatText(x, code: "r", precision: 0, alternate: false, addDotZero: true, noNegativeZero: false)
  }

  /// CPython's `format_float_short`: `x` with code `e`, `f`, `g` (upper case for `INF` and `E`) or `r` (repr), the
  /// precision as that code reads it, `#` (keep the point and `g`'s zeros), `.0` for integral values, and `z`.
  static func floatText(
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

  /// The digits of a finite `x`'s integral part, without its sign: `int(x)` as `%d` prints it.
  static func integralDigits(_ x: Double) -> String {
    let integral = DecimalDigits.fractional(x.rounded(.towardZero).magnitude, 0)
    let text = String(decoding: integral.digits, as: UTF8.self)
    return integral.point > text.count ? text + String(repeating: "0", count: integral.point - text.count) : text
  }

  /// A finite magnitude as decimal digits, value = 0.d1d2…dn × 10^point (Gay's `dtoa` convention), without leading
  /// or trailing zeros; zero is "0" with point 1.
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

    /// The shortest digits that read back as `magnitude` (Python's repr), from Swift's shortest round-trip
    /// description.
    static func shortest(_ magnitude: Double) -> DecimalDigits { DecimalDigits(reading: magnitude.description.utf8) }

    /// `count` significant digits, correctly rounded (dtoa mode 2).
    static func significant(_ magnitude: Double, _ count: Int) -> DecimalDigits {
      DecimalDigits(reading: CFormat.bytes("e", count - 1, magnitude))
    }

    /// Rounded to `count` digits after the decimal point (dtoa mode 3).
    static func fractional(_ magnitude: Double, _ count: Int) -> DecimalDigits {
      DecimalDigits(reading: CFormat.bytes("f", count, magnitude))
    }
  }
}
