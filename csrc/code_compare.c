/*
 * code_compare.c - judging a program's stdout against the expected output of a test.
 *
 * Stance: a test passes only when every expected line/token is matched and nothing is left
 * over: an extra or a missing line fails (open-r1's zip() comparison does not). Linear in the
 * input sizes, no allocation, no reliance on NUL terminators.
 */
#include "grpo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A cursor over lines: each line without its newline and with surrounding whitespace removed. */
typedef struct line_cursor {
    const char *s;
    size_t len, pos;
} line_cursor;

static int next_line(line_cursor *c, const char **line, size_t *line_len) {
    if (c->pos >= c->len) return 0;
    size_t start = c->pos, end = start;
    while (end < c->len && c->s[end] != '\n') end++;
    c->pos = end < c->len ? end + 1 : end;
    while (start < end && is_space(c->s[start])) start++;
    while (end > start && is_space(c->s[end - 1])) end--;
    *line = c->s + start;
    *line_len = end - start;
    return 1;
}

/* The span of `s` without leading and trailing whitespace (so blank lines at either end of
 * the output never count, as in LiveCodeBench). */
static void trim(const char **s, size_t *len) {
    while (*len > 0 && is_space((*s)[0])) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_space((*s)[*len - 1])) (*len)--;
}

static int lines_equal(const char *a, size_t a_len, const char *b, size_t b_len) {
    trim(&a, &a_len);
    trim(&b, &b_len);
    line_cursor ca = {a, a_len, 0}, cb = {b, b_len, 0};
    for (;;) {
        const char *la, *lb;
        size_t na, nb;
        int has_a = next_line(&ca, &la, &na), has_b = next_line(&cb, &lb, &nb);
        if (!has_a || !has_b) return has_a == has_b;
        if (na != nb || memcmp(la, lb, na) != 0) return 0;
    }
}

static int next_token(const char *s, size_t len, size_t *pos, const char **tok, size_t *tok_len) {
    size_t i = *pos;
    while (i < len && is_space(s[i])) i++;
    if (i >= len) {
        *pos = i;
        return 0;
    }
    size_t start = i;
    while (i < len && !is_space(s[i])) i++;
    *tok = s + start;
    *tok_len = i - start;
    *pos = i;
    return 1;
}

/* Optional sign then digits only. */
static int is_integer(const char *t, size_t n) {
    size_t i = (n > 0 && (t[0] == '-' || t[0] == '+')) ? 1 : 0;
    if (i >= n) return 0;
    for (; i < n; i++)
        if (t[i] < '0' || t[i] > '9') return 0;
    return 1;
}

/* Integers compare exactly whatever their size: sign, then digits without leading zeros
 * (so 5e16 and 5e16+1 differ, which a float comparison would miss). */
static int integers_equal(const char *a, size_t na, const char *b, size_t nb) {
    int neg_a = a[0] == '-', neg_b = b[0] == '-';
    size_t ia = (a[0] == '-' || a[0] == '+'), ib = (b[0] == '-' || b[0] == '+');
    while (ia + 1 < na && a[ia] == '0') ia++;
    while (ib + 1 < nb && b[ib] == '0') ib++;
    int zero_a = na - ia == 1 && a[ia] == '0', zero_b = nb - ib == 1 && b[ib] == '0';
    if (zero_a && zero_b) return 1;
    return neg_a == neg_b && na - ia == nb - ib && memcmp(a + ia, b + ib, na - ia) == 0;
}

/* Decimal number: [sign] digits [. digits] [(e|E) [sign] digits], at least one mantissa digit.
 * Parsed into *out through a bounded copy; longer tokens are not treated as numbers. */
static int parse_decimal(const char *t, size_t n, double *out) {
    size_t i = 0;
    int digits = 0;
    if (i < n && (t[i] == '-' || t[i] == '+')) i++;
    while (i < n && t[i] >= '0' && t[i] <= '9') i++, digits++;
    if (i < n && t[i] == '.') {
        i++;
        while (i < n && t[i] >= '0' && t[i] <= '9') i++, digits++;
    }
    if (!digits) return 0;
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < n && (t[i] == '-' || t[i] == '+')) i++;
        int exp_digits = 0;
        while (i < n && t[i] >= '0' && t[i] <= '9') i++, exp_digits++;
        if (!exp_digits) return 0;
    }
    if (i != n || n >= 128) return 0;
    char buf[128];
    memcpy(buf, t, n);
    buf[n] = 0;
    *out = strtod(buf, NULL);
    return 1;
}

static int tokens_equal(const char *a, size_t na, const char *b, size_t nb, int numeric,
                        double rel_tol, double abs_tol) {
    size_t pa = 0, pb = 0;
    for (;;) {
        const char *ta, *tb;
        size_t la, lb;
        int has_a = next_token(a, na, &pa, &ta, &la), has_b = next_token(b, nb, &pb, &tb, &lb);
        if (!has_a || !has_b) return has_a == has_b;
        if (la == lb && memcmp(ta, tb, la) == 0) continue;
        if (!numeric) return 0;
        if (is_integer(ta, la) && is_integer(tb, lb)) {
            if (!integers_equal(ta, la, tb, lb)) return 0;
            continue;
        }
        double x, y;
        if (!parse_decimal(ta, la, &x) || !parse_decimal(tb, lb, &y)) return 0;
        if (!isfinite(x) || !isfinite(y)) return 0;
        double tol = fmax(abs_tol, rel_tol * fabs(y));
        if (!(fabs(x - y) <= tol)) return 0;
    }
}

grpo_status grpo_compare_output(int *equal, const char *actual, size_t actual_len,
                                const char *expected, size_t expected_len,
                                grpo_compare_mode mode, double rel_tol, double abs_tol) {
    if (!equal || (actual_len && !actual) || (expected_len && !expected)) return GRPO_ERR_INVALID;
    if (!(rel_tol >= 0) || !(abs_tol >= 0)) return GRPO_ERR_INVALID;
    switch (mode) {
    case GRPO_COMPARE_EXACT:
        *equal = actual_len == expected_len &&
                 (actual_len == 0 || memcmp(actual, expected, actual_len) == 0);
        return GRPO_OK;
    case GRPO_COMPARE_LINES:
        *equal = lines_equal(actual, actual_len, expected, expected_len);
        return GRPO_OK;
    case GRPO_COMPARE_TOKENS:
        *equal = tokens_equal(actual, actual_len, expected, expected_len, 0, 0, 0);
        return GRPO_OK;
    case GRPO_COMPARE_FLOAT:
        *equal = tokens_equal(actual, actual_len, expected, expected_len, 1, rel_tol, abs_tol);
        return GRPO_OK;
    }
    return GRPO_ERR_INVALID;
}
