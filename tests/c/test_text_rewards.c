/* Text rewards: known verdicts, missing texts, bad options, and random bytes through every
 * scanner (the sanitizers catch any out-of-bounds read). */
#include "check.h"
#include "grpo.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static grpo_str S(const char *s) { return (grpo_str){s, strlen(s)}; }

static float format1(const char *s, int mode, int prefilled) {
    grpo_format_opts o;
    memset(&o, 0, sizeof o);
    o.mode = mode;
    o.think_prefilled = prefilled;
    o.code_language = S("python");
    grpo_str t = S(s);
    float out = -1;
    CHECK(grpo_format_reward(&out, &t, 1, NULL, &o, 1) == GRPO_OK);
    return out;
}

int main(void) {
    const char *good = "<think>\nr\n</think>\n<answer>\na\n</answer>";
    CHECK(format1(good, GRPO_FORMAT_OPENR1, 0) == 1.0f);
    CHECK(format1("<think>\nr\n</think>\n<answer>\na\n</answer>\njunk", GRPO_FORMAT_OPENR1, 0) == 1.0f);
    CHECK(format1("<think>\nr\n</think>\n<answer>\na\n</answer>\njunk", GRPO_FORMAT_STRICT, 0) == 0.0f);
    CHECK(format1(good, GRPO_FORMAT_STRICT, 0) == 1.0f);
    CHECK(format1(good, GRPO_FORMAT_THINK, 0) == 1.0f);
    CHECK(format1("r\n</think>\n<answer>\na\n</answer>", GRPO_FORMAT_OPENR1, 1) == 1.0f);
    CHECK(format1("<think>\nr\n</think>\n<answer>\n```python\nx\n```\n</answer>", GRPO_FORMAT_CODE, 0) == 1.0f);
    CHECK(format1(good, GRPO_FORMAT_CODE, 0) == 0.0f);

    grpo_format_opts o;
    memset(&o, 0, sizeof o);
    grpo_str missing = {NULL, 0};
    float out = 0;
    CHECK(grpo_format_reward(&out, &missing, 1, NULL, &o, 1) == GRPO_OK && isnan(out));
    o.mode = 9;
    CHECK(grpo_format_reward(&out, &missing, 1, NULL, &o, 1) == GRPO_ERR_INVALID);
    o.mode = 0;
    o.think_open = (grpo_str){"", 0};
    CHECK(grpo_format_reward(&out, &missing, 1, NULL, &o, 1) == GRPO_ERR_INVALID);
    CHECK(grpo_format_reward(&out, &missing, 1, NULL, NULL, 1) == GRPO_ERR_INVALID);

    grpo_str steps = S("Step 1: a\nStep 2: b");
    int64_t count = 0;
    CHECK(grpo_reasoning_steps_reward(&out, &count, &steps, 1, 3.0, 1) == GRPO_OK);
    CHECK(count == 2);
    CHECK(grpo_reasoning_steps_reward(&out, &count, &steps, 1, 0.0, 1) == GRPO_ERR_INVALID);

    grpo_str rep = S("A B C A B C");
    CHECK(grpo_repetition_words(&out, &rep, 1, 3, -1.0, 1, 1) == GRPO_OK);
    CHECK_CLOSE(out, -0.25, 1e-7);
    int64_t ids[] = {5, 5, 5, 5, 5}, offs[] = {0, 5};
    CHECK(grpo_repetition_ids(&out, ids, offs, 1, 2, -1.0, 1) == GRPO_OK);
    CHECK_CLOSE(out, -0.75, 1e-7);
    CHECK(grpo_repetition_ids(&out, ids, offs, 1, 0, -1.0, 1) == GRPO_ERR_INVALID);

    grpo_lang_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.target_scripts = 1u << GRPO_SCRIPT_HAN;
    lo.continua_weight = 1.0;
    lo.min_units = 1.0;
    grpo_str zh = S("<think>\xe6\x88\x91\xe4\xbb\xac compute the \xe5\x80\xbc</think>");
    double t = 0, oth = 0;
    CHECK(grpo_language_consistency(&out, &t, &oth, NULL, NULL, NULL, &zh, 1, &lo, 1) == GRPO_OK);
    CHECK(t == 3.0 && oth == 2.0);
    CHECK_CLOSE(out, 0.6, 1e-6);

    /* random bytes biased towards the characters the scanners branch on */
    const char alphabet[] = "<>/thinkanswer\n $\\()[]{}`~@:_-'1.SFNx\xe4\xb8\xad\xc3\xa9\xed\xa0\x80\xff";
    enum { N = 400, L = 300 };
    char *buf = malloc((size_t)N * L);
    grpo_str texts[N];
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < N; i++) {
        size_t len = (size_t)(i % L);
        for (size_t k = 0; k < len; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[(size_t)i * L + k] = alphabet[x % (sizeof alphabet - 1)];
        }
        texts[i] = (grpo_str){buf + (size_t)i * L, len};
    }
    float r[N];
    int64_t hist[N * GRPO_SCRIPT_COUNT], inv[N];
    for (int mode = 0; mode <= 3; mode++)
        for (int pre = 0; pre <= 1; pre++) {
            memset(&o, 0, sizeof o);
            o.mode = mode;
            o.think_prefilled = pre;
            CHECK(grpo_format_reward(r, texts, N, NULL, &o, 3) == GRPO_OK);
        }
    CHECK(grpo_tag_count_reward(r, texts, N, &o, 3) == GRPO_OK);
    CHECK(grpo_reasoning_steps_reward(r, NULL, texts, N, 3.0, 3) == GRPO_OK);
    CHECK(grpo_repetition_words(r, texts, N, 2, -1.0, 1, 3) == GRPO_OK);
    lo.target_scripts = 1u << GRPO_SCRIPT_LATIN;
    for (int region = 0; region <= 1; region++) {
        lo.region = region;
        lo.ignore_acronyms = region;
        CHECK(grpo_language_consistency(r, NULL, NULL, hist, inv, inv, texts, N, &lo, 3) == GRPO_OK);
    }
    free(buf);
    CHECK_DONE();
}
