import Testing

@testable import JVPScript

/// `torch.tensor(...)` of Python numbers: ints keep all 64 bits and floats convert as PyTorch converts them.
/// Expected texts are what PyTorch 2.15 printed for the same lines.
@Suite struct TensorLiteralTests {
  func transcript(_ lines: String) throws -> String { try JVPScriptTests.transcript(lines, file: "literal.py") }

  @Test func intsAboveTwoToTheFiftyThreeStayExact() throws {
    #expect(try transcript("torch.tensor([2**60 + 1, 3])") == "tensor([1152921504606846977,                   3])\n")
    #expect(try transcript("torch.tensor(2**53 + 1)") == "tensor(9007199254740993)\n")
    #expect(try transcript("torch.tensor([[9007199254740993, -9007199254740993]])")
      == "tensor([[ 9007199254740993, -9007199254740993]])\n")
    #expect(try transcript("torch.tensor([2**63 - 1], dtype=torch.int64)") == "tensor([9223372036854775807])\n")
  }

  @Test func floatsTruncateTowardZeroIntoInt64() throws {
    #expect(try transcript("torch.tensor([1.7, -1.7], dtype=torch.int64)") == "tensor([ 1, -1])\n")
  }

  @Test func floatsThatDoNotFitInt64AreRefused() {
    for value in ["1e30", "float('nan')", "float('inf')"] {
      let error = #expect(throws: ScriptError.self) { try transcript("torch.tensor([\(value)], dtype=torch.int64)") }
      #expect(error?.message == "tensor(): value cannot be converted to type int64 without overflow")
    }
  }

  @Test func intsRoundOnceIntoFloatTensors() throws {
    #expect(try transcript("torch.tensor([16777217, 1.5])") == "tensor([1.6777e+07, 1.5000e+00])\n")
    #expect(try transcript("torch.tensor([2**60 + 1], dtype=torch.float64)") == "tensor([1.1529e+18], dtype=torch.float64)\n")
  }
}
