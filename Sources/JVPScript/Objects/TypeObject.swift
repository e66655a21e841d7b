import JVPCore

/// A class as `type(x)` returns it (`int`, `torch.Tensor`): IPython shows its dotted name, `str` shows
/// `<class 'torch.Tensor'>`, and `isinstance` tests against it.
final class TypeObject: ScriptObject {
  /// The name Python gives the class (`int`, `Tensor`), and its module for classes outside builtins.
  let name: String
  let module: String?

  init(_ name: String, module: String? = nil) {
    self.name = name
    self.module = module
  }

  var typeName: String { "type" }
  var dottedName: String { module.map { "\($0).\(name)" } ?? name }
  func repr() -> String { "<class '\(dottedName)'>" }
  func display() -> DisplayValue { .atom(dottedName) }
  func hashKey() throws -> HashKey { .library(dottedName) }

  func attribute(_ name: String) throws -> Value {
    switch name {
    case "__name__", "__qualname__": return .string(self.name)
    case "__module__": return .string(module ?? "builtins")
    default: throw RuntimeFailure("type object '\(dottedName)' has no attribute '\(name)'", type: "AttributeError")
    }
  }

  func equals(_ other: Value) throws -> Bool {
    switch other {
    case .object(let object as TypeObject): object.dottedName == dottedName
    case .builtin(let builtin): module == nil && builtin.name == name
    default: false
    }
  }

  /// The class of `value`.
  static func of(_ value: Value) -> TypeObject {
    switch value {
    case .tensor: TypeObject("Tensor", module: "torch")
    case .size: TypeObject("Size", module: "torch")
    case .dtype: TypeObject("dtype", module: "torch")
    case .generator: TypeObject("Generator", module: "torch._C")
    case .object(let object as ExceptionInstance): TypeObject(object.type.name)
    case .object(let object as NamedTupleObject): TypeObject(object.name, module: object.module)
    case .object(let object as TypeObject) where object.typeName == "type": TypeObject("type")
    default: TypeObject(value.typeName)
    }
  }

  /// `isinstance(value, classes)`: against builtin types (`int`, `float`, ...), type objects, exception
  /// classes, or a tuple of them. `bool` is an `int`, as in Python.
  static func isInstance(_ value: Value, _ classes: Value) throws -> Bool {
    let actual = of(value).dottedName
    switch classes {
    case .tuple(let items): return try items.contains { try isInstance(value, $0) }
    case .builtin(let builtin) where Builtins.functions[builtin.name] != nil:
      return actual == builtin.name || (builtin.name == "int" && actual == "bool")
    case .object(let type as TypeObject): return actual == type.dottedName
    case .object(let type as ExceptionClass):
      guard case .object(let object as ExceptionInstance) = value else { return false }
      return object.type.isSubclass(of: type)
    default:
      throw RuntimeFailure("isinstance() arg 2 must be a type, a tuple of types, or a union", type: "TypeError")
    }
  }
}

/// `functools.partial(f, *args, **kwargs)`.
final class PartialObject: ScriptObject {
  let function: Value
  let arguments: Arguments

  init(_ function: Value, _ arguments: Arguments) {
    self.function = function
    self.arguments = arguments
  }

  var typeName: String { "functools.partial" }

  func repr() -> String {
    let parts = [Display.repr(function)] + arguments.positional.map(Display.repr)
      + arguments.keywords.map { "\($0.name)=\(Display.repr($0.value))" }
    return "functools.partial(" + parts.joined(separator: ", ") + ")"
  }

  func call(_ interpreter: Interpreter, _ more: Arguments) throws -> Value {
    var combined = arguments
    combined.positional += more.positional
    for (name, value) in more.keywords {
      combined.keywords.removeAll { $0.name == name }
      combined.keywords.append((name, value))
    }
    return try interpreter.call(function, combined, at: interpreter.currentCallLocation)
  }
}

/// An object usable in a `with` statement.
protocol ContextManager: ScriptObject {
  /// `__enter__`: what `as` binds.
  func enter(_ interpreter: Interpreter) throws -> Value
  /// `__exit__`, run however the block is left.
  func exit(_ interpreter: Interpreter) throws
}

/// `torch.no_grad()` and `torch.enable_grad()`: set whether gradients are recorded inside the block and
/// restore the previous mode after it.
final class GradModeContext: ContextManager {
  let enabled: Bool
  private var previous: [Bool] = []

  init(enabled: Bool) { self.enabled = enabled }

  var typeName: String { enabled ? "enable_grad" : "no_grad" }
  func repr() -> String { "<torch.autograd.grad_mode.\(typeName) object at \(Display.address(of: typeName))>" }

  func enter(_ interpreter: Interpreter) throws -> Value {
    previous.append(GradMode.isEnabled)
    GradMode.isEnabled = enabled
    return .none
  }

  func exit(_ interpreter: Interpreter) throws {
    GradMode.isEnabled = previous.popLast() ?? true
  }
}
