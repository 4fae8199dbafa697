/*
 * grpo.h - the whole public API of the grpo_c core library.
 *
 * Plain C11 over caller-owned buffers: no Python, no printing, no global state.
 * Every entry point returns a grpo_status; grpo_strerror() names it.
 *
 * Dimension letters used throughout:
 *   N  rewards (rows) in a batch        G  groups           K  group size
 *   B  sequences in a loss batch        T  padded tokens per sequence
 *   R  reward functions combined per row
 *
 * Sections: status and threads; advantages; policy loss; (rewards and the sandbox add their own).
 */
#ifndef GRPO_H
#define GRPO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- status, threads */

typedef enum grpo_status {
    GRPO_OK = 0,
    GRPO_ERR_INVALID = 1,   /* an argument value is outside its documented domain */
    GRPO_ERR_SHAPE = 2,     /* lengths or shapes disagree */
    GRPO_ERR_NOMEM = 3,     /* an allocation failed */
    GRPO_ERR_THREAD = 4,    /* a worker thread could not be started */
    GRPO_ERR_SYSTEM = 5,    /* an operating-system call failed (errno is kept) */
    GRPO_ERR_UNSUPPORTED = 6 /* the request is valid but not supported on this platform */
} grpo_status;

const char *grpo_strerror(grpo_status status);

/* Work item callback for grpo_parallel_for: handles indices [begin, end). `worker` is in
 * [0, num_threads) and lets a callback use per-worker scratch. */
typedef void (*grpo_range_fn)(void *ctx, int64_t begin, int64_t end, int worker);

/* Runs fn over [0, n) in chunks of `grain` indices claimed dynamically by up to num_threads
 * threads (the caller's thread is one of them). Callbacks must make each index's result
 * independent of which thread ran it; that is what keeps results identical for any thread
 * count. num_threads <= 1, or n <= grain, runs inline with no thread created. */
grpo_status grpo_parallel_for(int64_t n, int64_t grain, int num_threads, grpo_range_fn fn,
                              void *ctx);

/* ---------------------------------------------------------------- advantages
 *
 * Rewards are (N,) doubles; group membership is either contiguous blocks of `group_size`
 * (group_index == NULL) or group_index[i] in [0, G). NaN rewards are "unscorable" (TRL's None):
 * they are left out of every statistic and get advantage 0.
 */

typedef enum grpo_adv_estimator {
    GRPO_ADV_GRPO = 0,   /* (r - mean_g) / (std + eps), std per `scale` */
    GRPO_ADV_RLOO = 1,   /* r - mean of the other members */
    GRPO_ADV_OPO = 2,    /* r - length-weighted group mean (needs lengths) */
    GRPO_ADV_GPG = 3,    /* (r - mean_g) * N / max(1, count of nonzero rewards) */
    GRPO_ADV_PASSK = 4   /* group argmax gets (max - second) [/ (std + eps)], others 0 */
} grpo_adv_estimator;

typedef enum grpo_adv_scale {
    GRPO_SCALE_GROUP = 0, /* divide by the group std */
    GRPO_SCALE_BATCH = 1, /* divide by the std of the whole batch (Lite-PPO) */
    GRPO_SCALE_NONE = 2   /* mean-centring only (Dr. GRPO) */
} grpo_adv_scale;

typedef enum grpo_std_mode {
    GRPO_STD_PLUS_EPS = 0,     /* std + eps (TRL, verl grpo, OpenRLHF) */
    GRPO_STD_FLOOR_PLUS_EPS = 1 /* sqrt(max(var, eps)) + eps (verl grpo_vectorized) */
} grpo_std_mode;

typedef enum grpo_singleton {
    GRPO_SINGLETON_ZERO = 0, /* a group with one scorable reward gets 0 (TRL, rloo_vectorized) */
    GRPO_SINGLETON_RAW = 1   /* mean 0 and std 1 for that group (verl grpo/rloo/opo/gpg) */
} grpo_singleton;

typedef struct grpo_adv_options {
    grpo_adv_estimator estimator;
    grpo_adv_scale scale;
    grpo_std_mode std_mode;
    grpo_singleton singleton;
    double eps;  /* > 0 */
    int ddof;    /* 0 or 1 */
} grpo_adv_options;

/* Mergeable per-group statistics of the scorable rewards: count, sum and M2 (the sum of squared
 * deviations from the group mean). Shards merge exactly with grpo_merge_group_stats. Outputs are
 * (G,) each. */
grpo_status grpo_group_stats(int64_t *count, double *sum, double *m2, const double *rewards,
                             int64_t n, const int64_t *group_index, int64_t group_size,
                             int64_t num_groups);

/* a += b, group by group (Chan et al.'s parallel variance update). */
grpo_status grpo_merge_group_stats(int64_t *count_a, double *sum_a, double *m2_a,
                                   const int64_t *count_b, const double *sum_b,
                                   const double *m2_b, int64_t num_groups);

/* Advantages (N,) of `rewards` against the given group statistics (from grpo_group_stats, or
 * merged across shards); with count, sum or m2 NULL the statistics are those of `rewards`.
 * `lengths` (N,) is read by GRPO_ADV_OPO only; GRPO_ADV_GPG's N and nonzero count are the local
 * batch's. */
grpo_status grpo_group_advantages(double *adv, const double *rewards, int64_t n,
                                  const int64_t *group_index, int64_t group_size,
                                  int64_t num_groups, const int64_t *count, const double *sum,
                                  const double *m2, const double *lengths,
                                  const grpo_adv_options *opt);

/* Token whitening of REINFORCE++-baseline (verl masked_whiten, OpenRLHF batch whitening):
 * x[i,t] = adv[i] where mask, then (x - mean) / sqrt(var (+|max) eps) over the masked tokens of
 * the batch, times the mask. Means divide by (tokens + count_eps) (verl's masked_mean adds
 * 1e-8). out and mask are (N, T). */
grpo_status grpo_whiten_tokens(double *out, const double *adv, const uint8_t *mask, int64_t n,
                               int64_t t, int ddof, double eps, int eps_is_floor, double count_eps);

/* ---------------------------------------------------------------- policy loss
 *
 * Per-token tensors are (B, T) row-major with a (B, T) mask of 0/1 bytes; advantages are (B,) or
 * (B, T). l = current log-probs (the only differentiable input), o = old log-probs (NULL: o = l,
 * the on-policy ratio 1), ref = reference log-probs, v = rollout-engine log-probs.
 *
 *   Loss = agg_policy( P * f(ratio, A) ) + kl_coef * agg_kl( k(l - ref) [* ratio] )
 *
 * with P the product of the detached multipliers (importance weights, off-policy sequence mask,
 * policy mask). Masked positions never influence any output, even when they hold NaN or Inf.
 * The gradient is exact: ties of min/max split half and half and clamps pass the gradient at
 * their bounds, as PyTorch autograd does, so it equals autograd applied to the peers' formulas.
 */

typedef enum grpo_ratio_level {
    GRPO_RATIO_TOKEN = 0,          /* r = exp(l - o) per token */
    GRPO_RATIO_SEQUENCE = 1,       /* s = exp(mean_t (l - o)), gradient through the mean (GSPO) */
    GRPO_RATIO_SEQUENCE_TOKEN = 2  /* value s, gradient to each token as its own (GSPO-token) */
} grpo_ratio_level;

typedef enum grpo_surrogate {
    GRPO_SURR_PPO = 0,       /* -min(min(r, delta) A, clamp(r, 1-eps_low, 1+eps_high) A), dual clip */
    GRPO_SURR_CISPO = 1,     /* -sg(clamp(r, cispo_min, cispo_max)) A l */
    GRPO_SURR_SAPO = 2,      /* -sigmoid(tau (r - 1)) 4/tau A */
    GRPO_SURR_REINFORCE = 3, /* -A l (GPG) */
    GRPO_SURR_VESPO = 4,     /* -sg(phi(w_seq)) A l, gamma weight per sequence */
    GRPO_SURR_GMPO = 5       /* -mean_t(A) exp(mean_t sign-aware clipped (l - o)), per sequence */
} grpo_surrogate;

typedef enum grpo_kl_estimator {
    GRPO_KL_K1 = 0,  /* d = l - ref */
    GRPO_KL_ABS = 1, /* |d| */
    GRPO_KL_K2 = 2,  /* d^2 / 2 */
    GRPO_KL_K3 = 3   /* exp(-d) + d - 1 */
} grpo_kl_estimator;

typedef enum grpo_agg_mode {
    GRPO_AGG_TOKEN_SUM = 0,           /* sum m L / D;            D default max(1, sum m) */
    GRPO_AGG_SEQ_MEAN_TOKEN_MEAN = 1, /* sum_i (sum_t m L / n_i) / D; D default rows */
    GRPO_AGG_SEQ_MEAN_TOKEN_SUM = 2,  /* sum_i sum_t m L / D;    D default non-empty rows */
    GRPO_AGG_LENGTH_WEIGHTED = 3      /* sum m L n_i / D;        D default B * T (TRL luspo) */
} grpo_agg_mode;

typedef struct grpo_aggregation {
    grpo_agg_mode mode;
    /* SEQ_MEAN_TOKEN_MEAN: divide a row by max(1, n_i) and default D to B, every row counted
     * (TRL); otherwise by n_i + 1e-8 with empty rows dropped and D = non-empty rows (verl). */
    int clamp_lengths;
    double denominator; /* > 0: the normaliser (global tokens, global rows, B * L, ...); 0: default */
    double scale;       /* multiplies the aggregate (dp_size, 1 / grad_accum_steps) */
} grpo_aggregation;

typedef enum grpo_is_level {
    GRPO_IS_NONE = 0,
    GRPO_IS_TOKEN = 1,          /* rho = exp(o - v) per token */
    GRPO_IS_SEQUENCE = 2,       /* rho = exp(sum_t (o - v)) per sequence */
    GRPO_IS_SEQUENCE_MASK = 3   /* token rho, kept iff exp(mean_t (o - v)) in [is_min, is_max] */
} grpo_is_level;

typedef struct grpo_loss_options {
    grpo_ratio_level ratio_level;
    grpo_surrogate surrogate;
    double eps_low, eps_high;  /* PPO ratio clip [1 - eps_low, 1 + eps_high]; GMPO log-space clip */
    double dual_clip;          /* > 1: cap of the loss for A < 0 at -A * dual_clip; 0: off */
    double delta;              /* > 0: cap of the unclipped ratio (INTELLECT-2); 0: off */
    double log_ratio_min, log_ratio_max; /* clamp of l - o (or of the sequence log ratio) */
    double cispo_min, cispo_max;         /* CISPO weight bounds (absolute; +-INFINITY = open) */
    double sapo_tau_pos, sapo_tau_neg;
    double vespo_k_pos, vespo_lambda_pos, vespo_k_neg, vespo_lambda_neg;
    /* importance weights from the rollout engine's log-probs v (detached) */
    grpo_is_level is_level;
    int is_mask;               /* 1: zero weights outside [is_min, is_max]; 0: clamp into it */
    double is_min, is_max, is_log_clamp; /* is_log_clamp bounds |log rho| before exp (verl: 20) */
    double opsm_threshold;     /* keep a sequence iff A >= 0 or mean_t (v - l) <= threshold; NaN: off */
    /* KL to the reference policy */
    double kl_coef;            /* 0: no KL term (ref may be NULL) */
    grpo_kl_estimator kl_estimator;
    int kl_straight_through;   /* gradient of d^2/2 under the estimator's value (verl "+") */
    int kl_ratio_weighted;     /* multiply by the (non-detached) ratio (TRL use_bias_correction_kl) */
    double kl_log_clamp;       /* bound on |d| before the estimator (verl k3: 20); INFINITY: off */
    double kl_value_clamp;     /* bound on |k| after it (verl k3, OpenRLHF: 10); INFINITY: off */
    grpo_aggregation policy_agg, kl_agg;
    int num_threads;
} grpo_loss_options;

/* Fills options with neutral defaults: token PPO, eps 0.2/0.2, no dual clip, no clamps, no KL,
 * token-sum aggregation over local tokens, one thread. */
void grpo_loss_options_init(grpo_loss_options *opt);

typedef struct grpo_loss_metrics {
    double loss, policy_loss, kl_loss;      /* kl_loss is before kl_coef */
    double tokens;                          /* sum of the mask */
    double kl_mean;                         /* masked mean of the KL estimate (NaN without KL) */
    double clip_low, clip_high, clip_region; /* masked means of (r<1-el & A<0), (r>1+eh & A>0), or */
    double clip_low_min, clip_high_max;     /* over rows with tokens of the per-row fractions */
    double clipfrac;                        /* masked mean of clamp(r) A < min(r, delta) A */
    double clipfrac_lower;                  /* masked mean of dual-clip binding (A < 0) */
    double cispo_clip;                      /* masked mean of (r > cispo_max & A > 0) */
    double ppo_kl;                          /* masked mean of o - l (after the log-ratio clamp) */
    double is_mean, is_min, is_max;         /* masked statistics of the importance weights */
    double ratio_mean;                      /* masked mean of the ratio */
    double phi_mean;                        /* mean over rows of the VESPO weight (NaN otherwise) */
} grpo_loss_metrics;

/* Dtype of the per-token buffers (all of l, o, ref, v, A when (B, T), grad and per_token). */
typedef enum grpo_dtype { GRPO_F32 = 0, GRPO_F64 = 1 } grpo_dtype;

/* The GRPO policy loss, its gradient dLoss/dl into grad (B, T) and, if per_token is not NULL,
 * the per-token loss P f + kl_coef k (0 where masked). adv is (B,) when adv_per_token is 0.
 * is_weights (B, T) or (B,) (is_weights_per_token) multiplies like rho and may be NULL;
 * policy_mask (B, T) may be NULL. Results are identical for any num_threads. */
grpo_status grpo_policy_loss(grpo_loss_metrics *out, void *grad, void *per_token, grpo_dtype dtype,
                             const void *l, const void *o, const void *ref, const void *v,
                             const void *adv, int adv_per_token, const uint8_t *mask,
                             const void *is_weights, int is_weights_per_token,
                             const uint8_t *policy_mask, int64_t b, int64_t t,
                             const grpo_loss_options *opt);

/* The same through the plain token-by-token path only: the oracle of grpo_policy_loss's
 * vectorised fast path, kept compiled and tested. */
grpo_status grpo_policy_loss_plain(grpo_loss_metrics *out, void *grad, void *per_token,
                                   grpo_dtype dtype, const void *l, const void *o, const void *ref,
                                   const void *v, const void *adv, int adv_per_token,
                                   const uint8_t *mask, const void *is_weights,
                                   int is_weights_per_token, const uint8_t *policy_mask,
                                   int64_t b, int64_t t, const grpo_loss_options *opt);

#ifdef __cplusplus
}
#endif
#endif /* GRPO_H */
