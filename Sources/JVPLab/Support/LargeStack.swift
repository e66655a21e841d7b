import Foundation

/// Runs work on a thread with a large stack and waits for it.
///
/// The parser and interpreter are recursive; their depth is bounded (200 nested brackets, 200 nested
/// calls), but the product of the two bounds needs far more than the main thread's 8 MiB. Pages of a
/// thread stack are only committed when touched, so reserving 1 GiB costs nothing for ordinary scripts.
enum LargeStack {
  static let size = 1 << 30

  static func run<T>(_ work: @escaping () -> T) -> T {
    let task = Task(work)
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      task.run()
      done.signal()
    }
    thread.stackSize = size
    thread.start()
    done.wait()
    guard let result = task.result else { preconditionFailure("the worker thread finished without a result") }
    return result
  }

  /// The work and its result, handed to the worker thread. Safe because the caller blocks until the
  /// worker has finished, so the two threads never touch it at the same time.
  ///
  /// The work is dropped as soon as it has run: the thread object can outlive the call, and whatever the
  /// work captured (an open database) must be released when the caller is done, not at process exit.
  private final class Task<T>: @unchecked Sendable {
    private var work: (() -> T)?
    var result: T?

    init(_ work: @escaping () -> T) { self.work = work }

    func run() {
      result = work?()
      work = nil
    }
  }
}
