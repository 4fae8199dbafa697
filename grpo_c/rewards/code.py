"""Code-execution reward: run each completion's program against its tests in the C sandbox.

Every program runs in a fresh temporary directory under kernel isolation (user, PID and network
namespaces, Landlock, a seccomp filter) with CPU, memory, file-size and output limits and a
wall-clock deadline; see ``sandbox_info()`` for what this machine provides. Expected outputs
never enter the sandbox: the parent compares. Function-call tests run the candidate inside a
small harness that reports a serialized result per test on a separate pipe, so exiting early,
a rigged ``__eq__`` or patched builtins cannot turn a failure into a pass.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import json
import math
import os
import re
import secrets
import shutil
import stat
import sys
from typing import Any, Sequence

import numpy as np

from grpo_c import _sandbox
from grpo_c._core import GRPORuntimeError
from grpo_c._threads import resolve_threads
from grpo_c.rewards.text import texts_of

__all__ = ["code", "extract_code", "sandbox_info", "CaseVerdict", "VERDICTS"]

VERDICTS = ("accepted", "wrong_answer", "runtime_error", "time_limit", "memory_limit",
            "output_limit", "compile_error", "sandbox_error", "no_code", "skipped")

_COMPARATORS = {"exact": _sandbox.COMPARE_EXACT, "lines": _sandbox.COMPARE_LINES,
                "tokens": _sandbox.COMPARE_TOKENS, "float": _sandbox.COMPARE_FLOAT}

_LANGUAGE_FENCES = {"python": ("python", "py", "python3"), "c": ("c",),
                    "cpp": ("cpp", "c++", "cc", "cxx")}


@dataclasses.dataclass(frozen=True)
class CaseVerdict:
    """The outcome of one test: a verdict from ``VERDICTS`` plus what the run measured."""

    verdict: str
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    exit_code: int = 0
    signal: int = 0
    message: str = ""


def extract_code(text: str, language: str | None = "python") -> str:
    """The last fenced code block of ``text`` (open-r1's rule), "" when there is none.

    A block fenced with the language's name (or an alias: ``py``, ``c++``, ...) is preferred;
    otherwise the last fenced block of any language is taken.

    Examples
    --------
    >>> extract_code("x\\n```python\\nprint(1)\\n```\\n")
    'print(1)\\n'
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected str, got {type(text).__name__}")
    blocks = re.findall(r"```([^\n`]*)\n(.*?)```", text, flags=re.DOTALL)
    if not blocks:
        return ""
    aliases = _LANGUAGE_FENCES.get(language or "", (language,) if language else ())
    tagged = [body for tag, body in blocks if tag.strip().lower() in aliases]
    return tagged[-1] if tagged else blocks[-1][1]


# ------------------------------------------------------------------------- test formats

@dataclasses.dataclass
class _Tests:
    kind: str                       # "stdio" or "call"
    cases: list                     # stdio: (input str, expected str); call: (args list, expected)
    fn_name: str | None = None


def _json_or_value(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _call_args(value: Any) -> list:
    """Arguments of one call test: a list as is, or LiveCodeBench's one JSON value per line."""
    if isinstance(value, str):
        return [json.loads(line) for line in value.split("\n") if line.strip()]
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _normalize_tests(spec: Any, index: int) -> _Tests:
    """Accepts open-r1 ``verification_info``, APPS/prime ``{inputs, outputs, fn_name}`` (also
    as a JSON string), LiveCodeBench test lists, or a plain list of {input, output} / pairs."""
    where = f"tests[{index}]"
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except ValueError as exc:
            raise ValueError(f"{where}: a string must hold JSON test cases ({exc})") from None
    if isinstance(spec, dict) and "input_output" in spec:
        inner = _normalize_tests(spec["input_output"], index)
        inner.fn_name = inner.fn_name or spec.get("fn_name")
        return inner
    if isinstance(spec, dict) and "test_cases" in spec:
        spec = spec["test_cases"]
    if isinstance(spec, dict) and "inputs" in spec and "outputs" in spec:
        inputs, outputs = spec["inputs"], spec["outputs"]
        if len(inputs) != len(outputs):
            raise ValueError(f"{where}: {len(inputs)} inputs but {len(outputs)} outputs")
        fn_name = spec.get("fn_name") or None
        if fn_name:
            return _Tests("call", [(_call_args(i), _json_or_value(o))
                                   for i, o in zip(inputs, outputs)], fn_name)
        return _Tests("stdio", [(_text(i, where), _text(o, where))
                                for i, o in zip(inputs, outputs)])
    if isinstance(spec, (list, tuple)):
        cases, fn_name, kind = [], None, None
        for case in spec:
            if isinstance(case, dict):
                fn = case.get("fn_name") or case.get("func_name")
                functional = case.get("testtype") == "functional" or case.get("type") == "function_call" or fn
                this_kind = "call" if functional else "stdio"
                fn_name = fn_name or fn
                raw_in, raw_out = case.get("input", ""), case.get("output", "")
            elif isinstance(case, (list, tuple)) and len(case) == 2:
                this_kind, (raw_in, raw_out) = "stdio", case
            else:
                raise ValueError(f"{where}: each case must be a dict or an (input, output) pair")
            if kind and this_kind != kind:
                raise ValueError(f"{where}: mixes stdin/stdout and function-call cases")
            kind = this_kind
            if kind == "call":
                cases.append((_call_args(raw_in), _json_or_value(raw_out)))
            else:
                cases.append((_text(raw_in, where), _text(raw_out, where)))
        if kind == "call" and not fn_name:
            raise ValueError(f"{where}: function-call cases need a fn_name")
        return _Tests(kind or "stdio", cases, fn_name)
    raise TypeError(f"{where}: expected a dict, a list of cases or a JSON string, "
                    f"got {type(spec).__name__}")


def _text(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    raise TypeError(f"{where}: stdin/stdout cases need str input and output, "
                    f"got {type(value).__name__}")


# ------------------------------------------------------------------------- the harness

def _sandboxed_program(name: str) -> str:
    return importlib.resources.files("grpo_c.rewards.sandboxed").joinpath(name).read_text("utf-8")


_HARNESS = _sandboxed_program("call_harness.py")        # function-call tests
_FORK_SERVER = _sandboxed_program("fork_server.py")     # stdin/stdout tests, python_startup="fork"


# ------------------------------------------------------------------------- running

_COMPILERS = {"c": ("gcc", ["-std=gnu11", "-O2", "-pipe", "-o", "prog", "prog.c", "-lm"], "prog.c"),
              "cpp": ("g++", ["-std=gnu++17", "-O2", "-pipe", "-o", "prog", "prog.cpp"], "prog.cpp")}


_FORK_SERVER_MIN_TESTS = 3

_NAMESPACES = {"auto": _sandbox.NS_AUTO, "require": _sandbox.NS_REQUIRE, "off": _sandbox.NS_OFF}


def _limits(timeout: float, memory_mb: float, output_mb: float, namespaces: str,
            processes: int = 1, runs: int = 1) -> dict:
    """The sandbox limits of a process that runs `runs` tests of `timeout` CPU seconds each:
    CPU ``timeout * runs``, wall ``2 * timeout * runs + 1`` (so a loaded machine does not
    turn into false time limits). The one place limits come from ``timeout``."""
    return {"wall_seconds": 2.0 * timeout * runs + 1.0, "cpu_seconds": float(timeout * runs),
            "memory_bytes": int(memory_mb * 2**20), "file_bytes": int(output_mb * 2**20),
            "stdout_bytes": int(output_mb * 2**20), "stderr_bytes": 1 << 20,
            "collect_bytes": 64 << 20, "max_processes": processes, "open_files": 64,
            "namespaces": _NAMESPACES[namespaces]}


def _python_argv(interpreter: str, script: str, startup: str) -> list[str]:
    """How to start ``script``: "site" is a normal isolated start (-I); "fast" skips the site
    module (-S: no .pth files, which can import whole packages at every start) and puts the
    running interpreter's site-packages on sys.path itself. Either way the script is run as
    __main__ by a -c line that opens it relative to the workspace: Python would make a script
    argument absolute, and the workspace's host ancestors need not be searchable by the
    sandbox uid (the fallback has no root view)."""
    run = (f"__import__('sys').argv[0] = {script!r}; __file__ = {script!r}; "
           f"exec(compile(open({script!r}).read(), {script!r}, 'exec'))")
    if startup == "site" or os.path.realpath(interpreter) != os.path.realpath(sys.executable):
        return [interpreter, "-I", "-c", run]
    import site

    paths = [p for p in site.getsitepackages() if os.path.isdir(p)]
    # Without site there are no exit()/quit() builtins; programs use them, so provide them.
    boot = ("import builtins as _b, sys as _s; _b.exit = _b.quit = _s.exit; del _b, _s; "
            f"__import__('sys').path.extend({paths!r}); " + run)
    return [interpreter, "-I", "-S", "-c", boot]


def _interpreter_paths(interpreter: str) -> list[str]:
    paths = {os.path.dirname(os.path.realpath(interpreter))}
    if os.path.realpath(interpreter) == os.path.realpath(sys.executable):
        paths |= {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    else:
        paths.add(os.path.dirname(os.path.dirname(os.path.realpath(interpreter))))
    return sorted(paths)


def _reachable_by_others(path: str) -> bool:
    """Whether a user who owns nothing can reach ``path``: every directory on its real path
    searchable by others."""
    parts = os.path.realpath(path).split("/")
    for end in range(1, len(parts) + 1):
        try:
            st = os.stat("/".join(parts[:end]) or "/")
        except OSError:
            return False
        if stat.S_ISDIR(st.st_mode) and not st.st_mode & stat.S_IXOTH:
            return False
    return True


def _run_verdict(run: dict) -> str | None:
    """The verdict a run earns before any comparison, or None when it exited cleanly."""
    status = run["status"]
    if status == _sandbox.EXITED:
        return None if run["exit_code"] == 0 else "runtime_error"
    return {_sandbox.SIGNALED: "runtime_error", _sandbox.CPU_LIMIT: "time_limit",
            _sandbox.WALL_LIMIT: "time_limit", _sandbox.MEMORY_LIMIT: "memory_limit",
            _sandbox.OUTPUT_LIMIT: "output_limit",
            _sandbox.EXEC_FAILED: "sandbox_error",
            _sandbox.ERROR: "sandbox_error"}[status]


def _message(run: dict) -> str:
    if run["status"] in (_sandbox.ERROR, _sandbox.EXEC_FAILED):
        return f"{run['error_step']}: {os.strerror(run['errno']) if run['errno'] else '?'}"
    return run["stderr"][-400:].decode("utf-8", "replace")


def _verdict(run: dict, verdict: str, message: str = "") -> CaseVerdict:
    return CaseVerdict(verdict, run["wall_seconds"], run["cpu_seconds"],
                       run["exit_code"], run["signal"], message or _message(run))


def _values_equal(actual: Any, expected: Any, rel_tol: float, abs_tol: float) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        if isinstance(expected, int) and isinstance(actual, int):
            return actual == expected
        return math.isclose(actual, expected, rel_tol=rel_tol, abs_tol=abs_tol)
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        return len(actual) == len(expected) and all(
            _values_equal(a, e, rel_tol, abs_tol) for a, e in zip(actual, expected))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(
            _values_equal(actual[k], expected[k], rel_tol, abs_tol) for k in expected)
    return actual == expected


def _call_matches(actual: Any, expected: Any, rel_tol: float, abs_tol: float) -> bool:
    # APPS stores a call's expected value either bare or wrapped in a one-element list.
    if _values_equal(actual, expected, rel_tol, abs_tol):
        return True
    return (isinstance(expected, list) and len(expected) == 1
            and _values_equal(actual, expected[0], rel_tol, abs_tol))


def _parse_channel(data: bytes, nonce: str, n: int) -> list:
    """First record per test index from the harness channel; None where none came."""
    records: list = [None] * n
    for line in data.decode("utf-8", "replace").split("\n"):
        parts = line.split(" ", 3)
        if len(parts) != 4 or parts[0] != nonce or not parts[1].isdigit():
            continue
        i = int(parts[1])
        if i < n and records[i] is None:
            records[i] = (parts[2], parts[3])
    return records


def code(completions: Sequence[Any], tests: Sequence[Any], *, language: str = "python",
         timeout: float = 5.0, memory_mb: float = 1024, workers: int | None = None,
         mode: str = "fraction", return_details: bool = False, comparator: str = "lines",
         rel_tol: float = 1e-6, abs_tol: float = 1e-6, interpreter: str | None = None,
         extract: bool = True, output_mb: float = 32, compile_timeout: float = 30.0,
         namespaces: str = "auto", python_startup: str = "auto"):
    """Score programs by running them against their tests in the sandbox.

    Parameters
    ----------
    completions : sequence of str, bytes, None or chat messages
        Model outputs; the last fenced code block is the program (``extract=False``: the whole
        string is the program); chat completions read the first message's content.
    tests : sequence
        One test spec per completion: open-r1 ``verification_info`` (``{"language",
        "test_cases": [{"input", "output"}]}``), APPS/prime ``{"inputs", "outputs",
        "fn_name"?}`` (or its JSON string), LiveCodeBench cases (``testtype`` "stdin" or
        "functional"), or a list of ``{"input", "output"}`` dicts / ``(input, output)`` pairs.
    language : {"python", "c", "cpp"}
    timeout : float
        CPU seconds per test (whole seconds, rounded up, by the kernel); the wall deadline is
        ``2 * timeout + 1`` so a loaded machine does not turn into false time limits.
    memory_mb : float
        Address-space limit per process.
    workers : int, optional
        Programs run at once (default: the usable CPUs).
    mode : {"fraction", "all"}
        Reward = fraction of tests passed, or 1.0 only when all pass; with "all" a program's
        stdin/stdout tests stop at its first failure (the rest are "skipped").
    return_details : bool
        Also return, per completion, the list of ``CaseVerdict``.
    comparator : {"lines", "exact", "tokens", "float"}
        How stdout is compared (see ``grpo_compare_output`` in csrc/grpo.h); "float" uses
        ``rel_tol``/``abs_tol``, which also apply to floats in function-call results.
    interpreter : str, optional
        Python interpreter (default: the running one).
    python_startup : {"auto", "fork", "fast", "site"}
        "fork" runs one sandboxed interpreter per program that forks a confined child per
        stdin/stdout test (needs namespaces; otherwise "fast"); "auto" (default) does so for
        programs with at least 3 tests, where it pays off, else "fast". "fast" starts a process per
        test without the site module but with the running interpreter's site-packages on
        sys.path (no .pth processing). "site" is a normal ``python -I solution.py`` per test.
    namespaces : {"auto", "require", "off"}
        "auto" uses user/PID/network/mount namespaces when the kernel allows and otherwise the
        reported fallback; "require" fails (sandbox_error, reward NaN) instead of falling back;
        "off" always uses the fallback (no namespaces: process group, capabilities dropped,
        seccomp confining signals and host-wide calls, Landlock).

    Returns
    -------
    numpy.ndarray of float32, shape (N,)
        NaN where the sandbox itself failed, there are no tests or the completion is None; 0.0
        for a completion without code.
    list of list of CaseVerdict
        Only with ``return_details=True``.

    Examples
    --------
    >>> from grpo_c.rewards import code
    >>> prog = "```python\\nprint(sum(map(int, input().split())))\\n```"
    >>> code([prog], [[{"input": "1 2", "output": "3"}]], timeout=2)
    array([1.], dtype=float32)
    """
    completions = texts_of(completions)
    if len(tests) != len(completions):
        raise ValueError(f"tests: expected {len(completions)} test specs (one per completion), "
                         f"got {len(tests)}")
    if language not in ("python", "c", "cpp"):
        raise ValueError(f"language: expected 'python', 'c' or 'cpp', got {language!r}")
    if mode not in ("fraction", "all"):
        raise ValueError(f"mode: expected 'fraction' or 'all', got {mode!r}")
    if comparator not in _COMPARATORS:
        raise ValueError(f"comparator: expected one of {sorted(_COMPARATORS)}, got {comparator!r}")
    for name, value in (("timeout", timeout), ("memory_mb", memory_mb), ("output_mb", output_mb)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{name}: expected a positive number, got {value!r}")
    n_workers = resolve_threads(workers)
    specs = [_normalize_tests(t, i) for i, t in enumerate(tests)]
    programs = []
    for c in completions:
        if isinstance(c, bytes):
            c = c.decode("utf-8", "replace")
        programs.append(None if c is None else extract_code(c, language) if extract else c)

    interp = interpreter or sys.executable
    if python_startup not in ("auto", "fork", "fast", "site"):
        raise ValueError("python_startup: expected 'auto', 'fork', 'fast' or 'site', "
                         f"got {python_startup!r}")
    if namespaces not in _NAMESPACES:
        raise ValueError(f"namespaces: expected one of {sorted(_NAMESPACES)}, got {namespaces!r}")
    for i, spec in enumerate(specs):
        if spec.kind == "call" and language != "python":
            raise ValueError(f"tests[{i}]: function-call tests need language='python'")
    namespaces_work = namespaces != "off" and bool(_sandbox.probe()[0] & _sandbox.ISO_PIDNS)
    if language == "python" and not namespaces_work and os.geteuid() == 0:
        # Without a root view the sandbox uid sees the host's own permissions.
        for path in [interp] + _interpreter_paths(interp):
            if not _reachable_by_others(path):
                raise GRPORuntimeError(
                    f"interpreter {interp!r}: {path!r} is not reachable by other users, and "
                    "without namespaces a root caller's programs run as an unprivileged "
                    "sandbox uid that sees host permissions; pass an interpreter= that every "
                    "user can run (e.g. /usr/bin/python3), or allow namespaces")

    details: list[list[CaseVerdict] | None] = [None] * len(programs)
    for i, program in enumerate(programs):
        if program is None:   # no completion: nothing to judge, NaN as TRL's None
            details[i] = []
        elif not program.strip():
            details[i] = [CaseVerdict("no_code", message="no code block found")] * len(specs[i].cases)
    binaries: dict[int, bytes] = {}
    if language in _COMPILERS:
        todo = [i for i in range(len(programs)) if details[i] is None]
        binaries = _compile(language, [programs[i] for i in todo], todo, specs, details,
                            compile_timeout, memory_mb, namespaces, n_workers)

    limits = _limits(timeout, memory_mb, output_mb, namespaces)
    read_paths = _interpreter_paths(interp)
    call_jobs, call_owners, nonces = [], [], {}
    # The fork server needs a PID namespace (it must kill its children) and our filter.
    nofork = _sandbox.nofork_filter() if python_startup in ("auto", "fork") else None
    use_fork_server = language == "python" and nofork is not None and namespaces_work
    # The server's own start-up costs about one extra interpreter start: "auto" uses it only
    # for programs with enough tests to win that back.
    min_fork_tests = 1 if python_startup == "fork" else _FORK_SERVER_MIN_TESTS
    if python_startup in ("auto", "fork"):
        python_startup = "fast"
    stdio_jobs: dict[int, list] = {}
    for i, program in enumerate(programs):
        spec = specs[i]
        if details[i] is not None:
            continue
        if spec.kind == "call":
            nonces[i] = secrets.token_hex(16)
            payload = json.dumps({"timeout": float(timeout), "fn_name": spec.fn_name,
                                  "args": [args for args, _ in spec.cases]})
            # One process runs every call: CPU for all of them, each still capped in-process.
            n_calls = len(spec.cases) + 1
            call_jobs.append({"argv": _python_argv(interp, "harness.py", python_startup),
                              "read_paths": read_paths,
                              "limits": _limits(timeout, memory_mb, output_mb, namespaces,
                                                runs=n_calls),
                              "files": [("solution.py", program, False),
                                        ("harness.py", _HARNESS, False)],
                              "stdin": nonces[i] + "\n" + payload, "channel": True})
            call_owners.append(i)
            continue
        if use_fork_server and len(spec.cases) >= min_fork_tests:
            nonces[i] = secrets.token_hex(16)
            call_jobs.append(_fork_server_job(program, spec, interp, read_paths, nonces[i],
                                              limits, nofork, mode == "all"))
            call_owners.append(i)
            continue
        if language == "python":
            base = {"argv": _python_argv(interp, "solution.py", python_startup),
                    "read_paths": read_paths, "files": [("solution.py", program, False)]}
        else:
            base = {"argv": ["./prog"], "files": [("prog", binaries[i], True)]}
        stdio_jobs[i] = [dict(base, stdin=stdin) for stdin, _ in spec.cases]
        details[i] = [None] * len(spec.cases)

    # mode="all" needs every test to pass, so a program stops at its first failure (as
    # LiveCodeBench and DeepCoder do): tests run in waves, one per program per wave.
    comparator_id = _COMPARATORS[comparator]
    step = 1 if mode == "all" else max((len(j) for j in stdio_jobs.values()), default=0)
    next_test = {i: 0 for i in stdio_jobs}
    first_wave = True
    while next_test or first_wave:
        jobs, owners = (list(call_jobs), [(i, None) for i in call_owners]) if first_wave else ([], [])
        first_wave = False
        for i, t0 in next_test.items():
            for t in range(t0, min(t0 + step, len(stdio_jobs[i]))):
                jobs.append(stdio_jobs[i][t])
                owners.append((i, t))
        runs = _sandbox.run_batch(jobs, limits, n_workers) if jobs else []
        for (i, t), run in zip(owners, runs):
            if t is None and specs[i].kind == "stdio":
                cases = specs[i].cases
                per_test = _fork_server_runs(run, nonces[i], len(cases), limits)
                details[i] = [_judge_stdio(r, case[1], comparator_id, rel_tol, abs_tol)
                              for r, case in zip(per_test, cases)]
                if mode == "all":
                    _skip_after_first_failure(details[i])
            elif t is None:
                details[i] = _judge_calls(run, specs[i], nonces[i], rel_tol, abs_tol)
            else:
                details[i][t] = _judge_stdio(run, specs[i].cases[t][1], comparator_id,
                                             rel_tol, abs_tol)
        for i in list(next_test):
            t = next_test[i] = next_test[i] + step
            failed = any(v.verdict != "accepted" for v in details[i][:t])
            if t >= len(stdio_jobs[i]) or (mode == "all" and failed):
                for rest in range(t, len(stdio_jobs[i])):
                    details[i][rest] = CaseVerdict("skipped", message="an earlier test failed")
                del next_test[i]

    rewards = np.array([_reward(v or [], mode) for v in details], dtype=np.float32)
    if return_details:
        return rewards, [list(v or []) for v in details]
    return rewards


def _reward(verdicts: list, mode: str) -> float:
    # No tests, or a sandbox failure: the reward cannot be judged (NaN, TRL's None).
    if not verdicts or any(v.verdict == "sandbox_error" for v in verdicts):
        return math.nan
    passed = sum(v.verdict == "accepted" for v in verdicts)
    return passed / len(verdicts) if mode == "fraction" else float(passed == len(verdicts))


def _compile(language: str, sources: list, owners: list, specs: list, details: list,
             timeout: float, memory_mb: float, namespaces: str, n_workers: int) -> dict:
    """Compiles each source once, in the sandbox; returns {owner: binary} and records a
    compile_error (or sandbox_error) verdict for every test of a program that failed."""
    compiler, flags, source_name = _COMPILERS[language]
    path = shutil.which(compiler)
    if path is None and sources:
        raise GRPORuntimeError(f"language={language!r} needs {compiler} on PATH")
    jobs = [{"argv": [path] + flags, "files": [(source_name, src, False)], "collect": "prog"}
            for src in sources]
    limits = _limits(timeout, max(memory_mb, 2048), 64, namespaces, processes=64)
    binaries = {}
    for i, run in zip(owners, _sandbox.run_batch(jobs, limits, n_workers) if jobs else []):
        if run["collected"] is not None:
            binaries[i] = run["collected"]
            continue
        verdict = "sandbox_error" if _run_verdict(run) == "sandbox_error" else "compile_error"
        details[i] = [_verdict(run, verdict)] * len(specs[i].cases)
    return binaries


def _judge_stdio(run: dict, expected: str, comparator: int, rel_tol: float,
                 abs_tol: float) -> CaseVerdict:
    failed = _run_verdict(run)
    if failed is not None:
        return _verdict(run, failed)
    ok = _sandbox.compare(run["stdout"], expected.encode("utf-8"), comparator, rel_tol, abs_tol)
    return _verdict(run, "accepted" if ok else "wrong_answer", "" if ok else "output differs")


def _fork_server_job(program: str, spec: _Tests, interp: str, read_paths: list, nonce: str,
                     limits: dict, nofork: bytes, stop_on_error: bool) -> dict:
    n = len(spec.cases)
    header = (f"{nonce} {n} {int(math.ceil(limits['cpu_seconds']))} {limits['wall_seconds']!r} "
              f"{limits['stdout_bytes']} {limits['stderr_bytes']} {limits['file_bytes']} "
              f"{int(stop_on_error)} {nofork.hex()}").encode()
    stdin, largest = [b"%016x" % len(header), header], 0
    for case_input, _ in spec.cases:
        data = case_input.encode("utf-8")
        stdin += [b"%016x" % len(data), data]
        largest = max(largest, len(data))
    # The server's own limits: CPU for itself, wall for every test, a channel for every output,
    # a workspace that also holds the largest input (children get file_bytes back).
    server = dict(limits, max_processes=2, cpu_seconds=max(2.0, limits["cpu_seconds"]),
                  wall_seconds=n * (limits["wall_seconds"] + 0.5) + 5.0,
                  stdout_bytes=n * (limits["stdout_bytes"] + 2200) + 4096,
                  file_bytes=limits["file_bytes"] + largest + 4096)
    files = [("solution.py", program, False), ("server.py", _FORK_SERVER, False)]
    return {"argv": _python_argv(interp, "server.py", "fast"), "read_paths": read_paths,
            "files": files, "stdin": b"".join(stdin), "channel": True, "limits": server}


def _skip_after_first_failure(verdicts: list) -> None:
    failed = next((t for t, v in enumerate(verdicts) if v.verdict != "accepted"), None)
    if failed is not None:
        for t in range(failed + 1, len(verdicts)):
            verdicts[t] = CaseVerdict("skipped", message="an earlier test failed")


def _fork_server_runs(outer: dict, nonce: str, n: int, limits: dict) -> list:
    """Per-test run dicts (the shape run_batch returns) from the fork server's records; a test
    without a record inherits the verdict of the server's own run."""
    data, pos, runs = outer["channel"], 0, [None] * n
    while pos < len(data):
        nl = data.find(b"\n", pos)
        head = data[pos:nl].decode("utf-8", "replace").split(" ") if nl >= 0 else []
        if len(head) != 11 or head[0] != nonce or not head[1].isdigit():
            break
        i, how, value = int(head[1]), head[2], int(head[3])
        # The same caps as a process per test: passing either one is an output limit.
        over = int(head[6]) > limits["stdout_bytes"] or int(head[7]) > limits["stderr_bytes"]
        n_out, n_err = int(head[9]), int(head[10])
        body = data[nl + 1:nl + 1 + n_out + n_err]
        if i >= n or len(body) < n_out + n_err:
            break
        runs[i] = _fork_server_run(how, value, float(head[4]), float(head[5]), body[:n_out],
                                   body[n_out:], limits, over, head[8] == "1",
                                   outer["oom_kills"])
        pos = nl + 1 + n_out + n_err
    for i in range(n):
        if runs[i] is not None:
            continue
        status = outer["status"]
        if status == _sandbox.EXEC_FAILED or (status == _sandbox.EXITED and
                                               outer["exit_code"] == 3):
            status = _sandbox.ERROR  # the server could not start or confine its children
        elif status == _sandbox.EXITED:
            status = _sandbox.SIGNALED  # stopped early: judged a failure, never a pass
        runs[i] = dict(outer, stdout=b"", status=status,
                       error_step=outer["error_step"] or "fork server")
    return runs


_ENDS = {"exit": _sandbox.END_EXIT, "signal": _sandbox.END_SIGNAL, "killed": _sandbox.END_DEADLINE}


def _fork_server_run(how: str, value: int, cpu: float, wall: float, out: bytes, err: bytes,
                     limits: dict, over: bool, disk_full: bool, oom_kills: int) -> dict:
    """One test's run dict from the facts the fork server reported; the verdict is the C
    runner's (grpo_sandbox_classify), oom_kills being the whole server's."""
    run = {"wall_seconds": wall, "cpu_seconds": cpu, "stdout": out, "stderr": err, "errno": 0,
           "error_step": None, "memory_peak_bytes": 0, "oom_kills": 0}
    run.update(_sandbox.classify(_ENDS[how], value, cpu, err, over, disk_full, True, oom_kills,
                                 limits))
    return run


def _judge_calls(run: dict, spec: _Tests, nonce: str, rel_tol: float, abs_tol: float) -> list:
    records = _parse_channel(run["channel"], nonce, len(spec.cases))
    failed = _run_verdict(run)
    verdicts = []
    for (args, expected), record in zip(spec.cases, records):
        if record is None:
            # No verdict line: the program ended (or was ended) before this test ran.
            verdicts.append(_verdict(run, failed or "runtime_error",
                                     "" if failed else "no result reported for this test"))
        elif record[0] == "timeout":
            verdicts.append(_verdict(run, "time_limit", "test timed out"))
        elif record[0] == "error":
            verdicts.append(_verdict(run, "memory_limit" if record[1] == "MemoryError"
                                     else "runtime_error", record[1]))
        else:
            try:
                actual = json.loads(record[1])
            except ValueError:
                verdicts.append(_verdict(run, "wrong_answer", "unreadable result"))
                continue
            ok = _call_matches(actual, expected, rel_tol, abs_tol)
            verdicts.append(_verdict(run, "accepted" if ok else "wrong_answer",
                                     "" if ok else "result differs"))
    return verdicts


def sandbox_info() -> dict:
    """Which isolation layers the sandbox gets on this machine, and why any is missing.

    ``layers`` names what holds for a run started now with ``namespaces="auto"``;
    ``fallback_layers`` what holds with ``namespaces="off"`` (or where namespaces fail);
    ``identity`` the host uid programs run as.

    Examples
    --------
    >>> from grpo_c.rewards import sandbox_info
    >>> info = sandbox_info()
    >>> sorted(info)[:3]
    ['bits', 'fallback', 'fallback_layers']
    """
    bits, ns_errno, abi = _sandbox.probe()
    names = [("user_namespace", _sandbox.ISO_USERNS), ("pid_namespace", _sandbox.ISO_PIDNS),
             ("network_namespace", _sandbox.ISO_NETNS), ("ipc_namespace", _sandbox.ISO_IPCNS),
             ("root_view", _sandbox.ISO_ROOT_VIEW), ("landlock", _sandbox.ISO_LANDLOCK),
             ("landlock_network", _sandbox.ISO_LANDLOCK_NET),
             ("landlock_scope", _sandbox.ISO_LANDLOCK_SCOPE), ("seccomp", _sandbox.ISO_SECCOMP),
             ("no_fork", _sandbox.ISO_NOFORK), ("process_group", _sandbox.ISO_PGROUP),
             ("private_tmpfs", _sandbox.ISO_TMPFS), ("pids_cgroup", _sandbox.ISO_PIDS_CGROUP),
             ("memory_cgroup", _sandbox.ISO_MEMORY_CGROUP),
             ("unprivileged_uid", _sandbox.ISO_UNPRIVILEGED)]
    layers = [name for name, bit in names if bits & bit]
    namespace_only = _sandbox.ISO_USERNS | _sandbox.ISO_PIDNS | _sandbox.ISO_NETNS | \
        _sandbox.ISO_IPCNS | _sandbox.ISO_ROOT_VIEW | _sandbox.ISO_TMPFS
    fallback_bits = bits & ~namespace_only
    if abi >= 4:
        fallback_bits |= _sandbox.ISO_LANDLOCK_NET
    fallback_layers = [name for name, bit in names if fallback_bits & bit]
    namespaces = bool(bits & _sandbox.ISO_PIDNS)
    root = os.geteuid() == 0
    reasons = []
    if not namespaces:
        reasons.append(f"namespaces unavailable ({os.strerror(ns_errno)}): fallback to a process "
                       "group, a seccomp filter that confines signals and refuses host IPC, "
                       "and Landlock TCP rules; host paths stay stat-able and the workspace is "
                       "bounded per file only")
    if not abi:
        reasons.append("Landlock unavailable: the filesystem outside the run directory is "
                       "protected only by file permissions")
    if not bits & _sandbox.ISO_MEMORY_CGROUP:
        reasons.append("no memory cgroup: memory is bounded by RLIMIT_AS, and memfd and SysV "
                       "shm are refused")
    identity = (f"sandbox uids {_sandbox.UID_BASE}..{_sandbox.UID_BASE + _sandbox.UID_COUNT - 1}"
                if root else f"the caller's uid {os.geteuid()}")
    return {"namespaces": namespaces, "layers": layers, "fallback_layers": fallback_layers,
            "landlock_abi": abi, "seccomp": bool(bits & _sandbox.ISO_SECCOMP),
            "fallback": None if namespaces else "process_group", "identity": identity,
            "namespace_errno": ns_errno, "reason": "; ".join(reasons) or "all layers active",
            "bits": bits}
