/// A Python list: mutable and shared by every name bound to it (`b = a; b.append(1)` changes `a`).
final class ListObject {
  var items: [Value]

  init(_ items: [Value]) { self.items = items }
}

extension ListObject {
  /// `list.NAME`, bound to this list.
  func method(_ name: String) throws -> Value {
    let list = self
    let function: (Interpreter, Arguments) throws -> Value
    switch name {
    case "append":
      function = { _, args in
        list.items.append(try args.bind("append", ["object"], required: 1).values["object"]!)
        return .none
      }
    case "extend":
      function = { interpreter, args in
        let iterable = try args.bind("extend", ["iterable"], required: 1).values["iterable"]!
        list.items += try interpreter.iterate(iterable).collect()
        return .none
      }
    case "insert":
      function = { _, args in
        let bound = try args.bind("insert", ["index", "object"], required: 2)
        let count = list.items.count
        let i = try bound.int("index")
        list.items.insert(bound.values["object"]!, at: min(max(i < 0 ? i + count : i, 0), count))
        return .none
      }
    case "pop":
      function = { _, args in
        let bound = try args.bind("pop", ["index"])
        guard !list.items.isEmpty else { throw RuntimeFailure("pop from empty list", type: "IndexError") }
        let i = try bound.int("index", default: -1)
        let position = i < 0 ? i + list.items.count : i
        guard position >= 0 && position < list.items.count else { throw RuntimeFailure("pop index out of range", type: "IndexError") }
        return list.items.remove(at: position)
      }
    case "remove":
      function = { _, args in
        let value = try args.bind("remove", ["value"], required: 1).values["value"]!
        guard let position = try list.items.firstIndex(where: { try Operators.equal($0, value) }) else {
          throw RuntimeFailure("list.remove(x): x not in list", type: "ValueError")
        }
        list.items.remove(at: position)
        return .none
      }
    case "index":
      function = { _, args in
        let value = try args.bind("index", ["value"], required: 1).values["value"]!
        guard let position = try list.items.firstIndex(where: { try Operators.equal($0, value) }) else {
          throw RuntimeFailure("\(Display.repr(value)) is not in list", type: "ValueError")
        }
        return .int(position)
      }
    case "count":
      function = { _, args in
        let value = try args.bind("count", ["value"], required: 1).values["value"]!
        return .int(try list.items.filter { try Operators.equal($0, value) }.count)
      }
    case "clear":
      function = { _, _ in
        list.items.removeAll()
        return .none
      }
    case "copy":
      function = { _, _ in .list(ListObject(list.items)) }
    case "reverse":
      function = { _, _ in
        list.items.reverse()
        return .none
      }
    case "sort":
      function = { interpreter, args in
        let bound = try args.bind("sort", ["key", "reverse"])
        list.items = try interpreter.sorted(list.items, key: bound["key"], reverse: try bound.bool("reverse", default: false))
        return .none
      }
    default:
      throw RuntimeFailure("'list' object has no attribute '\(name)'", type: "AttributeError")
    }
    return .object(NativeFunction(name: name, owner: "list", call: function))
  }
}

/// A method of a built-in object bound to its receiver, or a function of a built-in module.
final class NativeFunction: ScriptObject {
  let name: String
  /// The type or module it belongs to (`list`, `math`), for its repr.
  let owner: String
  private let body: (Interpreter, Arguments) throws -> Value
  /// Whether it shows as a module function (`<built-in function sqrt>`) rather than a bound method.
  let isModuleFunction: Bool

  init(name: String, owner: String, isModuleFunction: Bool = false, call: @escaping (Interpreter, Arguments) throws -> Value) {
    self.name = name
    self.owner = owner
    self.isModuleFunction = isModuleFunction
    body = call
  }

  var typeName: String { "builtin_function_or_method" }

  func repr() -> String {
    isModuleFunction
      ? "<built-in function \(name)>"
      : "<built-in method \(name) of \(owner) object at \(Display.address(of: owner + "." + name))>"
  }

  func call(_ interpreter: Interpreter, _ arguments: Arguments) throws -> Value { try body(interpreter, arguments) }
}
