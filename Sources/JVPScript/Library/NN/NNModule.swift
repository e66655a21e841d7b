import JVPCore

/// A `torch.nn` module: `Linear`, `Tanh`, `ReLU` or `Sequential`. It holds its parameters (leaves that require
/// grad, printed as `Parameter containing:`) in PyTorch's registration order, is called on a tensor, indexes and
/// iterates its children (`Sequential`), and prints as PyTorch prints it.
final class NNModule: ScriptObject {
  enum Layer {
    case linear(inFeatures: Int, outFeatures: Int)
    case tanh, relu, sequential
  }

  let layer: Layer
  /// PyTorch's `_parameters`: name and value (a parameter, or what `functional_call` put in its place), in order.
  var parameters: [(name: String, value: Operand?)]
  /// PyTorch's `_modules` of a `Sequential`, named `0`, `1`, ...
  let children: [NNModule]

  init(_ layer: Layer, parameters: [(name: String, value: Operand?)] = [], children: [NNModule] = []) {
    self.layer = layer
    self.parameters = parameters
    self.children = children
  }

  var typeName: String {
    switch layer {
    case .linear: "Linear"
    case .tanh: "Tanh"
    case .relu: "ReLU"
    case .sequential: "Sequential"
    }
  }

  func repr() -> String {
    switch layer {
    case .linear(let inFeatures, let outFeatures):
      let hasBias = parameters.contains { $0.name == "bias" && $0.value != nil }
      return "Linear(in_features=\(inFeatures), out_features=\(outFeatures), bias=\(hasBias ? "True" : "False"))"
    case .tanh, .relu: return "\(typeName)()"
    case .sequential:
      guard !children.isEmpty else { return "Sequential()" }
      let lines = children.enumerated().map { i, child in
        "  (\(i)): " + child.repr().replacingOccurrences(of: "\n", with: "\n  ")
      }
      return "Sequential(\n" + lines.joined(separator: "\n") + "\n)"
    }
  }

  /// The module applied to `x`.
  func forward(_ x: Operand) throws -> Operand {
    switch layer {
    case .linear: return try NNFunctional.linear(x, try parameter("weight")!, try parameter("bias"))
    case .tanh: return try x.tanh()
    case .relu: return try x.relu()
    case .sequential: return try children.reduce(x) { try $1.forward($0) }
    }
  }

  func parameter(_ name: String) throws -> Operand? {
    guard let slot = parameters.first(where: { $0.name == name }) else {
      throw RuntimeFailure("'\(typeName)' object has no attribute '\(name)'", type: "AttributeError")
    }
    return slot.value
  }

  /// Every parameter with its dotted name (`0.weight`), children's in order, as `named_parameters()` yields them.
  func namedParameters(prefix: String = "") -> [(name: String, module: NNModule, slot: Int)] {
    var result = parameters.indices.compactMap { k in
      parameters[k].value == nil ? nil : (prefix + parameters[k].name, self, k)
    }
    for (i, child) in children.enumerated() { result += child.namedParameters(prefix: "\(prefix)\(i).") }
    return result
  }

  func call(_ interpreter: Interpreter, _ arguments: Arguments) throws -> Value {
    let input = try arguments.bind("forward", ["input"], required: 1).tensor("input")
    return .tensor(try forward(input))
  }

  func attribute(_ name: String) throws -> Value {
    switch (name, layer) {
    case ("in_features", .linear(let inFeatures, _)): return .int(inFeatures)
    case ("out_features", .linear(_, let outFeatures)): return .int(outFeatures)
    case ("weight", .linear), ("bias", .linear): return try parameter(name).map { .tensor($0) } ?? .none
    case ("forward", _): return method(name) { interpreter, args in try self.call(interpreter, args) }
    case ("named_parameters", _):
      return method(name) { _, args in
        _ = try args.bind(name, ["prefix", "recurse", "remove_duplicate"])
        let items = self.namedParameters().map { Value.tuple([.string($0.name), .tensor($0.module.parameters[$0.slot].value!)]) }
        return .object(IteratorObject("generator", ValueIterator(items)))
      }
    case ("parameters", _):
      return method(name) { _, args in
        _ = try args.bind(name, ["recurse"])
        let items = self.namedParameters().map { Value.tensor($0.module.parameters[$0.slot].value!) }
        return .object(IteratorObject("generator", ValueIterator(items)))
      }
    case ("zero_grad", _):
      return method(name) { _, args in
        _ = try args.bind(name, ["set_to_none"])
        for (_, module, slot) in self.namedParameters() {
          if case .taped(let t)? = module.parameters[slot].value { t.grad = nil }
        }
        return .none
      }
    default:
      throw RuntimeFailure("'\(typeName)' object has no attribute '\(name)'", type: "AttributeError")
    }
  }

  func setAttribute(_ name: String, _ value: Value) throws {
    guard let slot = parameters.firstIndex(where: { $0.name == name }) else {
      throw RuntimeFailure("'\(typeName)' object has no attribute '\(name)'", type: "AttributeError")
    }
    switch value {
    case .tensor(let x, _): parameters[slot].value = x
    case .none: parameters[slot].value = nil
    default:
      throw RuntimeFailure("cannot assign '\(value.typeName)' as parameter '\(name)' (torch.nn.Parameter or None expected)", type: "TypeError")
    }
  }

  func item(_ key: Value) throws -> Value {
    guard case .sequential = layer else { throw RuntimeFailure("'\(typeName)' object is not subscriptable", type: "TypeError") }
    let index = try key.intValue("Sequential index")
    guard index >= -children.count && index < children.count else {
      throw RuntimeFailure("index \(index) is out of range", type: "IndexError")
    }
    return .object(children[index < 0 ? index + children.count : index])
  }

  func length() throws -> Int {
    guard case .sequential = layer else { throw RuntimeFailure("object of type '\(typeName)' has no len()", type: "TypeError") }
    return children.count
  }

  func makeIterator() throws -> ValueIterator {
    guard case .sequential = layer else { throw RuntimeFailure("'\(typeName)' object is not iterable", type: "TypeError") }
    return ValueIterator(children.map { Value.object($0) })
  }

  private func method(_ name: String, _ body: @escaping (Interpreter, Arguments) throws -> Value) -> Value {
    .object(NativeFunction(name: name, owner: typeName, call: body))
  }
}
