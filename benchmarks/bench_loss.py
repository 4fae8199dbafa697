"""Issue 2 speed benchmark: grpo_c against torch eager for the GRPO policy loss and the group advantages.

Peer and grpo_c run in one process on the same float32 data. Every result is verified before anything is
timed: grpo_c must give identical (bitwise) results at num_threads=1 and 2, and match the float64
framework oracle (tests/frameworks.py) and the float32 torch eager result within float32 tolerance.
Times are medians over repeats.

  loss:        TRL-style dapo loss (token ratio, clamp, min, masked sum over the token count, k3 KL with
               beta=0.04) forward + backward, at 8x512, 64x1024, 128x8192 tokens (targets >= 10x at
               8x512, >= 5x at 128x8192; performance.md E1-E3).
  advantages:  65,536 rewards in groups of 64 vs torch eager TRL-style group z-score (>= 20x) and vs verl's
               Python-loop ``grpo`` estimator (>= 1000x).

Run from the repository root after ``python setup.py -q build_ext --inplace``:
    python benchmarks/bench_loss.py [--json] [--quick] [--large]
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import random
import statistics
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import frameworks as fw  # noqa: E402  (the float64 framework oracles)

try:
    import grpo_c  # noqa: E402
except ImportError as exc:  # the extension is not built
    grpo_c = None
    GRPO_C_MISSING = f"grpo_c not importable ({exc})"
else:
    missing = [name for name in ("policy_loss", "group_advantages") if not hasattr(grpo_c, name)]
    GRPO_C_MISSING = f"grpo_c has no {', '.join(missing)} yet" if missing else None

try:
    from grpo_c.torch import grpo_loss  # noqa: E402
except ImportError:
    grpo_loss = None


def adv_threads(k):
    """num_threads for group_advantages if it takes one (its kernel may be single-threaded)."""
    params = inspect.signature(grpo_c.group_advantages).parameters
    return {"num_threads": k} if "num_threads" in params else {}

EPSILON, BETA, GROUP = 0.2, 0.04, 64
LOSS_SHAPES = [(8, 512, 10.0), (64, 1024, None), (128, 8192, 5.0)]
LARGE_SHAPE = (512, 16384, 5.0)


# ---------------------------------------------------------------------------------------------------------
# The torch eager peers (what a TRL user runs today, in the inputs' float32)
# ---------------------------------------------------------------------------------------------------------

def torch_dapo_loss(logp, old, ref, adv, mask):
    """TRL 1.16 _compute_loss, loss_type="dapo", token level, beta=0.04, one process (the KL
    bias-corrected by the ratio, use_bias_correction_kl's default)."""
    coef_1 = torch.exp(logp - old)
    coef_2 = torch.clamp(coef_1, 1 - EPSILON, 1 + EPSILON)
    a = adv.unsqueeze(1)
    per_token_loss = -torch.min(coef_1 * a, coef_2 * a)
    per_token_kl = (torch.exp(ref - logp) - (ref - logp) - 1) * coef_1
    per_token_loss = per_token_loss + BETA * per_token_kl
    return (per_token_loss * mask).sum() / mask.sum().clamp(min=1.0)


def torch_trl_advantages(rewards):
    """TRL group z-score with plain mean/std (TRL before the NaN-aware rewrite)."""
    grouped = rewards.view(-1, GROUP)
    mean = grouped.mean(dim=1).repeat_interleave(GROUP)
    std = grouped.std(dim=1).repeat_interleave(GROUP)
    return (rewards - mean) / (std + 1e-4)


def torch_trl_advantages_nan_aware(rewards):
    """TRL f2cd577's NaN-aware form (nanmean / nanstd, nan_to_num)."""
    grouped = rewards.view(-1, GROUP)
    mean = torch.nanmean(grouped, dim=1).repeat_interleave(GROUP)
    std = fw.trl_nanstd(grouped, dim=1).repeat_interleave(GROUP)
    return torch.nan_to_num((rewards - mean) / (std + 1e-4), nan=0.0)


# ---------------------------------------------------------------------------------------------------------
# Data, timing, checks
# ---------------------------------------------------------------------------------------------------------

def loss_inputs(B, T, seed=0):
    """float32 (B, T) log-probs with ragged masks (25-100% fill); old/ref within a few % of logp."""
    rng = np.random.default_rng(seed)
    logp = -rng.exponential(1.0, size=(B, T)).astype(np.float32)
    old = (logp + rng.normal(0.0, 0.1, size=(B, T))).astype(np.float32)
    ref = (logp + rng.normal(0.0, 0.1, size=(B, T))).astype(np.float32)
    adv = rng.normal(0.0, 1.0, size=B).astype(np.float32)
    lengths = rng.integers(T // 4, T + 1, size=B)
    mask = (np.arange(T)[None, :] < lengths[:, None]).astype(np.float32)
    return logp, old, ref, adv, mask


def time_interleaved(fns, repeats=15, min_sample_s=0.005, max_total_s=30.0):
    """Median seconds per call of each named function, sampled round-robin.

    Each sample loops enough calls to last >= min_sample_s. Interleaving puts the peer and grpo_c under the
    same background load (the project box is shared), which keeps their ratio meaningful; the order is
    shuffled every round (seeded, so runs are repeatable).
    """
    numbers = {}
    per_round = 0.0
    for name, fn in fns.items():
        fn()
        start = time.perf_counter()
        fn()
        one = max(time.perf_counter() - start, 1e-7)
        numbers[name] = max(1, int(min_sample_s / one))
        per_round += one * numbers[name]
    repeats = max(3, min(repeats, int(max_total_s / per_round)))
    samples = {name: [] for name in fns}
    # a fixed order would always time the same function right after the peer (whose OpenMP
    # threads keep spinning for milliseconds after it returns): each round is shuffled
    order = list(fns)
    rng = random.Random(0)
    for _ in range(repeats):
        rng.shuffle(order)
        for name in order:
            fn = fns[name]
            start = time.perf_counter()
            for _ in range(numbers[name]):
                fn()
            samples[name].append((time.perf_counter() - start) / numbers[name])
    out = {name: statistics.median(v) for name, v in samples.items()}
    # the minimum is the least contended sample: recorded next to the median for a busy machine
    out.update({f"{name}_min" if isinstance(name, str) else (name, "min"): min(v) for name, v in samples.items()})
    return out


def max_rel_diff(got, want):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    scale = max(float(np.max(np.abs(want))), 1e-30)
    return float(np.max(np.abs(got - want))) / scale


def check(name, value, limit):
    if not value <= limit:
        raise SystemExit(f"verification failed: {name} = {value:.3g} > {limit:.3g}")


# ---------------------------------------------------------------------------------------------------------
# Loss
# ---------------------------------------------------------------------------------------------------------

def torch_fwd_bwd(logp, old, ref, adv, mask):
    lp = torch.from_numpy(logp).requires_grad_()
    tensors = [torch.from_numpy(x) for x in (old, ref, adv, mask)]

    def run():
        lp.grad = None
        loss = torch_dapo_loss(lp, *tensors)
        loss.backward()
        return loss

    return run, lp


def verify_loss(logp, old, ref, adv, mask):
    """Returns the verification figures; raises SystemExit on a mismatch."""
    run, lp = torch_fwd_bwd(logp, old, ref, adv, mask)
    run()
    torch_grad = lp.grad.numpy().copy()
    l64 = torch.from_numpy(logp).double().requires_grad_()
    oracle_loss, _ = fw.trl_loss(l64, torch.from_numpy(old), torch.from_numpy(ref), torch.from_numpy(adv),
                                 torch.from_numpy(mask), loss_type="dapo", beta=BETA, epsilon=EPSILON)
    oracle_loss.backward()
    oracle_grad = l64.grad.numpy()
    figures = {"torch_vs_oracle_grad": max_rel_diff(torch_grad, oracle_grad)}
    if GRPO_C_MISSING:
        return figures
    outs = [grpo_c.policy_loss(logp, old, adv, mask, ref_logp=ref, preset="trl", loss_type="dapo", beta=BETA,
                               num_threads=n) for n in (1, 2)]
    if outs[0].loss != outs[1].loss or not np.array_equal(outs[0].grad, outs[1].grad):
        raise SystemExit("verification failed: grpo_c differs between num_threads=1 and 2")
    # relative to max(|loss|, 0.01): a loss near 0 (centred advantages) must not turn float32 rounding into a failure
    figures["grpo_c_vs_oracle_loss"] = abs(outs[0].loss - oracle_loss.item()) / max(abs(oracle_loss.item()), 1e-2)
    figures["grpo_c_vs_oracle_grad"] = max_rel_diff(outs[0].grad, oracle_grad)
    figures["grpo_c_vs_torch_grad"] = max_rel_diff(outs[0].grad, torch_grad)
    # float32 output of a double-accumulated kernel vs the float64 oracle: a few float32 ulps
    check("grpo_c vs oracle loss", figures["grpo_c_vs_oracle_loss"], 1e-6)
    check("grpo_c vs oracle grad", figures["grpo_c_vs_oracle_grad"], 1e-6)
    check("grpo_c vs torch grad", figures["grpo_c_vs_torch_grad"], 1e-4)
    if grpo_loss is None:
        return figures
    lp2 = torch.from_numpy(logp).requires_grad_()
    loss2 = grpo_loss(lp2, torch.from_numpy(old), torch.from_numpy(adv), torch.from_numpy(mask),
                      ref_logp=torch.from_numpy(ref), preset="trl", loss_type="dapo", beta=BETA)
    loss2.backward()
    figures["grpo_c_torch_vs_oracle_grad"] = max_rel_diff(lp2.grad.numpy(), oracle_grad)
    check("grpo_c.torch vs oracle grad", figures["grpo_c_torch_vs_oracle_grad"], 1e-6)
    return figures


def bench_loss(B, T, target, repeats):
    logp, old, ref, adv, mask = loss_inputs(B, T)
    row = {"bench": "policy loss fwd+bwd (dapo, beta=0.04)", "shape": f"{B}x{T}", "tokens": B * T,
           "target": target, "verify": verify_loss(logp, old, ref, adv, mask)}
    run, _ = torch_fwd_bwd(logp, old, ref, adv, mask)
    fns = {"torch_s": run}
    if not GRPO_C_MISSING:
        for n in (1, 2):
            fns[f"grpo_c_t{n}_s"] = lambda n=n: grpo_c.policy_loss(logp, old, adv, mask, ref_logp=ref, preset="trl",
                                                                  loss_type="dapo", beta=BETA, num_threads=n)
        if grpo_loss is not None:
            lp = torch.from_numpy(logp).requires_grad_()
            tensors = [torch.from_numpy(x) for x in (old, adv, mask)]
            ref_t = torch.from_numpy(ref)

            def run_c_torch():
                lp.grad = None
                grpo_loss(lp, *tensors, ref_logp=ref_t, preset="trl", loss_type="dapo", beta=BETA).backward()

            fns["grpo_c_torch_s"] = run_c_torch
    row.update(time_interleaved(fns, repeats))
    best = min((row[k] for k in ("grpo_c_t1_s", "grpo_c_t2_s") if k in row), default=None)
    if best is not None:
        # performance.md 4a: ~36 B of traffic per token (logp, old, ref, mask in; grad out; write-allocate)
        row["grpo_c_GBps_at_36B_per_token"] = B * T * 36 / best / 1e9
    return row


# ---------------------------------------------------------------------------------------------------------
# Advantages
# ---------------------------------------------------------------------------------------------------------

def advantage_inputs(n=65536, seed=1):
    rng = np.random.default_rng(seed)
    # accuracy (0/1) + format (0/0.5) + a small continuous shaping term, as a rule-reward mix gives
    r = rng.integers(0, 2, n) + 0.5 * rng.integers(0, 2, n) + 0.1 * rng.random(n)
    return r.astype(np.float32)


def bench_advantages(repeats):
    rewards = advantage_inputs()
    n = rewards.size
    r_t = torch.from_numpy(rewards)
    index = np.repeat(np.arange(n // GROUP), GROUP)
    oracle_trl = fw.trl_advantages(r_t.double().unsqueeze(1), num_generations=GROUP).numpy()
    oracle_verl = fw.verl_grpo(r_t.double().unsqueeze(1), torch.ones(n, 1, dtype=torch.float64), index)[0]
    oracle_verl = oracle_verl.numpy()[:, 0]
    verify = {"torch_vs_oracle": max_rel_diff(torch_trl_advantages(r_t).numpy(), oracle_trl)}
    rows = []
    base = {"shape": f"{n // GROUP}x{GROUP}", "tokens": n}
    if not GRPO_C_MISSING and not adv_threads(1):
        base["note"] = "group_advantages takes no num_threads; t1 is its only timing"
    verl_scores = torch.from_numpy(rewards).unsqueeze(1)
    verl_mask = torch.ones(n, 1)
    verl_times = time_interleaved({"verl": lambda: fw.verl_grpo(verl_scores, verl_mask, index)}, repeats=3,
                                  min_sample_s=0.0)
    verl_loop, verl_loop_min = verl_times["verl"], verl_times["verl_min"]
    fns = {"torch_plain": lambda: torch_trl_advantages(r_t), "torch_nan": lambda: torch_trl_advantages_nan_aware(r_t)}
    if not GRPO_C_MISSING:
        for preset, oracle in (("trl", oracle_trl), ("verl", oracle_verl)):
            outs = [np.asarray(grpo_c.group_advantages(rewards, group_size=GROUP, preset=preset, **adv_threads(k)))
                    for k in (1, 2)]
            if not np.array_equal(outs[0], outs[1]):
                raise SystemExit(f"verification failed: grpo_c {preset} advantages differ between 1 and 2 threads")
            verify[f"grpo_c_{preset}_vs_oracle"] = max_rel_diff(outs[0], oracle)
            check(f"grpo_c {preset} advantages vs oracle", verify[f"grpo_c_{preset}_vs_oracle"], 1e-6)
            for k in (1, 2):
                if k == 2 and not adv_threads(k):
                    continue
                # the signature is inspected once here, not inside the timed call
                fns[(preset, k)] = lambda preset=preset, threads=adv_threads(k): grpo_c.group_advantages(
                    rewards, group_size=GROUP, preset=preset, **threads)
    timings = time_interleaved(fns, repeats)
    torch_plain, torch_nan = timings.pop("torch_plain"), timings.pop("torch_nan")
    torch_plain_min, torch_nan_min = timings.pop("torch_plain_min"), timings.pop("torch_nan_min")
    for label, peer_s, peer_min, preset, target in (
            ("advantages vs torch eager (TRL, plain mean/std)", torch_plain, torch_plain_min, "trl", 20.0),
            ("advantages vs torch eager (TRL, NaN-aware)", torch_nan, torch_nan_min, "trl", 20.0),
            ("advantages vs verl python-loop grpo", verl_loop, verl_loop_min, "verl", 1000.0)):
        row = dict(base, bench=label, torch_s=peer_s, torch_s_min=peer_min, target=target, verify=verify)
        for k in (1, 2):
            if (preset, k) in timings:
                row[f"grpo_c_t{k}_s"] = timings[(preset, k)]
                row[f"grpo_c_t{k}_s_min"] = timings[((preset, k), "min")]
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------

def finish(row):
    for key in ("grpo_c_t1_s", "grpo_c_t2_s", "grpo_c_torch_s"):
        if key in row:
            row[key.replace("_s", "_speedup")] = row["torch_s"] / row[key]
            if key + "_min" in row and "torch_s_min" in row:
                row[key.replace("_s", "_speedup_of_min")] = row["torch_s_min"] / row[key + "_min"]
    best = [row[k] for k in ("grpo_c_t1_speedup", "grpo_c_t2_speedup") if k in row]
    row["meets_target"] = None if not best or row["target"] is None else max(best) >= row["target"]
    return row


def fmt_time(s):
    if s is None:
        return "n/a"
    return f"{s * 1e6:.1f} us" if s < 1e-3 else f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"


def print_table(rows):
    head = f"{'benchmark':<50} {'shape':>10} {'peer':>10} {'grpo_c t1':>10} {'grpo_c t2':>10} {'c.torch':>10} " \
           f"{'x t1':>8} {'x t2':>8} {'x c.torch':>9} {'x min':>7} {'target':>7} {'c GB/s':>7}"
    print(head)
    print("-" * len(head))
    for r in rows:
        def x(key):
            return f"{r[key]:.1f}x" if key in r else "n/a"
        target = "" if r["target"] is None else f">={r['target']:.0f}x"
        gbps = f"{r['grpo_c_GBps_at_36B_per_token']:.1f}" if "grpo_c_GBps_at_36B_per_token" in r else ""
        mins = [r[k] for k in ("grpo_c_t1_speedup_of_min", "grpo_c_t2_speedup_of_min") if k in r]
        best_min = f"{max(mins):.1f}x" if mins else "n/a"
        print(f"{r['bench']:<50} {r['shape']:>10} {fmt_time(r['torch_s']):>10} "
              f"{fmt_time(r.get('grpo_c_t1_s')):>10} {fmt_time(r.get('grpo_c_t2_s')):>10} "
              f"{fmt_time(r.get('grpo_c_torch_s')):>10} {x('grpo_c_t1_speedup'):>8} {x('grpo_c_t2_speedup'):>8} "
              f"{x('grpo_c_torch_speedup'):>9} {best_min:>7} {target:>7} {gbps:>7}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke run)")
    parser.add_argument("--large", action="store_true", help="also run 512x16384 (8.4M tokens, ~0.5 GB)")
    parser.add_argument("--torch-threads", type=int, default=None, help="torch.set_num_threads for the peer")
    args = parser.parse_args(argv)
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    repeats = 5 if args.quick else 15
    load_at_start = os.getloadavg()
    shapes = LOSS_SHAPES + ([LARGE_SHAPE] if args.large else [])
    rows = [finish(bench_loss(B, T, target, repeats)) for B, T, target in shapes]
    rows += [finish(r) for r in bench_advantages(repeats)]
    env = {"python": platform.python_version(), "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
           "cpu_count": os.cpu_count(), "machine": platform.machine(), "loadavg_at_start": load_at_start,
           "grpo_c": None if grpo_c is None else getattr(grpo_c, "__version__", "?"), "grpo_c_missing": GRPO_C_MISSING}
    if args.json:
        print(json.dumps({"env": env, "rows": rows}, indent=2))
        return
    print(f"torch {env['torch']} ({env['torch_threads']} threads), {env['cpu_count']} CPUs, "
          f"python {env['python']}, load average at start {env['loadavg_at_start'][0]:.2f}; "
          "times are medians per call")
    if GRPO_C_MISSING:
        print(f"note: {GRPO_C_MISSING}; only the torch side ran")
    elif grpo_loss is None:
        print("note: grpo_c.torch is not available yet; the c.torch column is empty")
    print_table(rows)
    print("x t1 / x t2 / x c.torch: ratios of medians; x min: best ratio of the least contended samples")
    print("verification (max relative difference):")
    seen = set()
    for r in rows:
        for k, v in r["verify"].items():
            if (r["shape"], k) not in seen:
                seen.add((r["shape"], k))
                print(f"  {r['shape']:>10} {k:<32} {v:.2e}")


if __name__ == "__main__":
    main()
