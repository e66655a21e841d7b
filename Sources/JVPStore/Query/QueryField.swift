/// A piece of SQL and the values bound to its `?` placeholders, in order.
struct SQLFragment {
  var sql: String
  var arguments: [SQLValue]
}

/// A field a filter or sort key may name, mapped to SQL from a fixed whitelist.
///
/// Only the SQL written in this file reaches the database; names after `time.`, `check.` and
/// `tag.` and every value are bound as arguments.
struct QueryField {
  /// What values a field compares with, and so how a filter's value is read.
  enum ValueType {
    case integer
    case real
    /// Seconds; a value may carry a unit: `ns`, `us` (or `µs`), `ms`, `s`.
    case duration
    case text
    /// UTC ISO-8601 text; values are dates or date-times, normalised to the stored spelling.
    case time
    case boolean
  }

  /// Where the value lives.
  enum Source {
    /// A column of `runs`.
    case column(String)
    /// `valueColumn` of the row of `table` whose `keyColumn` is `key` for the run: a timing
    /// phase, a check, a tag.
    case related(table: String, keyColumn: String, key: String, valueColumn: String)
  }

  var name: String
  var type: ValueType
  var source: Source

  /// The names accepted, for "unknown field" messages.
  static let names =
    "id, uuid, name, kind, transform, fn, strategy, dtype, seed, status, script, started, finished, parent, made_by, line, "
    + "host, error, vectorize, numel.in, numel.out, note, sweep, time.PHASE, check.NAME, check.NAME.rel, check.NAME.ok, "
    + "tag.KEY, grid.KEY"

  private static let columns: [String: (String, ValueType)] = [
    "id": ("id", .integer),
    "uuid": ("uuid", .text),
    "name": ("name", .text),
    "kind": ("kind", .text),
    "fn": ("fn", .text),
    "transform": ("transform", .text),
    "made_by": ("made_by", .integer),
    "strategy": ("strategy", .text),
    "dtype": ("dtype", .text),
    "seed": ("seed", .integer),
    "status": ("status", .text),
    "script": ("script", .text),
    "started": ("started", .time),
    "finished": ("finished", .time),
    "parent": ("parent_id", .integer),
    "line": ("line", .integer),
    "host": ("host", .text),
    "error": ("error", .text),
    "vectorize": ("vectorize", .boolean),
    "numel.in": ("numel_in", .integer),
    "numel.out": ("numel_out", .integer),
    "note": ("note", .text),
    "sweep": ("sweep_id", .integer),
  ]

  /// The field `name` denotes, or nil if there is none.
  ///
  /// `check.NAME.ok` and `check.NAME.rel` take precedence over a check whose name ends in `.ok` or `.rel`.
  init?(_ name: String) {
    self.name = name
    if let (column, type) = Self.columns[name] {
      self.type = type
      source = .column(column)
    } else if let phase = Self.suffix(of: name, after: "time.") {
      type = .duration
      source = .related(table: "timings", keyColumn: "phase", key: phase, valueColumn: "median_s")
    } else if let key = Self.suffix(of: name, after: "tag.") {
      type = .text
      source = .related(table: "tags", keyColumn: "key", key: key, valueColumn: "value")
    } else if let key = Self.suffix(of: name, after: "grid.") {
      type = .text
      source = .related(table: "grid", keyColumn: "key", key: key, valueColumn: "value")
    } else if let check = Self.suffix(of: name, after: "check.") {
      let (key, column, type): (String, String, ValueType) =
        if let check = Self.suffix(of: check, before: ".ok") {
          (check, "ok", .boolean)
        } else if let check = Self.suffix(of: check, before: ".rel") {
          (check, "max_rel", .real)
        } else {
          (check, "max_abs", .real)
        }
      self.type = type
      source = .related(table: "checks", keyColumn: "name", key: key, valueColumn: column)
    } else {
      return nil
    }
  }

  /// The SQL that is true for the runs where `self op value` holds.
  ///
  /// A comparison with a missing value (no such tag, phase or check, an empty column) is false,
  /// except `!=`, which is exactly `not ... = ...` and so holds where the value is missing.
  func comparison(_ op: ComparisonOperator, _ value: FilterToken, dialect: SQLDialect) throws(QueryError) -> SQLFragment {
    if op == .glob, type != .text, type != .time {
      throw QueryError(.filter, "'~' matches text, and \(name) is not text", at: value.offset)
    }
    if type == .boolean, op != .equal, op != .notEqual {
      throw QueryError(.filter, "\(name) is true or false: compare it with = or !=", at: value.offset)
    }
    let bound = try self.value(of: value, for: op)
    switch source {
    case .column(let column):
      switch op {
      case .notEqual: return SQLFragment(sql: dialect.isNot("runs.\(column)"), arguments: [bound])
      case .glob: return dialect.glob("runs.\(column)", value.text)
      default: return SQLFragment(sql: "runs.\(column) \(op.rawValue) ?", arguments: [bound])
      }
    case .related(let table, let keyColumn, let key, let valueColumn):
      let select = "SELECT run_id FROM \(table) WHERE \(keyColumn) = ? AND"
      // Tags and grid values are text, but `tag.lr < 0.01` means a numeric comparison with the values
      // that look numeric.
      if type == .text, op.isOrdering, value.kind == .word, let number = NumberLiteral(value.text), number.unit == nil {
        return SQLFragment(
          sql: "runs.id IN (\(select) \(dialect.numericText(valueColumn)) \(op.rawValue) ?)",
          arguments: [.text(key), .real(number.value)])
      }
      switch op {
      case .notEqual:
        return SQLFragment(sql: "runs.id NOT IN (\(select) \(valueColumn) = ?)", arguments: [.text(key), bound])
      case .glob:
        let match = dialect.glob(valueColumn, value.text)
        return SQLFragment(sql: "runs.id IN (\(select) \(match.sql))", arguments: [.text(key)] + match.arguments)
      default:
        return SQLFragment(sql: "runs.id IN (\(select) \(valueColumn) \(op.rawValue) ?)", arguments: [.text(key), bound])
      }
    }
  }

  /// The SQL expression a sort key orders by: the column, or the related value of each run.
  var sortExpression: SQLFragment {
    switch source {
    case .column(let column):
      SQLFragment(sql: "runs.\(column)", arguments: [])
    case .related(let table, let keyColumn, let key, let valueColumn):
      SQLFragment(
        sql: "(SELECT \(valueColumn) FROM \(table) WHERE run_id = runs.id AND \(keyColumn) = ?)",
        arguments: [.text(key)])
    }
  }

  /// `value` read as this field's type, ready to bind.
  private func value(of token: FilterToken, for op: ComparisonOperator) throws(QueryError) -> SQLValue {
    let text = token.text
    switch type {
    case .text:
      return .text(text)
    case .time:
      if op == .glob { return .text(text) }
      guard let milliseconds = Timestamp.parse(text) else {
        throw QueryError(
          .filter, "expected a date or date and time such as 2026-11-27 or 2026-11-27T10:00:00Z for \(name), found \(token.quoted)",
          at: token.offset)
      }
      return .text(Timestamp.text(milliseconds: milliseconds))
    case .boolean:
      switch text.lowercased() {
      case "true", "yes", "1": return .integer(1)
      case "false", "no", "0": return .integer(0)
      default: throw QueryError(.filter, "expected true or false for \(name), found \(token.quoted)", at: token.offset)
      }
    case .integer, .real, .duration:
      guard let number = NumberLiteral(text) else {
        let unitHint = type == .duration && text.first?.isNumber == true ? " (units: ns, us, ms, s)" : ""
        throw QueryError(.filter, "expected a number for \(name), found \(token.quoted)\(unitHint)", at: token.offset)
      }
      if type == .duration { return .real(number.seconds) }
      guard number.unit == nil else {
        throw QueryError(.filter, "\(name) is not a duration: remove the unit '\(number.unit ?? "")'", at: token.offset)
      }
      return number.integer.map(SQLValue.integer) ?? .real(number.value)
    }
  }

  private static func suffix(of name: String, after prefix: String) -> String? {
    guard name.hasPrefix(prefix), name.count > prefix.count else { return nil }
    return String(name.dropFirst(prefix.count))
  }

  private static func suffix(of name: String, before suffix: String) -> String? {
    guard name.hasSuffix(suffix), name.count > suffix.count else { return nil }
    return String(name.dropLast(suffix.count))
  }
}

/// A number as a filter writes it, `42`, `-1.5`, `2e-3`, optionally followed by a duration unit: `1ms`.
struct NumberLiteral {
  var value: Double
  /// The value when written as an integer that fits in 64 bits, to compare integer columns exactly.
  var integer: Int64?
  /// `ns`, `us`, `µs`, `ms` or `s`.
  var unit: String?

  /// The value in seconds, for a duration.
  var seconds: Double {
    switch unit {
    case "ns": value / 1e9
    case "us", "µs": value / 1e6
    case "ms": value / 1e3
    default: value
    }
  }

  /// Nil unless `text` is a decimal number followed by nothing or a known unit.
  init?(_ text: String) {
    let characters = Array(text)
    var i = 0
    func digits() -> Int {
      let start = i
      while i < characters.count, characters[i].isASCII, characters[i].isNumber { i += 1 }
      return i - start
    }
    if i < characters.count, characters[i] == "+" || characters[i] == "-" { i += 1 }
    var count = digits()
    var isInteger = true
    if i < characters.count, characters[i] == "." {
      i += 1
      count += digits()
      isInteger = false
    }
    guard count > 0 else { return nil }
    if i < characters.count, characters[i] == "e" || characters[i] == "E" {
      let mantissaEnd = i
      i += 1
      if i < characters.count, characters[i] == "+" || characters[i] == "-" { i += 1 }
      if digits() == 0 { i = mantissaEnd } else { isInteger = false }
    }
    let number = String(characters[..<i])
    let unit = String(characters[i...])
    guard ["", "ns", "us", "µs", "ms", "s"].contains(unit), let value = Double(number) else { return nil }
    self.value = value
    self.integer = isInteger ? Int64(number) : nil
    self.unit = unit.isEmpty ? nil : unit
  }
}
