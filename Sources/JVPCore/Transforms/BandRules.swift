/// The primitives that keep a band a band (see `Band`): each maps the diagonals as it would map one
/// example and says where the band dim went; a nil result makes the caller densify.
extension BasisValue {
  var band: Band? { if case .band(let b) = self { b } else { nil } }
  var unbatched: Var? { if case .unbatched(let v) = self { v } else { nil } }
}

extension Band {
  /// The band dim after a broadcast of the per-example shape to `output` (leading dims added), or nil when
  /// the band dim itself is broadcast.
  func broadcastDim(to output: TensorType) -> Int? {
    let newDim = dim + output.rank - type.rank
    return newDim >= 0 && output.rank >= type.rank && output.shape[newDim] == type.shape[dim] ? newDim : nil
  }

  /// Two bands along the same dim added (or subtracted): shared offsets combine, the others pass on.
  static func merge(_ a: Band, _ b: Band, output: TensorType, subtract: Bool) throws -> Band? {
    guard a.type.shape == output.shape, b.type.shape == output.shape, a.dim == b.dim else { return nil }
    var result: [(offset: Int, value: Var)] = []
    var (i, j) = (0, 0)
    while i < a.diagonals.count || j < b.diagonals.count {
      let x = i < a.diagonals.count ? a.diagonals[i] : nil
      let y = j < b.diagonals.count ? b.diagonals[j] : nil
      if let x, let y, x.offset == y.offset {
        result.append((x.offset, try subtract ? x.value - y.value : x.value + y.value))
        i += 1
        j += 1
      } else if let x, y == nil || x.offset < y!.offset {
        result.append((x.offset, try x.value.converted(to: output.dtype)))
        i += 1
      } else if let y {
        result.append((y.offset, try (subtract ? y.value.negated() : y.value).converted(to: output.dtype)))
        j += 1
      }
    }
    return Band(type: output, dim: a.dim, diagonals: result)
  }
}

extension Add: BandRule {
  func batchBand(_ arguments: [BasisValue], output: TensorType) throws -> Band? {
    guard let a = arguments[0].band, let b = arguments[1].band else { return nil }
    return try Band.merge(a, b, output: output, subtract: false)
  }
}

extension Subtract: BandRule {
  func batchBand(_ arguments: [BasisValue], output: TensorType) throws -> Band? {
    guard let a = arguments[0].band, let b = arguments[1].band else { return nil }
    return try Band.merge(a, b, output: output, subtract: true)
  }
}

extension Multiply: BandRule {
  /// A band times an unbatched value: each diagonal times it.
  func batchBand(_ arguments: [BasisValue], output: TensorType) throws -> Band? {
    if let band = arguments[0].band, let u = arguments[1].unbatched, let dim = band.broadcastDim(to: output) {
      return try band.map(output, dim: dim) { try $0 * u }
    }
    if let u = arguments[0].unbatched, let band = arguments[1].band, let dim = band.broadcastDim(to: output) {
      return try band.map(output, dim: dim) { try u * $0 }
    }
    return nil
  }
}

extension Divide: BandRule {
  func batchBand(_ arguments: [BasisValue], output: TensorType) throws -> Band? {
    guard let band = arguments[0].band, let u = arguments[1].unbatched, let dim = band.broadcastDim(to: output) else { return nil }
    return try band.map(output, dim: dim) { try $0 / u }
  }
}

extension Negate: BandRule {
  func batchBand(_ arguments: [BasisValue], output: TensorType) throws -> Band? {
    try arguments[0].band?.map(output, dim: arguments[0].band!.dim) { try $0.negated() }
  }
}

extension Convert: BandRule {
  func batchBand(_ arguments: [BasisValue], output: TensorType) throws -> Band? {
    guard let band = arguments[0].band else { return nil }
    return try band.map(output, dim: band.dim) { try Var.apply(self, [$0]) }
  }
}

extension Reshape: BandRule {
  /// Reshapes that only add or drop unit dims keep the band dim.
  func batchBand(_ arguments: [BasisValue], output: TensorType) throws -> Band? {
    guard let band = arguments[0].band, band.type.shape[band.dim] != 1 else { return nil }
    let old = band.type.shape, new = shape
    guard old.filter({ $0 != 1 }) == new.filter({ $0 != 1 }) else { return nil }
    let rank = old[..<band.dim].filter { $0 != 1 }.count
    guard let dim = new.indices.filter({ new[$0] != 1 }).dropFirst(rank).first else { return nil }
    return try band.map(output, dim: dim) { try $0.reshape(shape) }
  }
}

extension Permute: BandRule {
  func batchBand(_ arguments: [BasisValue], output: TensorType) throws -> Band? {
    guard let band = arguments[0].band, let dim = order.firstIndex(of: band.dim) else { return nil }
    return try band.map(output, dim: dim) { try Var.apply(self, [$0]) }
  }
}

extension Expand: BandRule {
  func batchBand(_ arguments: [BasisValue], output: TensorType) throws -> Band? {
    guard let band = arguments[0].band, let dim = band.broadcastDim(to: output) else { return nil }
    return try band.map(output, dim: dim) { try $0.expanded(to: output) }
  }
}

extension Sum: BandRule {
  /// A sum over other dims sums each diagonal; a sum over the band dim makes the batch dense.
  func batchBand(_ arguments: [BasisValue], output: TensorType) throws -> Band? {
    guard let band = arguments[0].band, !dims.contains(band.dim) else { return nil }
    let dim = keepDim ? band.dim : band.dim - dims.filter { $0 < band.dim }.count
    return try band.map(output, dim: dim) { try Var.apply(self, [$0]) }
  }
}

extension ReduceTo: BandRule {
  func batchBand(_ arguments: [BasisValue], output: TensorType) throws -> Band? {
    guard let band = arguments[0].band else { return nil }
    let x = band.type.shape
    let lead = x.count - shape.count
    guard band.dim >= lead, shape[band.dim - lead] == x[band.dim] else { return nil }
    return try band.map(output, dim: band.dim - lead) { try Var.apply(self, [$0]) }
  }
}

extension Slice: BandRule {
  /// Other dims slice each diagonal; a unit-step slice of the band dim shifts the offsets.
  func batchBand(_ arguments: [BasisValue], output: TensorType) throws -> Band? {
    guard let band = arguments[0].band, dim != band.dim || step == 1 else { return nil }
    let shift = dim == band.dim ? start : 0
    let mapped = try band.map(output, dim: band.dim) { try Var.apply(self, [$0]) }
    return Band(type: output, dim: band.dim, diagonals: mapped.diagonals.map { ($0.offset - shift, $0.value) })
  }
}

extension SliceScatter: BandRule {
  func batchBand(_ arguments: [BasisValue], output: TensorType) throws -> Band? {
    guard let band = arguments[0].band, slice.dim != band.dim || slice.step == 1 else { return nil }
    let shift = slice.dim == band.dim ? slice.start : 0
    let mapped = try band.map(output, dim: band.dim) { try Var.apply(self, [$0]) }
    return Band(type: output, dim: band.dim, diagonals: mapped.diagonals.map { ($0.offset + shift, $0.value) })
  }
}

extension MatMul: BandRule {
  /// A band whose dim is the product's free dim on its side (rows of `op(A)`, columns of `op(B)`) times an
  /// unbatched operand is the product of each diagonal: one example's product instead of `size`.
  func batchBand(_ arguments: [BasisValue], output: TensorType) throws -> Band? {
    if let band = arguments[0].band, let b = arguments[1].unbatched, band.type.rank >= 2, band.type.rank == output.rank,
       band.dim == band.type.rank - (transposeA ? 1 : 2) {
      return try band.map(output, dim: output.rank - 2) { try Var.apply(self, [$0, b]) }
    }
    if let a = arguments[0].unbatched, let band = arguments[1].band, band.type.rank >= 2, band.type.rank == output.rank,
       band.dim == band.type.rank - (transposeB ? 2 : 1) {
      return try band.map(output, dim: output.rank - 1) { try Var.apply(self, [a, $0]) }
    }
    return nil
  }
}

extension MatMul {
  /// A matrix times a band of vectors (or a band of vectors times a matrix): vector `b` picks row
  /// `b + offset` of the matrix the vectors meet (`op(A)ᵀ`, or `op(B)`) scaled by its diagonal entry, so
  /// the batch is that matrix's rows scaled and shifted, with no product at all.
  func denseFromBand(_ arguments: [BasisValue], output: TensorType, size: Int) throws -> Var? {
    /// A band of vectors: rank 1, or a column (`[k, 1]`, for `B`) or row (`[1, k]`, for `A`) along `k`.
    func vector(_ value: BasisValue, column: Bool) -> Band? {
      guard let band = value.band else { return nil }
      let s = band.type.shape
      if s.count == 1 { return band }
      let isVector = s.count == 2 && (column ? s[1] == 1 && band.dim == 0 && !transposeB : s[0] == 1 && band.dim == 1 && !transposeA)
      return isVector ? band : nil
    }
    let rows: Var
    let band: Band
    if let a = arguments[0].unbatched, let b = vector(arguments[1], column: true), a.rank == 2 {
      (rows, band) = (transposeA ? a : try a.permute([1, 0]), b)
    } else if let a = vector(arguments[0], column: false), let b = arguments[1].unbatched, b.rank == 2 {
      (rows, band) = (transposeB ? try b.permute([1, 0]) : b, a)
    } else {
      return nil
    }
    let (k, columns) = (rows.shape[0], rows.shape[1])
    var terms: [Var] = []
    for (offset, diagonal) in band.diagonals {
      let scaled = try diagonal.reshape([k, 1]) * rows
      if offset == 0 && size == k {
        terms.append(scaled)
        continue
      }
      let (low, high) = (max(0, offset), min(k, size + offset))
      guard low < high else { continue }
      let piece = try scaled.slice(dim: 0, start: low, stop: high)
      let placement = Slice(dim: 0, start: low - offset, stop: high - offset, step: 1)
      terms.append(try Var.apply(SliceScatter(slice: placement, base: [size, columns]), [piece]))
    }
    guard var total = terms.first else { return nil }
    for term in terms.dropFirst() { total = try total + term }
    return try total.converted(to: output.dtype).reshape([size] + output.shape)
  }
}
