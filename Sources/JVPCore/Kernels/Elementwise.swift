/// Elementwise kernels: one pass over contiguous storage, broadcasting by strides, split across cores.
enum Elementwise {
  /// `f` applied to every element of `x`.
  @inline(__always)
  static func map<T: FloatElement>(_ x: [T], _ f: (T) -> T) -> [T] {
    let n = x.count
    return x.withUnsafeBufferPointer { src in
      makeArray(count: n) { dst in
        Parallel.forRanges(n) { range in
          for i in range { dst[i] = f(src[i]) }
        }
      }
    }
  }

  /// `f(a, b)` with PyTorch broadcasting; `a` and `b` already have the result's element type.
  @inline(__always)
  static func zip<T: FloatElement>(
    _ a: [T], _ aShape: [Int], _ b: [T], _ bShape: [Int], into shape: [Int], _ f: (T, T) -> T
  ) -> [T] {
    let n = Shape.count(shape)
    return a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        makeArray(count: n) { out in
          if aShape == bShape {
            Parallel.forRanges(n) { r in for i in r { out[i] = f(pa[i], pb[i]) } }
          } else if pb.count == 1 {
            let s = pb[0]
            Parallel.forRanges(n) { r in for i in r { out[i] = f(pa[i], s) } }
          } else if pa.count == 1 {
            let s = pa[0]
            Parallel.forRanges(n) { r in for i in r { out[i] = f(s, pb[i]) } }
          } else {
            broadcastRows(pa, Broadcast.strides(of: aShape, in: shape), pb, Broadcast.strides(of: bShape, in: shape), shape, out, f)
          }
        }
      }
    }
  }
}

extension Elementwise {
  /// `zip`'s broadcasting case: rows of the result's last dim split across cores, each row one loop in which
  /// an operand is read in place (stride 1) or as one value (stride 0, broadcast along the row).
  @inline(__always)
  static func broadcastRows<T: FloatElement>(
    _ pa: UnsafeBufferPointer<T>, _ sa: [Int], _ pb: UnsafeBufferPointer<T>, _ sb: [Int], _ shape: [Int],
    _ out: UnsafeMutableBufferPointer<T>, _ f: (T, T) -> T
  ) {
    let rank = shape.count
    let width = shape[rank - 1]
    guard width > 0, out.count > 0 else { return }
    let (da, db) = (sa[rank - 1], sb[rank - 1])
    Parallel.forRanges(out.count / width, grain: max(1, Parallel.grain / width)) { rows in
      var cursor = RowCursor(shape: shape, sa, sb, row: rows.lowerBound)
      for row in rows {
        let o = out.baseAddress! + row * width
        let (a, b) = (pa.baseAddress! + cursor.a, pb.baseAddress! + cursor.b)
        switch (da, db) {
        case (1, 1): for j in 0..<width { o[j] = f(a[j], b[j]) }
        case (0, 1):
          let s = a[0]
          for j in 0..<width { o[j] = f(s, b[j]) }
        case (1, 0):
          let s = b[0]
          for j in 0..<width { o[j] = f(a[j], s) }
        default: for j in 0..<width { o[j] = f(a[j * da], b[j * db]) }
        }
        cursor.next()
      }
    }
  }
}

/// Where each row of a row-major index space (the last dim is the row) starts in two strided operands,
/// stepped from one row to the next as an odometer: no division per row, nothing allocated per row.
struct RowCursor {
  let shape: [Int]
  let sa: [Int]
  let sb: [Int]
  private var index: [Int]
  /// The current row's first element in each operand.
  private(set) var a = 0
  private(set) var b = 0

  /// The cursor at `row`.
  init(shape: [Int], _ sa: [Int], _ sb: [Int], row: Int) {
    (self.shape, self.sa, self.sb) = (shape, sa, sb)
    index = [Int](repeating: 0, count: shape.count)
    var rest = row
    for d in stride(from: shape.count - 2, through: 0, by: -1) {
      index[d] = rest % shape[d]
      rest /= shape[d]
      a += index[d] * sa[d]
      b += index[d] * sb[d]
    }
  }

  mutating func next() {
    var d = shape.count - 2
    while d >= 0 {
      index[d] += 1
      a += sa[d]
      b += sb[d]
      if index[d] < shape[d] { return }
      a -= sa[d] * shape[d]
      b -= sb[d] * shape[d]
      index[d] = 0
      d -= 1
    }
  }
}

/// Shape arithmetic for broadcasting, exactly PyTorch's rules (align trailing dims; 1 stretches).
public enum Broadcast {
  /// The broadcast shape of `a` and `b`, or nil when some aligned sizes differ and neither is 1.
  public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
      let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
      let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
      if da == db || db == 1 { result[i] = da } else if da == 1 { result[i] = db } else { return nil }
    }
    return result
  }

  /// PyTorch's message for shapes that do not broadcast, naming the rightmost dimension where they differ.
  public static func mismatch(_ a: [Int], _ b: [Int]) -> String {
    let rank = max(a.count, b.count)
    for i in stride(from: rank - 1, through: 0, by: -1) {
      let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
      let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
      if da != db && da != 1 && db != 1 {
        return "The size of tensor a (\(da)) must match the size of tensor b (\(db)) at non-singleton dimension \(i)"
      }
    }
    return "shapes \(Shape.describe(a)) and \(Shape.describe(b)) cannot be broadcast"
  }

  /// Element strides that read a contiguous tensor of `shape` as if expanded to `target` (0 on stretched dims).
  public static func strides(of shape: [Int], in target: [Int]) -> [Int] {
    let own = Shape.strides(shape)
    let lead = target.count - shape.count
    return (0..<target.count).map { d in
      d < lead || shape[d - lead] == 1 ? 0 : own[d - lead]
    }
  }

  /// Whether `shape` can be expanded to `target`.
  public static func canExpand(_ shape: [Int], to target: [Int]) -> Bool {
    guard shape.count <= target.count else { return false }
    let lead = target.count - shape.count
    return shape.indices.allSatisfy { shape[$0] == 1 || shape[$0] == target[$0 + lead] }
  }
}

/// Walks a row-major index space row by row (the last dim is the row), tracking offsets into strided operands.
enum StridedLoop {
  /// Calls `body(outputStart, operandOffsets, rowLength)` for each row of `shape`.
  @inline(__always)
  static func forEachRow(shape: [Int], strides: [[Int]], _ body: (Int, [Int], Int) -> Void) {
    let rank = shape.count
    if rank == 0 {
      body(0, strides.map { _ in 0 }, 1)
      return
    }
    let rowLength = shape[rank - 1]
    let rows = Shape.count(shape) / max(rowLength, 1)
    if rowLength == 0 { return }
    var index = [Int](repeating: 0, count: rank)
    var offsets = [Int](repeating: 0, count: strides.count)
    for row in 0..<rows {
      body(row * rowLength, offsets, rowLength)
      var d = rank - 2
      while d >= 0 {
        index[d] += 1
        for k in 0..<strides.count { offsets[k] += strides[k][d] }
        if index[d] < shape[d] { break }
        for k in 0..<strides.count { offsets[k] -= strides[k][d] * shape[d] }
        index[d] = 0
        d -= 1
      }
    }
  }
}
