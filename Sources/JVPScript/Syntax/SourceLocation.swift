/// A position in a script: 1-based line and 1-based column.
///
/// Columns count Unicode scalars (code points) from the start of the line, as Python does, so a
/// caret printed under a line of source lands on the right character for ASCII and most text.
/// `\n`, `\r\n` and a lone `\r` each end a line.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// The 1-based line number.
  public let line: Int
  /// The 1-based column, in Unicode scalars.
  public let column: Int

  public init(line: Int, column: Int) {
    self.line = line
    self.column = column
  }

  /// `line:column`, the way error messages print positions.
  public var description: String { "\(line):\(column)" }

  public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
    (a.line, a.column) < (b.line, b.column)
  }
}
