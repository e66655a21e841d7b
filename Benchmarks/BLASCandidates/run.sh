#!/usr/bin/env bash
# Measures the BLAS candidates in turns (OpenBLAS as detected, OpenBLAS forced to Haswell/SkylakeX kernels,
# BLIS with 2 threads), each best of 5, so they see the same machine. Needs libopenblas-dev and libblis-dev.
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
arch=$(gcc -print-multiarch)
cc -O2 -I/usr/include/$arch/openblas-pthread sgemm.c -L/usr/lib/$arch/openblas-pthread -lopenblas -o "$out/openblas"
cc -O2 -I/usr/include/$arch/blis-openmp sgemm.c -L/usr/lib/$arch/blis-openmp -lblis -o "$out/blis"
for round in 1 2; do
  echo "== round $round"
  echo "-- OpenBLAS (own detection)"; env -u OPENBLAS_CORETYPE "$out/openblas"
  echo "-- OpenBLAS, OPENBLAS_CORETYPE=Haswell"; OPENBLAS_CORETYPE=Haswell "$out/openblas"
  if grep -q avx512f /proc/cpuinfo; then
    echo "-- OpenBLAS, OPENBLAS_CORETYPE=SkylakeX"; OPENBLAS_CORETYPE=SkylakeX "$out/openblas"
  fi
  echo "-- BLIS, 2 threads"; BLIS_NUM_THREADS=2 "$out/blis"
done
