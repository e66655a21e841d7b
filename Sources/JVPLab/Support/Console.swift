import Foundation

/// Where a command writes: stdout for results, stderr for progress, run ids and errors.
///
/// Commands take a console instead of printing, so tests run them in-process and read what they wrote.
public struct Console: Sendable {
  public var out: @Sendable (String) -> Void
  public var err: @Sendable (String) -> Void
  /// Whether stderr is a terminal (progress bars only go to terminals).
  public var errIsTerminal: Bool

  public init(out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void, errIsTerminal: Bool = false) {
    self.out = out
    self.err = err
    self.errIsTerminal = errIsTerminal
  }

  /// The process's stdout and stderr, unbuffered writes of whole strings; a write that fails is
  /// reported, never a crash (see `StandardStream`).
  public static let standard = Console(
    out: { StandardStream.output.write($0) },
    err: { StandardStream.error.write($0) },
    errIsTerminal: isatty(STDERR_FILENO) != 0)
}

/// The documented exit codes of every command.
public enum ExitStatus: Int32, Sendable {
  case success = 0
  /// `diff` and `replay`: the runs differ; any command: stdout could not be written.
  case differs = 1
  /// A usage or input error: bad flag, bad filter, missing run, unreadable database.
  case usage = 2
  /// The script or function failed while running.
  case runFailed = 3
  /// Stopped by SIGHUP (a closed terminal or SSH session).
  case hungUp = 129
  /// Stopped by SIGINT.
  case interrupted = 130
  /// Stdout was a pipe whose reader went away (SIGPIPE's conventional status).
  case brokenPipe = 141
  /// Stopped by SIGTERM (`timeout`, `kill`, CI runners, `systemctl stop`).
  case terminated = 143
}

/// A failure a command reports as one message and an exit status.
public struct LabFailure: Error, CustomStringConvertible, Sendable {
  public let message: String
  public let status: ExitStatus

  public init(_ message: String, status: ExitStatus = .usage) {
    self.message = message
    self.status = status
  }

  public var description: String { message }
}
