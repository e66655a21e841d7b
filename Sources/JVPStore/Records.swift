import Foundation
import GRDB

// The rows of jvplab's tables as read back, one record type per table. They stay internal: the
// public value types are shaped for callers, not tables. Rows are written by `RunWriter`.
//
// Columns are decoded by name with GRDB's throwing `decode`, not through `Decodable`, which took
// twice as long when listing many runs. A NULL or mistyped value in a damaged file throws.

/// Encodes and decodes the JSON integer arrays of `tensors.idx` and `tensors.shape`: `[4,4]`.
enum IntegerList {
  static func text(_ values: [Int]) -> String {
    // Appended in place rather than joined: a short list then stays a small string, no allocation.
    var text = "["
    for (position, value) in values.enumerated() {
      if position > 0 { text += "," }
      text += String(value)
    }
    return text + "]"
  }

  static func values(_ text: String) -> [Int]? {
    guard text.hasPrefix("["), text.hasSuffix("]") else { return nil }
    let inner = text.dropFirst().dropLast()
    if inner.allSatisfy(\.isWhitespace) { return [] }
    var values: [Int] = []
    for item in inner.split(separator: ",", omittingEmptySubsequences: false) {
      guard let value = Int(item.trimmingCharacters(in: .whitespaces)) else { return nil }
      values.append(value)
    }
    return values
  }
}

struct RunRow: FetchableRecord, TableRecord {
  static let databaseTableName = "runs"

  var id: Int64
  var name: String?
  var kind: String
  var fn: String?
  var source: String?
  var strategy: String?
  var vectorize: Bool
  var dtype: String?
  var seed: Int64?
  var rngOffset: Int64?
  var status: String
  var error: String?
  var script: String?
  var scriptSha256: String?
  var line: Int?
  var parentId: Int64?
  var started: String
  var finished: String?
  var host: String?
  var os: String?
  var jvplabVersion: String?
  var commandLine: String?
  var numelIn: Int
  var numelOut: Int
  var transform: String?
  var madeBy: Int64?
  var note: String?
  var deleted: String?
  var sweepId: Int64?
  var sweepPoint: Int?
  var uuid: String?

  init(row: Row) throws {
    id = try row.decode(forColumn: "id")
    name = try row.decode(forColumn: "name")
    kind = try row.decode(forColumn: "kind")
    fn = try row.decode(forColumn: "fn")
    source = try row.decode(forColumn: "source")
    strategy = try row.decode(forColumn: "strategy")
    vectorize = try row.decode(forColumn: "vectorize")
    dtype = try row.decode(forColumn: "dtype")
    seed = try row.decode(forColumn: "seed")
    rngOffset = try row.decode(forColumn: "rng_offset")
    status = try row.decode(forColumn: "status")
    error = try row.decode(forColumn: "error")
    script = try row.decode(forColumn: "script")
    scriptSha256 = try row.decode(forColumn: "script_sha256")
    line = try row.decode(forColumn: "line")
    parentId = try row.decode(forColumn: "parent_id")
    started = try row.decode(forColumn: "started")
    finished = try row.decode(forColumn: "finished")
    host = try row.decode(forColumn: "host")
    os = try row.decode(forColumn: "os")
    jvplabVersion = try row.decode(forColumn: "jvplab_version")
    commandLine = try row.decode(forColumn: "command_line")
    numelIn = try row.decode(forColumn: "numel_in")
    numelOut = try row.decode(forColumn: "numel_out")
    transform = try row.decode(forColumn: "transform")
    madeBy = try row.decode(forColumn: "made_by")
    note = try row.decode(forColumn: "note")
    deleted = try row.decode(forColumn: "deleted")
    sweepId = try row.decode(forColumn: "sweep_id")
    sweepPoint = try row.decode(forColumn: "sweep_point")
    uuid = try row.decode(forColumn: "uuid")
  }

  /// The public metadata; nil when a column holds a value jvplab never writes.
  var info: RunInfo? {
    guard let status = RunStatus(rawValue: status), let started = Timestamp.date(started) else { return nil }
    var finishedDate: Date?
    if let finished {
      guard let date = Timestamp.date(finished) else { return nil }
      finishedDate = date
    }
    var deletedDate: Date?
    if let deleted {
      guard let date = Timestamp.date(deleted) else { return nil }
      deletedDate = date
    }
    return RunInfo(
      name: name, kind: kind, function: fn, source: source, strategy: strategy, vectorize: vectorize,
      dtype: dtype, seed: seed, rngOffset: rngOffset, status: status, error: error, script: script,
      scriptSHA256: scriptSha256, line: line, parent: parentId, started: started, finished: finishedDate,
      host: host, os: os, jvplabVersion: jvplabVersion, commandLine: commandLine, transform: transform, madeBy: madeBy,
      note: note, deleted: deletedDate, sweep: sweepId, sweepPoint: sweepPoint, uuid: uuid)
  }
}

/// A row of `tensors` with its data, fetched by `sql`: shared data (`tensor_data`, v0004) read through
/// the row's `data_id`.
struct TensorRow: FetchableRecord {
  /// The tensors of run `?`, in recording order.
  static let sql = """
    SELECT t.id, t.run_id, t.role, t.idx, t.name, t.dtype, t.shape, t.numel, t.digest, t.min, t.max, t.mean,
      t.nan_count, t.inf_count, COALESCE(t.data, d.data) AS data, t.data_id IS NOT NULL AND d.id IS NULL AS data_lost
    FROM tensors t LEFT JOIN tensor_data d ON d.id = t.data_id
    WHERE t.run_id = ? ORDER BY t.id
    """

  var id: Int64
  var runId: Int64
  var role: String
  var idx: String
  var name: String?
  var dtype: String
  var shape: String
  var numel: Int
  var digest: String
  var data: Data?
  var min: Double?
  var max: Double?
  var mean: Double?
  var nanCount: Int
  var infCount: Int
  /// The row points at shared data that is not there.
  var dataLost: Bool

  init(row: Row) throws {
    id = try row.decode(forColumn: "id")
    runId = try row.decode(forColumn: "run_id")
    role = try row.decode(forColumn: "role")
    idx = try row.decode(forColumn: "idx")
    name = try row.decode(forColumn: "name")
    dtype = try row.decode(forColumn: "dtype")
    shape = try row.decode(forColumn: "shape")
    numel = try row.decode(forColumn: "numel")
    digest = try row.decode(forColumn: "digest")
    data = try row.decode(forColumn: "data")
    min = try row.decode(forColumn: "min")
    max = try row.decode(forColumn: "max")
    mean = try row.decode(forColumn: "mean")
    nanCount = try row.decode(forColumn: "nan_count")
    infCount = try row.decode(forColumn: "inf_count")
    dataLost = try row.decode(forColumn: "data_lost")
  }

  /// The public tensor; nil when a column holds a value jvplab never writes.
  var tensor: StoredTensor? {
    guard !dataLost, let dtype = TensorDType(rawValue: dtype), let index = IntegerList.values(idx),
      let shape = IntegerList.values(shape), let digest = UInt64(digest, radix: 16),
      let count = try? StoredTensor.elementCount(shape), count == numel
    else { return nil }
    // An empty Data may bind as NULL (a NULL pointer to SQLite), so an empty tensor may read back
    // with NULL data; it is never summarized, since no limit is below zero elements.
    let bytes = numel == 0 ? Data() : data
    if let bytes, !StoredTensor.fits(bytes, dtype: dtype, count: count) { return nil }
    return StoredTensor(
      role: role, index: index, name: name, dtype: dtype, shape: shape, data: bytes, digest: digest,
      summary: TensorSummary(min: min, max: max, mean: mean, nanCount: nanCount, infCount: infCount))
  }
}

struct TimingRow: FetchableRecord, TableRecord {
  static let databaseTableName = "timings"

  var runId: Int64
  var phase: String
  var samples: Data
  var n: Int

  init(row: Row) throws {
    runId = try row.decode(forColumn: "run_id")
    phase = try row.decode(forColumn: "phase")
    samples = try row.decode(forColumn: "samples")
    n = try row.decode(forColumn: "n")
  }

  /// The public series; nil when the blob does not hold `n` doubles.
  var series: TimingSeries? {
    guard samples.count % 8 == 0, samples.count / 8 == n else { return nil }
    return TimingSeries(phase: phase, samples: LittleEndian.values(samples, as: UInt64.self).map(Double.init(bitPattern:)))
  }
}

struct CheckRow: FetchableRecord, TableRecord {
  static let databaseTableName = "checks"

  var runId: Int64
  var name: String
  var maxAbs: Double?
  var maxRel: Double?
  var ok: Bool

  init(row: Row) throws {
    runId = try row.decode(forColumn: "run_id")
    name = try row.decode(forColumn: "name")
    maxAbs = try row.decode(forColumn: "max_abs")
    maxRel = try row.decode(forColumn: "max_rel")
    ok = try row.decode(forColumn: "ok")
  }

  var check: CheckResult {
    CheckResult(name: name, maxAbs: maxAbs ?? .nan, maxRel: maxRel ?? .nan, ok: ok)
  }
}

/// A row of `tags` or, read from that table, `grid` (v0007): a key and its text value for a run.
struct TagRow: FetchableRecord, TableRecord {
  static let databaseTableName = "tags"

  var runId: Int64
  var key: String
  var value: String

  init(row: Row) throws {
    runId = try row.decode(forColumn: "run_id")
    key = try row.decode(forColumn: "key")
    value = try row.decode(forColumn: "value")
  }
}
