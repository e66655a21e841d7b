import Foundation
import JVPLab
import Testing

/// Notes on stderr about what a script does that jvplab shows differently from PyTorch. The transcript on
/// stdout stays as it is.
@Suite struct ScriptNoticeTests {
  /// PyTorch's create_graph=True results print a `grad_fn=<...>` suffix; jvplab's print without one and
  /// say so once per script, where the first such call is, with the same values.
  @Test func createGraphIsNotedOnceWhereItIsFirstUsed() throws {
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
    let values = "(tensor([2.7183, 7.3891]), tensor([2.7183, 7.3891]))\n"
    #expect(output.out == String(repeating: values, count: 3))
    let notes = output.err.split(separator: "\n").filter { $0.hasPrefix("jvplab: note: ") }
    #expect(notes == ["jvplab: note: \(path):5:1: create_graph=True: the results print without PyTorch's grad_fn=<...> suffix (jvplab records values, not autograd graphs)"])
  }
}
