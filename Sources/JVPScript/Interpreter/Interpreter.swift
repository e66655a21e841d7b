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
  var generator = TorchGenerator()
  /// The seed of the last `manual_seed`, nil before any.
  var seed: UInt64?
  let globals = Scope(parent: nil)
  /// The dtype creation functions use when none is given (`--dtype` sets it, as `torch.set_default_dtype`).
  public var defaultDType = DType.float32
  /// Non-zero while a function is being traced for differentiation.
  var tracingDepth = 0
  /// The script globals the function being traced has read, in order of first read (`replay` needs them).
  var globalReads: [(name: String, value: Value)] = []
  /// While a function's default values are evaluated: the script globals they read (`UserFunction.defaultReads`).
  var defaultReads: [(name: String, value: Value)]?
  /// Whether the script was told once that create_graph=True results print without grad_fn.
  var notedCreateGraph = false
  /// Where the library call being executed was written (runs record its line).
  var currentCallLocation = SourceLocation(line: 1, column: 1)
  private var callDepth = 0
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

  /// Runs every statement of `module` in order.
  public func run(_ module: Module) throws(ScriptError) {
    stackGuard = .currentThread()
    for statement in module.statements {
      if options.isCancelled() {
        throw ScriptError(file: file, location: statement.location, message: "interrupted", kind: .interrupted)
      }
      try execute(statement, in: globals, display: true)
    }
  }

  // MARK: Statements

  func execute(_ statement: Statement, in scope: Scope, display: Bool) throws(ScriptError) {
    switch statement.kind {
    case .importModules(let imports):
      for item in imports {
        try located(item.location) { try Library.checkModule(item.path.dotted) }
        scope.bind(item.alias ?? item.path.components[0],
                   .module(item.alias == nil ? item.path.components[0] : item.path.dotted))
      }
    case .importNames(let module, let names):
      try located(module.location) { try Library.checkModule(module.dotted) }
      for name in names {
        let value = try located(name.location) { try Library.attribute(of: module.dotted, name.name) }
        scope.bind(name.alias ?? name.name, value)
      }
    case .assignment(let targets, let valueExpression):
      let value = try evaluate(valueExpression, in: scope)
      for target in targets { try assign(value, to: target, in: scope) }
    case .expression(let expression, let silenced):
      let value = try evaluate(expression, in: scope)
      if display && !silenced, let text = Display.displayText(value) { output(text + "\n") }
    case .functionDefinition(let definition):
      let (defaults, reads) = try defaultValues(definition.parameters, in: scope)
      scope.bind(definition.name, .function(UserFunction(
        name: definition.name, parameters: definition.parameters, defaults: defaults,
        body: .statements(definition.body), scope: scope, source: definition.source, defaultReads: reads)))
    case .return:
      throw ScriptError(file: file, location: statement.location, message: "'return' outside function", kind: .runtime)
    case .pass:
      break
    }
  }

  /// A function's default values, evaluated where it is defined, and the script globals they read.
  func defaultValues(_ parameters: [Parameter], in scope: Scope) throws(ScriptError) -> ([Value?], [(name: String, value: Value)]) {
    let outer = defaultReads
    defaultReads = []
    defer { defaultReads = outer }
    let defaults = try parameters.map { parameter throws(ScriptError) in
      try parameter.defaultValue.map { expression throws(ScriptError) in try evaluate(expression, in: scope) }
    }
    return (defaults, defaultReads ?? [])
  }

  func assign(_ value: Value, to target: AssignmentTarget, in scope: Scope) throws(ScriptError) {
    switch target {
    case .name(let name, _):
      scope.bind(name, value)
    case .tuple(let targets, let location):
      let items = try located(location) { try Operators.unpack(value) }
      guard items.count == targets.count else {
        let message = items.count > targets.count
          ? "too many values to unpack (expected \(targets.count))"
          : "not enough values to unpack (expected \(targets.count), got \(items.count))"
        throw ScriptError(file: file, location: location, message: message, kind: .runtime)
      }
      for (item, target) in zip(items, targets) { try assign(item, to: target, in: scope) }
    }
  }

  // MARK: Expressions

  func evaluate(_ expression: Expr, in scope: Scope) throws(ScriptError) -> Value {
    let at = expression.location
    guard stackGuard.hasRoom() else { throw recursionError(at) }
    switch expression.kind {
    case .name(let name):
      if let (value, owner) = scope.resolve(name) {
        if tracingDepth > 0 && owner === globals && !globalReads.contains(where: { $0.name == name }) {
          globalReads.append((name, value))
        }
        if owner === globals, let reads = defaultReads, !reads.contains(where: { $0.name == name }) {
          defaultReads = reads + [(name, value)]
        }
        return value
      }
      guard let builtin = Library.builtins[name] else {
        throw ScriptError(file: file, location: at, message: "name '\(name)' is not defined", kind: .runtime)
      }
      return .builtin(builtin)
    case .integer(let i): return .int(i)
    case .float(let d): return .float(d)
    case .string(let s): return .string(s)
    case .boolean(let b): return .bool(b)
    case .none: return .none
    case .ellipsis:
      throw ScriptError(file: file, location: at, message: "'...' is not supported", kind: .runtime)
    case .tuple(let items): return .tuple(try nestable(evaluateAll(items, in: scope), "tuple", at))
    case .list(let items): return .list(try nestable(evaluateAll(items, in: scope), "list", at))
    case .unary(let op, let operand):
      let value = try evaluate(operand, in: scope)
      return try located(at) { try Operators.unary(op, value) }
    case .binary(let first, let links):
      var value = try evaluate(first, in: scope)
      for link in links {
        let right = try evaluate(link.operand, in: scope)
        let left = value
        value = try located(link.location) { try Operators.binary(link.op, left, right) }
      }
      return value
    case .logical(let op, let operands):
      var value = Value.none
      for operand in operands {
        value = try evaluate(operand, in: scope)
        let truth = try located(operand.location) { try Operators.truth(value) }
        if op == .and ? !truth : truth { return value }
      }
      return value
    case .comparison(let first, let links):
      var left = try evaluate(first, in: scope)
      for link in links {
        let right = try evaluate(link.operand, in: scope)
        let lhs = left
        let holds = try located(link.location) { try Operators.compare(link.op, lhs, right) }
        if !holds { return .bool(false) }
        left = right
      }
      return .bool(true)
    case .conditional(let condition, let whenTrue, let whenFalse):
      let test = try evaluate(condition, in: scope)
      let truth = try located(condition.location) { try Operators.truth(test) }
      return try evaluate(truth ? whenTrue : whenFalse, in: scope)
    case .lambda(let lambda):
      let (defaults, reads) = try defaultValues(lambda.parameters, in: scope)
      return .function(UserFunction(
        name: "<lambda>", parameters: lambda.parameters, defaults: defaults, body: .expression(lambda.body),
        scope: scope, source: lambda.source, defaultReads: reads))
    case .call(let callee, let argumentExpressions):
      let function = try evaluate(callee, in: scope)
      var arguments = Arguments()
      for argument in argumentExpressions {
        let value = try evaluate(argument.value, in: scope)
        switch argument.kind {
        case .positional: arguments.positional.append(value)
        case .keyword(let name): arguments.keywords.append((name, value))
        case .unpackedSequence:
          arguments.positional += try located(argument.location) { try Operators.unpack(value) }
        case .unpackedMapping:
          throw ScriptError(file: file, location: argument.location, message: "'**' arguments are not supported", kind: .runtime)
        }
      }
      return try call(function, arguments, at: at)
    case .attribute(let base, let name, let nameLocation):
      let value = try evaluate(base, in: scope)
      return try located(nameLocation) { try Library.attribute(of: value, name) }
    case .subscript(let base, let indexExpression):
      let value = try evaluate(base, in: scope)
      let index = try evaluateIndex(indexExpression, in: scope)
      return try located(indexExpression.location) { try Indexing.subscriptValue(value, index) }
    case .slice:
      throw ScriptError(file: file, location: at, message: "a slice is only valid inside []", kind: .runtime)
    }
  }

  func evaluateAll(_ expressions: [Expr], in scope: Scope) throws(ScriptError) -> [Value] {
    var values: [Value] = []
    values.reserveCapacity(expressions.count)
    for expression in expressions { values.append(try evaluate(expression, in: scope)) }
    return values
  }

  /// A subscript index, where slices are allowed (alone or inside a tuple).
  func evaluateIndex(_ expression: Expr, in scope: Scope) throws(ScriptError) -> Index {
    switch expression.kind {
    case .slice(let lower, let upper, let step):
      func bound(_ e: Expr?) throws(ScriptError) -> Int? {
        guard let e else { return nil }
        let value = try evaluate(e, in: scope)
        if case .none = value { return nil }
        return try located(e.location) { try value.intValue("slice indices") }
      }
      return .slice(try bound(lower), try bound(upper), try bound(step))
    case .tuple(let items) where items.contains(where: { if case .slice = $0.kind { true } else { false } }):
      var parts: [Index] = []
      for item in items { parts.append(try evaluateIndex(item, in: scope)) }
      return .tuple(parts)
    default:
      return .value(try evaluate(expression, in: scope))
    }
  }

  // MARK: Calls

  /// Calls a function value; errors inside library code are located at `location`.
  func call(_ function: Value, _ arguments: Arguments, at location: SourceLocation) throws(ScriptError) -> Value {
    switch function {
    case .function(let user):
      return try callUser(user, arguments, at: location)
    case .builtin(let builtin):
      currentCallLocation = location
      return try located(location) { try builtin.call(self, arguments) }
    case .boundMethod(let receiver, let name):
      currentCallLocation = location
      return try located(location) { try TensorMethods.call(name, on: receiver, arguments) }
    default:
      throw ScriptError(file: file, location: location, message: "'\(function.typeName)' object is not callable", kind: .runtime)
    }
  }

  func callUser(_ function: UserFunction, _ arguments: Arguments, at location: SourceLocation) throws(ScriptError) -> Value {
    let scope = Scope(parent: function.scope)
    let bound = try located(location) { () throws -> [Value] in
      let names = function.parameters.map(\.name)
      let given = try arguments.bind(function.name, names, required: 0)
      return try names.enumerated().map { i, name in
        guard let value = given.values[name] ?? function.defaults[i] else {
          throw RuntimeFailure("\(function.name)() missing 1 required positional argument: '\(name)'")
        }
        return value
      }
    }
    for (parameter, value) in zip(function.parameters, bound) { scope.bind(parameter.name, value) }
    guard stackGuard.hasRoom() else { throw recursionError(location) }
    guard callDepth < Self.maximumCallDepth else {
      throw ScriptError(file: file, location: location, message: "maximum recursion depth exceeded (limit \(Self.maximumCallDepth))", kind: .runtime)
    }
    callDepth += 1
    defer { callDepth -= 1 }
    switch function.body {
    case .expression(let expression):
      return try evaluate(expression, in: scope)
    case .statements(let statements):
      for statement in statements {
        if case .return(let result) = statement.kind {
          return try result.map { expression throws(ScriptError) in try evaluate(expression, in: scope) } ?? .none
        }
        try execute(statement, in: scope, display: false)
      }
      return .none
    }
  }

  // MARK: Errors

  func recursionError(_ location: SourceLocation) -> ScriptError {
    ScriptError(
      file: file, location: location,
      message: "maximum recursion depth exceeded (calls and nested expressions go deeper than the stack allows)",
      kind: .runtime)
  }

  /// `items`, refused when a container holding them would nest deeper than `maximumValueNesting`.
  func nestable(_ items: [Value], _ type: String, _ location: SourceLocation) throws(ScriptError) -> [Value] {
    guard Value.nestingDepth(of: items, limit: Self.maximumValueNesting) != nil else {
      throw ScriptError(
        file: file, location: location,
        message: "\(type) nested too deeply (limit \(Self.maximumValueNesting) levels of tuples and lists)", kind: .runtime)
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
      throw ScriptError(file: file, location: location, message: failure.message, kind: .runtime)
    } catch let error as EngineError {
      throw ScriptError(file: file, location: location, message: error.description, kind: .runtime)
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
