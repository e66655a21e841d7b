import Foundation
import JVPStore
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A stdout or stderr that cannot be written (issue #20): a full disk, a broken mount, a closed
/// pipe. Every command reports it in one line on stderr and exits 1 (a closed pipe: silently, with
/// SIGPIPE's 141), never crashes, and records or keeps every run as it would have.
@Suite("Reliability: failing stdout and stderr", .serialized)
struct ReliabilityOutputTests {
  static let crashMarkers = ["Fatal error", "Backtrace", "Stack dump", "Crash", "Segmentation", "Illegal instruction"]
  static let fn = ["--fn", "x.exp().sum(dim=1)", "--input", "x=rand(4, 4)", "--kind", "jvp", "--db", "lab.db"]

  /// Each command with stdout on `/dev/full` (every write fails with ENOSPC).
  static let commands: [[String]] = [
    ["query", "--db", "lab.db"],
    ["query", "--db", "lab.db", "--format", "json"],
    ["show", "latest", "--db", "lab.db"],
    ["diff", "1", "2", "--db", "lab.db"],
    ["run"] + fn,
    ["run"] + fn + ["--format", "json"],
  ]

  @Test(arguments: commands)
  func stdoutOnAFullDiskIsOneErrorAndExit1(_ arguments: [String]) throws {
    let directory = try Self.seeded("full-stdout")
    defer { directory.remove() }
    let full = try #require(FileHandle(forWritingAtPath: "/dev/full"), "no /dev/full here")
    let before = try Self.runCount(directory)

    let outcome = try runJVPLab(arguments, in: directory.url, standardOutput: full)

    #expect(!outcome.signaled, "died of a signal: \(outcome.stderr)")
    for marker in Self.crashMarkers { #expect(!outcome.stderr.contains(marker), "\(outcome.stderr.prefix(2000))") }
    #expect(outcome.status == 1, "exit \(outcome.status): \(outcome.stderr)")
    let failures = outcome.errorLines.filter { $0.contains("stdout") }
    #expect(failures == ["jvplab: cannot write to stdout: No space left on device"], "stderr: \(outcome.stderr)")
    let store = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
    #expect(try DatabaseCheck.integrity(store) == "ok")
    let runs = try store.runs(matching: RunQuery())
    #expect(runs.count == before + (arguments[0] == "run" ? 1 : 0), "a run is recorded whatever happens to its transcript")
    #expect(runs.allSatisfy { $0.info.status == .ok })
  }

  @Test(arguments: [["query", "--db", "lab.db"], ["run"] + fn])
  func aClosedPipeIsSilentWithSIGPIPEsStatus(_ arguments: [String]) throws {
    let directory = try Self.seeded("closed-pipe")
    defer { directory.remove() }
    let pipe = Pipe()
    try pipe.fileHandleForReading.close()
    let before = try Self.runCount(directory)

    let outcome = try runJVPLab(arguments, in: directory.url, standardOutput: pipe.fileHandleForWriting)
    try? pipe.fileHandleForWriting.close()

    #expect(outcome.status == 141, "exit \(outcome.status) (signaled: \(outcome.signaled)): \(outcome.stderr)")
    #expect(!outcome.stderr.contains("stdout"), "a closed pipe is not reported: \(outcome.stderr)")
    for marker in Self.crashMarkers { #expect(!outcome.stderr.contains(marker)) }
    #expect(try Self.runCount(directory) == before + (arguments[0] == "run" ? 1 : 0))
  }

  @Test
  func stderrOnAFullDiskNeverCrashes() throws {
    let directory = try Self.seeded("full-stderr")
    defer { directory.remove() }
    let full = try #require(FileHandle(forWritingAtPath: "/dev/full"), "no /dev/full here")
    // An error that can no longer be reported still exits with its status.
    let missing = try runJVPLab(["show", "99", "--db", "lab.db"], in: directory.url, standardError: full)
    #expect(missing.status == 2 && !missing.signaled, "exit \(missing.status)")
    // A run whose progress lines cannot be written is still recorded and succeeds.
    let run = try runJVPLab(["run"] + Self.fn, in: directory.url, standardError: full)
    #expect(run.status == 0 && !run.signaled, "exit \(run.status)")
    #expect(run.stdout.hasPrefix("(tensor(["), "stdout: \(run.stdout)")
    #expect(try Self.runCount(directory) == 3)
  }

  /// A directory with two recorded runs.
  static func seeded(_ label: String) throws -> ScratchDirectory {
    let directory = try ScratchDirectory(label)
    for _ in 0..<2 {
      let outcome = try runJVPLab(["run"] + fn, in: directory.url)
      try #require(outcome.status == 0, "\(outcome.stderr)")
    }
    return directory
  }

  static func runCount(_ directory: ScratchDirectory) throws -> Int {
    try RunStore.open(path: directory.path("lab.db"), mode: .readOnly).runs(matching: RunQuery()).count
  }
}
