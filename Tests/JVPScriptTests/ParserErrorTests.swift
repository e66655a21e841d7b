import JVPScript
import Testing

/// The rendered syntax error for `source`, or a note that it parsed.
private func rendered(_ source: String) -> String {
  do {
    return "parsed: \(try Parser.parse(source: source, file: "t.py"))"
  } catch {
    #expect(error.kind == .syntax)
    return error.render(source: source)
  }
}

/// Just `line:column: message` of the syntax error for `source`.
private func located(_ source: String) -> String {
  do {
    return "parsed: \(try Parser.parse(source: source, file: "t.py"))"
  } catch {
    return "\(error.line):\(error.column): \(error.message)"
  }
}

@Suite("Parser errors")
struct ParserErrorTests {
  @Test(arguments: [
    // Strings.
    ("x = 'abc\ny = 2\n", "t.py:1:5: unterminated string literal\n    x = 'abc\n        ^"),
    ("x = \"\"\"abc\n\ny = 2\n", "t.py:1:5: unterminated triple-quoted string literal\n    x = \"\"\"abc\n        ^"),
    ("x = 'abc\\", "t.py:1:5: unterminated string literal\n    x = 'abc\\\n        ^"),
    ("x = r'abc\\'", "t.py:1:5: unterminated string literal\n    x = r'abc\\'\n        ^"),
    ("x = '\\x4'", "t.py:1:6: truncated \\xXX escape\n    x = '\\x4'\n         ^"),
    ("x = '\\N{DASH}'", "t.py:1:6: \\N{...} escapes are not supported\n    x = '\\N{DASH}'\n         ^"),
    ("print(f\"x={x\")", "t.py:1:11: f-string: expecting '}'\n    print(f\"x={x\")\n              ^"),
    ("print(f\"x={}\")", "t.py:1:11: f-string: valid expression required before '}'\n    print(f\"x={}\")\n              ^"),
    ("print(f\"x}\")", "t.py:1:10: f-string: single '}' is not allowed\n    print(f\"x}\")\n             ^"),
    ("b'abc'", "t.py:1:1: bytes literals are not supported\n    b'abc'\n    ^"),
    // Brackets.
    ("x = torch.rand(4,\n", "t.py:1:15: '(' was never closed\n    x = torch.rand(4,\n                  ^"),
    ("x = f(1, 2\ny = 3\nz = 4\n", "t.py:1:6: '(' was never closed\n    x = f(1, 2\n         ^"),
    ("x = [f(1),\n     g(2\ny = 3\n", "t.py:2:7: '(' was never closed\n         g(2\n          ^"),
    ("x = f(1, 2]\n", "t.py:1:11: closing parenthesis ']' does not match opening parenthesis '('\n    x = f(1, 2]\n              ^"),
    ("x = [1,\n  2)\n", "t.py:2:4: closing parenthesis ')' does not match opening parenthesis '[' on line 1\n      2)\n       ^"),
    ("x = 1)\n", "t.py:1:6: unmatched ')'\n    x = 1)\n         ^"),
    ("f(x y)", "t.py:1:5: expected ',' or ')' in the call, found 'y'\n    f(x y)\n        ^"),
    // Indentation.
    ("x = 1\n    y = 2\n", "t.py:2:5: unexpected indent\n        y = 2\n        ^"),
    ("def f(x):\n    y = x\n        return y\n", "t.py:3:9: unexpected indent\n            return y\n            ^"),
    ("def f(x):\n    y = x\n  return y\n", "t.py:3:3: unindent does not match any outer indentation level\n      return y\n      ^"),
    ("def f(x):\n    y = x\n\treturn y\n", "t.py:3:2: inconsistent use of tabs and spaces in indentation\n    \treturn y\n    \t^"),
    ("def f(x):\n\ty = x\n        return y\n", "t.py:3:9: inconsistent use of tabs and spaces in indentation\n            return y\n            ^"),
    ("def f(x):\nreturn x\n", "t.py:2:1: expected an indented block after function definition on line 1\n    return x\n    ^"),
    ("def f(x):\n", "t.py:2:1: expected an indented block after function definition on line 1\n    \n    ^"),
    // Characters and encoding.
    ("x = 3 $ 4", "t.py:1:7: invalid character '$' (U+0024)\n    x = 3 $ 4\n          ^"),
    ("x = a \u{2192} b", "t.py:1:7: invalid character '\u{2192}' (U+2192)\n    x = a \u{2192} b\n          ^"),
    ("x = 1\u{A0}+ 2", "t.py:1:6: invalid non-printable character U+00A0\n    x = 1\u{A0}+ 2\n         ^"),
    ("x = '\u{E9}' ? 1", "t.py:1:9: invalid character '?' (U+003F)\n    x = '\u{E9}' ? 1\n            ^"),
    ("x = 1 \\ 2", "t.py:1:7: unexpected character after line continuation character\n    x = 1 \\ 2\n          ^"),
    // Numbers.
    ("x = 1abc", "t.py:1:5: invalid decimal literal\n    x = 1abc\n        ^"),
    ("x = 012", "t.py:1:5: leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers\n    x = 012\n        ^"),
    ("x = 2j", "t.py:1:5: imaginary literals are not supported\n    x = 2j\n        ^"),
    ("x = 0x", "t.py:1:5: invalid hexadecimal literal\n    x = 0x\n        ^"),
    ("x = 1__0", "t.py:1:5: invalid decimal literal\n    x = 1__0\n        ^"),
    ("x = 99999999999999999999", "t.py:1:5: integer literal is too large (limit 2**63 - 1)\n    x = 99999999999999999999\n        ^"),
    // Unsupported statements.
    ("for i in x:\npass\n", "t.py:2:1: expected an indented block after 'for' statement on line 1\n    pass\n    ^"),
    ("def f(x):\n    class C:\n        pass\n", "t.py:2:5: unsupported statement 'class'\n        class C:\n        ^"),
    ("x = 1; while x: pass", "t.py:1:8: 'while' must start a new line\n    x = 1; while x: pass\n           ^"),
    ("(a, b) += 1", "t.py:1:1: 'tuple' is an illegal expression for augmented assignment\n    (a, b) += 1\n    ^"),
    ("break", "t.py:1:1: 'break' outside loop\n    break\n    ^"),
    ("def f():\n    for x in y:\n        def g():\n            continue\n", "t.py:4:13: 'continue' outside loop\n                continue\n                ^"),
    ("try:\n    pass\nx = 1\n", "t.py:3:1: expected 'except' or 'finally' block, found 'x'\n    x = 1\n    ^"),
    ("@cache\ndef f(): pass", "t.py:1:1: unsupported statement '@' (decorator)\n    @cache\n    ^"),
    ("x: int = 1", "t.py:1:2: unsupported statement ':' (annotated assignment)\n    x: int = 1\n     ^"),
    ("return 1", "t.py:1:1: 'return' outside function\n    return 1\n    ^"),
    // Expressions.
    ("x = 1 +\n", "t.py:1:8: expected an expression, found end of line\n    x = 1 +\n           ^"),
    ("x = 1 2", "t.py:1:7: expected end of line, found '2'\n    x = 1 2\n          ^"),
    ("x = a if b", "t.py:1:11: expected 'else' in the conditional expression, found end of line\n    x = a if b\n              ^"),
    ("f(dim=1, dim=2)", "t.py:1:10: keyword argument repeated: 'dim'\n    f(dim=1, dim=2)\n             ^"),
    ("f(dim=1, x)", "t.py:1:10: positional argument follows keyword argument\n    f(dim=1, x)\n             ^"),
    ("f(**k, x)", "t.py:1:8: positional argument follows keyword argument unpacking\n    f(**k, x)\n           ^"),
    ("f(**k, *a)", "t.py:1:8: iterable argument unpacking follows keyword argument unpacking\n    f(**k, *a)\n           ^"),
    ("f(x.y=1)", "t.py:1:3: expression cannot contain assignment, perhaps you meant \"==\"?\n    f(x.y=1)\n      ^"),
    ("f(x) = 1", "t.py:1:1: cannot assign to function call\n    f(x) = 1\n    ^"),
    ("a, 1 = t", "t.py:1:4: cannot assign to literal\n    a, 1 = t\n       ^"),
    ("f(x) = 1", "t.py:1:1: cannot assign to function call\n    f(x) = 1\n    ^"),
    ("[*x for x in y]", "t.py:1:2: iterable unpacking cannot be used in comprehension\n    [*x for x in y]\n     ^"),
    ("f(x for x in y, 1)", "t.py:1:3: Generator expression must be parenthesized\n    f(x for x in y, 1)\n      ^"),
    ("a = *b", "t.py:1:5: can't use starred expression here\n    a = *b\n        ^"),
    ("a, *b, *c = d", "t.py:1:8: multiple starred expressions in assignment\n    a, *b, *c = d\n           ^"),
    ("x = 1 + lambda: 2", "t.py:1:9: a lambda must be parenthesized here\n    x = 1 + lambda: 2\n            ^"),
    ("x = a not b", "t.py:1:11: expected 'in' after 'not', found 'b'\n    x = a not b\n              ^"),
    ("x = yield 1", "t.py:1:5: unsupported expression 'yield'\n    x = yield 1\n        ^"),
    ("x = (y := 1)", "t.py:1:8: expected ',' or ')', found ':='\n    x = (y := 1)\n           ^"),
    ("x.1", "t.py:1:2: expected end of line, found '.1'\n    x.1\n     ^"),
    // Definitions and imports.
    ("def f(x, x): pass", "t.py:1:10: duplicate argument 'x' in function definition\n    def f(x, x): pass\n             ^"),
    ("def f(x=1, y): pass", "t.py:1:12: parameter without a default follows parameter with a default\n    def f(x=1, y): pass\n               ^"),
    ("def f(**kw, x): pass", "t.py:1:13: arguments cannot follow var-keyword argument\n    def f(**kw, x): pass\n                ^"),
    ("def f(*): pass", "t.py:1:7: named arguments must follow bare *\n    def f(*): pass\n          ^"),
    ("def f(x) return x", "t.py:1:10: expected ':', found 'return'\n    def f(x) return x\n             ^"),
    ("x = 1; def f(): pass", "t.py:1:8: 'def' must start a new line\n    x = 1; def f(): pass\n           ^"),
    ("from . import x", "t.py:1:6: relative imports are not supported\n    from . import x\n         ^"),
    ("from torch import *", "t.py:1:19: 'from torch import *' is not supported; name the imports\n    from torch import *\n                      ^"),
    ("from torch import", "t.py:1:18: expected a name to import, found end of line\n    from torch import\n                     ^"),
    ("import torch as", "t.py:1:16: expected a name after 'as', found end of line\n    import torch as\n                   ^"),
  ])
  func renderedMessage(source: String, expected: String) {
    #expect(rendered(source) == expected)
  }

  @Test(arguments: ["class", "async", "yield", "await"])
  func unsupportedStatementIsNamed(keyword: String) {
    #expect(located("x = 1\n\(keyword) something\n") == "2:1: unsupported statement '\(keyword)'")
    #expect(located("def f(x):\n    y = x\n    \(keyword) y\n") == "3:5: unsupported statement '\(keyword)'")
  }

  @Test(arguments: ["+=", "-=", "*=", "/=", "//=", "%=", "@=", "**=", "|=", "^=", "&=", "<<=", ">>="])
  func augmentedAssignmentTakesEveryOperator(op: String) {
    #expect(located("x[0].y \(op) 1") == "parsed: x[0].y \(op) 1")
    #expect(located("x, y \(op) 1") == "1:1: 'tuple' is an illegal expression for augmented assignment")
  }

  @Test func invalidUTF8IsLocatedAtTheFirstBadByte() {
    let cases: [([UInt8], String)] = [
      (Array("x = 1\ny = 'caf".utf8) + [0xC3] + Array("'\n".utf8), "2:9: invalid UTF-8 byte 0xC3 (invalid continuation byte)"),
      (Array("\u{E9} = ".utf8) + [0xFF], "1:5: invalid UTF-8 byte 0xFF (not a valid start byte)"),
      (Array("a\r\nb".utf8) + [0xE2, 0x82], "2:2: invalid UTF-8 byte 0xE2 (truncated sequence)"),
      ([0xC0, 0xAF], "1:1: invalid UTF-8 byte 0xC0 (not a valid start byte)"),
      ([0xE0, 0x80, 0xAF], "1:1: invalid UTF-8 byte 0xE0 (overlong encoding)"),
      ([0x78, 0xED, 0xA0, 0x80], "1:2: invalid UTF-8 byte 0xED (not a Unicode scalar value)"),
      ([0xF4, 0x90, 0x80, 0x80], "1:1: invalid UTF-8 byte 0xF4 (not a Unicode scalar value)"),
      ([0xEF, 0xBB, 0xBF, 0x78, 0x80], "1:2: invalid UTF-8 byte 0x80 (not a valid start byte)"),
    ]
    for (bytes, expected) in cases {
      do {
        _ = try Parser.parse(bytes: bytes, file: "t.py")
        Issue.record("parsed invalid UTF-8 \(bytes)")
      } catch {
        #expect("\(error.line):\(error.column): \(error.message)" == expected)
      }
    }
  }

  @Test func invalidUTF8RendersWithReplacementCharacter() {
    let bytes = Array("x = 1\ny = 'caf".utf8) + [0xC3] + Array("'\n".utf8)
    do {
      _ = try Parser.parse(bytes: bytes, file: "t.py")
      Issue.record("parsed invalid UTF-8")
    } catch {
      #expect(error.render(source: String(decoding: bytes, as: UTF8.self)) == """
        t.py:2:9: invalid UTF-8 byte 0xC3 (invalid continuation byte)
            y = 'caf\u{FFFD}'
                    ^
        """)
    }
  }

  @Test func standaloneExpressionErrors() {
    let cases = [
      ("x = 1", "--fn:1:3: expected the end of the expression, found '='"),
      ("", "--fn:1:1: expected an expression, found end of file"),
      ("x.exp(", "--fn:1:6: '(' was never closed"),
      ("x\ny", "--fn:2:1: expected the end of the expression, found 'y'"),
    ]
    for (source, expected) in cases {
      do {
        _ = try Parser.parseExpression(source, file: "--fn")
        Issue.record("parsed \(source)")
      } catch {
        #expect(error.description == expected)
      }
    }
  }

  @Test func renderCutsLongLinesAroundTheColumn() {
    let error = ScriptError(file: "t.py", line: 1, column: 501, message: "boom", kind: .runtime)
    let line = String(repeating: "a", count: 500) + "X" + String(repeating: "b", count: 500)
    #expect(error.render(source: line) == """
      t.py:1:501: boom
          ...\(String(repeating: "a", count: 60))X\(String(repeating: "b", count: 59))...
          \(String(repeating: " ", count: 63))^
      """)
    let start = ScriptError(file: "t.py", line: 1, column: 2, message: "boom", kind: .syntax)
    #expect(start.render(source: line).split(separator: "\n")[1] == "    a" + String(repeating: "a", count: 119) + "...")
  }

  @Test func renderPastTheEndShowsAnEmptyLine() {
    let error = ScriptError(file: "s.py", line: 9, column: 3, message: "late", kind: .runtime)
    #expect(error.render(source: "x = 1\n") == "s.py:9:3: late\n    \n    ^")
    let wide = ScriptError(file: "s.py", line: 1, column: Int.max, message: "far", kind: .runtime)
    #expect(wide.render(source: "x = 1\n") == "s.py:1:\(Int.max): far\n    x = 1\n         ^")
    #expect(error.description == "s.py:9:3: late")
  }
}
