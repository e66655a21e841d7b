import Foundation
import JVPStore

/// `jvplab sweep show SWEEP`: the points with their times and checks, how each series scales with the
/// input size, and which strategy is fastest at each size.
public enum SweepReport {
  public enum Format: String, Sendable, CaseIterable {
    case text, json, csv
  }

  /// One point's run as the table shows it.
  struct Point {
    var run: RunSummary
    var values: [String]
    var seconds: Double? { Query.transformMedian(run) }
  }

  /// Runs of one configuration (every grid value but the sizes and the seed) and its fitted exponent.
  struct Series {
    var label: [(String, String)]
    var exponent: Double?
    var count: Int
  }

  /// The fastest strategy at one input size, for one configuration of the other values.
  struct Fastest {
    var numel: Int
    var label: [(String, String)]
    var strategy: String
    var seconds: Double
    /// The next fastest strategy and its time, when there is one.
    var next: (strategy: String, seconds: Double)?
  }

  public static func run(_ id: Int64, database: String, format: Format, console: Console) -> ExitStatus {
    Lifecycle.perform(database, mode: .readOnly, console: console) { store in
      guard let sweep = try store.sweep(id) else { throw LabFailure("no sweep \(id) in \(store.path)") }
      let plan = try JSONDecoder().decode(SweepPlan.self, from: Data(sweep.spec.utf8))
      let points = latest(try store.runs(ofSweep: id), axes: plan.grid.map(\.name), perPoint: plan.script == nil)
      let text: String
      switch format {
      case .text: text = self.text(sweep, plan, points)
      case .json: text = json(sweep, plan, points).text
      case .csv: text = csv(plan, points)
      }
      console.out(text + "\n")
    }
  }

  /// The points' runs: with `perPoint` (a function sweep, one run per point) the last run of each point, a
  /// finished one over an interrupted one; else (a script sweep) every live run, as `--resume` removes the
  /// runs of a point it runs again.
  static func latest(_ runs: [RunSummary], axes: [String], perPoint: Bool) -> [Point] {
    var chosen: [String: RunSummary] = [:]
    var order: [String] = []
    for run in runs {
      let key = perPoint ? "\(run.info.sweepPoint ?? -1)" : "\(run.id)"
      if let previous = chosen[key] {
        if run.info.status == .interrupted && previous.info.status != .interrupted { continue }
      } else {
        order.append(key)
      }
      chosen[key] = run
    }
    return order.compactMap { chosen[$0] }.map { run in Point(run: run, values: axes.map { run.grid[$0] ?? "" }) }
  }

  /// The grid values that name a configuration: all but the seed and the numeric variables (the sizes).
  static func configuration(_ point: Point, axes: [String], dropping dropped: Set<String> = []) -> [(String, String)] {
    var label: [(String, String)] = []
    for (axis, value) in zip(axes, point.values) where !dropped.contains(axis) && axis != "seed" {
      if !SweepPlan.optionAxes.contains(axis) && Double(value) != nil { continue }
      label.append((axis, value))
    }
    // A script's point records a run per autodiff call: each call (line) is a series of its own.
    if point.run.info.script != nil, let line = point.run.info.line { label.insert(("line", "\(line)"), at: 0) }
    if !axes.contains("kind") { label.insert(("kind", point.run.info.kind), at: 0) }
    return label
  }

  static func series(_ points: [Point], axes: [String]) -> [Series] {
    var groups: [String: (label: [(String, String)], points: [(Int, Double)])] = [:]
    var order: [String] = []
    for point in points {
      guard let seconds = point.seconds else { continue }
      let label = configuration(point, axes: axes)
      let key = describe(label)
      if groups[key] == nil { order.append(key) }
      groups[key, default: (label, [])].points.append((point.run.inputElements, seconds))
    }
    return order.compactMap { groups[$0] }.map { group in
      Series(label: group.label, exponent: ScalingFit.exponent(group.points), count: group.points.count)
    }
  }

  static func fastest(_ points: [Point], axes: [String]) -> [Fastest] {
    guard let strategyAxis = axes.firstIndex(of: "strategy") else { return [] }
    // (size, configuration without the strategy) -> strategy -> times (one per seed)
    var groups: [String: (numel: Int, label: [(String, String)], times: [String: [Double]])] = [:]
    var order: [String] = []
    for point in points {
      guard let seconds = point.seconds else { continue }
      let label = configuration(point, axes: axes, dropping: ["strategy"])
      let key = "\(point.run.inputElements) \(describe(label))"
      if groups[key] == nil { order.append(key) }
      groups[key, default: (point.run.inputElements, label, [:])].times[point.values[strategyAxis], default: []].append(seconds)
    }
    return order.compactMap { groups[$0] }.compactMap { group in
      let ranked = group.times.map { ($0.key, TimingSeries(phase: "", samples: $0.value).median ?? .infinity) }.sorted { $0.1 < $1.1 }
      guard let best = ranked.first else { return nil }
      return Fastest(numel: group.numel, label: group.label, strategy: best.0, seconds: best.1,
                     next: ranked.count > 1 ? (ranked[1].0, ranked[1].1) : nil)
    }.sorted { ($0.numel, describe($0.label)) < ($1.numel, describe($1.label)) }
  }

  static func describe(_ label: [(String, String)]) -> String {
    label.isEmpty ? "all" : label.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
  }

  static func checks(_ run: RunSummary) -> String {
    run.checks.isEmpty ? "-" : run.checks.map { "\($0.name):\($0.maxAbs.isNaN ? "nan" : ($0.ok ? "ok" : "FAIL"))" }.joined(separator: ",")
  }

  static func text(_ sweep: SweepRecord, _ plan: SweepPlan, _ points: [Point]) -> String {
    let axes = plan.grid.map(\.name)
    var lines = ["sweep \(sweep.id)" + (sweep.name.map { "  \"\($0)\"" } ?? "") + "  \(sweep.status.rawValue)  \(sweep.points) points"
      + "  started \(RunJSON.timestamp.format(sweep.started))"]
    let header = ["point"] + axes + ["run", "kind", "numel", "time", "checks", "status"]
    let rows = points.map { point in
      ["\(point.run.info.sweepPoint ?? 0)"] + point.values + [
        "\(point.run.id)", point.run.info.kind, "\(point.run.inputElements)", Formatting.duration(point.seconds), checks(point.run),
        point.run.info.status.rawValue,
      ]
    }
    lines.append(Formatting.table([header] + rows))
    let series = self.series(points, axes: axes)
    if !series.isEmpty {
      lines.append("scaling (least-squares slope of log time over log numel):")
      lines.append(Formatting.table([["  series", "exponent", "points"]] + series.map { s in
        ["  " + describe(s.label), s.exponent.map { String(format: "%.2f", $0) } ?? "-", "\(s.count)"]
      }))
    }
    let fastest = self.fastest(points, axes: axes)
    if !fastest.isEmpty {
      lines.append("fastest strategy per size:")
      lines.append(Formatting.table([["  numel", "of", "fastest", "time", "next"]] + fastest.map { f in
        ["  \(f.numel)", describe(f.label), f.strategy, Formatting.duration(f.seconds),
         f.next.map { "\($0.strategy) \(String(format: "%.2f", $0.seconds / f.seconds))x" } ?? "-"]
      }))
    }
    return lines.joined(separator: "\n")
  }

  static func json(_ sweep: SweepRecord, _ plan: SweepPlan, _ points: [Point]) -> JSON {
    let axes = plan.grid.map(\.name)
    func object(_ label: [(String, String)]) -> JSON { .object(label.map { ($0.0, .string($0.1)) }) }
    return .object([
      ("sweep", .object([
        ("id", .int(sweep.id)), ("name", sweep.name.map(JSON.string) ?? .null), ("status", .string(sweep.status.rawValue)),
        ("points", .int(Int64(sweep.points))), ("started", .string(RunJSON.timestamp.format(sweep.started))),
        ("finished", sweep.finished.map { .string(RunJSON.timestamp.format($0)) } ?? .null),
        ("grid", .object(plan.grid.map { ($0.name, .array($0.values.map(JSON.string))) })),
      ])),
      ("points", .array(points.map { point in
        .object([
          ("point", .int(Int64(point.run.info.sweepPoint ?? 0))), ("grid", object(Array(zip(axes, point.values)))),
          ("run", .int(point.run.id)), ("kind", .string(point.run.info.kind)), ("numel_in", .int(Int64(point.run.inputElements))),
          ("median_s", point.seconds.map(JSON.number) ?? .null),
          ("checks", .object(point.run.checks.map { ($0.name, $0.maxAbs.isNaN ? .null : .bool($0.ok)) })),
          ("status", .string(point.run.info.status.rawValue)),
        ])
      })),
      ("series", .array(series(points, axes: axes).map { s in
        .object([("of", object(s.label)), ("exponent", s.exponent.map(JSON.number) ?? .null), ("points", .int(Int64(s.count)))])
      })),
      ("fastest", .array(fastest(points, axes: axes).map { f in
        .object([("numel_in", .int(Int64(f.numel))), ("of", object(f.label)), ("strategy", .string(f.strategy)), ("median_s", .number(f.seconds))])
      })),
    ])
  }

  static func csv(_ plan: SweepPlan, _ points: [Point]) -> String {
    let header = ["point"] + plan.grid.map(\.name) + ["run", "kind", "numel_in", "median_s", "checks", "status"]
    let rows = points.map { point in
      ["\(point.run.info.sweepPoint ?? 0)"] + point.values + [
        "\(point.run.id)", point.run.info.kind, "\(point.run.inputElements)", point.seconds.map { "\($0)" } ?? "", checks(point.run),
        point.run.info.status.rawValue,
      ]
    }
    return ([header] + rows).map { $0.map(Query.csvField).joined(separator: ",") }.joined(separator: "\n")
  }
}

/// How time grows with size: the least-squares slope of log(time) over log(numel).
public enum ScalingFit {
  /// The exponent k of time ≈ c·numel^k fitted to `points` (numel, seconds); nil with fewer than two
  /// distinct positive sizes. Points with a non-positive size or time are left out.
  public static func exponent(_ points: [(numel: Int, seconds: Double)]) -> Double? {
    let logs = points.filter { $0.numel > 0 && $0.seconds > 0 && $0.seconds.isFinite }
      .map { (Foundation.log(Double($0.numel)), Foundation.log($0.seconds)) }
    guard Set(logs.map(\.0)).count >= 2 else { return nil }
    let n = Double(logs.count)
    let meanX = logs.map(\.0).reduce(0, +) / n
    let meanY = logs.map(\.1).reduce(0, +) / n
    var covariance = 0.0
    var variance = 0.0
    for (x, y) in logs {
      covariance += (x - meanX) * (y - meanY)
      variance += (x - meanX) * (x - meanX)
    }
    return covariance / variance
  }
}
