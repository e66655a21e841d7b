import Foundation
import JVPCore
import Testing

/// The seed notebook (Fixtures/seed_notebook.out) rebuilt from the engine API: the same generator draws,
/// then every autodiff call, compared with the values PyTorch printed (4 decimals).
@Suite struct SeedNotebookTests {
  /// The values as PyTorch prints them: `%.4f` of the exact value.
  func printed(_ t: Tensor) -> [String] { t.doubles.map { String(format: "%.4f", $0) } }

  func type(_ shape: [Int]) -> TensorType { TensorType(shape: shape, dtype: .float32) }

  @Test func notebookCellsInOrder() throws {
    var generator = TorchGenerator()
    generator.manualSeed(42)
    let x = generator.rand([2], dtype: .float32)
    #expect(x.doubles.map { Float($0).bitPattern } == [0x3F61_DC66, 0x3F6A_3DB3])

    let double = try traced(type([2])) { try 2 * $0 }
    let (fx, jvpF) = try Autodiff.jvp(double, inputs: [x], tangents: [Tensor(shape: [2], float32: [1, 2])])
    #expect(printed(fx.tensors[0]) == ["1.7645", "1.8300"])
    #expect(printed(jvpF.tensors[0]) == ["2.0000", "4.0000"])
    #expect(try Autodiff.jacobian(double, inputs: [x]).tensors[0] == Tensor(shape: [2, 2], float32: [2, 0, 0, 2]))

    let a = generator.rand([2], dtype: .float32)
    let b = generator.rand([2], dtype: .float32)
    #expect(printed(a) == ["0.3829", "0.9593"])
    #expect(printed(b) == ["0.3904", "0.6009"])
    let adder = try TracedFunction.trace(inputTypes: [type([2]), type([2])], inputsAreTuple: true) {
      ([try 2 * $0[0] + 3 * $0[1]], false)
    }
    let v = [Tensor(shape: [2], float32: [1, 2]), Tensor(shape: [2], float32: [2, 3])]
    let (sum, jvpAdder) = try Autodiff.jvp(adder, inputs: [a, b], tangents: v)
    #expect(printed(sum.tensors[0]) == ["1.9371", "3.7213"])
    #expect(printed(jvpAdder.tensors[0]) == ["8.0000", "13.0000"])
    let twice = try Autodiff.jacobian(traced(type([2])) { try 2 * $0 }, inputs: [a]).tensors[0]
    let thrice = try Autodiff.jacobian(traced(type([2])) { try 3 * $0 }, inputs: [b]).tensors[0]
    #expect(printed(try Operand.concrete(twice).matmul(.concrete(v[0])).concreteValue) == ["2.0000", "4.0000"])
    #expect(printed(try Operand.concrete(thrice).matmul(.concrete(v[1])).concreteValue) == ["6.0000", "9.0000"])

    let inputs = generator.rand([4, 4], dtype: .float32)
    let expReducer = try traced(type([4, 4])) { try $0.exp().sum(dims: [1]) }
    let (reduced, jvpReducer) = try Autodiff.jvp(
      expReducer, inputs: [inputs], tangents: [Tensor(repeating: 1, shape: [4, 4], dtype: .float32)])
    let rowSums = ["7.2083", "8.5064", "7.8338", "6.0426"]
    #expect(printed(reduced.tensors[0]) == rowSums)
    #expect(printed(jvpReducer.tensors[0]) == rowSums)

    let expected = [["1.2925", "2.2114", "2.5620", "1.1425"], ["2.5462", "1.8105", "2.3855", "1.7642"],
                    ["2.0982", "1.5363", "2.4241", "1.7752"], ["1.3055", "1.8728", "1.3095", "1.5548"]]
    for strategy in JacobianStrategy.allCases {
      for vectorize in [false, true] {
        let j = try Autodiff.jacobian(expReducer, inputs: [inputs], strategy: strategy, vectorize: vectorize).tensors[0]
        #expect(j.shape == [4, 4, 4])
        let values = printed(j)
        for i in 0..<4 {
          for r in 0..<4 {
            let row = Array(values[(i * 16 + r * 4)..<(i * 16 + r * 4 + 4)])
            #expect(row == (r == i ? expected[i] : ["0.0000", "0.0000", "0.0000", "0.0000"]))
          }
        }
        let product = try Operand.concrete(j).matmul(.concrete(Tensor(repeating: 1, shape: [4, 4], dtype: .float32)))
          .sum(dims: [1]).concreteValue
        #expect(printed(product) == rowSums.flatMap { Array(repeating: $0, count: 4) })
      }
    }
  }
}

extension Operand {
  var concreteValue: Tensor {
    if case .concrete(let t) = self { return t }
    preconditionFailure("expected a concrete value")
  }
}
