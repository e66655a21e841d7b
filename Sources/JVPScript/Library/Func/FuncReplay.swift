import JVPCore

/// A recorded torch.func run to re-run: its transform as written, the functions and globals it read, and
/// its tensor arguments.
public struct RecordedTransform {
  /// The composition as the user wrote it (`vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))`).
  public var transform: String
  /// The positional tensor arguments (for `jvp`, the primals).
  public var arguments: [Tensor]
  /// For `jvp`: the tangents.
  public var tangents: [Tensor] = []
  public var seed: UInt64?
  public var globals: [(name: String, value: RecordedGlobal)] = []
  /// Sources of the script functions it used (the transformed function among them), by name.
  public var functions: [String: String] = [:]
  /// For a replay of a `vjp_fn` or `jvp_fn` call: the arguments to call the function this transform makes with.
  public var linearCall: [Argument]?

  /// A stored positional argument: a tensor or a tuple of tensors.
  public enum Argument {
    case tensor(Tensor)
    case tuple([Tensor])

    var value: Value {
      switch self {
      case .tensor(let tensor): .tensor(tensor)
      case .tuple(let tensors): .tuple(tensors.map { .tensor($0) })
      }
    }
  }

  public init(transform: String, arguments: [Tensor], seed: UInt64?) {
    self.transform = transform
    self.arguments = arguments
    self.seed = seed
  }

  /// The outermost transform's name (`vmap` for `vmap(grad(f))`).
  public var head: String { String(transform.prefix { $0 != "(" }) }

  /// Why a run with this transform cannot be re-run from what the store keeps, or nil when it can: the
  /// transformed function must be a named function or a lambda (spelled by its source), not a partial whose
  /// arguments are not stored, nor the `vjp_fn`/`jvp_fn` of another run.
  public static func unreplayable(_ transform: String) -> String? {
    if transform.contains("vjp_fn") || transform.contains("jvp_fn") {
      return "transforms the vjp_fn or jvp_fn of another run, which replay cannot rebuild"
    }
    if transform.contains("partial(") { return "transforms a functools.partial, whose bound arguments are not stored" }
    return nil
  }
}

extension Interpreter {
  /// Re-runs a recorded torch.func application: rebuilds the transform from its spelling over the recorded
  /// functions and globals, and calls it on the stored arguments, which records the new run.
  public func replay(_ recorded: RecordedTransform) throws(ScriptError) {
    // The transforms by their bare names, as `from torch.func import ...` bound them; recorded globals win.
    for (name, function) in FuncModule.functions { globals.bind(name, .builtin(function)) }
    try prepareReplay(seed: recorded.seed, globals: recorded.globals, functions: recorded.functions)
    let start = SourceLocation(line: 1, column: 1)
    currentCallLocation = start
    let tensors = { (values: [Tensor]) in values.map { Value.tensor($0) } }
    guard let applied = FuncModule.functions[recorded.head], ["vjp", "jvp", "linearize"].contains(recorded.head) else {
      let transformed = try evaluate(try Parser.parseExpression(recorded.transform, file: "transform"), in: globals)
      _ = try call(transformed, Arguments(tensors(recorded.arguments)), at: start)
      return
    }
    // `vjp(f)`, `jvp(f)`, `linearize(f)`: the transform applied at once to `f` and the arguments.
    let inner = String(recorded.transform.dropFirst(recorded.head.count + 1).dropLast())
    let function = try evaluate(try Parser.parseExpression(inner, file: "transform"), in: globals)
    let arguments = recorded.head == "jvp"
      ? [function, .tuple(tensors(recorded.arguments)), .tuple(tensors(recorded.tangents))]
      : [function] + tensors(recorded.arguments)
    let made = try call(.builtin(applied), Arguments(arguments), at: start)
    // `(output, vjp_fn)` or `(output, jvp_fn)`: the call the replayed run made.
    if let linearCall = recorded.linearCall, case .tuple(let items) = made, items.count >= 2 {
      _ = try call(items[1], Arguments(linearCall.map(\.value)), at: start)
    }
  }
}
