import Foundation
import JVPLab
import JVPStore
import Testing

/// torch.func through `jvplab run`: one run per top-level application, its kind the outermost transform and
/// its `transform` the composition as written; tensors indexed by pytree path; `vjp_fn` runs linked to
/// their maker; `query`, `show` and `replay` on them; PyTorch's errors at `file:line:col`, exit 3, with the
/// runs before the error kept.
@Suite struct FuncRunTests {
  static let script = """
    import torch
    from torch.func import grad, vjp, jacrev, vmap, hessian, linearize
    _ = torch.manual_seed(0)

    def predict(weight, bias, x):
        return (x @ weight.T + bias).tanh()

    def loss(params, x):
        return predict(params['w'], params['b'], x).sum()

    weight = torch.randn(3, 4)
    bias = torch.randn(3)
    x = torch.randn(5, 4)
    batch_jacobian = vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))(weight, bias, x)
    g = grad(loss)({'w': weight, 'b': bias}, x[0])
    out, vjp_fn = vjp(predict, weight, bias, x[0])
    ct = vjp_fn(torch.ones(3))
    h = hessian(predict, argnums=2)(weight, bias, x[0])
    rows = vmap(lambda v: predict(weight, bias, v).sum())(x)
    out, jvp_fn = linearize(predict, weight, bias, x[0])
    tangent = jvp_fn(torch.ones(3, 4), torch.zeros(3), torch.randn(4))

    """

  @Test func recordsOneRunPerTopLevelApplication() throws {
    let lab = try Lab()
    let (status, output) = lab.run(script: try lab.script("func.py", Self.script))
    #expect(status == .success, "\(output.err)")
    let runs = try lab.runs()
    #expect(runs.map(\.info.kind) == ["vmap", "grad", "vjp", "vjp", "hessian", "vmap", "linearize", "jvp"])
    #expect(runs.map(\.info.transform) == [
      "vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))", "grad(loss)", "vjp(predict)", "vjp_fn",
      "hessian(predict, argnums=2)", "vmap(lambda v: predict(weight, bias, v).sum())", "linearize(predict)", "jvp_fn",
    ])
    #expect(runs.map(\.info.madeBy) == [nil, nil, nil, runs[2].id, nil, nil, nil, runs[6].id])

    let batch = try lab.detail(runs[0].id)
    #expect(batch.tensor("input", [2])?.shape == [5, 4])
    #expect(batch.tensor("result")?.shape == [5, 3, 4])
    // The dict argument's leaves: index by position, name by PyTorch's key path.
    let gradient = try lab.detail(runs[1].id)
    #expect(gradient.tensors.filter { $0.role == "input" }.map(\.name) == ["[0]['w']", "[0]['b']", nil])
    #expect(gradient.tensors.filter { $0.role == "result" }.map(\.name) == ["['w']", "['b']"])
    let cotangent = try lab.detail(runs[3].id)
    #expect(cotangent.tensor("cotangent", [0])?.values == [1, 1, 1])
    #expect(cotangent.tensors.filter { $0.role == "result" }.map(\.index) == [[0], [1], [2]])

    #expect(try Set(lab.ids(#"transform ~ "vmap(*""#)) == [runs[0].id, runs[5].id])
    #expect(try lab.ids("kind = vjp and made_by = \(runs[2].id)") == [runs[3].id])
  }

  @Test func showNamesTheTransformAndTheMaker() throws {
    let lab = try Lab()
    _ = lab.run(script: try lab.script("func.py", Self.script))
    let runs = try lab.runs()
    let text = Show.text(try lab.detail(runs[3].id))
    #expect(text.contains("  transform  vjp_fn\n"))
    #expect(text.contains("  made by    run \(runs[2].id)\n"))
  }

  @Test func replayRetracesTheTransformBitForBit() throws {
    let lab = try Lab()
    _ = lab.run(script: try lab.script("func.py", Self.script))
    let runs = try lab.runs()
    // vjp_fn and jvp_fn calls replay by making the function again from their maker's run.
    // grad(loss) took a dict: replay rebuilds tensor arguments only, and says so.
    for run in runs where run.info.transform != "grad(loss)" { try Self.expectReplayed(run, lab) }
    let output = Capture()
    let status = Replay.run(reference: String(runs[1].id), database: lab.database, repeats: 1, tolerance: .init(),
                            format: .text, commandLine: nil, console: output.console)
    #expect(status == .usage)
    #expect(output.err == "jvplab: run \(runs[1].id) cannot be replayed: its arguments are not all tensors (replay rebuilds tensor arguments only)\n")
  }

  /// Replays `run`: a child run with the same transform and maker, and the same results bit for bit.
  static func expectReplayed(_ run: RunSummary, _ lab: Lab) throws {
    let output = Capture()
    let status = Replay.run(reference: String(run.id), database: lab.database, repeats: 1, tolerance: .init(),
                            format: .text, commandLine: nil, console: output.console)
    #expect(status == .success, "\(output.err)")
    let replayed = try #require(try lab.runs().last)
    #expect(replayed.info.parent == run.id)
    #expect(replayed.info.transform == run.info.transform)
    #expect(replayed.info.madeBy == run.info.madeBy)
    let results = { (id: Int64) in try lab.detail(id).tensors.filter { $0.role == "result" }.map(\.elements) }
    #expect(try results(replayed.id) == results(run.id))
    #expect(try !results(run.id).isEmpty)
  }

  /// `vmap(vjp_fn)(unit_vectors)`: the run is linked to the `vjp` run that made `vjp_fn`, and replay makes the
  /// function again from that run, applies the recorded transform to it, and gets the same bits.
  @Test func replayRebuildsATransformOfAVjpFn() throws {
    let lab = try Lab()
    let (status, output) = lab.run(script: try lab.script("vmap_vjp.py", """
      import torch
      from torch.func import vjp, vmap
      _ = torch.manual_seed(0)
      x = torch.randn(4)
      out, vjp_fn = vjp(lambda v: v.sin() * v.sum(), x)
      rows = vmap(vjp_fn)(torch.eye(4))[0]

      """))
    #expect(status == .success, "\(output.err)")
    let runs = try lab.runs()
    #expect(runs.map(\.info.transform) == ["vjp(lambda v: v.sin() * v.sum())", "vmap(vjp_fn)"])
    #expect(runs.map(\.info.madeBy) == [nil, runs[0].id])
    try Self.expectReplayed(runs[1], lab)
  }

  /// A global that requires grad, read inside the transformed function: its value is stored as a global, so the
  /// transform's run replays bit for bit; the backward from its result (a tape run whose statements apply the
  /// transform) replays too, with the transforms bound by their bare names.
  @Test func replaysTransformsOfFunctionsReadingGlobalsThatRequireGrad() throws {
    let lab = try Lab()
    let (status, output) = lab.run(script: try lab.script("captured.py", """
      import torch
      from torch.func import grad, jacrev, vmap
      _ = torch.manual_seed(0)
      w = torch.randn(3, requires_grad=True)
      x = torch.randn(3)
      def f(v):
          return (w * v.sin()).sum()
      g = grad(f)(x)
      j = jacrev(lambda v: w * v)(x)
      b = vmap(grad(f))(torch.randn(2, 3))
      (g * 2).sum().backward()

      """))
    #expect(status == .success, "\(output.err)")
    let runs = try lab.runs()
    #expect(runs.map(\.info.kind) == ["grad", "jacrev", "vmap", "backward"])
    #expect(try lab.detail(runs[0].id).tensors.filter { $0.role == "global" }.map(\.name) == ["w"])
    for run in runs.prefix(3) { try Self.expectReplayed(run, lab) }
    let backward = Capture()
    let replayStatus = Replay.run(reference: String(runs[3].id), database: lab.database, repeats: 1, tolerance: .init(),
                                  format: .text, commandLine: nil, console: backward.console)
    #expect(replayStatus == .success, "\(backward.err)")
    let replayed = try #require(try lab.runs().last)
    #expect(replayed.info.kind == "backward" && replayed.info.parent == runs[3].id)
    let grads = { (id: Int64) in try lab.detail(id).tensors.filter { $0.role == "grad" }.map(\.elements) }
    #expect(try grads(replayed.id) == grads(runs[3].id))
    #expect(try grads(runs[3].id).count == 1)
  }

  /// `jacrev(partial(predict, weight, bias))(x)`: the partial's bound arguments are stored as globals
  /// (`partial[k].args`, `.keywords`), and replay rebuilds the partials from them, nested ones too.
  @Test func replayRebuildsPartialsBitForBit() throws {
    let lab = try Lab()
    let source = """
      import torch
      from functools import partial
      from torch.func import jacrev, vmap, vjp

      def predict(weight, bias, x, scale=1.0):
          return (x @ weight.T + bias).tanh() * scale

      _ = torch.manual_seed(0)
      weight = torch.randn(3, 4)
      bias = torch.randn(3)
      x = torch.randn(4)
      j = jacrev(partial(predict, weight, bias))(x)
      k = jacrev(partial(partial(predict, weight), bias, scale=0.5))(x)
      b = vmap(jacrev(partial(predict, weight, scale=2)), in_dims=(None, 0))(bias, torch.randn(5, 4))
      out, vjp_fn = vjp(partial(predict, weight, bias), x)
      ct = vjp_fn(torch.ones(3))

      """
    let (status, output) = lab.run(script: try lab.script("partial.py", source))
    #expect(status == .success, "\(output.err)")
    let runs = try lab.runs()
    #expect(runs.map(\.info.transform) == [
      "jacrev(partial(predict, ...))", "jacrev(partial(partial(predict, ...), ...))",
      "vmap(jacrev(partial(predict, ...)), in_dims=(None, 0))", "vjp(partial(predict, ...))", "vjp_fn",
    ])
    let nested = try lab.detail(runs[1].id)
    #expect(nested.tensors.filter { $0.role.hasPrefix("global") && $0.index.count == 1 }.compactMap(\.name).sorted() == [
      "partial[0].args", "partial[1].args", "partial[1].keywords",
    ])
    for run in runs { try Self.expectReplayed(run, lab) }
  }

  /// A function that draws under `randomness='different'` or `'same'` records where the generator stood
  /// (`generator_offset`, the draws since the seed), and replay starts its draws there: the same values.
  @Test func replayDrawsWhereTheCallDrew() throws {
    let lab = try Lab()
    let (status, output) = lab.run(script: try lab.script("draws.py", """
      import torch
      from torch.func import jacfwd, vmap
      _ = torch.manual_seed(0)
      x = torch.randn(3)
      j = jacfwd(lambda a: a * torch.rand(3), randomness='different')(x)
      v = vmap(lambda a: a + torch.randn(3), randomness='different')(torch.zeros(2, 3))
      s = vmap(lambda a: a + torch.randn(3), randomness='same')(torch.zeros(2, 3))
      plain = jacfwd(lambda a: a.sin())(x)

      """))
    #expect(status == .success, "\(output.err)")
    let runs = try lab.runs()
    // randn(3) takes 8 draws (two Box-Muller pairs of doubles, one sample kept), rand([3, 3]) 9, randn([2, 3]) 12.
    let offsets = try runs.map { try lab.detail($0.id).tensor("generator_offset")?.values }
    #expect(offsets == [[8], [17], [29], nil])
    for run in runs { try Self.expectReplayed(run, lab) }
  }

  /// `--repeat` times the transformed graph's evaluation as it times a functional call's transform, and each
  /// differentiating transform is checked as the functional kinds are: jvp and jvp_fn by a finite difference,
  /// vjp_fn by the dot-product identity, grad, jacrev, jacfwd and hessian by J·u (H·u) against one.
  @Test func repeatsAndChecksTorchFuncCalls() throws {
    let lab = try Lab()
    let (status, output) = lab.run(script: try lab.script("func.py", Self.script)) { $0.repeats = 3 }
    #expect(status == .success, "\(output.err)")
    let runs = try lab.runs()
    for run in runs {
      let detail = try lab.detail(run.id)
      #expect(detail.timings.first { $0.phase == run.info.kind }?.samples.count == 3, "\(run.info.transform ?? "")")
    }
    let checks = try runs.map { try lab.detail($0.id).checks.map(\.name) }
    // vmap(jacrev(...)) and vmap(lambda) map, vjp and linearize only make their functions: nothing to check.
    #expect(checks == [[], ["fd"], [], ["dot"], ["fd"], [], [], ["fd"]])
    #expect(try runs.allSatisfy { try lab.detail($0.id).checks.allSatisfy { $0.ok == true } })
    let more = """
      import torch
      from torch.func import jvp, jacfwd, jacrev, grad_and_value, hessian
      x = torch.linspace(-1, 1, 4, dtype=torch.float64)
      a = jvp(lambda v: (v.sin() * v).exp(), (x,), (torch.ones(4, dtype=torch.float64),))
      b = jacfwd(lambda v, w: v.exp() * w.sum(), argnums=(0, 1))(x, x)
      c = grad_and_value(lambda v: (v ** 3).sum())(x)
      d = jacrev(lambda v: v.tanh())(x)
      e = hessian(lambda v: (v.sin() * v).exp())(x)

      """
    let (moreStatus, moreOutput) = lab.run(script: try lab.script("more.py", more))
    #expect(moreStatus == .success, "\(moreOutput.err)")
    for run in try lab.runs().suffix(5) {
      let check = try #require(try lab.detail(run.id).checks.first)
      #expect(check.name == "fd")
      #expect(check.ok == true)
      #expect(check.maxAbs < 1e-7)
    }
  }

  /// A float32 jacobian is checked within float32's tolerance (its J·u is formed in float64, which does not
  /// make the check a float64 one): jacrev's and torch.autograd.functional.jacobian's alike.
  @Test func float32JacobiansAreCheckedAtFloat32Tolerance() throws {
    let lab = try Lab()
    let (status, output) = lab.run(script: try lab.script("f32.py", """
      import torch
      from torch.autograd.functional import jacobian
      from torch.func import jacrev, hessian
      _ = torch.manual_seed(0)
      w = torch.randn(16, 16)
      x = torch.randn(16)
      a = jacobian(lambda v: (w @ v).tanh(), x)
      b = jacrev(lambda v: (w @ v).tanh())(x)
      c = hessian(lambda v: (w @ v).tanh().sum())(x)

      """))
    #expect(status == .success, "\(output.err)")
    for run in try lab.runs() {
      let check = try #require(try lab.detail(run.id).checks.first)
      #expect(check.name == "fd")
      #expect(check.ok == true, "\(run.info.kind): \(check)")
      #expect(check.maxAbs < 1e-3)
    }
  }

  /// A wrong derivative fails its check: the recorded check compares against an independent estimate.
  @Test func jvpCheckComparesWithAFiniteDifference() throws {
    let lab = try Lab()
    let (status, output) = lab.run(script: try lab.script("fd.py", """
      import torch
      from torch.func import jvp
      x = torch.tensor([0.5, 2.0], dtype=torch.float64)
      out = jvp(lambda v: v.sin(), (x,), (torch.tensor([1.0, -1.0], dtype=torch.float64),))

      """))
    #expect(status == .success, "\(output.err)")
    let check = try #require(try lab.detail(1).checks.first)
    #expect(check.name == "fd")
    #expect(check.ok == true)
    #expect(check.maxAbs > 0)
    #expect(check.maxAbs < 1e-8)
  }

  /// Each bad call exits 3 with PyTorch's message at the call, after the run before it was recorded.
  @Test(arguments: [
    ("vmap(lambda a, b: a * b)(x, torch.ones(4))",
     "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes [3, 4] for the mapped dimension", 5),
    ("vmap(lambda a, b: a * b, in_dims=(0,))(x, x)",
     "vmap(<lambda>, in_dims=(0,), ...)(<inputs>): in_dims is not compatible with the structure of `inputs`. in_dims has structure TreeSpec(tuple, None, [*]) but inputs has structure TreeSpec(tuple, None, [*,\n  *]).", 5),
    ("grad(lambda a: a * 2)(x)",
     "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with 1 dims. Maybe you wanted to use the vjp or jacrev APIs instead?", 5),
    ("grad(lambda a: a.sum(), argnums=(0, 1))(x)", "Got argnum=1, but only 1 positional inputs", 5),
    ("jacrev(lambda a: a, has_aux=True)(x)",
     "vjp(f, *primals): output of function f should be a tuple: (output, aux) if has_aux is True", 5),
    ("vmap(lambda a: a if a.sum() > 0 else -a)(torch.ones(2, 3))",
     "vmap: It looks like you're attempting to use a Tensor in some data-dependent control flow. We don't support that yet, please file an issue at https://github.com/pytorch/pytorch/issues .", 33),
    ("vmap(lambda a: torch.randn(3) + a)(torch.ones(2, 3))",
     "vmap: called random operation while in randomness error mode. Please either use the 'same' or 'different' randomness flags on vmap or perform the randomness operation out of vmap", 20),
    ("vmap(lambda a: a * 2, out_dims=None)(torch.ones(2, 3))",
     "vmap(<lambda>, ...): `<lambda>` can not return a BatchedTensor when out_dim is None", 5),
    ("jacrev(lambda a: 3.0)(x)", "vjp(f, *primals): expected f(*primals) to return only tensors, got unsupported type <class 'float'>", 5),
    ("jacrev(lambda a: a)(x)[0].sum() + vjp(lambda a: a, x)[1]((x, x)).sum()",
     "Expected pytree structure of cotangents to be the same as pytree structure of outputs to the function. cotangents: (*, *), primal output: *", 39),
    ("jacfwd(lambda a: a * torch.randn(3))(x)",
     "vmap: called random operation while in randomness error mode. Please either use the 'same' or 'different' randomness flags on vmap or perform the randomness operation out of vmap", 26),
    ("jvp(lambda a: torch.zeros(3), (x,), (x,), strict=True)",
     "jvp(f, primals, tangents, strict=True): The output of f is independent of the inputs. This is not allowed with strict=True.", 5),
  ])
  func pytorchsErrorsInPyTorchsWords(_ line: String, _ message: String, _ column: Int) throws {
    let lab = try Lab()
    let source = "import torch\nfrom torch.func import grad, jacfwd, jacrev, jvp, vjp, vmap\nx = torch.ones(3)\nok = grad(lambda a: a.sum())(x)\ny = \(line)\n"
    let path = try lab.script("bad.py", source)
    let (status, output) = lab.run(script: path)
    #expect(status == .runFailed)
    #expect(output.err.hasPrefix("\(path):5:\(column): \(message)\n"))
    let runs = try lab.runs()
    #expect(runs.first?.info.status == .ok)
  }
}
