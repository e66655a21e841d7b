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
    let node = recordsNode ? TapeNode(primitive: primitive, arguments: arguments, output: output) : nil
    let result = TapeTensor(value: output, requiresGrad: recordsNode, gradFunction: node)
    if hasTangent, let level = GradMode.dualLevel {
      result.attach(tangent: .concrete(try tangent(of: primitive, arguments, output, tangents)), level: level)
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

  /// Reverse mode from `outputs` with cotangents `seeds` to `inputs` (`autograd.grad`), or to every leaf that
  /// requires grad when `inputs` is nil (`backward`). Gives the tensors differentiated, in order, and their
  /// gradients: tape results when `createGraph`, so they can be differentiated again; nil where an input is unused.
  public static func gradients(
    of outputs: [TapeTensor], seeds: [Tensor], inputs: [TapeTensor]?, retainGraph: Bool, createGraph: Bool
  ) throws -> (inputs: [TapeTensor], gradients: [Operand?], graph: Graph) {
    var slice = TapeSlice(inputs: inputs)
    let roots = try outputs.map { try slice.variable(for: $0) }
    if slice.nodes.contains(where: { $0.released && $0.primitive.savesTensors }) {
      throw EngineError.autograd(
        "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.")
    }
    let graph = slice.tracer.finish(outputs: roots)
    let used = graph.inputs.indices.map { k in
      let depends = graph.dependsOnInput(k)
      return graph.outputs.contains { depends[$0] }
    }
    let reverse = try graph.vjp(seeds: seeds)
    let cotangents = Graph(nodes: reverse.nodes, inputs: reverse.inputs, outputs: Array(reverse.outputs.dropFirst(roots.count)))
    let values: [Operand]
    if createGraph {
      values = try GradMode.with(enabled: true) { try cotangents.replay(slice.leaves.map(Operand.taped)) }
    } else {
      values = try cotangents.evaluate(slice.leaves.map(\.value)).map(Operand.concrete)
    }
    if !retainGraph { for node in slice.nodes { node.released = true } }
    return (slice.leaves, zip(values, used).map { $1 ? $0 : nil }, graph)
  }
}

/// The part of the tape between some outputs and the tensors differentiated, as a trace.
private struct TapeSlice {
  let tracer = Tracer()
  /// The tensors that became graph inputs, in input order.
  private(set) var leaves: [TapeTensor] = []
  /// Every node the slice went through.
  private(set) var nodes: [TapeNode] = []
  private var variables: [ObjectIdentifier: Var] = [:]
  private let stopsAtInputs: Bool

  init(inputs: [TapeTensor]?) {
    stopsAtInputs = inputs != nil
    for input in inputs ?? [] where variables[ObjectIdentifier(input)] == nil {
      variables[ObjectIdentifier(input)] = tracer.input(TensorType(of: input.value))
      leaves.append(input)
    }
  }

  /// The trace value of `tensor`, tracing what made it first (iteratively: tapes can be long chains).
  mutating func variable(for tensor: TapeTensor) throws -> Var {
    var stack: [(TapeTensor, expanded: Bool)] = [(tensor, false)]
    while let (t, expanded) = stack.popLast() {
      if variables[ObjectIdentifier(t)] != nil { continue }
      guard let node = t.gradFunction else {
        if t.requiresGrad && !stopsAtInputs {
          variables[ObjectIdentifier(t)] = tracer.input(TensorType(of: t.value))
          leaves.append(t)
        } else {
          variables[ObjectIdentifier(t)] = tracer.constant(t.value)
        }
        continue
      }
      let taped = node.arguments.compactMap { argument -> TapeTensor? in
        if case .taped(let a) = argument { return a }
        return nil
      }
      if !expanded {
        stack.append((t, true))
        for a in taped.reversed() where variables[ObjectIdentifier(a)] == nil { stack.append((a, false)) }
        continue
      }
      let arguments = node.arguments.map { argument -> Var in
        switch argument {
        case .taped(let a): variables[ObjectIdentifier(a)]!
        case .concrete(let value): tracer.constant(value)
        case .traced: preconditionFailure("a tape never holds traced values")
        }
      }
      nodes.append(node)
      variables[ObjectIdentifier(t)] = try tracer.apply(node.primitive, arguments)
    }
    return variables[ObjectIdentifier(tensor)]!
  }
}

extension Graph {
  /// The graph's outputs computed eagerly on operands, one `Operand.apply` a node: on taped inputs the
  /// computation is recorded on the tape, which is how a gradient with `create_graph=True` gets its `grad_fn`.
  func replay(_ inputs: [Operand]) throws -> [Operand] {
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
