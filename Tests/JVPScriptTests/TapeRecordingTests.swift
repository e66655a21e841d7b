import Foundation
import JVPCore
import JVPScript
import Testing

/// Every tape pass is one run: `backward` and `torch.autograd.grad` record the tensors differentiated, the
/// cotangents, the outputs and the gradients with a passing dot-product check; each `fwAD.dual_level()` block
/// records the duals it made and unpacked.
@Suite struct TapeRecordingTests {
  static func calls(_ source: String) throws -> [RecordedCall] {
    let recorder = CollectingRecorder()
    let interpreter = Interpreter(file: "tape.py", recorder: recorder) { _ in }
    try interpreter.run(bytes: Array(source.utf8))
    return recorder.calls
  }

  static func tensors(_ call: RecordedCall, _ role: String) -> [[Double]] {
    call.tensors.filter { $0.role == role }.map(\.tensor.doubles)
  }

  @Test func backwardRecordsLeavesCotangentsAndGradients() throws {
    let calls = try Self.calls("""
      import torch
      a = torch.tensor([2., 3.], requires_grad=True)
      b = torch.tensor([6., 4.], requires_grad=True)
      Q = 3*a**3 - b**2
      Q.backward(gradient=torch.tensor([1., 1.]))
      """)
    let call = try #require(calls.first)
    #expect(calls.count == 1 && call.kind == .backward && call.status == .ok)
    // The source is the statements that built the graph and ran the pass (what replay runs again).
    #expect(call.source == "Q = 3*a**3 - b**2\nQ.backward(gradient=torch.tensor([1., 1.]))" && call.line == 5)
    #expect(Self.tensors(call, "input") == [[2, 3], [6, 4]])
    #expect(call.tensors.filter { $0.role == "input" }.map(\.name) == ["a", "b"])
    #expect(Self.tensors(call, "cotangent") == [[1, 1]])
    #expect(Self.tensors(call, "output") == [[-12, 65]])
    #expect(Self.tensors(call, "grad") == [[36, 81], [-12, -8]])
    #expect(call.checks.map(\.name) == ["dot"] && call.checks[0].ok == true)
    #expect(call.timings.map(\.phase) == ["backward"])
  }

  @Test func gradRecordsItsInputsOnly() throws {
    let calls = try Self.calls("""
      import torch
      x = torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True)
      w = torch.tensor([3., 4.], dtype=torch.float64, requires_grad=True)
      (g,) = torch.autograd.grad((x * w).sum(), [x])
      """)
    let call = try #require(calls.first)
    #expect(call.kind == .grad && Self.tensors(call, "input") == [[1, 2]] && Self.tensors(call, "grad") == [[3, 4]])
    #expect(call.checks.first?.ok == true)
  }

  /// `is_grads_batched=True` is one run: the batched cotangents, the stacked gradients, a check on the first row.
  @Test func aBatchedGradIsOneRun() throws {
    let calls = try Self.calls("""
      import torch
      x = torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True)
      (jac,) = torch.autograd.grad(x.exp() * x, x, torch.eye(2, dtype=torch.float64), is_grads_batched=True)
      """)
    let call = try #require(calls.first)
    #expect(calls.count == 1 && call.kind == .grad && call.status == .ok)
    #expect(call.tensors.first { $0.role == "cotangent" }?.tensor.shape == [2, 2])
    let jacobian = try #require(call.tensors.first { $0.role == "grad" }?.tensor)
    #expect(jacobian.shape == [2, 2])
    // d(x·eˣ)/dx = (1 + x)·eˣ on the diagonal.
    #expect(jacobian.doubles == [2 * Foundation.exp(1.0), 0, 0, 3 * Foundation.exp(2.0)])
    #expect(call.checks.map(\.name) == ["dot"] && call.checks[0].ok == true)
  }

  @Test func aFailedBackwardIsRecordedAsFailed() throws {
    let calls = try Self.calls("""
      import torch
      x = torch.tensor([1., 2.], requires_grad=True)
      y = (x * x).sum()
      y.backward()
      try:
          y.backward()
      except RuntimeError as e:
          pass
      """)
    #expect(calls.map(\.status) == [.ok, .failed])
    #expect(calls[1].error?.hasPrefix("Trying to backward through the graph a second time") == true)
  }

  @Test func aDualLevelBlockIsOneForwardADRun() throws {
    let calls = try Self.calls("""
      import torch
      import torch.autograd.forward_ad as fwAD
      with fwAD.dual_level():
          d = fwAD.make_dual(torch.tensor([1., 2.]), torch.tensor([1., 0.]))
          u = fwAD.unpack_dual(d * d)
      """)
    let call = try #require(calls.first)
    #expect(calls.count == 1 && call.kind == .forwardAD)
    #expect(Self.tensors(call, "input") == [[1, 2]] && Self.tensors(call, "tangent") == [[1, 0]])
    #expect(Self.tensors(call, "output") == [[1, 4]] && Self.tensors(call, "jvp") == [[2, 0]])
    // The tangent against a central difference of d * d along [1, 0], traced back through the tape.
    #expect(call.checks.map(\.name) == ["fd"] && call.checks[0].ok == true)
    #expect(call.checks[0].maxAbs < 1e-4)
  }

  @Test func plainTensorCodeRecordsNothing() throws {
    let calls = try Self.calls("""
      import torch
      x = torch.rand(3)
      y = (x * 2).exp().sum()
      with torch.no_grad():
          z = torch.rand(2, requires_grad=True) * 2
      print(z.requires_grad, z.grad_fn)
      """)
    #expect(calls.isEmpty)
  }
}
