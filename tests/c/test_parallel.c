/* The threading primitive: every index visited once, for any thread count and grain. */
#include "check.h"
#include "grpo.h"
#include <stdlib.h>

static void mark(void *ctx, int64_t begin, int64_t end, int worker) {
    int *seen = ctx;
    for (int64_t i = begin; i < end; i++) seen[i] += 1;
}

int main(void) {
    const int64_t n = 10007;
    int *seen = calloc((size_t)n, sizeof(int));
    for (int threads = 1; threads <= 4; threads++) {
        for (int64_t grain = 1; grain <= 4096; grain *= 7) {
            for (int64_t i = 0; i < n; i++) seen[i] = 0;
            CHECK(grpo_parallel_for(n, grain, threads, mark, seen) == GRPO_OK);
            int bad = 0;
            for (int64_t i = 0; i < n; i++) bad += seen[i] != 1;
            CHECK(bad == 0);
        }
    }
    CHECK(grpo_parallel_for(0, 1, 2, mark, seen) == GRPO_OK);
    CHECK(grpo_parallel_for(-1, 1, 2, mark, seen) == GRPO_ERR_INVALID);
    CHECK(grpo_parallel_for(5, 1, 2, NULL, seen) == GRPO_ERR_INVALID);
    free(seen);
    CHECK_DONE();
}
