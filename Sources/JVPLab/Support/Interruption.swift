import Dispatch
import Foundation

/// Turns SIGINT, SIGTERM and SIGHUP into a flag that long work polls, so a run stopped with Ctrl-C,
/// `kill`, `timeout`, a CI runner or a closed terminal is still recorded (as `interrupted`) and the
/// process exits 128 + the signal (130, 143, 129) instead of dying mid-write.
///
/// Work is polled between `--repeat` samples and between statements, so one long step (a huge
/// jacobian, a slow single call) cannot notice the flag: a second signal then exits at once with
/// 128 + that signal, after committing the runs a grouped recorder still holds (`onImmediateExit`).
/// That is safe for the database: every run is written inside a transaction, so a process that stops
/// at any point leaves each run whole or absent, exactly as a kill does.
public final class Interruption: @unchecked Sendable {
  /// The signals handled, with what a user is told about each.
  static let handled: [(signal: Int32, status: ExitStatus, event: String, hint: String, again: String)] = [
    (SIGINT, .interrupted, "\njvplab: interrupted", "Ctrl-C again to stop now", "\njvplab: interrupted again"),
    (SIGTERM, .terminated, "jvplab: terminated (SIGTERM)", "SIGTERM again stops now", "jvplab: SIGTERM again"),
    (SIGHUP, .hungUp, "jvplab: hung up (SIGHUP)", "SIGHUP again stops now", "jvplab: SIGHUP again"),
  ]

  private let lock = NSLock()
  private var received: Int32?
  private var sources: [DispatchSourceSignal] = []
  private var exitActions: [@Sendable () -> Void] = []

  public init() {}

  /// Starts catching the signals for the life of this object.
  public func install() {
    for handled in Self.handled {
      signal(handled.signal, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: handled.signal, queue: .global())
      source.setEventHandler { [weak self] in self?.signalReceived(handled.signal) }
      source.resume()
      sources.append(source)
    }
  }

  private func signalReceived(_ number: Int32) {
    guard let handled = Self.handled.first(where: { $0.signal == number }) else { return }
    if isRaised {
      StandardStream.writeDirectly("\(handled.again): stopping now\n")
      // The actions wait for this process's own database access at most; one second bounds them anyway.
      let actions = lock.withLock { exitActions }
      let done = DispatchSemaphore(value: 0)
      DispatchQueue.global().async {
        for action in actions { action() }
        done.signal()
      }
      _ = done.wait(timeout: .now() + 1)
      _exit(handled.status.rawValue)
    }
    StandardStream.writeDirectly("\(handled.event): stopping after the current step (\(handled.hint))\n")
    raise(number)
  }

  /// Has `action` run before a second signal exits at once: it must only finish writes already made.
  public func onImmediateExit(_ action: @escaping @Sendable () -> Void) {
    lock.withLock { exitActions.append(action) }
  }

  /// Sets the flag as if `signal` (SIGINT by default) had arrived.
  public func raise(_ signal: Int32 = SIGINT) {
    lock.lock()
    if received == nil { received = signal }
    lock.unlock()
  }

  public var isRaised: Bool {
    lock.lock()
    defer { lock.unlock() }
    return received != nil
  }

  /// The exit status for the first signal received: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP.
  public var exitStatus: ExitStatus {
    lock.lock()
    defer { lock.unlock() }
    return Self.handled.first { $0.signal == received }?.status ?? .interrupted
  }
}

extension ExitStatus {
  /// This status once a signal was received: an interruption's 130 becomes the status of the signal
  /// that caused it, and so does a success (the signal came after the last poll, while recording).
  func stopped(by interruption: Interruption?) -> ExitStatus {
    guard self == .interrupted || self == .success, let interruption, interruption.isRaised else { return self }
    return interruption.exitStatus
  }
}
