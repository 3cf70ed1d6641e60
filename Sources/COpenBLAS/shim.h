#ifndef VICINITY_COPENBLAS_SHIM_H
#define VICINITY_COPENBLAS_SHIM_H
#include <cblas.h>

// LAPACK routines shipped inside libopenblas (Fortran calling convention).
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda,
             float *w, float *work, const int *lwork, int *iwork, const int *liwork, int *info);
void sgesdd_(const char *jobz, const int *m, const int *n, float *a, const int *lda,
             float *s, float *u, const int *ldu, float *vt, const int *ldvt,
             float *work, const int *lwork, int *iwork, int *info);

// glibc's allocator settings: big matrices are freed and reallocated every
// training step, and must not go back to the kernel (and fault in again) each time.
#include <malloc.h>
#endif
