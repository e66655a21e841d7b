import Foundation
import Testing

@testable import JVPStore

/// The one filter compiler's PostgreSQL hooks, checked without a server: placeholders, glob patterns as
/// regular expressions, and values that stay bound parameters.
@Suite struct SQLDialectTests {
  @Test(arguments: [
    ("exp*", "^exp.*$"),
    ("?????", "^.....$"),
    ("[ab].py", "^[ab]\\.py$"),
    ("[^0-9]*", "^[^0-9].*$"),
    ("a+b(c)", "^a\\+b\\(c\\)$"),
    ("[", "^\\[$"),
    ("x[]]", "^x[\\]]$"),
    ("2026-11-2*", "^2026-11-2.*$"),
  ] as [(String, String)])
  func globsBecomeAnchoredRegularExpressions(glob: String, regex: String) {
    #expect(SQLDialect.regularExpression(glob: glob) == regex)
  }

  @Test func placeholdersAreNumberedOutsideQuotedLiterals() {
    #expect(SQLDialect.postgres.render("a = ? AND b ~ '^x?$' AND c IN (?, ?)") == "a = $1 AND b ~ '^x?$' AND c IN ($2, $3)")
    #expect(SQLDialect.sqlite.render("a = ? AND b = ?") == "a = ? AND b = ?")
  }

  @Test func aFilterCompilesToParametersOnBothEngines() throws {
    let query = try RunQuery(filter: "name = 'x\\'; DROP TABLE runs; --' or (tag.lr < 0.01 and fn ~ 'exp*')", sort: "-time.jvp", limit: 5, offset: 2)
    let postgres = query.compiled(for: .postgres)
    #expect(!postgres.sql.contains("DROP"))
    #expect(postgres.sql.contains("runs.fn ~ $4"))
    #expect(postgres.sql.hasSuffix("LIMIT $6 OFFSET $7"))
    #expect(postgres.arguments == [
      .text("x'; DROP TABLE runs; --"), .text("lr"), .real(0.01), .text("^exp.*$"), .text("jvp"), .integer(5), .integer(2),
    ])
    #expect(postgres.countArguments == Array(postgres.arguments.prefix(4)))
    let sqlite = query.compiled(for: .sqlite)
    #expect(sqlite.sql.contains("runs.fn GLOB ?"))
    #expect(sqlite.arguments[3] == .text("exp*"))
    #expect(sqlite.sql.hasSuffix("LIMIT ? OFFSET ?"))
  }

  @Test func negationAndInequalityKeepMissingValuesOnBothEngines() throws {
    let query = try RunQuery(filter: "not seed = 1 and seed != 2")
    #expect(query.compiled(for: .postgres).sql.contains("runs.seed = $1 IS NOT TRUE AND runs.seed IS DISTINCT FROM $2"))
    #expect(query.compiled(for: .sqlite).sql.contains("runs.seed = ? IS NOT 1 AND runs.seed IS NOT ?"))
  }

  @Test func anOffsetWithoutALimitNeedsNoLimitOnPostgres() throws {
    let query = try RunQuery(filter: "", offset: 3)
    #expect(query.compiled(for: .sqlite).sql.hasSuffix("LIMIT -1 OFFSET ?"))
    #expect(query.compiled(for: .postgres).sql.hasSuffix("runs.id DESC OFFSET $1"))
  }

  @Test(arguments: [
    ("postgresql://alice:s3cret@db.example:6543/lab?sslmode=require", "postgresql://alice:***@db.example:6543/lab?sslmode=require"),
    ("postgres://alice@db/lab", "postgres://alice@db/lab"),
    ("postgresql://alice:p%40ss@db/lab", "postgresql://alice:***@db/lab"),
    ("lab.db", "lab.db"),
  ] as [(String, String)])
  func passwordsAreMasked(url: String, shown: String) {
    #expect(PostgresURL.masked(url) == shown)
  }

  @Test func urlsParseWithPasswordsFromTheURLTheEnvironmentOrPgpass() throws {
    let parsed = try PostgresURL("postgresql://alice:p%40ss@db.example:6543/lab?sslmode=verify-full", environment: [:])
    #expect(parsed.user == "alice")
    #expect(parsed.password == "p@ss")
    #expect(parsed.host == "db.example")
    #expect(parsed.port == 6543)
    #expect(parsed.database == "lab")
    #expect(parsed.sslMode == .verifyFull)
    #expect(parsed.description == "postgresql://alice:***@db.example:6543/lab?sslmode=verify-full")
    #expect(try PostgresURL("postgresql://bob@h/d", environment: ["PGPASSWORD": "env"]).password == "env")
    #expect(try PostgresURL("postgresql://bob@h/d", environment: ["PGPASSWORD": "env"]).port == 5432)
    try withTemporaryDirectory { directory in
      let file = directory.appendingPathComponent("pgpass").path
      try "# comment\nother:*:*:*:no\nh:5432:d:bob:from\\:file\n".write(toFile: file, atomically: true, encoding: .utf8)
      #expect(try PostgresURL("postgresql://bob@h/d", environment: ["PGPASSFILE": file]).password == "from:file")
      #expect(try PostgresURL("postgresql://carol@h/d", environment: ["PGPASSFILE": file]).password == nil)
    }
  }

  @Test(arguments: [
    ("postgresql://:pw@host/db", "no user"),
    ("postgresql://alice@host", "no database name after the host"),
    ("postgresql://alice:pw@host/db?sslmode=maybe", "unknown sslmode 'maybe'"),
    ("postgresql://alice:pw@host/db?timeout=3", "unknown parameter 'timeout'"),
  ] as [(String, String)])
  func malformedURLsAreOneLineWithoutThePassword(url: String, why: String) {
    let error = #expect(throws: StoreError.self) { try PostgresURL(url, environment: [:]) }
    #expect(error?.message.contains(why) == true, "\(error?.message ?? "")")
    #expect(error?.message.contains("pw") == false)
  }
}
