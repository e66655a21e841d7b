import Dispatch
import JVPKernels

/// Process-wide choices the kernels make once, on first use.
public enum KernelSetup {
  /// Makes them now: the exp kernel's self-check (about a millisecond) and the core count, so that no
  /// timed phase of the first experiment in a process pays for them.
  static func prepare() {
    _ = GlibcExpf.isAvailable
    _ = Parallel.cores
  }

  /// Starts `prepare`, and the tanh kernel's self-check, on another thread: a command about to run
  /// experiments overlaps them with its own start-up (reading and parsing a script, opening the store), and
  /// its first autodiff call, often inside the script's loop, waits for a check only if it has not finished.
  public static func prepareInBackground() {
    DispatchQueue.global(qos: .userInitiated).async {
      prepare()
      _ = GlibcTanhf.isAvailable
    }
  }
}
