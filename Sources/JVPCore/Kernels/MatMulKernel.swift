/// Batched matrix products `op(A) op(B)`, `[B..., M, K] x [B..., K, N]` with broadcast batch dims, where `op`
/// transposes the last two dims of an operand whose flag is set (that operand is then stored `[..., K, M]`,
/// resp. `[..., N, K]`): a transpose is a BLAS flag, never a copy.
///
/// Large products go to the BLAS, one call per batch (or one for the whole batch when only `A` has batch
/// dims), split by rows or spread by batches across the engine's workers, one BLAS thread each; small
/// products and machines without a BLAS run `reference`. Which path runs depends only on the sizes and the
/// core count, so results are deterministic for a given machine and core count; the paths differ from each
/// other in the last bits (the BLAS fuses multiply-adds and blocks the sums), so tests compare them within
/// tolerance.
enum MatMulKernel {
  /// Products with fewer multiply-adds than this run `reference`: below it the BLAS call's fixed cost
  /// outweighs its faster kernel (measured with `jvplab-bench matmul`, see Benchmarks/JVPBench/results-matmul.md).
  static let blasCrossover = 1024
  /// Products with fewer multiply-adds than this stay on one core.
  static let parallelWork = 1 << 18

  /// How the cores share the BLAS calls of one product.
  enum Split {
    /// Rows (or batches) spread over the engine's workers, one BLAS thread each: what the engine runs, as
    /// fast as the library's own threads or faster at every size measured (docs/matrix-products.md).
    case engineWorkers
    /// Each call on the library's own threads, one per core: the BLAS's own rate, for benchmarks and tests.
    case libraryThreads
  }

  /// The rows, inner size and columns of `op(A) op(B)` for stored shapes (rank >= 2) and flags.
  static func dims(_ aShape: [Int], transposedA: Bool, _ bShape: [Int], transposedB: Bool) -> (m: Int, k: Int, n: Int) {
    let (a0, a1) = (aShape[aShape.count - 2], aShape[aShape.count - 1])
    let (b0, b1) = (bShape[bShape.count - 2], bShape[bShape.count - 1])
    return (transposedA ? a1 : a0, transposedA ? a0 : a1, transposedB ? b0 : b1)
  }

  /// The product of `a` (stored as `aShape`, rank >= 2) and `b` (`bShape`, rank >= 2); `batch` is the
  /// broadcast batch shape.
  @_specialize(where T == Float)
  @_specialize(where T == Double)
  static func multiply<T: FloatElement>(
    _ a: [T], _ aShape: [Int], transposedA: Bool = false, _ b: [T], _ bShape: [Int], transposedB: Bool = false,
    batch: [Int], split: Split = .engineWorkers
  ) -> [T] {
    let (m, k, n) = dims(aShape, transposedA: transposedA, bShape, transposedB: transposedB)
    let batches = Shape.count(batch)
    guard m * n * k >= blasCrossover, BLAS.library != nil, BLAS.fits(m, n, k) else {
      return reference(a, aShape, transposedA: transposedA, b, bShape, transposedB: transposedB, batch: batch)
    }
    let (aOffsets, bOffsets) = batchOffsets(aShape, bShape, batch: batch)
    let lda = transposedA ? m : k
    let ldb = transposedB ? k : n
    // Only A has batch dims and its batches are consecutive m x k blocks: one product of (batches * m) rows.
    let fold = !transposedA && batches > 1 && bOffsets.allSatisfy { $0 == 0 } && Shape.count(aShape) == batches * m * k
    let calls = fold ? 1 : batches
    let rows = fold ? batches * m : m
    let work = rows * n * k
    return a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        makeArray(count: batches * m * n) { pc in
          let (a0, b0, c0) = (pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
          // One row block of one call: rows `r` of op(A), all of op(B).
          func product(_ call: Int, _ r: Range<Int>) {
            let aStart = a0 + aOffsets[call] + (transposedA ? r.lowerBound : r.lowerBound * lda)
            BLAS.gemm(
              transposeA: transposedA, transposeB: transposedB, m: r.count, n: n, k: k, aStart, lda: lda,
              b0 + bOffsets[call], ldb: ldb, c0 + call * m * n + r.lowerBound * n, ldc: n)
          }
          if split == .libraryThreads {
            BLAS.withThreads(Parallel.cores) {
              for call in 0..<calls { product(call, 0..<rows) }
            }
            return
          }
          BLAS.withThreads(1) {
            if calls >= Parallel.cores {
              Parallel.forRanges(calls, grain: max(1, parallelWork / max(work, 1))) { range in
                for call in range { product(call, 0..<rows) }
              }
              return
            }
            // Split each call's rows across the cores, in blocks the BLAS kernel tiles evenly.
            for call in 0..<calls {
              let blocks = min(Parallel.cores, work / parallelWork, rows / 16)
              if blocks <= 1 {
                product(call, 0..<rows)
                continue
              }
              let size = (rows / blocks + 15) / 16 * 16
              Parallel.forRanges(blocks, grain: 1) { range in
                for block in range { product(call, (block * size)..<min(rows, (block + 1) * size)) }
              }
            }
          }
        }
      }
    }
  }

  /// The element offsets of each batch's A and B matrices (broadcast batch dims repeat an offset).
  static func batchOffsets(_ aShape: [Int], _ bShape: [Int], batch: [Int]) -> (a: [Int], b: [Int]) {
    let aBatch = Broadcast.strides(of: Array(aShape.dropLast(2)), in: batch)
    let bBatch = Broadcast.strides(of: Array(bShape.dropLast(2)), in: batch)
    let aMatrix = aShape[aShape.count - 2] * aShape[aShape.count - 1]
    let bMatrix = bShape[bShape.count - 2] * bShape[bShape.count - 1]
    var aOffsets: [Int] = []
    var bOffsets: [Int] = []
    let batches = Shape.count(batch)
    aOffsets.reserveCapacity(batches)
    bOffsets.reserveCapacity(batches)
    var index = [Int](repeating: 0, count: batch.count)
    for _ in 0..<batches {
      var (offA, offB) = (0, 0)
      for d in 0..<batch.count {
        offA += index[d] * aBatch[d]
        offB += index[d] * bBatch[d]
      }
      aOffsets.append(offA * aMatrix)
      bOffsets.append(offB * bMatrix)
      var d = batch.count - 1
      while d >= 0 {
        index[d] += 1
        if index[d] < batch[d] { break }
        index[d] = 0
        d -= 1
      }
    }
    return (aOffsets, bOffsets)
  }

  /// The plain triple loop every product was before the BLAS: each output row accumulates `a[i, p] * b[p, :]`
  /// over `p` in order, with separate multiplies and adds. Small products use it, and tests compare the
  /// BLAS path against it.
  @_specialize(where T == Float)
  @_specialize(where T == Double)
  static func reference<T: FloatElement>(
    _ a: [T], _ aShape: [Int], transposedA: Bool = false, _ b: [T], _ bShape: [Int], transposedB: Bool = false,
    batch: [Int]
  ) -> [T] {
    let (m, k, n) = dims(aShape, transposedA: transposedA, bShape, transposedB: transposedB)
    let batches = Shape.count(batch)
    // Element (i, p) of op(A) and (p, j) of op(B), as strides.
    let (aRow, aInner) = transposedA ? (1, m) : (k, 1)
    let (bInner, bColumn) = transposedB ? (1, k) : (n, 1)
    var out = [T](repeating: 0, count: batches * m * n)
    if out.isEmpty { return out }
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        out.withUnsafeMutableBufferPointer { pc in
          /// Rows `rows` of one batch's product.
          func product(_ aBase: Int, _ bBase: Int, _ cBase: Int, _ rows: Range<Int>) {
            for i in rows {
              let c = pc.baseAddress! + cBase + i * n
              guard bColumn == 1 else {
                transposedRow(pa.baseAddress! + aBase + i * aRow, pb.baseAddress! + bBase, c)
                continue
              }
              for p in 0..<k {
                let aip = pa[aBase + i * aRow + p * aInner]
                let row = pb.baseAddress! + bBase + p * bInner
                for j in 0..<n { c[j] += aip * row[j] }
              }
            }
          }
          /// One output row when op(B) is a transposed operand: its column j is storage row j, contiguous
          /// over p, so four outputs are summed at a time down their rows instead of gathering a strided
          /// element per (p, j). Each sum still runs over p in order from +0, so the bits are the loop's above.
          func transposedRow(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>) {
            var j = 0
            while j + 4 <= n {
              let (b0, b1, b2, b3) = (b + j * bColumn, b + (j + 1) * bColumn, b + (j + 2) * bColumn, b + (j + 3) * bColumn)
              var (s0, s1, s2, s3) = (T.zero, T.zero, T.zero, T.zero)
              for p in 0..<k {
                let aip = a[p * aInner]
                s0 += aip * b0[p]
                s1 += aip * b1[p]
                s2 += aip * b2[p]
                s3 += aip * b3[p]
              }
              (c[j], c[j + 1], c[j + 2], c[j + 3]) = (s0, s1, s2, s3)
              j += 4
            }
            while j < n {
              let bj = b + j * bColumn
              var sum = T.zero
              for p in 0..<k { sum += a[p * aInner] * bj[p] }
              c[j] = sum
              j += 1
            }
          }
          // A single small product (the common case below the crossover) pays for no offsets or task split.
          if batches == 1 && m * n * k < Parallel.grain {
            product(0, 0, 0, 0..<m)
            return
          }
          let (aOffsets, bOffsets) = batchOffsets(aShape, bShape, batch: batch)
          let rowsPerTask = max(1, Parallel.grain / max(1, k * n))
          let tasks = (m + rowsPerTask - 1) / rowsPerTask
          for bi in 0..<batches {
            Parallel.forRanges(tasks, grain: 1) { taskRange in
              for task in taskRange {
                product(aOffsets[bi], bOffsets[bi], bi * m * n, (task * rowsPerTask)..<min(m, (task + 1) * rowsPerTask))
              }
            }
          }
        }
      }
    }
    return out
  }
}
