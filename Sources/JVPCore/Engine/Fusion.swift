import JVPKernels

/// Loop fusion for the evaluator: chains of elementwise nodes over one shape, with the sums along trailing
/// dims that consume them, run as one pass over tiles that stay in cache.
///
/// `exp(x).sum(1)` and its tangent `(v * exp(x)).sum(1)` become one loop that reads x and v once and writes
/// only the two row sums: no intermediate tensor is allocated. A fused group reads its operands (inputs,
/// values computed earlier, views of them through `reshape`/`expand`) and produces its reductions plus any
/// member that something outside the group still needs. Values are exactly those of the unfused program:
/// every member runs the same scalar function (`FusibleElementwise.tile`) and sums use `RowSum`'s order.
enum Fusion {
  /// Bytes a tile may touch, so that all it reads and writes stays in L1: one tile's worth of each op's
  /// result and of each operand read from outside (in place or through a buffer).
  static let tileBytes = 32 * 1024
  /// Bounds on elements per tile. Longer tiles spread each op's per-tile setup over more elements; tiles
  /// are multiples of `RowSum.width` so long rows carry their accumulators across tiles.
  static let tileRange = 512...4096

  /// The steps for `schedule` (apply nodes in order; `isKnown` nodes are already computed), with fusible
  /// groups replaced by one fused step each.
  static func steps(_ graph: Graph, schedule: [Int], isKnown: [Bool]) -> [ExecutionPlan.Step] {
    let nodes = graph.nodes
    var position = [Int](repeating: -1, count: nodes.count)
    for (p, id) in schedule.enumerated() { position[id] = p }
    var users = [[Int]](repeating: [], count: nodes.count)
    for id in schedule { for arg in nodes[id].arguments { users[arg].append(id) } }
    var isOutput = [Bool](repeating: false, count: nodes.count)
    for id in graph.outputs { isOutput[id] = true }

    // Candidates: scheduled elementwise nodes whose operands all have the result's dtype.
    var elementwise = [(any FusibleElementwise)?](repeating: nil, count: nodes.count)
    for id in schedule {
      guard case .apply(let primitive, let args) = nodes[id].kind, let e = primitive as? any FusibleElementwise,
            e.arity == args.count, nodes[id].type.dtype != .int64, nodes[id].type.count > 0,
            args.allSatisfy({ nodes[$0].type.dtype == nodes[id].type.dtype }) else { continue }
      elementwise[id] = e
    }
    // Components of candidates connected through operands of the same shape and dtype.
    var parent = Array(0..<nodes.count)
    func find(_ x: Int) -> Int {
      var x = x
      while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
      return x
    }
    for id in schedule where elementwise[id] != nil {
      for arg in nodes[id].arguments where elementwise[arg] != nil && nodes[arg].type == nodes[id].type {
        parent[find(arg)] = find(id)
      }
    }
    var members: [Int: [Int]] = [:]
    for id in schedule where elementwise[id] != nil { members[find(id), default: []].append(id) }
    // Sums along trailing dims of a member join its group when all of the group's sums split rows alike.
    var reductions: [Int: [Int]] = [:]
    var split: [Int: Int] = [:]
    for id in schedule {
      guard case .apply(let primitive, let args) = nodes[id].kind, let sum = primitive as? Sum,
            elementwise[args[0]] != nil,
            let k = Reduction.trailingSplit(nodes[args[0]].type.shape, sum.dims) else { continue }
      let root = find(args[0])
      if let existing = split[root], existing != k { continue }
      split[root] = k
      reductions[root, default: []].append(id)
    }

    var groupOf = [FusedGroup?](repeating: nil, count: nodes.count)
    var groupPosition = [Int](repeating: -1, count: nodes.count)
    for (root, ids) in members {
      let sums = reductions[root] ?? []
      let inGroup = Set(ids + sums)
      let last = (ids + sums).map { position[$0] }.max()!
      // Everything outside that reads a member or a sum must run after the group.
      let producers = ids + sums
      if producers.contains(where: { id in users[id].contains { !inGroup.contains($0) && position[$0] < last } }) { continue }
      let group = FusedGroup(graph, members: ids, sums: sums, split: split[root], elementwise: elementwise,
                             isKnown: isKnown, position: position,
                             materialize: { id in isOutput[id] || users[id].contains { !inGroup.contains($0) } })
      // A member that reads one of the group's own sums (through a view: softmax's x / x.sum(1) in a
      // jvp) needs the sum before the pass that computes it: such a group cannot be one loop.
      if group.externals.contains(where: { inGroup.contains($0.node) }) { continue }
      // A lone elementwise op gains only when it reads through a view that would otherwise be copied.
      if ids.count + sums.count < 2 && !group.absorbedViews.contains(where: { nodes[$0].isApply(of: Expand.self) }) { continue }
      for id in producers {
        groupOf[id] = group
        groupPosition[id] = last
      }
    }
    // Views (reshape, expand) read only by fused groups are never materialized.
    var absorbed = [Bool](repeating: false, count: nodes.count)
    for id in schedule where !isOutput[id] && !users[id].isEmpty && users[id].allSatisfy({ groupOf[$0] != nil }) {
      if let group = groupOf[users[id][0]], group.absorbedViews.contains(id),
         users[id].allSatisfy({ groupOf[$0]?.absorbedViews.contains(id) == true }) {
        absorbed[id] = true
      }
    }
    var steps: [ExecutionPlan.Step] = []
    for (p, id) in schedule.enumerated() {
      if let group = groupOf[id] {
        if groupPosition[id] == p && group.lastNode == id { steps.append(.fused(group)) }
        continue
      }
      if absorbed[id] { continue }
      guard case .apply(let primitive, let args) = nodes[id].kind else { continue }
      steps.append(.apply(id: id, primitive: primitive, arguments: args, type: nodes[id].type))
    }
    return steps
  }
}

/// One fused loop: elementwise `ops` over `shape`, evaluated tile by tile, with row sums.
final class FusedGroup: @unchecked Sendable {
  /// Where an op's operand comes from.
  enum Source {
    case member(Int)
    /// An already computed value (`external` index), read through element strides in the group's shape.
    case external(Int)
  }

  enum Access {
    case full
    case scalar
    /// The base repeats along leading dims: element `i` is `base[i % period]`.
    case periodic(Int)
    /// Any other view (broadcast inner dims, reshapes): gathered into a buffer tile by tile.
    case strided(StridedView)
  }

  /// An op of the group; its primitive is `primitives[i]`, kept apart so that an op copies as plain values.
  struct Op {
    let node: Int
    let a: Source
    let b: Source
    /// Index into the materialized outputs, when something outside needs this member.
    let output: Int?
    /// For a binary op with an operand that holds one value per row (an external viewed as `StridedView.rows`):
    /// that external, its row stride and width, and whether it is operand `a`. The op reads it row by row
    /// (`binaries` has the op as a `BinaryFunction`) instead of from a gathered buffer.
    let rows: (external: Int, stride: Int, width: Int, first: Bool)?
  }

  let dtype: DType
  let shape: [Int]
  let count: Int
  /// The length of the rows the sums reduce (1 without sums).
  let inner: Int
  let ops: [Op]
  let primitives: [any FusibleElementwise]
  /// Ops not computed on their own: products that only a sum reads, accumulated straight into that sum.
  let skipped: [Bool]
  /// The ops that read an operand row by row (`Op.rows`), as binary functions.
  let binaries: [(any BinaryFunction)?]
  /// For each sum, the two operands of the product it accumulates directly, when it does.
  let dots: [(Source, Source)?]
  /// The sums: node, the member they reduce, and their result shape.
  let sums: [(node: Int, member: Int, shape: [Int])]
  /// The values read: node ids with how they are read.
  let externals: [(node: Int, access: Access)]
  /// The nodes this group produces: materialized members, then sums.
  let outputs: [Int]
  let materialized: [Int]
  /// Scheduled reshape/expand nodes read only through strides.
  let absorbedViews: Set<Int>
  /// The group's last node in schedule order, where it runs.
  let lastNode: Int
  /// Elements per tile (see `Fusion.tileBytes`), never more than the data rounded up to whole SIMD blocks.
  let tile: Int
  /// For externals repeating with a period shorter than a tile: where, in an area of `repeatedCount`
  /// elements, each run holds it repeated to period + tile elements, so every tile reads it in place.
  let repeated: [Int?]
  let repeatedCount: Int
  /// When the group is float32 exp of an operand read in place, and only its one or two sums read it (plainly,
  /// or times another operand read in place): that operand and, per sum, the external weighting it (nil for
  /// a plain sum). The sums then accumulate inside the exp kernel (`GlibcExpf.accumulate`) with no tile.
  let expSums: (input: Int, weights: [Int?])?

  init(_ graph: Graph, members: [Int], sums: [Int], split: Int?, elementwise: [(any FusibleElementwise)?],
       isKnown: [Bool], position: [Int], materialize: (Int) -> Bool) {
    let nodes = graph.nodes
    let type = nodes[members[0]].type
    let shape = type.shape
    let count = type.count
    dtype = type.dtype
    self.shape = shape
    self.count = count
    inner = split.map { shape[$0...].reduce(1, *) } ?? 1
    let ordered = members.sorted { position[$0] < position[$1] }
    var index: [Int: Int] = [:]
    for (i, id) in ordered.enumerated() { index[id] = i }
    var externals: [(node: Int, access: Access)] = []
    var externalIndex: [String: Int] = [:]
    var views = Set<Int>()
    let contiguous = Shape.strides(shape)

    /// A scheduled reshape (chain) of a value that is not fused here: the base node and the shape it is read as.
    func reshapeBase(_ id: Int) -> (Int, [Int])? {
      guard position[id] >= 0, case .apply(let p, let args) = nodes[id].kind, p is Reshape,
            elementwise[args[0]] == nil else { return nil }
      if let (base, _) = reshapeBase(args[0]) { return (base, nodes[id].type.shape) }
      return (args[0], nodes[id].type.shape)
    }

    func source(_ arg: Int) -> Source {
      if let m = index[arg] { return .member(m) }
      var base = arg
      var viewShape = nodes[arg].type.shape
      if let (b, s) = reshapeBase(arg) {
        (base, viewShape) = (b, s)
        views.insert(arg)
      } else if position[arg] >= 0, case .apply(let p, let args) = nodes[arg].kind, p is Expand, elementwise[args[0]] == nil {
        if let (b, s) = reshapeBase(args[0]) {
          (base, viewShape) = (b, s)
          views.insert(args[0])
        } else {
          (base, viewShape) = (args[0], nodes[args[0]].type.shape)
        }
        views.insert(arg)
      }
      let strides = Broadcast.strides(of: viewShape, in: shape)
      let baseCount = Shape.count(viewShape)
      let access: Access
      if strides == contiguous && baseCount == count {
        access = .full
      } else if baseCount == 1 {
        access = .scalar
      } else if (1..<max(shape.count, 1)).contains(where: { d in
        strides[..<d].allSatisfy { $0 == 0 } && strides[d...] == contiguous[d...] && shape[d...].reduce(1, *) == baseCount
      }) {
        access = .periodic(baseCount)
      } else {
        access = .strided(StridedView(shape, strides))
      }
      let key = "\(base)|\(strides)"
      if let k = externalIndex[key] { return .external(k) }
      externals.append((base, access))
      externalIndex[key] = externals.count - 1
      return .external(externals.count - 1)
    }

    var ops: [Op] = []
    var materialized: [Int] = []
    for id in ordered {
      let args = nodes[id].arguments
      let a = source(args[0])
      let b = args.count > 1 ? source(args[1]) : a
      var output: Int?
      if materialize(id) {
        output = materialized.count
        materialized.append(id)
      }
      func byRows(_ s: Source, first: Bool) -> (Int, Int, Int, Bool)? {
        guard case .external(let e) = s, case .strided(let view) = externals[e].access, let (stride, width) = view.rows else {
          return nil
        }
        return (e, stride, width, first)
      }
      let rows = elementwise[id] is any BinaryFunction ? byRows(a, first: true) ?? byRows(b, first: false) : nil
      ops.append(Op(node: id, a: a, b: b, output: output, rows: rows))
    }
    self.ops = ops
    let primitives = ordered.map { elementwise[$0]! }
    self.primitives = primitives
    binaries = ops.indices.map { ops[$0].rows == nil ? nil : primitives[$0] as? any BinaryFunction }
    // sum(a * b) where nothing else reads the product: accumulate a*b without storing it (same roundings).
    var skipped = [Bool](repeating: false, count: ops.count)
    var dots: [(Source, Source)?] = []
    let summedMembers = sums.map { index[nodes[$0].arguments[0]]! }
    for m in summedMembers {
      let op = ops[m]
      let readByOps = ops.contains { o in
        [o.a, o.b].contains { if case .member(let x) = $0 { x == m } else { false } }
      }
      if primitives[m] is Multiply, op.output == nil, !readByOps, summedMembers.filter({ $0 == m }).count == 1 {
        skipped[m] = true
        dots.append((op.a, op.b))
      } else {
        dots.append(nil)
      }
    }
    self.skipped = skipped
    self.dots = dots
    self.sums = sums.map { ($0, index[nodes[$0].arguments[0]]!, nodes[$0].type.shape) }
    self.externals = externals
    self.materialized = materialized
    self.outputs = materialized + sums
    self.absorbedViews = views
    self.lastNode = (members + sums).max { position[$0] < position[$1] }!
    // What a tile touches: each op's result and each operand read from outside, in place or through a buffer.
    let streams = skipped.filter { !$0 }.count + externals.filter { if case .scalar = $0.access { false } else { true } }.count
    let fit = Fusion.tileBytes / (max(1, streams) * type.dtype.byteWidth) / RowSum.width * RowSum.width
    var tile = min(max(fit, Fusion.tileRange.lowerBound), Fusion.tileRange.upperBound)
    // Tiles that divide the periods of repeating externals never wrap inside one, so they are read in place.
    let periods = externals.compactMap { if case .periodic(let p) = $0.access { p } else { nil } }
    if !periods.isEmpty, let divisor = stride(from: tile, through: Fusion.tileRange.lowerBound, by: -RowSum.width)
      .first(where: { t in periods.allSatisfy { $0 % t == 0 } }) {
      tile = divisor
    }
    tile = min(tile, (count + RowSum.width - 1) / RowSum.width * RowSum.width)
    self.tile = tile
    var repeatedCount = 0
    repeated = externals.map { external in
      guard case .periodic(let period) = external.access, period < tile else { return nil }
      defer { repeatedCount += period + tile }
      return repeatedCount
    }
    self.repeatedCount = repeatedCount
    expSums = Self.expSums(dtype: dtype, ops: ops, primitives: primitives, skipped: skipped, dots: dots,
                           summed: self.sums.map(\.member), externals: externals)
  }

  static func expSums(dtype: DType, ops: [Op], primitives: [any FusibleElementwise], skipped: [Bool],
                      dots: [(Source, Source)?], summed: [Int], externals: [(node: Int, access: Access)]) -> (Int, [Int?])? {
    let computed = ops.indices.filter { !skipped[$0] }
    guard dtype == .float32, (1...2).contains(summed.count), computed.count == 1, let m = computed.first,
          primitives[m] is Exp, ops[m].output == nil, ops[m].rows == nil,
          case .external(let input) = ops[m].a, case .full = externals[input].access else { return nil }
    var weights: [Int?] = []
    for (j, member) in summed.enumerated() {
      guard let (a, b) = dots[j] else {
        guard member == m else { return nil }
        weights.append(nil)
        continue
      }
      switch (a, b) {
      case (.member(m), .external(let w)), (.external(let w), .member(m)):
        guard case .full = externals[w].access else { return nil }
        weights.append(w)
      default: return nil
      }
    }
    return (input, weights)
  }

  /// Reads the externals from `values` (or `known`) and stores the outputs into `values`.
  func run(_ values: inout [Tensor?], known: [Tensor?]) {
    switch dtype {
    case .float32: run(Float.self, &values, known)
    case .float64: run(Double.self, &values, known)
    case .int64, .bool: preconditionFailure("fusion excludes int64")
    }
  }

  private func run<T: FusedScalar>(_: T.Type, _ values: inout [Tensor?], _ known: [Tensor?]) {
    let rows = count / inner
    let inputs = externals.map { (values[$0.node] ?? known[$0.node]!).elements(as: T.self) }
    let outputCount = materialized.count + sums.count
    let sources = UnsafeMutablePointer<UnsafePointer<T>>.allocate(capacity: max(1, inputs.count))
    let targets = UnsafeMutablePointer<UnsafeMutablePointer<T>>.allocate(capacity: max(1, outputCount))
    defer {
      sources.deallocate()
      targets.deallocate()
    }
    // The arrays outlive every use of these pointers (withExtendedLifetime below) and are never mutated
    // through Array API while the kernel writes into them.
    for (e, input) in inputs.enumerated() { sources[e] = input.withUnsafeBufferPointer { $0.baseAddress! } }
    var results: [[T]] = []
    results.reserveCapacity(outputCount)
    for k in 0..<outputCount {
      let n = k < materialized.count ? count : rows
      results.append([T](unsafeUninitializedCapacity: n) { buffer, initialized in
        targets[k] = buffer.baseAddress!
        initialized = n
      })
    }
    withExtendedLifetime(inputs) {
      withExtendedLifetime(results) {
        let (s, t) = (UnsafePointer(sources), UnsafePointer(targets))
        let body: (Range<Int>) -> Void
        if let expSums, T.self == Float.self, GlibcExpf.isAvailable {
          let (fs, ft) = (UnsafeRawPointer(s).assumingMemoryBound(to: UnsafePointer<Float>.self),
                          UnsafeRawPointer(t).assumingMemoryBound(to: UnsafeMutablePointer<Float>.self))
          body = { range in self.processExpSums(range, expSums.input, expSums.weights, fs, ft) }
        } else {
          body = { range in self.process(range, s, t) }
        }
        if count >= 2 * Parallel.grain {
          Parallel.forRanges(rows, grain: max(1, Parallel.grain / inner), body)
        } else {
          body(0..<rows)
        }
      }
    }
    for (k, id) in materialized.enumerated() { values[id] = Tensor(shape: shape, storage: T.storage(results[k])) }
    for (j, sum) in sums.enumerated() {
      values[sum.node] = Tensor(shape: sum.shape, storage: T.storage(results[materialized.count + j]))
    }
  }

  /// Rows `range` of a group with `expSums`: each row's sums straight from the exp kernel, then the last
  /// `inner % 16` exps and their terms added in order, as `RowSum.finish` does after a tile's blocks.
  private func processExpSums(_ range: Range<Int>, _ input: Int, _ weights: [Int?], _ sources: UnsafePointer<UnsafePointer<Float>>,
                              _ outputs: UnsafePointer<UnsafeMutablePointer<Float>>) {
    let accumulators = UnsafeMutablePointer<SIMD16<Float>>.allocate(capacity: 2)
    let ones = UnsafeMutablePointer<Float>.allocate(capacity: RowSum.width)
    let tail = UnsafeMutablePointer<Float>.allocate(capacity: RowSum.width)
    defer {
      accumulators.deallocate()
      ones.deallocate()
      tail.deallocate()
    }
    ones.initialize(repeating: 1, count: RowSum.width)
    let sumOutputs = outputs + materialized.count
    for r in range {
      let start = r * inner
      // A plain sum is weighted by a block of ones (mask 0: read over and over), which is exact.
      func weight(_ j: Int) -> (UnsafePointer<Float>, Int) {
        guard j < weights.count, let w = weights[j] else { return (UnsafePointer(ones), 0) }
        return (sources[w] + start, -1)
      }
      accumulators[0] = SIMD16<Float>()
      accumulators[1] = SIMD16<Float>()
      let ((w0, m0), (w1, m1)) = (weight(0), weight(1))
      let used = GlibcExpf.accumulate(sources[input] + start, count: inner, w0, mask: m0, w1, mask: m1, accumulators)
      GlibcExpf.apply(sources[input] + start + used, tail, count: inner - used)
      for (j, w) in weights.enumerated() {
        sumOutputs[j][r] = if let w {
          RowSum.finishProducts(accumulators[j], .vector(tail), .vector(sources[w] + start + used), 0, inner - used)
        } else {
          RowSum.finish(accumulators[j], tail, inner - used)
        }
      }
    }
  }

  /// Rows `range` of the group: every op over each tile, then the row sums.
  private func process<T: FusedScalar>(_ range: Range<Int>, _ sources: UnsafePointer<UnsafePointer<T>>,
                                       _ outputs: UnsafePointer<UnsafeMutablePointer<T>>) {
    let scratch = UnsafeMutablePointer<T>.allocate(capacity: (ops.count + externals.count) * tile)
    let index = UnsafeMutablePointer<Int>.allocate(capacity: max(1, shape.count))
    let repeatedArea = repeatedCount > 0 ? UnsafeMutablePointer<T>.allocate(capacity: repeatedCount) : nil
    defer {
      scratch.deallocate()
      index.deallocate()
      repeatedArea?.deallocate()
    }
    for (e, at) in repeated.enumerated() {
      if let at, let repeatedArea, case .periodic(let period) = externals[e].access {
        Self.repeatPeriod(sources[e], period, from: 0, into: repeatedArea + at, period + tile)
      }
    }
    let sumOutputs = outputs + materialized.count

    func memberPointer(_ m: Int, _ start: Int) -> UnsafeMutablePointer<T> {
      if let o = ops[m].output { return outputs[o] + start }
      return scratch + m * tile
    }
    func argument(_ s: Source, _ start: Int, _ length: Int) -> TileArg<T> {
      switch s {
      case .member(let m): return .vector(UnsafePointer(memberPointer(m, start)))
      case .external(let e):
        let base = sources[e]
        switch externals[e].access {
        case .full: return .vector(base + start)
        case .scalar: return .scalar(base[0])
        case .periodic(let period):
          let offset = start % period
          if let at = repeated[e], let repeatedArea { return .vector(repeatedArea + at + offset) }
          if offset + length <= period { return .vector(base + offset) }
          let buffer = scratch + (ops.count + e) * tile
          Self.repeatPeriod(base, period, from: offset, into: buffer, length)
          return .vector(UnsafePointer(buffer))
        case .strided(let view):
          let buffer = scratch + (ops.count + e) * tile
          view.gather(base, start, length, into: buffer, index)
          return .vector(UnsafePointer(buffer))
        }
      }
    }
    func computeTile(_ start: Int, _ length: Int) {
      for (m, op) in ops.enumerated() where !skipped[m] {
        if let (e, stride, width, first) = op.rows {
          let rows = TileRows(values: sources[e] + start / width * stride, stride: stride, width: width, column: start % width)
          let other = argument(first ? op.b : op.a, start, length)
          T.tile(binaries[m]!, rows: rows, other, rowsFirst: first, memberPointer(m, start), length)
          continue
        }
        let primitive = primitives[m]
        let a = argument(op.a, start, length)
        let b = primitive.arity > 1 ? argument(op.b, start, length) : a
        T.tile(primitive, a, b, memberPointer(m, start), length)
      }
    }

    if inner <= tile {
      let rowsPerTile = max(1, tile / inner)
      var r = range.lowerBound
      while r < range.upperBound {
        let k = min(rowsPerTile, range.upperBound - r)
        computeTile(r * inner, k * inner)
        for (j, sum) in sums.enumerated() {
          if let (a, b) = dots[j] {
            let (pa, pb) = (argument(a, r * inner, k * inner), argument(b, r * inner, k * inner))
            for row in 0..<k {
              var acc = SIMD16<T>()
              let used = RowSum.accumulateProducts(&acc, pa, pb, row * inner, inner)
              sumOutputs[j][r + row] = RowSum.finishProducts(acc, pa, pb, row * inner + used, inner - used)
            }
            continue
          }
          let source = memberPointer(sum.member, r * inner)
          for row in 0..<k { sumOutputs[j][r + row] = RowSum.sum(UnsafePointer(source + row * inner), inner) }
        }
        r += k
      }
    } else {
      let accumulators = UnsafeMutablePointer<SIMD16<T>>.allocate(capacity: max(1, sums.count))
      defer { accumulators.deallocate() }
      for r in range {
        for j in 0..<sums.count { accumulators[j] = SIMD16<T>() }
        var offset = 0
        while offset < inner {
          let length = min(tile, inner - offset)
          let start = r * inner + offset
          computeTile(start, length)
          for (j, sum) in sums.enumerated() {
            if let (a, b) = dots[j] {
              let (pa, pb) = (argument(a, start, length), argument(b, start, length))
              let used = RowSum.accumulateProducts(&accumulators[j], pa, pb, 0, length)
              if offset + length == inner { sumOutputs[j][r] = RowSum.finishProducts(accumulators[j], pa, pb, used, length - used) }
              continue
            }
            let source = UnsafePointer(memberPointer(sum.member, start))
            let used = RowSum.accumulate(&accumulators[j], source, length)
            if offset + length == inner { sumOutputs[j][r] = RowSum.finish(accumulators[j], source + used, length - used) }
          }
          offset += length
        }
      }
    }
  }
}

extension FusedGroup {
  /// `count` elements of `base` repeated with `period`, starting at element `offset` of the period.
  static func repeatPeriod<T>(_ base: UnsafePointer<T>, _ period: Int, from offset: Int, into buffer: UnsafeMutablePointer<T>,
                              _ count: Int) {
    var done = 0
    var from = offset
    while done < count {
      let piece = min(count - done, period - from)
      (buffer + done).update(from: base + from, count: piece)
      done += piece
      from = 0
    }
  }
}

/// A value read through element strides over the group's shape, with size-1 dims dropped and adjacent dims
/// that step as one merged (outer stride = inner stride * inner size, broadcast pairs included): the rows
/// `gather` walks (runs along the last dim) are then as long as they can be.
struct StridedView {
  let shape: [Int]
  let strides: [Int]
  /// For a view with one value per row (two dims, the last broadcast: a value broadcast along trailing dims,
  /// as cotangents of sums are), the base stride between rows and the row width.
  var rows: (stride: Int, width: Int)? { shape.count == 2 && strides[1] == 0 ? (strides[0], shape[1]) : nil }

  init(_ shape: [Int], _ strides: [Int]) {
    var mergedShape: [Int] = []
    var mergedStrides: [Int] = []
    for (size, stride) in zip(shape, strides) where size != 1 {
      if let last = mergedShape.last, mergedStrides.last! == stride * size {
        mergedShape[mergedShape.count - 1] = last * size
        mergedStrides[mergedStrides.count - 1] = stride
      } else {
        mergedShape.append(size)
        mergedStrides.append(stride)
      }
    }
    self.shape = mergedShape.isEmpty ? [1] : mergedShape
    self.strides = mergedStrides.isEmpty ? [0] : mergedStrides
  }

  /// Elements `start..<start+length` (row-major in the group's shape) into `buffer`, row by row: broadcast
  /// rows are fills, contiguous ones copies. `index` is scratch for the position in the outer dims.
  func gather<T: FloatElement>(_ base: UnsafePointer<T>, _ start: Int, _ length: Int,
                               into buffer: UnsafeMutablePointer<T>, _ index: UnsafeMutablePointer<Int>) {
    let last = shape.count - 1
    let width = shape[last]
    let step = strides[last]
    var column = start % width
    var rest = start / width
    if let (rowStride, _) = rows {
      var done = 0
      while done < length {
        let run = min(length - done, width - column)
        Self.fill(buffer + done, base[rest * rowStride], run)
        done += run
        rest += 1
        column = 0
      }
      return
    }
    var row = 0
    for d in stride(from: last - 1, through: 0, by: -1) {
      index[d] = rest % shape[d]
      rest /= shape[d]
      row += index[d] * strides[d]
    }
    var done = 0
    while true {
      let run = min(length - done, width - column)
      let target = buffer + done
      let from = base + row + column * step
      switch step {
      case 0: Self.fill(target, from.pointee, run)
      case 1: target.update(from: from, count: run)
      default: for j in 0..<run { target[j] = from[j * step] }
      }
      done += run
      if done == length { return }
      // The next row: carry through the outer dims.
      column = 0
      var d = last - 1
      index[d] += 1
      row += strides[d]
      while d > 0 && index[d] == shape[d] {
        row -= shape[d] * strides[d]
        index[d] = 0
        d -= 1
        index[d] += 1
        row += strides[d]
      }
    }
  }

  /// `target[0..<count] = value`, sixteen lanes per store (the last store overlapping the one before).
  @inline(__always)
  static func fill<T: FloatElement>(_ target: UnsafeMutablePointer<T>, _ value: T, _ count: Int) {
    guard count >= 16 else {
      target.update(repeating: value, count: count)
      return
    }
    let block = SIMD16<T>(repeating: value)
    var j = 0
    while j + 16 < count {
      UnsafeMutableRawPointer(target + j).storeBytes(of: block, as: SIMD16<T>.self)
      j += 16
    }
    UnsafeMutableRawPointer(target + count - 16).storeBytes(of: block, as: SIMD16<T>.self)
  }
}

/// Calls the fused kernel of the right element type (the protocol has one per dtype).
protocol FusedScalar: FloatElement {
  static func tile(_ p: any FusibleElementwise, _ a: TileArg<Self>, _ b: TileArg<Self>, _ out: UnsafeMutablePointer<Self>, _ n: Int)
  static func tile(_ p: any BinaryFunction, rows: TileRows<Self>, _ other: TileArg<Self>, rowsFirst: Bool,
                   _ out: UnsafeMutablePointer<Self>, _ n: Int)
}

extension Float: FusedScalar {
  @inline(__always)
  static func tile(_ p: any FusibleElementwise, _ a: TileArg<Float>, _ b: TileArg<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    p.tile(a, b, out, n)
  }

  @inline(__always)
  static func tile(_ p: any BinaryFunction, rows: TileRows<Float>, _ other: TileArg<Float>, rowsFirst: Bool,
                   _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    p.tile(rows: rows, other, rowsFirst: rowsFirst, out, n)
  }
}

extension Double: FusedScalar {
  @inline(__always)
  static func tile(_ p: any FusibleElementwise, _ a: TileArg<Double>, _ b: TileArg<Double>, _ out: UnsafeMutablePointer<Double>, _ n: Int) {
    p.tile(a, b, out, n)
  }

  @inline(__always)
  static func tile(_ p: any BinaryFunction, rows: TileRows<Double>, _ other: TileArg<Double>, rowsFirst: Bool,
                   _ out: UnsafeMutablePointer<Double>, _ n: Int) {
    p.tile(rows: rows, other, rowsFirst: rowsFirst, out, n)
  }
}

extension Node {
  func isApply<P: Primitive>(of _: P.Type) -> Bool {
    if case .apply(let primitive, _) = kind { return primitive is P }
    return false
  }
}
