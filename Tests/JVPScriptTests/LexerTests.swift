import Testing

@testable import JVPScript

/// Lexes `source` to the end and shows each token compactly: `name:x`, `int:1`, `'('`, `NEWLINE`,
/// `INDENT`, `DEDENT`, `EOF`, each followed by `@line:column`.
private func tokens(_ source: String, indentation: Bool = true) throws -> [String] {
  var lexer = Lexer(source: SourceText.scalars(of: source), file: "t.py", tracksIndentation: indentation)
  var result: [String] = []
  while true {
    let token = try lexer.next()
    let text: String
    switch token.kind {
    case .name(let name): text = "name:\(name)"
    case .keyword(let keyword): text = "kw:\(keyword.rawValue)"
    case .integer(let value): text = "int:\(value)"
    case .float(let value): text = "float:\(value)"
    case .string(let value): text = "str:\(value)"
    case .formattedString(let pieces): text = "fstr:\(pieces.count)"
    case .punctuator(let punctuator): text = "'\(punctuator.rawValue)'"
    case .newline: text = "NEWLINE"
    case .indent: text = "INDENT"
    case .dedent: text = "DEDENT"
    case .endOfFile: text = "EOF"
    }
    result.append("\(text)@\(token.location)")
    if token.kind == .endOfFile { return result }
  }
}

/// Just the token texts, without locations.
private func kinds(_ source: String, indentation: Bool = true) throws -> [String] {
  try tokens(source, indentation: indentation).map { String($0[..<($0.lastIndex(of: "@") ?? $0.endIndex)]) }
}

@Suite("Lexer")
struct LexerTests {
  @Test func blockStructureProducesIndentAndDedent() throws {
    let source = "def f(x):\n    y = x\n\n    # note\n    return y\nz = 1\n"
    #expect(try tokens(source) == [
      "kw:def@1:1", "name:f@1:5", "'('@1:6", "name:x@1:7", "')'@1:8", "':'@1:9", "NEWLINE@1:10",
      "INDENT@2:5", "name:y@2:5", "'='@2:7", "name:x@2:9", "NEWLINE@2:10",
      "kw:return@5:5", "name:y@5:12", "NEWLINE@5:13",
      "DEDENT@6:1", "name:z@6:1", "'='@6:3", "int:1@6:5", "NEWLINE@6:6", "EOF@7:1",
    ])
  }

  @Test func endOfFileClosesLineAndBlocks() throws {
    #expect(try kinds("def f(x):\n    return x") == [
      "kw:def", "name:f", "'('", "name:x", "')'", "':'", "NEWLINE", "INDENT", "kw:return", "name:x",
      "NEWLINE", "DEDENT", "EOF",
    ])
    #expect(try kinds("") == ["EOF"])
    #expect(try kinds("\n\n  # only a comment\n") == ["EOF"])
  }

  @Test func severalDedentsAtOnce() throws {
    let source = "def f():\n  def g():\n    return 1\n  return g\nx\n"
    #expect(try kinds(source).filter { $0 == "INDENT" || $0 == "DEDENT" } == [
      "INDENT", "INDENT", "DEDENT", "DEDENT",
    ])
    #expect(try kinds("def f():\n  def g():\n    return 1\nx\n").suffix(6) == [
      "NEWLINE", "DEDENT", "DEDENT", "name:x", "NEWLINE", "EOF",
    ])
  }

  @Test func bracketsAndBackslashesJoinLines() throws {
    #expect(try kinds("f(1,\n    2)\n") == ["name:f", "'('", "int:1", "','", "int:2", "')'", "NEWLINE", "EOF"])
    #expect(try kinds("x = 1 + \\\n  2\n") == ["name:x", "'='", "int:1", "'+'", "int:2", "NEWLINE", "EOF"])
    #expect(try tokens("[1,\n 2]")[3] == "int:2@2:2")
  }

  @Test func lineBreakStyles() throws {
    #expect(try tokens("a\r\nb\rc\n") == [
      "name:a@1:1", "NEWLINE@1:2", "name:b@2:1", "NEWLINE@2:2", "name:c@3:1", "NEWLINE@3:2", "EOF@4:1",
    ])
  }

  @Test func columnsCountUnicodeScalars() throws {
    #expect(try tokens("'\u{E9}' + x")[2] == "name:x@1:7")
    #expect(try tokens("'e\u{301}' + x")[2] == "name:x@1:8")
    #expect(try tokens("\u{03B1}\u{03B2} = 1")[0] == "name:\u{03B1}\u{03B2}@1:1")
    #expect(try tokens("\u{FEFF}x")[0] == "name:x@1:1")
  }

  @Test func operatorsUseLongestMatch() throws {
    let source = "a**=b//c->d:=e<<=f>>g!=h<=i>=j==k...l.m@n"
    #expect(try kinds(source, indentation: false).filter { $0.hasPrefix("'") } == [
      "'**='", "'//'", "'->'", "':='", "'<<='", "'>>'", "'!='", "'<='", "'>='", "'=='", "'...'", "'.'", "'@'",
    ])
  }

  @Test func numbers() throws {
    #expect(try kinds("1_000 0x_FF 0o17 0b101 0 00 0_0 9223372036854775807", indentation: false).dropLast(2) == [
      "int:1000", "int:255", "int:15", "int:5", "int:0", "int:0", "int:0", "int:9223372036854775807",
    ])
    #expect(try kinds("1. .5 1e-3 2.5E+4 1_0.5e1_0 0.0 007.5 1.e2", indentation: false).dropLast(2) == [
      "float:1.0", "float:0.5", "float:0.001", "float:25000.0", "float:105000000000.0", "float:0.0",
      "float:7.5", "float:100.0",
    ])
  }

  @Test func strings() throws {
    let escaped = #"'a\nb\t\x41\u00e9\U0001F600\101\q\'' "d\"q""#
    #expect(try kinds(escaped) == ["str:a\nb\tA\u{E9}\u{1F600}A\\q'", "str:d\"q", "NEWLINE", "EOF"])
    #expect(try kinds(#"r'\n\'' R"\d" u'x'"#) == [#"str:\n\'"#, #"str:\d"#, "str:x", "NEWLINE", "EOF"])
    #expect(try kinds("'''a\r\n'b''\"\"\"c'''") == ["str:a\n'b''\"\"\"c", "NEWLINE", "EOF"])
    #expect(try kinds("'a\\\nb' x") == ["str:ab", "name:x", "NEWLINE", "EOF"])
    #expect(try tokens("'''\n\n''' x")[1] == "name:x@3:5")
  }

  @Test func keywordsAndSoftKeywords() throws {
    #expect(try kinds("True None lambda match type _ not") == [
      "kw:True", "kw:None", "kw:lambda", "name:match", "name:type", "name:_", "kw:not", "NEWLINE", "EOF",
    ])
  }

  @Test func expressionModeIgnoresIndentation() throws {
    #expect(try kinds("   x\n", indentation: false) == ["name:x", "NEWLINE", "EOF"])
  }

  @Test func endOfFileRepeats() throws {
    var lexer = Lexer(source: SourceText.scalars(of: "x"), file: "t.py", tracksIndentation: true)
    for _ in 0..<3 { _ = try lexer.next() }
    #expect(try lexer.next().kind == .endOfFile)
    #expect(try lexer.next().kind == .endOfFile)
  }
}
