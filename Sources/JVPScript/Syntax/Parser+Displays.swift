/// Displays and literals that build values: dicts, sets, comprehensions, and (f-)strings.
extension ScriptParser {
  /// `{}`, `{k: v, **d}`, `{a, *b}`, `{k: v for ...}`, `{x for ...}`, starting at `{`.
  mutating func parseBraces() throws(SyntaxFailure) -> Expr {
    let location = token.location
    try nest()
    try advance()
    defer { depth -= 1 }
    if try accept(.rightBrace) { return Expr(.dict([]), at: location) }
    if isPunctuator(.doubleStar) {
      return try parseDictDisplay(at: location)
    }
    let first = try parseStarredExpression()
    if isPunctuator(.colon) {
      try advance()
      let value = try parseExpression()
      if isKeyword(.for) {
        let comprehension = try parseComprehension(.dict, element: first, value: value, at: location)
        guard try accept(.rightBrace) else { throw unexpected("expected '}'") }
        return comprehension
      }
      return try parseDictDisplay(at: location, first: DictEntry(key: first, value: value))
    }
    if isKeyword(.for) {
      let comprehension = try parseComprehension(.set, element: first, value: nil, at: location)
      guard try accept(.rightBrace) else { throw unexpected("expected '}'") }
      return comprehension
    }
    var elements = [first]
    while try accept(.comma) {
      if isPunctuator(.rightBrace) { break }
      elements.append(try parseStarredExpression())
    }
    guard try accept(.rightBrace) else { throw unexpected("expected ',' or '}'") }
    return Expr(.set(elements), at: location)
  }

  /// The entries of a dict display up to and including its `}`.
  private mutating func parseDictDisplay(at location: SourceLocation, first: DictEntry? = nil) throws(SyntaxFailure) -> Expr {
    var entries: [DictEntry] = first.map { [$0] } ?? []
    if first == nil { entries.append(try parseDictEntry()) }
    while try accept(.comma) {
      if isPunctuator(.rightBrace) { break }
      entries.append(try parseDictEntry())
    }
    guard try accept(.rightBrace) else { throw unexpected("expected ',' or '}'") }
    return Expr(.dict(entries), at: location)
  }

  private mutating func parseDictEntry() throws(SyntaxFailure) -> DictEntry {
    if try accept(.doubleStar) { return DictEntry(key: nil, value: try parseBinaryOperators()) }
    let key = try parseExpression()
    guard try accept(.colon) else { throw unexpected("expected ':'") }
    return DictEntry(key: key, value: try parseExpression())
  }

  /// The `for ... in ... if ...` clauses after a comprehension's element, starting at the first `for`.
  mutating func parseComprehension(
    _ kind: Comprehension.Kind, element: Expr, value: Expr?, at location: SourceLocation? = nil
  ) throws(SyntaxFailure) -> Expr {
    var clauses: [ComprehensionClause] = []
    while isKeyword(.for) || (isKeyword(.if) && !clauses.isEmpty) {
      if try acceptKeyword(.for) {
        let target = try parseTargetList()
        guard try acceptKeyword(.in) else { throw unexpected("expected 'in'") }
        clauses.append(.for(target, try parseDisjunction()))
      } else {
        try advance()
        clauses.append(.if(try parseDisjunction()))
      }
    }
    let comprehension = Comprehension(kind: kind, element: element, value: value, clauses: clauses)
    return Expr(.comprehension(comprehension), at: location ?? element.location)
  }

  /// Consumes the keyword if it is next.
  mutating func acceptKeyword(_ keyword: Keyword) throws(SyntaxFailure) -> Bool {
    guard isKeyword(keyword) else { return false }
    try advance()
    return true
  }

  /// Adjacent string literals, concatenated; an f-string among them makes the whole an f-string.
  mutating func parseStrings() throws(SyntaxFailure) -> Expr {
    let location = token.location
    var parts: [FormattedPart] = []
    var isFormatted = false
    while true {
      switch token.kind {
      case .string(let text):
        parts.append(.literal(text))
      case .formattedString(let pieces):
        isFormatted = true
        parts += try formattedParts(pieces)
      default:
        return Expr(isFormatted ? .formattedString(Self.merged(parts)) : .string(Self.literalText(parts)), at: location)
      }
      try advance()
    }
  }

  /// The f-string's pieces with each field's expression parsed in place (its tokens keep their source positions).
  private func formattedParts(_ pieces: [FormattedStringPiece]) throws(SyntaxFailure) -> [FormattedPart] {
    var parts: [FormattedPart] = []
    for piece in pieces {
      switch piece {
      case .literal(let text):
        parts.append(.literal(text))
      case .field(let field):
        var parser = try ScriptParser(lexer: lexer.fieldLexer(field), file: file)
        parser.depth = depth
        let expression = try parser.parseExpressionList()
        guard parser.token.kind == .newline || parser.token.kind == .endOfFile else {
          throw parser.unexpected("f-string: expecting '}'")
        }
        let spec = try field.spec.map { pieces throws(SyntaxFailure) in Self.merged(try formattedParts(pieces)) }
        parts.append(.field(expression: expression, debugText: field.debugText, conversion: field.conversion, spec: spec))
      }
    }
    return parts
  }

  /// Parts with neighbouring literals joined.
  private static func merged(_ parts: [FormattedPart]) -> [FormattedPart] {
    var result: [FormattedPart] = []
    for part in parts {
      if case .literal(let text) = part, case .literal(let previous)? = result.last {
        result[result.count - 1] = .literal(previous + text)
      } else {
        result.append(part)
      }
    }
    return result
  }

  private static func literalText(_ parts: [FormattedPart]) -> String {
    parts.map { if case .literal(let text) = $0 { text } else { "" } }.joined()
  }
}
