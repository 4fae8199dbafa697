"""grpo_c's openrlhf preset against OpenRLHF 0.11.2's own PolicyLoss, compute_approx_kl and
aggregate_loss, composed as its PPO actor composes them (trainer/ray/ppo_actor.py): loss,
dLoss/dlogp and the logged metrics, 1e-10 relative in float64; 1e-6 for ppo_clip_ratio (a mean
of .float()) and wherever the KL term enters (compute_approx_kl computes in float32)."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import loaders

loaders.require_pinned("openrlhf")
import torch  # noqa: E402

import frameworks  # noqa: E402
import grpo_c  # noqa: E402

loss_module, utils = loaders.openrlhf()


def openrlhf_actor_loss(options: dict, logp, old, ref, rollout, adv, mask, batch_info: dict):
    """ppo_actor.py's training_step under OpenRLHF 0.11's option names: PolicyLoss, then the KL
    loss aggregated per token."""
    lp = torch.tensor(logp, dtype=torch.float64, requires_grad=True)
    m = torch.tensor(mask)
    b, t = logp.shape
    low, high = options.get("actor.eps_clip_low_high", (0.2, 0.2))
    policy = loss_module.PolicyLoss(
        clip_eps_low=low, clip_eps_high=high, dual_clip=options.get("actor.dual_clip"),
        token_level_loss=options.get("actor.loss_agg_mode", "token-mean") == "token-mean",
        policy_loss_type=options.get("actor.policy_loss_type", "ppo"),
        is_correction_level=options.get("algo.advantage.is_correction_level", "off"),
        is_correction_mode=options.get("algo.advantage.is_correction_mode", "mask"),
        is_correction_gating=options.get("algo.advantage.is_correction_gating", "ratio"),
        is_correction_threshold=options.get("algo.advantage.is_correction_threshold", (0.5, 5.0)))
    a = torch.tensor(adv)[:, None].expand(b, t)
    pg, clip_ratio, ppo_kl, vllm_kl, is_filter_ratio = policy(lp, torch.tensor(old), a, action_mask=m,
                                                              rollout_log_probs=torch.tensor(rollout), **batch_info)
    metrics = {"policy_loss": float(pg.detach()), "ppo_clip_ratio": float(clip_ratio), "ppo_kl": float(ppo_kl)}
    if vllm_kl is not None:
        metrics.update(vllm_kl=float(vllm_kl), is_filter_ratio=float(is_filter_ratio))
    loss = pg
    if options.get("algo.kl.use_loss"):
        kl = utils.compute_approx_kl(lp, torch.tensor(ref), log_probs_old=torch.tensor(old),
                                     kl_estimator=options.get("algo.kl.estimator", "k1"),
                                     unbiased_gradient=options.get("algo.kl.unbiased_gradient", False))
        kl_loss = loss_module.aggregate_loss(kl, m, **batch_info)
        metrics["kl"] = float(kl_loss.detach())
        metrics["logprobs_diff"] = float(utils.masked_mean(lp.detach().float() - torch.tensor(ref).float(), m))
        loss = loss + kl_loss * options["algo.kl.init_coef"]
    loss.backward()
    return float(loss), lp.grad.numpy(), metrics


# OpenRLHF 0.11's names -> the flat names of earlier releases, which the preset also takes
# (OpenRLHF 0.11's unbiased_gradient and divergence gating have no flat names: they stay dotted)
FLAT = {"actor.policy_loss_type": "policy_loss_type", "actor.eps_clip_low_high": "eps_clip_low_high",
        "actor.dual_clip": "dual_clip", "algo.kl.use_loss": "use_kl_loss", "algo.kl.init_coef": "kl_coef",
        "algo.kl.estimator": "kl_estimator", "algo.advantage.is_correction_threshold": "is_thresholds"}
FLAT_IS = {("token", "clip"): "tis", ("token", "mask"): "icepop", ("seq", "mask"): "seq-mask-tis"}


def flat_names(options: dict) -> dict:
    flat = {FLAT.get(k, k): v for k, v in options.items()}
    if "actor.loss_agg_mode" in flat:
        flat["token_level_loss"] = flat.pop("actor.loss_agg_mode") == "token-mean"
    level = flat.pop("algo.advantage.is_correction_level", "off")
    mode = flat.pop("algo.advantage.is_correction_mode", "mask")
    if level != "off":
        flat["is_correction"] = FLAT_IS[(level, mode)]
    return flat


def close(a, b, rel=1e-10, abs_=1e-12):
    return np.allclose(a, b, rtol=rel, atol=abs_, equal_nan=True)


# metric -> (relative, absolute) tolerance; kl is float32: per-token values up to 10 (the clamp)
# round at ~1e-6, k1 cancels and k3 near 0 loses digits
METRICS = {"policy_loss": (1e-10, 1e-12), "ppo_clip_ratio": (1e-6, 1e-12), "ppo_kl": (1e-10, 1e-12),
           "kl": (1e-6, 2e-6), "logprobs_diff": (1e-6, 1e-6), "vllm_kl": (1e-10, 1e-12),
           "is_filter_ratio": (1e-6, 1e-12)}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 5), st.integers(1, 7), st.integers(0, 2**32 - 1),
       st.sampled_from([0.01, 0.3, 1.5, 25.0]), st.sampled_from(["ppo", "gspo"]), st.booleans(),
       st.booleans(), st.sampled_from(["k1", "k2", "k3"]), st.booleans(),
       st.sampled_from([("off", "mask"), ("token", "clip"), ("token", "mask"), ("seq", "mask")]),
       st.sampled_from(["ratio", "binary_kl", "tv"]), st.booleans(), st.data())
def test_actor_loss_matches_openrlhf(b, t, seed, spread, kind, token_level, use_kl, estimator,
                                     global_info, is_correction, gating, flat, data):
    rng = np.random.default_rng(seed)
    logp = -rng.exponential(1.0, (b, t))
    old = logp + spread * rng.standard_normal((b, t))
    ref = logp + spread * rng.standard_normal((b, t))
    rollout = old + 0.3 * rng.standard_normal((b, t))
    adv = rng.standard_normal(b)
    mask = rng.random((b, t)) < data.draw(st.sampled_from([0.5, 1.0]))
    mask[-1, 0] = True
    if b > 1 and data.draw(st.booleans()):
        mask[0] = False
    options = {"actor.policy_loss_type": kind,
               "actor.loss_agg_mode": "token-mean" if token_level else "seq-mean-token-mean",
               "actor.eps_clip_low_high": data.draw(st.sampled_from([(0.2, 0.2), (0.2, 0.28)]))}
    if data.draw(st.booleans()):
        options["actor.dual_clip"] = 3.0
    if use_kl:
        options.update({"algo.kl.use_loss": True, "algo.kl.init_coef": 0.05, "algo.kl.estimator": estimator})
        # with GSPO's IS correction grpo_c refuses it (README, "where we differ")
        if data.draw(st.booleans()) and not (kind == "gspo" and is_correction[0] != "off"):
            options["algo.kl.unbiased_gradient"] = True
    if is_correction[0] != "off":
        options.update({"algo.advantage.is_correction_level": is_correction[0],
                        "algo.advantage.is_correction_mode": is_correction[1],
                        "algo.advantage.is_correction_threshold": (0.8, 1.25)})
        if gating != "ratio" and is_correction[1] == "mask":
            # a divergence gate takes an upper bound only
            options.update({"algo.advantage.is_correction_gating": gating,
                            "algo.advantage.is_correction_threshold": (0.0, data.draw(st.sampled_from([0.01, 0.1])))})
    batch_info = {}
    if global_info:
        batch_info = {"dp_size": data.draw(st.sampled_from([1, 2])), "batch_num_tokens": float(mask.sum() * 2),
                      "global_batch_size": float(b * 2)}
    want_loss, want_grad, want_metrics = openrlhf_actor_loss(options, logp, old, ref, rollout, adv, mask,
                                                             batch_info)
    given = flat_names(options) if flat else options
    out = grpo_c.policy_loss(np.where(mask, logp, np.nan), old, adv, mask, ref_logp=ref, rollout_logp=rollout,
                             preset="openrlhf", **given, **batch_info)
    case = (given, batch_info)
    if is_correction[0] == "off" and "algo.kl.unbiased_gradient" not in options:
        flat_options = flat_names(options)
        restated, restated_metrics = frameworks.openrlhf_loss(
            torch.tensor(logp), torch.tensor(old), torch.tensor(adv), torch.tensor(mask),
            ref_log_probs=torch.tensor(ref), **flat_options, **batch_info)
        tolerance = dict(rel=1e-6, abs_=2e-7) if use_kl else dict(rel=1e-10)
        assert close(float(restated), want_loss, **tolerance), ("restatement", float(restated), want_loss, case)
        for name, value in restated_metrics.items():
            assert close(value, want_metrics[name], rel=METRICS[name][0], abs_=METRICS[name][1]), ("restatement", name)
    rel = 1e-6 if use_kl else 1e-10
    assert close(out.loss, want_loss, rel=rel, abs_=2e-7 if use_kl else 1e-12), ("loss", out.loss, want_loss, case)
    assert close(np.where(mask, out.grad, 0.0), want_grad, rel=rel, abs_=2e-7 if use_kl else 1e-12), ("grad", case)
    assert set(out.metrics) == set(want_metrics), (sorted(out.metrics), sorted(want_metrics), case)
    for name, (metric_rel, metric_abs) in METRICS.items():
        if name in want_metrics:
            assert close(out.metrics[name], want_metrics[name], rel=metric_rel, abs_=metric_abs), (name, out.metrics[name], want_metrics[name], case)
