/// An error in a script, located at a line and column of a file.
///
/// The parser throws `.syntax` errors; the interpreter throws `.runtime` errors with the same shape,
/// so the command line reports both the same way: `description` is the one-line
/// `file:line:column: message`, and `render(source:)` adds the offending line with a caret.
public struct ScriptError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Whether the script could not be read at all or failed while running.
  public enum Kind: Sendable, Equatable {
    /// The source is not valid in the script language (nothing has run).
    case syntax
    /// Execution stopped at this location.
    case runtime
    /// Execution was stopped by SIGINT at this location.
    case interrupted
  }

  /// The script's name as the user gave it (a path, or a label such as `--fn`).
  public var file: String
  /// The 1-based line of the offending position.
  public var line: Int
  /// The 1-based column of the offending position, in Unicode scalars.
  public var column: Int
  /// What went wrong, without the location prefix.
  public var message: String
  /// Whether this is a syntax or a runtime error.
  public var kind: Kind
  /// The Python exception class a runtime error raises, which `except` clauses match (`TypeError`,
  /// `IndexError`, ...; PyTorch's shape and dtype errors are `RuntimeError`).
  public var exceptionType: String
  /// Whether `description` names the class before the message, as CPython's traceback does
  /// (`AssertionError: x must be positive`): true for what the script raises itself (`raise`, `assert`).
  public var showsType: Bool

  public init(
    file: String, line: Int, column: Int, message: String, kind: Kind, exceptionType: String = "RuntimeError",
    showsType: Bool = false
  ) {
    self.file = file
    self.line = line
    self.column = column
    self.message = message
    self.kind = kind
    self.exceptionType = exceptionType
    self.showsType = showsType
  }

  public init(
    file: String, location: SourceLocation, message: String, kind: Kind, exceptionType: String = "RuntimeError",
    showsType: Bool = false
  ) {
    self.init(
      file: file, line: location.line, column: location.column, message: message, kind: kind,
      exceptionType: exceptionType, showsType: showsType)
  }

  /// The position as a `SourceLocation`.
  public var location: SourceLocation { SourceLocation(line: line, column: column) }

  /// `file:line:column: message`, or `file:line:column: Type: message` when it shows its type.
  public var description: String {
    guard showsType else { return "\(file):\(line):\(column): \(message)" }
    return "\(file):\(line):\(column): \(exceptionType)" + (message.isEmpty ? "" : ": \(message)")
  }

  /// The number of spaces before the quoted source line and before the caret.
  static let renderIndent = "    "
  /// Lines longer than this many scalars are shown as an excerpt around the column.
  static let longLineLimit = 160
  /// How many scalars of a long line the excerpt shows (plus `...` on each cut side).
  static let excerptWidth = 120

  /// The error as users see it: `description`, then the offending line of `source` indented by four
  /// spaces, then a caret under the column:
  ///
  ///     script.py:3:6: '(' was never closed
  ///         x = f(1,
  ///              ^
  ///
  /// The caret line mirrors tabs that precede the column so the caret stays aligned in a terminal.
  /// A line longer than 160 scalars is cut to 120 around the column, with `...` where it was cut,
  /// so a multi-megabyte line does not flood the terminal. A column past the end of the line puts
  /// the caret just after it; a line past the end of `source` shows as empty. A leading byte-order
  /// mark is ignored, as the parser ignores it. For a script parsed from bytes, pass
  /// `String(decoding: bytes, as: UTF8.self)`: every scalar before the first invalid byte decodes
  /// unchanged, so the caret still lands on it.
  public func render(source: String) -> String {
    let scalars = SourceText.scalars(of: source)
    var shown = SourceText.line(line, of: scalars).map(Array.init) ?? []
    var caret = min(max(column - 1, 0), shown.count)
    if shown.count > Self.longLineLimit {
      let start = max(0, min(caret - Self.excerptWidth / 2, shown.count - Self.excerptWidth))
      let end = min(shown.count, start + Self.excerptWidth)
      let head: [Unicode.Scalar] = start > 0 ? [".", ".", "."] : []
      let tail: [Unicode.Scalar] = end < shown.count ? [".", ".", "."] : []
      shown = head + shown[start..<end] + tail
      caret = caret - start + head.count
    }
    var pad = String.UnicodeScalarView()
    for index in 0..<caret {
      pad.append(index < shown.count && shown[index] == "\t" ? "\t" : " ")
    }
    var lineText = String.UnicodeScalarView()
    lineText.append(contentsOf: shown)
    return "\(description)\n\(Self.renderIndent)\(String(lineText))\n\(Self.renderIndent)\(String(pad))^"
  }
}

/// A `ScriptError` in a box, thrown inside the lexer and parser.
///
/// Typed throws reserve space for the error in the caller's frame at every call site; boxing the
/// error makes that one pointer instead of a whole `ScriptError`, which keeps the recursive
/// parser's frames (large in unoptimised builds) small enough for the nesting limit. The public
/// entry points unbox it.
final class SyntaxFailure: Error, Sendable {
  let error: ScriptError

  init(_ error: ScriptError) { self.error = error }
}
