import JVPCore

/// How a statement was left: on to the next one, or out of the enclosing loop or function.
enum Flow {
  case next
  case breakLoop
  case continueLoop
  case returned(Value)
}

extension Interpreter {
  /// Runs `statements` in order until one leaves the block (`break`, `continue`, `return`).
  func execute(_ statements: [Statement], in scope: Scope) throws(ScriptError) -> Flow {
    // By index: `for statement in statements` would copy each statement (retaining its payloads) per run.
    for index in statements.indices {
      let flow = try execute(statements[index], in: scope, display: false)
      if case .next = flow { continue }
      return flow
    }
    return .next
  }

  /// Runs one statement. `display` is true only for the script's top-level statements: as in a notebook,
  /// an expression statement inside a loop, branch, `try` or `with` block shows nothing.
  func execute(_ statement: Statement, in scope: Scope, display: Bool) throws(ScriptError) -> Flow {
    switch statement.kind {
    case .importModules(let imports):
      for item in imports {
        try located(item.location) { try Library.checkModule(item.path.dotted) }
        scope.bind(item.alias ?? item.path.components[0],
                   .module(item.alias == nil ? item.path.components[0] : item.path.dotted))
      }
    case .importNames(let module, let names):
      try located(module.location) { try Library.checkModule(module.dotted) }
      for name in names {
        let value = try located(name.location) { try Library.attribute(of: module.dotted, name.name) }
        scope.bind(name.alias ?? name.name, value)
      }
    case .assignment(let targets, let valueExpression):
      let value = try evaluate(valueExpression, in: scope)
      for target in targets { try assign(value, to: target, in: scope) }
    case .augmentedAssignment(let assignment):
      try augment(assignment, in: scope)
    case .expression(let expression, let silenced):
      let value = try evaluate(expression, in: scope)
      if display && !silenced, let text = Display.displayText(value) { write(text + "\n") }
    case .functionDefinition(let definition):
      let (defaults, reads) = try defaultValues(definition.parameters, in: scope)
      scope.bind(definition.name, .function(UserFunction(
        name: definition.name, qualifiedName: qualifiedName(definition.name, in: scope),
        parameters: definition.parameters, defaults: defaults,
        body: .statements(definition.body), scope: scope, source: definition.source, defaultReads: reads)))
    case .return(let result):
      return .returned(try result.map { expression throws(ScriptError) in try evaluate(expression, in: scope) } ?? .none)
    case .pass:
      break
    case .break:
      return .breakLoop
    case .continue:
      return .continueLoop
    case .if(let statement):
      for branch in statement.branches {
        if try truth(try evaluate(branch.condition, in: scope), at: branch.condition.location) {
          return try execute(branch.body, in: scope)
        }
      }
      return try execute(statement.orElse, in: scope)
    case .while(let loop):
      while try truth(try evaluate(loop.condition, in: scope), at: loop.condition.location) {
        try checkCancelled(at: statement.location)
        switch try execute(loop.body, in: scope) {
        case .breakLoop: return .next
        case .returned(let value): return .returned(value)
        case .next, .continueLoop: continue
        }
      }
      return try execute(loop.orElse, in: scope)
    case .for(let loop):
      let iterable = try evaluate(loop.iterable, in: scope)
      if case .object(let range as RangeObject) = iterable {
        // The common `for i in range(n)`: the ints themselves, without an iterator object per item,
        // bound straight to the loop variable's symbol when the target is a name.
        let symbol: Int? = if case .name(let name, _) = loop.target { name.symbol } else { nil }
        for position in 0..<range.count {
          try checkCancelled(at: statement.location)
          let item = Value.int(range.element(position))
          if let symbol { scope.bind(symbol, item) } else { try assign(item, to: loop.target, in: scope) }
          switch try execute(loop.body, in: scope) {
          case .breakLoop: return .next
          case .returned(let value): return .returned(value)
          case .next, .continueLoop: continue
          }
        }
        return try execute(loop.orElse, in: scope)
      }
      let iterator = try located(loop.iterable.location) { try iterate(iterable) }
      while let item = try located(loop.iterable.location, { try iterator.next() }) {
        try checkCancelled(at: statement.location)
        try assign(item, to: loop.target, in: scope)
        switch try execute(loop.body, in: scope) {
        case .breakLoop: return .next
        case .returned(let value): return .returned(value)
        case .next, .continueLoop: continue
        }
      }
      return try execute(loop.orElse, in: scope)
    case .assert(let condition, let message):
      guard try !truth(try evaluate(condition, in: scope), at: condition.location) else { break }
      let text = try message.map { expression throws(ScriptError) in Display.str(try evaluate(expression, in: scope)) } ?? ""
      throw ScriptError(
        file: file, location: statement.location, message: text, kind: .runtime, exceptionType: "AssertionError",
        showsType: true)
    case .delete(let targets):
      for target in targets { try delete(target, in: scope) }
    case .global(let names):
      if tracingDepth > 0 { traceIsClosed = false }
      for name in names { scope.declareGlobal(name) }
    case .nonlocal(let names):
      if tracingDepth > 0 { traceIsClosed = false }
      for name in names { scope.declareNonlocal(name) }
    case .try(let statement):
      return try executeTry(statement, in: scope)
    case .raise(let exception, _):
      guard let exception else {
        guard let current = handledErrors.last else {
          throw failure("No active exception to reraise", "RuntimeError", at: statement.location)
        }
        throw current
      }
      throw try raised(try evaluate(exception, in: scope), at: exception.location)
    case .with(let statement):
      return try executeWith(statement.items[...], statement.body, in: scope)
    }
    return .next
  }

  /// Python truthiness, located at the condition that was tested.
  func truth(_ value: Value, at location: SourceLocation) throws(ScriptError) -> Bool {
    if case .bool(let flag) = value { return flag }
    return try located(location) { try Operators.truth(value) }
  }

  /// `outer.<locals>.name` for a function defined inside another, as `__qualname__` spells it.
  func qualifiedName(_ name: String, in scope: Scope) -> String {
    guard scope !== globals, let enclosing = currentFunctionName else { return name }
    return "\(enclosing).<locals>.\(name)"
  }

  func executeTry(_ statement: TryStatement, in scope: Scope) throws(ScriptError) -> Flow {
    var flow = Flow.next
    var pending: ScriptError?
    do {
      flow = try execute(statement.body, in: scope)
      if case .next = flow { flow = try execute(statement.orElse, in: scope) }
    } catch where error.kind == .runtime {
      pending = error
      for handler in statement.handlers {
        if let type = handler.type, try !matches(error, try evaluate(type, in: scope), at: type.location) { continue }
        pending = nil
        if let name = handler.name { scope.bind(name, exceptionValue(error)) }
        handledErrors.append(error)
        defer { handledErrors.removeLast() }
        do {
          flow = try execute(handler.body, in: scope)
        } catch {
          pending = error
        }
        if let name = handler.name { _ = scope.unbind(name) }
        break
      }
    } catch {
      pending = error
    }
    if !statement.finally.isEmpty {
      let finalFlow = try execute(statement.finally, in: scope)
      if case .next = finalFlow {} else { return finalFlow }
    }
    if let pending { throw pending }
    return flow
  }

  /// Enters each context manager in turn, runs the body inside all of them, and exits them innermost first.
  func executeWith(
    _ items: ArraySlice<WithItem>, _ body: [Statement], in scope: Scope
  ) throws(ScriptError) -> Flow {
    guard let item = items.first else { return try execute(body, in: scope) }
    let value = try evaluate(item.context, in: scope)
    guard case .object(let object) = value, let manager = object as? ContextManager else {
      throw failure(
        "'\(value.typeName)' object does not support the context manager protocol", "TypeError", at: item.context.location)
    }
    let entered = try located(item.context.location) { try manager.enter(self) }
    if let target = item.target { try assign(entered, to: target, in: scope) }
    let flow: Flow
    do {
      flow = try executeWith(items.dropFirst(), body, in: scope)
    } catch {
      try located(item.context.location) { try manager.exit(self) }
      throw error
    }
    try located(item.context.location) { try manager.exit(self) }
    return flow
  }

  /// A function's default values, evaluated where it is defined, and the script globals they read.
  func defaultValues(_ parameters: [Parameter], in scope: Scope) throws(ScriptError) -> ([Value?], [(name: String, value: Value)]) {
    let outer = defaultReads
    defaultReads = []
    defer { defaultReads = outer }
    let defaults = try parameters.map { parameter throws(ScriptError) in
      try parameter.defaultValue.map { expression throws(ScriptError) in try evaluate(expression, in: scope) }
    }
    return (defaults, defaultReads ?? [])
  }
}
