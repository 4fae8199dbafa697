"""Sanity tests of the framework oracles in tests/frameworks.py.

Expected numbers are derived here by hand (plain Python / NumPy from the frameworks' formulas), never
printed by the oracle; gradients are checked by hand on tiny cases and by torch.autograd.gradcheck in
float64 away from the clip kinks.
"""

import math

import numpy as np
import pytest
import torch

import frameworks as fw

F64 = torch.float64


def t(x):
    return torch.tensor(x, dtype=F64)


def leaf(x):
    return torch.tensor(x, dtype=F64, requires_grad=True)


def grad_of(loss, x):
    (g,) = torch.autograd.grad(loss, x)
    return g.numpy()


def approx(x, rel=1e-12, abs=1e-12):
    return pytest.approx(np.asarray(x) if isinstance(x, list) else x, rel=rel, abs=abs)


# ------------------------------------------------------------------------------------------------
# TRL advantages
# ------------------------------------------------------------------------------------------------

def test_trl_group_zscore_by_hand():
    r = [1.0, 0.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0]
    got = fw.trl_advantages(t(r).unsqueeze(1), num_generations=4).numpy()
    g = np.array(r[:4])
    std = math.sqrt(((g - 0.75) ** 2).sum() / 3)  # 0.5
    assert std == approx(0.5)
    assert got[:4] == approx((g - 0.75) / (0.5 + 1e-4))
    assert np.all(got[4:] == 0.0)  # all-equal group: exactly 0


def test_trl_scale_rewards_batch_and_none_and_legacy_bools():
    r = np.array([1.0, 0.0, 3.0, 5.0])
    mean = np.array([0.5, 0.5, 4.0, 4.0])
    batch_std = np.std(r, ddof=1)
    got = fw.trl_advantages(t(r).unsqueeze(1), num_generations=2, scale_rewards="batch").numpy()
    assert got == approx((r - mean) / (batch_std + 1e-4))
    got = fw.trl_advantages(t(r).unsqueeze(1), num_generations=2, scale_rewards="none").numpy()
    assert got == approx(r - mean)
    assert torch.equal(fw.trl_advantages(t(r).unsqueeze(1), num_generations=2, scale_rewards=False),
                       fw.trl_advantages(t(r).unsqueeze(1), num_generations=2, scale_rewards="none"))
    assert torch.equal(fw.trl_advantages(t(r).unsqueeze(1), num_generations=2, scale_rewards=True),
                       fw.trl_advantages(t(r).unsqueeze(1), num_generations=2, scale_rewards="group"))
    with pytest.raises(ValueError):
        fw.trl_advantages(t(r).unsqueeze(1), num_generations=2, scale_rewards="rows")


def test_trl_nan_rewards_weights_and_unscorable_rows():
    nan = float("nan")
    # two functions, weights (1, 0.5); row 0 unscorable; row 1 has one valid function
    R = [[nan, nan], [1.0, nan], [2.0, 4.0], [0.0, 2.0]]
    got = fw.trl_advantages(t(R), reward_weights=t([1.0, 0.5]), num_generations=4).numpy()
    rewards = np.array([1.0, 2.0 + 2.0, 0.0 + 1.0])  # weighted nansum of rows 1..3
    mean = rewards.mean()
    std = np.std(rewards, ddof=1)
    assert got[0] == 0.0
    assert got[1:] == approx((rewards - mean) / (std + 1e-4))


def test_trl_group_with_single_valid_reward_gives_zero():
    nan = float("nan")
    got = fw.trl_advantages(t([[nan], [3.0], [nan], [nan]]), num_generations=4)
    assert torch.all(got == 0.0)


def test_trl_normalize_then_sum_by_hand():
    R = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 3.0]])
    G = 2
    z = np.zeros_like(R)
    for k in range(2):
        for g0 in range(0, 4, G):
            col = R[g0:g0 + G, k]
            z[g0:g0 + G, k] = (col - col.mean()) / (np.std(col, ddof=1) + 1e-4)
    w = np.array([1.0, 2.0])
    s = (z * w).sum(axis=1)
    want = (s - s.mean()) / (np.std(s, ddof=1) + 1e-4)
    got = fw.trl_advantages(t(R), reward_weights=t(w), num_generations=G,
                            multi_objective_aggregation="normalize_then_sum").numpy()
    assert got == approx(want, rel=1e-10)


def test_trl_single_generation_eval_gives_zero():
    got = fw.trl_advantages(t([[1.0], [2.0]]), num_generations=1)
    assert torch.all(got == 0.0)


# ------------------------------------------------------------------------------------------------
# verl advantages
# ------------------------------------------------------------------------------------------------

def _outcome(scores, T=3, lengths=None):
    """token_level_rewards with each score on the last valid token, and the response mask."""
    B = len(scores)
    lengths = lengths or [T] * B
    rew = torch.zeros(B, T, dtype=F64)
    mask = torch.zeros(B, T, dtype=F64)
    for i, (s, n) in enumerate(zip(scores, lengths)):
        mask[i, :n] = 1.0
        if n:
            rew[i, n - 1] = s
    return rew, mask


def test_verl_grpo_by_hand_any_order_and_singleton():
    scores = [1.0, 7.0, 0.0, 1.0, 5.0]
    index = np.array(["a", "b", "a", "a", "c"], dtype=object)
    rew, mask = _outcome(scores, lengths=[3, 2, 1, 3, 0])
    adv, ret = fw.verl_grpo(rew, mask, index)
    g = np.array([1.0, 0.0, 1.0])
    sd = np.std(g, ddof=1)
    want = np.array([(1 - 2 / 3) / (sd + 1e-6), 7.0 / (1 + 1e-6), (0 - 2 / 3) / (sd + 1e-6),
                     (1 - 2 / 3) / (sd + 1e-6), 5.0 / (1 + 1e-6)])
    assert adv[:, 0].numpy()[:4] == approx(want[:4])
    assert adv[4].abs().sum() == 0.0  # fully masked row: zeros (score placed nowhere)
    assert torch.equal(adv, ret)
    assert torch.equal(adv, adv * mask)
    adv_nostd, _ = fw.verl_grpo(rew, mask, index, norm_adv_by_std_in_grpo=False)
    assert adv_nostd[[0, 1, 2, 3], 0].numpy() == approx([1 / 3, 7.0, -2 / 3, 1 / 3])


def test_verl_grpo_vectorized_floor_differs_from_loop_on_tiny_variance():
    rew, mask = _outcome([0.0, 1e-4, 2.0, 2.0])
    index = np.array([0, 0, 1, 1])
    loop, _ = fw.verl_grpo(rew, mask, index)
    vec, _ = fw.verl_grpo_vectorized(rew, mask, index)
    sd = math.sqrt(((0.5e-4) ** 2 * 2) / 1)
    assert loop[0, 0].item() == approx(-0.5e-4 / (sd + 1e-6))
    assert vec[0, 0].item() == approx(-0.5e-4 / (1e-3 + 1e-6), rel=1e-9)  # sqrt(max(var, 1e-6)) = 1e-3
    assert torch.all(vec[2:] == 0.0) and torch.all(loop[2:] == 0.0)
    vec0, _ = fw.verl_grpo_vectorized(rew, mask, index, var_floor=0.0)
    assert vec0[0, 0].item() == approx(loop[0, 0].item(), rel=1e-9)
    rew, mask = _outcome([1.0, 0.0, 1.0, 4.0])
    index = np.array([3, 3, 3, 9])
    assert torch.allclose(fw.verl_grpo(rew, mask, index)[0], fw.verl_grpo_vectorized(rew, mask, index)[0],
                          rtol=1e-12, atol=0)


def test_verl_grpo_passk():
    rew, mask = _outcome([0.2, 0.9, 0.5, 1.0, 1.0])
    index = np.array([0, 0, 0, 1, 1])
    adv, _ = fw.verl_grpo_passk(rew, mask, index)
    sd = np.std([0.2, 0.9, 0.5], ddof=1)
    assert adv[:3, 0].numpy() == approx([0.0, 0.4 / (sd + 1e-6), 0.0])
    assert torch.all(adv[3:] == 0.0)  # tie: r_max - r_2nd = 0
    adv, _ = fw.verl_grpo_passk(rew, mask, index, norm_adv_by_std_in_grpo=False)
    assert adv[1, 0].item() == approx(0.4)
    with pytest.raises(ValueError):
        fw.verl_grpo_passk(rew, mask, np.array([0, 0, 0, 1, 2]))


def test_verl_rloo_and_vectorized_singleton_rule():
    rew, mask = _outcome([1.0, 2.0, 6.0, 4.0])
    index = np.array([0, 0, 0, 1])
    adv, _ = fw.verl_rloo(rew, mask, index)
    assert adv[:, 0].numpy() == approx([1 - 4, 2 - 3.5, 6 - 1.5, 4.0])  # singleton keeps its score
    vec, _ = fw.verl_rloo_vectorized(rew, mask, index)
    assert vec[:, 0].numpy() == approx([-3.0, -1.5, 4.5, 0.0])  # singleton -> 0


def test_verl_reinforce_plus_plus_baseline_token_whitening():
    scores = [1.0, 0.0, 3.0, 2.0]
    lengths = [2, 3, 1, 2]
    rew, mask = _outcome(scores, lengths=lengths)
    index = np.array([0, 0, 1, 2])
    centered = np.array([0.5, -0.5, 0.0, 0.0])  # group 1 and 2 are singletons: mean 0 -> raw score
    centered[2], centered[3] = 3.0, 2.0
    toks = np.concatenate([[c] * n for c, n in zip(centered, lengths)])
    mean = toks.mean()
    var = ((toks - mean) ** 2).sum() / (len(toks) - 1)
    adv, _ = fw.verl_reinforce_plus_plus_baseline(rew, mask, index)
    for i, (c, n) in enumerate(zip(centered, lengths)):
        # rel 1e-7: verl's masked_mean divides by (count + 1e-8), which the hand formula leaves out
        assert adv[i, :n].numpy() == approx(np.full(n, (c - mean) / math.sqrt(var + 1e-8)), rel=1e-7)
        assert torch.all(adv[i, n:] == 0.0)


def test_verl_opo_and_gpg():
    rew, mask = _outcome([1.0, 0.0, 2.0], lengths=[1, 3, 2])
    adv, _ = fw.verl_opo(rew, mask, np.array([0, 0, 1]))
    assert adv[0, 0].item() == approx(0.75) and adv[1, 0].item() == approx(-0.25)
    assert adv[2, 0].item() == approx(2.0)
    rew, mask = _outcome([1.0, 0.0, 1.0, 0.0])
    adv, _ = fw.verl_gpg(rew, mask, np.array([0, 0, 1, 1]))
    assert adv[:, 0].numpy() == approx([1.0, -1.0, 1.0, -1.0])  # alpha = 4/2, (s - 0.5)
    assert set(fw.VERL_ADVANTAGE_ESTIMATORS) == {"grpo", "grpo_vectorized", "grpo_passk", "rloo",
                                                 "rloo_vectorized", "reinforce_plus_plus_baseline", "opo", "gpg"}


# ------------------------------------------------------------------------------------------------
# OpenRLHF advantages
# ------------------------------------------------------------------------------------------------

def test_openrlhf_group_estimators_by_hand():
    r = np.array([1.0, 0.0, 1.0, 3.0, 3.0, 0.0])
    g = r.reshape(2, 3)
    mean = g.mean(1, keepdims=True)
    sd = g.std(1, ddof=1, keepdims=True)
    got = fw.openrlhf_advantages(t(r), 3, "group_norm").numpy()
    assert got == approx(((g - mean) / (sd + 1e-9)).ravel())
    got = fw.openrlhf_advantages(t(r), 3, "dr_grpo").numpy()
    assert got == approx((g - mean).ravel())
    got = fw.openrlhf_advantages(t(r), 3, "rloo").numpy()
    assert got == approx((g - (g.sum(1, keepdims=True) - g) / 2).ravel())
    with pytest.raises(ValueError):
        fw.openrlhf_advantages(t(r), 1, "group_norm")
    assert torch.all(fw.openrlhf_advantages(t([2.0, 2.0]), 2, "group_norm") == 0.0)


def test_openrlhf_reinforce_baseline_population_whitening_and_clip():
    r = t([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    x = np.array([1 / 3, -2 / 3, 1 / 3, 2 / 3, -1 / 3, -1 / 3])
    got = fw.openrlhf_advantages(r, 3, "reinforce_baseline").numpy()
    assert got == approx(x / math.sqrt((x ** 2).mean()))
    mask = t([[1, 1, 0], [1, 0, 0], [1, 1, 1], [1, 0, 0], [0, 0, 0], [1, 1, 0]])
    got = fw.openrlhf_advantages(r, 3, "reinforce_baseline", action_mask=mask).numpy()
    toks = np.concatenate([[v] * int(n) for v, n in zip(x, mask.sum(1).numpy())])
    mean, var = toks.mean(), toks.var()
    want = (x[:, None] - mean) / math.sqrt(var) * mask.numpy()
    assert got == approx(want, rel=1e-10)
    got = fw.openrlhf_advantages(r, 3, "reinforce_baseline", no_std_norm=True).numpy()
    assert got == approx(x)
    got = fw.openrlhf_advantages(t([100.0, 0.0]), 2, "dr_grpo").numpy()
    assert list(got) == [10.0, -10.0]
    got = fw.openrlhf_advantages(t([100.0, 0.0]), 2, "dr_grpo", reward_clip_range=None).numpy()
    assert list(got) == [50.0, -50.0]


# ------------------------------------------------------------------------------------------------
# KL estimators
# ------------------------------------------------------------------------------------------------

def test_kl_estimates_and_gradients_by_hand():
    l = leaf([0.0, 0.0])
    ref = t([-math.log(2.0), 30.0])  # d = log 2 ; d = -30
    k3 = fw.kl_estimate(l, ref, "k3", "trl")
    assert k3[0].item() == approx(0.5 + math.log(2) - 1)
    assert k3[1].item() == approx(math.exp(30) - 31, rel=1e-12)  # TRL: no clamp
    assert grad_of(k3[0], l) == approx([0.5, 0.0])  # 1 - exp(ref - l)
    v = fw.kl_estimate(l, ref, "low_var_kl", "verl")
    assert v[1].item() == 10.0  # verl clamps ref-l to 20 then the value to 10
    assert grad_of(v.sum(), l) == approx([0.5, 0.0])
    plus = fw.kl_estimate(l, ref, "k3+", "verl")
    assert plus.detach().numpy() == approx(v.detach().numpy())
    assert grad_of(plus.sum(), l) == approx([math.log(2), -30.0])  # gradient of 0.5 d^2 is d = l - ref
    assert fw.kl_estimate(l, ref, "k1", "verl").detach().numpy() == approx([math.log(2), -30.0])
    assert fw.kl_estimate(l, ref, "abs", "verl").detach().numpy() == approx([math.log(2), 30.0])
    assert fw.kl_estimate(l, ref, "mse", "verl").detach().numpy() == approx([0.5 * math.log(2) ** 2, 450.0])
    assert fw.kl_estimate(l, ref, "k1", "openrlhf").detach().numpy() == approx([math.log(2), -10.0])
    assert fw.kl_estimate(l, ref, "k2", "openrlhf").detach().numpy() == approx([0.5 * math.log(2) ** 2, 10.0])
    assert fw.kl_estimate(l, ref, "k3", "openrlhf").detach().numpy() == approx([0.5 - 1 + math.log(2), 10.0])
    with pytest.raises(ValueError):
        fw.kl_estimate(l, ref, "k1", "trl")


# ------------------------------------------------------------------------------------------------
# TRL loss
# ------------------------------------------------------------------------------------------------

def _logp_with_ratios(old, ratios):
    return leaf((np.asarray(old) + np.log(ratios)).tolist())


def test_trl_dapo_clip_by_hand_both_signs():
    old = np.array([[-1.0, -2.0]])
    mask = t([[1.0, 1.0]])
    l = _logp_with_ratios(old, [[1.5, 0.5]])
    loss, m = fw.trl_loss(l, t(old), None, t([1.0]), mask)
    assert loss.item() == approx((-1.2 - 0.5) / 2)
    assert grad_of(loss, l) == approx([[0.0, -0.5 / 2]])
    assert m["clip_ratio/high_mean"] == 0.5 and m["clip_ratio/low_mean"] == 0.0
    assert m["clip_ratio/region_mean"] == 0.5 and m["clip_ratio/high_max"] == 0.5
    loss, m = fw.trl_loss(l, t(old), None, t([-1.0]), mask)
    assert loss.item() == approx((1.5 + 0.8) / 2)
    assert grad_of(loss, l) == approx([[1.5 / 2, 0.0]])
    assert m["clip_ratio/low_mean"] == 0.5 and m["clip_ratio/low_min"] == 0.5


def test_trl_epsilon_high_delta_and_k3_term():
    old = np.array([[-1.0, -1.0, -1.0]])
    l = _logp_with_ratios(old, [[1.25, 5.0, 0.5]])
    ref = l.detach() - math.log(2.0)  # k3 = log2 - 0.5, dk3/dl = 0.5 on every token
    mask = t([[1.0, 1.0, 1.0]])
    loss, m = fw.trl_loss(l, t(old), ref, t([-1.0]), mask, epsilon=0.2, epsilon_high=0.28, delta=3.0, beta=0.04,
                         use_bias_correction_kl=False)
    # A=-1: t0 r=1.25 -> -min(-1.25, -1.25) = 1.25, grad r; t1 r=5 capped by delta at 3 -> 3, grad 0;
    # t2 r=0.5 < 0.8 -> clipped: 0.8, grad 0
    per_tok = np.array([1.25, 3.0, 0.8]) + 0.04 * (math.log(2) - 0.5)
    assert loss.item() == approx(per_tok.sum() / 3)
    assert grad_of(loss, l) == approx((np.array([[1.25, 0.0, 0.0]]) + 0.04 * 0.5) / 3)
    assert m["kl"] == approx(math.log(2) - 0.5)


def test_trl_aggregations_by_hand():
    # on-policy (old=None): r = 1, per-token loss = -A (+0), gradient -A on each token before aggregation
    l = leaf([[-1.0, -1.0, -1.0], [-2.0, -2.0, -2.0], [-3.0, -3.0, -3.0]])
    mask = t([[1, 1, 0], [1, 0, 0], [0, 0, 0]])
    a = t([1.0, 2.0, 5.0])
    A = np.array([1.0, 2.0, 5.0])[:, None]
    m = mask.numpy()
    cases = {
        "grpo": (np.mean([-1.0, -2.0, 0.0]) / 2, -A * m / np.array([[2.0], [1.0], [1.0]]) / 3 / 2),
        "bnpo": ((-1 * 2 - 2) / 3 / 2, -A * m / 3 / 2),
        "dr_grpo": ((-1 * 2 - 2) / (3 * 4) / 2, -A * m / 12 / 2),
        "dapo": ((-1 * 2 - 2) / (12 / 2), -A * m / 6),
        # luspo: the mean over rows (empty ones included) of each row's masked sum
        "luspo": ((-1 * 2 - 2 * 1 + 0) / 3 / 2, -A * m / 3 / 2),
    }
    for loss_type, (want_loss, want_grad) in cases.items():
        loss, _ = fw.trl_loss(l, None, None, a, mask, loss_type=loss_type, max_completion_length=4,
                              gradient_accumulation_steps=2, num_items_in_batch=t(12.0), num_processes=2)
        assert loss.item() == approx(want_loss), loss_type
        assert grad_of(loss, l) == approx(want_grad), loss_type
    loss, _ = fw.trl_loss(l, None, None, a, mask, loss_type="bnpo", gradient_accumulation_steps=2, mode="eval")
    assert loss.item() == approx(-4 / 3)


def test_trl_cispo_sapo_vespo_gradients_by_hand():
    old = np.array([[-1.0, -1.0]])
    l = _logp_with_ratios(old, [[1.5, 8.0]])
    mask = t([[1.0, 1.0]])
    loss, m = fw.trl_loss(l, t(old), None, t([2.0]), mask, loss_type="cispo", epsilon_high=5.0)
    lv = l.detach().numpy()
    assert loss.item() == approx((-1.5 * 2 * lv[0, 0] - 5.0 * 2 * lv[0, 1]) / 2)
    assert grad_of(loss, l) == approx([[-1.5 * 2 / 2, -5.0 * 2 / 2]])
    assert m["cispo_clip_ratio"] == 0.5

    # TRL's temperatures are float32 values (torch.where over Python floats)
    for adv, tau in ((2.0, 1.0), (-2.0, float(np.float32(1.05)))):
        loss, _ = fw.trl_loss(l, t(old), None, t([adv]), mask, loss_type="sapo")
        r = np.array([1.5, 8.0])
        s = 1 / (1 + np.exp(-tau * (r - 1)))
        assert loss.item() == approx(np.mean(-s * 4 / tau * adv))
        assert grad_of(loss, l) == approx((-adv * 4 * s * (1 - s) * r / 2)[None])

    old = np.array([[-1.0, -1.0, 0.0]])
    l = leaf([[-0.9, -1.2, 7.0]])
    mask = t([[1.0, 1.0, 0.0]])
    for adv, k, lam in ((1.0, 2.0, 3.0), (-1.0, 3.0, 2.0)):
        loss, m = fw.trl_loss(l, t(old), None, t([adv]), mask, loss_type="vespo")
        log_w = 0.1 - 0.2
        phi = math.exp(lam + k * log_w - lam * math.exp(log_w))
        assert m["vespo/phi_seq_mean"] == approx(phi)
        assert loss.item() == approx(-phi * adv * (-0.9 - 1.2) / 2)
        assert grad_of(loss, l) == approx([[-phi * adv / 2, -phi * adv / 2, 0.0]])


def test_trl_sequence_level_gspo_gradient_by_hand():
    old = np.array([[-1.0, -1.0, -1.0], [-1.0, -1.0, -1.0]])
    l = leaf([[-0.95, -1.05, -0.9], [-1.0, -0.2, -1.0]])
    mask = t([[1, 1, 1], [1, 1, 0]])
    adv = t([1.0, 1.0])
    loss, m = fw.trl_loss(l, t(old), None, adv, mask, loss_type="grpo", importance_sampling_level="sequence")
    s0 = math.exp((0.05 - 0.05 + 0.1) / 3)  # 1.034, inside [0.8, 1.2]
    s1 = math.exp((0.0 + 0.8) / 2)  # 1.49, clipped at 1.2 for A>0
    assert loss.item() == approx((-s0 + -1.2) / 2)
    assert grad_of(loss, l) == approx([[-s0 / 3 / 2] * 3, [0.0, 0.0, 0.0]])
    assert m["clip_ratio/high_mean"] == approx(0.5)  # (B,1) metric: mean over sequences


def test_trl_vllm_importance_sampling_modes():
    old = t([[-1.0, -1.0], [-1.0, -1.0]])
    sampling = t([[-1.5, -1.0], [-2.5, -1.0]])  # token ratios e^0.5, 1 and e^1.5, 1
    mask = t([[1.0, 1.0], [1.0, 1.0]])
    ratio = fw.trl_vllm_importance_sampling_ratio(old, sampling, mask, "sequence_mask", 3.0)
    assert ratio.numpy() == approx([[math.exp(0.5)], [0.0]])
    ratio = fw.trl_vllm_importance_sampling_ratio(old, sampling, mask, "sequence_truncate", 3.0)
    assert ratio.numpy() == approx([[math.exp(0.5)], [3.0]])
    ratio = fw.trl_vllm_importance_sampling_ratio(old, sampling, mask, "token_truncate", 3.0, 1.2)
    assert ratio.numpy() == approx([[math.exp(0.5), 1.2], [3.0, 1.2]])
    ratio = fw.trl_vllm_importance_sampling_ratio(old, sampling, mask, "token_mask", 3.0, 1.2)
    assert ratio.numpy() == approx([[math.exp(0.5), 0.0], [0.0, 0.0]])
    l = leaf([[-1.0, -1.0], [-1.0, -1.0]])
    ref = t([[-1.0, -1.0], [-1.0, -1.0]]) - math.log(2)
    loss, _ = fw.trl_loss(l, old, ref, t([1.0, 1.0]), mask, beta=0.1, sampling_per_token_logps=sampling,
                          vllm_importance_sampling_correction=True)
    # the KL term is added after the IS multiply, so it is not weighted
    k3 = math.log(2) - 0.5
    want = (2 * (-1.0 * math.exp(0.5)) + 2 * 0.0 + 4 * 0.1 * k3) / 4
    assert loss.item() == approx(want)


def test_trl_off_policy_mask_and_entropy_mask():
    old = t([[-1.0, -1.0], [-1.0, -1.0], [-1.0, -1.0]])
    l = leaf([[-1.0, -1.0], [-1.0, -1.0], [-1.0, -1.0]])
    sampling = t([[-0.5, -0.5], [-0.5, -0.5], [-1.0, -1.0]])
    mask = t([[1, 1], [1, 1], [1, 1]])
    adv = t([1.0, -1.0, -1.0])
    loss, _ = fw.trl_loss(l, old, None, adv, mask, sampling_per_token_logps=sampling,
                          off_policy_mask_threshold=0.3)
    # row 0 kept (A >= 0), row 1 dropped (A < 0 and mean KL 0.5 > 0.3), row 2 kept (KL 0)
    assert loss.item() == approx((-1 - 1 + 1 + 1) / 6)
    assert grad_of(loss, l) == approx([[-1 / 6, -1 / 6], [0.0, 0.0], [1 / 6, 1 / 6]])
    ent = t([[0.1, 0.9], [0.5, 0.3], [0.7, 0.2]])
    loss, _ = fw.trl_loss(l, old, None, t([1.0, 1.0, 1.0]), mask, entropies=ent, top_entropy_quantile=0.5)
    thr = np.quantile([0.1, 0.9, 0.5, 0.3, 0.7, 0.2], 0.5)  # 0.4 (linear)
    keep = (ent.numpy() >= thr).astype(np.float64)
    assert grad_of(loss, l) == approx(-keep / 6.0)


def test_trl_masked_positions_nan_propagates():
    l = leaf([[-1.0, float("nan")]])
    mask = t([[1.0, 0.0]])
    loss, _ = fw.trl_loss(l, t([[-1.0, -1.0]]), None, t([1.0]), mask)
    assert math.isnan(loss.item())  # TRL multiplies (loss * mask): 0 * NaN = NaN


def test_trl_fully_masked_rows_and_metrics():
    l = leaf([[-1.0, -1.0], [-1.0, -1.0]])
    old = t([[-1.5, -1.0], [-1.0, -1.0]])
    mask = t([[1.0, 1.0], [0.0, 0.0]])
    loss, m = fw.trl_loss(l, old, None, t([1.0, 1.0]), mask, loss_type="grpo")
    assert loss.item() == approx((-1.2 - 1.0) / 2 / 2)
    assert m["clip_ratio/high_max"] == 0.5  # the empty row's NaN per-sequence mean is skipped
    assert m["clip_ratio/low_min"] == 0.0


# ------------------------------------------------------------------------------------------------
# verl loss
# ------------------------------------------------------------------------------------------------

def test_verl_vanilla_dual_clip_and_metrics_by_hand():
    old = np.array([[-1.0, -1.0, -1.0, -1.0]])
    l = _logp_with_ratios(old, [[4.0, 1.1, 0.5, 1.5]])
    adv = t([[-1.0, -1.0, 1.0, 1.0]])
    mask = t([[1.0, 1.0, 1.0, 1.0]])
    loss, m = fw.verl_loss(l, t(old), adv, mask)
    # t0 A<0, r=4 > c=3: dual clip -> 3, grad 0; t1 inside: 1.1, grad -A r = 1.1;
    # t2 A>0 r=0.5: -0.5 grad -0.5; t3 A>0 r=1.5 clipped: -1.2, grad 0
    assert loss.item() == approx((3.0 + 1.1 - 0.5 - 1.2) / 4)
    assert grad_of(loss, l) == approx([[0.0, 1.1 / 4, -0.5 / 4, 0.0]])
    assert m["actor/pg_clipfrac"] == approx(1 / 4, rel=1e-7)  # only t3 has L2 > L1
    assert m["actor/pg_clipfrac_lower"] == approx(1 / 4, rel=1e-7)
    assert m["actor/ppo_kl"] == approx(-np.log([4.0, 1.1, 0.5, 1.5]).mean(), rel=1e-7)


def test_verl_log_ratio_clamp_zeroes_gradient():
    l = leaf([[5.0, -1.0]])
    old = t([[-20.0, -1.0]])  # l - o = 25 > 20
    mask = t([[1.0, 1.0]])
    loss, _ = fw.verl_loss(l, old, t([[-1.0, -1.0]]), mask, clip_ratio_c=1e12)
    assert grad_of(loss, l) == approx([[0.0, 0.5]])
    loss, _ = fw.verl_loss(l, old, t([[-1.0, -1.0]]), mask, loss_mode="sapo")
    assert grad_of(loss, l)[0, 0] == 0.0


def test_verl_aggregations_by_hand():
    x = t([[1.0, 2.0, 3.0], [4.0, 0.0, 0.0], [9.0, 9.0, 9.0]])
    mask = t([[1, 1, 1], [1, 0, 0], [0, 0, 0]])
    assert fw.verl_agg_loss(x, mask, "token-mean").item() == approx(10 / 4)
    assert fw.verl_agg_loss(x, mask, "token-mean", dp_size=2, batch_num_tokens=8).item() == approx(10 / 8 * 2)
    assert fw.verl_agg_loss(x, mask, "seq-mean-token-sum").item() == approx((6 + 4) / 2)
    assert fw.verl_agg_loss(x, mask, "seq-mean-token-sum", dp_size=2, global_batch_size=5).item() == approx(10 / 5 * 2)
    assert fw.verl_agg_loss(x, mask, "seq-mean-token-mean").item() == approx((6 / 3 + 4 / 1) / 2, rel=1e-7)
    # verl 0.9.1: the seq-mean-token-sum (over the 2 non-empty rows), then / T or the factor
    assert fw.verl_agg_loss(x, mask, "seq-mean-token-sum-norm").item() == approx(10 / 2 / 3)
    assert fw.verl_agg_loss(x, mask, "seq-mean-token-sum-norm", loss_scale_factor=5, dp_size=2,
                            global_batch_size=4).item() == approx(10 / 4 * 2 / 5)
    assert fw.verl_agg_loss(x, mask, "token-sum", dp_size=2).item() == approx(20.0)
    with pytest.raises(ValueError):
        fw.verl_agg_loss(x, mask, "token-mean", dp_size=2)


def test_verl_token_mean_is_nan_safe_but_seq_mean_is_not():
    l = leaf([[-1.0, float("nan")]])
    old = t([[-1.0, -1.0]])
    mask = t([[1.0, 0.0]])
    loss, _ = fw.verl_loss(l, old, t([[1.0, 1.0]]), mask)
    assert loss.item() == approx(-1.0)
    assert grad_of(loss, l)[0, 0] == approx(-1.0)
    loss, _ = fw.verl_loss(l, old, t([[1.0, 1.0]]), mask, loss_agg_mode="seq-mean-token-mean")
    assert math.isnan(loss.item())


def test_verl_gspo_sapo_cispo_gpg_geo_mean_by_hand():
    old = t([[-1.0, -1.0, -1.0], [-1.0, -1.0, -1.0]])
    l = leaf([[-0.95, -1.05, -0.9], [-1.0, -0.2, -1.0]])
    mask = t([[1, 1, 1], [1, 1, 0]])
    adv = t([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    loss, m = fw.verl_loss(l, old, adv, mask, loss_mode="gspo", loss_agg_mode="seq-mean-token-mean")
    s0 = math.exp(0.1 / 3)
    assert loss.item() == approx((-s0 - 1.2) / 2, rel=1e-7)
    assert grad_of(loss, l) == approx([[-s0 / 3 / 2] * 3, [0.0] * 3], rel=1e-7)
    assert m["actor/pg_clipfrac"] == approx(2 / 5, rel=1e-7) and m["actor/pg_clipfrac_lower"] == 0.0

    l2 = leaf([[-1.0 + math.log(1.5), -1.0 + math.log(0.5)]])
    old2, mask2 = t([[-1.0, -1.0]]), t([[1.0, 1.0]])
    loss, _ = fw.verl_loss(l2, old2, t([[2.0, 2.0]]), mask2, loss_mode="cispo")
    lv = l2.detach().numpy()[0]
    assert loss.item() == approx((-1.2 * 2 * lv[0] - 0.8 * 2 * lv[1]) / 2)
    assert grad_of(loss, l2) == approx([[-1.2, -0.8]])
    loss, _ = fw.verl_loss(l2, old2, t([[2.0, -1.0]]), mask2, loss_mode="gpg")
    assert grad_of(loss, l2) == approx([[-1.0, 0.5]])
    loss, _ = fw.verl_loss(l2, old2, t([[-1.0, -1.0]]), mask2, loss_mode="sapo")
    r = np.array([1.5, 0.5])
    s = 1 / (1 + np.exp(-1.05 * (r - 1)))
    assert loss.item() == approx(np.mean(s * 4 / 1.05), rel=1e-7)

    # geo_mean: A>0 clamps log-ratio at +0.2 (upper), keeps -0.693 (lower side is not clipped for A>0)
    loss, m = fw.verl_loss(l2, old2, t([[1.0, 1.0]]), mask2, loss_mode="geo_mean")
    x = min(math.log(1.5), 0.2) + math.log(0.5)
    ratio = math.exp(x / 2)
    assert loss.item() == approx(-ratio, rel=1e-7)
    assert grad_of(loss, l2) == approx([[0.0, -ratio / 2]], rel=1e-7)
    assert m["actor/pg_clipfrac"] == approx(1.0, rel=1e-7)  # both tokens outside [-0.2, 0.2]


def test_verl_kl_loss_total_and_rollout_weights():
    old = t([[-1.0, -1.0]])
    l = leaf([[-1.0, -1.0]])
    ref = t([[-1.0 - math.log(2), -1.0]])
    mask = t([[1.0, 1.0]])
    w = t([[0.5, 2.0]])
    loss, m = fw.verl_loss(l, old, t([[1.0, 1.0]]), mask, use_kl_loss=True, kl_loss_coef=0.1, ref_log_prob=ref,
                           rollout_is_weights=w)
    k3 = math.log(2) - 0.5
    assert m["actor/pg_loss"] == approx(-(0.5 + 2.0) / 2)
    assert m["kl_loss"] == approx(k3 / 2)
    assert loss.item() == approx(-(0.5 + 2.0) / 2 + 0.1 * k3 / 2)
    assert grad_of(loss, l) == approx([[-0.5 / 2 + 0.1 * 0.5 / 2, -2.0 / 2]])


# ------------------------------------------------------------------------------------------------
# OpenRLHF loss
# ------------------------------------------------------------------------------------------------

def test_openrlhf_ppo_dual_clip_is_correction_by_hand():
    old = np.array([[-1.0, -1.0, -1.0]])
    l = _logp_with_ratios(old, [[4.0, 1.1, 0.5]])
    adv = t([-1.0])
    mask = t([[1.0, 1.0, 1.0]])
    loss, m = fw.openrlhf_loss(l, t(old), adv, mask)
    assert loss.item() == approx((4.0 + 1.1 + 0.8) / 3)  # no dual clip by default
    assert grad_of(loss, l) == approx([[4.0 / 3, 1.1 / 3, 0.0]])
    assert m["ppo_clip_ratio"] == approx(1 / 3)
    loss, _ = fw.openrlhf_loss(l, t(old), adv, mask, dual_clip=3.0)
    assert loss.item() == approx((3.0 + 1.1 + 0.8) / 3)
    rollout = t(old) - t([[0.0, math.log(10.0), -math.log(4.0)]])  # rho = 1, 10, 0.25
    for mode, wts in (("tis", [1.0, 5.0, 0.5]), ("icepop", [1.0, 0.0, 0.0])):
        loss, _ = fw.openrlhf_loss(l, t(old), adv, mask, rollout_log_probs=rollout, is_correction=mode)
        assert loss.item() == approx(np.dot([4.0, 1.1, 0.8], wts) / 3), mode
    loss, _ = fw.openrlhf_loss(l, t(old), adv, mask, rollout_log_probs=rollout, is_correction="seq-mask-tis")
    seq_rho = math.exp((0 + math.log(10) - math.log(4)) / 3)  # 1.357 inside [0.5, 5]
    assert 0.5 <= seq_rho <= 5.0
    assert loss.item() == approx(np.dot([4.0, 1.1, 0.8], [1.0, 10.0, 0.25]) / 3)


def test_openrlhf_gspo_and_aggregation_by_hand():
    old = t([[-1.0, -1.0, -1.0], [-1.0, -1.0, -1.0]])
    l = leaf([[-0.95, -1.05, -0.9], [-1.0, -0.2, -1.0]])
    mask = t([[1, 1, 1], [1, 1, 0]])
    loss, _ = fw.openrlhf_loss(l, old, t([1.0, 1.0]), mask, policy_loss_type="gspo")
    s0 = math.exp(0.1 / 3)
    assert loss.item() == approx((-s0 - 1.2) / 2, rel=1e-7)
    assert grad_of(loss, l) == approx([[-s0 / 3 / 2] * 3, [0.0] * 3], rel=1e-7)
    x = t([[1.0, 2.0, 3.0], [4.0, 0.0, 0.0], [9.0, 9.0, 9.0]])
    m = t([[1, 1, 1], [1, 0, 0], [0, 0, 0]])
    assert fw.openrlhf_aggregate_loss(x, m).item() == approx(10 / 4)
    assert fw.openrlhf_aggregate_loss(x, m, batch_num_tokens=10, dp_size=4).item() == approx(4.0)
    assert fw.openrlhf_aggregate_loss(x, m, token_level_loss=False).item() == approx((2 + 4) / 2, rel=1e-7)
    assert fw.openrlhf_aggregate_loss(x, m, token_level_loss=False, global_batch_size=6,
                                      dp_size=2).item() == approx(6 / 6 * 2, rel=1e-7)
    l2 = leaf([[-1.0, -1.0]])
    loss, mt = fw.openrlhf_loss(l2, t([[-1.0, -1.0]]), t([0.0]), t([[1.0, 1.0]]), use_kl_loss=True, kl_coef=0.5,
                                kl_estimator="k2", ref_log_probs=t([[-2.0, -1.0]]))
    assert loss.item() == approx(0.5 * 0.25) and mt["kl"] == approx(0.25)
    assert grad_of(loss, l2) == approx([[0.5 * 1.0 / 2, 0.0]])


# ------------------------------------------------------------------------------------------------
# gradcheck away from kinks. CISPO and VESPO are left out on purpose: their weights are detached, so
# autograd's gradient is by design not the derivative of the loss value (checked by hand above).
# ------------------------------------------------------------------------------------------------

def _smooth_inputs(seed, B=3, T=4, spread=0.05):
    g = torch.Generator().manual_seed(seed)
    old = -1.0 - torch.rand(B, T, generator=g, dtype=F64)
    l = (old + spread * (2 * torch.rand(B, T, generator=g, dtype=F64) - 1)).requires_grad_()
    ref = old + 0.3 * torch.randn(B, T, generator=g, dtype=F64)
    mask = torch.ones(B, T, dtype=F64)
    mask[1, 2:] = 0.0
    adv = torch.tensor([0.7, -1.3, 0.4], dtype=F64)
    return l, old, ref, mask, adv


@pytest.mark.parametrize("loss_type", ["grpo", "bnpo", "dr_grpo", "dapo", "luspo", "sapo"])
@pytest.mark.parametrize("level", ["token", "sequence"])
def test_trl_gradcheck(loss_type, level):
    l, old, ref, mask, adv = _smooth_inputs(1)
    kw = dict(loss_type=loss_type, beta=0.04, importance_sampling_level=level, use_bias_correction_kl=True,
              gradient_accumulation_steps=2)
    assert torch.autograd.gradcheck(lambda x: fw.trl_loss(x, old, ref, adv, mask, **kw)[0], (l,))


@pytest.mark.parametrize("mode", ["vanilla", "gspo", "sapo", "gpg", "geo_mean"])
@pytest.mark.parametrize("agg", ["token-mean", "seq-mean-token-sum", "seq-mean-token-mean", "seq-mean-token-sum-norm"])
def test_verl_gradcheck(mode, agg):
    l, old, ref, mask, adv = _smooth_inputs(2, spread=0.01 if mode == "geo_mean" else 0.05)
    adv2 = adv.unsqueeze(1).expand(3, 4)
    kw = dict(loss_mode=mode, loss_agg_mode=agg, use_kl_loss=True, ref_log_prob=ref, kl_loss_type="low_var_kl")
    assert torch.autograd.gradcheck(lambda x: fw.verl_loss(x, old, adv2, mask, **kw)[0], (l,))


@pytest.mark.parametrize("ptype", ["ppo", "gspo"])
@pytest.mark.parametrize("token_level", [True, False])
def test_openrlhf_gradcheck(ptype, token_level):
    l, old, ref, mask, adv = _smooth_inputs(3)
    kw = dict(policy_loss_type=ptype, token_level_loss=token_level, use_kl_loss=True, kl_coef=0.1,
              kl_estimator="k3", ref_log_probs=ref, dual_clip=3.0)
    assert torch.autograd.gradcheck(lambda x: fw.openrlhf_loss(x, old, adv, mask, **kw)[0], (l,))


def test_clipped_tokens_have_exactly_zero_gradient_in_all_three():
    old = t([[-1.0, -1.0]])
    l = _logp_with_ratios(old.numpy(), [[2.0, 0.3]])
    mask = t([[1.0, 1.0]])
    for fn, args in ((fw.trl_loss, (l, old, None, t([1.0]), mask)),
                     (fw.verl_loss, (l, old, t([[1.0, 1.0]]), mask)),
                     (fw.openrlhf_loss, (l, old, t([1.0]), mask))):
        loss, _ = fn(*args)
        g = grad_of(loss, l)
        assert g[0, 0] == 0.0 and g[0, 1] == approx(-0.3 / 2)


# ------------------------------------------------------------------------------------------------
# Cross-framework agreement where the three formulas coincide (three independent restatements)
# ------------------------------------------------------------------------------------------------

def _random_batch(seed, B=5, T=7):
    g = torch.Generator().manual_seed(seed)
    old = -2.0 * torch.rand(B, T, generator=g, dtype=F64)
    l = (old + 0.3 * torch.randn(B, T, generator=g, dtype=F64)).requires_grad_()
    ref = old + 0.3 * torch.randn(B, T, generator=g, dtype=F64)
    lengths = torch.randint(1, T + 1, (B,), generator=g)
    mask = (torch.arange(T)[None, :] < lengths[:, None]).to(F64)
    adv = torch.randn(B, generator=g, dtype=F64)
    return l, old, ref, mask, adv


@pytest.mark.parametrize("seed", range(5))
def test_token_mean_ppo_agrees_across_frameworks(seed):
    # |l - o| stays far below 20 and r below 3, so verl's clamp and dual clip never bind
    l, old, ref, mask, adv = _random_batch(seed)
    assert float((l - old).detach().exp().max()) < 3.0
    trl, _ = fw.trl_loss(l, old, ref, adv, mask, loss_type="dapo", beta=0.04, use_bias_correction_kl=False)
    verl, _ = fw.verl_loss(l, old, adv, mask, use_kl_loss=True, kl_loss_coef=0.04, kl_loss_type="k3",
                           ref_log_prob=ref)
    orl, _ = fw.openrlhf_loss(l, old, adv, mask, use_kl_loss=True, kl_coef=0.04, kl_estimator="k3",
                              ref_log_probs=ref)
    g = [grad_of(x, l) for x in (trl, verl, orl)]
    assert verl.item() == approx(trl.item(), rel=1e-9) and orl.item() == approx(trl.item(), rel=1e-12)
    assert g[1] == approx(g[0], rel=1e-9, abs=1e-12) and g[2] == approx(g[0], rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("seed", range(5))
def test_gspo_agrees_across_frameworks(seed):
    l, old, ref, mask, adv = _random_batch(seed)
    trl, _ = fw.trl_loss(l, old, None, adv, mask, loss_type="grpo", importance_sampling_level="sequence")
    verl, _ = fw.verl_loss(l, old, adv, mask, loss_mode="gspo", loss_agg_mode="seq-mean-token-mean")
    orl, _ = fw.openrlhf_loss(l, old, adv, mask, policy_loss_type="gspo")
    g = [grad_of(x, l) for x in (trl, verl, orl)]
    assert verl.item() == approx(trl.item(), rel=1e-7) and orl.item() == approx(trl.item(), rel=1e-7)
    assert g[1] == approx(g[0], rel=1e-7, abs=1e-12) and g[2] == approx(g[0], rel=1e-7, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_verl_loop_and_vectorized_estimators_agree_without_singletons(seed):
    rng = np.random.default_rng(seed)
    index = rng.permutation(np.repeat(np.arange(6), 4))
    rew, mask = _outcome(list(rng.integers(0, 3, size=24).astype(float) + rng.random(24)))
    a, _ = fw.verl_grpo(rew, mask, index)
    b, _ = fw.verl_grpo_vectorized(rew, mask, index)
    assert b.numpy() == approx(a.numpy(), rel=1e-10, abs=1e-12)
    a, _ = fw.verl_rloo(rew, mask, index)
    b, _ = fw.verl_rloo_vectorized(rew, mask, index)
    assert b.numpy() == approx(a.numpy(), rel=1e-10, abs=1e-12)


def test_fully_masked_rows_per_framework():
    # TRL grpo counts every row in B; verl and OpenRLHF seq-mean drop empty rows from the denominator
    l = leaf([[-1.0, -1.0], [-1.0, -1.0]])
    mask = t([[1.0, 1.0], [0.0, 0.0]])
    trl, _ = fw.trl_loss(l, None, None, t([1.0, 1.0]), mask, loss_type="grpo")
    verl, _ = fw.verl_loss(l, None, t([1.0, 1.0]), mask, loss_agg_mode="seq-mean-token-mean")
    orl, _ = fw.openrlhf_loss(l, None, t([1.0, 1.0]), mask, token_level_loss=False)
    assert trl.item() == approx(-0.5)
    assert verl.item() == approx(-1.0, rel=1e-7) and orl.item() == approx(-1.0, rel=1e-7)
    trl, _ = fw.trl_loss(l, None, None, t([1.0, 1.0]), t([[0.0, 0.0], [0.0, 0.0]]), num_items_in_batch=t(0.0))
    assert trl.item() == 0.0  # N_gen clamped to 1


def test_openrlhf_masked_nan_propagates():
    l = leaf([[-1.0, float("inf")]])
    loss, _ = fw.openrlhf_loss(l, t([[-1.0, -1.0]]), t([1.0]), t([[1.0, 0.0]]))
    assert loss.item() == approx(-1.0)  # the +-20 log-ratio clamp makes an inf log-prob finite
    l = leaf([[-1.0, float("nan")]])
    loss, _ = fw.openrlhf_loss(l, t([[-1.0, -1.0]]), t([1.0]), t([[1.0, 0.0]]))
    assert math.isnan(loss.item())  # loss * mask: 0 * NaN = NaN


def test_verl_legacy_gradient_accumulation_divides_the_total():
    l = leaf([[-1.0, -1.0]])
    ref = t([[-1.0 - math.log(2), -1.0]])
    kw = dict(use_kl_loss=True, kl_loss_coef=0.1, ref_log_prob=ref)
    one, m1 = fw.verl_loss(l, None, t([[1.0, 1.0]]), t([[1.0, 1.0]]), **kw)
    four, m4 = fw.verl_loss(l, None, t([[1.0, 1.0]]), t([[1.0, 1.0]]), gradient_accumulation_steps=4, **kw)
    assert four.item() == approx(one.item() / 4) and m4 == m1
