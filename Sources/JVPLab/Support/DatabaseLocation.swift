import Foundation
import JVPStore

/// Which database a command uses: `--db`, else `$JVPLAB_DB`, else `./jvplab.db`: an SQLite file's path,
/// or a `postgresql://` URL for a PostgreSQL server.
public enum DatabaseLocation {
  public static func resolve(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let option, !option.isEmpty { return option }
    if let variable = environment["JVPLAB_DB"], !variable.isEmpty { return variable }
    return "jvplab.db"
  }

  /// `argument` with the password of a PostgreSQL URL in it masked: what a recorded command line keeps.
  public static func masked(_ argument: String) -> String {
    if let start = argument.range(of: "postgresql://") ?? argument.range(of: "postgres://") {
      return String(argument[..<start.lowerBound]) + PostgresURL.masked(String(argument[start.lowerBound...]))
    }
    return argument
  }

  /// Seconds SQLite waits for another process's write lock before a write gives up:
  /// `$JVPLAB_BUSY_TIMEOUT` (tests make it short), else 10.
  static func busyTimeout(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> TimeInterval {
    environment["JVPLAB_BUSY_TIMEOUT"].flatMap(TimeInterval.init).flatMap { $0 >= 0 && $0.isFinite ? $0 : nil } ?? 10
  }

  /// Opens the store, turning its errors into usage failures that name the path, and merges the
  /// runs waiting in pending files beside it (see `PendingRuns`), saying how many on `console`.
  ///
  /// A read-only command merges only when it can without waiting (it never holds up a writer), on a
  /// writing connection of its own that it closes before reading, so that no `-wal` is left behind.
  static func open(_ path: String, mode: StoreAccessMode, storeLimit: Int? = nil, console: Console) throws -> any ExperimentStore {
    if PostgresURL.isPostgres(path) {
      do throws(StoreError) {
        return try PostgresStore.open(url: path, mode: mode, maxStoredElements: storeLimit ?? RunStore.Options().maxStoredElements)
      } catch {
        throw LabFailure(error.message)
      }
    }
    var options = RunStore.Options()
    if let storeLimit { options.maxStoredElements = storeLimit }
    options.busyTimeout = busyTimeout()
    let waiting = PendingRuns(databasePath: path).paths().count
    if waiting > 0 && mode == .readOnly {
      // The usual errors first: a missing database must stay missing.
      _ = try openStore(path, mode: .readOnly, options: options)
      var writing = options
      writing.busyTimeout = 0
      merge(waiting, into: path, console: console) { () throws(StoreError) in
        try RunStore.open(path: path, mode: .readWrite, options: writing)
      }
    }
    let store = try openStore(path, mode: mode, options: options)
    if waiting > 0 && mode == .readWrite {
      merge(waiting, into: path, console: console) { store }
    }
    return store
  }

  private static func openStore(_ path: String, mode: RunStore.AccessMode, options: RunStore.Options) throws -> RunStore {
    do throws(StoreError) {
      return try RunStore.open(path: path, mode: mode, options: options)
    } catch {
      throw LabFailure(error.message)
    }
  }

  /// Merges the pending runs through the store `writer` opens; a failure leaves them for later, with a note.
  private static func merge(_ waiting: Int, into path: String, console: Console, _ writer: () throws(StoreError) -> RunStore) {
    do throws(StoreError) {
      let merge = try writer().mergePending()
      if let first = merge.merged.first, let last = merge.merged.last {
        let runs = merge.merged.count == 1 ? "run (now run \(first))" : "runs (now runs \(first)-\(last))"
        console.err("jvplab: merged \(merge.merged.count) pending \(runs) into \(path)\n")
      }
      for problem in merge.unreadable { console.err("jvplab: note: \(problem)\n") }
    } catch {
      let runs = waiting == 1 ? "1 pending run waits" : "\(waiting) pending runs wait"
      console.err("jvplab: note: \(runs) beside \(path) to be merged: \(error.message)\n")
    }
  }
}
