/* build.c — compiles a submission with the system compiler.
 *
 * Each source becomes one shared object with its undefined ramp_* symbols
 * left to the loading process (the ramp tool exports the whole library), so
 * the object stays small and uses exactly the library it runs in. A stamp
 * file beside each object records a hash of everything that went into it
 * (source bytes, command line, ABI version, ramp's headers); a matching stamp
 * skips the compile. The hash covers every file of the submission folder, so
 * a local header counts too. Extra compiler/linker arguments (e.g. for libtorch) go in
 * `build.flags` in the submission folder, whitespace-separated, from an
 * allowlist (flags_check below): a flag can run programs (-wrapper,
 * -fplugin, -B, -specs, @file) or read files, so anything else is refused.
 *
 * The compiler is untrusted too (the code it reads is a participant's): it
 * runs in the sandbox with the submission folder read-only at /submission
 * (its working folder, so messages name files relative to it), ramp's
 * headers at /ramp/include, and only .ramp-build/out/ writable, bounded in
 * time, memory and output. The stamps beside the objects are written here,
 * in .ramp-build/, which the sandbox cannot write; nothing of out/ is read
 * back by the trusted side (the objects are loaded in a fold's sandbox).
 *
 * A .py file is not compiled: it is syntax-checked by the Python the plugin
 * was built for (compile() in a separate process, nothing written), so a
 * syntax error is reported now, like a C compile error, with Python's
 * message in the log.
 */
#define _GNU_SOURCE /* pipe2 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/coreInt.h"
#include "submission/submissionInt.h"

#define MAX_ARGS 128
#define SBX_SUB "/submission"
#define SBX_INC "/ramp/include"

static int file_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int dir_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Appends text to a growing malloc'd string (best effort on ENOMEM). */
static void log_append(char **log, const char *text, size_t n)
{
    size_t old = *log ? strlen(*log) : 0;
    char *p = realloc(*log, old + n + 1);
    if (!p) return;
    memcpy(p + old, text, n);
    p[old + n] = '\0';
    *log = p;
}

/* Runs argv in the sandbox (working folder: the submission), appending its
   output to *log up to the bound; stopped at the deadline or when the tick
   says so. Returns the exit status, -1 when it could not run, -2 when it
   was stopped (a message is appended). */
static int run_capture(const ramp__build_opts *o, const char *dir, char *const argv[], char **log)
{
    int sandboxed = o->sandbox == RAMP__SANDBOX_ON;
    char out_dir[4200], inc[4200];
    snprintf(out_dir, sizeof out_dir, "%s/.ramp-build/out", dir);
    snprintf(inc, sizeof inc, "%s", o->include_dir ? o->include_dir : "");
    ramp__sandbox_mount mounts[3] = {{dir, SBX_SUB, 0},
                                     {out_dir, SBX_SUB "/.ramp-build/out", 1},
                                     {inc, SBX_INC, 0}};
    int fd[2];
    if (pipe2(fd, O_CLOEXEC) != 0) return -1;
    static char *env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "TMPDIR=/tmp",
                          "LANG=C.UTF-8", NULL};
    int fds[3] = {-1, fd[1], fd[1]};
    ramp__sandbox_opts so = {
        .mode = o->sandbox,
        .mounts = mounts,
        .n_mounts = inc[0] ? 3 : 2,
        .tmp_bytes = (uint64_t)1 << 30,
        .cwd = sandboxed ? SBX_SUB : dir,
        .uid = o->uid,
        .gid = o->gid,
        .mem_bytes = o->mem_bytes ? o->mem_bytes : (uint64_t)4 << 30,
        .cpu_seconds = (o->timeout_s > 0 ? o->timeout_s : 120) + 5,
        .file_bytes = (uint64_t)256 << 20, /* an object: its only file on the host */
        .max_procs = 256,
        .fds = fds,
        .n_fds = 3,
        .envp = env,
    };
    pid_t pid;
    ramp_err err = {RAMP_OK, ""};
    /* a compiler is found on the sandbox's PATH: exec needs a path */
    char exe[256];
    const char *name = argv[0];
    if (!strchr(name, '/')) {
        const char *dirs[] = {"/usr/local/bin", "/usr/bin", "/bin"};
        exe[0] = '\0';
        for (size_t i = 0; i < sizeof dirs / sizeof *dirs && !exe[0]; i++) {
            snprintf(exe, sizeof exe, "%s/%s", dirs[i], name);
            if (access(exe, X_OK) != 0) exe[0] = '\0';
        }
        if (!exe[0]) snprintf(exe, sizeof exe, "/usr/bin/%s", name);
        name = exe;
    }
    ramp_status st = ramp__sandbox_start(&so, name, argv, &pid, &err);
    close(fd[1]);
    if (st) {
        close(fd[0]);
        log_append(log, err.msg, strlen(err.msg));
        log_append(log, "\n", 1);
        return -1;
    }
    size_t max_out = o->max_output ? o->max_output : (size_t)64 << 10, kept = 0, dropped = 0;
    double limit = o->timeout_s > 0 ? o->timeout_s : 120, t0 = ramp__now(), next_tick = t0;
    int stopped = 0, open_fd = fd[0];
    char buf[4096];
    while (open_fd >= 0) {
        double now = ramp__now();
        if (now - t0 > limit) {
            stopped = 1;
            break;
        }
        if (o->tick && now >= next_tick) {
            next_tick = now + 0.2;
            if (o->tick(o->tick_ctx)) {
                stopped = 2;
                break;
            }
        }
        struct pollfd p = {open_fd, POLLIN, 0};
        int pr = poll(&p, 1, 200);
        if (pr < 0 && errno != EINTR) break;
        if (pr <= 0) continue;
        ssize_t k = read(open_fd, buf, sizeof buf);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        size_t take = kept < max_out ? max_out - kept : 0;
        if (take > (size_t)k) take = (size_t)k;
        log_append(log, buf, take);
        kept += take;
        dropped += (size_t)k - take;
    }
    close(fd[0]);
    /* the output ended: the compiler is ending too, within the deadline */
    int status = 0, exited = 0;
    while (!stopped && !exited) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) exited = 1;
        else if (w < 0 && errno != EINTR) return -1;
        else if (ramp__now() - t0 > limit) stopped = 1;
        else if (w == 0) poll(NULL, 0, 5);
    }
    kill(-pid, SIGKILL); /* whatever it left behind */
    if (stopped) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0)
            if (errno != EINTR) return -1;
        if (sandboxed) ramp__sandbox_end(pid);
    }
    if (dropped) {
        char line[128];
        snprintf(line, sizeof line, "[ramp: %zu more bytes of compiler output dropped]\n", dropped);
        log_append(log, line, strlen(line));
    }
    if (stopped) {
        char line[128];
        if (stopped == 1)
            snprintf(line, sizeof line, "[ramp: stopped after %.0f s (the compile time limit)]\n",
                     limit);
        else
            snprintf(line, sizeof line, "[ramp: stopped]\n");
        log_append(log, line, strlen(line));
        return -2;
    }
    int sig, code;
    ramp__sandbox_decode(&so, status, &sig, &code);
    if (sandboxed) ramp__sandbox_end(pid);
    return sig ? 128 + sig : code;
}

/* ---- build.flags: the allowlist ------------------------------------------- */

static int all_in(const char *s, const char *set)
{
    return s[strspn(s, set)] == '\0';
}

#define IDENT_FIRST "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"
#define IDENT IDENT_FIRST "0123456789"

/* 1 when `t` is a flag build.flags may carry (docs/submissions.md lists them). */
static int flag_allowed(const char *t)
{
    static const char *const exact[] = {
        "-O0", "-O1", "-O2", "-O3", "-Os", "-Og", "-g", "-g0", "-pthread", "-fopenmp",
        "-fopenmp-simd", "-ffast-math", "-fno-fast-math", "-funroll-loops", "-fno-unroll-loops",
        "-ftree-vectorize", "-fno-tree-vectorize", "-fno-strict-aliasing", "-fno-exceptions",
        "-fno-rtti", "-march=native", "-mtune=native", "-mavx", "-mavx2", "-mfma", "-mf16c",
        "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512bf16", "-mavx512vnni",
        "-DNDEBUG", "-w"};
    static const char *const stds[] = {"c99", "c11", "c17", "c18", "gnu99", "gnu11", "gnu17",
                                       "c++11", "c++14", "c++17", "c++20", "gnu++14", "gnu++17",
                                       "gnu++20"};
    static const char *const libs[] = {"m", "pthread", "gomp", "stdc++", "dnnl", "openblas",
                                       "blas", "cblas", "lapack", "torch", "torch_cpu", "c10",
                                       "turbojpeg", "spng", "png", "z"};
    for (size_t i = 0; i < sizeof exact / sizeof *exact; i++)
        if (!strcmp(t, exact[i])) return 1;
    if (!strncmp(t, "-std=", 5)) {
        for (size_t i = 0; i < sizeof stds / sizeof *stds; i++)
            if (!strcmp(t + 5, stds[i])) return 1;
        return 0;
    }
    if (!strncmp(t, "-l", 2)) {
        for (size_t i = 0; i < sizeof libs / sizeof *libs; i++)
            if (!strcmp(t + 2, libs[i])) return 1;
        return 0;
    }
    if (!strncmp(t, "-D", 2) || !strncmp(t, "-U", 2)) { /* -DNAME, -DNAME=VALUE */
        char name[128];
        const char *eq = strchr(t + 2, '=');
        size_t n = eq ? (size_t)(eq - t - 2) : strlen(t + 2);
        if (n == 0 || n >= sizeof name || strchr("0123456789", t[2])) return 0;
        memcpy(name, t + 2, n);
        name[n] = '\0';
        if (!all_in(name, IDENT)) return 0;
        return !eq || (t[1] == 'D' && all_in(eq + 1, IDENT "+-.,:"));
    }
    if (!strncmp(t, "-I/usr/", 7) || !strncmp(t, "-L/usr/", 7)) /* system folders only */
        return !strstr(t, "..") && all_in(t + 2, IDENT "/+-.");
    if (!strncmp(t, "-W", 2)) /* warnings, not -Wl, -Wa, -Wp (arguments to other programs) */
        return !strchr(t, ',') && all_in(t + 2, IDENT "-=");
    return 0;
}

/* Splits build.flags into argv[*n...], refusing any flag off the allowlist. */
static ramp_status flags_check(char *flags, char **argv, int *n, int max, ramp_err *err)
{
    for (char *tok = flags ? strtok(flags, " \t\r\n") : NULL; tok; tok = strtok(NULL, " \t\r\n")) {
        if (!flag_allowed(tok)) {
            char shown[64];
            snprintf(shown, sizeof shown, "%s", tok);
            for (char *c = shown; *c; c++)
                if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f) *c = '?';
            return ramp__err_set(err, RAMP_ECOMPILE,
                                 "build.flags: '%s' is not allowed (allowed: -O*, -g, -D/-U "
                                 "NAME[=VALUE], -std=..., -fopenmp, -ffast-math, -march/-mtune="
                                 "native, -mavx*, -W<warning>, -I/-L under /usr, -l of %s)",
                                 shown, "m pthread gomp stdc++ dnnl openblas blas cblas lapack "
                                        "torch torch_cpu c10 turbojpeg spng png z");
        }
        if (*n >= max - 1)
            return ramp__err_set(err, RAMP_ECOMPILE, "build.flags: more than %d flags",
                                 max - 16);
        argv[(*n)++] = tok;
    }
    return RAMP_OK;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Hashes the names and bytes of the submission folder's regular files
   (hidden ones, such as the .ramp-build cache, left out), in name order: a
   change to the source or to a header it includes triggers a rebuild. */
static ramp_status hash_folder(const char *dir, uint64_t *h, ramp_err *err)
{
    DIR *d = opendir(dir);
    if (!d) return ramp__err_set(err, RAMP_EIO, "%s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    ramp_status st = RAMP_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn) {
                st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
                goto done;
            }
            names = nn;
        }
        if (!(names[n] = ramp__strdup(e->d_name))) {
            st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
            goto done;
        }
        n++;
    }
    if (n) qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n && !st; i++) {
        char path[4600];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat sb;
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        uint8_t *text = NULL;
        size_t len = 0;
        st = ramp__read_file(path, (size_t)64 << 20, &text, &len, err);
        if (st) break;
        *h = fnv1a(*h, names[i], strlen(names[i]) + 1);
        *h = fnv1a(*h, text, len);
        free(text);
    }
done:
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    closedir(d);
    return st;
}

/* Compiles `src` (a file name in dir) into .ramp-build/out/<obj> when its
   stamp is stale. */
static ramp_status compile_one(const ramp__build_opts *o, const char *dir, const char *src,
                               const char *obj, int cxx, char *flags, char **log, ramp_err *err)
{
    int sandboxed = o->sandbox == RAMP__SANDBOX_ON;
    char *argv[MAX_ARGS];
    int n = 0;
    const char *cc = cxx ? o->cxx : o->cc;
    argv[n++] = (char *)(cc && cc[0] ? cc : cxx ? "c++" : "cc");
    /* the GNU dialects: POSIX's names (M_PI, strdup) are there, as C++ has
       them by default */
    argv[n++] = (char *)(cxx ? "-std=c++17" : "-std=gnu11");
    argv[n++] = "-O2";
    argv[n++] = "-g";
    argv[n++] = "-march=native";
    argv[n++] = "-fPIC";
    argv[n++] = "-shared";
    argv[n++] = "-Wall";
    char inc[4200], out[256];
    snprintf(inc, sizeof inc, "-I%s", sandboxed ? SBX_INC : o->include_dir);
    argv[n++] = inc;
    snprintf(out, sizeof out, ".ramp-build/out/%s", obj);
    argv[n++] = "-o";
    argv[n++] = out;
    argv[n++] = (char *)src;
    ramp_status st = flags_check(flags, argv, &n, MAX_ARGS, err);
    if (st) return st;
    argv[n] = NULL;

    uint64_t h = 0xcbf29ce484222325ULL;
    st = hash_folder(dir, &h, err); /* the source and any local header */
    if (st) return st;
    for (int i = 0; i < n; i++) h = fnv1a(h, argv[i], strlen(argv[i]) + 1);
    int abi = RAMP_ABI_VERSION;
    h = fnv1a(h, &abi, sizeof abi);
#ifdef RAMP_VERSION
    h = fnv1a(h, RAMP_VERSION, sizeof RAMP_VERSION);
#endif
    /* ramp's own headers: a struct that grew without a version bump (a new
       field in ramp_net_params) must not meet an object built against the
       old one */
    char ramp_inc[4300];
    snprintf(ramp_inc, sizeof ramp_inc, "%s/ramp", o->include_dir);
    if (dir_exists(ramp_inc) && (st = hash_folder(ramp_inc, &h, err))) return st;
    char stamp_path[4200], so[4200], want[32];
    snprintf(stamp_path, sizeof stamp_path, "%s/.ramp-build/%s.stamp", dir, obj);
    snprintf(so, sizeof so, "%s/.ramp-build/out/%s", dir, obj);
    snprintf(want, sizeof want, "%016llx", (unsigned long long)h);
    int sfd = open(stamp_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (sfd >= 0) {
        char have[32] = {0};
        ssize_t k = read(sfd, have, 16);
        close(sfd);
        if (k == 16 && strncmp(have, want, 16) == 0 && file_exists(so)) return RAMP_OK;
    }
    unlink(stamp_path);
    char head[256];
    snprintf(head, sizeof head, "$ %s ... %s\n", argv[0], src);
    log_append(log, head, strlen(head));
    int rc = run_capture(o, dir, argv, log);
    if (rc == -2)
        return ramp__err_set(err, RAMP_ECOMPILE, "%s does not compile (stopped: the time limit)",
                             src);
    if (rc != 0)
        return ramp__err_set(err, RAMP_ECOMPILE, "%s does not compile (%s exited with %d)", src,
                             argv[0], rc);
    sfd = open(stamp_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (sfd >= 0) {
        ssize_t w = write(sfd, want, 16);
        (void)w;
        close(sfd);
    }
    return RAMP_OK;
}

#ifndef RAMP_PYTHON_EXE
#define RAMP_PYTHON_EXE "python3"
#endif

/* Checks that the plugin exists and that `src` (a file name in dir) parses. */
static ramp_status check_python(const ramp__build_opts *o, const char *dir, const char *src,
                                char **log, ramp_err *err)
{
    if (!o->python_plugin || !o->python_plugin[0] || access(o->python_plugin, R_OK) != 0)
        return ramp__err_set(err, RAMP_EUNSUPPORTED,
                             "%s: Python submissions need the plugin ramp_python.so, which ramp "
                             "builds with -DRAMP_WITH_PYTHON=ON (python3-dev, python3-numpy; "
                             "looked for %s)",
                             src,
                             o->python_plugin && o->python_plugin[0] ? o->python_plugin
                             : o->python_plugin_looked               ? o->python_plugin_looked
                                                                     : "none given");
    const char *py = o->python;
    char *argv[] = {(char *)(py && py[0] ? py : RAMP_PYTHON_EXE), "-I", "-S", "-c",
                    "import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[1], 'exec')",
                    (char *)src, NULL};
    char head[4300];
    snprintf(head, sizeof head, "$ %s -c 'compile(...)' %s\n", argv[0], src);
    log_append(log, head, strlen(head));
    int rc = run_capture(o, dir, argv, log);
    if (rc != 0)
        return ramp__err_set(err, RAMP_ECOMPILE, "%s does not compile (%s)", src,
                             rc == -2    ? "stopped: time limit"
                             : rc < 0 || rc == 127 || rc == 125 ? "cannot run Python"
                                                                 : "Python syntax error");
    return RAMP_OK;
}

/* Adds read (and search) rights for others to dir and its top-level
   regular files, so that the sandbox's user can read them. */
static ramp_status open_to_sandbox(const char *dir, ramp_err *err)
{
    struct stat sb;
    if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
        chmod(dir, (sb.st_mode & 07777) | 0055) != 0)
        return ramp__err_set(err, RAMP_EIO, "%s: cannot open it to the sandbox: %s", dir,
                             strerror(errno));
    DIR *d = opendir(dir);
    if (!d) return ramp__err_set(err, RAMP_EIO, "%s: %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[4600];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 0044) != 0044)
            chmod(p, (sb.st_mode & 07777) | 0044);
    }
    closedir(d);
    return RAMP_OK;
}

/* The cache and its out/ (the compiler's only writable folder) made, as
   folders and not links planted by anyone; and, when root runs the sandbox
   as another user who must read the submission (a folder made by mkdtemp is
   0700), the submission opened to it (the sandbox gives it out/). */
static ramp_status prepare_dirs(const ramp__build_opts *o, const char *dir, const char *cache,
                                const char *out_dir, ramp_err *err)
{
    struct stat sb;
    const char *mk[2] = {cache, out_dir};
    for (int i = 0; i < 2; i++)
        if ((mkdir(mk[i], 0755) != 0 && errno != EEXIST) || lstat(mk[i], &sb) != 0 ||
            !S_ISDIR(sb.st_mode))
            return ramp__err_set(err, RAMP_EIO, "%s: not a folder it can make", mk[i]);
    if (o->sandbox == RAMP__SANDBOX_ON && geteuid() == 0) return open_to_sandbox(dir, err);
    return RAMP_OK;
}

ramp_status ramp__sub_build_with(const char *dir, const ramp__build_opts *o, ramp__sub_paths *out,
                                 char **log, ramp_err *err)
{
    char pp_c[4096], clf_c[4096], clf_cpp[4096], clf_py[4096], pp_py[4096], cache[3072],
        out_dir[3100], flags_path[4096], clf_c_name[64], clf_cpp_name[64], clf_py_name[64],
        clf_so_name[64];
    if (strlen(dir) > 3000) return ramp__err_set(err, RAMP_EINVAL, "submission path too long");
    const char *model = ramp__model_name(o->model);
    snprintf(clf_c_name, sizeof clf_c_name, "%s.c", model);
    snprintf(clf_cpp_name, sizeof clf_cpp_name, "%s.cpp", model);
    snprintf(clf_py_name, sizeof clf_py_name, "%s.py", model);
    snprintf(clf_so_name, sizeof clf_so_name, "%s.so", model);
    snprintf(pp_c, sizeof pp_c, "%s/image_preprocessor.c", dir);
    snprintf(pp_py, sizeof pp_py, "%s/image_preprocessor.py", dir);
    snprintf(clf_c, sizeof clf_c, "%s/%s", dir, clf_c_name);
    snprintf(clf_cpp, sizeof clf_cpp, "%s/%s", dir, clf_cpp_name);
    snprintf(clf_py, sizeof clf_py, "%s/%s", dir, clf_py_name);
    snprintf(cache, sizeof cache, "%s/.ramp-build", dir);
    snprintf(out_dir, sizeof out_dir, "%s/.ramp-build/out", dir);
    snprintf(flags_path, sizeof flags_path, "%s/build.flags", dir);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return ramp__err_set(err, RAMP_ENOENT, "submission folder %s not found", dir);
    memset(out, 0, sizeof *out);
    out->model = o->model;
    /* rampwf's simplified_image_classifier: image_classifier.py alone (its
       ImageClassifier reads the images itself through an image loader) */
    char simple[4096];
    snprintf(simple, sizeof simple, "%s/image_classifier.py", dir);
    if (o->model == RAMP__MODEL_CLASSIFIER && file_exists(simple) && !file_exists(pp_c) && !file_exists(pp_py) && !file_exists(clf_c) &&
        !file_exists(clf_cpp) && !file_exists(clf_py)) {
        ramp_status st = prepare_dirs(o, dir, cache, out_dir, err);
        if (st) return st;
        snprintf(out->clf_py, sizeof out->clf_py, "%s", simple);
        out->simplified = 1;
        return check_python(o, dir, "image_classifier.py", log, err);
    }
    /* rampwf's ObjectDetector: object_detector.py alone (fit(X, y) and
       predict(X) over whole arrays; the plugin puts them on ramp's detector
       contract, python/rampwf/workflows/object_detector.py) */
    char arrays[4096];
    snprintf(arrays, sizeof arrays, "%s/object_detector.py", dir);
    if (o->model == RAMP__MODEL_DETECTOR && file_exists(arrays) && !file_exists(pp_c) &&
        !file_exists(pp_py) && !file_exists(clf_c) && !file_exists(clf_cpp) &&
        !file_exists(clf_py)) {
        ramp_status st = prepare_dirs(o, dir, cache, out_dir, err);
        if (st) return st;
        snprintf(out->clf_py, sizeof out->clf_py, "%s", arrays);
        out->arrays = 1;
        return check_python(o, dir, "object_detector.py", log, err);
    }
    int pp_is_py = !file_exists(pp_c) && file_exists(pp_py);
    if (!file_exists(pp_c) && !pp_is_py)
        return ramp__err_set(err, RAMP_ENOENT,
                             "%s/image_preprocessor.c (or .py) not found (or image_classifier.py "
                             "alone, for the simplified_image_classifier workflow)",
                             dir);
    int cxx = 0, clf_is_py = 0;
    const char *clf = clf_c_name;
    if (!file_exists(clf_c)) {
        if (file_exists(clf_cpp)) {
            clf = clf_cpp_name;
            cxx = 1;
        } else if (file_exists(clf_py)) {
            clf_is_py = 1;
        } else {
            return ramp__err_set(err, RAMP_ENOENT, "%s/%s (or .cpp, .py) not found%s", dir,
                                 clf_c_name,
                                 o->model == RAMP__MODEL_DETECTOR    ? " (a detection kit)"
                                 : o->model == RAMP__MODEL_SEGMENTER ? " (a segmentation kit)"
                                                                     : "");
        }
    }
    ramp_status pst = prepare_dirs(o, dir, cache, out_dir, err);
    if (pst) return pst;
    if (pp_is_py) {
        snprintf(out->pp_py, sizeof out->pp_py, "%s", pp_py);
        ramp_status st = check_python(o, dir, "image_preprocessor.py", log, err);
        if (st) return st;
    } else {
        snprintf(out->pp_so, sizeof out->pp_so, "%s/image_preprocessor.so", out_dir);
    }
    if (clf_is_py) {
        snprintf(out->clf_py, sizeof out->clf_py, "%s", clf_py);
        ramp_status st = check_python(o, dir, clf_py_name, log, err);
        if (st) return st;
    } else {
        snprintf(out->clf_so, sizeof out->clf_so, "%s/%s", out_dir, clf_so_name);
    }

    uint8_t *flags = NULL;
    size_t flen = 0;
    if (file_exists(flags_path)) {
        ramp_status st = ramp__read_file(flags_path, 65536, &flags, &flen, err);
        if (st) return st;
    }
    char *f1 = flags ? ramp__strdup((char *)flags) : NULL;
    ramp_status st = RAMP_OK;
    if (!pp_is_py)
        st = compile_one(o, dir, "image_preprocessor.c", "image_preprocessor.so", 0, NULL, log, err);
    if (!st && !clf_is_py)
        st = compile_one(o, dir, clf, clf_so_name, cxx, f1, log, err);
    free(f1);
    free(flags);
    return st;
}
