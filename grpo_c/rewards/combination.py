"""Weighted combination of several reward functions' outputs, NaN-aware as TRL does it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["combine"]


def _matrix(rewards: Any) -> np.ndarray:
    if isinstance(rewards, Mapping):
        rewards = list(rewards.values())
    if isinstance(rewards, np.ndarray):
        if rewards.ndim != 2:
            raise ValueError(f"rewards: expected an (N, R) array, got shape {rewards.shape}")
        matrix = rewards
    elif isinstance(rewards, Sequence) and not isinstance(rewards, (str, bytes)):
        columns = []
        for r, column in enumerate(rewards):
            arr = np.asarray([np.nan if v is None else v for v in column]
                             if isinstance(column, (list, tuple)) else column)
            if arr.ndim != 1:
                raise ValueError(f"rewards[{r}]: expected a 1-d array, got shape {arr.shape}")
            columns.append(arr)
        lengths = {len(c) for c in columns}
        if len(lengths) > 1:
            raise ValueError(f"rewards: every reward needs one value per completion, got lengths "
                             f"{[len(c) for c in columns]}")
        n = lengths.pop() if lengths else 0
        matrix = np.stack(columns, axis=1) if columns else np.zeros((n, 0))
    else:
        raise TypeError(f"rewards: expected a list of arrays or an (N, R) array, got "
                        f"{type(rewards).__name__}")
    if matrix.dtype.kind not in "biuf":
        raise TypeError(f"rewards: expected numbers, got dtype {matrix.dtype}")
    return matrix.astype(np.float64, copy=False)


def combine(rewards: Any, weights: Any = None) -> np.ndarray:
    """Weighted sum of R rewards per completion, ignoring NaN (TRL's ``nansum``).

    A reward that is NaN for a completion (TRL's ``None``: "cannot judge") is left out of that
    completion's sum; a completion where every reward is NaN stays NaN, so that
    ``group_advantages`` can leave it out of its group's statistics, as TRL does.

    Parameters
    ----------
    rewards : list of R arrays of shape (N,), a mapping name -> array, or an (N, R) array
        ``None`` entries in lists are NaN.
    weights : array-like (R,), optional
        One finite weight per reward (TRL ``reward_weights``); all 1.0 by default.

    Returns
    -------
    numpy.ndarray of float64, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from grpo_c.rewards import combine
    >>> combine([[1.0, 0.0, None], [0.5, None, None]], weights=[1.0, 2.0]).tolist()
    [2.0, 0.0, nan]
    """
    matrix = _matrix(rewards)
    n, r = matrix.shape
    if weights is None:
        w = np.ones(r)
    else:
        if isinstance(weights, Mapping):
            weights = list(weights.values())
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (r,):
            raise ValueError(f"weights: expected {r} weights (one per reward), got shape {w.shape}")
        if not np.isfinite(w).all():
            raise ValueError(f"weights: expected finite numbers, got {w.tolist()}")
    if r == 0:
        return np.full(n, np.nan)
    weighted = matrix * w
    out = np.nansum(weighted, axis=1)
    out[np.isnan(matrix).all(axis=1)] = np.nan
    return out
