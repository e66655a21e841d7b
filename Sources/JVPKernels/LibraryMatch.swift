import Foundation

/// The self-check a vector kernel passes before it is used: 65536 inputs spread over every exponent of both
/// signs must come out bit for bit what the C library's function returns. A different libm turns it off.
enum LibraryMatch {
  static func holds(
    _ reference: (Float) -> Float, _ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void
  ) -> Bool {
    let n = 1 << 16
    let inputs = (0..<n).map { i in Float(bitPattern: UInt32(truncatingIfNeeded: i &* 65_537 &+ 0x1234)) }
    var outputs = [Float](repeating: 0, count: n)
    inputs.withUnsafeBufferPointer { src in
      outputs.withUnsafeMutableBufferPointer { dst in kernel(src.baseAddress!, dst.baseAddress!, n) }
    }
    return zip(inputs, outputs).allSatisfy { reference($0).bitPattern == $1.bitPattern }
  }
}
