extension ScriptParser {
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

  /// Parses one line's statements (or a whole compound statement) and appends them.
  mutating func parseStatement(into statements: inout [Statement]) throws(SyntaxFailure) {
    switch token.kind {
    case .indent:
      throw error("unexpected indent", at: token.location)
    case .keyword(.def):
      statements.append(try parseFunctionDefinition())
    case .keyword(.if):
      statements.append(try parseIf())
    case .keyword(.while):
      statements.append(try parseWhile())
    case .keyword(.for):
      statements.append(try parseFor())
    case .keyword(.try):
      statements.append(try parseTry())
    case .keyword(.with):
      statements.append(try parseWith())
    case .keyword(let keyword) where [.elif, .else, .except, .finally].contains(keyword):
      throw error("invalid syntax: '\(keyword.rawValue)' without a matching statement before it", at: token.location)
    default:
      try parseSimpleStatements(into: &statements)
    }
  }

  /// Parses `;`-separated simple statements up to and including the end of the line.
  mutating func parseSimpleStatements(into statements: inout [Statement]) throws(SyntaxFailure) {
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

  mutating func parseSimpleStatement() throws(SyntaxFailure) -> Statement {
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
    case .keyword(let keyword) where [.def, .if, .while, .for, .try, .with].contains(keyword):
      throw error("'\(keyword.rawValue)' must start a new line", at: location)
    case .keyword(.return):
      guard functionDepth > 0 else { throw error("'return' outside function", at: location) }
      try advance()
      let endsStatement = token.kind == .newline || token.kind == .punctuator(.semicolon)
      let value = endsStatement ? nil : try parseExpressionList()
      return Statement(.return(value), at: location)
    case .keyword(.pass):
      try advance()
      return Statement(.pass, at: location)
    case .keyword(.break), .keyword(.continue):
      let isBreak = token.kind == .keyword(.break)
      guard loopDepth > 0 else { throw error("'\(isBreak ? "break" : "continue")' outside loop", at: location) }
      try advance()
      return Statement(isBreak ? .break : .continue, at: location)
    case .keyword(.assert):
      try advance()
      let condition = try parseExpression()
      let message = try accept(.comma) ? try parseExpression() : nil
      return Statement(.assert(condition: condition, message: message), at: location)
    case .keyword(.del):
      try advance()
      let operand = try parseExpressionList()
      let items = if case .tuple(let items) = operand.kind { items } else { [operand] }
      var targets: [AssignmentTarget] = []
      for item in items { targets.append(try assignmentTarget(item, deleting: true)) }
      return Statement(.delete(targets), at: location)
    case .keyword(.global), .keyword(.nonlocal):
      let isGlobal = token.kind == .keyword(.global)
      try advance()
      var names = [try expectName("expected a name")]
      while try accept(.comma) { names.append(try expectName("expected a name")) }
      if !isGlobal && functionDepth == 0 { throw error("nonlocal declaration not allowed at module level", at: location) }
      return Statement(isGlobal ? .global(names) : .nonlocal(names), at: location)
    case .keyword(.raise):
      try advance()
      let endsStatement = token.kind == .newline || token.kind == .punctuator(.semicolon)
      let exception = endsStatement ? nil : try parseExpression()
      let cause = exception != nil && isKeyword(.from) ? try { () throws(SyntaxFailure) -> Expr in
        try advance()
        return try parseExpression()
      }() : nil
      return Statement(.raise(exception: exception, cause: cause), at: location)
    default:
      return try parseExpressionStatement()
    }
  }

  /// An expression statement, or an assignment when `=` follows the first expression list.
  mutating func parseExpressionStatement() throws(SyntaxFailure) -> Statement {
    let first = try parseExpressionList()
    if case .punctuator(let punctuator) = token.kind {
      if let op = punctuator.augmentedOperator {
        let operatorLocation = token.location
        let target: AssignmentTarget
        switch first.kind {
        case .name, .attribute, .subscript: target = try assignmentTarget(first)
        default: throw error("'\(first.kind.syntaxName)' is an illegal expression for augmented assignment", at: first.location)
        }
        try advance()
        let value = try parseExpressionList()
        let assignment = AugmentedAssignment(target: target, op: op, value: value, operatorLocation: operatorLocation)
        return Statement(.augmentedAssignment(assignment), at: first.location)
      }
      if punctuator == .colon, first.isAnnotationTarget {
        throw error("unsupported statement ':' (annotated assignment)", at: token.location)
      }
      if punctuator == .walrus {
        throw error("unsupported expression ':=' (assignment expression)", at: token.location)
      }
    }
    guard isPunctuator(.assign) else {
      if case .starred = first.kind { throw error("can't use starred expression here", at: first.location) }
      return Statement(.expression(first, endsWithSemicolon: false), at: first.location)
    }
    var sides = [first]
    while try accept(.assign) {
      sides.append(try parseExpressionList())
    }
    let value = sides.removeLast()
    if case .starred = value.kind { throw error("can't use starred expression here", at: value.location) }
    var targets: [AssignmentTarget] = []
    for side in sides {
      targets.append(try assignmentTarget(side))
    }
    return Statement(.assignment(targets: targets, value: value), at: first.location)
  }

  /// Converts the expression left of `=` (or after `for`, or after `del`) into a target, rejecting what
  /// cannot be assigned to.
  func assignmentTarget(_ expression: Expr, deleting: Bool = false) throws(SyntaxFailure) -> AssignmentTarget {
    switch expression.kind {
    case .name(let name):
      return .name(name, expression.location)
    case .tuple(let elements), .list(let elements):
      var targets: [AssignmentTarget] = []
      var starred = false
      for element in elements {
        if case .starred = element.kind {
          guard !deleting else { throw error("cannot delete starred", at: element.location) }
          guard !starred else { throw error("multiple starred expressions in assignment", at: element.location) }
          starred = true
        }
        targets.append(try assignmentTarget(element, deleting: deleting))
      }
      return .tuple(targets, expression.location)
    case .starred(let inner):
      return .starred(try assignmentTarget(inner, deleting: deleting), expression.location)
    case .attribute(let base, let name, _):
      return .attribute(base, name: name, expression.location)
    case .subscript(let base, let index):
      return .subscript(base, index: index, expression.location)
    default:
      throw error("cannot \(deleting ? "delete" : "assign to") \(expression.kind.syntaxName)", at: expression.location)
    }
  }

  /// `import a.b [as c], d`.
  mutating func parseImport() throws(SyntaxFailure) -> Statement {
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
  mutating func parseFromImport() throws(SyntaxFailure) -> Statement {
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

  mutating func parseModulePath() throws(SyntaxFailure) -> ModulePath {
    let location = token.location
    var components = [try expectName("expected a module name")]
    while try accept(.dot) {
      components.append(try expectName("expected a module name after '.'"))
    }
    return ModulePath(components: components, location: location)
  }

  mutating func parseAlias() throws(SyntaxFailure) -> String? {
    guard isKeyword(.as) else { return nil }
    try advance()
    return try expectName("expected a name after 'as'")
  }

  /// `def name(params) [-> annotation]:` with a same-line body or an indented block.
  mutating func parseFunctionDefinition() throws(SyntaxFailure) -> Statement {
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
    let outerLoops = loopDepth
    loopDepth = 0
    let body = try parseBlock(after: start.location, "function definition")
    let end = previousEnd
    loopDepth = outerLoops
    functionDepth -= 1
    depth -= 1
    let function = FunctionDefinition(
      name: name, parameters: parameters, returnAnnotation: returnAnnotation, body: body,
      source: lexer.text(from: start.start, to: end), location: start.location)
    return Statement(.functionDefinition(function), at: start.location)
  }

  /// Parameters up to (not including) `closing`: names with optional annotations and defaults, `*args`,
  /// keyword-only parameters after `*`, `**kwargs`, and the positional-only marker `/`.
  mutating func parseParameters(
    closing: Punctuator, allowsAnnotations: Bool
  ) throws(SyntaxFailure) -> [Parameter] {
    var parameters: [Parameter] = []
    var names: Set<String> = []
    var sawDefault = false
    var kind = Parameter.Kind.positional
    var sawVariadicKeyword = false
    while !isPunctuator(closing) {
      let location = token.location
      guard !sawVariadicKeyword else { throw error("arguments cannot follow var-keyword argument", at: location) }
      if try accept(.slash) {
        guard kind == .positional, !parameters.isEmpty else { throw error("invalid syntax: '/' must follow a parameter", at: location) }
        guard try accept(.comma) else { break }
        continue
      }
      var parameterKind = kind
      if try accept(.star) {
        guard kind == .positional else { throw error("* argument may appear only once", at: location) }
        kind = .keywordOnly
        if isPunctuator(closing) { throw error("named arguments must follow bare *", at: location) }
        if isPunctuator(.comma) {
          try advance()
          if isPunctuator(closing) { throw error("named arguments must follow bare *", at: location) }
          continue
        }
        parameterKind = .variadic
      } else if try accept(.doubleStar) {
        parameterKind = .variadicKeyword
        sawVariadicKeyword = true
      }
      let nameLocation = token.location
      let name = try expectName("expected a parameter name")
      guard names.insert(name).inserted else {
        throw error("duplicate argument '\(name)' in function definition", at: nameLocation)
      }
      var annotation: Expr?
      if allowsAnnotations, try accept(.colon) { annotation = try parseExpression() }
      let defaultValue = try accept(.assign) ? try parseExpression() : nil
      if defaultValue != nil {
        guard parameterKind == .positional || parameterKind == .keywordOnly else {
          throw error("var-positional and var-keyword arguments cannot have default values", at: location)
        }
        if parameterKind == .positional { sawDefault = true }
      } else if sawDefault && parameterKind == .positional {
        throw error("parameter without a default follows parameter with a default", at: location)
      }
      parameters.append(Parameter(
        name: name, kind: parameterKind, annotation: annotation, defaultValue: defaultValue, location: nameLocation))
      guard try accept(.comma) else { break }
    }
    return parameters
  }
}
