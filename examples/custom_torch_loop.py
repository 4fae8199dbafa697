"""A hand-written GRPO step in PyTorch with grpo_c doing the advantage and loss work.

A tiny policy (an embedding and a linear head over a toy vocabulary) samples G completions per
prompt; rule rewards score them; grpo_c turns rewards into advantages and the per-token log-probs
into the loss, whose backward() is grpo_c's analytic gradient. Run: python examples/custom_torch_loop.py
"""

import torch

import grpo_c
from grpo_c.torch import grpo_loss

torch.manual_seed(0)
VOCAB, HIDDEN, G, PROMPTS, LENGTH = 16, 32, 8, 4, 12
TARGET = 3  # the toy "right answer": completions earn reward for each TARGET token they emit

policy = torch.nn.Sequential(torch.nn.Embedding(VOCAB, HIDDEN), torch.nn.Linear(HIDDEN, VOCAB))
reference = torch.nn.Sequential(torch.nn.Embedding(VOCAB, HIDDEN), torch.nn.Linear(HIDDEN, VOCAB))
reference.load_state_dict(policy.state_dict())
optimizer = torch.optim.AdamW(policy.parameters(), lr=3e-2)


def token_logps(model, tokens):
    logits = model(tokens[:, :-1])
    return torch.log_softmax(logits, dim=-1).gather(-1, tokens[:, 1:, None]).squeeze(-1)


for step in range(20):
    with torch.no_grad():
        tokens = torch.zeros(PROMPTS * G, LENGTH + 1, dtype=torch.long)
        for t in range(LENGTH):
            probs = torch.softmax(policy(tokens[:, t]), dim=-1)
            tokens[:, t + 1] = torch.multinomial(probs, 1).squeeze(-1)
        mask = torch.ones(PROMPTS * G, LENGTH, dtype=torch.bool)
        rewards = (tokens[:, 1:] == TARGET).float().mean(dim=1)
        old_logps = token_logps(policy, tokens)
        ref_logps = token_logps(reference, tokens)
    advantages = torch.from_numpy(grpo_c.group_advantages(rewards.numpy(), group_size=G)).float()

    logps = token_logps(policy, tokens)
    loss, out = grpo_loss(logps, old_logps, advantages, mask, ref_logp=ref_logps, preset="trl",
                          loss_type="dapo", beta=0.04, return_output=True)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 5 == 0 or step == 19:
        print(f"step {step:2d}  reward {rewards.mean():.3f}  loss {loss.item():+.4f}  kl {out.metrics['kl']:.4f}")
