# detach() under torch.func transforms: the detached factor is a constant for the transform's derivative.
import torch
from torch.func import grad, jacrev, jacfwd, jvp, vjp, vmap, hessian

x = torch.tensor([1.0, 2.0, 3.0])
t = torch.tensor([0.5, -1.0, 2.0])

grad(lambda v: (v.detach() * v).sum())(x)
grad(lambda v: (v * v).sum())(x)
jacrev(lambda v: v.detach().sin() * v)(x)
jacfwd(lambda v: v.detach().sin() * v)(x)
jvp(lambda v: v.detach() * v.exp(), (x,), (t,))
out, vjp_fn = vjp(lambda v: v.detach() ** 2 + v, x)
vjp_fn(torch.ones(3))
vmap(grad(lambda v: (v.detach() * v).sum()))(torch.stack([x, t]))
hessian(lambda v: (v.detach() * v ** 3).sum())(x)
grad(lambda v: v.detach().sum() * v.sum())(x)
grad(lambda v: (v.detach() * v).sum())(x.double())
