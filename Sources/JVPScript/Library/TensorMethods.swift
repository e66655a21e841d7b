import JVPCore

/// Tensor attributes (`.shape`, `.T`, `.dtype`) and methods (`x.exp()`, `x.sum(dim=1)`, ...).
enum TensorMethods {
  /// Methods PyTorch also exposes as `torch.NAME(tensor, ...)`.
  static let sharedWithTorch: [String] = [
    "exp", "log", "log1p", "expm1", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "sqrt", "erf", "abs", "neg", "negative",
    "square", "reciprocal", "pow", "sum", "mean", "prod", "logsumexp", "softmax", "log_softmax", "matmul", "mm", "mv",
    "dot", "t", "transpose", "permute", "reshape", "flatten", "unsqueeze", "squeeze", "diag", "numel", "clone",
    "detach", "max", "min", "argmax", "argmin", "all", "any", "norm", "movedim", "unbind",
  ]

  static func attribute(_ x: Operand, _ name: String) throws -> Value {
    switch name {
    case "shape": return .size(x.shape)
    case "dtype": return .dtype(x.dtype)
    case "ndim": return .int(x.rank)
    case "T", "mT":
      if name == "T" && x.rank > 2 {
        return .tensor(try x.permute(Array((0..<x.rank).reversed())))
      }
      return .tensor(try x.rank < 2 ? x : x.transpose(-2, -1))
    default:
      guard methods[name] != nil || TensorAutograd.methods.contains(name) else { throw RuntimeFailure("'Tensor' object has no attribute '\(name)'", type: "AttributeError") }
      return .boundMethod(x, name)
    }
  }

  static func call(_ name: String, on x: Operand, _ args: Arguments) throws -> Value {
    guard let method = methods[name] else { throw RuntimeFailure("'Tensor' object has no attribute '\(name)'", type: "AttributeError") }
    return try method(x, args)
  }

  typealias Method = @Sendable (Operand, Arguments) throws -> Value

  static let methods: [String: Method] = {
    var table = [String: Method]()
    func unary(_ name: String, _ f: @escaping @Sendable (Operand) throws -> Operand) {
      table[name] = { x, args in
        _ = try args.bind(name, [])
        return .tensor(try f(x))
      }
    }
    unary("exp") { try $0.exp() }
    unary("log") { try $0.log() }
    unary("log1p") { try $0.log1p() }
    unary("expm1") { try $0.expm1() }
    unary("sin") { try $0.sin() }
    unary("cos") { try $0.cos() }
    unary("tan") { try $0.tan() }
    unary("tanh") { try $0.tanh() }
    unary("sigmoid") { try $0.sigmoid() }
    unary("relu") { try $0.relu() }
    unary("sqrt") { try $0.sqrt() }
    unary("erf") { try $0.erf() }
    unary("abs") { try $0.abs() }
    unary("neg") { try $0.negated() }
    unary("negative") { try $0.negated() }
    unary("square") { try $0.square() }
    unary("reciprocal") { try $0.reciprocal() }
    unary("sign") { try $0.sign() }
    unary("flatten") { try $0.flatten() }
    unary("clone") { try $0.cloned() }
    unary("detach") { try $0.detachedFromTransforms() }
    unary("contiguous") { $0 }
    unary("float") { try $0.converted(to: .float32) }
    unary("double") { try $0.converted(to: .float64) }
    unary("long") { try $0.converted(to: .int64) }
    unary("t") { x in
      guard x.rank <= 2 else { throw RuntimeFailure("t() expects a tensor with <= 2 dimensions, but self is \(x.rank)D") }
      return try x.rank < 2 ? x : x.transpose(0, 1).labelled("TBackward0")
    }
    unary("diag") { x in try x.diag().labelled(x.rank == 1 ? "DiagEmbedBackward0" : "DiagonalBackward0_copy") }
    table["pow"] = { x, args in
      let exponent = try args.bind("pow", ["exponent"], required: 1).values["exponent"]!
      if case .tensor(let e, _) = exponent { return .tensor(try x.pow(e)) }
      return .tensor(try x.pow(exponent.doubleValue("pow() exponent")))
    }
    table["sum"] = { x, args in
      let bound = try args.bind("sum", ["dim", "keepdim", "dtype"])
      let input = try bound.dtype().map { try x.converted(to: $0) } ?? x
      return .tensor(try input.sum(dims: bound.dims(), keepDim: bound.bool("keepdim", default: false)))
    }
    table["mean"] = { x, args in
      let bound = try args.bind("mean", ["dim", "keepdim", "dtype"])
      let input = try bound.dtype().map { try x.converted(to: $0) } ?? x
      let dims = try bound.dims()
      let mean = try input.mean(dims: dims, keepDim: bound.bool("keepdim", default: false))
      return .tensor(mean.labelled(dims == nil ? "MeanBackward0" : "MeanBackward1"))
    }
    table["prod"] = { x, args in
      let bound = try args.bind("prod", ["dim", "keepdim", "dtype"])
      return .tensor(try x.prod(dims: bound.dims(), keepDim: bound.bool("keepdim", default: false)))
    }
    table["logsumexp"] = { x, args in
      let bound = try args.bind("logsumexp", ["dim", "keepdim"], required: 1)
      return .tensor(try x.logsumexp(dims: bound.dims() ?? [], keepDim: bound.bool("keepdim", default: false)).labelled("LogsumexpBackward0"))
    }
    table["softmax"] = { x, args in
      let bound = try args.bind("softmax", ["dim", "dtype"], required: 1)
      return .tensor(try x.softmax(dim: bound.int("dim")))
    }
    table["log_softmax"] = { x, args in
      let bound = try args.bind("log_softmax", ["dim", "dtype"], required: 1)
      return .tensor(try x.logSoftmax(dim: bound.int("dim")))
    }
    func product(_ name: String, _ check: @escaping @Sendable (Operand, Operand) throws -> Void) {
      table[name] = { x, args in
        let other = try args.bind(name, ["other"], required: 1).tensor("other")
        try check(x, other)
        return .tensor(try x.matmul(other))
      }
    }
    product("matmul") { _, _ in }
    product("mm") { a, b in
      guard a.rank == 2 else { throw RuntimeFailure("mm(): self must be a matrix, got \(a.rank)-d") }
      guard b.rank == 2 else { throw RuntimeFailure("mm(): mat2 must be a matrix, got \(b.rank)-d") }
    }
    product("mv") { a, b in
      guard a.rank == 2, b.rank == 1 else {
        throw RuntimeFailure("mv(): expected a matrix and a vector, got \(a.rank)-d and \(b.rank)-d")
      }
    }
    product("dot") { a, b in
      guard a.rank == 1, b.rank == 1 else {
        throw RuntimeFailure("dot(): 1D tensors expected, but got \(a.rank)D and \(b.rank)D tensors")
      }
    }
    table["outer"] = { x, args in .tensor(try outer(x, args.bind("outer", ["vec2"], required: 1).tensor("vec2"))) }
    table["transpose"] = { x, args in
      let bound = try args.bind("transpose", ["dim0", "dim1"], required: 2)
      return .tensor(try x.transpose(bound.int("dim0"), bound.int("dim1")).labelled("TransposeBackward0"))
    }
    table["permute"] = { x, args in
      let bound = try args.bind("permute", ["dims"], variadic: true)
      return .tensor(try x.permute(bound.size("dims")))
    }
    for name in ["reshape", "view"] {
      table[name] = { x, args in
        let bound = try args.bind(name, ["shape"], variadic: true)
        return .tensor(try x.reshape(shape(bound.rest, name)))
      }
    }
    table["expand"] = { x, args in
      let bound = try args.bind("expand", ["size"], variadic: true)
      let sizes = try shape(bound.rest, "expand")
      let lead = sizes.count - x.rank
      guard lead >= 0 else { throw RuntimeFailure("expand(): the number of sizes provided (\(sizes.count)) must be greater or equal to the number of dimensions in the tensor (\(x.rank))") }
      let target = sizes.enumerated().map { i, s in s == -1 && i >= lead ? x.shape[i - lead] : s }
      return .tensor(try x.expanded(to: TensorType(shape: target, dtype: x.dtype)))
    }
    table["unsqueeze"] = { x, args in
      .tensor(try x.unsqueeze(args.bind("unsqueeze", ["dim"], required: 1).int("dim")).labelled("UnsqueezeBackward0"))
    }
    table["squeeze"] = { x, args in
      let bound = try args.bind("squeeze", ["dim"])
      let dim = try bound["dim"].map { try $0.intValue("squeeze() dim") }
      return .tensor(try x.squeeze(dim).labelled(dim == nil ? "SqueezeBackward0" : "SqueezeBackward1"))
    }
    table["size"] = { x, args in
      let bound = try args.bind("size", ["dim"])
      guard let dim = bound["dim"] else { return .size(x.shape) }
      let d = try dim.intValue("size() dim")
      guard d >= -x.rank && d < x.rank else {
        throw RuntimeFailure("size(): dimension out of range (expected to be in range of [\(-x.rank), \(x.rank - 1)], but got \(d))")
      }
      return .int(x.shape[d < 0 ? d + x.rank : d])
    }
    table["dim"] = { x, _ in .int(x.rank) }
    table["numel"] = { x, _ in .int(x.type.count) }
    table["item"] = { x, _ in
      let t = try concreteValue(x, "item")
      guard t.count == 1 else {
        throw RuntimeFailure("a Tensor with \(t.count) elements cannot be converted to Scalar")
      }
      return Interpreter.number(t.reshaped([]))
    }
    table["tolist"] = { x, _ in
      let t = try concreteValue(x, "tolist")
      guard t.rank <= Interpreter.maximumValueNesting else {
        throw RuntimeFailure("tolist(): a \(t.rank)-d tensor would nest lists deeper than \(Interpreter.maximumValueNesting) levels")
      }
      return list(t)
    }
    table["to"] = { x, args in
      let bound = try args.bind("to", ["dtype"], required: 1)
      guard let dtype = try bound.dtype() else { return .tensor(x) }
      return .tensor(try x.converted(to: dtype))
    }
    table["is_floating_point"] = { x, _ in .bool(x.dtype.isFloatingPoint) }
    table["max"] = { x, args in try TensorSelection.extreme("max", x, args, largest: true) }
    table["min"] = { x, args in try TensorSelection.extreme("min", x, args, largest: false) }
    table["argmax"] = { x, args in try TensorSelection.position("argmax", x, args, largest: true) }
    table["argmin"] = { x, args in try TensorSelection.position("argmin", x, args, largest: false) }
    table["all"] = { x, args in try TensorSelection.truth("all", x, args) }
    table["any"] = { x, args in try TensorSelection.truth("any", x, args) }
    table["norm"] = { x, args in try TensorSelection.norm(x, args) }
    table["movedim"] = { x, args in try TensorSelection.movedim(x, args) }
    table["unbind"] = { x, args in try TensorSelection.unbind(x, args) }
    return table
  }()

  /// A shape given as separate ints or as one tuple/list/torch.Size.
  static func shape(_ items: [Value], _ function: String) throws -> [Int] {
    try BoundArguments(function: function, values: [:], rest: items).sizeAllowingHoles()
  }

  static func outer(_ a: Operand, _ b: Operand) throws -> Operand {
    guard a.rank == 1, b.rank == 1 else {
      throw RuntimeFailure("outer(): expected 1-d tensors, got \(a.rank)-d and \(b.rank)-d")
    }
    return try a.unsqueeze(1) * b.unsqueeze(0)
  }

  static func concreteValue(_ x: Operand, _ method: String) throws -> Tensor {
    guard let t = x.concreteValue else {
      throw RuntimeFailure("\(method)() cannot be called on a tensor being differentiated (its value is not known while tracing)")
    }
    return t
  }

  /// Element `i` of an int64 tensor, exactly (through a Double, `Int64.max` would round up and trap).
  static func integerElement(_ t: Tensor, _ i: Int) -> Int? {
    if case .int64(let values) = t.storage { return Int(values[i]) }
    return nil
  }

  /// `.tolist()`: nested Python lists of floats or ints; a 0-d tensor gives a number.
  static func list(_ t: Tensor) -> Value {
    func element(_ i: Int) -> Value {
      if case .bool(let flags) = t.storage { return .bool(flags[i]) }
      return integerElement(t, i).map(Value.int) ?? .float(t.element(i))
    }
    func build(_ dim: Int, _ offset: Int, _ strides: [Int]) -> Value {
      if dim == t.rank { return element(offset) }
      return .makeList((0..<t.shape[dim]).map { build(dim + 1, offset + $0 * strides[dim], strides) })
    }
    return build(0, 0, t.strides)
  }
}

extension BoundArguments {
  /// Like `size()` but allowing one `-1` (for `reshape` and `view`).
  func sizeAllowingHoles() throws -> [Int] {
    let items: [Value]
    if rest.count == 1, case .tuple(let inner) = rest[0] { items = inner }
    else if rest.count == 1, case .list(let inner) = rest[0] { items = inner.items }
    else if rest.count == 1, case .size(let shape) = rest[0] { items = shape.map(Value.int) }
    else { items = rest }
    return try items.map { try $0.intValue("\(function)() argument 'shape'") }
  }
}
