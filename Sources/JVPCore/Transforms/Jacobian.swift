/// Dense jacobians assembled from linearized sweeps.
///
/// The primal part of the linearized graph is evaluated once (`PartialEvaluation`); each sweep then runs
/// only the tangent or cotangent part with a one-hot vector.
enum Jacobian {
  /// `blocks[i][j]`, of shape `output_i.shape + input_j.shape`, for `graph` at `inputs`.
  ///
  /// `linearized(mode)` returns the graph's jvp graph for `.forwardMode` and its vjp graph otherwise.
  static func blocks(
    graph: Graph, linearized: (JacobianStrategy) throws -> Graph, inputs: [Tensor],
    strategy: JacobianStrategy, memoryLimit: Int, what: String
  ) throws -> [[Tensor]] {
    let inTypes = graph.inputTypes
    let outTypes = graph.outputTypes
    let inCount = inTypes.reduce(0) { $0 + $1.count }
    let outCount = outTypes.reduce(0) { $0 + $1.count }
    let dtypes = outTypes.map { o in inTypes.map { DType.promote(o.dtype, $0.dtype) } }
    var bytes = 0
    for (i, o) in outTypes.enumerated() {
      for (j, t) in inTypes.enumerated() {
        let (product, overflow) = o.count.multipliedReportingOverflow(by: t.count * dtypes[i][j].byteWidth)
        bytes = overflow ? Int.max : bytes.addingReportingOverflow(product).overflow ? Int.max : bytes + product
      }
    }
    if bytes > memoryLimit { throw EngineError.tooLarge(what: what, bytes: bytes, limit: memoryLimit) }

    let mode: JacobianStrategy = switch strategy {
    case .auto: outCount <= inCount ? .reverseMode : .forwardMode
    default: strategy
    }
    var data = outTypes.map { o in inTypes.map { [Double](repeating: 0, count: o.count * $0.count) } }
    var bound = [Int: Tensor]()
    for (k, input) in inputs.enumerated() { bound[k] = input }
    let evaluation = PartialEvaluation(try linearized(mode), bound: bound)

    if mode == .forwardMode {
      for (j, t) in inTypes.enumerated() {
        for e in 0..<t.count {
          let tangents = inTypes.enumerated().map { k, type in oneHot(type, at: k == j ? e : nil) }
          let columns = evaluation.run(tangents).suffix(outTypes.count)
          for (i, column) in columns.enumerated() {
            let values = column.doubles
            for r in 0..<values.count { data[i][j][r * t.count + e] = values[r] }
          }
        }
      }
    } else {
      for (i, o) in outTypes.enumerated() {
        for e in 0..<o.count {
          let cotangents = outTypes.enumerated().map { k, type in oneHot(type, at: k == i ? e : nil) }
          let rows = evaluation.run(cotangents).suffix(inTypes.count)
          for (j, row) in rows.enumerated() {
            let n = inTypes[j].count
            data[i][j].withUnsafeMutableBufferPointer { block in
              let values = row.doubles
              for c in 0..<n { block[e * n + c] = values[c] }
            }
          }
        }
      }
    }
    return outTypes.enumerated().map { i, o in
      inTypes.enumerated().map { j, t in Tensor(shape: o.shape + t.shape, doubles: data[i][j], dtype: dtypes[i][j]) }
    }
  }

  /// Zeros of `type`, with a 1 at `index` when given.
  static func oneHot(_ type: TensorType, at index: Int?) -> Tensor {
    var values = [Double](repeating: 0, count: type.count)
    if let index { values[index] = 1 }
    return Tensor(shape: type.shape, doubles: values, dtype: type.dtype)
  }
}
