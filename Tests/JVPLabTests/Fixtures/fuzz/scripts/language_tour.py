# Most of the script language in one file: a seed for the fuzzers' mutations.
import torch
import torch.autograd.functional as F
from torch.autograd.functional import jvp, vjp, jacobian, hessian, hvp, vhp
from torch import exp, rand, ones

torch.manual_seed(3)
a, b = torch.rand(2, 3), torch.randn(3, dtype=torch.float64)
c = torch.arange(6).reshape(2, 3)
d = torch.linspace(0, 1, 5)
e = torch.eye(3) + torch.zeros(3, 3) * 2 - torch.full((3, 3), 0.5)
s = (1, 2.5, "s", None, True, [1, 2], (3,))
print(a.shape, a.dtype, c[1, -1], c[:, 0], a[1:, :-1], a[::2], s[1:], len(s), s[-1][0])
x = a.exp().sum(dim=1, keepdim=True).log1p() / 2 ** 3 - -a.mean()
y = torch.cat([a, a], dim=0).transpose(0, 1).flatten().unsqueeze(0).squeeze()
z = torch.stack((b, b * 2)).T @ torch.ones(2, dtype=torch.float64)
w = torch.softmax(a, dim=-1), torch.log_softmax(a, 1), a.logsumexp(dim=(0, 1)), a.prod()
v = a.t().mm(a).diag().dot(torch.ones(3)) if a.numel() > 3 else None
u = torch.tensor([[1., 2.], [3., 4.]]).mv(torch.tensor([1., -1.])).tolist()
t = torch.allclose(a, a + 1e-9), torch.equal(c, c), int(2.9), float("1.5"), abs(-3), round(2.675, 2)
r = list(range(0, 10, 3)) + list(range(2)) if False else tuple(range(4))
q = not (1 < 2 <= 3 != 4) or 1 in [1, 2] and "a" is not None

def f(x, scale=2.0):
    h = x.tanh() * scale
    return (h.sigmoid() + x.relu().sqrt() + x.square().reciprocal().neg()).sum()

def g(x, y):
    return x.sin() * y.cos(), (x @ y.T).pow(2)

jvp(f, a, torch.ones(2, 3))
vjp(lambda x: x.expm1().abs(), a, torch.ones(2, 3))
jacobian(g, (a, a), strategy="forward-mode", vectorize=True)
hessian(f, a, outer_jacobian_strategy="reverse-mode")
hvp(f, a, torch.ones(2, 3))
vhp(f, a, torch.ones_like(a))
F.jacobian(lambda x: x.view(-1).reshape(3, 2).permute(1, 0).clone().detach(), a)
x.item() if x.numel() == 1 else x.size(0)
