import JVPCore

/// `torch.func`: `grad`, `grad_and_value`, `vjp`, `jvp`, `linearize`, `jacrev`, `jacfwd`, `hessian` and
/// `vmap` (also `torch.vmap`), with PyTorch 2.15's signatures.
enum FuncModule {
  static let functions: [String: Builtin] = {
    var table = [String: Builtin]()
    func add(_ name: String, _ body: @escaping @Sendable (Interpreter, Arguments) throws -> Value) {
      table[name] = Builtin(name: name, call: body)
    }
    add("grad") { _, args in try differentiating(.grad, args, ["func", "argnums", "has_aux"]) }
    add("grad_and_value") { _, args in try differentiating(.gradAndValue, args, ["func", "argnums", "has_aux"]) }
    add("jacrev") { _, args in try differentiating(.jacrev, args, ["func", "argnums", "has_aux", "chunk_size", "_preallocate_and_copy"]) }
    add("jacfwd") { _, args in try differentiating(.jacfwd, args, ["func", "argnums", "has_aux", "randomness"]) }
    add("hessian") { _, args in try differentiating(.hessian, args, ["func", "argnums"]) }
    add("vmap") { _, args in try vmap(args) }
    add("vjp") { interpreter, args in try LinearizedCalls.vjp(interpreter, args) }
    add("jvp") { interpreter, args in try LinearizedCalls.jvp(interpreter, args) }
    add("linearize") { interpreter, args in try LinearizedCalls.linearize(interpreter, args) }
    table["functional_call"] = FunctionalCall.function
    return table
  }()

  /// `grad(func, argnums=0, has_aux=False)` and the jacobian transforms: the transformed function.
  static func differentiating(_ kind: TransformedFunction.Kind, _ args: Arguments, _ names: [String]) throws -> Value {
    let name = kind.rawValue
    let bound = try args.bind(name, names, required: 1)
    let function = bound.values["func"]!
    var chunkSize: Int?
    if let chunk = bound["chunk_size"], chunk.isNotNone {
      chunkSize = try chunk.intValue("chunk_size")
      guard chunkSize! > 0 else { throw RuntimeFailure("jacrev: `chunk_size` should be greater than 0.", type: "ValueError") }
    }
    let randomness = try bound.string("randomness", default: "error")
    try checkRandomness(randomness)
    return .object(TransformedFunction(
      kind, function: function, argnums: try Argnums.parse(bound["argnums"], name),
      hasAux: try bound.bool("has_aux", default: false), chunkSize: chunkSize, randomness: randomness,
      spelling: spelling(name, args)))
  }

  /// `vmap(func, in_dims=0, out_dims=0, randomness='error', *, chunk_size=None)`.
  static func vmap(_ args: Arguments) throws -> Value {
    let bound = try args.bind("vmap", ["func", "in_dims", "out_dims", "randomness", "chunk_size"], required: 1)
    let randomness = try bound.string("randomness", default: "error")
    try checkRandomness(randomness)
    var chunkSize: Int?
    if let chunk = bound["chunk_size"], chunk.isNotNone {
      chunkSize = try chunk.intValue("chunk_size")
      guard chunkSize! > 0 else { throw RuntimeFailure("vmap: chunk_size should be None or greater than 0. (got \(chunkSize!))", type: "ValueError") }
    }
    let options = VmapCall.Options(inDims: bound.values["in_dims"] ?? .int(0), outDims: bound.values["out_dims"] ?? .int(0),
                                   randomness: randomness, chunkSize: chunkSize)
    return .object(TransformedFunction(.vmap, function: bound.values["func"]!, vmapOptions: options, spelling: spelling("vmap", args)))
  }

  /// PyTorch's check of `randomness`.
  static func checkRandomness(_ randomness: String) throws {
    guard ["error", "different", "same"].contains(randomness) else {
      throw RuntimeFailure("Only allowed values for randomness are 'error', 'different', or 'same'. Got \(randomness)")
    }
  }

  /// The call as written, with the function by name: `vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))`.
  static func spelling(_ name: String, _ args: Arguments) -> String {
    guard let function = args.positional.first else { return name + "()" }
    let rest = args.positional.dropFirst().map(Display.repr) + args.keywords.map { "\($0.name)=\(Display.repr($0.value))" }
    return "\(name)(" + ([spell(function)] + rest).joined(separator: ", ") + ")"
  }

  /// A function as the `transform` field names it: its name (a lambda: its source, which replay evaluates),
  /// a transform's spelling, `partial(f, ...)`.
  static func spell(_ function: Value) -> String {
    switch function {
    case .function(let user): user.name == "<lambda>" ? user.source : user.name
    case .builtin(let builtin): builtin.name
    case .object(let transformed as TransformedFunction): transformed.spelling
    case .object(let partial as PartialObject): "partial(\(spell(partial.function)), ...)"
    case .object(let linear as LinearFunction): linear.name
    default: function.typeName
    }
  }
}

extension Value {
  var isNotNone: Bool { if case .none = self { false } else { true } }
}
