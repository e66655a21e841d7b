import Foundation

/// The storage seam: what the use cases in JVPLab and JVPWeb ask of a store, whatever engine holds it.
///
/// `RunStore` (an SQLite file) and `PostgresStore` (a PostgreSQL server) conform; `StoreLocation.open`
/// picks one from a `--db` value. Every method reports failures as a `StoreError` whose message names the
/// store by `path`, so a command prints the same line, with the same exit code, on either engine.
public protocol ExperimentStore: RunReading, RunRecording, RunLifecycle, SweepStoring, RunTransferStore {}

/// Reading runs: the queries `query`, `show`, `diff`, `replay`, `export` and `ui` make.
public protocol RunReading: Sendable {
  /// Where the store lives, as messages name it: the file path, or the server URL without its password.
  var path: String { get }
  /// The run `id` with everything recorded about it, or nil if there is no such run.
  func run(id: Int64) throws(StoreError) -> RunDetail?
  /// The run id a command-line RUN reference names: `17`, `latest`, or `latest~N`.
  func resolve(_ reference: String) throws(StoreError) -> Int64
  /// The runs `query` selects, in its order, without their tensors.
  func runs(matching query: RunQuery) throws(StoreError) -> [RunSummary]
  /// How many runs `query`'s filter matches, ignoring its limit and offset.
  func count(matching query: RunQuery) throws(StoreError) -> Int
  /// The ids `query` selects, in its order.
  func ids(matching query: RunQuery) throws(StoreError) -> [Int64]
  /// Live replays of the runs of `ids`: (parent, child) pairs, by parent.
  func liveReplays(of ids: [Int64]) throws(StoreError) -> [(parent: Int64, child: Int64)]
  /// A number that changes when another connection commits, so a long-lived reader (`jvplab ui`) sees new runs.
  func dataVersion() throws(StoreError) -> Int64
  /// One read-only SQL statement in the engine's own dialect (`jvplab query --sql`).
  func rawQuery(sql: String) throws(StoreError) -> RawQueryResult
}

/// Recording runs: each one whole, in one transaction, or not at all.
public protocol RunRecording: Sendable {
  /// Writes `run` with its tensors, timings, checks, tags, functions and grid values and returns its id.
  func record(_ run: NewRun) throws(StoreError) -> Int64
  /// Keeps `run` aside when the store stays locked (`StoreError.Code.locked`) and returns where it went;
  /// a store that never reports `.locked` throws instead.
  func savePending(_ run: NewRun) throws(StoreError) -> String
  /// A writer that commits several runs per transaction within `bounds`, or nil where each run keeps a
  /// transaction of its own (a read-only store; PostgreSQL, where a run is one round trip already).
  func groupedRuns(_ bounds: RunGroupBounds) -> (any RunGroup)?
}

extension RunRecording {
  public func groupedRuns(_ bounds: RunGroupBounds) -> (any RunGroup)? { nil }
}

/// How long a group of runs may stay open, and how many runs it may hold.
public struct RunGroupBounds: Sendable {
  public var maxRuns: Int
  public var maxAge: TimeInterval

  public init(maxRuns: Int = 100, maxAge: TimeInterval = 0.1) {
    self.maxRuns = maxRuns
    self.maxAge = maxAge
  }
}

/// Runs recorded several to a transaction; `flush` commits the open group and must be called on every
/// way out of a command that records through it.
public protocol RunGroup: AnyObject, Sendable {
  /// Writes `run` into the open group (opening one) and returns its id.
  func record(_ run: NewRun) throws(StoreError) -> Int64
  /// Commits the open group, if any.
  func flush() throws(StoreError)
  /// Whether runs are waiting for their group's commit.
  var hasOpenGroup: Bool { get }
}

/// Annotating and removing runs after the fact.
public protocol RunLifecycle: Sendable {
  /// Sets `set` and removes `remove` on every run of `ids`, in one transaction.
  func retag(_ ids: [Int64], set: [String: String], remove: [String]) throws(StoreError)
  /// Sets run `id`'s note; nil or empty clears it.
  func setNote(_ id: Int64, _ note: String?) throws(StoreError)
  /// Marks the runs of `ids` removed at `date` and returns those that were live.
  func softDelete(_ ids: [Int64], at date: Date) throws(StoreError) -> [Int64]
  /// Makes removed runs of `ids` live again and returns those that were removed.
  func restore(_ ids: [Int64]) throws(StoreError) -> [Int64]
  /// Deletes for good the runs removed before `cutoff` (every removed run when nil), batch by batch.
  func collectGarbage(
    removedBefore cutoff: Date?, batchSize: Int, progress: (Int, Int) -> Void
  ) throws(StoreError) -> GarbageReport
}

/// Sweeps: a row per sweep, and its runs found by their sweep id.
public protocol SweepStoring: Sendable {
  /// Records a new sweep, `running`, and returns its id.
  func createSweep(name: String?, spec: String, points: Int, started: Date) throws(StoreError) -> Int64
  /// Sets the sweep's status (and, for an interrupted script sweep, the point it was in).
  func setSweepStatus(_ id: Int64, _ status: SweepStatus, partialPoint: Int?, at date: Date) throws(StoreError)
  /// The sweep `id`, or nil if there is none.
  func sweep(_ id: Int64) throws(StoreError) -> SweepRecord?
  /// The points of sweep `id` that have a live run that ended: the points `--resume` skips.
  func finishedPoints(ofSweep id: Int64) throws(StoreError) -> Set<Int>
}

extension SweepStoring where Self: RunReading {
  /// The live runs of sweep `id`, by point and then id, with their grid values.
  public func runs(ofSweep id: Int64) throws(StoreError) -> [RunSummary] {
    let query: RunQuery
    do {
      query = try RunQuery(filter: "sweep = \(id)", sort: "id")
    } catch {
      throw StoreError(.invalidInput, "\(error)")
    }
    return try runs(matching: query).sorted {
      ($0.info.sweepPoint ?? 0, $0.id) < ($1.info.sweepPoint ?? 0, $1.id)
    }
  }
}

extension RunLifecycle {
  /// Marks the runs of `ids` removed now.
  public func softDelete(_ ids: [Int64]) throws(StoreError) -> [Int64] { try softDelete(ids, at: Date()) }

  /// Deletes for good the runs removed before `cutoff`, 500 per transaction.
  public func collectGarbage(
    removedBefore cutoff: Date? = nil, progress: (Int, Int) -> Void = { _, _ in }
  ) throws(StoreError) -> GarbageReport {
    try collectGarbage(removedBefore: cutoff, batchSize: 500, progress: progress)
  }
}

extension SweepStoring {
  /// Records a new sweep started now.
  public func createSweep(name: String?, spec: String, points: Int) throws(StoreError) -> Int64 {
    try createSweep(name: name, spec: spec, points: points, started: Date())
  }

  /// Sets the sweep's status now.
  public func setSweepStatus(_ id: Int64, _ status: SweepStatus, partialPoint: Int? = nil) throws(StoreError) {
    try setSweepStatus(id, status, partialPoint: partialPoint, at: Date())
  }
}

extension RunStore: ExperimentStore {}

/// Whether a store may create and write: what a command needs of it.
public enum StoreAccessMode: Sendable {
  /// Creates the store (file or schema) if it is missing and upgrades an older schema.
  case readWrite
  /// Never creates, upgrades or writes anything; a missing store is an error.
  case readOnly
}
