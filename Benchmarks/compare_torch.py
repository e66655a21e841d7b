#!/usr/bin/env python3
"""jvplab's engine against PyTorch, case by case, medians side by side.

usage: Benchmarks/compare_torch.py [--bench PATH] [--jvplab-json FILE] [--reference FILE] [--quick] [--markdown]
                                   [--suite engine|matmul] [--rounds N]

Gets jvplab's medians from `jvplab-bench engine --json` (run here, or read from FILE), then, when PyTorch is
importable, times the same cases in this process with torch.autograd.functional and torch.func and prints
medians and the ratio jvplab / fastest PyTorch. Without PyTorch it says so and uses the stored reference
medians (Benchmarks/torch-timings.json, PyTorch 2.15 on this machine class).

`--suite func` runs Benchmarks/func_cases.py (the torch.func tutorial's cases, timed inside the script) under
PyTorch in a child process and under jvplab (`jvplab-bench func --json`), alternating `--rounds` times, and
prints each side's best median side by side.

`--suite matmul` compares the matmul scaling suite (`jvplab-bench matmul`) with PyTorch and, when `jax` is
importable, JAX (`jax.jit`, warm), case by case, alternating `--rounds` times between a jvplab process timing
the case (`--only`) and the peers, so both sides of a ratio see the same machine; it reports each side's best median over the rounds, the spread between rounds,
the ratio to the faster peer, and for GEMM-bound cases jvplab's GFLOP/s against its BLAS's own time. It
pays for nothing it does not report: the first jvplab process times the kernels only (`--kernels-only`),
JAX compiles each case once for all rounds, a PyTorch variant three times slower than the other in the
first round is not timed again, and calls slower than 30 ms take 11 samples instead of 31 (as jvplab-bench's
GEMM-bound cases do); each case's time goes to stderr.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def jvplab_results(args, suite="engine"):
    if args.jvplab_json:
        with open(args.jvplab_json) as f:
            text = f.read()
    else:
        command = [args.bench, suite, "--json"] + (["--quick"] if args.quick else [])
        text = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            data = json.loads(line)
            if data.get("suite") == suite:
                return data
    sys.exit(f"compare_torch: no {suite} suite JSON in jvplab-bench output")


def median_time(fn, min_time, min_reps=31):
    """Median of single calls, warm: at least `min_reps` samples and `min_time` seconds (11 samples for calls
    slower than 30 ms, whose median needs no more, as jvplab-bench's GEMM-bound cases)."""
    t0 = time.perf_counter()
    fn()
    if time.perf_counter() - t0 > 0.03:
        min_reps = min(min_reps, 11)
    for _ in range(2):
        fn()
    warm_end = time.perf_counter() + min_time / 10
    while time.perf_counter() < warm_end:
        fn()
    samples = []
    end = time.perf_counter() + min_time
    while len(samples) < min_reps or time.perf_counter() < end:
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


# torch.autograd.functional's ways to build a jacobian (and a hessian's outer jacobian), by case label:
# strategy and vectorize. PyTorch has no forward-mode without vectorize.
VARIANTS = [("reverse-mode", False, "reverse"), ("reverse-mode", True, "reverse-vectorized"),
            ("forward-mode", True, "forward-vectorized")]


def torch_cases(torch, spec, min_time):
    """{label: median seconds} for one case, with torch.autograd.functional and torch.func."""
    import torch.autograd.functional as F
    import torch.func as tf

    torch.manual_seed(42)
    kind, fn, n = spec["kind"], spec["fn"], int(spec["n"])
    out = {}

    def exp_reducer(x):
        return x.exp().sum(dim=1)

    def rosenbrock(x):
        return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()

    if fn == "exp_reducer":
        x = torch.rand(n, n)
        if kind == "jvp":
            v = torch.ones(n, n)
            out["autograd.functional"] = median_time(lambda: F.jvp(exp_reducer, x, v), min_time)
            out["torch.func"] = median_time(lambda: tf.jvp(exp_reducer, (x,), (v,)), min_time)
        elif kind == "jacobian":
            strategy, vectorize = spec["strategy"], spec["vectorize"]
            if strategy == "auto":  # against every way PyTorch has
                for s, vec, label in VARIANTS:
                    out[label] = median_time(lambda: F.jacobian(exp_reducer, x, strategy=s, vectorize=vec), min_time)
                out["torch.func.jacrev"] = median_time(lambda: tf.jacrev(exp_reducer)(x), min_time)
                out["torch.func.jacfwd"] = median_time(lambda: tf.jacfwd(exp_reducer)(x), min_time)
            elif strategy == "forward-mode" and not vectorize:
                pass  # PyTorch's forward-mode jacobian requires vectorize=True
            else:
                out["autograd.functional"] = median_time(
                    lambda: F.jacobian(exp_reducer, x, strategy=strategy, vectorize=vectorize), min_time)
                jac = tf.jacfwd if strategy == "forward-mode" else tf.jacrev
                out["torch.func"] = median_time(lambda: jac(exp_reducer)(x), min_time)
    elif fn == "rosenbrock":
        x = torch.rand(n, dtype=torch.float64)
        v = torch.ones(n, dtype=torch.float64)
        if kind == "hessian":
            strategy, vectorize = spec["strategy"], spec["vectorize"]

            def hessian(s, vec):
                return lambda: F.hessian(rosenbrock, x, vectorize=vec, outer_jacobian_strategy=s)

            def func_hessian():  # vectorized forward-over-reverse: jacfwd(jacrev(f))
                return tf.hessian(rosenbrock)(x)

            if strategy == "auto":  # against every way PyTorch has
                for s, vec, label in VARIANTS:
                    out[label] = median_time(hessian(s, vec), min_time)
                out["torch.func"] = median_time(func_hessian, min_time)
            elif strategy == "forward-mode" and not vectorize:
                pass  # PyTorch's forward-mode outer jacobian requires vectorize=True
            else:
                out["autograd.functional"] = median_time(hessian(strategy, vectorize), min_time)
                if strategy == "forward-mode":
                    out["torch.func"] = median_time(func_hessian, min_time)
        elif kind == "hvp":
            out["autograd.functional"] = median_time(lambda: F.hvp(rosenbrock, x, v), min_time)
            out["torch.func"] = median_time(lambda: tf.jvp(tf.grad(rosenbrock), (x,), (v,)), min_time)
    elif fn == "f":
        x, v = torch.rand(2), torch.tensor([1.0, 2.0])
        out["autograd.functional"] = median_time(lambda: F.jvp(lambda a: 2 * a, x, v), min_time)
        out["torch.func"] = median_time(lambda: tf.jvp(lambda a: 2 * a, (x,), (v,)), min_time)
    elif fn == "adder":
        xs = (torch.rand(2), torch.rand(2))
        vs = (torch.tensor([1.0, 2.0]), torch.tensor([2.0, 3.0]))
        out["autograd.functional"] = median_time(lambda: F.jvp(lambda a, b: 2 * a + 3 * b, xs, vs), min_time)
        out["torch.func"] = median_time(lambda: tf.jvp(lambda a, b: 2 * a + 3 * b, xs, vs), min_time)
    return out


def fmt(s):
    if s is None:
        return "–"
    if s < 1e-3:
        return f"{s * 1e6:.2f} µs" if s < 1e-5 else f"{s * 1e6:.1f} µs"
    return f"{s * 1e3:.3f} ms" if s < 1e-2 else f"{s * 1e3:.2f} ms"


def table(header, rows, markdown=False):
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
        return "\n".join(lines + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows])
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    def line(cells):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])


# MARK: the matmul scaling suite (issue #15)


def matmul_functions(ops, spec):
    """The case's function, inputs and tangents (or None) with `ops` = (from_numpy, tanh, softmax) of a library."""
    import numpy as np
    from_numpy, tanh, softmax = ops
    fn, n = spec["fn"], int(spec["n"])
    rng = np.random.default_rng(42)

    def arr(*shape, dtype="float32"):
        return from_numpy(np.ascontiguousarray(rng.standard_normal(shape).astype(dtype) * 0.1))

    if fn == "matmul_tanh":
        return (lambda a, b: tanh(a @ b).sum()), (arr(n, n), arr(n, n)), (arr(n, n), arr(n, n))
    if fn == "mlp":
        w1, w2 = arr(n, n), arr(n, n)
        return (lambda x: (w2 @ tanh(w1 @ x)).sum(0)), (arr(n, int(spec["columns"])),), None
    if fn == "quadratic":
        w = arr(n, n)
        return (lambda x: (x @ (w @ x)).sum()), (arr(n),), None
    if fn == "rosenbrock":
        return (lambda x: (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()), (arr(n, dtype="float64"),), None
    if fn == "softmax":
        return softmax, (arr(n),), None
    if fn == "predict":
        w, b = arr(int(spec["out"]), n), arr(int(spec["out"]))
        return (lambda x: tanh(w @ x + b)), (arr(n),), None
    raise ValueError(fn)


def matmul_torch(torch, spec, min_time, labels=None):
    """{label: median seconds} with torch.autograd.functional (vectorize=True) and torch.func (only `labels`
    when given)."""
    import torch.autograd.functional as F
    import torch.func as tf
    f, args, tangents = matmul_functions((torch.from_numpy, torch.tanh, lambda t: torch.softmax(t, 0)), spec)
    kind, strategy = spec["kind"], spec.get("strategy", "reverse-mode")
    calls = {}
    if kind == "jvp":
        calls["autograd.functional"] = lambda: F.jvp(f, args, tangents)
        calls["torch.func"] = lambda: tf.jvp(f, args, tangents)
    elif kind == "vjp":
        one = torch.tensor(1.0)
        calls["autograd.functional"] = lambda: F.vjp(f, args, one)
        calls["torch.func"] = lambda: tf.vjp(f, *args)[1](one)
    elif kind == "jacobian":
        calls["autograd.functional"] = lambda: F.jacobian(f, args[0], vectorize=True, strategy=strategy)
        jac = tf.jacfwd if strategy == "forward-mode" else tf.jacrev
        calls["torch.func"] = lambda: jac(f)(args[0])
    elif kind == "hessian":
        calls["autograd.functional"] = lambda: F.hessian(f, args[0], vectorize=True, outer_jacobian_strategy=strategy)
        outer = tf.jacfwd if strategy == "forward-mode" else tf.jacrev
        calls["torch.func"] = lambda: outer(tf.jacrev(f))(args[0])
    return {label: median_time(call, min_time) for label, call in calls.items() if labels is None or label in labels}


def matmul_jax(jax, spec, min_time, compiled):
    """{label: median seconds} with jax.jit of the transformed function, warm (compiled before timing; the
    compiled call is kept in `compiled` by case, so later rounds do not compile again)."""
    key = json.dumps(spec, sort_keys=True)
    if key not in compiled:
        compiled[key] = matmul_jax_call(jax, spec)
    call = compiled[key]
    return {"jax.jit": median_time(lambda: jax.block_until_ready(call()), min_time)}


def matmul_jax_call(jax, spec):
    """The case as one call of a jax.jit-compiled function on its inputs."""
    jnp = jax.numpy
    f, args, tangents = matmul_functions((jnp.asarray, jnp.tanh, lambda t: jax.nn.softmax(t, axis=0)), spec)
    kind, strategy = spec["kind"], spec.get("strategy", "reverse-mode")
    if kind == "jvp":
        g = jax.jit(lambda *xs: jax.jvp(f, xs[:2], xs[2:]))
        call = lambda: g(*args, *tangents)
    elif kind == "vjp":
        g = jax.jit(lambda *xs: jax.vjp(f, *xs)[1](jax.numpy.float32(1)))
        call = lambda: g(*args)
    elif kind == "jacobian":
        g = jax.jit((jax.jacfwd if strategy == "forward-mode" else jax.jacrev)(f))
        call = lambda: g(*args)
    else:
        g = jax.jit((jax.jacfwd if strategy == "forward-mode" else jax.jacrev)(jax.jacrev(f)))
        call = lambda: g(*args)
    return call


def compare_matmul(args):
    try:
        import torch
    except ImportError as error:
        sys.exit(f"compare_torch: --suite matmul times PyTorch in this process, and it is not importable ({error})")
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
    except ImportError:
        jax = None
    min_time = 0.1 if args.quick else 0.4
    started = time.perf_counter()
    # The kernels, and the list of cases (each case is timed below, in a process of its own).
    if args.jvplab_json:
        jv0 = jvplab_results(args, "matmul")
    else:
        command = [args.bench, "matmul", "--json", "--kernels-only"] + (["--quick"] if args.quick else [])
        text = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        jv0 = next(json.loads(line) for line in text.splitlines() if line.startswith("{"))
    print(f"compare_torch: kernels and case list in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    rounds = [({"cases": []}, {}) for _ in range(args.rounds)]
    compiled = {}
    # Case by case, jvplab's process and the peers in turns, so both sides of a ratio see the same machine.
    for case in jv0["cases"]:
        case_started = time.perf_counter()
        labels = None
        for r in range(args.rounds):
            if args.jvplab_json:
                mine = case
            else:
                command = [args.bench, "matmul", "--json", "--only", case["case"]] + (["--quick"] if args.quick else [])
                text = subprocess.run(command, check=True, capture_output=True, text=True).stdout
                found = [json.loads(line) for line in text.splitlines() if line.startswith("{")][0]["cases"]
                mine = next(c for c in found if c["case"] == case["case"])
            timings = matmul_torch(torch, case["spec"], min_time, labels)
            if labels is None:
                # A PyTorch variant 3x slower than the other in the first round cannot be the faster one:
                # later rounds time only the contenders.
                fastest = min(timings.values())
                labels = {label for label, t in timings.items() if t <= 3 * fastest}
            if jax is not None:
                timings.update(matmul_jax(jax, case["spec"], min_time, compiled))
            rounds[r][0]["cases"].append(mine)
            rounds[r][1][case["case"]] = timings
        ours = min(r[0]["cases"][-1]["median_s"] for r in rounds)
        peers = {label: min(r[1][case["case"]][label] for r in rounds if label in r[1][case["case"]])
                 for label in rounds[0][1][case["case"]]}
        label, peer = min(peers.items(), key=lambda kv: kv[1])
        print(f"compare_torch: {case['case']}: jvplab {fmt(ours)}, {label} {fmt(peer)}, ratio {ours / peer:.2f} "
              f"({time.perf_counter() - case_started:.1f} s)", file=sys.stderr, flush=True)
    print(f"jvplab BLAS: {jv0['blas']}; PyTorch {torch.__version__} ({torch.get_num_threads()} threads)"
          + (f"; JAX {jax.__version__} (jax.jit, CPU)" if jax is not None else "; JAX not installed")
          + f"; {args.rounds} rounds per case, jvplab and peers alternating; best median per side over the rounds"
          + " (spread: jvplab's slowest round / fastest).\n")
    rows = []
    for i, case in enumerate(jv0["cases"]):
        name = case["case"]
        ours = [r[0]["cases"][i]["median_s"] for r in rounds]
        labels = rounds[0][1][name].keys()
        best = {label: min(r[1][name][label] for r in rounds if label in r[1][name]) for label in labels}
        torch_best = min((t for label, t in best.items() if not label.startswith("jax")), default=None)
        jax_best = best.get("jax.jit")
        peer_label, peer = min(best.items(), key=lambda kv: kv[1])
        mine = min(ours)
        ratio = mine / peer
        gemm_bound = (case.get("gemm_flops") or 0) > 0
        target = 0.8 if gemm_bound else 1.0
        blas = [r[0]["cases"][i].get("blas_own_s") for r in rounds]
        blas = min((b for b in blas if b), default=None)
        rows.append([
            name, fmt(mine), f"{max(ours) / mine:.2f}", fmt(torch_best), fmt(jax_best), peer_label, f"{ratio:.2f}",
            f"<= {target:.1f}", "yes" if ratio <= target else "NO",
            f"{case['gemm_flops'] / mine / 1e9:.0f}" if gemm_bound else "–",
            f"{mine / blas:.2f}" if gemm_bound and blas else "–"])
    print(table(["case", "jvplab", "spread", "PyTorch", "JAX", "fastest peer", "ratio", "target", "met",
                 "GFLOP/s", "x BLAS own"], rows, args.markdown))
    kernels = jv0.get("kernels", [])
    if kernels:
        print()
        krows = []
        for k in kernels:
            n = k["n"]
            dtype = getattr(torch, k["dtype"])
            a, b = torch.rand(n, n, dtype=dtype), torch.rand(n, n, dtype=dtype)
            t = median_time(lambda: a @ b, 0.1 if args.quick else 0.3)
            flops = 2 * n ** 3
            krows.append([f"{k['dtype']} {n}", fmt(k.get("reference_s")), fmt(k.get("automatic_s")),
                          fmt(k.get("blasThreads_s")), fmt(t),
                          f"{flops / k['automatic_s'] / 1e9:.1f}", f"{flops / t / 1e9:.1f}",
                          f"{t / k['automatic_s']:.2f}"])
        print(table(["square product", "reference", "engine", "BLAS own threads", "torch @",
                     "engine GFLOP/s", "torch GFLOP/s", "engine rate / torch's"], krows, args.markdown))


def compare_func(args):
    """The torch.func tutorial's cases: the same script timed under jvplab and under PyTorch, alternating
    `--rounds` times; each side's best median over the rounds."""
    script = os.path.join(ROOT, "Benchmarks", "func_cases.py")
    jv, torch_medians = {}, {}
    for _ in range(max(1, args.rounds)):
        for c in jvplab_results(args, suite="func")["cases"]:
            jv[c["case"]] = min(jv.get(c["case"], float("inf")), c["median_s"])
        text = subprocess.run([sys.executable, script], check=True, capture_output=True, text=True).stdout
        for line in text.splitlines():
            name, _, seconds = line.rpartition(":")
            torch_medians[name] = min(torch_medians.get(name, float("inf")), float(seconds))
    header = ["case", "jvplab", "torch.func", "ratio"]
    cells = []
    for name, a in jv.items():
        b = torch_medians.get(name)
        cells.append([name, f"{a * 1e3:.3f} ms", f"{b * 1e3:.3f} ms" if b else "-", f"{a / b:.2f}" if b else "-"])
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in cells:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(r[i]) for r in [header] + cells) for i in range(len(header))]
        for row in [header] + cells:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default=os.path.join(ROOT, ".build", "release", "jvplab-bench"))
    parser.add_argument("--jvplab-json", help="jvplab-bench engine --json output to read instead of running it")
    parser.add_argument("--reference", default=os.path.join(ROOT, "Benchmarks", "torch-timings.json"))
    parser.add_argument("--quick", action="store_true", help="shorter timings on both sides")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (for docs/performance.md)")
    parser.add_argument("--suite", choices=["engine", "matmul", "func"], default="engine")
    parser.add_argument("--rounds", type=int, default=2, help="matmul and func suites: alternations of jvplab and peers")
    args = parser.parse_args()
    if args.suite == "matmul":
        compare_matmul(args)
        return
    if args.suite == "func":
        compare_func(args)
        return

    jv = jvplab_results(args)
    try:
        import torch
    except ImportError as error:
        torch = None
        print(f"PyTorch is not importable here ({error}); using the stored reference medians from "
              f"{os.path.relpath(args.reference)} instead of timing PyTorch in this process.\n")

    rows = []
    if torch is not None:
        print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, timed in this process.\n")
        min_time = 0.1 if args.quick else 0.5
        for case in jv["cases"]:
            timings = torch_cases(torch, case["spec"], min_time)
            best = min(timings.items(), key=lambda kv: kv[1]) if timings else None
            ratio = case["median_s"] / best[1] if best else None
            target = case.get("target")
            # Labels are "torch.func..." for torch.func and otherwise autograd.functional (or one of its variants).
            functional = [t for label, t in timings.items() if not label.startswith("torch.func")]
            func = [t for label, t in timings.items() if label.startswith("torch.func")]
            rows.append([case["case"], fmt(case["median_s"]), fmt(min(functional, default=None)), fmt(min(func, default=None)),
                         best[0] if best else "–", f"{ratio:.3f}" if ratio else "–",
                         f"<= {target:.2f}" if target else "–",
                         ("yes" if ratio <= target else "NO") if (ratio and target) else "–"])
        print(table(["case", "jvplab", "autograd.functional", "torch.func", "fastest", "ratio", "target", "met"], rows,
                    args.markdown))
    else:
        with open(args.reference) as f:
            reference = json.load(f)
        for case in jv["cases"]:
            known = {k: reference[k] for k in case["torch_keys"] if k in reference}
            best = min(known.items(), key=lambda kv: kv[1]) if known else None
            ratio = case["median_s"] / best[1] if best else None
            target = case.get("target")
            rows.append([case["case"], fmt(case["median_s"]), fmt(best[1]) if best else "–",
                         best[0].split(" ")[-1] if best else "–", f"{ratio:.3f}" if ratio else "–",
                         f"≤ {target:.2f}" if target else "–",
                         ("yes" if ratio <= target else "NO") if (ratio and target) else "–"])
        print(table(["case", "jvplab", "PyTorch (stored)", "fastest of", "ratio", "target", "met"], rows, args.markdown))

    bound, memory = jv.get("machine_bound"), jv.get("memory")
    if bound:
        if "exp_pass_s" in bound:
            print(f"\nexp-inclusive pass (hand-written exp + both row sums): {fmt(bound['exp_pass_s'])}, "
                  f"jvp = {bound['ratio_to_exp_pass']:.2f}x that", end="")
        fastest = f" (fastest {fmt(bound['one_pass_min_s'])})" if "one_pass_min_s" in bound else ""
        print(f"\nmachine bound (jvp 2048x2048, timed in turns with the jvp): one SIMD pass over x and v "
              f"{fmt(bound['one_pass_s'])}{fastest}, jvp {fmt(bound['jvp_s'])} = {bound['ratio']:.2f}x (target <= 2x)")
    if memory:
        print(f"peak memory (jvp 2048x2048): {memory['peak_ratio']:.2f}x input+tangent bytes (target <= 3x)")


if __name__ == "__main__":
    main()
