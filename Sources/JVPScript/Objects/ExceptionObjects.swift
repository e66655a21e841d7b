/// Python's built-in exception classes, as values a script can raise and catch.
final class ExceptionClass: ScriptObject, Sendable {
  let name: String
  let base: ExceptionClass?

  private init(_ name: String, base: ExceptionClass?) {
    self.name = name
    self.base = base
  }

  var typeName: String { "type" }
  func repr() -> String { "<class '\(name)'>" }
  func display() -> DisplayValue { .atom(name) }

  func attribute(_ name: String) throws -> Value {
    guard name == "__name__" || name == "__qualname__" else {
      throw RuntimeFailure("type object '\(self.name)' has no attribute '\(name)'", type: "AttributeError")
    }
    return .string(self.name)
  }

  /// Whether an exception of this class is caught by `except other`.
  func isSubclass(of other: ExceptionClass) -> Bool {
    var current: ExceptionClass? = self
    while let type = current {
      if type === other { return true }
      current = type.base
    }
    return false
  }

  func call(_ interpreter: Interpreter, _ arguments: Arguments) throws -> Value {
    guard arguments.keywords.isEmpty else {
      throw RuntimeFailure("\(name)() takes no keyword arguments", type: "TypeError")
    }
    return .object(ExceptionInstance(self, arguments.positional))
  }

  /// The class named `name` (every built-in one is known, unknown names fall back to `Exception`).
  static func named(_ name: String) -> ExceptionClass { table[name] ?? exception }

  static let baseException = ExceptionClass("BaseException", base: nil)
  static let exception = ExceptionClass("Exception", base: baseException)

  /// Every built-in exception class by name, with CPython's hierarchy.
  static let table: [String: ExceptionClass] = {
    var table = ["BaseException": baseException, "Exception": exception]
    func add(_ name: String, _ base: String) { table[name] = ExceptionClass(name, base: table[base]!) }
    add("KeyboardInterrupt", "BaseException")
    add("SystemExit", "BaseException")
    add("ArithmeticError", "Exception")
    add("ZeroDivisionError", "ArithmeticError")
    add("OverflowError", "ArithmeticError")
    add("FloatingPointError", "ArithmeticError")
    add("AssertionError", "Exception")
    add("AttributeError", "Exception")
    add("LookupError", "Exception")
    add("IndexError", "LookupError")
    add("KeyError", "LookupError")
    add("NameError", "Exception")
    add("UnboundLocalError", "NameError")
    add("RuntimeError", "Exception")
    add("NotImplementedError", "RuntimeError")
    add("RecursionError", "RuntimeError")
    add("GradcheckError", "RuntimeError")
    add("TypeError", "Exception")
    add("ValueError", "Exception")
    add("UnicodeError", "ValueError")
    add("MemoryError", "Exception")
    add("ImportError", "Exception")
    add("ModuleNotFoundError", "ImportError")
    add("StopIteration", "Exception")
    add("Warning", "Exception")
    add("UserWarning", "Warning")
    add("DeprecationWarning", "Warning")
    add("RuntimeWarning", "Warning")
    add("FutureWarning", "Warning")
    return table
  }()
}

/// A raised or created exception: its class and arguments.
final class ExceptionInstance: ScriptObject {
  let type: ExceptionClass
  let arguments: [Value]
  /// The text of an error jvplab's library raised, which is already what `str(e)` shows.
  private let message: String?

  init(_ type: ExceptionClass, _ arguments: [Value], message: String? = nil) {
    self.type = type
    self.arguments = arguments
    self.message = message
  }

  var typeName: String { type.name }

  /// `str(e)`: the one argument's str, the arguments' tuple, or empty; a KeyError shows its key's repr.
  func str() -> String {
    if let message { return message }
    return switch arguments.count {
    case 0: ""
    case 1: type.name == "KeyError" ? Display.repr(arguments[0]) : Display.str(arguments[0])
    default: Display.repr(.tuple(arguments))
    }
  }

  func repr() -> String { "\(type.name)(" + arguments.map(Display.repr).joined(separator: ", ") + ")" }

  func attribute(_ name: String) throws -> Value {
    guard name == "args" else {
      throw RuntimeFailure("'\(typeName)' object has no attribute '\(name)'", type: "AttributeError")
    }
    return .tuple(arguments)
  }
}
