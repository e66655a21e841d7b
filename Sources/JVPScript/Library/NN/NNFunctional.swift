import JVPCore

/// `torch.nn.functional`: each function composed of the engine's primitives (so it differentiates by their rules
/// in every mode), computed in PyTorch's order of operations, its result named by PyTorch's single node
/// (`GeluBackward0`, `MseLossBackward0`, `NllLossBackward0`, ...).
enum NNFunctional {
  static let functions: [String: Builtin] = {
    var table = [String: Builtin]()
    for name in ["relu", "sigmoid", "tanh", "softmax", "log_softmax"] { table[name] = TorchNamespace.functions[name] }
    func add(_ name: String, _ body: @escaping @Sendable (Arguments) throws -> Operand) {
      table[name] = Builtin(name: name) { _, args in .tensor(try body(args)) }
    }
    add("linear") { args in
      let bound = try args.bind("linear", ["input", "weight", "bias"], required: 2)
      let bias = try bound["bias"].flatMap { value -> Operand? in
        if case .none = value { return nil }
        return try bound.tensor("bias")
      }
      return try linear(bound.tensor("input"), bound.tensor("weight"), bias)
    }
    add("gelu") { args in
      let bound = try args.bind("gelu", ["input", "approximate"], required: 1)
      let approximate = try bound.string("approximate", default: "none")
      guard approximate == "none" || approximate == "tanh" else {
        throw RuntimeFailure("approximate argument must be either none or tanh.")
      }
      return try gelu(bound.tensor("input"), tanh: approximate == "tanh")
    }
    add("silu") { args in
      let x = try args.bind("silu", ["input", "inplace"], required: 1).tensor("input")
      return try (x / (x.negated().exp() + 1)).labelled("SiluBackward0")
    }
    add("softplus") { args in
      let bound = try args.bind("softplus", ["input", "beta", "threshold"], required: 1)
      return try softplus(bound.tensor("input"), beta: bound.double("beta", default: 1), threshold: bound.double("threshold", default: 20))
    }
    add("mse_loss") { args in
      let bound = try args.bind("mse_loss", ["input", "target", "size_average", "reduce", "reduction", "weight"], required: 2)
      let squared = try (bound.tensor("input") - bound.tensor("target")).square()
      return try reduced(squared, try bound.string("reduction", default: "mean")).labelled("MseLossBackward0")
    }
    add("cross_entropy") { args in
      let bound = try args.bind(
        "cross_entropy", ["input", "target", "weight", "size_average", "ignore_index", "reduce", "reduction", "label_smoothing"], required: 2)
      return try crossEntropy(bound.tensor("input"), bound.tensor("target"), reduction: bound.string("reduction", default: "mean"))
    }
    add("normalize") { args in
      let bound = try args.bind("normalize", ["input", "p", "dim", "eps", "out"], required: 1)
      return try normalize(bound.tensor("input"), p: bound.double("p", default: 2), dim: bound.int("dim", default: 1),
                           eps: bound.double("eps", default: 1e-12))
    }
    return table
  }()

  /// `x @ weight.T + bias`: PyTorch's `addmm` for a matrix input with a bias.
  static func linear(_ x: Operand, _ weight: Operand, _ bias: Operand?) throws -> Operand {
    let (input, matrix) = (x.type.shape, weight.type.shape)
    if let features = input.last, matrix.count == 2, features != matrix[1] {
      // PyTorch flattens the input to rows of features first, and says so in its message.
      let rows = input.dropLast().reduce(1, *)
      throw RuntimeFailure(
        "\(bias == nil ? "mm" : "addmm"): mat1 and mat2 shapes cannot be multiplied (\(rows)x\(features) and \(matrix[1])x\(matrix[0]))")
    }
    let product = try x.matmul(weight.transpose(0, 1))
    guard let bias else { return product }
    let sum = try product + bias
    switch x.type.rank {
    case 2: return sum.labelled("AddmmBackward0")
    case 1: return sum.labelled("UnsafeViewBackward0")
    default: return sum
    }
  }

  /// `x · ½ · (1 + erf(x/√2))`, or with `tanh`: `½ · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`, PyTorch's kernels.
  static func gelu(_ x: Operand, tanh: Bool) throws -> Operand {
    guard tanh else {
      return try (x * 0.5 * ((x * (0.5).squareRoot()).erf() + 1)).labelled("GeluBackward0")
    }
    let beta = 2.0.squareRoot() * (2 / Double.pi.squareRoot()) * 0.5
    let inner = try (x + x * x * x * 0.044715) * beta
    return try (x * 0.5 * (inner.tanh() + 1)).labelled("GeluBackward0")
  }

  /// `log1p(exp(beta·x)) / beta`, and `x` itself where `beta·x > threshold` (PyTorch's linear region).
  static func softplus(_ x: Operand, beta: Double, threshold: Double) throws -> Operand {
    let scaled = try x * beta
    let linear = try (scaled - threshold).positiveMask()
    let smooth = try 1 - linear
    // exp only sees the smooth region's values, so the linear region cannot overflow into inf · 0.
    let curve = try ((scaled * smooth).exp().log1p() / beta) * smooth
    return try (x * linear + curve).labelled("SoftplusBackward0")
  }

  /// `reduction`: `mean`, `sum` or `none`.
  static func reduced(_ x: Operand, _ reduction: String) throws -> Operand {
    switch reduction {
    case "mean": return try x.mean(dims: nil)
    case "sum": return try x.sum(dims: nil)
    case "none": return x
    default: throw RuntimeFailure("\(reduction) is not a valid value for reduction", type: "ValueError")
    }
  }

  /// Cross entropy of logits `[N, C]` (or `[C]`) with class indices (int64 `[N]`) or class probabilities (like the input).
  static func crossEntropy(_ x: Operand, _ target: Operand, reduction: String) throws -> Operand {
    let classDim = x.type.rank == 1 ? 0 : 1
    let logProbabilities = try x.logSoftmax(dim: classDim)
    guard target.type.dtype == .int64 else {
      let perSample = try (logProbabilities * target).sum(dims: [classDim]).negated()
      guard reduction == "mean", x.type.rank > 1 else { return try reduced(perSample, reduction) }
      return try (perSample.sum(dims: nil) / Double(x.type.shape[0])).labelled("DivBackward1")
    }
    let classes = x.type.shape[classDim]
    let indices = try target.value().doubles
    guard indices.allSatisfy({ $0 >= 0 && $0 < Double(classes) }) else {
      throw RuntimeFailure("Target \(indices.first { $0 < 0 || $0 >= Double(classes) }.map { Int($0) } ?? 0) is out of bounds.", type: "IndexError")
    }
    var oneHot = [Double](repeating: 0, count: indices.count * classes)
    for (row, index) in indices.enumerated() { oneHot[row * classes + Int(index)] = 1 }
    let mask = Operand.concrete(Tensor(shape: x.type.shape, doubles: oneHot, dtype: x.type.dtype))
    let picked = try (logProbabilities * mask).sum(dims: [classDim]).negated()
    return try reduced(picked, reduction).labelled("NllLossBackward0")
  }

  /// `x / max(‖x‖_p along dim, eps)`.
  static func normalize(_ x: Operand, p: Double, dim: Int, eps: Double) throws -> Operand {
    let magnitude: Operand
    switch p {
    case 2: magnitude = try x.square().sum(dims: [dim], keepDim: true).sqrt()
    case 1: magnitude = try x.abs().sum(dims: [dim], keepDim: true)
    default: throw RuntimeFailure("normalize(): jvplab supports p=1 and p=2, got p=\(PythonRepr.float(p))", type: "NotImplementedError")
    }
    // clamp_min(eps) as a 0/1 blend, exact in both regions: the norm where it exceeds eps, else eps.
    let above = try (magnitude - eps).positiveMask()
    let clamped = try magnitude * above + (1 - above) * eps
    return try (x / clamped).labelled("DivBackward0")
  }
}
