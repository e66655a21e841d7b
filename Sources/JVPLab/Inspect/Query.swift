import Foundation
import JVPStore

/// `jvplab query [FILTER]`: the history, filtered and sorted, as a table, JSON or CSV.
public enum Query {
  /// The fields a filter or sort key may name (`jvplab query --help`).
  public static let fieldNames = RunQuery.fieldNames

  public enum Format: String, Sendable, CaseIterable {
    case table, json, csv
  }

  public struct Request: Sendable {
    public var filter = ""
    public var sort: String?
    public var limit: Int?
    public var format = Format.table
    public var sql: String?
    /// List the runs `jvplab rm` removed instead of the live ones.
    public var deleted = false
    public var database: String

    public init(database: String) { self.database = database }
  }

  public static func run(_ request: Request, console: Console) -> ExitStatus {
    do {
      let store = try DatabaseLocation.open(request.database, mode: .readOnly, console: console)
      if let sql = request.sql {
        let result = try rawQuery(store, sql)
        console.out(render(result, format: request.format) + "\n")
        return .success
      }
      let query: RunQuery
      do {
        query = try RunQuery(
          filter: request.filter, sort: request.sort, limit: request.limit, scope: request.deleted ? .deleted : .live)
      } catch {
        console.err(error.render(filter: request.filter, sort: request.sort ?? "") + "\n")
        return .usage
      }
      let runs: [RunSummary]
      do {
        runs = try store.runs(matching: query)
      } catch {
        throw LabFailure(error.message)
      }
      let text = render(runs, format: request.format, width: Formatting.terminalWidth())
      if !text.isEmpty { console.out(text + "\n") }
      return .success
    } catch {
      console.err("jvplab: \(error)\n")
      return .usage
    }
  }

  static func rawQuery(_ store: any ExperimentStore, _ sql: String) throws -> RawQueryResult {
    do {
      return try store.rawQuery(sql: sql)
    } catch {
      throw LabFailure(error.message)
    }
  }

  /// The transform's own phase (`jvp` for a jvp run): the time a query row shows.
  static func transformMedian(_ run: RunSummary) -> Double? {
    run.timings.first { $0.phase == run.info.kind }?.median
  }

  static let columns = ["id", "kind", "fn", "name", "dtype", "status", "script", "time", "checks", "started"]

  static func row(_ run: RunSummary) -> [String] {
    let info = run.info
    let checks = run.checks.isEmpty ? "-" : run.checks.map { "\($0.name):\($0.maxAbs.isNaN ? "nan" : ($0.ok ? "ok" : "FAIL"))" }
      .joined(separator: ",")
    return [
      "\(run.id)", info.kind, info.function ?? "-", info.name ?? "-", info.dtype ?? "-", info.status.rawValue,
      info.script.map { ($0 as NSString).lastPathComponent + (info.line.map { ":\($0)" } ?? "") } ?? "-",
      Formatting.duration(transformMedian(run)), checks, RunJSON.timestamp.format(info.started),
    ]
  }

  /// Runs as an aligned table (columns cut to fit `width`), a JSON array of run objects, or CSV.
  static func render(_ runs: [RunSummary], format: Format, width: Int?) -> String {
    switch format {
    case .json:
      return RunJSON.encode(runs.map(RunJSON.object))
    case .csv:
      let header = ["id", "name", "kind", "fn", "strategy", "vectorize", "dtype", "seed", "rng_offset", "status", "script", "line",
                    "parent", "started", "finished", "time_s", "numel_in", "numel_out"]
      let rows = runs.map { run -> [String] in
        let info = run.info
        return ["\(run.id)", info.name ?? "", info.kind, info.function ?? "", info.strategy ?? "", info.vectorize ? "1" : "0",
                info.dtype ?? "", info.seed.map { "\($0)" } ?? "", info.rngOffset.map { "\($0)" } ?? "", info.status.rawValue,
                info.script ?? "", info.line.map { "\($0)" } ?? "", info.parent.map { "\($0)" } ?? "",
                RunJSON.timestamp.format(info.started), info.finished.map { RunJSON.timestamp.format($0) } ?? "",
                transformMedian(run).map { "\($0)" } ?? "", "\(run.inputElements)", "\(run.outputElements)"]
      }
      return ([header] + rows).map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n")
    case .table:
      guard !runs.isEmpty else { return "" }
      let lines = Formatting.table([columns] + runs.map(row)).split(separator: "\n").map(String.init)
      guard let width else { return lines.joined(separator: "\n") }
      return lines.map { $0.count > width ? String($0.prefix(max(width - 1, 1))) + "…" : $0 }.joined(separator: "\n")
    }
  }

  static func render(_ result: RawQueryResult, format: Format) -> String {
    let rows = result.rows.map { $0.map(\.description) }
    switch format {
    case .csv: return ([result.columns] + rows).map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n")
    case .json:
      return JSON.array(result.rows.map { row in
        .object(zip(result.columns, row).map { column, value in (column, .string(value.description)) })
      }).text
    case .table: return Formatting.table([result.columns] + rows)
    }
  }

  /// RFC 4180 quoting where needed.
  static func csvField(_ field: String) -> String {
    guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
    return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
