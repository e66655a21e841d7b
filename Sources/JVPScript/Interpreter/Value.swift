import JVPCore

/// A Python value as the interpreter sees it.
enum Value {
  case none
  case bool(Bool)
  case int(Int)
  /// A Python int outside 64 bits (`2**63`, `10**20`): arithmetic carries it exactly up to 128 bits and it
  /// displays in full; where a 64-bit int is needed (an index, a shape, a tensor element) it is an error.
  case wideInt(Int128)
  case float(Double)
  case string(String)
  case tuple([Value])
  /// A list, shared by reference as in Python.
  case list(ListObject)
  /// A tensor: concrete, or traced while a function is being differentiated. `origin` says how a
  /// freshly created tensor was made, so a run can record its `rng_offset` and input generation time.
  case tensor(Operand, origin: Provenance?)
  /// `torch.Size([...])`.
  case size([Int])
  case dtype(DType)
  /// A `def` or `lambda`.
  case function(UserFunction)
  /// A library function.
  case builtin(Builtin)
  /// A tensor method bound to its receiver (`x.sum`).
  case boundMethod(Operand, String)
  /// `torch`, `torch.autograd`, `torch.autograd.functional`, ...
  case module(String)
  /// What `torch.manual_seed` returns.
  case generator
  /// Any other Python object (dict, set, range, iterator, exception, ...): see `ScriptObject`.
  case object(any ScriptObject)

  static func tensor(_ tensor: Tensor) -> Value { .tensor(.concrete(tensor), origin: nil) }
  /// The items of a tuple or list, nil for anything else.
  var sequenceItems: [Value]? {
    switch self {
    case .tuple(let items): items
    case .list(let list): list.items
    default: nil
    }
  }

  /// A new list holding `items`.
  static func makeList(_ items: [Value]) -> Value { .list(ListObject(items)) }
  static func tensor(_ operand: Operand) -> Value { .tensor(operand, origin: nil) }

  /// The Python type name, for error messages (`'int' object is not callable`).
  var typeName: String {
    switch self {
    case .none: "NoneType"
    case .bool: "bool"
    case .int, .wideInt: "int"
    case .float: "float"
    case .string: "str"
    case .tuple: "tuple"
    case .list: "list"
    case .tensor: "Tensor"
    case .size: "torch.Size"
    case .dtype: "torch.dtype"
    case .function: "function"
    case .builtin, .boundMethod: "builtin_function_or_method"
    case .module: "module"
    case .generator: "torch._C.Generator"
    case .object(let object): object.typeName
    }
  }
}

extension Value {
  /// The nesting depth of a tuple or list holding `items` (1 when none of them is a tuple or list),
  /// or nil when it exceeds `limit`.
  ///
  /// Shared sub-sequences (`x = (x, x)` repeated) are measured once, by storage identity, so this
  /// takes time proportional to the distinct sequences within `limit` levels, never to the
  /// (possibly exponential) size of the tree they unfold to; the recursion never goes deeper
  /// than `limit`.
  static func nestingDepth(of items: [Value], limit: Int) -> Int? {
    var known: [UnsafeRawPointer: Int] = [:]
    func depth(_ items: [Value], budget: Int) -> Int? {
      guard budget > 0 else { return nil }
      let key = items.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
      if let key, let depth = known[key] { return depth <= budget ? depth : nil }
      var deepest = 0
      for item in items {
        let inner: [Value]
        switch item {
        case .tuple(let items): inner = items
        case .list(let list): inner = list.items
        default: continue
        }
        guard let inner = depth(inner, budget: budget - 1) else { return nil }
        deepest = max(deepest, inner)
      }
      if let key { known[key] = deepest + 1 }
      return deepest + 1
    }
    return depth(items, budget: limit)
  }
}

/// How a creation function made a tensor: the seed in force, where its random draws began (nil when
/// it drew none) and how long it took.
public struct Provenance: Sendable, Equatable {
  public let seed: UInt64?
  public let drawOffset: Int?
  public let seconds: Double
}

/// A function defined in the script: its parameters, body, defining scope and source text.
final class UserFunction {
  public let name: String
  /// `__qualname__`: `outer.<locals>.inner` for a nested function.
  let qualifiedName: String
  let parameters: [Parameter]
  let defaults: [Value?]
  let body: Body
  let scope: Scope
  /// The exact source, recorded with runs.
  public let source: String
  /// The script globals its default values read when it was defined (`def f(x, W=W0)` reads `W0`): replay
  /// binds them before it defines the function again from its source.
  let defaultReads: [(name: String, value: Value)]

  enum Body {
    case statements([Statement])
    case expression(Expr)
  }

  init(name: String, qualifiedName: String? = nil, parameters: [Parameter], defaults: [Value?], body: Body, scope: Scope,
       source: String, defaultReads: [(name: String, value: Value)] = []) {
    self.name = name
    self.qualifiedName = qualifiedName ?? name
    self.parameters = parameters
    self.defaults = defaults
    self.body = body
    self.scope = scope
    self.source = source
    self.defaultReads = defaultReads
  }
}

/// A library function: its Python name and its implementation over evaluated arguments.
struct Builtin: Sendable {
  public let name: String
  let call: @Sendable (Interpreter, Arguments) throws -> Value
}

/// Python's name bindings for one function call (or the module): locals, then the enclosing scopes.
/// Names a function declares `global` or `nonlocal` are bound where the declaration points.
final class Scope {
  private var names: [String: Value] = [:]
  let parent: Scope?
  /// Names declared `global` in this function.
  var globalNames: Set<String> = []
  /// Names declared `nonlocal` in this function.
  var nonlocalNames: Set<String> = []
  /// Whether the scope belongs to a call made while a function was being traced: names bound here are the
  /// traced code's own, names found in older scopes are what it read from outside (globals, closures).
  let isTraceLocal: Bool

  init(parent: Scope?, isTraceLocal: Bool = false) {
    self.parent = parent
    self.isTraceLocal = isTraceLocal
  }

  /// The module scope at the root of the chain.
  var root: Scope { parent?.root ?? self }

  func lookup(_ name: String) -> Value? { names[name] ?? parent?.lookup(name) }

  /// The value of `name` and the scope that binds it.
  func resolve(_ name: String) -> (value: Value, scope: Scope)? {
    if let value = names[name] { return (value, self) }
    if globalNames.contains(name) { return root.resolve(name) }
    return parent?.resolve(name)
  }

  func bind(_ name: String, _ value: Value) {
    if !globalNames.isEmpty || !nonlocalNames.isEmpty, let owner = declaredOwner(of: name) {
      owner.names[name] = value
    } else {
      names[name] = value
    }
  }

  /// Removes a binding (`del name`); false when the name is not bound here.
  func unbind(_ name: String) -> Bool {
    if let owner = declaredOwner(of: name) { return owner.names.removeValue(forKey: name) != nil }
    return names.removeValue(forKey: name) != nil
  }

  /// Whether `name` is bound in this very scope.
  func bindsLocally(_ name: String) -> Bool { names[name] != nil }

  /// The scope a `global` or `nonlocal` declaration sends `name` to, or nil when it has none.
  private func declaredOwner(of name: String) -> Scope? {
    if globalNames.contains(name) { return root }
    guard nonlocalNames.contains(name) else { return nil }
    var scope = parent
    while let candidate = scope, candidate.parent != nil {
      if candidate.names[name] != nil { return candidate }
      scope = candidate.parent
    }
    return parent
  }
}
