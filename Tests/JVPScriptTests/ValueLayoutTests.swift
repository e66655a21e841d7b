import Testing

@testable import JVPScript

/// The interpreter copies a `Value` on every read and write of a variable, so its size is part of the cost of
/// every loop iteration: rare large payloads (a tensor's provenance) are boxed in classes.
@Suite struct ValueLayoutTests {
  @Test func aValueIsAtMostFourWordsAndATag() {
    // The largest payloads are four words: `.boundMethod` (an operand and a name) and `.builtin` (a name and a
    // closure); `.tensor` is three (an operand and the provenance reference). Provenance inline made it 57 bytes.
    #expect(MemoryLayout<Value>.size <= 33)
    #expect(MemoryLayout<Value>.stride <= 48)
  }
}
