"""group_advantages / group_stats against torch restatements of TRL, verl and OpenRLHF."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

import frameworks as fw
import grpo_c

# ATOL: a group whose rewards are all equal has a mean a rounding residue away from its value in
# TRL/verl, amplified by 1 / (std + eps) to ~1e-9; values are O(1), so 1e-7 absolute stays strict.
RTOL, ATOL = 1e-6, 1e-7


@st.composite
def grouped_rewards(draw, nan=False, min_size=2):
    groups = draw(st.integers(1, 6))
    size = draw(st.integers(min_size, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    kind = draw(st.sampled_from(["binary", "normal", "equal", "mixed"]))
    r = {"binary": lambda: rng.integers(0, 2, groups * size).astype(float),
         "normal": lambda: rng.normal(size=groups * size),
         "equal": lambda: np.full(groups * size, 0.7),
         "mixed": lambda: np.where(rng.random(groups * size) < 0.5, 1.0, rng.normal(size=groups * size))}[kind]()
    if nan:
        r[rng.random(r.shape) < 0.25] = np.nan
    return r, size


@settings(max_examples=200, deadline=None)
@given(data=grouped_rewards(nan=True, min_size=1), scale=st.sampled_from(["group", "batch", "none", True, False]))
def test_trl_sum_then_normalize(data, scale):
    r, size = data
    ours = grpo_c.group_advantages(r, preset="trl", num_generations=size, scale_rewards=scale)
    ref = fw.trl_advantages(torch.tensor(r)[:, None], num_generations=size, scale_rewards=scale).numpy()
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=ATOL)


@settings(max_examples=150, deadline=None)
@given(data=grouped_rewards(min_size=1), k=st.integers(1, 3), seed=st.integers(0, 1000),
       agg=st.sampled_from(["sum_then_normalize", "normalize_then_sum"]))
def test_trl_multi_reward(data, k, seed, agg):
    r, size = data
    rng = np.random.default_rng(seed)
    rewards = np.stack([r] + [rng.normal(size=r.shape) for _ in range(k - 1)], axis=1)
    rewards[rng.random(rewards.shape) < 0.2] = np.nan
    weights = rng.random(k) + 0.5
    ours = grpo_c.group_advantages(rewards, preset="trl", num_generations=size, reward_weights=weights,
                                   multi_objective_aggregation=agg)
    ref = fw.trl_advantages(torch.tensor(rewards), reward_weights=torch.tensor(weights), num_generations=size,
                            multi_objective_aggregation=agg).numpy()
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=ATOL)


def _verl_inputs(r, size, seed):
    rng = np.random.default_rng(seed)
    n = r.shape[0]
    t = 5
    mask = rng.random((n, t)) < 0.7
    mask[:, 0] = True
    token_rewards = np.zeros((n, t))
    last = mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1)
    token_rewards[np.arange(n), last] = r
    perm = rng.permutation(n)
    index = np.array([f"uid{i // size}" for i in range(n)], dtype=object)[perm]
    return token_rewards[perm], mask[perm], index, r[perm]


def mask_tokens_le_one(r, seed):
    return _verl_inputs(r, 1, seed)[1].sum() <= 1


@pytest.mark.parametrize("name", ["grpo", "grpo_vectorized", "grpo_passk", "rloo", "rloo_vectorized",
                                  "opo", "gpg", "reinforce_plus_plus_baseline"])
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=grouped_rewards(min_size=1), seed=st.integers(0, 1000), norm=st.booleans())
def test_verl_estimators(name, data, seed, norm):
    r, size = data
    if name == "grpo_passk" and size < 2:
        return
    if name == "reinforce_plus_plus_baseline" and mask_tokens_le_one(r, seed):
        return  # verl's masked_whiten raises on fewer than 2 tokens
    tok, mask, index, scores = _verl_inputs(r, size, seed)
    kw = {"norm_adv_by_std_in_grpo": norm} if name in ("grpo", "grpo_vectorized", "grpo_passk") else {}
    ref, _ = fw.VERL_ADVANTAGE_ESTIMATORS[name](torch.tensor(tok), torch.tensor(mask, dtype=torch.float64),
                                                index, **kw)
    ours = grpo_c.group_advantages(scores, group_ids=index, preset="verl", adv_estimator=name, mask=mask, **kw)
    if ours.ndim == 1:
        ours = ours[:, None] * mask
    np.testing.assert_allclose(ours, ref.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", ["group_norm", "dr_grpo", "rloo", "reinforce_baseline"])
@settings(max_examples=80, deadline=None)
@given(data=grouped_rewards(min_size=2), seed=st.integers(0, 1000), no_std=st.booleans())
def test_openrlhf_estimators(name, data, seed, no_std):
    r, size = data
    r = r * 20  # reach OpenRLHF's reward clip range
    mask = np.random.default_rng(seed).random((r.shape[0], 4)) < 0.8
    mask[:, 0] = True
    kw = {"no_std_norm": no_std} if name == "reinforce_baseline" else {}
    ref = fw.openrlhf_advantages(torch.tensor(r), size, name, action_mask=torch.tensor(mask, dtype=torch.float64),
                                 **kw).numpy()
    ours = grpo_c.group_advantages(r, preset="openrlhf", n_samples_per_prompt=size, advantage_estimator=name,
                                   mask=mask, **kw)
    if ours.ndim == 1:
        ours = ours[:, None] * mask
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=ATOL)


@settings(max_examples=100, deadline=None)
@given(data=grouped_rewards(nan=True), cut=st.integers(0, 100))
def test_group_stats_merge_equals_whole_batch(data, cut):
    r, size = data
    ids = np.repeat(np.arange(r.shape[0] // size), size)
    k = cut % (r.shape[0] + 1)
    groups = r.shape[0] // size
    a = grpo_c.group_stats(r[:k], group_ids=ids[:k], num_groups=groups)
    b = grpo_c.group_stats(r[k:], group_ids=ids[k:], num_groups=groups)
    whole = grpo_c.group_stats(r, group_size=size)
    merged = a.merge(b)
    np.testing.assert_array_equal(merged.count, whole.count)
    np.testing.assert_allclose(merged.sum, whole.sum, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(merged.m2, whole.m2, rtol=1e-9, atol=1e-12)
    # advantages from merged shard statistics equal the whole-batch ones
    full = grpo_c.group_advantages(r, group_size=size)
    sharded = np.concatenate([
        grpo_c.group_advantages(r[:k], group_ids=ids[:k], num_groups=groups, stats=merged) if k else np.zeros(0),
        grpo_c.group_advantages(r[k:], group_ids=ids[k:], num_groups=groups, stats=merged) if k < len(r) else np.zeros(0)])
    # an all-equal group's mean is sum / count, a rounding residue away from its value (TRL and
    # verl compute it the same way), so advantages agree to rounding rather than bitwise
    np.testing.assert_allclose(sharded, full, rtol=1e-9, atol=1e-9)


@settings(max_examples=50, deadline=None)
@given(data=grouped_rewards(nan=True), seed=st.integers(0, 1000))
def test_group_ids_any_order_equals_contiguous(data, seed):
    r, size = data
    perm = np.random.default_rng(seed).permutation(r.shape[0])
    ids = np.repeat(np.arange(r.shape[0] // size), size)
    contiguous = grpo_c.group_advantages(r, group_size=size)
    shuffled = grpo_c.group_advantages(r[perm], group_ids=ids[perm])
    # equal up to rounding: the contiguous path centres all-equal groups exactly on their value,
    # the indexed one on sum / count (as TRL and verl do)
    np.testing.assert_allclose(shuffled, contiguous[perm], rtol=1e-12, atol=1e-9)


def assert_float32_close(narrow, wide):
    """float32 advantages of float32 rewards against the float64 result: four float roundings
    (the split-mean float pass), plus 1e-12 of the scale for entries that cancel to almost 0."""
    wide = np.asarray(wide)
    scale = float(np.nanmax(np.abs(wide), initial=0.0))
    np.testing.assert_allclose(narrow.astype(np.float64), wide, rtol=4 * 2.0 ** -24, atol=1e-12 * scale)
    np.testing.assert_array_equal(narrow == 0, wide == 0)


def test_all_equal_and_singleton_groups():
    r = np.array([1.0, 1.0, 1.0, 0.5])
    np.testing.assert_array_equal(grpo_c.group_advantages(r[:3], group_size=3), 0.0)
    np.testing.assert_array_equal(grpo_c.group_advantages(np.full(6, 0.7), group_size=6), 0.0)
    # singleton: TRL gives 0, verl grpo gives s / (1 + eps), rloo_vectorized 0, OpenRLHF refuses
    assert grpo_c.group_advantages([0.5], group_size=1, preset="trl")[0] == 0.0
    assert grpo_c.group_advantages([0.5], group_size=1, preset="verl")[0] == pytest.approx(0.5 / (1 + 1e-6))
    assert grpo_c.group_advantages([0.5], group_size=1, preset="verl", adv_estimator="rloo_vectorized")[0] == 0.0
    with pytest.raises(ValueError, match="single scorable"):
        grpo_c.group_advantages([0.5, 1.0], group_size=1, preset="openrlhf")


def test_results_do_not_depend_on_input_dtype_or_layout():
    r = np.random.default_rng(0).random(64)
    base = grpo_c.group_advantages(r, group_size=8)
    widened = grpo_c.group_advantages(r.astype(np.float32).astype(np.float64), group_size=8)
    np.testing.assert_array_equal(grpo_c.group_advantages(r.astype(np.float32), group_size=8, dtype="float64"),
                                  widened)
    # float32 rewards give float32 advantages by default, within 4 float roundings of the float64 result
    narrow = grpo_c.group_advantages(r.astype(np.float32), group_size=8)
    assert narrow.dtype == np.float32
    assert_float32_close(narrow, widened)
    # float64 rewards asked for float32: the float64 result rounded once
    np.testing.assert_array_equal(grpo_c.group_advantages(r, group_size=8, dtype="float32"),
                                  base.astype(np.float32))
    assert grpo_c.group_advantages(r, group_size=8, dtype=np.float32).dtype == np.float32
    strided = np.repeat(r, 2)[::2]
    np.testing.assert_array_equal(grpo_c.group_advantages(strided, group_size=8), base)
    ro = r.copy()
    ro.setflags(write=False)
    np.testing.assert_array_equal(grpo_c.group_advantages(ro, group_size=8), base)
    ints = np.array([0, 1, 1, 0])
    np.testing.assert_allclose(grpo_c.group_advantages(ints, group_size=2), grpo_c.group_advantages(ints.astype(float), group_size=2))


@pytest.mark.parametrize("call, error, match", [
    (lambda: grpo_c.group_advantages([1.0, 2.0, 3.0], group_size=2), ValueError, "group_size.*divide"),
    (lambda: grpo_c.group_advantages([1.0, 2.0]), ValueError, "exactly one of group_size"),
    (lambda: grpo_c.group_advantages([1.0, 2.0], group_size=2, group_ids=[0, 0]), ValueError, "exactly one"),
    (lambda: grpo_c.group_advantages([1.0, 2.0], group_size=0), ValueError, "group_size"),
    (lambda: grpo_c.group_advantages([1.0, 2.0], group_size=2, eps=0.0), ValueError, "eps"),
    (lambda: grpo_c.group_advantages([1.0, 2.0], group_size=2, eps=-1.0), ValueError, "eps"),
    (lambda: grpo_c.group_advantages(["a", "b"], group_size=2), TypeError, "rewards"),
    (lambda: grpo_c.group_advantages([1 + 2j, 1.0], group_size=2), TypeError, "rewards"),
    (lambda: grpo_c.group_advantages([[[1.0]]], group_size=1), ValueError, "shape"),
    (lambda: grpo_c.group_advantages([1.0, 2.0], group_ids=[0]), ValueError, "group_ids"),
    (lambda: grpo_c.group_advantages([1.0, 2.0], group_size=2, scale="median"), ValueError, "scale"),
    (lambda: grpo_c.group_advantages([1.0, 2.0], group_size=2, estimator="ppo"), ValueError, "estimator"),
    (lambda: grpo_c.group_advantages([1.0, 2.0], group_size=2, preset="trl", loss_type="grpo"), TypeError, "unknown option"),
    (lambda: grpo_c.group_advantages([1.0, 2.0], group_size=2, preset="trl", scale="none", scale_rewards="group"),
     ValueError, "same thing"),
    (lambda: grpo_c.group_advantages([1.0, 2.0], group_size=2, preset="nemo"), ValueError, "preset"),
    (lambda: grpo_c.group_advantages([1.0, 2.0], group_size=2, estimator="opo"), ValueError, "lengths"),
    (lambda: grpo_c.group_advantages([[1.0, 2.0]], group_size=1, weights=[1.0]), ValueError, "weights"),
    (lambda: grpo_c.group_advantages([1.0, 2.0], group_size=1, estimator="reinforce_baseline"), ValueError, "mask"),
    (lambda: grpo_c.group_advantages([1.0, 2.0], group_ids=[0, 5], num_groups=2), ValueError, "group_ids"),
    (lambda: grpo_c.group_advantages([1.0, 2.0], group_size=2, dtype="float16"), ValueError, "dtype"),
    (lambda: grpo_c.group_advantages([1.0, 2.0], group_size=2, dtype="bogus"), ValueError, "dtype"),
    (lambda: grpo_c.group_advantages([1.0, 2.0], group_size=2, num_threads=0), ValueError, "num_threads"),
    (lambda: grpo_c.group_advantages(np.ones(4), group_size=3), ValueError, "group_size.*divide"),
    (lambda: grpo_c.group_advantages(np.ones(4, np.float32), group_size=2.0), ValueError, "group_size"),
])
def test_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


@settings(max_examples=100, deadline=None)
@given(data=grouped_rewards(nan=True, min_size=1), scale=st.sampled_from(["group", "none", "batch"]),
       preset=st.sampled_from(["trl", "verl"]))
def test_float32_rewards_read_in_place_equal_the_float64_path(data, scale, preset):
    r, size = data
    r32 = r.astype(np.float32)
    kw = {"scale": scale} if preset == "trl" else {"norm_adv_by_std_in_grpo": scale != "none"}
    if preset == "verl" and scale == "batch":
        return
    wide = grpo_c.group_advantages(r32.astype(np.float64), group_size=size, preset=preset, **kw)
    np.testing.assert_array_equal(grpo_c.group_advantages(r32, group_size=size, preset=preset, dtype="float64", **kw),
                                  wide)
    narrow = grpo_c.group_advantages(r32, group_size=size, preset=preset, **kw)
    assert narrow.dtype == np.float32
    assert_float32_close(narrow, wide)


@pytest.mark.parametrize("size", [2, 3, 4, 5, 7, 8, 9, 16, 17, 64, 100, 3000])
@pytest.mark.parametrize("preset, kw", [("trl", {}), ("trl", {"scale_rewards": "none"}),
                                        ("verl", {"adv_estimator": "grpo_vectorized"})])
def test_contiguous_kernel_against_the_reference_for_every_group_size(size, preset, kw):
    """The vectorised kernel (groups reduced a vector at a time, short groups across lanes) on
    enough rewards to be split between threads, with NaN, Inf, all-equal and ill-conditioned
    groups; 1, 2 and 3 threads give the same bits and both dtypes agree with the twin."""
    from grpo_c import reference
    rng = np.random.default_rng(size)
    groups = max(7, 40_000 // size)
    r = rng.integers(0, 3, size * groups) + 0.25 * rng.random(size * groups)
    r[size * 1: size * 2] = 0.5                           # all equal: exactly 0
    r[size * 3 + size // 2] = np.nan                      # unscorable
    r[size * 4] = np.inf                                  # non-finite
    r[size * 5: size * 6] = 1000.0 + 0.001 * rng.random(size)
    r = r.astype(np.float32).astype(np.float64)
    outs = [grpo_c.group_advantages(r, group_size=size, preset=preset, num_threads=k, **kw) for k in (1, 2, 3)]
    for other in outs[1:]:
        np.testing.assert_array_equal(other, outs[0])
    plan = grpo_c.advantages._plan_for(preset, dict(kw))
    with np.errstate(invalid="ignore"):
        want = reference.group_advantages(r, None, size, groups, None, None, None, None, *plan.direct)
    np.testing.assert_allclose(outs[0], want, rtol=1e-9, atol=1e-9)
    assert np.isnan(outs[0][size * 4: size * 5]).all()   # the Inf group: NaN, as torch gives
    np.testing.assert_array_equal(outs[0][size: 2 * size], 0.0)
    narrow = grpo_c.group_advantages(r.astype(np.float32), group_size=size, preset=preset, num_threads=2, **kw)
    assert_float32_close(narrow, outs[0])


def test_unbiased_token_whitening_of_fewer_than_two_tokens_is_refused():
    """verl's masked_whiten raises there (its Bessel correction divides by zero); so do the core
    and its twin, and the biased form (OpenRLHF's) still whitens."""
    from grpo_c import _core, reference

    mask = np.zeros((2, 3), np.uint8)
    mask[0, 0] = 1
    adv = np.array([1.0, 0.0])
    with pytest.raises(grpo_c.GRPOValueError):
        _core.whiten_tokens(adv, mask, 1, 1e-8, False)
    with pytest.raises(ValueError):
        reference.whiten_tokens(adv, mask, 1, 1e-8, False)
    np.testing.assert_array_equal(_core.whiten_tokens(adv, mask, 0, 1e-8, False),
                                  reference.whiten_tokens(adv, mask, 0, 1e-8, False))
    with pytest.raises(ValueError, match="two response tokens"):
        grpo_c.group_advantages(adv, group_size=2, preset="verl", adv_estimator="reinforce_plus_plus_baseline",
                                mask=mask)
