import torch
x = torch.tensor([1., 2., 3.], requires_grad=True)
y = x * 2
y.add_(1)
y
y.sum().backward()
x.grad
y = x.exp()
y.add_(1)
try:
    y.sum().backward()
except RuntimeError as e:
    print(e)
y = x * x
y.mul_(2)
y.grad_fn
z = y * y
y.sub_(1)
try:
    z.sum().backward()
except RuntimeError as e:
    print(e)
a = torch.zeros(3)
a.add_(x)
a
with torch.no_grad():
    x.mul_(2)
x._version
w = x.sin()
x._version
try:
    (x * x).sum().backward()
    x.grad
except RuntimeError as e:
    print(e)
y = x * 3
z = y.pow(2)
y.zero_()
try:
    z.sum().backward()
except RuntimeError as e:
    print(e)
y = x.tanh()
y.div_(2)
try:
    y.sum().backward()
except RuntimeError as e:
    print(e)
q = x + 1
r = q * x
with torch.no_grad():
    x.add_(1)
try:
    r.sum().backward()
except RuntimeError as e:
    print(e)
q = x * 1
q.retain_grad()
q.retains_grad
x.retain_grad()
x.retains_grad
(q * q).sum().backward()
q.grad
q.grad
x = torch.tensor([1., 2., 3.], requires_grad=True)
y = x ** 2
torch.autograd.grad(y, x, torch.eye(3), is_grads_batched=True)
w = torch.tensor([[0.1, 0.2], [0.3, 0.4]], requires_grad=True)
u = torch.tensor([0.5, 1.0], requires_grad=True)
out = (w @ u).sin()
jac = torch.autograd.grad(out, (w, u), torch.eye(2), retain_graph=True, is_grads_batched=True)
jac
y = x ** 2
g = torch.autograd.grad(y.exp(), x, torch.ones(2, 3), create_graph=True, is_grads_batched=True)[0]
g
torch.autograd.grad(g.sum(), x)
x = torch.tensor([1., 2., 3.], requires_grad=True)
y = x * 2
y[0] = 0
y
y._version
y.sum().backward()
x.grad
torch.manual_seed(0)
torch.full((2,), 1.5, requires_grad=True)
torch.arange(3.0, requires_grad=True)
torch.linspace(0, 1, 3, requires_grad=True)
torch.zeros_like(torch.ones(2), requires_grad=True)
torch.ones_like(torch.ones(2), requires_grad=True)
torch.rand_like(torch.ones(2), requires_grad=True)
torch.randn_like(torch.ones(2), requires_grad=True)
try:
    torch.arange(3, requires_grad=True)
except RuntimeError as e:
    print(e)
torch.manual_seed(0)
w = torch.rand(3, requires_grad=True)
x = torch.rand(3)
for step in range(3):
    loss = ((w * x).sum() - 1) ** 2
    loss.backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
    w.grad.zero_()
w
w.grad
w._version
try:
    w += 1
except RuntimeError as e:
    print(e)
