import Foundation
import JVPCore

/// Python's operators on interpreter values: numbers follow Python, tensors go to the engine.
enum Operators {
  static func unary(_ op: UnaryOperator, _ value: Value) throws -> Value {
    switch (op, value) {
    case (.not, _): return .bool(!(try truth(value)))
    case (.plus, .int), (.plus, .wideInt), (.plus, .float), (.plus, .tensor): return value
    case (.negate, .int(let i)): return integer(-Int128(i))
    case (.negate, .wideInt(let i)): return integer(try checked(Int128(0).subtractingReportingOverflow(i)))
    case (.negate, .float(let d)): return .float(-d)
    case (.negate, .bool(let b)): return .int(b ? -1 : 0)
    case (.negate, .tensor(let t, _)): return .tensor(try t.negated())
    default: throw RuntimeFailure("bad operand type for unary \(op.rawValue): '\(value.typeName)'", type: "TypeError")
    }
  }

  /// `+ - *` on two ints whose result fits in 64 bits, the bulk of a notebook loop's arithmetic; nil for
  /// anything else, which `binary` computes.
  @inline(__always)
  static func smallIntegers(_ op: BinaryOperator, _ a: Value, _ b: Value) -> Value? {
    guard case .int(let x) = a, case .int(let y) = b else { return nil }
    let (result, overflow) = switch op {
    case .add: x.addingReportingOverflow(y)
    case .subtract: x.subtractingReportingOverflow(y)
    case .multiply: x.multipliedReportingOverflow(by: y)
    default: (0, true)
    }
    return overflow ? nil : .int(result)
  }

  static func binary(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
    switch (a, b) {
    case (.tensor(let x, _), .tensor(let y, _)): return .tensor(try tensorBinary(op, x, y))
    case (.tensor, .wideInt), (.wideInt, .tensor): throw RuntimeFailure("int too big to convert", type: "RuntimeError")
    case (.tensor(let x, _), _):
      guard let number = b.number else { break }
      return .tensor(try tensorScalar(op, x, number))
    case (_, .tensor(let y, _)):
      guard let number = a.number else { break }
      return .tensor(try scalarTensor(op, number, y))
    case (.tuple(let x), .tuple(let y)) where op == .add: return .tuple(try concatenated(x, y, "tuple"))
    case (.list(let x), .list(let y)) where op == .add: return .makeList(try concatenated(x.items, y.items, "list"))
    case (.string(let x), .string(let y)) where op == .add: return .string(x + y)
    case (.string(let template), _) where op == .remainder: return .string(try Formatting.percent(template, b))
    case (.string(let x), .int(let n)) where op == .multiply: return .string(String(repeating: x, count: max(0, n)))
    case (.tuple(let x), .int(let n)) where op == .multiply: return .tuple(try repeated(x, n, "tuple"))
    case (.list(let x), .int(let n)) where op == .multiply: return .makeList(try repeated(x.items, n, "list"))
    case (.int(let n), .list(let x)) where op == .multiply: return .makeList(try repeated(x.items, n, "list"))
    case (.object(let x as SetObject), .object(let y as SetObject)):
      switch op {
      case .bitwiseOr: return .object(try SetObject(x.members + y.members))
      case .bitwiseAnd: return .object(try SetObject(try x.members.filter { try y.contains($0) }))
      case .subtract: return .object(try SetObject(try x.members.filter { try !y.contains($0) }))
      default: break
      }
    case (.object(let x as DictObject), .object(let y as DictObject)) where op == .bitwiseOr:
      let merged = try DictObject(Array(x.pairs))
      for (key, value) in y.pairs { try merged.set(key, value) }
      return .object(merged)
    default:
      if let x = a.number, let y = b.number { return try numeric(op, x, y) }
    }
    throw RuntimeFailure("unsupported operand type(s) for \(op.rawValue): '\(a.typeName)' and '\(b.typeName)'", type: "TypeError")
  }

  /// The most items a tuple or list built by `+` or `*` may hold: far beyond any notebook's needs,
  /// and far below what would exhaust memory (Python would raise MemoryError; this says why first).
  static let maximumSequenceLength = 10_000_000

  static func repeated(_ items: [Value], _ n: Int, _ type: String) throws -> [Value] {
    let times = max(0, n)
    let (count, overflow) = items.count.multipliedReportingOverflow(by: times)
    guard !overflow, count <= maximumSequenceLength else {
      throw RuntimeFailure(
        "a \(type) of \(items.count) items repeated \(n) times is too large for a script (limit \(maximumSequenceLength) items)")
    }
    return Array((0..<times).map { _ in items }.joined())
  }

  static func concatenated(_ x: [Value], _ y: [Value], _ type: String) throws -> [Value] {
    guard x.count + y.count <= maximumSequenceLength else {
      throw RuntimeFailure(
        "a \(type) of \(x.count + y.count) items is too large for a script (limit \(maximumSequenceLength) items)")
    }
    return x + y
  }

  static func tensorBinary(_ op: BinaryOperator, _ x: Operand, _ y: Operand) throws -> Operand {
    switch op {
    case .add: try x + y
    case .subtract: try x - y
    case .multiply: try x * y
    case .divide: try x / y
    case .matrixMultiply: try x.matmul(y)
    case .power: try x.pow(y)
    default: throw RuntimeFailure("operator \(op.rawValue) is not supported on tensors")
    }
  }

  static func tensorScalar(_ op: BinaryOperator, _ x: Operand, _ c: Number) throws -> Operand {
    switch op {
    case .add: return try x + c.double
    case .subtract: return try x - c.double
    case .multiply: return try x * c.double
    case .divide: return try x / c.double
    case .power: return try x.pow(c.double)
    default: throw RuntimeFailure("operator \(op.rawValue) is not supported between a tensor and a number")
    }
  }

  static func scalarTensor(_ op: BinaryOperator, _ c: Number, _ y: Operand) throws -> Operand {
    switch op {
    case .add: return try c.double + y
    case .subtract: return try (c.double - y).labelled("RsubBackward1")
    case .multiply: return try c.double * y
    case .divide: return try (c.double / y).labelled("MulBackward0")
    case .power: return try y.wrappedScalar(c.double).pow(y).labelled("PowBackward2")
    default: throw RuntimeFailure("operator \(op.rawValue) is not supported between a number and a tensor")
    }
  }

  /// A Python number: int (bools count; up to 128 bits) or float.
  enum Number {
    case int(Int128)
    case float(Double)

    var double: Double {
      switch self {
      case .int(let i): Double(i)
      case .float(let d): d
      }
    }
  }

  /// A Python int result: `.int` within 64 bits, `.wideInt` beyond.
  static func integer(_ x: Int128) -> Value {
    Int(exactly: x).map(Value.int) ?? .wideInt(x)
  }

  /// An int result within 128 bits, or an error where Python's unbounded int would go beyond.
  static func checked(_ result: (partialValue: Int128, overflow: Bool)) throws -> Int128 {
    guard !result.overflow else { throw RuntimeFailure("integer overflow: the result does not fit in 128 bits, jvplab's widest int", type: "OverflowError") }
    return result.partialValue
  }

  static func numeric(_ op: BinaryOperator, _ a: Number, _ b: Number) throws -> Value {
    if case .int(let x) = a, case .int(let y) = b {
      switch op {
      case .add: return integer(try checked(x.addingReportingOverflow(y)))
      case .subtract: return integer(try checked(x.subtractingReportingOverflow(y)))
      case .multiply: return integer(try checked(x.multipliedReportingOverflow(by: y)))
      case .divide:
        guard y != 0 else { throw RuntimeFailure("division by zero", type: "ZeroDivisionError") }
        return .float(Double(x) / Double(y))
      case .floorDivide:
        guard y != 0 else { throw RuntimeFailure("integer division or modulo by zero", type: "ZeroDivisionError") }
        let q = try checked(x.dividedReportingOverflow(by: y))
        return integer((x % y != 0) && ((x < 0) != (y < 0)) ? q - 1 : q)
      case .remainder:
        guard y != 0 else { throw RuntimeFailure("integer division or modulo by zero", type: "ZeroDivisionError") }
        let (r, _) = x.remainderReportingOverflow(dividingBy: y)
        return integer(r != 0 && (r < 0) != (y < 0) ? r + y : r)
      case .power:
        if y < 0 { return .float(Foundation.pow(Double(x), Double(y))) }
        // By squaring: O(log y) steps even for 2 ** 10**18, which overflows.
        var (result, base, exponent) = (Int128(1), x, y)
        while exponent > 0 {
          if exponent & 1 == 1 { result = try checked(result.multipliedReportingOverflow(by: base)) }
          exponent >>= 1
          if exponent > 0 { base = try checked(base.multipliedReportingOverflow(by: base)) }
        }
        return integer(result)
      default: break
      }
    }
    let (x, y) = (a.double, b.double)
    switch op {
    case .add: return .float(x + y)
    case .subtract: return .float(x - y)
    case .multiply: return .float(x * y)
    case .divide:
      guard y != 0 else { throw RuntimeFailure("float division by zero", type: "ZeroDivisionError") }
      return .float(x / y)
    case .floorDivide:
      guard y != 0 else { throw RuntimeFailure("float floor division by zero", type: "ZeroDivisionError") }
      return .float((x / y).rounded(.down))
    case .remainder:
      guard y != 0 else { throw RuntimeFailure("float modulo", type: "ZeroDivisionError") }
      let r = x.truncatingRemainder(dividingBy: y)
      return .float(r != 0 && (r < 0) != (y < 0) ? r + y : r)
    case .power: return .float(Foundation.pow(x, y))
    default: throw RuntimeFailure("unsupported operand type(s) for \(op.rawValue): 'float' and 'float'", type: "TypeError")
    }
  }

  /// A comparison's value: a bool for Python values, an elementwise bool tensor when a tensor is compared.
  static func comparison(_ op: ComparisonOperator, _ a: Value, _ b: Value) throws -> Value {
    switch op {
    case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
      if case .tensor(let x, _) = a { return .tensor(try TensorComparison.compare(op, x, b, swapped: false)) }
      if case .tensor(let y, _) = b { return .tensor(try TensorComparison.compare(op, y, a, swapped: true)) }
    default: break
    }
    return .bool(try compare(op, a, b))
  }

  static func compare(_ op: ComparisonOperator, _ a: Value, _ b: Value) throws -> Bool {
    switch op {
    case .is: return identical(a, b)
    case .isNot: return !identical(a, b)
    case .in, .notIn:
      let found: Bool
      switch b {
      case .tuple(let items): found = try items.contains { try equal(a, $0) }
      case .list(let list): found = try list.items.contains { try equal(a, $0) }
      case .string(let text):
        guard case .string(let part) = a else {
          throw RuntimeFailure("'in <string>' requires string as left operand, not \(a.typeName)", type: "TypeError")
        }
        found = part.isEmpty || text.contains(part)
      case .size(let shape): found = try shape.contains { try equal(a, .int($0)) }
      case .object(let object): found = try object.contains(a)
      default: throw RuntimeFailure("argument of type '\(b.typeName)' is not iterable", type: "TypeError")
      }
      return op == .in ? found : !found
    case .equal: return try equal(a, b)
    case .notEqual: return !(try equal(a, b))
    case .less, .lessOrEqual, .greater, .greaterOrEqual:
      if case .string(let x) = a, case .string(let y) = b { return order(op, x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars), x == y) }
      if let sequences = orderedSequences(a, b) { return try compareSequences(op, sequences.0, sequences.1) }
      if case .int(let x)? = a.number, case .int(let y)? = b.number { return order(op, x < y, x == y) }
      guard let x = a.number?.double, let y = b.number?.double else {
        if case .tensor = a { throw RuntimeFailure("comparisons on tensors are not supported in jvplab v1") }
        if case .tensor = b { throw RuntimeFailure("comparisons on tensors are not supported in jvplab v1") }
        throw RuntimeFailure(
          "'\(op.rawValue)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'", type: "TypeError")
      }
      return order(op, x < y, x == y)
    }
  }

  /// Two tuples or two lists, which Python orders item by item.
  static func orderedSequences(_ a: Value, _ b: Value) -> ([Value], [Value])? {
    switch (a, b) {
    case (.tuple(let x), .tuple(let y)): (x, y)
    case (.list(let x), .list(let y)): (x.items, y.items)
    default: nil
    }
  }

  static func compareSequences(_ op: ComparisonOperator, _ x: [Value], _ y: [Value]) throws -> Bool {
    for (left, right) in zip(x, y) where try !equal(left, right) { return try compare(op, left, right) }
    return order(op, x.count < y.count, x.count == y.count)
  }

  static func order(_ op: ComparisonOperator, _ less: Bool, _ equal: Bool) -> Bool {
    switch op {
    case .less: less
    case .lessOrEqual: less || equal
    case .greater: !less && !equal
    default: !less
    }
  }

  static func identical(_ a: Value, _ b: Value) -> Bool {
    switch (a, b) {
    case (.none, .none): true
    case (.bool(let x), .bool(let y)): x == y
    case (.dtype(let x), .dtype(let y)): x == y
    case (.function(let x), .function(let y)): x === y
    case (.list(let x), .list(let y)): x === y
    case (.object(let x as GradFunctionObject), .object(let y as GradFunctionObject)): x.node === y.node
    case (.object(let x), .object(let y)): x === y
    case (.int(let x), .int(let y)): x == y && (-5...256).contains(x)
    case (.module(let x), .module(let y)): x == y
    case (.builtin(let x), .builtin(let y)): x.name == y.name
    case (.tensor(.taped(let x), _), .tensor(.taped(let y), _)): x === y
    case (.tensor(.concrete(let x), _), .tensor(.concrete(let y), _)): x.sharesStorage(with: y)
    default: false
    }
  }

  static func equal(_ a: Value, _ b: Value) throws -> Bool {
    switch (a, b) {
    case (.tensor, _), (_, .tensor):
      throw RuntimeFailure("comparisons on tensors are not supported in jvplab v1 (use torch.allclose or torch.equal)")
    case (.string(let x), .string(let y)): return x == y
    case (.tuple(let x), .tuple(let y)):
      // Shared storage holds the very same items, which Python's comparison takes as equal
      // without looking: otherwise x = (x, x) repeated makes x == x exponential.
      if x.withUnsafeBufferPointer({ a in y.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }) { return true }
      return try x.count == y.count && zip(x, y).allSatisfy { try equal($0, $1) }
    case (.list(let x), .list(let y)):
      if x === y { return true }
      return try x.items.count == y.items.count && zip(x.items, y.items).allSatisfy { try equal($0, $1) }
    case (.object(let x), _): return try x.equals(b)
    case (_, .object(let y)): return try y.equals(a)
    case (.size(let x), .size(let y)): return x == y
    case (.size(let x), .tuple(let y)), (.tuple(let y), .size(let x)):
      return y.count == x.count && zip(x, y).allSatisfy { if case .int(let i) = $1 { $0 == i } else { false } }
    default:
      if let x = a.number, let y = b.number {
        if case .int(let i) = x, case .int(let j) = y { return i == j }
        return x.double == y.double
      }
      return identical(a, b)
    }
  }

  /// Python truthiness.
  static func truth(_ value: Value) throws -> Bool {
    switch value {
    case .none: return false
    case .bool(let b): return b
    case .int(let i): return i != 0
    case .wideInt: return true
    case .float(let d): return d != 0
    case .string(let s): return !s.isEmpty
    case .tuple(let items): return !items.isEmpty
    case .list(let list): return !list.items.isEmpty
    case .size(let shape): return !shape.isEmpty
    case .object(let object): return try object.truth()
    case .tensor(let x, _) where x.concreteValue != nil:
      let t = x.concreteValue!
      guard t.count == 1 else {
        throw RuntimeFailure("Boolean value of Tensor with more than one value is ambiguous")
      }
      return t.element(0) != 0
    case .tensor(.traced(let v), _):
      if v.tracer.isUnderVectorizing { throw TensorComparison.vmapControlFlow }
      throw RuntimeFailure("the truth value of a tensor being differentiated cannot be used (data-dependent control flow)")
    default: return true
    }
  }

  /// The items of an iterable, all at once (`tuple(x)`, `sum(x)`).
  static func unpack(_ value: Value) throws -> [Value] {
    switch value {
    case .tuple(let items): return items
    case .list(let list): return list.items
    case .string(let text): return text.map { .string(String($0)) }
    case .object(let object): return try object.makeIterator().collect()
    case .size(let shape): return shape.map(Value.int)
    case .tensor(let t, _):
      guard t.rank > 0 else { throw RuntimeFailure("iteration over a 0-d tensor", type: "TypeError") }
      return try (0..<t.shape[0]).map { .tensor(try t.select(dim: 0, index: $0)) }
    default: throw RuntimeFailure("cannot unpack non-iterable \(value.typeName) object", type: "TypeError")
    }
  }
}

extension Value {
  /// The value as a Python number, if it is one.
  var number: Operators.Number? {
    switch self {
    case .int(let i): .int(Int128(i))
    case .wideInt(let i): .int(i)
    case .bool(let b): .int(b ? 1 : 0)
    case .float(let d): .float(d)
    default: nil
    }
  }
}

extension Operand {
  /// A Python number as a 0-d tensor in the dtype PyTorch would compute in with this tensor.
  func wrappedScalar(_ value: Double) -> Operand { scalar(value, dtype: dtype.isFloatingPoint ? dtype : .float32) }
}
