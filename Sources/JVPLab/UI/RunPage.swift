import Foundation
import JVPScript
import JVPStore

extension WebSite {
  /// `/runs/ID`: metadata, source, every tensor (values, bar strips, heatmaps), timings and checks.
  public func runPage(_ reference: String) -> WebResponse {
    let detail: RunDetail
    do throws(StoreError) {
      detail = try self.detail(reference)
    } catch {
      return failure(error)
    }
    let info = detail.info
    var body = "<h1>run \(detail.id) <span class=\"kind\">\(HTML.escape(info.kind))</span> \(HTML.status(info.status.rawValue))"
    if let name = info.name { body += " <span class=\"name\">\(HTML.escape(name))</span>" }
    body += "</h1>\n"
    if let error = info.error { body += "<pre class=\"error\">\(HTML.escape(error))</pre>\n" }
    body += HTML.fields([
      ("function", info.function.map { "<code>\(HTML.escape($0))</code>" }),
      ("script", info.script.map { HTML.escape($0 + (info.line.map { ":\($0)" } ?? "")) }),
      ("strategy", info.strategy.map { HTML.escape($0 + (info.vectorize ? ", vectorized" : "")) }),
      ("dtype", info.dtype.map(HTML.escape)),
      ("seed", info.seed.map { "\($0)" + (info.rngOffset.map { " (rng_offset \($0))" } ?? "") }),
      ("parent", info.parent.map { "<a href=\"/runs/\($0)\">run \($0)</a>" }),
      ("started", HTML.escape(RunJSON.timestamp.format(info.started))),
      ("finished", info.finished.map { HTML.escape(RunJSON.timestamp.format($0)) }),
      ("host", info.host.map(HTML.escape)), ("os", info.os.map(HTML.escape)),
      ("jvplab", info.jvplabVersion.map(HTML.escape)),
      ("command", info.commandLine.map { "<code>\(HTML.escape($0))</code>" }),
      ("tags", detail.tags.isEmpty ? nil : detail.tags.sorted { $0.key < $1.key }
        .map { "<span class=\"tag\">\(HTML.escape($0.key))=\(HTML.escape($0.value))</span>" }.joined(separator: " ")),
    ])
    body += """
      <div class="actions"><a href="/runs/\(detail.id).npz">download .npz</a> · <a href="/api/runs/\(detail.id)">JSON</a> ·
      <form class="inline" method="get" action="/compare"><input type="hidden" name="a" value="\(detail.id)">
      compare with run <input name="b" size="6" value="\(detail.id > 1 ? "\(detail.id - 1)" : "")" aria-label="run to compare with"> <button>Compare</button></form></div>

      """
    if let source = info.source { body += "<h2>source</h2>\n<pre class=\"source\">\(HTML.escape(source))</pre>\n" }
    for (name, source) in detail.functions.sorted(by: { $0.key < $1.key }) {
      body += "<h3>calls <code>\(HTML.escape(name))</code></h3>\n<pre class=\"source\">\(HTML.escape(source))</pre>\n"
    }
    body += "<h2>tensors</h2>\n"
    for (position, tensor) in detail.tensors.enumerated() {
      body += tensorSection(tensor, position: position, in: detail)
    }
    if !detail.timings.isEmpty {
      body += "<h2>timings</h2>\n" + Self.timings(detail.timings)
    }
    if !detail.checks.isEmpty {
      body += "<h2>checks</h2>\n" + HTML.table(["check", "max_abs", "max_rel", "verdict"], detail.checks.map { c in
        [HTML.escape(c.name), Formatting.error(c.maxAbs), Formatting.error(c.maxRel), HTML.check(c.name, maxAbs: c.maxAbs, ok: c.ok)]
      }, className: "compact")
    }
    return .html(HTML.page(title: "run \(detail.id)", active: "", body: body))
  }

  /// One tensor: its label and download link, then its values (globals and small tensors as PyTorch
  /// prints them), a bar strip for 1-D, a heatmap and sparsity pattern for 2-D and higher.
  func tensorSection(_ tensor: StoredTensor, position: Int, in detail: RunDetail) -> String {
    let member = NumpyArray.memberName(tensor)
    var html = "<section class=\"tensor\" id=\"t\(position)\"><h3>\(HTML.escape(member))"
    if let name = tensor.name { html += " <code>\(HTML.escape(name))</code>" }
    if let global = tensor.valueGlobal {
      return html + " <span class=\"shape\">\(HTML.escape(global.typeName))</span></h3>\n<pre>\(HTML.escape(global.pythonRepr))</pre></section>\n"
    }
    html += " <span class=\"shape\">\(tensor.dtype.rawValue)\(tensor.shape)</span>"
    guard let values = tensor.tensor else {
      let s = tensor.summary
      return html + "</h3>\n<p class=\"note\">Stored as digest and summary only (over the store limit): digest \(tensor.digestHex), "
        + "min \(s.min.map { "\($0)" } ?? "-"), max \(s.max.map { "\($0)" } ?? "-"), mean \(s.mean.map { "\($0)" } ?? "-"), "
        + "\(s.nanCount) nan, \(s.infCount) inf.</p></section>\n"
    }
    html += " <a class=\"download\" href=\"/runs/\(detail.id)/tensors/\(position).npy\">.npy</a></h3>\n<div class=\"tensor-body\">"
    let count = tensor.elementCount
    if let (rows, columns) = Self.grid(tensor, in: detail) {
      let flattened = tensor.shape.count > 2 || tensor.role == "jacobian" || tensor.role == "hessian"
      var notes = "drawn as \(rows) × \(columns)" + (flattened ? " (output × input)" : "")
      if tensor.role == "hessian", rows == columns {
        let error = Self.symmetryError(values.doubles, size: rows)
        notes += "<br><span class=\"symmetry\">symmetry error max |H − Hᵀ| = \(Formatting.error(error))</span>"
      }
      html += Self.heatmap(source: "/runs/\(detail.id)/tensors/\(position).npy", rows: rows, columns: columns, label: member, notes: notes)
    } else if count > 1 {
      html += Self.barStrip(values.doubles)
    }
    if count <= 4096 {
      let repr = "<pre class=\"values\">\(HTML.escape(TorchFormatter.repr(values)))</pre>"
      html += count <= 256 ? repr : "<details><summary>values</summary>\(repr)</details>"
    }
    html += "</div>\n"
    return html + "</section>\n"
  }

  /// The canvases the page script draws from the `.npy` at `source`: the values on a diverging scale,
  /// their sparsity pattern, and a readout of the value and index under the pointer. `second` makes
  /// it the heatmap of |source − second|.
  static func heatmap(source: String, second: String? = nil, rows: Int, columns: Int, label: String, notes: String = "") -> String {
    let attributes = "data-src=\"\(HTML.escape(source))\"" + (second.map { " data-src-b=\"\(HTML.escape($0))\"" } ?? "")
      + " data-rows=\"\(rows)\" data-cols=\"\(columns)\""
    let sparsity = second == nil
      ? "<figure><canvas class=\"sparsity\" \(attributes) aria-label=\"sparsity of \(HTML.escape(label))\"></canvas><figcaption>sparsity (non-zero in black)</figcaption></figure>"
      : ""
    return """
      <div class="maps"><figure><canvas class="heatmap" \(attributes) data-mode="\(second == nil ? "value" : "absdiff")" \
      aria-label="heatmap of \(HTML.escape(label))"></canvas><figcaption><span class="legend \(second == nil ? "diverging" : "sequential")"></span> \
      \(second == nil ? "−max · 0 · +max" : "0 · max |a − b|"), max = <span class="scale-value">?</span>; \(notes)\
      <br><output class="readout">hover for index and value</output></figcaption></figure>\(sparsity)</div>
      <noscript><p class="note">The heatmap needs JavaScript; the values are above and in the .npy file.</p></noscript>

      """
  }

  /// Rows × columns to draw a tensor of rank 2 or more as: jacobians and hessians as outputs × the input
  /// whose shape ends theirs, other tensors as the first dimension × the rest; nil below rank 2.
  static func grid(_ tensor: StoredTensor, in detail: RunDetail) -> (Int, Int)? {
    guard tensor.shape.count >= 2 else { return nil }
    let count = tensor.elementCount
    if tensor.role == "jacobian" || tensor.role == "hessian" {
      let inputs = detail.tensors.filter { $0.role == "input" }
      let preferred = tensor.index.last.flatMap { j in inputs.first { $0.index == [j] } }
      let candidates = (preferred.map { [$0] } ?? []) + inputs
      if let input = candidates.first(where: { !$0.shape.isEmpty && tensor.shape.count > $0.shape.count
                                               && Array(tensor.shape.suffix($0.shape.count)) == $0.shape }) {
        let columns = max(input.elementCount, 1)
        return (count / columns, columns)
      }
    }
    let rows = tensor.shape[0]
    return (rows, rows == 0 ? 0 : count / rows)
  }

  /// The largest |H[i][j] − H[j][i]| of a square row-major matrix.
  static func symmetryError(_ values: [Double], size: Int) -> Double {
    var largest = 0.0
    for i in 0..<size {
      for j in (i + 1)..<max(size, i + 1) {
        let difference = abs(values[i * size + j] - values[j * size + i])
        if difference.isNaN { return .nan }
        largest = max(largest, difference)
      }
    }
    return largest
  }

  /// A 1-D tensor as an SVG strip of bars, up from a zero line for positive values and down for negative ones.
  static func barStrip(_ values: [Double]) -> String {
    let shown = Array(values.prefix(512))
    let largest = shown.map { $0.isFinite ? abs($0) : 0 }.max() ?? 0
    let width = max(min(shown.count * 14, 900), 120)
    let height = 80.0
    let step = Double(width) / Double(shown.count)
    var bars = ""
    for (i, value) in shown.enumerated() {
      let scaled = largest > 0 && value.isFinite ? value / largest * (height / 2 - 2) : 0
      let y = scaled >= 0 ? height / 2 - scaled : height / 2
      bars += "<rect x=\"\(format(Double(i) * step))\" y=\"\(format(y))\" width=\"\(format(max(step - 1, 0.5)))\" "
        + "height=\"\(format(max(abs(scaled), 0.5)))\" class=\"\(value < 0 ? "neg" : "pos")\"><title>[\(i)] = \(value)</title></rect>"
    }
    return "<svg class=\"bars\" width=\"\(width)\" height=\"\(Int(height))\" viewBox=\"0 0 \(width) \(Int(height))\" role=\"img\">"
      + "<line x1=\"0\" x2=\"\(width)\" y1=\"\(height / 2)\" y2=\"\(height / 2)\" class=\"axis\"/>\(bars)</svg>"
      + (values.count > shown.count ? "<p class=\"note\">first \(shown.count) of \(values.count) elements</p>" : "") + "\n"
  }

  /// Each phase's median, min, max and count, with its samples as ticks along a strip from min to max.
  static func timings(_ series: [TimingSeries]) -> String {
    let rows = series.map { t -> [String] in
      [HTML.escape(t.phase), Formatting.duration(t.median), Formatting.duration(t.min), Formatting.duration(t.max),
       "\(t.samples.count)", samplesStrip(t)]
    }
    return HTML.table(["phase", "median", "min", "max", "n", "samples (min → max)"], rows, className: "compact")
  }

  static func samplesStrip(_ series: TimingSeries) -> String {
    guard let low = series.min, let high = series.max, !series.samples.isEmpty else { return "" }
    let width = 240.0
    let span = high - low
    let ticks = series.samples.prefix(2000).map { sample -> String in
      let x = span > 0 ? (sample - low) / span * (width - 2) + 1 : width / 2
      return "<line x1=\"\(format(x))\" x2=\"\(format(x))\" y1=\"2\" y2=\"16\"/>"
    }.joined(separator: "")
    let median = series.median.map { m in
      let x = span > 0 ? (m - low) / span * (width - 2) + 1 : width / 2
      return "<line class=\"median\" x1=\"\(format(x))\" x2=\"\(format(x))\" y1=\"0\" y2=\"18\"/>"
    } ?? ""
    return "<svg class=\"samples\" width=\"\(Int(width))\" height=\"18\" role=\"img\">\(ticks)\(median)</svg>"
  }

  /// Coordinates with two decimals, enough for SVG and short.
  static func format(_ value: Double) -> String { String(format: "%.2f", value) }
}
