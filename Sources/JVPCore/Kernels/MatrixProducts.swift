/// Matrix products outside the graph, for benchmarks and tests: which BLAS runs, and each path of
/// `MatMulKernel` on its own, so the engine's products can be compared with the library's own rate.
public enum MatrixProducts {
  /// A way to compute one product.
  public enum Path: String, Sendable, CaseIterable {
    /// What the engine runs: the reference kernel below the crossover, else the BLAS split across cores.
    case automatic
    /// The triple loop every product used before the BLAS.
    case reference
    /// One BLAS call using the library's own threads, one per core: the BLAS's own rate.
    case blasThreads
  }

  /// The BLAS and kernel large products run on, e.g. "OpenBLAS 0.3.21 (Zen kernel, detected by OpenBLAS; ...)".
  public static var backend: String { BLAS.description }
  /// Whether a BLAS library was found; without one every path runs the reference kernel.
  public static var hasBLAS: Bool { BLAS.library != nil }
  /// Products with fewer multiply-adds than this skip the BLAS.
  public static var blasCrossover: Int { MatMulKernel.blasCrossover }

  /// `op(a) op(b)` for row-major float32 or float64 matrices: `op(a)` is m x k, `op(b)` k x n, a transposed
  /// operand being stored the other way round; the result is m x n.
  @_specialize(where T == Float)
  @_specialize(where T == Double)
  public static func multiply<T: FloatElement>(
    _ a: [T], _ b: [T], m: Int, k: Int, n: Int, transposeA: Bool = false, transposeB: Bool = false, path: Path = .automatic
  ) -> [T] {
    let aShape = transposeA ? [k, m] : [m, k]
    let bShape = transposeB ? [n, k] : [k, n]
    precondition(a.count == m * k && b.count == k * n, "operands do not match the sizes")
    switch path {
    case .automatic:
      return MatMulKernel.multiply(a, aShape, transposedA: transposeA, b, bShape, transposedB: transposeB, batch: [])
    case .reference:
      return MatMulKernel.reference(a, aShape, transposedA: transposeA, b, bShape, transposedB: transposeB, batch: [])
    case .blasThreads:
      return MatMulKernel.multiply(
        a, aShape, transposedA: transposeA, b, bShape, transposedB: transposeB, batch: [], split: .libraryThreads)
    }
  }
}
