"""The process-wide default thread count that batch calls use when ``num_threads`` is None."""

from __future__ import annotations

import os

from grpo_c._options import integer_in

# The core's bound on threads per call (binding.h).
MAX_THREADS = 1024

_default_threads: int | None = None


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask, not the machine's core count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


_affinity_default: int | None = None


def set_num_threads(n: int | None) -> None:
    """Set the default thread count of grpo_c batch calls, and the thread count of the OpenBLAS
    grpo_c links (its matrix products and grpo_c's pool never run at once, so neither exceeds
    it); None restores the CPU-affinity default."""
    global _default_threads
    _default_threads = None if n is None else integer_in("num_threads", n, 1, MAX_THREADS)
    from grpo_c import _core

    _core.blas_set_threads(get_num_threads())


def get_num_threads() -> int:
    """The default thread count: the value given to set_num_threads, else the usable CPUs
    (read once: the affinity system call would otherwise cost every small call)."""
    global _affinity_default
    if _default_threads is not None:
        return _default_threads
    if _affinity_default is None:
        _affinity_default = min(available_cpus(), MAX_THREADS)
    return _affinity_default


def resolve_threads(num_threads: int | None) -> int:
    """Validate a per-call ``num_threads`` (None means the default)."""
    if num_threads is None:
        return get_num_threads()
    return integer_in("num_threads", num_threads, 1, MAX_THREADS)
