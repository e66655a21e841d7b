import Foundation
import GRDB
import JVPLab
import JVPStore
import Testing

extension Lab {
  /// `jvplab push --to remote` (or `pull --from remote`) on this lab's database, in-process.
  func sync(
    _ direction: Sync.Direction, _ remote: String, filter: String = "", create: Bool = false, terminal: Bool = false
  ) -> (status: ExitStatus, output: Capture) {
    var request = Sync.Request(direction: direction, database: database, remote: remote)
    request.filter = filter
    request.create = create
    let output = Capture()
    var console = output.console
    console.errIsTerminal = terminal
    return (Sync.run(request, console: console), output)
  }

  /// Every run's UUID, oldest first.
  func uuids() throws -> [String] { try runs().map { try #require($0.info.uuid) } }
}

/// `jvplab push` and `jvplab pull`: whole runs copied between stores by UUID, once each.
@Suite struct SyncTests {
  @Test func pushingTwiceStoresEachRunOnce() throws {
    let lab = try Lab()
    let team = try Lab()
    #expect(lab.run(script: try lab.fixture("seed_notebook")).status == .success)
    let uuids = try lab.uuids()
    #expect(uuids.count > 3)
    // The team store already holds a run of its own: the copies get other ids there.
    #expect(team.run(fn: spec("x.exp().sum(dim=1)", [("x", "rand(4, 4)")], kind: .jvp)).status == .success)

    let jvps = try lab.ids("kind = jvp")
    let (first, output) = lab.sync(.push, team.database, filter: "kind = jvp")
    #expect(first == .success)
    #expect(output.err == "jvplab: pushed \(jvps.count) runs to \(team.database)\n")
    let (second, again) = lab.sync(.push, team.database)
    #expect(second == .success)
    #expect(again.err == "jvplab: pushed \(uuids.count - jvps.count) runs to \(team.database), \(jvps.count) already there\n")
    let (third, nothing) = lab.sync(.push, team.database)
    #expect(third == .success)
    #expect(nothing.err == "jvplab: pushed 0 runs to \(team.database), \(uuids.count) already there\n")

    let teamUUIDs = try team.uuids()
    #expect(teamUUIDs.count == uuids.count + 1 && Set(teamUUIDs).count == teamUUIDs.count)
    #expect(Set(teamUUIDs).isSuperset(of: uuids))
    // Ids differ across stores; the UUID names the same run in both.
    let id = try #require(try team.store().transferEntries(matching: RunQuery(filter: "uuid = '\(uuids[0])'")).first?.id)
    #expect(id != 1)
    #expect(try team.detail(id).tensors == lab.detail(1).tensors)
  }

  @Test func aPulledRunReplaysBitForBitInTheOtherStore() throws {
    let lab = try Lab()
    let laptop = try Lab()
    #expect(lab.run(script: try lab.fixture("seed_notebook")).status == .success)
    let originals = try lab.runs()
    // Pulling into a missing --db creates it, as jvplab run does.
    let (pulled, output) = laptop.sync(.pull, lab.database)
    #expect(pulled == .success)
    #expect(output.err == "jvplab: pulled \(originals.count) runs into \(laptop.database)\n")
    for original in originals {
      let uuid = try #require(original.info.uuid)
      let (status, replayed) = laptop.replay("uuid:" + uuid.prefix(8))
      #expect(status == .success, "\(original.id): \(replayed.err)")
      let child = try #require(try laptop.runs().last)
      #expect(child.info.parent == (try laptop.store().resolve("uuid:\(uuid)")))
      let (a, b) = (try laptop.detail(child.id).tensors, try lab.detail(original.id).tensors)
      #expect(a.map(\.role) == b.map(\.role) && zip(a, b).allSatisfy { $0.digest == $1.digest && $0.data == $1.data })
    }
  }

  @Test func showQueryAndDiffNameRunsByUUID() throws {
    let lab = try Lab()
    let x = ("x", "rand(4, 4)")
    _ = try lab.record(spec("x.exp().sum(dim=1)", [x], kind: .jvp))
    _ = try lab.record(spec("x.exp().sum(dim=1)", [x], kind: .jvp))
    let uuids = try lab.uuids()
    let (shown, output) = lab.show("uuid:" + uuids[1].prefix(6).uppercased())
    #expect(shown == .success)
    #expect(output.out.hasPrefix("run 2  jvp  ok\n") && output.out.contains("\n  uuid      \(uuids[1])\n"))
    let json = try #require(try parseJSON(lab.show("uuid:\(uuids[0])", format: .json).output.out) as? [String: Any])
    #expect(json["uuid"] as? String == uuids[0] && json["id"] as? Int == 1)
    let listed = try #require(try parseJSON(lab.query(format: .json).output.out) as? [[String: Any]])
    #expect(listed.map { $0["uuid"] as? String } == [uuids[1], uuids[0]])
    #expect(lab.diff("uuid:\(uuids[0].prefix(8))", "uuid:\(uuids[1].prefix(8))").status == .success)
    let (unknown, missing) = lab.show("uuid:0000000")
    #expect(unknown == .usage)
    #expect(missing.err == "jvplab: no run with a UUID starting 0000000 in \(lab.database)\n")
  }

  @Test func errorsAreOneLineEach() throws {
    let lab = try Lab()
    _ = try lab.record(spec("x.exp().sum(dim=1)", [("x", "rand(4, 4)")], kind: .jvp))
    let missing = lab.directory.appendingPathComponent("team.db").path
    let notSQLite = try lab.script("notes.txt", "not a database\n")
    let cases: [(Sync.Direction, String, String, String)] = [
      (.push, missing, "", "jvplab: --to \(missing): no jvplab database there (--create makes a new one)\n"),
      (.push, "mysql://me@db.example/lab", "", "jvplab: --to mysql://...: jvplab stores runs in SQLite files and on PostgreSQL servers (postgresql://)\n"),
      (.pull, missing, "", "jvplab: no jvplab database at \(missing) (jvplab run creates one)\n"),
      (.pull, notSQLite, "", "jvplab: \(notSQLite) is not a jvplab database: it is not an SQLite file\n"),
    ]
    for (direction, remote, filter, message) in cases {
      let (status, output) = lab.sync(direction, remote, filter: filter)
      #expect(status == .usage && output.err == message, "\(output.err)")
    }
    let (badFilter, output) = lab.sync(.push, missing, filter: "kind = ", create: true)
    #expect(badFilter == .usage && output.err.hasPrefix("filter:1:"), "\(output.err)")
    #expect(!FileManager.default.fileExists(atPath: missing))
    // --create makes the missing target.
    #expect(lab.sync(.push, missing, create: true).status == .success)
    #expect(try RunStore.open(path: missing, mode: .readOnly).count(matching: RunQuery()) == 1)
  }

  @Test func theProgressBarGoesToATerminalOnly() throws {
    let lab = try Lab()
    let other = try Lab()
    for _ in 0..<3 { _ = try lab.record(spec("x.exp().sum(dim=1)", [("x", "rand(4, 4)")], kind: .jvp)) }
    let (_, terminal) = lab.sync(.push, other.database, create: true, terminal: true)
    #expect(terminal.err.hasPrefix("\r[") && terminal.err.contains("] 3/3\n"))
    #expect(terminal.err.hasSuffix("\njvplab: pushed 3 runs to \(other.database)\n"))
    let (_, pipe) = other.sync(.pull, lab.database)
    #expect(pipe.err == "jvplab: pulled 0 runs into \(other.database), 3 already there\n")
  }
}

/// push as a real process: a locked target, and a push killed with SIGKILL then run again.
@Suite("Sync: processes", .serialized) struct SyncProcessTests {
  /// A store of `count` small runs, recorded directly.
  static func seeded(_ label: String, runs count: Int) throws -> ScratchDirectory {
    let directory = try ScratchDirectory(label)
    let store = try RunStore.open(path: directory.path("lab.db"), mode: .readWrite)
    for line in 0..<count {
      let started = Date(timeIntervalSince1970: 1_800_000_000 + Double(line))
      let run = NewRun(
        info: RunInfo(kind: "jvp", function: "f", source: "def f(x): return x.exp()", dtype: "float32", line: line, started: started,
                      finished: started),
        tensors: [try StoredTensor(role: "input", index: [0], name: "x", shape: [4], elements: .float32([1, 2, 3, Float(line)]))],
        timings: [TimingSeries(phase: "jvp", samples: [1e-6])], checks: [CheckResult(name: "fd", maxAbs: 0, maxRel: 0, ok: true)],
        tags: ["n": "\(line)"])
      _ = try store.record(run)
    }
    return directory
  }

  static func count(_ path: String) -> Int {
    (try? RunStore.open(path: path, mode: .readOnly).count(matching: RunQuery())) ?? 0
  }

  @Test func aLockedTargetIsOneLineAndLosesNothing() throws {
    let directory = try Self.seeded("sync-lock", runs: 3)
    defer { directory.remove() }
    #expect(try runJVPLab(["push", "--db", "lab.db", "--to", "team.db", "--create", "kind = nothing"], in: directory.url).status == 0)
    let lock = try ExclusiveLock(directory.path("team.db"))
    let outcome = try runJVPLab(["push", "--db", "lab.db", "--to", "team.db", "--lock-wait", "0"], in: directory.url,
                                environment: ["JVPLAB_BUSY_TIMEOUT": "0.2"])
    try lock.release()
    #expect(outcome.status == 2)
    #expect(outcome.errorLines == [
      "jvplab: team.db stayed locked by another process past --lock-wait (0 s): pushed 0 runs to team.db; run jvplab push again to copy the other 3",
    ])
    let rerun = try runJVPLab(["push", "--db", "lab.db", "--to", "team.db"], in: directory.url)
    #expect(rerun.status == 0 && rerun.errorLines == ["jvplab: pushed 3 runs to team.db"])
  }

  /// SIGKILL mid-push leaves whole runs only; pushing again finishes the copy with each run exactly once.
  @Test func aPushKilledMidwayAndRunAgainStoresEachRunOnce() throws {
    let total = 1500
    let directory = try Self.seeded("sync-kill", runs: total)
    defer { directory.remove() }
    let target = directory.path("team.db")
    let process = try JVPLabProcess(["push", "--db", "lab.db", "--to", "team.db", "--create"], in: directory.url)
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline, process.process.isRunning, Self.count(target) < 20 { Thread.sleep(forTimeInterval: 0.005) }
    process.signal(SIGKILL)
    let killed = process.wait()
    #expect(killed.signaled && killed.status == 128 + SIGKILL)
    let partial = Self.count(target)
    #expect(partial >= 20 && partial < total, "the kill landed mid-push: \(partial) of \(total) runs there")
    let store = try DatabaseCheck.store(target)
    #expect(try DatabaseCheck.integrity(store) == "ok")
    try Self.expectARerunFinishes(store, target: "team.db", named: "team.db", partial: partial, total: total, in: directory)
  }

  /// After a push was killed with `partial` of the source's `total` runs in `store` (at `target`, which
  /// messages call `named`): every run there is whole, and pushing again copies the rest, leaving each of
  /// the source's runs there exactly once, in the source's order.
  static func expectARerunFinishes(
    _ store: any RunReading & RunTransferStore, target: String, named: String, partial: Int, total: Int, in directory: ScratchDirectory
  ) throws {
    // Every run there is whole: its tensor, timing, check and tag.
    #expect(try DatabaseCheck.shapes(store).allSatisfy { $0.shape.tensors == 1 && $0.shape.timings == 1 && $0.shape.checks == 1 && $0.shape.tags == 1 })
    let rerun = try runJVPLab(["push", "--db", "lab.db", "--to", target], in: directory.url)
    #expect(rerun.status == 0)
    #expect(rerun.errorLines == ["jvplab: pushed \(total - partial) runs to \(named), \(partial) already there"])
    let source = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
    let copied = try store.transferEntries(matching: RunQuery(sort: "id"))
    let sourceUUIDs = Set(try source.transferEntries(matching: RunQuery()).map(\.uuid))
    #expect(copied.count == total && Set(copied.map(\.uuid)) == sourceUUIDs)
    // In the source's order: line N is the N+1th run in both.
    #expect(try store.runs(matching: RunQuery(sort: "id")).map { $0.info.line ?? -1 } == Array(0..<total))
    #expect(try DatabaseCheck.shapes(store).allSatisfy { $0.shape.tensors == 1 && $0.shape.tags == 1 })
  }
}
