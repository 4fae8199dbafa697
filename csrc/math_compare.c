/*
 * math_compare.c - evaluation and equivalence of parsed answers.
 *
 * Stance: exact when possible, numeric when not, symbolic by evaluation. Values free of decimals
 * and variables are compared as exact rationals (so 2^100 + 1 != 2^100); values with a decimal
 * use a relative tolerance (never an absolute one: tiny values are not equal for being small);
 * irrational values use a tight relative tolerance in complex double. Expressions with free
 * variables are evaluated at fixed pseudo-random points over all their variables: exactly at
 * rational (or integer) points when both are rational functions, else in complex double.
 * Collections compare structurally: lists and sets unordered, tuples and matrices ordered,
 * intervals by endpoints and openness. Nothing here can loop: every recursion follows the
 * depth-bounded tree and every pairwise matching is bounded in size.
 */
#include "math_internal.h"

#include <math.h>
#include <string.h>

#define SYMBOLIC_TOL 1e-9
#define PI_L 3.141592653589793238462643383279502884L
#define E_L 2.718281828459045235360287471352662498L

/* Numeric values are complex long double: x87 extended range (to ~1e4932) keeps e^{-1000} away
 * from 0 and 1.5 x 10^{400} finite, where a double would underflow or overflow. */
typedef long double complex numc;
#define POINTS 6

/* The index variable of a \sum / \prod while its terms are evaluated. */
typedef struct binding {
    const char *name;
    size_t len;
    int64_t value;
    const struct binding *outer;
} binding;

static const binding *bound(const binding *b, const char *name, size_t len) {
    for (; b; b = b->outer)
        if (b->len == len && memcmp(b->name, name, len) == 0) return b;
    return NULL;
}

typedef struct {
    math_arena *a;
    const grpo_math_options *opt;
    const binding *bindings;
    int64_t terms_left; /* \sum / \prod terms this comparison may still evaluate */
    int point;          /* >= 0: variables take their exact value at this sample point */
    int integer_points; /* 1: those values are integers (for high-degree polynomials) */
} cmp_ctx;

static uint64_t name_hash(const char *name, size_t len, int k) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)name[i]) * 1099511628211ull;
    h ^= (uint64_t)(k + 1) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return h;
}

static int names_equal(const char *a, size_t al, const char *b, size_t bl) {
    return al == bl && memcmp(a, b, al) == 0;
}

/* --------------------------------------------------------------------------- exact values */

static int eval_exact(cmp_ctx *c, const math_node *x, uint32_t mask, math_rat *out) {
    math_arena *a = c->a;
    math_rat l, r;
    switch (x->kind) {
    case MN_NUM: *out = x->rat; return 1;
    case MN_CONST: {
        const binding *b = bound(c->bindings, x->name, x->name_len);
        return b && grpo_math_rat_from_int(a, out, b->value);
    }
    case MN_VAR: {
        const binding *b = bound(c->bindings, x->name, x->name_len);
        if (b) return grpo_math_rat_from_int(a, out, b->value);
        /* a rational sample point, p/q with small p and q, negative at odd points */
        if (c->point < 0) return 0;
        uint64_t h = name_hash(x->name, x->name_len, c->point);
        int64_t num = 1 + (int64_t)(h % 89), den = 2 + (int64_t)((h >> 16) % 97);
        if (c->integer_points) {
            num = 3 + (int64_t)(h % 997);
            den = 1;
        }
        return grpo_math_rat_from_int(a, &l, c->point & 1 ? -num : num) &&
               grpo_math_rat_from_int(a, &r, den) && grpo_math_rat_div(a, out, &l, &r);
    }
    case MN_NEG:
        if (!eval_exact(c, x->kids[0], mask, out)) return 0;
        out->sign = -out->sign;
        return 1;
    case MN_PM:
        if (!eval_exact(c, x->kids[0], mask, out)) return 0;
        if (x->index < 32 && (mask >> x->index & 1)) out->sign = -out->sign;
        return 1;
    case MN_ADD:
        if (!grpo_math_rat_from_int(a, out, 0)) return 0;
        for (int i = 0; i < x->n; i++)
            if (!eval_exact(c, x->kids[i], mask, &l) || !grpo_math_rat_add(a, out, out, &l)) return 0;
        return 1;
    case MN_MUL:
        if (!grpo_math_rat_from_int(a, out, 1)) return 0;
        for (int i = 0; i < x->n; i++) {
            const math_node *k = x->kids[i];
            if (k->kind == MN_DIV && k->kids[0] == NULL) {
                if (!eval_exact(c, k->kids[1], mask, &l) || !grpo_math_rat_div(a, out, out, &l)) return 0;
            } else if (!eval_exact(c, k, mask, &l) || !grpo_math_rat_mul(a, out, out, &l)) {
                return 0;
            }
        }
        return 1;
    case MN_DIV:
        if (!x->kids[0]) return 0;
        return eval_exact(c, x->kids[0], mask, &l) && eval_exact(c, x->kids[1], mask, &r) &&
               grpo_math_rat_div(a, out, &l, &r);
    case MN_POW: {
        int64_t e;
        if (!eval_exact(c, x->kids[1], mask, &r) || !grpo_math_rat_to_int64(&r, &e)) return 0;
        return eval_exact(c, x->kids[0], mask, &l) && grpo_math_rat_pow(a, out, &l, e);
    }
    case MN_PERCENT: {
        math_rat hundred;
        return eval_exact(c, x->kids[0], mask, &l) && grpo_math_rat_from_int(a, &hundred, 100) &&
               grpo_math_rat_div(a, out, &l, &hundred);
    }
    case MN_ABS:
        if (!eval_exact(c, x->kids[0], mask, out)) return 0;
        if (out->sign < 0) out->sign = 1;
        return 1;
    case MN_FUNC: {
        int64_t n, k;
        const math_node *arg = x->kids[0];
        int floor_ = names_equal(x->name, x->name_len, "floor", 5);
        if (floor_ || names_equal(x->name, x->name_len, "ceil", 4))
            return eval_exact(c, arg, mask, &l) && grpo_math_rat_floor(a, out, &l, !floor_);
        int is_max = names_equal(x->name, x->name_len, "max", 3);
        int is_min = names_equal(x->name, x->name_len, "min", 3);
        int is_gcd = names_equal(x->name, x->name_len, "gcd", 3);
        int is_lcm = names_equal(x->name, x->name_len, "lcm", 3);
        if (is_max || is_min || is_gcd || is_lcm) {
            if (arg->kind != MN_TUPLE || arg->lbr != '(' || arg->n < 1 || arg->n > 64) return 0;
            int64_t acc = 0;
            for (int i = 0; i < arg->n; i++) {
                if (!eval_exact(c, arg->kids[i], mask, &l)) return 0;
                if (is_max || is_min) {
                    if (i == 0) {
                        *out = l;
                        continue;
                    }
                    double v = grpo_math_rat_to_double(&l), best = grpo_math_rat_to_double(out);
                    if (is_max ? v > best : v < best) *out = l;
                    continue;
                }
                int64_t v;
                if (!grpo_math_rat_to_int64(&l, &v) || v == INT64_MIN) return 0;
                v = v < 0 ? -v : v;
                if (i == 0) {
                    acc = v;
                    continue;
                }
                int64_t g = acc, h = v;
                while (h) {
                    int64_t t = g % h;
                    g = h;
                    h = t;
                }
                if (is_gcd) acc = g;
                else if (g && acc / g > INT64_MAX / (v ? v : 1)) return 0;
                else acc = g ? acc / g * v : 0;
            }
            return is_gcd || is_lcm ? grpo_math_rat_from_int(a, out, acc) : 1;
        }
        if (!names_equal(x->name, x->name_len, "binom", 5) || !eval_exact(c, x->kids[0], mask, &l) ||
            !eval_exact(c, x->kids[1], mask, &r) || !grpo_math_rat_to_int64(&l, &n) ||
            !grpo_math_rat_to_int64(&r, &k) || n < 0 || n > 2000)
            return 0;
        if (k < 0 || k > n) return grpo_math_rat_from_int(a, out, 0);
        math_rat t;
        if (!grpo_math_rat_from_int(a, out, 1)) return 0;
        for (int64_t j = 1; j <= k; j++) /* C(n, j) = C(n, j-1) (n-j+1) / j, exact */
            if (!grpo_math_rat_from_int(a, &t, n - j + 1) || !grpo_math_rat_mul(a, out, out, &t) ||
                !grpo_math_rat_from_int(a, &t, j) || !grpo_math_rat_div(a, out, out, &t))
                return 0;
        return 1;
    }
    case MN_BIGOP: {
        int64_t lo, hi;
        if (!eval_exact(c, x->kids[1], mask, &l) || !grpo_math_rat_to_int64(&l, &lo) ||
            !eval_exact(c, x->kids[2], mask, &r) || !grpo_math_rat_to_int64(&r, &hi) ||
            hi - lo >= MATH_MAX_TERMS || bound(c->bindings, x->kids[0]->name, x->kids[0]->name_len))
            return 0;
        int product = x->ops[0];
        if (!grpo_math_rat_from_int(a, out, product ? 1 : 0)) return 0;
        binding b = {x->kids[0]->name, x->kids[0]->name_len, 0, c->bindings};
        c->bindings = &b;
        int ok = 1;
        for (int64_t i = lo; i <= hi && ok; i++) {
            if (--c->terms_left < 0) {
                ok = 0;
                break;
            }
            b.value = i;
            ok = eval_exact(c, x->kids[3], mask, &l) &&
                 (product ? grpo_math_rat_mul(a, out, out, &l) : grpo_math_rat_add(a, out, out, &l));
        }
        c->bindings = b.outer;
        return ok;
    }
    case MN_FACT: {
        int64_t n;
        if (!eval_exact(c, x->kids[0], mask, &l) || !grpo_math_rat_to_int64(&l, &n) || n < 0 || n > 1000)
            return 0;
        if (!grpo_math_rat_from_int(a, out, 1)) return 0;
        for (int64_t k = 2; k <= n; k++)
            if (!grpo_math_rat_from_int(a, &r, k) || !grpo_math_rat_mul(a, out, out, &r)) return 0;
        return 1;
    }
    default: return 0;
    }
}

/* ------------------------------------------------------------------------- numeric values */

typedef struct {
    const char *names[32];
    size_t lens[32];
    int n;
    int overflow;
} var_set;


static void collect_vars(const math_node *x, var_set *vs) {
    if (!x) return;
    if (x->kind == MN_VAR) {
        for (int i = 0; i < vs->n; i++)
            if (names_equal(vs->names[i], vs->lens[i], x->name, x->name_len)) return;
        if (vs->n == 32) {
            vs->overflow = 1;
            return;
        }
        vs->names[vs->n] = x->name;
        vs->lens[vs->n++] = x->name_len;
        return;
    }
    if (x->kind == MN_BIGOP) { /* the index variable is bound inside the term */
        collect_vars(x->kids[1], vs);
        collect_vars(x->kids[2], vs);
        var_set inner = {0};
        collect_vars(x->kids[3], &inner);
        vs->overflow |= inner.overflow;
        for (int i = 0; i < inner.n; i++) {
            if (names_equal(inner.names[i], inner.lens[i], x->kids[0]->name, x->kids[0]->name_len))
                continue;
            math_node v = {0};
            v.kind = MN_VAR;
            v.name = inner.names[i];
            v.name_len = inner.lens[i];
            collect_vars(&v, vs);
        }
        return;
    }
    for (int i = 0; i < x->n; i++) collect_vars(x->kids[i], vs);
}

static int same_vars(const var_set *a, const var_set *b) {
    if (a->overflow || b->overflow || a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++) {
        int found = 0;
        for (int j = 0; j < b->n && !found; j++)
            found = names_equal(a->names[i], a->lens[i], b->names[j], b->lens[j]);
        if (!found) return 0;
    }
    return 1;
}

static int has_float(const math_node *x) {
    if (!x) return 0;
    if (x->kind == MN_NUM) return x->flags & MF_FLOAT;
    for (int i = 0; i < x->n; i++)
        if (has_float(x->kids[i])) return 1;
    return 0;
}

/* The value of a variable at sample point k: a pseudo-random magnitude in [0.4, 2.6), negative
 * at odd points (so sqrt(x^2) != x), derived from the name alone, so results never depend on
 * order or thread. */
static double var_value(const char *name, size_t len, int k) {
    uint64_t h = name_hash(name, len, k);
    double v = 0.4 + 2.2 * (double)(h >> 11) / 9007199254740992.0;
    return k & 1 ? -v : v;
}

typedef struct {
    int point; /* -1: no variables expected */
    const binding *bindings;
    int64_t *terms_left; /* shared budget of \sum / \prod terms (nested sums multiply) */
} num_env;

static numc eval_num(const math_node *x, uint32_t mask, const num_env *env) {
    numc l, r;
    switch (x->kind) {
    case MN_NUM: return grpo_math_rat_to_long_double(&x->rat);
    case MN_VAR: {
        const binding *b = bound(env->bindings, x->name, x->name_len);
        if (b) return (double)b->value;
        if (env->point < 0) return NAN;
        return var_value(x->name, x->name_len, env->point);
    }
    case MN_BIGOP: {
        numc lo = eval_num(x->kids[1], mask, env), hi = eval_num(x->kids[2], mask, env);
        if (cimagl(lo) != 0 || cimagl(hi) != 0 || creall(lo) != floorl(creall(lo)) ||
            creall(hi) != floorl(creall(hi)) || creall(hi) - creall(lo) >= MATH_MAX_TERMS ||
            bound(env->bindings, x->kids[0]->name, x->kids[0]->name_len))
            return NAN;
        int product = x->ops[0];
        binding b = {x->kids[0]->name, x->kids[0]->name_len, 0, env->bindings};
        num_env inner = {env->point, &b, env->terms_left};
        numc acc = product ? 1 : 0;
        for (long double i = creall(lo); i <= creall(hi); i++) {
            if (--*env->terms_left < 0) return NAN;
            b.value = (int64_t)i;
            numc t = eval_num(x->kids[3], mask, &inner);
            acc = product ? acc * t : acc + t;
        }
        return acc;
    }
    case MN_CONST: {
        const binding *b = bound(env->bindings, x->name, x->name_len);
        if (b) return (double)b->value; /* \sum_{i=1}^{n}: here i is the index */
        if (x->name[0] == 'p') return PI_L;
        if (x->name[0] == 'e') return E_L;
        if (x->name[0] == 'i' && x->name_len == 1) return I;
        return INFINITY;
    }
    case MN_NEG: return -eval_num(x->kids[0], mask, env);
    case MN_PM: {
        numc v = eval_num(x->kids[0], mask, env);
        return x->index < 32 && (mask >> x->index & 1) ? -v : v;
    }
    case MN_ADD:
        l = 0;
        for (int i = 0; i < x->n; i++) l += eval_num(x->kids[i], mask, env);
        return l;
    case MN_MUL:
        l = 1;
        for (int i = 0; i < x->n; i++) {
            const math_node *k = x->kids[i];
            if (k->kind == MN_DIV && k->kids[0] == NULL) l /= eval_num(k->kids[1], mask, env);
            else l *= eval_num(k, mask, env);
        }
        return l;
    case MN_DIV:
        r = eval_num(x->kids[1], mask, env);
        l = x->kids[0] ? eval_num(x->kids[0], mask, env) : 1;
        if (r == 0) return NAN;
        return l / r;
    case MN_POW: {
        l = eval_num(x->kids[0], mask, env);
        r = eval_num(x->kids[1], mask, env);
        if (cimagl(l) == 0 && cimagl(r) == 0) {
            long double b = creall(l), e = creall(r);
            if (b >= 0 || e == floorl(e)) return powl(b, e);
        }
        if (l == 0) return cabsl(r) == 0 ? 1 : 0;
        if (cimagl(l) == 0) l = CMPLXL(creall(l), 0.0); /* -0.0i would pick the other branch */
        return cpowl(l, r);
    }
    case MN_ROOT: {
        l = eval_num(x->kids[0], mask, env);
        r = eval_num(x->kids[1], mask, env);
        if (cimagl(l) == 0 && cimagl(r) == 0) {
            long double v = creall(l), n = creall(r);
            if (v >= 0) return powl(v, 1.0 / n);
            if (n == floorl(n) && fmodl(n, 2.0) != 0) return -powl(-v, 1.0 / n);
            l = CMPLXL(v, 0.0); /* principal root: sqrt(-1) = i, whatever the sign of zero */
        }
        return cpowl(l, 1.0 / r);
    }
    case MN_ABS: return cabsl(eval_num(x->kids[0], mask, env));
    case MN_PERCENT: return eval_num(x->kids[0], mask, env) / 100.0;
    case MN_FACT: {
        l = eval_num(x->kids[0], mask, env);
        if (cimagl(l) != 0 || creall(l) < 0) return NAN;
        return tgammal(creall(l) + 1);
    }
    case MN_FUNC: {
        if (x->kids[0]->kind == MN_TUPLE && x->kids[0]->n >= 1 && x->kids[0]->n <= 64 &&
            (names_equal(x->name, x->name_len, "max", 3) || names_equal(x->name, x->name_len, "min", 3))) {
            int is_max = x->name[1] == 'a';
            long double best = NAN;
            for (int i = 0; i < x->kids[0]->n; i++) {
                numc e = eval_num(x->kids[0]->kids[i], mask, env);
                if (cimagl(e) != 0) return NAN;
                if (i == 0 || (is_max ? creall(e) > best : creall(e) < best)) best = creall(e);
            }
            return best;
        }
        numc v = eval_num(x->kids[0], mask, env);
        const char *f = x->name;
        size_t n = x->name_len;
#define IS(s) names_equal(f, n, s, sizeof(s) - 1)
        if (IS("binom")) {
            numc k = eval_num(x->kids[1], mask, env);
            if (cimagl(v) != 0 || cimagl(k) != 0) return NAN;
            long double n_ = creall(v), k_ = creall(k);
            return tgammal(n_ + 1) / (tgammal(k_ + 1) * tgammal(n_ - k_ + 1));
        }
        if (IS("floor") || IS("ceil")) {
            if (cimagl(v) != 0) return NAN;
            return IS("floor") ? floorl(creall(v)) : ceill(creall(v));
        }
        if (IS("sin")) return csinl(v);
        if (IS("cos")) return ccosl(v);
        if (IS("tan")) return ctanl(v);
        if (IS("sec")) return 1.0 / ccosl(v);
        if (IS("csc")) return 1.0 / csinl(v);
        if (IS("cot")) return 1.0 / ctanl(v);
        if (IS("sinh")) return csinhl(v);
        if (IS("cosh")) return ccoshl(v);
        if (IS("tanh")) return ctanhl(v);
        if (IS("arcsin")) return casinl(v);
        if (IS("arccos")) return cacosl(v);
        if (IS("arctan")) return catanl(v);
        if (IS("exp")) return cexpl(v);
        if (IS("ln")) return clogl(v);
        if (IS("lg")) return clogl(v) / logl(10.0L);
        if (IS("log")) {
            if (x->n == 2 && x->kids[1]) return clogl(v) / clogl(eval_num(x->kids[1], mask, env));
            return clogl(v);
        }
#undef IS
        return NAN;
    }
    default: return NAN;
    }
}

static int finite_c(numc v) { return isfinite(creall(v)) && isfinite(cimagl(v)); }

static int close_c(numc x, numc y, double tol) {
    if (!finite_c(x) || !finite_c(y)) return 0;
    long double d = cabsl(x - y), m = fmaxl(cabsl(x), cabsl(y));
    return d <= tol * m * (1 + 1e-12);
}

/* ---------------------------------------------------------------------- structure helpers */

static int struct_equal(const math_node *x, const math_node *y) {
    if (x == y) return 1;
    if (!x || !y || x->kind != y->kind || x->n != y->n) return 0;
    switch (x->kind) {
    case MN_NUM:
        return x->rat.sign == y->rat.sign && x->rat.num.n == y->rat.num.n &&
               x->rat.den.n == y->rat.den.n &&
               (x->rat.num.n == 0 ||
                memcmp(x->rat.num.d, y->rat.num.d, sizeof(uint32_t) * (size_t)x->rat.num.n) == 0) &&
               (x->rat.den.n == 0 ||
                memcmp(x->rat.den.d, y->rat.den.d, sizeof(uint32_t) * (size_t)x->rat.den.n) == 0);
    case MN_VAR:
    case MN_CONST:
        return names_equal(x->name, x->name_len, y->name, y->name_len);
    case MN_FUNC:
        if (!names_equal(x->name, x->name_len, y->name, y->name_len)) return 0;
        break;
    case MN_TUPLE:
        if (x->lbr != y->lbr || x->rbr != y->rbr) return 0;
        break;
    case MN_REL:
        for (int i = 0; i + 1 < x->n; i++)
            if (x->ops[i] != y->ops[i]) return 0;
        break;
    case MN_PM:
        if (x->index != y->index) return 0;
        break;
    default: break;
    }
    for (int i = 0; i < x->n; i++)
        if (!struct_equal(x->kids[i], y->kids[i])) return 0;
    return 1;
}

static int is_infinity(const math_node *x, int *sign) {
    int s = 1;
    while (x && (x->kind == MN_NEG || (x->kind == MN_ADD && x->n == 1))) {
        if (x->kind == MN_NEG) s = -s;
        x = x->kids[0];
    }
    if (x && x->kind == MN_CONST && x->name[0] == 'i' && x->name_len == 3) {
        *sign = s;
        return 1;
    }
    return 0;
}

static math_node *mk(cmp_ctx *c, int kind, int n) {
    math_node *x = grpo_math_alloc(c->a, sizeof(math_node));
    if (!x) return NULL;
    memset(x, 0, sizeof *x);
    x->kind = (uint8_t)kind;
    x->n = n;
    if (n) {
        x->kids = grpo_math_alloc(c->a, sizeof(math_node *) * (size_t)n);
        if (!x->kids) return NULL;
    }
    return x;
}

/* --------------------------------------------------------------------------- scalar values */

/* Built from numbers and variables with + - * / and integer powers only (no floor, abs, ...):
 * such an identity can be checked at integer points too. */
static int rational_function(const math_node *x) {
    if (!x) return 1;
    switch (x->kind) {
    case MN_NUM: case MN_VAR: case MN_ADD: case MN_MUL: case MN_NEG: case MN_DIV: case MN_POW:
    case MN_PM: case MN_PERCENT:
        break;
    default: return 0;
    }
    for (int i = 0; i < x->n; i++)
        if (!rational_function(x->kids[i])) return 0;
    return 1;
}

static int has_imaginary_unit(const math_node *x) {
    if (!x) return 0;
    if (x->kind == MN_CONST && x->name_len == 1 && x->name[0] == 'i') return 1;
    for (int i = 0; i < x->n; i++)
        if (has_imaginary_unit(x->kids[i])) return 1;
    return x->kind == MN_FUNC && x->n == 2 && has_imaginary_unit(x->kids[1]);
}

static int scalar_equal(cmp_ctx *c, const math_node *g, uint32_t gm, const math_node *p,
                        uint32_t pm) {
    if (gm == pm && struct_equal(g, p)) return 1;
    int gs = 0, ps = 0;
    if (is_infinity(g, &gs) || is_infinity(p, &ps))
        return is_infinity(g, &gs) && is_infinity(p, &ps) && gs == ps;
    var_set gv = {0}, pv = {0};
    collect_vars(g, &gv);
    collect_vars(p, &pv);
    if (gv.overflow || pv.overflow) return 0;
    /* different variables are compared at the sample points over all of them, so 2x+1 != 2y+1
     * while sin^2 x + cos^2 x = 1 */
    int floats = has_float(g) || has_float(p);
    double tol = floats ? (c->opt->float_rel_tol > 0 ? c->opt->float_rel_tol : 1e-6) : SYMBOLIC_TOL;
    if (gv.n == 0 && pv.n == 0) {
        if (!floats) {
            math_rat x, y;
            if (eval_exact(c, g, gm, &x) && eval_exact(c, p, pm, &y))
                return grpo_math_rat_equal(c->a, &x, &y) == 1;
        }
        num_env env = {-1, NULL, &c->terms_left};
        return close_c(eval_num(g, gm, &env), eval_num(p, pm, &env), tol);
    }
    if (!floats) {
        /* rational functions of the variables compare exactly at rational points, so that
         * x + 10^{-20} x != x; when those numbers grow too large (high degrees), polynomials
         * and rational functions are retried at integer points; anything else (roots, trig, pi)
         * falls through to floating point */
        int tries = rational_function(g) && rational_function(p) ? 2 : 1;
        for (int integer = 0; integer < tries; integer++) {
            int exact = 1, equal = 1;
            c->integer_points = integer;
            for (int k = 0; k < POINTS && exact && equal; k++) {
                math_rat x, y;
                c->point = k;
                exact = eval_exact(c, g, gm, &x) && eval_exact(c, p, pm, &y);
                if (exact) equal = grpo_math_rat_equal(c->a, &x, &y) == 1;
            }
            c->point = -1;
            c->integer_points = 0;
            if (exact) return equal;
        }
    }
    /* Without the constant i, a point where both sides leave the reals (sqrt(1/n) against
     * 1/sqrt(n) at n < 0) is outside their real domain and says nothing; points where a side is
     * real must agree, so sqrt(x^2) != x still. */
    int real_domain = !has_imaginary_unit(g) && !has_imaginary_unit(p);
    int valid = 0;
    for (int k = 0; k < POINTS; k++) {
        num_env env = {k, NULL, &c->terms_left};
        numc x = eval_num(g, gm, &env), y = eval_num(p, pm, &env);
        if (!finite_c(x) && !finite_c(y)) continue;
        if (real_domain && fabsl(cimagl(x)) > 1e-12 * cabsl(x) && fabsl(cimagl(y)) > 1e-12 * cabsl(y))
            continue;
        if (!close_c(x, y, tol)) return 0;
        valid++;
    }
    return valid >= 3;
}

/* ------------------------------------------------------------------------------ relations */

static int is_ineq(int op) { return op == MR_LT || op == MR_LE || op == MR_GT || op == MR_GE; }
static int flip_op(int op) {
    switch (op) {
    case MR_LT: return MR_GT;
    case MR_LE: return MR_GE;
    case MR_GT: return MR_LT;
    case MR_GE: return MR_LE;
    default: return op;
    }
}

static int var_free(const math_node *x) {
    var_set vs = {0};
    collect_vars(x, &vs);
    return vs.n == 0 && !vs.overflow;
}

static int all_eq(const math_node *r) {
    for (int i = 0; i + 1 < r->n; i++)
        if (r->ops[i] != MR_EQ) return 0;
    return 1;
}

/* lhs op rhs, op one of LT LE EQ NE after orienting > as <. */
typedef struct {
    const math_node *l, *r;
    int op;
} link_t;

/* Two relations say the same when (r1 - l1) = k (r2 - l2) for a constant k (k > 0 for
 * inequalities, k != 0 for = and !=), checked at the sample points. */
static int links_equal(cmp_ctx *c, link_t a, uint32_t am, link_t b, uint32_t bm) {
    if (a.op != b.op) return 0;
    var_set va = {0}, vb = {0};
    collect_vars(a.l, &va);
    collect_vars(a.r, &va);
    collect_vars(b.l, &vb);
    collect_vars(b.r, &vb);
    if (!same_vars(&va, &vb)) return 0;
    if (va.n == 0)
        return scalar_equal(c, a.l, am, b.l, bm) && scalar_equal(c, a.r, am, b.r, bm);
    int floats = has_float(a.l) || has_float(a.r) || has_float(b.l) || has_float(b.r);
    double tol = floats ? (c->opt->float_rel_tol > 0 ? c->opt->float_rel_tol : 1e-6) : 1e-8;
    numc ratio = 0;
    int have = 0;
    for (int k = 0; k < POINTS; k++) {
        num_env env = {k, NULL, &c->terms_left};
        numc da = eval_num(a.r, am, &env) - eval_num(a.l, am, &env);
        numc db = eval_num(b.r, bm, &env) - eval_num(b.l, bm, &env);
        if (!finite_c(da) || !finite_c(db)) continue;
        long double sa = cabsl(da), sb = cabsl(db);
        if (sa == 0 && sb == 0) continue;
        if (sa == 0 || sb == 0) return 0;
        numc q = da / db;
        if (!have) {
            ratio = q;
            have = 1;
        } else if (!close_c(q, ratio, tol)) {
            return 0;
        }
    }
    if (!have || fabsl(cimagl(ratio)) > 1e-9 * cabsl(ratio)) return 0;
    if ((a.op == MR_LT || a.op == MR_LE) && creall(ratio) <= 0) return 0;
    return 1;
}

static int relations_equal(cmp_ctx *c, const math_node *g, uint32_t gm, const math_node *p,
                           uint32_t pm) {
    int gn = g->n, pn = p->n;
    /* a chain of equalities says first = last */
    int g_eq = all_eq(g), p_eq = all_eq(p);
    if (g_eq && p_eq) {
        link_t a = {g->kids[0], g->kids[gn - 1], MR_EQ}, b = {p->kids[0], p->kids[pn - 1], MR_EQ};
        return links_equal(c, a, gm, b, pm);
    }
    if (gn != pn) return 0;
    int g_rev = g->ops[0] == MR_GT || g->ops[0] == MR_GE;
    int p_rev = p->ops[0] == MR_GT || p->ops[0] == MR_GE;
    for (int i = 0; i + 1 < gn; i++) {
        link_t a, b;
        int gi = g_rev ? gn - 2 - i : i, pi = p_rev ? pn - 2 - i : i;
        a.op = g_rev ? flip_op(g->ops[gi]) : g->ops[gi];
        a.l = g_rev ? g->kids[gi + 1] : g->kids[gi];
        a.r = g_rev ? g->kids[gi] : g->kids[gi + 1];
        b.op = p_rev ? flip_op(p->ops[pi]) : p->ops[pi];
        b.l = p_rev ? p->kids[pi + 1] : p->kids[pi];
        b.r = p_rev ? p->kids[pi] : p->kids[pi + 1];
        if (a.op == MR_GT || a.op == MR_GE || b.op == MR_GT || b.op == MR_GE) return 0;
        if (!links_equal(c, a, gm, b, pm)) return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------------ intervals */

typedef struct {
    const math_node *lo, *hi;
    int lo_closed, hi_closed;
    uint32_t mask;
} ival;

typedef struct {
    ival v[MATH_MAX_ITEMS];
    int n;
} ival_set;

static const math_node *infinity_node(cmp_ctx *c, int sign) {
    math_node *inf = mk(c, MN_CONST, 0);
    if (!inf) return NULL;
    inf->name = "inf";
    inf->name_len = 3;
    if (sign > 0) return inf;
    math_node *neg = mk(c, MN_NEG, 1);
    if (!neg) return NULL;
    neg->kids[0] = inf;
    return neg;
}

static int add_ival(ival_set *s, const math_node *lo, int lc, const math_node *hi, int hc,
                    uint32_t mask) {
    if (s->n >= MATH_MAX_ITEMS || !lo || !hi) return 0;
    s->v[s->n++] = (ival){lo, hi, lc, hc, mask};
    return 1;
}

static math_node *negated(cmp_ctx *c, const math_node *x) {
    math_node *n = mk(c, MN_NEG, 1);
    if (n) n->kids[0] = (math_node *)x;
    return n;
}

/* x != c is R minus a point; |x| < c, |x| > c and friends are one or two intervals. */
static int special_rel_to_ival(cmp_ctx *c, const math_node *r, uint32_t mask, ival_set *s) {
    if (r->n != 2) return 0;
    int op = r->ops[0];
    const math_node *l = r->kids[0], *b = r->kids[1];
    if (!(l->kind == MN_VAR || (l->kind == MN_ABS && l->kids[0]->kind == MN_VAR)) || !var_free(b)) {
        const math_node *t = l;
        l = b;
        b = t;
        op = flip_op(op);
        if (!(l->kind == MN_VAR || (l->kind == MN_ABS && l->kids[0]->kind == MN_VAR)) || !var_free(b))
            return 0;
    }
    const math_node *ninf = infinity_node(c, -1), *pinf = infinity_node(c, 1), *nb = negated(c, b);
    if (l->kind == MN_VAR) {
        if (op != MR_NE) return 0;
        return add_ival(s, ninf, 0, b, 0, mask) && add_ival(s, b, 0, pinf, 0, mask);
    }
    int closed = op == MR_LE || op == MR_GE;
    if (op == MR_LT || op == MR_LE) return add_ival(s, nb, closed, b, closed, mask);
    if (op == MR_GT || op == MR_GE)
        return add_ival(s, ninf, 0, nb, closed, mask) && add_ival(s, b, closed, pinf, 0, mask);
    return 0;
}

/* An inequality in one variable (x < c, c <= x, a < x <= b) as an interval. */
static int rel_to_ival(cmp_ctx *c, const math_node *r, uint32_t mask, ival_set *s) {
    if (r->kind != MN_REL || r->n < 2 || r->n > 3) return 0;
    if (special_rel_to_ival(c, r, mask, s)) return 1;
    for (int i = 0; i + 1 < r->n; i++)
        if (!is_ineq(r->ops[i])) return 0;
    if (r->n == 2) {
        int op = r->ops[0];
        const math_node *bound;
        if (r->kids[0]->kind == MN_VAR && var_free(r->kids[1])) {
            bound = r->kids[1];
        } else if (r->kids[1]->kind == MN_VAR && var_free(r->kids[0])) {
            bound = r->kids[0];
            op = flip_op(op);
        } else {
            return 0;
        }
        int closed = op == MR_LE || op == MR_GE;
        if (op == MR_LT || op == MR_LE) return add_ival(s, infinity_node(c, -1), 0, bound, closed, mask);
        return add_ival(s, bound, closed, infinity_node(c, 1), 0, mask);
    }
    if (r->kids[1]->kind != MN_VAR || !var_free(r->kids[0]) || !var_free(r->kids[2])) return 0;
    int up = r->ops[0] == MR_LT || r->ops[0] == MR_LE;
    int up2 = r->ops[1] == MR_LT || r->ops[1] == MR_LE;
    if (up != up2) return 0;
    if (up) return add_ival(s, r->kids[0], r->ops[0] == MR_LE, r->kids[2], r->ops[1] == MR_LE, mask);
    return add_ival(s, r->kids[2], r->ops[1] == MR_GE, r->kids[0], r->ops[0] == MR_GE, mask);
}

/* 2: clearly a set of reals (interval with a bracket, union, inequality, R); 1: a parenthesised
 * pair that may be an open interval; 0: not convertible. */
static int to_ivals(cmp_ctx *c, const math_node *x, uint32_t mask, ival_set *s) {
    switch (x->kind) {
    case MN_TUPLE:
        if (x->n != 2 || x->lbr == ':') return 0;
        if (!add_ival(s, x->kids[0], x->lbr == '[', x->kids[1], x->rbr == ']', mask)) return 0;
        return x->lbr == '(' && x->rbr == ')' ? 1 : 2;
    case MN_REALS:
        return add_ival(s, infinity_node(c, -1), 0, infinity_node(c, 1), 0, mask) ? 2 : 0;
    case MN_EMPTY:
        return 2;
    case MN_REL:
        return rel_to_ival(c, x, mask, s) ? 2 : 0;
    case MN_SETOP: { /* R \ {a, b}: remove points from intervals */
        if (!x->ops || !x->ops[0] || x->n != 2 || x->kids[1]->kind != MN_SET) return 0;
        if (!to_ivals(c, x->kids[0], mask, s)) return 0;
        const math_node *pts = x->kids[1];
        num_env env = {-1, NULL, &c->terms_left};
        for (int k = 0; k < pts->n; k++) {
            numc pv = eval_num(pts->kids[k], mask, &env);
            if (!finite_c(pv) || cimagl(pv) != 0) return 0;
            for (int i = 0; i < s->n; i++) {
                long double lo = creall(eval_num(s->v[i].lo, s->v[i].mask, &env));
                long double hi = creall(eval_num(s->v[i].hi, s->v[i].mask, &env));
                if (!(lo < creall(pv) && creall(pv) < hi)) continue;
                ival right = s->v[i];
                s->v[i].hi = pts->kids[k];
                s->v[i].hi_closed = 0;
                right.lo = pts->kids[k];
                right.lo_closed = 0;
                if (!add_ival(s, right.lo, 0, right.hi, right.hi_closed, right.mask)) return 0;
                break;
            }
        }
        return 2;
    }
    case MN_UNION:
    case MN_LIST: {
        if (x->kind == MN_LIST)
            for (int i = 0; i < x->n; i++)
                if (x->kids[i]->kind != MN_REL) return 0;
        for (int i = 0; i < x->n; i++)
            if (!to_ivals(c, x->kids[i], x->masks ? x->masks[i] : mask, s)) return 0;
        return 2;
    }
    default: return 0;
    }
}

static int endpoint_equal(cmp_ctx *c, const math_node *a, uint32_t am, int ac, const math_node *b,
                          uint32_t bm, int bc) {
    int sa = 0, sb = 0;
    int ia = is_infinity(a, &sa), ib = is_infinity(b, &sb);
    if (ia || ib) return ia && ib && sa == sb && ac == bc;
    return ac == bc && scalar_equal(c, a, am, b, bm);
}

static int ivals_equal(cmp_ctx *c, const ival_set *g, const ival_set *p) {
    if (g->n != p->n) return 0;
    uint8_t used[MATH_MAX_ITEMS] = {0};
    for (int i = 0; i < g->n; i++) {
        int found = 0;
        for (int j = 0; j < p->n && !found; j++) {
            if (used[j]) continue;
            if (endpoint_equal(c, g->v[i].lo, g->v[i].mask, g->v[i].lo_closed, p->v[j].lo,
                               p->v[j].mask, p->v[j].lo_closed) &&
                endpoint_equal(c, g->v[i].hi, g->v[i].mask, g->v[i].hi_closed, p->v[j].hi,
                               p->v[j].mask, p->v[j].hi_closed)) {
                used[j] = 1;
                found = 1;
            }
        }
        if (!found) return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------------------- comparison */

static int cmp(cmp_ctx *c, const math_node *g, uint32_t gm, const math_node *p, uint32_t pm);

static int is_collection(int kind) {
    return kind == MN_LIST || kind == MN_SET || kind == MN_TUPLE || kind == MN_MATRIX ||
           kind == MN_EMPTY;
}

static uint32_t kid_mask(const math_node *x, int i, uint32_t mask) {
    return x->masks ? x->masks[i] : mask;
}

static const math_node *expand_pm(cmp_ctx *c, const math_node *root, uint32_t mask);

static int unordered_equal(cmp_ctx *c, const math_node *g, uint32_t gm, const math_node *p,
                           uint32_t pm) {
    if (g->kind == MN_SET) g = expand_pm(c, g, gm); /* \{1 \pm \sqrt5, -2\} has three elements */
    if (p->kind == MN_SET) p = expand_pm(c, p, pm);
    if (g->n > 64 || p->n > 64) return 0;
    uint8_t pmatched[64] = {0};
    for (int i = 0; i < g->n; i++) {
        int found = 0;
        for (int j = 0; j < p->n; j++) {
            if (pmatched[j] && found) continue;
            if (cmp(c, g->kids[i], kid_mask(g, i, gm), p->kids[j], kid_mask(p, j, pm))) {
                pmatched[j] = 1;
                found = 1;
                break;
            }
        }
        if (!found) return 0;
    }
    for (int j = 0; j < p->n; j++) {
        if (pmatched[j]) continue;
        int found = 0;
        for (int i = 0; i < g->n && !found; i++)
            found = cmp(c, g->kids[i], kid_mask(g, i, gm), p->kids[j], kid_mask(p, j, pm));
        if (!found) return 0;
    }
    return 1;
}

static int ordered_equal(cmp_ctx *c, const math_node *g, uint32_t gm, const math_node *p,
                         uint32_t pm) {
    if (g->n != p->n) return 0;
    for (int i = 0; i < g->n; i++)
        if (!cmp(c, g->kids[i], kid_mask(g, i, gm), p->kids[i], kid_mask(p, i, pm))) return 0;
    return 1;
}

static int is_vector(const math_node *m) {
    return m->kind == MN_MATRIX && (m->rows == 1 || m->cols == 1);
}

/* Ratios a:b:c and d:e:f are equal when a*e = b*d, a*f = c*d, ... */
static int ratios_equal(cmp_ctx *c, const math_node *g, uint32_t gm, const math_node *p,
                        uint32_t pm) {
    if (g->n != p->n) return 0;
    for (int i = 1; i < g->n; i++) {
        math_node *l = mk(c, MN_MUL, 2), *r = mk(c, MN_MUL, 2);
        if (!l || !r) return 0;
        l->kids[0] = g->kids[i];
        l->kids[1] = p->kids[0];
        r->kids[0] = p->kids[i];
        r->kids[1] = g->kids[0];
        if (gm != pm || !scalar_equal(c, l, gm, r, pm)) return 0;
    }
    return 1;
}

static int collections_equal(cmp_ctx *c, const math_node *g, uint32_t gm, const math_node *p,
                             uint32_t pm) {
    int gk = g->kind, pk = p->kind;
    if (gk == MN_TUPLE && pk == MN_TUPLE && g->lbr == ':' && p->lbr == ':')
        return ratios_equal(c, g, gm, p, pm);
    if (gk == MN_EMPTY || pk == MN_EMPTY) return gk == pk || (g->n == 0 && p->n == 0);
    if (gk == MN_MATRIX && pk == MN_MATRIX)
        return g->rows == p->rows && g->cols == p->cols && ordered_equal(c, g, gm, p, pm);
    if (gk == MN_MATRIX || pk == MN_MATRIX) {
        const math_node *m = gk == MN_MATRIX ? g : p, *o = gk == MN_MATRIX ? p : g;
        if (!is_vector(m) || (o->kind != MN_TUPLE && o->kind != MN_LIST)) return 0;
        return ordered_equal(c, g, gm, p, pm);
    }
    int g_unordered = gk == MN_LIST || gk == MN_SET, p_unordered = pk == MN_LIST || pk == MN_SET;
    if (g_unordered && p_unordered) return unordered_equal(c, g, gm, p, pm);
    if (gk == MN_SET || pk == MN_SET) return unordered_equal(c, g, gm, p, pm);
    if (gk == MN_TUPLE && pk == MN_TUPLE && (g->lbr != p->lbr || g->rbr != p->rbr)) return 0;
    return ordered_equal(c, g, gm, p, pm);
}

/* gold "x = 5" (an assignment) reads as 5 against a bare value */
static int is_assignment(const math_node *r) {
    if (r->kind != MN_REL || !all_eq(r)) return 0;
    const math_node *l = r->kids[0];
    if (l->kind == MN_VAR) return 1;
    if (l->kind != MN_MUL || l->n != 2) return 0; /* f(x) = ..., f^{-1}(x) = ... */
    const math_node *f = l->kids[0];
    return f->kind == MN_VAR || (f->kind == MN_POW && f->kids[0]->kind == MN_VAR);
}

/* \{1,2,3\} \setminus \{3\}, \{1\} \cup \{2\}, A \cap B over finite sets become the
 * finite set they denote; anything else is left as written. */
static const math_node *finite_set_algebra(cmp_ctx *c, const math_node *x, uint32_t mask) {
    if (x->kind != MN_UNION && x->kind != MN_SETOP) return x;
    for (int i = 0; i < x->n; i++)
        if (x->kids[i]->kind != MN_SET && x->kids[i]->kind != MN_EMPTY) return x;
    int total = 0;
    for (int i = 0; i < x->n; i++) total += x->kids[i]->n;
    if (total > 64) return x;
    math_node *out = mk(c, MN_SET, total);
    if (!out) return x;
    int w = 0;
    const math_node *first = x->kids[0];
    if (x->kind == MN_UNION) {
        for (int i = 0; i < x->n; i++)
            for (int j = 0; j < x->kids[i]->n; j++) out->kids[w++] = x->kids[i]->kids[j];
    } else {
        int setminus = x->ops && x->ops[0];
        for (int j = 0; j < first->n; j++) {
            int keep = 1;
            for (int i = 1; i < x->n && keep; i++) {
                int found = 0;
                for (int k = 0; k < x->kids[i]->n && !found; k++)
                    found = cmp(c, first->kids[j], mask, x->kids[i]->kids[k], mask);
                keep = setminus ? !found : found;
            }
            if (keep) out->kids[w++] = first->kids[j];
        }
    }
    out->n = w;
    if (w == 0) out->kind = MN_EMPTY;
    return out;
}

/* Cheap test before building interval lists (which cost a few kB of arena). */
static int maybe_ivals(const math_node *x) {
    switch (x->kind) {
    case MN_TUPLE: return x->n == 2 && x->lbr != ':';
    case MN_REALS: case MN_EMPTY: case MN_REL: case MN_UNION: case MN_SETOP: return 1;
    case MN_LIST: return x->n > 0 && x->kids[0]->kind == MN_REL;
    default: return 0;
    }
}

static int cmp(cmp_ctx *c, const math_node *g, uint32_t gm, const math_node *p, uint32_t pm) {
    if (!g || !p) return 0;
    g = finite_set_algebra(c, g, gm);
    p = finite_set_algebra(c, p, pm);
    while (g->kind == MN_LIST && g->n == 1) {
        gm = kid_mask(g, 0, gm);
        g = g->kids[0];
    }
    while (p->kind == MN_LIST && p->n == 1) {
        pm = kid_mask(p, 0, pm);
        p = p->kids[0];
    }
    /* sets of reals: intervals, unions, inequalities in one variable */
    if (maybe_ivals(g) && maybe_ivals(p)) {
        ival_set *gs = grpo_math_alloc(c->a, sizeof(ival_set)), *ps = grpo_math_alloc(c->a, sizeof(ival_set));
        if (!gs || !ps) return 0;
        gs->n = ps->n = 0;
        int gk = to_ivals(c, g, gm, gs), pk = to_ivals(c, p, pm, ps);
        if (gk && pk && (gk == 2 || pk == 2)) {
            if (g->kind == MN_REL && p->kind == MN_REL && relations_equal(c, g, gm, p, pm)) return 1;
            return ivals_equal(c, gs, ps);
        }
    }
    if (g->kind == MN_REL && p->kind == MN_REL) return relations_equal(c, g, gm, p, pm);
    if (g->kind == MN_REL) {
        if (!is_assignment(g)) return 0;
        return cmp(c, g->kids[g->n - 1], gm, p, pm);
    }
    if (p->kind == MN_REL) {
        if (!all_eq(p)) return 0;
        return cmp(c, g, gm, p->kids[p->n - 1], pm);
    }
    int gc = is_collection(g->kind), pc = is_collection(p->kind);
    if (gc && pc) return collections_equal(c, g, gm, p, pm);
    if (gc || pc) {
        const math_node *col = gc ? g : p;
        if (col->n != 1 || col->kind == MN_MATRIX) return 0;
        if (gc) return cmp(c, g->kids[0], kid_mask(g, 0, gm), p, pm);
        return cmp(c, g, gm, p->kids[0], kid_mask(p, 0, pm));
    }
    if (g->kind == MN_UNION || p->kind == MN_UNION || g->kind == MN_SETOP || p->kind == MN_SETOP ||
        g->kind == MN_REALS || p->kind == MN_REALS || g->kind == MN_DOTS || p->kind == MN_DOTS)
        return gm == pm && struct_equal(g, p);
    return scalar_equal(c, g, gm, p, pm);
}

/* -------------------------------------------------------------------- +- expansion, top level */

static void pm_indices(const math_node *x, uint32_t *bits) {
    if (!x) return;
    if (x->kind == MN_PM && x->index < 32) *bits |= 1u << x->index;
    for (int i = 0; i < x->n; i++) pm_indices(x->kids[i], bits);
}

/* Each item (of a list or set, or the node itself) with k <= 4 signs +- becomes 2^k items, one
 * per choice of signs; `mask` holds the choices already made above. */
static const math_node *expand_pm(cmp_ctx *c, const math_node *root, uint32_t mask) {
    int many = root->kind == MN_LIST || root->kind == MN_SET;
    if (root->masks) return root;
    uint32_t all = 0;
    pm_indices(root, &all);
    if ((all & ~mask) == 0) return root;
    int items = many ? root->n : 1;
    int total = 0;
    for (int i = 0; i < items; i++) {
        uint32_t bits = 0;
        pm_indices(many ? root->kids[i] : root, &bits);
        int k = __builtin_popcount(bits);
        total += k <= 4 ? 1 << k : 1;
    }
    if (total > MATH_MAX_ITEMS) return root;
    math_node *list = mk(c, root->kind == MN_SET ? MN_SET : MN_LIST, total);
    if (!list) return root;
    list->masks = grpo_math_alloc(c->a, sizeof(uint32_t) * (size_t)total);
    if (!list->masks) return root;
    int w = 0;
    for (int i = 0; i < items; i++) {
        const math_node *item = many ? root->kids[i] : root;
        uint32_t bits = 0;
        pm_indices(item, &bits);
        if (__builtin_popcount(bits) > 4) bits = 0;
        /* enumerate the subsets of `bits`, starting from the empty one */
        uint32_t sub = 0;
        do {
            list->kids[w] = (math_node *)item;
            list->masks[w++] = (mask & ~bits) | sub;
            sub = (sub - bits) & bits;
        } while (sub != 0);
    }
    return list;
}

static math_node *percent_of(cmp_ctx *c, const math_node *x) {
    math_node *p = mk(c, MN_PERCENT, 1);
    if (p) p->kids[0] = (math_node *)x;
    return p;
}

int grpo_math_answers_equal(math_arena *a, const math_answer *gold, const math_answer *pred,
                       const grpo_math_options *opt) {
    if (gold->kind == MA_NONE || pred->kind == MA_NONE) return 0;
    if (gold->kind == MA_CHOICE || pred->kind == MA_CHOICE)
        return gold->kind == pred->kind && gold->choice == pred->choice;
    if (gold->kind == MA_TEXT || pred->kind == MA_TEXT)
        return gold->text && pred->text && gold->text_len == pred->text_len &&
               memcmp(gold->text, pred->text, gold->text_len) == 0;
    cmp_ctx c = {a, opt, NULL, 100000, -1, 0};
    const math_node *g = gold->pm_count ? expand_pm(&c, gold->root, 0) : gold->root;
    const math_node *p = pred->pm_count ? expand_pm(&c, pred->root, 0) : pred->root;
    if (cmp(&c, g, 0, p, 0)) return 1;
    /* "12%" may mean 12 or 0.12: either reading of a percent side may match */
    if (gold->percent || pred->percent) {
        const math_node *g2 = gold->percent ? percent_of(&c, g) : g;
        const math_node *p2 = pred->percent ? percent_of(&c, p) : p;
        if (!g2 || !p2) return 0;
        if (gold->percent && cmp(&c, g2, 0, p, 0)) return 1;
        if (pred->percent && cmp(&c, g, 0, p2, 0)) return 1;
    }
    return 0;
}
