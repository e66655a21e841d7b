#!/usr/bin/env bash
# Measures the BLAS candidates in turns, each best of 5, so they see the same machine: Debian's OpenBLAS with its
# own detection and forced to each core type, one thread (CPU time: one core's rate) and one thread per core (wall
# time), BLIS when libblis-dev is installed, and PyTorch and numpy when ~/torchenv has them. Needs libopenblas-dev.
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
arch=$(gcc -print-multiarch)
cores=$(nproc)
cc -O2 -I/usr/include/$arch/openblas-pthread gemm.c -L/usr/lib/$arch/openblas-pthread -lopenblas -o "$out/openblas"
if [ -d /usr/include/$arch/blis-openmp ]; then
  cc -O2 -I/usr/include/$arch/blis-openmp gemm.c -L/usr/lib/$arch/blis-openmp -lblis -o "$out/blis"
fi
coretypes="Haswell Zen"
if grep -q avx512f /proc/cpuinfo; then coretypes="SkylakeX $coretypes"; fi
for round in 1 2; do
  echo "== round $round"
  for coretype in detected $coretypes; do
    settings=()
    if [ "$coretype" != detected ]; then settings=(OPENBLAS_CORETYPE=$coretype); fi
    echo "-- OpenBLAS ($coretype), 1 thread, CPU time"; env -u OPENBLAS_CORETYPE "${settings[@]}" OPENBLAS_NUM_THREADS=1 "$out/openblas" cpu
    echo "-- OpenBLAS ($coretype), $cores threads"; env -u OPENBLAS_CORETYPE "${settings[@]}" OPENBLAS_NUM_THREADS=$cores "$out/openblas"
  done
  if [ -x "$out/blis" ]; then echo "-- BLIS, $cores threads"; BLIS_NUM_THREADS=$cores "$out/blis"; fi
  if [ -x ~/torchenv/bin/python ]; then
    for threads in 1 $cores; do
      echo "-- PyTorch a @ b and numpy, $threads thread(s)$([ $threads = 1 ] && echo ', CPU time')"
      ~/torchenv/bin/python peers.py $threads
    done
  fi
done
