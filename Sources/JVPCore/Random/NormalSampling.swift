#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension TorchGenerator {
  /// ATen's smallest tensor that takes the in-place, 16-element block Box-Muller path.
  static let normalBlock = 16

  /// `torch.randn(shape, dtype=dtype)`: standard normals, reproducing both of ATen's CPU paths.
  ///
  /// Under 16 elements each value comes from the cached `normal_distribution<double>`; from 16 on,
  /// the tensor is filled with uniforms and transformed in blocks of 16 (float32 through the Cephes
  /// polynomials, float64 through libm). `dtype` must be floating and `shape` non-negative.
  public mutating func randn(_ shape: [Int], dtype: DType) -> Tensor {
    let n = Self.elementCount(shape)
    switch dtype {
    case .float32:
      let values = [Float](unsafeUninitializedCapacity: n) { buffer, count in
        if n < Self.normalBlock {
          for i in 0..<n { buffer[i] = Float(nextNormal()) }
        } else {
          fillNormalBlocks(buffer, uniform: { $0.uniformFloat() }, transform: Self.boxMullerBlock)
        }
        count = n
      }
      return Tensor(shape: shape, float32: values)
    case .float64:
      let values = [Double](unsafeUninitializedCapacity: n) { buffer, count in
        if n < Self.normalBlock {
          for i in 0..<n { buffer[i] = nextNormal() }
        } else {
          fillNormalBlocks(buffer, uniform: { $0.uniformDouble() }, transform: Self.boxMullerBlock)
        }
        count = n
      }
      return Tensor(shape: shape, float64: values)
    case .int64, .bool:
      preconditionFailure("randn is not implemented for \(dtype.torchName)")
    }
  }

  /// `at::normal_distribution<double>(0, 1)`: Box-Muller that hands out its sine half on the next call.
  ///
  /// The `+ 0` is ATen's `* std + mean`, which turns a negative zero into a positive one.
  mutating func nextNormal() -> Double {
    if let cached = cachedNormal {
      cachedNormal = nil
      return cached + 0
    }
    let u1 = uniformDouble()
    let u2 = uniformDouble()
    let radius = (-2 * log1p(-u2)).squareRoot()
    let theta = 2 * Double.pi * u1
    cachedNormal = radius * sin(theta)
    return radius * cos(theta) + 0
  }

  /// ATen's `normal_fill`: uniforms everywhere, a transform per whole block of 16, then, when the
  /// count is not a multiple of 16, fresh uniforms over the last 16 slots and one more transform.
  private mutating func fillNormalBlocks<Element>(
    _ buffer: UnsafeMutableBufferPointer<Element>,
    uniform: (inout TorchGenerator) -> Element,
    transform: (UnsafeMutablePointer<Element>) -> Void
  ) {
    guard let base = buffer.baseAddress else { return }
    let n = buffer.count
    let block = Self.normalBlock
    for i in 0..<n { base[i] = uniform(&self) }
    for start in stride(from: 0, to: n - block + 1, by: block) {
      transform(base + start)
    }
    if n % block != 0 {
      let tail = base + (n - block)
      for k in 0..<block { tail[k] = uniform(&self) }
      transform(tail)
    }
  }

  /// `normal_fill_16_AVX2` for one block: pairs slot j with j + 8, using the Cephes float polynomials.
  ///
  /// The `+ 0` is ATen's `fmadd(n, std, mean)` with std 1 and mean 0, which turns -0 into +0.
  private static func boxMullerBlock(_ data: UnsafeMutablePointer<Float>) {
    let twoPi = Float(2 * Double.pi)
    for j in 0..<8 {
      let u1 = 1 - data[j]
      let u2 = data[j + 8]
      let radius = (-2 * CephesFloat.log(u1)).squareRoot()
      let (s, c) = CephesFloat.sincos(twoPi * u2)
      data[j] = radius * c + 0
      data[j + 8] = radius * s + 0
    }
  }

  /// `normal_fill_16<double>` for one block: pairs slot j with j + 8, using the C library.
  private static func boxMullerBlock(_ data: UnsafeMutablePointer<Double>) {
    for j in 0..<8 {
      let u1 = 1 - data[j]
      let u2 = data[j + 8]
      let radius = (-2 * log(u1)).squareRoot()
      let theta = 2 * Double.pi * u2
      data[j] = radius * cos(theta) + 0
      data[j + 8] = radius * sin(theta) + 0
    }
  }
}
