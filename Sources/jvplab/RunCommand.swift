import Foundation
import ArgumentParser
import JVPCore
import JVPLab
import JVPScript

extension AutodiffKind: ExpressibleByArgument {}
extension JacobianStrategy: ExpressibleByArgument {}
extension DType: ExpressibleByArgument {}
extension RunOptions.Format: ExpressibleByArgument {}

struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a notebook script, or one function, recording every autodiff call as a run.",
    discussion: """
      jvplab run SCRIPT.py prints the notebook transcript exactly as PyTorch would.
      jvplab run --fn 'x.exp().sum(dim=1)' --input x='rand(4,4)' --kind jvp runs a single experiment.
      """)

  @ArgumentParser.Argument(help: "The script to run (a notebook's cells saved as a Python file).")
  var script: String?

  @Option(help: "The function for the one-experiment form: 'def f(x): ...', 'lambda x: ...' or an expression.")
  var fn: String?

  @Option(name: .customLong("input"), help: "An input as NAME=EXPR, evaluated in order after manual_seed(--seed).")
  var inputs: [String] = []

  @Option(name: .customLong("tangent"), help: "A tangent as NAME=EXPR (jvp, hvp, vhp; default ones).")
  var tangents: [String] = []

  @Option(help: "The cotangent expression for vjp (default ones).")
  var cotangent: String?

  @Option(help: "The transform: jvp, vjp, jacobian, hessian, hvp or vhp.")
  var kind: AutodiffKind?

  @Option(help: "How jacobian and hessian sweep: reverse-mode, forward-mode or auto.")
  var strategy: JacobianStrategy = .reverseMode

  @Flag(help: "Batch the jacobian's sweeps through the vectorized graph.")
  var vectorize = false

  @Option(help: "The seed for manual_seed before the inputs are evaluated.")
  var seed: Int = 0

  @Option(help: "32-bit draws to skip after manual_seed, to regenerate a script's run alone (its rng_offset).")
  var rngOffset: Int = 0

  @Option(help: "The default dtype of created tensors: float32 or float64.")
  var dtype: DType = .float32

  @Option(name: .customLong("repeat"), help: "Timed repetitions of each autodiff call.")
  var repeats: Int = 1

  @Option(help: "Untimed calls before the timed ones.")
  var warmup: Int = 0

  @Option(help: "A name for the recorded runs.")
  var name: String?

  @Option(name: .customLong("tag"), help: "A KEY=VALUE tag for the recorded runs (repeatable).")
  var tags: [String] = []

  @Option(help: "Output: text (the transcript) or json (the recorded run objects).")
  var format: RunOptions.Format = .text

  @Option(help: "Tensors with more elements are stored as shape, digest and statistics only.")
  var storeLimit: Int = 16 * 1024 * 1024

  @Option(help: "Seconds to keep retrying while another process holds the database, then save each run in a pending file beside it (0: do not wait).")
  var lockWait: Double = 60

  @OptionGroup var database: DatabaseOptions

  func validate() throws {
    guard (script == nil) != (fn == nil) else {
      throw ValidationError("give either a SCRIPT or --fn SRC (with --input and --kind)")
    }
    if fn != nil {
      guard kind != nil else { throw ValidationError("--fn needs --kind (jvp, vjp, jacobian, hessian, hvp or vhp)") }
      guard !inputs.isEmpty else { throw ValidationError("--fn needs at least one --input NAME=EXPR") }
      guard dtype.isFloatingPoint else { throw ValidationError("--dtype must be float32 or float64, got \(dtype.rawValue)") }
      guard (0...FunctionSpec.maxRNGOffset).contains(rngOffset) else {
        throw ValidationError("--rng-offset must be between 0 and \(FunctionSpec.maxRNGOffset), got \(rngOffset)")
      }
      if cotangent != nil && kind != .vjp { throw ValidationError("--cotangent goes with --kind vjp") }
      if !tangents.isEmpty && kind.map({ [.jvp, .hvp, .vhp].contains($0) }) != true {
        throw ValidationError("--tangent goes with --kind jvp, hvp or vhp")
      }
    } else if !inputs.isEmpty || !tangents.isEmpty || cotangent != nil || kind != nil || rngOffset != 0 {
      throw ValidationError("--input, --tangent, --cotangent, --kind and --rng-offset go with --fn, not with a script")
    }
    guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1, got \(repeats)") }
    guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more, got \(warmup)") }
    guard lockWait >= 0, lockWait.isFinite else { throw ValidationError("--lock-wait must be 0 or more seconds, got \(lockWait)") }
    guard storeLimit >= 0 else { throw ValidationError("--store-limit must be 0 or more, got \(storeLimit)") }
    _ = try parsedTags()
    _ = try Self.assignments(inputs, option: "--input")
    _ = try Self.assignments(tangents, option: "--tangent")
  }

  func parsedTags() throws -> [String: String] {
    var result: [String: String] = [:]
    for (key, value) in try Self.assignments(tags, option: "--tag") { result[key] = value }
    return result
  }

  /// `NAME=VALUE` pairs, in order.
  static func assignments(_ items: [String], option: String) throws -> [(name: String, expression: String)] {
    try items.map { item in
      guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
        throw ValidationError("\(option) expects NAME=VALUE, got '\(item)'")
      }
      return (String(item[..<equals]).trimmingCharacters(in: .whitespaces), String(item[item.index(after: equals)...]))
    }
  }

  func run() throws {
    var options = RunOptions(database: database.resolved)
    options.name = name
    options.tags = try parsedTags()
    options.repeats = repeats
    options.warmup = warmup
    options.format = format
    options.storeLimit = storeLimit
    options.commandLine = commandLine
    options.lockWait = lockWait
    let interruption = Interruption()
    interruption.install()
    if let script {
      try ScriptRun.run(path: script, options: options, console: .standard, interruption: interruption).finish()
      return
    }
    guard let fn, let kind else { return }
    var spec = FunctionSpec(source: fn, inputs: try Self.assignments(inputs, option: "--input"), kind: kind)
    spec.tangents = try Self.assignments(tangents, option: "--tangent")
    spec.cotangent = cotangent
    spec.strategy = strategy
    spec.vectorize = vectorize
    spec.seed = seed
    spec.rngOffset = rngOffset
    try FunctionRun.run(spec, dtype: dtype, options: options, console: .standard, interruption: interruption).finish()
  }
}
