#if canImport(COpenBLAS)
import COpenBLAS
#endif
import Foundation

/// The BLAS behind large matrix products: Debian's OpenBLAS (`libopenblas-dev`), opened at first use.
///
/// OpenBLAS picks its kernel in a constructor that runs when the library loads, from `OPENBLAS_CORETYPE` or
/// its own CPU detection, and 0.3.21 misdetects recent Intel CPUs (AVX-512 FP16) as Prescott, a third of the
/// speed. So nothing links against it: `load` sets the core type for this CPU first (unless the user set
/// one), then `dlopen`s the library with one thread. The engine's `WorkerPool` splits products across cores
/// itself, so BLAS threads never compete with the engine's. Without the library, products run natively.
enum BLAS {
  /// The entry points used, resolved from the opened library.
  struct Library: @unchecked Sendable {
    #if canImport(COpenBLAS)
    let sgemm: jvp_sgemm_fn
    let dgemm: jvp_dgemm_fn
    let setThreads: jvp_set_threads_fn?
    #endif
    /// What ran, e.g. "OpenBLAS 0.3.21 (Haswell kernel, core type set by jvplab)".
    let description: String
  }

  /// The opened library, or nil when it is not installed (products then use the native kernel).
  static let library: Library? = load()

  /// Which BLAS and kernel large products use, for benchmark reports and `jvplab` diagnostics.
  static var description: String { library?.description ?? "none (native kernel only)" }

  /// The core type OpenBLAS should use on this CPU, or nil to let it detect one: SkylakeX kernels on any
  /// CPU with AVX-512 F/DQ/CD/BW/VL, which OpenBLAS 0.3.21 misses on CPUs newer than it.
  static func coreType(cpuFlags: Set<String>) -> String? {
    cpuFlags.isSuperset(of: ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"]) ? "SkylakeX" : nil
  }

  private static func load() -> Library? {
    #if canImport(COpenBLAS) && os(Linux)
    let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))
      .flatMap { $0.split(separator: "\n").first { $0.hasPrefix("flags") } }
      .map { Set($0.split(separator: " ").map(String.init)) } ?? []
    let userCoreType = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
    let chosen = userCoreType == nil ? coreType(cpuFlags: flags) : nil
    let userThreads = getenv("OPENBLAS_NUM_THREADS").map { String(cString: $0) }
    // Read by OpenBLAS's load-time constructor only; restored right after, so child processes see the user's.
    if let chosen { setenv("OPENBLAS_CORETYPE", chosen, 1) }
    setenv("OPENBLAS_NUM_THREADS", "1", 1)
    // Idle BLAS threads (only `MatrixProducts.Path.blasThreads` starts any) sleep at once instead of spinning.
    let userTimeout = getenv("OPENBLAS_THREAD_TIMEOUT").map { String(cString: $0) }
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1)
    defer {
      if let userTimeout { setenv("OPENBLAS_THREAD_TIMEOUT", userTimeout, 1) } else { unsetenv("OPENBLAS_THREAD_TIMEOUT") }
      if chosen != nil { unsetenv("OPENBLAS_CORETYPE") }
      if let userThreads { setenv("OPENBLAS_NUM_THREADS", userThreads, 1) } else { unsetenv("OPENBLAS_NUM_THREADS") }
    }
    guard let handle = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL),
          let sgemm = dlsym(handle, "cblas_sgemm"), let dgemm = dlsym(handle, "cblas_dgemm") else { return nil }
    let setThreads = dlsym(handle, "openblas_set_num_threads").map { unsafeBitCast($0, to: jvp_set_threads_fn.self) }
    setThreads?(1)
    func text(_ symbol: String) -> String? {
      dlsym(handle, symbol).flatMap { unsafeBitCast($0, to: jvp_get_name_fn.self)() }.map { String(cString: $0) }
    }
    let version = text("openblas_get_config")?.split(separator: " ").prefix(2).joined(separator: " ") ?? "OpenBLAS"
    let core = text("openblas_get_corename") ?? "unknown"
    let origin = chosen != nil ? "core type set by jvplab" : userCoreType != nil ? "OPENBLAS_CORETYPE from the environment" : "detected by OpenBLAS"
    return Library(
      sgemm: unsafeBitCast(sgemm, to: jvp_sgemm_fn.self), dgemm: unsafeBitCast(dgemm, to: jvp_dgemm_fn.self), setThreads: setThreads,
      description: "\(version) (\(core) kernel, \(origin); one BLAS thread, split across \(Parallel.cores) cores by the engine)")
    #else
    return nil
    #endif
  }

  /// Runs `body` with the BLAS's own threads (`count` of them) instead of one, for benchmarks that compare
  /// the engine's split with the library's; callers serialise these calls.
  static func withLibraryThreads<R>(_ count: Int, _ body: () -> R) -> R {
    #if canImport(COpenBLAS)
    library?.setThreads?(Int32(count))
    defer { library?.setThreads?(1) }
    #endif
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
    #if canImport(COpenBLAS)
    guard let library else { preconditionFailure("BLAS.gemm needs a loaded library") }
    let ta = transposeA ? CblasTrans : CblasNoTrans
    let tb = transposeB ? CblasTrans : CblasNoTrans
    let (m32, n32, k32) = (Int32(m), Int32(n), Int32(k))
    if T.self == Float.self {
      library.sgemm(
        CblasRowMajor, ta, tb, m32, n32, k32, 1, UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), Int32(lda),
        UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), Int32(ldb), 0,
        UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), Int32(ldc))
    } else {
      library.dgemm(
        CblasRowMajor, ta, tb, m32, n32, k32, 1, UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), Int32(lda),
        UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), Int32(ldb), 0,
        UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), Int32(ldc))
    }
    #else
    preconditionFailure("BLAS.gemm needs a loaded library")
    #endif
  }
}
