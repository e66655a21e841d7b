/// How `jacobian` builds the matrix: one reverse sweep per output element, or one forward sweep per input
/// element. `auto` picks whichever needs fewer sweeps.
public enum JacobianStrategy: String, Sendable, CaseIterable, Codable {
  case reverseMode = "reverse-mode"
  case forwardMode = "forward-mode"
  case auto
}

/// Options shared by the `torch.autograd.functional` transforms.
public struct AutodiffOptions: Sendable {
  /// `strict=True`: an output that does not depend on a differentiated input is an error, not zeros.
  public var strict = false
  /// The largest dense jacobian or hessian the engine will build, in bytes.
  public var memoryLimit = 1 << 30

  public init(strict: Bool = false, memoryLimit: Int = 1 << 30) {
    self.strict = strict
    self.memoryLimit = memoryLimit
  }
}

/// `torch.autograd.functional` on traced functions: jvp, vjp, jacobian, hessian, hvp and vhp, returning the
/// nesting and shapes PyTorch returns.
public enum Autodiff {
  /// `jvp(func, inputs, v)`: the outputs and J·v, computed in true forward mode.
  public static func jvp(
    _ f: TracedFunction, inputs: [Tensor], tangents: [Tensor], options: AutodiffOptions = .init()
  ) throws -> (outputs: Nested, jvp: Nested) {
    try validate(f, inputs: inputs)
    try validate(vectors: tangents, against: f.inputTypes, name: "v", paired: "input")
    if options.strict { try requireDependence(f) }
    let results = try f.forwardGraph().evaluate(inputs + tangents)
    let n = f.outputTypes.count
    return (Nested.pack(Array(results[..<n]), isTuple: f.outputsAreTuple),
            Nested.pack(Array(results[n...]), isTuple: f.outputsAreTuple))
  }

  /// `vjp(func, inputs, v)`: the outputs and vᵀ·J, computed in reverse mode.
  public static func vjp(
    _ f: TracedFunction, inputs: [Tensor], cotangents: [Tensor], options: AutodiffOptions = .init()
  ) throws -> (outputs: Nested, vjp: Nested) {
    try validate(f, inputs: inputs)
    try validate(vectors: cotangents, against: f.outputTypes, name: "v", paired: "output")
    if options.strict { try requireDependence(f) }
    let results = try f.reverseGraph().evaluate(inputs + cotangents)
    let n = f.outputTypes.count
    return (Nested.pack(Array(results[..<n]), isTuple: f.outputsAreTuple),
            Nested.pack(Array(results[n...]), isTuple: f.inputsAreTuple))
  }

  /// `jacobian(func, inputs)`: blocks `J[i][j]` of shape `output_i.shape + input_j.shape`.
  public static func jacobian(
    _ f: TracedFunction, inputs: [Tensor], strategy: JacobianStrategy = .reverseMode, vectorize: Bool = false,
    options: AutodiffOptions = .init()
  ) throws -> Nested {
    try validate(f, inputs: inputs)
    if options.strict { try requireDependence(f) }
    let blocks = try Jacobian.blocks(
      graph: f.graph, linearized: { mode in mode == .forwardMode ? try f.forwardGraph() : try f.reverseGraph() },
      cache: { key, build in try f.cached("jacobian." + key, build) },
      inputs: inputs, strategy: strategy, vectorize: vectorize, memoryLimit: options.memoryLimit, what: "the jacobian")
    return nest(blocks, outputsAreTuple: f.outputsAreTuple, inputsAreTuple: f.inputsAreTuple)
  }

  /// `hessian(func, inputs)`: the jacobian of the gradient (forward-over-reverse or reverse-over-reverse).
  public static func hessian(
    _ f: TracedFunction, inputs: [Tensor], outerStrategy: JacobianStrategy = .reverseMode, vectorize: Bool = false,
    options: AutodiffOptions = .init()
  ) throws -> Nested {
    try validate(f, inputs: inputs)
    try requireScalarOutput(f, "hessian")
    if options.strict { try requireDependence(f) }
    let gradient = try f.gradientGraph()
    let blocks = try Jacobian.blocks(
      graph: gradient,
      linearized: { mode in
        mode == .forwardMode ? try f.cached("grad.jvp") { try gradient.jvp() } : try f.cached("grad.vjp") { try gradient.vjp() }
      },
      cache: { key, build in try f.cached("hessian." + key, build) },
      inputs: inputs, strategy: outerStrategy, vectorize: vectorize, memoryLimit: options.memoryLimit, what: "the hessian")
    return nest(blocks, outputsAreTuple: f.inputsAreTuple, inputsAreTuple: f.inputsAreTuple)
  }

  /// `hvp(func, inputs, v)`: the output and H·v, by forward mode over the reverse-mode gradient.
  public static func hvp(
    _ f: TracedFunction, inputs: [Tensor], vectors: [Tensor], options: AutodiffOptions = .init()
  ) throws -> (output: Nested, hvp: Nested) {
    try secondOrderProduct(f, inputs: inputs, vectors: vectors, options: options, name: "hvp") { gradient in
      try f.cached("grad.jvp") { try gradient.jvp() }
    }
  }

  /// `vhp(func, inputs, v)`: the output and vᵀ·H, by reverse mode over the reverse-mode gradient.
  public static func vhp(
    _ f: TracedFunction, inputs: [Tensor], vectors: [Tensor], options: AutodiffOptions = .init()
  ) throws -> (output: Nested, vhp: Nested) {
    try secondOrderProduct(f, inputs: inputs, vectors: vectors, options: options, name: "vhp") { gradient in
      try f.cached("grad.vjp") { try gradient.vjp() }
    }
  }

  private static func secondOrderProduct(
    _ f: TracedFunction, inputs: [Tensor], vectors: [Tensor], options: AutodiffOptions, name: String,
    _ transform: (Graph) throws -> Graph
  ) throws -> (Nested, Nested) {
    try validate(f, inputs: inputs)
    try requireScalarOutput(f, name)
    try validate(vectors: vectors, against: f.inputTypes, name: "v", paired: "input")
    if options.strict { try requireDependence(f) }
    let gradient = try f.gradientGraph()
    let products = try f.cached("\(name).products") {
      let full = try transform(gradient)
      return Graph(nodes: full.nodes, inputs: full.inputs, outputs: Array(full.outputs.suffix(inputs.count)))
    }.evaluate(inputs + vectors)
    let output = try f.graph.evaluate(inputs)
    return (Nested.pack(output, isTuple: f.outputsAreTuple), Nested.pack(Array(products), isTuple: f.inputsAreTuple))
  }

  // MARK: Checks

  static func validate(_ f: TracedFunction, inputs: [Tensor]) throws {
    guard inputs.count == f.inputTypes.count else {
      throw EngineError.vectorMismatch("expected \(f.inputTypes.count) inputs, got \(inputs.count)")
    }
    for (k, input) in inputs.enumerated() where !input.dtype.isFloatingPoint {
      throw EngineError.notDifferentiable(what: "input \(k)", dtype: input.dtype)
    }
  }

  /// `v` must pair one tensor of the same shape with each input (or output), as PyTorch requires.
  static func validate(vectors: [Tensor], against types: [TensorType], name: String, paired: String) throws {
    guard vectors.count == types.count else {
      throw EngineError.vectorMismatch(
        "\(name) has \(vectors.count) tensor\(vectors.count == 1 ? "" : "s") but the function has \(types.count) \(paired)\(types.count == 1 ? "" : "s"); they must match one to one")
    }
    for (k, (vector, type)) in zip(vectors, types).enumerated() {
      guard vector.shape == type.shape else {
        throw EngineError.vectorMismatch(
          "\(name)[\(k)] has shape \(Shape.describe(vector.shape)) but \(paired) \(k) has shape \(Shape.describe(type.shape))")
      }
      guard vector.dtype.isFloatingPoint else { throw EngineError.notDifferentiable(what: "\(name)[\(k)]", dtype: vector.dtype) }
    }
  }

  static func requireScalarOutput(_ f: TracedFunction, _ name: String) throws {
    guard f.outputTypes.count == 1, !f.outputsAreTuple, f.outputTypes[0].count == 1 else {
      let shapes = f.outputTypes.map { Shape.describe($0.shape) }.joined(separator: ", ")
      throw EngineError.invalidFunction(
        "\(name): the function must return a single tensor with a single element, got output shape \(shapes)")
    }
  }

  /// `strict=True`: every output must depend on every input.
  static func requireDependence(_ f: TracedFunction) throws {
    for k in f.inputTypes.indices {
      let depends = f.graph.dependsOnInput(k)
      for (i, output) in f.graph.outputs.enumerated() where !depends[output] {
        throw EngineError.independentOutput(
          "output \(i) of the function is independent of input \(k); this is not allowed in strict mode")
      }
    }
  }

  static func nest(_ blocks: [[Tensor]], outputsAreTuple: Bool, inputsAreTuple: Bool) -> Nested {
    let rows = blocks.map { Nested.pack($0, isTuple: inputsAreTuple) }
    return outputsAreTuple ? .tuple(rows) : rows[0]
  }
}
