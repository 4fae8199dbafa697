"""Stub of the grpo_c._sandbox extension (csrc/python/_sandbox.c)."""

from typing import Any

EXITED: int
SIGNALED: int
CPU_LIMIT: int
WALL_LIMIT: int
MEMORY_LIMIT: int
OUTPUT_LIMIT: int
EXEC_FAILED: int
ERROR: int
ISO_USERNS: int
ISO_PIDNS: int
ISO_NETNS: int
ISO_LANDLOCK: int
ISO_SECCOMP: int
ISO_NOFORK: int
ISO_PGROUP: int
ISO_LANDLOCK_NET: int
ISO_LANDLOCK_SCOPE: int
ISO_TMPFS: int
ISO_PIDS_CGROUP: int
ISO_IPCNS: int
ISO_ROOT_VIEW: int
ISO_MEMORY_CGROUP: int
ISO_UNPRIVILEGED: int
UID_BASE: int
UID_COUNT: int
NS_AUTO: int
NS_REQUIRE: int
NS_OFF: int
END_EXIT: int
END_SIGNAL: int
END_DEADLINE: int
END_OUTPUT: int
COMPARE_EXACT: int
COMPARE_LINES: int
COMPARE_TOKENS: int
COMPARE_FLOAT: int

def run_batch(jobs: list[dict[str, Any]], limits: dict[str, Any],
              workers: int) -> list[dict[str, Any]]: ...
def classify(kind: int, value: int, cpu_seconds: float, stderr: bytes, over: bool,
             disk_full: bool, oom_shared: bool, oom_kills: int,
             limits: dict[str, Any]) -> dict[str, int]: ...
def compare(actual: bytes, expected: bytes, mode: int, rel_tol: float, abs_tol: float) -> bool: ...
def probe() -> tuple[int, int, int]: ...
def nofork_filter() -> bytes | None: ...
