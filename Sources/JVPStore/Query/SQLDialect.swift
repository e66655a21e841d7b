import Foundation

/// What differs between the SQL engines the one filter compiler writes for: the hooks `QueryField`,
/// `FilterParser` and `RunQuery` call wherever SQLite and PostgreSQL spell a construct differently.
///
/// The compiler writes `?` for every bound value; `render` turns them into the engine's placeholders
/// (`$1`, `$2`, ... for PostgreSQL). Values are never spliced into the SQL, on either engine.
public struct SQLDialect: Sendable, Equatable {
  public enum Engine: Sendable, Equatable {
    case sqlite
    case postgres
  }

  public let engine: Engine

  public static let sqlite = SQLDialect(engine: .sqlite)
  public static let postgres = SQLDialect(engine: .postgres)

  /// `expression` is not equal to the bound value, a missing (NULL) expression included.
  func isNot(_ expression: String) -> String {
    switch engine {
    case .sqlite: "\(expression) IS NOT ?"
    case .postgres: "\(expression) IS DISTINCT FROM ?"
    }
  }

  /// `expression` matches the bound glob pattern (`*`, `?`, `[...]`), case-sensitively, as SQLite's GLOB does.
  /// PostgreSQL has no GLOB: the pattern is bound as the equivalent anchored POSIX regular expression.
  func glob(_ expression: String, _ pattern: String) -> SQLFragment {
    switch engine {
    case .sqlite: SQLFragment(sql: "\(expression) GLOB ?", arguments: [.text(pattern)])
    case .postgres: SQLFragment(sql: "\(expression) ~ ?", arguments: [.text(Self.regularExpression(glob: pattern))])
    }
  }

  /// `text` read as a number where it looks like one (tags such as `lr=0.01`), else NULL, so that an
  /// ordering comparison with it is false. SQLite's CAST reads a numeric prefix; PostgreSQL's would throw.
  func numericText(_ text: String) -> String {
    switch engine {
    case .sqlite:
      "CASE WHEN \(text) GLOB '*[0-9]*' AND NOT \(text) GLOB '*[^0-9eE.+-]*' THEN CAST(\(text) AS REAL) END"
    case .postgres:
      "CASE WHEN \(text) ~ '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$' THEN CAST(\(text) AS double precision) END"
    }
  }

  /// The negation of a condition that may be NULL (a missing value): true where it is false or NULL.
  func notTrue(_ condition: String) -> String {
    switch engine {
    case .sqlite: "\(condition) IS NOT 1"
    case .postgres: "\(condition) IS NOT TRUE"
    }
  }

  /// What ends a query that skips rows without a limit (SQLite needs a LIMIT before OFFSET).
  var noLimit: String {
    switch engine {
    case .sqlite: " LIMIT -1"
    case .postgres: ""
    }
  }

  /// `sql` with each `?` outside quoted literals replaced by the engine's placeholder for its position.
  public func render(_ sql: String) -> String {
    guard engine == .postgres else { return sql }
    var result = ""
    result.reserveCapacity(sql.utf8.count + 16)
    var position = 0
    var quoted = false
    for character in sql {
      if character == "'" { quoted.toggle() }
      if character == "?" && !quoted {
        position += 1
        result += "$\(position)"
      } else {
        result.append(character)
      }
    }
    return result
  }

  /// SQLite's GLOB pattern as an anchored POSIX regular expression with the same matches:
  /// `*` any run, `?` one character, `[...]` a class (`[^...]` negated), everything else literal.
  static func regularExpression(glob: String) -> String {
    var regex = "^"
    let characters = Array(glob)
    var i = 0
    while i < characters.count {
      let character = characters[i]
      switch character {
      case "*": regex += ".*"
      case "?": regex += "."
      case "[":
        // A class runs to the first `]` after its first member (`[]]` holds `]`); unclosed, `[` is literal.
        var end = i + 1
        if end < characters.count, characters[end] == "^" { end += 1 }
        if end < characters.count, characters[end] == "]" { end += 1 }
        while end < characters.count, characters[end] != "]" { end += 1 }
        guard end < characters.count else {
          regex += "\\["
          break
        }
        var members = Array(characters[(i + 1)..<end])
        var negated = false
        if members.first == "^" {
          negated = true
          members.removeFirst()
        }
        regex += "[" + (negated ? "^" : "")
        for member in members {
          // PostgreSQL's regular expressions (AREs) take a backslash escape inside brackets too.
          regex += "\\[]^".contains(member) ? "\\" + String(member) : String(member)
        }
        regex += "]"
        i = end
      default:
        regex += "\\.^$|()+{}\\[]".contains(character) ? "\\" + String(character) : String(character)
      }
      i += 1
    }
    return regex + "$"
  }
}
