import GRDB
import JVPMigrations

/// What a database file holds, as far as jvplab's schema goes.
enum SchemaState: Equatable {
  /// No tables: a new database, to be given the whole schema.
  case empty
  /// Every migration this build knows is applied, and no other.
  case current
  /// Some known migrations are missing; `applied` is the newest known one that is there.
  case outdated(applied: String)
  /// Migrations this build does not know are applied; `applied` is the newest of them.
  case newer(applied: String)
  /// Tables that are not jvplab's: another application's database.
  case foreign(tables: [String])
}

/// Applies the SQL files of `JVPMigrations` and records them in GRDB's `grdb_migrations` table.
///
/// Not GRDB's `DatabaseMigrator`, which commits each migration on its own: an upgrade here runs
/// every pending migration in a single `BEGIN IMMEDIATE` transaction, so a database is always at
/// one shipped version, and concurrent openers of a new file wait for the first one's schema.
/// Foreign keys are off during the transaction (SQLite's procedure for rebuilding a table) and
/// checked before commit.
struct SchemaMigrator {
  var migrations: [Migrations.Migration] = Migrations.all

  /// The identifier of the newest migration: the version this build reads and writes.
  var currentVersion: String { migrations.last?.identifier ?? "none" }

  func state(_ db: Database) throws -> SchemaState {
    let tables = try String.fetchAll(
      db,
      sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
    let others = tables.filter { $0 != "grdb_migrations" }
    guard tables.contains("grdb_migrations") else { return others.isEmpty ? .empty : .foreign(tables: others) }
    let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
    let known = migrations.map(\.identifier)
    // Every jvplab database has the first migration: without it, the migrations are another app's.
    guard let first = known.first, applied.contains(first) else {
      return others.isEmpty ? .empty : .foreign(tables: others)
    }
    if let newest = applied.last(where: { !known.contains($0) }) { return .newer(applied: newest) }
    let newestKnown = applied.last ?? first
    return applied.count == known.count ? .current : .outdated(applied: newestKnown)
  }

  /// Brings an `.empty` or `.outdated` database to the current schema in one transaction.
  ///
  /// Returns `.current`, or the `.newer` or `.foreign` state found once the write lock was held:
  /// another process may have changed the file since the caller looked.
  func upgrade(_ db: Database) throws -> SchemaState {
    try db.execute(sql: "PRAGMA foreign_keys = OFF")
    do {
      var found = SchemaState.current
      try db.inTransaction(.immediate) {
        found = try state(db)
        switch found {
        case .current, .newer, .foreign:
          return .commit
        case .empty, .outdated:
          break
        }
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
        let applied = try Set(String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
        for migration in migrations where !applied.contains(migration.identifier) {
          try db.execute(sql: migration.sql)
          try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [migration.identifier])
        }
        if let violation = try Row.fetchOne(db, sql: "PRAGMA foreign_key_check") {
          throw DatabaseError(
            resultCode: .SQLITE_CONSTRAINT_FOREIGNKEY,
            message: "the upgrade to \(currentVersion) breaks a foreign key: \(violation)")
        }
        found = .current
        return .commit
      }
      try db.execute(sql: "PRAGMA foreign_keys = ON")
      return found
    } catch {
      try? db.execute(sql: "PRAGMA foreign_keys = ON")
      throw error
    }
  }
}

extension StoreError {
  /// The one-line refusal of a schema this build cannot use as it is (older on a read-only open, newer,
  /// or another application's tables), in the same words on every engine; `empty`, each engine's own
  /// words, for a store without a schema; nil for `.current`.
  static func schema(
    _ state: SchemaState, of store: String, engine: String, currentVersion: String, whenEmpty empty: StoreError
  ) -> StoreError? {
    switch state {
    case .current:
      return nil
    case .empty:
      return empty
    case .outdated(let applied):
      return StoreError(
        .olderSchema,
        "\(store) has schema \(applied), older than this jvplab's \(currentVersion); a command that records runs (jvplab run) upgrades it")
    case .newer(let applied):
      return StoreError(
        .newerSchema,
        "\(store) was written by a newer jvplab: its schema is \(applied), this jvplab knows up to \(currentVersion); upgrade jvplab to open it")
    case .foreign(let tables):
      let listed = tables.prefix(5).joined(separator: ", ") + (tables.count > 5 ? ", ..." : "")
      return StoreError(.notJVPLab, "\(store) is \(engine) database but not a jvplab one (it has tables \(listed))")
    }
  }
}
