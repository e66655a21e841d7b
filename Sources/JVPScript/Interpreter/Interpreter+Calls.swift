import JVPCore

extension Interpreter {
  /// Calls a function value; errors inside library code are located at `location`.
  func call(_ function: Value, _ arguments: Arguments, at location: SourceLocation) throws(ScriptError) -> Value {
    switch function {
    case .function(let user):
      return try callUser(user, arguments, at: location)
    case .builtin(let builtin):
      currentCallLocation = location
      return try located(location) { try builtin.call(self, arguments) }
    case .boundMethod(let receiver, let name) where TensorAutograd.methods.contains(name):
      currentCallLocation = location
      return try located(location) { try TensorAutograd.call(self, name, receiver, arguments) }
    case .boundMethod(let receiver, let name):
      currentCallLocation = location
      return try located(location) { try TensorMethods.call(name, on: receiver, arguments) }
    case .object(let object):
      currentCallLocation = location
      return try located(location) { try object.call(self, arguments) }
    default:
      throw failure("'\(function.typeName)' object is not callable", "TypeError", at: location)
    }
  }

  func callUser(_ function: UserFunction, _ arguments: Arguments, at location: SourceLocation) throws(ScriptError) -> Value {
    let scope = Scope(parent: function.scope, isTraceLocal: tracingDepth > 0)
    let bound = try located(location) { try function.bind(arguments) }
    for (name, value) in bound { scope.bind(name, value) }
    guard stackGuard.hasRoom() else { throw recursionError(location) }
    guard callDepth < Self.maximumCallDepth else {
      throw failure("maximum recursion depth exceeded (limit \(Self.maximumCallDepth))", "RecursionError", at: location)
    }
    callDepth += 1
    let outerName = currentFunctionName
    currentFunctionName = function.qualifiedName
    defer {
      callDepth -= 1
      currentFunctionName = outerName
    }
    switch function.body {
    case .expression(let expression):
      return try evaluate(expression, in: scope)
    case .statements(let statements):
      if case .returned(let value) = try execute(statements, in: scope) { return value }
      return .none
    }
  }
}

extension UserFunction {
  /// Binds a call's arguments to the parameters with Python's rules: positional, then keywords, `*args` and
  /// `**kwargs` collecting the rest, defaults for what is missing. Returns (name, value) pairs in order.
  func bind(_ arguments: Arguments) throws -> [(String, Value)] {
    var values = [Value?](repeating: nil, count: parameters.count)
    let positional = parameters.indices.filter { parameters[$0].kind == .positional }
    let variadic = parameters.firstIndex { $0.kind == .variadic }
    let variadicKeyword = parameters.firstIndex { $0.kind == .variadicKeyword }
    var extra: [Value] = []
    for (i, value) in arguments.positional.enumerated() {
      if i < positional.count {
        values[positional[i]] = value
      } else if variadic != nil {
        extra.append(value)
      } else {
        let given = arguments.positional.count
        throw RuntimeFailure(
          "\(name)() takes \(positional.count) positional argument\(positional.count == 1 ? "" : "s") but \(given) \(given == 1 ? "was" : "were") given",
          type: "TypeError")
      }
    }
    let keywords = DictObject()
    for (key, value) in arguments.keywords {
      if let i = parameters.firstIndex(where: { $0.name == key && ($0.kind == .positional || $0.kind == .keywordOnly) }) {
        guard values[i] == nil else {
          throw RuntimeFailure("\(name)() got multiple values for argument '\(key)'", type: "TypeError")
        }
        values[i] = value
      } else if variadicKeyword != nil {
        try keywords.set(.string(key), value)
      } else {
        throw RuntimeFailure("\(name)() got an unexpected keyword argument '\(key)'", type: "TypeError")
      }
    }
    if let variadic { values[variadic] = .tuple(extra) }
    if let variadicKeyword { values[variadicKeyword] = .object(keywords) }
    for (i, parameter) in parameters.enumerated() where values[i] == nil {
      guard let fallback = defaults[i] else {
        let what = parameter.kind == .keywordOnly ? "keyword-only" : "positional"
        throw RuntimeFailure("\(name)() missing 1 required \(what) argument: '\(parameter.name)'", type: "TypeError")
      }
      values[i] = fallback
    }
    return zip(parameters, values).map { ($0.name, $1!) }
  }

  /// The signature IPython shows: `(x, k=2, *args, scale=1.0, **kwargs)`.
  var signature: String {
    var parts: [String] = []
    var sawStar = false
    for (parameter, fallback) in zip(parameters, defaults) {
      switch parameter.kind {
      case .positional, .keywordOnly:
        if parameter.kind == .keywordOnly && !sawStar {
          parts.append("*")
          sawStar = true
        }
        parts.append(parameter.name + (fallback.map { "=" + Display.repr($0) } ?? ""))
      case .variadic:
        sawStar = true
        parts.append("*" + parameter.name)
      case .variadicKeyword:
        parts.append("**" + parameter.name)
      }
    }
    return "(" + parts.joined(separator: ", ") + ")"
  }
}

extension Arguments {
  /// `f(**mapping)`: a dict's string keys as keyword arguments.
  mutating func addKeywords(from mapping: Value) throws {
    guard case .object(let object) = mapping, let dict = object as? DictObject else {
      throw RuntimeFailure("argument after ** must be a mapping, not \(mapping.typeName)", type: "TypeError")
    }
    for (key, value) in dict.pairs {
      guard case .string(let name) = key else { throw RuntimeFailure("keywords must be strings", type: "TypeError") }
      guard !keywords.contains(where: { $0.name == name }) else {
        throw RuntimeFailure("got multiple values for keyword argument '\(name)'", type: "TypeError")
      }
      keywords.append((name, value))
    }
  }
}
