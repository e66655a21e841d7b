import Dispatch
import Synchronization
import Testing

@testable import JVPCore

/// `Parallel.forRanges` hands chunks to the spinning worker pool, or to Dispatch when the pool is busy.
/// Either way every index must be visited exactly once, whoever calls and however calls nest.
@Suite struct ParallelTests {
  /// Visits `0..<count` through `forRanges` and returns how often each index was seen.
  static func visits(_ count: Int, grain: Int) -> [Int] {
    let seen = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
    seen.initialize(repeating: 0)
    defer { seen.deallocate() }
    nonisolated(unsafe) let base = seen.baseAddress!
    Parallel.forRanges(count, grain: grain) { range in
      for i in range { base[i] += 1 }
    }
    return Array(seen)
  }

  @Test(arguments: [(0, 1), (1, 1), (7, 2), (1 << 17, Parallel.grain), (1 << 17 | 5, Parallel.grain), (1000, 1)])
  func everyIndexOnce(_ count: Int, _ grain: Int) {
    #expect(Self.visits(count, grain: grain) == [Int](repeating: 1, count: count))
  }

  @Test func manyCallersAtOnce() {
    let failures = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: 8) { caller in
      for round in 0..<50 {
        let count = 1000 + caller * 37 + round
        if Self.visits(count, grain: 16) != [Int](repeating: 1, count: count) { failures.add(1, ordering: .relaxed) }
      }
    }
    #expect(failures.load(ordering: .relaxed) == 0)
  }

  @Test func loopsInsideLoops() {
    let total = Atomic<Int>(0)
    Parallel.forRanges(64, grain: 1) { outer in
      for _ in outer {
        let inner = Self.visits(500, grain: 10)
        total.add(inner.reduce(0, +), ordering: .relaxed)
      }
    }
    #expect(total.load(ordering: .relaxed) == 64 * 500)
  }
}
