/// `range(start, stop, step)`: a lazy arithmetic sequence, so `for i in range(10**6)` allocates nothing per item.
final class RangeObject: ScriptObject {
  let start: Int
  let stop: Int
  let step: Int
  let count: Int

  init(start: Int, stop: Int, step: Int) throws {
    guard step != 0 else { throw RuntimeFailure("range() arg 3 must not be zero", type: "ValueError") }
    self.start = start
    self.stop = stop
    self.step = step
    // The span of two 64-bit ints can overflow Int, never UInt: count in unsigned arithmetic.
    let span = step > 0
      ? (stop > start ? UInt(bitPattern: stop &- start) : 0) : (start > stop ? UInt(bitPattern: start &- stop) : 0)
    let count = span == 0 ? 0 : (span - 1) / step.magnitude + 1
    guard count <= UInt(Int.max) else {
      throw RuntimeFailure("range() of more than 2**63 - 1 elements is too large for a script", type: "OverflowError")
    }
    self.count = Int(count)
  }

  var typeName: String { "range" }

  /// The item at `position` (0 ≤ position < count); exact because every item lies between start and stop.
  func element(_ position: Int) -> Int { start &+ position &* step }

  func repr() -> String { step == 1 ? "range(\(start), \(stop))" : "range(\(start), \(stop), \(step))" }
  func length() throws -> Int { count }

  func makeIterator() throws -> ValueIterator {
    var position = 0
    return ValueIterator { [self] in
      guard position < count else { return nil }
      defer { position += 1 }
      return .int(element(position))
    }
  }

  func contains(_ value: Value) throws -> Bool {
    guard case .int(let wide)? = value.number, let x = Int(exactly: wide) else { return false }
    guard step > 0 ? (x >= start && x < stop) : (x <= start && x > stop) else { return false }
    return (x - start) % step == 0
  }

  func item(_ key: Value) throws -> Value {
    let i = try key.intValue("range indices")
    guard i >= -count && i < count else { throw RuntimeFailure("range object index out of range", type: "IndexError") }
    return .int(element(i < 0 ? i + count : i))
  }

  func equals(_ other: Value) throws -> Bool {
    guard case .object(let object) = other, let range = object as? RangeObject else { return false }
    return range.count == count && (count == 0 || (range.start == start && (count == 1 || range.step == step)))
  }
}

/// An iterator object (`zip(...)`, `enumerate(...)`, `map(...)`, a generator expression): iterable once.
final class IteratorObject: ScriptObject {
  let typeName: String
  let iterator: ValueIterator

  init(_ typeName: String, _ iterator: ValueIterator) {
    self.typeName = typeName
    self.iterator = iterator
  }

  func repr() -> String {
    typeName == "generator"
      ? "<generator object <genexpr> at \(Display.address(of: typeName))>"
      : "<\(typeName) object at \(Display.address(of: typeName))>"
  }

  func display() -> DisplayValue {
    .atom(typeName == "generator" ? repr() : "<\(typeName) at \(Display.address(of: typeName))>")
  }

  func truth() throws -> Bool { true }
  func makeIterator() throws -> ValueIterator { iterator }
}
