/*
 * text_scan.h - private helpers of the text scanners (csrc/text_rewards.c, csrc/lang.c):
 * bounded substring search and strict UTF-8 decoding. Not part of the public API.
 */
#ifndef GRPO_TEXT_SCAN_H
#define GRPO_TEXT_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NOT_FOUND ((size_t)-1)

/* First occurrence of pat in s[from, len), or NOT_FOUND. memmem is linear (two-way). */
static inline size_t find_at(const char *s, size_t len, size_t from, const char *pat, size_t plen) {
    if (from > len || plen > len - from) return NOT_FOUND;
    if (plen == 0) return from;
    const char *hit = memmem(s + from, len - from, pat, plen);
    return hit ? (size_t)(hit - s) : NOT_FOUND;
}

/* find_at for a pattern whose byte at `anchor` is rare in text (the '<' of "\n</think>"):
 * memchr walks that byte and each hit is checked in place. Linear: every hit advances by one. */
static inline size_t find_anchored(const char *s, size_t len, size_t from, const char *pat,
                                   size_t plen, size_t anchor) {
    if (from > len || plen > len - from) return NOT_FOUND;
    if (anchor >= plen) return find_at(s, len, from, pat, plen);
    size_t at = from + anchor;
    const size_t last = len - plen + anchor; /* last position the anchor byte may take */
    while (at <= last) {
        const char *hit = memchr(s + at, pat[anchor], last + 1 - at);
        if (hit == NULL) return NOT_FOUND;
        size_t q = (size_t)(hit - s);
        if (memcmp(s + q - anchor, pat, plen) == 0) return q - anchor;
        at = q + 1;
    }
    return NOT_FOUND;
}

static inline int starts_at(const char *s, size_t len, size_t at, const char *pat, size_t plen) {
    if (plen == 0) return at <= len;
    return at <= len && plen <= len - at && memcmp(s + at, pat, plen) == 0;
}

/* Unicode decimal digits (category Nd, what Python's `\d` matches in str patterns), as of the
 * Unicode 14 database of CPython 3.11. */
static const uint32_t decimal_ranges[][2] = {
    {0x30, 0x39},       {0x660, 0x669},     {0x6F0, 0x6F9},     {0x7C0, 0x7C9},
    {0x966, 0x96F},     {0x9E6, 0x9EF},     {0xA66, 0xA6F},     {0xAE6, 0xAEF},
    {0xB66, 0xB6F},     {0xBE6, 0xBEF},     {0xC66, 0xC6F},     {0xCE6, 0xCEF},
    {0xD66, 0xD6F},     {0xDE6, 0xDEF},     {0xE50, 0xE59},     {0xED0, 0xED9},
    {0xF20, 0xF29},     {0x1040, 0x1049},   {0x1090, 0x1099},   {0x17E0, 0x17E9},
    {0x1810, 0x1819},   {0x1946, 0x194F},   {0x19D0, 0x19D9},   {0x1A80, 0x1A89},
    {0x1A90, 0x1A99},   {0x1B50, 0x1B59},   {0x1BB0, 0x1BB9},   {0x1C40, 0x1C49},
    {0x1C50, 0x1C59},   {0xA620, 0xA629},   {0xA8D0, 0xA8D9},   {0xA900, 0xA909},
    {0xA9D0, 0xA9D9},   {0xA9F0, 0xA9F9},   {0xAA50, 0xAA59},   {0xABF0, 0xABF9},
    {0xFF10, 0xFF19},   {0x104A0, 0x104A9}, {0x10D30, 0x10D39}, {0x11066, 0x1106F},
    {0x110F0, 0x110F9}, {0x11136, 0x1113F}, {0x111D0, 0x111D9}, {0x112F0, 0x112F9},
    {0x11450, 0x11459}, {0x114D0, 0x114D9}, {0x11650, 0x11659}, {0x116C0, 0x116C9},
    {0x11730, 0x11739}, {0x118E0, 0x118E9}, {0x11950, 0x11959}, {0x11C50, 0x11C59},
    {0x11D50, 0x11D59}, {0x11DA0, 0x11DA9}, {0x16A60, 0x16A69}, {0x16AC0, 0x16AC9},
    {0x16B50, 0x16B59}, {0x1D7CE, 0x1D7FF}, {0x1E140, 0x1E149}, {0x1E2F0, 0x1E2F9},
    {0x1E950, 0x1E959}, {0x1FBF0, 0x1FBF9},
};

static inline int is_decimal(uint32_t cp) {
    if (cp < 0x80) return cp >= '0' && cp <= '9';
    size_t lo = 0, hi = sizeof decimal_ranges / sizeof decimal_ranges[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < decimal_ranges[mid][0]) hi = mid;
        else if (cp > decimal_ranges[mid][1]) lo = mid + 1;
        else return 1;
    }
    return 0;
}

/* Strict UTF-8 decoding of one code point at s[at]; returns its byte length, or 1 with
 * *cp = UINT32_MAX for an invalid or truncated sequence (surrogates included). */
static inline size_t decode_utf8(const char *str, size_t len, size_t at, uint32_t *cp) {
    const unsigned char *s = (const unsigned char *)str + at;
    size_t left = len - at;
    unsigned char b = s[0];
    *cp = UINT32_MAX;
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    size_t need;
    uint32_t v, min;
    if (b >= 0xC2 && b <= 0xDF) need = 1, v = b & 0x1F, min = 0x80;
    else if (b >= 0xE0 && b <= 0xEF) need = 2, v = b & 0x0F, min = 0x800;
    else if (b >= 0xF0 && b <= 0xF4) need = 3, v = b & 0x07, min = 0x10000;
    else return 1;
    if (left <= need) return 1;
    for (size_t k = 1; k <= need; k++) {
        if ((s[k] & 0xC0) != 0x80) return 1;
        v = (v << 6) | (s[k] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 1;
    *cp = v;
    return need + 1;
}

#endif /* GRPO_TEXT_SCAN_H */
