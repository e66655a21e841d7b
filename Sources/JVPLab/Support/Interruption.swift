import Dispatch
import Foundation

/// Turns SIGINT into a flag that long work polls, so a run stopped with Ctrl-C is still recorded
/// (as `interrupted`) and the process exits 130 instead of dying mid-write.
public final class Interruption: @unchecked Sendable {
  private let lock = NSLock()
  private var raised = false
  private var source: DispatchSourceSignal?

  public init() {}

  /// Starts catching SIGINT for the life of this object.
  public func install() {
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    source.setEventHandler { [weak self] in self?.raise() }
    source.resume()
    self.source = source
  }

  public func raise() {
    lock.lock()
    raised = true
    lock.unlock()
  }

  public var isRaised: Bool {
    lock.lock()
    defer { lock.unlock() }
    return raised
  }
}
