/// A Python dict: insertion-ordered, keyed by `HashKey`, shared by every name bound to it.
final class DictObject: ScriptObject {
  private(set) var keys: [Value] = []
  private(set) var values: [Value] = []
  private var positions: [HashKey: Int] = [:]

  init() {}

  init(_ pairs: [(Value, Value)]) throws {
    for (key, value) in pairs { try set(key, value) }
  }

  var typeName: String { "dict" }
  var count: Int { keys.count }
  var pairs: Zip2Sequence<[Value], [Value]> { zip(keys, values) }

  func lookup(_ key: Value) throws -> Value? {
    try positions[HashKey(key)].map { values[$0] }
  }

  func set(_ key: Value, _ value: Value) throws {
    let hash = try HashKey(key)
    if let position = positions[hash] {
      values[position] = value
    } else {
      positions[hash] = keys.count
      keys.append(key)
      values.append(value)
    }
  }

  /// Removes `key` and returns its value, or nil when it is absent.
  func remove(_ key: Value) throws -> Value? {
    guard let position = positions.removeValue(forKey: try HashKey(key)) else { return nil }
    keys.remove(at: position)
    let value = values.remove(at: position)
    for (hash, index) in positions where index > position { positions[hash] = index - 1 }
    return value
  }

  func repr() -> String {
    "{" + pairs.map { Display.repr($0) + ": " + Display.repr($1) }.joined(separator: ", ") + "}"
  }

  func display() -> DisplayValue { .dict(pairs.map { DisplayEntry(key: Display.displayValue($0), value: Display.displayValue($1)) }) }
  func length() throws -> Int { count }
  func makeIterator() throws -> ValueIterator { ValueIterator(keys) }
  func contains(_ value: Value) throws -> Bool { positions[try HashKey(value)] != nil }

  func item(_ key: Value) throws -> Value {
    guard let value = try lookup(key) else { throw RuntimeFailure(Display.repr(key), type: "KeyError") }
    return value
  }

  func setItem(_ key: Value, _ value: Value) throws { try set(key, value) }

  func deleteItem(_ key: Value) throws {
    guard try remove(key) != nil else { throw RuntimeFailure(Display.repr(key), type: "KeyError") }
  }

  func equals(_ other: Value) throws -> Bool {
    guard case .object(let object) = other, let dict = object as? DictObject else { return false }
    guard dict.count == count else { return false }
    for (key, value) in pairs {
      guard let theirs = try dict.lookup(key), try Operators.equal(value, theirs) else { return false }
    }
    return true
  }

  func hashKey() throws -> HashKey { throw RuntimeFailure("unhashable type: 'dict'", type: "TypeError") }

  func attribute(_ name: String) throws -> Value {
    let dict = self
    let function: (Interpreter, Arguments) throws -> Value
    switch name {
    case "keys": function = { _, _ in .object(DictView(dict, .keys)) }
    case "values": function = { _, _ in .object(DictView(dict, .values)) }
    case "items": function = { _, _ in .object(DictView(dict, .items)) }
    case "get":
      function = { _, args in
        let bound = try args.bind("get", ["key", "default"], required: 1)
        return try dict.lookup(bound.values["key"]!) ?? bound.values["default"] ?? .none
      }
    case "setdefault":
      function = { _, args in
        let bound = try args.bind("setdefault", ["key", "default"], required: 1)
        let key = bound.values["key"]!
        if let value = try dict.lookup(key) { return value }
        let value = bound.values["default"] ?? .none
        try dict.set(key, value)
        return value
      }
    case "pop":
      function = { _, args in
        let bound = try args.bind("pop", ["key", "default"], required: 1)
        let key = bound.values["key"]!
        if let value = try dict.remove(key) { return value }
        if let fallback = bound.values["default"] { return fallback }
        throw RuntimeFailure(Display.repr(key), type: "KeyError")
      }
    case "update":
      function = { interpreter, args in
        for other in args.positional { try dict.merge(other, interpreter) }
        for (key, value) in args.keywords { try dict.set(.string(key), value) }
        return .none
      }
    case "copy": function = { _, _ in .object(try DictObject(Array(dict.pairs))) }
    case "clear":
      function = { _, _ in
        dict.keys.removeAll()
        dict.values.removeAll()
        dict.positions.removeAll()
        return .none
      }
    default:
      throw RuntimeFailure("'dict' object has no attribute '\(name)'", type: "AttributeError")
    }
    return .object(NativeFunction(name: name, owner: "dict", call: function))
  }

  /// `update(other)`: a dict's entries, or an iterable of key-value pairs.
  func merge(_ other: Value, _ interpreter: Interpreter) throws {
    if case .object(let object) = other, let source = object as? DictObject {
      for (key, value) in Array(source.pairs) { try set(key, value) }
      return
    }
    let iterator = try interpreter.iterate(other)
    var index = 0
    while let pair = try iterator.next() {
      let items = try interpreter.iterate(pair).collect()
      guard items.count == 2 else {
        throw RuntimeFailure(
          "dictionary update sequence element #\(index) has length \(items.count); 2 is required", type: "ValueError")
      }
      try set(items[0], items[1])
      index += 1
    }
  }
}

/// `dict.keys()`, `.values()`, `.items()`: live views of a dict.
final class DictView: ScriptObject {
  enum Kind: String { case keys, values, items }

  let dict: DictObject
  let kind: Kind

  init(_ dict: DictObject, _ kind: Kind) {
    self.dict = dict
    self.kind = kind
  }

  var typeName: String { "dict_\(kind.rawValue)" }

  var elements: [Value] {
    switch kind {
    case .keys: dict.keys
    case .values: dict.values
    case .items: dict.pairs.map { .tuple([$0, $1]) }
    }
  }

  func repr() -> String { "\(typeName)([" + elements.map(Display.repr).joined(separator: ", ") + "])" }

  func display() -> DisplayValue { .call(typeName, [.list(elements.map(Display.displayValue))]) }
  func length() throws -> Int { dict.count }
  func makeIterator() throws -> ValueIterator { ValueIterator(elements) }

  func contains(_ value: Value) throws -> Bool {
    switch kind {
    case .keys: try dict.contains(value)
    default: try elements.contains { try Operators.equal($0, value) }
    }
  }
}
