"""verl ``custom_reward_function`` rewards; they live in :mod:`grpo_c.frameworks.verl`."""

from grpo_c.frameworks.verl import *  # noqa: F401,F403
from grpo_c.frameworks.verl import __all__  # noqa: F401
