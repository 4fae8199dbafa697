/*
 * parallel.c - status names and the one threading primitive of the core.
 *
 * Threads are created per call and joined before returning: no pool survives a call, so the
 * library holds no global state and is safe to call from many Python threads at once. Work is
 * claimed in fixed-size chunks through an atomic counter; which thread takes a chunk never
 * changes what is computed for it, so results do not depend on the thread count.
 */
#include "grpo.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

const char *grpo_strerror(grpo_status status) {
    switch (status) {
    case GRPO_OK: return "ok";
    case GRPO_ERR_INVALID: return "invalid argument";
    case GRPO_ERR_SHAPE: return "shape mismatch";
    case GRPO_ERR_NOMEM: return "out of memory";
    case GRPO_ERR_THREAD: return "could not start a worker thread";
    case GRPO_ERR_SYSTEM: return "operating-system call failed";
    case GRPO_ERR_UNSUPPORTED: return "not supported on this platform";
    }
    return "unknown status";
}

typedef struct {
    int64_t n, grain;
    _Atomic int64_t next;
    grpo_range_fn fn;
    void *ctx;
} parallel_job;

typedef struct {
    parallel_job *job;
    int worker;
} parallel_worker;

static void run_chunks(parallel_job *job, int worker) {
    for (;;) {
        int64_t begin = atomic_fetch_add(&job->next, job->grain);
        if (begin >= job->n) return;
        int64_t end = begin + job->grain < job->n ? begin + job->grain : job->n;
        job->fn(job->ctx, begin, end, worker);
    }
}

static void *worker_main(void *arg) {
    parallel_worker *w = arg;
    run_chunks(w->job, w->worker);
    return NULL;
}

grpo_status grpo_parallel_for(int64_t n, int64_t grain, int num_threads, grpo_range_fn fn,
                              void *ctx) {
    if (n < 0 || fn == NULL) return GRPO_ERR_INVALID;
    if (grain < 1) grain = 1;
    if (n == 0) return GRPO_OK;
    int64_t chunks = (n + grain - 1) / grain;
    if (num_threads > chunks) num_threads = (int)chunks;
    if (num_threads <= 1) {
        fn(ctx, 0, n, 0);
        return GRPO_OK;
    }
    parallel_job job = {.n = n, .grain = grain, .fn = fn, .ctx = ctx};
    atomic_init(&job.next, 0);
    pthread_t *threads = malloc(sizeof(pthread_t) * (size_t)num_threads);
    parallel_worker *workers = malloc(sizeof(parallel_worker) * (size_t)num_threads);
    if (!threads || !workers) {
        free(threads);
        free(workers);
        return GRPO_ERR_NOMEM;
    }
    int started = 0;
    for (int i = 1; i < num_threads; i++) {
        workers[i] = (parallel_worker){&job, i};
        if (pthread_create(&threads[i], NULL, worker_main, &workers[i]) != 0) break;
        started = i;
    }
    /* The calling thread works too; if some threads failed to start, the ones that did (and
     * this one) still drain every chunk, so the result is complete either way. */
    run_chunks(&job, 0);
    for (int i = 1; i <= started; i++) pthread_join(threads[i], NULL);
    free(threads);
    free(workers);
    return GRPO_OK;
}
