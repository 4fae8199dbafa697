"""Text rewards: grpo_c against the peers' own regexes and loops, same inputs, same process.

Verifies every verdict first, then times best-of-repeats. The peer baseline restates open-r1's
and TRL's rules (their regexes run by Python's `re`, their n-gram loop), on plain strings.

    python benchmarks/bench_text.py [--n 4096] [--repeats 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import time
import tracemalloc

import numpy as np

import grpo_c
from grpo_c import reference, rewards

FLAGS = re.DOTALL | re.MULTILINE
OPENR1_FORMAT = re.compile(r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$", FLAGS)
OPENR1_CODE = re.compile(r"^<think>\n.*?\n</think>\n<answer>\n.*?```python.*?```.*?\n</answer>$",
                         FLAGS)
TRL_THINK = re.compile(r"^<think>(?!.*<think>)(.*?)</think>.*$", FLAGS)
OPENR1_STEPS = re.compile(r"(Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,)")


def peer_format(texts):
    return [1.0 if OPENR1_FORMAT.match(t) else 0.0 for t in texts]


def peer_code_format(texts):
    return [1.0 if OPENR1_CODE.match(t) else 0.0 for t in texts]


def peer_think(texts):
    return [1.0 if TRL_THINK.match(t) else 0.0 for t in texts]


def peer_tag_count(texts):
    def count(text):
        c = 0.0
        for piece in ("<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>"):
            if text.count(piece) == 1:
                c += 0.25
        return c
    return [count(t) for t in texts]


def peer_steps(texts):
    return [min(1.0, len(OPENR1_STEPS.findall(t)) / 3) for t in texts]


def peer_repetition(texts, n=3, max_penalty=-1.0):
    out = []
    for t in texts:
        words = t.lower().split()
        if len(words) < n:
            out.append(0.0)
            continue
        grams = list(zip(*[words[i:] for i in range(n)]))
        out.append((1 - len(set(grams)) / len(grams)) * max_penalty)
    return out


SENTENCES = [
    "Let me think about this step by step.", "First, we compute the sum of the roots.",
    "Step 2: substitute $x = 3$ into the equation.", "Next, simplify \\frac{a}{b} carefully.",
    "So the total is 42 apples.", "Wait, that is not right, let me recheck.",
    "- the first case gives 7", "* the second case gives 9", "Finally, we verify the answer.",
    "我们先计算这个积分。", "The answer should be an integer between 0 and 999.",
]


def completion(rng: random.Random) -> str:
    think = "\n".join(rng.choice(SENTENCES) for _ in range(rng.randint(8, 40)))
    answer = rng.choice(["The answer is \\boxed{42}.", "```python\nprint(42)\n```", "42"])
    shape = rng.random()
    if shape < 0.6:
        return f"<think>\n{think}\n</think>\n<answer>\n{answer}\n</answer>"
    if shape < 0.8:
        return f"<think>{think}</think> {answer}"
    return think + "\n" + answer


def peak_kb(fn):
    """Peak Python-heap allocation of one call (tracemalloc; the C core's own scratch is
    malloc'ed outside it and bounded by the input)."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1024


def best_time(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096, help="completions per batch")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--adversarial-kb", type=int, default=152)
    parser.add_argument("--skip-peer-adversarial", action="store_true",
                        help="do not run the quadratic peer regex on the adversarial input")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    rng = random.Random(0)
    texts = [completion(rng) for _ in range(args.n)]
    mb = sum(len(t.encode()) for t in texts) / 1e6

    cases = [
        ("format (open-r1)", peer_format, lambda t, k: rewards.format(t, num_threads=k)),
        ("think_format (TRL)", peer_think,
         lambda t, k: rewards.format(t, mode="think", num_threads=k)),
        ("code_format (open-r1)", peer_code_format,
         lambda t, k: rewards.code_format(t, "python", num_threads=k)),
        ("tag_count (open-r1)", peer_tag_count, lambda t, k: rewards.tag_count(t, num_threads=k)),
        ("reasoning_steps (open-r1)", peer_steps,
         lambda t, k: rewards.reasoning_steps(t, num_threads=k)),
        ("repetition n=3 (open-r1)", peer_repetition,
         lambda t, k: rewards.repetition(t, num_threads=k)),
    ]
    threads = grpo_c.get_num_threads()
    rows = []
    for name, peer, ours in cases:
        want = np.float32(peer(texts))
        got = ours(texts, 1)
        if not np.array_equal(got, want):
            raise SystemExit(f"{name}: results differ from the peer rule")
        t_peer = best_time(lambda: peer(texts), args.repeats)
        t_one = best_time(lambda: ours(texts, 1), args.repeats)
        t_all = best_time(lambda: ours(texts, threads), args.repeats)
        rows.append({"reward": name, "peer_ms": t_peer * 1e3, "ours_1t_ms": t_one * 1e3,
                     f"ours_{threads}t_ms": t_all * 1e3, "ratio_1t": t_peer / t_one,
                     f"ratio_{threads}t": t_peer / t_all,
                     "peer_peak_kb": peak_kb(lambda: peer(texts)),
                     "ours_peak_kb": peak_kb(lambda: ours(texts, 1))})
    strict = rewards.format(texts, mode="strict", num_threads=1)
    if not np.array_equal(strict, np.float32([reference.format_reward(t, "strict")
                                              for t in texts])):
        raise SystemExit("strict format: results differ from the plain twin")
    rows.append({"reward": "format strict (no peer)", "peer_ms": float("nan"),
                 "ours_1t_ms": best_time(lambda: rewards.format(texts, mode="strict",
                                                                num_threads=1), args.repeats) * 1e3,
                 f"ours_{threads}t_ms": best_time(lambda: rewards.format(texts, mode="strict"),
                                                  args.repeats) * 1e3,
                 "ratio_1t": float("nan"), f"ratio_{threads}t": float("nan"),
                 "peer_peak_kb": float("nan"),
                 "ours_peak_kb": peak_kb(lambda: rewards.format(texts, mode="strict"))})
    t_lang = best_time(lambda: rewards.language_consistency(texts, "en", num_threads=1),
                       args.repeats)
    rows.append({"reward": "language_consistency (no peer)", "peer_ms": float("nan"),
                 "ours_1t_ms": t_lang * 1e3, f"ours_{threads}t_ms": best_time(
                     lambda: rewards.language_consistency(texts, "en"), args.repeats) * 1e3,
                 "ratio_1t": float("nan"), f"ratio_{threads}t": float("nan"),
                 "peer_peak_kb": float("nan"),
                 "ours_peak_kb": peak_kb(lambda: rewards.language_consistency(texts, "en")),
                 "MB_per_s_1t": mb / t_lang})

    unit = "\n</think>\n<answer>\n"
    adversarial = "<think>\n" + unit * (args.adversarial_kb * 1000 // len(unit))
    t_ours_adv = best_time(lambda: rewards.format([adversarial], num_threads=1), args.repeats)
    adv = {"bytes": len(adversarial), "ours_ms": t_ours_adv * 1e3}
    if not args.skip_peer_adversarial:
        start = time.perf_counter()
        want = peer_format([adversarial])
        adv["peer_ms"] = (time.perf_counter() - start) * 1e3
        if rewards.format([adversarial])[0] != want[0]:
            raise SystemExit("adversarial: results differ from the peer rule")
        adv["ratio"] = adv["peer_ms"] / adv["ours_ms"]

    report = {"machine": platform.machine(), "python": platform.python_version(),
              "threads": threads, "completions": args.n, "megabytes": mb, "rows": rows,
              "adversarial": adv}
    if args.json:  # strict JSON: NaN ("no peer") becomes null
        for r in rows:
            for key, value in r.items():
                if isinstance(value, float) and value != value:
                    r[key] = None
        print(json.dumps(report, indent=2))
        return
    print(f"{args.n} completions, {mb:.2f} MB, best of {args.repeats}; {threads} threads")
    print(f"{'reward':32} {'peer ms':>9} {'ours 1t':>9} {f'ours {threads}t':>9} "
          f"{'x 1t':>8} {f'x {threads}t':>8} {'peer KB':>9} {'ours KB':>9}")
    for r in rows:
        print(f"{r['reward']:32} {r['peer_ms']:9.2f} {r['ours_1t_ms']:9.3f} "
              f"{r[f'ours_{threads}t_ms']:9.3f} {r['ratio_1t']:8.1f} {r[f'ratio_{threads}t']:8.1f} "
              f"{r['peer_peak_kb']:9.0f} {r['ours_peak_kb']:9.0f}")
    print(f"language_consistency: {rows[-1]['MB_per_s_1t']:.0f} MB/s on one thread; "
          f"peak KB = Python-heap peak of one call (tracemalloc)")
    line = f"adversarial format input ({adv['bytes'] / 1000:.0f} kB): ours {adv['ours_ms']:.3f} ms"
    if "peer_ms" in adv:
        line += f", open-r1 regex {adv['peer_ms']:.0f} ms ({adv['ratio']:.0f}x)"
    print(line)


if __name__ == "__main__":
    main()
