/// A value's identity as a dict key or set member, with Python's equalities: `1 == 1.0 == True` share a key,
/// strings and tuples compare by content, other objects by identity.
enum HashKey: Hashable {
  case none
  case int(Int128)
  case float(UInt64)
  case string(String)
  case tuple([HashKey])
  case dtype(String)
  case size([Int])
  /// A library function or module, by name (each exists once).
  case library(String)
  case identity(ObjectIdentifier)

  init(_ value: Value) throws {
    switch value {
    case .none: self = .none
    case .bool(let b): self = .int(b ? 1 : 0)
    case .int(let i): self = .int(Int128(i))
    case .wideInt(let i): self = .int(i)
    case .float(let d):
      if d.isFinite, d == d.rounded(), let exact = Int128(exactly: d) {
        self = .int(exact)
      } else {
        self = .float(d.isNaN ? Double.nan.bitPattern : (d == 0 ? 0 : d.bitPattern))
      }
    case .string(let s): self = .string(s)
    case .tuple(let items): self = .tuple(try items.map(HashKey.init))
    case .dtype(let d): self = .dtype(d.torchName)
    case .size(let shape): self = .size(shape)
    case .function(let f): self = .identity(ObjectIdentifier(f))
    case .builtin(let b): self = .library(b.name)
    case .module(let name): self = .library(name)
    case .object(let object): self = try object.hashKey()
    case .list: throw RuntimeFailure("unhashable type: 'list'", type: "TypeError")
    case .tensor, .boundMethod, .generator:
      throw RuntimeFailure("unhashable type: '\(value.typeName)' (jvplab keys dicts and sets by value)", type: "TypeError")
    }
  }
}
