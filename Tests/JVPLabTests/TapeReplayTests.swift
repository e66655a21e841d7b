import Foundation
import JVPLab
import JVPStore
import Testing

/// Replay of tape runs: a `backward`, `grad` or `forward_ad` run keeps the top-level statements that built its
/// graph and ran its pass, its leaves by name and the globals those statements (and the functions they call)
/// read; replay runs the statements again and records a child run whose tensors are bit-identical.
extension ReplayTests {
  @Test func replaysBackwardGradAndForwardADRuns() throws {
    let lab = try Lab()
    let runs = try recordScript(lab, "tape.py", """
      import torch
      import torch.autograd.forward_ad as fwAD
      torch.manual_seed(0)
      x = torch.rand(3, requires_grad=True)
      w = torch.rand(3)
      def f(a):
          return (a.sin() * w).sum()
      y = f(x) * 2
      y.backward()
      h = x.exp()
      g, = torch.autograd.grad(h.sum() + (h * h).mean(), x)
      p = torch.rand(3)
      with fwAD.dual_level():
          d = fwAD.make_dual(p, torch.ones(3))
          jv = fwAD.unpack_dual((d.sin() * 3).exp()).tangent

      """, runs: 3)
    #expect(runs.map(\.info.kind) == ["backward", "grad", "forward_ad"])
    let backward = try lab.detail(runs[0].id)
    #expect(backward.info.source == "y = f(x) * 2\ny.backward()")
    #expect(backward.tensors.filter { $0.role == "input" }.map(\.name) == ["x"])
    #expect(backward.tensors.filter { $0.role == "global" }.map(\.name) == ["w"])
    #expect(backward.functions["f"]?.hasPrefix("def f(a):") == true)
    #expect(try lab.detail(runs[1].id).info.source == "h = x.exp()\ng, = torch.autograd.grad(h.sum() + (h * h).mean(), x)")
    let forward = try lab.detail(runs[2].id)
    #expect(forward.info.source?.hasPrefix("with fwAD.dual_level():\n    d = fwAD.make_dual(p, torch.ones(3))") == true)
    #expect(forward.tensors.filter { $0.role == "global" }.map(\.name) == ["p"])
    for run in runs { try expectReplayIsIdentical(lab, run.id) }
  }

  /// A graph built inside a function is replayed through the top-level statement that called it.
  @Test func aTapeRunInsideAFunctionReplaysThroughItsCall() throws {
    let lab = try Lab()
    let runs = try recordScript(lab, "local.py", """
      import torch
      def step(scale):
          x = torch.ones(2, requires_grad=True)
          (x * scale).sin().sum().backward()
          return x.grad
      step(3.0)

      """, runs: 1)
    #expect(try lab.detail(runs[0].id).info.source == "step(3.0)")
    try expectReplayIsIdentical(lab, runs[0].id)
  }

  /// A torch.nn module differentiated directly is recorded by its repr; replay says it cannot rebuild it.
  @Test func aModuleRunSaysWhyItCannotBeReplayed() throws {
    let lab = try Lab()
    let runs = try recordScript(lab, "module.py", """
      import torch
      import torch.nn as nn
      from torch.autograd.functional import jacobian
      model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
      jacobian(model, torch.ones(3))

      """, runs: 1)
    let detail = try lab.detail(runs[0].id)
    #expect(detail.info.function == "Sequential")
    #expect(detail.info.source == "Sequential(\n  (0): Linear(in_features=3, out_features=2, bias=True)\n  (1): Tanh()\n)")
    let (status, output) = lab.replay("\(runs[0].id)")
    #expect(status == .usage)
    #expect(output.err == "jvplab: run \(runs[0].id) differentiated a torch.nn module (Sequential); replay cannot rebuild a module from its repr\n")
  }

  /// Passes made in a loop: each run's source ends in which of the statements' tape runs it is, and a leaf the
  /// loop updates in place is kept at its value before the loop (`leaf_start`); replay runs the loop again and
  /// keeps its counterpart, bit-identical, for an update loop and for a loop whose graph uses the loop variable.
  @Test func passesInALoopReplayAsTheirOwnIteration() throws {
    let lab = try Lab()
    let runs = try recordScript(lab, "loop.py", """
      import torch
      torch.manual_seed(0)
      w = torch.rand(3, requires_grad=True)
      x = torch.rand(3)
      for step in range(3):
          loss = ((w * x).sum() - 1) ** 2
          loss.backward()
          with torch.no_grad():
              w -= 0.1 * w.grad
          w.grad.zero_()
      for i in range(2):
          torch.autograd.grad((x.exp() * w ** (i + 1)).sum(), w)

      """, runs: 5)
    let second = try lab.detail(runs[1].id)
    #expect(second.info.source?.hasSuffix("\n# jvplab: tape run 2 of these statements") == true)
    #expect(second.tensors.filter { $0.role == "leaf_start" }.map(\.name) == ["w"])
    #expect(try lab.detail(runs[0].id).tensors.filter { $0.role == "leaf_start" }.isEmpty)
    #expect(try lab.detail(runs[3].id).tensors.filter { $0.role == "leaf_start" }.isEmpty)
    for run in runs { try expectReplayIsIdentical(lab, run.id) }
  }
}
