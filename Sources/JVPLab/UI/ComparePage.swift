import Foundation
import JVPStore

extension WebSite {
  /// `/compare?a=A&b=B`, the run page's form: a redirect to `/compare/A/B`.
  public func compareRedirect(_ parameters: [String: String]) -> WebResponse {
    let a = parameters["a"] ?? ""
    let b = parameters["b"] ?? ""
    guard !a.isEmpty, !b.isEmpty, a.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "~" }),
      b.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "~" })
    else { return notFound("compare needs two runs: /compare/A/B") }
    return WebResponse(status: 303, contentType: "text/plain", body: Data(), location: "/compare/\(a)/\(b)")
  }

  /// `/compare/A/B`: `jvplab diff` side by side: the differing fields, the source diff, each tensor's
  /// verdict within `rtol`/`atol` with a heatmap of |a − b|, and the timing ratios.
  public func comparePage(_ a: String, _ b: String, _ parameters: [String: String]) -> WebResponse {
    let left: RunDetail
    let right: RunDetail
    do throws(StoreError) {
      left = try detail(a)
      right = try detail(b)
    } catch {
      return failure(error)
    }
    var tolerance = Diff.Tolerance()
    if let rtol = parameters["rtol"].flatMap(Double.init), rtol >= 0, rtol.isFinite { tolerance.rtol = rtol }
    if let atol = parameters["atol"].flatMap(Double.init), atol >= 0, atol.isFinite { tolerance.atol = atol }
    let report = Diff.compare(left, right, tolerance: tolerance)
    let (x, y) = (left.id, right.id)
    var body = "<h1><a href=\"/runs/\(x)\">run \(x)</a> vs <a href=\"/runs/\(y)\">run \(y)</a>: "
      + (report.equivalent ? "<span class=\"badge good\">equivalent</span>" : "<span class=\"badge bad\">DIFFERENT</span>") + "</h1>\n"
    body += """
      <form class="inline" method="get" action="/compare/\(x)/\(y)">rtol <input name="rtol" size="8" value="\(tolerance.rtol)">
      atol <input name="atol" size="8" value="\(tolerance.atol)"> <button>Apply</button>
      <span class="note">elements agree when |a − b| ≤ atol + rtol·|b|</span></form>

      """
    let sides: [(String, (RunDetail) -> String?)] = [
      ("name", { $0.info.name }), ("kind", { $0.info.kind }), ("fn", { $0.info.function }), ("strategy", { $0.info.strategy }),
      ("dtype", { $0.info.dtype }), ("seed", { $0.info.seed.map { "\($0)" } }),
      ("rng_offset", { $0.info.rngOffset.map { "\($0)" } }), ("status", { $0.info.status.rawValue }),
      ("script", { $0.info.script.map { ($0 as NSString).lastPathComponent } }),
      ("started", { RunJSON.timestamp.format($0.info.started) }),
    ]
    body += "<h2>metadata</h2>\n" + HTML.table(["field", "run \(x)", "run \(y)"], sides.map { name, value in
      let (p, q) = (value(left) ?? "-", value(right) ?? "-")
      let mark = p == q || name == "started" ? "" : " class=\"changed\""
      return [name, "<span\(mark)>\(HTML.escape(p))</span>", "<span\(mark)>\(HTML.escape(q))</span>"]
    }, className: "compact")
    if !report.sourceDiff.isEmpty {
      let lines = report.sourceDiff.map { line -> String in
        let kind = line.hasPrefix("+") ? "add" : line.hasPrefix("-") ? "del" : line.hasPrefix("@") ? "hunk" : "same"
        return "<span class=\"\(kind)\">\(HTML.escape(line))</span>"
      }
      body += "<h2>source</h2>\n<pre class=\"diff\">\(lines.joined(separator: "\n"))</pre>\n"
    }
    if !report.structural.isEmpty {
      body += "<ul class=\"structural\">" + report.structural.map { "<li>\(HTML.escape($0))</li>" }.joined(separator: "") + "</ul>\n"
    }
    if !report.tensors.isEmpty {
      body += "<h2>tensors</h2>\n" + HTML.table(["tensor", "max |a − b|", "max rel", "outside tolerance", "verdict"],
        report.tensors.map { t in
          let verdict = t.note ?? (t.outside == 0 ? (t.maxAbs == 0 ? "identical" : "within tolerance") : "DIFFERENT")
          let good = t.equivalent
          return [HTML.escape(t.label), Formatting.error(t.maxAbs), Formatting.error(t.maxRel), "\(t.outside)/\(t.count)",
                  "<span class=\"badge \(good ? "good" : "bad")\">\(HTML.escape(verdict))</span>"]
        }, className: "compact")
      // |a − b| is drawn where the tensors differ at all; an identical pair would be a blank map.
      body += "<div class=\"tensor-grid\">\n"
      for comparison in report.tensors where comparison.count > 1 && comparison.note == nil && !(comparison.maxAbs == 0) {
        guard let p = left.tensors.firstIndex(where: { "\($0.role)\($0.index)" == comparison.label }),
          let q = right.tensors.firstIndex(where: { "\($0.role)\($0.index)" == comparison.label })
        else { continue }
        let tensor = left.tensors[p]
        let (rows, columns) = Self.grid(tensor, in: left) ?? (1, tensor.elementCount)
        body += "<section class=\"tensor\"><h3>\(HTML.escape(NumpyArray.memberName(tensor))) "
          + "<span class=\"shape\">\(tensor.dtype.rawValue)\(tensor.shape)</span></h3>\n"
          + Self.heatmap(source: "/runs/\(x)/tensors/\(p).npy", second: "/runs/\(y)/tensors/\(q).npy", rows: rows, columns: columns,
                         label: NumpyArray.memberName(tensor))
        if !comparison.firstDifferences.isEmpty {
          body += "<p class=\"note\">first elements outside tolerance: " + comparison.firstDifferences.map { d in
            "\(d.index): \(d.a) vs \(d.b)"
          }.joined(separator: "; ") + "</p>"
        }
        body += "</section>\n"
      }
      body += "</div>\n"
    }
    if !report.timings.isEmpty {
      body += "<h2>timings (median)</h2>\n" + HTML.table(["phase", "run \(x)", "run \(y)", "B / A"], report.timings.map { t in
        let ratio = (t.a ?? 0) > 0 && t.b != nil ? String(format: "%.2f×", t.b! / t.a!) : "-"
        return [HTML.escape(t.phase), Formatting.duration(t.a), Formatting.duration(t.b), ratio]
      }, className: "compact")
    }
    return .html(HTML.page(title: "run \(x) vs run \(y)", active: "", body: body))
  }
}
