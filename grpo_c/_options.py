"""Option resolution shared by the numeric front ends: merging, validation helpers.

Each public function has one neutral vocabulary. A preset supplies that framework's defaults and
accepts its own option names (TRL's GRPOConfig fields, verl's actor/algorithm config keys,
OpenRLHF's CLI names), translated by its module in grpo_c.frameworks; an unknown name, or a
framework name given together with the neutral name it sets, is an error rather than silently
ignored.
"""

from __future__ import annotations

import contextlib
import functools
import math
from typing import Any, Callable, Mapping, TypeVar

_Plan = TypeVar("_Plan")

def resolve(
    func: str,
    preset: str | None,
    given: Mapping[str, Any],
    neutral_defaults: Mapping[str, Any],
    translate: Callable[[dict, dict], dict],
) -> dict:
    """Merge neutral defaults, the preset's defaults and framework names, then explicit names.

    ``translate(framework_kwargs, neutral_kwargs)`` (a framework module's translator) consumes
    the framework names it knows from its first argument and returns the neutral settings they
    imply (including the preset's own defaults); whatever is left in the first argument is
    unknown.
    """
    given = {k: as_scalar(v) for k, v in given.items()}
    neutral = {k: v for k, v in given.items() if k in neutral_defaults}
    framework = _FrameworkOptions((k, v) for k, v in given.items() if k not in neutral_defaults)
    translated = translate(framework, neutral)
    if framework:
        names = ", ".join(sorted(framework))
        where = f"preset={preset!r}" if preset else "preset=None (neutral names only)"
        raise TypeError(f"{func}: unknown option(s) {names} under {where}")
    resolved = Resolved(neutral_defaults)
    resolved.update(translated)
    resolved.update(neutral)
    resolved.origins = {k: v for k, v in framework.origins.items() if k not in neutral}
    return resolved


class _FrameworkOptions(dict):
    """The framework-named options of a call; ``origins`` maps each neutral option that a given
    framework option set to that option's name."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.origins: dict[str, str] = {}


class Resolved(dict):
    """Resolved neutral options; ``origins`` names the framework option each came from."""

    origins: dict[str, str] = {}

    @contextlib.contextmanager
    def named_as_given(self):
        """Errors about a neutral option name the option the user gave (``epsilon``, not
        ``clip_low``)."""
        try:
            yield
        except ValueError as error:
            head, sep, rest = str(error).partition(": ")
            if sep and head in self.origins:
                raise ValueError(f"{self.origins[head]}: {rest}") from None
            raise


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
    for option in sets:
        getattr(framework, "origins", {}).setdefault(option, name)
    return framework.pop(name)


def as_scalar(value: Any) -> Any:
    """A NumPy scalar, 0-d array or 0-d tensor as the Python number it holds (a bool stays a
    bool, and is refused by the numeric checks); anything else unchanged."""
    if isinstance(value, (bool, int, float)) or getattr(value, "ndim", None) != 0:
        return value
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _number(value: Any) -> Any:
    value = as_scalar(value)
    return None if isinstance(value, bool) or not isinstance(value, (int, float)) else value


def positive(name: str, value: Any) -> float:
    number = _number(value)
    if number is None or not number > 0 or not math.isfinite(number):
        raise ValueError(f"{name}: expected a positive finite number, got {value!r}")
    return float(number)


def nonnegative(name: str, value: Any) -> float:
    number = _number(value)
    if number is None or not number >= 0 or not math.isfinite(number):
        raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(number)


def integer_in(name: str, value: Any, low: int, high: int | None = None) -> int:
    """An integer (Python, NumPy or a 0-d integer tensor) in [low, high]."""
    number = _number(value)
    if not isinstance(number, int) or number < low or (high is not None and number > high):
        bounds = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise ValueError(f"{name}: expected an integer {bounds}, got {value!r}")
    return number


def positive_int(name: str, value: Any) -> int:
    number = _number(value)
    if not isinstance(number, int) or number < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return number


def choice(name: str, value: Any, allowed: tuple) -> Any:
    if value not in allowed:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, allowed))}, got {value!r}")
    return value
