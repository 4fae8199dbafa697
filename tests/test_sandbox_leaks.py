"""Thousands of harmless runs leave nothing behind: no child or zombie, no fd, no temp dir, no
cgroup, no mount.

The default tier does 2,000 quick runs of system binaries (a mix of clean exits, failures,
exec errors, stdin feeding and output-limit kills) plus 100 Python programs through
grpo_c.rewards.code; GRPO_C_SLOW=1 makes that 2,000 Python programs too.
"""

import os

import numpy as np
import pytest

from grpo_c import _sandbox
from grpo_c.rewards import code

SLOW = os.environ.get("GRPO_C_SLOW") == "1"


def children_of_self():
    me = str(os.getpid())
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == me:
            found.append((pid, fields[0]))
    return found


def run_cgroups():
    """Per-run cgroup directories (named after the run directory) under every hierarchy."""
    found = []
    for top, dirs, _ in os.walk("/sys/fs/cgroup"):
        found += [os.path.join(top, d) for d in dirs if d.startswith("grpo_sbx.")]
        dirs[:] = [d for d in dirs if not d.startswith("grpo_sbx.")]
    return sorted(found)


def mounts():
    with open("/proc/self/mountinfo") as f:
        return sorted(line.split(" - ")[0].split(" ", 4)[4] for line in f)


def snapshot(root):
    return (len(os.listdir("/proc/self/fd")), children_of_self(), sorted(os.listdir(root)),
            run_cgroups(), mounts())


@pytest.mark.parametrize("namespaces", [_sandbox.NS_AUTO, _sandbox.NS_OFF])
def test_two_thousand_runs_leave_nothing(tmp_path, namespaces):
    root = str(tmp_path)
    limits = {"wall_seconds": 5.0, "cpu_seconds": 2.0, "memory_bytes": 1 << 30,
              "file_bytes": 1 << 20, "stdout_bytes": 1 << 16, "stderr_bytes": 1 << 16,
              "collect_bytes": 1 << 20, "max_processes": 1, "open_files": 32,
              "namespaces": namespaces}
    kinds = [
        ({"argv": ["/bin/true"]}, _sandbox.EXITED),
        ({"argv": ["/bin/sh", "-c", "echo hi; echo err >&2; exit 3"]}, _sandbox.EXITED),
        ({"argv": ["/bin/cat"], "stdin": b"x" * 200_000}, _sandbox.OUTPUT_LIMIT),
        ({"argv": ["/nonexistent/binary"]}, _sandbox.EXEC_FAILED),
        ({"argv": ["/bin/sh", "-c", "while :; do echo yyyyyyyyyyyyyyyy; done"]},
         _sandbox.OUTPUT_LIMIT),
        ({"argv": ["/bin/sh", "-c", "read x < data; printf %s \"$x\" >&3"], "files": [("data", b"abc", False)],
          "channel": True}, _sandbox.EXITED),
    ]
    jobs, expected = [], []
    for i in range(2000):
        job, status = kinds[i % len(kinds)]
        jobs.append(dict(job, temp_root=root))
        expected.append(status)
    before = snapshot(root)
    results = _sandbox.run_batch(jobs, limits, 2)
    assert [r["status"] for r in results] == expected
    assert all(r["channel"] == b"abc" for r in results[5::6])
    assert snapshot(root) == before == (before[0], [], [], [], before[4])


def test_python_programs_leave_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    n = 2000 if SLOW else 100
    prog = "```python\nprint(int(input()) + 1)\n```"
    before = snapshot(str(tmp_path))
    rewards = code([prog] * n, [[{"input": str(i), "output": str(i + 1)}] for i in range(n)])
    np.testing.assert_array_equal(rewards, np.ones(n, dtype=np.float32))
    assert snapshot(str(tmp_path)) == before
