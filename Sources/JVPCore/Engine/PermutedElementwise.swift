/// An elementwise op whose result is read only through a permute (with reshapes around it, as a vectorized
/// `jacfwd` moves its batch dim last): the op runs straight into the permuted layout, reading its operands
/// through strides, so the result is written once and the unpermuted value never exists.
///
/// Each element is the op's scalar function of the same two operand elements (`FusibleElementwise.tile`), so
/// the values are bit for bit the unfolded program's. Output rows are contiguous; an operand read along a row
/// with stride 1 is read in place, with stride 0 as a scalar; read across its own rows (a transpose), sixteen
/// output rows at a time are gathered in one pass (`RowBlock`), otherwise once per distinct row start.
final class PermutedElementwise: @unchecked Sendable {
  /// The permute node this step computes.
  let node: Int
  let primitive: any FusibleElementwise
  let arguments: [Int]
  let type: TensorType
  /// The iteration space, row-major in the output's own order; its last dim is a row.
  let shape: [Int]
  /// Per argument, its element strides over `shape` (0 along broadcast dims).
  let strides: [[Int]]

  init(node: Int, primitive: any FusibleElementwise, arguments: [Int], type: TensorType, shape: [Int], strides: [[Int]]) {
    self.node = node
    self.primitive = primitive
    self.arguments = arguments
    self.type = type
    self.shape = shape
    self.strides = strides
  }

  /// The plan with every permute of an elementwise op (through reshapes that only it reads) folded into one
  /// `PermutedElementwise` step: the op and the reshapes between are dropped from the plan.
  static func fold(_ graph: Graph, _ steps: [ExecutionPlan.Step], isKnown: [Bool]) -> [ExecutionPlan.Step] {
    let nodes = graph.nodes
    var readers = [Int](repeating: 0, count: nodes.count)
    for output in graph.outputs { readers[output] += 1 }
    var stepOf = [Int: Int]()
    for (s, step) in steps.enumerated() {
      switch step {
      case .apply(let id, _, let args, _):
        stepOf[id] = s
        for arg in args { readers[arg] += 1 }
      case .fused(let group): for e in group.externals { readers[e.node] += 1 }
      case .permuted(let p): for arg in p.arguments { readers[arg] += 1 }
      }
    }
    /// The `.apply` step computing `id`, when `id` is read once (by the step being folded) and is no output.
    func soleApply(_ id: Int) -> (primitive: any Primitive, arguments: [Int], step: Int)? {
      guard !isKnown[id], readers[id] == 1, let s = stepOf[id], case .apply(_, let primitive, let args, _) = steps[s] else { return nil }
      return (primitive, args, s)
    }
    /// The permute step computing `id` (as transpose folding left it), when a folded op may read its argument instead.
    func permuteStep(_ id: Int) -> (order: [Int], argument: Int, step: Int)? {
      guard !isKnown[id], let s = stepOf[id], case .apply(_, let primitive, let args, _) = steps[s], let p = primitive as? Permute else { return nil }
      return (p.order, args[0], s)
    }
    var rewritten = steps.map(Optional.some)
    var readThrough: [Int: Int] = [:]
    for (s, step) in steps.enumerated() {
      guard case .apply(let id, let primitive, let args, let type) = step, let permute = primitive as? Permute else { continue }
      var source = args[0]
      var dropped: [Int] = []
      while let (inner, innerArgs, innerStep) = soleApply(source), inner is Reshape {
        dropped.append(innerStep)
        source = innerArgs[0]
      }
      guard let (inner, operands, elementwiseStep) = soleApply(source), let op = inner as? any FusibleElementwise,
            op.arity == operands.count, nodes[source].type.count > 0, nodes[source].type.dtype.isFloatingPoint,
            operands.allSatisfy({ nodes[$0].type.dtype == nodes[source].type.dtype }) else { continue }
      // An operand that is itself a permute is read through to its argument (jacfwd's columns of `x @ w.T` are
      // `w.T` itself): the two permutes compose into the strides, and the inner one may never be computed.
      let through = operands.map { permuteStep($0) }
      guard let (shape, strides) = layout(
              nodes[source].type.shape, viewedAs: nodes[args[0]].type.shape, permutedBy: permute.order,
              operands: operands.map { nodes[$0].type.shape }, readThrough: through.map { $0?.order }) else { continue }
      for d in dropped + [elementwiseStep] { rewritten[d] = nil }
      for (k, inner) in through.enumerated() where inner != nil { readThrough[operands[k], default: 0] += 1 }
      let read = zip(operands, through).map { operand, inner in inner?.argument ?? operand }
      rewritten[s] = .permuted(PermutedElementwise(node: id, primitive: op, arguments: read, type: type, shape: shape, strides: strides))
    }
    // A permute every reader of which now reads through it is not computed.
    for (id, count) in readThrough where count == readers[id] {
      if let (_, _, step) = permuteStep(id) { rewritten[step] = nil }
    }
    return rewritten.compactMap { $0 }
  }

  /// The iteration shape and operand strides of `permute(order)` of an elementwise result of `shape`, seen as
  /// `view` (a reshape of it), with operands of `operands`' shapes broadcast to `shape`; nil when the reshape
  /// is not a regrouping of dims that the permute can move as blocks (`[2, 3]` seen as `[3, 2]`).
  /// An operand with a `readThrough` order is `permute(source, order)` read in `source`'s (contiguous) layout.
  static func layout(
    _ shape: [Int], viewedAs view: [Int], permutedBy order: [Int], operands: [[Int]], readThrough: [[Int]?]? = nil
  ) -> (shape: [Int], strides: [[Int]])? {
    /// Suffix products: `cuts[d]` elements per step of dim `d - 1`, `cuts[rank]` = 1.
    func cuts(_ s: [Int]) -> [Int] { s.indices.reversed().reduce(into: [1]) { $0.insert($0[0] * s[$1], at: 0) } }
    let (own, viewed) = (cuts(shape), cuts(view))
    let bounds = Set(own + viewed).sorted()
    // The finest dims both shapes split into: every boundary must divide the next.
    guard zip(bounds, bounds.dropFirst()).allSatisfy({ $1 % $0 == 0 }) else { return nil }
    /// The fine dims (outer first) of dim `d` of a shape with suffix products `c`, as (size, inner boundary).
    func fine(_ c: [Int], _ d: Int) -> [(size: Int, inner: Int)] {
      bounds.indices.dropFirst().reversed().filter { bounds[$0] <= c[d] && bounds[$0 - 1] >= c[d + 1] }
        .map { (bounds[$0] / bounds[$0 - 1], bounds[$0 - 1]) }
    }
    let operandStrides = operands.indices.map { k in
      guard let inner = readThrough?[k] else { return Broadcast.strides(of: operands[k], in: shape) }
      // Dim d of the operand is dim inner[d] of the source, whose own strides are row-major.
      var sourceShape = operands[k]
      for (d, o) in inner.enumerated() { sourceShape[o] = operands[k][d] }
      let sourceStrides = Shape.strides(sourceShape)
      let lead = shape.count - operands[k].count
      return (0..<shape.count).map { d in d < lead || operands[k][d - lead] == 1 ? 0 : sourceStrides[inner[d - lead]] }
    }
    /// The element stride of each operand along a fine dim whose inner boundary is `inner`.
    func strides(at inner: Int) -> [Int] {
      let d = shape.indices.first { own[$0 + 1] <= inner && inner < own[$0] }!
      return operandStrides.map { $0[d] * (inner / own[d + 1]) }
    }
    var sizes: [Int] = []
    var perDim: [[Int]] = []
    for d in order {
      for (size, inner) in fine(viewed, d) {
        sizes.append(size)
        perDim.append(strides(at: inner))
      }
    }
    // Adjacent dims every operand reads contiguously merge, so rows are as long as the layout allows.
    var merged: [(size: Int, strides: [Int])] = []
    for (size, s) in zip(sizes, perDim) {
      if let last = merged.last, zip(last.strides, s).allSatisfy({ $0 == $1 * size }) {
        merged[merged.count - 1] = (last.size * size, s)
      } else {
        merged.append((size, s))
      }
    }
    if merged.isEmpty { merged = [(1, operands.map { _ in 0 })] }
    return (merged.map(\.size), operands.indices.map { k in merged.map { $0.strides[k] } })
  }

  func run(_ values: inout [Tensor?], known: [Tensor?]) {
    let inputs = arguments.map { values[$0] ?? known[$0]! }
    switch type.dtype {
    case .float32: values[node] = Tensor(shape: type.shape, float32: run(inputs.map { $0.elements(as: Float.self) }))
    case .float64: values[node] = Tensor(shape: type.shape, float64: run(inputs.map { $0.elements(as: Double.self) }))
    case .int64, .bool: preconditionFailure("folding takes floating point ops only")
    }
  }

  /// Rows split across cores, each row in pieces of at most `Fusion.tileRange.upperBound` elements; row
  /// offsets are stepped from row to row, and nothing is allocated per row.
  private func run<T: FusedScalar>(_ inputs: [[T]]) -> [T] {
    let rank = shape.count
    let width = shape[rank - 1]
    let piece = min(width, Fusion.tileRange.upperBound)
    let binary = inputs.count > 1
    let a = inputs[0].withUnsafeBufferPointer { $0.baseAddress! }
    let b = binary ? inputs[1].withUnsafeBufferPointer { $0.baseAddress! } : a
    let (sa, sb) = (strides[0], binary ? strides[1] : strides[0])
    return withExtendedLifetime(inputs) {
      makeArray(count: type.count) { out in
        Parallel.forRanges(type.count / width, grain: max(1, Parallel.grain / width)) { rows in
          var (x, y) = (RowReader<T>(capacity: piece), RowReader<T>(capacity: binary ? piece : 0))
          defer {
            x.buffer.deallocate()
            y.buffer.deallocate()
          }
          let (bx, by) = (RowBlock<T>(width: width), RowBlock<T>(width: binary ? width : 0))
          defer {
            bx.release()
            by.release()
          }
          var cursor = RowCursor(shape: shape, sa, sb, row: rows.lowerBound)
          var row = rows.lowerBound
          while row < rows.upperBound {
            let count = min(RowBlock<T>.rows, rows.upperBound - row)
            for i in 0..<count {
              bx.starts[i] = cursor.a
              by.starts[i] = cursor.b
              cursor.next()
            }
            let blockA = bx.gather(a, stride: sa[rank - 1], count: count)
            let blockB = binary && by.gather(b, stride: sb[rank - 1], count: count)
            for i in 0..<count {
              var start = 0
              while start < width {
                let length = min(piece, width - start)
                let first = blockA ? .vector(UnsafePointer(bx.buffer + i * width)) : x.read(a, bx.starts[i] + start * sa[rank - 1], sa[rank - 1], length)
                let second: TileArg<T> = !binary ? .scalar(0)
                  : blockB ? .vector(UnsafePointer(by.buffer + i * width)) : y.read(b, by.starts[i] + start * sb[rank - 1], sb[rank - 1], length)
                T.tile(primitive, first, second, out.baseAddress! + (row + i) * width + start, length)
                start += length
              }
            }
            row += count
          }
        }
      }
    }
  }
}

/// One operand of up to `rows` consecutive output rows that read it across its own rows (a transpose: row `i`
/// starts one element after row `i - 1`, and steps by a large stride along the row), gathered in one pass: each
/// of its lines is read once for all the block's rows, not once per row. Strides of a power of two map every
/// element of a row to the same cache set, so reading them row by row missed the cache at almost every element.
private struct RowBlock<T> {
  /// How many output rows a block gathers: one 64-byte line of float32.
  static var rows: Int { 16 }
  /// Rows this wide or narrower are gathered by blocks (wider ones are long enough to read row by row).
  static var widest: Int { 512 }
  let width: Int
  let buffer: UnsafeMutablePointer<T>
  /// Where each row of the block starts in the operand.
  let starts: UnsafeMutablePointer<Int>

  init(width: Int) {
    self.width = width
    buffer = .allocate(capacity: width <= Self.widest ? max(width * Self.rows, 1) : 1)
    starts = .allocate(capacity: Self.rows)
  }

  func release() {
    buffer.deallocate()
    starts.deallocate()
  }

  /// Gathers the block's `count` rows into `buffer` (row `i` at `i * width`) when they read `base` across its
  /// rows; false (nothing gathered) otherwise.
  func gather(_ base: UnsafePointer<T>, stride: Int, count: Int) -> Bool {
    guard width <= Self.widest, count > 1, stride > 1, (1..<count).allSatisfy({ starts[$0] == starts[0] + $0 }) else { return false }
    for j in 0..<width {
      let line = base + starts[0] + j * stride
      for i in 0..<count { buffer[i * width + j] = line[i] }
    }
    return true
  }
}

/// One operand of a row: read in place (stride 1), as one value (stride 0), or gathered into `buffer`, which
/// is kept while consecutive rows start at the same element (an operand broadcast along the outer dims).
private struct RowReader<T> {
  let buffer: UnsafeMutablePointer<T>
  var gathered = (first: -1, length: 0)

  init(capacity: Int) { buffer = .allocate(capacity: max(capacity, 1)) }

  mutating func read(_ base: UnsafePointer<T>, _ first: Int, _ stride: Int, _ length: Int) -> TileArg<T> {
    if stride == 1 { return .vector(base + first) }
    if stride == 0 { return .scalar(base[first]) }
    if gathered != (first, length) {
      for j in 0..<length { buffer[j] = base[first + j * stride] }
      gathered = (first, length)
    }
    return .vector(UnsafePointer(buffer))
  }
}
