import Foundation

/// Everything a caller can get wrong when asking the engine for a value or a derivative.
///
/// Each case carries what is needed to name the problem; `description` is the one-line message users see.
public enum EngineError: Error, Equatable, CustomStringConvertible {
  /// Shapes that do not broadcast or do not fit an operation, e.g. `mul` of `[2]` and `[3]`.
  case shapeMismatch(operation: String, detail: String)
  /// An argument outside what the operation accepts (a dim out of range, a bad size).
  case invalidArgument(operation: String, detail: String)
  /// A differentiation input or tangent whose dtype cannot carry derivatives.
  case notDifferentiable(what: String, dtype: DType)
  /// A tangent, cotangent or vector whose shape or arity does not match what it pairs with.
  case vectorMismatch(String)
  /// A dense result that would need more memory than the configured limit.
  case tooLarge(what: String, bytes: Int, limit: Int)
  /// `strict=True` and an output does not depend on an input.
  case independentOutput(String)
  /// Something about the function being differentiated (not a single element where one is needed, ...).
  case invalidFunction(String)
  /// A misuse of the autograd tape or forward-mode AD, in PyTorch's words (backward twice, a leaf written in place).
  case autograd(String)
  /// A mistake PyTorch reports in words of its own (shapes that do not broadcast or multiply): the message is
  /// exactly PyTorch's, so a script that prints a caught `RuntimeError` prints what it prints under PyTorch.
  case pytorch(String)

  public var description: String {
    switch self {
    case .shapeMismatch(let op, let detail): "\(op): \(detail)"
    case .invalidArgument(let op, let detail): "\(op): \(detail)"
    case .notDifferentiable(let what, let dtype):
      "\(what) has dtype \(dtype.torchName); only floating point tensors can be differentiated"
    case .vectorMismatch(let detail): detail
    case .tooLarge(let what, let bytes, let limit):
      "\(what) would need \(ByteCount.describe(bytes)), above the limit of \(ByteCount.describe(limit))"
    case .independentOutput(let detail): detail
    case .invalidFunction(let detail): detail
    case .autograd(let detail): detail
    case .pytorch(let message): message
    }
  }
}

/// Human-readable byte counts for messages about memory.
public enum ByteCount {
  public static func describe(_ bytes: Int) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f", value) + " " + units[unit]
  }
}
