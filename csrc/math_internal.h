/*
 * math_internal.h - types shared by the math-answer files (math_num.c, math_extract.c,
 * math_parse.c, math_compare.c); not part of the public API.
 *
 * Stance: every byte string is a valid input. Memory for one sample comes from one arena that is
 * freed as a whole; every size (answer length, nesting depth, number bits, list length) has a
 * fixed bound, and exceeding one makes the answer unparseable rather than slow.
 */
#ifndef GRPO_MATH_INTERNAL_H
#define GRPO_MATH_INTERNAL_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "grpo.h"

enum {
    MATH_MAX_ANSWER = 1 << 16, /* bytes of an extracted answer that we parse */
    MATH_MAX_DEPTH = 160,      /* parser recursion (and so tree depth) bound */
    MATH_MAX_BITS = 20000,     /* exact numbers larger than this fall back to floating point */
    MATH_MAX_DIGITS = 5000,    /* longer digit runs are read as floating point only */
    MATH_MAX_ITEMS = 256,      /* elements compared in a list, set or matrix */
    MATH_ARENA_LIMIT = 64 << 20,
    MATH_MAX_TERMS = 1000      /* terms a \sum or \prod with numeric bounds is expanded into */
};

/* ---- arena: one per sample; allocation failure is sticky and checked once at the end ---- */
typedef struct math_block math_block;
typedef struct {
    math_block *head;
    size_t used, cap, total;
    int failed;
} math_arena;

void grpo_math_arena_init(math_arena *a);
void *grpo_math_alloc(math_arena *a, size_t size);
void grpo_math_arena_free(math_arena *a);

/* ---- exact rationals over unsigned 32-bit limbs (never reduced; equality cross-multiplies) */
typedef struct {
    uint32_t *d;
    int n; /* limbs in use, no leading zero limb; 0 means the value 0 */
} math_mag;

typedef struct {
    int sign; /* -1, 0, +1 */
    math_mag num, den;
} math_rat;

int grpo_math_rat_from_decimal(math_arena *a, math_rat *out, const char *digits, size_t len,
                          int64_t exp10);
int grpo_math_rat_from_int(math_arena *a, math_rat *out, int64_t v);
int grpo_math_rat_add(math_arena *a, math_rat *out, const math_rat *x, const math_rat *y);
int grpo_math_rat_mul(math_arena *a, math_rat *out, const math_rat *x, const math_rat *y);
int grpo_math_rat_div(math_arena *a, math_rat *out, const math_rat *x, const math_rat *y);
int grpo_math_rat_pow(math_arena *a, math_rat *out, const math_rat *x, int64_t e);
int grpo_math_rat_equal(math_arena *a, const math_rat *x, const math_rat *y);
int grpo_math_rat_to_int64(const math_rat *x, int64_t *out); /* 1 when x is an integer in range */
/* floor (or ceiling) of x when numerator and denominator fit in 62 bits; 0 otherwise */
int grpo_math_rat_floor(math_arena *a, math_rat *out, const math_rat *x, int ceiling);
double grpo_math_rat_to_double(const math_rat *x);
long double grpo_math_rat_to_long_double(const math_rat *x); /* range to ~1e4932 */
int grpo_math_rat_bits(const math_rat *x);
/* Writes x as decimal "n" or "n/d" into buf (NUL-terminated, truncated with "..."). */
size_t grpo_math_rat_format(math_arena *a, char *buf, size_t cap, const math_rat *x);

/* ---- expression tree ---- */
typedef enum {
    MN_NUM,      /* exact literal: rat (flag MF_FLOAT when written with a point or exponent) */
    MN_VAR,      /* name */
    MN_CONST,    /* name: "pi", "e", "i", "inf" */
    MN_ADD,      /* kids summed */
    MN_MUL,      /* kids multiplied */
    MN_NEG,      /* kids[0] negated */
    MN_DIV,      /* kids[0] / kids[1] */
    MN_POW,      /* kids[0] ^ kids[1] */
    MN_FUNC,     /* name(kids[0]); log with base: kids[1] is the base */
    MN_ROOT,     /* kids[0] ^ (1/kids[1]) */
    MN_FACT,     /* kids[0]! */
    MN_ABS,      /* |kids[0]| */
    MN_PM,       /* kids[0] +- kids[1] (unary: kids[0] is NULL); `index` picks the mask bit */
    MN_PERCENT,  /* kids[0] / 100 */
    MN_REL,      /* chain kids[0] ops[0] kids[1] ...; n = operands */
    MN_LIST,     /* bare comma / "or" list: unordered */
    MN_SET,      /* \{...\}: unordered */
    MN_TUPLE,    /* bracketed list: open/close in `lbr`/`rbr` */
    MN_UNION,    /* \cup of kids */
    MN_SETOP,    /* \cap or \setminus (op): compared structurally */
    MN_MATRIX,   /* rows x cols kids, row-major */
    MN_REALS,    /* \mathbb{R} */
    MN_EMPTY,    /* empty set */
    MN_DOTS,     /* \ldots inside a list */
    MN_BIGOP     /* \sum / \prod (ops[0] 0 / 1): kids = index variable, lower, upper, term */
} math_kind;

enum { MF_FLOAT = 1 };

typedef enum { MR_EQ, MR_NE, MR_LT, MR_LE, MR_GT, MR_GE } math_relop;

typedef struct math_node math_node;
struct math_node {
    uint8_t kind, flags, lbr, rbr;
    int32_t n;          /* number of kids (rows*cols for matrices) */
    int32_t rows, cols; /* matrices */
    int32_t index;      /* MN_PM bit index */
    math_node **kids;
    uint8_t *ops;    /* MN_REL: n-1 relation operators; MN_SETOP: the operator */
    uint32_t *masks; /* MN_LIST built by +- expansion: sign choices per kid */
    const char *name;
    size_t name_len;
    math_rat rat;
};

/* A parsed answer. */
typedef enum {
    MA_NONE = 0, /* nothing could be read: see reason */
    MA_MATH,
    MA_TEXT,
    MA_CHOICE
} math_answer_kind;

typedef struct {
    int kind;
    int reason;             /* GRPO_MATH_REASON_* */
    math_node *root;        /* MA_MATH */
    int percent;            /* the whole answer was "x %": root is x */
    int pm_count;           /* \pm signs in the tree (their MN_PM indices are 0..pm_count-1) */
    int words;              /* unit / filler words dropped around the math */
    char choice;            /* MA_CHOICE: 'A'..'J' */
    const char *text;       /* normalized text (every kind but MA_NONE) */
    size_t text_len;
} math_answer;

/* math_extract.c: the answer span of a completion or gold (s may point into the arena when
 * several boxes were joined). */
typedef struct {
    const char *s;
    size_t len;
    size_t begin, end; /* span in the input */
    int source, reason;
} math_extracted;

enum { SRC_NONE = 0, SRC_BOX = 1, SRC_TAG = 2, SRC_ANCHOR = 3, SRC_WHOLE = 4, SRC_HASHES = 5 };
void grpo_math_find_answer(math_arena *a, math_extracted *out, const char *s, size_t len, int is_gold,
                  const grpo_math_options *opt);

/* math_parse.c */
void grpo_math_parse_answer(math_arena *a, math_answer *out, const char *s, size_t len, int strict);
/* math_compare.c */
int grpo_math_answers_equal(math_arena *a, const math_answer *gold, const math_answer *pred,
                       const grpo_math_options *opt);
size_t grpo_math_render(math_arena *a, char *buf, size_t cap, const math_node *node);

#endif
