import JVPCore

extension Interpreter {
  func evaluate(_ expression: Expr, in scope: Scope) throws(ScriptError) -> Value {
    let at = expression.location
    guard stackGuard.hasRoom() else { throw recursionError(at) }
    switch expression.kind {
    case .name(let name):
      return try lookup(name, in: scope, at: at)
    case .integer(let i): return .int(i)
    case .float(let d): return .float(d)
    case .string(let s): return .string(s)
    case .boolean(let b): return .bool(b)
    case .none: return .none
    case .ellipsis:
      throw failure("'...' is not supported", "TypeError", at: at)
    case .tuple(let items): return .tuple(try nestable(evaluateElements(items, in: scope), "tuple", at))
    case .list(let items): return .makeList(try nestable(evaluateElements(items, in: scope), "list", at))
    case .set(let items):
      let elements = try evaluateElements(items, in: scope)
      return .object(try located(at) { try SetObject(elements) })
    case .dict(let entries):
      return .object(try evaluateDict(entries, in: scope, at: at))
    case .comprehension(let comprehension):
      return try evaluateComprehension(comprehension, in: scope, at: at)
    case .formattedString(let parts):
      return .string(try format(parts, in: scope))
    case .starred:
      throw ScriptError(file: file, location: at, message: "can't use starred expression here", kind: .syntax)
    case .unary(let op, let operand):
      let value = try evaluate(operand, in: scope)
      return try located(at) { try Operators.unary(op, value) }
    case .binary(let first, let links):
      var value = try evaluate(first, in: scope)
      for index in links.indices {
        let link = links[index]
        let right = try evaluate(link.operand, in: scope)
        if let result = Operators.smallIntegers(link.op, value, right) {
          value = result
          continue
        }
        let left = value
        value = try located(link.location) { try Operators.binary(link.op, left, right) }
      }
      return value
    case .logical(let op, let operands):
      var value = Value.none
      for operand in operands {
        value = try evaluate(operand, in: scope)
        let truth = try truth(value, at: operand.location)
        if op == .and ? !truth : truth { return value }
      }
      return value
    case .comparison(let first, let links):
      var left = try evaluate(first, in: scope)
      var result = Value.bool(true)
      for link in links {
        let right = try evaluate(link.operand, in: scope)
        let lhs = left
        result = try located(link.location) { try Operators.comparison(link.op, lhs, right) }
        if links.count > 1, try !truth(result, at: link.location) { return result }
        left = right
      }
      return result
    case .conditional(let condition, let whenTrue, let whenFalse):
      let test = try evaluate(condition, in: scope)
      return try evaluate(try truth(test, at: condition.location) ? whenTrue : whenFalse, in: scope)
    case .lambda(let lambda):
      let (defaults, reads) = try defaultValues(lambda.parameters, in: scope)
      return .function(UserFunction(
        name: "<lambda>", qualifiedName: qualifiedName("<lambda>", in: scope), parameters: lambda.parameters,
        defaults: defaults, body: .expression(lambda.body), scope: scope, source: lambda.source, defaultReads: reads))
    case .call(let callee, let argumentExpressions):
      let function = try evaluate(callee, in: scope)
      var arguments = Arguments()
      for argument in argumentExpressions {
        let value = try evaluate(argument.value, in: scope)
        switch argument.kind {
        case .positional: arguments.positional.append(value)
        case .keyword(let name): arguments.keywords.append((name, value))
        case .unpackedSequence:
          arguments.positional += try located(argument.location) { try iterate(value).collect() }
        case .unpackedMapping:
          try located(argument.location) { try arguments.addKeywords(from: value) }
        }
      }
      let result = try call(function, arguments, at: at)
      // An in-place method on a plain tensor (a value here) rebinds what held it: `x.requires_grad_()`.
      if case .attribute(let base, let name, _) = callee.kind, TensorAutograd.inPlace.contains(name),
        case .boundMethod(.concrete, _) = function, let target = try? target(base) {
        try assign(result, to: target, in: scope)
      }
      return result
    case .attribute(let base, let name, let nameLocation):
      let value = try evaluate(base, in: scope)
      if case .tensor(let x, _) = value, TensorAutograd.attributes.contains(name) {
        currentCallLocation = nameLocation
        return try located(nameLocation) { try TensorAutograd.attribute(self, x, name) }
      }
      return try located(nameLocation) { try Library.attribute(of: value, name) }
    case .subscript(let base, let indexExpression):
      let value = try evaluate(base, in: scope)
      let index = try evaluateIndex(indexExpression, in: scope)
      return try located(indexExpression.location) { try Indexing.subscriptValue(value, index) }
    case .slice:
      throw ScriptError(file: file, location: at, message: "a slice is only valid inside []", kind: .syntax)
    }
  }

  /// A name's value: the innermost scope that binds it, else a Python builtin.
  ///
  /// While a function is traced, what it reads from outside its own calls (script globals, and the variables
  /// of enclosing functions a closure captured) is noted in `globalReads`: replay binds them as globals.
  func lookup(_ name: Name, in scope: Scope, at location: SourceLocation) throws(ScriptError) -> Value {
    // The common read: nothing is traced and no default value is being evaluated, so the owner does not matter.
    if tracingDepth == 0, defaultReads == nil, let value = scope.value(of: name.symbol) { return value }
    if let (value, owner) = scope.resolve(name.symbol) {
      if tracingDepth > 0 && !owner.isTraceLocal {
        traceIsClosed = false
        if !globalReads.contains(where: { $0.name == name.text }) { globalReads.append((name.text, value)) }
      }
      if owner === globals, let reads = defaultReads, !reads.contains(where: { $0.name == name.text }) {
        defaultReads = reads + [(name.text, value)]
      }
      return value
    }
    guard let builtin = Library.builtinValue(name.text) else {
      throw failure("name '\(name)' is not defined", "NameError", at: location)
    }
    // `print`, `len`, ...: a builtin may act outside the trace, so the trace is not served again.
    if tracingDepth > 0 { traceIsClosed = false }
    return builtin
  }

  func evaluateAll(_ expressions: [Expr], in scope: Scope) throws(ScriptError) -> [Value] {
    var values: [Value] = []
    values.reserveCapacity(expressions.count)
    for expression in expressions { values.append(try evaluate(expression, in: scope)) }
    return values
  }

  /// The elements of a tuple, list or set display, with `*iterable` elements unpacked in place.
  func evaluateElements(_ expressions: [Expr], in scope: Scope) throws(ScriptError) -> [Value] {
    var values: [Value] = []
    values.reserveCapacity(expressions.count)
    for expression in expressions {
      if case .starred(let inner) = expression.kind {
        let iterable = try evaluate(inner, in: scope)
        values += try located(expression.location) { try iterate(iterable).collect() }
      } else {
        values.append(try evaluate(expression, in: scope))
      }
    }
    return values
  }

  func evaluateDict(_ entries: [DictEntry], in scope: Scope, at location: SourceLocation) throws(ScriptError) -> DictObject {
    let dict = DictObject()
    for entry in entries {
      if let keyExpression = entry.key {
        let key = try evaluate(keyExpression, in: scope)
        let value = try evaluate(entry.value, in: scope)
        try located(keyExpression.location) { try dict.set(key, value) }
      } else {
        let other = try evaluate(entry.value, in: scope)
        guard case .object(let object) = other, let source = object as? DictObject else {
          throw failure("'\(other.typeName)' object is not a mapping", "TypeError", at: entry.value.location)
        }
        for (key, value) in Array(source.pairs) { try located(entry.value.location) { try dict.set(key, value) } }
      }
    }
    return dict
  }

  /// A comprehension, run in a scope of its own so its loop variables do not leak, as in Python 3.
  func evaluateComprehension(
    _ comprehension: Comprehension, in scope: Scope, at location: SourceLocation
  ) throws(ScriptError) -> Value {
    let inner = Scope(parent: scope, isTraceLocal: tracingDepth > 0)
    var elements: [Value] = []
    var keys: [Value] = []
    func run(_ clauses: ArraySlice<ComprehensionClause>) throws(ScriptError) {
      guard let clause = clauses.first else {
        if let valueExpression = comprehension.value {
          keys.append(try evaluate(comprehension.element, in: inner))
          elements.append(try evaluate(valueExpression, in: inner))
        } else {
          elements.append(try evaluate(comprehension.element, in: inner))
        }
        guard elements.count <= Operators.maximumSequenceLength else {
          throw failure("a comprehension of more than \(Operators.maximumSequenceLength) items is too large for a script",
                        "MemoryError", at: location)
        }
        return
      }
      switch clause {
      case .for(let target, let iterableExpression):
        // The first iterable is evaluated in the enclosing scope, as Python does.
        let iterable = try evaluate(iterableExpression, in: clauses.startIndex == 0 ? scope : inner)
        let iterator = try located(iterableExpression.location) { try iterate(iterable) }
        while let item = try located(iterableExpression.location, { try iterator.next() }) {
          try checkCancelled(at: location)
          try assign(item, to: target, in: inner)
          try run(clauses.dropFirst())
        }
      case .if(let condition):
        if try truth(try evaluate(condition, in: inner), at: condition.location) { try run(clauses.dropFirst()) }
      }
    }
    try run(comprehension.clauses[...])
    switch comprehension.kind {
    case .list: return .makeList(elements)
    case .set: return .object(try located(location) { try SetObject(elements) })
    case .generator: return .object(IteratorObject("generator", ValueIterator(elements)))
    case .dict:
      let dict = DictObject()
      for (key, value) in zip(keys, elements) { try located(location) { try dict.set(key, value) } }
      return .object(dict)
    }
  }

  /// A subscript index, where slices are allowed (alone or inside a tuple).
  func evaluateIndex(_ expression: Expr, in scope: Scope) throws(ScriptError) -> Index {
    switch expression.kind {
    case .slice(let lower, let upper, let step):
      func bound(_ e: Expr?) throws(ScriptError) -> Int? {
        guard let e else { return nil }
        let value = try evaluate(e, in: scope)
        if case .none = value { return nil }
        return try located(e.location) { try value.intValue("slice indices") }
      }
      return .slice(try bound(lower), try bound(upper), try bound(step))
    case .tuple(let items) where items.contains(where: { if case .slice = $0.kind { true } else { false } }):
      var parts: [Index] = []
      for item in items { parts.append(try evaluateIndex(item, in: scope)) }
      return .tuple(parts)
    default:
      return .value(try evaluate(expression, in: scope))
    }
  }
}
