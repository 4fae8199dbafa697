/*
 * parallel.c - status names and the one threading primitive of the core.
 *
 * Work is claimed in fixed-size chunks through an atomic counter; which thread takes a chunk
 * never changes what is computed for it, so results do not depend on the thread count.
 *
 * Threads come from a process-wide pool started on first use: creating threads per call costs
 * tens of microseconds, as much as a whole call on a typical batch. One call at a time uses
 * the pool; a call made while another holds it (from another Python thread) starts threads of
 * its own and joins them, so concurrent callers never wait for each other. Idle workers spin
 * for a short while (a training step makes its calls in bursts) and then sleep. A forked child
 * starts with an empty pool. The pool is the library's only global state.
 */
#include "grpo.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

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

static void run_chunks(parallel_job *job, int worker) {
    for (;;) {
        int64_t begin = atomic_fetch_add(&job->next, job->grain);
        if (begin >= job->n) return;
        int64_t end = begin + job->grain < job->n ? begin + job->grain : job->n;
        job->fn(job->ctx, begin, end, worker);
    }
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------------ per-call threads */

typedef struct {
    parallel_job *job;
    int worker;
} own_worker;

static void *own_worker_main(void *arg) {
    own_worker *w = arg;
    pthread_setname_np(pthread_self(), "grpo_c-call");
    run_chunks(w->job, w->worker);
    return NULL;
}

static grpo_status run_own_threads(parallel_job *job, int num_threads) {
    pthread_t *threads = malloc(sizeof(pthread_t) * (size_t)num_threads);
    own_worker *workers = malloc(sizeof(own_worker) * (size_t)num_threads);
    if (!threads || !workers) {
        free(threads);
        free(workers);
        return GRPO_ERR_NOMEM;
    }
    int started = 0;
    for (int i = 1; i < num_threads; i++) {
        workers[i] = (own_worker){job, i};
        if (pthread_create(&threads[i], NULL, own_worker_main, &workers[i]) != 0) break;
        started = i;
    }
    /* The calling thread works too; if some threads failed to start, the ones that did (and
     * this one) still drain every chunk, so the result is complete either way. */
    run_chunks(job, 0);
    for (int i = 1; i <= started; i++) pthread_join(threads[i], NULL);
    free(threads);
    free(workers);
    return GRPO_OK;
}

/* ------------------------------------------------------------------ the pool
 *
 * A call publishes its job by bumping `generation` with `seats` = num_threads - 1. A worker
 * that sees a new generation takes a seat (its worker index is the seat number) and runs
 * chunks. When the caller has no chunks left it closes the remaining seats and waits until
 * every seat taken has finished, so a job never outlives its call.
 */

enum { POOL_MAX_WORKERS = 255, POOL_SPIN_NS = 50000 };

static struct {
    pthread_mutex_t lock; /* guards sleepers and the condition */
    pthread_cond_t wake;
    int sleepers;
    atomic_int busy;      /* a call owns the pool */
    int workers;          /* started so far (only the owning call changes it) */
    atomic_uint_fast64_t generation;
    atomic_int seats, finished;
    parallel_job job;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

/* The child of a fork has none of the workers: it starts over with an empty pool. */
static void pool_after_fork(void) {
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pool.sleepers = 0;
    pool.workers = 0;
    atomic_store(&pool.busy, 0);
    atomic_store(&pool.seats, 0);
}

static void pool_register_fork_handler(void) { pthread_atfork(NULL, NULL, pool_after_fork); }

static void *pool_worker_main(void *arg) {
    uint_fast64_t seen = (uint_fast64_t)(uintptr_t)arg;
    pthread_setname_np(pthread_self(), "grpo_c-pool"); /* so that ps/top/tests can tell ours */
    for (;;) {
        int64_t spin_until = now_ns() + POOL_SPIN_NS;
        for (unsigned i = 1; atomic_load(&pool.generation) == seen; i++) {
            cpu_relax();
            if (i % 64 == 0 && now_ns() > spin_until) {
                pthread_mutex_lock(&pool.lock);
                pool.sleepers++;
                while (atomic_load(&pool.generation) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
                pool.sleepers--;
                pthread_mutex_unlock(&pool.lock);
            }
        }
        seen = atomic_load(&pool.generation);
        int seat = atomic_load(&pool.seats);
        while (seat > 0 && !atomic_compare_exchange_weak(&pool.seats, &seat, seat - 1)) {
        }
        if (seat > 0) {
            run_chunks(&pool.job, seat);
            atomic_fetch_add(&pool.finished, 1);
        }
    }
    return NULL;
}

/* Starts workers up to `wanted`; returns how many there are. */
static int pool_grow(int wanted) {
    pthread_once(&pool_once, pool_register_fork_handler);
    while (pool.workers < wanted) {
        pthread_t thread;
        pthread_attr_t attr;
        if (pthread_attr_init(&attr) != 0) break;
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        void *seen = (void *)(uintptr_t)atomic_load(&pool.generation);
        int rc = pthread_create(&thread, &attr, pool_worker_main, seen);
        pthread_attr_destroy(&attr);
        if (rc != 0) break;
        pool.workers++;
    }
    return pool.workers;
}

static void run_pool(int helpers, int64_t n, int64_t grain, grpo_range_fn fn, void *ctx) {
    pool.job.n = n;
    pool.job.grain = grain;
    pool.job.fn = fn;
    pool.job.ctx = ctx;
    atomic_store(&pool.job.next, 0);
    atomic_store(&pool.finished, 0);
    atomic_store(&pool.seats, helpers);
    atomic_fetch_add(&pool.generation, 1);
    pthread_mutex_lock(&pool.lock);
    if (pool.sleepers) pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
    run_chunks(&pool.job, 0);
    int taken = helpers - atomic_exchange(&pool.seats, 0);
    while (atomic_load(&pool.finished) < taken) cpu_relax();
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
    int idle = 0;
    if (num_threads - 1 <= POOL_MAX_WORKERS && atomic_compare_exchange_strong(&pool.busy, &idle, 1)) {
        int helpers = pool_grow(num_threads - 1);
        if (helpers > num_threads - 1) helpers = num_threads - 1;
        if (helpers > 0) {
            run_pool(helpers, n, grain, fn, ctx);
        } else {
            fn(ctx, 0, n, 0);
        }
        atomic_store(&pool.busy, 0);
        return GRPO_OK;
    }
    parallel_job job = {.n = n, .grain = grain, .fn = fn, .ctx = ctx};
    atomic_init(&job.next, 0);
    return run_own_threads(&job, num_threads);
}
