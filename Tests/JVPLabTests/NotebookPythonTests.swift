import Foundation
import JVPLab
import JVPStore
import Testing

/// Notebook Python end to end: autodiff calls inside loops and functions are one run each with the line of
/// the call, a failed `assert` or an uncaught `raise` is a script error that keeps the runs before it, and
/// SIGINT stops a loop that never ends.
@Suite struct NotebookPythonTests {
  @Test func everyCallInALoopOrFunctionIsARunWithItsLine() throws {
    let lab = try Lab()
    let path = try lab.script("loop.py", """
      import torch
      from torch.autograd.functional import jacobian, jvp
      def f(x):
          return (x ** 2).sum()
      def both(x):
          return jvp(f, x, torch.ones_like(x))
      for n in [2, 3, 4]:
          jacobian(f, torch.ones(n))
      results = [both(torch.ones(n)) for n in range(1, 3)]
      i = 0
      while i < 2:
          i += 1
          jvp(f, torch.ones(i), torch.ones(i))

      """)
    let (status, output) = lab.run(script: path)
    #expect(status == .success, "\(output.err)")
    let runs = try lab.runs()
    #expect(runs.map(\.info.kind) == ["jacobian", "jacobian", "jacobian", "jvp", "jvp", "jvp", "jvp"])
    #expect(runs.map(\.info.line) == [8, 8, 8, 6, 6, 13, 13])
    #expect(runs.map(\.inputElements) == [2, 3, 4, 1, 2, 1, 2])
  }

  @Test func aFailedAssertIsAnAssertionErrorThatKeepsEarlierRuns() throws {
    let lab = try Lab()
    let path = try lab.script("check.py", """
      import torch
      from torch.autograd.functional import jacobian
      J = jacobian(lambda x: x.exp(), torch.zeros(2))
      assert J.sum().item() == 2.0
      err = 0.5
      assert err < 1e-3, f"error too large: {err:.2e}"
      print("not reached")

      """)
    let (status, output) = lab.run(script: path)
    #expect(status == .runFailed)
    #expect(output.err.hasPrefix("\(path):6:1: AssertionError: error too large: 5.00e-01\n"), "\(output.err)")
    #expect(output.out == "")
    #expect(try lab.runs().map(\.info.status) == [.ok])
  }

  @Test func anUncaughtRaiseNamesItsType() throws {
    let lab = try Lab()
    let path = try lab.script("raise.py", "def f(x):\n    raise ValueError(f'bad x: {x}')\nf(3)\n")
    let (status, output) = lab.run(script: path)
    #expect(status == .runFailed)
    #expect(output.err.hasPrefix("\(path):2:11: ValueError: bad x: 3\n"), "\(output.err)")
  }

  @Test func runawayRecursionIsARecursionErrorNotACrash() throws {
    let lab = try Lab()
    let path = try lab.script("deep.py", "def f(n):\n    return f(n + 1)\ntry:\n    f(0)\nexcept RecursionError:\n    print('caught')\nf(0)\n")
    let (status, output) = lab.run(script: path)
    #expect(status == .runFailed)
    #expect(output.out == "caught\n")
    #expect(output.err.contains("maximum recursion depth exceeded"), "\(output.err)")
  }

  @Test(.timeLimit(.minutes(2)))
  func sigintStopsAnEndlessLoopAndKeepsTheRuns() throws {
    let directory = try ScratchDirectory("sigint-loop")
    defer { directory.remove() }
    try directory.write("forever.py", """
      import torch
      from torch.autograd.functional import jvp
      jvp(lambda x: x.exp(), torch.ones(3), torch.ones(3))
      n = 0
      while True:
          n += 1

      """)
    let process = try JVPLabProcess(["run", "forever.py", "--db", "lab.db"], in: directory.url)
    process.waitForRuns(1, in: directory)
    process.signal(SIGINT)
    let outcome = process.wait(timeout: 30)
    #expect(outcome.status == 130, "exit \(outcome.status): \(outcome.stderr)")
    #expect(outcome.stderr.contains("forever.py:"), "the interruption names where it stopped: \(outcome.stderr)")
    let store = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
    #expect(try store.runs(matching: RunQuery()).map(\.info.status) == [.ok])
  }
}
