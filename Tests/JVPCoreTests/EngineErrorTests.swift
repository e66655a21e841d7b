import JVPCore
import Testing

/// Bad input to the engine is a typed error whose message names the shapes or arguments, never a crash.
@Suite struct EngineErrorTests {
  let f32x2 = TensorType(shape: [2], dtype: .float32)

  func message(_ body: () throws -> Void) -> String? {
    do {
      try body()
      return nil
    } catch let error as EngineError {
      return error.description
    } catch {
      return "unexpected \(error)"
    }
  }

  @Test func tangentOfTheWrongShape() throws {
    let f = try traced(f32x2) { try $0 * 2 }
    let text = message { _ = try Autodiff.jvp(f, inputs: [Tensor(repeating: 1, shape: [2], dtype: .float32)],
                                              tangents: [Tensor(repeating: 1, shape: [3], dtype: .float32)]) }
    #expect(text == "v[0] has shape [3] but input 0 has shape [2]")
  }

  @Test func cotangentArityMustMatchOutputs() throws {
    let f = try traced([f32x2, f32x2]) { [try $0[0] + $0[1], try $0[0] * $0[1]] }
    let one = Tensor(repeating: 1, shape: [2], dtype: .float32)
    let text = message { _ = try Autodiff.vjp(f, inputs: [one, one], cotangents: [one]) }
    #expect(text == "v has 1 tensor but the function has 2 outputs; they must match one to one")
  }

  @Test func integerInputsCannotBeDifferentiated() throws {
    let f = try traced(TensorType(shape: [2], dtype: .int64)) { $0 }
    let text = message { _ = try Autodiff.jacobian(f, inputs: [Tensor(shape: [2], int64: [1, 2])]) }
    #expect(text == "input 0 has dtype torch.int64; only floating point tensors can be differentiated")
  }

  @Test func shapesThatDoNotBroadcast() throws {
    let text = message {
      _ = try traced(TensorType(shape: [2, 3], dtype: .float32)) { try $0 + $0.sum(dims: [1]) }
    }
    #expect(text == "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1")
  }

  @Test func denseJacobianAboveTheMemoryLimit() throws {
    let big = TensorType(shape: [20000], dtype: .float64)
    let f = try traced(big) { try $0.exp() }
    let text = message {
      _ = try Autodiff.jacobian(f, inputs: [Tensor(repeating: 0, shape: [20000], dtype: .float64)])
    }
    #expect(text == "the jacobian would need 3.0 GiB, above the limit of 1.0 GiB")
  }

  @Test func hessianNeedsAScalarFunction() throws {
    let f = try traced(f32x2) { try $0.exp() }
    let text = message { _ = try Autodiff.hessian(f, inputs: [Tensor(repeating: 1, shape: [2], dtype: .float32)]) }
    #expect(text == "hessian: the function must return a single tensor with a single element, got output shape [2]")
  }

  @Test func strictModeRejectsIndependentOutputs() throws {
    let f = try traced([f32x2, f32x2]) { [try $0[0].exp()] }
    let one = Tensor(repeating: 1, shape: [2], dtype: .float32)
    let text = message { _ = try Autodiff.jacobian(f, inputs: [one, one], options: AutodiffOptions(strict: true)) }
    #expect(text == "output 0 of the function is independent of input 1; this is not allowed in strict mode")
    let lenient = try Autodiff.jacobian(f, inputs: [one, one])
    #expect(lenient[0][1].tensors[0] == Tensor(repeating: 0, shape: [2, 2], dtype: .float32))
  }

  @Test func dimensionsOutOfRange() throws {
    let text = message { _ = try traced(f32x2) { try $0.sum(dims: [2]) } }
    #expect(text == "sum: dimension out of range (expected to be in range of [-1, 0], but got 2)")
  }

  @Test func matmulShapes() throws {
    let text = message { _ = try traced(TensorType(shape: [4, 3], dtype: .float32)) { try $0.matmul($0) } }
    #expect(text == "mm: mat1 and mat2 shapes cannot be multiplied (4x3 and 4x3)")
  }
}
