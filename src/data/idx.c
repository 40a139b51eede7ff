/* idx.c — the gzipped big-endian IDX files of (Fashion-)MNIST (Debian's
 * dataset-fashion-mnist): images (magic 0x803, N×28×28 bytes) and labels
 * (0x801, N bytes). The one IDX reader: the kit builder, the training test
 * and the benchmarks all read through it. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/coreInt.h"
#include "data/dataInt.h"

#define FMNIST_SIDE 28

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Reads a gzipped IDX file: images (magic 0x803, N, 28, 28) or labels
   (0x801, N). *data receives N*item bytes (malloc'd). */
ramp_status ramp__idx_read(const char *path, uint32_t magic, size_t max, uint8_t **data,
                           uint32_t *count, ramp_err *err)
{
    *data = NULL;
    *count = 0;
    gzFile f = gzopen(path, "rb");
    if (!f)
        return ramp__err_set(err, errno == ENOENT ? RAMP_ENOENT : RAMP_EIO,
                             "%s: cannot open (%s); install dataset-fashion-mnist or pass --source",
                             path, errno ? strerror(errno) : "zlib error");
    ramp_status st = RAMP_OK;
    uint8_t hdr[16];
    size_t hlen = magic == 0x803 ? 16 : 8;
    uint8_t *buf = NULL;
    if (gzread(f, hdr, (unsigned)hlen) != (int)hlen) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s: truncated IDX header", path);
        goto done;
    }
    if (be32(hdr) != magic) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s: IDX magic 0x%08x, expected 0x%08x", path,
                           be32(hdr), magic);
        goto done;
    }
    uint32_t n = be32(hdr + 4);
    size_t item = 1;
    if (magic == 0x803) {
        if (be32(hdr + 8) != FMNIST_SIDE || be32(hdr + 12) != FMNIST_SIDE) {
            st = ramp__err_set(err, RAMP_EFORMAT, "%s: images are %ux%u, expected 28x28", path,
                               be32(hdr + 8), be32(hdr + 12));
            goto done;
        }
        item = FMNIST_SIDE * FMNIST_SIDE;
    }
    if (n == 0 || n > 10000000) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s: implausible item count %u", path, n);
        goto done;
    }
    if (max && n > max) n = (uint32_t)max; /* the first max items */
    size_t total = (size_t)n * item;
    buf = malloc(total);
    if (!buf) {
        st = ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory for %zu bytes", path, total);
        goto done;
    }
    for (size_t got = 0; got < total;) {
        size_t want = total - got > (1u << 30) ? (1u << 30) : total - got;
        int r = gzread(f, buf + got, (unsigned)want);
        if (r <= 0) {
            st = ramp__err_set(err, RAMP_EFORMAT, "%s: truncated: %zu of %zu data bytes", path, got,
                               total);
            goto done;
        }
        got += (size_t)r;
    }
    *data = buf;
    *count = n;
    buf = NULL;
done:
    free(buf);
    gzclose(f);
    return st;
}
