import Foundation
import PostgresNIO

// The record types of `Records.swift` read from PostgreSQL rows: the same columns by the same names, so
// the checks that turn them into public values (`info`, `tensor`, `series`, `check`) are shared.

extension PostgresRandomAccessRow {
  func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
    try self[column].decode(T.self)
  }
}

extension RunRow {
  init(postgres row: PostgresRandomAccessRow) throws {
    id = try row.value("id")
    name = try row.value("name")
    kind = try row.value("kind")
    fn = try row.value("fn")
    source = try row.value("source")
    strategy = try row.value("strategy")
    vectorize = try row.value("vectorize", as: Int64.self) != 0
    dtype = try row.value("dtype")
    seed = try row.value("seed")
    rngOffset = try row.value("rng_offset")
    status = try row.value("status")
    error = try row.value("error")
    script = try row.value("script")
    scriptSha256 = try row.value("script_sha256")
    line = try row.value("line", as: Int64?.self).map(Int.init)
    parentId = try row.value("parent_id")
    started = try row.value("started")
    finished = try row.value("finished")
    host = try row.value("host")
    os = try row.value("os")
    jvplabVersion = try row.value("jvplab_version")
    commandLine = try row.value("command_line")
    numelIn = Int(try row.value("numel_in", as: Int64.self))
    numelOut = Int(try row.value("numel_out", as: Int64.self))
    transform = try row.value("transform")
    madeBy = try row.value("made_by")
    note = try row.value("note")
    deleted = try row.value("deleted")
    sweepId = try row.value("sweep_id")
    sweepPoint = try row.value("sweep_point", as: Int64?.self).map(Int.init)
    uuid = try row.value("uuid")
  }
}

extension TensorRow {
  init(postgres row: PostgresRandomAccessRow) throws {
    id = try row.value("id")
    runId = try row.value("run_id")
    role = try row.value("role")
    idx = try row.value("idx")
    name = try row.value("name")
    dtype = try row.value("dtype")
    shape = try row.value("shape")
    numel = Int(try row.value("numel", as: Int64.self))
    digest = try row.value("digest")
    data = try row.value("data")
    min = try row.value("min")
    max = try row.value("max")
    mean = try row.value("mean")
    nanCount = Int(try row.value("nan_count", as: Int64.self))
    infCount = Int(try row.value("inf_count", as: Int64.self))
    dataLost = try row.value("data_lost")
  }
}

extension TimingRow {
  init(postgres row: PostgresRandomAccessRow) throws {
    runId = try row.value("run_id")
    phase = try row.value("phase")
    samples = try row.value("samples")
    n = Int(try row.value("n", as: Int64.self))
  }
}

extension CheckRow {
  init(postgres row: PostgresRandomAccessRow) throws {
    runId = try row.value("run_id")
    name = try row.value("name")
    maxAbs = try row.value("max_abs")
    maxRel = try row.value("max_rel")
    ok = try row.value("ok", as: Int64.self) != 0
  }
}

extension SQLValue {
  /// A raw `--sql` result cell as the closest SQLite-like value: integers, reals, text, bytes, or NULL.
  init(postgres cell: PostgresCell) {
    guard cell.bytes != nil else {
      self = .null
      return
    }
    switch cell.dataType {
    case .int2, .int4, .int8: self = (try? cell.decode(Int64.self)).map(SQLValue.integer) ?? .null
    case .float4, .float8: self = (try? cell.decode(Double.self)).map(SQLValue.real) ?? .null
    case .bool: self = (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .null
    case .bytea: self = (try? cell.decode(Data.self)).map(SQLValue.blob) ?? .null
    case .numeric: self = (try? cell.decode(Decimal.self)).map { .real(NSDecimalNumber(decimal: $0).doubleValue) } ?? .null
    default:
      // text, varchar, name, json and the rest: their text form (binary text types decode as strings).
      if let text = try? cell.decode(String.self) {
        self = .text(text)
      } else {
        self = .blob(Data(cell.bytes.map { Array($0.readableBytesView) } ?? []))
      }
    }
  }
}
