# Display and autodiff cases beyond the shared reference scripts: scientific notation, summarised
# tensors (1-D, 2-D, 3-D), integer and empty tensors, Python floats, IPython's wrapping of lists and
# tuples, and jacobians, hessians, hvp/vhp/vjp with tuple inputs and outputs. pytorch_parity.out is what
# PyTorch 2.15.0 printed for it (tools/torch_transcript.py).
import torch
from torch.autograd.functional import jvp, vjp, jacobian, hessian, hvp, vhp
torch.manual_seed(3)
x = torch.randn(3, 4)
y = torch.rand(4, dtype=torch.float64)
x
y
x * 1e6
x * 1e-6
torch.arange(12).reshape(3, 4)
torch.randn(30, 40)
x.sum(dim=0, keepdim=True)
x.mean()
x.softmax(dim=1)
x.log_softmax(dim=0)
x.logsumexp(dim=1)
x.abs().sqrt()
x.T @ x
torch.tensor([[1, 2], [3, 4]])
torch.tensor(3.5)
torch.tensor([1e10, 1.0])
torch.tensor([0.1, 0.25, 100.0])
x.shape
x.size()
x.dim(), x.numel()
x[0].tolist()
x[1, 2].item()
def f(a, b):
    return (a @ b).tanh().sum(), (a.sin() * 2).mean()
jacobian(f, (torch.randn(2, 3), torch.randn(3)))
hessian(lambda z: (z ** 3).sum(), torch.randn(3, dtype=torch.float64))
hvp(lambda z: (z.exp() * z).sum(), torch.randn(3), torch.ones(3))
vhp(lambda z: (z.exp() * z).sum(), torch.randn(3), torch.ones(3))
vjp(lambda a, b: a * b + b.cos(), (torch.randn(2), torch.randn(2)), torch.ones(2))
jvp(lambda a: (a.sigmoid(), a.relu()), torch.randn(4), torch.ones(4))
torch.manual_seed(11)
a = torch.randn(2, 3, 4)
b = torch.randn(4, 5)
a @ b
torch.matmul(a, torch.randn(4))
torch.cat([torch.ones(2), torch.zeros(3)])
torch.stack([torch.ones(2), torch.zeros(2)], dim=1)
a.unsqueeze(0).shape
a.squeeze().shape
torch.diag(torch.tensor([1., 2., 3.]))
torch.outer(torch.tensor([1., 2.]), torch.tensor([3., 4., 5.]))
torch.dot(torch.tensor([1., 2.]), torch.tensor([3., 4.]))
torch.mv(torch.randn(2, 3), torch.randn(3))
torch.mm(torch.randn(2, 3), torch.randn(3, 2))
a.prod(dim=2)
torch.tensor([float('inf'), -float('inf'), float('nan'), 1.0])
torch.tensor([-0.0, 0.0, 1.5])
torch.tensor([], dtype=torch.float64)
torch.zeros(0, 3)
torch.randn(2000)
torch.randn(5, 300) * 1000
torch.tensor([123456789.0, 1.0])
torch.randn(3, dtype=torch.float64) * 1e-8
print(torch.randn(3))
print(1.5, 2, "text", True, None)
[1, 2.5, (3, 4)]
(torch.ones(1), [torch.zeros(2), 3.0])
0.1 + 0.2
1e20
1e-7
2.0 ** 70
-0.0
float('nan')
x = torch.randn(3, requires_grad=False)
jacobian(lambda t: (t.exp(), t.sum()), x, vectorize=True, strategy="forward-mode")
jacobian(lambda t, u: t * u, (x, x), vectorize=True)
hessian(lambda t, u: (t * u).sum(), (x, x))
torch.randn(4, 4).flatten()
torch.arange(6).view(2, 3).t()
torch.arange(10)
torch.arange(0, 1, 0.25)
torch.manual_seed(5)
torch.randn(3, 3) * torch.tensor([1e-5, 1.0, 1e5])
torch.randn(2, 2, dtype=torch.float64) * 1e9
torch.randn(4, 50, 30)
torch.randn(1001)
torch.tensor([[-1, 20], [300, -4000]])
torch.tensor([1e-45, 1e-40])
torch.tensor([0.5, 1.0]) / 3
torch.tensor([[1.0, -2.5], [1e-3, 4.0]])
print((torch.ones(2), 3))
print([torch.tensor(1.5), 2])
str(torch.tensor([1.0, 2.0]))
repr(torch.tensor([1.0, 2.0]))
torch.randn(3).dtype
torch.float
torch.tensor([1, 2]).dtype
x = torch.randn(5, dtype=torch.float64)
jacobian(lambda t: t.cumsum(0) if False else t.square(), x)
hessian(lambda t: t.pow(4).sum() + t.prod(), x)
(x.reciprocal(), x.expm1(), x.log1p().abs())
x.tan().tanh()
torch.randn(3, 4).sum((0, 1))
torch.randn(3, 4, 5).mean(dim=(1, 2), keepdim=True).shape
[[1.0, 2.0] * 30]
# Signed zeros: unbatched reverse mode differentiates each output on its own.
import torch.autograd.functional as F
x = torch.tensor([1.0, 2.0, 3.0])
y = torch.tensor([0.5, -1.0, -2.0])
F.jacobian(lambda u: u * y, x)
F.jacobian(lambda u: (u * y, u * y), x)
F.jacobian(lambda u: (u * y, u * y), x, vectorize=True)
F.jacobian(lambda u: (u * y, u * y), x, strategy="forward-mode", vectorize=True)
F.jacobian(lambda u, v: u * v, (x, y))
F.jacobian(lambda u, v: (u * v, u - v), (x, y))
F.jacobian(lambda u, v: (u * v, u - v), (x, y), vectorize=True)
F.hessian(lambda u, v: (u.sin() * v ** 2).sum(), (x, y))
F.hessian(lambda u, v: (u.sin() * v ** 2).sum(), (x, y), vectorize=True)
torch.manual_seed(0)
x = torch.randn(3)
y = torch.randn(3)
F.jacobian(lambda v: -v, y)
F.jacobian(lambda u, v: u - v, (x, y))
F.jacobian(lambda u, v: u - v, (x, y), vectorize=True)
F.jacobian(lambda u, v: (u - v, u * v), (x, y))
F.vjp(lambda v: -v, y, torch.tensor([1.0, 0.0, 0.0]))
F.hessian(lambda u: (u.sin()).sum(), x)
F.hessian(lambda u: (u.sin()).sum(), x, vectorize=True)
# prod at inputs with zeros: the other elements' product, as PyTorch's prod_backward gives it.
torch.manual_seed(3)
a = torch.tensor([1.1, 0.0, 1.3, 1.7, 2.9])
b = torch.tensor([1.1, 0.0, 1.3, 0.0, 2.9])
m = torch.tensor([[1.5, 0.0, 2.5], [0.3, 0.7, 1.9]])
F.jacobian(lambda u: u.prod(), a)
F.jacobian(lambda u: u.prod(), b)
F.jacobian(lambda u: u.prod(), a, vectorize=True)
F.jacobian(lambda u: u.prod(), a, strategy="forward-mode", vectorize=True)
F.jacobian(lambda u: u.prod(dim=1), m)
F.jacobian(lambda u: u.prod(dim=0), m)
F.jacobian(lambda u: u.prod(dim=1), m, vectorize=True)
F.vjp(lambda u: u.prod(dim=1), m, torch.tensor([2.0, -3.0]))
F.jvp(lambda u: u.prod(), a, torch.ones(5))
F.jvp(lambda u: u.prod(dim=0), m, torch.ones(2, 3))
F.vjp(lambda u: u.prod(), torch.randn(6) * torch.tensor([1., 1., 0., 1., 1., 1.]))
F.jacobian(lambda u: u.prod(), torch.randn(7, dtype=torch.float64) * torch.tensor([1., 1., 1., 0., 1., 1., 1.], dtype=torch.float64))
F.jacobian(lambda u: u.prod(), torch.randn(9))
F.jacobian(lambda u: u.prod(dim=1), torch.randn(3, 4))
F.hessian(lambda u: u.prod(), torch.randn(4))
# Python builtins and indexing on the way to the autodiff calls.
x = torch.arange(6.0).reshape(2, 3)
print(x)
print(x.shape, x.dtype)
print("sum:", x.sum().item())
print(x[0], x[:, 1], x[-1, -1])
x[1]
x[:, ::2]
x.flatten()[1:4]
x.T.reshape(-1)
len(x)
x.numel()
x.size(1)
round(3.14159, 2)
abs(-2.5)
min(3, 1, 2)
max([4, 7, 1])
sum([1.5, 2.5])
int(3.9)
float(2)
str(1.0)
True and False
not True
1 < 2 < 3
[1, 2] + [3]
(1, 2) * 2
x.tolist()
x.mean(dim=1).tolist()
torch.zeros(2, 2).tolist()
torch.tensor(1.5).item()
torch.tensor([True, False]) if False else None
sum([torch.ones(2), torch.ones(2) * 2])
sum((1, 2), 10)
sum([0.1, 0.2, 0.3])
max(1.5, 2)
min(2, 2.0)
max(2.0, 2)
min([3])
max("a", "b")
max([True, 0])
sum([])
max((1, 5, 3))
# Python ints beyond 64 bits, exact up to 128.
10 ** 20
2 ** 63 - 1
2 ** 63
-(2 ** 63)
2 ** 64 // 3
(2 ** 64) % 7
-(10 ** 20) // 7
abs(-(10 ** 20))
abs(-9223372036854775807 - 1)
int(10 ** 20)
float(10 ** 20)
10 ** 20 == 10 ** 20
10 ** 20 > 10 ** 19
2 ** 63 == 2.0 ** 63
(10 ** 20, [2 ** 70])
str(10 ** 20)
-(-9223372036854775807 - 1)
(-9223372036854775807 - 1) // -1
2 ** 100
max(2 ** 64, 3)
