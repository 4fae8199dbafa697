"""Ordinary programs through grpo_c.rewards.code: correct ones score 1.0, wrong ones do not;
test formats of open-r1, APPS/prime and LiveCodeBench; comparators against the plain twin;
bad input raises clearly. Hostile programs live in test_sandbox_adversarial.py."""

import json
import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import grpo_c
import grpo_c.reference as ref
from grpo_c import _sandbox
from grpo_c.rewards import VERDICTS, code, extract_code, sandbox_info


def fenced(lang, body):
    return f"Here is my solution.\n```{lang}\n{body}\n```\n"


PY_SUM = "import sys\nprint(sum(map(int, sys.stdin.read().split())))"
PY_TABLE = [
    (PY_SUM, [("1 2 3", "6"), ("10\n20\n", "30"), ("", "0")]),
    ("n = int(input())\nfor i in range(n):\n    print(i * i)",
     [("3", "0\n1\n4"), ("1", "0")]),
    ("a, b = map(float, input().split())\nprint(f'{a / b:.9f}')",
     [("1 3", "0.333333333"), ("2 4", "0.500000000")]),
    # Large output within the limits: 200k lines (~1.3 MB).
    ("import sys\nn = int(input())\nsys.stdout.write(''.join(f'{i}\\n' for i in range(n)))",
     [("200000", "\n".join(str(i) for i in range(200000)))]),
    ("if __name__ == '__main__':\n    s = input()\n    print(s[::-1])", [("hello", "olleh")]),
]

C_TABLE = [
    ("#include <stdio.h>\nint main(void){long long a,b;scanf(\"%lld %lld\",&a,&b);"
     "printf(\"%lld\\n\",a+b);return 0;}", [("1 2", "3"), ("-5 5", "0")]),
    ("#include <stdio.h>\nint main(void){int n;scanf(\"%d\",&n);for(int i=0;i<n;i++)"
     "printf(\"%d\\n\",i);return 0;}", [("100000", "\n".join(str(i) for i in range(100000)))]),
    ("#include <stdio.h>\n#include <math.h>\nint main(void){double x;scanf(\"%lf\",&x);"
     "printf(\"%.10f\\n\",sqrt(x));return 0;}", [("2", "1.4142135624")]),
]

CPP_TABLE = [
    ("#include <bits/stdc++.h>\nusing namespace std;\nint main(){int n;cin>>n;vector<int> v(n);"
     "for(auto&x:v)cin>>x;sort(v.begin(),v.end());for(int x:v)cout<<x<<' ';cout<<'\\n';}",
     [("5\n3 1 2 5 4", "1 2 3 4 5"), ("1\n7", "7")]),
]


def cases(table):
    return [[{"input": i, "output": o} for i, o in tests] for _, tests in table]


def test_sandbox_info_reports_layers():
    info = sandbox_info()
    assert set(info) >= {"namespaces", "layers", "landlock_abi", "seccomp", "fallback", "reason"}
    assert "process_group" in info["layers"]
    if not info["namespaces"]:
        assert info["fallback"] == "process_group" and "namespaces" in info["reason"]


def test_python_table_scores_one():
    rewards, details = code([fenced("python", p) for p, _ in PY_TABLE], cases(PY_TABLE),
                            timeout=5, return_details=True)
    assert rewards.dtype == np.float32
    assert rewards.tolist() == [1.0] * len(PY_TABLE), details


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_c_table_scores_one():
    rewards, details = code([fenced("c", p) for p, _ in C_TABLE], cases(C_TABLE), language="c",
                            comparator="float", return_details=True)
    assert rewards.tolist() == [1.0] * len(C_TABLE), details


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")
def test_cpp_table_and_compile_error():
    progs = [fenced("cpp", p) for p, _ in CPP_TABLE] + [fenced("cpp", "int main( {")]
    rewards, details = code(progs, cases(CPP_TABLE) * 2, language="cpp", return_details=True)
    assert rewards.tolist() == [1.0, 0.0]
    assert {v.verdict for v in details[1]} == {"compile_error"}
    assert "error" in details[1][0].message


def test_wrong_answers_and_fraction_vs_all():
    prog = fenced("python", "print(int(input()) * 2)")
    tests = [[("1", "2"), ("2", "4"), ("3", "7"), ("4", "8")]]
    assert code([prog], tests).tolist() == [0.75]
    assert code([prog], tests, mode="all").tolist() == [0.0]
    _, details = code([prog], tests, return_details=True)
    assert [v.verdict for v in details[0]] == ["accepted"] * 2 + ["wrong_answer", "accepted"]
    # mode="all" stops a program at its first failing test.
    _, details = code([prog], tests, mode="all", return_details=True)
    assert [v.verdict for v in details[0]] == ["accepted"] * 2 + ["wrong_answer", "skipped"]


def test_extra_or_missing_line_fails():
    # open-r1 compares through zip(), so a correct prefix passes there; here it must not.
    prog_short = fenced("python", "print(1)")
    prog_long = fenced("python", "print(1)\nprint(2)\nprint(3)")
    tests = [[("", "1\n2")]] * 2
    assert code([prog_short, prog_long], tests).tolist() == [0.0, 0.0]


def test_runtime_error_and_no_code():
    rewards, details = code(["no code here", fenced("python", "raise ValueError('x')")],
                            [[("", "1")], [("", "1")]], return_details=True)
    assert rewards.tolist() == [0.0, 0.0]
    assert details[0][0].verdict == "no_code"
    assert details[1][0].verdict == "runtime_error" and "ValueError" in details[1][0].message


def test_function_call_tests_formats():
    prog = fenced("python", "def add(a, b):\n    return a + b")
    lcb = [{"input": "1\n2", "output": "3", "testtype": "functional", "fn_name": "add"},
           {"input": "[1]\n[2]", "output": "[1, 2]", "testtype": "functional"}]
    apps = {"inputs": [[1, 2], [[1], [2]]], "outputs": [[3], [[1, 2]]], "fn_name": "add"}
    prime = json.dumps({"inputs": ["1\n2", "\"a\"\n\"b\""], "outputs": ["3", "\"ab\""],
                        "fn_name": "add"})
    assert code([prog] * 3, [lcb, apps, prime]).tolist() == [1.0, 1.0, 1.0]


def test_function_call_leetcode_class_and_float_tolerance():
    prog = fenced("python", "class Solution:\n    def third(self, x):\n        return x / 3")
    tests = [{"inputs": ["1", "2"], "outputs": ["0.3333333333", "0.6666666667"],
              "fn_name": "third"}]
    assert code([prog], tests).tolist() == [1.0]


def test_function_call_wrong_and_tuple_result():
    prog = fenced("python", "def f(x):\n    return (x, x) if x else 5")
    tests = [{"inputs": ["1", "0"], "outputs": ["[1, 1]", "6"], "fn_name": "f"}]
    _, details = code([prog], tests, return_details=True)
    assert [v.verdict for v in details[0]] == ["accepted", "wrong_answer"]


def test_open_r1_verification_info_format():
    info = {"language": "python", "test_cases": [{"input": "2 3", "output": "5",
                                                  "type": "stdin_stdout"}]}
    assert code([fenced("python", PY_SUM)], [info]).tolist() == [1.0]


def test_trl_drop_in():
    from grpo_c.integrations.trl import binary_code_reward, code_reward

    completions = [[{"role": "assistant", "content": fenced("python", PY_SUM)}],
                   [{"role": "assistant", "content": fenced("python", "print(0)")}]]
    info = [{"language": "python", "test_cases": [{"input": "1 1", "output": "2"},
                                                  {"input": "0 0", "output": "0"}]}] * 2
    assert code_reward(completions, verification_info=info) == [1.0, 0.5]
    assert binary_code_reward(completions, verification_info=info) == [1.0, 0.0]


def test_extract_code_last_block_and_language():
    text = "```python\na\n```\ntext\n```python\nb\n```"
    assert extract_code(text) == "b\n"
    assert extract_code("```cpp\nx\n```\n```python\ny\n```", "cpp") == "x\n"
    assert extract_code("nothing") == ""


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="tests"):
        code(["x"], [])
    with pytest.raises(ValueError, match="language"):
        code(["x"], [[("", "")]], language="rust")
    with pytest.raises(ValueError, match="mode"):
        code(["x"], [[("", "")]], mode="some")
    with pytest.raises(ValueError, match="timeout"):
        code(["x"], [[("", "")]], timeout=0)
    with pytest.raises(TypeError, match="completions"):
        code("x", [[("", "")]])
    with pytest.raises(TypeError, match=r"tests\[0\]"):
        code(["x"], [42])
    with pytest.raises(ValueError, match="fn_name"):
        code(["x"], [[{"input": "1", "output": "1", "testtype": "functional"}]])
    limits = {"wall_seconds": 1.0, "cpu_seconds": 1.0, "memory_bytes": 0,
              "file_bytes": 1 << 20, "stdout_bytes": 1 << 20, "stderr_bytes": 1 << 20,
              "collect_bytes": 0, "max_processes": 1, "open_files": 16, "namespaces": 0}
    with pytest.raises(KeyError, match="wall_seconds"):
        _sandbox.run_batch([{"argv": ["/bin/true"]}], {}, 1)
    with pytest.raises(TypeError, match="argv"):
        _sandbox.run_batch([{"argv": [1]}], limits, 1)
    with pytest.raises(ValueError, match="NUL"):
        _sandbox.run_batch([{"argv": ["/bin/true\0x"]}], limits, 1)
    with pytest.raises(ValueError, match="invalid"):
        _sandbox.run_batch([{"argv": ["relative/path"]}], limits, 1)
    with pytest.raises(ValueError, match="invalid"):
        _sandbox.run_batch([{"argv": ["/bin/true"], "files": [("../x", b"", False)]}], limits, 1)
    with pytest.raises(ValueError, match="workers"):
        _sandbox.run_batch([], limits, 0)


def test_results_do_not_depend_on_workers():
    progs = [fenced("python", f"print(int(input()) + {k})") for k in range(6)]
    tests = [[("1", str(1 + k % 3))] for k in range(6)]
    one = code(progs, tests, workers=1)
    two = code(progs, tests, workers=2)
    np.testing.assert_array_equal(one, two)


MODES = {"exact": _sandbox.COMPARE_EXACT, "lines": _sandbox.COMPARE_LINES,
         "tokens": _sandbox.COMPARE_TOKENS, "float": _sandbox.COMPARE_FLOAT}
text = st.text(alphabet=st.sampled_from(list("01 .-\n\t\re5x")), max_size=40)


@settings(max_examples=400, deadline=None)
@given(text, text, st.sampled_from(sorted(MODES)))
def test_comparators_match_reference(actual, expected, mode):
    got = _sandbox.compare(actual.encode(), expected.encode(), MODES[mode], 1e-6, 1e-6)
    assert got == ref.compare_output(actual, expected, mode, 1e-6, 1e-6)


def test_comparator_cases():
    cmp = lambda a, e, m: _sandbox.compare(a.encode(), e.encode(), MODES[m], 1e-6, 1e-6)  # noqa
    assert cmp("1 2  \n3\n\n", "1 2\n3", "lines")
    assert not cmp("1  2\n3", "1 2\n3", "lines")
    assert cmp("1  2\n3", "1 2\n3", "tokens")
    assert cmp("0.3333333", "0.333333", "float")
    assert not cmp("50000000000000001", "50000000000000000", "float")
    assert cmp("-0", "0", "float") and cmp("007", "7", "float")
    assert not cmp("nan", "nan ", "exact") and cmp("nan", "nan", "float")
    assert grpo_c.rewards.code is code


def test_function_call_timeout_is_per_test():
    prog = fenced("python", "def f(x):\n    while x:\n        pass\n    return 0")
    tests = [{"inputs": ["0", "1", "0"], "outputs": ["0", "0", "0"], "fn_name": "f"}]
    _, details = code([prog], tests, timeout=1, return_details=True)
    assert [v.verdict for v in details[0]] == ["accepted", "time_limit", "accepted"]


def test_lost_child_status_fails_closed():
    import signal

    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        rewards, details = code([fenced("python", "print(1)")], [[("", "1")]],
                                return_details=True)
    finally:
        signal.signal(signal.SIGCHLD, previous)
    assert np.isnan(rewards[0]) and details[0][0].verdict == "sandbox_error"


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=200), st.text(max_size=50))
def test_arbitrary_programs_never_crash_the_caller(body, stdin):
    rewards, details = code([fenced("python", body)], [[(stdin, "1")]], timeout=2,
                            return_details=True)
    assert rewards.shape == (1,) and rewards.dtype == np.float32
    assert details[0][0].verdict in VERDICTS


def test_concurrent_calls_from_python_threads():
    from concurrent.futures import ThreadPoolExecutor

    progs = [fenced("python", f"print(int(input()) * {k})") for k in range(4)]
    tests = [[("3", str(3 * k))] for k in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: code(progs, tests, workers=1), range(6)))
    for r in results:
        assert r.tolist() == [1.0] * 4


def test_no_tests_cannot_be_judged():
    assert np.isnan(code([fenced("python", "print(1)")], [[]])[0])


@pytest.mark.parametrize("startup", ["fork", "fast", "site"])
def test_every_python_startup_gives_the_same_verdicts(startup):
    progs = [fenced("python", p) for p, _ in PY_TABLE] + [
        fenced("python", "import sys\nprint(int(input()) * 2)\nexit(0)"),
        fenced("python", "print(int(input()) * 3)"),
        fenced("python", "raise SystemExit('bye')"),
        fenced("python", "import threading\ndef main():\n    print(int(input()) * 2)\n"
                         "threading.Thread(target=main).start()"),
    ]
    doubling = [("1", "2"), ("5", "10"), ("7", "14")]
    tests = cases(PY_TABLE) + [doubling] * 4
    rewards, details = code(progs, tests, python_startup=startup, return_details=True)
    assert rewards.tolist() == [1.0] * len(PY_TABLE) + [1.0, 0.0, 0.0, 1.0], details
    assert details[-2][0].verdict == "runtime_error" and "bye" in details[-2][0].message


def test_sandboxed_programs_are_package_files_that_do_nothing_on_import():
    import ast
    import importlib
    import subprocess
    import sys

    from grpo_c.rewards import sandboxed

    code_module = importlib.import_module("grpo_c.rewards.code")   # the package exports code()

    for name, text in (("call_harness", code_module._HARNESS),
                       ("fork_server", code_module._FORK_SERVER)):
        ast.parse(text, filename=name + ".py")
        module = importlib.import_module(f"{sandboxed.__name__}.{name}")   # no stdin read, no run
        assert module.__doc__
        proc = subprocess.run([sys.executable, "-c", f"import grpo_c.rewards.sandboxed.{name}"],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        assert proc.returncode == 0 and proc.stdout == b"", proc.stderr


@pytest.mark.parametrize("timeout, seconds, verdict", [(2.0, 0.95 * 5.0, "accepted"),
                                                       (1.0, 1.1 * 3.0, "time_limit")])
def test_a_run_near_the_wall_limit_gets_one_verdict_from_every_start_up_mode(timeout, seconds,
                                                                             verdict):
    """The wall limit is 2 * timeout + 1; a program sleeping 0.95x of it passes and one sleeping
    past it is a time limit, whether a fork server or a process per test ran it."""
    program = f"```python\nimport time\ntime.sleep({seconds})\nprint('done')\n```"
    got = {}
    for startup in ("fork", "fast"):
        _, details = code([program], [[("", "done")]], timeout=timeout, python_startup=startup,
                          return_details=True)
        got[startup] = details[0][0].verdict
    assert got == {"fork": verdict, "fast": verdict}


def test_the_c_runner_classifies_a_fork_servers_tests():
    limits = {"wall_seconds": 5.0, "cpu_seconds": 2.0, "memory_bytes": 1 << 30,
              "file_bytes": 1 << 20, "stdout_bytes": 1 << 20, "stderr_bytes": 1 << 20,
              "collect_bytes": 1 << 20, "max_processes": 1, "open_files": 64,
              "namespaces": _sandbox.NS_AUTO}

    def status(kind, value, cpu, err=b"", over=False, disk_full=False, oom_kills=0):
        return _sandbox.classify(kind, value, cpu, err, over, disk_full, True, oom_kills,
                                 limits)["status"]

    assert status(_sandbox.END_EXIT, 0, 0.1) == _sandbox.EXITED
    assert status(_sandbox.END_EXIT, 1, 0.1, b"MemoryError") == _sandbox.MEMORY_LIMIT
    assert status(_sandbox.END_EXIT, 1, 0.1, disk_full=True) == _sandbox.OUTPUT_LIMIT
    assert status(_sandbox.END_EXIT, 0, 0.1, over=True) == _sandbox.OUTPUT_LIMIT
    assert status(_sandbox.END_DEADLINE, 9, 2.0) == _sandbox.CPU_LIMIT
    assert status(_sandbox.END_DEADLINE, 9, 0.2) == _sandbox.WALL_LIMIT
    # the server's oom count covers all its tests: only a SIGKILL the CPU cannot explain is memory
    assert status(_sandbox.END_SIGNAL, 9, 0.1, oom_kills=1) == _sandbox.MEMORY_LIMIT
    assert status(_sandbox.END_SIGNAL, 9, 1.5, oom_kills=1) == _sandbox.CPU_LIMIT
    assert status(_sandbox.END_EXIT, 1, 0.1, oom_kills=1) == _sandbox.EXITED
    assert status(_sandbox.END_SIGNAL, 11, 0.1) == _sandbox.SIGNALED
    with pytest.raises(ValueError, match="kind"):
        status(7, 0, 0.0)
