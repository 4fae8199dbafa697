"""Language consistency: golden cases of the definition (sandbox_lang_dist.md Part B), the
plain twin as oracle over generated mixed-script text, and bad input."""

import math
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grpo_c import reference, rewards
from grpo_c.integrations import trl
from grpo_c.rewards.text import ONE_LETTER_WORDS, SCRIPTS, target_scripts


def share(text, language, **kw):
    kw.setdefault("min_units", 1)
    return float(rewards.language_consistency([text], language, **kw)[0])


def twin_units(text, language, one_letter_words=None, **kw):
    """The twin on a language code, resolved as the public API resolves it."""
    mask = target_scripts(language)
    targets = [name for i, name in enumerate(SCRIPTS) if mask >> i & 1]
    if one_letter_words is None:
        one_letter_words = ONE_LETTER_WORDS["en"] + ONE_LETTER_WORDS.get(language, "")
    return reference.language_units(text, targets, one_letter_words, **kw)


def units(text, language, **kw):
    _, d = rewards.language_consistency([text], language, return_details=True, min_units=0, **kw)
    return d["target"][0], d["other"][0]


@pytest.mark.parametrize("text,language,target,other", [
    ("我们计算 x 的值", "zh", 6, 0),  # a lone Latin letter is a variable
    ("我们 compute the 值", "zh", 3, 2),
    ("先写代码 ```python\nfor i in range(10): print(i)\n``` 然后运行", "zh", 8, 0),
    ("分数 $\\frac{a}{b}$ 和 \\(x^2 + y\\) 以及 $$\\sum_i a_i$$ 还有 \\[E = mc^2\\]", "zh", 7, 0),
    ("中文 ```\nall of this is hidden", "zh", 2, 0),  # an unclosed fence runs to the end
    ("行内 `some code` 文字", "zh", 4, 0),
    ("环境 \\begin{align} a &= b \\text{where} \\end{align} 结束", "zh", 4, 0),
    ("见 https://example.com/some/path 和 me@example.org 吧", "zh", 3, 0),
    ("标签 <step> 和 </step>", "zh", 3, 0),
    ("変数を計算します", "ja", 8, 0),
    ("変数を計算します", "zh", 4, 4),  # kana count against a Chinese target
    ("Мы вычисляем значение API", "ru", 3, 1),
    ("cafe\u0301 au lait", "fr", 3, 0),  # decomposed é stays one word
    ("ＡＢＣ defg", "en", 2, 0),  # fullwidth Latin is Latin
    ("hello 👍🏽 world \u200d", "en", 2, 0),  # emoji and joiners are neutral
    ("x1 n_max 1,000.5 3.14 abc", "en", 1, 0),  # identifiers and numbers are neutral
    ("don't well-known it’s", "en", 3, 0),  # inner connectors keep a word together
    ("한국어 문장 English", "ko", 2, 1),
    ("αβγ δ abc", "el", 2, 1),
    ("\\alpha \\beta 是希腊字母", "zh", 5, 0),
    ("\\中文 \\, 汉字", "zh", 4, 0),  # a backslash before a non-ASCII letter hides nothing
    ("Adding the $20 gift: 134 + 20 = $154 in total", "en", 5, 0),  # prices are not math
    ("pens cost $5 and $6 each", "en", 4, 0),
    ("so $x$ and $y + z$ are done", "en", 4, 0),
    ("$a\n\nb$ words here", "en", 3, 0),  # no inline math across a blank line; b is a variable
    ("我们计算 x 的值", "en", 0, 6),  # a variable counts for no target, English included
    ("let x be a number", "en", 4, 0),  # "a" is a word, x is not
    ("I think 我们计算 a 的值", "zh", 6, 3),  # "I" and "a" are English words
    ("x y z", "es", 1, 0),  # Spanish "y" is a word
    ("x y z", "en", 0, 0),
])
def test_golden_units(text, language, target, other):
    assert units(text, language) == (target, other)
    assert twin_units(text, language)[:2] == (target, other)


def test_excluded_bytes_flag_hidden_text():
    hidden = "<think>短 ```\n" + "all of this English text is hidden from the count " * 5 + "</think>"
    _, d = rewards.language_consistency([hidden], "zh", min_units=0, return_details=True)
    assert d["target"][0] == 1 and d["excluded"][0] > 200


def test_acronyms_option():
    assert units("Мы вычисляем значение API", "ru", ignore_acronyms=True) == (3, 0)


def test_one_letter_words_option():
    assert units("x y a", "en", one_letter_words="xy") == (2, 0)
    assert units("x y a", "en", one_letter_words="") == (0, 0)
    assert twin_units("x y a", "en", one_letter_words="xy")[:2] == (2, 0)
    for bad in ("x1", "é", 3):
        with pytest.raises(ValueError, match="one_letter_words"):
            rewards.language_consistency(["x"], "en", one_letter_words=bad)


def test_share_and_modes():
    assert share("<think>我们 compute the 值</think>答案", "zh") == pytest.approx(0.6)
    assert share("<think>我们 compute the 值</think>", "zh", threshold=0.5) == 1.0
    assert share("<think>我们 compute the 值</think>", "zh", threshold=0.95) == 0.0
    # region: think block only vs the whole text
    text = "<think>全部是中文的思考</think> The answer is five"
    assert share(text, "zh") == 1.0
    assert share(text, "zh", region="all") < 1.0
    # prefilled template: no opening tag, the chain of thought ends at </think>
    assert share("全部是中文的思考</think> The answer", "zh") == 1.0
    # continua weight approximates words for Chinese
    t, o = units("我们 compute", "zh", continua_weight=0.5)
    assert (t, o) == (1.0, 1.0)


def test_too_short_or_empty_is_nan():
    out = rewards.language_consistency(["<think></think>", "好", "", None, "1 + 2 = 3"], "zh")
    assert np.isnan(out).all()
    assert rewards.language_consistency(["好的"], "zh", min_units=0)[0] == 1.0


def test_auto_target_from_prompts():
    prompts = ["请计算下面的积分并给出答案", "Compute the following integral please", "1+1"]
    completions = ["<think>我们先换元然后积分</think>", "<think>Substitute then integrate</think>",
                   "<think>two</think>"]
    out = rewards.language_consistency(completions, "auto", prompts=prompts, min_units=1)
    assert out[0] == 1.0 and out[1] == 1.0 and math.isnan(out[2])
    assert rewards.language_consistency(["<think>かなで考える</think>"], "auto",
                                        prompts=["日本語で答えてください"], min_units=1)[0] == 1.0
    chat = [[{"role": "system", "content": "You are a helpful assistant, answer carefully"},
             {"role": "user", "content": p}] for p in prompts]
    np.testing.assert_array_equal(
        rewards.language_consistency(completions, "auto", prompts=chat, min_units=1), out)
    with pytest.raises(ValueError, match="prompts"):
        rewards.language_consistency(completions, "auto")
    with pytest.raises(ValueError, match="prompts"):
        rewards.language_consistency(completions, "auto", prompts=prompts[:2])


def test_target_spec():
    assert target_scripts("zh-CN") == 1 << SCRIPTS.index("han")
    assert target_scripts("en_US") == 1 << SCRIPTS.index("latin")
    assert target_scripts(["han", "latin"]) == target_scripts("zh") | target_scripts("en")
    for bad in ("klingon", ["elvish"], []):
        with pytest.raises(ValueError, match="language"):
            target_scripts(bad)


ALPHABET = ["我", "们", "值", "か", "ナ", "ー", "a", "b", "Z", "x", "I", "y", "é", "e\u0301", "д", "ж", "α",
            "한", "ก", "1", "_", "'", "-", "’", " ", "\n", ".", "$", "$$", "`", "```", "~~~",
            "\\(", "\\)", "\\[", "\\]", "\\begin{a}", "\\end{a}", "\\frac", "<", ">", "</", "<b>",
            "://", "@", "<think>", "</think>", "\udc80", "👍", "\u200d", "ＡＢ", "١"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=40),
       st.sampled_from(["zh", "en", "ja", "ru", "es"]), st.sampled_from(["think", "all"]),
       st.booleans())
def test_against_plain_twin(parts, language, region, acronyms):
    text = "".join(parts)
    _, d = rewards.language_consistency([text], language, region=region, min_units=0,
                                        ignore_acronyms=acronyms, return_details=True)
    want = twin_units(text, language, region=region, ignore_acronyms=acronyms)
    assert (d["target"][0], d["other"][0], d["invalid"][0], d["excluded"][0]) == want, text


def test_script_table_agrees_with_unicode_names_on_common_letters():
    # The C range table against the character names, on the blocks reasoning text uses.
    blocks = [(0xC0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x5D0, 0x5EA), (0x620, 0x64A),
              (0x904, 0x939), (0xE01, 0xE30), (0x3041, 0x3096), (0x30A1, 0x30FA),
              (0x4E00, 0x4FFF), (0xAC00, 0xAD00), (0xFF21, 0xFF3A)]
    for lo, hi in blocks:
        cps = [c for c in range(lo, hi + 1) if unicodedata.category(chr(c)) in ("Lu", "Ll", "Lo")]
        texts = [" " + chr(c) * 2 + " " for c in cps]
        _, d = rewards.language_consistency(texts, list(SCRIPTS), region="all", min_units=0,
                                            return_details=True)
        for c, row in zip(cps, d["hist"]):
            script = SCRIPTS[int(row.argmax())] if row.sum() else "common"
            assert script == reference._script_of(c), hex(c)


def test_linear_on_adversarial_exclusions():
    for unit in ["\\begin{x", "\\begin{a}", "$", "$a ", "`", "\\(", "<a", "```"]:
        text = unit * 20000
        out = rewards.language_consistency([text], "en", min_units=0)
        assert out.shape == (1,)


def test_threads_and_bad_input():
    rng = np.random.default_rng(3)
    texts = ["".join(rng.choice(ALPHABET, size=rng.integers(0, 60))) for _ in range(2000)]
    a = rewards.language_consistency(texts, "zh", num_threads=1, min_units=0)
    b = rewards.language_consistency(texts, "zh", num_threads=4, min_units=0)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match=r"completions\[1\]"):
        rewards.language_consistency(["ok", 7], "en")
    with pytest.raises(ValueError, match="threshold"):
        rewards.language_consistency(["ok"], "en", threshold=2)
    with pytest.raises(ValueError, match="region"):
        rewards.language_consistency(["ok"], "en", region="answer")
    with pytest.raises(ValueError, match="min_units"):
        rewards.language_consistency(["ok"], "en", min_units=float("nan"))


def test_dropins():
    fn = trl.get_language_consistency_reward("zh", threshold=0.9)
    assert fn(["<think>全部是中文的思考</think>", "<think>all English words here and now</think>", None]) == \
        [1.0, 0.0, None]
    per_sample = trl.get_language_consistency_reward(column="lang")
    out = per_sample(["<think>全部是中文的思考</think>", "<think>all English words here and now</think>"],
                     lang=["zh", "en"])
    assert out == [1.0, 1.0]
    assert trl.language_consistency_reward(["<think>all English words here and now</think>"]) == [1.0]
