"""The GRPO policy loss with its KL term: value, exact gradient dLoss/dlogp, and metrics.

This module speaks only the neutral option vocabulary, whose names are the fields of the C
core's ``grpo_loss_options`` and whose defaults are ``grpo_loss_options_init``'s; a preset's
option names, defaults and metric names come from its module in :mod:`grpo_c.frameworks`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grpo_c import _core
from grpo_c._options import nonnegative, plan_cache, positive, positive_int, resolve
from grpo_c._threads import resolve_threads
from grpo_c.frameworks import Framework, LossCall, framework

__all__ = ["PolicyLossOutput", "policy_loss"]

INF = math.inf

# The core's defaults, and the options the Python layer adds: the KL term's aggregation (follows
# the policy term's unless set); the top-entropy token mask; the ratio's baseline; (B, T)
# importance weights reduced to one per row ("geometric_mean", verl's GMPO); Clip-Cov's random
# exclusion of high-covariance tokens (verl's clip_cov); the rejection of tokens or sequences whose
# rollout and old probabilities diverge (OpenRLHF's "binary_kl" / "tv" gating); the share of
# tokens KL-Cov penalises.
_NEUTRAL: dict[str, Any] = {
    **_core.loss_defaults(),
    "kl_aggregation": None, "kl_denominator": None, "kl_scale": None,
    "top_entropy_quantile": 1.0,
    "ratio_against": "old_logp",
    "is_weights_per_row": None,
    "clip_cov_ratio": None, "clip_cov_bounds": (1.0, 5.0), "generator": None,
    "is_gate": None, "is_gate_level": "token", "is_gate_bounds": (None, None),
    "kl_cov_ratio": 0.0002,
}
# "luspo" (TRL's LUSPO length weighting) is resolved into a core aggregation per configuration
_LUSPO = "luspo"


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


@dataclass(frozen=True)
class _Plan:
    """The resolved, validated options of one configuration, packed for the core."""

    packed: bytes
    neutral: dict
    framework: Framework | None
    needs_rollout: bool


def _plan(preset: str | None, options: dict, has_rollout: bool) -> _Plan:
    module = framework(preset)
    translate = (lambda fw, nt: {}) if module is None else (
        lambda fw, nt: module.loss_options(fw, nt, has_rollout))
    opts = resolve("policy_loss", preset, options, _NEUTRAL, translate)
    with opts.named_as_given():
        neutral = _validated(opts)
        packed = _core.loss_options(**{k: v for k, v in neutral.items() if k not in _PYTHON_ONLY})
    return _Plan(packed, neutral, module,
                 neutral["is_level"] is not None or neutral["ratio_against"] == "rollout_logp"
                 or neutral["is_gate"] is not None)


_PYTHON_ONLY = ("top_entropy_quantile", "ratio_against", "is_weights_per_row", "clip_cov_ratio",
                "clip_cov_bounds", "generator", "is_gate", "is_gate_level", "is_gate_bounds", "kl_cov_ratio")


def _validated(opts: dict) -> dict:
    """The meaning of the options checked, each in the form the core takes (the spelling of
    enum values is checked where it is converted, in _core.loss_options)."""
    out = dict(opts)
    surrogate = opts["surrogate"]
    clip_low = out["clip_low"] = nonnegative("clip_low", opts["clip_low"])
    clip_high = out["clip_high"] = nonnegative("clip_high", opts["clip_high"])
    if surrogate == "ppo" and clip_low >= 1.0:
        raise ValueError(f"clip_low: the ratio clip [1 - clip_low, 1 + clip_high] needs clip_low < 1, got {clip_low}")
    dual = opts["dual_clip"]
    if dual is not None and not (isinstance(dual, (int, float)) and dual > 1):
        raise ValueError(f"dual_clip: expected a number > 1 or None, got {dual!r}")
    delta = opts["delta"]
    if delta is not None and not (isinstance(delta, (int, float)) and delta > 1 + clip_high):
        raise ValueError(f"delta: expected a number > 1 + clip_high ({1 + clip_high}) or None, got {delta!r}")
    for name in ("log_ratio_clamp", "cispo_bounds", "is_bounds"):
        out[name] = _clamp_pair(name, opts[name])
    for name in ("is_log_clamp", "kl_log_clamp", "kl_value_clamp"):
        out[name] = _clamp_pair(name, opts[name])[1]
    if surrogate == "dro":
        out["dro_beta"] = positive("dro_beta", opts["dro_beta"])
    out["sapo_tau"] = tuple(positive("sapo_tau", x) for x in opts["sapo_tau"])
    out["vespo_k"] = tuple(float(x) for x in opts["vespo_k"])
    out["vespo_lambda"] = tuple(float(x) for x in opts["vespo_lambda"])
    kl_coef = out["kl_coef"] = float(opts["kl_coef"])
    if not math.isfinite(kl_coef):
        raise ValueError(f"kl_coef: expected a finite number, got {kl_coef!r}")
    threshold = opts["off_policy_threshold"]
    out["off_policy_threshold"] = None if threshold is None else float(threshold)
    quantile = out["top_entropy_quantile"] = float(opts["top_entropy_quantile"])
    if not 0.0 < quantile <= 1.0:
        raise ValueError(f"top_entropy_quantile: expected a value in (0, 1], got {quantile!r}")
    if opts["ratio_against"] not in ("old_logp", "rollout_logp"):
        raise ValueError(f"ratio_against: expected 'old_logp' or 'rollout_logp', got {opts['ratio_against']!r}")
    if opts["is_weights_per_row"] not in (None, "geometric_mean"):
        raise ValueError(f"is_weights_per_row: expected None or 'geometric_mean', got {opts['is_weights_per_row']!r}")
    if opts["clip_cov_ratio"] is not None:
        out["clip_cov_ratio"] = positive("clip_cov_ratio", opts["clip_cov_ratio"])
        out["clip_cov_bounds"] = _clamp_pair("clip_cov_bounds", opts["clip_cov_bounds"])
        if surrogate != "ppo" or opts["ratio_level"] != "token":
            raise ValueError("clip_cov_ratio: Clip-Cov selects tokens of the token-level PPO surrogate")
    if surrogate == "kl_cov":
        out["kl_cov_ratio"] = positive("kl_cov_ratio", opts["kl_cov_ratio"])
        if opts["ratio_level"] != "token":
            raise ValueError("surrogate: KL-Cov penalises single tokens and needs ratio_level='token'")
    if opts["is_gate"] not in (None, "binary_kl", "tv"):
        raise ValueError(f"is_gate: expected None, 'binary_kl' or 'tv', got {opts['is_gate']!r}")
    if opts["is_gate"] is not None:
        if opts["is_gate_level"] not in ("token", "sequence"):
            raise ValueError(f"is_gate_level: expected 'token' or 'sequence', got {opts['is_gate_level']!r}")
        out["is_gate_bounds"] = _clamp_pair("is_gate_bounds", opts["is_gate_bounds"])
    generator = opts["generator"]
    if not (generator is None or isinstance(generator, (int, np.random.Generator))) or isinstance(generator, bool):
        raise TypeError(f"generator: expected None, an int seed or a numpy.random.Generator, "
                        f"got {type(generator).__name__}")
    if opts["aggregation"] == _LUSPO:
        # TRL multiplies the loss tensor by the row lengths and averages it over its own shape:
        # (B, 1) for a purely sequence-level loss, else (B, T).
        sequence_shaped = (opts["ratio_level"] == "sequence" and kl_coef == 0 and quantile == 1.0
                           and opts["is_level"] in (None, "sequence"))
        out["aggregation"], out["denominator"] = (
            ("seq_mean_token_sum", ("per_row", 1.0)) if sequence_shaped else ("length_weighted", None))
    for prefix in ("", "kl_"):
        if out[prefix + "aggregation"] is None:   # the KL term follows the policy term
            out[prefix + "aggregation"] = out["aggregation"]
            out[prefix + "denominator"] = out["denominator"]
        if out[prefix + "scale"] is None:
            out[prefix + "scale"] = out["scale"]
        out[prefix + "denominator"] = _denominator(prefix + "denominator", out[prefix + "denominator"])
        scale = out[prefix + "scale"] = float(out[prefix + "scale"])
        if not math.isfinite(scale):
            raise ValueError(f"{prefix}scale: expected a finite number, got {scale!r}")
    return out


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


def _denominator(name: str, value: Any) -> Any:
    """None (the aggregation's default), a positive number, or ("per_row", L): B * L."""
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "per_row":
        return ("per_row", float(positive_int(name, value[1]) if isinstance(value[1], int) else
                                 positive(name, value[1])))
    return None if value is None else positive(name, value)


def _geometric_row_means(is_weights: Any, mask: Any, shape: tuple, threads: int) -> Any:
    """(B, T) weights -> one per row, exp(mean over the row's tokens of log(w + 1e-10)), as verl's
    GMPO reduces them (its count + 1e-8 is float32, so exactly the count); (B,) weights pass
    unchanged."""
    w = np.asarray(is_weights, dtype=np.float64)
    if w.shape != shape:
        return is_weights
    m = np.ones(shape, bool) if mask is None else _core.mask(mask, shape, "mask", threads).view(bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.where(m, np.log(np.where(m, w, 1.0) + 1e-10), 0.0)
    return np.exp(logs.sum(axis=1) / np.maximum(m.sum(axis=1), 1))


def _centred_covariance(logp: np.ndarray, adv: np.ndarray, m: np.ndarray) -> np.ndarray:
    """(A - mean A) (logp - mean logp) per token, both means over the tokens under the mask (0
    elsewhere): the covariance that verl's Clip-Cov and KL-Cov rank tokens by."""
    tokens = max(int(m.sum()), 1)
    l = np.where(m, np.asarray(logp, np.float64), 0.0)
    a = np.where(m, np.broadcast_to(adv[:, None] if adv.ndim == 1 else adv, m.shape), 0.0).astype(np.float64)
    return np.where(m, (a - a.sum() / tokens) * (l - l.sum() / tokens), 0.0)


def _clip_cov_mask(logp: np.ndarray, old_logp: Any, adv: np.ndarray, mask: np.ndarray, opts: dict) -> np.ndarray:
    """Clip-Cov (verl's clip_cov): of the tokens PPO's clip leaves alone whose centred
    advantage-log-prob product lies strictly inside clip_cov_bounds, max(1, floor(ratio * tokens))
    drawn at random (in row-major order, permuted by ``generator``) leave the policy term."""
    m = mask.astype(bool)
    l = np.where(m, np.asarray(logp, np.float64), 0.0)
    o = l if old_logp is None else np.where(m, np.asarray(old_logp, np.float64), 0.0)
    a = np.broadcast_to(adv[:, None] if adv.ndim == 1 else adv, m.shape)
    ratio = np.exp(l - o)
    clipped = -a * np.clip(ratio, 1 - opts["clip_low"], 1 + opts["clip_high"]) > -a * ratio
    cov = _centred_covariance(logp, adv, m)
    lb, ub = opts["clip_cov_bounds"]
    rows, cols = np.nonzero(m & ~clipped & (cov > lb) & (cov < ub))
    count = max(int(opts["clip_cov_ratio"] * m.sum()), 1)
    chosen = np.random.default_rng(opts["generator"]).permutation(rows.size)[:count]
    keep = m.copy()
    keep[rows[chosen], cols[chosen]] = False
    return keep.view(np.uint8)


def _kl_cov_mask(logp: np.ndarray, adv: np.ndarray, mask: np.ndarray, ratio: float) -> np.ndarray:
    """KL-Cov (verl's kl_cov): of the tokens under the mask, the max(1, floor(ratio * tokens))
    with the largest centred advantage x log-prob product (ties: the earlier in row-major order)
    are marked 2, the others 1."""
    m = mask.astype(bool)
    out = m.view(np.uint8).copy()
    rows, cols = np.nonzero(m)
    if rows.size:
        cov = _centred_covariance(logp, adv, m)[rows, cols]
        top = np.argsort(-cov, kind="stable")[:max(1, int(rows.size * ratio))]
        out[rows[top], cols[top]] = 2
    return out


def _both(first: np.ndarray | None, second: np.ndarray) -> np.ndarray:
    """Two policy masks as one: a token is in where both keep it, with the larger flag."""
    if first is None:
        return second
    return np.where((first != 0) & (second != 0), np.maximum(first, second), 0).astype(np.uint8)


def gate_statistic(old_logp: Any, rollout_logp: Any, mask: np.ndarray, gate: str, level: str) -> np.ndarray:
    """The divergence between the rollout's and the old policy's token probabilities p and q,
    each clamped into [1e-6, 1 - 1e-6]: the binary KL p log(p/q) + (1-p) log((1-p)/(1-q))
    (``gate="binary_kl"``) or |p - q| (``"tv"``); (B, T), or (B, 1) row means over the mask for
    ``level="sequence"`` (NaN for an empty row)."""
    m = mask.astype(bool)
    p = np.clip(np.exp(np.where(m, np.asarray(rollout_logp, np.float64), 0.0)), 1e-6, 1 - 1e-6)
    q = np.clip(np.exp(np.where(m, np.asarray(old_logp, np.float64), 0.0)), 1e-6, 1 - 1e-6)
    if gate == "binary_kl":
        stat = p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))
    else:
        stat = np.abs(p - q)
    if level == "sequence":
        with np.errstate(invalid="ignore", divide="ignore"):
            stat = (np.where(m, stat, 0.0).sum(axis=1) / m.sum(axis=1))[:, None]
    return stat


def _gate_mask(old_logp: Any, rollout_logp: Any, logp: np.ndarray, mask: np.ndarray, opts: dict) -> np.ndarray:
    """The tokens (or the rows, by the mean over their tokens) whose gate_statistic lies within
    is_gate_bounds."""
    stat = gate_statistic(logp if old_logp is None else old_logp, rollout_logp, mask, opts["is_gate"],
                          opts["is_gate_level"])
    lo, hi = opts["is_gate_bounds"]
    return (mask.astype(bool) & (stat >= lo) & (stat <= hi)).view(np.uint8)


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
    preset : {"trl", "verl", "openrlhf", None}, or "name==release"
        Framework defaults and option names (see the README's option table) of the release the
        README names (TRL 1.16, verl 0.9.1, OpenRLHF 0.11.2); ``"trl==1.9"`` or ``"verl==0.7"``
        follow the formulas of an older release where they differ; None accepts only the
        neutral names.
    per_token : bool
        Also return the per-token loss.
    grad_out : numpy.ndarray, optional
        Write the gradient here (C-contiguous, writable, shape and dtype of the computation).
    num_threads : int, optional
        Threads for large batches (default :func:`grpo_c.get_num_threads`); results are
        identical for any value.
    **options
        Neutral names, those of the C core's ``grpo_loss_options`` fields (``ratio_level``,
        ``surrogate``, ``clip_low``, ``clip_high``, ``dual_clip``, ``delta``,
        ``log_ratio_clamp``, ``cispo_bounds``, ``sapo_tau``, ``vespo_k``, ``vespo_lambda``,
        ``is_level``, ``is_mode``, ``is_bounds``, ``is_log_clamp``, ``off_policy_threshold``,
        ``kl_coef``, ``kl_estimator``, ``kl_straight_through``, ``kl_ratio_weighted``,
        ``kl_log_clamp``, ``kl_value_clamp``, ``aggregation``, ``denominator``, ``scale``,
        ``kl_aggregation``, ``kl_denominator``, ``kl_scale``, ``skip_ratio_metrics``,
        ``ppo_kl_raw``, ``dro_beta``, ``kl_cov_coef``), plus ``top_entropy_quantile``,
        ``ratio_against`` ("old_logp" or "rollout_logp"), ``is_weights_per_row`` (None or
        "geometric_mean"),
        ``clip_cov_ratio``, ``clip_cov_bounds`` and ``generator`` (Clip-Cov's draw),
        ``is_gate``, ``is_gate_level`` and ``is_gate_bounds`` (divergence gating),
        ``kl_cov_ratio`` (the share KL-Cov penalises), or the
        preset framework's own names (TRL:
        ``loss_type``, ``epsilon``, ``epsilon_high``, ``delta``, ``beta``,
        ``importance_sampling_level``, ``use_bias_correction_kl``, ``max_completion_length``,
        ``gradient_accumulation_steps``, ``num_items_in_batch``, ``num_processes``, ...; verl:
        ``loss_mode``, ``clip_ratio_low``, ``clip_ratio_high``, ``clip_ratio_c``,
        ``loss_agg_mode``, ``dp_size``, ``batch_num_tokens``, ``global_batch_size``,
        ``loss_scale_factor``, ``use_kl_loss``, ``kl_loss_coef``, ``kl_loss_type``, ...;
        OpenRLHF 0.11: ``actor.policy_loss_type``, ``actor.eps_clip_low_high``,
        ``actor.dual_clip``, ``actor.loss_agg_mode``, ``algo.kl.use_loss``,
        ``algo.kl.init_coef``, ``algo.kl.estimator``,
        ``algo.advantage.is_correction_{level,mode,threshold}``, or the flat names of earlier
        releases: ``policy_loss_type``, ``token_level_loss``, ``use_kl_loss``, ``is_correction``, ...).

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
    for has_rollout in (False, True):
        _plan_for(preset, options, has_rollout)


def _policy_loss(logp, old_logp, advantages, mask, *, ref_logp, rollout_logp, is_weights, entropies,
                 truncated, preset, per_token, grad_out, num_threads, plain: bool,
                 **options: Any) -> PolicyLossOutput:
    """policy_loss; ``plain=True`` runs the core's token-by-token path (the fast path's oracle)."""
    plan = _plan_for(preset, options, rollout_logp is not None)
    opts = plan.neutral
    threads = resolve_threads(num_threads)
    for name, value in (("logp", logp), ("advantages", advantages)):
        if value is None:
            raise TypeError(f"{name}: expected an array of numbers, got None")
    logp_arr = np.asarray(logp)
    shape = logp_arr.shape
    # the core reads the mask as given; it is converted here only when Python needs it too
    mask_arr = mask
    if (truncated is not None or entropies is not None or opts["clip_cov_ratio"] is not None
            or opts["is_gate"] is not None or opts["surrogate"] == "kl_cov"):
        mask_arr = np.ones(shape, np.uint8) if mask is None else _core.mask(mask, shape, "mask", threads)
    if truncated is not None:
        trunc = np.asarray(truncated)
        if trunc.shape != shape[:1]:
            raise ValueError(f"truncated: expected shape {shape[:1]}, got {trunc.shape}")
        mask_arr = (mask_arr.astype(bool) & ~trunc.astype(bool)[:, None]).view(np.uint8)
    if opts["kl_coef"] != 0 and ref_logp is None:
        raise ValueError("ref_logp: required when the KL coefficient (beta / kl_coef) is not 0")
    if plan.needs_rollout and rollout_logp is None:
        raise ValueError("rollout_logp: required for importance-sampling correction (is_level / "
                         "vllm_importance_sampling_correction / is_correction)")
    given_old_logp = old_logp
    if opts["ratio_against"] == "rollout_logp":
        old_logp = rollout_logp
    policy_mask = None
    if opts["top_entropy_quantile"] < 1.0:
        if entropies is None:
            raise ValueError("entropies: required when top_entropy_quantile < 1")
        policy_mask = _entropy_mask(entropies, mask_arr, opts["top_entropy_quantile"])
    adv = np.asarray(advantages)
    if adv.shape == (shape[0], 1) and shape[1:] != (1,):   # TRL's advantages.unsqueeze(1)
        adv = adv[:, 0]
    if opts["clip_cov_ratio"] is not None:
        cov_mask = _clip_cov_mask(logp_arr, old_logp, adv, mask_arr, opts)
        policy_mask = _both(policy_mask, cov_mask)
    if opts["surrogate"] == "kl_cov":
        policy_mask = _both(policy_mask, _kl_cov_mask(logp_arr, adv, mask_arr, opts["kl_cov_ratio"]))
    if opts["is_gate"] is not None:
        gate = _gate_mask(old_logp, rollout_logp, logp_arr, mask_arr, opts)
        policy_mask = _both(policy_mask, gate)
    if opts["surrogate"] == "vespo" and adv.ndim != 1:
        raise ValueError("advantages: VESPO weighs whole sequences and needs (B,) advantages")
    if opts["is_weights_per_row"] == "geometric_mean" and is_weights is not None:
        is_weights = _geometric_row_means(is_weights, mask_arr, shape, threads)
    raw, grad, per_tok = _core.policy_loss(
        logp_arr, old_logp, ref_logp if opts["kl_coef"] != 0 else None, rollout_logp, adv, mask_arr,
        is_weights, policy_mask, grad_out, per_token, plan.packed, threads, plain)
    if plan.framework is None:
        metrics = raw
    else:
        call = LossCall(neutral=opts, given=options, logp=logp_arr, old_logp=old_logp,
                        given_old_logp=given_old_logp, advantages=adv, mask=mask_arr, entropies=entropies,
                        policy_mask=policy_mask, ref_logp=ref_logp, rollout_logp=rollout_logp)
        metrics = plan.framework.loss_metrics(raw, call)
    return PolicyLossOutput(raw["loss"], grad, per_tok, metrics)


def core_policy_loss(*, logp, old_logp, ref_logp, rollout_logp, advantages, mask, is_weights,
                     policy_mask, grad_out, per_token, num_threads, plain, **options):
    """_core.policy_loss by keyword, with neutral options packed as given (the tests' entry)."""
    return _core.policy_loss(logp, old_logp, ref_logp, rollout_logp, advantages, mask, is_weights,
                             policy_mask, grad_out, per_token, _core.loss_options(**options),
                             num_threads, plain)


# the resolved, validated options of a call
_plan_for = plan_cache(_plan)
