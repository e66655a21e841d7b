import JVPCore

/// The structure of a pytree as `torch.utils._pytree` sees it: tuples, lists, dicts (in key order) and
/// named tuples are nodes, `None` is an empty node, anything else (a tensor, a number) is a leaf.
indirect enum TreeSpec {
  case leaf
  case none
  case tuple([TreeSpec])
  case list([TreeSpec])
  case dict(keys: [Value], [TreeSpec])
  case namedTuple(module: String, name: String, fields: [String], [TreeSpec])

  /// How many leaves the tree holds.
  var leafCount: Int {
    switch self {
    case .leaf: 1
    case .none: 0
    case .tuple(let children), .list(let children), .dict(_, let children), .namedTuple(_, _, _, let children):
      children.reduce(0) { $0 + $1.leafCount }
    }
  }

  /// Whether two trees have the same nodes (dict keys compared as Python compares them).
  func matches(_ other: TreeSpec) -> Bool {
    switch (self, other) {
    case (.leaf, .leaf), (.none, .none): return true
    case (.tuple(let a), .tuple(let b)), (.list(let a), .list(let b)): return Self.matches(a, b)
    case (.dict(let k1, let a), .dict(let k2, let b)):
      return k1.count == k2.count && zip(k1, k2).allSatisfy { (try? HashKey($0) == HashKey($1)) == true } && Self.matches(a, b)
    case (.namedTuple(_, let n1, _, let a), .namedTuple(_, let n2, _, let b)): return n1 == n2 && Self.matches(a, b)
    default: return false
    }
  }

  private static func matches(_ a: [TreeSpec], _ b: [TreeSpec]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.matches($1) }
  }

  /// The structure as PyTorch's `treespec_pprint` writes it: `*` per leaf, `(*, *)`, `[*]`, `{'a': *}`.
  var shortDescription: String {
    switch self {
    case .leaf: return "*"
    case .none: return "None"
    case .tuple(let children): return children.count == 1 ? "(\(children[0].shortDescription),)" : "(" + children.map(\.shortDescription).joined(separator: ", ") + ")"
    case .list(let children): return "[" + children.map(\.shortDescription).joined(separator: ", ") + "]"
    case .dict(let keys, let children):
      return "{" + zip(keys, children).map { "\(Display.repr($0)): \($1.shortDescription)" }.joined(separator: ", ") + "}"
    case .namedTuple(_, let name, let fields, let children):
      return "\(name)(" + zip(fields, children).map { "\($0)=\($1.shortDescription)" }.joined(separator: ", ") + ")"
    }
  }

  /// PyTorch's `TreeSpec(...)` rendering, as its structure-mismatch errors print it.
  var torchDescription: String {
    switch self {
    case .leaf: return "*"
    case .none: return "TreeSpec(NoneType, None, [])"
    case .tuple(let children): return "TreeSpec(tuple, None, [" + children.map(\.torchDescription).joined(separator: ",\n  ") + "])"
    case .list(let children): return "TreeSpec(list, None, [" + children.map(\.torchDescription).joined(separator: ",\n  ") + "])"
    case .dict(_, let children): return "TreeSpec(dict, ..., [" + children.map(\.torchDescription).joined(separator: ",\n  ") + "])"
    case .namedTuple(_, let name, _, let children):
      return "TreeSpec(\(name), ..., [" + children.map(\.torchDescription).joined(separator: ",\n  ") + "])"
    }
  }
}

/// One leaf of a flattened pytree and its path from the root: positions in sequences, keys in dicts.
struct TreePath {
  enum Step {
    case position(Int)
    case key(Value)
  }
  var steps: [Step] = []

  /// The path as the store's integer index: positions as they are, a dict key by its position among the keys.
  var index: [Int] {
    steps.map { step in
      switch step {
      case .position(let i): i
      case .key: 0
      }
    }
  }
}

enum PyTree {
  /// The leaves of `value` in order, and its structure.
  static func flatten(_ value: Value) -> (leaves: [Value], spec: TreeSpec) {
    var leaves: [Value] = []
    let spec = flatten(value, into: &leaves)
    return (leaves, spec)
  }

  private static func flatten(_ value: Value, into leaves: inout [Value]) -> TreeSpec {
    switch value {
    case .none: return .none
    case .tuple(let items): return .tuple(items.map { flatten($0, into: &leaves) })
    case .list(let list): return .list(list.items.map { flatten($0, into: &leaves) })
    case .object(let dict as DictObject):
      return .dict(keys: dict.keys, dict.values.map { flatten($0, into: &leaves) })
    case .object(let named as NamedTupleObject):
      return .namedTuple(module: named.module, name: named.name, fields: named.fields,
                         named.items.map { flatten($0, into: &leaves) })
    default:
      leaves.append(value)
      return .leaf
    }
  }

  /// The paths of the leaves of `value`, in flattening order.
  static func paths(_ value: Value, _ prefix: TreePath = TreePath()) -> [TreePath] {
    func extended(_ step: TreePath.Step) -> TreePath { TreePath(steps: prefix.steps + [step]) }
    switch value {
    case .none: return []
    case .tuple(let items): return items.enumerated().flatMap { paths($1, extended(.position($0))) }
    case .list(let list): return list.items.enumerated().flatMap { paths($1, extended(.position($0))) }
    case .object(let dict as DictObject): return dict.pairs.flatMap { paths($1, extended(.key($0))) }
    case .object(let named as NamedTupleObject): return named.items.enumerated().flatMap { paths($1, extended(.position($0))) }
    default: return [prefix]
    }
  }

  /// The tree of structure `spec` holding `leaves` (consumed from the front).
  static func unflatten(_ spec: TreeSpec, _ leaves: [Value]) -> Value {
    var iterator = leaves.makeIterator()
    return unflatten(spec, &iterator)
  }

  private static func unflatten(_ spec: TreeSpec, _ leaves: inout IndexingIterator<[Value]>) -> Value {
    switch spec {
    case .leaf: return leaves.next()!
    case .none: return .none
    case .tuple(let children): return .tuple(children.map { unflatten($0, &leaves) })
    case .list(let children): return .makeList(children.map { unflatten($0, &leaves) })
    case .dict(let keys, let children):
      let dict = DictObject()
      for (key, child) in zip(keys, children) { try? dict.set(key, unflatten(child, &leaves)) }
      return .object(dict)
    case .namedTuple(let module, let name, let fields, let children):
      return .object(NamedTupleObject(module, name, fields: fields, children.map { unflatten($0, &leaves) }))
    }
  }

  /// The leaves of `value`, in order.
  static func flattenLeaves(_ value: Value) -> [Value] { flatten(value).leaves }
}
