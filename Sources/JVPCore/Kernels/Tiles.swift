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
  static func binary<T: SIMDScalar>(rows: TileRows<T>, _ other: TileArg<T>, rowsFirst: Bool, _ out: UnsafeMutablePointer<T>,
                                    _ n: Int, _ f: (T, T) -> T) {
    switch (other, rowsFirst) {
    case (.vector(let q), true): forEachRow(rows, n) { s, i, length in rowLoop(s, q + i, out + i, length) { f($0, $1) } }
    case (.vector(let q), false): forEachRow(rows, n) { s, i, length in rowLoop(s, q + i, out + i, length) { f($1, $0) } }
    case (.scalar(let t), true): forEachRow(rows, n) { s, i, length in (out + i).update(repeating: f(s, t), count: length) }
    case (.scalar(let t), false): forEachRow(rows, n) { s, i, length in (out + i).update(repeating: f(t, s), count: length) }
    }
  }

  /// Calls `body(value, start, length)` for each row's run within the `n` elements.
  @inline(__always)
  private static func forEachRow<T>(_ rows: TileRows<T>, _ n: Int, _ body: (T, Int, Int) -> Void) {
    var value = rows.values
    var done = 0
    var length = rows.width &- rows.column
    while done < n {
      length = min(length, n &- done)
      body(value.pointee, done, length)
      done &+= length
      value += rows.stride
      length = rows.width
    }
  }

  /// `o[j] = f(s, q[j])` for `j < n`, eight lanes per step with explicit loads and stores: rows are too short
  /// for the setup of a compiler-vectorized loop (alias checks, trip counts) to pay.
  @inline(__always)
  private static func rowLoop<T: SIMDScalar>(_ s: T, _ q: UnsafePointer<T>, _ o: UnsafeMutablePointer<T>, _ n: Int,
                                             _ f: (T, T) -> T) {
    var j = 0
    while j &+ 8 <= n {
      let x = UnsafeRawPointer(q + j).loadUnaligned(as: SIMD8<T>.self)
      var y = SIMD8<T>()
      for k in 0..<8 { y[k] = f(s, x[k]) }
      UnsafeMutableRawPointer(o + j).storeBytes(of: y, as: SIMD8<T>.self)
      j &+= 8
    }
    while j < n {
      o[j] = f(s, q[j])
      j &+= 1
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
