import JVPCore

/// `torch.func.functional_call(module, parameter_and_buffer_dicts, args, kwargs=None, *, tie_weights=True,
/// strict=False)`: calls the module with the given tensors in place of its parameters (by dotted name), then
/// puts its own back, so the result is a function of the tensors given.
enum FunctionalCall {
  static let function = Builtin(name: "functional_call") { interpreter, args in
    let bound = try args.bind(
      "functional_call", ["module", "parameter_and_buffer_dicts", "args", "kwargs", "tie_weights", "strict"], required: 3)
    guard case .object(let object) = bound.values["module"]!, let module = object as? NNModule else {
      throw RuntimeFailure("functional_call(): module must be a torch.nn.Module, got \(bound.values["module"]!.typeName)", type: "TypeError")
    }
    let dictionaries = bound.values["parameter_and_buffer_dicts"]!
    let dicts: [DictObject] = try (dictionaries.sequenceItems ?? [dictionaries]).map { item in
      guard case .object(let object) = item, let dict = object as? DictObject else {
        throw RuntimeFailure("Expected all elements of parameter_and_buffer_dicts to be dictionaries", type: "ValueError")
      }
      return dict
    }
    let slots = module.namedParameters()
    let given = dicts.flatMap { Array($0.pairs) }
    if try bound.bool("strict", default: false) { try checkStrictly(module, slots.map(\.name), given.map(\.0)) }
    var replaced: [(module: NNModule, slot: Int, original: Operand?)] = []
    defer { for (owner, slot, original) in replaced.reversed() { owner.parameters[slot].value = original } }
    for (key, value) in given {
      // A key naming no parameter is ignored, as PyTorch ignores it unless `strict=True`.
      guard case .string(let name) = key, let target = slots.first(where: { $0.name == name }) else { continue }
      guard case .tensor(let tensor, _) = value else {
        throw RuntimeFailure("functional_call(): the value for '\(name)' must be a Tensor, got \(value.typeName)", type: "TypeError")
      }
      replaced.append((target.module, target.slot, target.module.parameters[target.slot].value))
      target.module.parameters[target.slot].value = tensor
    }
    let inputs = bound.values["args"]!
    let positional: [Value] = if case .tuple(let items) = inputs { items } else { [inputs] }
    return try module.call(interpreter, Arguments(positional))
  }

  /// `strict=True`: PyTorch's error naming the keys that are no parameter and the parameters not given, sorted.
  static func checkStrictly(_ module: NNModule, _ names: [String], _ keys: [Value]) throws {
    let given = keys.map { key -> String in if case .string(let name) = key { name } else { Display.repr(key) } }
    let unexpected = Set(given).subtracting(names).sorted()
    let missing = Set(names).subtracting(given).sorted()
    guard !unexpected.isEmpty || !missing.isEmpty else { return }
    let quoted = { (keys: [String]) in keys.map { "'\($0)'" }.joined(separator: ", ") }
    var message = "Error(s) in reparametrizing for \(module.typeName):"
    if !unexpected.isEmpty { message += "\n\tUnexpected key(s): \(quoted(unexpected))." }
    if !missing.isEmpty { message += "\n\tMissing key(s): \(quoted(missing))." }
    throw RuntimeFailure(message)
  }
}
