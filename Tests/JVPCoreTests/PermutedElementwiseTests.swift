import Foundation
@testable import JVPCore
import Testing

/// Permutes of elementwise results computed straight into the permuted layout (Engine/PermutedElementwise.swift).
/// Each program is evaluated through its traced graph (folded) and eagerly, one primitive at a time (the
/// elementwise result written, then permuted); both compute each element from the same two operand values, so
/// the bits agree. Shapes are odd, operands broadcast or arrive permuted themselves, rows go past a piece
/// (4,096 elements) and results past the size that splits across cores.
@Suite struct PermutedElementwiseTests {
  struct Program: CustomTestStringConvertible, Sendable {
    let name: String
    let x: [Int]
    let y: [Int]
    /// Folded steps the plan has, and permute steps it still has.
    let folded: Int
    let permutesLeft: Int
    let body: @Sendable (Operand, Operand) throws -> [Operand]
    var testDescription: String { name }
  }

  static let programs: [Program] = [
    Program(name: "broadcast product moved last through reshapes (jacfwd's columns)", x: [5, 3, 1], y: [3, 7], folded: 1, permutesLeft: 0) { x, y in
      [try (x * y).reshape([5, 21]).transpose(0, 1).reshape([3, 7, 5])]
    },
    Program(name: "sum of odd shapes, dims rotated", x: [3, 4, 5], y: [3, 4, 5], folded: 1, permutesLeft: 0) { x, y in
      [try (x + y).permute([2, 0, 1])]
    },
    Program(name: "unary op transposed", x: [6, 5], y: [1], folded: 1, permutesLeft: 0) { x, _ in [try x.exp().transpose(0, 1)] },
    // The operand's transpose is read through (the two cancel: rows read in place), so it is not computed.
    Program(name: "operand itself a transpose", x: [4, 6], y: [6, 1], folded: 1, permutesLeft: 0) { x, y in
      [try (x.transpose(0, 1) * y).transpose(0, 1)]
    },
    Program(name: "operand a transpose that is also a result", x: [4, 6], y: [6, 1], folded: 1, permutesLeft: 1) { x, y in
      [try (x.transpose(0, 1) * y).transpose(0, 1), try x.transpose(0, 1)]
    },
    Program(name: "operand a permute of three dims, read through", x: [3, 4, 5], y: [5], folded: 2, permutesLeft: 0) { x, y in
      [try (x.permute([2, 0, 1]) + y.reshape([5, 1, 1])).permute([1, 2, 0]),
       try (x.permute([2, 0, 1]) * y.reshape([5, 1, 1])).permute([2, 0, 1])]
    },
    Program(name: "split across cores, gathered rows", x: [64, 33, 1], y: [33, 40], folded: 1, permutesLeft: 0) { x, y in
      [try (x * y).reshape([64, 1320]).transpose(0, 1)]
    },
    Program(name: "rows longer than a piece, read in place", x: [3, 2, 4500], y: [4500], folded: 1, permutesLeft: 0) { x, y in
      [try (x - y).permute([1, 0, 2])]
    },
    Program(name: "rows longer than a piece, gathered", x: [4500, 3], y: [1], folded: 1, permutesLeft: 0) { x, y in
      [try (x / y).transpose(0, 1)]
    },
    Program(name: "reshape that is no regrouping stays", x: [2, 3], y: [2, 3], folded: 0, permutesLeft: 1) { x, y in
      [try (x * y).reshape([3, 2]).transpose(0, 1)]
    },
    Program(name: "result also read elsewhere stays", x: [4, 5], y: [5], folded: 0, permutesLeft: 1) { x, y in
      let product = try x * y
      return [try product.transpose(0, 1), try product.sin()]
    },
  ]

  @Test(arguments: programs, [DType.float32, .float64])
  func foldedEqualsEager(_ p: Program, dtype: DType) throws {
    var values = SeededValues(seed: UInt64(p.name.count) &* 31)
    let x = values.tensor(p.x, dtype: dtype)
    let y = values.tensor(p.y, 0.5...2, dtype: dtype)
    let eager = try p.body(.concrete(x), .concrete(y)).map(\.concreteValue)
    let f = try traced(x, y, p.body)
    let steps = f.graph.plan(bound: [false, false]).steps
    let folded = steps.filter { if case .permuted = $0 { true } else { false } }
    let permutes = steps.filter { if case .apply(_, let primitive, _, _) = $0 { primitive is Permute } else { false } }
    #expect(folded.count == p.folded)
    #expect(permutes.count == p.permutesLeft)
    let results = try f.graph.evaluate([x, y])
    #expect(results.map(\.shape) == eager.map(\.shape))
    for (a, b) in zip(results, eager) {
      #expect(a.doubles.map(\.bitPattern) == b.doubles.map(\.bitPattern))
    }
  }

  /// The layout of a reshape then permute: dims regrouped as blocks, or nil where the reshape mixes dims.
  @Test func layoutRegroupsDimsOrRefuses() {
    let jacfwd = PermutedElementwise.layout([512, 32, 512], viewedAs: [512, 16384], permutedBy: [1, 0], operands: [[512, 32, 1], [32, 512]])
    #expect(jacfwd?.shape == [32, 512, 512])
    #expect(jacfwd?.strides == [[1, 0, 32], [512, 1, 0]])
    let merged = PermutedElementwise.layout([4, 1, 6], viewedAs: [4, 6], permutedBy: [0, 1], operands: [[4, 1, 6], [4, 1, 6]])
    #expect(merged?.shape == [24])
    #expect(PermutedElementwise.layout([2, 3], viewedAs: [3, 2], permutedBy: [1, 0], operands: [[2, 3]]) == nil)
  }

  /// The hessian of `tanh(W x + b)` (a jacfwd over a jacrev whose columns come out of a broadcast product) is
  /// written once in its final layout, and equals the closed form -2·z·(1 - z²)·W[i, k]·W[i, b] with z = tanh(W x + b).
  @Test(arguments: [DType.float32, .float64])
  func hessianOfALinearLayerIsWrittenInPlace(dtype: DType) throws {
    let (inputs, outputs) = (37, 33)
    var values = SeededValues(seed: 11)
    let w = values.tensor([outputs, inputs], dtype: dtype), b = values.tensor([outputs], dtype: dtype)
    let x = values.tensor([inputs], dtype: dtype)
    let f = try traced([TensorType(of: w), TensorType(of: b), TensorType(of: x)]) { v in
      [try (v[2].matmul(v[0].transpose(0, 1)) + v[1]).tanh()]
    }
    let hessian = try FuncGraphs.hessian(f.graph, wrt: [2])
    let steps = hessian.plan(bound: [false, false, false]).steps
    #expect(steps.contains { if case .permuted = $0 { true } else { false } })
    // The only permute left is the weight's (the jacobian's rows), not the hessian's batch.
    let count = outputs * inputs * inputs
    #expect(!steps.contains { if case .apply(_, let primitive, _, let type) = $0 { primitive is Permute && type.count == count } else { false } })
    let h = try hessian.evaluate([w, b, x])[0]
    #expect(h.shape == [outputs, inputs, inputs])
    let (wd, bd, xd, hd) = (w.doubles, b.doubles, x.doubles, h.doubles)
    var largestError = 0.0
    for i in 0..<outputs {
      let z = Foundation.tanh((0..<inputs).reduce(bd[i]) { $0 + wd[i * inputs + $1] * xd[$1] })
      for k in 0..<inputs {
        for c in 0..<inputs {
          let expected = -2 * z * (1 - z * z) * wd[i * inputs + k] * wd[i * inputs + c]
          largestError = max(largestError, abs(hd[(i * inputs + k) * inputs + c] - expected))
        }
      }
    }
    #expect(largestError <= (dtype == .float32 ? 1e-5 : 1e-13))
  }
}
