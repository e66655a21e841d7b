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
  case name(Name)
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
  /// `{k: v, **other}`.
  case dict([DictEntry])
  /// `{a, b}` (never empty: `{}` is a dict).
  case set([Expr])
  /// `[x for x in xs if x]`, `{...}`, `(x for ...)`, `{k: v for ...}`.
  case comprehension(Comprehension)
  /// `f"..."`: literal text and replacement fields, in order.
  case formattedString([FormattedPart])
  /// `*xs` inside a tuple, list or set display.
  case starred(Expr)
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

/// One entry of a dict display: `key: value`, or `**value` when `key` is nil.
public struct DictEntry: Sendable, Equatable {
  public let key: Expr?
  public let value: Expr
}

/// A comprehension or generator expression.
public struct Comprehension: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    case list, set, dict, generator
  }

  public let kind: Kind
  /// The element (the key, for a dict comprehension).
  public let element: Expr
  /// The value of a dict comprehension.
  public let value: Expr?
  /// The `for` and `if` clauses, outermost first; the first is always a `for`.
  public let clauses: [ComprehensionClause]
}

/// `for target in iterable` or `if condition` inside a comprehension.
public enum ComprehensionClause: Sendable, Equatable {
  case `for`(AssignmentTarget, Expr)
  case `if`(Expr)
}

/// A piece of an f-string.
public indirect enum FormattedPart: Sendable, Equatable {
  case literal(String)
  /// `{expression!conversion:spec}`; `debugText` is the `expr=` text of a self-documenting field.
  case field(expression: Expr, debugText: String?, conversion: Character?, spec: [FormattedPart]?)
}
