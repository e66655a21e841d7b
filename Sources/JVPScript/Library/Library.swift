import JVPCore

/// The names a script can reach: Python builtins, the modules it can import (each module's members in a
/// home of its own: `TorchNamespace`, `AutodiffCalls`, `PythonModules`), attributes and methods of values.
enum Library {
  /// Every importable module, by dotted name, with its members.
  static let modules: [String: @Sendable (String) -> Value?] = [
    "torch": { name in
      if name == "no_grad" || name == "enable_grad" { return .builtin(gradModeFunction(name)) }
      if name == "Tensor" { return .object(TypeObject("Tensor", module: "torch")) }
      if name == "vmap" { return FuncModule.functions["vmap"].map(Value.builtin) }
      return TorchNamespace.dtypes[name].map(Value.dtype) ?? TorchNamespace.functions[name].map(Value.builtin)
    },
    "torch.autograd": { AutogradModule.functions[$0].map(Value.builtin) },
    "torch.autograd.forward_ad": { ForwardADModule.functions[$0].map(Value.builtin) },
    "torch.autograd.functional": { AutodiffCalls.functions[$0].map(Value.builtin) },
    "torch.func": { FuncModule.functions[$0].map(Value.builtin) },
    "torch.nn": { NNNamespace.member($0) },
    "torch.nn.functional": { NNFunctional.functions[$0].map(Value.builtin) },
    "math": { PythonModules.math[$0] },
    "functools": { PythonModules.functools[$0] },
    "itertools": { PythonModules.itertools[$0] },
    "warnings": { PythonModules.warnings[$0] },
    "time": { PythonModules.time[$0] },
  ]

  static func checkModule(_ path: String) throws {
    guard modules[path] != nil else {
      let known = modules.keys.sorted().joined(separator: ", ")
      throw RuntimeFailure("No module named '\(path)' (jvplab scripts can import \(known))", type: "ModuleNotFoundError")
    }
  }

  /// A Python builtin by name (a function or an exception class).
  static func builtinValue(_ name: String) -> Value? { Builtins.value(name) }

  /// `torch.no_grad` / `torch.enable_grad`: called, they make the context manager.
  static func gradModeFunction(_ name: String) -> Builtin {
    Builtin(name: name) { _, _ in .object(GradModeContext(enabled: name == "enable_grad")) }
  }

  /// `module.name`.
  static func attribute(of module: String, _ name: String) throws -> Value {
    let child = module + "." + name
    if modules[child] != nil { return .module(child) }
    guard let value = modules[module]?(name) else {
      throw RuntimeFailure("module '\(module)' has no attribute '\(name)'", type: "AttributeError")
    }
    return value
  }

  /// `value.name`: module members, tensor properties and bound methods, methods of strings, lists, dicts
  /// and sets, `torch.Size` methods, function attributes.
  static func attribute(of value: Value, _ name: String) throws -> Value {
    switch value {
    case .module(let module): return try attribute(of: module, name)
    case .tensor(let x, _): return try TensorMethods.attribute(x, name)
    case .string(let text): return try StringMethods.method(text, name)
    case .list(let list): return try list.method(name)
    case .object(let object): return try object.attribute(name)
    case .size(let shape) where name == "numel":
      return .builtin(Builtin(name: "numel") { _, _ in .int(Shape.count(shape)) })
    case .dtype(let dtype) where name == "is_floating_point":
      return .bool(dtype.isFloatingPoint)
    case .function(let function) where name == "__name__": return .string(function.name)
    case .function(let function) where name == "__qualname__": return .string(function.qualifiedName)
    case .builtin(let builtin) where name == "__name__": return .string(builtin.name)
    default:
      throw RuntimeFailure("'\(value.typeName)' object has no attribute '\(name)'", type: "AttributeError")
    }
  }

  /// `value.name = newValue`.
  static func setAttribute(of value: Value, _ name: String, _ newValue: Value) throws {
    switch value {
    case .object(let object): try object.setAttribute(name, newValue)
    default:
      throw RuntimeFailure("'\(value.typeName)' object has no attribute '\(name)'", type: "AttributeError")
    }
  }

  /// A float as a Python int, or Python's error for NaN and the infinities; values beyond 64 bits,
  /// which Python would hold as big integers, are an error naming the limit.
  static func integer(_ d: Double, _ function: String) throws -> Int {
    if d.isNaN { throw RuntimeFailure("cannot convert float NaN to integer", type: "ValueError") }
    if d.isInfinite { throw RuntimeFailure("cannot convert float \(PythonRepr.float(d)) to integer", type: "OverflowError") }
    guard d >= -9_223_372_036_854_775_808.0 && d < 9_223_372_036_854_775_808.0 else {
      throw RuntimeFailure("\(function): \(PythonRepr.float(d)) does not fit in a 64-bit integer (jvplab has no big integers)")
    }
    return Int(d)
  }

  static func pow10(_ n: Int) -> Double {
    var result = 1.0
    for _ in 0..<Swift.abs(n) { result *= 10 }
    return n < 0 ? 1 / result : result
  }
}
