import JVPCore

/// `torch.autograd.gradcheck` and `gradgradcheck` (PyTorch's slow mode): the jacobian the tape computes
/// (a reverse pass per output element, the primitives' VJP rules) against central finite differences of the
/// function, compared with `allclose(analytical, numerical, rtol, atol)`. True, or PyTorch's GradcheckError
/// naming the output and input whose jacobians differ, with both printed.
enum Gradcheck {
  static let functions: [String: Builtin] = [
    "gradcheck": Builtin(name: "gradcheck") { interpreter, args in
      let bound = try args.bind("gradcheck", parameters, required: 2)
      let function = bound.values["func"]!
      let check = try Check(interpreter, bound, inputs: bound.values["inputs"]!) { inputs in
        try interpreter.call(function, Arguments(inputs.map { .tensor($0) }), at: interpreter.currentCallLocation)
      }
      return .bool(try check.run())
    },
    "gradgradcheck": Builtin(name: "gradgradcheck") { interpreter, args in
      let bound = try args.bind("gradgradcheck", ["func", "inputs", "grad_outputs"] + parameters.dropFirst(2), required: 2)
      return .bool(try secondOrder(interpreter, bound))
    },
  ]

  static let parameters = [
    "func", "inputs", "eps", "atol", "rtol", "raise_exception", "nondet_tol", "check_undefined_grad", "check_grad_dtypes",
    "check_batched_grad", "check_batched_forward_grad", "check_forward_ad", "check_backward_ad", "fast_mode", "masked",
  ]

  /// `gradgradcheck`: gradcheck of the function's vector-Jacobian product `(inputs, v) -> vᵀJ`, computed on the
  /// tape with `create_graph`. Without `grad_outputs`, v is drawn as PyTorch draws it (`uniform_(-1, 1)` per
  /// output, from the global generator), so later random draws stay in step with PyTorch.
  static func secondOrder(_ interpreter: Interpreter, _ bound: BoundArguments) throws -> Bool {
    let function = bound.values["func"]!
    let inputs = try Check.tensors(bound.values["inputs"]!)
    func outputs(_ values: [Operand]) throws -> [Operand] {
      try Check.tensors(try interpreter.call(function, Arguments(values.map { .tensor($0) }), at: interpreter.currentCallLocation))
    }
    let cotangents: [Operand]
    if let given = bound["grad_outputs"] {
      cotangents = try Check.tensors(given)
    } else {
      cotangents = try outputs(inputs).filter(\.requiresGrad).map { output in
        let type = output.type
        let u = interpreter.generator.rand(type.shape, dtype: type.dtype.isFloatingPoint ? type.dtype : .float64)
        let drawn = try (Operand.concrete(u) * 2 - 1).value()
        return .taped(TapeTensor(value: drawn, requiresGrad: true))
      }
    }
    let count = inputs.count
    let check = try Check(interpreter, bound, inputs: .tuple((inputs + cotangents).map { .tensor($0) })) { values in
      let primals = Array(values.prefix(count))
      let products = zip(try outputs(primals), values.dropFirst(count)).filter { $0.0.requiresGrad }
      let differentiated = primals.compactMap { if case .taped(let t) = $0, t.requiresGrad { t } else { nil } }
      guard let first = products.first, !differentiated.isEmpty else { return .tuple([]) }
      // Σ outputᵢ·vᵢ differentiates to vᵀJ and keeps v on the tape, so the result differentiates again in v.
      var total = try (first.0 * first.1).sum(dims: nil)
      for (output, v) in products.dropFirst() { total = try total + (output * v).sum(dims: nil) }
      guard case .taped(let root) = total else { return .tuple([]) }
      let gradients = try Tape.gradients(
        of: [root], seeds: [Tensor(scalar: 1, dtype: root.value.dtype)], inputs: differentiated, retainGraph: true, createGraph: true)
      return .tuple(gradients.gradients.compactMap { $0.map { .tensor($0) } })
    }
    return try check.run()
  }

  /// One check: the function, its inputs, and the tolerances.
  struct Check {
    let interpreter: Interpreter
    let function: ([Operand]) throws -> Value
    let inputs: [Operand]
    let eps: Double
    let atol: Double
    let rtol: Double
    let raises: Bool

    init(_ interpreter: Interpreter, _ bound: BoundArguments, inputs: Value, _ function: @escaping ([Operand]) throws -> Value) throws {
      self.interpreter = interpreter
      self.function = function
      self.inputs = try Self.tensors(inputs)
      eps = try bound.double("eps", default: 1e-6)
      atol = try bound.double("atol", default: 1e-5)
      rtol = try bound.double("rtol", default: 1e-3)
      raises = try bound.bool("raise_exception", default: true)
    }

    /// A tensor or a tuple or list of them; other items are left out, as PyTorch checks tensors only.
    static func tensors(_ value: Value) throws -> [Operand] {
      if case .tensor(let x, _) = value { return [x] }
      return (value.sequenceItems ?? []).compactMap { if case .tensor(let x, _) = $0 { x } else { nil } }
    }

    /// The function's outputs on fresh leaves holding `values` (each requiring grad where its input does).
    func outputs(_ values: [Tensor]) throws -> (leaves: [TapeTensor], outputs: [Operand]) {
      let leaves = zip(values, inputs).map { TapeTensor(value: $0, requiresGrad: $1.requiresGrad) }
      let result = try GradMode.with(enabled: true) { try function(leaves.map(Operand.taped)) }
      return (leaves, try Self.tensors(result))
    }

    func run() throws -> Bool {
      let differentiated = inputs.indices.filter { inputs[$0].requiresGrad }
      guard !differentiated.isEmpty else {
        throw RuntimeFailure(
          "gradcheck expects at least one input tensor to require gradient, but none of them have requires_grad=True.", type: "ValueError")
      }
      for k in differentiated where inputs[k].type.dtype != .float64 {
        interpreter.warn("UserWarning", "Input #\(k) requires gradient and is not a double precision floating point or complex. This check will likely fail if all the inputs are not of double precision floating point or complex. ")
      }
      let values = try inputs.map { try $0.value() }
      let (leaves, outputs) = try self.outputs(values)
      // Outputs that do not require grad are left out and the rest numbered among themselves, as PyTorch does.
      let differentiable = outputs.indices.filter { outputs[$0].requiresGrad }
      guard !differentiable.isEmpty else {
        for o in outputs.indices {
          for k in differentiated where try numericalJacobian(o, input: k, values).doubles.contains(where: { $0 != 0 }) {
            return try fail("Numerical gradient for function expected to be zero")
          }
        }
        return true
      }
      for (o, index) in differentiable.enumerated() {
        for (position, k) in differentiated.enumerated() {
          let analytical = try analyticalJacobian(outputs[index], leaves[k], among: differentiated.map { leaves[$0] }, position)
          let numerical = try numericalJacobian(index, input: k, values)
          guard try allClose(analytical, numerical) else {
            return try fail(
              "Jacobian mismatch for output \(o) with respect to input \(k),\nnumerical:\(TorchFormatter.repr(numerical))\nanalytical:\(TorchFormatter.repr(analytical))\n")
          }
        }
      }
      return true
    }

    /// False with `raise_exception=False`, else PyTorch's GradcheckError.
    func fail(_ message: String) throws -> Bool {
      guard raises else { return false }
      throw RuntimeFailure(message, type: "GradcheckError")
    }

    /// Row j is the gradient of output element j: `[input.numel, output.numel]` as PyTorch lays it out.
    func analyticalJacobian(_ output: Operand, _ input: TapeTensor, among inputs: [TapeTensor], _ position: Int) throws -> Tensor {
      let type = output.type
      var columns = [Operand]()
      for j in 0..<type.count {
        var oneHot = [Double](repeating: 0, count: type.count)
        oneHot[j] = 1
        var column: Operand? = nil
        if case .taped(let t) = output, t.requiresGrad {
          let seed = Tensor(shape: type.shape, float64: oneHot).converted(to: type.dtype)
          column = try Tape.gradients(of: [t], seeds: [seed], inputs: inputs, retainGraph: true, createGraph: false).gradients[position]
        }
        columns.append(try (column ?? .concrete(Tensor(repeating: 0, shape: input.value.shape, dtype: type.dtype))).reshape([-1]))
      }
      return try GradMode.with(enabled: false) {
        guard !columns.isEmpty else { return Tensor(repeating: 0, shape: [input.value.count, 0], dtype: type.dtype) }
        return try Operand.stack(columns, dim: 1).value()
      }
    }

    /// Row i is `(f(x + eps·eᵢ) - f(x - eps·eᵢ)) / (2·eps)` for output `o`, PyTorch's central difference.
    func numericalJacobian(_ o: Int, input k: Int, _ values: [Tensor]) throws -> Tensor {
      let count = values[k].count
      let rows = try (0..<count).map { i -> Operand in
        func perturbed(_ sign: Double) throws -> Tensor {
          var shifted = values
          let entry = try Operand.concrete(values[k]).reshape([-1]).select(dim: 0, index: i)
          let moved = try (sign > 0 ? entry + eps : entry - eps).value()
          shifted[k] = Indexing.written(moved, into: values[k], at: [Int64(i)])
          return try outputs(shifted).outputs[o].value()
        }
        let below = try perturbed(-1)
        let above = try perturbed(1)
        return try ((Operand.concrete(above) - .concrete(below)) / (2 * eps)).reshape([-1])
      }
      return try Operand.stack(rows, dim: 0).value()
    }

    /// `torch.allclose(a, b, rtol, atol)`: |a - b| <= atol + rtol·|b| everywhere.
    func allClose(_ a: Tensor, _ b: Tensor) throws -> Bool {
      guard a.shape == b.shape else { return false }
      let x = a.converted(to: .float64).doubles
      let y = b.converted(to: .float64).doubles
      return zip(x, y).allSatisfy { abs($0 - $1) <= atol + rtol * abs($1) || $0 == $1 }
    }
  }
}
