/* npz.c — numpy's .npz files as np.savez_compressed writes them: a zip
 * archive whose members are .npy files named after their keys
 * (`y_pred.npy` for savez_compressed(f, y_pred=...)), each deflated.
 *
 * The archive is built in memory (members are prediction matrices: at most
 * a few hundred MiB) and written to PATH.tmp, then renamed, so a reader never
 * sees half a file. Plain zip (no zip64): a member or the archive past 4 GiB
 * is refused. np.load and Python's zipfile read it back; the members' time
 * stamps are fixed (1980-01-01) so the same arrays give the same bytes.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/coreInt.h"
#include "workflow/workflowInt.h"

#define ZIP_MAX 0xFFFFFFFFu
#define DOS_DATE ((0u << 9) | (1u << 5) | 1u) /* 1980-01-01 */

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v & 0xFFFF);
    put16(p + 2, v >> 16);
}

/* Raw deflate of src into a malloc'd *out. */
static ramp_status deflate_raw(const uint8_t *src, size_t n, uint8_t **out, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return RAMP_ENOMEM;
    uLong cap = deflateBound(&z, (uLong)n);
    *out = malloc(cap ? cap : 1);
    if (!*out) {
        deflateEnd(&z);
        return RAMP_ENOMEM;
    }
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)n;
    z.next_out = *out;
    z.avail_out = (uInt)cap;
    int zr = deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    deflateEnd(&z);
    if (zr != Z_STREAM_END) {
        free(*out);
        *out = NULL;
        return RAMP_EINTERNAL;
    }
    return RAMP_OK;
}

ramp_status ramp__npz_write(const char *path, size_t n, const char *const *keys,
                            const uint8_t *const *npy, const size_t *npy_len, ramp_err *err)
{
    uint8_t **comp = calloc(n + 1, sizeof *comp);
    size_t *clen = calloc(n + 1, sizeof *clen);
    uint32_t *crc = calloc(n + 1, sizeof *crc), *offset = calloc(n + 1, sizeof *offset);
    uint8_t *zip = NULL;
    FILE *f = NULL;
    char tmp[4200];
    ramp_status st = RAMP_OK;
    if (!comp || !clen || !crc || !offset) {
        st = ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    size_t total = 22; /* the end record */
    for (size_t i = 0; i < n; i++) {
        size_t name_len = strlen(keys[i]) + 4; /* KEY.npy */
        if (npy_len[i] > ZIP_MAX || name_len > 0xFFFF) {
            st = ramp__err_set(err, RAMP_ETOOBIG, "%s: member %s is over 4 GiB", path, keys[i]);
            goto done;
        }
        if (deflate_raw(npy[i], npy_len[i], &comp[i], &clen[i])) {
            st = ramp__err_set(err, RAMP_ENOMEM, "%s: cannot compress %s", path, keys[i]);
            goto done;
        }
        crc[i] = (uint32_t)crc32(crc32(0L, Z_NULL, 0), npy[i], (uInt)npy_len[i]);
        total += 30 + 46 + 2 * name_len + clen[i];
    }
    if (total > ZIP_MAX) {
        st = ramp__err_set(err, RAMP_ETOOBIG, "%s: the archive would be over 4 GiB", path);
        goto done;
    }
    if (!(zip = malloc(total))) {
        st = ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) { /* local headers and data */
        size_t name_len = strlen(keys[i]) + 4;
        uint8_t *h = zip + at;
        offset[i] = (uint32_t)at;
        put32(h, 0x04034b50);
        put16(h + 4, 20);       /* version needed: deflate */
        put16(h + 6, 0);        /* flags */
        put16(h + 8, 8);        /* method: deflate */
        put16(h + 10, 0);       /* time */
        put16(h + 12, DOS_DATE);
        put32(h + 14, crc[i]);
        put32(h + 18, (uint32_t)clen[i]);
        put32(h + 22, (uint32_t)npy_len[i]);
        put16(h + 26, (uint32_t)name_len);
        put16(h + 28, 0); /* extra */
        memcpy(h + 30, keys[i], name_len - 4);
        memcpy(h + 30 + name_len - 4, ".npy", 4);
        memcpy(h + 30 + name_len, comp[i], clen[i]);
        at += 30 + name_len + clen[i];
    }
    size_t cd = at;
    for (size_t i = 0; i < n; i++) { /* the central directory */
        size_t name_len = strlen(keys[i]) + 4;
        uint8_t *h = zip + at;
        put32(h, 0x02014b50);
        put16(h + 4, (3u << 8) | 20); /* made by: unix, 2.0 */
        put16(h + 6, 20);
        put16(h + 8, 0);
        put16(h + 10, 8);
        put16(h + 12, 0);
        put16(h + 14, DOS_DATE);
        put32(h + 16, crc[i]);
        put32(h + 20, (uint32_t)clen[i]);
        put32(h + 24, (uint32_t)npy_len[i]);
        put16(h + 28, (uint32_t)name_len);
        put16(h + 30, 0);                  /* extra */
        put16(h + 32, 0);                  /* comment */
        put16(h + 34, 0);                  /* disk */
        put16(h + 36, 0);                  /* internal attributes */
        put32(h + 38, 0100644u << 16);     /* a regular file, rw-r--r-- */
        put32(h + 42, offset[i]);
        memcpy(h + 46, keys[i], name_len - 4);
        memcpy(h + 46 + name_len - 4, ".npy", 4);
        at += 46 + name_len;
    }
    uint8_t *e = zip + at;
    put32(e, 0x06054b50);
    put16(e + 4, 0);
    put16(e + 6, 0);
    put16(e + 8, (uint32_t)n);
    put16(e + 10, (uint32_t)n);
    put32(e + 12, (uint32_t)(at - cd));
    put32(e + 16, (uint32_t)cd);
    put16(e + 20, 0);
    at += 22;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "wb");
    if (!f) {
        st = ramp__err_set(err, RAMP_EIO, "%s: %s", tmp, strerror(errno));
        goto done;
    }
    int bad = fwrite(zip, 1, at, f) != at;
    bad |= fclose(f) != 0;
    f = NULL;
    if (bad || rename(tmp, path) != 0) {
        st = ramp__err_set(err, RAMP_EIO, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
    }
done:
    for (size_t i = 0; comp && i < n; i++) free(comp[i]);
    free(comp);
    free(clen);
    free(crc);
    free(offset);
    free(zip);
    return st;
}
