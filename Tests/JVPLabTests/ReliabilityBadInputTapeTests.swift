/// Bad input of the autograd tape and torch.nn (issues #13 and #14), in the bad-input catalogue: each is one
/// line in PyTorch's words at `file:line:col`, exit 3, and a failed backward pass is still recorded as a run.
extension BadInput {
  static let tapeAndModules: [BadInput] = [
    failure("gradcheck with no input that requires grad", """
      import torch
      from torch.autograd import gradcheck
      gradcheck(torch.sin, (torch.ones(2, dtype=torch.float64),))

      """, ["bad.py:3:1", "gradcheck expects at least one input tensor to require gradient"]),
    failure("backward through a saved tensor written in place", """
      import torch
      x = torch.ones(3, requires_grad=True)
      y = x.exp()
      z = y.add_(1)
      y.sum().backward()

      """, ["bad.py:5:1", "modified by an inplace operation: [torch.FloatTensor [3]], which is output 0 of Exp, is at version 1"],
      effect: .addsRun(status: "failed", nonFiniteCheck: nil)),
    failure("in-place update of a leaf that requires grad", """
      import torch
      x = torch.ones(3, requires_grad=True)
      x += 1

      """, ["bad.py:3:3", "a leaf Variable that requires grad is being used in an in-place operation."]),
    failure("retain_grad on a tensor that does not require grad", "import torch\ntorch.ones(3).retain_grad()\n",
            ["bad.py:2:1", "can't retain_grad on Tensor that has requires_grad=False"]),
    failure("requires_grad on an integer tensor", "import torch\ntorch.arange(3, requires_grad=True)\n",
            ["bad.py:2:1", "Only Tensors of floating point and complex dtype can require gradients"]),
    failure("batched grad_outputs of different batch sizes", """
      import torch
      x = torch.ones(3, requires_grad=True)
      torch.autograd.grad((x * 2, x * 3), x, (torch.ones(2, 3), torch.ones(3, 3)), is_grads_batched=True)

      """, ["bad.py:3:1", "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes [2, 3]"]),
    failure("a Linear module called on features of the wrong size", """
      import torch
      import torch.nn as nn
      nn.Linear(3, 2)(torch.ones(2, 4))

      """, ["bad.py:3:1", "addmm: mat1 and mat2 shapes cannot be multiplied (2x4 and 3x2)"]),
    failure("cross_entropy with a class index out of range", """
      import torch
      import torch.nn.functional as F
      F.cross_entropy(torch.ones(2, 3), torch.tensor([0, 5]))

      """, ["bad.py:3:1", "Target 5 is out of bounds."]),
    failure("gelu with an unknown approximation", """
      import torch
      import torch.nn.functional as F
      F.gelu(torch.ones(2), approximate="fast")

      """, ["bad.py:3:1", "approximate argument must be either none or tanh."]),
  ]
}
