import Dispatch
import JVPCore

/// `torch.*`: dtypes, creation functions, the generator, and the tensor methods that PyTorch also offers
/// as functions (`torch.exp(x)` is `x.exp()`).
enum TorchNamespace {
  static let dtypes: [String: DType] = [
    "float32": .float32, "float": .float32, "float64": .float64, "double": .float64, "int64": .int64, "long": .int64,
  ]

  /// The largest tensor a creation function makes; above it the script gets an error naming the size.
  static let creationLimit = 4 << 30

  static let functions: [String: Builtin] = {
    var table = [String: Builtin]()
    func add(_ name: String, _ call: @escaping @Sendable (Interpreter, Arguments) throws -> Value) {
      table[name] = Builtin(name: name, call: call)
    }
    for name in TensorMethods.sharedWithTorch {
      add(name) { interpreter, args in
        guard case .tensor(let x, _)? = args.positional.first else {
          throw RuntimeFailure("\(name)(): argument 'input' must be Tensor, not \(args.positional.first?.typeName ?? "nothing")", type: "TypeError")
        }
        return try TensorMethods.call(name, on: x, Arguments(Array(args.positional.dropFirst()), keywords: args.keywords))
      }
    }
    add("manual_seed") { interpreter, args in
      let seed = try args.bind("manual_seed", ["seed"], required: 1).int("seed")
      interpreter.generator.manualSeed(UInt64(bitPattern: Int64(seed)))
      interpreter.seed = UInt64(bitPattern: Int64(seed))
      return .generator
    }
    add("initial_seed") { interpreter, _ in .int(Int(truncatingIfNeeded: interpreter.generator.seed)) }
    add("rand") { interpreter, args in try random(interpreter, args, "rand", normal: false) }
    add("randn") { interpreter, args in try random(interpreter, args, "randn", normal: true) }
    add("rand_like") { interpreter, args in try randomLike(interpreter, args, "rand_like", normal: false) }
    add("randn_like") { interpreter, args in try randomLike(interpreter, args, "randn_like", normal: true) }
    add("zeros") { interpreter, args in try filled(interpreter, args, "zeros", 0) }
    add("ones") { interpreter, args in try filled(interpreter, args, "ones", 1) }
    add("zeros_like") { interpreter, args in try filledLike(interpreter, args, "zeros_like", 0) }
    add("ones_like") { interpreter, args in try filledLike(interpreter, args, "ones_like", 1) }
    add("full") { interpreter, args in
      let bound = try args.bind("full", ["size", "fill_value", "dtype", "requires_grad"], required: 2)
      let shape = try BoundArguments(function: "full", values: [:], rest: [bound.values["size"]!]).size()
      let fill = bound.values["fill_value"]!
      let dtype = try bound.dtype() ?? (fill.isInteger ? .int64 : interpreter.defaultDType)
      return try TensorAutograd.requiringGrad(timed(interpreter) {
        try checkedSize(interpreter, "full", shape, dtype)
        return Tensor(repeating: try fill.doubleValue("full() fill_value"), shape: shape, dtype: dtype)
      }, bound)
    }
    add("tensor") { interpreter, args in
      let bound = try args.bind("tensor", ["data", "dtype", "requires_grad"], required: 1)
      return try TensorAutograd.requiringGrad(timed(interpreter) {
        try TensorLiteral.make(bound.values["data"]!, dtype: bound.dtype(), floatDType: interpreter.defaultDType)
      }, bound)
    }
    add("arange") { interpreter, args in
      let bound = try args.bind("arange", ["start", "end", "step", "dtype", "requires_grad"], required: 1)
      let numbers = [bound["start"], bound["end"], bound["step"]].compactMap { $0 }
      let allInts = numbers.allSatisfy(\.isInteger)
      var start = try bound.values["start"]!.doubleValue("arange() start")
      var end = 0.0
      if let e = bound["end"] { end = try e.doubleValue("arange() end") } else { (start, end) = (0, start) }
      let step = try bound.double("step", default: 1)
      guard step != 0 else { throw RuntimeFailure("arange(): step must be nonzero") }
      let steps = ((end - start) / step).rounded(.up)
      guard !steps.isNaN else { throw RuntimeFailure("arange(): the range from \(PythonRepr.float(start)) to \(PythonRepr.float(end)) is not finite") }
      // Beyond 2**62 steps the size check below refuses it anyway; Int() of a larger Double would trap.
      let count = steps <= 0 ? 0 : steps >= 0x1p62 ? 1 << 62 : Int(steps)
      let dtype = try bound.dtype() ?? (allInts ? .int64 : interpreter.defaultDType)
      return try TensorAutograd.requiringGrad(timed(interpreter) {
        try checkedSize(interpreter, "arange", [count], dtype)
        return Tensor(shape: [count], doubles: (0..<count).map { start + Double($0) * step }, dtype: dtype)
      }, bound)
    }
    add("linspace") { interpreter, args in
      let bound = try args.bind("linspace", ["start", "end", "steps", "dtype", "requires_grad"], required: 3)
      let start = try bound.double("start", default: 0)
      let end = try bound.double("end", default: 0)
      let steps = try bound.int("steps")
      guard steps >= 0 else { throw RuntimeFailure("linspace(): number of steps must be non-negative") }
      let dtype = try bound.dtype() ?? interpreter.defaultDType
      return try TensorAutograd.requiringGrad(timed(interpreter) {
        try checkedSize(interpreter, "linspace", [steps], dtype)
        return Tensor(shape: [steps], doubles: linspace(start, end, steps, dtype), dtype: dtype)
      }, bound)
    }
    add("eye") { interpreter, args in
      let bound = try args.bind("eye", ["n", "m", "dtype", "requires_grad"], required: 1)
      let n = try bound.int("n")
      let m = try bound.int("m", default: n)
      guard n >= 0, m >= 0 else { throw RuntimeFailure("eye(): n and m must be non-negative, got \(n) and \(m)") }
      let dtype = try bound.dtype() ?? interpreter.defaultDType
      return try TensorAutograd.requiringGrad(timed(interpreter) {
        try checkedSize(interpreter, "eye", [n, m], dtype)
        var values = [Double](repeating: 0, count: n * m)
        for i in 0..<min(n, m) { values[i * m + i] = 1 }
        return Tensor(shape: [n, m], doubles: values, dtype: dtype)
      }, bound)
    }
    add("cat") { _, args in try joined(args, "cat", stack: false) }
    add("concat") { _, args in try joined(args, "concat", stack: false) }
    add("stack") { _, args in try joined(args, "stack", stack: true) }
    add("allclose") { _, args in
      let bound = try args.bind("allclose", ["input", "other", "rtol", "atol", "equal_nan"], required: 2)
      let (a, b) = try (concrete(bound.tensor("input"), "allclose"), concrete(bound.tensor("other"), "allclose"))
      guard let shape = Broadcast.shape(a.shape, b.shape) else {
        throw RuntimeFailure(Broadcast.mismatch(a.shape, b.shape))
      }
      let rtol = try bound.double("rtol", default: 1e-5)
      let atol = try bound.double("atol", default: 1e-8)
      let equalNaN = try bound.bool("equal_nan", default: false)
      let x = try Operand.concrete(a).expanded(to: TensorType(shape: shape, dtype: a.dtype)).concrete.doubles
      let y = try Operand.concrete(b).expanded(to: TensorType(shape: shape, dtype: b.dtype)).concrete.doubles
      return .bool(zip(x, y).allSatisfy { p, q in
        if p.isNaN || q.isNaN { return equalNaN && p.isNaN && q.isNaN }
        if p == q { return true }
        return Swift.abs(p - q) <= atol + rtol * Swift.abs(q)
      })
    }
    add("equal") { _, args in
      let bound = try args.bind("equal", ["input", "other"], required: 2)
      let (a, b) = try (concrete(bound.tensor("input"), "equal"), concrete(bound.tensor("other"), "equal"))
      return .bool(a.shape == b.shape && a.doubles == b.doubles)
    }
    add("outer") { _, args in
      let bound = try args.bind("outer", ["input", "vec2"], required: 2)
      return .tensor(try TensorMethods.outer(bound.tensor("input"), bound.tensor("vec2")))
    }
    return table
  }()


  // MARK: Creation helpers

  static func concrete(_ operand: Operand, _ function: String) throws -> Tensor {
    guard let tensor = operand.concreteValue else {
      throw RuntimeFailure("\(function)() needs concrete values; it cannot be used inside a function being differentiated")
    }
    return tensor
  }

  /// Refuses tensors over the interpreter's `tensorLimit`, naming the memory they would need.
  static func checkedSize(_ interpreter: Interpreter, _ function: String, _ shape: [Int], _ dtype: DType) throws {
    try checkedSize(function, shape, dtype, limit: min(creationLimit, interpreter.options.tensorLimit))
  }

  /// Refuses tensors whose storage would exceed `limit`, naming the memory they would need.
  static func checkedSize(_ function: String, _ shape: [Int], _ dtype: DType, limit: Int = creationLimit) throws {
    var count = 1
    for size in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: size)
      count = overflow ? Int.max : product
    }
    let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteWidth)
    let needed = overflow ? Int.max : bytes
    if needed > limit {
      throw RuntimeFailure(
        "\(function)(): a \(dtype.rawValue) tensor of shape \(Shape.describe(shape)) would need \(ByteCount.describe(needed)), above the limit of \(ByteCount.describe(limit))")
    }
  }

  /// Runs a creation function, tagging the result with how long it took and where its draws began.
  static func timed(_ interpreter: Interpreter, random: Bool = false, _ make: () throws -> Tensor) throws -> Value {
    let offset = interpreter.generator.drawCount
    let start = DispatchTime.now().uptimeNanoseconds
    let tensor = try make()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return .tensor(.concrete(tensor), origin: Provenance(seed: interpreter.seed, drawOffset: random ? offset : nil, seconds: seconds))
  }

  static func floatingDType(_ bound: BoundArguments, _ function: String, _ interpreter: Interpreter) throws -> DType {
    let dtype = try bound.dtype() ?? interpreter.defaultDType
    guard dtype.isFloatingPoint else {
      throw RuntimeFailure("\(function)(): only floating point dtypes are supported, got \(dtype.torchName)")
    }
    return dtype
  }

  static func random(_ interpreter: Interpreter, _ args: Arguments, _ function: String, normal: Bool) throws -> Value {
    let bound = try args.bind(function, ["size", "dtype", "generator", "requires_grad"], variadic: true)
    let shape = try bound.size()
    let dtype = try floatingDType(bound, function, interpreter)
    try checkedSize(interpreter, function, shape, dtype)
    return try TensorAutograd.requiringGrad(interpreter.vmapRandom(shape) { shape in
      try timed(interpreter, random: true) {
        normal ? interpreter.generator.randn(shape, dtype: dtype) : interpreter.generator.rand(shape, dtype: dtype)
      }
    }, bound)
  }

  static func randomLike(_ interpreter: Interpreter, _ args: Arguments, _ function: String, normal: Bool) throws -> Value {
    let bound = try args.bind(function, ["input", "dtype", "requires_grad"], required: 1)
    let like = try bound.tensor("input")
    let dtype = try bound.dtype() ?? like.dtype
    guard dtype.isFloatingPoint else {
      throw RuntimeFailure("\(function)(): only floating point dtypes are supported, got \(dtype.torchName)")
    }
    return try TensorAutograd.requiringGrad(interpreter.vmapRandom(like.shape) { shape in
      try timed(interpreter, random: true) {
        normal ? interpreter.generator.randn(shape, dtype: dtype) : interpreter.generator.rand(shape, dtype: dtype)
      }
    }, bound)
  }

  static func filled(_ interpreter: Interpreter, _ args: Arguments, _ function: String, _ value: Double) throws -> Value {
    let bound = try args.bind(function, ["size", "dtype", "requires_grad"], variadic: true)
    let shape = try bound.size()
    let dtype = try bound.dtype() ?? interpreter.defaultDType
    try checkedSize(interpreter, function, shape, dtype)
    return try TensorAutograd.requiringGrad(timed(interpreter) { Tensor(repeating: value, shape: shape, dtype: dtype) }, bound)
  }

  static func filledLike(_ interpreter: Interpreter, _ args: Arguments, _ function: String, _ value: Double) throws -> Value {
    let bound = try args.bind(function, ["input", "dtype", "requires_grad"], required: 1)
    let like = try bound.tensor("input")
    return try TensorAutograd.requiringGrad(
      timed(interpreter) { Tensor(repeating: value, shape: like.shape, dtype: try bound.dtype() ?? like.dtype) }, bound)
  }

  /// PyTorch's CPU linspace: steps from the start for the first half, from the end for the second.
  static func linspace(_ start: Double, _ end: Double, _ steps: Int, _ dtype: DType) -> [Double] {
    guard steps > 1 else { return steps == 1 ? [start] : [] }
    if dtype == .float32 {
      let (a, b) = (Float(start), Float(end))
      let step = (b - a) / Float(steps - 1)
      let half = steps / 2
      return (0..<steps).map { i in Double(i < half ? a + step * Float(i) : b - step * Float(steps - i - 1)) }
    }
    let step = (end - start) / Double(steps - 1)
    let half = steps / 2
    return (0..<steps).map { i in i < half ? start + step * Double(i) : end - step * Double(steps - i - 1) }
  }

  static func joined(_ args: Arguments, _ function: String, stack: Bool) throws -> Value {
    let bound = try args.bind(function, ["tensors", "dim"], required: 1)
    let items = try Operators.unpack(bound.values["tensors"]!)
    let tensors = try items.enumerated().map { i, item in
      guard case .tensor(let t, _) = item else {
        throw RuntimeFailure("\(function)(): expected a sequence of Tensors, but element \(i) is \(item.typeName)", type: "TypeError")
      }
      return t
    }
    let dim = try bound.int("dim", default: 0)
    return .tensor(stack ? try Operand.stack(tensors, dim: dim).labelled("StackBackward0") : try Operand.cat(tensors, dim: dim))
  }
}

extension Value {
  /// Whether a number is a Python int (or bool).
  var isInteger: Bool {
    switch self {
    case .int, .bool: true
    default: false
    }
  }
}

extension Operand {
  /// The concrete tensor; only valid where no trace is involved.
  var concrete: Tensor {
    if let tensor = concreteValue { return tensor }
    preconditionFailure("expected a concrete tensor")
  }
}
