// OpenBLAS's CBLAS declarations, for the function types JVPCore resolves at run time. Nothing links against
// libopenblas: JVPCore opens it with dlopen after choosing its core type, because OpenBLAS fixes its kernel
// in a load-time constructor (see Sources/JVPCore/Kernels/BLAS.swift).
#include <cblas.h>

typedef void (*jvp_sgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint, blasint,
                             float, const float *, blasint, const float *, blasint, float, float *, blasint);
typedef void (*jvp_dgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint, blasint,
                             double, const double *, blasint, const double *, blasint, double, double *, blasint);
typedef void (*jvp_set_threads_fn)(int);
typedef char *(*jvp_get_name_fn)(void);
