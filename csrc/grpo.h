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

/* ---------------------------------------------------------------- text rewards */
/* Rule rewards over completion texts (csrc/text_rewards.c, csrc/lang.c). A batch is N
 * grpo_str; s == NULL marks a missing completion, whose reward is NaN. Every scanner is
 * linear in its input; bytes are UTF-8 and invalid sequences never fail a call. */

typedef struct grpo_str {
    const char *s;
    size_t len;
} grpo_str;

typedef enum grpo_format_mode {
    GRPO_FORMAT_OPENR1 = 0, /* open-r1 format_reward: ^O\n.*?\nC\nA\n.*?\nE$ (DOTALL|MULTILINE) */
    GRPO_FORMAT_THINK = 1,  /* TRL think_format_reward: ^O(?!.*O)(.*?)C.*$ (DOTALL|MULTILINE) */
    GRPO_FORMAT_STRICT = 2, /* one think block then one answer block, both non-blank, nothing
                               but whitespace around them, no tag inside a block */
    GRPO_FORMAT_CODE = 3    /* open-r1 code_format_reward: an answer holding ```lang ... ``` */
} grpo_format_mode;

/* Tags default to <think> </think> <answer> </answer> when their s is NULL. */
typedef struct grpo_format_opts {
    int mode;              /* grpo_format_mode */
    int think_prefilled;   /* the prompt already ends with the think open tag (plus "\n" in
                              GRPO_FORMAT_OPENR1/CODE): the text starts inside the think block */
    grpo_str think_open, think_close, answer_open, answer_close;
    grpo_str code_language; /* GRPO_FORMAT_CODE: the word after the opening fence */
} grpo_format_opts;

/* out[N] = 1 if texts[i] has the format, 0 if not, NaN if texts[i] is missing. `languages`
 * (NULL or N entries) overrides opts->code_language per text in GRPO_FORMAT_CODE. */
grpo_status grpo_format_reward(float *out, const grpo_str *texts, int64_t n,
                               const grpo_str *languages, const grpo_format_opts *opts,
                               int num_threads);

/* open-r1 tag_count_reward: 0.25 for each of think_open+"\n", "\n"+think_close+"\n",
 * "\n"+answer_open+"\n", "\n"+answer_close occurring exactly once (non-overlapping count, as
 * Python's str.count). Only the tags of opts are used. */
grpo_status grpo_tag_count_reward(float *out, const grpo_str *texts, int64_t n,
                                  const grpo_format_opts *opts, int num_threads);

/* open-r1 reasoning_steps_reward: matches of
 * (Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,) without MULTILINE, \d being
 * Unicode decimal digits; out[i] = min(1, count / steps_for_full), counts[i] (may be NULL)
 * the match count. */
grpo_status grpo_reasoning_steps_reward(float *out, int64_t *counts, const grpo_str *texts,
                                        int64_t n, double steps_for_full, int num_threads);

/* Repetition penalty (Demystifying Long CoT, App. C.2): (1 - unique n-grams / n-grams) *
 * max_penalty over whitespace-separated words (Python str.split() whitespace), 0 when there
 * are fewer than `ngram` words. fold_ascii_case compares ASCII letters case-insensitively;
 * lowercasing beyond ASCII is the caller's. */
grpo_status grpo_repetition_words(float *out, const grpo_str *texts, int64_t n, int64_t ngram,
                                  double max_penalty, int fold_ascii_case, int num_threads);

/* The same over token ids: sequence i is ids[offsets[i] .. offsets[i+1]) (offsets has N+1
 * entries, non-decreasing). */
grpo_status grpo_repetition_ids(float *out, const int64_t *ids, const int64_t *offsets,
                                int64_t n, int64_t ngram, double max_penalty, int num_threads);

/* Scripts of the language-consistency reward (bit masks). Scriptio continua scripts count
 * one unit per code point. */
enum {
    GRPO_SCRIPT_LATIN = 0, GRPO_SCRIPT_CYRILLIC, GRPO_SCRIPT_GREEK, GRPO_SCRIPT_ARMENIAN,
    GRPO_SCRIPT_HEBREW, GRPO_SCRIPT_ARABIC, GRPO_SCRIPT_DEVANAGARI, GRPO_SCRIPT_BENGALI,
    GRPO_SCRIPT_GURMUKHI, GRPO_SCRIPT_GUJARATI, GRPO_SCRIPT_TAMIL, GRPO_SCRIPT_TELUGU,
    GRPO_SCRIPT_KANNADA, GRPO_SCRIPT_MALAYALAM, GRPO_SCRIPT_THAI, GRPO_SCRIPT_LAO,
    GRPO_SCRIPT_GEORGIAN, GRPO_SCRIPT_HANGUL, GRPO_SCRIPT_HIRAGANA, GRPO_SCRIPT_KATAKANA,
    GRPO_SCRIPT_HAN, GRPO_SCRIPT_KHMER, GRPO_SCRIPT_MYANMAR, GRPO_SCRIPT_ETHIOPIC,
    GRPO_SCRIPT_COUNT
};

typedef enum grpo_lang_region {
    GRPO_LANG_THINK = 0, /* the think block (see grpo_language_consistency) */
    GRPO_LANG_ALL = 1    /* the whole text */
} grpo_lang_region;

typedef struct grpo_lang_opts {
    uint32_t target_scripts;  /* bit (1u << GRPO_SCRIPT_x) per script of the target language */
    int region;               /* grpo_lang_region */
    grpo_str think_open, think_close; /* default <think> </think> */
    double continua_weight;   /* weight of one Han/kana/Thai/... code point; 1.0 by default */
    double min_units;         /* fewer weighted units than this: the reward is NaN */
    double threshold;         /* > 0: out = 1 if the proportion >= threshold else 0 */
    int ignore_acronyms;      /* all-caps Latin words of <= 5 letters are neutral */
} grpo_lang_opts;

/* Language consistency (DeepSeek-R1 2.3.3): the weighted share of letter units of the target
 * scripts among all letter units of the chain of thought, after excluding code, LaTeX, URLs,
 * e-mail addresses and tags. The chain of thought is the text after the first think_open up to
 * the next think_close (or the end); with no think_open, the text up to the first think_close;
 * with neither, the whole text. out[N]; target[N], other[N] (weighted unit counts), hist[N *
 * GRPO_SCRIPT_COUNT] (raw units per script) and invalid[N] (invalid UTF-8 sequences) may be
 * NULL. */
grpo_status grpo_language_consistency(float *out, double *target, double *other, int64_t *hist,
                                      int64_t *invalid, const grpo_str *texts, int64_t n,
                                      const grpo_lang_opts *opts, int num_threads);

#ifdef __cplusplus
}
#endif
#endif /* GRPO_H */
