import Foundation
import JVPStore

extension WebSite {
  /// The columns of the runs table: header, the field its link sorts by (nil: not sortable), the cell.
  static let runColumns: [(String, String?, @Sendable (RunSummary) -> String)] = [
    ("id", "id", { "<a href=\"/runs/\($0.id)\">\($0.id)</a>" }),
    ("name", "name", { HTML.escape($0.info.name ?? "") }),
    ("kind", "kind", { HTML.escape($0.info.kind) }),
    ("fn", "fn", { "<code>\(HTML.escape($0.info.function ?? ""))</code>" }),
    ("strategy", "strategy", { HTML.escape($0.info.strategy ?? "") }),
    ("status", "status", { HTML.status($0.info.status.rawValue) }),
    ("tags", nil, { run in
      run.tags.sorted { $0.key < $1.key }.map { "<span class=\"tag\">\(HTML.escape($0.key))=\(HTML.escape($0.value))</span>" }
        .joined(separator: " ")
    }),
    ("checks", nil, { run in run.checks.map { HTML.check($0.name, maxAbs: $0.maxAbs, ok: $0.ok) }.joined(separator: " ") }),
    ("median time", nil, { "<span class=\"number\">\(Formatting.duration(Query.transformMedian($0)))</span>" }),
    ("numel in", "numel.in", { "<span class=\"number\">\($0.inputElements)</span>" }),
    ("numel out", "numel.out", { "<span class=\"number\">\($0.outputElements)</span>" }),
    ("script", "script", { run in
      HTML.escape(run.info.script.map { ($0 as NSString).lastPathComponent + (run.info.line.map { ":\($0)" } ?? "") } ?? "")
    }),
    ("started", "started", { HTML.escape(RunJSON.timestamp.format($0.info.started)) }),
  ]

  /// `/`: the runs table, filtered by `q` (the filter language), sorted by `sort`, a page of `pageSize`
  /// at a time (`page`, from 1). A bad filter or sort is shown above the table with its position (400).
  public func runsPage(_ parameters: [String: String]) -> WebResponse {
    let filter = parameters["q"] ?? ""
    let sort = parameters["sort"].flatMap { $0.isEmpty ? nil : $0 }
    let page = max(parameters["page"].flatMap(Int.init) ?? 1, 1)
    var problem: String?
    var runs: [RunSummary] = []
    var total = 0
    do {
      let query = try RunQuery(filter: filter, sort: sort, limit: pageSize, offset: (page - 1) * pageSize)
      total = try store.count(matching: query)
      runs = try store.runs(matching: query)
    } catch let error as QueryError {
      problem = error.render(filter: filter, sort: sort ?? "")
    } catch {
      return failure(error as? StoreError ?? StoreError(.sqlite, "\(error)"))
    }
    let pages = max((total + pageSize - 1) / pageSize, 1)
    func link(page: Int? = nil, sort newSort: String? = sort) -> String {
      "/" + HTML.query([("q", filter), ("sort", newSort), ("page", page.map(String.init))])
    }
    let header = Self.runColumns.map { title, field, _ -> String in
      guard let field else { return title }
      let ascending = sort == field
      let descending = sort == "-" + field
      let arrow = ascending ? " ▲" : descending ? " ▼" : ""
      return "<a href=\"\(HTML.escape(link(sort: ascending ? "-" + field : field)))\">\(title)\(arrow)</a>"
    }
    let rows = runs.map { run in Self.runColumns.map { $0.2(run) } }
    var body = """
      <form class="search" method="get" action="/">
      <input type="search" name="q" value="\(HTML.escape(filter))" placeholder="kind = jacobian and time.jacobian &lt; 1ms" aria-label="filter" size="60">
      \(sort.map { "<input type=\"hidden\" name=\"sort\" value=\"\(HTML.escape($0))\">" } ?? "")
      <button type="submit">Filter</button>
      </form>
      <details class="help"><summary>filter language</summary><p>Comparisons <code>FIELD OP VALUE</code> joined by \
      <code>and</code>, <code>or</code>, <code>not</code> and parentheses; OP is <code>= != &lt; &lt;= &gt; &gt;= ~</code> (glob). \
      Fields: \(HTML.escape(RunQuery.fieldNames)).</p></details>

      """
    if let problem {
      body += "<pre class=\"error filter-error\">\(HTML.escape(problem))</pre>\n"
    }
    let first = total == 0 ? 0 : (page - 1) * pageSize + 1
    let last = (page - 1) * pageSize + runs.count
    var pager = "<p class=\"summary\"><span id=\"run-count\">\(total)</span> \(total == 1 ? "run" : "runs")"
    if !runs.isEmpty { pager += " · showing \(first)–\(last)" }
    if page > 1 { pager += " · <a rel=\"prev\" href=\"\(HTML.escape(link(page: page - 1)))\">← newer page</a>" }
    if page < pages { pager += " · <a rel=\"next\" href=\"\(HTML.escape(link(page: page + 1)))\">older page →</a>" }
    pager += " · page \(page) of \(pages)"
    pager += " · <a href=\"\(HTML.escape("/runs.csv" + HTML.query([("q", filter), ("sort", sort)])))\">CSV</a>"
    pager += " · <a href=\"\(HTML.escape("/plot" + HTML.query([("q", filter)])))\">scaling plot</a></p>"
    body += pager + "\n"
    let live = page == 1 ? " data-live=\"1\"" : ""
    body += "<div class=\"scroll\" id=\"runs\"\(live) data-latest=\"\(runs.map(\.id).max() ?? 0)\">"
      + HTML.table(header, rows, className: "runs") + "</div>\n"
    if problem == nil && runs.isEmpty {
      body += "<p class=\"empty\">No run matches. Record some with <code>jvplab run SCRIPT.py</code>.</p>\n"
    }
    return .html(HTML.page(title: filter.isEmpty ? "runs" : filter, active: "runs", body: body), status: problem == nil ? 200 : 400)
  }
}
