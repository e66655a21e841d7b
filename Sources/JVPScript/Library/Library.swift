import JVPCore

/// The names a script can reach: Python builtins, the `torch` namespace and its submodules, tensor
/// attributes and methods.
enum Library {
  static let modules: Set<String> = ["torch", "torch.autograd", "torch.autograd.functional", "torch.nn", "torch.nn.functional"]

  static func checkModule(_ path: String) throws {
    guard modules.contains(path) else {
      throw RuntimeFailure("No module named '\(path)' (jvplab scripts can import torch, torch.autograd.functional and torch.nn.functional)")
    }
  }

  /// `module.name`.
  static func attribute(of module: String, _ name: String) throws -> Value {
    let child = module + "." + name
    if modules.contains(child) { return .module(child) }
    let value: Value? = switch module {
    case "torch": TorchNamespace.dtypes[name].map(Value.dtype) ?? TorchNamespace.functions[name].map(Value.builtin)
    case "torch.autograd.functional": AutodiffCalls.functions[name].map(Value.builtin)
    case "torch.nn.functional": TorchNamespace.neuralFunctions[name].map(Value.builtin)
    default: nil
    }
    guard let value else { throw RuntimeFailure("module '\(module)' has no attribute '\(name)'") }
    return value
  }

  /// `value.name`: module members, tensor properties and bound methods, `torch.Size` methods.
  static func attribute(of value: Value, _ name: String) throws -> Value {
    switch value {
    case .module(let module): return try attribute(of: module, name)
    case .tensor(let x, _): return try TensorMethods.attribute(x, name)
    case .size(let shape) where name == "numel":
      return .builtin(Builtin(name: "numel") { _, _ in .int(Shape.count(shape)) })
    case .dtype(let dtype) where name == "is_floating_point":
      return .bool(dtype.isFloatingPoint)
    default: throw RuntimeFailure("'\(value.typeName)' object has no attribute '\(name)'")
    }
  }

  /// Python builtins available without import.
  static let builtins: [String: Builtin] = {
    var table = [String: Builtin]()
    func add(_ name: String, _ call: @escaping @Sendable (Interpreter, Arguments) throws -> Value) {
      table[name] = Builtin(name: name, call: call)
    }
    add("print") { interpreter, args in
      let bound = try args.bind("print", ["sep", "end"], variadic: true)
      let sep = try bound.string("sep", default: " ")
      let end = try bound.string("end", default: "\n")
      interpreter.output(bound.rest.map(Display.str).joined(separator: sep) + end)
      return .none
    }
    add("len") { _, args in
      let value = try args.bind("len", ["obj"], required: 1).values["obj"]!
      switch value {
      case .tuple(let items), .list(let items): return .int(items.count)
      case .string(let s): return .int(s.count)
      case .size(let shape): return .int(shape.count)
      case .tensor(let t, _):
        guard t.rank > 0 else { throw RuntimeFailure("len() of a 0-d tensor") }
        return .int(t.shape[0])
      default: throw RuntimeFailure("object of type '\(value.typeName)' has no len()")
      }
    }
    add("tuple") { _, args in .tuple(try args.positional.first.map(Operators.unpack) ?? []) }
    add("list") { _, args in .list(try args.positional.first.map(Operators.unpack) ?? []) }
    add("float") { _, args in
      guard let value = args.positional.first else { return .float(0) }
      if case .string(let s) = value, let d = Double(s) { return .float(d) }
      return .float(try value.doubleValue("float() argument"))
    }
    add("int") { _, args in
      guard let value = args.positional.first else { return .int(0) }
      if case .int = value { return value }
      if case .wideInt = value { return value }
      let d = try value.doubleValue("int() argument")
      return .int(try integer(d, "int()"))
    }
    add("abs") { _, args in
      let value = try args.bind("abs", ["x"], required: 1).values["x"]!
      switch value {
      case .int(let i) where i < 0: return try Operators.unary(.negate, value)
      case .wideInt(let i) where i < 0: return try Operators.unary(.negate, value)
      case .int, .wideInt: return value
      case .bool(let b): return .int(b ? 1 : 0)
      case .float(let d): return .float(Swift.abs(d))
      case .tensor(let t, _): return .tensor(try t.abs())
      default: throw RuntimeFailure("bad operand type for abs(): '\(value.typeName)'")
      }
    }
    add("sum") { _, args in
      let bound = try args.bind("sum", ["iterable", "start"], required: 1)
      return try Operators.unpack(bound.values["iterable"]!).reduce(bound["start"] ?? .int(0)) { try Operators.binary(.add, $0, $1) }
    }
    for (name, op) in [("min", ComparisonOperator.less), ("max", .greater)] {
      // Python's min and max: over one iterable or over the arguments; the first extreme wins ties.
      add(name) { _, args in
        let items = args.positional.count == 1 ? try Operators.unpack(args.positional[0]) : args.positional
        guard var best = items.first else { throw RuntimeFailure("\(name)() arg is an empty sequence") }
        for item in items.dropFirst() where try Operators.compare(op, item, best) { best = item }
        return best
      }
    }
    add("range") { _, args in
      let ints = try args.positional.map { try $0.intValue("range() argument") }
      let (start, stop, step) = switch ints.count {
      case 1: (0, ints[0], 1)
      case 2: (ints[0], ints[1], 1)
      case 3: (ints[0], ints[1], ints[2])
      default: throw RuntimeFailure("range expected 1 to 3 arguments, got \(ints.count)")
      }
      guard step != 0 else { throw RuntimeFailure("range() arg 3 must not be zero") }
      // The span of two 64-bit ints can overflow Int, never UInt: count in unsigned arithmetic.
      let span = step > 0 ? (stop > start ? UInt(bitPattern: stop &- start) : 0) : (start > stop ? UInt(bitPattern: start &- stop) : 0)
      let count = span == 0 ? 0 : (span - 1) / step.magnitude + 1
      guard count <= 1_000_000 else { throw RuntimeFailure("range() of \(count) elements is too large for a script (limit 1000000)") }
      // Every element lies between start and stop, so the wrapping arithmetic is exact.
      return .list((0..<Int(count)).map { .int(start &+ $0 &* step) })
    }
    add("str") { _, args in .string(args.positional.first.map(Display.str) ?? "") }
    add("repr") { _, args in .string(try Display.repr(args.bind("repr", ["obj"], required: 1).values["obj"]!)) }
    add("round") { _, args in
      let bound = try args.bind("round", ["number", "ndigits"], required: 1)
      let x = try bound.values["number"]!.doubleValue("round() argument")
      guard let digits = bound["ndigits"] else { return .int(try integer(x.rounded(.toNearestOrEven), "round()")) }
      let n = try digits.intValue("round() ndigits")
      // Beyond these, rounding cannot change a double (or leaves only a signed zero), as in Python.
      if n > 400 || !x.isFinite { return .float(x) }
      if n < -400 { return .float(0 * x) }
      let scale = pow10(n)
      return .float((x * scale).rounded(.toNearestOrEven) / scale)
    }
    return table
  }()

  /// A float as a Python int, or Python's error for NaN and the infinities; values beyond 64 bits,
  /// which Python would hold as big integers, are an error naming the limit.
  static func integer(_ d: Double, _ function: String) throws -> Int {
    if d.isNaN { throw RuntimeFailure("cannot convert float NaN to integer") }
    if d.isInfinite { throw RuntimeFailure("cannot convert float \(PythonRepr.float(d)) to integer") }
    guard d >= -9_223_372_036_854_775_808.0 && d < 9_223_372_036_854_775_808.0 else {
      throw RuntimeFailure("\(function): \(PythonRepr.float(d)) does not fit in a 64-bit integer (jvplab has no big integers)")
    }
    return Int(d)
  }

  static func pow10(_ n: Int) -> Double {
    var result = 1.0
    for _ in 0..<Swift.abs(n) { result *= 10 }
    return n < 0 ? 1 / result : result
  }
}
