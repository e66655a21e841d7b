#!/usr/bin/env python3
"""The interpreter's own cost, side by side: jvplab against CPython and PyTorch on the same notebook cells.

usage: Benchmarks/compare_python.py [--jvplab .build/release/jvplab] [--python ~/torchenv/bin/python]
                                    [--processes 7] [--markdown]

Each case is one script that both run unchanged. The script times its own loop with time.perf_counter()
and prints the seconds, so process start-up and imports are not counted; the median over --processes
fresh processes is reported, jvplab and Python alternating so that load on the machine hits both alike.
Each process's whole wall time (start-up, imports and, for jvplab, committing the last runs) is reported
beside it: jvplab writes runs on a second thread, so the loop can end before its last runs are written.

  loop       100,000 iterations of `s += i * 2` (jvplab against CPython; target: at most 2x)
  jvp-loop   1,000 torch.autograd.functional.jvp calls on 4x4 inputs (jvplab records every call as a run;
             target: at most 0.1x PyTorch)
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

CASES = {
    "loop": ("100,000 iterations of s += i * 2", 2.0, """
import time
start = time.perf_counter()
s = 0
for i in range(100000):
    s += i * 2
print(time.perf_counter() - start)
"""),
    "jvp-loop": ("1,000 jvp calls on 4x4 inputs", 0.1, """
import time
import torch
from torch.autograd.functional import jvp
torch.manual_seed(0)
x = torch.rand(4, 4)
v = torch.ones(4, 4)
def f(x):
    return x.exp().sum(dim=1)
start = time.perf_counter()
for i in range(1000):
    jvp(f, x, v)
print(time.perf_counter() - start)
"""),
}


def seconds(command):
    """The seconds the script printed (its loop) and the process's whole wall time."""
    start = time.perf_counter()
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return float(output.strip().splitlines()[-1]), time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jvplab", default=".build/release/jvplab")
    parser.add_argument("--python", default=os.path.expanduser("~/torchenv/bin/python"))
    parser.add_argument("--processes", type=int, default=7)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    version = subprocess.run([args.python, "-c", "import sys, torch; print(sys.version.split()[0], torch.__version__)"],
                             check=True, capture_output=True, text=True).stdout.split()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, (what, target, source) in CASES.items():
            script = os.path.join(scratch, name + ".py")
            with open(script, "w") as f:
                f.write(source.lstrip())
            ours, theirs = [], []
            for k in range(args.processes):
                database = os.path.join(scratch, f"{name}-{k}.db")
                ours.append(seconds([args.jvplab, "run", script, "--db", database]))
                theirs.append(seconds([args.python, script]))
            a, b = (statistics.median(s for s, _ in ours)), statistics.median(s for s, _ in theirs)
            walls = statistics.median(w for _, w in ours), statistics.median(w for _, w in theirs)
            rows.append((name, what, a, b, a / b, target, walls))
    peer = f"CPython {version[0]} / PyTorch {version[1]}"
    if args.markdown:
        print(f"| case | what | jvplab | {peer} | ratio | target | whole process, jvplab / Python |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for name, what, a, b, ratio, target, walls in rows:
            print(f"| {name} | {what} | {a * 1e3:.2f} ms | {b * 1e3:.2f} ms | {ratio:.3f} | ≤ {target:g} "
                  f"| {walls[0] * 1e3:.0f} / {walls[1] * 1e3:.0f} ms |")
    else:
        for name, what, a, b, ratio, target, walls in rows:
            verdict = "met" if ratio <= target else "NOT met"
            print(f"{name:9} jvplab {a * 1e3:9.2f} ms   {peer} {b * 1e3:9.2f} ms   ratio {ratio:6.3f}  (target <= {target:g}: {verdict})"
                  f"   whole process {walls[0] * 1e3:.0f} / {walls[1] * 1e3:.0f} ms")
    print(f"medians of {args.processes} processes each; command: {' '.join(sys.argv)}")


if __name__ == "__main__":
    main()
