import Foundation
import JVPStore
import Testing

/// A sweep stopped by SIGINT keeps its finished points and `jvplab sweep --resume` runs only the rest
/// (issue #19), in real processes as a user's Ctrl-C reaches them.
@Suite("Sweep: SIGINT and resume", .serialized)
struct SweepSignalTests {
  /// Two quick points, then one of about five seconds (200 timed calls on 200,000 elements).
  static let sweep = [
    "sweep", "--fn", "x.exp().sum()", "--input", "x=rand(N)", "--kind", "jvp", "--grid", "N=4,8,200000", "--repeat", "200",
    "--db", "lab.db",
  ]

  @Test(.timeLimit(.minutes(2)))
  func sigintKeepsFinishedPointsAndResumeRunsOnlyTheMissingOne() throws {
    let directory = try ScratchDirectory("sweep-sigint")
    defer { directory.remove() }
    let process = try JVPLabProcess(Self.sweep, in: directory.url)
    process.waitForRuns(2, in: directory)
    process.signal(SIGINT)
    let stopped = process.wait(timeout: 60)
    #expect(stopped.status == 130, "\(stopped.stderr)")
    #expect(stopped.stderr.contains("jvplab: sweep 1 interrupted with 2 of 3 points recorded"), "\(stopped.stderr)")
    let store = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
    #expect(try store.sweep(1)?.status == .interrupted)
    #expect(try store.finishedPoints(ofSweep: 1) == [0, 1])
    let before = try store.runs(ofSweep: 1)
    #expect(before.map(\.info.status) == [.ok, .ok, .interrupted])

    let resumed = try runJVPLab(["sweep", "--resume", "1", "--db", "lab.db"], in: directory.url)
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(resumed.stderr.contains("jvplab: sweep 1: resuming 1 of 3 points"), "\(resumed.stderr)")
    let after = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
    #expect(try after.sweep(1)?.status == .done)
    let runs = try after.runs(ofSweep: 1)
    #expect(runs.map(\.info.sweepPoint) == [0, 1, 2, 2])
    #expect(Array(runs.prefix(3)) == before)
    #expect(runs[3].info.status == .ok)
    #expect(runs[3].timings.first { $0.phase == "jvp" }?.samples.count == 200)
    #expect(runs[3].grid == ["N": "200000"])
    #expect(try DatabaseCheck.integrity(after) == "ok")

    let again = try runJVPLab(["sweep", "--resume", "1", "--db", "lab.db"], in: directory.url)
    #expect(again.status == 0)
    #expect(again.stderr == "jvplab: sweep 1 has every one of its 3 points: nothing to resume\n")
  }

  /// A script point stopped between its calls has some of its runs: `--resume` removes them (restorable)
  /// and runs the point again whole, so the point's live runs are one attempt.
  @Test(.timeLimit(.minutes(2)))
  func aScriptPointStoppedMidwayRunsAgainWholeOnResume() throws {
    let directory = try ScratchDirectory("sweep-script-sigint")
    defer { directory.remove() }
    try directory.write("calls.py", """
      import torch
      from torch.autograd.functional import jvp
      x = torch.rand(N)
      for i in range(3):
          jvp(lambda x: x.exp().sum(), x, torch.ones(N))
      """)
    let process = try JVPLabProcess(
      ["sweep", "calls.py", "--grid", "N=4,100000", "--repeat", "100", "--db", "lab.db"], in: directory.url)
    // Point 0's three runs and the first of point 1's.
    process.waitForRuns(4, in: directory)
    process.signal(SIGINT)
    let stopped = process.wait(timeout: 60)
    #expect(stopped.status == 130, "\(stopped.stderr)")
    let store = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
    let record = try #require(try store.sweep(1))
    #expect(record.status == .interrupted)
    #expect(record.partialPoint == 1)
    let before = try store.runs(ofSweep: 1)
    let earlier = before.filter { $0.info.sweepPoint == 1 }.map(\.id)
    #expect(before.filter { $0.info.sweepPoint == 0 }.count == 3)
    #expect(!earlier.isEmpty)

    let resumed = try runJVPLab(["sweep", "--resume", "1", "--db", "lab.db"], in: directory.url)
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(resumed.stderr.contains("jvplab: sweep 1: point 1 was stopped midway"), "\(resumed.stderr)")
    let after = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
    let runs = try after.runs(ofSweep: 1)
    #expect(runs.map(\.info.sweepPoint) == [0, 0, 0, 1, 1, 1])
    #expect(runs.allSatisfy { $0.info.status == .ok })
    #expect(runs.filter { $0.info.sweepPoint == 1 }.allSatisfy { !earlier.contains($0.id) && $0.inputElements == 100_000 })
    #expect(try after.ids(matching: RunQuery(scope: .deleted)) == earlier.reversed())
    #expect(try after.sweep(1)?.status == .done)
  }
}
