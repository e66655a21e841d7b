/// Turns script source into tokens on demand, following Python's tokenizer rules.
///
/// The lexer walks a `[Unicode.Scalar]` array with an integer index, so each token costs time
/// proportional to its length and a multi-megabyte line lexes in linear time. It produces tokens
/// lazily (the parser pulls one at a time), so memory does not grow with a token list.
///
/// Python's layout rules: a logical line ends with `newline`; blank and comment-only lines
/// produce nothing; inside `()`, `[]` and `{}` line breaks are ignored; a `\` before a line
/// break joins lines; at the start of a logical line, deeper indentation produces `indent` and
/// shallower indentation one `dedent` per closed level. Indentation is measured twice, with tabs
/// as 8 columns and as 1, and the two must order lines the same way (otherwise the file mixes
/// tabs and spaces ambiguously), as CPython checks it.
struct Lexer {
  let file: String
  private let source: [Unicode.Scalar]
  /// False for single expressions (`Parser.parseExpression`): no `indent`/`dedent`, leading
  /// whitespace ignored.
  private let tracksIndentation: Bool

  /// Index just past the last scalar to lex (the whole source, or an f-string field's expression).
  private var limit: Int
  private var index = 0
  private var line = 1
  /// Index of the first scalar of the current physical line.
  private var lineStart = 0
  /// Whether the next scalar begins a logical line (so its indentation must be measured).
  private var atLineStart = true
  /// Whether a token has been produced since the last `newline`.
  private var lineHasTokens = false
  /// Open brackets, innermost last, with where they opened.
  private var brackets: [(scalar: Unicode.Scalar, location: SourceLocation)] = []
  /// Enclosing indentation widths, with tabs counted as 8 columns (`width`) and as 1 (`alternate`).
  private var indentation: [(width: Int, alternate: Int)] = [(0, 0)]
  /// Tokens decided but not yet returned (several `dedent`s, or the tokens ending the file).
  private var pending: [Token] = []

  init(source: [Unicode.Scalar], file: String, tracksIndentation: Bool) {
    self.source = source
    self.file = file
    self.tracksIndentation = tracksIndentation
    limit = source.count
  }

  /// A lexer over the expression of an f-string field (`start..<end` of the same source), whose
  /// tokens keep their true lines and columns.
  func fieldLexer(_ field: FormattedStringField) -> Lexer {
    var lexer = Lexer(source: source, file: file, tracksIndentation: false)
    lexer.index = field.start
    lexer.limit = field.end
    lexer.line = field.location.line
    lexer.lineStart = field.start - (field.location.column - 1)
    return lexer
  }

  /// Whether some bracket is open at the current position.
  var isInsideBrackets: Bool { !brackets.isEmpty }

  /// The exact source text of scalars `start..<end`.
  func text(from start: Int, to end: Int) -> String {
    var scalars = String.UnicodeScalarView()
    scalars.append(contentsOf: source[start..<end])
    return String(scalars)
  }

  /// The next token. After the end of the file it keeps returning `endOfFile`.
  mutating func next() throws(SyntaxFailure) -> Token {
    if !pending.isEmpty { return pending.removeFirst() }
    while true {
      if atLineStart {
        atLineStart = false
        if let token = try beginLogicalLine() { return token }
        if atLineStart { continue }
      }
      skipHorizontalWhitespace()
      guard index < limit else { return try endOfInput() }
      let location = here
      let start = index
      switch source[index] {
      case "\n", "\r":
        consumeLineBreak()
        guard brackets.isEmpty else { continue }
        atLineStart = true
        guard lineHasTokens else { continue }
        lineHasTokens = false
        return Token(kind: .newline, location: location, start: start, end: start)
      case "#":
        skipComment()
        continue
      case "\\":
        index += 1
        guard index < limit else {
          throw error("unexpected end of file after line continuation character", at: location)
        }
        guard isLineBreak(source[index]) else {
          throw error("unexpected character after line continuation character", at: location)
        }
        consumeLineBreak()
        continue
      default:
        let kind = try lexToken(at: location)
        lineHasTokens = true
        return Token(kind: kind, location: location, start: start, end: index)
      }
    }
  }

  // MARK: - Layout

  private var here: SourceLocation { SourceLocation(line: line, column: index - lineStart + 1) }

  private func isLineBreak(_ scalar: Unicode.Scalar) -> Bool { scalar == "\n" || scalar == "\r" }

  /// Consumes `\n`, `\r\n` or `\r` at `index` and starts the next physical line.
  private mutating func consumeLineBreak() {
    let isCarriageReturn = source[index] == "\r"
    index += 1
    if isCarriageReturn, index < limit, source[index] == "\n" { index += 1 }
    line += 1
    lineStart = index
  }

  private mutating func skipHorizontalWhitespace() {
    while index < limit {
      switch source[index] {
      case " ", "\t", "\u{0C}": index += 1
      default: return
      }
    }
  }

  private mutating func skipComment() {
    while index < limit, !isLineBreak(source[index]) { index += 1 }
  }

  /// Measures the indentation of a new logical line. Skips a blank or comment-only line (setting
  /// `atLineStart` again); otherwise returns an `indent` or the first `dedent`, or nil.
  private mutating func beginLogicalLine() throws(SyntaxFailure) -> Token? {
    var width = 0
    var alternate = 0
    scan: while index < limit {
      switch source[index] {
      case " ":
        width += 1
        alternate += 1
      case "\t":
        width = (width / 8 + 1) * 8
        alternate += 1
      case "\u{0C}":
        width = 0
        alternate = 0
      default:
        break scan
      }
      index += 1
    }
    guard index < limit else { return nil }
    if source[index] == "#" { skipComment() }
    if index < limit, isLineBreak(source[index]) {
      consumeLineBreak()
      atLineStart = true
      return nil
    }
    guard tracksIndentation, index < limit else { return nil }

    let location = here
    let marker = Token(kind: .indent, location: location, start: index, end: index)
    let inconsistent = "inconsistent use of tabs and spaces in indentation"
    let enclosing = indentation[indentation.count - 1]
    if width == enclosing.width {
      guard alternate == enclosing.alternate else { throw error(inconsistent, at: location) }
      return nil
    }
    if width > enclosing.width {
      guard alternate > enclosing.alternate else { throw error(inconsistent, at: location) }
      indentation.append((width, alternate))
      return marker
    }
    var dedents = 0
    while indentation.count > 1, width < indentation[indentation.count - 1].width {
      indentation.removeLast()
      dedents += 1
    }
    let outer = indentation[indentation.count - 1]
    guard width == outer.width else {
      throw error("unindent does not match any outer indentation level", at: location)
    }
    guard alternate == outer.alternate else { throw error(inconsistent, at: location) }
    var dedent = marker
    dedent.kind = .dedent
    pending.append(contentsOf: repeatElement(dedent, count: dedents - 1))
    return dedent
  }

  /// The tokens that end the input: a final `newline` if the last line lacked one, a `dedent` per
  /// open block, then `endOfFile`. An open bracket is an error at the bracket.
  private mutating func endOfInput() throws(SyntaxFailure) -> Token {
    if let open = brackets.last {
      throw error("'\(open.scalar)' was never closed", at: open.location)
    }
    let end = Token(kind: .endOfFile, location: here, start: index, end: index)
    var newline = end
    newline.kind = .newline
    var dedent = end
    dedent.kind = .dedent
    if lineHasTokens {
      lineHasTokens = false
      pending.append(newline)
    }
    pending.append(contentsOf: repeatElement(dedent, count: indentation.count - 1))
    indentation = [(0, 0)]
    pending.append(end)
    return pending.removeFirst()
  }

  // MARK: - Tokens

  /// Lexes the token starting at `index` (not whitespace, a comment or a line break).
  private mutating func lexToken(at location: SourceLocation) throws(SyntaxFailure) -> Token.Kind {
    let scalar = source[index]
    if Self.isDigit(scalar) || (scalar == "." && Self.isDigit(peek(1))) {
      return try lexNumber(at: location)
    }
    if scalar == "'" || scalar == "\"" {
      return try lexString(raw: false, at: location)
    }
    if Self.isIdentifierStart(scalar) {
      return try lexNameOrPrefixedString(at: location)
    }
    return try lexPunctuator(at: location)
  }

  /// The scalar `offset` places ahead, or NUL past the end (NUL never completes a token).
  private func peek(_ offset: Int) -> Unicode.Scalar {
    index + offset < limit ? source[index + offset] : "\0"
  }

  private mutating func lexNameOrPrefixedString(
    at location: SourceLocation
  ) throws(SyntaxFailure) -> Token.Kind {
    let start = index
    index += 1
    while index < limit, Self.isIdentifierContinue(source[index]) { index += 1 }
    let name = text(from: start, to: index)
    if index < limit, source[index] == "'" || source[index] == "\"" {
      switch name.lowercased() {
      case "f": return try lexFormattedString(raw: false, at: location)
      case "fr", "rf": return try lexFormattedString(raw: true, at: location)
      default: if let raw = try stringPrefixIsRaw(name, at: location) { return try lexString(raw: raw, at: location) }
      }
    }
    if let keyword = Keyword(rawValue: name) { return .keyword(keyword) }
    return .name(name)
  }

  /// For a name directly followed by a quote: whether it is a string prefix, and if so whether
  /// the string is raw. Prefixes of literals the language lacks (t, b) are errors; f-strings are lexed
  /// by `lexFormattedString`.
  private func stringPrefixIsRaw(_ name: String, at location: SourceLocation) throws(SyntaxFailure) -> Bool? {
    let prefix = name.lowercased()
    switch prefix {
    case "u": return false
    case "r": return true
    case "t", "tr", "rt": throw error("t-strings are not supported", at: location)
    case "b", "br", "rb": throw error("bytes literals are not supported", at: location)
    default: return nil
    }
  }

  /// Lexes a quoted string whose opening quote is at `index`, decoding escapes unless `raw`.
  /// `location` is where the literal (with its prefix) starts, which unterminated-string errors name.
  private mutating func lexString(
    raw: Bool, at location: SourceLocation
  ) throws(SyntaxFailure) -> Token.Kind {
    let quote = source[index]
    let triple = peek(1) == quote && peek(2) == quote
    index += triple ? 3 : 1
    let unterminated = triple ? "unterminated triple-quoted string literal" : "unterminated string literal"
    var value = String.UnicodeScalarView()
    while true {
      guard index < limit else { throw error(unterminated, at: location) }
      let scalar = source[index]
      if scalar == quote {
        if !triple {
          index += 1
          break
        }
        if peek(1) == quote && peek(2) == quote {
          index += 3
          break
        }
        value.append(scalar)
        index += 1
      } else if isLineBreak(scalar) {
        guard triple else { throw error(unterminated, at: location) }
        consumeLineBreak()
        value.append("\n")
      } else if scalar == "\\" {
        let escapeLocation = here
        index += 1
        guard index < limit else { throw error(unterminated, at: location) }
        if raw {
          value.append("\\")
          if isLineBreak(source[index]) {
            consumeLineBreak()
            value.append("\n")
          } else {
            value.append(source[index])
            index += 1
          }
        } else {
          try lexEscape(into: &value, at: escapeLocation)
        }
      } else {
        value.append(scalar)
        index += 1
      }
    }
    return .string(String(value))
  }

  /// Lexes an f-string whose opening quote is at `index`: literal text with escapes decoded and `{{`/`}}`
  /// unescaped, and the extents of its replacement fields, which the parser parses as expressions.
  private mutating func lexFormattedString(raw: Bool, at location: SourceLocation) throws(SyntaxFailure) -> Token.Kind {
    let quote = source[index]
    let triple = peek(1) == quote && peek(2) == quote
    index += triple ? 3 : 1
    let style = FormattedStringStyle(quote: quote, triple: triple, raw: raw, location: location)
    return .formattedString(try lexFormattedPieces(style, inSpec: false))
  }

  /// The pieces of an f-string up to its closing quote, or (`inSpec`) of a format spec up to its `}`.
  private mutating func lexFormattedPieces(
    _ style: FormattedStringStyle, inSpec: Bool
  ) throws(SyntaxFailure) -> [FormattedStringPiece] {
    let unterminated = style.triple ? "unterminated triple-quoted f-string literal" : "unterminated f-string literal"
    var pieces: [FormattedStringPiece] = []
    var text = String.UnicodeScalarView()
    while true {
      guard index < limit else { throw error(unterminated, at: style.location) }
      let scalar = source[index]
      if scalar == style.quote && (!style.triple || (peek(1) == style.quote && peek(2) == style.quote)) {
        guard !inSpec else { throw error("f-string: expecting '}'", at: here) }
        index += style.triple ? 3 : 1
        break
      }
      if inSpec && scalar == "}" { break }
      if scalar == "{" {
        if !inSpec && peek(1) == "{" {
          text.append("{")
          index += 2
          continue
        }
        if !text.isEmpty { pieces.append(.literal(String(text))) }
        text = String.UnicodeScalarView()
        pieces.append(.field(try lexFormattedField(style)))
        continue
      }
      if scalar == "}" {
        guard peek(1) == "}" else { throw error("f-string: single '}' is not allowed", at: here) }
        text.append("}")
        index += 2
      } else if isLineBreak(scalar) {
        guard style.triple else { throw error(unterminated, at: style.location) }
        consumeLineBreak()
        text.append("\n")
      } else if scalar == "\\" {
        let escapeLocation = here
        index += 1
        guard index < limit else { throw error(unterminated, at: style.location) }
        if style.raw {
          text.append("\\")
          text.append(source[index])
          index += 1
        } else {
          try lexEscape(into: &text, at: escapeLocation)
        }
      } else {
        text.append(scalar)
        index += 1
      }
    }
    if !text.isEmpty { pieces.append(.literal(String(text))) }
    return pieces
  }

  /// A replacement field starting at its `{`: the extent of its expression, `=`, `!conversion` and `:spec`.
  private mutating func lexFormattedField(_ style: FormattedStringStyle) throws(SyntaxFailure) -> FormattedStringField {
    let open = here
    index += 1
    let start = index
    let location = here
    var depth = 0
    scan: while true {
      guard index < limit else { throw error("f-string: expecting '}'", at: open) }
      let scalar = source[index]
      switch scalar {
      case "(", "[", "{": depth += 1
      case ")", "]": depth -= 1
      case "}":
        if depth == 0 { break scan }
        depth -= 1
      case "!" where depth == 0 && peek(1) != "=": break scan
      case ":" where depth == 0: break scan
      case "=" where depth == 0 && peek(1) != "=" && !["=", "!", "<", ">"].contains(source[index - 1]): break scan
      case "\\": throw error("f-string expression part cannot include a backslash", at: here)
      case "#": throw error("f-string expression part cannot include '#'", at: here)
      case "'", "\"":
        if scalar == style.quote && !style.triple { throw error("f-string: expecting '}'", at: open) }
        try skipQuotedInField(scalar, open: open)
        continue
      case "\n", "\r":
        guard style.triple else { throw error("f-string: expecting '}'", at: open) }
        consumeLineBreak()
        continue
      default: break
      }
      index += 1
    }
    let end = index
    guard source[start..<end].contains(where: { $0 != " " && $0 != "\t" && $0 != "\n" }) else {
      throw error("f-string: valid expression required before '\(source[index])'", at: open)
    }
    var debugText: String?
    if source[index] == "=" {
      index += 1
      while index < limit, source[index] == " " { index += 1 }
      debugText = text(from: start, to: index)
    }
    var conversion: Character?
    if index < limit, source[index] == "!" {
      index += 1
      guard index < limit, ["s", "r", "a"].contains(source[index]) else {
        throw error("f-string: invalid conversion character: expected 's', 'r', or 'a'", at: here)
      }
      conversion = Character(source[index])
      index += 1
    }
    var spec: [FormattedStringPiece]?
    if index < limit, source[index] == ":" {
      index += 1
      spec = try lexFormattedPieces(style, inSpec: true)
    }
    guard index < limit, source[index] == "}" else { throw error("f-string: expecting '}'", at: open) }
    index += 1
    return FormattedStringField(
      start: start, end: end, location: location, debugText: debugText, conversion: conversion, spec: spec)
  }

  /// Skips a string literal inside an f-string field's expression (`f"{d['k']}"`).
  private mutating func skipQuotedInField(_ quote: Unicode.Scalar, open: SourceLocation) throws(SyntaxFailure) {
    index += 1
    while index < limit, source[index] != quote {
      if isLineBreak(source[index]) { throw error("f-string: expecting '}'", at: open) }
      index += 1
    }
    guard index < limit else { throw error("f-string: expecting '}'", at: open) }
    index += 1
  }

  /// Decodes the escape whose backslash was just consumed. Unknown escapes keep their backslash,
  /// as Python keeps them.
  private mutating func lexEscape(
    into value: inout String.UnicodeScalarView, at location: SourceLocation
  ) throws(SyntaxFailure) {
    let scalar = source[index]
    if isLineBreak(scalar) {
      consumeLineBreak()
    } else if let decoded = Self.simpleEscape(scalar) {
      value.append(decoded)
      index += 1
    } else if Self.digitValue(scalar, radix: 8) != nil {
      var code: UInt32 = 0
      var digits = 0
      while digits < 3, index < limit, let digit = Self.digitValue(source[index], radix: 8) {
        code = code * 8 + UInt32(digit)
        digits += 1
        index += 1
      }
      if let decoded = Unicode.Scalar(code) { value.append(decoded) }
    } else if scalar == "x" || scalar == "u" || scalar == "U" {
      let count = scalar == "x" ? 2 : scalar == "u" ? 4 : 8
      index += 1
      var code: UInt32 = 0
      for _ in 0..<count {
        guard index < limit, let digit = Self.digitValue(source[index], radix: 16) else {
          throw error("truncated \\\(scalar)\(String(repeating: "X", count: count)) escape", at: location)
        }
        code = code &* 16 &+ UInt32(digit)
        index += 1
      }
      guard let decoded = Unicode.Scalar(code) else {
        throw error("invalid Unicode escape: U+\(Self.hex(code)) is not a Unicode scalar value", at: location)
      }
      value.append(decoded)
    } else if scalar == "N" {
      throw error("\\N{...} escapes are not supported", at: location)
    } else {
      value.append("\\")
      value.append(scalar)
      index += 1
    }
  }

  /// The value of a one-letter escape such as `\n`, or nil.
  private static func simpleEscape(_ scalar: Unicode.Scalar) -> Unicode.Scalar? {
    switch scalar {
    case "\\", "'", "\"": scalar
    case "a": "\u{07}"
    case "b": "\u{08}"
    case "f": "\u{0C}"
    case "n": "\n"
    case "r": "\r"
    case "t": "\t"
    case "v": "\u{0B}"
    default: nil
    }
  }

  /// Lexes an integer (decimal with `_` separators, or `0x`, `0o`, `0b`) or a float (`1.`, `.5`,
  /// `1e-3`, `2.5E+4`). Integers must fit in 64 bits.
  private mutating func lexNumber(at location: SourceLocation) throws(SyntaxFailure) -> Token.Kind {
    let start = index
    if source[index] == "0", let (radix, name) = Self.radixPrefix(peek(1)) {
      index += 2
      var value = 0
      var overflow = false
      var digits = 0
      while index < limit {
        if source[index] == "_" {
          guard Self.digitValue(peek(1), radix: radix) != nil else {
            throw error("invalid \(name) literal", at: location)
          }
          index += 1
        }
        guard let digit = Self.digitValue(source[index], radix: radix) else { break }
        (value, overflow) = Self.accumulate(value, digit, radix: radix, overflow: overflow)
        digits += 1
        index += 1
      }
      guard digits > 0, index >= limit || !Self.isIdentifierContinue(source[index]) else {
        throw error("invalid \(name) literal", at: location)
      }
      guard !overflow else { throw error("integer literal is too large (limit 2**63 - 1)", at: location) }
      return .integer(value)
    }

    let invalid = "invalid decimal literal"
    var isFloat = false
    scanDecimalDigits()
    if index < limit, source[index] == "." {
      isFloat = true
      index += 1
      if Self.isDigit(peek(0)) { scanDecimalDigits() }
    }
    if peek(0) == "e" || peek(0) == "E" {
      let sign = peek(1) == "+" || peek(1) == "-" ? 1 : 0
      guard Self.isDigit(peek(1 + sign)) else { throw error(invalid, at: location) }
      index += 1 + sign
      scanDecimalDigits()
      isFloat = true
    }
    if peek(0) == "j" || peek(0) == "J" {
      throw error("imaginary literals are not supported", at: location)
    }
    if index < limit, Self.isIdentifierContinue(source[index]) { throw error(invalid, at: location) }

    if isFloat {
      var text = String.UnicodeScalarView()
      text.append(contentsOf: source[start..<index].lazy.filter { $0 != "_" })
      guard let value = Double(String(text)) else { throw error(invalid, at: location) }
      return .float(value)
    }
    let hasLeadingZero = source[start] == "0"
    var value = 0
    var overflow = false
    for position in start..<index where source[position] != "_" {
      let digit = Int(source[position].value) - 48
      if hasLeadingZero && digit != 0 {
        throw error(
          "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers",
          at: location)
      }
      (value, overflow) = Self.accumulate(value, digit, radix: 10, overflow: overflow)
    }
    guard !overflow else { throw error("integer literal is too large (limit 2**63 - 1)", at: location) }
    return .integer(value)
  }

  /// Skips decimal digits with single `_` separators between them. A `_` not followed by a digit
  /// is left in place, where the caller rejects it as part of an invalid literal.
  private mutating func scanDecimalDigits() {
    while index < limit {
      if Self.isDigit(source[index]) {
        index += 1
      } else if source[index] == "_", Self.isDigit(peek(1)) {
        index += 1
      } else {
        return
      }
    }
  }

  private static func accumulate(_ value: Int, _ digit: Int, radix: Int, overflow: Bool) -> (Int, Bool) {
    let (shifted, overflowMultiply) = value.multipliedReportingOverflow(by: radix)
    let (sum, overflowAdd) = shifted.addingReportingOverflow(digit)
    return (sum, overflow || overflowMultiply || overflowAdd)
  }

  private static func radixPrefix(_ scalar: Unicode.Scalar) -> (Int, String)? {
    switch scalar {
    case "x", "X": (16, "hexadecimal")
    case "o", "O": (8, "octal")
    case "b", "B": (2, "binary")
    default: nil
    }
  }

  private mutating func lexPunctuator(at location: SourceLocation) throws(SyntaxFailure) -> Token.Kind {
    let scalar = source[index]
    let next = peek(1)
    let third = peek(2)
    let punctuator: Punctuator
    switch scalar {
    case "(": punctuator = .leftParen
    case "[": punctuator = .leftBracket
    case "{": punctuator = .leftBrace
    case ")": punctuator = .rightParen
    case "]": punctuator = .rightBracket
    case "}": punctuator = .rightBrace
    case ",": punctuator = .comma
    case ";": punctuator = .semicolon
    case "~": punctuator = .tilde
    case ".": punctuator = next == "." && third == "." ? .ellipsis : .dot
    case ":": punctuator = next == "=" ? .walrus : .colon
    case "=": punctuator = next == "=" ? .equal : .assign
    case "+": punctuator = next == "=" ? .plusAssign : .plus
    case "-": punctuator = next == "=" ? .minusAssign : next == ">" ? .arrow : .minus
    case "%": punctuator = next == "=" ? .percentAssign : .percent
    case "@": punctuator = next == "=" ? .atAssign : .at
    case "|": punctuator = next == "=" ? .pipeAssign : .pipe
    case "^": punctuator = next == "=" ? .caretAssign : .caret
    case "&": punctuator = next == "=" ? .ampersandAssign : .ampersand
    case "*":
      punctuator =
        next == "*" ? (third == "=" ? .doubleStarAssign : .doubleStar) : next == "=" ? .starAssign : .star
    case "/":
      punctuator =
        next == "/" ? (third == "=" ? .doubleSlashAssign : .doubleSlash) : next == "=" ? .slashAssign : .slash
    case "<":
      punctuator =
        next == "<" ? (third == "=" ? .leftShiftAssign : .leftShift) : next == "=" ? .lessEqual : .less
    case ">":
      punctuator =
        next == ">" ? (third == "=" ? .rightShiftAssign : .rightShift) : next == "=" ? .greaterEqual : .greater
    case "!" where next == "=":
      punctuator = .notEqual
    default:
      throw error(Self.describeInvalid(scalar), at: location)
    }
    switch punctuator {
    case .leftParen, .leftBracket, .leftBrace:
      brackets.append((scalar, location))
    case .rightParen, .rightBracket, .rightBrace:
      try closeBracket(scalar, at: location)
    default:
      break
    }
    index += punctuator.rawValue.utf8.count
    return .punctuator(punctuator)
  }

  private mutating func closeBracket(
    _ scalar: Unicode.Scalar, at location: SourceLocation
  ) throws(SyntaxFailure) {
    guard let open = brackets.popLast() else { throw error("unmatched '\(scalar)'", at: location) }
    let expected: Unicode.Scalar = open.scalar == "(" ? ")" : open.scalar == "[" ? "]" : "}"
    guard scalar == expected else {
      let onLine = open.location.line == location.line ? "" : " on line \(open.location.line)"
      throw error(
        "closing parenthesis '\(scalar)' does not match opening parenthesis '\(open.scalar)'\(onLine)",
        at: location)
    }
  }

  // MARK: - Character classes

  private static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

  private static func digitValue(_ scalar: Unicode.Scalar, radix: Int) -> Int? {
    let value: Int
    switch scalar {
    case "0"..."9": value = Int(scalar.value) - 48
    case "a"..."f": value = Int(scalar.value) - 87
    case "A"..."F": value = Int(scalar.value) - 55
    default: return nil
    }
    return value < radix ? value : nil
  }

  /// Letters, `_`, and non-ASCII scalars with Unicode's XID_Start property, as in Python.
  static func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar {
    case "a"..."z", "A"..."Z", "_": true
    default: scalar.value >= 0x80 && scalar.properties.isXIDStart
    }
  }

  /// Identifier starts, digits, and non-ASCII scalars with Unicode's XID_Continue property.
  static func isIdentifierContinue(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar {
    case "a"..."z", "A"..."Z", "0"..."9", "_": true
    default: scalar.value >= 0x80 && scalar.properties.isXIDContinue
    }
  }

  /// Python's wording: printable scalars are quoted, others are named by code point only.
  private static func describeInvalid(_ scalar: Unicode.Scalar) -> String {
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .spaceSeparator, .lineSeparator,
      .paragraphSeparator:
      "invalid non-printable character U+\(hex(scalar.value))"
    default:
      "invalid character '\(scalar)' (U+\(hex(scalar.value)))"
    }
  }

  /// At least four upper-case hex digits, as in `U+00A0`.
  static func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
  }

  private func error(_ message: String, at location: SourceLocation) -> SyntaxFailure {
    SyntaxFailure(ScriptError(file: file, location: location, message: message, kind: .syntax))
  }
}
