/* util.c — whole-file reads, path joins and a monotonic clock. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "coreInt.h"

ramp_status ramp__read_file_with(const char *path, size_t max_bytes, ramp__alloc_fn alloc,
                                 void *ctx, uint8_t **data, size_t *len, ramp_err *err)
{
    *data = NULL;
    *len = 0;
    /* plain open/read: no stdio buffer and no extra copy, which matters when
       a loader thread reads thousands of small images a second */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return ramp__err_set(err, e == ENOENT ? RAMP_ENOENT : RAMP_EIO, "%s: %s", path,
                             strerror(e));
    }
    ramp_status st = RAMP_OK;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        st = ramp__err_set(err, RAMP_EIO, "%s: %s", path, strerror(e));
        goto done;
    }
    if (S_ISDIR(sb.st_mode)) {
        st = ramp__err_set(err, RAMP_EIO, "%s: is a directory", path);
        goto done;
    }
    if (sb.st_size < 0 || (uint64_t)sb.st_size > max_bytes) {
        st = ramp__err_set(err, RAMP_ETOOBIG, "%s: file of %lld bytes exceeds the limit of %zu",
                           path, (long long)sb.st_size, max_bytes);
        goto done;
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *buf = alloc(ctx, n + 1); /* +1: a NUL for text, a valid pointer when empty */
    if (!buf) {
        st = ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory for %zu bytes", path, n);
        goto done;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, buf + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    if (got != n) {
        st = ramp__err_set(err, RAMP_EIO, "%s: read error (%zu of %zu bytes)", path, got, n);
        goto done; /* buf belongs to the allocator's owner; ramp__read_file frees its own */
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
done:
    close(fd);
    return st;
}

static void *malloc_ctx(void *ctx, size_t n)
{
    void **last = ctx;
    return *last = malloc(n);
}

ramp_status ramp__read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len,
                            ramp_err *err)
{
    void *last = NULL;
    ramp_status st = ramp__read_file_with(path, max_bytes, malloc_ctx, &last, data, len, err);
    if (st) free(last);
    return st;
}

int ramp__mkdirs(const char *path)
{
    char tmp[4400];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(p);
    return 0;
}

void ramp__rmtree(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *ramp__path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int slash = la > 0 && a[la - 1] != '/';
    char *s = malloc(la + lb + 2);
    if (!s) return NULL;
    memcpy(s, a, la);
    if (slash) s[la] = '/';
    memcpy(s + la + slash, b, lb + 1);
    return s;
}

char *ramp__strdup(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

double ramp__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
