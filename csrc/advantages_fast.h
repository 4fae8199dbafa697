/*
 * advantages_fast.h - the vectorised GRPO advantages of advantages.c (internal; included once per
 * instruction set with ADV_NAME(x) naming that copy and ADV_W doubles per vector, under a
 * `#pragma GCC target` there).
 *
 * Contiguous groups, statistics of the rewards themselves, two passes per group:
 *  1. the moments of (x - s), s the group's first reward: S1 = sum(x - s), S2 = sum((x - s)^2),
 *     so mean = s + S1/n and M2 = S2 - S1^2/n. Because s is a member, S1^2/n <= n M2: the
 *     subtraction loses at most log2(n + 1) bits, and an all-equal group gives exactly 0.
 *  2. (x - mean) / (std + eps) written out.
 * ADV_W groups are reduced together: their ADV_W accumulator vectors are summed lane-wise by a
 * transposing tree, which leaves group j's moment in lane j, and the mean, sqrt and division
 * then run once per ADV_W groups. A group's sum is the same pairwise tree over its lanes
 * wherever it sits (lane_sum below for groups reduced alone), so results do not depend on how
 * groups are chunked. float32 rewards bound for float64 advantages are widened once per block
 * into an L1-resident buffer (conversions dominate the cost otherwise). float32 to float32 runs
 * pass 2 in float on twice the lanes, the mean split into two floats (hi + lo) so that x - mean
 * keeps double accuracy: four float roundings (2.4e-7 relative) from the float64 result, and
 * no conversion.
 * Groups whose moments are not finite (NaN or Inf among the rewards, or overflow) are redone by
 * the exact scalar route.
 */

typedef double ADV_NAME(vec) __attribute__((vector_size(ADV_W * sizeof(double))));
typedef float ADV_NAME(vec32) __attribute__((vector_size(ADV_W * sizeof(float))));
typedef float ADV_NAME(wide32) __attribute__((vector_size(2 * ADV_W * sizeof(float))));

static inline __attribute__((always_inline)) ADV_NAME(vec) ADV_NAME(load)(const void *p, int64_t k,
                                                                          const int f32) {
    if (f32) {
        ADV_NAME(vec32) v;
        memcpy(&v, (const float *)p + k, sizeof v);
        return __builtin_convertvector(v, ADV_NAME(vec));
    }
    ADV_NAME(vec) v;
    memcpy(&v, (const double *)p + k, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) void ADV_NAME(store)(void *p, int64_t k,
                                                                  ADV_NAME(vec) v, const int f32) {
    if (f32) {
        ADV_NAME(vec32) w = __builtin_convertvector(v, ADV_NAME(vec32));
        memcpy((float *)p + k, &w, sizeof w);
    } else {
        memcpy((double *)p + k, &v, sizeof v);
    }
}

/* adjacent pairs, then pairs of pairs...: the order the transposing tree below adds in */
static inline __attribute__((always_inline)) double ADV_NAME(lane_sum)(ADV_NAME(vec) v) {
    for (int w = 1; w < ADV_W; w *= 2)
        for (int j = 0; j + w < ADV_W; j += 2 * w) v[j] += v[j + w];
    return v[0];
}

/* lane j of the result = lane_sum(a[j]) */
static inline __attribute__((always_inline)) ADV_NAME(vec) ADV_NAME(transpose_sum)(ADV_NAME(vec) *a) {
#if !ADV_HAVE_SHUFFLE /* compilers without __builtin_shufflevector (GCC < 12): the same sums */
    ADV_NAME(vec) r;
    for (int j = 0; j < ADV_W; j++) r[j] = ADV_NAME(lane_sum)(a[j]);
    return r;
#elif ADV_W == 8
    ADV_NAME(vec) p[4], q[2];
    for (int j = 0; j < 4; j++)
        p[j] = __builtin_shufflevector(a[2 * j], a[2 * j + 1], 0, 8, 2, 10, 4, 12, 6, 14) +
               __builtin_shufflevector(a[2 * j], a[2 * j + 1], 1, 9, 3, 11, 5, 13, 7, 15);
    for (int j = 0; j < 2; j++)
        q[j] = __builtin_shufflevector(p[2 * j], p[2 * j + 1], 0, 1, 8, 9, 4, 5, 12, 13) +
               __builtin_shufflevector(p[2 * j], p[2 * j + 1], 2, 3, 10, 11, 6, 7, 14, 15);
    return __builtin_shufflevector(q[0], q[1], 0, 1, 2, 3, 8, 9, 10, 11) +
           __builtin_shufflevector(q[0], q[1], 4, 5, 6, 7, 12, 13, 14, 15);
#elif ADV_W == 4
    ADV_NAME(vec) p[2];
    for (int j = 0; j < 2; j++)
        p[j] = __builtin_shufflevector(a[2 * j], a[2 * j + 1], 0, 4, 2, 6) +
               __builtin_shufflevector(a[2 * j], a[2 * j + 1], 1, 5, 3, 7);
    return __builtin_shufflevector(p[0], p[1], 0, 1, 4, 5) + __builtin_shufflevector(p[0], p[1], 2, 3, 6, 7);
#elif ADV_W == 2
    return __builtin_shufflevector(a[0], a[1], 0, 2) + __builtin_shufflevector(a[0], a[1], 1, 3);
#else
#error "ADV_W must be 2, 4 or 8"
#endif
}

/* S1 and S2 of `groups` (ADV_W, or 1) consecutive groups of src, about shift[j]; lane j of the
 * results belongs to group j. The tail past the last full vector is added in index order. */
static inline __attribute__((always_inline)) void
ADV_NAME(moments)(const void *src, int64_t k0, int64_t size, const double *shift, const int groups,
                  const int src32, ADV_NAME(vec) *s1, ADV_NAME(vec) *s2) {
    ADV_NAME(vec) a1[ADV_W], a2[ADV_W];
    double t1[ADV_W], t2[ADV_W];
    const int64_t full = size - size % ADV_W;
    for (int j = 0; j < groups; j++) {
        a1[j] = a2[j] = (ADV_NAME(vec)){0};
        t1[j] = t2[j] = 0.0;
    }
    for (int64_t k = 0; k < full; k += ADV_W)
        for (int j = 0; j < groups; j++) {
            const ADV_NAME(vec) d = ADV_NAME(load)(src, k0 + j * size + k, src32) - shift[j];
            a1[j] += d;
            a2[j] += d * d;
        }
    for (int j = 0; j < groups; j++)
        for (int64_t k = full; k < size; k++) {
            const double d = reward_at(src, k0 + j * size + k, src32) - shift[j];
            t1[j] += d;
            t2[j] += d * d;
        }
    if (groups == ADV_W) {
        ADV_NAME(vec) tail1, tail2;
        memcpy(&tail1, t1, sizeof tail1);
        memcpy(&tail2, t2, sizeof tail2);
        *s1 = ADV_NAME(transpose_sum)(a1) + tail1;
        *s2 = ADV_NAME(transpose_sum)(a2) + tail2;
    } else {
        (*s1)[0] = ADV_NAME(lane_sum)(a1[0]) + t1[0];
        (*s2)[0] = ADV_NAME(lane_sum)(a2[0]) + t2[0];
    }
}

/* Pass 2 for one group: (x - centre) * inv for x = src[k0_src..], into adv[k0..]. */
static inline __attribute__((always_inline)) void
ADV_NAME(write)(void *adv, int64_t k0, const void *src, int64_t k0_src, int64_t size,
                double centre, double inv, const int src32, const int out32) {
    int64_t k = 0;
    for (; k + ADV_W <= size; k += ADV_W)
        ADV_NAME(store)(adv, k0 + k, (ADV_NAME(load)(src, k0_src + k, src32) - centre) * inv, out32);
    for (; k < size; k++)
        advantage_put(adv, k0 + k, (reward_at(src, k0_src + k, src32) - centre) * inv, out32);
}

/* float32 pass 2 for one group: ((x - centre_hi) - centre_lo) * inv in float. */
static inline __attribute__((always_inline)) void
ADV_NAME(write_single)(float *adv, const float *x, int64_t k0, int64_t size, float centre_hi,
                       float centre_lo, float inv) {
    int64_t k = 0;
    for (; k + 2 * ADV_W <= size; k += 2 * ADV_W) {
        ADV_NAME(wide32) v;
        memcpy(&v, x + k0 + k, sizeof v);
        v = ((v - centre_hi) - centre_lo) * inv;
        memcpy(adv + k0 + k, &v, sizeof v);
    }
    for (; k < size; k++) adv[k0 + k] = ((x[k0 + k] - centre_hi) - centre_lo) * inv;
}

/* Groups of up to 8 rewards: loops across the groups of a block (a lane per group) with the
 * size a constant, so each group's few rewards are read at fixed offsets and each group's sums
 * run in index order. Which route a size takes depends on the size alone, never on where a
 * group falls in the batch, so the bits do not depend on the chunking either. */
static inline __attribute__((always_inline)) void
ADV_NAME(small_moments)(const void *src, int64_t src0, int64_t nb, const int size, const int src32,
                        double *shift, double *s1, double *s2) {
#pragma omp simd
    for (int64_t b = 0; b < nb; b++) {
        const double sh = reward_at(src, src0 + b * size, src32);
        double a1 = 0.0, a2 = 0.0;
        for (int k = 0; k < size; k++) {
            const double d = reward_at(src, src0 + b * size + k, src32) - sh;
            a1 += d;
            a2 += d * d;
        }
        shift[b] = sh;
        s1[b] = a1;
        s2[b] = a2;
    }
}

static inline __attribute__((always_inline)) void
ADV_NAME(small_write)(void *adv, int64_t base, const void *src, int64_t src0, int64_t nb,
                      const int size, const double *centre, const double *inv, const int src32,
                      const int out32) {
#pragma omp simd
    for (int64_t b = 0; b < nb; b++)
        for (int k = 0; k < size; k++)
            advantage_put(adv, base + b * size + k,
                          (reward_at(src, src0 + b * size + k, src32) - centre[b]) * inv[b], out32);
}

static inline __attribute__((always_inline)) void
ADV_NAME(small_write_single)(float *adv, const float *x, int64_t base, int64_t nb, const int size,
                             const float *centre_hi, const float *centre_lo, const float *inv) {
#pragma omp simd
    for (int64_t b = 0; b < nb; b++)
        for (int k = 0; k < size; k++)
            adv[base + b * size + k] = ((x[base + b * size + k] - centre_hi[b]) - centre_lo[b]) * inv[b];
}

/* size as a compile-time constant for the sizes up to 8 */
#define ADV_SMALL_SIZES(CALL)                                                                    \
    switch (size) {                                                                              \
    case 2: CALL(2); break;                                                                      \
    case 3: CALL(3); break;                                                                      \
    case 4: CALL(4); break;                                                                      \
    case 5: CALL(5); break;                                                                      \
    case 6: CALL(6); break;                                                                      \
    case 7: CALL(7); break;                                                                      \
    case 8: CALL(8); break;                                                                      \
    }

/* Groups [g_begin, g_end) of `size` >= 2 rewards each, block by block: the moments of every
 * group of the block, then their statistics in one vectorised loop (so the latencies of the
 * sqrt and divisions overlap), then the writes. */
static inline __attribute__((always_inline)) void
ADV_NAME(groups)(void *adv, const void *rewards, int64_t g_begin, int64_t g_end, int64_t size,
                 const grpo_adv_options *opt, const int in32, const int out32) {
    double wide[ADV_BLOCK_VALUES];
    double shift[ADV_BLOCK_GROUPS], s1[ADV_BLOCK_GROUPS], s2[ADV_BLOCK_GROUPS];
    double centre[ADV_BLOCK_GROUPS], m2[ADV_BLOCK_GROUPS], inv[ADV_BLOCK_GROUPS];
    float centre_hi[ADV_BLOCK_GROUPS], centre_lo[ADV_BLOCK_GROUPS], inv_single[ADV_BLOCK_GROUPS];
    const int single = in32 && out32;
    /* float32 blocks bound for float64 are widened once (ADV_W groups at least); longer groups
     * are read twice */
    const int widen = in32 && !out32 && size * ADV_W <= ADV_BLOCK_VALUES;
    int64_t per_block = ADV_BLOCK_VALUES / size / ADV_W * ADV_W;
    per_block = per_block < ADV_W ? ADV_W : per_block > ADV_BLOCK_GROUPS ? ADV_BLOCK_GROUPS : per_block;
    /* reciprocals: a vector division costs as much as the rest of a small group */
    const double inv_n = 1.0 / (double)size, inv_denom = 1.0 / (double)(size - opt->ddof);
    const double eps = opt->eps;
    const int floor_mode = opt->std_mode == GRPO_STD_FLOOR_PLUS_EPS;
    const int scaled = opt->scale != GRPO_SCALE_NONE;
    for (int64_t g0 = g_begin; g0 < g_end; g0 += per_block) {
        const int64_t nb = g_end - g0 < per_block ? g_end - g0 : per_block;
        const int64_t base = g0 * size;
        const void *src = rewards;
        int64_t src0 = base;
        if (widen) {
            const float *x = (const float *)rewards + base;
            for (int64_t k = 0; k < nb * size; k++) wide[k] = x[k];
            src = wide;
            src0 = 0;
        }
        const int src32 = in32 && !widen;
        const int small = size <= 8;
        if (small) {
#define ADV_SMALL_MOMENTS(k) ADV_NAME(small_moments)(src, src0, nb, k, src32, shift, s1, s2)
            ADV_SMALL_SIZES(ADV_SMALL_MOMENTS)
#undef ADV_SMALL_MOMENTS
        } else {
            for (int64_t b = 0; b < nb; b++) shift[b] = reward_at(src, src0 + b * size, src32);
            int64_t b = 0;
            for (; b + ADV_W <= nb; b += ADV_W) {
                ADV_NAME(vec) v1, v2;
                ADV_NAME(moments)(src, src0 + b * size, size, shift + b, ADV_W, src32, &v1, &v2);
                memcpy(s1 + b, &v1, sizeof v1);
                memcpy(s2 + b, &v2, sizeof v2);
            }
            for (; b < nb; b++) {
                ADV_NAME(vec) v1 = {0}, v2 = {0};
                ADV_NAME(moments)(src, src0 + b * size, size, shift + b, 1, src32, &v1, &v2);
                s1[b] = v1[0];
                s2[b] = v2[0];
            }
        }
#pragma omp simd
        for (int64_t j = 0; j < nb; j++) {
            const double mean_shift = s1[j] * inv_n;
            centre[j] = shift[j] + mean_shift;
            m2[j] = s2[j] - s1[j] * mean_shift;
            const double var = (m2[j] > 0.0 ? m2[j] : 0.0) * inv_denom;
            const double std = sqrt(floor_mode ? (var > eps ? var : eps) : var);
            inv[j] = scaled ? 1.0 / (std + eps) : 1.0;
        }
        if (single)
#pragma omp simd
            for (int64_t j = 0; j < nb; j++) {
                centre_hi[j] = (float)centre[j];
                centre_lo[j] = (float)(centre[j] - (double)centre_hi[j]);
                inv_single[j] = (float)inv[j];
            }
        if (small && single) {
#define ADV_SMALL_WRITE(k)                                                                       \
    ADV_NAME(small_write_single)(adv, rewards, base, nb, k, centre_hi, centre_lo, inv_single)
            ADV_SMALL_SIZES(ADV_SMALL_WRITE)
#undef ADV_SMALL_WRITE
        } else if (small) {
#define ADV_SMALL_WRITE(k) ADV_NAME(small_write)(adv, base, src, src0, nb, k, centre, inv, src32, out32)
            ADV_SMALL_SIZES(ADV_SMALL_WRITE)
#undef ADV_SMALL_WRITE
        }
        for (int64_t j = 0; j < nb; j++) {
            if (!(isfinite(centre[j]) && isfinite(m2[j])))
                careful_group(adv, rewards, base + j * size, size, opt, in32, out32);
            else if (small)
                continue;
            else if (single)
                ADV_NAME(write_single)(adv, rewards, base + j * size, size, centre_hi[j],
                                       centre_lo[j], inv_single[j]);
            else
                ADV_NAME(write)(adv, base + j * size, src, src0 + j * size, size, centre[j], inv[j],
                                src32, out32);
        }
    }
}

static void ADV_NAME(groups_any)(void *adv, grpo_dtype adv_dtype, const void *rewards,
                                 grpo_dtype rewards_dtype, int64_t g_begin, int64_t g_end,
                                 int64_t size, const grpo_adv_options *opt) {
    const int in32 = rewards_dtype == GRPO_F32, out32 = adv_dtype == GRPO_F32;
    if (in32 && out32) ADV_NAME(groups)(adv, rewards, g_begin, g_end, size, opt, 1, 1);
    else if (in32) ADV_NAME(groups)(adv, rewards, g_begin, g_end, size, opt, 1, 0);
    else if (out32) ADV_NAME(groups)(adv, rewards, g_begin, g_end, size, opt, 0, 1);
    else ADV_NAME(groups)(adv, rewards, g_begin, g_end, size, opt, 0, 0);
}
