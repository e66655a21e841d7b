import JVPCore

/// A tensor's `grad_fn`: the tape node that made it, shown as PyTorch shows its node objects.
final class GradFunctionObject: ScriptObject {
  let node: TapeNode

  init(_ node: TapeNode) { self.node = node }

  var typeName: String { node.name }
  /// `repr()` and `print()`: `<MulBackward0 object at 0x...>`.
  func repr() -> String { "<\(node.name) object at \(address)>" }
  /// IPython's pretty printer: `<MulBackward0 at 0x...>`.
  func display() -> DisplayValue { .atom("<\(node.name) at \(address)>") }

  /// A stable stand-in for the object's address (PyTorch's differs from run to run), as the generator's is.
  private var address: String { Display.address(of: node.name) }

  func attribute(_ name: String) throws -> Value {
    switch name {
    case "next_functions":
      return .tuple(node.next.map { .tuple([$0.map { .object(GradFunctionObject($0)) } ?? .none, .int(0)]) })
    case "name":
      let name = node.name
      return .builtin(Builtin(name: "name") { _, _ in .string(name) })
    default:
      throw RuntimeFailure("'\(node.name)' object has no attribute '\(name)'", type: "AttributeError")
    }
  }

  func equals(_ other: Value) throws -> Bool {
    if case .object(let object as GradFunctionObject) = other { return object.node === node }
    return false
  }
  func hashKey() throws -> HashKey { .identity(ObjectIdentifier(node)) }
}
