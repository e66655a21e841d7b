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
///
/// A class: a loop runs the same statements again and again, and each run then retains one reference instead of
/// copying the statement's payload field by field.
public final class Statement: Sendable, Equatable {
  public let kind: StatementKind
  public let location: SourceLocation

  public init(_ kind: StatementKind, at location: SourceLocation) {
    self.kind = kind
    self.location = location
  }

  public static func == (a: Statement, b: Statement) -> Bool { a.kind == b.kind && a.location == b.location }
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
  /// `target op= value`: `x += 1`, `t[0] *= 2`, `obj.n -= 1`.
  case augmentedAssignment(AugmentedAssignment)
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
  /// `break`, inside a loop.
  case `break`
  /// `continue`, inside a loop.
  case `continue`
  /// `if c: ... elif d: ... else: ...`.
  case `if`(IfStatement)
  /// `while c: ... else: ...`.
  case `while`(WhileLoop)
  /// `for target in iterable: ... else: ...`.
  case `for`(ForLoop)
  /// `assert condition, message`.
  case assert(condition: Expr, message: Expr?)
  /// `del a, b[0], c.d`.
  case delete([AssignmentTarget])
  /// `global a, b`.
  case global([String])
  /// `nonlocal a, b`.
  case nonlocal([String])
  /// `try: ... except E as e: ... else: ... finally: ...`.
  case `try`(TryStatement)
  /// `raise`, `raise E(...)`, `raise E(...) from cause`.
  case raise(exception: Expr?, cause: Expr?)
  /// `with a as x, b: ...`.
  case with(WithStatement)
}

/// `target op= value`.
///
/// This and the loop and `if` nodes are classes so that running a statement binds its payload with one retain
/// instead of copying (and retaining) every field of it, on every iteration of the loop it sits in.
public final class AugmentedAssignment: Sendable, Equatable {
  /// A name, attribute or subscript (never a tuple: the parser refuses those, as Python does).
  public let target: AssignmentTarget
  public let op: BinaryOperator
  public let value: Expr
  /// Where the operator (`+=`) is written.
  public let operatorLocation: SourceLocation

  public init(target: AssignmentTarget, op: BinaryOperator, value: Expr, operatorLocation: SourceLocation) {
    self.target = target
    self.op = op
    self.value = value
    self.operatorLocation = operatorLocation
  }

  public static func == (a: AugmentedAssignment, b: AugmentedAssignment) -> Bool {
    a.target == b.target && a.op == b.op && a.value == b.value && a.operatorLocation == b.operatorLocation
  }
}

/// A condition and the block it guards (one branch of an `if`/`elif`).
public struct ConditionalBlock: Sendable, Equatable {
  public let condition: Expr
  public let body: [Statement]
}

/// `if`/`elif` branches in order, then the optional `else` block.
public final class IfStatement: Sendable, Equatable {
  public let branches: [ConditionalBlock]
  public let orElse: [Statement]

  public init(branches: [ConditionalBlock], orElse: [Statement]) {
    self.branches = branches
    self.orElse = orElse
  }

  public static func == (a: IfStatement, b: IfStatement) -> Bool { a.branches == b.branches && a.orElse == b.orElse }
}

public final class WhileLoop: Sendable, Equatable {
  public let condition: Expr
  public let body: [Statement]
  /// Runs when the loop ends without `break`.
  public let orElse: [Statement]

  public init(condition: Expr, body: [Statement], orElse: [Statement]) {
    self.condition = condition
    self.body = body
    self.orElse = orElse
  }

  public static func == (a: WhileLoop, b: WhileLoop) -> Bool {
    a.condition == b.condition && a.body == b.body && a.orElse == b.orElse
  }
}

public final class ForLoop: Sendable, Equatable {
  public let target: AssignmentTarget
  public let iterable: Expr
  public let body: [Statement]
  /// Runs when the loop ends without `break`.
  public let orElse: [Statement]

  public init(target: AssignmentTarget, iterable: Expr, body: [Statement], orElse: [Statement]) {
    self.target = target
    self.iterable = iterable
    self.body = body
    self.orElse = orElse
  }

  public static func == (a: ForLoop, b: ForLoop) -> Bool {
    a.target == b.target && a.iterable == b.iterable && a.body == b.body && a.orElse == b.orElse
  }
}

/// `except Type as name:`; a bare `except:` has neither.
public struct ExceptHandler: Sendable, Equatable {
  public let type: Expr?
  public let name: String?
  public let body: [Statement]
  public let location: SourceLocation
}

public struct TryStatement: Sendable, Equatable {
  public let body: [Statement]
  public let handlers: [ExceptHandler]
  /// Runs when the body raised nothing.
  public let orElse: [Statement]
  /// Runs however the statement is left.
  public let finally: [Statement]
}

/// One `context as target` of a `with`.
public struct WithItem: Sendable, Equatable {
  public let context: Expr
  public let target: AssignmentTarget?
}

public struct WithStatement: Sendable, Equatable {
  public let items: [WithItem]
  public let body: [Statement]
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

/// The left-hand side of an assignment, a `for` target or a `del` operand.
/// `[a, b] = ...` and `(a, b) = ...` both produce `.tuple`, as they mean the same in Python.
public indirect enum AssignmentTarget: Sendable, Equatable {
  case name(Name, SourceLocation)
  case tuple([AssignmentTarget], SourceLocation)
  /// `*rest` inside a tuple target: takes the items the others leave.
  case starred(AssignmentTarget, SourceLocation)
  /// `base.name = ...`.
  case attribute(Expr, name: String, SourceLocation)
  /// `base[index] = ...`.
  case `subscript`(Expr, index: Expr, SourceLocation)

  /// Where the target starts.
  public var location: SourceLocation {
    switch self {
    case .name(_, let location), .tuple(_, let location), .starred(_, let location), .attribute(_, _, let location),
      .subscript(_, _, let location):
      location
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

/// A parameter of a `def` or `lambda`. Positional parameters with defaults follow those without, and
/// names are distinct (the parser checks both).
public struct Parameter: Sendable, Equatable {
  /// How arguments reach the parameter.
  public enum Kind: Sendable, Equatable {
    /// `x` or `x=1`: by position or keyword.
    case positional
    /// `*args`: the extra positional arguments, as a tuple.
    case variadic
    /// A parameter after `*` or `*args`: by keyword only.
    case keywordOnly
    /// `**kwargs`: the extra keyword arguments, as a dict.
    case variadicKeyword
  }

  public let name: String
  public let kind: Kind
  /// `x: Tensor` in a `def`; parsed and kept but meaningless to the interpreter.
  public let annotation: Expr?
  /// `k=2`: evaluated once, when the function is defined, as in Python.
  public let defaultValue: Expr?
  public let location: SourceLocation

  public init(name: String, kind: Kind = .positional, annotation: Expr?, defaultValue: Expr?, location: SourceLocation) {
    self.name = name
    self.kind = kind
    self.annotation = annotation
    self.defaultValue = defaultValue
    self.location = location
  }
}
