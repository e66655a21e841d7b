/// The graphs behind `torch.func`'s transforms, each built from a function graph by the engine's graph
/// transforms (`jvp`, `vjp`, `batched`): nothing is evaluated here, so the results can be transformed again
/// (`jacfwd(jacrev(f))`), batched (`vmap(grad(f))`) or inlined into an enclosing trace.
///
/// A function graph's first `n` outputs are the differentiated ones; any further outputs are `has_aux`'s
/// auxiliary values, passed through unchanged after the results. `wrt` lists the differentiated inputs.
/// Every graph built here keeps the function graph's inputs, except where extra vector inputs are named.
/// Each is built once per function graph and kept with it (`Graph.derived`): an identical trace of a later
/// call (`TraceStore`) finds it built, with its execution plans.
public enum FuncGraphs {
  /// `grad_and_value`: the gradient of the single output for each `wrt` input, then the output, then the aux outputs.
  public static func gradAndValue(_ g: Graph, wrt: [Int]) throws -> Graph {
    try g.derived("func.grad_and_value \(wrt)") { try buildGradAndValue(g, wrt: wrt) }
  }

  private static func buildGradAndValue(_ g: Graph, wrt: [Int]) throws -> Graph {
    let type = g.outputTypes[0]
    let full = try g.selecting([0]).vjp(wrt: wrt, seeds: [Tensor(repeating: 1, shape: type.shape, dtype: type.dtype)])
    return try assemble(g, n: 1) { tracer, inputs in
      let results = try full.inline(into: tracer, inputs)
      return Array(results.dropFirst()) + [results[0]]
    }
  }

  /// `vjp`: inputs, then one cotangent per differentiated output -> the outputs, then one cotangent per `wrt` input.
  public static func vjp(_ g: Graph, differentiated n: Int, wrt: [Int]) throws -> Graph {
    try g.derived("func.vjp \(n) \(wrt)") { try g.selecting(Array(0..<n)).vjp(wrt: wrt) }
  }

  /// `jvp`: inputs, then one tangent per `wrt` input -> the outputs, their tangents, then the aux outputs.
  public static func jvp(_ g: Graph, differentiated n: Int, wrt: [Int]) throws -> Graph {
    try g.derived("func.jvp \(n) \(wrt)") { try buildJVP(g, differentiated: n, wrt: wrt) }
  }

  private static func buildJVP(_ g: Graph, differentiated n: Int, wrt: [Int]) throws -> Graph {
    let forward = try g.selecting(Array(0..<n)).jvp(wrt: wrt)
    let tracer = Tracer()
    let inputs = g.inputTypes.map { tracer.input($0) }
    let tangents = wrt.map { tracer.input(g.inputTypes[$0]) }
    let results = try forward.inline(into: tracer, inputs + tangents)
    let aux = try g.selecting(Array(n..<g.outputs.count)).inline(into: tracer, inputs)
    return tracer.finish(outputs: results + aux)
  }

  /// `jacrev`: reverse mode vectorized over the rows of the identity (`vmap(vjp)`), `chunk` rows at a time.
  /// Outputs: the block of output `i` by input `wrt[j]` (shape `out_i + in_j`), `i` major, then the aux outputs.
  public static func jacrev(_ g: Graph, differentiated n: Int, wrt: [Int], chunk: Int? = nil) throws -> Graph {
    try g.derived("func.jacrev \(n) \(wrt) \(chunk ?? 0)") { try buildJacrev(g, differentiated: n, wrt: wrt, chunk: chunk) }
  }

  private static func buildJacrev(_ g: Graph, differentiated n: Int, wrt: [Int], chunk: Int?) throws -> Graph {
    let outTypes = Array(g.outputTypes.prefix(n))
    let inTypes = wrt.map { g.inputTypes[$0] }
    let linear = try vjp(g, differentiated: n, wrt: wrt).selecting(Array(n..<(n + wrt.count)))
    let vectorInputs = Set(g.inputs.count..<(g.inputs.count + n))
    return try assemble(g, n: n) { tracer, inputs in
      let rows = try sweeps(linear, vectorInputs, vectorTypes: outTypes, chunk: chunk, tracer, inputs)
      let offsets = outTypes.reduce(into: [0]) { $0.append($0.last! + $1.count) }
      return try outTypes.enumerated().flatMap { i, o in
        try inTypes.enumerated().map { j, t in
          try block(rows[j], offsets[i], offsets[i + 1]).reshape(o.shape + t.shape)
        }
      }
    }
  }

  /// `jacfwd`: forward mode vectorized over the columns of the identity (`vmap(jvp)`); the same blocks as `jacrev`.
  /// The inputs at `perColumn` hold one value per column along a new leading dim (random draws under
  /// `randomness='different'`): each column's product sees its own, the aux outputs the first, as PyTorch's.
  public static func jacfwd(_ g: Graph, differentiated n: Int, wrt: [Int], chunk: Int? = nil, perColumn: Set<Int> = []) throws -> Graph {
    try g.derived("func.jacfwd \(n) \(wrt) \(chunk ?? 0) \(perColumn.sorted())") {
      try buildJacfwd(g, differentiated: n, wrt: wrt, chunk: chunk, perColumn: perColumn)
    }
  }

  private static func buildJacfwd(_ g: Graph, differentiated n: Int, wrt: [Int], chunk: Int?, perColumn: Set<Int>) throws -> Graph {
    let outTypes = Array(g.outputTypes.prefix(n))
    let inTypes = wrt.map { g.inputTypes[$0] }
    let linear = try g.selecting(Array(0..<n)).jvp(wrt: wrt).selecting(Array(n..<(2 * n)))
    let vectorInputs = Set(g.inputs.count..<(g.inputs.count + wrt.count))
    let columnCount = inTypes.reduce(0) { $0 + $1.count }
    return try assemble(g, n: n, perColumn: perColumn, columns: columnCount) { tracer, inputs in
      let columns = try sweeps(linear, vectorInputs, vectorTypes: inTypes, chunk: chunk, perColumn: perColumn, tracer, inputs)
      let offsets = inTypes.reduce(into: [0]) { $0.append($0.last! + $1.count) }
      return try outTypes.enumerated().flatMap { i, o in
        try inTypes.enumerated().map { j, t in
          try block(columns[i], offsets[j], offsets[j + 1]).reshape([t.count, o.count])
            .transpose(0, 1).reshape(o.shape + t.shape)
        }
      }
    }
  }

  /// `hessian`: `jacfwd(jacrev(f))` of the first `n` outputs: block `(i, j, k)` is `out_i + in_j + in_k`, in
  /// that order (aux outputs are dropped).
  public static func hessian(_ g: Graph, differentiated n: Int = 1, wrt: [Int]) throws -> Graph {
    try g.derived("func.hessian \(n) \(wrt)") {
      let jacobian = try jacrev(g.selecting(Array(0..<n)), differentiated: n, wrt: wrt)
      return try jacfwd(jacobian, differentiated: n * wrt.count, wrt: wrt)
    }
  }

  /// Rows `start..<stop` of a stacked sweep: the sweep itself when they are all of it (one block), so no
  /// slice copies it.
  private static func block(_ stacked: Var, _ start: Int, _ stop: Int) throws -> Var {
    start == 0 && stop == stacked.shape[0] ? stacked : try stacked.slice(dim: 0, start: start, stop: stop)
  }

  /// A graph with `g`'s inputs whose outputs are `body`'s results followed by `g`'s aux outputs (those
  /// after its first `n`). The inputs at `perColumn` take a leading dim of `columns` values; the aux outputs see the first.
  private static func assemble(
    _ g: Graph, n: Int, perColumn: Set<Int> = [], columns: Int = 0, _ body: (Tracer, [Var]) throws -> [Var]
  ) throws -> Graph {
    let tracer = Tracer()
    let inputs = g.inputTypes.enumerated().map { k, type in
      tracer.input(perColumn.contains(k) ? TensorType(shape: [columns] + type.shape, dtype: type.dtype) : type)
    }
    let results = try body(tracer, inputs)
    let first = try inputs.enumerated().map { k, input in perColumn.contains(k) ? try input.select(dim: 0, index: 0) : input }
    let aux = try g.selecting(Array(n..<g.outputs.count)).inline(into: tracer, first)
    return tracer.finish(outputs: results + aux)
  }

  /// Runs `linear` (inputs, then vectors at `vectorInputs`) batched over every one-hot vector of
  /// `vectorTypes` taken together, `chunk` at a time, and returns each product stacked along a leading dim.
  /// The inputs at `perColumn` hold one value per one-hot vector and are batched with them; without
  /// such inputs, chunks of at least `Band.minimumSweeps` vectors run over the basis as bands.
  private static func sweeps(
    _ linear: Graph, _ vectorInputs: Set<Int>, vectorTypes: [TensorType], chunk: Int?, perColumn: Set<Int> = [],
    _ tracer: Tracer, _ inputs: [Var]
  ) throws -> [Var] {
    let total = vectorTypes.reduce(0) { $0 + $1.count }
    let offsets = vectorTypes.reduce(into: [0]) { $0.append($0.last! + $1.count) }
    let size = max(1, min(chunk ?? total, total))
    var pieces: [[Var]] = []
    for start in stride(from: 0, to: max(total, 1), by: size) {
      let count = min(size, max(total - start, 1))
      if count >= Band.minimumSweeps && perColumn.isEmpty {
        let positions = vectorInputs.sorted()
        let basis = Dictionary(uniqueKeysWithValues: positions.enumerated().map { k, position in (position, start - offsets[k]) })
        pieces.append(try linear.batched(overBasis: basis, size: count).inline(into: tracer, inputs))
        continue
      }
      let batched = try linear.batched(vectorInputs.union(perColumn), size: count)
      let basis = vectorTypes.enumerated().map { k, type in
        tracer.constant(Jacobian.oneHot(type, batch: count, first: start - offsets[k]))
      }
      let arguments = try inputs.enumerated().map { k, input in
        perColumn.contains(k) && count != total ? try input.slice(dim: 0, start: start, stop: start + count) : input
      }
      pieces.append(try batched.inline(into: tracer, arguments + basis))
    }
    return try linear.outputs.indices.map { p in
      pieces.count == 1 ? pieces[0][p] : try Var.cat(pieces.map { $0[p] }, dim: 0)
    }
  }
}
