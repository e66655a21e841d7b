import Foundation
import JVPCore

/// `torch.nn`: the module classes (`Linear`, `Tanh`, `ReLU`, `Sequential`) and `nn.functional`.
enum NNNamespace {
  static let classes: [String: Builtin] = [
    "Linear": Builtin(name: "Linear") { interpreter, args in
      let bound = try args.bind("Linear", ["in_features", "out_features", "bias", "device", "dtype"], required: 2)
      let (inFeatures, outFeatures) = (try bound.int("in_features"), try bound.int("out_features"))
      guard inFeatures >= 0, outFeatures >= 0 else {
        throw RuntimeFailure("Trying to create tensor with negative dimension \(min(inFeatures, outFeatures)): [\(outFeatures), \(inFeatures)]")
      }
      let dtype = try bound.dtype() ?? interpreter.defaultDType
      let (weight, bias) = linearParameters(
        &interpreter.generator, inFeatures, outFeatures, bias: try bound.bool("bias", default: true), dtype: dtype)
      return .object(NNModule(
        .linear(inFeatures: inFeatures, outFeatures: outFeatures),
        parameters: [("weight", .taped(parameter(weight))), ("bias", bias.map { .taped(parameter($0)) })]))
    },
    "Tanh": Builtin(name: "Tanh") { _, args in
      _ = try args.bind("Tanh", [])
      return .object(NNModule(.tanh))
    },
    "ReLU": Builtin(name: "ReLU") { _, args in
      _ = try args.bind("ReLU", ["inplace"])
      return .object(NNModule(.relu))
    },
    "Sequential": Builtin(name: "Sequential") { _, args in
      let children = try args.positional.enumerated().map { i, value -> NNModule in
        guard case .object(let object) = value, let module = object as? NNModule else {
          throw RuntimeFailure("\(value.typeName) is not a Module subclass", type: "TypeError")
        }
        return module
      }
      guard args.keywords.isEmpty else { throw RuntimeFailure("Sequential() takes modules as positional arguments", type: "TypeError") }
      return .object(NNModule(.sequential, children: children))
    },
  ]

  static func member(_ name: String) -> Value? {
    if name == "functional" { return .module("torch.nn.functional") }
    return classes[name].map(Value.builtin)
  }

  /// A module parameter: a leaf that requires grad.
  static func parameter(_ value: Tensor) -> TapeTensor {
    let t = TapeTensor(value: value, requiresGrad: true)
    t.isParameter = true
    return t
  }

  /// `Linear.reset_parameters()` in PyTorch's order: `kaiming_uniform_(weight, a=√5)`, which draws uniformly
  /// in ±gain·√(3/fan_in) with gain √(2/(1 + a²)), then the bias uniformly in ±1/√fan_in.
  static func linearParameters(
    _ generator: inout TorchGenerator, _ inFeatures: Int, _ outFeatures: Int, bias: Bool, dtype: DType
  ) -> (weight: Tensor, bias: Tensor?) {
    let fanIn = Double(inFeatures)
    var weight = Tensor(repeating: 0, shape: [outFeatures, inFeatures], dtype: dtype)
    if inFeatures > 0 && outFeatures > 0 {
      let a = 5.0.squareRoot()
      let gain = (2.0 / (1 + Foundation.pow(a, 2))).squareRoot()
      let bound = 3.0.squareRoot() * (gain / fanIn.squareRoot())
      weight = generator.uniform([outFeatures, inFeatures], from: -bound, to: bound, dtype: dtype)
    }
    guard bias else { return (weight, nil) }
    let bound = inFeatures > 0 ? 1 / fanIn.squareRoot() : 0
    return (weight, generator.uniform([outFeatures], from: -bound, to: bound, dtype: dtype))
  }
}
