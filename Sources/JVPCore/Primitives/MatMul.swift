/// `torch.matmul`: dot products, matrix-vector, matrix-matrix and batched products with broadcast batch dims.
struct MatMul: Primitive {
  var description: String { "matmul" }

  /// The operands' shapes lifted to rank >= 2 as torch.matmul does, with the broadcast batch shape.
  struct Plan {
    let a: [Int]
    let b: [Int]
    let batch: [Int]
    let lifted: [Int]
    let result: [Int]
  }

  static func plan(_ a: [Int], _ b: [Int]) throws -> Plan {
    guard !a.isEmpty, !b.isEmpty else {
      throw EngineError.invalidArgument(
        operation: "matmul", detail: "both arguments need at least 1 dimension, got shapes \(Shape.describe(a)) and \(Shape.describe(b))")
    }
    let la = a.count == 1 ? [1] + a : a
    let lb = b.count == 1 ? b + [1] : b
    let (m, k) = (la[la.count - 2], la[la.count - 1])
    let (k2, n) = (lb[lb.count - 2], lb[lb.count - 1])
    guard k == k2 else {
      throw EngineError.shapeMismatch(
        operation: "matmul", detail: "shapes \(Shape.describe(a)) and \(Shape.describe(b)) cannot be multiplied (\(m)x\(k) and \(k2)x\(n))")
    }
    guard let batch = Broadcast.shape(Array(la.dropLast(2)), Array(lb.dropLast(2))) else {
      throw EngineError.shapeMismatch(
        operation: "matmul", detail: "batch dimensions of \(Shape.describe(a)) and \(Shape.describe(b)) do not broadcast")
    }
    var result = batch
    if a.count > 1 { result.append(m) }
    if b.count > 1 { result.append(n) }
    return Plan(a: la, b: lb, batch: batch, lifted: batch + [m, n], result: result)
  }

  func outputType(_ arguments: [TensorType]) throws -> TensorType {
    try Check.floating(arguments[0], "matmul")
    try Check.floating(arguments[1], "matmul")
    let plan = try Self.plan(arguments[0].shape, arguments[1].shape)
    return TensorType(shape: plan.result, dtype: DType.promote(arguments[0].dtype, arguments[1].dtype))
  }

  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor {
    let (a, b) = (arguments[0], arguments[1])
    guard let plan = try? Self.plan(a.shape, b.shape) else { preconditionFailure("outputType checked the shapes") }
    switch type.dtype {
    case .float32:
      return Tensor(shape: type.shape, float32: MatMulKernel.multiply(
        a.elements(as: Float.self), plan.a, b.elements(as: Float.self), plan.b, batch: plan.batch))
    case .float64:
      return Tensor(shape: type.shape, float64: MatMulKernel.multiply(
        a.elements(as: Double.self), plan.a, b.elements(as: Double.self), plan.b, batch: plan.batch))
    case .int64, .bool: preconditionFailure("outputType rejects int64")
    }
  }

  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var? {
    let (a, b) = (primals[0], primals[1])
    let terms = [try tangents[0].map { try $0.matmul(b) }, try tangents[1].map { try a.matmul($0) }]
    return try terms.compactMap { $0 }.sum()
  }

  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?] {
    let (a, b) = (primals[0], primals[1])
    let plan = try Self.plan(a.shape, b.shape)
    let la = try a.reshape(plan.a)
    let lb = try b.reshape(plan.b)
    let g = try cotangent.reshape(plan.lifted)
    let ga = try g.matmul(lb.matrixTranspose()).reduced(to: la.type).reshape(a.shape)
    let gb = try la.matrixTranspose().matmul(g).reduced(to: lb.type).reshape(b.shape)
    return [ga, gb]
  }
}
