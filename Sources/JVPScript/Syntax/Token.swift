/// One lexical token with its position and its extent in the scalar array.
///
/// `start..<end` lets the parser cut exact source slices (the text of a `def` or `lambda`)
/// without re-lexing.
struct Token: Equatable {
  enum Kind: Equatable {
    case name(String)
    case keyword(Keyword)
    case integer(Int)
    case float(Double)
    case string(String)
    /// An f-string: literal pieces and the extents of its replacement fields.
    case formattedString([FormattedStringPiece])
    case punctuator(Punctuator)
    /// The end of a logical line (not emitted for blank lines or inside brackets).
    case newline
    /// The start of a block indented deeper than the enclosing one.
    case indent
    /// The end of an indented block; one per level closed.
    case dedent
    case endOfFile
  }

  var kind: Kind
  var location: SourceLocation
  /// Index of the token's first scalar.
  var start: Int
  /// Index just past the token's last scalar.
  var end: Int
}

/// Python's reserved words. Soft keywords (`match`, `case`, `type`, `_`) are ordinary names.
enum Keyword: String, CaseIterable {
  case `false` = "False", `none` = "None", `true` = "True"
  case and, `as`, assert, async, await, `break`, `class`, `continue`, def, del, elif, `else`
  case except, finally, `for`, from, global, `if`, `import`, `in`, `is`, lambda, nonlocal
  case not, or, pass, raise, `return`, `try`, `while`, with, yield

  /// Keywords that begin statements the script language does not have; the parser names them.
  var beginsUnsupportedStatement: Bool {
    switch self {
    case .async, .await, .class, .yield: true
    default: false
    }
  }
}

/// Operators and delimiters, spelled as in the source.
enum Punctuator: String {
  case leftParen = "(", rightParen = ")", leftBracket = "[", rightBracket = "]"
  case leftBrace = "{", rightBrace = "}"
  case comma = ",", colon = ":", semicolon = ";", dot = ".", ellipsis = "..."
  case assign = "=", arrow = "->", walrus = ":="
  case plus = "+", minus = "-", star = "*", doubleStar = "**", slash = "/", doubleSlash = "//"
  case percent = "%", at = "@", pipe = "|", caret = "^", ampersand = "&", tilde = "~"
  case leftShift = "<<", rightShift = ">>"
  case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
  case plusAssign = "+=", minusAssign = "-=", starAssign = "*=", slashAssign = "/="
  case doubleSlashAssign = "//=", percentAssign = "%=", atAssign = "@=", doubleStarAssign = "**="
  case pipeAssign = "|=", caretAssign = "^=", ampersandAssign = "&=", leftShiftAssign = "<<="
  case rightShiftAssign = ">>="

  /// The operator of an augmented assignment such as `+=`, or nil.
  var augmentedOperator: BinaryOperator? {
    switch self {
    case .plusAssign: .add
    case .minusAssign: .subtract
    case .starAssign: .multiply
    case .slashAssign: .divide
    case .doubleSlashAssign: .floorDivide
    case .percentAssign: .remainder
    case .atAssign: .matrixMultiply
    case .doubleStarAssign: .power
    case .pipeAssign: .bitwiseOr
    case .caretAssign: .bitwiseXor
    case .ampersandAssign: .bitwiseAnd
    case .leftShiftAssign: .leftShift
    case .rightShiftAssign: .rightShift
    default: nil
    }
  }
}

/// One piece of an f-string token.
enum FormattedStringPiece: Equatable {
  case literal(String)
  case field(FormattedStringField)
}

/// A replacement field of an f-string as the lexer found it: its expression is `start..<end` of the
/// source, parsed later by the parser with a lexer over just that range.
struct FormattedStringField: Equatable {
  let start: Int
  let end: Int
  let location: SourceLocation
  let debugText: String?
  let conversion: Character?
  let spec: [FormattedStringPiece]?
}

/// How an f-string is quoted, which decides where it ends.
struct FormattedStringStyle {
  let quote: Unicode.Scalar
  let triple: Bool
  let raw: Bool
  let location: SourceLocation
}
