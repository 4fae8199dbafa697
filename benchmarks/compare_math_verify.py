"""Verdicts of Math-Verify (with open-r1's accuracy_reward settings) and of grpo_c on our corpus.

Runs every case of tests/data/math_corpus.jsonl through both graders and prints how often each
agrees with the corpus verdict and with the other, then lists every case where Math-Verify or
grpo_c departs from the corpus, with its category and the corpus note (why the corpus verdict is
the right one under notes/math-policy.md). `--markdown PATH` writes the same report as a
Markdown page (docs/math-vs-math-verify.md).

The Math-Verify side restates open-r1's accuracy_reward (rewards.md §1.2): gold parsed with the
default extraction configs in first_match mode (unparseable gold -> None), prediction parsed with
a LaTeX-only config that tries boxes first and requires an anchor otherwise, with malformed
operators not repaired; reward = verify(gold, prediction), an exception -> None. `--config trl`
uses TRL's prediction config instead (default normalisation except units=True). Math-Verify reads
LaTeX only inside a math environment (a bare `2^{100}` gold parses as 2, `\sqrt{2}` as nothing),
so a bare LaTeX gold (not prose, no `$`, box or `####`) is passed as `$gold$`, as users of
MATH-style answer columns do; `--gold-as-is` shows open-r1's behaviour on the raw column.

Usage: python benchmarks/compare_math_verify.py [--config openr1|trl] [--markdown PATH] [--json]
(grpo_c must be importable, e.g. PYTHONPATH=<a built checkout of branch math>).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import pathlib
import re
import sys
import time
from collections import Counter

CORPUS_PATH = pathlib.Path(__file__).resolve().parents[1] / "tests" / "data" / "math_corpus.jsonl"


def math_verify_reward(config: str, wrap_bare_gold: bool):
    """open-r1 (or TRL) accuracy_reward for one (completion, gold) pair, on Math-Verify."""
    from latex2sympy2_extended import NormalizationConfig
    from math_verify import LatexExtractionConfig, parse, verify

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    logging.getLogger("latex2sympy2_extended").setLevel(logging.CRITICAL)
    if config == "openr1":
        normalization = NormalizationConfig(nits=False, malformed_operators=False, basic_latex=True,
                                            equations=True, boxed="all", units=True)
    else:
        normalization = NormalizationConfig(units=True)
    prediction_config = [LatexExtractionConfig(normalization_config=normalization,
                                               boxed_match_priority=0,
                                               try_extract_without_anchor=False)]

    def reward(completion: str, gold: str) -> float | None:
        if wrap_bare_gold and _is_bare_latex(gold):
            gold = f"${gold}$"
        gold_parsed = parse(gold, extraction_mode="first_match")
        if not gold_parsed:
            return None
        answer_parsed = parse(completion, extraction_config=prediction_config,
                              extraction_mode="first_match")
        try:
            return float(verify(gold_parsed, answer_parsed))
        except Exception:
            return None

    return reward


def _is_bare_latex(gold: str) -> bool:
    """A short LaTeX answer outside any math environment (not prose, a box or a GSM8K solution)."""
    if "$" in gold or "\\boxed" in gold or "####" in gold:
        return False
    words = re.sub(r"\\(?:begin|end|text[a-z]*|mathrm)\{[^{}]*\}|\\[A-Za-z]+", " ", gold)
    return re.search(r"[A-Za-z]{3,}", words) is None


def _code(value) -> int | None:
    """A reward as a corpus verdict: 1, 0 or None (NaN/None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value == 1.0)


def _show(verdict) -> str:
    return "None" if verdict is None else str(verdict)


def _excerpt(text: str, limit: int = 90) -> str:
    flat = text.replace("\n", "\\n").replace("|", "\\|")
    if len(flat) <= limit:
        return flat
    return flat[: limit // 2 - 3] + " ... " + flat[-(limit // 2 - 2):]


def run(config: str, wrap_bare_gold: bool = True) -> dict:
    cases = [json.loads(line) for line in CORPUS_PATH.read_text(encoding="utf-8").splitlines()]
    mv = math_verify_reward(config, wrap_bare_gold)
    start = time.perf_counter()
    mv_verdicts = [_code(mv(c["completion"], c["gold"])) for c in cases]
    mv_seconds = time.perf_counter() - start

    try:
        from grpo_c.rewards import accuracy
    except ImportError:
        accuracy = None
    gc_verdicts = None
    gc_seconds = None
    if accuracy is not None:
        start = time.perf_counter()
        values = accuracy([c["completion"] for c in cases], [c["gold"] for c in cases])
        gc_seconds = time.perf_counter() - start
        gc_verdicts = [_code(v) for v in values.tolist()]

    rows = []
    for i, case in enumerate(cases):
        expected = case["expected"]
        row = {"id": case["id"], "category": case["category"], "gold": case["gold"],
               "completion": case["completion"], "expected": expected,
               "math_verify": mv_verdicts[i], "note": case["note"]}
        if gc_verdicts is not None:
            row["grpo_c"] = gc_verdicts[i]
        rows.append(row)
    summary = {"cases": len(cases), "config": config, "gold_wrapped": wrap_bare_gold,
               "math_verify_agrees": sum(r["math_verify"] == r["expected"] for r in rows),
               "math_verify_seconds": mv_seconds}
    if gc_verdicts is not None:
        summary["grpo_c_agrees"] = sum(r["grpo_c"] == r["expected"] for r in rows)
        summary["grpo_c_math_verify_agree"] = sum(r["grpo_c"] == r["math_verify"] for r in rows)
        summary["grpo_c_seconds"] = gc_seconds
    return {"summary": summary, "rows": rows}


def _departures(rows, grader: str) -> Counter:
    kinds = Counter()
    for r in rows:
        got, expected = r[grader], r["expected"]
        if got == expected:
            continue
        if expected is None:
            kinds["judged"] += 1
        elif got is None:
            kinds["skipped"] += 1
        else:
            kinds["fp" if got == 1 else "fn"] += 1
    return kinds


def _category_table(rows, have_gc: bool) -> list[str]:
    totals = Counter(r["category"] for r in rows)
    mv_ok = Counter(r["category"] for r in rows if r["math_verify"] == r["expected"])
    gc_ok = Counter(r["category"] for r in rows if have_gc and r["grpo_c"] == r["expected"])
    head = "| category | cases | Math-Verify agrees |" + (" grpo_c agrees |" if have_gc else "")
    lines = [head, "|---|---:|---:|" + ("---:|" if have_gc else "")]
    for category in sorted(totals):
        line = f"| {category} | {totals[category]} | {mv_ok[category]} |"
        if have_gc:
            line += f" {gc_ok[category]} |"
        lines.append(line)
    return lines


def _disagreement_table(rows, grader: str) -> list[str]:
    lines = ["| id | gold | completion (excerpt) | corpus | " + grader + " | why the corpus verdict |",
             "|---|---|---|---:|---:|---|"]
    for r in rows:
        if r[grader] != r["expected"]:
            lines.append(f"| {r['id']} | `{_excerpt(r['gold'], 40)}` | `{_excerpt(r['completion'])}` "
                         f"| {_show(r['expected'])} | {_show(r[grader])} | {r['note']} |")
    return lines


def report_markdown(result: dict, command: str) -> str:
    s, rows = result["summary"], result["rows"]
    have_gc = "grpo_c_agrees" in s
    out = ["# Math accuracy: grpo_c vs Math-Verify on the grpo_c verdict corpus", "",
           f"Measured with `{command}` (Math-Verify {_mv_version()}, "
           f"{'open-r1' if s['config'] == 'openr1' else 'TRL'} accuracy_reward settings"
           f"{'; bare LaTeX golds passed as $gold$' if s['gold_wrapped'] else '; golds as is'}).",
           "",
           f"- corpus cases: {s['cases']} (tests/data/math_corpus.jsonl; verdicts per notes/math-policy.md)",
           f"- Math-Verify agrees with the corpus: {s['math_verify_agrees']}/{s['cases']}"
           f" ({s['math_verify_seconds']:.1f} s for the corpus)"]
    if have_gc:
        out += [f"- grpo_c agrees with the corpus: {s['grpo_c_agrees']}/{s['cases']}"
                f" ({s['grpo_c_seconds'] * 1000:.1f} ms for the corpus)",
                f"- grpo_c and Math-Verify give the same verdict: "
                f"{s['grpo_c_math_verify_agree']}/{s['cases']}"]
    out += ["", "Kinds of departure from the corpus (false positive = rewarded a wrong or missing answer,",
            "false negative = denied a right one, skipped = gold not parsed, reward None):", "",
            "| grader | false positives | false negatives | wrongly skipped | NaN expected, got a verdict |",
            "|---|---:|---:|---:|---:|"]
    for grader in ("math_verify", "grpo_c") if have_gc else ("math_verify",):
        kinds = _departures(rows, grader)
        out.append(f"| {grader} | {kinds['fp']} | {kinds['fn']} | {kinds['skipped']} | {kinds['judged']} |")
    out += ["", "## Per category", ""] + _category_table(rows, have_gc)
    out += ["", "## Where Math-Verify departs from the corpus", "",
            "`None` means the gold was not parsed (reward skipped).", ""]
    out += _disagreement_table(rows, "math_verify")
    if have_gc:
        out += ["", "## Where grpo_c departs from the corpus", ""] + _disagreement_table(rows, "grpo_c")
    return "\n".join(out) + "\n"


def _mv_version() -> str:
    from importlib.metadata import version

    return version("math-verify")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=("openr1", "trl"), default="openr1")
    parser.add_argument("--gold-as-is", action="store_true",
                        help="pass bare LaTeX golds unwrapped")
    parser.add_argument("--markdown", type=pathlib.Path, help="write the report to this file")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    args = parser.parse_args(argv)
    result = run(args.config, not args.gold_as_is)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    command = "python benchmarks/compare_math_verify.py" + (
        f" --config {args.config}" if args.config != "openr1" else "") + (
        " --gold-as-is" if args.gold_as_is else "")
    text = report_markdown(result, command)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
