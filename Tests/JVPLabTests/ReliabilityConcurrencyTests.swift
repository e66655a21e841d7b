import Foundation
import JVPStore
import Testing

/// Many `jvplab` processes on one database at once (issues #4 and #7): no run is lost, nobody sees
/// "database is locked", and a reader never sees a run without all of its rows.
@Suite("Reliability: concurrent processes", .serialized)
struct ReliabilityConcurrencyTests {
  /// Five autodiff calls of different kinds, four times over; each recorded run has a known number of rows.
  static let script = """
    import torch
    from torch.autograd.functional import jvp, vjp, jacobian, hvp
    torch.manual_seed(1)
    x = torch.rand(4, 4)

    """ + String(repeating: """
    jvp(lambda x: x.exp().sum(dim=1), x, torch.ones(4, 4))
    vjp(lambda x: x.sin(), x, torch.ones(4, 4))
    jacobian(lambda x: x.tanh(), x)
    jvp(lambda x: x * x, x, torch.ones(4, 4))
    hvp(lambda x: x.exp().sum(), x, torch.ones(4, 4))

    """, count: 4)
  static let callsPerScript = 20

  @Test(.timeLimit(.minutes(2)))
  func eightScriptsAtOnceOnANewDatabaseLoseNoRun() throws {
    let directory = try ScratchDirectory("eight-writers")
    defer { directory.remove() }
    try directory.write("calls.py", Self.script)
    let reference = try Self.reference(in: directory)

    // Started together on a path that does not exist yet: they also race to create the schema.
    let writers = try (0..<8).map { i in
      try JVPLabProcess(["run", "calls.py", "--db", "lab.db", "--tag", "writer=\(i)"], in: directory.url)
    }
    let outcomes = writers.map { $0.wait(timeout: 90) }
    for (i, outcome) in outcomes.enumerated() {
      #expect(outcome.status == 0, "writer \(i) exited \(outcome.status): \(outcome.stderr)")
      #expect(!Self.mentionsLocking(outcome.stderr), "writer \(i): \(outcome.stderr)")
    }
    try Self.expectWhole(directory.path("lab.db"), reference: reference, writers: 8)
  }

  @Test(.timeLimit(.minutes(2)))
  func sixteenWritersAndFourReadersNeverSeeHalfARun() throws {
    let directory = try ScratchDirectory("sixteen-writers")
    defer { directory.remove() }
    try directory.write("calls.py", Self.script)
    let reference = try Self.reference(in: directory)
    let seed = try runJVPLab(["run", "calls.py", "--db", "lab.db", "--tag", "writer=seed"], in: directory.url)
    try #require(seed.status == 0, "\(seed.stderr)")

    let writersDone = ManagedFlag()
    let readerReports = ReaderReports()
    let readers = (0..<4).map { reader in
      Thread {
        readerReports.add(Self.readUntil(writersDone, directory: directory, reference: reference, reader: reader))
      }
    }
    readers.forEach { $0.start() }
    let writers = try (0..<16).map { i in
      try JVPLabProcess(["run", "calls.py", "--db", "lab.db", "--tag", "writer=\(i)"], in: directory.url)
    }
    let outcomes = writers.map { $0.wait(timeout: 100) }
    writersDone.set()
    let reports = readerReports.wait(for: 4)

    for (i, outcome) in outcomes.enumerated() {
      #expect(outcome.status == 0, "writer \(i) exited \(outcome.status): \(outcome.stderr)")
      #expect(!Self.mentionsLocking(outcome.stderr), "writer \(i): \(outcome.stderr)")
    }
    var queries = 0
    for report in reports {
      queries += report.queries
      for problem in report.problems { Issue.record("reader \(report.reader): \(problem)") }
    }
    #expect(queries >= 8, "the readers ran only \(queries) queries while the writers worked")
    print("concurrency: 16 writers, 4 readers, \(queries) reader commands, \(outcomes.map(\.seconds).max() ?? 0) s")
    try Self.expectWhole(directory.path("lab.db"), reference: reference, writers: 16, extraRuns: Self.callsPerScript)
  }

  // MARK: Readers

  struct ReaderReport: Sendable {
    var reader: Int
    var queries = 0
    var problems: [String] = []
  }

  /// Queries in a loop until the writers are done (and once more after): each listed run must be
  /// whole in the same snapshot, and the other read commands must succeed.
  static func readUntil(_ done: ManagedFlag, directory: ScratchDirectory, reference: [Int64: DatabaseCheck.RunShape],
                        reader: Int, database: String = "lab.db") -> ReaderReport {
    var report = ReaderReport(reader: reader)
    var finalPass = false
    while !finalPass {
      finalPass = done.isSet
      do {
        // One statement, so one snapshot: every run it lists must have all of its rows.
        let shapes = try runJVPLab(["query", "--db", database, "--sql", DatabaseCheck.shapeSQL, "--format", "csv"], in: directory.url)
        report.queries += 1
        if shapes.status != 0 || mentionsLocking(shapes.stderr) {
          report.problems.append("query --sql exited \(shapes.status): \(shapes.stderr)")
        }
        for line in shapes.stdout.split(separator: "\n").dropFirst() {
          let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
          guard fields.count == 9, let lineNumber = Int64(fields[1]) else {
            report.problems.append("unreadable row \(line)")
            continue
          }
          let seen = DatabaseCheck.RunShape(
            line: lineNumber, kind: fields[2], status: fields[3], tensors: Int64(fields[4]) ?? -1, timings: Int64(fields[5]) ?? -1,
            checks: Int64(fields[6]) ?? -1, tags: Int64(fields[7]) ?? -1, finished: fields[8] == "1")
          if seen != reference[lineNumber] {
            report.problems.append("run \(fields[0]) seen as \(seen), expected \(reference[lineNumber].map(String.init(describing:)) ?? "nothing")")
          }
        }
        let listing = try runJVPLab(["query", "--db", database, "--format", "json", "--limit", "20"], in: directory.url)
        report.queries += 1
        if listing.status != 0 || mentionsLocking(listing.stderr)
          || (try? JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [Any]) == nil
        {
          report.problems.append("query --format json exited \(listing.status): \(listing.stderr) \(listing.stdout.prefix(200))")
        }
        let latest = try runJVPLab(["show", "latest", "--db", database, "--format", "json"], in: directory.url)
        report.queries += 1
        let object = try? JSONSerialization.jsonObject(with: Data(latest.stdout.utf8)) as? [String: Any]
        if latest.status != 0 || mentionsLocking(latest.stderr) || ((object?["tensors"] as? [Any])?.isEmpty ?? true) {
          report.problems.append("show latest exited \(latest.status) or lacked tensors: \(latest.stderr)")
        }
      } catch {
        report.problems.append("\(error)")
      }
      if report.problems.count > 20 { break }
    }
    return report
  }

  // MARK: Helpers

  static func mentionsLocking(_ text: String) -> Bool {
    let lowered = text.lowercased()
    return lowered.contains("locked") || lowered.contains("busy")
  }

  /// What each call of the script records when it runs alone, by script line (each run tagged once).
  static func reference(in directory: ScratchDirectory) throws -> [Int64: DatabaseCheck.RunShape] {
    let outcome = try runJVPLab(["run", "calls.py", "--db", "reference.db", "--tag", "writer=reference"], in: directory.url)
    try #require(outcome.status == 0, "\(outcome.stderr)")
    let shapes = try DatabaseCheck.shapes(try RunStore.open(path: directory.path("reference.db"), mode: .readOnly))
    try #require(shapes.count == callsPerScript)
    return Dictionary(uniqueKeysWithValues: shapes.map { ($0.shape.line, $0.shape) })
  }

  /// Every writer's runs are there, each whole, and the file is sound.
  static func expectWhole(_ path: String, reference: [Int64: DatabaseCheck.RunShape], writers: Int, extraRuns: Int = 0) throws {
    let store = try RunStore.open(path: path, mode: .readOnly)
    #expect(try DatabaseCheck.integrity(store) == "ok")
    let shapes = try DatabaseCheck.shapes(store)
    #expect(shapes.count == writers * callsPerScript + extraRuns, "\(shapes.count) runs recorded")
    for (id, shape) in shapes where shape != reference[shape.line] {
      Issue.record("run \(id) is \(shape), expected \(reference[shape.line].map(String.init(describing:)) ?? "nothing")")
    }
    for writer in 0..<writers {
      let runs = try store.runs(matching: RunQuery(filter: "tag.writer = '\(writer)'"))
      #expect(runs.count == callsPerScript, "writer \(writer) has \(runs.count) runs")
    }
  }
}

/// A flag set once, read from several threads.
final class ManagedFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  var isSet: Bool { lock.withLock { value } }
  func set() { lock.withLock { value = true } }
}

/// Collects the readers' reports.
final class ReaderReports: @unchecked Sendable {
  private let lock = NSLock()
  private let arrived = DispatchSemaphore(value: 0)
  private var reports: [ReliabilityConcurrencyTests.ReaderReport] = []

  func add(_ report: ReliabilityConcurrencyTests.ReaderReport) {
    lock.withLock { reports.append(report) }
    arrived.signal()
  }

  func wait(for count: Int) -> [ReliabilityConcurrencyTests.ReaderReport] {
    for _ in 0..<count { arrived.wait() }
    return lock.withLock { reports }
  }
}
