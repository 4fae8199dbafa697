"""Option resolution shared by the numeric front ends: presets, framework names, validation.

Each public function has one neutral vocabulary. A preset supplies that framework's defaults and
accepts its own option names (TRL's GRPOConfig fields, verl's actor/algorithm config keys,
OpenRLHF's CLI names), translated here; an unknown name, or a framework name given together with
the neutral name it sets, is an error rather than silently ignored.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, Mapping, TypeVar

_Plan = TypeVar("_Plan")

PRESETS = ("trl", "verl", "openrlhf")


def check_preset(preset: str | None) -> str | None:
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"preset: expected one of {', '.join(PRESETS)} or None, got {preset!r}")
    return preset


def resolve(
    func: str,
    preset: str | None,
    given: Mapping[str, Any],
    neutral_defaults: Mapping[str, Any],
    translators: Mapping[str | None, Callable[[dict, dict], dict]],
) -> dict:
    """Merge neutral defaults, the preset's defaults and framework names, then explicit names.

    ``translators[preset](framework_kwargs, neutral_kwargs)`` consumes the framework names it
    knows from its first argument and returns the neutral settings they imply (including the
    preset's own defaults); whatever is left in the first argument is unknown.
    """
    neutral = {k: v for k, v in given.items() if k in neutral_defaults}
    framework = {k: v for k, v in given.items() if k not in neutral_defaults}
    translated = translators[preset](framework, neutral)
    if framework:
        names = ", ".join(sorted(framework))
        where = f"preset={preset!r}" if preset else "preset=None (neutral names only)"
        raise TypeError(f"{func}: unknown option(s) {names} under {where}")
    resolved = dict(neutral_defaults)
    resolved.update(translated)
    resolved.update(neutral)
    return resolved


def plan_cache(build: Callable[..., _Plan]) -> Callable[..., _Plan]:
    """Memoises ``build(preset, options, *extra)``, since a training loop repeats the same
    options. Each value's type is part of the key (True == 1 must not reuse a plan validated for
    1); options holding unhashable values (arrays, lists) are resolved on every call. ``build``
    always gets a dict of its own."""

    @functools.lru_cache(maxsize=128)
    def cached(preset: str | None, items: tuple, *extra: Any) -> _Plan:
        return build(preset, {k: v for k, _, v in items}, *extra)

    @functools.wraps(build)
    def plan_for(preset: str | None, options: Mapping[str, Any], *extra: Any) -> _Plan:
        items = tuple(sorted((k, type(v), v) for k, v in options.items()))
        try:
            hash(items)
        except TypeError:
            return build(preset, dict(options), *extra)
        return cached(preset, items, *extra)

    return plan_for


def take(framework: dict, name: str, default: Any, neutral: Mapping[str, Any], *sets: str) -> Any:
    """Pop a framework option; it conflicts with an explicit neutral option it would set."""
    if name not in framework:
        return default
    clash = [s for s in sets if s in neutral]
    if clash:
        raise ValueError(f"options {name!r} and {clash[0]!r} both set the same thing; give one")
    return framework.pop(name)


def positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or not math.isfinite(value):
        raise ValueError(f"{name}: expected a positive finite number, got {value!r}")
    return float(value)


def nonnegative(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)


def positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return value


def choice(name: str, value: Any, allowed: tuple) -> Any:
    if value not in allowed:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, allowed))}, got {value!r}")
    return value
