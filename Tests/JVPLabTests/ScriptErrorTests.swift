import Foundation
import JVPLab
import JVPStore
import Testing

/// Script errors through `ScriptRun.run`: `SCRIPT:line:col: message`, the source line and a caret on
/// stderr, exit 2 for syntax and 3 for runtime errors, and runs recorded before the error kept.
@Suite struct ScriptErrorTests {
  /// Runs `source` as `bad.py` and checks the exit status and the exact error text on stderr.
  func expectError(_ source: String, status: ExitStatus, _ rendered: (String) -> String,
                   stdout: String = "", sourceLocation: SourceLocation = #_sourceLocation) throws {
    let lab = try Lab()
    let path = try lab.script("bad.py", source)
    let (actual, output) = lab.run(script: path)
    #expect(actual == status, sourceLocation: sourceLocation)
    #expect(output.err == rendered(path) + "\n", sourceLocation: sourceLocation)
    #expect(output.out == stdout, sourceLocation: sourceLocation)
  }

  @Test func syntaxErrorExitsTwoBeforeAnythingRuns() throws {
    try expectError("print('before')\nx = (1,\n", status: .usage) { path in
      """
      \(path):2:5: '(' was never closed
          x = (1,
              ^
      """
    }
  }

  @Test func syntaxErrorLeavesNoDatabase() throws {
    let lab = try Lab()
    let (status, _) = lab.run(script: try lab.script("bad.py", "x = (1,\n"))
    #expect(status == .usage)
    #expect(!FileManager.default.fileExists(atPath: lab.database))
  }

  @Test func unknownName() throws {
    try expectError("import torch\nprint('a')\ny = foo + 1\n", status: .runFailed, { path in
      """
      \(path):3:5: name 'foo' is not defined
          y = foo + 1
              ^
      """
    }, stdout: "a\n")
  }

  @Test func unknownModuleAttribute() throws {
    try expectError("import torch\ny = torch.foo(3)\n", status: .runFailed) { path in
      """
      \(path):2:11: module 'torch' has no attribute 'foo'
          y = torch.foo(3)
                    ^
      """
    }
  }

  @Test func unknownTensorMethod() throws {
    try expectError("import torch\nx = torch.ones(2)\nx.foo()\n", status: .runFailed) { path in
      """
      \(path):3:3: 'Tensor' object has no attribute 'foo'
          x.foo()
            ^
      """
    }
  }

  @Test(arguments: [
    ("class A:\n    pass\n", "class"),
    ("async def f():\n    pass\n", "async"),
    ("yield 1\n", "yield"),
  ])
  func unsupportedStatementIsASyntaxError(statement: String, keyword: String) throws {
    let firstLine = statement.prefix { $0 != "\n" }
    try expectError("import torch\n" + statement, status: .usage) { path in
      """
      \(path):2:1: unsupported statement '\(keyword)'
          \(firstLine)
          ^
      """
    }
  }

  @Test func unsupportedStatementInsideAFunctionBodyKeepsTabsUnderTheCaret() throws {
    try expectError("def f(x):\n\tclass C:\n\t\tpass\n", status: .usage) { path in
      "\(path):2:2: unsupported statement 'class'\n    \tclass C:\n    \t^"
    }
  }

  @Test func tooManyArgumentsToAUserFunction() throws {
    try expectError("def f(x):\n    return x\nf(1, 2)\n", status: .runFailed) { path in
      """
      \(path):3:1: f() takes 1 positional argument but 2 were given
          f(1, 2)
          ^
      """
    }
  }

  @Test func missingArgumentToAUserFunction() throws {
    try expectError("def f(x):\n    return x\nf()\n", status: .runFailed) { path in
      """
      \(path):3:1: f() missing 1 required positional argument: 'x'
          f()
          ^
      """
    }
  }

  @Test func tooManyArgumentsToALibraryMethod() throws {
    try expectError("import torch\ntorch.ones(2).exp(3)\n", status: .runFailed) { path in
      """
      \(path):2:1: exp() takes 0 positional arguments but 1 was given
          torch.ones(2).exp(3)
          ^
      """
    }
  }

  @Test func missingArgumentToALibraryFunction() throws {
    try expectError(
      "import torch\nfrom torch.autograd.functional import jvp\ndef f(x):\n    return x\njvp(f)\n", status: .runFailed
    ) { path in
      """
      \(path):5:1: jvp() missing required argument: 'inputs'
          jvp(f)
          ^
      """
    }
  }

  /// A shape error inside a differentiated function is located inside the function, the failing call is
  /// recorded as `failed` with the error, and the run recorded before it stays.
  @Test func shapeErrorInsideADifferentiatedFunction() throws {
    let lab = try Lab()
    let path = try lab.script("shapes.py", """
      import torch
      from torch.autograd.functional import jvp, jacobian
      torch.manual_seed(0)
      def f(x):
          return 2*x
      jacobian(f, torch.ones(2))
      def g(x):
          return x + torch.ones(3)
      jvp(g, torch.rand(2), torch.ones(2))
      print('after')

      """)
    let (status, output) = lab.run(script: path)
    #expect(status == .runFailed)
    let message = "\(path):8:14: The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"
    #expect(output.err == """
      \(message)
              return x + torch.ones(3)
                       ^
      jvplab: recorded 2 runs (1-2) in \(lab.database)

      """)
    // The transcript stops at the error: `print('after')` never ran.
    #expect(output.out.hasSuffix("tensor([[2., 0.],\n        [0., 2.]])\n"))
    #expect(!output.out.contains("after"))

    let runs = try lab.runs()
    #expect(runs.map(\.info.kind) == ["jacobian", "jvp"])
    #expect(runs.map(\.info.status) == [.ok, .failed])
    #expect(runs[0].info.error == nil)
    #expect(runs[1].info.error == message)
    #expect(runs[1].info.function == "g")
    #expect(runs[1].info.line == 9)
    let failed = try lab.detail(runs[1].id)
    #expect(failed.tensors.map(\.role) == ["input"])
    let jacobian = try lab.detail(runs[0].id)
    #expect(jacobian.tensor("jacobian")?.elements == .float32([2, 0, 0, 2]))
  }

  @Test func unreadableScriptIsAUsageError() throws {
    let lab = try Lab()
    let path = lab.directory.appendingPathComponent("nowhere.py").path
    let (status, output) = lab.run(script: path)
    #expect(status == .usage)
    #expect(output.err == "jvplab: cannot read script \(path): no such file\n")
  }
}
