import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
lin = nn.Linear(5, 5)
lin
lin.weight
lin.bias
model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.ReLU())
model
model[0]
model[0].weight.shape
[n for n, p in model.named_parameters()]
len(list(model.parameters()))
x = torch.rand(2, 3)
y = model(x)
y
loss = y.sum()
loss.backward()
model[0].weight.grad
model[2].bias.grad
F.linear(x, model[0].weight, model[0].bias)
F.linear(x[0], model[0].weight, model[0].bias)
F.linear(x, model[0].weight)
a = torch.randn(2, 4, requires_grad=True)
F.relu(a)
F.gelu(a)
F.gelu(a, approximate='tanh')
F.silu(a)
F.softplus(a)
F.softmax(a, dim=1)
F.log_softmax(a, dim=-1)
t = torch.randn(2, 4)
F.mse_loss(a, t)
F.mse_loss(a, t, reduction='sum')
F.cross_entropy(a, torch.tensor([1, 3]))
F.cross_entropy(a, torch.softmax(t, dim=1))
F.normalize(a)
F.normalize(a, dim=0)
F.normalize(a, p=1, dim=1)
nn.Tanh()
nn.ReLU()
model[1](a)
b = torch.randn(2, 3, 4)
b.movedim(0, 2).shape
b.unbind(1)
torch.unbind(b, 0)[1].shape
torch.movedim(b, 1, 0).shape
torch.manual_seed(0)
exact = nn.Linear(5, 5)
exact.weight.tolist()[0]
exact.bias.tolist()
torch.manual_seed(1)
nn.Linear(3, 2, bias=False)
big = nn.Linear(300, 2)
big.weight[0, :4].tolist()
big.bias.tolist()
nn.Linear(2, 3, dtype=torch.float64).weight
from torch.func import functional_call
params = {n: p.detach() * 2 for n, p in model.named_parameters()}
functional_call(model, params, x)
functional_call(model, params, (x,))
model(x)
w0 = torch.zeros(4, 3, requires_grad=True)
out = functional_call(model, {'0.weight': w0}, x)
out
torch.autograd.grad(out.sum(), w0)
list(model.named_parameters())[1]
for name, p in model.named_parameters():
    print(name, tuple(p.shape), p.requires_grad, p.is_leaf)
model.zero_grad()
model[0].weight.grad
g = torch.rand(2, 4, requires_grad=True)
F.gelu(g).sum().backward()
g.grad
g.grad = None
F.softplus(g * 30 - 10, beta=0.5, threshold=5).sum().backward()
g.grad
g.grad = None
F.cross_entropy(g, torch.tensor([0, 2])).backward()
g.grad
g.grad = None
F.normalize(g, dim=0).sum().backward()
g.grad
F.mse_loss(g, torch.ones(2, 4), reduction='none')
F.silu(g).sum().backward()
g.grad
torch.unbind(g, dim=1)[0]
g.movedim((0, 1), (1, 0))
