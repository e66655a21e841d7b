import Foundation

/// Number and table formatting shared by `show`, `query` and `diff`.
enum Formatting {
  /// A duration in the unit that keeps 3 significant digits readable: `812 ns`, `4.21 µs`, `1.03 s`.
  static func duration(_ seconds: Double?) -> String {
    guard let seconds else { return "-" }
    guard seconds.isFinite else { return "\(seconds)" }
    let (value, unit): (Double, String) = switch Swift.abs(seconds) {
    case ..<1e-6: (seconds * 1e9, "ns")
    case ..<1e-3: (seconds * 1e6, "µs")
    case ..<1: (seconds * 1e3, "ms")
    default: (seconds, "s")
    }
    return significant(value) + " " + unit
  }

  /// Three significant digits, without exponent for ordinary magnitudes.
  static func significant(_ value: Double) -> String {
    let magnitude = Swift.abs(value)
    let decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2
    return String(format: "%.\(decimals)f", value)
  }

  /// An error magnitude: `0`, `1.2e-07`, `nan`.
  static func error(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value == 0 { return "0" }
    return String(format: "%.2e", value)
  }

  /// Left-aligned columns separated by two spaces; the last column is never padded.
  static func table(_ rows: [[String]]) -> String {
    guard let width = rows.map(\.count).max() else { return "" }
    var widths = [Int](repeating: 0, count: width)
    for row in rows {
      for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
    }
    return rows.map { row in
      row.enumerated().map { i, cell in
        i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
      }.joined(separator: "  ")
    }.joined(separator: "\n")
  }

  /// The terminal's width in columns when stdout is a terminal, else nil (no truncation).
  static func terminalWidth() -> Int? {
    guard isatty(STDOUT_FILENO) != 0 else { return nil }
    var size = winsize()
    if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    return ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init)
  }
}
