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
///
/// The SQL is kept shallow, because SQLite's parser stack overflows near 100 nested levels and its
/// expression trees may not be deeper than 1000: parentheses are emitted only where SQL's
/// precedence needs them (never for the filter's redundant ones), `and`/`or` chains are grouped as
/// balanced trees (a chain of 10,000 comparisons nests 14 levels, not 10,000), and a filter whose
/// SQL would still nest deeper than `maximumSQLDepth`, or that has more than `maximumComparisons`
/// comparisons, is refused here with its position rather than by SQLite with a vague message.
struct FilterParser {
  /// Deeper nesting is refused rather than risk the stack on a pathological filter.
  static let maximumDepth = 100
  /// Parenthesised levels the generated SQL may have: `not`s of compound conditions and `or`s
  /// inside `and`s, plus the balanced grouping of long chains. Far inside SQLite's parser stack.
  static let maximumSQLDepth = 16
  /// Each comparison binds one or two SQL parameters; SQLite builds may allow as few as 32766.
  static let maximumComparisons = 10_000

  private let tokens: [FilterToken]
  private let dialect: SQLDialect
  private var position = 0
  private var depth = 0
  private var comparisons = 0

  /// A condition being built, with how its SQL must be wrapped when it becomes an operand.
  private struct Condition {
    enum Form { case comparison, and, or, not }
    var fragment: SQLFragment
    var form: Form
    /// Levels of parentheses inside `fragment.sql`.
    var sqlDepth: Int

    /// The SQL to use as an operand of `connective` (`AND`, `OR`) or of `NOT`, and its depth.
    func operand(of parent: Form) -> (sql: String, depth: Int) {
      let needsParentheses = switch (form, parent) {
      case (.comparison, _), (.not, _): false
      case (.and, .and), (.or, .or), (.and, .or): false
      default: true
      }
      return needsParentheses ? ("(" + fragment.sql + ")", sqlDepth + 1) : (fragment.sql, sqlDepth)
    }
  }

  /// The SQL condition of `filter`, or nil when the filter is empty (every run matches).
  static func condition(_ filter: String, dialect: SQLDialect) throws(QueryError) -> SQLFragment? {
    var parser = FilterParser(tokens: try FilterLexer.tokens(filter), dialect: dialect)
    guard parser.current.kind != .end else { return nil }
    let condition = try parser.parseOr()
    guard parser.current.kind == .end else {
      let hint = parser.current.kind == .rightParenthesis ? "no '(' to close" : "expected 'and', 'or' or the end of the filter"
      throw QueryError(.filter, "\(hint), found \(parser.current.quoted)", at: parser.current.offset)
    }
    return condition.fragment
  }

  private init(tokens: [FilterToken], dialect: SQLDialect) {
    self.tokens = tokens
    self.dialect = dialect
  }

  private var current: FilterToken { tokens[position] }

  private mutating func advance() -> FilterToken {
    let token = tokens[position]
    if token.kind != .end { position += 1 }
    return token
  }

  private mutating func parseOr() throws(QueryError) -> Condition {
    let start = current
    var operands = [try parseAnd()]
    while current.keyword == "or" {
      _ = advance()
      operands.append(try parseAnd())
    }
    return try Self.chain(operands, .or, at: start)
  }

  private mutating func parseAnd() throws(QueryError) -> Condition {
    let start = current
    var operands = [try parseNot()]
    while current.keyword == "and" {
      _ = advance()
      operands.append(try parseNot())
    }
    return try Self.chain(operands, .and, at: start)
  }

  private mutating func parseNot() throws(QueryError) -> Condition {
    guard current.keyword == "not" else { return try parsePrimary() }
    let not = advance()
    try enter(not)
    defer { depth -= 1 }
    let operand = try parseNot()
    // `NOT IFNULL(x, 0)`, written so that it nests no deeper than a parenthesis: a condition is
    // 1, 0 or NULL, and `x IS NOT 1` holds exactly where `x` does not.
    let inner = operand.form == .comparison ? (operand.fragment.sql, operand.sqlDepth) : ("(" + operand.fragment.sql + ")", operand.sqlDepth + 1)
    let condition = Condition(
      fragment: SQLFragment(sql: dialect.notTrue(inner.0), arguments: operand.fragment.arguments), form: .not, sqlDepth: inner.1)
    try Self.check(condition, at: not)
    return condition
  }

  private mutating func parsePrimary() throws(QueryError) -> Condition {
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
      // The filter's parentheses group; the SQL gets its own only where precedence needs them.
      return inner
    }
    guard current.kind == .word, current.keyword == nil else {
      throw QueryError(.filter, "expected a comparison such as kind = jvp, found \(current.quoted)", at: current.offset)
    }
    let fieldToken = advance()
    guard let field = QueryField(fieldToken.text) else {
      throw QueryError(.filter, "unknown field '\(QueryError.printable(fieldToken.text))'; fields are \(QueryField.names)", at: fieldToken.offset)
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
    comparisons += 1
    guard comparisons <= Self.maximumComparisons else {
      throw QueryError(.filter, "the filter has more than \(Self.maximumComparisons) comparisons", at: fieldToken.offset)
    }
    return Condition(fragment: try field.comparison(op, advance(), dialect: dialect), form: .comparison, sqlDepth: 0)
  }

  private mutating func enter(_ token: FilterToken) throws(QueryError) {
    depth += 1
    guard depth <= Self.maximumDepth else {
      throw QueryError(.filter, "the filter nests deeper than \(Self.maximumDepth) levels", at: token.offset)
    }
  }

  /// `operands` joined by `form` (`and` or `or`), grouped as a balanced tree.
  private static func chain(_ operands: [Condition], _ form: Condition.Form, at token: FilterToken) throws(QueryError) -> Condition {
    guard operands.count > 1 else { return operands[0] }
    func group(_ range: Range<Int>) -> Condition {
      if range.count == 1 { return operands[range.lowerBound] }
      let middle = range.lowerBound + range.count / 2
      let left = group(range.lowerBound..<middle).operand(of: form)
      var right = group(middle..<range.upperBound).operand(of: form)
      // The right half of a balanced chain is a chain of its own: SQL reads `a OR b OR c` from the left.
      if range.upperBound - middle > 1 { right = ("(" + right.sql + ")", right.depth + 1) }
      let connective = form == .and ? "AND" : "OR"
      let leftArguments = collectArguments(range.lowerBound..<middle)
      let rightArguments = collectArguments(middle..<range.upperBound)
      return Condition(
        fragment: SQLFragment(sql: "\(left.sql) \(connective) \(right.sql)", arguments: leftArguments + rightArguments),
        form: form, sqlDepth: max(left.depth, right.depth))
    }
    func collectArguments(_ range: Range<Int>) -> [SQLValue] { operands[range].flatMap(\.fragment.arguments) }
    let condition = group(0..<operands.count)
    try check(condition, at: token)
    return condition
  }

  private static func check(_ condition: Condition, at token: FilterToken) throws(QueryError) {
    guard condition.sqlDepth <= maximumSQLDepth else {
      throw QueryError(
        .filter, "the filter nests 'and', 'or' and 'not' too deeply (more than \(maximumSQLDepth) alternating levels)",
        at: token.offset)
    }
  }
}
