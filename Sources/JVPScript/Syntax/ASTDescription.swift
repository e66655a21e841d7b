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
      return Self.block("def \(function.name)(\(Parameter.list(function.parameters)))\(annotation):", function.body)
    case .return(let value):
      return value.map { "return \($0)" } ?? "return"
    case .pass:
      return "pass"
    case .break:
      return "break"
    case .continue:
      return "continue"
    case .augmentedAssignment(let assignment):
      return "\(assignment.target) \(assignment.op.rawValue)= \(assignment.value)"
    case .if(let statement):
      var text = ""
      for (i, branch) in statement.branches.enumerated() {
        text += (i == 0 ? "" : "\n") + Self.block("\(i == 0 ? "if" : "elif") \(branch.condition):", branch.body)
      }
      return text + Self.orElse(statement.orElse)
    case .while(let loop):
      return Self.block("while \(loop.condition):", loop.body) + Self.orElse(loop.orElse)
    case .for(let loop):
      return Self.block("for \(loop.target) in \(loop.iterable):", loop.body) + Self.orElse(loop.orElse)
    case .assert(let condition, let message):
      return "assert \(condition)" + (message.map { ", \($0)" } ?? "")
    case .delete(let targets):
      return "del " + targets.map(\.description).joined(separator: ", ")
    case .global(let names):
      return "global " + names.joined(separator: ", ")
    case .nonlocal(let names):
      return "nonlocal " + names.joined(separator: ", ")
    case .try(let statement):
      var text = Self.block("try:", statement.body)
      for handler in statement.handlers {
        let clause = handler.type.map { " \($0)" + (handler.name.map { " as \($0)" } ?? "") } ?? ""
        text += "\n" + Self.block("except\(clause):", handler.body)
      }
      text += Self.orElse(statement.orElse)
      return statement.finally.isEmpty ? text : text + "\n" + Self.block("finally:", statement.finally)
    case .raise(let exception, let cause):
      return "raise" + (exception.map { " \($0)" } ?? "") + (cause.map { " from \($0)" } ?? "")
    case .with(let statement):
      let items = statement.items.map { "\($0.context)" + ($0.target.map { " as \($0)" } ?? "") }
      return Self.block("with " + items.joined(separator: ", ") + ":", statement.body)
    }
  }

  /// A header line and its body indented by two spaces.
  private static func block(_ header: String, _ body: [Statement]) -> String {
    let lines = body.flatMap { $0.description.split(separator: "\n", omittingEmptySubsequences: false) }
    return header + lines.map { "\n  " + $0 }.joined()
  }

  private static func orElse(_ body: [Statement]) -> String { body.isEmpty ? "" : "\n" + block("else:", body) }

  private static func alias(_ alias: String?) -> String { alias.map { " as \($0)" } ?? "" }
}

extension AssignmentTarget: CustomStringConvertible {
  /// A name, or a parenthesised tuple: `(a, (b, c))`, `(a,)`.
  public var description: String {
    switch self {
    case .name(let name, _): name.text
    case .tuple(let targets, _): Expr.tupleText(targets.map(\.description))
    case .starred(let target, _): "*\(target)"
    case .attribute(let base, let name, _): "\(base).\(name)"
    case .subscript(let base, let index, _): Expr(.subscript(base, index: index), at: base.location).description
    }
  }
}

extension Parameter: CustomStringConvertible {
  /// `x`, `k=2`, `x: Tensor`, `x: Tensor = 2`, `*args`, `**kwargs`.
  public var description: String {
    let name = switch kind {
    case .variadic: "*" + self.name
    case .variadicKeyword: "**" + self.name
    case .positional, .keywordOnly: self.name
    }
    return switch (annotation, defaultValue) {
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
    case .name(let name): return name.text
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
    case .dict(let entries):
      return "{" + entries.map { entry in entry.key.map { "\($0): \(entry.value)" } ?? "**\(entry.value)" }
        .joined(separator: ", ") + "}"
    case .set(let elements): return "{" + elements.map(\.description).joined(separator: ", ") + "}"
    case .starred(let operand): return "*\(operand)"
    case .comprehension(let comprehension):
      let element = comprehension.value.map { "\(comprehension.element): \($0)" } ?? comprehension.element.description
      let clauses = comprehension.clauses.map { clause in
        switch clause {
        case .for(let target, let iterable): " for \(target) in \(iterable)"
        case .if(let condition): " if \(condition)"
        }
      }.joined()
      let (open, close) = switch comprehension.kind {
      case .list: ("[", "]")
      case .set, .dict: ("{", "}")
      case .generator: ("(", ")")
      }
      return open + element + clauses + close
    case .formattedString(let parts): return "f" + Self.quoted(Self.formattedText(parts))
    }
  }

  /// The source-like text of f-string parts: literals with braces doubled, fields in braces.
  static func formattedText(_ parts: [FormattedPart]) -> String {
    parts.map { part in
      switch part {
      case .literal(let text): String(text.flatMap { $0 == "{" || $0 == "}" ? [$0, $0] : [$0] })
      case .field(let expression, let debugText, let conversion, let spec):
        "{" + (debugText ?? expression.description) + (conversion.map { "!\($0)" } ?? "")
          + (spec.map { ":" + formattedText($0) } ?? "") + "}"
      }
    }.joined()
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
