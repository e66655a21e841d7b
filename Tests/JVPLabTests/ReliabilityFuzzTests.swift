import Foundation
import JVPScript
import JVPStore
import Testing

/// Seeded fuzzing of the two parsers users feed text to, and of what runs after them (issue #7).
///
/// Scripts: grammar-aware random programs (including deep-nesting and recursion bursts), token
/// soups, and byte mutations of the corpus (`Fixtures/fuzz/scripts` and `examples/`) are parsed and, when they
/// parse, executed by the interpreter; filters: the same three kinds of input, from
/// `Fixtures/fuzz/filters.txt`, are compiled and, when they compile, run against a small
/// database. Every input must end in a value or a clear error (one-line message, valid
/// position) within a deadline, on a thread with the CLI's 8 MiB stack; a hang fails the test
/// with the input. A crash kills the test process: the input being tried is always in
/// `$TMPDIR/jvplab-fuzz-current-<target>`, so it can be replayed. Scripts run with 32 MiB tensor and
/// autodiff limits, so that legitimately heavy inputs end quickly with a size error.
///
/// `swift test` runs a smoke pass of a few seconds per target. `JVPLAB_FUZZ_SECONDS=600` runs
/// each target that long; `JVPLAB_FUZZ_SEED` picks the seed (printed with the statistics).
@Suite("Reliability: fuzzing")
struct ReliabilityFuzzTests {
  @Test func scriptsParseAndRunOrFailClearly() throws {
    let fuzzer = try ScriptFuzzer(seed: FuzzBudget.seed ^ 0x5C41_7707)
    let stats = try FuzzLoop.run(target: "scripts", seconds: FuzzBudget.seconds) { random in fuzzer.input(&random) } check: { bytes in
      fuzzer.check(bytes)
    }
    print("fuzz scripts: \(stats)")
    #expect(stats.inputs > 0)
  }

  @Test func filtersCompileAndQueryOrFailClearly() throws {
    let fuzzer = try FilterFuzzer()
    defer { fuzzer.directory.remove() }
    let stats = try FuzzLoop.run(target: "filters", seconds: FuzzBudget.seconds) { random in fuzzer.input(&random) } check: { bytes in
      fuzzer.check(bytes)
    }
    print("fuzz filters: \(stats)")
    #expect(stats.inputs > 0)
  }

  /// Filter inputs (filter NUL sort NUL limit) that once broke an invariant.
  @Test(arguments: ["\0kin\t = jvp \nnd time.j1time.\0+dtype , +strategy\0", "seed = 'a\nb'\0\0", "nosuch\u{7}x = 1\0\0"])
  func formerFilterFailuresEndClearly(_ input: String) throws {
    let fuzzer = try FilterFuzzer()
    defer { fuzzer.directory.remove() }
    let verdict = try #require(Watchdog.run(deadline: 60) { fuzzer.check(Array(input.utf8)) }, "hung")
    #expect(verdict.failure == nil, "\(verdict.failure ?? "")")
  }

  /// Inputs that once crashed or hung, kept as regressions (each must now end clearly).
  @Test(arguments: [
    "def f(x):\n    return " + String(repeating: "-(", count: 99) + "f(x)" + String(repeating: ")", count: 99) + "\nf(1)\n",
    "def f(x):\n    return " + String(repeating: "not ", count: 190) + "f(x)\nf(1)\n",
    "def f(x):\n    return " + String(repeating: "2**", count: 190) + "f(x)\nf(1)\n",
    "x = 1\n" + String(repeating: "x = [x]\n", count: 20_000),
    "x = 1\n" + String(repeating: "x = (x, x)\n", count: 1_100) + "y = x == x\n",
    "import torch\nx = torch.ones(100000, 1) * torch.ones(1, 100000)\n",
    "import torch\ntorch.ones(3).reshape(2**62, 2**62, 4)\n", "import torch\ntorch.ones(6).reshape(-2, -3)\n",
    "import torch\ntorch.eye(-1)\n", "import torch\ntorch.arange(1e300)\n", "import torch\ntorch.arange(float('nan'))\n",
    "import torch\ntorch.tensor([float('nan'), 1e300], dtype=torch.int64).tolist()\n",
    "import torch\ntorch.tensor([9223372036854775807]).item()\n",
    "int(1e300)\n", "round(float('inf'))\n", "round(1.5, 10**18)\n", "2 ** 10**18\n",
    "(-9223372036854775807 - 1) // -1\n", "(-9223372036854775807 - 1) % -1\n", "-(-9223372036854775807 - 1)\n",
    "range(-9223372036854775807, 9223372036854775807)\n", "range(0, 5, 9223372036854775807)\n", "[1] * 10**12\n",
    "import torch\nx = torch.ones(1)\n" + String(repeating: "x = x.unsqueeze(0)\n", count: 1_200) + "x.tolist()\n",
    "import torch\ntorch.cat([torch.tensor(1.), torch.tensor(2.)])\n",
    "import torch\nfrom torch.autograd.functional import jvp\njvp(lambda x: torch.softmax(x * 2.0, dim=1), torch.rand(3, 4), torch.ones(3, 4))\n",
    "import torch\nfrom torch.autograd.functional import jacobian\njacobian(lambda x: x.long(), torch.rand(3))\n",
    "import torch\nfrom torch.autograd.functional import jacobian\nx = torch.randn(3, 22222222)\njacobian(lambda x: x.exp().sum(dim=1), x)\n",
    "import torch\nfrom torch.autograd.functional import jacobian\njacobian(lambda x: (x, torch.arange(3)), torch.rand(3), vectorize=True)\n",
    "import torch\nx = torch.randn(3, " + String(repeating: "23, ", count: 120) + "0, 2)\nx.sum()\n",
  ])
  func formerCrashesEndClearly(_ source: String) throws {
    let fuzzer = try ScriptFuzzer(seed: 1)
    let verdict = try #require(Watchdog.run(deadline: 60) { fuzzer.check(Array(source.utf8)) }, "hung")
    #expect(verdict.failure == nil, "\(verdict.failure ?? "")")
  }
}

// MARK: - The loop

enum FuzzBudget {
  /// Seconds per target: `$JVPLAB_FUZZ_SECONDS`, else a smoke pass of 3 s.
  static var seconds: Double {
    ProcessInfo.processInfo.environment["JVPLAB_FUZZ_SECONDS"].flatMap(Double.init) ?? 3
  }

  static var seed: UInt64 {
    ProcessInfo.processInfo.environment["JVPLAB_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x0A11_CE5E_ED00_0007
  }

  /// Per input; generous for debug builds on a loaded 2-core machine.
  static var deadline: Double {
    ProcessInfo.processInfo.environment["JVPLAB_FUZZ_DEADLINE"].flatMap(Double.init) ?? 20
  }
}

/// What checking one input found.
struct FuzzVerdict: Sendable {
  /// How the input ended: "ran", "syntax", "runtime", "compiled", "query error", ...
  var outcome: String
  /// A broken invariant, if any: the test fails with it and the input.
  var failure: String?
}

struct FuzzStats: CustomStringConvertible {
  var seed: UInt64
  var seconds = 0.0
  var inputs = 0
  var outcomes: [String: Int] = [:]

  var description: String {
    let kinds = outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    return "\(inputs) inputs in \(String(format: "%.1f", seconds)) s (\(kinds)), seed \(seed)"
  }
}

enum FuzzLoop {
  /// Generates and checks inputs for `seconds`, each under the deadline; stops at the first failure.
  static func run(
    target: String, seconds: Double, generate: (inout SeededRandom) -> [UInt8], check: @escaping @Sendable ([UInt8]) -> FuzzVerdict
  ) throws -> FuzzStats {
    var random = SeededRandom(seed: FuzzBudget.seed ^ UInt64(target.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }))
    var stats = FuzzStats(seed: FuzzBudget.seed)
    let current = FileManager.default.temporaryDirectory.appendingPathComponent("jvplab-fuzz-current-\(target)")
    let start = Date()
    var lastReport = start
    while Date().timeIntervalSince(start) < seconds {
      let input = generate(&random)
      // Kept on disk while it runs: if it crashes the process, this is the input to replay.
      try Data(input).write(to: current)
      guard let verdict = Watchdog.run(deadline: FuzzBudget.deadline, { check(input) }) else {
        let saved = try keep(input, target: target, reason: "hang")
        Issue.record("fuzz \(target): input did not finish within \(FuzzBudget.deadline) s (saved to \(saved)):\n\(preview(input))")
        break
      }
      stats.inputs += 1
      stats.outcomes[verdict.outcome, default: 0] += 1
      if let failure = verdict.failure {
        let saved = try keep(input, target: target, reason: "failure")
        Issue.record("fuzz \(target): \(failure) (saved to \(saved)):\n\(preview(input))")
        break
      }
      if Date().timeIntervalSince(lastReport) > 60 {
        lastReport = Date()
        print("fuzz \(target): \(Int(lastReport.timeIntervalSince(start))) s, \(stats.inputs) inputs")
      }
    }
    stats.seconds = Date().timeIntervalSince(start)
    try? FileManager.default.removeItem(at: current)
    return stats
  }

  static func keep(_ input: [UInt8], target: String, reason: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("jvplab-fuzz-\(target)-\(reason)-\(UUID().uuidString)")
    try Data(input).write(to: url)
    return url.path
  }

  static func preview(_ input: [UInt8]) -> String {
    let text = String(decoding: input.prefix(2000), as: UTF8.self)
    return input.count > 2000 ? text + "... (\(input.count) bytes)" : text
  }
}

/// Runs work on a fresh thread with the CLI's stack size and waits for it, up to a deadline.
enum Watchdog {
  /// The main thread's stack on Linux and macOS by default: what `jvplab` itself runs on.
  static let stackSize = 8 << 20

  /// The result, or nil if `body` is still running after `deadline` seconds (it is left running).
  static func run<T: Sendable>(deadline: Double, _ body: @escaping @Sendable () -> T) -> T? {
    let box = ResultBox<T>()
    let thread = Thread { box.set(body()) }
    thread.stackSize = stackSize
    thread.start()
    return box.wait(timeout: deadline)
  }

  private final class ResultBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var value: T?

    func set(_ value: T) {
      lock.withLock { self.value = value }
      done.signal()
    }

    func wait(timeout: Double) -> T? {
      guard done.wait(timeout: .now() + timeout) == .success else { return nil }
      return lock.withLock { value }
    }
  }
}

/// Invariants of an error message shown to users: one non-empty line.
func clearMessage(_ message: String) -> String? {
  if message.isEmpty { return "an empty error message" }
  if message.contains("\n") { return "a multi-line error message: \(message.prefix(300).debugDescription)" }
  return nil
}

extension SeededRandom {
  mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
}

/// Byte-level mutations shared by both fuzzers.
enum Mutation {
  static let interestingBytes: [UInt8] = [0, 0x09, 0x0A, 0x0D, 0x20, 0x22, 0x27, 0x28, 0x29, 0x5B, 0x5D, 0x5C, 0x23, 0x7E, 0x7F, 0x80, 0xC3, 0xE2, 0xF0, 0xFF]

  static func mutate(_ base: [UInt8], tokens: [String], corpus: [[UInt8]], random: inout SeededRandom) -> [UInt8] {
    var bytes = base
    for _ in 0..<random.int(1...6) {
      let position = bytes.isEmpty ? 0 : random.int(0...bytes.count - 1)
      switch random.int(0...8) {
      case 0 where !bytes.isEmpty: bytes[position] ^= UInt8(1) << UInt8(random.int(0...7))
      case 1 where !bytes.isEmpty: bytes[position] = random.pick(interestingBytes)
      case 2: bytes.insert(random.pick(interestingBytes), at: position)
      case 3: bytes.insert(contentsOf: Array(random.pick(tokens).utf8), at: position)
      case 4 where !bytes.isEmpty:
        let end = min(bytes.count, position + random.int(1...40))
        bytes.removeSubrange(position..<end)
      case 5 where !bytes.isEmpty:
        let end = min(bytes.count, position + random.int(1...80))
        bytes.insert(contentsOf: bytes[position..<end], at: random.int(0...bytes.count))
      case 6:
        let other = random.pick(corpus)
        guard !other.isEmpty else { continue }
        let from = random.int(0...other.count - 1)
        bytes.insert(contentsOf: other[from..<min(other.count, from + random.int(1...200))], at: position)
      case 7 where !bytes.isEmpty: bytes.removeSubrange(position...)
      default:
        // Repeat a chunk many times: long lines, deep nesting, big literals.
        let end = min(bytes.count, position + random.int(1...4))
        if position < end { bytes.insert(contentsOf: Array(repeating: Array(bytes[position..<end]), count: random.int(2...300)).joined(), at: position) }
      }
    }
    return bytes
  }
}

// MARK: - Scripts

/// Generates scripts and checks that parsing and running them ends clearly.
struct ScriptFuzzer: Sendable {
  let corpus: [[UInt8]]

  init(seed: UInt64) throws {
    let directory = try #require(Bundle.module.url(forResource: "scripts", withExtension: nil, subdirectory: "Fixtures/fuzz"))
    let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
      .filter { $0.pathExtension == "py" }.sorted { $0.path < $1.path } + Examples.all()
    corpus = try files.map { Array(try Data(contentsOf: $0)) }
    try #require(corpus.count >= 5, "the script corpus is missing")
  }

  func input(_ random: inout SeededRandom) -> [UInt8] {
    switch random.int(0...9) {
    case 0...3:
      var grammar = ScriptGrammar(random: random.next())
      return Array(grammar.program().utf8)
    case 4...5: return Array(soup(&random).utf8)
    default: return Mutation.mutate(random.pick(corpus), tokens: Self.vocabulary, corpus: corpus, random: &random)
    }
  }

  /// Parses and runs one script; a verdict says how it ended and what invariant broke, if any.
  func check(_ bytes: [UInt8]) -> FuzzVerdict {
    let recorder = CollectingRecorder()
    // Bounded like a small machine, so that a mutation such as rand(3, 22222222) fails fast with
    // the size it would need instead of computing for minutes (a slow input, not a hang).
    var options = Interpreter.Options()
    options.tensorLimit = 32 << 20
    options.memoryLimit = 32 << 20
    // A mutation can write `while True: pass`: such a script is stopped after its budget, as SIGINT would stop it.
    let budget = Date().addingTimeInterval(2)
    options.isCancelled = { Date() > budget }
    let interpreter = Interpreter(file: "fuzz.py", recorder: recorder, options: options, output: { _ in })
    var verdict: FuzzVerdict
    do {
      try interpreter.run(bytes: bytes)
      verdict = FuzzVerdict(outcome: "ran")
    } catch where error.kind == .interrupted && Date() > budget {
      verdict = FuzzVerdict(outcome: "stopped at its time budget")
    } catch {
      let outcome = error.kind == .syntax ? "syntax error" : error.kind == .runtime ? "runtime error" : "interrupted"
      verdict = FuzzVerdict(outcome: outcome, failure: Self.problem(with: error, source: bytes))
    }
    // A failed call may have no tensors at all (vjp(f, (), v)); a successful one has them all.
    if verdict.failure == nil, let bad = recorder.calls.first(where: { $0.status == .ok && ($0.tensors.isEmpty || $0.timings.isEmpty) }) {
      verdict.failure = "a successful \(bad.kind.rawValue) call recorded without tensors or timings"
    }
    // The --fn/--input path parses single expressions: every input is one too.
    if verdict.failure == nil, bytes.count < 20_000 {
      let text = String(decoding: bytes, as: UTF8.self)
      do {
        _ = try Parser.parseExpression(text, file: "--input x")
      } catch {
        if let problem = Self.problem(with: error, source: bytes) { verdict.failure = "parseExpression: \(problem)" }
      }
    }
    return verdict
  }

  static func problem(with error: ScriptError, source: [UInt8]) -> String? {
    if error.kind == .interrupted { return "interrupted without a SIGINT" }
    if error.line < 1 || error.column < 1 { return "error at \(error.line):\(error.column): \(error.message)" }
    if let problem = clearMessage(error.description) { return problem }
    let rendered = error.render(source: String(decoding: source, as: UTF8.self))
    let lines = rendered.split(separator: "\n", omittingEmptySubsequences: false)
    if lines.count != 3 || lines[1].count > 200 { return "render gave \(lines.count) lines: \(rendered.prefix(400))" }
    return nil
  }

  static let vocabulary: [String] = [
    "x", "y", "f", "g", "torch", "torch.", "F.", "jvp", "vjp", "jacobian", "hessian", "hvp", "vhp", "rand", "randn",
    "ones", "zeros", "tensor", "arange", "eye", "full", "linspace", "exp", "sum", "mean", "reshape", "view", "unsqueeze",
    "expand", "transpose", "softmax", "matmul", "float64", "int64", "dtype=", "dim=", "keepdim=True", "v=", "strategy=",
    "'forward-mode'", "vectorize=True", "def ", "lambda ", "return ", "pass", "import torch", "from ", " import ", " as ",
    " if ", " else ", "for ", " not ", " and ", " or ", " in ", " is ", "None", "True", "False", "0", "1", "2", "3", "-1",
    "2.5", "1e-3", "1e308", "0x1F", "1_0", "2**63", "10**9", "float('nan')", "float('inf')", "'s'", "\"t\"", "'''u\n'''",
    "r'\\d'", "'open", "(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "...", "=", "==", "+", "-", "*", "**", "/", "//",
    "%", "@", "<", ">=", "!=", "~", "|", "&", "^", "->", "+=", ":=", "\\\n", "\n", "\n    ", "\n\t", "\n  ", "  ", "#c\n",
    "while ", "elif ", "else:", "try:", "except ", "finally:", "raise ", "with ", "assert ", "break", "continue", "del ",
    "global ", "nonlocal ", "f'", "f\"{", "!r", ":.3f}", "*args", "**kw", "*", "-=", "@=", "for i in range(3)", "{1: 2}",
    " ", " ", " ", "\u{E9}", "\u{3C0}", "$", "\r\n", "\u{FEFF}", "\t",
  ]

  func soup(_ random: inout SeededRandom) -> String {
    (0..<random.int(0...80)).map { _ in random.pick(Self.vocabulary) }.joined()
  }
}

/// Random programs in the script language: mostly valid, so they reach the interpreter, the engine
/// and the recorder, with bursts of deep nesting, recursion and extreme numbers.
struct ScriptGrammar {
  var random: SeededRandom
  var variables: [String] = []
  var functions: [(name: String, arity: Int)] = []

  init(random seed: UInt64) { random = SeededRandom(seed: seed) }

  mutating func program() -> String {
    var lines = ["import torch", "from torch.autograd.functional import jvp, vjp, jacobian, hessian, hvp, vhp"]
    if random.chance(0.7) { lines.append("torch.manual_seed(\(random.int(0...1000)))") }
    for _ in 0..<random.int(1...10) { lines.append(contentsOf: statement()) }
    return lines.joined(separator: random.chance(0.05) ? "\r\n" : "\n") + (random.chance(0.9) ? "\n" : "")
  }

  mutating func newVariable() -> String {
    let name = "v\(variables.count)"
    variables.append(name)
    return name
  }

  mutating func statement() -> [String] {
    switch random.int(0...14) {
    case 12...13: return compound()
    case 14: return ["\(newVariable()) = \(container(depth: 2))"]
    case 0...2: return ["\(newVariable()) = \(tensor(depth: 3))"]
    case 3: return ["\(newVariable()), \(newVariable()) = \(expression(depth: 2)), \(tensor(depth: 2))"]
    case 4: return ["print(\(expression(depth: 2)), \(expression(depth: 1)))"]
    case 5: return [expression(depth: 3)]
    case 6...7: return definition()
    case 8...9: return [autodiffCall()]
    case 10: return [deepBurst()]
    default: return recursion()
    }
  }

  mutating func definition() -> [String] {
    let name = "f\(functions.count)"
    let arity = random.int(1...2)
    let parameters = (0..<arity).map { "p\($0)" }
    let saved = variables
    variables = parameters + variables
    var body = (0..<random.int(0...2)).map { i in "    t\(i) = \(tensor(depth: 2))" }
    body.append("    return \(tensor(depth: 3))")
    variables = saved
    functions.append((name, arity))
    return ["def \(name)(\(parameters.joined(separator: ", "))):"] + body
  }

  mutating func autodiffCall() -> String {
    let kind = random.pick(["jvp", "vjp", "jacobian", "hessian", "hvp", "vhp"])
    let shape = random.pick(["2", "3", "2, 3", "1", "4, 4"])
    let dtype = random.chance(0.2) ? ", dtype=torch.float64" : ""
    let function: String
    let arity: Int
    if let defined = functions.last, random.chance(0.5) {
      (function, arity) = (defined.name, defined.arity)
    } else {
      arity = random.int(1...2)
      let parameters = (0..<arity).map { "p\($0)" }
      let saved = variables
      variables = parameters
      function = "(lambda \(parameters.joined(separator: ", ")): \(tensor(depth: 2)))"
      variables = saved
    }
    let input = arity == 1 ? "torch.rand(\(shape)\(dtype))" : "(torch.rand(\(shape)\(dtype)), torch.rand(\(shape)\(dtype)))"
    let vector = arity == 1 ? "torch.ones(\(shape)\(dtype))" : "(torch.ones(\(shape)\(dtype)), torch.ones(\(shape)\(dtype)))"
    switch kind {
    case "jacobian", "hessian":
      let options = random.chance(0.5) ? ", vectorize=True" : random.chance(0.5) ? ", strategy='forward-mode'" : ""
      return "\(newVariable()) = \(kind)(\(function), \(input)\(kind == "jacobian" ? options : ""))"
    default:
      return "\(newVariable()) = \(kind)(\(function), \(input)\(random.chance(0.85) ? ", " + vector : ""))"
    }
  }

  /// A loop, branch, `try` or `with` around statements (loops are bounded, so every program ends).
  mutating func compound() -> [String] {
    let body = { (grammar: inout ScriptGrammar) -> [String] in
      (grammar.random.chance(0.5) ? [grammar.autodiffCall()] : [grammar.expression(depth: 2)]).map { "    " + $0 }
    }
    switch random.int(0...5) {
    case 0:
      let counter = newVariable()
      return ["for \(counter) in range(\(random.int(0...3))):"] + body(&self)
        + (random.chance(0.3) ? ["    if \(counter) > 1:", "        break"] : [])
    case 1:
      return ["if \(expression(depth: 1)):"] + body(&self) + ["elif \(expression(depth: 1)):", "    pass", "else:"] + body(&self)
    case 2:
      let counter = newVariable()
      return ["\(counter) = 0", "while \(counter) < \(random.int(0...3)):", "    \(counter) += 1"] + body(&self)
    case 3:
      return ["try:"] + body(&self) + ["except (RuntimeError, TypeError, ValueError, IndexError, KeyError) as e:", "    print(e)",
                                       "finally:", "    pass"]
    case 4:
      return ["with torch.no_grad():"] + body(&self)
    default:
      return ["assert \(expression(depth: 1)), f'{\(expression(depth: 1))!r:>8}'"]
    }
  }

  /// A dict, set, comprehension or f-string, usually holding tensors.
  mutating func container(depth: Int) -> String {
    switch random.int(0...4) {
    case 0: return "{'a': \(tensor(depth: depth)), \(random.pick(Self.numbers)): \(expression(depth: depth - 1))}"
    case 1: return "[\(tensor(depth: depth)) for i in range(\(random.int(0...3))) if i != \(random.int(0...2))]"
    case 2: return "{i: \(expression(depth: depth - 1)) for i in range(\(random.int(0...3)))}"
    case 3: return "f'{\(expression(depth: depth))} {\(random.pick(Self.numbers))!r} {\(random.pick(Self.numbers)):\(random.pick([".3f", ">6", ".2e", "", "d", ",", "x"]))}'"
    default: return "sum(\(tensor(depth: depth - 1)) for _ in range(\(random.int(0...2))))"
    }
  }

  /// One expression nested 150 to 260 levels deep (the parser's limit is 200).
  mutating func deepBurst() -> String {
    let depth = random.int(150...260)
    let (open, close) = random.pick([("(", ")"), ("-", ""), ("not ", ""), ("[", "]"), ("torch.exp(", ")"), ("(1, ", ")"), ("2**", ""), ("(lambda q: ", ")(1)")])
    return "\(newVariable()) = " + String(repeating: open, count: depth) + "1.5" + String(repeating: close, count: depth)
  }

  /// Recursion through nested expressions, which only the interpreter's stack guard stops.
  mutating func recursion() -> [String] {
    let nesting = random.int(1...95)
    let name = "r\(functions.count)"
    functions.append((name, 1))
    return ["def \(name)(x):", "    return " + String(repeating: "-(", count: nesting) + "\(name)(x)" + String(repeating: ")", count: nesting),
            random.chance(0.5) ? "\(name)(1)" : "\(name)(torch.ones(2))"]
  }

  static let numbers = ["0", "1", "2", "3", "-1", "-2", "0.5", "1e-3", "2.5", "1e308", "-1e308", "float('nan')", "float('inf')",
                        "2**31", "9223372036854775807", "(-9223372036854775807 - 1)", "10**6", "4", "True", "None", "'s'"]

  /// An expression that is usually a tensor.
  mutating func tensor(depth: Int) -> String {
    if depth <= 0 || random.chance(0.25) {
      if !variables.isEmpty && random.chance(0.6) { return random.pick(variables) }
      return random.pick([
        "torch.rand(2, 3)", "torch.ones(3)", "torch.randn(2, 2)", "torch.tensor([[1., 2.], [3., 4.]])", "torch.arange(6.)",
        "torch.eye(3)", "torch.zeros(2, 3, dtype=torch.float64)", "torch.full((2,), \(random.pick(Self.numbers)))",
        "torch.linspace(0, 1, 4)", "torch.tensor(\(random.pick(Self.numbers)))", "torch.arange(\(random.int(-2...6)))",
        "torch.rand(\(random.int(0...3)), \(random.int(0...3)))",
      ])
    }
    let x = tensor(depth: depth - 1)
    switch random.int(0...13) {
    case 0: return "(\(x) \(random.pick(["+", "-", "*", "/", "@", "**"])) \(tensor(depth: depth - 1)))"
    case 1: return "(\(x) \(random.pick(["+", "-", "*", "/", "**"])) \(random.pick(Self.numbers)))"
    case 2: return "\(x).\(random.pick(["exp", "log", "sin", "tanh", "sigmoid", "relu", "sqrt", "abs", "square", "reciprocal", "t", "flatten", "clone", "double", "float", "long", "diag"]))()"
    case 3: return "\(x).\(random.pick(["sum", "mean", "prod", "logsumexp", "softmax", "log_softmax"]))(\(random.pick(["", "dim=0", "dim=-1", "dim=1", "dim=(0, 1)", "0, keepdim=True", "dim=5"])))"
    case 4: return "\(x).reshape(\(random.pick(["-1", "2, -1", "-1, 1", "3, 2", "(1, -1)", "-1, -1", "0"])))"
    case 5: return "\(x)[\(random.pick(["0", "-1", ":", "1:", ":, 0", "::2", "0, 0", "5", "..., 0", "None"]))]"
    case 6: return "\(x).\(random.pick(["unsqueeze(0)", "squeeze()", "transpose(0, 1)", "T", "expand(2, -1)", "permute(1, 0)", "view(-1)", "pow(2)", "to(torch.float64)"]))"
    case 7: return "torch.\(random.pick(["cat", "stack"]))([\(x), \(tensor(depth: depth - 1))], dim=\(random.int(-1...1)))"
    case 8: return "torch.\(random.pick(["matmul", "outer", "dot", "mm", "mv", "allclose"]))(\(x), \(tensor(depth: depth - 1)))"
    case 9: return "(\(x) if \(expression(depth: 1)) else \(tensor(depth: depth - 1)))"
    case 10:
      guard let function = functions.randomElement(using: &random) else { return x }
      return "\(function.name)(\((0..<function.arity).map { _ in tensor(depth: depth - 1) }.joined(separator: ", ")))"
    case 11: return "(lambda a, b=2: a * b)(\(x))"
    case 12: return "-\(x)"
    default: return "torch.\(random.pick(["zeros_like", "ones_like", "rand_like", "exp", "neg", "softmax"]))(\(x)\(random.chance(0.3) ? ", dim=0" : ""))"
    }
  }

  /// Any expression: tensors, numbers, strings, tuples, comparisons, attribute reads.
  mutating func expression(depth: Int) -> String {
    switch random.int(0...7) {
    case 0: return random.pick(Self.numbers)
    case 1: return "(\(random.pick(Self.numbers)) \(random.pick(["+", "-", "*", "/", "//", "%", "**", "<", "==", "and", "or", "is", "in"])) \(random.pick(Self.numbers)))"
    case 2: return "(\(tensor(depth: depth)), \(expression(depth: depth - 1)))"
    case 3: return "[\(expression(depth: depth - 1)), \(random.pick(Self.numbers))]"
    case 4: return "\(tensor(depth: depth)).\(random.pick(["shape", "dtype", "ndim", "size()", "dim()", "numel()", "item()", "tolist()", "shape[0]"]))"
    case 5: return "\(random.pick(["len", "int", "float", "abs", "round", "str", "repr", "list", "tuple", "range"]))(\(random.pick(Self.numbers)))"
    case 6: return "not \(random.pick(Self.numbers))"
    default: return tensor(depth: depth)
    }
  }
}

// MARK: - Filters

/// Generates filters (with sort keys and limits) and checks they compile and query, or fail clearly.
final class FilterFuzzer: Sendable {
  let corpus: [[UInt8]]
  let directory: ScratchDirectory
  let store: RunStore

  init() throws {
    let url = try #require(Bundle.module.url(forResource: "filters", withExtension: "txt", subdirectory: "Fixtures/fuzz"))
    corpus = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { Array($0.utf8) }
    try #require(corpus.count >= 10, "the filter corpus is missing")
    directory = try ScratchDirectory("fuzz-filters")
    try directory.write("seed.py", """
      import torch
      from torch.autograd.functional import jvp, vjp, jacobian
      torch.manual_seed(42)
      x = torch.rand(3)
      jvp(lambda x: x.exp(), x, torch.ones(3))
      vjp(lambda x: x.sin().sum(), x)
      jacobian(lambda x: x * x, x, vectorize=True)
      jvp(lambda x: x.log(), torch.tensor([float('nan'), 1., 2.]), torch.ones(3))

      """)
    let outcome = try runJVPLab(["run", "seed.py", "--db", "lab.db", "--name", "exp_fuzz", "--tag", "lr=0.001", "--tag", "note=it's"], in: directory.url)
    try #require(outcome.status == 0, "seeding the filter database failed: \(outcome.stderr)")
    store = try RunStore.open(path: directory.path("lab.db"), mode: .readOnly)
  }

  static let fields = ["id", "name", "kind", "fn", "strategy", "dtype", "seed", "status", "script", "started", "finished", "parent",
                       "line", "host", "error", "vectorize", "numel.in", "numel.out", "time.jvp", "time.forward", "time.x y",
                       "check.fd", "check.fd.rel", "check.fd.ok", "check.dot", "tag.lr", "tag.note", "tag.", "time.", "check..ok",
                       "Kind", "nosuch", "tag.a.b", "-id", "id-"]
  static let operators = ["=", "==", "!=", "<", "<=", ">", ">=", "~", "=<", "!", "<>"]
  static let values = ["jvp", "1", "-1", "0", "1.5e-3", "1ms", "3us", "2µs", "10ns", "1s", "1h", "1e400", "-0", "9223372036854775808",
                       "'exp*'", "\"a b\"", "'it\\'s'", "''", "2026-11-27", "2026-11-27T10:00:00Z", "2026-13-45", "*", "[a-z]*",
                       "true", "no", "reverse-mode", "nan", "inf", "'\\\\'", "/tmp/x.py", "%", "^", "@", "?"]

  func input(_ random: inout SeededRandom) -> [UInt8] {
    let filter: [UInt8]
    switch random.int(0...9) {
    case 0...4: filter = Array(grammar(&random, depth: random.int(0...4)).utf8)
    case 5...6:
      let tokens = Self.fields + Self.operators + Self.values + ["and", "or", "not", "AND", "(", ")", " ", ";", ",", "'", "\"", "\\"]
      filter = Array((0..<random.int(0...30)).map { _ in random.pick(tokens) }.joined(separator: random.pick([" ", "", "  "])).utf8)
    default:
      filter = Mutation.mutate(random.pick(corpus), tokens: Self.fields + Self.values, corpus: corpus, random: &random)
    }
    // Filter, sort and limit travel as one input: filter NUL sort NUL limit.
    let sort = random.chance(0.5) ? "" : (0..<random.int(1...3)).map { _ in
      random.pick(["", "-", "+", " -"]) + random.pick(Self.fields) + random.pick(["", " "])
    }.joined(separator: random.pick([",", ", ", ",,", " "]))
    let limit = random.chance(0.6) ? "" : random.pick(["0", "1", "5", "-1", "\(Int.max)"])
    return filter + [0] + Array(sort.utf8) + [0] + Array(limit.utf8)
  }

  func grammar(_ random: inout SeededRandom, depth: Int) -> String {
    if depth <= 0 || random.chance(0.3) {
      return "\(random.pick(Self.fields)) \(random.pick(Self.operators)) \(random.pick(Self.values))"
    }
    switch random.int(0...3) {
    case 0: return "\(grammar(&random, depth: depth - 1)) \(random.pick(["and", "or", "AND", "Or"])) \(grammar(&random, depth: depth - 1))"
    case 1: return "not \(grammar(&random, depth: depth - 1))"
    case 2:
      let nesting = random.chance(0.1) ? random.int(90...120) : random.int(1...3)
      return String(repeating: "(", count: nesting) + grammar(&random, depth: depth - 1) + String(repeating: ")", count: nesting)
    default: return Array(repeating: grammar(&random, depth: 0), count: random.int(1...200)).joined(separator: " or ")
    }
  }

  func check(_ bytes: [UInt8]) -> FuzzVerdict {
    let parts = bytes.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    let filter = parts[0]
    let sort = parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil
    let limit = parts.count > 2 ? Int(parts[2]) : nil
    let query: RunQuery
    do {
      query = try RunQuery(filter: filter, sort: sort, limit: limit)
    } catch {
      let text = error.part == .sort ? sort ?? "" : filter
      if error.part != .limit && !(0...text.count).contains(error.offset) {
        return FuzzVerdict(outcome: "query error", failure: "error offset \(error.offset) outside the \(text.count) characters of the \(error.part)")
      }
      if let problem = clearMessage(error.message) { return FuzzVerdict(outcome: "query error", failure: problem) }
      let rendered = error.render(filter: filter, sort: sort ?? "")
      let lines = rendered.split(separator: "\n", omittingEmptySubsequences: false)
      if error.part != .limit && (lines.count != 3 || lines[1].count > 200) {
        return FuzzVerdict(outcome: "query error", failure: "render gave \(lines.count) lines: \(rendered.prefix(400))")
      }
      return FuzzVerdict(outcome: "query error")
    }
    do {
      let runs = try store.runs(matching: query)
      if let limit, runs.count > limit { return FuzzVerdict(outcome: "queried", failure: "\(runs.count) runs for --limit \(limit)") }
      return FuzzVerdict(outcome: runs.isEmpty ? "queried, no match" : "queried, matches")
    } catch {
      // A filter that compiled must be valid SQL: anything SQLite refuses is a compiler bug.
      return FuzzVerdict(outcome: "queried", failure: "a compiled query failed in SQLite: \(error.message)")
    }
  }
}

/// Derivatives through an int64 cast are zero, as in PyTorch (the cast cuts the graph), never the
/// truncated tangent; a function whose output is int64 cannot be differentiated at all.
@Suite("Reliability: int64 in differentiated functions")
struct ReliabilityIntegerCastTests {
  @Test func aCastToInt64CutsTheDerivative() throws {
    let recorder = CollectingRecorder()
    let interpreter = Interpreter(file: "cast.py", recorder: recorder, output: { _ in })
    try interpreter.run(bytes: Array("""
      import torch
      from torch.autograd.functional import jvp
      x = torch.tensor([0.5, 1.5, 2.5], dtype=torch.float64)
      out = jvp(lambda x: (x * 3.7).long().double() + x, x, torch.ones(3, dtype=torch.float64))

      """.utf8))
    let tangent = try #require(recorder.calls.first?.tensors.first { $0.role == "jvp" }?.tensor)
    #expect(tangent.doubles == [1, 1, 1], "only the `+ x` term has a derivative")
  }

  @Test func anInt64OutputIsRefused() {
    let interpreter = Interpreter(file: "cast.py", recorder: CollectingRecorder(), output: { _ in })
    #expect(throws: ScriptError.self) {
      try interpreter.run(bytes: Array("""
        import torch
        from torch.autograd.functional import jvp
        jvp(lambda x: x.long(), torch.rand(3), torch.ones(3))

        """.utf8))
    }
  }
}
