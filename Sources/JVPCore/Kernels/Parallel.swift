import Dispatch
import Foundation

/// Splits large element loops across the machine's cores; small ones run inline.
enum Parallel {
  /// Below this many elements a loop runs on the calling thread: the hand-off costs more than it saves.
  static let grain = 1 << 16
  static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

  /// Calls `body` on disjoint ranges covering `0..<count`, concurrently when `count` is large.
  @inline(__always)
  static func forRanges(_ count: Int, grain: Int = Parallel.grain, _ body: (Range<Int>) -> Void) {
    let chunks = min(cores, count / grain)
    if chunks <= 1 {
      body(0..<count)
      return
    }
    let size = (count + chunks - 1) / chunks
    let chunk = { (chunk: Int) in body(chunk * size..<min(count, chunk * size + size)) }
    if WorkerPool.shared.run(chunks: chunks, chunk) { return }
    // The pool is busy (another thread's loop, or a loop inside a loop): Dispatch's threads take it.
    withoutActuallyEscaping(chunk) { chunk in
      let task = UncheckedSendable(chunk)
      DispatchQueue.concurrentPerform(iterations: chunks) { task.value($0) }
    }
  }
}

/// Hands a kernel's loop body to worker threads. Safe because each worker writes a disjoint range
/// and `concurrentPerform` returns only after every worker has finished.
private struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
