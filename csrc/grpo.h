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

/* ---- sandbox: running untrusted programs (csrc/sandbox.c) ---- */

/* How one sandboxed run ended, before any comparison with expected output. */
typedef enum grpo_sandbox_status {
    GRPO_SANDBOX_EXITED = 0,       /* exited on its own; exit_code says how */
    GRPO_SANDBOX_SIGNALED = 1,     /* died of a signal we did not send (signal says which) */
    GRPO_SANDBOX_CPU_LIMIT = 2,    /* used its CPU time */
    GRPO_SANDBOX_WALL_LIMIT = 3,   /* still running at the wall-clock deadline; we killed it */
    GRPO_SANDBOX_MEMORY_LIMIT = 4, /* failed under the address-space limit (heuristic, see .c) */
    GRPO_SANDBOX_OUTPUT_LIMIT = 5, /* stdout/stderr passed its cap, or a file passed file_bytes */
    GRPO_SANDBOX_EXEC_FAILED = 6,  /* the program could not be started (sys_errno says why) */
    GRPO_SANDBOX_ERROR = 7         /* the sandbox failed to set up (sys_errno, error_step) */
} grpo_sandbox_status;

enum { GRPO_SANDBOX_NS_AUTO = 0, GRPO_SANDBOX_NS_REQUIRE = 1, GRPO_SANDBOX_NS_OFF = 2 };

/* Isolation layers, as bits of grpo_sandbox_result.isolation and grpo_sandbox_probe(). */
#define GRPO_SANDBOX_ISO_USERNS 0x01u   /* own user namespace; no capabilities after exec */
#define GRPO_SANDBOX_ISO_PIDNS 0x02u    /* own PID namespace: every descendant dies with the run */
#define GRPO_SANDBOX_ISO_NETNS 0x04u    /* own network namespace: no interface but a down lo */
#define GRPO_SANDBOX_ISO_LANDLOCK 0x08u /* filesystem: read-only system paths, read-write run dir */
#define GRPO_SANDBOX_ISO_SECCOMP 0x10u  /* syscall filter: no inet sockets, ptrace, mount, ... */
#define GRPO_SANDBOX_ISO_NOFORK 0x20u   /* the program may create threads but no processes */
#define GRPO_SANDBOX_ISO_PGROUP 0x40u   /* fallback: own process group, killed as a whole */
#define GRPO_SANDBOX_ISO_LANDLOCK_NET 0x80u    /* Landlock denies TCP bind/connect */
#define GRPO_SANDBOX_ISO_LANDLOCK_SCOPE 0x100u /* Landlock confines signals and abstract sockets */
#define GRPO_SANDBOX_ISO_PIDS_CGROUP 0x400u /* own pids cgroup: pids.max caps processes and
                                               threads; everything in it is killed after */
#define GRPO_SANDBOX_ISO_TMPFS 0x200u  /* run dir is a private size-limited tmpfs: total writes
                                           are bounded and vanish with the run */

typedef struct grpo_sandbox_limits {
    double wall_seconds;      /* deadline from start, CLOCK_MONOTONIC; > 0 */
    double cpu_seconds;       /* CPU time (RLIMIT_CPU, whole seconds, rounded up); > 0 */
    int64_t memory_bytes;     /* RLIMIT_AS of the program; 0 = unlimited */
    int64_t file_bytes;       /* RLIMIT_FSIZE: largest file the program may write */
    int64_t stdout_bytes;     /* capture cap; passing it is GRPO_SANDBOX_OUTPUT_LIMIT */
    int64_t stderr_bytes;     /* capture cap, likewise */
    int64_t collect_bytes;    /* largest file read back through job.collect */
    int max_processes;        /* 1: no new processes (threads allowed); > 1: RLIMIT_NPROC */
    int max_tasks;            /* processes + threads, through a pids cgroup where one can be
                                 made (and RLIMIT_NPROC); 0: no cap */
    int open_files;           /* RLIMIT_NOFILE */
    int namespaces;           /* GRPO_SANDBOX_NS_AUTO, _REQUIRE (fail rather than fall back)
                                 or _OFF (always the fallback) */
} grpo_sandbox_limits;

/* A file written into the fresh run directory before the program starts. */
typedef struct grpo_sandbox_file {
    const char *name;  /* NUL-terminated, no '/', not "." or ".." */
    const char *data;
    size_t len;
    int executable;    /* nonzero: mode 0700, else 0600 */
} grpo_sandbox_file;

typedef struct grpo_sandbox_job {
    const char *const *argv;      /* NULL-terminated; argv[0] absolute, or ./name in the run dir */
    const char *const *env;       /* extra NAME=value entries (NULL-terminated) or NULL */
    const grpo_sandbox_file *files;
    int64_t n_files;
    const char *stdin_data;
    size_t stdin_len;
    const char *const *read_paths; /* extra read-only paths (interpreter prefix), NULL-terminated */
    const char *temp_root;        /* where the run directory is made; NULL: $TMPDIR or /tmp */
    const char *collect;          /* a file of the run directory to read back, or NULL */
    int channel;                  /* nonzero: fd 3 is a pipe, captured into result.channel */
    const grpo_sandbox_limits *limits; /* this job's own limits, or NULL: the call's */
} grpo_sandbox_job;

typedef struct grpo_sandbox_result {
    grpo_sandbox_status status;
    int exit_code;            /* valid for GRPO_SANDBOX_EXITED */
    int signal;               /* the signal that ended the program, or 0 */
    double wall_seconds;
    double cpu_seconds;       /* user + system of the program and its reaped children */
    int64_t max_rss_bytes;    /* peak RSS; includes the caller's own at spawn (vfork-style) */
    char *out, *err, *channel, *collected; /* owned; free with grpo_sandbox_result_free */
    size_t out_len, err_len, channel_len, collected_len;
    unsigned isolation;       /* GRPO_SANDBOX_ISO_* bits that were active for this run */
    int sys_errno;            /* errno behind EXEC_FAILED / ERROR / a namespace fallback */
    const char *error_step;   /* static text naming the failed step, or NULL */
} grpo_sandbox_result;

/* Runs one program in a fresh temporary directory with the given limits; the directory is
 * removed (never following symlinks) and every process reaped before returning. Safe to call
 * from many threads at once. GRPO_OK means `result` describes the run (which may itself be a
 * GRPO_SANDBOX_ERROR); other statuses mean bad arguments or no memory. */
grpo_status grpo_sandbox_run(grpo_sandbox_result *result, const grpo_sandbox_job *job,
                             const grpo_sandbox_limits *limits);

/* n independent runs on up to num_workers threads; results[i] belongs to jobs[i]. */
grpo_status grpo_sandbox_run_batch(grpo_sandbox_result *results, const grpo_sandbox_job *jobs,
                                   int64_t n, const grpo_sandbox_limits *limits,
                                   int num_workers);

void grpo_sandbox_result_free(grpo_sandbox_result *result);

/* Which layers this process can get right now (GRPO_SANDBOX_ISO_* bits); *ns_errno is the
 * errno of the namespace attempt (0 when it worked), *landlock_abi the Landlock ABI or 0. */
unsigned grpo_sandbox_probe(int *ns_errno, int *landlock_abi);

/* The seccomp program the sandbox installs with no_fork (processes refused, threads allowed),
 * as raw struct sock_filter bytes, for a trusted harness that forks inside the sandbox and
 * must confine each child the same way. GRPO_ERR_UNSUPPORTED on architectures without one. */
grpo_status grpo_sandbox_nofork_filter(uint8_t *out, size_t capacity, size_t *out_len);

/* Output comparators for stdin/stdout tests.
 * EXACT: byte equality. LINES: each line right-trimmed, trailing blank lines dropped, then the
 * same number of equal lines (an extra or missing line fails). TOKENS: equal sequences of
 * whitespace-separated tokens. FLOAT: TOKENS, but two tokens that both parse as numbers are equal
 * when |a-b| <= max(abs_tol, rel_tol*|b|) (integers compare exactly, digit by digit). */
typedef enum grpo_compare_mode {
    GRPO_COMPARE_EXACT = 0,
    GRPO_COMPARE_LINES = 1,
    GRPO_COMPARE_TOKENS = 2,
    GRPO_COMPARE_FLOAT = 3
} grpo_compare_mode;

grpo_status grpo_compare_output(int *equal, const char *actual, size_t actual_len,
                                const char *expected, size_t expected_len,
                                grpo_compare_mode mode, double rel_tol, double abs_tol);

#ifdef __cplusplus
}
#endif
#endif /* GRPO_H */
