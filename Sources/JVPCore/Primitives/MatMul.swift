/// `torch.matmul`: dot products, matrix-vector, matrix-matrix and batched products with broadcast batch dims.
///
/// `transposeA`/`transposeB` multiply by an operand's matrix transpose without forming it (the BLAS reads it
/// transposed); the reverse-mode rules use them, and flagged operands have rank >= 2.
struct MatMul: Primitive {
  var transposeA = false
  var transposeB = false

  var description: String {
    let flags = [transposeA ? "transposeA" : nil, transposeB ? "transposeB" : nil].compactMap { $0 }
    return flags.isEmpty ? "matmul" : "matmul(\(flags.joined(separator: ", ")))"
  }

  /// PyTorch names the node after the product it dispatches to: `dot`, `mv`, `mm`, a squeezed vector-matrix
  /// product, or a batched product viewed back to its shape.
  func autogradName(_ arguments: [TensorType]) -> String {
    switch (arguments[0].rank, arguments[1].rank) {
    case (1, 1): "DotBackward0"
    case (2, 1): "MvBackward0"
    case (1, 2): "SqueezeBackward4"
    case (2, 2): "MmBackward0"
    default: "UnsafeViewBackward0"
    }
  }

  /// The operands' shapes lifted to rank >= 2 as torch.matmul does, with the broadcast batch shape.
  struct Plan {
    /// The lifted shapes as stored (a flagged operand's last two dims are its matrix transpose's).
    let a: [Int]
    let b: [Int]
    let batch: [Int]
    let lifted: [Int]
    let result: [Int]
  }

  static func plan(_ a: [Int], _ b: [Int], transposeA: Bool = false, transposeB: Bool = false) throws -> Plan {
    guard !a.isEmpty, !b.isEmpty else {
      throw EngineError.invalidArgument(
        operation: "matmul", detail: "both arguments need at least 1 dimension, got shapes \(Shape.describe(a)) and \(Shape.describe(b))")
    }
    precondition((!transposeA || a.count >= 2) && (!transposeB || b.count >= 2), "transposed operands are matrices")
    let la = a.count == 1 ? [1] + a : a
    let lb = b.count == 1 ? b + [1] : b
    let (m, k, k2, n) = (
      la[la.count - (transposeA ? 1 : 2)], la[la.count - (transposeA ? 2 : 1)],
      lb[lb.count - (transposeB ? 1 : 2)], lb[lb.count - (transposeB ? 2 : 1)]
    )
    let batchA = Array(la.dropLast(2)), batchB = Array(lb.dropLast(2))
    guard let batch = Broadcast.shape(batchA, batchB) else {
      throw EngineError.pytorch(Broadcast.mismatch(batchA, batchB))
    }
    guard k == k2 else { throw EngineError.pytorch(mismatch(a, b, k: k, k2: k2, n: n, batch: batch)) }
    var result = batch
    if a.count > 1 { result.append(m) }
    if b.count > 1 { result.append(n) }
    return Plan(a: la, b: lb, batch: batch, lifted: batch + [m, n], result: result)
  }

  /// PyTorch's message for inner dims that differ, which names the product torch.matmul turns the call into:
  /// a dot product, a matrix-vector or matrix-matrix product (leading dims of `a` folded into rows when `b`
  /// is a vector or a matrix), else a batched product over the broadcast batch.
  static func mismatch(_ a: [Int], _ b: [Int], k: Int, k2: Int, n: Int, batch: [Int]) -> String {
    let rows = a.count == 1 ? 1 : Shape.count(Array(a.dropLast()))
    switch (a.count, b.count) {
    case (1, 1):
      return "inconsistent tensor size, expected tensor [\(k)] and src [\(k2)] to have the same number of elements,"
        + " but got \(k) and \(k2) elements respectively"
    case (_, 1):
      return "size mismatch, got input (\(rows)), mat (\(rows)x\(k)), vec (\(k2))"
    case (_, 2):
      return "mm: mat1 and mat2 shapes cannot be multiplied (\(rows)x\(k) and \(k2)x\(n))"
    default:
      let count = Shape.count(batch)
      return "Expected size for first two dimensions of batch2 tensor to be: [\(count), \(k)] but got: [\(count), \(k2)]."
    }
  }

  func plan(_ a: [Int], _ b: [Int]) throws -> Plan {
    try Self.plan(a, b, transposeA: transposeA, transposeB: transposeB)
  }

  /// `op(a) op(b)`, dropping the flag of an operand with a unit matrix dim: its transpose is a reshape, and
  /// unflagged operands let the kernel fold batches into one product.
  static func product(_ a: Var, _ b: Var, transposeA: Bool, transposeB: Bool) throws -> Var {
    func plain(_ v: Var, _ flagged: Bool) throws -> (Var, Bool) {
      let s = v.shape
      guard flagged, s[s.count - 2] == 1 || s[s.count - 1] == 1 else { return (v, flagged) }
      return (try v.reshape(Array(s.dropLast(2)) + [s[s.count - 1], s[s.count - 2]]), false)
    }
    let (pa, ta) = try plain(a, transposeA)
    let (pb, tb) = try plain(b, transposeB)
    // A 1 x 1 one (the seed of a reverse sweep through a dot product) times a row or column is that operand.
    func isUnitOne(_ v: Var) -> Bool {
      v.shape == [1, 1] && v.tracer.constantValue(v).map { $0.doubles == [1] } == true
    }
    let result = MatMul(transposeA: ta, transposeB: tb)
    let type = try result.outputType([pa.type, pb.type])
    if isUnitOne(pa), !tb, pb.dtype == type.dtype { return try pb.reshape(type.shape) }
    if isUnitOne(pb), !ta, pa.dtype == type.dtype { return try pa.reshape(type.shape) }
    return try Var.apply(result, [pa, pb])
  }

  func outputType(_ arguments: [TensorType]) throws -> TensorType {
    try Check.floating(arguments[0], "matmul")
    try Check.floating(arguments[1], "matmul")
    let plan = try plan(arguments[0].shape, arguments[1].shape)
    return TensorType(shape: plan.result, dtype: DType.promote(arguments[0].dtype, arguments[1].dtype))
  }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    let (a, b) = (arguments[0], arguments[1])
    guard let plan = try? plan(a.shape, b.shape) else { preconditionFailure("outputType checked the shapes") }
    switch type.dtype {
    case .float32:
      return Tensor(shape: type.shape, float32: MatMulKernel.multiply(
        a.elements(as: Float.self), plan.a, transposedA: transposeA, b.elements(as: Float.self), plan.b,
        transposedB: transposeB, batch: plan.batch))
    case .float64:
      return Tensor(shape: type.shape, float64: MatMulKernel.multiply(
        a.elements(as: Double.self), plan.a, transposedA: transposeA, b.elements(as: Double.self), plan.b,
        transposedB: transposeB, batch: plan.batch))
    case .int64, .bool: preconditionFailure("outputType rejects int64")
    }
  }

  /// `d(op(A) op(B)) = op(dA) op(B) + op(A) op(dB)`: the same product, once per nonzero tangent.
  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    let (a, b) = (primals[0], primals[1])
    let terms = [try tangents[0].map { try Var.apply(self, [$0, b]) }, try tangents[1].map { try Var.apply(self, [a, $0]) }]
    return try terms.compactMap { $0 }.sum()
  }

  /// With `G` the cotangent: `op(A)` gets `G op(B)^T` and `op(B)` gets `op(A)^T G`, each one flagged product
  /// (transposed back for a flagged operand), summed over broadcast batch dims.
  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    let (a, b) = (primals[0], primals[1])
    let plan = try plan(a.shape, b.shape)
    let la = try a.reshape(plan.a)
    let lb = try b.reshape(plan.b)
    let g = try cotangent.reshape(plan.lifted)
    let ga = transposeA
      ? try Self.product(lb, g, transposeA: transposeB, transposeB: true)
      : try Self.product(g, lb, transposeA: false, transposeB: !transposeB)
    let gb = transposeB
      ? try Self.product(g, la, transposeA: true, transposeB: transposeA)
      : try Self.product(la, g, transposeA: !transposeA, transposeB: false)
    return [try ga.reduced(to: la.type).reshape(a.shape), try gb.reduced(to: lb.type).reshape(b.shape)]
  }
}
