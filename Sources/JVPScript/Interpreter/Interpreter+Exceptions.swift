import JVPCore

extension EngineError {
  /// The exception PyTorch raises for the same mistake: `IndexError` for an index out of bounds (which is
  /// what ends `for row in t` style loops over positions), `RuntimeError` for shape, dtype and other errors.
  var pythonType: String {
    if case .invalidArgument(operation: "index", _) = self { return "IndexError" }
    return "RuntimeError"
  }
}

extension Interpreter {
  /// Whether `error` is caught by an `except` clause naming `handler` (a class or a tuple of classes).
  func matches(_ error: ScriptError, _ handler: Value, at location: SourceLocation) throws(ScriptError) -> Bool {
    switch handler {
    case .object(let object as ExceptionClass):
      return ExceptionClass.named(error.exceptionType).isSubclass(of: object)
    case .tuple(let items):
      for item in items where try matches(error, item, at: location) { return true }
      return false
    default:
      throw failure("catching classes that do not inherit from BaseException is not allowed", "TypeError", at: location)
    }
  }

  /// The exception object an `except ... as e` clause binds for `error`: the very object a `raise` raised,
  /// or one made from the message of an error the library raised.
  func exceptionValue(_ error: ScriptError) -> Value {
    if let (raisedError, instance) = lastRaised, raisedError == error { return .object(instance) }
    let arguments: [Value] = error.message.isEmpty ? [] : [.string(error.message)]
    return .object(ExceptionInstance(ExceptionClass.named(error.exceptionType), arguments, message: error.message))
  }

  /// The error a `raise` statement throws for `value` (a class, or an instance of one).
  func raised(_ value: Value, at location: SourceLocation) throws(ScriptError) -> ScriptError {
    let instance: ExceptionInstance
    switch value {
    case .object(let object as ExceptionInstance): instance = object
    case .object(let object as ExceptionClass): instance = ExceptionInstance(object, [])
    default: throw failure("exceptions must derive from BaseException", "TypeError", at: location)
    }
    let error = ScriptError(
      file: file, location: location, message: instance.str(), kind: .runtime, exceptionType: instance.type.name,
      showsType: true)
    lastRaised = (error, instance)
    return error
  }
}
