import Foundation
import JVPLab
import Testing

/// The built `jvplab` executable, run as a whole process: argument-parser errors exit 2 (not
/// ArgumentParser's 64), and the documented exit codes reach the shell.
@Suite struct CommandLineTests {
  /// `.build/<triple>/debug/jvplab`, next to this test target's resource bundle.
  static let executable: URL = {
    let beside = Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("jvplab")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let debug = package.appendingPathComponent(".build/debug/jvplab")
    return debug
  }()

  struct Result {
    var status: Int32
    var out: String
    var err: String
  }

  /// Runs `jvplab arguments...` in `lab`'s directory, with stdout and stderr captured in files.
  func jvplab(_ arguments: [String], in lab: Lab) throws -> Result {
    let process = Process()
    process.executableURL = Self.executable
    process.arguments = arguments
    process.currentDirectoryURL = lab.directory
    var environment = ProcessInfo.processInfo.environment
    environment["JVPLAB_DB"] = nil
    process.environment = environment
    let outURL = lab.directory.appendingPathComponent("stdout-\(UUID().uuidString)")
    let errURL = lab.directory.appendingPathComponent("stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    defer {
      try? FileManager.default.removeItem(at: outURL)
      try? FileManager.default.removeItem(at: errURL)
    }
    return Result(status: process.terminationStatus, out: try String(contentsOf: outURL, encoding: .utf8),
                  err: try String(contentsOf: errURL, encoding: .utf8))
  }

  /// Files in the lab directory other than captured output.
  func files(_ lab: Lab) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: lab.directory.path)
      .filter { !$0.hasPrefix("stdout-") && !$0.hasPrefix("stderr-") }.sorted()
  }

  @Test(arguments: [
    (["run", "script.py", "--bogus"], "Unknown option '--bogus'"),
    (["run", "--fn", "x.exp()", "--input", "x=ones(2)", "--kind", "jvp", "--bogus"], "Unknown option '--bogus'"),
    (["show", "1", "--bogus"], "Unknown option '--bogus'"),
    (["run"], "give either a SCRIPT or --fn SRC (with --input and --kind)"),
    (["run", "--fn", "x.exp()", "--input", "x=ones(2)", "--kind", "jvp", "--repeat", "0"], "--repeat must be at least 1, got 0"),
    (["run", "--fn", "x.exp()", "--input", "x=ones(2)"], "--fn needs --kind"),
    (["run", "--fn", "x.exp()", "--input", "x", "--kind", "jvp"], "--input expects NAME=VALUE, got 'x'"),
    (["run", "--fn", "x.exp()", "--input", "x=ones(2)", "--kind", "jvq"], "'jvq'"),
    (["query", "--limit", "abc"], "'abc'"),
    (["diff", "1"], "Missing expected argument '<b>'"),
    (["replay", "1", "--repeat", "0"], "--repeat must be at least 1, got 0"),
  ])
  func usageErrorsExitTwo(arguments: [String], message: String) throws {
    let lab = try Lab()
    let result = try jvplab(arguments + ["--db", lab.database], in: lab)
    #expect(result.status == 2, "\(result.err)")
    #expect(result.err.contains(message), "\(result.err)")
    #expect(result.out == "")
    #expect(try files(lab) == [])
  }

  @Test(arguments: [
    (["frobnicate"], "Unexpected argument 'frobnicate'"),
    (["run", "--bogus"], "jvplab: give either a SCRIPT or --fn SRC"),
    (["query", "--sort"], "Missing value for '--sort <sort>'"),
  ])
  func usageErrorsWithoutADatabaseExitTwo(arguments: [String], message: String) throws {
    let lab = try Lab()
    let result = try jvplab(arguments, in: lab)
    #expect(result.status == 2, "\(result.err)")
    #expect(result.err.hasPrefix("jvplab: "), "\(result.err)")
    #expect(result.err.contains(message), "\(result.err)")
    #expect(try files(lab) == [])
  }

  @Test func helpAndVersionExitZero() throws {
    let lab = try Lab()
    let help = try jvplab(["query", "--help"], in: lab)
    #expect(help.status == 0)
    #expect(help.out.contains("USAGE: jvplab query"))
    let version = try jvplab(["--version"], in: lab)
    #expect(version.status == 0)
    #expect(version.out == JVPLabVersion.current + "\n")
  }

  /// A whole session: run, query (with `--sort -KEY`), show, diff, replay, each with its exit code.
  @Test func sessionExitCodes() throws {
    let lab = try Lab()
    let db = ["--db", lab.database]
    let fn = ["run", "--fn", "x.exp().sum(dim=1)", "--input", "x=rand(4,4)", "--kind", "jvp"]
    let first = try jvplab(fn + ["--seed", "42"] + db, in: lab)
    #expect(first.status == 0, "\(first.err)")
    #expect(first.out == "(tensor([8.9895, 6.8053, 8.0611, 7.7843]),\n tensor([8.9895, 6.8053, 8.0611, 7.7843]))\n")
    #expect(first.err == "jvplab: recorded run 1 in \(lab.database)\n")
    #expect(try jvplab(fn + ["--seed", "42"] + db, in: lab).status == 0)
    #expect(try jvplab(fn + ["--seed", "7", "--tag", "k=v"] + db, in: lab).status == 0)

    let sorted = try jvplab(["query", "--sort", "-seed,id", "--format", "csv"] + db, in: lab)
    #expect(sorted.status == 0, "\(sorted.err)")
    #expect(sorted.out.split(separator: "\n").dropFirst().map { $0.prefix { $0 != "," } } == ["1", "2", "3"])
    let ascending = try jvplab(["query", "--sort", "seed", "--format", "csv"] + db, in: lab)
    #expect(ascending.out.split(separator: "\n").dropFirst().map { $0.prefix { $0 != "," } } == ["3", "2", "1"])
    let words = try jvplab(["query", "tag.k", "=", "v", "--format", "csv"] + db, in: lab)
    #expect(words.out.split(separator: "\n").count == 2)
    let badFilter = try jvplab(["query", "seed <"] + db, in: lab)
    #expect(badFilter.status == 2)
    #expect(badFilter.err == "filter:1:7: expected a value after '<', found the end of the filter\nseed <\n      ^\n")

    let show = try jvplab(["show", "latest"] + db, in: lab)
    #expect(show.status == 0)
    #expect(show.out.contains("\n  output[]  float32[4]\ntensor([6.7893, 5.8990, 7.8697, 5.5543])\n"))
    #expect(try jvplab(["show", "nonsense"] + db, in: lab).status == 2)

    #expect(try jvplab(["diff", "1", "2"] + db, in: lab).status == 0)
    let differs = try jvplab(["diff", "1", "3"] + db, in: lab)
    #expect(differs.status == 1)
    #expect(differs.out.hasPrefix("run 1 vs run 3: DIFFERENT\n"))
    #expect(try jvplab(["diff", "1", "3", "--rtol", "10"] + db, in: lab).status == 0)
    #expect(try jvplab(["diff", "1", "9"] + db, in: lab).status == 2)

    let replay = try jvplab(["replay", "1"] + db, in: lab)
    #expect(replay.status == 0, "\(replay.err)")
    #expect(replay.err == "jvplab: replayed run 1 as run 4\n")
  }

  @Test func scriptExitCodes() throws {
    let lab = try Lab()
    let db = ["--db", lab.database]
    let good = try lab.script("good.py", "import torch\nprint(torch.ones(2) * 2)\n")
    let result = try jvplab(["run", good] + db, in: lab)
    #expect(result.status == 0)
    #expect(result.out == "tensor([2., 2.])\n")
    #expect(result.err == "")

    let failing = try lab.script("failing.py", "import torch\nprint('a')\nx = torch.nope\n")
    let failed = try jvplab(["run", failing] + db, in: lab)
    #expect(failed.status == 3)
    #expect(failed.out == "a\n")
    #expect(failed.err == "\(failing):3:11: module 'torch' has no attribute 'nope'\n    x = torch.nope\n              ^\n")

    let broken = try lab.script("broken.py", "x = [1,\n")
    let syntax = try jvplab(["run", broken] + db, in: lab)
    #expect(syntax.status == 2)
    #expect(syntax.err == "\(broken):1:5: '[' was never closed\n    x = [1,\n        ^\n")

    let missing = try jvplab(["run", "absent.py"] + db, in: lab)
    #expect(missing.status == 2)
    #expect(missing.err == "jvplab: cannot read script absent.py: no such file\n")
  }

  @Test func readOnlyCommandsOnAMissingDatabaseCreateNoFile() throws {
    let lab = try Lab()
    for arguments in [["query"], ["query", "--sql", "SELECT 1"], ["show", "1"], ["diff", "1", "2"], ["replay", "1"]] {
      let result = try jvplab(arguments, in: lab)  // the default database, ./jvplab.db
      #expect(result.status == 2, "\(arguments)")
      #expect(result.err == "jvplab: no jvplab database at jvplab.db (jvplab run creates one)\n", "\(arguments)")
      #expect(try files(lab) == [], "\(arguments)")
    }
  }
}
