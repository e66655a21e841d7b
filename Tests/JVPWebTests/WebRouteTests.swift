import Foundation
import Hummingbird
import HummingbirdTesting
import JVPCore
import JVPLab
import JVPStore
import JVPWeb
import Testing

/// Every route of `jvplab ui`, in-process through HummingbirdTesting's client: the pages hold the
/// store's values, the API is the command line's JSON, the downloads are `jvplab export`'s bytes.
@Suite struct WebRouteTests {
  /// Three runs: a jvp, a jacobian of a 4-vector, a hessian of a 3-vector.
  static func lab() throws -> WebLab {
    let lab = try WebLab()
    lab.record("x.exp()", [("x", "rand(3)")], kind: .jvp)
    lab.record("(x * x).sin()", [("x", "rand(4)")], kind: .jacobian)
    lab.record("(x ** 3).sum()", [("x", "rand(3)")], kind: .hessian)
    return lab
  }

  /// A capture of what a command prints on stdout.
  final class Output: @unchecked Sendable {
    var text = ""
    var console: Console { Console(out: { self.text += $0 }, err: { _ in }) }
  }

  @Test func runsPageListsTheRunsNewestFirst() async throws {
    let lab = try Self.lab()
    let response = try await lab.get("/")
    #expect(response.status == .ok)
    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
    let page = response.text
    #expect(page.contains("<span id=\"run-count\">3</span> runs"))
    let links = page.matches(of: /<tr><td><a href="\/runs\/(\d+)">/).map { String($0.1) }
    #expect(links == ["3", "2", "1"])
    #expect(page.contains("<td>hessian</td>") && page.contains("<span class=\"badge good\">fd ok</span>"))
    #expect(page.contains("data-live=\"1\" data-latest=\"3\""))
  }

  @Test func filterSortAndPaging() async throws {
    let lab = try Self.lab()
    var site = try lab.site()
    let responses = try await lab.get(["/?q=kind+%3D+jacobian", "/?sort=id", "/?sort=-numel.in"], site: site)
    func ids(_ r: TestResponse) -> [String] { r.text.matches(of: /<tr><td><a href="\/runs\/(\d+)">/).map { String($0.1) } }
    #expect(ids(responses[0]) == ["2"])
    #expect(responses[0].text.contains("value=\"kind = jacobian\""))
    #expect(ids(responses[1]) == ["1", "2", "3"])
    #expect(responses[1].text.contains("<a href=\"/?sort=-id\">id ▲</a>"), "the sorted column links to the reverse order")
    #expect(ids(responses[2]) == ["2", "3", "1"])
    site.pageSize = 2
    let pages = try await lab.get(["/", "/?page=2", "/?page=9"], site: site)
    #expect(ids(pages[2]) == [] && pages[2].text.contains("3</span> runs · <a rel=\"prev\" href=\"/?page=8\">"), "past the end: no rows")
    #expect(ids(pages[0]) == ["3", "2"] && ids(pages[1]) == ["1"])
    #expect(pages[0].text.contains("<a rel=\"next\" href=\"/?page=2\">older page →</a>") && pages[0].text.contains("page 1 of 2"))
    #expect(pages[1].text.contains("<a rel=\"prev\" href=\"/?page=1\">") && !pages[1].text.contains("data-live"))
  }

  @Test func badFilterIsShownWithItsPosition() async throws {
    let lab = try Self.lab()
    let responses = try await lab.get(["/?q=seed+%3C+and", "/api/runs?q=kind+%3D", "/?sort=bogus", "/runs.csv?q=(", "/api/runs?limit=-1"])
    #expect(responses[0].status == .badRequest)
    #expect(responses[0].text.contains("<pre class=\"error filter-error\">filter:1:8: expected a value after &#39;&lt;&#39;, found &#39;and&#39;\nseed &lt; and\n       ^</pre>"))
    #expect(responses[1].status == .badRequest)
    let body = try #require(try JSONSerialization.jsonObject(with: responses[1].data) as? [String: Any])
    #expect(body["position"] as? Int == 6 && body["part"] as? String == "filter")
    #expect((body["error"] as? String)?.hasPrefix("filter:1:7: expected a value after '='") == true)
    #expect(responses[2].status == .badRequest && responses[2].text.contains("sort:1:1: unknown field &#39;bogus&#39;"))
    #expect(responses[3].status == .badRequest && responses[3].text.hasPrefix("filter:1:2: "))
    #expect(responses[4].status == .badRequest)
  }

  @Test func runPageShowsEveryTensor() async throws {
    let lab = try Self.lab()
    let responses = try await lab.get(["/runs/2", "/runs/3", "/runs/1", "/runs/latest"])
    let jacobian = responses[0].text
    #expect(responses[0].status == .ok)
    #expect(jacobian.contains("<h1>run 2 <span class=\"kind\">jacobian</span>"))
    #expect(jacobian.contains("data-src=\"/runs/2/tensors/2.npy\" data-rows=\"4\" data-cols=\"4\" data-mode=\"value\""))
    #expect(jacobian.contains("<canvas class=\"sparsity\""))
    #expect(jacobian.contains("<pre class=\"source\">") && jacobian.contains("(x * x).sin()"))
    #expect(jacobian.contains("<svg class=\"bars\""), "the 1-D input as a bar strip")
    #expect(jacobian.contains("<svg class=\"samples\""), "the timing samples")
    #expect(jacobian.contains("<td>fd</td>"))
    let hessian = responses[1].text
    #expect(hessian.contains("data-rows=\"3\" data-cols=\"3\""))
    #expect(hessian.contains("symmetry error max |H − Hᵀ| = 0</span>"), "x³ summed has a diagonal, exactly symmetric hessian")
    #expect(responses[2].text.contains("<h3>jvp"))
    #expect(responses[3].text.contains("<h1>run 3 "))
    let detail = try #require(try lab.store().run(id: 2))
    let stored = try #require(detail.tensors.first { $0.role == "jacobian" })
    #expect(stored.shape == [4, 4])
  }

  @Test func unknownRunsAndPathsAre404Pages() async throws {
    let lab = try Self.lab()
    let responses = try await lab.get([
      "/runs/99", "/runs/abc", "/runs/99.npz", "/runs/2/tensors/9.npy", "/runs/2/tensors/x.txt", "/compare/1/99",
      "/nothing", "/api/runs/99", "/assets/../../etc/passwd", "/runs/..%2f..%2fetc%2fpasswd", "/assets/jvplab.db",
    ])
    for (n, response) in responses.enumerated() { #expect(response.status == .notFound, "request \(n)") }
    #expect(responses[0].text.contains("<p class=\"error\">jvplab: no run 99 in \(lab.database)</p>"))
    #expect(responses[1].text.contains("is not a run reference"))
    #expect(responses[3].text.contains("run 2 has no tensor 9 (it has 3, numbered from 0)"))
    #expect(responses[7].text == "{\"error\": \"no run 99 in \(lab.database)\"}\n")
    for response in responses { #expect(!response.text.contains("root:"), "no file outside the store is served") }
  }

  @Test func comparePage() async throws {
    let lab = try Self.lab()
    lab.record("(x * x).sin()", [("x", "rand(4)")], kind: .jacobian)
    lab.record("(x * x).cos()", [("x", "rand(4)")], kind: .jacobian)
    let responses = try await lab.get([
      "/compare/2/4", "/compare/2/3", "/compare?a=2&b=4", "/compare/2/2?rtol=0&atol=0", "/compare/2/5",
    ])
    let same = responses[0].text
    #expect(same.contains("<span class=\"badge good\">equivalent</span>"))
    #expect(!same.contains("data-mode=\"absdiff\""), "identical tensors get no blank |a − b| map")
    let changed = responses[4].text
    #expect(changed.contains("<span class=\"del\">-(x * x).sin()</span>\n<span class=\"add\">+(x * x).cos()</span>"))
    #expect(changed.contains("data-src=\"/runs/2/tensors/1.npy\" data-src-b=\"/runs/5/tensors/1.npy\""))
    #expect(changed.contains("data-src=\"/runs/2/tensors/2.npy\" data-src-b=\"/runs/5/tensors/2.npy\""))
    #expect(!changed.contains("data-src=\"/runs/2/tensors/0.npy\""), "the inputs are the same draws: no map")
    #expect(changed.contains("first elements outside tolerance: [0, 0]: "))
    #expect(same.contains("<td>B / A</td>") || same.contains("<th>B / A</th>"))
    let different = responses[1].text
    #expect(different.contains("<span class=\"badge bad\">DIFFERENT</span>"))
    #expect(different.contains("the runs are of different kinds (jacobian and hessian)"))
    #expect(responses[2].status == .seeOther && responses[2].headers[.location] == "/compare/2/4")
    #expect(responses[3].text.contains("identical"))
  }

  @Test func scalingPlot() async throws {
    let lab = try Self.lab()
    lab.record("(x * x).sin()", [("x", "rand(16)")], kind: .jacobian)
    let responses = try await lab.get([
      "/plot?q=kind+%3D+jacobian&x=numel.in&y=time.jacobian", "/plot?y=time&series=kind", "/plot?x=bogus", "/plot?q=(",
    ])
    let plot = responses[0].text
    #expect(responses[0].status == .ok)
    #expect(occurrences(of: "<circle cx=", in: plot) == 2 + 1, "two points and one legend entry")
    #expect(plot.contains("2 of 2 matching runs plotted"))
    #expect(plot.contains("<text class=\"axis-label\"") && plot.contains(">time.jacobian</text>"))
    #expect(occurrences(of: "<polyline", in: responses[1].text) == 3, "one series per kind")
    #expect(responses[2].status == .badRequest && responses[2].text.contains("x: unknown axis &#39;bogus&#39;"))
    #expect(responses[3].status == .badRequest && responses[3].text.contains("filter:1:2"))
  }

  @Test func sweepPlotDrawsOneSeriesPerStrategy() async throws {
    let lab = try WebLab()
    var plan = SweepPlan()
    plan.function = "(x * x).sin()"
    plan.inputs = [SweepPlan.Assignment(name: "x", expression: "rand(N)")]
    plan.kind = .jacobian
    plan.grid = [GridAxis(name: "N", values: ["2", "8", "32"]), GridAxis(name: "strategy", values: ["reverse-mode", "forward-mode"])]
    #expect(Sweep.run(plan, settings: Sweep.Settings(database: lab.database), console: WebLab.silent) == .success)
    lab.record("x.exp()", [("x", "rand(3)")], kind: .jvp)
    let responses = try await lab.get(["/plot?sweep=1", "/plot?sweep=1&series=grid.N", "/plot?sweep=1&q=grid.N+%3E%3D+8", "/plot?sweep=x"])
    let plot = responses[0].text
    #expect(responses[0].status == .ok)
    #expect(plot.contains("6 of 6 matching runs plotted"), "the sweep's points only, not the run after it")
    #expect(occurrences(of: "<polyline", in: plot) == 2, "one series per strategy")
    #expect(plot.contains(">reverse-mode (3)</text>") && plot.contains(">forward-mode (3)</text>"))
    #expect(occurrences(of: "<polyline", in: responses[1].text) == 3, "one series per grid value of N")
    #expect(responses[2].text.contains("4 of 4 matching runs plotted"))
    #expect(responses[3].status == .badRequest && responses[3].text.contains("sweep: expected a sweep id"))
  }

  @Test func apiIsTheCommandLineJSON() async throws {
    let lab = try Self.lab()
    let responses = try await lab.get(["/api/runs?q=kind+!%3D+jvp&sort=id&limit=5", "/api/runs/2"])
    let query = Output()
    var request = Query.Request(database: lab.database)
    request.filter = "kind != jvp"
    request.sort = "id"
    request.limit = 5
    request.format = .json
    #expect(Query.run(request, console: query.console) == .success)
    #expect(responses[0].status == .ok && responses[0].headers[.contentType] == "application/json")
    #expect(responses[0].text == query.text)
    let show = Output()
    #expect(Show.run(reference: "2", database: lab.database, format: .json, console: show.console) == .success)
    #expect(responses[1].text == show.text)
  }

  @Test func downloadsAreTheExportBytes() async throws {
    let lab = try Self.lab()
    let responses = try await lab.get(["/runs/2.npz", "/runs/2/tensors/2.npy", "/runs.csv?sort=id"])
    let detail = try #require(try lab.store().run(id: 2))
    #expect(responses[0].headers[.contentDisposition] == "attachment; filename=\"run-2.npz\"")
    let members = try NumpyArchive.members(responses[0].data)
    #expect(members.map(\.name) == ["input_0", "output", "jacobian"])
    #expect(members.map(\.npy) == (try Export.arrays(detail)).map(\.npy))
    #expect(responses[1].data == NumpyArray.file(detail.tensors[2]))
    #expect(responses[1].headers[.contentDisposition] == "attachment; filename=\"run-2-jacobian.npy\"")
    let csv = Output()
    var request = Query.Request(database: lab.database)
    request.sort = "id"
    request.format = .csv
    _ = Query.run(request, console: csv.console)
    #expect(responses[2].text == csv.text && responses[2].headers[.contentType] == "text/csv; charset=utf-8")
  }

  @Test func digestOnlyTensorsSayWhy() async throws {
    let lab = try WebLab()
    lab.record("x.exp()", [("x", "rand(3)")], kind: .jacobian, storeLimit: 4)
    let responses = try await lab.get(["/runs/1", "/runs/1.npz", "/runs/1/tensors/2.npy"])
    #expect(responses[0].text.contains("Stored as digest and summary only"))
    #expect(responses[1].status == .conflict && responses[1].text.contains("jacobian (float32[3, 3]) was stored as digest and summary only"))
    #expect(responses[2].status == .notFound)
  }

  @Test func assetsAreServedFromTheBinary() async throws {
    let lab = try Self.lab()
    let responses = try await lab.get(["/assets/jvplab.css", "/assets/jvplab.js"])
    #expect(responses[0].headers[.contentType] == "text/css; charset=utf-8" && responses[0].text.contains("canvas {"))
    #expect(responses[1].text.contains("function parseNpy(buffer)") && responses[1].text.contains("new EventSource('/events')"))
  }

  /// A database damaged after the server opened it: each page says what `jvplab query` says (500).
  @Test func damagedDatabaseIsTheCommandLinesMessage() async throws {
    let lab = try WebLab()
    for _ in 0..<6 { lab.record("(x * x).sin()", [("x", "rand(40)")], kind: .jacobian) }
    let site = try lab.site()
    let path = lab.database
    try FileManager.default.contents(atPath: path)!.prefix(12_288).write(to: URL(fileURLWithPath: path))
    let query = Output()
    let errors = Console(out: { _ in }, err: { query.text += $0 })
    #expect(Query.run(Query.Request(database: path), console: errors) == .usage)
    #expect(query.text.contains("is damaged"), "\(query.text)")
    let response = try await lab.get("/", site: site)
    #expect(response.status == .internalServerError)
    let message = query.text.trimmingCharacters(in: .newlines)
    #expect(response.text.contains("<p class=\"error\">\(message.replacingOccurrences(of: "'", with: "&#39;"))</p>"), "\(response.text)")
  }
}
