"""OpenRLHF: its command-line options for the advantages and the loss (``--advantage_estimator``,
``--policy_loss_type``, ``--eps_clip_low_high``, ...) and its logged metric names."""

from __future__ import annotations

from typing import Any

import numpy as np

from grpo_c._options import choice, positive_int, take
from grpo_c.frameworks import LossCall

GROUP_SIZE_OPTION = "n_samples_per_prompt"
RELEASE = "0.11.2"
RELEASES = {RELEASE: ((0, 11), (0, 11))}

# ------------------------------------------------------------------------- advantages

_ESTIMATORS = {
    "group_norm": ("grpo", "group"),
    "dr_grpo": ("grpo", "none"),
    "rloo": ("rloo", "none"),
    "reinforce_baseline": ("reinforce_baseline", "none"),
}


def advantage_options(framework: dict, neutral: dict) -> dict:
    name = take(framework, "advantage_estimator", "group_norm", neutral, "estimator", "scale")
    choice("advantage_estimator", name, tuple(_ESTIMATORS))
    estimator, scale = _ESTIMATORS[name]
    clip = take(framework, "reward_clip_range", (-10.0, 10.0), neutral, "clip")
    std = not take(framework, "no_std_norm", False, neutral, "whiten_std")
    return {"estimator": estimator, "scale": scale, "eps": 1e-9, "singleton": "error",
            "whiten_ddof": 0, "whiten_eps": 1e-8, "whiten_eps_mode": "floor", "clip": clip,
            "whiten_std": std}

# ------------------------------------------------------------------------- policy loss


def _either(fw: dict, name: str, flat: str, default: Any, nt: dict, *sets: str) -> Any:
    """OpenRLHF 0.11's dotted option (``actor.eps_clip_low_high``), or the flat name earlier
    releases used (``eps_clip_low_high``); not both."""
    if name in fw and flat in fw:
        raise ValueError(f"options {name!r} and {flat!r} both set the same thing; give one")
    return take(fw, flat if flat in fw else name, default, nt, *sets)


# OpenRLHF 0.11's --algo.advantage.is_correction_{level,mode} with ratio gating, as core weights
_IS_CORRECTION = {("token", "clip"): ("token", "truncate"), ("token", "mask"): ("token", "mask"),
                  ("seq", "mask"): ("sequence_mask", "mask")}
# the flat is_correction of earlier releases
_IS_SCHEMES = {"tis": ("token", "clip"), "icepop": ("token", "mask"), "seq-mask-tis": ("seq", "mask")}


def loss_options(fw: dict, nt: dict, has_rollout: bool, release: str = RELEASE) -> dict:
    kind = _either(fw, "actor.policy_loss_type", "policy_loss_type", "ppo", nt, "surrogate", "ratio_level")
    choice("actor.policy_loss_type", kind, ("ppo", "gspo"))
    eps = _either(fw, "actor.eps_clip", "eps_clip", 0.2, nt, "clip_low", "clip_high")
    low_high = _either(fw, "actor.eps_clip_low_high", "eps_clip_low_high", None, nt, "clip_low", "clip_high")
    low, high = (eps, eps) if low_high is None else low_high
    if "actor.loss_agg_mode" in fw and "token_level_loss" in fw:
        raise ValueError("options 'actor.loss_agg_mode' and 'token_level_loss' both set the same thing; give one")
    agg_mode = take(fw, "actor.loss_agg_mode", "token-mean", nt, "aggregation")
    choice("actor.loss_agg_mode", agg_mode, ("token-mean", "seq-mean-token-mean"))
    token_level = take(fw, "token_level_loss", agg_mode == "token-mean", nt, "aggregation")
    dp = positive_int("dp_size", take(fw, "dp_size", 1, nt, "scale"))
    tokens = take(fw, "batch_num_tokens", None, nt, "denominator")
    rows = take(fw, "global_batch_size", None, nt, "denominator")
    # ppo_kl: OpenRLHF means the raw log-ratio (its ratio is clamped at +-20)
    out: dict[str, Any] = {"clip_low": low, "clip_high": high, "ppo_kl_raw": True,
                           "dual_clip": take(fw, "actor.dual_clip", None, nt, "dual_clip")}

    def aggregation(per_token: bool) -> dict:
        if per_token:
            return {"aggregation": "token_mean", "denominator": tokens, "scale": float(dp)}
        return {"aggregation": "seq_mean_token_mean", "denominator": rows, "scale": float(dp)}

    # the actor aggregates the KL loss per token whatever the policy term's mode
    kl_agg = aggregation(True)
    out.update(kl_aggregation=kl_agg["aggregation"], kl_denominator=kl_agg["denominator"],
               kl_scale=kl_agg["scale"])
    if kind == "gspo":
        out.update(ratio_level="sequence", **aggregation(False))
    else:
        out.update(log_ratio_clamp=20.0, **aggregation(token_level))
    # kl_coef and kl_estimator are the flat names of earlier releases as well as ours; without
    # the KL loss they configure the KL penalty in the reward, which is not part of this loss.
    use_kl = _either(fw, "algo.kl.use_loss", "use_kl_loss", False, nt)
    coef = take(fw, "algo.kl.init_coef", None, nt, "kl_coef")
    estimator = take(fw, "algo.kl.estimator", None, nt, "kl_estimator")
    unbiased = take(fw, "algo.kl.unbiased_gradient", False, nt, "kl_straight_through", "kl_grad_is_cap")
    if use_kl:
        out["kl_coef"] = 0.01 if coef is None else coef
        estimator = nt.get("kl_estimator", "k1") if estimator is None else estimator
        out["kl_estimator"] = choice("algo.kl.estimator", estimator, ("k1", "k2", "k3"))
        # compute_approx_kl bounds every value at +-10 (its k3 log-ratio floor of -10 lies beyond that)
        out["kl_value_clamp"] = 10.0
        if unbiased:
            # the estimator's value, the gradient of w * d^2 / 2 with w = min(exp(l - o), 10) detached
            out.update(kl_straight_through=True, kl_grad_is_cap=10.0)
    else:
        nt.pop("kl_coef", None)
        nt.pop("kl_estimator", None)
    level, mode = "off", "mask"
    scheme = take(fw, "is_correction", None, nt, "is_level")
    if scheme is not None:
        level, mode = _IS_SCHEMES[choice("is_correction", scheme, tuple(_IS_SCHEMES))]
    level = take(fw, "algo.advantage.is_correction_level", level, nt, "is_level")
    mode = take(fw, "algo.advantage.is_correction_mode", mode, nt, "is_mode")
    choice("algo.advantage.is_correction_level", level, ("off", "token", "seq"))
    choice("algo.advantage.is_correction_mode", mode, ("mask", "clip"))
    gating = take(fw, "algo.advantage.is_correction_gating", "ratio", nt, "is_gate")
    choice("algo.advantage.is_correction_gating", gating, ("ratio", "binary_kl", "tv"))
    bounds = _either(fw, "algo.advantage.is_correction_threshold", "is_thresholds", (0.5, 5.0), nt,
                     "is_bounds", "is_gate_bounds")
    bounds = tuple(bounds)
    if len(bounds) == 1:   # a single value is an upper bound only, as OpenRLHF's CLI reads it
        bounds = (0.0, bounds[0])
    if len(bounds) != 2:
        raise ValueError(f"algo.advantage.is_correction_threshold: expected HIGH or LOW HIGH, got {bounds!r}")
    if level != "off":
        if mode == "clip" and (level == "seq" or gating != "ratio"):
            raise ValueError("algo.advantage.is_correction_mode='clip' needs is_correction_level='token' and "
                             "is_correction_gating='ratio'")
        if gating != "ratio" and bounds[0] > 0:
            raise ValueError(f"algo.advantage.is_correction_threshold: gating by {gating} takes an upper "
                             f"bound only (a single delta), got {bounds!r}")
        if kind == "gspo":
            # OpenRLHF's GSPO corrects by taking the sequence ratio against the rollout log-probs
            out["ratio_against"] = "rollout_logp"
            if out.get("kl_grad_is_cap"):
                raise ValueError("algo.kl.unbiased_gradient: with GSPO's IS correction the ratio is taken "
                                 "against the rollout log-probs, and grpo_c weighs the KL gradient by that "
                                 "ratio; OpenRLHF's weight against old_log_probs is not offered here")
        elif gating != "ratio":
            # survivors of the divergence gate keep their per-token IS weight
            out.update(is_level="token", is_mode="truncate", is_bounds=None, is_gate=gating,
                       is_gate_level="sequence" if level == "seq" else "token", is_gate_bounds=bounds)
        else:
            is_level, is_mode = _IS_CORRECTION[(level, mode)]
            out.update(is_level=is_level, is_mode=is_mode, is_bounds=bounds)
    return out


def loss_metrics(raw: dict, call: LossCall) -> dict:
    out = {"policy_loss": raw["policy_loss"], "ppo_clip_ratio": raw["clipfrac"], "ppo_kl": raw["ppo_kl"]}
    m = call.token_mask()
    logp = np.asarray(call.logp, np.float64)
    if call.neutral["ratio_against"] == "rollout_logp":
        # GSPO with IS correction: the ratio is against the rollout, ppo_kl still against old
        old = logp if call.given_old_logp is None else np.asarray(call.given_old_logp, np.float64)
        out["ppo_kl"] = _masked_mean(old - logp, m)
    if call.neutral["kl_coef"] != 0:
        out["kl"] = raw["kl_loss"]   # the aggregated KL loss, as the actor logs it
        out["logprobs_diff"] = _masked_mean(logp - np.asarray(call.ref_logp, np.float64), m)
    if call.neutral["is_level"] is not None:   # PPO's IS correction (GSPO's logs neither)
        out.update(_is_metrics(call, m))
    return out


def _masked_mean(x: np.ndarray, m: np.ndarray) -> float:
    return float(np.where(m, x, 0.0).sum() / max(m.sum(), 1))


def _is_metrics(call: LossCall, m: np.ndarray) -> dict:
    """vllm_kl, the mean of rollout - old log-probs, and is_filter_ratio, the share of the gated
    units (tokens, or rows with every row counted) whose statistic fell outside the bounds."""
    from grpo_c.loss import gate_statistic

    nt = call.neutral
    old = np.asarray(call.logp if call.given_old_logp is None else call.given_old_logp, np.float64)
    rollout = np.asarray(call.rollout_logp, np.float64)
    log_rho = np.where(m, old - rollout, 0.0)
    sequence = nt["is_level"] == "sequence_mask" or nt["is_gate_level"] == "sequence"
    if nt["is_gate"] is not None:
        stat, (lo, hi) = gate_statistic(old, rollout, m, nt["is_gate"], nt["is_gate_level"]), nt["is_gate_bounds"]
    else:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            stat = np.exp(log_rho.sum(axis=1, keepdims=True) / m.sum(axis=1, keepdims=True) if sequence else log_rho)
        lo, hi = nt["is_bounds"]
    with np.errstate(invalid="ignore"):
        filtered = ~((stat >= lo) & (stat <= hi))
    share = float(filtered.mean()) if sequence else _masked_mean(filtered, m)
    return {"vllm_kl": _masked_mean(rollout - old, m), "is_filter_ratio": share}
