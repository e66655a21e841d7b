import JVPCore

/// The command line's one-experiment form: `jvplab run --fn SRC --input NAME=EXPR ... --kind KIND`.
public struct FunctionSpec {
  /// `def f(x, y): return ...`, `lambda x: ...`, or a bare expression over the input names.
  public var source: String
  public var inputs: [(name: String, expression: String)]
  public var tangents: [(name: String, expression: String)] = []
  public var cotangent: String?
  public var kind: AutodiffKind
  public var strategy: JacobianStrategy = .reverseMode
  public var vectorize = false
  public var seed: Int = 0
  /// 32-bit draws skipped after seeding, so the inputs continue a script's stream where one of its runs began.
  public var rngOffset: Int = 0
  /// The largest `rngOffset` accepted: 2^32 draws, a few seconds of skipping.
  public static let maxRNGOffset = 1 << 32

  public init(source: String, inputs: [(name: String, expression: String)], kind: AutodiffKind) {
    self.source = source
    self.inputs = inputs
    self.kind = kind
  }
}

/// A Python constant bound as a script global before a script or function runs: a sweep's grid value.
public enum ScriptConstant: Sendable, Equatable {
  case int(Int)
  case float(Double)
  case bool(Bool)
  case string(String)

  /// The value as a command line spells it: `512` is an int, `0.5` a float, `True`/`False` a bool,
  /// anything else a string.
  public init(parsing text: String) {
    if let value = Int(text) {
      self = .int(value)
    } else if let value = Double(text), text.contains(where: \.isNumber) {
      self = .float(value)
    } else if text == "True" || text == "False" {
      self = .bool(text == "True")
    } else {
      self = .string(text)
    }
  }
}

extension Interpreter {
  /// Binds `name` as a script global, as if the script began with `name = value`.
  public func bindGlobal(_ name: String, _ value: ScriptConstant) {
    let bound: Value = switch value {
    case .int(let number): .int(number)
    case .float(let number): .float(number)
    case .bool(let flag): .bool(flag)
    case .string(let text): .string(text)
    }
    globals.bind(name, bound)
  }

  /// Parses `bytes` (strict UTF-8) as a script and runs it.
  public func run(bytes: [UInt8]) throws(ScriptError) {
    sourceLines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    try run(try Parser.parse(bytes: bytes, file: file))
  }

  /// Runs the one-experiment form and returns the call's value (as the script form would display it);
  /// nil without `display` (a sweep, which prints no values). A sweep calls it once per point on one
  /// interpreter: the inputs are evaluated afresh, their parsed expressions reused.
  public func runFunction(_ spec: FunctionSpec, display: Bool = true) throws(ScriptError) -> String? {
    stackGuard = .currentThread()
    if !torchNamesBound {
      bindTorchNames()
      torchNamesBound = true
    }
    let start = SourceLocation(line: 1, column: 1)
    let seedValue = UInt64(bitPattern: Int64(spec.seed))
    generator.manualSeed(seedValue)
    generator.skip(spec.rngOffset)
    seed = seedValue

    var inputValues: [Value] = []
    for (name, text) in spec.inputs {
      let value = try evaluateOption(text, label: "--input \(name)")
      globals.bind(name, value)
      inputValues.append(value)
    }
    let names = spec.inputs.map(\.name)
    let function = try functionValue(spec.source, inputNames: names)
    let parameters: [String]
    let functionName: String
    switch function {
    case .function(let user): (parameters, functionName) = (user.parameters.map(\.name), user.name)
    case .builtin(let builtin): (parameters, functionName) = (names, builtin.name)
    default:
      throw ScriptError(file: "--fn", location: start, message: "--fn must be a def, a lambda or an expression", kind: .syntax)
    }
    let order: [Int]
    if Set(parameters) == Set(names) && parameters.count == names.count {
      order = parameters.map { names.firstIndex(of: $0)! }
    } else if parameters.count == names.count {
      order = Array(names.indices)
    } else {
      throw ScriptError(
        file: "--fn", location: start,
        message: "\(functionName) takes \(parameters.count) input\(parameters.count == 1 ? "" : "s") (\(parameters.joined(separator: ", "))) but \(names.count) --input \(names.count == 1 ? "was" : "were") given (\(names.joined(separator: ", ")))",
        kind: .syntax)  // a usage error: the options do not fit together
    }
    let orderedNames = order.map { names[$0] }
    let orderedInputs = order.map { inputValues[$0] }

    var vectors: Value?
    if spec.kind == .vjp, let cotangent = spec.cotangent {
      vectors = try evaluateOption(cotangent, label: "--cotangent")
    } else if spec.kind.takesVector && !spec.tangents.isEmpty {
      var tangents: [Value] = []
      for (k, name) in orderedNames.enumerated() {
        if let text = spec.tangents.first(where: { $0.name == name })?.expression {
          tangents.append(try evaluateOption(text, label: "--tangent \(name)"))
        } else if case .tensor(let input, _) = orderedInputs[k] {
          tangents.append(.tensor(Tensor(repeating: 1, shape: input.shape, dtype: input.dtype)))
        }
      }
      if let unknown = spec.tangents.first(where: { !names.contains($0.name) }) {
        throw ScriptError(file: "--tangent \(unknown.name)", location: start,
                          message: "no --input named '\(unknown.name)'", kind: .syntax)  // a usage error, as above
      }
      vectors = orderedInputs.count == 1 ? tangents.first : .tuple(tangents)
    }
    let call = AutodiffCalls.Call(
      function: function, inputs: orderedInputs.count == 1 ? orderedInputs[0] : .tuple(orderedInputs), vectors: vectors,
      strict: false, vectorize: spec.vectorize, strategy: spec.strategy, inputNames: orderedNames, onesWhenMissing: true)
    currentCallLocation = start
    let result = try located(start) { try autodiffCall(spec.kind, call) }
    return display ? Display.displayText(result) : nil
  }

  /// Evaluates one command-line expression; errors, syntax and runtime alike, name the option.
  /// A list or a Python float becomes a tensor, as `torch.tensor` makes it (`--input x='[1., 2.]'`).
  ///
  /// A value that fails to evaluate is an input error (exit 2), like one that fails to parse: no run
  /// has started and the fix is in the command line.
  func evaluateOption(_ text: String, label: String) throws(ScriptError) -> Value {
    let expression = try parsedOption(text, label: label)
    let saved = file
    file = label
    defer { file = saved }
    do {
      let value = try evaluate(expression, in: globals)
      return try located(expression.location) { try optionTensor(value) }
    } catch where error.kind == .runtime {
      var inputError = error
      inputError.kind = .syntax
      throw inputError
    }
  }

  /// `text` parsed as an expression of the option `label`, once per interpreter.
  func parsedOption(_ text: String, label: String) throws(ScriptError) -> Expr {
    let key = label + "\u{0}" + text
    if let parsed = parsedOptions[key] { return parsed }
    let parsed = try Parser.parseExpression(text, file: label)
    parsedOptions[key] = parsed
    return parsed
  }

  /// A command-line value as a tensor where it spells one: lists and floats, also inside a tuple.
  func optionTensor(_ value: Value) throws -> Value {
    switch value {
    case .list, .float: .tensor(try TensorLiteral.make(value, dtype: nil, floatDType: defaultDType))
    case .tuple(let items): .tuple(try items.map(optionTensor))
    default: value
    }
  }

  /// The function a `--fn` source defines: a def, a lambda, or a bare expression over `inputNames`.
  func functionValue(_ source: String, inputNames: [String]) throws(ScriptError) -> Value {
    if let function = try definedFunction(source, file: "--fn") { return function }
    let expression = try parsedOption(source, label: "--fn")
    switch expression.kind {
    case .lambda, .attribute: return try evaluate(expression, in: globals)
    case .name(let name) where !inputNames.contains(name.text): return try evaluate(expression, in: globals)
    default: break
    }
    let parameters = inputNames.map { Parameter(name: $0, annotation: nil, defaultValue: nil, location: expression.location) }
    return .function(UserFunction(
      name: "<fn>", parameters: parameters, defaults: parameters.map { _ in nil }, body: .expression(expression),
      scope: globals, source: source))
  }
}

/// A script global a function read, as a run records it (`AutodiffCalls.recordedGlobals`).
public indirect enum RecordedGlobal: Equatable {
  case tensor(Tensor)
  /// A Python number, as a 0-d tensor: int64 for an int (and for a bool in runs recorded before
  /// `global_bool`), float64 for a float.
  case number(Tensor)
  case bool(Bool)
  case string(String)
  case none
  case size([Int])
  case dtype(DType)
  case tuple([RecordedGlobal])
  case list([RecordedGlobal])

  /// Python's repr of the value (`'relu'`, `None`, `torch.Size([3, 1])`), as `show` prints it.
  public var pythonRepr: String { Display.repr(value) }
  /// Python's name for its type (`str`, `NoneType`, `torch.Size`).
  public var typeName: String { value.typeName }

  var value: Value {
    switch self {
    case .tensor(let tensor): .tensor(tensor)
    case .number(let tensor): Interpreter.number(tensor)
    case .bool(let flag): .bool(flag)
    case .string(let text): .string(text)
    case .none: .none
    case .size(let dims): .size(dims)
    case .dtype(let dtype): .dtype(dtype)
    case .tuple(let items): .tuple(items.map(\.value))
    case .list(let items): .makeList(items.map(\.value))
    }
  }
}

/// A recorded call to run again (`jvplab replay`): the stored function source and tensors.
public struct RecordedExperiment {
  public var kind: AutodiffKind
  public var source: String
  public var inputs: [Tensor]
  public var inputNames: [String]?
  public var vectors: [Tensor]
  public var strategy: JacobianStrategy
  public var vectorize: Bool
  public var seed: UInt64?
  /// The script globals the function read, as recorded.
  public var globals: [(name: String, value: RecordedGlobal)] = []
  /// Sources of the script functions it called, by the global name it called them.
  public var functions: [String: String] = [:]

  public init(kind: AutodiffKind, source: String, inputs: [Tensor], inputNames: [String]?, vectors: [Tensor],
              strategy: JacobianStrategy, vectorize: Bool, seed: UInt64?) {
    self.kind = kind
    self.source = source
    self.inputs = inputs
    self.inputNames = inputNames
    self.vectors = vectors
    self.strategy = strategy
    self.vectorize = vectorize
    self.seed = seed
  }
}

extension Interpreter {
  /// Runs a recorded call again on its stored inputs, recording it as a new run.
  public func replay(_ experiment: RecordedExperiment) throws(ScriptError) {
    try prepareReplay(seed: experiment.seed, globals: experiment.globals, functions: experiment.functions)
    let names = experiment.inputNames ?? experiment.inputs.indices.map { "x\($0)" }
    let function = try functionValue(experiment.source, inputNames: names)
    let pack = { (tensors: [Tensor]) -> Value in
      tensors.count == 1 ? .tensor(tensors[0]) : .tuple(tensors.map { .tensor($0) })
    }
    let call = AutodiffCalls.Call(
      function: function, inputs: pack(experiment.inputs),
      vectors: experiment.kind.takesVector ? pack(experiment.vectors) : nil, strict: false,
      vectorize: experiment.vectorize, strategy: experiment.strategy, inputNames: experiment.inputNames)
    let start = SourceLocation(line: 1, column: 1)
    currentCallLocation = start
    _ = try located(start) { try autodiffCall(experiment.kind, call) }
  }

  /// What every replay starts from: torch's names, the recorded seed, globals and script functions bound again.
  func prepareReplay(
    seed: UInt64?, globals recorded: [(name: String, value: RecordedGlobal)], functions: [String: String]
  ) throws(ScriptError) {
    stackGuard = .currentThread()
    bindTorchNames()
    // The transforms by their bare names, as `from torch.func import ...` bound them (a tape run's statements
    // may apply one too); recorded globals win.
    for (name, function) in FuncModule.functions { globals.bind(name, .builtin(function)) }
    if let seed {
      generator.manualSeed(seed)
      self.seed = seed
    }
    for global in recorded { globals.bind(global.name, global.value.value) }
    for (name, source) in functions.sorted(by: { $0.key < $1.key }) {
      globals.bind(name, try scriptFunction(source, label: "function \(name)"))
    }
  }

  /// The function a recorded `def` or `lambda` source defines, in the script's global scope.
  func scriptFunction(_ source: String, label: String) throws(ScriptError) -> Value {
    if let function = try definedFunction(source, file: label) { return function }
    return try evaluate(try Parser.parseExpression(source, file: label), in: globals)
  }

  /// For a source that starts with `def`: runs it in a scope under the globals and returns the first
  /// function it defines. nil for any other source.
  func definedFunction(_ source: String, file: String) throws(ScriptError) -> Value? {
    guard source.drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" }).hasPrefix("def ") else { return nil }
    let module = try Parser.parse(source: source, file: file)
    let scope = Scope(parent: globals)
    for statement in module.statements { _ = try execute(statement, in: scope, display: false) }
    for statement in module.statements {
      if case .functionDefinition(let definition) = statement.kind, let value = scope.lookup(definition.name) { return value }
    }
    throw ScriptError(file: file, location: SourceLocation(line: 1, column: 1), message: "\(file) defines no function", kind: .syntax)
  }

  /// A Python number stored as a 0-d tensor: int64 is an int, bool a bool, anything else a float.
  static func number(_ tensor: Tensor) -> Value {
    switch tensor.storage {
    case .int64(let values): .int(Int(values[0]))
    case .bool(let values): .bool(values[0])
    case .float32(let values): .float(Double(values[0]))
    case .float64(let values): .float(values[0])
    }
  }

  /// Binds the torch namespace at top level, so command-line expressions can say `rand(4, 4)`.
  /// Python's builtins keep their names: `float("nan")` and `abs(-1)` mean what they mean in a script.
  func bindTorchNames() {
    for (name, function) in TorchNamespace.functions where Builtins.functions[name] == nil {
      globals.bind(name, .builtin(function))
    }
    for (name, dtype) in TorchNamespace.dtypes where Builtins.functions[name] == nil { globals.bind(name, .dtype(dtype)) }
    globals.bind("torch", .module("torch"))
  }
}
