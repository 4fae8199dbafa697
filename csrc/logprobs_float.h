/*
 * logprobs_float.h - the float32/bfloat16 row kernels of logprobs.c (internal; included once per
 * instruction set with LP_NAME(x) naming that copy, under a `#pragma GCC target` there).
 *
 * Elements are computed in float, 8 or 16 to a vector, as differences from the row's maximum
 * logit (exact near the maximum, where the probabilities are). Each run of LP_RUN elements is
 * summed in float lanes (a few additions per lane, ~1e-7 relative) and added to the row's double
 * sums.
 */

/* bfloat16 to float for one block (the block stays in L1). */
static void LP_NAME(widen)(float *restrict x, const uint16_t *restrict h, int64_t count) {
#pragma omp simd
    for (int64_t k = 0; k < count; k++) x[k] = bf16_to_float(h[k]);
}

/* One block of raw logits x into the row's running state. */
static void LP_NAME(lse_block)(lse_state *st, const float *restrict x, int64_t count, float inv_t) {
    float bm = -INFINITY;
    int nan = 0;
#pragma omp simd reduction(max : bm) reduction(| : nan)
    for (int64_t k = 0; k < count; k++) {
        bm = x[k] > bm ? x[k] : bm;
        nan |= x[k] != x[k];
    }
    st->nan |= nan;
    if (bm == -INFINITY) return;
    lse_raise(st, bm, inv_t);
    const float mx = (float)st->mx;
    for (int64_t at = 0; at < count; at += LP_RUN) {
        int64_t stop = count - at < LP_RUN ? count : at + LP_RUN;
        float a = 0.0f, b = 0.0f;
#pragma omp simd reduction(+ : a, b)
        for (int64_t k = at; k < stop; k++) {
            float d = (x[k] - mx) * inv_t;
            float e = fast_expf(d);
            a += e;
            b += e > 0.0f ? e * d : 0.0f;   /* a -inf logit (a banned token) weighs nothing */
        }
        st->s1 += (double)a;
        st->s2 += (double)b;
    }
}

/* dz/T for one block: -p (gl + gh (d - mean)) with d = (x - mx) / T and p = exp(d - log_s1).
 * out may be x itself (each element is read before it is written). */
static void LP_NAME(grad)(float *out, const float *x, int64_t count, float inv_t, float mx,
                          float log_s1, float mean, float gl, float gh) {
#pragma omp simd
    for (int64_t k = 0; k < count; k++) {
        float d = (x[k] - mx) * inv_t;
        float p = fast_expf(d - log_s1);
        out[k] = p > 0.0f ? -p * (gl + gh * (d - mean)) : 0.0f;
    }
}

static void LP_NAME(narrow)(uint16_t *restrict h, const float *restrict x, int64_t count) {
#pragma omp simd
    for (int64_t k = 0; k < count; k++) h[k] = float_to_bf16(x[k]);
}

static const lp_float_kernels LP_NAME(kernels) = {LP_NAME(widen), LP_NAME(lse_block), LP_NAME(grad),
                                                  LP_NAME(narrow)};
