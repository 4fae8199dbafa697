"""Source of tests/data/math_corpus.jsonl: the accuracy-reward verdict corpus, written for grpo_c.

Every case is (gold, completion, expected verdict, why). Verdicts are the mathematically right
ones under the verdict policy of docs/math.md; where a peer grader is known to get a case wrong
the note names the issue. expected: 1 correct, 0 wrong or no answer
found, None when the gold itself cannot be parsed (the reward is NaN, TRL's None).

Edit the tables here and regenerate: `python tests/data/build_math_corpus.py`. The output is
deterministic (no randomness, fixed order), so a diff of the .jsonl shows exactly what changed.
"""

from __future__ import annotations

import json
import pathlib

OUT = pathlib.Path(__file__).with_name("math_corpus.jsonl")

# Reasoning put before the final part of a completion so that cases read like model output.
# They hold distractor numbers and inline math but never a box, an <answer> tag or an answer
# anchor, so they cannot change which answer is extracted.
PREFIXES = (
    "",
    "<think>\nWe need to set up the problem carefully. Let n be the unknown. From the statement, "
    "3n + 4 = 19 would give n = 5, but that reading ignores the second condition, so we check "
    "again with 2 \\cdot 7 = 14 and 14 - 3 = 11.\n</think>\n\n",
    "Let's solve this step by step.\n\n1. Write down what is given: the numbers 8, 15 and 17.\n"
    "2. Note that $8^2 + 15^2 = 289 = 17^2$.\n3. Combine the pieces.\n\n",
    "<think>\nOkay, so the question asks for a single value. I first tried $x = 2$, which fails "
    "because $2^3 = 8 \\neq 9$. Then I considered the substitution $u = x - 1$, which turns the "
    "expression into $u^2 + 6u + 9 = (u+3)^2$.\nWait, let me recompute: 12 / 4 = 3 and "
    "3 + 10 = 13.\n</think>\n",
    "We compute directly. Since $\\frac{6}{3} = 2$ and $2 + 9 = 11$, the remaining step is "
    "routine.\n\n",
)

# The numbered topic each category exercises, which orders the corpus report (0: peer issues,
# realism).
CATEGORIES = {
    "extract_plain": 1, "extract_last_box": 2, "extract_duplicate_box": 3, "extract_multi_box": 4,
    "extract_nested_braces": 5, "extract_box_forms": 6, "extract_anchor": 7, "extract_answer_tag": 7,
    "extract_nothing": 8, "extract_truncated": 9, "extract_empty": 10, "extract_think": 11,
    "gold_unparseable": 12, "extract_markdown_bold": 13,
    "number_fraction_decimal": 14, "number_rounding": 15, "number_trailing_zeros": 16,
    "number_leading_zeros": 17, "number_thousands": 18, "number_comma_list": 19,
    "number_decimal_comma": 20, "number_negative": 21, "number_scientific": 22,
    "number_big_exact": 23, "number_tiny": 24, "number_percent": 25, "number_currency": 26,
    "number_units": 27, "number_degrees": 28, "number_pi": 29,
    "form_dfrac": 30, "form_malformed": 31, "form_slash": 32, "form_unreduced": 33,
    "form_radical": 34, "form_mixed_number": 35, "algebra": 36, "form_styling": 37,
    "text_choice": 38, "text_word": 39,
    "rel_assignment": 40, "rel_approx": 41, "rel_equation": 42, "rel_inequality": 42,
    "set_interval": 43, "set_union": 44, "set_tuple": 45, "set_solutions": 46, "set_pm": 47,
    "matrix": 48, "complex": 49, "pathological": 50, "gsm8k": 51,
    "peer_false_positive": 0, "peer_false_negative": 0, "realistic": 0,
    "gold_forms": 0, "reward_hacking": 0, "number_evaluated": 0, "ratio": 0,
    "unicode": 0,
}

CASES: list[dict] = []


def add(category, gold, completion, expected, note, *, raw=False):
    """Append one case; unless raw, the completion gets one of the reasoning prefixes."""
    assert category in CATEGORIES, category
    n = sum(1 for c in CASES if c["category"] == category)
    if not raw:
        completion = PREFIXES[n % len(PREFIXES)] + completion
    CASES.append({"id": f"{category}-{n + 1:03d}", "category": category, "gold": gold,
                  "completion": completion, "expected": expected, "note": note})


def table(category, rows, *, raw=False):
    for gold, completion, expected, note in rows:
        add(category, gold, completion, expected, note, raw=raw)


# ---- extraction -------------------------------------------------------------------------------

table("extract_plain", [
    ("42", r"so the total is \boxed{42}.", 1, "plain integer in a box"),
    ("42", r"so the total is \boxed{24}.", 0, "digits swapped"),
    ("0", r"Hence the remainder is \boxed{0}.", 1, "zero is a real answer"),
    ("0", r"Hence the remainder is \boxed{10}.", 0, "10 is not 0"),
    ("7", r"\boxed{7}", 1, "completion is only the box"),
    ("1000", r"Thus there are \boxed{1000} ways.", 1, "box inside a sentence"),
    ("17", r"The prime is \boxed{71}.", 0, "wrong number"),
    ("3", r"$\boxed{3}$", 1, "box inside inline math"),
    ("3", "\\[\n\\boxed{3}\n\\]", 1, "box inside display math"),
    ("13", r"The number of apples is $\boxed{13}$, since 15 - 2 = 13 and 13 + 1 = 14.", 1,
     "numbers after the box are not the answer"),
    ("14", r"The number of apples is $\boxed{13}$, since 15 - 2 = 13 and 13 + 1 = 14.", 0,
     "a later bare number does not replace the boxed answer"),
    ("256", r"Therefore $2^8 = \boxed{256}$.", 1, "box at the end of an equation"),
])

table("extract_last_box", [
    ("7", "First guess: \\boxed{5}. Let me recheck the arithmetic: 3 + 4 = 7, so the earlier "
     "value was wrong. Corrected: \\boxed{7}.", 1, "the last box is the final answer"),
    ("5", "First guess: \\boxed{5}. Let me recheck the arithmetic: 3 + 4 = 7, so the earlier "
     "value was wrong. Corrected: \\boxed{7}.", 0, "an earlier, retracted box does not count"),
    ("5", "Initially I got \\boxed{7}, but after fixing the sign error in the second line the "
     "value is \\boxed{5}.", 1, "last box after a correction"),
    ("7", "Initially I got \\boxed{7}, but after fixing the sign error in the second line the "
     "value is \\boxed{5}.", 0, "retracted box"),
    ("10", "Attempt one: \\boxed{8}. That double counts the corners. Attempt two: \\boxed{12}. "
     "That misses the center square entirely. Final count after fixing both: \\boxed{10}.", 1,
     "three boxes far apart: the last one"),
    (r"\frac{1}{2}", "\\boxed{\\frac{1}{3}} was wrong; redoing the integral with the correct "
     "bounds gives \\boxed{\\frac{1}{2}}.", 1, "prose between boxes: only the last counts"),
    ("5", "\\boxed{5}\n\nWait, that is not right. Recomputing the sum of the series gives a "
     "different value, so the final result is \\boxed{6}.", 0, "self-correction to a wrong value"),
    ("6", "\\boxed{5}\n\nWait, that is not right. Recomputing the sum of the series gives a "
     "different value, so the final result is \\boxed{6}.", 1, "self-correction to the right value"),
])

table("extract_duplicate_box", [
    ("12", r"\boxed{12}. **Final Answer** \boxed{12}", 1, "duplicated final box is 12"),
    ("1212", r"\boxed{12}. **Final Answer** \boxed{12}", 0, "duplicates are never concatenated"),
    ("840", "so the count is \\boxed{840}.\n\n**Final Answer**\n\\[\n\\boxed{840}\n\\]", 1,
     "Math-Verify#44 shape"),
    ("840840", "so the count is \\boxed{840}.\n\n**Final Answer**\n\\[\n\\boxed{840}\n\\]", 0,
     "Math-Verify#44: must not read 840840"),
    ("4", r"\boxed{4}\boxed{4}", 1, "adjacent duplicates"),
    (r"\frac{1}{2}", "$\\boxed{\\frac12}$\n\n**Final Answer**\n$\\boxed{\\frac{1}{2}}$", 1,
     "same value written twice in two forms"),
    ("12", r"\boxed{12} \boxed{12}", 1, "duplicate separated by a space"),
    ("4", r"The answer is \boxed{004}. Final: \boxed{004}", 1, "duplicate with leading zeros"),
])

table("extract_multi_box", [
    ("3, 5", r"\boxed{3} and \boxed{5}", 1, "two boxes joined by 'and' form one list"),
    ("3, 5", r"\boxed{3}, \boxed{5}", 1, "two boxes joined by a comma"),
    ("3, 5", r"\boxed{5} or \boxed{3}", 1, "lists are unordered"),
    ("1, 2, 3", r"\boxed{1}, \boxed{2}, \boxed{3}", 1, "three boxes"),
    ("3, 5", "The first root is \\boxed{3}. To find the other root we divide the polynomial by "
     "the known factor and solve the remaining linear equation carefully, which gives "
     "\\boxed{5}.", 0, "boxes far apart: only the last (5) counts"),
    ("5", "The first root is \\boxed{3}. To find the other root we divide the polynomial by "
     "the known factor and solve the remaining linear equation carefully, which gives "
     "\\boxed{5}.", 1, "boxes far apart: the last one is 5"),
    ("3", r"\boxed{3} or \boxed{5}", 0, "hedging with two boxes must not pay"),
    ("3, 5", r"\boxed{3} and \boxed{7}", 0, "one element wrong"),
    ("2, 3", r"\boxed{2}; \boxed{3}", 1, "semicolon separator"),
    ("-1, 4", r"$\boxed{-1}$ and $\boxed{4}$", 1, "boxes in separate inline maths joined by and"),
])

table("extract_nested_braces", [
    (r"\frac{\sqrt{3}}{2}", r"\boxed{\frac{\sqrt{3}}{2}}", 1, "brace counting"),
    (r"\frac{\sqrt{3}}{2}", r"\boxed{\frac{\sqrt{3}}{3}}", 0, "different denominator"),
    (r"\frac{1}{2}", r"\boxed{\frac{1}{2}}", 1, "non-greedy regex peers read '\\frac{1' (OpenEnv#865)"),
    ("1024", r"\boxed{2^{10}}", 1, "exponent in braces"),
    ("5", r"\boxed{{{5}}}", 1, "redundant groups"),
    (r"\{1,2\}", r"\boxed{\{1, 2\}}", 1, "escaped set braces inside the box"),
    (r"\sqrt{\frac{2}{3}}", r"\boxed{\frac{\sqrt{6}}{3}}", 1, "rationalised radical"),
    (r"\frac{1+\sqrt{5}}{2}", r"\boxed{\frac{1+\sqrt{5}}{2}}", 1, "golden ratio"),
    (r"\frac{1+\sqrt{5}}{2}", r"\boxed{\frac{1-\sqrt{5}}{2}}", 0, "conjugate root"),
    (r"\frac{\frac{1}{2}}{3}", r"\boxed{\frac{1}{6}}", 1, "nested fraction gold"),
])

table("extract_box_forms", [
    ("5", r"so the result is \boxed 5.", 1, "\\boxed with a space and a single token (lm-eval#3477)"),
    ("5", r"so the result is \fbox{5}.", 1, "\\fbox"),
    ("5", r"so the result is \boxed {5}.", 1, "space before the brace"),
    ("5", r"so the result is \boxed 6.", 0, "space form, wrong value"),
    ("5", r"so the result is \fbox{6}.", 0, "\\fbox, wrong value"),
    ("5", r"so the result is $\boxed 5$.", 1, "space form inside math"),
    ("12", r"\boxed{\boxed{12}}", 1, "box inside a box"),
])

table("extract_anchor", [
    ("7", "The answer is $7$.", 1, "anchored LaTeX without a box"),
    ("7", "The answer is 7.", 1, "anchored plain text (policy: default 1; open-r1 strict 0)"),
    ("7", "The final answer is $7$. I hope it is correct.", 1, "Minerva form"),
    ("7", "Answer: 7", 1, "'Answer:' anchor"),
    ("7", "The answer is 8.", 0, "anchored wrong value"),
    (r"\frac{3}{4}", r"Final answer: $\frac{3}{4}$", 1, "'Final answer:' anchor"),
    ("7", "The answer is 5. Hmm, I made an error in step two. The answer is 7.", 1,
     "last anchor wins"),
    ("5", "The answer is 5. Hmm, I made an error in step two. The answer is 7.", 0,
     "retracted anchored value"),
    ("7", r"Therefore $x = 7$.", 0, "policy: no box and no anchor means no answer"),
    ("7", "So we end up with 7 marbles in the bag.", 0, "unanchored number is not extracted"),
    ("42", "**Answer:** 42", 1, "bold anchor"),
    ("42", "Answer: $42$", 1, "anchor then inline math"),
    ("42", "The final answer is 42", 1, "no trailing period"),
    (r"\frac{1}{2}", r"The answer is $\frac{1}{2}$.", 1, "anchored fraction"),
    ("7", r"The answer is $x = 7$.", 1, "anchored assignment"),
    ("1", "The answer is x = 1", 1, "LaTeX outside any environment (Math-Verify README limit)"),
    ("12", "The answer is: 12", 1, "anchor with a colon"),
    (r"\frac{3}{4}", r"The final answer is $\frac{4}{3}$. I hope it is correct.", 0,
     "Minerva form, inverted fraction"),
    ("5", "The answer is 5, since 2+3=5.", 1, "anchored value followed by a reason"),
    ("5", "The answer is 5 because 2 + 3 equals five.", 1, "anchored value followed by prose"),
    ("5", "The answer is 5, which is prime.", 1, "anchored value then a relative clause"),
    ("5", "So the answer is 5 apples, since 2+3=5.", 1, "value, a noun, then a reason"),
    ("5", "The answer is 5 and I am confident.", 1, "'and' followed by prose is not a list"),
    ("5", "Answer: 5 (since 2+3=5)", 1, "parenthetical reason"),
    ("5", "The answer is 5 (two plus three).", 1, "parenthetical words"),
    ("12", "The answer is $12.", 1, "a lone dollar sign is currency, not math"),
    ("2", "The answer is 5, since 2+3=5.", 0, "a number from the reason is not the answer"),
    ("5", "The answer is 5 because 2+3=5.", 1, "reason without a comma"),
    ("5", "The final answer is 5.\n\nExplanation: 2+3=5.", 1, "explanation after the answer"),
    ("12", "The answer is 12 meters.", 1, "unit word after an anchored value"),
    ("3", "**The answer is 3.**", 1, "whole anchor sentence in bold"),
    ("3", "The answer is 3.\n\nThe answer is 4.", 0, "the last anchor is 4"),
])

table("extract_answer_tag", [
    ("7", "<answer>7</answer>", 1, "answer tag"),
    ("7", "<answer>\n7\n</answer>", 1, "answer tag with newlines (open-r1 format)"),
    ("7", "<answer>8</answer>", 0, "wrong value in the tag"),
    ("7", "<answer>5</answer> Let me reconsider the second case. <answer>7</answer>", 1,
     "the last answer tag"),
    ("7", r"<answer>\(7\)</answer>", 1, "inline math inside the tag"),
    ("7", "<think>\nAdding 3 and 4 gives 7.\n</think>\n<answer>\n7\n</answer>", 1,
     "full open-r1 format"),
    ("7", r"<answer>x = 7</answer>", 1, "assignment in the tag"),
    (r"\frac{2}{3}", r"<answer>\frac{2}{3}</answer>", 1, "LaTeX in the tag"),
    ("A", "<answer>A or B or C</answer>", 0, "hedging (Visual-RFT#79)"),
    ("7", "<answer>5</answer>", 0, "wrong value"),
], raw=True)

table("extract_nothing", [
    ("7", "I am not sure.", 0, "nothing extractable gives 0, not NaN"),
    ("7", "", 0, "empty completion"),
    ("7", "   \n ", 0, "whitespace completion"),
    ("7", "<think>\nLet me think about the possible cases one at a time.\n", 0,
     "truncated inside reasoning"),
    ("7", r"Find all $x$ such that $x + 3 = 10$.", 0,
     "restated problem is not an answer (metric.py over-estimation note)"),
    ("7", r"To solve $x+3=10$, subtract 3 from both sides.", 0, "steps without a conclusion"),
    ("0", "I cannot determine it.", 0, "gold 0 but no answer: 0.0"),
    ("3", r"Find the value of $x$ if $2x + 4 = 10$. We start by isolating the term with $x$.", 0,
     "restated equation must not be solved on the model's behalf"),
], raw=True)

table("extract_truncated", [
    ("12", "After adding everything up we get \\boxed{1", 0, "generation cut inside the box"),
    ("12", "\\boxed{12} is what I had before, but recomputing the last sum: \\boxed{1", 0,
     "never fall back to an earlier box (marin#9163)"),
    ("5", "\\boxed{5}. Double-checking with the other method gives \\boxed{\\frac{10}{", 0,
     "truncated last box after a complete one"),
    ("5", "The value is \\boxed{", 0, "cut right after the brace"),
    ("12", "The value is \\boxed{12", 0, "unterminated though the digits are complete"),
    (r"\frac{1}{2}", r"The value is \boxed{\frac{1}{2}", 0, "unterminated nested box"),
    ("12", "The value is \\boxed{12}. Let me also verify this with the other meth", 1,
     "text cut after a complete box: the box stands"),
    ("12", "The value is \\boxed{12}. Let me also verify: \\(3 \\cdot 4 = \\frac{12", 1,
     "cut inside later inline math, not inside a box"),
])

table("extract_empty", [
    ("12", r"\boxed{}", 0, "empty box"),
    ("12", r"\boxed{ }", 0, "blank box"),
    ("12", r"\boxed{12}. Final: \boxed{}", 0, "empty last box: never an earlier box"),
    ("0", r"\boxed{}", 0, "an empty box is not zero"),
    ("12", "<answer></answer>", 0, "empty answer tag (Visual-RFT#176)"),
    ("12", "<answer> </answer>", 0, "blank answer tag"),
    ("12", r"A placeholder \boxed{} first, then the computed value \boxed{12}.", 1,
     "an earlier empty box does not matter"),
])

table("extract_think", [
    ("9", "<think>\nThe product is 3 \\times 3 = 9, so \\boxed{9}", 1,
     "box inside an unterminated think block still counts for accuracy"),
    ("9", "<think>\nTrying \\boxed{9} as a guess.\n</think>\nThe answer is \\boxed{9}.", 1,
     "same box in and after reasoning"),
    ("9", "<think>\nMaybe \\boxed{8}? No, 8 is too small.\n</think>\n\nThe answer is \\boxed{9}.", 1,
     "box after the think block is last"),
    ("9", "<think>\nMaybe \\boxed{9}.\n</think>\n\nThe answer is \\boxed{8}.", 0,
     "box after the think block is last"),
    ("9", "<think>\nIt must be \\boxed{9}.\n</think>\n\nThe answer is 9.", 1,
     "box anywhere beats an anchor; same value here"),
    ("9", "<think>\nFirst estimate \\boxed{7}.\n</think>\nThe answer is 9.", 0,
     "policy: a box anywhere takes precedence over an anchor"),
    ("9", "<think>\n3 times 3 is 9.\n</think>\n<answer>9</answer>", 1, "answer tag after think"),
    ("9", "<think>\n3 times 3 is 9.\n</think>\n", 0, "think block without any answer"),
], raw=True)

for gold in ("The sequence diverges because its terms do not tend to zero.",
             "Proof. Suppose, for contradiction, that the set is finite.",
             "",
             "   ",
             "See the explanation in the worked solution above.",
             "It follows by induction on the number of vertices.",
             "No such function exists, since continuity would force a contradiction."):
    for completion in (r"The answer is \boxed{5}.", "I do not know.", r"\boxed{}"):
        add("gold_unparseable", gold, completion, None,
            "prose/proof/empty gold cannot be judged: NaN (TRL None), never 1.0 (open-r1#86)")

# Short sentences are prose too: a short text answer comes as \text{...} or a bare word.
for gold in ("Proof: trivial.", "Proof by induction.", "See above.", "The function is increasing.",
             "There are infinitely many."):
    for completion in (r"\boxed{5}", r"\boxed{\text{" + gold + "}}"):
        add("gold_unparseable", gold, completion, None,
            "a short sentence is still prose, not a text answer: NaN")

table("extract_markdown_bold", [
    ("73", "Final Answer: **73**", 1, "Math-Verify#76 false negative"),
    ("73", "**Final Answer:** 73", 1, "bold anchor"),
    ("73", "The answer is **73**.", 1, "bold value after an anchor"),
    ("73", "**Final Answer**\n\n**73**", 1, "bold heading then bold value"),
    ("73", "Final Answer: **37**", 0, "bold wrong value"),
    ("73", "**Answer: 73**", 1, "anchor and value both in bold"),
])

# ---- numbers ----------------------------------------------------------------------------------

table("number_fraction_decimal", [
    (r"\frac{1}{2}", r"\boxed{0.5}", 1, "fraction vs decimal"),
    (r"\frac{1}{4}", r"\boxed{.25}", 1, "leading-dot decimal"),
    (r"\frac{3}{8}", r"\boxed{0.375}", 1, "exact decimal"),
    ("0.375", r"\boxed{\frac{3}{8}}", 1, "decimal gold, fraction prediction"),
    (r"\frac{1}{2}", r"\boxed{0.05}", 0, "off by a factor of 10"),
    (r"\frac{2}{3}", r"\boxed{0.67}", 0, "two-digit rounding is outside 1e-6"),
    (r"\frac{2}{3}", r"\boxed{0.6666667}", 1, "within 1e-6 relative"),
    ("0.5", r"\boxed{\frac{1}{2}}", 1, "decimal gold"),
    ("1.25", r"\boxed{\frac{5}{4}}", 1, "improper fraction"),
    (r"\frac{5}{4}", r"\boxed{1.2}", 0, "wrong decimal"),
    (r"\frac{7}{20}", r"\boxed{0.35}", 1, "exact decimal"),
])

table("number_rounding", [
    (r"\frac{1}{3}", r"\boxed{0.3333333}", 1, "relative error 1e-7"),
    (r"\frac{1}{3}", r"\boxed{0.333}", 0, "relative error 1e-3"),
    (r"\frac{1}{3}", r"\boxed{0.3333}", 0, "relative error 1e-4"),
    (r"\frac{1}{7}", r"\boxed{0.142857142857}", 1, "many digits"),
    (r"\frac{1}{7}", r"\boxed{0.1428571}", 1, "relative error 3e-7"),
    (r"\frac{1}{7}", r"\boxed{0.14}", 0, "coarse rounding"),
    ("2.5", r"\boxed{2.5000001}", 1, "relative error 4e-8"),
    ("2.5", r"\boxed{2.51}", 0, "relative error 4e-3"),
    (r"\sqrt{2}", r"\boxed{1.41421356}", 1, "irrational gold, 9 significant digits"),
    (r"\sqrt{2}", r"\boxed{1.414}", 0, "three decimals"),
    (r"\pi", r"\boxed{3.1415927}", 1, "relative error 1.5e-8 is within tolerance"),
    (r"\pi", r"\boxed{3.1416}", 0, "relative error 2.3e-6 is outside 1e-6"),
])

table("number_trailing_zeros", [
    ("18", r"\boxed{18.00}", 1, "trailing zeros"),
    ("18", r"\boxed{18.0}", 1, "one trailing zero"),
    ("18.5", r"\boxed{18.50}", 1, "trailing zero after a fraction digit"),
    ("18", r"\boxed{18.01}", 0, "not a trailing zero"),
    ("180", r"\boxed{18.0}", 0, "decimal point is not a zero"),
    ("2.50", r"\boxed{2.5}", 1, "trailing zero in the gold"),
])

table("number_leading_zeros", [
    ("4", r"\boxed{004}", 1, "AIME three-digit form"),
    ("40", r"\boxed{004}", 0, "leading zeros are not trailing"),
    ("25", r"\boxed{025}", 1, "AIME form"),
    ("7", r"\boxed{0007}", 1, "many leading zeros"),
    ("250", r"\boxed{025}", 0, "wrong magnitude"),
])

table("number_thousands", [
    ("1000000", r"\boxed{1,000,000}", 1, "comma thousands"),
    ("1000000", r"\boxed{1\,000\,000}", 1, "thin-space thousands"),
    ("1000000", r"\boxed{1{,}000{,}000}", 1, "braced-comma thousands"),
    ("10000", r"\boxed{10,000}", 1, "one separator"),
    ("1234.5", r"\boxed{1,234.5}", 1, "separator and decimals"),
    ("100000", r"\boxed{1,00,000}", 0, "groups not of three digits: a list"),
    ("1,000", r"\boxed{1000}", 1, "separator in the gold"),
    ("7425000", r"\boxed{7,425,000}", 1, "Math-Verify test shape"),
    ("1000", r"\boxed{10,00}", 0, "two-digit group: a list"),
    ("12345", r"\boxed{12,345}", 1, "two-digit lead group"),
    ("1234", r"\boxed{1{,}234}", 1, "braced comma"),
    ("1000001", r"\boxed{1,000,000}", 0, "off by one"),
    (r"27,\!000", r"\boxed{27000}", 1, "MATH-dataset thousands separator ,\\! in the gold"),
    (r"27,\!000", r"\boxed{27,000}", 1, "MATH ,\\! gold vs comma prediction"),
    (r"\$32,\!348", r"\boxed{32348}", 1, "MATH money gold with ,\\!"),
    (r"\$32,\!348", r"\boxed{\$32,348}", 1, "MATH money gold with ,\\!"),
    ("32348", r"\boxed{32,\!348}", 1, ",\\! in the prediction"),
    (r"27,\!000", r"\boxed{27001}", 0, "off by one"),
])

table("number_comma_list", [
    ("12", r"\boxed{1,2}", 0, "comma is a list, not thousands"),
    ("1, 2", r"\boxed{12}", 0, "list gold, number prediction"),
    ("1, 2", r"\boxed{2, 1}", 1, "unordered list"),
    ("1,2", r"\boxed{1, 2}", 1, "spacing does not matter"),
    ("3, 4", r"\boxed{3,4}", 1, "compact list"),
    ("1,2", r"\boxed{\{1,2\}}", 1, "list equals set"),
    ("1, 2", r"\boxed{1, 2, 3}", 0, "extra element"),
])

table("number_decimal_comma", [
    ("2.5", r"\boxed{2,5}", 0, "policy: no decimal comma; 2,5 is the list {2,5}"),
    ("0.5", r"\boxed{0,5}", 0, "policy: no decimal comma"),
    ("2,5", r"\boxed{5, 2}", 1, "list gold"),
    ("3.14", r"\boxed{3,14}", 0, "policy: no decimal comma"),
    ("2.5", r"\boxed{2.5}", 1, "decimal point"),
])

table("number_negative", [
    ("-3", "\\boxed{\u22123}", 1, "Unicode minus U+2212"),
    ("-3", r"\boxed{- 3}", 1, "space after minus"),
    ("-3", r"\boxed{3}", 0, "sign lost"),
    ("3", r"\boxed{-3}", 0, "sign added"),
    ("-3", r"\boxed{-(3)}", 1, "parenthesised"),
    (r"-\frac{1}{2}", r"\boxed{-0.5}", 1, "negative decimal"),
    (r"-\frac{1}{2}", r"\boxed{\frac{-1}{2}}", 1, "sign in the numerator"),
    (r"-\frac{1}{2}", r"\boxed{\frac{1}{-2}}", 1, "sign in the denominator"),
    (r"-\frac{1}{2}", r"\boxed{\frac{1}{2}}", 0, "sign lost"),
    ("-12", "\\boxed{\u221212}", 1, "Unicode minus, two digits"),
])

table("number_scientific", [
    (r"1.2\times10^{5}", r"\boxed{120000}", 1, "scientific gold"),
    (r"1.2\times10^{5}", r"\boxed{1.2e5}", 1, "e-notation"),
    ("120000", r"\boxed{1.2 \cdot 10^5}", 1, "cdot form"),
    (r"1.2\times10^{5}", r"\boxed{12\times10^{4}}", 1, "unnormalised mantissa"),
    (r"1.2\times10^{5}", r"\boxed{1.2\times10^{6}}", 0, "wrong exponent"),
    (r"6.02\times10^{23}", r"\boxed{6.02 \times 10^{23}}", 1, "large exponent"),
    (r"3\times10^{-4}", r"\boxed{0.0003}", 1, "negative exponent"),
    (r"3\times10^{-4}", r"\boxed{0.003}", 0, "wrong magnitude"),
])

table("number_big_exact", [
    ("2^{100}", r"\boxed{1267650600228229401496703205376}", 1, "exact big integer"),
    ("2^{100}", r"\boxed{1267650600228229401496703205377}", 0, "off by one: no float compare"),
    ("1267650600228229401496703205376", r"\boxed{2^{100}}", 1, "power prediction"),
    ("10^{30}", r"\boxed{1000000000000000000000000000001}", 0, "10^30 + 1"),
    ("10^{30}", r"\boxed{10^{30}}", 1, "same power"),
    ("2^{64}", r"\boxed{18446744073709551616}", 1, "just above uint64"),
    ("2^{64}", r"\boxed{18446744073709551615}", 0, "UINT64_MAX is 2^64 - 1"),
    ("3^{40}", r"\boxed{12157665459056928801}", 1, "exact power of three"),
    ("3^{40}", r"\boxed{12157665459056928802}", 0, "off by one"),
    ("123456789012345678901234567890", r"\boxed{123456789012345678901234567891}", 0,
     "30-digit integers differing in the last digit"),
    ("20!", r"\boxed{2432902008176640000}", 1, "factorial"),    (r"1.5\times10^{400}", r"\boxed{15\times10^{399}}", 1, "beyond double range, exact"),
    (r"1.5\times10^{400}", r"\boxed{1.5\times10^{401}}", 0, "beyond double range, exact"),
    (r"\sqrt{10^{400}}", r"\boxed{10^{200}}", 1, "exact root of a big perfect square"),
    ("e^{1000}", r"\boxed{e^{1001}}", 0, "both overflow a double, still different"),
])

table("number_tiny", [
    (r"\frac{1}{2^{99}}", r"\boxed{\frac{1}{2^{98}}}", 0,
     "Math-Verify#14: absolute rounding says equal"),
    (r"\frac{1}{2^{99}}", r"\boxed{2^{-99}}", 1, "same tiny value"),
    ("10^{-12}", r"\boxed{0}", 0, "small is not zero"),
    ("0", r"\boxed{10^{-12}}", 0, "no absolute tolerance"),
    (r"1\times10^{-9}", r"\boxed{2\times10^{-9}}", 0, "factor of two"),
    (r"1\times10^{-9}", r"\boxed{0.000000001}", 1, "decimal form"),
    (r"5\times10^{-7}", r"\boxed{0.0000005}", 1, "decimal form"),
    (r"5\times10^{-7}", r"\boxed{0.0000006}", 0, "20% off"),    ("e^{-1000}", r"\boxed{0}", 0, "below double range is still not zero"),
    ("e^{-1000}", r"\boxed{e^{-1001}}", 0, "both underflow a double, still different"),
    ("10^{-400}", r"\boxed{10^{-401}}", 0, "exact tiny powers"),
])

table("number_percent", [
    ("12", r"\boxed{12\%}", 1, "policy: percent sign dropped against a plain gold"),
    (r"12\%", r"\boxed{0.12}", 1, "policy: fraction reading"),
    (r"12\%", r"\boxed{12}", 1, "policy: number reading"),
    ("12", r"\boxed{0.12}", 0, "no percent anywhere: 0.12 is not 12"),
    ("0.12", r"\boxed{12\%}", 1, "policy: either reading"),
    (r"12\%", r"\boxed{13\%}", 0, "wrong percent"),
    (r"50\%", r"\boxed{\frac{1}{2}}", 1, "fraction reading"),
    ("12", r"\boxed{12%}", 1, "bare percent sign"),
    (r"12\%", r"\boxed{1200}", 0, "include_percentage false positive in Qwen/PRIME graders"),
    ("12", r"\boxed{1200}", 0, "factor 100 without any percent sign"),
])

table("number_currency", [
    ("1.50", r"\boxed{\$1.50}", 1, "currency dropped"),
    ("1.5", r"\boxed{\$1.50}", 1, "currency and trailing zero"),
    ("18", r"\boxed{\$18}", 1, "dollar integer"),
    ("18", r"\boxed{\$18.00}", 1, "dollars and cents"),
    ("18", r"\boxed{\$19}", 0, "wrong amount"),
    (r"\$1000", r"\boxed{1000}", 1, "currency in the gold"),
    ("2.75", r"\boxed{\$2.57}", 0, "transposed digits"),
])

table("number_units", [
    ("5", r"\boxed{5\text{ cm}}", 1, "text unit"),
    ("5", r"\boxed{5 \mathrm{cm}^2}", 1, "mathrm unit squared"),
    ("5", r"\boxed{5\ \text{cm}^2}", 1, "spaced unit"),
    ("12", r"\boxed{12 \text{ meters}}", 1, "unit word"),
    ("30", r"\boxed{30 \text{ minutes}}", 1, "time unit"),
    ("5", r"\boxed{6\text{ cm}}", 0, "wrong number with a unit"),
    (r"5\text{ cm}", r"\boxed{5}", 1, "unit in the gold"),
    ("18", r"\boxed{18 \text{ dollars}}", 1, "currency word"),
    ("7", r"\boxed{7\,\mathrm{kg}}", 1, "thin space then unit"),
    ("45", r"\boxed{45 \text{ mph}}", 1, "speed unit"),
    ("5", r"\boxed{5 \mbox{ inches}}", 1, "mbox unit"),
])

table("number_degrees", [
    ("30", r"\boxed{30^\circ}", 1, "degree postfix dropped"),
    ("30", r"\boxed{30^{\circ}}", 1, "braced degree"),
    ("30", "\\boxed{30\u00b0}", 1, "Unicode degree sign"),
    ("30", r"\boxed{60^\circ}", 0, "wrong angle"),
    (r"30^\circ", r"\boxed{30}", 1, "degree in the gold"),
    (r"120^\circ", r"\boxed{120}", 1, "degree in the gold"),
    ("45", r"\boxed{45 \text{ degrees}}", 1, "degree as a unit word"),
])

table("number_pi", [
    (r"2\pi", r"\boxed{2\pi}", 1, "same expression"),
    (r"2\pi", r"\boxed{6.28}", 0, "approximation of an irrational"),
    (r"2\pi", r"\boxed{\pi \cdot 2}", 1, "commuted product"),
    (r"2\pi", r"\boxed{6.283185307}", 1, "within 1e-6 relative"),
    (r"\pi", r"\boxed{3.14}", 0, "approximation of an irrational"),
    (r"\frac{\pi}{2}", r"\boxed{\frac{1}{2}\pi}", 1, "coefficient written first"),
    (r"\frac{\pi}{2}", r"\boxed{90}", 0, "90 is not pi/2"),
    (r"4\pi", r"\boxed{4 \pi \text{ cm}^2}", 1, "pi with a unit"),
    (r"2\pi", r"\boxed{2}", 0, "pi dropped"),
])

# ---- forms of the same value ------------------------------------------------------------------

table("form_dfrac", [
    (r"\frac{3}{4}", r"\boxed{\dfrac{3}{4}}", 1, "dfrac"),
    (r"\frac{3}{4}", r"\boxed{\tfrac{3}{4}}", 1, "tfrac"),
    (r"\frac{3}{4}", r"\boxed{\cfrac{3}{4}}", 1, "cfrac"),
    (r"\dfrac{3}{4}", r"\boxed{\frac{3}{4}}", 1, "dfrac gold"),
    (r"\frac{3}{4}", r"\boxed{\dfrac{4}{3}}", 0, "inverted"),
    (r"\frac{2}{3}", r"\boxed{\cfrac{1}{1+\cfrac{1}{2}}}", 1, "continued fraction"),
])

table("form_malformed", [
    (r"\frac{3}{4}", r"\boxed{\frac34}", 1, "policy: lenient shorthand"),
    (r"\frac{1}{2}", r"\boxed{\frac12}", 1, "policy: lenient shorthand"),
    (r"\frac{3}{4}", r"\boxed{\frac{3}4}", 1, "half-braced"),
    (r"\frac{3}{4}", r"\boxed{\frac3{4}}", 1, "half-braced"),
    (r"\sqrt{3}", r"\boxed{\sqrt3}", 1, "sqrt shorthand"),
    (r"2\sqrt{2}", r"\boxed{2\sqrt2}", 1, "sqrt shorthand with coefficient"),
    (r"\frac{3}{4}", r"\boxed{\frac43}", 0, "shorthand, inverted"),
    ("4", r"\boxed{4\sqrt(2)}", 0, "Math-Verify#41: 4 times a root is not 4"),
    (r"\frac{1}{2}", r"\frac12", 0, "shorthand without box or anchor: no answer", ),
])

table("form_slash", [
    (r"\frac{2}{3}", r"\boxed{2/3}", 1, "slash fraction"),
    (r"\frac{2}{3}", r"\boxed{3/2}", 0, "inverted"),
    (r"\frac{2}{3}", r"\boxed{4/6}", 1, "unreduced slash"),
    ("2/3", r"\boxed{\frac{2}{3}}", 1, "slash gold"),
    (r"\frac{1}{2}", r"\boxed{1 / 2}", 1, "spaced slash"),
    (r"\frac{x}{2}", r"\boxed{x/2}", 1, "symbolic slash"),
    (r"\frac{2}{3}", r"\boxed{(2)/(3)}", 1, "parenthesised slash"),
])

table("form_unreduced", [
    (r"\frac{1}{2}", r"\boxed{\frac{2}{4}}", 1, "policy: by value (PRM800K says 0)"),
    (r"\frac{3}{4}", r"\boxed{\frac{6}{8}}", 1, "by value"),
    (r"\frac{1}{2}", r"\boxed{\frac{50}{100}}", 1, "by value"),
    (r"\frac{1}{2}", r"\boxed{\frac{2}{6}}", 0, "different value"),
    (r"\frac{4}{6}", r"\boxed{\frac{2}{3}}", 1, "unreduced gold"),
    ("3", r"\boxed{\frac{9}{3}}", 1, "integer value"),
])

table("form_radical", [
    (r"3\sqrt{2}", r"\boxed{\sqrt{18}}", 1, "unsimplified radical"),
    (r"\frac{\sqrt{2}}{2}", r"\boxed{\frac{1}{\sqrt{2}}}", 1, "unrationalised"),
    ("4", r"\boxed{4\sqrt{2}}", 0, "extra factor"),
    (r"2\sqrt{3}", r"\boxed{\sqrt{12}}", 1, "unsimplified radical"),
    ("2", r"\boxed{\sqrt[3]{8}}", 1, "cube root"),
    (r"\sqrt{2}", r"\boxed{2^{1/2}}", 1, "power form"),
    (r"\sqrt{2}", r"\boxed{2^{\frac{1}{2}}}", 1, "power form with frac"),
    (r"\sqrt{3}", r"\boxed{3}", 0, "root dropped"),
    (r"\frac{\sqrt{3}}{2}", r"\boxed{\frac{\sqrt{3}}{3}}", 0, "different value"),
    (r"5+2\sqrt{6}", r"\boxed{(\sqrt{2}+\sqrt{3})^2}", 1, "expanded square"),
    (r"\sqrt{2}+\sqrt{3}", r"\boxed{\sqrt{5}}", 0, "roots do not add"),
    (r"6\sqrt{2}", r"\boxed{\sqrt{72}}", 1, "unsimplified radical"),
    (r"\sqrt{8}", r"\boxed{2\sqrt{2}}", 1, "unsimplified gold"),
    (r"\sqrt[3]{2}", r"\boxed{\sqrt{2}}", 0, "cube root is not square root"),
])

table("form_mixed_number", [
    (r"\frac{7}{2}", r"\boxed{3\frac{1}{2}}", 1, "mixed number is addition"),
    (r"\frac{9}{4}", r"\boxed{2\frac{1}{4}}", 1, "mixed number"),
    (r"3\frac{1}{2}", r"\boxed{3.5}", 1, "mixed gold"),
    (r"3\frac{1}{2}", r"\boxed{1.5}", 0, "mixed number is not a product"),
    (r"\frac{7}{2}", r"\boxed{3\frac{1}{3}}", 0, "wrong fractional part"),
    (r"2\frac{1}{2}", r"\boxed{\frac{5}{2}}", 1, "mixed gold"),
    (r"-\frac{7}{2}", r"\boxed{-3\frac{1}{2}}", 1, "negative mixed number"),
])

table("algebra", [
    (r"\frac{x+2}{7}", r"\boxed{\frac{x}{7}+\frac{2}{7}}", 1, "split fraction"),
    ("x^2-1", r"\boxed{(x-1)(x+1)}", 1, "factored"),
    ("2x+1", r"\boxed{2y+1}", 0, "different variable"),
    ("(x+1)^2", r"\boxed{x^2+2x+1}", 1, "expanded"),
    ("x^2-1", r"\boxed{(x-1)^2}", 0, "different polynomial"),
    ("2(x+3)", r"\boxed{2x+6}", 1, "distributed"),
    ("x^2+x", r"\boxed{x(x+1)}", 1, "factored"),
    (r"\frac{1}{x}+\frac{1}{y}", r"\boxed{\frac{x+y}{xy}}", 1, "common denominator"),
    ("a^2b", r"\boxed{ba^2}", 1, "commuted product"),
    (r"\sin^2 x", r"\boxed{1-\cos^2 x}", 1, "Pythagorean identity, same variable"),
    ("e^{x}", r"\boxed{\exp(x)}", 1, "exp notation"),
    (r"x^3-8", r"\boxed{(x-2)(x^2+2x+4)}", 1, "difference of cubes"),
    (r"x^3-8", r"\boxed{(x-2)(x^2-2x+4)}", 0, "wrong sign in the factor"),
    (r"\frac{x}{2}", r"\boxed{\frac{2}{x}}", 0, "inverted"),
    (r"\frac{n(n+1)}{2}", r"\boxed{\frac{n^2+n}{2}}", 1, "triangular numbers"),
    ("2", r"\boxed{\ln(e^2)}", 1, "logarithm evaluates"),
    ("3", r"\boxed{\log_2 8}", 1, "base-2 log"),
    ("2x+1", r"\boxed{2x-1}", 0, "sign"),
    ("3x^2", r"\boxed{3x^3}", 0, "exponent"),
    ("x+y", r"\boxed{y+x}", 1, "commuted sum"),
    (r"\sqrt{x^2}", r"\boxed{x}", 0, "the square root of x^2 is |x|, not x"),
    (r"\sqrt{x^2}", r"\boxed{|x|}", 1, "absolute value"),
    (r"\frac{1}{1-x}", r"\boxed{\frac{-1}{x-1}}", 1, "sign moved through the fraction"),
    (r"x^{1/2}", r"\boxed{\sqrt{x}}", 1, "fractional power"),
    (r"\binom{n}{2}", r"\boxed{\frac{n(n-1)}{2}}", 1, "symbolic binomial coefficient"),
    (r"\binom{n}{2}", r"\boxed{\frac{n(n+1)}{2}}", 0, "off by one"),
    (r"f^{-1}(x)=\frac{x-1}{2}", r"\boxed{\frac{x-1}{2}}", 1, "inverse-function definition gold"),
    (r"f^{-1}(x)=\frac{x-1}{2}", r"\boxed{\frac{x+1}{2}}", 0, "wrong inverse"),
    ("x", r"\boxed{x + 10^{-9}}", 0, "an exact nonzero difference, however small"),
    ("x", r"\boxed{x + 10^{-20}x}", 0, "an exact nonzero relative difference"),
    ("x", r"\boxed{\lfloor x \rfloor}", 0, "floor of x is not x"),
    ("x", r"\boxed{\bar{x}}", 0, "a decorated symbol is another symbol"),
    ("x", r"\boxed{\hat{x}}", 0, "a decorated symbol is another symbol"),
    ("x", r"\boxed{x'}", 0, "x prime is another symbol"),
    ("x", r"\boxed{x+(x-1)(x-2)(x-3)(x-4)(x-5)(x-6)(x-7)(x-8)(x-9)(x-10)}", 0,
     "agrees with x at the integers 1..10 only"),
    ("x", r"\boxed{x+\sin(\pi x)}", 0, "agrees with x at every integer"),
])

table("form_styling", [
    ("(2,3)", r"\boxed{\left( 2,\! 3 \right)}", 1, "left/right and \\!"),
    (r"\frac{1}{2}", r"\boxed{\displaystyle\frac{1}{2}}", 1, "displaystyle"),
    ("5", r"\boxed{\, 5 \,}", 1, "thin spaces"),
    ("5", r"\boxed{\mathbf{5}}", 1, "bold math"),
    ("5", r"\boxed{\textbf{5}}", 1, "bold text"),
    ("12", r"\boxed{\;12\;}", 1, "medium spaces"),
    ("5", r"\boxed{\quad 5}", 1, "quad"),
    ("(2,3)", r"\boxed{\left(2, 3\right)}", 1, "left/right"),
    ("13", r"\boxed{\text{13}}", 1, "Math-Verify#37: number in \\text"),
    ("13", r"\boxed{\mathrm{13}}", 1, "number in \\mathrm"),
    ("(2,3)", r"\boxed{\left( 3,\! 2 \right)}", 0, "styled but swapped"),
    ("5", r"\boxed{\color{red}5}", 1, "colour command"),
    ("5", r"\boxed{\textcolor{red}{5}}", 1, "textcolor command"),
])

# ---- text and choices -------------------------------------------------------------------------

table("text_choice", [
    (r"\text{(B)}", r"\boxed{B}", 1, "bare letter"),
    (r"\text{(B)}", r"\boxed{(B)}", 1, "parenthesised letter"),
    (r"\text{(B)}", r"\boxed{\textbf{(B)}}", 1, "bold letter"),
    (r"\text{(B)}", r"\boxed{\text{B}}", 1, "text letter"),
    (r"\text{(B)}", r"\boxed{C}", 0, "other letter"),
    ("B", r"\boxed{\text{(B)}}", 1, "bare gold"),
    ("(C)", r"\boxed{\textbf{(C)}}", 1, "parenthesised gold"),
    ("(C)", r"\boxed{(D)}", 0, "other letter"),
    ("A", r"\boxed{A}", 1, "letter A"),
    ("A", r"\boxed{B}", 0, "letter B"),
    (r"\textbf{(E)}", r"\boxed{E}", 1, "bold gold"),
    ("D", "The answer is (D).", 1, "anchored letter"),
    ("B", r"\boxed{B} or \boxed{C}", 0, "hedging over two letters"),
    ("B", r"\boxed{B, C}", 0, "two letters in one box"),
    ("J", r"\boxed{J}", 1, "letters run to J"),
])

table("text_word", [
    (r"\text{Monday}", r"\boxed{\text{monday}}", 1, "case-insensitive"),
    (r"\text{yes}", r"\boxed{No}", 0, "different word"),
    (r"\text{yes}", r"\boxed{\text{Yes}}", 1, "case-insensitive"),
    (r"\text{even}", r"\boxed{\text{odd}}", 0, "different word"),
    (r"\text{North Carolina}", r"\boxed{\text{north   carolina}}", 1, "whitespace normalised"),
    (r"\text{Monday}", r"\boxed{\text{Tuesday}}", 0, "different day"),
    (r"\text{no}", r"\boxed{\text{No}}", 1, "case-insensitive"),
    (r"\text{odd}", r"\boxed{\textbf{odd}}", 1, "bold word"),
    (r"\text{Alice}", r"\boxed{\text{alice}}", 1, "name"),
    (r"\text{Bob}", r"\boxed{\text{Alice}}", 0, "other name"),
])

# ---- equations, relations, sets ---------------------------------------------------------------

table("rel_assignment", [
    ("5", r"\boxed{x=5}", 1, "assignment prediction"),
    ("x=5", r"\boxed{5}", 1, "assignment gold"),
    ("12", r"\boxed{3\cdot4=12}", 1, "last side of a computation"),
    ("12", r"\boxed{3\times 4 = 12}", 1, "last side"),
    ("5", r"\boxed{x = 2 + 3 = 5}", 1, "chain: last side"),
    ("5", r"\boxed{x=6}", 0, "wrong value"),
    ("x=5", r"\boxed{x=5}", 1, "same assignment"),
    ("x=5", r"\boxed{6}", 0, "wrong value"),
    ("12", r"\boxed{3\cdot 4 = 13}", 0, "wrong last side"),
    ("k=3", r"\boxed{3}", 1, "assignment gold"),
    ("10", r"\boxed{n = 10}", 1, "assignment prediction"),
    ("20", r"\boxed{a+b = 20}", 1, "last side of an equation prediction"),
])

table("rel_approx", [
    (r"\frac{22}{7}", r"\boxed{\frac{22}{7}\approx 3.14}", 1, "keep the exact side"),
    (r"\sqrt{2}", r"\boxed{\sqrt{2} \approx 1.414}", 1, "keep the exact side"),
    (r"\frac{22}{7}", r"\boxed{3.14}", 0, "approximation only"),
    (r"\frac{22}{7}", r"\boxed{\frac{22}{7} \approx 3.142857}", 1, "keep the exact side"),
    (r"\frac{1}{3}", r"\boxed{\frac{1}{3}\approx 0.33}", 1, "keep the exact side"),
    (r"\frac{1}{3}", r"\boxed{0.33}", 0, "approximation only"),
])

table("rel_equation", [
    ("y=2x+3", r"\boxed{2x-y+3=0}", 1, "rearranged"),
    ("y=2x+3", r"\boxed{2y=4x+6}", 1, "scaled"),
    ("y=2x+3", r"\boxed{y=2x-3}", 0, "different line"),
    ("y=2x+3", r"\boxed{y=3+2x}", 1, "commuted"),
    ("x+y=1", r"\boxed{y=1-x}", 1, "solved for y"),
    ("x^2+y^2=25", r"\boxed{x^2+y^2-25=0}", 1, "moved to one side"),
    ("x^2+y^2=25", r"\boxed{25}", 0, "a curve is not a number"),
    ("3x-y+13=0", r"\boxed{3x+4y+14=0}", 0, "Math-Verify#60: both read as 0 there"),
    ("y=2x+3", r"\boxed{y=2x+3}", 1, "identical"),
    (r"y=-\frac{1}{2}x+4", r"\boxed{x+2y=8}", 1, "standard form"),
    (r"y=-\frac{1}{2}x+4", r"\boxed{x+2y=4}", 0, "different intercept"),
])

table("rel_inequality", [
    ("x>2", r"\boxed{2<x}", 1, "flipped relation"),
    (r"x\ge 3", r"\boxed{x\geq 3}", 1, "geq spelling"),
    ("x>2", r"\boxed{x\ge 2}", 0, "strict vs non-strict"),
    ("x<5", r"\boxed{x>5}", 0, "opposite"),
    (r"x \le 3", r"\boxed{3 \ge x}", 1, "flipped relation"),
    ("-1<x<3", r"\boxed{-1 < x < 3}", 1, "chained"),
    ("-1<x<3", r"\boxed{(-1,3)}", 1, "inequality gold, interval prediction"),
])

table("set_interval", [
    ("(1,2]", r"\boxed{(1,2]}", 1, "same interval"),
    ("(1,2]", r"\boxed{[1,2]}", 0, "openness differs"),
    (r"1<x\le 2", r"\boxed{(1,2]}", 1, "inequality gold"),
    ("(1,2]", r"\boxed{1<x\le 2}", 1, "policy: both directions"),
    (r"[0,\infty)", r"\boxed{[0,+\infty)}", 1, "+infinity"),
    (r"[0,\infty)", r"\boxed{x\ge 0}", 1, "policy: inequality prediction"),
    (r"(-\infty,3)", r"\boxed{x<3}", 1, "policy: inequality prediction"),
    (r"(-\infty,3)", r"\boxed{(-\infty,3]}", 0, "closed end"),
    ("[2,5)", r"\boxed{\left[2,5\right)}", 1, "left/right"),
    ("[2,5)", r"\boxed{[2,5]}", 0, "closed end"),
    ("(1,2]", r"\boxed{(1,3]}", 0, "other endpoint"),
    ("[-1,1]", r"\boxed{-1 \le x \le 1}", 1, "chained inequality"),
    ("[-1,1]", r"\boxed{-1<x<1}", 0, "open vs closed"),
    (r"(-\infty,\infty)", r"\boxed{\mathbb{R}}", 1, "all reals"),
    (r"(-\infty,-5)\cup(5,\infty)", r"\boxed{|x|>5}", 1, "absolute-value inequality is the same set"),
    (r"(-\infty,-2) \cup (-2,\infty)", r"\boxed{x \neq -2}", 1, "all reals but one, as an inequation"),
    (r"(-\infty,-2) \cup (-2,\infty)", r"\boxed{\mathbb{R} \setminus \{-2\}}", 1,
     "all reals but one, as a set difference"),
    (r"(-\infty,-2) \cup (-2,\infty)", r"\boxed{x \neq 2}", 0, "a different excluded point"),
    (r"(2,\infty)", r"\boxed{(2,\infty]}", 0, "openness at infinity differs"),
    ("(0,1)", r"\boxed{0<x<1}", 1, "open interval as an inequality"),
    (r"[0,1)", r"\boxed{0 \leqslant x < 1}", 1, "leqslant"),
    (r"(-\infty, 2]", r"\boxed{x \in (-\infty, 2]}", 1, "membership prediction"),
    ("(59, 108]", r"\boxed{(59,108]}", 1,
     "a comma inside interval brackets separates endpoints"),
    ("[12, 345)", r"\boxed{[12,345)}", 1,
     "three-digit endpoint after a comma is not a thousands group"),
    ("(59, 108]", r"\boxed{(59108]}", 0, "one number in brackets is not the interval"),
])

table("set_union", [
    (r"(-\infty,0)\cup(1,\infty)", r"\boxed{(-\infty,0)\cup(1,+\infty)}", 1, "+infinity"),
    (r"(-\infty,0)\cup(1,\infty)", r"\boxed{(1,\infty)\cup(-\infty,0)}", 1, "union order"),
    (r"(-\infty,0)\cup(1,\infty)", r"\boxed{(-\infty,0]\cup(1,\infty)}", 0, "closed end"),
    (r"(-\infty,0)\cup(1,\infty)", r"\boxed{x<0 \text{ or } x>1}", 1, "policy: inequalities"),
    (r"(-\infty,0)\cup(1,\infty)", r"\boxed{(-\infty,0)}", 0, "half the set"),
    (r"[1,2]\cup[3,4]", r"\boxed{[3,4]\cup[1,2]}", 1, "union order"),
    (r"[1,2]\cup[3,4]", r"\boxed{[1,4]}", 0, "gap filled"),
])

table("set_tuple", [
    ("(3,4)", r"\boxed{(3, 4)}", 1, "same point"),
    ("(3,4)", r"\boxed{(4,3)}", 0, "tuples are ordered"),
    ("(1,2,3)", r"\boxed{(1,2,3)}", 1, "triple"),
    ("(1,2,3)", r"\boxed{(3,2,1)}", 0, "reversed triple"),
    (r"(\frac{1}{2}, 3)", r"\boxed{(0.5, 3)}", 1, "element-wise value"),
    ("(-1, 2)", r"\boxed{\left(-1,2\right)}", 1, "left/right"),
    ("(2, -1)", r"\boxed{(2,1)}", 0, "sign"),
    ("(0,0)", r"\boxed{(0,0)}", 1, "origin"),
    ("(1,2,3)", r"\boxed{(1,2)}", 0, "missing element"),
    ("(3,4)", "The answer is $(3,4)$.", 1, "anchored point"),
    ("(3, 400)", r"\boxed{(3,400)}", 1, "a comma inside a tuple separates entries"),
    ("(12, 345, 678)", r"\boxed{(12,345,678)}", 1, "triple, not one grouped number"),
    ("3400", r"\boxed{(3,400)}", 0, "a pair is not the number 3400"),
])

table("set_solutions", [
    ("2, -3", r"\boxed{-3, 2}", 1, "unordered"),
    ("2, -3", r"\boxed{x=2 \text{ or } x=-3}", 1, "assignments joined by or"),
    ("2, -3", r"\boxed{2}", 0, "subset"),
    ("3", r"\boxed{3 \text{ or } 5}", 0, "hedge"),
    ("2, -3", r"\boxed{\{2,-3\}}", 1, "set braces"),
    ("2, -3", r"\boxed{x = 2, x = -3}", 1, "assignment list"),
    ("2, -3", r"\boxed{x\in\{-3,2\}}", 1, "membership"),
    ("2, -3", r"\boxed{2 \text{ and } -3}", 1, "and-joined"),
    ("2, -3", r"\boxed{-3, 2, 5}", 0, "superset"),
    ("1, 2, 3", r"\boxed{3, 2, 1}", 1, "unordered"),
    ("1, 2, 3", r"\boxed{n = 2, 3, 4}", 0, "Math-Verify#14 shape"),
    (r"\{1, 2\}", r"\boxed{\{2, 1\}}", 1, "set order"),
    (r"\emptyset", r"\boxed{\emptyset}", 1, "empty set"),
    (r"\emptyset", r"\boxed{\{0\}}", 0, "zero is an element"),
    (r"\{1,2\}", r"\boxed{\{1,2,3\} \setminus \{3\}}", 1, "set difference evaluates"),
    (r"\{1,2\}", r"\boxed{\{1,2\} \cup \{3\}}", 0, "union adds an element"),    (r"3 \text{ and } 5", r"\boxed{3, 5}", 1, "and-joined gold"),
    (r"3 \text{ and } 5", r"\boxed{5}", 0, "one of two"),
    (r"x=3 \text{ or } x=5", r"\boxed{3,5}", 1, "or-joined assignments gold"),
    (r"x=3 \text{ or } x=5", r"\boxed{x=5}", 0, "one of two"),
    (r"x = \pm 3", r"\boxed{3, -3}", 1, "plus-minus assignment gold"),
    (r"x = \pm 3", r"\boxed{3}", 0, "one of two"),
    ("3, 5", "The answers are 3 and 5.", 1, "plural anchor"),
    ("3", "The answers are 3 and 5.", 0, "plural anchor, extra value"),
    ("(1,2), (3,4)", r"\boxed{(3,4), (1,2)}", 1, "unordered list of points"),
    ("(1,2), (3,4)", r"\boxed{(1,2)}", 0, "one of two points"),
    ("(1,2), (3,4)", r"\boxed{(2,1), (4,3)}", 0, "points with swapped coordinates"),
    (r"\{(1,2), (3,4)\}", r"\boxed{(1,2), (3,4)}", 1, "set of points vs list"),
])

table("set_pm", [
    (r"\pm 2", r"\boxed{2, -2}", 1, "plus-minus is two values"),
    (r"\pm 2", r"\boxed{2}", 0, "one of two values"),
    (r"\pm 2", r"\boxed{\pm2}", 1, "same"),
    (r"1\pm\sqrt{2}", r"\boxed{1+\sqrt{2}, 1-\sqrt{2}}", 1, "binary plus-minus"),
    (r"1\pm\sqrt{2}", r"\boxed{1+\sqrt{2}}", 0, "one root"),
    ("2, -2", r"\boxed{\pm 2}", 1, "list gold"),
    (r"\pm 2", r"\boxed{x = \pm 2}", 1, "assignment"),
    (r"\pm 3", r"\boxed{\pm 2}", 0, "wrong magnitude"),
])

table("matrix", [
    (r"\begin{pmatrix}1\\2\end{pmatrix}", r"\boxed{\begin{bmatrix}1\\2\end{bmatrix}}", 1,
     "pmatrix = bmatrix"),
    (r"\begin{pmatrix}1\\2\end{pmatrix}", r"\boxed{(1,2)}", 1, "policy: column = tuple"),
    (r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", r"\boxed{\begin{bmatrix}1&2\\3&4\end{bmatrix}}", 1,
     "2x2"),
    (r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", r"\boxed{\begin{pmatrix}1&3\\2&4\end{pmatrix}}", 0,
     "transposed"),
    (r"\begin{pmatrix}1\\2\end{pmatrix}", r"\boxed{(2,1)}", 0, "order"),
    (r"\begin{pmatrix}\frac12\\0\end{pmatrix}", r"\boxed{\begin{pmatrix}0.5\\0\end{pmatrix}}", 1,
     "entry values"),
    (r"\begin{pmatrix}1&2\end{pmatrix}", r"\boxed{(1,2)}", 1, "policy: row = tuple"),
    (r"\begin{pmatrix}1\\2\end{pmatrix}", r"\boxed{\begin{pmatrix}1\\2\\0\end{pmatrix}}", 0,
     "shape"),
    (r"\begin{pmatrix}-1\\3\end{pmatrix}", r"\boxed{\left(\begin{array}{c}-1\\3\end{array}\right)}",
     1, "array in parentheses"),
])

table("complex", [
    ("3+4i", r"\boxed{4i+3}", 1, "commuted"),
    ("3+4i", r"\boxed{3+4j}", 0, "policy: j is a variable"),
    ("3+4i", r"\boxed{3-4i}", 0, "conjugate"),
    (r"\frac{1+i}{2}", r"\boxed{\frac12+\frac12 i}", 1, "split"),
    ("-1+i", r"\boxed{i-1}", 1, "commuted"),
    ("2i", r"\boxed{2 i}", 1, "spaced"),
    ("5", r"\boxed{(2+i)(2-i)}", 1, "product of conjugates"),
    ("-1", r"\boxed{i^2}", 1, "i squared"),
])

table("pathological", [
    ("5", r"\boxed{2^{2^{2^{2^{100}}}}}", 0, "power tower: bounded time, not 5"),
    ("7", r"\boxed{10^{10^{10}}}", 0, "ten billion digits must not be computed"),
    ("3", r"\boxed{9^{9^{9}}}", 0, "huge power"),
    ("10^{100}", r"\boxed{10^{100}}", 1, "googol, cheap to decide"),
    ("10^{100}", r"\boxed{10^{100}+1}", 0, "googol plus one: exact"),
    ("2", r"\boxed{1000000!}", 0, "huge factorial, not 2"),
    ("5", r"\boxed{" + "(" * 30 + "5" + ")" * 30 + "}", 1,
     "30 redundant parentheses: shallow enough to decide"),    ("5", "\\boxed{5} " * 1000, 1, "degenerate repetition of the same box"),
    ("5", "".join(f"\\boxed{{{i}}}, " for i in range(1000)), 0, "a thousand boxed guesses"),
    ("5", "The answer is 5. " * 1000, 1, "degenerate repetition of the same anchor"),
])

GSM8K_GOLD = ("Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
              "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72")
table("gsm8k", [
    ("72", "Natalia sold 24 clips in May, so 48 + 24 = 72 in total.\n#### 72", 1,
     "GSM8K marker"),
    ("72", "48 + 24 = 72\n#### 72.0", 1, "numeric compare, not string (verl strict says 0)"),
    ("1000", "The cost is 10 times 100.\n#### $1,000", 1, "currency and thousands"),
    ("72", "48 + 24 = 71\n#### 71", 0, "wrong"),
    (GSM8K_GOLD, r"So she sold \boxed{72} clips.", 1, "full GSM8K gold solution"),
    (GSM8K_GOLD, r"So she sold \boxed{24} clips.", 0, "intermediate value of the gold"),
    (GSM8K_GOLD, "48 / 2 = 24 and 48 + 24 = 72.\n#### 72", 1, "marker on both sides"),
    ("#### 18", "The answer is 18.", 1, "marker-only gold"),
    ("18", r"\boxed{18.0}", 1, "18.0 is 18"),
    ("1000", "#### 1,000", 1, "thousands"),
    ("0.5", "#### 0.50", 1, "trailing zero"),
    ("#### -3", "#### -3", 1, "negative"),
    ("Janet pays $20 for 4 hours, so $20 / 4 = $<<20/4=5>>5 per hour.\n#### 5",
     "Each hour costs 20 / 4 = 5 dollars.\n#### 5", 1, "gold solution with dollar signs"),
    ("Janet pays $20 for 4 hours, so $20 / 4 = $<<20/4=5>>5 per hour.\n#### 5",
     "Each hour costs 20 / 4 = 5 dollars.\n#### 20", 0, "number from the question"),
    ("He saves 1250 dollars.\n#### 1250", r"He saves \boxed{\$1,250}.", 1, "boxed money"),
    ("72", "48 + 24 = 72\n#### 72\n\nI hope this helps!", 1, "text after the marker"),
    ("72", "#### 72 clips", 1, "unit word after the marker"),
])

# ---- gold columns as datasets hold them -------------------------------------------------------

table("gold_forms", [
    ("Since $x+3=8$, we get $x=\\boxed{5}$.", r"\boxed{5}", 1, "MATH-style worked solution gold"),
    ("Since $x+3=8$, we get $x=\\boxed{5}$.", r"\boxed{8}", 0, "a number from the gold's working"),
    ("Since $x+3=8$, we get $x=\\boxed{5}$.", r"\boxed{3}", 0, "a number from the gold's working"),
    (r"$\frac{1}{2}$", r"\boxed{0.5}", 1, "gold in inline math"),
    (r"\boxed{\frac{1}{2}}", r"\boxed{\frac{2}{4}}", 1, "boxed gold"),
    (" 42 ", r"\boxed{42}", 1, "gold with surrounding spaces"),
    ("42\n", r"\boxed{42}", 1, "gold with a trailing newline"),
    (r"\(\sqrt{2}\)", r"\boxed{\sqrt{2}}", 1, "gold in \\( \\)"),
    (r"x = 5", r"\boxed{5}", 1, "spaced assignment gold"),
    (r"\dfrac{\sqrt{3}}{2}", r"\boxed{\frac{\sqrt3}{2}}", 1, "dfrac gold, shorthand prediction"),
    ("The two boxes weigh $\\boxed{12}$ pounds together.", r"\boxed{12}", 1,
     "sentence gold with a box"),
    ("The two boxes weigh $\\boxed{12}$ pounds together.", r"\boxed{2}", 0,
     "sentence gold with a box"),
])

table("ratio", [
    ("1:2", r"\boxed{1:2}", 1, "ratio gold (MATH has them) must parse"),
    ("1:2", r"\boxed{1 : 2}", 1, "spaced ratio"),
    ("1:2", r"\boxed{2:1}", 0, "reversed ratio"),
    ("3:4", r"\boxed{6:8}", 1, "equal ratios"),
    ("3:4", r"\boxed{3:5}", 0, "different ratio"),
    ("2:3:4", r"\boxed{2:3:4}", 1, "three-part ratio"),
    ("2:3:4", r"\boxed{4:3:2}", 0, "three-part ratio reversed"),
])

table("unicode", [
    (r"\sqrt{2}", "\\boxed{\u221a2}", 1, "Unicode square root"),
    (r"2\pi", "\\boxed{2\u03c0}", 1, "Unicode pi"),
    (r"\infty", "\\boxed{\u221e}", 1, "Unicode infinity"),
    (r"x \le 3", "\\boxed{x \u2264 3}", 1, "Unicode less-or-equal"),
    ("12", "\\boxed{3 \u00d7 4}", 1, "Unicode times"),
    ("3", "\\boxed{12 \u00f7 4}", 1, "Unicode division sign"),
    (r"\frac{1}{2}", "\\boxed{\u00bd}", 1, "vulgar fraction one half"),
    (r"\frac{3}{4}", "\\boxed{\u00be}", 1, "vulgar fraction three quarters"),
    (r"\frac{1}{2}", "\\boxed{\u00bc}", 0, "one quarter is not one half"),
    ("x^2", "\\boxed{x\u00b2}", 1, "superscript two"),
    ("x^3", "\\boxed{x\u00b2}", 0, "superscript two is not a cube"),
    ("5", "\\boxed{\uff15}", 1, "fullwidth digit (CJK output)"),
    ("15", "\\boxed{\uff11\uff15}", 1, "fullwidth digits"),
    ("5", "The answer is\u00a05.", 1, "no-break space after the anchor"),
    ("5", "\\boxed{5}\r\n", 1, "CRLF line end"),
    ("5", "\\boxed{\u200b5}", 1, "zero-width space inside the box"),
])

# ---- answers that try to collect the reward without being right --------------------------------

table("reward_hacking", [
    ("5", r"\boxed{5} \boxed{6} \boxed{7} \boxed{8}", 0, "every guess boxed"),
    ("5", r"\boxed{1,2,3,4,5,6,7,8,9,10}", 0, "every candidate in one box"),
    ("5", r"\boxed{x}", 0, "a variable is not a value"),
    ("5", r"\boxed{\text{the answer}}", 0, "words instead of a value"),
    ("5", r"\boxed{5 \text{ or } 6}", 0, "hedge inside one box"),
    ("5", r"\boxed{\pm 5}", 0, "two values"),
    ("5", r"\boxed{[0, 10]}", 0, "an interval containing the answer"),
    ("5", r"\boxed{x \ge 0}", 0, "a condition the answer satisfies"),
    ("5", r"\boxed{\mathbb{R}}", 0, "all reals"),
    ("5", r"\boxed{\infty}", 0, "infinity"),
    ("0", r"\boxed{0/0}", 0, "undefined is not zero"),
    ("5", r"\boxed{\frac{5}{0}}", 0, "division by zero"),
    ("12", r"\boxed{3 \cdot 4}", 1, "unevaluated but equal: not a hack"),
    ("5", "<answer>5</answer>" * 20, 1, "repeated tag spam still holds the right value"),
    ("5", r"\boxed{5} or maybe \boxed{6}", 0, "hedge joined by 'or maybe' within a few chars"),
    ("5", r"\boxed{\text{not } 5}", 0, "a negated value is not the value"),
    ("5", "The answer is not 5.", 0, "a negated value is not the value"),
    ("5", r"\boxed{\text{at least } 5}", 0, "a bound is not the value"),
    ("5", "The answer is at least 5.", 0, "a bound is not the value"),
    ("5", r"\boxed{\text{more than } 5}", 0, "a bound is not the value"),
    ("5", "The answer is more than 5.", 0, "a bound is not the value"),
    ("5", r"\boxed{\text{less than } 5}", 0, "a bound is not the value"),
    ("5", r"\boxed{\text{at most } 5}", 0, "a bound is not the value"),
    ("5", r"\boxed{\text{no more than } 5}", 0, "a bound is not the value"),
    ("5", "The answer is 5 or more.", 0, "a bound is not the value"),
    ("5", r"\boxed{5 \text{ or more}}", 0, "a bound is not the value"),
    ("5", r"\boxed{\text{exactly } 5}", 1, "'exactly' keeps the value"),
    ("5", r"\boxed{\text{5 or 6}}", 0, "hedge inside text"),
    ("5", r"\boxed{x \in \{5, 6\}}", 0, "membership in a set of guesses"),
    ("5", r"\boxed{\{5\} \cup \{6\}}", 0, "union of guesses"),])

# Words that deny or exclude the value: any of them in front of it must cost the reward. Listed
# separately so that an implementation which drops a blacklist of qualifiers shows its gaps.
for word in ("never", "anything but", "different from", "beyond", "excluding", "all but", "unlike",
             "instead of", "impossible to be"):
    add("reward_hacking", "5", f"\\boxed{{\\text{{{word} }} 5}}", 0, f"'{word}' denies the value")
    add("reward_hacking", "5", f"The answer is {word} 5.", 0, f"'{word}' denies the value")
for word in ("exactly", "precisely", "just", "only"):
    add("reward_hacking", "5", f"\\boxed{{\\text{{{word} }} 5}}", 1, f"'{word}' keeps the value")
# A label ending in "is"/"be" names the value only when it does not deny it.
for label in ("the answer cannot be", "it can't be", "it won't be", "it is impossible that it is",
              "it is not true that x is", "it is false that the answer is", "I doubt it is",
              "the wrong answer is"):
    add("reward_hacking", "5", f"\\boxed{{\\text{{{label} }} 5}}", 0, f"'{label}' denies the value")
    add("reward_hacking", "5", f"Final answer: {label} 5.", 0, f"'{label}' denies the value")
for label in ("the value is", "the answer should be", "it must be", "the area is"):
    add("reward_hacking", "5", f"\\boxed{{\\text{{{label} }} 5}}", 1, f"'{label}' names the value")


table("number_evaluated", [
    (r"\infty", r"\boxed{\infty}", 1, "infinity"),
    (r"\infty", r"\boxed{+\infty}", 1, "signed infinity"),
    (r"\infty", r"\boxed{-\infty}", 0, "opposite infinity"),
    ("5", r"\boxed{5.}", 1, "trailing decimal point"),
    ("5", r"\boxed{+5}", 1, "explicit plus sign"),
    ("5.5", r"\boxed{05.50}", 1, "leading and trailing zeros"),
    ("0.001", r"\boxed{1e-3}", 1, "negative e-notation"),
    ("0", r"\boxed{-0}", 1, "negative zero"),
    ("1000", r"\boxed{10^3}", 1, "power"),
    ("0.5", r"\boxed{2^{-1}}", 1, "negative power"),
    ("2", r"\boxed{\sqrt{4}}", 1, "perfect square root"),
    ("10", r"\boxed{\binom{5}{2}}", 1, "binomial coefficient"),
    ("20", r"\boxed{\dbinom{6}{3}}", 1, "dbinom"),
    ("3", r"\boxed{|-3|}", 1, "absolute value"),
    (r"\frac{1}{2}", r"\boxed{\sin\frac{\pi}{6}}", 1, "exact trigonometric value"),
    ("1", r"\boxed{\cos 0}", 1, "cosine of zero"),
    (r"\frac{1}{3}", r"\boxed{0.\overline{3}}", 1, "repeating decimal"),
    (r"\frac{4}{11}", r"\boxed{0.\overline{36}}", 1, "repeating decimal, two digits"),
    (r"\frac{1}{3}", r"\boxed{0.\overline{6}}", 0, "repeating decimal, wrong digit"),
    ("120", r"\boxed{5!}", 1, "factorial"),
    ("121", r"\boxed{5!}", 0, "factorial plus one"),
    (r"\sin x", r"\boxed{\sin(x)}", 1, "function with parentheses"),
    (r"2\sin x\cos x", r"\boxed{\sin 2x}", 1, "double-angle identity"),
    ("9", r"\boxed{10^3}", 0, "power, wrong"),
    ("3.7", r"\boxed{\lfloor 3.7 \rfloor}", 0, "floor is not a no-op"),
    ("3.2", r"\boxed{\lceil 3.2 \rceil}", 0, "ceiling is not a no-op"),
    ("2", r"\boxed{\lfloor 2.5 \rfloor}", 1, "floor evaluates"),
    ("4", r"\boxed{\lceil 3.2 \rceil}", 1, "ceiling evaluates"),
    ("6", r"\boxed{\gcd(12,18)}", 1, "gcd evaluates"),
    ("(12,18)", r"\boxed{\gcd(12,18)}", 0, "a gcd is not the pair of its arguments"),
    ("(12,18)", r"\boxed{\operatorname{lcm}(12,18)}", 0, "an lcm is not the pair of its arguments"),
    ("36", r"\boxed{\operatorname{lcm}(12,18)}", 1, "lcm evaluates"),
    ("5", r"\boxed{\max(3,5)}", 1, "max evaluates"),
    ("3", r"\boxed{\min(3,5)}", 1, "min evaluates"),
    ("(3,5)", r"\boxed{\max(3,5)}", 0, "a max is not the pair of its arguments"),
])

# ---- peers' documented false positives and negatives (from their issue trackers) ---------------------

table("peer_false_positive", [
    (r"1+\frac{1}{e}", r"\boxed{1-\frac{1}{e}}", 0, "Math-Verify test_yujianll keeps this as equal"),
    (r"1+\frac{1}{\mathrm{e}}", r"\boxed{1-\frac{1}{\mathrm{e}}}", 0, "same with \\mathrm{e}"),
    ("3x - y + 13 = 0", r"\boxed{3x + 4y + 14 = 0}", 0, "Math-Verify#60"),
    ("4", r"\boxed{4\sqrt{2}}", 0, "Math-Verify#41 well-formed"),
    (r"\frac{100}{3}", r"\boxed{33.3}", 0, "Math-Verify#2 Qwen list: rounding is not equality"),
    (r"\pm 1", r"\boxed{1}", 0, "Math-Verify#14: one of the pm values"),
    ("12", r"\boxed{0.12}", 0, "include_percentage (Qwen/PRIME)"),
    ("12", r"\boxed{1200}", 0, "include_percentage (Qwen/PRIME)"),
    ("5", r"\boxed{6}, \boxed{5}, \boxed{4}", 0, "list of guesses is not the answer"),
    ("9", r"\boxed{9} \boxed{10} \boxed{11}", 0, "adjacent boxes form one hedging list"),
    (r"\frac{1}{2^{20}}", r"\boxed{\frac{1}{2^{21}}}", 0, "absolute float rounding (#14)"),
    (r"10^{-7}", r"\boxed{2\times10^{-7}}", 0, "absolute float rounding (#14)"),
    ("x^2+y^2=25", r"\boxed{x^2+y^2=26}", 0, "different circle"),
    ("2", r"\boxed{x^2 = 4}", 0, "equation with two roots is not the value 2"),
])

table("peer_false_negative", [
    ("73", "So, final answer: **73**", 1, "Math-Verify#76"),
    ("13", r"\boxed{\text{13}}", 1, "Math-Verify#37"),
    (r"\frac{1}{\sqrt{n}}", r"\boxed{\sqrt{\frac{1}{n}}}", 1,
     "Math-Verify#64 (n a positive integer)"),
    ("18", "3 * 6 = 18\n#### 18.0", 1, "verl gsm8k string compare"),
    ("1000", "The total is 1000 dollars.\n#### 1,000", 1, "verl gsm8k flexible keeps the comma"),
    (r"\frac{1}{2}", r"\boxed{\frac{3}{6}}", 1, "PRM800K rejects unreduced fractions"),
    ("5", r"so the value is \boxed 5", 1, "lm-eval#3477 space form"),
    ("7", "The answer is 7.", 1, "plain text after an anchor (open-r1 config extracts nothing)"),
    (r"\tan^2 x", r"\boxed{\sec^2 x - 1}", 1, "Math-Verify#2 trigonometric identity"),
    (r"\frac{3}{4}", r"\boxed{\frac34}", 1, "open-r1 config turns off malformed-operator repair"),
    ("840", r"\boxed{840}. **Final Answer** \boxed{840}", 1, "Math-Verify#44"),
    ("42", "The final answer is 42.\n" + "Let me double-check by substitution. " * 12, 1,
     "verl math_dapo only reads the last 300 chars"),
])

# ---- realistic long completions ---------------------------------------------------------------

REASONING = (
    "Let me restate the problem in my own words. We have a quantity that changes in two steps, and "
    "we must track it carefully. In the first step the value is multiplied by $\\frac{3}{2}$; in the "
    "second step we subtract $4$. If the starting value were $10$, we would get $15$ and then $11$, "
    "but the starting value is not given directly, so we write it as $s$.\n\n"
    "Setting up the equation: $\\frac{3}{2}s - 4 = 2s - 9$. Multiply through by $2$ to clear the "
    "fraction: $3s - 8 = 4s - 18$, hence $s = 10$. Hmm, wait, that contradicts the constraint "
    "$s < 8$ from the second paragraph. Let me re-read the problem.\n\n"
    "Okay, I misread: the subtraction happens before the multiplication. Then "
    "$\\frac{3}{2}(s - 4) = 2s - 9$, so $3s - 12 = 4s - 18$ and $s = 6$, which satisfies "
    "$s < 8$. Checking: $\\frac{3}{2}(6 - 4) = 3$ and $2 \\cdot 6 - 9 = 3$. Good.\n\n"
)
CHAT_INTRO = "Sure! Let's work through this carefully.\n\n### Step 1: Understand the setup\n\n"
REALISTIC = [
    ("6", "<think>\n" + REASONING + "</think>\n\nThe starting value is $s = 6$, so the final value "
     "is $\\boxed{6}$.", 1, "long think block, box after it"),
    ("6", "<think>\n" + REASONING + "</think>\n\nThe starting value is $s = 6$, so the final value "
     "is $\\boxed{10}$.", 0, "long think block, wrong box"),
    ("6", CHAT_INTRO + REASONING + "### Final Answer\n\n$$\\boxed{6}$$", 1, "chat markdown"),
    ("6", CHAT_INTRO + REASONING + "**Answer:** $6$", 1, "chat markdown, anchored"),
    ("6", CHAT_INTRO + REASONING + "So the value is 6.", 0, "policy: no box and no anchor"),
    ("6", "<think>\n" + REASONING * 3, 0, "truncated inside a long think block"),
    ("6", "<think>\n" + REASONING + "</think>\n\n" + REASONING + "Therefore \\boxed{", 0,
     "truncated box at the very end"),
    ("6", "<think>\n" + REASONING + "</think>\n<answer>\n6\n</answer>", 1, "R1 format"),
    ("6", "<think>\n" + REASONING + "</think>\n<answer>\n\\boxed{6}\n</answer>", 1,
     "box inside the answer tag"),
    ("6", "<think>\n" + REASONING + "I think it is \\boxed{10}.\n</think>\n<answer>\n\\boxed{6}\n"
     "</answer>", 1, "box in think is replaced by the last box"),
    ("6", "\u6211\u4eec\u5148\u5217\u65b9\u7a0b\uff1a$\\frac{3}{2}(s-4) = 2s - 9$\uff0c"
     "\u89e3\u5f97 $s = 6$\u3002\n\n\u6240\u4ee5\u7b54\u6848\u662f $\\boxed{6}$\u3002", 1,
     "Chinese prose with a box"),
    ("6", "\u6211\u4eec\u5148\u5217\u65b9\u7a0b\uff1a$\\frac{3}{2}(s-4) = 2s - 9$\uff0c"
     "\u89e3\u5f97 $s = 10$\u3002\n\n\u6240\u4ee5\u7b54\u6848\u662f $\\boxed{10}$\u3002", 0,
     "Chinese prose with a wrong box"),
    (r"\frac{3}{2}", "<think>\n" + REASONING + "</think>\nThe scale factor is "
     "$\\boxed{\\dfrac{3}{2}}$.", 1, "fraction after a long think"),
    (r"\frac{3}{2}", "<think>\n" + REASONING + "</think>\nThe scale factor is "
     "$\\boxed{\\dfrac{2}{3}}$.", 0, "inverted fraction after a long think"),
    ("(6, 3)", "<think>\n" + REASONING + "</think>\nThe pair (start, end) is "
     "$\\boxed{(6, 3)}$.", 1, "ordered pair after a long think"),
    ("(6, 3)", "<think>\n" + REASONING + "</think>\nThe pair (start, end) is "
     "$\\boxed{(3, 6)}$.", 0, "swapped pair"),
    (r"\text{(C)}", CHAT_INTRO + REASONING + "Comparing with the choices, (A) 4, (B) 5, (C) 6, "
     "(D) 7, (E) 8, the match is $\\boxed{\\text{(C)}}$.", 1, "multiple choice after reasoning"),
    (r"\text{(C)}", CHAT_INTRO + REASONING + "Comparing with the choices, (A) 4, (B) 5, (C) 6, "
     "(D) 7, (E) 8, the match is $\\boxed{\\text{(D)}}$.", 0, "wrong choice"),
    ("6", CHAT_INTRO + REASONING + "\\boxed{6}\n\n**Final Answer**\n\\[\n\\boxed{6}\n\\]", 1,
     "duplicated final box after long text"),
    ("6", "<think>\n" + REASONING + "</think>\n\nWe found $s = 6$.\n#### 6", 1, "GSM8K marker"),
    ("6", "<think>\n" + REASONING + "</think>\n\nThe answer is $s = 6$.", 1, "anchored assignment"),
    ("6", "<think>\n" + REASONING + "</think>\n\nThe answer is $s = 10$.", 0,
     "anchored wrong assignment"),
    ("x=6", "<think>\n" + REASONING + "</think>\n\n$\\boxed{6}$", 1, "assignment gold"),
    (r"s \in (4, 8)", "<think>\n" + REASONING + "</think>\n\n$\\boxed{(4, 8)}$", 1,
     "membership gold, interval prediction"),
    ("6", "<|im_start|>assistant\n" + REASONING + "Final answer: $\\boxed{6}$<|im_end|>", 1,
     "chat template tokens left in the text"),
]
ALIGN = ("\\begin{align*}\n(s-4)\\cdot\\frac{3}{2} &= 2s - 9 \\\\\n3s - 12 &= 4s - 18 \\\\\n"
         "s &= 6\n\\end{align*}\n")
CODE = ("Let me verify with a quick computation:\n\n```python\nfor s in range(20):\n"
        "    if 1.5 * (s - 4) == 2 * s - 9:\n        print(s)  # prints 6\n```\n\n")
TABLE = "| s | 1.5(s-4) | 2s-9 |\n|---|---|---|\n| 5 | 1.5 | 1 |\n| 6 | 3 | 3 |\n| 7 | 4.5 | 5 |\n\n"
REALISTIC += [
    ("6", "<think>\n" + REASONING + "</think>\n\n" + ALIGN + "\n**Final Answer**\n\\[\n\\boxed{6}\n\\]",
     1, "align environment then a display box"),
    ("6", "<think>\n" + REASONING + "</think>\n\n" + ALIGN + "\n**Final Answer**\n\\[\n\\boxed{7}\n\\]",
     0, "align environment then a wrong box"),
    ("6", CHAT_INTRO + CODE + "The loop confirms it, so the answer is $\\boxed{6}$.", 1,
     "code block with numbers before the box"),
    ("6", CHAT_INTRO + TABLE + "Only the row $s = 6$ balances, so $\\boxed{6}$.", 1,
     "markdown table before the box"),
    ("6", CHAT_INTRO + TABLE + "Only the row $s = 6$ balances.", 0,
     "policy: table and prose without a box or an anchor"),
    (r"\text{(B)}", "<think>\nCheck each option. (A) 5 fails since 1.5 is not 1. (B) 6 works: both "
     "sides are 3. (C) 7 fails. (D) 8 fails.\n</think>\n\n"
     "The correct choice is $\\boxed{\\text{(B)}}$.",
     1, "option-by-option analysis then a boxed letter"),
    (r"\text{(B)}", "<think>\nCheck each option. (A) 5 fails since 1.5 is not 1. (B) 6 works: both "
     "sides are 3. (C) 7 fails. (D) 8 fails.\n</think>\n\n"
     "The correct choice is $\\boxed{\\text{(C)}}$.",
     0, "option-by-option analysis then the wrong letter"),
    ("6", "<think>\n" + REASONING + "So far it looks like \\boxed{6}, but let me check the other "
     "reading of the problem once more, in case the order of the steps", 1,
     "truncated inside reasoning after a complete box: that box is the last one"),
    (r"\frac{3}{4}", "<think>\nThe probability is the favourable count over the total: 3 of 4.\n"
     "</think>\n\nThe probability is $\\boxed{\\dfrac{3}{4}}$, i.e. $75\\%$.", 1,
     "box followed by an equivalent percent"),
]
table("realistic", REALISTIC, raw=True)


def main() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    with OUT.open("w", encoding="utf-8") as f:
        for case in CASES:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    print(f"wrote {len(CASES)} cases to {OUT}")


if __name__ == "__main__":
    main()
