/* The numeric kernels under the sanitizers: advantages on hand-computed cases, merge exactness,
 * the policy loss fast path against its plain twin on random input with masked garbage, log-probs
 * from logits against a plain computation, and the documented error codes. */
#include "check.h"
#include "grpo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double uniform(unsigned *state) {
    *state = *state * 1103515245u + 12345u;
    return (double)((*state >> 8) & 0xffffff) / 16777216.0;
}

static void test_advantages(void) {
    const double rewards[6] = {1.0, 0.0, 0.5, 0.5, NAN, 2.0};
    double adv[6];
    grpo_adv_options opt = {GRPO_ADV_GRPO, GRPO_SCALE_GROUP, GRPO_STD_PLUS_EPS, GRPO_SINGLETON_ZERO, 1e-4, 1};
    CHECK(grpo_group_advantages(adv, rewards, 6, NULL, 2, 3, NULL, NULL, NULL, NULL, &opt) == GRPO_OK);
    CHECK_CLOSE(adv[0], 0.5 / (sqrt(0.5) + 1e-4), 1e-12);
    CHECK_CLOSE(adv[1], -0.5 / (sqrt(0.5) + 1e-4), 1e-12);
    CHECK(adv[2] == 0.0 && adv[3] == 0.0); /* all-equal group */
    CHECK(adv[4] == 0.0 && adv[5] == 0.0); /* one scorable member: NaN std -> 0 */
    opt.singleton = GRPO_SINGLETON_RAW;
    opt.eps = 1e-6;
    CHECK(grpo_group_advantages(adv, rewards, 6, NULL, 2, 3, NULL, NULL, NULL, NULL, &opt) == GRPO_OK);
    CHECK_CLOSE(adv[5], 2.0 / (1.0 + 1e-6), 1e-12);

    /* shards merge to the whole batch exactly enough */
    const int64_t ids[6] = {0, 1, 0, 1, 0, 1};
    int64_t c1[2], c2[2], cw[2];
    double s1[2], s2[2], sw[2], q1[2], q2[2], qw[2];
    CHECK(grpo_group_stats(c1, s1, q1, rewards, 3, ids, 0, 2) == GRPO_OK);
    CHECK(grpo_group_stats(c2, s2, q2, rewards + 3, 3, ids + 3, 0, 2) == GRPO_OK);
    CHECK(grpo_group_stats(cw, sw, qw, rewards, 6, ids, 0, 2) == GRPO_OK);
    CHECK(grpo_merge_group_stats(c1, s1, q1, c2, s2, q2, 2) == GRPO_OK);
    for (int g = 0; g < 2; g++) {
        CHECK(c1[g] == cw[g]);
        CHECK_CLOSE(s1[g], sw[g], 1e-12);
        CHECK_CLOSE(q1[g], qw[g], 1e-12);
    }
    /* errors */
    CHECK(grpo_group_advantages(adv, rewards, 5, NULL, 2, 3, NULL, NULL, NULL, NULL, &opt) == GRPO_ERR_SHAPE);
    const int64_t bad_ids[2] = {0, 7};
    CHECK(grpo_group_stats(c1, s1, q1, rewards, 2, bad_ids, 0, 2) == GRPO_ERR_INVALID);
    opt.eps = 0.0;
    CHECK(grpo_group_advantages(adv, rewards, 6, NULL, 2, 3, NULL, NULL, NULL, NULL, &opt) == GRPO_ERR_INVALID);
}

/* Reference for one contiguous group: two passes in long double, NaN skipped, 0 for NaN. */
static void reference_group(double *out, const double *x, int64_t size, const grpo_adv_options *opt) {
    long double sum = 0;
    int64_t count = 0;
    for (int64_t k = 0; k < size; k++)
        if (x[k] == x[k]) {
            sum += x[k];
            count++;
        }
    long double mean = count ? sum / count : 0, m2 = 0;
    for (int64_t k = 0; k < size; k++)
        if (x[k] == x[k]) m2 += (x[k] - mean) * (x[k] - mean);
    long double std = count - opt->ddof > 0 ? sqrtl(m2 / (count - opt->ddof)) : NAN;
    long double inv = opt->scale == GRPO_SCALE_NONE ? 1.0L : 1.0L / (std + opt->eps);
    int infinite = 0;
    for (int64_t k = 0; k < size; k++) infinite |= isinf(x[k]);
    for (int64_t k = 0; k < size; k++) {
        long double a = (x[k] - mean) * inv;
        out[k] = x[k] != x[k] ? 0.0 : infinite ? NAN : a == a ? (double)a : 0.0;
    }
}

/* The vectorised contiguous kernel: every group size around the vector widths, both dtypes in
 * and out, NaN/Inf groups, against the reference; 1 and 3 threads bitwise equal. */
static void test_contiguous_advantages(void) {
    const int64_t sizes[] = {2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 257, 1024, 3000};
    unsigned state = 777;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        const int64_t size = sizes[si], groups = 37, n = size * groups;
        double *x = malloc(sizeof(double) * n), *want = malloc(sizeof(double) * n);
        double *got = malloc(sizeof(double) * n), *got3 = malloc(sizeof(double) * n);
        float *x32 = malloc(sizeof(float) * n), *got32 = malloc(sizeof(float) * n);
        for (int64_t i = 0; i < n; i++) x32[i] = (float)(3.0 * uniform(&state) - 1.0);
        for (int64_t k = 0; k < size; k++) x32[5 * size + k] = 0.25f;   /* all equal */
        x32[7 * size + size / 2] = NAN;                                  /* unscorable */
        x32[9 * size] = INFINITY;                                        /* non-finite */
        for (int64_t k = 0; k < size; k++) x32[11 * size + k] = 1000.0f + 0.001f * (float)(k % 3);
        for (int64_t i = 0; i < n; i++) x[i] = x32[i];
        for (int mode = 0; mode < 3; mode++) {
            grpo_adv_options opt = {GRPO_ADV_GRPO, mode == 2 ? GRPO_SCALE_NONE : GRPO_SCALE_GROUP,
                                    mode == 1 ? GRPO_STD_FLOOR_PLUS_EPS : GRPO_STD_PLUS_EPS,
                                    GRPO_SINGLETON_ZERO, 1e-4, mode == 1 ? 0 : 1};
            for (int64_t g = 0; g < groups; g++) reference_group(want + g * size, x + g * size, size, &opt);
            if (mode == 1) /* floor mode: sqrt(max(var, eps)) */
                for (int64_t g = 0; g < groups; g++) {
                    double mean = 0, m2 = 0;
                    int ok = 1;
                    for (int64_t k = 0; k < size; k++) ok &= isfinite(x[g * size + k]);
                    if (!ok || g == 5) continue; /* group 5 (all equal) is exactly 0 either way */
                    for (int64_t k = 0; k < size; k++) mean += x[g * size + k] / (double)size;
                    for (int64_t k = 0; k < size; k++) m2 += (x[g * size + k] - mean) * (x[g * size + k] - mean);
                    double var = m2 / (double)size, inv = 1.0 / (sqrt(var > 1e-4 ? var : 1e-4) + 1e-4);
                    for (int64_t k = 0; k < size; k++) want[g * size + k] = (x[g * size + k] - mean) * inv;
                }
            CHECK(grpo_group_advantages_contiguous(got, GRPO_F64, x, GRPO_F64, n, size, &opt, 1) == GRPO_OK);
            CHECK(grpo_group_advantages_contiguous(got3, GRPO_F64, x32, GRPO_F32, n, size, &opt, 3) == GRPO_OK);
            CHECK(memcmp(got, got3, sizeof(double) * n) == 0); /* the same NaN bits too */
            CHECK(grpo_group_advantages_contiguous(got32, GRPO_F32, x, GRPO_F64, n, size, &opt, 2) == GRPO_OK);
            float *single = malloc(sizeof(float) * n);
            CHECK(grpo_group_advantages_contiguous(single, GRPO_F32, x32, GRPO_F32, n, size, &opt, 2) == GRPO_OK);
            int bad_single = 0;
            for (int64_t i = 0; i < n; i++) /* float pass 2: four roundings at most */
                bad_single += !(single[i] == (float)got[i] || (isnan(single[i]) && isnan(got[i])) ||
                                fabs(single[i] - got[i]) <= 2.4e-7 * fabs(got[i]) + 1e-12);
            CHECK(bad_single == 0);
            free(single);
            int bad = 0, bad32 = 0;
            for (int64_t i = 0; i < n; i++) {
                /* group 11 sits near 1000 with deviations near 1e-3: any double evaluation of
                 * x - mean keeps only ~10 digits of it */
                const double tol = (i / size == 11 ? 1e-6 : 1e-9) * (fabs(want[i]) + 1e-3);
                bad += !(got[i] == want[i] || (isnan(got[i]) && isnan(want[i])) ||
                         fabs(got[i] - want[i]) <= tol);
                bad32 += got32[i] != (float)got[i] && !(isnan(got32[i]) && isnan(got[i]));
            }
            CHECK(bad == 0);
            CHECK(bad32 == 0);
            for (int64_t k = 0; k < size; k++) CHECK(got[5 * size + k] == 0.0);
            CHECK(got[7 * size + size / 2] == 0.0);
            for (int64_t k = 0; k < size; k++) CHECK(isnan(got[9 * size + k])); /* the Inf group */
        }
        free(x), free(want), free(got), free(got3), free(x32), free(got32);
    }
    double one[4] = {1, 2, 3, 4}, out[4];
    grpo_adv_options opt = {GRPO_ADV_GRPO, GRPO_SCALE_GROUP, GRPO_STD_PLUS_EPS, GRPO_SINGLETON_ZERO, 1e-4, 1};
    CHECK(grpo_group_advantages_contiguous(out, GRPO_F64, one, GRPO_F64, 4, 3, &opt, 1) == GRPO_ERR_SHAPE);
    CHECK(grpo_group_advantages_contiguous(out, (grpo_dtype)7, one, GRPO_F64, 4, 2, &opt, 1) == GRPO_ERR_INVALID);
    opt.scale = GRPO_SCALE_BATCH;
    CHECK(grpo_group_advantages_contiguous(out, GRPO_F64, one, GRPO_F64, 4, 2, &opt, 1) == GRPO_ERR_UNSUPPORTED);
}

static void test_policy_loss_fast_equals_plain(void) {
    const int64_t b = 7, t = 333;
    unsigned state = 12345;
    float *l = malloc(sizeof(float) * b * t), *o = malloc(sizeof(float) * b * t);
    float *ref = malloc(sizeof(float) * b * t), *adv = malloc(sizeof(float) * b);
    float *g_fast = malloc(sizeof(float) * b * t), *g_plain = malloc(sizeof(float) * b * t);
    uint8_t *mask = malloc((size_t)(b * t));
    for (int64_t i = 0; i < b * t; i++) {
        mask[i] = uniform(&state) < 0.8;
        l[i] = mask[i] ? (float)(-3.0 * uniform(&state)) : NAN;
        o[i] = mask[i] ? l[i] + (float)(uniform(&state) - 0.5) : INFINITY;
        ref[i] = mask[i] ? l[i] + (float)(0.4 * (uniform(&state) - 0.5)) : -INFINITY;
    }
    for (int64_t i = 0; i < b; i++) adv[i] = (float)(uniform(&state) - 0.5);
    grpo_loss_options opt;
    grpo_loss_options_init(&opt);
    opt.kl_coef = 0.04;
    opt.dual_clip = 3.0;
    opt.log_ratio_clamp[0] = -20;
    opt.log_ratio_clamp[1] = 20;
    opt.kl_log_clamp = 20;
    opt.kl_value_clamp = 10;
    for (int threads = 1; threads <= 2; threads++) {
        opt.num_threads = threads;
        grpo_loss_metrics fast, plain;
        CHECK(grpo_policy_loss(&fast, g_fast, NULL, GRPO_F32, l, o, ref, NULL, adv, 0, mask, NULL, 0,
                               NULL, b, t, &opt) == GRPO_OK);
        CHECK(grpo_policy_loss_plain(&plain, g_plain, NULL, GRPO_F32, l, o, ref, NULL, adv, 0, mask,
                                     NULL, 0, NULL, b, t, &opt) == GRPO_OK);
        /* float32 inputs: the fast path computes per token in float, the plain one in double */
        CHECK(isfinite(fast.loss));
        CHECK_CLOSE(fast.loss, plain.loss, 1e-6);
        CHECK_CLOSE(fast.kl_mean, plain.kl_mean, 1e-6);
        CHECK(fast.clip_low == plain.clip_low && fast.clipfrac == plain.clipfrac);
        int bad = 0;
        for (int64_t i = 0; i < b * t; i++) {
            bad += fabsf(g_fast[i] - g_plain[i]) > 1e-5f * (fabsf(g_plain[i]) + 1e-9f);
            bad += !mask[i] && g_fast[i] != 0.0f;
        }
        CHECK(bad == 0);
    }
    /* documented refusals */
    grpo_loss_metrics m;
    opt.kl_coef = 0.1;
    CHECK(grpo_policy_loss(&m, g_fast, NULL, GRPO_F32, l, o, NULL, NULL, adv, 0, mask, NULL, 0, NULL,
                           b, t, &opt) == GRPO_ERR_INVALID);
    opt.kl_coef = 0.0;
    opt.dual_clip = 0.5;
    CHECK(grpo_policy_loss(&m, g_fast, NULL, GRPO_F32, l, o, NULL, NULL, adv, 0, mask, NULL, 0, NULL,
                           b, t, &opt) == GRPO_ERR_INVALID);
    free(l);
    free(o);
    free(ref);
    free(adv);
    free(g_fast);
    free(g_plain);
    free(mask);
}

/* Log-probs of float32 and float64 logits against a plain double computation, across the
 * kernel's blocks (V not a multiple of them), with a banned (-inf) token; the backward against
 * the same formula; an id outside [0, V) refused with nothing written. */
static void test_logprobs(void) {
    enum { N = 3, V = 1300 };
    unsigned state = 7;
    float *x32 = malloc(sizeof(float) * N * V);
    double *x64 = malloc(sizeof(double) * N * V), *d64 = malloc(sizeof(double) * N * V);
    float *d32 = malloc(sizeof(float) * N * V);
    for (int i = 0; i < N * V; i++) x64[i] = (double)(x32[i] = (float)(6.0 * uniform(&state) - 300.0));
    x32[5] = -INFINITY;
    x64[5] = -INFINITY;
    const int64_t ids[N] = {0, 700, V - 1};
    const double temperature = 0.7, dlogp[N] = {1.0, -0.5, 2.0}, dent[N] = {0.3, 0.0, -1.0};
    double logp32[N], ent32[N], st32[3 * N], logp64[N], ent64[N], st64[3 * N];
    CHECK(grpo_logprobs(logp32, ent32, st32, x32, GRPO_LOGITS_F32, ids, N, V, temperature, 2) == GRPO_OK);
    CHECK(grpo_logprobs(logp64, ent64, st64, x64, GRPO_LOGITS_F64, ids, N, V, temperature, 1) == GRPO_OK);
    CHECK(grpo_logprobs_backward(d32, x32, GRPO_LOGITS_F32, ids, dlogp, dent, st32, N, V, temperature, 2) == GRPO_OK);
    CHECK(grpo_logprobs_backward(d64, x64, GRPO_LOGITS_F64, ids, dlogp, dent, st64, N, V, temperature, 1) == GRPO_OK);
    for (int r = 0; r < N; r++) {
        const double *z = x64 + r * V;
        double mx = -INFINITY, s = 0.0, sz = 0.0;
        for (int j = 0; j < V; j++) mx = z[j] > mx ? z[j] : mx;
        for (int j = 0; j < V; j++) s += exp((z[j] - mx) / temperature);
        double lz = log(s);
        for (int j = 0; j < V; j++) {
            double d = (z[j] - mx) / temperature, p = exp(d - lz);
            if (p > 0) sz += p * d;
        }
        double want = (z[ids[r]] - mx) / temperature - lz;
        CHECK_CLOSE(logp64[r], want, 1e-12);
        CHECK_CLOSE(ent64[r], lz - sz, 1e-12);
        CHECK(fabs(logp32[r] - want) < 1e-5 && fabs(ent32[r] - (lz - sz)) < 1e-5);
        for (int j = 0; j < V; j++) {
            double d = (z[j] - mx) / temperature, p = exp(d - lz);
            double g = (p > 0 ? -p * (dlogp[r] + dent[r] * (d - sz)) : 0.0) + (j == ids[r] ? dlogp[r] : 0.0);
            CHECK(fabs(d64[r * V + j] - g / temperature) < 1e-14);   /* absolute: the terms cancel */
            CHECK(fabs(d32[r * V + j] - g / temperature) < 1e-5);
        }
    }
    const int64_t bad[N] = {0, V, 1};
    logp64[0] = 42.0;
    CHECK(grpo_logprobs(logp64, NULL, NULL, x64, GRPO_LOGITS_F64, bad, N, V, temperature, 1) == GRPO_ERR_INVALID);
    CHECK(logp64[0] == 42.0);
    CHECK(grpo_logprobs(logp64, NULL, NULL, x64, GRPO_LOGITS_F64, ids, N, V, 0.0, 1) == GRPO_ERR_INVALID);
    free(x32);
    free(x64);
    free(d64);
    free(d32);
}

int main(void) {
    test_advantages();
    test_contiguous_advantages();
    test_policy_loss_fast_equals_plain();
    test_logprobs();
    CHECK_DONE();
}
