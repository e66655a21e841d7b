import Foundation

#if canImport(Glibc)
  import Glibc
  private let systemWrite = Glibc.write
#elseif canImport(Darwin)
  import Darwin
  private let systemWrite = Darwin.write
#endif

/// The process's stdout or stderr, written with `write(2)` so that a failed write (a full disk, a
/// broken network mount, a closed pipe) is an error jvplab reports rather than a crash.
///
/// After the first failure the stream discards what follows: the command still finishes its work
/// (a run is recorded however its transcript fares), and `JVPLabCommand` turns the failure into the
/// exit status: 1 for stdout, as coreutils do, and SIGPIPE's 141, silently, for a closed pipe.
public final class StandardStream: @unchecked Sendable {
  public static let output = StandardStream(descriptor: STDOUT_FILENO, name: "stdout")
  public static let error = StandardStream(descriptor: STDERR_FILENO, name: "stderr")

  private let descriptor: Int32
  private let name: String
  private let lock = NSLock()
  private var failedErrno: Int32?

  private init(descriptor: Int32, name: String) {
    self.descriptor = descriptor
    self.name = name
  }

  /// Writes all of `text`, retrying short writes and EINTR. The first failure of stdout is
  /// reported once on stderr (unless it is a closed pipe, which is conventionally silent).
  public func write(_ text: String) {
    let failure: Int32? = lock.withLock {
      guard failedErrno == nil else { return nil }
      var text = text
      failedErrno = text.withUTF8 { Self.writeAll($0, to: descriptor) }
      return failedErrno
    }
    if let failure, failure != EPIPE, self !== Self.error {
      Self.error.write("jvplab: cannot write to \(name): \(String(cString: strerror(failure)))\n")
    }
  }

  /// The errno of the first failed write, or nil while every write has succeeded.
  public var failure: Int32? { lock.withLock { failedErrno } }

  /// Writes `bytes` whole to `descriptor`; the errno that stopped it, or nil.
  static func writeAll(_ bytes: UnsafeBufferPointer<UInt8>, to descriptor: Int32) -> Int32? {
    guard var next = bytes.baseAddress else { return nil }
    var left = bytes.count
    while left > 0 {
      let written = systemWrite(descriptor, next, left)
      if written < 0 {
        if errno == EINTR { continue }
        return errno
      }
      next += written
      left -= written
    }
    return nil
  }

  /// Writes `text` to stderr from a signal handler's context: no lock, no allocation beyond the
  /// string's own, errors ignored (there is nowhere left to report them).
  static func writeDirectly(_ text: String) {
    var text = text
    _ = text.withUTF8 { writeAll($0, to: STDERR_FILENO) }
  }

  /// The status a command that would exit with `status` exits with once its streams are accounted
  /// for: a failed stdout makes a success 1 (a closed pipe 141, SIGPIPE's status); any other
  /// status already says something went wrong and stands. A failed stderr changes nothing: there
  /// is nowhere to say so.
  public static func exitStatus(after status: Int32) -> Int32 {
    guard status == 0, let failure = output.failure else { return status }
    return failure == EPIPE ? ExitStatus.brokenPipe.rawValue : ExitStatus.differs.rawValue
  }
}
