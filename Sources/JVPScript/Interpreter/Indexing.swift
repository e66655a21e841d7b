import JVPCore

/// Python subscripts: sequence indexing and slicing, and PyTorch's basic tensor indexing.
enum Indexing {
  static func subscriptValue(_ value: Value, _ index: Index) throws -> Value {
    switch value {
    case .tuple(let items): return try sequence(items, index, "tuple", wrap: Value.tuple)
    case .list(let list): return try sequence(list.items, index, "list", wrap: Value.makeList)
    case .string(let text):
      return try sequence(text.map { .string(String($0)) }, index, "string") { items in
        .string(items.map { if case .string(let s) = $0 { s } else { "" } }.joined())
      }
    case .object(let object):
      guard case .value(let key) = index else {
        if let range = object as? RangeObject, case .slice(let lower, let upper, let step) = index {
          return try sequence((0..<range.count).map { .int(range.element($0)) }, .slice(lower, upper, step), "range", wrap: Value.makeList)
        }
        throw RuntimeFailure("unhashable type: 'slice'", type: "TypeError")
      }
      return try object.item(key)
    case .size(let shape):
      return try sequence(shape.map(Value.int), index, "torch.Size") { items in
        .size(items.map { if case .int(let i) = $0 { i } else { 0 } })
      }
    case .tensor(let tensor, _): return .tensor(try self.tensor(tensor, index))
    default: throw RuntimeFailure("'\(value.typeName)' object is not subscriptable", type: "TypeError")
    }
  }

  /// `container[index] = value` for lists (positions and slices) and objects (dicts).
  static func setSubscript(_ container: Value, _ index: Index, _ value: Value) throws {
    switch (container, index) {
    case (.list(let list), .value(let position)):
      list.items[try checkedPosition(position, list.items.count, "list assignment")] = value
    case (.list(let list), .slice(let lower, let upper, let step)) where (step ?? 1) == 1:
      let positions = pythonSlice(count: list.items.count, lower, upper, 1)
      let start = positions.first ?? min(max((lower ?? 0) < 0 ? (lower ?? 0) + list.items.count : (lower ?? 0), 0), list.items.count)
      list.items.replaceSubrange(start..<(start + positions.count), with: try Operators.unpack(value))
    case (.object(let object), .value(let key)):
      try object.setItem(key, value)
    case (.tuple, _):
      throw RuntimeFailure("'tuple' object does not support item assignment", type: "TypeError")
    case (.string, _):
      throw RuntimeFailure("'str' object does not support item assignment", type: "TypeError")
    default:
      throw RuntimeFailure("'\(container.typeName)' object does not support item assignment", type: "TypeError")
    }
  }

  /// `del container[index]`.
  static func deleteSubscript(_ container: Value, _ index: Index) throws {
    switch (container, index) {
    case (.list(let list), .value(let position)):
      list.items.remove(at: try checkedPosition(position, list.items.count, "list assignment"))
    case (.list(let list), .slice(let lower, let upper, let step)):
      let doomed = Set(pythonSlice(count: list.items.count, lower, upper, step ?? 1))
      list.items = list.items.enumerated().filter { !doomed.contains($0.offset) }.map(\.element)
    case (.object(let object), .value(let key)):
      try object.deleteItem(key)
    default:
      throw RuntimeFailure("'\(container.typeName)' object doesn't support item deletion", type: "TypeError")
    }
  }

  /// A sequence position from an int index (negative counts from the end), or Python's IndexError.
  static func checkedPosition(_ index: Value, _ count: Int, _ what: String) throws -> Int {
    let i = try index.intValue("list indices")
    guard i >= -count && i < count else { throw RuntimeFailure("\(what) index out of range", type: "IndexError") }
    return i < 0 ? i + count : i
  }

  /// `tensor[index] = value` (and `tensor[index] op= value`): a copy of `tensor` whose selected elements
  /// are `value` broadcast to the selection, as PyTorch writes them in place. Only concrete tensors can be
  /// written, as PyTorch refuses in-place writes into tensors being differentiated through functional APIs.
  static func assigning(_ value: Value, into target: Operand, at index: Index) throws -> Operand {
    guard let tensor = target.concreteValue else {
      throw RuntimeFailure("in-place assignment into a tensor being differentiated is not supported", type: "RuntimeError")
    }
    let positions = Tensor(shape: tensor.shape, int64: (0..<Int64(tensor.count)).map { $0 })
    guard case .concrete(let selected) = try self.tensor(.concrete(positions), index), case .int64(let flat) = selected.storage else {
      preconditionFailure("indexing a concrete int64 tensor gives a concrete int64 tensor")
    }
    let source: Tensor
    switch value {
    case .tensor(.concrete(let given), _): source = given
    case .tensor(.taped(let given), _): source = given.value
    case .tensor(.traced, _): throw RuntimeFailure("cannot write a tensor being differentiated into another", type: "RuntimeError")
    default: source = Tensor(repeating: try value.doubleValue("tensor assignment"), shape: [], dtype: tensor.dtype)
    }
    guard let shape = Broadcast.shape(source.shape, selected.shape), shape == selected.shape else {
      throw RuntimeFailure(
        "shape mismatch: value tensor of shape \(Shape.describe(source.shape)) cannot be broadcast to indexing result of shape \(Shape.describe(selected.shape))")
    }
    let expanded = try Operand.concrete(source).expanded(to: TensorType(shape: selected.shape, dtype: source.dtype))
    guard case .concrete(let values) = expanded else { preconditionFailure("expanding a concrete tensor is concrete") }
    return .concrete(written(values.converted(to: tensor.dtype), into: tensor, at: flat))
  }

  /// `t[index] = value` on a tensor with identity, in place. On a result that requires grad it is PyTorch's
  /// `CopySlices` node: the gradient flows to the elements not overwritten (a product with a 0/1 mask).
  static func assign(_ value: Value, into t: TapeTensor, at index: Index) throws {
    if case .tensor(let given, _) = value, given.requiresGrad, GradMode.isEnabled {
      throw RuntimeFailure("writing a tensor that requires grad into another (t[i] = x) is not supported by jvplab yet; build the result with torch.cat or torch.where")
    }
    let updated = try assigning(value, into: .taped(t), at: index).value()
    guard t.requiresGrad && !t.isLeaf && GradMode.isEnabled else { return try t.write(updated) }
    let ones = Tensor(repeating: 1, shape: t.value.shape, dtype: t.value.dtype)
    let mask = try assigning(.float(0), into: .concrete(ones), at: index)
    guard case .taped(let recorded) = try (Operand.taped(t) * mask).labelled("CopySlices") else {
      preconditionFailure("a product with a tensor that requires grad is on the tape")
    }
    try t.write(recorded: recorded, value: updated)
  }

  /// A copy of `tensor` with element `positions[k]` replaced by element k of `values` (same dtype).
  static func written(_ values: Tensor, into tensor: Tensor, at positions: [Int64]) -> Tensor {
    func write<T>(_ base: [T], _ new: [T]) -> [T] {
      var result = base
      for (k, position) in positions.enumerated() { result[Int(position)] = new[k] }
      return result
    }
    switch (tensor.storage, values.storage) {
    case (.float32(let base), .float32(let new)): return Tensor(shape: tensor.shape, float32: write(base, new))
    case (.float64(let base), .float64(let new)): return Tensor(shape: tensor.shape, float64: write(base, new))
    case (.int64(let base), .int64(let new)): return Tensor(shape: tensor.shape, int64: write(base, new))
    default: preconditionFailure("values are converted to the tensor's dtype first")
    }
  }

  static func sequence(_ items: [Value], _ index: Index, _ type: String, wrap: ([Value]) -> Value) throws -> Value {
    switch index {
    case .value(let position):
      let i = try position.intValue("\(type) indices")
      guard i >= -items.count && i < items.count else { throw RuntimeFailure("\(type) index out of range", type: "IndexError") }
      return items[i < 0 ? i + items.count : i]
    case .slice(let lower, let upper, let step):
      let step = step ?? 1
      guard step != 0 else { throw RuntimeFailure("slice step cannot be zero", type: "ValueError") }
      return wrap(pythonSlice(count: items.count, lower, upper, step).map { items[$0] })
    case .tuple:
      throw RuntimeFailure("\(type) indices must be integers or slices, not tuple", type: "TypeError")
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
      throw RuntimeFailure("too many indices for tensor of dimension \(x.rank)", type: "IndexError")
    }
    var result = x
    var dim = 0
    for part in parts {
      switch part {
      case .value(let value):
        if case .tensor = value { throw RuntimeFailure("indexing with a tensor is not supported in jvplab v1") }
        result = try result.select(dim: dim, index: try value.intValue("tensor indices")).labelled("SelectBackward0")
      case .slice(let lower, let upper, let step):
        let step = step ?? 1
        guard step > 0 else { throw RuntimeFailure("step must be greater than zero") }
        result = try result.slice(dim: dim, start: lower, stop: upper, step: step).labelled("SliceBackward0")
        dim += 1
      case .tuple:
        throw RuntimeFailure("nested tuples are not valid tensor indices")
      }
    }
    return result
  }
}
