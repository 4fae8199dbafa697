/* The math-answer core on known verdicts and adversarial inputs (run under ASan/UBSan):
 * deep nesting, unterminated boxes, invalid UTF-8, towers of powers, huge integers, random
 * bytes and random token soup. Nothing may crash, leak or read out of bounds. */
#include "check.h"
#include "grpo.h"
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int verdict(const char *gold, const char *completion) {
    int v = -9;
    CHECK(grpo_math_equal(&v, gold, strlen(gold), completion, strlen(completion), 1, NULL) == GRPO_OK);
    return v;
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t next_random(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void run_any(const char *text, size_t len) {
    /* an exact-size copy, so any read past the end is caught by AddressSanitizer */
    char *s = malloc(len ? len : 1);
    memcpy(s, text, len);
    int v;
    grpo_math_parsed parsed;
    char norm[256], ext[256];
    CHECK(grpo_math_equal(&v, s, len, s, len, 1, NULL) == GRPO_OK);
    CHECK(grpo_math_equal(&v, "5", 1, s, len, 1, NULL) == GRPO_OK);
    CHECK(v == 0 || v == 1);
    CHECK(grpo_math_parse(&parsed, ext, sizeof ext, norm, sizeof norm, s, len, 0, NULL) == GRPO_OK);
    CHECK(parsed.answer_begin <= parsed.answer_end && parsed.answer_end <= len);
    CHECK(grpo_math_parse(&parsed, ext, sizeof ext, norm, sizeof norm, s, len, 1, NULL) == GRPO_OK);
    grpo_math_options strict = grpo_math_default_options();
    strict.extract = GRPO_MATH_EXTRACT_STRICT;
    strict.after_think = 1;
    strict.strict_latex = 1;
    CHECK(grpo_math_equal(&v, s, len, s, len, 1, &strict) == GRPO_OK);
    free(s);
}

int main(void) {
    CHECK(verdict("42", "so \\boxed{42}.") == 1);
    CHECK(verdict("2^{100}", "\\boxed{1267650600228229401496703205377}") == 0);
    CHECK(verdict("2^{100}", "\\boxed{1267650600228229401496703205376}") == 1);
    CHECK(verdict("(x+1)^2", "\\boxed{x^2+2x+1}") == 1);
    CHECK(verdict("x^2-1", "\\boxed{(x-1)^2}") == 0);
    CHECK(verdict("(1,2]", "\\boxed{1<x\\le 2}") == 1);
    CHECK(verdict("\\{1,2\\}", "\\boxed{\\{2,1\\}}") == 1);
    CHECK(verdict("(1,2)", "\\boxed{(2,1)}") == 0);
    CHECK(verdict("12", "\\boxed{12} \\boxed{1") == 0);
    CHECK(verdict("Proof by induction on n.", "\\boxed{1}") == -1);

    size_t n = 200000;
    char *buf = malloc(n + 64);
    /* 100k nested braces inside a box, closed and unclosed */
    memcpy(buf, "\\boxed{", 7);
    for (size_t i = 7; i < n / 2; i++) buf[i] = '{';
    for (size_t i = n / 2; i < n - 7; i++) buf[i] = '}';
    run_any(buf, n - 7);
    run_any(buf, n / 2);
    /* nested parentheses, brackets, \frac, \sqrt and powers */
    const char *units[] = {"(", "[", "\\frac{", "\\sqrt{", "2^{", "-", "\\left(", "|", "\\{", "x_",
                           "!", "\\%", "_1", "\\pm", "\\sqrt", "\\log_", ":1", "\\cup 1", "^2",
                           "\\sin", "\\frac", "=1", "\\text{", "'", "^\\circ"};
    const size_t sizes[] = {n, 60000, 3000, 300}; /* above and below the 64 KiB parse bound */
    for (size_t u = 0; u < sizeof units / sizeof *units; u++) {
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
            size_t w = 0, ul = strlen(units[u]);
            memcpy(buf + w, "\\boxed{", 7);
            w += 7;
            while (w + ul < sizes[k]) {
                memcpy(buf + w, units[u], ul);
                w += ul;
            }
            run_any(buf, w);
            buf[w++] = '5';
            buf[w++] = '}';
            run_any(buf, w);
        }
    }
    /* power towers and huge numbers */
    const char *towers[] = {"\\boxed{2^{2^{2^{2^{100}}}}}", "\\boxed{10^10^10}",
                            "\\boxed{9^{9^{9^{9}}}-9^{9^{9^{9}}}}", "\\boxed{(10^{5000})!}",
                            "\\boxed{1e99999}", "\\boxed{0^{-1}}", "\\boxed{\\frac{1}{0}}",
                            "\\boxed{\\binom{10^{9}}{5}}", "\\boxed{1.5e-999999}",
                            "\\boxed{\\sum_{i=1}^{999}\\sum_{j=1}^{999}\\sum_{k=1}^{999} k}",
                            "\\boxed{\\prod_{i=1}^{999} 10^{i}}"};
    for (size_t t = 0; t < sizeof towers / sizeof *towers; t++) run_any(towers[t], strlen(towers[t]));
    for (size_t i = 0; i < 20000; i++) buf[i] = (char)('0' + i % 10);
    run_any(buf, 20000);
    /* invalid UTF-8 and random bytes */
    for (int round = 0; round < 300; round++) {
        size_t len = next_random() % 400;
        for (size_t i = 0; i < len; i++) buf[i] = (char)(next_random() & 0xFF);
        run_any(buf, len);
    }
    /* random soup of answer tokens */
    const char *soup[] = {"\\boxed{", "}", "{", "\\frac", "\\sqrt", "[", "]", "(", ")", "x", "y",
                          "2", "10", ".", ",", "^", "_", "-", "+", "\\pm", "=", "<", "\\le",
                          "\\cup", "\\infty", "\\text{", "cm", " and ", "\\begin{pmatrix}",
                          "\\end{pmatrix}", "&", "\\\\", "|", "%", "\\%", "!", "e", "i", "\\pi",
                          "\\sin", "\\log_", "\\{", "\\}", "\\approx", "\\in", "$", "#### ",
                          "<answer>", "</answer>", "The answer is ", "\xe2\x88\x92", "\xff",
                          "Answer", "answer is", ":", "**", "\\overline{", "0.", "\\binom",
                          "\\color{", "</think>", "\\fbox", "\\boxed ", "\\mathbb{R}", "\\,",
                          "\\max(", "\\min(", "\\gcd(", "\\operatorname{lcm}(", "\\lfloor",
                          "\\rfloor", "\\lceil", "\\rceil", "\\setminus", "\\cap", ":",
                          "\\neq", "\\bar{", "'", "\xc2\xbd", "\xc2\xb2", "\xef\xbc\x95",
                          "\\text{never }", "\\text{Area} =", ",\\!", "\\binom",
                          "\\sum_{i=1}^{", "\\prod_{k=1}^{999}", "\\sum_{j=0}^{5}", "^{10^{9}}"};
    for (int round = 0; round < 3000; round++) {
        size_t w = 0, k = next_random() % 30;
        for (size_t i = 0; i < k; i++) {
            const char *t = soup[next_random() % (sizeof soup / sizeof *soup)];
            size_t tl = strlen(t);
            memcpy(buf + w, t, tl);
            w += tl;
        }
        run_any(buf, w);
    }
    /* the batch entry point with threads */
    const char *comps[64], *golds[64];
    size_t cl[64], gl[64];
    float out[64];
    for (int i = 0; i < 64; i++) {
        comps[i] = i % 2 ? "\\boxed{3}" : "\\boxed{4}";
        golds[i] = "3";
        cl[i] = strlen(comps[i]);
        gl[i] = 1;
    }
    CHECK(grpo_math_accuracy(out, 64, comps, cl, golds, gl, NULL, 3) == GRPO_OK);
    for (int i = 0; i < 64; i++) CHECK(out[i] == (i % 2 ? 1.0f : 0.0f));
    CHECK(grpo_math_accuracy(out, -1, comps, cl, golds, gl, NULL, 1) == GRPO_ERR_INVALID);
    free(buf);
    CHECK_DONE();
}
