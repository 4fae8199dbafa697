/* test_sandbox.c - harmless runs through the sandbox (ASan and namespaces do not mix with
 * hostile programs; those live in tests/test_sandbox_adversarial.py), plus the comparators. */
#include "check.h"
#include "grpo.h"

#include <stdlib.h>
#include <string.h>

static grpo_sandbox_limits default_limits(void) {
    grpo_sandbox_limits l = {.wall_seconds = 10, .cpu_seconds = 5, .memory_bytes = 0,
                             .file_bytes = 1 << 20, .stdout_bytes = 1 << 20,
                             .stderr_bytes = 1 << 16, .collect_bytes = 1 << 20,
                             .max_processes = 1, .max_tasks = 64, .open_files = 64, .namespaces = GRPO_SANDBOX_NS_AUTO};
    return l;
}

static void test_echo_stdin(void) {
    const char *argv[] = {"/bin/cat", NULL};
    grpo_sandbox_job job = {.argv = argv, .stdin_data = "hello\nworld\n", .stdin_len = 12};
    grpo_sandbox_limits lim = default_limits();
    grpo_sandbox_result r;
    CHECK(grpo_sandbox_run(&r, &job, &lim) == GRPO_OK);
    CHECK(r.status == GRPO_SANDBOX_EXITED);
    CHECK(r.exit_code == 0);
    CHECK(r.out_len == 12 && memcmp(r.out, "hello\nworld\n", 12) == 0);
    CHECK(r.isolation & GRPO_SANDBOX_ISO_PGROUP);
    grpo_sandbox_result_free(&r);
}

static void test_exit_code_and_files(void) {
    const char *argv[] = {"/bin/sh", "prog.sh", NULL};
    grpo_sandbox_file files[] = {{"prog.sh", "cat data.txt; echo err >&2; exit 3\n", 35, 0},
                                 {"data.txt", "abc", 3, 0}};
    grpo_sandbox_job job = {.argv = argv, .files = files, .n_files = 2};
    grpo_sandbox_limits lim = default_limits();
    lim.max_processes = 8; /* sh forks for cat */
    grpo_sandbox_result r;
    CHECK(grpo_sandbox_run(&r, &job, &lim) == GRPO_OK);
    CHECK(r.status == GRPO_SANDBOX_EXITED);
    CHECK(r.exit_code == 3);
    CHECK(r.out_len == 3 && memcmp(r.out, "abc", 3) == 0);
    CHECK(r.err_len == 4 && memcmp(r.err, "err\n", 4) == 0);
    grpo_sandbox_result_free(&r);
    lim.max_processes = 1;
    CHECK(grpo_sandbox_run(&r, &job, &lim) == GRPO_OK);
    CHECK(r.status == GRPO_SANDBOX_EXITED && r.exit_code != 0 && r.out_len == 0);
    if (r.isolation & GRPO_SANDBOX_ISO_NOFORK) CHECK(r.err_len > 0);
    grpo_sandbox_result_free(&r);
}

static void test_exec_failure_and_bad_args(void) {
    const char *argv[] = {"/nonexistent/interpreter", NULL};
    grpo_sandbox_job job = {.argv = argv};
    grpo_sandbox_limits lim = default_limits();
    grpo_sandbox_result r;
    CHECK(grpo_sandbox_run(&r, &job, &lim) == GRPO_OK);
    CHECK(r.status == GRPO_SANDBOX_EXEC_FAILED);
    grpo_sandbox_result_free(&r);
    const char *relative[] = {"cat", NULL};
    job.argv = relative;
    CHECK(grpo_sandbox_run(&r, &job, &lim) == GRPO_ERR_INVALID);
    grpo_sandbox_file bad = {"../x", "", 0, 0};
    job.argv = argv;
    job.files = &bad;
    job.n_files = 1;
    CHECK(grpo_sandbox_run(&r, &job, &lim) == GRPO_ERR_INVALID);
    lim.wall_seconds = 0;
    job.n_files = 0;
    CHECK(grpo_sandbox_run(&r, &job, &lim) == GRPO_ERR_INVALID);
    lim = default_limits();
    lim.cpu_seconds = 1e300;
    CHECK(grpo_sandbox_run(&r, &job, &lim) == GRPO_ERR_INVALID);
    lim = default_limits();
    lim.namespaces = 7;
    CHECK(grpo_sandbox_run(&r, &job, &lim) == GRPO_ERR_INVALID);
}

static void test_output_cap_and_batch(void) {
    const char *argv[] = {"/bin/sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo 0123456789; i=$((i+1)); done", NULL};
    grpo_sandbox_limits lim = default_limits();
    lim.stdout_bytes = 1000;
    grpo_sandbox_job jobs[3] = {{.argv = argv}, {.argv = argv}, {.argv = argv}};
    grpo_sandbox_result r[3];
    CHECK(grpo_sandbox_run_batch(r, jobs, 3, &lim, 2) == GRPO_OK);
    for (int i = 0; i < 3; i++) {
        CHECK(r[i].status == GRPO_SANDBOX_OUTPUT_LIMIT);
        CHECK(r[i].out_len == 1000);
        grpo_sandbox_result_free(&r[i]);
    }
}

static void test_limits_channel_and_fallback(void) {
    grpo_sandbox_limits lim = default_limits();
    lim.wall_seconds = 0.3;
    const char *sleeper[] = {"/bin/sleep", "5", NULL};
    grpo_sandbox_job job = {.argv = sleeper};
    grpo_sandbox_result r;
    CHECK(grpo_sandbox_run(&r, &job, &lim) == GRPO_OK);
    CHECK(r.status == GRPO_SANDBOX_WALL_LIMIT && r.wall_seconds < 3);
    grpo_sandbox_result_free(&r);

    /* 8 MB of stdin that the program never reads: no deadlock. */
    lim = default_limits();
    size_t big = (size_t)8 << 20;
    char *input = malloc(big);
    memset(input, 'x', big);
    const char *truth[] = {"/bin/true", NULL};
    job = (grpo_sandbox_job){.argv = truth, .stdin_data = input, .stdin_len = big};
    CHECK(grpo_sandbox_run(&r, &job, &lim) == GRPO_OK);
    CHECK(r.status == GRPO_SANDBOX_EXITED && r.exit_code == 0);
    grpo_sandbox_result_free(&r);
    free(input);

    /* fd 3 channel, and the same run forced into the fallback. */
    const char *echo3[] = {"/bin/sh", "-c", "echo out; echo chan >&3", NULL};
    job = (grpo_sandbox_job){.argv = echo3, .channel = 1};
    for (int ns = GRPO_SANDBOX_NS_AUTO; ns <= GRPO_SANDBOX_NS_OFF; ns += 2) {
        lim.namespaces = ns;
        CHECK(grpo_sandbox_run(&r, &job, &lim) == GRPO_OK);
        CHECK(r.status == GRPO_SANDBOX_EXITED && r.exit_code == 0);
        CHECK(r.channel_len == 5 && memcmp(r.channel, "chan\n", 5) == 0);
        CHECK(r.out_len == 4 && memcmp(r.out, "out\n", 4) == 0);
        if (ns == GRPO_SANDBOX_NS_OFF) CHECK(!(r.isolation & GRPO_SANDBOX_ISO_PIDNS));
        grpo_sandbox_result_free(&r);
    }

    /* Per-job limits override the call's; a file read back from the run directory. */
    grpo_sandbox_limits own = default_limits();
    own.max_processes = 8;
    const char *writer[] = {"/bin/sh", "-c", "printf abc > made", NULL};
    job = (grpo_sandbox_job){.argv = writer, .collect = "made", .limits = &own};
    lim.max_processes = 1;
    CHECK(grpo_sandbox_run(&r, &job, &lim) == GRPO_OK);
    CHECK(r.status == GRPO_SANDBOX_EXITED && r.collected_len == 3 &&
          memcmp(r.collected, "abc", 3) == 0);
    grpo_sandbox_result_free(&r);
}

static void test_compare(void) {
    int eq = -1;
    CHECK(grpo_compare_output(&eq, "1 2\n3\n\n", 7, "1 2  \n3", 7, GRPO_COMPARE_LINES, 0, 0) == GRPO_OK && eq == 1);
    CHECK(grpo_compare_output(&eq, "1 2\n", 4, "1 2\n3\n", 6, GRPO_COMPARE_LINES, 0, 0) == GRPO_OK && eq == 0);
    CHECK(grpo_compare_output(&eq, "1\n2", 3, "1 2", 3, GRPO_COMPARE_TOKENS, 0, 0) == GRPO_OK && eq == 1);
    CHECK(grpo_compare_output(&eq, "0.3333333", 9, "0.333333", 8, GRPO_COMPARE_FLOAT, 1e-6, 1e-6) == GRPO_OK && eq == 1);
    CHECK(grpo_compare_output(&eq, "0.34", 4, "0.33", 4, GRPO_COMPARE_FLOAT, 1e-6, 1e-6) == GRPO_OK && eq == 0);
    CHECK(grpo_compare_output(&eq, "50000000000000001", 17, "50000000000000000", 17, GRPO_COMPARE_FLOAT, 1e-6, 1e-6) == GRPO_OK && eq == 0);
    CHECK(grpo_compare_output(&eq, "ab", 2, "ab\n", 3, GRPO_COMPARE_EXACT, 0, 0) == GRPO_OK && eq == 0);
    CHECK(grpo_compare_output(&eq, NULL, 0, "", 0, GRPO_COMPARE_EXACT, 0, 0) == GRPO_OK && eq == 1);
}

int main(void) {
    test_echo_stdin();
    test_exit_code_and_files();
    test_exec_failure_and_bad_args();
    test_output_cap_and_batch();
    test_limits_channel_and_fallback();
    test_compare();
    CHECK_DONE();
}
