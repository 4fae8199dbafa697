"""grpo_c's rule rewards as TRL reward functions.

GRPOTrainer calls each reward function as f(prompts=..., completions=..., completion_ids=...,
**dataset_columns) and expects one float (or None) per completion. grpo_c's drop-ins have those
signatures and open-r1/TRL's names, so a training script swaps its imports and keeps the rest:

    from grpo_c.integrations.trl import format_reward, tag_count_reward, ...
    trainer = GRPOTrainer(model=..., reward_funcs=[accuracy_reward, format_reward, tag_count_reward,
                                                   get_language_consistency_reward("en")],
                          args=GRPOConfig(reward_weights=[1.0, 0.5, 0.5, 0.2], ...), ...)

This script makes the same calls the trainer would make, on the bundled sample rollouts, then
combines the rewards and turns them into group advantages as TRL does.

    python examples/trl_reward_functions.py
"""

import importlib.resources
import json

import numpy as np

import grpo_c
from grpo_c import rewards
from grpo_c.integrations import trl as drop_ins


def load_rollouts():
    path = importlib.resources.files("grpo_c") / "data" / "sample_rollouts.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r.get("group") is not None]


def main() -> int:
    rows = load_rollouts()
    # Conversational data, as TRL passes it: one assistant message per completion.
    completions = [[{"role": "assistant", "content": r["completion"]}] for r in rows]
    prompts = [[{"role": "user", "content": r["prompt"]}] for r in rows]
    columns = {"solution": [r["solution"] for r in rows]}

    reward_funcs = [drop_ins.format_reward, drop_ins.tag_count_reward,
                    drop_ins.reasoning_steps_reward,
                    drop_ins.get_language_consistency_reward("auto"),
                    drop_ins.get_repetition_penalty_reward(ngram_size=3, max_penalty=-1.0)]
    weights = [1.0, 0.5, 0.5, 0.2, 0.5]
    if hasattr(drop_ins, "accuracy_reward"):
        reward_funcs.insert(0, drop_ins.accuracy_reward)
        weights.insert(0, 1.0)

    per_func = []
    for fn in reward_funcs:
        values = fn(prompts=prompts, completions=completions, **columns)
        per_func.append([np.nan if v is None else v for v in values])
        scored = [v for v in values if v is not None]
        print(f"{fn.__name__:32} mean {np.mean(scored):+.3f} over {len(scored)} completions")

    total = rewards.combine(per_func, weights)
    _, group_ids = np.unique([json.dumps(r["group"]) for r in rows], return_inverse=True)
    advantages = grpo_c.group_advantages(total, group_ids=group_ids, preset="trl")
    print(f"\n{len(rows)} completions in {group_ids.max() + 1} groups; weighted total reward mean "
          f"{np.nanmean(total):.3f}; advantages mean {advantages.mean():+.2e}, "
          f"std {advantages.std():.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
