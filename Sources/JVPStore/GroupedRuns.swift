import Dispatch
import Foundation
import GRDB

/// Records runs several to a transaction: a group is committed once it holds `maxRuns` runs or has been
/// open for `maxAge` seconds (a timer commits an idle group), and by `flush()`, which every command
/// calls on each way out.
///
/// One `BEGIN IMMEDIATE` … `COMMIT` per run was two thirds of recording a small run; a group pays it once.
/// Each run is a savepoint inside the group, so a run SQLite refuses (a missing parent) rolls back alone.
/// A process killed with a group open loses that group, at most `maxRuns` runs or `maxAge` seconds of
/// them; each run is still whole or absent. While a group is open this process holds the write lock, so
/// other writers wait at most `maxAge` (well inside their busy timeout); readers never wait.
public final class GroupedRuns: RunGroup, @unchecked Sendable {
  public typealias Bounds = RunGroupBounds

  public let store: RunStore
  public let bounds: Bounds
  private let writer: DatabaseQueue
  /// Guards `isOpen` and `failure`, which the timer and a signal handler read from other threads. The
  /// rest of the state changes only inside the writer's serial queue.
  private let lock = NSLock()
  private var isOpen = false
  /// A commit that failed on the timer's thread, thrown by the next `record` or `flush`.
  private var failure: StoreError?
  /// The open group's runs, kept until its commit so that a failed commit can save them to pending files.
  private var runs: [NewRun] = []
  private var opened = DispatchTime.now()
  /// Counts groups, so that a timer set for an earlier group leaves the current one alone.
  private var generation = 0

  init(store: RunStore, writer: DatabaseQueue, bounds: Bounds) {
    self.store = store
    self.writer = writer
    self.bounds = bounds
    runs.reserveCapacity(bounds.maxRuns)
  }

  deinit {
    try? flush()
  }

  /// Whether runs are waiting for their group's commit.
  public var hasOpenGroup: Bool { lock.withLock { isOpen } }

  /// Writes `run` into the open group (opening one, which may wait for the write lock) and returns its id.
  ///
  /// Throws `.locked` as `RunStore.record` does when no group was open and the lock stayed taken.
  public func record(_ run: NewRun) throws(StoreError) -> Int64 {
    try throwFailure()
    try RunStore.validate(run)
    return try store.guarded {
      try RunStore.explainingParent(of: run, in: store.path) {
        try writer.writeWithoutTransaction { db in
          if !db.isInsideTransaction { try open(db) }
          let id = try insert(run, db)
          runs.append(run)
          if runs.count >= bounds.maxRuns || age >= bounds.maxAge { try commit(db) }
          return id
        }
      }
    }
  }

  /// Commits the open group, if any. Safe from any thread (a signal handler's, the timer's).
  public func flush() throws(StoreError) {
    try throwFailure()
    guard hasOpenGroup else { return }
    try store.guarded { try writer.writeWithoutTransaction { db in try commit(db) } }
  }

  private var age: TimeInterval { Double(DispatchTime.now().uptimeNanoseconds - opened.uptimeNanoseconds) / 1e9 }

  private func open(_ db: Database) throws {
    try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
    opened = .now()
    generation += 1
    lock.withLock { isOpen = true }
    let group = generation
    DispatchQueue.global().asyncAfter(deadline: opened + bounds.maxAge) { [weak self] in self?.commitOnTimer(group) }
  }

  /// `run` inside a savepoint: when SQLite refuses it, the group's earlier runs stay.
  private func insert(_ run: NewRun, _ db: Database) throws -> Int64 {
    try db.cachedStatement(sql: "SAVEPOINT run").execute()
    do {
      let id = try RunWriter.insert(run, limit: store.options.maxStoredElements, into: db)
      try db.cachedStatement(sql: "RELEASE run").execute()
      return id
    } catch {
      guard db.isInsideTransaction else {
        // SQLite rolled the whole group back (a full disk, an I/O error): its earlier runs go to pending files.
        try rescue(db, after: error)
        throw error
      }
      try db.cachedStatement(sql: "ROLLBACK TO run").execute()
      try db.cachedStatement(sql: "RELEASE run").execute()
      throw error
    }
  }

  /// Ends the open group with COMMIT; when that fails, its runs are saved to pending files.
  private func commit(_ db: Database) throws {
    guard db.isInsideTransaction else { return close() }
    do {
      try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
      close()
    } catch {
      try? db.rollback()
      try rescue(db, after: error)
      throw error
    }
  }

  private func close() {
    runs.removeAll(keepingCapacity: true)
    lock.withLock { isOpen = false }
  }

  /// After the group was lost: saves its runs beside the database, for the next command to merge.
  private func rescue(_ db: Database, after error: any Error) throws {
    let lost = runs
    close()
    guard !lost.isEmpty else { return }
    var files: [String] = []
    for run in lost { files.append(try store.savePending(run)) }
    throw StoreError(
      .sqlite,
      "\(store.path): \(StoreError(error, path: store.path).message); the \(lost.count) run\(lost.count == 1 ? "" : "s") "
        + "written since the last commit \(lost.count == 1 ? "was" : "were") saved in \(files.joined(separator: ", ")) "
        + "for the next jvplab command to merge")
  }

  private func commitOnTimer(_ group: Int) {
    do {
      try store.guarded {
        try writer.writeWithoutTransaction { db in
          if group == generation { try commit(db) }
        }
      }
    } catch {
      lock.withLock { if failure == nil { failure = error } }
    }
  }

  private func throwFailure() throws(StoreError) {
    let failed = lock.withLock { () -> StoreError? in
      defer { failure = nil }
      return failure
    }
    if let failed { throw failed }
  }
}

extension RunStore {
  /// A writer that records runs in groups of at most `bounds` (see `GroupedRuns`); nil for a read-only store.
  public func groupedRuns(_ bounds: RunGroupBounds) -> (any RunGroup)? {
    writer.map { GroupedRuns(store: self, writer: $0, bounds: bounds) }
  }
}
