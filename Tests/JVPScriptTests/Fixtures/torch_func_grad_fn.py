# torch.func results computed from tensors that require grad carry PyTorch's grad_fn.
import torch
from torch.func import grad, grad_and_value, jacrev, jacfwd, hessian, vmap, vjp, jvp, linearize

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = torch.tensor([0.5, -1.0, 2.0])

def f(v):
    return (v.sin() * v).sum()

grad(f)(x)
grad(f)(y)
grad_and_value(f)(x)
vmap(torch.sin)(x)
vmap(torch.sin)(y)
jacrev(torch.sin)(x)
jacfwd(torch.sin)(x)
hessian(f)(x)
out, vjp_fn = vjp(torch.sin, x)
out
vjp_fn(torch.ones(3))
jvp(torch.sin, (x,), (y,))
jvp(torch.sin, (y,), (x,))
out, jvp_fn = linearize(torch.sin, x)
out
jvp_fn(y)
g = grad(f)(x)
g.sum().backward()
x.grad
