import Foundation

/// How a recorded call ended. A run is written whole when it ends, so there is no "running".
public enum RunStatus: String, Codable, Sendable, CaseIterable {
  case ok
  case failed
  /// Stopped by SIGINT during `--repeat`; the samples taken so far are kept.
  case interrupted
}

/// The metadata of one run: what was called, how, from where, and when.
///
/// Plain strings for kind, strategy and dtype: the store records what the lab hands it and leaves
/// their vocabulary to the lab. Times are kept to the millisecond.
public struct RunInfo: Codable, Sendable, Equatable {
  public var name: String?
  /// `jvp`, `vjp`, `jacobian`, `hessian`, `hvp`, `vhp`; the tape's `backward`, `grad`, `forward_ad`; torch.func's
  /// `grad`, `grad_and_value`, `vjp`, `jvp`, `linearize`, `jacrev`, `jacfwd`, `hessian`, `vmap`.
  public var kind: String
  /// The differentiated function's name (`fn` in queries and the run object).
  public var function: String?
  /// Its full source, for replay.
  public var source: String?
  /// `reverse-mode`, `forward-mode`, `auto`.
  public var strategy: String?
  public var vectorize: Bool
  /// `float32`, `float64`.
  public var dtype: String?
  public var seed: Int64?
  /// 32-bit draws since `manual_seed` when the run's first input was drawn.
  public var rngOffset: Int64?
  public var status: RunStatus
  /// The failure's message when `status` is `.failed`.
  public var error: String?
  /// The script path as given on the command line.
  public var script: String?
  /// Hex SHA-256 of the script file as it ran.
  public var scriptSHA256: String?
  /// The script line of the call.
  public var line: Int?
  /// The run this one replays.
  public var parent: Int64?
  public var started: Date
  public var finished: Date?
  public var host: String?
  public var os: String?
  public var jvplabVersion: String?
  public var commandLine: String?
  /// A torch.func run's composition of transforms as written (`vmap(grad(loss), in_dims=(None, 0, 0))`).
  public var transform: String?
  /// For a call of a `vjp_fn` or `jvp_fn`: the run that made the function.
  public var madeBy: Int64?
  /// A free-text note added after the fact (`jvplab note`).
  public var note: String?
  /// When `jvplab rm` removed the run; nil for a live run.
  public var deleted: Date?
  /// The sweep the run is a point of (`jvplab sweep`).
  public var sweep: Int64?
  /// The point's position in the sweep's grid, 0-based in expansion order.
  public var sweepPoint: Int?
  /// The run's stable identity across stores (v0008), 36 lowercase characters; nil on a run not yet
  /// recorded, which the store then gives a new random one.
  public var uuid: String?

  public init(
    name: String? = nil, kind: String, function: String? = nil, source: String? = nil,
    strategy: String? = nil, vectorize: Bool = false, dtype: String? = nil, seed: Int64? = nil,
    rngOffset: Int64? = nil, status: RunStatus = .ok, error: String? = nil, script: String? = nil,
    scriptSHA256: String? = nil, line: Int? = nil, parent: Int64? = nil, started: Date,
    finished: Date? = nil, host: String? = nil, os: String? = nil, jvplabVersion: String? = nil,
    commandLine: String? = nil, transform: String? = nil, madeBy: Int64? = nil, note: String? = nil,
    deleted: Date? = nil, sweep: Int64? = nil, sweepPoint: Int? = nil, uuid: String? = nil
  ) {
    self.transform = transform
    self.madeBy = madeBy
    self.name = name
    self.kind = kind
    self.function = function
    self.source = source
    self.strategy = strategy
    self.vectorize = vectorize
    self.dtype = dtype
    self.seed = seed
    self.rngOffset = rngOffset
    self.status = status
    self.error = error
    self.script = script
    self.scriptSHA256 = scriptSHA256
    self.line = line
    self.parent = parent
    self.started = started
    self.finished = finished
    self.host = host
    self.os = os
    self.jvplabVersion = jvplabVersion
    self.commandLine = commandLine
    self.note = note
    self.deleted = deleted
    self.sweep = sweep
    self.sweepPoint = sweepPoint
    self.uuid = uuid
  }
}

/// Every timed sample of one phase of a run (`jvp`, `vjp`, ...), in seconds, in the order taken.
public struct TimingSeries: Codable, Sendable, Equatable {
  public var phase: String
  public var samples: [Double]

  public init(phase: String, samples: [Double]) {
    self.phase = phase
    self.samples = samples
  }

  /// The fastest sample; nil when there are none.
  public var min: Double? { samples.min() }
  /// The slowest sample; nil when there are none.
  public var max: Double? { samples.max() }
  /// The middle sample (the mean of the two middle ones for an even count); nil when there are none.
  public var median: Double? {
    guard !samples.isEmpty else { return nil }
    let sorted = samples.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  }
}

/// The outcome of one numerical check of a run's results.
public struct CheckResult: Codable, Sendable, Equatable {
  public var name: String
  /// Largest absolute error; NaN when it could not be computed.
  public var maxAbs: Double
  /// Largest relative error; NaN when it could not be computed.
  public var maxRel: Double
  public var ok: Bool

  public init(name: String, maxAbs: Double, maxRel: Double, ok: Bool) {
    self.name = name
    self.maxAbs = maxAbs
    self.maxRel = maxRel
    self.ok = ok
  }
}

/// Everything about a run to record, written in one transaction by `RunStore.record(_:)`.
///
/// Metadata fields read through: `newRun.kind` is `newRun.info.kind`.
@dynamicMemberLookup
public struct NewRun: Codable, Sendable, Equatable {
  public var info: RunInfo
  /// In recording order, which reading preserves.
  public var tensors: [StoredTensor]
  /// One series per phase; phases must be distinct.
  public var timings: [TimingSeries]
  /// Check names must be distinct.
  public var checks: [CheckResult]
  public var tags: [String: String]
  /// Sources of the script functions the run's function called, by the name it called them (for replay).
  public var functions: [String: String]
  /// A sweep point's grid values (`grid.N` in queries), as its command line spelled them.
  public var grid: [String: String]

  public init(
    info: RunInfo, tensors: [StoredTensor] = [], timings: [TimingSeries] = [], checks: [CheckResult] = [],
    tags: [String: String] = [:], functions: [String: String] = [:], grid: [String: String] = [:]
  ) {
    self.info = info
    self.tensors = tensors
    self.timings = timings
    self.checks = checks
    self.tags = tags
    self.functions = functions
    self.grid = grid
  }

  private enum CodingKeys: String, CodingKey { case info, tensors, timings, checks, tags, functions, grid }

  /// Pending files written before sweeps have no `grid`.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    info = try container.decode(RunInfo.self, forKey: .info)
    tensors = try container.decode([StoredTensor].self, forKey: .tensors)
    timings = try container.decode([TimingSeries].self, forKey: .timings)
    checks = try container.decode([CheckResult].self, forKey: .checks)
    tags = try container.decode([String: String].self, forKey: .tags)
    functions = try container.decode([String: String].self, forKey: .functions)
    grid = try container.decodeIfPresent([String: String].self, forKey: .grid) ?? [:]
  }

  public subscript<Value>(dynamicMember keyPath: WritableKeyPath<RunInfo, Value>) -> Value {
    get { info[keyPath: keyPath] }
    set { info[keyPath: keyPath] = newValue }
  }
}

/// A recorded run without its tensors: what `query` lists.
///
/// Metadata fields read through: `summary.kind` is `summary.info.kind`.
@dynamicMemberLookup
public struct RunSummary: Codable, Sendable, Equatable {
  public var id: Int64
  public var info: RunInfo
  /// Total elements of the `input` tensors (`numel.in` in queries).
  public var inputElements: Int
  /// Total elements of the `output` tensors (`numel.out` in queries).
  public var outputElements: Int
  public var tags: [String: String]
  /// In recording order.
  public var timings: [TimingSeries]
  /// In recording order.
  public var checks: [CheckResult]
  /// A sweep point's grid values.
  public var grid: [String: String]

  public init(
    id: Int64, info: RunInfo, inputElements: Int, outputElements: Int, tags: [String: String],
    timings: [TimingSeries], checks: [CheckResult], grid: [String: String] = [:]
  ) {
    self.id = id
    self.info = info
    self.inputElements = inputElements
    self.outputElements = outputElements
    self.tags = tags
    self.timings = timings
    self.checks = checks
    self.grid = grid
  }

  public subscript<Value>(dynamicMember keyPath: KeyPath<RunInfo, Value>) -> Value {
    info[keyPath: keyPath]
  }
}

/// A recorded run with its tensors: what `show`, `diff` and `replay` read.
///
/// Summary fields read through: `detail.id`, `detail.kind`, `detail.timings`.
@dynamicMemberLookup
public struct RunDetail: Codable, Sendable, Equatable {
  public var summary: RunSummary
  /// In recording order.
  public var tensors: [StoredTensor]
  /// Sources of the script functions the run's function called, by the name it called them.
  public var functions: [String: String]

  public init(summary: RunSummary, tensors: [StoredTensor], functions: [String: String] = [:]) {
    self.summary = summary
    self.tensors = tensors
    self.functions = functions
  }

  public subscript<Value>(dynamicMember keyPath: KeyPath<RunSummary, Value>) -> Value {
    summary[keyPath: keyPath]
  }
}
