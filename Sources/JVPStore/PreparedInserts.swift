import GRDB

/// The multi-row INSERTs a grouped writer runs for every batch, prepared once on its connection and found
/// by number.
///
/// GRDB's `cachedStatement(sql:)` finds a statement by hashing its whole SQL text, and a 32-row INSERT is
/// 1.5 KB of it: about 15k instructions per run over a run's four INSERTs, 7% of writing a small run.
/// Only the writer thread of one connection uses an instance.
final class PreparedInserts {
  private var statements: [Int: Statement] = [:]

  /// The statement of `sql[rows - 1]`, where `family` numbers the array `sql` among the writer's; prepared on
  /// first use.
  func statement(_ family: Int, _ sql: [String], rows: Int, _ db: Database) throws -> Statement {
    let key = family << 8 | rows
    if let statement = statements[key] { return statement }
    let statement = try db.makeStatement(sql: sql[rows - 1])
    statements[key] = statement
    return statement
  }

  /// Finalizes the statements, so that none keeps the connection from closing.
  func removeAll() {
    statements.removeAll()
  }
}
