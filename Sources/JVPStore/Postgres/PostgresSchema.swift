import Foundation
import JVPMigrations
import PostgresNIO

/// Applies `Migrations.postgres` to a server database and records them in `jvplab_migrations`.
///
/// Every pending step runs in one transaction, after `pg_advisory_xact_lock`, so processes that race to
/// create the schema wait for the first one and then find it current. A database holding a step this
/// build does not know is refused, never changed.
enum PostgresSchema {
  /// Any constant: the advisory lock key every jvplab process takes to migrate.
  static let lockKey: Int64 = 0x6A76_706C_6162  // "jvplab"

  static var currentVersion: String { Migrations.postgres.last?.identifier ?? "none" }

  /// What the database holds, as `SchemaState` says of an SQLite file.
  static func state(_ connection: PostgresConnection) async throws -> SchemaState {
    let tableRows = try await connection.query(
      "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename", logger: PostgresSession.logger)
    var tables: [String] = []
    for try await (name) in tableRows.decode(String.self) { tables.append(name) }
    let others = tables.filter { $0 != "jvplab_migrations" }
    guard tables.contains("jvplab_migrations") else { return others.isEmpty ? .empty : .foreign(tables: others) }
    let appliedRows = try await connection.query(
      "SELECT identifier FROM jvplab_migrations ORDER BY identifier", logger: PostgresSession.logger)
    var applied: [String] = []
    for try await (identifier) in appliedRows.decode(String.self) { applied.append(identifier) }
    let known = Migrations.postgres.map(\.identifier)
    guard let first = known.first, applied.contains(first) else { return others.isEmpty ? .empty : .foreign(tables: others) }
    if let newest = applied.last(where: { !known.contains($0) }) { return .newer(applied: newest) }
    return applied.count == known.count ? .current : .outdated(applied: applied.last ?? first)
  }

  /// Brings an `.empty` or `.outdated` database to the current schema in one transaction; returns the state
  /// found under the lock (`.current` after an upgrade).
  static func upgrade(_ connection: PostgresConnection) async throws -> SchemaState {
    try await connection.withTransaction(logger: PostgresSession.logger) { connection in
      try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: PostgresSession.logger)
      let found = try await state(connection)
      switch found {
      case .current, .newer, .foreign: return found
      case .empty, .outdated: break
      }
      try await connection.query(
        "CREATE TABLE IF NOT EXISTS jvplab_migrations (identifier text COLLATE \"C\" PRIMARY KEY)", logger: PostgresSession.logger)
      let appliedRows = try await connection.query("SELECT identifier FROM jvplab_migrations", logger: PostgresSession.logger)
      var applied = Set<String>()
      for try await (identifier) in appliedRows.decode(String.self) { applied.insert(identifier) }
      for migration in Migrations.postgres where !applied.contains(migration.identifier) {
        for statement in statements(migration.sql) {
          try await connection.query(PostgresQuery(unsafeSQL: statement), logger: PostgresSession.logger)
        }
        try await connection.query(
          "INSERT INTO jvplab_migrations (identifier) VALUES (\(migration.identifier))", logger: PostgresSession.logger)
      }
      return .current
    }
  }

  /// A migration file's statements, one per extended-protocol query: comments dropped, split at `;`.
  /// The files hold no quoted `;` and no function bodies, which keeps this split exact.
  static func statements(_ sql: String) -> [String] {
    let code = sql.split(separator: "\n", omittingEmptySubsequences: false).map { line in
      line.range(of: "--").map { String(line[..<$0.lowerBound]) } ?? String(line)
    }.joined(separator: "\n")
    return code.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
  }
}
