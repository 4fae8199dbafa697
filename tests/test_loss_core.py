"""The policy-loss kernel over the whole neutral option space: fast path, plain path and the NumPy
twin agree; results are independent of threads, layout and masked garbage; bad input is refused."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import grpo_c
from grpo_c import reference
from grpo_c.loss import _policy_loss, core_policy_loss

INF = math.inf


SURROGATES = ("ppo", "cispo", "sapo", "reinforce", "vespo", "gmpo", "dppo_tv", "dppo_kl", "dro", "kl_cov")
AGGREGATIONS = ("token_mean", "token_sum_norm", "seq_mean_token_mean", "seq_mean_token_mean_all_rows",
                "seq_mean_token_sum", "length_weighted", "seq_mean_token_sum_norm")


@st.composite
def core_options(draw):
    """Neutral options as _core.loss_options takes them."""
    surrogate = draw(st.sampled_from(SURROGATES))
    ratio_level = draw(st.sampled_from(["token", "sequence", "sequence_token"])) if surrogate in ("ppo", "sapo") else "token"
    agg = lambda: (draw(st.sampled_from(AGGREGATIONS)),  # noqa: E731
                   draw(st.sampled_from([None, 7.0, 100.0, ("per_row", 3.0)])), draw(st.sampled_from([1.0, 0.25, 4.0])))
    (aggregation, denominator, scale), (kl_aggregation, kl_denominator, kl_scale) = agg(), agg()
    opts = dict(
        ratio_level=ratio_level, surrogate=surrogate,
        clip_low=draw(st.sampled_from([0.2, 0.1, 3e-4])), clip_high=draw(st.sampled_from([0.2, 0.28, 4e-4])),
        dual_clip=draw(st.sampled_from([None, 3.0, 1.5])), delta=draw(st.sampled_from([None, 1.5, 4.0])),
        log_ratio_clamp=draw(st.sampled_from([(-INF, INF), (-20.0, 20.0), (-INF, 10.0), (-0.3, 0.3)])),
        cispo_bounds=(draw(st.sampled_from([-INF, 0.8])), draw(st.sampled_from([INF, 1.2, 5.0]))),
        sapo_tau=(draw(st.sampled_from([1.0, 0.5])), draw(st.sampled_from([1.05, 2.0]))),
        vespo_k=(2.0, draw(st.sampled_from([3.0, 0.5]))), vespo_lambda=(3.0, 2.0),
        is_level=draw(st.sampled_from([None, "token", "sequence", "sequence_mask"])),
        is_mode=draw(st.sampled_from(["truncate", "mask"])),
        is_bounds=(draw(st.sampled_from([-INF, 0.5])), draw(st.sampled_from([INF, 2.0]))),
        is_log_clamp=draw(st.sampled_from([None, 20.0, 0.1])),
        off_policy_threshold=draw(st.sampled_from([None, 0.0, 0.05])),
        kl_coef=draw(st.sampled_from([0.0, 0.04, 1.0])), kl_estimator=draw(st.sampled_from(["k1", "abs", "k2", "k3"])),
        kl_straight_through=draw(st.booleans()), kl_ratio_weighted=draw(st.booleans()),
        kl_log_clamp=draw(st.sampled_from([None, 20.0, 0.5])), kl_value_clamp=draw(st.sampled_from([None, 10.0, 0.01])),
        aggregation=aggregation, denominator=denominator, scale=scale,
        kl_aggregation=kl_aggregation, kl_denominator=kl_denominator, kl_scale=kl_scale,
        skip_ratio_metrics=draw(st.booleans()), ppo_kl_raw=draw(st.booleans()),
        dro_beta=draw(st.sampled_from([0.05, 2.0])) if surrogate == "dro" else 0.0,
        kl_cov_coef=draw(st.sampled_from([0.1, 1.0])),
        kl_grad_is_cap=draw(st.sampled_from([None, 10.0, 1.1])))
    return opts


@st.composite
def inputs(draw):
    b, t = draw(st.integers(1, 6)), draw(st.integers(1, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    spread = draw(st.sampled_from([0.0, 0.05, 0.5, 3.0]))
    logp = -rng.random((b, t)) * 3
    mask = rng.random((b, t)) < draw(st.sampled_from([0.3, 0.9, 1.0]))
    if b > 1 and draw(st.booleans()):
        mask[0] = False
    adv = rng.normal(size=(b, t) if draw(st.booleans()) else b)
    adv[rng.random(adv.shape) < 0.2] = 0.0
    return dict(logp=logp, old_logp=None if draw(st.booleans()) else logp + rng.normal(0, spread, (b, t)),
                ref_logp=logp + rng.normal(0, 0.5, (b, t)), rollout_logp=logp + rng.normal(0, 0.3, (b, t)),
                advantages=adv, mask=mask,
                is_weights=None if draw(st.booleans()) else rng.random((b, t) if draw(st.booleans()) else b) * 2,
                # 0 drops a token, 1 keeps it, 2 keeps it and marks it for KL-Cov's penalty
                policy_mask=None if draw(st.booleans()) else rng.choice(np.array([0, 1, 2], np.uint8), (b, t),
                                                                        p=[0.3, 0.4, 0.3]))


def _core_call(data, opts, plain=False, **extra):
    kw = dict(data)
    kw["mask"] = data["mask"].view(np.uint8)
    return core_policy_loss(**kw, grad_out=None, per_token=True, num_threads=extra.pop("num_threads", 1),
                             plain=plain, **opts, **extra)


def _close(a, b, rtol=1e-9, atol=1e-12):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rtol, abs_tol=atol)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=inputs(), opts=core_options())
def test_kernel_equals_numpy_twin(data, opts):
    if opts["surrogate"] == "vespo" and data["advantages"].ndim == 2:
        data["advantages"] = data["advantages"][:, 0].copy()
    metrics, grad, per_token = _core_call(data, opts)
    twin = {k: v for k, v in data.items()}
    ref_metrics, ref_grad, ref_per_token = reference.policy_loss(**twin, **opts)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(per_token, ref_per_token, rtol=1e-9, atol=1e-12)
    for name, want in ref_metrics.items():
        assert _close(metrics[name], want), (name, metrics[name], want)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=inputs(), opts=core_options(), f32=st.booleans())
def test_fast_path_equals_plain_path(data, opts, f32):
    # restrict to the fast path's configuration so the comparison is meaningful
    opts.update(ratio_level="token", surrogate="ppo", is_level=None, off_policy_threshold=None,
                kl_ratio_weighted=False, kl_estimator="k3")
    data.update(is_weights=None, policy_mask=None)
    if f32:
        data = {k: (v.astype(np.float32) if isinstance(v, np.ndarray) and v.dtype == np.float64 else v)
                for k, v in data.items()}
    kw = dict(data)
    kw["mask"] = data["mask"].view(np.uint8)
    fast = core_policy_loss(**kw, grad_out=None, per_token=False, num_threads=1, plain=False, **opts)
    plain = core_policy_loss(**kw, grad_out=None, per_token=False, num_threads=1, plain=True, **opts)
    # float32 inputs: the fast path computes each token in float (the inputs' precision), the
    # plain path in double; sums are double in both
    scale = max(float(np.abs(plain[1]).max()), 1e-30)
    np.testing.assert_allclose(fast[1], plain[1], rtol=1e-5 if f32 else 1e-12, atol=1e-6 * scale if f32 else 1e-12)
    for name, want in plain[0].items():
        assert _close(fast[0][name], want, rtol=1e-5 if f32 else 1e-12, atol=1e-7 if f32 else 1e-12), \
            (name, fast[0][name], want)


@pytest.mark.parametrize("plain", [False, True])
def test_thread_count_does_not_change_results(plain):
    rng = np.random.default_rng(1)
    b, t = 64, 3000  # above the threading threshold
    logp = -rng.random((b, t)).astype(np.float32)
    old = logp + rng.normal(0, 0.2, (b, t)).astype(np.float32)
    ref = logp + rng.normal(0, 0.2, (b, t)).astype(np.float32)
    mask = rng.random((b, t)) < 0.8
    adv = rng.normal(size=b).astype(np.float32)
    outs = [_policy_loss(logp, old, adv, mask, ref_logp=ref, rollout_logp=None, is_weights=None, entropies=None,
                         truncated=None, preset="trl", per_token=False, grad_out=None, num_threads=n,
                         plain=plain, beta=0.04) for n in (1, 2, 3, 8)]
    for other in outs[1:]:
        assert other.loss == outs[0].loss
        np.testing.assert_array_equal(other.grad, outs[0].grad)
        assert other.metrics == outs[0].metrics


@settings(max_examples=100, deadline=None)
@given(data=inputs(), opts=core_options(), poison=st.sampled_from([np.nan, np.inf, -np.inf, 1e308]))
def test_masked_positions_never_leak(data, opts, poison):
    if opts["surrogate"] == "vespo" and data["advantages"].ndim == 2:
        data["advantages"] = data["advantages"][:, 0].copy()
    clean = _core_call(data, opts)
    dirty = dict(data)
    hidden = ~data["mask"]
    for key in ("logp", "old_logp", "ref_logp", "rollout_logp"):
        if dirty[key] is not None:
            dirty[key] = np.where(hidden, poison, dirty[key])
    if data["advantages"].ndim == 2:
        dirty["advantages"] = np.where(hidden, poison, data["advantages"])
    if data["is_weights"] is not None and data["is_weights"].ndim == 2:
        dirty["is_weights"] = np.where(hidden, poison, data["is_weights"])
    poisoned = _core_call(dirty, opts)
    np.testing.assert_array_equal(poisoned[1], clean[1])
    for name, value in clean[0].items():
        assert _close(poisoned[0][name], value, rtol=0, atol=0), name


def _small():
    rng = np.random.default_rng(3)
    logp = -rng.random((3, 5))
    return logp, logp + 0.1, rng.normal(size=3), rng.random((3, 5)) < 0.8


def test_inputs_are_not_modified_and_layouts_agree():
    logp, old, adv, mask = _small()
    copies = [x.copy() for x in (logp, old, adv, mask)]
    base = grpo_c.policy_loss(logp, old, adv, mask, ref_logp=logp - 0.2, beta=0.1)
    for x, c in zip((logp, old, adv, mask), copies):
        np.testing.assert_array_equal(x, c)
    fortran = grpo_c.policy_loss(np.asfortranarray(logp), np.asfortranarray(old), adv, np.asfortranarray(mask),
                                 ref_logp=np.asfortranarray(logp - 0.2), beta=0.1)
    strided = grpo_c.policy_loss(np.repeat(logp, 2, axis=1)[:, ::2], old, np.repeat(adv, 2)[::2], mask,
                                 ref_logp=logp - 0.2, beta=0.1)
    ro = logp.copy()
    ro.setflags(write=False)
    readonly = grpo_c.policy_loss(ro, old, adv, mask, ref_logp=logp - 0.2, beta=0.1)
    for out in (fortran, strided, readonly):
        assert out.loss == base.loss
        np.testing.assert_array_equal(out.grad, base.grad)
    # every mask dtype read in place or converted in one pass gives the same result
    for dtype in (np.int64, np.int32, np.int16, np.uint8, np.float32, np.float64):
        other = grpo_c.policy_loss(logp, old, adv, mask.astype(dtype), ref_logp=logp - 0.2, beta=0.1)
        assert other.loss == base.loss, dtype
        np.testing.assert_array_equal(other.grad, base.grad)
    sliced = np.repeat(mask, 2, axis=1)[:, ::2]   # a non-contiguous bool mask
    assert grpo_c.policy_loss(logp, old, adv, sliced, ref_logp=logp - 0.2, beta=0.1).loss == base.loss


def test_float32_and_float16_inputs():
    logp, old, adv, mask = _small()
    base = grpo_c.policy_loss(logp, old, adv, mask)
    f32 = grpo_c.policy_loss(logp.astype(np.float32), old.astype(np.float32), adv, mask)
    f16 = grpo_c.policy_loss(logp.astype(np.float16), old.astype(np.float16), adv, mask)
    assert f32.grad.dtype == np.float32 and f16.grad.dtype == np.float32
    np.testing.assert_allclose(f32.grad, base.grad, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(f16.grad, base.grad, rtol=2e-2, atol=1e-4)


def test_grad_out_is_filled_in_place():
    logp, old, adv, mask = _small()
    out = np.full(logp.shape, 7.0)
    res = grpo_c.policy_loss(logp, old, adv, mask, grad_out=out)
    assert res.grad is out
    np.testing.assert_array_equal(out, grpo_c.policy_loss(logp, old, adv, mask).grad)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(logp=np.zeros(3)), ValueError, "logp.*2-d"),
    (dict(logp=np.zeros((0, 3))), ValueError, "shape"),
    (dict(logp=np.zeros((2, 3), np.int64)), TypeError, "logp"),
    (dict(logp=np.full((2, 3), "a")), TypeError, "logp"),
    (dict(old_logp=np.zeros((2, 4))), ValueError, "old_logp"),
    (dict(advantages=np.zeros(3)), ValueError, "advantages"),
    (dict(advantages=np.zeros((2, 4))), ValueError, "advantages"),
    (dict(mask=np.zeros((2, 4))), ValueError, "mask"),
    (dict(mask=np.full((2, 3), 0.5)), ValueError, "mask.*0 and 1"),
    (dict(mask=np.full((2, 3), 2, np.int32)), ValueError, "mask.*0 and 1"),
    (dict(mask=np.full((2, 3), -1, np.int64)), ValueError, "mask.*0 and 1"),
    (dict(mask=np.full((2, 3), 3, np.uint8)), ValueError, "mask.*0 and 1"),
    (dict(mask=np.full((2, 3), np.nan, np.float32)), ValueError, "mask.*0 and 1"),
    (dict(mask=np.full((2, 3), "x")), TypeError, "mask"),
    (dict(beta=0.1), ValueError, "ref_logp"),
    (dict(epsilon=1.5), ValueError, "epsilon"),
    (dict(epsilon=-0.1), ValueError, "epsilon"),
    (dict(delta=1.1), ValueError, "delta"),
    (dict(loss_type="ppo"), ValueError, "loss_type"),
    (dict(clip_ratio_c=3.0), TypeError, "unknown option"),
    (dict(epsilon=0.2, clip_low=0.2), ValueError, "same thing"),
    (dict(log_ratio_clamp=(1.0, -1.0)), ValueError, "inverted"),
    (dict(num_threads=0), ValueError, "num_threads"),
    (dict(preset="deepspeed"), ValueError, "preset"),
    (dict(top_entropy_quantile=0.5), ValueError, "entropies"),
    (dict(top_entropy_quantile=1.5), ValueError, "top_entropy_quantile"),
    (dict(vllm_importance_sampling_correction=True), ValueError, "rollout_logp"),
    (dict(grad_out=np.zeros((2, 3), np.float32)), TypeError, "grad_out"),
    (dict(grad_out=np.zeros((3, 2))), ValueError, "grad_out"),
    (dict(grad_out=np.zeros((2, 6))[:, ::2]), ValueError, "grad_out"),
    (dict(grad_out="readonly"), ValueError, "grad_out.*read-only"),
    (dict(truncated=np.zeros(3, bool)), ValueError, "truncated"),
])
def test_bad_input_is_refused_and_names_the_argument(kwargs, error, match):
    args = dict(logp=np.zeros((2, 3)), old_logp=None, advantages=np.zeros(2), mask=np.ones((2, 3), bool))
    if isinstance(kwargs.get("grad_out"), str):
        ro = np.zeros((2, 3))
        ro.setflags(write=False)
        kwargs = dict(grad_out=ro)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        grpo_c.policy_loss(args.pop("logp"), args.pop("old_logp"), args.pop("advantages"), args.pop("mask"), **args)


def test_refused_call_leaves_output_buffer_untouched():
    out = np.full((2, 3), 5.0)
    with pytest.raises(ValueError):
        grpo_c.policy_loss(np.zeros((2, 3)), None, np.zeros(2), np.ones((2, 3)), grad_out=out, beta=1.0)
    np.testing.assert_array_equal(out, 5.0)


def test_extreme_ratios_give_finite_clipped_gradients():
    logp = np.array([[0.0, -700.0, -1.0]])
    old = np.array([[-600.0, 0.0, -1.0]])
    out = grpo_c.policy_loss(logp, old, np.array([1.0]), np.ones((1, 3), bool), preset="verl")
    assert np.isfinite(out.loss) and np.all(np.isfinite(out.grad))
    assert out.grad[0, 0] == 0.0 and out.grad[0, 1] == 0.0  # clipped or clamped: no gradient


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=inputs(), opts=core_options(), f32=st.booleans(), kl=st.booleans(), skip=st.booleans())
def test_simple_and_lean_fast_copies_equal_the_plain_path(data, opts, f32, kl, skip):
    """The plain-PPO-clip copies of the fast path (TRL's defaults: no delta, dual clip or clamps)
    against the plain path; the lean copy (no ppo_kl / ratio_mean sums) changes nothing else."""
    opts.update(ratio_level="token", surrogate="ppo", is_level=None, off_policy_threshold=None,
                kl_ratio_weighted=False, kl_estimator="k3", dual_clip=None, delta=None,
                log_ratio_clamp=(-INF, INF), kl_log_clamp=None, kl_value_clamp=None,
                kl_straight_through=False, kl_coef=0.04 if kl else 0.0)
    data.update(is_weights=None, policy_mask=None)
    if f32:
        data = {k: (v.astype(np.float32) if isinstance(v, np.ndarray) and v.dtype == np.float64 else v)
                for k, v in data.items()}
    kw = dict(data, mask=data["mask"].view(np.uint8))
    opts.pop("skip_ratio_metrics")
    fast = core_policy_loss(**kw, grad_out=None, per_token=False, num_threads=1, plain=False,
                            skip_ratio_metrics=skip, **opts)
    plain = core_policy_loss(**kw, grad_out=None, per_token=False, num_threads=1, plain=True, **opts)
    scale = max(float(np.abs(plain[1]).max()), 1e-30)
    np.testing.assert_allclose(fast[1], plain[1], rtol=1e-5 if f32 else 1e-12, atol=1e-6 * scale if f32 else 1e-12)
    for name, want in plain[0].items():
        if skip and name in ("ppo_kl", "ratio_mean"):
            assert math.isnan(fast[0][name])
            continue
        assert _close(fast[0][name], want, rtol=1e-5 if f32 else 1e-12, atol=1e-7 if f32 else 1e-12), \
            (name, fast[0][name], want)
