/*
 * policy_loss.c - the GRPO policy loss (forward) and its exact gradient (backward), in one pass.
 *
 * Stance: every option of TRL, verl and OpenRLHF is one point in a single parametrised formula
 * (see grpo.h); the gradient is the derivative of exactly what the forward computed, with
 * PyTorch's conventions at kinks (min/max ties split half and half, clamps pass at their
 * bounds), so it matches autograd on the peers' code. Masked positions are skipped by selection,
 * never by multiplication, so NaN/Inf there cannot leak. Rows are independent work items and
 * their partial sums are combined in row order, so results do not depend on the thread count.
 * Shapes: (B, T) per-token buffers, (B,) per-row buffers.
 */
#include "grpo.h"
#include "fastmath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void grpo_loss_options_init(grpo_loss_options *opt) {
    memset(opt, 0, sizeof(*opt));
    opt->ratio_level = GRPO_RATIO_TOKEN;
    opt->surrogate = GRPO_SURR_PPO;
    opt->clip_low = 0.2;
    opt->clip_high = 0.2;
    opt->log_ratio_clamp[0] = opt->cispo_bounds[0] = opt->is_bounds[0] = -INFINITY;
    opt->log_ratio_clamp[1] = opt->cispo_bounds[1] = opt->is_bounds[1] = INFINITY;
    opt->sapo_tau[0] = 1.0;
    opt->sapo_tau[1] = 1.05;
    opt->vespo_k[0] = 2.0;
    opt->vespo_k[1] = 3.0;
    opt->vespo_lambda[0] = 3.0;
    opt->vespo_lambda[1] = 2.0;
    opt->is_level = GRPO_IS_NONE;
    opt->is_mode = GRPO_IS_TRUNCATE;
    opt->is_log_clamp = INFINITY;
    opt->off_policy_threshold = NAN;
    opt->kl_estimator = GRPO_KL_K3;
    opt->kl_log_clamp = INFINITY;
    opt->kl_value_clamp = INFINITY;
    opt->aggregation.mode = GRPO_AGG_TOKEN_MEAN;
    opt->aggregation.scale = 1.0;
    opt->kl_aggregation = opt->aggregation;
    opt->num_threads = 1;
}

const char *const grpo_ratio_level_names[] = {"token", "sequence", "sequence_token", NULL};
const char *const grpo_surrogate_names[] = {"ppo", "cispo", "sapo", "reinforce", "vespo", "gmpo",
                                            "dppo_tv", "dppo_kl", "dro", "kl_cov", NULL};
const char *const grpo_kl_estimator_names[] = {"k1", "abs", "k2", "k3", NULL};
const char *const grpo_agg_mode_names[] = {"token_mean", "token_sum_norm", "seq_mean_token_mean",
                                           "seq_mean_token_mean_all_rows", "seq_mean_token_sum",
                                           "length_weighted", "seq_mean_token_sum_norm", NULL};
const char *const grpo_is_level_names[] = {"none", "token", "sequence", "sequence_mask", NULL};
const char *const grpo_is_mode_names[] = {"truncate", "mask", NULL};

/* ------------------------------------------------------------------ per-row state */

typedef struct {
    int64_t n;          /* tokens under the mask */
    double u;           /* sequence log ratio after its clamp */
    int u_pass;         /* the clamp of u passes the gradient */
    double seq_len;     /* the divisor of the sequence mean that defines u */
    double seq_is;      /* sequence-level importance weight */
    int low_kl;         /* off-policy sequence mask: mean_t (v - l) <= threshold */
    double phi;         /* VESPO gamma weight */
    double gmpo_adv;    /* GMPO mean advantage of the row */
} row_state;

/* Per-row partial sums, combined in row order at the end. */
typedef struct {
    double policy, kl, kl_tokens_sum;
    double low, high, region, clipped, dual, cispo, ppo_kl, ratio;
    double is_sum, is_min, is_max;
} row_sums;

struct fast_sums;
typedef struct loss_job {
    const grpo_loss_options *opt;
    grpo_dtype dtype;
    const void *l, *o, *ref, *v, *adv, *is_weights;
    int adv_per_token, is_weights_per_token;
    const uint8_t *mask, *policy_mask;
    void *grad, *per_token;
    int64_t b, t;
    row_state *rows;
    row_sums *sums;
    double policy_den, kl_den; /* resolved normalisers */
    double *scratch;           /* 8 * T doubles per worker */
    struct fast_sums (*fast)(const struct loss_job *, int64_t, double, double);
} loss_job;

/* Row r of a (B, T) buffer as doubles: the buffer itself when it holds doubles, else converted
 * into dst. */
static const double *row_f64(const void *buf, grpo_dtype dtype, int64_t r, int64_t t, double *dst) {
    if (dtype == GRPO_F64) return (const double *)buf + r * t;
    const float *src = (const float *)buf + r * t;
    for (int64_t j = 0; j < t; j++) dst[j] = src[j];
    return dst;
}

static double elem_f64(const void *buf, grpo_dtype dtype, int64_t i) {
    return dtype == GRPO_F64 ? ((const double *)buf)[i] : ((const float *)buf)[i];
}

static inline double clampd(double x, double lo, double hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

/* An importance weight rho = exp(log_rho) after the log clamp, truncated or masked. */
static double is_weight(double log_rho, const grpo_loss_options *opt) {
    double rho = exp(clampd(log_rho, -opt->is_log_clamp, opt->is_log_clamp));
    if (opt->is_mode == GRPO_IS_MASK) return rho >= opt->is_bounds[0] && rho <= opt->is_bounds[1] ? rho : 0.0;
    return clampd(rho, opt->is_bounds[0], opt->is_bounds[1]);
}

/* GMPO's sign-aware log-space clip of x = l - o and its derivative. */
static inline double gmpo_clip(double x, double a, const grpo_loss_options *opt, double *dx) {
    double s = (a > 0) - (a < 0);
    double xc = clampd(x, -opt->clip_low, opt->clip_high);
    double y = s * x, yc = s * xc;
    *dx = s != 0 && y <= yc ? 1.0 : 0.0;
    return s * (y < yc ? y : yc);
}

static double row_adv(const loss_job *job, int64_t r, const double *adv_row, int64_t j) {
    return job->adv_per_token ? adv_row[j] : elem_f64(job->adv, job->dtype, r);
}

/* Pass 1: everything a row needs before its tokens can be scored. */
static void prepare_row(const loss_job *job, int64_t r, double *scratch) {
    const grpo_loss_options *opt = job->opt;
    const int64_t t = job->t;
    const uint8_t *m = job->mask + r * t;
    row_state *st = &job->rows[r];
    int64_t n = 0;
    for (int64_t j = 0; j < t; j++) n += m[j] != 0;
    st->n = n;
    st->u = 0.0;
    st->u_pass = 1;
    st->seq_len = n > 1 ? (double)n : 1.0;
    st->seq_is = 1.0;
    st->low_kl = 1;
    st->phi = 1.0;
    st->gmpo_adv = 0.0;

    int need_seq = opt->ratio_level != GRPO_RATIO_TOKEN || opt->surrogate == GRPO_SURR_GMPO ||
                   opt->surrogate == GRPO_SURR_VESPO || opt->is_level == GRPO_IS_SEQUENCE ||
                   opt->is_level == GRPO_IS_SEQUENCE_MASK || opt->off_policy_threshold == opt->off_policy_threshold;
    if (!need_seq) return;

    const double *l = row_f64(job->l, job->dtype, r, t, scratch);
    const double *o = job->o ? row_f64(job->o, job->dtype, r, t, scratch + t) : l;
    const double *v = job->v ? row_f64(job->v, job->dtype, r, t, scratch + 2 * t) : NULL;
    const double *adv_row = job->adv_per_token ? row_f64(job->adv, job->dtype, r, t, scratch + 3 * t) : NULL;

    double sum_x = 0.0, sum_gmpo = 0.0, sum_adv = 0.0, sum_is = 0.0, sum_drift = 0.0;
    double sum_x_vespo = 0.0, sum_log_is_vespo = 0.0;
    for (int64_t j = 0; j < t; j++) {
        if (!m[j]) continue;
        double x = l[j] - o[j];
        sum_x += x;
        sum_x_vespo += clampd(x, -20.0, 20.0);
        if (opt->surrogate == GRPO_SURR_GMPO) {
            double a = row_adv(job, r, adv_row, j), dx;
            sum_gmpo += gmpo_clip(x, a, opt, &dx);
            sum_adv += a;
        }
        if (v) {
            sum_is += o[j] - v[j];
            sum_drift += v[j] - l[j];
            if (opt->is_level == GRPO_IS_TOKEN)
                sum_log_is_vespo += clampd(log(is_weight(o[j] - v[j], opt)), log(1e-8), 20.0);
        } else {
            sum_drift += o[j] - l[j];
        }
    }
    double mean_len = n > 1 ? (double)n : 1.0;
    if (opt->surrogate == GRPO_SURR_GMPO) {
        /* verl's n + 1e-8 is float32 (a bool mask's count plus a float), which rounds to n */
        st->seq_len = mean_len;
        st->u = sum_gmpo / st->seq_len;
        st->gmpo_adv = sum_adv / st->seq_len;
    } else {
        st->u = sum_x / mean_len;
    }
    if (opt->ratio_level != GRPO_RATIO_TOKEN) {
        st->u_pass = st->u >= opt->log_ratio_clamp[0] && st->u <= opt->log_ratio_clamp[1];
        st->u = clampd(st->u, opt->log_ratio_clamp[0], opt->log_ratio_clamp[1]);
    }
    if (v && opt->is_level == GRPO_IS_SEQUENCE) st->seq_is = is_weight(sum_is, opt);
    if (v && opt->is_level == GRPO_IS_SEQUENCE_MASK) {
        double rho = exp(sum_is / mean_len);
        st->seq_is = rho >= opt->is_bounds[0] && rho <= opt->is_bounds[1] ? 1.0 : 0.0;
    }
    if (opt->off_policy_threshold == opt->off_policy_threshold) st->low_kl = sum_drift / mean_len <= opt->off_policy_threshold;
    if (opt->surrogate == GRPO_SURR_VESPO) {
        double log_w = sum_x_vespo;
        if (v && opt->is_level == GRPO_IS_TOKEN) log_w += sum_log_is_vespo;
        if (v && opt->is_level == GRPO_IS_SEQUENCE) log_w += clampd(log(st->seq_is), log(1e-8), 20.0);
        log_w = clampd(log_w, log(1e-8), 20.0);
        double w = exp(log_w);
        int pos = elem_f64(job->adv, job->dtype, r) >= 0;
        double k = pos ? opt->vespo_k[0] : opt->vespo_k[1];
        double lambda = pos ? opt->vespo_lambda[0] : opt->vespo_lambda[1];
        if (lambda < 1e-4) lambda = 1e-4;
        double phi = exp(lambda + k * log_w - lambda * w);
        st->phi = isfinite(phi) ? phi : 0.0;
    }
}

/* ------------------------------------------------------------------ surrogates */

typedef struct {
    double loss;    /* per-token loss value */
    double d_ratio; /* d loss / d ratio */
    double d_logp;  /* d loss / d l through l itself (detached-weight surrogates) */
    int low, high, clipped, dual, cispo;
} surrogate_value;

/* Whether DPPO keeps a token: its probability moved within the divergence bound (clip_high for
 * A > 0, clip_low otherwise), by total variation or by the binary KL. */
static inline int dppo_valid(const grpo_loss_options *opt, double a, double logp, double old) {
    double p = exp(logp), q = exp(old);
    if (opt->surrogate == GRPO_SURR_DPPO_TV) return a > 0 ? p - q <= opt->clip_high : p - q >= -opt->clip_low;
    double kl = q * (old - logp) + (1.0 - q) * log((1.0 - q + 1e-8) / (1.0 - p + 1e-8));
    return a > 0 ? kl <= opt->clip_high || p <= q : kl <= opt->clip_low || p >= q;
}

static inline surrogate_value surrogate(const grpo_loss_options *opt, double ratio, double a,
                                        double logp, double old, double phi, int penalised) {
    surrogate_value s = {0};
    switch (opt->surrogate) {
    case GRPO_SURR_PPO: {
        double lo = 1.0 - opt->clip_low, hi = 1.0 + opt->clip_high;
        double c2 = clampd(ratio, lo, hi);
        double dc2 = ratio >= lo && ratio <= hi;
        int capped = opt->delta > 0 && ratio > opt->delta;
        double c1 = capped ? opt->delta : ratio;
        double dc1 = !capped;
        double v1 = c1 * a, v2 = c2 * a;
        double w1 = v1 < v2 ? 1.0 : (v1 == v2 ? 0.5 : 0.0);
        s.loss = -(v1 < v2 ? v1 : v2);
        s.d_ratio = -(w1 * dc1 + (1.0 - w1) * dc2) * a;
        if (opt->dual_clip > 0 && a < 0) {
            double cap = -a * opt->dual_clip;
            s.dual = s.loss > cap;
            if (cap < s.loss) {
                s.loss = cap;
                s.d_ratio = 0.0;
            } else if (cap == s.loss) {
                s.d_ratio *= 0.5;
            }
        }
        s.low = ratio < lo && a < 0;
        s.high = ratio > hi && a > 0;
        s.clipped = v2 < v1;
        break;
    }
    case GRPO_SURR_CISPO: {
        double w = clampd(ratio, opt->cispo_bounds[0], opt->cispo_bounds[1]);
        s.loss = -w * a * logp;
        s.d_logp = -w * a;
        s.cispo = ratio > opt->cispo_bounds[1] && a > 0;
        s.clipped = ratio > opt->cispo_bounds[1] || ratio < opt->cispo_bounds[0];
        s.low = ratio < opt->cispo_bounds[0] && a < 0;
        s.high = s.cispo;
        break;
    }
    case GRPO_SURR_SAPO: {
        double tau = a > 0 ? opt->sapo_tau[0] : opt->sapo_tau[1];
        double gate = 1.0 / (1.0 + exp(-tau * (ratio - 1.0)));
        s.loss = -gate * 4.0 / tau * a;
        s.d_ratio = -a * 4.0 * gate * (1.0 - gate);
        break;
    }
    case GRPO_SURR_REINFORCE:
        s.loss = -a * logp;
        s.d_logp = -a;
        break;
    case GRPO_SURR_VESPO:
        s.loss = -phi * a * logp;
        s.d_logp = -phi * a;
        break;
    case GRPO_SURR_GMPO:
        s.loss = -a * ratio;
        s.d_ratio = -a;
        break;
    case GRPO_SURR_DPPO_TV:
    case GRPO_SURR_DPPO_KL: {
        int valid = dppo_valid(opt, a, logp, old);
        double w = valid ? clampd(ratio, opt->cispo_bounds[0], opt->cispo_bounds[1]) : 0.0;
        s.loss = -w * a * logp;
        s.d_logp = -w * a;
        s.clipped = !valid;
        s.dual = valid && ratio > opt->cispo_bounds[1];
        break;
    }
    case GRPO_SURR_DRO: {
        double x = logp - old;
        s.loss = -(logp * a - 0.5 * opt->dro_beta * x * x);
        s.d_logp = -(a - opt->dro_beta * x);
        break;
    }
    case GRPO_SURR_KL_COV: {
        double x = logp - old;
        s.loss = -a * ratio;
        s.d_ratio = -a;
        if (penalised) {
            s.loss += opt->kl_cov_coef * fabs(x);
            s.d_logp = opt->kl_cov_coef * (double)((x > 0) - (x < 0));
        }
        break;
    }
    }
    return s;
}

/* The KL estimate k(d), d = l - ref, and dk/dl (before any ratio weighting). */
static inline double kl_estimate(const grpo_loss_options *opt, double d, double *dk) {
    double dc = clampd(d, -opt->kl_log_clamp, opt->kl_log_clamp);
    double pass = d >= -opt->kl_log_clamp && d <= opt->kl_log_clamp;
    double k, g;
    switch (opt->kl_estimator) {
    case GRPO_KL_K1: k = dc; g = 1.0; break;
    case GRPO_KL_ABS: k = fabs(dc); g = (dc > 0) - (dc < 0); break;
    case GRPO_KL_K2: k = 0.5 * dc * dc; g = dc; break;
    default: {
        double e = exp(-dc);
        k = e + dc - 1.0;
        g = 1.0 - e;
    }
    }
    if (!(k >= -opt->kl_value_clamp && k <= opt->kl_value_clamp)) {
        if (k == k) k = k > 0 ? opt->kl_value_clamp : -opt->kl_value_clamp;
        g = 0.0;
    }
    *dk = opt->kl_straight_through ? d : g * pass;
    return k;
}

/* Weight of one unmasked token of a row with n tokens under an aggregation. */
static double token_weight(const grpo_aggregation *agg, int64_t n, double den) {
    double w;
    switch (agg->mode) {
    case GRPO_AGG_SEQ_MEAN_TOKEN_MEAN: w = n > 0 ? 1.0 / ((double)n * den) : 0.0; break;
    case GRPO_AGG_SEQ_MEAN_TOKEN_MEAN_ALL_ROWS: w = 1.0 / ((n > 1 ? (double)n : 1.0) * den); break;
    case GRPO_AGG_SEQ_MEAN_TOKEN_SUM:
    case GRPO_AGG_SEQ_MEAN_TOKEN_SUM_NORM: w = n > 0 ? 1.0 / den : 0.0; break;
    case GRPO_AGG_LENGTH_WEIGHTED: w = (double)n / den; break;
    default: w = 1.0 / den;
    }
    return w * agg->scale;
}

/* ------------------------------------------------------------------ pass 2: one row */

static void score_row(const loss_job *job, int64_t r, double *scratch) {
    const grpo_loss_options *opt = job->opt;
    const int64_t t = job->t;
    const uint8_t *m = job->mask + r * t;
    const uint8_t *pm = job->policy_mask ? job->policy_mask + r * t : NULL;
    const row_state *st = &job->rows[r];
    row_sums *sum = &job->sums[r];
    memset(sum, 0, sizeof(*sum));
    sum->is_min = INFINITY;
    sum->is_max = -INFINITY;

    const double *l = row_f64(job->l, job->dtype, r, t, scratch);
    const double *o = job->o ? row_f64(job->o, job->dtype, r, t, scratch + t) : l;
    const double *ref = job->ref ? row_f64(job->ref, job->dtype, r, t, scratch + 2 * t) : NULL;
    const double *v = job->v ? row_f64(job->v, job->dtype, r, t, scratch + 3 * t) : NULL;
    const double *adv_row = job->adv_per_token ? row_f64(job->adv, job->dtype, r, t, scratch + 4 * t) : NULL;
    const double *isw_row = job->is_weights && job->is_weights_per_token
                                ? row_f64(job->is_weights, job->dtype, r, t, scratch + 5 * t)
                                : NULL;
    double *grad = job->dtype == GRPO_F64 ? (double *)job->grad + r * t : scratch + 6 * t;
    double *per_token = NULL;
    if (job->per_token) per_token = job->dtype == GRPO_F64 ? (double *)job->per_token + r * t : scratch + 7 * t;

    const int seq_level = opt->ratio_level == GRPO_RATIO_SEQUENCE || opt->surrogate == GRPO_SURR_GMPO;
    const int seq_value = opt->ratio_level != GRPO_RATIO_TOKEN || opt->surrogate == GRPO_SURR_GMPO;
    const double s_val = exp(st->u);
    const double wp = token_weight(&opt->aggregation, st->n, job->policy_den);
    const double wk = token_weight(&opt->kl_aggregation, st->n, job->kl_den);
    const double row_is = job->is_weights && !job->is_weights_per_token
                              ? elem_f64(job->is_weights, job->dtype, r) : 1.0;
    const int use_kl = opt->kl_coef != 0.0;
    double seq_acc = 0.0; /* d Loss / d s_i, gathered over the row for the sequence ratio */

    for (int64_t j = 0; j < t; j++) {
        grad[j] = 0.0;
        if (per_token) per_token[j] = 0.0;
        if (!m[j]) continue;
        double a = opt->surrogate == GRPO_SURR_GMPO ? st->gmpo_adv : row_adv(job, r, adv_row, j);
        double x = l[j] - o[j];
        double ratio, ratio_pass;
        if (seq_value) {
            ratio = s_val;
            ratio_pass = st->u_pass;
        } else {
            ratio = exp(clampd(x, opt->log_ratio_clamp[0], opt->log_ratio_clamp[1]));
            ratio_pass = x >= opt->log_ratio_clamp[0] && x <= opt->log_ratio_clamp[1];
        }
        /* detached multipliers of the policy term */
        double rho = row_is * st->seq_is;
        if (isw_row) rho *= isw_row[j];
        if (v && opt->is_level == GRPO_IS_TOKEN) rho *= is_weight(o[j] - v[j], opt);
        if (v && opt->is_level == GRPO_IS_SEQUENCE_MASK) rho *= exp(o[j] - v[j]);
        if (opt->surrogate == GRPO_SURR_VESPO) rho = row_is * (isw_row ? isw_row[j] : 1.0);
        double keep = (pm ? pm[j] != 0 : 1) && (st->low_kl || a >= 0) ? 1.0 : 0.0;
        double p = rho * keep;

        surrogate_value s = surrogate(opt, ratio, a, l[j], o[j], st->phi, pm && pm[j] == 2);
        if (opt->surrogate == GRPO_SURR_GMPO) {
            /* verl reports GMPO's log-space clipping split by the token advantage's sign */
            double a_tok = row_adv(job, r, adv_row, j);
            int clipped = x < -opt->clip_low || x > opt->clip_high;
            s.clipped = clipped && a_tok > 0;
            s.dual = clipped && a_tok < 0;
        }
        double token_loss = p * s.loss;
        double g = wp * p * s.d_logp;
        if (seq_level)
            seq_acc += wp * p * s.d_ratio;
        else
            g += wp * p * s.d_ratio * ratio * ratio_pass;
        sum->policy += wp * token_loss;

        if (use_kl) {
            double dk;
            double k = kl_estimate(opt, l[j] - ref[j], &dk);
            double kw = k;
            if (opt->kl_grad_is_cap > 0) {
                double w = exp(x);
                dk *= w < opt->kl_grad_is_cap ? w : opt->kl_grad_is_cap;
            }
            if (opt->kl_ratio_weighted) {
                /* TRL multiplies by the unclipped, non-detached ratio */
                kw = k * ratio;
                dk = dk * ratio;
                if (seq_level)
                    seq_acc += opt->kl_coef * wk * k;
                else
                    dk += k * ratio * ratio_pass;
            }
            g += opt->kl_coef * wk * dk;
            sum->kl += wk * kw;
            sum->kl_tokens_sum += kw;
            token_loss += opt->kl_coef * kw;
        }
        grad[j] = g;
        if (per_token) per_token[j] = token_loss;

        sum->low += s.low;
        sum->high += s.high;
        sum->region += s.low | s.high;
        sum->clipped += s.clipped;
        sum->dual += s.dual;
        sum->cispo += s.cispo;
        sum->ppo_kl += opt->ppo_kl_raw ? -x : -clampd(x, opt->log_ratio_clamp[0], opt->log_ratio_clamp[1]);
        sum->ratio += ratio;
        sum->is_sum += rho;
        if (rho < sum->is_min) sum->is_min = rho;
        if (rho > sum->is_max) sum->is_max = rho;
    }

    if (seq_level) {
        /* Spread d Loss / d s_i over the tokens through s_i = exp(u_i), u_i = sum_t g(x_t) / len
         * (GSPO-token instead gave each token its own share in the loop above). */
        double scale = seq_acc * s_val * st->u_pass / st->seq_len;
        for (int64_t j = 0; j < t; j++) {
            if (!m[j]) continue;
            double dx = 1.0;
            if (opt->surrogate == GRPO_SURR_GMPO) gmpo_clip(l[j] - o[j], row_adv(job, r, adv_row, j), opt, &dx);
            grad[j] += scale * dx;
        }
    }
    if (job->dtype == GRPO_F32) {
        float *g32 = (float *)job->grad + r * t;
        for (int64_t j = 0; j < t; j++) g32[j] = (float)grad[j];
        if (per_token) {
            float *p32 = (float *)job->per_token + r * t;
            for (int64_t j = 0; j < t; j++) p32[j] = (float)per_token[j];
        }
    }
}


/* ------------------------------------------------------------------ fast path */

typedef struct fast_sums {
    double loss, kl, kl_sum, low, high, region, clipped, dual, ppo_kl, ratio;
} fast_sums;

typedef fast_sums (*fast_row_fn)(const loss_job *, int64_t, double, double);

/* The kernel is compiled once per instruction set and the best one the CPU runs is chosen at
 * call time; each copy is vectorised for its own vector width, and the FMA-capable ones fuse
 * multiply-adds (a rounding-level difference from the plain path, same for any thread count). */
#define FAST_NAME(x) x##_generic
#include "policy_loss_fast.h"
#undef FAST_NAME
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FAST_HAVE_X86_LEVELS 1
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v3")
#pragma GCC optimize("fp-contract=fast")
#define FAST_NAME(x) x##_v3
#include "policy_loss_fast.h"
#undef FAST_NAME
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v4")
#pragma GCC optimize("fp-contract=fast")
#define FAST_NAME(x) x##_v4
#include "policy_loss_fast.h"
#undef FAST_NAME
#pragma GCC pop_options
#endif

/* The fast kernel for these options, or NULL when only the general path covers them. */
static fast_row_fn fast_kernel(const loss_job *job) {
    const grpo_loss_options *opt = job->opt;
    int eligible = opt->ratio_level == GRPO_RATIO_TOKEN && opt->surrogate == GRPO_SURR_PPO &&
                   opt->is_level == GRPO_IS_NONE && opt->off_policy_threshold != opt->off_policy_threshold &&
                   !job->policy_mask && !job->is_weights && !job->per_token &&
                   (opt->kl_coef == 0.0 || (opt->kl_estimator == GRPO_KL_K3 && !(opt->kl_grad_is_cap > 0)));
    if (!eligible) return NULL;
    const int simple = !(opt->delta > 0) && !(opt->dual_clip > 0) &&
                       opt->log_ratio_clamp[0] == -INFINITY && opt->log_ratio_clamp[1] == INFINITY &&
                       opt->kl_log_clamp == INFINITY && opt->kl_value_clamp == INFINITY &&
                       !opt->kl_straight_through;
    const fast_row_fn(*table)[3][2][2] = table_generic;
#ifdef FAST_HAVE_X86_LEVELS
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        table = table_v4;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("bmi2"))
        table = table_v3;
#endif
    /* the lean copy (simple, without the ratio sums) where those metrics are not wanted */
    const int variant = simple ? 1 + (opt->skip_ratio_metrics != 0) : 0;
    return table[job->dtype == GRPO_F64][variant][opt->kl_coef != 0.0][job->adv_per_token != 0];
}

static void fast_score_row(const loss_job *job, int64_t r, fast_row_fn kernel) {
    const row_state *st = &job->rows[r];
    row_sums *sum = &job->sums[r];
    double wp = token_weight(&job->opt->aggregation, st->n, job->policy_den);
    double wk = token_weight(&job->opt->kl_aggregation, st->n, job->kl_den);
    fast_sums f = kernel(job, r, wp, wk);
    memset(sum, 0, sizeof(*sum));
    sum->policy = f.loss;
    sum->kl = f.kl;
    sum->kl_tokens_sum = f.kl_sum;
    sum->low = f.low;
    sum->high = f.high;
    sum->region = f.region;
    sum->clipped = f.clipped;
    sum->dual = f.dual;
    sum->ppo_kl = f.ppo_kl;
    sum->ratio = f.ratio;
    sum->is_sum = (double)st->n;
    sum->is_min = st->n ? 1.0 : INFINITY;
    sum->is_max = st->n ? 1.0 : -INFINITY;
}

static void prepare_rows(void *ctx, int64_t begin, int64_t end, int worker) {
    loss_job *job = ctx;
    double *scratch = job->scratch + (size_t)worker * 8 * (size_t)job->t;
    for (int64_t r = begin; r < end; r++) prepare_row(job, r, scratch);
}

static void score_rows(void *ctx, int64_t begin, int64_t end, int worker) {
    loss_job *job = ctx;
    if (job->fast) {
        for (int64_t r = begin; r < end; r++) fast_score_row(job, r, job->fast);
        return;
    }
    double *scratch = job->scratch + (size_t)worker * 8 * (size_t)job->t;
    for (int64_t r = begin; r < end; r++) score_row(job, r, scratch);
}

/* D of an aggregation; 1 where the default would be 0 (nothing to divide: the sum is 0). */
static double default_denominator(const grpo_aggregation *agg, const row_state *rows, int64_t b,
                                  int64_t t) {
    double tokens = 0.0, nonempty = 0.0, d;
    for (int64_t r = 0; agg->denominator <= 0 && r < b; r++) {
        tokens += (double)rows[r].n;
        nonempty += rows[r].n > 0;
    }
    if (agg->denominator > 0) {
        d = agg->denominator;
    } else if (agg->denominator_per_row > 0) {
        d = (double)b * agg->denominator_per_row;
    } else {
        switch (agg->mode) {
        case GRPO_AGG_TOKEN_SUM_NORM: d = (double)t; break;
        case GRPO_AGG_SEQ_MEAN_TOKEN_MEAN: d = nonempty; break;
        case GRPO_AGG_SEQ_MEAN_TOKEN_MEAN_ALL_ROWS: d = (double)b; break;
        case GRPO_AGG_SEQ_MEAN_TOKEN_SUM:
        case GRPO_AGG_SEQ_MEAN_TOKEN_SUM_NORM: d = nonempty; break;
        case GRPO_AGG_LENGTH_WEIGHTED: d = (double)b * (double)t; break;
        default: d = tokens;
        }
    }
    if (agg->mode == GRPO_AGG_SEQ_MEAN_TOKEN_SUM_NORM) d *= (double)t;
    return d > 0 ? d : 1.0;
}

static int valid_agg(const grpo_aggregation *agg) {
    return agg->mode >= GRPO_AGG_TOKEN_MEAN && agg->mode <= GRPO_AGG_SEQ_MEAN_TOKEN_SUM_NORM &&
           agg->denominator >= 0 && isfinite(agg->denominator) &&
           agg->denominator_per_row >= 0 && isfinite(agg->denominator_per_row) && isfinite(agg->scale);
}

static grpo_status check_options(const grpo_loss_options *opt, const void *ref, const void *v) {
    if (opt->ratio_level < GRPO_RATIO_TOKEN || opt->ratio_level > GRPO_RATIO_SEQUENCE_TOKEN) return GRPO_ERR_INVALID;
    if (opt->surrogate < GRPO_SURR_PPO || opt->surrogate > GRPO_SURR_KL_COV) return GRPO_ERR_INVALID;
    if (!isfinite(opt->kl_cov_coef)) return GRPO_ERR_INVALID;
    if (opt->surrogate == GRPO_SURR_DRO && !(opt->dro_beta > 0 && isfinite(opt->dro_beta))) return GRPO_ERR_INVALID;
    if (!(opt->clip_low >= 0) || !(opt->clip_high >= 0)) return GRPO_ERR_INVALID;
    if (opt->dual_clip != 0 && !(opt->dual_clip > 1)) return GRPO_ERR_INVALID;
    if (!(opt->delta >= 0)) return GRPO_ERR_INVALID;
    if (!(opt->log_ratio_clamp[0] <= opt->log_ratio_clamp[1])) return GRPO_ERR_INVALID;
    if (!(opt->cispo_bounds[0] <= opt->cispo_bounds[1])) return GRPO_ERR_INVALID;
    if (!(opt->sapo_tau[0] > 0) || !(opt->sapo_tau[1] > 0)) return GRPO_ERR_INVALID;
    if (opt->is_mode != GRPO_IS_TRUNCATE && opt->is_mode != GRPO_IS_MASK) return GRPO_ERR_INVALID;
    if (opt->is_level < GRPO_IS_NONE || opt->is_level > GRPO_IS_SEQUENCE_MASK) return GRPO_ERR_INVALID;
    if (opt->is_level != GRPO_IS_NONE && v == NULL) return GRPO_ERR_INVALID;
    if (!(opt->is_bounds[0] <= opt->is_bounds[1]) || !(opt->is_log_clamp >= 0)) return GRPO_ERR_INVALID;
    if (!isfinite(opt->kl_coef) || (opt->kl_coef != 0 && ref == NULL)) return GRPO_ERR_INVALID;
    if (opt->kl_estimator < GRPO_KL_K1 || opt->kl_estimator > GRPO_KL_K3) return GRPO_ERR_INVALID;
    if (!(opt->kl_log_clamp >= 0) || !(opt->kl_value_clamp >= 0)) return GRPO_ERR_INVALID;
    if (!(opt->kl_grad_is_cap >= 0)) return GRPO_ERR_INVALID;
    if (!valid_agg(&opt->aggregation) || !valid_agg(&opt->kl_aggregation)) return GRPO_ERR_INVALID;
    return GRPO_OK;
}

static grpo_status policy_loss(grpo_loss_metrics *out, void *grad, void *per_token, grpo_dtype dtype,
                               const void *l, const void *o, const void *ref, const void *v,
                               const void *adv, int adv_per_token, const uint8_t *mask,
                               const void *is_weights, int is_weights_per_token,
                               const uint8_t *policy_mask, int64_t b, int64_t t,
                               const grpo_loss_options *opt, int allow_fast) {
    if (!out || !grad || !l || !adv || !mask || b < 0 || t < 0) return GRPO_ERR_INVALID;
    if (dtype != GRPO_F32 && dtype != GRPO_F64) return GRPO_ERR_INVALID;
    grpo_status st = check_options(opt, ref, v);
    if (st != GRPO_OK) return st;

    int threads = opt->num_threads > 1 && b * t >= 65536 ? opt->num_threads : 1;
    if (threads > b) threads = b > 0 ? (int)b : 1;
    loss_job job = {.opt = opt, .dtype = dtype, .l = l, .o = o, .ref = ref, .v = v, .adv = adv,
                    .is_weights = is_weights, .adv_per_token = adv_per_token,
                    .is_weights_per_token = is_weights_per_token, .mask = mask,
                    .policy_mask = policy_mask, .grad = grad, .per_token = per_token, .b = b, .t = t};
    size_t b_alloc = (size_t)(b > 0 ? b : 1);
    job.fast = allow_fast ? fast_kernel(&job) : NULL;
    job.rows = malloc(sizeof(row_state) * b_alloc);
    job.sums = malloc(sizeof(row_sums) * b_alloc);
    /* the general path converts rows into per-worker double scratch; the fast one needs none */
    job.scratch = malloc(sizeof(double) * (job.fast ? 1 : 8 * (size_t)(t > 0 ? t : 1) * (size_t)threads));
    if (!job.rows || !job.sums || !job.scratch) {
        st = GRPO_ERR_NOMEM;
        goto done;
    }
    int64_t grain = t > 0 ? 16384 / t + 1 : (int64_t)b_alloc;
    st = grpo_parallel_for(b, grain, threads, prepare_rows, &job);
    if (st != GRPO_OK) goto done;
    job.policy_den = default_denominator(&opt->aggregation, job.rows, b, t);
    job.kl_den = default_denominator(&opt->kl_aggregation, job.rows, b, t);
    st = grpo_parallel_for(b, grain, threads, score_rows, &job);
    if (st != GRPO_OK) goto done;

    /* Combine the rows in order. */
    grpo_loss_metrics mt;
    memset(&mt, 0, sizeof(mt));
    double low = 0, high = 0, region = 0, clipped = 0, dual = 0, cispo = 0, ppo_kl = 0, ratio = 0;
    double kl_sum = 0, is_sum = 0;
    mt.clip_low_min = INFINITY;
    mt.clip_high_max = -INFINITY;
    mt.is_min = INFINITY;
    mt.is_max = -INFINITY;
    for (int64_t r = 0; r < b; r++) {
        const row_sums *s = &job.sums[r];
        int64_t n = job.rows[r].n;
        mt.policy_loss += s->policy;
        mt.kl_loss += s->kl;
        mt.tokens += (double)n;
        kl_sum += s->kl_tokens_sum;
        low += s->low;
        high += s->high;
        region += s->region;
        clipped += s->clipped;
        dual += s->dual;
        cispo += s->cispo;
        ppo_kl += s->ppo_kl;
        ratio += s->ratio;
        is_sum += s->is_sum;
        if (n > 0) {
            double fl = s->low / (double)n, fh = s->high / (double)n;
            if (fl < mt.clip_low_min) mt.clip_low_min = fl;
            if (fh > mt.clip_high_max) mt.clip_high_max = fh;
            if (s->is_min < mt.is_min) mt.is_min = s->is_min;
            if (s->is_max > mt.is_max) mt.is_max = s->is_max;
        }
    }
    double den = mt.tokens > 1 ? mt.tokens : 1.0;
    mt.loss = mt.policy_loss + opt->kl_coef * mt.kl_loss;
    mt.kl_mean = opt->kl_coef != 0 ? kl_sum / den : NAN;
    mt.clip_low = low / den;
    mt.clip_high = high / den;
    mt.clip_region = region / den;
    mt.clipfrac = clipped / den;
    mt.clipfrac_lower = dual / den;
    mt.cispo_clip = cispo / den;
    mt.ppo_kl = opt->skip_ratio_metrics ? NAN : ppo_kl / den;
    mt.ratio_mean = opt->skip_ratio_metrics ? NAN : ratio / den;
    mt.is_mean = is_sum / den;
    if (mt.clip_low_min == INFINITY) mt.clip_low_min = NAN;
    if (mt.clip_high_max == -INFINITY) mt.clip_high_max = NAN;
    if (mt.is_min == INFINITY) mt.is_min = NAN;
    if (mt.is_max == -INFINITY) mt.is_max = NAN;
    mt.phi_mean = NAN;
    if (opt->surrogate == GRPO_SURR_VESPO) {
        double phi_sum = 0.0;
        for (int64_t r = 0; r < b; r++) phi_sum += job.rows[r].phi;
        mt.phi_mean = b > 0 ? phi_sum / (double)b : NAN;
    }
    *out = mt;
done:
    free(job.rows);
    free(job.sums);
    free(job.scratch);
    return st;
}

grpo_status grpo_policy_loss(grpo_loss_metrics *out, void *grad, void *per_token, grpo_dtype dtype,
                             const void *l, const void *o, const void *ref, const void *v,
                             const void *adv, int adv_per_token, const uint8_t *mask,
                             const void *is_weights, int is_weights_per_token,
                             const uint8_t *policy_mask, int64_t b, int64_t t,
                             const grpo_loss_options *opt) {
    return policy_loss(out, grad, per_token, dtype, l, o, ref, v, adv, adv_per_token, mask,
                       is_weights, is_weights_per_token, policy_mask, b, t, opt, 1);
}

grpo_status grpo_policy_loss_plain(grpo_loss_metrics *out, void *grad, void *per_token,
                                   grpo_dtype dtype, const void *l, const void *o, const void *ref,
                                   const void *v, const void *adv, int adv_per_token,
                                   const uint8_t *mask, const void *is_weights,
                                   int is_weights_per_token, const uint8_t *policy_mask,
                                   int64_t b, int64_t t, const grpo_loss_options *opt) {
    return policy_loss(out, grad, per_token, dtype, l, o, ref, v, adv, adv_per_token, mask,
                       is_weights, is_weights_per_token, policy_mask, b, t, opt, 0);
}
