"""Group-relative advantages (GRPO and relatives) and mergeable group statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from grpo_c import _core
from grpo_c._core import GRPOValueError
from grpo_c._options import choice, plan_cache, positive, positive_int, resolve
from grpo_c.frameworks import framework
from grpo_c._threads import resolve_threads

__all__ = ["GroupStats", "group_stats", "group_advantages"]

# Codes of the core's enum options by name (the order of the core's name tables), plus the two
# the Python layer adds: "reinforce_baseline" (GRPO statistics, then token whitening) and
# singleton "error".
_CODES = {option: {name: code for code, name in enumerate(names)}
          for option, names in _core.advantage_option_names().items()}
_ESTIMATORS = (*_CODES["estimator"], "reinforce_baseline")
_SINGLETONS = (*_CODES["singleton"], "error")

_DIRECT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

# The core's defaults, and the options the Python layer handles itself.
_NEUTRAL = {
    **_core.advantage_defaults(),
    "weights": None,
    "multi_objective": "sum_then_normalize",
    "lengths": None,
    "mask": None,
    "whiten_ddof": 1,
    "whiten_eps": 1e-8,
    "whiten_eps_mode": "add",
    "whiten_std": True,
    "clip": None,
    "stats": None,
    "dtype": None,
}


@dataclass(frozen=True)
class GroupStats:
    """Per-group count, sum and M2 (sum of squared deviations) of the scorable rewards.

    Statistics of shards of the same groups merge exactly (:meth:`merge`), so a distributed
    trainer can all-gather them and normalise every rank's rewards by the global group
    statistics. ``count`` is int64 (G,); ``sum`` and ``m2`` are float64 (G,).
    """

    count: np.ndarray
    sum: np.ndarray
    m2: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.sum / self.count

    def std(self, ddof: int = 1) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.sqrt(self.m2 / (self.count - ddof))

    def merge(self, other: "GroupStats") -> "GroupStats":
        """The statistics of the union of both shards (Chan et al.'s update, exact in double)."""
        if not isinstance(other, GroupStats):
            raise TypeError(f"other: expected GroupStats, got {type(other).__name__}")
        if other.count.shape != self.count.shape:
            raise ValueError(f"other: expected {self.count.shape[0]} groups, got {other.count.shape[0]}")
        return GroupStats(*_core.merge_group_stats(self.count, self.sum, self.m2,
                                                   other.count, other.sum, other.m2))

    @staticmethod
    def merge_all(shards: Sequence["GroupStats"]) -> "GroupStats":
        """Merge shards in the order given (that order fixes the rounding, so keep it stable)."""
        if not shards:
            raise ValueError("shards: expected at least one GroupStats")
        merged = shards[0]
        for shard in shards[1:]:
            merged = merged.merge(shard)
        return merged


def _groups(n: int, group_size: int | None, group_ids: Any, num_groups: int | None):
    """(group index array or None, group size, number of groups) from either form."""
    if (group_size is None) == (group_ids is None):
        raise ValueError("give exactly one of group_size (contiguous groups) or group_ids")
    if group_ids is None:
        group_size = positive_int("group_size", group_size)
        if n % group_size:
            raise ValueError(f"group_size: {group_size} does not divide the {n} rewards")
        return None, group_size, n // group_size
    ids = np.asarray(group_ids)
    if ids.ndim != 1 or ids.shape[0] != n:
        raise ValueError(f"group_ids: expected shape ({n},), got {ids.shape}")
    if ids.dtype.kind in "iu" and num_groups is not None:
        num_groups = positive_int("num_groups", num_groups)
        if n and (ids.min() < 0 or ids.max() >= num_groups):
            bad = ids[(ids < 0) | (ids >= num_groups)][0]
            raise ValueError(f"group_ids: index {bad} is outside [0, {num_groups})")
        return ids.astype(np.int64, copy=False), 0, num_groups
    if num_groups is not None:
        raise ValueError("num_groups: only valid with integer group_ids in [0, num_groups)")
    if ids.dtype.kind in "iu" and n and ids.min() >= 0 and ids.max() < n:
        return ids.astype(np.int64, copy=False), 0, int(ids.max()) + 1
    _, inverse = np.unique(ids, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64)
    return inverse, 0, int(inverse.max()) + 1 if n else 0


def _rewards_1d(rewards: Any) -> np.ndarray:
    arr = np.asarray(rewards)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"rewards: expected a numeric array, got dtype {arr.dtype}")
    return arr


def group_stats(rewards, group_size: int | None = None, group_ids=None, *,
                num_groups: int | None = None) -> GroupStats:
    """Mergeable per-group statistics (count, sum, M2) of the scorable (non-NaN) rewards.

    Parameters
    ----------
    rewards : array_like, shape (N,)
    group_size : int, optional
        Contiguous groups of this size (TRL's layout). Exclusive with ``group_ids``.
    group_ids : array_like, shape (N,), optional
        Any labels; integers in ``[0, num_groups)`` index the groups directly, which is what
        makes shards of a distributed batch line up for :meth:`GroupStats.merge`.
    num_groups : int, optional
        Number of groups when ``group_ids`` are integer indices (default: max + 1).

    Examples
    --------
    >>> import numpy as np, grpo_c
    >>> a = grpo_c.group_stats([1.0, 0.0], group_ids=[0, 1], num_groups=2)
    >>> b = grpo_c.group_stats([1.0, 1.0], group_ids=[0, 1], num_groups=2)
    >>> a.merge(b).mean.tolist()
    [1.0, 0.5]
    """
    arr = _rewards_1d(rewards)
    if arr.ndim != 1:
        raise ValueError(f"rewards: expected a 1-d array, got shape {arr.shape}")
    index, size, groups = _groups(arr.shape[0], group_size, group_ids, num_groups)
    return GroupStats(*_core.group_stats(arr, index, size, groups))


def _combine(rewards: np.ndarray, weights: Any, multi_objective: str, index, size, groups,
             eps: float) -> np.ndarray:
    """(N, R) rewards to (N,) the way TRL does: weighted NaN-aware sum, or per-function group
    z-scores summed then a batch z-score (GDPO). A row with no scorable reward stays NaN."""
    r = rewards.shape[1]
    w = np.ones(r) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (r,):
        raise ValueError(f"weights: expected {r} weights (one per reward function), got shape {w.shape}")
    choice("multi_objective", multi_objective, ("sum_then_normalize", "normalize_then_sum"))
    cols = rewards.astype(np.float64, copy=False)
    # unscorable = no function judged the row; a NaN z-score of a judged row (its group had one
    # judged member) counts as 0 in the sum, as in TRL
    unscorable = np.isnan(cols).all(axis=1)
    if multi_objective == "normalize_then_sum":
        zs = np.empty_like(cols)
        for k in range(r):
            stats = GroupStats(*_core.group_stats(np.ascontiguousarray(cols[:, k]), index, size, groups))
            zs[:, k] = _core.group_advantages(np.ascontiguousarray(cols[:, k]), index, size, groups,
                                              stats.count, stats.sum, stats.m2, None, 0, 0, 0, 0, eps, 1)
            zs[np.isnan(cols[:, k]), k] = np.nan
            # A column whose group std is NaN (one scorable member) gives NaN z-scores in TRL.
            std = stats.std(1)
            gidx = np.arange(cols.shape[0]) // size if index is None else index
            zs[np.isnan(std[gidx]), k] = np.nan
        cols = zs
    combined = np.nansum(cols * w, axis=1)
    combined[unscorable] = np.nan
    return combined


def group_advantages(rewards, group_size: int | None = None, group_ids=None, *,
                     preset: str | None = "trl", num_groups: int | None = None,
                     num_threads: int | None = None, **options: Any) -> np.ndarray:
    """Group-relative advantages: each reward against its own group's statistics.

    Parameters
    ----------
    rewards : array_like, shape (N,) or (N, R)
        One reward per completion, or one per reward function (combined with ``weights``,
        NaN-aware, as TRL does). NaN marks an unscorable reward (TRL's None): it is left out of
        every statistic and its row gets advantage 0.
    group_size : int, optional
        Completions per prompt, in contiguous blocks. Exclusive with ``group_ids``. Under
        ``preset="trl"`` also accepted as ``num_generations``; ``"openrlhf"``:
        ``n_samples_per_prompt``.
    group_ids : array_like, shape (N,), optional
        The group of each row in any order (verl's ``index``/``uid``).
    num_threads : int, optional
        Threads for the contiguous GRPO case (default: :func:`grpo_c.get_num_threads`); the
        result is the same for any count.
    preset : {"trl", "verl", "openrlhf", None}, or "name==release"
        Sets every default to that framework's and accepts its option names: TRL
        ``scale_rewards``, ``reward_weights``, ``multi_objective_aggregation``; verl
        ``adv_estimator``, ``norm_adv_by_std_in_grpo``, ``epsilon``; OpenRLHF
        ``advantage_estimator``.
    **options
        Neutral names: ``estimator`` ("grpo", "rloo", "opo", "gpg", "passk",
        "reinforce_baseline"), ``scale`` ("group", "batch", "none"), ``eps``, ``ddof``,
        ``std_mode`` ("plus_eps" or verl-vectorized "floor_plus_eps"), ``singleton`` ("zero",
        "raw" = mean 0 and std 1 as verl, "error"), ``clip`` ((lo, hi) bounds of the per-row
        advantage, OpenRLHF's ``reward_clip_range``), ``weights``, ``multi_objective``,
        ``lengths`` (OPO), ``mask`` ((N, T), token whitening for "reinforce_baseline" and the
        default OPO lengths), ``whiten_ddof``, ``whiten_eps``, ``whiten_eps_mode`` ("add" or
        "floor"), ``stats`` (a merged :class:`GroupStats`, for distributed batches), ``dtype``
        (of the result: "float32" or "float64"; default float32 for float32 rewards, as torch
        gives, float64 otherwise). Statistics are computed in float64 either way; float32
        advantages of float32 rewards take the last step, (r - mean) / (std + eps), in float on
        a two-float mean (at most 2.4e-7 relative from the float64 result).

    Returns
    -------
    numpy.ndarray
        Advantages, shape (N,); (N, T) for "reinforce_baseline" (token-whitened).

    Examples
    --------
    >>> import grpo_c
    >>> grpo_c.group_advantages([1.0, 0.0, 0.0, 1.0], group_size=2).round(4).tolist()
    [0.707, -0.707, -0.707, 0.707]
    """
    plan = _plan_for(preset, options)
    if plan.group_size is not None:
        if group_size is not None:
            raise ValueError(f"options 'group_size' and {plan.group_size_option!r} both set the group size")
        group_size = plan.group_size
    if (plan.direct and group_ids is None and type(rewards) is np.ndarray and rewards.ndim == 1
            and rewards.dtype in _DIRECT_DTYPES and rewards.size):
        # the common call, straight to the core (which checks the array's layout)
        n = rewards.shape[0]
        if type(group_size) is not int or group_size < 1 or n % group_size:
            _, group_size, _ = _groups(n, group_size, None, num_groups)   # or raises
        return _core.group_advantages(rewards, None, group_size, n // group_size, None, None, None,
                                      None, *plan.direct, rewards.dtype == np.float32,
                                      resolve_threads(num_threads))
    opts, estimator, scale, singleton, eps = plan.opts, plan.estimator, plan.scale, plan.singleton, plan.eps

    arr = _rewards_1d(rewards)
    if arr.ndim not in (1, 2):
        raise ValueError(f"rewards: expected shape (N,) or (N, R), got {arr.shape}")
    n = arr.shape[0]
    if n == 0:   # no rows, no groups: an empty result, as the rewards give for no completions
        if group_size is not None:
            positive_int("group_size", group_size)
        width = () if opts["mask"] is None else np.shape(opts["mask"])[1:]
        return np.zeros((0, *width), np.float32 if _out_is_f32(opts["dtype"], arr.dtype) else np.float64)
    index, size, groups = _groups(n, group_size, group_ids, num_groups)
    if arr.ndim == 2:
        arr = _combine(arr, opts["weights"], opts["multi_objective"], index, size, groups, eps)
        if opts["multi_objective"] == "normalize_then_sum":
            # GDPO: the summed per-function z-scores get one batch-level z-score
            index, size, groups, scale = None, n, 1, "group"
    elif opts["weights"] is not None:
        raise ValueError("weights: only meaningful for (N, R) rewards")
    out_f32 = _out_is_f32(opts["dtype"], arr.dtype)
    if arr.dtype != np.float32:   # the core reads float32 itself
        arr = np.ascontiguousarray(arr, dtype=np.float64)

    stats = opts["stats"]
    if stats is not None and (not isinstance(stats, GroupStats) or stats.count.shape != (groups,)):
        raise ValueError(f"stats: expected a GroupStats over {groups} groups")
    if stats is None and (singleton == "error" or estimator == "passk"):
        stats = GroupStats(*_core.group_stats(arr, index, size, groups))
    if singleton == "error" and np.any(stats.count == 1):
        raise ValueError("rewards: a group has a single scorable reward (singleton='error'); "
                         "group estimators need at least 2 per group")
    if estimator == "passk" and np.any(stats.count < 2):
        raise ValueError("rewards: pass@k needs at least 2 scorable rewards per group")
    count, total, m2 = (None, None, None) if stats is None else (stats.count, stats.sum, stats.m2)

    mask = opts["mask"]
    if mask is not None:
        mask = np.asarray(mask)
        if mask.ndim != 2 or mask.shape[0] != n:
            raise ValueError(f"mask: expected shape ({n}, T), got {mask.shape}")
        mask = mask.astype(bool).view(np.uint8) if mask.dtype != np.uint8 else mask
    lengths = opts["lengths"]
    if estimator == "opo" and lengths is None:
        if mask is None:
            raise ValueError("lengths: OPO needs completion lengths (lengths= or mask=)")
        lengths = mask.sum(axis=1)

    core_estimator = _CODES["estimator"].get(estimator, _CODES["estimator"]["grpo"])
    core_scale = _CODES["scale"][scale if estimator != "reinforce_baseline" else "none"]
    # results that are post-processed below stay float64 until the end
    post = opts["clip"] is not None or estimator == "reinforce_baseline"
    adv = _core.group_advantages(arr, index, size, groups, count, total, m2, lengths,
                                 core_estimator, core_scale, _CODES["std_mode"][plan.std_mode],
                                 _CODES["singleton"].get(singleton, 0), eps, plan.ddof, out_f32 and not post,
                                 resolve_threads(num_threads))
    if opts["clip"] is not None:
        lo, hi = opts["clip"]
        if not lo <= hi:
            raise ValueError(f"clip: the bounds (lo, hi) = {opts['clip']!r} are inverted")
        np.clip(adv, lo, hi, out=adv)
    if estimator == "reinforce_baseline":
        if mask is None:
            raise ValueError("mask: reinforce_baseline whitens over tokens and needs the (N, T) mask")
        mode = choice("whiten_eps_mode", opts["whiten_eps_mode"], ("add", "floor"))
        if opts["whiten_std"]:
            ddof = choice("whiten_ddof", opts["whiten_ddof"], (0, 1))
            try:
                adv = _core.whiten_tokens(adv, mask, ddof, positive("whiten_eps", opts["whiten_eps"]),
                                          mode == "floor")
            except GRPOValueError:
                if ddof != 1:
                    raise
                raise ValueError("mask: whitening with whiten_ddof=1 (verl's unbiased variance) needs at "
                                 "least two response tokens in the batch") from None
        else:
            on = mask.astype(bool)
            tokens = max(int(on.sum()), 1)
            adv = np.where(on, adv[:, None] - (adv[:, None] * on).sum() / tokens, 0.0)
    return adv.astype(np.float32) if out_f32 and adv.dtype != np.float32 else adv


@dataclass(frozen=True)
class _Plan:
    """Resolved, validated options of one group_advantages configuration."""

    opts: dict
    estimator: str
    scale: str
    std_mode: str
    singleton: str
    eps: float
    ddof: int
    group_size: int | None   # given under the preset's own name (num_generations, ...)
    group_size_option: str | None
    # the core's (estimator, scale, std_mode, singleton, eps, ddof) when no option needs Python
    direct: tuple | None


def _plan(preset: str | None, options: dict) -> _Plan:
    module = framework(preset)
    group_size = None
    size_option = None if module is None else module.group_size_option
    if size_option in options:
        group_size = options.pop(size_option)
    translate = (lambda fw, nt: {}) if module is None else module.advantage_options
    opts = resolve("group_advantages", preset, options, _NEUTRAL, translate)
    with opts.named_as_given():
        return _validated_plan(opts, group_size, size_option)


def _validated_plan(opts: dict, group_size: int | None, size_option: str | None) -> _Plan:
    estimator = choice("estimator", opts["estimator"], _ESTIMATORS)
    scale = choice("scale", opts["scale"], tuple(_CODES["scale"]))
    std_mode = choice("std_mode", opts["std_mode"], tuple(_CODES["std_mode"]))
    singleton = choice("singleton", opts["singleton"], _SINGLETONS)
    eps = positive("eps", opts["eps"])
    ddof = choice("ddof", opts["ddof"], (0, 1))
    python_side = ("weights", "lengths", "mask", "stats", "clip", "dtype")
    direct = None
    if estimator in ("grpo", "rloo", "gpg") and singleton != "error" and all(opts[k] is None for k in python_side):
        direct = (_CODES["estimator"][estimator], _CODES["scale"][scale], _CODES["std_mode"][std_mode],
                  _CODES["singleton"][singleton], eps, ddof)
    return _Plan(opts=opts, estimator=estimator, scale=scale, std_mode=std_mode, singleton=singleton,
                 eps=eps, ddof=ddof, group_size=group_size, group_size_option=size_option, direct=direct)


# the resolved, validated options of a call (array-valued options are resolved every time)
_plan_for = plan_cache(_plan)


def _out_is_f32(dtype: Any, rewards_dtype: np.dtype) -> bool:
    """Whether the result is float32: asked for, or by default for float32 rewards."""
    if dtype is None:
        return rewards_dtype == np.float32
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    # (np.dtype compares equal to None, so None is tested by identity)
    if resolved is None or resolved not in _DIRECT_DTYPES:
        raise ValueError(f"dtype: expected float32, float64 or None, got {dtype!r}")
    return resolved == np.float32
