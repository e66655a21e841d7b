/// A mistake in a `jvplab query` filter or sort list, with the character where it is.
///
/// Rendered as a compiler would, so the user sees the offending token:
/// ```
/// filter:1:8: expected a value after '<'
/// seed < and kind = jvp
///        ^
/// ```
public struct QueryError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Which argument the error is in.
  public enum Part: String, Sendable {
    case filter
    case sort
    case limit
  }

  public var part: Part
  public var message: String
  /// 0-based offset, in characters, into the text of `part`.
  public var offset: Int

  public init(_ part: Part, _ message: String, at offset: Int) {
    self.part = part
    self.message = message
    self.offset = offset
  }

  /// `text` as an error message may quote it: line breaks, tabs and other control characters
  /// escaped, so that the message stays on one line.
  static func printable(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      default:
        if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" {
          result += "\\u{" + String(scalar.value, radix: 16) + "}"
        } else {
          result.unicodeScalars.append(scalar)
        }
      }
    }
    return result
  }

  /// `filter: message`, for logs; `render` gives the position.
  public var description: String { "\(part.rawValue): \(message)" }

  /// Lines longer than this many characters are shown as an excerpt around the offending one.
  static let longLineLimit = 160
  /// How many characters of a long line the excerpt shows (plus `...` on each cut side).
  static let excerptWidth = 120

  /// The message with its position, the line of text it is in, and a caret under the offending character.
  ///
  /// `filter` is the filter text; `sort` the `--sort` text, used when the error is in the sort list.
  /// A `--limit` error has no position and renders as one line.
  public func render(filter: String, sort: String = "") -> String {
    let text: String
    switch part {
    case .filter: text = filter
    case .sort: text = sort
    case .limit: return "--limit: \(message)"
    }
    var line = 1
    var lineStart = 0
    for (position, character) in text.enumerated() where position < offset && character.isNewline {
      line += 1
      lineStart = position + 1
    }
    let column = offset - lineStart
    var lineText = Array(text.dropFirst(lineStart).prefix { !$0.isNewline })
    var caret = min(column, lineText.count)
    // A very long line (a generated filter) is shown as an excerpt around the caret, as script
    // errors are, so one mistake does not print the whole filter.
    if lineText.count > Self.longLineLimit {
      let start = max(0, min(caret - Self.excerptWidth / 2, lineText.count - Self.excerptWidth))
      let end = min(lineText.count, start + Self.excerptWidth)
      let head: [Character] = start > 0 ? ["." , ".", "."] : []
      let tail: [Character] = end < lineText.count ? [".", ".", "."] : []
      lineText = head + lineText[start..<end] + tail
      caret = caret - start + head.count
    }
    return "\(part.rawValue):\(line):\(column + 1): \(message)\n\(String(lineText))\n"
      + String(repeating: " ", count: caret) + "^"
  }
}
