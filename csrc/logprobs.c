/*
 * logprobs.c - selected-token log-probabilities and entropies from logits, and their backward.
 *
 * Each row of (N, V) logits is read once: blocks of it are folded into an online log-sum-exp of
 * z = logits / T that also carries the softmax-weighted mean of z, so logZ, the selected
 * log-prob z[id] - logZ and the entropy logZ - E[z] come out of one pass. Everything is taken
 * relative to the row's largest logit, so float inputs far from 0 keep their precision; sums are
 * double; the exponentials of float inputs are float (one ulp), of double inputs double. The
 * backward reads the row again and writes dlogits = (dlogp (onehot - p) - dH p (z - E[z])) / T.
 * Rows are independent work items, so results do not depend on the thread count.
 */
#include "grpo.h"
#include "fastmath.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { LSE_BLOCK = 512 };

static inline float bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* round to nearest even, NaN kept quiet */
static inline uint16_t float_to_bf16(float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40u);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

/* The running state of one row: mx, its largest logit so far, and over the logits x read so far
 * with d = (x - mx) / T, s1 = sum exp(d) and s2 = sum exp(d) d. A larger block maximum re-centres
 * them: with D = (bm - mx) / T, e' = e exp(-D) and d' = d - D. */
typedef struct {
    double mx, s1, s2;
    int nan;
} lse_state;

static void lse_raise(lse_state *st, double bm, double inv_t) {
    if (bm <= st->mx) return;
    if (st->mx == -INFINITY) {
        st->s1 = st->s2 = 0.0;
    } else {
        double shift = (bm - st->mx) * inv_t, scale = exp(-shift);
        st->s2 = scale * (st->s2 - shift * st->s1);
        st->s1 = scale * st->s1;
    }
    st->mx = bm;
}

static void lse_block_double(lse_state *st, const double *restrict x, int64_t count, double inv_t) {
    double bm = -INFINITY;
    int nan = 0;
#pragma omp simd reduction(max : bm) reduction(| : nan)
    for (int64_t k = 0; k < count; k++) {
        bm = x[k] > bm ? x[k] : bm;
        nan |= x[k] != x[k];
    }
    st->nan |= nan;
    if (bm == -INFINITY) return;
    lse_raise(st, bm, inv_t);
    const double mx = st->mx;
    double a = 0.0, b = 0.0;
#pragma omp simd reduction(+ : a, b)
    for (int64_t k = 0; k < count; k++) {
        double d = (x[k] - mx) * inv_t;
        double e = fast_exp(d);
        a += e;
        b += e > 0.0 ? e * d : 0.0;   /* a -inf logit (a banned token) weighs nothing */
    }
    st->s1 += a;
    st->s2 += b;
}

static void grad_double(double *out, const double *x, int64_t count, double inv_t, double mx,
                        double log_s1, double mean, double gl, double gh) {
#pragma omp simd
    for (int64_t k = 0; k < count; k++) {
        double d = (x[k] - mx) * inv_t;
        double p = fast_exp(d - log_s1);
        out[k] = p > 0.0 ? -p * (gl + gh * (d - mean)) : 0.0;
    }
}

/* The float kernels, compiled once per instruction set (logprobs_float.h). */
typedef struct {
    void (*widen)(float *x, const uint16_t *h, int64_t count);
    void (*lse_block)(lse_state *st, const float *x, int64_t count, float inv_t);
    void (*grad)(float *out, const float *x, int64_t count, float inv_t, float mx, float log_s1, float mean,
                 float gl, float gh);
    void (*narrow)(uint16_t *h, const float *x, int64_t count);
} lp_float_kernels;

enum { LP_RUN = 64 };
#define LP_NAME(x) x##_generic
#include "logprobs_float.h"
#undef LP_NAME
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LP_HAVE_X86_LEVELS 1
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v3")
#define LP_NAME(x) x##_v3
#include "logprobs_float.h"
#undef LP_NAME
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v4")
#define LP_NAME(x) x##_v4
#include "logprobs_float.h"
#undef LP_NAME
#pragma GCC pop_options
#endif

static const lp_float_kernels *float_kernels(void) {
#ifdef LP_HAVE_X86_LEVELS
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return &kernels_v4;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &kernels_v3;
#endif
    return &kernels_generic;
}

typedef struct {
    const lp_float_kernels *fk;
    const void *logits;
    grpo_logits_dtype dtype;
    const int64_t *ids;
    int64_t v;
    double inv_t;
    double *logp, *entropy, *stats;
    /* backward */
    void *dlogits;
    const double *dlogp, *dentropy;
} logprob_job;

static double logit_at(const logprob_job *job, int64_t at) {
    if (job->dtype == GRPO_LOGITS_F64) return ((const double *)job->logits)[at];
    if (job->dtype == GRPO_LOGITS_F32) return ((const float *)job->logits)[at];
    return bf16_to_float(((const uint16_t *)job->logits)[at]);
}

static void forward_rows(void *ctx, int64_t begin, int64_t end, int worker) {
    const logprob_job *job = ctx;
    float wide[LSE_BLOCK];
    const float inv_t = (float)job->inv_t;
    for (int64_t r = begin; r < end; r++) {
        lse_state st = {-INFINITY, 0.0, 0.0, 0};
        for (int64_t at = 0; at < job->v; at += LSE_BLOCK) {
            int64_t count = job->v - at < LSE_BLOCK ? job->v - at : LSE_BLOCK, offset = r * job->v + at;
            if (job->dtype == GRPO_LOGITS_F64) {
                lse_block_double(&st, (const double *)job->logits + offset, count, job->inv_t);
            } else if (job->dtype == GRPO_LOGITS_F32) {
                job->fk->lse_block(&st, (const float *)job->logits + offset, count, inv_t);
            } else {
                job->fk->widen(wide, (const uint16_t *)job->logits + offset, count);
                job->fk->lse_block(&st, wide, count, inv_t);
            }
        }
        int bad = st.nan || st.mx == INFINITY;
        double log_s1 = bad ? NAN : log(st.s1), mean = bad ? NAN : st.s2 / st.s1;
        job->logp[r] = (logit_at(job, r * job->v + job->ids[r]) - st.mx) * job->inv_t - log_s1;
        if (job->entropy) job->entropy[r] = log_s1 - mean;
        if (job->stats) {
            job->stats[3 * r] = st.mx;
            job->stats[3 * r + 1] = log_s1;
            job->stats[3 * r + 2] = mean;
        }
    }
}

static void backward_rows(void *ctx, int64_t begin, int64_t end, int worker) {
    const logprob_job *job = ctx;
    float wide[LSE_BLOCK], out[LSE_BLOCK];
    const double inv_t = job->inv_t;
    for (int64_t r = begin; r < end; r++) {
        /* the 1/T of dz/dlogits is folded into the row's two coefficients */
        double gl = (job->dlogp ? job->dlogp[r] : 0.0) * inv_t;
        double gh = (job->dentropy ? job->dentropy[r] : 0.0) * inv_t;
        const double *row = job->stats + 3 * r;
        for (int64_t at = 0; at < job->v; at += LSE_BLOCK) {
            int64_t count = job->v - at < LSE_BLOCK ? job->v - at : LSE_BLOCK;
            int64_t offset = r * job->v + at, id = job->ids[r] - at;
            int has_id = id >= 0 && id < count;
            if (job->dtype == GRPO_LOGITS_F64) {
                double *dst = (double *)job->dlogits + offset;
                grad_double(dst, (const double *)job->logits + offset, count, inv_t, row[0], row[1], row[2], gl, gh);
                if (has_id) dst[id] += gl;
                continue;
            }
            const float *x = (const float *)job->logits + offset;
            if (job->dtype == GRPO_LOGITS_BF16) {
                job->fk->widen(wide, (const uint16_t *)job->logits + offset, count);
                x = wide;
            }
            float *dst = job->dtype == GRPO_LOGITS_F32 ? (float *)job->dlogits + offset : out;
            job->fk->grad(dst, x, count, (float)inv_t, (float)row[0], (float)row[1], (float)row[2], (float)gl,
                          (float)gh);
            if (has_id) dst[id] += (float)gl;
            if (job->dtype == GRPO_LOGITS_BF16) job->fk->narrow((uint16_t *)job->dlogits + offset, out, count);
        }
    }
}

static grpo_status check(const void *logits, grpo_logits_dtype dtype, const int64_t *ids, int64_t n,
                         int64_t v, double temperature) {
    if (n < 0 || v < 1 || !logits || !ids) return n == 0 && v >= 1 ? GRPO_OK : GRPO_ERR_INVALID;
    if (dtype != GRPO_LOGITS_F32 && dtype != GRPO_LOGITS_F64 && dtype != GRPO_LOGITS_BF16) return GRPO_ERR_INVALID;
    if (!(temperature > 0) || !isfinite(temperature)) return GRPO_ERR_INVALID;
    for (int64_t r = 0; r < n; r++)
        if (ids[r] < 0 || ids[r] >= v) return GRPO_ERR_INVALID;
    return GRPO_OK;
}

static int64_t row_grain(int64_t v) { return v >= 65536 ? 1 : 65536 / v; }

grpo_status grpo_logprobs(double *logp, double *entropy, double *row_stats, const void *logits,
                          grpo_logits_dtype dtype, const int64_t *ids, int64_t n, int64_t v, double temperature,
                          int num_threads) {
    grpo_status st = check(logits, dtype, ids, n, v, temperature);
    if (st != GRPO_OK || n == 0) return st;
    if (!logp) return GRPO_ERR_INVALID;
    logprob_job job = {float_kernels(), logits, dtype, ids, v, 1.0 / temperature, logp, entropy, row_stats,
                       NULL, NULL, NULL};
    return grpo_parallel_for(n, row_grain(v), num_threads, forward_rows, &job);
}

grpo_status grpo_logprobs_backward(void *dlogits, const void *logits, grpo_logits_dtype dtype, const int64_t *ids,
                                   const double *dlogp, const double *dentropy, const double *row_stats, int64_t n,
                                   int64_t v, double temperature, int num_threads) {
    grpo_status st = check(logits, dtype, ids, n, v, temperature);
    if (st != GRPO_OK || n == 0) return st;
    if (!dlogits || !row_stats) return GRPO_ERR_INVALID;
    logprob_job job = {float_kernels(), logits, dtype, ids, v, 1.0 / temperature, NULL, NULL, (double *)row_stats,
                       dlogits, dlogp, dentropy};
    return grpo_parallel_for(n, row_grain(v), num_threads, backward_rows, &job);
}

/* ------------------------------------------------------------------ the linear head */

static grpo_status check_linear(const float *hidden, const float *weight, const int64_t *ids, int64_t n, int64_t h,
                                int64_t v, int64_t chunk, const float *scratch) {
    if (n < 0 || h < 1 || v < 1 || chunk < 1 || h > INT_MAX || v > INT_MAX || chunk > INT_MAX / v)
        return GRPO_ERR_INVALID;
    if (n > 0 && (!hidden || !weight || !ids || !scratch)) return GRPO_ERR_INVALID;
    for (int64_t r = 0; r < n; r++)
        if (ids[r] < 0 || ids[r] >= v) return GRPO_ERR_INVALID;
    return GRPO_OK;
}

/* scratch (rows, V) = hidden[at : at + rows] x weight^T (+ bias) */
static void head_logits(float *scratch, const float *hidden, const float *weight, const float *bias, int64_t at,
                        int64_t rows, int64_t h, int64_t v) {
    grpo_sgemm(0, 1, rows, v, h, 1.0f, hidden + at * h, h, weight, h, 0.0f, scratch, v);
    if (bias)
        for (int64_t r = 0; r < rows; r++)
            for (int64_t j = 0; j < v; j++) scratch[r * v + j] += bias[j];
}

grpo_status grpo_linear_logprobs(double *logp, double *entropy, double *row_stats, const float *hidden,
                                 const float *weight, const float *bias, const int64_t *ids, int64_t n, int64_t h,
                                 int64_t v, double temperature, int64_t chunk, float *scratch, int num_threads) {
    grpo_status st = check_linear(hidden, weight, ids, n, h, v, chunk, scratch);
    if (st != GRPO_OK) return st;
    if (!(temperature > 0) || !isfinite(temperature) || (n > 0 && !logp)) return GRPO_ERR_INVALID;
    for (int64_t at = 0; at < n && st == GRPO_OK; at += chunk) {
        int64_t rows = n - at < chunk ? n - at : chunk;
        head_logits(scratch, hidden, weight, bias, at, rows, h, v);
        st = grpo_logprobs(logp + at, entropy ? entropy + at : NULL, row_stats ? row_stats + 3 * at : NULL, scratch,
                           GRPO_LOGITS_F32, ids + at, rows, v, temperature, num_threads);
    }
    return st;
}

grpo_status grpo_linear_logprobs_backward(float *dhidden, float *dweight, float *dbias, const float *hidden,
                                          const float *weight, const float *bias, const int64_t *ids,
                                          const double *dlogp, const double *dentropy, const double *row_stats,
                                          int64_t n, int64_t h, int64_t v, double temperature, int64_t chunk,
                                          float *scratch, int num_threads) {
    grpo_status st = check_linear(hidden, weight, ids, n, h, v, chunk, scratch);
    if (st != GRPO_OK) return st;
    if (!(temperature > 0) || !isfinite(temperature) || (n > 0 && (!dhidden || !dweight || !row_stats)))
        return GRPO_ERR_INVALID;
    /* the bias gradient is summed over every chunk's rows in double */
    double *bias_sum = dbias ? calloc((size_t)v, sizeof(double)) : NULL;
    if (dbias && !bias_sum) return GRPO_ERR_NOMEM;
    for (int64_t at = 0; at < n && st == GRPO_OK; at += chunk) {
        int64_t rows = n - at < chunk ? n - at : chunk;
        head_logits(scratch, hidden, weight, bias, at, rows, h, v);
        st = grpo_logprobs_backward(scratch, scratch, GRPO_LOGITS_F32, ids + at, dlogp ? dlogp + at : NULL,
                                    dentropy ? dentropy + at : NULL, row_stats + 3 * at, rows, v, temperature,
                                    num_threads);
        if (st != GRPO_OK) break;
        grpo_sgemm(0, 0, rows, h, v, 1.0f, scratch, v, weight, h, 0.0f, dhidden + at * h, h);
        grpo_sgemm(1, 0, v, h, rows, 1.0f, scratch, v, hidden + at * h, h, 1.0f, dweight, h);
        if (bias_sum)
            for (int64_t r = 0; r < rows; r++)
                for (int64_t j = 0; j < v; j++) bias_sum[j] += scratch[r * v + j];
    }
    if (bias_sum && st == GRPO_OK)
        for (int64_t j = 0; j < v; j++) dbias[j] += (float)bias_sum[j];
    free(bias_sum);
    return st;
}
