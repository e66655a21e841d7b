import Foundation
#if arch(x86_64)
import JVPKernelsAVX512
import _Builtin_intrinsics.intel.cpuid
#endif

/// `expf` over a buffer with vector instructions, bit for bit what glibc's `expf` returns on this machine.
///
/// glibc (2.27 and later) computes `expf` in double precision: x·32/ln2 = k + r, 2^(k/32) from a 32-entry
/// table, 2^(r/32) from a cubic. On x86-64 CPUs with FMA and AVX2 it runs a build of that code where the
/// compiler fused five multiply-adds; the kernels here perform the same operations, fused the same way, on
/// SIMD vectors, so every result is the same float (checked over all 2^32 inputs by `jvplab-bench expcheck`).
/// Both put glibc's special cases in with blends (+inf, +0, NaN), so their loops make no calls.
///
/// Two kernels: AVX-512 (sixteen lanes, table lookups by register permutes, in `JVPKernelsAVX512`) and AVX2
/// (sixteen lanes as four quarters, table read lane by lane, this module, compiled for x86-64-v3: -target-cpu
/// haswell). `apply` and `accumulate` run the widest one the CPU has; call them only when `isAvailable` says
/// there is one.
public enum GlibcExpf {
  /// The instruction set a vector kernel is compiled for (tanh's kernels use the same: `GlibcTanhf.Kernel`).
  public enum Kernel: String, CaseIterable, Sendable {
    case avx512 = "AVX-512"
    case avx2 = "AVX2"
  }

  /// The kernels this CPU can run whose results match its C library bit for bit, widest first.
  public static let available: [Kernel] = runnable.filter(agreesWithLibrary)

  /// The kernels this CPU can run, widest first.
  static var runnable: [Kernel] {
    guard runsAVX2 else { return [] }
    return runsAVX512 ? [.avx512, .avx2] : [.avx2]
  }

  /// The CPU's flags in /proc/cpuinfo: what the OS saves and restores. CPUID says what the processor (or an
  /// emulator such as valgrind, which has no AVX-512) executes. A kernel needs both.
  static let cpuFlags: Set<String> = {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
    return Set(flags.split(separator: " ").map(String.init))
  }()

  /// Whether this machine runs code compiled for x86-64-v3 (AVX2 and FMA): this module's kernels.
  static let runsAVX2: Bool = {
    #if arch(x86_64) && os(Linux)
    return cpuFlags.isSuperset(of: ["avx2", "fma"]) && CPUID.hasAVX2AndFMA
    #else
    return false
    #endif
  }()

  /// Whether it runs code compiled for skylake-avx512, which assumes AVX-512 F, DQ, BW, VL and CD.
  static let runsAVX512: Bool = {
    #if arch(x86_64) && os(Linux)
    return cpuFlags.isSuperset(of: ["avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512cd"]) && CPUID.hasAVX512
    #else
    return false
    #endif
  }()

  /// The kernel `apply` runs: the widest that matches the C library, checked widest first and no further
  /// than the first that does (each check is about a millisecond of `expf` calls).
  public static let selected: Kernel? = runnable.first(where: agreesWithLibrary)

  /// Whether a vector kernel can run here and matches the C library bit for bit.
  public static var isAvailable: Bool { selected != nil }

  /// Whether this C library's `expf` is the algorithm reproduced here: 65536 inputs spread over every
  /// exponent (both signs) must come out bit for bit equal. A different libm turns the kernels off.
  static func agreesWithLibrary(_ kernel: Kernel) -> Bool {
    LibraryMatch.holds(expf) { apply(kernel, $0, $1, count: $2) }
  }

  // glibc's __exp2f_data, as in sysdeps/ieee754/flt-32/e_exp2f_data.c (and read back from libm.so.6).
  @usableFromInline static let table: [UInt64] = [
    0x3ff0_0000_0000_0000, 0x3fef_d9b0_d315_8574, 0x3fef_b558_6cf9_890f, 0x3fef_9301_d012_5b51,
    0x3fef_72b8_3c7d_517b, 0x3fef_5487_3168_b9aa, 0x3fef_387a_6e75_6238, 0x3fef_1e9d_f51f_dee1,
    0x3fef_06fe_0a31_b715, 0x3fee_f1a7_373a_a9cb, 0x3fee_dea6_4c12_3422, 0x3fee_ce08_6061_892d,
    0x3fee_bfda_d536_2a27, 0x3fee_b42b_569d_4f82, 0x3fee_ab07_dd48_5429, 0x3fee_a47e_b03a_5585,
    0x3fee_a09e_667f_3bcd, 0x3fee_9f75_e8ec_5f74, 0x3fee_a114_73eb_0187, 0x3fee_a589_994c_ce13,
    0x3fee_ace5_422a_a0db, 0x3fee_b737_b0cd_c5e5, 0x3fee_c491_82a3_f090, 0x3fee_d503_b23e_255d,
    0x3fee_e89f_995a_d3ad, 0x3fee_ff76_f2fb_5e47, 0x3fef_199b_dd85_529c, 0x3fef_3720_dcef_9069,
    0x3fef_5818_dcfb_a487, 0x3fef_7c97_337b_9b5f, 0x3fef_a4af_a2a4_90da, 0x3fef_d076_5b6e_4540,
  ]
  static let invLn2N = Double(bitPattern: 0x4047_1547_652b_82fe)  // 32 / ln 2
  static let shift = Double(bitPattern: 0x4338_0000_0000_0000)    // 0x1.8p52
  static let c0 = Double(bitPattern: 0x3ebc_6af8_4b91_2394)
  static let c1 = Double(bitPattern: 0x3f2e_bfce_50fa_c4f3)
  static let c2 = Double(bitPattern: 0x3f96_2e42_ff0c_52d6)

  /// Four lanes of the fast path (|x| < 88): glibc's instruction sequence, with its fused multiply-adds.
  @inline(__always)
  static func fast4(_ x: SIMD4<Float>, _ table: UnsafePointer<UInt64>) -> SIMD4<Float> {
    let xd = SIMD4<Double>(x)
    let kd0 = SIMD4<Double>(repeating: shift).addingProduct(SIMD4(repeating: invLn2N), xd)  // fma(InvLn2N, xd, SHIFT)
    let ki = unsafeBitCast(kd0, to: SIMD4<UInt64>.self)
    let kd = kd0 - shift
    let r = (-kd).addingProduct(SIMD4(repeating: invLn2N), xd)                             // fms(InvLn2N, xd, kd)
    let index = ki & 31
    var tab = SIMD4<UInt64>()
    for lane in 0..<4 { tab[lane] = table[Int(truncatingIfNeeded: index[lane])] }
    let s = unsafeBitCast(tab &+ (ki &<< 47), to: SIMD4<Double>.self)
    let z = SIMD4<Double>(repeating: c1).addingProduct(r, SIMD4(repeating: c0))              // fma(r, C0, C1)
    let r2 = r * r
    let y0 = SIMD4<Double>(repeating: 1).addingProduct(r, SIMD4(repeating: c2))              // fma(r, C2, 1)
    let y = y0.addingProduct(z, r2) * s                                                     // fma(z, r2, y) * s
    return SIMD4<Float>(y)
  }

  /// `dst[i] = expf(src[i])` for `i < count` with the selected kernel; `dst` may equal `src`.
  @inline(__always)
  public static func apply(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    apply(selected ?? .avx2, src, dst, count: count)
  }

  /// `dst[i] = expf(src[i])` for `i < count` with `kernel`, which must be in `available`.
  public static func apply(_ kernel: Kernel, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    switch kernel {
    case .avx512:
      #if arch(x86_64)
      withAVX512Parameters { GlibcExpfAVX512.apply(src, dst, count: count, $0) }
      #else
      preconditionFailure("AVX-512 exists on x86-64 only")
      #endif
    case .avx2: applyAVX2(src, dst, count: count)
    }
  }

  /// Two row sums of `expf(src[i])` over the whole sixteen-element blocks of `src[0..<count]`, without
  /// storing the exps: `sums[0] += y * w0[i & mask0]`, `sums[1] += y * w1[i & mask1]`, each product rounded
  /// on its own. Returns how many elements it consumed. Call only when `isAvailable`.
  public static func accumulate(_ src: UnsafePointer<Float>, count: Int, _ w0: UnsafePointer<Float>, mask mask0: Int,
                                _ w1: UnsafePointer<Float>, mask mask1: Int, _ sums: UnsafeMutablePointer<SIMD16<Float>>) -> Int {
    accumulate(selected ?? .avx2, src, count: count, w0, mask: mask0, w1, mask: mask1, sums)
  }

  /// `accumulate` with `kernel`, which must be in `available`.
  public static func accumulate(_ kernel: Kernel, _ src: UnsafePointer<Float>, count: Int, _ w0: UnsafePointer<Float>,
                                mask mask0: Int, _ w1: UnsafePointer<Float>, mask mask1: Int,
                                _ sums: UnsafeMutablePointer<SIMD16<Float>>) -> Int {
    switch kernel {
    case .avx512:
      #if arch(x86_64)
      return withAVX512Parameters { GlibcExpfAVX512.accumulate(src, count: count, w0, mask: mask0, w1, mask: mask1, sums, $0) }
      #else
      preconditionFailure("AVX-512 exists on x86-64 only")
      #endif
    case .avx2: return accumulateAVX2(src, count: count, w0, mask: mask0, w1, mask: mask1, sums)
    }
  }

  #if arch(x86_64)
  /// `body` with the constants and the table as the AVX-512 module takes them.
  static func withAVX512Parameters<R>(_ body: (GlibcExpfAVX512.Parameters) -> R) -> R {
    table.withUnsafeBufferPointer { t in
      body(.init(invLn2N: invLn2N.bitPattern, shift: shift.bitPattern, c0: c0.bitPattern, c1: c1.bitPattern,
                 c2: c2.bitPattern, table: t.baseAddress!))
    }
  }
  #endif

  /// Sixteen lanes with AVX2: the fast path on four quarters of four doubles, then glibc's special cases,
  /// as the AVX-512 kernel's `Block.finish` puts them in: +inf above log(2^128), +0 below log(2^-150), x + x
  /// for NaN.
  @inline(__always)
  static func exp16(_ x: SIMD16<Float>, _ table: UnsafePointer<UInt64>) -> SIMD16<Float> {
    let low = SIMD8<Float>(lowHalf: fast4(x.lowHalf.lowHalf, table), highHalf: fast4(x.lowHalf.highHalf, table))
    let high = SIMD8<Float>(lowHalf: fast4(x.highHalf.lowHalf, table), highHalf: fast4(x.highHalf.highHalf, table))
    var y = SIMD16(lowHalf: low, highHalf: high)
    let (largest, smallest) = (Float(bitPattern: 0x42b1_7217), Float(bitPattern: 0xc2cf_f1b4))
    if any(.!(x .<= largest) .| (x .< smallest)) {
      y.replace(with: .infinity, where: x .> largest)
      y.replace(with: 0, where: x .< smallest)
      y.replace(with: x + x, where: x .!= x)
    }
    return y
  }

  @inline(never)
  static func applyAVX2(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    table.withUnsafeBufferPointer { t in
      let table = t.baseAddress!
      var i = 0
      while i + 16 <= count {
        let y = exp16(UnsafeRawPointer(src + i).loadUnaligned(as: SIMD16<Float>.self), table)
        UnsafeMutableRawPointer(dst + i).storeBytes(of: y, as: SIMD16<Float>.self)
        i += 16
      }
      if i < count {
        var x = SIMD16<Float>()
        for lane in 0..<count - i { x[lane] = src[i + lane] }
        let y = exp16(x, table)
        for lane in 0..<count - i { dst[i + lane] = y[lane] }
      }
    }
  }

  /// `accumulate` with AVX2.
  @inline(never)
  static func accumulateAVX2(_ src: UnsafePointer<Float>, count: Int, _ w0: UnsafePointer<Float>, mask m0: Int,
                             _ w1: UnsafePointer<Float>, mask m1: Int, _ sums: UnsafeMutablePointer<SIMD16<Float>>) -> Int {
    table.withUnsafeBufferPointer { t in
      let table = t.baseAddress!
      var (s0, s1) = (sums[0], sums[1])
      var i = 0
      while i + 16 <= count {
        let y = exp16(UnsafeRawPointer(src + i).loadUnaligned(as: SIMD16<Float>.self), table)
        s0 += y * UnsafeRawPointer(w0 + (i & m0)).loadUnaligned(as: SIMD16<Float>.self)
        s1 += y * UnsafeRawPointer(w1 + (i & m1)).loadUnaligned(as: SIMD16<Float>.self)
        i += 16
      }
      (sums[0], sums[1]) = (s0, s1)
      return i
    }
  }
}

#if arch(x86_64)
/// The processor's own feature bits (leaf 1 ECX, leaf 7 EBX), as the instructions will see them.
enum CPUID {
  static func registers(_ leaf: UInt32) -> (ebx: UInt32, ecx: UInt32)? {
    var (a, b, c, d): (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    guard __get_cpuid_count(leaf, 0, &a, &b, &c, &d) != 0 else { return nil }
    return (b, c)
  }

  static func has(_ bits: [UInt32], in register: UInt32?) -> Bool {
    guard let register else { return false }
    return bits.allSatisfy { register & (1 << $0) != 0 }
  }

  /// FMA (leaf 1 ECX bit 12) and AVX2 (leaf 7 EBX bit 5).
  static var hasAVX2AndFMA: Bool { has([12], in: registers(1)?.ecx) && has([5], in: registers(7)?.ebx) }
  /// AVX-512 F, DQ, CD, BW and VL (leaf 7 EBX bits 16, 17, 28, 30, 31).
  static var hasAVX512: Bool { has([16, 17, 28, 30, 31], in: registers(7)?.ebx) }
}
#endif
