import Foundation

/// The C library's allocator settings the command-line tools run with (glibc's `mallopt`).
public enum MemoryTuning {
  /// Keeps freed memory up to 64 MiB in the heap and serves blocks under 32 MiB from it.
  ///
  /// With glibc's defaults a call that frees the top of the heap gives those pages back to the kernel,
  /// and the next call faults them in again: a vectorized hessian of Rosenbrock-100, which allocates and
  /// frees a few [100, 100] arrays per call, took 152 µs in a fresh process instead of 42 µs, so the
  /// timings a run stored depended on what the process had allocated before. Raising only the trim
  /// threshold fixes the mmap threshold at 128 KiB, which makes every larger block (a 48x48x48 jacobian)
  /// fault instead; both together keep working memory resident across calls.
  public static func keepWorkingMemoryResident() {
    set(mmapThreshold, 32 << 20)
    set(trimThreshold, 64 << 20)
  }

  /// Serves every block of at least `bytes` by its own mmap, so that freeing it returns it to the kernel
  /// at once (peak-memory measurements).
  public static func mapBlocks(from bytes: Int32) {
    set(mmapThreshold, bytes)
  }

  // malloc.h's M_TRIM_THRESHOLD and M_MMAP_THRESHOLD.
  static let trimThreshold: Int32 = -1
  static let mmapThreshold: Int32 = -3

  /// `mallopt(option, value)`, looked up at run time: malloc.h is not part of Swift's Glibc module, and a
  /// C library without it (musl, macOS) keeps its defaults.
  static func set(_ option: Int32, _ value: Int32) {
    typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
    _ = unsafeBitCast(symbol, to: MallOpt.self)(option, value)
  }
}
