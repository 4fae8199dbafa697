"""Issue 14 (a, b): log-probs from logits, and the GRPO loss fused with the lm-head, grpo_c against
torch eager, at Qwen's vocabulary.

The peer is what TRL computes on the CPU: ``log_softmax(logits).gather(-1, ids)`` forward and
``.backward()`` in float32 (torch's own ``selective_log_softmax`` path for float32). grpo_c is
``grpo_c.torch.selective_log_softmax`` forward and backward on the same tensor. Both results are
checked against each other before timing. Samples of the two alternate, in a shuffled order;
times are medians (and minima) over the repeats. The single read of the logits is reported as
GB/s: the forward reads N x V x 4 bytes once.

Peak memory beyond the logits is each side's RSS high-water mark in a child process (tracemalloc
does not see torch's or the kernel's buffers).

(b): hidden (2,048 tokens, H = 896) x weight (V, H) -> log-probs -> TRL's dapo loss, forward and
backward: torch eager float32 (materialised logits, autograd) against
``grpo_c.fused_linear_policy_loss``, with each side's peak memory and the time of the three
GEMMs of a fused step alone on the same chunk shapes.

Run from the repository root after ``pip install -e .`` (or ``python setup.py build_ext --inplace``):
    python benchmarks/bench_lmhead.py [--rows 1024 4096] [--vocab 151936] [--repeats 5] [--threads 2]
                                      [--fused-tokens 2048]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import random
import statistics
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import grpo_c  # noqa: E402
import grpo_c.torch as gt  # noqa: E402


def torch_peer(logits, ids):
    logp = torch.log_softmax(logits, dim=-1).gather(-1, ids.unsqueeze(-1)).squeeze(-1)
    logp.sum().backward()
    return logp


def grpo_side(logits, ids):
    logp = gt.selective_log_softmax(logits, ids)
    logp.sum().backward()
    return logp


SIDES = {"torch": torch_peer, "grpo_c": grpo_side}


def data(rows, vocab, seed=0):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(rows, vocab, generator=gen).mul_(3)
    ids = torch.randint(0, vocab, (rows,), generator=gen)
    return logits, ids


def one_run(side, logits, ids):
    x = logits.detach().requires_grad_(True)
    start = time.perf_counter()
    logp = SIDES[side](x, ids)
    return time.perf_counter() - start, logp.detach(), x.grad


def high_water() -> int:
    """This process's resident high-water mark in bytes (VmHWM: per address space, so a spawned
    child starts afresh, where getrusage's ru_maxrss carries the parent's over fork and exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def peak_child(side, rows, vocab, threads, queue):
    torch.set_num_threads(threads)
    grpo_c.set_num_threads(threads)
    logits, ids = data(rows, vocab)
    before = high_water()
    one_run(side, logits, ids)
    queue.put(high_water() - before)


def peak_memory(side, rows, vocab, threads):
    """RSS high-water above the logits of one forward + backward, in a fresh process."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=peak_child, args=(side, rows, vocab, threads, queue))
    proc.start()
    proc.join()
    return queue.get() if proc.exitcode == 0 else float("nan")


# ---------------------------------------------------------------------------------- (b) the fused loss

def torch_fused_peer(hidden, weight, ids, old, adv, mask):
    """TRL's path on the CPU in float32: materialised logits, selective log-softmax, the dapo loss."""
    logits = hidden @ weight.T
    logp = torch.log_softmax(logits, -1).gather(-1, ids.unsqueeze(-1)).squeeze(-1)
    ratio = torch.exp(logp - old)
    a = adv.unsqueeze(1)
    loss = -torch.min(ratio * a, torch.clamp(ratio, 0.8, 1.2) * a)
    loss = (loss * mask).sum() / mask.sum()
    loss.backward()
    return loss.item()


def fused_data(tokens, hidden_size, vocab, seed=1):
    gen = torch.Generator().manual_seed(seed)
    rows = 8
    hidden = torch.randn(rows, tokens // rows, hidden_size, generator=gen)
    weight = torch.randn(vocab, hidden_size, generator=gen).mul_(0.02)
    ids = torch.randint(0, vocab, (rows, tokens // rows), generator=gen)
    # near-uniform logits at this weight scale: log-probs about -log V (no logits materialised here,
    # so each side's peak is its own)
    old = -math.log(vocab) + 0.05 * torch.randn(ids.shape, generator=gen)
    adv = torch.randn(rows, generator=gen)
    mask = torch.ones(ids.shape)
    return hidden, weight, ids, old, adv, mask


def fused_run(side, hidden, weight, ids, old, adv, mask):
    start = time.perf_counter()
    if side == "torch":
        h, w = hidden.clone().requires_grad_(True), weight.clone().requires_grad_(True)
        loss = torch_fused_peer(h, w, ids, old, adv, mask)
        grads = (h.grad, w.grad)
    else:
        out = grpo_c.fused_linear_policy_loss(hidden.numpy(), weight.numpy(), ids.numpy(), old.numpy(),
                                              adv.numpy(), mask.numpy().astype(bool), preset="trl",
                                              loss_type="dapo")
        loss, grads = out.loss, (torch.from_numpy(out.dhidden), torch.from_numpy(out.dweight))
    return time.perf_counter() - start, loss, grads


def fused_peak_child(side, tokens, hidden_size, vocab, threads, queue):
    torch.set_num_threads(threads)
    grpo_c.set_num_threads(threads)
    batch = fused_data(tokens, hidden_size, vocab)
    before = high_water()
    try:
        fused_run(side, *batch)
    except RuntimeError:   # torch out of memory: report, do not crash the run
        queue.put(float("inf"))
        return
    queue.put(high_water() - before)


def fused_peak(side, tokens, hidden_size, vocab, threads):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=fused_peak_child, args=(side, tokens, hidden_size, vocab, threads, queue))
    proc.start()
    proc.join()
    return queue.get() if proc.exitcode == 0 and not queue.empty() else float("nan")


def gemm_time(tokens, hidden_size, vocab, chunk):
    """The three GEMMs of a fused step alone on the same chunk shapes (NumPy's OpenBLAS, float32):
    logits = h W^T, dh = dlogits W, dW += dlogits^T h."""
    rng = np.random.default_rng(0)
    h = rng.standard_normal((chunk, hidden_size), dtype=np.float32)
    w = rng.standard_normal((vocab, hidden_size), dtype=np.float32)
    g = np.empty((chunk, vocab), np.float32)
    dw = np.zeros_like(w)
    start = time.perf_counter()
    for _ in range(0, tokens, chunk):
        np.matmul(h, w.T, out=g)
        g @ w
        dw += g.T @ h
    return time.perf_counter() - start


def fused_main(args):
    tokens, hidden_size, vocab = args.fused_tokens, 896, args.vocab
    print(f"\n# fused lm-head + GRPO loss (dapo), float32, H={hidden_size} (Qwen2.5-0.5B), V={vocab}, "
          f"N={tokens}, {args.threads} threads")
    batch = fused_data(tokens, hidden_size, vocab)
    _, want, want_grads = fused_run("torch", *batch)
    _, got, got_grads = fused_run("grpo_c", *batch)
    assert abs(got - want) <= 1e-4 * abs(want) + 1e-6, (got, want)
    for a, b in zip(got_grads, want_grads):
        assert float((a - b).abs().max()) <= 1e-3 * float(b.abs().max()), float((a - b).abs().max())
    times = {"torch": [], "grpo_c": []}
    for _ in range(args.fused_repeats):
        for side in ("torch", "grpo_c"):
            times[side].append(fused_run(side, *batch)[0])
    chunk = max(1, (64 << 20) // (4 * vocab))
    gemms = min(gemm_time(tokens, hidden_size, vocab, chunk) for _ in range(2))
    med = {side: statistics.median(t) for side, t in times.items()}
    peaks = {side: fused_peak(side, tokens, hidden_size, vocab, args.threads) / 2**30 for side in times}
    print(f"torch eager {med['torch'] * 1e3:.0f} ms, peak {peaks['torch']:.2f} GiB; grpo_c fused "
          f"{med['grpo_c'] * 1e3:.0f} ms, peak {peaks['grpo_c']:.2f} GiB; ratio {med['torch'] / med['grpo_c']:.2f}x, "
          f"memory {peaks['torch'] / max(peaks['grpo_c'], 1e-9):.1f}x less; three GEMMs alone on {chunk}-token "
          f"chunks {gemms * 1e3:.0f} ms (fused / GEMMs {med['grpo_c'] / gemms:.2f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1024, 4096])
    parser.add_argument("--vocab", type=int, default=151936)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory children")
    parser.add_argument("--fused-tokens", type=int, default=2048, help="N of (b), the fused loss (0: skip)")
    parser.add_argument("--fused-repeats", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    grpo_c.set_num_threads(args.threads)
    print(f"# log-probs fwd+bwd, float32, V={args.vocab}, {args.threads} threads (torch and grpo_c), "
          f"load {os.getloadavg()[0]:.2f}")
    print(f"{'N':>6} {'torch ms':>10} {'grpo_c ms':>10} {'x median':>9} {'x min':>7} {'fwd GB/s':>9}"
          f" {'torch peak':>11} {'grpo_c peak':>12}")
    rng = random.Random(0)
    for rows in args.rows:
        logits, ids = data(rows, args.vocab)
        _, want, want_grad = one_run("torch", logits, ids)
        _, got, got_grad = one_run("grpo_c", logits, ids)
        # float32 on both sides: log-probs to 1e-5, gradients to float32 rounding of p
        assert torch.allclose(got, want, rtol=0, atol=1e-4), float((got - want).abs().max())
        assert torch.allclose(got_grad, want_grad, rtol=1e-3, atol=1e-7), float((got_grad - want_grad).abs().max())
        del want_grad, got_grad
        times = {side: [] for side in SIDES}
        for _ in range(args.repeats):
            order = list(SIDES)
            rng.shuffle(order)
            for side in order:
                times[side].append(one_run(side, logits, ids)[0])
        fwd = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            gt.selective_log_softmax(logits, ids)
            fwd.append(time.perf_counter() - start)
        gbs = rows * args.vocab * 4 / min(fwd) / 1e9
        med = {side: statistics.median(t) for side, t in times.items()}
        best = {side: min(t) for side, t in times.items()}
        peaks = ("-", "-") if args.no_memory else tuple(
            f"{peak_memory(side, rows, args.vocab, args.threads) / 2**30:.2f} GiB" for side in SIDES)
        print(f"{rows:>6} {med['torch'] * 1e3:>10.1f} {med['grpo_c'] * 1e3:>10.1f} "
              f"{med['torch'] / med['grpo_c']:>9.2f} {best['torch'] / best['grpo_c']:>7.2f} {gbs:>9.2f}"
              f" {peaks[0]:>11} {peaks[1]:>12}")
        del logits
    if args.fused_tokens:
        fused_main(args)


if __name__ == "__main__":
    main()
