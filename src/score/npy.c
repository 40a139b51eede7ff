/* npy.c — the numpy .npy format, versions 1.0 to 3.0 (3.0 only differs by
 * a UTF-8 header, which for our dtypes is plain ASCII).
 *
 * The header is a Python dict literal; a small parser accepts exactly the
 * three keys numpy writes (descr, fortran_order, shape) in any order. Files
 * are read in two steps (header, then data straight into the output buffer)
 * so a large prediction matrix is never held twice; the data size is checked
 * against the file size before anything is allocated.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ramp/npy.h"
#include "core/coreInt.h"
#include "score/scoreInt.h"

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
static const char *const dtype_names[] = {"<f8", "<f4", "<i8", "<i4"};

size_t ramp_npy_dtype_size(ramp_npy_dtype dt)
{
    switch (dt) {
    case RAMP_NPY_F8:
    case RAMP_NPY_I8:
        return 8;
    case RAMP_NPY_F4:
    case RAMP_NPY_I4:
        return 4;
    }
    return 0;
}

static int host_little_endian(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

void ramp_npy_clear(ramp_npy *a)
{
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* --- header ---------------------------------------------------------------- */

typedef struct {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int eat(cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted string into buf (at most cap-1 chars); 0 on syntax error. */
static int parse_str(cursor *c, char *buf, size_t cap)
{
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (n + 1 >= cap) return 0;
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end) return 0;
    c->p++;
    buf[n] = 0;
    return 1;
}

static int parse_word(cursor *c, const char *w)
{
    skip_ws(c);
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0) return 0;
    c->p += n;
    return 1;
}

typedef struct {
    ramp_npy_dtype dtype;
    int ndim, max_ndim; /* max_ndim: the most the caller takes (2, or RAMP_NPY_MAX_DIMS) */
    size_t shape[RAMP_NPY_MAX_DIMS];
    size_t header_len; /* prelude + dict: offset of the data */
} npy_header;

/* Parses the prelude and dict in buf[0..len); on RAMP_EFORMAT with
   *need > len, the buffer was too short and *need bytes are wanted. */
static ramp_status header_parse(const uint8_t *buf, size_t len, const char *name, npy_header *h,
                                size_t *need, ramp_err *err)
{
    *need = 0;
    if (len < 10) {
        *need = 12;
        return ramp__err_set(err, RAMP_EFORMAT, "%s: truncated (%zu bytes, no .npy header)", name,
                             len);
    }
    if (memcmp(buf, npy_magic, 6) != 0)
        return ramp__err_set(err, RAMP_EFORMAT, "%s: bad magic (not a .npy file)", name);
    unsigned major = buf[6];
    size_t pre, dict_len;
    if (major == 1) {
        pre = 10;
        dict_len = (size_t)buf[8] | (size_t)buf[9] << 8;
    } else if (major == 2 || major == 3) {
        if (len < 12) {
            *need = 12;
            return ramp__err_set(err, RAMP_EFORMAT, "%s: truncated header", name);
        }
        pre = 12;
        dict_len = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 |
                   (size_t)buf[11] << 24;
    } else {
        return ramp__err_set(err, RAMP_EUNSUPPORTED, "%s: unsupported .npy version %u.%u", name,
                             major, (unsigned)buf[7]);
    }
    if (dict_len > (1u << 24))
        return ramp__err_set(err, RAMP_EFORMAT, "%s: header of %zu bytes is implausible", name,
                             dict_len);
    if (len < pre + dict_len) {
        *need = pre + dict_len;
        return ramp__err_set(err, RAMP_EFORMAT, "%s: truncated header (%zu of %zu bytes)", name,
                             len, pre + dict_len);
    }
    cursor c = {(const char *)buf + pre, (const char *)buf + pre + dict_len};
    int got_descr = 0, got_order = 0, got_shape = 0;
    char descr[32] = "";
    if (!eat(&c, '{')) goto syntax;
    while (!eat(&c, '}')) {
        char key[32];
        if (!parse_str(&c, key, sizeof key) || !eat(&c, ':')) goto syntax;
        if (strcmp(key, "descr") == 0) {
            if (!parse_str(&c, descr, sizeof descr)) {
                skip_ws(&c);
                if (c.p < c.end && *c.p == '[')
                    return ramp__err_set(err, RAMP_EUNSUPPORTED,
                                         "%s: unsupported dtype (structured array)", name);
                goto syntax;
            }
            got_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (parse_word(&c, "True"))
                return ramp__err_set(err, RAMP_EUNSUPPORTED,
                                     "%s: fortran order is not supported (save a C-order array)",
                                     name);
            if (!parse_word(&c, "False")) goto syntax;
            got_order = 1;
        } else if (strcmp(key, "shape") == 0) {
            if (!eat(&c, '(')) goto syntax;
            h->ndim = 0;
            while (!eat(&c, ')')) {
                skip_ws(&c);
                if (c.p >= c.end || *c.p < '0' || *c.p > '9') goto syntax;
                size_t v = 0;
                while (c.p < c.end && *c.p >= '0' && *c.p <= '9') {
                    if (v > (SIZE_MAX - 9) / 10)
                        return ramp__err_set(err, RAMP_ETOOBIG, "%s: dimension too large", name);
                    v = v * 10 + (size_t)(*c.p++ - '0');
                }
                if (h->ndim >= h->max_ndim)
                    return ramp__err_set(err, RAMP_EUNSUPPORTED,
                                         "%s: more than %d dimensions are not supported", name,
                                         h->max_ndim);
                h->shape[h->ndim++] = v;
                if (!eat(&c, ',')) {
                    if (!eat(&c, ')')) goto syntax;
                    break;
                }
            }
            if (h->ndim == 0)
                return ramp__err_set(err, RAMP_EUNSUPPORTED, "%s: 0-d arrays are not supported",
                                     name);
            got_shape = 1;
        } else {
            return ramp__err_set(err, RAMP_EFORMAT, "%s: unknown header key '%s'", name, key);
        }
        if (!eat(&c, ',')) {
            if (!eat(&c, '}')) goto syntax;
            break;
        }
    }
    if (!got_descr || !got_order || !got_shape)
        return ramp__err_set(err, RAMP_EFORMAT, "%s: header lacks %s", name,
                             !got_descr ? "descr" : !got_order ? "fortran_order" : "shape");
    int dt = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(descr, dtype_names[i]) == 0) dt = i;
    if (dt < 0)
        return ramp__err_set(err, RAMP_EUNSUPPORTED,
                             "%s: unsupported dtype '%s' (want '<f8', '<f4', '<i8' or '<i4')",
                             name, descr);
    h->dtype = (ramp_npy_dtype)dt;
    if (h->ndim == 1) h->shape[1] = 1;
    h->header_len = pre + dict_len;
    return RAMP_OK;
syntax:
    return ramp__err_set(err, RAMP_EFORMAT, "%s: malformed header near byte %zu", name,
                         (size_t)(c.p - (const char *)buf));
}

/* Bytes of data for h, or 0 with an error when it overflows. */
static ramp_status data_bytes(const npy_header *h, const char *name, size_t *bytes, ramp_err *err)
{
    size_t es = ramp_npy_dtype_size(h->dtype);
    size_t n = h->shape[0];
    for (int d = 1; d < (h->ndim > 1 ? h->ndim : 2); d++) {
        if (h->shape[d] && n > SIZE_MAX / h->shape[d])
            return ramp__err_set(err, RAMP_ETOOBIG, "%s: shape overflows", name);
        n *= h->shape[d];
    }
    if (n > SIZE_MAX / es) return ramp__err_set(err, RAMP_ETOOBIG, "%s: shape overflows", name);
    *bytes = n * es;
    return RAMP_OK;
}

/* out as the array's 2-D view: rows, then the product of the other dims. */
static void fill_out(ramp_npy *out, const npy_header *h, void *data)
{
    out->dtype = h->dtype;
    out->ndim = h->ndim < 2 ? h->ndim : 2;
    out->shape[0] = h->shape[0];
    out->shape[1] = h->shape[1];
    for (int d = 2; d < h->ndim; d++) out->shape[1] *= h->shape[d]; /* data_bytes checked it */
    out->data = data;
}

ramp_status ramp_npy_parse(ramp_npy *out, const uint8_t *buf, size_t len, const char *name,
                           ramp_err *err)
{
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "npy: NULL output");
    memset(out, 0, sizeof *out);
    if (!name) name = "<memory>";
    if (!buf && len) return ramp__err_set(err, RAMP_EINVAL, "%s: NULL buffer", name);
    if (!host_little_endian())
        return ramp__err_set(err, RAMP_EUNSUPPORTED, "%s: big-endian hosts are not supported",
                             name);
    npy_header h = { .max_ndim = 2 };
    size_t need, bytes;
    ramp_status st = header_parse(buf, len, name, &h, &need, err);
    if (st) return st;
    if ((st = data_bytes(&h, name, &bytes, err))) return st;
    size_t avail = len - h.header_len;
    if (avail < bytes)
        return ramp__err_set(err, RAMP_EFORMAT, "%s: truncated data (%zu of %zu bytes)", name,
                             avail, bytes);
    if (avail > bytes)
        return ramp__err_set(err, RAMP_EFORMAT, "%s: %zu trailing bytes after the data", name,
                             avail - bytes);
    void *data = malloc(bytes ? bytes : 1);
    if (!data) return ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory for %zu bytes", name, bytes);
    if (bytes) memcpy(data, buf + h.header_len, bytes);
    fill_out(out, &h, data);
    return RAMP_OK;
}

/* ramp_npy_read of arrays of up to max_ndim dims; their shape into *h. */
static ramp_status read_file(ramp_npy *out, npy_header *h, int max_ndim, const char *path,
                             size_t max_bytes, ramp_err *err);

ramp_status ramp_npy_read(ramp_npy *out, const char *path, size_t max_bytes, ramp_err *err)
{
    npy_header h;
    return read_file(out, &h, 2, path, max_bytes, err);
}

ramp_status ramp_npy_read_nd(ramp_npy *out, int *ndim, size_t dims[RAMP_NPY_MAX_DIMS],
                             const char *path, size_t max_bytes, ramp_err *err)
{
    npy_header h;
    if (ndim) *ndim = 0;
    if (!ndim || !dims) {
        if (out) memset(out, 0, sizeof *out);
        return ramp__err_set(err, RAMP_EINVAL, "npy: NULL ndim or dims");
    }
    ramp_status st = read_file(out, &h, RAMP_NPY_MAX_DIMS, path, max_bytes, err);
    if (st) return st;
    *ndim = h.ndim;
    for (int d = 0; d < h.ndim; d++) dims[d] = h.shape[d];
    return RAMP_OK;
}

static ramp_status read_file(ramp_npy *out, npy_header *hp, int max_ndim, const char *path,
                             size_t max_bytes, ramp_err *err)
{
    if (!out || !path) return ramp__err_set(err, RAMP_EINVAL, "npy: NULL path or output");
    memset(out, 0, sizeof *out);
    if (!host_little_endian())
        return ramp__err_set(err, RAMP_EUNSUPPORTED, "%s: big-endian hosts are not supported",
                             path);
    ramp_status st = RAMP_OK;
    uint8_t *hbuf = NULL;
    void *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        return ramp__err_set(err, e == ENOENT ? RAMP_ENOENT : RAMP_EIO, "%s: %s", path,
                             strerror(e));
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = ramp__err_set(err, RAMP_EIO, "%s: not a regular file", path);
        goto fail;
    }
    size_t fsize = (size_t)sb.st_size;
    if (max_bytes && fsize > max_bytes) {
        st = ramp__err_set(err, RAMP_ETOOBIG, "%s: file of %zu bytes exceeds the limit of %zu",
                           path, fsize, max_bytes);
        goto fail;
    }
    /* header: first the prelude, then as much as it announces */
    npy_header h = { .max_ndim = max_ndim };
    size_t need = 12, have = 0, bytes;
    for (int pass = 0; pass < 3; pass++) {
        if (need > fsize) need = fsize;
        uint8_t *nb = realloc(hbuf, need ? need : 1);
        if (!nb) {
            st = ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", path);
            goto fail;
        }
        hbuf = nb;
        if (need > have) {
            if (fread(hbuf + have, 1, need - have, f) != need - have) {
                st = ramp__err_set(err, RAMP_EIO, "%s: read error", path);
                goto fail;
            }
            have = need;
        }
        st = header_parse(hbuf, have, path, &h, &need, err);
        if (st == RAMP_OK) break;
        if (!(st == RAMP_EFORMAT && need > have && have < fsize)) goto fail;
    }
    if (st) goto fail;
    if ((st = data_bytes(&h, path, &bytes, err))) goto fail;
    size_t avail = fsize - h.header_len;
    if (avail < bytes) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s: truncated data (%zu of %zu bytes)", path,
                           avail, bytes);
        goto fail;
    }
    if (avail > bytes) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s: %zu trailing bytes after the data", path,
                           avail - bytes);
        goto fail;
    }
    if (!(data = malloc(bytes ? bytes : 1))) {
        st = ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory for %zu bytes", path, bytes);
        goto fail;
    }
    /* bytes of the data already in hbuf (header read may have gone past) */
    size_t pre = have > h.header_len ? have - h.header_len : 0;
    if (pre > bytes) pre = bytes;
    if (pre) memcpy(data, hbuf + h.header_len, pre);
    if (bytes > pre && fread((uint8_t *)data + pre, 1, bytes - pre, f) != bytes - pre) {
        st = ramp__err_set(err, RAMP_EIO, "%s: read error", path);
        goto fail;
    }
    fclose(f);
    free(hbuf);
    fill_out(out, &h, data);
    *hp = h;
    return RAMP_OK;
fail:
    fclose(f);
    free(hbuf);
    free(data);
    return st;
}

/* --- writing --------------------------------------------------------------- */

/* The .npy header of an array (checked), into head (256 bytes); its length
   goes to *total and the data's byte count to *bytes. `name` is for messages. */
static ramp_status header_make(const char *name, ramp_npy_dtype dtype, int ndim, size_t rows,
                              size_t cols, const void *data, uint8_t head[256], size_t *total,
                              size_t *bytes_out, ramp_err *err)
{
    size_t es = ramp_npy_dtype_size(dtype);
    if (!es || (ndim != 1 && ndim != 2))
        return ramp__err_set(err, RAMP_EINVAL, "%s: bad dtype %d or ndim %d", name, (int)dtype,
                             ndim);
    if (ndim == 1) cols = 1;
    if (cols && rows > SIZE_MAX / cols / es)
        return ramp__err_set(err, RAMP_ETOOBIG, "%s: shape overflows", name);
    size_t bytes = rows * cols * es;
    if (bytes && !data) return ramp__err_set(err, RAMP_EINVAL, "%s: NULL data", name);
    if (!host_little_endian())
        return ramp__err_set(err, RAMP_EUNSUPPORTED, "%s: big-endian hosts are not supported",
                             name);

    char dict[160];
    int dl = ndim == 1 ? snprintf(dict, sizeof dict,
                                  "{'descr': '%s', 'fortran_order': False, 'shape': (%zu,), }",
                                  dtype_names[dtype], rows)
                       : snprintf(dict, sizeof dict,
                                  "{'descr': '%s', 'fortran_order': False, 'shape': (%zu, %zu), }",
                                  dtype_names[dtype], rows, cols);
    if (dl < 0 || (size_t)dl >= sizeof dict - 1)
        return ramp__err_set(err, RAMP_EINTERNAL, "%s: header too long", name);
    /* version 1.0: 10-byte prelude; pad dict + '\n' so the data is 64-aligned */
    size_t t = (10 + (size_t)dl + 1 + 63) / 64 * 64;
    size_t hl = t - 10;
    memcpy(head, npy_magic, 6);
    head[6] = 1;
    head[7] = 0;
    head[8] = (uint8_t)(hl & 0xff);
    head[9] = (uint8_t)(hl >> 8);
    memcpy(head + 10, dict, (size_t)dl);
    memset(head + 10 + dl, ' ', t - 10 - (size_t)dl);
    head[t - 1] = '\n';
    *total = t;
    *bytes_out = bytes;
    return RAMP_OK;
}

ramp_status ramp__npy_encode(ramp_npy_dtype dtype, int ndim, size_t rows, size_t cols,
                             const void *data, uint8_t **out, size_t *len, ramp_err *err)
{
    uint8_t head[256];
    size_t total, bytes;
    *out = NULL;
    *len = 0;
    ramp_status st = header_make("npy", dtype, ndim, rows, cols, data, head, &total, &bytes, err);
    if (st) return st;
    uint8_t *b = malloc(total + bytes + 1);
    if (!b) return ramp__err_set(err, RAMP_ENOMEM, "npy: out of memory");
    memcpy(b, head, total);
    if (bytes) memcpy(b + total, data, bytes);
    *out = b;
    *len = total + bytes;
    return RAMP_OK;
}

ramp_status ramp_npy_write(const char *path, ramp_npy_dtype dtype, int ndim, size_t rows,
                           size_t cols, const void *data, ramp_err *err)
{
    if (!path) return ramp__err_set(err, RAMP_EINVAL, "npy: NULL path");
    uint8_t head[256];
    size_t total, bytes;
    ramp_status hs = header_make(path, dtype, ndim, rows, cols, data, head, &total, &bytes, err);
    if (hs) return hs;

    ramp_status st = RAMP_OK;
    char *tmp = malloc(strlen(path) + 5);
    if (!tmp) return ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", path);
    strcpy(tmp, path);
    strcat(tmp, ".tmp");
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        st = ramp__err_set(err, RAMP_EIO, "%s: %s", tmp, strerror(errno));
        free(tmp);
        return st;
    }
    int bad = fwrite(head, 1, total, f) != total;
    if (!bad && bytes) bad = fwrite(data, 1, bytes, f) != bytes;
    if (fclose(f) != 0) bad = 1;
    if (bad) {
        st = ramp__err_set(err, RAMP_EIO, "%s: write error", tmp);
        remove(tmp);
    } else if (rename(tmp, path) != 0) {
        st = ramp__err_set(err, RAMP_EIO, "%s: rename from %s failed: %s", path, tmp,
                           strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return st;
}

ramp_status ramp_npy_write_matrix(const char *path, const double *data, size_t rows, size_t cols,
                                  ramp_err *err)
{
    return ramp_npy_write(path, RAMP_NPY_F8, 2, rows, cols, data, err);
}

ramp_status ramp_npy_write_matrix_f(const char *path, const float *data, size_t rows, size_t cols,
                                    ramp_err *err)
{
    return ramp_npy_write(path, RAMP_NPY_F4, 2, rows, cols, data, err);
}

ramp_status ramp_npy_write_labels(const char *path, const int32_t *y, size_t n, ramp_err *err)
{
    return ramp_npy_write(path, RAMP_NPY_I4, 1, n, 1, y, err);
}

/* --- typed readers ------------------------------------------------------- */

static ramp_status read_matrix(const char *path, ramp_npy *a, ramp_err *err)
{
    ramp_status st = ramp_npy_read(a, path, 0, err);
    if (st) return st;
    if (a->ndim != 2 || (a->dtype != RAMP_NPY_F8 && a->dtype != RAMP_NPY_F4)) {
        st = ramp__err_set(err, RAMP_EFORMAT,
                           "%s: expected a 2-D '<f8' or '<f4' matrix, found %d-D '%s'", path,
                           a->ndim, dtype_names[a->dtype]);
        ramp_npy_clear(a);
    }
    return st;
}

ramp_status ramp_npy_read_matrix(double **data, size_t *rows, size_t *cols, const char *path,
                                 ramp_err *err)
{
    ramp_npy a;
    *data = NULL;
    *rows = *cols = 0;
    ramp_status st = read_matrix(path, &a, err);
    if (st) return st;
    size_t n = a.shape[0] * a.shape[1];
    if (a.dtype == RAMP_NPY_F4) {
        double *d = malloc(n ? n * sizeof *d : 1);
        if (!d) {
            ramp_npy_clear(&a);
            return ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", path);
        }
        const float *s = a.data;
        for (size_t i = 0; i < n; i++)
            d[i] = (double)s[i];
        free(a.data);
        a.data = d;
    }
    *data = a.data;
    *rows = a.shape[0];
    *cols = a.shape[1];
    return RAMP_OK;
}

ramp_status ramp_npy_read_matrix_f(float **data, size_t *rows, size_t *cols, const char *path,
                                   ramp_err *err)
{
    ramp_npy a;
    *data = NULL;
    *rows = *cols = 0;
    ramp_status st = read_matrix(path, &a, err);
    if (st) return st;
    size_t n = a.shape[0] * a.shape[1];
    if (a.dtype == RAMP_NPY_F8) { /* narrow in place: float slots trail double ones */
        uint8_t *b = a.data; /* memcpy: the two views alias */
        for (size_t i = 0; i < n; i++) {
            double v;
            memcpy(&v, b + i * sizeof v, sizeof v);
            float fv = (float)v;
            memcpy(b + i * sizeof fv, &fv, sizeof fv);
        }
    }
    *data = a.data;
    *rows = a.shape[0];
    *cols = a.shape[1];
    return RAMP_OK;
}

ramp_status ramp_npy_read_labels(int32_t **y, size_t *n, const char *path, ramp_err *err)
{
    ramp_npy a;
    *y = NULL;
    *n = 0;
    ramp_status st = ramp_npy_read(&a, path, 0, err);
    if (st) return st;
    if (a.ndim != 1 || (a.dtype != RAMP_NPY_I8 && a.dtype != RAMP_NPY_I4)) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s: expected 1-D '<i8' or '<i4' labels, found %d-D '%s'",
                           path, a.ndim, dtype_names[a.dtype]);
        ramp_npy_clear(&a);
        return st;
    }
    if (a.dtype == RAMP_NPY_I8) {
        uint8_t *b = a.data; /* narrow in place; memcpy: the two views alias */
        for (size_t i = 0; i < a.shape[0]; i++) {
            int64_t v;
            memcpy(&v, b + i * sizeof v, sizeof v);
            if (v < INT32_MIN || v > INT32_MAX) {
                st = ramp__err_set(err, RAMP_ERANGE, "%s: label %lld at index %zu exceeds int32",
                                   path, (long long)v, i);
                ramp_npy_clear(&a);
                return st;
            }
            int32_t w = (int32_t)v;
            memcpy(b + i * sizeof w, &w, sizeof w);
        }
    }
    *y = a.data;
    *n = a.shape[0];
    return RAMP_OK;
}
