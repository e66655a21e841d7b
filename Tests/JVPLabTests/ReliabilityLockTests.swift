import Foundation
import GRDB
import JVPScript
import JVPStore
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Another process holding the database's write lock (issue #20) never loses a computed run:
/// jvplab waits, says so once, and past `--lock-wait` saves the run in a pending file beside the
/// database, which the next command merges exactly once, even when two commands race to merge.
///
/// The holder is this test process, with `BEGIN EXCLUSIVE` on its own connection; jvplab runs with
/// a short busy timeout (`JVPLAB_BUSY_TIMEOUT`) so that the tests stay short.
@Suite("Reliability: a database locked by another process", .serialized)
struct ReliabilityLockTests {
  static let fn = ["--fn", "x.exp().sum(dim=1)", "--input", "x=rand(4, 4)", "--kind", "jvp", "--db", "lab.db"]
  static let shortBusy = ["JVPLAB_BUSY_TIMEOUT": "0.2"]

  @Test(.timeLimit(.minutes(2)))
  func aLockReleasedDuringTheWaitLosesNothing() throws {
    let directory = try Self.seeded("lock-released")
    defer { directory.remove() }
    let lock = try ExclusiveLock(directory.path("lab.db"))

    let process = try JVPLabProcess(["run"] + Self.fn + ["--lock-wait", "60", "--tag", "waited=yes"], in: directory.url,
                                    environment: Self.shortBusy)
    let waiting = process.waitForStderr("jvplab: lab.db is locked by another process: waiting up to 60 s for it (--lock-wait)")
    try lock.release()
    let outcome = process.wait(timeout: 60)

    #expect(waiting, "jvplab says it waits: \(outcome.stderr)")
    #expect(outcome.status == 0, "exit \(outcome.status): \(outcome.stderr)")
    #expect(outcome.errorLines.filter { $0.contains("locked") }.count == 1, "said once: \(outcome.stderr)")
    #expect(outcome.stderr.contains("jvplab: recorded run 2 in lab.db"))
    #expect(outcome.stdout.hasPrefix("(tensor(["))
    let store = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
    #expect(try DatabaseCheck.integrity(store) == "ok")
    let runs = try store.runs(matching: RunQuery())
    #expect(runs.map(\.info.status) == [.ok, .ok])
    #expect(runs.allSatisfy { $0.info.error == nil }, "no run carries an error: \(runs.map(\.info.error))")
    #expect(runs.first?.tags["waited"] == "yes")
    #expect(PendingRuns(databasePath: directory.path("lab.db")).paths().isEmpty)
  }

  @Test(.timeLimit(.minutes(2)))
  func aLockHeldPastTheWaitKeepsTheRunPendingUntilTheNextCommand() throws {
    let directory = try Self.seeded("lock-pending")
    defer { directory.remove() }
    let reference = try Self.referenceShape(directory)
    let lock = try ExclusiveLock(directory.path("lab.db"))

    let outcome = try runJVPLab(["run"] + Self.fn + ["--lock-wait", "0.5", "--tag", "pending=yes"], in: directory.url,
                                environment: Self.shortBusy)
    #expect(outcome.status == 0, "the run is kept, so the command succeeds: \(outcome.stderr)")
    #expect(outcome.stdout.hasPrefix("(tensor(["))
    let pending = PendingRuns(databasePath: directory.path("lab.db"))
    let files = pending.paths().map { ($0 as NSString).lastPathComponent }
    try #require(files.count == 1, "one pending file: \(outcome.stderr)")
    #expect(files[0].hasPrefix("lab.db-pending-") && files[0].hasSuffix(".json"))
    #expect(outcome.errorLines.contains(
      "jvplab: lab.db stayed locked by another process: saved the jvp run in \(files[0]); the next jvplab command that opens lab.db records it"),
      "\(outcome.stderr)")

    // A reader does not wait for the lock (it never holds up a writer): it says the run waits.
    let reader = try runJVPLab(["query", "--db", "lab.db", "--format", "csv"], in: directory.url, environment: Self.shortBusy)
    #expect(reader.status == 0, "\(reader.stderr)")
    #expect(reader.stderr.contains("jvplab: note: 1 pending run waits beside lab.db to be merged"), "\(reader.stderr)")
    #expect(reader.stdout.split(separator: "\n").count == 2, "the header and the one recorded run: \(reader.stdout)")

    try lock.release()
    let next = try runJVPLab(["query", "--db", "lab.db", "--format", "csv"], in: directory.url, environment: Self.shortBusy)
    #expect(next.status == 0, "\(next.stderr)")
    #expect(next.errorLines == ["jvplab: merged 1 pending run (now run 2) into lab.db"], "\(next.stderr)")
    #expect(next.stdout.split(separator: "\n").count == 3, "\(next.stdout)")

    let store = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
    #expect(try DatabaseCheck.integrity(store) == "ok")
    let shapes = try DatabaseCheck.shapes(store)
    var tagged = reference
    tagged.tags = 1
    #expect(shapes.map(\.shape) == [reference, tagged], "the merged run is whole, as if recorded directly: \(shapes)")
    let merged = try #require(try store.run(id: 2))
    #expect(merged.tags["pending"] == "yes")
    #expect(merged.info.status == .ok && merged.info.error == nil)
    let first = try #require(try store.run(id: 1))
    #expect(merged.tensors.map(\.digest) == first.tensors.map(\.digest), "the same tensors, bit for bit")
    #expect(pending.paths().isEmpty)

    let again = try runJVPLab(["query", "--db", "lab.db"], in: directory.url)
    #expect(!again.stderr.contains("merged"), "nothing is merged twice: \(again.stderr)")
  }

  @Test(.timeLimit(.minutes(2)))
  func sigtermDuringTheWaitSavesTheRunAtOnceAndExits143() throws {
    let directory = try Self.seeded("lock-sigterm")
    defer { directory.remove() }
    let lock = try ExclusiveLock(directory.path("lab.db"))
    defer { try? lock.release() }

    let process = try JVPLabProcess(["run"] + Self.fn + ["--lock-wait", "600"], in: directory.url, environment: Self.shortBusy)
    try #require(process.waitForStderr("is locked by another process: waiting up to 600 s"), "\(process.stderrSoFar)")
    process.signal(SIGTERM)
    let outcome = process.wait(timeout: 60)

    #expect(outcome.status == 143, "exit \(outcome.status): \(outcome.stderr)")
    #expect(outcome.stderr.contains("jvplab: terminated (SIGTERM)"))
    #expect(outcome.stderr.contains("saved the jvp run in lab.db-pending-"), "the computed run is kept: \(outcome.stderr)")
    #expect(PendingRuns(databasePath: directory.path("lab.db")).paths().count == 1)
  }

  @Test(.timeLimit(.minutes(2)))
  func twoCommandsRacingToMergeRecordEachPendingRunOnce() throws {
    let directory = try Self.seeded("lock-race")
    defer { directory.remove() }
    let lock = try ExclusiveLock(directory.path("lab.db"))
    for writer in 0..<2 {
      let outcome = try runJVPLab(["run"] + Self.fn + ["--lock-wait", "0", "--tag", "pending=\(writer)"], in: directory.url,
                                  environment: Self.shortBusy)
      #expect(outcome.status == 0, "\(outcome.stderr)")
      #expect(!outcome.stderr.contains("waiting"), "--lock-wait 0 does not wait past the busy timeout: \(outcome.stderr)")
      #expect(outcome.stderr.contains("saved the jvp run in lab.db-pending-"), "\(outcome.stderr)")
    }
    #expect(PendingRuns(databasePath: directory.path("lab.db")).paths().count == 2)

    // Both open the database and queue for its write lock to merge; released, they race.
    let racers = try (0..<2).map { racer in
      try JVPLabProcess(["run"] + Self.fn + ["--tag", "racer=\(racer)"], in: directory.url, environment: ["JVPLAB_BUSY_TIMEOUT": "30"])
    }
    Thread.sleep(forTimeInterval: 0.5)
    try lock.release()
    let outcomes = racers.map { $0.wait(timeout: 60) }

    var mergedCounts: [Int] = []
    for outcome in outcomes {
      #expect(outcome.status == 0, "\(outcome.stderr)")
      for line in outcome.errorLines where line.hasPrefix("jvplab: merged ") {
        mergedCounts.append(Int(line.dropFirst("jvplab: merged ".count).prefix { $0.isNumber }) ?? -1)
      }
    }
    #expect(mergedCounts.reduce(0, +) == 2, "the two pending runs are merged once in all: \(outcomes.map(\.stderr))")
    let store = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
    #expect(try DatabaseCheck.integrity(store) == "ok")
    let runs = try store.runs(matching: RunQuery())
    #expect(runs.count == 5, "the seed, two pending and two racers: \(runs.map(\.tags))")
    #expect(runs.filter { $0.tags["pending"] == "0" }.count == 1)
    #expect(runs.filter { $0.tags["pending"] == "1" }.count == 1)
    #expect(try store.rawQuery(sql: "SELECT count(*) FROM merged_pending").rows.first?.first?.description == "2")
    #expect(PendingRuns(databasePath: directory.path("lab.db")).paths().isEmpty)
  }

  /// A recorder that refuses a finished call is not handed the call a second time, as failed with
  /// the refusal for its error: that stored `status ok` with "could not record" once the lock went.
  @Test
  func aRefusedRecordingIsNotRecordedAgainAsAFailure() throws {
    let recorder = RefusingRecorder()
    let interpreter = Interpreter(file: "one.py", recorder: recorder) { _ in }
    let script = "import torch\nfrom torch.autograd.functional import jvp\njvp(lambda x: x.exp(), torch.ones(2), torch.ones(2))\n"
    #expect(throws: (any Error).self) { try interpreter.run(bytes: Array(script.utf8)) }
    #expect(recorder.calls.map(\.status) == [.ok], "offered once, as the successful call it was")
    #expect(recorder.calls.allSatisfy { $0.error == nil })
  }

  /// A directory whose `lab.db` holds one run of `fn`.
  static func seeded(_ label: String) throws -> ScratchDirectory {
    let directory = try ScratchDirectory(label)
    let outcome = try runJVPLab(["run"] + fn, in: directory.url)
    try #require(outcome.status == 0, "\(outcome.stderr)")
    return directory
  }

  static func referenceShape(_ directory: ScratchDirectory) throws -> DatabaseCheck.RunShape {
    try #require(try DatabaseCheck.shapes(try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)).first?.shape)
  }
}

/// Refuses every call, as a store that cannot be written does, and keeps what it was offered.
final class RefusingRecorder: RunRecorder {
  private(set) var calls: [RecordedCall] = []

  func record(_ call: RecordedCall) throws {
    calls.append(call)
    throw ReliabilityFailure("the store refused the run")
  }
}

/// The write lock of a database, held by this process (as another application would) until released.
final class ExclusiveLock {
  private let queue: DatabaseQueue

  init(_ path: String) throws {
    var configuration = Configuration()
    // The transaction stays open between accesses: that is the point.
    configuration.allowsUnsafeTransactions = true
    queue = try DatabaseQueue(path: path, configuration: configuration)
    try queue.writeWithoutTransaction { try $0.execute(sql: "BEGIN EXCLUSIVE") }
  }

  func release() throws {
    try queue.writeWithoutTransaction { try $0.execute(sql: "COMMIT") }
    try queue.close()
  }
}
