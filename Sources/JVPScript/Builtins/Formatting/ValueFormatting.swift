import JVPCore

/// Python's string formatting over interpreter values: f-strings, `format()`, `str.format` and `%`, with
/// the format-spec mini-language of `PythonFormat`. A 0-d tensor formats as its item, as `Tensor.__format__` does.
enum Formatting {
  /// The value as Python's formatting machinery sees it.
  static func argument(_ value: Value) -> FormatArgument {
    switch value {
    case .bool(let b): return .bool(b)
    case .int(let i): return .int(Int128(i))
    case .wideInt(let i): return .int(i)
    case .float(let d): return .float(d)
    case .string(let s): return .string(s)
    default: return .other(str: Display.str(value), repr: Display.repr(value), typeName: value.typeName)
    }
  }

  /// `format(value, spec)`.
  static func format(_ value: Value, spec: String) throws -> String {
    var value = value
    if case .tensor(let x, _) = value, let tensor = x.concreteValue, tensor.rank == 0, !spec.isEmpty {
      value = Interpreter.number(tensor)
    }
    do {
      return try PythonFormat.format(argument(value), spec: spec)
    } catch {
      throw RuntimeFailure(error.message, type: error.type)
    }
  }

  /// `!r`, `!s`, `!a` applied to a value before it is formatted.
  static func converted(_ value: Value, _ conversion: Character?) throws -> Value {
    switch conversion {
    case "r": .string(Display.repr(value))
    case "s": .string(Display.str(value))
    case "a": .string(PythonFormat.ascii(Display.repr(value)))
    default: value
    }
  }

  /// `template % right`: a tuple's items as the arguments, a dict as the mapping, anything else as one argument.
  static func percent(_ template: String, _ right: Value) throws -> String {
    var items = [right]
    var mapping: [String: FormatArgument]?
    switch right {
    case .tuple(let values): items = values
    case .object(let object as DictObject):
      mapping = [:]
      for (key, value) in object.pairs { if case .string(let name) = key { mapping?[name] = argument(value) } }
    default: break
    }
    do {
      return try PythonFormat.percent(template, items.map(argument), mapping: mapping)
    } catch {
      throw RuntimeFailure(error.message, type: error.type)
    }
  }

  /// `template.format(*args, **kwargs)`, including `{0.attr}` and `{name[key]}` accessors and nested specs.
  static func formatMethod(_ template: String, _ arguments: Arguments, _ interpreter: Interpreter) throws -> String {
    let parts: [TemplatePart]
    do {
      parts = try PythonFormat.parseTemplate(template)
    } catch {
      throw RuntimeFailure(error.message, type: error.type)
    }
    var text = ""
    for part in parts {
      switch part {
      case .literal(let literal):
        text += literal
      case .field(let name, let conversion, let spec):
        let value = try converted(try field(name, arguments), conversion)
        let nested = try spec.contains("{") ? formatMethod(spec, arguments, interpreter) : spec
        text += try format(value, spec: nested)
      }
    }
    return text
  }

  /// The value a replacement field names: a position or keyword, then `.attr` and `[key]` accessors.
  static func field(_ name: String, _ arguments: Arguments) throws -> Value {
    let head = name.prefix { $0 != "." && $0 != "[" }
    var rest = name.dropFirst(head.count)
    var value: Value
    if let position = Int(head) {
      guard position < arguments.positional.count else {
        throw RuntimeFailure("Replacement index \(position) out of range for positional args tuple", type: "IndexError")
      }
      value = arguments.positional[position]
    } else {
      guard let keyword = arguments.keywords.first(where: { $0.name == head }) else {
        throw RuntimeFailure("'\(head)'", type: "KeyError")
      }
      value = keyword.value
    }
    while let first = rest.first {
      if first == "." {
        let attribute = rest.dropFirst().prefix { $0 != "." && $0 != "[" }
        value = try Library.attribute(of: value, String(attribute))
        rest = rest.dropFirst(attribute.count + 1)
      } else {
        let key = rest.dropFirst().prefix { $0 != "]" }
        rest = rest.dropFirst(key.count + 2)
        value = try Indexing.subscriptValue(value, .value(Int(key).map(Value.int) ?? .string(String(key))))
      }
    }
    return value
  }
}

extension Interpreter {
  /// The text of an f-string: literal parts as they are, fields evaluated, converted and formatted.
  func format(_ parts: [FormattedPart], in scope: Scope) throws(ScriptError) -> String {
    var text = ""
    for part in parts {
      switch part {
      case .literal(let literal):
        text += literal
      case .field(let expression, let debugText, let conversion, let spec):
        let value = try evaluate(expression, in: scope)
        // A self-documenting field (`{x=}`) shows the repr unless a conversion or spec says otherwise.
        let conversion = conversion ?? (debugText != nil && spec == nil ? "r" : nil)
        let specText = try spec.map { parts throws(ScriptError) in try format(parts, in: scope) } ?? ""
        text += debugText ?? ""
        text += try located(expression.location) {
          try Formatting.format(try Formatting.converted(value, conversion), spec: specText)
        }
      }
    }
    return text
  }
}
