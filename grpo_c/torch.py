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

from grpo_c import _core
from grpo_c._options import positive
from grpo_c._threads import resolve_threads
from grpo_c.logprobs import _checked, fused_linear_policy_loss
from grpo_c.loss import PolicyLossOutput, check_loss_options, policy_loss

__all__ = ["GRPOLoss", "entropy_from_logits", "fused_linear_grpo_loss", "grpo_loss", "selective_log_softmax",
           "selective_log_softmax_and_entropy"]

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


# ---------------------------------------------------------------------------------- log-probs


def _logits_rows(logits: torch.Tensor) -> tuple[np.ndarray, bool]:
    """(N, V) NumPy view of CPU logits, read in place: float32/float64 as they are, bfloat16 as
    its 16-bit pattern (the kernel widens each element to float32 itself)."""
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"logits: expected a torch.Tensor, got {type(logits).__name__}")
    if logits.dtype not in (torch.float32, torch.float64, torch.bfloat16):
        raise TypeError(f"logits: expected float32, float64 or bfloat16, got {logits.dtype}")
    if logits.device.type != "cpu":
        raise ValueError(f"logits: expected a CPU tensor, got one on {logits.device}")
    if logits.dim() < 2:
        raise ValueError(f"logits: expected (..., V), got shape {tuple(logits.shape)}")
    if not logits.is_contiguous():
        raise ValueError("logits: expected a contiguous tensor (they are read in place; call .contiguous() "
                         "if a copy is what you want)")
    rows = logits.detach().reshape(-1, logits.shape[-1])
    bf16 = logits.dtype == torch.bfloat16
    return (rows.view(torch.int16) if bf16 else rows).numpy(), bf16


def _row_ids(index: torch.Tensor | None, logits: torch.Tensor) -> np.ndarray:
    lead = tuple(logits.shape[:-1])
    if index is None:   # the entropy alone: any token will do
        return np.zeros(int(np.prod(lead)), np.int64)
    if not isinstance(index, torch.Tensor) or index.is_floating_point() or index.is_complex():
        raise TypeError("index: expected an integer torch.Tensor of token ids")
    if tuple(index.shape) != lead:
        raise ValueError(f"index: expected shape {lead} (the logits' leading axes), got {tuple(index.shape)}")
    return index.detach().cpu().reshape(-1).to(torch.int64).numpy()


def _per_row(grad: torch.Tensor | None) -> np.ndarray | None:
    return None if grad is None else grad.detach().reshape(-1).to(torch.float64).numpy()


class _LogProbs(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits, index, temperature, want_entropy):
        rows, bf16 = _logits_rows(logits)
        ids = _row_ids(index, logits)
        threads = resolve_threads(None)
        logp, entropy, stats = _checked(
            lambda: _core.logprobs(rows, ids, temperature, want_entropy, bf16, threads), ids, rows.shape[1])
        ctx.save_for_backward(logits)
        ctx.state = (ids, stats, temperature, bf16)
        lead = logits.shape[:-1]
        out = torch.from_numpy(logp).to(logits.dtype).reshape(lead)
        ent = torch.from_numpy(entropy).to(logits.dtype).reshape(lead) if want_entropy else logits.new_empty(0)
        if not want_entropy:
            ctx.mark_non_differentiable(ent)
        return out, ent

    @staticmethod
    def backward(ctx, grad_logp, grad_entropy):
        (logits,) = ctx.saved_tensors
        ids, stats, temperature, bf16 = ctx.state
        rows, _ = _logits_rows(logits)
        # NumPy's allocation of a large array asks the kernel for huge pages: a fresh gradient
        # the size of the logits faults in several times faster than torch.empty_like's
        out = np.empty(rows.shape, rows.dtype)
        dlogits = torch.from_numpy(out).reshape(logits.shape)
        if bf16:
            dlogits = dlogits.view(torch.bfloat16)
        dentropy = _per_row(grad_entropy) if grad_entropy is not None and grad_entropy.numel() else None
        _core.logprobs_backward(out, rows, ids, _per_row(grad_logp), dentropy, stats, temperature, bf16,
                                resolve_threads(None))
        return dlogits, None, None, None


def selective_log_softmax(logits: torch.Tensor, index: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """``log_softmax(logits / temperature).gather(-1, index)`` as TRL's ``selective_log_softmax``
    computes it, reading the logits once and never materialising the log-softmax.

    ``logits`` (..., V) float32, float64 or bfloat16 on the CPU (bfloat16 is computed in float32
    and the result rounded to bfloat16, as TRL returns it); ``index`` (...) token ids. The
    backward is exact (one more read of the logits, written straight into their gradient).

    Examples
    --------
    >>> import torch, grpo_c.torch as gt
    >>> logits = torch.log(torch.tensor([[0.5, 0.25, 0.25]]))
    >>> round(gt.selective_log_softmax(logits, torch.tensor([0])).item(), 6)
    -0.693147
    """
    return _LogProbs.apply(logits, index, positive("temperature", temperature), False)[0]


def selective_log_softmax_and_entropy(logits: torch.Tensor, index: torch.Tensor,
                                      temperature: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """The selected log-probs and each position's entropy (TRL's ``entropy_from_logits``) in
    one read of the logits, both differentiable."""
    return _LogProbs.apply(logits, index, positive("temperature", temperature), True)


def entropy_from_logits(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Each position's entropy ``logsumexp(z) - sum softmax(z) z``, z = logits / temperature, as
    TRL's ``entropy_from_logits``, differentiable."""
    return _LogProbs.apply(logits, None, positive("temperature", temperature), True)[1]


# ---------------------------------------------------------------------------------- the fused lm-head loss


class _FusedLinearLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, hidden, weight, bias, holder, kwargs):
        out = fused_linear_policy_loss(hidden.detach().numpy(), weight.detach().numpy(),
                                       bias=None if bias is None else bias.detach().numpy(), **kwargs)
        holder.append(out)
        ctx.grads = (torch.from_numpy(out.dhidden), torch.from_numpy(out.dweight),
                     None if out.dbias is None else torch.from_numpy(out.dbias))
        return torch.tensor(out.loss, dtype=torch.float32)

    @staticmethod
    def backward(ctx, grad_output):
        scale = grad_output.item()
        dh, dw, db = (None if g is None else (g if scale == 1.0 else g * scale) for g in ctx.grads)
        return dh, dw, db, None, None


def fused_linear_grpo_loss(hidden: torch.Tensor, weight: torch.Tensor, ids: torch.Tensor, old_logp: Any,
                           advantages: Any, mask: Any = None, *, bias: torch.Tensor | None = None,
                           return_output: bool = False, **options: Any):
    """:func:`grpo_c.fused_linear_policy_loss` as a differentiable loss of ``hidden``, ``weight``
    and ``bias`` (float32 CPU tensors, contiguous): ``loss.backward()`` accumulates the fused
    gradients into their ``.grad``; the logits are never materialised. Takes every option of
    the fused loss (``temperature``, ``ref_logp``, ``ref_hidden``, ``chunk_size``, ``preset`` and
    the policy-loss options); ``return_output=True`` also returns its
    :class:`grpo_c.FusedLossOutput` (metrics, per-token log-probs).

    Examples
    --------
    >>> import torch, grpo_c.torch as gt
    >>> hidden = torch.randn(2, 3, 8, requires_grad=True)
    >>> weight = torch.randn(50, 8, requires_grad=True)
    >>> loss = gt.fused_linear_grpo_loss(hidden, weight, torch.randint(0, 50, (2, 3)), None, torch.tensor([1.0, -1.0]))
    >>> loss.backward(); hidden.grad.shape, weight.grad.shape
    (torch.Size([2, 3, 8]), torch.Size([50, 8]))
    """
    for name, x in (("hidden", hidden), ("weight", weight), ("bias", bias)):
        if x is None:
            continue
        if not isinstance(x, torch.Tensor) or x.dtype != torch.float32:
            raise TypeError(f"{name}: expected a float32 torch.Tensor")
        if x.device.type != "cpu":
            raise ValueError(f"{name}: expected a CPU tensor, got one on {x.device}")
        if not x.is_contiguous():
            raise ValueError(f"{name}: expected a contiguous tensor (it is read in place)")
    kwargs = {k: _host(v) for k, v in options.items()}
    kwargs.update(ids=_host(ids), old_logp=_host(old_logp), advantages=_host(advantages), mask=_host(mask))
    holder: list = []
    loss = _FusedLinearLoss.apply(hidden, weight, bias, holder, kwargs)
    return (loss, holder[0]) if return_output else loss
