import JVPCore

/// `vmap(func, in_dims, out_dims, randomness, chunk_size=)` applied to arguments: the function is traced once
/// on one example (batched dims removed), the graph is batched with each primitive's batching rule
/// (`Graph.batched`), and run on the arguments with their batched dims moved to the front.
enum VmapCall {
  struct Options {
    var inDims: Value
    var outDims: Value
    var randomness: String
    var chunkSize: Int?
  }

  static let randomnessError = RuntimeFailure(
    "vmap: called random operation while in randomness error mode. Please either use the 'same' or 'different' randomness flags on vmap or perform the randomness operation out of vmap")

  static func apply(_ transformed: TransformedFunction, _ interpreter: Interpreter, _ arguments: Arguments) throws -> Value {
    let options = transformed.vmapOptions!
    let name = functionName(transformed.function)
    let positional = arguments.positional
    let dims = try leafDims(options.inDims, positional, name)
    let leaves = PyTree.flatten(.tuple(positional)).leaves
    var size: Int?
    var sizes: [Int] = []
    var moved: [Int: Operand] = [:]
    for (leaf, dim) in zip(leaves, dims) {
      guard let dim else { continue }
      guard case .tensor(let operand, _) = leaf else {
        throw RuntimeFailure(
          "vmap(\(name), in_dims=\(Display.repr(options.inDims)), ...)(<inputs>): Got in_dim=\(dim) for an input but the input is of type <class '\(leaf.typeName)'>. We cannot vmap over non-Tensor arguments, please use None as the respective in_dim",
          type: "ValueError")
      }
      let rank = operand.type.rank
      guard dim >= -rank && dim < rank else {
        throw RuntimeFailure(
          "vmap(\(name), in_dims=\(Display.repr(options.inDims)), ...)(<inputs>): Got in_dim=\(dim) for some input, but that input is a Tensor of dimensionality \(rank) so expected in_dim to satisfy -\(rank) <= in_dim < \(rank).",
          type: "ValueError")
      }
      let d = dim < 0 ? dim + rank : dim
      sizes.append(operand.type.shape[d])
      size = size ?? operand.type.shape[d]
      moved[sizes.count - 1] = try operand.movedim(d, to: 0)
    }
    guard let size else { throw RuntimeFailure("vmap: Expected at least one Tensor to vmap over", type: "ValueError") }
    if sizes.contains(where: { $0 != size }) {
      throw RuntimeFailure(
        "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes \(sizes) for the mapped dimension",
        type: "ValueError")
    }
    // Tensor leaves in order: the batched ones moved, the others as they are; which graph inputs are batched.
    var batchedInputs = Set<Int>()
    var batchedOrdinal = 0
    var tensorOrdinal = 0
    var tensorLeaves: [Value] = []
    for (leaf, dim) in zip(leaves, dims) {
      guard case .tensor = leaf else {
        tensorLeaves.append(leaf)
        continue
      }
      if dim != nil {
        batchedInputs.insert(tensorOrdinal)
        tensorLeaves.append(.tensor(moved[batchedOrdinal]!))
        batchedOrdinal += 1
      } else {
        tensorLeaves.append(leaf)
      }
      tensorOrdinal += 1
    }
    let (_, argumentsSpec) = PyTree.flatten(.tuple(positional))
    guard case .tuple(let rebuilt) = PyTree.unflatten(argumentsSpec, tensorLeaves) else { preconditionFailure("arguments are a tuple") }

    let trace = try interpreter.traceFunc(
      transformed.function, rebuilt, keywords: arguments.keywords, vectorizing: true, randomness: (size, options.randomness),
      inputType: { k, type in batchedInputs.contains(k) ? TensorType(shape: Array(type.shape.dropFirst()), dtype: type.dtype) : type },
      split: { ($0, nil) },
      requireTensors: { leaf in
        RuntimeFailure(
          "vmap(\(name), ...): `\(name)` must only return Tensors, got type <class '\(leaf.typeName)'>. Did you mean to set out_dims= to None for output?",
          type: "ValueError")
      })
    batchedInputs.formUnion(trace.drawnBatches)
    let chunk = max(1, min(options.chunkSize ?? size, size))
    let outputs = try interpreter.measured {
      var pieces: [[Operand]] = []
      for start in stride(from: 0, to: size, by: chunk) {
        let count = min(chunk, size - start)
        let batched = try trace.graph.batched(batchedInputs, size: count)
        let operands = try trace.operands.enumerated().map { k, operand in
          count == size || !batchedInputs.contains(k) ? operand : try operand.slice(dim: 0, start: start, stop: start + count)
        }
        pieces.append(try batched.apply(to: operands))
      }
      return try (0..<trace.outputCount).map { p in
        pieces.count == 1 ? pieces[0][p] : try Operand.cat(pieces.map { $0[p] }, dim: 0)
      }
    }
    let outDims = try leafDims(options.outDims, trace.outputSpec, count: outputs.count, name)
    let batchedOutputs = trace.graph.outputsDepend(on: batchedInputs)
    let placed = try zip(outputs, outDims).enumerated().map { k, pair -> Operand in
      let (output, dim) = pair
      guard let dim else {
        guard !batchedOutputs[k] else {
          throw RuntimeFailure("vmap(\(name), ...): `\(name)` can not return a BatchedTensor when out_dim is None", type: "ValueError")
        }
        return try output.select(dim: 0, index: 0)
      }
      return try output.movedim(0, to: dim < 0 ? dim + output.type.rank : dim)
    }
    return trace.output(placed)
  }

  /// The function's name as vmap's errors show it.
  static func functionName(_ function: Value) -> String {
    switch function {
    case .function(let user): user.name
    case .builtin(let builtin): builtin.name
    default: function.typeName
    }
  }

  /// `in_dims` for each leaf of the arguments: an int or None for all, or a tuple matching the arguments,
  /// each entry an int, None, or a tree matching that argument.
  static func leafDims(_ dims: Value, _ positional: [Value], _ name: String) throws -> [Int?] {
    let (_, spec) = PyTree.flatten(.tuple(positional))
    let inputs = spec
    func mismatch(_ given: TreeSpec) -> RuntimeFailure {
      RuntimeFailure(
        "vmap(\(name), in_dims=\(Display.repr(dims)), ...)(<inputs>): in_dims is not compatible with the structure of `inputs`. in_dims has structure \(given.torchDescription) but inputs has structure \(inputs.torchDescription).",
        type: "ValueError")
    }
    switch dims {
    case .int, .none: return try broadcast(dims, over: spec, name)
    case .tuple(let items):
      guard items.count == positional.count else { throw mismatch(PyTree.flatten(dims).spec) }
      return try zip(items, positional).flatMap { item, argument in
        try broadcast(item, over: PyTree.flatten(argument).spec, name, onMismatch: { mismatch(PyTree.flatten(dims).spec) })
      }
    default:
      throw RuntimeFailure(
        "vmap(\(name), in_dims=\(Display.repr(dims)), ...)(<inputs>): expected `in_dims` to be int or a (potentially nested) tuple matching the structure of inputs, got: <class '\(dims.typeName)'>.",
        type: "ValueError")
    }
  }

  /// `out_dims` for each output leaf: an int or None for all, or a tree matching the output.
  static func leafDims(_ dims: Value, _ spec: TreeSpec, count: Int, _ name: String) throws -> [Int?] {
    try broadcast(dims, over: spec, name)
  }

  /// A dims tree matched against a value's structure: an int or None covers a whole subtree.
  private static func broadcast(
    _ dims: Value, over spec: TreeSpec, _ name: String, onMismatch: (() throws -> RuntimeFailure)? = nil
  ) throws -> [Int?] {
    switch dims {
    case .int(let d): return [Int?](repeating: d, count: spec.leafCount)
    case .none: return [Int?](repeating: nil, count: spec.leafCount)
    default:
      let (dimLeaves, dimSpec) = PyTree.flatten(dims)
      guard dimSpec.matches(spec) || prefixMatches(dimSpec, spec) else {
        throw try onMismatch?() ?? RuntimeFailure("vmap(\(name), ...): out_dims is not compatible with the structure of the outputs", type: "ValueError")
      }
      if dimSpec.matches(spec) {
        return try dimLeaves.map { leaf in
          switch leaf {
          case .int(let d): return d
          case .none: return nil
          default: throw RuntimeFailure("vmap(\(name), ...): in_dims and out_dims must be ints, None or trees of them", type: "ValueError")
          }
        }
      }
      return try children(dims).enumerated().flatMap { i, child in
        try broadcast(child, over: childSpecs(spec)[i], name, onMismatch: onMismatch)
      }
    }
  }

  /// Whether `dims` has the same top node as `spec` (its children may be ints or None covering subtrees).
  private static func prefixMatches(_ dims: TreeSpec, _ spec: TreeSpec) -> Bool {
    switch (dims, spec) {
    case (.tuple(let a), .tuple(let b)), (.list(let a), .list(let b)), (.dict(_, let a), .dict(_, let b)): a.count == b.count
    default: false
    }
  }

  private static func children(_ value: Value) throws -> [Value] {
    switch value {
    case .tuple(let items): return items
    case .list(let list): return list.items
    case .object(let dict as DictObject): return Array(dict.values)
    default: return []
    }
  }

  private static func childSpecs(_ spec: TreeSpec) -> [TreeSpec] {
    switch spec {
    case .tuple(let c), .list(let c), .dict(_, let c), .namedTuple(_, _, _, let c): c
    default: []
    }
  }
}

extension Interpreter {
  /// A random tensor of `shape` drawn by `draw`, with the `randomness` of the `vmap` (and `jacfwd`) levels open,
  /// as PyTorch's levels pass a random op outwards: `'error'` at any level is PyTorch's error; a `'same'`
  /// level adds nothing; each `'different'` level adds its batch size, outermost first, to one draw of
  /// `[sizes] + shape` (outside vmap, or with only `'same'` levels: one draw of `shape`). The draw enters the
  /// outermost `'different'` trace as a batched input, and each inner one as a capture batched there too.
  func vmapRandom(_ shape: [Int], _ draw: ([Int]) throws -> Value) throws -> Value {
    if vmapTraces.contains(where: { $0.randomness == "error" }) { throw VmapCall.randomnessError }
    let different = vmapTraces.filter { $0.randomness == "different" }
    guard let outermost = different.first else { return try draw(shape) }
    guard case .tensor(let operand, let origin) = try draw(different.map(\.size) + shape), let batch = operand.concreteValue else {
      preconditionFailure("a random draw is a concrete tensor")
    }
    var example = outermost.tracer.batchedInput(batch)
    for level in different.dropFirst() {
      example = try level.tracer.batchedCapture(example)
      perExampleCaptures[ObjectIdentifier(level.tracer), default: []].insert(level.tracer.extraInputs.count - 1)
    }
    return .tensor(.traced(try funcTraces.last!.lift(example)), origin: origin)
  }
}
