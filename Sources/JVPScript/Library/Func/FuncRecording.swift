import Foundation
import JVPCore

extension Interpreter {
  /// Runs one application of a `torch.func` transform. At the top level (outside every trace) it is one run
  /// of `kind` whose `transform` is `spelling`: the arguments' tensor leaves (role `input`, or `tangent` and
  /// `cotangent` for the vectors), the result's (role `result`), each indexed by its pytree path, the number
  /// of positional arguments (role `argument_count`), the timed evaluations of the transformed graph and the
  /// correctness checks (`FuncMeasurement`), and for replay the functions and globals the transformed function
  /// read. A failed call is recorded as failed, an interrupted one as interrupted, then its error is raised.
  func recordingFunc(
    _ kind: RunKind, _ spelling: String, function: Value?, arguments: [Value], roles: [String] = [],
    madeBy: Int64? = nil, _ body: () throws -> Value
  ) throws -> Value {
    guard funcTraces.isEmpty && tracingDepth == 0 else { return try body() }
    let started = Date()
    let location = currentCallLocation
    let (name, source) = Self.baseFunction(function)
    var tensors = [RecordedTensor(role: "argument_count", index: [], name: nil, tensor: Tensor(shape: [], int64: [Int64(arguments.count)]))]
    var origins: [Provenance] = []
    for (position, argument) in arguments.enumerated() {
      let role = position < roles.count ? roles[position] : "input"
      for (leaf, path) in zip(PyTree.flattenLeaves(argument), PyTree.paths(argument)) {
        guard case .tensor(let operand, let origin) = leaf, let tensor = operand.concreteValue else { continue }
        if let origin { origins.append(origin) }
        let index = [position] + path.index
        tensors.append(RecordedTensor(role: role, index: index, name: path.keyName(prefix: [position]), tensor: tensor))
      }
    }
    var record = RecordedCall(
      kind: kind, functionName: name, source: source, strategy: nil, vectorize: false,
      dtype: tensors.dropFirst().first?.tensor.dtype ?? .float32, seed: seed, rngOffset: origins.compactMap(\.drawOffset).first,
      line: location.line, column: location.column, tensors: tensors, timings: [], checks: [], status: .failed,
      error: nil, started: started, finished: started)
    record.transform = spelling
    record.madeBy = madeBy
    globalReads = []
    let measurement = FuncMeasurement(phase: kind.rawValue, checkSeed: (seed ?? 0) &+ UInt64(location.line))
    funcMeasurement = measurement
    defer { funcMeasurement = nil }
    let generatorBefore = generator
    do {
      let clock = DispatchTime.now().uptimeNanoseconds
      let value = try body()
      recordReads(&record, base: function)
      // A function that drew (randomness='same'/'different') needs the generator where the call found it to
      // replay: its draws since the seed, and the normal sample it kept for the next draw.
      if generator.drawCount != generatorBefore.drawCount {
        record.tensors.append(RecordedTensor(
          role: "generator_offset", index: [], name: nil, tensor: Tensor(shape: [], int64: [Int64(generatorBefore.drawCount)])))
        if let cached = generatorBefore.cachedNormal {
          record.tensors.append(RecordedTensor(
            role: "generator_cached_normal", index: [], name: nil, tensor: Tensor(shape: [], float64: [cached])))
        }
      }
      // The timed evaluations of the transformed graph; a call that evaluated none (its result came from
      // tracing alone) is timed whole.
      let samples = measurement.samples.isEmpty ? [Double(DispatchTime.now().uptimeNanoseconds - clock) / 1e9] : measurement.samples
      record.timings = [(kind.rawValue, samples)]
      record.checks = measurement.checks
      for (leaf, path) in zip(PyTree.flattenLeaves(value), PyTree.paths(value)) {
        guard case .tensor(let operand, _) = leaf, let tensor = operand.concreteValue else { continue }
        record.tensors.append(RecordedTensor(role: "result", index: path.index, name: path.keyName(), tensor: tensor))
      }
      record.status = .ok
      record.finished = Date()
      try recorder.record(record)
      if case .tuple(let items) = value {
        for case .object(let made as LinearFunction) in items { made.madeBy = recorder.lastRecordedID }
      }
      return value
    } catch let interrupted as FuncInterrupted {
      recordReads(&record, base: function)
      try recordInterrupted(record, timings: [(kind.rawValue, interrupted.samples)])
    } catch {
      try recordFailed(record, error)
    }
  }

  /// Adds the globals the transformed function read, and the sources of the script functions it used
  /// (itself included), so that replay can define them again.
  private func recordReads(_ record: inout RecordedCall, base: Value?) {
    var reads = globalReads
    for case .function(let function) in [Self.baseValue(base)] + reads.map(\.value) {
      for read in function.defaultReads where !reads.contains(where: { $0.name == read.name }) { reads.append(read) }
    }
    record.tensors += Self.recordedGlobals(reads + Self.partialArguments(base))
    for (name, value) in reads {
      if let source = Self.definingSource(value, name: name) { record.functions[name] = source }
    }
    if case .function(let user) = Self.baseValue(base), user.name != "<lambda>" { record.functions[user.name] = user.source }
  }

  /// The bound arguments of the `functools.partial`s the transform was applied to (the transform spells them
  /// `partial(f, ...)`), as globals replay rebuilds them from: `partial[k].args`, a tuple, and, when there are
  /// keywords, `partial[k].keywords`, a tuple of `(name, value)` pairs; k counts innermost first, the order
  /// in which replay's evaluation of the spelling makes them.
  static func partialArguments(_ function: Value?) -> [(name: String, value: Value)] {
    var chain: [PartialObject] = []
    var next = function
    while let value = next {
      switch value {
      case .object(let transformed as TransformedFunction): next = transformed.function
      case .object(let partial as PartialObject):
        chain.append(partial)
        next = partial.function
      default: next = nil
      }
    }
    return chain.reversed().enumerated().flatMap { k, partial -> [(name: String, value: Value)] in
      let keywords = partial.arguments.keywords.map { Value.tuple([.string($0.name), $0.value]) }
      return [("partial[\(k)].args", .tuple(partial.arguments.positional))]
        + (keywords.isEmpty ? [] : [("partial[\(k)].keywords", .tuple(keywords))])
    }
  }

  /// The function under any transforms and partials.
  static func baseValue(_ function: Value?) -> Value {
    switch function {
    case .object(let transformed as TransformedFunction)?: baseValue(transformed.function)
    case .object(let partial as PartialObject)?: baseValue(partial.function)
    case let value?: value
    case nil: .none
    }
  }

  /// The script function a transform was applied to, through transforms and partials, with its source.
  static func baseFunction(_ function: Value?) -> (String, String) {
    switch function {
    case .function(let user)?: (user.name, user.source)
    case .builtin(let builtin)?: (builtin.name, "torch.\(builtin.name)")
    case .object(let transformed as TransformedFunction)?: baseFunction(transformed.function)
    case .object(let partial as PartialObject)?: baseFunction(partial.function)
    case .object(let linear as LinearFunction)?: (linear.name, "")
    default: ("-", "")
    }
  }
}

extension TreePath {
  /// The path as PyTorch's `keystr` spells it (`[0]['w']`) when it passes through a dict, else nil (the
  /// integer index says it all).
  func keyName(prefix: [Int] = []) -> String? {
    guard steps.contains(where: { if case .key = $0 { true } else { false } }) else { return nil }
    return (prefix.map { "[\($0)]" } + steps.map { step in
      switch step {
      case .position(let i): "[\(i)]"
      case .key(let key): "[\(Display.repr(key))]"
      }
    }).joined()
  }
}
