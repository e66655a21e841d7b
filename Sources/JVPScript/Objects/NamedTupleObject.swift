/// A named tuple such as `torch.return_types.max(values=..., indices=...)`: a tuple whose items are also
/// attributes, shown as PyTorch's structseq repr shows them.
final class NamedTupleObject: ScriptObject {
  let module: String
  let name: String
  let fields: [String]
  let items: [Value]
  /// `collections.namedtuple` reprs stay on one line (`UnpackedDualTensor(primal=..., tangent=...)`); structseqs break.
  let oneLine: Bool

  init(_ module: String, _ name: String, fields: [String], _ items: [Value], oneLine: Bool = false) {
    self.module = module
    self.name = name
    self.fields = fields
    self.items = items
    self.oneLine = oneLine
  }

  var typeName: String { name }

  func repr() -> String {
    if oneLine { return "\(name)(" + zip(fields, items).map { "\($0)=\(Display.repr($1))" }.joined(separator: ", ") + ")" }
    return "\(module).\(name)(\n" + zip(fields, items).map { "\($0)=\(Display.repr($1))" }.joined(separator: ",\n") + ")"
  }

  func length() throws -> Int { items.count }
  func makeIterator() throws -> ValueIterator { ValueIterator(items) }
  func item(_ key: Value) throws -> Value { try Indexing.subscriptValue(.tuple(items), .value(key)) }
  func equals(_ other: Value) throws -> Bool { try Operators.equal(.tuple(items), other) }

  func attribute(_ name: String) throws -> Value {
    guard let position = fields.firstIndex(of: name) else {
      throw RuntimeFailure("'\(module).\(self.name)' object has no attribute '\(name)'", type: "AttributeError")
    }
    return items[position]
  }
}
