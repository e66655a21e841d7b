import JVPCore

/// `max`, `min`, `argmax`, `argmin`, `all`, `any` and `norm` on tensors, as notebooks use them to check results.
/// The selections work on concrete tensors (their value decides the result, so they are not traced); `norm` is
/// built from differentiable primitives.
enum TensorSelection {
  /// `x.max()` / `x.max(dim, keepdim=False)` (the latter a `torch.return_types.max` of values and indices),
  /// and the same for `min`. A NaN wins, as in PyTorch; among equal values the first wins.
  static func extreme(_ name: String, _ x: Operand, _ args: Arguments, largest: Bool) throws -> Value {
    let bound = try args.bind(name, ["dim", "keepdim"])
    let t = try TensorMethods.concreteValue(x, name)
    guard let dimValue = bound["dim"] else {
      guard t.count > 0 else {
        throw RuntimeFailure("\(name)(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
      }
      let (values, _, _) = reduce(t, dim: nil, keepdim: false, largest: largest)
      return .tensor(Tensor(shape: [], doubles: values, dtype: t.dtype))
    }
    let dim = try normalized(try dimValue.intValue("\(name)() dim"), rank: t.rank, name)
    let (values, indices, shape) = reduce(t, dim: dim, keepdim: try bound.bool("keepdim", default: false), largest: largest)
    return .object(NamedTupleObject(
      "torch.return_types", name, fields: ["values", "indices"],
      [.tensor(Tensor(shape: shape, doubles: values, dtype: t.dtype)), .tensor(Tensor(shape: shape, int64: indices))]))
  }

  /// `x.argmax()` / `x.argmax(dim, keepdim=False)`: int64 positions (flat without a dim).
  static func position(_ name: String, _ x: Operand, _ args: Arguments, largest: Bool) throws -> Value {
    let bound = try args.bind(name, ["dim", "keepdim"])
    let t = try TensorMethods.concreteValue(x, name)
    let dim = try bound["dim"].map { try normalized(try $0.intValue("\(name)() dim"), rank: t.rank, name) }
    let (_, indices, shape) = reduce(t, dim: dim, keepdim: try bound.bool("keepdim", default: false), largest: largest)
    return .tensor(Tensor(shape: shape, int64: indices))
  }

  /// `x.all()` / `x.any()`: a 0-d bool tensor.
  static func truth(_ name: String, _ x: Operand, _ args: Arguments) throws -> Value {
    _ = try args.bind(name, [])
    let values = try TensorMethods.concreteValue(x, name).doubles
    let result = name == "all" ? values.allSatisfy { $0 != 0 } : values.contains { $0 != 0 }
    return .tensor(Tensor(shape: [], bool: [result]))
  }

  /// `x.norm(p=2, dim=None, keepdim=False)` for p = 2 and p = 1, differentiable.
  static func norm(_ x: Operand, _ args: Arguments) throws -> Value {
    let bound = try args.bind("norm", ["p", "dim", "keepdim"])
    let p = try bound.double("p", default: 2)
    var keywords: [(name: String, value: Value)] = []
    if let dim = bound["dim"] { keywords.append(("dim", dim)) }
    if let keepdim = bound["keepdim"] { keywords.append(("keepdim", keepdim)) }
    let reduced = Arguments([], keywords: keywords)
    switch p {
    case 2:
      guard case .tensor(let sum, _) = try TensorMethods.call("sum", on: try x.square(), reduced) else {
        preconditionFailure("sum returns a tensor")
      }
      return .tensor(try sum.sqrt().labelled("LinalgVectorNormBackward0"))
    case 1:
      return try TensorMethods.call("sum", on: try x.abs(), reduced)
    default:
      throw RuntimeFailure("norm(): jvplab supports p=1 and p=2, got p=\(PythonRepr.float(p))", type: "NotImplementedError")
    }
  }

  /// `movedim(source, destination)`: the dims in `source` moved to `destination`, the others kept in order.
  static func movedim(_ x: Operand, _ args: Arguments) throws -> Value {
    let bound = try args.bind("movedim", ["source", "destination"], required: 2)
    let rank = x.type.rank
    func dims(_ name: String) throws -> [Int] {
      let value = bound.values[name]!
      let items = value.sequenceItems ?? [value]
      return try items.map { try dimension($0.intValue("movedim() \(name)"), rank: rank) }
    }
    let (source, destination) = (try dims("source"), try dims("destination"))
    guard source.count == destination.count else {
      throw RuntimeFailure(
        "movedim: Invalid source or destination dims: source (\(source) dims) should contain the same number of dims as destination (\(destination) dims)")
    }
    guard Set(source).count == source.count, Set(destination).count == destination.count else {
      throw RuntimeFailure("movedim: repeated dim in `\(Set(source).count == source.count ? "destination" : "source")`")
    }
    var order = [Int?](repeating: nil, count: rank)
    for (from, to) in zip(source, destination) { order[to] = from }
    var rest = (0..<rank).filter { !source.contains($0) }.makeIterator()
    let permutation = order.map { $0 ?? rest.next()! }
    return .tensor(try x.permute(permutation).labelled("PermuteBackward0"))
  }

  /// `unbind(dim=0)`: the slices along `dim`, as a tuple.
  static func unbind(_ x: Operand, _ args: Arguments) throws -> Value {
    let dim = try dimension(args.bind("unbind", ["dim"]).int("dim", default: 0), rank: x.type.rank)
    return .tuple(try (0..<x.type.shape[dim]).map { .tensor(try x.select(dim: dim, index: $0).labelled("UnbindBackward0")) })
  }

  /// `dim` in `0..<rank`, or PyTorch's IndexError in its words (no function name, as ATen's dim wrapping says it).
  static func dimension(_ dim: Int, rank: Int) throws -> Int {
    let r = max(rank, 1)
    guard dim >= -r && dim < r else {
      throw RuntimeFailure("Dimension out of range (expected to be in range of [\(-r), \(r - 1)], but got \(dim))", type: "IndexError")
    }
    return dim < 0 ? dim + r : dim
  }

  static func normalized(_ dim: Int, rank: Int, _ name: String) throws -> Int {
    let r = max(rank, 1)
    guard dim >= -r && dim < r else {
      throw RuntimeFailure(
        "\(name)(): Dimension out of range (expected to be in range of [\(-r), \(r - 1)], but got \(dim))", type: "IndexError")
    }
    return dim < 0 ? dim + r : dim
  }

  /// The extreme of each slice along `dim` (of everything when nil): values, their positions, the result shape.
  static func reduce(_ t: Tensor, dim: Int?, keepdim: Bool, largest: Bool) -> ([Double], [Int64], [Int]) {
    let values = t.doubles
    let shape = t.shape.isEmpty ? [1] : t.shape
    let (outer, size, inner): (Int, Int, Int) = if let dim {
      (shape[..<dim].reduce(1, *), shape[dim], shape[(dim + 1)...].reduce(1, *))
    } else {
      (1, values.count, 1)
    }
    var best: [Double] = []
    var where_: [Int64] = []
    for o in 0..<outer {
      for i in 0..<inner {
        var value = values[o * size * inner + i]
        var position = 0
        for k in 1..<max(size, 1) {
          let candidate = values[(o * size + k) * inner + i]
          if value.isNaN { break }
          if candidate.isNaN || (largest ? candidate > value : candidate < value) {
            value = candidate
            position = k
          }
        }
        best.append(value)
        where_.append(Int64(position))
      }
    }
    guard let dim else { return (best, where_, []) }
    var resultShape = t.shape
    if keepdim { resultShape[dim] = 1 } else if !resultShape.isEmpty { resultShape.remove(at: dim) }
    return (best, where_, resultShape)
  }
}
