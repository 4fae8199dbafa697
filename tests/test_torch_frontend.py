"""grpo_c.torch: the autograd front end delivers the analytic gradient into logp.grad."""

import numpy as np
import pytest
import torch

import frameworks as fw
import grpo_c
from grpo_c.torch import GRPOLoss, grpo_loss


def _batch(dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    b, t = 4, 7
    logp = -torch.rand(b, t, generator=g, dtype=torch.float64) * 2
    old = logp + 0.2 * torch.randn(b, t, generator=g, dtype=torch.float64)
    ref = logp + 0.2 * torch.randn(b, t, generator=g, dtype=torch.float64)
    adv = torch.randn(b, generator=g, dtype=torch.float64)
    mask = torch.rand(b, t, generator=g) < 0.8
    return logp.to(dtype), old.to(dtype), ref.to(dtype), adv.to(dtype), mask


@pytest.mark.parametrize("loss_type", ["grpo", "bnpo", "dr_grpo", "dapo", "cispo", "sapo"])
def test_backward_equals_autograd_of_trl_formula(loss_type):
    logp, old, ref, adv, mask = _batch()
    ours = logp.clone().requires_grad_()
    loss = grpo_loss(ours, old, adv, mask, ref_logp=ref, preset="trl", loss_type=loss_type, beta=0.04)
    loss.backward()
    theirs = logp.clone().requires_grad_()
    ref_loss, _ = fw.trl_loss(theirs, old, ref, adv, mask.double(), loss_type=loss_type, beta=0.04)
    ref_loss.backward()
    assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-9)
    torch.testing.assert_close(ours.grad, theirs.grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.float16])
def test_dtypes(dtype):
    logp, old, ref, adv, mask = _batch(dtype)
    x = logp.clone().requires_grad_()
    loss = grpo_loss(x, old, adv, mask, ref_logp=ref, beta=0.04)
    loss.backward()
    assert loss.dtype == dtype and x.grad.dtype == dtype and x.grad.shape == x.shape
    want = grpo_c.policy_loss(logp.double().numpy(), old.double().numpy(), adv.double().numpy(), mask.numpy(),
                              ref_logp=ref.double().numpy(), beta=0.04)
    tol = {torch.float64: 1e-12, torch.float32: 1e-5, torch.bfloat16: 3e-2, torch.float16: 3e-3}[dtype]
    np.testing.assert_allclose(x.grad.double().numpy(), want.grad, rtol=tol, atol=tol)


def test_gradient_scales_and_accumulates_like_autograd():
    logp, old, ref, adv, mask = _batch()
    x = logp.clone().requires_grad_()
    (3.0 * grpo_loss(x, old, adv, mask)).backward()
    first = x.grad.clone()
    grpo_loss(x, old, adv, mask).backward()
    torch.testing.assert_close(x.grad, first * (4.0 / 3.0))


def test_cpu_tensors_are_not_copied():
    logp, old, ref, adv, mask = _batch(torch.float32)
    x = logp.clone().requires_grad_()
    loss, out = grpo_loss(x, old, adv, mask, return_output=True)
    assert out.grad.dtype == np.float32
    loss.backward()
    torch.testing.assert_close(x.grad, torch.from_numpy(out.grad))


def test_module_keeps_metrics_and_options():
    logp, old, ref, adv, mask = _batch()
    crit = GRPOLoss(preset="verl", loss_agg_mode="seq-mean-token-mean", use_kl_loss=True, kl_loss_coef=0.01)
    x = logp.clone().requires_grad_()
    crit(x, old, adv, mask, ref_logp=ref).backward()
    assert {"actor/pg_loss", "actor/pg_clipfrac", "kl_loss"} <= set(crit.metrics)
    assert torch.isfinite(x.grad).all()


def test_bad_input():
    with pytest.raises(TypeError, match="logp"):
        grpo_loss(np.zeros((2, 2)), None, torch.zeros(2))
    with pytest.raises(TypeError, match="logp"):
        grpo_loss(torch.zeros(2, 2, dtype=torch.long), None, torch.zeros(2))
    with pytest.raises(ValueError, match="advantages"):
        grpo_loss(torch.zeros(2, 2, requires_grad=True), None, torch.zeros(3))
