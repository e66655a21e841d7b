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
  static func gather<E>(_ x: [E], shape: [Int], strides: [Int], offset: Int) -> [E] {
    let n = Shape.count(shape)
    if n == 0 { return [] }
    return x.withUnsafeBufferPointer { src in
      makeArray(count: n) { dst in
        let inner = strides.last ?? 0
        StridedLoop.forEachRow(shape: shape, strides: [strides]) { outStart, offsets, length in
          let base = offset + offsets[0]
          for j in 0..<length { dst.initializeElement(at: outStart + j, to: src[base + j * inner]) }
        }
      }
    }
  }

  /// Writes contiguous `values` into the strided view (`shape`, `strides`, `offset`) of `target`.
  static func scatter<E>(_ values: [E], into target: inout [E], shape: [Int], strides: [Int], offset: Int) {
    if values.isEmpty { return }
    let inner = strides.last ?? 0
    values.withUnsafeBufferPointer { src in
      target.withUnsafeMutableBufferPointer { dst in
        StridedLoop.forEachRow(shape: shape, strides: [strides]) { inStart, offsets, length in
          let base = offset + offsets[0]
          for j in 0..<length { dst[base + j * inner] = src[inStart + j] }
        }
      }
    }
  }
}

/// Batched matrix products, `[B..., M, K] x [B..., K, N]`, with broadcast batch dims.
enum MatMulKernel {
  /// The product of `a` (`aShape`, rank >= 2) and `b` (`bShape`, rank >= 2); `batch` is the broadcast batch shape.
  static func multiply<T: FloatElement>(_ a: [T], _ aShape: [Int], _ b: [T], _ bShape: [Int], batch: [Int]) -> [T] {
    let (m, k) = (aShape[aShape.count - 2], aShape[aShape.count - 1])
    let n = bShape[bShape.count - 1]
    let batches = Shape.count(batch)
    let aBatch = Broadcast.strides(of: Array(aShape.dropLast(2)), in: batch)
    let bBatch = Broadcast.strides(of: Array(bShape.dropLast(2)), in: batch)
    var out = [T](repeating: 0, count: batches * m * n)
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        out.withUnsafeMutableBufferPointer { pc in
          var index = [Int](repeating: 0, count: batch.count)
          for bi in 0..<batches {
            var offA = 0
            var offB = 0
            for d in 0..<batch.count {
              offA += index[d] * aBatch[d]
              offB += index[d] * bBatch[d]
            }
            let aBase = offA * m * k
            let bBase = offB * k * n
            let cBase = bi * m * n
            let rowsPerTask = max(1, Parallel.grain / max(1, k * n))
            let tasks = (m + rowsPerTask - 1) / rowsPerTask
            Parallel.forRanges(tasks, grain: 1) { taskRange in
              for task in taskRange {
                for i in (task * rowsPerTask)..<min(m, (task + 1) * rowsPerTask) {
                  let c = pc.baseAddress! + cBase + i * n
                  for p in 0..<k {
                    let aip = pa[aBase + i * k + p]
                    let row = pb.baseAddress! + bBase + p * n
                    for j in 0..<n { c[j] += aip * row[j] }
                  }
                }
              }
            }
            var d = batch.count - 1
            while d >= 0 {
              index[d] += 1
              if index[d] < batch[d] { break }
              index[d] = 0
              d -= 1
            }
          }
        }
      }
    }
    return out
  }
}
