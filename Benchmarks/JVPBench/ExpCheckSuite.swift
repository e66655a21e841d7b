import Dispatch
import Foundation
import JVPKernels

/// `jvplab-bench expcheck`: each vector float32 exp kernel this CPU can run against the C library's `expf`, and
/// the tanh kernel against `tanhf`, on every one of the 2^32 float bit patterns (finite, infinite, NaN,
/// subnormal), bit for bit, and the exp kernels timed per element.
enum ExpCheckSuite {
  static func run(_ options: BenchOptions) throws {
    guard GlibcExpf.isAvailable else {
      print("vector exp not available on this CPU: jvplab uses the C library's expf, nothing to check")
      return
    }
    var wrong = 0
    for kernel in GlibcExpf.available {
      wrong += check(kernel.rawValue + " exp", options, reference: expf) { GlibcExpf.apply(kernel, $0, $1, count: $2) }
    }
    for kernel in GlibcTanhf.available {
      wrong += check(kernel.rawValue + " tanh", options, reference: tanhf) { GlibcTanhf.apply(kernel, $0, $1, count: $2) }
    }
    timePerElement()
    if wrong != 0 { throw ExpMismatch(count: wrong) }
  }

  /// Compares a kernel with its C library function on all inputs (a sample with --quick); returns the number
  /// of mismatches.
  static func check(
    _ name: String, _ options: BenchOptions, reference: @escaping @Sendable (Float) -> Float,
    _ kernel: @escaping @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
  ) -> Int {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let chunk = 1 << 20
    let chunks = options.quick ? 256 : (1 << 32) / chunk
    let stride = (1 << 32) / chunks
    final class Tally: @unchecked Sendable {
      let lock = NSLock()
      var mismatches: [(UInt32, UInt32, UInt32)] = []
      var checked = 0
      var wrong = 0
    }
    let tally = Tally()
    let start = DispatchTime.now().uptimeNanoseconds
    DispatchQueue.concurrentPerform(iterations: cores) { worker in
      var src = [Float](repeating: 0, count: chunk)
      var dst = [Float](repeating: 0, count: chunk)
      var local: [(UInt32, UInt32, UInt32)] = []
      var count = 0
      var wrongCount = 0
      for c in Swift.stride(from: worker, to: chunks, by: cores) {
        let base = UInt32(truncatingIfNeeded: c * stride)
        for i in 0..<chunk { src[i] = Float(bitPattern: base &+ UInt32(i)) }
        src.withUnsafeBufferPointer { s in
          dst.withUnsafeMutableBufferPointer { d in kernel(s.baseAddress!, d.baseAddress!, chunk) }
        }
        for i in 0..<chunk {
          let want = reference(src[i]).bitPattern
          if dst[i].bitPattern != want {
            wrongCount += 1
            if local.count < 20 { local.append((src[i].bitPattern, dst[i].bitPattern, want)) }
          }
        }
        count += chunk
      }
      tally.lock.lock()
      tally.mismatches += local
      tally.checked += count
      tally.wrong += wrongCount
      tally.lock.unlock()
    }
    let elapsed = Timing.seconds(since: start)
    let inputs = tally.checked
    let wrong = tally.wrong
    let mismatches = tally.mismatches
    print("\(name): checked \(inputs) float32 inputs (\(options.quick ? "a sample" : "all 2^32 bit patterns")) in \(String(format: "%.1f", elapsed)) s: "
      + (wrong == 0 ? "every result bit-identical to the C library" : "\(wrong) MISMATCHES"))
    for (x, got, want) in mismatches.prefix(10) {
      print(String(format: "  x=%08x got %08x want %08x", x, got, want))
    }
    return wrong
  }

  /// Each kernel and the C library's `expf`, per element on one core.
  static func timePerElement() {
    var generator = SystemRandomNumberGenerator()
    let n = 1 << 16
    let x = (0..<n).map { _ in Float.random(in: -10...10, using: &generator) }
    var y = [Float](repeating: 0, count: n)
    var cells: [String] = []
    for kernel in GlibcExpf.available {
      let vector = Timing.measure(minTime: 0.3) {
        x.withUnsafeBufferPointer { s in y.withUnsafeMutableBufferPointer { d in GlibcExpf.apply(kernel, s.baseAddress!, d.baseAddress!, count: n) } }
      }
      cells.append("\(kernel.rawValue) kernel " + String(format: "%.2f ns", vector.median / Double(n) * 1e9))
    }
    let scalar = Timing.measure(minTime: 0.3) {
      x.withUnsafeBufferPointer { s in y.withUnsafeMutableBufferPointer { d in for i in 0..<n { d[i] = expf(s[i]) } } }
    }
    cells.append(String(format: "C library expf %.2f ns", scalar.median / Double(n) * 1e9))
    print("per element, one core: " + cells.joined(separator: ", "))
  }
}

struct ExpMismatch: Error { let count: Int }
