"""TRL: its GRPOConfig options for the advantages and the loss, its logged metric names, and
drop-in reward functions with the TRL / open-r1 calling convention.

Each reward is ``f(completions, **kwargs) -> list[float | None]`` (factories return callable
objects with a ``__name__``, picklable, as TRL's async rollout workers require), takes plain
strings or chat messages, and returns what the peer function of the same name returns, computed
by the C core. ``None`` marks a completion the rule cannot judge (TRL turns it into NaN and
leaves it out).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Callable

import numpy as np

from grpo_c._options import choice, positive_int, take
from grpo_c.frameworks import LossCall
from grpo_c.rewards import text as _text_rewards
from grpo_c.rewards.math import accuracy as _accuracy
from grpo_c.rewards.math import completion_text as _completion_text
from grpo_c.rewards.math import parse_answer as _parse_answer

INF = math.inf
GROUP_SIZE_OPTION = "num_generations"
RELEASE = "1.16.0"
# TRL 1.0-1.9: use_bias_correction_kl off by default, the dapo family's normaliser without the
# accumulation rescale, luspo's length weighting averaged over the unmasked (B, T) loss
RELEASES = {RELEASE: ((1, 10), (1, 16)), "1.9": ((1, 0), (1, 9))}

__all__ = [
    "accuracy_reward", "binary_code_reward", "code_reward", "format_reward",
    "get_code_format_reward", "get_cosine_scaled_reward", "get_language_consistency_reward",
    "get_len_reward", "get_repetition_penalty_reward", "get_soft_overlong_punishment",
    "language_consistency_reward", "len_reward", "reasoning_accuracy_reward",
    "reasoning_steps_reward", "strict_format_reward", "tag_count_reward", "think_format_reward",
]

# ------------------------------------------------------------------------- advantages


def advantage_options(framework: dict, neutral: dict) -> dict:
    out: dict[str, Any] = {"eps": 1e-4, "singleton": "zero"}
    scale = take(framework, "scale_rewards", "group", neutral, "scale")
    out["scale"] = {True: "group", False: "none"}.get(scale, scale) if isinstance(scale, bool) else scale
    out["weights"] = take(framework, "reward_weights", None, neutral, "weights")
    out["multi_objective"] = take(framework, "multi_objective_aggregation", "sum_then_normalize",
                                  neutral, "multi_objective")
    return out

# ------------------------------------------------------------------------- policy loss

LOSS_TYPES = ("grpo", "bnpo", "dr_grpo", "dapo", "luspo", "cispo", "sapo", "vespo")


def _float32(x: float) -> float:
    return float(np.float32(x))


def loss_options(fw: dict, nt: dict, has_rollout: bool, release: str = RELEASE) -> dict:
    current = release == RELEASE
    loss_type = take(fw, "loss_type", "dapo", nt, "surrogate", "aggregation")
    choice("loss_type", loss_type, LOSS_TYPES)
    eps = take(fw, "epsilon", 0.2, nt, "clip_low")
    eps_high = take(fw, "epsilon_high", None, nt, "clip_high", "cispo_bounds")
    eps_high = eps if eps_high is None else eps_high
    level = take(fw, "importance_sampling_level", "token", nt, "ratio_level")
    choice("importance_sampling_level", level, ("token", "sequence"))
    ga = positive_int("gradient_accumulation_steps", take(fw, "gradient_accumulation_steps", 1, nt, "scale"))
    spg = positive_int("steps_per_generation", take(fw, "steps_per_generation", ga, nt, "scale"))
    out: dict[str, Any] = {
        "ratio_level": level, "clip_low": eps, "clip_high": eps_high,
        "delta": take(fw, "delta", None, nt, "delta"),
        "kl_coef": take(fw, "beta", 0.0, nt, "kl_coef"), "kl_estimator": "k3",
        "kl_ratio_weighted": take(fw, "use_bias_correction_kl", current, nt, "kl_ratio_weighted"),
        # TRL builds the temperatures with torch.where over Python floats: float32 values
        "sapo_tau": (_float32(take(fw, "sapo_temperature_pos", 1.0, nt, "sapo_tau")),
                     _float32(take(fw, "sapo_temperature_neg", 1.05, nt, "sapo_tau"))),
        "vespo_k": (take(fw, "vespo_k_pos", 2.0, nt, "vespo_k"), take(fw, "vespo_k_neg", 3.0, nt, "vespo_k")),
        "vespo_lambda": (take(fw, "vespo_lambda_pos", 3.0, nt, "vespo_lambda"),
                         take(fw, "vespo_lambda_neg", 2.0, nt, "vespo_lambda")),
        "off_policy_threshold": take(fw, "off_policy_mask_threshold", None, nt, "off_policy_threshold"),
        "top_entropy_quantile": take(fw, "top_entropy_quantile", 1.0, nt, "top_entropy_quantile"),
        # TRL logs neither ppo_kl nor the mean ratio: the kernel may skip those two sums
        "skip_ratio_metrics": True,
    }
    max_len = take(fw, "max_completion_length", 512, nt, "denominator")
    n_gen = take(fw, "num_items_in_batch", None, nt, "denominator")
    procs = positive_int("num_processes", take(fw, "num_processes", 1, nt, "denominator"))
    out["surrogate"] = {"cispo": "cispo", "sapo": "sapo", "vespo": "vespo"}.get(loss_type, "ppo")
    if loss_type == "cispo":
        out["cispo_bounds"] = (-INF, eps_high)
    # TRL divides by GA by hand except for the dapo family, whose normaliser is global.
    if loss_type in ("grpo", "sapo"):
        out.update(aggregation="seq_mean_token_mean_all_rows", scale=1.0 / ga)
    elif loss_type == "bnpo":
        out.update(aggregation="token_mean", scale=1.0 / ga)
    elif loss_type == "dr_grpo":
        out.update(aggregation="token_sum_norm", scale=1.0 / ga,
                   denominator=("per_row", positive_int("max_completion_length", max_len)))
    elif loss_type == "luspo":
        # the mean over rows of each row's masked sum (before 1.10: "luspo", over every position)
        out.update(aggregation="seq_mean_token_sum" if current else "luspo",
                   denominator=("per_row", 1.0) if current else None, scale=1.0 / ga)
    else:
        # num_items_in_batch spans the generation batch: TRL 1.10+ rescales it to one
        # accumulation window
        den = None if n_gen is None else max(1.0, float(n_gen)) / procs
        out.update(aggregation="token_mean", denominator=den, scale=spg / ga if current else 1.0)
    # vLLM importance-sampling correction: on by default when rollout log-probs are given
    correction = take(fw, "vllm_importance_sampling_correction", None, nt, "is_level")
    mode = take(fw, "vllm_importance_sampling_mode", "sequence_mask", nt, "is_level", "is_mode")
    cap = take(fw, "vllm_importance_sampling_cap", None, nt, "is_bounds")
    clip_max = take(fw, "vllm_importance_sampling_clip_max", 3.0, nt, "is_bounds")
    clip_min = take(fw, "vllm_importance_sampling_clip_min", None, nt, "is_bounds")
    if has_rollout if correction is None else correction:
        mode = choice("vllm_importance_sampling_mode", mode,
                      ("sequence_mask", "sequence_truncate", "token_mask", "token_truncate"))
        if loss_type == "vespo" and mode.startswith("sequence"):
            raise ValueError(f"vllm_importance_sampling_mode: VESPO folds per-token ratios into its sequence "
                             f"weight and needs 'token_mask' or 'token_truncate', got {mode!r}")
        level, is_mode = mode.split("_")
        out.update(is_level=level, is_mode=is_mode, is_bounds=(clip_min, clip_max if cap is None else cap))
    return out


def loss_metrics(raw: dict, call: LossCall) -> dict:
    """TRL's logged names; its clip flags of a sequence-level ratio are reduced over rows."""
    surrogate = call.neutral["surrogate"]
    out = {}
    if surrogate == "ppo":
        out.update({"clip_ratio/low_mean": raw["clip_low"], "clip_ratio/low_min": raw["clip_low_min"],
                    "clip_ratio/high_mean": raw["clip_high"], "clip_ratio/high_max": raw["clip_high_max"],
                    "clip_ratio/region_mean": raw["clip_region"]})
    elif surrogate == "cispo":
        out["cispo_clip_ratio"] = raw["cispo_clip"]
    elif surrogate == "vespo":
        out["vespo/phi_seq_mean"] = raw["phi_mean"]
    if call.neutral["kl_coef"] != 0:
        out["kl"] = raw["kl_mean"]
    out["num_tokens"] = raw["tokens"]
    m = call.token_mask()
    if call.entropies is not None:
        ent = np.asarray(call.entropies, dtype=np.float64)
        out["entropy"] = float(np.where(m, ent, 0.0).sum() / max(m.sum(), 1))
    if call.neutral["ratio_level"] == "sequence" and surrogate in ("ppo", "cispo") and call.advantages.ndim == 1:
        out.update(_sequence_clip_metrics(call, m, surrogate))
    return out


def _sequence_clip_metrics(call: LossCall, m: np.ndarray, surrogate: str) -> dict:
    """TRL reduces (B, 1) sequence-level clip flags over rows, empty rows included (no rows:
    the flags of one empty row, 0)."""
    if m.shape[0] == 0:
        m = np.zeros((1, 1), bool)
        diff, adv = np.zeros((1, 1)), np.zeros(1)
    else:
        old = call.logp if call.old_logp is None else call.old_logp
        diff = np.where(m, np.asarray(call.logp, np.float64) - np.asarray(old, np.float64), 0.0)
        adv = call.advantages
    s = np.exp(diff.sum(axis=1) / np.maximum(m.sum(axis=1), 1))
    if surrogate == "cispo":
        return {"cispo_clip_ratio": float(((s > call.neutral["cispo_bounds"][1]) & (adv > 0)).mean())}
    low = (s < 1 - call.neutral["clip_low"]) & (adv < 0)
    high = (s > 1 + call.neutral["clip_high"]) & (adv > 0)
    return {"clip_ratio/low_mean": float(low.mean()), "clip_ratio/low_min": float(low.min()),
            "clip_ratio/high_mean": float(high.mean()), "clip_ratio/high_max": float(high.max()),
            "clip_ratio/region_mean": float((low | high).mean())}

# ------------------------------------------------------------------------- rewards
# open-r1's code_reward / binary_code_reward, run locally in grpo_c's sandbox instead of
# E2B/Morph; `verification_info` is the dataset column {"language", "test_cases": [...]}.


def _run_code_rewards(completions: list, verification_info: list | None, mode: str,
                      num_parallel: int | None, enforce_same_language: bool, timeout: float,
                      memory_mb: float) -> list[float | None]:
    from grpo_c.rewards import code

    if verification_info is None:
        raise ValueError("verification_info: this reward needs the dataset's verification_info "
                         "column ({'language', 'test_cases'})")
    if len(verification_info) != len(completions):
        raise ValueError(f"verification_info: expected {len(completions)} entries, "
                         f"got {len(verification_info)}")
    languages = [info.get("language", "python") if isinstance(info, dict) else "python"
                 for info in verification_info]
    if enforce_same_language and len(set(languages)) > 1:
        raise ValueError(f"verification_info: languages differ ({sorted(set(languages))}) "
                         "with enforce_same_language=True")
    texts = [_completion_text(c) for c in completions]
    out: list[float | None] = [None] * len(texts)
    aliases = {"python": "python", "python3": "python", "c": "c", "cpp": "cpp", "c++": "cpp"}
    for language in sorted(set(languages)):
        lang = aliases.get(language)
        if lang is None:
            continue  # a language we cannot run: None (not applicable), as open-r1's router does
        idx = [i for i, l in enumerate(languages) if l == language]
        rewards = code([texts[i] for i in idx], [verification_info[i] for i in idx],
                       language=lang, timeout=timeout, memory_mb=memory_mb,
                       workers=num_parallel, mode=mode)
        for i, r in zip(idx, rewards.tolist()):
            out[i] = None if math.isnan(r) else float(r)
    return out


def code_reward(completions: list, num_parallel: int | None = None, provider_type: str = "local",
                enforce_same_language: bool = False, verification_info: list | None = None,
                timeout: float = 5.0, memory_mb: float = 1024,
                **kwargs: Any) -> list[float | None]:
    """Fraction of test cases passed, per completion (open-r1 ``code_reward`` semantics, but an
    extra or missing output line fails). ``provider_type`` is accepted for compatibility and
    ignored: programs always run in the local sandbox, on ``num_parallel`` workers (default:
    all usable CPUs). Returns None where the sandbox itself failed.

    Examples
    --------
    >>> from grpo_c.integrations.trl import code_reward
    >>> msg = [{"role": "assistant", "content": "```python\\nprint(input())\\n```"}]
    >>> info = {"language": "python", "test_cases": [{"input": "7", "output": "7"}]}
    >>> code_reward([msg], verification_info=[info])
    [1.0]
    """
    return _run_code_rewards(completions, verification_info, "fraction", num_parallel,
                             enforce_same_language, timeout, memory_mb)


def binary_code_reward(completions: list, num_parallel: int | None = None,
                       provider_type: str = "local", enforce_same_language: bool = False,
                       verification_info: list | None = None, timeout: float = 5.0,
                       memory_mb: float = 1024, **kwargs: Any) -> list[float | None]:
    """1.0 when every test passes (open-r1: reward > 0.99), else 0.0; None passes through.
    A program stops at its first failing test, so failing batches cost less."""
    return _run_code_rewards(completions, verification_info, "all", num_parallel,
                             enforce_same_language, timeout, memory_mb)

def _as_list(values: np.ndarray) -> list:
    return [None if v != v else v for v in np.asarray(values, dtype=np.float64).tolist()]


def format_reward(completions: Sequence, **kwargs: Any) -> list:
    r"""open-r1 ``format_reward``: 1.0 iff ``^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$``
    matches (DOTALL|MULTILINE), decided in linear time."""
    return _as_list(_text_rewards.format(completions, mode="openr1"))


def strict_format_reward(completions: Sequence, **kwargs: Any) -> list:
    """One non-blank think block then one non-blank answer block and nothing else (our fix of
    format_reward's trailing-junk, repeated-block and empty-block acceptances)."""
    return _as_list(_text_rewards.format(completions, mode="strict"))


def think_format_reward(completions: Sequence, **kwargs: Any) -> list:
    """TRL ``think_format_reward``: starts with ``<think>``, no second ``<think>``, has a
    ``</think>``."""
    return _as_list(_text_rewards.format(completions, mode="think"))


def tag_count_reward(completions: Sequence, **kwargs: Any) -> list:
    """open-r1 ``tag_count_reward``: 0.25 per R1 tag (with its newlines) occurring exactly once."""
    return _as_list(_text_rewards.tag_count(completions))


def reasoning_steps_reward(completions: Sequence, **kwargs: Any) -> list:
    """open-r1 ``reasoning_steps_reward``: min(1, step markers / 3)."""
    return _as_list(_text_rewards.reasoning_steps(completions))


class _CodeFormatReward:
    __name__ = "code_format_reward"

    def __init__(self, language: str):
        self.language = language

    def __call__(self, completions: Sequence, **kwargs: Any) -> list:
        language = kwargs.get("language") or self.language
        return _as_list(_text_rewards.code_format(completions, language))


def get_code_format_reward(language: str = "python") -> _CodeFormatReward:
    """open-r1 ``get_code_format_reward``: the R1 template with a fenced ``language`` block in the
    answer; a per-sample ``language`` column overrides ``language``."""
    if not isinstance(language, str):
        raise TypeError(f"language: expected str, got {type(language).__name__}")
    return _CodeFormatReward(language)


class _LanguageConsistencyReward:
    __name__ = "language_consistency_reward"

    def __init__(self, language: Any, threshold: float | None, column: str | None,
                 options: dict):
        self.language = language
        self.threshold = threshold
        self.column = column
        self.options = options

    def __call__(self, completions: Sequence, **kwargs: Any) -> list:
        prompts = kwargs.get("prompts")
        if self.column is not None and self.column in kwargs:
            targets = list(kwargs[self.column])
            out = np.full(len(targets), np.nan)
            for target in set(targets):
                idx = [i for i, t in enumerate(targets) if t == target]
                out[idx] = _text_rewards.language_consistency(
                    [completions[i] for i in idx], target, threshold=self.threshold,
                    **self.options)
            return _as_list(out)
        return _as_list(_text_rewards.language_consistency(
            completions, self.language, prompts=prompts if self.language == "auto" else None,
            threshold=self.threshold, **self.options))


def get_language_consistency_reward(language: Any = "en", threshold: float | None = None,
                                    column: str | None = None,
                                    **options: Any) -> _LanguageConsistencyReward:
    """Language consistency (DeepSeek-R1 2.3.3): share of chain-of-thought words in ``language``
    (a language code, script names, or ``"auto"`` = the majority script of each prompt), or 1/0
    against ``threshold``. ``column`` names a dataset column holding a per-sample target.
    Other options go to :func:`grpo_c.rewards.language_consistency`."""
    if language != "auto":
        _text_rewards.target_scripts(language)
    return _LanguageConsistencyReward(language, threshold, column, options)


def language_consistency_reward(completions: Sequence, **kwargs: Any) -> list:
    """Share of English (Latin-script) words in the chain of thought; see
    :func:`get_language_consistency_reward` for other targets."""
    return _LanguageConsistencyReward("en", None, None, {})(completions, **kwargs)


class _RepetitionPenaltyReward:
    __name__ = "repetition_penalty_reward"

    def __init__(self, ngram_size: int, max_penalty: float, language: str, unit: str):
        self.ngram_size = ngram_size
        self.max_penalty = max_penalty
        self.language = language
        self.unit = unit

    def __call__(self, completions: Sequence | None = None,
                 completion_ids: Sequence | None = None, **kwargs: Any) -> list:
        if self.unit == "tokens":
            ids = completion_ids if completion_ids is not None else completions
            return _as_list(_text_rewards.repetition(
                completion_ids=ids, ngram_size=self.ngram_size, max_penalty=self.max_penalty))
        if self.language == "zh":
            import jieba

            texts = _text_rewards.texts_of(completions)
            vocab: dict = {}
            ids = [[vocab.setdefault(w, len(vocab)) for w in jieba.cut(t)] if t else []
                   for t in texts]
            out = _text_rewards.repetition(completion_ids=ids, ngram_size=self.ngram_size,
                                           max_penalty=self.max_penalty)
            out[[t is None for t in texts]] = np.nan
            return _as_list(out)
        return _as_list(_text_rewards.repetition(completions, ngram_size=self.ngram_size,
                                                 max_penalty=self.max_penalty))


def get_repetition_penalty_reward(ngram_size: int = 3, max_penalty: float = -1.0,
                                  language: str = "en",
                                  unit: str = "words") -> _RepetitionPenaltyReward:
    """open-r1 / TRL ``get_repetition_penalty_reward``: ``(1 - distinct/total n-grams) *
    max_penalty``. ``unit="words"`` (open-r1): lowercased whitespace words of the text
    (``language="zh"`` segments with jieba, as open-r1 does); ``unit="tokens"`` (TRL):
    ``completion_ids``."""
    if isinstance(ngram_size, bool) or not isinstance(ngram_size, int) or ngram_size <= 0:
        raise ValueError(f"ngram_size must be greater than 0, got {ngram_size}")
    if max_penalty > 0:
        raise ValueError(f"max_penalty {max_penalty} should not be positive")
    if language not in ("en", "zh"):
        raise ValueError(f"language: expected 'en' or 'zh', got {language!r}")
    if unit not in ("words", "tokens"):
        raise ValueError(f"unit: expected 'words' or 'tokens', got {unit!r}")
    return _RepetitionPenaltyReward(ngram_size, max_penalty, language, unit)


def _correct(accuracy: Any, completions: Sequence, solution: Any) -> np.ndarray:
    contents = _text_rewards.texts_of(completions)
    return _text_rewards.accuracy_or(accuracy, contents, solution)


class _LenReward:
    __name__ = "len_reward"

    def __init__(self, accuracy: Any):
        self.accuracy = accuracy

    def __call__(self, completions: Sequence, solution: Sequence | None = None,
                 **kwargs: Any) -> list:
        correct = _correct(self.accuracy, completions, solution)
        # open-r1 treats an unparseable gold as correct rather than skipping it.
        correct = np.where(np.isnan(correct), 1.0, correct)
        return _as_list(_text_rewards.kimi_length(correct, completions))


def get_len_reward(accuracy: Any = None) -> _LenReward:
    """open-r1 ``len_reward`` (Kimi k1.5) with correctness from ``accuracy``: a callable
    ``accuracy(contents, solutions)`` or None for ``grpo_c.rewards.accuracy``."""
    return _LenReward(accuracy)


def len_reward(completions: Sequence, solution: Sequence | None = None,
               accuracy: Any = None, **kwargs: Any) -> list:
    """open-r1 ``len_reward``: ``accuracy`` is an array of correctness, a callable, or None for
    ``grpo_c.rewards.accuracy``; lengths in characters over the whole batch, as open-r1."""
    return _LenReward(accuracy)(completions, solution)


class _CosineScaledReward:
    __name__ = "cosine_scaled_reward"

    def __init__(self, params: dict, accuracy: Any, length_unit: str, clip: bool,
                 unknown_gold: float | None):
        self.params = params
        self.accuracy = accuracy
        self.length_unit = length_unit
        self.clip = clip
        self.unknown_gold = unknown_gold

    def __call__(self, completions: Sequence, solution: Sequence | None = None,
                 completion_ids: Sequence | None = None, **kwargs: Any) -> list:
        correct = _correct(self.accuracy, completions, solution)
        unknown = np.isnan(correct)
        ids = completion_ids if self.length_unit == "tokens" else None
        if self.length_unit == "tokens" and ids is None:
            raise ValueError("completion_ids: needed for length_unit='tokens'")
        out = _text_rewards.cosine_length(np.where(unknown, 1.0, correct),
                                          None if ids is not None else completions,
                                          completion_ids=ids, clip=self.clip, **self.params)
        out = out.astype(np.float64)
        out[unknown] = np.nan if self.unknown_gold is None else self.unknown_gold
        return _as_list(out)


def get_cosine_scaled_reward(min_value_wrong: float = -1.0, max_value_wrong: float = -0.5,
                             min_value_correct: float = 0.5, max_value_correct: float = 1.0,
                             max_len: int = 1000, accuracy: Any = None,
                             preset: str = "open-r1") -> _CosineScaledReward:
    """Cosine-scaled length reward. ``preset="open-r1"`` (open-r1's signature and behaviour):
    lengths in characters, progress not clipped, an unparseable gold scores 1.0.
    ``preset="trl"`` (TRL's behaviour; pass ``max_len=`` by keyword, TRL has it first): lengths
    in ``completion_ids`` tokens, progress clipped to 1, an unparseable gold scores None."""
    if preset not in ("open-r1", "trl"):
        raise ValueError(f"preset: expected 'open-r1' or 'trl', got {preset!r}")
    params = {"min_value_wrong": min_value_wrong, "max_value_wrong": max_value_wrong,
              "min_value_correct": min_value_correct, "max_value_correct": max_value_correct,
              "max_len": max_len}
    if preset == "trl":
        return _CosineScaledReward(params, accuracy, "tokens", True, None)
    return _CosineScaledReward(params, accuracy, "chars", False, 1.0)


class _SoftOverlongPunishment:
    __name__ = "soft_overlong_punishment_reward"

    def __init__(self, max_completion_len: int, soft_punish_cache: int):
        self.max_completion_len = max_completion_len
        self.soft_punish_cache = soft_punish_cache

    def __call__(self, completion_ids: Sequence | None = None, **kwargs: Any) -> list:
        if completion_ids is None:
            raise ValueError("completion_ids: the soft overlong punishment counts tokens")
        return _as_list(_text_rewards.soft_overlong(
            completion_ids=completion_ids, max_completion_len=self.max_completion_len,
            soft_punish_cache=self.soft_punish_cache))


def get_soft_overlong_punishment(max_completion_len: int,
                                 soft_punish_cache: int) -> _SoftOverlongPunishment:
    """DAPO soft overlong punishment (open-r1 / TRL ``get_soft_overlong_punishment``) over
    ``completion_ids``."""
    if soft_punish_cache < 0 or max_completion_len < soft_punish_cache:
        raise ValueError("expected 0 <= soft_punish_cache <= max_completion_len")
    return _SoftOverlongPunishment(max_completion_len, soft_punish_cache)


def _as_rewards(values) -> list:
    return [None if math.isnan(v) else float(v) for v in values.tolist()]


def _log_parsed(log_extra, solution, contents, rewards) -> None:
    """The completions-table columns TRL's own accuracy rewards log."""
    if log_extra is None:
        return
    golds, answers = [], []
    for sol, content, reward in zip(solution, contents, rewards):
        if content is None:
            golds.append("[incomplete reasoning]")
            answers.append("[incomplete reasoning]")
            continue
        gold = _parse_answer(sol if isinstance(sol, (str, bytes)) else str(sol), gold=True)
        if reward is None:
            golds.append("[unparseable]")
            answers.append("[skipped]")
            continue
        answer = _parse_answer(content)
        golds.append(gold["normalized"])
        answers.append(answer["normalized"] if answer["kind"] != "none" else "[unparseable]")
    log_extra("solution", list(solution))
    log_extra("gold_parsed", golds)
    log_extra("answer_parsed", answers)


def accuracy_reward(completions: Sequence[Any], solution: Sequence[Any],
                    log_extra: Callable[[str, list], None] | None = None, **kwargs) -> list:
    r"""open-r1 / TRL ``accuracy_reward``: 1.0 if the final answer equals the gold, else 0.0.

    Accepts string or chat-message completions; returns None where the gold cannot be parsed.
    ``log_extra`` (passed by TRL's trainer) receives the solution, gold_parsed and answer_parsed
    columns as TRL's own reward logs them. Other keyword arguments TRL passes (prompts,
    completion_ids, trainer_state, dataset columns) are ignored.

    Examples
    --------
    >>> accuracy_reward([[{"role": "assistant", "content": "\\boxed{6}"}]], ["6"])
    [1.0]
    """
    contents = [_completion_text(c) for c in completions]
    rewards = _as_rewards(_accuracy(contents, list(solution)))
    _log_parsed(log_extra, solution, contents, rewards)
    return rewards


def reasoning_accuracy_reward(completions: Sequence[Any], solution: Sequence[Any],
                              reasoning_delimiters: Sequence[str] | None = None,
                              log_extra: Callable[[str, list], None] | None = None,
                              **kwargs) -> list:
    r"""TRL ``reasoning_accuracy_reward``: only the text after the reasoning counts.

    The first delimiter (default ``"</think>"``) found in a completion splits it and the part
    after its last occurrence is judged. A completion without any delimiter scores 0.0
    (unfinished reasoning, checked before the gold as TRL does); otherwise None where the gold
    cannot be parsed.

    Examples
    --------
    >>> reasoning_accuracy_reward(["<think>\\boxed{9}", "<think>..</think> \\boxed{9}"], ["9", "9"])
    [0.0, 1.0]
    """
    delimiters = list(reasoning_delimiters) if reasoning_delimiters else ["</think>"]
    texts = []
    for completion in completions:
        text = _completion_text(completion)
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        found = next((d for d in delimiters if d in text), None)
        texts.append(text.split(found)[-1] if found is not None else None)
    rewards = _as_rewards(_accuracy([t if t is not None else "" for t in texts], list(solution)))
    rewards = [r if t is not None else 0.0 for r, t in zip(rewards, texts)]
    _log_parsed(log_extra, solution, texts, rewards)
    return rewards


accuracy_reward.__name__ = "accuracy_reward"
reasoning_accuracy_reward.__name__ = "reasoning_accuracy_reward"
