"""OpenRLHF: its command-line options for the advantages and the loss (``--advantage_estimator``,
``--policy_loss_type``, ``--eps_clip_low_high``, ...) and its logged metric names."""

from __future__ import annotations

from typing import Any

import numpy as np

from grpo_c._options import choice, positive_int, take
from grpo_c.frameworks import LossCall

GROUP_SIZE_OPTION = "n_samples_per_prompt"

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


def loss_options(fw: dict, nt: dict, has_rollout: bool) -> dict:
    kind = take(fw, "policy_loss_type", "ppo", nt, "surrogate", "ratio_level")
    choice("policy_loss_type", kind, ("ppo", "gspo"))
    eps = take(fw, "eps_clip", 0.2, nt, "clip_low", "clip_high")
    low_high = take(fw, "eps_clip_low_high", None, nt, "clip_low", "clip_high")
    low, high = (eps, eps) if low_high is None else low_high
    token_level = take(fw, "token_level_loss", True, nt, "aggregation")
    dp = positive_int("dp_size", take(fw, "dp_size", 1, nt, "scale"))
    tokens = take(fw, "batch_num_tokens", None, nt, "denominator")
    rows = take(fw, "global_batch_size", None, nt, "denominator")
    # ppo_kl: OpenRLHF means the raw log-ratio (its ratio is clamped at +-20)
    out: dict[str, Any] = {"clip_low": low, "clip_high": high, "ppo_kl_raw": True,
                           "dual_clip": take(fw, "dual_clip", None, nt, "dual_clip")}

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
    # kl_coef and kl_estimator are OpenRLHF's names as well as ours; without use_kl_loss they
    # configure the KL penalty in the reward, which is not part of this loss.
    if take(fw, "use_kl_loss", False, nt):
        out["kl_coef"] = 0.01
        choice("kl_estimator", nt.get("kl_estimator", "k1"), ("k1", "k2", "k3"))
        out["kl_estimator"] = "k1"
        out["kl_value_clamp"] = 10.0
    else:
        nt.pop("kl_coef", None)
        nt.pop("kl_estimator", None)
    correction = take(fw, "is_correction", None, nt, "is_level")
    lo, hi = take(fw, "is_thresholds", (0.5, 5.0), nt, "is_bounds")
    if correction is not None:
        level, mode = {"tis": ("token", "truncate"), "icepop": ("token", "mask"),
                       "seq-mask-tis": ("sequence_mask", "mask")}[
            choice("is_correction", correction, ("tis", "icepop", "seq-mask-tis"))]
        if kind == "gspo":
            # OpenRLHF's GSPO corrects by taking the sequence ratio against the rollout log-probs
            out["ratio_against"] = "rollout_logp"
        else:
            out.update(is_level=level, is_mode=mode, is_bounds=(lo, hi))
    return out

def loss_metrics(raw: dict, call: LossCall) -> dict:
    out = {"policy_loss": raw["policy_loss"], "ppo_clip_ratio": raw["clipfrac"], "ppo_kl": raw["ppo_kl"]}
    if call.neutral["ratio_against"] == "rollout_logp":
        # GSPO with IS correction: the ratio is against the rollout, ppo_kl still against old
        m = call.token_mask()
        old = call.logp if call.given_old_logp is None else np.asarray(call.given_old_logp, np.float64)
        diff = np.where(m, np.asarray(old, np.float64) - np.asarray(call.logp, np.float64), 0.0)
        out["ppo_kl"] = float(diff.sum() / max(m.sum(), 1))
    if call.neutral["kl_coef"] != 0:
        out["kl"] = raw["kl_loss"]   # the aggregated KL loss, as the actor logs it
    return out
