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

/* Element type of a buffer that may hold either precision. */
typedef enum grpo_dtype { GRPO_F32 = 0, GRPO_F64 = 1 } grpo_dtype;

/* Work item callback for grpo_parallel_for: handles indices [begin, end). `worker` is in
 * [0, num_threads) and lets a callback use per-worker scratch. */
typedef void (*grpo_range_fn)(void *ctx, int64_t begin, int64_t end, int worker);

/* Runs fn over [0, n) in chunks of `grain` indices claimed dynamically by up to num_threads
 * threads (the caller's thread is one of them). Callbacks must make each index's result
 * independent of which thread ran it; that is what keeps results identical for any thread
 * count. num_threads <= 1, or n <= grain, runs inline with no thread created. Workers come
 * from a process-wide pool started on first use (idle workers spin ~50 us, then sleep); a call
 * made while another call holds the pool starts threads of its own; a forked child starts with
 * an empty pool. */
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

/* Fills options with the neutral defaults: GRPO, group scale, std + eps with eps 1e-4 (TRL's),
 * ddof 1, singleton groups 0. The Python layer reads its defaults from here. */
void grpo_adv_options_init(grpo_adv_options *opt);

/* The names of each enum's values, indexed by value and NULL-terminated ("grpo", "group", ...). */
extern const char *const grpo_adv_estimator_names[];
extern const char *const grpo_adv_scale_names[];
extern const char *const grpo_std_mode_names[];
extern const char *const grpo_singleton_names[];

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

/* GRPO advantages (group or no std) of contiguous groups with the statistics of `rewards`
 * itself, read and written in either precision (statistics in double either way): the common
 * case, vectorised. float64 advantages are the same bits whatever the rewards' dtype; float32
 * ones are those rounded once, except from float32 rewards, where the final (x - mean) * inv
 * runs in float on a two-float mean (at most four roundings, 2.4e-7 relative). Any num_threads
 * gives the same bits. Other estimators or batch scaling return GRPO_ERR_UNSUPPORTED (use
 * grpo_group_advantages). */
grpo_status grpo_group_advantages_contiguous(void *adv, grpo_dtype adv_dtype, const void *rewards,
                                             grpo_dtype rewards_dtype, int64_t n,
                                             int64_t group_size, const grpo_adv_options *opt,
                                             int num_threads);

/* Token whitening of REINFORCE++-baseline (verl masked_whiten, OpenRLHF batch whitening):
 * x[i,t] = adv[i] where mask, then (x - mean) / sqrt(var (+|max) eps) over the masked tokens of
 * the batch, times the mask. Means divide by the token count (verl's count + 1e-8 is a float32
 * for its int/bool masks, which is the count). out and mask are (N, T). With ddof 1, fewer than
 * two masked tokens is GRPO_ERR_INVALID (the unbiased variance is undefined; verl raises too). */
grpo_status grpo_whiten_tokens(double *out, const double *adv, const uint8_t *mask, int64_t n,
                               int64_t t, int ddof, double eps, int eps_is_floor);

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
    GRPO_SURR_PPO = 0,       /* -min(min(r, delta) A, clamp(r, 1-clip_low, 1+clip_high) A), dual clip */
    GRPO_SURR_CISPO = 1,     /* -sg(clamp(r, cispo_bounds)) A l */
    GRPO_SURR_SAPO = 2,      /* -sigmoid(tau (r - 1)) 4/tau A */
    GRPO_SURR_REINFORCE = 3, /* -A l (GPG) */
    GRPO_SURR_VESPO = 4,     /* -sg(phi(w_seq)) A l, gamma weight per sequence */
    GRPO_SURR_GMPO = 5,      /* -mean_t(A) exp(mean_t sign-aware clipped (l - o)), per sequence */
    GRPO_SURR_DPPO_TV = 6,   /* -sg(clamp(r, cispo_bounds) valid) A l; valid: the probability moved
                              * by at most clip_high up (A > 0) or clip_low down (A <= 0) */
    GRPO_SURR_DPPO_KL = 7,   /* the same, valid: the binary KL of the token's probability within
                              * clip_high (A > 0) or clip_low, or it moved the other way (DPPO) */
    GRPO_SURR_DRO = 8,       /* -(A l - dro_beta / 2 (l - o)^2) */
    GRPO_SURR_KL_COV = 9     /* -A r, plus kl_cov_coef |l - o| on the tokens policy_mask marks 2
                              * (KL-Cov: the caller picks them by covariance) */
} grpo_surrogate;

typedef enum grpo_kl_estimator {
    GRPO_KL_K1 = 0,  /* d = l - ref */
    GRPO_KL_ABS = 1, /* |d| */
    GRPO_KL_K2 = 2,  /* d^2 / 2 */
    GRPO_KL_K3 = 3   /* exp(-d) + d - 1 */
} grpo_kl_estimator;

typedef enum grpo_agg_mode {
    GRPO_AGG_TOKEN_MEAN = 0,           /* sum m L / D;  D default max(1, sum m) */
    GRPO_AGG_TOKEN_SUM_NORM = 1,       /* sum m L / D;  D default T, the padded length */
    GRPO_AGG_SEQ_MEAN_TOKEN_MEAN = 2,  /* sum_i (sum_t m L / n_i) / D over rows with tokens; D
                                        * default their count (verl, OpenRLHF: their n_i + 1e-8 is
                                        * a float32 sum of a bool mask, which rounds to n_i) */
    GRPO_AGG_SEQ_MEAN_TOKEN_MEAN_ALL_ROWS = 3, /* every row divided by max(1, n_i); D default B (TRL) */
    GRPO_AGG_SEQ_MEAN_TOKEN_SUM = 4,   /* sum_i sum_t m L / D;  D default non-empty rows */
    GRPO_AGG_LENGTH_WEIGHTED = 5,      /* sum m L n_i / D;  D default B * T (TRL luspo) */
    GRPO_AGG_SEQ_MEAN_TOKEN_SUM_NORM = 6 /* sum_i sum_t m L / (D T);  D default non-empty rows
                                          * (verl seq-mean-token-sum-norm) */
} grpo_agg_mode;

typedef struct grpo_aggregation {
    grpo_agg_mode mode;
    double denominator;         /* > 0: D itself (global tokens, global rows, ...); 0: see below */
    double denominator_per_row; /* > 0, denominator 0: D = B * this (TRL dr_grpo's
                                 * max_completion_length); 0: the mode's default */
    double scale;               /* multiplies the aggregate (dp_size, 1 / grad_accum_steps) */
} grpo_aggregation;

typedef enum grpo_is_level {
    GRPO_IS_NONE = 0,
    GRPO_IS_TOKEN = 1,          /* rho = exp(o - v) per token */
    GRPO_IS_SEQUENCE = 2,       /* rho = exp(sum_t (o - v)) per sequence */
    GRPO_IS_SEQUENCE_MASK = 3   /* token rho, kept iff exp(mean_t (o - v)) is within is_bounds */
} grpo_is_level;

typedef enum grpo_is_mode {
    GRPO_IS_TRUNCATE = 0, /* clamp the weights into is_bounds */
    GRPO_IS_MASK = 1      /* zero the weights outside is_bounds */
} grpo_is_mode;

/* The field names are the Python layer's neutral option names; pairs are (low, high) or
 * (positive advantages, negative advantages). */
typedef struct grpo_loss_options {
    grpo_ratio_level ratio_level;
    grpo_surrogate surrogate;
    double clip_low, clip_high; /* PPO ratio clip [1 - clip_low, 1 + clip_high]; GMPO log-space clip */
    double dual_clip;          /* > 1: cap of the loss for A < 0 at -A * dual_clip; 0: off */
    double delta;              /* > 0: cap of the unclipped ratio (INTELLECT-2); 0: off */
    double log_ratio_clamp[2]; /* clamp of l - o (or of the sequence log ratio) */
    double cispo_bounds[2];    /* bounds of the detached ratio weight of CISPO and DPPO (absolute;
                                * +-INFINITY = open) */
    double dro_beta;           /* DRO's quadratic log-ratio penalty (> 0 with that surrogate) */
    double kl_cov_coef;        /* KL-Cov's |l - o| penalty coefficient */
    double sapo_tau[2];
    double vespo_k[2], vespo_lambda[2];
    /* importance weights from the rollout engine's log-probs v (detached) */
    grpo_is_level is_level;
    grpo_is_mode is_mode;
    double is_bounds[2];
    double is_log_clamp;       /* bound on |log rho| before exp (verl: 20); INFINITY: off */
    double off_policy_threshold; /* keep a sequence iff A >= 0 or mean_t (v - l) <= this; NaN: off */
    /* KL to the reference policy */
    double kl_coef;            /* 0: no KL term (ref may be NULL) */
    grpo_kl_estimator kl_estimator;
    int kl_straight_through;   /* gradient of d^2/2 under the estimator's value (verl "+") */
    int kl_ratio_weighted;     /* multiply by the (non-detached) ratio (TRL use_bias_correction_kl) */
    double kl_grad_is_cap;     /* > 0: the KL gradient times the detached min(exp(l - o), this), the
                                * value unchanged (OpenRLHF unbiased_gradient); 0: off */
    double kl_log_clamp;       /* bound on |d| before the estimator (verl k3: 20); INFINITY: off */
    double kl_value_clamp;     /* bound on |k| after it (verl k3, OpenRLHF: 10); INFINITY: off */
    grpo_aggregation aggregation, kl_aggregation;
    int num_threads;
    int skip_ratio_metrics;    /* 1: ppo_kl and ratio_mean are not needed (NaN; saves two sums) */
    int ppo_kl_raw;            /* 1: ppo_kl from the unclamped l - o (OpenRLHF, verl GSPO); 0: from
                                * l - o clamped into log_ratio_clamp (verl's PPO) */
} grpo_loss_options;

/* Fills options with the neutral defaults: token PPO, clip 0.2/0.2, no dual clip, no clamps, no
 * KL, token-mean aggregation, one thread. The Python layer reads its defaults from here. */
void grpo_loss_options_init(grpo_loss_options *opt);

/* The names of each option enum's values, indexed by value and NULL-terminated: the spelling of
 * the neutral option values ("token", "ppo", "k3", "token_mean", ...). */
extern const char *const grpo_ratio_level_names[];
extern const char *const grpo_surrogate_names[];
extern const char *const grpo_kl_estimator_names[];
extern const char *const grpo_agg_mode_names[];
extern const char *const grpo_is_level_names[];
extern const char *const grpo_is_mode_names[];

typedef struct grpo_loss_metrics {
    double loss, policy_loss, kl_loss;      /* kl_loss is before kl_coef */
    double tokens;                          /* sum of the mask */
    double kl_mean;                         /* masked mean of the KL estimate (NaN without KL) */
    double clip_low, clip_high, clip_region; /* masked means of (r<1-el & A<0), (r>1+eh & A>0), or */
    double clip_low_min, clip_high_max;     /* over rows with tokens of the per-row fractions */
    double clipfrac;                        /* masked mean of clamp(r) A < min(r, delta) A */
    double clipfrac_lower;                  /* masked mean of dual-clip binding (A < 0) */
    double cispo_clip;                      /* masked mean of (r > cispo_bounds[1] & A > 0) */
    double ppo_kl;                          /* masked mean of o - l (after the log-ratio clamp) */
    double is_mean, is_min, is_max;         /* masked statistics of the importance weights */
    double ratio_mean;                      /* masked mean of the ratio */
    double phi_mean;                        /* mean over rows of the VESPO weight (NaN otherwise) */
} grpo_loss_metrics;

/* Dtype of the per-token buffers (all of l, o, ref, v, A when (B, T), grad and per_token).
 * With GRPO_F32 the vectorised path computes each token in float (the inputs' precision) and
 * every sum in double; GRPO_F64 and the plain path compute in double throughout. */

/* Element type of a 0/1 mask as the caller holds it (bool is GRPO_MASK_U8). */
typedef enum grpo_mask_dtype {
    GRPO_MASK_U8 = 0, GRPO_MASK_I32 = 1, GRPO_MASK_I64 = 2, GRPO_MASK_F32 = 3, GRPO_MASK_F64 = 4
} grpo_mask_dtype;

/* out[i] = (values[i] == 1) for n values, and *bad = how many are neither 0 nor 1 (the caller
 * refuses the mask then). For GRPO_MASK_U8 the values are only checked and out may be NULL.
 * Any num_threads gives the same result. */
grpo_status grpo_mask_convert(uint8_t *out, const void *values, grpo_mask_dtype dtype, int64_t n,
                              int num_threads, int64_t *bad);

/* The GRPO policy loss, its gradient dLoss/dl into grad (B, T) and, if per_token is not NULL,
 * the per-token loss P f + kl_coef k (0 where masked). adv is (B,) when adv_per_token is 0.
 * is_weights (B, T) or (B,) (is_weights_per_token) multiplies like rho and may be NULL;
 * policy_mask (B, T) may be NULL: 0 takes a token out of the policy term, any other value keeps
 * it, and 2 also marks it for the KL-Cov surrogate's penalty. Results are identical for any
 * num_threads. */
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

/* ---------------------------------------------------------------- BLAS (csrc/blas.c)
 *
 * The linked OpenBLAS: its name here, its build configuration and core type as it reports
 * them, and its thread count. grpo_c sets that count with its own (the Python layer's
 * set_num_threads), so BLAS threads and the pool's never run more threads than asked for. */

const char *grpo_blas_name(void);
const char *grpo_blas_config(void);
const char *grpo_blas_core(void);
int grpo_blas_threads(void);
void grpo_blas_set_threads(int n);
/* C (m, n) = alpha op(A) op(B) + beta C, row-major, op = transpose where trans_* is 1; 32-bit
 * BLAS: every dimension and leading dimension must fit in an int. */
void grpo_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

/* ---------------------------------------------------------------- log-probs from logits
 *
 * Logits are (N, V) row-major; ids (N,) pick one token per row, each in [0, V).
 */

typedef enum grpo_logits_dtype { GRPO_LOGITS_F32 = 0, GRPO_LOGITS_F64 = 1, GRPO_LOGITS_BF16 = 2 } grpo_logits_dtype;

/* With z = logits / temperature per row: logp = z[id] - logsumexp(z) and entropy (may be NULL) =
 * logsumexp(z) - sum softmax(z) z. row_stats (N, 3; may be NULL) receives what the backward
 * needs: the row's largest logit mx, log s1 and s2 / s1, with d = (logits - mx) / T, s1 = sum
 * exp(d), s2 = sum exp(d) d. One read of each row; a NaN logit makes its row NaN.
 * GRPO_ERR_INVALID for an id outside [0, V), V < 1 or a temperature that is not positive and
 * finite (nothing is written then). */
grpo_status grpo_logprobs(double *logp, double *entropy, double *row_stats, const void *logits,
                          grpo_logits_dtype dtype, const int64_t *ids, int64_t n, int64_t v, double temperature,
                          int num_threads);

/* dlogits (N, V, the logits' dtype) = (dlogp (onehot(id) - p) - dentropy p (z - E[z])) / T,
 * p = softmax(z), from grpo_logprobs' row_stats; dlogp or dentropy may be NULL (0). */
grpo_status grpo_logprobs_backward(void *dlogits, const void *logits, grpo_logits_dtype dtype, const int64_t *ids,
                                   const double *dlogp, const double *dentropy, const double *row_stats, int64_t n,
                                   int64_t v, double temperature, int num_threads);

/* Log-probs of the linear head's logits hidden (N, H) x weight (V, H)^T (+ bias (V,)), float32,
 * without materialising them: chunk rows at a time (chunk >= 1) go through one sgemm into
 * scratch (chunk x V floats) and grpo_logprobs. Outputs as grpo_logprobs'. */
grpo_status grpo_linear_logprobs(double *logp, double *entropy, double *row_stats, const float *hidden,
                                 const float *weight, const float *bias, const int64_t *ids, int64_t n, int64_t h,
                                 int64_t v, double temperature, int64_t chunk, float *scratch, int num_threads);

/* Its backward from dlogp / dentropy (either may be NULL) and the forward's row_stats: per chunk
 * the logits again (sgemm), dlogits in place, dhidden = dlogits x weight (written), dweight +=
 * dlogits^T x hidden and dbias += column sums of dlogits (accumulated; dbias may be NULL). */
grpo_status grpo_linear_logprobs_backward(float *dhidden, float *dweight, float *dbias, const float *hidden,
                                          const float *weight, const float *bias, const int64_t *ids,
                                          const double *dlogp, const double *dentropy, const double *row_stats,
                                          int64_t n, int64_t h, int64_t v, double temperature, int64_t chunk,
                                          float *scratch, int num_threads);

/* ---- sandbox: running untrusted programs (csrc/sandbox.c) ---- */

/* How one sandboxed run ended, before any comparison with expected output. */
typedef enum grpo_sandbox_status {
    GRPO_SANDBOX_EXITED = 0,       /* exited on its own; exit_code says how */
    GRPO_SANDBOX_SIGNALED = 1,     /* died of a signal we did not send (signal says which) */
    GRPO_SANDBOX_CPU_LIMIT = 2,    /* used its CPU time */
    GRPO_SANDBOX_WALL_LIMIT = 3,   /* still running at the wall-clock deadline; we killed it */
    GRPO_SANDBOX_MEMORY_LIMIT = 4, /* failed under the address-space limit (heuristic, see .c) */
    GRPO_SANDBOX_OUTPUT_LIMIT = 5, /* stdout/stderr passed its cap, or a file passed file_bytes */
    GRPO_SANDBOX_EXEC_FAILED = 6,  /* the program could not be started (sys_errno says why) */
    GRPO_SANDBOX_ERROR = 7         /* the sandbox failed to set up (sys_errno, error_step) */
} grpo_sandbox_status;

enum { GRPO_SANDBOX_NS_AUTO = 0, GRPO_SANDBOX_NS_REQUIRE = 1, GRPO_SANDBOX_NS_OFF = 2 };

/* Isolation layers, as bits of grpo_sandbox_result.isolation and grpo_sandbox_probe(). */
#define GRPO_SANDBOX_ISO_USERNS 0x01u   /* own user namespace; no capabilities after exec */
#define GRPO_SANDBOX_ISO_PIDNS 0x02u    /* own PID namespace: every descendant dies with the run */
#define GRPO_SANDBOX_ISO_NETNS 0x04u    /* own network namespace: no interface but a down lo */
#define GRPO_SANDBOX_ISO_LANDLOCK 0x08u /* filesystem: read-only system paths, read-write run dir */
#define GRPO_SANDBOX_ISO_SECCOMP 0x10u  /* syscall filter: no inet sockets, ptrace, mount, ... */
#define GRPO_SANDBOX_ISO_NOFORK 0x20u   /* the program may create threads but no processes */
#define GRPO_SANDBOX_ISO_PGROUP 0x40u   /* fallback: own process group, killed as a whole */
#define GRPO_SANDBOX_ISO_LANDLOCK_NET 0x80u    /* Landlock denies TCP bind/connect */
#define GRPO_SANDBOX_ISO_LANDLOCK_SCOPE 0x100u /* Landlock confines signals and abstract sockets */
#define GRPO_SANDBOX_ISO_PIDS_CGROUP 0x400u /* own pids cgroup: pids.max caps processes and
                                               threads; everything in it is killed after */
#define GRPO_SANDBOX_ISO_TMPFS 0x200u  /* run dir is a private size-limited tmpfs: total writes
                                           are bounded and vanish with the run */
#define GRPO_SANDBOX_ISO_IPCNS 0x800u  /* own IPC namespace: no host SysV/POSIX IPC objects */
#define GRPO_SANDBOX_ISO_ROOT_VIEW 0x1000u /* pivot_root into a read-only tree of the system
                                              paths: no other host path (socket) is nameable */
#define GRPO_SANDBOX_ISO_MEMORY_CGROUP 0x2000u /* own memory cgroup: every page the run pins
                                                  (anon, memfd, shm, tmpfs) is bounded */
#define GRPO_SANDBOX_ISO_UNPRIVILEGED 0x4000u /* the program's host uid/gid is not 0: a root
                                                 caller's program runs as a sandbox uid */

/* A root caller's program runs as uid = gid = GRPO_SANDBOX_UID_BASE + (a per-run counter mod
 * GRPO_SANDBOX_UID_COUNT): ids nothing on the host owns, and never two live runs the same. */
#define GRPO_SANDBOX_UID_BASE 2000000000u
#define GRPO_SANDBOX_UID_COUNT 65536u

typedef struct grpo_sandbox_limits {
    double wall_seconds;      /* deadline from start, CLOCK_MONOTONIC; > 0 */
    double cpu_seconds;       /* CPU time (RLIMIT_CPU, whole seconds, rounded up); > 0 */
    int64_t memory_bytes;     /* RLIMIT_AS of the program and, where a memory cgroup can be
                                 made, the run's memory: memory_bytes + the run's tmpfs sizes
                                 + 16 MiB; 0 = unlimited */
    int64_t file_bytes;       /* RLIMIT_FSIZE: largest file the program may write */
    int64_t stdout_bytes;     /* capture cap; passing it is GRPO_SANDBOX_OUTPUT_LIMIT */
    int64_t stderr_bytes;     /* capture cap, likewise */
    int64_t collect_bytes;    /* largest file read back through job.collect */
    int max_processes;        /* 1: no new processes (threads allowed); > 1: RLIMIT_NPROC */
    int max_tasks;            /* processes + threads, through a pids cgroup where one can be
                                 made (and RLIMIT_NPROC); 0: no cap */
    int open_files;           /* RLIMIT_NOFILE */
    int namespaces;           /* GRPO_SANDBOX_NS_AUTO, _REQUIRE (fail rather than fall back)
                                 or _OFF (always the fallback) */
} grpo_sandbox_limits;

/* A file written into the fresh run directory before the program starts. */
typedef struct grpo_sandbox_file {
    const char *name;  /* NUL-terminated, no '/', not "." or ".." */
    const char *data;
    size_t len;
    int executable;    /* nonzero: mode 0700, else 0600 */
} grpo_sandbox_file;

typedef struct grpo_sandbox_job {
    const char *const *argv;      /* NULL-terminated; argv[0] absolute, or ./name in the run dir */
    const char *const *env;       /* extra NAME=value entries (NULL-terminated) or NULL */
    const grpo_sandbox_file *files;
    int64_t n_files;
    const char *stdin_data;
    size_t stdin_len;
    const char *const *read_paths; /* extra read-only paths (interpreter prefix), NULL-terminated */
    const char *temp_root;        /* where the run directory is made; NULL: $TMPDIR or /tmp */
    const char *collect;          /* a file of the run directory to read back, or NULL */
    int channel;                  /* nonzero: fd 3 is a pipe, captured into result.channel */
    const grpo_sandbox_limits *limits; /* this job's own limits, or NULL: the call's */
} grpo_sandbox_job;

typedef struct grpo_sandbox_result {
    grpo_sandbox_status status;
    int exit_code;            /* valid for GRPO_SANDBOX_EXITED */
    int signal;               /* the signal that ended the program, or 0 */
    double wall_seconds;
    double cpu_seconds;       /* user + system of the program and its reaped children */
    int64_t max_rss_bytes;    /* peak RSS; includes the caller's own at spawn (vfork-style) */
    int64_t memory_peak_bytes; /* peak of the run's memory cgroup (every page), or 0: none */
    int64_t oom_kills;        /* processes the memory cgroup's limit killed */
    char *out, *err, *channel, *collected; /* owned; free with grpo_sandbox_result_free */
    size_t out_len, err_len, channel_len, collected_len;
    unsigned isolation;       /* GRPO_SANDBOX_ISO_* bits that were active for this run */
    int sys_errno;            /* errno behind EXEC_FAILED / ERROR / a namespace fallback */
    const char *error_step;   /* static text naming the failed step, or NULL */
} grpo_sandbox_result;

/* How a process ended, as its runner saw it. */
typedef enum grpo_sandbox_end_kind {
    GRPO_SANDBOX_END_EXIT = 0,     /* it exited; value: the exit code */
    GRPO_SANDBOX_END_SIGNAL = 1,   /* a signal ended it; value: the signal */
    GRPO_SANDBOX_END_DEADLINE = 2, /* the runner killed it at the wall deadline */
    GRPO_SANDBOX_END_OUTPUT = 3    /* the runner killed it for output past a cap */
} grpo_sandbox_end_kind;

/* The raw facts of an ending, besides the result's cpu_seconds, err and oom_kills. */
typedef struct grpo_sandbox_end {
    grpo_sandbox_end_kind kind;
    int value;
    int over;       /* an output cap was passed */
    int disk_full;  /* the runner found the workspace full */
    int oom_shared; /* oom_kills also counts other processes (the tests of one fork server), so
                     * only a SIGKILL the CPU limit cannot explain is charged to memory */
} grpo_sandbox_end;

/* Decides result->status (and exit_code, signal) from how the process ended, under `limits`:
 * the one place verdicts are made, for the runner's own runs and for each test a fork server
 * runs (which reports only these facts). */
void grpo_sandbox_classify(grpo_sandbox_result *result, const grpo_sandbox_end *end,
                           const grpo_sandbox_limits *limits);

/* Runs one program in a fresh temporary directory with the given limits; the directory is
 * removed (never following symlinks) and every process reaped before returning. Safe to call
 * from many threads at once. GRPO_OK means `result` describes the run (which may itself be a
 * GRPO_SANDBOX_ERROR); other statuses mean bad arguments or no memory. */
grpo_status grpo_sandbox_run(grpo_sandbox_result *result, const grpo_sandbox_job *job,
                             const grpo_sandbox_limits *limits);

/* n independent runs on up to num_workers threads; results[i] belongs to jobs[i]. */
grpo_status grpo_sandbox_run_batch(grpo_sandbox_result *results, const grpo_sandbox_job *jobs,
                                   int64_t n, const grpo_sandbox_limits *limits,
                                   int num_workers);

void grpo_sandbox_result_free(grpo_sandbox_result *result);

/* Which layers this process can get right now (GRPO_SANDBOX_ISO_* bits); *ns_errno is the
 * errno of the namespace attempt (0 when it worked), *landlock_abi the Landlock ABI or 0. */
unsigned grpo_sandbox_probe(int *ns_errno, int *landlock_abi);

/* The seccomp program the sandbox installs with no_fork (processes refused, threads allowed),
 * as raw struct sock_filter bytes, for a trusted harness that forks inside the sandbox and
 * must confine each child the same way. GRPO_ERR_UNSUPPORTED on architectures without one. */
grpo_status grpo_sandbox_nofork_filter(uint8_t *out, size_t capacity, size_t *out_len);

/* Output comparators for stdin/stdout tests.
 * EXACT: byte equality. LINES: each line right-trimmed, trailing blank lines dropped, then the
 * same number of equal lines (an extra or missing line fails). TOKENS: equal sequences of
 * whitespace-separated tokens. FLOAT: TOKENS, but two tokens that both parse as numbers are equal
 * when |a-b| <= max(abs_tol, rel_tol*|b|) (integers compare exactly, digit by digit). */
typedef enum grpo_compare_mode {
    GRPO_COMPARE_EXACT = 0,
    GRPO_COMPARE_LINES = 1,
    GRPO_COMPARE_TOKENS = 2,
    GRPO_COMPARE_FLOAT = 3
} grpo_compare_mode;

grpo_status grpo_compare_output(int *equal, const char *actual, size_t actual_len,
                                const char *expected, size_t expected_len,
                                grpo_compare_mode mode, double rel_tol, double abs_tol);

/* ---------------------------------------------------------------- text rewards */
/* Rule rewards over completion texts (csrc/text_rewards.c, csrc/lang.c). A batch is N
 * grpo_str; s == NULL marks a missing completion, whose reward is NaN. Every scanner is
 * linear in its input; bytes are UTF-8 and invalid sequences never fail a call. */

typedef struct grpo_str {
    const char *s;
    size_t len;
} grpo_str;

typedef enum grpo_format_mode {
    GRPO_FORMAT_OPENR1 = 0, /* open-r1 format_reward: ^O\n.*?\nC\nA\n.*?\nE$ (DOTALL|MULTILINE) */
    GRPO_FORMAT_THINK = 1,  /* TRL think_format_reward: ^O(?!.*O)(.*?)C.*$ (DOTALL|MULTILINE) */
    GRPO_FORMAT_STRICT = 2, /* one think block then one answer block, both non-blank, nothing
                               but whitespace around them, no tag inside a block */
    GRPO_FORMAT_CODE = 3    /* open-r1 code_format_reward: an answer holding ```lang ... ``` */
} grpo_format_mode;

/* Tags default to <think> </think> <answer> </answer> when their s is NULL. */
typedef struct grpo_format_opts {
    int mode;              /* grpo_format_mode */
    int think_prefilled;   /* the prompt already ends with the think open tag (plus "\n" in
                              GRPO_FORMAT_OPENR1/CODE): the text starts inside the think block */
    grpo_str think_open, think_close, answer_open, answer_close;
    grpo_str code_language; /* GRPO_FORMAT_CODE: the word after the opening fence */
} grpo_format_opts;

/* out[N] = 1 if texts[i] has the format, 0 if not, NaN if texts[i] is missing. `languages`
 * (NULL or N entries) overrides opts->code_language per text in GRPO_FORMAT_CODE; an entry with
 * s == NULL gives NaN. Tags are 1..85 bytes. */
grpo_status grpo_format_reward(float *out, const grpo_str *texts, int64_t n,
                               const grpo_str *languages, const grpo_format_opts *opts,
                               int num_threads);

/* open-r1 tag_count_reward: 0.25 for each of think_open+"\n", "\n"+think_close+"\n",
 * "\n"+answer_open+"\n", "\n"+answer_close occurring exactly once (non-overlapping count, as
 * Python's str.count). Only the tags of opts are used. */
grpo_status grpo_tag_count_reward(float *out, const grpo_str *texts, int64_t n,
                                  const grpo_format_opts *opts, int num_threads);

/* open-r1 reasoning_steps_reward: matches of
 * (Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,) without MULTILINE, \d being
 * Unicode decimal digits; out[i] = min(1, count / steps_for_full), counts[i] (may be NULL)
 * the match count. */
grpo_status grpo_reasoning_steps_reward(float *out, int64_t *counts, const grpo_str *texts,
                                        int64_t n, double steps_for_full, int num_threads);

/* Repetition penalty (Demystifying Long CoT, App. C.2): (1 - unique n-grams / n-grams) *
 * max_penalty over whitespace-separated words (Python str.split() whitespace), 0 when there
 * are fewer than `ngram` words. fold_ascii_case compares ASCII letters case-insensitively;
 * lowercasing beyond ASCII is the caller's. */
grpo_status grpo_repetition_words(float *out, const grpo_str *texts, int64_t n, int64_t ngram,
                                  double max_penalty, int fold_ascii_case, int num_threads);

/* The same over token ids: sequence i is ids[offsets[i] .. offsets[i+1]) (offsets has N+1
 * entries, non-decreasing). */
grpo_status grpo_repetition_ids(float *out, const int64_t *ids, const int64_t *offsets,
                                int64_t n, int64_t ngram, double max_penalty, int num_threads);

/* Scripts of the language-consistency reward (bit masks). Scriptio continua scripts count
 * one unit per code point. */
enum {
    GRPO_SCRIPT_LATIN = 0, GRPO_SCRIPT_CYRILLIC, GRPO_SCRIPT_GREEK, GRPO_SCRIPT_ARMENIAN,
    GRPO_SCRIPT_HEBREW, GRPO_SCRIPT_ARABIC, GRPO_SCRIPT_DEVANAGARI, GRPO_SCRIPT_BENGALI,
    GRPO_SCRIPT_GURMUKHI, GRPO_SCRIPT_GUJARATI, GRPO_SCRIPT_TAMIL, GRPO_SCRIPT_TELUGU,
    GRPO_SCRIPT_KANNADA, GRPO_SCRIPT_MALAYALAM, GRPO_SCRIPT_THAI, GRPO_SCRIPT_LAO,
    GRPO_SCRIPT_GEORGIAN, GRPO_SCRIPT_HANGUL, GRPO_SCRIPT_HIRAGANA, GRPO_SCRIPT_KATAKANA,
    GRPO_SCRIPT_HAN, GRPO_SCRIPT_KHMER, GRPO_SCRIPT_MYANMAR, GRPO_SCRIPT_ETHIOPIC,
    GRPO_SCRIPT_COUNT
};

typedef enum grpo_lang_region {
    GRPO_LANG_THINK = 0, /* the think block (see grpo_language_consistency) */
    GRPO_LANG_ALL = 1    /* the whole text */
} grpo_lang_region;

typedef struct grpo_lang_opts {
    uint32_t target_scripts;  /* bit (1u << GRPO_SCRIPT_x) per script of the target language */
    int region;               /* grpo_lang_region */
    grpo_str think_open, think_close; /* default <think> </think> */
    double continua_weight;   /* weight of one Han/kana/Thai/... code point; 1.0 by default */
    double min_units;         /* fewer weighted units than this: the reward is NaN */
    double threshold;         /* > 0: out = 1 if the proportion >= threshold else 0 */
    int ignore_acronyms;      /* all-caps Latin words of <= 5 letters are neutral */
    uint64_t one_letter_words; /* bit k: ASCII letter 'a' + k (k < 26) or 'A' + k - 26 is a word
                                * when it stands alone; any other lone ASCII Latin letter is a
                                * math variable and neutral, whatever the target */
} grpo_lang_opts;

/* Language consistency (DeepSeek-R1 2.3.3): the weighted share of letter units of the target
 * scripts among all letter units of the chain of thought, after excluding code, LaTeX, URLs,
 * e-mail addresses and tags. The chain of thought is the text after the first think_open up to
 * the next think_close (or the end); with no think_open, the text up to the first think_close;
 * with neither, the whole text. out[N]; target[N], other[N] (weighted unit counts), hist[N *
 * GRPO_SCRIPT_COUNT] (raw units per script), invalid[N] (invalid UTF-8 sequences) and
 * excluded[N] (bytes skipped as code, math, markup or URLs: a large share can mean text hidden
 * from the reward, e.g. in an unclosed fence) may be NULL. */
grpo_status grpo_language_consistency(float *out, double *target, double *other, int64_t *hist,
                                      int64_t *invalid, int64_t *excluded, const grpo_str *texts,
                                      int64_t n, const grpo_lang_opts *opts, int num_threads);

/* ---------------------------------------------------------------- math answers */
/* The accuracy reward of R1-style training: extract the final answer of a completion, parse it
 * (LaTeX or plain math) and compare it with the gold answer. Verdict policy: docs/math.md.
 * Strings are UTF-8 bytes with explicit lengths; any byte string is accepted. */

typedef enum grpo_math_extract {
    GRPO_MATH_EXTRACT_DEFAULT = 0, /* last box; else last <answer>; else "#### n"; else an anchor */
    GRPO_MATH_EXTRACT_STRICT = 1,  /* open-r1: a box, or an anchor followed by $..$ / \(..\) / \[..\] */
    GRPO_MATH_EXTRACT_BOXED = 2    /* only \boxed / \fbox */
} grpo_math_extract;

typedef struct grpo_math_options {
    int extract;          /* grpo_math_extract */
    int after_think;      /* 1: only the text after the last "</think>" counts; none -> no answer */
    int strict_latex;     /* 1: reject malformed shorthand such as \frac12 (open-r1 parity) */
    double float_rel_tol; /* relative tolerance when a decimal is involved; <= 0 means 1e-6 */
} grpo_math_options;

/* Default options (the recommended policy). */
grpo_math_options grpo_math_default_options(void);

typedef enum grpo_math_reason {
    GRPO_MATH_OK = 0,
    GRPO_MATH_NO_ANSWER = 1,   /* no box, answer tag or anchor found */
    GRPO_MATH_TRUNCATED = 2,   /* the last box is not closed */
    GRPO_MATH_EMPTY = 3,       /* the answer is empty */
    GRPO_MATH_TOO_LONG = 4,    /* the answer exceeds the parse bound */
    GRPO_MATH_TOO_DEEP = 5,    /* nesting exceeds the depth bound */
    GRPO_MATH_SYNTAX = 6,      /* the answer is not math we can read */
    GRPO_MATH_NO_THINK_END = 7 /* after_think is set and there is no "</think>" */
} grpo_math_reason;

typedef enum grpo_math_kind {
    GRPO_MATH_KIND_NONE = 0, GRPO_MATH_KIND_MATH = 1, GRPO_MATH_KIND_TEXT = 2,
    GRPO_MATH_KIND_CHOICE = 3
} grpo_math_kind;

/* Inspection of one answer. `answer_begin/answer_end` locate the extracted answer in the input
 * (for joined multi-box answers, the span covering them); `extracted` receives the text that was
 * parsed (box contents joined by ", " when several boxes form one answer) and `normalized` a
 * canonical rendering of the parse; both NUL-terminated and truncated to their capacity. */
typedef struct grpo_math_parsed {
    int kind;   /* grpo_math_kind */
    int reason; /* grpo_math_reason */
    int source; /* 0 none, 1 box, 2 answer tag, 3 anchor, 4 whole text (golds), 5 "####" */
    size_t answer_begin, answer_end;
    size_t extracted_len; /* full length of the extracted text, even when truncated on output */
} grpo_math_parsed;

/* is_gold: 1 parses `s` as a gold answer (box, "#### n", an anchored phrase, or the whole text),
 * 0 as a completion. `opt` may be NULL for the defaults (also in the functions below). */
grpo_status grpo_math_parse(grpo_math_parsed *out, char *extracted, size_t extracted_cap,
                            char *normalized, size_t normalized_cap,
                            const char *s, size_t len, int is_gold,
                            const grpo_math_options *opt);

/* *verdict: 1 equal, 0 not equal or no answer, -1 the gold cannot be parsed. `pred` is read as a
 * completion when pred_is_completion is 1, else as an answer the way golds are. */
grpo_status grpo_math_equal(int *verdict, const char *gold, size_t gold_len, const char *pred,
                            size_t pred_len, int pred_is_completion,
                            const grpo_math_options *opt);

/* out[i] = 1.0 / 0.0 for completion i against gold i, NaN where the gold cannot be parsed.
 * One arena per sample (bounded by 64 MiB); results do not depend on num_threads. */
grpo_status grpo_math_accuracy(float *out, int64_t n, const char *const *completions,
                               const size_t *completion_lens, const char *const *golds,
                               const size_t *gold_lens, const grpo_math_options *opt,
                               int num_threads);

#ifdef __cplusplus
}
#endif
#endif /* GRPO_H */
