/* check.h - the few macros the C tests of csrc/ need; a failed check prints and counts. */
#ifndef GRPO_CHECK_H
#define GRPO_CHECK_H
#include <math.h>
#include <stdio.h>

static int check_failures = 0;

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);      \
            check_failures++;                                                             \
        }                                                                                 \
    } while (0)

#define CHECK_CLOSE(a, b, rel)                                                            \
    do {                                                                                  \
        double check_a_ = (a), check_b_ = (b);                                            \
        if (!(fabs(check_a_ - check_b_) <= (rel) * (fabs(check_b_) + 1e-300) ||           \
              check_a_ == check_b_)) {                                                    \
            fprintf(stderr, "%s:%d: %s = %.17g, expected %.17g\n", __FILE__, __LINE__, #a, \
                    check_a_, check_b_);                                                  \
            check_failures++;                                                             \
        }                                                                                 \
    } while (0)

#define CHECK_DONE()                                                                      \
    do {                                                                                  \
        if (check_failures) fprintf(stderr, "%d check(s) failed\n", check_failures);      \
        return check_failures != 0;                                                       \
    } while (0)

#endif
