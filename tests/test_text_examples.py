"""examples/trl_reward_functions.py runs and prints one line per reward function."""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_trl_reward_functions_example():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "trl_reward_functions.py")],
                         capture_output=True, text=True, timeout=300, check=True, env=env).stdout
    for name in ("format_reward", "tag_count_reward", "reasoning_steps_reward",
                 "language_consistency_reward", "repetition_penalty_reward", "advantages"):
        assert name in out
