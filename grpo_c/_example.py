"""A worked example of the whole numeric path on one small group (``python -m grpo_c example``)."""

from __future__ import annotations

import numpy as np


def main() -> int:
    import grpo_c

    print("One prompt, G = 4 completions, scored by a rule reward (1 = correct):")
    rewards = np.array([1.0, 0.0, 1.0, 0.0])
    print(f"  rewards     {rewards.tolist()}")
    adv = grpo_c.group_advantages(rewards, group_size=4, preset="trl")
    print(f"  advantages  {np.round(adv, 4).tolist()}   (r - mean) / (std + 1e-4), TRL's formula")

    rng = np.random.default_rng(0)
    lengths = [5, 3, 6, 4]
    mask = np.zeros((4, 6), bool)
    for i, n in enumerate(lengths):
        mask[i, :n] = True
    old_logp = np.where(mask, -rng.random((4, 6)) * 2, 0.0)
    logp = old_logp + np.where(mask, rng.normal(0, 0.15, (4, 6)), 0.0)   # the policy moved a little
    ref_logp = old_logp + np.where(mask, rng.normal(0, 0.05, (4, 6)), 0.0)
    print(f"\nCompletion lengths {lengths} tokens; current, old and reference log-probs per token.")
    for preset, options in (("trl", dict(loss_type="dapo", beta=0.04)),
                            ("verl", dict(loss_agg_mode="token-mean", use_kl_loss=True)),
                            ("openrlhf", dict())):
        out = grpo_c.policy_loss(logp, old_logp, adv, mask, ref_logp=ref_logp, preset=preset, **options)
        shown = ", ".join(f"{k}={v:.4g}" for k, v in list(out.metrics.items())[:3])
        print(f"  preset={preset:<9} loss={out.loss:+.6f}  dLoss/dlogp[0]={np.round(out.grad[0], 4).tolist()}")
        print(f"  {'':<16} {shown}")
    print("\nThe gradient is exact (it equals torch autograd on each framework's formula) and is 0 on")
    print("padding. In a PyTorch loop: loss = grpo_c.torch.grpo_loss(logp, old, adv, mask, ...); loss.backward()")
    return 0
