/*
 * logprobs.c - selected-token log-probabilities and entropies from logits, and their backward.
 *
 * Each row of (N, V) logits is read once: blocks of it are scaled by 1/temperature and folded
 * into an online log-sum-exp that also carries the softmax-weighted mean of z = logits / T,
 * so logZ, the selected log-prob z[id] - logZ and the entropy logZ - E[z] come out of one
 * pass. Sums are kept in double relative to the running maximum (no cancellation); the
 * exponentials of float inputs are float (one ulp), of double inputs double. The backward reads
 * the row again and writes dlogits = (dlogp (onehot - p) - dH p (z - E[z])) / T. Rows are
 * independent work items, so results do not depend on the thread count.
 */
#include "grpo.h"
#include "fastmath.h"

#include <math.h>
#include <stdint.h>
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

/* z[k] = row[start + k] / T for one block, as double (the block stays in L1). */
static void load_block(double *z, const void *logits, grpo_logits_dtype dtype, int64_t offset, int64_t count,
                       double inv_t) {
    if (dtype == GRPO_LOGITS_F64) {
        const double *x = (const double *)logits + offset;
        for (int64_t k = 0; k < count; k++) z[k] = x[k] * inv_t;
    } else if (dtype == GRPO_LOGITS_F32) {
        const float *x = (const float *)logits + offset;
        for (int64_t k = 0; k < count; k++) z[k] = (double)x[k] * inv_t;
    } else {
        const uint16_t *x = (const uint16_t *)logits + offset;
        for (int64_t k = 0; k < count; k++) z[k] = (double)bf16_to_float(x[k]) * inv_t;
    }
}

static double block_max(const double *z, int64_t count) {
    double m = -INFINITY;
    for (int64_t k = 0; k < count; k++) m = z[k] > m ? z[k] : m;
    return m;
}

/* s1 += sum exp(z - m), s2 += sum exp(z - m) (z - m), in the inputs' precision per element. */
static void block_sums(const double *z, int64_t count, double m, int wide, double *s1, double *s2) {
    double a = 0.0, b = 0.0;
    if (wide) {
#pragma omp simd reduction(+ : a, b)
        for (int64_t k = 0; k < count; k++) {
            double d = z[k] - m;
            double e = fast_exp(d);
            a += e;
            b += e * d;
        }
    } else {
#pragma omp simd reduction(+ : a, b)
        for (int64_t k = 0; k < count; k++) {
            float d = (float)(z[k] - m);
            double e = (double)fast_expf(d);
            a += e;
            b += e * (double)d;
        }
    }
    *s1 += a;
    *s2 += b;
}

typedef struct {
    const void *logits;
    grpo_logits_dtype dtype;
    const int64_t *ids;
    int64_t v;
    double inv_t;
    double *logp, *entropy, *logz, *mean_z;
    /* backward */
    void *dlogits;
    const double *dlogp, *dentropy;
} logprob_job;

static void forward_rows(void *ctx, int64_t begin, int64_t end, int worker) {
    const logprob_job *job = ctx;
    double z[LSE_BLOCK];
    const int wide = job->dtype == GRPO_LOGITS_F64;
    for (int64_t r = begin; r < end; r++) {
        double m = -INFINITY, s1 = 0.0, s2 = 0.0;
        int nan = 0;
        for (int64_t at = 0; at < job->v; at += LSE_BLOCK) {
            int64_t count = job->v - at < LSE_BLOCK ? job->v - at : LSE_BLOCK;
            load_block(z, job->logits, job->dtype, r * job->v + at, count, job->inv_t);
            double bm = block_max(z, count);
            for (int64_t k = 0; k < count; k++) nan |= z[k] != z[k];
            if (bm == -INFINITY) continue;
            if (bm > m) {
                /* re-centre the sums on the new maximum: e' = e exp(m - bm), d' = d - (bm - m) */
                double scale = m == -INFINITY ? 0.0 : exp(m - bm);
                s2 = scale * (s2 - (bm - m) * s1);
                s1 = scale * s1;
                if (m == -INFINITY) s2 = 0.0;
                m = bm;
            }
            block_sums(z, count, m, wide, &s1, &s2);
        }
        double lz = nan ? NAN : m + log(s1);
        double ez = nan ? NAN : m + s2 / s1;
        if (m == INFINITY) lz = ez = NAN;
        double picked;
        load_block(&picked, job->logits, job->dtype, r * job->v + job->ids[r], 1, job->inv_t);
        job->logp[r] = picked - lz;
        if (job->entropy) job->entropy[r] = nan || m == INFINITY ? NAN : log(s1) - s2 / s1;
        if (job->logz) job->logz[r] = lz;
        if (job->mean_z) job->mean_z[r] = ez;
    }
}

static void backward_rows(void *ctx, int64_t begin, int64_t end, int worker) {
    const logprob_job *job = ctx;
    double z[LSE_BLOCK];
    const int wide = job->dtype == GRPO_LOGITS_F64;
    for (int64_t r = begin; r < end; r++) {
        double gl = job->dlogp ? job->dlogp[r] : 0.0;
        double gh = job->dentropy ? job->dentropy[r] : 0.0;
        double lz = job->logz[r], ez = job->mean_z[r];
        for (int64_t at = 0; at < job->v; at += LSE_BLOCK) {
            int64_t count = job->v - at < LSE_BLOCK ? job->v - at : LSE_BLOCK;
            int64_t offset = r * job->v + at;
            load_block(z, job->logits, job->dtype, offset, count, job->inv_t);
            for (int64_t k = 0; k < count; k++) {
                double p = wide ? fast_exp(z[k] - lz) : (double)fast_expf((float)(z[k] - lz));
                z[k] = (-gl * p - gh * p * (z[k] - ez)) * job->inv_t;
            }
            int64_t id = job->ids[r] - at;
            if (id >= 0 && id < count) z[id] += gl * job->inv_t;
            if (job->dtype == GRPO_LOGITS_F64) {
                memcpy((double *)job->dlogits + offset, z, (size_t)count * sizeof(double));
            } else if (job->dtype == GRPO_LOGITS_F32) {
                float *out = (float *)job->dlogits + offset;
                for (int64_t k = 0; k < count; k++) out[k] = (float)z[k];
            } else {
                uint16_t *out = (uint16_t *)job->dlogits + offset;
                for (int64_t k = 0; k < count; k++) out[k] = float_to_bf16((float)z[k]);
            }
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

grpo_status grpo_logprobs(double *logp, double *entropy, double *logz, double *mean_z, const void *logits,
                          grpo_logits_dtype dtype, const int64_t *ids, int64_t n, int64_t v, double temperature,
                          int num_threads) {
    grpo_status st = check(logits, dtype, ids, n, v, temperature);
    if (st != GRPO_OK || n == 0) return st;
    if (!logp) return GRPO_ERR_INVALID;
    logprob_job job = {logits, dtype, ids, v, 1.0 / temperature, logp, entropy, logz, mean_z, NULL, NULL, NULL};
    return grpo_parallel_for(n, row_grain(v), num_threads, forward_rows, &job);
}

grpo_status grpo_logprobs_backward(void *dlogits, const void *logits, grpo_logits_dtype dtype, const int64_t *ids,
                                   const double *dlogp, const double *dentropy, const double *logz,
                                   const double *mean_z, int64_t n, int64_t v, double temperature,
                                   int num_threads) {
    grpo_status st = check(logits, dtype, ids, n, v, temperature);
    if (st != GRPO_OK || n == 0) return st;
    if (!dlogits || !logz || !mean_z) return GRPO_ERR_INVALID;
    logprob_job job = {logits, dtype, ids, v, 1.0 / temperature, NULL, NULL, (double *)logz, (double *)mean_z,
                       dlogits, dlogp, dentropy};
    return grpo_parallel_for(n, row_grain(v), num_threads, backward_rows, &job);
}
