/* The threading primitive: every index visited once for any thread count and grain, worker
 * indices in range, callers on several threads at once (one uses the pool, the others start
 * threads of their own), and a forked child that starts with an empty pool. */
#include "check.h"
#include "grpo.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    int *seen;
    int threads;
    atomic_int bad_worker;
} marks;

static void mark(void *ctx, int64_t begin, int64_t end, int worker) {
    marks *m = ctx;
    if (worker < 0 || worker >= m->threads) atomic_fetch_add(&m->bad_worker, 1);
    for (int64_t i = begin; i < end; i++) m->seen[i] += 1;
}

/* 1 when every index of [0, n) was visited exactly once with valid worker indices */
static int visit_all(int64_t n, int64_t grain, int threads) {
    marks m = {.seen = calloc((size_t)n, sizeof(int)), .threads = threads};
    atomic_init(&m.bad_worker, 0);
    int ok = grpo_parallel_for(n, grain, threads, mark, &m) == GRPO_OK;
    for (int64_t i = 0; i < n; i++) ok &= m.seen[i] == 1;
    ok &= atomic_load(&m.bad_worker) == 0;
    free(m.seen);
    return ok;
}

static void *concurrent_caller(void *arg) {
    int *ok = arg;
    for (int round = 0; round < 200; round++) *ok &= visit_all(3001, 17, 1 + round % 4);
    return NULL;
}

int main(void) {
    const int64_t n = 10007;
    for (int threads = 1; threads <= 4; threads++)
        for (int64_t grain = 1; grain <= 4096; grain *= 7) CHECK(visit_all(n, grain, threads));
    /* back-to-back calls reuse the spinning workers; more threads than the pool had grow it */
    for (int round = 0; round < 500; round++) CHECK(visit_all(257, 3, 2 + round % 3));
    CHECK(visit_all(n, 1, 9));

    pthread_t callers[4];
    int ok[4] = {1, 1, 1, 1};
    for (int i = 0; i < 4; i++) CHECK(pthread_create(&callers[i], NULL, concurrent_caller, &ok[i]) == 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(callers[i], NULL);
        CHECK(ok[i]);
    }

    pid_t child = fork();
    if (child == 0) _exit(visit_all(n, 5, 3) && visit_all(n, 5, 2) ? 0 : 1);
    int status = 0;
    CHECK(child > 0 && waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    int dummy = 0;
    CHECK(grpo_parallel_for(0, 1, 2, mark, &dummy) == GRPO_OK);
    CHECK(grpo_parallel_for(-1, 1, 2, mark, &dummy) == GRPO_ERR_INVALID);
    CHECK(grpo_parallel_for(5, 1, 2, NULL, &dummy) == GRPO_ERR_INVALID);
    CHECK_DONE();
}
