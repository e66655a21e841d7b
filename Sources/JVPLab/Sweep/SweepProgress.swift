import Foundation

/// A one-line progress bar for a sweep on a terminal: points done and an estimate of the time left.
final class SweepProgress: @unchecked Sendable {
  private let console: Console
  private let total: Int
  private let started = Date()
  private var lastDrawn = Date.distantPast

  init(console: Console, total: Int) {
    self.console = console
    self.total = total
  }

  /// Redraws at most ten times a second, and always for the last point.
  func update(_ done: Int) {
    let now = Date()
    guard done == total || now.timeIntervalSince(lastDrawn) >= 0.1 else { return }
    lastDrawn = now
    let width = 30
    let filled = done * width / max(total, 1)
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let elapsed = now.timeIntervalSince(started)
    let left = done == 0 ? "" : ", " + Self.clock(elapsed / Double(done) * Double(total - done)) + " left"
    console.err("\r[\(bar)] \(done)/\(total) points\(left)   ")
  }

  /// Ends the bar's line.
  func finish() { console.err("\n") }

  /// `42 s`, `3 min 20 s`, `1 h 05 min`.
  static func clock(_ seconds: Double) -> String {
    let whole = Int(seconds.rounded())
    if whole < 60 { return "\(whole) s" }
    if whole < 3600 { return "\(whole / 60) min \(String(format: "%02d", whole % 60)) s" }
    return "\(whole / 3600) h \(String(format: "%02d", whole / 60 % 60)) min"
  }
}
