"""grpo_c.group_advantages against the framework oracles in tests/frameworks.py, preset by preset.

Covers every TRL scale / aggregation with weights and NaN (None) rewards, every verl estimator with groups
in any order plus a singleton, and every OpenRLHF group estimator (token whitening and compute_reward's
(-10, 10) clip included).
"""

import numpy as np
import pytest
import torch

import frameworks as fw

grpo_c = pytest.importorskip("grpo_c")
if not hasattr(grpo_c, "group_advantages"):
    pytest.skip("grpo_c.group_advantages is not available", allow_module_level=True)

G, N, T = 4, 24, 5


def _max_rel(got, want):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-12))


def _rewards(seed):
    rng = np.random.default_rng(seed)
    r = rng.integers(0, 3, N).astype(np.float64) + (0.5 * rng.random(N) if seed % 2 else 0.0)
    r[8:12] = 1.0  # an all-equal group
    lengths = rng.integers(1, T + 1, N)
    mask = (np.arange(T)[None, :] < lengths[:, None]).astype(np.float64)
    return rng, r, mask, lengths


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("scale", ["group", "batch", "none"])
@pytest.mark.parametrize("aggregation", ["sum_then_normalize", "normalize_then_sum"])
def test_trl(seed, scale, aggregation):
    rng, r, _, _ = _rewards(seed)
    R = np.stack([r, rng.random(N)], axis=1)
    R[3, 0] = np.nan          # one function returned None
    R[5] = np.nan             # unscorable row
    R[13:16, 1] = np.nan      # a group with a single valid value for function 1
    want = fw.trl_advantages(torch.tensor(R), reward_weights=torch.tensor([1.0, 0.5]), num_generations=G,
                             scale_rewards=scale, multi_objective_aggregation=aggregation).numpy()
    got = grpo_c.group_advantages(R, group_size=G, preset="trl", scale_rewards=scale, reward_weights=[1.0, 0.5],
                                  multi_objective_aggregation=aggregation)
    assert _max_rel(got, want) < 1e-12


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", sorted(fw.VERL_ADVANTAGE_ESTIMATORS))
@pytest.mark.parametrize("norm", [True, False])
def test_verl(seed, name, norm):
    rng, r, mask, lengths = _rewards(seed)
    rewards = np.zeros((N, T))
    rewards[np.arange(N), lengths - 1] = r
    index = rng.permutation(np.repeat(np.arange(N // G), G))
    index[-1] = 99  # a singleton group, in any order
    kw = dict(norm_adv_by_std_in_grpo=norm) if name in ("grpo", "grpo_vectorized", "grpo_passk") else {}
    extra = dict(mask=mask) if name in ("opo", "reinforce_plus_plus_baseline") else {}
    if name == "grpo_passk":
        with pytest.raises(ValueError):
            fw.verl_grpo_passk(torch.tensor(rewards), torch.tensor(mask), index, **kw)
        with pytest.raises(ValueError):
            grpo_c.group_advantages(r, group_ids=index, preset="verl", adv_estimator=name, **kw)
        index = rng.permutation(np.repeat(np.arange(N // G), G))  # pass@k needs two samples per group
    want = fw.VERL_ADVANTAGE_ESTIMATORS[name](torch.tensor(rewards), torch.tensor(mask), index, **kw)[0].numpy()
    got = np.asarray(grpo_c.group_advantages(r, group_ids=index, preset="verl", adv_estimator=name, **kw, **extra))
    got = got if got.ndim == 2 else got[:, None] * mask
    assert _max_rel(got, want) < 1e-10


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", ["group_norm", "dr_grpo", "rloo", "reinforce_baseline"])
@pytest.mark.parametrize("reward_scale", [1.0, 20.0])
def test_openrlhf(seed, name, reward_scale):
    _, r, mask, _ = _rewards(seed)
    r = r * reward_scale  # x20 pushes dr_grpo / rloo advantages past the (-10, 10) clip
    whiten = name == "reinforce_baseline"
    want = fw.openrlhf_advantages(torch.tensor(r), G, name, action_mask=torch.tensor(mask) if whiten else None).numpy()
    got = grpo_c.group_advantages(r, group_size=G, preset="openrlhf", advantage_estimator=name,
                                  **(dict(mask=mask) if whiten else {}))
    assert _max_rel(got, want) < 1e-10
