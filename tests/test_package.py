import grpo_c


def test_version_and_build_info():
    assert grpo_c.__version__
    info = grpo_c.build_info()
    assert {"compiler", "cflags", "threading", "blas", "default_threads"} <= set(info)
    blas = info["blas"]
    assert set(blas) == {"name", "config", "core", "threads"}
    assert "OpenBLAS" in blas["name"] and "OpenBLAS" in blas["config"] and blas["core"]


def test_set_num_threads_sets_the_blas_thread_count_too():
    """grpo_c's pool and the OpenBLAS it links never run together, and both follow one count,
    so they cannot oversubscribe the cores between them."""
    try:
        grpo_c.set_num_threads(1)
        assert grpo_c.build_info()["blas"]["threads"] == 1
        grpo_c.set_num_threads(2)
        assert grpo_c.build_info()["blas"]["threads"] == min(2, 64)
    finally:
        grpo_c.set_num_threads(None)
    assert grpo_c.build_info()["blas"]["threads"] == min(grpo_c.get_num_threads(), 64)


WORKLOAD = r"""
import json, os
import numpy as np
import grpo_c
from grpo_c import rewards

def threads():
    names = []
    for tid in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{tid}/comm") as f:
            names.append(f.read().strip())
    return names

np.dot(np.ones((64, 64)), np.ones((64, 64)))   # NumPy's own BLAS threads start before the count
before = len(threads())
rng = np.random.default_rng(0)
r = rng.random(200_000)
logp = -rng.random((512, 512))
texts = ["<think>\nwe add the numbers\n</think>\n<answer>\n\\boxed{%d}\n</answer>" % (k % 7)
         for k in range(20_000)]
for _ in range(3):
    grpo_c.group_advantages(r, group_size=8, num_threads=4)
    grpo_c.policy_loss(logp, logp - 0.01, rng.standard_normal(512), num_threads=4)
    grpo_c.logprobs_backward(logp, np.zeros(512, np.int64), np.ones(512), num_threads=4)
    rewards.format(texts, num_threads=4)
    rewards.tag_count(texts, num_threads=4)
    rewards.language_consistency(texts, "en", num_threads=4)
    rewards.repetition(texts, num_threads=4)
    rewards.accuracy(texts, [str(k % 5) for k in range(len(texts))], num_threads=4)
    rewards.code(["```python\nprint(1)\n```"] * 8, [[("", "1")]] * 8, workers=4, timeout=2)
names = threads()
print(json.dumps({"new": len(names) - before, "pool": names.count("grpo_c-pool")}))
"""


def test_one_worker_pool_serves_every_kernel_and_reward():
    """All kernels and rewards share one pool: at num_threads=4 the process gains at most 3
    helper threads (the caller is the fourth), whichever extension code ran."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-c", WORKLOAD], capture_output=True, text=True,
                          cwd=root, timeout=300)
    assert proc.returncode == 0, proc.stderr
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    assert counts["pool"] <= 3 and counts["new"] <= 3, counts


def test_one_extension_module_holds_the_topics():
    from grpo_c import _core, _math, _sandbox, _text

    for topic in (_math, _text, _sandbox):
        assert getattr(_core, topic.__name__.rsplit(".", 1)[1]) is topic


def test_core_failures_raise_grpo_errors_with_the_status_name():
    import pytest
    from grpo_c import _text

    with pytest.raises(grpo_c.GRPOValueError, match=r"GRPO_ERR_INVALID\)$") as caught:
        _text.reasoning_steps(["x"], -1.0)   # past the Python checks, straight to the core
    assert isinstance(caught.value, grpo_c.GRPOError) and isinstance(caught.value, ValueError)
    for kind, builtin in [(grpo_c.GRPOMemoryError, MemoryError), (grpo_c.GRPOOSError, OSError),
                          (grpo_c.GRPORuntimeError, RuntimeError)]:
        assert issubclass(kind, grpo_c.GRPOError) and issubclass(kind, builtin)


def test_the_twins_import_nothing_from_the_code_they_mirror():
    import ast
    from pathlib import Path

    tree = ast.parse((Path(grpo_c.__file__).parent / "reference.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name and name.split(".")[0] == "grpo_c"}, imported


def test_each_extension_stub_lists_what_the_module_has():
    """The .pyi stubs are what editors and type checkers see of the C modules: every function
    and error type the module exports is declared, and nothing the module lacks."""
    import ast
    import inspect
    from pathlib import Path

    from grpo_c import _core

    package = Path(grpo_c.__file__).parent
    for name in ("_core", "_math", "_text", "_sandbox"):
        module = getattr(_core, name) if name != "_core" else _core
        tree = ast.parse((package / f"{name}.pyi").read_text())
        declared = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        declared |= {node.target.id for node in tree.body if isinstance(node, ast.AnnAssign)}
        exported = {attr for attr, value in vars(module).items()
                    if not attr.startswith("__") and not inspect.ismodule(value)}
        assert declared == exported, (name, sorted(declared ^ exported))
