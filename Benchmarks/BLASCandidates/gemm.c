// Best-of-5 square sgemm and dgemm rates of one BLAS, for choosing the library behind jvplab's large products.
// Build and run against each candidate with ./run.sh. With the argument `cpu` it reports process CPU time instead
// of wall time: run single-threaded, that is one core's rate, which other jobs on a shared machine barely disturb.
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern char *openblas_get_corename(void) __attribute__((weak));

static clockid_t clock_id = CLOCK_MONOTONIC;

static double now(void) {
  struct timespec t;
  clock_gettime(clock_id, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "cpu") == 0) clock_id = CLOCK_PROCESS_CPUTIME_ID;
  if (openblas_get_corename) printf("OpenBLAS core: %s\n", openblas_get_corename());
  const int sizes[] = {16, 64, 256, 512, 1024};
  for (int precision = 0; precision < 2; precision++) {
    size_t bytes = precision ? sizeof(double) : sizeof(float);
    for (int s = 0; s < 5; s++) {
      int n = sizes[s];
      char *a = malloc(bytes * n * n), *b = malloc(bytes * n * n), *c = malloc(bytes * n * n);
      for (long i = 0; i < (long)n * n; i++) {
        if (precision) {
          ((double *)a)[i] = (i % 7) * 0.1;
          ((double *)b)[i] = (i % 5) * 0.2;
        } else {
          ((float *)a)[i] = (i % 7) * 0.1f;
          ((float *)b)[i] = (i % 5) * 0.2f;
        }
      }
      int reps = (int)(2e9 / (2.0 * n * n * n)) + 1;
      double best = 1e9;
      for (int r = 0; r < 5; r++) {
        double t = now();
        for (int q = 0; q < reps; q++) {
          if (precision)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, (double *)a, n, (double *)b, n, 0,
                        (double *)c, n);
          else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, (float *)a, n, (float *)b, n, 0,
                        (float *)c, n);
        }
        t = (now() - t) / reps;
        if (t < best) best = t;
      }
      printf("%s %4d  %10.2f us  %6.1f GFLOP/s\n", precision ? "dgemm" : "sgemm", n, best * 1e6,
             2.0 * n * n * n / best * 1e-9);
      free(a);
      free(b);
      free(c);
    }
  }
  return 0;
}
