/*
 * advantages.c - group-relative advantages and the mergeable group statistics behind them.
 *
 * Stance: statistics are exact two-pass sums in double over the scorable (non-NaN) rewards, in
 * index order, so the same rewards always give the same bits whatever the thread count or shard
 * layout. Unscorable rewards never enter a statistic and always get advantage 0, as TRL does.
 * An infinite reward makes every statistic it enters NaN, as TRL, verl and OpenRLHF compute:
 * the scorable rows of its group (of the whole batch under batch scaling) get NaN, never a
 * silent 0.
 * Shapes: rewards/advantages (N,), statistics (G,), whitening (N, T).
 */
#include "grpo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Visits every row i with its group g: group by group for contiguous blocks (no division per
 * row), in index order through group_index otherwise. */
#define FOR_EACH_ROW(i, g, body)                                                                 \
    do {                                                                                         \
        if (group_index == NULL) {                                                               \
            for (int64_t g = 0; g < num_groups; g++)                                             \
                for (int64_t i = g * group_size; i < (g + 1) * group_size; i++) { body }         \
        } else {                                                                                 \
            for (int64_t i = 0; i < n; i++) {                                                    \
                int64_t g = group_index[i];                                                      \
                body                                                                             \
            }                                                                                    \
        }                                                                                        \
    } while (0)

static grpo_status check_groups(int64_t n, const int64_t *group_index, int64_t group_size,
                                int64_t num_groups) {
    if (n < 0 || num_groups < 0) return GRPO_ERR_INVALID;
    if (group_index == NULL) {
        if (group_size < 1 || n % group_size != 0 || n / group_size != num_groups)
            return GRPO_ERR_SHAPE;
        return GRPO_OK;
    }
    for (int64_t i = 0; i < n; i++)
        if (group_index[i] < 0 || group_index[i] >= num_groups) return GRPO_ERR_INVALID;
    return GRPO_OK;
}

/* Count and sum of the scorable values of a contiguous block, then their M2. The vector
 * reduction order is fixed by the build, so the same rewards always give the same bits. */
static inline __attribute__((always_inline)) void block_count_sum(const double *x, int64_t k, int64_t *count, double *sum) {
    double s = 0.0, c = 0.0;
#pragma omp simd reduction(+ : s, c)
    for (int64_t j = 0; j < k; j++) {
        const int ok = x[j] == x[j];
        s += ok ? x[j] : 0.0;
        c += ok ? 1.0 : 0.0;
    }
    *count = (int64_t)c;
    *sum = s;
}

static inline __attribute__((always_inline)) double block_m2(const double *x, int64_t k, double mean) {
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t j = 0; j < k; j++) {
        const double d = x[j] - mean;
        s += x[j] == x[j] ? d * d : 0.0;
    }
    return s;
}

grpo_status grpo_group_stats(int64_t *count, double *sum, double *m2, const double *rewards,
                             int64_t n, const int64_t *group_index, int64_t group_size,
                             int64_t num_groups) {
    grpo_status st = check_groups(n, group_index, group_size, num_groups);
    if (st != GRPO_OK) return st;
    if (group_index == NULL) {
        for (int64_t g = 0; g < num_groups; g++) {
            const double *x = rewards + g * group_size;
            block_count_sum(x, group_size, &count[g], &sum[g]);
            m2[g] = count[g] ? block_m2(x, group_size, sum[g] / (double)count[g]) : 0.0;
        }
        return GRPO_OK;
    }
    for (int64_t g = 0; g < num_groups; g++) {
        count[g] = 0;
        sum[g] = 0.0;
        m2[g] = 0.0;
    }
    for (int64_t i = 0; i < n; i++) {
        double v = rewards[i];
        if (v != v) continue;
        count[group_index[i]] += 1;
        sum[group_index[i]] += v;
    }
    for (int64_t i = 0; i < n; i++) {
        double v = rewards[i];
        int64_t g = group_index[i];
        if (v != v) continue;
        double d = v - sum[g] / (double)count[g];
        m2[g] += d * d;
    }
    return GRPO_OK;
}

grpo_status grpo_merge_group_stats(int64_t *count_a, double *sum_a, double *m2_a,
                                   const int64_t *count_b, const double *sum_b,
                                   const double *m2_b, int64_t num_groups) {
    if (num_groups < 0) return GRPO_ERR_INVALID;
    for (int64_t g = 0; g < num_groups; g++) {
        int64_t na = count_a[g], nb = count_b[g];
        if (nb == 0) continue;
        if (na == 0) {
            count_a[g] = nb;
            sum_a[g] = sum_b[g];
            m2_a[g] = m2_b[g];
            continue;
        }
        double delta = sum_b[g] / (double)nb - sum_a[g] / (double)na;
        double total = (double)(na + nb);
        m2_a[g] += m2_b[g] + delta * delta * ((double)na * (double)nb / total);
        sum_a[g] += sum_b[g];
        count_a[g] = na + nb;
    }
    return GRPO_OK;
}

/* The std a group is divided by, per the options; NaN when the group has too few members for
 * the requested ddof (TRL: NaN std gives advantage 0 after nan_to_num). */
void grpo_adv_options_init(grpo_adv_options *opt) {
    opt->estimator = GRPO_ADV_GRPO;
    opt->scale = GRPO_SCALE_GROUP;
    opt->std_mode = GRPO_STD_PLUS_EPS;
    opt->singleton = GRPO_SINGLETON_ZERO;
    opt->eps = 1e-4;
    opt->ddof = 1;
}

const char *const grpo_adv_estimator_names[] = {"grpo", "rloo", "opo", "gpg", "passk", NULL};
const char *const grpo_adv_scale_names[] = {"group", "batch", "none", NULL};
const char *const grpo_std_mode_names[] = {"plus_eps", "floor_plus_eps", NULL};
const char *const grpo_singleton_names[] = {"zero", "raw", NULL};

static double group_std(int64_t count, double m2, const grpo_adv_options *opt) {
    if (count - opt->ddof <= 0) return NAN;
    double var = m2 / (double)(count - opt->ddof);
    if (opt->std_mode == GRPO_STD_FLOOR_PLUS_EPS) return sqrt(var > opt->eps ? var : opt->eps);
    return sqrt(var);
}

/* Batch statistics as the exact merge of all groups, in group order. */
static void batch_stats(const int64_t *count, const double *sum, const double *m2,
                        int64_t num_groups, int64_t *bc, double *bs, double *bm2) {
    int64_t c = 0;
    double s = 0.0, q = 0.0;
    for (int64_t g = 0; g < num_groups; g++) {
        int64_t one_c = count[g];
        double one_s = sum[g], one_q = m2[g];
        grpo_merge_group_stats(&c, &s, &q, &one_c, &one_s, &one_q, 1);
    }
    *bc = c;
    *bs = s;
    *bm2 = q;
}

static inline double reward_at(const void *p, int64_t k, int f32) {
    return f32 ? (double)((const float *)p)[k] : ((const double *)p)[k];
}

static inline void advantage_put(void *p, int64_t k, double v, int f32) {
    if (f32)
        ((float *)p)[k] = (float)v;
    else
        ((double *)p)[k] = v;
}

/* One contiguous group the exact scalar way: NaN rewards skipped and given 0, the singleton
 * rule applied, a NaN result of a finite group (no std: a singleton under ddof=1) written as 0,
 * every scorable row of a group holding an infinite reward NaN. The vectorised path hands its
 * non-finite groups here. */
static void careful_group(void *adv, const void *rewards, int64_t k0, int64_t size,
                          const grpo_adv_options *opt, int in32, int out32) {
    double sum = 0.0, lo = INFINITY, hi = -INFINITY;
    int64_t count = 0;
    for (int64_t k = k0; k < k0 + size; k++) {
        const double v = reward_at(rewards, k, in32);
        if (v != v) continue;
        count++;
        sum += v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    /* an all-equal group is centred on its value itself, so its advantages are exactly 0 */
    const double mean = count ? (lo == hi ? lo : sum / (double)count) : 0.0;
    double m2 = 0.0;
    for (int64_t k = k0; k < k0 + size; k++) {
        const double d = reward_at(rewards, k, in32) - mean;
        m2 += d == d ? d * d : 0.0;
    }
    const int singleton = count == 1 && opt->singleton == GRPO_SINGLETON_RAW;
    const double std = singleton ? 1.0 : group_std(count, m2, opt);
    const double centre = singleton ? 0.0 : mean;
    const double inv = opt->scale == GRPO_SCALE_NONE ? 1.0 : 1.0 / (std + opt->eps);
    const int infinite = lo == -INFINITY || hi == INFINITY;
    for (int64_t k = k0; k < k0 + size; k++) {
        const double r = reward_at(rewards, k, in32);
        const double a = (r - centre) * inv;
        advantage_put(adv, k, r != r ? 0.0 : infinite ? NAN : a == a ? a : 0.0, out32);
    }
}

/* Blocks of the vectorised path: at most this many rewards (8 kB as float32) or groups. */
enum { ADV_BLOCK_VALUES = 2048, ADV_BLOCK_GROUPS = 256 };

#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define ADV_HAVE_SHUFFLE 1
#endif
#endif
#ifndef ADV_HAVE_SHUFFLE
#define ADV_HAVE_SHUFFLE 0
#endif

typedef void (*adv_groups_fn)(void *, grpo_dtype, const void *, grpo_dtype, int64_t, int64_t,
                              int64_t, const grpo_adv_options *);

#define ADV_NAME(x) x##_generic
#define ADV_W 2
#include "advantages_fast.h"
#undef ADV_W
#undef ADV_NAME
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ADV_HAVE_X86_LEVELS 1
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v3")
#pragma GCC optimize("fp-contract=fast")
#define ADV_NAME(x) x##_v3
#define ADV_W 4
#include "advantages_fast.h"
#undef ADV_W
#undef ADV_NAME
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v4,prefer-vector-width=512")
#pragma GCC optimize("fp-contract=fast")
#define ADV_NAME(x) x##_v4
#define ADV_W 8
#include "advantages_fast.h"
#undef ADV_W
#undef ADV_NAME
#pragma GCC pop_options
#endif

static adv_groups_fn adv_kernel(void) {
#ifdef ADV_HAVE_X86_LEVELS
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"))
        return groups_any_v4;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return groups_any_v3;
#endif
    return groups_any_generic;
}

typedef struct adv_job {
    adv_groups_fn kernel;
    void *adv;
    grpo_dtype adv_dtype, rewards_dtype;
    const void *rewards;
    int64_t size;
    const grpo_adv_options *opt;
} adv_job;

static void adv_range(void *ctx, int64_t begin, int64_t end, int worker) {
    const adv_job *job = ctx;
    if (job->size < 2) {
        for (int64_t g = begin; g < end; g++)
            careful_group(job->adv, job->rewards, g * job->size, job->size, job->opt,
                          job->rewards_dtype == GRPO_F32, job->adv_dtype == GRPO_F32);
        return;
    }
    job->kernel(job->adv, job->adv_dtype, job->rewards, job->rewards_dtype, begin, end, job->size,
                job->opt);
}

grpo_status grpo_group_advantages_contiguous(void *adv, grpo_dtype adv_dtype, const void *rewards,
                                             grpo_dtype rewards_dtype, int64_t n,
                                             int64_t group_size, const grpo_adv_options *opt,
                                             int num_threads) {
    if (!(opt->eps > 0.0) || (opt->ddof != 0 && opt->ddof != 1)) return GRPO_ERR_INVALID;
    if ((adv_dtype != GRPO_F32 && adv_dtype != GRPO_F64) ||
        (rewards_dtype != GRPO_F32 && rewards_dtype != GRPO_F64))
        return GRPO_ERR_INVALID;
    if (n < 0 || group_size < 1 || n % group_size != 0) return GRPO_ERR_SHAPE;
    if (opt->estimator != GRPO_ADV_GRPO || opt->scale == GRPO_SCALE_BATCH)
        return GRPO_ERR_UNSUPPORTED;
    adv_job job = {adv_kernel(), adv, adv_dtype, rewards_dtype, rewards, group_size, opt};
    /* below 32k rewards a second thread costs more than it saves; above, chunks of 4k rewards
     * let a worker that starts late still take a share */
    if (n < 32768) num_threads = 1;
    const int64_t grain = (4096 + group_size - 1) / group_size;
    return grpo_parallel_for(n / group_size, grain, num_threads, adv_range, &job);
}

grpo_status grpo_group_advantages(double *adv, const double *rewards, int64_t n,
                                  const int64_t *group_index, int64_t group_size,
                                  int64_t num_groups, const int64_t *count, const double *sum,
                                  const double *m2, const double *lengths,
                                  const grpo_adv_options *opt) {
    if (!(opt->eps > 0.0) || (opt->ddof != 0 && opt->ddof != 1)) return GRPO_ERR_INVALID;
    if (count == NULL || sum == NULL || m2 == NULL) {
        grpo_status st = check_groups(n, group_index, group_size, num_groups);
        if (st != GRPO_OK) return st;
        if (group_index == NULL && opt->estimator == GRPO_ADV_GRPO && opt->scale != GRPO_SCALE_BATCH)
            return grpo_group_advantages_contiguous(adv, GRPO_F64, rewards, GRPO_F64, n,
                                                    group_size, opt, 1);
        size_t g_alloc = (size_t)(num_groups > 0 ? num_groups : 1);
        int64_t *c = malloc(sizeof(int64_t) * g_alloc);
        double *s = malloc(sizeof(double) * g_alloc * 2);
        if (!c || !s) {
            free(c);
            free(s);
            return GRPO_ERR_NOMEM;
        }
        st = grpo_group_stats(c, s, s + g_alloc, rewards, n, group_index, group_size, num_groups);
        if (st == GRPO_OK)
            st = grpo_group_advantages(adv, rewards, n, group_index, group_size, num_groups, c, s,
                                       s + g_alloc, lengths, opt);
        free(c);
        free(s);
        return st;
    }
    if (opt->estimator == GRPO_ADV_OPO && lengths == NULL) return GRPO_ERR_INVALID;
    grpo_status st = check_groups(n, group_index, group_size, num_groups);
    if (st != GRPO_OK) return st;

    /* Per-group centre and inverse scale; singleton groups follow the chosen rule. */
    double *centre = malloc(sizeof(double) * (size_t)(num_groups > 0 ? num_groups : 1) * 2);
    if (!centre) return GRPO_ERR_NOMEM;
    double *inv_scale = centre + (num_groups > 0 ? num_groups : 1);

    /* A group's sum is infinite exactly when it holds an infinite reward (or overflowed). */
    int any_infinite = 0;
    for (int64_t g = 0; g < num_groups; g++) any_infinite |= !isfinite(sum[g]);
    double batch_std = 1.0;
    if (opt->scale == GRPO_SCALE_BATCH) {
        int64_t bc;
        double bs, bm2;
        batch_stats(count, sum, m2, num_groups, &bc, &bs, &bm2);
        batch_std = group_std(bc, bm2, opt);
    }
    for (int64_t g = 0; g < num_groups; g++) {
        int singleton = count[g] == 1 && opt->singleton == GRPO_SINGLETON_RAW;
        centre[g] = count[g] ? sum[g] / (double)count[g] : 0.0;
        double std = singleton ? 1.0 : group_std(count[g], m2[g], opt);
        if (singleton) centre[g] = 0.0;
        if (opt->scale == GRPO_SCALE_BATCH) std = batch_std;
        inv_scale[g] = 1.0 / (std + opt->eps);
    }

    switch (opt->estimator) {
    case GRPO_ADV_GRPO: {
        const int scaled = opt->scale != GRPO_SCALE_NONE;
        FOR_EACH_ROW(i, g, {
            double a = rewards[i] - centre[g];
            a = scaled ? a * inv_scale[g] : a;
            adv[i] = a == a ? a : 0.0;
        });
        break;
    }
    case GRPO_ADV_RLOO:
        FOR_EACH_ROW(i, g, {
            int64_t c = count[g];
            double a;
            if (c == 1)
                a = opt->singleton == GRPO_SINGLETON_RAW ? rewards[i] : 0.0;
            else
                a = ((double)c * rewards[i] - sum[g]) / (double)(c - 1);
            adv[i] = a == a ? a : 0.0;
        });
        break;
    case GRPO_ADV_GPG: {
        int64_t nonzero = 0;
        for (int64_t i = 0; i < n; i++) nonzero += rewards[i] == rewards[i] && rewards[i] != 0.0;
        double alpha = (double)n / (double)(nonzero > 1 ? nonzero : 1);
        FOR_EACH_ROW(i, g, {
            int zero_singleton = count[g] == 1 && opt->singleton == GRPO_SINGLETON_ZERO;
            double a = zero_singleton ? 0.0 : alpha * (rewards[i] - centre[g]);
            adv[i] = a == a ? a : 0.0;
        });
        break;
    }
    case GRPO_ADV_OPO: {
        /* Length-weighted baseline: sum_j |o_j| r_j / sum_j |o_j| over scorable members. */
        double *wsum = calloc((size_t)(num_groups > 0 ? num_groups : 1) * 2, sizeof(double));
        if (!wsum) {
            free(centre);
            return GRPO_ERR_NOMEM;
        }
        double *lsum = wsum + (num_groups > 0 ? num_groups : 1);
        FOR_EACH_ROW(i, g, {
            if (rewards[i] == rewards[i]) {
                wsum[g] += lengths[i] * rewards[i];
                lsum[g] += lengths[i];
            }
        });
        FOR_EACH_ROW(i, g, {
            double a;
            if (count[g] == 1)
                a = opt->singleton == GRPO_SINGLETON_RAW ? rewards[i] : 0.0;
            else
                a = rewards[i] - (lsum[g] != 0.0 ? wsum[g] / lsum[g] : 0.0);
            adv[i] = a == a ? a : 0.0;
        });
        free(wsum);
        break;
    }
    case GRPO_ADV_PASSK: {
        /* Only the first member holding the group maximum is credited, by its margin over the
         * runner-up (torch.topk keeps the first index on ties). */
        int64_t *best = malloc(sizeof(int64_t) * (size_t)(num_groups > 0 ? num_groups : 1) * 2);
        if (!best) {
            free(centre);
            return GRPO_ERR_NOMEM;
        }
        int64_t *second = best + (num_groups > 0 ? num_groups : 1);
        for (int64_t g = 0; g < num_groups; g++) best[g] = second[g] = -1;
        for (int64_t i = 0; i < n; i++) adv[i] = 0.0;
        /* rows are visited in index order within each group, so ties keep the first index */
        FOR_EACH_ROW(i, g, {
            if (rewards[i] == rewards[i]) {
                if (best[g] < 0 || rewards[i] > rewards[best[g]]) {
                    second[g] = best[g];
                    best[g] = i;
                } else if (second[g] < 0 || rewards[i] > rewards[second[g]]) {
                    second[g] = i;
                }
            }
        });
        for (int64_t g = 0; g < num_groups; g++) {
            if (best[g] < 0 || second[g] < 0) continue;
            double a = rewards[best[g]] - rewards[second[g]];
            if (opt->scale != GRPO_SCALE_NONE) a *= inv_scale[g];
            adv[best[g]] = a == a ? a : 0.0;
        }
        free(best);
        break;
    }
    default:
        free(centre);
        return GRPO_ERR_INVALID;
    }
    if (any_infinite) {
        const int whole_batch = opt->scale == GRPO_SCALE_BATCH;
        FOR_EACH_ROW(i, g, {
            if (rewards[i] == rewards[i] && (whole_batch || !isfinite(sum[g]))) adv[i] = NAN;
        });
    }
    free(centre);
    return GRPO_OK;
}

grpo_status grpo_whiten_tokens(double *out, const double *adv, const uint8_t *mask, int64_t n,
                               int64_t t, int ddof, double eps, int eps_is_floor) {
    if (n < 0 || t < 0 || (ddof != 0 && ddof != 1) || !(eps > 0.0))
        return GRPO_ERR_INVALID;
    int64_t tokens = 0;
    double total = 0.0;
    for (int64_t i = 0; i < n; i++) {
        int64_t len = 0;
        for (int64_t j = 0; j < t; j++) len += mask[i * t + j] != 0;
        tokens += len;
        total += (double)len * adv[i];
    }
    /* the unbiased variance of fewer than two tokens is undefined */
    if (ddof == 1 && tokens < 2) return GRPO_ERR_INVALID;
    double count = (double)tokens;
    double mean = count > 0 ? total / count : 0.0;
    double m2 = 0.0;
    for (int64_t i = 0; i < n; i++) {
        int64_t len = 0;
        for (int64_t j = 0; j < t; j++) len += mask[i * t + j] != 0;
        double d = adv[i] - mean;
        m2 += (double)len * d * d;
    }
    double var = count > 0 ? m2 / count : 0.0;
    if (ddof == 1) var *= (double)tokens / (double)(tokens - 1);
    double inv = 1.0 / sqrt(eps_is_floor ? (var > eps ? var : eps) : var + eps);
    for (int64_t i = 0; i < n; i++) {
        double v = (adv[i] - mean) * inv;
        for (int64_t j = 0; j < t; j++) out[i * t + j] = mask[i * t + j] ? v : 0.0;
    }
    return GRPO_OK;
}
