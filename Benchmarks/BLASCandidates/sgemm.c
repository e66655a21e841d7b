// Best-of-5 square sgemm rates of one BLAS, for choosing the library behind jvplab's large products.
// Build and run against each candidate with ./run.sh (Debian's libopenblas-dev and libblis-dev).
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern char *openblas_get_corename(void) __attribute__((weak));

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
  if (openblas_get_corename) printf("OpenBLAS core: %s\n", openblas_get_corename());
  const int sizes[] = {16, 64, 256, 512, 1024};
  for (int s = 0; s < 5; s++) {
    int n = sizes[s];
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
    for (long i = 0; i < (long)n * n; i++) {
      a[i] = (i % 7) * 0.1f;
      b[i] = (i % 5) * 0.2f;
    }
    int reps = (int)(2e9 / (2.0 * n * n * n)) + 1;
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
      double t = now();
      for (int q = 0; q < reps; q++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
      t = (now() - t) / reps;
      if (t < best) best = t;
    }
    printf("sgemm %4d  %10.2f us  %6.1f GFLOP/s\n", n, best * 1e6, 2.0 * n * n * n / best * 1e-9);
    free(a);
    free(b);
    free(c);
  }
  return 0;
}
