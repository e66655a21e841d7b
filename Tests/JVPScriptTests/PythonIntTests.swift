import Testing

@testable import JVPScript

/// Python ints: exact within 64 bits and, as `Value.wideInt`, up to 128; beyond, and where a 64-bit int is
/// needed, an error that says so rather than a wrapped value. Expected texts are what Python printed.
@Suite struct PythonIntTests {
  func transcript(_ lines: String) throws -> String { try JVPScriptTests.transcript(lines, file: "ints.py") }

  @Test func arithmeticIsExactBeyondSixtyFourBits() throws {
    #expect(try transcript("10 ** 20") == "100000000000000000000\n")
    #expect(try transcript("2 ** 63 - 1") == "9223372036854775807\n")
    #expect(try transcript("-(-9223372036854775807 - 1)") == "9223372036854775808\n")
    #expect(try transcript("(-9223372036854775807 - 1) // -1") == "9223372036854775808\n")
    #expect(try transcript("-(10 ** 20) // 7") == "-14285714285714285715\n")
    #expect(try transcript("2 ** 100") == "1267650600228229401496703205376\n")
    #expect(try transcript("abs(-9223372036854775807 - 1), abs(-(10 ** 20)), abs(True)")
      == "(9223372036854775808, 100000000000000000000, 1)\n")
    #expect(try transcript("10 ** 20 > 10 ** 19, 2 ** 63 == 2.0 ** 63") == "(True, True)\n")
  }

  @Test(arguments: [
    ("2 ** 127", "ints.py:2:3: integer overflow: the result does not fit in 128 bits, jvplab's widest int"),
    ("torch.ones(2) * 10 ** 20", "ints.py:2:15: int too big to convert"),
    ("torch.tensor([2 ** 64])", "ints.py:2:1: tensor(): Overflow when unpacking long"),
    ("[1, 2][2 ** 64]", "ints.py:2:8: list indices: 18446744073709551616 does not fit in 64 bits"),
  ])
  func beyondTheLimitsIsAnError(_ source: String, _ message: String) {
    let error = #expect(throws: ScriptError.self) { try transcript(source) }
    #expect(error.map { "\($0.file):\($0.location.line):\($0.location.column): \($0.message)" } == message)
  }
}
