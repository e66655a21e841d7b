import JVPCore

/// What a `torch.func` transform returns: a callable wrapping `function`, itself transformable again.
///
/// Each call traces `function` once at the next trace level, builds the transformed graph with the engine's
/// graph transforms (`FuncGraphs`, `Graph.batched`), and applies it: evaluated at the top level, inlined into
/// the enclosing trace when called inside another transform.
final class TransformedFunction: ScriptObject {
  enum Kind: String {
    case grad
    case gradAndValue = "grad_and_value"
    case jacrev, jacfwd, hessian, vmap
  }

  let kind: Kind
  let function: Value
  let argnums: Argnums
  let hasAux: Bool
  let chunkSize: Int?
  /// `jacfwd`'s `randomness` (it maps over the basis as `vmap` does): `'error'`, `'different'` or `'same'`.
  let randomness: String
  let vmapOptions: VmapCall.Options?
  /// The transform as the user wrote it (`jacrev(predict, argnums=2)`), recorded as the run's `transform`.
  let spelling: String

  init(_ kind: Kind, function: Value, argnums: Argnums = .single(0), hasAux: Bool = false, chunkSize: Int? = nil,
       randomness: String = "error", vmapOptions: VmapCall.Options? = nil, spelling: String) {
    self.randomness = randomness
    self.kind = kind
    self.function = function
    self.argnums = argnums
    self.hasAux = hasAux
    self.chunkSize = chunkSize
    self.vmapOptions = vmapOptions
    self.spelling = spelling
  }

  var typeName: String { "function" }
  func repr() -> String {
    let name = kind == .vmap ? "vmap_impl.<locals>.wrapped" : "\(kind.rawValue).<locals>.wrapper"
    return "<function \(name) at \(Display.address(of: spelling))>"
  }

  func call(_ interpreter: Interpreter, _ arguments: Arguments) throws -> Value {
    try interpreter.recordingFunc(
      RunKind(rawValue: kind.rawValue)!, spelling, function: function, arguments: arguments.positional, madeBy: madeFunction?.madeBy
    ) {
      switch kind {
      case .vmap: try VmapCall.apply(self, interpreter, arguments)
      default: try differentiate(interpreter, arguments)
      }
    }
  }

  /// The `vjp_fn` or `jvp_fn` this transform applies to under any transforms and partials (`vmap(vjp_fn)`):
  /// its run is linked to the run that made the function, from which replay rebuilds it.
  var madeFunction: LinearFunction? {
    var next: Value? = function
    while let value = next {
      switch value {
      case .object(let transformed as TransformedFunction): next = transformed.function
      case .object(let partial as PartialObject): next = partial.function
      case .object(let linear as LinearFunction): return linear
      default: next = nil
      }
    }
    return nil
  }

  /// `grad`, `grad_and_value`, `jacrev`, `jacfwd`, `hessian` applied to `arguments`.
  private func differentiate(_ interpreter: Interpreter, _ arguments: Arguments) throws -> Value {
    let positional = arguments.positional
    for argnum in argnums.values where argnum >= positional.count || argnum < -positional.count {
      throw RuntimeFailure("Got argnum=\(argnum), but only \(positional.count) positional inputs")
    }
    let isGrad = kind == .grad || kind == .gradAndValue
    let caller = isGrad ? "grad_and_value(f)(*args)" : "vjp(f, *primals)"
    let argumentIndices = argnums.values.map { $0 < 0 ? $0 + positional.count : $0 }
    // jacfwd (and hessian, jacfwd(jacrev) with randomness 'error') maps over the basis as vmap does: random
    // draws in it follow its `randomness`, with vmap's error;
    // with 'different' one per column of the basis (as many as the differentiated inputs have elements).
    let columns = argumentIndices.flatMap { PyTree.flattenLeaves(positional[$0]) }.reduce(0) { count, leaf in
      if case .tensor(let operand, _) = leaf { return count + operand.type.count }
      return count
    }
    let trace = try interpreter.traceFunc(
      function, positional, keywords: arguments.keywords, randomness: kind == .jacfwd || kind == .hessian ? (columns, randomness) : nil,
      split: { result in
        guard hasAux else { return (result, nil) }
        guard case .tuple(let items) = result, items.count == 2 else {
          throw RuntimeFailure("\(caller): output of function f should be a tuple: (output, aux) if has_aux is True")
        }
        return (items[0], items[1])
      },
      requireTensors: { leaf in
        if isGrad { return RuntimeFailure("grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got <class '\(leaf.typeName)'>") }
        return LinearizedCalls.unsupported(leaf, kind == .jacfwd ? "jvp(f, primals, tangents)" : "vjp(f, *primals)")
      })
    let wrt = argumentIndices.flatMap { trace.inputsOfArgument[$0] }
    for k in wrt where !trace.operands[k].type.dtype.isFloatingPoint {
      throw RuntimeFailure("only Tensors of floating point dtype can require gradients")
    }
    let n = trace.outputCount
    /// Values per differentiated input rebuilt into the argnums structure: an argument's tree, or a tuple of them.
    func byArgument(_ values: [Value]) -> Value {
      var iterator = values.makeIterator()
      let trees = argumentIndices.map { a in
        let (leaves, spec) = PyTree.flatten(positional[a])
        return PyTree.unflatten(spec, leaves.map { leaf in
          if case .tensor = leaf { return iterator.next()! }
          return leaf
        })
      }
      return argnums.isTuple ? .tuple(trees) : trees[0]
    }

    switch kind {
    case .grad, .gradAndValue:
      let type = trace.graph.outputTypes.first
      guard n == 1, let type, type.rank == 0 else {
        let dims = type?.rank ?? 0
        throw RuntimeFailure(
          "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with \(dims) dims. Maybe you wanted to use the vjp or jacrev APIs instead?")
      }
      let results = try interpreter.measured { try FuncGraphs.gradAndValue(trace.graph, wrt: wrt).apply(to: trace.operands) }
      interpreter.funcCheck { seed in
        try FuncChecks.jacobian(
          FuncChecks.outputs(trace.graph, 1), at: trace.operands, wrt: wrt, blocks: [Array(results.prefix(wrt.count))], seed: seed)
      }
      let gradient = byArgument(results.prefix(wrt.count).map { .tensor($0) })
      let value = Value.tensor(results[wrt.count])
      let aux = trace.aux(Array(results.dropFirst(wrt.count + 1)))
      if kind == .grad { return hasAux ? .tuple([gradient, aux]) : gradient }
      return .tuple([gradient, hasAux ? .tuple([value, aux]) : value])
    default:
      let results = try interpreter.measured {
        let graph = switch kind {
        case .jacrev: try FuncGraphs.jacrev(trace.graph, differentiated: n, wrt: wrt, chunk: chunkSize)
        case .jacfwd: try FuncGraphs.jacfwd(trace.graph, differentiated: n, wrt: wrt, chunk: chunkSize, perColumn: trace.drawnBatches)
        default: try FuncGraphs.hessian(trace.graph, differentiated: n, wrt: wrt)
        }
        return try graph.apply(to: trace.operands)
      }
      let blocks = kind == .hessian ? n * wrt.count * wrt.count : n * wrt.count
      // J·u against the differentiated outputs' finite difference; for the hessian, wᵀH·u against the finite
      // difference of the gradient of wᵀf. Columns drawn apart (randomness='different') are no one function's
      // derivative: nothing to check.
      if trace.drawnBatches.isEmpty {
        interpreter.funcCheck { seed in
          let rows = kind == .hessian ? n * wrt.count : n
          let blockRows = (0..<rows).map { r in Array(results[(r * wrt.count)..<((r + 1) * wrt.count)]) }
          if kind == .hessian {
            return try FuncChecks.hessian(trace.graph, differentiated: n, at: trace.operands, wrt: wrt, blocks: blockRows, seed: seed)
          }
          return try FuncChecks.jacobian(FuncChecks.outputs(trace.graph, n), at: trace.operands, wrt: wrt, blocks: blockRows, seed: seed)
        }
      }
      var next = try results.prefix(blocks).map { try $0.viewedOnTape("ViewBackward0") }.makeIterator()
      let perOutput = (0..<n).map { _ -> Value in
        let row = { byArgument(wrt.map { _ in .tensor(next.next()!) }) }
        return kind == .hessian ? byArgument(wrt.map { _ in row() }) : row()
      }
      let jacobian = PyTree.unflatten(trace.outputSpec, perOutput)
      return hasAux ? .tuple([jacobian, trace.aux(Array(results.dropFirst(blocks)))]) : jacobian
    }
  }
}

/// `argnums`: one position or a tuple of them (the result is then a tuple, one entry per position).
enum Argnums {
  case single(Int)
  case tuple([Int])

  var values: [Int] {
    switch self {
    case .single(let i): [i]
    case .tuple(let items): items
    }
  }

  var isTuple: Bool { if case .tuple = self { true } else { false } }

  static func parse(_ value: Value?, _ function: String) throws -> Argnums {
    switch value {
    case nil: return .single(0)
    case .int(let i)?: return .single(i)
    case .tuple(let items)? where !items.isEmpty:
      return .tuple(try items.map { item in
        guard case .int(let i) = item else {
          throw RuntimeFailure("\(function): argnums must be int or Tuple[int, ...], got: <class '\(item.typeName)'>")
        }
        return i
      })
    case .tuple?: throw RuntimeFailure("\(function): argnums must be non-empty")
    case let other?: throw RuntimeFailure("\(function): argnums must be int or Tuple[int, ...], got: <class '\(other.typeName)'>")
    }
  }
}
