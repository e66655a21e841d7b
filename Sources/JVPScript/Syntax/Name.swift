import Foundation

/// An identifier as the syntax tree holds it: its text and the process-wide number it is interned under, so the
/// interpreter finds a variable by comparing small integers instead of hashing strings.
public struct Name: Sendable, Hashable, CustomStringConvertible {
  public let text: String
  /// The same for equal texts, in every parse of every script of the process.
  let symbol: Int

  public init(_ text: String) {
    self.text = text
    symbol = Symbols.intern(text)
  }

  public var description: String { text }

  public static func == (a: Name, b: Name) -> Bool { a.symbol == b.symbol }
  public func hash(into hasher: inout Hasher) { hasher.combine(symbol) }
}

/// The interned identifiers of the process: dense numbers from 0, one per distinct text.
enum Symbols {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var numbers: [String: Int] = [:]

  static func intern(_ text: String) -> Int {
    lock.lock()
    defer { lock.unlock() }
    if let number = numbers[text] { return number }
    let number = numbers.count
    numbers[text] = number
    return number
  }
}
