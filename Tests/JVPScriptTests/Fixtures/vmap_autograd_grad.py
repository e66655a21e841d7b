# torch.vmap's docstring: batched gradient computation over a graph built outside the vmapped function.
import torch
torch.manual_seed(0)
N = 5
f = lambda x: x ** 2
x = torch.randn(N, requires_grad=True)
y = f(x)
I_N = torch.eye(N)

# Sequential approach
vjps = [torch.autograd.grad([y], [x], [v], retain_graph=True)[0]
        for v in I_N.unbind()]
jacobian = torch.stack(vjps)
jacobian

# vectorized gradient computation
def get_vjp(v):
    return torch.autograd.grad(y, x, v)
jacobian = torch.vmap(get_vjp)(I_N)
jacobian

# A product over two leaves, batched over cotangents of a matrix output.
a = torch.randn(3, 4, requires_grad=True)
b = torch.randn(4, 2, requires_grad=True)
z = (a @ b).tanh()
cotangents = torch.randn(6, 3, 2)
ga, gb = torch.vmap(lambda v: torch.autograd.grad(z, (a, b), v, retain_graph=True))(cotangents)
print(ga.shape, gb.shape)
expected = [torch.autograd.grad(z, (a, b), v, retain_graph=True) for v in cotangents]
print(all(torch.allclose(ga[i], expected[i][0], atol=1e-6) and torch.allclose(gb[i], expected[i][1], atol=1e-6) for i in range(6)))
gb[0]
