import Foundation
import JVPCore
import JVPScript
import JVPStore

/// What `jvplab run` was asked to do, in either form.
public struct RunOptions: Sendable {
  public enum Format: String, Sendable, CaseIterable {
    case text, json
  }

  public var database: String
  public var name: String?
  public var tags: [String: String] = [:]
  public var repeats = 1
  public var warmup = 0
  public var format = Format.text
  /// Tensors with more elements keep only shape, digest and statistics in the store.
  public var storeLimit = 16 * 1024 * 1024
  public var commandLine: String?
  /// Seconds to keep retrying past the busy timeout while another process holds the database;
  /// then the run goes to a pending file beside it.
  public var lockWait: TimeInterval = 60

  public init(database: String) { self.database = database }
}

/// What both forms of `run` set up before executing: the store and the engine-side options.
enum RunSetup {
  /// The database to record into, or nil after reporting why it cannot be opened.
  static func openStore(_ options: RunOptions, console: Console) -> (any ExperimentStore)? {
    do {
      return try DatabaseLocation.open(options.database, mode: .readWrite, storeLimit: options.storeLimit, console: console)
    } catch {
      console.err("jvplab: \(error)\n")
      return nil
    }
  }

  /// The interpreter's options, with the progress bar and SIGINT wired in.
  static func interpreterOptions(_ options: RunOptions, console: Console, interruption: Interruption?) -> Interpreter.Options {
    var result = Interpreter.Options()
    result.repeats = options.repeats
    result.warmup = options.warmup
    if let interruption { result.isCancelled = { interruption.isRaised } }
    result.notice = { console.err("jvplab: note: \($0)\n") }
    if console.errIsTerminal && options.repeats >= 100 {
      let bar = ProgressBar(console: console)
      result.progress = { done, total in bar.update(done, total) }
    }
    return result
  }
}

/// A one-line progress bar on stderr, redrawn at most every 1% of the work.
final class ProgressBar: @unchecked Sendable {
  private let console: Console
  private var lastPercent = -1

  init(console: Console) { self.console = console }

  func update(_ done: Int, _ total: Int) {
    let percent = done * 100 / max(total, 1)
    guard percent != lastPercent else { return }
    lastPercent = percent
    let width = 30
    let filled = percent * width / 100
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    console.err("\r[\(bar)] \(done)/\(total)" + (done == total ? "\n" : ""))
  }

  /// Ends the bar's line when the work stopped short of the total.
  func end() { console.err("\n") }
}
