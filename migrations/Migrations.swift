/// The SQL migrations of the jvplab store, embedded into the binary in order.
///
/// Each `vNNNN_name.sql` file in this folder is one migration; files are never edited once shipped.
/// To add one: write `v0006_what.sql`, list it in `Package.swift`'s `embedInCode` resources,
/// and append it to `all`.
public enum Migrations {
  /// One schema step: the identifier recorded in the database once applied, and its SQL.
  public struct Migration: Sendable, Equatable {
    /// `v0001_init`: the file name without `.sql`. Identifiers sort in application order.
    public let identifier: String
    /// The statements, run as one script.
    public let sql: String
  }

  /// Every migration this build knows, oldest first. The last one is the schema version it writes.
  public static let all: [Migration] = [
    Migration(identifier: "v0001_init", sql: String(decoding: PackageResources.v0001_init_sql, as: UTF8.self)),
    Migration(
      identifier: "v0002_unqueried_indexes",
      sql: String(decoding: PackageResources.v0002_unqueried_indexes_sql, as: UTF8.self)),
    Migration(identifier: "v0003_functions", sql: String(decoding: PackageResources.v0003_functions_sql, as: UTF8.self)),
    Migration(
      identifier: "v0004_shared_tensor_data",
      sql: String(decoding: PackageResources.v0004_shared_tensor_data_sql, as: UTF8.self)),
    Migration(
      identifier: "v0005_merged_pending", sql: String(decoding: PackageResources.v0005_merged_pending_sql, as: UTF8.self)),
    Migration(
      identifier: "v0006_func_transforms", sql: String(decoding: PackageResources.v0006_func_transforms_sql, as: UTF8.self)),
    Migration(
      identifier: "v0007_lifecycle_and_sweeps",
      sql: String(decoding: PackageResources.v0007_lifecycle_and_sweeps_sql, as: UTF8.self)),
    Migration(identifier: "v0008_run_uuids", sql: String(decoding: PackageResources.v0008_run_uuids_sql, as: UTF8.self)),
  ]

  /// The PostgreSQL schema's steps (`postgres/pNNNN_name.sql`), oldest first, recorded in `jvplab_migrations`.
  public static let postgres: [Migration] = [
    Migration(identifier: "p0001_init", sql: String(decoding: PackageResources.p0001_init_sql, as: UTF8.self))
  ]
}
