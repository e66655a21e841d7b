import Foundation
import JVPStore

extension WebSite {
  /// The most runs a plot draws: a few thousand SVG points stay quick to render.
  static let plotLimit = 5000
  static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"]

  /// A run's value for a plot axis: `numel.in`, `numel.out`, `id`, `seed`, `time` (the run's own
  /// transform), `time.PHASE` (seconds), `check.NAME` (max abs error); nil when the run has none.
  static func axisValue(_ field: String, _ run: RunSummary) -> Double? {
    switch field {
    case "numel.in": return Double(run.inputElements)
    case "numel.out": return Double(run.outputElements)
    case "id": return Double(run.id)
    case "seed": return run.info.seed.map(Double.init)
    case "time": return Query.transformMedian(run)
    default:
      if field.hasPrefix("time.") { return run.timings.first { $0.phase == field.dropFirst(5) }?.median }
      if field.hasPrefix("check.") { return run.checks.first { $0.name == field.dropFirst(6) }?.maxAbs }
      return nil
    }
  }

  static func isAxis(_ field: String) -> Bool {
    ["numel.in", "numel.out", "id", "seed", "time"].contains(field)
      || (field.hasPrefix("time.") && field.count > 5) || (field.hasPrefix("check.") && field.count > 6)
  }

  static let seriesFields: [(String, @Sendable (RunSummary) -> String?)] = [
    ("fn", { $0.info.function }), ("strategy", { $0.info.strategy }), ("kind", { $0.info.kind }),
    ("dtype", { $0.info.dtype }), ("name", { $0.info.name }),
  ]

  /// The series a run belongs to for `field`: one of `seriesFields`, or `grid.KEY` (a sweep point's grid value).
  static func seriesKey(_ field: String) -> (@Sendable (RunSummary) -> String?)? {
    if field.hasPrefix("grid."), field.count > 5 {
      let key = String(field.dropFirst(5))
      return { $0.grid[key] }
    }
    return seriesFields.first { $0.0 == field }?.1
  }

  /// `/plot?q=FILTER&x=numel.in&y=time.jvp&series=fn`: a log-log scaling plot of the matching runs,
  /// one coloured series per `fn` (or `strategy`, `kind`, `dtype`, `name`, `grid.KEY`), as server-drawn SVG.
  /// `sweep=ID` plots that sweep's points (with `q`, those of them it matches), one series per strategy.
  public func plotPage(_ parameters: [String: String]) -> WebResponse {
    let filter = parameters["q"] ?? ""
    let sweep = parameters["sweep"].flatMap { $0.isEmpty ? nil : $0 }
    let x = parameters["x"].flatMap { $0.isEmpty ? nil : $0 } ?? "numel.in"
    let y = parameters["y"].flatMap { $0.isEmpty ? nil : $0 } ?? "time"
    let seriesField = parameters["series"].flatMap { $0.isEmpty ? nil : $0 } ?? (sweep == nil ? "fn" : "strategy")
    var problems: [String] = []
    for (name, field) in [("x", x), ("y", y)] where !Self.isAxis(field) {
      problems.append("\(name): unknown axis '\(field)'; axes are numel.in, numel.out, id, seed, time, time.PHASE, check.NAME")
    }
    let seriesKey = Self.seriesKey(seriesField)
    if seriesKey == nil { problems.append("series: unknown '\(seriesField)'; series are fn, strategy, kind, dtype, name, grid.KEY") }
    if let sweep, Int64(sweep) == nil { problems.append("sweep: expected a sweep id, found '\(sweep)'") }
    var runs: [RunSummary] = []
    var total = 0
    if problems.isEmpty {
      do {
        // The filter is checked on its own first, so an error points into what the user typed.
        _ = try RunQuery(filter: filter)
        let scoped = sweep.map { id in filter.trimmingCharacters(in: .whitespaces).isEmpty ? "sweep = \(id)" : "sweep = \(id) and (\(filter))" }
        let query = try RunQuery(filter: scoped ?? filter, limit: Self.plotLimit)
        total = try store.count(matching: query)
        runs = try store.runs(matching: query)
      } catch let error as QueryError {
        problems.append(error.render(filter: filter))
      } catch {
        return failure(error as? StoreError ?? StoreError(.sqlite, "\(error)"))
      }
    }
    func option(_ value: String, _ current: String) -> String {
      "<option\(value == current ? " selected" : "")>\(HTML.escape(value))</option>"
    }
    let phases = Set(runs.flatMap { $0.timings.map { "time." + $0.phase } }).sorted()
    let gridSeries = Set(runs.flatMap { $0.grid.keys.map { "grid." + $0 } } + (seriesField.hasPrefix("grid.") ? [seriesField] : [])).sorted()
    let axes = (["numel.in", "numel.out", "time"] + phases + ["id", "seed"]).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    var body = """
      <h1>scaling plot</h1>
      <form class="search" method="get" action="/plot">
      <input type="search" name="q" value="\(HTML.escape(filter))" placeholder="kind = jacobian" aria-label="filter" size="40">
      \(sweep.map { "sweep <input name=\"sweep\" value=\"\(HTML.escape($0))\" size=\"4\" aria-label=\"sweep\">" } ?? "")
      x <input name="x" value="\(HTML.escape(x))" list="axes" size="12" aria-label="x axis">
      y <input name="y" value="\(HTML.escape(y))" list="axes" size="14" aria-label="y axis">
      <datalist id="axes">\(axes.map { "<option value=\"\(HTML.escape($0))\">" }.joined(separator: ""))</datalist>
      series <select name="series" aria-label="series">\((Self.seriesFields.map(\.0) + gridSeries).map { option($0, seriesField) }.joined(separator: ""))</select>
      <button type="submit">Plot</button></form>

      """
    guard problems.isEmpty, let seriesKey else {
      body += problems.map { "<pre class=\"error filter-error\">\(HTML.escape($0))</pre>" }.joined(separator: "\n")
      return .html(HTML.page(title: "plot", active: "plot", body: body), status: 400)
    }
    var series: [String: [(x: Double, y: Double, id: Int64)]] = [:]
    var skipped = 0
    for run in runs {
      guard let p = Self.axisValue(x, run), let q = Self.axisValue(y, run), p > 0, q > 0, p.isFinite, q.isFinite else {
        skipped += 1
        continue
      }
      series[seriesKey(run) ?? "-", default: []].append((p, q, run.id))
    }
    let plotted = runs.count - skipped
    body += "<p class=\"summary\">\(plotted) of \(total) matching runs plotted"
      + (skipped > 0 ? " (\(skipped) without a positive \(HTML.escape(x)) and \(HTML.escape(y)))" : "")
      + (total > runs.count ? "; the newest \(runs.count) only" : "") + " · log-log axes</p>\n"
    body += Self.logLogPlot(series, x: x, y: y)
    return .html(HTML.page(title: "plot", active: "plot", body: body))
  }

  /// The SVG of a log-log scatter with decade grid lines, a line through each series in x order and a legend.
  static func logLogPlot(_ series: [String: [(x: Double, y: Double, id: Int64)]], x: String, y: String) -> String {
    let points = series.values.flatMap { $0 }
    guard !points.isEmpty else { return "<p class=\"empty\">Nothing to plot.</p>\n" }
    func decades(_ values: [Double]) -> (Double, Double) {
      let low = floor(log10(values.min()!))
      let high = ceil(log10(values.max()!))
      return high > low ? (low, high) : (low - 0.5, high + 0.5)
    }
    let (x0, x1) = decades(points.map(\.x))
    let (y0, y1) = decades(points.map(\.y))
    let (width, height, left, right, top, bottom) = (760.0, 440.0, 70.0, 180.0, 20.0, 50.0)
    let plotWidth = width - left - right
    let plotHeight = height - top - bottom
    func px(_ v: Double) -> Double { left + (log10(v) - x0) / (x1 - x0) * plotWidth }
    func py(_ v: Double) -> Double { top + plotHeight - (log10(v) - y0) / (y1 - y0) * plotHeight }
    let timeAxis = { (field: String) in field == "time" || field.hasPrefix("time.") }
    func label(_ value: Double, time: Bool) -> String {
      time ? Formatting.duration(value) : (value >= 1 && value < 1e7 ? String(format: "%.0f", value) : String(format: "%g", value))
    }
    /// Grid values: each decade, and 2 and 5 times it when the axis spans two decades or less.
    func ticks(_ low: Double, _ high: Double) -> [Double] {
      let steps: [Double] = high - low <= 2 ? [1, 2, 5] : [1]
      return stride(from: floor(low), through: high, by: 1).flatMap { e in steps.map { $0 * pow(10, e) } }
        .filter { log10($0) >= low - 1e-9 && log10($0) <= high + 1e-9 }
    }
    var svg = "<svg class=\"plot\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(HTML.escape(y)) against \(HTML.escape(x))\">"
    for value in ticks(x0, x1) {
      let p = format(px(value))
      svg += "<line class=\"grid\" x1=\"\(p)\" x2=\"\(p)\" y1=\"\(top)\" y2=\"\(top + plotHeight)\"/>"
        + "<text x=\"\(p)\" y=\"\(top + plotHeight + 16)\" text-anchor=\"middle\">\(label(value, time: timeAxis(x)))</text>"
    }
    for value in ticks(y0, y1) {
      let p = format(py(value))
      svg += "<line class=\"grid\" x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(p)\" y2=\"\(p)\"/>"
        + "<text x=\"\(left - 6)\" y=\"\(p)\" text-anchor=\"end\" dominant-baseline=\"middle\">\(label(value, time: timeAxis(y)))</text>"
    }
    svg += "<rect class=\"frame\" x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\"/>"
    svg += "<text class=\"axis-label\" x=\"\(left + plotWidth / 2)\" y=\"\(height - 8)\" text-anchor=\"middle\">\(HTML.escape(x))</text>"
    svg += "<text class=\"axis-label\" transform=\"translate(16 \(top + plotHeight / 2)) rotate(-90)\" text-anchor=\"middle\">\(HTML.escape(y))</text>"
    for (n, (name, values)) in series.sorted(by: { $0.key < $1.key }).enumerated() {
      let colour = palette[n % palette.count]
      let sorted = values.sorted { $0.x < $1.x }
      svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-opacity=\"0.5\" points=\"\(sorted.map { "\(format(px($0.x))),\(format(py($0.y)))" }.joined(separator: " "))\"/>"
      for point in sorted {
        svg += "<a href=\"/runs/\(point.id)\"><circle cx=\"\(format(px(point.x)))\" cy=\"\(format(py(point.y)))\" r=\"4\" fill=\"\(colour)\">"
          + "<title>run \(point.id) · \(HTML.escape(name)) · \(HTML.escape(x)) \(point.x) · \(HTML.escape(y)) \(timeAxis(y) ? Formatting.duration(point.y) : "\(point.y)")</title></circle></a>"
      }
      let ly = top + 8 + Double(n) * 18
      svg += "<circle cx=\"\(left + plotWidth + 16)\" cy=\"\(format(ly))\" r=\"5\" fill=\"\(colour)\"/>"
        + "<text x=\"\(left + plotWidth + 26)\" y=\"\(format(ly))\" dominant-baseline=\"middle\">\(HTML.escape(String(name.prefix(22)))) (\(values.count))</text>"
    }
    return svg + "</svg>\n"
  }
}
