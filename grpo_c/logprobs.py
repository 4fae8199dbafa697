"""Selected-token log-probabilities and entropies from logits, and their backward, in one read
of the logits per pass (the layer under the loss; ``grpo_c.torch.selective_log_softmax`` is its
autograd front end), and the GRPO loss fused with the linear head that makes the logits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from grpo_c import _core
from grpo_c._core import GRPOValueError
from grpo_c._options import positive
from grpo_c._threads import resolve_threads
from grpo_c.loss import policy_loss

__all__ = ["FusedLossOutput", "fused_linear_policy_loss", "logprobs", "logprobs_backward"]


def _rows(logits: Any, ids: Any, bf16: bool = False) -> tuple[np.ndarray, np.ndarray, tuple]:
    """The logits as (N, V) rows (a view, never a copy) and the ids as (N,) int64."""
    if not isinstance(logits, np.ndarray):
        raise TypeError(f"logits: expected a numpy array, got {type(logits).__name__}")
    if logits.ndim not in (2, 3):
        raise ValueError(f"logits: expected (N, V) or (B, T, V), got shape {logits.shape}")
    if not bf16 and logits.dtype not in (np.float32, np.float64):
        raise TypeError(f"logits: expected float32 or float64, got {logits.dtype}")
    if not logits.flags.c_contiguous:
        raise ValueError("logits: expected a C-contiguous array (the logits are read in place, never copied)")
    if logits.shape[-1] < 1:
        raise ValueError("logits: the vocabulary axis is empty")
    lead = logits.shape[:-1]
    ids_arr = np.asarray(ids)
    if ids_arr.dtype.kind not in "iu":
        raise TypeError(f"ids: expected integer token ids, got {ids_arr.dtype}")
    if ids_arr.shape != lead:
        raise ValueError(f"ids: expected shape {lead} (the logits' leading axes), got {ids_arr.shape}")
    return logits.reshape(-1, logits.shape[-1]), ids_arr.reshape(-1).astype(np.int64, copy=False), lead


def _checked(call, ids: np.ndarray, v: int):
    """Runs a core call, naming the first id outside [0, V) if the core refused one."""
    try:
        return call()
    except GRPOValueError:
        bad = ids[(ids < 0) | (ids >= v)]
        if bad.size:
            raise ValueError(f"ids: token ids must lie in [0, {v}), got {int(bad[0])}") from None
        raise


def logprobs(logits: np.ndarray, ids: Any, temperature: float = 1.0, return_entropy: bool = False,
             num_threads: int | None = None) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Log-probability of each selected token (and, on request, the entropy of each row) under
    ``softmax(logits / temperature)``, reading the logits once.

    Parameters
    ----------
    logits : numpy.ndarray, (N, V) or (B, T, V), float32 or float64, C-contiguous
        Read in place; never copied.
    ids : array_like of int, (N,) or (B, T)
        The token of each row, in [0, V).
    temperature : float
        The logits are divided by it (TRL and verl divide by the sampling temperature).
    return_entropy : bool
        Also return each row's entropy ``logsumexp(z) - sum softmax(z) z``.

    Returns
    -------
    numpy.ndarray, or (log-probs, entropies)
        Shaped like ``ids``, in the logits' dtype; sums run in double.

    Examples
    --------
    >>> import numpy as np, grpo_c
    >>> logits = np.log(np.array([[0.5, 0.25, 0.25]], np.float32))
    >>> grpo_c.logprobs(logits, [0]).round(6).tolist()
    [-0.693147]
    """
    rows, flat_ids, lead = _rows(logits, ids)
    t = positive("temperature", temperature)
    threads = resolve_threads(num_threads)
    logp, entropy, _ = _checked(
        lambda: _core.logprobs(rows, flat_ids, t, bool(return_entropy), False, threads), flat_ids, rows.shape[1])
    logp = logp.astype(logits.dtype, copy=False).reshape(lead)
    if return_entropy:
        return logp, entropy.astype(logits.dtype, copy=False).reshape(lead)
    return logp


def logprobs_backward(logits: np.ndarray, ids: Any, dlogp: Any = None, dentropy: Any = None,
                      temperature: float = 1.0, out: np.ndarray | None = None,
                      num_threads: int | None = None) -> np.ndarray:
    """dLoss/dlogits of a loss of :func:`logprobs`' outputs, from dLoss/dlogp and dLoss/dentropy
    (either may be None): ``(dlogp (onehot(id) - p) - dentropy p (z - E[z])) / temperature``.

    Two reads of the logits (the forward's row statistics, then the gradient); ``out`` (the
    logits' shape and dtype, C-contiguous) receives the result without an allocation.
    """
    rows, flat_ids, lead = _rows(logits, ids)
    t = positive("temperature", temperature)
    threads = resolve_threads(num_threads)
    n = rows.shape[0]
    grads = []
    for name, g in (("dlogp", dlogp), ("dentropy", dentropy)):
        if g is not None:
            g = np.asarray(g, dtype=np.float64)
            if g.shape != lead:
                raise ValueError(f"{name}: expected shape {lead}, got {g.shape}")
            g = g.reshape(n)
        grads.append(g)
    _, _, stats = _checked(lambda: _core.logprobs(rows, flat_ids, t, False, False, threads), flat_ids,
                           rows.shape[1])
    if out is None:
        out = np.empty_like(logits)
    elif (not isinstance(out, np.ndarray) or out.shape != logits.shape or out.dtype != logits.dtype
          or not out.flags.c_contiguous or not out.flags.writeable):
        raise ValueError(f"out: expected a writable C-contiguous array of shape {logits.shape} and dtype "
                         f"{logits.dtype}")
    _core.logprobs_backward(out.reshape(rows.shape), rows, flat_ids, grads[0], grads[1], stats, t, False, threads)
    return out


# ---------------------------------------------------------------------------------- the linear head

# logits of at most this many bytes at once: a tile that stays within the last-level cache's
# reach and keeps each sgemm large enough to run at full speed
_CHUNK_BYTES = 64 << 20


def _float32_rows(x: Any, name: str, width: int | None = None) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name}: expected a numpy array, got {type(x).__name__}")
    if x.dtype != np.float32:
        raise TypeError(f"{name}: expected float32 (the head runs on sgemm), got {x.dtype}")
    if not x.flags.c_contiguous:
        raise ValueError(f"{name}: expected a C-contiguous array (it is read in place)")
    if width is not None and (x.ndim < 2 or x.shape[-1] != width):
        raise ValueError(f"{name}: expected (..., {width}) to match the weight's H, got shape {x.shape}")
    return x.reshape(-1, x.shape[-1])


@dataclass
class FusedLossOutput:
    """Result of :func:`fused_linear_policy_loss`: the loss, its gradients with respect to the
    hidden states, the head's weight and bias (None without a bias), the metrics of
    :func:`grpo_c.policy_loss` and the per-token log-probs."""

    loss: float
    dhidden: np.ndarray
    dweight: np.ndarray
    dbias: np.ndarray | None
    metrics: dict
    logp: np.ndarray


def fused_linear_policy_loss(hidden: np.ndarray, weight: np.ndarray, ids: Any, old_logp: Any, advantages: Any,
                             mask: Any = None, *, bias: np.ndarray | None = None, temperature: float = 1.0,
                             ref_logp: Any = None, ref_hidden: np.ndarray | None = None,
                             ref_weight: np.ndarray | None = None, ref_bias: np.ndarray | None = None,
                             chunk_size: int | None = None, preset: str | None = "trl",
                             num_threads: int | None = None, **options: Any) -> FusedLossOutput:
    """The GRPO loss on the linear head's log-probs, without materialising the (tokens x V)
    logits: hidden (B, T, H) x weight (V, H)^T (+ bias) -> log-probs -> :func:`grpo_c.policy_loss`
    (every surrogate, KL, aggregation, preset and option, the same metrics) -> dhidden, dweight,
    dbias.

    Two passes over token chunks of ``chunk_size`` rows (default: 64 MiB of logits): the first
    computes each chunk's logits with one sgemm and their log-probs, the loss then sees every
    log-prob (so sequence-level ratios work), the second recomputes each chunk's logits, turns
    them into dlogits in place and accumulates dhidden and dweight with two sgemm. Peak extra
    memory is one chunk of logits and the (B, T) per-token arrays. Reference log-probs come as
    ``ref_logp`` or from ``ref_hidden`` with ``ref_weight`` / ``ref_bias`` (default: the
    policy's head), without gradient.

    Examples
    --------
    >>> import numpy as np, grpo_c
    >>> rng = np.random.default_rng(0)
    >>> hidden = rng.standard_normal((2, 3, 8), dtype=np.float32)
    >>> weight = rng.standard_normal((50, 8), dtype=np.float32)
    >>> ids = rng.integers(0, 50, (2, 3))
    >>> out = grpo_c.fused_linear_policy_loss(hidden, weight, ids, None, np.array([1.0, -1.0]))
    >>> out.dhidden.shape, out.dweight.shape
    ((2, 3, 8), (50, 8))
    """
    w = _float32_rows(weight, "weight")
    v, h = w.shape
    rows = _float32_rows(hidden, "hidden", h)
    lead = hidden.shape[:-1]
    if len(lead) != 2:
        raise ValueError(f"hidden: expected (B, T, H), got shape {hidden.shape}")
    ids_arr = np.asarray(ids)
    if ids_arr.dtype.kind not in "iu":
        raise TypeError(f"ids: expected integer token ids, got {ids_arr.dtype}")
    if ids_arr.shape != lead:
        raise ValueError(f"ids: expected shape {lead}, got {ids_arr.shape}")
    flat_ids = ids_arr.reshape(-1).astype(np.int64, copy=False)
    t = positive("temperature", temperature)
    threads = resolve_threads(num_threads)
    if chunk_size is None:
        chunk = max(1, _CHUNK_BYTES // (4 * v))
    else:
        chunk = chunk_size
        if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
            raise ValueError(f"chunk_size: expected a positive number of tokens, got {chunk_size!r}")
    for name, b in (("bias", bias), ("ref_bias", ref_bias)):
        if b is not None and (np.ndim(b) != 1 or _float32_rows(b, name).shape != (1, v)):
            raise ValueError(f"{name}: expected ({v},), got shape {np.shape(b)}")
    logp, _, stats = _checked(
        lambda: _core.linear_logprobs(rows, w, bias, flat_ids, t, False, int(chunk), threads), flat_ids, v)
    if ref_logp is None and ref_hidden is not None:
        ref_w = w if ref_weight is None else _float32_rows(ref_weight, "ref_weight")
        if ref_w.shape != w.shape:
            raise ValueError(f"ref_weight: expected shape {w.shape}, got {ref_w.shape}")
        ref_rows = _float32_rows(ref_hidden, "ref_hidden", h)
        if ref_hidden.shape != hidden.shape:
            raise ValueError(f"ref_hidden: expected shape {hidden.shape}, got {ref_hidden.shape}")
        ref_flat, _, _ = _core.linear_logprobs(ref_rows, ref_w, ref_bias if ref_weight is not None else bias,
                                               flat_ids, t, False, int(chunk), threads)
        ref_logp = ref_flat.reshape(lead)
    out = policy_loss(logp.reshape(lead), old_logp, advantages, mask, ref_logp=ref_logp, preset=preset,
                      num_threads=threads, **options)
    dhidden = np.zeros_like(hidden)
    dweight = np.zeros_like(weight)
    dbias = None if bias is None else np.zeros_like(bias)
    _core.linear_logprobs_backward(dhidden.reshape(rows.shape), dweight, dbias, rows, w, bias, flat_ids,
                                   out.grad.reshape(-1), None, stats, t, int(chunk), threads)
    return FusedLossOutput(out.loss, dhidden, dweight, dbias, out.metrics, logp.reshape(lead))
