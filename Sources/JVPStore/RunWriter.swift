import Foundation
import GRDB

/// Writes one run's rows with INSERT statements that each connection prepares once and reuses.
///
/// Hand-written rather than through `PersistableRecord`: recording is the hot path (the target is
/// under 0.2 ms per small run), and encoding records through `Codable` cost more per run than
/// SQLite's own work. The column lists here and the record types in `Records.swift` must both
/// follow the migrations.
enum RunWriter {
  /// Inserts `run` (inside the caller's transaction) and returns its new id.
  ///
  /// Tensors with more than `limit` elements are written without their data.
  static func insert(_ run: NewRun, limit: Int, into db: Database) throws -> Int64 {
    var numelIn = 0
    var numelOut = 0
    for tensor in run.tensors {
      switch tensor.role {
      case "input": numelIn += tensor.elementCount
      case "output": numelOut += tensor.elementCount
      default: break
      }
    }
    let info = run.info
    try db.cachedStatement(
      sql: """
        INSERT INTO runs (name, kind, fn, source, strategy, vectorize, dtype, seed, rng_offset, status, error,
          script, script_sha256, line, parent_id, started, finished, host, os, jvplab_version, command_line,
          numel_in, numel_out)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    ).execute(arguments: [
      info.name, info.kind, info.function, info.source, info.strategy, info.vectorize, info.dtype, info.seed,
      info.rngOffset, info.status.rawValue, info.error, info.script, info.scriptSHA256, info.line, info.parent,
      Timestamp.text(info.started), info.finished.map(Timestamp.text), info.host, info.os, info.jvplabVersion,
      info.commandLine, numelIn, numelOut,
    ])
    let id = db.lastInsertedRowID

    if !run.tensors.isEmpty {
      let statement = try db.cachedStatement(
        sql: """
          INSERT INTO tensors (run_id, role, idx, name, dtype, shape, numel, digest, data, min, max, mean,
            nan_count, inf_count)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """)
      for tensor in run.tensors {
        let summary = tensor.summary
        try statement.execute(arguments: [
          id, tensor.role, IntegerList.text(tensor.index), tensor.name, tensor.dtype.rawValue,
          IntegerList.text(tensor.shape), tensor.elementCount, tensor.digestHex,
          tensor.elementCount > limit ? nil : tensor.data, summary.min, summary.max, summary.mean,
          summary.nanCount, summary.infCount,
        ])
      }
    }

    if !run.timings.isEmpty {
      let statement = try db.cachedStatement(
        // ifnull: an empty Data may bind as NULL (a NULL pointer to SQLite), and samples is NOT NULL.
        sql: "INSERT INTO timings (run_id, phase, samples, n, min_s, median_s, max_s) VALUES (?, ?, ifnull(?, X''), ?, ?, ?, ?)")
      for series in run.timings {
        try statement.execute(arguments: [
          id, series.phase, LittleEndian.bytes(series.samples.map(\.bitPattern)), series.samples.count, series.min,
          series.median, series.max,
        ])
      }
    }

    if !run.checks.isEmpty {
      let statement = try db.cachedStatement(
        sql: "INSERT INTO checks (run_id, name, max_abs, max_rel, ok) VALUES (?, ?, ?, ?, ?)")
      for check in run.checks {
        // SQLite would turn NaN into NULL anyway; say so here rather than rely on it.
        try statement.execute(arguments: [
          id, check.name, check.maxAbs.isNaN ? nil : check.maxAbs, check.maxRel.isNaN ? nil : check.maxRel, check.ok,
        ])
      }
    }

    if !run.tags.isEmpty {
      let statement = try db.cachedStatement(sql: "INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?)")
      for (key, value) in run.tags {
        try statement.execute(arguments: [id, key, value])
      }
    }
    return id
  }
}
