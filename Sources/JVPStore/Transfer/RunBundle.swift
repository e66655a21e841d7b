import Foundation

/// One run, whole, as it moves between stores (`jvplab push` and `pull`): its row, tensors with their
/// data (shared data resolved), timings, checks, tags, note, functions, grid values and sweep.
///
/// A bundle holds no store-local id: the run is named by its UUID, and the runs and sweep it points at
/// by theirs (`parentUUID`, `makerUUID`, `sweep.uuid`), which the target maps to its own ids.
public struct RunBundle: Sendable, Equatable {
  /// The run's UUID, its identity in every store.
  public let uuid: String
  /// Metadata, tensors, timings, checks, tags, functions and grid values, as `RunStore.record` takes them.
  /// `run.info.uuid` is `uuid`; `parent`, `madeBy` and `sweep` are nil (see `parentUUID`, `makerUUID`,
  /// `sweep`); `note` and `deleted` travel as they are; tensors over the source's store limit stay
  /// summaries.
  public var run: NewRun
  /// The UUID of the run this one replays.
  public var parentUUID: String?
  /// For a `vjp_fn`/`jvp_fn` call: the UUID of the run that made the function.
  public var makerUUID: String?
  /// The sweep the run is a point of (its position is `run.info.sweepPoint`); `sweep.id` is the source's.
  public var sweep: SweepRecord?

  /// A bundle of `run` under `uuid`; store-local ids in `run.info` are dropped.
  public init(uuid: String, run: NewRun, parentUUID: String? = nil, makerUUID: String? = nil, sweep: SweepRecord? = nil) {
    var run = run
    run.info.uuid = uuid
    run.info.parent = nil
    run.info.madeBy = nil
    run.info.sweep = nil
    self.uuid = uuid
    self.run = run
    self.parentUUID = parentUUID
    self.makerUUID = makerUUID
    self.sweep = sweep
  }
}

/// A run a transfer may copy: its id in the store listing it and its UUID.
public struct TransferEntry: Sendable, Equatable {
  public var id: Int64
  public var uuid: String

  public init(id: Int64, uuid: String) {
    self.id = id
    self.uuid = uuid
  }
}

/// What inserting a bundle did.
public enum TransferInsert: Sendable, Equatable {
  /// The run was new: it now has this id in the target.
  case inserted(id: Int64)
  /// The target held the run's UUID already (as this id) and was left as it was.
  case present(id: Int64)
}
