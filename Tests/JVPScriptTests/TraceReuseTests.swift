import Foundation
import JVPCore
import JVPScript
import Testing

/// Repeated autodiff calls reuse an identical earlier trace (`TraceStore`): they record what the first, freshly
/// traced call recorded, bit for bit, and a changed global or shape is traced afresh, never served the old trace.
@Suite struct TraceReuseTests {
  /// The calls a script recorded and what it printed.
  static func run(_ source: String) throws -> (calls: [RecordedCall], printed: String) {
    final class Transcript { var text = "" }
    let recorder = CollectingRecorder()
    let transcript = Transcript()
    let interpreter = Interpreter(file: "reuse.py", recorder: recorder) { transcript.text += $0 }
    try interpreter.run(bytes: Array(source.utf8))
    return (recorder.calls, transcript.text)
  }

  /// Each recorded tensor as role, index, name and element bits.
  static func rows(_ call: RecordedCall) -> [String] {
    call.tensors.map { "\($0.role)\($0.index) \($0.name ?? "-") \($0.tensor.shape) \($0.tensor.doubles.map(\.bitPattern))" }
  }

  @Test(arguments: ["jvp(f, x, v)", "vjp(f, x, torch.ones(4))", "jacobian(f, x)", "hessian(lambda x: f(x).sum(), x)"])
  func repeatedCallsRecordWhatTheFreshFirstCallRecorded(call: String) throws {
    // The scale 1.2345678 appears in no other test, so the first call's trace is fresh, the later ones reused.
    let (calls, printed) = try Self.run("""
      import torch
      from torch.autograd.functional import jvp, vjp, jacobian, hessian
      torch.manual_seed(0)
      x = torch.rand(4, 4)
      v = torch.ones(4, 4)
      scale = 1.2345678
      def f(x):
          print("traced")
          return (x.exp() * scale).sum(dim=1)
      for i in range(3):
          r = \(call)
      """)
    #expect(calls.count == 3 && calls.allSatisfy { $0.status == .ok })
    // The function still runs every call: what it prints is printed each time.
    #expect(printed.components(separatedBy: "traced").count - 1 == 3)
    for later in calls.dropFirst() {
      #expect(Self.rows(later) == Self.rows(calls[0]))
      #expect(later.checks == calls[0].checks && !later.checks.isEmpty)
      #expect(later.functions == calls[0].functions && later.source == calls[0].source)
    }
  }

  @Test func aChangedGlobalOrShapeIsTracedAfresh() throws {
    let calls = try Self.run("""
      import torch
      from torch.autograd.functional import jvp
      c = 2.0
      def f(x):
          return x * c
      jvp(f, torch.ones(2, 2), torch.ones(2, 2))
      c = 3.0
      jvp(f, torch.ones(2, 2), torch.ones(2, 2))
      c = 0.0
      jvp(f, torch.ones(2, 2), torch.ones(2, 2))
      c = -0.0
      jvp(f, torch.ones(2, 2), torch.ones(2, 2))
      jvp(f, torch.ones(3), torch.ones(3))
      """).calls
    let tangents = calls.map { $0.tensors.first { $0.role == "jvp" }!.tensor }
    #expect(tangents.map(\.shape) == [[2, 2], [2, 2], [2, 2], [2, 2], [3]])
    #expect(tangents.map { $0.doubles.map(\.bitPattern) } == [
      Array(repeating: 2.0.bitPattern, count: 4), Array(repeating: 3.0.bitPattern, count: 4),
      Array(repeating: 0.0.bitPattern, count: 4), Array(repeating: (-0.0).bitPattern, count: 4),
      Array(repeating: (-0.0).bitPattern, count: 3),
    ])
    #expect(calls.map { $0.tensors.first { $0.role == "global_number" }?.tensor.doubles } == [[2], [3], [0], [-0.0], [-0.0]])
  }
}
