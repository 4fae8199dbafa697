"""The runnable examples and the worked example of `python -m grpo_c` run and learn."""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_custom_torch_loop_improves_reward():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "custom_torch_loop.py")], capture_output=True,
                         text=True, timeout=300, check=True, env=env).stdout
    rewards = [float(line.split("reward")[1].split()[0]) for line in out.splitlines() if "reward" in line]
    assert rewards[-1] > rewards[0] + 0.1


def test_worked_example_runs():
    from grpo_c._example import main
    assert main() == 0
