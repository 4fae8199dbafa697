/*
 * masks.c - 0/1 masks of any numeric dtype read into the uint8 masks the kernels take.
 */
#include <stdatomic.h>

#include "grpo.h"

typedef struct mask_job {
    const void *values;
    uint8_t *out; /* NULL: check only (GRPO_MASK_U8) */
    grpo_mask_dtype dtype;
    atomic_llong bad;
} mask_job;

/* branch-free loops, so they vectorise */
static void mask_range(void *ctx, int64_t begin, int64_t end, int worker) {
    (void)worker;
    mask_job *job = ctx;
    long long bad = 0;
    uint8_t *restrict out = job->out;
    switch (job->dtype) {
    case GRPO_MASK_U8: {
        const uint8_t *restrict v = job->values;
#pragma omp simd reduction(+ : bad)
        for (int64_t i = begin; i < end; i++) bad += v[i] > 1;
        break;
    }
/* one loop per dtype, the same body */
#define CONVERT_CASE(tag, type)                                                                    \
    case tag: {                                                                                    \
        const type *restrict v = job->values;                                                      \
        _Pragma("omp simd reduction(+ : bad)") for (int64_t i = begin; i < end; i++) {             \
            out[i] = v[i] == (type)1;                                                              \
            bad += (v[i] != (type)0) & (v[i] != (type)1);                                          \
        }                                                                                          \
        break;                                                                                     \
    }
    CONVERT_CASE(GRPO_MASK_I32, int32_t)
    CONVERT_CASE(GRPO_MASK_I64, int64_t)
    CONVERT_CASE(GRPO_MASK_F32, float)
    CONVERT_CASE(GRPO_MASK_F64, double)
#undef CONVERT_CASE
    }
    atomic_fetch_add(&job->bad, bad);
}

grpo_status grpo_mask_convert(uint8_t *out, const void *values, grpo_mask_dtype dtype, int64_t n,
                              int num_threads, int64_t *bad) {
    if (!values || !bad || n < 0 || dtype < GRPO_MASK_U8 || dtype > GRPO_MASK_F64 ||
        (!out && dtype != GRPO_MASK_U8))
        return GRPO_ERR_INVALID;
    mask_job job = {values, dtype == GRPO_MASK_U8 ? NULL : out, dtype, 0};
    atomic_init(&job.bad, 0);
    grpo_status st = grpo_parallel_for(n, 1 << 16, num_threads, mask_range, &job);
    *bad = (int64_t)atomic_load(&job.bad);
    return st;
}
