import Foundation
import GRDB
import JVPStore
import Testing

/// `jvplab gc` while other processes record (issue #19): it deletes in short batches, so writers
/// neither time out nor lose a run, and the file stays whole.
@Suite("Reliability: gc racing writers", .serialized)
struct ReliabilityGarbageCollectionTests {
  static let writerScript = """
    import torch
    from torch.autograd.functional import jvp
    torch.manual_seed(3)
    x = torch.rand(4, 4)
    for i in range(40):
        jvp(lambda x: x.exp().sum(dim=1), x, torch.ones(4, 4))
    """

  /// Old runs are removed and collected in rounds for as long as the writers run, so gc's batches
  /// and the writers' transactions interleave.
  @Test(.timeLimit(.minutes(3)))
  func gcRacingThreeWritersLosesNoRunAndLeavesTheFileWhole() throws {
    let directory = try ScratchDirectory("gc-race")
    defer { directory.remove() }
    try directory.write("old.py", """
      import torch
      from torch.autograd.functional import jvp
      x = torch.rand(4, 4)
      for i in range(3000):
          jvp(lambda x: x.exp().sum(dim=1), x, torch.ones(4, 4))
      """)
    try directory.write("calls.py", Self.writerScript)
    let seed = try runJVPLab(["run", "old.py", "--db", "lab.db"], in: directory.url)
    try #require(seed.status == 0, "\(seed.stderr)")

    let writers = try (0..<3).map { i in
      try JVPLabProcess(["run", "calls.py", "--db", "lab.db", "--tag", "writer=\(i)"], in: directory.url)
    }
    var collected = 0
    var rounds = 0
    for bound in stride(from: 300, through: 3000, by: 300) {
      let removed = try runJVPLab(["rm", "--filter", "script ~ '*old.py' and id <= \(bound)", "--db", "lab.db"], in: directory.url)
      #expect(removed.status == 0, "\(removed.stderr)")
      let gc = try runJVPLab(["gc", "--db", "lab.db"], in: directory.url)
      #expect(gc.status == 0, "\(gc.stderr)")
      let count = gc.stderr.split(separator: " ").dropFirst(3).first.flatMap { Int($0) }
      collected += count ?? 0
      rounds += 1
      if !writers.contains(where: { $0.process.isRunning }) && rounds >= 2 { break }
    }
    let outcomes = writers.map { $0.wait(timeout: 120) }
    for (i, outcome) in outcomes.enumerated() {
      #expect(outcome.status == 0, "writer \(i): \(outcome.stderr)")
      #expect(!outcome.stderr.lowercased().contains("locked"), "writer \(i): \(outcome.stderr)")
    }
    let (runs, old, integrity, orphans) = try DatabaseQueue(path: directory.path("lab.db")).read { db in
      (
        try Row.fetchAll(db, sql: "SELECT value, count(*) FROM tags WHERE key = 'writer' GROUP BY value ORDER BY value")
          .map { "\($0[0] as String):\($0[1] as Int)" },
        try Int.fetchOne(db, sql: "SELECT count(*) FROM runs WHERE script LIKE '%old.py'") ?? -1,
        try String.fetchAll(db, sql: "PRAGMA integrity_check"),
        try Int.fetchOne(db, sql: "SELECT count(*) FROM tensors WHERE run_id NOT IN (SELECT id FROM runs)") ?? -1
      )
    }
    #expect(runs == ["0:40", "1:40", "2:40"])
    #expect(collected + old == 3000)
    #expect(integrity == ["ok"])
    #expect(orphans == 0)
  }

  /// A writer that holds the database past the busy timeout stops gc with one line and exit 2; the
  /// removed runs stay removed, and gc run again afterwards deletes them.
  @Test(.timeLimit(.minutes(2)))
  func gcBehindAWriterHoldingTheLockStopsSayingSoAndLosesNothing() throws {
    let directory = try ScratchDirectory("gc-locked")
    defer { directory.remove() }
    try directory.write("calls.py", Self.writerScript)
    #expect(try runJVPLab(["run", "calls.py", "--db", "lab.db"], in: directory.url).status == 0)
    #expect(try runJVPLab(["rm", "--filter", "id <= 10", "--db", "lab.db"], in: directory.url).status == 0)
    let holder = try DatabaseQueue(path: directory.path("lab.db"))
    let outcome = try holder.writeWithoutTransaction { db -> ProcessOutcome in
      try db.execute(sql: "BEGIN IMMEDIATE")
      defer { try? db.execute(sql: "ROLLBACK") }
      return try runJVPLab(["gc", "--db", "lab.db"], in: directory.url, environment: ["JVPLAB_BUSY_TIMEOUT": "1"])
    }
    #expect(outcome.status == 2)
    #expect(outcome.errorLines.count == 1, "\(outcome.stderr)")
    #expect(outcome.stderr.hasPrefix("jvplab: gc stopped: lab.db stayed locked by another process past the busy timeout"))
    #expect(outcome.stderr.contains("nothing was deleted, the rest stay removed: run jvplab gc again"))
    let removed = try holder.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM runs WHERE deleted IS NOT NULL") }
    #expect(removed == 10)
    let again = try runJVPLab(["gc", "--db", "lab.db"], in: directory.url)
    #expect(again.stderr.hasPrefix("jvplab: gc deleted 10 runs"), "\(again.stderr)")
    #expect(try holder.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM runs") } == 30)
  }
}
