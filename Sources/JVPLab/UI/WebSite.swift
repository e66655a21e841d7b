import Foundation
import JVPStore

/// One HTTP answer of `jvplab ui`, independent of the server library that sends it.
public struct WebResponse: Sendable {
  public var status: Int
  public var contentType: String
  public var body: Data
  /// A download's file name (`Content-Disposition: attachment`), or nil to show it in the browser.
  public var filename: String?
  /// Where a redirect (303) points.
  public var location: String?

  init(status: Int = 200, contentType: String, body: Data, filename: String? = nil, location: String? = nil) {
    self.status = status
    self.contentType = contentType
    self.body = body
    self.filename = filename
    self.location = location
  }

  static func html(_ text: String, status: Int = 200) -> WebResponse {
    WebResponse(status: status, contentType: "text/html; charset=utf-8", body: Data(text.utf8))
  }

  static func json(_ value: JSON, status: Int = 200) -> WebResponse {
    WebResponse(status: status, contentType: "application/json", body: Data((value.text + "\n").utf8))
  }

  public var text: String { String(decoding: body, as: UTF8.self) }
}

/// The pages, data and downloads of `jvplab ui`, read from a store opened read-only. Every answer is
/// built from the store alone: no request reads or writes any other file, and none writes the store.
public struct WebSite: Sendable {
  public let store: any ExperimentStore
  /// Runs per page of the runs table.
  public var pageSize = 100

  public init(store: any ExperimentStore) {
    self.store = store
  }

  /// The stylesheet and script every page links (`/assets/NAME`); nil for any other name.
  public static func asset(_ name: String) -> WebResponse? {
    switch name {
    case "jvplab.css": WebResponse(contentType: "text/css; charset=utf-8", body: Data(WebAssets.style.utf8))
    case "jvplab.js": WebResponse(contentType: "text/javascript; charset=utf-8", body: Data(WebAssets.script.utf8))
    default: nil
    }
  }

  /// How many runs the store holds and the newest id: what the event stream announces.
  public func latest() throws(StoreError) -> (count: Int, latest: Int64?) {
    // An empty filter always compiles; the guard only satisfies the type system.
    guard let query = try? RunQuery(limit: 1) else { return (0, nil) }
    return (try store.count(matching: query), try store.runs(matching: query).first?.id)
  }

  // MARK: - Errors

  public func notFound(_ what: String) -> WebResponse {
    .html(HTML.page(title: "not found", active: "", body: "<h1>Not found</h1><p class=\"error\">\(HTML.escape(what))</p>"),
          status: 404)
  }

  /// A failure reading the store: the message the command line prints for it.
  func failure(_ error: StoreError) -> WebResponse {
    let status = error.code == .noSuchRun || error.code == .badReference ? 404 : 500
    let title = status == 404 ? "Not found" : "The store cannot be read"
    return .html(HTML.page(title: title, active: "", body: "<h1>\(title)</h1><p class=\"error\">jvplab: \(HTML.escape(error.message))</p>"),
                 status: status)
  }

  func apiFailure(_ error: StoreError) -> WebResponse {
    .json(.object([("error", .string(error.message))]), status: error.code == .noSuchRun || error.code == .badReference ? 404 : 500)
  }

  /// The run a URL names: an id, `latest` or `latest~N`.
  func detail(_ reference: String) throws(StoreError) -> RunDetail {
    let id = try store.resolve(reference)
    guard let detail = try store.run(id: id) else { throw StoreError(.noSuchRun, "no run \(id) in \(store.path)") }
    return detail
  }

  // MARK: - Data and downloads

  /// `/api/runs?q=&sort=&limit=`: the JSON array `query --format json` prints; a bad filter is a 400
  /// whose body gives the message and the character position.
  public func apiRuns(_ parameters: [String: String]) -> WebResponse {
    let limit = parameters["limit"].flatMap(Int.init)
    if let text = parameters["limit"], limit == nil || limit! < 0 {
      return .json(.object([("error", .string("limit: expected a count of runs, 0 or more, found '\(text)'"))]), status: 400)
    }
    do {
      let query = try RunQuery(filter: parameters["q"] ?? "", sort: parameters["sort"], limit: limit)
      return .json(.array(try store.runs(matching: query).map(RunJSON.object)))
    } catch let error as QueryError {
      return .json(.object([
        ("error", .string(error.render(filter: parameters["q"] ?? "", sort: parameters["sort"] ?? ""))),
        ("part", .string(error.part.rawValue)), ("position", .int(Int64(error.offset))),
      ]), status: 400)
    } catch {
      return apiFailure(error as? StoreError ?? StoreError(.sqlite, "\(error)"))
    }
  }

  /// `/api/runs/ID`: the run object with its tensors, as `show --format json` prints it.
  public func apiRun(_ reference: String) -> WebResponse {
    do throws(StoreError) {
      return .json(RunJSON.object(try detail(reference), includeTensors: true))
    } catch {
      return apiFailure(error)
    }
  }

  /// `/runs.csv?q=&sort=`: the runs table as `query --format csv` writes it.
  public func runsCSV(_ parameters: [String: String]) -> WebResponse {
    do {
      let query = try RunQuery(filter: parameters["q"] ?? "", sort: parameters["sort"])
      let text = Query.render(try store.runs(matching: query), format: .csv, width: nil) + "\n"
      return WebResponse(contentType: "text/csv; charset=utf-8", body: Data(text.utf8), filename: "runs.csv")
    } catch let error as QueryError {
      let message = error.render(filter: parameters["q"] ?? "", sort: parameters["sort"] ?? "")
      return WebResponse(status: 400, contentType: "text/plain; charset=utf-8", body: Data((message + "\n").utf8))
    } catch {
      return failure(error as? StoreError ?? StoreError(.sqlite, "\(error)"))
    }
  }

  /// `/runs/ID.npz`: the run's tensors as `jvplab export` writes them.
  public func archive(_ reference: String) -> WebResponse {
    do {
      let detail = try detail(reference)
      return WebResponse(contentType: "application/zip", body: try Export.archive(detail), filename: "run-\(detail.id).npz")
    } catch let error as StoreError {
      return failure(error)
    } catch {
      return .html(HTML.page(title: "cannot export", active: "", body: "<h1>Cannot export</h1><p class=\"error\">\(HTML.escape("\(error)"))</p>"),
                   status: 409)
    }
  }

  /// `/runs/ID/tensors/K.npy`: tensor K (its position in `show`, from 0) as an `.npy` file.
  public func array(_ reference: String, _ position: String) -> WebResponse {
    do throws(StoreError) {
      let detail = try detail(reference)
      guard let k = Int(position), detail.tensors.indices.contains(k) else {
        return notFound("run \(detail.id) has no tensor \(position) (it has \(detail.tensors.count), numbered from 0)")
      }
      let tensor = detail.tensors[k]
      guard let file = NumpyArray.file(tensor) else {
        return notFound("tensor \(k) of run \(detail.id) was stored as digest and summary only")
      }
      return WebResponse(contentType: "application/octet-stream", body: file,
                         filename: "run-\(detail.id)-\(NumpyArray.memberName(tensor)).npy")
    } catch {
      return failure(error)
    }
  }
}

extension WebSite {
  /// The site on the database at `path`, opened read-only as `query` opens it: a missing, foreign or
  /// damaged file throws the command line's message.
  public static func open(database path: String, console: Console) throws -> WebSite {
    WebSite(store: try DatabaseLocation.open(path, mode: .readOnly, console: console))
  }

  /// A URL's query string as name → value, as browsers encode forms (`+` for a space, `%XX` escapes);
  /// the first of repeated names wins.
  public static func parameters(_ query: String?) -> [String: String] {
    var result: [String: String] = [:]
    for pair in (query ?? "").split(separator: "&") {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
      }
      let name = decode(parts[0])
      if result[name] == nil { result[name] = parts.count > 1 ? decode(parts[1]) : "" }
    }
    return result
  }
}
