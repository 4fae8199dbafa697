"""`python -m grpo_c score`: runs in a subprocess on a small file (and on the bundled sample
when it is installed), reports malformed lines by number, writes scored rows."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "grpo_c", *args], capture_output=True,
                          text=True, env=env, cwd=cwd or ROOT, timeout=300)


def write_rollouts(path: Path) -> None:
    good = "<think>\nAdd the numbers.\n</think>\n<answer>\n\\boxed{%d}\n</answer>"
    with path.open("w") as f:
        for g in range(6):
            for k in range(4):
                completion = good % (g + k % 2) if k < 3 else f"I think it is {g}"
                f.write(json.dumps({"prompt": f"What is {g} + 0?", "completion": completion,
                                    "solution": str(g), "group": g}) + "\n")
        f.write("this is not json\n")
        f.write(json.dumps({"prompt": "no completion"}) + "\n")
        f.write(json.dumps({"completion": [{"role": "assistant", "content": good % 1}],
                            "group": 9}) + "\n")


def test_score_small_file(tmp_path):
    data = tmp_path / "rollouts.jsonl"
    write_rollouts(data)
    out = tmp_path / "scored.jsonl"
    proc = run("score", str(data), "--rewards", "format,tag_count,reasoning_steps,repetition",
               "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "line 25: invalid JSON" in proc.stderr
    assert "line 26: missing \"completion\"" in proc.stderr
    assert "scored 25 rollouts in 7 groups" in proc.stdout
    for name in ("format", "tag_count", "reasoning_steps", "repetition", "total", "advantages"):
        assert name in proc.stdout
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 25
    assert rows[0]["rewards"]["format"] == 1.0 and rows[3]["rewards"]["format"] == 0.0
    assert rows[-1]["line"] == 27 and rows[-1]["advantage"] == 0.0
    assert all(isinstance(r["advantage"], float) for r in rows)


def test_score_defaults_and_bundled(tmp_path):
    bundled = ROOT / "grpo_c" / "data" / "sample_rollouts.jsonl"
    if bundled.is_file():
        proc = run()
        assert proc.returncode == 0, proc.stderr
        assert "scored" in proc.stdout and "advantages" in proc.stdout
    data = tmp_path / "r.jsonl"
    write_rollouts(data)
    proc = run(str(data), "--group-size", "4")
    assert proc.returncode == 0 or "group" in proc.stderr


def test_bad_arguments(tmp_path):
    data = tmp_path / "r.jsonl"
    write_rollouts(data)
    assert run("score", str(tmp_path / "missing.jsonl")).returncode == 2
    proc = run("score", str(data), "--rewards", "format,nonsense")
    assert proc.returncode == 2 and "nonsense" in proc.stderr
    proc = run("score", str(data), "--rewards", "format", "--weights", "1,2")
    assert proc.returncode == 2 and "--weights" in proc.stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    proc = run("score", str(empty))
    assert proc.returncode == 1 and "line 1: empty line" in proc.stderr


def test_group_size_without_groups(tmp_path):
    data = tmp_path / "r.jsonl"
    with data.open("w") as f:
        for k in range(8):
            f.write(json.dumps({"completion": "<think>\nx\n</think>\n<answer>\ny\n</answer>"
                                if k % 2 else "no"}) + "\n")
    proc = run("score", str(data), "--rewards", "format", "--group-size", "4")
    assert proc.returncode == 0, proc.stderr
    assert "in 2 groups" in proc.stdout
    proc = run("score", str(data), "--rewards", "format", "--group-size", "3")
    assert proc.returncode == 2 and "group-size" in proc.stderr


def test_progress_bar_on_request(tmp_path):
    data = tmp_path / "r.jsonl"
    write_rollouts(data)
    proc = run("score", str(data), "--rewards", "format", "--progress")
    assert proc.returncode == 0, proc.stderr
    assert "reading" in proc.stderr and "scoring" in proc.stderr and "100%" in proc.stderr
    assert "scoring" not in run("score", str(data), "--rewards", "format").stderr


def test_info_and_example():
    proc = run("info")
    assert proc.returncode == 0 and "grpo_c" in proc.stdout
    proc = run("example")
    assert proc.returncode in (0, 2)


def test_malformed_lines_are_reported_and_valid_ones_kept(tmp_path):
    good = '"completion": "<think>\\n1\\n</think>\\n<answer>\\n1\\n</answer>"'
    lines = [
        '{' + good + ', "group": "a"}',
        '{' + good + ', "group": "a"',  # cut off
        '   \t',
        '{"completion": "\\ud800 lone surrogate", "group": "a"}',
        '{' + good + '}',  # no group while the others have one
        '{"completion": 42, "group": "a"}',
        '{"completion": "x", "group": null}',
        '{' + good + ', "group": "b"}\r',
        '{' + good + ', "group": "b", "extra": [1]}',
    ]
    data = tmp_path / "bad.jsonl"
    data.write_bytes("\n".join(lines).encode() + b"\n\xff\xfe not utf-8")  # no final newline
    out = tmp_path / "out.jsonl"
    proc = run("score", str(data), "--rewards", "format,language,repetition", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    for number, reason in [(2, "invalid JSON"), (3, "empty line"), (5, "missing \"group\""),
                           (6, "\"completion\" must be"), (7, "\"group\" must be")]:
        assert f"line {number}: {reason}" in proc.stderr
    kept = [json.loads(line)["line"] for line in out.read_text().splitlines()]
    assert kept == [1, 4, 8, 9]
    assert "scored 4 rollouts in 2 groups" in proc.stdout
    assert "line 10: not valid UTF-8" in proc.stderr
    assert "(6 malformed lines skipped)" in proc.stdout


def test_accuracy_family(tmp_path):
    data = tmp_path / "r.jsonl"
    write_rollouts(data)
    proc = run("score", str(data), "--rewards", "accuracy,format,length,cosine")
    assert proc.returncode == 0, proc.stderr
    assert "line 27: missing \"solution\"" in proc.stderr
    for name in ("accuracy", "length", "cosine"):
        assert name in proc.stdout
