/// One operand of a tile kernel: a run of `n` elements, or one value broadcast over the run.
enum TileArg<T> {
  case vector(UnsafePointer<T>)
  case scalar(T)
}

/// An operand holding one value per row of `width` elements (a value broadcast along trailing dims, as a
/// batched cotangent of a sum is): row `r` of the run reads `values[r * stride]`, and the run starts `column`
/// elements into its first row.
struct TileRows<T> {
  let values: UnsafePointer<T>
  let stride: Int
  let width: Int
  let column: Int
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

  /// `binary` with one operand given per row (`rows`, the first operand when `rowsFirst`): each row is one
  /// loop with that row's value as a scalar, so the row values are never spread over a buffer first.
  @inline(__always)
  static func binary<T>(rows: TileRows<T>, _ other: TileArg<T>, rowsFirst: Bool, _ out: UnsafeMutablePointer<T>, _ n: Int,
                        _ f: (T, T) -> T) {
    var value = rows.values
    var done = 0
    var length = rows.width - rows.column
    while done < n {
      length = min(length, n - done)
      let s = value.pointee
      let o = out + done
      switch (other, rowsFirst) {
      case (.vector(let p), true):
        let q = p + done
        for j in 0..<length { o[j] = f(s, q[j]) }
      case (.vector(let p), false):
        let q = p + done
        for j in 0..<length { o[j] = f(q[j], s) }
      case (.scalar(let t), true): o.update(repeating: f(s, t), count: length)
      case (.scalar(let t), false): o.update(repeating: f(t, s), count: length)
      }
      done += length
      value += rows.stride
      length = rows.width
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
