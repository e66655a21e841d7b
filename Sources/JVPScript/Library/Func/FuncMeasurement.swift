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
/// traced function, as `torch.autograd.functional` runs are checked (`Checks`).
enum FuncChecks {
  /// The concrete values of `operands`, or nil when one is traced (the call is inside a transform).
  static func concrete(_ operands: [Operand]) -> [Tensor]? {
    let values = operands.compactMap(\.concreteValue)
    return values.count == operands.count ? values : nil
  }

  /// `jvp` and `jvp_fn`: the output tangents against a finite difference of `graph` (the differentiated
  /// outputs) along the tangents of the `wrt` inputs, the other inputs held fixed.
  static func tangents(_ graph: Graph, at operands: [Operand], wrt: [Int], tangents: [Operand], results: [Operand]) throws -> CheckOutcome? {
    guard let x = concrete(operands), let t = concrete(tangents), let expected = concrete(results) else { return nil }
    return try Checks.finiteDifference(graph, at: x, along: placed(t, at: wrt, among: x), expected: expected)
  }

  /// `vjp_fn`: the dot-product identity ⟨vjp_fn(v), u⟩ = ⟨v, J·u⟩ for a random u over the `wrt` inputs.
  static func cotangents(
    _ graph: Graph, at operands: [Operand], wrt: [Int], cotangents: [Operand], results: [Operand], seed: UInt64
  ) throws -> CheckOutcome? {
    guard let x = concrete(operands), let v = concrete(cotangents), let gradients = concrete(results) else { return nil }
    let u = Checks.directions(for: x, varying: Set(wrt), seed: seed)
    return try Checks.dotIdentity(graph, at: x, along: u, seeds: v, gradients: placed(gradients, at: wrt, among: x))
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
    guard tensors.count == blocks.count else { return nil }
    let u = Checks.directions(for: x, varying: Set(wrt), seed: seed)
    return try Checks.finiteDifference(
      graph, at: x, along: u, expected: Checks.blockProduct(tensors, wrt.map { u[$0] }), dtype: tensors.first?.first?.dtype)
  }
}
