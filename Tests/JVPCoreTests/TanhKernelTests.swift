import Foundation
import JVPKernels
import Testing

/// The vector float32 tanh kernel (Sources/JVPKernels/GlibcTanhf.swift) must return exactly what the C
/// library's `tanhf` returns, as the scalar loop it replaced did: a spread over every exponent, the edges of
/// each branch (|x| at 2^-55, 2^-26, 1, 22 and expm1's reduction thresholds), every tail length and in place.
@Suite struct TanhKernelTests {
  /// Every 4099th bit pattern (both signs, all exponents, NaN payloads, subnormals) and the branch edges.
  static let inputs: [Float] = {
    var values = stride(from: 0, to: 1 << 32, by: 4099).map { Float(bitPattern: UInt32($0)) }
    // Around 2^-55, 2^-26, 0.5 ln2 / 2, 1.5 ln2 / 2, 1, 27 ln2 / 2 and 22, each sign.
    let edges: [UInt32] = [0x2400_0000, 0x3280_0000, 0x3e31_7218, 0x3e85_1592, 0x3f80_0000, 0x4115_b844, 0x41b0_0000]
    for edge in edges {
      for delta in -3...3 {
        let bits = UInt32(Int64(edge) + Int64(delta))
        values += [Float(bitPattern: bits), Float(bitPattern: bits | 0x8000_0000)]
      }
    }
    values += [0, -0, .infinity, -.infinity, .nan, -.nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
    values += (0..<20_000).map { Float($0) * 0.0013 - 13 }
    return values
  }()

  static func kernel(_ source: [Float], _ kernel: GlibcTanhf.Kernel? = nil) -> [UInt32] {
    var outputs = [Float](repeating: .nan, count: source.count)
    source.withUnsafeBufferPointer { src in
      outputs.withUnsafeMutableBufferPointer { dst in
        guard !source.isEmpty else { return }
        if let kernel {
          GlibcTanhf.apply(kernel, src.baseAddress!, dst.baseAddress!, count: source.count)
        } else {
          GlibcTanhf.apply(src.baseAddress!, dst.baseAddress!, count: source.count)
        }
      }
    }
    return outputs.map(\.bitPattern)
  }

  @Test func vectorKernelRunsHere() {
    // Every machine this project targets (x86-64 with AVX2 and glibc) runs the vector kernel.
    #if arch(x86_64) && os(Linux)
    #expect(GlibcTanhf.isAvailable)
    #endif
  }

  @Test func widestKernelRunsWhereTheCPUHasIt() {
    #if arch(x86_64) && os(Linux)
    let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    if flags.contains(" avx512f ") && flags.contains(" avx512dq ") && flags.contains(" avx512bw ") {
      #expect(GlibcTanhf.selected == .avx512)
    }
    #endif
  }

  @Test(arguments: GlibcTanhf.available) func kernelMatchesTheCLibrary(_ kernel: GlibcTanhf.Kernel) {
    let inputs = Self.inputs
    let outputs = Self.kernel(inputs, kernel)
    let mismatches = zip(inputs, outputs).filter { tanhf($0).bitPattern != $1 }
    #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first \(mismatches.prefix(3).map { String($0.0.bitPattern, radix: 16) })")
  }

  @Test(arguments: GlibcTanhf.available) func everyTailLengthMatches(_ kernel: GlibcTanhf.Kernel) {
    let source = (0..<40).map { Float($0) * 0.37 - 7 }
    for count in 0...source.count {
      #expect(Self.kernel(Array(source.prefix(count)), kernel) == source.prefix(count).map { tanhf($0).bitPattern }, "count \(count)")
    }
  }

  @Test func inPlaceMatches() {
    let source = (0..<100).map { Float($0) * 0.37 - 17 }
    var values = source
    values.withUnsafeMutableBufferPointer { buffer in
      GlibcTanhf.apply(UnsafePointer(buffer.baseAddress!), buffer.baseAddress!, count: buffer.count)
    }
    #expect(values.map(\.bitPattern) == source.map { tanhf($0).bitPattern })
  }
}
