import Foundation

/// A statement's parameters being bound in order, whatever the engine: SQLite's `RowBinder`, PostgreSQL's
/// `PostgresBindings`.
protocol RunRowBinding {
  mutating func bind(_ value: String?)
  mutating func bind(_ value: Int64?)
}

/// The columns of the `runs` row that recording writes, named once for both engines, with the value
/// each takes from a run: SQLite's `RunWriter` and PostgreSQL's single-statement insert both bind
/// through `bind(_:numelIn:numelOut:into:)`, so the two cannot drift apart.
enum RunColumns {
  /// The kinds of value a column takes, as PostgreSQL casts its parameter.
  enum Kind: String {
    case text
    case integer = "int8"
  }

  /// Every column in binding order; the sweep's two come last, since SQLite writes them only for a
  /// sweep's points (the INSERT every other run takes stays as it was before v0007).
  static let all: [(name: String, kind: Kind)] = [
    ("name", .text), ("kind", .text), ("fn", .text), ("source", .text), ("strategy", .text), ("vectorize", .integer),
    ("dtype", .text), ("seed", .integer), ("rng_offset", .integer), ("status", .text), ("error", .text), ("script", .text),
    ("script_sha256", .text), ("line", .integer), ("parent_id", .integer), ("started", .text), ("finished", .text),
    ("host", .text), ("os", .text), ("jvplab_version", .text), ("command_line", .text), ("numel_in", .integer),
    ("numel_out", .integer), ("transform", .text), ("made_by", .integer), ("uuid", .text), ("sweep_id", .integer),
    ("sweep_point", .integer),
  ]

  /// How many of `all` are the sweep's, at its end.
  static let sweepColumnCount = 2

  /// The elements a run's tensors hold as inputs and as outputs (`numel_in`, `numel_out`).
  static func elementCounts(_ run: NewRun) -> (input: Int64, output: Int64) {
    var input = 0
    var output = 0
    for tensor in run.tensors {
      switch tensor.role {
      case "input": input += tensor.elementCount
      case "output": output += tensor.elementCount
      default: break
      }
    }
    return (Int64(input), Int64(output))
  }

  /// Binds `run`'s values in the order of `all`; the sweep's two only when `withSweep`.
  static func bind<Binding: RunRowBinding>(_ run: NewRun, withSweep: Bool, into binding: inout Binding) {
    let info = run.info
    let counts = elementCounts(run)
    binding.bind(info.name)
    binding.bind(info.kind)
    binding.bind(info.function)
    binding.bind(info.source)
    binding.bind(info.strategy)
    binding.bind(Int64(info.vectorize ? 1 : 0))
    binding.bind(info.dtype)
    binding.bind(info.seed)
    binding.bind(info.rngOffset)
    binding.bind(info.status.rawValue)
    binding.bind(info.error)
    binding.bind(info.script)
    binding.bind(info.scriptSHA256)
    binding.bind(info.line.map(Int64.init))
    binding.bind(info.parent)
    binding.bind(Timestamp.text(info.started))
    binding.bind(info.finished.map(Timestamp.text))
    binding.bind(info.host)
    binding.bind(info.os)
    binding.bind(info.jvplabVersion)
    binding.bind(info.commandLine)
    binding.bind(counts.input)
    binding.bind(counts.output)
    binding.bind(info.transform)
    binding.bind(info.madeBy)
    binding.bind(info.uuid ?? RunUUID.random())
    if withSweep {
      binding.bind(info.sweep)
      binding.bind(info.sweepPoint.map(Int64.init))
    }
  }
}
