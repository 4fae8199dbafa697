"""Log-probs and entropies from logits (grpo_c.logprobs, grpo_c.torch.selective_log_softmax):
the C kernel against its float64 NumPy twin and torch autograd on the unfused formula, TRL's own
functions when TRL is installed, and refused input."""

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import grpo_c
import grpo_c.torch as gt
from grpo_c import _core, reference


@st.composite
def logit_batches(draw):
    n = draw(st.integers(1, 9))
    v = draw(st.sampled_from([1, 2, 7, 511, 512, 513, 1031, 3000]))   # across the kernel's blocks
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([0.01, 1.0, 8.0, 40.0]))
    logits = rng.standard_normal((n, v)) * scale + draw(st.sampled_from([0.0, -300.0, 50.0]))
    if v > 1 and draw(st.booleans()):
        logits[0, rng.integers(0, v, max(1, v // 3))] = -np.inf   # banned tokens
    ids = rng.integers(0, v, n)
    if v > 1 and np.isneginf(logits[0]).all():
        logits[0, 0] = 0.0
    ids[0] = int(np.flatnonzero(np.isfinite(logits[0]))[0]) if np.isneginf(logits[0, ids[0]]) else ids[0]
    temperature = draw(st.sampled_from([1.0, 0.7, 1.3]))
    return logits, ids, temperature, rng


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logit_batches(), st.sampled_from([np.float32, np.float64]), st.sampled_from([1, 2]))
def test_kernel_equals_the_float64_twin(batch, dtype, threads):
    logits, ids, temperature, rng = batch
    x = logits.astype(dtype)
    logp, entropy = grpo_c.logprobs(x, ids, temperature=temperature, return_entropy=True, num_threads=threads)
    want_logp, want_entropy, _ = reference.logprobs(x, ids, temperature, True)
    tol = dict(rtol=1e-13, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-6, atol=1e-5)
    np.testing.assert_allclose(logp, want_logp, **tol)
    np.testing.assert_allclose(entropy, want_entropy, **tol)
    assert (logp <= 0).all() and logp.dtype == dtype
    dlogp, dentropy = rng.standard_normal(len(ids)), rng.standard_normal(len(ids))
    grad = grpo_c.logprobs_backward(x, ids, dlogp, dentropy, temperature=temperature, num_threads=threads)
    want = reference.logprobs_backward(x, ids, dlogp, dentropy, temperature)
    np.testing.assert_allclose(grad, want, **(dict(rtol=1e-12, atol=1e-13) if dtype == np.float64
                                               else dict(rtol=1e-4, atol=2e-6)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logit_batches(), st.booleans())
def test_results_do_not_depend_on_the_thread_count(batch, entropy):
    logits, ids, temperature, _ = batch
    x = logits.astype(np.float32)
    one = grpo_c.logprobs(x, ids, temperature=temperature, return_entropy=entropy, num_threads=1)
    two = grpo_c.logprobs(x, ids, temperature=temperature, return_entropy=entropy, num_threads=3)
    for a, b in zip(np.atleast_1d(one) if not entropy else one, np.atleast_1d(two) if not entropy else two):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logit_batches(), st.sampled_from([torch.float64, torch.float32]), st.booleans())
def test_torch_front_end_equals_autograd_on_the_unfused_formula(batch, dtype, shaped):
    logits, ids, temperature, rng = batch
    x = torch.tensor(logits, dtype=dtype)
    idx = torch.tensor(ids)
    if shaped and len(ids) % 3 == 0:
        x, idx = x.reshape(3, -1, x.shape[-1]), idx.reshape(3, -1)
    weights = torch.tensor(rng.standard_normal(idx.shape), dtype=dtype)
    ours_in = x.clone().requires_grad_(True)
    logp, ent = gt.selective_log_softmax_and_entropy(ours_in, idx, temperature)
    ((logp * weights).sum() + (ent * weights).sum() * 0.5).backward()
    ref_in = x.clone().double().requires_grad_(True)
    z = ref_in / temperature
    logsm = torch.log_softmax(z, -1)
    ref_logp = logsm.gather(-1, idx.unsqueeze(-1)).squeeze(-1)
    probs = logsm.exp()
    ref_ent = -(probs * torch.where(probs > 0, logsm, torch.zeros_like(logsm))).sum(-1)
    ((ref_logp * weights.double()).sum() + (ref_ent * weights.double()).sum() * 0.5).backward()
    tol = dict(rtol=1e-10, atol=1e-10) if dtype == torch.float64 else dict(rtol=1e-4, atol=2e-5)
    torch.testing.assert_close(logp.double(), ref_logp.detach(), **tol)
    torch.testing.assert_close(ent.double(), ref_ent.detach(), **tol)
    torch.testing.assert_close(ours_in.grad.double(), ref_in.grad, **tol)


def test_matches_trls_selective_log_softmax_and_entropy_from_logits():
    utils = pytest.importorskip("trl.trainer.utils")
    torch.manual_seed(0)
    for dtype, tol in ((torch.float32, 2e-6), (torch.float64, 1e-12), (torch.bfloat16, 0.02)):
        x = (torch.randn(2, 5, 777) * 4).to(dtype)
        idx = torch.randint(0, 777, (2, 5))
        want = utils.selective_log_softmax(x, idx)
        got = gt.selective_log_softmax(x, idx)
        assert got.dtype == want.dtype == dtype
        torch.testing.assert_close(got.double(), want.double(), rtol=0, atol=tol)
        torch.testing.assert_close(gt.entropy_from_logits(x).double(), utils.entropy_from_logits(x).double(),
                                   rtol=0, atol=tol * 4)


def test_bfloat16_is_read_in_place_and_computed_in_float32():
    torch.manual_seed(1)
    x = (torch.randn(4, 1500) * 3).to(torch.bfloat16).requires_grad_(True)
    idx = torch.randint(0, 1500, (4,))
    logp, ent = gt.selective_log_softmax_and_entropy(x, idx)
    want_logp, want_ent, _ = reference.logprobs(x.detach().float().numpy(), idx.numpy(), 1.0, True)
    # float32 arithmetic, rounded to bfloat16 once at the end
    np.testing.assert_allclose(logp.detach().float().numpy(), want_logp, rtol=8e-3, atol=1e-6)
    np.testing.assert_allclose(ent.detach().float().numpy(), want_ent, rtol=8e-3, atol=1e-6)
    (logp.sum() + ent.sum()).backward()
    want = reference.logprobs_backward(x.detach().float().numpy(), idx.numpy(), np.ones(4), np.ones(4), 1.0)
    assert x.grad.dtype == torch.bfloat16
    np.testing.assert_allclose(x.grad.float().numpy(), want, rtol=8e-3, atol=1e-6)


def test_nan_in_one_row_stays_in_that_row():
    x = np.zeros((3, 10), np.float32)
    x[1, 4] = np.nan
    logp, ent = grpo_c.logprobs(x, [0, 0, 0], return_entropy=True)
    assert math.isnan(logp[1]) and math.isnan(ent[1])
    np.testing.assert_allclose(logp[[0, 2]], -np.log(10), rtol=1e-6)


@pytest.mark.parametrize("logits, ids, kwargs, error, message", [
    (np.zeros((2, 5), np.float32), [0, 5], {}, ValueError, r"ids: token ids must lie in \[0, 5\), got 5"),
    (np.zeros((2, 5), np.float32), [0, -1], {}, ValueError, "got -1"),
    (np.zeros((2, 5), np.float32), [0], {}, ValueError, "ids: expected shape"),
    (np.zeros((2, 5), np.float32), [0.0, 1.0], {}, TypeError, "ids: expected integer"),
    (np.zeros((2, 5), np.float16), [0, 1], {}, TypeError, "logits: expected float32 or float64"),
    (np.zeros((5, 2), np.float32).T, [0, 1], {}, ValueError, "C-contiguous"),
    (np.zeros(5, np.float32), 0, {}, ValueError, r"logits: expected \(N, V\)"),
    (np.zeros((2, 0), np.float32), [0, 0], {}, ValueError, "vocabulary axis is empty"),
    (np.zeros((2, 5), np.float32), [0, 1], {"temperature": 0.0}, ValueError, "temperature"),
    ([[0.0, 1.0]], [0], {}, TypeError, "logits: expected a numpy array"),
])
def test_bad_input_is_refused_by_name(logits, ids, kwargs, error, message):
    with pytest.raises(error, match=message):
        grpo_c.logprobs(logits, ids, **kwargs)


def test_bad_torch_input_is_refused_by_name_and_out_is_untouched():
    with pytest.raises(TypeError, match="logits: expected float32, float64 or bfloat16"):
        gt.selective_log_softmax(torch.zeros(2, 5, dtype=torch.float16), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="contiguous"):
        gt.selective_log_softmax(torch.zeros(5, 2).t(), torch.zeros(2, dtype=torch.long))
    with pytest.raises(TypeError, match="index"):
        gt.selective_log_softmax(torch.zeros(2, 5), torch.zeros(2))
    x = np.zeros((2, 5), np.float32)
    out = np.full_like(x, 7.0)
    with pytest.raises(ValueError):
        grpo_c.logprobs_backward(x, [0, 9], np.ones(2), out=out)
    assert (out == 7.0).all()
    with pytest.raises(ValueError, match="out"):
        grpo_c.logprobs_backward(x, [0, 1], np.ones(2), out=np.zeros((5, 2), np.float32).T)


def test_the_core_refuses_an_empty_vocabulary_and_a_bad_temperature():
    x = np.zeros((1, 3), np.float32)
    with pytest.raises(grpo_c.GRPOValueError):
        _core.logprobs(x, np.array([0]), -1.0, False, False, 1)
