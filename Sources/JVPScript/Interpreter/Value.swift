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
///
/// A class so `Value.tensor` carries one word for it: every `Value` is as large as its largest case, and the
/// interpreter copies values on every step of a loop.
public final class Provenance: Sendable, Equatable {
  public let seed: UInt64?
  public let drawOffset: Int?
  public let seconds: Double

  init(seed: UInt64?, drawOffset: Int?, seconds: Double) {
    self.seed = seed
    self.drawOffset = drawOffset
    self.seconds = seconds
  }

  public static func == (a: Provenance, b: Provenance) -> Bool {
    a.seed == b.seed && a.drawOffset == b.drawOffset && a.seconds == b.seconds
  }
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
///
/// Names are interned symbols (`Name.symbol`): the module scope keeps a slot per symbol, a call's scope the
/// few pairs it binds, so looking a variable up compares integers and hashes nothing.
final class Scope {
  /// The module scope's slots, indexed by symbol (nil: unbound): a buffer the scope owns rather than an array, so
  /// storing a variable skips the array's copy-on-write check and its generic copy of the slot.
  private var slots = UnsafeMutablePointer<Value?>.allocate(capacity: 0)
  private var slotCount = 0
  /// A call's bindings, in the order they were made.
  private var pairs: [(symbol: Int, value: Value)] = []
  let parent: Scope?
  /// Names declared `global` in this function, by symbol.
  private(set) var globalNames: Set<Int> = []
  /// Names declared `nonlocal` in this function, by symbol.
  private(set) var nonlocalNames: Set<Int> = []
  /// Whether the scope belongs to a call made while a function was being traced: names bound here are the
  /// traced code's own, names found in older scopes are what it read from outside (globals, closures).
  let isTraceLocal: Bool

  init(parent: Scope?, isTraceLocal: Bool = false) {
    self.parent = parent
    self.isTraceLocal = isTraceLocal
  }

  deinit {
    slots.deinitialize(count: slotCount)
    slots.deallocate()
  }

  /// The module scope at the root of the chain.
  var root: Scope { parent?.root ?? self }

  func declareGlobal(_ name: String) { globalNames.insert(Symbols.intern(name)) }
  func declareNonlocal(_ name: String) { nonlocalNames.insert(Symbols.intern(name)) }

  func lookup(_ name: String) -> Value? { resolve(Symbols.intern(name))?.value }

  /// The value of `name` and the scope that binds it.
  func resolve(_ name: String) -> (value: Value, scope: Scope)? { resolve(Symbols.intern(name)) }

  /// The value of `symbol` in the innermost scope that binds it: `resolve` without the owner, for the common read.
  func value(of symbol: Int) -> Value? {
    var scope = self
    while true {
      if let value = scope.local(symbol) { return value }
      if !scope.globalNames.isEmpty, scope.globalNames.contains(symbol) { return scope.root.value(of: symbol) }
      guard let parent = scope.parent else { return nil }
      scope = parent
    }
  }

  func resolve(_ symbol: Int) -> (value: Value, scope: Scope)? {
    var scope = self
    while true {
      if let value = scope.local(symbol) { return (value, scope) }
      if !scope.globalNames.isEmpty, scope.globalNames.contains(symbol) { return scope.root.resolve(symbol) }
      guard let parent = scope.parent else { return nil }
      scope = parent
    }
  }

  func bind(_ name: String, _ value: Value) { bind(Symbols.intern(name), value) }

  func bind(_ symbol: Int, _ value: Value) {
    if !globalNames.isEmpty || !nonlocalNames.isEmpty, let owner = declaredOwner(of: symbol) {
      owner.store(symbol, value)
    } else {
      store(symbol, value)
    }
  }

  /// Removes a binding (`del name`); false when the name is not bound here.
  func unbind(_ name: String) -> Bool {
    let symbol = Symbols.intern(name)
    let owner = declaredOwner(of: symbol) ?? self
    guard owner.local(symbol) != nil else { return false }
    if owner.parent == nil {
      owner.slots[symbol] = nil
    } else {
      owner.pairs.removeAll { $0.symbol == symbol }
    }
    return true
  }

  private func local(_ symbol: Int) -> Value? {
    if parent == nil { return symbol < slotCount ? slots[symbol] : nil }
    for pair in pairs where pair.symbol == symbol { return pair.value }
    return nil
  }

  private func store(_ symbol: Int, _ value: Value) {
    if parent == nil {
      if symbol >= slotCount { growSlots(toHold: symbol) }
      slots[symbol] = value
      return
    }
    if let position = pairs.firstIndex(where: { $0.symbol == symbol }) {
      pairs[position].value = value
    } else {
      pairs.append((symbol, value))
    }
  }

  /// Room for slots up to `symbol`, at least doubling so a script's first bindings do not grow the buffer each time.
  private func growSlots(toHold symbol: Int) {
    let count = max(symbol + 1, 2 * slotCount, 64)
    let grown = UnsafeMutablePointer<Value?>.allocate(capacity: count)
    grown.moveInitialize(from: slots, count: slotCount)
    (grown + slotCount).initialize(repeating: nil, count: count - slotCount)
    slots.deallocate()
    slots = grown
    slotCount = count
  }

  /// The scope a `global` or `nonlocal` declaration sends `symbol` to, or nil when it has none.
  private func declaredOwner(of symbol: Int) -> Scope? {
    if globalNames.contains(symbol) { return root }
    guard nonlocalNames.contains(symbol) else { return nil }
    var scope = parent
    while let candidate = scope, candidate.parent != nil {
      if candidate.local(symbol) != nil { return candidate }
      scope = candidate.parent
    }
    return parent
  }
}
