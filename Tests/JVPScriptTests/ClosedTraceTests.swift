import Foundation
import JVPCore
import Testing

@testable import JVPScript

/// A function that reads nothing from outside itself is traced once per source, parameters and input types
/// (`ClosedTraces`); every other function is traced every call, so what it prints, draws and reads happens as
/// under PyTorch.
@Suite struct ClosedTraceTests {
  /// The calls a script recorded, what it printed, and how many closed traces its interpreter kept.
  static func run(_ source: String) throws -> (calls: [RecordedCall], printed: String, kept: Int) {
    final class Transcript { var text = "" }
    let recorder = CollectingRecorder()
    let transcript = Transcript()
    let interpreter = Interpreter(file: "closed.py", recorder: recorder) { transcript.text += $0 }
    try interpreter.run(bytes: Array(source.utf8))
    return (recorder.calls, transcript.text, interpreter.closedTraces.count)
  }

  static let prelude = """
    import torch
    from torch.autograd.functional import jvp, vjp
    torch.manual_seed(0)
    x = torch.rand(4, 4)
    v = torch.ones(4, 4)

    """

  @Test(arguments: [
    "def f(x):\n    return x.exp().sum(dim=1)", "f = lambda x: (x * x).sin().sum()",
    "def f(x):\n    def g(y):\n        return y.exp()\n    return g(x).sum(dim=0) * 2.0",
  ])
  func aClosedFunctionIsKeptOnceAndRecordsWhatItsFirstCallRecorded(definition: String) throws {
    let (calls, _, kept) = try Self.run(Self.prelude + definition + "\nfor i in range(3):\n    jvp(f, x, v)\n")
    #expect(kept == 1)
    #expect(calls.count == 3 && calls.allSatisfy { $0.status == .ok })
    for later in calls.dropFirst() {
      #expect(TraceReuseTests.rows(later) == TraceReuseTests.rows(calls[0]))
      #expect(later.checks == calls[0].checks && !later.checks.isEmpty)
      #expect(later.source == calls[0].source && later.functions.isEmpty)
    }
  }

  @Test func anotherShapeOrDtypeIsTracedAfresh() throws {
    let (calls, _, kept) = try Self.run(Self.prelude + """
      def f(x):
          return x.exp().sum(dim=1)
      for n in [2, 3, 2]:
          jvp(f, torch.ones(n, n), torch.ones(n, n))
      jvp(f, torch.ones(2, 2, dtype=torch.float64), torch.ones(2, 2, dtype=torch.float64))
      """)
    #expect(kept == 3)
    let tangents = calls.map { $0.tensors.first { $0.role == "jvp" }!.tensor }
    #expect(tangents.map(\.shape) == [[2], [3], [2], [2]])
    #expect(tangents.map(\.dtype) == [.float32, .float32, .float32, .float64])
    #expect(tangents[0].doubles.map(\.bitPattern) == tangents[2].doubles.map(\.bitPattern))
  }

  @Test func aFunctionThatReadsAGlobalIsTracedEveryCall() throws {
    let (calls, _, kept) = try Self.run(Self.prelude + """
      c = 2.0
      def f(x):
          return x * c
      for value in [2.0, 3.0, -0.0]:
          c = value
          jvp(f, torch.ones(2, 2), torch.ones(2, 2))
      """)
    #expect(kept == 0)
    let tangents = calls.map { $0.tensors.first { $0.role == "jvp" }!.tensor.doubles.map(\.bitPattern) }
    #expect(tangents == [2.0, 3.0, -0.0].map { Array(repeating: $0.bitPattern, count: 4) })
  }

  @Test func aFunctionThatPrintsOrCallsABuiltinIsTracedEveryCall() throws {
    let (_, printed, kept) = try Self.run(Self.prelude + """
      def f(x):
          print("traced", len(x))
          return x.exp().sum(dim=1)
      for i in range(3):
          jvp(f, x, v)
      """)
    #expect(kept == 0)
    #expect(printed.components(separatedBy: "traced 4").count - 1 == 3)
  }

  @Test func aFunctionThatDrawsIsTracedEveryCall() throws {
    let (calls, _, kept) = try Self.run(Self.prelude + """
      def f(x):
          return x * torch.rand(4, 4)
      for i in range(2):
          jvp(f, x, v)
      """)
    #expect(kept == 0)
    let tangents = calls.map { $0.tensors.first { $0.role == "jvp" }!.tensor.doubles }
    #expect(tangents.count == 2 && tangents[0] != tangents[1])
  }

  @Test func closuresOfTheSameSourceOverDifferentValuesAreTracedEveryCall() throws {
    let (calls, _, kept) = try Self.run(Self.prelude + """
      def scaled(k):
          return lambda x: x * k
      for g in [scaled(1.0), scaled(2.0)]:
          jvp(g, torch.ones(2), torch.ones(2))
      """)
    #expect(kept == 0)
    let tangents = calls.map { $0.tensors.first { $0.role == "jvp" }!.tensor.doubles }
    #expect(tangents == [[1, 1], [2, 2]])
  }
}
