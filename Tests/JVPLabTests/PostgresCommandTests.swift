import Foundation
import JVPLab
import JVPStore
import Testing

/// `jvplab` with `--db postgresql://...` against a real server: the same text as on SQLite, one-line
/// errors, a masked password, many processes at once, and a server that stops under a writer.
///
/// The server is `$JVPLAB_TEST_POSTGRES_URL` (`.ci/run` starts one with `tools/postgres_cluster.sh`);
/// without it the suite is skipped, saying why.
@Suite(
  "PostgreSQL: commands",
  .enabled(
    if: ProcessInfo.processInfo.environment["JVPLAB_TEST_POSTGRES_URL"] != nil,
    "skipped: JVPLAB_TEST_POSTGRES_URL is not set, so there is no PostgreSQL server to test against (.ci/run starts one with tools/postgres_cluster.sh)"),
  .serialized)
struct PostgresCommandTests {
  static let server = ProcessInfo.processInfo.environment["JVPLAB_TEST_POSTGRES_URL"] ?? ""

  /// `server` with its database replaced by a new, empty one.
  static func freshDatabase() throws -> String {
    let name = "jvplab_c_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
    let created = try runCommand("/usr/bin/env", ["psql", server, "-X", "-q", "-c", "CREATE DATABASE \(name)"])
    try #require(created.status == 0, "\(created.output)")
    return server.replacingOccurrences(of: #"/[^/]+$"#, with: "/" + name, options: .regularExpression)
  }

  static var password: String {
    server.replacingOccurrences(of: #"^[^/]*//[^:]*:([^@]*)@.*$"#, with: "$1", options: .regularExpression)
  }

  /// The runs of the SQLite file at `path`, recorded again, in order, into the server database `url`.
  static func copy(from path: String, to url: String) throws {
    let source = try RunStore.open(path: path, mode: .readOnly)
    let target = try PostgresStore.open(url: url, mode: .readWrite)
    for summary in try source.runs(matching: RunQuery(filter: "", sort: "id")) {
      let detail = try #require(try source.run(id: summary.id))
      let run = NewRun(
        info: detail.summary.info, tensors: detail.tensors, timings: detail.summary.timings, checks: detail.summary.checks,
        tags: detail.summary.tags, functions: detail.functions, grid: detail.summary.grid)
      #expect(try target.record(run) == summary.id)
    }
  }

  /// A script's runs, and every read command over them, print the same text on both engines.
  @Test(.timeLimit(.minutes(3)))
  func everyCommandPrintsTheSameTextOnBothEngines() throws {
    let directory = try ScratchDirectory("pg-parity")
    defer { directory.remove() }
    let script = try String(contentsOf: Examples.url("seed_notebook"), encoding: .utf8)
    try directory.write("seed_notebook.py", script)
    let url = try Self.freshDatabase()

    let onSQLite = try runJVPLab(["run", "seed_notebook.py", "--db", "lab.db", "--tag", "nb=seed"], in: directory.url)
    let onPostgres = try runJVPLab(["run", "seed_notebook.py", "--db", url, "--tag", "nb=seed"], in: directory.url)
    #expect(onSQLite.status == 0, "\(onSQLite.stderr)")
    #expect(onPostgres.status == onSQLite.status)
    #expect(onPostgres.stdout == onSQLite.stdout)
    let masked = PostgresURL.masked(url)
    #expect(onPostgres.stderr == onSQLite.stderr.replacingOccurrences(of: "lab.db", with: masked))
    #expect(!onPostgres.stderr.contains(Self.password))

    // Timings differ between two executions: the read commands compare over the same recorded runs.
    let copied = try Self.freshDatabase()
    try Self.copy(from: directory.path("lab.db"), to: copied)
    let commands: [[String]] = [
      ["query"], ["query", "--format", "csv"], ["query", "--format", "json"], ["query", "kind = jvp or tag.nb ~ 's*'", "--sort", "-time.jvp"],
      ["query", "--sql", "SELECT id, kind, fn FROM runs ORDER BY id"], ["show", "1"], ["show", "latest", "--format", "json"],
      ["diff", "1", "2"], ["diff", "1", "latest", "--format", "json"], ["show", "99"], ["query", "bogus = 1"],
      ["export", "1", "2", "--format", "csv", "--out", "-"],
    ]
    for command in commands {
      let sqlite = try runJVPLab(command + ["--db", "lab.db"], in: directory.url)
      let postgres = try runJVPLab(command + ["--db", copied], in: directory.url)
      #expect(postgres.status == sqlite.status, "\(command)")
      #expect(postgres.stdout == sqlite.stdout, "\(command)")
      #expect(postgres.stderr == sqlite.stderr.replacingOccurrences(of: "lab.db", with: PostgresURL.masked(copied)), "\(command)")
    }
    // export writes the same arrays from either engine: the npz's members and the npy files, byte for byte.
    for (engine, database) in [("sqlite", "lab.db"), ("postgres", copied)] {
      let npz = try runJVPLab(["export", "latest", "--out", "\(engine).npz", "--db", database], in: directory.url)
      #expect(npz.status == 0, "\(npz.stderr)")
      let npy = try runJVPLab(["export", "1", "2", "--format", "npy", "--out", "\(engine)-npy", "--db", database], in: directory.url)
      #expect(npy.status == 0, "\(npy.stderr)")
    }
    let members = try ["sqlite", "postgres"].map { engine in
      try NumpyArchive.members(Data(contentsOf: URL(fileURLWithPath: directory.path("\(engine).npz"))))
    }
    #expect(!members[0].isEmpty && members[0].map(\.name) == members[1].map(\.name) && members[0].map(\.npy) == members[1].map(\.npy))
    for run in ["run-1", "run-2"] {
      let names = try FileManager.default.contentsOfDirectory(atPath: directory.path("sqlite-npy/\(run)")).sorted()
      let onServer = try FileManager.default.contentsOfDirectory(atPath: directory.path("postgres-npy/\(run)")).sorted()
      #expect(!names.isEmpty && names == onServer)
      for name in names {
        #expect(FileManager.default.contentsEqual(atPath: directory.path("sqlite-npy/\(run)/\(name)"), andPath: directory.path("postgres-npy/\(run)/\(name)")), "\(run)/\(name)")
      }
    }
    // ui serves the same pages and JSON from either engine, and its serving line masks the password.
    var pages: [[String]] = []
    for database in ["lab.db", copied] {
      let ui = try JVPLabProcess(["ui", "--db", database, "--port", "0"], in: directory.url)
      defer {
        ui.signal(SIGTERM)
        _ = ui.wait(timeout: 30)
      }
      #expect(ui.waitForStderr("(Ctrl-C stops)"), "\(ui.stderrSoFar)")
      #expect(ui.stderrSoFar.contains("serving \(PostgresURL.masked(database)) read-only") && !ui.stderrSoFar.contains(Self.password))
      let base = try #require(ui.stderrSoFar.firstMatch(of: /at (http:\S+)/).map { String($0.1) })
      pages.append(try ["", "runs/1", "runs/5", "?q=kind+%3D+jvp", "api/runs", "api/runs/3"].map { path in
        try String(contentsOf: try #require(URL(string: base + path)), encoding: .utf8)
          .replacingOccurrences(of: PostgresURL.masked(copied), with: "lab.db")
      })
    }
    #expect(pages.count == 2 && !pages[0].contains(where: \.isEmpty) && pages[0] == pages[1])
    // Replay re-runs and records: same verdict and text, less the new run's timings.
    let sqliteReplay = try runJVPLab(["replay", "1", "--db", "lab.db"], in: directory.url)
    let postgresReplay = try runJVPLab(["replay", "1", "--db", copied], in: directory.url)
    #expect(sqliteReplay.status == 0, "\(sqliteReplay.stderr)")
    #expect(postgresReplay.status == sqliteReplay.status)
    #expect(Self.withoutDurations(postgresReplay.stdout) == Self.withoutDurations(sqliteReplay.stdout))
    let recorded = try runJVPLab(["query", "--db", url, "--sql", "SELECT DISTINCT command_line FROM runs"], in: directory.url)
    #expect(recorded.stdout.contains("--db postgresql://jvplab:***@"), "\(recorded.stdout)")
    #expect(!recorded.stdout.contains(Self.password))
  }

  /// Durations (`12.5 us`, `1.2 ms`) and their ratios (`1.05x`) blanked: they are the one thing two
  /// executions print differently.
  static func withoutDurations(_ text: String) -> String {
    text.replacingOccurrences(of: #"[0-9.]+(e-?[0-9]+)? ?(ns|us|µs|ms|s|x)\b"#, with: "T", options: .regularExpression)
  }

  /// `push` to a server and `pull` back: each run arrives once, whole (the same bundle as the source's),
  /// however often the copy runs, and a pulled run resolves by its UUID.
  @Test(.timeLimit(.minutes(3)))
  func pushAndPullCopyRunsThroughTheServerOnce() throws {
    let directory = try ScratchDirectory("pg-sync")
    defer { directory.remove() }
    try directory.write("seed_notebook.py", try String(contentsOf: Examples.url("seed_notebook"), encoding: .utf8))
    let url = try Self.freshDatabase()
    #expect(try runJVPLab(["run", "seed_notebook.py", "--db", "lab.db"], in: directory.url).status == 0)

    let pushed = try runJVPLab(["push", "--db", "lab.db", "--to", url], in: directory.url)
    #expect(pushed.status == 0, "\(pushed.stderr)")
    let again = try runJVPLab(["push", "--db", "lab.db", "--to", url], in: directory.url)
    #expect(again.status == 0 && again.stderr.hasSuffix(", 13 already there\n"), "\(again.stderr)")
    #expect(!pushed.stderr.contains(Self.password) && !again.stderr.contains(Self.password))
    let pulled = try runJVPLab(["pull", "--from", url, "--db", "copy.db"], in: directory.url)
    #expect(pulled.status == 0, "\(pulled.stderr)")

    let source = try RunStore.open(path: directory.url.appendingPathComponent("lab.db").path, mode: .readOnly)
    let server = try PostgresStore.open(url: url, mode: .readOnly)
    let copy = try RunStore.open(path: directory.url.appendingPathComponent("copy.db").path, mode: .readOnly)
    let entries = try source.transferEntries(matching: RunQuery(filter: "", sort: "id"))
    #expect(entries.count == 13)
    #expect(try server.transferEntries(matching: RunQuery(filter: "", sort: "id")).map(\.uuid) == entries.map(\.uuid))
    #expect(try copy.transferEntries(matching: RunQuery(filter: "", sort: "id")).map(\.uuid) == entries.map(\.uuid))
    for entry in entries {
      let original = try source.bundle(uuid: entry.uuid)
      #expect(try server.bundle(uuid: entry.uuid) == original)
      #expect(try copy.bundle(uuid: entry.uuid) == original)
    }
    let prefix = String(entries[4].uuid.prefix(8))
    let onServer = try runJVPLab(["show", "uuid:" + prefix, "--db", url], in: directory.url)
    let onFile = try runJVPLab(["show", "uuid:" + prefix, "--db", "lab.db"], in: directory.url)
    #expect(onServer.status == 0 && onServer.stdout == onFile.stdout, "\(onServer.stderr)")
  }

  @Test func openingFailuresAreOneLineAndExit2() throws {
    let directory = try ScratchDirectory("pg-errors")
    defer { directory.remove() }
    let empty = try Self.freshDatabase()
    let cases: [(String, String)] = [
      (Self.server.replacingOccurrences(of: ":\(Self.password)@", with: ":wrong-password@"), "password authentication failed for user \"jvplab\""),
      (Self.server.replacingOccurrences(of: #":[0-9]+/"#, with: ":1/", options: .regularExpression), ": connection refused"),
      (Self.server.replacingOccurrences(of: #"/[^/]+$"#, with: "/no_such_db", options: .regularExpression), "database \"no_such_db\" does not exist"),
      (empty, "has no jvplab schema yet (jvplab run creates it)"),
      ("postgresql://jvplab:secret@127.0.0.1:5432", "no database name after the host"),
    ]
    for (url, reason) in cases {
      for command in [["query"], ["show", "latest"], ["export", "latest", "--out", "x.zip"]] {
        let outcome = try runJVPLab(command + ["--db", url], in: directory.url)
        #expect(outcome.status == 2, "\(command) \(url): \(outcome.stderr)")
        #expect(outcome.errorLines.count == 1, "\(outcome.stderr)")
        #expect(outcome.stderr.hasPrefix("jvplab: "), "\(outcome.stderr)")
        #expect(outcome.stderr.contains(reason), "\(outcome.stderr)")
        #expect(outcome.stderr.contains(PostgresURL.masked(url)), "\(outcome.stderr)")
        #expect(!outcome.stderr.contains("wrong-password") && !outcome.stderr.contains(Self.password) && !outcome.stderr.contains("secret"))
      }
    }
    // The first write creates the schema, as the first `jvplab run` creates an SQLite file.
    try directory.write("one.py", "import torch\nfrom torch.autograd.functional import jvp\njvp(lambda x: x.exp(), torch.ones(2), torch.ones(2))\n")
    #expect(try runJVPLab(["run", "one.py", "--db", empty], in: directory.url).status == 0)
    #expect(try runJVPLab(["query", "--db", empty, "--format", "csv"], in: directory.url).stdout.split(separator: "\n").count == 2)
  }

  /// 16 writer processes and 4 readers at once into one server database: no run lost, none partial.
  @Test(.timeLimit(.minutes(5)))
  func concurrentWritersAndReadersNeverSeeHalfARun() throws {
    let (writerCount, readerCount) = (16, 4)
    let directory = try ScratchDirectory("pg-load")
    defer { directory.remove() }
    try directory.write("calls.py", ReliabilityConcurrencyTests.script)
    let reference = try ReliabilityConcurrencyTests.reference(in: directory)
    let url = try Self.freshDatabase()
    let seed = try runJVPLab(["run", "calls.py", "--db", url, "--tag", "writer=seed"], in: directory.url)
    try #require(seed.status == 0, "\(seed.stderr)")

    let done = ManagedFlag()
    let reports = ReaderReports()
    for reader in 0..<readerCount {
      Thread {
        reports.add(ReliabilityConcurrencyTests.readUntil(done, directory: directory, reference: reference, reader: reader, database: url))
      }.start()
    }
    let started = Date()
    let writers = try (0..<writerCount).map { i in
      try JVPLabProcess(["run", "calls.py", "--db", url, "--tag", "writer=\(i)"], in: directory.url)
    }
    let outcomes = writers.map { $0.wait(timeout: 240) }
    let seconds = Date().timeIntervalSince(started)
    done.set()
    var queries = 0
    for report in reports.wait(for: readerCount) {
      queries += report.queries
      for problem in report.problems { Issue.record("reader \(report.reader): \(problem)") }
    }
    for (i, outcome) in outcomes.enumerated() {
      #expect(outcome.status == 0, "writer \(i) exited \(outcome.status): \(outcome.stderr)")
    }
    let store = try PostgresStore.open(url: url, mode: .readOnly)
    let shapes = try DatabaseCheck.shapes(store)
    let perScript = ReliabilityConcurrencyTests.callsPerScript
    #expect(shapes.count == (writerCount + 1) * perScript, "\(shapes.count) runs recorded")
    for (id, shape) in shapes where shape != reference[shape.line] {
      Issue.record("run \(id) is \(shape), expected \(reference[shape.line].map(String.init(describing:)) ?? "nothing")")
    }
    for writer in 0..<writerCount {
      #expect(try store.count(matching: RunQuery(filter: "tag.writer = '\(writer)'")) == perScript, "writer \(writer)")
    }
    print("postgres load: \(writerCount) writers x \(perScript) runs, \(readerCount) readers, \(queries) reader commands, \(String(format: "%.1f", seconds)) s")
  }

  /// SIGKILL mid-push into a server leaves whole runs only (a batch commits whole or not at all, and the
  /// server rolls back the transaction of the connection that died); pushing again finishes the copy
  /// with each run exactly once, as `SyncProcessTests` shows for an SQLite target.
  @Test(.timeLimit(.minutes(3)))
  func aPushKilledMidwayAndRunAgainStoresEachRunOnce() throws {
    let total = 1500
    let directory = try SyncProcessTests.seeded("pg-sync-kill", runs: total)
    defer { directory.remove() }
    let url = try Self.freshDatabase()
    let store = try PostgresStore.open(url: url, mode: .readWrite)
    func count() -> Int { (try? store.count(matching: RunQuery())) ?? 0 }
    let process = try JVPLabProcess(["push", "--db", "lab.db", "--to", url], in: directory.url)
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline, process.process.isRunning, count() < 20 { Thread.sleep(forTimeInterval: 0.005) }
    process.signal(SIGKILL)
    let killed = process.wait()
    #expect(killed.signaled && killed.status == 128 + SIGKILL)
    let partial = count()
    #expect(partial >= 20 && partial < total, "the kill landed mid-push: \(partial) of \(total) runs there")
    try SyncProcessTests.expectARerunFinishes(
      store, target: url, named: PostgresURL.masked(url), partial: partial, total: total, in: directory)
  }

  /// A server stopped while a script records: the writer exits 3 with one line naming the server, the
  /// runs before are whole and kept, and no part of the run in flight is there. A cluster of its own,
  /// so that stopping it disturbs no other test.
  @Test(.timeLimit(.minutes(3)))
  func aServerStoppedDuringAWriteKeepsEarlierRunsWhole() throws {
    let tool = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("tools/postgres_cluster.sh").path
    let started = try runCommand("/bin/bash", [tool, "start"])
    try #require(started.status == 0, "\(started.output)")
    let exports = Dictionary(uniqueKeysWithValues: started.output.split(separator: "\n").compactMap { line -> (String, String)? in
      let parts = line.replacingOccurrences(of: "export ", with: "").split(separator: "=", maxSplits: 1)
      return parts.count == 2 ? (String(parts[0]), parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "'"))) : nil
    })
    let url = try #require(exports["JVPLAB_TEST_POSTGRES_URL"])
    let clusterDirectory = try #require(exports["JVPLAB_TEST_POSTGRES_DIR"])
    defer { _ = try? runCommand("/bin/bash", [tool, "stop", clusterDirectory]) }

    let directory = try ScratchDirectory("pg-stop")
    defer { directory.remove() }
    try directory.write(
      "long.py",
      "import torch\nfrom torch.autograd.functional import jvp\nx = torch.rand(64, 64)\nfor i in range(100000):\n    jvp(lambda x: x.exp().sum(dim=1), x, torch.ones(64, 64))\n")
    let writer = try JVPLabProcess(["run", "long.py", "--db", url], in: directory.url)
    let store = try PostgresStore.open(url: url, mode: .readWrite)
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline, writer.process.isRunning, (try? store.count(matching: RunQuery())) ?? 0 < 5 {
      Thread.sleep(forTimeInterval: 0.05)
    }
    let halted = try runCommand("/bin/bash", [tool, "halt", clusterDirectory])
    try #require(halted.status == 0, "\(halted.output)")
    let outcome = writer.wait(timeout: 60)
    #expect(outcome.status == 3, "\(outcome.stderr)")
    let masked = PostgresURL.masked(url)
    // The script error's line (then the source line and a caret, as for every script error) names the server.
    #expect(outcome.errorLines.first?.hasPrefix("long.py:5:5: could not record the jvp run in \(masked): ") == true, "\(outcome.stderr)")
    #expect(!outcome.stderr.contains(url.replacingOccurrences(of: #"^.*:([^:@]*)@.*$"#, with: "$1", options: .regularExpression)))

    let resumed = try runCommand("/bin/bash", [tool, "resume", clusterDirectory])
    try #require(resumed.status == 0, "\(resumed.output)")
    let after = try PostgresStore.open(url: url, mode: .readOnly)
    let shapes = try DatabaseCheck.shapes(after)
    #expect(shapes.count >= 5)
    // Every run is one call of the same line: whole runs all have the first one's rows.
    #expect(Set(shapes.map(\.shape)).count == 1, "\(shapes.map(\.shape))")
    #expect(shapes.first?.shape.tensors == 4 && shapes.first?.shape.finished == true)
  }
}

/// Runs a program to its end and returns its status and its stdout and stderr together (through a file:
/// a server the program starts must not hold a pipe of ours open).
func runCommand(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
  let file = FileManager.default.temporaryDirectory.appendingPathComponent("jvplab-command-\(UUID().uuidString)")
  _ = FileManager.default.createFile(atPath: file.path, contents: nil)
  defer { try? FileManager.default.removeItem(at: file) }
  let handle = try FileHandle(forWritingTo: file)
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  process.standardOutput = handle
  process.standardError = handle
  process.standardInput = FileHandle.nullDevice
  try process.run()
  process.waitUntilExit()
  try handle.close()
  return (process.terminationStatus, try String(contentsOf: file, encoding: .utf8))
}
