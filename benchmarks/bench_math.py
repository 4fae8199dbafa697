"""Speed of the math accuracy reward: open-r1's accuracy_reward on Math-Verify vs grpo_c.

Data: a deterministic mix of R1-style completions (a <think> block of 1-4 kB of reasoning prose
with inline LaTeX, then a boxed answer) over integers, fractions, radicals, polynomials,
intervals, tuples and short text answers; about 30% of the answers are wrong and the correct ones
are often written in another form than the gold (unreduced fraction, factored polynomial, other
case). First both graders judge every sample and the agreement is printed; then the per-sample
time of Math-Verify (open-r1 settings, single thread, main thread so its signal timeouts are
live, as in a TRL run; one pass over all samples) is compared with grpo_c.rewards.accuracy at
num_threads=1 and 2 (fastest of --repeats passes).

Usage: python benchmarks/bench_math.py [--n 2000] [--repeats 20] [--json]
(grpo_c must be importable, e.g. PYTHONPATH=<a built checkout of branch math>).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from compare_math_verify import _is_bare_latex, math_verify_reward  # noqa: E402

SENTENCES = (
    "Let $a = {p}$ and $b = {q}$, so $a + b = {s}$.",
    "Next, consider $\\frac{{{p}}}{{{q}}}$, which we keep as it is until the end.",
    "We check the case $x = {p}$: then $x^2 - {q}x = {r}$, which is not what we need.",
    "Hmm, wait. That does not account for the boundary terms, so let me recount them.",
    "Using $(a+b)^2 = a^2 + 2ab + b^2$ with $a = {p}$ and $b = {q}$ gives ${t}$.",
    "So far the partial sum is {p}; adding {q} more gives {s}.",
    "The triangle with legs {p} and {q} has hypotenuse $\\sqrt{{{u}}}$.",
    "If we multiply both sides by {q}, the equation becomes ${p}y = {r}$.",
    "Alternatively, I could count the complement: there are {p} ways to fail and {q} to succeed.",
    "Let me double-check the arithmetic: {p} times {q} is {r}.",
    "The interval $[{p}, {s}]$ contains exactly {q_plus} integers.",
    "By symmetry the two halves contribute equally, so it suffices to study one of them.",
)

TEXT_ANSWERS = ("Monday", "even", "odd", "yes", "no", "Alice", "north", "clockwise")


def _reasoning(rng: random.Random) -> str:
    target = rng.randint(1000, 4000)
    parts, size = [], 0
    while size < target:
        p, q = rng.randint(2, 99), rng.randint(2, 99)
        sentence = rng.choice(SENTENCES).format(p=p, q=q, s=p + q, r=p * q, t=(p + q) ** 2,
                                                u=p * p + q * q, q_plus=q + 1)
        parts.append(sentence)
        size += len(sentence) + 1
        if rng.random() < 0.15:
            parts.append("\n\n")
    return " ".join(parts)


def _answer(rng: random.Random) -> tuple[str, str, str]:
    """(gold, an equivalent prediction, a wrong prediction) of a random answer type."""
    kind = rng.randrange(8)
    a, b = rng.randint(2, 60), rng.randint(2, 60)
    if kind == 0:
        return str(a * b), str(a * b), str(a * b + rng.choice((-1, 1, 10)))
    if kind == 1:
        d = b + a
        return (f"\\frac{{{a}}}{{{d}}}", f"\\frac{{{2 * a}}}{{{2 * d}}}",
                f"\\frac{{{d}}}{{{a}}}")
    if kind == 2:
        k = rng.choice((2, 3, 5, 6, 7))
        return f"{a}\\sqrt{{{k}}}", f"{a}\\sqrt{{{k}}}", f"{a + 1}\\sqrt{{{k}}}"
    if kind == 3:
        return (f"x^2+{a + b}x+{a * b}", f"(x+{a})(x+{b})", f"(x+{a})(x-{b})")
    if kind == 4:
        return f"({a}, {a + b}]", f"({a},{a + b}]", f"[{a}, {a + b}]"
    if kind == 5:
        return f"({a}, {b})", f"({a},{b})", f"({b + 1}, {a})"
    if kind == 6:
        word = rng.choice(TEXT_ANSWERS)
        other = rng.choice([w for w in TEXT_ANSWERS if w != word])
        return f"\\text{{{word}}}", f"\\text{{{word.capitalize()}}}", f"\\text{{{other}}}"
    return f"{a}.{b:02d}", f"{a}.{b:02d}0", f"{a}.{(b + 7) % 100:02d}"


ENDINGS = (
    "Therefore, the final answer is $\\boxed{{{}}}$.",
    "**Final Answer**\n\\[\n\\boxed{{{}}}\n\\]",
    "So the answer is $\\boxed{{{}}}$.",
)


def make_samples(n: int, seed: int = 20261129) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    completions, golds = [], []
    for _ in range(n):
        gold, right, wrong = _answer(rng)
        prediction = right if rng.random() < 0.7 else wrong
        completions.append("<think>\n" + _reasoning(rng) + "\n</think>\n\n" +
                           rng.choice(ENDINGS).format(prediction))
        golds.append(gold)
    return completions, golds


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="number of samples")
    parser.add_argument("--repeats", type=int, default=20,
                        help="timed runs of grpo_c; the fastest counts (least disturbed by load)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    from grpo_c.rewards import accuracy

    completions, golds = make_samples(args.n)
    mv_golds = [f"${g}$" if _is_bare_latex(g) else g for g in golds]
    mv = math_verify_reward("openr1", wrap_bare_gold=False)

    start, cpu_start = time.perf_counter(), time.process_time()
    mv_rewards = [mv(c, g) for c, g in zip(completions, mv_golds)]
    mv_seconds, mv_cpu = time.perf_counter() - start, time.process_time() - cpu_start

    ours = accuracy(completions, golds, num_threads=1).tolist()
    agree = sum((m is not None and m == o) for m, o in zip(mv_rewards, ours))
    timings, cpu_one_thread = {}, []
    for threads in (1, 2):
        runs = []
        for _ in range(args.repeats):
            start, cpu_start = time.perf_counter(), time.process_time()
            accuracy(completions, golds, num_threads=threads)
            runs.append(time.perf_counter() - start)
            if threads == 1:
                cpu_one_thread.append(time.process_time() - cpu_start)
        timings[threads] = min(runs)

    mean_bytes = sum(len(c.encode()) for c in completions) / len(completions)
    mv_us = mv_seconds / args.n * 1e6
    result = {
        "samples": args.n, "mean_completion_bytes": round(mean_bytes),
        "cpu_count": os.cpu_count(), "load_average_1min": os.getloadavg()[0],
        "verdict_agreement": agree / args.n,
        "math_verify_correct_fraction": sum(m == 1.0 for m in mv_rewards) / args.n,
        "grpo_c_correct_fraction": sum(o == 1.0 for o in ours) / args.n,
        "math_verify_us_per_sample": mv_us,
        "grpo_c_1_thread_us_per_sample": timings[1] / args.n * 1e6,
        "grpo_c_2_threads_us_per_sample": timings[2] / args.n * 1e6,
    }
    # CPU time of the single-threaded runs: less disturbed than wall time on a shared machine.
    result["math_verify_cpu_us_per_sample"] = mv_cpu / args.n * 1e6
    result["grpo_c_1_thread_cpu_us_per_sample"] = min(cpu_one_thread) / args.n * 1e6
    result["speedup_1_thread"] = mv_us / result["grpo_c_1_thread_us_per_sample"]
    result["speedup_2_threads"] = mv_us / result["grpo_c_2_threads_us_per_sample"]
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print(f"{args.n} samples, mean completion {mean_bytes:.0f} bytes; verdicts agree on "
          f"{100 * result['verdict_agreement']:.1f}% (correct: Math-Verify "
          f"{100 * result['math_verify_correct_fraction']:.1f}%, grpo_c "
          f"{100 * result['grpo_c_correct_fraction']:.1f}%); {os.cpu_count()} CPUs, "
          f"load average {result['load_average_1min']:.2f}")
    print(f"{'implementation':<44} {'us/sample':>12} {'speedup':>9}")
    print(f"{'open-r1 accuracy_reward (Math-Verify, 1 thread)':<44} {mv_us:>12.1f} {1.0:>8.1f}x")
    for threads in (1, 2):
        per = result[f"grpo_c_{threads}_thread{'s' if threads > 1 else ''}_us_per_sample"]
        label = f"grpo_c.rewards.accuracy num_threads={threads}"
        print(f"{label:<44} {per:>12.2f} {mv_us / per:>8.0f}x")
    mv_cpu_us, gc_cpu_us = (result["math_verify_cpu_us_per_sample"],
                            result["grpo_c_1_thread_cpu_us_per_sample"])
    print(f"CPU time per sample, single thread: Math-Verify {mv_cpu_us:.1f} us, grpo_c "
          f"{gc_cpu_us:.2f} us ({mv_cpu_us / gc_cpu_us:.0f}x)")


if __name__ == "__main__":
    main()
