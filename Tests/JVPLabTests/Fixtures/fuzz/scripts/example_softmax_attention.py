# A small attention-style block: how sensitive are the softmax weights to the scores?
import torch
from torch.autograd.functional import jacobian, jvp, vjp, hvp

torch.manual_seed(7)
q = torch.randn(3, 4)
k = torch.randn(5, 4)

def attention(q):
    scores = q @ k.T / 2.0
    return torch.softmax(scores, dim=-1)

attention(q).sum(dim=-1)
J = jacobian(attention, q, vectorize=True)
J.shape
jvp(attention, q, torch.ones(3, 4))[1]
vjp(attention, q, torch.arange(15.).reshape(3, 5))[1]

def energy(q):
    return torch.logsumexp(q @ k.T, dim=1).sum()

hvp(energy, q, torch.ones(3, 4))
