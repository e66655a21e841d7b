import JVPCore

/// A runtime error before it is given a location: library code throws these; the interpreter attaches
/// the position of the expression that failed.
struct RuntimeFailure: Error {
  let message: String
  /// The Python exception class it raises.
  let type: String
  init(_ message: String, type: String = "RuntimeError") {
    self.message = message
    self.type = type
  }
}

/// The evaluated arguments of a call.
struct Arguments {
  var positional: [Value]
  var keywords: [(name: String, value: Value)]

  init(_ positional: [Value] = [], keywords: [(name: String, value: Value)] = []) {
    self.positional = positional
    self.keywords = keywords
  }

  /// Binds to a Python signature `function(names...)`: positional arguments fill `names` in order,
  /// keywords by name; `variadic` collects extra positional arguments instead of rejecting them.
  func bind(_ function: String, _ names: [String], required: Int = 0, variadic: Bool = false) throws -> BoundArguments {
    var values = [String: Value]()
    var extra: [Value] = []
    for (i, value) in positional.enumerated() {
      if i < names.count && !variadic {
        values[names[i]] = value
      } else if variadic {
        extra.append(value)
      } else {
        throw RuntimeFailure(
          "\(function)() takes \(names.count) positional argument\(names.count == 1 ? "" : "s") but \(positional.count) \(positional.count == 1 ? "was" : "were") given")
      }
    }
    for (name, value) in keywords {
      guard names.contains(name) else { throw RuntimeFailure("\(function)() got an unexpected keyword argument '\(name)'", type: "TypeError") }
      guard values[name] == nil else { throw RuntimeFailure("\(function)() got multiple values for argument '\(name)'", type: "TypeError") }
      values[name] = value
    }
    if !variadic {
      for name in names.prefix(required) where values[name] == nil {
        throw RuntimeFailure("\(function)() missing required argument: '\(name)'", type: "TypeError")
      }
    }
    return BoundArguments(function: function, values: values, rest: extra)
  }
}

/// Arguments matched to parameter names, with typed accessors that produce Python-style errors.
struct BoundArguments {
  let function: String
  let values: [String: Value]
  /// Positional arguments collected by a variadic signature (`rand(*size)`).
  let rest: [Value]

  subscript(_ name: String) -> Value? {
    if let value = values[name], case .none = value { return nil }
    return values[name]
  }

  func tensor(_ name: String) throws -> Operand {
    guard let value = self[name] else { throw RuntimeFailure("\(function)() missing required argument: '\(name)'", type: "TypeError") }
    return try value.tensorOperand(function, name)
  }

  func int(_ name: String, default fallback: Int? = nil) throws -> Int {
    guard let value = self[name] else {
      if let fallback { return fallback }
      throw RuntimeFailure("\(function)() missing required argument: '\(name)'", type: "TypeError")
    }
    return try value.intValue("\(function)() argument '\(name)'")
  }

  func double(_ name: String, default fallback: Double) throws -> Double {
    guard let value = self[name] else { return fallback }
    return try value.doubleValue("\(function)() argument '\(name)'")
  }

  func bool(_ name: String, default fallback: Bool) throws -> Bool {
    guard let value = self[name] else { return fallback }
    if case .bool(let b) = value { return b }
    throw RuntimeFailure("\(function)() argument '\(name)' must be bool, not \(value.typeName)", type: "TypeError")
  }

  func string(_ name: String, default fallback: String) throws -> String {
    guard let value = self[name] else { return fallback }
    if case .string(let s) = value { return s }
    throw RuntimeFailure("\(function)() argument '\(name)' must be str, not \(value.typeName)", type: "TypeError")
  }

  func dtype(_ name: String = "dtype") throws -> DType? {
    guard let value = self[name] else { return nil }
    if case .dtype(let d) = value { return d }
    throw RuntimeFailure("\(function)() argument '\(name)' must be torch.dtype, not \(value.typeName)", type: "TypeError")
  }

  /// A `dim` argument: an int, a tuple or list of ints, or absent (nil, meaning every dim).
  func dims(_ name: String = "dim") throws -> [Int]? {
    guard let value = self[name] else { return nil }
    switch value {
    case .int(let d): return [d]
    case .tuple, .list: return try value.sequenceItems!.map { try $0.intValue("\(function)() argument '\(name)'") }
    default: throw RuntimeFailure("\(function)() argument '\(name)' must be int or tuple of ints, not \(value.typeName)", type: "TypeError")
    }
  }

  /// A size given as separate ints (`rand(2, 3)`) or as one tuple, list or torch.Size (`rand((2, 3))`).
  func size(_ name: String = "size") throws -> [Int] {
    let items: [Value]
    if rest.count == 1, case .tuple(let inner) = rest[0] { items = inner }
    else if rest.count == 1, case .list(let inner) = rest[0] { items = inner.items }
    else if rest.count == 1, case .size(let shape) = rest[0] { items = shape.map(Value.int) }
    else { items = rest }
    let shape = try items.map { try $0.intValue("\(function)() argument '\(name)'") }
    if let negative = shape.first(where: { $0 < 0 }) {
      throw RuntimeFailure("\(function)(): trying to create tensor with negative dimension \(negative): \(Shape.describe(shape))")
    }
    return shape
  }
}

extension Value {
  /// An int argument; bools count as ints, as in Python.
  func intValue(_ what: String) throws -> Int {
    switch self {
    case .int(let i): return i
    case .bool(let b): return b ? 1 : 0
    case .wideInt(let i): throw RuntimeFailure("\(what): \(i) does not fit in 64 bits", type: "OverflowError")
    default: throw RuntimeFailure("\(what) must be int, not \(typeName)", type: "TypeError")
    }
  }

  func doubleValue(_ what: String) throws -> Double {
    switch self {
    case .int(let i): return Double(i)
    case .wideInt(let i): return Double(i)
    case .float(let d): return d
    case .bool(let b): return b ? 1 : 0
    case .tensor(let x, _) where x.concreteValue?.count == 1: return x.concreteValue!.element(0)
    default: throw RuntimeFailure("\(what) must be a number, not \(typeName)", type: "TypeError")
    }
  }

  /// The tensor operand of a tensor argument.
  func tensorOperand(_ function: String, _ name: String) throws -> Operand {
    if case .tensor(let operand, _) = self { return operand }
    throw RuntimeFailure("\(function)(): argument '\(name)' must be Tensor, not \(typeName)", type: "TypeError")
  }
}
