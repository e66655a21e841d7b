import JVPCore

/// A recorded torch.func run to re-run: its transform as written, the functions and globals it read, and
/// its tensor arguments.
public struct RecordedTransform {
  /// The composition as the user wrote it (`vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))`).
  public var transform: String
  public var arguments: [Tensor]
  public var seed: UInt64?
  public var globals: [(name: String, value: RecordedGlobal)] = []
  /// Sources of the script functions it used (the transformed function among them), by name.
  public var functions: [String: String] = [:]

  public init(transform: String, arguments: [Tensor], seed: UInt64?) {
    self.transform = transform
    self.arguments = arguments
    self.seed = seed
  }

  /// Why a run with this transform cannot be re-run from what the store keeps, or nil when it can: the
  /// transformed function must be a named function, not a lambda or a partial whose arguments are not stored,
  /// and the transform one that returns a function (not `vjp`, `jvp`, `linearize` or their `vjp_fn`/`jvp_fn`).
  public static func unreplayable(_ transform: String) -> String? {
    if transform.contains("<lambda>") { return "transforms a lambda, whose source is not stored by name" }
    if transform.contains("vjp_fn") || transform.contains("jvp_fn") {
      return "transforms the vjp_fn or jvp_fn of another run, which replay cannot rebuild"
    }
    if transform.contains("partial(") { return "transforms a functools.partial, whose bound arguments are not stored" }
    let head = transform.prefix { $0 != "(" }
    if !["grad", "grad_and_value", "jacrev", "jacfwd", "hessian", "vmap"].contains(head) {
      return "is a \(head) call; replay re-runs transformed functions (grad, grad_and_value, jacrev, jacfwd, hessian, vmap)"
    }
    return nil
  }
}

extension Interpreter {
  /// Re-runs a recorded torch.func application: rebuilds the transform from its spelling over the recorded
  /// functions and globals, and calls it on the stored arguments, which records the new run.
  public func replay(_ recorded: RecordedTransform) throws(ScriptError) {
    stackGuard = .currentThread()
    bindTorchNames()
    for (name, function) in FuncModule.functions { globals.bind(name, .builtin(function)) }
    if let seed = recorded.seed {
      generator.manualSeed(seed)
      self.seed = seed
    }
    for global in recorded.globals { globals.bind(global.name, global.value.value) }
    for (name, source) in recorded.functions.sorted(by: { $0.key < $1.key }) {
      globals.bind(name, try scriptFunction(source, label: "function \(name)"))
    }
    let transformed = try evaluate(try Parser.parseExpression(recorded.transform, file: "transform"), in: globals)
    let start = SourceLocation(line: 1, column: 1)
    currentCallLocation = start
    _ = try call(transformed, Arguments(recorded.arguments.map { .tensor($0) }), at: start)
  }
}
