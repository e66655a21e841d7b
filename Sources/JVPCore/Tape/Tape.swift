/// PyTorch's eager autograd over the engine's primitives: recording results on the tape, and reverse mode
/// (`backward`, `autograd.grad`) as the engine's own `Graph.vjp` over the part of the tape that leads to the outputs.
///
/// The tape is turned into a graph (leaves or `inputs` become graph inputs, everything else on the tape an
/// application of its primitive) and the VJP transform runs on it, so the tape uses the primitives' VJP rules and no
/// formulas of its own. Forward-mode tangents are computed eagerly by the JVP rules as each result is recorded.
public enum Tape {
  /// The result of `primitive` on arguments of which some are taped: a node when grad mode records it, a tangent
  /// when an argument carries one in the open dual level, a plain tensor otherwise.
  static func record(_ primitive: any Primitive, _ arguments: [Operand], _ output: Tensor) throws -> Operand {
    let recordsNode = GradMode.isEnabled && arguments.contains { $0.requiresGrad }
    let tangents = arguments.map { argument -> Operand? in
      if case .taped(let t) = argument { return t.tangent }
      return nil
    }
    let hasTangent = GradMode.dualLevel != nil && tangents.contains { $0 != nil }
    guard recordsNode || hasTangent else { return .concrete(output) }
    let node = recordsNode ? TapeNode(primitive: primitive, arguments: arguments) : nil
    let result = TapeTensor(value: output, requiresGrad: recordsNode, gradFunction: node)
    if hasTangent, let level = GradMode.dualLevel {
      result.attach(tangent: .concrete(try tangent(of: primitive, arguments, output, tangents)), level: level)
      if node == nil { result.forwardNode = TapeNode(primitive: primitive, arguments: arguments) }
    }
    return .taped(result)
  }

  /// The output's tangent by the primitive's JVP rule, on constants so the tracer folds it to a value.
  private static func tangent(
    of primitive: any Primitive, _ arguments: [Operand], _ output: Tensor, _ tangents: [Operand?]
  ) throws -> Tensor {
    let tracer = Tracer()
    let primals = arguments.map { tracer.constant($0.concreteValue!) }
    let argumentTangents = try tangents.map { try $0.map { tracer.constant(try $0.value()) } }
    let out = tracer.constant(output)
    guard let t = try primitive.jvp(primals, out, argumentTangents)?.converted(to: output.dtype) else {
      return Tensor(repeating: 0, shape: output.shape, dtype: output.dtype)
    }
    let value = tracer.constantValue(t)!
    return value.shape == output.shape ? value : try Operand.concrete(value).expanded(to: TensorType(of: output)).value()
  }

  /// The computation from `inputs` (duals made in a level) to `outputs`, as a graph: what a forward-AD run's
  /// finite-difference check evaluates.
  public static func forwardGraph(of outputs: [TapeTensor], inputs: [TapeTensor]) throws -> Graph {
    var slice = TapeSlice(inputs: inputs, keepsOtherLeaves: false, followsForwardNodes: true)
    let roots = try outputs.map { try slice.variable(for: $0, at: $0.version) }
    return slice.tracer.finish(outputs: roots)
  }

  /// Reverse mode from `outputs` with cotangents `seeds` to `inputs` (`autograd.grad`), or to every leaf that
  /// requires grad when `inputs` is nil (`backward`, which also fills results that `retain_grad()`). Gives the
  /// tensors differentiated, in order, and their gradients: tape results when `createGraph`, so they can be
  /// differentiated again; nil where an input is unused.
  public static func gradients(
    of outputs: [TapeTensor], seeds: [Tensor], inputs: [TapeTensor]?, retainGraph: Bool, createGraph: Bool
  ) throws -> TapeGradients {
    let (slice, graph, used) = try sliced(outputs, inputs: inputs, keepsOtherLeaves: createGraph)
    let roots = graph.outputs
    let reverse = try graph.vjp(seeds: seeds, simplifies: !createGraph)
    let cotangents = Graph(nodes: reverse.nodes, inputs: reverse.inputs, outputs: Array(reverse.outputs.dropFirst(roots.count)))
    let arguments = slice.graphInputs.map { input -> Operand in
      input.role == .retainedZero ? .concrete(zeros(like: input.tensor.value)) : .taped(input.tensor)
    }
    let values: [Operand]
    if createGraph {
      values = try GradMode.with(enabled: true) { try cotangents.replay(arguments) }
    } else {
      values = try cotangents.evaluate(arguments.map { $0.concreteValue! }).map(Operand.concrete)
    }
    if !retainGraph { for node in slice.nodes { node.released = true } }
    let origins = Set(slice.nodes.compactMap(\.origin)).sorted()
    var result = TapeGradients(inputs: [], gradients: [], retained: [], graph: graph, origins: origins)
    for (input, (value, isUsed)) in zip(slice.graphInputs, zip(values, used)) {
      switch input.role {
      case .retainedZero: result.retained.append((input.tensor, isUsed ? value : nil))
      case .differentiated:
        result.inputs.append(input.tensor)
        result.gradients.append(isUsed ? value : nil)
      case .passedThrough: break
      }
    }
    return result
  }

  /// Zeros of `value`'s shape and dtype. Kept out of line: inlined into `gradients`, Swift 6.3.1's release
  /// optimiser (CopyPropagation) crashes on the borrow of `value`.
  @inline(never)
  private static func zeros(like value: Tensor) -> Tensor {
    Tensor(repeating: 0, shape: value.shape, dtype: value.dtype)
  }

  /// Reverse mode whose cotangents live in a trace (`torch.vmap` over a function that calls `autograd.grad` on
  /// a graph built outside it): the pass is inlined into that trace with the tape's values as constants, so the
  /// enclosing transform batches it as any traced computation. One gradient per input, nil where unused.
  public static func tracedGradients(
    of outputs: [TapeTensor], seeds: [Operand], inputs: [TapeTensor], retainGraph: Bool
  ) throws -> [Operand?] {
    let (slice, graph, used) = try sliced(outputs, inputs: inputs, keepsOtherLeaves: false)
    let reverse = try graph.vjp()
    let cotangents = reverse.selecting(Array(graph.outputs.count..<reverse.outputs.count))
    let values = try cotangents.apply(to: slice.graphInputs.map { .concrete($0.tensor.value) } + seeds)
    if !retainGraph { for node in slice.nodes { node.released = true } }
    return inputs.map { input in
      let k = slice.graphInputs.firstIndex { $0.tensor === input }!
      return used[k] ? values[k] : nil
    }
  }

  /// The tape between `outputs` and `inputs` as a graph, refused when a pass already freed it or a saved tensor
  /// was written since, with whether each graph input reaches an output.
  private static func sliced(
    _ outputs: [TapeTensor], inputs: [TapeTensor]?, keepsOtherLeaves: Bool
  ) throws -> (TapeSlice, Graph, used: [Bool]) {
    var slice = TapeSlice(inputs: inputs, keepsOtherLeaves: keepsOtherLeaves, followsForwardNodes: false)
    let roots = try outputs.map { try slice.variable(for: $0, at: $0.version) }
    if slice.nodes.contains(where: { $0.released && $0.primitive.savesTensors }) {
      throw EngineError.autograd(
        "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.")
    }
    for node in slice.nodes { try node.checkSavedVersions() }
    let graph = slice.tracer.finish(outputs: roots)
    let used = graph.inputs.indices.map { k in
      let depends = graph.dependsOnInput(k)
      return graph.outputs.contains { depends[$0] }
    }
    return (slice, graph, used)
  }
}

/// What a reverse pass over the tape found: the tensors differentiated and their gradients (nil where unused),
/// the results that retain their grad with theirs, the traced graph (for the run's checks) and where its nodes
/// were recorded.
public struct TapeGradients {
  public internal(set) var inputs: [TapeTensor]
  public internal(set) var gradients: [Operand?]
  public internal(set) var retained: [(tensor: TapeTensor, gradient: Operand?)]
  public let graph: Graph
  /// The `GradMode.origin` tags of the nodes the pass went through, in order.
  public let origins: [Int]

  public init(
    inputs: [TapeTensor], gradients: [Operand?], retained: [(tensor: TapeTensor, gradient: Operand?)] = [], graph: Graph, origins: [Int]
  ) {
    self.inputs = inputs
    self.gradients = gradients
    self.retained = retained
    self.graph = graph
    self.origins = origins
  }
}

/// The part of the tape between some outputs and the tensors differentiated, as a trace.
///
/// A tensor written in place is traced at the version each node used: nodes recorded before the write see
/// the node that made it then. A result that retains its grad gets a zero added from a graph input of its own,
/// whose gradient is the result's. With `create_graph`, other leaves that require grad are inputs too (passed
/// through), so the gradients replayed on the tape keep their dependence on them, as PyTorch's do.
private struct TapeSlice {
  private struct Key: Hashable {
    let tensor: ObjectIdentifier
    let version: Int
  }

  enum Role { case differentiated, retainedZero, passedThrough }

  let tracer = Tracer()
  /// The graph's inputs in order: the tensors differentiated, the zero added to each result that retains its
  /// grad, and the leaves passed through.
  private(set) var graphInputs: [(tensor: TapeTensor, role: Role)] = []
  /// Every node the slice went through.
  private(set) var nodes: [TapeNode] = []
  private var inputVariables: [ObjectIdentifier: Var] = [:]
  private var variables: [Key: Var] = [:]
  private let stopsAtInputs: Bool
  private let keepsOtherLeaves: Bool
  /// Whether results computed from duals are traced through their `forwardNode` too.
  private let followsForwardNodes: Bool

  init(inputs: [TapeTensor]?, keepsOtherLeaves: Bool, followsForwardNodes: Bool) {
    stopsAtInputs = inputs != nil
    self.keepsOtherLeaves = keepsOtherLeaves
    self.followsForwardNodes = followsForwardNodes
    for input in inputs ?? [] where inputVariables[ObjectIdentifier(input)] == nil {
      inputVariables[ObjectIdentifier(input)] = tracer.input(TensorType(of: input.value))
      graphInputs.append((input, .differentiated))
    }
  }

  /// The trace value of `tensor` as it was at `version`, if already traced.
  private func known(_ tensor: TapeTensor, at version: Int) -> Var? {
    if let input = inputVariables[ObjectIdentifier(tensor)], version == tensor.version || tensor.gradFunction(at: version) == nil {
      return input
    }
    return variables[Key(tensor: ObjectIdentifier(tensor), version: version)]
  }

  /// The trace value of `tensor` at `version`, tracing what made it first (iteratively: tapes can be long chains).
  mutating func variable(for tensor: TapeTensor, at version: Int) throws -> Var {
    var stack: [(TapeTensor, Int, expanded: Bool)] = [(tensor, version, false)]
    while let (t, v, expanded) = stack.popLast() {
      if known(t, at: v) != nil { continue }
      let key = Key(tensor: ObjectIdentifier(t), version: v)
      guard let node = t.gradFunction(at: v) ?? (followsForwardNodes && v == t.version ? t.forwardNode : nil) else {
        if t.requiresGrad && (!stopsAtInputs || keepsOtherLeaves) {
          inputVariables[ObjectIdentifier(t)] = tracer.input(TensorType(of: t.value))
          graphInputs.append((t, stopsAtInputs ? .passedThrough : .differentiated))
        } else {
          variables[key] = tracer.constant(t.value)
        }
        continue
      }
      let taped = zip(node.arguments, node.argumentVersions).compactMap { argument, version -> (TapeTensor, Int)? in
        if case .taped(let a) = argument { return (a, version) }
        return nil
      }
      if !expanded {
        stack.append((t, v, true))
        for (a, av) in taped.reversed() where known(a, at: av) == nil { stack.append((a, av, false)) }
        continue
      }
      let arguments = zip(node.arguments, node.argumentVersions).map { argument, version -> Var in
        switch argument {
        case .taped(let a): known(a, at: version)!
        case .concrete(let value): tracer.constant(value)
        case .traced: preconditionFailure("a tape never holds traced values")
        }
      }
      nodes.append(node)
      var result = try tracer.apply(node.primitive, arguments)
      if t.retainsGrad && v == t.version && !stopsAtInputs {
        let zero = tracer.input(TensorType(of: t.value))
        graphInputs.append((t, .retainedZero))
        result = try result + zero
      }
      variables[key] = result
    }
    return known(tensor, at: version)!
  }
}

extension Graph {
  /// The graph's outputs computed eagerly on operands, one `Operand.apply` a node: on taped inputs the
  /// computation is recorded on the tape, which is how a gradient with `create_graph=True` gets its `grad_fn`.
  public func replay(_ inputs: [Operand]) throws -> [Operand] {
    let live = liveNodes()
    var values = [Operand?](repeating: nil, count: nodes.count)
    for (id, node) in nodes.enumerated() where live[id] {
      switch node.kind {
      case .input(let k): values[id] = inputs[k]
      case .constant(let tensor): values[id] = .concrete(tensor)
      case .apply(let primitive, let args): values[id] = try Operand.apply(primitive, args.map { values[$0]! })
      }
    }
    return outputs.map { values[$0]! }
  }
}
