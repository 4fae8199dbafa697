"""The GRPO loss fused with the linear head (grpo_c.fused_linear_policy_loss): loss and the
gradients of hidden, weight and bias against torch autograd on the unfused formula
(materialised logits, log_softmax, gather, the same policy loss) in float64, over shapes, chunk
sizes, temperatures, masks and loss options; refused input."""

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import grpo_c
import grpo_c.torch as gt

CASES = [dict(preset="trl", loss_type="grpo"), dict(preset="trl", loss_type="dapo", beta=0.04),
         dict(preset="trl", loss_type="grpo", importance_sampling_level="sequence"),
         dict(preset="verl", loss_mode="vanilla", loss_agg_mode="seq-mean-token-mean"),
         dict(preset="verl", loss_mode="gspo", use_kl_loss=True, kl_loss_coef=0.1),
         dict(preset="openrlhf", **{"actor.policy_loss_type": "ppo"})]


def unfused(hidden, weight, bias, ids, old, adv, mask, temperature, ref_logp, options):
    h = torch.tensor(hidden, dtype=torch.float64, requires_grad=True)
    w = torch.tensor(weight, dtype=torch.float64, requires_grad=True)
    b = None if bias is None else torch.tensor(bias, dtype=torch.float64, requires_grad=True)
    logits = h @ w.T + (0 if b is None else b)
    logp = torch.log_softmax(logits / temperature, -1).gather(-1, torch.tensor(ids)[..., None]).squeeze(-1)
    loss = gt.grpo_loss(logp, torch.tensor(old), torch.tensor(adv), torch.tensor(mask), ref_logp=ref_logp,
                        **options)
    loss.backward()
    return float(loss), h.grad.numpy(), w.grad.numpy(), None if b is None else b.grad.numpy()


def relative(got, want):
    return np.abs(got - want).max() / max(np.abs(want).max(), 1e-30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 4), st.integers(1, 6), st.sampled_from([1, 5, 16]), st.sampled_from([1, 3, 37, 513]),
       st.sampled_from([None, 1, 2, 7]), st.sampled_from([1.0, 0.7]), st.booleans(), st.sampled_from(CASES),
       st.integers(0, 2**32 - 1), st.booleans())
def test_fused_equals_autograd_on_the_unfused_formula(b, t, h, v, chunk, temperature, with_bias, options, seed,
                                                     empty_row):
    rng = np.random.default_rng(seed)
    hidden = rng.standard_normal((b, t, h), dtype=np.float32)
    weight = (rng.standard_normal((v, h)) * 0.5).astype(np.float32)
    bias = (rng.standard_normal(v) * 0.1).astype(np.float32) if with_bias else None
    ids = rng.integers(0, v, (b, t))
    adv = rng.standard_normal(b)
    mask = rng.random((b, t)) < 0.8
    mask[-1, 0] = True
    if empty_row and b > 1:
        mask[0] = False
    z = hidden.astype(np.float64) @ weight.T.astype(np.float64) + (0 if bias is None else bias)
    z = z / temperature
    logp = z[np.arange(b)[:, None], np.arange(t)[None, :], ids] - np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1)) \
        - z.max(-1)
    old = logp + 0.2 * rng.standard_normal((b, t))
    ref = logp + 0.2 * rng.standard_normal((b, t))
    want_loss, want_h, want_w, want_b = unfused(hidden, weight, bias, ids, old, adv, mask, temperature, ref, options)
    out = grpo_c.fused_linear_policy_loss(hidden, weight, ids, old, adv, mask, bias=bias, temperature=temperature,
                                          ref_logp=ref, chunk_size=chunk, **options)
    # float32 matrix products against float64: 1e-4 relative (the issue's bound), scaled to the largest entry
    assert abs(out.loss - want_loss) <= 1e-4 * max(abs(want_loss), 1e-3), (out.loss, want_loss)
    assert relative(out.dhidden, want_h) < 1e-4
    assert relative(out.dweight, want_w) < 1e-4
    if bias is not None:
        assert relative(out.dbias, want_b) < 1e-4
    assert out.dhidden.dtype == out.dweight.dtype == np.float32


def test_reference_log_probs_from_a_reference_head():
    rng = np.random.default_rng(1)
    hidden = rng.standard_normal((2, 3, 8), dtype=np.float32)
    weight = rng.standard_normal((40, 8), dtype=np.float32)
    ref_hidden = hidden + 0.1 * rng.standard_normal(hidden.shape, dtype=np.float32)
    ids = rng.integers(0, 40, (2, 3))
    adv = np.array([1.0, -0.5])
    ref_logp = grpo_c.logprobs(np.einsum("bth,vh->btv", ref_hidden, weight).astype(np.float32), ids)
    given = grpo_c.fused_linear_policy_loss(hidden, weight, ids, None, adv, ref_logp=ref_logp, beta=0.1)
    computed = grpo_c.fused_linear_policy_loss(hidden, weight, ids, None, adv, ref_hidden=ref_hidden, beta=0.1)
    assert abs(given.loss - computed.loss) < 1e-5
    np.testing.assert_allclose(given.dweight, computed.dweight, rtol=1e-4, atol=1e-6)


def test_chunking_does_not_change_the_result_beyond_float32_rounding():
    rng = np.random.default_rng(2)
    hidden = rng.standard_normal((3, 7, 12), dtype=np.float32)
    weight = rng.standard_normal((333, 12), dtype=np.float32)
    ids = rng.integers(0, 333, (3, 7))
    adv = rng.standard_normal(3)
    runs = [grpo_c.fused_linear_policy_loss(hidden, weight, ids, None, adv, chunk_size=c) for c in (1, 4, 100)]
    for run in runs[1:]:
        assert abs(run.loss - runs[0].loss) < 1e-6
        np.testing.assert_allclose(run.dhidden, runs[0].dhidden, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(run.dweight, runs[0].dweight, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("change, error, message", [
    (dict(weight=np.zeros((10, 5), np.float32)), ValueError, "hidden: expected"),
    (dict(ids=np.full((2, 3), 10)), ValueError, r"ids: token ids must lie in \[0, 10\), got 10"),
    (dict(hidden=np.zeros((2, 3, 4))), TypeError, "hidden: expected float32"),
    (dict(hidden=np.zeros((4, 3, 2), np.float32).transpose(2, 1, 0).copy(order="F")), ValueError, "C-contiguous"),
    (dict(chunk_size=0), ValueError, "chunk_size"),
    (dict(bias=np.zeros(9, np.float32)), ValueError, "bias"),
    (dict(ids=np.zeros((2, 2), np.int64)), ValueError, "ids: expected shape"),
])
def test_bad_input_is_refused_by_name(change, error, message):
    args = dict(hidden=np.zeros((2, 3, 4), np.float32), weight=np.zeros((10, 4), np.float32),
                ids=np.zeros((2, 3), np.int64))
    kwargs = {k: change.pop(k) for k in ("chunk_size", "bias") if k in change}
    args.update(change)
    with pytest.raises(error, match=message):
        grpo_c.fused_linear_policy_loss(args["hidden"], args["weight"], args["ids"], None, np.ones(2), **kwargs)


def test_the_code_sandbox_still_forks_after_openblas_ran():
    """OpenBLAS's worker threads exist once a fused step has run; the code reward forks its
    sandboxed children after that and must still get their verdicts."""
    from grpo_c import rewards

    rng = np.random.default_rng(3)
    hidden = rng.standard_normal((2, 64, 32), dtype=np.float32)
    weight = rng.standard_normal((500, 32), dtype=np.float32)
    grpo_c.fused_linear_policy_loss(hidden, weight, rng.integers(0, 500, (2, 64)), None, np.ones(2), num_threads=2)
    assert grpo_c.build_info()["blas"]["threads"] >= 1
    scores = rewards.code(["```python\nprint(int(input()) + 1)\n```"] * 3, [[("41", "42")]] * 3, timeout=5)
    assert scores.tolist() == [1.0, 1.0, 1.0]


def test_torch_front_end_backpropagates_the_fused_gradients():
    torch.manual_seed(4)
    hidden = torch.randn(2, 4, 6, requires_grad=True)
    weight = (torch.randn(30, 6) * 0.5).requires_grad_(True)
    bias = (torch.randn(30) * 0.1).requires_grad_(True)
    ids = torch.randint(0, 30, (2, 4))
    adv = torch.tensor([0.7, -1.2])
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]], dtype=torch.bool)
    loss, out = gt.fused_linear_grpo_loss(hidden, weight, ids, None, adv, mask, bias=bias, preset="trl",
                                          loss_type="grpo", return_output=True)
    (2.0 * loss).backward()
    h64, w64, b64 = (x.detach().double().requires_grad_(True) for x in (hidden, weight, bias))
    logp = torch.log_softmax(h64 @ w64.T + b64, -1).gather(-1, ids[..., None]).squeeze(-1)
    want = 2.0 * gt.grpo_loss(logp, None, adv, mask, preset="trl", loss_type="grpo")
    want.backward()
    assert abs(float(loss) * 2.0 - float(want)) < 1e-5
    for got, ref in ((hidden.grad, h64.grad), (weight.grad, w64.grad), (bias.grad, b64.grad)):
        assert relative(got.double().numpy(), ref.numpy()) < 1e-4
    assert "clip_ratio/region_mean" in out.metrics and out.logp.shape == (2, 4)
    with pytest.raises(TypeError, match="hidden: expected a float32"):
        gt.fused_linear_grpo_loss(hidden.double(), weight, ids, None, adv)
