import JVPCore
import JVPScript
import Testing

/// `line:column: message` of the syntax error for `source`, or a note that it parsed.
private func located(_ source: String) -> String {
  do {
    _ = try Parser.parse(source: source, file: "t.py")
    return "parsed"
  } catch {
    return "\(error.line):\(error.column): \(error.message)"
  }
}

/// Parsing either succeeds or throws a well-formed `ScriptError` that renders.
private func expectGracefulOutcome(_ outcome: () throws(ScriptError) -> Void, source: String) {
  do {
    try outcome()
  } catch {
    #expect(error.kind == .syntax)
    #expect(error.line >= 1 && error.column >= 1, "bad location for \(source.debugDescription)")
    #expect(!error.render(source: source).isEmpty)
  }
}

private func repeated(_ text: String, _ count: Int) -> String { String(repeating: text, count: count) }

@Suite("Parser robustness")
struct ParserRobustnessTests {
  @Test func tenThousandNestedParenthesesHitTheDepthLimit() {
    let source = repeated("(", 10_000) + "1" + repeated(")", 10_000)
    #expect(located(source) == "1:201: expression nested too deeply (limit 200)")
    #expect(located("x = " + repeated("(", 10_000)) == "1:205: expression nested too deeply (limit 200)")
  }

  @Test func nestingUpToTheLimitParses() throws {
    let depth = Parser.maximumNestingDepth
    #expect(located(repeated("(", depth) + "1" + repeated(")", depth)) == "parsed")
    #expect(located(repeated("(", depth + 1) + "1" + repeated(")", depth + 1)) == "1:201: expression nested too deeply (limit 200)")
    #expect(located(repeated("-", depth) + "x") == "parsed")
    #expect(located("x" + repeated(".a", depth)) == "parsed")
  }

  @Test(arguments: [
    repeated("-", 10_000) + "x",
    repeated("not ", 10_000) + "x",
    "x" + repeated(".a", 10_000),
    "f" + repeated("()", 10_000),
    "x" + repeated("[0]", 10_000),
    repeated("2**", 10_000) + "2",
    repeated("lambda: ", 10_000) + "0",
    repeated("a if b else ", 10_000) + "c",
    repeated("[", 10_000) + repeated("]", 10_000),
    repeated("f(", 10_000) + repeated(")", 10_000),
    "x[" + repeated("y[", 10_000) + "0" + repeated("]", 10_001),
    repeated("~+-(", 5_000) + "x" + repeated(")", 5_000),
  ])
  func deepNestingIsAnErrorNotACrash(source: String) {
    #expect(located(source).hasSuffix(": expression nested too deeply (limit 200)"))
  }

  @Test func deeplyNestedDefinitionsHitTheLimit() {
    var source = ""
    for level in 0..<300 {
      source += repeated(" ", level) + "def f():\n"
    }
    source += repeated(" ", 300) + "return 1\n"
    #expect(located(source) == "201:201: function definitions nested too deeply (limit 200)")
  }

  @Test func tenMegabyteLineParses() throws {
    let terms = 5_000_000
    let source = repeated("1+", terms - 1) + "1\n"
    #expect(source.utf8.count >= 10_000_000)
    let module = try Parser.parse(bytes: Array(source.utf8), file: "big.py")
    guard case .expression(let sum, _) = module.statements.first?.kind, case .binary(_, let links) = sum.kind else {
      Issue.record("unexpected tree")
      return
    }
    #expect(module.statements.count == 1)
    #expect(links.count == terms - 1)
    #expect(links.last?.operand.location == SourceLocation(line: 1, column: 2 * terms - 1))
  }

  @Test func errorAtTheEndOfATenMegabyteLineRendersAnExcerpt() {
    let source = "x = " + repeated("1+", 5_000_000)
    do {
      _ = try Parser.parse(source: source, file: "big.py")
      Issue.record("parsed a dangling '+'")
    } catch {
      #expect(error.description == "big.py:1:10000005: expected an expression, found end of line")
      let lines = error.render(source: source).split(separator: "\n")
      #expect(lines.count == 3)
      #expect(lines[1] == "    ..." + repeated("1+", 60))
      #expect(lines[2] == "    " + repeated(" ", 123) + "^")
    }
  }

  @Test(.timeLimit(.minutes(2)))
  func randomBytesNeverCrash() {
    var generator = SplitMix64(seed: 0x5EED_0001)
    let alphabet = Array(" \t\n\r()[]{}:,.;=+-*/%@<>!~&|^'\"\\#_0123456789abcdefjxoeEAZ".utf8)
      + [0x00, 0x0C, 0x80, 0xC3, 0xA9, 0xE2, 0x86, 0x92, 0xFF, 0xEF, 0xBB, 0xBF, 0xF0, 0x9F]
    for _ in 0..<3_000 {
      let count = Int.random(in: 0...120, using: &generator)
      let bytes = (0..<count).map { _ -> UInt8 in
        Bool.random(using: &generator)
          ? alphabet[Int.random(in: alphabet.indices, using: &generator)]
          : UInt8.random(in: 0...255, using: &generator)
      }
      let text = String(decoding: bytes, as: UTF8.self)
      expectGracefulOutcome({ () throws(ScriptError) in _ = try Parser.parse(bytes: bytes, file: "fuzz.py") }, source: text)
    }
  }

  @Test(.timeLimit(.minutes(2)))
  func randomTokenSoupsNeverCrash() {
    var generator = SplitMix64(seed: 0x5EED_0002)
    let vocabulary = [
      "x", "y", "f", "torch", "jvp", "def ", "lambda ", "return ", "pass", "import ", "from ", " as ",
      " if ", " else ", "for ", " not ", " and ", " or ", " in ", " is ", "None", "True", "1", "2.5",
      "1e-3", "0x1F", "1_0", "'s'", "\"t\"", "'''u\n'''", "r'\\d'", "'open", "(", ")", "[", "]", "{", "}",
      ",", ":", ";", ".", "...", "=", "==", "+", "-", "*", "**", "/", "//", "%", "@", "<", ">=", "!=",
      "~", "|", "&", "^", "->", "+=", ":=", "\\\n", "\n", "\n    ", "\n\t", "\n  ", "  ", "#c\n", " ",
      " ", " ", "\u{E9}", "$", "\r\n",
    ]
    for _ in 0..<3_000 {
      let count = Int.random(in: 0...60, using: &generator)
      let source = (0..<count).map { _ in vocabulary[Int.random(in: vocabulary.indices, using: &generator)] }
        .joined()
      expectGracefulOutcome({ () throws(ScriptError) in _ = try Parser.parse(source: source, file: "soup.py") }, source: source)
      expectGracefulOutcome({ () throws(ScriptError) in _ = try Parser.parseExpression(source, file: "soup") }, source: source)
    }
  }
}
