"""Independent torch-autograd oracles of the TRL, verl and OpenRLHF GRPO formulas (test helper, not the package).

Each function restates one framework's formula in plain torch, computed in float64, with that framework's
option names and defaults, so that ``loss.backward()`` gives dLoss/dlogp by autograd. grpo_c's kernels are
judged against these (docs/loss-bench.md). Formulas follow the releases the presets follow, TRL 1.16.0,
verl 0.9.1 and OpenRLHF 0.11.2 (older releases' formulas are a ``release`` argument where the presets keep
them); the peer tier (tests/peers/) checks each restatement against that release's installed code.

Masking stance, mirrored from each framework (not fixed): TRL multiplies ``per_token_loss * mask``, so
NaN/Inf at masked positions propagates; verl's ``masked_sum`` / ``masked_mean`` select with
``where(mask, x, 0)`` first and are NaN-safe, but its seq-mean aggregations and GSPO's sequence log-ratio
multiply ``x * mask`` like TRL; OpenRLHF multiplies.

Signatures (all tensors torch; per-token tensors (B, T); advantages (B,) or (B, T)):

  Advantages
    trl_advantages(rewards_per_func, reward_weights=None, num_generations=8, scale_rewards="group",
                   multi_objective_aggregation="sum_then_normalize") -> (N,)
    verl_grpo / verl_grpo_vectorized(token_level_rewards, response_mask, index, epsilon=1e-6,
                   norm_adv_by_std_in_grpo=True[, var_floor=None]) -> (advantages, returns)
    verl_grpo_passk(token_level_rewards, response_mask, index, epsilon=1e-6, norm_adv_by_std_in_grpo=True)
    verl_rloo / verl_rloo_vectorized / verl_reinforce_plus_plus_baseline / verl_opo(
                   token_level_rewards, response_mask, index, epsilon=1e-6)
    verl_gpg(token_level_rewards, response_mask, index, epsilon=1e-6, f_norm=1.0)
    VERL_ADVANTAGE_ESTIMATORS: dict name -> function
    openrlhf_advantages(rewards, n_samples_per_prompt, advantage_estimator="group_norm", action_mask=None,
                   no_std_norm=False, reward_clip_range=(-10.0, 10.0)) -> (N,) or (N, T)

  Losses (each returns (loss tensor, metrics dict of floats))
    trl_loss(per_token_logps, old_per_token_logps, ref_per_token_logps, advantages, completion_mask, *,
             loss_type="dapo", epsilon=0.2, epsilon_high=None, delta=None, beta=0.0,
             importance_sampling_level="token", use_bias_correction_kl=None, max_completion_length=512,
             gradient_accumulation_steps=1, num_items_in_batch=None, num_processes=1, mode="train",
             sapo_temperature_pos=1.0, sapo_temperature_neg=1.05, vespo_k_pos=2.0, vespo_lambda_pos=3.0,
             vespo_k_neg=3.0, vespo_lambda_neg=2.0, sampling_per_token_logps=None,
             vllm_importance_sampling_correction=False, vllm_importance_sampling_mode="sequence_mask",
             vllm_importance_sampling_clip_max=3.0, vllm_importance_sampling_clip_min=None,
             vllm_importance_sampling_cap=None, off_policy_mask_threshold=None, entropies=None,
             top_entropy_quantile=1.0, steps_per_generation=None, release="1.16")
    verl_loss(log_prob, old_log_prob, advantages, response_mask, *, loss_mode="vanilla",
              clip_ratio_low=0.2, clip_ratio_high=0.2, clip_ratio_c=3.0, loss_agg_mode="token-mean",
              dp_size=1, batch_num_tokens=None, global_batch_size=None, loss_scale_factor=None,
              use_kl_loss=False, kl_loss_coef=0.001,
              kl_loss_type="low_var_kl", ref_log_prob=None, rollout_is_weights=None, tau_pos=1.0, tau_neg=1.05,
              gradient_accumulation_steps=1)
    openrlhf_loss(log_probs, old_log_probs, advantages, action_mask, *, policy_loss_type="ppo",
                  eps_clip_low_high=(0.2, 0.2), dual_clip=None, token_level_loss=True, batch_num_tokens=None,
                  global_batch_size=None, dp_size=1, rollout_log_probs=None, is_correction=None,
                  is_thresholds=(0.5, 5.0), kl_coef=0.01, use_kl_loss=False, kl_estimator="k1",
                  ref_log_probs=None)

  Helpers
    kl_estimate(logp, ref, estimator, framework) -> per-token KL tensor ("trl": k3 only; "verl": k1/kl, abs,
                k2/mse, k3/low_var_kl and "+" variants; "openrlhf": k1, k2, k3)
    verl_agg_loss(loss_mat, loss_mask, loss_agg_mode, dp_size=1, batch_num_tokens=None,
                  global_batch_size=None, loss_scale_factor=None)
    openrlhf_aggregate_loss(loss, mask, token_level_loss=True, batch_num_tokens=None, global_batch_size=None,
                            dp_size=1)
    trl_vllm_importance_sampling_ratio(old, sampling, mask, mode="sequence_mask", clip_max=3.0, clip_min=None)
    trl_gamma_weights(advantages (B,1), log_ratio_per_token, mask, importance_sampling_ratio=None, k_pos=2.0,
                      lambda_pos=3.0, k_neg=3.0, lambda_neg=2.0) -> phi (B, 1), detached
    trl_high_entropy_mask(entropies, mask, threshold), trl_nanstd(x, dim=None, keepdim=False)
    verl_masked_sum / verl_masked_mean / verl_masked_whiten
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import torch

F64 = torch.float64


def _f64(x):
    """float64 tensor view of x; keeps the autograd graph when x is already a tensor."""
    if x is None:
        return None
    if isinstance(x, torch.Tensor):
        return x.to(F64)
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


def _adv2d(advantages):
    """TRL/verl/OpenRLHF broadcast: (B,) advantages become (B, 1)."""
    a = _f64(advantages)
    return a.unsqueeze(1) if a.dim() == 1 else a


# --------------------------------------------------------------------------------------------------------
# TRL advantages (_generate_and_score_completions)
# --------------------------------------------------------------------------------------------------------

def trl_nanstd(x, dim=None, keepdim=False):
    """TRL utils.nanstd: sqrt(nanmean((x - nanmean)^2) * n/(n-1)); NaN when fewer than 2 values."""
    if dim is None:
        mean = torch.nanmean(x)
        var = torch.nanmean((x - mean) ** 2)
        count = torch.sum(~torch.isnan(x))
    else:
        mean = torch.nanmean(x, dim=dim, keepdim=True)
        var = torch.nanmean((x - mean) ** 2, dim=dim, keepdim=keepdim)
        count = torch.sum(~torch.isnan(x), dim=dim, keepdim=keepdim)
    var = var * count / (count - 1)
    return torch.sqrt(var)


def trl_advantages(rewards_per_func, reward_weights=None, num_generations=8, scale_rewards="group",
                   multi_objective_aggregation="sum_then_normalize"):
    """TRL GRPOTrainer advantages on the gathered batch.

    rewards_per_func: (N, R), NaN where a reward function returned None. Groups are contiguous blocks of
    ``num_generations`` rows. ``scale_rewards`` accepts TRL's legacy bools (True -> "group", False -> "none").
    Returns A (N,) with NaN mapped to 0 (unscorable rows, groups with a single valid reward).
    """
    r = _f64(rewards_per_func)
    if r.dim() == 1:
        r = r.unsqueeze(1)
    n, k = r.shape
    if scale_rewards is True:
        scale_rewards = "group"
    elif scale_rewards is False:
        scale_rewards = "none"
    if scale_rewards not in ("group", "batch", "none"):
        raise ValueError(f"scale_rewards must be 'group', 'batch' or 'none', got {scale_rewards!r}")
    G = int(num_generations)
    if n % G:
        raise ValueError(f"N={n} is not a multiple of num_generations={G}")
    w = torch.ones(k, dtype=F64) if reward_weights is None else _f64(reward_weights)
    unscorable = torch.isnan(r).all(dim=1)

    if multi_objective_aggregation == "sum_then_normalize":
        rewards = torch.nansum(r * w.unsqueeze(0), dim=1)
        rewards = torch.where(unscorable, torch.full_like(rewards, float("nan")), rewards)
        grouped = rewards.view(-1, G)
        mean = torch.nanmean(grouped, dim=1).repeat_interleave(G)
        if scale_rewards == "batch":
            std = trl_nanstd(rewards).expand(n)
        elif G > 1:
            std = trl_nanstd(grouped, dim=1).repeat_interleave(G)
        else:
            std = torch.zeros(n, dtype=F64)  # eval with one generation: TRL sets std to 0
        adv = rewards - mean
        if scale_rewards != "none":
            adv = adv / (std + 1e-4)
    elif multi_objective_aggregation == "normalize_then_sum":
        grouped = r.view(-1, G, k)
        mean_k = torch.nanmean(grouped, dim=1, keepdim=True)
        std_k = trl_nanstd(grouped, dim=1, keepdim=True) if G > 1 else torch.zeros_like(mean_k)
        z = ((grouped - mean_k) / (std_k + 1e-4)).view(n, k)
        rewards = torch.nansum(z * w.unsqueeze(0), dim=1)
        rewards = torch.where(unscorable, torch.full_like(rewards, float("nan")), rewards)
        adv = (rewards - torch.nanmean(rewards)) / (trl_nanstd(rewards) + 1e-4)
    else:
        raise ValueError(f"unknown multi_objective_aggregation {multi_objective_aggregation!r}")
    return torch.nan_to_num(adv, nan=0.0)


# --------------------------------------------------------------------------------------------------------
# verl torch_functional helpers
# --------------------------------------------------------------------------------------------------------

def verl_masked_sum(values, mask, axis=None):
    """verl masked_sum: where(mask, x, 0) * mask, so NaN/Inf at masked positions do not leak."""
    valid = torch.where(mask.bool(), values, torch.zeros_like(values))
    return (valid * mask).sum() if axis is None else (valid * mask).sum(dim=axis)


def verl_masked_mean(values, mask, axis=None):
    """verl masked_mean: masked_sum / (mask.sum + 1e-8); verl's trainer passes int or bool masks,
    so that divisor is a float32, which rounds to the count itself (1e-8 for an empty mask)."""
    count = mask.sum() if axis is None else mask.sum(dim=axis)
    return verl_masked_sum(values, mask, axis) / (count.to(torch.float32) + 1e-8).to(F64)


def verl_masked_whiten(values, mask):
    """verl masked_whiten: (x - mean) * rsqrt(var + 1e-8), var Bessel-corrected over the token count."""
    mean = verl_masked_mean(values, mask)
    var = verl_masked_mean((values - mean) ** 2, mask)
    mask_sum = mask.sum()
    if mask_sum == 0:
        raise ValueError("At least one element in the mask has to be 1.")
    if mask_sum == 1:
        raise ValueError("The sum of the mask is one, which can cause a division by zero.")
    var = var * (mask_sum / (mask_sum - 1))
    return (values - mean) * torch.rsqrt(var + 1e-8)


# --------------------------------------------------------------------------------------------------------
# verl advantage estimators (core_algos.py). Scores are the row sums of token_level_rewards; groups are
# the distinct values of ``index`` in any order. Each returns (advantages, returns), both (B, T).
# --------------------------------------------------------------------------------------------------------

def _verl_groups(index):
    groups = defaultdict(list)
    for i, g in enumerate(np.asarray(index).tolist()):
        groups[g].append(i)
    return groups


def verl_grpo(token_level_rewards, response_mask, index, epsilon=1e-6, norm_adv_by_std_in_grpo=True):
    """verl ``grpo``: the per-sample Python loop. Singleton group: mean 0, std 1, so A = s/(1+eps)."""
    scores = _f64(token_level_rewards).sum(dim=-1)
    mask = _f64(response_mask)
    id2score = defaultdict(list)
    idx = np.asarray(index).tolist()
    for i in range(scores.shape[0]):
        id2score[idx[i]].append(scores[i])
    id2mean, id2std = {}, {}
    for g, vals in id2score.items():
        if len(vals) == 1:
            id2mean[g], id2std[g] = torch.tensor(0.0, dtype=F64), torch.tensor(1.0, dtype=F64)
        else:
            t = torch.stack(vals)
            id2mean[g], id2std[g] = torch.mean(t), torch.std(t)
    out = scores.clone()
    for i in range(scores.shape[0]):
        if norm_adv_by_std_in_grpo:
            out[i] = (scores[i] - id2mean[idx[i]]) / (id2std[idx[i]] + epsilon)
        else:
            out[i] = scores[i] - id2mean[idx[i]]
    adv = out.unsqueeze(-1) * mask
    return adv, adv


def verl_grpo_vectorized(token_level_rewards, response_mask, index, epsilon=1e-6, norm_adv_by_std_in_grpo=True,
                         var_floor=None):
    """verl ``grpo_vectorized`` at b178a3cd: sigma = sqrt(max(var, var_floor)), var = (s2 - s1^2/n)/max(n-1, 1).

    ``var_floor=None`` uses ``epsilon`` (b178a3cd passes eps to group_mean_std, so sigma >= 1e-3); later verl
    passes 0.0 and a two-pass variance (``var_floor=0.0`` reproduces the floor change). Singletons: mean 0,
    std 1. verl computes in float32; this oracle stays in float64.
    """
    scores = _f64(token_level_rewards).sum(dim=-1)
    mask = _f64(response_mask)
    _, inv = np.unique(np.asarray(index), return_inverse=True)
    g = torch.as_tensor(inv.reshape(-1), dtype=torch.long)
    n_groups = int(g.max()) + 1 if g.numel() else 0
    count = torch.zeros(n_groups, dtype=F64).index_add_(0, g, torch.ones_like(scores))
    s1 = torch.zeros(n_groups, dtype=F64).index_add_(0, g, scores)
    s2 = torch.zeros(n_groups, dtype=F64).index_add_(0, g, scores * scores)
    mean = s1 / count.clamp_min(1.0)
    var = (s2 - s1 * s1 / count.clamp_min(1.0)) / (count - 1.0).clamp_min(1.0)
    floor = epsilon if var_floor is None else var_floor
    std = torch.sqrt(torch.clamp(var, min=floor))
    single = count <= 1.0
    mean = torch.where(single, torch.zeros_like(mean), mean)
    std = torch.where(single, torch.ones_like(std), std)
    if norm_adv_by_std_in_grpo:
        scalars = (scores - mean[g]) / (std[g] + epsilon)
    else:
        scalars = scores - mean[g]
    adv = scalars.unsqueeze(-1) * mask
    return adv, adv


def verl_grpo_passk(token_level_rewards, response_mask, index, epsilon=1e-6, norm_adv_by_std_in_grpo=True):
    """verl ``grpo_passk``: only the group's argmax (torch.topk) gets r_max - r_2nd (/ (std+eps)); raises for n<2."""
    scores = _f64(token_level_rewards).sum(dim=-1)
    mask = _f64(response_mask)
    adv = torch.zeros_like(scores)
    for g, rows in _verl_groups(index).items():
        rewards = scores[rows]
        if rewards.numel() < 2:
            raise ValueError(f"Pass@k requires at least 2 samples per group. Got {rewards.numel()} for group {g}.")
        topk, topk_idx = torch.topk(rewards, 2)
        a = topk[0] - topk[1]
        if norm_adv_by_std_in_grpo:
            a = a / (torch.std(rewards) + epsilon)
        adv[rows[int(topk_idx[0])]] = a
    adv = adv.unsqueeze(-1) * mask
    return adv, adv


def verl_rloo(token_level_rewards, response_mask, index, epsilon=1e-6):
    """verl ``rloo``: s*n/(n-1) - mean*n/(n-1); a singleton keeps its raw score."""
    scores = _f64(token_level_rewards).sum(dim=-1)
    mask = _f64(response_mask)
    out = scores.clone()
    for rows in _verl_groups(index).values():
        n = len(rows)
        if n > 1:
            mean = torch.mean(scores[rows])
            for i in rows:
                out[i] = scores[i] * n / (n - 1) - mean * n / (n - 1)
    adv = out.unsqueeze(-1) * mask
    return adv, adv


def verl_rloo_vectorized(token_level_rewards, response_mask, index, epsilon=1e-6):
    """verl ``rloo_vectorized``: (n s - sum)/max(n-1, 1) * (n > 1); a singleton gets 0 (unlike ``rloo``)."""
    scores = _f64(token_level_rewards).sum(dim=-1)
    mask = _f64(response_mask)
    _, inv = np.unique(np.asarray(index), return_inverse=True)
    inv = torch.as_tensor(inv.reshape(-1), dtype=torch.long)
    c = torch.bincount(inv)[inv].to(F64)
    total = torch.bincount(inv, weights=scores)[inv]
    adv = ((c * scores - total) / (c - 1).clamp_min(1)) * (c > 1)
    adv = adv.unsqueeze(-1) * mask
    return adv, adv


def verl_reinforce_plus_plus_baseline(token_level_rewards, response_mask, index, epsilon=1e-6):
    """verl ``reinforce_plus_plus_baseline``: (s - group mean) on every token, then masked_whiten over the batch."""
    scores = _f64(token_level_rewards).sum(dim=-1)
    mask = _f64(response_mask)
    out = scores.clone()
    for rows in _verl_groups(index).values():
        mean = torch.tensor(0.0, dtype=F64) if len(rows) == 1 else torch.mean(scores[rows])
        for i in rows:
            out[i] = scores[i] - mean
    x = out.unsqueeze(-1).expand_as(mask) * mask
    adv = verl_masked_whiten(x, mask) * mask
    return adv, adv


def verl_opo(token_level_rewards, response_mask, index, epsilon=1e-6):
    """verl ``opo``: baseline sum_j |o_j| s_j / sum_j |o_j| (0 for a singleton)."""
    mask = _f64(response_mask)
    lengths = mask.sum(dim=-1)
    scores = _f64(token_level_rewards).sum(dim=-1)
    out = scores.clone()
    for rows in _verl_groups(index).values():
        if len(rows) == 1:
            b = torch.tensor(0.0, dtype=F64)
        else:
            b = (lengths[rows] * scores[rows]).sum() / lengths[rows].sum()
        for i in rows:
            out[i] = scores[i] - b
    adv = out.unsqueeze(-1) * mask
    return adv, adv


def verl_gpg(token_level_rewards, response_mask, index, epsilon=1e-6, f_norm=1.0):
    """verl ``gpg``: alpha (s - group mean)/f_norm, alpha = B / max(1, count_nonzero(s)); no std."""
    scores = _f64(token_level_rewards).sum(dim=-1)
    mask = _f64(response_mask)
    bsz = scores.shape[0]
    # verl's int / int-tensor division is float32; the oracle keeps alpha in float64 like everything else
    alpha = bsz / float(torch.count_nonzero(scores).clamp(min=1))
    out = scores.clone()
    for rows in _verl_groups(index).values():
        mean = torch.tensor(0.0, dtype=F64) if len(rows) == 1 else torch.mean(scores[rows])
        for i in rows:
            out[i] = alpha * (scores[i] - mean) / f_norm
    adv = out.unsqueeze(-1) * mask
    return adv, adv


VERL_ADVANTAGE_ESTIMATORS = {
    "grpo": verl_grpo,
    "grpo_vectorized": verl_grpo_vectorized,
    "grpo_passk": verl_grpo_passk,
    "rloo": verl_rloo,
    "rloo_vectorized": verl_rloo_vectorized,
    "reinforce_plus_plus_baseline": verl_reinforce_plus_plus_baseline,
    "opo": verl_opo,
    "gpg": verl_gpg,
}


# --------------------------------------------------------------------------------------------------------
# OpenRLHF advantages (compute_advantages_and_returns + compute_reward clamp + whitening), no KL shaping
# --------------------------------------------------------------------------------------------------------

def openrlhf_advantages(rewards, n_samples_per_prompt, advantage_estimator="group_norm", action_mask=None,
                        no_std_norm=False, reward_clip_range=(-10.0, 10.0)):
    """OpenRLHF group advantages with the KL reward set to 0.

    Groups are contiguous blocks of ``n_samples_per_prompt`` (asserted > 1). The shaped scalar is clamped to
    ``reward_clip_range`` (compute_reward; None disables). With gamma = 1 and the scalar on the last action
    token, the return equals that scalar at every valid token. ``reinforce_baseline`` is then whitened over
    all valid tokens of the batch with population variance and rsqrt(clamp(var, 1e-8)) (mean only with
    ``no_std_norm``); ``group_norm``, ``dr_grpo`` and ``rloo`` are not whitened.

    Returns (N,) when ``action_mask`` is None (one token per sample for the whitening), else (N, T) with
    masked positions set to 0 (OpenRLHF leaves them as the whitened value of 0; the loss masks them).
    """
    r = _f64(rewards).reshape(-1)
    n = int(n_samples_per_prompt)
    if n <= 1:
        raise ValueError("group advantage estimators require n_samples_per_prompt > 1")
    if r.numel() % n:
        raise ValueError(f"N={r.numel()} is not a multiple of n_samples_per_prompt={n}")
    g = r.view(-1, n)
    if advantage_estimator == "rloo":
        shaped = g - (g.sum(dim=1, keepdim=True) - g) / (n - 1)
    elif advantage_estimator in ("reinforce_baseline", "dr_grpo"):
        shaped = g - g.mean(dim=1, keepdim=True)
    elif advantage_estimator == "group_norm":
        shaped = (g - g.mean(dim=1, keepdim=True)) / (g.std(dim=1, keepdim=True) + 1e-9)
    else:
        raise ValueError(f"unknown group advantage_estimator {advantage_estimator!r}")
    shaped = shaped.reshape(-1)
    if reward_clip_range is not None:
        shaped = shaped.clamp(min=reward_clip_range[0], max=reward_clip_range[1])
    mask = torch.ones(shaped.shape[0], 1, dtype=F64) if action_mask is None else _f64(action_mask)
    adv = shaped.unsqueeze(1) * mask
    if advantage_estimator == "reinforce_baseline":
        num = mask.sum()
        mean = (adv * mask).sum() / num
        adv = adv - mean
        if not no_std_norm:
            var = ((adv * mask) ** 2).sum() / num
            adv = adv * torch.rsqrt(var.clamp(min=1e-8))
        adv = adv * mask
    return adv.reshape(-1) if action_mask is None else adv


# --------------------------------------------------------------------------------------------------------
# KL estimators
# --------------------------------------------------------------------------------------------------------

def _verl_kl_forward(logp, ref, name):
    if name in ("kl", "k1"):
        return logp - ref
    if name == "abs":
        return (logp - ref).abs()
    if name in ("mse", "k2"):
        return 0.5 * (logp - ref).square()
    if name in ("low_var_kl", "k3"):
        kl = torch.clamp(ref - logp, min=-20, max=20)
        return torch.clamp(torch.exp(kl) - kl - 1, min=-10, max=10)
    raise NotImplementedError(f"verl kl_penalty {name!r}")


def kl_estimate(logp, ref, estimator="k3", framework="trl"):
    """Per-token KL(pi || ref) estimate as each framework computes it (d = logp - ref).

    trl: k3 = exp(ref - logp) - (ref - logp) - 1, no clamps (the only estimator).
    verl kl_penalty: k1/kl, abs, k2/mse (0.5 d^2), k3/low_var_kl (clamp d to +-20 before exp, result to +-10);
      a "+" suffix keeps the forward value and takes the gradient of 0.5 d^2 (k2+/mse+ are plain k2).
    openrlhf compute_approx_kl: k1 d, k2 d^2/2, k3 exp(-d) - 1 + d; every estimate clamped to [-10, 10].
    """
    logp, ref = _f64(logp), _f64(ref)
    if framework == "trl":
        if estimator != "k3":
            raise ValueError("TRL only has the k3 estimator")
        return torch.exp(ref - logp) - (ref - logp) - 1
    if framework == "verl":
        base = estimator[:-1] if estimator.endswith("+") else estimator
        forward = _verl_kl_forward(logp, ref, base)
        if not estimator.endswith("+") or estimator in ("mse+", "k2+"):
            return forward
        backward = 0.5 * (logp - ref).square()
        return backward - backward.detach() + forward.detach()
    if framework == "openrlhf":
        d = logp - ref
        if estimator == "k1":
            kl = d
        elif estimator == "k2":
            kl = d ** 2 / 2.0
        elif estimator == "k3":
            kl = torch.exp(-d) - 1 + d
        else:
            raise ValueError(f"unknown OpenRLHF kl_estimator {estimator!r}")
        return kl.clamp(min=-10, max=10)
    raise ValueError(f"unknown framework {framework!r}")


# --------------------------------------------------------------------------------------------------------
# TRL loss (_compute_loss)
# --------------------------------------------------------------------------------------------------------

def _trl_nanmin(x):
    x = x[~torch.isnan(x)]
    return float("nan") if x.numel() == 0 else float(x.min())


def _trl_nanmax(x):
    x = x[~torch.isnan(x)]
    return float("nan") if x.numel() == 0 else float(x.max())


def trl_vllm_importance_sampling_ratio(old_per_token_logps, sampling_per_token_logps, mask, mode="sequence_mask",
                                       clip_max=3.0, clip_min=None):
    """TRL's generation-time IS ratio (detached): exp((o - v)*m), summed over tokens for sequence_* modes.

    ``*_truncate`` clamps to [clip_min, clip_max]; ``*_mask`` zeroes ratios above clip_max (or below clip_min).
    """
    diff = (_f64(old_per_token_logps) - _f64(sampling_per_token_logps)) * mask
    if mode.startswith("sequence"):
        diff = diff.sum(dim=-1, keepdim=True)
    elif not mode.startswith("token"):
        raise ValueError(f"unknown vllm_importance_sampling_mode {mode!r}")
    ratio = torch.exp(diff)
    if mode.endswith("_truncate"):
        ratio = torch.clamp(ratio, min=clip_min, max=clip_max)
    elif mode.endswith("_mask"):
        out = ratio > clip_max
        if clip_min is not None:
            out = out | (ratio < clip_min)
        ratio = ratio.masked_fill(out, 0.0)
    else:
        raise ValueError(f"unknown vllm_importance_sampling_mode {mode!r}")
    return ratio.detach()


def trl_gamma_weights(advantages, log_ratio_per_token, mask, importance_sampling_ratio=None, k_pos=2.0,
                      lambda_pos=3.0, k_neg=3.0, lambda_neg=2.0):
    """TRL get_gamma_weights (VESPO), detached: phi = exp(lambda + k log w - lambda w), NaN/inf -> 0, (B, 1)."""
    with torch.no_grad():
        lower = math.log(1e-8)
        seq = torch.sum(torch.clamp(log_ratio_per_token, -20.0, 20.0) * mask, dim=-1, keepdim=True)
        if importance_sampling_ratio is not None:
            log_is = torch.clamp(torch.log(importance_sampling_ratio), lower, 20.0)
            seq = seq + torch.sum(log_is, dim=-1, keepdim=True)
        log_w = torch.clamp(seq, lower, 20.0)
        w = torch.exp(log_w)
        nonneg = advantages >= 0
        k = torch.where(nonneg, torch.tensor(k_pos, dtype=F64), torch.tensor(k_neg, dtype=F64))
        lam = torch.where(nonneg, torch.tensor(lambda_pos, dtype=F64), torch.tensor(lambda_neg, dtype=F64))
        lam = lam.clamp(min=1e-4)
        phi = torch.exp(lam + k * log_w - lam * w)
        return torch.nan_to_num(phi, nan=0.0, posinf=0.0, neginf=0.0)


def trl_high_entropy_mask(entropies, mask, threshold):
    """TRL get_high_entropy_mask: keep valid tokens whose entropy >= quantile(valid entropies, threshold)."""
    valid = entropies[mask.bool()]
    if valid.numel() == 0:
        return torch.zeros_like(mask)
    thr = torch.quantile(valid, threshold)
    return ((entropies >= thr) & mask.bool()).to(mask.dtype)


def trl_loss(per_token_logps, old_per_token_logps, ref_per_token_logps, advantages, completion_mask, *,
             loss_type="dapo", epsilon=0.2, epsilon_high=None, delta=None, beta=0.0,
             importance_sampling_level="token", use_bias_correction_kl=None, max_completion_length=512,
             gradient_accumulation_steps=1, num_items_in_batch=None, num_processes=1, mode="train",
             sapo_temperature_pos=1.0, sapo_temperature_neg=1.05, vespo_k_pos=2.0, vespo_lambda_pos=3.0,
             vespo_k_neg=3.0, vespo_lambda_neg=2.0, sampling_per_token_logps=None,
             vllm_importance_sampling_correction=False, vllm_importance_sampling_mode="sequence_mask",
             vllm_importance_sampling_clip_max=3.0, vllm_importance_sampling_clip_min=None,
             vllm_importance_sampling_cap=None, off_policy_mask_threshold=None, entropies=None,
             top_entropy_quantile=1.0, steps_per_generation=None, release="1.16"):
    """TRL 1.16 GRPOTrainer._compute_loss on one local micro-batch (``release="1.9"``: TRL 1.0-1.9).

    ``old_per_token_logps=None`` is on-policy (old = logp.detach()). ``num_items_in_batch`` is N_gen, the
    loss-mask token count of the whole generation batch over all processes (defaults to the local count).
    ``use_bias_correction_kl`` defaults to True (1.9: False).
    Aggregation: grpo/sapo per-sequence mean then batch mean / GA; bnpo local token mean / GA;
    dr_grpo sum/(B*max_completion_length) / GA; dapo/cispo/vespo sum/(max(1, N_gen)/num_processes *
    GA/steps_per_generation) (1.9: without the GA/steps_per_generation factor); luspo the mean over rows of
    each row's masked sum / GA (1.9: mean(per_token_loss * |o_i|) over the broadcast shape, unmasked).
    ``steps_per_generation`` defaults to GA, as GRPOConfig sets it. ``mode="eval"`` drops the GA divisor
    and factor. SAPO's temperatures are float32 (TRL builds them with torch.where over Python floats).
    The vLLM IS ratio is recomputed here from old and ``sampling_per_token_logps`` (TRL computes it at
    generation time from the same two); ``vllm_importance_sampling_cap`` is TRL's deprecated name of
    clip_max and overrides it when given. Modifier order: OPSM, entropy mask, IS ratio (not vespo, which
    folds it into phi), then + beta * KL.
    Metrics are TRL's names, computed on this batch as if single-process.
    """
    logp = _f64(per_token_logps)
    mask = _f64(completion_mask)
    adv = _adv2d(advantages)
    old = logp.detach() if old_per_token_logps is None else _f64(old_per_token_logps)
    eps_low = epsilon
    eps_high = epsilon if epsilon_high is None else epsilon_high
    if vllm_importance_sampling_cap is not None:
        vllm_importance_sampling_clip_max = vllm_importance_sampling_cap
    sampling = None if sampling_per_token_logps is None else _f64(sampling_per_token_logps)

    is_ratio = None
    if vllm_importance_sampling_correction:
        if sampling is None:
            raise ValueError("vllm_importance_sampling_correction needs sampling_per_token_logps")
        is_ratio = trl_vllm_importance_sampling_ratio(old, sampling, mask, vllm_importance_sampling_mode,
                                                      vllm_importance_sampling_clip_max,
                                                      vllm_importance_sampling_clip_min)

    off_policy_mask = None
    if off_policy_mask_threshold is not None:
        behaviour = old if sampling is None else sampling
        kl_div = behaviour - logp.detach()
        seq_kl = (kl_div * mask).sum(dim=1, keepdim=True) / mask.sum(dim=1, keepdim=True).clamp(min=1.0)
        off_policy_mask = ((adv >= 0) | (seq_kl <= off_policy_mask_threshold)).to(mask.dtype)

    entropy_mask = None
    if top_entropy_quantile < 1.0:
        if entropies is None:
            raise ValueError("top_entropy_quantile < 1 needs entropies")
        entropy_mask = trl_high_entropy_mask(_f64(entropies), mask, 1 - top_entropy_quantile)

    log_ratio = logp - old
    if importance_sampling_level == "token":
        log_w = log_ratio
    elif importance_sampling_level == "sequence":
        log_w = ((log_ratio * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).unsqueeze(-1)
    else:
        raise ValueError(f"unknown importance_sampling_level {importance_sampling_level!r}")
    coef_1 = torch.exp(log_w)

    per_token_kl = None
    if beta != 0.0:
        if ref_per_token_logps is None:
            raise ValueError("beta != 0 needs ref_per_token_logps")
        ref = _f64(ref_per_token_logps)
        per_token_kl = torch.exp(ref - logp) - (ref - logp) - 1
        if release != "1.9" if use_bias_correction_kl is None else use_bias_correction_kl:
            per_token_kl = per_token_kl * coef_1

    phi_seq = None
    if loss_type == "cispo":
        clamped = torch.clamp(coef_1, max=eps_high).detach()
        per_token_loss = -clamped * adv * logp
    elif loss_type in ("grpo", "bnpo", "dr_grpo", "dapo", "luspo"):
        coef_2 = torch.clamp(coef_1, 1 - eps_low, 1 + eps_high)
        if delta is not None:
            coef_1 = torch.clamp(coef_1, max=delta)
        per_token_loss = -torch.min(coef_1 * adv, coef_2 * adv)
    elif loss_type == "sapo":
        temps = torch.where(adv > 0, sapo_temperature_pos, sapo_temperature_neg)   # float32, as TRL's
        per_token_loss = -(torch.sigmoid(temps * (coef_1 - 1)) * 4 / temps) * adv
    elif loss_type == "vespo":
        phi_seq = trl_gamma_weights(adv, log_ratio, mask, is_ratio, vespo_k_pos, vespo_lambda_pos,
                                    vespo_k_neg, vespo_lambda_neg)
        per_token_loss = -phi_seq * adv * logp
    else:
        raise ValueError(f"unknown loss_type {loss_type!r}")

    if off_policy_mask is not None:
        per_token_loss = per_token_loss * off_policy_mask
    if entropy_mask is not None:
        per_token_loss = per_token_loss * entropy_mask
    if is_ratio is not None and loss_type != "vespo":
        per_token_loss = per_token_loss * is_ratio
    if per_token_kl is not None:
        per_token_loss = per_token_loss + beta * per_token_kl

    ga = gradient_accumulation_steps if mode == "train" else 1.0
    if loss_type in ("grpo", "sapo"):
        loss = ((per_token_loss * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).mean() / ga
    elif loss_type == "bnpo":
        loss = (per_token_loss * mask).sum() / mask.sum().clamp(min=1.0) / ga
    elif loss_type == "dr_grpo":
        loss = (per_token_loss * mask).sum() / (per_token_loss.size(0) * max_completion_length) / ga
    elif loss_type in ("cispo", "dapo", "vespo"):
        n_gen = mask.sum() if num_items_in_batch is None else _f64(num_items_in_batch)
        normalizer = n_gen.clamp(min=1.0) / num_processes
        if mode == "train" and release != "1.9":
            normalizer = normalizer * gradient_accumulation_steps / (steps_per_generation or gradient_accumulation_steps)
        loss = (per_token_loss * mask).sum() / normalizer
    elif release == "1.9":  # luspo
        loss = (per_token_loss * mask.sum(1, keepdim=True)).mean() / ga
    else:  # luspo
        loss = (per_token_loss * mask).sum(-1).mean() / ga

    def global_masked_mean(x):
        x = x.detach().to(F64)
        if x.shape[1] == 1:
            return float(x.sum() / max(float(x.shape[0]), 1.0))
        return float((x * mask).sum() / mask.sum().clamp(min=1.0))

    def masked_seq_mean(x):
        x = x.detach().to(F64)
        if x.shape[1] == 1:
            return x.squeeze(1)
        return (x * mask).sum(-1) / mask.sum(-1)

    metrics = {}
    if per_token_kl is not None:
        metrics["kl"] = global_masked_mean(per_token_kl)
    if entropies is not None:
        metrics["entropy"] = global_masked_mean(_f64(entropies))
    if loss_type in ("grpo", "bnpo", "dr_grpo", "dapo", "luspo"):
        low = (coef_1 < 1 - eps_low) & (adv < 0)
        high = (coef_1 > 1 + eps_high) & (adv > 0)
        region = low | high
        metrics["clip_ratio/low_mean"] = global_masked_mean(low.to(F64))
        metrics["clip_ratio/high_mean"] = global_masked_mean(high.to(F64))
        metrics["clip_ratio/region_mean"] = global_masked_mean(region.to(F64))
        metrics["clip_ratio/low_min"] = _trl_nanmin(masked_seq_mean(low.to(F64)))
        metrics["clip_ratio/high_max"] = _trl_nanmax(masked_seq_mean(high.to(F64)))
    elif loss_type == "cispo":
        metrics["cispo_clip_ratio"] = global_masked_mean(((coef_1 > eps_high) & (adv > 0)).to(F64))
    elif loss_type == "vespo":
        metrics["vespo/phi_seq_mean"] = global_masked_mean(phi_seq)
    return loss, metrics


# --------------------------------------------------------------------------------------------------------
# verl loss (policy losses + agg_loss + the actor's KL loss)
# --------------------------------------------------------------------------------------------------------

def verl_agg_loss(loss_mat, loss_mask, loss_agg_mode, dp_size=1, batch_num_tokens=None, global_batch_size=None,
                  loss_scale_factor=None):
    """verl 0.9.1 core_algos.agg_loss, as used with the model engine's global batch info.

    token-mean: masked_sum / batch_num_tokens * dp_size (default: local token count; dp_size > 1 without it
    raises). token-sum: masked_sum * dp_size. seq-mean-token-sum / seq-mean-token-mean: per-row sum(x*m)
    (/ |o|) over non-empty rows, / global_batch_size * dp_size (default: number of non-empty rows); verl's
    |o| + 1e-8 is a float32 sum of its bool mask, which is |o| exactly. seq-mean-token-sum-norm: the
    seq-mean-token-sum / loss_scale_factor (default T).
    """
    mask = _f64(loss_mask)
    if loss_agg_mode == "token-mean":
        if batch_num_tokens is None:
            if dp_size > 1:
                raise ValueError("(global) batch_num_tokens is required when dp_size > 1")
            batch_num_tokens = mask.sum()
        return verl_masked_sum(loss_mat, mask) / batch_num_tokens * dp_size
    if loss_agg_mode == "token-sum":
        return verl_masked_sum(loss_mat, mask) * dp_size
    if loss_agg_mode in ("seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm"):
        counts = mask.sum(dim=-1)
        seq_losses = torch.sum(loss_mat * mask, dim=-1)
        if loss_agg_mode == "seq-mean-token-mean":
            seq_losses = seq_losses / counts.clamp(min=1)
        seq_mask = (counts > 0).to(F64)
        if global_batch_size is None:
            if dp_size > 1:
                raise ValueError("global_batch_size is required when dp_size > 1")
            global_batch_size = seq_mask.sum()
        loss = verl_masked_sum(seq_losses, seq_mask) / global_batch_size * dp_size
        if loss_agg_mode == "seq-mean-token-sum-norm":
            loss = loss / (mask.shape[-1] if loss_scale_factor is None else loss_scale_factor)
        return loss
    raise ValueError(f"Invalid loss_agg_mode: {loss_agg_mode}")


def verl_loss(log_prob, old_log_prob, advantages, response_mask, *, loss_mode="vanilla", clip_ratio_low=0.2,
              clip_ratio_high=0.2, clip_ratio_c=3.0, loss_agg_mode="token-mean", dp_size=1, batch_num_tokens=None,
              global_batch_size=None, loss_scale_factor=None,
              use_kl_loss=False, kl_loss_coef=0.001, kl_loss_type="low_var_kl", ref_log_prob=None,
              rollout_is_weights=None, tau_pos=1.0, tau_neg=1.05, gradient_accumulation_steps=1, dro_beta=None,
              clip_cov_ratio=0.0002, clip_cov_lb=1.0, clip_cov_ub=5.0, kl_cov_ratio=0.0002, ppo_kl_coef=0.1,
              release="0.9"):
    """verl policy loss (loss_mode) + agg_loss + actor KL loss: total = pg_loss + kl_loss_coef * agg(kl).

    ``release="0.8"`` (verl 0.7-0.8): GSPO aggregates by seq-mean-token-mean whatever loss_agg_mode says.
    clip_cov draws its tokens with ``torch.randperm`` and kl_cov picks its top-k with ``torch.topk``, as verl does.

    The global batch info (dp_size, batch_num_tokens, global_batch_size) is what the new model engine injects;
    ``gradient_accumulation_steps`` is legacy dp_actor's ``loss * (1/GA)`` on the total (metrics stay
    unscaled); leave it at 1 for verl 0.9's engine. sapo forces seq-mean-token-mean for the policy term
    (the KL term keeps ``loss_agg_mode``); geo_mean is a plain mean over rows, with (B, T) rollout weights
    reduced to each row's geometric mean.
    ``old_log_prob=None`` is verl's on-policy shortcut (old = log_prob.detach()).
    """
    l = _f64(log_prob)
    mask = _f64(response_mask)
    adv = _adv2d(advantages)
    adv = adv.expand_as(l) if adv.shape[1] == 1 else adv
    old = l.detach() if old_log_prob is None else _f64(old_log_prob)
    is_w = None if rollout_is_weights is None else _f64(rollout_is_weights).detach()
    agg = dict(dp_size=dp_size, batch_num_tokens=batch_num_tokens, global_batch_size=global_batch_size,
               loss_scale_factor=loss_scale_factor)
    metrics = {}

    if loss_mode == "vanilla":
        if not clip_ratio_c > 1.0:
            raise ValueError(f"clip_ratio_c must be > 1.0, got {clip_ratio_c}")
        nakl = torch.clamp(l - old, min=-20.0, max=20.0)
        ratio = torch.exp(nakl)
        l1 = -adv * ratio
        l2 = -adv * torch.clamp(ratio, 1 - clip_ratio_low, 1 + clip_ratio_high)
        clip1 = torch.maximum(l1, l2)
        l3 = -adv * clip_ratio_c
        clip2 = torch.min(l3, clip1)
        pg_losses = torch.where(adv < 0, clip2, clip1)
        if is_w is not None:
            pg_losses = pg_losses * is_w
        pg_loss = verl_agg_loss(pg_losses, mask, loss_agg_mode, **agg)
        metrics["actor/pg_clipfrac"] = float(verl_masked_mean(torch.gt(l2, l1).to(F64), mask))
        metrics["actor/ppo_kl"] = float(verl_masked_mean(-nakl.detach(), mask))
        metrics["actor/pg_clipfrac_lower"] = float(
            verl_masked_mean((torch.gt(clip1, l3) & (adv < 0)).to(F64), mask))
    elif loss_mode == "gspo":
        nakl = l - old
        seq_len = torch.sum(mask, dim=-1).clamp(min=1)
        seq = torch.sum(nakl * mask, dim=-1) / seq_len
        log_s = torch.clamp(l - l.detach() + seq.detach().unsqueeze(-1), max=10.0)
        s = torch.exp(log_s)
        l1 = -adv * s
        l2 = -adv * torch.clamp(s, 1 - clip_ratio_low, 1 + clip_ratio_high)
        pg_losses = torch.maximum(l1, l2)
        if is_w is not None:
            pg_losses = pg_losses * is_w
        pg_loss = verl_agg_loss(pg_losses, mask, loss_agg_mode if release == "0.9" else "seq-mean-token-mean", **agg)
        metrics["actor/pg_clipfrac"] = float(verl_masked_mean(torch.gt(l2, l1).to(F64), mask))
        metrics["actor/ppo_kl"] = float(verl_masked_mean(-nakl.detach(), mask))
        metrics["actor/pg_clipfrac_lower"] = 0.0
    elif loss_mode in ("dppo_tv", "dppo_kl"):
        nakl = torch.clamp(l - old, min=-20.0, max=20.0)
        ratio = torch.exp(nakl)
        truncated = torch.clamp(ratio, max=clip_ratio_c).detach()
        prob, old_prob = torch.exp(l), torch.exp(old)
        if loss_mode == "dppo_tv":
            valid = torch.where(adv > 0, prob - old_prob <= clip_ratio_high, prob - old_prob >= -clip_ratio_low)
        else:
            binary_kl = old_prob * (old - l) + (1 - old_prob) * torch.log((1 - old_prob + 1e-8) / (1 - prob + 1e-8))
            valid = torch.where(adv > 0, (binary_kl <= clip_ratio_high) | (prob <= old_prob),
                                (binary_kl <= clip_ratio_low) | (prob >= old_prob))
        valid = valid.detach().to(F64)
        pg_losses = -adv * truncated * l * valid
        if is_w is not None:
            pg_losses = pg_losses * is_w
        pg_loss = verl_agg_loss(pg_losses, mask, loss_agg_mode, **agg)
        metrics["actor/pg_clipfrac"] = float(verl_masked_mean(1.0 - valid, mask))
        metrics["actor/ppo_kl"] = float(verl_masked_mean(-nakl.detach(), mask))
        metrics["actor/pg_clipfrac_lower"] = float(verl_masked_mean((ratio > clip_ratio_c).to(F64) * valid, mask))
    elif loss_mode == "dro":
        if dro_beta is None or dro_beta <= 0:
            raise ValueError("policy_loss.dro_beta must be a positive value when using DRO")
        x = l - old
        pg_losses = -(l * adv - 0.5 * dro_beta * x.square())
        if is_w is not None:
            pg_losses = pg_losses * is_w
        pg_loss = verl_agg_loss(pg_losses, mask, loss_agg_mode, **agg)
        metrics["actor/ppo_kl"] = float(verl_masked_mean(-x.detach(), mask))
    elif loss_mode == "clip_cov":
        nakl = l - old
        ratio = torch.exp(nakl)
        l1 = -adv * ratio
        l2 = -adv * torch.clamp(ratio, 1 - clip_ratio_low, 1 + clip_ratio_high)
        on = mask > 0
        cov = ((adv - verl_masked_mean(adv, mask)) * (l - verl_masked_mean(l, mask))).detach()
        cov[~on | ((l2 > l1) & on)] = -math.inf
        candidates = torch.nonzero((cov < clip_cov_ub) & (cov > clip_cov_lb) & on)
        count = max(int(clip_cov_ratio * mask.sum().item()), 1)
        chosen = candidates[torch.randperm(len(candidates))[:count]] if len(candidates) else candidates
        corr = torch.ones_like(adv)
        corr[chosen[:, 0], chosen[:, 1]] = 0
        pg_losses = torch.maximum(l1, l2) * corr
        if is_w is not None:
            pg_losses = pg_losses * is_w
        pg_loss = verl_agg_loss(pg_losses, mask, loss_agg_mode, **agg)
        metrics["actor/pg_clipfrac"] = float(verl_masked_mean((corr == 0).to(F64), mask))
        metrics["actor/ppo_kl"] = float(verl_masked_mean(-nakl.detach(), mask))
    elif loss_mode == "kl_cov":
        nakl = l - old
        ratio = torch.exp(nakl)
        pg_losses = -adv * ratio
        penalised = -adv * ratio + ppo_kl_coef * nakl.abs()
        on = mask > 0
        flat = torch.nonzero(on.reshape(-1), as_tuple=True)[0]
        a_on, l_on = adv[on].detach(), l[on].detach()
        if len(a_on):
            cov = (a_on - a_on.mean()) * (l_on - l_on.mean())
            top = flat[torch.topk(cov, max(1, int(len(cov) * kl_cov_ratio)), largest=True).indices]
            rows, cols = top // l.shape[1], top % l.shape[1]
            pg_losses = pg_losses.index_put((rows, cols), penalised[rows, cols])
        if is_w is not None:
            pg_losses = pg_losses * is_w
        pg_loss = verl_agg_loss(pg_losses, mask, loss_agg_mode, **agg)
        metrics["actor/ppo_kl"] = float(verl_masked_mean(nakl.detach().abs(), mask))
    elif loss_mode == "sapo":
        nakl = torch.clamp(l - old, min=-20.0, max=20.0)
        ratio = torch.exp(nakl)
        taus = torch.where(adv > 0, torch.tensor(tau_pos, dtype=F64), torch.tensor(tau_neg, dtype=F64))
        gates = torch.sigmoid(taus * (ratio - 1.0)) * (4.0 / taus)
        pg_losses = -gates * adv
        if is_w is not None:
            pg_losses = pg_losses * is_w
        pg_loss = verl_agg_loss(pg_losses, mask, "seq-mean-token-mean", **agg)
        metrics["actor/pg_clipfrac"] = 0.0
        metrics["actor/ppo_kl"] = float(verl_masked_mean(-nakl.detach(), mask))
        metrics["actor/pg_clipfrac_lower"] = 0.0
    elif loss_mode == "gpg":
        pg_losses = -l * adv
        if is_w is not None:
            pg_losses = pg_losses * is_w
        pg_loss = verl_agg_loss(pg_losses, mask, loss_agg_mode, **agg)
    elif loss_mode == "cispo":
        nakl = torch.clamp(l - old, min=-20.0, max=20.0)
        ratio = torch.exp(nakl)
        clipped = torch.clamp(ratio, 1 - clip_ratio_low, 1 + clip_ratio_high)
        pg_losses = -clipped.detach() * adv * l
        if is_w is not None:
            pg_losses = pg_losses * is_w
        pg_loss = verl_agg_loss(pg_losses, mask, loss_agg_mode, **agg)
        metrics["actor/pg_clipfrac"] = float(verl_masked_mean((ratio != clipped).to(F64), mask))
        metrics["actor/ppo_kl"] = float(verl_masked_mean(-nakl.detach(), mask))
        metrics["actor/pg_clipfrac_lower"] = 0.0
    elif loss_mode == "geo_mean":
        nakl = l - old
        sgn = torch.sign(adv)
        nakl_c = torch.clamp(nakl, -clip_ratio_low, clip_ratio_high)
        nakl_min = sgn * torch.min(sgn * nakl, sgn * nakl_c)
        lengths = mask.sum(dim=-1).clamp(min=1)   # verl's lengths + 1e-8, in float32
        ratio = torch.exp((nakl_min * mask).sum(dim=-1) / lengths)
        seq_adv = (adv * mask).sum(dim=-1) / lengths
        pg_losses = -seq_adv * ratio
        if is_w is not None:
            pg_losses = pg_losses * torch.exp((torch.log(is_w + 1e-10) * mask).sum(dim=-1) / lengths)
        pg_loss = torch.mean(pg_losses)
        clipped = torch.ne(nakl, nakl_c)
        metrics["actor/pg_clipfrac"] = float(verl_masked_mean((clipped & (adv > 0)).to(F64), mask))
        metrics["actor/ppo_kl"] = float(verl_masked_mean(-nakl.detach(), mask))
        metrics["actor/pg_clipfrac_lower"] = float(verl_masked_mean((clipped & (adv < 0)).to(F64), mask))
    else:
        raise ValueError(f"unsupported loss_mode {loss_mode!r}")

    metrics["actor/pg_loss"] = float(pg_loss.detach())
    loss = pg_loss
    if use_kl_loss:
        if ref_log_prob is None:
            raise ValueError("use_kl_loss needs ref_log_prob")
        kld = kl_estimate(l, _f64(ref_log_prob), kl_loss_type, "verl")
        kl_loss = verl_agg_loss(kld, mask, loss_agg_mode, **agg)
        loss = pg_loss + kl_loss * kl_loss_coef
        metrics["kl_loss"] = float(kl_loss.detach())
        metrics["kl_coef"] = float(kl_loss_coef)
    return loss / gradient_accumulation_steps, metrics


# --------------------------------------------------------------------------------------------------------
# OpenRLHF loss (PolicyLoss + aggregate_loss + KL loss)
# --------------------------------------------------------------------------------------------------------

def openrlhf_aggregate_loss(loss, mask, token_level_loss=True, batch_num_tokens=None, global_batch_size=None,
                            dp_size=1):
    """OpenRLHF aggregate_loss: token level sum(x*m)/batch_num_tokens*dp_size (default: local masked mean);
    per sample sum_i [sum_t x*m/(|o_i|+1e-8)] over non-empty rows / global_batch_size * dp_size (default: the
    number of non-empty rows)."""
    if token_level_loss:
        if batch_num_tokens is None:
            return (loss * mask).sum() / mask.sum()
        return (loss * mask).sum() / batch_num_tokens * dp_size
    counts = mask.sum(dim=-1)
    seq = (loss * mask).sum(dim=-1) / counts.clamp(min=1)   # counts + 1e-8 of a bool mask, in float32
    nonempty = (counts > 0).to(F64)
    if global_batch_size is None:
        return (seq * nonempty).sum() / nonempty.sum()
    return (seq * nonempty).sum() / global_batch_size * dp_size


def openrlhf_loss(log_probs, old_log_probs, advantages, action_mask, *, policy_loss_type="ppo",
                  eps_clip_low_high=(0.2, 0.2), dual_clip=None, token_level_loss=True, batch_num_tokens=None,
                  global_batch_size=None, dp_size=1, rollout_log_probs=None, is_correction=None,
                  is_thresholds=(0.5, 5.0), kl_coef=0.01, use_kl_loss=False, kl_estimator="k1",
                  ref_log_probs=None):
    """OpenRLHF PolicyLoss (3c3be6234e0c) + aggregate_loss + kl_coef * aggregate(kl) when ``use_kl_loss``.

    ppo: r = exp(clamp(l - o, +-20)); -min(rA, clamp(r)A), dual clip for A<0 if ``dual_clip``; vLLM IS
    (``is_correction`` in tis | icepop | seq-mask-tis, rho = exp(o - v) detached) multiplies the ppo loss.
    gspo: s = exp(sum m (l - o)/max(1, |o|)) (l - v with IS correction), no clamp, per-sample aggregation forced.
    ``kl_coef`` defaults to OpenRLHF's init_kl_coef 0.01 and only acts with ``use_kl_loss``.
    """
    l = _f64(log_probs)
    mask = _f64(action_mask)
    adv = _adv2d(advantages)
    old = l.detach() if old_log_probs is None else _f64(old_log_probs)
    lo, hi = eps_clip_low_high
    rollout = None if rollout_log_probs is None else _f64(rollout_log_probs)
    if is_correction is not None and rollout is None:
        raise ValueError("is_correction needs rollout_log_probs")
    if dual_clip is not None and not dual_clip > 1.0:
        raise ValueError(f"dual_clip must be > 1.0, got {dual_clip}")

    if policy_loss_type == "ppo":
        log_ratio = torch.clamp(l - old, min=-20.0, max=20.0)
        ratio = torch.exp(log_ratio)
    elif policy_loss_type == "gspo":
        log_ratio = l - (rollout if is_correction is not None else old)
        seq = (log_ratio * mask).sum(dim=-1) / mask.sum(dim=-1).clamp(min=1)
        ratio = torch.exp(seq).unsqueeze(-1) * mask
        token_level_loss = False
    else:
        raise ValueError(f"unknown policy_loss_type {policy_loss_type!r}")
    surr1 = ratio * adv
    surr2 = ratio.clamp(1 - lo, 1 + hi) * adv
    clip1 = torch.min(surr1, surr2)
    if dual_clip is None:
        loss_mat = -clip1
    else:
        loss_mat = -torch.where(adv < 0, torch.max(clip1, dual_clip * adv), clip1)

    if is_correction is not None and policy_loss_type == "ppo":
        is_lo, is_hi = is_thresholds
        rho = torch.exp(old - rollout).detach()
        if is_correction == "tis":
            weight = rho.clamp(min=is_lo, max=is_hi)
        elif is_correction == "icepop":
            weight = rho * ((rho >= is_lo) & (rho <= is_hi)).to(F64)
        elif is_correction == "seq-mask-tis":
            seq_log = ((old - rollout) * mask).sum(dim=-1, keepdim=True) / mask.sum(dim=-1, keepdim=True).clamp(min=1)
            seq_rho = torch.exp(seq_log).detach()
            weight = rho * ((seq_rho >= is_lo) & (seq_rho <= is_hi)).to(F64)
        else:
            raise ValueError(f"unknown is_correction {is_correction!r}")
        loss_mat = loss_mat * weight

    agg = dict(token_level_loss=token_level_loss, batch_num_tokens=batch_num_tokens,
               global_batch_size=global_batch_size, dp_size=dp_size)
    policy_loss = openrlhf_aggregate_loss(loss_mat, mask, **agg)
    metrics = {
        "policy_loss": float(policy_loss.detach()),
        "ppo_clip_ratio": float(((surr2 < surr1).to(F64) * mask).sum() / mask.sum()),
        "ppo_kl": float(((-(l - old).detach()) * mask).sum() / mask.sum()),   # the raw log-ratio
    }
    loss = policy_loss
    if use_kl_loss:
        if ref_log_probs is None:
            raise ValueError("use_kl_loss needs ref_log_probs")
        kl = kl_estimate(l, _f64(ref_log_probs), kl_estimator, "openrlhf")
        kl_loss = openrlhf_aggregate_loss(kl, mask, **dict(agg, token_level_loss=True))   # always per token
        loss = policy_loss + kl_coef * kl_loss
        metrics["kl"] = float(kl_loss.detach())   # the actor logs the aggregated KL loss
    return loss, metrics
