/*
 * sandbox.c - runs untrusted programs (generated code) under hard limits, from any thread.
 *
 * Stance: isolation comes from the kernel, not from the program's good manners, and every
 * layer that is missing is reported, never silently skipped.
 *
 * One run, in order:
 *   parent  makes a fresh run directory (the workspace, holding the job's files, owned by
 *           the program's identity; the child builds its root view over it), the run's
 *           pids and memory cgroups, the Landlock ruleset, the seccomp filter, argv/envp, the
 *           list of binds of the root view and every pipe BEFORE starting the child, which
 *           then only makes system calls.
 *   child   started like posix_spawn (CLONE_VM|CLONE_VFORK on its own stack, so nothing of a
 *           large parent is copied and this thread waits until exec), with NEWPID|NEWNET|NEWNS|
 *           NEWIPC|NEWUTS (and NEWUSER for a non-root caller) when the kernel allows it, else
 *           in its own process group (the fallback, reported in result.isolation). It joins
 *           the cgroups, maps its uid (user namespace), wires fds 0-2 (and 3 for the result
 *           channel), closes everything else, pivots into the root view (read-only system
 *           binds, a size-limited tmpfs workspace, no /proc), sets rlimits, becomes the
 *           sandbox uid (a root caller), sets no_new_privs, Landlock, seccomp, and execs with
 *           a minimal environment. As PID 1 of its namespace, its exit makes the kernel kill
 *           every process left in the namespace.
 *   parent  one poll loop feeds stdin (a socket, so a reader that quits raises no SIGPIPE),
 *           drains stdout/stderr/channel up to their caps, and enforces the wall deadline;
 *           then it kills the process group, reaps the child, reads the memory cgroup's peak
 *           and OOM kills, removes the cgroups and the run directory (at any depth, never
 *           following a symlink).
 *
 * Processes: with max_processes == 1 (the default for programs) the seccomp filter refuses
 * fork/vfork/clone-without-CLONE_THREAD, so fork bombs fail at the first fork; threads still
 * work. RLIMIT_NPROC alone cannot do this for root, which the kernel exempts from it (the
 * sandbox uid is not root, and each run has its own).
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
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
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

/* One directory on the way down a tree being removed: its identity (to check ".." on the way
 * back) and the name it has in its parent. */
typedef struct tree_level {
    dev_t dev;
    ino_t ino;
    char *name;
} tree_level;

/* Opens `name` under dir_fd as a directory we may empty: made 0700 first, since the program
 * may have chmod-ed it to 000. */
static int open_subdir(int dir_fd, const char *name) {
    fchmodat(dir_fd, name, 0700, 0);
    return openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Removes `name` under top_fd and everything below it, at any depth, without recursion and
 * never following a symlink: descend into each directory that will not go, come back up
 * through "..", checked against the directory we went down from, and remove the emptied one
 * by name. A directory that still will not go is skipped from then on, so this ends. */
static int remove_tree(int top_fd, const char *name) {
    if (unlinkat(top_fd, name, 0) == 0 || (errno != EISDIR && errno != EPERM)) return 0;
    int fd = open_subdir(top_fd, name);
    if (fd < 0) return unlinkat(top_fd, name, AT_REMOVEDIR);
    tree_level *levels = NULL, *stuck = NULL;
    size_t depth = 0, levels_cap = 0, n_stuck = 0, stuck_cap = 0;
    int rc = 0;
    struct stat st;
    for (;;) {
        int scan = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *dir = scan >= 0 ? fdopendir(scan) : NULL;
        if (!dir) {
            if (scan >= 0) close(scan);
            rc = -1;
            break;
        }
        int child = -1;
        const char *child_name = NULL;
        struct dirent *entry;
        while ((entry = readdir(dir)) != NULL) {
            const char *n = entry->d_name;
            if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0) continue;
            if (unlinkat(fd, n, 0) == 0 || (errno != EISDIR && errno != EPERM)) continue;
            int sub = open_subdir(fd, n);
            if (sub < 0) continue;
            int skip = fstat(sub, &st) != 0;
            for (size_t i = 0; !skip && i < n_stuck; i++)
                skip = stuck[i].dev == st.st_dev && stuck[i].ino == st.st_ino;
            if (skip) {
                close(sub);
                continue;
            }
            child = sub;
            child_name = n;
            break;
        }
        if (child >= 0) {
            char *copy = strdup(child_name);
            if (depth == levels_cap) {
                size_t want = levels_cap ? 2 * levels_cap : 16;
                tree_level *grown = realloc(levels, want * sizeof *grown);
                if (grown) levels = grown, levels_cap = want;
            }
            closedir(dir);
            if (!copy || depth == levels_cap || fstat(fd, &st) != 0) {
                free(copy);
                close(child);
                rc = -1;
                break;
            }
            levels[depth++] = (tree_level){st.st_dev, st.st_ino, copy};
            close(fd);
            fd = child;
            continue;
        }
        closedir(dir);
        if (depth == 0) break;
        tree_level up_level = levels[--depth];
        int up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (up < 0 || fstat(up, &st) != 0 || st.st_dev != up_level.dev ||
            st.st_ino != up_level.ino) {
            if (up >= 0) close(up);
            free(up_level.name);
            rc = -1;
            break;
        }
        struct stat left;
        int have_left = fstat(fd, &left) == 0;
        close(fd);
        fd = up;
        if (unlinkat(fd, up_level.name, AT_REMOVEDIR) != 0 && have_left) {
            if (n_stuck == stuck_cap) {
                size_t want = stuck_cap ? 2 * stuck_cap : 8;
                tree_level *grown = realloc(stuck, want * sizeof *grown);
                if (grown) stuck = grown, stuck_cap = want;
            }
            if (n_stuck == stuck_cap) {
                free(up_level.name);
                rc = -1;
                break;
            }
            stuck[n_stuck++] = (tree_level){left.st_dev, left.st_ino, NULL};
        }
        free(up_level.name);
    }
    close(fd);
    while (depth > 0) free(levels[--depth].name);
    free(levels);
    free(stuck);
    if (unlinkat(top_fd, name, AT_REMOVEDIR) != 0) rc = -1;
    return rc;
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
    remove_tree(parent_fd, slash + 1);
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
#define LL_MAKE_CHAR (1ull << 6)
#define LL_MAKE_BLOCK (1ull << 11)
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
    "/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc/ld.so.cache", "/etc/alternatives",
    "/etc/localtime", "/dev/urandom", "/dev/random", "/dev/zero", NULL};

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
                          unsigned *bits, uint64_t *handled_out) {
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
    *handled_out = handled;
    uint64_t read_only = LL_EXECUTE | LL_READ_FILE | LL_READ_DIR;
    for (int i = 0; system_read_paths[i]; i++)
        landlock_allow(fd, system_read_paths[i], read_only, handled);
    for (int i = 0; extra && extra[i]; i++) landlock_allow(fd, extra[i], read_only, handled);
    landlock_allow(fd, "/dev/null", LL_READ_FILE | LL_WRITE_FILE, handled);
    landlock_allow(fd, run_dir, handled & ~(LL_MAKE_CHAR | LL_MAKE_BLOCK), handled);
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

#define SBX_FILTER_MAX 512

typedef struct seccomp_plan {
    struct sock_filter insns[SBX_FILTER_MAX];
    unsigned short len;
    int self_pid_slots[8]; /* instructions whose k is patched with the program's own pid */
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

/* Allows `nr` only when its first argument names the program itself (its pid is patched in
 * by the child) or, with `allow_zero`, is 0 (also itself for prlimit64). Without a PID
 * namespace, kill(-1) or kill(parent) would otherwise reach the host. */
static void self_only(seccomp_plan *p, long nr, int allow_zero) {
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 5));
    emit(p, (struct sock_filter)LD_ARG0);
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, allow_zero ? 2 : 0, 0));
    if (p->n_self_slots < 8) p->self_pid_slots[p->n_self_slots++] = p->len;
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0));
    emit(p, (struct sock_filter)RET(ERRNO(EPERM)));
    emit(p, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
}

/* What the filter must add to the namespaces a run got. */
typedef struct seccomp_needs {
    int no_fork;         /* refuse new processes (threads allowed) */
    int confine_signals; /* no PID namespace: signals, priorities, ... only on the program */
    int host_ipc;        /* no IPC namespace: SysV and POSIX message queues refused */
    int unbounded_pages; /* no memory cgroup: refuse memfd and SysV shm, which RLIMIT_AS misses */
} seccomp_needs;

#define CLONE_NEW_ANY                                                                          \
    (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
     CLONE_NEWCGROUP)

/* Returns 0 and fills `p`, or -1 when this architecture has no filter of ours. */
static int seccomp_build(seccomp_plan *p, seccomp_needs needs) {
#ifndef SBX_AUDIT_ARCH
    (void)p; (void)needs;
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
    /* No socket(): a pathname unix socket is a door to whatever host process listens on it
     * (Landlock does not cover connect), and inet/netlink/raw ones reach the network.
     * socketpair() still gives local IPC. inotify watches host directories. */
    deny_nr(p, SYS_socket, EACCES);
    static const long denied[] = {
        SYS_inotify_init1, SYS_inotify_add_watch, SYS_fanotify_mark,
        /* Extended attributes: Landlock does not cover them, and a world-writable host file
         * would take them. */
        SYS_setxattr, SYS_lsetxattr, SYS_fsetxattr, SYS_removexattr, SYS_lremovexattr,
        SYS_fremovexattr,
#ifdef SYS_setxattrat
        SYS_setxattrat, SYS_removexattrat,
#endif
#ifdef SYS_inotify_init
        SYS_inotify_init,
#endif
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
    if (needs.host_ipc) {
        static const long ipc[] = {SYS_shmget, SYS_shmat, SYS_shmctl, SYS_msgget, SYS_msgsnd,
                                   SYS_msgrcv, SYS_msgctl, SYS_semget, SYS_semop,
                                   SYS_semtimedop, SYS_semctl, SYS_mq_open, SYS_mq_unlink,
                                   SYS_mq_timedsend, SYS_mq_timedreceive, SYS_mq_notify,
                                   SYS_mq_getsetattr};
        for (size_t i = 0; i < sizeof ipc / sizeof ipc[0]; i++) deny_nr(p, ipc[i], EPERM);
    } else if (needs.unbounded_pages) {
        deny_nr(p, SYS_shmget, ENOMEM);
    }
    if (needs.unbounded_pages) deny_nr(p, SYS_memfd_create, ENOMEM);
    if (needs.no_fork) {
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
    } else {
        /* Processes allowed (compilers): still no namespace of their own. clone3 hides its
         * flags, so it gets ENOSYS and libc falls back to clone. */
        deny_nr(p, SYS_clone3, ENOSYS);
        emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3));
        emit(p, (struct sock_filter)LD_ARG0);
        emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEW_ANY, 0, 1));
        emit(p, (struct sock_filter)RET(ERRNO(EPERM)));
        emit(p, (struct sock_filter)LD_NR);
    }
    if (needs.confine_signals) {
        self_only(p, SYS_kill, 0);
        self_only(p, SYS_tgkill, 0);
        self_only(p, SYS_tkill, 0);
        self_only(p, SYS_prlimit64, 1);
        self_only(p, SYS_rt_sigqueueinfo, 0);
        self_only(p, SYS_rt_tgsigqueueinfo, 0);
        deny_nr(p, SYS_pidfd_send_signal, EPERM);
        deny_nr(p, SYS_pidfd_open, EPERM);
        /* Without a PID namespace these reach every process of the same uid on the host. */
        static const long host_wide[] = {SYS_setpriority, SYS_sched_setscheduler,
                                         SYS_sched_setparam, SYS_sched_setaffinity,
                                         SYS_sched_setattr, SYS_migrate_pages, SYS_move_pages,
                                         SYS_kcmp, SYS_process_madvise,
                                         SYS_ioprio_set, SYS_sethostname,
                                         SYS_setdomainname, SYS_settimeofday,
                                         SYS_clock_settime, SYS_clock_adjtime, SYS_adjtimex,
                                         SYS_acct, SYS_quotactl, SYS_syslog,
#ifdef SYS_iopl
                                         SYS_iopl, SYS_ioperm,
#endif
        };
        for (size_t i = 0; i < sizeof host_wide / sizeof host_wide[0]; i++)
            deny_nr(p, host_wide[i], EPERM);
    }
    emit(p, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
    return p->len <= SBX_FILTER_MAX ? 0 : -1;
#endif
}

/* ------------------------------------------------------------------ the child side */

/* A setup failure in the child travels to the parent as one record {step, errno} on a
 * close-on-exec pipe: a successful exec closes it empty. */
static const char *const setup_steps[] = {"user namespace map", "process group", "fd wiring",
                                          "chdir", "rlimits", "no_new_privs", "landlock",
                                          "seccomp", "execve", "private tmpfs",
                                          "drop capabilities", "cgroup", "root view",
                                          "sandbox identity"};
enum { STEP_IDMAP, STEP_PGROUP, STEP_FDS, STEP_CHDIR, STEP_RLIMIT, STEP_NNP, STEP_LANDLOCK,
       STEP_SECCOMP, STEP_EXEC, STEP_TMPFS, STEP_CAPS, STEP_CGROUP, STEP_VIEW, STEP_IDENTITY,
       STEP_COUNT };

/* One path of the read-only tree the program sees (the root view), prepared by the parent. */
enum { VIEW_DIR, VIEW_FILE, VIEW_DEVICE, VIEW_LINK };
typedef struct view_entry {
    int kind;
    unsigned long lock_flags; /* the source mount's nosuid/nodev/noexec/atime flags, which a
                                 bind remount inside a user namespace must keep */
    char *path;               /* absolute, the same inside as outside */
    char *link;               /* VIEW_LINK: the symlink's text */
} view_entry;

typedef struct child_plan {
    int status_w, stdin_r, out_w, err_w, chan_w; /* chan_w < 0: no channel */
    int landlock_fd;                              /* < 0: none */
    int use_seccomp, in_userns, drop_caps;
    long sandbox_id;                /* >= 0: setresuid/setresgid to it (a root caller) */
    uint64_t landlock_handled;
    const grpo_sandbox_file *files; /* inputs to copy into the private tmpfs */
    int64_t n_files;
    const char *tmpfs_options;      /* non-NULL: the workspace is a private tmpfs */
    const char *shm_options;        /* the root view's /dev/shm tmpfs */
    const view_entry *view;         /* non-NULL: pivot_root into this tree (built on run_dir) */
    size_t n_view;
    const char *cgroup_procs[2];    /* non-NULL: join these cgroups first */
    seccomp_plan *filter;
    const char *run_dir;            /* the workspace; the same path inside the view */
    char *const *argv;
    char *const *envp;
    char uid_map[32], gid_map[32];
    struct rlimit cpu, as, fsize, nofile, nproc;
    int set_nproc;
    sigset_t parent_mask;
} child_plan;

static void __attribute__((noreturn)) child_fail(const child_plan *p, int step) {
    int rec[2] = {step, errno};
    while (write(p->status_w, rec, sizeof rec) < 0 && errno == EINTR) {
    }
    _exit(127);
}

static int write_self_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = write_all(fd, text, strlen(text));
    close(fd);
    return rc;
}

/* Moves `fd` to a descriptor >= 16 so the dup2 onto 0..3 cannot clobber a later source. */
static int lift_fd(int fd) { return fd < 0 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 16); }

/* Writes `v` in decimal at `out` (no terminator; at most 10 bytes); returns the length. */
static size_t put_decimal(char *out, unsigned v) {
    char digits[10];
    size_t d = 0, n = 0;
    do digits[d++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (d) out[n++] = digits[--d];
    return n;
}

/* Creates the missing directories of `path` (a buffer we may write to), 0755, below its first
 * `known` bytes, which name a directory that exists (path[known] is '/' or the end). */
static int make_dirs(char *path, size_t known) {
    if (!path[known]) return 0;
    for (char *c = path + known + 1; *c; c++) {
        if (*c != '/') continue;
        *c = 0;
        int rc = mkdir(path, 0755);
        *c = '/';
        if (rc != 0 && errno != EEXIST) return -1;
    }
    return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* How much of `path` is known to exist: its longest prefix, cut at a '/', shared with `made`
 * (the directory made last), and never less than the view's root (`root_len` bytes). The view
 * is built in sorted order, so most parents were made just before. */
static size_t known_prefix(const char *path, const char *made, size_t root_len) {
    size_t known = root_len, i = 0;
    while (path[i] && path[i] == made[i]) i++;
    for (size_t k = root_len; k <= i; k++)
        if ((path[k] == '/' || !path[k]) && (made[k] == '/' || !made[k])) known = k;
    return known;
}

/* make_dirs for a path in the view; `made` (a buffer as large as `path`) is updated. */
static int make_view_dirs(char *path, char *made, size_t root_len) {
    if (make_dirs(path, known_prefix(path, made, root_len)) != 0) return -1;
    memcpy(made, path, strlen(path) + 1);
    return 0;
}

/* view_root + path into `out`; -1 when it does not fit. */
static int view_path(char *out, size_t cap, const char *view_root, const char *path) {
    size_t a = strlen(view_root), b = strlen(path);
    if (a + b + 1 > cap) return -1;
    memcpy(out, view_root, a);
    memcpy(out + a, path, b + 1);
    return 0;
}

/* Kernels before mount_setattr (5.12): each bind made read-only on its own, keeping the source
 * mount's locked flags (a user namespace may add flags, never drop them). */
static int remount_read_only(const char *target, const view_entry *e) {
    return mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | e->lock_flags,
                 NULL);
}

/* Copies the job's inputs from the host workspace into the private tmpfs at `to_dir`, owned by
 * the sandbox identity. */
static void copy_inputs(child_plan *p, int from_dir, int to_dir) {
    for (int64_t i = 0; i < p->n_files; i++) {
        const grpo_sandbox_file *f = &p->files[i];
        int in = openat(from_dir, f->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        int out = openat(to_dir, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                         f->executable ? 0700 : 0600);
        if (in < 0 || out < 0) child_fail(p, STEP_TMPFS);
        if (p->sandbox_id >= 0 && fchown(out, (uid_t)p->sandbox_id, (gid_t)p->sandbox_id) != 0)
            child_fail(p, STEP_TMPFS);
        size_t left = f->len;
        while (left > 0) {
            ssize_t n = sendfile(out, in, NULL, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) child_fail(p, STEP_TMPFS);
            left -= (size_t)n;
        }
        close(in);
        close(out);
    }
}

/* Grants the program read-write access below `dir_fd` (a mount made in the child). */
static void landlock_grant_rw(child_plan *p, int dir_fd) {
    if (p->landlock_fd < 0) return;
    ll_path_beneath rule = {p->landlock_handled & ~(LL_MAKE_CHAR | LL_MAKE_BLOCK), dir_fd};
    if (syscall(SYS_landlock_add_rule, p->landlock_fd, LL_RULE_PATH_BENEATH, &rule, 0) != 0)
        child_fail(p, STEP_LANDLOCK);
}

/* A detached copy of the mount at `dir_fd` (open_tree), and attaching it at `target`
 * (move_mount); -1 with ENOSYS before 5.2. The flags are <linux/mount.h>'s, which clashes
 * with <sys/mount.h> on older C libraries. */
static int clone_tree(int dir_fd) {
#ifdef SYS_open_tree
    return (int)syscall(SYS_open_tree, dir_fd, "", 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC |
                                                       AT_EMPTY_PATH);
#else
    (void)dir_fd;
    errno = ENOSYS;
    return -1;
#endif
}

static int attach_tree(int tree_fd, const char *target) {
#ifdef SYS_move_mount
    return (int)syscall(SYS_move_mount, tree_fd, "", AT_FDCWD, target,
                        0x4 /* MOVE_MOUNT_F_EMPTY_PATH */);
#else
    (void)tree_fd;
    (void)target;
    errno = ENOSYS;
    return -1;
#endif
}

/* The root view, in the child's own mount namespace: a small tmpfs over the run directory
 * holding binds of the system paths and the interpreter's prefix and
 * /dev/{null,zero,random,urandom}, all made read-only and nosuid at once (device nodes stay
 * writable on a read-only mount), then a bounded /dev/shm and the workspace (a size-limited
 * tmpfs with the inputs copied in, or the host run directory itself when a file is collected)
 * at the run directory's own path, over the host tree that pivot_root put there: no other
 * host path, socket or /proc is nameable. Few mount operations and directories: each mount
 * makes concurrent path walks elsewhere on the machine retry. */
static void enter_root_view(child_plan *p) {
    char target[8192], made[8192] = "", shm[8192], work_target[8192];
    size_t root_len = strlen(p->run_dir);
    /* Opened before the view covers it: the inputs are copied from here, or (a compile job)
     * the directory itself becomes the workspace. */
    int host_dir = open(p->run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (host_dir < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        child_fail(p, STEP_VIEW);
    int host_tree = -1;
    if (!p->tmpfs_options && (host_tree = clone_tree(host_dir)) < 0 && errno != ENOSYS)
        child_fail(p, STEP_VIEW);
    if (mount("tmpfs", p->run_dir, "tmpfs", MS_NOSUID | MS_NODEV,
              "size=1048576,nr_inodes=1024,mode=0755") != 0)
        child_fail(p, STEP_VIEW);
    mode_t old_umask = umask(022);
    for (size_t i = 0; i < p->n_view; i++) {
        const view_entry *e = &p->view[i];
        if (view_path(target, sizeof target, p->run_dir, e->path) != 0) child_fail(p, STEP_VIEW);
        char *slash = strrchr(target, '/');
        int rc;
        if (e->kind == VIEW_DIR) {
            rc = make_view_dirs(target, made, root_len) != 0 ||
                 mount(e->path, target, NULL, MS_BIND | MS_REC, NULL) != 0;
        } else {
            *slash = 0;
            rc = make_view_dirs(target, made, root_len);
            *slash = '/';
            if (rc == 0 && e->kind == VIEW_LINK) {
                rc = symlink(e->link, target) != 0 && errno != EEXIST;
            } else if (rc == 0) {
                int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                rc = fd < 0 || mount(e->path, target, NULL, MS_BIND, NULL) != 0;
                if (fd >= 0) close(fd);
            }
        }
        if (rc) child_fail(p, STEP_VIEW);
    }
    if (view_path(shm, sizeof shm, p->run_dir, "/dev/shm") != 0 ||
        make_view_dirs(shm, made, root_len) != 0 ||
        view_path(work_target, sizeof work_target, p->run_dir, p->run_dir) != 0 ||
        make_view_dirs(work_target, made, root_len) != 0)
        child_fail(p, STEP_VIEW);
    umask(old_umask);
    struct { uint64_t attr_set, attr_clr, propagation, userns_fd; } read_only = {
        0x1 /* MOUNT_ATTR_RDONLY */ | 0x2 /* MOUNT_ATTR_NOSUID */, 0, 0, 0};
    int root_still_writable = 0;
    if (syscall(SYS_mount_setattr, AT_FDCWD, p->run_dir, AT_RECURSIVE, &read_only,
                sizeof read_only) != 0) {
        if (errno != ENOSYS) child_fail(p, STEP_VIEW);
        for (size_t i = 0; i < p->n_view; i++) {
            const view_entry *e = &p->view[i];
            if (e->kind == VIEW_LINK) continue;
            if (view_path(target, sizeof target, p->run_dir, e->path) != 0 ||
                remount_read_only(target, e) != 0)
                child_fail(p, STEP_VIEW);
        }
        root_still_writable = 1;
    }
    if (mount("tmpfs", shm, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, p->shm_options) != 0)
        child_fail(p, STEP_VIEW);
    int shm_dir = open(shm, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (shm_dir < 0) child_fail(p, STEP_VIEW);
    landlock_grant_rw(p, shm_dir);
    close(shm_dir);
    /* The host tree goes where the workspace will be (pivot_root's put_old) and the workspace
     * is mounted over it: hidden under a mount the program cannot remove (it holds no
     * capability, and in a namespace of its own the pair would be locked together), and no
     * umount, whose RCU grace period every run would wait for. */
    if (chdir(p->run_dir) != 0 || syscall(SYS_pivot_root, ".", work_target) != 0 ||
        chdir("/") != 0 ||
        (root_still_writable &&
         mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0))
        child_fail(p, STEP_VIEW);
    if (p->tmpfs_options) {
        if (mount("tmpfs", p->run_dir, "tmpfs", MS_NOSUID | MS_NODEV, p->tmpfs_options) != 0)
            child_fail(p, STEP_TMPFS);
        int work = open(p->run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (work < 0) child_fail(p, STEP_TMPFS);
        copy_inputs(p, host_dir, work);
        landlock_grant_rw(p, work);
        close(work);
    } else {
        /* Before 5.2 (no open_tree) the bind comes from the descriptor's link in the host's
         * /proc, now under the workspace's path. */
        char fd_link[8192];
        if (view_path(fd_link, sizeof fd_link - 16, p->run_dir, "/proc/self/fd/") != 0)
            child_fail(p, STEP_VIEW);
        size_t n = strlen(fd_link);
        n += put_decimal(fd_link + n, (unsigned)host_dir);
        fd_link[n] = 0;
        int moved = host_tree >= 0 ? attach_tree(host_tree, p->run_dir)
                                   : mount(fd_link, p->run_dir, NULL, MS_BIND, NULL);
        if (moved != 0 ||
            mount(NULL, p->run_dir, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV, NULL) != 0)
            child_fail(p, STEP_VIEW);
        if (host_tree >= 0) close(host_tree);
    }
    close(host_dir);
}

/* Locks root out of capabilities (`securebits`) and empties the bounding and ambient sets;
 * what is still held goes with drop_held_capabilities (or with the uid change). */
static void lock_capabilities(child_plan *p, unsigned securebits) {
    int root = geteuid() == 0;
    if (root && prctl(PR_SET_SECUREBITS, securebits, 0, 0, 0) != 0) child_fail(p, STEP_CAPS);
    /* Capabilities are numbered without gaps: EINVAL means past the kernel's last one. */
    for (int cap = 0; cap < 64; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) continue;
        if (errno == EINVAL) break;
        if (root) child_fail(p, STEP_CAPS);
    }
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

static void drop_held_capabilities(child_plan *p) {
    struct { uint32_t version; int pid; } header = {0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0};
    struct { uint32_t effective, permitted, inheritable; } data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &header, data) != 0) child_fail(p, STEP_CAPS);
}

/* A root caller's program becomes the run's sandbox uid/gid, so every permission check on a
 * host object (file modes and metadata, IPC, signals) fails as for a stranger. Raw system
 * calls: glibc's setresuid would signal every thread of the process whose memory we share. */
static void become_sandbox_identity(child_plan *p) {
    /* NOROOT and the locks of NO_SETUID_FIXUP and KEEP_CAPS: the uid change clears every
     * capability, and nothing can bring them back. */
    lock_capabilities(p, 0x2b);
    uid_t id = (uid_t)p->sandbox_id;
    if (syscall(SYS_setgroups, 0, NULL) != 0 || syscall(SYS_setresgid, id, id, id) != 0 ||
        syscall(SYS_setresuid, id, id, id) != 0 || getuid() != id || geteuid() != id)
        child_fail(p, STEP_IDENTITY);
    drop_held_capabilities(p);
}

/* The child, started like posix_spawn: it shares our memory (CLONE_VM) while this thread
 * waits (CLONE_VFORK), so it must not allocate or take locks: only system calls on data the
 * parent prepared. It becomes the program by exec; in a new PID namespace it is PID 1, whose
 * exit makes the kernel kill every process left in the namespace. */
static int child_main(void *arg) {
    child_plan *p = arg;
    /* Python's signal handlers live in memory we share: take them down before unblocking. */
    for (int sig = 1; sig < 65; sig++) {
        struct sigaction sa;
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_IGN &&
            sa.sa_handler != SIG_DFL) {
            sa.sa_handler = SIG_DFL;
            sa.sa_flags = 0;
            sigaction(sig, &sa, NULL);
        }
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int i = 0; i < 2; i++)
        if (p->cgroup_procs[i] && write_self_file(p->cgroup_procs[i], "0\n") != 0)
            child_fail(p, STEP_CGROUP);
    if (p->in_userns &&
        (write_self_file("/proc/self/setgroups", "deny") != 0 ||
         write_self_file("/proc/self/uid_map", p->uid_map) != 0 ||
         write_self_file("/proc/self/gid_map", p->gid_map) != 0))
        child_fail(p, STEP_IDMAP);
    if (setpgid(0, 0) != 0) child_fail(p, STEP_PGROUP);
    int src[4] = {lift_fd(p->stdin_r), lift_fd(p->out_w), lift_fd(p->err_w), lift_fd(p->chan_w)};
    int status_w = lift_fd(p->status_w), landlock_fd = lift_fd(p->landlock_fd);
    if (src[0] < 0 || src[1] < 0 || src[2] < 0 || status_w < 0) child_fail(p, STEP_FDS);
    p->status_w = status_w;
    int n_std = p->chan_w >= 0 ? 4 : 3;
    for (int i = 0; i < n_std; i++)
        if (dup2(src[i], i) != i) child_fail(p, STEP_FDS);
    /* Only 0..n_std-1 survive exec. The status pipe and the Landlock ruleset sit just above,
     * close-on-exec; everything else this process inherited (sockets, GPU handles, pipes of
     * runs other threads are starting) is closed now. */
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
    if (p->view) enter_root_view(p);
    /* The workspace is entered before the identity changes: in the fallback its host ancestors
     * (a 0700 temp root) need not be searchable by the sandbox uid. */
    if (chdir(p->run_dir) != 0) child_fail(p, STEP_CHDIR);
    umask(077);
    struct rlimit core = {0, 0}, memlock = {0, 0};
    if (setrlimit(RLIMIT_CPU, &p->cpu) != 0 || setrlimit(RLIMIT_FSIZE, &p->fsize) != 0 ||
        setrlimit(RLIMIT_NOFILE, &p->nofile) != 0 || setrlimit(RLIMIT_CORE, &core) != 0 ||
        setrlimit(RLIMIT_MEMLOCK, &memlock) != 0 ||
        (p->as.rlim_cur != RLIM_INFINITY && setrlimit(RLIMIT_AS, &p->as) != 0) ||
        (p->set_nproc && setrlimit(RLIMIT_NPROC, &p->nproc) != 0))
        child_fail(p, STEP_RLIMIT);
    if (p->sandbox_id >= 0) become_sandbox_identity(p);
    else if (p->drop_caps) {
        /* Fallback of a non-root caller: whatever capabilities it held go. */
        lock_capabilities(p, 0x2f);
        drop_held_capabilities(p);
    }
    /* After the identity: a credential change clears the parent-death signal. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
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
    child_fail(p, STEP_EXEC);
}

/* ------------------------------------------------------------------ the parent side */

static const char *const base_env[] = {
    "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
    "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1", "MKL_NUM_THREADS=1", "MALLOC_ARENA_MAX=2",
    "PYTHONDONTWRITEBYTECODE=1", "PYTHONIOENCODING=utf-8", "PYTHONHASHSEED=0", NULL};

/* "1000 <id> 1\n": the outside id becomes 1000 inside, not 0, so the program holds no
 * capability in its namespace after exec. */
static void format_id_map(char *out, unsigned id) {
    memcpy(out, "1000 ", 5);
    size_t n = 5 + put_decimal(out + 5, id);
    memcpy(out + n, " 1\n", 4);
}

#define CHILD_STACK_BYTES (256 * 1024)

/* Starts the child with signals blocked in this thread (restored after), so no handler of
 * ours runs on the child's borrowed stack. Returns its pid or -1 with errno. */
static pid_t spawn_child(child_plan *plan, int ns_flags, void *stack) {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &plan->parent_mask);
    pid_t pid = clone(child_main, (char *)stack + CHILD_STACK_BYTES,
                      ns_flags | CLONE_VM | CLONE_VFORK | SIGCHLD, plan);
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &plan->parent_mask, NULL);
    errno = saved;
    return pid;
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
 * runtime reports its own way. (The peak resident size cannot help: a vfork-style spawn makes
 * the kernel count the parent's image in it.) */
static int looks_like_memory_failure(const grpo_sandbox_result *r, int64_t limit) {
    static const char *const markers[] = {"MemoryError", "std::bad_alloc",
                                          "Cannot allocate memory", "out of memory", NULL};
    if (limit <= 0) return 0;
    for (int i = 0; markers[i]; i++) {
        size_t m = strlen(markers[i]);
        for (size_t j = 0; r->err && j + m <= r->err_len; j++)
            if (memcmp(r->err + j, markers[i], m) == 0) return 1;
    }
    return 0;
}

static int valid_limits(const grpo_sandbox_limits *l) {
    return l && l->wall_seconds > 0 && l->cpu_seconds > 0 && l->wall_seconds <= 1e9 &&
           l->cpu_seconds <= 1e9 && l->memory_bytes >= 0 && l->file_bytes > 0 &&
           l->max_tasks >= 0 &&
           l->stdout_bytes >= 0 && l->stderr_bytes >= 0 && l->collect_bytes >= 0 &&
           l->max_processes >= 1 && l->open_files >= 4 && l->namespaces >= GRPO_SANDBOX_NS_AUTO &&
           l->namespaces <= GRPO_SANDBOX_NS_OFF;
}

enum { KILL_NONE, KILL_DEADLINE, KILL_OUTPUT };

typedef struct run_state {
    int stdin_w, out_r, err_r, chan_r, pidfd;
    capture out, err, chan;
} run_state;

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

static void kill_run(pid_t child) {
    kill(child, SIGKILL);
    kill(-child, SIGKILL);
}

/* The poll loop: feed stdin, drain the streams, notice the child's exit, enforce the deadline.
 * Returns KILL_* for why we killed the child. On return the child is a zombie (or about to
 * be); the caller reaps it. */
static int supervise(run_state *s, pid_t child, const char *in, size_t in_len, double deadline,
                     int *fatal_errno) {
    size_t in_sent = 0;
    int killed = KILL_NONE, exited = 0;
    double grace_end = 0;
    if (in_len == 0) close_fd(&s->stdin_w);
    else shutdown(s->stdin_w, SHUT_RD);
    for (;;) {
        if (!exited) {
            siginfo_t info;
            memset(&info, 0, sizeof info);
            if (waitid(P_PID, (id_t)child, &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
                info.si_pid == child) {
                exited = 1;
                /* Kill stragglers in the group while the zombie still pins the pgid. In a PID
                 * namespace the kernel has already killed them. */
                kill(-child, SIGKILL);
                grace_end = now_seconds() + 0.5;
                close_fd(&s->stdin_w);
            }
        }
        int streams_open = s->out_r >= 0 || s->err_r >= 0 || s->chan_r >= 0;
        if (exited && (!streams_open || now_seconds() > grace_end)) return killed;
        double now = now_seconds();
        if (!exited && !killed && now >= deadline) {
            kill_run(child);
            killed = KILL_DEADLINE;
        }
        struct pollfd fds[5];
        int *owners[5];
        int n = 0;
        int *watch[4] = {&s->out_r, &s->err_r, &s->chan_r, &s->stdin_w};
        for (int i = 0; i < 4; i++) {
            if (*watch[i] < 0) continue;
            fds[n] = (struct pollfd){*watch[i], i == 3 ? POLLOUT : POLLIN, 0};
            owners[n++] = watch[i];
        }
        if (s->pidfd >= 0 && !exited) {
            fds[n] = (struct pollfd){s->pidfd, POLLIN, 0};
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
            kill_run(child);
            return KILL_DEADLINE;
        }
        for (int i = 0; i < n; i++) {
            if (!fds[i].revents || owners[i] == NULL) continue;
            int *fdp = owners[i];
            if (fdp == &s->stdin_w) {
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
            capture *c = fdp == &s->out_r ? &s->out : fdp == &s->err_r ? &s->err : &s->chan;
            if (capture_append(c, buf, (size_t)r) != 0) {
                *fatal_errno = ENOMEM;
                c->over = 1;
            }
            if (c->over) {
                if (!killed && !exited) {
                    kill_run(child);
                    killed = KILL_OUTPUT;
                }
                close_fd(fdp);
            }
        }
    }
}

/* ------------------------------------------------------------------ cgroups */

/* Where new cgroups for `controller` go: our own cgroup's directory in its hierarchy (v1
 * "N:a,b:/path", v2 "0::/path" with the controller delegated to children), when writable.
 * Returns the version (1 or 2), or 0. */
static int cgroup_base(const char *controller, char *out, size_t cap) {
    int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    size_t clen = strlen(controller);
    char v2_path[4096] = "";
    for (char *line = buf; *line;) {
        char *next = strchr(line, '\n');
        if (next) *next = 0;
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c1 && c2) {
            *c2 = 0;
            const char *list = c1 + 1, *path = c2 + 1;
            if (!list[0] && strlen(path) < sizeof v2_path) {
                memcpy(v2_path, path, strlen(path) + 1);
            } else {
                for (const char *m = strstr(list, controller); m; m = strstr(m + 1, controller)) {
                    if ((m == list || m[-1] == ',') && (m[clen] == 0 || m[clen] == ',')) {
                        int len = snprintf(out, cap, "/sys/fs/cgroup/%s%s", list,
                                           strcmp(path, "/") ? path : "");
                        char probe[4200];
                        snprintf(probe, sizeof probe, "%s/cgroup.procs", out);
                        if (len > 0 && (size_t)len < cap && access(probe, W_OK) == 0) return 1;
                        break;
                    }
                }
            }
        }
        line = next ? next + 1 : line + strlen(line);
    }
    if (!v2_path[0]) return 0;
    const char *mount_point =
        access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "/sys/fs/cgroup"
                                                               : "/sys/fs/cgroup/unified";
    int len = snprintf(out, cap, "%s%s", mount_point, strcmp(v2_path, "/") ? v2_path : "");
    if (len <= 0 || (size_t)len >= cap || access(out, W_OK) != 0) return 0;
    char path[4200], delegated[512];
    snprintf(path, sizeof path, "%s/cgroup.subtree_control", out);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    n = read(fd, delegated, sizeof delegated - 1);
    close(fd);
    delegated[n > 0 ? n : 0] = 0;
    char *rest = NULL;
    for (char *word = strtok_r(delegated, " \n", &rest); word; word = strtok_r(NULL, " \n", &rest))
        if (strcmp(word, controller) == 0) return 2;
    return 0;
}

static int write_cgroup_file(const char *dir, const char *file, long long value) {
    char path[4200], text[32];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int len = snprintf(text, sizeof text, "%lld\n", value);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = write_all(fd, text, (size_t)len);
    close(fd);
    return rc;
}

/* The first number in `file`, or after `key` in it ("oom_kill 3"); -1 when absent. */
static long long read_cgroup_number(const char *dir, const char *file, const char *key) {
    char path[4200], text[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return -1;
    text[n] = 0;
    const char *at = text;
    if (key) {
        size_t klen = strlen(key);
        for (at = strstr(text, key); at && !((at == text || at[-1] == '\n') && at[klen] == ' ');
             at = strstr(at + 1, key)) {
        }
        if (!at) return -1;
        at += klen + 1;
    }
    return strtoll(at, NULL, 10);
}

/* The cgroups of one run: one directory per hierarchy (v1 puts pids and memory apart). */
enum { CG_PIDS = 1, CG_MEMORY = 2 };
typedef struct run_cgroups {
    int n;
    char dir[2][4096], procs[2][4200];
    int version[2];
    unsigned controllers[2];
} run_cgroups;

/* Where this process may make cgroups, per controller (pids, memory): the hierarchy's
 * version (0: none) and the parent directory. Found once per batch. */
typedef struct cgroup_parents {
    int version[2];
    char base[2][4000];
} cgroup_parents;

static void cgroup_parents_find(cgroup_parents *h) {
    const char *controller[2] = {"pids", "memory"};
    for (int c = 0; c < 2; c++)
        h->version[c] = cgroup_base(controller[c], h->base[c], sizeof h->base[c]);
}

/* Makes this run's cgroups: pids.max = max_tasks, memory bounded by memory_limit (0: no
 * memory cgroup). Controllers that cannot be had are left out; the caller reports them. */
static void cgroups_create(run_cgroups *g, const cgroup_parents *h, const char *name,
                           int max_tasks, int64_t memory_limit) {
    memset(g, 0, sizeof *g);
    unsigned bit[2] = {CG_PIDS, CG_MEMORY};
    int wanted[2] = {max_tasks > 0, memory_limit > 0};
    for (int c = 0; c < 2; c++) {
        int version = wanted[c] ? h->version[c] : 0;
        if (!version) continue;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", h->base[c], name);
        int slot = -1, made = 0;
        for (int i = 0; i < g->n; i++)
            if (strcmp(g->dir[i], dir) == 0) slot = i;
        if (slot < 0) {
            if (mkdir(dir, 0755) != 0) continue;
            slot = g->n;
            made = 1;
        }
        int ok;
        if (bit[c] == CG_PIDS) {
            ok = write_cgroup_file(dir, "pids.max", max_tasks) == 0;
        } else if (version == 1) {
            ok = write_cgroup_file(dir, "memory.limit_in_bytes", memory_limit) == 0;
            write_cgroup_file(dir, "memory.memsw.limit_in_bytes", memory_limit);
        } else {
            ok = write_cgroup_file(dir, "memory.max", memory_limit) == 0;
            write_cgroup_file(dir, "memory.swap.max", 0);
        }
        if (made && !ok) {
            rmdir(dir); /* a directory whose controller could not be set up is of no use */
            continue;
        }
        if (made) {
            g->n++;
            memcpy(g->dir[slot], dir, sizeof dir);
            snprintf(g->procs[slot], sizeof g->procs[slot], "%s/cgroup.procs", dir);
            g->version[slot] = version;
        }
        if (ok) g->controllers[slot] |= bit[c];
    }
}

static unsigned cgroups_have(const run_cgroups *g) {
    unsigned all = 0;
    for (int i = 0; i < g->n; i++) all |= g->controllers[i];
    return all;
}

/* The memory cgroup's peak and OOM kills, read before it goes. */
static void cgroups_memory_report(const run_cgroups *g, grpo_sandbox_result *r) {
    for (int i = 0; i < g->n; i++) {
        if (!(g->controllers[i] & CG_MEMORY)) continue;
        int v1 = g->version[i] == 1;
        long long peak = read_cgroup_number(g->dir[i], v1 ? "memory.max_usage_in_bytes"
                                                           : "memory.peak", NULL);
        long long kills = read_cgroup_number(g->dir[i], v1 ? "memory.oom_control"
                                                            : "memory.events", "oom_kill");
        r->memory_peak_bytes = peak > 0 ? peak : 0;
        r->oom_kills = kills > 0 ? kills : 0;
    }
}

/* Kills whatever is still in each cgroup (a fallback run's setsid escapees included), then
 * removes it, waiting briefly for the killed tasks to leave. */
static void cgroups_destroy(run_cgroups *g) {
    for (int i = 0; i < g->n; i++) {
        for (int attempt = 0; attempt < 200; attempt++) {
            if (rmdir(g->dir[i]) == 0 || errno != EBUSY) break;
            int fd = open(g->procs[i], O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                char buf[4096];
                ssize_t n = read(fd, buf, sizeof buf - 1);
                close(fd);
                for (ssize_t k = 0; n > 0 && k < n;) {
                    long pid = 0;
                    while (k < n && buf[k] >= '0' && buf[k] <= '9') pid = pid * 10 + (buf[k++] - '0');
                    if (pid > 1) kill((pid_t)pid, SIGKILL);
                    k++;
                }
            }
            /* The reaped tasks leave the cgroup a moment after wait4: retry soon, then less
             * often (about 0.4 s in all). */
            struct timespec pause = {0, attempt < 10 ? 20000L << (attempt / 2) : 2000000L};
            nanosleep(&pause, NULL);
        }
    }
    g->n = 0;
}

/* ------------------------------------------------------------------ the root view */

typedef struct view_plan {
    view_entry *entries;
    size_t n, cap;
} view_plan;

static void view_free(view_plan *v) {
    for (size_t i = 0; i < v->n; i++) {
        free(v->entries[i].path);
        free(v->entries[i].link);
    }
    free(v->entries);
    memset(v, 0, sizeof *v);
}

static int view_covers(const view_plan *v, const char *path) {
    for (size_t i = 0; i < v->n; i++) {
        size_t len = strlen(v->entries[i].path);
        if (strncmp(v->entries[i].path, path, len) == 0 &&
            (path[len] == 0 || (v->entries[i].kind == VIEW_DIR && path[len] == '/')))
            return 1;
    }
    return 0;
}

/* Adds `path` as it is on the host: a symlink is kept as a symlink and its target added too. */
static int view_add(view_plan *v, const char *path, int depth) {
    struct stat st;
    if (path[0] != '/' || view_covers(v, path) || lstat(path, &st) != 0) return 0;
    view_entry e = {0, 0, NULL, NULL};
    if (S_ISLNK(st.st_mode)) {
        char link[4096];
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n <= 0) return 0;
        link[n] = 0;
        e.kind = VIEW_LINK;
        e.link = strdup(link);
        if (!e.link) return -1;
    } else if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)) {
        struct statvfs fs;
        e.kind = S_ISDIR(st.st_mode) ? VIEW_DIR : S_ISREG(st.st_mode) ? VIEW_FILE : VIEW_DEVICE;
        static const unsigned long st_to_ms[][2] = {
            {ST_NOSUID, MS_NOSUID}, {ST_NODEV, MS_NODEV}, {ST_NOEXEC, MS_NOEXEC},
            {ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME}};
        if (statvfs(path, &fs) == 0)
            for (size_t i = 0; i < sizeof st_to_ms / sizeof st_to_ms[0]; i++)
                if (fs.f_flag & st_to_ms[i][0]) e.lock_flags |= st_to_ms[i][1];
    } else {
        return 0;
    }
    e.path = strdup(path);
    if (!e.path || (v->n == v->cap && !(v->entries = realloc(v->entries, (v->cap = v->cap * 2 + 16) *
                                                                          sizeof *v->entries)))) {
        free(e.path);
        free(e.link);
        return -1;
    }
    v->entries[v->n++] = e;
    if (e.kind == VIEW_LINK && depth < 8) {
        char *real = realpath(path, NULL);
        int rc = real ? view_add(v, real, depth + 1) : 0;
        free(real);
        return rc;
    }
    return 0;
}

static int compare_paths(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *const view_devices[] = {"/dev/null", "/dev/zero", "/dev/urandom",
                                           "/dev/random", NULL};

/* The tree the program sees: the system paths, `extra` (the interpreter's prefix) and the
 * device nodes, each once, parents before children. */
static int view_build(view_plan *v, const char *const *extra) {
    const char *paths[128];
    size_t n = 0;
    for (int i = 0; system_read_paths[i] && n < 64; i++)
        if (strncmp(system_read_paths[i], "/dev/", 5) != 0) paths[n++] = system_read_paths[i];
    for (int i = 0; extra && extra[i] && n < 120; i++) paths[n++] = extra[i];
    qsort(paths, n, sizeof paths[0], compare_paths);
    /* Real directories first, so a symlink's target is usually covered already. */
    for (int links = 0; links < 2; links++) {
        for (size_t i = 0; i < n; i++) {
            struct stat st;
            if (lstat(paths[i], &st) == 0 && (S_ISLNK(st.st_mode) != 0) == links &&
                view_add(v, paths[i], 0) != 0)
                return -1;
        }
    }
    for (int i = 0; view_devices[i]; i++)
        if (view_add(v, view_devices[i], 0) != 0) return -1;
    return 0;
}

/* What the runs of one batch share, found once: the cgroup parents and one root view per
 * distinct set of read paths (the view of job i is views[view_of[i]]). */
typedef struct run_shared {
    cgroup_parents cgroups;
    view_plan *views;
    size_t n_views;
    size_t *view_of;
} run_shared;

static int same_paths(const char *const *a, const char *const *b) {
    if (a == b) return 1;
    if (!a || !b) return 0;
    for (; *a && *b; a++, b++)
        if (strcmp(*a, *b) != 0) return 0;
    return !*a && !*b;
}

static void run_shared_free(run_shared *r) {
    for (size_t i = 0; i < r->n_views; i++) view_free(&r->views[i]);
    free(r->views);
    free(r->view_of);
    memset(r, 0, sizeof *r);
}

/* Jobs usually share one interpreter's paths: a view is built for each new set, looked up
 * among the last few sets seen. */
enum { VIEW_LOOKBACK = 8 };

static grpo_status run_shared_prepare(run_shared *r, const grpo_sandbox_job *jobs, int64_t n) {
    memset(r, 0, sizeof *r);
    cgroup_parents_find(&r->cgroups);
    r->views = calloc(n > 0 ? (size_t)n : 1, sizeof *r->views);
    r->view_of = calloc(n > 0 ? (size_t)n : 1, sizeof *r->view_of);
    const char *const **keys = calloc(n > 0 ? (size_t)n : 1, sizeof *keys);
    grpo_status status = r->views && r->view_of && keys ? GRPO_OK : GRPO_ERR_NOMEM;
    for (int64_t i = 0; i < n && status == GRPO_OK; i++) {
        size_t found = r->n_views;
        for (size_t k = r->n_views; k > 0 && k + VIEW_LOOKBACK > r->n_views; k--)
            if (same_paths(keys[k - 1], jobs[i].read_paths)) {
                found = k - 1;
                break;
            }
        if (found == r->n_views) {
            keys[found] = jobs[i].read_paths;
            r->n_views++;
            if (view_build(&r->views[found], jobs[i].read_paths) != 0) status = GRPO_ERR_NOMEM;
        }
        r->view_of[i] = found;
    }
    free(keys);
    if (status != GRPO_OK) run_shared_free(r);
    return status;
}

static void set_error(grpo_sandbox_result *r, const char *step, int err) {
    r->status = GRPO_SANDBOX_ERROR;
    r->error_step = step;
    r->sys_errno = err;
}

static int valid_job(const grpo_sandbox_job *job) {
    if (!job || !job->argv || !job->argv[0] || job->n_files < 0 ||
        (job->n_files > 0 && !job->files) || (job->stdin_len > 0 && !job->stdin_data) ||
        (job->collect && !valid_file_name(job->collect)))
        return 0;
    if (job->argv[0][0] != '/' && strncmp(job->argv[0], "./", 2) != 0) return 0;
    for (int64_t i = 0; i < job->n_files; i++)
        if (!valid_file_name(job->files[i].name) || (job->files[i].len && !job->files[i].data))
            return 0;
    return 1;
}

/* Fills result->status from how the program ended. */
void grpo_sandbox_classify(grpo_sandbox_result *r, const grpo_sandbox_end *end,
                           const grpo_sandbox_limits *limits) {
    const double cpu_limit = ceil(limits->cpu_seconds); /* RLIMIT_CPU counts whole seconds */
    const int64_t memory_limit = limits->memory_bytes;
    const int signaled = end->kind == GRPO_SANDBOX_END_SIGNAL;
    const int failed = signaled || (end->kind == GRPO_SANDBOX_END_EXIT && end->value != 0);
    /* The kernel sends SIGKILL at the hard CPU limit by its tick-sampled clock, which on a
     * loaded machine runs well ahead of the precise time rusage reports. Nothing else here
     * sends an unrequested SIGKILL, so half the limit is evidence enough. */
    const int cpu_kill = signaled && end->value == SIGKILL && r->cpu_seconds >= 0.5 * cpu_limit;
    if (end->kind == GRPO_SANDBOX_END_OUTPUT || end->over) {
        r->status = GRPO_SANDBOX_OUTPUT_LIMIT;
    } else if (end->kind == GRPO_SANDBOX_END_DEADLINE) {
        r->status = r->cpu_seconds >= cpu_limit ? GRPO_SANDBOX_CPU_LIMIT : GRPO_SANDBOX_WALL_LIMIT;
    } else if (r->oom_kills > 0 && failed &&
               (!end->oom_shared || (signaled && end->value == SIGKILL && !cpu_kill))) {
        /* The memory cgroup's limit killed a process of the run. */
        r->signal = signaled ? end->value : 0;
        r->exit_code = signaled ? 0 : end->value;
        r->status = GRPO_SANDBOX_MEMORY_LIMIT;
    } else if (signaled) {
        r->signal = end->value;
        if (end->value == SIGXCPU || cpu_kill)
            r->status = GRPO_SANDBOX_CPU_LIMIT;
        else if (end->value == SIGXFSZ)
            r->status = GRPO_SANDBOX_OUTPUT_LIMIT;
        else if (looks_like_memory_failure(r, memory_limit))
            r->status = GRPO_SANDBOX_MEMORY_LIMIT;
        else
            r->status = GRPO_SANDBOX_SIGNALED;
    } else {
        r->exit_code = end->value;
        r->status = GRPO_SANDBOX_EXITED;
        if (r->exit_code == 0) return;
        /* As PID 1 of its namespace the program ignores SIGXFSZ, so a file over the limit
         * surfaces as EFBIG from write(); a full private tmpfs as ENOSPC. */
        if (end->disk_full ||
            (r->err_len && (memmem(r->err, r->err_len, "File too large", 14) ||
                            memmem(r->err, r->err_len, "No space left on device", 23))))
            r->status = GRPO_SANDBOX_OUTPUT_LIMIT;
        else if (looks_like_memory_failure(r, memory_limit))
            r->status = GRPO_SANDBOX_MEMORY_LIMIT;
    }
}

static _Atomic unsigned sandbox_id_counter;

/* The host uid/gid a root caller's program runs as; -1: the caller's own (not root). */
static long sandbox_identity(void) {
    if (geteuid() != 0) return -1;
    return (long)(GRPO_SANDBOX_UID_BASE + sandbox_id_counter++ % GRPO_SANDBOX_UID_COUNT);
}

/* One run; `job` and `limits` are valid. */
static grpo_status run_one(grpo_sandbox_result *result, const grpo_sandbox_job *job,
                           const grpo_sandbox_limits *limits, const run_shared *shared,
                           const view_plan *view) {

    double start = now_seconds();
    const char *root = job->temp_root;
    if (!root) root = getenv("TMPDIR");
    if (!root || root[0] != '/') root = "/tmp";
    /* The run directory is the workspace (cwd, HOME, TMPDIR) and, in the child's mount
     * namespace, where the root view is built. One directory: on a disk mounted with
     * `discard` every directory removed costs a synchronous discard. */
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
    s.stdin_w = s.out_r = s.err_r = s.chan_r = s.pidfd = -1;
    s.out.cap = (size_t)limits->stdout_bytes;
    s.err.cap = (size_t)limits->stderr_bytes;
    s.chan.cap = (size_t)limits->stdout_bytes;
    int stdin_pair[2] = {-1, -1}, out_p[2] = {-1, -1}, err_p[2] = {-1, -1}, chan_p[2] = {-1, -1};
    int status_p[2] = {-1, -1};
    int landlock_fd = -1, dir_fd = -1;
    char **envp = NULL;
    seccomp_plan *filter = NULL;
    void *stack = MAP_FAILED;
    pid_t child = -1;
    run_cgroups cgroups;
    memset(&cgroups, 0, sizeof cgroups);
    child_plan plan;
    memset(&plan, 0, sizeof plan);
    long sandbox_id = sandbox_identity();

    /* Owned by the sandbox uid: the fallback's program and a compile job write in it. */
    if ((dir_fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
        (sandbox_id >= 0 && fchown(dir_fd, (uid_t)sandbox_id, (gid_t)sandbox_id) != 0)) {
        set_error(result, "run directory", errno);
        goto done;
    }
    for (int64_t i = 0; i < job->n_files; i++) {
        const grpo_sandbox_file *f = &job->files[i];
        int fd = openat(dir_fd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        f->executable ? 0700 : 0600);
        if (fd < 0 || write_all(fd, f->data, f->len) != 0 ||
            (sandbox_id >= 0 && fchown(fd, (uid_t)sandbox_id, (gid_t)sandbox_id) != 0)) {
            set_error(result, "write input file", errno);
            if (fd >= 0) close(fd);
            goto done;
        }
        close(fd);
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stdin_pair) != 0 ||
        pipe2(out_p, O_CLOEXEC) != 0 || pipe2(err_p, O_CLOEXEC) != 0 ||
        pipe2(status_p, O_CLOEXEC) != 0 || (job->channel && pipe2(chan_p, O_CLOEXEC) != 0)) {
        set_error(result, "pipes", errno);
        goto done;
    }
    envp = build_env(run_dir, job->env);
    filter = malloc(sizeof *filter);
    stack = mmap(NULL, CHILD_STACK_BYTES, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (!envp || !filter || stack == MAP_FAILED) {
        status = GRPO_ERR_NOMEM;
        goto done;
    }

    plan.status_w = status_p[1];
    plan.stdin_r = stdin_pair[1];
    plan.out_w = out_p[1];
    plan.err_w = err_p[1];
    plan.chan_w = job->channel ? chan_p[1] : -1;
    plan.filter = filter;
    plan.run_dir = run_dir;
    plan.sandbox_id = sandbox_id;
    plan.argv = (char *const *)job->argv;
    plan.envp = envp;
    format_id_map(plan.uid_map, (unsigned)geteuid());
    format_id_map(plan.gid_map, (unsigned)getegid());
    /* Soft = hard: as PID 1 of its namespace the program ignores SIGXCPU, so the limit is the
     * SIGKILL the kernel sends at the hard limit. */
    rlim_t cpu = (rlim_t)ceil(limits->cpu_seconds);
    plan.cpu = (struct rlimit){cpu, cpu};
    plan.as = limits->memory_bytes > 0
                  ? (struct rlimit){(rlim_t)limits->memory_bytes, (rlim_t)limits->memory_bytes}
                  : (struct rlimit){RLIM_INFINITY, RLIM_INFINITY};
    plan.fsize = (struct rlimit){(rlim_t)limits->file_bytes, (rlim_t)limits->file_bytes};
    plan.nofile = (struct rlimit){(rlim_t)limits->open_files, (rlim_t)limits->open_files};
    /* RLIMIT_NPROC counts threads too, per uid: per run for the sandbox uid or in a user
     * namespace. (The kernel exempts root from it, hence the pids cgroup.) */
    int nproc = limits->max_tasks > limits->max_processes ? limits->max_tasks : limits->max_processes;
    plan.set_nproc = limits->max_tasks > 0;
    plan.nproc = (struct rlimit){(rlim_t)nproc, (rlim_t)nproc};

    /* A private tmpfs bounds everything the program writes, in total (RLIMIT_FSIZE bounds one
     * file); /dev/shm is another, as large as one file. Compile jobs whose output we collect
     * keep the host workspace. */
    int64_t tmpfs_bytes = limits->file_bytes + (1 << 20);
    for (int64_t i = 0; i < job->n_files; i++) tmpfs_bytes += (int64_t)job->files[i].len + 4096;
    char tmpfs_options[160], shm_options[96], owner[48] = "";
    if (sandbox_id >= 0) snprintf(owner, sizeof owner, ",uid=%ld,gid=%ld", sandbox_id, sandbox_id);
    snprintf(tmpfs_options, sizeof tmpfs_options, "size=%lld,nr_inodes=4096,mode=0700%s",
             (long long)tmpfs_bytes, owner);
    snprintf(shm_options, sizeof shm_options, "size=%lld,nr_inodes=64,mode=1777",
             (long long)limits->file_bytes);
    /* The memory cgroup counts every page of the run: the program's, its files' and /dev/shm's,
     * plus room for the kernel's own per-process pages. */
    int64_t memory_limit = limits->memory_bytes > 0 ? limits->memory_bytes + tmpfs_bytes +
                                                          limits->file_bytes + (16 << 20)
                                                    : 0;
    cgroups_create(&cgroups, &shared->cgroups, strrchr(run_dir, '/') + 1, limits->max_tasks,
                   memory_limit);
    for (int i = 0; i < cgroups.n; i++) plan.cgroup_procs[i] = cgroups.procs[i];
    unsigned have_cgroups = cgroups_have(&cgroups);
    int memory_bounded = (have_cgroups & CG_MEMORY) != 0;
    plan.files = job->files;
    plan.n_files = job->n_files;
    plan.shm_options = shm_options;

    /* Namespaces first, with the root view. Without them the filter also confines signals,
     * refuses host IPC, and Landlock also refuses TCP, since no network namespace does. */
    int no_fork = limits->max_processes <= 1;
    unsigned ll_bits = 0;
    int use_ns = 1;
    plan.in_userns = sandbox_id < 0;
    plan.view = view->entries;
    plan.n_view = view->n;
    plan.tmpfs_options = job->collect ? NULL : tmpfs_options;
    plan.use_seccomp = seccomp_build(filter, (seccomp_needs){no_fork, 0, 0, !memory_bounded}) == 0;
    plan.landlock_fd = landlock_fd = landlock_build(run_dir, job->read_paths, 0, &ll_bits,
                                                    &plan.landlock_handled);
    child = -1;
    errno = EPERM;
    if (limits->namespaces != GRPO_SANDBOX_NS_OFF)
        child = spawn_child(&plan,
                            CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC |
                                CLONE_NEWUTS | (plan.in_userns ? CLONE_NEWUSER : 0),
                            stack);
    if (child < 0) {
        result->sys_errno = errno;
        if (limits->namespaces == GRPO_SANDBOX_NS_REQUIRE) {
            set_error(result, "namespaces (required)", result->sys_errno);
            goto done;
        }
        use_ns = 0;
        plan.in_userns = 0;
        plan.drop_caps = sandbox_id < 0;
        plan.view = NULL;
        plan.tmpfs_options = NULL;
        plan.use_seccomp =
            seccomp_build(filter, (seccomp_needs){no_fork, 1, 1, !memory_bounded}) == 0;
        close_fd(&landlock_fd);
        ll_bits = 0;
        plan.landlock_fd = landlock_fd = landlock_build(run_dir, job->read_paths, 1, &ll_bits,
                                                        &plan.landlock_handled);
        child = spawn_child(&plan, 0, stack);
        if (child < 0) {
            set_error(result, "clone", errno);
            goto done;
        }
    }
    /* CLONE_VFORK: the child has exec-ed or died by now; a setup failure left its record. */
    unsigned iso = ll_bits | GRPO_SANDBOX_ISO_PGROUP;
    if (use_ns)
        iso |= GRPO_SANDBOX_ISO_PIDNS | GRPO_SANDBOX_ISO_NETNS | GRPO_SANDBOX_ISO_IPCNS |
               GRPO_SANDBOX_ISO_ROOT_VIEW;
    if (use_ns && plan.in_userns) iso |= GRPO_SANDBOX_ISO_USERNS;
    if (use_ns && plan.tmpfs_options) iso |= GRPO_SANDBOX_ISO_TMPFS;
    if (have_cgroups & CG_PIDS) iso |= GRPO_SANDBOX_ISO_PIDS_CGROUP;
    if (memory_bounded) iso |= GRPO_SANDBOX_ISO_MEMORY_CGROUP;
    if (sandbox_id >= 0 || geteuid() != 0) iso |= GRPO_SANDBOX_ISO_UNPRIVILEGED;
    if (plan.use_seccomp) iso |= GRPO_SANDBOX_ISO_SECCOMP;
    if (plan.use_seccomp && no_fork) iso |= GRPO_SANDBOX_ISO_NOFORK;
    result->isolation = iso;
    close_fd(&status_p[1]);
    close_fd(&stdin_pair[1]);
    close_fd(&out_p[1]);
    close_fd(&err_p[1]);
    close_fd(&chan_p[1]);
    close_fd(&landlock_fd);
    munmap(stack, CHILD_STACK_BYTES);
    stack = MAP_FAILED;
    int record[2] = {0, 0};
    ssize_t got = read(status_p[0], record, sizeof record);
    if (got == (ssize_t)sizeof record) {
        kill_run(child);
        while (waitpid(child, NULL, __WALL) < 0 && errno == EINTR) {
        }
        child = -1;
        int step = record[0] >= 0 && record[0] < STEP_COUNT ? record[0] : 0;
        if (step == STEP_EXEC) {
            result->status = GRPO_SANDBOX_EXEC_FAILED;
            result->error_step = "execve";
            result->sys_errno = record[1];
        } else {
            set_error(result, setup_steps[step], record[1]);
        }
        goto done;
    }

    s.pidfd = (int)syscall(SYS_pidfd_open, child, 0);
    if (s.pidfd >= 0) fcntl(s.pidfd, F_SETFD, FD_CLOEXEC);
    s.stdin_w = stdin_pair[0];
    s.out_r = out_p[0];
    s.err_r = err_p[0];
    s.chan_r = chan_p[0];
    stdin_pair[0] = out_p[0] = err_p[0] = chan_p[0] = -1;
    int stream_fds[4] = {s.stdin_w, s.out_r, s.err_r, s.chan_r};
    for (int i = 0; i < 4; i++)
        if (stream_fds[i] >= 0) set_nonblock(stream_fds[i]);

    int fatal_errno = 0;
    int killed = supervise(&s, child, job->stdin_data, job->stdin_len,
                           start + limits->wall_seconds, &fatal_errno);
    kill_run(child);
    int wstatus = 0, reaped;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while ((reaped = wait4(child, &wstatus, __WALL, &ru)) < 0 && errno == EINTR) {
    }
    child = -1;
    /* Fail closed: with SIGCHLD ignored the kernel reaps the child itself and its status is
     * lost; never guess it. */
    if (reaped < 0 && !fatal_errno) fatal_errno = errno;

    result->wall_seconds = now_seconds() - start;
    result->cpu_seconds = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
                          (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
    result->max_rss_bytes = (int64_t)ru.ru_maxrss * 1024;
    cgroups_memory_report(&cgroups, result);
    result->out = s.out.data;
    result->out_len = s.out.len;
    result->err = s.err.data;
    result->err_len = s.err.len;
    result->channel = s.chan.data;
    result->channel_len = s.chan.len;
    s.out.data = s.err.data = s.chan.data = NULL;
    if (fatal_errno == ENOMEM) {
        status = GRPO_ERR_NOMEM;
        goto done;
    }
    if (fatal_errno) {
        set_error(result, reaped < 0 ? "wait (is SIGCHLD ignored?)" : "poll", fatal_errno);
        goto done;
    }
    const grpo_sandbox_end end = {
        .kind = killed == KILL_OUTPUT     ? GRPO_SANDBOX_END_OUTPUT
                : killed == KILL_DEADLINE ? GRPO_SANDBOX_END_DEADLINE
                : WIFSIGNALED(wstatus)    ? GRPO_SANDBOX_END_SIGNAL
                                          : GRPO_SANDBOX_END_EXIT,
        .value = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus),
        .over = s.out.over || s.err.over || s.chan.over};
    grpo_sandbox_classify(result, &end, limits);
    if (job->collect && result->status == GRPO_SANDBOX_EXITED && result->exit_code == 0 &&
        collect_file(dir_fd, job->collect, (size_t)limits->collect_bytes, &result->collected,
                     &result->collected_len) != 0) {
        result->collected = NULL;
        result->collected_len = 0;
    }

done:
    if (child > 0) {
        kill_run(child);
        while (waitpid(child, NULL, __WALL) < 0 && errno == EINTR) {
        }
    }
    int all_fds[] = {stdin_pair[0], stdin_pair[1], out_p[0], out_p[1], err_p[0], err_p[1],
                     chan_p[0], chan_p[1], status_p[0], status_p[1], landlock_fd, dir_fd,
                     s.stdin_w, s.out_r, s.err_r, s.chan_r, s.pidfd};
    for (size_t i = 0; i < sizeof all_fds / sizeof all_fds[0]; i++)
        if (all_fds[i] >= 0) close(all_fds[i]);
    if (stack != MAP_FAILED) munmap(stack, CHILD_STACK_BYTES);
    cgroups_destroy(&cgroups);
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
    const run_shared *shared;
    _Atomic int failed;
} batch_ctx;

static grpo_status run_checked(grpo_sandbox_result *result, const grpo_sandbox_job *job,
                               const grpo_sandbox_limits *limits, const run_shared *shared,
                               const view_plan *view) {
    if (!result) return GRPO_ERR_INVALID;
    memset(result, 0, sizeof *result);
    if (job && job->limits) limits = job->limits;
    if (!valid_job(job) || !valid_limits(limits)) return GRPO_ERR_INVALID;
    return run_one(result, job, limits, shared, view);
}

static void batch_range(void *ctx, int64_t begin, int64_t end, int worker) {
    batch_ctx *b = ctx;
    for (int64_t i = begin; i < end; i++) {
        grpo_status st = run_checked(&b->results[i], &b->jobs[i], b->limits, b->shared,
                                     &b->shared->views[b->shared->view_of[i]]);
        if (st != GRPO_OK) b->failed = st;
    }
}

grpo_status grpo_sandbox_run(grpo_sandbox_result *result, const grpo_sandbox_job *job,
                             const grpo_sandbox_limits *limits) {
    if (!job) return run_checked(result, job, limits, NULL, NULL);
    return grpo_sandbox_run_batch(result, job, 1, limits, 1);
}

grpo_status grpo_sandbox_run_batch(grpo_sandbox_result *results, const grpo_sandbox_job *jobs,
                                   int64_t n, const grpo_sandbox_limits *limits,
                                   int num_workers) {
    if (n < 0 || (n > 0 && (!results || !jobs))) return GRPO_ERR_INVALID;
    run_shared shared;
    grpo_status st = run_shared_prepare(&shared, jobs, n);
    if (st != GRPO_OK) return st;
    batch_ctx ctx = {results, jobs, limits, &shared, 0};
    st = grpo_parallel_for(n, 1, num_workers, batch_range, &ctx);
    run_shared_free(&shared);
    if (st != GRPO_OK) return st;
    return (grpo_status)ctx.failed;
}

grpo_status grpo_sandbox_nofork_filter(uint8_t *out, size_t capacity, size_t *out_len) {
    if (!out_len || (capacity && !out)) return GRPO_ERR_INVALID;
    seccomp_plan *plan = malloc(sizeof *plan);
    if (!plan) return GRPO_ERR_NOMEM;
    grpo_status status = GRPO_ERR_UNSUPPORTED;
    if (seccomp_build(plan, (seccomp_needs){1, 0, 0, 0}) == 0) {
        size_t bytes = (size_t)plan->len * sizeof(struct sock_filter);
        *out_len = bytes;
        status = bytes <= capacity ? GRPO_OK : GRPO_ERR_SHAPE;
        if (status == GRPO_OK) memcpy(out, plan->insns, bytes);
    }
    free(plan);
    return status;
}

static int probe_child(void *arg) {
    (void)arg;
    _exit(0);
}

unsigned grpo_sandbox_probe(int *ns_errno, int *landlock_abi_out) {
    unsigned bits = GRPO_SANDBOX_ISO_PGROUP | GRPO_SANDBOX_ISO_UNPRIVILEGED;
    int root = geteuid() == 0;
    void *stack = mmap(NULL, CHILD_STACK_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    pid_t pid = -1;
    int err = ENOMEM;
    if (stack != MAP_FAILED) {
        pid = clone(probe_child, (char *)stack + CHILD_STACK_BYTES,
                    CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS |
                        (root ? 0 : CLONE_NEWUSER) | CLONE_VM | CLONE_VFORK | SIGCHLD,
                    NULL);
        err = pid < 0 ? errno : 0;
    }
    if (pid > 0) {
        while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR) {
        }
        bits |= GRPO_SANDBOX_ISO_PIDNS | GRPO_SANDBOX_ISO_NETNS | GRPO_SANDBOX_ISO_IPCNS |
                GRPO_SANDBOX_ISO_ROOT_VIEW | GRPO_SANDBOX_ISO_TMPFS;
        if (!root) bits |= GRPO_SANDBOX_ISO_USERNS;
    }
    if (stack != MAP_FAILED) munmap(stack, CHILD_STACK_BYTES);
    if (ns_errno) *ns_errno = err;
    int abi = landlock_abi();
    if (landlock_abi_out) *landlock_abi_out = abi;
    if (abi >= 1) bits |= GRPO_SANDBOX_ISO_LANDLOCK;
    if (abi >= 4 && !(bits & GRPO_SANDBOX_ISO_NETNS)) bits |= GRPO_SANDBOX_ISO_LANDLOCK_NET;
    if (abi >= 6) bits |= GRPO_SANDBOX_ISO_LANDLOCK_SCOPE;
    char cgroup[4000];
    if (cgroup_base("pids", cgroup, sizeof cgroup)) bits |= GRPO_SANDBOX_ISO_PIDS_CGROUP;
    if (cgroup_base("memory", cgroup, sizeof cgroup)) bits |= GRPO_SANDBOX_ISO_MEMORY_CGROUP;
    seccomp_plan *plan = malloc(sizeof *plan);
    if (plan && prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 &&
        seccomp_build(plan, (seccomp_needs){1, 0, 0, 0}) == 0)
        bits |= GRPO_SANDBOX_ISO_SECCOMP | GRPO_SANDBOX_ISO_NOFORK;
    free(plan);
    return bits;
}
