"""Code-execution reward throughput: grpo_c's sandbox vs open-r1's local-style runner.

The peer, restated: open-r1's code_reward script runs ``subprocess.run(["python3", "-c", code],
input=..., timeout=5)`` once per test case, skips a non-zero exit, and compares stripped lines
through zip(); programs are spread over ``num_parallel`` workers. We run the same programs and
tests through ``grpo_c.rewards.code`` (a fresh namespaced, Landlock+seccomp-confined,
rlimited sandbox, in C, GIL released) with each ``python_startup``: "fork" (one sandboxed
interpreter per program forks a confined child per test; the default "auto" picks it from 3
tests per program), "fast" (a process per
test, no site module) and "site" (a process per test, a normal ``python -I`` start like the
peer's). Results are verified equal before timing.

    python benchmarks/bench_code.py [--programs 48] [--tests 4] [--repeats 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from grpo_c.rewards import code, extract_code, sandbox_info

PROGRAMS = [
    ("import sys\nprint(sum(map(int, sys.stdin.read().split())))",
     lambda xs: str(sum(xs))),
    ("n = list(map(int, input().split()))\nprint(max(n))\nprint(min(n))",
     lambda xs: f"{max(xs)}\n{min(xs)}"),
    ("xs = sorted(map(int, input().split()))\nprint(' '.join(map(str, xs)))",
     lambda xs: " ".join(map(str, sorted(xs)))),
    ("import math\nxs = list(map(int, input().split()))\ng = 0\nfor x in xs:\n"
     "    g = math.gcd(g, x)\nprint(g)", None),
]


def make_batch(n_programs: int, n_tests: int, seed: int = 0):
    import math
    rng = np.random.default_rng(seed)
    completions, tests = [], []
    for p in range(n_programs):
        body, answer = PROGRAMS[p % len(PROGRAMS)]
        if answer is None:
            answer = lambda xs: str(math.gcd(*xs))  # noqa: E731
        cases = []
        for _ in range(n_tests):
            xs = [int(v) for v in rng.integers(1, 1000, size=8)]
            cases.append({"input": " ".join(map(str, xs)) + "\n", "output": answer(xs)})
        completions.append(f"Solution:\n```python\n{body}\n```\n")
        tests.append({"language": "python", "test_cases": cases})
    return completions, tests


def open_r1_evaluate(code_text: str, cases: list, timeout: float = 5.0) -> float:
    """open-r1's per-program evaluation, restated (including its zip() comparison)."""
    passed = 0
    for case in cases:
        try:
            proc = subprocess.run([sys.executable, "-c", code_text], input=case["input"],
                                  text=True, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            continue
        if proc.returncode != 0:
            continue
        output = proc.stdout.strip()
        ok = all(a.strip() == b.strip()
                 for a, b in zip(output.split("\n"), case["output"].split("\n")))
        passed += ok
    return passed / len(cases)


def open_r1_reward(completions, tests, workers: int) -> np.ndarray:
    programs = [extract_code(c, "python") for c in completions]
    with ThreadPoolExecutor(workers) as pool:
        scores = pool.map(lambda a: open_r1_evaluate(a[0], a[1]["test_cases"]),
                          zip(programs, tests))
        return np.asarray(list(scores), dtype=np.float32)


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--programs", type=int, default=48)
    parser.add_argument("--tests", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    completions, tests = make_batch(args.programs, args.tests)

    ours = code(completions, tests, workers=2)
    peer = open_r1_reward(completions, tests, 2)
    if not (np.array_equal(ours, peer) and np.all(ours == 1.0)):
        raise SystemExit(f"results differ: ours={ours.tolist()} peer={peer.tolist()}")

    rows = []
    for workers in (1, 2):
        t_peer = best_of(lambda: open_r1_reward(completions, tests, workers), args.repeats)
        t_fork = best_of(lambda: code(completions, tests, workers=workers,
                                      python_startup="fork"), args.repeats)
        t_fast = best_of(lambda: code(completions, tests, workers=workers,
                                      python_startup="fast"), args.repeats)
        t_site = best_of(lambda: code(completions, tests, workers=workers,
                                      python_startup="site"), args.repeats)
        rows.append({"workers": workers, "programs": args.programs, "tests": args.tests,
                     "peer_programs_per_s": args.programs / t_peer,
                     "ours_programs_per_s": args.programs / t_fork,
                     "ratio_fork": t_peer / t_fork,
                     "ours_fast_programs_per_s": args.programs / t_fast,
                     "ours_site_programs_per_s": args.programs / t_site,
                     "ratio_fast": t_peer / t_fast, "ratio_site": t_peer / t_site})
    info = sandbox_info()
    if args.json:
        print(json.dumps({"rows": rows, "isolation": info["layers"]}, indent=2))
        return
    print(f"isolation: {', '.join(info['layers'])}")
    print(f"{args.programs} programs x {args.tests} stdin/stdout tests, best of {args.repeats}")
    print("programs/s; grpo_c with python_startup = fork | fast | site (default auto: fork "
          "from 3 tests per program)")
    print(f"{'workers':>7} | {'open-r1 local':>13} | {'fork':>7} {'ratio':>6} | "
          f"{'fast':>7} {'ratio':>6} | {'site':>7} {'ratio':>6}")
    for r in rows:
        print(f"{r['workers']:>7} | {r['peer_programs_per_s']:>13.1f} | "
              f"{r['ours_programs_per_s']:>7.1f} {r['ratio_fork']:>5.2f}x | "
              f"{r['ours_fast_programs_per_s']:>7.1f} {r['ratio_fast']:>5.2f}x | "
              f"{r['ours_site_programs_per_s']:>7.1f} {r['ratio_site']:>5.2f}x")


if __name__ == "__main__":
    main()
