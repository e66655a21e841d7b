/// A Python object beyond the interpreter's plain value cases: dicts, sets, ranges, iterators, exceptions,
/// context managers, modules such as `math`. Each kind is one class conforming here, so a new kind needs
/// no edits to the switches on `Value`; every requirement has Python's default behaviour.
protocol ScriptObject: AnyObject {
  /// Python's name for the type (`dict`, `range`, `ValueError`).
  var typeName: String { get }
  /// Python's `repr`.
  func repr() -> String
  /// Python's `str` (the repr unless the type says otherwise).
  func str() -> String
  /// What IPython's pretty printer shows.
  func display() -> DisplayValue
  func truth() throws -> Bool
  /// The object's items in iteration order, produced one at a time.
  func makeIterator() throws -> ValueIterator
  func length() throws -> Int
  func contains(_ value: Value) throws -> Bool
  func attribute(_ name: String) throws -> Value
  func setAttribute(_ name: String, _ value: Value) throws
  func item(_ key: Value) throws -> Value
  func setItem(_ key: Value, _ value: Value) throws
  func deleteItem(_ key: Value) throws
  func equals(_ other: Value) throws -> Bool
  /// The key under which the object sits in a dict or set; unhashable objects throw `TypeError`.
  func hashKey() throws -> HashKey
  /// Calls the object (classes, partials, bound methods); others are not callable.
  func call(_ interpreter: Interpreter, _ arguments: Arguments) throws -> Value
}

extension ScriptObject {
  func str() -> String { repr() }
  func display() -> DisplayValue { .atom(repr()) }
  func truth() throws -> Bool {
    if let count = try? length() { return count > 0 }
    return true
  }
  func makeIterator() throws -> ValueIterator {
    throw RuntimeFailure("'\(typeName)' object is not iterable", type: "TypeError")
  }
  func length() throws -> Int { throw RuntimeFailure("object of type '\(typeName)' has no len()", type: "TypeError") }
  func contains(_ value: Value) throws -> Bool {
    let iterator = try makeIterator()
    while let item = try iterator.next() {
      if try Operators.equal(item, value) { return true }
    }
    return false
  }
  func attribute(_ name: String) throws -> Value {
    throw RuntimeFailure("'\(typeName)' object has no attribute '\(name)'", type: "AttributeError")
  }
  func setAttribute(_ name: String, _ value: Value) throws {
    throw RuntimeFailure("'\(typeName)' object has no attribute '\(name)'", type: "AttributeError")
  }
  func item(_ key: Value) throws -> Value {
    throw RuntimeFailure("'\(typeName)' object is not subscriptable", type: "TypeError")
  }
  func setItem(_ key: Value, _ value: Value) throws {
    throw RuntimeFailure("'\(typeName)' object does not support item assignment", type: "TypeError")
  }
  func deleteItem(_ key: Value) throws {
    throw RuntimeFailure("'\(typeName)' object doesn't support item deletion", type: "TypeError")
  }
  func equals(_ other: Value) throws -> Bool {
    if case .object(let object) = other { return object === self }
    return false
  }
  func hashKey() throws -> HashKey { .identity(ObjectIdentifier(self)) }
  func call(_ interpreter: Interpreter, _ arguments: Arguments) throws -> Value {
    throw RuntimeFailure("'\(typeName)' object is not callable", type: "TypeError")
  }
}

/// Produces a value's items one at a time, as Python's iterator protocol does; nil at the end.
final class ValueIterator {
  private let step: () throws -> Value?

  init(_ step: @escaping () throws -> Value?) { self.step = step }

  convenience init<S: Sequence>(_ items: S) where S.Element == Value {
    var iterator = items.makeIterator()
    self.init { iterator.next() }
  }

  func next() throws -> Value? { try step() }

  /// Every remaining item.
  func collect(limit: Int = Operators.maximumSequenceLength) throws -> [Value] {
    var items: [Value] = []
    while let item = try next() {
      items.append(item)
      guard items.count <= limit else {
        throw RuntimeFailure("an iterable of more than \(limit) items is too large for a script", type: "MemoryError")
      }
    }
    return items
  }
}
