/* bench_sandbox.c — the sandbox's start-up cost: starting /bin/true (or the
 * program given, shown inside at /prog/exe) N times in the sandbox and without it, in alternation,
 * waiting for each to end. Prints the median per start of each and their
 * ratio. Usage: bench_sandbox [N] [PROGRAM ARGS...] */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/coreInt.h"
#include "sandbox/sandboxInt.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double one(ramp__sandbox_mode mode, const char *exe, char **argv)
{
    int fds[3] = {-1, -1, 2};
    char *env[] = {"PATH=/usr/bin:/bin", NULL};
    /* the program is shown inside at /prog/<name> */
    ramp__sandbox_mount m = {exe, "/prog/exe", 0};
    ramp__sandbox_opts o = {.mode = mode, .tmp_bytes = 64 << 20, .fds = fds, .n_fds = 3,
                            .envp = env, .mounts = &m, .n_mounts = 1};
    ramp_err err = {RAMP_OK, ""};
    pid_t pid;
    double t0 = ramp__now();
    if (ramp__sandbox_start(&o, mode == RAMP__SANDBOX_ON ? "/prog/exe" : exe, argv, &pid, &err)) {
        fprintf(stderr, "bench_sandbox: %s\n", err.msg);
        exit(1);
    }
    int st;
    waitpid(pid, &st, 0);
    if (mode == RAMP__SANDBOX_ON) ramp__sandbox_end(pid);
    return ramp__now() - t0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
    char *deflt[] = {"/bin/true", NULL};
    char **prog = argc > 2 ? argv + 2 : deflt;
    if (n < 1) n = 1;
    double *on = malloc((size_t)n * sizeof *on), *off = malloc((size_t)n * sizeof *off);
    if (!on || !off) return 1;
    for (int i = 0; i < n; i++) {
        on[i] = one(RAMP__SANDBOX_ON, prog[0], prog);
        off[i] = one(RAMP__SANDBOX_OFF, prog[0], prog);
    }
    qsort(on, (size_t)n, sizeof *on, cmp);
    qsort(off, (size_t)n, sizeof *off, cmp);
    printf("start and end of %s, median of %d: sandbox %.2f ms, none %.2f ms (p90 %.2f / %.2f)\n",
           prog[0], n, on[n / 2] * 1e3, off[n / 2] * 1e3, on[n * 9 / 10] * 1e3,
           off[n * 9 / 10] * 1e3);
    printf("TIME sandbox_start_ms %.2f\n", (on[n / 2] - off[n / 2]) * 1e3);
    free(on);
    free(off);
    return 0;
}
