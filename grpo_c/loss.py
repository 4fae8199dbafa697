"""The GRPO policy loss with its KL term: value, exact gradient dLoss/dlogp, and metrics."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grpo_c import _core
from grpo_c._options import (check_preset, choice, nonnegative, plan_cache, positive, positive_int,
                             resolve, take)
from grpo_c._threads import resolve_threads

__all__ = ["PolicyLossOutput", "policy_loss"]

INF = math.inf
_RATIO = {"token": 0, "sequence": 1, "sequence_token": 2}
_SURROGATE = {"ppo": 0, "cispo": 1, "sapo": 2, "reinforce": 3, "vespo": 4, "gmpo": 5}
_KL = {"k1": 0, "abs": 1, "k2": 2, "k3": 3}
_IS_LEVEL = {None: 0, "token": 1, "sequence": 2, "sequence_mask": 3}
# aggregation name -> (core mode, clamp_lengths)
_AGG = {
    "token_mean": (0, 0),               # sum m L / tokens (bnpo, dapo, verl token-mean)
    "token_sum_norm": (0, 0),           # sum m L / a constant (dr_grpo, verl seq-mean-token-sum-norm)
    "seq_mean_token_mean": (1, 0),      # verl / OpenRLHF: rows with tokens, n + 1e-8
    "seq_mean_token_mean_all_rows": (1, 1),  # TRL grpo: every row, max(1, n)
    "seq_mean_token_sum": (2, 0),
    "length_weighted": (3, 0),          # TRL luspo on a (B, T) loss
}

_NEUTRAL: dict[str, Any] = {
    "ratio_level": "token",
    "surrogate": "ppo",
    "clip_low": 0.2,
    "clip_high": 0.2,
    "dual_clip": None,
    "delta": None,
    "log_ratio_clamp": None,          # None, c (symmetric) or (lo, hi)
    "cispo_bounds": (-INF, INF),
    "sapo_tau": (1.0, 1.05),
    "vespo_k": (2.0, 3.0),
    "vespo_lambda": (3.0, 2.0),
    "is_level": None,
    "is_mode": "truncate",
    "is_bounds": (-INF, INF),
    "is_log_clamp": None,
    "off_policy_threshold": None,
    "top_entropy_quantile": 1.0,
    "kl_coef": 0.0,
    "kl_estimator": "k3",
    "kl_straight_through": False,
    "kl_ratio_weighted": False,
    "kl_log_clamp": None,
    "kl_value_clamp": None,
    "aggregation": "token_mean",
    "denominator": None,             # None: the local default of the aggregation
    "scale": 1.0,
    "kl_aggregation": None,          # None: same as the policy term
    "kl_denominator": None,
    "kl_scale": None,
}


@dataclass
class PolicyLossOutput:
    """Result of :func:`policy_loss`.

    Attributes
    ----------
    loss : float
        The aggregated loss (policy term + kl_coef * KL term).
    grad : numpy.ndarray
        dLoss/dlogp, shape and dtype of ``logp``; 0 at masked positions.
    per_token : numpy.ndarray or None
        The per-token loss before aggregation (0 where masked), when requested.
    metrics : dict
        The preset framework's logged metrics under its own names.
    """

    loss: float
    grad: np.ndarray
    per_token: np.ndarray | None
    metrics: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------- presets

def _neutral(fw: dict, nt: dict) -> dict:
    return {}


def _trl(fw: dict, nt: dict) -> dict:
    loss_type = take(fw, "loss_type", "dapo", nt, "surrogate", "aggregation")
    choice("loss_type", loss_type, ("grpo", "bnpo", "dr_grpo", "dapo", "luspo", "cispo", "sapo", "vespo"))
    eps = take(fw, "epsilon", 0.2, nt, "clip_low")
    eps_high = take(fw, "epsilon_high", None, nt, "clip_high", "cispo_bounds")
    eps_high = eps if eps_high is None else eps_high
    level = take(fw, "importance_sampling_level", "token", nt, "ratio_level")
    choice("importance_sampling_level", level, ("token", "sequence", "sequence_token"))
    ga = positive_int("gradient_accumulation_steps", take(fw, "gradient_accumulation_steps", 1, nt, "scale"))
    out: dict[str, Any] = {
        "ratio_level": level, "clip_low": eps, "clip_high": eps_high,
        "delta": take(fw, "delta", None, nt, "delta"),
        "kl_coef": take(fw, "beta", 0.0, nt, "kl_coef"), "kl_estimator": "k3",
        "kl_ratio_weighted": take(fw, "use_bias_correction_kl", False, nt, "kl_ratio_weighted"),
        "sapo_tau": (take(fw, "sapo_temperature_pos", 1.0, nt, "sapo_tau"),
                     take(fw, "sapo_temperature_neg", 1.05, nt, "sapo_tau")),
        "vespo_k": (take(fw, "vespo_k_pos", 2.0, nt, "vespo_k"), take(fw, "vespo_k_neg", 3.0, nt, "vespo_k")),
        "vespo_lambda": (take(fw, "vespo_lambda_pos", 3.0, nt, "vespo_lambda"),
                         take(fw, "vespo_lambda_neg", 2.0, nt, "vespo_lambda")),
        "off_policy_threshold": take(fw, "off_policy_mask_threshold", None, nt, "off_policy_threshold"),
        "top_entropy_quantile": take(fw, "top_entropy_quantile", 1.0, nt, "top_entropy_quantile"),
    }
    max_len = take(fw, "max_completion_length", 512, nt, "denominator")
    n_gen = take(fw, "num_items_in_batch", None, nt, "denominator")
    procs = positive_int("num_processes", take(fw, "num_processes", 1, nt, "denominator"))
    out["surrogate"] = {"cispo": "cispo", "sapo": "sapo", "vespo": "vespo"}.get(loss_type, "ppo")
    if loss_type == "cispo":
        out["cispo_bounds"] = (-INF, eps_high)
    # TRL divides by GA by hand except for the dapo family, whose normaliser is global already.
    if loss_type in ("grpo", "sapo"):
        out.update(aggregation="seq_mean_token_mean_all_rows", scale=1.0 / ga)
    elif loss_type == "bnpo":
        out.update(aggregation="token_mean", scale=1.0 / ga)
    elif loss_type == "dr_grpo":
        out.update(aggregation="token_sum_norm", scale=1.0 / ga, denominator=("rows_times", max_len))
    elif loss_type == "luspo":
        out.update(aggregation="luspo", scale=1.0 / ga)
    else:
        den = None if n_gen is None else max(1.0, float(n_gen)) / procs
        out.update(aggregation="token_mean", denominator=den)
    correction = take(fw, "vllm_importance_sampling_correction", None, nt, "is_level")
    mode = take(fw, "vllm_importance_sampling_mode", "sequence_mask", nt, "is_level", "is_mode")
    cap = take(fw, "vllm_importance_sampling_cap", None, nt, "is_bounds")
    clip_max = take(fw, "vllm_importance_sampling_clip_max", 3.0, nt, "is_bounds")
    clip_min = take(fw, "vllm_importance_sampling_clip_min", None, nt, "is_bounds")
    out["_trl_is"] = (correction, mode, clip_max if cap is None else cap, clip_min)
    return out


def _verl(fw: dict, nt: dict) -> dict:
    mode = take(fw, "loss_mode", "vanilla", nt, "surrogate", "ratio_level")
    choice("loss_mode", mode, ("vanilla", "gspo", "sapo", "gpg", "cispo", "geo_mean"))
    clip = take(fw, "clip_ratio", 0.2, nt, "clip_low", "clip_high")
    low = take(fw, "clip_ratio_low", None, nt, "clip_low")
    high = take(fw, "clip_ratio_high", None, nt, "clip_high")
    low = clip if low is None else low
    high = clip if high is None else high
    c = take(fw, "clip_ratio_c", 3.0, nt, "dual_clip")
    agg = take(fw, "loss_agg_mode", "token-mean", nt, "aggregation")
    choice("loss_agg_mode", agg, ("token-mean", "seq-mean-token-sum", "seq-mean-token-mean",
                                  "seq-mean-token-sum-norm"))
    dp = positive_int("dp_size", take(fw, "dp_size", 1, nt, "scale"))
    ga = positive_int("gradient_accumulation_steps", take(fw, "gradient_accumulation_steps", 1, nt, "scale"))
    tokens = take(fw, "batch_num_tokens", None, nt, "denominator")
    rows = take(fw, "global_batch_size", None, nt, "denominator")
    factor = take(fw, "loss_scale_factor", None, nt, "denominator")
    out: dict[str, Any] = {"clip_low": low, "clip_high": high, "log_ratio_clamp": 20.0,
                           "_metric_scale": float(ga),
                           "sapo_tau": (take(fw, "tau_pos", 1.0, nt, "sapo_tau"),
                                        take(fw, "tau_neg", 1.05, nt, "sapo_tau"))}

    def aggregation(name: str) -> dict:
        if name == "token-mean":
            return {"aggregation": "token_mean", "denominator": tokens, "scale": dp / ga}
        if name == "seq-mean-token-sum":
            return {"aggregation": "seq_mean_token_sum", "denominator": rows, "scale": dp / ga}
        if name == "seq-mean-token-mean":
            return {"aggregation": "seq_mean_token_mean", "denominator": rows, "scale": dp / ga}
        return {"aggregation": "token_sum_norm", "scale": 1.0 / ga,
                "denominator": factor if factor is not None else ("padded_length",)}

    out.update(aggregation(agg))
    if mode == "vanilla":
        out.update(surrogate="ppo", dual_clip=c)
    elif mode == "gspo":
        out.update(surrogate="ppo", ratio_level="sequence_token", log_ratio_clamp=(-INF, 10.0))
        out.update(aggregation("seq-mean-token-mean"))
    elif mode == "sapo":
        out.update(surrogate="sapo")
        out.update(aggregation("seq-mean-token-mean"))
    elif mode == "gpg":
        out.update(surrogate="reinforce")
    elif mode == "cispo":
        out.update(surrogate="cispo", cispo_bounds=(1.0 - low, 1.0 + high))
    else:
        out.update(surrogate="gmpo", log_ratio_clamp=None, aggregation="batch_mean", denominator=None,
                   scale=1.0 / ga)
    kl_agg = aggregation(agg)
    out.update(kl_aggregation=kl_agg["aggregation"], kl_denominator=kl_agg["denominator"],
               kl_scale=kl_agg["scale"])
    if take(fw, "use_kl_loss", False, nt, "kl_coef"):
        out["kl_coef"] = take(fw, "kl_loss_coef", 0.001, nt, "kl_coef")
        kl_type = take(fw, "kl_loss_type", "low_var_kl", nt, "kl_estimator")
        straight = kl_type.endswith("+")
        base = kl_type.rstrip("+")
        names = {"kl": "k1", "k1": "k1", "abs": "abs", "mse": "k2", "k2": "k2", "low_var_kl": "k3", "k3": "k3"}
        if base not in names:
            raise ValueError(f"kl_loss_type: expected one of {', '.join(names)} (optionally with '+'), got {kl_type!r}")
        out["kl_estimator"] = names[base]
        out["kl_straight_through"] = straight and names[base] != "k2"
        if names[base] == "k3":
            out.update(kl_log_clamp=20.0, kl_value_clamp=10.0)
    else:
        take(fw, "kl_loss_coef", None, nt, "kl_coef")
        take(fw, "kl_loss_type", None, nt, "kl_estimator")
    return out


def _openrlhf(fw: dict, nt: dict) -> dict:
    kind = take(fw, "policy_loss_type", "ppo", nt, "surrogate", "ratio_level")
    choice("policy_loss_type", kind, ("ppo", "gspo"))
    eps = take(fw, "eps_clip", 0.2, nt, "clip_low", "clip_high")
    low_high = take(fw, "eps_clip_low_high", None, nt, "clip_low", "clip_high")
    low, high = (eps, eps) if low_high is None else low_high
    token_level = take(fw, "token_level_loss", True, nt, "aggregation")
    dp = positive_int("dp_size", take(fw, "dp_size", 1, nt, "scale"))
    tokens = take(fw, "batch_num_tokens", None, nt, "denominator")
    rows = take(fw, "global_batch_size", None, nt, "denominator")
    out: dict[str, Any] = {"clip_low": low, "clip_high": high,
                           "dual_clip": take(fw, "dual_clip", None, nt, "dual_clip")}
    def aggregation(per_token: bool) -> dict:
        if per_token:
            return {"aggregation": "token_mean", "denominator": tokens, "scale": float(dp)}
        return {"aggregation": "seq_mean_token_mean", "denominator": rows, "scale": float(dp)}

    # GSPO forces the per-sample mean on the policy term only; the KL term keeps the flag.
    kl_agg = aggregation(token_level)
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
            out["_ratio_against_rollout"] = True
        else:
            out.update(is_level=level, is_mode=mode, is_bounds=(lo, hi))
    return out


_TRANSLATORS = {None: _neutral, "trl": _trl, "verl": _verl, "openrlhf": _openrlhf}


# ---------------------------------------------------------------------------------- helpers

def _clamp_pair(name: str, value: Any) -> tuple[float, float]:
    if value is None:
        return -INF, INF
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        c = nonnegative(name, value)
        return -c, c
    try:
        lo, hi = value
        lo, hi = float(-INF if lo is None else lo), float(INF if hi is None else hi)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected None, a bound c or a pair (lo, hi), got {value!r}") from None
    if not lo <= hi:
        raise ValueError(f"{name}: the pair (lo, hi) = {value!r} is inverted")
    return lo, hi


def _mask_array(mask: Any, shape: tuple, name: str) -> np.ndarray:
    arr = np.asarray(mask)
    if arr.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
    if arr.dtype == np.bool_:
        return arr.view(np.uint8)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a boolean, integer or float 0/1 mask, got dtype {arr.dtype}")
    ones = arr == 1
    if not np.all(ones | (arr == 0)):
        raise ValueError(f"{name}: expected only 0 and 1 values")
    return ones.view(np.uint8)


def _entropy_mask(entropies: Any, mask: np.ndarray, quantile: float) -> np.ndarray:
    """TRL's top-entropy token mask: tokens at or above the (1 - quantile) quantile (linear)."""
    ent = np.asarray(entropies, dtype=np.float64)
    if ent.shape != mask.shape:
        raise ValueError(f"entropies: expected shape {mask.shape}, got {ent.shape}")
    valid = ent[mask.astype(bool)]
    if valid.size == 0:
        return mask
    threshold = np.quantile(valid, 1.0 - quantile)
    return ((ent >= threshold) & mask.astype(bool)).view(np.uint8)


def _denominator(value: Any, b: int, t: int) -> float:
    if value is None:
        return 0.0
    if isinstance(value, tuple):
        if value[0] == "rows_times":
            return float(b * positive_int("max_completion_length", value[1]))
        return float(max(t, 1))
    return positive("denominator", value)


def _aggregation(name: str, den: Any, scale: Any, b: int, t: int) -> tuple:
    choice("kl_aggregation" if name not in _AGG else "aggregation", name, tuple(_AGG))
    mode, clamp = _AGG[name]
    scale = float(scale)
    if not math.isfinite(scale):
        raise ValueError(f"scale: expected a finite number, got {scale!r}")
    return (mode, clamp, _denominator(den, b, t), scale)


# ---------------------------------------------------------------------------------- entry point

def policy_loss(logp, old_logp, advantages, mask=None, *, ref_logp=None, rollout_logp=None,
                is_weights=None, entropies=None, truncated=None, preset: str | None = "trl",
                per_token: bool = False, grad_out: np.ndarray | None = None,
                num_threads: int | None = None, **options: Any) -> PolicyLossOutput:
    """The GRPO policy loss, its exact gradient with respect to ``logp``, and its metrics.

    ``Loss = agg(P * f(ratio, A)) + kl_coef * agg_kl(k(logp - ref_logp))`` where ``f`` is the
    chosen surrogate (PPO clip by default), ``P`` the detached multipliers (importance weights,
    off-policy sequence mask, top-entropy mask) and ``k`` a KL estimator. Every framework's
    formula is one setting of this; ``preset`` picks that framework's defaults and accepts its
    option names, so numbers match it option by option.

    Parameters
    ----------
    logp : array_like, shape (B, T), float16/32/64
        Current-policy log-probs of the sampled tokens (the differentiable input). float64
        computes in float64; other dtypes are read as float32 and computed per token in float32
        (their precision), always summing in double.
    old_logp : array_like (B, T) or None
        Log-probs under the policy that generated the data. None means on-policy (ratio 1 in
        value, gradient as through ``exp(logp - stop_grad(logp))``).
    advantages : array_like, shape (B,) or (B, T)
    mask : array_like (B, T) of bool or 0/1, optional
        Completion mask; masked positions never influence anything, even holding NaN/Inf.
    ref_logp : array_like (B, T), optional
        Reference-policy log-probs (needed when the KL coefficient is not 0).
    rollout_logp : array_like (B, T), optional
        Rollout-engine (vLLM) log-probs, for importance-sampling correction and OPSM.
    is_weights : array_like (B,) or (B, T), optional
        Precomputed detached importance weights multiplying the policy term (verl's
        ``rollout_is_weights``).
    entropies : array_like (B, T), optional
        Per-token entropies, for ``top_entropy_quantile`` < 1.
    truncated : array_like (B,) of bool, optional
        Rows cut at the length limit; they are masked out (TRL ``mask_truncated_completions``).
    preset : {"trl", "verl", "openrlhf", None}
        Framework defaults and option names (see the README's option table); None accepts only
        the neutral names.
    per_token : bool
        Also return the per-token loss.
    grad_out : numpy.ndarray, optional
        Write the gradient here (C-contiguous, writable, shape and dtype of the computation).
    num_threads : int, optional
        Threads for large batches (default :func:`grpo_c.get_num_threads`); results are
        identical for any value.
    **options
        Neutral names (``ratio_level``, ``surrogate``, ``clip_low``, ``clip_high``,
        ``dual_clip``, ``delta``, ``log_ratio_clamp``, ``cispo_bounds``, ``sapo_tau``,
        ``vespo_k``, ``vespo_lambda``, ``is_level``, ``is_mode``, ``is_bounds``,
        ``is_log_clamp``, ``off_policy_threshold``, ``top_entropy_quantile``, ``kl_coef``,
        ``kl_estimator``, ``kl_straight_through``, ``kl_ratio_weighted``, ``kl_log_clamp``,
        ``kl_value_clamp``, ``aggregation``, ``denominator``, ``scale``, ``kl_aggregation``,
        ``kl_denominator``, ``kl_scale``) or the preset framework's own names (TRL:
        ``loss_type``, ``epsilon``, ``epsilon_high``, ``delta``, ``beta``,
        ``importance_sampling_level``, ``use_bias_correction_kl``, ``max_completion_length``,
        ``gradient_accumulation_steps``, ``num_items_in_batch``, ``num_processes``, ...; verl:
        ``loss_mode``, ``clip_ratio_low``, ``clip_ratio_high``, ``clip_ratio_c``,
        ``loss_agg_mode``, ``dp_size``, ``batch_num_tokens``, ``global_batch_size``,
        ``loss_scale_factor``, ``use_kl_loss``, ``kl_loss_coef``, ``kl_loss_type``, ...;
        OpenRLHF: ``policy_loss_type``, ``eps_clip_low_high``, ``dual_clip``,
        ``token_level_loss``, ``use_kl_loss``, ``kl_estimator``, ``is_correction``, ...).

    Returns
    -------
    PolicyLossOutput
        ``.loss`` (float), ``.grad`` (dLoss/dlogp), ``.per_token``, ``.metrics``.

    Examples
    --------
    >>> import numpy as np, grpo_c
    >>> logp = np.log(np.full((2, 3), 0.5))
    >>> out = grpo_c.policy_loss(logp, logp, np.array([1.0, -1.0]), np.ones((2, 3), bool),
    ...                          preset="trl", loss_type="grpo")
    >>> out.loss, out.grad[0].tolist()
    (0.0, [-0.16666666666666666, -0.16666666666666666, -0.16666666666666666])
    """
    return _policy_loss(logp, old_logp, advantages, mask, ref_logp=ref_logp, rollout_logp=rollout_logp,
                        is_weights=is_weights, entropies=entropies, truncated=truncated, preset=preset,
                        per_token=per_token, grad_out=grad_out, num_threads=num_threads, plain=False,
                        **options)


def check_loss_options(preset: str | None, options: dict) -> None:
    """Raise as :func:`policy_loss` would for these options, without any data: a module or a
    config can fail at construction rather than at its first batch."""
    options = dict(options)
    options.pop("per_token", None)
    resolve_threads(options.pop("num_threads", None))
    preset = check_preset(preset)
    for has_rollout in (False, True):
        _plan_for(preset, options, has_rollout)


def _policy_loss(logp, old_logp, advantages, mask, *, ref_logp, rollout_logp, is_weights, entropies,
                 truncated, preset, per_token, grad_out, num_threads, plain: bool,
                 **options: Any) -> PolicyLossOutput:
    """policy_loss; ``plain=True`` runs the core's token-by-token path (the fast path's oracle)."""
    plan = _plan_for(check_preset(preset), options, rollout_logp is not None)
    threads = resolve_threads(num_threads)

    for name, value in (("logp", logp), ("advantages", advantages)):
        if value is None:
            raise TypeError(f"{name}: expected an array of numbers, got None")
    logp_arr = np.asarray(logp)
    if logp_arr.ndim != 2:
        raise ValueError(f"logp: expected a 2-d (B, T) array, got shape {logp_arr.shape}")
    b, t = logp_arr.shape
    if b == 0 or t == 0:
        return _empty_batch_loss(logp_arr, old_logp, advantages, ref_logp=ref_logp,
                                 rollout_logp=rollout_logp, is_weights=is_weights,
                                 entropies=entropies, preset=preset, per_token=per_token,
                                 grad_out=grad_out, options=options)
    # the core converts and checks the mask; it is built here only when Python needs it too
    needs_mask = (mask is None or truncated is not None or entropies is not None
                  or (preset == "trl" and plan["ratio_level"] == "sequence"))
    mask_arr = mask
    if needs_mask:
        mask_arr = np.ones((b, t), np.uint8) if mask is None else _mask_array(mask, (b, t), "mask")
    if truncated is not None:
        trunc = np.asarray(truncated)
        if trunc.shape != (b,):
            raise ValueError(f"truncated: expected shape ({b},), got {trunc.shape}")
        mask_arr = (mask_arr.astype(bool) & ~trunc.astype(bool)[:, None]).view(np.uint8)
    kl_coef = plan["core"]["kl_coef"]
    if kl_coef != 0 and ref_logp is None:
        raise ValueError("ref_logp: required when the KL coefficient (beta / kl_coef) is not 0")
    if plan["needs_rollout"] and rollout_logp is None:
        raise ValueError("rollout_logp: required for importance-sampling correction (is_level / "
                         "vllm_importance_sampling_correction / is_correction)")
    if plan["ratio_against_rollout"]:
        old_logp = rollout_logp
    policy_mask = None
    if plan["quantile"] < 1.0:
        if entropies is None:
            raise ValueError("entropies: required when top_entropy_quantile < 1")
        policy_mask = _entropy_mask(entropies, mask_arr, plan["quantile"])

    agg_name, den, scale = plan["policy_agg"]
    if agg_name == "luspo":
        # TRL multiplies the loss tensor by the row lengths and averages it over its own shape:
        # (B, 1) for a pure sequence-level loss, else (B, T).
        sequence_shaped = plan["luspo_sequence"] and policy_mask is None
        agg_name, den = ("seq_mean_token_sum", float(b)) if sequence_shaped else ("length_weighted", None)
    if agg_name == "batch_mean":   # GMPO: a plain mean over the rows
        agg_name, den = "seq_mean_token_mean_all_rows", float(b)
    policy_agg = _aggregation(agg_name, den, scale, b, t)
    kl_agg = policy_agg if plan["kl_agg"] is None else _aggregation(*plan["kl_agg"], b, t)

    adv = np.asarray(advantages)
    if adv.shape == (b, 1) and t != 1:   # TRL's advantages.unsqueeze(1)
        adv = adv[:, 0]
    if plan["surrogate"] == "vespo" and adv.ndim != 1:
        raise ValueError("advantages: VESPO weighs whole sequences and needs (B,) advantages")
    raw, grad, per_tok = _core.policy_loss(
        logp_arr, old_logp, ref_logp if kl_coef != 0 else None, rollout_logp, adv, mask_arr,
        is_weights, policy_mask, grad_out, per_token, plan["packed"], policy_agg, kl_agg, threads,
        plain)
    metrics = _metrics(raw, preset, plan["surrogate"], kl_coef, plan["metric_scale"])
    if preset == "trl" and entropies is not None:
        ent = np.asarray(entropies, dtype=np.float64)
        m = mask_arr.astype(bool)
        metrics["entropy"] = float(np.where(m, ent, 0.0).sum() / max(m.sum(), 1))
    if preset == "trl" and plan["ratio_level"] == "sequence" and plan["surrogate"] == "ppo" and adv.ndim == 1:
        metrics.update(_trl_sequence_clip_metrics(logp_arr, logp_arr if old_logp is None else old_logp,
                                                  adv, mask_arr, plan["clip"][0], plan["clip"][1]))
    return PolicyLossOutput(raw["loss"], grad, per_tok, metrics)


def _empty_batch_loss(logp: np.ndarray, old_logp, advantages, *, ref_logp, rollout_logp,
                      is_weights, entropies, preset, per_token, grad_out, options) -> PolicyLossOutput:
    """A batch with no rows or no tokens (a rank left without data, an empty micro-batch): loss
    0, a zero gradient of its shape, and the metrics of a batch whose every token is masked
    out. The options and the required inputs are checked as for any batch."""
    b, t = logp.shape
    for name, value, shapes in (("old_logp", old_logp, [(b, t)]), ("ref_logp", ref_logp, [(b, t)]),
                                ("rollout_logp", rollout_logp, [(b, t)]),
                                ("entropies", entropies, [(b, t)]),
                                ("advantages", advantages, [(b,), (b, t), (b, 1)]),
                                ("is_weights", is_weights, [(b,), (b, t)])):
        if value is not None and np.shape(value) not in shapes:
            raise ValueError(f"{name}: expected shape {' or '.join(map(str, shapes))}, "
                             f"got {np.shape(value)}")
    dtype = np.float64 if logp.dtype == np.float64 else np.float32
    one = np.zeros((1, 1), dtype)
    like = lambda value: None if value is None else one   # noqa: E731
    nothing = _policy_loss(one, like(old_logp), np.zeros(1), np.zeros((1, 1), bool),
                           ref_logp=like(ref_logp), rollout_logp=like(rollout_logp),
                           is_weights=None if is_weights is None else np.ones(1),
                           entropies=like(entropies), truncated=None, preset=preset,
                           per_token=False, grad_out=None, num_threads=1, plain=False, **options)
    if grad_out is not None:
        if not isinstance(grad_out, np.ndarray) or grad_out.shape != (b, t) or grad_out.dtype != dtype:
            raise ValueError(f"grad_out: expected a {np.dtype(dtype).name} array of shape {(b, t)}")
        grad = grad_out
        grad[...] = 0
    else:
        grad = np.zeros((b, t), dtype)
    return PolicyLossOutput(0.0, grad, np.zeros((b, t), dtype) if per_token else None,
                            nothing.metrics)


def core_policy_loss(*, logp, old_logp, ref_logp, rollout_logp, advantages, mask, is_weights,
                     policy_mask, grad_out, per_token, policy_agg, kl_agg, num_threads, plain,
                     **options):
    """_core.policy_loss by keyword, the scalar options packed here (the tests' entry)."""
    return _core.policy_loss(logp, old_logp, ref_logp, rollout_logp, advantages, mask, is_weights,
                             policy_mask, grad_out, per_token, _core.loss_options(**options),
                             policy_agg, kl_agg, num_threads, plain)


def _plan(preset: str | None, options: dict, has_rollout: bool) -> dict:
    opts = resolve("policy_loss", preset, options, _NEUTRAL, _TRANSLATORS)
    with opts.named_as_given():
        return _validated_plan(preset, opts, has_rollout)


def _validated_plan(preset: str | None, opts: dict, has_rollout: bool) -> dict:
    surrogate = choice("surrogate", opts["surrogate"], tuple(_SURROGATE))
    ratio_level = choice("ratio_level", opts["ratio_level"], tuple(_RATIO))
    clip_low = nonnegative("clip_low", opts["clip_low"])
    clip_high = nonnegative("clip_high", opts["clip_high"])
    if surrogate == "ppo" and clip_low >= 1.0:
        raise ValueError(f"clip_low: the ratio clip [1 - clip_low, 1 + clip_high] needs clip_low < 1, got {clip_low}")
    dual = opts["dual_clip"]
    if dual is not None and not (isinstance(dual, (int, float)) and dual > 1):
        raise ValueError(f"dual_clip: expected a number > 1 or None, got {dual!r}")
    delta = opts["delta"]
    if delta is not None and not (isinstance(delta, (int, float)) and delta > 1 + clip_high):
        raise ValueError(f"delta: expected a number > 1 + clip_high ({1 + clip_high}) or None, got {delta!r}")
    ratio_lo, ratio_hi = _clamp_pair("log_ratio_clamp", opts["log_ratio_clamp"])
    cispo_lo, cispo_hi = _clamp_pair("cispo_bounds", opts["cispo_bounds"])
    tau_pos, tau_neg = (positive("sapo_tau", x) for x in opts["sapo_tau"])
    kl_coef = float(opts["kl_coef"])
    if not math.isfinite(kl_coef):
        raise ValueError(f"kl_coef: expected a finite number, got {kl_coef!r}")
    kl_estimator = choice("kl_estimator", opts["kl_estimator"], tuple(_KL))

    # Importance weights from the rollout engine's log-probs.
    is_level, is_mode, is_bounds = opts["is_level"], opts["is_mode"], opts["is_bounds"]
    trl_is = opts.pop("_trl_is", None)
    ratio_against_rollout = opts.pop("_ratio_against_rollout", False)
    metric_scale = opts.pop("_metric_scale", 1.0)
    if trl_is is not None:
        correction, mode, clip_max, clip_min = trl_is
        if correction is None:
            correction = has_rollout
        if correction:
            mode = choice("vllm_importance_sampling_mode", mode,
                          ("sequence_mask", "sequence_truncate", "token_mask", "token_truncate"))
            is_level, is_mode = mode.split("_")
            is_bounds = (clip_min, clip_max)
    choice("is_level", is_level, tuple(_IS_LEVEL))
    choice("is_mode", is_mode, ("truncate", "mask"))
    is_lo, is_hi = _clamp_pair("is_bounds", is_bounds)
    threshold = opts["off_policy_threshold"]
    quantile = float(opts["top_entropy_quantile"])
    if not 0.0 < quantile <= 1.0:
        raise ValueError(f"top_entropy_quantile: expected a value in (0, 1], got {quantile!r}")
    choice("aggregation", opts["aggregation"], tuple(_AGG) + ("luspo", "batch_mean"))
    kl_agg = None
    if opts["kl_aggregation"] is not None:
        kl_agg = (opts["kl_aggregation"], opts["kl_denominator"],
                  opts["scale"] if opts["kl_scale"] is None else opts["kl_scale"])
    core = dict(
        ratio_level=_RATIO[ratio_level], surrogate=_SURROGATE[surrogate], eps_low=clip_low,
        eps_high=clip_high, dual_clip=0.0 if dual is None else float(dual),
        delta=0.0 if delta is None else float(delta), log_ratio_min=ratio_lo, log_ratio_max=ratio_hi,
        cispo_min=cispo_lo, cispo_max=cispo_hi, sapo_tau_pos=tau_pos, sapo_tau_neg=tau_neg,
        vespo_k_pos=float(opts["vespo_k"][0]), vespo_lambda_pos=float(opts["vespo_lambda"][0]),
        vespo_k_neg=float(opts["vespo_k"][1]), vespo_lambda_neg=float(opts["vespo_lambda"][1]),
        is_level=_IS_LEVEL[is_level], is_mask=is_mode == "mask", is_min=is_lo, is_max=is_hi,
        is_log_clamp=_clamp_pair("is_log_clamp", opts["is_log_clamp"])[1],
        opsm_threshold=math.nan if threshold is None else float(threshold),
        kl_coef=kl_coef, kl_estimator=_KL[kl_estimator],
        kl_straight_through=bool(opts["kl_straight_through"]),
        kl_ratio_weighted=bool(opts["kl_ratio_weighted"]),
        kl_log_clamp=_clamp_pair("kl_log_clamp", opts["kl_log_clamp"])[1],
        kl_value_clamp=_clamp_pair("kl_value_clamp", opts["kl_value_clamp"])[1])
    return {
        "core": core,
        # TRL reports neither ppo_kl nor the mean ratio: the kernel may skip those two sums
        "packed": _core.loss_options(**core, skip_ratio_metrics=preset == "trl"),
        "surrogate": surrogate, "ratio_level": ratio_level, "clip": (clip_low, clip_high),
        "quantile": quantile, "needs_rollout": is_level is not None or ratio_against_rollout,
        "ratio_against_rollout": ratio_against_rollout, "metric_scale": metric_scale,
        "policy_agg": (opts["aggregation"], opts["denominator"], opts["scale"]), "kl_agg": kl_agg,
        "luspo_sequence": ratio_level == "sequence" and kl_coef == 0 and quantile == 1.0
                          and is_level in (None, "sequence"),
    }


# the resolved, validated options of a call
_plan_for = plan_cache(_plan)


def _trl_sequence_clip_metrics(logp, old, adv, mask, clip_low, clip_high) -> dict:
    """TRL reduces (B, 1) sequence-level clip flags over rows, not tokens, empty rows included."""
    m = mask.astype(bool)
    diff = np.where(m, np.asarray(logp, np.float64) - np.asarray(old, np.float64), 0.0)
    s = np.exp(diff.sum(axis=1) / np.maximum(m.sum(axis=1), 1))
    low = (s < 1 - clip_low) & (adv < 0)
    high = (s > 1 + clip_high) & (adv > 0)
    return {"clip_ratio/low_mean": float(low.mean()), "clip_ratio/low_min": float(low.min()),
            "clip_ratio/high_mean": float(high.mean()), "clip_ratio/high_max": float(high.max()),
            "clip_ratio/region_mean": float((low | high).mean())}


def _metrics(raw: dict, preset: str | None, surrogate: str, kl_coef: float, loss_scale: float) -> dict:
    """The core's neutral metrics under the names the preset framework logs (verl logs its loss
    terms before dividing by the gradient-accumulation steps: ``loss_scale`` undoes that)."""
    if preset == "trl":
        out = {}
        if surrogate == "ppo":
            out.update({"clip_ratio/low_mean": raw["clip_low"], "clip_ratio/low_min": raw["clip_low_min"],
                        "clip_ratio/high_mean": raw["clip_high"], "clip_ratio/high_max": raw["clip_high_max"],
                        "clip_ratio/region_mean": raw["clip_region"]})
        elif surrogate == "cispo":
            out["cispo_clip_ratio"] = raw["cispo_clip"]
        elif surrogate == "vespo":
            out["vespo/phi_seq_mean"] = raw["phi_mean"]
        if kl_coef != 0:
            out["kl"] = raw["kl_mean"]
        out["num_tokens"] = raw["tokens"]
        return out
    if preset == "verl":
        out = {"actor/pg_loss": raw["policy_loss"] * loss_scale, "actor/pg_clipfrac": raw["clipfrac"],
               "actor/ppo_kl": raw["ppo_kl"], "actor/pg_clipfrac_lower": raw["clipfrac_lower"]}
        if kl_coef != 0:
            out.update({"actor/kl_loss": raw["kl_loss"] * loss_scale, "actor/kl_coef": kl_coef})
        return out
    if preset == "openrlhf":
        out = {"policy_loss": raw["policy_loss"], "ppo_clip_ratio": raw["clipfrac"], "ppo_kl": raw["ppo_kl"]}
        if kl_coef != 0:
            out["kl"] = raw["kl_mean"]
        return out
    return dict(raw)
