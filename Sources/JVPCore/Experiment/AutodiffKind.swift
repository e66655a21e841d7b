/// The `torch.autograd.functional` transforms jvplab records as runs.
public enum AutodiffKind: String, Sendable, CaseIterable, Codable {
  case jvp, vjp, jacobian, hessian, hvp, vhp

  /// Whether the call takes a vector `v` (tangents for jvp/hvp/vhp, cotangents for vjp).
  public var takesVector: Bool { self != .jacobian && self != .hessian }

  /// Whether `v` pairs with the outputs (vjp) rather than the inputs.
  public var vectorPairsWithOutputs: Bool { self == .vjp }
}
