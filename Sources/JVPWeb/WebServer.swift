import Foundation
import Hummingbird
import JVPLab
import JVPStore
import Logging
import NIOCore
import ServiceLifecycle

/// `jvplab ui`: serves `WebSite` over HTTP with Hummingbird until SIGINT or SIGTERM.
public enum WebServer {
  public struct Options: Sendable {
    public var host = "127.0.0.1"
    public var port = 8765
    /// How often the event stream asks SQLite whether another process committed (`PRAGMA data_version`).
    public var pollInterval = Duration.milliseconds(500)
    /// How long one event stream lasts before the browser reconnects (it does so by itself).
    public var streamLifetime = Duration.seconds(300)

    public init() {}
  }

  /// The routes: pages, API, downloads, assets and the event stream. Every route is a GET; nothing writes.
  public static func router(_ site: WebSite, options: Options = Options()) -> Router<BasicRequestContext> {
    let router = Router()
    router.get("/") { request, _ in response(site.runsPage(parameters(request))) }
    router.get("/runs.csv") { request, _ in response(site.runsCSV(parameters(request))) }
    router.get("/runs/:run") { _, context in
      let run = context.parameters.get("run") ?? ""
      return response(run.hasSuffix(".npz") ? site.archive(String(run.dropLast(4))) : site.runPage(run))
    }
    router.get("/runs/:run/tensors/:file") { _, context in
      let file = context.parameters.get("file") ?? ""
      guard file.hasSuffix(".npy") else { return response(site.notFound("tensors are downloaded as K.npy")) }
      return response(site.array(context.parameters.get("run") ?? "", String(file.dropLast(4))))
    }
    router.get("/compare") { request, _ in response(site.compareRedirect(parameters(request))) }
    router.get("/compare/:a/:b") { request, context in
      response(site.comparePage(context.parameters.get("a") ?? "", context.parameters.get("b") ?? "", parameters(request)))
    }
    router.get("/plot") { request, _ in response(site.plotPage(parameters(request))) }
    router.get("/api/runs") { request, _ in response(site.apiRuns(parameters(request))) }
    router.get("/api/runs/:run") { _, context in response(site.apiRun(context.parameters.get("run") ?? "")) }
    router.get("/assets/:name") { _, context in
      response(WebSite.asset(context.parameters.get("name") ?? "") ?? site.notFound("no such asset"))
    }
    router.get("/events") { _, _ in events(site, options: options) }
    router.get("**") { request, _ in response(site.notFound("nothing at \(request.uri.path)")) }
    return router
  }

  static func parameters(_ request: Request) -> [String: String] {
    WebSite.parameters(request.uri.query)
  }

  static func response(_ answer: WebResponse) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = answer.contentType
    headers[.cacheControl] = "no-store"
    headers[.xContentTypeOptions] = "nosniff"
    if let filename = answer.filename { headers[.contentDisposition] = "attachment; filename=\"\(filename)\"" }
    if let location = answer.location { headers[.location] = location }
    return Response(
      status: HTTPResponse.Status(code: answer.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
  }

  /// Server-sent events: `runs` with the count and newest id, at once and whenever another process
  /// commits (SQLite's data_version changes), until the stream's lifetime or the server's shutdown.
  static func events(_ site: WebSite, options: Options) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "text/event-stream"
    headers[.cacheControl] = "no-store"
    return Response(status: .ok, headers: headers, body: ResponseBody { writer in
      for await event in eventTexts(site, options: options) {
        try await writer.write(ByteBuffer(string: event))
      }
      try await writer.finish(nil)
    })
  }

  /// The texts of one event stream, the first with the reconnection delay. Polled rather than
  /// cancelled, so that a shutdown waits at most one interval for the stream to end.
  static func eventTexts(_ site: WebSite, options: Options) -> AsyncStream<String> {
    AsyncStream { continuation in
      // Unstructured, so it inherits the task locals that tell it about a graceful shutdown.
      let task = Task {
        func state() -> String {
          guard let (count, latest) = try? site.latest() else { return "" }
          return "event: runs\ndata: {\"count\":\(count),\"latest\":\(latest.map(String.init) ?? "null")}\n\n"
        }
        // The version first: a commit after it is announced, even one made while the state is read.
        var version = try? site.store.dataVersion()
        continuation.yield("retry: 1000\n\n" + state())
        let end = ContinuousClock.now + options.streamLifetime
        while ContinuousClock.now < end && !Task.isShuttingDownGracefully && !Task.isCancelled {
          try? await Task.sleep(for: options.pollInterval)
          let now = try? site.store.dataVersion()
          if now != version {
            version = now
            continuation.yield(state())
          }
        }
        continuation.finish()
      }
      continuation.onTermination = { _ in task.cancel() }
    }
  }

  /// Opens the store, listens, prints the URL (and opens it with `openBrowser`), and serves until
  /// SIGINT or SIGTERM: 0 then, 2 when the database cannot be read or the address cannot be bound.
  public static func serve(database: String, options: Options, openBrowser: Bool, console: Console) -> ExitStatus {
    let site: WebSite
    do {
      site = try WebSite.open(database: database, console: console)
    } catch {
      console.err("jvplab: \(error)\n")
      return .usage
    }
    var logger = Logger(label: "jvplab-ui")
    logger.logLevel = .critical
    let app = Application(
      router: router(site, options: options),
      configuration: .init(address: .hostname(options.host, port: options.port), serverName: "jvplab"),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? options.port
        let host = options.host.contains(":") ? "[\(options.host)]" : options.host
        let url = "http://\(host):\(port)/"
        console.out(url + "\n")
        console.err("jvplab: serving \(DatabaseLocation.masked(database)) read-only at \(url) (Ctrl-C stops)\n")
        if openBrowser { open(url, console: console) }
      },
      logger: logger)
    let finished = DispatchSemaphore(value: 0)
    let outcome = Outcome()
    Task {
      do {
        try await app.runService()
      } catch {
        outcome.error = error
      }
      finished.signal()
    }
    finished.wait()
    guard let error = outcome.error else { return .success }
    console.err("jvplab: \(describe(error, options: options))\n")
    return .usage
  }

  /// One line for a failure to serve: a port in use or an address that is not this machine's, named.
  static func describe(_ error: any Error, options: Options) -> String {
    let address = "\(options.host):\(options.port)"
    if let io = error as? IOError {
      switch io.errnoCode {
      case EADDRINUSE: return "cannot listen on \(address): the port is in use (choose another with --port)"
      case EADDRNOTAVAIL: return "cannot listen on \(address): --host is not an address of this machine"
      case EACCES: return "cannot listen on \(address): permission denied (ports below 1024 need privileges)"
      default: return "cannot listen on \(address): \(io.description)"
      }
    }
    return "cannot listen on \(address): \(error)"
  }

  /// The desktop's browser on `url` (`xdg-open`, `open` on macOS); a failure is a note, not an error.
  static func open(_ url: String, console: Console) {
    let process = Process()
    #if os(macOS)
    process.executableURL = URL(fileURLWithPath: "/usr/bin/open")
    process.arguments = [url]
    #else
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["xdg-open", url]
    #endif
    do {
      try process.run()
    } catch {
      console.err("jvplab: note: cannot open a browser (\(error.localizedDescription)); visit \(url)\n")
    }
  }

  /// The error the serving task ended with, read after it has signalled.
  private final class Outcome: @unchecked Sendable {
    var error: (any Error)?
  }
}
