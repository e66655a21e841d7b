/// One operand of a tile kernel: a run of `n` elements, or one value broadcast over the run.
enum TileArg<T> {
  case vector(UnsafePointer<T>)
  case scalar(T)
}

/// The loops of fused elementwise kernels: one op over a tile (at most `Fusion.tileRange.upperBound` elements)
/// that stays in cache. Plain loops over pointers, which the compiler vectorizes.
enum Tiles {
  @inline(__always)
  static func unary<T>(_ a: TileArg<T>, _ out: UnsafeMutablePointer<T>, _ n: Int, _ f: (T) -> T) {
    switch a {
    case .vector(let p): for i in 0..<n { out[i] = f(p[i]) }
    case .scalar(let s):
      let v = f(s)
      for i in 0..<n { out[i] = v }
    }
  }

  @inline(__always)
  static func binary<T>(_ a: TileArg<T>, _ b: TileArg<T>, _ out: UnsafeMutablePointer<T>, _ n: Int, _ f: (T, T) -> T) {
    switch (a, b) {
    case (.vector(let p), .vector(let q)): for i in 0..<n { out[i] = f(p[i], q[i]) }
    case (.vector(let p), .scalar(let s)): for i in 0..<n { out[i] = f(p[i], s) }
    case (.scalar(let s), .vector(let q)): for i in 0..<n { out[i] = f(s, q[i]) }
    case (.scalar(let s), .scalar(let t)):
      let v = f(s, t)
      for i in 0..<n { out[i] = v }
    }
  }
}

/// A primitive the fusion pass can evaluate tile by tile: elementwise, one or two operands of the result's
/// dtype and shape (or broadcast to it). `b` is ignored by unary primitives.
protocol FusibleElementwise: Primitive {
  var arity: Int { get }
  func tile(_ a: TileArg<Float>, _ b: TileArg<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int)
  func tile(_ a: TileArg<Double>, _ b: TileArg<Double>, _ out: UnsafeMutablePointer<Double>, _ n: Int)
}
