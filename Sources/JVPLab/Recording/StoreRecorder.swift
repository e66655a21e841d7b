import Foundation
import JVPCore
import JVPScript
import JVPStore

/// What every run recorded by one command shares: where it came from and how it was labelled.
public struct RunContext: Sendable {
  public var name: String?
  public var tags: [String: String] = [:]
  public var script: String?
  public var scriptSHA256: String?
  public var parent: Int64?
  public var commandLine: String?
  /// For a sweep's point: the sweep, the point's position in its grid, and the point's grid values.
  public var sweep: Int64?
  public var sweepPoint: Int?
  public var grid: [String: String] = [:]

  public init(name: String? = nil, tags: [String: String] = [:], script: String? = nil, scriptSHA256: String? = nil,
              parent: Int64? = nil, commandLine: String? = nil) {
    self.name = name
    self.tags = tags
    self.script = script
    self.scriptSHA256 = scriptSHA256
    self.parent = parent
    self.commandLine = commandLine
  }
}

/// The interpreter's recorder for real runs: each autodiff call becomes one run in the store, written
/// as soon as the call ends, in a transaction of its own or, with `grouped`, in a group of runs that is
/// committed within `RunGroupBounds` (and by `finish()`, which a grouped recorder's owner must call
/// on every way out).
///
/// A database another process holds past the busy timeout never loses a computed run: the recorder
/// says once that it is waiting, retries for up to `lockWait` seconds, and then saves the run in a
/// pending file beside the database, which the next command that opens it merges.
public final class StoreRecorder: RunRecorder {
  let store: any ExperimentStore
  /// What the next runs share; a sweep changes it from point to point.
  public var context: RunContext
  /// The group runs are written into; nil when each run commits on its own.
  private let group: (any RunGroup)?
  let lockWait: TimeInterval
  let console: Console?
  /// Ids of the runs recorded so far, in order.
  public private(set) var ids: [Int64] = []
  /// The id of the last run recorded; nil when it went to a pending file.
  public private(set) var lastRecordedID: Int64?
  /// Pending files of the runs that could not be recorded, in order.
  public private(set) var pending: [String] = []
  /// Whether the command was asked to stop (SIGTERM during a wait): the run then goes to a pending file at once.
  public var isCancelled: () -> Bool = { false }
  /// Set once a wait has run out: later runs go to pending files after a single try.
  private var gaveUpWaiting = false
  private var saidWaiting = false

  public init(
    store: any ExperimentStore, context: RunContext, lockWait: TimeInterval = 60, console: Console? = nil,
    grouped: RunGroupBounds? = nil
  ) {
    self.store = store
    self.context = context
    self.lockWait = lockWait
    self.console = console
    group = grouped.flatMap { store.groupedRuns($0) }
  }

  /// Commits the runs still in an open group; returns `status`, or `.runFailed` after saying why the
  /// commit failed (the group's runs then wait in pending files, as the message says).
  public func finish(_ status: ExitStatus) -> ExitStatus {
    do throws(StoreError) {
      try group?.flush()
      return status
    } catch {
      console?.err("jvplab: could not record the last runs in \(store.path): \(error.message)\n")
      return status == .success ? .runFailed : status
    }
  }

  /// Has a second signal's immediate exit commit the open group first.
  public func flush(before interruption: Interruption?) {
    guard let interruption, let group else { return }
    interruption.onImmediateExit { try? group.flush() }
  }

  public func record(_ call: RecordedCall) throws {
    do throws(StoreError) {
      let run = try Self.newRun(call, context)
      lastRecordedID = nil
      if let id = try recordWaiting(run) {
        ids.append(id)
        lastRecordedID = id
        return
      }
      let file = try store.savePending(run)
      pending.append(file)
      console?.err(
        "jvplab: \(store.path) stayed locked by another process: saved the \(call.kind.rawValue) run in \(file); the next jvplab command that opens \(store.path) records it\n")
    } catch {
      throw LabFailure("could not record the \(call.kind.rawValue) run in \(store.path): \(error.message)")
    }
  }

  /// Records `run`, retrying while another process holds the write lock; nil once `lockWait` has passed.
  private func recordWaiting(_ run: NewRun) throws(StoreError) -> Int64? {
    var deadline: Date?
    while true {
      do {
        if let group { return try group.record(run) }
        return try store.record(run)
      } catch where error.code == .locked {
        if gaveUpWaiting || lockWait == 0 { return nil }
        if !saidWaiting {
          saidWaiting = true
          console?.err(
            "jvplab: \(store.path) is locked by another process: waiting up to \(Self.seconds(lockWait)) for it (--lock-wait)\n")
        }
        let end = deadline ?? Date().addingTimeInterval(lockWait)
        deadline = end
        if Date() >= end || isCancelled() {
          gaveUpWaiting = true
          return nil
        }
        // SQLite's busy handler waited already; a lock reported at once must not spin.
        Thread.sleep(forTimeInterval: 0.05)
      }
    }
  }

  static func seconds(_ value: TimeInterval) -> String {
    value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
  }

  static let host = ProcessInfo.processInfo.hostName
  static let os = ProcessInfo.processInfo.operatingSystemVersionString

  static func newRun(_ call: RecordedCall, _ context: RunContext) throws(StoreError) -> NewRun {
    let info = RunInfo(
      name: context.name, kind: call.kind.rawValue, function: call.functionName, source: call.source,
      strategy: call.strategy?.rawValue, vectorize: call.vectorize, dtype: call.dtype.rawValue,
      seed: call.seed.map { Int64(bitPattern: $0) }, rngOffset: call.rngOffset.map(Int64.init),
      status: call.status == .ok ? .ok : (call.status == .interrupted ? .interrupted : .failed), error: call.error,
      script: context.script, scriptSHA256: context.scriptSHA256, line: call.line, parent: context.parent,
      started: call.started, finished: call.finished, host: host, os: os, jvplabVersion: JVPLabVersion.current,
      commandLine: context.commandLine, transform: call.transform, madeBy: call.madeBy, sweep: context.sweep,
      sweepPoint: context.sweepPoint)
    var tensors: [StoredTensor] = []
    for recorded in call.tensors {
      tensors.append(try stored(recorded.tensor, role: recorded.role, index: recorded.index, name: recorded.name))
    }
    return NewRun(
      info: info, tensors: tensors,
      timings: call.timings.map { TimingSeries(phase: $0.phase, samples: $0.samples) },
      checks: call.checks.map { CheckResult(name: $0.name, maxAbs: $0.ok == nil ? .nan : $0.maxAbs,
                                            maxRel: $0.ok == nil ? .nan : $0.maxRel, ok: $0.ok ?? false) },
      tags: context.tags, functions: call.functions, grid: context.grid)
  }

  /// The store's form of an engine tensor: the same bits, little-endian.
  static func stored(_ tensor: Tensor, role: String, index: [Int], name: String?) throws(StoreError) -> StoredTensor {
    let elements: TensorElements = switch tensor.storage {
    case .float32(let values): .float32(values)
    case .float64(let values): .float64(values)
    case .int64(let values): .int64(values)
    case .bool(let values): .bool(values)
    }
    return try StoredTensor(role: role, index: index, name: name, shape: tensor.shape, elements: elements)
  }
}

extension StoredTensor {
  /// The engine tensor, or nil when only a summary was stored.
  var tensor: Tensor? {
    switch elements {
    case .float32(let values)?: Tensor(shape: shape, float32: values)
    case .float64(let values)?: Tensor(shape: shape, float64: values)
    case .int64(let values)?: Tensor(shape: shape, int64: values)
    case .bool(let values)?: Tensor(shape: shape, bool: values)
    case nil: nil
    }
  }
}
