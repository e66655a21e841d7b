import JVPCore

/// Python subscripts: sequence indexing and slicing, and PyTorch's basic tensor indexing.
enum Indexing {
  static func subscriptValue(_ value: Value, _ index: Index) throws -> Value {
    switch value {
    case .tuple(let items): return try sequence(items, index, "tuple", wrap: Value.tuple)
    case .list(let items): return try sequence(items, index, "list", wrap: Value.list)
    case .size(let shape):
      return try sequence(shape.map(Value.int), index, "torch.Size") { items in
        .size(items.map { if case .int(let i) = $0 { i } else { 0 } })
      }
    case .tensor(let tensor, _): return .tensor(try self.tensor(tensor, index))
    default: throw RuntimeFailure("'\(value.typeName)' object is not subscriptable")
    }
  }

  static func sequence(_ items: [Value], _ index: Index, _ type: String, wrap: ([Value]) -> Value) throws -> Value {
    switch index {
    case .value(let position):
      let i = try position.intValue("\(type) indices")
      guard i >= -items.count && i < items.count else { throw RuntimeFailure("\(type) index out of range") }
      return items[i < 0 ? i + items.count : i]
    case .slice(let lower, let upper, let step):
      let step = step ?? 1
      guard step != 0 else { throw RuntimeFailure("slice step cannot be zero") }
      return wrap(pythonSlice(count: items.count, lower, upper, step).map { items[$0] })
    case .tuple:
      throw RuntimeFailure("\(type) indices must be integers or slices, not tuple")
    }
  }

  /// The positions Python's `seq[lower:upper:step]` selects.
  static func pythonSlice(count: Int, _ lower: Int?, _ upper: Int?, _ step: Int) -> [Int] {
    func clamp(_ bound: Int?, _ fallback: Int, _ low: Int, _ high: Int) -> Int {
      guard let bound else { return fallback }
      let adjusted = bound < 0 ? bound + count : bound
      return min(max(adjusted, low), high)
    }
    if step > 0 {
      let start = clamp(lower, 0, 0, count)
      let stop = clamp(upper, count, 0, count)
      return Array(stride(from: start, to: stop, by: step))
    }
    let start = clamp(lower, count - 1, -1, count - 1)
    let stop = clamp(upper, -1, -1, count - 1)
    return Array(stride(from: start, to: stop, by: step))
  }

  /// `x[i]`, `x[a:b:c]` and tuples of those, one dim after another.
  static func tensor(_ x: Operand, _ index: Index) throws -> Operand {
    // `x[1, -1]` arrives as one tuple value (only slices make the parser keep the parts apart).
    let parts: [Index] = switch index {
    case .tuple(let items): items
    case .value(.tuple(let values)): values.map(Index.value)
    default: [index]
    }
    let consumed = parts.count
    guard consumed <= max(x.rank, 0) else {
      throw RuntimeFailure("too many indices for tensor of dimension \(x.rank)")
    }
    var result = x
    var dim = 0
    for part in parts {
      switch part {
      case .value(let value):
        if case .tensor = value { throw RuntimeFailure("indexing with a tensor is not supported in jvplab v1") }
        result = try result.select(dim: dim, index: try value.intValue("tensor indices"))
      case .slice(let lower, let upper, let step):
        let step = step ?? 1
        guard step > 0 else { throw RuntimeFailure("step must be greater than zero") }
        result = try result.slice(dim: dim, start: lower, stop: upper, step: step)
        dim += 1
      case .tuple:
        throw RuntimeFailure("nested tuples are not valid tensor indices")
      }
    }
    return result
  }
}
