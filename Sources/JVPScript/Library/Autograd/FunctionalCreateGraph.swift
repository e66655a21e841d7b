import JVPCore

/// `torch.autograd.functional.*(..., create_graph=True)`: the results PyTorch returns then carry an autograd
/// graph (`grad_fn=<ViewBackward0>`) and can be differentiated again. They are computed here as PyTorch's
/// functional module computes them, on the tape: the function runs on inputs that require grad (a view of an
/// input that already does, so the graph reaches the caller's tensors), and each derivative is a reverse pass
/// with `create_graph` (`Tape.gradients`), so the primitives' VJP rules make every node.
struct DifferentiableFunctional {
  let interpreter: Interpreter
  let function: Value
  let inputsAreTuple: Bool
  /// The tensors differentiated: the caller's leaves (or views of its tensors that require grad).
  let inputs: [TapeTensor]
  /// The generator as the traced run of the function found it, so this run draws what that one drew.
  let generator: TorchGenerator

  init(_ interpreter: Interpreter, function: Value, inputs: Value, generator: TorchGenerator) throws {
    self.interpreter = interpreter
    self.function = function
    self.generator = generator
    let items: [Value]
    if case .tensor = inputs { (items, inputsAreTuple) = ([inputs], false) } else { (items, inputsAreTuple) = (inputs.sequenceItems ?? [], true) }
    self.inputs = try items.map { item in
      guard case .tensor(let x, _) = item else { preconditionFailure("the call's inputs were checked to be tensors") }
      if case .taped(let t) = x, t.requiresGrad {
        // PyTorch's `inp.view_as(inp)`: a ViewBackward0 on the caller's graph.
        guard case .taped(let view) = try x.viewed(t.value.shape) else { preconditionFailure("a view of a taped tensor is taped") }
        return view
      }
      return TapeTensor(value: try x.value(), requiresGrad: true)
    }
  }

  /// The function's outputs on the inputs, recorded on the tape, and whether it returned a tuple. It is the
  /// function's second run (the first was traced): it draws the same random numbers and prints nothing again.
  func outputs() throws -> (values: [Operand], isTuple: Bool) {
    interpreter.generator = generator
    interpreter.mutesOutput = true
    defer { interpreter.mutesOutput = false }
    let result = try GradMode.with(enabled: true) {
      try interpreter.call(function, Arguments(inputs.map { .tensor(.taped($0)) }), at: interpreter.currentCallLocation)
    }
    if case .tensor(let x, _) = result { return ([x], false) }
    return (try (result.sequenceItems ?? []).map { item in
      guard case .tensor(let x, _) = item else { throw RuntimeFailure("the function must return a Tensor or a tuple of Tensors, got \(item.typeName)") }
      return x
    }, true)
  }

  /// The gradients of `outputs` with cotangents `seeds` for every input, on the tape (`create_graph=True`);
  /// zeros where an input is unused, as PyTorch's `_fill_in_zeros` gives.
  func gradients(of outputs: [Operand], seeds: [Tensor]) throws -> [Operand] {
    let taped = zip(outputs, seeds).compactMap { output, seed -> (TapeTensor, Tensor)? in
      if case .taped(let t) = output, t.requiresGrad { return (t, seed) }
      return nil
    }
    var gradients = [Operand?](repeating: nil, count: inputs.count)
    if !taped.isEmpty {
      gradients = try Tape.gradients(
        of: taped.map(\.0), seeds: taped.map(\.1), inputs: inputs, retainGraph: true, createGraph: true).gradients
    }
    return zip(gradients, inputs).map { gradient, input in
      gradient ?? .concrete(Tensor(repeating: 0, shape: input.value.shape, dtype: input.value.dtype))
    }
  }

  /// The jacobian blocks of `outputs` with respect to every input, a reverse pass per output element as PyTorch's
  /// `jacobian` (vectorize=False) does: the rows stacked and viewed as `output.shape + input.shape`.
  func jacobian(of outputs: [Operand]) throws -> [[Operand]] {
    try outputs.map { output in
      let type = output.type
      let rows = try (0..<type.count).map { j in
        var oneHot = [Double](repeating: 0, count: type.count)
        oneHot[j] = 1
        return try gradients(of: [output], seeds: [Tensor(shape: type.shape, float64: oneHot).converted(to: type.dtype)])
      }
      return try inputs.indices.map { i in
        let inputShape = inputs[i].value.shape
        let column = rows.map { $0[i] }
        let stacked = column.isEmpty
          ? Operand.concrete(Tensor(repeating: 0, shape: [0] + inputShape, dtype: inputs[i].value.dtype))
          : try Operand.stack(column, dim: 0)
        return try stacked.viewed(type.shape + inputShape)
      }
    }
  }

  /// PyTorch's return value for `kind`, given the vectors (`v`) the call resolved.
  func result(_ kind: AutodiffKind, vectors: [Tensor], forward: Graph) throws -> Value {
    let (outputs, outputsAreTuple) = try outputs()
    let packInputs = { (values: [Operand]) -> Value in
      inputsAreTuple ? .tuple(values.map { .tensor($0) }) : .tensor(values[0])
    }
    let packOutputs = { (values: [Operand]) -> Value in
      outputsAreTuple ? .tuple(values.map { .tensor($0) }) : .tensor(values[0])
    }
    switch kind {
    case .vjp:
      return .tuple([packOutputs(outputs), packInputs(try gradients(of: outputs, seeds: vectors))])
    case .jvp:
      // J·v from the function's forward-mode graph replayed on the tape; PyTorch's double backward names a
      // sum over dims by the squeeze that ends its transpose.
      let replayed = try GradMode.with(enabled: true) {
        try forward.replay(inputs.map(Operand.taped) + vectors.map(Operand.concrete))
      }
      let products = zip(outputs, replayed.dropFirst(outputs.count)).map { output, product -> Operand in
        if case .taped(let t) = output, t.gradFunction?.name == "SumBackward1" { return product.labelled("SqueezeBackward1") }
        return product
      }
      return .tuple([packOutputs(outputs), packOutputs(Array(products))])
    case .jacobian:
      let blocks = try jacobian(of: outputs)
      let perOutput = blocks.map(packInputs)
      return outputsAreTuple ? .tuple(perOutput) : perOutput[0]
    case .hessian:
      let seed = [Tensor(repeating: 1, shape: outputs[0].type.shape, dtype: outputs[0].type.dtype)]
      let blocks = try jacobian(of: try gradients(of: outputs, seeds: seed))
      guard inputsAreTuple else { return .tensor(blocks[0][0]) }
      return .tuple(blocks.map { row in .tuple(row.map { .tensor($0) }) })
    case .vhp, .hvp:
      // For the symmetric hessians of twice-differentiable functions hvp = vhp; both as PyTorch's vhp computes it.
      let seed = [Tensor(repeating: 1, shape: outputs[0].type.shape, dtype: outputs[0].type.dtype)]
      let gradient = try gradients(of: outputs, seeds: seed)
      return .tuple([packOutputs(outputs), packInputs(try gradients(of: gradient, seeds: vectors))])
    }
  }
}
