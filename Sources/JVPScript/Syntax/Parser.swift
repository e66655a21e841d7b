/// Entry points that turn script source into syntax trees.
///
/// The parser is recursive descent over Python's grammar for the subset the script language
/// has. Statements Python has but the language lacks (`for`, `if`, `class`, `+=`, decorators, ...)
/// are reported by name at their keyword, not as generic syntax errors, so users learn what to
/// change. Nesting deeper than `maximumNestingDepth` is an error rather than a stack overflow.
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

  private static func parseModule(_ scalars: [Unicode.Scalar], file: String) throws(ScriptError) -> Module {
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
  private var lexer: Lexer
  /// The token being looked at (one token of lookahead is all the grammar needs).
  private var token: Token
  /// Where the last consumed source token ended, for cutting `def` and `lambda` source slices.
  private var previousEnd = 0
  /// Current nesting, checked against `Parser.maximumNestingDepth`.
  private var depth = 0
  /// How many `def`s enclose the current statement (`return` needs at least one).
  private var functionDepth = 0
  private let file: String

  init(scalars: [Unicode.Scalar], file: String, tracksIndentation: Bool) throws(SyntaxFailure) {
    self.file = file
    lexer = Lexer(source: scalars, file: file, tracksIndentation: tracksIndentation)
    token = try lexer.next()
  }

  // MARK: - Statements

  mutating func parseModule() throws(SyntaxFailure) -> Module {
    var statements: [Statement] = []
    while token.kind != .endOfFile {
      try parseStatement(into: &statements)
    }
    return Module(file: file, statements: statements)
  }

  mutating func parseStandaloneExpression() throws(SyntaxFailure) -> Expr {
    let expression = try parseExpressionList()
    while token.kind == .newline { try advance() }
    guard token.kind == .endOfFile else { throw unexpected("expected the end of the expression") }
    return expression
  }

  /// Parses one line's statements (or a whole `def`) and appends them.
  private mutating func parseStatement(into statements: inout [Statement]) throws(SyntaxFailure) {
    switch token.kind {
    case .indent:
      throw error("unexpected indent", at: token.location)
    case .keyword(.def):
      statements.append(try parseFunctionDefinition())
    default:
      try parseSimpleStatements(into: &statements)
    }
  }

  /// Parses `;`-separated simple statements up to and including the end of the line.
  private mutating func parseSimpleStatements(into statements: inout [Statement]) throws(SyntaxFailure) {
    while true {
      var statement = try parseSimpleStatement()
      if try accept(.semicolon) {
        guard token.kind == .newline else {
          statements.append(statement)
          continue
        }
        if case .expression(let expression, _) = statement.kind {
          statement = Statement(.expression(expression, endsWithSemicolon: true), at: statement.location)
        }
      } else if token.kind != .newline {
        throw unexpected("expected end of line")
      }
      statements.append(statement)
      try advance()
      return
    }
  }

  private mutating func parseSimpleStatement() throws(SyntaxFailure) -> Statement {
    let location = token.location
    switch token.kind {
    case .keyword(let keyword) where keyword.beginsUnsupportedStatement:
      throw error("unsupported statement '\(keyword.rawValue)'", at: location)
    case .punctuator(.at):
      throw error("unsupported statement '@' (decorator)", at: location)
    case .keyword(.import):
      return try parseImport()
    case .keyword(.from):
      return try parseFromImport()
    case .keyword(.def):
      throw error("'def' must start a new line", at: location)
    case .keyword(.return):
      guard functionDepth > 0 else { throw error("'return' outside function", at: location) }
      try advance()
      let endsStatement = token.kind == .newline || token.kind == .punctuator(.semicolon)
      let value = endsStatement ? nil : try parseExpressionList()
      return Statement(.return(value), at: location)
    case .keyword(.pass):
      try advance()
      return Statement(.pass, at: location)
    default:
      return try parseExpressionStatement()
    }
  }

  /// An expression statement, or an assignment when `=` follows the first expression list.
  private mutating func parseExpressionStatement() throws(SyntaxFailure) -> Statement {
    let first = try parseExpressionList()
    if case .punctuator(let punctuator) = token.kind {
      if punctuator.isAugmentedAssignment {
        let message = "unsupported statement '\(punctuator.rawValue)' (augmented assignment)"
        throw error(message, at: token.location)
      }
      if punctuator == .colon, first.isAnnotationTarget {
        throw error("unsupported statement ':' (annotated assignment)", at: token.location)
      }
      if punctuator == .walrus {
        throw error("unsupported expression ':=' (assignment expression)", at: token.location)
      }
    }
    guard isPunctuator(.assign) else {
      return Statement(.expression(first, endsWithSemicolon: false), at: first.location)
    }
    var sides = [first]
    while try accept(.assign) {
      sides.append(try parseExpressionList())
    }
    let value = sides.removeLast()
    var targets: [AssignmentTarget] = []
    for side in sides {
      targets.append(try assignmentTarget(side))
    }
    return Statement(.assignment(targets: targets, value: value), at: first.location)
  }

  /// Converts the expression left of `=` into a target, rejecting what cannot be assigned to.
  private func assignmentTarget(_ expression: Expr) throws(SyntaxFailure) -> AssignmentTarget {
    let what: String
    switch expression.kind {
    case .name(let name):
      return .name(name, expression.location)
    case .tuple(let elements), .list(let elements):
      var targets: [AssignmentTarget] = []
      for element in elements {
        targets.append(try assignmentTarget(element))
      }
      return .tuple(targets, expression.location)
    case .attribute:
      throw error("assignment to attributes is not supported", at: expression.location)
    case .subscript:
      throw error("assignment to subscripts is not supported", at: expression.location)
    case .call: what = "function call"
    case .boolean(let value): what = value ? "True" : "False"
    case .none: what = "None"
    case .ellipsis: what = "ellipsis"
    case .integer, .float, .string: what = "literal"
    case .lambda: what = "lambda"
    case .conditional: what = "conditional expression"
    case .unary, .binary, .logical, .comparison, .slice: what = "expression"
    }
    throw error("cannot assign to \(what)", at: expression.location)
  }

  /// `import a.b [as c], d`.
  private mutating func parseImport() throws(SyntaxFailure) -> Statement {
    let location = token.location
    try advance()
    var modules: [ModuleImport] = []
    repeat {
      let path = try parseModulePath()
      let alias = try parseAlias()
      modules.append(ModuleImport(path: path, alias: alias, location: path.location))
    } while try accept(.comma)
    return Statement(.importModules(modules), at: location)
  }

  /// `from a.b import x [as y], z`, optionally with the names in parentheses.
  private mutating func parseFromImport() throws(SyntaxFailure) -> Statement {
    let location = token.location
    try advance()
    if isPunctuator(.dot) || isPunctuator(.ellipsis) {
      throw error("relative imports are not supported", at: token.location)
    }
    let module = try parseModulePath()
    guard isKeyword(.import) else { throw unexpected("expected 'import'") }
    try advance()
    if isPunctuator(.star) {
      throw error("'from \(module.dotted) import *' is not supported; name the imports", at: token.location)
    }
    let parenthesized = try accept(.leftParen)
    var names: [NameImport] = []
    repeat {
      if parenthesized, !names.isEmpty, isPunctuator(.rightParen) { break }
      let nameLocation = token.location
      let name = try expectName("expected a name to import")
      names.append(NameImport(name: name, alias: try parseAlias(), location: nameLocation))
    } while try accept(.comma)
    if parenthesized {
      guard try accept(.rightParen) else { throw unexpected("expected ',' or ')'") }
    }
    return Statement(.importNames(module: module, names: names), at: location)
  }

  private mutating func parseModulePath() throws(SyntaxFailure) -> ModulePath {
    let location = token.location
    var components = [try expectName("expected a module name")]
    while try accept(.dot) {
      components.append(try expectName("expected a module name after '.'"))
    }
    return ModulePath(components: components, location: location)
  }

  private mutating func parseAlias() throws(SyntaxFailure) -> String? {
    guard isKeyword(.as) else { return nil }
    try advance()
    return try expectName("expected a name after 'as'")
  }

  /// `def name(params) [-> annotation]:` with a same-line body or an indented block.
  private mutating func parseFunctionDefinition() throws(SyntaxFailure) -> Statement {
    let start = token
    try advance()
    let name = try expectName("expected a function name after 'def'")
    guard try accept(.leftParen) else { throw unexpected("expected '(' after the function name") }
    let parameters = try parseParameters(closing: .rightParen, allowsAnnotations: true)
    guard try accept(.rightParen) else { throw unexpected("expected ',' or ')' in the parameters") }
    let returnAnnotation = try accept(.arrow) ? try parseExpression() : nil
    guard try accept(.colon) else { throw unexpected("expected ':'") }
    try nest("function definitions nested too deeply", at: start.location)
    functionDepth += 1
    var body: [Statement] = []
    let end: Int
    if token.kind == .newline {
      try advance()
      guard token.kind == .indent else {
        throw error("expected an indented block after function definition on line \(start.location.line)",
                    at: token.location)
      }
      try advance()
      while token.kind != .dedent && token.kind != .endOfFile {
        try parseStatement(into: &body)
      }
      end = previousEnd
      try advance()
    } else {
      try parseSimpleStatements(into: &body)
      end = previousEnd
    }
    functionDepth -= 1
    depth -= 1
    let function = FunctionDefinition(
      name: name, parameters: parameters, returnAnnotation: returnAnnotation, body: body,
      source: lexer.text(from: start.start, to: end), location: start.location)
    return Statement(.functionDefinition(function), at: start.location)
  }

  /// Parameters up to (not including) `closing`: names with optional annotations and defaults.
  private mutating func parseParameters(
    closing: Punctuator, allowsAnnotations: Bool
  ) throws(SyntaxFailure) -> [Parameter] {
    var parameters: [Parameter] = []
    var names: Set<String> = []
    var sawDefault = false
    while !isPunctuator(closing) {
      let location = token.location
      if case .punctuator(let marker) = token.kind, [.star, .doubleStar, .slash].contains(marker) {
        throw error("unsupported parameter '\(marker.rawValue)' (only names and defaults are supported)",
                    at: location)
      }
      let name = try expectName("expected a parameter name")
      guard names.insert(name).inserted else { throw error("duplicate parameter '\(name)'", at: location) }
      var annotation: Expr?
      if allowsAnnotations, try accept(.colon) { annotation = try parseExpression() }
      let defaultValue = try accept(.assign) ? try parseExpression() : nil
      if defaultValue != nil {
        sawDefault = true
      } else if sawDefault {
        throw error("parameter without a default follows parameter with a default", at: location)
      }
      parameters.append(
        Parameter(name: name, annotation: annotation, defaultValue: defaultValue, location: location))
      guard try accept(.comma) else { break }
    }
    return parameters
  }

  // MARK: - Expressions

  /// An expression, or several separated by commas (a tuple without parentheses), with an
  /// optional trailing comma: Python's `star_expressions` minus the stars.
  private mutating func parseExpressionList() throws(SyntaxFailure) -> Expr {
    let first = try parseExpression()
    guard isPunctuator(.comma) else { return first }
    var elements = [first]
    while try accept(.comma) {
      guard startsExpression else { break }
      elements.append(try parseExpression())
    }
    return Expr(.tuple(elements), at: first.location)
  }

  // The functions from `parseExpression` down to `parseAtom` are the recursion spine: a bracket
  // nested in an expression passes through each of them once per level. They stay small and hand
  // everything else (chains, tuple endings, errors) to helpers, because unoptimised builds give each
  // function one stack frame sized for all of its temporaries; this keeps 200 levels of nesting
  // well inside a thread's stack even in debug builds.

  /// `lambda`, or a disjunction optionally followed by `if condition else alternative`.
  private mutating func parseExpression() throws(SyntaxFailure) -> Expr {
    if isKeyword(.lambda) { return try parseLambda() }
    let value = try parseDisjunction()
    return isKeyword(.if) ? try parseConditional(whenTrue: value) : value
  }

  /// The rest of `whenTrue if condition else whenFalse`, starting at `if`.
  private mutating func parseConditional(whenTrue value: Expr) throws(SyntaxFailure) -> Expr {
    try advance()
    let condition = try parseDisjunction()
    guard isKeyword(.else) else { throw unexpected("expected 'else' in the conditional expression") }
    try advance()
    try nest()
    let alternative = try parseExpression()
    depth -= 1
    let kind = ExprKind.conditional(condition: condition, whenTrue: value, whenFalse: alternative)
    return Expr(kind, at: value.location)
  }

  private mutating func parseLambda() throws(SyntaxFailure) -> Expr {
    let start = token
    try advance()
    let parameters = try parseParameters(closing: .colon, allowsAnnotations: false)
    guard try accept(.colon) else { throw unexpected("expected ',' or ':' in the lambda parameters") }
    try nest()
    let body = try parseExpression()
    depth -= 1
    let lambda = Lambda(
      parameters: parameters, body: body, source: lexer.text(from: start.start, to: previousEnd),
      location: start.location)
    return Expr(.lambda(lambda), at: start.location)
  }

  private mutating func parseDisjunction() throws(SyntaxFailure) -> Expr {
    let first = try parseConjunction()
    return isKeyword(.or) ? try parseLogicalChain(.or, first: first) : first
  }

  private mutating func parseConjunction() throws(SyntaxFailure) -> Expr {
    let first = try parseInversion()
    return isKeyword(.and) ? try parseLogicalChain(.and, first: first) : first
  }

  /// The n-ary `first or ...` / `first and ...` chain, starting at the first operator.
  private mutating func parseLogicalChain(_ op: LogicalOperator, first: Expr) throws(SyntaxFailure) -> Expr {
    let keyword: Keyword = op == .or ? .or : .and
    var operands = [first]
    while isKeyword(keyword) {
      try advance()
      operands.append(op == .or ? try parseConjunction() : try parseInversion())
    }
    return Expr(.logical(op, operands), at: first.location)
  }

  private mutating func parseInversion() throws(SyntaxFailure) -> Expr {
    guard isKeyword(.not) else { return try parseComparison() }
    let location = token.location
    try nest()
    try advance()
    let operand = try parseInversion()
    depth -= 1
    return Expr(.unary(.not, operand), at: location)
  }

  private mutating func parseComparison() throws(SyntaxFailure) -> Expr {
    let first = try parseBinaryOperators()
    return startsComparison ? try parseComparisonChain(first: first) : first
  }

  /// Whether the token begins a comparison operator (`not` only as in `not in`).
  private var startsComparison: Bool {
    switch token.kind {
    case .punctuator(let punctuator):
      [.equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual].contains(punctuator)
    case .keyword(let keyword):
      keyword == .in || keyword == .is || keyword == .not
    default:
      false
    }
  }

  /// The links of a chained comparison, starting at the first operator.
  private mutating func parseComparisonChain(first: Expr) throws(SyntaxFailure) -> Expr {
    var links: [Comparison] = []
    while startsComparison {
      let location = token.location
      let op = try parseComparisonOperator()
      links.append(Comparison(op, try parseBinaryOperators(), at: location))
    }
    return Expr(.comparison(first, links), at: first.location)
  }

  /// Consumes a comparison operator (`not in` and `is not` are two tokens).
  private mutating func parseComparisonOperator() throws(SyntaxFailure) -> ComparisonOperator {
    let op: ComparisonOperator
    switch token.kind {
    case .punctuator(.equal): op = .equal
    case .punctuator(.notEqual): op = .notEqual
    case .punctuator(.less): op = .less
    case .punctuator(.lessEqual): op = .lessOrEqual
    case .punctuator(.greater): op = .greater
    case .punctuator(.greaterEqual): op = .greaterOrEqual
    case .keyword(.in): op = .in
    case .keyword(.is):
      try advance()
      guard isKeyword(.not) else { return .is }
      op = .isNot
    default:
      try advance()
      guard isKeyword(.in) else { throw unexpected("expected 'in' after 'not'") }
      op = .notIn
    }
    try advance()
    return op
  }

  /// The six binary precedence levels between comparisons and unary operators, lowest first:
  /// `|`, `^`, `&`, `<< >>`, `+ -`, `* / // % @`.
  private static func binaryOperator(_ kind: Token.Kind) -> (op: BinaryOperator, level: Int)? {
    guard case .punctuator(let punctuator) = kind else { return nil }
    return switch punctuator {
    case .pipe: (.bitwiseOr, 0)
    case .caret: (.bitwiseXor, 1)
    case .ampersand: (.bitwiseAnd, 2)
    case .leftShift: (.leftShift, 3)
    case .rightShift: (.rightShift, 3)
    case .plus: (.add, 4)
    case .minus: (.subtract, 4)
    case .star: (.multiply, 5)
    case .slash: (.divide, 5)
    case .doubleSlash: (.floorDivide, 5)
    case .percent: (.remainder, 5)
    case .at: (.matrixMultiply, 5)
    default: nil
    }
  }

  /// A chain being built by `parseBinaryChain`: its level, its links so far, and the operator
  /// whose right operand is still being parsed.
  private struct OpenChain {
    let level: Int
    let head: Expr
    var links: [BinaryOperation]
    var pending: (op: BinaryOperator, location: SourceLocation)

    /// Completes the pending link with `operand`; `next` becomes the pending operator. Called on
    /// the array element in place, so the links array is never copied.
    mutating func extend(with operand: Expr, then next: (op: BinaryOperator, location: SourceLocation)) {
      links.append(BinaryOperation(pending.op, operand, at: pending.location))
      pending = next
    }

    /// The finished chain, with `operand` as the pending operator's right operand.
    func closed(with operand: Expr) -> Expr {
      let last = BinaryOperation(pending.op, operand, at: pending.location)
      return Expr(.binary(head, links + [last]), at: head.location)
    }
  }

  private mutating func parseBinaryOperators() throws(SyntaxFailure) -> Expr {
    let first = try parseUnary()
    return Self.binaryOperator(token.kind) == nil ? first : try parseBinaryChain(first: first)
  }

  /// Operands joined by binary operators, parsed in one flat loop and grouped into n-ary chains
  /// by precedence as it goes (operator precedence parsing with a stack of open chains, levels
  /// increasing towards the top). Neither recursion nor work per operand depends on the length
  /// of the expression.
  private mutating func parseBinaryChain(first: Expr) throws(SyntaxFailure) -> Expr {
    var current = first
    var open: [OpenChain] = []
    while let (op, level) = Self.binaryOperator(token.kind) {
      let location = token.location
      try advance()
      while let top = open.last, top.level > level {
        open.removeLast()
        current = top.closed(with: current)
      }
      if let last = open.indices.last, open[last].level == level {
        open[last].extend(with: current, then: (op, location))
      } else {
        open.append(OpenChain(level: level, head: current, links: [], pending: (op, location)))
      }
      current = try parseUnary()
    }
    while let top = open.popLast() {
      current = top.closed(with: current)
    }
    return current
  }

  /// `-x`, `+x`, `~x` (right-recursive), else a power.
  private mutating func parseUnary() throws(SyntaxFailure) -> Expr {
    let op: UnaryOperator
    switch token.kind {
    case .punctuator(.minus): op = .negate
    case .punctuator(.plus): op = .plus
    case .punctuator(.tilde): op = .invert
    default: return try parsePower()
    }
    let location = token.location
    try nest()
    try advance()
    let operand = try parseUnary()
    depth -= 1
    return Expr(.unary(op, operand), at: location)
  }

  /// `primary ** unary`: right-associative and tighter than a unary operator on its left, so
  /// `-x**2` is `-(x**2)` and `2**-1` is `2**(-1)`.
  private mutating func parsePower() throws(SyntaxFailure) -> Expr {
    let base = try parsePrimary()
    return isPunctuator(.doubleStar) ? try parseExponent(base: base) : base
  }

  /// `** exponent` after `base`, starting at `**`.
  private mutating func parseExponent(base: Expr) throws(SyntaxFailure) -> Expr {
    let location = token.location
    try nest()
    try advance()
    let exponent = try parseUnary()
    depth -= 1
    return Expr(.binary(base, [BinaryOperation(.power, exponent, at: location)]), at: base.location)
  }

  /// An atom followed by any number of `.name`, `(arguments)` and `[index]`.
  private mutating func parsePrimary() throws(SyntaxFailure) -> Expr {
    let atom = try parseAtom()
    return startsPostfix ? try parsePostfixChain(base: atom) : atom
  }

  private var startsPostfix: Bool {
    isPunctuator(.dot) || isPunctuator(.leftParen) || isPunctuator(.leftBracket)
  }

  /// The `.name`, `(arguments)` and `[index]` operations after `base`, each one nesting level.
  private mutating func parsePostfixChain(base: Expr) throws(SyntaxFailure) -> Expr {
    var expression = base
    let outerDepth = depth
    while startsPostfix {
      try nest()
      if isPunctuator(.dot) {
        try advance()
        guard case .name(let name) = token.kind else {
          throw unexpected("expected an attribute name after '.'")
        }
        expression = Expr(.attribute(expression, name: name, nameLocation: token.location), at: base.location)
        try advance()
      } else if isPunctuator(.leftParen) {
        expression = Expr(.call(expression, arguments: try parseArguments()), at: base.location)
      } else {
        expression = Expr(.subscript(expression, index: try parseSubscriptIndex()), at: base.location)
      }
    }
    depth = outerDepth
    return expression
  }

  /// `(arguments)` of a call, starting at `(`, checking Python's ordering rules as it goes.
  private mutating func parseArguments() throws(SyntaxFailure) -> [Argument] {
    try advance()
    var arguments: [Argument] = []
    var order = ArgumentOrder()
    while !isPunctuator(.rightParen) {
      let argument = try parseArgument()
      if let message = order.violation(by: argument) { throw error(message, at: argument.location) }
      arguments.append(argument)
      guard try accept(.comma) else { break }
    }
    guard try accept(.rightParen) else { throw unexpected("expected ',' or ')' in the call") }
    return arguments
  }

  /// One argument: `value`, `name=value`, `*value` or `**value`.
  private mutating func parseArgument() throws(SyntaxFailure) -> Argument {
    let location = token.location
    if try accept(.star) { return Argument(.unpackedSequence, try parseExpression(), at: location) }
    if try accept(.doubleStar) { return Argument(.unpackedMapping, try parseExpression(), at: location) }
    let startsWithName = if case .name = token.kind { true } else { false }
    let value = try parseExpression()
    if isKeyword(.for) { throw comprehensionsUnsupported() }
    guard isPunctuator(.assign) else { return Argument(.positional, value, at: location) }
    guard startsWithName, case .name(let name) = value.kind else {
      throw error("expression cannot contain assignment, perhaps you meant \"==\"?", at: value.location)
    }
    try advance()
    return Argument(.keyword(name), try parseExpression(), at: location)
  }

  /// Python's rules for the order of call arguments, checked one argument at a time: positional
  /// arguments come before keywords and `**`, `*` comes before `**`, keyword names are distinct.
  private struct ArgumentOrder {
    private var sawKeyword = false
    private var sawMappingUnpacking = false
    private var keywords: Set<String> = []

    /// Records `argument` and returns the message for the rule it breaks, if any.
    mutating func violation(by argument: Argument) -> String? {
      switch argument.kind {
      case .positional:
        if sawMappingUnpacking { return "positional argument follows keyword argument unpacking" }
        if sawKeyword { return "positional argument follows keyword argument" }
      case .unpackedSequence:
        if sawMappingUnpacking { return "iterable argument unpacking follows keyword argument unpacking" }
      case .keyword(let name):
        sawKeyword = true
        if !keywords.insert(name).inserted { return "keyword argument repeated: '\(name)'" }
      case .unpackedMapping:
        sawMappingUnpacking = true
      }
      return nil
    }
  }

  /// `[index]` of a subscript, starting at `[`: one item, or a tuple of items when a comma
  /// appears; items may be slices.
  private mutating func parseSubscriptIndex() throws(SyntaxFailure) -> Expr {
    try advance()
    let first = try parseSubscriptItem()
    if try accept(.rightBracket) { return first }
    guard isPunctuator(.comma) else { throw unexpected("expected ',' or ']' in the subscript") }
    var items = [first]
    while try accept(.comma) {
      if isPunctuator(.rightBracket) { break }
      items.append(try parseSubscriptItem())
    }
    guard try accept(.rightBracket) else { throw unexpected("expected ',' or ']' in the subscript") }
    return Expr(.tuple(items), at: first.location)
  }

  /// An expression, or a slice `lower:upper:step` with any part omitted.
  private mutating func parseSubscriptItem() throws(SyntaxFailure) -> Expr {
    let location = token.location
    var lower: Expr?
    if !isPunctuator(.colon) {
      let expression = try parseExpression()
      guard isPunctuator(.colon) else { return expression }
      lower = expression
    }
    try advance()
    let upper = endsSliceBound ? nil : try parseExpression()
    var step: Expr?
    if try accept(.colon), !endsSliceBound { step = try parseExpression() }
    return Expr(.slice(lower: lower, upper: upper, step: step), at: location)
  }

  /// Whether the token ends a slice bound (`:`, `,` or `]`).
  private var endsSliceBound: Bool {
    isPunctuator(.colon) || isPunctuator(.comma) || isPunctuator(.rightBracket)
  }

  private mutating func parseAtom() throws(SyntaxFailure) -> Expr {
    if isPunctuator(.leftParen) { return try parseParenthesized() }
    if isPunctuator(.leftBracket) { return try parseList() }
    return try parseLeaf()
  }

  /// An atom without brackets: a name, a literal, or an error naming what cannot start one.
  private mutating func parseLeaf() throws(SyntaxFailure) -> Expr {
    let location = token.location
    let kind: ExprKind
    switch token.kind {
    case .name(let name): kind = .name(name)
    case .integer(let value): kind = .integer(value)
    case .float(let value): kind = .float(value)
    case .keyword(.true): kind = .boolean(true)
    case .keyword(.false): kind = .boolean(false)
    case .keyword(.none): kind = .none
    case .punctuator(.ellipsis): kind = .ellipsis
    case .string:
      var value = ""
      while case .string(let part) = token.kind {
        value += part
        try advance()
      }
      return Expr(.string(value), at: location)
    case .punctuator(.leftBrace):
      throw error("dict and set displays ('{...}') are not supported", at: location)
    case .punctuator(.star):
      throw error("starred expressions are only supported as call arguments", at: location)
    case .keyword(.lambda):
      throw error("a lambda must be parenthesized here", at: location)
    case .keyword(let keyword) where keyword == .await || keyword == .yield:
      throw error("unsupported expression '\(keyword.rawValue)'", at: location)
    default:
      throw unexpected("expected an expression")
    }
    try advance()
    return Expr(kind, at: location)
  }

  /// `()`, `(expression)`, `(a,)`, `(a, b, ...)`, starting at `(`.
  private mutating func parseParenthesized() throws(SyntaxFailure) -> Expr {
    let location = token.location
    try nest()
    try advance()
    let result = isPunctuator(.rightParen)
      ? Expr(.tuple([]), at: location) : try parseParenthesizedContents(openedAt: location)
    guard try accept(.rightParen) else { throw unexpected("expected ',' or ')'") }
    depth -= 1
    return result
  }

  /// What is between `(` and `)`: an expression, or a tuple when a comma appears.
  private mutating func parseParenthesizedContents(
    openedAt location: SourceLocation
  ) throws(SyntaxFailure) -> Expr {
    let first = try parseExpression()
    if isKeyword(.for) { throw comprehensionsUnsupported() }
    guard isPunctuator(.comma) else { return first }
    var elements = [first]
    while try accept(.comma) {
      if isPunctuator(.rightParen) { break }
      elements.append(try parseExpression())
    }
    return Expr(.tuple(elements), at: location)
  }

  /// `[a, b, ...]`, starting at `[`.
  private mutating func parseList() throws(SyntaxFailure) -> Expr {
    let location = token.location
    try nest()
    try advance()
    var elements: [Expr] = []
    while !isPunctuator(.rightBracket) {
      elements.append(try parseExpression())
      if elements.count == 1, isKeyword(.for) { throw comprehensionsUnsupported() }
      guard try accept(.comma) else { break }
    }
    guard try accept(.rightBracket) else { throw unexpected("expected ',' or ']'") }
    depth -= 1
    return Expr(.list(elements), at: location)
  }

  // MARK: - Tokens

  private mutating func advance() throws(SyntaxFailure) {
    switch token.kind {
    case .newline, .indent, .dedent, .endOfFile: break
    default: previousEnd = token.end
    }
    token = try lexer.next()
  }

  private func isPunctuator(_ punctuator: Punctuator) -> Bool { token.kind == .punctuator(punctuator) }

  private func isKeyword(_ keyword: Keyword) -> Bool { token.kind == .keyword(keyword) }

  /// Consumes the punctuator if it is next.
  private mutating func accept(_ punctuator: Punctuator) throws(SyntaxFailure) -> Bool {
    guard isPunctuator(punctuator) else { return false }
    try advance()
    return true
  }

  private mutating func expectName(_ expectation: String) throws(SyntaxFailure) -> String {
    guard case .name(let name) = token.kind else { throw unexpected(expectation) }
    try advance()
    return name
  }

  /// Whether the token can begin an expression (so a trailing comma is not followed by one).
  private var startsExpression: Bool {
    switch token.kind {
    case .name, .integer, .float, .string: true
    case .keyword(let keyword): [.true, .false, .none, .not, .lambda, .await, .yield].contains(keyword)
    case .punctuator(let punctuator):
      [.leftParen, .leftBracket, .leftBrace, .minus, .plus, .tilde, .ellipsis, .star].contains(punctuator)
    default: false
    }
  }

  /// Enters one level of nesting; beyond the limit this is an error at `location` (by default
  /// the current token).
  private mutating func nest(
    _ what: String = "expression nested too deeply", at location: SourceLocation? = nil
  ) throws(SyntaxFailure) {
    depth += 1
    guard depth <= Parser.maximumNestingDepth else {
      throw error("\(what) (limit \(Parser.maximumNestingDepth))", at: location ?? token.location)
    }
  }

  // MARK: - Errors

  private func error(_ message: String, at location: SourceLocation) -> SyntaxFailure {
    SyntaxFailure(ScriptError(file: file, location: location, message: message, kind: .syntax))
  }

  private func comprehensionsUnsupported() -> SyntaxFailure {
    error("comprehensions are not supported", at: token.location)
  }

  /// An error at the current token: `"<expectation>, found <token>"`.
  ///
  /// Inside brackets the real mistake is often elsewhere (a bracket never closed swallows the
  /// following lines), so, as CPython does, the rest of the input is lexed first and a lexical
  /// error found there (`'(' was never closed`, a mismatched bracket) is reported instead.
  private func unexpected(_ expectation: String) -> SyntaxFailure {
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
  private func describe(_ token: Token) -> String {
    switch token.kind {
    case .newline: return "end of line"
    case .indent: return "indent"
    case .dedent: return "unindent"
    case .endOfFile: return "end of file"
    case .string: return "string literal"
    default:
      let limit = 30
      let text = lexer.text(from: token.start, to: min(token.end, token.start + limit))
      return "'\(text)\(token.end - token.start > limit ? "..." : "")'"
    }
  }
}

extension Expr {
  /// Whether Python would accept this expression before `: annotation` in a statement.
  fileprivate var isAnnotationTarget: Bool {
    switch kind {
    case .name, .attribute, .subscript: true
    default: false
    }
  }
}
