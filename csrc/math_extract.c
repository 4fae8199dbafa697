/*
 * math_extract.c - finding the final answer in a completion (or a gold solution).
 *
 * Policy (docs/math.md): the last \boxed{} / \boxed x / \fbox{}; boxes separated only by
 * separators (whitespace, punctuation, "and", "or", "$") join into one list answer, consecutive
 * duplicates dropped; else the last <answer>...</answer>; else the last "#### n"; else the last
 * anchored phrase ("final answer is", "answer:", ...). A truncated or empty last box is no answer:
 * we never fall back to an earlier box, since that would reward an answer the model revised.
 * Every search is a bounded-pattern scan, so extraction is linear in the input.
 */
#include "math_internal.h"

#include <string.h>

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
static int is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* Last position where pat occurs in s[0, len), or -1. Case-insensitive when fold is set. */
static ptrdiff_t find_last(const char *s, size_t len, const char *pat, int fold) {
    size_t m = strlen(pat);
    if (m == 0 || m > len) return -1;
    if (!fold) { /* jump between occurrences of the first byte */
        size_t end = len - m + 1;
        while (end > 0) {
            const char *hit = memrchr(s, pat[0], end);
            if (!hit) return -1;
            if (memcmp(hit, pat, m) == 0) return hit - s;
            end = (size_t)(hit - s);
        }
        return -1;
    }
    for (size_t i = len - m + 1; i-- > 0;) {
        size_t k = 0;
        while (k < m && (fold ? lower((unsigned char)s[i + k]) == pat[k] : s[i + k] == pat[k])) k++;
        if (k == m) return (ptrdiff_t)i;
    }
    return -1;
}

static ptrdiff_t find_first(const char *s, size_t len, size_t from, const char *pat) {
    size_t m = strlen(pat);
    if (m > len) return -1;
    for (size_t i = from; i + m <= len; i++)
        if (s[i] == pat[0] && memcmp(s + i, pat, m) == 0) return (ptrdiff_t)i;
    return -1;
}

static void trim(const char *s, size_t *b, size_t *e) {
    while (*b < *e && is_space((unsigned char)s[*b])) (*b)++;
    while (*e > *b && is_space((unsigned char)s[*e - 1])) (*e)--;
}

typedef struct {
    size_t kw;           /* position of the backslash of \boxed / \fbox */
    size_t begin, end;   /* content */
    int closed, braced;
} box_t;

/* Reads the box whose keyword starts at kw (keyword length klen). Returns 0 if malformed. */
static int read_box(const char *s, size_t len, size_t kw, size_t klen, box_t *box) {
    size_t p = kw + klen;
    box->kw = kw;
    if (p < len && is_alpha((unsigned char)s[p])) return 0; /* \boxedfoo is another command */
    while (p < len && (s[p] == ' ' || s[p] == '\t')) p++;
    if (p < len && s[p] == '{') {
        int64_t depth = 0;
        for (size_t q = p; q < len; q++) {
            char c = s[q];
            if (c == '\\' && q + 1 < len && (s[q + 1] == '{' || s[q + 1] == '}')) {
                q++;
                continue;
            }
            if (c == '{') depth++;
            else if (c == '}' && --depth == 0) {
                box->begin = p + 1;
                box->end = q;
                box->closed = 1;
                box->braced = 1;
                return 1;
            }
        }
        box->begin = p + 1;
        box->end = len;
        box->closed = 0;
        box->braced = 1;
        return 1;
    }
    /* \boxed 5: one token, up to whitespace or a math delimiter */
    size_t b = p;
    while (p < len && !is_space((unsigned char)s[p]) && s[p] != '$' && s[p] != '}') p++;
    box->begin = b;
    box->end = p;
    box->closed = 1;
    box->braced = 0;
    while (box->end > box->begin && (s[box->end - 1] == '.' || s[box->end - 1] == ',')) box->end--;
    return 1;
}

/* The keyword of the last box before position `limit`, or -1: one backward pass over the
 * backslashes (memrchr), so the common case costs a few vector instructions per kilobyte. */
static ptrdiff_t last_box_kw(const char *s, size_t limit, size_t *klen) {
    size_t end = limit;
    while (end > 0) {
        const char *bs = memrchr(s, '\\', end);
        if (!bs) return -1;
        size_t at = (size_t)(bs - s), left = limit - at;
        if (left >= 6 && memcmp(bs, "\\boxed", 6) == 0) {
            *klen = 6;
            return (ptrdiff_t)at;
        }
        if (left >= 5 && memcmp(bs, "\\fbox", 5) == 0) {
            *klen = 5;
            return (ptrdiff_t)at;
        }
        end = at;
    }
    return -1;
}

/* Is s[b, e) only separators between two boxes? */
static int only_separators(const char *s, size_t b, size_t e) {
    size_t p = b;
    while (p < e) {
        unsigned char c = (unsigned char)s[p];
        if (is_space(c) || c == ',' || c == ';' || c == '.' || c == '$' || c == '&' || c == '~') {
            p++;
        } else if (e - p >= 3 && lower(c) == 'a' && lower(s[p + 1]) == 'n' && lower(s[p + 2]) == 'd') {
            p += 3;
        } else if (e - p >= 2 && lower(c) == 'o' && lower(s[p + 1]) == 'r') {
            p += 2;
        } else if (e - p >= 5 && memcmp(s + p, "\\text", 5) == 0) {
            p += 5;
        } else if (c == '{' || c == '}' || c == '\\') {
            p++;
        } else if (e - p >= 5 && memcmp(s + p, "quad", 4) == 0) {
            p += 4;
        } else {
            return 0;
        }
    }
    return 1;
}

/* Finds the box that ends just before `start` (within a short separator gap). */
static int previous_box(const char *s, size_t start, box_t *box) {
    size_t p = start, scanned = 0;
    while (p > 0 && scanned < 24 && s[p - 1] != '}') {
        p--;
        scanned++;
    }
    if (p == 0 || s[p - 1] != '}' || !only_separators(s, p, start)) return 0;
    size_t close = p - 1;
    int64_t depth = 0;
    size_t q = close + 1;
    while (q-- > 0) {
        if (s[q] == '}' && !(q > 0 && s[q - 1] == '\\')) depth++;
        else if (s[q] == '{' && !(q > 0 && s[q - 1] == '\\') && --depth == 0) break;
        if (q == 0) return 0;
    }
    size_t open = q, k = open;
    while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t')) k--;
    size_t klen = 0;
    if (k >= 6 && memcmp(s + k - 6, "\\boxed", 6) == 0) klen = 6;
    else if (k >= 5 && memcmp(s + k - 5, "\\fbox", 5) == 0) klen = 5;
    if (!klen) return 0;
    box->kw = k - klen;
    box->begin = open + 1;
    box->end = close;
    box->closed = 1;
    box->braced = 1;
    return 1;
}


/* 1: box found (out filled, possibly with a failure reason); 0: no box at all. */
static int extract_box(math_arena *a, math_extracted *out, const char *s, size_t len) {
    size_t klen;
    ptrdiff_t kw = last_box_kw(s, len, &klen);
    box_t boxes[64];
    int nb = 0;
    for (int tries = 0; kw >= 0; tries++) {
        if (read_box(s, len, (size_t)kw, klen, &boxes[0])) break;
        if (tries == 16) return 0; /* bounded: malformed keywords such as \boxedfoo */
        kw = last_box_kw(s, (size_t)kw, &klen);
    }
    if (kw < 0) return 0;
    nb = 1;
    out->source = SRC_BOX;
    out->reason = 0;
    out->begin = boxes[0].kw;
    out->end = boxes[0].closed ? boxes[0].end + (size_t)boxes[0].braced : len;
    if (!boxes[0].closed) {
        out->reason = GRPO_MATH_TRUNCATED;
        return 1;
    }
    size_t b = boxes[0].begin, e = boxes[0].end;
    trim(s, &b, &e);
    if (b == e) {
        out->reason = GRPO_MATH_EMPTY;
        return 1;
    }
    while (nb < 64 && previous_box(s, boxes[nb - 1].kw, &boxes[nb])) nb++;
    /* join, oldest first, dropping consecutive duplicates and empty boxes */
    size_t total = 0;
    for (int i = 0; i < nb; i++) total += boxes[i].end - boxes[i].begin + 2;
    if (nb == 1) {
        out->s = s + b;
        out->len = e - b;
        return 1;
    }
    char *buf = grpo_math_alloc(a, total + 1);
    if (!buf) {
        out->reason = GRPO_MATH_TOO_LONG;
        return 1;
    }
    size_t w = 0, prev_b = 0, prev_e = 0;
    int have_prev = 0;
    for (int i = nb - 1; i >= 0; i--) {
        size_t cb = boxes[i].begin, ce = boxes[i].end;
        trim(s, &cb, &ce);
        if (cb == ce) continue;
        if (have_prev && ce - cb == prev_e - prev_b && memcmp(s + cb, s + prev_b, ce - cb) == 0)
            continue;
        if (w) {
            buf[w++] = ',';
            buf[w++] = ' ';
        }
        memcpy(buf + w, s + cb, ce - cb);
        w += ce - cb;
        prev_b = cb;
        prev_e = ce;
        have_prev = 1;
    }
    out->begin = boxes[nb - 1].kw;
    out->s = buf;
    out->len = w;
    return 1;
}

static int word_in(const char *w, size_t n, const char *const *list) {
    for (int i = 0; list[i]; i++)
        if (strlen(list[i]) == n && memcmp(list[i], w, n) == 0) return 1;
    return 0;
}

static const char *const MATH_WORDS[] = {"sqrt", "pi", "inf", "infty", "infinity", "sin", "cos",
    "tan", "log", "ln", "exp", NULL};
static const char *const PROSE2[] = {"is", "so", "it", "as", "be", "we", "if", "on", "at", "to",
    "of", "by", "no", "an", "my", "am", "He", "It", "So", "As", "If", "We", NULL};

static const char *const HEDGES[] = {"more", "less", "fewer", "greater", "higher", "lower",
    "above", "below", "larger", "smaller", "so", "fewer", "bigger", "over", "under", NULL};

/* Does math follow at p (after "and" / "or")? */
static int math_follows(const char *s, size_t p, size_t e) {
    while (p < e && s[p] == ' ') p++;
    if (p >= e) return 0;
    unsigned char c = (unsigned char)s[p];
    if ((c >= '0' && c <= '9') || c == '-' || c == '$' || c == '\\' || c == '(') return 1;
    /* a lone variable, but not the words "I" and "a" */
    return is_alpha(c) && c != 'I' && c != 'a' && c != 'A' &&
           !(p + 1 < e && is_alpha((unsigned char)s[p + 1]));
}

/* End of the math at the start of s[b, e) in plain text: stops at the first prose word
 * ("5 because ...", "5, which is prime", "5 (two plus three)"). */
static size_t math_prefix_end(const char *s, size_t b, size_t e) {
    size_t p = b, good = b;
    while (p < e) {
        unsigned char c = (unsigned char)s[p];
        if (is_alpha(c)) {
            size_t q = p;
            while (q < e && is_alpha((unsigned char)s[q])) q++;
            size_t n = q - p;
            int connective = (n == 3 && lower(s[p]) == 'a' && lower(s[p + 1]) == 'n' &&
                              lower(s[p + 2]) == 'd') ||
                             (n == 2 && lower(s[p]) == 'o' && lower(s[p + 1]) == 'r');
            if (connective && !math_follows(s, q, e)) {
                /* "5 or more" is a hedge, not 5: give up the math reading */
                size_t w = q;
                while (w < e && s[w] == ' ') w++;
                size_t we = w;
                while (we < e && is_alpha((unsigned char)s[we])) we++;
                return word_in(s + w, we - w, HEDGES) ? b : good;
            }
            if (!connective && (n >= 3 ? !word_in(s + p, n, MATH_WORDS) : word_in(s + p, n, PROSE2)))
                break;
            p = q;
            good = q;
            continue;
        }
        if (c == '\\') {
            size_t q = p + 1;
            while (q < e && is_alpha((unsigned char)s[q])) q++;
            if (q == p + 1 && q < e) q++;
            p = good = q;
            continue;
        }
        if ((c == '(' || c == ',') && p > b) {
            size_t q = p + 1;
            while (q < e && s[q] == ' ') q++;
            size_t r = q;
            while (r < e && is_alpha((unsigned char)s[r])) r++;
            if (r - q >= 3 && !word_in(s + q, r - q, MATH_WORDS)) break;
        }
        p++;
        if (!is_space(c)) good = p;
    }
    return good;
}

/* Text after an anchor: a $..$ / \(..\) / \[..\] environment, or (unless latex_only) plain text
 * up to the end of the line or sentence. */
static int anchored_text(math_extracted *out, const char *s, size_t len, size_t p, int latex_only) {
    while (p < len && (is_space((unsigned char)s[p]) || s[p] == ':' || s[p] == '*')) p++;
    if (len - p >= 2 && lower(s[p]) == 'i' && lower(s[p + 1]) == 's' &&
        (len - p == 2 || !is_alpha((unsigned char)s[p + 2]))) {
        p += 2;
        while (p < len && (is_space((unsigned char)s[p]) || s[p] == ':' || s[p] == '*')) p++;
    }
    const char *close = NULL;
    size_t open_len = 0;
    if (len - p >= 2 && s[p] == '$' && s[p + 1] == '$') { close = "$$"; open_len = 2; }
    else if (p < len && s[p] == '$') { close = "$"; open_len = 1; }
    else if (len - p >= 2 && s[p] == '\\' && s[p + 1] == '(') { close = "\\)"; open_len = 2; }
    else if (len - p >= 2 && s[p] == '\\' && s[p + 1] == '[') { close = "\\]"; open_len = 2; }
    size_t b, e;
    ptrdiff_t c = close ? find_first(s, len, p + open_len, close) : -1;
    if (c >= 0) {
        b = p + open_len;
        e = (size_t)c;
    } else {
        /* plain text ("$12." is a price): the sentence, cut where prose starts */
        if (latex_only) return 0;
        b = p;
        e = p;
        while (e < len && s[e] != '\n') {
            if (s[e] == '.' && (e + 1 == len || is_space((unsigned char)s[e + 1]) || s[e + 1] == '*'))
                break;
            e++;
        }
        size_t m = math_prefix_end(s, b, e);
        if (m > b) {
            e = m;
        } else { /* a word answer: up to a comma */
            size_t q = b;
            while (q < e && s[q] != ',') q++;
            e = q;
        }
        while (e > b && (s[e - 1] == '*' || s[e - 1] == ',' || is_space((unsigned char)s[e - 1]))) e--;
    }
    trim(s, &b, &e);
    if (b == e) return 0;
    out->s = s + b;
    out->len = e - b;
    out->begin = b;
    out->end = e;
    out->source = SRC_ANCHOR;
    out->reason = 0;
    return 1;
}

/* Does the clause before an anchor deny it ("the wrong answer is", "it is false that the
 * answer is")? The clause runs back to the previous punctuation, at most 80 bytes. */
static int anchor_denied(const char *s, size_t at) {
    static const char *const denials[] = {"wrong", "incorrect", "false", "not", "doubt", "never",
        "isn", "unlikely", "impossible", "no", "t", "cannot", NULL};
    size_t b = at, limit = at > 80 ? at - 80 : 0;
    while (b > limit && !strchr(".,;:!?\n", s[b - 1])) b--;
    size_t p = b;
    while (p < at) {
        if (!is_alpha((unsigned char)s[p])) {
            p++;
            continue;
        }
        size_t q = p;
        char word[16];
        while (q < at && is_alpha((unsigned char)s[q])) {
            if (q - p < sizeof word - 1) word[q - p] = (char)lower(s[q]);
            q++;
        }
        word[q - p < sizeof word - 1 ? q - p : sizeof word - 1] = 0;
        for (int i = 0; denials[i]; i++)
            if (strcmp(word, denials[i]) == 0) return 1;
        p = q;
    }
    return 0;
}

/* The last "answer" anchor whose content can be read. Anchors: "answer is", "answer:",
 * "**Final Answer**", "answer =" (any case). */
static int extract_anchor(math_extracted *out, const char *s, size_t len, int latex_only) {
    size_t limit = len;
    for (int tries = 0; tries < 4; tries++) {
        ptrdiff_t at = find_last(s, limit, "answer", 1);
        if (at < 0) return 0;
        size_t p = (size_t)at + 6;
        if (p < len && lower(s[p]) == 's') p++;
        size_t q = p;
        while (q < len && (s[q] == ' ' || s[q] == '*' || s[q] == '\t')) q++;
        int ok = 0;
        if (q < len && (s[q] == ':' || s[q] == '=')) ok = 1;
        else if (len - q >= 2 && lower(s[q]) == 'i' && lower(s[q + 1]) == 's') ok = 1;
        else if (len - q >= 3 && lower(s[q]) == 'a' && lower(s[q + 1]) == 'r' && lower(s[q + 2]) == 'e') {
            q += 3;
            ok = 1;
        } else if (q > p && s[q - 1] == '*') ok = 1; /* **Final Answer** then the answer */
        else if (q < len && (s[q] == '$' || (s[q] == '\\' && q + 1 < len && (s[q + 1] == '(' || s[q + 1] == '['))))
            ok = 1; /* "Answer $9$" */
        if (ok && q < len && s[q] == '=') q++;
        if (ok && !anchor_denied(s, (size_t)at) && anchored_text(out, s, len, q, latex_only))
            return 1;
        limit = (size_t)at;
    }
    return 0;
}

static int extract_hashes(math_extracted *out, const char *s, size_t len) {
    ptrdiff_t at = find_last(s, len, "####", 0);
    if (at < 0) return 0;
    size_t b = (size_t)at + 4, e = b;
    while (e < len && s[e] != '\n') e++;
    trim(s, &b, &e);
    while (e > b && s[e - 1] == '.') e--;
    out->source = SRC_HASHES;
    out->begin = b;
    out->end = e;
    out->s = s + b;
    out->len = e - b;
    out->reason = b == e ? GRPO_MATH_EMPTY : 0;
    return 1;
}

void grpo_math_find_answer(math_arena *a, math_extracted *out, const char *s, size_t len, int is_gold,
                  const grpo_math_options *opt) {
    memset(out, 0, sizeof *out);
    out->reason = GRPO_MATH_NO_ANSWER;
    if (!is_gold && opt->after_think) {
        ptrdiff_t t = find_last(s, len, "</think>", 0);
        if (t < 0) {
            out->reason = GRPO_MATH_NO_THINK_END;
            return;
        }
        size_t off = (size_t)t + 8;
        grpo_math_find_answer(a, out, s + off, len - off, 0,
                     &(grpo_math_options){opt->extract, 0, opt->strict_latex, opt->float_rel_tol});
        out->begin += off;
        out->end += off;
        if (out->s == NULL) return;
        return;
    }
    if (extract_box(a, out, s, len)) {
        if (out->reason == 0) out->end = out->end > out->begin ? out->end : out->begin;
        return;
    }
    if (is_gold) {
        if (extract_hashes(out, s, len)) return;
        /* a worked solution ending "The answer is 5." reads like a completion */
        if (extract_anchor(out, s, len, 0)) return;
        size_t b = 0, e = len;
        trim(s, &b, &e);
        out->source = SRC_WHOLE;
        out->begin = b;
        out->end = e;
        out->s = s + b;
        out->len = e - b;
        out->reason = b == e ? GRPO_MATH_EMPTY : 0;
        return;
    }
    if (opt->extract == GRPO_MATH_EXTRACT_BOXED) return;
    if (opt->extract == GRPO_MATH_EXTRACT_STRICT) {
        extract_anchor(out, s, len, 1);
        return;
    }
    ptrdiff_t tag = find_last(s, len, "<answer>", 0);
    if (tag >= 0) {
        size_t b = (size_t)tag + 8;
        ptrdiff_t close = find_first(s, len, b, "</answer>");
        out->source = SRC_TAG;
        out->begin = (size_t)tag;
        if (close < 0) {
            out->end = len;
            out->reason = GRPO_MATH_TRUNCATED;
            return;
        }
        size_t e = (size_t)close;
        out->end = e + 9;
        trim(s, &b, &e);
        if (b == e) {
            out->reason = GRPO_MATH_EMPTY;
            return;
        }
        math_extracted inner;
        memset(&inner, 0, sizeof inner);
        if (extract_anchor(&inner, s + b, e - b, 0)) {
            out->s = inner.s;
            out->len = inner.len;
        } else {
            out->s = s + b;
            out->len = e - b;
        }
        out->reason = 0;
        return;
    }
    if (extract_hashes(out, s, len)) return;
    extract_anchor(out, s, len, 0);
}
