import Foundation
import GRDB
import Testing

@testable import JVPMigrations
@testable import JVPStore

/// The schema's life: creation, upgrades from every shipped version, and refusal of files that
/// are not, or not yet, this build's jvplab databases.
@Suite struct SchemaTests {
  /// The schema as SQLite holds it, for comparing a fresh database with an upgraded one.
  private func schema(_ path: String) throws -> [String] {
    try rawDatabase(path).read { db in
      try String.fetchAll(db, sql: "SELECT type || ' ' || name || ': ' || ifnull(sql, '') FROM sqlite_master ORDER BY name")
    }
  }

  private func appliedMigrations(_ path: String) throws -> [String] {
    try rawDatabase(path).read { db in
      try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
    }
  }

  @Test func createsTheSchemaInAMissingFile() throws {
    try withDatabasePath { path in
      _ = try RunStore.open(path: path, mode: .readWrite)
      #expect(try appliedMigrations(path) == Migrations.all.map(\.identifier))
      let journalMode = try rawDatabase(path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
      #expect(journalMode == "wal")
    }
  }

  /// Version 0 is an empty file; every later one is a database left by an older jvplab, with runs
  /// in it. So a new migration is covered here as soon as it is appended to `Migrations.all`.
  @Test(arguments: 0..<Migrations.all.count)
  func upgradesFromEveryEarlierVersion(applied: Int) throws {
    try withTemporaryDirectory { directory in
      let fresh = directory.appendingPathComponent("fresh.db").path
      let freshStore = try RunStore.open(path: fresh, mode: .readWrite)
      let older = try sampleRun(kind: "vjp", tags: ["model": "old"])
      let olderID = try freshStore.record(older)

      let path = directory.appendingPathComponent("old.db").path
      #expect(FileManager.default.createFile(atPath: path, contents: nil))
      if applied > 0 {
        let old = SchemaMigrator(migrations: Array(Migrations.all.prefix(applied)))
        #expect(try rawDatabase(path).barrierWriteWithoutTransaction(old.upgrade) == .current)
        // The rows this jvplab writes, which are the ones every earlier version wrote as long as
        // no migration changes the columns; one that does needs rows written here by hand.
        let id = try rawDatabase(path).write { db in
          // v0006 added `transform` and `made_by`: before it, the row is written as it was then, without them.
          let columnsAdded = applied < 6
          if columnsAdded { try db.execute(sql: "ALTER TABLE runs ADD COLUMN transform TEXT; ALTER TABLE runs ADD COLUMN made_by INTEGER") }
          // v0008 added `uuid`, likewise.
          if applied < 8 { try db.execute(sql: "ALTER TABLE runs ADD COLUMN uuid TEXT") }
          let id = try RunWriter.insert(older, limit: .max, into: db)
          if columnsAdded { try db.execute(sql: "ALTER TABLE runs DROP COLUMN transform; ALTER TABLE runs DROP COLUMN made_by") }
          if applied < 8 { try db.execute(sql: "ALTER TABLE runs DROP COLUMN uuid") }
          return id
        }
        #expect(id == olderID)
        // A read-only command (query, show) upgrades a file it can write, then reads it.
        let reader = try RunStore.open(path: path, mode: .readOnly)
        #expect(try appliedMigrations(path) == Migrations.all.map(\.identifier))
        // Equal but for the UUID, which the upgrade gave the old run at random.
        #expect(try reader.run(id: olderID)?.withoutUUID == freshStore.run(id: olderID)?.withoutUUID)
      } else {
        let error = #expect(throws: StoreError.self) { try RunStore.open(path: path, mode: .readOnly) }
        #expect(error?.code == .notJVPLab)
      }

      let store = try RunStore.open(path: path, mode: .readWrite)
      #expect(try appliedMigrations(path) == Migrations.all.map(\.identifier))
      #expect(try schema(path) == schema(fresh))
      if applied > 0 {
        #expect(try store.run(id: olderID)?.withoutUUID == freshStore.run(id: olderID)?.withoutUUID)
        #expect(try store.runs(matching: RunQuery(filter: "kind = vjp and numel.in = 4 and tag.model = old")).map(\.id) == [olderID])
      }
      let id = try store.record(try sampleRun())
      #expect(id == (applied > 0 ? olderID + 1 : 1))
      #expect(try store.run(id: id)?.kind == "jvp")
      #expect(try store.runs(matching: RunQuery(filter: "numel.out = 2")).map(\.id) == (applied > 0 ? [id, olderID] : [id]))
    }
  }

  /// v0002 drops the indexes no query needs (each costs pages per recorded run) and keeps the rest;
  /// v0004 adds the digest index of shared data, which the writer looks up (for data of 64 KiB or more only);
  /// v0006 the partial index behind `transform ~ "vmap(*"`, and the one gc's foreign-key checks on `made_by` use.
  /// v0007 adds partial indexes for removed runs, sweep points and shared data by tensor (for gc), and the grid's;
  /// v0008 the unique indexes of run and sweep UUIDs.
  @Test func theSchemaIndexesWhatQueriesUse() throws {
    try withDatabasePath { path in
      _ = try RunStore.open(path: path, mode: .readWrite)
      let indexes = try rawDatabase(path).read { db in
        try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
      }
      #expect(indexes == [
        "checks_name_max_abs", "grid_key_value", "runs_deleted", "runs_fn", "runs_made_by", "runs_name", "runs_parent",
        "runs_script", "runs_seed", "runs_started", "runs_sweep", "runs_transform", "runs_uuid", "sweeps_uuid", "tags_key_value", "tensor_data_digest", "tensors_data",
        "tensors_run", "timings_phase_median",
      ])
    }
  }

  @Test func anUpgradeIsOneTransaction() throws {
    try withDatabasePath { path in
      let broken = Migrations.Migration(identifier: "v9999_broken", sql: "CREATE TABLE extra (a); SELECT * FROM missing")
      let migrator = SchemaMigrator(migrations: Migrations.all + [broken])
      #expect(throws: DatabaseError.self) { try rawDatabase(path).barrierWriteWithoutTransaction(migrator.upgrade) }
      // Nothing of the good migrations stayed either.
      #expect(try rawDatabase(path).read(SchemaMigrator().state) == .empty)
      let foreignKeys = try rawDatabase(path).read { try Bool.fetchOne($0, sql: "PRAGMA foreign_keys") }
      #expect(foreignKeys == true)
    }
  }

  @Test func refusesADatabaseFromANewerJVPLab() throws {
    try withDatabasePath { path in
      _ = try RunStore.open(path: path, mode: .readWrite)
      try rawDatabase(path).write { db in
        try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9999_future')")
      }
      for mode in [RunStore.AccessMode.readWrite, .readOnly] {
        let error = #expect(throws: StoreError.self) { try RunStore.open(path: path, mode: mode) }
        #expect(error?.code == .newerSchema)
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains("v9999_future") == true)
        #expect(error?.message.contains(Migrations.all.last?.identifier ?? "?") == true)
      }
      #expect(try appliedMigrations(path).last == "v9999_future")
    }
  }

  @Test func refusesAFileThatIsNotSQLite() throws {
    try withDatabasePath { path in
      let text = Data("these are not the runs you are looking for\n".utf8)
      #expect(FileManager.default.createFile(atPath: path, contents: text))
      for mode in [RunStore.AccessMode.readWrite, .readOnly] {
        let error = #expect(throws: StoreError.self) { try RunStore.open(path: path, mode: mode) }
        #expect(error?.code == .notSQLite)
        #expect(error?.message == "\(path) is not a jvplab database: it is not an SQLite file")
      }
      #expect(FileManager.default.contents(atPath: path) == text)
    }
  }

  @Test func refusesAnotherApplicationsDatabase() throws {
    try withDatabasePath { path in
      try rawDatabase(path).write { db in
        try db.execute(sql: "CREATE TABLE players (id INTEGER PRIMARY KEY, name TEXT)")
      }
      for mode in [RunStore.AccessMode.readWrite, .readOnly] {
        let error = #expect(throws: StoreError.self) { try RunStore.open(path: path, mode: mode) }
        #expect(error?.code == .notJVPLab)
        #expect(error?.message.contains("players") == true)
      }
      // Refused untouched: not even switched to WAL.
      #expect(try rawDatabase(path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "delete")
      // Another GRDB application's migrations are not jvplab's either.
      try rawDatabase(path).write { db in
        try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
        try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('createPlayers')")
      }
      let error = #expect(throws: StoreError.self) { try RunStore.open(path: path, mode: .readWrite) }
      #expect(error?.code == .notJVPLab)
      let tables = try rawDatabase(path).read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master") }
      #expect(Set(tables) == ["players", "grdb_migrations", "sqlite_autoindex_grdb_migrations_1"])
    }
  }

  @Test func readOnlyOnAMissingDatabaseCreatesNothing() throws {
    try withTemporaryDirectory { directory in
      let path = directory.appendingPathComponent("jvplab.db").path
      let error = #expect(throws: StoreError.self) { try RunStore.open(path: path, mode: .readOnly) }
      #expect(error?.code == .missingDatabase)
      #expect(error?.message.contains(path) == true)
      let contents = try FileManager.default.contentsOfDirectory(atPath: directory.path)
      #expect(contents.isEmpty)
    }
  }

  @Test func aPathInAMissingDirectoryIsNamed() throws {
    try withTemporaryDirectory { directory in
      let path = directory.appendingPathComponent("nowhere/jvplab.db").path
      for mode in [RunStore.AccessMode.readWrite, .readOnly] {
        let error = #expect(throws: StoreError.self) { try RunStore.open(path: path, mode: mode) }
        #expect(error?.message.contains(path) == true)
      }
      #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("nowhere").path))
    }
  }

  @Test func aDirectoryIsNotADatabase() throws {
    try withTemporaryDirectory { directory in
      let error = #expect(throws: StoreError.self) { try RunStore.open(path: directory.path, mode: .readWrite) }
      #expect(error?.code == .inaccessible)
    }
  }

  /// Permissions do not bind root, which CI runs as: there these cases cannot be set up.
  @Test(.enabled(if: geteuid() != 0, "root ignores file permissions"))
  func readOnlyFilesAndDirectoriesAreNamed() throws {
    try withTemporaryDirectory { directory in
      let files = FileManager.default
      let path = directory.appendingPathComponent("jvplab.db").path
      _ = try RunStore.open(path: path, mode: .readWrite).record(try sampleRun())
      try files.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
      let error = #expect(throws: StoreError.self) { try RunStore.open(path: path, mode: .readWrite) }
      #expect(error?.code == .inaccessible)
      #expect(error?.message.contains(path) == true)

      let locked = directory.appendingPathComponent("locked")
      try files.createDirectory(at: locked, withIntermediateDirectories: false)
      try files.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked.path)
      defer { try? files.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked.path) }
      let inside = locked.appendingPathComponent("jvplab.db").path
      let createError = #expect(throws: StoreError.self) { try RunStore.open(path: inside, mode: .readWrite) }
      #expect(createError?.code == .inaccessible)
      #expect(createError?.message.contains(inside) == true)
    }
  }
}
