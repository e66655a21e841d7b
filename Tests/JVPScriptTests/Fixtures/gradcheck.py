import torch
from torch.autograd import gradcheck, gradgradcheck
torch.manual_seed(0)
x = torch.rand(3, dtype=torch.float64, requires_grad=True)
w = torch.rand(2, 3, dtype=torch.float64, requires_grad=True)
gradcheck(torch.sin, (x,))
gradcheck(lambda a: (a * a).sum(), x)
gradcheck(lambda m, a: ((m @ a).tanh(), (m * 2).exp()), (w, x), eps=1e-6, atol=1e-4)
gradgradcheck(lambda a: a.exp() * a, (x,))
torch.rand(2)
gradgradcheck(lambda m, a: (m @ a.sin()).sigmoid(), (w, x))
torch.rand(2)
gradgradcheck(lambda a: a.pow(3), x, grad_outputs=torch.ones(3, dtype=torch.float64))
torch.rand(2)
torch.autograd.gradcheck(lambda a, b: a * b, (x, torch.ones(3, dtype=torch.float64)))
try:
    gradcheck(torch.sin, (x.detach(),))
except ValueError as e:
    print(type(e).__name__, e)
def bad(a):
    return a.detach() * a
try:
    gradcheck(bad, x)
except RuntimeError as e:
    print(type(e).__name__, e)
gradcheck(bad, x, raise_exception=False)
y = torch.tensor([0.5, -1.0], requires_grad=True)
gradcheck(torch.sin, (y,), raise_exception=False)
def bad2(a):
    return a * a.detach() ** 2
gradcheck(lambda a: a.sum() * 0 + (a ** 3).sum(), x)
try:
    gradgradcheck(bad2, x, grad_outputs=torch.ones(3, dtype=torch.float64))
except RuntimeError as e:
    print(type(e).__name__, e)
