import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
m = nn.Linear(3, 2)
def attempt(f):
    try:
        f()
    except Exception as e:
        print(type(e).__name__, e)
attempt(lambda: m(torch.rand(2, 4)))
attempt(lambda: F.gelu(torch.rand(2), approximate='fast'))
attempt(lambda: F.cross_entropy(torch.rand(2, 3), torch.tensor([0, 5])))
attempt(lambda: F.mse_loss(torch.rand(2), torch.rand(2), reduction='avg'))
attempt(lambda: nn.Sequential(m, 3))
attempt(lambda: nn.Sequential(m)[3])
attempt(lambda: m.foo)
attempt(lambda: torch.rand(2, 3).movedim(0, 5))
attempt(lambda: torch.rand(2, 3).movedim((0, 1), (1,)))
attempt(lambda: torch.rand(2, 3).unbind(2))
F.cross_entropy(torch.tensor([1.0, 2.0, 0.5]), torch.tensor(1))
F.cross_entropy(torch.tensor([[1.0, 2.0, 0.5], [0.1, 0.2, 0.3]]), torch.tensor([1, 2]), reduction='none')
F.cross_entropy(torch.tensor([[1.0, 2.0, 0.5], [0.1, 0.2, 0.3]]), torch.tensor([1, 2]), reduction='sum')
F.cross_entropy(torch.tensor([[1.0, 2.0, 0.5], [0.1, 0.2, 0.3]]), torch.tensor([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]), reduction='none')
m
print(m)
[m, nn.ReLU()]
nn.Sequential()
nn.Sequential(nn.Sequential(nn.Linear(1, 1), nn.Tanh()), nn.ReLU())
w = torch.rand(2, 3)
for x, b in [(torch.rand(2, 4), None), (torch.rand(4), torch.rand(2)), (torch.rand(4), None), (torch.rand(5, 2, 4), torch.rand(2))]:
    try:
        F.linear(x, w, b)
    except Exception as e:
        print(type(e).__name__, e)
from torch.func import functional_call
m = nn.Linear(3, 2)
for d in [{'foo': torch.ones(2)}, {'weight': torch.ones(2,3), 'bias': torch.ones(2), 'foo': torch.ones(1)}, {'weight': torch.ones(2,3)}]:
    try:
        functional_call(m, d, torch.ones(3), strict=True)
    except Exception as e:
        print(type(e).__name__, repr(str(e)))
    functional_call(m, d, torch.ones(3))
x = torch.ones(3, requires_grad=True)
try:
    torch.autograd.grad((x*2, x*3), x, (torch.ones(2,3), torch.ones(3,3)), is_grads_batched=True)
except Exception as e:
    print(type(e).__name__, e)
