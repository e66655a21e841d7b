/// Parses a filter into a parameterized SQL condition on `runs`, by recursive descent:
///
/// ```
/// filter     := or?
/// or         := and ("or" and)*
/// and        := not ("and" not)*
/// not        := "not" not | primary
/// primary    := "(" or ")" | comparison
/// comparison := FIELD OP VALUE
/// ```
///
/// Comparisons with missing values are false (NULL in SQL); `not` negates that too, so
/// `not X` holds exactly where `X` does not.
struct FilterParser {
  /// Deeper nesting is refused rather than risk the stack on a pathological filter.
  static let maximumDepth = 100

  private let tokens: [FilterToken]
  private var position = 0
  private var depth = 0

  /// The SQL condition of `filter`, or nil when the filter is empty (every run matches).
  static func condition(_ filter: String) throws(QueryError) -> SQLFragment? {
    var parser = FilterParser(tokens: try FilterLexer.tokens(filter))
    guard parser.current.kind != .end else { return nil }
    let condition = try parser.parseOr()
    guard parser.current.kind == .end else {
      let hint = parser.current.kind == .rightParenthesis ? "no '(' to close" : "expected 'and', 'or' or the end of the filter"
      throw QueryError(.filter, "\(hint), found \(parser.current.quoted)", at: parser.current.offset)
    }
    return condition
  }

  private init(tokens: [FilterToken]) {
    self.tokens = tokens
  }

  private var current: FilterToken { tokens[position] }

  private mutating func advance() -> FilterToken {
    let token = tokens[position]
    if token.kind != .end { position += 1 }
    return token
  }

  private mutating func parseOr() throws(QueryError) -> SQLFragment {
    var left = try parseAnd()
    while current.keyword == "or" {
      _ = advance()
      left = Self.join(left, "OR", try parseAnd())
    }
    return left
  }

  private mutating func parseAnd() throws(QueryError) -> SQLFragment {
    var left = try parseNot()
    while current.keyword == "and" {
      _ = advance()
      left = Self.join(left, "AND", try parseNot())
    }
    return left
  }

  private mutating func parseNot() throws(QueryError) -> SQLFragment {
    guard current.keyword == "not" else { return try parsePrimary() }
    let not = advance()
    try enter(not)
    defer { depth -= 1 }
    let operand = try parseNot()
    return SQLFragment(sql: "NOT IFNULL(\(operand.sql), 0)", arguments: operand.arguments)
  }

  private mutating func parsePrimary() throws(QueryError) -> SQLFragment {
    if current.kind == .leftParenthesis {
      let open = advance()
      try enter(open)
      defer { depth -= 1 }
      let inner = try parseOr()
      guard current.kind == .rightParenthesis else {
        throw QueryError(
          .filter, "expected ')' to close the '(' at column \(open.offset + 1), found \(current.quoted)", at: current.offset)
      }
      _ = advance()
      return SQLFragment(sql: "(\(inner.sql))", arguments: inner.arguments)
    }
    guard current.kind == .word, current.keyword == nil else {
      throw QueryError(.filter, "expected a comparison such as kind = jvp, found \(current.quoted)", at: current.offset)
    }
    let fieldToken = advance()
    guard let field = QueryField(fieldToken.text) else {
      throw QueryError(.filter, "unknown field '\(fieldToken.text)'; fields are \(QueryField.names)", at: fieldToken.offset)
    }
    guard case .comparison(let op) = current.kind else {
      throw QueryError(
        .filter, "expected an operator (= != < <= > >= ~) after '\(fieldToken.text)', found \(current.quoted)",
        at: current.offset)
    }
    let opToken = advance()
    guard current.kind == .string || (current.kind == .word && current.keyword == nil) else {
      throw QueryError(.filter, "expected a value after '\(opToken.text)', found \(current.quoted)", at: current.offset)
    }
    return try field.comparison(op, advance())
  }

  private mutating func enter(_ token: FilterToken) throws(QueryError) {
    depth += 1
    guard depth <= Self.maximumDepth else {
      throw QueryError(.filter, "the filter nests deeper than \(Self.maximumDepth) levels", at: token.offset)
    }
  }

  private static func join(_ left: SQLFragment, _ connective: String, _ right: SQLFragment) -> SQLFragment {
    SQLFragment(sql: "\(left.sql) \(connective) \(right.sql)", arguments: left.arguments + right.arguments)
  }
}
