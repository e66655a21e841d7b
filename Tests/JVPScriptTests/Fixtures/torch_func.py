# torch.func transforms and their compositions (transcribed from PyTorch 2.15 by tools/torch_transcript.py)
import torch
import torch.nn.functional as F
from functools import partial
from torch.func import grad, grad_and_value, vjp, jvp, linearize, jacrev, jacfwd, hessian, vmap
import torch.func as func
_ = torch.manual_seed(0)

def f(x):
    return x.sin().sum()

x = torch.randn(5)
grad(f)(x)
grad(grad(lambda t: t.sin()))(torch.tensor(0.5))
grad(grad(grad(lambda t: t.exp() * t)))(torch.tensor(0.3))
grad_and_value(f)(x)

def loss(w, b, inp, target):
    return ((inp @ w + b - target) ** 2).mean()

w = torch.randn(3)
b = torch.randn(())
inp = torch.randn(4, 3)
target = torch.randn(4)
grad(loss)(w, b, inp, target)
grad(loss, argnums=(0, 1))(w, b, inp, target)
grad(loss, argnums=-3)(w, b, inp, target)
grad_and_value(loss, argnums=(0, 1))(w, b, inp, target)

def loss_aux(w, inp):
    pred = inp @ w
    return pred.pow(2).sum(), {'pred': pred}

grad(loss_aux, has_aux=True)(w, inp)
grad_and_value(loss_aux, has_aux=True)(w, inp)

# pytrees: dicts, lists, nested tuples
params = {'w': w, 'b': b}
grad(lambda p, i: (i @ p['w'] + p['b']).sum())(params, inp)
grad(lambda ps: (ps[0] * ps[1][0] * ps[1][1]).sum())([x, (x.cos(), x.exp())])
jacrev(lambda p: {'y': p['w'] * 2, 'z': p['w'].sum()})(params)

# vjp, jvp, linearize
out, vjp_fn = vjp(lambda a, c: a * c.exp(), x, x.cos())
out
vjp_fn(torch.ones(5))
vjp_fn(torch.arange(5.))
out, vjp_fn, aux = vjp(lambda a: (a.tanh(), a.sum()), x, has_aux=True)
aux
vjp_fn(torch.ones(5))
vjp(lambda t: (t[0] * t[1], t[0] - t[1]), (x, x.sin()))[1]((torch.ones(5), torch.ones(5)))
jvp(f, (x,), (torch.ones(5),))
jvp(lambda a, c: (a * c, a + c), (x, x.exp()), (torch.ones(5), torch.zeros(5)))
jvp(lambda a: (a.sin(), a.cos()), (x,), (torch.ones(5),), has_aux=True)
out, jvp_fn = linearize(lambda a: a.sin() * a, x)
out
jvp_fn(torch.ones(5))
jvp_fn(torch.arange(5.))

# jacobians and hessians
jacrev(torch.sin)(x)
jacfwd(lambda a: a.sin() * a.sum())(x)
jacrev(lambda a, c: a * c, argnums=(0, 1))(x, x.cos())
jacfwd(lambda a, c: a @ c, argnums=1)(inp, w)
jacrev(lambda a: a.sin(), chunk_size=2)(x)
jacrev(lambda a: (a.exp(), a.sum()), has_aux=True)(x)
jacfwd(jacrev(f))(x)
jacrev(jacrev(f))(x)
hessian(f)(x)
hessian(loss, argnums=(0, 1))(w, b, inp, target)
jacrev(lambda m: m.tanh().sum(0))(inp).shape

# vmap
vmap(torch.dot)(inp, inp)
vmap(lambda a, c: a * c, in_dims=(0, None))(inp, w)
vmap(lambda a: a.sum(0), in_dims=1)(inp)
vmap(lambda a: a * 2, out_dims=1)(inp)
vmap(lambda a: (a.sin(), a.cos()), out_dims=(0, 1))(inp)
vmap(lambda a: (a * 2, torch.ones(3)), out_dims=(0, None))(inp)
vmap(lambda a, c: a + c, in_dims=(0, None))(inp, w)
vmap(lambda d: d['a'] + d['b'])({'a': inp, 'b': inp.exp()})
vmap(lambda d, s: d['a'] * s, in_dims=({'a': 0}, None))({'a': inp}, w)
vmap(lambda a, scale=1.0: a * scale)(inp, scale=3.0)
vmap(lambda a: a.sum(), chunk_size=3)(inp)
vmap(vmap(lambda a, c: a * c))(inp, inp.exp())
vmap(lambda a: a + torch.ones(3), randomness='same')(inp)
torch.vmap(f)(inp)
func.vmap(f)(inp)

# compositions
vmap(grad(loss), in_dims=(None, None, 0, 0))(w, b, inp, target)
vmap(jacrev(lambda a, m: (m @ a).tanh(), argnums=0), in_dims=(0, None))(inp, torch.randn(2, 3))
vmap(hessian(f))(inp)
vmap(jacfwd(jacrev(f)))(inp).shape
jvp(grad(f), (x,), (torch.ones(5),))
vjp(grad(f), x)[1](torch.ones(5))
_, vjp_fn = vjp(partial(lambda m, a: (m @ a).tanh(), torch.randn(3, 3)), w)
vmap(vjp_fn)(torch.eye(3))
grad(lambda a: jvp(f, (a,), (torch.ones(5),))[1])(x)
jacrev(vmap(lambda a: a.sin().sum()))(inp).shape
grad(lambda a: vmap(f)(a).sum())(inp)

# randomness: 'same' draws once, 'different' draws one per example at once, in PyTorch's order
_ = torch.manual_seed(0)
vmap(lambda a: torch.randn(3) + a, randomness='different')(torch.zeros(2, 3))
_ = torch.manual_seed(0)
vmap(lambda a: torch.randn(3) + a, randomness='same')(torch.zeros(2, 3))
_ = torch.manual_seed(0)
vmap(lambda a: torch.randn_like(a) * a, randomness='different')(torch.ones(2, 3))
_ = torch.manual_seed(0)
vmap(grad(lambda a: (a * torch.rand(3)).sum()), randomness='different')(torch.ones(2, 3))
_ = torch.manual_seed(0)
vmap(lambda a: torch.rand(2) + a.sum(), randomness='different', chunk_size=1)(torch.ones(3, 3))
torch.randn(2)
_ = torch.manual_seed(0)
jacfwd(lambda a: a * torch.randn(5), randomness='same')(x)

# named tuples are pytree nodes
_ = torch.manual_seed(0)
m = torch.max(torch.randn(3, 4, 2), 2)
vmap(lambda t: t.values * 2)(m)
vmap(lambda t: (t.values.sum(), t.indices), out_dims=(0, 1))(m)
jacrev(lambda v, t: v * t.values.sum(), argnums=0)(torch.ones(2), m)
