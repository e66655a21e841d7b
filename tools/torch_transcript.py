#!/usr/bin/env python3
"""Print what real PyTorch prints for a jvplab script, run as notebook cells.

usage: python3 tools/torch_transcript.py SCRIPT.py > SCRIPT.out

Runs SCRIPT's top-level statements in order in one namespace. A top-level expression statement whose
value is not None is displayed the way IPython displays it: IPython's pretty printer at width 79 (the
terminal default). print() writes as usual. This is the transcript `jvplab run SCRIPT.py` must reproduce
character for character; only the `<torch._C.Generator at 0x...>` address differs from run to run.

It needs torch and IPython (`pip install torch ipython`). It reproduces the shared reference outputs
(`reference/scripts/*.out`) exactly, and it wrote Tests/JVPScriptTests/Fixtures/pytorch_parity.out.
Check a script of your own against jvplab:

    python3 tools/torch_transcript.py my.py > torch.out
    jvplab run my.py --db /tmp/scratch.db > jvplab.out
    diff torch.out jvplab.out
"""
import ast
import sys

try:
    from IPython.lib.pretty import pretty
except ImportError:
    sys.exit("torch_transcript: needs IPython's pretty printer (pip install ipython)")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[2])
    path = sys.argv[1]
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    namespace = {"__name__": "__main__"}
    for node in tree.body:
        if isinstance(node, ast.Expr):
            value = eval(compile(ast.Expression(node.value), path, "eval"), namespace)
            if value is not None:
                print(pretty(value, max_width=79))
        else:
            exec(compile(ast.Module([node], []), path, "exec"), namespace)


if __name__ == "__main__":
    main()
