import Foundation
import JVPScript
import Testing

/// The text of a reference script from the test bundle's fixtures.
func referenceScript(_ name: String) throws -> String {
  let url = try #require(Bundle.module.url(forResource: name, withExtension: "py", subdirectory: "Fixtures"))
  return try String(contentsOf: url, encoding: .utf8)
}

/// The expression parsed by `Parser.parseExpression`, printed fully parenthesised.
private func parenthesized(_ source: String) throws -> String {
  try Parser.parseExpression(source, file: "expr").description
}

/// One letter per statement: Import, From-import, Assignment, Expression, Def, Return, Pass; a compound or
/// other statement shows as `*`.
private func shape(_ module: Module) -> String {
  String(module.statements.map { statement -> Character in
    switch statement.kind {
    case .importModules: "I"
    case .importNames: "F"
    case .assignment: "A"
    case .expression: "E"
    case .functionDefinition: "D"
    case .return: "R"
    case .pass: "P"
    default: "*"
    }
  })
}

private func function(_ statement: Statement) throws -> FunctionDefinition {
  guard case .functionDefinition(let function) = statement.kind else {
    Issue.record("not a def: \(statement)")
    throw CancellationError()
  }
  return function
}

private func expression(_ statement: Statement) throws -> Expr {
  guard case .expression(let expression, _) = statement.kind else {
    Issue.record("not an expression statement: \(statement)")
    throw CancellationError()
  }
  return expression
}

@Suite("Parser")
struct ParserTests {
  @Test(arguments: [
    ("hessian_f64", "IFEADEEEE"),
    ("multi_output", "IFEAADEEEE"),
    ("seed_notebook", "IFEDAAEEEDAAEEEEDAAEEEEEEE"),
    ("strategies", "IFEADAAAEEEE"),
  ])
  func referenceScriptsParse(name: String, expectedShape: String) throws {
    let module = try Parser.parse(source: try referenceScript(name), file: "\(name).py")
    #expect(module.file == "\(name).py")
    #expect(shape(module) == expectedShape)
    let viaBytes = try Parser.parse(bytes: Array(try referenceScript(name).utf8), file: "\(name).py")
    #expect(viaBytes == module)
  }

  @Test func hessianScriptTree() throws {
    let module = try Parser.parse(source: try referenceScript("hessian_f64"), file: "hessian_f64.py")
    #expect(module.description == """
      import torch
      from torch.autograd.functional import hessian, hvp, jacobian
      torch.manual_seed(11)
      x = torch.randn(4, dtype=torch.float64)
      def rosen(x):
        return ((100 * ((x[1:] - (x[:(-1)] ** 2)) ** 2)) + ((1 - x[:(-1)]) ** 2)).sum()
      rosen(x)
      jacobian(rosen, x)
      hessian(rosen, x)
      hvp(rosen, x, torch.ones(4, dtype=torch.float64))
      """)
  }

  @Test func functionAndLambdaSourcesAreExactSlices() throws {
    let module = try Parser.parse(source: try referenceScript("seed_notebook"), file: "seed_notebook.py")
    let definitions = try module.statements.filter {
      if case .functionDefinition = $0.kind { true } else { false }
    }.map(function)
    #expect(definitions.map(\.source) == [
      "def f(x):\n    return 2*x",
      "def adder(x, y):\n    return 2 * x + 3 * y",
      "def exp_reducer(x):\n    return x.exp().sum(dim=1)",
    ])
    #expect(definitions.map(\.location) == [
      SourceLocation(line: 5, column: 1), SourceLocation(line: 16, column: 1), SourceLocation(line: 29, column: 1),
    ])
    let jacobianOfLambda = try expression(module.statements[14])
    guard case .binary(let call, _) = jacobianOfLambda.kind, case .call(_, let arguments) = call.kind,
      case .lambda(let lambda) = arguments[0].value.kind
    else {
      Issue.record("unexpected tree \(jacobianOfLambda)")
      return
    }
    #expect(lambda.source == "lambda x: 2*x")
    #expect(lambda.location == SourceLocation(line: 25, column: 36))
    #expect(try Parser.parse(source: "def f(x): y = x; return y  # done\n", file: "t.py").statements
      .map(function).map(\.source) == ["def f(x): y = x; return y"])
  }

  @Test func callsRecordTheirScriptLine() throws {
    let module = try Parser.parse(source: try referenceScript("seed_notebook"), file: "seed_notebook.py")
    let jvpCall = try expression(module.statements[19])
    #expect(jvpCall.description == "jvp(exp_reducer, inputs, v)")
    #expect(jvpCall.location == SourceLocation(line: 33, column: 1))

    let continued = try expression(module.statements[24])
    guard case .binary(let first, let links) = continued.kind else {
      Issue.record("unexpected tree \(continued)")
      return
    }
    #expect(continued.location == SourceLocation(line: 43, column: 1))
    #expect(first.location == SourceLocation(line: 43, column: 1))
    #expect(links.map(\.op) == [.add, .add, .add])
    #expect(links.map(\.location.line) == [43, 44, 45])
    #expect(links.map(\.operand.location) == [44, 45, 46].map { SourceLocation(line: $0, column: 1) })
  }

  @Test func nodeLocations() throws {
    let module = try Parser.parse(source: "a = 1\nb = torch.f(a,\n      dim=c @ d)\n", file: "t.py")
    #expect(module.statements.map(\.location) == [SourceLocation(line: 1, column: 1), SourceLocation(line: 2, column: 1)])
    guard case .assignment(let targets, let value) = module.statements[1].kind,
      case .call(let callee, let arguments) = value.kind,
      case .attribute(_, "f", let nameLocation) = callee.kind,
      case .binary(_, let links) = arguments[1].value.kind
    else {
      Issue.record("unexpected tree \(module)")
      return
    }
    #expect(targets[0].location == SourceLocation(line: 2, column: 1))
    #expect(value.location == SourceLocation(line: 2, column: 5))
    #expect(nameLocation == SourceLocation(line: 2, column: 11))
    #expect(arguments.map(\.location) == [SourceLocation(line: 2, column: 13), SourceLocation(line: 3, column: 7)])
    #expect(arguments[1].value.location == SourceLocation(line: 3, column: 11))
    #expect(links[0].location == SourceLocation(line: 3, column: 13))
    let tuple = try Parser.parseExpression("(a, b)", file: "e")
    #expect(tuple.location == SourceLocation(line: 1, column: 1))
    let grouped = try Parser.parseExpression(" (a + b)", file: "e")
    #expect(grouped.location == SourceLocation(line: 1, column: 3))
  }

  @Test(arguments: [
    ("-x**2", "(-(x ** 2))"),
    ("2**-1", "(2 ** (-1))"),
    ("a**b**c", "(a ** (b ** c))"),
    ("-2**-x**2", "(-(2 ** (-(x ** 2))))"),
    ("~x**2", "(~(x ** 2))"),
    ("a**-b*c", "((a ** (-b)) * c)"),
    ("-a*b", "((-a) * b)"),
    ("a - b + c", "((a - b) + c)"),
    ("a + b * c", "(a + (b * c))"),
    ("a * b + c * d - e", "(((a * b) + (c * d)) - e)"),
    ("a / b // c % d @ e", "((((a / b) // c) % d) @ e)"),
    ("a @ b @ c", "((a @ b) @ c)"),
    ("(a + b) * c", "((a + b) * c)"),
    ("a + b << c", "((a + b) << c)"),
    ("a | b ^ c & d << e + f * g", "(a | (b ^ (c & (d << (e + (f * g))))))"),
    ("a & b | c & d", "((a & b) | (c & d))"),
    ("a < b", "(a < b)"),
    ("a < b <= c", "(a < b <= c)"),
    ("a == b != c > d >= e", "(a == b != c > d >= e)"),
    ("a is b", "(a is b)"),
    ("a is not b", "(a is not b)"),
    ("a in b", "(a in b)"),
    ("a not in b", "(a not in b)"),
    ("a + 1 < b * 2", "((a + 1) < (b * 2))"),
    ("not a == b", "(not (a == b))"),
    ("not not a", "(not (not a))"),
    ("not a and b", "((not a) and b)"),
    ("a and b or c and d", "((a and b) or (c and d))"),
    ("a or b or c", "(a or b or c)"),
    ("a and b and c", "(a and b and c)"),
    ("a or not b and c", "(a or ((not b) and c))"),
    ("a if b else c", "(a if b else c)"),
    ("a if b else c if d else e", "(a if b else (c if d else e))"),
    ("a or b if c and d else e", "((a or b) if (c and d) else e)"),
    ("lambda: 0", "(lambda: 0)"),
    ("lambda x, k=2: x * k", "(lambda x, k=2: (x * k))"),
    ("lambda x: a if x else b", "(lambda x: (a if x else b))"),
    ("lambda x: lambda y: x + y", "(lambda x: (lambda y: (x + y)))"),
    ("a, b", "(a, b)"),
    ("a,", "(a,)"),
    ("()", "()"),
    ("(a,)", "(a,)"),
    ("(a, b,)", "(a, b)"),
    ("((a))", "a"),
    ("[]", "[]"),
    ("[1, [2., 3], ]", "[1, [2.0, 3]]"),
    ("x.exp().sum(dim=1)", "x.exp().sum(dim=1)"),
    ("f(x)(y)[0].z", "f(x)(y)[0].z"),
    ("f(a, *b, k=c, **d)", "f(a, *b, k=c, **d)"),
    ("f(a,)", "f(a)"),
    ("f()", "f()"),
    ("-x.y[0]", "(-x.y[0])"),
    ("x[0]", "x[0]"),
    ("x[-1]", "x[(-1)]"),
    ("x[1:]", "x[1:]"),
    ("x[:-1]", "x[:(-1)]"),
    ("x[:]", "x[:]"),
    ("x[::2]", "x[::2]"),
    ("x[1:2:3]", "x[1:2:3]"),
    ("x[a+1:b]", "x[(a + 1):b]"),
    ("x[:, 0]", "x[:, 0]"),
    ("x[1:, :-1]", "x[1:, :(-1)]"),
    ("x[..., 0]", "x[..., 0]"),
    ("x[1,]", "x[1,]"),
    ("x[(1, 2)]", "x[1, 2]"),
    ("x[i, j]", "x[i, j]"),
    ("1_000 + 0x1F", "(1000 + 31)"),
    ("[1., .5, 1e-3, 2.5E+4]", "[1.0, 0.5, 0.001, 25000.0]"),
    (#"'a\'b' "c" u'd'"#, #"'a\'bcd'"#),
    ("True and None or False", "((True and None) or False)"),
    ("...", "..."),
    ("a if b else (lambda: c)", "(a if b else (lambda: c))"),
  ])
  func precedence(source: String, expected: String) throws {
    #expect(try parenthesized(source) == expected)
  }

  @Test(arguments: [
    ("import torch", "import torch"),
    ("import torch.autograd.functional as F, math", "import torch.autograd.functional as F, math"),
    ("from torch.autograd.functional import jvp, jacobian as jac", "from torch.autograd.functional import jvp, jacobian as jac"),
    ("from torch import (exp,\n    rand as r,)", "from torch import exp, rand as r"),
    ("x = torch.rand(2)", "x = torch.rand(2)"),
    ("a, b = b, a", "(a, b) = (b, a)"),
    ("(a, b) = t", "(a, b) = t"),
    ("[a, (b, c)] = t", "(a, (b, c)) = t"),
    ("a, = t", "(a,) = t"),
    ("a = b = 1", "a = b = 1"),
    ("x = 1,", "x = (1,)"),
    ("x = 1 + \\\n    2", "x = (1 + 2)"),
    ("x = (1 +\n\n  # comment\n  2)", "x = (1 + 2)"),
    ("f(x);", "f(x);"),
    ("f(x) ;  # quiet", "f(x);"),
    ("a; b", "a\nb"),
    ("a; b;", "a\nb;"),
    ("x = 1;", "x = 1"),
    ("pass", "pass"),
    ("# comment\n\n   \nx = 1  # trailing\n\n", "x = 1"),
    ("\u{FEFF}x = 1", "x = 1"),
    ("x = 1\r\ny = 2\r\n", "x = 1\ny = 2"),
    ("x = 1\ry = 2", "x = 1\ny = 2"),
    ("def f(x, k=2): return x * k", "def f(x, k=2):\n  return (x * k)"),
    ("def f(): pass", "def f():\n  pass"),
    ("def f():\n    return", "def f():\n  return"),
    ("def f(x):\n    y = x + 1\n\n    z = y * 2; return z\n", "def f(x):\n  y = (x + 1)\n  z = (y * 2)\n  return z"),
    ("def f(x):\n\treturn x\n", "def f(x):\n  return x"),
    ("def f(x):  # note\n    return x, 2\nf", "def f(x):\n  return (x, 2)\nf"),
    ("def f(x: Tensor, k: int = 2) -> Tensor:\n  return x", "def f(x: Tensor, k: int = 2) -> Tensor:\n  return x"),
    ("def f(\n    x,\n    y,\n):\n    return x", "def f(x, y):\n  return x"),
    ("def outer(x):\n    def inner(y):\n        return y\n    return inner(x)\nouter(1)",
     "def outer(x):\n  def inner(y):\n    return y\n  return inner(x)\nouter(1)"),
    ("s = 'a' 'b'", "s = 'ab'"),
    ("f = lambda x: 2*x", "f = (lambda x: (2 * x))"),
  ])
  func statements(source: String, expected: String) throws {
    #expect(try Parser.parse(source: source, file: "t.py").description == expected)
  }

  @Test func semicolonMarksOnlyTheLastStatementOfALine() throws {
    let module = try Parser.parse(source: "a; b;\nc", file: "t.py")
    let flags = module.statements.map { statement -> Bool? in
      if case .expression(_, let endsWithSemicolon) = statement.kind { endsWithSemicolon } else { nil }
    }
    #expect(flags == [false, true, false])
  }

  @Test func literalValues() throws {
    #expect(try Parser.parseExpression("9223372036854775807", file: "e").kind == .integer(Int.max))
    #expect(try Parser.parseExpression("1e999", file: "e").kind == .float(.infinity))
    #expect(try Parser.parseExpression("'\\u00e9\\q'", file: "e").kind == .string("\u{E9}\\q"))
    #expect(try Parser.parseExpression("'''a\nb'''", file: "e").kind == .string("a\nb"))
    #expect(try Parser.parseExpression("None", file: "e").kind == .none)
  }

  @Test func standaloneExpressions() throws {
    #expect(try parenthesized("  rand(4, 4)\n\n# end\n") == "rand(4, 4)")
    #expect(try parenthesized("torch.randn(3, dtype=torch.float64)") == "torch.randn(3, dtype=torch.float64)")
    let lambda = try Parser.parseExpression("lambda x: x.exp().sum(dim=1)", file: "--fn")
    guard case .lambda(let function) = lambda.kind else {
      Issue.record("not a lambda: \(lambda)")
      return
    }
    #expect(function.source == "lambda x: x.exp().sum(dim=1)")
    #expect(function.parameters.map(\.name) == ["x"])
  }

  @Test func recordedFunctionSourceParsesAgain() throws {
    let source = "def g(a):\n    def h(b):\n        return b * 2\n    return h(a)\n"
    let module = try Parser.parse(source: source, file: "t.py")
    let outer = try function(module.statements[0])
    let inner = try function(outer.body[0])
    #expect(inner.source == "def h(b):\n        return b * 2")
    let reparsed = try Parser.parse(source: inner.source, file: "replay")
    #expect(reparsed.description == "def h(b):\n  return (b * 2)")
  }
}
