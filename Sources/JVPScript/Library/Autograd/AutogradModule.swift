import Foundation
import JVPCore

/// `torch.autograd`: `grad`, `backward`, and the grad-mode context managers; `Tensor.backward` lands here too.
/// Reverse mode runs on the engine's tape (`Tape.gradients`), so it uses the primitives' VJP rules.
enum AutogradModule {
  static let functions: [String: Builtin] = [
    "grad": Builtin(name: "grad") { interpreter, args in try interpreter.autogradGrad(args) },
    "backward": Builtin(name: "backward") { interpreter, args in
      let bound = try args.bind("backward", ["tensors", "grad_tensors", "retain_graph", "create_graph", "inputs"], required: 1)
      let outputs = try taped(bound.values["tensors"]!, "tensors", "backward")
      let seeds = try bound["grad_tensors"].map { try tensorList($0, "grad_tensors", "backward") }
      try interpreter.runBackward(outputs, seeds: seeds, bound)
      return .none
    },
    "no_grad": Library.gradModeFunction("no_grad"),
    "enable_grad": Library.gradModeFunction("enable_grad"),
  ].merging(Gradcheck.functions) { first, _ in first }

  /// A tensor or a sequence of tensors, as the tape's arguments.
  static func tensorList(_ value: Value, _ what: String, _ function: String) throws -> [Operand] {
    let items: [Value] = if case .tensor = value { [value] } else { value.sequenceItems ?? [value] }
    return try items.map { item in
      guard case .tensor(let x, _) = item else {
        throw RuntimeFailure("\(function)(): \(what) must be a Tensor or a sequence of Tensors, got \(item.typeName)", type: "TypeError")
      }
      return x
    }
  }

  /// Tensors that are on the tape; a plain one is PyTorch's "does not require grad" error.
  static func taped(_ value: Value, _ what: String, _ function: String) throws -> [TapeTensor] {
    try tensorList(value, what, function).enumerated().map { i, x in
      guard case .taped(let t) = x, t.requiresGrad else {
        throw RuntimeFailure("element \(i) of tensors does not require grad and does not have a grad_fn")
      }
      return t
    }
  }

  /// Given cotangents of which some live in a trace (`torch.vmap` over `autograd.grad`: one example's
  /// cotangent), checked against the outputs' shapes; nil when they are all plain tensors.
  static func tracedSeeds(_ given: [Operand]?, for outputs: [TapeTensor]) throws -> [Operand]? {
    guard let given, given.contains(where: { if case .traced = $0 { true } else { false } }) else { return nil }
    try checkSeedShapes(given.map(\.type.shape), for: outputs)
    return given
  }

  static func checkSeedShapes(_ shapes: [[Int]], for outputs: [TapeTensor]) throws {
    guard shapes.count == outputs.count else {
      throw RuntimeFailure("grad can be implicitly created only for scalar outputs (got \(shapes.count) gradients for \(outputs.count) outputs)")
    }
    for (i, (shape, output)) in zip(shapes, outputs).enumerated() where shape != output.value.shape {
      throw RuntimeFailure(
        "Mismatch in shape: grad_output[\(i)] has a shape of \(TorchFormatter.sizeRepr(shape)) and output[\(i)] has a shape of \(TorchFormatter.sizeRepr(output.value.shape)).")
    }
  }

  /// The cotangents: given ones checked against the outputs' shapes, or ones for scalar outputs.
  static func seeds(_ given: [Operand]?, for outputs: [TapeTensor]) throws -> [Tensor] {
    guard let given else {
      return try outputs.map { output in
        guard output.value.count == 1 else { throw RuntimeFailure("grad can be implicitly created only for scalar outputs") }
        return Tensor(repeating: 1, shape: output.value.shape, dtype: output.value.dtype)
      }
    }
    let values = try given.map { try $0.value() }
    try checkSeedShapes(values.map(\.shape), for: outputs)
    return zip(values, outputs).map { seed, output in seed.converted(to: output.value.dtype) }
  }
}

extension Interpreter {
  /// `tensor.backward(gradient=None, retain_graph=None, create_graph=False, inputs=None)`.
  func backward(_ x: Operand, _ args: Arguments) throws {
    let bound = try args.bind("backward", ["gradient", "retain_graph", "create_graph", "inputs"])
    guard case .taped(let t) = x, t.requiresGrad else {
      throw RuntimeFailure("element 0 of tensors does not require grad and does not have a grad_fn")
    }
    try runBackward([t], seeds: try bound["gradient"].map { try AutogradModule.tensorList($0, "gradient", "backward") }, bound)
  }

  /// Accumulates the gradients of `outputs` into `.grad` of the leaves (or of `inputs=`).
  func runBackward(_ outputs: [TapeTensor], seeds: [Operand]?, _ bound: BoundArguments) throws {
    let createGraph = try bound.bool("create_graph", default: false)
    let retainGraph = try bound.bool("retain_graph", default: createGraph)
    let inputs = try bound["inputs"].map { try AutogradModule.taped($0, "inputs", "backward") }
    let seedValues = try AutogradModule.seeds(seeds, for: outputs)
    let result = try recordingTapePass(.backward, outputs, seedValues) {
      try Tape.gradients(of: outputs, seeds: seedValues, inputs: inputs, retainGraph: retainGraph, createGraph: createGraph)
    }
    for (leaf, gradient) in zip(result.inputs, result.gradients) {
      if let gradient { try leaf.accumulate(gradient) }
    }
    for (tensor, gradient) in result.retained {
      if let gradient { try tensor.accumulate(gradient) }
    }
  }

  /// `torch.autograd.grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None)`.
  func autogradGrad(_ args: Arguments) throws -> Value {
    let bound = try args.bind(
      "grad", ["outputs", "inputs", "grad_outputs", "retain_graph", "create_graph", "only_inputs", "allow_unused",
               "is_grads_batched", "materialize_grads"], required: 2)
    let outputs = try AutogradModule.taped(bound.values["outputs"]!, "outputs", "grad")
    let inputs = try AutogradModule.tensorList(bound.values["inputs"]!, "inputs", "grad").map { x -> TapeTensor in
      guard case .taped(let t) = x, t.requiresGrad else {
        throw RuntimeFailure("One of the differentiated Tensors does not require grad")
      }
      return t
    }
    let seeds = try bound["grad_outputs"].map { try AutogradModule.tensorList($0, "grad_outputs", "grad") }
    let createGraph = try bound.bool("create_graph", default: false)
    let materialize = try bound.bool("materialize_grads", default: false)
    let allowUnused = try bound.bool("allow_unused", default: materialize)
    let retainGraph = try bound.bool("retain_graph", default: createGraph)
    if try bound.bool("is_grads_batched", default: false) {
      return try batchedGrad(outputs, seeds, inputs, retainGraph: retainGraph, createGraph: createGraph, allowUnused: allowUnused || materialize)
    }
    let gradients: [Operand?]
    if let traced = try AutogradModule.tracedSeeds(seeds, for: outputs) {
      guard !createGraph else { throw RuntimeFailure("jvplab: create_graph=True inside torch.vmap is not supported yet") }
      gradients = try Tape.tracedGradients(of: outputs, seeds: traced, inputs: inputs, retainGraph: retainGraph)
    } else {
      let seedValues = try AutogradModule.seeds(seeds, for: outputs)
      gradients = try recordingTapePass(.grad, outputs, seedValues) {
        try Tape.gradients(of: outputs, seeds: seedValues, inputs: inputs, retainGraph: retainGraph, createGraph: createGraph)
      }.gradients
    }
    return .tuple(try gradients.enumerated().map { i, gradient in
      if let gradient { return .tensor(gradient) }
      if materialize { return .tensor(Tensor(repeating: 0, shape: inputs[i].value.shape, dtype: inputs[i].value.dtype)) }
      guard allowUnused else {
        throw RuntimeFailure(
          "The differentiated Tensor at index \(i) appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.")
      }
      return .none
    })
  }

  /// `autograd.grad(..., is_grads_batched=True)`: the first dim of each `grad_outputs` tensor indexes separate
  /// cotangents; each gives one reverse pass (one run), and the gradients are stacked along a new first dim.
  func batchedGrad(
    _ outputs: [TapeTensor], _ seeds: [Operand]?, _ inputs: [TapeTensor], retainGraph: Bool, createGraph: Bool, allowUnused: Bool
  ) throws -> Value {
    guard let seeds else { throw RuntimeFailure("grad_outputs must be given when is_grads_batched=True") }
    let batched = try seeds.map { try $0.value() }
    guard let size = batched.first?.shape.first, batched.allSatisfy({ $0.shape.first == size }) else {
      let sizes = batched.map { $0.shape.first.map(String.init) ?? "None" }.joined(separator: ", ")
      throw RuntimeFailure(
        "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes [\(sizes)] for the mapped dimension",
        type: "ValueError")
    }
    // One run: the batched cotangents, one reverse pass per row, the gradients stacked; checked on row 0.
    let recorded = try recordingTapePass(.grad, outputs, batched, batched: true) {
      var rows = [TapeGradients]()
      for b in 0..<size {
        let rowSeeds = try batched.map { try Operand.concrete($0).select(dim: 0, index: b) }
        let seedValues = try AutogradModule.seeds(rowSeeds, for: outputs)
        rows.append(try Tape.gradients(
          of: outputs, seeds: seedValues, inputs: inputs, retainGraph: retainGraph || b < size - 1, createGraph: createGraph))
      }
      let stacked = try inputs.indices.map { i in try Self.stacked(rows.map { $0.gradients[i] }, like: inputs[i].value) }
      return TapeGradients(inputs: inputs, gradients: stacked, graph: rows[0].graph, origins: rows[0].origins)
    }
    return .tuple(try recorded.gradients.enumerated().map { i, gradient in
      if let gradient { return .tensor(gradient) }
      guard allowUnused else {
        throw RuntimeFailure(
          "The differentiated Tensor at index \(i) appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.")
      }
      return .none
    })
  }

  /// Per-row gradients stacked along a new first dim (zeros for rows where the input was unused), nil when it
  /// was unused in every row. PyTorch vectorises the pass, so the result's node is the one each row ends in.
  static func stacked(_ column: [Operand?], like input: Tensor) throws -> Operand? {
    guard column.contains(where: { $0 != nil }) else { return nil }
    let zeros = Operand.concrete(Tensor(repeating: 0, shape: input.shape, dtype: input.dtype))
    let stacked = try Operand.stack(column.map { $0 ?? zeros }, dim: 0)
    let rowNode = column.lazy.compactMap { row -> String? in
      if case .taped(let t)? = row { return t.gradFunction?.name }
      return nil
    }.first
    return rowNode.map { stacked.labelled($0) } ?? stacked
  }

  /// Runs one reverse pass over the tape and records it as a run: the tensors differentiated as inputs, the
  /// cotangents, the outputs, the gradients (role `grad`), the pass's time and the dot-product check.
  /// With `batched` (`is_grads_batched=True`) the cotangents and gradients have a leading batch dim and the
  /// dot-product check is made on the first row.
  func recordingTapePass(
    _ kind: RunKind, _ outputs: [TapeTensor], _ seeds: [Tensor], batched: Bool = false,
    _ pass: () throws -> TapeGradients
  ) throws -> TapeGradients {
    let location = currentCallLocation
    let started = Date()
    var record = RecordedCall(
      kind: kind, functionName: kind.rawValue, source: statementSource(location), strategy: nil, vectorize: false,
      dtype: outputs.first?.value.dtype ?? .float32, seed: seed, rngOffset: nil, line: location.line, column: location.column,
      tensors: [], timings: [], checks: [], status: .failed, error: nil, started: started, finished: started)
    record.tensors += seeds.enumerated().map { RecordedTensor(role: "cotangent", index: [$0], name: nil, tensor: $1) }
    record.tensors += outputs.enumerated().map { RecordedTensor(role: "output", index: [$0], name: nil, tensor: $1.value) }
    let result: TapeGradients
    do {
      let clock = DispatchTime.now().uptimeNanoseconds
      result = try pass()
      record.timings = [(kind.rawValue, [Double(DispatchTime.now().uptimeNanoseconds - clock) / 1e9])]
    } catch {
      record.error = Self.message(of: error)
      record.finished = Date()
      try recorder.record(record)
      throw error
    }
    let inputs = result.inputs.map(\.value)
    record.tensors.insert(contentsOf: inputs.enumerated().map { RecordedTensor(role: "input", index: [$0], name: nil, tensor: $1) }, at: 0)
    let batch = batched ? seeds.first?.shape.first : nil
    let gradients = try zip(result.gradients, inputs).map { gradient, input in
      try gradient?.value() ?? Tensor(repeating: 0, shape: (batch.map { [$0] } ?? []) + input.shape, dtype: input.dtype)
    }
    record.tensors += gradients.enumerated().map { RecordedTensor(role: "grad", index: [$0], name: nil, tensor: $1) }
    let firstRow = { (tensors: [Tensor]) throws -> [Tensor] in
      batched ? try tensors.map { try Operand.concrete($0).select(dim: 0, index: 0).value() } : tensors
    }
    if let check = try? Checks.reverse(
      result.graph, at: inputs, seeds: firstRow(seeds), gradients: firstRow(gradients), seed: (seed ?? 0) &+ UInt64(location.line)) {
      record.checks = [check]
    }
    describeTapeRun(&record, origins: result.origins, leaves: result.inputs)
    record.status = .ok
    record.finished = Date()
    try recorder.record(record)
    return result
  }

  /// The text of the statement at `location`'s line.
  func statementSource(_ location: SourceLocation) -> String {
    let index = location.line - 1
    return sourceLines.indices.contains(index) ? sourceLines[index].trimmingCharacters(in: .whitespaces) : ""
  }

  /// A warning on stderr as Python prints one: `file:line: UserWarning: text`.
  func warn(_ category: String, _ text: String) {
    // Said again by every call that traces this, so such a trace is never served instead (`ClosedTraces`).
    if tracingDepth > 0 { traceIsClosed = false }
    options.notice?("\(file):\(currentCallLocation.line): \(category): \(text)")
  }
}
