import torch
from torch.autograd.functional import jacobian


def block(x,
          y=1.0):   # implicit continuation inside brackets
    z = x * \
        y
    return z.exp()


def one_liner(x): return x.sin()
value = [
    1,
    2,
]; other = ('no', 'dicts') if False else 0
jacobian(block, torch.rand(2))
jacobian(one_liner, torch.rand(2, dtype=torch.double))
r'raw\string'; '''triple
quoted''' ; u"unicode \u00e9 \x41 \101"
