/*
 * blas.c - the BLAS this build links: OpenBLAS from the scipy-openblas32 wheel (its symbols
 * carry the scipy_ prefix) or, built with GRPO_C_BLAS=system, a system OpenBLAS found by
 * pkg-config. What it is and its thread count; grpo_c's kernels that multiply matrices call it.
 */
#include "grpo.h"

#include <cblas.h>

#ifdef GRPO_BLAS_SYSTEM
#define OPENBLAS(name) openblas_##name
#define CBLAS(name) cblas_##name
#define GRPO_BLAS_NAME "system OpenBLAS"
#else
#define OPENBLAS(name) scipy_openblas_##name
#define CBLAS(name) scipy_cblas_##name
#define GRPO_BLAS_NAME "OpenBLAS (scipy-openblas32)"
#endif

const char *grpo_blas_name(void) { return GRPO_BLAS_NAME; }

const char *grpo_blas_config(void) { return OPENBLAS(get_config)(); }

const char *grpo_blas_core(void) { return OPENBLAS(get_corename)(); }

int grpo_blas_threads(void) { return OPENBLAS(get_num_threads)(); }

void grpo_blas_set_threads(int n) { OPENBLAS(set_num_threads)(n < 1 ? 1 : n); }

void grpo_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    CBLAS(sgemm)(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, (int)m,
                 (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}
