import Foundation
import JVPCore

/// Python's builtins: the functions a script reaches without an import, the built-in types, and the exception
/// classes. Each entry follows CPython's signature and error messages.
enum Builtins {
  /// A builtin by name: a function, or an exception class (`ValueError`).
  static func value(_ name: String) -> Value? {
    if let function = functions[name] { return .builtin(function) }
    if let type = ExceptionClass.table[name] { return .object(type) }
    return nil
  }

  static let functions: [String: Builtin] = {
    var table = [String: Builtin]()
    func add(_ name: String, _ call: @escaping @Sendable (Interpreter, Arguments) throws -> Value) {
      table[name] = Builtin(name: name, call: call)
    }
    add("print") { interpreter, args in
      let bound = try args.bind("print", ["sep", "end", "file", "flush"], variadic: true)
      let sep = try bound.string("sep", default: " ")
      let end = try bound.string("end", default: "\n")
      interpreter.write(bound.rest.map(Display.str).joined(separator: sep) + end)
      return .none
    }
    add("len") { _, args in
      let value = try args.bind("len", ["obj"], required: 1).values["obj"]!
      switch value {
      case .tuple(let items): return .int(items.count)
      case .list(let list): return .int(list.items.count)
      case .string(let s): return .int(s.count)
      case .size(let shape): return .int(shape.count)
      case .tensor(let t, _):
        guard t.rank > 0 else { throw RuntimeFailure("len() of a 0-d tensor", type: "TypeError") }
        return .int(t.shape[0])
      case .object(let object): return .int(try object.length())
      default: throw RuntimeFailure("object of type '\(value.typeName)' has no len()", type: "TypeError")
      }
    }
    add("tuple") { interpreter, args in .tuple(try args.positional.first.map { try interpreter.iterate($0).collect() } ?? []) }
    add("list") { interpreter, args in .makeList(try args.positional.first.map { try interpreter.iterate($0).collect() } ?? []) }
    add("set") { interpreter, args in .object(try SetObject(try args.positional.first.map { try interpreter.iterate($0).collect() } ?? [])) }
    add("dict") { interpreter, args in
      let dict = DictObject()
      if let source = args.positional.first { try dict.merge(source, interpreter) }
      for (key, value) in args.keywords { try dict.set(.string(key), value) }
      return .object(dict)
    }
    add("bool") { _, args in .bool(try args.positional.first.map(Operators.truth) ?? false) }
    add("float") { _, args in
      guard let value = args.positional.first else { return .float(0) }
      if case .string(let s) = value {
        let text = s.trimmingWhitespace().lowercased()
        switch text {
        case "nan", "+nan", "-nan": return .float(.nan)
        case "inf", "+inf", "infinity", "+infinity": return .float(.infinity)
        case "-inf", "-infinity": return .float(-.infinity)
        default:
          guard let d = Double(text) else {
            throw RuntimeFailure("could not convert string to float: \(PythonRepr.string(s))", type: "ValueError")
          }
          return .float(d)
        }
      }
      return .float(try value.doubleValue("float() argument"))
    }
    add("int") { _, args in
      guard let value = args.positional.first else { return .int(0) }
      switch value {
      case .int, .wideInt: return value
      case .bool(let b): return .int(b ? 1 : 0)
      case .string(let s):
        let base = try args.positional.count > 1 ? args.positional[1].intValue("int() base") : 10
        guard let i = Int(s.trimmingWhitespace().replacingUnderscores(), radix: base) else {
          throw RuntimeFailure("invalid literal for int() with base \(base): \(PythonRepr.string(s))", type: "ValueError")
        }
        return .int(i)
      default:
        return .int(try Library.integer(try value.doubleValue("int() argument"), "int()"))
      }
    }
    add("str") { _, args in .string(args.positional.first.map(Display.str) ?? "") }
    add("repr") { _, args in .string(Display.repr(try args.bind("repr", ["obj"], required: 1).values["obj"]!)) }
    add("ascii") { _, args in .string(PythonFormat.ascii(Display.repr(try args.bind("ascii", ["obj"], required: 1).values["obj"]!))) }
    add("format") { _, args in
      let bound = try args.bind("format", ["value", "format_spec"], required: 1)
      return .string(try Formatting.format(bound.values["value"]!, spec: try bound.string("format_spec", default: "")))
    }
    add("abs") { _, args in
      let value = try args.bind("abs", ["x"], required: 1).values["x"]!
      switch value {
      case .int(let i) where i < 0: return try Operators.unary(.negate, value)
      case .wideInt(let i) where i < 0: return try Operators.unary(.negate, value)
      case .int, .wideInt: return value
      case .bool(let b): return .int(b ? 1 : 0)
      case .float(let d): return .float(Swift.abs(d))
      case .tensor(let t, _): return .tensor(try t.abs())
      default: throw RuntimeFailure("bad operand type for abs(): '\(value.typeName)'", type: "TypeError")
      }
    }
    add("sum") { interpreter, args in
      let bound = try args.bind("sum", ["iterable", "start"], required: 1)
      var total = bound["start"] ?? .int(0)
      let iterator = try interpreter.iterate(bound.values["iterable"]!)
      while let item = try iterator.next() { total = try Operators.binary(.add, total, item) }
      return total
    }
    for (name, op) in [("min", ComparisonOperator.less), ("max", .greater)] {
      // Python's min and max: over one iterable or over the arguments; the first extreme wins ties.
      add(name) { interpreter, args in
        let bound = try args.bind(name, ["key", "default"], variadic: true)
        let items = bound.rest.count == 1 ? try interpreter.iterate(bound.rest[0]).collect() : bound.rest
        guard var best = items.first else {
          if let fallback = bound.values["default"] { return fallback }
          throw RuntimeFailure("\(name)() arg is an empty sequence", type: "ValueError")
        }
        let key = bound["key"]
        var bestKey = try key.map { try interpreter.callFunction($0, [best]) } ?? best
        for item in items.dropFirst() {
          let itemKey = try key.map { try interpreter.callFunction($0, [item]) } ?? item
          if try Operators.compare(op, itemKey, bestKey) { (best, bestKey) = (item, itemKey) }
        }
        return best
      }
    }
    add("range") { _, args in
      guard args.keywords.isEmpty else { throw RuntimeFailure("range() takes no keyword arguments", type: "TypeError") }
      let ints = try args.positional.map { value -> Int in
        guard value.number != nil, case .int? = value.number else {
          throw RuntimeFailure("'\(value.typeName)' object cannot be interpreted as an integer", type: "TypeError")
        }
        return try value.intValue("range() argument")
      }
      switch ints.count {
      case 1: return .object(try RangeObject(start: 0, stop: ints[0], step: 1))
      case 2: return .object(try RangeObject(start: ints[0], stop: ints[1], step: 1))
      case 3: return .object(try RangeObject(start: ints[0], stop: ints[1], step: ints[2]))
      default: throw RuntimeFailure("range expected at most 3 arguments, got \(ints.count)", type: "TypeError")
      }
    }
    add("enumerate") { interpreter, args in
      let bound = try args.bind("enumerate", ["iterable", "start"], required: 1)
      let iterator = try interpreter.iterate(bound.values["iterable"]!)
      var count = try bound.int("start", default: 0)
      return .object(IteratorObject("enumerate", ValueIterator {
        guard let item = try iterator.next() else { return nil }
        defer { count += 1 }
        return .tuple([.int(count), item])
      }))
    }
    add("zip") { interpreter, args in
      let bound = try args.bind("zip", ["strict"], variadic: true)
      let iterators = try bound.rest.map(interpreter.iterate)
      let strict = try bound.bool("strict", default: false)
      return .object(IteratorObject("zip", ValueIterator {
        guard !iterators.isEmpty else { return nil }
        var items: [Value] = []
        for (i, iterator) in iterators.enumerated() {
          guard let item = try iterator.next() else {
            let othersRemain = try iterators.dropFirst().contains { try $0.next() != nil }
            if strict && (i > 0 || othersRemain) {
              throw RuntimeFailure("zip() argument \(i + 1) is shorter than argument\(i > 1 ? "s 1-\(i)" : " 1")", type: "ValueError")
            }
            return nil
          }
          items.append(item)
        }
        return .tuple(items)
      }))
    }
    add("map") { interpreter, args in
      guard args.positional.count >= 2 else { throw RuntimeFailure("map() must have at least two arguments.", type: "TypeError") }
      let function = args.positional[0]
      let iterators = try args.positional.dropFirst().map(interpreter.iterate)
      return .object(IteratorObject("map", ValueIterator {
        var items: [Value] = []
        for iterator in iterators {
          guard let item = try iterator.next() else { return nil }
          items.append(item)
        }
        return try interpreter.callFunction(function, items)
      }))
    }
    add("filter") { interpreter, args in
      let bound = try args.bind("filter", ["function", "iterable"], required: 2)
      let function = bound["function"]
      let iterator = try interpreter.iterate(bound.values["iterable"]!)
      return .object(IteratorObject("filter", ValueIterator {
        while let item = try iterator.next() {
          let keep = try function.map { try interpreter.callFunction($0, [item]) } ?? item
          if try Operators.truth(keep) { return item }
        }
        return nil
      }))
    }
    add("reversed") { interpreter, args in
      let value = try args.bind("reversed", ["sequence"], required: 1).values["sequence"]!
      return .object(IteratorObject("reversed", ValueIterator(try interpreter.iterate(value).collect().reversed())))
    }
    add("sorted") { interpreter, args in
      let bound = try args.bind("sorted", ["iterable", "key", "reverse"], required: 1)
      let items = try interpreter.iterate(bound.values["iterable"]!).collect()
      return .makeList(try interpreter.sorted(items, key: bound["key"], reverse: try bound.bool("reverse", default: false)))
    }
    for (name, wanted) in [("any", true), ("all", false)] {
      add(name) { interpreter, args in
        let iterator = try interpreter.iterate(try args.bind(name, ["iterable"], required: 1).values["iterable"]!)
        while let item = try iterator.next() {
          if try Operators.truth(item) == wanted { return .bool(wanted) }
        }
        return .bool(!wanted)
      }
    }
    add("iter") { interpreter, args in
      let value = try args.bind("iter", ["object"], required: 1).values["object"]!
      if case .object(let object) = value, object is IteratorObject { return value }
      return .object(IteratorObject("iterator", try interpreter.iterate(value)))
    }
    add("next") { interpreter, args in
      let bound = try args.bind("next", ["iterator", "default"], required: 1)
      guard case .object(let object as IteratorObject) = bound.values["iterator"]! else {
        throw RuntimeFailure("'\(bound.values["iterator"]!.typeName)' object is not an iterator", type: "TypeError")
      }
      if let item = try object.iterator.next() { return item }
      if let fallback = bound.values["default"] { return fallback }
      throw RuntimeFailure("", type: "StopIteration")
    }
    add("isinstance") { _, args in
      let bound = try args.bind("isinstance", ["obj", "class_or_tuple"], required: 2)
      return .bool(try TypeObject.isInstance(bound.values["obj"]!, bound.values["class_or_tuple"]!))
    }
    add("type") { _, args in
      let value = try args.bind("type", ["object"], required: 1).values["object"]!
      return .object(TypeObject.of(value))
    }
    add("callable") { _, args in
      switch try args.bind("callable", ["obj"], required: 1).values["obj"]! {
      case .function, .builtin, .boundMethod: .bool(true)
      case .object(let object): .bool(object is NativeFunction || object is ExceptionClass || object is PartialObject)
      default: .bool(false)
      }
    }
    add("hasattr") { _, args in
      let bound = try args.bind("hasattr", ["obj", "name"], required: 2)
      do {
        _ = try Library.attribute(of: bound.values["obj"]!, try bound.string("name", default: ""))
        return .bool(true)
      } catch let failure as RuntimeFailure where failure.type == "AttributeError" {
        return .bool(false)
      }
    }
    add("getattr") { _, args in
      let bound = try args.bind("getattr", ["object", "name", "default"], required: 2)
      do {
        return try Library.attribute(of: bound.values["object"]!, try bound.string("name", default: ""))
      } catch let failure as RuntimeFailure where failure.type == "AttributeError" {
        guard let fallback = bound.values["default"] else { throw failure }
        return fallback
      }
    }
    add("divmod") { _, args in
      let bound = try args.bind("divmod", ["x", "y"], required: 2)
      let (x, y) = (bound.values["x"]!, bound.values["y"]!)
      return .tuple([try Operators.binary(.floorDivide, x, y), try Operators.binary(.remainder, x, y)])
    }
    add("pow") { _, args in
      let bound = try args.bind("pow", ["base", "exp"], required: 2)
      return try Operators.binary(.power, bound.values["base"]!, bound.values["exp"]!)
    }
    add("round") { _, args in
      let bound = try args.bind("round", ["number", "ndigits"], required: 1)
      let x = try bound.values["number"]!.doubleValue("round() argument")
      guard let digits = bound["ndigits"] else { return .int(try Library.integer(x.rounded(.toNearestOrEven), "round()")) }
      let n = try digits.intValue("round() ndigits")
      // Beyond these, rounding cannot change a double (or leaves only a signed zero), as in Python.
      if n > 400 || !x.isFinite { return .float(x) }
      if n < -400 { return .float(0 * x) }
      // Rounded as the exact decimal value of x rounds (2.675 is 2.67499999..., so 2.67), as CPython does.
      if n >= 0 { return .float(Double(String(format: "%.\(n)f", x))!) }
      let scale = Library.pow10(-n)
      return .float((x / scale).rounded(.toNearestOrEven) * scale)
    }
    add("chr") { _, args in
      let code = try args.bind("chr", ["i"], required: 1).int("i")
      guard let scalar = Unicode.Scalar(UInt32(clamping: max(code, 0))) else {
        throw RuntimeFailure("chr() arg not in range(0x110000)", type: "ValueError")
      }
      return .string(String(Character(scalar)))
    }
    add("ord") { _, args in
      guard case .string(let text) = try args.bind("ord", ["c"], required: 1).values["c"]!, text.unicodeScalars.count == 1 else {
        throw RuntimeFailure("ord() expected a character", type: "TypeError")
      }
      return .int(Int(text.unicodeScalars.first!.value))
    }
    return table
  }()
}

extension String {
  /// The string without leading and trailing ASCII whitespace, as `float()` and `int()` accept it.
  func trimmingWhitespace() -> String {
    let scalars = unicodeScalars.drop { " \t\n\r\u{0B}\u{0C}".unicodeScalars.contains($0) }
    var result = String.UnicodeScalarView(scalars)
    while let last = result.last, " \t\n\r\u{0B}\u{0C}".unicodeScalars.contains(last) { result.removeLast() }
    return String(result)
  }

  /// Digit-grouping underscores removed (`1_000`), as Python's int() accepts them.
  func replacingUnderscores() -> String { filter { $0 != "_" } }
}
