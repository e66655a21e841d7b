import JVPCore

/// Python's string repr, float repr (shortest round trip, Python's switch to exponent form at 1e16 / 1e-4), and
/// list reprs for `.tolist()`.
///
/// Swift's `Double.description` already finds the shortest round-trip digits but places the exponent switch
/// elsewhere (it writes `9.999999999999998e+15`), so only the digits are taken from it.
public enum PythonRepr {
  /// Python's repr of a string: single quotes unless the text holds one and no double quote.
  public static func string(_ s: String) -> String {
    let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
    var out = String(quote)
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      case Unicode.Scalar(String(quote))!: out += "\\" + String(quote)
      default:
        if scalar.value < 0x20 || scalar.value == 0x7F {
          out += "\\x" + String(String(scalar.value, radix: 16).leftPadded(to: 2, with: "0"))
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + String(quote)
  }

  /// `repr(x)` for a Python float: `0.1`, `1e-05`, `1e+16`, `9999999999999998.0`, `nan`, `-0.0`.
  /// Python's `ascii()` of a repr: every non-ASCII scalar escaped as `\xhh`, `\uhhhh` or `\Uhhhhhhhh`.
  static func ascii(_ repr: String) -> String {
    var text = ""
    for scalar in repr.unicodeScalars {
      let code = scalar.value
      if code < 0x80 {
        text.unicodeScalars.append(scalar)
      } else {
        let (prefix, width) = code <= 0xFF ? ("\\x", 2) : code <= 0xFFFF ? ("\\u", 4) : ("\\U", 8)
        let digits = String(code, radix: 16)
        text += prefix + String(repeating: "0", count: width - digits.count) + digits
      }
    }
    return text
  }

  public static func float(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    let sign = value.sign == .minus ? "-" : ""
    if value == 0 { return sign + "0.0" }
    let (digits, point) = shortestDigits(value.magnitude)
    // `point` places the decimal point: value = 0.d1d2…dn × 10^point.
    if point > -4 && point <= 16 {
      if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
      if point < digits.count {
        let split = digits.index(digits.startIndex, offsetBy: point)
        return sign + digits[..<split] + "." + digits[split...]
      }
      return sign + digits + String(repeating: "0", count: point - digits.count) + ".0"
    }
    let exponent = point - 1
    let mantissa = digits.count == 1 ? digits : String(digits.prefix(1)) + "." + digits.dropFirst()
    let magnitude = String(abs(exponent))
    return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (magnitude.count < 2 ? "0" : "") + magnitude
  }

  /// `repr(t.tolist())`: nested lists of Python ints or floats on one line; float32 is widened to Double first, and a
  /// 0-d tensor gives a bare scalar.
  public static func list(_ tensor: Tensor) -> String {
    let element: (Int) -> String
    switch tensor.storage {
    case .int64(let values): element = { String(values[$0]) }
    case .bool(let values): element = { values[$0] ? "True" : "False" }
    case .float32, .float64: element = { float(tensor.element($0)) }
    }
    var text = ""
    var next = 0
    func append(dim: Int) {
      if dim == tensor.rank {
        text += element(next)
        next += 1
        return
      }
      text += "["
      for i in 0..<tensor.shape[dim] {
        if i > 0 { text += ", " }
        append(dim: dim + 1)
      }
      text += "]"
    }
    append(dim: 0)
    return text
  }

  /// The shortest round-trip decimal digits of a finite, positive value, without leading or trailing zeros, and the
  /// position of the decimal point relative to the first digit.
  private static func shortestDigits(_ value: Double) -> (digits: String, point: Int) {
    let description = value.description
    let parts = description.split(separator: "e", maxSplits: 1)
    var exponent = parts.count == 2 ? Int(parts[1])! : 0
    var digits = ""
    var seenPoint = false
    for character in parts[0] {
      if character == "." {
        seenPoint = true
      } else {
        digits.append(character)
        if !seenPoint { exponent += 1 }
      }
    }
    while digits.first == "0" {
      digits.removeFirst()
      exponent -= 1
    }
    while digits.last == "0" { digits.removeLast() }
    return (digits, exponent)
  }
}
