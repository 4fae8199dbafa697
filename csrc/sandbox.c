/*
 * sandbox.c - runs untrusted programs (generated code) under hard limits, from any thread.
 *
 * Stance: isolation comes from the kernel, not from the program's good manners, and every
 * layer that is missing is reported, never silently skipped.
 *
 * One run, in order:
 *   parent  makes a fresh 0700 run directory and writes the job's files into it; builds the
 *           Landlock ruleset, the seccomp filter, argv/envp and every pipe BEFORE cloning, so the
 *           child of this (possibly multithreaded) process only makes raw system calls.
 *   clone   CLONE_NEWUSER|NEWPID|NEWNET when the kernel allows it; otherwise a plain child in
 *           its own process group (the fallback, reported in result.isolation).
 *   init    the clone is PID 1 of the new namespace. It waits for the parent to write its uid
 *           map, wires fds 0-2 (and 3 for the result channel), marks every other fd
 *           close-on-exec, forks the program and reaps everything until the program exits;
 *           its exit then makes the kernel kill every process left in the namespace.
 *   program sets rlimits (CPU, address space, file size, open files, core 0), no_new_privs,
 *           Landlock, seccomp, and execs with a minimal environment.
 *   parent  one poll loop feeds stdin (a socket, so a reader that quits raises no SIGPIPE),
 *           drains stdout/stderr/channel up to their caps, and enforces the wall deadline;
 *           then it kills the process group, reaps the child and removes the run directory
 *           with *at() calls that never follow symlinks.
 *
 * Processes: with max_processes == 1 (the default for programs) the seccomp filter refuses
 * fork/vfork/clone-without-CLONE_THREAD, so fork bombs fail at the first fork; threads still
 * work. RLIMIT_NPROC alone cannot do this for root, which the kernel exempts from it.
 */
#include "grpo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ small helpers */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A growable capture buffer with a hard cap; `over` is set once more than `cap` bytes came. */
typedef struct capture {
    char *data;
    size_t len, alloc, cap;
    int over;
} capture;

static int capture_append(capture *c, const char *src, size_t n) {
    if (c->len + n > c->cap) {
        n = c->cap - c->len;
        c->over = 1;
    }
    if (n == 0) return 0;
    if (c->len + n > c->alloc) {
        size_t want = c->alloc ? c->alloc : 4096;
        while (want < c->len + n) want *= 2;
        if (want > c->cap) want = c->cap;
        char *grown = realloc(c->data, want);
        if (!grown) return -1;
        c->data = grown;
        c->alloc = want;
    }
    memcpy(c->data + c->len, src, n);
    c->len += n;
    return 0;
}

/* ------------------------------------------------------------------ run directory */

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int valid_file_name(const char *name) {
    if (!name || !name[0] || strchr(name, '/')) return 0;
    return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* Removes `name` under dir_fd and everything in it. Symlinks are unlinked, never followed;
 * directories are made 0700 first because the program may have chmod-ed them to 000. */
static void remove_tree_at(int dir_fd, const char *name, int depth) {
    if (unlinkat(dir_fd, name, 0) == 0) return;
    if (errno != EISDIR && errno != EPERM) return;
    fchmodat(dir_fd, name, 0700, 0);
    int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return;
    if (depth < 256) {
        DIR *dir = fdopendir(fd);
        if (!dir) {
            close(fd);
            return;
        }
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL) {
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
            remove_tree_at(dirfd(dir), entry->d_name, depth + 1);
        }
        closedir(dir);
    } else {
        close(fd);
    }
    unlinkat(dir_fd, name, AT_REMOVEDIR);
}

static void remove_run_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return;
    size_t parent_len = slash == path ? 1 : (size_t)(slash - path);
    char parent[4096];
    if (parent_len >= sizeof parent) return;
    memcpy(parent, path, parent_len);
    parent[parent_len] = 0;
    int parent_fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (parent_fd < 0) return;
    remove_tree_at(parent_fd, slash + 1, 0);
    close(parent_fd);
}

/* Reads a file the program left in its directory (a compiled binary), refusing symlinks and
 * anything but a regular file. */
static int collect_file(int dir_fd, const char *name, size_t cap, char **out, size_t *out_len) {
    int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > cap) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    *out = buf;
    *out_len = got;
    return 0;
}

/* ------------------------------------------------------------------ Landlock */

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

/* Our own copies of the Landlock ABI structs, so older headers still build. */
typedef struct ll_ruleset_attr {
    uint64_t handled_access_fs, handled_access_net, scoped;
} ll_ruleset_attr;

typedef struct __attribute__((packed)) ll_path_beneath {
    uint64_t allowed_access;
    int32_t parent_fd;
} ll_path_beneath;

typedef struct ll_net_port {
    uint64_t allowed_access, port;
} ll_net_port;

#define LL_EXECUTE (1ull << 0)
#define LL_WRITE_FILE (1ull << 1)
#define LL_READ_FILE (1ull << 2)
#define LL_READ_DIR (1ull << 3)
#define LL_RULE_PATH_BENEATH 1
#define LL_NET_BIND_TCP (1ull << 0)
#define LL_NET_CONNECT_TCP (1ull << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ull << 0)
#define LL_SCOPE_SIGNAL (1ull << 1)

static int landlock_abi(void) {
    long v = syscall(SYS_landlock_create_ruleset, NULL, 0, 1u /* VERSION */);
    return v < 0 ? 0 : (int)v;
}

static uint64_t landlock_fs_rights(int abi) {
    if (abi >= 5) return (1ull << 16) - 1; /* + IOCTL_DEV */
    if (abi >= 3) return (1ull << 15) - 1; /* + TRUNCATE */
    if (abi >= 2) return (1ull << 14) - 1; /* + REFER */
    return (1ull << 13) - 1;
}

static const char *const system_read_paths[] = {
    "/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc/ld.so.cache", "/etc/ld.so.conf",
    "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime", "/dev/urandom", "/dev/random",
    "/dev/zero", NULL};

static void landlock_allow(int ruleset, const char *path, uint64_t access, uint64_t handled) {
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st;
    if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
        access &= LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | (1ull << 14) | (1ull << 15);
    ll_path_beneath rule = {access & handled, fd};
    syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &rule, 0);
    close(fd);
}

/* Returns a ruleset fd (CLOEXEC) or -1; *bits gets the layers it will enforce. */
static int landlock_build(const char *run_dir, const char *const *extra, int use_net_rules,
                          unsigned *bits) {
    int abi = landlock_abi();
    if (abi < 1) return -1;
    ll_ruleset_attr attr = {landlock_fs_rights(abi), 0, 0};
    size_t size = sizeof(uint64_t);
    if (abi >= 4 && use_net_rules) {
        attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
        size = 2 * sizeof(uint64_t);
    }
    if (abi >= 6) {
        attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
        size = 3 * sizeof(uint64_t);
    }
    int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (fd < 0) return -1;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    uint64_t handled = attr.handled_access_fs;
    uint64_t read_only = LL_EXECUTE | LL_READ_FILE | LL_READ_DIR;
    for (int i = 0; system_read_paths[i]; i++)
        landlock_allow(fd, system_read_paths[i], read_only, handled);
    for (int i = 0; extra && extra[i]; i++) landlock_allow(fd, extra[i], read_only, handled);
    landlock_allow(fd, "/dev/null", LL_READ_FILE | LL_WRITE_FILE, handled);
    landlock_allow(fd, run_dir, handled, handled);
    *bits |= GRPO_SANDBOX_ISO_LANDLOCK;
    if (attr.handled_access_net) *bits |= GRPO_SANDBOX_ISO_LANDLOCK_NET;
    if (attr.scoped) *bits |= GRPO_SANDBOX_ISO_LANDLOCK_SCOPE;
    return fd;
}

/* ------------------------------------------------------------------ seccomp */

#if defined(__x86_64__)
#define SBX_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SBX_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#define SBX_FILTER_MAX 256

typedef struct seccomp_plan {
    struct sock_filter insns[SBX_FILTER_MAX];
    unsigned short len;
    int self_pid_slots[4]; /* instructions whose k is patched with the program's own pid */
    int n_self_slots;
} seccomp_plan;

#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

static void emit(seccomp_plan *p, struct sock_filter insn) {
    if (p->len < SBX_FILTER_MAX) p->insns[p->len] = insn;
    p->len++;
}

static void deny_nr(seccomp_plan *p, long nr, int err) {
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1));
    emit(p, (struct sock_filter)RET(ERRNO(err)));
}

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define LD_ARG0 BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]))

/* A signal-sending call is allowed only towards the program itself (pid patched in the child):
 * without a PID namespace, kill(-1) or kill(parent) would reach the host. */
static void self_only_signal(seccomp_plan *p, long nr) {
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 4));
    emit(p, (struct sock_filter)LD_ARG0);
    if (p->n_self_slots < 4) p->self_pid_slots[p->n_self_slots++] = p->len;
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0));
    emit(p, (struct sock_filter)RET(ERRNO(EPERM)));
    emit(p, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
}

/* Returns 0 and fills `p`, or -1 when this architecture has no filter of ours. */
static int seccomp_build(seccomp_plan *p, int no_fork, int confine_signals) {
#ifndef SBX_AUDIT_ARCH
    (void)p; (void)no_fork; (void)confine_signals;
    return -1;
#else
    memset(p, 0, sizeof *p);
    emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                         offsetof(struct seccomp_data, arch)));
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SBX_AUDIT_ARCH, 1, 0));
    emit(p, (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS));
    emit(p, (struct sock_filter)LD_NR);
#if defined(__x86_64__)
    /* x32 system calls alias the x86-64 ones with this bit set. */
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));
    emit(p, (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS));
#endif
    /* Sockets: AF_UNIX only (socketpair, local IPC); no inet, netlink, packet or raw. */
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 4));
    emit(p, (struct sock_filter)LD_ARG0);
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1));
    emit(p, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
    emit(p, (struct sock_filter)RET(ERRNO(EACCES)));
    static const long denied[] = {
        SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev, SYS_mount, SYS_umount2,
        SYS_pivot_root, SYS_chroot, SYS_bpf, SYS_perf_event_open, SYS_keyctl, SYS_add_key,
        SYS_request_key, SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register,
        SYS_kexec_load, SYS_unshare, SYS_setns, SYS_swapon, SYS_swapoff, SYS_reboot,
        SYS_init_module, SYS_finit_module, SYS_delete_module, SYS_userfaultfd,
        SYS_open_by_handle_at, SYS_pidfd_getfd, SYS_fanotify_init,
#ifdef SYS_kexec_file_load
        SYS_kexec_file_load,
#endif
#ifdef SYS_open_tree
        SYS_open_tree, SYS_move_mount, SYS_fsopen, SYS_fsmount,
#endif
    };
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) deny_nr(p, denied[i], EPERM);
    if (no_fork) {
#ifdef SYS_fork
        deny_nr(p, SYS_fork, EAGAIN);
        deny_nr(p, SYS_vfork, EAGAIN);
#endif
        /* clone3 passes its flags in memory, out of the filter's reach: ENOSYS makes libc
         * fall back to clone, whose flags we can check. */
        deny_nr(p, SYS_clone3, ENOSYS);
        emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4));
        emit(p, (struct sock_filter)LD_ARG0);
        emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1));
        emit(p, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
        emit(p, (struct sock_filter)RET(ERRNO(EAGAIN)));
    }
    if (confine_signals) {
        self_only_signal(p, SYS_kill);
        self_only_signal(p, SYS_tgkill);
        self_only_signal(p, SYS_tkill);
        deny_nr(p, SYS_pidfd_send_signal, EPERM);
        deny_nr(p, SYS_pidfd_open, EPERM);
    }
    emit(p, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
    return p->len <= SBX_FILTER_MAX ? 0 : -1;
#endif
}

/* ------------------------------------------------------------------ the child side */

/* Records the children send on the status pipe: {kind, value}. */
enum { REC_EXEC_ERRNO = 1, REC_WAIT_STATUS = 2, REC_SETUP_ERRNO = 3 };

/* Setup steps named in REC_SETUP_ERRNO records (index into setup_steps). */
static const char *const setup_steps[] = {
    "handshake", "fd wiring", "chdir", "fork program", "rlimits", "no_new_privs",
    "landlock",  "seccomp",   "wait",  "process group"};
enum { STEP_HANDSHAKE, STEP_FDS, STEP_CHDIR, STEP_FORK, STEP_RLIMIT, STEP_NNP, STEP_LANDLOCK,
       STEP_SECCOMP, STEP_WAIT, STEP_PGROUP, STEP_COUNT };

typedef struct child_plan {
    int sync_r, status_w, stdin_r, out_w, err_w, chan_w; /* chan_w < 0: no channel */
    int landlock_fd;                                      /* < 0: none */
    int use_seccomp;
    seccomp_plan *filter;
    const char *run_dir;
    char *const *argv;
    char *const *envp;
    struct rlimit cpu, as, fsize, nofile, nproc;
    int set_nproc;
} child_plan;

static void send_record(int fd, int kind, int value) {
    int rec[2] = {kind, value};
    while (write(fd, rec, sizeof rec) < 0 && errno == EINTR) {
    }
}

static void __attribute__((noreturn)) child_fail(const child_plan *p, int step) {
    send_record(p->status_w, REC_SETUP_ERRNO, step * 65536 + (errno & 0xffff));
    _exit(126);
}

/* Only raw system calls from here on: we are a clone of a possibly multithreaded process, so
 * another thread may have held a libc lock at the moment of cloning. */
static void __attribute__((noreturn)) run_program(child_plan *p) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct rlimit core = {0, 0}, memlock = {0, 0};
    if (setrlimit(RLIMIT_CPU, &p->cpu) != 0 || setrlimit(RLIMIT_FSIZE, &p->fsize) != 0 ||
        setrlimit(RLIMIT_NOFILE, &p->nofile) != 0 || setrlimit(RLIMIT_CORE, &core) != 0 ||
        setrlimit(RLIMIT_MEMLOCK, &memlock) != 0 ||
        (p->as.rlim_cur != RLIM_INFINITY && setrlimit(RLIMIT_AS, &p->as) != 0) ||
        (p->set_nproc && setrlimit(RLIMIT_NPROC, &p->nproc) != 0))
        child_fail(p, STEP_RLIMIT);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fail(p, STEP_NNP);
    if (p->landlock_fd >= 0 && syscall(SYS_landlock_restrict_self, p->landlock_fd, 0) != 0)
        child_fail(p, STEP_LANDLOCK);
    if (p->use_seccomp) {
        pid_t self = (pid_t)syscall(SYS_getpid);
        for (int i = 0; i < p->filter->n_self_slots; i++)
            p->filter->insns[p->filter->self_pid_slots[i]].k = (uint32_t)self;
        struct sock_fprog prog = {p->filter->len, p->filter->insns};
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
            child_fail(p, STEP_SECCOMP);
    }
    execve(p->argv[0], p->argv, p->envp);
    send_record(p->status_w, REC_EXEC_ERRNO, errno);
    _exit(127);
}

/* Moves `fd` to a descriptor >= 16 so the dup2 onto 0..3 cannot clobber a later source. */
static int lift_fd(int fd) { return fd < 0 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 16); }

static void __attribute__((noreturn)) child_main(child_plan *p) {
    char go = 0;
    ssize_t got;
    do got = read(p->sync_r, &go, 1);
    while (got < 0 && errno == EINTR);
    if (got != 1 || go != 'g') {
        errno = EPIPE;
        child_fail(p, STEP_HANDSHAKE);
    }
    if (setpgid(0, 0) != 0) child_fail(p, STEP_PGROUP);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int src[4] = {lift_fd(p->stdin_r), lift_fd(p->out_w), lift_fd(p->err_w), lift_fd(p->chan_w)};
    int status_w = lift_fd(p->status_w), landlock_fd = lift_fd(p->landlock_fd);
    if (src[0] < 0 || src[1] < 0 || src[2] < 0 || status_w < 0) child_fail(p, STEP_FDS);
    p->status_w = status_w;
    int n_std = p->chan_w >= 0 ? 4 : 3;
    for (int i = 0; i < n_std; i++)
        if (dup2(src[i], i) != i) child_fail(p, STEP_FDS);
    /* The status pipe and the Landlock ruleset sit just above, close-on-exec; everything else
     * is closed now, including the pipes of runs that other threads started at the same
     * moment (holding their write ends would delay those runs' end-of-file). */
    int keep = n_std;
    if (dup3(status_w, keep, O_CLOEXEC) != keep) child_fail(p, STEP_FDS);
    p->status_w = keep++;
    if (landlock_fd >= 0) {
        if (dup3(landlock_fd, keep, O_CLOEXEC) != keep) child_fail(p, STEP_FDS);
        p->landlock_fd = keep++;
    }
    if (syscall(SYS_close_range, (unsigned)keep, ~0u, 0u) != 0) {
        struct rlimit lim;
        long top = getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < 65536 ? (long)lim.rlim_cur
                                                                              : 65536;
        for (long fd = keep; fd < top; fd++) close((int)fd);
    }
    if (chdir(p->run_dir) != 0) child_fail(p, STEP_CHDIR);
    umask(077);
    pid_t program = (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
    if (program < 0) child_fail(p, STEP_FORK);
    if (program == 0) run_program(p);
    /* init: reap every child until the program itself ends, then report its status. */
    for (;;) {
        int st = 0;
        pid_t w = waitpid(-1, &st, __WALL);
        if (w == program) {
            send_record(p->status_w, REC_WAIT_STATUS, st);
            _exit(0);
        }
        if (w < 0 && errno != EINTR) child_fail(p, STEP_WAIT);
    }
}

/* ------------------------------------------------------------------ the parent side */

static const char *const base_env[] = {
    "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
    "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1", "MKL_NUM_THREADS=1", "MALLOC_ARENA_MAX=2",
    "PYTHONDONTWRITEBYTECODE=1", "PYTHONIOENCODING=utf-8", "PYTHONHASHSEED=0", NULL};

static int write_id_map(pid_t pid, const char *file, const char *text) {
    char path[64];
    int n = 0;
    const char *prefix = "/proc/";
    while (*prefix) path[n++] = *prefix++;
    char digits[16];
    int d = 0;
    for (unsigned v = (unsigned)pid; v; v /= 10) digits[d++] = (char)('0' + v % 10);
    while (d) path[n++] = digits[--d];
    path[n++] = '/';
    while (*file) path[n++] = *file++;
    path[n] = 0;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = write_all(fd, text, strlen(text));
    close(fd);
    return rc;
}

/* Maps the outside uid/gid to 1000 inside: not 0, so the program holds no capability in its
 * namespace after exec. */
static int setup_user_namespace(pid_t pid) {
    char map[64];
    int len = 0;
    unsigned ids[2] = {(unsigned)geteuid(), (unsigned)getegid()};
    const char *files[2] = {"uid_map", "gid_map"};
    if (write_id_map(pid, "setgroups", "deny") != 0) return -1;
    for (int k = 0; k < 2; k++) {
        len = 0;
        const char *inside = "1000 ";
        while (*inside) map[len++] = *inside++;
        char digits[16];
        int d = 0;
        unsigned v = ids[k];
        do digits[d++] = (char)('0' + v % 10);
        while ((v /= 10) != 0);
        while (d) map[len++] = digits[--d];
        map[len++] = ' ';
        map[len++] = '1';
        map[len++] = '\n';
        map[len] = 0;
        if (write_id_map(pid, files[k], map) != 0) return -1;
    }
    return 0;
}

static pid_t clone_child(int flags) {
    return (pid_t)syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), NULL, NULL, NULL, NULL);
}

/* Builds the NULL-terminated environment: base entries, HOME/TMPDIR = run dir, job extras. */
static char **build_env(const char *run_dir, const char *const *extra) {
    size_t n_base = 0, n_extra = 0;
    while (base_env[n_base]) n_base++;
    while (extra && extra[n_extra]) n_extra++;
    size_t dir_len = strlen(run_dir);
    char **envp = calloc(n_base + n_extra + 3, sizeof(char *));
    char *home = malloc(2 * (dir_len + 8) + 2);
    if (!envp || !home) {
        free(envp);
        free(home);
        return NULL;
    }
    memcpy(home, "HOME=", 5);
    memcpy(home + 5, run_dir, dir_len + 1);
    char *tmp = home + dir_len + 6;
    memcpy(tmp, "TMPDIR=", 7);
    memcpy(tmp + 7, run_dir, dir_len + 1);
    size_t k = 0;
    envp[k++] = home;
    envp[k++] = tmp;
    for (size_t i = 0; i < n_base; i++) envp[k++] = (char *)base_env[i];
    for (size_t i = 0; i < n_extra; i++) envp[k++] = (char *)extra[i];
    return envp;
}

static void free_env(char **envp) {
    if (envp) free(envp[0]);
    free(envp);
}

static int set_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* MLE is a heuristic: the address-space limit shows up as a failed allocation, which each
 * runtime reports its own way, or as a peak resident size close to the limit. */
static int looks_like_memory_failure(const grpo_sandbox_result *r, int64_t limit) {
    static const char *const markers[] = {"MemoryError", "std::bad_alloc",
                                          "Cannot allocate memory", "out of memory", NULL};
    if (limit > 0 && r->max_rss_bytes >= limit / 10 * 9) return 1;
    for (int i = 0; markers[i]; i++) {
        size_t m = strlen(markers[i]);
        for (size_t j = 0; r->err && j + m <= r->err_len; j++)
            if (memcmp(r->err + j, markers[i], m) == 0) return 1;
    }
    return 0;
}

static int valid_limits(const grpo_sandbox_limits *l) {
    return l && l->wall_seconds > 0 && l->cpu_seconds > 0 && isfinite(l->wall_seconds) &&
           isfinite(l->cpu_seconds) && l->memory_bytes >= 0 && l->file_bytes > 0 &&
           l->stdout_bytes >= 0 && l->stderr_bytes >= 0 && l->collect_bytes >= 0 &&
           l->max_processes >= 1 && l->open_files >= 4;
}

enum { KILL_NONE, KILL_DEADLINE, KILL_OUTPUT };

typedef struct run_state {
    int stdin_w, out_r, err_r, chan_r, status_r, pidfd;
    capture out, err, chan;
    int status_records[3][2];
    int n_records;
    char record_buf[8];
    size_t record_fill;
} run_state;

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* The poll loop: feed stdin, drain the streams, notice the child's exit, enforce the deadline.
 * Returns KILL_* for why we killed the child, with *exited set once it is a zombie. */
static int supervise(run_state *s, pid_t child, const char *in, size_t in_len, double deadline,
                     int *fatal_errno) {
    size_t in_sent = 0;
    int killed = KILL_NONE, exited = 0;
    double grace_end = 0;
    if (in_len == 0) close_fd(&s->stdin_w);
    else if (s->stdin_w >= 0) shutdown(s->stdin_w, SHUT_RD);
    for (;;) {
        if (!exited) {
            siginfo_t info;
            memset(&info, 0, sizeof info);
            if (waitid(P_PID, (id_t)child, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                info.si_pid == child) {
                exited = 1;
                /* Kill stragglers in the group while the zombie still pins the pgid. */
                kill(-child, SIGKILL);
                grace_end = now_seconds() + 0.5;
                close_fd(&s->stdin_w);
            }
        }
        int streams_open = s->out_r >= 0 || s->err_r >= 0 || s->chan_r >= 0 || s->status_r >= 0;
        if (exited && (!streams_open || now_seconds() > grace_end)) return killed;
        double now = now_seconds();
        if (!exited && !killed && now >= deadline) {
            kill(child, SIGKILL);
            kill(-child, SIGKILL);
            killed = KILL_DEADLINE;
        }
        struct pollfd fds[6];
        int *owners[6];
        int n = 0;
        int *watch[5] = {&s->out_r, &s->err_r, &s->chan_r, &s->status_r, &s->stdin_w};
        for (int i = 0; i < 5; i++) {
            if (*watch[i] < 0) continue;
            fds[n].fd = *watch[i];
            fds[n].events = i == 4 ? POLLOUT : POLLIN;
            fds[n].revents = 0;
            owners[n++] = watch[i];
        }
        if (s->pidfd >= 0 && !exited) {
            fds[n].fd = s->pidfd;
            fds[n].events = POLLIN;
            fds[n].revents = 0;
            owners[n++] = NULL;
        }
        double until = exited ? grace_end : (killed ? now + 0.05 : deadline);
        int timeout_ms = (int)ceil((until - now) * 1000.0);
        if (timeout_ms < 0) timeout_ms = 0;
        if (s->pidfd < 0 && !exited && timeout_ms > 10) timeout_ms = 10;
        int ready = poll(fds, (nfds_t)n, timeout_ms);
        if (ready < 0) {
            if (errno == EINTR) continue;
            *fatal_errno = errno;
            kill(child, SIGKILL);
            kill(-child, SIGKILL);
            return KILL_DEADLINE;
        }
        for (int i = 0; i < n; i++) {
            if (!fds[i].revents || owners[i] == NULL) continue;
            int *fdp = owners[i];
            if (fdp == &s->stdin_w) {
                if (fds[i].revents & (POLLERR | POLLHUP)) {
                    close_fd(&s->stdin_w);
                    continue;
                }
                size_t chunk = in_len - in_sent > 65536 ? 65536 : in_len - in_sent;
                ssize_t w = send(s->stdin_w, in + in_sent, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (w > 0) in_sent += (size_t)w;
                else if (w < 0 && errno != EAGAIN && errno != EINTR) close_fd(&s->stdin_w);
                if (in_sent == in_len && s->stdin_w >= 0) {
                    shutdown(s->stdin_w, SHUT_WR);
                    close_fd(&s->stdin_w);
                }
                continue;
            }
            char buf[65536];
            ssize_t r = read(*fdp, buf, sizeof buf);
            if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (r <= 0) {
                close_fd(fdp);
                continue;
            }
            if (fdp == &s->status_r) {
                for (ssize_t j = 0; j < r; j++) {
                    s->record_buf[s->record_fill++] = buf[j];
                    if (s->record_fill == sizeof s->record_buf) {
                        if (s->n_records < 3) memcpy(s->status_records[s->n_records++], s->record_buf, 8);
                        s->record_fill = 0;
                    }
                }
                continue;
            }
            capture *c = fdp == &s->out_r ? &s->out : fdp == &s->err_r ? &s->err : &s->chan;
            if (capture_append(c, buf, (size_t)r) != 0) {
                *fatal_errno = ENOMEM;
                c->over = 1;
            }
            if (c->over && !killed && !exited) {
                kill(child, SIGKILL);
                kill(-child, SIGKILL);
                killed = KILL_OUTPUT;
            }
            if (c->over) close_fd(fdp);
        }
    }
}

static void set_error(grpo_sandbox_result *r, const char *step, int err) {
    r->status = GRPO_SANDBOX_ERROR;
    r->error_step = step;
    r->sys_errno = err;
}

grpo_status grpo_sandbox_run(grpo_sandbox_result *result, const grpo_sandbox_job *job,
                             const grpo_sandbox_limits *limits) {
    if (!result) return GRPO_ERR_INVALID;
    memset(result, 0, sizeof *result);
    if (!job || !job->argv || !job->argv[0] || job->argv[0][0] != '/' || !valid_limits(limits) ||
        (job->n_files > 0 && !job->files) || job->n_files < 0 ||
        (job->stdin_len > 0 && !job->stdin_data) || (job->collect && !valid_file_name(job->collect)))
        return GRPO_ERR_INVALID;
    for (int64_t i = 0; i < job->n_files; i++)
        if (!valid_file_name(job->files[i].name) || (job->files[i].len && !job->files[i].data))
            return GRPO_ERR_INVALID;

    double start = now_seconds();
    const char *root = job->temp_root;
    if (!root) root = getenv("TMPDIR");
    if (!root || root[0] != '/') root = "/tmp";
    char run_dir[4096];
    size_t root_len = strlen(root);
    if (root_len + 32 > sizeof run_dir) return GRPO_ERR_INVALID;
    memcpy(run_dir, root, root_len);
    memcpy(run_dir + root_len, "/grpo_sbx.XXXXXX", 17);
    if (!mkdtemp(run_dir)) {
        set_error(result, "run directory", errno);
        return GRPO_OK;
    }

    grpo_status status = GRPO_OK;
    run_state s;
    memset(&s, 0, sizeof s);
    s.stdin_w = s.out_r = s.err_r = s.chan_r = s.status_r = s.pidfd = -1;
    s.out.cap = (size_t)limits->stdout_bytes;
    s.err.cap = (size_t)limits->stderr_bytes;
    s.chan.cap = (size_t)limits->stdout_bytes;
    int stdin_pair[2] = {-1, -1}, out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, chan_p[2] = {-1, -1};
    int status_p[2] = {-1, -1}, sync_p[2] = {-1, -1};
    int landlock_fd = -1, dir_fd = -1;
    char **envp = NULL;
    seccomp_plan *filter = NULL;
    pid_t child = -1;

    dir_fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        set_error(result, "run directory", errno);
        goto done;
    }
    for (int64_t i = 0; i < job->n_files; i++) {
        const grpo_sandbox_file *f = &job->files[i];
        int fd = openat(dir_fd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        f->executable ? 0700 : 0600);
        if (fd < 0 || write_all(fd, f->data, f->len) != 0) {
            set_error(result, "write input file", errno);
            if (fd >= 0) close(fd);
            goto done;
        }
        close(fd);
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stdin_pair) != 0 ||
        pipe2(out_p, O_CLOEXEC) != 0 || pipe2(err_p, O_CLOEXEC) != 0 ||
        pipe2(status_p, O_CLOEXEC) != 0 || pipe2(sync_p, O_CLOEXEC) != 0 ||
        (job->channel && pipe2(chan_p, O_CLOEXEC) != 0)) {
        set_error(result, "pipes", errno);
        goto done;
    }
    envp = build_env(run_dir, job->env);
    filter = malloc(sizeof *filter);
    if (!envp || !filter) {
        status = GRPO_ERR_NOMEM;
        goto done;
    }

    /* Try the namespaces first; the fallback is decided now, so the seccomp filter can add
     * the signal confinement that only the fallback needs. */
    child_plan plan;
    memset(&plan, 0, sizeof plan);
    unsigned iso = 0;
    int ns_flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;
    int use_ns = 1;
    int clone_errno = 0;
    int have_filter_ns = seccomp_build(filter, limits->max_processes <= 1, 0) == 0;
    unsigned ll_bits_ns = 0;
    landlock_fd = landlock_build(run_dir, job->read_paths, 0, &ll_bits_ns);

    plan.sync_r = sync_p[0];
    plan.status_w = status_p[1];
    plan.stdin_r = stdin_pair[1];
    plan.out_w = out_p[1];
    plan.err_w = err_p[1];
    plan.chan_w = job->channel ? chan_p[1] : -1;
    plan.landlock_fd = landlock_fd;
    plan.use_seccomp = have_filter_ns;
    plan.filter = filter;
    plan.run_dir = run_dir;
    plan.argv = (char *const *)job->argv;
    plan.envp = envp;
    rlim_t cpu = (rlim_t)ceil(limits->cpu_seconds);
    plan.cpu = (struct rlimit){cpu, cpu + 1};
    plan.as = limits->memory_bytes > 0
                  ? (struct rlimit){(rlim_t)limits->memory_bytes, (rlim_t)limits->memory_bytes}
                  : (struct rlimit){RLIM_INFINITY, RLIM_INFINITY};
    plan.fsize = (struct rlimit){(rlim_t)limits->file_bytes, (rlim_t)limits->file_bytes};
    plan.nofile = (struct rlimit){(rlim_t)limits->open_files, (rlim_t)limits->open_files};
    plan.set_nproc = limits->max_processes > 1;
    plan.nproc = (struct rlimit){(rlim_t)limits->max_processes, (rlim_t)limits->max_processes};

    child = clone_child(ns_flags);
    if (child < 0) {
        clone_errno = errno;
        if (limits->require_namespaces) {
            set_error(result, "namespaces (required)", clone_errno);
            goto done;
        }
        use_ns = 0;
        /* Fallback: rebuild the filter with signal confinement and Landlock with TCP rules. */
        plan.use_seccomp = seccomp_build(filter, limits->max_processes <= 1, 1) == 0;
        close_fd(&landlock_fd);
        ll_bits_ns = 0;
        landlock_fd = landlock_build(run_dir, job->read_paths, 1, &ll_bits_ns);
        plan.landlock_fd = landlock_fd;
        child = clone_child(0);
        if (child < 0) {
            set_error(result, "clone", errno);
            goto done;
        }
    }
    if (child == 0) child_main(&plan);

    iso = ll_bits_ns | GRPO_SANDBOX_ISO_PGROUP;
    if (use_ns) iso |= GRPO_SANDBOX_ISO_USERNS | GRPO_SANDBOX_ISO_PIDNS | GRPO_SANDBOX_ISO_NETNS;
    if (plan.use_seccomp) iso |= GRPO_SANDBOX_ISO_SECCOMP;
    if (plan.use_seccomp && limits->max_processes <= 1) iso |= GRPO_SANDBOX_ISO_NOFORK;
    result->isolation = iso;
    result->sys_errno = clone_errno;

    close_fd(&sync_p[0]);
    close_fd(&status_p[1]);
    close_fd(&stdin_pair[1]);
    close_fd(&out_p[1]);
    close_fd(&err_p[1]);
    close_fd(&chan_p[1]);
    close_fd(&landlock_fd);
    s.pidfd = (int)syscall(SYS_pidfd_open, child, 0);
    if (s.pidfd >= 0) fcntl(s.pidfd, F_SETFD, FD_CLOEXEC);

    int handshake_ok = !use_ns || setup_user_namespace(child) == 0;
    int handshake_errno = errno;
    if (!handshake_ok || write(sync_p[1], "g", 1) != 1) {
        kill(child, SIGKILL);
        set_error(result, "user namespace map", handshake_errno);
    }
    close_fd(&sync_p[1]);

    s.stdin_w = stdin_pair[0];
    stdin_pair[0] = -1;
    s.out_r = out_p[0];
    s.err_r = err_p[0];
    s.chan_r = chan_p[0];
    s.status_r = status_p[0];
    out_p[0] = err_p[0] = chan_p[0] = status_p[0] = -1;
    int stream_fds[5] = {s.stdin_w, s.out_r, s.err_r, s.chan_r, s.status_r};
    for (int i = 0; i < 5; i++)
        if (stream_fds[i] >= 0) set_nonblock(stream_fds[i]);

    int fatal_errno = 0;
    int killed = supervise(&s, child, job->stdin_data, job->stdin_len,
                           start + limits->wall_seconds, &fatal_errno);
    kill(child, SIGKILL);
    kill(-child, SIGKILL);
    int wstatus = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(child, &wstatus, __WALL, &ru) < 0 && errno == EINTR) {
    }
    child = -1;
    /* A record cut short by the kill still sits in the pipe; take what is there. */
    if (s.status_r >= 0) {
        char buf[64];
        ssize_t r;
        while ((r = read(s.status_r, buf, sizeof buf)) > 0)
            for (ssize_t j = 0; j < r; j++) {
                s.record_buf[s.record_fill++] = buf[j];
                if (s.record_fill == 8) {
                    if (s.n_records < 3) memcpy(s.status_records[s.n_records++], s.record_buf, 8);
                    s.record_fill = 0;
                }
            }
    }

    result->wall_seconds = now_seconds() - start;
    result->cpu_seconds = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
                          (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
    result->max_rss_bytes = (int64_t)ru.ru_maxrss * 1024;
    result->out = s.out.data;
    result->out_len = s.out.len;
    result->err = s.err.data;
    result->err_len = s.err.len;
    result->channel = s.chan.data;
    result->channel_len = s.chan.len;
    s.out.data = s.err.data = s.chan.data = NULL;
    if (result->status == GRPO_SANDBOX_ERROR) goto done;
    if (fatal_errno == ENOMEM) {
        status = GRPO_ERR_NOMEM;
        goto done;
    }

    int have_wait = 0, program_status = 0;
    for (int i = 0; i < s.n_records; i++) {
        int kind = s.status_records[i][0], value = s.status_records[i][1];
        if (kind == REC_SETUP_ERRNO) {
            int step = value / 65536;
            set_error(result, step >= 0 && step < STEP_COUNT ? setup_steps[step] : "setup",
                      value & 0xffff);
            goto done;
        }
        if (kind == REC_EXEC_ERRNO) {
            result->status = GRPO_SANDBOX_EXEC_FAILED;
            result->sys_errno = value;
            result->error_step = "execve";
            goto done;
        }
        if (kind == REC_WAIT_STATUS) {
            have_wait = 1;
            program_status = value;
        }
    }
    if (fatal_errno) {
        set_error(result, "poll", fatal_errno);
        goto done;
    }
    double cpu_limit = (double)cpu;
    if (killed == KILL_OUTPUT || s.out.over || s.err.over || s.chan.over) {
        result->status = GRPO_SANDBOX_OUTPUT_LIMIT;
    } else if (killed == KILL_DEADLINE) {
        result->status = result->cpu_seconds >= cpu_limit ? GRPO_SANDBOX_CPU_LIMIT
                                                          : GRPO_SANDBOX_WALL_LIMIT;
    } else if (!have_wait) {
        /* init died without reporting: nothing of ours kills it, so the host did (OOM). */
        set_error(result, "supervisor process died",
                  WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus));
    } else if (WIFSIGNALED(program_status)) {
        int sig = WTERMSIG(program_status);
        result->signal = sig;
        if (sig == SIGXCPU || (sig == SIGKILL && result->cpu_seconds >= cpu_limit))
            result->status = GRPO_SANDBOX_CPU_LIMIT;
        else if (sig == SIGXFSZ)
            result->status = GRPO_SANDBOX_OUTPUT_LIMIT;
        else if (looks_like_memory_failure(result, limits->memory_bytes))
            result->status = GRPO_SANDBOX_MEMORY_LIMIT;
        else
            result->status = GRPO_SANDBOX_SIGNALED;
    } else {
        result->exit_code = WEXITSTATUS(program_status);
        result->status = result->exit_code != 0 &&
                                 looks_like_memory_failure(result, limits->memory_bytes)
                             ? GRPO_SANDBOX_MEMORY_LIMIT
                             : GRPO_SANDBOX_EXITED;
        if (result->exit_code != 0 && result->err_len >= 1 &&
            (memmem(result->err, result->err_len, "File too large", 14) ||
             memmem(result->err, result->err_len, "EFBIG", 5)))
            result->status = GRPO_SANDBOX_OUTPUT_LIMIT;
    }
    if (job->collect && result->status == GRPO_SANDBOX_EXITED && result->exit_code == 0 &&
        collect_file(dir_fd, job->collect, (size_t)limits->collect_bytes, &result->collected,
                     &result->collected_len) != 0) {
        result->collected = NULL;
        result->collected_len = 0;
    }

done:
    if (child > 0) {
        kill(child, SIGKILL);
        kill(-child, SIGKILL);
        while (waitpid(child, NULL, __WALL) < 0 && errno == EINTR) {
        }
    }
    int all_fds[] = {stdin_pair[0], stdin_pair[1], out_p[0], out_p[1], err_p[0], err_p[1],
                     chan_p[0], chan_p[1], status_p[0], status_p[1], sync_p[0], sync_p[1],
                     landlock_fd, dir_fd, s.stdin_w, s.out_r, s.err_r, s.chan_r, s.status_r,
                     s.pidfd};
    for (size_t i = 0; i < sizeof all_fds / sizeof all_fds[0]; i++)
        if (all_fds[i] >= 0) close(all_fds[i]);
    free(s.out.data);
    free(s.err.data);
    free(s.chan.data);
    free(filter);
    free_env(envp);
    remove_run_dir(run_dir);
    if (status != GRPO_OK) grpo_sandbox_result_free(result);
    return status;
}

void grpo_sandbox_result_free(grpo_sandbox_result *result) {
    if (!result) return;
    free(result->out);
    free(result->err);
    free(result->channel);
    free(result->collected);
    result->out = result->err = result->channel = result->collected = NULL;
    result->out_len = result->err_len = result->channel_len = result->collected_len = 0;
}

typedef struct batch_ctx {
    grpo_sandbox_result *results;
    const grpo_sandbox_job *jobs;
    const grpo_sandbox_limits *limits;
    _Atomic int failed;
} batch_ctx;

static void batch_range(void *ctx, int64_t begin, int64_t end, int worker) {
    batch_ctx *b = ctx;
    for (int64_t i = begin; i < end; i++) {
        grpo_status st = grpo_sandbox_run(&b->results[i], &b->jobs[i], b->limits);
        if (st != GRPO_OK) b->failed = st;
    }
}

grpo_status grpo_sandbox_run_batch(grpo_sandbox_result *results, const grpo_sandbox_job *jobs,
                                   int64_t n, const grpo_sandbox_limits *limits,
                                   int num_workers) {
    if (n < 0 || (n > 0 && (!results || !jobs))) return GRPO_ERR_INVALID;
    batch_ctx ctx = {results, jobs, limits, 0};
    grpo_status st = grpo_parallel_for(n, 1, num_workers, batch_range, &ctx);
    if (st != GRPO_OK) return st;
    return (grpo_status)ctx.failed;
}

unsigned grpo_sandbox_probe(int *ns_errno, int *landlock_abi_out) {
    unsigned bits = GRPO_SANDBOX_ISO_PGROUP;
    pid_t pid = clone_child(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET);
    if (pid == 0) _exit(0);
    if (ns_errno) *ns_errno = pid < 0 ? errno : 0;
    if (pid > 0) {
        while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR) {
        }
        bits |= GRPO_SANDBOX_ISO_USERNS | GRPO_SANDBOX_ISO_PIDNS | GRPO_SANDBOX_ISO_NETNS;
    }
    int abi = landlock_abi();
    if (landlock_abi_out) *landlock_abi_out = abi;
    if (abi >= 1) bits |= GRPO_SANDBOX_ISO_LANDLOCK;
    if (abi >= 4 && !(bits & GRPO_SANDBOX_ISO_NETNS)) bits |= GRPO_SANDBOX_ISO_LANDLOCK_NET;
    if (abi >= 6) bits |= GRPO_SANDBOX_ISO_LANDLOCK_SCOPE;
    seccomp_plan plan;
    if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 && seccomp_build(&plan, 1, 0) == 0)
        bits |= GRPO_SANDBOX_ISO_SECCOMP | GRPO_SANDBOX_ISO_NOFORK;
    return bits;
}
