import Foundation
import JVPLab
import Testing

/// Notes on stderr about what a script does that jvplab shows differently from PyTorch. The transcript on
/// stdout stays as it is.
@Suite struct ScriptNoticeTests {
  /// create_graph=True results print PyTorch's `grad_fn=<...>` suffix (the text is PyTorch 2.15's), so no note is due.
  @Test func createGraphResultsPrintTheirGradFnWithoutANote() throws {
    let lab = try Lab()
    let path = try lab.script("graph.py", """
      import torch
      from torch.autograd.functional import jvp, vjp
      x = torch.tensor([1., 2.])
      jvp(lambda t: t.exp(), x, torch.ones(2))
      jvp(lambda t: t.exp(), x, torch.ones(2), create_graph=True)
      vjp(lambda t: t.exp(), x, torch.ones(2), create_graph=True)

      """)
    let (status, output) = lab.run(script: path)
    #expect(status == .success)
    let graphed = "(tensor([2.7183, 7.3891], grad_fn=<ExpBackward0>),\n tensor([2.7183, 7.3891], grad_fn=<MulBackward0>))\n"
    #expect(output.out == "(tensor([2.7183, 7.3891]), tensor([2.7183, 7.3891]))\n" + graphed + graphed)
    #expect(!output.err.contains("note:"))
  }
}
