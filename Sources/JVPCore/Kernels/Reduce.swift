/// Reductions over any set of dims, written as a pass over the input that accumulates into the output.
enum Reduce {
  /// The keepdim-shaped result of folding `x` (of `shape`) over `dims` with `combine`, starting from `initial`.
  @inline(__always)
  static func fold<T: FloatElement>(
    _ x: [T], shape: [Int], dims: Set<Int>, initial: T, _ combine: (T, T) -> T
  ) -> [T] {
    let outShape = shape.enumerated().map { dims.contains($0.offset) ? 1 : $0.element }
    let outCount = Shape.count(outShape)
    var out = [T](repeating: initial, count: outCount)
    if x.isEmpty { return out }
    let outStrides = Broadcast.strides(of: outShape, in: shape)
    let lastStride = outStrides.last ?? 0
    x.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        if shape.isEmpty {
          dst[0] = combine(dst[0], src[0])
          return
        }
        StridedLoop.forEachRow(shape: shape, strides: [outStrides]) { inStart, offsets, length in
          let o = offsets[0]
          if lastStride == 0 {
            var acc = dst[o]
            for j in 0..<length { acc = combine(acc, src[inStart + j]) }
            dst[o] = acc
          } else {
            for j in 0..<length { dst[o + j] = combine(dst[o + j], src[inStart + j]) }
          }
        }
      }
    }
    return out
  }
}

/// Copies between strided views and contiguous storage: permute, slice, expand and diagonals are all views.
enum Layout {
  /// A contiguous copy of the view of `x` with `shape`, element strides `strides` and start `offset`.
  @_specialize(where E == Float)
  @_specialize(where E == Double)
  @_specialize(where E == Int64)
  static func gather<E>(_ x: [E], shape: [Int], strides: [Int], offset: Int) -> [E] {
    let n = Shape.count(shape)
    if n == 0 { return [] }
    // A contiguous run (e.g. a step-1 slice of the leading dim) is one copy.
    if strides == Array(Shape.strides(shape)) && offset + n <= x.count { return Array(x[offset..<(offset + n)]) }
    let rank = shape.count
    if rank >= 2 && strides[rank - 2] == 1 && strides[rank - 1] != 1 && shape[rank - 1] > 1 && shape[rank - 2] > 1 {
      return transposedGather(x, shape: shape, strides: strides, offset: offset)
    }
    return x.withUnsafeBufferPointer { src in
      makeArray(count: n) { dst in
        let inner = strides.last ?? 0
        StridedLoop.forEachRow(shape: shape, strides: [strides]) { outStart, offsets, length in
          let base = offset + offsets[0]
          // Rows that are contiguous in `x` (step 1 along the last dim, as a batched slice's are) are one copy each.
          if inner == 1 {
            (dst.baseAddress! + outStart).initialize(from: src.baseAddress! + base, count: length)
          } else {
            for j in 0..<length { dst.initializeElement(at: outStart + j, to: src[base + j * inner]) }
          }
        }
      }
    }
  }

  /// `gather` of a view whose last two dims are a matrix transpose (the second-to-last dim has stride 1): each
  /// trailing matrix is copied in square tiles one cache line wide, through a small buffer, so every source and
  /// destination line is touched once per tile. (Writing a column straight into rows a power of two apart maps
  /// them all to two cache sets and thrashes.)
  @_specialize(where E == Float)
  @_specialize(where E == Double)
  static func transposedGather<E>(_ x: [E], shape: [Int], strides: [Int], offset: Int) -> [E] {
    let rank = shape.count
    let (rows, columns, columnStride) = (shape[rank - 2], shape[rank - 1], strides[rank - 1])
    let leading = Array(shape.dropLast(2))
    let leadingStrides = Array(strides.dropLast(2))
    let tile = max(1, 64 / MemoryLayout<E>.stride)
    return x.withUnsafeBufferPointer { source in
      makeArray(count: Shape.count(shape)) { destination in
        withUnsafeTemporaryAllocation(of: E.self, capacity: tile * tile) { buffer in
          let src = source.baseAddress!
          let dst = destination.baseAddress!
          let staging = buffer.baseAddress!
          var index = [Int](repeating: 0, count: leading.count)
          for m in 0..<Shape.count(leading) {
            let base = offset + zip(index, leadingStrides).reduce(0) { $0 + $1.0 * $1.1 }
            let out = m * rows * columns
            for r0 in stride(from: 0, to: rows, by: tile) {
              let rCount = min(tile, rows - r0)
              for c0 in stride(from: 0, to: columns, by: tile) {
                let cCount = min(tile, columns - c0)
                for c in 0..<cCount {
                  (staging + c * tile).initialize(from: src + base + (c0 + c) * columnStride + r0, count: rCount)
                }
                for r in 0..<rCount {
                  let row = dst + out + (r0 + r) * columns + c0
                  for c in 0..<cCount { (row + c).initialize(to: staging[c * tile + r]) }
                }
              }
            }
            for d in stride(from: leading.count - 1, through: 0, by: -1) {
              index[d] += 1
              if index[d] < leading[d] { break }
              index[d] = 0
            }
          }
        }
      }
    }
  }

  /// Writes contiguous `values` into the strided view (`shape`, `strides`, `offset`) of `target`.
  @_specialize(where E == Float)
  @_specialize(where E == Double)
  @_specialize(where E == Int64)
  static func scatter<E>(_ values: [E], into target: inout [E], shape: [Int], strides: [Int], offset: Int) {
    if values.isEmpty { return }
    if strides == Shape.strides(shape) && offset + values.count <= target.count {
      target.replaceSubrange(offset..<(offset + values.count), with: values)
      return
    }
    let inner = strides.last ?? 0
    values.withUnsafeBufferPointer { src in
      target.withUnsafeMutableBufferPointer { dst in
        StridedLoop.forEachRow(shape: shape, strides: [strides]) { inStart, offsets, length in
          let base = offset + offsets[0]
          // Rows contiguous in `target` are one copy each, as in `gather`.
          if inner == 1 {
            (dst.baseAddress! + base).update(from: src.baseAddress! + inStart, count: length)
          } else {
            for j in 0..<length { dst[base + j * inner] = src[inStart + j] }
          }
        }
      }
    }
  }
}

/// Sums of contiguous rows in one canonical order, shared by the `sum` kernel and fused kernels so that a
/// value never depends on whether it was fused, batched or split across threads: sixteen lane accumulators
/// over the row's whole 16-element blocks (carried across tiles), folded pairwise, then the remaining
/// elements added in order. Rows shorter than 16 are summed left to right, as a plain loop would.
enum RowSum {
  static let width = 16

  /// Adds the whole 16-element blocks of `p[0..<count]` into `acc`; returns how many elements it consumed.
  @inline(__always)
  static func accumulate<T: FloatElement>(_ acc: inout SIMD16<T>, _ p: UnsafePointer<T>, _ count: Int) -> Int {
    var j = 0
    let raw = UnsafeRawPointer(p)
    while j + 16 <= count {
      acc += raw.loadUnaligned(fromByteOffset: j * MemoryLayout<T>.stride, as: SIMD16<T>.self)
      j += 16
    }
    return j
  }

  /// The row's sum from its block accumulator and the `tailCount` elements after the last whole block.
  @inline(__always)
  static func finish<T: FloatElement>(_ acc: SIMD16<T>, _ tail: UnsafePointer<T>, _ tailCount: Int) -> T {
    let a8 = acc.lowHalf + acc.highHalf
    let a4 = a8.lowHalf + a8.highHalf
    let a2 = a4.lowHalf + a4.highHalf
    var s = a2[0] + a2[1]
    for j in 0..<tailCount { s += tail[j] }
    return s
  }

  /// `accumulate` over the products `a[i] * b[i]` for `i` in `offset..<offset+count` (each product rounded
  /// on its own, as if it had been stored first), without storing them.
  @inline(__always)
  static func accumulateProducts<T: FloatElement>(_ acc: inout SIMD16<T>, _ a: TileArg<T>, _ b: TileArg<T>, _ offset: Int, _ count: Int) -> Int {
    var j = 0
    func block(_ x: TileArg<T>, _ i: Int) -> SIMD16<T> {
      switch x {
      case .vector(let p): UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<T>.self)
      case .scalar(let s): SIMD16<T>(repeating: s)
      }
    }
    while j + 16 <= count {
      let product = block(a, offset + j) * block(b, offset + j)
      acc += product
      j += 16
    }
    return j
  }

  /// `finish` for `accumulateProducts`: the tail products from `offset` added in order.
  @inline(__always)
  static func finishProducts<T: FloatElement>(_ acc: SIMD16<T>, _ a: TileArg<T>, _ b: TileArg<T>, _ offset: Int, _ tailCount: Int) -> T {
    let a8 = acc.lowHalf + acc.highHalf
    let a4 = a8.lowHalf + a8.highHalf
    let a2 = a4.lowHalf + a4.highHalf
    var s = a2[0] + a2[1]
    for j in 0..<tailCount {
      let x: T = switch a { case .vector(let p): p[offset + j]; case .scalar(let v): v }
      let y: T = switch b { case .vector(let p): p[offset + j]; case .scalar(let v): v }
      let product = x * y
      s += product
    }
    return s
  }

  @inline(__always)
  static func sum<T: FloatElement>(_ p: UnsafePointer<T>, _ count: Int) -> T {
    var acc = SIMD16<T>()
    let j = accumulate(&acc, p, count)
    return finish(acc, p + j, count - j)
  }

  /// Row sums of `x` viewed as `rows` x `inner`, split across cores for large inputs.
  static func rows<T: FloatElement>(_ x: [T], rows: Int, inner: Int) -> [T] {
    x.withUnsafeBufferPointer { src in
      makeArray(count: rows) { dst in
        Parallel.forRanges(rows, grain: max(1, Parallel.grain / max(inner, 1))) { range in
          for r in range { dst[r] = sum(src.baseAddress! + r * inner, inner) }
        }
      }
    }
  }
}
