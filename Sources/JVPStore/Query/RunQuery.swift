/// A `jvplab query`: which runs (a filter), in what order (sort keys), how many (a limit).
///
/// Compiled once, at construction, into parameterized SQL for each engine (`SQLDialect`): field names
/// map to SQL only through `QueryField`'s whitelist, and every value and every phase, check or tag name
/// is a bound argument, so no text of the filter ever becomes SQL.
///
/// Filter: comparisons `FIELD OP VALUE` joined by `and`, `or`, `not` and parentheses, with
/// OP one of `= != < <= > >= ~` (`~` is a glob match on text). Values are numbers (durations may
/// carry `ns us ms s`), quoted strings, or bare words. `started < 2026-11-27T12:00` compares UTC
/// times; `started ~ '2026-11-27*'` matches a day. A comparison with a missing value (no such tag,
/// phase or check) is false, but `!=` is exactly `not =`.
/// Sort: comma-separated fields, `-` first for descending; runs with no value for a key come last.
/// Ties, and an absent sort, go newest first.
public struct RunQuery: Sendable {
  /// The fields a filter or sort key may name, as `jvplab query --help` and errors list them.
  public static let fieldNames = QueryField.names

  /// Which runs a query looks at: the live ones, or those `jvplab rm` removed.
  public enum Scope: Sendable {
    case live
    case deleted
  }

  public let filter: String
  public let sort: String?
  public let limit: Int?
  public let scope: Scope
  /// Runs skipped before the first one returned (a page of a long history).
  public let offset: Int
  /// The query in SQLite's dialect and in PostgreSQL's.
  let sqlite: CompiledRunQuery
  let postgres: CompiledRunQuery

  /// Parses and compiles the query; throws a `QueryError` pointing into `filter` or `sort`.
  public init(
    filter: String = "", sort: String? = nil, limit: Int? = nil, offset: Int = 0, scope: Scope = .live
  ) throws(QueryError) {
    self.filter = filter
    self.sort = sort
    self.limit = limit
    self.scope = scope
    self.offset = max(offset, 0)
    sqlite = try Self.compile(filter: filter, sort: sort, limit: limit, offset: offset, scope: scope, dialect: .sqlite)
    postgres = try Self.compile(filter: filter, sort: sort, limit: limit, offset: offset, scope: scope, dialect: .postgres)
  }

  /// The query for `dialect`'s engine.
  public func compiled(for dialect: SQLDialect) -> CompiledRunQuery {
    dialect.engine == .sqlite ? sqlite : postgres
  }

  private static func compile(
    filter: String, sort: String?, limit: Int?, offset: Int, scope: Scope, dialect: SQLDialect
  ) throws(QueryError) -> CompiledRunQuery {
    let live = "runs.deleted IS " + (scope == .live ? "NULL" : "NOT NULL")
    var sql = "SELECT runs.* FROM runs WHERE " + live
    var countSQL = "SELECT count(*) FROM runs WHERE " + live
    var arguments: [SQLValue] = []
    if let condition = try FilterParser.condition(filter, dialect: dialect) {
      sql += " AND (" + condition.sql + ")"
      countSQL += " AND (" + condition.sql + ")"
      arguments += condition.arguments
    }
    let countArguments = arguments
    let order = try orderBy(sort ?? "")
    sql += " ORDER BY " + order.sql
    arguments += order.arguments
    if let limit {
      guard limit >= 0 else { throw QueryError(.limit, "expected a count of runs, 0 or more, found \(limit)", at: 0) }
      sql += " LIMIT ?"
      arguments.append(.integer(Int64(limit)))
    }
    if offset > 0 {
      if limit == nil { sql += dialect.noLimit }
      sql += " OFFSET ?"
      arguments.append(.integer(Int64(offset)))
    }
    return CompiledRunQuery(
      sql: dialect.render(sql), arguments: arguments, countSQL: dialect.render(countSQL), countArguments: countArguments)
  }

  /// The ORDER BY terms of a sort list such as `-time.jvp,name`, ending with `runs.id DESC`.
  private static func orderBy(_ sort: String) throws(QueryError) -> SQLFragment {
    var terms: [String] = []
    var arguments: [SQLValue] = []
    let characters = Array(sort)
    if !characters.allSatisfy(\.isWhitespace) {
      var start = 0
      while start <= characters.count {
        let end = characters[start...].firstIndex(of: ",") ?? characters.count
        var keyStart = start
        while keyStart < end, characters[keyStart].isWhitespace { keyStart += 1 }
        var keyEnd = end
        while keyEnd > keyStart, characters[keyEnd - 1].isWhitespace { keyEnd -= 1 }
        var descending = false
        if keyStart < keyEnd, characters[keyStart] == "-" || characters[keyStart] == "+" {
          descending = characters[keyStart] == "-"
          keyStart += 1
        }
        let name = String(characters[keyStart..<keyEnd])
        guard !name.isEmpty else { throw QueryError(.sort, "expected a field name to sort by", at: keyStart) }
        guard let field = QueryField(name) else {
          throw QueryError(.sort, "unknown field '\(QueryError.printable(name))'; fields are \(QueryField.names)", at: keyStart)
        }
        let expression = field.sortExpression
        terms.append("\(expression.sql) \(descending ? "DESC" : "ASC") NULLS LAST")
        arguments += expression.arguments
        start = end + 1
      }
    }
    terms.append("runs.id DESC")
    return SQLFragment(sql: terms.joined(separator: ", "), arguments: arguments)
  }
}

/// A `RunQuery` in one engine's SQL: the runs it selects and how many its filter matches.
public struct CompiledRunQuery: Sendable {
  /// `SELECT runs.* FROM runs ...`, with `arguments` for its placeholders.
  public let sql: String
  public let arguments: [SQLValue]
  /// `SELECT count(*) FROM runs ...`: how many runs the filter matches, whatever the limit.
  public let countSQL: String
  public let countArguments: [SQLValue]
}
