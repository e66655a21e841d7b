import Foundation
import JVPStore

/// `jvplab gc [--older-than 30d]`: deletes removed runs for good and gives their space back.
public enum GarbageCollection {
  /// Seconds in a duration such as `30d`, `12h`, `90m`, `45s` or `2w` (a bare number is days); nil if malformed.
  public static func seconds(_ text: String) -> TimeInterval? {
    let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
    var number = Substring(text)
    var unit: TimeInterval = 86400
    if let last = text.last, let scale = units[last] {
      number = number.dropLast()
      unit = scale
    }
    guard let value = Double(number), value >= 0, value.isFinite, number.allSatisfy({ $0.isNumber || $0 == "." }) else { return nil }
    return value * unit
  }

  /// Deletes the runs removed at least `olderThan` seconds ago (every removed run when nil) and reports
  /// how many runs and bytes went on stderr.
  public static func run(olderThan: TimeInterval?, database: String, console: Console) -> ExitStatus {
    var done = 0
    let bar = console.errIsTerminal ? ProgressBar(console: console) : nil
    return Lifecycle.perform(database, console: console) { store in
      let cutoff = olderThan.map { Date().addingTimeInterval(-$0) }
      let report: GarbageReport
      do {
        report = try store.collectGarbage(removedBefore: cutoff) { finished, total in
          done = finished
          if total >= 5000 { bar?.update(finished, total) }
        }
      } catch let error as StoreError where error.code == .locked {
        let so = done == 0 ? "nothing was deleted" : "\(done) runs were deleted for good before it stopped"
        throw LabFailure("gc stopped: \(error.message); \(so), the rest stay removed: run jvplab gc again")
      }
      for (run, child) in report.kept {
        console.err("jvplab: note: kept run \(run): replay run \(child) stays and links to it (remove run \(child) too to delete it)\n")
      }
      let runs = report.runs == 1 ? "1 run" : "\(report.runs) runs"
      let shared = report.sharedData == 0 ? "" : " and \(report.sharedData) shared tensor data"
      let space =
        report.reclaimed
        ? "freed \(bytes(report.freedBytes)) (the database went from \(bytes(report.databaseBytesBefore)) to \(bytes(report.databaseBytesAfter)))"
        : "freed \(bytes(report.freedBytes)) inside the file, which new runs reuse "
          + "(a database made before jvplab gc keeps its size: see docs/cli.md#jvplab-gc)"
      console.err("jvplab: gc deleted \(runs)\(shared) from \(store.path) for good; \(space)\n")
    }
  }

  /// `512 B`, `4.2 KB`, `1.3 MB`, `2.0 GB` (powers of 1000, as `ls -h --si`).
  static func bytes(_ count: Int64) -> String {
    let value = Double(count)
    switch value {
    case ..<1000: return "\(count) B"
    case ..<1e6: return String(format: "%.1f KB", value / 1e3)
    case ..<1e9: return String(format: "%.1f MB", value / 1e6)
    default: return String(format: "%.1f GB", value / 1e9)
    }
  }
}
