/*
 * grpo.h - the whole public API of the grpo_c core library.
 *
 * Plain C11 over caller-owned buffers: no Python, no printing, no global state.
 * Every entry point returns a grpo_status; grpo_strerror() names it.
 *
 * Dimension letters used throughout:
 *   N  rewards (rows) in a batch        G  groups           K  group size
 *   B  sequences in a loss batch        T  padded tokens per sequence
 *   R  reward functions combined per row
 *
 * Sections: status and threads; advantages; policy loss; (rewards and the sandbox add their own).
 */
#ifndef GRPO_H
#define GRPO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- status, threads */

typedef enum grpo_status {
    GRPO_OK = 0,
    GRPO_ERR_INVALID = 1,   /* an argument value is outside its documented domain */
    GRPO_ERR_SHAPE = 2,     /* lengths or shapes disagree */
    GRPO_ERR_NOMEM = 3,     /* an allocation failed */
    GRPO_ERR_THREAD = 4,    /* a worker thread could not be started */
    GRPO_ERR_SYSTEM = 5,    /* an operating-system call failed (errno is kept) */
    GRPO_ERR_UNSUPPORTED = 6 /* the request is valid but not supported on this platform */
} grpo_status;

const char *grpo_strerror(grpo_status status);

/* Work item callback for grpo_parallel_for: handles indices [begin, end). `worker` is in
 * [0, num_threads) and lets a callback use per-worker scratch. */
typedef void (*grpo_range_fn)(void *ctx, int64_t begin, int64_t end, int worker);

/* Runs fn over [0, n) in chunks of `grain` indices claimed dynamically by up to num_threads
 * threads (the caller's thread is one of them). Callbacks must make each index's result
 * independent of which thread ran it; that is what keeps results identical for any thread
 * count. num_threads <= 1, or n <= grain, runs inline with no thread created. */
grpo_status grpo_parallel_for(int64_t n, int64_t grain, int num_threads, grpo_range_fn fn,
                              void *ctx);

/* ---------------------------------------------------------------- math answers */
/* The accuracy reward of R1-style training: extract the final answer of a completion, parse it
 * (LaTeX or plain math) and compare it with the gold answer. Verdict policy: docs/math.md.
 * Strings are UTF-8 bytes with explicit lengths; any byte string is accepted. */

typedef enum grpo_math_extract {
    GRPO_MATH_EXTRACT_DEFAULT = 0, /* last box; else last <answer>; else "#### n"; else an anchor */
    GRPO_MATH_EXTRACT_STRICT = 1,  /* open-r1: a box, or an anchor followed by $..$ / \(..\) / \[..\] */
    GRPO_MATH_EXTRACT_BOXED = 2    /* only \boxed / \fbox */
} grpo_math_extract;

typedef struct grpo_math_options {
    int extract;          /* grpo_math_extract */
    int after_think;      /* 1: only the text after the last "</think>" counts; none -> no answer */
    int strict_latex;     /* 1: reject malformed shorthand such as \frac12 (open-r1 parity) */
    double float_rel_tol; /* relative tolerance when a decimal is involved; <= 0 means 1e-6 */
} grpo_math_options;

/* Default options (the recommended policy). */
grpo_math_options grpo_math_default_options(void);

typedef enum grpo_math_reason {
    GRPO_MATH_OK = 0,
    GRPO_MATH_NO_ANSWER = 1,   /* no box, answer tag or anchor found */
    GRPO_MATH_TRUNCATED = 2,   /* the last box is not closed */
    GRPO_MATH_EMPTY = 3,       /* the answer is empty */
    GRPO_MATH_TOO_LONG = 4,    /* the answer exceeds the parse bound */
    GRPO_MATH_TOO_DEEP = 5,    /* nesting exceeds the depth bound */
    GRPO_MATH_SYNTAX = 6,      /* the answer is not math we can read */
    GRPO_MATH_NO_THINK_END = 7 /* after_think is set and there is no "</think>" */
} grpo_math_reason;

typedef enum grpo_math_kind {
    GRPO_MATH_KIND_NONE = 0, GRPO_MATH_KIND_MATH = 1, GRPO_MATH_KIND_TEXT = 2,
    GRPO_MATH_KIND_CHOICE = 3
} grpo_math_kind;

/* Inspection of one answer. `answer_begin/answer_end` locate the extracted answer in the input
 * (for joined multi-box answers, the span covering them); `extracted` receives the text that was
 * parsed (box contents joined by ", " when several boxes form one answer) and `normalized` a
 * canonical rendering of the parse; both NUL-terminated and truncated to their capacity. */
typedef struct grpo_math_parsed {
    int kind;   /* grpo_math_kind */
    int reason; /* grpo_math_reason */
    int source; /* 0 none, 1 box, 2 answer tag, 3 anchor, 4 whole text (golds), 5 "####" */
    size_t answer_begin, answer_end;
    size_t extracted_len; /* full length of the extracted text, even when truncated on output */
} grpo_math_parsed;

/* is_gold: 1 parses `s` as a gold answer (box, "#### n", an anchored phrase, or the whole text),
 * 0 as a completion. `opt` may be NULL for the defaults (also in the functions below). */
grpo_status grpo_math_parse(grpo_math_parsed *out, char *extracted, size_t extracted_cap,
                            char *normalized, size_t normalized_cap,
                            const char *s, size_t len, int is_gold,
                            const grpo_math_options *opt);

/* *verdict: 1 equal, 0 not equal or no answer, -1 the gold cannot be parsed. `pred` is read as a
 * completion when pred_is_completion is 1, else as an answer the way golds are. */
grpo_status grpo_math_equal(int *verdict, const char *gold, size_t gold_len, const char *pred,
                            size_t pred_len, int pred_is_completion,
                            const grpo_math_options *opt);

/* out[i] = 1.0 / 0.0 for completion i against gold i, NaN where the gold cannot be parsed.
 * One arena per sample (bounded by 64 MiB); results do not depend on num_threads. */
grpo_status grpo_math_accuracy(float *out, int64_t n, const char *const *completions,
                               const size_t *completion_lens, const char *const *golds,
                               const size_t *gold_lens, const grpo_math_options *opt,
                               int num_threads);

#ifdef __cplusplus
}
#endif
#endif /* GRPO_H */
