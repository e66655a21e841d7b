"""Best-of-5 square matrix product rates of PyTorch (`a @ b`) and numpy, with the thread count given (default 1).
One thread reports process CPU time (one core's rate), more report wall time. Run by run.sh."""
import os
import sys

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(threads)
import time  # noqa: E402

import torch  # noqa: E402

torch.set_num_threads(threads)
clock = time.process_time if threads == 1 else time.perf_counter
for dtype in (torch.float32, torch.float64):
    for n in (256, 512, 1024):
        a, b = torch.rand(n, n, dtype=dtype), torch.rand(n, n, dtype=dtype)
        reps = int(2e9 / (2 * n ** 3)) + 1
        rates = []
        for product in (lambda: a @ b, lambda a=a.numpy(), b=b.numpy(): a @ b):
            best = float("inf")
            for _ in range(5):
                start = clock()
                for _ in range(reps):
                    product()
                best = min(best, (clock() - start) / reps)
            rates.append(2 * n ** 3 / best * 1e-9)
        print(f"{str(dtype).removeprefix('torch.')} {n:4d}  torch {rates[0]:6.1f}  numpy {rates[1]:6.1f} GFLOP/s")
