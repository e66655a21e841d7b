import JVPCore

/// How values show in the transcript: IPython's display for expression statements, `str` for `print`.
enum Display {
  /// What IPython shows for an expression statement's value; nil for None, which shows nothing.
  static func displayText(_ value: Value) -> String? {
    if case .none = value { return nil }
    return PrettyPrinter.pretty(displayValue(value))
  }

  static func displayValue(_ value: Value) -> DisplayValue {
    var visiting = Set<ObjectIdentifier>()
    return displayValue(value, &visiting)
  }

  /// `visiting` holds the lists being shown, so a list that contains itself shows as `[...]`, as in Python.
  private static func displayValue(_ value: Value, _ visiting: inout Set<ObjectIdentifier>) -> DisplayValue {
    switch value {
    case .tuple(let items): return .tuple(items.map { displayValue($0, &visiting) })
    case .list(let list):
      guard visiting.insert(ObjectIdentifier(list)).inserted else { return .atom("[...]") }
      defer { visiting.remove(ObjectIdentifier(list)) }
      return .list(list.items.map { displayValue($0, &visiting) })
    case .object(let object): return object.display()
    case .function(let function): return .atom("<function __main__.\(function.qualifiedName)\(function.signature)>")
    case .builtin(let builtin) where Builtins.functions[builtin.name] != nil:
      return .atom("<function \(builtin.name)\(BuiltinSignatures.text[builtin.name] ?? "")>")
    case .builtin(let builtin) where TorchNamespace.functions[builtin.name] != nil:
      return .atom("<function torch._VariableFunctionsClass.\(builtin.name)>")
    default: return .atom(repr(value))
    }
  }

  /// Python's `repr`.
  static func repr(_ value: Value) -> String {
    var visiting = Set<ObjectIdentifier>()
    return repr(value, &visiting)
  }

  /// `visiting` holds the lists being written, so a list inside itself shows as `[...]`, as in Python.
  private static func repr(_ value: Value, _ visiting: inout Set<ObjectIdentifier>) -> String {
    switch value {
    case .none: return "None"
    case .bool(let b): return b ? "True" : "False"
    case .int(let i): return String(i)
    case .wideInt(let i): return String(i)
    case .float(let d): return PythonRepr.float(d)
    case .string(let s): return PythonRepr.string(s)
    case .tuple(let items):
      return items.count == 1
        ? "(\(repr(items[0], &visiting)),)" : "(" + items.map { repr($0, &visiting) }.joined(separator: ", ") + ")"
    case .list(let list):
      guard visiting.insert(ObjectIdentifier(list)).inserted else { return "[...]" }
      defer { visiting.remove(ObjectIdentifier(list)) }
      return "[" + list.items.map { repr($0, &visiting) }.joined(separator: ", ") + "]"
    case .tensor(.concrete(let t), _): return TorchFormatter.repr(t)
    case .tensor(.taped(let t), _): return TensorAutograd.repr(t)
    case .tensor(.traced(let v), _): return "<tensor being differentiated: \(v.type)>"
    case .size(let shape): return TorchFormatter.sizeRepr(shape)
    case .dtype(let d): return d.torchName
    case .function(let f): return "<function \(f.qualifiedName) at \(address(of: f.qualifiedName))>"
    case .builtin(let b) where Builtins.functions[b.name] != nil: return "<built-in function \(b.name)>"
    case .builtin(let b): return "<built-in method \(b.name) of type object at \(address(of: b.name))>"
    case .object(let object): return object.repr()
    case .boundMethod(_, let name): return "<built-in method \(name) of Tensor object at \(address(of: name))>"
    case .module(let name): return "<module '\(name)'>"
    case .generator: return "<torch._C.Generator at 0x7f3a2c1d5e30>"
    }
  }

  /// Python's `str`: like `repr` except that strings show without quotes, and objects choose (exceptions).
  static func str(_ value: Value) -> String {
    if case .string(let s) = value { return s }
    if case .object(let object) = value { return object.str() }
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
