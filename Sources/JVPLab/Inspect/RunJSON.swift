import Foundation
import JVPStore

/// The run object of the command-line contract (cli.md), as JSON.
public enum RunJSON {
  static func object(_ detail: RunDetail, includeTensors: Bool) -> JSON {
    var fields = summaryFields(detail.summary)
    if !detail.functions.isEmpty {
      fields.append(("functions", .object(detail.functions.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
    }
    if includeTensors {
      fields.append(("tensors", .array(detail.tensors.map(tensor))))
    }
    return .object(fields)
  }

  static func object(_ summary: RunSummary) -> JSON { .object(summaryFields(summary)) }

  static func encode(_ objects: [JSON]) -> String { JSON.array(objects).text }

  /// UTC ISO-8601 with milliseconds, `2026-11-27T10:00:00.123Z`.
  static let timestamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

  static func summaryFields(_ s: RunSummary) -> [(String, JSON)] {
    let info = s.info
    func text(_ value: String?) -> JSON { value.map(JSON.string) ?? .null }
    func int(_ value: Int64?) -> JSON { value.map(JSON.int) ?? .null }
    return [
      ("id", .int(s.id)), ("uuid", text(info.uuid)), ("name", text(info.name)), ("kind", .string(info.kind)), ("fn", text(info.function)),
      ("source", text(info.source)), ("strategy", text(info.strategy)), ("vectorize", .bool(info.vectorize)),
      ("dtype", text(info.dtype)), ("seed", int(info.seed)), ("rng_offset", int(info.rngOffset)),
      ("status", .string(info.status.rawValue)), ("error", text(info.error)), ("script", text(info.script)),
      ("script_sha256", text(info.scriptSHA256)), ("line", int(info.line.map(Int64.init))), ("parent", int(info.parent)),
      ("transform", text(info.transform)), ("made_by", int(info.madeBy)),
      ("started", .string(timestamp.format(info.started))),
      ("finished", info.finished.map { .string(timestamp.format($0)) } ?? .null),
      ("host", text(info.host)), ("os", text(info.os)), ("jvplab_version", text(info.jvplabVersion)),
      ("numel_in", .int(Int64(s.inputElements))), ("numel_out", .int(Int64(s.outputElements))),
      ("tags", .object(s.tags.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
      ("note", text(info.note)), ("deleted", info.deleted.map { .string(timestamp.format($0)) } ?? .null),
      ("sweep", int(info.sweep)), ("sweep_point", int(info.sweepPoint.map(Int64.init))),
      ("grid", .object(s.grid.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
      ("timings", .object(s.timings.map { series in
        (series.phase, .object([
          ("median_s", series.median.map(JSON.number) ?? .null), ("min_s", series.min.map(JSON.number) ?? .null),
          ("max_s", series.max.map(JSON.number) ?? .null), ("n", .int(Int64(series.samples.count))),
          ("samples_s", .array(series.samples.map(JSON.number))),
        ]))
      })),
      ("checks", .object(s.checks.map { check in
        (check.name, .object([("max_abs", .number(check.maxAbs)), ("max_rel", .number(check.maxRel)), ("ok", .bool(check.ok))]))
      })),
    ]
  }

  static func tensor(_ t: StoredTensor) -> JSON {
    var fields: [(String, JSON)] = [
      ("role", .string(t.role)), ("index", .array(t.index.map { .int(Int64($0)) })), ("name", t.name.map(JSON.string) ?? .null),
      ("dtype", .string(t.dtype.rawValue)), ("shape", .array(t.shape.map { .int(Int64($0)) })),
      ("digest", .string(t.digestHex)),
    ]
    switch t.elements {
    case .float32(let values)?: fields.append(("data", .array(values.map { .number(Double($0)) })))
    case .float64(let values)?: fields.append(("data", .array(values.map(JSON.number))))
    case .int64(let values)?: fields.append(("data", .array(values.map(JSON.int))))
    case .bool(let values)?: fields.append(("data", .array(values.map(JSON.bool))))
    case nil:
      fields.append(("data", .null))
      fields.append(("summary", .object([
        ("min", t.summary.min.map(JSON.number) ?? .null), ("max", t.summary.max.map(JSON.number) ?? .null),
        ("mean", t.summary.mean.map(JSON.number) ?? .null), ("nan_count", .int(Int64(t.summary.nanCount))),
        ("inf_count", .int(Int64(t.summary.infCount))),
      ])))
    }
    return .object(fields)
  }
}
