import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call
from torch.autograd.functional import jacobian, vjp
torch.manual_seed(0)
x = torch.tensor([-1.5, -0.2, 0.0, 0.7, 2.5], requires_grad=True)
torch.erf(x)
x.erf().sum().backward()
x.grad
model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
inp = torch.rand(3)
jacobian(model, inp)
W = model[0].weight.detach()
jacobian(lambda w: functional_call(model, {'0.weight': w}, inp), W)
vjp(lambda z: F.gelu(z, approximate='tanh'), torch.linspace(-2, 2, 5), torch.ones(5))
vjp(lambda z: F.softplus(z, beta=2.0), torch.linspace(-2, 12, 5), torch.ones(5))
model
