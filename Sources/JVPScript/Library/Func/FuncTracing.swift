import JVPCore

/// A script function traced once for a `torch.func` transform: its graph and what to run it on.
///
/// The graph's inputs are the tensor leaves of the positional arguments (in flattening order), then the
/// values of enclosing traces the function read (`Tracer.captures`). Its outputs are the tensor leaves of
/// the differentiated result, then those of the auxiliary result (`has_aux`).
struct FuncTrace {
  let graph: Graph
  /// What `graph` is applied to: the arguments' tensor leaves, then the captured values.
  let operands: [Operand]
  /// For each positional argument, the graph inputs of its tensor leaves.
  let inputsOfArgument: [[Int]]
  /// Graph inputs holding values drawn per example under `vmap(randomness='different')`: batched like the arguments.
  let drawnBatches: Set<Int>
  /// The positional arguments' structures.
  let argumentSpecs: [TreeSpec]
  /// The structure of the differentiated result, and how many tensors it holds (the first graph outputs).
  let outputSpec: TreeSpec
  let outputCount: Int
  /// The auxiliary result's structure and leaves; its tensor leaves are graph outputs (nil placeholders here).
  let auxSpec: TreeSpec?
  let auxLeaves: [Value?]

  /// The differentiated result's structure filled with `values`.
  func output(_ values: [Operand]) -> Value { PyTree.unflatten(outputSpec, values.map { .tensor($0) }) }

  /// The auxiliary result, its tensors taken from `values` (the graph outputs after the differentiated ones).
  func aux(_ values: [Operand]) -> Value {
    guard let auxSpec else { return .none }
    var tensors = values.makeIterator()
    return PyTree.unflatten(auxSpec, auxLeaves.map { $0 ?? .tensor(tensors.next()!) })
  }
}

extension Operand {
  /// A `torch.func` result on the tape (it requires grad) as PyTorch's transform returns it: through a view
  /// named `name` (`ViewBackward0` for a jacobian block, `AliasBackward0` for `jvp`'s outputs), so the node
  /// that computed it keeps its own name. Other values are returned as they are.
  func viewedOnTape(_ name: String) throws -> Operand {
    guard requiresGrad else { return self }
    return try viewed(type.shape).labelled(name)
  }
}

extension Tracer.ExtraInput {
  /// What the graph input is applied to: the captured value, or the whole batch.
  var operand: Operand {
    switch self {
    case .capture(let v): .traced(v)
    case .batched(let batch): .concrete(batch)
    case .taped(let t): .taped(t)
    }
  }
}

extension Interpreter {
  /// Traces `function(*arguments, **keywords)` at the next trace level, tensor leaves of the positional
  /// arguments as inputs (of the type `inputType` gives, the argument's own type by default). `vectorizing`
  /// marks a vmap trace (its values stand for a batch); `randomness` is how random draws in it behave.
  ///
  /// `split` divides the function's result into the differentiated part and the auxiliary part (nil without
  /// `has_aux`); `requireTensors` is the error for a non-tensor leaf in the differentiated part.
  func traceFunc(
    _ function: Value, _ arguments: [Value], keywords: [(name: String, value: Value)] = [],
    vectorizing: Bool = false, randomness: (size: Int, mode: String)? = nil, inputType: (Int, TensorType) throws -> TensorType = { $1 },
    split: (Value) throws -> (Value, Value?), requireTensors: (Value) -> RuntimeFailure
  ) throws -> FuncTrace {
    let location = currentCallLocation
    let tracer = Tracer(parent: funcTraces.last)
    tracer.keepsTapeLinks = true
    tracer.isVectorizing = vectorizing
    var operands: [Operand] = []
    var inputsOfArgument: [[Int]] = []
    var specs: [TreeSpec] = []
    var tracedArguments: [Value] = []
    for argument in arguments {
      let (leaves, spec) = PyTree.flatten(argument)
      var inputs: [Int] = []
      let traced = try leaves.map { leaf -> Value in
        guard case .tensor(let operand, _) = leaf else { return leaf }
        inputs.append(operands.count)
        let input = tracer.input(try inputType(operands.count, operand.type))
        operands.append(operand)
        return .tensor(.traced(input))
      }
      inputsOfArgument.append(inputs)
      specs.append(spec)
      tracedArguments.append(PyTree.unflatten(spec, traced))
    }
    funcTraces.append(tracer)
    if let randomness { vmapTraces.append((tracer, randomness.size, randomness.mode)) }
    tracingDepth += 1
    defer {
      perExampleCaptures[ObjectIdentifier(tracer)] = nil
      funcTraces.removeLast()
      if randomness != nil { vmapTraces.removeLast() }
      tracingDepth -= 1
      currentCallLocation = location
    }
    let result = try call(function, Arguments(tracedArguments, keywords: keywords), at: location)
    currentCallLocation = location
    let (main, aux) = try split(result)
    let (mainLeaves, outputSpec) = PyTree.flatten(main)
    var outputs: [Var] = []
    for leaf in mainLeaves {
      guard case .tensor(let operand, _) = leaf else { throw requireTensors(leaf) }
      outputs.append(try operand.lifted(into: tracer))
    }
    let outputCount = outputs.count
    var auxSpec: TreeSpec?
    var auxLeaves: [Value?] = []
    if let aux {
      let (leaves, spec) = PyTree.flatten(aux)
      auxSpec = spec
      for leaf in leaves {
        if case .tensor(let operand, _) = leaf {
          outputs.append(try operand.lifted(into: tracer))
          auxLeaves.append(nil)
        } else {
          auxLeaves.append(leaf)
        }
      }
    }
    // An identical trace of an earlier call lends its graph, with the transformed graphs and plans kept with it.
    let graph = TraceStore.shared.reuse(TracedFunction(graph: tracer.finish(outputs: outputs), inputsAreTuple: false, outputsAreTuple: false)).graph
    let capturedDraws = perExampleCaptures[ObjectIdentifier(tracer)] ?? []
    let drawn = tracer.extraInputs.indices.filter { k in
      if case .batched = tracer.extraInputs[k] { return true }
      return capturedDraws.contains(k)
    }
    return FuncTrace(
      graph: graph, operands: operands + tracer.extraInputs.map(\.operand), inputsOfArgument: inputsOfArgument,
      drawnBatches: Set(drawn.map { operands.count + $0 }), argumentSpecs: specs, outputSpec: outputSpec,
      outputCount: outputCount, auxSpec: auxSpec, auxLeaves: auxLeaves)
  }
}
