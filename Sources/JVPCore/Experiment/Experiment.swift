import Dispatch

/// One autodiff call to run, time and check: what a recorded run is made of.
public struct ExperimentRequest {
  public var kind: AutodiffKind
  public var function: TracedFunction
  public var inputs: [Tensor]
  /// `v`: tangents (jvp, hvp, vhp) or cotangents (vjp); empty for jacobian and hessian.
  public var vectors: [Tensor]
  public var strategy: JacobianStrategy
  public var vectorize: Bool
  public var options: AutodiffOptions
  /// Timed repetitions of the transform (at least 1) and untimed warm-up calls before them.
  public var repeats: Int
  public var warmup: Int
  /// Seeds the random directions of the checks, so a replay checks along the same directions.
  public var checkSeed: UInt64

  public init(kind: AutodiffKind, function: TracedFunction, inputs: [Tensor], vectors: [Tensor] = [],
              strategy: JacobianStrategy = .reverseMode, vectorize: Bool = false, options: AutodiffOptions = .init(),
              repeats: Int = 1, warmup: Int = 0, checkSeed: UInt64 = 0) {
    self.kind = kind
    self.function = function
    self.inputs = inputs
    self.vectors = vectors
    self.strategy = strategy
    self.vectorize = vectorize
    self.options = options
    self.repeats = max(1, repeats)
    self.warmup = max(0, warmup)
    self.checkSeed = checkSeed
  }
}

/// What running a request produced: the value PyTorch would return, the function's outputs, timings and checks.
public struct ExperimentOutcome {
  /// The call's return value with PyTorch's nesting (`(outputs, jvp)` for jvp, `J` for jacobian, ...).
  public var result: Nested
  /// The function's outputs at the inputs.
  public var outputs: Nested
  /// Samples in seconds per phase: `forward` (plain evaluation) and the transform's own name.
  public var timings: [(phase: String, samples: [Double])]
  public var checks: [CheckOutcome]
}

/// The transform was stopped between repetitions (SIGINT); the samples taken so far are kept.
public struct ExperimentInterrupted: Error {
  public let timings: [(phase: String, samples: [Double])]
}

/// Runs autodiff calls with timing and correctness checks.
public enum Experiment {
  /// Runs `request`: validates, evaluates the function once (timed as `forward`), calls the transform
  /// `warmup` times untimed and `repeats` times timed, then checks the result. `progress(done, total)` is
  /// called after each timed repetition; `isCancelled` is polled between repetitions, warm-up ones too.
  public static func run(
    _ request: ExperimentRequest, progress: ((Int, Int) -> Void)? = nil, isCancelled: () -> Bool = { false }
  ) throws -> ExperimentOutcome {
    KernelSetup.prepare()
    let graph = request.function.graph
    graph.evaluationPlan()
    let forwardStart = DispatchTime.now().uptimeNanoseconds
    let outputs = try graph.evaluate(request.inputs)
    let forwardTime = seconds(since: forwardStart)

    // Exactly `warmup` untimed calls (none by default, as `--warmup` says, and as a torch.func application's
    // `measured` makes them), then the timed ones; the last timed call's value is the result.
    for _ in 0..<request.warmup {
      // A long warm-up is stoppable too: the run is recorded as interrupted, with no timed samples.
      if isCancelled() { throw ExperimentInterrupted(timings: [("forward", [forwardTime]), (request.kind.rawValue, [])]) }
      _ = try transform(request)
    }
    var samples: [Double] = []
    samples.reserveCapacity(request.repeats)
    var result = Nested.tuple([])
    for done in 1...request.repeats {
      if done > 1 && isCancelled() {
        throw ExperimentInterrupted(timings: [("forward", [forwardTime]), (request.kind.rawValue, samples)])
      }
      let start = DispatchTime.now().uptimeNanoseconds
      result = try transform(request)
      samples.append(seconds(since: start))
      progress?(done, request.repeats)
    }
    let checks = Checks.run(request, result: result)
    return ExperimentOutcome(
      result: result, outputs: Nested.pack(outputs, isTuple: request.function.outputsAreTuple),
      timings: [("forward", [forwardTime]), (request.kind.rawValue, samples)], checks: checks)
  }

  /// The transform's return value, nested as PyTorch nests it.
  public static func transform(_ r: ExperimentRequest) throws -> Nested {
    let f = r.function
    switch r.kind {
    case .jvp:
      let (outputs, jvp) = try Autodiff.jvp(f, inputs: r.inputs, tangents: r.vectors, options: r.options)
      return .tuple([outputs, jvp])
    case .vjp:
      let (outputs, vjp) = try Autodiff.vjp(f, inputs: r.inputs, cotangents: r.vectors, options: r.options)
      return .tuple([outputs, vjp])
    case .jacobian:
      return try Autodiff.jacobian(f, inputs: r.inputs, strategy: r.strategy, vectorize: r.vectorize, options: r.options)
    case .hessian:
      return try Autodiff.hessian(f, inputs: r.inputs, outerStrategy: r.strategy, vectorize: r.vectorize, options: r.options)
    case .hvp:
      let (output, hvp) = try Autodiff.hvp(f, inputs: r.inputs, vectors: r.vectors, options: r.options)
      return .tuple([output, hvp])
    case .vhp:
      let (output, vhp) = try Autodiff.vhp(f, inputs: r.inputs, vectors: r.vectors, options: r.options)
      return .tuple([output, vhp])
    }
  }

  static func seconds(since start: UInt64) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }
}
