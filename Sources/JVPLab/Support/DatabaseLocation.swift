import Foundation
import JVPStore

/// Which database a command uses: `--db`, else `$JVPLAB_DB`, else `./jvplab.db`.
public enum DatabaseLocation {
  public static func resolve(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let option, !option.isEmpty { return option }
    if let variable = environment["JVPLAB_DB"], !variable.isEmpty { return variable }
    return "jvplab.db"
  }

  /// Seconds SQLite waits for another process's write lock before a write gives up:
  /// `$JVPLAB_BUSY_TIMEOUT` (tests make it short), else 10.
  static func busyTimeout(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> TimeInterval {
    environment["JVPLAB_BUSY_TIMEOUT"].flatMap(TimeInterval.init).flatMap { $0 >= 0 && $0.isFinite ? $0 : nil } ?? 10
  }

  /// Opens the store, turning its errors into usage failures that name the path, and merges the
  /// runs waiting in pending files beside it (see `PendingRuns`), saying how many on `console`.
  ///
  /// A read-only command merges only when it can without waiting: it never holds up a writer.
  static func open(_ path: String, mode: RunStore.AccessMode, storeLimit: Int? = nil, console: Console) throws -> RunStore {
    var options = RunStore.Options()
    if let storeLimit { options.maxStoredElements = storeLimit }
    options.busyTimeout = busyTimeout()
    let store: RunStore
    do throws(StoreError) {
      store = try RunStore.open(path: path, mode: mode, options: options)
    } catch {
      throw LabFailure(error.message)
    }
    let waiting = PendingRuns(databasePath: path).paths().count
    guard waiting > 0 else { return store }
    do throws(StoreError) {
      var merger = store
      if mode == .readOnly {
        options.busyTimeout = 0
        merger = try RunStore.open(path: path, mode: .readWrite, options: options)
      }
      let merge = try merger.mergePending()
      if let first = merge.merged.first, let last = merge.merged.last {
        let runs = merge.merged.count == 1 ? "run (now run \(first))" : "runs (now runs \(first)-\(last))"
        console.err("jvplab: merged \(merge.merged.count) pending \(runs) into \(path)\n")
      }
      for problem in merge.unreadable { console.err("jvplab: note: \(problem)\n") }
    } catch {
      let runs = waiting == 1 ? "1 pending run waits" : "\(waiting) pending runs wait"
      console.err("jvplab: note: \(runs) beside \(path) to be merged: \(error.message)\n")
    }
    return store
  }
}
