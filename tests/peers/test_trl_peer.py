"""grpo_c's trl preset against TRL 1.16.0's own GRPOTrainer._compute_loss, run by a real
GRPOTrainer around a tiny random Qwen2 (float64) and a local word-level tokenizer: the loss,
dLoss/dlogp, every parameter's gradient and the metrics TRL logs, 1e-10 relative.

grpo_c is fed the trainer's own per-token log-probs and entropies (the same forward pass) and
backpropagates through the same model, as a drop-in for the loss lines would.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import loaders

loaders.require_pinned("trl")
import torch  # noqa: E402
from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

import frameworks  # noqa: E402
import grpo_c.torch as gt  # noqa: E402

datasets = pytest.importorskip("datasets")
from trl import GRPOConfig, GRPOTrainer  # noqa: E402

ROWS, GENERATIONS, PROMPT, VOCAB = 4, 2, 3, 24
FLOAT32 = 1e-6   # relative: what rounding to float32 (2**-24) can move, with margin
LOSS_TYPES = ["grpo", "bnpo", "dr_grpo", "dapo", "luspo", "cispo", "sapo", "vespo"]
IS_MODES = ["sequence_mask", "sequence_truncate", "token_mask", "token_truncate"]
# GRPOConfig options this test varies, passed unchanged to the trl preset
CONFIG_NAMES = ("loss_type", "beta", "epsilon", "epsilon_high", "delta", "importance_sampling_level",
                "use_bias_correction_kl", "max_completion_length", "gradient_accumulation_steps",
                "steps_per_generation", "sapo_temperature_pos", "sapo_temperature_neg", "vespo_k_pos",
                "vespo_lambda_pos", "vespo_k_neg", "vespo_lambda_neg", "off_policy_mask_threshold",
                "top_entropy_quantile", "vllm_importance_sampling_mode", "vllm_importance_sampling_clip_min",
                "vllm_importance_sampling_clip_max")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A tiny random Qwen2 and a word-level tokenizer over its vocabulary, saved as a local model."""
    path = tmp_path_factory.mktemp("tiny-qwen2")
    vocab = {f"w{i}": i for i in range(VOCAB - 2)} | {"<pad>": VOCAB - 2, "<eos>": VOCAB - 1}
    words = Tokenizer(models.WordLevel(vocab, unk_token="w0"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=words, pad_token="<pad>", eos_token="<eos>")
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=VOCAB, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=64,
                         tie_word_embeddings=False, pad_token_id=VOCAB - 2, eos_token_id=VOCAB - 1)
    Qwen2ForCausalLM(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    hf_logging.set_verbosity_error()
    return str(path)


def make_trainer(model_dir, tmp_dir, config: dict, use_vllm_is: bool) -> GRPOTrainer:
    args = GRPOConfig(output_dir=tmp_dir, per_device_train_batch_size=ROWS, num_generations=GENERATIONS,
                      report_to=[], use_cpu=True, bf16=False, model_init_kwargs={"dtype": torch.float64}, **config)
    trainer = GRPOTrainer(model=model_dir, reward_funcs=lambda completions, **kw: [0.0] * len(completions),
                          args=args, train_dataset=datasets.Dataset.from_dict({"prompt": ["w1 w2"] * ROWS}))
    # what Trainer.train sets per optimizer step, and what use_vllm=True would set without vLLM
    trainer.current_gradient_accumulation_steps = args.gradient_accumulation_steps
    trainer.use_vllm = trainer.vllm_importance_sampling_correction = use_vllm_is
    trainer.vllm_importance_sampling_mode = args.vllm_importance_sampling_mode
    trainer.vllm_importance_sampling_clip_min = args.vllm_importance_sampling_clip_min
    trainer.vllm_importance_sampling_clip_max = args.vllm_importance_sampling_clip_max
    trainer.model.train()
    return trainer


def vllm_importance_sampling_ratio(old, sampling, mask, mode, clip_min, clip_max):
    """The ratio TRL 1.16 computes at generation time (inline in _generate_and_score_completions,
    not callable alone), restated: exp of the masked log-ratio old - sampling, per token or summed
    per sequence, truncated or masked to 0 outside [clip_min, clip_max]."""
    diff = torch.nan_to_num((old - sampling) * mask, nan=0.0)
    if mode.startswith("sequence"):
        diff = diff.sum(dim=-1, keepdim=True)
    ratio = torch.exp(diff)
    if mode.endswith("truncate"):
        return torch.clamp(ratio, min=clip_min, max=clip_max)
    lo = -math.inf if clip_min is None else clip_min
    hi = math.inf if clip_max is None else clip_max
    return ratio.masked_fill((ratio < lo) | (ratio > hi), 0.0)


class LogpSpy:
    """Wraps the trainer's log-prob forward so that dLoss/dlogp of TRL's own loss can be read.

    TRL 1.16's fused LM head gives float32 log-probs; they are widened to float64 here (for TRL
    and for grpo_c alike), so that TRL's loss runs in float64 as its float64 inputs promote it to,
    and its dLoss/dlogp is summed over the uses of logp in float64 rather than in float32."""

    def __init__(self, trainer):
        self.forward = trainer._get_per_token_logps_and_entropies
        self.logp = None
        trainer._get_per_token_logps_and_entropies = self

    def wide(self, *args, **kwargs):
        logp, entropies, aux = self.forward(*args, **kwargs)
        logp = logp.double()
        logp.retain_grad()
        return logp, entropies, aux

    def __call__(self, *args, **kwargs):
        logp, entropies, aux = self.wide(*args, **kwargs)
        self.logp = logp
        return logp, entropies, aux


def parameter_grads(model):
    return {name: p.grad.detach().clone() for name, p in model.named_parameters() if p.grad is not None}


@st.composite
def configs(draw):
    loss_type = draw(st.sampled_from(LOSS_TYPES))
    config = {"loss_type": loss_type}
    length = draw(st.integers(1, 5))
    config["max_completion_length"] = length + draw(st.sampled_from([0, 3]))
    if draw(st.booleans()):
        config["beta"] = draw(st.sampled_from([0.04, 0.5]))
        config["use_bias_correction_kl"] = draw(st.booleans())
    if draw(st.booleans()):
        config["epsilon"] = draw(st.sampled_from([0.1, 0.3]))
    if draw(st.booleans()):
        config["epsilon_high"] = draw(st.sampled_from([0.28, 5.0] if loss_type == "cispo" else [0.28, 0.4]))
    if loss_type not in ("cispo", "sapo", "vespo") and draw(st.booleans()):
        config["delta"] = draw(st.sampled_from([1.5, 3.0]))
    if loss_type != "vespo" and draw(st.booleans()):
        config["importance_sampling_level"] = "sequence"
    if draw(st.booleans()):
        config["gradient_accumulation_steps"] = draw(st.sampled_from([2, 4]))
    if draw(st.booleans()):
        config["steps_per_generation"] = draw(st.sampled_from([1, 2, 8]))
    if loss_type == "sapo" and draw(st.booleans()):
        config.update(sapo_temperature_pos=0.5, sapo_temperature_neg=2.0)
    if loss_type == "vespo" and draw(st.booleans()):
        config.update(vespo_k_pos=1.5, vespo_lambda_pos=2.0, vespo_k_neg=2.5, vespo_lambda_neg=1.0)
    if draw(st.booleans()):
        config["off_policy_mask_threshold"] = draw(st.sampled_from([0.0, 0.1, 1.0]))
    if draw(st.booleans()):
        config["top_entropy_quantile"] = draw(st.sampled_from([0.2, 0.5]))
    use_vllm_is = draw(st.booleans())
    if use_vllm_is:
        modes = IS_MODES[2:] if loss_type == "vespo" else IS_MODES
        config["vllm_importance_sampling_mode"] = draw(st.sampled_from(modes))
        config["vllm_importance_sampling_clip_max"] = draw(st.sampled_from([1.2, 3.0]))
        if draw(st.booleans()):
            config["vllm_importance_sampling_clip_min"] = 0.8
    return config, length, use_vllm_is


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(configs(), st.integers(0, 2**32 - 1), st.sampled_from([0.01, 0.3, 1.5]), st.booleans())
def test_compute_loss_matches_trl_trainer(model_dir, tmp_path, case, seed, spread, empty_row):
    compare_with_trainer(model_dir, str(tmp_path), *case, seed, spread, empty_row)


def compare_with_trainer(model_dir, tmp_dir, config, length, use_vllm_is, seed, spread, empty_row):
    trainer = make_trainer(model_dir, tmp_dir, config, use_vllm_is)
    model = trainer.model
    rng = np.random.default_rng(seed)
    prompt_ids = torch.tensor(rng.integers(0, VOCAB - 2, (ROWS, PROMPT)))
    prompt_mask = torch.ones(ROWS, PROMPT, dtype=torch.long)
    prompt_mask[0, 0] = 0   # left padding
    completion_ids = torch.tensor(rng.integers(0, VOCAB, (ROWS, length)))
    completion_mask = torch.tensor(rng.random((ROWS, length)) < 0.8, dtype=torch.long)
    completion_mask[-1, 0] = 1
    if empty_row:
        completion_mask[0] = 0
    input_ids = torch.cat([prompt_ids, completion_ids], dim=1)
    attention_mask = torch.cat([prompt_mask, completion_mask], dim=1)
    with torch.no_grad():
        current, _, _ = trainer._get_per_token_logps_and_entropies(model, input_ids, attention_mask, length)

    def near(scale):
        return current + scale * torch.tensor(rng.standard_normal((ROWS, length)))

    mask = completion_mask.to(torch.float64)
    inputs = {"prompt_ids": prompt_ids, "prompt_mask": prompt_mask, "completion_ids": completion_ids,
              "completion_mask": completion_mask, "advantages": torch.tensor(rng.standard_normal(ROWS)),
              "old_per_token_logps": near(spread), "ref_per_token_logps": near(spread),
              "num_items_in_batch": completion_mask.sum() * int(rng.integers(1, 4))}
    given_options = {k: v for k, v in config.items() if k in CONFIG_NAMES}
    per_call = {"ref_logp": inputs["ref_per_token_logps"], "num_items_in_batch": inputs["num_items_in_batch"]}
    if use_vllm_is or config.get("off_policy_mask_threshold") is not None:
        sampling = near(spread)
        if use_vllm_is:
            inputs["sampling_per_token_logps"] = sampling
            inputs["importance_sampling_ratio"] = vllm_importance_sampling_ratio(
                inputs["old_per_token_logps"], sampling, mask, config["vllm_importance_sampling_mode"],
                config.get("vllm_importance_sampling_clip_min"), config["vllm_importance_sampling_clip_max"])
            per_call["rollout_logp"] = sampling
        given_options["vllm_importance_sampling_correction"] = use_vllm_is

    spy = LogpSpy(trainer)
    model.zero_grad()
    want_loss = trainer._compute_loss(model, inputs)
    want_loss.backward()
    want_grad = spy.logp.grad.clone()
    want_params = parameter_grads(model)
    want_metrics = {name: values[-1] for name, values in trainer._metrics["train"].items()}

    model.zero_grad()
    logp, entropies, _ = spy.wide(model, input_ids, attention_mask, length, compute_entropy=True)
    loss, out = gt.grpo_loss(logp, inputs["old_per_token_logps"], inputs["advantages"], completion_mask,
                             entropies=entropies, preset="trl", return_output=True, **per_call, **given_options)
    loss.backward()

    case_info = (config, use_vllm_is, seed)
    m = completion_mask.bool()
    # the fast tier's restatement must not drift from the real code
    restated_logp = logp.detach().clone().requires_grad_(True)
    restated, restated_metrics = frameworks.trl_loss(
        restated_logp, inputs["old_per_token_logps"], inputs["ref_per_token_logps"], inputs["advantages"], mask,
        num_items_in_batch=inputs["num_items_in_batch"], entropies=entropies,
        sampling_per_token_logps=inputs.get("sampling_per_token_logps"), **given_options)
    restated.backward()
    assert torch.allclose(restated, want_loss, rtol=1e-10, atol=1e-13), ("restatement", case_info)
    assert torch.allclose(torch.where(m, restated_logp.grad, 0.0), torch.where(m, want_grad, 0.0),
                          rtol=1e-10, atol=1e-13), ("restatement dlogp", case_info)
    assert torch.allclose(loss, want_loss, rtol=1e-10, atol=1e-13), (float(loss), float(want_loss), case_info)
    assert torch.allclose(torch.where(m, logp.grad, 0.0), torch.where(m, want_grad, 0.0),
                          rtol=1e-10, atol=1e-13), ("dlogp", (logp.grad - want_grad).abs().max(), case_info)
    # each parameter's gradient passes dLoss/dlogp through the float32 LM head: 1e-10 apart in
    # float64, the two can round to neighbouring float32 values
    got_params = parameter_grads(model)
    assert got_params.keys() == want_params.keys()
    for name, grad in want_params.items():
        assert torch.allclose(got_params[name], grad, rtol=FLOAT32, atol=FLOAT32 * float(grad.abs().max())), (
            name, case_info)
    if length == 1:
        return   # TRL takes (B, 1) tensors for sequence-level ones: README, "where we differ"
    for name, value in want_metrics.items():
        assert name in out.metrics and name in restated_metrics, (name, case_info)
        # TRL averages float32 entropies and .float() clip flags in float32
        rel = 1e-10 if name in ("kl", "vespo/phi_seq_mean") else FLOAT32
        assert math.isclose(out.metrics[name], value, rel_tol=rel, abs_tol=1e-13) or (
            math.isnan(value) and math.isnan(out.metrics[name])), (name, out.metrics[name], value, case_info)
        assert math.isclose(restated_metrics[name], value, rel_tol=rel, abs_tol=1e-13) or (
            math.isnan(value) and math.isnan(restated_metrics[name])), ("restatement", name, case_info)


def test_loss_types_cover_trls():
    """Every loss_type GRPOTrainer 1.16 accepts is compared above (a new one is noticed)."""
    from grpo_c.frameworks import trl as preset

    field = GRPOConfig.__dataclass_fields__["loss_type"]
    help_text = field.metadata["help"]
    assert all(f"'{name}'" in help_text for name in LOSS_TYPES)
    assert set(preset.LOSS_TYPES) == set(LOSS_TYPES)
