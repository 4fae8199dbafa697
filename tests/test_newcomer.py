"""What a new user meets first: numeric options given as NumPy/torch scalars, empty and None
inputs, infinite rewards, error messages in the user's own option names, the module front end,
the command line's argument and file errors, and the packaging and docs a fresh clone shows."""

import contextlib
import io
import json
import re
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import grpo_c
import grpo_c.torch as gt
from grpo_c import __main__ as cli
from grpo_c import reference, rewards

ROOT = Path(__file__).resolve().parents[1]


def batch(b=4, t=5, seed=0):
    rng = np.random.default_rng(seed)
    logp = -rng.random((b, t))
    return logp, logp - 0.1 * rng.standard_normal((b, t)), rng.standard_normal(b), np.ones((b, t), bool)


# ---------------------------------------------------------------------------------- API


def test_set_num_threads_refuses_what_every_later_call_would_refuse():
    before = grpo_c.get_num_threads()
    for bad in (10**6, 0, -1, 2.5, True):
        with pytest.raises((ValueError, TypeError), match="num_threads"):
            grpo_c.set_num_threads(bad)
        assert grpo_c.get_num_threads() == before
    grpo_c.set_num_threads(np.int64(2))
    assert grpo_c.get_num_threads() == 2
    grpo_c.set_num_threads(before)


@pytest.mark.parametrize("size", [np.int64(4), np.int32(4), torch.tensor(4), np.array(4)])
def test_integer_options_accept_numpy_and_torch_scalars(size):
    r = np.arange(8.0)
    np.testing.assert_array_equal(grpo_c.group_advantages(r, group_size=size),
                                  grpo_c.group_advantages(r, group_size=4))
    with pytest.raises(ValueError, match="group_size"):
        grpo_c.group_advantages(r, group_size=np.bool_(True))


@pytest.mark.parametrize("wrap", [torch.tensor, np.float32, np.float64, np.array])
def test_float_options_accept_0d_tensors_and_numpy_scalars(wrap):
    logp, old, adv, mask = batch()
    want = grpo_c.policy_loss(logp, old, adv, mask, ref_logp=old, epsilon=0.2, beta=0.04)
    got = grpo_c.policy_loss(logp, old, adv, mask, ref_logp=old, epsilon=wrap(0.2), beta=wrap(0.04))
    assert got.loss == pytest.approx(want.loss, rel=1e-6)
    np.testing.assert_allclose(got.grad, want.grad, rtol=1e-6)


def test_advantages_of_shape_b_by_1_are_trls_unsqueezed_column():
    logp, old, adv, mask = batch()
    column = grpo_c.policy_loss(logp, old, adv[:, None], mask)
    flat = grpo_c.policy_loss(logp, old, adv, mask)
    assert column.loss == flat.loss
    np.testing.assert_array_equal(column.grad, flat.grad)
    t = torch.tensor(logp, requires_grad=True)
    gt.grpo_loss(t, torch.tensor(old), torch.tensor(adv).unsqueeze(1), torch.tensor(mask)).backward()
    np.testing.assert_array_equal(t.grad.numpy(), flat.grad)


@pytest.mark.parametrize("shape", [(0, 5), (3, 0), (0, 0)])
def test_an_empty_loss_batch_gives_loss_0_and_a_zero_gradient_of_its_shape(shape):
    z = np.zeros(shape)
    out = grpo_c.policy_loss(z, z, np.zeros(shape[0]), np.ones(shape, bool), ref_logp=z, beta=0.04)
    assert out.loss == 0.0 and out.grad.shape == shape and not out.grad.any()
    t = torch.zeros(shape, requires_grad=True)
    gt.grpo_loss(t, t.detach(), torch.zeros(shape[0]), torch.ones(shape)).backward()
    assert t.grad.shape == shape and not t.grad.any()
    with pytest.raises(ValueError, match="old_logp"):   # shapes are still checked
        grpo_c.policy_loss(z, np.zeros((shape[0], shape[1] + 1)), np.zeros(shape[0]))


def test_empty_inputs_give_empty_results_across_the_api():
    assert grpo_c.group_advantages([], group_size=4).shape == (0,)
    assert grpo_c.group_advantages(np.zeros(0, np.float32), group_size=4).dtype == np.float32
    assert grpo_c.group_advantages(np.zeros(0), group_size=4, mask=np.ones((0, 3))).shape == (0, 3)
    with pytest.raises(ValueError, match="group_size"):
        grpo_c.group_advantages([], group_size=0)
    for result in (rewards.accuracy([], []), rewards.format([]), rewards.tag_count([]),
                   rewards.language_consistency([], "en"), rewards.code([], [])):
        assert result.shape == (0,) and result.dtype == np.float32


def test_a_none_completion_scores_nan_for_every_reward():
    done = "<think>\nadd the two numbers\n</think>\n<answer>\n\\boxed{2}\n</answer>"
    program = "```python\nprint(2)\n```"
    scores = {
        "accuracy": rewards.accuracy([None, done], ["2", "2"]),
        "code": rewards.code([None, program], [[("", "2")], [("", "2")]], timeout=2),
        "format": rewards.format([None, done]),
        "tag_count": rewards.tag_count([None, done]),
        "language": rewards.language_consistency([None, done], "en", min_units=1),
    }
    for name, values in scores.items():
        assert np.isnan(values[0]) and values[1] == values[1], name
    completions = ["\\boxed{2}", None]
    rewards.accuracy(completions, ["2", "2"])
    assert completions == ["\\boxed{2}", None]   # the caller's list is left as it was


def test_chat_messages_are_read_by_the_code_reward_too():
    chat = [{"role": "assistant", "content": "```python\nprint(3)\n```"}]
    assert rewards.code([chat], [[("", "3")]], timeout=2).tolist() == [1.0]


@pytest.mark.parametrize("kw", [{}, {"scale_rewards": "batch"}, {"scale_rewards": "none"}])
def test_an_infinite_reward_gives_nan_as_the_frameworks_torch_code_does(kw):
    r = torch.tensor([np.inf, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0], dtype=torch.float64)
    got = grpo_c.group_advantages(r.numpy(), group_size=4, **kw)
    groups = r.view(-1, 4)
    mean = groups.mean(1).repeat_interleave(4)
    if kw.get("scale_rewards") == "batch":
        std = r.std().expand(8)
    else:
        std = groups.std(1).repeat_interleave(4)
    trl = (r - mean) / (std + 1e-4) if kw.get("scale_rewards") != "none" else r - mean
    poisoned = ~torch.isfinite(trl)
    assert np.isnan(got[poisoned.numpy()]).all()   # never a silent 0
    np.testing.assert_allclose(got[~poisoned.numpy()], trl[~poisoned].numpy(), rtol=1e-12)
    assert np.isnan(got[:4]).all()
    nan_reward = grpo_c.group_advantages([np.nan, 1.0, 0.0, 1.0], group_size=4)
    assert nan_reward[0] == 0.0 and np.isfinite(nan_reward).all()   # NaN stays "unscorable"


def test_option_errors_name_the_option_as_the_user_wrote_it():
    logp, old, adv, mask = batch()
    with pytest.raises(ValueError, match=r"^epsilon\b"):
        grpo_c.policy_loss(logp, old, adv, mask, epsilon=-0.2)
    with pytest.raises(ValueError, match=r"^clip_ratio_low\b"):
        grpo_c.policy_loss(logp, old, adv, mask, preset="verl", clip_ratio_low=-0.2)
    with pytest.raises(TypeError, match="advantages.*None"):
        grpo_c.policy_loss(logp, old, None, mask)
    with pytest.raises(TypeError, match="logp.*None"):
        grpo_c.policy_loss(None, old, adv, mask)


@pytest.mark.parametrize("text, language, target, other", [
    ("我们计算 x 的值", "en", 0, 6),
    ("我们计算 x 的值", "zh", 6, 0),
    ("so x is a number and I agree", "en", 7, 0),
    ("令 n 为 a 的值", "zh", 4, 1),
])
def test_a_lone_latin_letter_is_a_variable_for_every_target(text, language, target, other):
    _, d = rewards.language_consistency([text], language, min_units=0, return_details=True)
    assert (d["target"][0], d["other"][0]) == (target, other)


def test_grpo_loss_module_validates_at_construction_and_shows_its_options():
    module = gt.GRPOLoss(preset="verl", loss_agg_mode="seq-mean-token-mean", clip_ratio_high=0.28)
    assert repr(module) == ("GRPOLoss(preset='verl', loss_agg_mode='seq-mean-token-mean', "
                            "clip_ratio_high=0.28)")
    for kwargs, error, match in [
        (dict(bogus=1), TypeError, "bogus"),
        (dict(epsilon=-0.2), ValueError, "^epsilon"),
        (dict(preset="verl", loss_agg_mode="nope"), ValueError, "loss_agg_mode"),
        (dict(ref_logp=torch.zeros(2, 3)), TypeError, "ref_logp.*calling"),
        (dict(num_threads=0), ValueError, "num_threads"),
        (dict(preset="nope"), ValueError, "preset"),
    ]:
        with pytest.raises(error, match=match):
            gt.GRPOLoss(**kwargs)


TWIN_OPTIONS = dict(
    ratio_level="sequence", surrogate="ppo", clip_low=0.2, clip_high=0.28, dual_clip=3.0, delta=None,
    log_ratio_clamp=(-np.inf, np.inf), cispo_bounds=(-np.inf, np.inf), sapo_tau=(1.0, 1.05),
    vespo_k=(2.0, 3.0), vespo_lambda=(3.0, 2.0), is_level="token", is_mode="truncate",
    is_bounds=(-np.inf, np.inf), is_log_clamp=None, off_policy_threshold=0.05, kl_coef=0.04,
    kl_estimator="k2", kl_straight_through=False, kl_ratio_weighted=True, kl_log_clamp=None,
    kl_value_clamp=10.0, aggregation="token_mean", denominator=None, scale=1.0,
    kl_aggregation="seq_mean_token_mean", kl_denominator=None, kl_scale=1.0)


@pytest.mark.parametrize("surrogate", ["ppo", "cispo", "sapo", "reinforce", "vespo", "gmpo", "dppo_tv",
                                       "dppo_kl", "dro", "kl_cov"])
def test_the_shipped_twins_compute_with_inf_and_nan_without_warnings(surrogate):
    logp, old, adv, mask = batch()
    old[0] = logp[0] - 800.0            # ratios that overflow exp
    mask[1, :2] = False
    logp[1, :2] = np.nan                # masked-out NaN
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reference.policy_loss(logp=logp, old_logp=old, ref_logp=old - 1000.0, rollout_logp=logp,
                              advantages=adv, mask=mask, is_weights=None, policy_mask=None,
                              **dict(TWIN_OPTIONS, surrogate=surrogate, dro_beta=0.5,
                                     ratio_level="sequence" if surrogate in ("ppo", "sapo") else "token"))
        reference.group_advantages(np.array([np.inf, 1.0, np.nan, 0.0]), None, 2, 2, None, None,
                                   None, None, 0, 0, 0, 0, 1e-4, 1)


# ---------------------------------------------------------------------------------- CLI


def score(*args, stdin_tty=False):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main(["score", *map(str, args)])
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture
def rollouts(tmp_path):
    path = tmp_path / "r.jsonl"
    done = "<think>\nx\n</think>\n<answer>\n1\n</answer>"
    path.write_text("".join(json.dumps({"completion": done if k % 2 else "no", "solution": "1",
                                        "group": k // 4}) + "\n" for k in range(8)))
    return path


def test_an_unwritable_output_is_reported_before_any_scoring(rollouts, tmp_path, monkeypatch):
    def no_scoring(*a, **k):
        raise AssertionError("scored before checking --out")
    monkeypatch.setattr(cli, "read_rollouts", no_scoring)
    for out, message in [(tmp_path / "no" / "dir" / "o.jsonl", "no such directory"),
                         (tmp_path, "is a directory")]:
        rc, _, err = score(rollouts, "--out", out)
        assert rc == 2 and message in err and "Traceback" not in err


def test_the_output_file_appears_whole_or_not_at_all(rollouts, tmp_path, monkeypatch):
    out = tmp_path / "o.jsonl"
    out.write_text("previous results\n")
    monkeypatch.setattr(cli.json, "dumps", lambda *a, **k: (_ for _ in ()).throw(ValueError("disk full")))
    rc, _, err = score(rollouts, "--rewards", "format", "--out", out)
    assert rc == 2 and "disk full" in err
    assert out.read_text() == "previous results\n" and not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize("size, message", [("0", "positive integer"), ("-8", "positive integer"),
                                           ("7", "groups of 4 rows")])
def test_group_size_is_never_silently_ignored(rollouts, size, message):
    with pytest.raises(SystemExit) if size in ("0", "-8") else contextlib.nullcontext():
        rc, _, err = score(rollouts, "--rewards", "format", "--group-size", size)
        assert rc == 2 and message in err
    rc, out, _ = score(rollouts, "--rewards", "format", "--group-size", "4")
    assert rc == 0 and "in 2 groups" in out


def test_argument_errors_name_the_flag(rollouts, tmp_path):
    rc, _, err = score(rollouts, "--rewards", "")
    assert rc == 2 and "--rewards" in err
    rc, _, err = score(rollouts, "--rewards", "format,tag_count,accuracy", "--weights", "a,b,c")
    assert rc == 2 and "--weights" in err and "'a'" in err
    rc, _, err = score(rollouts, "--rewards", "format", "--weights", "inf")
    assert rc == 2 and "--weights" in err
    rc, _, err = score(tmp_path)
    assert rc == 2 and "is a directory" in err
    rc, _, err = score(tmp_path / "missing.jsonl")
    assert rc == 2 and "no such file" in err


def test_a_byte_order_mark_is_accepted_and_json_errors_show_the_line(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"completion": "a"}).encode() + b"\n"
                     + b'{"completion": "b", oops}\n')
    rc, out, err = score(path, "--rewards", "format")
    assert rc == 0 and "scored 1 rollouts" in out
    assert "line 1" not in err
    assert "line 2: invalid JSON" in err and '{"completion": "b", oops}' in err


def test_long_steps_print_a_status_line_when_stderr_is_not_a_terminal(tmp_path, monkeypatch):
    path = tmp_path / "code.jsonl"
    program = "```python\nprint(int(input()) * 2)\n```"
    path.write_text("".join(json.dumps({"completion": program, "tests": [{"input": "2", "output": "4"}],
                                        "group": k // 2}) + "\n" for k in range(70)))
    monkeypatch.setattr(cli, "STATUS_EVERY", 0.0)
    rc, out, err = score(path, "--rewards", "code,format")
    assert rc == 0, err
    assert "code: 64/70 rollouts" in err and "code: 70/70 rollouts 100%" in err
    assert "\r" not in err   # no bar control characters in a log
    rc, _, err = score(path, "--rewards", "code", "--no-progress")
    assert err == ""
    missing = tmp_path / "no_tests.jsonl"
    missing.write_text(json.dumps({"completion": program}) + "\n")
    rc, _, err = score(missing, "--rewards", "code")
    assert rc == 1 and "missing \"tests\"" in err


@pytest.mark.parametrize("args", [["--help"], ["score", "--help"], ["example", "--help"],
                                  ["info", "--help"]])
def test_every_help_reads_well(args):
    proc = subprocess.run([sys.executable, "-m", "grpo_c", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("usage: python -m grpo_c")
    assert "Traceback" not in proc.stderr


# ------------------------------------------------------------------------ packaging, docs


def shipped_text_files():
    roots = [ROOT / "README.md", ROOT / "docs", ROOT / "grpo_c", ROOT / "tests", ROOT / "benchmarks"]
    for root in roots:
        for path in ([root] if root.is_file() else root.rglob("*")):
            if path.suffix in (".md", ".py", ".pyi", ".c", ".h", ".toml") and path.name != Path(__file__).name:
                yield path


def test_license_file_and_spdx_license():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["license"] == "Apache-2.0" and meta["license-files"] == ["LICENSE"]
    assert "Apache License" in (ROOT / "LICENSE").read_text()


def test_docs_cite_only_what_a_user_can_open():
    unreachable = re.compile(r"\.\./shared|\bshared/[\w.-]+\.md|\bnotes/|DESIGN\.md|\b(rewards|losses)\.md")
    offenders = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in shipped_text_files()
                 for m in [unreachable.search(p.read_text(errors="replace"))] if m]
    assert not offenders, offenders


def test_math_verify_is_cited_at_one_version():
    versions = {m.group(1) for p in shipped_text_files()
                for m in re.finditer(r"Math-Verify[ =v]*(\d+\.\d+\.\d+)", p.read_text(errors="replace"))}
    assert versions == {"0.9.0"}, versions


def test_readme_says_what_a_fresh_machine_needs():
    readme = (ROOT / "README.md").read_text()
    for needed in ("C11 compiler", "Python headers", "skips 4 tests", "scipy-openblas32",
                   "--index-url https://download.pytorch.org/whl/cpu", "not a terminal"):
        assert needed in readme, needed


def test_dir_of_the_package_shows_only_its_api():
    public = [name for name in dir(grpo_c) if not name.startswith("_")]
    assert "annotations" not in public
    assert set(public) >= {"group_advantages", "policy_loss", "rewards", "set_num_threads"}
