"""grpo_c: the numeric and rule-based work of GRPO in C, for NumPy and PyTorch.

Group-relative advantages, the clipped policy loss with its KL term and exact gradient, and the
rule rewards of DeepSeek-R1 (math accuracy, code execution, format, language consistency).
"""

from grpo_c import _blas

_blas.load()
from grpo_c import _core, rewards  # noqa: E402  (after the BLAS it links)
from grpo_c._core import GRPOError, GRPOMemoryError, GRPOOSError, GRPORuntimeError, GRPOValueError
from grpo_c._threads import get_num_threads, set_num_threads
from grpo_c.advantages import GroupStats, group_advantages, group_stats
from grpo_c.logprobs import FusedLossOutput, fused_linear_policy_loss, logprobs, logprobs_backward
from grpo_c.loss import PolicyLossOutput, policy_loss

__version__ = "0.1.0"

__all__ = [
    "GRPOError",
    "GRPOMemoryError",
    "GRPOOSError",
    "GRPORuntimeError",
    "GRPOValueError",
    "FusedLossOutput",
    "GroupStats",
    "PolicyLossOutput",
    "__version__",
    "build_info",
    "fused_linear_policy_loss",
    "get_num_threads",
    "group_advantages",
    "group_stats",
    "logprobs",
    "logprobs_backward",
    "policy_loss",
    "rewards",
    "set_num_threads",
]


def build_info() -> dict:
    """How this build was made: compiler, flags, threading, BLAS, and the default thread count.

    Examples
    --------
    >>> import grpo_c
    >>> sorted(grpo_c.build_info())  # doctest: +NORMALIZE_WHITESPACE
    ['blas', 'cflags', 'compiler', 'default_threads', 'numpy_build', 'threading', 'version']
    """
    info = dict(_core.build_info())
    info["blas"] = dict(info["blas"])
    info["version"] = __version__
    info["default_threads"] = get_num_threads()
    return info
