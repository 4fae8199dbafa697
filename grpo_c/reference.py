"""Plain-Python twins of grpo_c kernels, written for clarity; tests and benchmarks use them as
oracles. Each helper appends its own section."""

from __future__ import annotations

# ---- math answers: extraction (twin of csrc/math_extract.c) ------------------------------------

_SPACE = " \t\n\r\f\v"


def _read_box(s: str, kw: int, klen: int):
    """(content_begin, content_end, closed, braced) of the box whose keyword starts at kw."""
    p = kw + klen
    if p < len(s) and s[p].isascii() and s[p].isalpha():
        return None
    while p < len(s) and s[p] in " \t":
        p += 1
    if p < len(s) and s[p] == "{":
        depth, q = 0, p
        while q < len(s):
            c = s[q]
            if c == "\\" and q + 1 < len(s) and s[q + 1] in "{}":
                q += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return p + 1, q, True, True
            q += 1
        return p + 1, len(s), False, True
    b = p
    while p < len(s) and s[p] not in _SPACE and s[p] not in "$}":
        p += 1
    e = p
    while e > b and s[e - 1] in ".,":
        e -= 1
    return b, e, True, False


def _last_box_kw(s: str, limit: int):
    b, f = s.rfind("\\boxed", 0, limit), s.rfind("\\fbox", 0, limit)
    if b < 0 and f < 0:
        return -1, 0
    return (b, 6) if b > f else (f, 5)


def _only_separators(gap: str) -> bool:
    i = 0
    while i < len(gap):
        c = gap[i]
        low = gap[i:].lower()
        if c in _SPACE or c in ",;.$&~{}\\":
            i += 1
        elif low.startswith("and"):
            i += 3
        elif low.startswith("or"):
            i += 2
        elif gap.startswith("\\text", i):
            i += 5
        elif gap.startswith("quad", i) and len(gap) - i >= 5:
            i += 4
        else:
            return False
    return True


def _previous_box(s: str, start: int):
    p, scanned = start, 0
    while p > 0 and scanned < 24 and s[p - 1] != "}":
        p -= 1
        scanned += 1
    if p == 0 or s[p - 1] != "}" or not _only_separators(s[p:start]):
        return None
    close, depth, q = p - 1, 0, p
    while True:
        q -= 1
        if q < 0:
            return None
        escaped = q > 0 and s[q - 1] == "\\"
        if s[q] == "}" and not escaped:
            depth += 1
        elif s[q] == "{" and not escaped:
            depth -= 1
            if depth == 0:
                break
        if q == 0:
            return None
    k = q
    while k > 0 and s[k - 1] in " \t":
        k -= 1
    for kw in ("\\boxed", "\\fbox"):
        if s[:k].endswith(kw):
            return k - len(kw), q + 1, close
    return None


def _extract_box(s: str):
    """None if there is no box; "" for a truncated/empty last box; else the answer text."""
    kw, klen = _last_box_kw(s, len(s))
    box = None
    for _ in range(17):
        if kw < 0:
            return None
        box = _read_box(s, kw, klen)
        if box is not None:
            break
        kw, klen = _last_box_kw(s, kw)
    if box is None:
        return None
    b, e, closed, _ = box
    if not closed or not s[b:e].strip():
        return ""
    boxes = [(kw, b, e)]
    while len(boxes) < 64:
        prev = _previous_box(s, boxes[-1][0])
        if prev is None:
            break
        boxes.append(prev)
    if len(boxes) == 1:
        return s[b:e].strip()
    parts = []
    for _, cb, ce in reversed(boxes):
        text = s[cb:ce].strip()
        if text and (not parts or parts[-1] != text):
            parts.append(text)
    return ", ".join(parts)


def _anchored(s: str, p: int, latex_only: bool):
    while p < len(s) and (s[p] in _SPACE or s[p] in ":*"):
        p += 1
    if s[p:p + 2].lower() == "is" and not (p + 2 < len(s) and s[p + 2].isascii() and s[p + 2].isalpha()):
        p += 2
        while p < len(s) and (s[p] in _SPACE or s[p] in ":*"):
            p += 1
    for opener, closer in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if s.startswith(opener, p):
            c = s.find(closer, p + len(opener))
            if c >= 0:
                text = s[p + len(opener):c].strip()
                return text or None
            break
    if latex_only:
        return None
    e = p
    while e < len(s) and s[e] != "\n":
        if s[e] == "." and (e + 1 == len(s) or s[e + 1] in _SPACE or s[e + 1] == "*"):
            break
        e += 1
    m = _math_prefix_end(s, p, e)
    if m > p:
        e = m
    else:
        comma = s.find(",", p, e)
        e = comma if comma >= 0 else e
    text = s[p:e].rstrip("*, \t\n\r\f\v").strip()
    return text or None


_HEDGES = {"more", "less", "fewer", "greater", "higher", "lower", "above", "below", "larger",
           "smaller", "so", "bigger", "over", "under"}
_MATH_WORDS = {"sqrt", "pi", "inf", "infty", "infinity", "sin", "cos", "tan", "log", "ln", "exp"}
_PROSE2 = {"is", "so", "it", "as", "be", "we", "if", "on", "at", "to", "of", "by", "no", "an",
           "my", "am", "He", "It", "So", "As", "If", "We"}


def _alpha(c: str) -> bool:
    return c.isascii() and c.isalpha()


def _math_follows(s: str, p: int, e: int) -> bool:
    while p < e and s[p] == " ":
        p += 1
    if p >= e:
        return False
    c = s[p]
    if c in "0123456789-$\\(":
        return True
    return _alpha(c) and c not in "IaA" and not (p + 1 < e and _alpha(s[p + 1]))


def _math_prefix_end(s: str, b: int, e: int) -> int:
    """End of the math at the start of s[b:e]: stops at the first prose word."""
    p = good = b
    while p < e:
        c = s[p]
        if _alpha(c):
            q = p
            while q < e and _alpha(s[q]):
                q += 1
            word = s[p:q]
            if word.lower() in ("and", "or"):
                if not _math_follows(s, q, e):
                    w = q
                    while w < e and s[w] == " ":
                        w += 1
                    we = w
                    while we < e and _alpha(s[we]):
                        we += 1
                    return b if s[w:we] in _HEDGES else good
            elif (word not in _MATH_WORDS) if len(word) >= 3 else (word in _PROSE2):
                break
            p = good = q
            continue
        if c == "\\":
            q = p + 1
            while q < e and _alpha(s[q]):
                q += 1
            if q == p + 1 and q < e:
                q += 1
            p = good = q
            continue
        if c in "(," and p > b:
            q = p + 1
            while q < e and s[q] == " ":
                q += 1
            r = q
            while r < e and _alpha(s[r]):
                r += 1
            if r - q >= 3 and s[q:r] not in _MATH_WORDS:
                break
        p += 1
        if c not in _SPACE:
            good = p
    return good


_DENIALS = {"wrong", "incorrect", "false", "not", "doubt", "never", "isn", "unlikely",
            "impossible", "no", "t", "cannot"}


def _anchor_denied(s: str, at: int) -> bool:
    """Does the clause before the anchor (back to punctuation, <= 80 chars) deny it?"""
    b, limit = at, max(at - 80, 0)
    while b > limit and s[b - 1] not in ".,;:!?\n":
        b -= 1
    words, word = [], ""
    for c in s[b:at]:
        if _alpha(c):
            word += c.lower()
        elif word:
            words.append(word)
            word = ""
    if word:
        words.append(word)
    return any(w[:15] in _DENIALS for w in words)


def _extract_anchor(s: str, latex_only: bool):
    low, limit = "".join(c.lower() if c.isascii() else c for c in s), len(s)
    for _ in range(4):
        at = low.rfind("answer", 0, limit)
        if at < 0:
            return None
        p = at + 6
        if p < len(s) and low[p] == "s":
            p += 1
        q = p
        while q < len(s) and s[q] in " *\t":
            q += 1
        ok = False
        if q < len(s) and s[q] in ":=":
            ok = True
        elif low.startswith("is", q):
            ok = True
        elif low.startswith("are", q):
            q += 3
            ok = True
        elif q > p and s[q - 1] == "*":
            ok = True
        elif s.startswith(("$", "\\(", "\\["), q):
            ok = True
        if ok and q < len(s) and s[q] == "=":
            q += 1
        if ok and not _anchor_denied(s, at):
            text = _anchored(s, q, latex_only)
            if text is not None:
                return text
        limit = at
    return None


def _extract_hashes(s: str):
    at = s.rfind("####")
    if at < 0:
        return None
    line = s[at + 4:].split("\n", 1)[0].strip().rstrip(".")
    return line


def math_extract_answer(text: str, *, gold: bool = False, mode: str = "default",
                        after_think: bool = False) -> str | None:
    """The final answer of a completion (or a gold) as grpo_c reads it, or None.

    Order: the last box (adjacent boxes joined as a list); a truncated or empty last box is no
    answer. Golds then take "#### n" or the whole text. Completions (mode "default") then take the
    last <answer>...</answer>, then "#### n", then an anchored phrase ("the answer is ...");
    mode "strict" only anchors followed by $...$, \\(...\\) or \\[...\\]; mode "boxed" only boxes.
    """
    if not gold and after_think:
        at = text.rfind("</think>")
        if at < 0:
            return None
        return math_extract_answer(text[at + 8:], mode=mode)
    boxed = _extract_box(text)
    if boxed is not None:
        return boxed or None
    if gold:
        hashes = _extract_hashes(text)
        if hashes is not None:
            return hashes or None
        anchored = _extract_anchor(text, False)
        if anchored is not None:
            return anchored
        return text.strip() or None
    if mode == "boxed":
        return None
    if mode == "strict":
        return _extract_anchor(text, True)
    tag = text.rfind("<answer>")
    if tag >= 0:
        close = text.find("</answer>", tag + 8)
        if close < 0:
            return None
        inner = text[tag + 8:close].strip()
        if not inner:
            return None
        return _extract_anchor(inner, False) or inner
    hashes = _extract_hashes(text)
    if hashes is not None:
        return hashes or None
    return _extract_anchor(text, False)

# ---- end of math answers -----------------------------------------------------------------------
