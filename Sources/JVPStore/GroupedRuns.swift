import Dispatch
import Foundation
import GRDB

/// Records runs several to a transaction, their INSERTs executed on a writer thread of its own: a group is
/// committed once it holds `maxRuns` runs or has been open for `maxAge` seconds (a timer commits an idle
/// group), and by `flush()`, which every command calls on each way out.
///
/// One `BEGIN IMMEDIATE` … `COMMIT` per run was two thirds of recording a small run; a group pays it once.
/// Opening a group takes the write lock and reads the next run id, so `record` hands each run its id at
/// once and leaves its INSERTs to the writer thread while the caller computes the next run (on two cores
/// the two overlap). The queue is bounded by the group: a group that is full is committed before
/// `record` returns, and the next one opens only once the writer has caught up. Each run is a savepoint
/// inside the group, so a run SQLite refuses (a missing parent) rolls back alone. A process killed with a
/// group open loses that group, at most `maxRuns` runs or `maxAge` seconds of them; each run is still
/// whole or absent. While a group is open this process holds the write lock, so other writers wait at
/// most `maxAge` (well inside their busy timeout); readers never wait.
public final class GroupedRuns: RunGroup, @unchecked Sendable {
  public typealias Bounds = RunGroupBounds

  public let store: RunStore
  public let bounds: Bounds
  private let writer: DatabaseQueue
  /// Runs every write of the group in the order `record` handed them over: the writer thread.
  private let queue = DispatchQueue(label: "jvplab.grouped-runs", qos: .userInitiated)
  /// The most runs the writer inserts together (`RunWriter.maxRunsPerInsert`), when it has fallen behind.
  private static let batchSize = RunWriter.maxRunsPerInsert

  /// Guards the state below, which the recording thread, the writer thread, the timer and a signal
  /// handler share.
  private let lock = NSLock()
  /// Whether `record` may add runs to the open group, with ids from `nextID`.
  private var accepting = false
  private var nextID: Int64 = 0
  /// Runs handed to the open group so far.
  private var given = 0
  private var opened = DispatchTime.now()
  /// Counts groups, so that a timer set for an earlier group leaves the current one alone.
  private var generation = 0
  /// Whether the connection holds an open group (from its BEGIN until its COMMIT or its loss).
  private var holding = false
  /// The first write that failed on the writer thread, thrown by the next `record` or `flush`.
  private var failure: StoreError?
  /// A group SQLite lost: why, and the pending files its runs were saved in.
  private var lost: (cause: String, files: [String])?
  /// What the writer thread has yet to do, in order; it takes them all at once.
  private var tasks: [Task] = []

  /// The open group's runs, kept until its commit so that a lost group can save them to pending files.
  /// Only the writer thread touches it, and `prepared`.
  private var runs: [NewRun] = []
  private let prepared = PreparedInserts()

  init(store: RunStore, writer: DatabaseQueue, bounds: Bounds) {
    self.store = store
    self.writer = writer
    self.bounds = bounds
    runs.reserveCapacity(bounds.maxRuns)
    queue.setSpecific(key: Self.writerThread, value: true)
  }

  deinit {
    // Nothing can be handed over any more; the writer may be finishing the last tasks, or be this very thread
    // (when the drain that ran them held the last reference). Self must not escape here, so no `flush`.
    if DispatchQueue.getSpecific(key: Self.writerThread) == nil { queue.sync {} }
    commitQueued()
    prepared.removeAll()
  }

  /// Marks `queue`, so that `deinit` knows when it runs on the writer thread.
  private static let writerThread = DispatchSpecificKey<Bool>()

  /// Whether runs are waiting for their group's commit.
  public var hasOpenGroup: Bool { lock.withLock { holding } }

  /// Hands `run` to the open group (opening one, which may wait for the write lock) and returns its id.
  ///
  /// The INSERTs run on the writer thread; a failure there is thrown by the next `record` (which then saves
  /// its own run in a pending file) or `flush`. A run with a parent or a maker, which SQLite may refuse, is
  /// waited for, so that its refusal is thrown here and its id not used up. Throws `.locked` as
  /// `RunStore.record` does when no group was open and the lock stayed taken.
  public func record(_ run: NewRun) throws(StoreError) -> Int64 {
    try RunStore.validate(run)
    if let failed = takeFailure() {
      guard let file = try? store.savePending(run) else { throw failed }
      throw StoreError(failed.code, "\(failed.message); this run was saved in \(file) for the next jvplab command to merge")
    }
    let outcome = run.info.parent != nil || run.info.madeBy != nil ? Outcome() : nil
    var handed: (id: Int64, closes: Bool, group: Int)?
    while handed == nil {
      handed = lock.withLock { () -> (id: Int64, closes: Bool, group: Int)? in
        guard accepting else { return nil }
        let id = nextID
        nextID += 1
        given += 1
        let closes = given >= bounds.maxRuns || age >= bounds.maxAge
        if closes { accepting = false }
        // Handed over under the lock: the timer's commit cannot come between the id and the INSERT.
        hand(.run(run, id: id, outcome: outcome))
        if closes { hand(.commit) }
        return (id, closes, generation)
      }
      if handed == nil { try open() }
    }
    guard let handed else { preconditionFailure("a run was not handed to a group") }
    guard outcome != nil || handed.closes else { return handed.id }
    queue.sync {}
    if let error = outcome?.error {
      // The refused run's id is not used up: the next run takes it, as it would from SQLite.
      lock.withLock { if accepting, generation == handed.group, nextID == handed.id + 1 { nextID = handed.id } }
      throw error
    }
    try throwFailure()
    return handed.id
  }

  /// Commits the open group, if any, once the writer has caught up. Safe from any thread (a signal handler's).
  public func flush() throws(StoreError) {
    lock.withLock {
      guard accepting else { return }
      accepting = false
      hand(.commit)
    }
    queue.sync {}
    try throwFailure()
  }

  /// Seconds since the open group's BEGIN; read under `lock`.
  private var age: TimeInterval { Double(DispatchTime.now().uptimeNanoseconds - opened.uptimeNanoseconds) / 1e9 }

  /// Opens a group once the writer has caught up: takes the write lock and reads the id its first run gets.
  private func open() throws(StoreError) {
    let next = try store.guarded {
      try queue.sync {
        try writer.writeWithoutTransaction { db -> Int64 in
          try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
          do {
            return try Self.nextRunID(db)
          } catch {
            try? db.rollback()
            throw error
          }
        }
      }
    }
    let group = lock.withLock {
      accepting = true
      holding = true
      nextID = next
      given = 0
      opened = .now()
      generation += 1
      return generation
    }
    DispatchQueue.global().asyncAfter(deadline: .now() + bounds.maxAge) { [weak self] in self?.commitOnTimer(group) }
  }

  /// The id SQLite gives the next run: `runs.id` is AUTOINCREMENT, so one past the largest id the table ever
  /// held. Holding the write lock, nobody else takes it.
  private static func nextRunID(_ db: Database) throws -> Int64 {
    let sql = """
      SELECT max(ifnull((SELECT seq FROM sqlite_sequence WHERE name = 'runs'), 0), ifnull((SELECT max(id) FROM runs), 0)) + 1
      """
    return try Int64.fetchOne(db.cachedStatement(sql: sql)) ?? 1
  }

  /// Gives the writer thread `task`, after the ones before it; called under `lock`.
  private func hand(_ task: Task) {
    tasks.append(task)
    if tasks.count == 1 { queue.async { self.drain() } }
  }

  /// The writer thread's loop: does every task handed over so far, in order, runs that wait for nobody
  /// up to `batchSize` at a time.
  private func drain() {
    let taken = lock.withLock {
      defer { tasks = [] }
      return tasks
    }
    var start = taken.startIndex
    while start < taken.endIndex {
      guard case .run(let run, let id, let outcome) = taken[start] else {
        commitQueued()
        start += 1
        continue
      }
      if let outcome {
        write(run, id: id, outcome)
        start += 1
        continue
      }
      var batch: [(run: NewRun, id: Int64)] = [(run, id)]
      var end = start + 1
      while end < taken.endIndex, batch.count < Self.batchSize, case .run(let next, let nextID, .none) = taken[end] {
        batch.append((next, nextID))
        end += 1
      }
      do {
        try store.guarded { try writer.writeWithoutTransaction { db in try insert(batch, db) } }
      } catch {
        fail(error)
      }
      start = end
    }
  }

  /// A run `record` waits for: a refusal goes to `outcome`.
  private func write(_ run: NewRun, id: Int64, _ outcome: Outcome) {
    do {
      try store.guarded {
        try writer.writeWithoutTransaction { db in
          try RunStore.explainingParent(of: run, in: store.path) { try insert(run, id: id, db) }
        }
      }
    } catch {
      outcome.error = error
    }
  }

  /// Runs nobody waits for, in one savepoint; when SQLite refuses the batch, each run again in a savepoint of
  /// its own, and a run it refuses goes to a pending file (the next `record` or `flush` says why).
  private func insert(_ batch: [(run: NewRun, id: Int64)], _ db: Database) throws {
    guard db.isInsideTransaction else {
      for (run, _) in batch { try keepLost(run, cause: nil) }
      return
    }
    try db.cachedStatement(sql: "SAVEPOINT runs").execute()
    do {
      try RunWriter.insert(batch, limit: store.options.maxStoredElements, into: db, prepared: prepared)
      try db.cachedStatement(sql: "RELEASE runs").execute()
      runs.append(contentsOf: batch.lazy.map(\.run))
      return
    } catch {
      guard db.isInsideTransaction else {
        // SQLite rolled the whole group back (a full disk, an I/O error): its runs go to pending files.
        runs.append(contentsOf: batch.lazy.map(\.run))
        return try rescue(after: error)
      }
      try db.cachedStatement(sql: "ROLLBACK TO runs").execute()
      try db.cachedStatement(sql: "RELEASE runs").execute()
      guard batch.count > 1 else { return try keepLost(batch[0].run, cause: error) }
    }
    for (run, id) in batch {
      do {
        try insert(run, id: id, db)
      } catch {
        guard db.isInsideTransaction else { return try rescue(after: error) }
        try keepLost(run, cause: error)
      }
    }
  }

  /// `run` inside a savepoint: when SQLite refuses it, the group's earlier runs stay.
  private func insert(_ run: NewRun, id: Int64, _ db: Database) throws {
    // The group is gone (SQLite rolled it back): the runs handed to it since go to pending files too.
    guard db.isInsideTransaction else { return try keepLost(run, cause: nil) }
    try db.cachedStatement(sql: "SAVEPOINT run").execute()
    do {
      _ = try RunWriter.insert(run, id: id, limit: store.options.maxStoredElements, into: db)
      try db.cachedStatement(sql: "RELEASE run").execute()
      runs.append(run)
    } catch {
      guard db.isInsideTransaction else {
        // SQLite rolled the whole group back (a full disk, an I/O error): its runs go to pending files.
        runs.append(run)
        try rescue(after: error)
        return
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
      try rescue(after: error)
    }
  }

  /// The commit `flush` and the timer queue behind the runs handed over before them.
  private func commitQueued() {
    do {
      try store.guarded { try writer.writeWithoutTransaction { db in try commit(db) } }
    } catch {
      fail(error)
    }
  }

  private func close() {
    runs.removeAll(keepingCapacity: true)
    lock.withLock { holding = false }
  }

  /// After the group was lost: saves its runs beside the database, for the next command to merge.
  private func rescue(after error: any Error) throws {
    let saved = runs
    close()
    for run in saved { try keepLost(run, cause: error) }
  }

  /// Saves a run SQLite did not take in a pending file, named with `cause` by what the next `record` or
  /// `flush` throws.
  private func keepLost(_ run: NewRun, cause: (any Error)?) throws {
    let file = try store.savePending(run)
    let reason = cause.map { StoreError($0, path: store.path).message } ?? "\(store.path): the open group of runs was rolled back"
    lock.withLock {
      if lost == nil { lost = (reason, []) }
      lost?.files.append(file)
    }
  }

  private func fail(_ error: StoreError) {
    lock.withLock { if failure == nil { failure = error } }
  }

  private func commitOnTimer(_ group: Int) {
    lock.withLock {
      guard group == generation, accepting else { return }
      accepting = false
      hand(.commit)
    }
  }

  private func throwFailure() throws(StoreError) {
    if let failed = takeFailure() { throw failed }
  }

  /// The failure the writer thread met since the last call, if any, and forgets it.
  private func takeFailure() -> StoreError? {
    lock.withLock { () -> StoreError? in
      defer {
        failure = nil
        lost = nil
      }
      if let failure { return failure }
      guard let lost else { return nil }
      let count = lost.files.count
      return StoreError(
        .sqlite,
        "\(lost.cause); the \(count) run\(count == 1 ? "" : "s") it could not record \(count == 1 ? "was" : "were") saved in "
          + "\(lost.files.joined(separator: ", ")) for the next jvplab command to merge")
    }
  }
}

/// A step of the writer thread: a run to insert (its refusal told to `outcome` when `record` waits for it),
/// or the group's COMMIT.
private enum Task {
  case run(NewRun, id: Int64, outcome: Outcome?)
  case commit
}

/// What became of a run `record` waits for: nil, or the error SQLite refused it with.
private final class Outcome: @unchecked Sendable {
  var error: StoreError?
}

extension RunStore {
  /// A writer that records runs in groups of at most `bounds` (see `GroupedRuns`); nil for a read-only store.
  public func groupedRuns(_ bounds: RunGroupBounds) -> (any RunGroup)? {
    writer.map { GroupedRuns(store: self, writer: $0, bounds: bounds) }
  }
}
