import Foundation

/// The standard-library modules notebooks import beside torch: `math`, `functools.partial`,
/// `itertools.product`, `time` (clocks for timing cells by hand), and `warnings` (whose filters are accepted and
/// have no effect: jvplab prints no warnings a filter could hide).
enum PythonModules {
  static func function(_ module: String, _ name: String, _ body: @escaping (Interpreter, Arguments) throws -> Value) -> Value {
    .object(NativeFunction(name: name, owner: module, isModuleFunction: true, call: body))
  }

  /// A one-argument float function of `math`.
  static func real(_ name: String, _ f: @escaping (Double) -> Double, domain: ((Double) -> Bool)? = nil) -> Value {
    function("math", name) { _, args in
      let x = try args.bind(name, ["x"], required: 1).double("x", default: 0)
      if let domain, !domain(x) { throw RuntimeFailure("math domain error", type: "ValueError") }
      return .float(f(x))
    }
  }

  nonisolated(unsafe) static let math: [String: Value] = {
    var table: [String: Value] = [
      "pi": .float(Double.pi), "e": .float(M_E), "tau": .float(2 * Double.pi), "inf": .float(.infinity), "nan": .float(.nan),
    ]
    let plain: [(String, (Double) -> Double)] = [
      ("exp", Foundation.exp), ("expm1", Foundation.expm1), ("sin", Foundation.sin), ("cos", Foundation.cos),
      ("tan", Foundation.tan), ("atan", Foundation.atan), ("sinh", Foundation.sinh), ("cosh", Foundation.cosh),
      ("tanh", Foundation.tanh), ("asinh", Foundation.asinh), ("fabs", Swift.abs), ("erf", Foundation.erf),
      ("erfc", Foundation.erfc), ("gamma", Foundation.tgamma), ("lgamma", Foundation.lgamma),
      ("degrees", { $0 * 180 / Double.pi }), ("radians", { $0 * Double.pi / 180 }),
    ]
    for (name, f) in plain { table[name] = real(name, f) }
    table["log"] = function("math", "log") { _, args in
      let bound = try args.bind("log", ["x", "base"], required: 1)
      let x = try bound.double("x", default: 0)
      guard x > 0 else { throw RuntimeFailure("math domain error", type: "ValueError") }
      guard let base = bound["base"] else { return .float(Foundation.log(x)) }
      return .float(Foundation.log(x) / Foundation.log(try base.doubleValue("log() base")))
    }
    table["log2"] = real("log2", Foundation.log2, domain: { $0 > 0 })
    table["log10"] = real("log10", Foundation.log10, domain: { $0 > 0 })
    table["log1p"] = real("log1p", Foundation.log1p, domain: { $0 > -1 })
    table["sqrt"] = real("sqrt", Foundation.sqrt, domain: { $0 >= 0 })
    table["asin"] = real("asin", Foundation.asin, domain: { abs($0) <= 1 })
    table["acos"] = real("acos", Foundation.acos, domain: { abs($0) <= 1 })
    table["acosh"] = real("acosh", Foundation.acosh, domain: { $0 >= 1 })
    table["atanh"] = real("atanh", Foundation.atanh, domain: { abs($0) < 1 })
    table["atan2"] = function("math", "atan2") { _, args in
      let bound = try args.bind("atan2", ["y", "x"], required: 2)
      return .float(Foundation.atan2(try bound.double("y", default: 0), try bound.double("x", default: 0)))
    }
    table["pow"] = function("math", "pow") { _, args in
      let bound = try args.bind("pow", ["x", "y"], required: 2)
      return .float(Foundation.pow(try bound.double("x", default: 0), try bound.double("y", default: 0)))
    }
    table["hypot"] = function("math", "hypot") { _, args in
      .float(try args.positional.map { try $0.doubleValue("hypot() argument") }.reduce(0) { Foundation.hypot($0, $1) })
    }
    for (name, rule) in [("floor", FloatingPointRoundingRule.down), ("ceil", .up), ("trunc", .towardZero)] {
      table[name] = function("math", name) { _, args in
        let value = try args.bind(name, ["x"], required: 1).values["x"]!
        if case .int = value { return value }
        return .int(try Library.integer(try value.doubleValue("\(name)() argument").rounded(rule), "\(name)()"))
      }
    }
    for (name, test) in [("isnan", { (x: Double) in x.isNaN }), ("isinf", { $0.isInfinite }), ("isfinite", { $0.isFinite })] {
      table[name] = function("math", name) { _, args in .bool(test(try args.bind(name, ["x"], required: 1).double("x", default: 0))) }
    }
    table["isclose"] = function("math", "isclose") { _, args in
      let bound = try args.bind("isclose", ["a", "b", "rel_tol", "abs_tol"], required: 2)
      let (a, b) = (try bound.double("a", default: 0), try bound.double("b", default: 0))
      let tolerance = Swift.max(try bound.double("rel_tol", default: 1e-9) * Swift.max(Swift.abs(a), Swift.abs(b)),
                                try bound.double("abs_tol", default: 0))
      return .bool(a == b || Swift.abs(a - b) <= tolerance)
    }
    table["factorial"] = function("math", "factorial") { _, args in
      let n = try args.bind("factorial", ["n"], required: 1).int("n")
      guard n >= 0 else { throw RuntimeFailure("factorial() not defined for negative values", type: "ValueError") }
      return try (1...Swift.max(n, 1)).reduce(Value.int(1)) { try Operators.binary(.multiply, $0, .int($1)) }
    }
    table["prod"] = function("math", "prod") { interpreter, args in
      let bound = try args.bind("prod", ["iterable", "start"], required: 1)
      return try interpreter.iterate(bound.values["iterable"]!).collect().reduce(bound["start"] ?? .int(1)) {
        try Operators.binary(.multiply, $0, $1)
      }
    }
    table["fsum"] = function("math", "fsum") { interpreter, args in
      let items = try interpreter.iterate(try args.bind("fsum", ["seq"], required: 1).values["seq"]!).collect()
      return .float(ExactSum.of(try items.map { try $0.doubleValue("fsum() argument") }))
    }
    table["gcd"] = function("math", "gcd") { _, args in
      var result = 0
      for value in args.positional {
        var (a, b) = (Swift.abs(result), Swift.abs(try value.intValue("gcd() argument")))
        while b != 0 { (a, b) = (b, a % b) }
        result = a
      }
      return .int(result)
    }
    return table
  }()

  nonisolated(unsafe) static let functools: [String: Value] = [
    "partial": function("functools", "partial") { _, args in
      guard let function = args.positional.first else {
        throw RuntimeFailure("type 'partial' takes at least one argument", type: "TypeError")
      }
      return .object(PartialObject(function, Arguments(Array(args.positional.dropFirst()), keywords: args.keywords)))
    },
    "reduce": function("functools", "reduce") { interpreter, args in
      let bound = try args.bind("reduce", ["function", "iterable", "initial"], required: 2)
      var items = try interpreter.iterate(bound.values["iterable"]!).collect()
      guard var total = bound.values["initial"] ?? (items.isEmpty ? nil : items.removeFirst()) else {
        throw RuntimeFailure("reduce() of empty iterable with no initial value", type: "TypeError")
      }
      for item in items { total = try interpreter.callFunction(bound.values["function"]!, [total, item]) }
      return total
    },
  ]

  nonisolated(unsafe) static let itertools: [String: Value] = [
    "product": function("itertools", "product") { interpreter, args in
      let bound = try args.bind("product", ["repeat"], variadic: true)
      let pools = try bound.rest.map { try interpreter.iterate($0).collect() }
      let repeated = Array(repeatElement(pools, count: Swift.max(try bound.int("repeat", default: 1), 0)).joined())
      var combinations: [[Value]] = [[]]
      for pool in repeated {
        combinations = combinations.flatMap { prefix in pool.map { prefix + [$0] } }
        guard combinations.count <= Operators.maximumSequenceLength else {
          throw RuntimeFailure("itertools.product of more than \(Operators.maximumSequenceLength) items is too large for a script",
                               type: "MemoryError")
        }
      }
      return .object(IteratorObject("itertools.product", ValueIterator(combinations.map(Value.tuple))))
    },
    "chain": function("itertools", "chain") { interpreter, args in
      .object(IteratorObject("itertools.chain", ValueIterator(try args.positional.flatMap { try interpreter.iterate($0).collect() })))
    },
  ]

  nonisolated(unsafe) static let time: [String: Value] = {
    func clock(_ name: String, _ id: clockid_t, nanoseconds: Bool = false) -> Value {
      function("time", name) { _, args in
        _ = try args.bind(name, [])
        var now = timespec()
        clock_gettime(id, &now)
        return nanoseconds ? .int(Int(now.tv_sec) * 1_000_000_000 + Int(now.tv_nsec)) : .float(Double(now.tv_sec) + Double(now.tv_nsec) / 1e9)
      }
    }
    var table: [String: Value] = [
      "perf_counter": clock("perf_counter", CLOCK_MONOTONIC), "monotonic": clock("monotonic", CLOCK_MONOTONIC),
      "perf_counter_ns": clock("perf_counter_ns", CLOCK_MONOTONIC, nanoseconds: true),
      "process_time": clock("process_time", CLOCK_PROCESS_CPUTIME_ID), "time": clock("time", CLOCK_REALTIME),
    ]
    table["sleep"] = function("time", "sleep") { interpreter, args in
      let seconds = try args.bind("sleep", ["secs"], required: 1).double("secs", default: 0)
      guard seconds >= 0 else { throw RuntimeFailure("sleep length must be non-negative", type: "ValueError") }
      // In slices, so SIGINT stops a long sleep as it stops a loop.
      let end = Date().addingTimeInterval(seconds)
      while Date() < end, !interpreter.options.isCancelled() { Thread.sleep(forTimeInterval: min(0.05, end.timeIntervalSinceNow)) }
      return .none
    }
    return table
  }()

  nonisolated(unsafe) static let warnings: [String: Value] = {
    var table: [String: Value] = [:]
    for name in ["filterwarnings", "simplefilter", "resetwarnings"] {
      table[name] = function("warnings", name) { _, _ in .none }
    }
    table["warn"] = function("warnings", "warn") { _, _ in .none }
    return table
  }()
}

/// Shewchuk's exact summation, as `math.fsum` computes it: the correctly rounded sum of the inputs.
enum ExactSum {
  static func of(_ values: [Double]) -> Double {
    var partials: [Double] = []
    for value in values {
      var x = value
      var kept = 0
      for y in partials {
        let (a, b) = Swift.abs(x) < Swift.abs(y) ? (y, x) : (x, y)
        let high = a + b
        let low = b - (high - a)
        if low != 0 {
          partials[kept] = low
          kept += 1
        }
        x = high
      }
      partials.removeSubrange(kept...)
      partials.append(x)
    }
    return partials.reduce(0, +)
  }
}
