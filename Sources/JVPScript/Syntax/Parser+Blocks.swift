/// Compound statements: `if`, `while`, `for`, `try`, `with` and the blocks they own.
extension ScriptParser {
  /// The block after a header's `:`: an indented suite of statements, or the simple statements on the same
  /// line. `what` names the header in the error for a missing block (`'if' statement on line 3`).
  mutating func parseBlock(after header: SourceLocation, _ what: String) throws(SyntaxFailure) -> [Statement] {
    var body: [Statement] = []
    guard token.kind == .newline else {
      try parseSimpleStatements(into: &body)
      return body
    }
    try advance()
    guard token.kind == .indent else {
      throw error("expected an indented block after \(what) on line \(header.line)", at: token.location)
    }
    try advance()
    while token.kind != .dedent && token.kind != .endOfFile {
      try parseStatement(into: &body)
    }
    try advance()
    return body
  }

  /// `keyword:` followed by its block (for `else`, `try`, `finally`).
  mutating func parseKeywordBlock(_ keyword: Keyword, _ what: String) throws(SyntaxFailure) -> [Statement] {
    let location = token.location
    try advance()
    guard try accept(.colon) else { throw unexpected("expected ':'") }
    return try parseBlock(after: location, what)
  }

  /// A header's expression followed by `:` and its block.
  mutating func parseGuardedBlock(_ what: String, at location: SourceLocation) throws(SyntaxFailure) -> ConditionalBlock {
    let condition = try parseNamedExpression()
    guard try accept(.colon) else { throw unexpected("expected ':'") }
    return ConditionalBlock(condition: condition, body: try parseBlock(after: location, what))
  }

  /// An `if` condition or `while` condition (a plain expression; `:=` is named as unsupported).
  mutating func parseNamedExpression() throws(SyntaxFailure) -> Expr {
    let expression = try parseExpression()
    if isPunctuator(.walrus) { throw error("unsupported expression ':=' (assignment expression)", at: token.location) }
    return expression
  }

  mutating func parseIf() throws(SyntaxFailure) -> Statement {
    let location = token.location
    try advance()
    var branches = [try parseGuardedBlock("'if' statement", at: location)]
    while isKeyword(.elif) {
      let elifLocation = token.location
      try advance()
      branches.append(try parseGuardedBlock("'elif' statement", at: elifLocation))
    }
    let orElse = isKeyword(.else) ? try parseKeywordBlock(.else, "'else' statement") : []
    return Statement(.if(IfStatement(branches: branches, orElse: orElse)), at: location)
  }

  mutating func parseWhile() throws(SyntaxFailure) -> Statement {
    let location = token.location
    try advance()
    loopDepth += 1
    let guarded = try parseGuardedBlock("'while' statement", at: location)
    loopDepth -= 1
    let orElse = isKeyword(.else) ? try parseKeywordBlock(.else, "'else' statement") : []
    return Statement(.while(WhileLoop(condition: guarded.condition, body: guarded.body, orElse: orElse)), at: location)
  }

  mutating func parseFor() throws(SyntaxFailure) -> Statement {
    let location = token.location
    try advance()
    let target = try parseTargetList()
    guard isKeyword(.in) else { throw unexpected("expected 'in'") }
    try advance()
    let iterable = try parseExpressionList()
    guard try accept(.colon) else { throw unexpected("expected ':'") }
    loopDepth += 1
    let body = try parseBlock(after: location, "'for' statement")
    loopDepth -= 1
    let orElse = isKeyword(.else) ? try parseKeywordBlock(.else, "'else' statement") : []
    let loop = ForLoop(target: target, iterable: iterable, body: body, orElse: orElse)
    return Statement(.for(loop), at: location)
  }

  /// The targets of a `for` statement or comprehension clause, up to `in`: `x`, `i, (a, b)`, `*rest, last`.
  mutating func parseTargetList() throws(SyntaxFailure) -> AssignmentTarget {
    let start = token.location
    var items: [Expr] = []
    var sawComma = false
    while !isKeyword(.in) {
      let location = token.location
      items.append(try accept(.star) ? Expr(.starred(try parseBinaryOperators()), at: location) : try parseBinaryOperators())
      guard try accept(.comma) else { break }
      sawComma = true
    }
    guard !items.isEmpty else { throw unexpected("expected a target") }
    return try assignmentTarget(sawComma ? Expr(.tuple(items), at: start) : items[0])
  }

  mutating func parseTry() throws(SyntaxFailure) -> Statement {
    let location = token.location
    let body = try parseKeywordBlock(.try, "'try' statement")
    var handlers: [ExceptHandler] = []
    while isKeyword(.except) {
      let handlerLocation = token.location
      try advance()
      if let bare = handlers.last, bare.type == nil {
        throw error("default 'except:' must be last", at: bare.location)
      }
      var type: Expr?
      var name: String?
      if !isPunctuator(.colon) {
        type = try parseExpression()
        if isPunctuator(.comma) { throw error("multiple exception types must be parenthesized", at: token.location) }
        if isKeyword(.as) {
          try advance()
          name = try expectName("expected a name after 'as'")
        }
      }
      guard try accept(.colon) else { throw unexpected("expected ':'") }
      let handlerBody = try parseBlock(after: handlerLocation, "'except' statement")
      handlers.append(ExceptHandler(type: type, name: name, body: handlerBody, location: handlerLocation))
    }
    let orElse = !handlers.isEmpty && isKeyword(.else) ? try parseKeywordBlock(.else, "'else' statement") : []
    let finally = isKeyword(.finally) ? try parseKeywordBlock(.finally, "'finally' statement") : []
    guard !handlers.isEmpty || !finally.isEmpty else {
      throw unexpected("expected 'except' or 'finally' block")
    }
    let statement = TryStatement(body: body, handlers: handlers, orElse: orElse, finally: finally)
    return Statement(.try(statement), at: location)
  }

  mutating func parseWith() throws(SyntaxFailure) -> Statement {
    let location = token.location
    try advance()
    var items: [WithItem] = []
    repeat {
      let context = try parseExpression()
      var target: AssignmentTarget?
      if isKeyword(.as) {
        try advance()
        target = try assignmentTarget(try parseBinaryOperators())
      }
      items.append(WithItem(context: context, target: target))
    } while try accept(.comma)
    guard try accept(.colon) else { throw unexpected("expected ':'") }
    let body = try parseBlock(after: location, "'with' statement")
    return Statement(.with(WithStatement(items: items, body: body)), at: location)
  }
}
