import ArgumentParser
import Foundation
import JVPCore
import JVPLab
import JVPScript

extension SweepReport.Format: ExpressibleByArgument {}

struct SweepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep", abstract: "Run a function or script over a grid of values, recording each point as a run.",
    discussion: """
      jvplab sweep --fn 'x.exp().sum(dim=1)' --input 'x=rand(N, N)' --kind jvp --grid N=4,64,512 --grid strategy=reverse-mode,auto
      jvplab sweep script.py --grid N=4,64 binds N as a global before the script runs.
      jvplab sweep show SWEEP tabulates the points; jvplab sweep --resume SWEEP runs the points still missing.
      """,
    subcommands: [SweepRunCommand.self, SweepShowCommand.self], defaultSubcommand: SweepRunCommand.self)
}

struct SweepRunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run", abstract: "Run every point of a grid (the default of jvplab sweep).")

  @ArgumentParser.Argument(help: "A script to run once per point instead of --fn.")
  var script: String?

  @Option(help: "The function, as for run --fn: 'def f(x): ...', 'lambda x: ...' or an expression.")
  var fn: String?

  @Option(name: .customLong("input"), help: "An input as NAME=EXPR; EXPR may use the grid variables (x='rand(N, N)').")
  var inputs: [String] = []

  @Option(name: .customLong("tangent"), help: "A tangent as NAME=EXPR (jvp, hvp, vhp); EXPR may use the grid variables.")
  var tangents: [String] = []

  @Option(help: "The cotangent expression for vjp; it may use the grid variables.")
  var cotangent: String?

  @Option(help: "The transform, unless swept with --grid kind=...: jvp, vjp, jacobian, hessian, hvp or vhp.")
  var kind: AutodiffKind?

  @Option(name: .customLong("grid"), help: "A grid axis NAME=V1,V2,... (repeatable); strategy, vectorize, dtype, seed and kind set those options.")
  var grid: [String] = []

  @Option(help: "Seeds to sweep: A..B (both included) or A,B,C; the same as --grid seed=....")
  var seeds: String?

  @Option(help: "The jacobian strategy where it is not swept.")
  var strategy: JacobianStrategy = .reverseMode

  @Flag(help: "Batch the jacobian's sweeps where vectorize is not swept.")
  var vectorize = false

  @Option(help: "The default dtype where it is not swept: float32 or float64.")
  var dtype: DType = .float32

  @Option(help: "The seed where it is not swept.")
  var seed: Int = 0

  @Option(name: .customLong("repeat"), help: "Timed repetitions at each point.")
  var repeats: Int = 1

  @Option(help: "Untimed calls before the timed ones at each point.")
  var warmup: Int = 0

  @Option(help: "A name for the sweep and its runs.")
  var name: String?

  @Option(name: .customLong("tag"), help: "A KEY=VALUE tag for every run of the sweep (repeatable).")
  var tags: [String] = []

  @Flag(help: "Run a grid of more than 100,000 points.")
  var yes = false

  @Option(help: ArgumentHelp("Run the points sweep SWEEP has not finished, with its own options.", valueName: "sweep"))
  var resume: Int64?

  @OptionGroup var database: DatabaseOptions

  func validate() throws {
    if resume != nil {
      guard script == nil, fn == nil, grid.isEmpty, seeds == nil, inputs.isEmpty else {
        throw ValidationError("--resume SWEEP takes the sweep's own options: give no SCRIPT, --fn, --input or --grid with it")
      }
      return
    }
    guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1, got \(repeats)") }
    guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more, got \(warmup)") }
    guard dtype.isFloatingPoint else { throw ValidationError("--dtype must be float32 or float64, got \(dtype.rawValue)") }
    do {
      let plan = try self.plan()
      try plan.validate(scriptSource: try script.map { path throws(LabFailure) in try Sweep.scriptText(path) }, confirmed: yes)
    } catch let error as LabFailure {
      throw ValidationError(error.message)
    }
  }

  func plan() throws -> SweepPlan {
    guard (script == nil) != (fn == nil) else { throw LabFailure("give either a SCRIPT or --fn SRC (with --input) to sweep") }
    var plan = SweepPlan()
    plan.script = script
    plan.function = fn
    if fn != nil {
      guard !inputs.isEmpty else { throw LabFailure("--fn needs at least one --input NAME=EXPR") }
    } else if !inputs.isEmpty || !tangents.isEmpty || cotangent != nil || kind != nil {
      throw LabFailure("--input, --tangent, --cotangent and --kind go with --fn, not with a script")
    }
    plan.inputs = try RunCommand.assignments(inputs, option: "--input").map { SweepPlan.Assignment(name: $0.name, expression: $0.expression) }
    plan.tangents = try RunCommand.assignments(tangents, option: "--tangent").map { SweepPlan.Assignment(name: $0.name, expression: $0.expression) }
    plan.cotangent = cotangent
    plan.kind = kind
    plan.strategy = strategy
    plan.vectorize = vectorize
    plan.dtype = dtype
    plan.seed = seed
    plan.grid = try grid.map { item throws(LabFailure) in try GridAxis(parsing: item) }
    if let seeds { plan.grid.append(GridAxis(name: "seed", values: try SweepPlan.seeds(seeds))) }
    plan.repeats = repeats
    plan.warmup = warmup
    plan.name = name
    for (key, value) in try RunCommand.assignments(tags, option: "--tag") { plan.tags[key] = value }
    return plan
  }

  func run() throws {
    var settings = Sweep.Settings(database: database.resolved)
    settings.commandLine = commandLine
    let interruption = Interruption()
    interruption.install()
    if let resume {
      try Sweep.resume(resume, settings: settings, console: .standard, interruption: interruption).finish()
    } else {
      try Sweep.run(try plan(), settings: settings, console: .standard, interruption: interruption).finish()
    }
  }
}

struct SweepShowCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Tabulate a sweep: its points' times and checks, the scaling exponent per series, the fastest strategy per size.")

  @ArgumentParser.Argument(help: ArgumentHelp("The sweep's id.", valueName: "sweep"))
  var sweep: Int64

  @Option(help: "Output: text, json or csv (the points only).")
  var format: SweepReport.Format = .text

  @OptionGroup var database: DatabaseOptions

  func run() throws {
    try SweepReport.run(sweep, database: database.resolved, format: format, console: .standard).finish()
  }
}
