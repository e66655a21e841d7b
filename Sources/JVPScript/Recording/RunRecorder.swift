import Foundation
import JVPCore

/// How a recorded autodiff call ended.
public enum CallStatus: String, Sendable, Codable {
  case ok, failed, interrupted
}

/// A tensor of a recorded call, with its role (`input`, `tangent`, `output`, `jvp`, ...) and its position
/// in the returned nesting (`[i]`, or `[i_out, j_in]` for jacobians of tuples).
public struct RecordedTensor {
  public let role: String
  public let index: [Int]
  public let name: String?
  public let tensor: Tensor
}

/// What a run records: one of `torch.autograd.functional`'s transforms, a tape pass (`backward`, `grad`) or
/// a forward-AD `dual_level()` block.
public enum RunKind: String, Sendable {
  case jvp, vjp, jacobian, hessian, hvp, vhp, backward, grad
  case forwardAD = "forward_ad"
  /// torch.func's own transforms (its `grad`, `vjp`, `jvp` and `hessian` share the names above).
  case gradAndValue = "grad_and_value"
  case linearize, jacrev, jacfwd, vmap

  init(_ kind: AutodiffKind) { self.init(rawValue: kind.rawValue)! }
}

/// Everything the interpreter knows about one autodiff call, handed to the recorder.
public struct RecordedCall {
  public var kind: RunKind
  public var functionName: String
  public var source: String
  /// The jacobian (or hessian outer) strategy, for the kinds that take one.
  public var strategy: JacobianStrategy?
  public var vectorize: Bool
  public var dtype: DType
  public var seed: UInt64?
  /// 32-bit draws the generator had made since `manual_seed` when the first input was drawn.
  public var rngOffset: Int?
  public var line: Int
  public var column: Int
  public var tensors: [RecordedTensor]
  /// Sources of the script functions the function called, by the global name it called them.
  public var functions: [String: String] = [:]
  /// A torch.func run's composition of transforms as written; nil for other runs.
  public var transform: String?
  /// For a `vjp_fn` / `jvp_fn` call: the id of the run that made the function.
  public var madeBy: Int64?
  public var timings: [(phase: String, samples: [Double])]
  public var checks: [CheckOutcome]
  public var status: CallStatus
  public var error: String?
  public var started: Date
  public var finished: Date
}

/// Where the interpreter sends every autodiff call it makes: the store, or nowhere.
public protocol RunRecorder: AnyObject {
  func record(_ call: RecordedCall) throws
  /// The id the last recorded call got, nil when the recorder assigns none.
  var lastRecordedID: Int64? { get }
}

extension RunRecorder {
  public var lastRecordedID: Int64? { nil }
}

/// A recorder that keeps nothing (tests, or runs without a database).
public final class DiscardingRecorder: RunRecorder {
  public init() {}
  public func record(_ call: RecordedCall) throws {}
}

/// A recorder that keeps calls in memory (tests).
public final class CollectingRecorder: RunRecorder {
  public private(set) var calls: [RecordedCall] = []
  public init() {}
  public func record(_ call: RecordedCall) throws { calls.append(call) }
  /// Calls are numbered from 1 in the order recorded.
  public var lastRecordedID: Int64? { calls.isEmpty ? nil : Int64(calls.count) }
}
