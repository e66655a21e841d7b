#if arch(x86_64)
import _Builtin_intrinsics.intel

/// glibc's `expf` algorithm on sixteen lanes with AVX-512, for `JVPKernels.GlibcExpf` to dispatch to.
///
/// The arithmetic is the same double-precision sequence as the AVX2 kernel (and as glibc's FMA build);
/// what AVX-512 adds is the table lookup: the 32-entry table of 2^(i/32) sits in four registers and two
/// `vpermt2q` plus a blend replace eight scalar loads. Every input, special ones included, is handled in
/// registers, so the loop makes no calls and keeps its constants in registers.
/// This module is compiled for AVX-512 (-target-cpu skylake-avx512): call it only on CPUs that have it.
public enum GlibcExpfAVX512 {
  /// The constants of glibc's `expf`, as bit patterns of doubles, and its 32-entry table.
  public struct Parameters {
    public var invLn2N: UInt64
    public var shift: UInt64
    public var c0: UInt64
    public var c1: UInt64
    public var c2: UInt64
    /// 32 entries: the bits of 2^(i/32) with the exponent adjustment glibc folds into them.
    public var table: UnsafePointer<UInt64>

    public init(invLn2N: UInt64, shift: UInt64, c0: UInt64, c1: UInt64, c2: UInt64, table: UnsafePointer<UInt64>) {
      (self.invLn2N, self.shift, self.c0, self.c1, self.c2, self.table) = (invLn2N, shift, c0, c1, c2, table)
    }
  }

  /// The parameters broadcast into registers once per call.
  struct Registers {
    let t0, t1, t2, t3: __m512i
    let invLn2N, shift, c0, c1, c2, one: __m512d
    let bit4: __m512i

    init(_ p: Parameters) {
      let table = UnsafeRawPointer(p.table)
      (t0, t1, t2, t3) = (_mm512_loadu_si512(table), _mm512_loadu_si512(table + 64),
                          _mm512_loadu_si512(table + 128), _mm512_loadu_si512(table + 192))
      func broadcast(_ bits: UInt64) -> __m512d { _mm512_set1_pd(Double(bitPattern: bits)) }
      (invLn2N, shift, c0, c1, c2, one) = (broadcast(p.invLn2N), broadcast(p.shift), broadcast(p.c0),
                                           broadcast(p.c1), broadcast(p.c2), _mm512_set1_pd(1))
      bit4 = _mm512_set1_epi64(16)
    }
  }

  /// Eight lanes, first stage: x in double and x·32/ln2 + SHIFT, whose low bits are k.
  struct Scaled {
    let xd: __m512d
    let kd0: __m512d

    @inline(__always)
    init(_ x: __m256, _ k: Registers) {
      xd = _mm512_cvtps_pd(x)
      kd0 = _mm512_fmadd_pd(k.invLn2N, xd, k.shift)     // fma(InvLn2N, xd, SHIFT)
    }
  }

  /// Eight lanes, second stage: x·32/ln2 = k + r, and s = 2^(k/32) from the table with k/32's integer part
  /// in its exponent. glibc's operations with its fused multiply-adds.
  struct Reduced {
    let r: __m512d
    let s: __m512d

    @inline(__always)
    init(_ a: Scaled, _ k: Registers) {
      let ki = _mm512_castpd_si512(a.kd0)
      let kd = _mm512_sub_pd(a.kd0, k.shift)
      r = _mm512_fmsub_pd(k.invLn2N, a.xd, kd)           // fms(InvLn2N, xd, kd)
      // table[ki & 31]: entries 0-15 and 16-31 by the low four bits, then bit 4 picks between them.
      let low = _mm512_permutex2var_epi64(k.t0, ki, k.t1)
      let high = _mm512_permutex2var_epi64(k.t2, ki, k.t3)
      let t = _mm512_mask_blend_epi64(_mm512_test_epi64_mask(ki, k.bit4), low, high)
      s = _mm512_castsi512_pd(_mm512_add_epi64(t, _mm512_slli_epi64(ki, 47)))
    }

    /// Third stage: s·2^(r/32) from the cubic, rounded to float.
    @inline(__always)
    func result(_ k: Registers) -> __m256 {
      let z = _mm512_fmadd_pd(r, k.c0, k.c1)              // fma(r, C0, C1)
      let r2 = _mm512_mul_pd(r, r)
      let y0 = _mm512_fmadd_pd(r, k.c2, k.one)            // fma(r, C2, 1)
      return _mm512_cvtpd_ps(_mm512_mul_pd(_mm512_fmadd_pd(z, r2, y0), s))  // fma(z, r2, y) * s
    }
  }

  /// Sixteen lanes after the first stage.
  struct ScaledBlock {
    let x: SIMD16<Float>
    let low: Scaled
    let high: Scaled

    @inline(__always)
    init(_ src: UnsafePointer<Float>, _ k: Registers) {
      self.init(UnsafeRawPointer(src).loadUnaligned(as: SIMD16<Float>.self), k)
    }

    @inline(__always)
    init(_ x: SIMD16<Float>, _ k: Registers) {
      self.x = x
      low = Scaled(unsafeBitCast(x.lowHalf, to: __m256.self), k)
      high = Scaled(unsafeBitCast(x.highHalf, to: __m256.self), k)
    }
  }

  /// Sixteen lanes after the second stage; `finish` is the third.
  struct Block {
    let x: SIMD16<Float>
    let low: Reduced
    let high: Reduced

    @inline(__always)
    init(_ a: ScaledBlock, _ k: Registers) {
      x = a.x
      low = Reduced(a.low, k)
      high = Reduced(a.high, k)
    }

    /// expf of the sixteen lanes. glibc's own special cases: above log(2^128) the result is +inf, below
    /// log(2^-150) it is +0 (so for -inf too), NaN gives x + x; everything between takes the common path,
    /// whose double result rounds to float exactly as glibc's does (overflow to inf, subnormals included).
    @inline(__always)
    func finish(_ k: Registers) -> SIMD16<Float> {
      var y = SIMD16<Float>(lowHalf: unsafeBitCast(low.result(k), to: SIMD8<Float>.self),
                            highHalf: unsafeBitCast(high.result(k), to: SIMD8<Float>.self))
      let largest = Float(bitPattern: 0x42b1_7217)   // 0x1.62e42ep6, log(2^128)
      let smallest = Float(bitPattern: 0xc2cf_f1b4)  // -0x1.9fe368p6, log(2^-150)
      if any(.!(x .<= largest) .| (x .< smallest)) {
        y.replace(with: .infinity, where: x .> largest)
        y.replace(with: 0, where: x .< smallest)
        y.replace(with: x + x, where: x .!= x)
      }
      return y
    }
  }

  /// expf of the whole sixteen-element blocks of `src[0..<count]`, each handed to `consume` with its offset;
  /// returns how many elements that was.
  ///
  /// Software-pipelined in three stages: an iteration scales block i+2, reduces block i+1 and finishes
  /// block i, so each operation's inputs are ready when it issues. A block's chain from load to result is
  /// some forty cycles; issued in one piece, its waiting operations fill the scheduler and the loop runs
  /// 1.3x slower.
  @inline(__always)
  static func pipeline<C: Consumer>(_ src: UnsafePointer<Float>, count: Int, _ k: Registers, _ consumer: inout C) -> Int {
    let whole = count / 16 * 16
    guard whole >= 32 else {
      if whole == 16 { consumer.consume(Block(ScaledBlock(src, k), k).finish(k), 0) }
      return whole
    }
    var reduced = Block(ScaledBlock(src, k), k)
    var scaled = ScaledBlock(src + 16, k)
    var i = 0
    while i + 48 <= whole {
      let nextScaled = ScaledBlock(src + i + 32, k)
      let nextReduced = Block(scaled, k)
      consumer.consume(reduced.finish(k), i)
      (scaled, reduced) = (nextScaled, nextReduced)
      i += 16
    }
    let last = Block(scaled, k)
    consumer.consume(reduced.finish(k), i)
    consumer.consume(last.finish(k), i + 16)
    return whole
  }

  /// What `pipeline` does with each block of results (a protocol rather than a closure, so that it inlines).
  protocol Consumer {
    mutating func consume(_ y: SIMD16<Float>, _ i: Int)
  }

  struct Store: Consumer {
    let dst: UnsafeMutablePointer<Float>

    @inline(__always)
    func consume(_ y: SIMD16<Float>, _ i: Int) { UnsafeMutableRawPointer(dst + i).storeBytes(of: y, as: SIMD16<Float>.self) }
  }

  /// The two sums `accumulate` adds into.
  struct WeightedSums: Consumer {
    var s0, s1: SIMD16<Float>
    let w0: UnsafePointer<Float>
    let m0: Int
    let w1: UnsafePointer<Float>
    let m1: Int

    @inline(__always)
    mutating func consume(_ y: SIMD16<Float>, _ i: Int) {
      s0 += y * UnsafeRawPointer(w0 + (i & m0)).loadUnaligned(as: SIMD16<Float>.self)
      s1 += y * UnsafeRawPointer(w1 + (i & m1)).loadUnaligned(as: SIMD16<Float>.self)
    }
  }

  /// `dst[i] = expf(src[i])` for `i < count`; `dst` may equal `src` (each block is loaded before any
  /// earlier one is stored).
  @inline(never)
  public static func apply(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int, _ parameters: Parameters) {
    let k = Registers(parameters)
    var store = Store(dst: dst)
    let i = pipeline(src, count: count, k, &store)
    if i < count {
      let lanes = __mmask16(truncatingIfNeeded: (1 << (count - i)) - 1)
      let x = unsafeBitCast(_mm512_maskz_loadu_ps(lanes, src + i), to: SIMD16<Float>.self)
      _mm512_mask_storeu_ps(dst + i, lanes, unsafeBitCast(Block(ScaledBlock(x, k), k).finish(k), to: __m512.self))
    }
  }

  /// Two row sums of expf without storing it: over the whole sixteen-element blocks of `src[0..<count]`,
  /// `sums[0] += y * w0[i]` and `sums[1] += y * w1[i]`, each product rounded on its own; returns how many
  /// elements it consumed. A weight with mask 0 is one block read over and over (`w[i & mask]`): ones make
  /// a plain sum, exactly. The loads of x and w stream beside the arithmetic, with no tile in between.
  @inline(never)
  public static func accumulate(_ src: UnsafePointer<Float>, count: Int, _ w0: UnsafePointer<Float>, mask m0: Int,
                                _ w1: UnsafePointer<Float>, mask m1: Int, _ sums: UnsafeMutablePointer<SIMD16<Float>>,
                                _ parameters: Parameters) -> Int {
    let k = Registers(parameters)
    var weighted = WeightedSums(s0: sums[0], s1: sums[1], w0: w0, m0: m0, w1: w1, m1: m1)
    let used = pipeline(src, count: count, k, &weighted)
    (sums[0], sums[1]) = (weighted.s0, weighted.s1)
    return used
  }
}
#endif
