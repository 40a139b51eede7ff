/* util.c — whole-file reads, path joins and a monotonic clock. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "coreInt.h"

ramp_status ramp__read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len,
                            ramp_err *err)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        return ramp__err_set(err, e == ENOENT ? RAMP_ENOENT : RAMP_EIO, "%s: %s", path,
                             strerror(e));
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        int e = errno;
        fclose(f);
        return ramp__err_set(err, RAMP_EIO, "%s: %s", path, strerror(e));
    }
    if (S_ISDIR(sb.st_mode)) {
        fclose(f);
        return ramp__err_set(err, RAMP_EIO, "%s: is a directory", path);
    }
    if (sb.st_size < 0 || (uint64_t)sb.st_size > max_bytes) {
        fclose(f);
        return ramp__err_set(err, RAMP_ETOOBIG, "%s: file of %lld bytes exceeds the limit of %zu",
                             path, (long long)sb.st_size, max_bytes);
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory for %zu bytes", path, n);
    }
    size_t got = n ? fread(buf, 1, n, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (bad || got != n) {
        free(buf);
        return ramp__err_set(err, RAMP_EIO, "%s: read error", path);
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return RAMP_OK;
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
