import JVPCore

/// `torch.func.vjp`, `jvp` and `linearize`: transforms applied at once to primals. `vjp` and `linearize`
/// return a function (`vjp_fn`, `jvp_fn`) that applies the linear map again at every call.
enum LinearizedCalls {
  /// `vjp(func, *primals, has_aux=False)`: `(output, vjp_fn)`, or `(output, vjp_fn, aux)`.
  static func vjp(_ interpreter: Interpreter, _ arguments: Arguments) throws -> Value {
    guard let function = arguments.positional.first else {
      throw RuntimeFailure("vjp() missing 1 required positional argument: 'func'", type: "TypeError")
    }
    let hasAux = try flag(arguments, "has_aux", "vjp")
    let primals = Array(arguments.positional.dropFirst())
    return try interpreter.recordingFunc(.vjp, "vjp(\(FuncModule.spell(function)))", function: function, arguments: primals) {
      let trace = try interpreter.traceFunc(
        function, primals, split: { try splitAux($0, hasAux, "vjp(f, *primals)") },
        requireTensors: { unsupported($0, "vjp(f, *primals)") })
      let wrt = trace.inputsOfArgument.flatMap { $0 }
      let (results, reverse) = try interpreter.measured {
        (try trace.graph.apply(to: trace.operands), try FuncGraphs.vjp(trace.graph, differentiated: trace.outputCount, wrt: wrt))
      }
      let output = trace.output(Array(results.prefix(trace.outputCount)))
      let pullback = LinearFunction(name: "vjp_fn", graph: reverse, operands: trace.operands, vectorSpec: trace.outputSpec,
                                    vectorTypes: Array(trace.graph.outputTypes.prefix(trace.outputCount)),
                                    resultCount: wrt.count, resultOffset: trace.outputCount,
                                    function: FuncChecks.outputs(trace.graph, trace.outputCount), wrt: wrt) { values in
        var iterator = values.makeIterator()
        return .tuple(zip(primals, trace.argumentSpecs).map { primal, spec in
          PyTree.unflatten(spec, PyTree.flattenLeaves(primal).map { leaf in
            if case .tensor = leaf { return .tensor(iterator.next()!) }
            return leaf
          })
        })
      }
      let aux = trace.aux(Array(results.dropFirst(trace.outputCount)))
      return .tuple([output, .object(pullback)] + (hasAux ? [aux] : []))
    }
  }

  /// `jvp(func, primals, tangents, *, has_aux=False)`: `(output, jvp_out)`, or `(output, jvp_out, aux)`.
  static func jvp(_ interpreter: Interpreter, _ arguments: Arguments) throws -> Value {
    let bound = try arguments.bind("jvp", ["func", "primals", "tangents", "strict", "has_aux"], required: 3)
    let function = bound.values["func"]!
    let hasAux = try bound.bool("has_aux", default: false)
    guard case .tuple(let primals) = bound.values["primals"]! else {
      throw RuntimeFailure("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    }
    let tangents = bound.values["tangents"]!
    return try interpreter.recordingFunc(
      .jvp, "jvp(\(FuncModule.spell(function)))", function: function, arguments: [.tuple(primals), tangents],
      roles: ["input", "tangent"]
    ) {
      let trace = try interpreter.traceFunc(
        function, primals, split: { try splitAux($0, hasAux, "jvp(f, primals, tangents)") },
        requireTensors: { unsupported($0, "jvp(f, primals, tangents)") })
      let (tangentLeaves, tangentSpec) = PyTree.flatten(tangents)
      guard tangentSpec.matches(PyTree.flatten(.tuple(primals)).spec) else {
        throw RuntimeFailure(
          "jvp(f, primals, tangents): Expected primals and tangents to have the same python structure. For example, if primals is a tuple of 3 tensors, tangents also must be. Got primals with structure \(PyTree.flatten(.tuple(primals)).spec.torchDescription) and tangents with structure \(tangentSpec.torchDescription)")
      }
      let wrt = trace.inputsOfArgument.flatMap { $0 }
      let tangentOperands = try checkedVectors(tangentLeaves, wrt.map { trace.operands[$0].type })
      let n = trace.outputCount
      if try bound.bool("strict", default: false), trace.graph.outputsDepend(on: Set(wrt)).prefix(n).contains(false) {
        throw RuntimeFailure(
          "jvp(f, primals, tangents, strict=True): The output of f is independent of the inputs. This is not allowed with strict=True.")
      }
      let results = try interpreter.measured {
        try FuncGraphs.jvp(trace.graph, differentiated: n, wrt: wrt).apply(to: trace.operands + tangentOperands)
      }
      interpreter.funcCheck { _ in
        try FuncChecks.tangents(FuncChecks.outputs(trace.graph, n), at: trace.operands, wrt: wrt, tangents: tangentOperands,
                                results: Array(results[n..<(2 * n)]))
      }
      let output = trace.output(try results.prefix(n).map { try $0.viewedOnTape("AliasBackward0") })
      let jvpOut = trace.output(Array(results[n..<(2 * n)]))
      return .tuple([output, jvpOut] + (hasAux ? [trace.aux(Array(results.dropFirst(2 * n)))] : []))
    }
  }

  /// `linearize(func, *primals)`: `(output, jvp_fn)`, `jvp_fn(*tangents)` giving the output's tangent.
  static func linearize(_ interpreter: Interpreter, _ arguments: Arguments) throws -> Value {
    guard let function = arguments.positional.first else {
      throw RuntimeFailure("linearize() missing 1 required positional argument: 'func'", type: "TypeError")
    }
    let primals = Array(arguments.positional.dropFirst())
    return try interpreter.recordingFunc(.linearize, "linearize(\(FuncModule.spell(function)))", function: function, arguments: primals) {
      let trace = try interpreter.traceFunc(
        function, primals, split: { ($0, nil) }, requireTensors: { unsupported($0, "jvp(f, primals, tangents)") })
      let wrt = trace.inputsOfArgument.flatMap { $0 }
      let n = trace.outputCount
      let (results, forward) = try interpreter.measured {
        (try trace.graph.apply(to: trace.operands), try FuncGraphs.jvp(trace.graph, differentiated: n, wrt: wrt))
      }
      let output = trace.output(results)
      let (_, primalSpec) = PyTree.flatten(.tuple(primals))
      let pushforward = LinearFunction(name: "jvp_fn", graph: forward, operands: trace.operands, vectorSpec: primalSpec,
                                       vectorTypes: wrt.map { trace.operands[$0].type }, resultCount: n, resultOffset: n,
                                       spreadsArguments: true, function: trace.graph, wrt: wrt) { values in trace.output(values) }
      return .tuple([output, .object(pushforward)])
    }
  }

  static func flag(_ arguments: Arguments, _ name: String, _ function: String) throws -> Bool {
    guard let value = arguments.keywords.first(where: { $0.name == name })?.value else { return false }
    guard case .bool(let flag) = value else {
      throw RuntimeFailure("\(function)(): \(name) must be a bool, got \(value.typeName)", type: "TypeError")
    }
    return flag
  }

  static func splitAux(_ result: Value, _ hasAux: Bool, _ caller: String) throws -> (Value, Value?) {
    guard hasAux else { return (result, nil) }
    guard case .tuple(let items) = result, items.count == 2 else {
      throw RuntimeFailure("\(caller): output of function f should be a tuple: (output, aux) if has_aux is True")
    }
    return (items[0], items[1])
  }

  static func unsupported(_ leaf: Value, _ caller: String) -> RuntimeFailure {
    RuntimeFailure("\(caller): expected f(*primals) to return only tensors, got unsupported type <class '\(leaf.typeName)'>")
  }

  /// Tangent leaves checked against the primals they pair with, as operands.
  static func checkedVectors(_ leaves: [Value], _ types: [TensorType]) throws -> [Operand] {
    try checkedVectors(leaves, types) { _, given, expected in
      "Trying to set a forward gradient that has a different size than that of the original Tensor, this is not supported. Tensor is of size \(expected.shape) while the given forward gradient is of size \(given.shape)."
    }
  }

  /// Tangent or cotangent leaves checked against the values they pair with; `mismatch(k, given, expected)` words a shape error.
  static func checkedVectors(
    _ leaves: [Value], _ types: [TensorType], mismatch: (Int, TensorType, TensorType) -> String
  ) throws -> [Operand] {
    try zip(leaves, types).enumerated().map { k, pair in
      let (leaf, type) = pair
      guard case .tensor(let operand, _) = leaf else {
        throw RuntimeFailure("Expected tangents and cotangents to be Tensors, got <class '\(leaf.typeName)'>")
      }
      guard operand.type.shape == type.shape else { throw RuntimeFailure(mismatch(k, operand.type, type)) }
      return operand
    }
  }
}


/// `vjp_fn` / `jvp_fn`: the linear map of a `vjp` or `linearize` call, applied to new vectors at every call
/// (inside another transform too: `vmap(vjp_fn)(unit_vectors)` batches its graph).
final class LinearFunction: ScriptObject {
  let name: String
  /// Inputs: `operands`, then one vector per entry of `vectorTypes`; results at `resultOffset..<+resultCount`.
  let graph: Graph
  let operands: [Operand]
  let vectorSpec: TreeSpec
  let vectorTypes: [TensorType]
  let resultCount: Int
  let resultOffset: Int
  /// `jvp_fn(*tangents)` takes the vectors as separate arguments; `vjp_fn(cotangents)` as one tree.
  let spreadsArguments: Bool
  let build: ([Operand]) -> Value
  /// The linearized function (its differentiated outputs) and its differentiated inputs, for the checks.
  let function: Graph
  let wrt: [Int]
  /// The run of the call that made this function, which its own runs link to.
  var madeBy: Int64?

  init(name: String, graph: Graph, operands: [Operand], vectorSpec: TreeSpec, vectorTypes: [TensorType],
       resultCount: Int, resultOffset: Int, spreadsArguments: Bool = false, function: Graph, wrt: [Int],
       build: @escaping ([Operand]) -> Value) {
    self.function = function
    self.wrt = wrt
    self.name = name
    self.graph = graph
    self.operands = operands
    self.vectorSpec = vectorSpec
    self.vectorTypes = vectorTypes
    self.resultCount = resultCount
    self.resultOffset = resultOffset
    self.spreadsArguments = spreadsArguments
    self.build = build
  }

  var typeName: String { "function" }
  func repr() -> String { "<function \(name == "vjp_fn" ? "_vjp_with_argnums" : "linearize").<locals>.wrapper at \(Display.address(of: name))>" }

  func call(_ interpreter: Interpreter, _ arguments: Arguments) throws -> Value {
    let role = name == "vjp_fn" ? "cotangent" : "tangent"
    return try interpreter.recordingFunc(
      name == "vjp_fn" ? .vjp : .jvp, name, function: nil, arguments: arguments.positional,
      roles: Array(repeating: role, count: arguments.positional.count), madeBy: madeBy
    ) {
      let given: Value = spreadsArguments ? .tuple(arguments.positional) : (arguments.positional.first ?? .none)
      if !spreadsArguments && arguments.positional.count != 1 {
        throw RuntimeFailure("\(name)() takes 1 positional argument but \(arguments.positional.count) were given", type: "TypeError")
      }
      let (leaves, spec) = PyTree.flatten(given)
      guard spec.matches(vectorSpec) || (leaves.count == 1 && vectorTypes.count == 1) else {
        throw RuntimeFailure(
          "Expected pytree structure of cotangents to be the same as pytree structure of outputs to the function. cotangents: \(spec.shortDescription), primal output: \(vectorSpec.shortDescription)")
      }
      let vectors = try LinearizedCalls.checkedVectors(leaves, vectorTypes) { k, given, expected in
        "Mismatch in shape: grad_output[\(k)] has a shape of \(TorchFormatter.sizeRepr(given.shape)) and output[\(k)] has a shape of \(TorchFormatter.sizeRepr(expected.shape))."
      }
      let results = Array(try interpreter.measured { try graph.apply(to: operands + vectors) }[resultOffset..<(resultOffset + resultCount)])
      interpreter.funcCheck { seed in
        name == "vjp_fn"
          ? try FuncChecks.cotangents(function, at: operands, wrt: wrt, cotangents: vectors, results: results, seed: seed)
          : try FuncChecks.tangents(function, at: operands, wrt: wrt, tangents: vectors, results: results)
      }
      return build(results)
    }
  }
}
