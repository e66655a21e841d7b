import Foundation
import JVPCore
import JVPLab

/// `jvplab-bench matmul`: the matrix-product kernels and the transforms on matmul-heavy graphs, each at
/// several sizes (the scaling suite of issue #15). `bench/compare_torch.py --suite matmul` times the same
/// cases with PyTorch and JAX in the same run.
///
/// Kernels: the reference triple loop, the engine's product (reference below the crossover, else the BLAS
/// split across cores by the engine's workers) and one BLAS call on the library's own threads, timed in turns. Transform cases that
/// are GEMM-bound are timed in turns with the GEMMs they contain, run by the BLAS on its own threads.
enum MatMulSuite {
  /// A GEMM a case contains: `count` products of m x k by k x n.
  struct GEMM {
    let m: Int, k: Int, n: Int, count: Int
    var flops: Double { 2 * Double(m * k * n * count) }
  }

  struct Case {
    let name: String
    let spec: [(String, JSON)]
    let gemms: [GEMM]
    let body: () throws -> Void
  }

  static func float32(_ shape: [Int]) -> TensorType { TensorType(shape: shape, dtype: .float32) }

  // MARK: Functions

  /// (a @ b).tanh().sum() of two n x n matrices.
  static func matmulTanh(_ n: Int) throws -> TracedFunction {
    try TracedFunction.trace(inputTypes: [float32([n, n]), float32([n, n])], inputsAreTuple: true) { x in
      ([try x[0].matmul(x[1]).tanh().sum()], false)
    }
  }

  /// (W2 @ tanh(W1 @ x)).sum(0) with h x h weights and x of h x 64.
  static func mlp(_ w1: Tensor, _ w2: Tensor, columns: Int) throws -> TracedFunction {
    try TracedFunction.trace(inputTypes: [float32([w1.shape[1], columns])], inputsAreTuple: false) { x in
      let (c1, c2) = (x[0].tracer.constant(w1), x[0].tracer.constant(w2))
      return ([try c2.matmul(try c1.matmul(x[0]).tanh()).sum(dims: [0])], false)
    }
  }

  /// (x @ (W @ x)).sum(): a quadratic form, whose hessian is W + Wᵀ.
  static func quadratic(_ w: Tensor) throws -> TracedFunction {
    try TracedFunction.trace(inputTypes: [float32([w.shape[0]])], inputsAreTuple: false) { x in
      ([try x[0].matmul(try x[0].tracer.constant(w).matmul(x[0])).sum()], false)
    }
  }

  static func softmax(_ n: Int) throws -> TracedFunction {
    try TracedFunction.trace(inputTypes: [float32([n])], inputsAreTuple: false) { x in ([try x[0].softmax(dim: 0)], false) }
  }

  /// The tutorial's predict: tanh(F.linear(x, W, b)) = tanh(W @ x + b) with W of Dout x Din.
  static func predict(_ w: Tensor, _ b: Tensor) throws -> TracedFunction {
    try TracedFunction.trace(inputTypes: [float32([w.shape[1]])], inputsAreTuple: false) { x in
      let (cw, cb) = (x[0].tracer.constant(w), x[0].tracer.constant(b))
      return ([try (cw.matmul(x[0]) + cb).tanh()], false)
    }
  }

  // MARK: Cases

  static func cases(_ options: BenchOptions) throws -> [Case] {
    var generator = TorchGenerator()
    generator.manualSeed(42)
    var cases: [Case] = []
    for n in options.quick ? [256] : [256, 512, 1024] {
      let f = try matmulTanh(n)
      let (a, b) = (generator.rand([n, n], dtype: .float32), generator.rand([n, n], dtype: .float32))
      let (ta, tb) = (generator.rand([n, n], dtype: .float32), generator.rand([n, n], dtype: .float32))
      let spec: [(String, JSON)] = [("fn", .string("matmul_tanh")), ("n", .int(Int64(n)))]
      let three = [GEMM(m: n, k: n, n: n, count: 3)]
      cases.append(Case(name: "jvp matmul_tanh \(n)x\(n)", spec: [("kind", .string("jvp"))] + spec, gemms: three) {
        _ = try Autodiff.jvp(f, inputs: [a, b], tangents: [ta, tb])
      })
      let one = Tensor(scalar: 1, dtype: .float32)
      cases.append(Case(name: "vjp matmul_tanh \(n)x\(n)", spec: [("kind", .string("vjp"))] + spec, gemms: three) {
        _ = try Autodiff.vjp(f, inputs: [a, b], cotangents: [one])
      })
    }
    for h in options.quick ? [128] : [128, 512] {
      let columns = 64
      let w1 = generator.randn([h, h], dtype: .float32)
      let w2 = generator.randn([h, h], dtype: .float32)
      let x = generator.randn([h, columns], dtype: .float32)
      let f = try mlp(w1, w2, columns: columns)
      // Forward: two h x h x 64 products; reverse-vectorized over the 64 outputs: two of h x h x 64*64.
      let gemms = [GEMM(m: h, k: h, n: columns, count: 2), GEMM(m: h, k: h, n: columns * columns, count: 2)]
      cases.append(Case(
        name: "jacobian mlp \(h)x\(h) x \(h)x\(columns) reverse-vectorized",
        spec: [("kind", .string("jacobian")), ("fn", .string("mlp")), ("n", .int(Int64(h))), ("columns", .int(Int64(columns))),
               ("strategy", .string("reverse-mode")), ("vectorize", .bool(true))],
        gemms: gemms) {
          _ = try Autodiff.jacobian(f, inputs: [x], strategy: .reverseMode, vectorize: true)
        })
    }
    for n in options.quick ? [128] : [128, 512] {
      let w = generator.randn([n, n], dtype: .float32)
      let x = generator.randn([n], dtype: .float32)
      let f = try quadratic(w)
      for (strategy, label) in [(JacobianStrategy.reverseMode, "reverse-vectorized"), (.forwardMode, "forward-vectorized")] {
        cases.append(Case(
          name: "hessian quadratic \(n) \(label)",
          spec: [("kind", .string("hessian")), ("fn", .string("quadratic")), ("n", .int(Int64(n))),
                 ("strategy", .string(strategy.rawValue)), ("vectorize", .bool(true))],
          gemms: [GEMM(m: n, k: n, n: n, count: 2)]) {
            _ = try Autodiff.hessian(f, inputs: [x], outerStrategy: strategy, vectorize: true)
          })
      }
    }
    for n in options.quick ? [100] : [100, 400, 1000] {
      let f = try EngineSuite.rosenbrock(n)
      let x = generator.rand([n], dtype: .float64)
      cases.append(Case(
        name: "hessian rosenbrock \(n) reverse-vectorized",
        spec: [("kind", .string("hessian")), ("fn", .string("rosenbrock")), ("n", .int(Int64(n))),
               ("strategy", .string("reverse-mode")), ("vectorize", .bool(true))],
        gemms: []) {
          _ = try Autodiff.hessian(f, inputs: [x], outerStrategy: .reverseMode, vectorize: true)
        })
    }
    for n in [64, 256] {
      let f = try softmax(n)
      let x = generator.randn([n], dtype: .float32)
      cases.append(Case(
        name: "jacobian softmax \(n) reverse-vectorized",
        spec: [("kind", .string("jacobian")), ("fn", .string("softmax")), ("n", .int(Int64(n))),
               ("strategy", .string("reverse-mode")), ("vectorize", .bool(true))],
        gemms: []) {
          _ = try Autodiff.jacobian(f, inputs: [x], strategy: .reverseMode, vectorize: true)
        })
    }
    for (dIn, dOut) in [(32, 2048), (2048, 32)] {
      let w = generator.randn([dOut, dIn], dtype: .float32)
      let b = generator.randn([dOut], dtype: .float32)
      let x = generator.randn([dIn], dtype: .float32)
      let f = try predict(w, b)
      for (strategy, label) in [(JacobianStrategy.reverseMode, "jacrev"), (.forwardMode, "jacfwd")] {
        // jacrev multiplies the dOut basis cotangents by W, jacfwd W by the dIn basis tangents.
        cases.append(Case(
          name: "jacobian predict \(dIn)->\(dOut) \(label)",
          spec: [("kind", .string("jacobian")), ("fn", .string("predict")), ("n", .int(Int64(dIn))), ("out", .int(Int64(dOut))),
                 ("strategy", .string(strategy.rawValue)), ("vectorize", .bool(true))],
          gemms: [strategy == .reverseMode ? GEMM(m: dOut, k: dOut, n: dIn, count: 1) : GEMM(m: dIn, k: dIn, n: dOut, count: 1)]) {
            _ = try Autodiff.jacobian(f, inputs: [x], strategy: strategy, vectorize: true)
          })
      }
    }
    return cases
  }

  // MARK: Kernels

  struct KernelRow {
    let n: Int
    let dtype: String
    let timings: [MatrixProducts.Path: Timing]
  }

  static func kernels(_ options: BenchOptions) -> [KernelRow] {
    var generator = TorchGenerator()
    generator.manualSeed(1)
    let sizes = options.quick ? [4, 16, 64, 256] : [2, 4, 8, 12, 16, 24, 32, 48, 64, 128, 256, 512, 1024]
    var rows: [KernelRow] = []
    func row<T: FloatElement>(_ n: Int, _ a: [T], _ b: [T], dtype: String) -> KernelRow {
      let paths = MatrixProducts.Path.allCases.filter { n < 1024 || $0 != .reference }
      let minTime = options.quick ? 0.05 : (n >= 512 ? 1.0 : 0.3)
      let timings = try! Timing.alternate(minTime: minTime, slice: n >= 512 ? 0.05 : 0.01, minReps: 5, paths.map { path in
        { _ = MatrixProducts.multiply(a, b, m: n, k: n, n: n, path: path) }
      })
      return KernelRow(n: n, dtype: dtype, timings: Dictionary(uniqueKeysWithValues: zip(paths, timings)))
    }
    for n in sizes {
      guard case .float32(let a) = generator.rand([n, n], dtype: .float32).storage,
            case .float32(let b) = generator.rand([n, n], dtype: .float32).storage else { continue }
      rows.append(row(n, a, b, dtype: "float32"))
    }
    if !options.quick {
      let n = 512
      guard case .float64(let a) = generator.rand([n, n], dtype: .float64).storage,
            case .float64(let b) = generator.rand([n, n], dtype: .float64).storage else { return rows }
      rows.append(row(n, a, b, dtype: "float64"))
    }
    return rows
  }

  /// The GEMMs of a case, each run by the BLAS on its own threads.
  static func blasOwn(_ gemms: [GEMM]) -> () -> Void {
    let operands = gemms.map { g in
      ([Float](repeating: 0.5, count: g.m * g.k), [Float](repeating: 0.25, count: g.k * g.n))
    }
    return {
      for (g, (a, b)) in zip(gemms, operands) {
        for _ in 0..<g.count { _ = MatrixProducts.multiply(a, b, m: g.m, k: g.k, n: g.n, path: .blasThreads) }
      }
    }
  }

  // MARK: Run

  /// What identifies a case in `--json` output: its name, spec and the flops of its GEMMs.
  static func caseFields(_ c: Case) -> [(String, JSON)] {
    [("case", .string(c.name)), ("spec", .object(c.spec)), ("gemm_flops", .num(c.gemms.map(\.flops).reduce(0, +)))]
  }

  static func run(_ options: BenchOptions) throws {
    let minTime = options.quick ? 0.05 : 0.5
    let kernelRows = options.only == nil ? kernels(options) : []
    var results: [(Case, Timing, Timing?)] = []
    let selected = try cases(options).filter { c in options.only.map { c.name.contains($0) } ?? true }
    for c in selected where !options.kernelsOnly {
      if c.gemms.isEmpty || !MatrixProducts.hasBLAS {
        results.append((c, try Timing.measure(minTime: minTime, c.body), nil))
      } else {
        let timings = try Timing.alternate(minTime: 2 * minTime, slice: 0.05, minReps: 11, [c.body, blasOwn(c.gemms)])
        results.append((c, timings[0], timings[1]))
      }
      if !options.json { FileHandle.standardError.write(Data("  \(c.name): \(formatDuration(results.last!.1.median))\n".utf8)) }
    }
    func gflops(_ flops: Double, _ t: Timing?) -> Double? { t.map { flops / $0.median / 1e9 } }
    if options.json {
      print(JSON.object([
        ("suite", .string("matmul")),
        ("threads", .int(Int64(ProcessInfo.processInfo.activeProcessorCount))),
        ("blas", .string(MatrixProducts.backend)),
        ("blas_crossover_madds", .int(Int64(MatrixProducts.blasCrossover))),
        ("kernels", .array(kernelRows.map { r in
          .object([("n", .int(Int64(r.n))), ("dtype", .string(r.dtype))] + MatrixProducts.Path.allCases.map { p in
            (p.rawValue + "_s", .num(r.timings[p]?.median))
          })
        })),
        ("cases", .array(options.kernelsOnly
          ? selected.map { c in .object(caseFields(c)) }
          : results.map { c, t, blas in
            .object(caseFields(c) + [
              ("median_s", .num(t.median)), ("min_s", .num(t.min)), ("p25_s", .num(t.p25)), ("p75_s", .num(t.p75)),
              ("samples", .int(Int64(t.samples))), ("blas_own_s", .num(blas?.median)),
            ])
          })),
      ]).text)
      return
    }
    print("BLAS: \(MatrixProducts.backend); products below \(MatrixProducts.blasCrossover) multiply-adds use the reference kernel")
    print()
    let header = ["square product", "reference", "engine", "BLAS own threads", "engine GFLOP/s", "BLAS GFLOP/s"]
    print(renderTable(header, kernelRows.map { r in
      let flops = 2 * Double(r.n * r.n * r.n)
      return ["\(r.dtype) \(r.n)"] + [MatrixProducts.Path.reference, .automatic, .blasThreads].map { path in
        r.timings[path].map { formatDuration($0.median) } ?? "–"
      } + [gflops(flops, r.timings[.automatic]), gflops(flops, r.timings[.blasThreads])].map { rate in
        rate.map { String(format: "%.1f", $0) } ?? "–"
      }
    }))
    print()
    print(renderTable(["case", "jvplab", "its GEMMs on the BLAS", "ratio", "achieved GFLOP/s"], results.map { c, t, blas in
      let flops = c.gemms.map(\.flops).reduce(0, +)
      return [c.name, formatDuration(t.median), blas.map { formatDuration($0.median) } ?? "–",
              blas.map { String(format: "%.2f", t.median / $0.median) } ?? "–",
              flops > 0 ? String(format: "%.1f", flops / t.median / 1e9) : "–"]
    }))
  }
}
