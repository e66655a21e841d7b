import JVPCore
import Testing

/// The graphs behind torch.func (`FuncGraphs`, `Graph.batched`, nested tracers) against numerical identities,
/// in float64 over the catalogue of `AutodiffIdentityTests` (every primitive):
/// - `jacrev` and `jacfwd` agree, chunked or not, and match central finite differences (step 1e-6, to 1e-6);
/// - `jvp` gives J·v and `vjp` gives uᵀ·J with J from `jacrev` (to 1e-12, scaled by 1 + |value|);
/// - `vmap` of f (the batched graph) is f of each example, stacked (to 1e-12);
/// - the hessian (`jacfwd(jacrev)`) of the summed output is symmetric and matches finite differences of the gradient;
/// - a value of an enclosing trace used in an inner one becomes a capture, and inlining feeds it back.
@Suite struct FuncGraphsTests {
  static let cases = AutodiffIdentityTests.cases

  /// The case traced on a random input: its graph and the input.
  static func setup(_ c: AutodiffIdentityTests.Case, seed: UInt64) throws -> (Graph, Tensor) {
    var values = SeededValues(seed: seed)
    let x = values.tensor(c.shape(&values), c.range)
    let f = try traced(TensorType(of: x), c.body)
    return (f.graph, x)
  }

  /// J·v for a jacobian block of shape `out + in` flattened to `[out.count, in.count]`.
  static func product(_ jacobian: Tensor, _ v: Tensor, rows: Int) -> [Double] {
    let j = jacobian.doubles
    let columns = v.count
    return (0..<rows).map { r in (0..<columns).reduce(0.0) { $0 + j[r * columns + $1] * v.doubles[$1] } }
  }

  static func maxError(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).map { Swift.abs($0 - $1) / (1 + Swift.abs($1)) }.max() ?? 0
  }

  @Test(arguments: cases)
  func jacrevAndJacfwdAgreeWithFiniteDifferences(_ c: AutodiffIdentityTests.Case) throws {
    let (graph, x) = try Self.setup(c, seed: 11)
    let reverse = try FuncGraphs.jacrev(graph, differentiated: 1, wrt: [0]).evaluate([x])[0]
    let forward = try FuncGraphs.jacfwd(graph, differentiated: 1, wrt: [0]).evaluate([x])[0]
    let chunked = try FuncGraphs.jacrev(graph, differentiated: 1, wrt: [0], chunk: 2).evaluate([x])[0]
    #expect(reverse.shape == graph.outputTypes[0].shape + x.shape)
    #expect(Self.maxError(reverse.doubles, forward.doubles) < 1e-12)
    #expect(Self.maxError(chunked.doubles, reverse.doubles) < 1e-12)
    let n = graph.outputTypes[0].count
    for k in 0..<x.count {
      var plus = x.doubles
      var minus = x.doubles
      plus[k] += 1e-6
      minus[k] -= 1e-6
      let high = try graph.evaluate([Tensor(shape: x.shape, doubles: plus, dtype: .float64)])[0].doubles
      let low = try graph.evaluate([Tensor(shape: x.shape, doubles: minus, dtype: .float64)])[0].doubles
      let column = (0..<n).map { (high[$0] - low[$0]) / 2e-6 }
      let fromJacobian = (0..<n).map { reverse.doubles[$0 * x.count + k] }
      #expect(Self.maxError(fromJacobian, column) < 1e-6)
    }
  }

  @Test(arguments: cases)
  func jvpIsJacobianTimesVectorAndVjpIsVectorTimesJacobian(_ c: AutodiffIdentityTests.Case) throws {
    let (graph, x) = try Self.setup(c, seed: 12)
    var values = SeededValues(seed: 99)
    let v = values.tensor(x.shape)
    let u = values.tensor(graph.outputTypes[0].shape)
    let jacobian = try FuncGraphs.jacrev(graph, differentiated: 1, wrt: [0]).evaluate([x])[0]
    let n = graph.outputTypes[0].count
    let jvp = try FuncGraphs.jvp(graph, differentiated: 1, wrt: [0]).evaluate([x, v])
    #expect(jvp[0] == (try graph.evaluate([x])[0]))
    #expect(Self.maxError(jvp[1].doubles, Self.product(jacobian, v, rows: n)) < 1e-12)
    let vjp = try FuncGraphs.vjp(graph, differentiated: 1, wrt: [0]).evaluate([x, u])[1]
    let transposed = (0..<x.count).map { k in (0..<n).reduce(0.0) { $0 + u.doubles[$1] * jacobian.doubles[$1 * x.count + k] } }
    #expect(Self.maxError(vjp.doubles, transposed) < 1e-12)
  }

  @Test(arguments: cases)
  func vmapIsTheFunctionOfEachExampleStacked(_ c: AutodiffIdentityTests.Case) throws {
    let (graph, x) = try Self.setup(c, seed: 13)
    var values = SeededValues(seed: 5)
    let examples = [x] + (0..<2).map { _ in values.tensor(x.shape, c.range) }
    let stacked = Tensor(shape: [3] + x.shape, doubles: examples.flatMap(\.doubles), dtype: .float64)
    let batched = try graph.batched([0], size: 3).evaluate([stacked])[0]
    let each = try examples.flatMap { try graph.evaluate([$0])[0].doubles }
    #expect(batched.shape == [3] + graph.outputTypes[0].shape)
    #expect(Self.maxError(batched.doubles, each) < 1e-12)
  }

  @Test(arguments: cases)
  func hessianOfTheSumIsSymmetricAndDifferencesTheGradient(_ c: AutodiffIdentityTests.Case) throws {
    var values = SeededValues(seed: 14)
    let x = values.tensor(c.shape(&values), c.range)
    let f = try traced(TensorType(of: x)) { try c.body($0).sum() }
    let hessian = try FuncGraphs.hessian(f.graph, wrt: [0]).evaluate([x])[0]
    let gradient = try FuncGraphs.gradAndValue(f.graph, wrt: [0])
    let n = x.count
    #expect(hessian.shape == x.shape + x.shape)
    let h = hessian.doubles
    for i in 0..<n {
      for j in 0..<n { #expect(Swift.abs(h[i * n + j] - h[j * n + i]) <= 1e-10 * (1 + Swift.abs(h[i * n + j]))) }
      var plus = x.doubles
      var minus = x.doubles
      plus[i] += 1e-6
      minus[i] -= 1e-6
      let high = try gradient.evaluate([Tensor(shape: x.shape, doubles: plus, dtype: .float64)])[0].doubles
      let low = try gradient.evaluate([Tensor(shape: x.shape, doubles: minus, dtype: .float64)])[0].doubles
      let column = (0..<n).map { (high[$0] - low[$0]) / 2e-6 }
      #expect(Self.maxError((0..<n).map { h[$0 * n + i] }, column) < 1e-5)
    }
  }

  /// A batch of matrices (or vectors) times one matrix, as `vmap(lambda a: a @ W)` makes it, is one product of
  /// the stacked rows: the values of each example's product (to 1e-12).
  @Test(arguments: [[3, 4], [4]])
  func vmapOfAProductWithOneMatrixIsEachExamplesProduct(_ shape: [Int]) throws {
    var values = SeededValues(seed: 21)
    let weight = values.tensor([4, 5])
    let f = try traced(TensorType(shape: shape, dtype: .float64)) { x in try x.matmul(x.tracer.constant(weight)) }
    let examples = (0..<6).map { _ in values.tensor(shape) }
    let stacked = Tensor(shape: [6] + shape, doubles: examples.flatMap(\.doubles), dtype: .float64)
    let batched = try f.graph.batched([0], size: 6).evaluate([stacked])[0]
    let each = try examples.flatMap { try f.graph.evaluate([$0])[0].doubles }
    #expect(batched.shape == [6] + Array(shape.dropLast()) + [5])
    #expect(Self.maxError(batched.doubles, each) < 1e-12)
  }

  /// `grad(lambda x: (x * y).sum())` traced inside an outer trace where `y` is an outer value: `y` is a
  /// capture of the inner graph, and the inlined gradient is `y` itself.
  @Test func outerValuesAreLiftedIntoInnerTraces() throws {
    let outer = Tracer()
    let y = outer.input(TensorType(shape: [3], dtype: .float64))
    let inner = Tracer(parent: outer)
    let x = inner.input(TensorType(shape: [3], dtype: .float64))
    let product = try Operand.traced(x) * Operand.traced(y)
    guard case .traced(let p) = product else { Issue.record("a product of traced values is traced"); return }
    #expect(p.tracer === inner && inner.level == 1)
    #expect(inner.extraInputs.count == 1)
    let loss = try p.sum()
    let gradient = try FuncGraphs.gradAndValue(inner.finish(outputs: [loss]), wrt: [0])
    let results = try gradient.inline(into: outer, [y, y])
    let program = outer.finish(outputs: [results[0]])
    let value = Tensor(shape: [3], doubles: [1.5, -2, 0.25], dtype: .float64)
    #expect(try program.evaluate([value])[0] == value)
    // A value of an unrelated trace cannot be lifted.
    let stranger = Tracer().input(TensorType(shape: [3], dtype: .float64))
    #expect(throws: EngineError.self) { try inner.lift(stranger) }
  }
}
