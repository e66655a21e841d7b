import Foundation
import JVPLab
import JVPStore
import Testing

/// Every script in `examples/` runs to the end and records one ok run per autodiff call, so the
/// examples a user tries first never break.
@Suite struct ExampleScriptTests {
  static let expectedRuns = [
    "seed_notebook.py": 13, "multi_output.py": 3, "rosenbrock_hessian.py": 3, "jacobian_strategies.py": 3,
    "softmax_attention.py": 4,
  ]

  @Test func everyExampleIsCovered() throws {
    #expect(Set(try Examples.all().map(\.lastPathComponent)) == Set(Self.expectedRuns.keys))
  }

  @Test(arguments: expectedRuns.keys.sorted())
  func runsToTheEnd(_ name: String) throws {
    let lab = try Lab()
    let output = Capture()
    let status = ScriptRun.run(
      path: Examples.directory.appendingPathComponent(name).path, options: RunOptions(database: lab.database),
      console: output.console)
    #expect(status == .success, "\(output.err)")
    let runs = try RunStore.open(path: lab.database, mode: .readOnly).runs(matching: RunQuery())
    #expect(runs.count == Self.expectedRuns[name])
    #expect(runs.allSatisfy { $0.info.status == .ok && $0.checks.allSatisfy(\.ok) })
  }
}
