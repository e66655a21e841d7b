# torch.func results that depend on a tensor the function reads from outside (a global that requires grad)
# stay on the tape with it, as PyTorch's do: they carry a grad_fn and a backward reaches the global.
import torch
import torch.nn as nn
from torch.func import grad, grad_and_value, jacrev, jacfwd, hessian, vmap, vjp, jvp, linearize

torch.manual_seed(0)
w = torch.randn(3, requires_grad=True)
c = torch.randn(3)
x = torch.randn(3)

def f(v):
    return (w * v.sin()).sum()

def h(v):
    return w * v

grad(f)(x)
grad_and_value(f)(x)
jacrev(h)(x)
jacfwd(h)(x)
hessian(f)(x)
jacfwd(jacrev(f))(x)
vmap(h)(torch.randn(2, 3))
vmap(grad(f))(torch.randn(2, 3))
out, vjp_fn = vjp(h, x)
out
vjp_fn(torch.ones(3))
jvp(f, (x,), (c,))
out, jvp_fn = linearize(h, x)
out

# A global that does not require grad stays a constant.
def k(v):
    return (c * v).sum()

grad(k)(x)

# Under no_grad the results are plain tensors.
with torch.no_grad():
    grad(f)(x)

# A backward from a transform's result reaches the global.
g = grad(f)(x)
(g * 2).sum().backward()
w.grad
w.grad.zero_()
jacrev(h)(x).sum().backward()
w.grad

# A module's parameters read by the function.
model = nn.Linear(3, 2)
def loss(v):
    return model(v).tanh().sum()

gx = grad(loss)(torch.randn(4, 3))
gx
gx.sum().backward()
model.weight.grad
model.bias.grad
