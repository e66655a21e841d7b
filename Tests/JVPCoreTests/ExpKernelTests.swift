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

  /// In place (`dst == src`), as `apply` allows: the pipelined loop loads each block before it stores any
  /// block at or after it.
  @Test(arguments: GlibcExpf.available)
  func inPlaceMatches(_ kernel: GlibcExpf.Kernel) {
    let source = (0..<100).map { Float($0) * 0.37 - 17 }
    for count in [1, 15, 16, 17, 31, 32, 33, 47, 48, 49, 64, 100] {
      var values = Array(source.prefix(count))
      values.withUnsafeMutableBufferPointer { buffer in
        kernel.apply(UnsafePointer(buffer.baseAddress!), buffer.baseAddress!, count: count)
      }
      #expect(values.map(\.bitPattern) == source.prefix(count).map { expf($0).bitPattern }, "count \(count)")
    }
  }

  /// `accumulate` one block at a time from zero sums, the second weighted by ones: each lane of that sum
  /// is then exactly the lane's exp, so every input (special ones too) must come out as `expf` gives it.
  @Test(arguments: GlibcExpf.available)
  func accumulatedExpsMatchTheCLibrary(_ kernel: GlibcExpf.Kernel) {
    let inputs = Self.inputs
    let weights = [Float](repeating: 2, count: 16)
    let ones = [Float](repeating: 1, count: 16)
    var mismatches = 0
    var sums = [SIMD16<Float>](repeating: .zero, count: 2)
    for start in stride(from: 0, to: inputs.count - 15, by: 16) {
      sums = [.zero, .zero]
      let used = inputs.withUnsafeBufferPointer { x in
        sums.withUnsafeMutableBufferPointer { acc in
          GlibcExpf.accumulate(kernel, x.baseAddress! + start, count: 16, weights, mask: -1, ones, mask: 0, acc.baseAddress!)
        }
      }
      #expect(used == 16)
      for lane in 0..<16 {
        let want = expf(inputs[start + lane])
        if sums[1][lane].bitPattern != want.bitPattern || sums[0][lane].bitPattern != (0 + want * 2).bitPattern {
          mismatches += 1
        }
      }
    }
    #expect(mismatches == 0)
  }

  /// Over many blocks, each lane adds its terms in order, each product rounded on its own; the elements
  /// after the last whole block are left to the caller.
  @Test(arguments: GlibcExpf.available)
  func accumulationAddsEachLanesTermsInOrder(_ kernel: GlibcExpf.Kernel) {
    let count = 40 * 16 + 5
    let x = (0..<count).map { Float($0 % 97) * 0.41 - 20 }
    let w = (0..<count).map { Float($0 % 13) * 0.7 - 3 }
    let ones = [Float](repeating: 1, count: 16)
    var sums = [SIMD16<Float>](repeating: SIMD16(repeating: 0.5), count: 2)
    let used = x.withUnsafeBufferPointer { px in
      sums.withUnsafeMutableBufferPointer { acc in
        GlibcExpf.accumulate(kernel, px.baseAddress!, count: count, w, mask: -1, ones, mask: 0, acc.baseAddress!)
      }
    }
    #expect(used == 40 * 16)
    for lane in 0..<16 {
      var (weighted, plain): (Float, Float) = (0.5, 0.5)
      for block in 0..<40 {
        let i = block * 16 + lane
        let y = expf(x[i])
        let product = y * w[i]
        weighted += product
        plain += y
      }
      #expect(sums[0][lane].bitPattern == weighted.bitPattern, "lane \(lane)")
      #expect(sums[1][lane].bitPattern == plain.bitPattern, "lane \(lane)")
    }
  }
}

extension GlibcExpf.Kernel {
  func apply(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    GlibcExpf.apply(self, src, dst, count: count)
  }
}
