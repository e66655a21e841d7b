import JVPKernels

/// An elementwise function of one floating point tensor.
///
/// A conforming type gives its kernel (`apply`) and its derivative as `chain(g, x, y)`: `g` scaled by
/// dy/dx at input `x` with output `y`. Elementwise derivatives are diagonal, so the same chain is the JVP
/// (with a tangent) and the VJP (with a cotangent). The formulas follow PyTorch's `derivatives.yaml`.
protocol UnaryFunction: FusibleElementwise {
  var name: String { get }
  static func apply<T: FloatElement>(_ x: T) -> T
  /// `g` times the derivative, or nil where the derivative is zero almost everywhere.
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var?
  /// A vector float32 kernel bit for bit `apply` (the C library's function), when this CPU runs one.
  var float32Kernel: Float32Kernel? { get }
}

/// `dst[i] = f(src[i])` for `i < count` over float32 buffers.
typealias Float32Kernel = (_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) -> Void

extension UnaryFunction {
  public var description: String { name }

  public func outputType(_ arguments: [TensorType]) throws -> TensorType {
    try Check.floating(arguments[0], name)
    return arguments[0]
  }

  /// float32 through `float32Kernel` when there is one (split across cores), else `apply` element by element.
  public func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    switch arguments[0].storage {
    case .float32(let x):
      guard let kernel = float32Kernel else { return Tensor(shape: type.shape, float32: Elementwise.map(x, Self.apply)) }
      let n = x.count
      return Tensor(shape: type.shape, float32: x.withUnsafeBufferPointer { src in
        makeArray(count: n) { dst in
          Parallel.forRanges(n) { r in kernel(src.baseAddress! + r.lowerBound, dst.baseAddress! + r.lowerBound, r.count) }
        }
      })
    case .float64(let x): return Tensor(shape: type.shape, float64: Elementwise.map(x, Self.apply))
    case .int64, .bool: preconditionFailure("outputType rejects int64")
    }
  }

  /// No vector kernel unless the function has one.
  var float32Kernel: Float32Kernel? { nil }

  public func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    guard let t = tangents[0] else { return nil }
    return try chain(t, primals[0], output)
  }

  /// The fused kernel: `apply` over a tile.
  var arity: Int { 1 }
  func tile(_ a: TileArg<Float>, _ b: TileArg<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    if case .vector(let p) = a, let kernel = float32Kernel {
      kernel(p, out, n)
    } else {
      Tiles.unary(a, out, n, Self.apply)
    }
  }
  func tile(_ a: TileArg<Double>, _ b: TileArg<Double>, _ out: UnsafeMutablePointer<Double>, _ n: Int) {
    Tiles.unary(a, out, n, Self.apply)
  }

  public func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    [try chain(cotangent, primals[0], output)]
  }
}

struct Negate: UnaryFunction {
  let name = "neg"
  var savesTensors: Bool { false }
  static func apply<T: FloatElement>(_ x: T) -> T { -x }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { try g.negated() }
}

struct Exp: UnaryFunction {
  let name = "exp"
  /// PyTorch saves the result, which the derivative is written in.
  func savedForBackward(_ requiresGrad: [Bool]) -> (arguments: [Bool], output: Bool) { ([false], true) }
  static func apply<T: FloatElement>(_ x: T) -> T { T.exp(x) }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { try g * y }

  /// float32 runs the vector kernel that is bit for bit the C library's `expf` (when the CPU allows).
  var float32Kernel: Float32Kernel? { GlibcExpf.isAvailable ? { GlibcExpf.apply($0, $1, count: $2) } : nil }
}

struct Log: UnaryFunction {
  let name = "log"
  static func apply<T: FloatElement>(_ x: T) -> T { T.log(x) }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { try g / x }
}

struct Log1p: UnaryFunction {
  let name = "log1p"
  func autogradName(_ arguments: [TensorType]) -> String { "Log1PBackward0" }
  static func apply<T: FloatElement>(_ x: T) -> T { T.log1p(x) }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { try g / (x + 1) }
}

struct Expm1: UnaryFunction {
  let name = "expm1"
  static func apply<T: FloatElement>(_ x: T) -> T { T.expm1(x) }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { try g * (y + 1) }
}

struct Sin: UnaryFunction {
  let name = "sin"
  static func apply<T: FloatElement>(_ x: T) -> T { T.sin(x) }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { try g * x.cos() }
}

struct Cos: UnaryFunction {
  let name = "cos"
  static func apply<T: FloatElement>(_ x: T) -> T { T.cos(x) }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { try g * x.sin().negated() }
}

struct Tan: UnaryFunction {
  let name = "tan"
  static func apply<T: FloatElement>(_ x: T) -> T { T.tan(x) }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { try g * (y * y + 1) }
}

/// The error function, for `F.gelu`'s exact form. Its derivative is PyTorch's: `2/√π · exp(-x²)`.
struct Erf: UnaryFunction {
  let name = "erf"
  static func apply<T: FloatElement>(_ x: T) -> T { T.erf(x) }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? {
    try g * (x.square().negated().exp() * (2 / Double.pi.squareRoot()))
  }
}

struct Tanh: UnaryFunction {
  let name = "tanh"
  /// PyTorch saves the result, which the derivative is written in.
  func savedForBackward(_ requiresGrad: [Bool]) -> (arguments: [Bool], output: Bool) { ([false], true) }
  static func apply<T: FloatElement>(_ x: T) -> T { T.tanh(x) }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { try g * (1 - y * y) }

  /// float32 runs the vector kernel that is bit for bit the C library's `tanhf` (when the CPU allows).
  var float32Kernel: Float32Kernel? { GlibcTanhf.isAvailable ? { GlibcTanhf.apply($0, $1, count: $2) } : nil }
}

struct Sigmoid: UnaryFunction {
  let name = "sigmoid"
  /// PyTorch saves the result, which the derivative is written in.
  func savedForBackward(_ requiresGrad: [Bool]) -> (arguments: [Bool], output: Bool) { ([false], true) }
  static func apply<T: FloatElement>(_ x: T) -> T { 1 / (1 + T.exp(-x)) }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { try g * (1 - y) * y }
}

struct Relu: UnaryFunction {
  let name = "relu"
  /// PyTorch saves the result, which the derivative is written in.
  func savedForBackward(_ requiresGrad: [Bool]) -> (arguments: [Bool], output: Bool) { ([false], true) }
  static func apply<T: FloatElement>(_ x: T) -> T { x > 0 || x.isNaN ? x : 0 }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { try g * y.positiveMask() }
}

struct SquareRoot: UnaryFunction {
  let name = "sqrt"
  /// PyTorch saves the result, which the derivative is written in.
  func savedForBackward(_ requiresGrad: [Bool]) -> (arguments: [Bool], output: Bool) { ([false], true) }
  static func apply<T: FloatElement>(_ x: T) -> T { x.squareRoot() }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { try g / (y * 2) }
}

struct Absolute: UnaryFunction {
  let name = "abs"
  static func apply<T: FloatElement>(_ x: T) -> T { Swift.abs(x) }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { try g * x.sign() }
}

struct Square: UnaryFunction {
  let name = "square"
  func autogradName(_ arguments: [TensorType]) -> String { "PowBackward0" }
  static func apply<T: FloatElement>(_ x: T) -> T { x * x }
  /// `x ** 2`'s derivative; without simplification PyTorch's `2 · x ** 1`, the same values.
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { try g * (x.tracer.simplifies ? x * 2 : x.pow(1) * 2) }
}

struct Reciprocal: UnaryFunction {
  let name = "reciprocal"
  static func apply<T: FloatElement>(_ x: T) -> T { 1 / x }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { try g.negated() * (y * y) }
}

/// -1, 0 or 1 by sign (NaN stays NaN); the derivative of `abs`. Piecewise constant.
struct Sign: UnaryFunction {
  let name = "sign"
  static func apply<T: FloatElement>(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? -1 : (x.isNaN ? x : 0)) }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { nil }
}

/// The identity whose derivative is zero: `detach()` inside a `torch.func` transform, which PyTorch treats
/// as a constant for differentiation (JAX's `stop_gradient`). Its values pass unchanged; batching keeps them.
struct StopGradient: UnaryFunction {
  let name = "stop_gradient"
  var savesTensors: Bool { false }
  static func apply<T: FloatElement>(_ x: T) -> T { x }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { nil }
}

/// 1 where the input is positive, else 0; the derivative of `relu`. Piecewise constant.
struct PositiveMask: UnaryFunction {
  let name = "positive_mask"
  func autogradName(_ arguments: [TensorType]) -> String { "GtBackward0" }
  static func apply<T: FloatElement>(_ x: T) -> T { x > 0 ? 1 : 0 }
  func chain(_ g: Var, _ x: Var, _ y: Var) throws -> Var? { nil }
}
