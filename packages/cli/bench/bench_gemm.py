"""The PyTorch side of `bench-ceiling.mjs`: one thread's GEMM throughput on [1024, 256] x [256, 256].

Prints {"ready": true} after the warm-up, waits for one line on stdin (the driver starts two of these at once for the
'both cores busy' figure), multiplies for --seconds, then prints {"gflops": ...} (wall time) and exits.
"""
import argparse
import json
import os
import sys
import time

p = argparse.ArgumentParser()
p.add_argument('--seconds', type=float, default=2.0)
args = p.parse_args()
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[var] = '1'

import torch  # noqa: E402

torch.set_num_threads(1)
M, K, N = 1024, 256, 256
a, b = torch.randn(M, K), torch.randn(K, N)
for _ in range(50):
    a @ b
print(json.dumps({'ready': True}), flush=True)
sys.stdin.readline()
calls, t0 = 0, time.perf_counter()
while True:
    for _ in range(10):
        a @ b
    calls += 10
    dt = time.perf_counter() - t0
    if dt >= args.seconds:
        break
print(json.dumps({'gflops': 2 * M * K * N * calls / dt / 1e9, 'calls': calls}), flush=True)
