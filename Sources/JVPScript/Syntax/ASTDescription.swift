// Debug printing of the syntax tree, for tests and for inspecting what the parser understood.
//
// Expressions print fully parenthesised so precedence and associativity are visible:
// `-x**2` prints `(-(x ** 2))` and `a - b + c` prints `((a - b) + c)`. Atoms, calls, attributes
// and subscripts print without extra parentheses. Statements print one per line, `def` bodies
// indented by two spaces.

extension Module: CustomStringConvertible {
  /// One line per statement (more for `def`s).
  public var description: String {
    statements.map(\.description).joined(separator: "\n")
  }
}

extension Statement: CustomStringConvertible {
  public var description: String {
    switch kind {
    case .importModules(let modules):
      return "import " + modules.map { $0.path.dotted + Self.alias($0.alias) }.joined(separator: ", ")
    case .importNames(let module, let names):
      let list = names.map { $0.name + Self.alias($0.alias) }.joined(separator: ", ")
      return "from \(module.dotted) import \(list)"
    case .assignment(let targets, let value):
      return (targets.map(\.description) + [value.description]).joined(separator: " = ")
    case .expression(let expression, let endsWithSemicolon):
      return expression.description + (endsWithSemicolon ? ";" : "")
    case .functionDefinition(let function):
      let annotation = function.returnAnnotation.map { " -> \($0)" } ?? ""
      let header = "def \(function.name)(\(Parameter.list(function.parameters)))\(annotation):"
      let lines = function.body.flatMap {
        $0.description.split(separator: "\n", omittingEmptySubsequences: false)
      }
      return header + lines.map { "\n  " + $0 }.joined()
    case .return(let value):
      return value.map { "return \($0)" } ?? "return"
    case .pass:
      return "pass"
    }
  }

  private static func alias(_ alias: String?) -> String { alias.map { " as \($0)" } ?? "" }
}

extension AssignmentTarget: CustomStringConvertible {
  /// A name, or a parenthesised tuple: `(a, (b, c))`, `(a,)`.
  public var description: String {
    switch self {
    case .name(let name, _): name
    case .tuple(let targets, _): Expr.tupleText(targets.map(\.description))
    }
  }
}

extension Parameter: CustomStringConvertible {
  /// `x`, `k=2`, `x: Tensor`, `x: Tensor = 2`.
  public var description: String {
    switch (annotation, defaultValue) {
    case (nil, nil): name
    case (nil, let value?): "\(name)=\(value)"
    case (let annotation?, nil): "\(name): \(annotation)"
    case (let annotation?, let value?): "\(name): \(annotation) = \(value)"
    }
  }

  static func list(_ parameters: [Parameter]) -> String {
    parameters.map(\.description).joined(separator: ", ")
  }
}

extension Argument: CustomStringConvertible {
  /// `x`, `dim=1`, `*sizes`, `**options`.
  public var description: String {
    switch kind {
    case .positional: value.description
    case .keyword(let name): "\(name)=\(value)"
    case .unpackedSequence: "*\(value)"
    case .unpackedMapping: "**\(value)"
    }
  }
}

extension Expr: CustomStringConvertible {
  /// The expression fully parenthesised, e.g. `((a + (b * c)) if (x < y) else None)`.
  public var description: String {
    switch kind {
    case .name(let name): return name
    case .integer(let value): return String(value)
    case .float(let value): return "\(value)"
    case .string(let value): return Self.quoted(value)
    case .boolean(let value): return value ? "True" : "False"
    case .none: return "None"
    case .ellipsis: return "..."
    case .tuple(let elements): return Self.tupleText(elements.map(\.description))
    case .list(let elements): return "[" + elements.map(\.description).joined(separator: ", ") + "]"
    case .unary(let op, let operand):
      return op == .not ? "(not \(operand))" : "(\(op.rawValue)\(operand))"
    case .binary(let first, let links):
      return links.reduce(first.description) { "(\($0) \($1.op.rawValue) \($1.operand))" }
    case .logical(let op, let operands):
      return "(" + operands.map(\.description).joined(separator: " \(op.rawValue) ") + ")"
    case .comparison(let first, let links):
      return "(" + first.description + links.map { " \($0.op.rawValue) \($0.operand)" }.joined() + ")"
    case .conditional(let condition, let whenTrue, let whenFalse):
      return "(\(whenTrue) if \(condition) else \(whenFalse))"
    case .lambda(let lambda):
      let parameters = lambda.parameters.isEmpty ? "" : " " + Parameter.list(lambda.parameters)
      return "(lambda\(parameters): \(lambda.body))"
    case .call(let callee, let arguments):
      return "\(callee)(" + arguments.map(\.description).joined(separator: ", ") + ")"
    case .attribute(let base, let name, _):
      return "\(base).\(name)"
    case .`subscript`(let base, let index):
      guard case .tuple(let items) = index.kind, !items.isEmpty else { return "\(base)[\(index)]" }
      let list = items.map(\.description).joined(separator: ", ")
      return "\(base)[\(list)\(items.count == 1 ? "," : "")]"
    case .slice(let lower, let upper, let step):
      let bounds = (lower?.description ?? "") + ":" + (upper?.description ?? "")
      return step.map { "\(bounds):\($0)" } ?? bounds
    }
  }

  /// `()`, `(a,)`, `(a, b)`.
  static func tupleText(_ elements: [String]) -> String {
    elements.count == 1 ? "(\(elements[0]),)" : "(" + elements.joined(separator: ", ") + ")"
  }

  /// A single-quoted literal with Python's escapes for quotes, backslashes and control characters.
  static func quoted(_ value: String) -> String {
    var text = "'"
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\\": text += "\\\\"
      case "'": text += "\\'"
      case "\n": text += "\\n"
      case "\r": text += "\\r"
      case "\t": text += "\\t"
      case _ where scalar.value < 0x20 || scalar.value == 0x7F:
        text += "\\x" + String(SourceText.hex(UInt8(scalar.value)).dropFirst(2)).lowercased()
      default: text.unicodeScalars.append(scalar)
      }
    }
    return text + "'"
  }
}
