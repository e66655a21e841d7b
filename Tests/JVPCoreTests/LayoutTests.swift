import JVPCore
import Testing

/// Copies of permuted views against element-by-element indexing: the tiled transpose path (the last two dims
/// swapped) on sizes around the tile width and with leading dims, in float32 and float64.
@Suite struct LayoutTests {
  @Test(arguments: [[3, 17, 33], [1, 16, 16], [2, 40, 5], [70, 1030]], [DType.float32, .float64])
  func swappingTheLastTwoDimsCopiesEveryElement(_ shape: [Int], _ dtype: DType) throws {
    let count = Shape.count(shape)
    let x = Tensor(shape: shape, doubles: (0..<count).map { Double($0) }, dtype: dtype)
    let rank = shape.count
    var order = Array(0..<rank)
    order.swapAt(rank - 2, rank - 1)
    guard case .concrete(let permuted) = try Operand.concrete(x).permute(order) else {
      Issue.record("a permute of a concrete tensor is concrete")
      return
    }
    let (rows, columns) = (shape[rank - 2], shape[rank - 1])
    let matrices = count / (rows * columns)
    var expected: [Double] = []
    for m in 0..<matrices {
      for c in 0..<columns {
        for r in 0..<rows { expected.append(Double(m * rows * columns + r * columns + c)) }
      }
    }
    #expect(permuted.shape == Array(shape.dropLast(2)) + [columns, rows])
    #expect(permuted.doubles == expected)
  }
}
