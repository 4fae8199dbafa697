/*
 * text_rewards.c - format, tag-count, reasoning-steps and repetition rewards over UTF-8 texts.
 *
 * Stance: each compatibility mode returns exactly what its peer's regex returns (open-r1
 * format/code_format/tag_count/reasoning_steps, TRL think_format), but decides it with a few
 * forward substring searches instead of a backtracking regex, so every reward is linear in the
 * text. The reasoning below each scanner says why the earliest match is the only one that needs
 * checking. Invalid UTF-8 never fails a call: the tags are ASCII and UTF-8 is self-synchronising,
 * so byte-level search agrees with the peer's code-point-level regex.
 *
 * Dimension letters: N texts in a batch.
 */
#include "grpo.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "text_scan.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define TAG_MAX 256 /* longest tag accepted; composite patterns are built on the stack */

/* Python str.count: non-overlapping occurrences, stopping once `cap` are found. */
static int64_t count_nonoverlapping(const char *s, size_t len, const char *pat, size_t plen,
                                    int64_t cap) {
    int64_t count = 0;
    size_t at = 0;
    while (count < cap) {
        size_t hit = find_at(s, len, at, pat, plen);
        if (hit == NOT_FOUND) break;
        count++;
        at = hit + (plen ? plen : 1);
    }
    return count;
}

/* ------------------------------------------------------------------ tags and patterns */

typedef struct {
    char buf[TAG_MAX + 2];
    size_t len;
} pattern;

/* pattern = [pre] tag [post]; pre/post are "\n" or "". */
static void pattern_make(pattern *p, const char *pre, grpo_str tag, const char *post) {
    size_t a = strlen(pre), c = strlen(post);
    memcpy(p->buf, pre, a);
    memcpy(p->buf + a, tag.s, tag.len);
    memcpy(p->buf + a + tag.len, post, c);
    p->len = a + tag.len + c;
}

typedef struct {
    grpo_str open, close, aopen, aclose;
    /* open-r1 pieces: "<think>\n", "\n</think>\n<answer>\n", "\n</answer>" */
    pattern head, middle, tail;
    /* tag_count pieces */
    pattern count[4];
    int mode, prefilled;
    grpo_str language;
} tag_set;

static grpo_str tag_or(grpo_str tag, const char *fallback) {
    if (tag.s != NULL) return tag;
    grpo_str d = {fallback, strlen(fallback)};
    return d;
}

static grpo_status tag_set_init(tag_set *t, const grpo_format_opts *opts) {
    if (opts == NULL) return GRPO_ERR_INVALID;
    t->open = tag_or(opts->think_open, "<think>");
    t->close = tag_or(opts->think_close, "</think>");
    t->aopen = tag_or(opts->answer_open, "<answer>");
    t->aclose = tag_or(opts->answer_close, "</answer>");
    const grpo_str all[4] = {t->open, t->close, t->aopen, t->aclose};
    for (int k = 0; k < 4; k++)
        if (all[k].len == 0 || all[k].len > TAG_MAX / 3) return GRPO_ERR_INVALID;
    pattern_make(&t->head, "", t->open, "\n");
    pattern close_nl, aopen_nl;
    pattern_make(&close_nl, "\n", t->close, "\n");
    pattern_make(&aopen_nl, "", t->aopen, "\n");
    memcpy(t->middle.buf, close_nl.buf, close_nl.len);
    memcpy(t->middle.buf + close_nl.len, aopen_nl.buf, aopen_nl.len);
    t->middle.len = close_nl.len + aopen_nl.len;
    pattern_make(&t->tail, "\n", t->aclose, "");
    pattern_make(&t->count[0], "", t->open, "\n");
    pattern_make(&t->count[1], "\n", t->close, "\n");
    pattern_make(&t->count[2], "\n", t->aopen, "\n");
    pattern_make(&t->count[3], "\n", t->aclose, "");
    t->mode = opts->mode;
    t->prefilled = opts->think_prefilled != 0;
    t->language = opts->code_language;
    if (t->mode < GRPO_FORMAT_OPENR1 || t->mode > GRPO_FORMAT_CODE) return GRPO_ERR_INVALID;
    if (t->mode == GRPO_FORMAT_CODE && t->language.s == NULL && t->language.len != 0)
        return GRPO_ERR_INVALID;
    return GRPO_OK;
}

/* ------------------------------------------------------------------ format scanners */

/* Python's MULTILINE `$`: the end of the string or just before a "\n". */
static int at_line_end(const char *s, size_t len, size_t at) {
    return at == len || (at < len && s[at] == '\n');
}

/* Some "\n</answer>" at or after `from` that is followed by the end or a newline. Any
 * occurrence will do, so the first one that qualifies is taken. */
static int tail_after(const tag_set *t, const char *s, size_t len, size_t from) {
    for (;;) {
        size_t j = find_anchored(s, len, from, t->tail.buf, t->tail.len, 1);
        if (j == NOT_FOUND) return 0;
        if (at_line_end(s, len, j + t->tail.len)) return 1;
        from = j + 1;
    }
}

/* ^O\n.*?\nC\nA\n.*?\nE$ with DOTALL|MULTILINE, or with "```lang.*?```" before the last
 * `.*?` in code mode. Every `.*?` may be empty or span anything, so a match exists iff the
 * pieces occur in order; taking each piece at its earliest position leaves the most room for
 * the next, hence one forward search per piece (the tail loop skips occurrences not at a line
 * end). */
static int format_openr1(const tag_set *t, const char *s, size_t len, grpo_str language) {
    size_t at = 0;
    if (!t->prefilled) {
        if (!starts_at(s, len, 0, t->head.buf, t->head.len)) return 0;
        at = t->head.len;
    }
    size_t mid = find_anchored(s, len, at, t->middle.buf, t->middle.len, 1);
    if (mid == NOT_FOUND) return 0;
    at = mid + t->middle.len;
    if (t->mode == GRPO_FORMAT_CODE) {
        size_t fence = NOT_FOUND;
        for (size_t from = at;;) {
            fence = find_at(s, len, from, "```", 3);
            if (fence == NOT_FOUND) return 0;
            if (starts_at(s, len, fence + 3, language.s, language.len)) break;
            from = fence + 1;
        }
        size_t close = find_at(s, len, fence + 3 + language.len, "```", 3);
        if (close == NOT_FOUND) return 0;
        at = close + 3;
    }
    return tail_after(t, s, len, at);
}

/* ^O(?!.*O)(.*?)C.*$ with DOTALL|MULTILINE: starts with O, no second O anywhere after it (the
 * lookahead), and a C after it (the trailing `.*$` always matches). When O and C share their
 * first byte, one memchr walk over that byte answers both questions. */
static int format_think(const tag_set *t, const char *s, size_t len) {
    size_t at = 0;
    if (!t->prefilled) {
        if (!starts_at(s, len, 0, t->open.s, t->open.len)) return 0;
        at = t->open.len;
    }
    if (t->open.s[0] != t->close.s[0]) {
        if (find_at(s, len, at, t->open.s, t->open.len) != NOT_FOUND) return 0;
        return find_at(s, len, at, t->close.s, t->close.len) != NOT_FOUND;
    }
    int closed = 0;
    while (at < len) {
        const char *hit = memchr(s + at, t->open.s[0], len - at);
        if (hit == NULL) break;
        size_t q = (size_t)(hit - s);
        if (starts_at(s, len, q, t->open.s, t->open.len)) return 0;
        if (starts_at(s, len, q, t->close.s, t->close.len)) closed = 1;
        at = q + 1;
    }
    return closed;
}

static int is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static size_t skip_blank(const char *s, size_t len, size_t at) {
    while (at < len && is_blank(s[at])) at++;
    return at;
}

static int has_ink(const char *s, size_t begin, size_t end) {
    for (size_t k = begin; k < end; k++)
        if (!is_blank(s[k])) return 1;
    return 0;
}

static int contains(const char *s, size_t begin, size_t end, grpo_str tag) {
    return find_at(s, end, begin, tag.s, tag.len) != NOT_FOUND;
}

/* A block body starting at `from` ends at the first tag `stop`: returns that position
 * (NOT_FOUND if none) and sets *inner when another of the four tags lies wholly inside the
 * body. With a common first byte (the usual '<') one memchr walk does it; otherwise one search
 * per tag. */
static size_t block_end(const tag_set *t, const char *s, size_t len, size_t from, int stop,
                        int *inner) {
    const grpo_str tags[4] = {t->open, t->close, t->aopen, t->aclose};
    *inner = 0;
    const char first = tags[0].s[0];
    if (tags[1].s[0] != first || tags[2].s[0] != first || tags[3].s[0] != first) {
        size_t end = find_at(s, len, from, tags[stop].s, tags[stop].len);
        if (end == NOT_FOUND) return NOT_FOUND;
        for (int k = 0; k < 4; k++)
            if (k != stop && contains(s, from, end, tags[k])) *inner = 1;
        return end;
    }
    size_t min_inner_end = NOT_FOUND;
    for (size_t at = from; at < len;) {
        const char *hit = memchr(s + at, first, len - at);
        if (hit == NULL) break;
        size_t q = (size_t)(hit - s);
        if (starts_at(s, len, q, tags[stop].s, tags[stop].len)) {
            *inner = min_inner_end <= q;
            return q;
        }
        for (int k = 0; k < 4; k++)
            if (k != stop && starts_at(s, len, q, tags[k].s, tags[k].len) &&
                q + tags[k].len < min_inner_end)
                min_inner_end = q + tags[k].len;
        at = q + 1;
    }
    return NOT_FOUND;
}

/* Strict: [ws] O body C [ws] A body E [ws], each body non-blank and free of all four tags.
 * Rejects what open-r1 accepts by accident: text after the answer, repeated blocks, empty
 * blocks. Whitespace around tags is free (open-r1 demands exact newlines, issue #237). */
static int format_strict(const tag_set *t, const char *s, size_t len) {
    size_t at = 0;
    int inner;
    if (!t->prefilled) {
        at = skip_blank(s, len, 0);
        if (!starts_at(s, len, at, t->open.s, t->open.len)) return 0;
        at += t->open.len;
    }
    size_t close = block_end(t, s, len, at, 1, &inner);
    if (close == NOT_FOUND || inner || !has_ink(s, at, close)) return 0;
    at = skip_blank(s, len, close + t->close.len);
    if (!starts_at(s, len, at, t->aopen.s, t->aopen.len)) return 0;
    at += t->aopen.len;
    size_t end = block_end(t, s, len, at, 3, &inner);
    if (end == NOT_FOUND || inner || !has_ink(s, at, end)) return 0;
    return skip_blank(s, len, end + t->aclose.len) == len;
}

typedef struct {
    float *out;
    const grpo_str *texts;
    const grpo_str *languages;
    const tag_set *tags;
} format_job;

static void format_range(void *ctx, int64_t begin, int64_t end, int worker) {
    const format_job *job = ctx;
    const tag_set *t = job->tags;
    for (int64_t i = begin; i < end; i++) {
        grpo_str x = job->texts[i];
        if (x.s == NULL) {
            job->out[i] = NAN;
            continue;
        }
        int ok = 0;
        switch (t->mode) {
        case GRPO_FORMAT_OPENR1: ok = format_openr1(t, x.s, x.len, t->language); break;
        case GRPO_FORMAT_THINK: ok = format_think(t, x.s, x.len); break;
        case GRPO_FORMAT_STRICT: ok = format_strict(t, x.s, x.len); break;
        case GRPO_FORMAT_CODE: {
            grpo_str lang = job->languages ? job->languages[i] : t->language;
            if (job->languages && lang.s == NULL) { /* no language for this text */
                job->out[i] = NAN;
                continue;
            }
            ok = format_openr1(t, x.s, x.len, lang);
            break;
        }
        }
        job->out[i] = ok ? 1.0f : 0.0f;
    }
}

/* Texts per work item: the scanners are fast, so chunks are large enough to amortise claiming. */
#define TEXT_GRAIN 64

grpo_status grpo_format_reward(float *out, const grpo_str *texts, int64_t n,
                               const grpo_str *languages, const grpo_format_opts *opts,
                               int num_threads) {
    if (n < 0 || (n > 0 && (out == NULL || texts == NULL))) return GRPO_ERR_INVALID;
    tag_set tags;
    grpo_status st = tag_set_init(&tags, opts);
    if (st != GRPO_OK) return st;
    format_job job = {out, texts, languages, &tags};
    return grpo_parallel_for(n, TEXT_GRAIN, num_threads, format_range, &job);
}

/* ------------------------------------------------------------------ tag count */

/* str.count of the four tag patterns in one pass. Every occurrence of a pattern contains its
 * tag, so visiting each position holding the tags' common first byte (memchr) in increasing
 * order enumerates all occurrences in order; accepting one only when it starts at or after the
 * end of the last accepted one is exactly str.count's greedy non-overlapping count. */
static void count_tags_one_pass(const tag_set *t, const char *s, size_t len, int64_t counts[4]) {
    const grpo_str tags[4] = {t->open, t->close, t->aopen, t->aclose};
    const int lead[4] = {0, 1, 1, 1}, trail[4] = {1, 1, 1, 0};
    size_t next_free[4] = {0, 0, 0, 0};
    const char first = tags[0].s[0];
    for (size_t at = 0; at < len;) {
        const char *hit = memchr(s + at, first, len - at);
        if (hit == NULL) break;
        size_t q = (size_t)(hit - s);
        for (int k = 0; k < 4; k++) {
            if (!starts_at(s, len, q, tags[k].s, tags[k].len)) continue;
            if (lead[k] && (q == 0 || s[q - 1] != '\n')) continue;
            size_t end = q + tags[k].len + (size_t)trail[k];
            if (trail[k] && (end > len || s[end - 1] != '\n')) continue;
            size_t start = q - (size_t)lead[k];
            if (start >= next_free[k]) {
                counts[k]++;
                next_free[k] = end;
            }
        }
        at = q + 1;
    }
}

static void tag_count_range(void *ctx, int64_t begin, int64_t end, int worker) {
    const format_job *job = ctx;
    const tag_set *t = job->tags;
    const int one_pass = t->close.s[0] == t->open.s[0] && t->aopen.s[0] == t->open.s[0] &&
                         t->aclose.s[0] == t->open.s[0];
    for (int64_t i = begin; i < end; i++) {
        grpo_str x = job->texts[i];
        if (x.s == NULL) {
            job->out[i] = NAN;
            continue;
        }
        int64_t counts[4] = {0, 0, 0, 0};
        if (one_pass) {
            count_tags_one_pass(t, x.s, x.len, counts);
        } else {
            for (int k = 0; k < 4; k++)
                counts[k] = count_nonoverlapping(x.s, x.len, t->count[k].buf, t->count[k].len, 2);
        }
        float r = 0.0f;
        for (int k = 0; k < 4; k++) r += counts[k] == 1 ? 0.25f : 0.0f;
        job->out[i] = r;
    }
}

grpo_status grpo_tag_count_reward(float *out, const grpo_str *texts, int64_t n,
                                  const grpo_format_opts *opts, int num_threads) {
    if (n < 0 || (n > 0 && (out == NULL || texts == NULL))) return GRPO_ERR_INVALID;
    tag_set tags;
    grpo_status st = tag_set_init(&tags, opts);
    if (st != GRPO_OK) return st;
    format_job job = {out, texts, NULL, &tags};
    return grpo_parallel_for(n, TEXT_GRAIN, num_threads, tag_count_range, &job);
}

/* ------------------------------------------------------------------ reasoning steps */

/* Length of a run of one or more decimal digits at s[at], 0 if none. */
static size_t digits_at(const char *s, size_t len, size_t at) {
    size_t k = at;
    while (k < len) {
        uint32_t cp;
        size_t w = decode_utf8(s, len, k, &cp);
        if (cp == UINT32_MAX || !is_decimal(cp)) break;
        k += w;
    }
    return k - at;
}

/* Length of a match of the open-r1 step pattern at s[at], 0 if none. The alternatives start
 * with different characters, so at most one can match at a position and findall's
 * non-overlapping scan is "match, then continue after it". */
static size_t step_match(const char *s, size_t len, size_t at) {
    char c = s[at];
    if (c == '\n') return (at + 1 < len && (s[at + 1] == '-' || s[at + 1] == '*')) ? 2 : 0;
    if (c == 'S') {
        if (starts_at(s, len, at, "Step ", 5)) {
            size_t d = digits_at(s, len, at + 5);
            return (d && at + 5 + d < len && s[at + 5 + d] == ':') ? 5 + d + 1 : 0;
        }
        return starts_at(s, len, at, "Second,", 7) ? 7 : 0;
    }
    if (c == 'F') {
        if (starts_at(s, len, at, "First,", 6)) return 6;
        return starts_at(s, len, at, "Finally,", 8) ? 8 : 0;
    }
    if (c == 'N') return starts_at(s, len, at, "Next,", 5) ? 5 : 0;
    if (at == 0) { /* ^\d+\. without MULTILINE: only at the start of the text */
        size_t d = digits_at(s, len, 0);
        return (d && d < len && s[d] == '.') ? d + 1 : 0;
    }
    return 0;
}

/* Byte pairs that can start a step match: "\n-", "\n*", "St", "Se", "Fi", "Ne". */
static int step_start(const char *s, size_t len, size_t at) {
    if (at + 1 >= len) return 0;
    char c = s[at], d = s[at + 1];
    return (c == '\n' && (d == '-' || d == '*')) || (c == 'S' && (d == 't' || d == 'e')) ||
           (c == 'F' && d == 'i') || (c == 'N' && d == 'e');
}

/* Matches of the step pattern, as re.findall counts them: scanning left to right, a match at p
 * of length m means the next one is searched from p + m. Only positions where step_start()
 * holds can match (besides ^\d+\. at 0); the SSE2 path finds them 16 at a time and walks the
 * bits of each block, the plain loop after it checks the rest one by one. */
static int64_t count_steps(const char *s, size_t len) {
    int64_t count = 0;
    size_t next = 0; /* first position not inside a counted match */
    if (len > 0) { /* ^\d+\. can only match here */
        size_t m = step_match(s, len, 0);
        if (m) count++;
        next = m ? m : 1;
    }
    size_t at = 0;
#ifdef __SSE2__
#define EQ(v, ch) _mm_cmpeq_epi8((v), _mm_set1_epi8(ch))
    for (; at + 17 <= len; at += 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(s + at));
        __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(s + at + 1));
        __m128i hit = _mm_or_si128(
            _mm_or_si128(_mm_and_si128(EQ(c, '\n'), _mm_or_si128(EQ(d, '-'), EQ(d, '*'))),
                         _mm_and_si128(EQ(c, 'S'), _mm_or_si128(EQ(d, 't'), EQ(d, 'e')))),
            _mm_or_si128(_mm_and_si128(EQ(c, 'F'), EQ(d, 'i')),
                         _mm_and_si128(EQ(c, 'N'), EQ(d, 'e'))));
        unsigned bits = (unsigned)_mm_movemask_epi8(hit);
        while (bits) {
            size_t p = at + (size_t)__builtin_ctz(bits);
            bits &= bits - 1;
            if (p < next) continue;
            size_t m = step_match(s, len, p);
            if (m) {
                count++;
                next = p + m;
            }
        }
    }
#undef EQ
#endif
    for (size_t p = at > next ? at : next; p < len;) {
        size_t m = step_start(s, len, p) ? step_match(s, len, p) : 0;
        if (m) {
            count++;
            p += m;
        } else {
            p++;
        }
    }
    return count;
}

typedef struct {
    float *out;
    int64_t *counts;
    const grpo_str *texts;
    double full;
} steps_job;

static void steps_range(void *ctx, int64_t begin, int64_t end, int worker) {
    const steps_job *job = ctx;
    for (int64_t i = begin; i < end; i++) {
        grpo_str x = job->texts[i];
        if (x.s == NULL) {
            job->out[i] = NAN;
            if (job->counts) job->counts[i] = 0;
            continue;
        }
        int64_t c = count_steps(x.s, x.len);
        double r = (double)c / job->full;
        job->out[i] = (float)(r < 1.0 ? r : 1.0);
        if (job->counts) job->counts[i] = c;
    }
}

grpo_status grpo_reasoning_steps_reward(float *out, int64_t *counts, const grpo_str *texts,
                                        int64_t n, double steps_for_full, int num_threads) {
    if (n < 0 || (n > 0 && (out == NULL || texts == NULL))) return GRPO_ERR_INVALID;
    if (!(steps_for_full > 0.0) || !isfinite(steps_for_full)) return GRPO_ERR_INVALID;
    steps_job job = {out, counts, texts, steps_for_full};
    return grpo_parallel_for(n, TEXT_GRAIN, num_threads, steps_range, &job);
}

/* ------------------------------------------------------------------ repetition */

/* Python str.split() whitespace (Py_UNICODE_ISSPACE): returns the byte width of a whitespace
 * code point at s[at], 0 if it is not one. */
static size_t space_width(const char *str, size_t len, size_t at) {
    const unsigned char *s = (const unsigned char *)str + at;
    size_t left = len - at;
    unsigned char b = s[0];
    if (b < 0x80) return ((b >= 0x09 && b <= 0x0D) || (b >= 0x1C && b <= 0x20)) ? 1 : 0;
    if (b == 0xC2 && left >= 2) return (s[1] == 0x85 || s[1] == 0xA0) ? 2 : 0;
    if (left < 3) return 0;
    if (b == 0xE1) return (s[1] == 0x9A && s[2] == 0x80) ? 3 : 0;
    if (b == 0xE2 && s[1] == 0x80)
        return ((s[2] >= 0x80 && s[2] <= 0x8A) || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF)
                   ? 3
                   : 0;
    if (b == 0xE2 && s[1] == 0x81) return s[2] == 0x9F ? 3 : 0;
    if (b == 0xE3) return (s[1] == 0x80 && s[2] == 0x80) ? 3 : 0;
    return 0;
}

/* Whitespace-separated words in s (sizes the scratch exactly). */
static size_t count_words(const char *s, size_t len) {
    size_t words = 0;
    int in_word = 0;
    for (size_t at = 0; at < len;) {
        unsigned char c = (unsigned char)s[at];
        size_t sp = (c > 0x20 && c < 0x80) ? 0 : space_width(s, len, at);
        if (sp) {
            in_word = 0;
            at += sp;
        } else {
            words += !in_word;
            in_word = 1;
            at++;
        }
    }
    return words;
}

/* Per-worker scratch grown on demand; freed when the call ends. */
typedef struct {
    int64_t *starts; /* word byte offsets (words) */
    int64_t *lens;   /* word byte lengths (words) */
    uint64_t *hash;  /* per-unit hashes */
    uint32_t *table; /* open-addressing table of n-gram start index + 1, 0 = empty */
    size_t units_cap, table_cap;
} rep_scratch;

static int scratch_units(rep_scratch *w, size_t units) {
    if (units <= w->units_cap) return 0;
    size_t cap = units < 64 ? 64 : units;
    int64_t *a = realloc(w->starts, cap * sizeof *a);
    if (!a) return -1;
    w->starts = a;
    int64_t *b = realloc(w->lens, cap * sizeof *b);
    if (!b) return -1;
    w->lens = b;
    uint64_t *h = realloc(w->hash, cap * sizeof *h);
    if (!h) return -1;
    w->hash = h;
    w->units_cap = cap;
    return 0;
}

static int scratch_table(rep_scratch *w, size_t slots) {
    if (slots > w->table_cap) {
        uint32_t *t = realloc(w->table, slots * sizeof *t);
        if (!t) return -1;
        w->table = t;
        w->table_cap = slots;
    }
    memset(w->table, 0, slots * sizeof *w->table);
    return 0;
}

static uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static unsigned char fold(unsigned char c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* FNV-1a of a word, ASCII letters folded to lower case when `fold_case` (a no-op on text the
 * caller already lowercased, and equal to Python's str.lower on ASCII). */
static uint64_t hash_word(const char *s, size_t len, int fold_case) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)s[k];
        h = (h ^ (fold_case ? fold(c) : c)) * 0x100000001b3ULL;
    }
    return mix64(h ^ len);
}

static int same_word(const char *a, const char *b, size_t len, int fold_case) {
    if (!fold_case) return memcmp(a, b, len) == 0;
    for (size_t k = 0; k < len; k++)
        if (fold((unsigned char)a[k]) != fold((unsigned char)b[k])) return 0;
    return 1;
}

typedef int (*unit_eq_fn)(const void *src, const rep_scratch *w, int64_t a, int64_t b,
                          int64_t ngram, int fold_case);

static int words_eq(const void *src, const rep_scratch *w, int64_t a, int64_t b, int64_t ngram,
                    int fold_case) {
    const char *s = src;
    for (int64_t k = 0; k < ngram; k++) {
        int64_t la = w->lens[a + k], lb = w->lens[b + k];
        if (la != lb || w->hash[a + k] != w->hash[b + k] ||
            !same_word(s + w->starts[a + k], s + w->starts[b + k], (size_t)la, fold_case))
            return 0;
    }
    return 1;
}

static int ids_eq(const void *src, const rep_scratch *w, int64_t a, int64_t b, int64_t ngram,
                  int fold_case) {
    const int64_t *ids = src;
    return memcmp(ids + a, ids + b, (size_t)ngram * sizeof *ids) == 0;
}

/* Distinct n-grams among the `units` units whose hashes are in w->hash; -1 on no memory. */
static int64_t distinct_ngrams(rep_scratch *w, const void *src, int64_t units, int64_t ngram,
                               unit_eq_fn eq, int fold_case) {
    int64_t total = units - ngram + 1;
    if ((uint64_t)total >= UINT32_MAX / 2) return -1; /* the table stores 32-bit indices */
    size_t slots = 16;
    while (slots < (size_t)total * 2) slots *= 2;
    if (scratch_table(w, slots) != 0) return -1;
    int64_t distinct = 0;
    for (int64_t g = 0; g < total; g++) {
        uint64_t h = 0x9e3779b97f4a7c15ULL;
        for (int64_t k = 0; k < ngram; k++) h = mix64(h ^ w->hash[g + k]) + (uint64_t)k;
        size_t slot = (size_t)h & (slots - 1);
        for (;;) {
            uint32_t other = w->table[slot];
            if (other == 0) {
                w->table[slot] = (uint32_t)g + 1;
                distinct++;
                break;
            }
            if (eq(src, w, (int64_t)other - 1, g, ngram, fold_case)) break;
            slot = (slot + 1) & (slots - 1);
        }
    }
    return distinct;
}

typedef struct {
    float *out;
    const grpo_str *texts;
    const int64_t *ids, *offsets;
    int64_t ngram;
    double max_penalty;
    int fold_case;
    rep_scratch *scratch; /* one per worker */
    _Atomic int failed;
} rep_job;

/* No repeat gives +0.0, not -0.0 (as TRL; open-r1 returns -0.0, which compares equal). */
static float penalty(int64_t distinct, int64_t total, double max_penalty) {
    if (distinct == total) return 0.0f;
    return (float)((1.0 - (double)distinct / (double)total) * max_penalty);
}

static void rep_words_range(void *ctx, int64_t begin, int64_t end, int worker) {
    rep_job *job = ctx;
    rep_scratch *w = &job->scratch[worker];
    for (int64_t i = begin; i < end; i++) {
        grpo_str x = job->texts[i];
        if (x.s == NULL) {
            job->out[i] = NAN;
            continue;
        }
        if (scratch_units(w, count_words(x.s, x.len)) != 0) {
            job->failed = 1;
            return;
        }
        int64_t words = 0;
        size_t at = 0;
        while (at < x.len) {
            size_t sp = space_width(x.s, x.len, at);
            if (sp) {
                at += sp;
                continue;
            }
            size_t start = at;
            while (at < x.len) {
                unsigned char c = (unsigned char)x.s[at];
                if (c > 0x20 && c < 0x80) at++; /* the common case: a visible ASCII byte */
                else if (space_width(x.s, x.len, at)) break;
                else at++;
            }
            w->starts[words] = (int64_t)start;
            w->lens[words] = (int64_t)(at - start);
            w->hash[words] = hash_word(x.s + start, at - start, job->fold_case);
            words++;
        }
        if (words < job->ngram) {
            job->out[i] = 0.0f;
            continue;
        }
        int64_t distinct = distinct_ngrams(w, x.s, words, job->ngram, words_eq, job->fold_case);
        if (distinct < 0) {
            job->failed = 1;
            return;
        }
        job->out[i] = penalty(distinct, words - job->ngram + 1, job->max_penalty);
    }
}

static void rep_ids_range(void *ctx, int64_t begin, int64_t end, int worker) {
    rep_job *job = ctx;
    rep_scratch *w = &job->scratch[worker];
    for (int64_t i = begin; i < end; i++) {
        const int64_t *ids = job->ids + job->offsets[i];
        int64_t units = job->offsets[i + 1] - job->offsets[i];
        if (units < job->ngram) {
            job->out[i] = 0.0f;
            continue;
        }
        if (scratch_units(w, (size_t)units) != 0) {
            job->failed = 1;
            return;
        }
        for (int64_t k = 0; k < units; k++) w->hash[k] = mix64((uint64_t)ids[k]);
        int64_t distinct = distinct_ngrams(w, ids, units, job->ngram, ids_eq, 0);
        if (distinct < 0) {
            job->failed = 1;
            return;
        }
        job->out[i] = penalty(distinct, units - job->ngram + 1, job->max_penalty);
    }
}

static grpo_status run_repetition(rep_job *job, int64_t n, int num_threads, grpo_range_fn fn) {
    int workers = num_threads < 1 ? 1 : num_threads;
    job->scratch = calloc((size_t)workers, sizeof *job->scratch);
    if (job->scratch == NULL) return GRPO_ERR_NOMEM;
    atomic_init(&job->failed, 0);
    grpo_status st = grpo_parallel_for(n, 16, workers, fn, job);
    for (int k = 0; k < workers; k++) {
        free(job->scratch[k].starts);
        free(job->scratch[k].lens);
        free(job->scratch[k].hash);
        free(job->scratch[k].table);
    }
    free(job->scratch);
    if (st == GRPO_OK && atomic_load(&job->failed)) st = GRPO_ERR_NOMEM;
    return st;
}

grpo_status grpo_repetition_words(float *out, const grpo_str *texts, int64_t n, int64_t ngram,
                                  double max_penalty, int fold_ascii_case, int num_threads) {
    if (n < 0 || (n > 0 && (out == NULL || texts == NULL))) return GRPO_ERR_INVALID;
    if (ngram < 1 || !isfinite(max_penalty)) return GRPO_ERR_INVALID;
    rep_job job = {out, texts, NULL, NULL, ngram, max_penalty, fold_ascii_case != 0, NULL, 0};
    return run_repetition(&job, n, num_threads, rep_words_range);
}

grpo_status grpo_repetition_ids(float *out, const int64_t *ids, const int64_t *offsets,
                                int64_t n, int64_t ngram, double max_penalty, int num_threads) {
    if (n < 0 || (n > 0 && (out == NULL || offsets == NULL))) return GRPO_ERR_INVALID;
    if (ngram < 1 || !isfinite(max_penalty)) return GRPO_ERR_INVALID;
    for (int64_t i = 0; i < n; i++)
        if (offsets[i + 1] < offsets[i] || offsets[0] < 0) return GRPO_ERR_INVALID;
    if (n > 0 && offsets[n] > offsets[0] && ids == NULL) return GRPO_ERR_INVALID;
    rep_job job = {out, NULL, ids, offsets, ngram, max_penalty, 0, NULL, 0};
    return run_repetition(&job, n, num_threads, rep_ids_range);
}
