import Dispatch
import JVPCore

/// What a top-level `torch.func` application measured while it ran, recorded with its run: the timed
/// evaluations of its transformed graph (`--warmup` untimed, then `--repeat` timed, as a
/// `torch.autograd.functional` call's transform is) and its correctness checks.
final class FuncMeasurement {
  /// The phase the samples are recorded under: the run's kind.
  let phase: String
  /// Seeds the checks' random directions as an experiment's are (seed and line), so a replay checks alike.
  let checkSeed: UInt64
  var samples: [Double] = []
  var checks: [CheckOutcome] = []

  init(phase: String, checkSeed: UInt64) {
    self.phase = phase
    self.checkSeed = checkSeed
  }
}

/// A top-level application stopped between repetitions (SIGINT), with the samples taken so far.
struct FuncInterrupted: Error {
  let samples: [Double]
}

extension Interpreter {
  /// Evaluates a transform's graph through `body` (pure engine work: no script runs in it). At the top level
  /// of a recorded application it runs `warmup` times untimed, then `repeats` times timed, polling for SIGINT
  /// between repetitions; inside a trace (the graph is inlined, not evaluated) it runs once.
  func measured<Result>(_ body: () throws -> Result) throws -> Result {
    guard let measurement = funcMeasurement, funcTraces.isEmpty else { return try body() }
    for _ in 0..<options.warmup {
      if options.isCancelled() { throw FuncInterrupted(samples: measurement.samples) }
      _ = try body()
    }
    let repeats = max(1, options.repeats)
    var result: Result?
    for done in 1...repeats {
      if done > 1 && options.isCancelled() { throw FuncInterrupted(samples: measurement.samples) }
      let start = DispatchTime.now().uptimeNanoseconds
      result = try body()
      measurement.samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
      options.progress?(done, repeats)
    }
    return result!
  }

  /// Adds a correctness check to the top-level application's run; outside one (inside a trace) nothing is
  /// checked. `make` gets the check seed; a check that cannot be computed is left out, as an experiment's is.
  func funcCheck(_ make: (UInt64) throws -> CheckOutcome?) {
    guard let measurement = funcMeasurement, funcTraces.isEmpty else { return }
    if let check = try? make(measurement.checkSeed) { measurement.checks.append(check) }
  }
}

/// The checks of `torch.func` transforms, each against an independent float64 finite difference of the
/// traced function, as `torch.autograd.functional` runs are checked (`Checks`). The graphs they evaluate are
/// kept with the traced graph (`Graph.derived`), so repeated calls do not build them again.
enum FuncChecks {
  /// The concrete values of `operands`, or nil when one is traced (the call is inside a transform).
  static func concrete(_ operands: [Operand]) -> [Tensor]? {
    let values = operands.compactMap(\.concreteValue)
    return values.count == operands.count ? values : nil
  }

  /// `jvp` and `jvp_fn`: the output tangents against a finite difference of `graph` (the differentiated
  /// outputs) along the tangents of the `wrt` inputs, the other inputs held fixed.
  static func tangents(_ graph: Graph, at operands: [Operand], wrt: [Int], tangents: [Operand], results: [Operand]) throws -> CheckOutcome? {
    guard let x = concrete(operands), let t = concrete(tangents), let expected = concrete(results),
      let dtype = expected.first?.dtype else { return nil }
    return try Checks.finiteDifference(graph, at: x, along: Dictionary(zip(wrt, t), uniquingKeysWith: { first, _ in first }), expected: expected, dtype: dtype)
  }

  /// Random directions for the `wrt` inputs, by input position, drawn as `Checks.directions` draws them for
  /// those positions (in input order, from the check seed).
  static func directions(for x: [Tensor], wrt: [Int], seed: UInt64) -> [Int: Tensor] {
    let positions = Set(wrt).sorted()
    let drawn = Checks.directions(for: positions.map { x[$0] }, varying: Set(positions.indices), seed: seed)
    return Dictionary(uniqueKeysWithValues: zip(positions, drawn))
  }

  /// `vjp_fn`: the dot-product identity ⟨vjp_fn(v), u⟩ = ⟨v, J·u⟩ for a random u over the `wrt` inputs.
  static func cotangents(
    _ graph: Graph, at operands: [Operand], wrt: [Int], cotangents: [Operand], results: [Operand], seed: UInt64
  ) throws -> CheckOutcome? {
    guard let x = concrete(operands), let v = concrete(cotangents), let gradients = concrete(results) else { return nil }
    let u = Checks.directions(for: x, varying: Set(wrt), seed: seed)
    return try Checks.dotIdentity(graph, at: x, along: u, seeds: v, gradients: placed(gradients, at: wrt, among: x))
  }

  /// The first `n` outputs of `graph` (the differentiated ones), kept with it so that the float64 copy the
  /// finite differences evaluate is built once for repeated calls on an identical trace.
  static func outputs(_ graph: Graph, _ n: Int) -> Graph {
    graph.derived("func.check.outputs \(n)") { graph.selecting(Array(0..<n)) }
  }

  /// `hessian`: for random w over the outputs and u over the `wrt` inputs, Σᵢ wᵢ·(Hᵢ·u) from the blocks
  /// (`blocks[r]`, r = i·|wrt| + j: output `i`, input `wrt[j]`, one block per `wrt[k]`) against the central
  /// difference along u of the gradient of wᵀf, one reverse graph evaluated twice (not a jacobian).
  static func hessian(
    _ graph: Graph, differentiated n: Int, at operands: [Operand], wrt: [Int], blocks: [[Operand]], seed: UInt64
  ) throws -> CheckOutcome? {
    guard let x = concrete(operands) else { return nil }
    let tensors = blocks.compactMap(concrete)
    guard tensors.count == blocks.count, let dtype = tensors.first?.first?.dtype else { return nil }
    let reverse = try graph.derived("func.check.weighted_gradient \(n) \(wrt)") {
      try FuncGraphs.vjp(graph, differentiated: n, wrt: wrt).selecting(Array(n..<(n + wrt.count)))
    }
    let u = directions(for: x, wrt: wrt, seed: seed)
    let outputShapes = graph.outputTypes.prefix(n).map { Tensor(shape: $0.shape, doubles: [Double](repeating: 0, count: $0.count), dtype: $0.dtype) }
    let w = Checks.directions(for: outputShapes, varying: Set(0..<n), seed: seed &+ 1)
    let hu = Checks.blockProduct(tensors, wrt.map { u[$0]! }).map(\.doubles)
    let expected = wrt.indices.map { j -> Tensor in
      let size = x[wrt[j]].count
      var total = [Double](repeating: 0, count: size)
      for i in 0..<n {
        let weights = w[i].doubles
        let row = hu[i * wrt.count + j]
        for a in weights.indices {
          for b in 0..<size { total[b] += weights[a] * row[a * size + b] }
        }
      }
      return Tensor(shape: [size], float64: total)
    }
    return try Checks.finiteDifference(reverse, at: x + w, along: u, expected: expected, dtype: dtype)
  }

  /// `values` at the input positions `wrt`, zeros at the other inputs' (which the checks hold fixed).
  private static func placed(_ values: [Tensor], at wrt: [Int], among x: [Tensor]) -> [Tensor] {
    var all = Checks.directions(for: x, varying: [], seed: 0)
    for (k, value) in zip(wrt, values) { all[k] = value }
    return all
  }

  /// `grad`, `jacrev`, `jacfwd` (and, one level up, `hessian`): J·u from the blocks (`blocks[i][j]`: output
  /// `i` by input `wrt[j]`) against a finite difference of `graph` along a random u over the `wrt` inputs.
  static func jacobian(_ graph: Graph, at operands: [Operand], wrt: [Int], blocks: [[Operand]], seed: UInt64) throws -> CheckOutcome? {
    guard let x = concrete(operands) else { return nil }
    let tensors = blocks.compactMap(concrete)
    guard tensors.count == blocks.count, let dtype = tensors.first?.first?.dtype else { return nil }
    let u = directions(for: x, wrt: wrt, seed: seed)
    return try Checks.finiteDifference(graph, at: x, along: u, expected: Checks.blockProduct(tensors, wrt.map { u[$0]! }), dtype: dtype)
  }
}
