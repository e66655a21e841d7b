@testable import JVPCore
import Testing

/// The evaluator fuses elementwise chains and their trailing-dim sums into tile loops (Engine/Fusion.swift).
/// Fusion must not change a single bit: each program below is evaluated through a traced graph (fused) and
/// eagerly, one primitive at a time (unfused), and the results are compared bit for bit. The shapes cover
/// rows shorter and longer than a tile, several rows per tile, operands that repeat (broadcast leading
/// dims), read through expand/reshape or broadcast along inner dims (one value per row, as in batched
/// reverse sweeps), scalars, members also needed outside the loop, and inputs large enough to be split
/// across threads.
@Suite struct FusionTests {
  struct Program: CustomTestStringConvertible, Sendable {
    let name: String
    let x: [Int]
    let y: [Int]
    let body: @Sendable (Operand, Operand) throws -> [Operand]
    var testDescription: String { name }
  }

  static let programs: [Program] = [
    Program(name: "exp reducer, short rows", x: [37, 5], y: [1]) { x, _ in [try x.exp().sum(dims: [1])] },
    Program(name: "exp reducer and its tangent, rows longer than a tile", x: [3, 1037], y: [3, 1037]) { x, v in
      let e = try x.exp()
      return [try e.sum(dims: [1]), try (v * e).sum(dims: [1])]
    },
    Program(name: "exp reducer and its tangent split across threads, rows with a tail", x: [300, 517], y: [300, 517]) { x, v in
      let e = try x.exp()
      return [try e.sum(dims: [1]), try (e * v).sum(dims: [1])]
    },
    Program(name: "split across threads", x: [400, 401], y: [400, 401]) { x, v in
      let e = try x.exp()
      return [try e.sum(dims: [1]), try (v * e).sum(dims: [1], keepDim: true), e]
    },
    Program(name: "operand repeating along leading dims", x: [7, 3, 50], y: [3, 50]) { x, y in
      [try (x.sin() * y + x.exp() - 1.5).sum(dims: [2])]
    },
    Program(name: "operand read through reshape and expand", x: [6, 40], y: [6]) { x, y in
      let stretched = try y.reshape([6, 1]).expanded(to: TensorType(shape: [6, 40], dtype: y.dtype))
      return [try (x * stretched).tanh()]
    },
    Program(name: "member also needed outside", x: [9, 70], y: [9, 70]) { x, y in
      let e = try (x * y).exp()
      return [try (e * 2).sum(dims: [1]), try e.sum(dims: [0]), e]
    },
    Program(name: "sum of everything", x: [1200], y: [1]) { x, y in [try (x * x + y).sum(), try (x - y).sum(dims: [0])] },
    Program(name: "sum over two trailing dims", x: [4, 5, 130], y: [5, 130]) { x, y in
      [try (x.cos() / (y * y + 1)).sum(dims: [1, 2]), try (x * y).sum(dims: [2], keepDim: true)]
    },
    Program(name: "powers and reciprocals", x: [17, 33], y: [17, 33]) { x, y in
      [try ((x * x + 1).sqrt().pow(3) + y.pow(2) * x.reciprocal()).sum(dims: [1])]
    },
    Program(name: "batched reverse sweep: rows of one cotangent value times a repeating operand", x: [48, 48], y: [6, 48]) { x, y in
      let rows = try y.reshape([6, 48, 1]).expanded(to: TensorType(shape: [6, 48, 48], dtype: y.dtype))
      return [try rows * x.exp(), try (2 - rows) / x.sin(), try rows.exp()]
    },
    Program(name: "operand broadcast along the middle and last dims", x: [4, 3, 5, 9], y: [4, 1, 5, 1]) { x, y in
      [try (x * y).exp(), try (y - x).sum(dims: [3])]
    },
    Program(name: "rows of one value, split across threads mid-row", x: [301, 499], y: [301]) { x, y in
      let rows = try y.reshape([301, 1]).expanded(to: TensorType(shape: [301, 499], dtype: y.dtype))
      return [try rows * x.exp() + x, try (x - rows).sum(dims: [1])]
    },
  ]

  @Test(arguments: programs, [DType.float32, .float64])
  func fusedEqualsEager(_ p: Program, dtype: DType) throws {
    var values = SeededValues(seed: UInt64(p.name.count) &* 31)
    let x = values.tensor(p.x, 0.1...1.5, dtype: dtype)
    let y = values.tensor(p.y, 0.1...1.5, dtype: dtype)
    let eager = try p.body(.concrete(x), .concrete(y)).map(\.concreteValue)
    let f = try traced(x, y, p.body)
    let plan = f.graph.plan(bound: [false, false])
    #expect(plan.steps.contains { if case .fused = $0 { true } else { false } }, "nothing was fused")
    let fused = try f.graph.evaluate([x, y])
    #expect(fused.count == eager.count)
    for (a, b) in zip(fused, eager) {
      #expect(a.shape == b.shape)
      #expect(bits(a) == bits(b))
    }
    // Twice, to exercise the cached plan.
    #expect(try f.graph.evaluate([x, y]).map(bits) == eager.map(bits))
  }

  /// exp_reducer's jvp is one fused group whose two sums accumulate inside the float32 exp kernel (when the
  /// CPU has one, `GlibcExpf.isAvailable`); in float64 the same group runs tile by tile.
  @Test(arguments: [DType.float32, .float64])
  func expReducerJVPSumsInsideTheExpKernel(dtype: DType) throws {
    let type = TensorType(shape: [8, 40], dtype: dtype)
    let f = try TracedFunction.trace(inputTypes: [type, type], inputsAreTuple: true) { vars in
      let e = try vars[0].exp()
      return ([try e.sum(dims: [1]), try (vars[1] * e).sum(dims: [1])], true)
    }
    let groups = f.graph.plan(bound: [false, false]).steps.compactMap { step -> FusedGroup? in
      if case .fused(let group) = step { group } else { nil }
    }
    #expect(groups.count == 1)
    if dtype == .float32 {
      #expect(groups.first?.expSums?.weights == [nil, 1])
    } else {
      #expect(groups.first?.expSums == nil)
    }
  }

  func bits(_ t: Tensor) -> [UInt64] {
    switch t.storage {
    case .float32(let v): v.map { UInt64($0.bitPattern) }
    case .float64(let v): v.map(\.bitPattern)
    case .int64(let v): v.map { UInt64(bitPattern: $0) }
    case .bool(let v): v.map { $0 ? 1 : 0 }
    }
  }
}
