import JVPCore

/// How values show in the transcript: IPython's display for expression statements, `str` for `print`.
enum Display {
  /// What IPython shows for an expression statement's value; nil for None, which shows nothing.
  static func displayText(_ value: Value) -> String? {
    if case .none = value { return nil }
    return PrettyPrinter.pretty(displayValue(value))
  }

  static func displayValue(_ value: Value) -> DisplayValue {
    switch value {
    case .tuple(let items): .tuple(items.map(displayValue))
    case .list(let items): .list(items.map(displayValue))
    default: .atom(repr(value))
    }
  }

  /// Python's `repr`.
  static func repr(_ value: Value) -> String {
    switch value {
    case .none: "None"
    case .bool(let b): b ? "True" : "False"
    case .int(let i): String(i)
    case .wideInt(let i): String(i)
    case .float(let d): PythonRepr.float(d)
    case .string(let s): PythonRepr.string(s)
    case .tuple(let items): items.count == 1 ? "(\(repr(items[0])),)" : "(" + items.map(repr).joined(separator: ", ") + ")"
    case .list(let items): "[" + items.map(repr).joined(separator: ", ") + "]"
    case .tensor(.concrete(let t), _): TorchFormatter.repr(t)
    case .tensor(.traced(let v), _): "<tensor being differentiated: \(v.type)>"
    case .size(let shape): TorchFormatter.sizeRepr(shape)
    case .dtype(let d): d.torchName
    case .function(let f): "<function \(f.name) at \(address(of: f.name))>"
    case .builtin(let b): "<built-in method \(b.name) of type object at \(address(of: b.name))>"
    case .boundMethod(_, let name): "<built-in method \(name) of Tensor object at \(address(of: name))>"
    case .module(let name): "<module '\(name)'>"
    case .generator: "<torch._C.Generator at 0x7f3a2c1d5e30>"
    }
  }

  /// Python's `str`: like `repr` except that strings show without quotes.
  static func str(_ value: Value) -> String {
    if case .string(let s) = value { return s }
    return repr(value)
  }

  /// A stable stand-in for CPython's object address (output must be reproducible run to run).
  static func address(of name: String) -> String {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
    return "0x7f" + String(String(hash & 0xFFFF_FFFF_FF, radix: 16).suffix(10)).leftPadded(to: 10)
  }
}

extension String {
  func leftPadded(to width: Int, with pad: Character = "0") -> String {
    count >= width ? self : String(repeating: pad, count: width - count) + self
  }
}
