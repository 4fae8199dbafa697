"""verl: its actor and algorithm config options for the advantages and the loss, its logged
metric names, and reward functions with verl's ``custom_reward_function`` signature:
``compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs) -> float``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from grpo_c._options import choice, positive, positive_int, take
from grpo_c.frameworks import LossCall
from grpo_c.rewards import text as _text_rewards
from grpo_c.rewards.math import accuracy as _accuracy

INF = math.inf
GROUP_SIZE_OPTION = None
RELEASE = "0.9.1"
# verl 0.7-0.8: GSPO aggregates by seq-mean-token-mean whatever loss_agg_mode says; no
# loss_agg_mode "token-sum" and no "dro" loss
RELEASES = {RELEASE: ((0, 9), (0, 9)), "0.8": ((0, 7), (0, 8))}

__all__ = ["compute_format_score", "compute_score"]

# ------------------------------------------------------------------------- advantages

_ESTIMATORS = {
    "grpo": ("grpo", "plus_eps", "raw"),
    "grpo_vectorized": ("grpo", "floor_plus_eps", "raw"),
    "grpo_passk": ("passk", "plus_eps", "error"),
    "rloo": ("rloo", "plus_eps", "raw"),
    "rloo_vectorized": ("rloo", "plus_eps", "zero"),
    "opo": ("opo", "plus_eps", "raw"),
    "gpg": ("gpg", "plus_eps", "raw"),
    "reinforce_plus_plus_baseline": ("reinforce_baseline", "plus_eps", "raw"),
}


def advantage_options(framework: dict, neutral: dict) -> dict:
    name = take(framework, "adv_estimator", "grpo", neutral, "estimator", "std_mode", "singleton")
    choice("adv_estimator", name, tuple(_ESTIMATORS))
    estimator, std_mode, singleton = _ESTIMATORS[name]
    norm = take(framework, "norm_adv_by_std_in_grpo", True, neutral, "scale")
    eps = take(framework, "epsilon", 1e-6, neutral, "eps")
    return {"estimator": estimator, "std_mode": std_mode, "singleton": singleton, "eps": eps,
            "scale": "group" if norm else "none", "whiten_ddof": 1, "whiten_eps": 1e-8,
            "whiten_eps_mode": "add"}

# ------------------------------------------------------------------------- policy loss


LOSS_MODES = ("vanilla", "gspo", "sapo", "gpg", "cispo", "geo_mean", "dppo_tv", "dppo_kl", "dro", "clip_cov",
              "kl_cov")
AGG_MODES = ("token-mean", "token-sum", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm")
# what verl 0.7-0.8 lack of those
_NOT_BEFORE_0_9 = ("dro", "token-sum")
# what each loss mode logs besides actor/pg_loss (the rest log all three)
_LOGGED = {"gpg": (), "dro": ("actor/ppo_kl",), "kl_cov": ("actor/ppo_kl",),
           "clip_cov": ("actor/pg_clipfrac", "actor/ppo_kl")}


def loss_options(fw: dict, nt: dict, has_rollout: bool, release: str = RELEASE) -> dict:
    current = release == RELEASE
    mode = take(fw, "loss_mode", "vanilla", nt, "surrogate", "ratio_level")
    choice("loss_mode", mode, tuple(m for m in LOSS_MODES if current or m not in _NOT_BEFORE_0_9))
    # ActorConfig gives clip_ratio_low/high their own 0.2 defaults: clip_ratio alone moves neither
    take(fw, "clip_ratio", 0.2, nt, "clip_low", "clip_high")
    low = take(fw, "clip_ratio_low", 0.2, nt, "clip_low")
    high = take(fw, "clip_ratio_high", 0.2, nt, "clip_high")
    c = take(fw, "clip_ratio_c", 3.0, nt, "dual_clip")
    agg = take(fw, "loss_agg_mode", "token-mean", nt, "aggregation")
    choice("loss_agg_mode", agg, tuple(a for a in AGG_MODES if current or a not in _NOT_BEFORE_0_9))
    dp = positive_int("dp_size", take(fw, "dp_size", 1, nt, "scale"))
    # verl <= 0.8's dp_actor divided each micro-batch's loss by the accumulation steps; 0.9's
    # ppo_loss normalises by the global batch instead (steps = 1 is 0.9's behaviour)
    ga = positive_int("gradient_accumulation_steps", take(fw, "gradient_accumulation_steps", 1, nt, "scale"))
    tokens = take(fw, "batch_num_tokens", None, nt, "denominator")
    rows = take(fw, "global_batch_size", None, nt, "denominator")
    factor = take(fw, "loss_scale_factor", None, nt, "denominator")
    out: dict[str, Any] = {"clip_low": low, "clip_high": high, "log_ratio_clamp": 20.0,
                           "sapo_tau": (take(fw, "tau_pos", 1.0, nt, "sapo_tau"),
                                        take(fw, "tau_neg", 1.05, nt, "sapo_tau"))}

    def aggregation(name: str) -> dict:
        """verl's agg_loss: global token / row counts as the denominators, times dp_size."""
        scale = dp / ga
        if name == "token-mean":
            return {"aggregation": "token_mean", "denominator": tokens, "scale": scale}
        if name == "token-sum":
            return {"aggregation": "token_sum_norm", "denominator": 1.0, "scale": scale}
        if name == "seq-mean-token-sum":
            return {"aggregation": "seq_mean_token_sum", "denominator": rows, "scale": scale}
        if name == "seq-mean-token-mean":
            return {"aggregation": "seq_mean_token_mean", "denominator": rows, "scale": scale}
        # seq-mean-token-sum-norm: the seq-mean-token-sum, then / loss_scale_factor (default T)
        if factor is None:
            return {"aggregation": "seq_mean_token_sum_norm", "denominator": rows, "scale": scale}
        return {"aggregation": "seq_mean_token_sum", "denominator": rows,
                "scale": scale / positive("loss_scale_factor", factor)}

    out.update(aggregation(agg))
    # PolicyLossConfig's options of single loss modes, accepted whatever the mode
    dro_beta = take(fw, "dro_beta", None, nt, "dro_beta")
    cov_ratio = take(fw, "clip_cov_ratio", 0.0002, nt, "clip_cov_ratio")
    cov_bounds = (take(fw, "clip_cov_lb", 1.0, nt, "clip_cov_bounds"),
                  take(fw, "clip_cov_ub", 5.0, nt, "clip_cov_bounds"))
    kl_cov = {"kl_cov_ratio": take(fw, "kl_cov_ratio", 0.0002, nt, "kl_cov_ratio"),
              "kl_cov_coef": take(fw, "ppo_kl_coef", 0.1, nt, "kl_cov_coef")}
    if mode == "vanilla":
        out.update(surrogate="ppo", dual_clip=c)
    elif mode == "gspo":
        # the clamp bounds the sequence ratio; ppo_kl is the raw token log-ratio's mean
        out.update(surrogate="ppo", ratio_level="sequence_token", log_ratio_clamp=(-INF, 10.0), ppo_kl_raw=True)
        if not current:
            out.update(aggregation("seq-mean-token-mean"))
    elif mode == "sapo":
        out.update(surrogate="sapo")
        out.update(aggregation("seq-mean-token-mean"))   # SAPO's policy term ignores loss_agg_mode
    elif mode == "gpg":
        out.update(surrogate="reinforce")
    elif mode == "cispo":
        out.update(surrogate="cispo", cispo_bounds=(1.0 - low, 1.0 + high))
    elif mode in ("dppo_tv", "dppo_kl"):
        # clip_ratio_low/high bound the probability's divergence; clip_ratio_c truncates the ratio
        out.update(surrogate=mode, cispo_bounds=(-INF, c))
    elif mode == "dro":
        out.update(surrogate="dro", dro_beta=dro_beta, ppo_kl_raw=True)
    elif mode == "kl_cov":
        out.update(surrogate="kl_cov", log_ratio_clamp=None, **kl_cov)
    elif mode == "clip_cov":
        out.update(surrogate="ppo", log_ratio_clamp=None, ppo_kl_raw=True, clip_cov_ratio=cov_ratio,
                   clip_cov_bounds=cov_bounds)
    else:
        # GMPO: a plain mean over the rows, (B, T) rollout weights as each row's geometric mean
        out.update(surrogate="gmpo", log_ratio_clamp=None, aggregation="seq_mean_token_mean_all_rows",
                   denominator=None, scale=1.0 / ga, is_weights_per_row="geometric_mean")
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

def loss_metrics(raw: dict, call: LossCall) -> dict:
    """verl's logged names; it logs the loss terms before dividing by the gradient-accumulation
    steps, so that division is undone here."""
    steps = float(call.given.get("gradient_accumulation_steps", 1))
    logged = {"actor/pg_clipfrac": raw["clipfrac"], "actor/ppo_kl": raw["ppo_kl"],
              "actor/pg_clipfrac_lower": raw["clipfrac_lower"]}
    mode = call.given.get("loss_mode", "vanilla")
    if mode == "clip_cov":   # the share of tokens Clip-Cov took out
        m = call.token_mask()
        logged["actor/pg_clipfrac"] = float((m & ~call.policy_mask.astype(bool)).sum() / max(m.sum(), 1))
    if mode == "kl_cov":   # KL-Cov logs the mean absolute log-ratio
        m = call.token_mask()
        old = call.logp if call.old_logp is None else call.old_logp
        diff = np.where(m, np.asarray(call.logp, np.float64) - np.asarray(old, np.float64), 0.0)
        logged["actor/ppo_kl"] = float(np.abs(diff).sum() / max(m.sum(), 1))
    names = _LOGGED.get(mode, tuple(logged))
    out = {"actor/pg_loss": raw["policy_loss"] * steps, **{name: logged[name] for name in names}}
    if call.neutral["kl_coef"] != 0:
        out.update({"kl_loss": raw["kl_loss"] * steps, "kl_coef": call.neutral["kl_coef"]})
    return out

# ------------------------------------------------------------------------- rewards


def compute_format_score(data_source: Any, solution_str: Any, ground_truth: Any = None,
                         extra_info: Any = None, mode: str = "strict", prefilled: bool = False,
                         **kwargs: Any) -> Any:
    """Format score of one response (a float) or of a batch (lists in, list out, as verl's
    batched reward manager calls it); the mode is one of :func:`grpo_c.rewards.format`'s.
    A response that is neither str nor bytes scores 0.0 (verl expects a number).

    Examples
    --------
    >>> from grpo_c.integrations.verl import compute_format_score
    >>> compute_format_score("gsm8k", "<think>add</think><answer>4</answer>")
    1.0
    """
    batched = isinstance(solution_str, (list, tuple))
    items = list(solution_str) if batched else [solution_str]
    texts = [s if isinstance(s, (str, bytes)) else None for s in items]
    scores = _text_rewards.format(texts, mode=mode, prefilled=prefilled)
    values = [0.0 if v != v else float(v) for v in scores.tolist()]
    return values if batched else values[0]


def compute_score(data_source: Any, solution_str: Any, ground_truth: Any, extra_info: Any = None,
                  **kwargs) -> Any:
    """verl custom reward: 1.0 if the response's final answer equals ``ground_truth``, else 0.0.

    ``data_source`` is accepted for signature compatibility (the same grader serves GSM8K
    ``#### n`` golds, MATH-style LaTeX golds and AIME integers). A gold that cannot be parsed
    scores 0.0, since verl needs a number. With lists (verl's batch reward manager) it returns a
    list, scored on all cores.

    Examples
    --------
    >>> compute_score("openai/gsm8k", "... so she pays #### $1,000", "1000")
    1.0
    """
    if isinstance(solution_str, (list, tuple)):
        golds = [str(g) for g in ground_truth]
        scores = _accuracy(list(solution_str), golds).tolist()
        return [0.0 if math.isnan(s) else float(s) for s in scores]
    score = float(_accuracy([solution_str], [str(ground_truth)])[0])
    return 0.0 if math.isnan(score) else score
