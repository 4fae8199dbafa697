"""PyTorch front end: the policy loss as an autograd function whose backward is our analytic gradient.

CPU tensors of float32/float64 are read in place (no copies) and the gradient is written straight
into a tensor that backward hands to autograd. bfloat16/float16 inputs are widened to float32
(NumPy has no bfloat16), CUDA tensors are copied to the host and the gradient copied back: the
kernel runs on the CPU either way.

Examples
--------
Replace the loss lines of a TRL-style loop::

    from grpo_c.torch import grpo_loss
    loss = grpo_loss(per_token_logps, old_per_token_logps, advantages, completion_mask,
                     ref_logp=ref_per_token_logps, preset="trl", loss_type="dapo", beta=0.04)
    loss.backward()
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from grpo_c.loss import PolicyLossOutput, check_loss_options, policy_loss

__all__ = ["GRPOLoss", "grpo_loss"]

_NATIVE = (torch.float32, torch.float64)
_PER_CALL_INPUTS = {"ref_logp", "rollout_logp", "is_weights", "entropies", "truncated", "grad_out"}


def _host(x: Any, dtype: torch.dtype | None = None) -> Any:
    """A NumPy view of a tensor (a copy only when it is on another device or not float32/64)."""
    if not isinstance(x, torch.Tensor):
        return x
    x = x.detach()
    if x.device.type != "cpu":
        x = x.cpu()
    if x.dtype in (torch.bfloat16, torch.float16) or (dtype is not None and x.is_floating_point() and x.dtype != dtype):
        x = x.to(dtype or torch.float32)
    return x.numpy()


class _PolicyLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logp, holder, kwargs):
        compute = logp.dtype if logp.dtype in _NATIVE else torch.float32
        grad = torch.empty(logp.shape, dtype=compute)
        out = policy_loss(_host(logp, compute), grad_out=grad.numpy(), **kwargs)
        holder.append(out)
        ctx.save_for_backward(grad)
        ctx.target = (logp.dtype, logp.device)
        return torch.tensor(out.loss, dtype=logp.dtype, device=logp.device)

    @staticmethod
    def backward(ctx, grad_output):
        (grad,) = ctx.saved_tensors
        dtype, device = ctx.target
        # the saved gradient is ours alone (backward runs once), so it is scaled in place; the
        # usual loss.backward() passes 1, which needs no pass over it
        scale = grad_output.item()
        if scale != 1.0:
            grad.mul_(scale)
        if grad.dtype != dtype or grad.device != device:
            grad = grad.to(device=device, dtype=dtype)
        return grad, None, None


def grpo_loss(logp: torch.Tensor, old_logp: torch.Tensor | None, advantages: torch.Tensor,
              mask: torch.Tensor | None = None, *, return_output: bool = False,
              **options: Any) -> torch.Tensor | tuple[torch.Tensor, PolicyLossOutput]:
    """The GRPO policy loss as a differentiable tensor of ``logp``.

    Takes the arguments of :func:`grpo_c.policy_loss` (``ref_logp``, ``rollout_logp``,
    ``is_weights``, ``entropies``, ``truncated``, ``preset`` and every option) as tensors or
    arrays. ``loss.backward()`` accumulates the exact analytic gradient into ``logp.grad``.

    Parameters
    ----------
    logp : torch.Tensor, shape (B, T)
        Current-policy log-probs; float32/float64 on the CPU are used without a copy.
    return_output : bool
        Also return the :class:`grpo_c.PolicyLossOutput` (metrics, per-token loss).

    Examples
    --------
    >>> import torch, grpo_c.torch as gt
    >>> logp = torch.full((2, 3), -0.7, requires_grad=True)
    >>> loss = gt.grpo_loss(logp, logp.detach(), torch.tensor([1.0, -1.0]), torch.ones(2, 3, dtype=torch.bool))
    >>> loss.backward(); round(logp.grad[0, 0].item(), 6)
    -0.166667
    """
    if not isinstance(logp, torch.Tensor):
        raise TypeError(f"logp: expected a torch.Tensor, got {type(logp).__name__}")
    if not logp.is_floating_point():
        raise TypeError(f"logp: expected a floating dtype, got {logp.dtype}")
    compute = logp.dtype if logp.dtype in _NATIVE else torch.float32
    kwargs = {k: _host(v, compute if k.endswith("logp") else None) for k, v in options.items()}
    kwargs["old_logp"] = _host(old_logp, compute)
    kwargs["advantages"] = _host(advantages, compute)
    kwargs["mask"] = _host(mask)
    holder: list[PolicyLossOutput] = []
    loss = _PolicyLoss.apply(logp, holder, kwargs)
    return (loss, holder[0]) if return_output else loss


class GRPOLoss(torch.nn.Module):
    """A module holding a preset and options; calling it returns :func:`grpo_loss`.

    The metrics of the last call are in ``self.metrics``.

    Examples
    --------
    >>> import torch, grpo_c.torch as gt
    >>> criterion = gt.GRPOLoss(preset="verl", loss_agg_mode="seq-mean-token-mean")
    >>> logp = torch.full((2, 3), -0.7, requires_grad=True)
    >>> criterion(logp, logp.detach(), torch.tensor([1.0, -1.0]), torch.ones(2, 3)).item()
    0.0
    """

    def __init__(self, preset: str | None = "trl", **options: Any) -> None:
        super().__init__()
        for name in _PER_CALL_INPUTS.intersection(options):
            raise TypeError(f"{name}: a per-batch input, pass it when calling the module, "
                            "not to GRPOLoss()")
        check_loss_options(preset, options)
        self.preset = preset
        self.options = options
        self.metrics: dict = {}

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in {"preset": self.preset, **self.options}.items())

    def forward(self, logp: torch.Tensor, old_logp: torch.Tensor | None, advantages: torch.Tensor,
                mask: torch.Tensor | None = None, **inputs: Any) -> torch.Tensor:
        loss, out = grpo_loss(logp, old_logp, advantages, mask, preset=self.preset, return_output=True,
                              **self.options, **inputs)
        self.metrics = out.metrics
        return loss
