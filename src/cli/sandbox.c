/* sandbox.c — the command line's side of the sandbox: the environment a
 * sandboxed program gets, this program's path, the start-up check, and the
 * two commands that are not for people (`ramp __fold`, the fold child) or
 * are for checking a host (`ramp sandbox-check`). */
#define _GNU_SOURCE /* environ */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cliInt.h"
#include "core/coreInt.h"
#include "sandbox/sandboxInt.h"
#include "submission/runInt.h"

extern char **environ;

static const char *const passed[] = {"OMP_NUM_THREADS", "OMP_PROC_BIND", "OPENBLAS_NUM_THREADS",
                                     "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "MKL_NUM_THREADS",
                                     "LANG", "LC_ALL", "PYTHONHASHSEED",
                                     "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};

char **ramp__cli_sandbox_env(int sandboxed)
{
    size_t n = 0;
    while (environ && environ[n]) n++;
    char **env = calloc(n + 8, sizeof *env);
    if (!env) return NULL;
    size_t k = 0;
    if (!sandboxed) {
        for (size_t i = 0; i < n; i++)
            if (!(env[k++] = ramp__strdup(environ[i]))) goto oom;
        return env;
    }
    const char *fixed[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "TMPDIR=/tmp"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        if (!(env[k++] = ramp__strdup(fixed[i]))) goto oom;
    for (size_t i = 0; i < sizeof passed / sizeof *passed; i++) {
        const char *v = getenv(passed[i]);
        if (!v) continue;
        size_t len = strlen(passed[i]) + strlen(v) + 2;
        if (!(env[k] = malloc(len))) goto oom;
        snprintf(env[k++], len, "%s=%s", passed[i], v);
    }
    return env;
oom:
    ramp__cli_env_free(env);
    return NULL;
}

void ramp__cli_env_free(char **env)
{
    for (size_t i = 0; env && env[i]; i++) free(env[i]);
    free(env);
}

int ramp__cli_exe(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0) return -1;
    buf[n] = '\0';
    return 0;
}

int ramp__cli_sandbox_check(const char *hint)
{
    ramp_err err = {RAMP_OK, ""};
    if (ramp__sandbox_probe(&err) == RAMP_OK) return 0;
    ramp__cli_error("%s", err.msg);
    if (hint) fprintf(stderr, "%s\n", hint);
    return 1;
}

int ramp__cmd_fold(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    int py = 0;
    /* the fold's log follows the training line by line: the submission's
       stdout, and the lines the library writes to descriptor 1 itself */
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = ramp__fold_child_main(STDOUT_FILENO, &py);
    fflush(stdout);
    fflush(stderr);
    if (py) {
        /* the embedded interpreter is never finalized: end without the
           process's exit handlers (a sanitizer build's leak check over
           numpy's and torch's heaps would take minutes to report theirs) */
        fflush(NULL);
        _exit(rc);
    }
    return rc;
}

int ramp__cmd_sandbox_check(int argc, char **argv)
{
    if (argc > 1 && ramp__cli_is_help(argv[1])) {
        printf("usage: ramp sandbox-check\n\nSays whether this machine can run submissions in "
               "ramp's sandbox (namespaces, seccomp).\n");
        return 0;
    }
    if (ramp__cli_sandbox_check(NULL)) return 1;
    int cg = ramp__sandbox_cgroups();
    printf("sandbox: ok (%s)\n", geteuid() == 0 ? "as root: each sandbox runs as a uid of its own"
                                                : "in a user namespace, as this user");
    printf("control groups: %s%s%s\n", cg & 1 ? "memory (shared memory and tmpfs counted)" : "",
           cg == 3 ? ", " : "", cg & 2 ? "processes" : cg ? "" : "none: rlimits only");
    return 0;
}
