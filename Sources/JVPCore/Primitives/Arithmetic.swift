/// An elementwise function of two tensors with PyTorch broadcasting and type promotion.
///
/// A conforming type gives its kernel (`combine`) and its two rules; the rules see tangents and
/// cotangents in the arguments' own shapes and use `expanded(to:)` / `reduced(to:)` for broadcasting.
protocol BinaryFunction: FusibleElementwise {
  var name: String { get }
  static func combine<T: FloatElement>(_ a: T, _ b: T) -> T
  /// The fused kernel with one operand given per row (see `Tiles.binary(rows:)`).
  func tile(rows: TileRows<Float>, _ other: TileArg<Float>, rowsFirst: Bool, _ out: UnsafeMutablePointer<Float>, _ n: Int)
  func tile(rows: TileRows<Double>, _ other: TileArg<Double>, rowsFirst: Bool, _ out: UnsafeMutablePointer<Double>, _ n: Int)
}

extension BinaryFunction {
  public var description: String { name }

  /// The fused kernel: `combine` over a tile.
  var arity: Int { 2 }
  func tile(_ a: TileArg<Float>, _ b: TileArg<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    Tiles.binary(a, b, out, n, Self.combine)
  }
  func tile(_ a: TileArg<Double>, _ b: TileArg<Double>, _ out: UnsafeMutablePointer<Double>, _ n: Int) {
    Tiles.binary(a, b, out, n, Self.combine)
  }
  func tile(rows: TileRows<Float>, _ other: TileArg<Float>, rowsFirst: Bool, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    Tiles.binary(rows: rows, other, rowsFirst: rowsFirst, out, n, Self.combine)
  }
  func tile(rows: TileRows<Double>, _ other: TileArg<Double>, rowsFirst: Bool, _ out: UnsafeMutablePointer<Double>, _ n: Int) {
    Tiles.binary(rows: rows, other, rowsFirst: rowsFirst, out, n, Self.combine)
  }

  public func outputType(_ arguments: [TensorType]) throws -> TensorType {
    let (a, b) = (arguments[0], arguments[1])
    try Check.floating(a, name)
    try Check.floating(b, name)
    guard let shape = Broadcast.shape(a.shape, b.shape) else {
      throw EngineError.pytorch(Broadcast.mismatch(a.shape, b.shape))
    }
    return TensorType(shape: shape, dtype: DType.promote(a.dtype, b.dtype))
  }

  public func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    let (a, b) = (arguments[0], arguments[1])
    switch type.dtype {
    case .float32:
      return Tensor(shape: type.shape, float32: Elementwise.zip(
        a.elements(as: Float.self), a.shape, b.elements(as: Float.self), b.shape, into: type.shape, Self.combine))
    case .float64:
      return Tensor(shape: type.shape, float64: Elementwise.zip(
        a.elements(as: Double.self), a.shape, b.elements(as: Double.self), b.shape, into: type.shape, Self.combine))
    case .int64, .bool: preconditionFailure("outputType rejects int64")
    }
  }
}

struct Add: BinaryFunction {
  let name = "add"
  var savesTensors: Bool { false }
  static func combine<T: FloatElement>(_ a: T, _ b: T) -> T { a + b }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    switch (tangents[0], tangents[1]) {
    case (let ta?, let tb?): try (ta + tb).expanded(to: output.type)
    case (let ta?, nil): try ta.expanded(to: output.type)
    case (nil, let tb?): try tb.expanded(to: output.type)
    case (nil, nil): nil
    }
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    [try cotangent.reduced(to: primals[0].type), try cotangent.reduced(to: primals[1].type)]
  }
}

struct Subtract: BinaryFunction {
  let name = "sub"
  var savesTensors: Bool { false }
  static func combine<T: FloatElement>(_ a: T, _ b: T) -> T { a - b }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    switch (tangents[0], tangents[1]) {
    case (let ta?, let tb?): try (ta - tb).expanded(to: output.type)
    case (let ta?, nil): try ta.expanded(to: output.type)
    case (nil, let tb?): try tb.negated().expanded(to: output.type)
    case (nil, nil): nil
    }
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    [try cotangent.reduced(to: primals[0].type), try cotangent.negated().reduced(to: primals[1].type)]
  }
}

struct Multiply: BinaryFunction {
  let name = "mul"
  static func combine<T: FloatElement>(_ a: T, _ b: T) -> T { a * b }
  /// PyTorch saves each factor for the other's gradient.
  func savedForBackward(_ requiresGrad: [Bool]) -> (arguments: [Bool], output: Bool) {
    ([requiresGrad[1], requiresGrad[0]], false)
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    let (a, b) = (primals[0], primals[1])
    let terms = [try tangents[0].map { try $0 * b }, try tangents[1].map { try a * $0 }].compactMap { $0 }
    return try terms.sum()?.expanded(to: output.type)
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    let (a, b) = (primals[0], primals[1])
    return [try (cotangent * b).reduced(to: a.type), try (a * cotangent).reduced(to: b.type)]
  }
}

struct Divide: BinaryFunction {
  let name = "div"
  static func combine<T: FloatElement>(_ a: T, _ b: T) -> T { a / b }
  /// PyTorch saves the numerator for the divisor's gradient and the divisor for both.
  func savedForBackward(_ requiresGrad: [Bool]) -> (arguments: [Bool], output: Bool) {
    ([requiresGrad[1], requiresGrad[0] || requiresGrad[1]], false)
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    let b = primals[1]
    let terms = [try tangents[0].map { try $0 / b }, try tangents[1].map { try ($0 * output / b).negated() }]
    return try terms.compactMap { $0 }.sum()?.expanded(to: output.type)
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    let (a, b) = (primals[0], primals[1])
    return [try (cotangent / b).reduced(to: a.type),
            try (cotangent * output / b).negated().reduced(to: b.type)]
  }
}

/// `a ** b` for two tensors.
struct Power: BinaryFunction {
  let name = "pow"
  func autogradName(_ arguments: [TensorType]) -> String { "PowBackward1" }
  static func combine<T: FloatElement>(_ a: T, _ b: T) -> T { T.pow(a, b) }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    let (a, b) = (primals[0], primals[1])
    let terms = [try tangents[0].map { try $0 * (b * a.pow(b - 1)) },
                 try tangents[1].map { try $0 * (output * a.log()) }]
    return try terms.compactMap { $0 }.sum()?.expanded(to: output.type)
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    let (a, b) = (primals[0], primals[1])
    return [try (cotangent * (b * a.pow(b - 1))).reduced(to: a.type),
            try (cotangent * (output * a.log())).reduced(to: b.type)]
  }
}

/// `x ** c` for a Python number `c`, with PyTorch's special cases (`x*x` for 2, `sqrt` for 0.5, ...).
struct PowerScalar: FusibleElementwise {
  let exponent: Double
  var description: String { "pow(\(exponent))" }
  func autogradName(_ arguments: [TensorType]) -> String { "PowBackward0" }

  func outputType(_ arguments: [TensorType]) throws -> TensorType {
    try Check.floating(arguments[0], "pow")
    return arguments[0]
  }

  static func kernel<T: FloatElement>(_ x: [T], _ c: Double) -> [T] {
    switch c {
    case 0: return [T](repeating: 1, count: x.count)
    case 1: return x
    case 2: return Elementwise.map(x) { $0 * $0 }
    case 3: return Elementwise.map(x) { $0 * $0 * $0 }
    case 0.5: return Elementwise.map(x) { $0.squareRoot() }
    case -0.5: return Elementwise.map(x) { 1 / $0.squareRoot() }
    case -1: return Elementwise.map(x) { 1 / $0 }
    case -2: return Elementwise.map(x) { 1 / ($0 * $0) }
    default:
      let e = T(c)
      return Elementwise.map(x) { T.pow($0, e) }
    }
  }

  var arity: Int { 1 }
  func tile(_ a: TileArg<Float>, _ b: TileArg<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) { Self.tile(a, out, n, exponent) }
  func tile(_ a: TileArg<Double>, _ b: TileArg<Double>, _ out: UnsafeMutablePointer<Double>, _ n: Int) { Self.tile(a, out, n, exponent) }

  /// The same special cases as `kernel`, over a tile.
  @inline(__always)
  static func tile<T: FloatElement>(_ a: TileArg<T>, _ out: UnsafeMutablePointer<T>, _ n: Int, _ c: Double) {
    switch c {
    case 0: Tiles.unary(a, out, n) { _ in 1 }
    case 1: Tiles.unary(a, out, n) { $0 }
    case 2: Tiles.unary(a, out, n) { $0 * $0 }
    case 3: Tiles.unary(a, out, n) { $0 * $0 * $0 }
    case 0.5: Tiles.unary(a, out, n) { $0.squareRoot() }
    case -0.5: Tiles.unary(a, out, n) { 1 / $0.squareRoot() }
    case -1: Tiles.unary(a, out, n) { 1 / $0 }
    case -2: Tiles.unary(a, out, n) { 1 / ($0 * $0) }
    default:
      let e = T(c)
      Tiles.unary(a, out, n) { T.pow($0, e) }
    }
  }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    switch arguments[0].storage {
    case .float32(let x): Tensor(shape: type.shape, float32: Self.kernel(x, exponent))
    case .float64(let x): Tensor(shape: type.shape, float64: Self.kernel(x, exponent))
    case .int64, .bool: preconditionFailure("outputType rejects int64")
    }
  }

  /// `g` times the derivative `x ** (c - 1) * c`, or nil where it is zero (c = 0). For c = 1 that is `g` and
  /// for c = 2 `g * (x * 2)`: the same values (`x ** 1` is `x`, `x ** 0 * 1` is one and multiplying by one is
  /// exact) in fewer nodes, which every second derivative of a square (a hessian) evaluates per sweep.
  /// A trace that does not simplify (the tape's `create_graph`) takes the general form for every exponent but 0.
  private func chain(_ g: Var, _ x: Var) throws -> Var? {
    switch exponent {
    case 0: nil
    case 1 where x.tracer.simplifies: g
    case 2 where x.tracer.simplifies: try g * (x * exponent)
    default: try g * (x.pow(exponent - 1) * exponent)
    }
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    try tangents[0].flatMap { try chain($0, primals[0]) }
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    [try chain(cotangent, primals[0])]
  }
}
