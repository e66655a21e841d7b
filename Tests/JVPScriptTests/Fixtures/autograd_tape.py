import torch

a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
Q = 3*a**3 - b**2
Q
external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)
# check if collected gradients are correct
print(9*a**2 == a.grad)
print(-2*b == b.grad)
a.grad
Q.grad_fn
a.is_leaf, Q.is_leaf, Q.requires_grad

x = torch.rand(5, 5)
y = torch.rand(5, 5)
z = torch.rand((5, 5), requires_grad=True)

a = x + y
print(f"Does `a` require gradients?: {a.requires_grad}")
b = x + z
print(f"Does `b` require gradients?: {b.requires_grad}")

torch.manual_seed(0)

x = torch.ones(5)  # input tensor
y = torch.zeros(3)  # expected output
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w)+b
loss = ((z - y) ** 2).mean()
print(f"Gradient function for z = {z.grad_fn}")
print(f"Gradient function for loss = {loss.grad_fn}")
loss.backward()
print(w.grad)
print(b.grad)
z = torch.matmul(x, w)+b
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w)+b
print(z.requires_grad)
z = torch.matmul(x, w)+b
z_det = z.detach()
print(z_det.requires_grad)

inp = torch.eye(4, 5, requires_grad=True)
out = (inp+1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")

torch.manual_seed(1)
x = torch.rand(3, requires_grad=True)
y = (x * x).sum()
y.backward()
try:
    y.backward()
except RuntimeError as e:
    print(repr(str(e)))
z = x * 2
try:
    z.backward()
except RuntimeError as e:
    print(repr(str(e)))
try:
    x.add_(1)
except RuntimeError as e:
    print(repr(str(e)))
w = torch.rand(3, requires_grad=True)
try:
    torch.autograd.grad((x * 2).sum(), [x, w])
except RuntimeError as e:
    print(repr(str(e)))
print(torch.autograd.grad((x * 2).sum(), [x, w], allow_unused=True))
try:
    torch.autograd.grad(torch.ones(2).sum(), [x])
except RuntimeError as e:
    print(repr(str(e)))
try:
    (x*2).requires_grad_(False)
except RuntimeError as e:
    print(repr(str(e)))
try:
    torch.ones(2, dtype=torch.long).requires_grad_()
except RuntimeError as e:
    print(repr(str(e)))
try:
    z.backward(torch.ones(4))
except RuntimeError as e:
    print(repr(str(e)))
print(z.grad)
q = torch.tensor([1., 2.], requires_grad=True)
q
q * 2
q.grad_fn
(q*2).grad_fn
(q * 2).sum().grad_fn.next_functions
q.detach()
q.data
print(q)
print(q * 2)
with torch.no_grad():
    print(q * 2)
torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True) * 3

torch.manual_seed(2)
x = torch.rand(3, 3, requires_grad=True); v = torch.rand(3, requires_grad=True)
ops = {
 'neg': -x, 'exp': x.exp(), 'log': x.log(), 'log1p': x.log1p(), 'expm1': x.expm1(), 'sin': x.sin(), 'cos': x.cos(),
 'tan': x.tan(), 'tanh': x.tanh(), 'sigmoid': x.sigmoid(), 'relu': x.relu(), 'sqrt': x.sqrt(), 'abs': x.abs(),
 'square': x.square(), 'reciprocal': x.reciprocal(), 'sign': x.sign(), 'add': x + x, 'addc': x + 1, 'radd': 1 + x, 'sub': x - x, 'rsub': 1 - x,
 'mul': x * x, 'mulc': x * 2, 'div': x / x, 'divc': x / 2, 'rdiv': 1 / x, 'powt': x ** x, 'pow2': x ** 2, 'pow3': x.pow(3), 'rpow': 2 ** x,
 'sum': x.sum(), 'sumd': x.sum(dim=1), 'sumk': x.sum(1, keepdim=True), 'mean': x.mean(), 'meand': x.mean(0), 'prod': x.prod(), 'prodd': x.prod(1),
 'lse': x.logsumexp(1), 'softmax': x.softmax(1), 'logsoftmax': x.log_softmax(1), 'mm': x @ x, 'mv': x @ v, 'vm': v @ x, 'dot': v @ v,
 'matmul3': torch.rand(2,3,3) @ x, 't': x.t(), 'T': x.T, 'transpose': x.transpose(0, 1), 'permute': x.permute(1, 0), 'reshape': x.reshape(9),
 'view': x.view(9), 'flatten': x.flatten(), 'unsqueeze': x.unsqueeze(0), 'squeeze': x.unsqueeze(0).squeeze(), 'squeezed': x.unsqueeze(0).squeeze(0),
 'expand': v.expand(2, 3), 'select': x[0], 'slice': x[1:], 'slice2': x[:, 1:], 'index2': x[0, 1], 'cat': torch.cat([x, x]), 'stack': torch.stack([v, v]),
 'diag': x.diag(), 'diagv': v.diag(), 'double': x.double(), 'clone': x.clone(), 'norm': x.norm(), 'outer': torch.outer(v, v),
 
}
for k, t in ops.items():
    print(k, type(t.grad_fn).__name__)
