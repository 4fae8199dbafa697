#!/usr/bin/env python3
"""Generate grpo_c/data/sample_rollouts.jsonl, the bundled default input of ``python -m grpo_c score``.

Each row is a synthetic GRPO rollout written by this script: a math prompt, one sampled completion,
the gold answer as a dataset would store it, and the id of the group of completions that share the
prompt. Problems come from templates filled with seeded random numbers; completions are assembled
from the problem's own worked steps (correct, or with a typical mistake) in the shapes R1-style
policies really produce: clean, differently spelled answers, mixed-language, fully Chinese,
truncated, looping, untagged, tags out of order, trailing junk, code blocks, very short, long.

Stance: byte-for-byte reproducible. Every group draws from its own ``random.Random`` seeded with a
string (stable across Python versions and PYTHONHASHSEED), nothing iterates over a set, and the
file is written as UTF-8 with ``\\n`` line ends. The generator also knows the verdict each
completion was built to get under the verdict policy of docs/math.md (``--labels``).

    python benchmarks/make_sample_rollouts.py                  # rewrite the data file
    python benchmarks/make_sample_rollouts.py --check          # exit 1 if the file differs
    python benchmarks/make_sample_rollouts.py --stats          # counts per category (markdown)
    python benchmarks/make_sample_rollouts.py --labels L.jsonl # intended accuracy verdict per row
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

SEED = "grpo_c-sample-rollouts-v1"
ROOT = Path(__file__).resolve().parent.parent
OUT_PATH = ROOT / "grpo_c" / "data" / "sample_rollouts.jsonl"


# --------------------------------------------------------------------------------------------
# Number and LaTeX spelling
# --------------------------------------------------------------------------------------------

def frac_tex(q) -> str:
    q = Fraction(q)
    if q.denominator == 1:
        return str(q.numerator)
    sign = "-" if q < 0 else ""
    return f"{sign}\\frac{{{abs(q.numerator)}}}{{{q.denominator}}}"


def is_terminating(q) -> bool:
    d = Fraction(q).denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def num_plain(q) -> str:
    """An exact plain-text spelling: integer, terminating decimal, or a/b."""
    q = Fraction(q)
    if q.denominator == 1:
        return str(q.numerator)
    if is_terminating(q):
        return format(Decimal(q.numerator) / Decimal(q.denominator), "f")
    return f"{q.numerator}/{q.denominator}"


def num_tex(q) -> str:
    """Integer or terminating decimal as is, otherwise a LaTeX fraction."""
    q = Fraction(q)
    return num_plain(q) if is_terminating(q) else frac_tex(q)


def inline(a: str) -> str:
    """Wrap an answer in $...$ when it holds LaTeX, as models do in running text."""
    return f"${a}$" if any(c in a for c in "\\^_{") else a


def poly_tex(coefs: dict, var: str = "x") -> str:
    terms = []
    for power in sorted(coefs, reverse=True):
        c = coefs[power]
        if c == 0:
            continue
        mag = abs(c)
        if power == 0:
            body = str(mag)
        else:
            body = ("" if mag == 1 else str(mag)) + var + ("" if power == 1 else f"^{power}")
        if not terms:
            terms.append(("-" if c < 0 else "") + body)
        else:
            terms.append((" - " if c < 0 else " + ") + body)
    return "".join(terms) or "0"


def poly_py(coefs: dict, var: str = "x") -> str:
    """The same polynomial as sympy prints it (x**2 - x - 6)."""
    terms = []
    for power in sorted(coefs, reverse=True):
        c = coefs[power]
        if c == 0:
            continue
        mag = abs(c)
        if power == 0:
            body = str(mag)
        else:
            body = ("" if mag == 1 else f"{mag}*") + var + ("" if power == 1 else f"**{power}")
        if not terms:
            terms.append(("-" if c < 0 else "") + body)
        else:
            terms.append((" - " if c < 0 else " + ") + body)
    return "".join(terms) or "0"


def poly_reversed_tex(coefs: dict, var: str = "x") -> str:
    """Ascending order: the same polynomial spelled the other way round."""
    asc = {p: coefs[p] for p in sorted(coefs)}
    terms = []
    for power, c in asc.items():
        if c == 0:
            continue
        mag = abs(c)
        body = str(mag) if power == 0 else ("" if mag == 1 else str(mag)) + var + ("" if power == 1 else f"^{power}")
        terms.append((("-" if c < 0 else "") if not terms else (" - " if c < 0 else " + ")) + body)
    return "".join(terms)


def signed(n: int) -> str:
    """'+ 5' or '- 5' for writing a term after another."""
    return f"+ {n}" if n >= 0 else f"- {-n}"


def interval_tex(lo, hi, lo_closed: bool, hi_closed: bool) -> str:
    left = "-\\infty" if lo is None else frac_tex(lo)
    right = "\\infty" if hi is None else frac_tex(hi)
    return ("[" if lo_closed else "(") + f"{left}, {right}" + ("]" if hi_closed else ")")


NAMES = ["Maya", "Liam", "Priya", "Carlos", "Aisha", "Noah", "Mei", "Jonas", "Fatima", "Diego",
         "Sofia", "Kenji", "Amara", "Lucas", "Hana", "Omar"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DAYS_ZH = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"]


@dataclass
class Problem:
    family: str
    prompt: str                 # the question; the group wraps it in an instruction style
    solution: str               # gold as the dataset stores it
    answer: str                 # canonical answer as a completion would box it
    alt_answers: list           # other spellings equal to the gold under the verdict policy
    steps: list                 # [(english, chinese)] correct worked steps
    wrong: list                 # [([english steps], wrong answer)] typical mistakes
    code: tuple = None          # (python source, printed output) that computes the answer
    check: list = field(default_factory=list)  # English sentences that verify the answer


# --------------------------------------------------------------------------------------------
# GSM8K-style word problems: integer answers, golds in GSM8K "#### n" style or plain
# --------------------------------------------------------------------------------------------

def gsm_cookies(rng, name):
    a, b = rng.randint(3, 8), rng.choice([12, 15, 18, 20, 24])
    total = a * b
    c, d = rng.randint(total // 3, total // 2), rng.randint(3, 12)
    ans = total - c - d
    prompt = (f"{name} bakes {a} trays of cookies with {b} cookies on each tray. {name} sells {c} "
              f"cookies at the school fair and gives {d} cookies to the neighbours. How many cookies "
              f"does {name} have left?")
    steps = [(f"{name} bakes {a} × {b} = {total} cookies in total.",
              f"{name} 一共烤了 {a} × {b} = {total} 块饼干。"),
             (f"After selling {c}, there are {total} - {c} = {total - c} cookies left.",
              f"卖掉 {c} 块以后，还剩 {total} - {c} = {total - c} 块。"),
             (f"Giving {d} to the neighbours leaves {total - c} - {d} = {ans} cookies.",
              f"再送给邻居 {d} 块，剩下 {total - c} - {d} = {ans} 块。")]
    calc = [f"{name} bakes {a}*{b} = <<{a}*{b}={total}>>{total} cookies.",
            f"After the fair {name} has {total}-{c} = <<{total}-{c}={total - c}>>{total - c} cookies.",
            f"After the gift {name} has {total - c}-{d} = <<{total - c}-{d}={ans}>>{ans} cookies left."]
    wrong = [([steps[0][0], steps[1][0], f"So {name} has {total - c} cookies left."], total - c),
             ([steps[0][0], steps[1][0],
               f"Then {name} gets {d} more, so {total - c} + {d} = {total - c + d}."], total - c + d),
             ([f"{name} bakes {a} × {b} = {total + b} cookies in total.",
               f"Then {total + b} - {c} - {d} = {total + b - c - d}."], total + b - c - d)]
    code = f"total = {a} * {b}\nleft = total - {c} - {d}\nprint(left)"
    check = [f"Check: {ans} + {d} + {c} = {total}, and {a} × {b} = {total}. Consistent."]
    return prompt, steps, calc, ans, wrong, code, check, None


def gsm_savings(rng, name):
    a, n = rng.randint(5, 25), rng.randint(6, 15)
    saved = a * n
    s, g = rng.randint(saved // 4, saved // 2), rng.choice([10, 15, 20, 25, 30, 40, 50])
    ans = saved - s + g
    prompt = (f"{name} saves ${a} every week for {n} weeks. Then {name} spends ${s} on a birthday "
              f"present for a friend and receives ${g} from a grandmother. How many dollars does "
              f"{name} have now?")
    steps = [(f"In {n} weeks {name} saves {a} × {n} = ${saved}.",
              f"{n} 周一共存了 {a} × {n} = {saved} 美元。"),
             (f"After buying the present: {saved} - {s} = ${saved - s}.",
              f"买礼物花掉 {s} 美元，还剩 {saved} - {s} = {saved - s} 美元。"),
             (f"Adding the ${g} gift: {saved - s} + {g} = ${ans}.",
              f"再加上奶奶给的 {g} 美元：{saved - s} + {g} = {ans} 美元。")]
    calc = [f"{name} saves {a}*{n} = $<<{a}*{n}={saved}>>{saved}.",
            f"After the present {name} has {saved}-{s} = $<<{saved}-{s}={saved - s}>>{saved - s}.",
            f"With the gift {name} has {saved - s}+{g} = $<<{saved - s}+{g}={ans}>>{ans}."]
    wrong = [([steps[0][0], steps[1][0], f"So {name} has ${saved - s}."], saved - s),
             ([steps[0][0], f"Subtract the present and the gift: {saved} - {s} - {g} = {saved - s - g}."],
              saved - s - g),
             ([f"{name} saves {a} + {n} = {a + n} dollars.",
               f"Then {a + n} - {s} + {g} = {a + n - s + g}."], a + n - s + g)]
    code = f"money = {a} * {n} - {s} + {g}\nprint(money)"
    check = [f"Check: {ans} - {g} + {s} = {saved} = {a} × {n}. Good."]
    return prompt, steps, calc, ans, wrong, code, check, "$"


def gsm_trip(rng, name):
    v1, v2 = rng.choice([40, 45, 50, 55, 60, 65]), rng.choice([50, 55, 60, 70, 75])
    t1 = rng.randint(2, 4)
    t2 = rng.choice([t for t in (1, 2, 3) if t != t1])
    d1, d2 = v1 * t1, v2 * t2
    ans = d1 + d2
    prompt = (f"{name} drives at {v1} miles per hour for {t1} hours, then at {v2} miles per hour for "
              f"{t2} hours. How many miles does {name} drive in total?")
    steps = [(f"First part: {v1} × {t1} = {d1} miles.", f"第一段：{v1} × {t1} = {d1} 英里。"),
             (f"Second part: {v2} × {t2} = {d2} miles.", f"第二段：{v2} × {t2} = {d2} 英里。"),
             (f"Total distance: {d1} + {d2} = {ans} miles.", f"总路程：{d1} + {d2} = {ans} 英里。")]
    calc = [f"The first part is {v1}*{t1} = <<{v1}*{t1}={d1}>>{d1} miles.",
            f"The second part is {v2}*{t2} = <<{v2}*{t2}={d2}>>{d2} miles.",
            f"In total {d1}+{d2} = <<{d1}+{d2}={ans}>>{ans} miles."]
    avg = Fraction(v1 + v2, 2)
    wrong = [([f"The average speed is ({v1} + {v2}) / 2 = {num_plain(avg)} mph.",
               f"Total time is {t1} + {t2} = {t1 + t2} hours.",
               f"Distance = {num_plain(avg)} × {t1 + t2} = {num_plain(avg * (t1 + t2))} miles."],
              avg * (t1 + t2)),
             ([steps[0][0], f"Second part: {v2} × {t1} = {v2 * t1} miles.",
               f"Total: {d1} + {v2 * t1} = {d1 + v2 * t1} miles."], d1 + v2 * t1)]
    code = f"distance = {v1} * {t1} + {v2} * {t2}\nprint(distance)"
    check = [f"Check: {ans} - {d2} = {d1} and {d1} / {t1} = {v1}. Consistent."]
    return prompt, steps, calc, ans, wrong, code, check, "miles"


def gsm_bracelets(rng, name):
    n = 2 * rng.randint(15, 45)
    ans = n + n // 2
    prompt = (f"{name} sold {n} bracelets in April and half as many bracelets in May. How many "
              f"bracelets did {name} sell altogether in April and May?")
    steps = [(f"In May {name} sold {n} / 2 = {n // 2} bracelets.", f"五月卖了 {n} ÷ 2 = {n // 2} 个手链。"),
             (f"Altogether: {n} + {n // 2} = {ans}.", f"四月和五月一共卖了 {n} + {n // 2} = {ans} 个。")]
    calc = [f"{name} sold {n}/2 = <<{n}/2={n // 2}>>{n // 2} bracelets in May.",
            f"{name} sold {n}+{n // 2} = <<{n}+{n // 2}={ans}>>{ans} bracelets in April and May."]
    wrong = [([steps[0][0], f"So the answer is {n // 2}."], n // 2),
             ([f"In May {name} sold {n} × 2 = {2 * n} bracelets.",
               f"Altogether: {n} + {2 * n} = {3 * n}."], 3 * n)]
    code = f"april = {n}\nmay = april // 2\nprint(april + may)"
    check = [f"Check: {ans} - {n} = {n // 2}, which is half of {n}."]
    return prompt, steps, calc, ans, wrong, code, check, None


def gsm_change(rng, name):
    a, p = rng.randint(2, 6), rng.randint(2, 6)
    b, q = rng.randint(2, 5), rng.randint(1, 3)
    cost = a * p + b * q
    bill = 50 if cost < 45 else 100
    ans = bill - cost
    prompt = (f"{name} buys {a} notebooks that cost ${p} each and {b} pens that cost ${q} each. "
              f"{name} pays with a ${bill} bill. How much change, in dollars, does {name} get?")
    steps = [(f"Notebooks: {a} × {p} = ${a * p}.", f"笔记本：{a} × {p} = {a * p} 美元。"),
             (f"Pens: {b} × {q} = ${b * q}.", f"笔：{b} × {q} = {b * q} 美元。"),
             (f"Total cost: {a * p} + {b * q} = ${cost}.", f"总共花费 {a * p} + {b * q} = {cost} 美元。"),
             (f"Change: {bill} - {cost} = ${ans}.", f"找零：{bill} - {cost} = {ans} 美元。")]
    calc = [f"The notebooks cost {a}*{p} = $<<{a}*{p}={a * p}>>{a * p}.",
            f"The pens cost {b}*{q} = $<<{b}*{q}={b * q}>>{b * q}.",
            f"The change is {bill}-{a * p}-{b * q} = $<<{bill}-{a * p}-{b * q}={ans}>>{ans}."]
    wrong = [([steps[0][0], f"Change: {bill} - {a * p} = ${bill - a * p}."], bill - a * p),
             ([steps[0][0], steps[1][0], steps[2][0], f"So {name} pays ${cost}."], cost),
             ([f"Notebooks: {a} × {p} = ${a * p}.", f"Pens: {b} × {q} = ${b * q + q}.",
               f"Change: {bill} - {a * p} - {b * q + q} = {bill - cost - q}."], bill - cost - q)]
    code = f"cost = {a} * {p} + {b} * {q}\nprint({bill} - cost)"
    check = [f"Check: {cost} + {ans} = {bill}. Correct."]
    return prompt, steps, calc, ans, wrong, code, check, "$"


def gsm_pages(rng, name):
    r, d = rng.randint(10, 30), rng.randint(3, 7)
    k, m = rng.randint(2, 6), rng.randint(15, 45)
    total = r * d + k * m
    prompt = (f"A book has {total} pages. {name} reads {r} pages a day for {d} days, and then wants "
              f"to finish the rest of the book in {k} days, reading the same number of pages each "
              f"day. How many pages a day must {name} read?")
    read = r * d
    steps = [(f"In {d} days {name} reads {r} × {d} = {read} pages.", f"前 {d} 天读了 {r} × {d} = {read} 页。"),
             (f"Pages left: {total} - {read} = {total - read}.", f"还剩 {total} - {read} = {total - read} 页。"),
             (f"Per day: {total - read} / {k} = {m} pages.", f"每天要读 {total - read} ÷ {k} = {m} 页。")]
    calc = [f"{name} reads {r}*{d} = <<{r}*{d}={read}>>{read} pages first.",
            f"{total}-{read} = <<{total}-{read}={total - read}>>{total - read} pages remain.",
            f"{name} must read {total - read}/{k} = <<{total - read}/{k}={m}>>{m} pages a day."]
    w1 = Fraction(total, d + k)
    w2 = Fraction(total - r, k)
    wrong = [([f"Total days: {d} + {k} = {d + k}.", f"Pages per day: {total} / {d + k} = {num_plain(w1)}."], w1),
             ([f"After the first day there are {total} - {r} = {total - r} pages left.",
               f"Per day: {total - r} / {k} = {num_plain(w2)}."], w2)]
    code = f"left = {total} - {r} * {d}\nprint(left // {k}, left % {k})"
    return prompt, steps, calc, m, wrong, (code, f"{m} 0"), [f"Check: {read} + {k} × {m} = {total}."], None


def gsm_wages(rng, name):
    h, e, w = rng.randint(12, 25), rng.randint(4, 8), rng.randint(2, 4)
    week = h * e * 5
    ans = week * w
    prompt = (f"{name} earns ${h} an hour and works {e} hours a day, 5 days a week. How much does "
              f"{name} earn in {w} weeks?")
    steps = [(f"Per day: {h} × {e} = ${h * e}.", f"每天挣 {h} × {e} = {h * e} 美元。"),
             (f"Per week: {h * e} × 5 = ${week}.", f"每周挣 {h * e} × 5 = {week} 美元。"),
             (f"In {w} weeks: {week} × {w} = ${ans}.", f"{w} 周一共挣 {week} × {w} = {ans} 美元。")]
    calc = [f"{name} earns {h}*{e} = $<<{h}*{e}={h * e}>>{h * e} a day.",
            f"{name} earns {h * e}*5 = $<<{h * e}*5={week}>>{week} a week.",
            f"In {w} weeks that is {week}*{w} = $<<{week}*{w}={ans}>>{ans}."]
    wrong = [([steps[0][0], f"A week has 7 days: {h * e} × 7 = ${h * e * 7}.",
               f"In {w} weeks: {h * e * 7} × {w} = ${h * e * 7 * w}."], h * e * 7 * w),
             ([steps[0][0], f"In {w} weeks: {h * e} × {w} = ${h * e * w}."], h * e * w)]
    code = f"pay = {h} * {e} * 5 * {w}\nprint(pay)"
    check = [f"Check: {ans} / {w} / 5 / {e} = {h}, the hourly rate."]
    return prompt, steps, calc, ans, wrong, code, check, "$"


def gsm_ages(rng, name):
    a, b, k = rng.randint(8, 15), rng.randint(2, 5), rng.randint(3, 4)
    sis, dad = a - b, k * a
    ans = a + sis + dad
    prompt = (f"{name} is {a} years old. {name}'s sister is {b} years younger, and their father is "
              f"{k} times as old as {name}. What is the sum of their three ages?")
    steps = [(f"Sister: {a} - {b} = {sis}.", f"妹妹的年龄：{a} - {b} = {sis} 岁。"),
             (f"Father: {k} × {a} = {dad}.", f"爸爸的年龄：{k} × {a} = {dad} 岁。"),
             (f"Sum: {a} + {sis} + {dad} = {ans}.", f"三人年龄之和：{a} + {sis} + {dad} = {ans}。")]
    calc = [f"The sister is {a}-{b} = <<{a}-{b}={sis}>>{sis} years old.",
            f"The father is {k}*{a} = <<{k}*{a}={dad}>>{dad} years old.",
            f"Together they are {a}+{sis}+{dad} = <<{a}+{sis}+{dad}={ans}>>{ans} years old."]
    wrong = [([f"Sister: {a} + {b} = {a + b}.", steps[1][0], f"Sum: {a} + {a + b} + {dad} = {a + a + b + dad}."],
              a + a + b + dad),
             ([steps[0][0], f"Father: {k} × {sis} = {k * sis}.", f"Sum: {a} + {sis} + {k * sis} = {a + sis + k * sis}."],
              a + sis + k * sis)]
    code = f"me = {a}\nsister = me - {b}\nfather = {k} * me\nprint(me + sister + father)"
    check = [f"Check: {dad} / {a} = {k} and {a} - {sis} = {b}."]
    return prompt, steps, calc, ans, wrong, code, check, None


def gsm_legs(rng, name):
    c, w = rng.randint(5, 30), rng.randint(3, 20)
    ans = 2 * c + 4 * w
    prompt = (f"{name}'s farm has {c} chickens and {w} cows. How many legs do the animals have "
              f"altogether?")
    steps = [(f"Chickens have 2 legs: {c} × 2 = {2 * c}.", f"鸡有 2 条腿：{c} × 2 = {2 * c}。"),
             (f"Cows have 4 legs: {w} × 4 = {4 * w}.", f"牛有 4 条腿：{w} × 4 = {4 * w}。"),
             (f"Total: {2 * c} + {4 * w} = {ans} legs.", f"一共 {2 * c} + {4 * w} = {ans} 条腿。")]
    calc = [f"The chickens have {c}*2 = <<{c}*2={2 * c}>>{2 * c} legs.",
            f"The cows have {w}*4 = <<{w}*4={4 * w}>>{4 * w} legs.",
            f"Altogether {2 * c}+{4 * w} = <<{2 * c}+{4 * w}={ans}>>{ans} legs."]
    wrong = [([f"Chickens: {c} × 4 = {4 * c}.", f"Cows: {w} × 2 = {2 * w}.", f"Total: {4 * c + 2 * w}."],
              4 * c + 2 * w),
             ([f"There are {c} + {w} = {c + w} animals.", f"Each has 2 legs, so {2 * (c + w)}."], 2 * (c + w))]
    code = f"legs = {c} * 2 + {w} * 4\nprint(legs)"
    check = [f"Check: ({ans} - {4 * w}) / 2 = {c} chickens."]
    return prompt, steps, calc, ans, wrong, code, check, None


GSM_TEMPLATES = [gsm_cookies, gsm_savings, gsm_trip, gsm_bracelets, gsm_change, gsm_pages,
                 gsm_wages, gsm_ages, gsm_legs]


def fam_gsm8k(rng, k):
    name = NAMES[k % len(NAMES)]
    prompt, steps, calc, ans, wrong, code, check, unit = GSM_TEMPLATES[k % len(GSM_TEMPLATES)](rng, name)
    style = k % 3
    if style == 0:
        solution = "\n".join(calc) + f"\n#### {ans}"
    elif style == 1:
        solution = f"#### {ans}"
    else:
        solution = str(ans)
    alts = [f"{ans}.0"]
    if ans >= 1000:
        alts.append(f"{ans:,}")
    if unit == "$":
        alts += [f"\\${ans}", f"\\${ans}.00"]
    elif unit:
        alts.append(f"{ans} \\text{{ {unit}}}")
    if isinstance(code, str):
        code = (code, str(ans))
    return Problem("gsm8k", prompt, solution, str(ans), alts, steps,
                   [(s, num_tex(v)) for s, v in wrong], code, check)


# --------------------------------------------------------------------------------------------
# Algebra: linear equations
# --------------------------------------------------------------------------------------------

def fam_linear(rng, k):
    if k % 2 == 0:
        a = rng.randint(2, 9)
        x = rng.choice([v for v in range(-9, 13) if v != 0])
        b = rng.choice([v for v in range(-20, 21) if v != 0])
        c = a * x + b
        prompt = f"Solve for $x$: ${a}x {signed(b)} = {c}$."
        move = (f"Subtract {b} from both sides" if b > 0 else f"Add {-b} to both sides")
        move_zh = (f"两边同时减去 {b}" if b > 0 else f"两边同时加上 {-b}")
        steps = [(f"{move}: {a}x = {c} {signed(-b)} = {c - b}.", f"{move_zh}：{a}x = {c - b}。"),
                 (f"Divide both sides by {a}: x = {c - b} / {a} = {x}.", f"两边同时除以 {a}：x = {x}。")]
        w1 = Fraction(c + b, a)
        wrong = [([f"Move {b} to the right: {a}x = {c} {signed(b)} = {c + b}.",
                   f"So x = {c + b} / {a} = {num_plain(w1)}."], frac_tex(w1)),
                 ([steps[0][0], f"Then x = {a} / ({c - b}) = {num_plain(Fraction(a, c - b))}."],
                  frac_tex(Fraction(a, c - b)))]
        code = (f"from sympy import symbols, solve\nx = symbols('x')\nprint(solve({a}*x {signed(b)} - {c}, x))",
                f"[{x}]")
        check = [f"Check: {a} × {x} {signed(b)} = {a * x} {signed(b)} = {c}. Correct."]
    else:
        p = rng.randint(2, 6)
        q = rng.choice([v for v in range(-8, 10) if v != 0])
        r = rng.choice([v for v in range(-5, 12) if v != q])
        x = p * (r - q)
        prompt = f"Solve for $x$: $\\frac{{x}}{{{p}}} {signed(q)} = {r}$."
        steps = [(f"First isolate the fraction: x/{p} = {r} {signed(-q)} = {r - q}.",
                  f"先把分式单独放在一边：x/{p} = {r - q}。"),
                 (f"Multiply both sides by {p}: x = {p} × {r - q} = {x}.",
                  f"两边同时乘以 {p}：x = {x}。")]
        w1 = Fraction(r - q, p)
        wrong = [([steps[0][0], f"Divide by {p}: x = {r - q} / {p} = {num_plain(w1)}."], frac_tex(w1)),
                 ([f"Multiply everything by {p}: x {signed(q)} = {p * r}.",
                   f"So x = {p * r} {signed(-q)} = {p * r - q}."], str(p * r - q))]
        code = (f"from sympy import symbols, solve, Rational\nx = symbols('x')\n"
                f"print(solve(x/{p} {signed(q)} - {r}, x))", f"[{x}]")
        check = [f"Check: {x} / {p} = {r - q}, and {r - q} {signed(q)} = {r}. Correct."]
    solution = f"x = {x}" if k % 3 == 0 else str(x)
    alts = [f"x = {x}", f"x={x}", f"{x}.0"]
    return Problem("algebra", prompt, solution, str(x), alts, steps, wrong, code, check)


# --------------------------------------------------------------------------------------------
# Fractions
# --------------------------------------------------------------------------------------------

def fam_fractions(rng, k):
    op = "+-×÷+-+"[k % 7]
    while True:
        b, d = rng.randint(2, 12), rng.randint(2, 12)
        a, c = rng.randint(1, b - 1), rng.randint(1, d - 1)
        x, y = Fraction(a, b), Fraction(c, d)
        res = {"+": x + y, "-": x - y, "×": x * y, "÷": x / y}[op]
        if b != d and res.denominator != 1 and res != 0 and x.denominator == b and y.denominator == d:
            break
    fa, fc = f"\\frac{{{a}}}{{{b}}}", f"\\frac{{{c}}}{{{d}}}"
    tex_op = {"+": "+", "-": "-", "×": "\\times", "÷": "\\div"}[op]
    prompt = f"Compute ${fa} {tex_op} {fc}$. Express your answer as a common fraction in lowest terms."
    ans = frac_tex(res)
    if op in "+-":
        L = b * d // math.gcd(b, d)
        na, nc = a * L // b, c * L // d
        raw = na + nc if op == "+" else na - nc
        steps = [(f"The least common denominator of {b} and {d} is {L}.", f"{b} 和 {d} 的最小公分母是 {L}。"),
                 (f"Rewrite: $\\frac{{{a}}}{{{b}}} = \\frac{{{na}}}{{{L}}}$ and $\\frac{{{c}}}{{{d}}} = \\frac{{{nc}}}{{{L}}}$.",
                  f"通分：$\\frac{{{a}}}{{{b}}} = \\frac{{{na}}}{{{L}}}$，$\\frac{{{c}}}{{{d}}} = \\frac{{{nc}}}{{{L}}}$。"),
                 (f"{'Adding' if op == '+' else 'Subtracting'} the numerators gives $\\frac{{{raw}}}{{{L}}}$.",
                  f"分子相{'加' if op == '+' else '减'}得到 $\\frac{{{raw}}}{{{L}}}$。")]
        w1 = Fraction(a + c if op == "+" else a - c, b + d)
        wrong = [([f"{'Add' if op == '+' else 'Subtract'} the tops and the bottoms: "
                   f"$\\frac{{{a} {op} {c}}}{{{b} + {d}}} = {frac_tex(w1)}$."], frac_tex(w1)),
                 ([steps[0][0], f"Then the numerator is {raw + 1}, so $\\frac{{{raw + 1}}}{{{L}}}$.",
                   f"That simplifies to ${frac_tex(Fraction(raw + 1, L))}$."], frac_tex(Fraction(raw + 1, L)))]
        unreduced = (raw, L) if Fraction(raw, L).denominator != L else (raw * 2, L * 2)
    elif op == "×":
        steps = [(f"Multiply numerators and denominators: $\\frac{{{a} \\cdot {c}}}{{{b} \\cdot {d}}} = \\frac{{{a * c}}}{{{b * d}}}$.",
                  f"分子乘分子，分母乘分母：$\\frac{{{a * c}}}{{{b * d}}}$。")]
        w1 = Fraction(a * d, b * c)
        wrong = [([f"Cross multiply: $\\frac{{{a} \\cdot {d}}}{{{b} \\cdot {c}}} = {frac_tex(w1)}$."], frac_tex(w1)),
                 ([f"Multiply the numerators: {a} × {c} = {a * c}; keep the denominator {b}.",
                   f"So ${frac_tex(Fraction(a * c, b))}$."], frac_tex(Fraction(a * c, b)))]
        unreduced = (a * c, b * d) if Fraction(a * c, b * d).denominator != b * d else (2 * a * c, 2 * b * d)
    else:
        steps = [(f"Dividing by $\\frac{{{c}}}{{{d}}}$ is multiplying by $\\frac{{{d}}}{{{c}}}$.",
                  f"除以 $\\frac{{{c}}}{{{d}}}$ 等于乘以它的倒数 $\\frac{{{d}}}{{{c}}}$。"),
                 (f"So $\\frac{{{a} \\cdot {d}}}{{{b} \\cdot {c}}} = \\frac{{{a * d}}}{{{b * c}}}$.",
                  f"得到 $\\frac{{{a * d}}}{{{b * c}}}$。")]
        w1 = Fraction(a * c, b * d)
        wrong = [([f"Multiply straight across: $\\frac{{{a * c}}}{{{b * d}}}$.",
                   f"Simplified: ${frac_tex(w1)}$."], frac_tex(w1)),
                 ([f"Flip the first fraction instead: $\\frac{{{b}}}{{{a}}} \\cdot \\frac{{{c}}}{{{d}}} = {frac_tex(Fraction(b * c, a * d))}$."],
                  frac_tex(Fraction(b * c, a * d)))]
        unreduced = (a * d, b * c) if Fraction(a * d, b * c).denominator != b * c else (2 * a * d, 2 * b * c)
    steps.append((f"In lowest terms this is ${ans}$.", f"化成最简分数是 ${ans}$。"))
    p, q = res.numerator, res.denominator
    alts = [ans.replace("\\frac", "\\dfrac"), f"{p}/{q}", f"\\frac{{{unreduced[0]}}}{{{unreduced[1]}}}"]
    if is_terminating(res):
        alts.append(num_plain(res))
    if 0 <= p < 10 and q < 10:
        alts.append(f"\\frac{p}{q}")
    code = (f"from fractions import Fraction\nprint(Fraction({a}, {b}) {'*' if op == '×' else '/' if op == '÷' else op} "
            f"Fraction({c}, {d}))", f"{p}/{q}")
    check = [f"Check with decimals: {a}/{b} ≈ {a / b:.4f}, {c}/{d} ≈ {c / d:.4f}, and the result ≈ {float(res):.4f}."]
    return Problem("fractions", prompt, ans, ans, alts, steps, wrong, code, check)


# --------------------------------------------------------------------------------------------
# Radicals
# --------------------------------------------------------------------------------------------

SQUAREFREE = [2, 3, 5, 6, 7, 10, 11]


def fam_radicals(rng, k):
    kind = k % 3
    m = rng.choice(SQUAREFREE)
    if kind == 0:
        c = rng.randint(2, 9)
        n = c * c * m
        prompt = f"Simplify $\\sqrt{{{n}}}$."
        ans = f"{c}\\sqrt{{{m}}}"
        steps = [(f"Factor {n} = {c * c} × {m}, and {c * c} = {c}^2 is a perfect square.",
                  f"分解 {n} = {c * c} × {m}，其中 {c * c} = {c}^2 是完全平方数。"),
                 (f"So $\\sqrt{{{n}}} = \\sqrt{{{c * c}}} \\cdot \\sqrt{{{m}}} = {c}\\sqrt{{{m}}}$.",
                  f"所以 $\\sqrt{{{n}}} = {c}\\sqrt{{{m}}}$。")]
        wrong = [([steps[0][0], f"Taking the square root: ${c * c}\\sqrt{{{m}}}$."], f"{c * c}\\sqrt{{{m}}}"),
                 ([f"$\\sqrt{{{n}}} \\approx {math.sqrt(n):.2f}$."], f"{math.sqrt(n):.2f}")]
        if m != c:
            wrong.append(([steps[0][0], f"So $\\sqrt{{{n}}} = {m}\\sqrt{{{c}}}$."], f"{m}\\sqrt{{{c}}}"))
        check = [f"Check: $({c}\\sqrt{{{m}}})^2 = {c * c} \\cdot {m} = {n}$."]
        code = (f"import sympy\nprint(sympy.sqrt({n}))", f"{c}*sqrt({m})")
    elif kind == 1:
        a, b = rng.randint(1, 5), rng.randint(2, 6)
        n1, n2 = a * a * m, b * b * m
        prompt = f"Simplify $\\sqrt{{{n1}}} + \\sqrt{{{n2}}}$."
        c = a + b
        ans = f"{c}\\sqrt{{{m}}}"
        s1 = f"\\sqrt{{{m}}}" if a == 1 else f"{a}\\sqrt{{{m}}}"
        steps = [(f"$\\sqrt{{{n1}}} = {s1}$ and $\\sqrt{{{n2}}} = {b}\\sqrt{{{m}}}$.",
                  f"$\\sqrt{{{n1}}} = {s1}$，$\\sqrt{{{n2}}} = {b}\\sqrt{{{m}}}$。"),
                 (f"Adding like terms: ${a} + {b} = {c}$, so the sum is ${ans}$.",
                  f"合并同类项：${a} + {b} = {c}$，结果是 ${ans}$。")]
        wrong = [([f"Add under one root: $\\sqrt{{{n1} + {n2}}} = \\sqrt{{{n1 + n2}}}$."], f"\\sqrt{{{n1 + n2}}}"),
                 ([steps[0][0], f"Adding: ${a * b}\\sqrt{{{m}}}$."], f"{a * b}\\sqrt{{{m}}}")]
        if n1 + n2 == c * c * m:
            wrong = wrong[1:]
        check = [f"Numerically: {math.sqrt(n1):.4f} + {math.sqrt(n2):.4f} = {math.sqrt(n1) + math.sqrt(n2):.4f}, "
                 f"and {c}√{m} ≈ {c * math.sqrt(m):.4f}."]
        code = (f"import sympy\nprint(sympy.sqrt({n1}) + sympy.sqrt({n2}))", f"{c}*sqrt({m})")
    else:
        a = rng.choice([v for v in range(2, 13) if v != m])
        prompt = f"Rationalize the denominator: $\\frac{{{a}}}{{\\sqrt{{{m}}}}}$."
        g = math.gcd(a, m)
        num, den = a // g, m // g
        coef = "" if num == 1 else str(num)
        ans = f"{coef}\\sqrt{{{m}}}" if den == 1 else f"\\frac{{{coef}\\sqrt{{{m}}}}}{{{den}}}"
        steps = [(f"Multiply top and bottom by $\\sqrt{{{m}}}$: $\\frac{{{a}\\sqrt{{{m}}}}}{{{m}}}$.",
                  f"分子分母同乘 $\\sqrt{{{m}}}$：$\\frac{{{a}\\sqrt{{{m}}}}}{{{m}}}$。"),
                 (f"Simplify: ${ans}$.", f"化简得 ${ans}$。")]
        wrong = [([f"Multiply top and bottom by $\\sqrt{{{m}}}$: $\\frac{{{a}\\sqrt{{{m}}}}}{{\\sqrt{{{m}}}}}$... "
                   f"so it is ${a}\\sqrt{{{m}}}$."], f"{a}\\sqrt{{{m}}}"),
                 ([f"$\\frac{{{a}}}{{\\sqrt{{{m}}}}} = \\frac{{\\sqrt{{{a}}}}}{{{m}}}$."], f"\\frac{{\\sqrt{{{a}}}}}{{{m}}}")]
        check = [f"Check: {a}/√{m} ≈ {a / math.sqrt(m):.4f}, and {ans} evaluates to the same."]
        code = None
        return Problem("radicals", prompt, ans, ans, [f"\\frac{{{a}}}{{\\sqrt{{{m}}}}}",
                                                       ans.replace("\\frac", "\\dfrac")], steps, wrong, code, check)
    alts = [f"{c} \\sqrt{{{m}}}", f"{c}\\cdot\\sqrt{{{m}}}", f"\\sqrt{{{c * c * m}}}"]
    solution = f"\\boxed{{{ans}}}" if k % 2 else ans
    return Problem("radicals", prompt, solution, ans, alts, steps, wrong, code, check)


# --------------------------------------------------------------------------------------------
# Intervals (inequalities)
# --------------------------------------------------------------------------------------------

def fam_intervals(rng, k):
    kind = k % 3
    if kind == 0:
        a = rng.choice([v for v in range(-6, 7) if v not in (0, 1, -1)])
        b, c = rng.randint(-15, 15), rng.randint(-15, 20)
        rel = rng.choice([">", "\\ge", "<", "\\le"])
        t = Fraction(c - b, a)
        flip = a < 0
        strict = rel in (">", "<")
        greater = (rel in (">", "\\ge")) != flip
        prompt = f"Solve the inequality ${a}x {signed(b)} {rel} {c}$. Give your answer in interval notation."
        ans = interval_tex(t, None, not strict, False) if greater else interval_tex(None, t, False, not strict)
        rel_final = {(True, True): ">", (True, False): "\\ge", (False, True): "<", (False, False): "\\le"}[(greater, strict)]
        steps = [(f"{'Subtract' if b >= 0 else 'Add'} {abs(b)}: ${a}x {rel} {c - b}$.",
                  f"两边{'减去' if b >= 0 else '加上'} {abs(b)}：${a}x {rel} {c - b}$。"),
                 (f"Divide by {a}{' and flip the inequality because it is negative' if flip else ''}: "
                  f"$x {rel_final} {frac_tex(t)}$.",
                  f"两边除以 {a}{'，因为是负数，不等号要变向' if flip else ''}：$x {rel_final} {frac_tex(t)}$。"),
                 (f"In interval notation: ${ans}$.", f"写成区间：${ans}$。")]
        w_flip = interval_tex(t, None, not strict, False) if not greater else interval_tex(None, t, False, not strict)
        w_bracket = interval_tex(t, None, strict, False) if greater else interval_tex(None, t, False, strict)
        wrong = [([steps[0][0], f"Divide by {a}: $x {rel} {frac_tex(t)}$.", f"So ${w_flip}$."], w_flip),
                 ([steps[0][0], steps[1][0], f"So the interval is ${w_bracket}$."], w_bracket)]
        alts = [f"x {rel_final} {frac_tex(t)}", ans.replace("\\infty", "+\\infty") if greater else
                "\\left" + ans[:-1] + "\\right" + ans[-1]]
        check = [f"Test a point: x = {num_plain(t + (1 if greater else -1))} should satisfy the original inequality, and it does."]
    elif kind == 1:
        lo_x, hi_x = rng.randint(-6, 2), rng.randint(3, 9)
        m, q = rng.randint(2, 4), rng.randint(-5, 5)
        p, r = m * lo_x + q, m * hi_x + q
        prompt = f"Find all $x$ such that ${p} \\le {m}x {signed(q)} < {r}$. Express the answer in interval notation."
        ans = f"[{lo_x}, {hi_x})"
        steps = [(f"{'Subtract' if q >= 0 else 'Add'} {abs(q)} throughout: ${p - q} \\le {m}x < {r - q}$.",
                  f"三边同时{'减去' if q >= 0 else '加上'} {abs(q)}：${p - q} \\le {m}x < {r - q}$。"),
                 (f"Divide by {m}: ${lo_x} \\le x < {hi_x}$.", f"除以 {m}：${lo_x} \\le x < {hi_x}$。"),
                 (f"So x is in ${ans}$.", f"所以解集是 ${ans}$。")]
        wrong = [([steps[0][0], steps[1][0], f"So x is in $[{lo_x}, {hi_x}]$."], f"[{lo_x}, {hi_x}]"),
                 ([f"Divide by {m} first: ${num_plain(Fraction(p, m))} \\le x {signed(q)} < {num_plain(Fraction(r, m))}$.",
                   f"Then ${frac_tex(Fraction(p, m) - q)} \\le x < {frac_tex(Fraction(r, m) - q)}$."],
                  interval_tex(Fraction(p, m) - q, Fraction(r, m) - q, True, False))]
        alts = [f"{lo_x} \\le x < {hi_x}", f"\\left[{lo_x}, {hi_x}\\right)", f"[{lo_x},{hi_x})"]
        check = [f"Endpoints: {m}·{lo_x} {signed(q)} = {p} (included) and {m}·{hi_x} {signed(q)} = {r} (excluded)."]
    else:
        r1 = rng.randint(-7, 3)
        r2 = rng.randint(r1 + 1, 8)
        b, c = -(r1 + r2), r1 * r2
        poly = poly_tex({2: 1, 1: b, 0: c})
        inside = k % 2 == 0
        rel = "<" if inside else ">"
        prompt = f"Solve $ {poly} {rel} 0 $. Write the solution set in interval notation."
        if inside:
            ans = f"({r1}, {r2})"
            wrong_ans = f"(-\\infty, {r1}) \\cup ({r2}, \\infty)"
            alts = [f"{r1} < x < {r2}", f"\\left({r1}, {r2}\\right)", f"({r1},{r2})"]
        else:
            ans = f"(-\\infty, {r1}) \\cup ({r2}, \\infty)"
            wrong_ans = f"({r1}, {r2})"
            alts = [f"(-\\infty,{r1})\\cup({r2},+\\infty)", f"\\left(-\\infty, {r1}\\right) \\cup \\left({r2}, \\infty\\right)"]
        fac = f"(x {signed(-r1)})(x {signed(-r2)})"
        steps = [(f"Factor: ${poly} = {fac}$.", f"因式分解：${poly} = {fac}$。"),
                 (f"The roots are {r1} and {r2}; the parabola opens upward.", f"两个根是 {r1} 和 {r2}，抛物线开口向上。"),
                 (f"It is {'negative between' if inside else 'positive outside'} the roots, so the solution is ${ans}$.",
                  f"{'两根之间小于零' if inside else '两根之外大于零'}，所以解集是 ${ans}$。")]
        closed = ans.replace(f"({r1},", f"[{r1},").replace(f"{r2})", f"{r2}]") if inside else \
            f"(-\\infty, {r1}] \\cup [{r2}, \\infty)"
        wrong = [([steps[0][0], steps[1][0], f"The expression is {'positive' if inside else 'negative'} there... "
                   f"so ${wrong_ans}$."], wrong_ans),
                 ([steps[0][0], steps[1][0], f"Including the roots: ${closed}$."], closed)]
        check = [f"Test x = {r1 - 1}: ({r1 - 1})^2 {signed(b)}·({r1 - 1}) {signed(c)} = {(r1 - 1) ** 2 + b * (r1 - 1) + c}, "
                 f"which is {'positive' if (r1 - 1) ** 2 + b * (r1 - 1) + c > 0 else 'not positive'}."]
    solution = ans if k % 2 else f"${ans}$"
    return Problem("intervals", prompt, solution, ans, alts, steps, wrong, None, check)


# --------------------------------------------------------------------------------------------
# Tuples / points
# --------------------------------------------------------------------------------------------

def fam_points(rng, k):
    kind = k % 3
    if kind == 0:
        x0 = rng.choice([v for v in range(-6, 8) if v != 0])
        m1 = rng.choice([v for v in range(-4, 5) if v != 0])
        m2 = rng.choice([v for v in range(-4, 5) if v not in (0, m1)])
        y0 = rng.choice([v for v in range(-9, 12) if v != x0])
        b1, b2 = y0 - m1 * x0, y0 - m2 * x0
        l1, l2 = poly_tex({1: m1, 0: b1}), poly_tex({1: m2, 0: b2})
        prompt = f"Find the point of intersection of the lines $y = {l1}$ and $y = {l2}$. Enter your answer as an ordered pair."
        steps = [(f"Set them equal: ${l1} = {l2}$.", f"令两式相等：${l1} = {l2}$。"),
                 (f"Then ${m1 - m2}x = {b2 - b1}$, so $x = {x0}$.", f"得到 ${m1 - m2}x = {b2 - b1}$，所以 $x = {x0}$。"),
                 (f"Substitute: $y = {m1}({x0}) {signed(b1)} = {y0}$.", f"代入：$y = {y0}$。")]
        wrong = [([steps[0][0], steps[1][0], steps[2][0], f"So the point is $({y0}, {x0})$."], f"({y0}, {x0})"),
                 ([steps[0][0], f"Then ${m1 - m2}x = {b1 - b2}$, so $x = {num_plain(Fraction(b1 - b2, m1 - m2))}$.",
                   f"$y = {frac_tex(m1 * Fraction(b1 - b2, m1 - m2) + b1)}$."],
                  f"\\left({frac_tex(Fraction(b1 - b2, m1 - m2))}, {frac_tex(m1 * Fraction(b1 - b2, m1 - m2) + b1)}\\right)")]
        check = [f"Check in the second line: {m2}·{x0} {signed(b2)} = {y0}. Both lines pass through it."]
        ans = f"({x0}, {y0})"
    elif kind == 1:
        xa, ya, xb, yb = (rng.randint(-8, 9) for _ in range(4))
        mx, my = Fraction(xa + xb, 2), Fraction(ya + yb, 2)
        prompt = f"What is the midpoint of the segment with endpoints $({xa}, {ya})$ and $({xb}, {yb})$?"
        ans = f"\\left({frac_tex(mx)}, {frac_tex(my)}\\right)" if mx.denominator > 1 or my.denominator > 1 else f"({mx}, {my})"
        steps = [(f"x-coordinate: ({xa} + {xb}) / 2 = {num_plain(mx)}.", f"横坐标：({xa} + {xb}) ÷ 2 = {num_plain(mx)}。"),
                 (f"y-coordinate: ({ya} + {yb}) / 2 = {num_plain(my)}.", f"纵坐标：({ya} + {yb}) ÷ 2 = {num_plain(my)}。")]
        dx, dy = Fraction(xb - xa, 2), Fraction(yb - ya, 2)
        w1 = f"\\left({frac_tex(dx)}, {frac_tex(dy)}\\right)"
        wrong = [([f"Midpoint = half the difference: (({xb} - {xa})/2, ({yb} - {ya})/2) = ({num_plain(dx)}, {num_plain(dy)})."], w1),
                 ([steps[0][0], f"y-coordinate: ({ya} + {yb}) = {ya + yb}."], f"({num_plain(mx)}, {ya + yb})")]
        if dx == mx and dy == my:
            wrong = wrong[1:]
        check = [f"The distances from the midpoint to both endpoints should match; they do."]
        plain = f"({num_plain(mx)}, {num_plain(my)})"
        alts = [plain, plain.replace(" ", "")] if plain != ans else [f"\\left({mx}, {my}\\right)", plain.replace(" ", "")]
        return Problem("points", prompt, ans if k % 2 else f"${ans}$", ans, alts, steps, wrong, None, check)
    else:
        x0, y0 = rng.randint(-5, 8), rng.randint(-5, 8)
        while True:
            a, b, c, d = (rng.choice([v for v in range(-5, 6) if v != 0]) for _ in range(4))
            if a * d - b * c != 0 and x0 != y0:
                break
            x0, y0 = rng.randint(-5, 8), rng.randint(-5, 8)
        e, f = a * x0 + b * y0, c * x0 + d * y0
        eq1, eq2 = poly_tex({1: a, 0: 0}) + f" {signed(b)}y = {e}", poly_tex({1: c, 0: 0}) + f" {signed(d)}y = {f}"
        eq1, eq2 = eq1.replace("+ 1y", "+ y").replace("- 1y", "- y"), eq2.replace("+ 1y", "+ y").replace("- 1y", "- y")
        prompt = f"Solve the system $ {eq1} $ and $ {eq2} $. Give the solution as an ordered pair $(x, y)$."
        det = a * d - b * c
        steps = [(f"Eliminate y: multiply the first equation by {d} and the second by {b} and subtract: "
                  f"{det}x = {e * d - f * b}, so x = {x0}.",
                  f"消去 y：第一个方程乘 {d}，第二个乘 {b}，相减得 {det}x = {e * d - f * b}，所以 x = {x0}。"),
                 (f"Substitute back: {b}y = {e} - ({a})({x0}) = {e - a * x0}, so y = {y0}.",
                  f"回代：{b}y = {e - a * x0}，所以 y = {y0}。")]
        wrong = [([steps[0][0], steps[1][0], f"Answer: ({y0}, {x0})."], f"({y0}, {x0})"),
                 ([steps[0][0], f"Substitute back: y = {y0 + 1}."], f"({x0}, {y0 + 1})")]
        check = [f"Check: {a}·{x0} {signed(b)}·{y0} = {e} and {c}·{x0} {signed(d)}·{y0} = {f}."]
        ans = f"({x0}, {y0})"
    alts = [ans.replace(" ", ""), f"\\left({ans[1:-1]}\\right)"]
    return Problem("points", prompt, ans if k % 2 else f"${ans}$", ans, alts, steps, wrong, None, check)


# --------------------------------------------------------------------------------------------
# Expressions with variables
# --------------------------------------------------------------------------------------------

def fam_expressions(rng, k):
    kind = k % 4
    var = ["x", "t", "x", "n"][k % 4]
    if kind == 0:
        a = rng.choice([v for v in range(-7, 8) if v != 0])
        b = rng.choice([v for v in range(-7, 8) if v not in (0, -a)])
        res = {2: 1, 1: a + b, 0: a * b}
        prompt = f"Expand $({var} {signed(a)})({var} {signed(b)})$."
        foil = f"{var}^2 {signed(b)}{var} {signed(a)}{var} {signed(a * b)}".replace(f" 1{var}", f" {var}")
        steps = [(f"FOIL: ${foil}$.", f"展开：${foil}$。"),
                 (f"Combine like terms: ${poly_tex(res, var)}$.", f"合并同类项：${poly_tex(res, var)}$。")]
        wrong = [([f"Multiply the first terms and the last terms: ${poly_tex({2: 1, 0: a * b}, var)}$."],
                  poly_tex({2: 1, 0: a * b}, var)),
                 ([steps[0][0], f"Combine: ${poly_tex({2: 1, 1: a - b, 0: a * b}, var)}$."],
                  poly_tex({2: 1, 1: a - b, 0: a * b}, var))]
        src = f"from sympy import symbols, expand\n{var} = symbols('{var}')\nprint(expand(({var} {signed(a)})*({var} {signed(b)})))"
    elif kind == 1:
        a = rng.randint(2, 9)
        res = {1: 1, 0: a}
        prompt = f"Simplify $\\frac{{{var}^2 - {a * a}}}{{{var} - {a}}}$ for ${var} \\ne {a}$."
        steps = [(f"Difference of squares: ${var}^2 - {a * a} = ({var} - {a})({var} + {a})$.",
                  f"平方差公式：${var}^2 - {a * a} = ({var} - {a})({var} + {a})$。"),
                 (f"Cancel ${var} - {a}$: the result is ${var} + {a}$.", f"约去 ${var} - {a}$，得到 ${var} + {a}$。")]
        wrong = [([f"${var}^2 - {a * a} = ({var} - {a})^2$, so the quotient is ${var} - {a}$."], f"{var} - {a}"),
                 ([f"Cancel term by term: $\\frac{{{var}^2}}{{{var}}} - \\frac{{{a * a}}}{{{a}}} = {var} - {a}$."], f"{var} - {a}")]
        src = f"from sympy import symbols, cancel\n{var} = symbols('{var}')\nprint(cancel(({var}**2 - {a * a})/({var} - {a})))"
    elif kind == 2:
        a3, a2 = rng.randint(1, 6), rng.randint(-9, 9)
        a1, a0 = rng.randint(-9, 9), rng.randint(-9, 9)
        f = poly_tex({3: a3, 2: a2, 1: a1, 0: a0}, var)
        res = {2: 3 * a3, 1: 2 * a2, 0: a1}
        prompt = f"Find the derivative of $f({var}) = {f}$ with respect to ${var}$."
        steps = [(f"Power rule term by term: $\\frac{{d}}{{d{var}}} {a3 if a3 > 1 else ''}{var}^3 = {3 * a3}{var}^2$"
                  f"{f', the {var}^2 term gives ${2 * a2}{var}$' if a2 else ''}, the linear term gives ${a1}$, constants vanish.",
                  f"逐项用幂函数求导法则，常数项的导数为 0。"),
                 (f"So $f'({var}) = {poly_tex(res, var)}$.", f"所以 $f'({var}) = {poly_tex(res, var)}$。")]
        wrong = [([f"Lower each exponent by one: ${poly_tex({2: a3, 1: a2, 0: a1}, var)}$."], poly_tex({2: a3, 1: a2, 0: a1}, var)),
                 ([steps[0][0], f"Keep the constant: ${poly_tex({2: 3 * a3, 1: 2 * a2, 0: a1 + a0}, var)}$."],
                  poly_tex({2: 3 * a3, 1: 2 * a2, 0: a1 + a0}, var))]
        if a0 == 0:
            wrong = wrong[:1]
        src = f"from sympy import symbols, diff\n{var} = symbols('{var}')\nprint(diff({poly_py({3: a3, 2: a2, 1: a1, 0: a0}, var)}, {var}))"
    else:
        a = rng.randint(1, 7)
        res = {2: 4, 1: -4 * a, 0: a * a}
        prompt = f"Expand $(2{var} - {a})^2$."
        steps = [(f"$(2{var} - {a})^2 = (2{var})^2 - 2 \\cdot 2{var} \\cdot {a} + {a}^2$.",
                  f"完全平方公式：$(2{var})^2 - 2 \\cdot 2{var} \\cdot {a} + {a}^2$。"),
                 (f"That is ${poly_tex(res, var)}$.", f"即 ${poly_tex(res, var)}$。")]
        wrong = [([f"Square each term: $4{var}^2 + {a * a}$."], poly_tex({2: 4, 0: a * a}, var)),
                 ([f"$(2{var} - {a})^2 = 2{var}^2 - {4 * a}{var} + {a * a}$."], poly_tex({2: 2, 1: -4 * a, 0: a * a}, var))]
        src = f"from sympy import symbols, expand\n{var} = symbols('{var}')\nprint(expand((2*{var} - {a})**2))"
    ans = poly_tex(res, var)
    alts = [poly_reversed_tex(res, var), ans.replace(" ", "")]
    if 2 in res:
        alts.append(ans.replace(f"{var}^2", f"{var}^{{2}}"))
    check = [f"Spot check at {var} = 1: both the original and ${ans}$ give the same value."]
    return Problem("expressions", prompt, ans, ans, alts, steps, wrong, (src, poly_py(res, var)), check)


# --------------------------------------------------------------------------------------------
# Big integers (exact compare matters: one digit off is wrong)
# --------------------------------------------------------------------------------------------

def off_by_digit(n: int, rng) -> int:
    s = list(str(n))
    i = rng.randint(len(s) // 3, len(s) - 1)
    s[i] = str((int(s[i]) + rng.choice([1, 2, 8, 9])) % 10)
    return int("".join(s))


def sci(n: int) -> str:
    e = len(str(n)) - 1
    return f"{n / 10 ** e:.2f} \\times 10^{{{e}}}"


def fam_bigint(rng, k):
    kind = k % 5
    if kind in (0, 4):
        base = 2 if kind == 0 else 3
        n = rng.randint(70, 127) if base == 2 else rng.randint(45, 80)
        ans = base ** n
        h = n // 2
        prompt = f"Compute ${base}^{{{n}}}$ exactly."
        steps = [(f"Split the exponent: ${base}^{{{n}}} = {base}^{{{h}}} \\cdot {base}^{{{n - h}}}$.",
                  f"把指数拆开：${base}^{{{n}}} = {base}^{{{h}}} \\cdot {base}^{{{n - h}}}$。"),
                 (f"${base}^{{{h}}} = {base ** h}$ and ${base}^{{{n - h}}} = {base ** (n - h)}$.",
                  f"${base}^{{{h}}} = {base ** h}$，${base}^{{{n - h}}} = {base ** (n - h)}$。"),
                 (f"Multiplying: {base ** h} × {base ** (n - h)} = {ans}.", f"相乘得到 {ans}。")]
        wrong = [([steps[0][0], steps[1][0], f"Multiplying: {base ** h} × {base ** (n - h)} = {off_by_digit(ans, rng)}."],
                  str(off_by_digit(ans, rng))),
                 ([f"${base}^{{{n}}}$ has about {len(str(ans))} digits; approximately ${sci(ans)}$."], sci(ans)),
                 ([steps[0][0], f"$= {base ** (n - 1)}$."], str(base ** (n - 1)))]
        code = (f"print({base}**{n})", str(ans))
        alts = [f"{base}^{{{n}}}", f"{ans:,}"]
        check = [f"The last digit cycles with period 4, and {str(ans)[-1]} matches the cycle for n = {n}."]
    elif kind == 1:
        n = rng.randint(21, 30)
        ans = math.factorial(n)
        prompt = f"Compute ${n}!$ exactly."
        steps = [(f"Start from 20! = {math.factorial(20)}.", f"已知 20! = {math.factorial(20)}。")]
        for j in range(21, n + 1):
            steps.append((f"× {j} = {math.factorial(j)}", f"乘以 {j} 得 {math.factorial(j)}"))
        wrong = [([steps[0][0]] + [s for s, _ in steps[1:-1]] + [f"So {n}! = {math.factorial(n - 1)}."],
                  str(math.factorial(n - 1))),
                 ([steps[0][0], f"Multiplying up to {n}: {off_by_digit(ans, rng)}."], str(off_by_digit(ans, rng)))]
        code = (f"import math\nprint(math.factorial({n}))", str(ans))
        alts = [f"{ans:,}"]
        check = [f"{n}! ends in {len(str(ans)) - len(str(ans).rstrip('0'))} zeros, consistent with the count of factors of 5."]
    elif kind == 2:
        a, b = rng.randint(10 ** 10, 10 ** 11), rng.randint(10 ** 10, 10 ** 11)
        ans = a * b
        hi, lo = divmod(b, 10 ** 6)
        prompt = f"Compute ${a} \\times {b}$."
        steps = [(f"Write {b} = {hi} × 10^6 + {lo}.", f"把 {b} 写成 {hi} × 10^6 + {lo}。"),
                 (f"{a} × {hi} = {a * hi}, shifted by 6 digits: {a * hi * 10 ** 6}.",
                  f"{a} × {hi} = {a * hi}，再乘 10^6 得 {a * hi * 10 ** 6}。"),
                 (f"{a} × {lo} = {a * lo}.", f"{a} × {lo} = {a * lo}。"),
                 (f"Sum: {a * hi * 10 ** 6} + {a * lo} = {ans}.", f"相加：{ans}。")]
        wrong = [([steps[0][0], steps[1][0], f"So the product is {a * hi * 10 ** 6}."], str(a * hi * 10 ** 6)),
                 ([s for s, _ in steps[:3]] + [f"Sum: {off_by_digit(ans, rng)}."], str(off_by_digit(ans, rng)))]
        code = (f"print({a} * {b})", str(ans))
        alts = [f"{ans:,}", f"{ans:,}".replace(",", "{,}")]
        check = [f"Estimate: {a / 1e10:.3f}e10 × {b / 1e10:.3f}e10 ≈ {a * b / 1e20:.3f}e20, consistent."]
    else:
        n = rng.randint(10 ** 8, 10 ** 9)
        ans = n * (n + 1) // 2
        prompt = f"What is the sum of all integers from 1 to {n}?"
        steps = [(f"Use $1 + 2 + \\cdots + n = \\frac{{n(n+1)}}{{2}}$ with n = {n}.", f"用公式 $\\frac{{n(n+1)}}{{2}}$，n = {n}。"),
                 (f"n(n+1) = {n} × {n + 1} = {n * (n + 1)}.", f"n(n+1) = {n * (n + 1)}。"),
                 (f"Half of it: {ans}.", f"除以 2 得 {ans}。")]
        wrong = [([steps[0][0], f"n(n-1)/2 = {n * (n - 1) // 2}."], str(n * (n - 1) // 2)),
                 ([f"The sum is about n^2/2 = {num_plain(Fraction(n * n, 2))}."], num_plain(Fraction(n * n, 2)))]
        code = (f"n = {n}\nprint(n * (n + 1) // 2)", str(ans))
        alts = [f"{ans:,}", f"\\frac{{{n} \\cdot {n + 1}}}{{2}}"]
        check = [f"Parity check: n(n+1) is always even, so the result is an integer."]
    solution = str(ans)
    return Problem("bigint", prompt, solution, str(ans), alts, steps, wrong, code, check)


# --------------------------------------------------------------------------------------------
# Percent
# --------------------------------------------------------------------------------------------

def fam_percent(rng, k):
    kind = k % 3
    if kind == 0:
        a = rng.choice([40, 80, 120, 160, 200, 240, 400, 500, 800])
        pct = rng.choice([Fraction(v, 2) for v in range(5, 190, 5)])
        b = a * pct / 100
        if b.denominator != 1:
            pct, b = Fraction(25), Fraction(a, 4)
        prompt = f"What percent of {a} is {b}?"
        p = num_plain(pct)
        steps = [(f"Compute {b} / {a} = {num_plain(b / a)}.", f"先算 {b} ÷ {a} = {num_plain(b / a)}。"),
                 (f"As a percent: {num_plain(b / a)} × 100 = {p}%.", f"化成百分数：{p}%。")]
        inv = Fraction(a, b) * 100
        wrong = [([f"{a} / {b} = {num_plain(Fraction(a, b)) if is_terminating(Fraction(a, b)) else f'{float(Fraction(a, b)):.4f}'}, "
                   f"so about {float(inv):.2f}%."], f"{float(inv):.2f}\\%"),
                 ([steps[0][0], f"So the part not covered is {num_plain(100 - pct)}%."], f"{num_plain(100 - pct)}\\%")]
        check = [f"Check: {p}% of {a} is {a} × {num_plain(pct / 100)} = {b}."]
        gold_pct = k % 2 == 0
        solution = f"{p}\\%" if gold_pct else p
        ans = f"{p}\\%"
        alts = [p, f"{p} \\%"] + ([num_plain(pct / 100)] if gold_pct else [])
        code = (f"print({b} / {a} * 100)", f"{float(b / a * 100)}")
    elif kind == 1:
        while True:
            price, d, t = rng.randint(20, 150), rng.choice([10, 15, 20, 25, 30, 40]), rng.choice([5, 8, 10])
            final = Fraction(price) * (100 - d) / 100 * (100 + t) / 100
            if (final * 100).denominator == 1:
                break
        prompt = (f"A jacket costs ${price}. It is on sale for {d}% off, and then a {t}% sales tax is "
                  f"added to the sale price. What is the final price in dollars?")
        sale = Fraction(price) * (100 - d) / 100
        ans = f"{float(final):.2f}" if final.denominator != 1 else str(final)
        steps = [(f"Sale price: {price} × {num_plain(Fraction(100 - d, 100))} = {num_plain(sale)}.",
                  f"打折后的价格：{price} × {num_plain(Fraction(100 - d, 100))} = {num_plain(sale)}。"),
                 (f"With tax: {num_plain(sale)} × {num_plain(Fraction(100 + t, 100))} = {ans}.",
                  f"加税后：{num_plain(sale)} × {num_plain(Fraction(100 + t, 100))} = {ans}。")]
        net = Fraction(price) * (100 - d + t) / 100
        wrong = [([f"Net change: -{d}% + {t}% = {t - d}%.", f"So {price} × {num_plain(Fraction(100 - d + t, 100))} = {num_plain(net)}."],
                  num_plain(net)),
                 ([steps[0][0], f"So the price is ${num_plain(sale)}."], num_plain(sale))]
        if net == final:
            wrong = wrong[1:]
        check = [f"Check: {ans} / {num_plain(Fraction(100 + t, 100))} = {num_plain(sale)}, and that is {100 - d}% of {price}."]
        solution = ans
        alts = [f"\\${ans}", f"{ans} \\text{{ dollars}}"] + ([f"{float(final):.3f}"] if final.denominator != 1 else [f"{ans}.00"])
        code = (f"price = {price} * (1 - {d}/100) * (1 + {t}/100)\nprint(round(price, 2))", f"{round(float(final), 2)}")
    else:
        a = rng.choice([20, 40, 50, 80, 120, 200, 250])
        pct = rng.choice([5, 10, 12.5, 15, 20, 25, 30, 40, 60, 75])
        b = Fraction(a) * (1 + Fraction(pct) / 100)
        if b.denominator != 1:
            pct, b = 25, Fraction(a) * Fraction(5, 4)
        p = num_plain(Fraction(pct))
        prompt = f"A town's population grew from {a} thousand to {num_plain(b)} thousand. By what percent did it increase?"
        steps = [(f"Increase: {num_plain(b)} - {a} = {num_plain(b - a)} thousand.", f"增加了 {num_plain(b)} - {a} = {num_plain(b - a)} 千人。"),
                 (f"Relative to the start: {num_plain(b - a)} / {a} = {num_plain((b - a) / a)} = {p}%.",
                  f"除以原来的人口：{num_plain(b - a)} ÷ {a} = {num_plain((b - a) / a)}，即 {p}%。")]
        w = (b - a) / b * 100
        wrong = [([steps[0][0], f"Relative to the new value: {num_plain(b - a)} / {num_plain(b)} ≈ {float(w):.2f}%."],
                  f"{float(w):.2f}\\%"),
                 ([steps[0][0], f"So it increased by {num_plain(b - a)}%."], f"{num_plain(b - a)}\\%")]
        check = [f"Check: {a} × (1 + {num_plain(Fraction(pct) / 100)}) = {num_plain(b)}."]
        solution = f"{p}\\%"
        ans = f"{p}\\%"
        alts = [p, num_plain(Fraction(pct) / 100), f"{p}\\ \\%"]
        code = None
    return Problem("percent", prompt, solution, ans, alts, steps, wrong, code, check)


# --------------------------------------------------------------------------------------------
# Multiple choice
# --------------------------------------------------------------------------------------------

def fam_choice(rng, k):
    kind = k % 5
    if kind == 0:
        a, b = rng.randint(1, 5), rng.choice([4, 6, 8])
        c, d = 1, rng.choice([v for v in (3, 8, 12) if v != b])
        val = Fraction(a, b) + Fraction(c, d)
        q = f"What is $\\frac{{{a}}}{{{b}}} + \\frac{{{c}}}{{{d}}}$?"
        mistake = Fraction(a + c, b + d)
        how = [(f"Common denominator: {frac_tex(Fraction(a, b))} + {frac_tex(Fraction(c, d))} = {frac_tex(val)}.",
                f"通分后相加得 {frac_tex(val)}。")]
        bad_how = [f"Add tops and bottoms: $\\frac{{{a + c}}}{{{b + d}}}$."]
        fmt = frac_tex
        extra = [val + Fraction(1, b * d), val * 2, Fraction(a * c, b * d)]
    elif kind == 1:
        n, m = rng.randint(1000, 9999), rng.choice([7, 9, 11, 13])
        val = n % m
        q = f"What is the remainder when {n} is divided by {m}?"
        mistake = (n // m) % 10
        how = [(f"{n} = {m} × {n // m} + {n % m}, so the remainder is {val}.", f"{n} = {m} × {n // m} + {n % m}，余数是 {val}。")]
        bad_how = [f"{n} / {m} = {n // m} remainder ... the last digit of the quotient is {mistake}."]
        fmt = str
        extra = [(val + 1) % m, (val + 3) % m, (val + m - 2) % m]
    elif kind == 2:
        L, W = rng.randint(6, 15), rng.randint(2, 5)
        P = 2 * (L + W)
        val = L * W
        q = f"A rectangle has perimeter {P} and length {L}. What is its area?"
        mistake = L * (P // 2 - L + 1)
        how = [(f"Width = {P}/2 - {L} = {W}.", f"宽 = {P}÷2 - {L} = {W}。"), (f"Area = {L} × {W} = {val}.", f"面积 = {L} × {W} = {val}。")]
        bad_how = [f"Width = {P}/2 - {L} + 1 = {W + 1}.", f"Area = {L} × {W + 1} = {mistake}."]
        fmt = str
        extra = [L * (P - 2 * L), P * L // 2, val + L]
    elif kind == 3:
        a, b = rng.choice([6, 8, 9, 10, 12, 14, 15]), rng.choice([4, 6, 10, 16, 18, 21])
        val = a * b // math.gcd(a, b)
        q = f"What is the least common multiple of {a} and {b}?"
        mistake = a * b if a * b != val else math.gcd(a, b)
        how = [(f"gcd({a}, {b}) = {math.gcd(a, b)}, so lcm = {a} × {b} / {math.gcd(a, b)} = {val}.",
                f"最大公约数是 {math.gcd(a, b)}，所以最小公倍数 = {a} × {b} ÷ {math.gcd(a, b)} = {val}。")]
        bad_how = [f"The LCM is just the product: {a} × {b} = {a * b}." if mistake == a * b else
                   f"The greatest common factor is {math.gcd(a, b)}."]
        fmt = str
        extra = [val * 2, math.gcd(a, b) + val, val + a]
    else:
        x = rng.randint(2, 12)
        a, b = rng.randint(2, 5), rng.randint(1, 9)
        c = a * x - b
        val = 2 * x + 1
        q = f"If ${a}x - {b} = {c}$, what is the value of $2x + 1$?"
        mistake = x
        how = [(f"{a}x = {c + b}, so x = {x}.", f"{a}x = {c + b}，所以 x = {x}。"), (f"Then 2x + 1 = {val}.", f"所以 2x + 1 = {val}。")]
        bad_how = [f"{a}x = {c + b}, so x = {x}.", f"The value asked for is x = {x}."]
        fmt = str
        extra = [2 * x, 2 * x + 3, 4 * x + 1]
    options = [val, mistake]
    for e in extra:
        if e not in options:
            options.append(e)
    j = 1
    while len(options) < 5:
        if val + j not in options:
            options.append(val + j)
        j += 1
    options = options[:5]
    rng.shuffle(options)
    letters = "ABCDE"
    slot = letters.index("CADBE"[k % 5])  # spread the right letter over the problems
    i = options.index(val)
    options[i], options[slot] = options[slot], options[i]
    right = letters[options.index(val)]
    bad = letters[options.index(mistake)]
    prompt = q + "\n\n" + "\n".join(f"({letters[i]}) ${fmt(o)}$" for i, o in enumerate(options))
    steps = how + [(f"That is option ({right}).", f"对应选项 ({right})。")]
    other = next(c for c in letters[options.index(val) + 2:] + letters if c not in (right, bad))
    wrong = [(bad_how + [f"That matches ({bad})."], bad),
             ([s for s, _ in how] + [f"So the answer is {fmt(val)}."], fmt(val)),
             ([s for s, _ in how[:1]] + [f"I think it's ({other})."], other)]
    solution = [f"\\text{{({right})}}", right, f"({right})", f"\\textbf{{({right})}}", right][k % 5]
    alts = [f"({right})", f"\\text{{({right})}}", f"\\textbf{{({right})}}", f"\\text{{{right}}}"]
    check = [f"Option ({right}) is ${fmt(val)}$, which is what I computed."]
    return Problem("choice", prompt, solution, right, alts, steps, wrong, None, check)


# --------------------------------------------------------------------------------------------
# Quadratic equations: unordered solution lists
# --------------------------------------------------------------------------------------------

def fam_quadratic(rng, k):
    if k % 4 == 3:
        r = rng.randint(2, 12)
        prompt = f"Solve $x^2 = {r * r}$."
        ans = f"\\pm {r}"
        steps = [(f"Take square roots of both sides: $x = \\pm\\sqrt{{{r * r}}} = \\pm {r}$.",
                  f"两边开平方：$x = \\pm {r}$。")]
        wrong = [([f"$x = \\sqrt{{{r * r}}} = {r}$."], str(r)),
                 ([f"$x = {r * r} / 2 = {num_plain(Fraction(r * r, 2))}$."], num_tex(Fraction(r * r, 2)))]
        alts = [f"{r}, -{r}", f"-{r}, {r}", f"x = \\pm {r}"]
        code = (f"from sympy import symbols, solve\nx = symbols('x')\nprint(solve(x**2 - {r * r}, x))", f"[-{r}, {r}]")
        return Problem("quadratic", prompt, ans, ans, alts, steps, wrong, code, [f"Both ({r})^2 and (-{r})^2 equal {r * r}."])
    r1 = rng.choice([v for v in range(-9, 10) if v != 0])
    r2 = rng.choice([v for v in range(-9, 10) if v not in (0, r1, -r1)])
    poly = poly_tex({2: 1, 1: -(r1 + r2), 0: r1 * r2})
    prompt = f"Find all real solutions of ${poly} = 0$. Separate them with commas."
    lo, hi = sorted((r1, r2))
    ans = f"{lo}, {hi}"
    fac = f"(x {signed(-r1)})(x {signed(-r2)})"
    steps = [(f"Look for two numbers with product {r1 * r2} and sum {r1 + r2}: {r1} and {r2}.",
              f"找两个数，乘积为 {r1 * r2}，和为 {r1 + r2}：{r1} 和 {r2}。"),
             (f"So ${poly} = {fac} = 0$.", f"所以 ${fac} = 0$。"),
             (f"The solutions are x = {r1} and x = {r2}.", f"解得 x = {r1} 或 x = {r2}。")]
    wrong = [([steps[0][0], f"So x = {-r1} and x = {-r2}."], f"{-hi}, {-lo}"),
             ([steps[0][0], steps[1][0], f"So x = {r1}."], str(r1))]
    alts = [f"{hi}, {lo}", f"x = {lo} \\text{{ or }} x = {hi}", f"{lo},{hi}"]
    solution = ans if k % 2 == 0 else f"{hi}, {lo}"
    code = (f"from sympy import symbols, solve\nx = symbols('x')\nprint(solve({poly_py({2: 1, 1: -(r1 + r2), 0: r1 * r2})}, x))",
            f"[{lo}, {hi}]")
    check = [f"Vieta: {r1} + {r2} = {r1 + r2} and {r1} × {r2} = {r1 * r2}. Matches."]
    return Problem("quadratic", prompt, solution, ans, alts, steps, wrong, code, check)


# --------------------------------------------------------------------------------------------
# Short text answer: day of the week
# --------------------------------------------------------------------------------------------

def fam_weekday(rng, k):
    start = (3 * k + 1) % 7
    n = rng.randint(40, 400)
    end = (start + n) % 7
    prompt = f"Today is {DAYS[start]}. What day of the week will it be {n} days from now?"
    ans = f"\\text{{{DAYS[end]}}}"
    steps = [(f"{n} = 7 × {n // 7} + {n % 7}, so only {n % 7} days matter.", f"{n} = 7 × {n // 7} + {n % 7}，只需要看余数 {n % 7}。"),
             (f"{n % 7} days after {DAYS[start]} is {DAYS[end]}.", f"{DAYS_ZH[start]}往后数 {n % 7} 天是{DAYS_ZH[end]}。")]
    off = DAYS[(end + 1) % 7]
    wrong = [([steps[0][0], f"Counting {n % 7} days including today gives {off}."], f"\\text{{{off}}}"),
             ([f"{n} / 7 ≈ {n / 7:.1f}, so about {round(n / 7)} weeks, which lands on {DAYS[(start + n // 7) % 7]}."],
              f"\\text{{{DAYS[(start + n // 7) % 7]}}}")]
    if (start + n // 7) % 7 == end:
        wrong = wrong[:1]
    alts = [f"\\text{{{DAYS[end].lower()}}}", f"\\text{{{DAYS[end].upper()}}}"]
    code = (f"days = {DAYS!r}\nprint(days[({start} + {n}) % 7])", DAYS[end])
    return Problem("weekday", prompt, ans, ans, alts, steps, wrong, code, [f"Check: {n % 7} steps forward from {DAYS[start]}."])


FAMILIES = [  # (family function, number of problems)
    (fam_gsm8k, 16), (fam_linear, 6), (fam_fractions, 7), (fam_radicals, 6), (fam_intervals, 6),
    (fam_points, 5), (fam_expressions, 6), (fam_bigint, 5), (fam_percent, 6), (fam_choice, 5),
    (fam_quadratic, 4), (fam_weekday, 2),
]


# --------------------------------------------------------------------------------------------
# Completions: how R1-style policies phrase, format and break their answers
# --------------------------------------------------------------------------------------------

PROMPT_STYLES = [
    "{q}",
    "{q}\n\nPlease reason step by step, and put your final answer within \\boxed{{}}.",
    ("A conversation between User and Assistant. The Assistant first reasons privately and then "
     "answers. The reasoning goes inside <think> </think> tags and the answer inside <answer> "
     "</answer> tags, with the final result in \\boxed{{}}. User: {q} Assistant:"),
]

OPENERS = [
    "Okay, let's see.", "Let me think about this step by step.", "Alright, I need to work this out carefully.",
    "Hmm, let me start by reading the problem again.", "First, let me understand what is being asked.",
    "Okay, so I need to solve this problem.", "Let's break this down.",
]
OPENERS_ZH = ["好的，我们来一步一步分析这个问题。", "嗯，先理解一下题目在问什么。", "我来仔细算一下。", "好，先整理一下已知条件。"]
CLOSERS = ["So the answer is {a}.", "Therefore the final answer should be {a}.", "That gives {a}.", "So I get {a}.",
           "Hence the result is {a}."]
CLOSERS_ZH = ["所以答案是 {a}。", "因此最终结果是 {a}。", "综上，答案为 {a}。"]
ANSWER_LINES = [
    "\\boxed{{{a}}}", "The final answer is $\\boxed{{{a}}}$.", "Therefore, the answer is \\boxed{{{a}}}.",
    "**Final Answer**\n\\boxed{{{a}}}", "$\\boxed{{{a}}}$",
]
ANSWER_LINES_ZH = ["答案是 $\\boxed{{{a}}}$。", "所以最终答案为 \\boxed{{{a}}}。"]
REFLECTIONS = [
    "Wait, let me double-check that calculation.",
    "Let me re-read the question to make sure I'm answering what it asks.",
    "Hmm, is there another way to see this?",
    "Let me verify each step once more before committing.",
    "I should be careful with signs and units here.",
    "Actually, let me recompute this to be safe.",
    "Did I use every number given in the problem? Let me check.",
]
INTERJECTIONS_ZH = ["嗯，让我再检查一下。", "等一下，这一步需要再确认。", "好的，这样算是对的。", "验证一下。",
                    "我们先把已知条件整理一下。", "没问题，继续。"]
TRAILING_JUNK = [
    "<|im_end|>", "<|endoftext|><|endoftext|>", "\n</answer>",
    "\n\nHuman: Can you explain the second step again?\n\nAssistant: Sure! In the second step",
    "\n<think>\nI think that is right.\n</think>", "\n\nI hope it is correct.",
    " assistant\n\nThe answer above is final.",
]


def r1(think: str, answer: str) -> str:
    return f"<think>\n{think}\n</think>\n<answer>\n{answer}\n</answer>"


def layout(steps: list, style: str) -> str:
    if style == "numbered":
        return "\n".join(f"Step {i}: {s}" for i, s in enumerate(steps, 1))
    if style == "bullets":
        return "\n".join(f"- {s}" for s in steps)
    if style == "para":
        return " ".join(steps)
    return "\n".join(steps)


def reasoning(rng, p: Problem, steps: list, a: str, style: str = None) -> str:
    """Opener, sometimes a restatement, the steps, sometimes a check (only when right), a closer."""
    style = style or rng.choice(["lines", "lines", "bullets", "para", "numbered"])
    parts = [rng.choice(OPENERS)]
    if rng.random() < 0.4:
        parts.append("We are told: " + p.prompt.split("\n")[0])
    parts.append(layout(steps, style))
    if rng.random() < 0.4:
        parts.append(rng.choice(p.check) if a == p.answer and p.check else rng.choice(REFLECTIONS))
    parts.append(rng.choice(CLOSERS).format(a=inline(a)))
    return "\n".join(parts)


def answer_line(rng, a: str) -> str:
    return rng.choice(ANSWER_LINES).format(a=a)


def work(p: Problem, rng, correct: bool):
    """The steps and the final answer of one attempt: the worked solution or a typical mistake."""
    if correct:
        return [s for s, _ in p.steps], p.answer
    return rng.choice(p.wrong)


def k_clean(p, rng, ok):
    steps, a = work(p, rng, ok)
    return r1(reasoning(rng, p, steps, a), answer_line(rng, a)), ok


def k_alt_form(p, rng, ok):
    steps, _ = work(p, rng, True)
    a = rng.choice(p.alt_answers)
    return r1(reasoning(rng, p, steps, a), answer_line(rng, a)), True


def k_numbered(p, rng, ok):
    steps, a = work(p, rng, ok)
    return r1(reasoning(rng, p, steps, a, "numbered"), answer_line(rng, a)), ok


def k_short(p, rng, ok):
    steps, a = work(p, rng, ok)
    shape = rng.randint(0, 3)
    if shape == 0:
        return r1(steps[-1], f"\\boxed{{{a}}}"), ok
    if shape == 1:
        return f"<think>\n\n</think>\n<answer>\n\\boxed{{{a}}}\n</answer>", ok
    if shape == 2:
        return f"\\boxed{{{a}}}", ok
    return r1("Quick mental math.", a), ok


RECHECKS = [
    "Going over step {i}: {s} That looks right.",
    "Re-deriving step {i} from scratch: {s} Same result.",
    "Could step {i} be wrong? {s} I don't see a problem with it.",
    "Step {i} again, slowly: {s} Fine.",
]


def k_long(p, rng, ok):
    """A long, careful chain: restatement, steps, then re-check passes until a length target."""
    steps, a = work(p, rng, ok)
    question = p.prompt.split("\n")[0]
    parts = [rng.choice(OPENERS), f"The problem says: {question}",
             "Let me write down what I know and what I need to find before computing anything.",
             layout(steps, "lines")]
    target = rng.randint(1000, 3900)
    reflections, rechecks = rng.sample(REFLECTIONS, len(RECHECKS)), rng.sample(RECHECKS, len(RECHECKS))
    for reflection, template in zip(reflections, rechecks):
        if len("\n\n".join(parts)) >= target:
            break
        parts.append(reflection)
        parts += [template.format(i=i, s=s) for i, s in enumerate(steps, 1)]
        if ok and p.check and template is rechecks[0]:
            parts += p.check
        elif template is rechecks[1]:
            parts.append("Another way to organise the same computation: " + " ".join(steps))
    parts.append("I'm fairly confident now. " + rng.choice(CLOSERS).format(a=inline(a)))
    return r1("\n\n".join(parts), answer_line(rng, a)), ok


def k_code(p, rng, ok):
    steps, a = work(p, rng, True)
    src, out = p.code
    block = f"```python\n{src}\n```"
    if rng.random() < 0.5:
        think = "\n".join([rng.choice(OPENERS), layout(steps, "lines"),
                           "Let me verify with a quick computation:", block,
                           f"This prints `{out}`, which agrees with my hand calculation."])
        return r1(think, answer_line(rng, a)), True
    think = "\n".join([rng.choice(OPENERS), "This is easiest to compute directly.", block, f"Output: {out}"])
    return r1(think, f"Running the code gives {out}.\n\n\\boxed{{{a}}}"), True


def k_mixed_language(p, rng, ok):
    if ok:
        pairs = list(p.steps)
        a = p.answer
    else:
        steps, a = rng.choice(p.wrong)
        pairs = [(s, None) for s in steps]
    lines = [rng.choice(OPENERS)]
    switch = rng.random() < 0.35 and ok
    for i, (en, zh) in enumerate(pairs):
        if zh and (rng.random() < 0.4 or (switch and i >= len(pairs) // 2)):
            lines.append(zh)
        else:
            lines.append(en)
        if rng.random() < 0.35:
            lines.append(rng.choice(INTERJECTIONS_ZH))
    lines.append(rng.choice(CLOSERS_ZH if switch or rng.random() < 0.3 else CLOSERS).format(a=inline(a)))
    ans = rng.choice(ANSWER_LINES_ZH if rng.random() < 0.4 else ANSWER_LINES).format(a=a)
    return r1("\n".join(lines), ans), ok


def k_chinese(p, rng, ok):
    lines = [rng.choice(OPENERS_ZH)] + [zh for _, zh in p.steps] + [rng.choice(CLOSERS_ZH).format(a=inline(p.answer))]
    return r1("\n".join(lines), rng.choice(ANSWER_LINES_ZH).format(a=p.answer)), True


def k_chinese_truncated(p, rng, ok):
    text = "<think>\n" + "\n".join([rng.choice(OPENERS_ZH)] + [zh for _, zh in p.steps])
    cut = rng.randint(len(text) // 2, len(text) - 2)
    return text[:cut], False


def k_no_tags(p, rng, ok):
    steps, a = work(p, rng, ok)
    return reasoning(rng, p, steps, a) + "\n\n" + answer_line(rng, a), ok


def k_prefilled(p, rng, ok):
    """Chat templates that put <think> in the prompt: the completion starts inside the reasoning."""
    steps, a = work(p, rng, ok)
    tail = rng.choice([f"The answer is $\\boxed{{{a}}}$.", f"**Final Answer**\n\\[\n\\boxed{{{a}}}\n\\]",
                       f"<answer>\n\\boxed{{{a}}}\n</answer>"])
    return reasoning(rng, p, steps, a) + "\n</think>\n\n" + tail, ok


def k_out_of_order(p, rng, ok):
    steps, a = work(p, rng, ok)
    think = reasoning(rng, p, steps, a)
    shape = rng.randint(0, 2)
    if shape == 0:
        return f"<answer>\n\\boxed{{{a}}}\n</answer>\n<think>\n{think}\n</think>", ok
    if shape == 1:
        return f"<think>\n{think}\n<answer>\n\\boxed{{{a}}}\n</answer>\n</think>", ok
    return f"</think>\n{think}\n<think>\n<answer>\n\\boxed{{{a}}}\n</answer>", ok


def k_trailing_junk(p, rng, ok):
    text, _ = k_clean(p, rng, ok)
    return text + rng.choice(TRAILING_JUNK), ok


def k_answer_tag_only(p, rng, ok):
    steps, a = work(p, rng, ok)
    return r1(reasoning(rng, p, steps, a), a), ok


def k_self_correct(p, rng, ok):
    wrong_steps, w = rng.choice(p.wrong)
    right_steps = [s for s, _ in p.steps]
    first, first_a, second, second_a = ((wrong_steps, w, right_steps, p.answer) if ok
                                        else (right_steps, p.answer, wrong_steps, w))
    doubt = ("Wait, that doesn't look right. Let me redo it more carefully." if ok
             else "Hmm, actually I think I misread the question. Let me start over.")
    think = "\n".join([rng.choice(OPENERS), layout(first, "lines"), f"So the answer would be $\\boxed{{{first_a}}}$.",
                       doubt, layout(second, "lines"), rng.choice(CLOSERS).format(a=inline(second_a))])
    return r1(think, answer_line(rng, second_a)), ok


def loop_block(rng, steps, a) -> str:
    s = rng.choice(steps)
    return rng.choice([f"Wait, let me double-check. {s} Yes, so it's {inline(a)}.",
                       f"Hmm, but let me verify again. {s} So {inline(a)}.",
                       f"Let me recheck: {s} That still gives {inline(a)}."])


def k_loop_answer(p, rng, ok):
    steps, a = work(p, rng, True)
    block = loop_block(rng, steps, a)
    think = "\n".join([rng.choice(OPENERS), layout(steps, "lines")] + [block] * rng.randint(3, 6))
    return r1(think, answer_line(rng, a)), True


def k_loop_truncated(p, rng, ok):
    steps, a = work(p, rng, rng.random() < 0.5)
    block = loop_block(rng, steps, a)
    text = "<think>\n" + "\n".join([rng.choice(OPENERS), layout(steps, "lines")])
    limit = rng.randint(2200, 4000)
    while len(text) < limit:
        text += "\n" + block
    return text[:limit], False


def k_truncated(p, rng, ok):
    """Cut mid-sentence before the closing "so the answer is" line, so nothing is extractable."""
    steps, a = work(p, rng, rng.random() < 0.6)
    text = "<think>\n" + reasoning(rng, p, steps, a).rsplit("\n", 1)[0]
    cut = rng.randint(len(text) * 35 // 100, len(text) * 9 // 10)
    return text[:cut], False


def k_truncated_box(p, rng, ok):
    steps, a = work(p, rng, True)
    think = reasoning(rng, p, steps, a)
    if rng.random() < 0.5:
        think += f"\nTentatively $\\boxed{{{a}}}$, let me just restate it cleanly."
    return f"<think>\n{think}\n</think>\n<answer>\nThe final answer is \\boxed{{{a[:rng.randint(0, len(a) - 1)]}", False


def k_empty_box(p, rng, ok):
    steps, a = work(p, rng, rng.random() < 0.5)
    return r1(reasoning(rng, p, steps, a), "\\boxed{}"), False


def k_hedge(p, rng, ok):
    _, w = rng.choice(p.wrong)
    steps = [s for s, _ in p.steps]
    first, second = (p.answer, w) if rng.random() < 0.5 else (w, p.answer)
    think = "\n".join([rng.choice(OPENERS), layout(steps, "lines"),
                       f"But it could also be {inline(w)} if I misread the question."])
    return r1(think, f"The answer is \\boxed{{{first}}} or \\boxed{{{second}}}."), False


def k_no_answer(p, rng, ok):
    steps = [s for s, _ in p.steps][: max(1, len(p.steps) // 2)]
    think = "\n".join([rng.choice(OPENERS), layout(steps, "lines"), rng.choice(REFLECTIONS),
                       "I'm not sure how to continue from here."])
    return r1(think, rng.choice(["I could not determine the answer.", "Not enough information.", ""])), False


# kind -> (builder, weight when the completion should be right, weight when it should be wrong).
# A builder may override the requested correctness (truncations are never right).
KINDS = {
    "clean": (k_clean, 4.0, 4.0),
    "alt_form": (k_alt_form, 3.0, 0.0),
    "numbered": (k_numbered, 1.5, 1.5),
    "short": (k_short, 1.0, 1.0),
    "long": (k_long, 1.2, 1.0),
    "code": (k_code, 1.0, 0.0),
    "mixed_language": (k_mixed_language, 1.5, 1.0),
    "chinese": (k_chinese, 1.0, 0.0),
    "chinese_truncated": (k_chinese_truncated, 0.0, 0.5),
    "no_tags": (k_no_tags, 1.0, 0.8),
    "prefilled_think": (k_prefilled, 1.0, 0.8),
    "tags_out_of_order": (k_out_of_order, 0.7, 0.4),
    "trailing_junk": (k_trailing_junk, 1.0, 0.7),
    "answer_tag_no_box": (k_answer_tag_only, 0.5, 0.4),
    "self_correction": (k_self_correct, 0.7, 0.6),
    "repetition_then_answer": (k_loop_answer, 0.5, 0.0),
    "repetition_truncated": (k_loop_truncated, 0.0, 0.8),
    "truncated": (k_truncated, 0.0, 1.2),
    "truncated_box": (k_truncated_box, 0.0, 0.7),
    "empty_box": (k_empty_box, 0.0, 0.4),
    "hedged_boxes": (k_hedge, 0.0, 0.6),
    "no_answer": (k_no_answer, 0.0, 0.5),
}


# --------------------------------------------------------------------------------------------
# Groups
# --------------------------------------------------------------------------------------------

@dataclass
class Rollout:
    prompt: str
    completion: str
    solution: str
    group: str
    family: str
    kind: str
    expected: float   # verdict the completion was built to get under the math policy (1 right, 0 wrong)
    profile: str      # all_correct | all_wrong | mixed: how the group's correct rate was chosen


GROUP_SIZE_OVERRIDES = {7: 4, 23: 4, 41: 4, 59: 4, 12: 16, 50: 16}   # group index -> size; the rest have 8
PROFILE_OVERRIDES = {  # group index -> profile; ~1 in 6 groups all right, ~1 in 9 all wrong
    0: "all_correct", 3: "all_correct", 9: "all_correct", 16: "all_correct", 22: "all_correct",
    30: "all_correct", 37: "all_correct", 45: "all_correct", 53: "all_correct", 64: "all_correct",
    71: "all_correct", 26: "all_correct",
    5: "all_wrong", 18: "all_wrong", 33: "all_wrong", 44: "all_wrong", 51: "all_wrong",
    60: "all_wrong", 67: "all_wrong", 13: "all_wrong",
}


def problems():
    out = []
    for fam, count in FAMILIES:
        for k in range(count):
            rng = random.Random(f"{SEED}/{fam.__name__}/{k}")
            p = fam(rng, k)
            bad = {p.answer, *p.alt_answers}
            p.wrong = [(s, w) for s, w in p.wrong if w not in bad]
            assert p.wrong, (p.family, k)
            out.append(p)
    return out


def choose_kind(rng, p: Problem, ok: bool) -> str:
    names = [n for n, (_, wc, ww) in KINDS.items() if (wc if ok else ww) > 0 and not (n == "code" and p.code is None)]
    weights = [KINDS[n][1] if ok else KINDS[n][2] for n in names]
    return rng.choices(names, weights=weights)[0]


def build_rows() -> list:
    rows = []
    for gi, p in enumerate(problems()):
        rng = random.Random(f"{SEED}/group/{gi}")
        group = f"{p.family}-{gi:03d}"
        size = GROUP_SIZE_OVERRIDES.get(gi, 8)
        profile = PROFILE_OVERRIDES.get(gi, "mixed")
        p_right = {"all_correct": 1.0, "all_wrong": 0.0}.get(profile, rng.uniform(0.2, 0.85))
        prompt = PROMPT_STYLES[rng.choices([0, 1, 2], weights=[4, 4, 2])[0]].format(q=p.prompt)
        for _ in range(size):
            ok = rng.random() < p_right
            kind = choose_kind(rng, p, ok)
            text, verdict = KINDS[kind][0](p, rng, ok)
            rows.append(Rollout(prompt, text, p.solution, group, p.family, kind, float(verdict), profile))
    return rows


def render(rows) -> bytes:
    lines = [json.dumps({"prompt": r.prompt, "completion": r.completion, "solution": r.solution, "group": r.group},
                        ensure_ascii=False) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def stats(rows) -> str:
    def table(title, key):
        counts = {}
        for r in rows:
            c = counts.setdefault(key(r), [0, set(), 0.0])
            c[0] += 1
            c[1].add(r.group)
            c[2] += r.expected
        out = [f"| {title} | groups | rows | intended right |", "|---|---:|---:|---:|"]
        for name in sorted(counts, key=lambda n: (-counts[n][0], n)):
            n, groups, right = counts[name]
            out.append(f"| {name} | {len(groups)} | {n} | {int(right)} |")
        return "\n".join(out)

    sizes = {}
    for r in rows:
        sizes[r.group] = sizes.get(r.group, 0) + 1
    size_counts = {}
    for s in sizes.values():
        size_counts[s] = size_counts.get(s, 0) + 1
    lengths = sorted(len(r.completion.encode("utf-8")) for r in rows)
    head = [f"rows: {len(rows)}, groups: {len(sizes)}, group sizes: "
            + ", ".join(f"{n} x {s}" for s, n in sorted(size_counts.items())),
            f"completion bytes: min {lengths[0]}, median {lengths[len(lengths) // 2]}, max {lengths[-1]}, "
            f">= 2 kB: {sum(n >= 2048 for n in lengths)}, file: {len(render(rows))} bytes",
            f"intended right: {int(sum(r.expected for r in rows))} of {len(rows)}", ""]
    return "\n".join(head + [table("family", lambda r: r.family), "",
                             table("completion kind", lambda r: r.kind), "",
                             table("group profile", lambda r: r.profile)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the data file differs from the generator")
    ap.add_argument("--stats", action="store_true", help="print counts per category as markdown tables")
    ap.add_argument("--labels", metavar="PATH", help="write group, index in file, kind and intended verdict per row")
    ap.add_argument("--out", default=str(OUT_PATH), help="data file path (default: %(default)s)")
    args = ap.parse_args(argv)
    rows = build_rows()
    data = render(rows)
    if args.stats:
        print(stats(rows))
    if args.labels:
        with open(args.labels, "w", encoding="utf-8", newline="\n") as fh:
            for i, r in enumerate(rows):
                fh.write(json.dumps({"line": i + 1, "group": r.group, "family": r.family, "kind": r.kind,
                                     "expected": r.expected}) + "\n")
    out = Path(args.out)
    if args.check:
        same = out.exists() and out.read_bytes() == data
        print(f"{out}: {'up to date' if same else 'DIFFERS from the generator'}")
        return 0 if same else 1
    if not args.stats and not args.labels:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        print(f"wrote {len(rows)} rows, {len(data)} bytes to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
