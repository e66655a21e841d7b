import JVPCore

/// Executes a parsed script the way a notebook would, through the JVPCore engine.
///
/// Top-level expression statements are displayed as IPython displays them; every autodiff call is run
/// through `Experiment` and handed to the `RunRecorder`. Errors stop execution with a `ScriptError`
/// located at the innermost expression that failed.
public final class Interpreter {
  /// How autodiff calls are repeated and observed.
  public struct Options {
    public var repeats = 1
    public var warmup = 0
    public var memoryLimit = 1 << 30
    /// The largest tensor a creation function (`rand`, `ones`, `arange`, ...) makes, in bytes: above
    /// it the script gets an error naming the size. Never more than 4 GiB; lower it to bound a run.
    public var tensorLimit = 4 << 30
    /// Called after each timed repetition of a long call: (done, total).
    public var progress: ((Int, Int) -> Void)?
    /// Polled between repetitions; true stops the call (SIGINT).
    public var isCancelled: () -> Bool = { false }
    /// Receives notes about differences from PyTorch that a script runs into (`file:line:col: text`).
    public var notice: ((String) -> Void)?

    public init() {}
  }

  /// The name errors are located in: the script, or the command-line option being evaluated.
  var file: String
  let options: Options
  let recorder: RunRecorder
  let output: (String) -> Void
  /// Set while a function runs a second time for its autograd graph (`create_graph=True`): what it prints was
  /// printed by the first run.
  var mutesOutput = false
  var generator = TorchGenerator()
  /// The seed of the last `manual_seed`, nil before any.
  var seed: UInt64?
  let globals = Scope(parent: nil)
  /// The dtype creation functions use when none is given (`--dtype` sets it, as `torch.set_default_dtype`).
  public var defaultDType = DType.float32
  /// Non-zero while a function is being traced for differentiation.
  var tracingDepth = 0
  /// The `torch.func` traces open now, innermost last: a transform applied inside traces at the next level.
  var funcTraces: [Tracer] = []
  /// The `vmap` (and `jacfwd`) traces open now, innermost last, with their batch size and `randomness`.
  var vmapTraces: [(tracer: Tracer, size: Int, randomness: String)] = []
  /// For a `vmap` (or `jacfwd`) trace, the extra inputs that capture a per-example random draw of an enclosing
  /// `'different'` level (by their position among the extra inputs): batched at this level too.
  var perExampleCaptures: [ObjectIdentifier: Set<Int>] = [:]
  /// The timings and checks of the top-level `torch.func` application running now (nil outside one).
  var funcMeasurement: FuncMeasurement?
  /// The script globals the function being traced has read, in order of first read (`replay` needs them).
  var globalReads: [(name: String, value: Value)] = []
  /// While a function is traced: whether it has so far read no name from outside itself (no global, closure
  /// variable or builtin) and declared none `global` or `nonlocal` (see `ClosedTraces`).
  var traceIsClosed = true
  /// Traces that read nothing from outside, by what alone decides them: served instead of tracing again.
  var closedTraces = ClosedTraces()
  /// The first line of each top-level statement of the script running (tape runs name their statements by index).
  var topLevelLines: [Int] = []
  /// How many tape runs the top-level statement `origin` has recorded so far.
  var tapeRunsInStatement: (origin: Int?, count: Int) = (nil, 0)
  /// While a function's default values are evaluated: the script globals they read (`UserFunction.defaultReads`).
  var defaultReads: [(name: String, value: Value)]?
  /// The script's lines, so tape runs can record the statement that ran them.
  public var sourceLines: [String] = []
  /// The forward-AD run of the open `dual_level()` block: the duals made and unpacked so far.
  var dualRun: RecordedCall?
  /// The duals the open level made and the ones it unpacked, for its run's finite-difference check.
  var dualTensors: (made: [TapeTensor], unpacked: [TapeTensor]) = ([], [])
  /// Where the library call being executed was written (runs record its line).
  var currentCallLocation = SourceLocation(line: 1, column: 1)
  /// The one-experiment form's parsed options, by label and text, and whether the torch names are bound:
  /// a sweep runs every point of `--fn` through one interpreter and parses its options once.
  var parsedOptions: [String: Expr] = [:]
  var torchNamesBound = false
  var callDepth = 0
  /// How many times `checkCancelled` ran, and how often it asks `options.isCancelled`.
  private var polls = 0
  static let cancellationStride = 64
  /// The qualified name of the user function running now (nil at top level), for nested functions' names.
  var currentFunctionName: String?
  static let maximumCallDepth = 200
  /// How deeply tuples and lists may nest inside each other. Deeper values (built a level per
  /// statement, `x = [x]`) would overflow the stack when displayed, compared or freed, all of
  /// which recurse; Python's own repr stops near 1000 levels too.
  static let maximumValueNesting = 1000
  /// Stops evaluation before it overflows the stack of the thread it runs on (set per entry point).
  var stackGuard = StackGuard.disabled

  /// `output` receives the transcript, one displayed or printed line at a time (each ends in "\n").
  public init(file: String, recorder: RunRecorder, options: Options = Options(), output: @escaping (String) -> Void) {
    self.file = file
    self.recorder = recorder
    self.options = options
    self.output = output
  }

  /// The exceptions being handled by the `except` blocks now running, innermost last (a bare `raise` re-raises it).
  var handledErrors: [ScriptError] = []
  /// The error the last `raise` threw and the exception object it raised, so `except ... as e` binds that object.
  var lastRaised: (ScriptError, ExceptionInstance)?

  /// Writes transcript text (a display or a print), unless muted.
  func write(_ text: String) {
    if !mutesOutput { output(text) }
  }

  /// Runs every statement of `module` in order.
  public func run(_ module: Module) throws(ScriptError) {
    stackGuard = .currentThread()
    topLevelLines = module.statements.map(\.location.line)
    defer { GradMode.origin = nil }
    for (index, statement) in module.statements.enumerated() {
      if options.isCancelled() { throw interrupted(at: statement.location) }
      GradMode.origin = index
      _ = try execute(statement, in: globals, display: true)
    }
  }

  /// Stops a loop at `location` when SIGINT asked for it. Iterations poll only every `cancellationStride`-th
  /// time, so a tight loop pays almost nothing and SIGINT is still heard within microseconds.
  func checkCancelled(at location: SourceLocation) throws(ScriptError) {
    polls &+= 1
    if polls % Self.cancellationStride == 0, options.isCancelled() { throw interrupted(at: location) }
  }

  func interrupted(at location: SourceLocation) -> ScriptError {
    ScriptError(file: file, location: location, message: "interrupted", kind: .interrupted)
  }

  // MARK: Errors

  func recursionError(_ location: SourceLocation) -> ScriptError {
    ScriptError(
      file: file, location: location,
      message: "maximum recursion depth exceeded (calls and nested expressions go deeper than the stack allows)",
      kind: .runtime, exceptionType: "RecursionError")
  }

  /// A runtime error at `location` raising the Python exception `type`.
  func failure(_ message: String, _ type: String, at location: SourceLocation) -> ScriptError {
    ScriptError(file: file, location: location, message: message, kind: .runtime, exceptionType: type)
  }

  /// `items`, refused when a container holding them would nest deeper than `maximumValueNesting`.
  func nestable(_ items: [Value], _ type: String, _ location: SourceLocation) throws(ScriptError) -> [Value] {
    guard Value.nestingDepth(of: items, limit: Self.maximumValueNesting) != nil else {
      throw ScriptError(
        file: file, location: location,
        message: "\(type) nested too deeply (limit \(Self.maximumValueNesting) levels of tuples and lists)", kind: .runtime,
        exceptionType: "RecursionError")
    }
    return items
  }

  /// Runs `body`, turning library and engine errors into a runtime `ScriptError` at `location`.
  func located<T>(_ location: SourceLocation, _ body: () throws -> T) throws(ScriptError) -> T {
    do {
      return try body()
    } catch let error as ScriptError {
      throw error
    } catch is ScriptInterrupted {
      throw ScriptError(file: file, location: location, message: "interrupted", kind: .interrupted)
    } catch let failure as RuntimeFailure {
      throw ScriptError(file: file, location: location, message: failure.message, kind: .runtime, exceptionType: failure.type)
    } catch let error as EngineError {
      throw ScriptError(file: file, location: location, message: error.description, kind: .runtime, exceptionType: error.pythonType)
    } catch {
      throw ScriptError(file: file, location: location, message: "\(error)", kind: .runtime)
    }
  }
}

/// A subscript: a value (int, tensor, ...), a slice, or a tuple of them (`x[1:, 0]`).
indirect enum Index {
  case value(Value)
  case slice(Int?, Int?, Int?)
  case tuple([Index])
}
