"""The Python surface of the math reward: argument checking, chat completions, the TRL and verl
drop-ins (signatures, None for unparseable golds, pickling), and agreement with Math-Verify
through open-r1's accuracy_reward on plain cases when math-verify is installed."""

import math
import pickle

import numpy as np
import pytest

from grpo_c.integrations import trl as gtrl
from grpo_c.integrations import verl as gverl
from grpo_c.reference import math_extract_answer
from grpo_c.rewards import accuracy, answers_equal, parse_answer


def chat(text):
    return [{"role": "assistant", "content": text}]


def test_accuracy_shapes_and_types():
    r = accuracy([], [])
    assert r.shape == (0,) and r.dtype == np.float32
    with pytest.raises(ValueError, match="solutions"):
        accuracy(["a", "b"], ["1"])
    with pytest.raises(TypeError, match="completions"):
        accuracy("\\boxed{1}", ["1"])
    with pytest.raises(TypeError, match="completions"):
        accuracy([5], ["5"])
    with pytest.raises(TypeError, match="solutions"):
        accuracy(["\\boxed{5}"], [object()])
    with pytest.raises(ValueError, match="mode"):
        accuracy(["\\boxed{5}"], ["5"], mode="lenient")
    with pytest.raises(ValueError, match="float_rel_tol"):
        accuracy(["\\boxed{5}"], ["5"], float_rel_tol=2.0)
    with pytest.raises(ValueError, match="num_threads"):
        accuracy(["\\boxed{5}"], ["5"], num_threads=0)


def test_numbers_and_none_as_golds():
    r = accuracy(["\\boxed{72}", "\\boxed{0.5}", "\\boxed{1}"], [72, 0.5, None])
    assert r[0] == 1.0 and r[1] == 1.0 and math.isnan(r[2])


def test_chat_completions_and_parts():
    assert accuracy([chat("\\boxed{4}")], ["4"])[0] == 1.0
    parts = [{"role": "assistant", "content": [{"type": "text", "text": "\\boxed{4}"}]}]
    assert accuracy([parts], ["4"])[0] == 1.0
    assert accuracy([[]], ["4"])[0] == 0.0


def test_trl_accuracy_reward_signature():
    out = gtrl.accuracy_reward(completions=[chat("\\boxed{6}"), chat("\\boxed{7}"), chat("x")],
                               solution=["6", "6", "Proof by induction on n."], prompts=["p"] * 3,
                               completion_ids=[[1]] * 3, trainer_state=None)
    assert out == [1.0, 0.0, None]
    assert gtrl.accuracy_reward.__name__ == "accuracy_reward"


def test_trl_reasoning_accuracy_reward():
    comps = ["<think>\\boxed{9}", "<think>x</think> \\boxed{9}", "<think>\\boxed{9}</think> no",
             "<think>a</think>b</think> \\boxed{9}"]
    assert gtrl.reasoning_accuracy_reward(comps, ["9"] * 4) == [0.0, 1.0, 0.0, 1.0]
    assert gtrl.reasoning_accuracy_reward(["<r>x</r> \\boxed{9}"], ["9"],
                                          reasoning_delimiters=["</r>"]) == [1.0]
    assert gtrl.reasoning_accuracy_reward(["<think>"], ["See the proof above."]) == [0.0]
    assert gtrl.reasoning_accuracy_reward(["</think>x"], ["See the proof above."]) == [None]


def test_trl_log_extra_columns():
    logged = {}
    out = gtrl.accuracy_reward([chat("\\boxed{\\frac{2}{4}}"), chat("no"), chat("\\boxed{1}")],
                               ["\\frac12", "3", "Proof by induction on n."],
                               log_extra=lambda k, v: logged.__setitem__(k, v))
    assert out == [1.0, 0.0, None]
    assert logged["solution"] == ["\\frac12", "3", "Proof by induction on n."]
    assert logged["gold_parsed"] == ["(1)/(2)", "3", "[unparseable]"]
    assert logged["answer_parsed"] == ["(2)/(4)", "[unparseable]", "[skipped]"]


def test_dropins_pickle():
    for f in (gtrl.accuracy_reward, gtrl.reasoning_accuracy_reward, gverl.compute_score):
        assert pickle.loads(pickle.dumps(f)) is f


def test_verl_compute_score():
    assert gverl.compute_score("openai/gsm8k", "so #### 72", "72") == 1.0
    assert gverl.compute_score("lighteval/MATH", "\\boxed{\\frac{1}{2}}", "0.5", extra_info={}) == 1.0
    assert gverl.compute_score("x", "\\boxed{3}", "4") == 0.0
    assert gverl.compute_score("x", "\\boxed{3}", "See the proof above.") == 0.0
    assert gverl.compute_score(["a", "b"], ["\\boxed{3}", "\\boxed{4}"], ["3", "3"], [None, None]) == [1.0, 0.0]


def test_parse_answer_fields():
    r = parse_answer("We get \\boxed{\\dfrac{3}{4}}.")
    assert set(r) == {"answer", "extracted", "kind", "source", "normalized", "reason", "begin", "end"}
    assert (r["kind"], r["extracted"], r["reason"]) == ("math", "\\dfrac{3}{4}", None)
    assert parse_answer("no answer here")["reason"] == "no_answer"
    assert parse_answer("\\boxed{12")["reason"] == "truncated"
    assert parse_answer("\\boxed{}")["reason"] == "empty"
    assert parse_answer("\\boxed{\\text{Monday}}")["kind"] == "text"
    assert parse_answer("\\boxed{(B)}")["kind"] == "choice"
    assert parse_answer("\\boxed{" + "{" * 1000 + "1" + "}" * 1000 + "}")["reason"] == "too_deep"


def test_strict_latex_rejects_shorthand():
    assert answers_equal("\\frac{3}{4}", "\\frac34")
    assert not answers_equal("\\frac{3}{4}", "\\frac34", strict_latex=True)


def test_float_tolerance_option():
    assert not answers_equal("\\pi", "3.1416")
    assert answers_equal("\\pi", "3.1416", float_rel_tol=1e-4)


def test_reference_twin_is_exported():
    assert math_extract_answer("so \\boxed{3} and \\boxed{5}") == "3, 5"


PLAIN = [("42", "\\boxed{42}"), ("\\frac{1}{2}", "\\boxed{\\frac{1}{2}}"), ("3", "\\boxed{4}"),
         ("x^2+1", "\\boxed{1+x^2}"), ("(1,2)", "\\boxed{(1,2)}"), ("\\sqrt{2}", "\\boxed{\\sqrt{3}}"),
         ("10", "\\boxed{10.0}"), ("-7", "\\boxed{-7}"), ("\\frac{2}{3}", "\\boxed{\\frac{4}{6}}"),
         ("2", "$x = 2$. The answer is \\boxed{2}")]


def test_agrees_with_math_verify_on_plain_cases():
    mv = pytest.importorskip("math_verify")
    from math_verify import LatexExtractionConfig, parse, verify
    for gold, comp in PLAIN:
        g = parse("$" + gold + "$", extraction_mode="first_match")
        p = parse(comp, extraction_config=[LatexExtractionConfig(boxed_match_priority=0,
                                                                 try_extract_without_anchor=False)],
                  extraction_mode="first_match")
        assert float(verify(g, p)) == accuracy([comp], [gold])[0], (gold, comp, mv.__name__)
