/// A Python set: unordered in meaning, kept in insertion order here; shown sorted, as IPython shows it.
final class SetObject: ScriptObject {
  private(set) var members: [Value] = []
  private var positions: [HashKey: Int] = [:]

  init(_ items: [Value] = []) throws {
    for item in items { try insert(item) }
  }

  var typeName: String { "set" }

  func insert(_ value: Value) throws {
    let hash = try HashKey(value)
    guard positions[hash] == nil else { return }
    positions[hash] = members.count
    members.append(value)
  }

  func remove(_ value: Value) throws -> Bool {
    guard let position = positions.removeValue(forKey: try HashKey(value)) else { return false }
    members.remove(at: position)
    for (hash, index) in positions where index > position { positions[hash] = index - 1 }
    return true
  }

  /// The members in the order IPython prints them: sorted when they are comparable, as inserted otherwise.
  var sortedMembers: [Value] {
    (try? members.sorted { try Operators.compare(.less, $0, $1) }) ?? members
  }

  func repr() -> String {
    members.isEmpty ? "set()" : "{" + members.map(Display.repr).joined(separator: ", ") + "}"
  }

  func display() -> DisplayValue { members.isEmpty ? .atom("set()") : .set(sortedMembers.map(Display.displayValue)) }
  func length() throws -> Int { members.count }
  func makeIterator() throws -> ValueIterator { ValueIterator(members) }
  func contains(_ value: Value) throws -> Bool { positions[try HashKey(value)] != nil }
  func hashKey() throws -> HashKey { throw RuntimeFailure("unhashable type: 'set'", type: "TypeError") }

  func equals(_ other: Value) throws -> Bool {
    guard case .object(let object) = other, let set = object as? SetObject, set.members.count == members.count else {
      return false
    }
    return try members.allSatisfy { try set.contains($0) }
  }

  func attribute(_ name: String) throws -> Value {
    let set = self
    let function: (Interpreter, Arguments) throws -> Value
    switch name {
    case "add":
      function = { _, args in
        try set.insert(try args.bind("add", ["elem"], required: 1).values["elem"]!)
        return .none
      }
    case "discard", "remove":
      function = { _, args in
        let value = try args.bind(name, ["elem"], required: 1).values["elem"]!
        if try !set.remove(value) && name == "remove" { throw RuntimeFailure(Display.repr(value), type: "KeyError") }
        return .none
      }
    case "update":
      function = { interpreter, args in
        for other in args.positional { for item in try interpreter.iterate(other).collect() { try set.insert(item) } }
        return .none
      }
    case "union", "intersection", "difference":
      function = { interpreter, args in
        var result = set.members
        for other in args.positional {
          let items = try SetObject(try interpreter.iterate(other).collect())
          switch name {
          case "union": result += items.members
          case "intersection": result = try result.filter { try items.contains($0) }
          default: result = try result.filter { try !items.contains($0) }
          }
        }
        return .object(try SetObject(result))
      }
    case "copy": function = { _, _ in .object(try SetObject(set.members)) }
    default:
      throw RuntimeFailure("'set' object has no attribute '\(name)'", type: "AttributeError")
    }
    return .object(NativeFunction(name: name, owner: "set", call: function))
  }
}
