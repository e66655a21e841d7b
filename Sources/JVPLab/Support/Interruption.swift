import Dispatch
import Foundation

/// Turns SIGINT into a flag that long work polls, so a run stopped with Ctrl-C is still recorded
/// (as `interrupted`) and the process exits 130 instead of dying mid-write.
///
/// Work is polled between `--repeat` samples and between statements, so one long step (a huge
/// jacobian, a slow single call) cannot notice the flag: a second SIGINT then exits at once with
/// 130. That is safe for the database: every run is written in one transaction, so a process that
/// stops at any point leaves each run whole or absent, exactly as a kill does.
public final class Interruption: @unchecked Sendable {
  private let lock = NSLock()
  private var raised = false
  private var source: DispatchSourceSignal?

  public init() {}

  /// Starts catching SIGINT for the life of this object.
  public func install() {
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    source.setEventHandler { [weak self] in self?.signalReceived() }
    source.resume()
    self.source = source
  }

  private func signalReceived() {
    if isRaised {
      FileHandle.standardError.write(Data("\njvplab: interrupted again: stopping now\n".utf8))
      _exit(130)
    }
    FileHandle.standardError.write(Data("\njvplab: interrupted: stopping after the current step (Ctrl-C again to stop now)\n".utf8))
    raise()
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
