// The syntax tree of a script, as the parser produces it and the interpreter walks it.
//
// Every node carries the `SourceLocation` where its source text starts, so runtime errors and
// recorded runs can name a line and column. Operator links, call arguments and attribute names
// carry their own locations too, so an error can point at the `@` or the `.sum` that failed
// rather than at the start of a long expression.
//
// Chains of same-precedence binary operators, `and`/`or` chains and comparison chains are
// n-ary nodes (an operand followed by a list of links), not nested binary nodes. A script line of
// a million `+` therefore builds a flat array instead of a tree a million levels deep that would
// overflow the stack when evaluated, printed or freed. Everything that does nest (brackets, unary
// operators, `**`, postfix chains, conditionals, lambdas, `def`s) counts against the parser's
// nesting limit of 200, so any tree it returns is shallow enough to walk recursively.

/// A parsed script: its top-level statements in source order.
public struct Module: Sendable, Equatable {
  /// The name the script was parsed under (used in error messages).
  public let file: String
  public let statements: [Statement]

  public init(file: String, statements: [Statement]) {
    self.file = file
    self.statements = statements
  }
}

/// A statement and where it starts.
public struct Statement: Sendable, Equatable {
  public let kind: StatementKind
  public let location: SourceLocation

  public init(_ kind: StatementKind, at location: SourceLocation) {
    self.kind = kind
    self.location = location
  }
}

/// The statements of the script language.
public enum StatementKind: Sendable, Equatable {
  /// `import torch`, `import torch.autograd.functional as F, math`.
  case importModules([ModuleImport])
  /// `from torch.autograd.functional import jvp, jacobian as jac`.
  case importNames(module: ModulePath, names: [NameImport])
  /// `a = b = value`, `x, (y, z) = value`: binds `value` to each target, left to right.
  /// `targets` is never empty.
  case assignment(targets: [AssignmentTarget], value: Expr)
  /// An expression evaluated for its value (a notebook shows it when it is not None).
  /// `endsWithSemicolon` is true when a `;` directly follows it and ends the line, which is how
  /// IPython users ask not to display a value (`jacobian(f, x);`).
  case expression(Expr, endsWithSemicolon: Bool)
  /// `def name(params): ...`.
  case functionDefinition(FunctionDefinition)
  /// `return` or `return value`; only inside a `def` (the parser rejects it elsewhere).
  case `return`(Expr?)
  /// `pass`.
  case pass
}

/// A dotted module name such as `torch.autograd.functional`.
public struct ModulePath: Sendable, Equatable {
  /// The names between the dots, outermost first: `["torch", "autograd", "functional"]`.
  public let components: [String]
  public let location: SourceLocation

  public init(components: [String], location: SourceLocation) {
    self.components = components
    self.location = location
  }

  /// The path as written: `torch.autograd.functional`.
  public var dotted: String { components.joined(separator: ".") }
}

/// One module of an `import` statement. Without an alias Python binds the first component
/// (`torch`); with one it binds the alias to the last module (`F`).
public struct ModuleImport: Sendable, Equatable {
  public let path: ModulePath
  public let alias: String?
  public let location: SourceLocation

  public init(path: ModulePath, alias: String?, location: SourceLocation) {
    self.path = path
    self.alias = alias
    self.location = location
  }
}

/// One name of a `from ... import` statement, bound as `alias ?? name`.
public struct NameImport: Sendable, Equatable {
  public let name: String
  public let alias: String?
  public let location: SourceLocation

  public init(name: String, alias: String?, location: SourceLocation) {
    self.name = name
    self.alias = alias
    self.location = location
  }
}

/// The left-hand side of an assignment: a name, or a tuple of targets to unpack into.
/// `[a, b] = ...` and `(a, b) = ...` both produce `.tuple`, as they mean the same in Python.
public indirect enum AssignmentTarget: Sendable, Equatable {
  case name(String, SourceLocation)
  case tuple([AssignmentTarget], SourceLocation)

  /// Where the target starts.
  public var location: SourceLocation {
    switch self {
    case .name(_, let location), .tuple(_, let location): location
    }
  }
}

/// A `def` statement.
public struct FunctionDefinition: Sendable, Equatable {
  public let name: String
  public let parameters: [Parameter]
  /// The `-> annotation`, parsed and kept but meaningless to the interpreter.
  public let returnAnnotation: Expr?
  /// The body statements (never empty; a one-line body is a list of its `;`-separated statements).
  public let body: [Statement]
  /// The exact source from `def` through the end of the last body token, e.g.
  /// `"def exp_reducer(x):\n    return x.exp().sum(dim=1)"`, recorded with runs and re-parsed to
  /// replay them. Later lines keep their original indentation, so it parses on its own.
  public let source: String
  /// Where the `def` keyword is.
  public let location: SourceLocation

  public init(
    name: String, parameters: [Parameter], returnAnnotation: Expr?, body: [Statement],
    source: String, location: SourceLocation
  ) {
    self.name = name
    self.parameters = parameters
    self.returnAnnotation = returnAnnotation
    self.body = body
    self.source = source
    self.location = location
  }
}

/// A `lambda` expression.
public struct Lambda: Sendable, Equatable {
  public let parameters: [Parameter]
  public let body: Expr
  /// The exact source from `lambda` through the end of the body, e.g. `"lambda x: 2*x"`.
  public let source: String
  /// Where the `lambda` keyword is.
  public let location: SourceLocation

  public init(parameters: [Parameter], body: Expr, source: String, location: SourceLocation) {
    self.parameters = parameters
    self.body = body
    self.source = source
    self.location = location
  }
}

/// A parameter of a `def` or `lambda`. Parameters with defaults follow those without, and names
/// are distinct (the parser checks both).
public struct Parameter: Sendable, Equatable {
  public let name: String
  /// `x: Tensor` in a `def`; parsed and kept but meaningless to the interpreter.
  public let annotation: Expr?
  /// `k=2`: evaluated once, when the function is defined, as in Python.
  public let defaultValue: Expr?
  public let location: SourceLocation

  public init(name: String, annotation: Expr?, defaultValue: Expr?, location: SourceLocation) {
    self.name = name
    self.annotation = annotation
    self.defaultValue = defaultValue
    self.location = location
  }
}

/// An expression and where its source text starts.
///
/// The start is Python's convention: `a.b(c)` and `a + b` start at `a`; a parenthesised tuple
/// `(a, b)` starts at `(`; parentheses around anything else leave no node and no location.
/// (Named `Expr` rather than `Expression` so it does not clash with Foundation's `Expression`.)
public struct Expr: Sendable, Equatable {
  public let kind: ExprKind
  public let location: SourceLocation

  public init(_ kind: ExprKind, at location: SourceLocation) {
    self.kind = kind
    self.location = location
  }
}

/// The expressions of the script language.
public indirect enum ExprKind: Sendable, Equatable {
  case name(String)
  /// An integer literal; literals above `Int.max` are a syntax error.
  case integer(Int)
  case float(Double)
  /// A string literal with escapes decoded (adjacent literals are already concatenated).
  case string(String)
  /// `True` or `False`.
  case boolean(Bool)
  /// `None`.
  case none
  /// `...`.
  case ellipsis
  /// `(a, b)`, `(a,)`, `()`, or a bare `a, b`.
  case tuple([Expr])
  /// `[a, b]`.
  case list([Expr])
  /// `-x`, `+x`, `~x`, `not x`.
  case unary(UnaryOperator, Expr)
  /// A left-associative chain of arithmetic or bitwise operators of one precedence level,
  /// evaluated as a left fold: `a - b + c` is `.binary(a, [- b, + c])`, meaning `(a - b) + c`.
  /// `**` is right-associative and always forms its own chain of exactly one link:
  /// `a ** b ** c` is `.binary(a, [** .binary(b, [** c])])`.
  case binary(Expr, [BinaryOperation])
  /// `a and b and c` (or `or`): Python's short-circuit on two or more operands.
  case logical(LogicalOperator, [Expr])
  /// `a < b <= c`: Python's chained comparison, `a < b and b <= c` with `b` evaluated once.
  case comparison(Expr, [Comparison])
  /// `whenTrue if condition else whenFalse`.
  case conditional(condition: Expr, whenTrue: Expr, whenFalse: Expr)
  case lambda(Lambda)
  /// `callee(arguments)`. The node's location is the callee's start (the line runs record).
  case call(Expr, arguments: [Argument])
  /// `base.name`; `nameLocation` is where `name` is written.
  case attribute(Expr, name: String, nameLocation: SourceLocation)
  /// `base[index]`. `x[1:, 0]` has a `.tuple` index whose elements may be `.slice`s.
  case `subscript`(Expr, index: Expr)
  /// `lower:upper:step`, any part omitted. The parser produces it only as a subscript index or as
  /// an element of a tuple index.
  case slice(lower: Expr?, upper: Expr?, step: Expr?)
}

/// Prefix operators.
public enum UnaryOperator: String, Sendable, Equatable {
  case negate = "-"
  case plus = "+"
  case invert = "~"
  case not = "not"
}

/// Binary arithmetic and bitwise operators, spelled as in Python.
public enum BinaryOperator: String, Sendable, Equatable {
  case add = "+"
  case subtract = "-"
  case multiply = "*"
  case divide = "/"
  case floorDivide = "//"
  case remainder = "%"
  case matrixMultiply = "@"
  case power = "**"
  case bitwiseOr = "|"
  case bitwiseXor = "^"
  case bitwiseAnd = "&"
  case leftShift = "<<"
  case rightShift = ">>"
}

/// One link of a `.binary` chain: the operator, its right operand, and where the operator is.
public struct BinaryOperation: Sendable, Equatable {
  public let op: BinaryOperator
  public let operand: Expr
  public let location: SourceLocation

  public init(_ op: BinaryOperator, _ operand: Expr, at location: SourceLocation) {
    self.op = op
    self.operand = operand
    self.location = location
  }
}

/// `and` / `or`.
public enum LogicalOperator: String, Sendable, Equatable {
  case and
  case or
}

/// Comparison operators, spelled as in Python.
public enum ComparisonOperator: String, Sendable, Equatable {
  case equal = "=="
  case notEqual = "!="
  case less = "<"
  case lessOrEqual = "<="
  case greater = ">"
  case greaterOrEqual = ">="
  case `is` = "is"
  case isNot = "is not"
  case `in` = "in"
  case notIn = "not in"
}

/// One link of a `.comparison` chain: the operator, its right operand, and where the operator is.
public struct Comparison: Sendable, Equatable {
  public let op: ComparisonOperator
  public let operand: Expr
  public let location: SourceLocation

  public init(_ op: ComparisonOperator, _ operand: Expr, at location: SourceLocation) {
    self.op = op
    self.operand = operand
    self.location = location
  }
}

/// One argument of a call. Positional arguments never follow keyword arguments or `**`
/// unpacking, and keyword names are distinct (the parser checks both).
public struct Argument: Sendable, Equatable {
  /// How the argument is passed.
  public enum Kind: Sendable, Equatable {
    /// `f(x)`.
    case positional
    /// `f(dim=1)`.
    case keyword(String)
    /// `f(*sizes)`: the elements of an iterable as positional arguments.
    case unpackedSequence
    /// `f(**options)`: the entries of a mapping as keyword arguments.
    case unpackedMapping
  }

  public let kind: Kind
  public let value: Expr
  /// Where the argument starts (the keyword name, or the `*`/`**`).
  public let location: SourceLocation

  public init(_ kind: Kind, _ value: Expr, at location: SourceLocation) {
    self.kind = kind
    self.value = value
    self.location = location
  }
}
