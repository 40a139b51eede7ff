/* test_sandbox_dev.c — what a sandboxed program sees of /dev: by default
 * exactly null zero full random urandom, shm, and the fd/std* links; with
 * the gpu flag (a fold of `ramp test --device cuda`) also the host's
 * NVIDIA nodes (/dev/nvidia*, those the host has) and nothing else. The
 * listing comes from `ls -A /dev` run inside the sandbox, compared with the
 * expected set name by name; on a host without a GPU the gpu listing must
 * equal the default one. SKIPPED where this machine cannot make the
 * sandbox. With --gpu (ctest's test_sandbox_dev_gpu): nvidia-smi -L run in
 * a gpu sandbox (the driver works through the sandbox's seccomp filter and
 * rlimits) lists a GPU; SKIPPED where the host has no /dev/nvidiactl or no
 * nvidia-smi. Also with --gpu: the loader's page-locked buffers (loader.h's
 * pin_memory, cudaHostAlloc) are not held to the sandbox's RLIMIT_MEMLOCK
 * of 64 KiB — the NVIDIA driver locks the pages itself, outside the mlock
 * accounting, and a GPU fold's memory is bounded by its control group —
 * so this binary, run again inside a gpu sandbox (`--pin-child`), allocates
 * 256 MiB of it (4096 times the limit), writes it, and checks the CUDA
 * runtime sees it page-locked; SKIPPED where no GPU answers. Should a
 * driver ever charge it to RLIMIT_MEMLOCK, this case fails and the sandbox
 * must raise the limit for GPU folds (to their memory bound). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/genInt.h"
#include "sandbox/sandboxInt.h"

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs argv (exe a path inside) in a sandbox with the gpu flag as given
   and the mounts m[0..nm); its stdout and stderr into buf[cap]; returns
   the wait status. */
static int sandbox_run_in(int gpu, const ramp__sandbox_mount *m, size_t nm, const char *exe,
                          char *argv[], char *buf, size_t cap)
{
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    int fds[3] = {-1, p[1], p[1]};
    ramp__sandbox_opts o = {.mode = RAMP__SANDBOX_ON, .fds = fds, .n_fds = 3, .gpu = gpu,
                            .mounts = m, .n_mounts = nm};
    pid_t pid;
    ramp_err err = {RAMP_OK, ""};
    ramp_status st = ramp__sandbox_start(&o, exe, argv, &pid, &err);
    close(p[1]);
    if (st) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(st, RAMP_OK);
    size_t n = 0;
    ssize_t k;
    while (n + 1 < cap && (k = read(p[0], buf + n, cap - 1 - n)) > 0) n += (size_t)k;
    buf[n] = '\0';
    close(p[0]);
    int ws;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    ramp__sandbox_end(pid);
    return ws;
}

static int sandbox_run(int gpu, const char *exe, char *argv[], char *buf, size_t cap)
{
    return sandbox_run_in(gpu, NULL, 0, exe, argv, buf, cap);
}

/* ls -A /dev inside a sandbox (gpu flag as given), sorted names joined by
   spaces into out. */
static void sandbox_dev(int gpu, char *out, size_t cap)
{
    char buf[8192];
    char *argv[] = {"ls", "-A", "-1", "/dev", NULL};
    int ws = sandbox_run(gpu, "/bin/ls", argv, buf, sizeof buf);
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    char *names[256];
    int m = 0;
    for (char *t = strtok(buf, "\n"); t && m < 256; t = strtok(NULL, "\n")) names[m++] = t;
    qsort(names, (size_t)m, sizeof *names, cmp);
    out[0] = '\0';
    for (int i = 0; i < m; i++) {
        if (i) strncat(out, " ", cap - strlen(out) - 1);
        strncat(out, names[i], cap - strlen(out) - 1);
    }
}

/* The expected listing: the base names plus, with gpu, the host's
   /dev/nvidia* entries. */
static void expected(int gpu, char *out, size_t cap)
{
    static const char *base[] = {"fd",  "full",   "null",   "random", "shm",
                                 "stderr", "stdin", "stdout", "urandom", "zero"};
    char *names[300];
    static char store[64][256];
    int m = 0, ns = 0;
    for (size_t i = 0; i < sizeof base / sizeof *base; i++) names[m++] = (char *)base[i];
    if (gpu) {
        DIR *d = opendir("/dev");
        assert_non_null(d);
        struct dirent *e;
        while ((e = readdir(d)) && ns < 64)
            if (strncmp(e->d_name, "nvidia", 6) == 0) {
                snprintf(store[ns], sizeof store[ns], "%s", e->d_name);
                names[m++] = store[ns++];
            }
        closedir(d);
    }
    qsort(names, (size_t)m, sizeof *names, cmp);
    out[0] = '\0';
    for (int i = 0; i < m; i++) {
        if (i) strncat(out, " ", cap - strlen(out) - 1);
        strncat(out, names[i], cap - strlen(out) - 1);
    }
}

static void check(int gpu)
{
    ramp_err err = {RAMP_OK, ""};
    if (ramp__sandbox_probe(&err) != RAMP_OK) {
        fprintf(stderr, "cannot make the sandbox here: %s\n", err.msg);
        skip();
    }
    char got[8192], want[8192];
    sandbox_dev(gpu, got, sizeof got);
    expected(gpu, want, sizeof want);
    if (strcmp(got, want) != 0) fprintf(stderr, "gpu %d: /dev shows\n  %s\nexpected\n  %s\n", gpu, got, want);
    assert_string_equal(got, want);
}

static void test_default_dev(void **s)
{
    (void)s;
    check(0);
}

static void test_gpu_dev(void **s)
{
    (void)s;
    check(1);
}

static void test_gpu_driver(void **s)
{
    (void)s;
    ramp_err err = {RAMP_OK, ""};
    if (access("/dev/nvidiactl", F_OK) != 0 || access("/usr/bin/nvidia-smi", X_OK) != 0 ||
        ramp__sandbox_probe(&err) != RAMP_OK)
        skip(); /* no GPU here: never counted as passed */
    char buf[8192];
    char *argv[] = {"nvidia-smi", "-L", NULL};
    int ws = sandbox_run(1, "/usr/bin/nvidia-smi", argv, buf, sizeof buf);
    fprintf(stderr, "nvidia-smi -L in the sandbox:\n%s", buf);
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    assert_non_null(strstr(buf, "GPU 0"));
    /* and without the flag the driver sees nothing */
    ws = sandbox_run(0, "/usr/bin/nvidia-smi", argv, buf, sizeof buf);
    assert_false(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
}

/* Inside the sandbox (--pin-child): 256 MiB of the loader's page-locked
   memory under the sandbox's RLIMIT_MEMLOCK. Exit 0 when it was had,
   written and seen page-locked. */
static int pin_child(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0)
        printf("RLIMIT_MEMLOCK %llu bytes\n", (unsigned long long)rl.rlim_cur);
    char why[400];
    const ramp__hostmem *pm = ramp__hostmem_pinned(why, sizeof why);
    if (!pm) {
        printf("no page-locked memory: %s\n", why);
        return 2;
    }
    size_t n = (size_t)256 << 20;
    char *p = pm->alloc(pm, n, why, sizeof why);
    if (!p) {
        printf("cudaHostAlloc of %zu bytes failed: %s\n", n, why);
        return 3;
    }
    memset(p, 7, n);
    int locked = ramp__hostmem_is_pinned(p) && ramp__hostmem_is_pinned(p + n - 1);
    pm->free(pm, p, n);
    printf("%zu bytes page-locked: %s\n", n, locked ? "yes" : "no");
    return locked ? 0 : 4;
}

static void test_gpu_pinned_memory(void **s)
{
    (void)s;
    ramp_err err = {RAMP_OK, ""};
    char why[400];
    if (access("/dev/nvidiactl", F_OK) != 0 || !ramp__hostmem_pinned(why, sizeof why) ||
        ramp__sandbox_probe(&err) != RAMP_OK)
        skip(); /* no GPU here: never counted as passed */
    ramp__sandbox_mount m = {RAMP_BINARY_DIR "/tests", "/ramp-tests", 0};
    char buf[8192];
    char *argv[] = {"test_sandbox_dev", "--pin-child", NULL};
    int ws = sandbox_run_in(1, &m, 1, "/ramp-tests/test_sandbox_dev", argv, buf, sizeof buf);
    fprintf(stderr, "page-locked memory in a gpu sandbox:\n%s", buf);
    assert_non_null(strstr(buf, "RLIMIT_MEMLOCK 65536 bytes")); /* the limit it runs under */
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--pin-child") == 0) return pin_child();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_dev),
        cmocka_unit_test(test_gpu_dev),
    };
    const struct CMUnitTest gpu[] = {
        cmocka_unit_test(test_gpu_driver),
        cmocka_unit_test(test_gpu_pinned_memory),
    };
    if (argc > 1 && strcmp(argv[1], "--gpu") == 0) return cmocka_run_group_tests(gpu, NULL, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
