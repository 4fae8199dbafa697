/*
 * math_num.c - the per-sample arena and exact rational numbers for math-answer comparison.
 *
 * Rationals are never reduced: equality cross-multiplies, which needs no division and no gcd.
 * Every result is bounded by MATH_MAX_BITS; an operation that would exceed it fails (returns 0)
 * and the caller falls back to floating point, so no input makes arithmetic slow.
 */
#include "math_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct math_block {
    math_block *next;
    size_t cap;
    max_align_t data[];
};

void grpo_math_arena_init(math_arena *a) { memset(a, 0, sizeof *a); }

void *grpo_math_alloc(math_arena *a, size_t size) {
    size = (size + 15) & ~(size_t)15;
    if (a->failed) return NULL;
    if (!a->head || a->used + size > a->cap) {
        size_t cap = size > 32768 ? size : 32768;
        if (a->total + cap > MATH_ARENA_LIMIT) {
            a->failed = 1;
            return NULL;
        }
        math_block *b = malloc(sizeof(math_block) + cap);
        if (!b) {
            a->failed = 1;
            return NULL;
        }
        b->next = a->head;
        b->cap = cap;
        a->head = b;
        a->used = 0;
        a->cap = cap;
        a->total += cap;
    }
    void *p = (char *)a->head->data + a->used;
    a->used += size;
    return p;
}

void grpo_math_arena_free(math_arena *a) {
    math_block *b = a->head;
    while (b) {
        math_block *next = b->next;
        free(b);
        b = next;
    }
    grpo_math_arena_init(a);
}

/* ---- magnitudes ---- */

static int mag_alloc(math_arena *a, math_mag *m, int limbs) {
    if (limbs * 32 > MATH_MAX_BITS + 64) return 0;
    m->d = grpo_math_alloc(a, sizeof(uint32_t) * (size_t)(limbs > 0 ? limbs : 1));
    m->n = 0;
    return m->d != NULL;
}

static void mag_trim(math_mag *m) {
    while (m->n > 0 && m->d[m->n - 1] == 0) m->n--;
}

static int mag_from_u64(math_arena *a, math_mag *m, uint64_t v) {
    if (!mag_alloc(a, m, 2)) return 0;
    m->d[0] = (uint32_t)v;
    m->d[1] = (uint32_t)(v >> 32);
    m->n = 2;
    mag_trim(m);
    return 1;
}

static int mag_cmp(const math_mag *x, const math_mag *y) {
    if (x->n != y->n) return x->n < y->n ? -1 : 1;
    for (int i = x->n - 1; i >= 0; i--)
        if (x->d[i] != y->d[i]) return x->d[i] < y->d[i] ? -1 : 1;
    return 0;
}

static int mag_mul(math_arena *a, math_mag *out, const math_mag *x, const math_mag *y) {
    if (x->n == 0 || y->n == 0) {
        out->n = 0;
        out->d = NULL;
        return 1;
    }
    if (!mag_alloc(a, out, x->n + y->n)) return 0;
    memset(out->d, 0, sizeof(uint32_t) * (size_t)(x->n + y->n));
    for (int i = 0; i < x->n; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < y->n; j++) {
            uint64_t t = (uint64_t)x->d[i] * y->d[j] + out->d[i + j] + carry;
            out->d[i + j] = (uint32_t)t;
            carry = t >> 32;
        }
        out->d[i + y->n] = (uint32_t)carry;
    }
    out->n = x->n + y->n;
    mag_trim(out);
    return 1;
}

static int mag_add(math_arena *a, math_mag *out, const math_mag *x, const math_mag *y) {
    int n = x->n > y->n ? x->n : y->n;
    if (!mag_alloc(a, out, n + 1)) return 0;
    uint64_t carry = 0;
    for (int i = 0; i < n; i++) {
        uint64_t t = carry + (i < x->n ? x->d[i] : 0) + (i < y->n ? y->d[i] : 0);
        out->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    out->d[n] = (uint32_t)carry;
    out->n = n + 1;
    mag_trim(out);
    return 1;
}

/* out = x - y with x >= y */
static int mag_sub(math_arena *a, math_mag *out, const math_mag *x, const math_mag *y) {
    if (!mag_alloc(a, out, x->n)) return 0;
    int64_t borrow = 0;
    for (int i = 0; i < x->n; i++) {
        int64_t t = (int64_t)x->d[i] - (i < y->n ? y->d[i] : 0) - borrow;
        borrow = t < 0;
        out->d[i] = (uint32_t)(t + (borrow ? ((int64_t)1 << 32) : 0));
    }
    out->n = x->n;
    mag_trim(out);
    return 1;
}

static int mag_bits(const math_mag *m) {
    if (m->n == 0) return 0;
    uint32_t top = m->d[m->n - 1];
    int b = 0;
    while (top) {
        b++;
        top >>= 1;
    }
    return (m->n - 1) * 32 + b;
}

/* m * 2^e as a double, reading the top 64 bits (exact enough for a 53-bit mantissa). */
static double mag_to_double(const math_mag *m, int *exp2) {
    *exp2 = 0;
    if (m->n == 0) return 0.0;
    if (m->n <= 2) return (double)(m->n == 2 ? ((uint64_t)m->d[1] << 32 | m->d[0]) : m->d[0]);
    uint64_t top = (uint64_t)m->d[m->n - 1] << 32 | m->d[m->n - 2];
    double v = (double)top + (double)m->d[m->n - 3] / 4294967296.0;
    *exp2 = (m->n - 2) * 32;
    return v;
}

/* m = m * mul + add for small mul/add (decimal parsing) in place; capacity must suffice. */
static void mag_muladd_small(math_mag *m, uint32_t mul, uint32_t add) {
    uint64_t carry = add;
    for (int i = 0; i < m->n; i++) {
        uint64_t t = (uint64_t)m->d[i] * mul + carry;
        m->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry) m->d[m->n++] = (uint32_t)carry;
}

static int mag_pow10(math_arena *a, math_mag *out, int64_t e) {
    int limbs = (int)(e * 3322 / 1000 / 32) + 2; /* log2(10) bits per digit */
    if (e > MATH_MAX_DIGITS || !mag_alloc(a, out, limbs)) return 0;
    out->d[0] = 1;
    out->n = 1;
    for (int64_t i = 0; i < e; i++) mag_muladd_small(out, 10, 0);
    return 1;
}

/* ---- rationals ---- */

static int rat_checked(const math_rat *r) {
    return mag_bits(&r->num) <= MATH_MAX_BITS && mag_bits(&r->den) <= MATH_MAX_BITS;
}

int grpo_math_rat_from_int(math_arena *a, math_rat *out, int64_t v) {
    out->sign = v > 0 ? 1 : v < 0 ? -1 : 0;
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    return mag_from_u64(a, &out->num, mag) && mag_from_u64(a, &out->den, 1);
}

int grpo_math_rat_from_decimal(math_arena *a, math_rat *out, const char *digits, size_t len,
                          int64_t exp10) {
    if (len > MATH_MAX_DIGITS || exp10 > MATH_MAX_DIGITS || exp10 < -MATH_MAX_DIGITS) return 0;
    int limbs = (int)(len * 3322 / 1000 / 32) + 2;
    if (!mag_alloc(a, &out->num, limbs)) return 0;
    out->num.d[0] = 0;
    out->num.n = 0;
    for (size_t i = 0; i < len; i++) mag_muladd_small(&out->num, 10, (uint32_t)(digits[i] - '0'));
    mag_trim(&out->num);
    out->sign = out->num.n ? 1 : 0;
    if (exp10 >= 0) {
        math_mag p, prod;
        if (!mag_pow10(a, &p, exp10) || !mag_mul(a, &prod, &out->num, &p)) return 0;
        out->num = prod;
        if (!mag_from_u64(a, &out->den, 1)) return 0;
    } else if (!mag_pow10(a, &out->den, -exp10)) {
        return 0;
    }
    return rat_checked(out);
}

int grpo_math_rat_add(math_arena *a, math_rat *out, const math_rat *x, const math_rat *y) {
    if (x->sign == 0) { *out = *y; return 1; }
    if (y->sign == 0) { *out = *x; return 1; }
    math_rat r; /* out may alias x or y */
    math_mag xn, yn;
    if (!mag_mul(a, &xn, &x->num, &y->den) || !mag_mul(a, &yn, &y->num, &x->den)) return 0;
    if (!mag_mul(a, &r.den, &x->den, &y->den)) return 0;
    if (x->sign == y->sign) {
        r.sign = x->sign;
        if (!mag_add(a, &r.num, &xn, &yn)) return 0;
    } else {
        int c = mag_cmp(&xn, &yn);
        if (c == 0) return grpo_math_rat_from_int(a, out, 0);
        r.sign = c > 0 ? x->sign : y->sign;
        if (!(c > 0 ? mag_sub(a, &r.num, &xn, &yn) : mag_sub(a, &r.num, &yn, &xn))) return 0;
    }
    *out = r;
    return rat_checked(out);
}

int grpo_math_rat_mul(math_arena *a, math_rat *out, const math_rat *x, const math_rat *y) {
    if (x->sign == 0 || y->sign == 0) return grpo_math_rat_from_int(a, out, 0);
    math_rat r; /* out may alias x or y */
    r.sign = x->sign * y->sign;
    if (!mag_mul(a, &r.num, &x->num, &y->num) || !mag_mul(a, &r.den, &x->den, &y->den)) return 0;
    *out = r;
    return rat_checked(out);
}

int grpo_math_rat_div(math_arena *a, math_rat *out, const math_rat *x, const math_rat *y) {
    if (y->sign == 0) return 0;
    math_rat inv = {y->sign, y->den, y->num};
    return grpo_math_rat_mul(a, out, x, &inv);
}

int grpo_math_rat_pow(math_arena *a, math_rat *out, const math_rat *x, int64_t e) {
    if (e == 0) return grpo_math_rat_from_int(a, out, 1);
    if (x->sign == 0) return e > 0 ? grpo_math_rat_from_int(a, out, 0) : 0;
    uint64_t k = e < 0 ? (uint64_t)0 - (uint64_t)e : (uint64_t)e;
    int bits = mag_bits(&x->num) > mag_bits(&x->den) ? mag_bits(&x->num) : mag_bits(&x->den);
    if (bits > 1 && (double)(bits - 1) * (double)k > MATH_MAX_BITS) return 0;
    if (k > (uint64_t)MATH_MAX_BITS * 2) return 0; /* only 1 and -1 get here; keep it cheap */
    math_rat base = *x, acc;
    if (!grpo_math_rat_from_int(a, &acc, 1)) return 0;
    while (k) {
        if (k & 1 && !grpo_math_rat_mul(a, &acc, &acc, &base)) return 0;
        k >>= 1;
        if (k && !grpo_math_rat_mul(a, &base, &base, &base)) return 0;
    }
    if (e < 0) {
        math_rat one;
        return grpo_math_rat_from_int(a, &one, 1) && grpo_math_rat_div(a, out, &one, &acc);
    }
    *out = acc;
    return 1;
}

int grpo_math_rat_equal(math_arena *a, const math_rat *x, const math_rat *y) {
    if (x->sign != y->sign) return 0;
    if (x->sign == 0) return 1;
    math_mag l, r;
    if (!mag_mul(a, &l, &x->num, &y->den) || !mag_mul(a, &r, &y->num, &x->den)) return -1;
    return mag_cmp(&l, &r) == 0;
}

int grpo_math_rat_bits(const math_rat *x) {
    int a = mag_bits(&x->num), b = mag_bits(&x->den);
    return a > b ? a : b;
}

int grpo_math_rat_to_int64(const math_rat *x, int64_t *out) {
    if (x->sign == 0) {
        *out = 0;
        return 1;
    }
    if (mag_bits(&x->num) > 62 || mag_bits(&x->den) > 62) return 0;
    uint64_t nn = x->num.n == 2 ? ((uint64_t)x->num.d[1] << 32 | x->num.d[0]) : x->num.d[0];
    uint64_t dd = x->den.n == 2 ? ((uint64_t)x->den.d[1] << 32 | x->den.d[0]) : x->den.d[0];
    if (dd == 0 || nn % dd != 0) return 0;
    *out = (int64_t)(nn / dd) * x->sign;
    return 1;
}

long double grpo_math_rat_to_long_double(const math_rat *x) {
    if (x->sign == 0) return 0.0L;
    int en, ed;
    long double n = (long double)mag_to_double(&x->num, &en), d = (long double)mag_to_double(&x->den, &ed);
    return x->sign * ldexpl(n / d, en - ed);
}

int grpo_math_rat_floor(math_arena *a, math_rat *out, const math_rat *x, int ceiling) {
    if (x->sign == 0) return grpo_math_rat_from_int(a, out, 0);
    if (mag_bits(&x->num) > 62 || mag_bits(&x->den) > 62) return 0;
    uint64_t n = x->num.n == 2 ? ((uint64_t)x->num.d[1] << 32 | x->num.d[0]) : x->num.d[0];
    uint64_t d = x->den.n == 2 ? ((uint64_t)x->den.d[1] << 32 | x->den.d[0]) : x->den.d[0];
    int64_t q = (int64_t)(n / d) * x->sign;
    if (n % d != 0 && (ceiling ? x->sign > 0 : x->sign < 0)) q += ceiling ? 1 : -1;
    return grpo_math_rat_from_int(a, out, q);
}

double grpo_math_rat_to_double(const math_rat *x) {
    if (x->sign == 0) return 0.0;
    int en, ed;
    double n = mag_to_double(&x->num, &en), d = mag_to_double(&x->den, &ed);
    return x->sign * ldexp(n / d, en - ed);
}

size_t grpo_math_rat_format(math_arena *a, char *buf, size_t cap, const math_rat *x) {
    if (cap == 0) return 0;
    size_t w = 0;
    const math_mag *parts[2] = {&x->num, &x->den};
    int nparts = (x->den.n == 1 && x->den.d[0] == 1) ? 1 : 2;
    if (x->sign < 0 && w + 1 < cap) buf[w++] = '-';
    for (int p = 0; p < nparts; p++) {
        if (p == 1 && w + 1 < cap) buf[w++] = '/';
        const math_mag *m = parts[p];
        if (m->n == 0) {
            if (w + 1 < cap) buf[w++] = '0';
            continue;
        }
        /* repeated division by 10^9 on a scratch copy; quadratic but bounded by MATH_MAX_BITS */
        uint32_t *t = grpo_math_alloc(a, sizeof(uint32_t) * (size_t)m->n);
        int nd = (int)((size_t)m->n * 32 / 29 + 2);
        uint32_t *chunks = grpo_math_alloc(a, sizeof(uint32_t) * (size_t)nd);
        if (!t || !chunks) break;
        memcpy(t, m->d, sizeof(uint32_t) * (size_t)m->n);
        int tn = m->n, nc = 0;
        while (tn > 0 && nc < nd) {
            uint64_t rem = 0;
            for (int i = tn - 1; i >= 0; i--) {
                uint64_t cur = rem << 32 | t[i];
                t[i] = (uint32_t)(cur / 1000000000u);
                rem = cur % 1000000000u;
            }
            chunks[nc++] = (uint32_t)rem;
            while (tn > 0 && t[tn - 1] == 0) tn--;
        }
        for (int i = nc - 1; i >= 0; i--) {
            char tmp[16];
            int len = 0;
            uint32_t v = chunks[i];
            do {
                tmp[len++] = (char)('0' + v % 10);
                v /= 10;
            } while (v);
            if (i != nc - 1)
                while (len < 9) tmp[len++] = '0';
            while (len > 0 && w + 1 < cap) buf[w++] = tmp[--len];
        }
    }
    buf[w] = 0;
    return w;
}
