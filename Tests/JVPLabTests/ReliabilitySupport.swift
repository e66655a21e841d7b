import Foundation
import GRDB
import JVPCore
import JVPLab
import JVPStore
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// Shared machinery of the reliability suites (Reliability*.swift): finding and running the real
// `jvplab` binary, scratch directories, and reading a database back to check it is whole.

/// The built `jvplab` executable, as the process-level tests run it.
enum JVPLabBinary {
  /// `$JVPLAB_BINARY`, else the `jvplab` built next to this test bundle (the same configuration, as
  /// the test target depends on the executable), else `.build/debug/jvplab` under the package root.
  static let path: String? = {
    let files = FileManager.default
    if let explicit = ProcessInfo.processInfo.environment["JVPLAB_BINARY"], !explicit.isEmpty {
      return files.isExecutableFile(atPath: explicit) ? explicit : nil
    }
    var candidates = [Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("jvplab").path]
    var root = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { root.deleteLastPathComponent() }
    candidates.append(root.appendingPathComponent(".build/debug/jvplab").path)
    return candidates.first { files.isExecutableFile(atPath: $0) }
  }()

  /// The path, or a test failure that says how to get one.
  static func require() throws -> String {
    guard let path else {
      Issue.record("""
        no built jvplab executable: looked next to the test bundle \
        (\(Bundle.module.bundleURL.deletingLastPathComponent().path)) and in .build/debug; \
        run `swift build` first or set JVPLAB_BINARY
        """)
      throw ReliabilityFailure("jvplab binary not found")
    }
    return path
  }
}

struct ReliabilityFailure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// What a finished `jvplab` process did.
struct ProcessOutcome: Sendable {
  /// The exit status, or 128 + the signal that ended it.
  var status: Int32
  var signaled: Bool
  var stdout: String
  var stderr: String
  var seconds: Double

  /// Stderr's lines, without the trailing empty one.
  var errorLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty } }
}

/// A `jvplab` process started in the background, for tests that signal or race it.
final class JVPLabProcess: @unchecked Sendable {
  let process = Process()
  private let outURL: URL
  private let errURL: URL
  private let started = Date()
  private let finished = DispatchSemaphore(value: 0)

  /// Starts `jvplab arguments...` in `directory` with stdout and stderr going to files (no pipe can fill up),
  /// or to `standardOutput` and `standardError` (`/dev/full`, a pipe) when given.
  init(_ arguments: [String], in directory: URL, environment: [String: String] = [:], user: ReadOnlyUser? = nil,
       standardOutput: FileHandle? = nil, standardError: FileHandle? = nil) throws {
    let binary = try JVPLabBinary.require()
    let id = UUID().uuidString
    outURL = directory.appendingPathComponent(".out-\(id)")
    errURL = directory.appendingPathComponent(".err-\(id)")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    if let user {
      process.executableURL = URL(fileURLWithPath: user.launcher)
      process.arguments = user.launcherArguments + [binary] + arguments
    } else {
      process.executableURL = URL(fileURLWithPath: binary)
      process.arguments = arguments
    }
    process.currentDirectoryURL = directory
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "JVPLAB_DB")
    for (key, value) in environment { env[key] = value }
    process.environment = env
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try standardOutput ?? FileHandle(forWritingTo: outURL)
    process.standardError = try standardError ?? FileHandle(forWritingTo: errURL)
    process.terminationHandler = { [finished] _ in finished.signal() }
    try process.run()
  }

  var pid: Int32 { process.processIdentifier }

  /// What the process has written to stderr so far.
  var stderrSoFar: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

  /// Waits until `count` runs are recorded in the directory's `lab.db` (so a signal lands in the statements after
  /// them), for at most a minute.
  func waitForRuns(_ count: Int, in directory: ScratchDirectory) {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline, process.isRunning {
      if let store = try? RunStore.open(path: directory.path("lab.db"), mode: .readOnly),
        let runs = try? store.runs(matching: RunQuery()), runs.count == count
      { break }
      Thread.sleep(forTimeInterval: 0.05)
    }
    Thread.sleep(forTimeInterval: 0.2)
  }

  /// Waits until stderr contains `text` (true), or the process ends or a minute passes without it (false).
  func waitForStderr(_ text: String) -> Bool {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
      if stderrSoFar.contains(text) { return true }
      if !process.isRunning { return stderrSoFar.contains(text) }
      Thread.sleep(forTimeInterval: 0.05)
    }
    return false
  }

  func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

  /// Seconds of CPU the process has used so far (Linux; nil elsewhere or once it has exited).
  var cpuSeconds: Double? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // After the command name: state is field 3, utime 14 and stime 15 (1-based, in clock ticks).
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
  }

  /// Waits for the process to end (killing it after `timeout` seconds) and collects what it wrote.
  func wait(timeout: Double = 120) -> ProcessOutcome {
    if finished.wait(timeout: .now() + timeout) == .timedOut {
      kill(process.processIdentifier, SIGKILL)
      finished.wait()
      Issue.record("jvplab \(process.arguments ?? []) did not finish within \(timeout) s and was killed")
    }
    let signaled = process.terminationReason == .uncaughtSignal
    let outcome = ProcessOutcome(
      status: signaled ? 128 + process.terminationStatus : process.terminationStatus, signaled: signaled,
      stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "<not UTF-8>",
      stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "<not UTF-8>",
      seconds: Date().timeIntervalSince(started))
    try? FileManager.default.removeItem(at: outURL)
    try? FileManager.default.removeItem(at: errURL)
    return outcome
  }
}

/// Runs `jvplab arguments...` to completion.
func runJVPLab(_ arguments: [String], in directory: URL, environment: [String: String] = [:], user: ReadOnlyUser? = nil,
               standardOutput: FileHandle? = nil, standardError: FileHandle? = nil, timeout: Double = 120) throws -> ProcessOutcome {
  try JVPLabProcess(arguments, in: directory, environment: environment, user: user, standardOutput: standardOutput,
                    standardError: standardError).wait(timeout: timeout)
}

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct ScratchDirectory {
  let url: URL

  init(_ label: String) throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("jvplab-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  func path(_ name: String) -> String { url.appendingPathComponent(name).path }

  func write(_ name: String, _ text: String) throws { try Data(text.utf8).write(to: url.appendingPathComponent(name)) }

  func write(_ name: String, bytes: [UInt8]) throws { try Data(bytes).write(to: url.appendingPathComponent(name)) }

  func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Running jvplab as a user who may read but not write, where the file mode alone cannot do it:
/// root ignores permission bits, so the tests drop to `nobody` with setpriv (util-linux).
struct ReadOnlyUser: Sendable {
  let launcher: String
  let launcherArguments: [String]

  /// Nil when the tests are not root (permission bits then suffice) or no way to drop privileges
  /// works here; `reason` says which.
  static let available: (user: ReadOnlyUser?, reason: String) = {
    guard getuid() == 0 else { return (nil, "not root: chmod is enough") }
    for launcher in ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv"] where FileManager.default.isExecutableFile(atPath: launcher) {
      let user = ReadOnlyUser(launcher: launcher, launcherArguments: ["--reuid=65534", "--regid=65534", "--clear-groups"])
      // The binary must be reachable by `nobody` (every directory above it searchable).
      if let directory = try? ScratchDirectory("probe"), let outcome = try? runJVPLab(["--version"], in: directory.url, user: user) {
        directory.remove()
        if outcome.status == 0 { return (user, "setpriv as nobody") }
        return (nil, "setpriv works but nobody cannot run \(JVPLabBinary.path ?? "jvplab"): \(outcome.stderr)")
      }
    }
    return (nil, "running as root and setpriv is not available: file permissions cannot make a file read-only for root")
  }()
}

/// Reads a database back the way a user's next command would, and checks it is whole.
enum DatabaseCheck {
  /// Opens `path` read-write (as the next `jvplab run` would, recovering a killed writer's WAL).
  static func store(_ path: String) throws -> RunStore { try RunStore.open(path: path, mode: .readWrite) }

  static func integrity(_ store: RunStore) throws -> String {
    try store.rawQuery(sql: "PRAGMA integrity_check").rows.map { $0.map(\.description).joined() }.joined(separator: "; ")
  }

  /// One row per run: what a run is made of, to compare with a complete reference run.
  struct RunShape: Hashable, Sendable, CustomStringConvertible {
    var line: Int64
    var kind: String
    var status: String
    var tensors: Int64
    var timings: Int64
    var checks: Int64
    var tags: Int64
    var finished: Bool

    var description: String {
      "line \(line) \(kind) \(status): \(tensors) tensors, \(timings) timings, \(checks) checks, \(tags) tags\(finished ? "" : ", unfinished")"
    }
  }

  static let shapeSQL = """
    SELECT r.id, coalesce(r.line, 0), r.kind, r.status,
      (SELECT count(*) FROM tensors t WHERE t.run_id = r.id),
      (SELECT count(*) FROM timings t WHERE t.run_id = r.id),
      (SELECT count(*) FROM checks c WHERE c.run_id = r.id),
      (SELECT count(*) FROM tags g WHERE g.run_id = r.id),
      r.finished IS NOT NULL
    FROM runs r ORDER BY r.id
    """

  /// Every run's shape, by id, read in one statement (one snapshot).
  static func shapes(_ store: any RunReading) throws -> [(id: Int64, shape: RunShape)] {
    try store.rawQuery(sql: shapeSQL).rows.map(parseShape)
  }

  static func parseShape(_ row: [SQLValue]) -> (id: Int64, shape: RunShape) {
    func int(_ value: SQLValue) -> Int64 { if case .integer(let i) = value { i } else { -1 } }
    func text(_ value: SQLValue) -> String { value.description }
    return (int(row[0]), RunShape(line: int(row[1]), kind: text(row[2]), status: text(row[3]), tensors: int(row[4]),
                                 timings: int(row[5]), checks: int(row[6]), tags: int(row[7]), finished: int(row[8]) == 1))
  }

  /// A text digest of everything recorded: every row of every table, in id order.
  static func digest(_ path: String) throws -> String {
    let store = try RunStore.open(path: path, mode: .readOnly)
    var text = ""
    for table in ["runs", "tensors", "timings", "checks", "tags"] {
      let result = try store.rawQuery(sql: "SELECT * FROM \(table) ORDER BY 1, 2")
      text += "\(table): \(result.rows.count) rows\n"
      for row in result.rows { text += row.map(\.description).joined(separator: "|") + "\n" }
    }
    return text
  }

  /// The bytes of the file (and its -wal), for files jvplab must not touch at all.
  static func fileBytes(_ path: String) -> Data {
    (FileManager.default.contents(atPath: path) ?? Data()) + (FileManager.default.contents(atPath: path + "-wal") ?? Data())
  }
}

/// The seeded generator of the randomised reliability tests: JVPCore's SplitMix64, so every trial
/// and fuzz input replays exactly from its seed.
typealias SeededRandom = SplitMix64

extension SplitMix64 {
  mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }

  mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }
}

/// Raw SQL on a file, for setting up databases jvplab did not write (another app's, a newer
/// jvplab's, a hand-damaged one).
enum SQLiteScript {
  static func execute(_ sql: String, on path: String) throws {
    let queue = try DatabaseQueue(path: path)
    try queue.writeWithoutTransaction { try $0.execute(sql: sql) }
    try queue.close()
  }
}
