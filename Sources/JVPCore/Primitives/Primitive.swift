/// An operation the engine knows how to compute and differentiate.
///
/// Each primitive is defined once, with its three rules side by side, as JAX does:
/// - `outputType` checks arguments and gives the result's shape and dtype;
/// - `forward` is the kernel;
/// - `jvp` maps argument tangents to the result's tangent (forward mode), emitting into the tracer;
/// - `vjp` maps the result's cotangent to argument cotangents (reverse mode, the transpose of `jvp`);
/// - `batch` applies the primitive to arguments of which some (`batched`) carry an extra leading dim of
///   `size`, giving a result with that leading dim: the vectorizing map behind `vectorize=True`.
/// A `nil` tangent or cotangent is a symbolic zero. Rules emit ordinary primitives, so their output can be
/// differentiated again: that is how hessians and hvps are built.
public protocol Primitive: Sendable, CustomStringConvertible {
  func outputType(_ arguments: [TensorType]) throws -> TensorType
  func forward(_ arguments: [Tensor], _ type: TensorType) -> Tensor
  func jvp(_ primals: [Var], _ output: Var, _ tangents: [Var?]) throws -> Var?
  func vjp(_ primals: [Var], _ output: Var, _ cotangent: Var) throws -> [Var?]
  func batch(_ arguments: [Var], batched: [Bool], size: Int) throws -> Var
  /// PyTorch's `grad_fn` class name for a result of this primitive on `arguments` (`MulBackward0`).
  func autogradName(_ arguments: [TensorType]) -> String
  /// Whether PyTorch's node saves tensors for backward, so that a second backward after freeing them fails.
  var savesTensors: Bool { get }
  /// Which arguments PyTorch's node saves, given which require grad, and whether it saves its output: an
  /// in-place write to a saved tensor makes backward fail with PyTorch's version-counter error.
  func savedForBackward(_ requiresGrad: [Bool]) -> (arguments: [Bool], output: Bool)
}

extension Primitive {
  /// The primitive's name capitalised with `Backward0`, PyTorch's naming for most nodes.
  public func autogradName(_ arguments: [TensorType]) -> String {
    let name = description.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
    let camel = name.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    return camel + "Backward0"
  }

  public var savesTensors: Bool { true }

  public func savedForBackward(_ requiresGrad: [Bool]) -> (arguments: [Bool], output: Bool) {
    (requiresGrad.map { _ in savesTensors }, false)
  }
}

/// Checks shared by several primitives' `outputType`.
enum Check {
  /// The most memory one result may take. Operations whose output would be larger (a broadcast of
  /// `[100000, 1]` with `[1, 100000]`, an `expand` to a huge shape) fail with an error naming the
  /// size instead of aborting the process when the allocation fails.
  static let maximumResultBytes = 4 << 30

  /// Refuses a result type with a negative dim or above `maximumResultBytes`; called on every
  /// primitive application, concrete or traced, before anything is allocated.
  static func result(_ type: TensorType, of primitive: any Primitive) throws {
    if type.shape.contains(where: { $0 < 0 }) {
      throw EngineError.invalidArgument(
        operation: primitive.description, detail: "the result shape \(Shape.describe(type.shape)) has a negative dimension")
    }
    let (bytes, overflow) = type.count.multipliedReportingOverflow(by: type.dtype.byteWidth)
    let needed = overflow ? Int.max : bytes
    if needed > maximumResultBytes {
      throw EngineError.tooLarge(
        what: "the \(type.dtype.rawValue) result of shape \(Shape.describe(type.shape)) of \(primitive.description)",
        bytes: needed, limit: maximumResultBytes)
    }
  }

  static func floating(_ type: TensorType, _ op: String) throws {
    if !type.dtype.isFloatingPoint {
      throw EngineError.invalidArgument(
        operation: op, detail: "expected a floating point tensor, got \(type.dtype.torchName) (int64 tensors support creation, indexing and display only)")
    }
  }

  /// `dim` normalised into `0..<rank` (negative dims count from the end), or an error naming the op.
  static func dim(_ dim: Int, rank: Int, _ op: String) throws -> Int {
    let r = max(rank, 1)
    guard dim >= -r && dim < r else {
      throw EngineError.invalidArgument(
        operation: op, detail: "dimension out of range (expected to be in range of [\(-r), \(r - 1)], but got \(dim))")
    }
    return dim < 0 ? dim + r : dim
  }
}
