/// A batch of values that are zero off a few diagonals: example `b` is `Σ_k diagonals[k].value` where the
/// per-example dim `dim` has index `b + diagonals[k].offset`, zero elsewhere.
///
/// The one-hot basis a vectorized jacobian sweeps over is the band of one diagonal of ones. Linear maps
/// that act along other dims (scaling by an unbatched value, slicing, sums over other dims, products
/// whose free dim is the band's) keep a band a band, so they run on the diagonals, one example's worth of
/// work, instead of on `size` examples that are mostly zeros.
struct Band {
  /// The fewest sweeps that run as bands. Off the band the dense sweep computes `0 · u`, which PyTorch
  /// prints as `-0.` where `u` is negative; below this size (the jacobians notebooks print whole) the
  /// dense sweep keeps those zeros bit for bit.
  static let minimumSweeps = 32

  /// The per-example type.
  let type: TensorType
  let dim: Int
  /// Distinct offsets, ascending, each with its diagonal's values in the per-example type.
  let diagonals: [(offset: Int, value: Var)]

  /// The same offsets with each diagonal mapped by `transform`, the band now along `dim` of `type`.
  func map(_ type: TensorType, dim: Int, _ transform: (Var) throws -> Var) rethrows -> Band {
    Band(type: type, dim: dim, diagonals: try diagonals.map { ($0.offset, try transform($0.value)) })
  }

  /// The dense batch `[size] + type.shape`, written once.
  func dense(size: Int) throws -> Var {
    try Var.apply(BandEmbed(size: size, position: 0, dim: dim, offsets: diagonals.map(\.offset)), diagonals.map(\.value))
  }
}

/// A value of a graph batched over the one-hot basis.
enum BasisValue {
  case unbatched(Var)
  case dense(Var)
  case band(Band)
}

/// Primitives whose batching rule keeps a band a band. `arguments` hold at least one band and no dense
/// value; `output` is the per-example result type. Nil means the bands must be made dense first.
protocol BandRule {
  func batchBand(_ arguments: [BasisValue], output: TensorType) throws -> Band?
  /// The dense batch straight from the diagonals, when the band does not survive but its structure still
  /// saves work (a matrix times a band of vectors is a scaling of the matrix's rows); nil to densify first.
  func denseFromBand(_ arguments: [BasisValue], output: TensorType, size: Int) throws -> Var?
}

extension BandRule {
  func denseFromBand(_ arguments: [BasisValue], output: TensorType, size: Int) throws -> Var? { nil }
}

extension Graph {
  /// The vectorizing map over the one-hot basis: input `k` of `basis` stands for `size` one-hot vectors,
  /// vector `b` having its one at flat index `b + basis[k]` (as `Jacobian.oneHot` makes them). Those inputs
  /// are dropped from the result, whose inputs are the others in order.
  ///
  /// Values are carried as bands (`Band`) while `BandRule`s allow, made dense (`BandEmbed`) where they meet
  /// another rule, and batched from there as `batched` does. Entries off the band are exact zeros, where the
  /// dense sweep computes `0 · u` (`-0`, or NaN when `u` is not finite).
  public func batched(overBasis basis: [Int: Int], size: Int) throws -> Graph {
    let tracer = Tracer()
    var mapped = [BasisValue?](repeating: nil, count: nodes.count)
    let live = liveNodes()
    for (id, node) in nodes.enumerated() where live[id] || inputs.contains(id) {
      switch node.kind {
      case .input(let k):
        if let first = basis[k] {
          let flat = TensorType(shape: [node.type.count], dtype: node.type.dtype)
          let ones = tracer.constant(Tensor(repeating: 1, shape: flat.shape, dtype: flat.dtype))
          let seed = Band(type: flat, dim: 0, diagonals: [(first, ones)])
          mapped[id] = try Self.basisValue(Reshape(shape: node.type.shape), [.band(seed)], output: node.type, size: size)
        } else {
          mapped[id] = .unbatched(tracer.input(node.type))
        }
      case .constant(let tensor):
        mapped[id] = .unbatched(tracer.constant(tensor))
      case .apply(let primitive, let args):
        mapped[id] = try Self.basisValue(primitive, args.map { mapped[$0]! }, output: node.type, size: size)
      }
    }
    let results = try outputs.map { id -> Var in
      switch mapped[id]! {
      case .unbatched(let v): try Batching.materialize(v, size: size)
      case .dense(let v): v
      case .band(let band): try band.dense(size: size)
      }
    }
    return tracer.finish(outputs: results)
  }

  /// `primitive` applied to batched-over-basis arguments: unbatched when none is batched, a band when its
  /// `BandRule` allows, else its batching rule on dense values.
  private static func basisValue(_ primitive: any Primitive, _ arguments: [BasisValue], output: TensorType, size: Int) throws -> BasisValue {
    var plain: [Var] = []
    var hasDense = false
    for argument in arguments {
      switch argument {
      case .unbatched(let v): plain.append(v)
      case .dense: hasDense = true
      case .band: break
      }
    }
    if plain.count == arguments.count { return .unbatched(try Var.apply(primitive, plain)) }
    if !hasDense, let rule = primitive as? BandRule {
      if let band = try rule.batchBand(arguments, output: output) { return .band(band) }
      if let dense = try rule.denseFromBand(arguments, output: output, size: size) { return .dense(dense) }
    }
    var values: [Var] = []
    var flags: [Bool] = []
    for argument in arguments {
      switch argument {
      case .unbatched(let v): values.append(v); flags.append(false)
      case .dense(let v): values.append(v); flags.append(true)
      case .band(let band): values.append(try band.dense(size: size)); flags.append(true)
      }
    }
    return .dense(try primitive.batch(values, batched: flags, size: size))
  }
}
