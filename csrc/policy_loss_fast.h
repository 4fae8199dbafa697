/*
 * policy_loss_fast.h - the vectorised fast path of policy_loss.c (internal; included once per
 * instruction set with FAST_NAME(x) naming that copy, under a `#pragma GCC target` there).
 *
 * The common configuration - token ratio, PPO clip (asymmetric, dual clip, delta, log-ratio
 * clamp), optional k3 KL with its clamps or straight-through gradient, no rollout weights or
 * extra masks - as branch-free loops per row: fast_row for double buffers, fast_row_single
 * for float ones.
 * score_row() in policy_loss.c computes the same formula token by token and is its oracle.
 */

/* Each row is one loop over its tokens: the ratio, the KL term and the surrogate of a token are
 * computed in turn, so nothing goes through memory but the inputs and the gradient. Comparisons
 * are combined with & and every choice is a plain select: the loop has no control flow and
 * vectorises. The "simple" copies (no clamps, delta or dual clip: TRL's defaults) fold those
 * selects away; for float the simple loop is written out on its own, which measured faster. */

static inline __attribute__((always_inline)) fast_sums
FAST_NAME(fast_row)(const loss_job *job, int64_t r, double wp, double wk, const int use_kl,
                    const int adv_tok, const int simple) {
    const grpo_loss_options *opt = job->opt;
    const int64_t t = job->t, row = r * t;
    /* every pointer is hoisted into a restrict local: a store through job->grad could
     * otherwise alias the job and force reloads that block vectorisation */
    const uint8_t *restrict mask = job->mask;
    const double *restrict l = job->l;
    const double *restrict o = job->o ? job->o : job->l;
    const double *restrict ref = use_kl ? job->ref : job->l;
    const double *restrict adv = job->adv;
    double *restrict grad = job->grad;
    const double a_row = adv_tok ? 0.0 : adv[r];
    const double lo = 1.0 - opt->clip_low, hi = 1.0 + opt->clip_high;
    const double delta = opt->delta > 0 ? opt->delta : INFINITY;
    const double dual = opt->dual_clip;
    const double xlo = opt->log_ratio_clamp[0], xhi = opt->log_ratio_clamp[1];
    const int ppo_kl_raw = opt->ppo_kl_raw;
    const double klc = opt->kl_coef, dlim = opt->kl_log_clamp, klim = opt->kl_value_clamp;
    const double straight = opt->kl_straight_through ? 1.0 : 0.0;
    const double ratio_kl = opt->kl_ratio_weighted ? 1.0 : 0.0; /* TRL: KL times the live ratio */
    const double klw = klc * wk;
    double s_loss = 0, s_klsum = 0, s_low = 0, s_high = 0, s_clip = 0, s_dual = 0, s_ppokl = 0;
    double s_ratio = 0;

#pragma omp simd simdlen(8) reduction(+ : s_loss, s_klsum, s_low, s_high, s_clip, s_dual, s_ppokl, s_ratio)
    for (int64_t j = 0; j < t; j++) {
        const double on = mask[row + j] ? 1.0 : 0.0;
        const double x = l[row + j] - o[row + j];
        double xc = x < xlo ? xlo : x;
        xc = simple ? x : xc > xhi ? xhi : xc;
        const double rt = fast_exp(xc);
        const double drt = simple ? rt : (x >= xlo) & (x <= xhi) ? rt : 0.0;
        double k = 0.0, dk = 0.0;
        if (use_kl) {
            const double d = l[row + j] - ref[row + j];
            double dc = d < -dlim ? -dlim : d;
            dc = simple ? d : dc > dlim ? dlim : dc;
            const double e = fast_exp(-dc);
            const double raw = e + dc - 1.0;
            if (simple) {
                k = raw;
                dk = 1.0 - e;
            } else {
                const double inside = (raw >= -klim) & (raw <= klim) & (d >= -dlim) & (d <= dlim) ? 1.0 : 0.0;
                k = raw > klim ? klim : raw;
                k = k < -klim ? -klim : k;
                dk = straight * d + (1.0 - straight) * (1.0 - e) * inside;
            }
        }
        const double a = adv_tok ? adv[row + j] : a_row;
        double c2 = rt < lo ? lo : rt;
        c2 = c2 > hi ? hi : c2;
        const double dc2 = (rt >= lo) & (rt <= hi) ? 1.0 : 0.0;
        const double c1 = simple ? rt : rt > delta ? delta : rt;
        const double dc1 = simple ? 1.0 : rt > delta ? 0.0 : 1.0;
        const double v1 = c1 * a, v2 = c2 * a;
        const double w1 = v1 < v2 ? 1.0 : (v1 == v2 ? 0.5 : 0.0);
        const double base = -(v1 < v2 ? v1 : v2);
        const double cap = -a * dual;
        const double dual_f = (!simple) & (dual > 0) & (a < 0) ? 1.0 : 0.0;
        const double below = cap < base ? dual_f : 0.0; /* the dual-clip cap binds */
        const double tie = cap == base ? dual_f : 0.0;
        const double loss = below > 0.0 ? cap : base;
        const double dual_factor = simple ? 1.0 : 1.0 - below - 0.5 * tie;
        double g = -wp * (w1 * dc1 + (1.0 - w1) * dc2) * a * dual_factor * drt;
        if (use_kl) {
            const double kr = ratio_kl > 0.0 ? rt : 1.0;
            g += klw * (dk * kr + ratio_kl * k * drt);
            k *= kr;
        }
        grad[row + j] = on > 0.0 ? g : 0.0;
        s_loss += on > 0.0 ? loss : 0.0;
        if (use_kl) s_klsum += on > 0.0 ? k : 0.0;
        s_low += (rt < lo) & (a < 0) ? on : 0.0;
        s_high += (rt > hi) & (a > 0) ? on : 0.0;
        s_clip += v2 < v1 ? on : 0.0;
        if (!simple) s_dual += base > cap ? dual_f * on : 0.0;
        if (simple != 2) {
            s_ppokl += on > 0.0 ? -(ppo_kl_raw ? x : xc) : 0.0;
            s_ratio += on > 0.0 ? rt : 0.0;
        }
    }
    /* the row weights are constant along the row, so they multiply the sums once; low and high
     * clipping never coincide (they need opposite advantage signs), so region is their sum */
    fast_sums out = {wp * s_loss, wk * s_klsum, s_klsum, s_low, s_high, s_low + s_high, s_clip,
                     s_dual, s_ppokl, s_ratio};
    return out;
}


/* k3 = exp(-d) + d - 1 and its derivative 1 - exp(-d), in float. Both cancel for small |d|:
 * there k3 comes from its series (error < 1e-8 relative for |d| <= 1/2) and the derivative as
 * d - k3, where d dominates. */
static inline __attribute__((always_inline)) void FAST_NAME(k3_single)(float d, float *k3,
                                                                        float *grad_k3) {
    const float e = fast_expf(-d);
    float sk = 1.0f / 40320.0f;
    sk = 1.0f / 5040.0f - d * sk;
    sk = 1.0f / 720.0f - d * sk;
    sk = 1.0f / 120.0f - d * sk;
    sk = 1.0f / 24.0f - d * sk;
    sk = 1.0f / 6.0f - d * sk;
    sk = 0.5f - d * sk; /* k3 / d^2 */
    const int small = (d > -0.5f) & (d < 0.5f);
    *k3 = small ? d * d * sk : e + d - 1.0f;
    *grad_k3 = small ? d - *k3 : 1.0f - e;
}

/* float32 inputs compute per token in float (twice the vector width; float32 is the
 * precision the inputs carry), with the k3 term's cancellation near d = 0 avoided by its
 * series, and every sum in double. */
static inline __attribute__((always_inline)) fast_sums
FAST_NAME(fast_row_single)(const loss_job *job, int64_t r, double wp, double wk, const int use_kl,
                           const int adv_tok, const int simple) {
    const grpo_loss_options *opt = job->opt;
    const int64_t t = job->t, row = r * t;
    const uint8_t *restrict mask = job->mask;
    const float *restrict l = job->l;
    const float *restrict o = job->o ? job->o : job->l;
    const float *restrict ref = use_kl ? job->ref : job->l;
    const float *restrict adv = job->adv;
    float *restrict grad = job->grad;
    const float a_row = adv_tok ? 0.0f : adv[r];
    const float lo = (float)(1.0 - opt->clip_low), hi = (float)(1.0 + opt->clip_high);
    const float delta = opt->delta > 0 ? (float)opt->delta : INFINITY;
    const float dual = (float)opt->dual_clip;
    const float xlo = (float)opt->log_ratio_clamp[0], xhi = (float)opt->log_ratio_clamp[1];
    const int ppo_kl_raw = opt->ppo_kl_raw;
    const float dlimf = (float)opt->kl_log_clamp, klimf = (float)opt->kl_value_clamp;
    const float straightf = opt->kl_straight_through ? 1.0f : 0.0f;
    const float ratio_kl = opt->kl_ratio_weighted ? 1.0f : 0.0f; /* TRL: KL times the live ratio */
    const float wpf = (float)wp, klw = (float)(opt->kl_coef * wk);
    double s_loss = 0, s_klsum = 0, s_ppokl = 0, s_ratio = 0;
    int32_t n_low = 0, n_high = 0, n_clip = 0, n_dual = 0; /* counts: exact in int, cheaper */

    if (simple) {
        /* written out on its own: the general loop below with these constants folded runs
         * ~7% slower here (it vectorises differently) */
#pragma omp simd simdlen(16) reduction(+ : s_loss, s_klsum, s_ppokl, s_ratio, n_low, n_high, n_clip)
        for (int64_t j = 0; j < t; j++) {
            const int on = mask[row + j] != 0;
            const float x = l[row + j] - o[row + j];
            const float rt = fast_expf(x);
            float raw = 0.0f, grad_k = 0.0f;
            if (use_kl) FAST_NAME(k3_single)(l[row + j] - ref[row + j], &raw, &grad_k);
            const float a = adv_tok ? adv[row + j] : a_row;
            float c2 = rt < lo ? lo : rt;
            c2 = c2 > hi ? hi : c2;
            const float dc2 = (rt >= lo) & (rt <= hi) ? 1.0f : 0.0f;
            const float v1 = rt * a, v2 = c2 * a;
            const float w1 = v1 < v2 ? 1.0f : (v1 == v2 ? 0.5f : 0.0f);
            const float base = -(v1 < v2 ? v1 : v2);
            float g = -wpf * (w1 + (1.0f - w1) * dc2) * a * rt;
            if (use_kl) {
                const float kr = ratio_kl > 0.0f ? rt : 1.0f;
                g += klw * (grad_k * kr + ratio_kl * raw * rt);
                raw *= kr;
            }
            grad[row + j] = on ? g : 0.0f;
            s_loss += on ? (double)base : 0.0;
            if (use_kl) s_klsum += on ? (double)raw : 0.0;
            n_low += on & (rt < lo) & (a < 0);
            n_high += on & (rt > hi) & (a > 0);
            n_clip += on & (v2 < v1);
            if (simple != 2) {
                s_ppokl += on ? -(double)x : 0.0;
                s_ratio += on ? (double)rt : 0.0;
            }
        }
    } else {
#pragma omp simd simdlen(16) reduction(+ : s_loss, s_klsum, s_ppokl, s_ratio, n_low, n_high, n_clip, n_dual)
        for (int64_t j = 0; j < t; j++) {
            const int on = mask[row + j] != 0;
            const float x = l[row + j] - o[row + j];
            float xc = x < xlo ? xlo : x;
            xc = xc > xhi ? xhi : xc;
            const float rt = fast_expf(xc);
            const float drt = (x >= xlo) & (x <= xhi) ? rt : 0.0f;
            float k = 0.0f, dk = 0.0f;
            if (use_kl) {
                const float d = l[row + j] - ref[row + j];
                float dc = d < -dlimf ? -dlimf : d;
                dc = dc > dlimf ? dlimf : dc;
                float raw, grad_k;
                FAST_NAME(k3_single)(dc, &raw, &grad_k);
                const float inside = (raw >= -klimf) & (raw <= klimf) & (d >= -dlimf) & (d <= dlimf) ? 1.0f : 0.0f;
                k = raw > klimf ? klimf : raw;
                k = k < -klimf ? -klimf : k;
                dk = straightf * d + (1.0f - straightf) * grad_k * inside;
            }
            const float a = adv_tok ? adv[row + j] : a_row;
            float c2 = rt < lo ? lo : rt;
            c2 = c2 > hi ? hi : c2;
            const float dc2 = (rt >= lo) & (rt <= hi) ? 1.0f : 0.0f;
            const float c1 = rt > delta ? delta : rt;
            const float dc1 = rt > delta ? 0.0f : 1.0f;
            const float v1 = c1 * a, v2 = c2 * a;
            const float w1 = v1 < v2 ? 1.0f : (v1 == v2 ? 0.5f : 0.0f);
            const float base = -(v1 < v2 ? v1 : v2);
            const float cap = -a * dual;
            const float dual_f = (dual > 0) & (a < 0) ? 1.0f : 0.0f;
            const float below = cap < base ? dual_f : 0.0f; /* the dual-clip cap binds */
            const float tie = cap == base ? dual_f : 0.0f;
            const float loss = below > 0.0f ? cap : base;
            float g = -wpf * (w1 * dc1 + (1.0f - w1) * dc2) * a * (1.0f - below - 0.5f * tie) * drt;
            if (use_kl) {
                const float kr = ratio_kl > 0.0f ? rt : 1.0f;
                g += klw * (dk * kr + ratio_kl * k * drt);
                k *= kr;
            }
            grad[row + j] = on ? g : 0.0f;
            s_loss += on ? (double)loss : 0.0;
            if (use_kl) s_klsum += on ? (double)k : 0.0;
            n_low += on & (rt < lo) & (a < 0);
            n_high += on & (rt > hi) & (a > 0);
            n_clip += on & (v2 < v1);
            n_dual += on & (base > cap) & (dual_f > 0);
            s_ppokl += on ? -(double)(ppo_kl_raw ? x : xc) : 0.0;
            s_ratio += on ? (double)rt : 0.0;
        }
    }
    fast_sums out = {wp * s_loss, wk * s_klsum, s_klsum, n_low, n_high, n_low + n_high, n_clip,
                     n_dual, s_ppokl, s_ratio};
    return out;
}

/* One specialisation per (dtype, KL, per-token advantage, simple); constant flags fold away.
 * "simple" (1) is the plain PPO clip with an unclamped KL (no delta, dual clip, log-ratio or KL
 * clamps, straight-through): TRL's defaults, a quarter fewer operations per token; 2 is the same
 * without the ppo_kl and ratio_mean sums, for callers that do not report them (TRL). */
#define FAST_VARIANT(NAME, ROW, KL, TOK, SIMPLE)                                                 \
    static fast_sums FAST_NAME(NAME)(const loss_job *job, int64_t r, double wp, double wk) {     \
        return FAST_NAME(ROW)(job, r, wp, wk, KL, TOK, SIMPLE);                                  \
    }
#define FAST_VARIANTS(DT, ROW, SIMPLE, S)                                                        \
    FAST_VARIANT(DT##_plain##S, ROW, 0, 0, SIMPLE)                                               \
    FAST_VARIANT(DT##_kl##S, ROW, 1, 0, SIMPLE)                                                  \
    FAST_VARIANT(DT##_tok##S, ROW, 0, 1, SIMPLE)                                                 \
    FAST_VARIANT(DT##_kl_tok##S, ROW, 1, 1, SIMPLE)
FAST_VARIANTS(f32, fast_row_single, 0, )
FAST_VARIANTS(f32, fast_row_single, 1, _simple)
FAST_VARIANTS(f32, fast_row_single, 2, _lean)
FAST_VARIANTS(f64, fast_row, 0, )
FAST_VARIANTS(f64, fast_row, 1, _simple)
FAST_VARIANTS(f64, fast_row, 2, _lean)
#undef FAST_VARIANTS
#undef FAST_VARIANT

#define FAST_ROW_TABLE(DT, S)                                                                    \
    {{FAST_NAME(DT##_plain##S), FAST_NAME(DT##_tok##S)}, {FAST_NAME(DT##_kl##S), FAST_NAME(DT##_kl_tok##S)}}
/* [dtype][general, simple, lean][kl][per-token advantage] */
static const fast_row_fn FAST_NAME(table)[2][3][2][2] = {
    {FAST_ROW_TABLE(f32, ), FAST_ROW_TABLE(f32, _simple), FAST_ROW_TABLE(f32, _lean)},
    {FAST_ROW_TABLE(f64, ), FAST_ROW_TABLE(f64, _simple), FAST_ROW_TABLE(f64, _lean)}};
#undef FAST_ROW_TABLE
