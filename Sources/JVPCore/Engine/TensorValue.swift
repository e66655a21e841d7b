/// Anything the operation vocabulary can be applied to: a traced `Var`, or an `Operand` that is concrete
/// until it meets a traced value. The methods in `TensorValue+Ops.swift` are written once for both.
public protocol TensorValue {
  var type: TensorType { get }
  /// The result of `primitive` on `arguments`, checked and computed (or recorded).
  static func apply(_ primitive: any Primitive, _ arguments: [Self]) throws -> Self
  /// A 0-d constant of `dtype` in the same context as `self` (same trace, or concrete).
  func scalar(_ value: Double, dtype: DType) -> Self
}

extension Var: TensorValue {
  public static func apply(_ primitive: any Primitive, _ arguments: [Var]) throws -> Var {
    guard let tracer = arguments.first?.tracer else { preconditionFailure("a primitive needs at least one argument") }
    return try tracer.apply(primitive, arguments)
  }

  public func scalar(_ value: Double, dtype: DType) -> Var { tracer.scalar(value, dtype: dtype) }
}

/// A value the interpreter computes with: a concrete tensor, a tensor on the autograd tape (it requires grad,
/// came from one that does, or carries a forward-mode tangent), or a traced value while a function is being
/// differentiated. Concrete and taped arguments meeting a traced one become constants of its trace.
public enum Operand: TensorValue {
  case concrete(Tensor)
  case taped(TapeTensor)
  case traced(Var)

  public var type: TensorType {
    switch self {
    case .concrete(let tensor): TensorType(of: tensor)
    case .taped(let t): TensorType(of: t.value)
    case .traced(let v): v.type
    }
  }

  public static func apply(_ primitive: any Primitive, _ arguments: [Operand]) throws -> Operand {
    var tracer: Tracer?
    var taped = false
    for argument in arguments {
      switch argument {
      case .traced(let v):
        // The innermost trace wins; values of enclosing traces are lifted into it.
        if tracer == nil || v.tracer.level > tracer!.level { tracer = v.tracer }
      case .taped: taped = true
      case .concrete: break
      }
    }
    guard let tracer else {
      let tensors = arguments.map { $0.concreteValue! }
      let type = try primitive.outputType(tensors.map(TensorType.init(of:)))
      try Check.result(type, of: primitive)
      let output = primitive.forward(tensors, type)
      return taped ? try Tape.record(primitive, arguments, output) : .concrete(output)
    }
    let vars = try arguments.map { try $0.lifted(into: tracer) }
    return .traced(try tracer.apply(primitive, vars))
  }

  /// This value inside `tracer`'s trace: concrete values as constants, taped ones as `Tracer.tapedValue`
  /// makes them, traced ones lifted.
  public func lifted(into tracer: Tracer) throws -> Var {
    switch self {
    case .concrete(let tensor): tracer.constant(tensor)
    case .taped(let t): try tracer.tapedValue(t)
    case .traced(let v): try tracer.lift(v)
    }
  }

  public func scalar(_ value: Double, dtype: DType) -> Operand {
    switch self {
    case .concrete, .taped: .concrete(Tensor(scalar: value, dtype: dtype))
    case .traced(let v): .traced(v.scalar(value, dtype: dtype))
    }
  }
}
