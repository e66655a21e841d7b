import JVPCore

/// Traces of functions that read nothing from outside themselves, kept so that calling such a function again
/// on inputs of the same types skips tracing (and `TraceStore`'s node-by-node comparison): a dictionary lookup
/// instead of about 60k instructions per call.
///
/// A trace is kept only when, while it ran, the function read no name it did not bind itself (no global, no
/// closure variable, no builtin such as `print` or `len`, no module such as `torch`), declared nothing
/// `global` or `nonlocal`, left the random generator and the default dtype as it found them, and the function
/// has no default values. Such a trace is decided by the function's source, its parameters, the inputs' types
/// and the default dtype alone, which form the key; tracing it again would print nothing, draw nothing and
/// build the same graph. Any other function is traced every call, as PyTorch runs it every call.
struct ClosedTraces {
  struct Key: Hashable {
    let source: String
    let parameters: [String]
    let inputTypes: [TensorType]
    let inputsAreTuple: Bool
    let defaultDType: DType
  }

  /// More distinct closed traces than this in one script empties the store (a sweep over shapes keeps a few).
  static let capacity = 64

  private var kept: [Key: TracedFunction] = [:]

  /// How many traces are kept now.
  var count: Int { kept.count }

  subscript(key: Key) -> TracedFunction? { kept[key] }

  mutating func keep(_ traced: TracedFunction, for key: Key) {
    if kept.count >= Self.capacity { kept.removeAll(keepingCapacity: true) }
    kept[key] = traced
  }
}

extension Interpreter {
  /// The traced graph of `function` on inputs like `inputs`: a kept closed trace, else a fresh trace (kept when
  /// it turns out closed), shared through `TraceStore` with identical earlier traces.
  func tracedFunction(_ function: Value, inputs: [Tensor], inputsAreTuple: Bool, name: String) throws -> TracedFunction {
    guard case .function(let user) = function, user.defaults.allSatisfy({ $0 == nil }) else {
      return TraceStore.shared.reuse(try trace(function, inputs: inputs, inputsAreTuple: inputsAreTuple, name: name))
    }
    let key = ClosedTraces.Key(
      source: user.source, parameters: user.parameters.map(\.name), inputTypes: inputs.map(TensorType.init(of:)),
      inputsAreTuple: inputsAreTuple, defaultDType: defaultDType)
    if let kept = closedTraces[key] { return kept }
    let before = (generator.seed, generator.drawCount, generator.cachedNormal, defaultDType)
    traceIsClosed = true
    let traced = TraceStore.shared.reuse(try trace(function, inputs: inputs, inputsAreTuple: inputsAreTuple, name: name))
    if traceIsClosed && (generator.seed, generator.drawCount, generator.cachedNormal, defaultDType) == before {
      closedTraces.keep(traced, for: key)
    }
    return traced
  }
}
