/* store_files.c — a submission's files: the names the store accepts, and
 * reading a folder into ramp__file records or writing them back. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/coreInt.h"
#include "store/storeInt.h"

/* ---- files ---------------------------------------------------------------------------- */

int ramp__name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 1 || n > 64 || name[0] == '.') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

void ramp__files_free(ramp__file *f, size_t n)
{
    for (size_t i = 0; f && i < n; i++) {
        free(f[i].name);
        free(f[i].data);
    }
    free(f);
}

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const ramp__file *)a)->name, ((const ramp__file *)b)->name);
}

ramp_status ramp__files_read_dir(const char *dir, ramp__file **files, size_t *n, ramp_err *err)
{
    *files = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return ramp__err_set(err, errno == ENOENT ? RAMP_ENOENT : RAMP_EIO, "%s: %s", dir,
                                 strerror(errno));
    ramp__file *f = calloc(RAMP__SUB_MAX_FILES, sizeof *f);
    size_t k = 0, total = 0;
    ramp_status st = f ? RAMP_OK : ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    struct dirent *e;
    while (!st && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = ramp__path_join(dir, e->d_name);
        struct stat sb;
        if (!p) {
            st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
            break;
        }
        if (lstat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(p);
            continue; /* folders (training_output, caches) and links are not sent */
        }
        if (!ramp__name_ok(e->d_name))
            st = ramp__err_set(err, RAMP_EINVAL, "%s: file name not allowed", p);
        else if (k == RAMP__SUB_MAX_FILES)
            st = ramp__err_set(err, RAMP_ETOOBIG, "%s: more than %d files", dir,
                               RAMP__SUB_MAX_FILES);
        else if ((size_t)sb.st_size > RAMP__SUB_MAX_FILE)
            st = ramp__err_set(err, RAMP_ETOOBIG, "%s: %lld bytes, over the %u-byte limit", p,
                               (long long)sb.st_size, RAMP__SUB_MAX_FILE);
        if (!st) {
            f[k].name = ramp__strdup(e->d_name);
            st = f[k].name ? ramp__read_file(p, RAMP__SUB_MAX_FILE, &f[k].data, &f[k].len, err)
                           : ramp__err_set(err, RAMP_ENOMEM, "out of memory");
            k++;
            total += sb.st_size > 0 ? (size_t)sb.st_size : 0;
            if (!st && total > RAMP__SUB_MAX_TOTAL)
                st = ramp__err_set(err, RAMP_ETOOBIG, "%s: over %u bytes in all", dir,
                                   RAMP__SUB_MAX_TOTAL);
        }
        free(p);
    }
    closedir(d);
    if (st) {
        ramp__files_free(f, k);
        return st;
    }
    qsort(f, k, sizeof *f, cmp_file);
    *files = f;
    *n = k;
    return RAMP_OK;
}

ramp_status ramp__files_write_dir(const char *dir, const ramp__file *files, size_t n,
                                  ramp_err *err)
{
    if (ramp__mkdirs(dir) != 0) return ramp__err_set(err, RAMP_EIO, "%s: %s", dir, strerror(errno));
    for (size_t i = 0; i < n; i++) {
        if (!ramp__name_ok(files[i].name))
            return ramp__err_set(err, RAMP_EINVAL, "file name '%s' not allowed", files[i].name);
        char *p = ramp__path_join(dir, files[i].name);
        if (!p) return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
        FILE *f = fopen(p, "wb");
        int ok = f && fwrite(files[i].data, 1, files[i].len, f) == files[i].len;
        if (f && fclose(f) != 0) ok = 0;
        if (!ok) {
            ramp__err_set(err, RAMP_EIO, "%s: cannot write: %s", p, strerror(errno));
            free(p);
            return RAMP_EIO;
        }
        free(p);
    }
    return RAMP_OK;
}
