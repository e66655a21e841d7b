/// A comparison operator of the filter language.
enum ComparisonOperator: String {
  case equal = "="
  case notEqual = "!="
  case less = "<"
  case lessOrEqual = "<="
  case greater = ">"
  case greaterOrEqual = ">="
  /// Glob match on text (SQLite GLOB: `*`, `?`, `[...]`, case-sensitive).
  case glob = "~"

  /// Whether the operator orders values, as `<` does, rather than test equality or match text.
  var isOrdering: Bool {
    switch self {
    case .less, .lessOrEqual, .greater, .greaterOrEqual: true
    case .equal, .notEqual, .glob: false
    }
  }
}

/// One token of a filter, with its 0-based character offset for error messages.
struct FilterToken: Equatable {
  enum Kind: Equatable {
    /// A field name, keyword (`and`, `or`, `not`), number or bare value: `time.jvp`, `1ms`, `reverse-mode`.
    case word
    /// A quoted value; `text` is its content with escapes resolved.
    case string
    case comparison(ComparisonOperator)
    case leftParenthesis
    case rightParenthesis
    case end
  }

  var kind: Kind
  var text: String
  var offset: Int

  /// The lowercased keyword this token spells, if it is `and`, `or` or `not` unquoted.
  var keyword: String? {
    guard kind == .word else { return nil }
    let lowered = text.lowercased()
    return ["and", "or", "not"].contains(lowered) ? lowered : nil
  }

  /// The token as an error message quotes it.
  var quoted: String {
    switch kind {
    case .end: "the end of the filter"
    case .string: "the string '\(QueryError.printable(text))'"
    default: "'\(QueryError.printable(text))'"
    }
  }
}

/// Splits a filter into tokens. Words are runs of letters, digits and `_ . - + / * ? : @ % [ ] ^`,
/// so field names, numbers with units, dates, paths and globs need no quotes; anything else
/// (`;`, `,`, a stray quote) is an error pointing at it.
enum FilterLexer {
  static func tokens(_ filter: String) throws(QueryError) -> [FilterToken] {
    let characters = Array(filter)
    var tokens: [FilterToken] = []
    var i = 0
    while i < characters.count {
      let character = characters[i]
      let start = i
      if character.isWhitespace {
        i += 1
      } else if character == "(" || character == ")" {
        tokens.append(FilterToken(kind: character == "(" ? .leftParenthesis : .rightParenthesis, text: String(character), offset: start))
        i += 1
      } else if let (op, length) = comparison(at: i, in: characters) {
        tokens.append(FilterToken(kind: .comparison(op), text: String(characters[i..<i + length]), offset: start))
        i += length
      } else if character == "!" {
        throw QueryError(.filter, "expected '!=': use 'not' to negate a comparison", at: start)
      } else if character == "'" || character == "\"" {
        var text = ""
        i += 1
        while i < characters.count, characters[i] != character {
          if characters[i] == "\\", i + 1 < characters.count, characters[i + 1] == character || characters[i + 1] == "\\" {
            i += 1
          }
          text.append(characters[i])
          i += 1
        }
        guard i < characters.count else { throw QueryError(.filter, "unterminated string: missing closing \(character)", at: start) }
        tokens.append(FilterToken(kind: .string, text: text, offset: start))
        i += 1
      } else if isWordCharacter(character) {
        while i < characters.count, isWordCharacter(characters[i]) { i += 1 }
        tokens.append(FilterToken(kind: .word, text: String(characters[start..<i]), offset: start))
      } else {
        throw QueryError(.filter, "unexpected character '\(character)'", at: start)
      }
    }
    tokens.append(FilterToken(kind: .end, text: "", offset: characters.count))
    return tokens
  }

  private static func comparison(at i: Int, in characters: [Character]) -> (ComparisonOperator, Int)? {
    let next = i + 1 < characters.count ? characters[i + 1] : nil
    switch characters[i] {
    case "=": return (.equal, next == "=" ? 2 : 1)
    case "!": return next == "=" ? (.notEqual, 2) : nil
    case "<": return next == "=" ? (.lessOrEqual, 2) : (.less, 1)
    case ">": return next == "=" ? (.greaterOrEqual, 2) : (.greater, 1)
    case "~": return (.glob, 1)
    default: return nil
    }
  }

  private static func isWordCharacter(_ character: Character) -> Bool {
    character.isLetter || character.isNumber || "_.-+/*?:@%[]^".contains(character)
  }
}
