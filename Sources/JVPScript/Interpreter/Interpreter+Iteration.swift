import JVPCore

extension Interpreter {
  /// Python's `iter(value)`: tuples, lists (live: items appended while looping are visited), strings by
  /// character, tensors along dim 0, `torch.Size`, and every iterable object (dicts by key, ranges, iterators).
  func iterate(_ value: Value) throws -> ValueIterator {
    switch value {
    case .tuple(let items): return ValueIterator(items)
    case .list(let list):
      var position = 0
      return ValueIterator {
        guard position < list.items.count else { return nil }
        defer { position += 1 }
        return list.items[position]
      }
    case .string(let text): return ValueIterator(text.map { Value.string(String($0)) })
    case .size(let shape): return ValueIterator(shape.map(Value.int))
    case .tensor(let tensor, _):
      guard tensor.rank > 0 else { throw RuntimeFailure("iteration over a 0-d tensor", type: "TypeError") }
      var position = 0
      return ValueIterator {
        guard position < tensor.shape[0] else { return nil }
        defer { position += 1 }
        return .tensor(try tensor.select(dim: 0, index: position))
      }
    case .object(let object): return try object.makeIterator()
    default: throw RuntimeFailure("'\(value.typeName)' object is not iterable", type: "TypeError")
    }
  }

  /// `sorted(items, key=, reverse=)`: stable, comparing with `<` as Python does.
  func sorted(_ items: [Value], key: Value?, reverse: Bool) throws -> [Value] {
    let keys = try key.map { function in try items.map { try callFunction(function, [$0]) } } ?? items
    var order = Array(items.indices)
    var failure: Error?
    // Ties keep their original order (Python's sort is stable; Swift's `sort` promises no stability).
    order.sort { a, b in
      guard failure == nil else { return false }
      do {
        let (x, y) = reverse ? (keys[b], keys[a]) : (keys[a], keys[b])
        if try Operators.compare(.less, x, y) { return true }
        if try Operators.compare(.less, y, x) { return false }
        return a < b
      } catch {
        failure = error
        return false
      }
    }
    if let failure { throw failure }
    return order.map { items[$0] }
  }

  /// Calls a script-visible function from library code (a `key=`, a `map` function).
  func callFunction(_ function: Value, _ arguments: [Value]) throws -> Value {
    try call(function, Arguments(arguments), at: currentCallLocation)
  }
}
