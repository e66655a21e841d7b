/// Entry points that turn script source into syntax trees.
///
/// The parser is recursive descent over Python's grammar for the subset the script language
/// has: simple statements (Parser+Statements), compound statements and blocks (Parser+Blocks),
/// expressions (Parser+Expressions) and displays (Parser+Displays). Statements Python has but the
/// language lacks (`class`, `async`, decorators, ...) are reported by name at their keyword, not as
/// generic syntax errors, so users learn what to change. Nesting deeper than `maximumNestingDepth` is an error rather than a stack overflow.
public enum Parser {
  /// How deeply brackets, unary operators, `**`, postfix chains (`.name`, calls, subscripts),
  /// conditional expressions, lambdas and `def`s may nest, counted together. Python's own
  /// tokenizer stops at 200 nested brackets.
  public static let maximumNestingDepth = 200

  /// Parses a whole script.
  public static func parse(source: String, file: String) throws(ScriptError) -> Module {
    try parseModule(SourceText.scalars(of: source), file: file)
  }

  /// Parses a whole script from its bytes, which must be strict UTF-8; the first invalid byte is
  /// reported at its line and column. A leading byte-order mark is skipped.
  public static func parse(bytes: [UInt8], file: String) throws(ScriptError) -> Module {
    try parseModule(SourceText.decode(bytes, file: file), file: file)
  }

  /// Parses one expression, as the command line's `--input x=rand(4,4)` and
  /// `--fn 'x.exp().sum(dim=1)'` give them. Leading whitespace and trailing line breaks and
  /// comments are allowed; `a, b` parses as a tuple, as in Python's `eval`. `file` names the
  /// source in errors (for example `--fn`).
  public static func parseExpression(_ source: String, file: String) throws(ScriptError) -> Expr {
    do throws(SyntaxFailure) {
      var parser = try ScriptParser(scalars: SourceText.scalars(of: source), file: file, tracksIndentation: false)
      return try parser.parseStandaloneExpression()
    } catch {
      throw error.error
    }
  }

  static func parseModule(_ scalars: [Unicode.Scalar], file: String) throws(ScriptError) -> Module {
    do throws(SyntaxFailure) {
      var parser = try ScriptParser(scalars: scalars, file: file, tracksIndentation: true)
      return try parser.parseModule()
    } catch {
      throw error.error
    }
  }
}

/// The parser's state: the lexer, the current token, and the nesting counters.
struct ScriptParser {
  var lexer: Lexer
  /// The token being looked at (one token of lookahead is all the grammar needs).
  var token: Token
  /// Where the last consumed source token ended, for cutting `def` and `lambda` source slices.
  var previousEnd = 0
  /// Current nesting, checked against `Parser.maximumNestingDepth`.
  var depth = 0
  /// How many `def`s enclose the current statement (`return` needs at least one).
  var functionDepth = 0
  /// How many loops enclose the current statement within its function (`break` needs one).
  var loopDepth = 0
  let file: String

  init(scalars: [Unicode.Scalar], file: String, tracksIndentation: Bool) throws(SyntaxFailure) {
    try self.init(lexer: Lexer(source: scalars, file: file, tracksIndentation: tracksIndentation), file: file)
  }

  init(lexer: Lexer, file: String) throws(SyntaxFailure) {
    self.file = file
    self.lexer = lexer
    token = try self.lexer.next()
  }

  // MARK: - Tokens

  mutating func advance() throws(SyntaxFailure) {
    switch token.kind {
    case .newline, .indent, .dedent, .endOfFile: break
    default: previousEnd = token.end
    }
    token = try lexer.next()
  }

  func isPunctuator(_ punctuator: Punctuator) -> Bool { token.kind == .punctuator(punctuator) }

  func isKeyword(_ keyword: Keyword) -> Bool { token.kind == .keyword(keyword) }

  /// Consumes the punctuator if it is next.
  mutating func accept(_ punctuator: Punctuator) throws(SyntaxFailure) -> Bool {
    guard isPunctuator(punctuator) else { return false }
    try advance()
    return true
  }

  mutating func expectName(_ expectation: String) throws(SyntaxFailure) -> String {
    guard case .name(let name) = token.kind else { throw unexpected(expectation) }
    try advance()
    return name
  }

  /// Whether the token can begin an expression (so a trailing comma is not followed by one).
  var startsExpression: Bool {
    switch token.kind {
    case .name, .integer, .float, .string, .formattedString: true
    case .keyword(let keyword): [.true, .false, .none, .not, .lambda, .await, .yield].contains(keyword)
    case .punctuator(let punctuator):
      [.leftParen, .leftBracket, .leftBrace, .minus, .plus, .tilde, .ellipsis, .star].contains(punctuator)
    default: false
    }
  }

  /// Enters one level of nesting; beyond the limit this is an error at `location` (by default
  /// the current token).
  mutating func nest(
    _ what: String = "expression nested too deeply", at location: SourceLocation? = nil
  ) throws(SyntaxFailure) {
    depth += 1
    guard depth <= Parser.maximumNestingDepth else {
      throw error("\(what) (limit \(Parser.maximumNestingDepth))", at: location ?? token.location)
    }
  }

  // MARK: - Errors

  func error(_ message: String, at location: SourceLocation) -> SyntaxFailure {
    SyntaxFailure(ScriptError(file: file, location: location, message: message, kind: .syntax))
  }


  /// An error at the current token: `"<expectation>, found <token>"`.
  ///
  /// Inside brackets the real mistake is often elsewhere (a bracket never closed swallows the
  /// following lines), so, as CPython does, the rest of the input is lexed first and a lexical
  /// error found there (`'(' was never closed`, a mismatched bracket) is reported instead.
  func unexpected(_ expectation: String) -> SyntaxFailure {
    let message = token.kind == .indent ? "unexpected indent" : "\(expectation), found \(describe(token))"
    let parseError = error(message, at: token.location)
    guard lexer.isInsideBrackets else { return parseError }
    var rest = lexer
    do throws(SyntaxFailure) {
      while try rest.next().kind != .endOfFile {}
    } catch {
      return error
    }
    return parseError
  }

  /// How a token is named in messages: its source text in quotes, or what it stands for.
  func describe(_ token: Token) -> String {
    switch token.kind {
    case .newline: return "end of line"
    case .indent: return "indent"
    case .dedent: return "unindent"
    case .endOfFile: return "end of file"
    case .string, .formattedString: return "string literal"
    default:
      let limit = 30
      let text = lexer.text(from: token.start, to: min(token.end, token.start + limit))
      return "'\(text)\(token.end - token.start > limit ? "..." : "")'"
    }
  }
}

extension Expr {
  /// Whether Python would accept this expression before `: annotation` in a statement.
  var isAnnotationTarget: Bool {
    switch kind {
    case .name, .attribute, .subscript: true
    default: false
    }
  }
}

extension ExprKind {
  /// What CPython calls the expression in "cannot assign to ..." messages.
  var syntaxName: String {
    switch self {
    case .call: "function call"
    case .boolean(let value): value ? "True" : "False"
    case .none: "None"
    case .ellipsis: "ellipsis"
    case .integer, .float, .string: "literal"
    case .formattedString: "f-string expression"
    case .lambda: "lambda"
    case .conditional: "conditional expression"
    case .comparison: "comparison"
    case .dict: "dict literal"
    case .set: "set display"
    case .tuple: "tuple"
    case .list: "list"
    case .comprehension(let comprehension):
      switch comprehension.kind {
      case .list: "list comprehension"
      case .set: "set comprehension"
      case .dict: "dict comprehension"
      case .generator: "generator expression"
      }
    case .name, .attribute, .subscript, .starred: "expression"
    case .unary, .binary, .logical, .slice: "expression"
    }
  }
}
