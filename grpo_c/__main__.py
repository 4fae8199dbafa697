"""Command line of grpo_c.

    python -m grpo_c                       score the bundled sample rollouts
    python -m grpo_c score [rollouts.jsonl] [--rewards accuracy,format,...] [--group-size G]
                           [--weights 1,0.5,...] [--out scored.jsonl]
    python -m grpo_c example               the worked example (grpo_c._example)
    python -m grpo_c info                  how this build was made

`score` reads one JSON object per line with "completion" (a string or chat messages) and
optionally "prompt", "solution", "tests" (for the code reward) and "group"; computes the chosen rewards, their weighted NaN-aware
sum and group-relative advantages; writes each row with its scores when --out is given; and
prints a per-reward summary. A malformed line is reported with its number and skipped, never
dropped silently. Groups come from "group", else --group-size consecutive rows, else rows that
share a prompt.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.resources
import json
import math
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

import numpy as np

DEFAULT_REWARDS = ("accuracy", "format", "tag_count")
SOLUTION_REWARDS = ("accuracy", "length", "cosine")
BUNDLED = "sample_rollouts.jsonl"
STATUS_EVERY = 30.0  # seconds between status lines when stderr is not a terminal


class Progress:
    """Progress on stderr (no dependency): a one-line bar on a terminal ("bar"), a status line
    every STATUS_EVERY seconds elsewhere ("lines", so that logs of long runs show life), or
    nothing (None)."""

    def __init__(self, total: float, label: str, style: str | None, stream: TextIO | None = None):
        self.total = max(total, 1)
        self.label = label
        self.style = style
        self.stream = stream or sys.stderr
        self.every = STATUS_EVERY
        self.start = self.printed = time.monotonic()
        self.last = -1

    def update(self, done: float, unit: str = "") -> None:
        if self.style is None:
            return
        percent = int(100 * min(done, self.total) / self.total)
        if self.style == "lines":
            now = time.monotonic()
            if now - self.printed >= self.every:
                self.printed = now
                of = f"{done:g}/{self.total:g}{unit} " if unit else ""
                self.stream.write(f"{self.label}: {of}{percent}% after {now - self.start:.0f} s\n")
                self.stream.flush()
            return
        if percent == self.last:
            return
        self.last = percent
        filled = percent * 30 // 100
        self.stream.write(f"\r{self.label:<10} [{'#' * filled}{'.' * (30 - filled)}] {percent:3d}%")
        self.stream.flush()

    def close(self) -> None:
        if self.style == "bar" and self.last >= 0:
            self.stream.write("\n")
            self.stream.flush()


# ------------------------------------------------------------------------------ reading


def _completion_ok(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return (isinstance(value, list) and len(value) > 0 and isinstance(value[0], dict)
            and isinstance(value[0].get("content"), str))


def _excerpt(text: str, limit: int = 60) -> str:
    text = text.rstrip("\r\n")
    return repr(text if len(text) <= limit else text[:limit] + "...")


def read_rollouts(path: str, progress: str | None, need_solution: bool,
                  need_tests: bool = False) -> tuple[list[dict], list[int], list[str]]:
    """Valid rows, their line numbers, and one message per skipped line. "solution" must be a
    string when a chosen reward needs it, "tests" present when the code reward runs; "group" is
    needed on every row once one row has it."""
    rows: list[dict] = []
    lines: list[int] = []
    problems: list[str] = []
    size = os.path.getsize(path)
    bar = Progress(size, "reading", progress)
    done = 0
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            done += len(raw)
            if number % 1024 == 0:
                bar.update(done)
            try:   # a byte order mark may open the file (editors on Windows write one)
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                problems.append(f"line {number}: not valid UTF-8 ({exc.reason} at byte "
                                f"{exc.start})")
                continue
            if not text.strip():
                problems.append(f"line {number}: empty line")
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                problems.append(f"line {number}: invalid JSON ({exc.msg}, column {exc.colno}): "
                                f"{_excerpt(text)}")
                continue
            if not isinstance(row, dict):
                problems.append(f"line {number}: expected a JSON object, got "
                                f"{type(row).__name__}")
                continue
            if "completion" not in row:
                problems.append(f"line {number}: missing \"completion\"")
                continue
            if not _completion_ok(row["completion"]):
                problems.append(f"line {number}: \"completion\" must be a string or chat "
                                f"messages with string content")
                continue
            if need_solution and "solution" not in row:
                problems.append(f"line {number}: missing \"solution\"")
                continue
            if need_solution and not isinstance(row["solution"], str):
                problems.append(f"line {number}: \"solution\" must be a string")
                continue
            if need_tests and "tests" not in row:
                problems.append(f"line {number}: missing \"tests\" (the code reward's test cases)")
                continue
            prompt = row.get("prompt")
            if prompt is not None and not isinstance(prompt, (str, list)):
                problems.append(f"line {number}: \"prompt\" must be a string or chat messages")
                continue
            group = row.get("group", 0)
            if isinstance(group, bool) or not isinstance(group, (str, int)):
                problems.append(f"line {number}: \"group\" must be a string or an integer")
                continue
            rows.append(row)
            lines.append(number)
    bar.update(size)
    bar.close()
    if any("group" in r for r in rows):
        keep = [i for i, r in enumerate(rows) if "group" in r]
        problems += [f"line {lines[i]}: missing \"group\" (other rows have one)"
                     for i, r in enumerate(rows) if "group" not in r]
        rows, lines = [rows[i] for i in keep], [lines[i] for i in keep]
    problems.sort(key=lambda p: int(p.split(":")[0].split()[1]))
    return rows, lines, problems


def _prompt_text(prompt: Any) -> str:
    if isinstance(prompt, list):
        return "\n".join(str(m.get("content", "")) for m in prompt if isinstance(m, dict))
    return prompt if isinstance(prompt, str) else ""


def group_labels(rows: list[dict], group_size: int | None) -> tuple[np.ndarray | None, int | None]:
    """(group_ids, group_size): from the "group" field, --group-size, or shared prompts."""
    if any("group" in r for r in rows):
        keys = [json.dumps(r["group"]) for r in rows]
        ids = np.unique(keys, return_inverse=True)[1].astype(np.int64)
        sizes = sorted(set(np.bincount(ids).tolist()))
        if group_size is not None and sizes != [group_size]:
            raise ValueError(f"--group-size {group_size}: the rows' \"group\" field gives groups "
                             f"of {', '.join(map(str, sizes))} rows; drop one or the other")
        return ids, None
    if group_size is not None:
        if len(rows) % group_size:
            raise ValueError(f"--group-size {group_size} does not divide the {len(rows)} rows")
        return None, group_size
    keys = [_prompt_text(r.get("prompt")) for r in rows]
    return np.unique(keys, return_inverse=True)[1].astype(np.int64), None


# ------------------------------------------------------------------------------ rewards


def _accuracy(batch: dict) -> np.ndarray:
    from grpo_c import rewards

    texts = rewards.text.texts_of(batch["completions"])
    return np.asarray(rewards.accuracy(texts, batch["solutions"]), dtype=np.float32)


def _needs_accuracy(fn: Callable) -> Callable:
    def scored(batch: dict) -> np.ndarray:
        if "accuracy" not in batch["cache"]:
            batch["cache"]["accuracy"] = _accuracy(batch)
        return fn(batch, batch["cache"]["accuracy"])
    return scored


def _code(batch: dict, args: argparse.Namespace) -> np.ndarray:
    """The code reward in chunks, so that a long run reports its progress."""
    from grpo_c import rewards

    n = len(batch["completions"])
    status = Progress(n, "code", batch["progress"])
    out = np.empty(n, dtype=np.float32)
    chunk = 64
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        out[start:stop] = rewards.code(batch["completions"][start:stop], batch["tests"][start:stop],
                                       language=args.code_language, timeout=args.code_timeout)
        status.update(stop, " rollouts")
    status.close()
    return out


def reward_registry(args: argparse.Namespace) -> dict[str, Callable[[dict], np.ndarray]]:
    from grpo_c import rewards

    return {
        "accuracy": _needs_accuracy(lambda b, acc: acc),
        "format": lambda b: rewards.format(b["completions"]),
        "strict_format": lambda b: rewards.format(b["completions"], mode="strict"),
        "think_format": lambda b: rewards.format(b["completions"], mode="think"),
        "tag_count": lambda b: rewards.tag_count(b["completions"]),
        "reasoning_steps": lambda b: rewards.reasoning_steps(b["completions"]),
        "code_format": lambda b: rewards.code_format(b["completions"], args.code_language),
        "language": lambda b: rewards.language_consistency(
            b["completions"], args.language,
            prompts=b["prompts"] if args.language == "auto" else None),
        "repetition": lambda b: rewards.repetition(b["completions"]),
        "length": _needs_accuracy(lambda b, acc: rewards.kimi_length(
            acc, b["completions"], group_size=b["group_size"], group_ids=b["group_ids"])),
        "cosine": _needs_accuracy(lambda b, acc: rewards.cosine_length(acc, b["completions"])),
        "code": lambda b: _code(b, args),
        "soft_overlong": lambda b: rewards.soft_overlong(
            b["completions"], max_completion_len=args.max_completion_len,
            soft_punish_cache=args.soft_punish_cache),
    }


# ------------------------------------------------------------------------------ summary


def zero_std_fraction(values: np.ndarray, group_ids: np.ndarray | None,
                      group_size: int | None) -> float:
    """Share of groups whose scored members all got the same value (no learning signal)."""
    if group_ids is None:
        group_ids = np.arange(len(values)) // group_size
    scored = ~np.isnan(values)
    ids, vals = group_ids[scored], values[scored]
    if vals.size == 0:
        return math.nan
    order = np.argsort(ids, kind="stable")
    ids, vals = ids[order], vals[order]
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    flat = np.minimum.reduceat(vals, starts) == np.maximum.reduceat(vals, starts)
    return float(flat.mean())


def _fmt(value: float, digits: int = 3) -> str:
    return "nan" if value != value else f"{value:.{digits}f}"


def print_summary(out: TextIO, source: str, n: int, skipped: int, groups: int,
                  table: list[tuple], total: np.ndarray, advantages: np.ndarray,
                  group_ids: np.ndarray | None, group_size: int | None) -> None:
    out.write(f"scored {n} rollouts in {groups} groups from {source}"
              f"{f' ({skipped} malformed lines skipped)' if skipped else ''}\n")
    out.write(f"{'reward':16} {'weight':>6} {'mean':>8} {'nan':>6} {'zero-std':>9} "
              f"{'rollouts/s':>12}\n")
    for name, weight, values, seconds in table:
        rate = n / seconds if seconds > 0 else math.inf
        scored = values[~np.isnan(values)]
        mean = float(scored.mean()) if scored.size else math.nan
        out.write(f"{name:16} {weight:6.2f} {_fmt(mean):>8} "
                  f"{int(np.isnan(values).sum()):6d} "
                  f"{_fmt(zero_std_fraction(values, group_ids, group_size), 2):>9} "
                  f"{rate:12.0f}\n")
    finite = total[np.isfinite(total)]
    out.write(f"{'total':16} {'':6} {_fmt(float(finite.mean()) if finite.size else math.nan):>8} "
              f"{int(np.isnan(total).sum()):6d} "
              f"{_fmt(zero_std_fraction(total, group_ids, group_size), 2):>9}\n")
    out.write(f"advantages: mean {_fmt(float(np.mean(advantages)), 4)}, "
              f"std {_fmt(float(np.std(advantages)), 4)}, "
              f"zero {int(np.sum(advantages == 0))}/{len(advantages)}\n")


# ------------------------------------------------------------------------------ commands


def _bundled_path() -> str | None:
    resource = importlib.resources.files("grpo_c") / "data" / BUNDLED
    return str(resource) if resource.is_file() else None


def _parse_names(text: str, known: dict) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if not names or unknown:
        problem = f"unknown {', '.join(unknown)}" if unknown else "no reward named"
        raise ValueError(f"--rewards: {problem}; choose from {', '.join(known)}")
    return names


def _parse_weights(text: str, count: int) -> list[float]:
    weights = []
    for item in text.split(","):
        try:
            weight = float(item)
        except ValueError:
            raise ValueError(f"--weights: expected comma-separated numbers, got {item.strip()!r}") from None
        if not math.isfinite(weight):
            raise ValueError(f"--weights: expected finite numbers, got {item.strip()!r}")
        weights.append(weight)
    if len(weights) != count:
        raise ValueError(f"--weights: expected {count} numbers (one per reward), got {len(weights)}")
    return weights


def _input_path(path: str) -> None:
    if os.path.isdir(path):
        raise ValueError(f"{path}: is a directory; expected a JSON lines file")
    if not os.path.exists(path):
        raise ValueError(f"{path}: no such file")
    if not os.access(path, os.R_OK):
        raise ValueError(f"{path}: not readable")


def _output_path(path: str) -> None:
    """Fail before any scoring when the output cannot be written."""
    if os.path.isdir(path):
        raise ValueError(f"--out {path}: is a directory; expected a file path")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ValueError(f"--out {path}: no such directory {parent}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"--out {path}: directory {parent} is not writable")


def _write_rows(path: str, rows: list[dict], line_numbers: list[int], table: list[tuple],
                total: np.ndarray, advantages: np.ndarray) -> None:
    """Scored rows as JSON lines; a file is written beside its target and renamed over it at
    the end, so that an interrupted run never leaves half a file in its place."""
    sink = sys.stdout if path == "-" else open(path + ".partial", "w", encoding="utf-8")
    try:
        for i, row in enumerate(rows):
            scored = dict(row)
            scored["rewards"] = {name: (None if math.isnan(v[i]) else float(v[i]))
                                 for name, _, v, _ in table}
            scored["reward"] = None if math.isnan(total[i]) else float(total[i])
            scored["advantage"] = float(advantages[i])
            scored["line"] = line_numbers[i]
            sink.write(json.dumps(scored) + "\n")
    except BaseException:
        if sink is not sys.stdout:
            sink.close()
            os.unlink(path + ".partial")
        raise
    if sink is not sys.stdout:
        sink.close()
        os.replace(path + ".partial", path)


def _positive(kind: type) -> Callable[[str], Any]:
    """An argparse type: a positive finite int or float, the message naming what was given."""
    name = "integer" if kind is int else "number"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"expected a positive {name}, got {text!r}")
        return value
    return parse


def score(args: argparse.Namespace) -> int:
    import grpo_c
    from grpo_c import rewards

    if args.threads is not None:
        grpo_c.set_num_threads(args.threads)
    path = args.rollouts or _bundled_path()
    if path is None:
        print("error: the bundled sample rollouts are not installed; pass a rollouts.jsonl path",
              file=sys.stderr)
        return 2
    _input_path(path)
    if args.out and args.out != "-":
        _output_path(args.out)
    registry = reward_registry(args)
    names = _parse_names(args.rewards if args.rewards is not None else ",".join(DEFAULT_REWARDS),
                         registry)
    weights = [1.0] * len(names) if args.weights is None else _parse_weights(args.weights, len(names))

    # --progress forces the bar, --no-progress silences it; by default a terminal gets a bar
    # for long inputs and anything else a status line when a step runs long.
    if args.progress is None:
        style = "bar" if sys.stderr.isatty() else "lines"
    else:
        style = "bar" if args.progress else None
    long_input = args.progress is True or os.path.getsize(path) > 1 << 20
    need_solution = any(n in SOLUTION_REWARDS for n in names)
    rows, line_numbers, problems = read_rollouts(
        path, style if long_input else None, need_solution, "code" in names)
    for problem in problems:
        print(f"{path}: {problem} (skipped)", file=sys.stderr)
    if not rows:
        print(f"error: {path}: no valid rollouts", file=sys.stderr)
        return 1
    group_ids, group_size = group_labels(rows, args.group_size)
    batch = {
        "completions": [r["completion"] for r in rows],
        "prompts": [r.get("prompt") for r in rows],
        "solutions": [r.get("solution") for r in rows],
        "tests": [r.get("tests") for r in rows],
        "group_ids": group_ids, "group_size": group_size, "cache": {},
        "progress": "lines" if style == "lines" else None,
    }
    bar = Progress(len(names), "scoring",
                   style if args.progress is True or len(rows) >= 2000 or style == "lines" else None)
    table = []
    for k, name in enumerate(names):
        start = time.perf_counter()
        values = np.asarray(registry[name](batch), dtype=np.float32)
        table.append((name, weights[k], values, time.perf_counter() - start))
        bar.update(k + 1, " rewards")
    bar.close()
    total = rewards.combine([t[2] for t in table], weights)
    advantages = np.asarray(grpo_c.group_advantages(total, group_size=group_size,
                                                    group_ids=group_ids), dtype=np.float64)
    groups = len(rows) // group_size if group_size else len(np.unique(group_ids))
    if args.out:
        _write_rows(args.out, rows, line_numbers, table, total, advantages)
    summary = sys.stderr if args.out == "-" else sys.stdout
    print_summary(summary, path if args.rollouts else f"the bundled {BUNDLED}", len(rows),
                  len(problems), groups, table, total, advantages, group_ids, group_size)
    return 0


def example(args: argparse.Namespace) -> int:
    try:
        module = importlib.import_module("grpo_c._example")
    except ModuleNotFoundError:
        print("error: this build has no worked example (grpo_c._example)", file=sys.stderr)
        return 2
    result = module.main()
    return int(result or 0)


def info(args: argparse.Namespace) -> int:
    import grpo_c

    print(f"grpo_c {grpo_c.__version__}")
    for key, value in grpo_c.build_info().items():
        print(f"  {key}: {value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m grpo_c", description="GRPO rewards and advantages in C.",
        epilog="`python -m grpo_c [rollouts.jsonl] [options]` is short for `score`; "
               "`python -m grpo_c score --help` lists its options.")
    sub = parser.add_subparsers(dest="command")
    s = sub.add_parser("score", help="score rollouts: rewards, their sum, group advantages",
                       description="Score JSON lines rollouts: each row needs \"completion\"; "
                                   "\"prompt\", \"solution\", \"tests\" and \"group\" as "
                                   "the chosen rewards need. Malformed lines are reported and "
                                   "skipped.")
    s.add_argument("rollouts", nargs="?", help="JSON lines file (default: the bundled sample)")
    s.add_argument("--rewards", help="comma-separated, of: accuracy, format, strict_format, "
                   "think_format, tag_count, reasoning_steps, code_format, code, language, "
                   f"repetition, length, cosine, soft_overlong (default: {','.join(DEFAULT_REWARDS)})")
    s.add_argument("--weights", help="comma-separated weights, one per reward (default: 1)")
    s.add_argument("--group-size", type=_positive(int),
                   help="consecutive rows per group when rows have no \"group\" (with one: a "
                        "check that every group has this size; default: rows sharing a prompt)")
    s.add_argument("--out", help="write scored rows as JSON lines ('-' for stdout)")
    s.add_argument("--language", default="auto",
                   help="target of the language reward: a code, or 'auto' from the prompt")
    s.add_argument("--code-language", default="python", choices=("python", "c", "cpp"),
                   help="language of code_format's fence and of the code reward's programs")
    s.add_argument("--code-timeout", type=_positive(float), default=5.0,
                   help="code: CPU seconds per test (rows carry \"tests\": a list of "
                        "{\"input\", \"output\"} or open-r1's verification_info)")
    s.add_argument("--max-completion-len", type=int, default=16384,
                   help="soft_overlong: maximum length (characters)")
    s.add_argument("--soft-punish-cache", type=int, default=4096,
                   help="soft_overlong: length of the penalty ramp (characters)")
    s.add_argument("--threads", type=int, help="threads for the C core (default: all usable)")
    s.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: a bar on a terminal for long inputs; "
                        "elsewhere a status line every 30 s of a long step)")
    s.set_defaults(func=score)
    sub.add_parser("example", help="run the worked example").set_defaults(func=example)
    sub.add_parser("info", help="how this build was made").set_defaults(func=info)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("score", "example", "info", "-h", "--help"):
        argv = ["score", *argv]  # `python -m grpo_c [rollouts.jsonl] [options]` scores
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`... | head`): not an error; keep Python's exit flush quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
