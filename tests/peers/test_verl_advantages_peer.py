"""grpo_c's verl advantage estimators against verl 0.9.1's own registered estimators
(verl.trainer.ppo.core_algos), fed token-level rewards, bool response masks and string uids as
verl's trainer feeds them; 1e-6 relative (verl's vectorized forms compute in float32), and
verl's own code checks tests/frameworks.py's restatements."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import loaders

loaders.require_pinned("verl")
import torch  # noqa: E402

import frameworks  # noqa: E402
import grpo_c  # noqa: E402

core_algos, _ = loaders.verl()


ESTIMATORS = ["grpo", "grpo_vectorized", "grpo_passk", "rloo", "rloo_vectorized", "opo", "gpg",
              "reinforce_plus_plus_baseline"]


@st.composite
def batches(draw):
    groups, size = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, t = groups * size, draw(st.integers(1, 6))
    kind = draw(st.sampled_from(["binary", "normal", "equal"]))
    # multiples of 1/64: verl's vectorized forms compute sum2 - sum^2 / n in float32, exact for these;
    # rewards 1e-6 apart would measure float32's cancellation there, not the estimator
    r = {"binary": lambda: rng.integers(0, 2, n).astype(float),
         "normal": lambda: np.round(rng.normal(size=n) * 64) / 64,
         "equal": lambda: np.full(n, 0.5)}[kind]()
    mask = rng.random((n, t)) < 0.7
    mask[:, 0] = True
    token_rewards = np.zeros((n, t))
    last = t - 1 - np.argmax(mask[:, ::-1], axis=1)
    token_rewards[np.arange(n), last] = r
    perm = rng.permutation(n)
    index = np.array([f"uid{i // size}" for i in range(n)], dtype=object)[perm]
    return token_rewards[perm], mask[perm], index, r[perm], size


@pytest.mark.parametrize("name", ESTIMATORS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches(), norm=st.booleans())
def test_estimators_match_verl(name, batch, norm):
    token_rewards, mask, index, scores, size = batch
    if name == "grpo_passk" and size < 2:
        return   # verl's pass@k needs two responses per prompt
    kw = {"norm_adv_by_std_in_grpo": norm} if name.startswith("grpo") else {}
    config = core_algos.AlgoConfig(norm_adv_by_std_in_grpo=norm) if name == "grpo_passk" else None
    fn = core_algos.get_adv_estimator_fn(name)
    if name == "reinforce_plus_plus_baseline" and mask.sum() <= 1:
        return   # verl raises, as we do: test_reinforce_plus_plus_baseline_with_one_token_raises_as_verl_does
    want, _ = fn(token_level_rewards=torch.tensor(token_rewards), response_mask=torch.tensor(mask),
                 index=index, config=config, **kw)
    want = want.double().numpy()
    ours = grpo_c.group_advantages(scores, group_ids=index, preset="verl", adv_estimator=name, mask=mask, **kw)
    ours = ours[:, None] * mask if ours.ndim == 1 else ours
    np.testing.assert_allclose(ours, want, rtol=1e-6, atol=1e-7)
    restated, _ = frameworks.VERL_ADVANTAGE_ESTIMATORS[name](
        torch.tensor(token_rewards), torch.tensor(mask), index, **kw)
    np.testing.assert_allclose(restated.numpy(), want, rtol=1e-6, atol=1e-7)


def test_reinforce_plus_plus_baseline_with_one_token_raises_as_verl_does():
    """verl's masked_whiten takes an unbiased variance: one response token in the batch raises."""
    mask = np.zeros((2, 3), bool)
    mask[0, 0] = True
    index = np.array(["a", "a"], dtype=object)
    fn = core_algos.get_adv_estimator_fn("reinforce_plus_plus_baseline")
    with pytest.raises(ValueError):
        fn(token_level_rewards=torch.tensor(np.where(mask, 1.0, 0.0)), response_mask=torch.tensor(mask), index=index)
    with pytest.raises(ValueError, match="two response tokens"):
        grpo_c.group_advantages(np.array([1.0, 0.0]), group_ids=index, preset="verl",
                                adv_estimator="reinforce_plus_plus_baseline", mask=mask)


def test_registry_is_covered():
    offered = set(ESTIMATORS)
    not_offered = {"gae", "reinforce_plus_plus", "remax", "gdpo", "optimal_token_baseline",
                   "tir_optimal_token_baseline"}
    registered = {getattr(k, "value", k) for k in core_algos.ADV_ESTIMATOR_REGISTRY}
    assert registered <= offered | not_offered, sorted(registered - offered - not_offered)
