import Foundation

/// The BLAS behind large matrix products: Debian's OpenBLAS (`libopenblas0`), opened at first use.
///
/// OpenBLAS picks its kernel in a constructor that runs when the library loads, from `OPENBLAS_CORETYPE` or
/// its own CPU detection, and 0.3.21 misdetects recent Intel CPUs (AVX-512 FP16) as Prescott, a third of the
/// speed. So nothing links against it (not even through a header module: SwiftPM would add pkg-config's
/// `-lopenblas`, the library would load before `main` and ignore the core type): `load` sets the core type
/// for this CPU first (unless the user set one), then `dlopen`s the library and resolves the CBLAS functions
/// with the C types declared here. The engine's `WorkerPool` splits products across cores itself, one BLAS
/// thread per worker; `withThreads` keeps that apart from the library's own threads (benchmarks compare them).
/// Without the library, products run natively.
enum BLAS {
  /// CBLAS's `enum CBLAS_ORDER` and `enum CBLAS_TRANSPOSE` values (cblas.h).
  static let rowMajor: Int32 = 101
  static let noTranspose: Int32 = 111
  static let transpose: Int32 = 112

  /// `cblas_sgemm` and `cblas_dgemm` (order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), with
  /// the 32-bit `blasint` of `libopenblas.so.0` (the 64-bit build is a separate library, `libopenblas64.so.0`).
  typealias SGEMM = @convention(c) (
    Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, Float,
    UnsafeMutablePointer<Float>?, Int32) -> Void
  typealias DGEMM = @convention(c) (
    Int32, Int32, Int32, Int32, Int32, Int32, Double, UnsafePointer<Double>?, Int32, UnsafePointer<Double>?, Int32,
    Double, UnsafeMutablePointer<Double>?, Int32) -> Void
  /// `openblas_set_num_threads(int)`.
  typealias SetThreads = @convention(c) (Int32) -> Void
  /// `openblas_get_config()`, `openblas_get_corename()`.
  typealias Name = @convention(c) () -> UnsafePointer<CChar>?

  /// The entry points used, resolved from the opened library.
  struct Library: @unchecked Sendable {
    let sgemm: SGEMM
    let dgemm: DGEMM
    let setThreads: SetThreads?
    /// The kernel OpenBLAS runs (`openblas_get_corename`), e.g. "Haswell".
    let coreName: String
    /// The core type jvplab asked for, nil when OpenBLAS detected one or the user set `OPENBLAS_CORETYPE`.
    let requestedCoreType: String?
    /// What ran, e.g. "OpenBLAS 0.3.21 (Haswell kernel, core type set by jvplab; ...)".
    let description: String
  }

  /// The opened library, or nil when it is not installed (products then use the native kernel).
  static let library: Library? = load()

  /// Which BLAS and kernel large products use, for benchmark reports and `jvplab` diagnostics.
  static var description: String { library?.description ?? "none (native kernel only)" }

  /// The core type OpenBLAS should use on this CPU, or nil to let it detect one. CPUs with AVX-512
  /// F/DQ/CD/BW/VL get the SkylakeX kernels, which OpenBLAS 0.3.21 misses on Intel CPUs newer than it (it
  /// detects Prescott, a third of the speed). AMD CPUs with AVX2 but no AVX-512 (Zen 1-3) get the Haswell
  /// kernels, 1.15-1.45x faster there than OpenBLAS's own `Zen` choice (docs/matrix-products.md).
  static func coreType(cpuFlags: Set<String>, vendor: String) -> String? {
    if cpuFlags.isSuperset(of: ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"]) { return "SkylakeX" }
    return vendor == "AuthenticAMD" && cpuFlags.isSuperset(of: ["avx2", "fma"]) ? "Haswell" : nil
  }

  /// The `flags` and `vendor_id` lines of /proc/cpuinfo's first processor.
  static func cpuInfo() -> (flags: Set<String>, vendor: String) {
    let lines = ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "").split(separator: "\n")
    func value(_ key: String) -> Substring? {
      lines.first { $0.hasPrefix(key) }.flatMap { $0.split(separator: ":", maxSplits: 1).last }
    }
    let flags = Set((value("flags") ?? "").split(separator: " ").map(String.init))
    return (flags, (value("vendor_id") ?? "").trimmingCharacters(in: .whitespaces))
  }

  private static func load() -> Library? {
    #if os(Linux)
    let cpu = cpuInfo()
    let userCoreType = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
    let chosen = userCoreType == nil ? coreType(cpuFlags: cpu.flags, vendor: cpu.vendor) : nil
    let userThreads = getenv("OPENBLAS_NUM_THREADS").map { String(cString: $0) }
    // Read by OpenBLAS's load-time constructor only; restored right after, so child processes see the user's.
    if let chosen { setenv("OPENBLAS_CORETYPE", chosen, 1) }
    setenv("OPENBLAS_NUM_THREADS", "1", 1)
    // Idle BLAS threads sleep at once instead of spinning for 2^28 cycles, which would take the cores from the
    // engine's next loop.
    let userTimeout = getenv("OPENBLAS_THREAD_TIMEOUT").map { String(cString: $0) }
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1)
    defer {
      if let userTimeout { setenv("OPENBLAS_THREAD_TIMEOUT", userTimeout, 1) } else { unsetenv("OPENBLAS_THREAD_TIMEOUT") }
      if chosen != nil { unsetenv("OPENBLAS_CORETYPE") }
      if let userThreads { setenv("OPENBLAS_NUM_THREADS", userThreads, 1) } else { unsetenv("OPENBLAS_NUM_THREADS") }
    }
    guard let handle = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL),
          let sgemm = dlsym(handle, "cblas_sgemm"), let dgemm = dlsym(handle, "cblas_dgemm") else { return nil }
    let setThreads = dlsym(handle, "openblas_set_num_threads").map { unsafeBitCast($0, to: SetThreads.self) }
    setThreads?(1)
    func text(_ symbol: String) -> String? {
      dlsym(handle, symbol).flatMap { unsafeBitCast($0, to: Name.self)() }.map { String(cString: $0) }
    }
    let version = text("openblas_get_config")?.split(separator: " ").prefix(2).joined(separator: " ") ?? "OpenBLAS"
    let core = text("openblas_get_corename") ?? "unknown"
    let origin = chosen != nil ? "core type set by jvplab" : userCoreType != nil ? "OPENBLAS_CORETYPE from the environment" : "detected by OpenBLAS"
    return Library(
      sgemm: unsafeBitCast(sgemm, to: SGEMM.self), dgemm: unsafeBitCast(dgemm, to: DGEMM.self), setThreads: setThreads,
      coreName: core, requestedCoreType: chosen,
      description: "\(version) (\(core) kernel, \(origin); one BLAS thread per engine worker, \(Parallel.cores) cores)")
    #else
    return nil
    #endif
  }

  /// Serialises BLAS work, so that every call runs with the thread count its caller chose (OpenBLAS's count
  /// is one process-wide setting, and its results depend on it).
  private static let lock = NSLock()
  /// The thread count last given to the library; read and written under `lock`.
  nonisolated(unsafe) private static var threads = 1

  /// Runs `body`, whose BLAS calls then use `count` of the library's own threads: `1` for the engine's calls
  /// (spread over its `WorkerPool`), `Parallel.cores` for benchmarks of the library's own rate. Before a
  /// multi-threaded call the pool's polling workers are sent to sleep, so BLAS threads and engine workers
  /// never share a core.
  static func withThreads<R>(_ count: Int, _ body: () -> R) -> R {
    lock.lock()
    defer { lock.unlock() }
    if count != threads, let setThreads = library?.setThreads {
      setThreads(Int32(count))
      threads = count
    }
    if count > 1 { WorkerPool.shared.rest() }
    return body()
  }

  /// Whether a product with these sizes (and strides no larger) fits BLAS's 32-bit integer arguments.
  static func fits(_ sizes: Int...) -> Bool { sizes.allSatisfy { $0 <= Int(Int32.max) } }

  /// `c = op(a) op(b)` for row-major `op(a)` of m x k and `op(b)` of k x n, where `op` transposes when the flag
  /// says so (a transposed operand is stored k x m, resp. n x k); `c` is m x n with row stride `ldc`.
  /// Call only when `library` is loaded and every size fits BLAS's 32-bit ints (`fits`).
  @inline(__always)
  static func gemm<T: FloatElement>(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int, _ c: UnsafeMutablePointer<T>, ldc: Int
  ) {
    guard let library else { preconditionFailure("BLAS.gemm needs a loaded library") }
    let ta = transposeA ? transpose : noTranspose
    let tb = transposeB ? transpose : noTranspose
    let (m32, n32, k32) = (Int32(m), Int32(n), Int32(k))
    if T.self == Float.self {
      library.sgemm(
        rowMajor, ta, tb, m32, n32, k32, 1, UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), Int32(lda),
        UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), Int32(ldb), 0,
        UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), Int32(ldc))
    } else {
      library.dgemm(
        rowMajor, ta, tb, m32, n32, k32, 1, UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), Int32(lda),
        UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), Int32(ldb), 0,
        UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), Int32(ldc))
    }
  }
}
