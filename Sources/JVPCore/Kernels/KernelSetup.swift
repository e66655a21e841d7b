import JVPKernels

/// Process-wide choices the kernels make once, on first use.
enum KernelSetup {
  /// Makes them now: the exp kernel's self-check (about a millisecond) and the core count, so that no
  /// timed phase of the first experiment in a process pays for them.
  static func prepare() {
    _ = GlibcExpf.isAvailable
    _ = Parallel.cores
  }
}
