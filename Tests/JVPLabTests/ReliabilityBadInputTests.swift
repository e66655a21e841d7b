import Foundation
import JVPStore
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The bad-input catalogue (issue #7): every case runs the real `jvplab` binary on something wrong
/// and checks the error is a clear message naming what and where (no crash trace), the exit code
/// is the documented one, and the database is exactly as before, or gained exactly the failed
/// run a failing autodiff call records.
@Suite("Reliability: bad-input catalogue")
struct ReliabilityBadInputTests {
  @Test(arguments: BadInput.catalogue)
  func reportsClearlyAndKeepsTheDatabase(_ input: BadInput) throws {
    if input.needsReadOnlyUser && ReadOnlyUser.available.user == nil {
      // Root ignores file modes; without a way to drop privileges the case cannot be set up.
      print("skipping '\(input.name)': \(ReadOnlyUser.available.reason)")
      return
    }
    let directory = try ScratchDirectory("bad-input")
    defer { directory.remove() }
    try input.prepare(directory)
    let database = directory.path("lab.db")
    let before = try BadInput.state(of: database)
    let listing = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted()

    let outcome = try runJVPLab(
      input.arguments, in: directory.url, user: input.needsReadOnlyUser ? ReadOnlyUser.available.user : nil, timeout: 120)

    #expect(!outcome.signaled, "jvplab died of a signal: \(outcome.stderr.suffix(2000))")
    for marker in ["Fatal error", "Backtrace", "Stack dump", "Crash", "Segmentation", "Illegal instruction"] {
      #expect(!outcome.stderr.contains(marker), "crash trace on stderr: \(outcome.stderr.prefix(2000))")
    }
    #expect(outcome.status == input.status, "exit \(outcome.status), expected \(input.status); stderr: \(outcome.stderr.prefix(1000))")
    let lines = outcome.errorLines.filter { !$0.hasPrefix("jvplab: recorded ") }
    let first = lines.first ?? ""
    for part in input.message {
      #expect(first.contains(part), "first stderr line \(first.prefix(600).debugDescription) lacks \(part.debugDescription)")
    }
    // One line that names the problem, then at most the offending source line and a caret
    // (or the argument parser's usage hint).
    // The argument parser's own errors add its help line, the usage and a hint (and list an enum's values).
    let maximumLines = outcome.stderr.contains("Usage: jvplab") ? 12 : 3
    #expect(lines.count <= maximumLines, "\(lines.count) lines on stderr: \(outcome.stderr.prefix(1000))")
    #expect(lines.allSatisfy { $0.count <= 600 }, "an overlong stderr line: \(outcome.stderr.prefix(1000))")
    if input.status != 0 && input.stdoutIsEmptyOnError {
      #expect(outcome.stdout.isEmpty, "stdout: \(outcome.stdout.prefix(500))")
    }

    let after = try BadInput.state(of: database)
    switch input.effect {
    case .unchanged:
      #expect(after == before, "the database changed")
      let listingAfter = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted()
      #expect(listingAfter == listing, "files appeared or vanished: \(listing) -> \(listingAfter)")
    case .addsRun(let status, let check):
      guard case .jvplab(let rowsBefore, _) = before, case .jvplab(let rowsAfter, _) = after else {
        Issue.record("expected a jvplab database before and after")
        return
      }
      // Earlier runs untouched, exactly one new run, whole and with the expected status.
      #expect(Array(rowsAfter.prefix(rowsBefore.count)) == rowsBefore)
      #expect(rowsAfter.count == rowsBefore.count + 1)
      let store = try RunStore.open(path: database, mode: .readOnly)
      let latest = try #require(try store.run(id: try store.resolve("latest")))
      #expect(latest.summary.info.status.rawValue == status)
      if status == "failed" { #expect(latest.summary.info.error?.isEmpty == false) }
      if let check {
        let fd = try #require(latest.summary.checks.first { $0.name == check })
        #expect(fd.maxAbs.isNaN || fd.maxAbs.isInfinite, "check \(check) recorded \(fd.maxAbs), expected non-finite")
        #expect(!fd.ok)
      }
      #expect(try DatabaseCheck.integrity(store) == "ok")
    }
  }

  @Test func catalogueIsLargeAndNamesAreUnique() {
    #expect(BadInput.catalogue.count >= 60)
    #expect(Set(BadInput.catalogue.map(\.name)).count == BadInput.catalogue.count)
  }
}

/// The directory of the shared template database, removed at exit.
nonisolated(unsafe) private var templateDirectory: String?

/// One wrong thing to give jvplab, and what it must do about it.
struct BadInput: Sendable, CustomTestStringConvertible {
  enum Effect: Sendable {
    /// Nothing recorded, nothing written, no file created or removed.
    case unchanged
    /// Exactly one new run with this status (a failing autodiff call is still recorded), and
    /// optionally a check that must hold a non-finite error.
    case addsRun(status: String, nonFiniteCheck: String?)
  }

  /// Which database the case starts from, as `lab.db` in its directory.
  enum Database: Sendable {
    /// A jvplab database with two runs.
    case seeded
    /// No file.
    case none
    /// A file with these bytes.
    case bytes([UInt8])
    /// A jvplab database with two runs, then this SQL applied to it.
    case seededThen(String)
    /// An SQLite file made by this SQL (not jvplab's).
    case sqlite(String)
  }

  var name: String
  var arguments: [String]
  var status: Int32
  /// Substrings the first stderr line must contain: what went wrong and where.
  var message: [String]
  var effect: Effect = .unchanged
  var database: Database = .seeded
  var files: [String: [UInt8]] = [:]
  var needsReadOnlyUser = false
  /// A script that prints before it fails may leave its transcript on stdout.
  var stdoutIsEmptyOnError = true
  /// Extra setup (directories, ...).
  var setup: (@Sendable (ScratchDirectory) throws -> Void)?

  var testDescription: String { name }

  func prepare(_ directory: ScratchDirectory) throws {
    for (name, bytes) in files { try directory.write(name, bytes: bytes) }
    let database = directory.path("lab.db")
    switch self.database {
    case .seeded:
      try Self.copyTemplate(to: database)
    case .none:
      break
    case .bytes(let bytes):
      try directory.write("lab.db", bytes: bytes)
    case .seededThen(let sql), .sqlite(let sql):
      if case .seededThen = self.database { try Self.copyTemplate(to: database) }
      try Self.sqlite(database, sql)
    }
    try setup?(directory)
  }

  /// What a database file holds, to compare before and after.
  enum State: Equatable {
    case missing
    /// A jvplab database: each run's rows (runs, tensors, timings, checks, tags) as text, by id.
    case jvplab(runs: [String], other: String)
    /// Any other file, byte for byte.
    case file(Data)
  }

  static func state(of path: String) throws -> State {
    guard FileManager.default.fileExists(atPath: path) else { return .missing }
    do {
      return try jvplabState(of: path)
    } catch {
      return .file(DatabaseCheck.fileBytes(path))
    }
  }

  private static func jvplabState(of path: String) throws -> State {
    let store = try RunStore.open(path: path, mode: .readOnly)
    var runs: [String] = []
    for row in try store.rawQuery(sql: "SELECT * FROM runs ORDER BY id").rows {
      guard case .integer(let id) = row[0] else { continue }
      var text = row.map(\.description).joined(separator: "|")
      for table in ["tensors", "timings", "checks", "tags"] {
        let related = try store.rawQuery(sql: "SELECT * FROM \(table) WHERE run_id = \(id) ORDER BY 1, 2")
        text += "\n" + related.rows.map { $0.map(\.description).joined(separator: "|") }.joined(separator: "\n")
      }
      runs.append(text)
    }
    let orphans = try store.rawQuery(sql: """
      SELECT (SELECT count(*) FROM tensors WHERE run_id NOT IN (SELECT id FROM runs)),
             (SELECT count(*) FROM grdb_migrations), (SELECT group_concat(identifier) FROM grdb_migrations)
      """)
    return .jvplab(runs: runs, other: orphans.rows.map { $0.map(\.description).joined(separator: "|") }.joined())
  }

  // MARK: Fixtures

  private static let templateResult: Result<String, ReliabilityFailure> = {
    do {
      let directory = try ScratchDirectory("bad-input-template")
      try directory.write("seed.py", """
        import torch
        from torch.autograd.functional import jvp, jacobian
        torch.manual_seed(0)
        x = torch.rand(3)
        jvp(lambda x: x.exp(), x, torch.ones(3))
        jacobian(lambda x: x.sin() * 2, x)
        """)
      templateDirectory = directory.url.path
      // The template outlives every case; remove it when the test process ends.
      atexit { if let path = templateDirectory { try? FileManager.default.removeItem(atPath: path) } }
      let outcome = try runJVPLab(["run", "seed.py", "--db", "template.db", "--tag", "k=v"], in: directory.url)
      guard outcome.status == 0 else { return .failure(ReliabilityFailure("seeding failed: \(outcome.stderr)")) }
      // jvplab may exit before its last connection closes, leaving committed pages in the WAL: a
      // read-write open here, closed at the end of this scope, checkpoints them into the file.
      let count = try { () throws -> Int in
        try RunStore.open(path: directory.path("template.db"), mode: .readWrite).runs(matching: RunQuery()).count
      }()
      guard count == 2 else { return .failure(ReliabilityFailure("the template holds \(count) runs, not 2")) }
      return .success(directory.path("template.db"))
    } catch {
      return .failure(ReliabilityFailure("seeding failed: \(error)"))
    }
  }()

  /// A jvplab database with two runs (a jvp and a jacobian), made once by the real binary.
  static func template() throws -> String { try templateResult.get() }

  /// Copies the template with its WAL, if one was left (a copy of the main file alone would lose
  /// whatever a connection has not checkpointed yet).
  static func copyTemplate(to path: String) throws {
    let template = try template()
    try FileManager.default.copyItem(atPath: template, toPath: path)
    let wal = (try? FileManager.default.attributesOfItem(atPath: template + "-wal")[.size] as? Int) ?? 0
    if wal > 0 {
      try FileManager.default.copyItem(atPath: template + "-wal", toPath: path + "-wal")
    }
  }

  static func sqlite(_ path: String, _ sql: String) throws { try SQLiteScript.execute(sql, on: path) }

  static func script(_ name: String, _ text: String) -> [String: [UInt8]] { [name: Array(text.utf8)] }

  // MARK: The catalogue

  static let catalogue: [BadInput] = scripts + runtime + autodiff + tapeAndModules + functionForm + references + filters + databases + lifecycle + sweeps

  /// Malformed scripts: usage errors (2) at file:line:col, nothing recorded.
  static let scripts: [BadInput] = [
    syntax("unterminated string", "x = \"abc\n", ["bad.py:1:5", "unterminated string literal"]),
    syntax("unterminated triple-quoted string", "x = 1\ny = \"\"\"abc\n\n", ["bad.py:2:5", "unterminated triple-quoted string literal"]),
    syntax("unclosed parenthesis", "import torch\nx = torch.ones(2,\ny = 3\n", ["bad.py:2:15", "'(' was never closed"]),
    syntax("unclosed bracket at end of file", "x = [1, 2\n", ["bad.py:1:5", "'[' was never closed"]),
    syntax("mismatched brackets", "x = [1, 2)\n", ["bad.py:1:10", "does not match opening parenthesis '['"]),
    syntax("unmatched closing parenthesis", "x = 1)\n", ["bad.py:1:6", "unmatched ')'"]),
    syntax("tabs and spaces mixed", "def f(x):\n\ty = x\n        return y\n", ["bad.py:3:9", "inconsistent use of tabs and spaces"]),
    syntax("unexpected indent", "x = 1\n    y = 2\n", ["bad.py:2:5", "unexpected indent"]),
    syntax("unindent mismatch", "def f(x):\n        y = 1\n    return y\n", ["bad.py:3:5", "unindent does not match"]),
    BadInput(name: "non-UTF-8 byte", arguments: ["run", "bad.py", "--db", "lab.db"], status: 2,
             message: ["bad.py:2:6", "invalid UTF-8 byte 0xFF (not a valid start byte)"], files: ["bad.py": Array("x = 1\ny = \"".utf8) + [0xFF, 0xFE] + Array("\"\n".utf8)]),
    BadInput(name: "truncated UTF-8 sequence", arguments: ["run", "bad.py", "--db", "lab.db"], status: 2,
             message: ["bad.py:1:6", "invalid UTF-8 byte 0xC3 (truncated sequence)"], files: ["bad.py": Array("x = \"".utf8) + [0xC3]]),
    BadInput(name: "NUL byte", arguments: ["run", "bad.py", "--db", "lab.db"], status: 2,
             message: ["bad.py:2:1", "invalid non-printable character U+0000"], files: ["bad.py": Array("x = 1\n".utf8) + [0, 10]]),
    BadInput(name: "UTF-16 file", arguments: ["run", "bad.py", "--db", "lab.db"], status: 2,
             message: ["bad.py:1:1", "invalid UTF-8 byte 0xFF"], files: ["bad.py": [0xFF, 0xFE] + Array("x = 1\n".utf8).flatMap { [$0, 0] }]),
    syntax("a 10 MB line", "x = " + String(repeating: "1 + ", count: 2_500_000) + ")\n", ["bad.py:1:10000005", "unmatched ')'"]),
    syntax("10,000 nested parentheses", "x = " + String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000) + "\n",
           ["bad.py:1:205", "nested too deeply (limit 200)"]),
    syntax("10,000 nested brackets", "x = " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n",
           ["bad.py:1:205", "nested too deeply (limit 200)"]),
    syntax("10,000 nested function calls", "import torch\nx = " + String(repeating: "torch.exp(", count: 10_000) + "1" + String(repeating: ")", count: 10_000) + "\n",
           ["bad.py:2:", "nested too deeply (limit 200)"]),
    syntax("unsupported statement", "class C:\n    pass\n", ["bad.py:1:1", "unsupported statement 'class'"]),
    syntax("augmented assignment to a tuple", "x = 1\nx, y += 1\n", ["bad.py:2:1", "illegal expression for augmented assignment"]),
    syntax("break outside a loop", "x = 1\nif x:\n    break\n", ["bad.py:3:5", "'break' outside loop"]),
    syntax("decorator", "@f\ndef g(): pass\n", ["bad.py:1:1", "unsupported statement '@' (decorator)"]),
    syntax("unclosed f-string field", "x = f'{1 + '\n", ["bad.py:1:", "f-string"]),
    syntax("missing loop body", "for i in range(3):\nx = 1\n", ["bad.py:2:1", "expected an indented block after 'for' statement on line 1"]),
    BadInput(name: "missing script", arguments: ["run", "nosuch.py", "--db", "lab.db"], status: 2,
             message: ["cannot read script nosuch.py", "no such file"]),
    BadInput(name: "script is a directory", arguments: ["run", "adir", "--db", "lab.db"], status: 2,
             message: ["cannot read script adir", "directory"],
             setup: { try FileManager.default.createDirectory(at: $0.url.appendingPathComponent("adir"), withIntermediateDirectories: true) }),
    BadInput(name: "script is a FIFO", arguments: ["run", "fifo.py", "--db", "lab.db"], status: 2,
             message: ["cannot read script fifo.py: it is a FIFO (named pipe), not a file"], setup: { try special(.fifo, $0.path("fifo.py")) }),
    BadInput(name: "script is a socket", arguments: ["run", "sock.py", "--db", "lab.db"], status: 2,
             message: ["cannot read script sock.py: it is a socket, not a file"], setup: { try special(.socket, $0.path("sock.py")) }),
    BadInput(name: "script is a character device", arguments: ["run", "/dev/null", "--db", "lab.db"], status: 2,
             message: ["cannot read script /dev/null: it is a character device, not a file"]),
    BadInput(name: "script is a symlink loop", arguments: ["run", "loop.py", "--db", "lab.db"], status: 2,
             message: ["cannot read script loop.py: it is a symlink loop"], setup: { try special(.symlinkLoop, $0.path("loop.py")) }),
  ]

  /// Script errors at run time: exit 3 at file:line:col; nothing recorded (no autodiff call ran).
  static let runtime: [BadInput] = [
    failure("unknown name", "y = undefined_name + 1\n", ["bad.py:1:5", "name 'undefined_name' is not defined"]),
    failure("unknown torch function", "import torch\ntorch.nosuch(3)\n", ["bad.py:2:7", "module 'torch' has no attribute 'nosuch'"]),
    failure("unknown tensor method", "import torch\ntorch.ones(3).nosuch()\n", ["bad.py:2:", "'Tensor' object has no attribute 'nosuch'"]),
    failure("unknown module", "import numpy\n", ["bad.py:1:8", "No module named 'numpy'"]),
    failure("shapes that do not broadcast", "import torch\nx = torch.ones(3) + torch.ones(4)\n",
            ["bad.py:2:19", "size of tensor a (3) must match the size of tensor b (4)"]),
    failure("matmul of mismatched shapes", "import torch\nx = torch.ones(2, 3) @ torch.ones(2, 3)\n", ["bad.py:2:22", "cannot be multiplied"]),
    failure("absurd size", "import torch\nx = torch.rand(100000, 100000)\n", ["bad.py:2:5", "would need 37.3 GiB", "limit of 4.0 GiB"]),
    failure("absurd size through broadcasting", "import torch\nx = torch.ones(100000, 1) * torch.ones(1, 100000)\n",
            ["bad.py:2:27", "would need 37.3 GiB"]),
    failure("absurd expand", "import torch\nx = torch.ones(1).expand(100000, 100000)\n", ["bad.py:2:5", "would need 37.3 GiB"]),
    failure("negative size", "import torch\nx = torch.zeros(2, -3)\n", ["bad.py:2:5", "negative dimension -3"]),
    failure("reshape to a shape of another size", "import torch\nx = torch.ones(6).reshape(4, 2)\n", ["bad.py:2:5", "invalid for input of size 6"]),
    failure("index out of range", "import torch\nx = torch.ones(3)[5]\n", ["bad.py:2:", "out of bounds"]),
    failure("dim out of range", "import torch\nx = torch.ones(3).sum(dim=4)\n", ["bad.py:2:", "dimension out of range"]),
    failure("int() of a huge float", "x = int(1e300)\n", ["bad.py:1:5", "does not fit in a 64-bit integer"]),
    failure("round() of NaN", "x = round(float('nan'))\n", ["bad.py:1:5", "cannot convert float NaN to integer"]),
    failure("huge range", "x = range(-9223372036854775807, 9223372036854775807)\n", ["bad.py:1:5", "too large for a script"]),
    failure("huge list repetition", "x = [0] * 10**12\n", ["bad.py:1:9", "too large for a script"]),
    failure("deep recursion through nested expressions", "def f(x):\n    return " + String(repeating: "-(", count: 95) + "f(x)" + String(repeating: ")", count: 95) + "\nf(1)\n",
            ["bad.py:2:", "maximum recursion depth exceeded"]),
    failure("plain infinite recursion", "def f(x):\n    return f(x)\nf(1)\n", ["bad.py:2:12", "maximum recursion depth exceeded"]),
    failure("values nested 100,000 deep", "x = 1\n" + String(repeating: "x = [x]\n", count: 100_000), ["bad.py:1002:5", "nested too deeply"]),
    failure("int64 input to differentiate", """
      import torch
      from torch.autograd.functional import jvp
      jvp(lambda x: x * 2, torch.arange(3), torch.ones(3))

      """, ["bad.py:3:1", "dtype torch.int64", "only floating point tensors can be differentiated"]),
    failure("nested differentiation", """
      import torch
      from torch.autograd.functional import jvp, jacobian
      jacobian(lambda x: jvp(lambda y: y * 2, x, x)[1], torch.ones(2))

      """, ["bad.py:3:", "nested differentiation"], effect: .addsRun(status: "failed", nonFiniteCheck: nil)),
  ]

  /// Failing autodiff calls: exit 3, and the call is recorded as one failed run with its error.
  static let autodiff: [BadInput] = [
    failure("v of the wrong shape", """
      import torch
      from torch.autograd.functional import jvp
      jvp(lambda x: x.exp(), torch.ones(3), torch.ones(4))

      """, ["bad.py:3:1", "shape [4]", "shape [3]"], effect: .addsRun(status: "failed", nonFiniteCheck: nil)),
    failure("v of the wrong arity", """
      import torch
      from torch.autograd.functional import jvp
      jvp(lambda x, y: x * y, (torch.ones(3), torch.ones(3)), (torch.ones(3),))

      """, ["bad.py:3:1", "v has 1 tensor but the function has 2 inputs"], effect: .addsRun(status: "failed", nonFiniteCheck: nil)),
    failure("cotangent of the wrong shape", """
      import torch
      from torch.autograd.functional import vjp
      vjp(lambda x: x.sum(), torch.ones(3), torch.ones(2))

      """, ["bad.py:3:1", "shape"], effect: .addsRun(status: "failed", nonFiniteCheck: nil)),
    failure("function that does not broadcast", """
      import torch
      from torch.autograd.functional import jacobian
      jacobian(lambda x: x + torch.ones(4), torch.rand(3))

      """, ["bad.py:3:22", "must match the size"], effect: .addsRun(status: "failed", nonFiniteCheck: nil)),
    failure("function returning a number", """
      import torch
      from torch.autograd.functional import jacobian
      jacobian(lambda x: 3, torch.rand(3))

      """, ["bad.py:3:1", "must return a Tensor"], effect: .addsRun(status: "failed", nonFiniteCheck: nil)),
    BadInput(name: "NaN and Inf inputs", arguments: ["run", "bad.py", "--db", "lab.db"], status: 0, message: [],
             effect: .addsRun(status: "ok", nonFiniteCheck: "fd"), files: script("bad.py", """
               import torch
               from torch.autograd.functional import jvp
               x = torch.tensor([float('nan'), float('inf'), -float('inf'), 1.])
               out = jvp(lambda x: x.exp(), x, torch.ones(4))

               """)),
  ]

  /// `jvplab run --fn`: option errors name the option; malformed options are usage errors (2),
  /// an option expression that fails when evaluated is a failed run (3), as a script's would be.
  static let functionForm: [BadInput] = [
    fn("--input without =", ["--input", "x"], 2, ["--input expects NAME=VALUE, got 'x'"]),
    fn("--input with an empty name", ["--input", "=rand(3)"], 2, ["--input expects NAME=VALUE"]),
    fn("negative --rng-offset", ["--input", "x=rand(3)", "--rng-offset=-1"], 2, ["--rng-offset must be between 0 and 4294967296, got -1"]),
    fn("--input syntax error", ["--input", "x=rand(3"], 2, ["--input x:1:5", "'(' was never closed"]),
    fn("--input unknown name", ["--input", "x=nosuch(3)"], 2, ["--input x:1:1", "name 'nosuch' is not defined"]),
    fn("--input absurd size", ["--input", "x=rand(100000, 100000)"], 2, ["--input x:1:1", "would need 37.3 GiB"]),
    fn("--input int64", ["--input", "x=arange(3)"], 3, ["--fn:1:1", "only floating point tensors can be differentiated"]),
    fn("--input NaN and Inf", ["--input", "x=torch.tensor([float('nan'), float('inf'), 1.])"], 0, [],
       effect: .addsRun(status: "ok", nonFiniteCheck: "fd")),
    fn("--tangent of the wrong shape", ["--input", "x=rand(3)", "--tangent", "x=rand(4)"], 3, ["shape [4]", "shape [3]"],
       effect: .addsRun(status: "failed", nonFiniteCheck: nil)),
    fn("--tangent for no input", ["--input", "x=rand(3)", "--tangent", "z=rand(3)"], 2, ["--tangent z", "no --input named 'z'"]),
    BadInput(name: "--fn syntax error", arguments: ["run", "--db", "lab.db", "--fn", "x.exp(", "--input", "x=rand(3)", "--kind", "jvp"],
             status: 2, message: ["--fn:1:6", "'(' was never closed"]),
    BadInput(name: "--fn parameters that do not match --input", arguments: ["run", "--db", "lab.db", "--fn", "lambda x, y: x * y", "--input", "x=rand(3)", "--kind", "jvp"],
             status: 2, message: ["--fn:1:1", "takes 2 inputs (x, y) but 1 --input was given"]),
    BadInput(name: "--fn without --kind", arguments: ["run", "--db", "lab.db", "--fn", "x.exp()", "--input", "x=rand(3)"],
             status: 2, message: ["--fn needs --kind"]),
    BadInput(name: "unknown --kind", arguments: ["run", "--db", "lab.db", "--fn", "x.exp()", "--input", "x=rand(3)", "--kind", "grad"],
             status: 2, message: ["--kind", "grad"]),
    BadInput(name: "--repeat 0", arguments: ["run", "--db", "lab.db", "--fn", "x.exp()", "--input", "x=rand(3)", "--kind", "jvp", "--repeat", "0"],
             status: 2, message: ["--repeat must be at least 1"]),
    BadInput(name: "--repeat not a number", arguments: ["run", "--db", "lab.db", "--fn", "x.exp()", "--input", "x=rand(3)", "--kind", "jvp", "--repeat", "many"],
             status: 2, message: ["--repeat", "many"]),
    BadInput(name: "script and --fn together", arguments: ["run", "bad.py", "--db", "lab.db", "--fn", "x.exp()", "--input", "x=rand(3)", "--kind", "jvp"],
             status: 2, message: ["either a SCRIPT or --fn"], files: script("bad.py", "x = 1\n")),
    BadInput(name: "--tag without =", arguments: ["run", "--db", "lab.db", "--fn", "x.exp()", "--input", "x=rand(3)", "--kind", "jvp", "--tag", "oops"],
             status: 2, message: ["--tag expects NAME=VALUE, got 'oops'"]),
  ]

  /// tag, note, rm, restore and gc given runs that do not exist or options that do not parse (issue #19):
  /// usage errors (2), nothing changed.
  static let lifecycle: [BadInput] = [
    BadInput(name: "rm of an unknown run among known ones", arguments: ["rm", "1", "999", "--db", "lab.db"], status: 2,
             message: ["no run 999 in lab.db"]),
    BadInput(name: "rm with both runs and a filter", arguments: ["rm", "1", "--filter", "id = 2", "--db", "lab.db"], status: 2,
             message: ["give either RUN... or --filter FILTER, not both"]),
    BadInput(name: "rm with a bad filter", arguments: ["rm", "--filter", "seed >", "--db", "lab.db"], status: 2,
             message: ["filter:1:7"]),
    BadInput(name: "restore of an unknown run", arguments: ["restore", "999", "--db", "lab.db"], status: 2,
             message: ["no run 999 in lab.db"]),
    BadInput(name: "tag with no change", arguments: ["tag", "1", "--db", "lab.db"], status: 2,
             message: ["tag needs at least one KEY=VALUE to set or -KEY to remove"]),
    BadInput(name: "tag of an unknown run", arguments: ["tag", "1", "999", "lr=1", "--db", "lab.db"], status: 2,
             message: ["no run 999 in lab.db"]),
    BadInput(name: "note on an unknown run", arguments: ["note", "999", "text", "--db", "lab.db"], status: 2,
             message: ["no run 999 in lab.db"]),
    BadInput(name: "gc with a malformed duration", arguments: ["gc", "--older-than", "30x", "--db", "lab.db"], status: 2,
             message: ["--older-than expects a duration such as 30d", "got '30x'"]),
  ]

  /// Sweeps that cannot run (issue #19): refused before anything runs, exit 2, nothing recorded.
  static let sweeps: [BadInput] = {
    let fn = ["sweep", "--fn", "x.exp()", "--input", "x=rand(N)", "--kind", "jvp", "--db", "lab.db"]
    let hundreds = (1...400).map(String.init).joined(separator: ",")
    return [
      BadInput(name: "sweep with a grid variable nothing uses", arguments: fn + ["--grid", "N=4", "--grid", "M=1,2"], status: 2,
               message: ["--grid M: M is not used by --fn, --input, --tangent or --cotangent"]),
      BadInput(name: "sweep with an empty grid", arguments: fn + ["--grid", "N="], status: 2, message: ["--grid N has no values"]),
      BadInput(name: "sweep with a malformed grid", arguments: fn + ["--grid", "N"], status: 2,
               message: ["--grid expects NAME=V1,V2,..., got 'N'"]),
      BadInput(name: "sweep with an empty grid value", arguments: fn + ["--grid", "N=4,,8"], status: 2,
               message: ["--grid N: value 2 of '4,,8' is empty"]),
      BadInput(name: "sweep with no grid", arguments: fn, status: 2, message: ["sweep needs at least one --grid"]),
      BadInput(name: "sweep with a strategy that does not exist", arguments: fn + ["--grid", "N=4", "--grid", "strategy=sideways"],
               status: 2, message: ["--grid strategy: 'sideways' is not one of reverse-mode, forward-mode, auto"]),
      BadInput(name: "sweep of more than 100,000 points without --yes",
               arguments: ["sweep", "--fn", "x.exp()", "--input", "x=rand(N, M)", "--kind", "jvp", "--grid", "N=" + hundreds,
                           "--grid", "M=" + hundreds, "--db", "lab.db"],
               status: 2, message: ["the grid has 160,000 points, more than 100,000: pass --yes to run them all"]),
      BadInput(name: "sweep of a script that does not exist", arguments: ["sweep", "missing.py", "--grid", "N=1", "--db", "lab.db"],
               status: 2, message: ["cannot read script missing.py: no such file"]),
      BadInput(name: "sweep --resume of an unknown sweep", arguments: ["sweep", "--resume", "9", "--db", "lab.db"], status: 2,
               message: ["no sweep 9 in lab.db"]),
      BadInput(name: "sweep show of an unknown sweep", arguments: ["sweep", "show", "9", "--db", "lab.db"], status: 2,
               message: ["no sweep 9 in lab.db"]),
    ]
  }()

  /// RUN references that name no run: usage errors (2) that say what exists.
  static let references: [BadInput] = [
    BadInput(name: "show an id that does not exist", arguments: ["show", "999", "--db", "lab.db"], status: 2, message: ["no run 999 in lab.db"]),
    BadInput(name: "show latest~N past the first run", arguments: ["show", "latest~99", "--db", "lab.db"], status: 2,
             message: ["latest~99", "holds only 2 runs"]),
    BadInput(name: "show a malformed reference", arguments: ["show", "lates", "--db", "lab.db"], status: 2,
             message: ["'lates' is not a run reference"]),
    BadInput(name: "show a negative id", arguments: ["show", "--db", "lab.db", "--", "-3"], status: 2, message: ["no run -3 in lab.db"]),
    BadInput(name: "show latest~-1", arguments: ["show", "latest~-1", "--db", "lab.db"], status: 2, message: ["is not a run reference"]),
    BadInput(name: "show an id beyond Int64", arguments: ["show", "99999999999999999999", "--db", "lab.db"], status: 2,
             message: ["is not a run reference"]),
    BadInput(name: "diff with a missing run", arguments: ["diff", "1", "999", "--db", "lab.db"], status: 2, message: ["no run 999 in lab.db"]),
    BadInput(name: "replay a missing run", arguments: ["replay", "999", "--db", "lab.db"], status: 2, message: ["no run 999 in lab.db"]),
    BadInput(name: "diff with a negative tolerance", arguments: ["diff", "1", "2", "--rtol=-1", "--db", "lab.db"], status: 2,
             message: ["--rtol and --atol must be finite"]),
    BadInput(name: "show latest in a database with no runs", arguments: ["show", "latest", "--db", "lab.db"], status: 2,
             message: ["latest: lab.db holds no runs yet"], database: .seededThen("DELETE FROM runs")),
  ]

  /// `jvplab query`: bad filters point at the token; bad sort keys and SQL are usage errors.
  static let filters: [BadInput] = [
    query("filter without a value", ["kind ="], ["filter:1:7", "expected a value after '='"]),
    query("filter with an unknown field", ["nosuch = 1"], ["filter:1:1", "unknown field 'nosuch'"]),
    query("filter with an unclosed parenthesis", ["(kind = jvp"], ["filter:1:12", "expected ')'"]),
    query("filter with a stray closing parenthesis", ["kind = jvp)"], ["filter:1:11", "no '(' to close"]),
    query("filter comparing a number with a word", ["seed < abc"], ["filter:1:8", "expected a number for seed"]),
    query("filter with an unknown unit", ["time.jvp < 3 parsecs"], ["filter:1:", "expected 'and', 'or'"]),
    query("filter with a bad duration unit", ["time.jvp < 3h"], ["filter:1:12", "expected a number for time.jvp", "units: ns, us, ms, s"]),
    query("filter globbing a number", ["seed ~ 1*"], ["filter:1:8", "'~' matches text"]),
    query("filter with an unterminated string", ["name = 'abc"], ["filter:1:8", "unterminated string"]),
    query("filter with a bad date", ["started < yesterday"], ["filter:1:11", "expected a date"]),
    query("filter nested 10,000 levels", [String(repeating: "(", count: 10_000) + "kind = jvp" + String(repeating: ")", count: 10_000)],
          ["filter:1:101", "nests deeper than 100 levels"]),
    query("filter with 10,000 nots", [String(repeating: "not ", count: 10_000) + "kind = jvp"], ["filter:1:", "nests deeper than 100 levels"]),
    query("filter trying SQL injection", ["name = x; DROP TABLE runs"], ["filter:1:9", "unexpected character ';'"]),
    query("filter with a stray bang", ["! kind = jvp"], ["filter:1:1", "use 'not'"]),
    query("filter of 10,000 comparisons", [Array(repeating: "seed = 1", count: 10_000).joined(separator: " or ") + " or"],
          ["filter:1:", "expected a comparison"]),
    query("sort by an unknown field", ["--sort", "nosuch"], ["sort:1:1", "unknown field 'nosuch'"]),
    query("sort with an empty key", ["--sort", "id,,name"], ["sort:1:4", "expected a field name"]),
    query("negative limit", ["--limit=-1"], ["--limit must be 0 or more"]),
    query("limit that is not a number", ["--limit", "ten"], ["--limit", "ten"]),
    query("unknown output format", ["--format", "xml"], ["--format", "xml"]),
    query("SQL that writes", ["--sql", "DELETE FROM runs"], ["--sql runs read-only"]),
    query("SQL that writes through a pragma", ["--sql", "PRAGMA user_version = 7"], ["--sql runs read-only"]),
    query("SQL with a syntax error", ["--sql", "SELEC id FROM runs"], ["--sql:", "syntax error"]),
    query("SQL naming a missing table", ["--sql", "SELECT * FROM nosuch"], ["--sql:", "no such table: nosuch"]),
    query("filter and SQL together", ["kind = jvp", "--sql", "SELECT 1"], ["either a FILTER or --sql"]),
  ]

  /// Database paths and files that are not a usable jvplab database: usage errors (2) that name
  /// the path, with the file left exactly as it was.
  static let databases: [BadInput] = [
    BadInput(name: "--db in a missing directory (run)", arguments: ["run", "ok.py", "--db", "nodir/sub/lab.db"], status: 2,
             message: ["cannot create nodir/sub/lab.db", "directory nodir/sub does not exist"], database: .none, files: okScript),
    BadInput(name: "--db in a missing directory (query)", arguments: ["query", "--db", "nodir/lab.db"], status: 2,
             message: ["no jvplab database at nodir/lab.db"], database: .none),
    BadInput(name: "missing database (show)", arguments: ["show", "latest", "--db", "lab.db"], status: 2,
             message: ["no jvplab database at lab.db"], database: .none),
    BadInput(name: "--db is a directory", arguments: ["run", "ok.py", "--db", "adir"], status: 2, message: ["adir is a directory"],
             files: okScript, setup: { try FileManager.default.createDirectory(at: $0.url.appendingPathComponent("adir"), withIntermediateDirectories: true) }),
    BadInput(name: "--db is a FIFO (query)", arguments: ["query", "--db", "fifo.db"], status: 2,
             message: ["fifo.db is a FIFO (named pipe), not a jvplab database"], setup: { try special(.fifo, $0.path("fifo.db")) }),
    BadInput(name: "--db is a FIFO (run)", arguments: ["run", "ok.py", "--db", "fifo.db"], status: 2,
             message: ["fifo.db is a FIFO (named pipe), not a jvplab database"], files: okScript, setup: { try special(.fifo, $0.path("fifo.db")) }),
    BadInput(name: "--db is a socket", arguments: ["run", "ok.py", "--db", "sock.db"], status: 2,
             message: ["sock.db is a socket, not a jvplab database"], files: okScript, setup: { try special(.socket, $0.path("sock.db")) }),
    BadInput(name: "--db is a character device (run)", arguments: ["run", "ok.py", "--db", "/dev/null"], status: 2,
             message: ["/dev/null is a character device, not a jvplab database"], files: okScript),
    BadInput(name: "--db is a character device (show)", arguments: ["show", "latest", "--db", "/dev/zero"], status: 2,
             message: ["/dev/zero is a character device, not a jvplab database"]),
    BadInput(name: "--db is a symlink loop", arguments: ["query", "--db", "loop.db"], status: 2,
             message: ["loop.db is a symlink loop"], setup: { try special(.symlinkLoop, $0.path("loop.db")) }),
    BadInput(name: "--db under a file", arguments: ["run", "ok.py", "--db", "ok.py/lab.db"], status: 2, message: ["cannot create ok.py/lab.db", "ok.py is not a directory"],
             files: okScript),
    BadInput(name: "--db in a read-only directory", arguments: ["run", "ok.py", "--db", "locked/lab.db"], status: 2,
             message: ["cannot create locked/lab.db", "directory locked is not writable"], files: okScript, needsReadOnlyUser: true,
             setup: { try FileManager.default.createDirectory(at: $0.url.appendingPathComponent("locked"), withIntermediateDirectories: true) }),
    BadInput(name: "read-only database file (run)", arguments: ["run", "ok.py", "--db", "lab.db"], status: 2,
             message: ["cannot record into lab.db", "read-only"], files: okScript, needsReadOnlyUser: true),
    BadInput(name: "read-only database file still answers queries", arguments: ["query", "--db", "lab.db", "--format", "csv"], status: 0,
             message: [], needsReadOnlyUser: true),
    BadInput(name: "read-only database file still shows runs", arguments: ["show", "latest", "--db", "lab.db", "--format", "json"], status: 0,
             message: [], needsReadOnlyUser: true),
    BadInput(name: "--db under /proc", arguments: ["run", "ok.py", "--db", "/proc/lab.db"], status: 2, message: ["/proc/lab.db"], database: .none, files: okScript),
    BadInput(name: "a file that is not SQLite (query)", arguments: ["query", "--db", "lab.db"], status: 2,
             message: ["lab.db is not a jvplab database: it is not an SQLite file"], database: .bytes(Array("name,value\na,1\n".utf8))),
    BadInput(name: "a file that is not SQLite (run)", arguments: ["run", "ok.py", "--db", "lab.db"], status: 2,
             message: ["lab.db is not a jvplab database: it is not an SQLite file"], database: .bytes(pseudoRandomBytes(8192)), files: okScript),
    BadInput(name: "an empty file (query)", arguments: ["query", "--db", "lab.db"], status: 2,
             message: ["lab.db is an empty database, not a jvplab one yet"], database: .bytes([])),
    BadInput(name: "an SQLite file that is not jvplab's (run)", arguments: ["run", "ok.py", "--db", "lab.db"], status: 2,
             message: ["lab.db is an SQLite database but not a jvplab one (it has tables users)"],
             database: .sqlite("CREATE TABLE users (id INTEGER, name TEXT); INSERT INTO users VALUES (1, 'ada');"), files: okScript),
    BadInput(name: "an SQLite file that is not jvplab's (query)", arguments: ["query", "--db", "lab.db"], status: 2,
             message: ["not a jvplab one (it has tables users)"], database: .sqlite("CREATE TABLE users (id INTEGER, name TEXT);")),
    BadInput(name: "an SQLite file with another app's migrations", arguments: ["query", "--db", "lab.db"], status: 2,
             message: ["not a jvplab one"],
             database: .sqlite("CREATE TABLE grdb_migrations (identifier TEXT PRIMARY KEY); INSERT INTO grdb_migrations VALUES ('v1'); CREATE TABLE notes (t TEXT);")),
    BadInput(name: "a database from a newer jvplab (run)", arguments: ["run", "ok.py", "--db", "lab.db"], status: 2,
             message: ["lab.db was written by a newer jvplab", "v9999_future", "upgrade jvplab"],
             database: .seededThen("INSERT INTO grdb_migrations VALUES ('v9999_future')"), files: okScript),
    BadInput(name: "a database from a newer jvplab (query)", arguments: ["query", "--db", "lab.db"], status: 2,
             message: ["lab.db was written by a newer jvplab"], database: .seededThen("INSERT INTO grdb_migrations VALUES ('v9999_future')")),
    BadInput(name: "a damaged database (query)", arguments: ["query", "--db", "lab.db"], status: 2, message: ["lab.db is damaged"],
             setup: { try damage($0.path("lab.db")) }),
    BadInput(name: "a truncated database (show)", arguments: ["show", "1", "--db", "lab.db"], status: 2, message: ["lab.db is damaged"],
             setup: { directory in
               let path = directory.path("lab.db")
               try FileManager.default.contents(atPath: path)!.prefix(12_288).write(to: URL(fileURLWithPath: path))
             }),
    BadInput(name: "a run row jvplab never writes", arguments: ["query", "--db", "lab.db"], status: 2,
             message: ["lab.db is damaged: run 1 holds a value jvplab never writes"], database: .seededThen("UPDATE runs SET status = 'weird' WHERE id = 1")),
    BadInput(name: "a tensor blob of the wrong size", arguments: ["show", "1", "--db", "lab.db"], status: 2,
             message: ["lab.db is damaged", "tensor", "of run 1"], database: .seededThen("UPDATE tensors SET data = X'00' WHERE run_id = 1")),
  ]

  // MARK: Case builders

  static let okScript = script("ok.py", "import torch\nfrom torch.autograd.functional import jvp\njvp(lambda x: x * 2, torch.ones(2), torch.ones(2))\n")

  static func syntax(_ name: String, _ text: String, _ message: [String]) -> BadInput {
    BadInput(name: name, arguments: ["run", "bad.py", "--db", "lab.db"], status: 2, message: message, files: script("bad.py", text))
  }

  static func failure(_ name: String, _ text: String, _ message: [String], effect: Effect = .unchanged) -> BadInput {
    BadInput(name: name, arguments: ["run", "bad.py", "--db", "lab.db"], status: 3, message: message, effect: effect,
             files: script("bad.py", text))
  }

  static func fn(_ name: String, _ options: [String], _ status: Int32, _ message: [String], effect: Effect = .unchanged) -> BadInput {
    BadInput(name: name, arguments: ["run", "--db", "lab.db", "--fn", "x.exp()", "--kind", "jvp"] + options, status: status,
             message: message, effect: effect, stdoutIsEmptyOnError: true)
  }

  static func query(_ name: String, _ arguments: [String], _ message: [String]) -> BadInput {
    BadInput(name: name, arguments: ["query", "--db", "lab.db"] + arguments, status: 2, message: message)
  }

  enum SpecialFile { case fifo, socket, symlinkLoop }

  /// Makes a FIFO, a listening-free Unix socket or a symlink to itself at `path`.
  static func special(_ kind: SpecialFile, _ path: String) throws {
    switch kind {
    case .fifo:
      guard mkfifo(path, 0o644) == 0 else { throw ReliabilityFailure("mkfifo \(path): \(String(cString: strerror(errno)))") }
    case .symlinkLoop:
      try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: (path as NSString).lastPathComponent)
    case .socket:
      let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
      defer { close(descriptor) }
      var address = sockaddr_un()
      address.sun_family = sa_family_t(AF_UNIX)
      let bytes = Array(path.utf8)
      guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw ReliabilityFailure("socket path too long: \(path)") }
      withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes + [0]) }
      let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
      }
      guard bound == 0 else { throw ReliabilityFailure("bind \(path): \(String(cString: strerror(errno)))") }
    }
  }

  static func pseudoRandomBytes(_ count: Int) -> [UInt8] {
    var random = SeededRandom(seed: 7)
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
  }

  /// Overwrites a page in the middle of the file with garbage, as a disk error would.
  static func damage(_ path: String) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: 4096 * 3)
    try handle.write(contentsOf: Data(repeating: 0xAB, count: 4096))
  }
}
