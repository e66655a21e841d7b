@testable import JVPCore
import Synchronization
import Testing

/// The BLAS path of `MatMulKernel` against the reference triple loop on odd shapes (1 x n, n x 1, 0-size,
/// broadcast batches, transposed operands, views, float64), and the matmul rules that use it.
@Suite struct MatMulKernelTests {
  /// Stored shapes of A and B (rank >= 2), the transpose flags, and the batch shape they broadcast to.
  struct Shapes: CustomTestStringConvertible, Sendable {
    let a: [Int]
    let b: [Int]
    var transposeA = false
    var transposeB = false
    var testDescription: String {
      "\(a)\(transposeA ? "ᵀ" : "") x \(b)\(transposeB ? "ᵀ" : "")"
    }
  }

  // Every product here has at least `MatMulKernel.blasCrossover` multiply-adds unless it is 0-size, so the
  // BLAS runs when it is installed.
  static let shapes: [Shapes] = [
    Shapes(a: [1, 300], b: [300, 70]),
    Shapes(a: [90, 300], b: [300, 1]),
    Shapes(a: [65, 33], b: [33, 47]),
    Shapes(a: [33, 65], b: [33, 47], transposeA: true),
    Shapes(a: [65, 33], b: [47, 33], transposeB: true),
    Shapes(a: [33, 65], b: [47, 33], transposeA: true, transposeB: true),
    Shapes(a: [3, 40, 50], b: [50, 30]),
    Shapes(a: [40, 50], b: [3, 50, 30]),
    Shapes(a: [2, 1, 40, 50], b: [1, 3, 50, 30]),
    Shapes(a: [2, 1, 50, 40], b: [1, 3, 30, 50], transposeA: true, transposeB: true),
    Shapes(a: [4, 17, 300], b: [4, 300, 19]),
    Shapes(a: [0, 300], b: [300, 70]),
    Shapes(a: [70, 0], b: [0, 70]),
    Shapes(a: [3, 0, 40, 50], b: [50, 30]),
  ]

  static func batch(_ s: Shapes) -> [Int] {
    Broadcast.shape(Array(s.a.dropLast(2)), Array(s.b.dropLast(2)))!
  }

  @Test(arguments: shapes) func float32AgainstReference(_ s: Shapes) {
    var values = SeededValues(seed: 15)
    let a = values.tensor(s.a, dtype: .float32).elements(as: Float.self)
    let b = values.tensor(s.b, dtype: .float32).elements(as: Float.self)
    let batch = Self.batch(s)
    let fast = MatMulKernel.multiply(a, s.a, transposedA: s.transposeA, b, s.b, transposedB: s.transposeB, batch: batch)
    let reference = MatMulKernel.reference(a, s.a, transposedA: s.transposeA, b, s.b, transposedB: s.transposeB, batch: batch)
    let (m, k, n) = MatMulKernel.dims(s.a, transposedA: s.transposeA, s.b, transposedB: s.transposeB)
    #expect(fast.count == Shape.count(batch) * m * n)
    // Sums of k products of values in [-1, 1]: the two orders of summation differ by a few ulps of k.
    let tolerance = Float(k) * 4 * Float.ulpOfOne
    #expect(zip(fast, reference).allSatisfy { Swift.abs($0 - $1) <= tolerance })
    // The same call again gives the same bits (replay depends on it).
    let again = MatMulKernel.multiply(a, s.a, transposedA: s.transposeA, b, s.b, transposedB: s.transposeB, batch: batch)
    #expect(again.map(\.bitPattern) == fast.map(\.bitPattern))
  }

  /// The last two dims of `values` (stored `shape`) swapped into a new array.
  static func transposed<T>(_ values: [T], _ shape: [Int]) -> (values: [T], shape: [Int]) {
    let (rows, columns) = (shape[shape.count - 2], shape[shape.count - 1])
    let matrices = rows * columns == 0 ? 0 : values.count / (rows * columns)
    var out = values
    for m in 0..<matrices {
      for r in 0..<rows {
        for c in 0..<columns { out[m * rows * columns + c * rows + r] = values[m * rows * columns + r * columns + c] }
      }
    }
    return (out, Array(shape.dropLast(2)) + [columns, rows])
  }

  /// The reference reads a transposed B down its storage rows, four outputs at a time: the same sums in the
  /// same order as the plain loop over B copied into place, so the same bits (small products print them).
  @Test(arguments: shapes.filter(\.transposeB) + [Shapes(a: [5, 0], b: [7, 0], transposeB: true), Shapes(a: [1, 3], b: [2, 3], transposeB: true)])
  func referenceOfTransposedOperandKeepsTheLoopsBits(_ s: Shapes) {
    var values = SeededValues(seed: 17)
    let a = values.tensor(s.a).elements(as: Double.self)
    var b = values.tensor(s.b).elements(as: Double.self)
    if !b.isEmpty { b[0] = -0.0 }
    let batch = Self.batch(s)
    let copied = Self.transposed(b, s.b)
    let strided = MatMulKernel.reference(a, s.a, transposedA: s.transposeA, b, s.b, transposedB: true, batch: batch)
    let plain = MatMulKernel.reference(a, s.a, transposedA: s.transposeA, copied.values, copied.shape, batch: batch)
    #expect(strided.map(\.bitPattern) == plain.map(\.bitPattern))
    let a32 = a.map(Float.init)
    let strided32 = MatMulKernel.reference(a32, s.a, transposedA: s.transposeA, b.map(Float.init), s.b, transposedB: true, batch: batch)
    let plain32 = MatMulKernel.reference(a32, s.a, transposedA: s.transposeA, copied.values.map(Float.init), copied.shape, batch: batch)
    #expect(strided32.map(\.bitPattern) == plain32.map(\.bitPattern))
  }

  @Test(arguments: shapes) func float64AgainstReference(_ s: Shapes) {
    var values = SeededValues(seed: 16)
    let a = values.tensor(s.a).elements(as: Double.self)
    let b = values.tensor(s.b).elements(as: Double.self)
    let batch = Self.batch(s)
    let fast = MatMulKernel.multiply(a, s.a, transposedA: s.transposeA, b, s.b, transposedB: s.transposeB, batch: batch)
    let reference = MatMulKernel.reference(a, s.a, transposedA: s.transposeA, b, s.b, transposedB: s.transposeB, batch: batch)
    let k = MatMulKernel.dims(s.a, transposedA: s.transposeA, s.b, transposedB: s.transposeB).k
    let tolerance = Double(k) * 4 * Double.ulpOfOne
    #expect(fast.count == reference.count)
    #expect(zip(fast, reference).allSatisfy { Swift.abs($0 - $1) <= tolerance })
  }

  /// Large enough that the engine splits the product's rows across cores: the split must not show.
  @Test func splitProductMatchesOneCall() {
    var values = SeededValues(seed: 17)
    let (m, k, n) = (301, 129, 77)
    let a = values.tensor([m, k], dtype: .float32).elements(as: Float.self)
    let b = values.tensor([k, n], dtype: .float32).elements(as: Float.self)
    let engine = MatrixProducts.multiply(a, b, m: m, k: k, n: n)
    let library = MatrixProducts.multiply(a, b, m: m, k: k, n: n, path: .blasThreads)
    let reference = MatrixProducts.multiply(a, b, m: m, k: k, n: n, path: .reference)
    #expect(zip(engine, reference).allSatisfy { Swift.abs($0 - $1) <= Float(k) * 4 * Float.ulpOfOne })
    #expect(zip(engine, library).allSatisfy { Swift.abs($0 - $1) <= Float(k) * 4 * Float.ulpOfOne })
  }

  /// Both ways of sharing a product between the cores (rows on the engine's workers, what the engine runs,
  /// and the library's own threads) agree with the reference kernel, and each gives the same bits when called
  /// again, in float32 and float64, transposed or not.
  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func everySplitIsDeterministic(_ flags: (Bool, Bool)) {
    let (m, k, n) = (203, 161, 131)
    var values = SeededValues(seed: 22)
    let a = values.tensor([m * k]).doubles
    let b = values.tensor([k * n]).doubles
    func check<T: FloatElement>(_ a: [T], _ b: [T], ulp: T) {
      let reference = MatrixProducts.multiply(a, b, m: m, k: k, n: n, transposeA: flags.0, transposeB: flags.1, path: .reference)
      for path in [MatrixProducts.Path.automatic, .blasThreads] {
        let first = MatrixProducts.multiply(a, b, m: m, k: k, n: n, transposeA: flags.0, transposeB: flags.1, path: path)
        let again = MatrixProducts.multiply(a, b, m: m, k: k, n: n, transposeA: flags.0, transposeB: flags.1, path: path)
        #expect(zip(first, reference).allSatisfy { Swift.abs($0 - $1) <= T(k) * 4 * ulp }, "\(path)")
        #expect(first.withUnsafeBytes { Array($0) } == again.withUnsafeBytes { Array($0) }, "\(path)")
      }
    }
    check(a.map { Float($0) }, b.map { Float($0) }, ulp: Float.ulpOfOne)
    check(a, b, ulp: Double.ulpOfOne)
  }

  /// A batch of large products (spread over the engine's workers) and a broadcast batch that folds into one
  /// large call (the library's threads) match the reference kernel batch by batch, with repeatable bits.
  @Test(arguments: [([4, 130, 140], [4, 140, 120]), ([5, 130, 140], [140, 120]), ([2, 1, 130, 140], [3, 140, 120])])
  func largeBatches(_ shapes: ([Int], [Int])) {
    var values = SeededValues(seed: 23)
    let a = values.tensor(shapes.0, dtype: .float32).elements(as: Float.self)
    let b = values.tensor(shapes.1, dtype: .float32).elements(as: Float.self)
    let batch = Broadcast.shape(Array(shapes.0.dropLast(2)), Array(shapes.1.dropLast(2)))!
    let fast = MatMulKernel.multiply(a, shapes.0, b, shapes.1, batch: batch)
    let again = MatMulKernel.multiply(a, shapes.0, b, shapes.1, batch: batch)
    let reference = MatMulKernel.reference(a, shapes.0, b, shapes.1, batch: batch)
    #expect(fast.count == Shape.count(batch) * 130 * 120)
    #expect(zip(fast, reference).allSatisfy { Swift.abs($0 - $1) <= 140 * 4 * Float.ulpOfOne })
    #expect(again.map(\.bitPattern) == fast.map(\.bitPattern))
  }

  /// A pool asked to rest still runs the next loop on every chunk.
  @Test func restingPoolRunsTheNextLoop() {
    for _ in 0..<20 {
      WorkerPool.shared.rest()
      let claimed = Atomic<Int>(0)
      Parallel.forRanges(1 << 20) { range in claimed.add(range.count, ordering: .relaxed) }
      #expect(claimed.load(ordering: .relaxed) == 1 << 20)
    }
  }

  /// Transposed and sliced views (the engine materialises them) multiply like explicit copies of them.
  @Test func viewsOfOperands() throws {
    var values = SeededValues(seed: 18)
    let x = values.tensor([120, 80])
    let y = values.tensor([120, 90])
    let f = try traced([TensorType(shape: x.shape, dtype: x.dtype), TensorType(shape: y.shape, dtype: y.dtype)]) { v in
      [try v[0].transpose(0, 1).slice(dim: 0, start: 10, stop: nil, step: 2).matmul(try v[1].slice(dim: 1, start: 1, stop: 81))]
    }
    let result = try f.graph.evaluate([x, y])[0]
    let rows = stride(from: 10, to: 80, by: 2).flatMap { i in (0..<120).map { p in x.doubles[p * 80 + i] } }
    let columns = (0..<120).flatMap { p in (1..<81).map { j in y.doubles[p * 90 + j] } }
    let expected = MatMulKernel.reference(rows, [35, 120], columns, [120, 80], batch: [])
    #expect(result.shape == [35, 80])
    #expect(zip(result.doubles, expected).allSatisfy { Swift.abs($0 - $1) <= 1e-12 })
  }

  /// The hessian of xᵀ W x is W + Wᵀ: the vectorized reverse and forward sweeps run the batched matrix
  /// rules (vectors as rows of one product, transposes as flags).
  @Test(arguments: [JacobianStrategy.reverseMode, .forwardMode]) func hessianOfQuadraticForm(_ strategy: JacobianStrategy) throws {
    var values = SeededValues(seed: 19)
    let n = 70
    let w = values.tensor([n, n])
    let x = values.tensor([n])
    let f = try traced(TensorType(shape: x.shape, dtype: x.dtype)) { v in try v.matmul(try v.tracer.constant(w).matmul(v)).sum() }
    let h = try Autodiff.hessian(f, inputs: [x], outerStrategy: strategy, vectorize: true).tensor
    let expected = (0..<(n * n)).map { i in w.doubles[i] + w.doubles[(i % n) * n + i / n] }
    #expect(h.shape == [n, n])
    #expect(zip(h.doubles, expected).allSatisfy { Swift.abs($0 - $1) <= 1e-12 })
  }

  /// Jacobians of a matrix chain agree across strategies, batched or not, on products above the crossover.
  @Test func jacobianOfMatrixChain() throws {
    var values = SeededValues(seed: 20)
    let w1 = values.tensor([40, 30])
    let w2 = values.tensor([20, 40])
    let x = values.tensor([30, 6])
    let f = try traced(TensorType(shape: x.shape, dtype: x.dtype)) { v in
      try v.tracer.constant(w2).matmul(try v.tracer.constant(w1).matmul(v).tanh()).sum(dims: [0])
    }
    let reverse = try Autodiff.jacobian(f, inputs: [x], strategy: .reverseMode, vectorize: true).tensor
    let forward = try Autodiff.jacobian(f, inputs: [x], strategy: .forwardMode, vectorize: true).tensor
    let rows = try Autodiff.jacobian(f, inputs: [x], strategy: .reverseMode, vectorize: false).tensor
    #expect(reverse.shape == [6, 30, 6])
    #expect(maxScaledError(reverse, forward) <= 1e-12)
    #expect(maxScaledError(reverse, rows) <= 1e-12)
  }

  /// jvp and vjp of a product of two inputs: the tangent `ta b + a tb` and the cotangents `g bᵀ`, `aᵀ g`.
  @Test func jvpAndVjpOfProduct() throws {
    var values = SeededValues(seed: 21)
    let (a, b, ta, tb) = (values.tensor([50, 40]), values.tensor([40, 60]), values.tensor([50, 40]), values.tensor([40, 60]))
    let f = try traced([TensorType(shape: a.shape, dtype: a.dtype), TensorType(shape: b.shape, dtype: b.dtype)]) { v in [try v[0].matmul(v[1])] }
    let tangent = try Autodiff.jvp(f, inputs: [a, b], tangents: [ta, tb]).jvp[0].tensor
    let expected = zip(
      MatMulKernel.reference(ta.doubles, [50, 40], b.doubles, [40, 60], batch: []),
      MatMulKernel.reference(a.doubles, [50, 40], tb.doubles, [40, 60], batch: [])).map { $0 + $1 }
    #expect(zip(tangent.doubles, expected).allSatisfy { Swift.abs($0 - $1) <= 1e-12 })
    let g = values.tensor([50, 60])
    let cotangents = try Autodiff.vjp(f, inputs: [a, b], cotangents: [g]).vjp
    let ga = MatMulKernel.reference(g.doubles, [50, 60], b.doubles, [40, 60], transposedB: true, batch: [])
    let gb = MatMulKernel.reference(a.doubles, [50, 40], transposedA: true, g.doubles, [50, 60], batch: [])
    #expect(zip(cotangents[0].tensor.doubles, ga).allSatisfy { Swift.abs($0 - $1) <= 1e-12 })
    #expect(zip(cotangents[1].tensor.doubles, gb).allSatisfy { Swift.abs($0 - $1) <= 1e-12 })
  }

  @Test func coreTypeForOpenBLAS() {
    let avx512: Set<String> = ["avx2", "fma", "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"]
    #expect(BLAS.coreType(cpuFlags: avx512.union(["avx512fp16"]), vendor: "GenuineIntel") == "SkylakeX")
    #expect(BLAS.coreType(cpuFlags: ["avx2", "fma"], vendor: "GenuineIntel") == nil)
    #expect(BLAS.coreType(cpuFlags: ["avx2", "fma", "avx512f"], vendor: "GenuineIntel") == nil)
    #expect(BLAS.coreType(cpuFlags: avx512, vendor: "AuthenticAMD") == "SkylakeX")
    #expect(BLAS.coreType(cpuFlags: ["avx2", "fma"], vendor: "AuthenticAMD") == "Haswell")
    #expect(BLAS.coreType(cpuFlags: ["sse4_2"], vendor: "AuthenticAMD") == nil)
  }

  /// The kernel OpenBLAS runs is the one jvplab asked for: the library is opened only after the core type
  /// is set, never linked (a linked OpenBLAS picks its kernel before `main` and ignores the setting).
  @Test func openBLASRunsTheRequestedKernel() {
    guard let library = BLAS.library, let requested = library.requestedCoreType else { return }
    #expect(library.coreName.lowercased() == requested.lowercased())
  }

  @Test func cpuInfoReadsThisMachine() {
    let info = BLAS.cpuInfo()
    #if arch(x86_64) && os(Linux)
    #expect(["GenuineIntel", "AuthenticAMD"].contains(info.vendor))
    #expect(info.flags.contains("sse2"))
    #endif
  }
}
