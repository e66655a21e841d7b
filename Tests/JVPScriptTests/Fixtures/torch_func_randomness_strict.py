# torch.func: jacfwd(randomness='different') draws one value per column of the basis in one draw, in
# PyTorch's order; jvp(strict=True) refuses an output independent of the inputs, in PyTorch's words.
import torch
from functools import partial
from torch.func import hessian, jacfwd, jvp, vmap

def scale(x):
    return x * torch.rand(3)

_ = torch.manual_seed(0)
x = torch.randn(3)
jacfwd(scale, randomness='different')(x)
torch.rand(2)
_ = torch.manual_seed(0)
x = torch.randn(3)
jacfwd(scale, randomness='same')(x)
torch.rand(2)

# has_aux: the aux output is the first column's
def with_aux(x):
    return x * torch.rand(3), torch.rand(2)

_ = torch.manual_seed(0)
x = torch.randn(3)
jacfwd(with_aux, randomness='different', has_aux=True)(x)

# two differentiated arguments: one column per element of both
def mixed(x, y):
    return x.sum() * y * torch.randn(2)

_ = torch.manual_seed(0)
x = torch.randn(3)
y = torch.randn(2)
jacfwd(mixed, argnums=(0, 1), randomness='different')(x, y)
torch.randn(1)

_ = torch.manual_seed(0)
x = torch.randn(3)
jacfwd(lambda a: a * torch.rand_like(a) + torch.randn(()), randomness='different')(x)
_ = torch.manual_seed(0)
jacfwd(partial(mixed, torch.ones(2)), randomness='different')(torch.ones(2))

def show_error(f):
    try:
        f()
    except RuntimeError as e:
        print(type(e).__name__ + ":", e)

t = torch.ones(3)
show_error(lambda: jvp(lambda a: (a.sin(), torch.ones(2)), (x,), (t,), strict=True))
show_error(lambda: jvp(lambda a: torch.zeros(3), (x,), (t,), strict=True))
jvp(lambda a: (a.sin(), torch.ones(2)), (x,), (t,))
jvp(lambda a: a * 0, (x,), (t,), strict=True)
jvp(lambda a: (a.sin(), torch.ones(2)), (x,), (t,), strict=True, has_aux=True)
jvp(lambda a, b: a * 2, (x, x), (t, t), strict=True)

# nested levels pass a draw outwards: each 'different' level adds its size (outermost first), 'same' none
_ = torch.manual_seed(0)
vmap(vmap(lambda a: torch.rand(2) + a, randomness='different'), randomness='different')(torch.zeros(3, 2, 2))
_ = torch.manual_seed(0)
vmap(vmap(lambda a: torch.rand(2) + a, randomness='same'), randomness='different')(torch.zeros(3, 2, 2))
_ = torch.manual_seed(0)
vmap(vmap(lambda a: torch.rand(2) + a, randomness='different'), randomness='same')(torch.zeros(3, 2, 2))
_ = torch.manual_seed(0)
vmap(jacfwd(scale, randomness='different'), randomness='different')(torch.ones(2, 3))
torch.rand(1)

def show_any_error(f):
    try:
        f()
    except Exception as e:
        print(type(e).__name__ + ":", e)

show_any_error(lambda: vmap(vmap(lambda a: torch.rand(2) + a, randomness='same'))(torch.zeros(3, 2, 2)))
show_any_error(lambda: hessian(lambda a: (a * torch.rand(3)).sum())(torch.ones(3)))
