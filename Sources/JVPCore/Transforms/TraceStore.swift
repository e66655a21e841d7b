import Foundation

/// Traced functions kept across autodiff calls, so a call whose trace is identical to an earlier one's reuses
/// that call's transformed graphs, execution plans and float64 check graphs instead of building them again.
///
/// The key is the trace itself, not the function's name or source: the caller traces each call it cannot
/// serve otherwise (its prints, random draws and reads of globals happen as before), and only a graph identical node for node,
/// with constants equal bit for bit (`Graph.isIdentical`), is served. A changed global baked into the trace
/// as a constant, a changed shape or dtype, or a different control-flow path gives a different graph and so
/// a fresh `TracedFunction`. Identical graphs evaluate to identical bits, so results and recorded runs are
/// those of an uncached call.
public final class TraceStore: @unchecked Sendable {
  /// The store every interpreter in the process shares (sweep points too).
  public static let shared = TraceStore()

  /// How many traced functions are kept; the oldest are dropped past it.
  let capacity: Int
  /// Traces whose constants hold more bytes than this are not kept: comparing them costs as much as
  /// planning, and keeping them would pin large tensors in memory.
  static let constantByteLimit = 1 << 16

  private struct Signature: Hashable {
    let inputTypes: [TensorType]
    let outputTypes: [TensorType]
    let nodeCount: Int
    let inputsAreTuple: Bool
    let outputsAreTuple: Bool
  }

  private let lock = NSLock()
  private var kept: [Signature: [TracedFunction]] = [:]
  private var order: [(Signature, TracedFunction)] = []

  public init(capacity: Int = 64) { self.capacity = capacity }

  /// The kept function whose trace is identical to `traced`'s, else `traced` itself, now kept.
  public func reuse(_ traced: TracedFunction) -> TracedFunction {
    guard Self.constantBytes(traced.graph) <= Self.constantByteLimit else { return traced }
    let graph = traced.graph
    let signature = Signature(
      inputTypes: graph.inputTypes, outputTypes: graph.outputTypes, nodeCount: graph.nodes.count,
      inputsAreTuple: traced.inputsAreTuple, outputsAreTuple: traced.outputsAreTuple)
    lock.lock()
    defer { lock.unlock() }
    if let match = kept[signature]?.first(where: { $0.graph.isIdentical(to: graph) }) { return match }
    kept[signature, default: []].append(traced)
    order.append((signature, traced))
    if order.count > capacity {
      let (oldSignature, oldest) = order.removeFirst()
      kept[oldSignature]?.removeAll { $0 === oldest }
      if kept[oldSignature]?.isEmpty == true { kept[oldSignature] = nil }
    }
    return traced
  }

  /// How many traced functions are kept now.
  public var count: Int {
    lock.lock()
    defer { lock.unlock() }
    return order.count
  }

  static func constantBytes(_ graph: Graph) -> Int {
    var total = 0
    for node in graph.nodes {
      if case .constant(let tensor) = node.kind { total += tensor.count * tensor.dtype.byteWidth }
    }
    return total
  }
}
