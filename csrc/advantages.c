/*
 * advantages.c - group-relative advantages and the mergeable group statistics behind them.
 *
 * Stance: statistics are exact two-pass sums in double over the scorable (non-NaN) rewards, in
 * index order, so the same rewards always give the same bits whatever the thread count or shard
 * layout. Unscorable rewards never enter a statistic and always get advantage 0, as TRL does.
 * Shapes: rewards/advantages (N,), statistics (G,), whitening (N, T).
 */
#include "grpo.h"

#include <math.h>
#include <stdlib.h>

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

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define FUSED_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FUSED_CLONES
#endif

/* The common case in one pass over memory: contiguous groups, GRPO, group std or none; each
 * group's statistics and advantages are computed while its rewards are in cache. */
FUSED_CLONES static void fused_grpo(double *adv, const double *rewards, int64_t group_size,
                                    int64_t num_groups, const grpo_adv_options *opt) {
    for (int64_t g = 0; g < num_groups; g++) {
        const double *x = rewards + g * group_size;
        double *a = adv + g * group_size;
        double sum = 0.0, scored = 0.0, lo = INFINITY, hi = -INFINITY;
#pragma omp simd reduction(+ : sum, scored) reduction(min : lo) reduction(max : hi)
        for (int64_t j = 0; j < group_size; j++) {
            const int ok = x[j] == x[j];
            sum += ok ? x[j] : 0.0;
            scored += ok ? 1.0 : 0.0;
            lo = x[j] < lo ? x[j] : lo; /* NaN compares false: never taken */
            hi = x[j] > hi ? x[j] : hi;
        }
        const int64_t count = (int64_t)scored;
        /* an all-equal group is centred on its value itself, so its advantages are exactly 0
         * rather than the rounding residue of sum / count */
        double mean = count ? (lo == hi ? lo : sum / (double)count) : 0.0;
        int singleton = count == 1 && opt->singleton == GRPO_SINGLETON_RAW;
        double std = singleton ? 1.0 : group_std(count, block_m2(x, group_size, mean), opt);
        double centre = singleton ? 0.0 : mean;
        double inv = opt->scale == GRPO_SCALE_NONE ? 1.0 : 1.0 / (std + opt->eps);
#pragma omp simd
        for (int64_t j = 0; j < group_size; j++) {
            const double v = (x[j] - centre) * inv;
            a[j] = v == v ? v : 0.0;
        }
    }
}

grpo_status grpo_group_advantages_f32(double *adv, const float *rewards, int64_t n,
                                      int64_t group_size, const grpo_adv_options *opt) {
    enum { MAX_GROUP = 1024 };
    if (!(opt->eps > 0.0) || (opt->ddof != 0 && opt->ddof != 1)) return GRPO_ERR_INVALID;
    if (group_size < 1 || n % group_size != 0) return GRPO_ERR_SHAPE;
    if (opt->estimator != GRPO_ADV_GRPO || opt->scale == GRPO_SCALE_BATCH || group_size > MAX_GROUP)
        return GRPO_ERR_UNSUPPORTED;
    /* each group is widened into a stack buffer, so float32 rewards need no converted copy */
    double widened[MAX_GROUP];
    for (int64_t g = 0; g < n / group_size; g++) {
        for (int64_t j = 0; j < group_size; j++) widened[j] = rewards[g * group_size + j];
        fused_grpo(adv + g * group_size, widened, group_size, 1, opt);
    }
    return GRPO_OK;
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
        if (group_index == NULL && opt->estimator == GRPO_ADV_GRPO && opt->scale != GRPO_SCALE_BATCH) {
            fused_grpo(adv, rewards, group_size, num_groups, opt);
            return GRPO_OK;
        }
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
    free(centre);
    return GRPO_OK;
}

grpo_status grpo_whiten_tokens(double *out, const double *adv, const uint8_t *mask, int64_t n,
                               int64_t t, int ddof, double eps, int eps_is_floor, double count_eps) {
    if (n < 0 || t < 0 || (ddof != 0 && ddof != 1) || !(eps > 0.0) || !(count_eps >= 0.0))
        return GRPO_ERR_INVALID;
    int64_t tokens = 0;
    double total = 0.0;
    for (int64_t i = 0; i < n; i++) {
        int64_t len = 0;
        for (int64_t j = 0; j < t; j++) len += mask[i * t + j] != 0;
        tokens += len;
        total += (double)len * adv[i];
    }
    double count = (double)tokens + count_eps;
    double mean = count > 0 ? total / count : 0.0;
    double m2 = 0.0;
    for (int64_t i = 0; i < n; i++) {
        int64_t len = 0;
        for (int64_t j = 0; j < t; j++) len += mask[i * t + j] != 0;
        double d = adv[i] - mean;
        m2 += (double)len * d * d;
    }
    double var = count > 0 ? m2 / count : 0.0;
    if (ddof == 1) var = tokens > 1 ? var * (double)tokens / (double)(tokens - 1) : 0.0;
    double inv = 1.0 / sqrt(eps_is_floor ? (var > eps ? var : eps) : var + eps);
    for (int64_t i = 0; i < n; i++) {
        double v = (adv[i] - mean) * inv;
        for (int64_t j = 0; j < t; j++) out[i * t + j] = mask[i * t + j] ? v : 0.0;
    }
    return GRPO_OK;
}
