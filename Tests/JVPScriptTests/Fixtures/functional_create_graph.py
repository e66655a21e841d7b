import torch
from torch.autograd.functional import jacobian, hessian, vjp, jvp, hvp, vhp
torch.manual_seed(0)
def exp_adder(x, y):
    return 2 * x.exp() + 3 * y
inputs = (torch.rand(2), torch.rand(2))
jacobian(exp_adder, inputs, create_graph=True)
def exp_reducer(x):
    return x.exp().sum(dim=1)
inputs = torch.rand(4, 4)
jacobian(exp_reducer, inputs, create_graph=True)
def pow_reducer(x):
    return x.pow(3).sum()
inputs = torch.rand(2, 2)
hessian(pow_reducer, inputs, create_graph=True)
def pow_adder_reducer(x, y):
    return (2 * x.pow(2) + 3 * y.pow(2)).sum()
inputs = (torch.rand(2), torch.rand(2))
hessian(pow_adder_reducer, inputs, create_graph=True)
def exp_reducer(x):
    return x.exp().sum(dim=1)
inputs = torch.rand(4, 4)
v = torch.ones(4)
vjp(exp_reducer, inputs, v, create_graph=True)
def adder(x, y):
    return 2 * x + 3 * y
inputs = (torch.rand(2), torch.rand(2))
v = torch.ones(2)
vjp(adder, inputs, v, create_graph=True)
inputs = torch.rand(4, 4)
v = torch.ones(4, 4)
jvp(exp_reducer, inputs, v, create_graph=True)
jvp(adder, (torch.rand(2), torch.rand(2)), (torch.ones(2), torch.ones(2)), create_graph=True)
def pow_reducer(x):
    return x.pow(3).sum()
inputs = torch.rand(2, 2)
v = torch.ones(2, 2)
vhp(pow_reducer, inputs, v, create_graph=True)
hvp(pow_reducer, inputs, v, create_graph=True)
def pow_adder_reducer(x, y):
    return (2 * x.pow(2) + 3 * y.pow(2)).sum()
inputs = (torch.rand(2), torch.rand(2))
v = (torch.zeros(2), torch.ones(2))
vhp(pow_adder_reducer, inputs, v, create_graph=True)
hvp(pow_adder_reducer, inputs, v, create_graph=True)
x = torch.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
out, g = vjp(exp_reducer, x, torch.tensor([1.0, 2.0]), create_graph=True)
g
g.sum().backward()
x.grad
j = jacobian(lambda t: t.sin() * t, x, create_graph=True)
j.grad_fn
torch.autograd.grad(j.sum(), x)
h = hessian(pow_reducer, x, create_graph=True)
torch.autograd.grad(h.sum(), x)
out, t = jvp(lambda a: (a * a).sum(dim=0), x, torch.ones(2, 2), create_graph=True)
t
torch.autograd.grad(t.sum(), x)
out, hv = hvp(pow_reducer, x, torch.ones(2, 2), create_graph=True)
torch.autograd.grad(hv.sum(), x)
jacobian(exp_reducer, torch.rand(2, 2), create_graph=False)
def noisy(x):
    print("called")
    return x.exp() * torch.rand(2)
x = torch.rand(2)
jacobian(noisy, x, create_graph=True)
torch.rand(2)
vjp(noisy, x, torch.ones(2), create_graph=True)
torch.rand(2)
