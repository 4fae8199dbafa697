"""TRL / open-r1 drop-in reward functions; they live in :mod:`grpo_c.frameworks.trl`."""

from grpo_c.frameworks.trl import *  # noqa: F401,F403
from grpo_c.frameworks.trl import __all__  # noqa: F401
