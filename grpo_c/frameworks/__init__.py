"""What each framework means, one module per framework: ``trl``, ``verl``, ``openrlhf``.

A framework module holds its option names and defaults for the advantages and the loss (each
translated into the neutral options of :func:`grpo_c.group_advantages` and
:func:`grpo_c.policy_loss`), the metric names it logs, its quirks, and its reward functions'
calling convention. The numeric modules know no framework: a preset is looked up here.

Each module provides:

``RELEASE``
    The release the plain preset name follows (``"1.16.0"``).
``RELEASES``
    ``{formulas: (first, last)}``: each set of formulas the module offers (``RELEASE`` and the
    older ones still in use) and the span of releases, as (major, minor) pairs, that computed
    them; ``preset="trl==1.5"`` picks the set whose span holds 1.5.
``GROUP_SIZE_OPTION``
    The framework's name for the group size (or None).
``advantage_options(framework, neutral) -> dict``
    Pops the framework-named advantage options it knows from ``framework`` and returns the
    neutral settings they imply, the framework's defaults included; ``neutral`` holds the
    neutral options given explicitly (a framework option may not set one of them too).
``loss_options(framework, neutral, has_rollout, release) -> dict``
    The same for the loss; ``has_rollout`` says whether rollout log-probs came with the batch,
    ``release`` is a key of ``RELEASES``.
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


@dataclass(frozen=True)
class Framework:
    """A preset: its framework module and the release whose formulas it follows."""

    module: ModuleType
    release: str

    @property
    def group_size_option(self) -> str | None:
        return self.module.GROUP_SIZE_OPTION

    def advantage_options(self, fw: dict, nt: dict) -> dict:
        return self.module.advantage_options(fw, nt)

    def loss_options(self, fw: dict, nt: dict, has_rollout: bool) -> dict:
        return self.module.loss_options(fw, nt, has_rollout, self.release)

    def loss_metrics(self, raw: dict, call: "LossCall") -> dict:
        return self.module.loss_metrics(raw, call)


def framework(preset: str | None) -> Framework | None:
    """The framework of a preset name, ``"trl"`` or ``"trl==1.9"``; None for None (neutral
    names only)."""
    if preset is None:
        return None
    name, pinned, release = preset.partition("==") if isinstance(preset, str) else (preset, "", "")
    if name not in PRESETS:
        raise ValueError(f"preset: expected one of {', '.join(PRESETS)} (optionally 'name==release') "
                         f"or None, got {preset!r}")
    module = importlib.import_module(f"grpo_c.frameworks.{name}")
    if not pinned:
        return Framework(module, module.RELEASE)
    return Framework(module, _release(name, module, release, preset))


def _release(name: str, module: ModuleType, release: str, preset: str) -> str:
    """The formula set whose span of releases holds ``release``."""
    try:
        wanted = tuple(int(part) for part in release.split(".")[:2])
    except ValueError:
        wanted = ()
    for formulas, (first, last) in module.RELEASES.items():
        if len(wanted) == 2 and first <= wanted <= last:
            return formulas
    spans = ", ".join(f"{a[0]}.{a[1]}-{b[0]}.{b[1]}" for a, b in module.RELEASES.values())
    raise ValueError(f"preset: {preset!r} names a release grpo_c does not follow; the {name} preset "
                     f"follows releases {spans}")


@dataclass(frozen=True)
class LossCall:
    """One policy-loss call as a framework's metrics see it: the resolved neutral options, the
    options as given (framework names included) and the batch, after the core accepted it
    (``mask``: a checked 0/1 (B, T) array-like, or None for all ones; ``old_logp``: the ratio's
    baseline, None when on-policy; ``given_old_logp``: old_logp as passed, which differs from the
    baseline when the ratio is taken against the rollout's log-probs; ``policy_mask``: the
    (B, T) mask of the policy term, or None; ``ref_logp``, ``rollout_logp``: as passed)."""

    neutral: dict
    given: dict
    logp: np.ndarray
    old_logp: Any
    given_old_logp: Any
    advantages: np.ndarray
    mask: Any
    entropies: Any
    policy_mask: Any = None
    ref_logp: Any = None
    rollout_logp: Any = None

    def token_mask(self) -> np.ndarray:
        """The mask as a (B, T) bool array."""
        return np.ones(self.logp.shape, bool) if self.mask is None else np.asarray(self.mask).astype(bool)
