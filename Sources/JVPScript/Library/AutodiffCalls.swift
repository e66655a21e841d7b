import Foundation
import JVPCore

/// `torch.autograd.functional.*`: each call traces the function, runs the transform through
/// `Experiment` (timed, repeated, checked), records a run, and returns what PyTorch returns.
enum AutodiffCalls {
  static let functions: [String: Builtin] = {
    var table = [String: Builtin]()
    for kind in AutodiffKind.allCases {
      table[kind.rawValue] = Builtin(name: kind.rawValue) { interpreter, args in
        try interpreter.autodiffCall(kind, parse(kind, args))
      }
    }
    return table
  }()

  /// A call's arguments, parsed per PyTorch's signatures.
  struct Call {
    var function: Value
    var inputs: Value
    var vectors: Value?
    var strict: Bool
    /// The results then carry an autograd graph (a `grad_fn=<...>` suffix) and can be differentiated again.
    var createGraph = false
    var vectorize: Bool
    var strategy: JacobianStrategy
    /// Names of the inputs, when the command line gave them.
    var inputNames: [String]? = nil
    /// A missing `v` means ones of the paired shapes (the command line's convenience), not PyTorch's rule.
    var onesWhenMissing = false
  }

  static func parse(_ kind: AutodiffKind, _ args: Arguments) throws -> Call {
    let name = kind.rawValue
    switch kind {
    case .jacobian, .hessian:
      let strategyName = kind == .jacobian ? "strategy" : "outer_jacobian_strategy"
      let bound = try args.bind(name, ["func", "inputs", "create_graph", "strict", "vectorize", strategyName], required: 2)
      let text = try bound.string(strategyName, default: "reverse-mode")
      guard let strategy = JacobianStrategy(rawValue: text) else {
        throw RuntimeFailure("Expected \(strategyName) to be either \"forward-mode\" or \"reverse-mode\" (or jvplab's \"auto\"), got \"\(text)\"")
      }
      return Call(function: bound.values["func"]!, inputs: bound.values["inputs"]!, vectors: nil,
                  strict: try bound.bool("strict", default: false), createGraph: try bound.bool("create_graph", default: false),
                  vectorize: try bound.bool("vectorize", default: false), strategy: strategy)
    default:
      let bound = try args.bind(name, ["func", "inputs", "v", "create_graph", "strict"], required: 2)
      return Call(function: bound.values["func"]!, inputs: bound.values["inputs"]!, vectors: bound["v"],
                  strict: try bound.bool("strict", default: false), createGraph: try bound.bool("create_graph", default: false),
                  vectorize: false, strategy: .reverseMode)
    }
  }

  /// The tensors of `inputs` (a tensor, or a tuple or list of tensors) and whether it was a tuple.
  static func tensors(_ value: Value, _ what: String, _ function: String) throws -> (values: [Tensor], provenance: [Provenance?], isTuple: Bool) {
    let items: [Value]
    let isTuple: Bool
    switch value {
    case .tensor: (items, isTuple) = ([value], false)
    case .tuple, .list: (items, isTuple) = (value.sequenceItems!, true)
    default: throw RuntimeFailure("\(function)(): \(what) must be a Tensor or a tuple of Tensors, got \(value.typeName)", type: "TypeError")
    }
    var tensors: [Tensor] = []
    var origins: [Provenance?] = []
    for (i, item) in items.enumerated() {
      guard case .tensor(let operand, let origin) = item else {
        throw RuntimeFailure("\(function)(): \(what) must be a Tensor or a tuple of Tensors, but element \(i) is \(item.typeName)", type: "TypeError")
      }
      guard let tensor = operand.concreteValue else {
        throw RuntimeFailure("\(function)(): nested differentiation (an autodiff call inside a function being differentiated) is not supported in jvplab v1")
      }
      tensors.append(tensor)
      origins.append(origin)
    }
    return (tensors, origins, isTuple)
  }
}

extension Interpreter {
  /// Runs one autodiff call end to end and returns PyTorch's return value.
  func autodiffCall(_ kind: AutodiffKind, _ call: AutodiffCalls.Call) throws -> Value {
    let name = kind.rawValue
    guard tracingDepth == 0 else {
      throw RuntimeFailure("\(name)(): nested differentiation (an autodiff call inside a function being differentiated) is not supported in jvplab v1")
    }
    let (functionName, source) = try describe(call.function, name)
    let (inputs, provenance, inputsAreTuple) = try AutodiffCalls.tensors(call.inputs, "inputs", name)
    for (k, input) in inputs.enumerated() where !input.dtype.isFloatingPoint {
      throw EngineError.notDifferentiable(what: "input \(k)", dtype: input.dtype)
    }
    let started = Date()
    let location = currentCallLocation
    var record = RecordedCall(
      kind: RunKind(kind), functionName: functionName, source: source,
      strategy: kind == .jacobian || kind == .hessian ? call.strategy : nil, vectorize: call.vectorize,
      dtype: inputs.first?.dtype ?? .float32, seed: seed,
      rngOffset: provenance.compactMap { $0?.drawOffset }.first, line: location.line, column: location.column,
      tensors: inputs.enumerated().map { RecordedTensor(role: "input", index: [$0], name: call.inputNames?[$0], tensor: $1) },
      timings: [], checks: [], status: .failed, error: nil, started: started, finished: started)
    let inputSeconds = provenance.compactMap { $0?.seconds }
    if !inputSeconds.isEmpty { record.timings.append(("inputs", [inputSeconds.reduce(0, +)])) }

    do {
      globalReads = []
      let generatorBeforeTrace = generator
      // Traced every call (prints, draws and global reads happen as in PyTorch) unless an earlier trace of the
      // same source read nothing from outside (`ClosedTraces`); an identical earlier trace lends its
      // transformed graphs and plans.
      let traced = try tracedFunction(call.function, inputs: inputs, inputsAreTuple: inputsAreTuple, name: name)
      // What replay needs bound: the globals the function read, and those the default values of it and of the
      // script functions it called read when they were defined.
      var reads = globalReads
      for case .function(let function) in [call.function] + globalReads.map(\.value) {
        for read in function.defaultReads where !reads.contains(where: { $0.name == read.name }) { reads.append(read) }
      }
      record.tensors += Self.recordedGlobals(reads)
      for (name, value) in reads {
        if let source = Self.definingSource(value, name: name) { record.functions[name] = source }
      }
      // An int64 output (x.long(), torch.arange(3)) has no derivative; PyTorch refuses it too.
      for (k, output) in traced.outputTypes.enumerated() where !output.dtype.isFloatingPoint {
        throw EngineError.notDifferentiable(what: "output \(k)", dtype: output.dtype)
      }
      let vectors = try resolveVectors(kind, call.vectors, traced, onesWhenMissing: call.onesWhenMissing)
      let vectorRole = kind == .vjp ? "cotangent" : "tangent"
      record.tensors += vectors.enumerated().map { RecordedTensor(role: vectorRole, index: [$0], name: nil, tensor: $1) }
      let request = ExperimentRequest(
        kind: kind, function: traced, inputs: inputs, vectors: vectors, strategy: call.strategy, vectorize: call.vectorize,
        options: AutodiffOptions(strict: call.strict, memoryLimit: options.memoryLimit),
        repeats: options.repeats, warmup: options.warmup, checkSeed: (seed ?? 0) &+ UInt64(location.line))
      let outcome = try Experiment.run(request, progress: options.progress, isCancelled: options.isCancelled)
      record.tensors += Self.flatten(outcome.outputs, role: "output", isTuple: traced.outputsAreTuple)
      record.tensors += resultTensors(kind, outcome.result, traced)
      record.timings += outcome.timings
      record.checks = outcome.checks
      record.status = .ok
      record.finished = Date()
      do {
        try recorder.record(record)
      } catch {
        // Not a failure of the call: recording it again as failed would contradict the error.
        throw RecordingFailed(underlying: error)
      }
      guard call.createGraph else { return Self.value(outcome.result) }
      return try DifferentiableFunctional(self, function: call.function, inputs: call.inputs, generator: generatorBeforeTrace)
        .result(kind, vectors: vectors, forward: kind == .jvp ? traced.forwardGraph() : traced.graph)
    } catch let failed as RecordingFailed {
      throw failed.underlying
    } catch let interrupted as ExperimentInterrupted {
      try recordInterrupted(record, timings: interrupted.timings)
    } catch {
      try recordFailed(record, error)
    }
  }

  /// The script globals a function read that `replay` can rebind, as tensor rows by name:
  /// - a tensor: role `global`;
  /// - a Python number: role `global_number`, a 0-d int64 or float64 tensor; a bool: role `global_bool`, 0 or 1;
  /// - a string: role `global_string`, its UTF-8 bytes as an int64 tensor; `None`: role `global_none`;
  /// - a `torch.Size`: role `global_size`, its dims as an int64 tensor; a dtype: role `global_dtype`, the
  ///   UTF-8 bytes of its name (`float64`);
  /// - a tuple or list of those, nested to any depth: a row of role `global_tuple` or `global_list` (a 0-d
  ///   int64 tensor: its length), then a row per element, whose index extends the container's.
  /// Each role's plain values are numbered in order (`global[0]`, `global_number[0]`, ...), containers in one
  /// sequence (`global_tuple[0]` whose elements are `global[0, 0]`, `global_number[0, 1]`, ...). A global
  /// holding anything else is not recorded here. The function's source alone does not define them, and a
  /// replay without them would fail or compute something else. Functions and modules it read are recorded by
  /// source, beside the tensors (`definingSource`).
  static func recordedGlobals(_ reads: [(name: String, value: Value)]) -> [RecordedTensor] {
    let order = ["global", "global_number", "global_bool", "global_string", "global_none", "global_size", "global_dtype", "container"]
    var rows = [String: [RecordedTensor]]()
    var counts = [String: Int]()
    for (name, value) in reads {
      guard let unnumbered = globalRows(value, name, []), let first = unnumbered.first else { continue }
      let sequence = first.role == "global_tuple" || first.role == "global_list" ? "container" : first.role
      let ordinal = counts[sequence, default: 0]
      counts[sequence] = ordinal + 1
      rows[sequence, default: []] += unnumbered.map {
        RecordedTensor(role: $0.role, index: [ordinal] + $0.index, name: $0.name, tensor: $0.tensor)
      }
    }
    return order.flatMap { rows[$0] ?? [] }
  }

  /// How replay defines a global function or module the function read: a script function by its source; a
  /// torch function, Python builtin or module bound to another name (`e = torch.exp`, `import torch as th`)
  /// by the expression that names it. nil for anything else, and for names replay binds anyway (`exp` from
  /// `from torch import exp`).
  static func definingSource(_ value: Value, name: String) -> String? {
    switch value {
    case .function(let function): return function.source
    case .builtin(let builtin) where name != builtin.name:
      if TorchNamespace.functions[builtin.name] != nil { return "torch.\(builtin.name)" }
      if Builtins.functions[builtin.name] != nil { return builtin.name }
      return nil
    case .module(let module) where name != module: return module
    default: return nil
    }
  }

  /// The rows of `value` at `index`, or nil when some part of it cannot be recorded.
  static func globalRows(_ value: Value, _ name: String, _ index: [Int]) -> [RecordedTensor]? {
    func row(_ role: String, _ tensor: Tensor) -> [RecordedTensor] {
      [RecordedTensor(role: role, index: index, name: name, tensor: tensor)]
    }
    switch value {
    case .tensor(.concrete(let tensor), _): return row("global", tensor)
    // A global that requires grad: replay reads its value (the tape it was on is not stored).
    case .tensor(.taped(let taped), _): return row("global", taped.value)
    case .string(let text): return row("global_string", utf8Tensor(text))
    case .none: return row("global_none", Tensor(shape: [], int64: [0]))
    case .bool(let flag): return row("global_bool", Tensor(shape: [], int64: [flag ? 1 : 0]))
    case .size(let dims): return row("global_size", Tensor(shape: [dims.count], int64: dims.map(Int64.init)))
    case .dtype(let dtype): return row("global_dtype", utf8Tensor(dtype.rawValue))
    case .tuple, .list:
      let items = value.sequenceItems!
      let role = if case .tuple = value { "global_tuple" } else { "global_list" }
      var rows = row(role, Tensor(shape: [], int64: [Int64(items.count)]))
      for (i, item) in items.enumerated() {
        guard let inner = globalRows(item, name, index + [i]) else { return nil }
        rows += inner
      }
      return rows
    default:
      return numberTensor(value).map { row("global_number", $0) }
    }
  }

  /// Text as a vector of its UTF-8 bytes.
  static func utf8Tensor(_ text: String) -> Tensor { Tensor(shape: [text.utf8.count], int64: text.utf8.map { Int64($0) }) }

  /// A Python number as a 0-d tensor: int64 for an int, float64 for a float.
  static func numberTensor(_ value: Value) -> Tensor? {
    switch value {
    case .int(let i): Tensor(shape: [], int64: [Int64(i)])
    case .float(let d): Tensor(shape: [], float64: [d])
    default: nil
    }
  }

  /// The function's name and source as recorded with the run.
  func describe(_ function: Value, _ name: String) throws -> (String, String) {
    switch function {
    case .function(let user): return (user.name, user.source)
    case .builtin(let builtin): return (builtin.name, "torch.\(builtin.name)")
    // A module is recorded by its repr: it shows what was differentiated, though replay cannot rebuild it.
    case .object(let module as NNModule): return (module.typeName, module.repr())
    default: throw RuntimeFailure("\(name)(): func must be callable, got \(function.typeName)", type: "TypeError")
    }
  }

  /// Traces the user's function on symbolic inputs into a graph.
  func trace(_ function: Value, inputs: [Tensor], inputsAreTuple: Bool, name: String) throws -> TracedFunction {
    let location = currentCallLocation
    return try TracedFunction.trace(inputTypes: inputs.map(TensorType.init(of:)), inputsAreTuple: inputsAreTuple) { vars in
      tracingDepth += 1
      defer { tracingDepth -= 1 }
      let result = try call(function, Arguments(vars.map { .tensor(.traced($0)) }), at: location)
      let tracer = vars.first?.tracer ?? Tracer()
      func output(_ value: Value, _ position: String) throws -> Var {
        guard case .tensor(let operand, _) = value else {
          throw RuntimeFailure("\(name)(): the function must return a Tensor or a tuple of Tensors, but \(position) is \(value.typeName)")
        }
        switch operand {
        case .traced(let v): return v
        case .concrete(let t): return tracer.constant(t)
        case .taped(let t): return tracer.constant(t.value)
        }
      }
      switch result {
      case .tuple, .list:
        return (try result.sequenceItems!.enumerated().map { try output($1, "output \($0)") }, true)
      default:
        return ([try output(result, "the result")], false)
      }
    }
  }

  /// `v` as tensors paired with the inputs (or outputs, for vjp); None means ones when each paired
  /// tensor has a single element, as PyTorch allows.
  func resolveVectors(_ kind: AutodiffKind, _ v: Value?, _ f: TracedFunction, onesWhenMissing: Bool) throws -> [Tensor] {
    guard kind.takesVector else { return [] }
    let paired = kind.vectorPairsWithOutputs ? f.outputTypes : f.inputTypes
    guard let v else {
      if onesWhenMissing { return paired.map { Tensor(repeating: 1, shape: $0.shape, dtype: $0.dtype) } }
      guard paired.count == 1, paired[0].count == 1 else {
        let what = kind.vectorPairsWithOutputs ? "output of" : "input to"
        throw RuntimeFailure("\(kind.rawValue)(): the vector v can only be None if the \(what) the user-provided function is a single Tensor with a single element")
      }
      return [Tensor(repeating: 1, shape: paired[0].shape, dtype: paired[0].dtype)]
    }
    return try AutodiffCalls.tensors(v, "v", kind.rawValue).values
  }

  /// The result tensors of a call with their roles and index paths.
  func resultTensors(_ kind: AutodiffKind, _ result: Nested, _ f: TracedFunction) -> [RecordedTensor] {
    switch kind {
    case .jvp: Self.flatten(result[1], role: "jvp", isTuple: f.outputsAreTuple)
    case .vjp: Self.flatten(result[1], role: "vjp", isTuple: f.inputsAreTuple)
    case .hvp, .vhp: Self.flatten(result[1], role: kind.rawValue, isTuple: f.inputsAreTuple)
    case .jacobian, .hessian: Self.flattenPaths(result, role: kind.rawValue)
    }
  }

  static func flatten(_ value: Nested, role: String, isTuple: Bool) -> [RecordedTensor] {
    value.tensors.enumerated().map { RecordedTensor(role: role, index: isTuple ? [$0] : [], name: nil, tensor: $1) }
  }

  static func flattenPaths(_ value: Nested, role: String, path: [Int] = []) -> [RecordedTensor] {
    switch value {
    case .tensor(let t): [RecordedTensor(role: role, index: path, name: nil, tensor: t)]
    case .tuple(let items): items.enumerated().flatMap { flattenPaths($1, role: role, path: path + [$0]) }
    }
  }

  static func value(_ nested: Nested) -> Value {
    switch nested {
    case .tensor(let t): .tensor(t)
    case .tuple(let items): .tuple(items.map(value))
    }
  }

  static func message(of error: Error) -> String {
    switch error {
    case let error as ScriptError: error.description
    case let error as RuntimeFailure: error.message
    case let error as EngineError: error.description
    default: "\(error)"
    }
  }
}

/// The script was stopped by SIGINT during a repeated call; the run is recorded as interrupted.
public struct ScriptInterrupted: Error {}

/// The recorder refused a finished call; the call itself succeeded, so it is not recorded again as failed.
struct RecordingFailed: Error {
  let underlying: any Error
}
