import Foundation
import JVPStore

/// The two sides of `jvplab push` and `jvplab pull`: a store named by a path (SQLite) or a
/// `postgresql://` URL.
enum SyncEndpoint {
  /// Opens the store at `location` for copying runs out of (`.readOnly`) or into (`.readWrite`).
  ///
  /// `createIfMissing` lets a copy into a missing SQLite file create it (as `jvplab run` does); without it,
  /// a missing target is an error, so a mistyped path does not become an empty database.
  static func open(
    _ location: String, mode: RunStore.AccessMode, createIfMissing: Bool, role: String, console: Console
  ) throws -> any RunTransferStore {
    if PostgresURL.isPostgres(location) { return try DatabaseLocation.open(location, mode: mode, console: console) }
    if let scheme = serverScheme(location) {
      throw LabFailure("\(role) \(scheme)://...: jvplab stores runs in SQLite files and on PostgreSQL servers (postgresql://)")
    }
    if mode == .readWrite && !createIfMissing && !FileManager.default.fileExists(atPath: location) {
      throw LabFailure("\(role) \(location): no jvplab database there (--create makes a new one)")
    }
    return try DatabaseLocation.open(location, mode: mode, console: console)
  }

  /// The URL scheme of a server store's location (`postgresql`), nil for a file path.
  static func serverScheme(_ location: String) -> String? {
    guard let colon = location.range(of: "://") else { return nil }
    let scheme = String(location[..<colon.lowerBound])
    return scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) && !scheme.isEmpty ? scheme : nil
  }
}
