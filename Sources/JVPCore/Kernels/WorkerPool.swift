import Dispatch
import Foundation
import Synchronization

/// Threads that stay ready for the next parallel loop, so splitting a loop of a few dozen microseconds
/// across cores pays off.
///
/// Handing a chunk to a sleeping thread costs a wake-up of tens of microseconds on a virtual machine,
/// about what a 512x512 jvp takes on one core. A worker that has just finished a chunk therefore
/// keeps polling for the next job for a short while (`spinTime`) before it sleeps, as OpenMP runtimes
/// do; back-to-back loops (a fused pass after an exp, repeated calls) then start on all cores at once.
/// The caller always works on chunks too, so a job finishes even if no worker wakes up in time.
final class WorkerPool: @unchecked Sendable {
  /// One worker per core besides the caller's.
  static let shared = WorkerPool(workers: Parallel.cores - 1)
  /// How long a worker polls for new work before it sleeps.
  static let spinTime: UInt64 = 200_000

  /// One parallel loop: chunks are claimed by index until none are left.
  final class Job: @unchecked Sendable {
    /// The caller's loop body; cleared when the job is done, because a worker may still hold the job then
    /// (only to find no chunk left) and the body must not outlive the caller's `run`.
    var body: ((Int) -> Void)?
    let chunks: Int
    let next = Atomic<Int>(0)
    let unfinished: Atomic<Int>

    init(chunks: Int, body: @escaping (Int) -> Void) {
      self.body = body
      self.chunks = chunks
      unfinished = Atomic(chunks)
    }

    /// Runs chunks until every one has been claimed.
    func work() {
      while true {
        let chunk = next.add(1, ordering: .relaxed).oldValue
        guard chunk < chunks else { return }
        body!(chunk)
        unfinished.subtract(1, ordering: .releasing)
      }
    }
  }

  private let workers: Int
  /// Bumped for every job; workers compare it with the last one they saw.
  private let generation = Atomic<Int>(0)
  /// Bumped by `rest`; a polling worker that sees it change sleeps at once.
  private let restRequests = Atomic<Int>(0)
  private let inUse = Atomic<Bool>(false)
  private let sleeping = Atomic<Int>(0)
  private let wakeUp = DispatchSemaphore(value: 0)
  private let lock = NSLock()
  private var current: Job?
  private var started = false

  private init(workers: Int) {
    self.workers = workers
  }

  /// Runs `body(0..<chunks)` on the workers and the calling thread and returns when all are done; false
  /// (and nothing run) when the pool is busy with another caller's loop, or has no workers.
  func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
    guard workers > 0, inUse.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
      return false
    }
    defer { inUse.store(false, ordering: .releasing) }
    startWorkers()
    withoutActuallyEscaping(body) { body in
      let job = Job(chunks: chunks, body: body)
      lock.withLock { current = job }
      generation.add(1, ordering: .sequentiallyConsistent)
      for _ in 0..<min(sleeping.load(ordering: .sequentiallyConsistent), chunks - 1) { wakeUp.signal() }
      job.work()
      while job.unfinished.load(ordering: .acquiring) > 0 {}
      lock.withLock { current = nil }
      job.body = nil
    }
    return true
  }

  /// Sends polling workers to sleep now instead of after `spinTime`, so threads that are about to run
  /// (the BLAS's own) get the cores; the next `run` wakes them as usual.
  func rest() {
    restRequests.add(1, ordering: .relaxed)
  }

  private func startWorkers() {
    guard !started else { return }
    started = true
    for _ in 0..<workers {
      let thread = Thread { [self] in workerLoop() }
      thread.name = "jvplab-worker"
      thread.start()
    }
  }

  private func workerLoop() {
    var seen = generation.load(ordering: .acquiring)
    // Rest requests made before the worker took its last job are stale; later ones send it to sleep.
    var rests = restRequests.load(ordering: .relaxed)
    while true {
      var idleSince = DispatchTime.now().uptimeNanoseconds
      var polls = 0
      while generation.load(ordering: .acquiring) == seen {
        polls += 1
        guard polls % 64 == 0 else { continue }
        let restNow = restRequests.load(ordering: .relaxed) != rests
        guard restNow || DispatchTime.now().uptimeNanoseconds - idleSince > Self.spinTime else { continue }
        // Sleep; re-check after announcing it, so a job published meanwhile is not slept through.
        sleeping.add(1, ordering: .sequentiallyConsistent)
        if generation.load(ordering: .sequentiallyConsistent) == seen { wakeUp.wait() }
        sleeping.subtract(1, ordering: .sequentiallyConsistent)
        idleSince = DispatchTime.now().uptimeNanoseconds
        rests = restRequests.load(ordering: .relaxed)
      }
      seen = generation.load(ordering: .acquiring)
      rests = restRequests.load(ordering: .relaxed)
      // A job already finished by the caller is gone (nil) or fully claimed: either way nothing runs.
      if let job = lock.withLock({ current }) { job.work() }
    }
  }
}
