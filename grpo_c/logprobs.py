"""Selected-token log-probabilities and entropies from logits, and their backward, in one read
of the logits per pass (the layer under the loss; ``grpo_c.torch.selective_log_softmax`` is its
autograd front end)."""

from __future__ import annotations

from typing import Any

import numpy as np

from grpo_c import _core
from grpo_c._core import GRPOValueError
from grpo_c._options import positive
from grpo_c._threads import resolve_threads

__all__ = ["logprobs", "logprobs_backward"]


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
