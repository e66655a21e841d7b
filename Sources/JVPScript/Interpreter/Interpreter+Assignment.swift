import JVPCore

/// Binding values to targets: names, tuples (with a starred part), attributes and subscripts, as `=`,
/// `op=`, `for` and `del` use them.
extension Interpreter {
  func assign(_ value: Value, to target: AssignmentTarget, in scope: Scope) throws(ScriptError) {
    switch target {
    case .name(let name, _):
      scope.bind(name.symbol, value)
    case .tuple(let targets, let location):
      let items = try located(location) { try iterate(value).collect() }
      if let star = targets.firstIndex(where: { if case .starred = $0 { true } else { false } }) {
        let after = targets.count - star - 1
        guard items.count >= targets.count - 1 else {
          throw failure(
            "not enough values to unpack (expected at least \(targets.count - 1), got \(items.count))", "ValueError", at: location)
        }
        for (item, target) in zip(items.prefix(star), targets.prefix(star)) { try assign(item, to: target, in: scope) }
        guard case .starred(let rest, _) = targets[star] else { return }
        try assign(.makeList(Array(items[star..<(items.count - after)])), to: rest, in: scope)
        for (item, target) in zip(items.suffix(after), targets.suffix(after)) { try assign(item, to: target, in: scope) }
        return
      }
      guard items.count == targets.count else {
        let message = items.count > targets.count
          ? "too many values to unpack (expected \(targets.count))"
          : "not enough values to unpack (expected \(targets.count), got \(items.count))"
        throw failure(message, "ValueError", at: location)
      }
      for (item, target) in zip(items, targets) { try assign(item, to: target, in: scope) }
    case .starred(_, let location):
      throw ScriptError(file: file, location: location, message: "starred assignment target must be in a list or tuple", kind: .syntax)
    case .attribute(let baseExpression, let name, let location):
      let base = try evaluate(baseExpression, in: scope)
      if case .tensor(let x, _) = base, name == "grad" {
        try located(location) { try TensorAutograd.setGrad(x, value) }
        return
      }
      try located(location) { try Library.setAttribute(of: base, name, value) }
    case .subscript(let baseExpression, let indexExpression, let location):
      let base = try evaluate(baseExpression, in: scope)
      let index = try evaluateIndex(indexExpression, in: scope)
      if case .tensor(.taped(let t), _) = base {
        // A tape tensor has identity: write its elements in place (refused on a leaf that requires grad).
        try located(location) { try Indexing.assign(value, into: t, at: index) }
        return
      }
      if case .tensor(let tensor, _) = base {
        // Tensors are values here: write a copy with the new elements and rebind what held the tensor.
        let updated = try located(location) { try Indexing.assigning(value, into: tensor, at: index) }
        try assign(.tensor(updated), to: try self.target(baseExpression), in: scope)
        return
      }
      try located(location) { try Indexing.setSubscript(base, index, value) }
    }
  }

  /// `target op= value`: in place where the target's value supports it (lists extend), else a new value.
  func augment(_ assignment: AugmentedAssignment, in scope: Scope) throws(ScriptError) {
    let current: Value
    var symbol: Int?
    if case .name(let name, let location) = assignment.target {
      current = try lookup(name, in: scope, at: location)
      symbol = name.symbol
    } else {
      current = try evaluate(expression(of: assignment.target), in: scope)
    }
    let operand = try evaluate(assignment.value, in: scope)
    if case .list(let list) = current, assignment.op == .add {
      try located(assignment.operatorLocation) { list.items += try iterate(operand).collect() }
      return
    }
    // A tensor with identity (on the tape) is updated in place, as PyTorch's `w -= lr * w.grad` is: `add_` and friends.
    if case .tensor(.taped(let t), _) = current,
      let method = TensorAutograd.inPlaceArithmetic.first(where: { $0.value == assignment.op })?.key {
      try located(assignment.operatorLocation) { _ = try TensorAutograd.call(self, method, .taped(t), Arguments([operand])) }
      return
    }
    let result: Value
    if let sum = Operators.smallIntegers(assignment.op, current, operand) {
      result = sum
    } else {
      result = try located(assignment.operatorLocation) { try Operators.binary(assignment.op, current, operand) }
    }
    if let symbol { scope.bind(symbol, result) } else { try assign(result, to: assignment.target, in: scope) }
  }

  func delete(_ target: AssignmentTarget, in scope: Scope) throws(ScriptError) {
    switch target {
    case .name(let name, let location):
      guard scope.unbind(name.text) else { throw failure("name '\(name)' is not defined", "NameError", at: location) }
    case .tuple(let targets, _):
      for target in targets { try delete(target, in: scope) }
    case .starred(_, let location):
      throw ScriptError(file: file, location: location, message: "cannot delete starred", kind: .syntax)
    case .attribute(_, let name, let location):
      throw failure("cannot delete attribute '\(name)'", "AttributeError", at: location)
    case .subscript(let baseExpression, let indexExpression, let location):
      let base = try evaluate(baseExpression, in: scope)
      let index = try evaluateIndex(indexExpression, in: scope)
      try located(location) { try Indexing.deleteSubscript(base, index) }
    }
  }

  /// The expression that reads what `target` names (for `x[i] op= v`, which reads before it writes).
  func expression(of target: AssignmentTarget) throws(ScriptError) -> Expr {
    switch target {
    case .name(let name, let location): Expr(.name(name), at: location)
    case .attribute(let base, let name, let location): Expr(.attribute(base, name: name, nameLocation: location), at: location)
    case .subscript(let base, let index, let location): Expr(.subscript(base, index: index), at: location)
    case .tuple(_, let location), .starred(_, let location):
      throw ScriptError(file: file, location: location, message: "illegal expression for augmented assignment", kind: .syntax)
    }
  }

  /// The target that writes where `expression` reads (the tensor a subscript assignment updates).
  func target(_ expression: Expr) throws(ScriptError) -> AssignmentTarget {
    switch expression.kind {
    case .name(let name): return .name(name, expression.location)
    case .attribute(let base, let name, _): return .attribute(base, name: name, expression.location)
    case .subscript(let base, let index): return .subscript(base, index: index, expression.location)
    default:
      throw failure("cannot assign into the elements of a temporary tensor", "TypeError", at: expression.location)
    }
  }
}
