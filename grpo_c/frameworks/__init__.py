"""What each framework means, one module per framework: ``trl``, ``verl``, ``openrlhf``.

A framework module holds its option names and defaults for the advantages and the loss (each
translated into the neutral options of :func:`grpo_c.group_advantages` and
:func:`grpo_c.policy_loss`), the metric names it logs, its quirks, and its reward functions'
calling convention. The numeric modules know no framework: a preset is looked up here.

Each module provides:

``GROUP_SIZE_OPTION``
    The framework's name for the group size (or None).
``advantage_options(framework, neutral) -> dict``
    Pops the framework-named advantage options it knows from ``framework`` and returns the
    neutral settings they imply, the framework's defaults included; ``neutral`` holds the
    neutral options given explicitly (a framework option may not set one of them too).
``loss_options(framework, neutral, has_rollout) -> dict``
    The same for the loss; ``has_rollout`` says whether rollout log-probs came with the batch.
``loss_metrics(raw, call) -> dict``
    The core's neutral metrics under the framework's own names, from a :class:`LossCall`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

PRESETS = ("trl", "verl", "openrlhf")


def framework(preset: str | None) -> ModuleType | None:
    """The framework module of a preset name; None for None (neutral names only)."""
    if preset is None:
        return None
    if preset not in PRESETS:
        raise ValueError(f"preset: expected one of {', '.join(PRESETS)} or None, got {preset!r}")
    return importlib.import_module(f"grpo_c.frameworks.{preset}")


@dataclass(frozen=True)
class LossCall:
    """One policy-loss call as a framework's metrics see it: the resolved neutral options, the
    options as given (framework names included) and the batch, after the core accepted it
    (``mask``: a checked 0/1 (B, T) array-like, or None for all ones; ``old_logp``: the ratio's
    baseline, None when on-policy; ``given_old_logp``: old_logp as passed, which differs from the
    baseline when the ratio is taken against the rollout's log-probs)."""

    neutral: dict
    given: dict
    logp: np.ndarray
    old_logp: Any
    given_old_logp: Any
    advantages: np.ndarray
    mask: Any
    entropies: Any

    def token_mask(self) -> np.ndarray:
        """The mask as a (B, T) bool array."""
        return np.ones(self.logp.shape, bool) if self.mask is None else np.asarray(self.mask).astype(bool)
