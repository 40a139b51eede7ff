/* build.c — compiles a submission with the system compiler.
 *
 * Each source becomes one shared object with its undefined ramp_* symbols
 * left to the loading process (the ramp tool exports the whole library), so
 * the object stays small and uses exactly the library it runs in. A stamp
 * file beside each object records a hash of everything that went into it
 * (source bytes, command line, ABI version, ramp's headers); a matching stamp
 * skips the compile. The hash covers every file of the submission folder, so
 * a local header counts too. Extra compiler/linker arguments (e.g. for libtorch) go in
 * `build.flags` in the submission folder, whitespace-separated.
 *
 * A .py file is not compiled: it is syntax-checked by the Python the plugin
 * was built for (compile() in a separate process, nothing written), so a
 * syntax error is reported now, like a C compile error, with Python's
 * message in the log.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/coreInt.h"
#include "submission/submissionInt.h"

#define MAX_ARGS 128

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

/* Runs argv, capturing stdout+stderr into *log; returns the exit status
   (-1 if it could not run). */
static int run_capture(char *const argv[], char **log)
{
    int fd[2];
    if (pipe(fd) != 0) return -1;
    fflush(NULL); /* the child must not inherit pending output */
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fd[1], 1);
        dup2(fd[1], 2);
        close(fd[0]);
        close(fd[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fd[1]);
    char buf[4096];
    ssize_t k;
    while ((k = read(fd[0], buf, sizeof buf)) > 0 || (k < 0 && errno == EINTR))
        if (k > 0) log_append(log, buf, (size_t)k);
    close(fd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
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

/* Compiles src into so when its stamp is stale. */
static ramp_status compile_one(const char *dir, const char *src, const char *so, int cxx,
                               const char *include_dir, char *flags, char **log, ramp_err *err)
{
    char *argv[MAX_ARGS];
    int n = 0;
    const char *cc = getenv(cxx ? "RAMP_CXX" : "RAMP_CC");
    argv[n++] = (char *)(cc && cc[0] ? cc : cxx ? "c++" : "cc");
    argv[n++] = (char *)(cxx ? "-std=c++17" : "-std=c11");
    argv[n++] = "-O2";
    argv[n++] = "-g";
    argv[n++] = "-march=native";
    argv[n++] = "-fPIC";
    argv[n++] = "-shared";
    argv[n++] = "-Wall";
    char inc[4200];
    snprintf(inc, sizeof inc, "-I%s", include_dir);
    argv[n++] = inc;
    argv[n++] = "-o";
    argv[n++] = (char *)so;
    argv[n++] = (char *)src;
    for (char *tok = flags ? strtok(flags, " \t\r\n") : NULL; tok && n < MAX_ARGS - 1;
         tok = strtok(NULL, " \t\r\n"))
        argv[n++] = tok;
    argv[n] = NULL;

    uint64_t h = 0xcbf29ce484222325ULL;
    ramp_status st = hash_folder(dir, &h, err); /* the source and any local header */
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
    snprintf(ramp_inc, sizeof ramp_inc, "%s/ramp", include_dir);
    if (dir_exists(ramp_inc) && (st = hash_folder(ramp_inc, &h, err))) return st;
    char stamp_path[4200], want[32];
    snprintf(stamp_path, sizeof stamp_path, "%s.stamp", so);
    snprintf(want, sizeof want, "%016llx", (unsigned long long)h);
    FILE *f = fopen(stamp_path, "r");
    if (f) {
        char have[32] = {0};
        int same = fgets(have, sizeof have, f) && strncmp(have, want, 16) == 0;
        fclose(f);
        if (same && file_exists(so)) return RAMP_OK;
    }
    remove(stamp_path);
    char head[256];
    snprintf(head, sizeof head, "$ %s ... %s\n", argv[0], src);
    log_append(log, head, strlen(head));
    int rc = run_capture(argv, log);
    if (rc != 0) {
        return ramp__err_set(err, RAMP_ECOMPILE, "%s/%s does not compile (%s exited with %d)",
                             dir, strrchr(src, '/') ? strrchr(src, '/') + 1 : src, argv[0], rc);
    }
    f = fopen(stamp_path, "w");
    if (f) {
        fprintf(f, "%s\n", want);
        fclose(f);
    }
    return RAMP_OK;
}

#ifndef RAMP_PYTHON_EXE
#define RAMP_PYTHON_EXE "python3"
#endif

/* Checks that the plugin exists and that `src` parses. */
static ramp_status check_python(const char *dir, const char *src, char **log, ramp_err *err)
{
    char where[4096];
    if (!ramp__sub_python_plugin(where, sizeof where))
        return ramp__err_set(err, RAMP_EUNSUPPORTED,
                             "%s: Python submissions need the plugin ramp_python.so, built with "
                             "ramp when python3-dev and python3-numpy are installed (looked for "
                             "%s)",
                             src, where);
    const char *py = getenv("RAMP_PYTHON");
    char *argv[] = {(char *)(py && py[0] ? py : RAMP_PYTHON_EXE), "-I", "-S", "-c",
                    "import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[1], 'exec')",
                    (char *)src, NULL};
    char head[4300];
    snprintf(head, sizeof head, "$ %s -c 'compile(...)' %s\n", argv[0], src);
    log_append(log, head, strlen(head));
    int rc = run_capture(argv, log);
    if (rc != 0)
        return ramp__err_set(err, RAMP_ECOMPILE, "%s/%s does not compile (%s)", dir,
                             strrchr(src, '/') ? strrchr(src, '/') + 1 : src,
                             rc < 0 || rc == 127 ? "cannot run Python" : "Python syntax error");
    return RAMP_OK;
}

ramp_status ramp__sub_build(const char *dir, const char *include_dir, ramp__sub_paths *out,
                            char **log, ramp_err *err)
{
    char pp_c[4096], clf_c[4096], clf_cpp[4096], clf_py[4096], pp_py[4096], cache[3072],
        flags_path[4096];
    if (strlen(dir) > 3000) return ramp__err_set(err, RAMP_EINVAL, "submission path too long");
    snprintf(pp_c, sizeof pp_c, "%s/image_preprocessor.c", dir);
    snprintf(pp_py, sizeof pp_py, "%s/image_preprocessor.py", dir);
    snprintf(clf_c, sizeof clf_c, "%s/batch_classifier.c", dir);
    snprintf(clf_cpp, sizeof clf_cpp, "%s/batch_classifier.cpp", dir);
    snprintf(clf_py, sizeof clf_py, "%s/batch_classifier.py", dir);
    snprintf(cache, sizeof cache, "%s/.ramp-build", dir);
    snprintf(flags_path, sizeof flags_path, "%s/build.flags", dir);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return ramp__err_set(err, RAMP_ENOENT, "submission folder %s not found", dir);
    memset(out, 0, sizeof *out);
    int pp_is_py = !file_exists(pp_c) && file_exists(pp_py);
    if (!file_exists(pp_c) && !pp_is_py)
        return ramp__err_set(err, RAMP_ENOENT, "%s/image_preprocessor.c (or .py) not found", dir);
    int cxx = 0, clf_is_py = 0;
    const char *clf = clf_c;
    if (!file_exists(clf_c)) {
        if (file_exists(clf_cpp)) {
            clf = clf_cpp;
            cxx = 1;
        } else if (file_exists(clf_py)) {
            clf_is_py = 1;
        } else {
            return ramp__err_set(err, RAMP_ENOENT,
                                 "%s/batch_classifier.c (or .cpp, .py) not found", dir);
        }
    }
    if (mkdir(cache, 0755) != 0 && errno != EEXIST)
        return ramp__err_set(err, RAMP_EIO, "%s: %s", cache, strerror(errno));
    if (pp_is_py) {
        snprintf(out->pp_py, sizeof out->pp_py, "%s", pp_py);
        ramp_status st = check_python(dir, pp_py, log, err);
        if (st) return st;
    } else {
        snprintf(out->pp_so, sizeof out->pp_so, "%s/image_preprocessor.so", cache);
    }
    if (clf_is_py) {
        snprintf(out->clf_py, sizeof out->clf_py, "%s", clf_py);
        ramp_status st = check_python(dir, clf_py, log, err);
        if (st) return st;
    } else {
        snprintf(out->clf_so, sizeof out->clf_so, "%s/batch_classifier.so", cache);
    }

    uint8_t *flags = NULL;
    size_t flen = 0;
    if (file_exists(flags_path)) {
        ramp_status st = ramp__read_file(flags_path, 65536, &flags, &flen, err);
        if (st) return st;
    }
    char *f1 = flags ? ramp__strdup((char *)flags) : NULL;
    ramp_status st = RAMP_OK;
    if (!pp_is_py) st = compile_one(dir, pp_c, out->pp_so, 0, include_dir, NULL, log, err);
    if (!st && !clf_is_py) st = compile_one(dir, clf, out->clf_so, cxx, include_dir, f1, log, err);
    free(f1);
    free(flags);
    return st;
}
