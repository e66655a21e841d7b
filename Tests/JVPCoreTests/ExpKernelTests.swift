import Foundation
import JVPKernels
import Testing

/// The vector float32 exp kernels (Sources/JVPKernels, Sources/JVPKernelsAVX512) must return exactly what
/// the C library's `expf` returns, so printed values never depend on the CPU. `jvplab-bench expcheck` covers
/// all 2^32 inputs; this test covers a spread over every exponent plus the edges of the fast path, on each
/// kernel this CPU can run, with lengths that leave every possible remainder after the vector loop.
@Suite struct ExpKernelTests {
  /// Every 4099th bit pattern (both signs, all exponents, NaN payloads, subnormals) and the edges.
  static let inputs: [Float] = {
    var values = stride(from: 0, to: 1 << 32, by: 4099).map { Float(bitPattern: UInt32($0)) }
    let edges: [UInt32] = [0x42af_ffff, 0x42b0_0000, 0x42b0_0001, 0xc2af_ffff, 0xc2b0_0000, 0xc2d0_0000, 0x42b1_7218,
                           0x42b1_7217, 0xc2ce_8ed0, 0xc2ce_8ecf, 0x0000_0001, 0x8000_0001, 0x3380_0000, 0xb380_0000]
    values += edges.map { Float(bitPattern: $0) }
    values += [0, -0, .infinity, -.infinity, .nan, -.nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
    return values
  }()

  @Test(arguments: GlibcExpf.available)
  func kernelMatchesTheCLibrary(_ kernel: GlibcExpf.Kernel) {
    let inputs = Self.inputs
    var outputs = [Float](repeating: 0, count: inputs.count)
    inputs.withUnsafeBufferPointer { src in
      outputs.withUnsafeMutableBufferPointer { dst in kernel.apply(src.baseAddress!, dst.baseAddress!, count: inputs.count) }
    }
    let mismatches = zip(inputs, outputs).filter { expf($0).bitPattern != $1.bitPattern }
    #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first \(mismatches.prefix(3).map { String($0.0.bitPattern, radix: 16) })")
  }

  @Test(arguments: GlibcExpf.available)
  func everyTailLengthMatches(_ kernel: GlibcExpf.Kernel) {
    let source = (0..<40).map { Float($0) * 0.37 - 7 }
    for count in 0...source.count {
      var outputs = [Float](repeating: .nan, count: count)
      source.withUnsafeBufferPointer { src in
        outputs.withUnsafeMutableBufferPointer { dst in
          if count > 0 { kernel.apply(src.baseAddress!, dst.baseAddress!, count: count) }
        }
      }
      #expect(outputs.map(\.bitPattern) == source.prefix(count).map { expf($0).bitPattern }, "count \(count)")
    }
  }
}

extension GlibcExpf.Kernel {
  func apply(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    GlibcExpf.apply(self, src, dst, count: count)
  }
}
