# Errors a notebook catches and prints: the messages are PyTorch's, word for word.
import torch

def show_error(f):
    try:
        f()
    except RuntimeError as e:
        print(type(e).__name__ + ":", e)

show_error(lambda: torch.ones(2, 3) + torch.ones(2))
show_error(lambda: torch.ones(3, 2, 3) * torch.ones(2, 2, 3))
show_error(lambda: torch.ones(2, 3) == torch.ones(4, 1, 2))
show_error(lambda: torch.allclose(torch.ones(2), torch.ones(3)))
for a, b in [((2,), (3,)), ((2, 3), (4,)), ((2,), (3, 4)), ((4, 3), (4, 3)), ((2, 2, 3), (4, 5)),
             ((2, 2, 3), (4,)), ((2, 3), (2, 4, 5)), ((3,), (2, 4, 5)), ((3, 2, 3), (2, 3, 5)),
             ((2, 2, 2, 3), (2, 2, 4, 5))]:
    show_error(lambda: torch.ones(*a) @ torch.ones(*b))
try:
    torch.rand(2, 3) @ torch.rand(2, 3)
except RuntimeError as e:
    message = str(e)
message
