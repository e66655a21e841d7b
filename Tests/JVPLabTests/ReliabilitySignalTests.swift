import Foundation
import JVPStore
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Stopping `jvplab` while it works (issues #4, #7 and #20): Ctrl-C, SIGTERM and SIGHUP record the
/// run as interrupted and exit 130, 143 and 129; a kill at any moment leaves a sound database in which every run is whole or absent.
@Suite("Reliability: interruption and kills", .serialized)
struct ReliabilitySignalTests {
  static let forever = ["--fn", "x.exp().sum()", "--input", "x=rand(4, 4)", "--kind", "jvp", "--db", "lab.db"]

  @Test(.timeLimit(.minutes(2)))
  func sigintDuringRepeatRecordsAnInterruptedRunAndExits130() throws {
    let directory = try ScratchDirectory("sigint-repeat")
    defer { directory.remove() }
    let process = try JVPLabProcess(["run"] + Self.forever + ["--repeat", "100000000", "--format", "json"], in: directory.url)
    try Self.waitUntilWorking(process)
    process.signal(SIGINT)
    let outcome = process.wait(timeout: 30)

    #expect(outcome.status == 130, "exit \(outcome.status): \(outcome.stderr)")
    #expect(outcome.stderr.contains("interrupted"))
    let printed = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [[String: Any]]
    #expect(printed?.first?["status"] as? String == "interrupted", "stdout: \(outcome.stdout.prefix(300))")

    let store = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
    #expect(try DatabaseCheck.integrity(store) == "ok")
    let runs = try store.runs(matching: RunQuery())
    try #require(runs.count == 1)
    #expect(runs[0].info.status == .interrupted)
    let samples = try #require(runs[0].timings.first { $0.phase == "jvp" })
    #expect(samples.samples.count >= 1, "the samples taken before Ctrl-C are kept")
    let detail = try #require(try store.run(id: runs[0].id))
    #expect(detail.tensors.map(\.role) == ["input", "tangent"], "inputs are recorded even though no result is")
  }

  @Test(.timeLimit(.minutes(2)))
  func sigintDuringWarmupIsHeardToo() throws {
    let directory = try ScratchDirectory("sigint-warmup")
    defer { directory.remove() }
    let process = try JVPLabProcess(["run"] + Self.forever + ["--warmup", "100000000"], in: directory.url)
    try Self.waitUntilWorking(process)
    process.signal(SIGINT)
    let outcome = process.wait(timeout: 30)
    #expect(outcome.status == 130, "exit \(outcome.status): \(outcome.stderr)")
    let store = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
    #expect(try store.runs(matching: RunQuery()).map(\.info.status) == [.interrupted])
    #expect(try DatabaseCheck.integrity(store) == "ok")
  }

  @Test(.timeLimit(.minutes(2)))
  func sigintBetweenStatementsKeepsTheRunsBefore() throws {
    let directory = try ScratchDirectory("sigint-script")
    defer { directory.remove() }
    // Two quick recorded calls, then statements that keep the interpreter busy one after another.
    try directory.write("long.py", """
      import torch
      from torch.autograd.functional import jvp
      x = torch.rand(3)
      jvp(lambda x: x.exp(), x, torch.ones(3))
      jvp(lambda x: x.sin(), x, torch.ones(3))

      """ + String(repeating: "y = torch.rand(300, 300) @ torch.rand(300, 300)\n", count: 5_000))
    let process = try JVPLabProcess(["run", "long.py", "--db", "lab.db"], in: directory.url)
    // Interrupt once both calls are recorded, while the statements after them run.
    process.waitForRuns(2, in: directory)
    process.signal(SIGINT)
    let outcome = process.wait(timeout: 30)
    #expect(outcome.status == 130, "exit \(outcome.status): \(outcome.stderr)")
    #expect(outcome.stderr.contains("long.py:"), "the interruption names where it stopped: \(outcome.stderr)")
    let store = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
    #expect(try store.runs(matching: RunQuery()).map(\.info.status) == [.ok, .ok])
  }

  @Test(.timeLimit(.minutes(2)))
  func aSecondSigintStopsALongStepAtOnce() throws {
    let directory = try ScratchDirectory("sigint-twice")
    defer { directory.remove() }
    // One jacobian that takes far longer than the test waits: the flag cannot be polled inside it.
    let process = try JVPLabProcess(
      ["run", "--fn", "x.exp() * x.sin()", "--input", "x=rand(5000)", "--kind", "jacobian", "--db", "lab.db"], in: directory.url)
    try Self.waitUntilWorking(process)
    process.signal(SIGINT)
    Thread.sleep(forTimeInterval: 0.3)
    process.signal(SIGINT)
    let outcome = process.wait(timeout: 20)
    #expect(outcome.status == 130, "exit \(outcome.status): \(outcome.stderr)")
    #expect(outcome.seconds < 15)
    #expect(outcome.stderr.contains("interrupted again"))
    let store = try RunStore.open(path: directory.path("lab.db"), mode: .readWrite)
    #expect(try DatabaseCheck.integrity(store) == "ok")
  }

  /// SIGTERM (`timeout`, `kill`, CI runners, `systemctl stop`) and SIGHUP (a closed terminal) are
  /// handled as SIGINT is (issue #20), each exiting 128 + its number.
  struct StopSignal: CustomTestStringConvertible, Sendable {
    let number: Int32
    let name: String
    let status: Int32
    let says: String
    var testDescription: String { name }
  }

  static let stopSignals = [
    StopSignal(number: SIGTERM, name: "SIGTERM", status: 143, says: "jvplab: terminated (SIGTERM): stopping after the current step"),
    StopSignal(number: SIGHUP, name: "SIGHUP", status: 129, says: "jvplab: hung up (SIGHUP): stopping after the current step"),
  ]

  @Test(.timeLimit(.minutes(2)), arguments: stopSignals)
  func aStopSignalDuringRepeatRecordsTheSamplesAndKeepsEarlierRuns(_ stop: StopSignal) throws {
    let directory = try ScratchDirectory("stop-repeat")
    defer { directory.remove() }
    let earlier = try runJVPLab(["run"] + Self.forever + ["--repeat", "3"], in: directory.url)
    try #require(earlier.status == 0, "\(earlier.stderr)")
    let earlierShape = try DatabaseCheck.shapes(try RunStore.open(path: directory.path("lab.db"), mode: .readOnly))
    let process = try JVPLabProcess(["run"] + Self.forever + ["--repeat", "100000000", "--format", "json"], in: directory.url)
    try Self.waitUntilWorking(process)
    process.signal(stop.number)
    let outcome = process.wait(timeout: 30)

    #expect(outcome.status == stop.status, "exit \(outcome.status): \(outcome.stderr)")
    #expect(!outcome.signaled)
    #expect(outcome.errorLines.filter { $0.hasPrefix("jvplab: ") && $0.contains(stop.name) } == [stop.says + " (\(stop.name) again stops now)"],
            "one line says what happened: \(outcome.stderr)")
    let printed = try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [[String: Any]]
    #expect(printed?.first?["status"] as? String == "interrupted", "stdout: \(outcome.stdout.prefix(300))")

    let store = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
    #expect(try DatabaseCheck.integrity(store) == "ok")
    let shapes = try DatabaseCheck.shapes(store)
    try #require(shapes.count == 2)
    #expect(shapes[0].id == earlierShape[0].id && shapes[0].shape == earlierShape[0].shape, "the earlier run is untouched")
    let runs = try store.runs(matching: RunQuery(filter: "status = interrupted"))
    try #require(runs.count == 1)
    let samples = try #require(runs[0].timings.first { $0.phase == "jvp" })
    #expect(samples.samples.count >= 1, "the samples taken before \(stop.name) are kept")
  }

  @Test(.timeLimit(.minutes(2)), arguments: stopSignals)
  func aStopSignalDuringWarmupIsHeard(_ stop: StopSignal) throws {
    let directory = try ScratchDirectory("stop-warmup")
    defer { directory.remove() }
    let process = try JVPLabProcess(["run"] + Self.forever + ["--warmup", "100000000"], in: directory.url)
    try Self.waitUntilWorking(process)
    process.signal(stop.number)
    let outcome = process.wait(timeout: 30)
    #expect(outcome.status == stop.status, "exit \(outcome.status): \(outcome.stderr)")
    #expect(outcome.stderr.contains(stop.says))
    let store = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
    #expect(try store.runs(matching: RunQuery()).map(\.info.status) == [.interrupted])
    #expect(try DatabaseCheck.integrity(store) == "ok")
  }

  @Test(.timeLimit(.minutes(2)), arguments: stopSignals)
  func aStopSignalBetweenStatementsKeepsTheRunsBefore(_ stop: StopSignal) throws {
    let directory = try ScratchDirectory("stop-script")
    defer { directory.remove() }
    try directory.write("long.py", Self.longScript)
    // The same two calls without the long tail, recorded whole: what the interrupted script's runs must match.
    try directory.write("short.py", String(Self.longScript.prefix(while: { $0 != "y" })))
    let short = try runJVPLab(["run", "short.py", "--db", "reference.db"], in: directory.url)
    try #require(short.status == 0, "\(short.stderr)")
    let reference = try DatabaseCheck.shapes(try RunStore.open(path: directory.path("reference.db"), mode: .readOnly)).map(\.shape)
    try #require(reference.count == 2)
    let process = try JVPLabProcess(["run", "long.py", "--db", "lab.db"], in: directory.url)
    process.waitForRuns(2, in: directory)
    process.signal(stop.number)
    let outcome = process.wait(timeout: 30)
    #expect(outcome.status == stop.status, "exit \(outcome.status): \(outcome.stderr)")
    #expect(outcome.stderr.contains(stop.says))
    #expect(outcome.stderr.contains("long.py:"), "the interruption names where it stopped: \(outcome.stderr)")
    let store = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
    #expect(try DatabaseCheck.integrity(store) == "ok")
    let shapes = try DatabaseCheck.shapes(store)
    #expect(shapes.map(\.shape) == reference, "the runs before the signal are whole: \(shapes)")
  }

  @Test(.timeLimit(.minutes(2)), arguments: stopSignals)
  func aSecondStopSignalStopsALongStepAtOnce(_ stop: StopSignal) throws {
    let directory = try ScratchDirectory("stop-twice")
    defer { directory.remove() }
    let process = try JVPLabProcess(
      ["run", "--fn", "x.exp() * x.sin()", "--input", "x=rand(5000)", "--kind", "jacobian", "--db", "lab.db"], in: directory.url)
    try Self.waitUntilWorking(process)
    process.signal(stop.number)
    Thread.sleep(forTimeInterval: 0.3)
    process.signal(stop.number)
    let outcome = process.wait(timeout: 20)
    #expect(outcome.status == stop.status, "exit \(outcome.status): \(outcome.stderr)")
    #expect(outcome.stderr.contains("\(stop.name) again: stopping now"), "\(outcome.stderr)")
    let store = try RunStore.open(path: directory.path("lab.db"), mode: .readWrite)
    #expect(try DatabaseCheck.integrity(store) == "ok")
  }

  /// Two quick recorded calls, then statements that keep the interpreter busy one after another.
  static let longScript = """
    import torch
    from torch.autograd.functional import jvp
    x = torch.rand(3)
    jvp(lambda x: x.exp(), x, torch.ones(3))
    jvp(lambda x: x.sin(), x, torch.ones(3))

    """ + String(repeating: "y = torch.rand(300, 300) @ torch.rand(300, 300)\n", count: 5_000)

  /// SIGKILL at random moments: while the schema is being created, mid-transaction, between runs.
  /// After every kill the database passes `PRAGMA integrity_check` and holds only whole runs.
  @Test(.timeLimit(.minutes(3)))
  func sigkillAtRandomPointsLeavesEveryRunWholeOrAbsent() throws {
    let directory = try ScratchDirectory("sigkill")
    defer { directory.remove() }
    try directory.write("calls.py", Self.killScript)
    let reference = try Self.referenceShapes(directory)
    var random = SeededRandom(seed: ProcessInfo.processInfo.environment["JVPLAB_KILL_SEED"].flatMap { UInt64($0) } ?? 20_261_127)

    // How long an uninterrupted run takes, so that kills land anywhere in it.
    let timed = try runJVPLab(["run", "calls.py", "--db", "timing.db"], in: directory.url)
    try #require(timed.status == 0, "\(timed.stderr)")
    let span = max(timed.seconds, 0.2)

    let trials = 60
    var killedMidRun = 0
    var runsSeen = 0
    let started = Date()
    for trial in 0..<trials {
      // The first ten start from nothing and die early: during creation of the file and schema.
      let fresh = trial < 10
      let database = fresh ? "fresh\(trial).db" : "shared.db"
      let delay = fresh ? Double.random(in: 0...0.15, using: &random) : Double.random(in: 0...span * 0.95, using: &random)
      let process = try JVPLabProcess(["run", "calls.py", "--db", database, "--tag", "trial=\(trial)"], in: directory.url)
      Thread.sleep(forTimeInterval: delay)
      process.signal(SIGKILL)
      let outcome = process.wait(timeout: 30)
      if outcome.signaled { killedMidRun += 1 }

      let path = directory.path(database)
      guard FileManager.default.fileExists(atPath: path) else { continue }
      // The next command opens it as usual: a file killed before its schema was committed is
      // taken as new, a killed writer's WAL is recovered.
      let store = try DatabaseCheck.store(path)
      let integrity = try DatabaseCheck.integrity(store)
      #expect(integrity == "ok", "trial \(trial) (killed after \(delay) s): \(integrity)")
      let shapes = try DatabaseCheck.shapes(store)
      runsSeen += shapes.count
      for (id, shape) in shapes where shape != reference[shape.line] {
        Issue.record("trial \(trial) (killed after \(delay) s): run \(id) is \(shape), expected \(reference[shape.line].map(String.init(describing:)) ?? "nothing")")
      }
    }
    let seconds = Date().timeIntervalSince(started)
    print("sigkill: \(trials) trials in \(String(format: "%.1f", seconds)) s, \(killedMidRun) killed while running, \(runsSeen) runs checked")
    #expect(killedMidRun >= trials / 2, "most kills should land while jvplab runs (\(killedMidRun) of \(trials))")
  }

  /// Runs that write many rows (hessians and jacobians of 48 x 48) so that kills often land inside
  /// a transaction; six kinds of call, five times over.
  static let killScript = """
    import torch
    from torch.autograd.functional import jvp, vjp, jacobian, hessian
    torch.manual_seed(0)
    x = torch.rand(48)

    """ + String(repeating: """
    jacobian(lambda x: x.exp() * x.sum(), x)
    hessian(lambda x: (x ** 3).sum(), x)
    jvp(lambda x: x.sin(), x, torch.ones(48))
    vjp(lambda x: x.tanh(), x, torch.ones(48))
    jacobian(lambda x: x.softmax(dim=0), x, vectorize=True)
    jvp(lambda x: x.log1p().sum(), x, torch.ones(48))

    """, count: 5)
  static let killScriptRuns = 30

  static func referenceShapes(_ directory: ScratchDirectory) throws -> [Int64: DatabaseCheck.RunShape] {
    let outcome = try runJVPLab(["run", "calls.py", "--db", "reference.db", "--tag", "trial=reference"], in: directory.url)
    try #require(outcome.status == 0, "\(outcome.stderr)")
    let shapes = try DatabaseCheck.shapes(try RunStore.open(path: directory.path("reference.db"), mode: .readOnly))
    try #require(shapes.count == killScriptRuns)
    return Dictionary(uniqueKeysWithValues: shapes.map { ($0.shape.line, $0.shape) })
  }

  /// Waits until the process has used `cpuSeconds` of CPU (so it is past start-up and inside the
  /// work), or, where CPU time cannot be read, a fixed while.
  static func waitUntilWorking(_ process: JVPLabProcess, cpuSeconds: Double = 0.5) throws {
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline {
      guard process.process.isRunning else {
        Issue.record("jvplab ended before it could be interrupted: \(process.wait(timeout: 1).stderr)")
        throw ReliabilityFailure("ended early")
      }
      guard let used = process.cpuSeconds else {
        Thread.sleep(forTimeInterval: 2)
        return
      }
      if used >= cpuSeconds { return }
      Thread.sleep(forTimeInterval: 0.05)
    }
  }
}
