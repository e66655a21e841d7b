import math
import torch
from torch.autograd.functional import jacobian, jvp
results = {}
for n in [2, 3]:
    x = torch.arange(1.0, n + 1)
    J = jacobian(lambda v: (v ** 2).sum() * v, x)
    results[n] = J
    if n > 2:
        break
else:
    pass
errors = [abs(J.sum().item() - k) for k in range(3) if k != 1]
print(f"{max(errors):.3e} {len(results):>4} {math.pi!r}", "%d runs" % len(results))
def scaled(*xs, factor=2.0, **options):
    total = 0
    for value in xs:
        total += value * factor
    return total, options
try:
    scaled(1, 2, factor=3, verbose=True)
    torch.ones(2) @ torch.ones(3)
except RuntimeError as e:
    print("caught", e)
finally:
    count = 0
while count < 3:
    count += 1
with torch.no_grad():
    y = {k: v.sum() for k, v in results.items()}
assert (y[2] > 0).all(), "positive"
a, *rest = [1, 2, 3]
