import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// One process's link to a PostgreSQL server: a `PostgresConnection` and `blocking`, which runs async
/// driver code for the store's synchronous methods, one call at a time.
///
/// One connection, not `PostgresClient`'s pool: a command needs one, and the pool answers a server that
/// went away by retrying with back-off for up to a minute, where a writer must stop at once with one line
/// (exit 3) and a read must fail with one line. A connection found closed is opened again on the next
/// call, so a long-lived `jvplab ui` outlives a server restart.
final class PostgresSession: @unchecked Sendable {
  let url: PostgresURL
  private let configuration: PostgresConnection.Configuration
  private let executor = SerialTaskExecutor()
  /// Held for a whole call: a transaction must not interleave with another caller's statements.
  private let lock = NSLock()
  private var connection: PostgresConnection?
  /// Ends the call in flight when the connection closes under it.
  private let inFlight = InFlightCall()
  static let logger = Logger(label: "jvplab.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

  /// Connects to the server, so that a refused connection, a failed login or an unknown database is an
  /// error at once.
  init(url: PostgresURL) throws(StoreError) {
    self.url = url
    let tls: PostgresConnection.Configuration.TLS
    do {
      tls = try Self.connectionTLS(url.sslMode)
    } catch {
      throw StoreError(.inaccessible, "cannot set up TLS for \(url): \(error)")
    }
    configuration = PostgresConnection.Configuration(
      host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: tls)
    _ = try blocking { _ in true }
  }

  deinit {
    // The closure keeps the connection alive until it has closed (postgres-nio asserts on that).
    if let connection { connection.close().whenComplete { _ in _ = connection } }
  }

  /// Runs `body` with the connection on a thread of its own and waits for it; its errors become
  /// `StoreError`s that name the server.
  func blocking<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) throws(StoreError) -> T {
    lock.lock()
    defer { lock.unlock() }
    let box = ResultBox<T>()
    // A server that goes away mid-call can leave the driver's pending query unanswered (seen about one time
    // in four when the server stops during a write): the connection's closing ends the call instead.
    let lost = StoreError(.serverGone, "lost the connection to \(url): the server closed it")
    inFlight.set { box.fulfill(.failure(lost)) }
    defer { inFlight.set(nil) }
    let current = connection.flatMap { $0.isClosed ? nil : $0 }
    let configuration = configuration
    let inFlight = inFlight
    // Not the shared cooperative pool: `jvplab ui` calls the store from request handlers running there,
    // and two of them waiting here on a two-core machine would leave no thread for the work they wait on.
    Task(executorPreference: executor) {
      do {
        let connection: PostgresConnection
        if let current {
          connection = current
        } else {
          connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Self.logger)
          connection.closeFuture.whenComplete { _ in inFlight.connectionClosed() }
        }
        box.connection = connection
        box.fulfill(.success(try await body(connection)))
      } catch {
        box.fulfill(.failure(error))
      }
    }
    let result = box.wait()
    connection = box.connection
    switch result {
    case .success(let value): return value
    case .failure(let error): throw StoreError(postgres: error, url: url)
    }
  }

  private static func tlsConfiguration(_ mode: PostgresURL.SSLMode) -> TLSConfiguration {
    var configuration = TLSConfiguration.makeClientConfiguration()
    switch mode {
    case .verifyFull: configuration.certificateVerification = .fullVerification
    case .verifyCA: configuration.certificateVerification = .noHostnameVerification
    case .disable, .prefer, .require: configuration.certificateVerification = .none
    }
    return configuration
  }

  private static func connectionTLS(_ mode: PostgresURL.SSLMode) throws -> PostgresConnection.Configuration.TLS {
    switch mode {
    case .disable: .disable
    case .prefer: .prefer(try NIOSSLContext(configuration: tlsConfiguration(mode)))
    case .require, .verifyCA, .verifyFull: .require(try NIOSSLContext(configuration: tlsConfiguration(mode)))
    }
  }
}

/// What to do when the connection closes during a call: fail that call (nothing between calls).
private final class InFlightCall: @unchecked Sendable {
  private let lock = NSLock()
  private var fail: (() -> Void)?

  func set(_ fail: (() -> Void)?) { lock.withLock { self.fail = fail } }

  func connectionClosed() {
    let fail = lock.withLock {
      defer { self.fail = nil }
      return self.fail
    }
    fail?()
  }
}

/// The result a blocked caller waits for: the first one given wins (the call's own, or the connection's
/// closing while the call was still waiting).
private final class ResultBox<T>: @unchecked Sendable {
  private let lock = NSLock()
  private let done = DispatchSemaphore(value: 0)
  private var result: Result<T, any Error>?
  var connection: PostgresConnection? {
    get { lock.withLock { storedConnection } }
    set { lock.withLock { storedConnection = newValue } }
  }
  private var storedConnection: PostgresConnection?

  func fulfill(_ value: Result<T, any Error>) {
    let first = lock.withLock {
      guard result == nil else { return false }
      result = value
      return true
    }
    if first { done.signal() }
  }

  func wait() -> Result<T, any Error> {
    done.wait()
    return lock.withLock { result! }
  }
}

/// Runs the store's driver tasks on one dispatch queue of their own, never on the shared cooperative pool.
private final class SerialTaskExecutor: TaskExecutor {
  private let queue = DispatchQueue(label: "jvplab.postgres")

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    let executor = asUnownedTaskExecutor()
    queue.async { job.runSynchronously(on: executor) }
  }
}

extension StoreError {
  /// `error` from the driver as a one-line store error naming the server `url` (never its password).
  init(postgres error: any Error, url: PostgresURL) {
    if let error = error as? StoreError {
      self = error
      return
    }
    guard let error = error as? PSQLError else {
      self.init(.sqlite, "\(url): \(error)")
      return
    }
    let state = error.serverInfo?[.sqlState] ?? ""
    let message = error.serverInfo?[.message] ?? "\(error.code)"
    switch error.code {
    case .server:
      switch state {
      case "28P01", "28000":
        self.init(.inaccessible, "cannot log in to \(url): \(message)")
      case "3D000":
        self.init(.missingDatabase, "cannot use \(url): \(message)")
      case "25006":
        self.init(.badSQL, "--sql runs read-only: this statement would change \(url)")
      case "40001", "40P01", "55P03":
        self.init(.locked, "\(url) could not serialize the write: \(message)")
      case _ where state.hasPrefix("42") || state.hasPrefix("22"):
        self.init(.badSQL, "\(url): \(message)")
      case _ where state.hasPrefix("23"):
        self.init(.invalidInput, "\(url) refused the run: \(message)")
      case _ where state.hasPrefix("57P") || state.hasPrefix("08"):
        self.init(.serverGone, "lost the connection to \(url): \(message)")
      default:
        self.init(.sqlite, "\(url): \(message)")
      }
    case .authMechanismRequiresPassword:
      self.init(.inaccessible, "cannot log in to \(url): the server asks for a password (give it in the URL, PGPASSWORD or ~/.pgpass)")
    case .sslUnsupported:
      self.init(.inaccessible, "cannot connect to \(url): the server does not offer TLS, which sslmode asks for")
    case .connectionError:
      let reason = error.underlying.map(Self.connectionReason) ?? "\(error.code)"
      self.init(.serverGone, "cannot connect to \(url): \(reason)")
    case .serverClosedConnection, .uncleanShutdown, .clientClosedConnection, .poolClosed:
      self.init(.serverGone, "lost the connection to \(url): the server closed it")
    default:
      self.init(.sqlite, "\(url): \(error.code)")
    }
  }

  /// What the operating system said about a failed connection, in its usual words.
  private static func connectionReason(_ error: any Error) -> String {
    let text = "\(error)"
    if text.contains("refused") || text.contains("ECONNREFUSED") || text.contains("errno: 111") { return "connection refused" }
    if text.contains("timed out") || text.contains("Timeout") { return "connection timed out" }
    if text.contains("resolve") || text.contains("NXDOMAIN") { return "unknown host" }
    return text
  }
}
