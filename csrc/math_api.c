/*
 * math_api.c - public entry points of the math-answer reward: parse (for inspection), equal, and
 * the batch accuracy reward over grpo_parallel_for.
 *
 * Each sample gets its own arena, freed before the next, so memory is bounded per sample and
 * nothing is shared between threads; the verdict of a sample never depends on the thread count.
 */
#include "math_internal.h"

#include <math.h>
#include <string.h>

grpo_math_options grpo_math_default_options(void) {
    grpo_math_options o = {GRPO_MATH_EXTRACT_DEFAULT, 0, 0, 1e-6};
    return o;
}

/* ------------------------------------------------------------------------------ rendering */

typedef struct {
    math_arena *a;
    char *buf;
    size_t cap, w;
} writer;

static void put(writer *wr, const char *s, size_t n) {
    for (size_t i = 0; i < n && wr->w + 1 < wr->cap; i++) wr->buf[wr->w++] = s[i];
}
static void puts_(writer *wr, const char *s) { put(wr, s, strlen(s)); }

static void render(writer *wr, const math_node *x);

static void render_kids(writer *wr, const math_node *x, const char *sep) {
    for (int i = 0; i < x->n; i++) {
        if (i) puts_(wr, sep);
        render(wr, x->kids[i]);
    }
}

static const char *rel_name(int op) {
    static const char *names[] = {"=", "!=", "<", "<=", ">", ">="};
    return op >= 0 && op <= MR_GE ? names[op] : "?";
}

static void render(writer *wr, const math_node *x) {
    if (wr->w + 1 >= wr->cap) return;
    if (!x) {
        puts_(wr, "1");
        return;
    }
    switch (x->kind) {
    case MN_NUM: {
        char tmp[96];
        grpo_math_rat_format(wr->a, tmp, sizeof tmp, &x->rat);
        if (x->rat.den.n != 1 || x->rat.den.d[0] != 1) {
            puts_(wr, "(");
            puts_(wr, tmp);
            puts_(wr, ")");
        } else {
            puts_(wr, tmp);
        }
        break;
    }
    case MN_VAR: case MN_CONST: put(wr, x->name, x->name_len); break;
    case MN_ADD: puts_(wr, "("); render_kids(wr, x, " + "); puts_(wr, ")"); break;
    case MN_MUL:
        puts_(wr, "(");
        for (int i = 0; i < x->n; i++) {
            const math_node *k = x->kids[i];
            if (k->kind == MN_DIV && !k->kids[0]) { /* a reciprocal factor: a/b */
                puts_(wr, "/");
                render(wr, k->kids[1]);
                continue;
            }
            if (i) puts_(wr, "*");
            render(wr, k);
        }
        puts_(wr, ")");
        break;
    case MN_NEG: puts_(wr, "-"); render(wr, x->kids[0]); break;
    case MN_DIV:
        puts_(wr, "(");
        render(wr, x->kids[0]);
        puts_(wr, ")/(");
        render(wr, x->kids[1]);
        puts_(wr, ")");
        break;
    case MN_POW: render(wr, x->kids[0]); puts_(wr, "^("); render(wr, x->kids[1]); puts_(wr, ")"); break;
    case MN_FUNC:
        if (x->n == 2 && x->kids[1] && x->name_len == 5 && memcmp(x->name, "binom", 5) == 0) {
            puts_(wr, "binom(");
            render_kids(wr, x, ", ");
            puts_(wr, ")");
            break;
        }
        put(wr, x->name, x->name_len);
        if (x->n == 2 && x->kids[1]) {
            puts_(wr, "_(");
            render(wr, x->kids[1]);
            puts_(wr, ")");
        }
        puts_(wr, "(");
        render(wr, x->kids[0]);
        puts_(wr, ")");
        break;
    case MN_ROOT:
        puts_(wr, "root(");
        render(wr, x->kids[0]);
        puts_(wr, ", ");
        render(wr, x->kids[1]);
        puts_(wr, ")");
        break;
    case MN_FACT: render(wr, x->kids[0]); puts_(wr, "!"); break;
    case MN_ABS: puts_(wr, "|"); render(wr, x->kids[0]); puts_(wr, "|"); break;
    case MN_PM: puts_(wr, "+-"); render(wr, x->kids[0]); break;
    case MN_PERCENT: render(wr, x->kids[0]); puts_(wr, "%"); break;
    case MN_REL:
        for (int i = 0; i < x->n; i++) {
            if (i) {
                puts_(wr, " ");
                puts_(wr, rel_name(x->ops[i - 1]));
                puts_(wr, " ");
            }
            render(wr, x->kids[i]);
        }
        break;
    case MN_LIST: render_kids(wr, x, ", "); break;
    case MN_SET: puts_(wr, "{"); render_kids(wr, x, ", "); puts_(wr, "}"); break;
    case MN_TUPLE:
        if (x->lbr == ':') {
            render_kids(wr, x, ":");
            break;
        }
        put(wr, (const char *)&x->lbr, 1);
        render_kids(wr, x, ", ");
        put(wr, (const char *)&x->rbr, 1);
        break;
    case MN_UNION: render_kids(wr, x, " U "); break;
    case MN_SETOP: render_kids(wr, x, x->ops && x->ops[0] ? " \\ " : " cap "); break;
    case MN_MATRIX:
        puts_(wr, "[");
        for (int r = 0; r < x->rows; r++) {
            if (r) puts_(wr, ", ");
            puts_(wr, "[");
            for (int k = 0; k < x->cols; k++) {
                if (k) puts_(wr, ", ");
                render(wr, x->kids[r * x->cols + k]);
            }
            puts_(wr, "]");
        }
        puts_(wr, "]");
        break;
    case MN_REALS: puts_(wr, "R"); break;
    case MN_EMPTY: puts_(wr, "{}"); break;
    case MN_DOTS: puts_(wr, "..."); break;
    case MN_BIGOP:
        puts_(wr, x->ops[0] ? "prod(" : "sum(");
        render(wr, x->kids[0]);
        puts_(wr, " = ");
        render(wr, x->kids[1]);
        puts_(wr, "..");
        render(wr, x->kids[2]);
        puts_(wr, ", ");
        render(wr, x->kids[3]);
        puts_(wr, ")");
        break;
    default: puts_(wr, "?"); break;
    }
}

size_t grpo_math_render(math_arena *a, char *buf, size_t cap, const math_node *node) {
    if (cap == 0) return 0;
    writer wr = {a, buf, cap, 0};
    render(&wr, node);
    buf[wr.w] = 0;
    return wr.w;
}

/* ------------------------------------------------------------------------- entry points */

static grpo_math_options resolve(const grpo_math_options *opt) {
    return opt ? *opt : grpo_math_default_options();
}

static int is_math_word(const char *w, size_t n) {
    static const char *const words[] = {"sin", "cos", "tan", "sec", "csc", "cot", "log", "ln",
        "exp", "sqrt", "pi", "inf", "infty", "infinity", "or", "and", "cm", "mm", "km", "kg", NULL};
    for (int i = 0; words[i]; i++)
        if (strlen(words[i]) == n && memcmp(words[i], w, n) == 0) return 1;
    return 0;
}

static int is_prose_word(const char *w) {
    static const char pairs[][3] = {"is", "by", "on", "of", "to", "in", "it", "so", "as", "be",
                                    "we", "if", "at", "an", "no", "or"};
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++)
        if (w[0] == pairs[i][0] && w[1] == pairs[i][1]) return 1;
    return 0;
}

/* A gold written as prose (a proof, an explanation) cannot be judged. A short text answer is
 * fine when it is boxed or wrapped in \text{}; bare words in a whole gold ("See above.",
 * "Proof by induction on n.") are prose. */
static int gold_is_prose(const math_answer *ans, const math_extracted *ex) {
    if (ans->kind == MA_MATH && ans->words > 4) return 1;
    if (ans->kind == MA_TEXT) {
        int spaces = 0;
        for (size_t i = 0; i < ans->text_len; i++) spaces += ans->text[i] == ' ';
        if (spaces >= 6) return 1;
    }
    if (ans->kind == MA_CHOICE || (ex->source != SRC_WHOLE && ex->source != SRC_HASHES)) return 0;
    int words = 0;
    size_t run = 0;
    for (size_t i = 0; i <= ex->len; i++) {
        char c = i < ex->len ? ex->s[i] : ' ';
        if (c == '\\') return 0;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            run++;
            continue;
        }
        const char *w = ex->s + i - run;
        if ((run >= 3 && !is_math_word(w, run)) || (run == 2 && is_prose_word(w))) words++;
        run = 0;
    }
    return words >= 2;
}

static void read_answer(math_arena *a, math_answer *ans, math_extracted *ex, const char *s,
                        size_t len, int is_gold, const grpo_math_options *opt) {
    grpo_math_find_answer(a, ex, s, len, is_gold, opt);
    memset(ans, 0, sizeof *ans);
    if (ex->reason || !ex->s) {
        ans->reason = ex->reason ? ex->reason : GRPO_MATH_NO_ANSWER;
        return;
    }
    grpo_math_parse_answer(a, ans, ex->s, ex->len, opt->strict_latex);
    if (is_gold && ans->kind != MA_NONE && gold_is_prose(ans, ex)) {
        ans->kind = MA_NONE;
        ans->reason = GRPO_MATH_SYNTAX;
    }
}

grpo_status grpo_math_parse(grpo_math_parsed *out, char *extracted, size_t extracted_cap,
                            char *normalized, size_t normalized_cap,
                            const char *s, size_t len, int is_gold,
                            const grpo_math_options *opt) {
    if (!out || (!s && len)) return GRPO_ERR_INVALID;
    grpo_math_options o = resolve(opt);
    math_arena a;
    grpo_math_arena_init(&a);
    math_extracted ex;
    math_answer ans;
    read_answer(&a, &ans, &ex, s ? s : "", len, is_gold, &o);
    memset(out, 0, sizeof *out);
    out->kind = ans.kind;
    out->reason = ans.kind == MA_NONE ? (ans.reason ? ans.reason : GRPO_MATH_SYNTAX) : 0;
    out->source = ex.source;
    out->answer_begin = ex.begin;
    out->answer_end = ex.end > ex.begin ? ex.end : ex.begin;
    out->extracted_len = ex.s ? ex.len : 0;
    if (extracted && extracted_cap) {
        size_t n = out->extracted_len < extracted_cap - 1 ? out->extracted_len : extracted_cap - 1;
        if (n) memcpy(extracted, ex.s, n);
        extracted[n] = 0;
    }
    if (normalized && normalized_cap) {
        normalized[0] = 0;
        if (ans.kind == MA_MATH) {
            size_t w = grpo_math_render(&a, normalized, normalized_cap, ans.root);
            if (ans.percent && w + 1 < normalized_cap) {
                normalized[w++] = '%';
                normalized[w] = 0;
            }
        } else if (ans.kind == MA_CHOICE && normalized_cap > 1) {
            normalized[0] = ans.choice;
            normalized[1] = 0;
        } else if (ans.kind == MA_TEXT) {
            size_t n = ans.text_len < normalized_cap - 1 ? ans.text_len : normalized_cap - 1;
            memcpy(normalized, ans.text, n);
            normalized[n] = 0;
        }
    }
    grpo_status st = a.failed && ans.kind == MA_NONE && ans.reason == 0 ? GRPO_ERR_NOMEM : GRPO_OK;
    grpo_math_arena_free(&a);
    return st;
}

static int judge(const char *gold, size_t gold_len, const char *pred, size_t pred_len,
                 int pred_is_completion, const grpo_math_options *opt) {
    math_arena a;
    grpo_math_arena_init(&a);
    math_extracted gx, px;
    math_answer g, p;
    int verdict;
    read_answer(&a, &g, &gx, gold ? gold : "", gold_len, 1, opt);
    if (g.kind == MA_NONE) {
        verdict = -1;
    } else {
        read_answer(&a, &p, &px, pred ? pred : "", pred_len, !pred_is_completion, opt);
        verdict = p.kind == MA_NONE ? 0 : grpo_math_answers_equal(&a, &g, &p, opt);
    }
    grpo_math_arena_free(&a);
    return verdict;
}

grpo_status grpo_math_equal(int *verdict, const char *gold, size_t gold_len, const char *pred,
                            size_t pred_len, int pred_is_completion,
                            const grpo_math_options *opt) {
    if (!verdict || (!gold && gold_len) || (!pred && pred_len)) return GRPO_ERR_INVALID;
    grpo_math_options o = resolve(opt);
    *verdict = judge(gold, gold_len, pred, pred_len, pred_is_completion, &o);
    return GRPO_OK;
}

typedef struct {
    float *out;
    const char *const *completions;
    const size_t *completion_lens;
    const char *const *golds;
    const size_t *gold_lens;
    grpo_math_options opt;
} accuracy_job;

static void accuracy_range(void *ctx, int64_t begin, int64_t end, int worker) {
    accuracy_job *job = ctx;
    for (int64_t i = begin; i < end; i++) {
        int v = judge(job->golds[i], job->gold_lens[i], job->completions[i],
                      job->completion_lens[i], 1, &job->opt);
        job->out[i] = v < 0 ? NAN : (float)v;
    }
}

grpo_status grpo_math_accuracy(float *out, int64_t n, const char *const *completions,
                               const size_t *completion_lens, const char *const *golds,
                               const size_t *gold_lens, const grpo_math_options *opt,
                               int num_threads) {
    if (n < 0 || (n > 0 && (!out || !completions || !completion_lens || !golds || !gold_lens)))
        return GRPO_ERR_INVALID;
    accuracy_job job = {out, completions, completion_lens, golds, gold_lens, resolve(opt)};
    /* 16 samples (~0.1 ms) per chunk: small batches stay on the calling thread */
    return grpo_parallel_for(n, 16, num_threads, accuracy_range, &job);
}
