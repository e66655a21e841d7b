extension ScriptParser {
  // MARK: - Expressions

  /// An expression, or several separated by commas (a tuple without parentheses), with an
  /// optional trailing comma; elements may be starred (`a, *rest`): Python's `star_expressions`.
  mutating func parseExpressionList() throws(SyntaxFailure) -> Expr {
    let first = try parseStarredExpression()
    guard isPunctuator(.comma) else { return first }
    var elements = [first]
    while try accept(.comma) {
      guard startsExpression else { break }
      elements.append(try parseStarredExpression())
    }
    return Expr(.tuple(elements), at: first.location)
  }

  /// An expression, or `*operand` where a display or target list allows unpacking.
  mutating func parseStarredExpression() throws(SyntaxFailure) -> Expr {
    guard isPunctuator(.star) else { return try parseExpression() }
    let location = token.location
    try advance()
    return Expr(.starred(try parseBinaryOperators()), at: location)
  }

  // The functions from `parseExpression` down to `parseAtom` are the recursion spine: a bracket
  // nested in an expression passes through each of them once per level. They stay small and hand
  // everything else (chains, tuple endings, errors) to helpers, because unoptimised builds give each
  // function one stack frame sized for all of its temporaries; this keeps 200 levels of nesting
  // well inside a thread's stack even in debug builds.

  /// `lambda`, or a disjunction optionally followed by `if condition else alternative`.
  mutating func parseExpression() throws(SyntaxFailure) -> Expr {
    if isKeyword(.lambda) { return try parseLambda() }
    let value = try parseDisjunction()
    return isKeyword(.if) ? try parseConditional(whenTrue: value) : value
  }

  /// The rest of `whenTrue if condition else whenFalse`, starting at `if`.
  mutating func parseConditional(whenTrue value: Expr) throws(SyntaxFailure) -> Expr {
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

  mutating func parseLambda() throws(SyntaxFailure) -> Expr {
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

  mutating func parseDisjunction() throws(SyntaxFailure) -> Expr {
    let first = try parseConjunction()
    return isKeyword(.or) ? try parseLogicalChain(.or, first: first) : first
  }

  mutating func parseConjunction() throws(SyntaxFailure) -> Expr {
    let first = try parseInversion()
    return isKeyword(.and) ? try parseLogicalChain(.and, first: first) : first
  }

  /// The n-ary `first or ...` / `first and ...` chain, starting at the first operator.
  mutating func parseLogicalChain(_ op: LogicalOperator, first: Expr) throws(SyntaxFailure) -> Expr {
    let keyword: Keyword = op == .or ? .or : .and
    var operands = [first]
    while isKeyword(keyword) {
      try advance()
      operands.append(op == .or ? try parseConjunction() : try parseInversion())
    }
    return Expr(.logical(op, operands), at: first.location)
  }

  mutating func parseInversion() throws(SyntaxFailure) -> Expr {
    guard isKeyword(.not) else { return try parseComparison() }
    let location = token.location
    try nest()
    try advance()
    let operand = try parseInversion()
    depth -= 1
    return Expr(.unary(.not, operand), at: location)
  }

  mutating func parseComparison() throws(SyntaxFailure) -> Expr {
    let first = try parseBinaryOperators()
    return startsComparison ? try parseComparisonChain(first: first) : first
  }

  /// Whether the token begins a comparison operator (`not` only as in `not in`).
  var startsComparison: Bool {
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
  mutating func parseComparisonChain(first: Expr) throws(SyntaxFailure) -> Expr {
    var links: [Comparison] = []
    while startsComparison {
      let location = token.location
      let op = try parseComparisonOperator()
      links.append(Comparison(op, try parseBinaryOperators(), at: location))
    }
    return Expr(.comparison(first, links), at: first.location)
  }

  /// Consumes a comparison operator (`not in` and `is not` are two tokens).
  mutating func parseComparisonOperator() throws(SyntaxFailure) -> ComparisonOperator {
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
  static func binaryOperator(_ kind: Token.Kind) -> (op: BinaryOperator, level: Int)? {
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
  struct OpenChain {
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

  mutating func parseBinaryOperators() throws(SyntaxFailure) -> Expr {
    let first = try parseUnary()
    return Self.binaryOperator(token.kind) == nil ? first : try parseBinaryChain(first: first)
  }

  /// Operands joined by binary operators, parsed in one flat loop and grouped into n-ary chains
  /// by precedence as it goes (operator precedence parsing with a stack of open chains, levels
  /// increasing towards the top). Neither recursion nor work per operand depends on the length
  /// of the expression.
  mutating func parseBinaryChain(first: Expr) throws(SyntaxFailure) -> Expr {
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
  mutating func parseUnary() throws(SyntaxFailure) -> Expr {
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
  mutating func parsePower() throws(SyntaxFailure) -> Expr {
    let base = try parsePrimary()
    return isPunctuator(.doubleStar) ? try parseExponent(base: base) : base
  }

  /// `** exponent` after `base`, starting at `**`.
  mutating func parseExponent(base: Expr) throws(SyntaxFailure) -> Expr {
    let location = token.location
    try nest()
    try advance()
    let exponent = try parseUnary()
    depth -= 1
    return Expr(.binary(base, [BinaryOperation(.power, exponent, at: location)]), at: base.location)
  }

  /// An atom followed by any number of `.name`, `(arguments)` and `[index]`.
  mutating func parsePrimary() throws(SyntaxFailure) -> Expr {
    let atom = try parseAtom()
    return startsPostfix ? try parsePostfixChain(base: atom) : atom
  }

  var startsPostfix: Bool {
    isPunctuator(.dot) || isPunctuator(.leftParen) || isPunctuator(.leftBracket)
  }

  /// The `.name`, `(arguments)` and `[index]` operations after `base`, each one nesting level.
  mutating func parsePostfixChain(base: Expr) throws(SyntaxFailure) -> Expr {
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
  mutating func parseArguments() throws(SyntaxFailure) -> [Argument] {
    try advance()
    var arguments: [Argument] = []
    var order = ArgumentOrder()
    while !isPunctuator(.rightParen) {
      var argument = try parseArgument()
      if isKeyword(.for), case .positional = argument.kind {
        let generator = try parseComprehension(.generator, element: argument.value, value: nil)
        guard arguments.isEmpty, isPunctuator(.rightParen) else {
          throw error("Generator expression must be parenthesized", at: argument.location)
        }
        argument = Argument(.positional, generator, at: argument.location)
      }
      if let message = order.violation(by: argument) { throw error(message, at: argument.location) }
      arguments.append(argument)
      guard try accept(.comma) else { break }
    }
    guard try accept(.rightParen) else { throw unexpected("expected ',' or ')' in the call") }
    return arguments
  }

  /// One argument: `value`, `name=value`, `*value` or `**value`.
  mutating func parseArgument() throws(SyntaxFailure) -> Argument {
    let location = token.location
    if try accept(.star) { return Argument(.unpackedSequence, try parseExpression(), at: location) }
    if try accept(.doubleStar) { return Argument(.unpackedMapping, try parseExpression(), at: location) }
    let startsWithName = if case .name = token.kind { true } else { false }
    let value = try parseExpression()
    guard isPunctuator(.assign) else { return Argument(.positional, value, at: location) }
    guard startsWithName, case .name(let keyword) = value.kind else {
      throw error("expression cannot contain assignment, perhaps you meant \"==\"?", at: value.location)
    }
    try advance()
    return Argument(.keyword(keyword.text), try parseExpression(), at: location)
  }

  /// Python's rules for the order of call arguments, checked one argument at a time: positional
  /// arguments come before keywords and `**`, `*` comes before `**`, keyword names are distinct.
  struct ArgumentOrder {
    var sawKeyword = false
    var sawMappingUnpacking = false
    var keywords: Set<String> = []

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
  mutating func parseSubscriptIndex() throws(SyntaxFailure) -> Expr {
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
  mutating func parseSubscriptItem() throws(SyntaxFailure) -> Expr {
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
  var endsSliceBound: Bool {
    isPunctuator(.colon) || isPunctuator(.comma) || isPunctuator(.rightBracket)
  }

  mutating func parseAtom() throws(SyntaxFailure) -> Expr {
    if isPunctuator(.leftParen) { return try parseParenthesized() }
    if isPunctuator(.leftBracket) { return try parseList() }
    if isPunctuator(.leftBrace) { return try parseBraces() }
    return try parseLeaf()
  }

  /// An atom without brackets: a name, a literal, or an error naming what cannot start one.
  mutating func parseLeaf() throws(SyntaxFailure) -> Expr {
    let location = token.location
    let kind: ExprKind
    switch token.kind {
    case .name(let name): kind = .name(Name(name))
    case .integer(let value): kind = .integer(value)
    case .float(let value): kind = .float(value)
    case .keyword(.true): kind = .boolean(true)
    case .keyword(.false): kind = .boolean(false)
    case .keyword(.none): kind = .none
    case .punctuator(.ellipsis): kind = .ellipsis
    case .string, .formattedString:
      return try parseStrings()
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
  mutating func parseParenthesized() throws(SyntaxFailure) -> Expr {
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
  mutating func parseParenthesizedContents(
    openedAt location: SourceLocation
  ) throws(SyntaxFailure) -> Expr {
    let first = try parseStarredExpression()
    if isKeyword(.for) {
      if case .starred = first.kind { throw error("iterable unpacking cannot be used in comprehension", at: first.location) }
      return try parseComprehension(.generator, element: first, value: nil, at: location)
    }
    guard isPunctuator(.comma) else {
      if case .starred = first.kind { throw error("cannot use starred expression here", at: first.location) }
      return first
    }
    var elements = [first]
    while try accept(.comma) {
      if isPunctuator(.rightParen) { break }
      elements.append(try parseStarredExpression())
    }
    return Expr(.tuple(elements), at: location)
  }

  /// `[a, b, ...]`, starting at `[`.
  mutating func parseList() throws(SyntaxFailure) -> Expr {
    let location = token.location
    try nest()
    try advance()
    var elements: [Expr] = []
    while !isPunctuator(.rightBracket) {
      elements.append(try parseStarredExpression())
      if elements.count == 1, isKeyword(.for) {
        if case .starred = elements[0].kind {
          throw error("iterable unpacking cannot be used in comprehension", at: elements[0].location)
        }
        let comprehension = try parseComprehension(.list, element: elements[0], value: nil, at: location)
        guard try accept(.rightBracket) else { throw unexpected("expected ']'") }
        depth -= 1
        return comprehension
      }
      guard try accept(.comma) else { break }
    }
    guard try accept(.rightBracket) else { throw unexpected("expected ',' or ']'") }
    depth -= 1
    return Expr(.list(elements), at: location)
  }

}
