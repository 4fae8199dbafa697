/*
 * lang.c - the language-consistency reward of DeepSeek-R1 (section 2.3.3): the share of the
 * chain of thought's words that are written in the target language.
 *
 * Stance: deterministic and model-free. A word's language is its Unicode script, so languages
 * that share a script (English, French) are not told apart; that is the documented limit. What
 * is not prose is excluded before counting, by one forward scan with bounded look-ahead: fenced
 * and inline code, LaTeX ($..$ by pandoc's rule, $$..$$, \(..\), \[..\], \begin{X}..\end{X}, \commands), URLs,
 * e-mail addresses and <tags>. Words holding digits or underscores (x1, n_max) are identifiers,
 * not language. Scriptio continua (Han, kana, Thai, ...) counts one unit per code point.
 * Invalid UTF-8 is counted and is otherwise neutral.
 *
 * Dimension letters: N texts in a batch, S = GRPO_SCRIPT_COUNT scripts.
 */
#include "grpo.h"

#include <math.h>
#include <string.h>

#include "text_scan.h"

enum {
    CLS_COMMON = GRPO_SCRIPT_COUNT, /* punctuation, symbols, spaces, emoji, unknown */
    CLS_INHERITED,                  /* combining marks and joiners: stay inside a word */
    CLS_DIGIT,
    CLS_INVALID
};

typedef struct {
    uint32_t lo, hi;
    uint8_t cls;
} script_range;

/* Sorted, non-overlapping code point ranges (from Unicode Scripts.txt, letters of the scripts
 * grpo_c knows; punctuation inside script blocks is left out so it stays Common). */
static const script_range script_table[] = {
    {0x00C0, 0x00D6, GRPO_SCRIPT_LATIN},      {0x00D8, 0x00F6, GRPO_SCRIPT_LATIN},
    {0x00F8, 0x02AF, GRPO_SCRIPT_LATIN},      {0x0300, 0x036F, CLS_INHERITED},
    {0x0370, 0x0373, GRPO_SCRIPT_GREEK},      {0x0376, 0x037D, GRPO_SCRIPT_GREEK},
    {0x037F, 0x037F, GRPO_SCRIPT_GREEK},      {0x0386, 0x0386, GRPO_SCRIPT_GREEK},
    {0x0388, 0x03E1, GRPO_SCRIPT_GREEK},      {0x03F0, 0x03FF, GRPO_SCRIPT_GREEK},
    {0x0400, 0x0482, GRPO_SCRIPT_CYRILLIC},   {0x0483, 0x0489, CLS_INHERITED},
    {0x048A, 0x052F, GRPO_SCRIPT_CYRILLIC},   {0x0531, 0x0556, GRPO_SCRIPT_ARMENIAN},
    {0x0560, 0x0588, GRPO_SCRIPT_ARMENIAN},   {0x0591, 0x05BD, GRPO_SCRIPT_HEBREW},
    {0x05BF, 0x05BF, GRPO_SCRIPT_HEBREW},     {0x05C1, 0x05C2, GRPO_SCRIPT_HEBREW},
    {0x05C4, 0x05C5, GRPO_SCRIPT_HEBREW},     {0x05C7, 0x05C7, GRPO_SCRIPT_HEBREW},
    {0x05D0, 0x05F2, GRPO_SCRIPT_HEBREW},     {0x0610, 0x061A, GRPO_SCRIPT_ARABIC},
    {0x0620, 0x065F, GRPO_SCRIPT_ARABIC},     {0x066E, 0x06D3, GRPO_SCRIPT_ARABIC},
    {0x06D5, 0x06DC, GRPO_SCRIPT_ARABIC},     {0x06DF, 0x06E8, GRPO_SCRIPT_ARABIC},
    {0x06EA, 0x06EF, GRPO_SCRIPT_ARABIC},     {0x06FA, 0x06FC, GRPO_SCRIPT_ARABIC},
    {0x06FF, 0x06FF, GRPO_SCRIPT_ARABIC},     {0x0750, 0x077F, GRPO_SCRIPT_ARABIC},
    {0x0870, 0x0887, GRPO_SCRIPT_ARABIC},     {0x0889, 0x08FF, GRPO_SCRIPT_ARABIC},
    {0x0900, 0x0963, GRPO_SCRIPT_DEVANAGARI}, {0x0971, 0x097F, GRPO_SCRIPT_DEVANAGARI},
    {0x0980, 0x09E3, GRPO_SCRIPT_BENGALI},    {0x09F0, 0x09F1, GRPO_SCRIPT_BENGALI},
    {0x09FC, 0x09FC, GRPO_SCRIPT_BENGALI},    {0x0A01, 0x0A63, GRPO_SCRIPT_GURMUKHI},
    {0x0A70, 0x0A76, GRPO_SCRIPT_GURMUKHI},   {0x0A81, 0x0AE3, GRPO_SCRIPT_GUJARATI},
    {0x0AF9, 0x0AFF, GRPO_SCRIPT_GUJARATI},   {0x0B82, 0x0BE5, GRPO_SCRIPT_TAMIL},
    {0x0C00, 0x0C63, GRPO_SCRIPT_TELUGU},     {0x0C80, 0x0CE3, GRPO_SCRIPT_KANNADA},
    {0x0CF1, 0x0CF3, GRPO_SCRIPT_KANNADA},    {0x0D00, 0x0D63, GRPO_SCRIPT_MALAYALAM},
    {0x0D7A, 0x0D7F, GRPO_SCRIPT_MALAYALAM},  {0x0E01, 0x0E3A, GRPO_SCRIPT_THAI},
    {0x0E40, 0x0E4E, GRPO_SCRIPT_THAI},       {0x0E81, 0x0ECE, GRPO_SCRIPT_LAO},
    {0x0EDC, 0x0EDF, GRPO_SCRIPT_LAO},        {0x1000, 0x103F, GRPO_SCRIPT_MYANMAR},
    {0x1050, 0x108F, GRPO_SCRIPT_MYANMAR},    {0x109A, 0x109F, GRPO_SCRIPT_MYANMAR},
    {0x10A0, 0x10FA, GRPO_SCRIPT_GEORGIAN},   {0x10FC, 0x10FF, GRPO_SCRIPT_GEORGIAN},
    {0x1100, 0x11FF, GRPO_SCRIPT_HANGUL},     {0x1200, 0x135F, GRPO_SCRIPT_ETHIOPIC},
    {0x1380, 0x138F, GRPO_SCRIPT_ETHIOPIC},   {0x1780, 0x17D3, GRPO_SCRIPT_KHMER},
    {0x17D7, 0x17D7, GRPO_SCRIPT_KHMER},      {0x17DC, 0x17DD, GRPO_SCRIPT_KHMER},
    {0x1AB0, 0x1AFF, CLS_INHERITED},          {0x1C80, 0x1C88, GRPO_SCRIPT_CYRILLIC},
    {0x1C90, 0x1CBF, GRPO_SCRIPT_GEORGIAN},   {0x1D00, 0x1D25, GRPO_SCRIPT_LATIN},
    {0x1D6B, 0x1D77, GRPO_SCRIPT_LATIN},      {0x1D79, 0x1D9A, GRPO_SCRIPT_LATIN},
    {0x1DC0, 0x1DFF, CLS_INHERITED},          {0x1E00, 0x1EFF, GRPO_SCRIPT_LATIN},
    {0x1F00, 0x1FBC, GRPO_SCRIPT_GREEK},      {0x1FC2, 0x1FCC, GRPO_SCRIPT_GREEK},
    {0x1FD0, 0x1FDB, GRPO_SCRIPT_GREEK},      {0x1FE0, 0x1FEC, GRPO_SCRIPT_GREEK},
    {0x1FF2, 0x1FFC, GRPO_SCRIPT_GREEK},      {0x200C, 0x200D, CLS_INHERITED},
    {0x2090, 0x209C, GRPO_SCRIPT_LATIN},      {0x20D0, 0x20FF, CLS_INHERITED},
    {0x2C60, 0x2C7F, GRPO_SCRIPT_LATIN},      {0x2D00, 0x2D2D, GRPO_SCRIPT_GEORGIAN},
    {0x2D80, 0x2DDE, GRPO_SCRIPT_ETHIOPIC},   {0x2DE0, 0x2DFF, GRPO_SCRIPT_CYRILLIC},
    {0x2E80, 0x2FD5, GRPO_SCRIPT_HAN},        {0x3005, 0x3005, GRPO_SCRIPT_HAN},
    {0x3007, 0x3007, GRPO_SCRIPT_HAN},        {0x3021, 0x3029, GRPO_SCRIPT_HAN},
    {0x302A, 0x302D, CLS_INHERITED},          {0x3038, 0x303B, GRPO_SCRIPT_HAN},
    {0x3041, 0x3096, GRPO_SCRIPT_HIRAGANA},   {0x3099, 0x309A, CLS_INHERITED},
    {0x309D, 0x309F, GRPO_SCRIPT_HIRAGANA},   {0x30A1, 0x30FA, GRPO_SCRIPT_KATAKANA},
    {0x30FC, 0x30FF, GRPO_SCRIPT_KATAKANA},   {0x3131, 0x318E, GRPO_SCRIPT_HANGUL},
    {0x31F0, 0x31FF, GRPO_SCRIPT_KATAKANA},   {0x32D0, 0x32FE, GRPO_SCRIPT_KATAKANA},
    {0x3300, 0x3357, GRPO_SCRIPT_KATAKANA},   {0x3400, 0x4DBF, GRPO_SCRIPT_HAN},
    {0x4E00, 0x9FFF, GRPO_SCRIPT_HAN},        {0xA640, 0xA66E, GRPO_SCRIPT_CYRILLIC},
    {0xA66F, 0xA67D, CLS_INHERITED},          {0xA67F, 0xA69F, GRPO_SCRIPT_CYRILLIC},
    {0xA720, 0xA7FF, GRPO_SCRIPT_LATIN},      {0xA8E0, 0xA8FF, GRPO_SCRIPT_DEVANAGARI},
    {0xA960, 0xA97C, GRPO_SCRIPT_HANGUL},     {0xA9E0, 0xA9FE, GRPO_SCRIPT_MYANMAR},
    {0xAA60, 0xAA7F, GRPO_SCRIPT_MYANMAR},    {0xAB01, 0xAB2E, GRPO_SCRIPT_ETHIOPIC},
    {0xAB30, 0xAB6F, GRPO_SCRIPT_LATIN},      {0xAC00, 0xD7A3, GRPO_SCRIPT_HANGUL},
    {0xD7B0, 0xD7FB, GRPO_SCRIPT_HANGUL},     {0xF900, 0xFAFF, GRPO_SCRIPT_HAN},
    {0xFB00, 0xFB06, GRPO_SCRIPT_LATIN},      {0xFB13, 0xFB17, GRPO_SCRIPT_ARMENIAN},
    {0xFB1D, 0xFB4F, GRPO_SCRIPT_HEBREW},     {0xFB50, 0xFDFF, GRPO_SCRIPT_ARABIC},
    {0xFE00, 0xFE0F, CLS_INHERITED},          {0xFE20, 0xFE2F, CLS_INHERITED},
    {0xFE70, 0xFEFC, GRPO_SCRIPT_ARABIC},     {0xFF21, 0xFF3A, GRPO_SCRIPT_LATIN},
    {0xFF41, 0xFF5A, GRPO_SCRIPT_LATIN},      {0xFF66, 0xFF9D, GRPO_SCRIPT_KATAKANA},
    {0xFFA0, 0xFFDC, GRPO_SCRIPT_HANGUL},     {0x1B000, 0x1B16F, GRPO_SCRIPT_HIRAGANA},
    {0x1DF00, 0x1DF1E, GRPO_SCRIPT_LATIN},    {0x20000, 0x3134F, GRPO_SCRIPT_HAN},
    {0xE0100, 0xE01EF, CLS_INHERITED},
};

static int classify(uint32_t cp) {
    if (cp == UINT32_MAX) return CLS_INVALID;
    if (cp < 0x80) {
        if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') return GRPO_SCRIPT_LATIN;
        return (cp >= '0' && cp <= '9') ? CLS_DIGIT : CLS_COMMON;
    }
    if (is_decimal(cp)) return CLS_DIGIT;
    size_t lo = 0, hi = sizeof script_table / sizeof script_table[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < script_table[mid].lo) hi = mid;
        else if (cp > script_table[mid].hi) lo = mid + 1;
        else return script_table[mid].cls;
    }
    return CLS_COMMON;
}

static int is_continua(int cls) {
    return cls == GRPO_SCRIPT_HAN || cls == GRPO_SCRIPT_HIRAGANA || cls == GRPO_SCRIPT_KATAKANA ||
           cls == GRPO_SCRIPT_THAI || cls == GRPO_SCRIPT_LAO || cls == GRPO_SCRIPT_KHMER ||
           cls == GRPO_SCRIPT_MYANMAR;
}

static int is_letter(int cls) { return cls < GRPO_SCRIPT_COUNT; }

/* Characters that keep a word together when a letter follows: ' ’ - */
static int is_connector(uint32_t cp) { return cp == '\'' || cp == 0x2019 || cp == '-'; }

typedef struct {
    double target, other;
    int64_t hist[GRPO_SCRIPT_COUNT];
    int64_t invalid;
    int64_t excluded;
    size_t begin_budget; /* bytes the \begin..\end searches may still scan (keeps them linear) */
    size_t dollar_dead;  /* no inline-math closer exists before this position */
} lang_counts;

typedef struct {
    const grpo_lang_opts *opts;
    grpo_str open, close;
} lang_ctx;

static void add_unit(lang_counts *c, const lang_ctx *ctx, int script, double weight) {
    c->hist[script]++;
    if (ctx->opts->target_scripts & (1u << script)) c->target += weight;
    else c->other += weight;
}

static int is_space_byte(char ch) {
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

static size_t skip_to_space(const char *s, size_t end, size_t at) {
    while (at < end && !is_space_byte(s[at])) at++;
    return at;
}

/* A spaced-script word s[b, e) (letters, marks, digits, '_', connectors between letters): counts
 * its same-script letter runs as units, unless it holds a digit or '_' (an identifier). Marks
 * and connectors belong to the run around them. */
/* A lone Latin letter is a math variable (x, n) unless it is one of the one-letter words. */
static int is_variable(const grpo_lang_opts *o, uint32_t cp) {
    int bit = cp >= 'a' && cp <= 'z'   ? (int)(cp - 'a')
              : cp >= 'A' && cp <= 'Z' ? (int)(cp - 'A') + 26
                                       : -1;
    return bit >= 0 && !((o->one_letter_words >> bit) & 1u);
}

static void count_word(lang_counts *c, const lang_ctx *ctx, const char *s, size_t b, size_t e) {
    const grpo_lang_opts *o = ctx->opts;
    size_t ascii_letters = 0;
    int ascii_caps = 1, ascii = 1;
    uint32_t first = 0;
    for (size_t k = b; k < e && ascii; k++) { /* fast path: an ASCII word is one Latin run */
        unsigned char ch = (unsigned char)s[k];
        if (ch >= 0x80) ascii = 0;
        else if (ch == '_' || (ch >= '0' && ch <= '9')) return;
        else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') {
            if (ascii_letters++ == 0) first = ch;
            if (ch >= 'a') ascii_caps = 0;
        }
    }
    if (ascii) {
        int neutral = (ascii_letters == 1 && is_variable(o, first)) ||
                      (o->ignore_acronyms && ascii_caps && ascii_letters <= 5);
        if (ascii_letters > 0 && !neutral) add_unit(c, ctx, GRPO_SCRIPT_LATIN, 1.0);
        return;
    }
    uint32_t cp;
    for (size_t at = b; at < e;) {
        at += decode_utf8(s, e, at, &cp);
        if (cp == '_' || classify(cp) == CLS_DIGIT) return;
    }
    int run = -1, caps = 1;
    size_t letters = 0;
    uint32_t run_first = 0;
    for (size_t at = b;;) {
        int cls = CLS_COMMON;
        size_t w = 0;
        if (at < e) {
            w = decode_utf8(s, e, at, &cp);
            cls = classify(cp);
        }
        if (at >= e || (is_letter(cls) && cls != run)) {
            if (run >= 0 && letters > 0) {
                int neutral = run == GRPO_SCRIPT_LATIN &&
                              ((letters == 1 && is_variable(o, run_first)) ||
                               (o->ignore_acronyms && caps && letters <= 5));
                if (!neutral) add_unit(c, ctx, run, 1.0);
            }
            if (at >= e) return;
            run = cls;
            letters = 0;
            caps = 1;
        }
        if (is_letter(cls)) {
            if (letters++ == 0) run_first = cp;
            if (!(cp >= 'A' && cp <= 'Z')) caps = 0;
        }
        at += w;
    }
}

/* Position just past a closing `pat` searched from `from`, or NOT_FOUND. */
static size_t past(const char *s, size_t end, size_t from, const char *pat, size_t plen) {
    size_t hit = find_at(s, end, from, pat, plen);
    return hit == NOT_FOUND ? NOT_FOUND : hit + plen;
}

/* \begin{name} at s[at]: the position past the matching \end{name}, or NOT_FOUND. Searches
 * are charged to a byte budget so that many unclosed environments stay linear. */
static size_t skip_environment(lang_counts *c, const char *s, size_t end, size_t at) {
    const size_t head = 7; /* strlen("\\begin{") */
    size_t name = at + head, k = name;
    while (k < end && k - name < 32 && s[k] != '}' && !is_space_byte(s[k])) k++;
    if (k >= end || s[k] != '}' || k == name) return NOT_FOUND;
    char closing[5 + 32 + 1];
    size_t nlen = k - name;
    memcpy(closing, "\\end{", 5);
    memcpy(closing + 5, s + name, nlen);
    closing[5 + nlen] = '}';
    size_t from = k + 1;
    size_t limit = end - from < c->begin_budget ? end : from + c->begin_budget;
    size_t hit = find_at(s, limit, from, closing, nlen + 6);
    c->begin_budget -= (hit == NOT_FOUND ? limit : hit) - from;
    return hit == NOT_FOUND ? NOT_FOUND : hit + nlen + 6;
}

/* Inline math opened by the '$' at s[at] (pandoc's rule, so that prices like "$20 ... $15" are
 * not math): the opener is followed by a non-space, the closer is a '$' preceded by a non-space
 * and not followed by a digit, in the same paragraph (no blank line). Returns the position past
 * the closer, or NOT_FOUND. A failed search proves that no closer exists up to where it
 * stopped, for any later opener too; remembering that keeps the scan linear. */
static size_t inline_math_end(lang_counts *c, const char *s, size_t end, size_t at) {
    if (at + 1 >= end || is_space_byte(s[at + 1]) || at < c->dollar_dead) return NOT_FOUND;
    size_t k = at + 2;
    for (; k < end; k++) {
        if (s[k] == '\n' && k + 1 < end && s[k + 1] == '\n') break;
        if (s[k] == '$' && !is_space_byte(s[k - 1]) &&
            !(k + 1 < end && s[k + 1] >= '0' && s[k + 1] <= '9'))
            return k + 1;
    }
    c->dollar_dead = k;
    return NOT_FOUND;
}

/* An HTML/XML-like tag at s[at] ('<', optional '/', 1..64 non-space bytes, '>'): its end. */
static size_t skip_tag(const char *s, size_t end, size_t at) {
    size_t k = at + 1;
    if (k < end && s[k] == '/') k++;
    size_t name = k;
    while (k < end && k - name < 64 && s[k] != '>' && s[k] != '<' && !is_space_byte(s[k])) k++;
    return (k < end && s[k] == '>' && k > name) ? k + 1 : NOT_FOUND;
}

static int is_ascii_alnum(char ch) {
    return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z');
}

/* Counts the units of s[b, e). */
static void scan_region(lang_counts *c, const lang_ctx *ctx, const char *s, size_t b, size_t e) {
    size_t at = b;
    size_t word = NOT_FOUND; /* start of the spaced-script word being read */
    while (at < e) {
        char ch = s[at];
        size_t next = NOT_FOUND;
        int excluded = 1;
        if (ch == '`' && starts_at(s, e, at, "```", 3)) {
            next = past(s, e, at + 3, "```", 3);
            if (next == NOT_FOUND) next = e;
        } else if (ch == '~' && starts_at(s, e, at, "~~~", 3)) {
            next = past(s, e, at + 3, "~~~", 3);
            if (next == NOT_FOUND) next = e;
        } else if (ch == '`') {
            size_t k = at + 1;
            while (k < e && s[k] != '`' && s[k] != '\n') k++;
            next = (k < e && s[k] == '`') ? k + 1 : at + 1;
        } else if (ch == '$') {
            if (starts_at(s, e, at, "$$", 2)) next = past(s, e, at + 2, "$$", 2);
            else next = inline_math_end(c, s, e, at);
            if (next == NOT_FOUND) next = at + 1;
        } else if (ch == '\\' && at + 1 < e) {
            char d = s[at + 1];
            if (d == '(') next = past(s, e, at + 2, "\\)", 2);
            else if (d == '[') next = past(s, e, at + 2, "\\]", 2);
            else if (starts_at(s, e, at, "\\begin{", 7)) next = skip_environment(c, s, e, at);
            if (next == NOT_FOUND) { /* a command name, or an unclosed opener */
                next = at + 1;
                while (next < e && ((s[next] | 0x20) >= 'a' && (s[next] | 0x20) <= 'z')) next++;
                /* an escaped ASCII symbol (\\, \{, \,) goes with its backslash */
                if (next == at + 1 && (unsigned char)s[at + 1] < 0x80) next = at + 2;
            }
        } else if (ch == '<') {
            next = skip_tag(s, e, at);
        } else if (ch == ':' && word != NOT_FOUND && starts_at(s, e, at, "://", 3)) {
            word = NOT_FOUND; /* scheme://...: the scheme word and the rest are a URL */
            next = skip_to_space(s, e, at);
        } else if (ch == '@' && word != NOT_FOUND && at + 1 < e && is_ascii_alnum(s[at + 1])) {
            word = NOT_FOUND; /* local@domain */
            next = skip_to_space(s, e, at);
        }
        if (next == NOT_FOUND) excluded = 0;
        if (excluded) {
            if (word != NOT_FOUND) count_word(c, ctx, s, word, at);
            word = NOT_FOUND;
            c->excluded += (int64_t)(next - at);
            at = next;
            continue;
        }
        if (((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') || (ch >= '0' && ch <= '9') || ch == '_') {
            if (word == NOT_FOUND) word = at; /* fast path: ASCII word characters */
            at++;
            continue;
        }
        uint32_t cp;
        size_t w = decode_utf8(s, e, at, &cp);
        int cls = classify(cp);
        int in_word = (is_letter(cls) && !is_continua(cls)) || cls == CLS_INHERITED ||
                      cls == CLS_DIGIT || cp == '_';
        if (!in_word && word != NOT_FOUND && is_connector(cp) && at + w < e) {
            uint32_t after;
            decode_utf8(s, e, at + w, &after);
            int acls = classify(after);
            in_word = is_letter(acls) && !is_continua(acls);
        }
        if (in_word) {
            if (word == NOT_FOUND) word = at;
        } else {
            if (word != NOT_FOUND) count_word(c, ctx, s, word, at);
            word = NOT_FOUND;
            if (is_continua(cls)) add_unit(c, ctx, cls, ctx->opts->continua_weight);
            else if (cls == CLS_INVALID) c->invalid++;
        }
        at += w;
    }
    if (word != NOT_FOUND) count_word(c, ctx, s, word, e);
}

/* The chain of thought inside s: see grpo_language_consistency. */
static void think_region(const lang_ctx *ctx, const char *s, size_t len, size_t *b, size_t *e) {
    *b = 0;
    *e = len;
    if (ctx->opts->region == GRPO_LANG_ALL) return;
    size_t open = find_at(s, len, 0, ctx->open.s, ctx->open.len);
    if (open != NOT_FOUND) {
        *b = open + ctx->open.len;
        size_t close = find_at(s, len, *b, ctx->close.s, ctx->close.len);
        if (close != NOT_FOUND) *e = close;
        return;
    }
    size_t close = find_at(s, len, 0, ctx->close.s, ctx->close.len);
    if (close != NOT_FOUND) *e = close;
}

typedef struct {
    float *out;
    double *target, *other;
    int64_t *hist, *invalid, *excluded;
    const grpo_str *texts;
    const lang_ctx *ctx;
} lang_job;

static void lang_range(void *vjob, int64_t begin, int64_t end, int worker) {
    const lang_job *job = vjob;
    const grpo_lang_opts *o = job->ctx->opts;
    for (int64_t i = begin; i < end; i++) {
        grpo_str x = job->texts[i];
        lang_counts c;
        memset(&c, 0, sizeof c);
        float r = NAN;
        if (x.s != NULL) {
            size_t b, e;
            think_region(job->ctx, x.s, x.len, &b, &e);
            c.begin_budget = 4 * (e - b) + 4096;
            scan_region(&c, job->ctx, x.s, b, e);
            double units = c.target + c.other;
            if (units > 0 && units >= o->min_units) {
                double share = c.target / units;
                r = o->threshold > 0 ? (share >= o->threshold ? 1.0f : 0.0f) : (float)share;
            }
        }
        job->out[i] = r;
        if (job->target) job->target[i] = c.target;
        if (job->other) job->other[i] = c.other;
        if (job->invalid) job->invalid[i] = c.invalid;
        if (job->excluded) job->excluded[i] = c.excluded;
        if (job->hist) memcpy(job->hist + i * GRPO_SCRIPT_COUNT, c.hist, sizeof c.hist);
    }
}

grpo_status grpo_language_consistency(float *out, double *target, double *other, int64_t *hist,
                                      int64_t *invalid, int64_t *excluded, const grpo_str *texts,
                                      int64_t n, const grpo_lang_opts *opts, int num_threads) {
    if (n < 0 || opts == NULL || (n > 0 && (out == NULL || texts == NULL)))
        return GRPO_ERR_INVALID;
    if (opts->region != GRPO_LANG_THINK && opts->region != GRPO_LANG_ALL) return GRPO_ERR_INVALID;
    if (!(opts->continua_weight > 0) || !isfinite(opts->continua_weight)) return GRPO_ERR_INVALID;
    if (!(opts->min_units >= 0) || !isfinite(opts->min_units)) return GRPO_ERR_INVALID;
    if (!(opts->threshold >= 0 && opts->threshold <= 1)) return GRPO_ERR_INVALID;
    if (opts->target_scripts == 0 || opts->target_scripts >= (1u << GRPO_SCRIPT_COUNT))
        return GRPO_ERR_INVALID;
    lang_ctx ctx = {opts, opts->think_open, opts->think_close};
    if (ctx.open.s == NULL) ctx.open = (grpo_str){"<think>", 7};
    if (ctx.close.s == NULL) ctx.close = (grpo_str){"</think>", 8};
    if (ctx.open.len == 0 || ctx.close.len == 0) return GRPO_ERR_INVALID;
    lang_job job = {out, target, other, hist, invalid, excluded, texts, &ctx};
    return grpo_parallel_for(n, 16, num_threads, lang_range, &job);
}
