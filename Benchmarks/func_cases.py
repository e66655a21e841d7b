# The torch.func tutorial's cases (jacobians_hessians.py), timed inside the script: the same file runs under
# PyTorch (python3) and jvplab (`jvplab-bench func`), each printing `case: median seconds`.
import time
import torch
import torch.nn.functional as F
from torch.func import jacrev, jacfwd, hessian, vmap, jvp, grad
_ = torch.manual_seed(0)

def predict(weight, bias, x):
    return F.linear(x, weight, bias).tanh()

def median_time(fn, reps):
    fn()
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    samples.sort()
    return samples[len(samples) // 2]

def report(name, fn, reps=21):
    print(f"{name}: {median_time(fn, reps):.6e}")

for Din, Dout in [(32, 2048), (2048, 32)]:
    weight = torch.randn(Dout, Din)
    bias = torch.randn(Dout)
    x = torch.randn(Din)
    report(f"jacrev predict {Din}x{Dout}", lambda: jacrev(predict, argnums=2)(weight, bias, x))
    report(f"jacfwd predict {Din}x{Dout}", lambda: jacfwd(predict, argnums=2)(weight, bias, x))

weight = torch.randn(32, 512)
bias = torch.randn(32)
x = torch.randn(512)
report("hessian predict 512x32", lambda: hessian(predict, argnums=2)(weight, bias, x), reps=5)

weight = torch.randn(33, 31)
bias = torch.randn(33)
x = torch.randn(64, 31)
report("vmap jacrev predict 64x31x33", lambda: vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))(weight, bias, x))
report("vmap hessian predict 64x31x33", lambda: vmap(hessian(predict, argnums=2), in_dims=(None, None, 0))(weight, bias, x), reps=5)

def f(x):
    return x.sin().sum()

x = torch.randn(2048)
tangent = torch.randn(2048)
report("hvp jvp(grad(f)) 2048", lambda: jvp(grad(f), (x,), (tangent,))[1])
