/// Whether two traced programs are the same program: the same nodes in the same order, each primitive of the
/// same type with the same parameters, and constants equal bit for bit (so `-0.0` and `0.0`, or two NaN
/// payloads, differ). Identical graphs evaluate to bit-identical results, so one may stand for the other.
extension Graph {
  public func isIdentical(to other: Graph) -> Bool {
    guard nodes.count == other.nodes.count, inputs == other.inputs, outputs == other.outputs else { return false }
    for (a, b) in zip(nodes, other.nodes) {
      guard a.type == b.type else { return false }
      switch (a.kind, b.kind) {
      case (.input(let i), .input(let j)):
        if i != j { return false }
      case (.constant(let s), .constant(let t)):
        if !s.isBitIdentical(to: t) { return false }
      case (.apply(let p, let x), .apply(let q, let y)):
        if x != y || !Self.samePrimitive(p, q) { return false }
      default:
        return false
      }
    }
    return true
  }

  /// Same dynamic type and same parameters: every primitive's description spells out all its stored
  /// parameters (`reshape([2, 2])`, `pow(3.0)`, `sum(dims: [0], keepdim: false)`).
  static func samePrimitive(_ p: any Primitive, _ q: any Primitive) -> Bool {
    ObjectIdentifier(type(of: p)) == ObjectIdentifier(type(of: q)) && p.description == q.description
  }
}

extension Tensor {
  /// The same shape, dtype and element bit patterns.
  public func isBitIdentical(to other: Tensor) -> Bool {
    guard shape == other.shape else { return false }
    switch (storage, other.storage) {
    case (.float32(let a), .float32(let b)): return a.elementsEqual(b) { $0.bitPattern == $1.bitPattern }
    case (.float64(let a), .float64(let b)): return a.elementsEqual(b) { $0.bitPattern == $1.bitPattern }
    case (.int64(let a), .int64(let b)): return a == b
    case (.bool(let a), .bool(let b)): return a == b
    default: return false
    }
  }
}
