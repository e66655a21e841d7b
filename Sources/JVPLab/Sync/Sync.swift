import Foundation
import JVPStore

/// `jvplab push [FILTER] --to DB` and `jvplab pull [FILTER] --from DB`: copy whole runs between two stores.
///
/// Runs go oldest first, read whole from the source in batches of up to 100 and inserted into the target
/// each in a transaction of its own, so each run is whole or absent; the target skips a UUID it holds
/// already: pushing twice stores each run once, and a copy stopped
/// at any point (Ctrl-C, a kill, a lost lock) is finished by running it again. Replays and `vjp_fn` calls
/// keep their links when their parent or maker is in the target (copied earlier or in the same copy).
public enum Sync {
  public enum Direction: Sendable {
    /// From `--db` to `--to`.
    case push
    /// From `--from` to `--db`.
    case pull
  }

  public struct Request: Sendable {
    public var direction: Direction
    /// The local store (`--db`).
    public var database: String
    /// The other store (`--to` or `--from`).
    public var remote: String
    public var filter = ""
    /// Create the target when it does not exist (always so for pull's `--db`, as `jvplab run` does).
    public var create = false
    /// Seconds to keep retrying a run while another process holds the target's write lock.
    public var lockWait: TimeInterval = 60

    public init(direction: Direction, database: String, remote: String) {
      self.direction = direction
      self.database = database
      self.remote = remote
    }
  }

  /// How a copy went: runs inserted, runs the target held already, and the runs selected.
  public struct Tally: Sendable, Equatable {
    public var copied = 0
    public var present = 0
    public var selected = 0
  }

  public static func run(_ request: Request, console: Console, interruption: Interruption? = nil) -> ExitStatus {
    let verb = request.direction == .push ? "pushed" : "pulled"
    do {
      let query: RunQuery
      do {
        query = try RunQuery(filter: request.filter, sort: "id")
      } catch {
        console.err(error.render(filter: request.filter, sort: "") + "\n")
        return .usage
      }
      let (source, target) = try open(request, console: console)
      var tally = Tally()
      let stop = try copy(query, from: source, to: target, lockWait: request.lockWait, console: console, interruption: interruption, tally: &tally)
      var line = summary(tally, verb: verb, target: target.location)
      let left = tally.selected - tally.copied - tally.present
      let again = "run jvplab \(request.direction == .push ? "push" : "pull") again to copy the other \(left)"
      switch stop {
      case nil:
        console.err("jvplab: \(line)\n")
        return .success
      case .interrupted:
        line += "; stopped by a signal: \(again)"
        console.err("jvplab: \(line)\n")
        return ExitStatus.interrupted.stopped(by: interruption)
      case .locked:
        console.err(
          "jvplab: \(target.location) stayed locked by another process past --lock-wait (\(seconds(request.lockWait))): \(line); \(again)\n")
        return .usage
      }
    } catch let failure as LabFailure {
      console.err("jvplab: \(failure.message)\n")
      return failure.status
    } catch {
      console.err("jvplab: \(error)\n")
      return .usage
    }
  }

  /// Why a copy stopped before its last run.
  enum Stop: Sendable {
    /// SIGINT, SIGTERM or SIGHUP.
    case interrupted
    /// Another process held the target's write lock past `--lock-wait`.
    case locked
  }

  /// `pushed 12 runs to team.db, 3 already there`.
  static func summary(_ tally: Tally, verb: String, target: String) -> String {
    let runs = tally.copied == 1 ? "1 run" : "\(tally.copied) runs"
    let direction = verb == "pushed" ? "to" : "into"
    return "\(verb) \(runs) \(direction) \(target)" + (tally.present == 0 ? "" : ", \(tally.present) already there")
  }

  /// The source (read-only) and the target (written) of the request.
  private static func open(_ request: Request, console: Console) throws -> (any RunTransferStore, any RunTransferStore) {
    switch request.direction {
    case .push:
      let source = try SyncEndpoint.open(request.database, mode: .readOnly, createIfMissing: false, role: "--db", console: console)
      let target = try SyncEndpoint.open(request.remote, mode: .readWrite, createIfMissing: request.create, role: "--to", console: console)
      return (source, target)
    case .pull:
      let source = try SyncEndpoint.open(request.remote, mode: .readOnly, createIfMissing: false, role: "--from", console: console)
      let target = try SyncEndpoint.open(request.database, mode: .readWrite, createIfMissing: true, role: "--db", console: console)
      return (source, target)
    }
  }

  /// At most this many runs are read before they go to the target (each in its own transaction).
  static let batchRuns = 100
  /// A batch closes once its tensor data reaches this many bytes, so that large runs are not held by the hundred.
  static let batchBytes = 32 << 20
  /// Runs read from the source at a time while a batch fills.
  static let readChunk = 10

  /// Copies the runs `query` selects in `source` that `target` lacks, oldest first, in batches of up to
  /// `batchRuns` runs (or `batchBytes` of data), one transaction per run; returns why it stopped early, nil
  /// when every run is in the target.
  static func copy(
    _ query: RunQuery, from source: any RunTransferStore, to target: any RunTransferStore, lockWait: TimeInterval,
    console: Console, interruption: Interruption?, tally: inout Tally
  ) throws -> Stop? {
    let entries = try failing { () throws(StoreError) in try source.transferEntries(matching: query) }
    tally.selected = entries.count
    let present = try failing { () throws(StoreError) in try target.presentUUIDs(entries.map(\.uuid)) }
    tally.present = present.count
    let missing = entries.filter { !present.contains($0.uuid) }
    let bar = console.errIsTerminal && !missing.isEmpty ? ProgressBar(console: console) : nil
    var finished = false
    defer { if let bar, !finished { bar.end() } }
    var next = 0
    while next < missing.count {
      if interruption?.isRaised == true { return .interrupted }
      bar?.update(next, missing.count)
      var batch: [RunBundle] = []
      var bytes = 0
      while next < missing.count && batch.count < batchRuns && bytes < batchBytes {
        let chunk = missing[next..<min(next + readChunk, missing.count)].map(\.uuid)
        next += chunk.count
        let read = try failing { () throws(StoreError) in try source.bundles(uuids: chunk) }
        tally.selected -= chunk.count - read.count  // deleted for good (jvplab gc) since the listing
        for bundle in read { bytes += bundle.run.tensors.reduce(0) { $0 + ($1.data?.count ?? 0) } }
        batch += read
      }
      guard let counts = try insertWaiting(batch, into: target, lockWait: lockWait, interruption: interruption, console: console) else {
        return interruption?.isRaised == true ? .interrupted : .locked
      }
      tally.copied += counts.copied
      tally.present += counts.present
    }
    bar?.update(missing.count, missing.count)
    finished = true
    return nil
  }

  /// Inserts `batch`, each run in a transaction of its own, retrying while another process holds the
  /// target's write lock (runs committed before the lock stopped the batch are not copied twice); how
  /// many runs it copied and how many the target held already, or nil once `lockWait` has passed (or a
  /// signal asked to stop meanwhile).
  private static func insertWaiting(
    _ batch: [RunBundle], into target: any RunTransferStore, lockWait: TimeInterval, interruption: Interruption?, console: Console
  ) throws -> (copied: Int, present: Int)? {
    var deadline: Date?
    var pending = batch
    var copiedBeforeLock = 0
    while true {
      do throws(StoreError) {
        let results = try target.insert(pending)
        let copied = results.filter { if case .inserted = $0 { true } else { false } }.count
        return (copiedBeforeLock + copied, results.count - copied)
      } catch where error.code == .locked {
        // The batch's runs were missing when the copy began: those the target holds now went in before the lock.
        let stored = try failing { () throws(StoreError) in try target.presentUUIDs(pending.map(\.uuid)) }
        copiedBeforeLock += stored.count
        pending.removeAll { stored.contains($0.uuid) }
        let end = deadline ?? Date().addingTimeInterval(lockWait)
        if deadline == nil && lockWait > 0 {
          console.err("jvplab: \(target.location) is locked by another process: waiting up to \(seconds(lockWait)) for it (--lock-wait)\n")
        }
        deadline = end
        if Date() >= end || interruption?.isRaised == true { return nil }
        // SQLite's busy handler waited already; a lock reported at once must not spin.
        Thread.sleep(forTimeInterval: 0.05)
      } catch {
        throw LabFailure(error.message)
      }
    }
  }

  private static func failing<T>(_ body: () throws(StoreError) -> T) throws -> T {
    do {
      return try body()
    } catch {
      throw LabFailure(error.message)
    }
  }

  static func seconds(_ value: TimeInterval) -> String { StoreRecorder.seconds(value) }
}
