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
  /// Where the generator stood when the call began, for a function that drew (nil: it did not): its draws
  /// since the seed and the normal sample it kept.
  public var generatorOffset: Int?
  public var generatorCachedNormal: Double?
  public var globals: [(name: String, value: RecordedGlobal)] = []
  /// Sources of the script functions it used (the transformed function among them), by name.
  public var functions: [String: String] = [:]
  /// For a replay of a `vjp_fn` or `jvp_fn` call: the arguments to call the function this transform makes with.
  public var linearCall: [Argument]?
  /// For a replay of a transform of that function (`vmap(vjp_fn)`): its spelling, called on `linearCall`.
  public var linearTransform: String?

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
  /// transformed function must be a named function, a lambda (spelled by its source) or a partial of one
  /// (its bound arguments stored as globals), not the `vjp_fn`/`jvp_fn` of another run unless the run is
  /// linked to the run that made it (`made_by`), which replay re-runs first.
  public static func unreplayable(_ transform: String) -> String? {
    if transform.contains("vjp_fn") || transform.contains("jvp_fn") {
      return "transforms the vjp_fn or jvp_fn of another run, which replay cannot rebuild"
    }
    return nil
  }

  /// The name replay's spelling calls for a recorded partial: `partial(f, ...)` becomes `NAME(f)`.
  static let recordedPartial = "__jvplab_recorded_partial"

  /// The spelling with each `partial(f, ...)` the recorder wrote (a partial whose bound arguments it stored)
  /// rewritten as a call of `recordedPartial`, innermost ones too; other text, a lambda's source among it, stays.
  static func rebuildingPartials(_ transform: String) -> String {
    var text = Array(transform)
    let opener = Array("partial(")
    let starts = text.indices.filter { i in
      i + opener.count <= text.count && Array(text[i..<(i + opener.count)]) == opener
        && (i == 0 || !(text[i - 1].isLetter || text[i - 1].isNumber || text[i - 1] == "_" || text[i - 1] == "."))
    }
    // Rightmost first, so the earlier positions stay where they are.
    for start in starts.reversed() {
      var depth = 0
      var close: Int?
      for i in (start + opener.count - 1)..<text.count {
        if text[i] == "(" { depth += 1 }
        if text[i] == ")" { depth -= 1 }
        if depth == 0 {
          close = i
          break
        }
      }
      let marker = Array(", ...")
      guard let close, close >= marker.count, Array(text[(close - marker.count)..<close]) == marker else { continue }
      text.removeSubrange((close - marker.count)..<close)
      text.replaceSubrange(start..<(start + opener.count), with: Array(recordedPartial + "("))
    }
    return String(text)
  }
}

extension Interpreter {
  /// Re-runs a recorded torch.func application: rebuilds the transform from its spelling over the recorded
  /// functions and globals, and calls it on the stored arguments, which records the new run.
  public func replay(_ recorded: RecordedTransform) throws(ScriptError) {
    try prepareReplay(seed: recorded.seed, globals: recorded.globals, functions: recorded.functions)
    globals.bind(RecordedTransform.recordedPartial, .builtin(recordedPartials(recorded.globals)))
    if let offset = recorded.generatorOffset {
      generator.skip(offset)
      generator.cachedNormal = recorded.generatorCachedNormal
    }
    let start = SourceLocation(line: 1, column: 1)
    currentCallLocation = start
    let tensors = { (values: [Tensor]) in values.map { Value.tensor($0) } }
    guard let applied = FuncModule.functions[recorded.head], ["vjp", "jvp", "linearize"].contains(recorded.head) else {
      let spelling = RecordedTransform.rebuildingPartials(recorded.transform)
      let transformed = try evaluate(try Parser.parseExpression(spelling, file: "transform"), in: globals)
      _ = try call(transformed, Arguments(tensors(recorded.arguments)), at: start)
      return
    }
    // `vjp(f)`, `jvp(f)`, `linearize(f)`: the transform applied at once to `f` and the arguments.
    let inner = RecordedTransform.rebuildingPartials(String(recorded.transform.dropFirst(recorded.head.count + 1).dropLast()))
    let function = try evaluate(try Parser.parseExpression(inner, file: "transform"), in: globals)
    let arguments = recorded.head == "jvp"
      ? [function, .tuple(tensors(recorded.arguments)), .tuple(tensors(recorded.tangents))]
      : [function] + tensors(recorded.arguments)
    let made = try call(.builtin(applied), Arguments(arguments), at: start)
    // `(output, vjp_fn)` or `(output, jvp_fn)`: the call the replayed run made, on the function or on the
    // transform of it the run spelled (`vmap(vjp_fn)`, the made function bound by its name).
    if let linearCall = recorded.linearCall, case .tuple(let items) = made, items.count >= 2 {
      var callee = items[1]
      if let spelling = recorded.linearTransform, case .object(let linear as LinearFunction) = callee {
        globals.bind(linear.name, callee)
        callee = try evaluate(try Parser.parseExpression(spelling, file: "transform"), in: globals)
      }
      _ = try call(callee, Arguments(linearCall.map(\.value)), at: start)
    }
  }

  /// The function replay's spelling calls for the k-th `partial(f, ...)` (innermost first): a partial of `f`
  /// with the bound arguments recorded as `partial[k].args` and `partial[k].keywords`.
  private func recordedPartials(_ recorded: [(name: String, value: RecordedGlobal)]) -> Builtin {
    let partials = RecordedPartials(recorded)
    return Builtin(name: "partial") { _, args in try partials.next(args.positional.first ?? .none) }
  }
}

/// The partials of a replayed transform, rebuilt in the order its spelling makes them.
private final class RecordedPartials: @unchecked Sendable {
  private let recorded: [(name: String, value: RecordedGlobal)]
  private var made = 0

  init(_ recorded: [(name: String, value: RecordedGlobal)]) { self.recorded = recorded }

  func next(_ function: Value) throws -> Value {
    let k = made
    made += 1
    guard case .tuple(let bound)? = recorded.first(where: { $0.name == "partial[\(k)].args" })?.value.value else {
      throw RuntimeFailure(
        "the bound arguments of the run's functools.partial were not stored (only tensors, numbers, strings, None, dtypes, sizes and tuples or lists of them are)")
    }
    var keywords: [(name: String, value: Value)] = []
    if case .tuple(let pairs)? = recorded.first(where: { $0.name == "partial[\(k)].keywords" })?.value.value {
      for case .tuple(let pair) in pairs where pair.count == 2 {
        if case .string(let name) = pair[0] { keywords.append((name, pair[1])) }
      }
    }
    return .object(PartialObject(function, Arguments(bound, keywords: keywords)))
  }
}
