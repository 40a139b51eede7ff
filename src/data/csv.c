/* csv.c — the CSV record reader, a string hash set, and the id,class index.
 *
 * The reader is a small state machine over a buffer in memory: one pass,
 * fields copied into a growing buffer, record lines kept for messages. The
 * index stores every id in one string buffer (offsets, not pointers, so it
 * can grow) and detects duplicates with an open-addressing hash set, so 70k
 * rows take a few milliseconds.
 *
 * An id is a relative path under the images folder (rampwf joins any id
 * onto it; public kits use ids like "train/0001.jpg"), so it is checked to
 * stay inside that folder: components separated by '/', none empty, "." or
 * "..", no leading '/', no NUL or backslash, bounded lengths.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "data/dataInt.h"
#include "ramp/dataset.h"

/* ---- the record reader ------------------------------------------------ */

void ramp__csv_init(ramp__csv *c, const char *text, size_t len, const char *name)
{
    memset(c, 0, sizeof *c);
    c->p = text;
    c->end = text + len;
    c->name = name ? name : "<csv>";
    c->line = 1;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) c->p += 3;
}

void ramp__csv_free(ramp__csv *c)
{
    free(c->buf);
    free(c->off);
    free(c->flen);
    c->buf = NULL;
    c->off = c->flen = NULL;
}

static int csv_putc(ramp__csv *c, char ch)
{
    if (c->len == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        char *b = realloc(c->buf, cap);
        if (!b) return -1;
        c->buf = b;
        c->cap = cap;
    }
    c->buf[c->len++] = ch;
    return 0;
}

static int csv_start_field(ramp__csv *c)
{
    if (c->nf == c->fcap) {
        size_t cap = c->fcap ? c->fcap * 2 : 16;
        size_t *o = realloc(c->off, cap * sizeof *o);
        if (!o) return -1;
        c->off = o;
        size_t *l = realloc(c->flen, cap * sizeof *l);
        if (!l) return -1;
        c->flen = l;
        c->fcap = cap;
    }
    c->off[c->nf] = c->len;
    c->flen[c->nf] = 0;
    c->nf++;
    return 0;
}

static int csv_end_field(ramp__csv *c)
{
    c->flen[c->nf - 1] = c->len - c->off[c->nf - 1];
    return csv_putc(c, '\0');
}

/* Consumes a line ending at c->p if there is one ("\r\n", "\n" or "\r"). */
static int csv_eol(ramp__csv *c)
{
    if (c->p < c->end && *c->p == '\r') {
        c->p++;
        if (c->p < c->end && *c->p == '\n') c->p++;
        c->line++;
        return 1;
    }
    if (c->p < c->end && *c->p == '\n') {
        c->p++;
        c->line++;
        return 1;
    }
    return 0;
}

int ramp__csv_next(ramp__csv *c, ramp_err *err)
{
    for (;;) {
        if (c->p >= c->end) return 0;
        c->len = 0;
        c->nf = 0;
        c->rec_line = c->line;
        int any_quote = 0;
        if (csv_start_field(c)) goto nomem;
        for (;;) {
            if (c->p >= c->end || csv_eol(c)) break;
            char ch = *c->p;
            if (ch == ',') {
                c->p++;
                if (csv_end_field(c) || csv_start_field(c)) goto nomem;
            } else if (ch == '"' && c->len == c->off[c->nf - 1]) {
                /* quoted field: runs to the next lone quote */
                size_t open_line = c->line;
                any_quote = 1;
                c->p++;
                for (;;) {
                    if (c->p >= c->end)
                        return ramp__err_set(err, RAMP_EPARSE, "%s:%zu: unterminated quote",
                                             c->name, open_line),
                               -1;
                    ch = *c->p++;
                    if (ch == '"') {
                        if (c->p < c->end && *c->p == '"') {
                            c->p++;
                        } else {
                            break;
                        }
                    } else if (ch == '\n' || (ch == '\r' && !(c->p < c->end && *c->p == '\n'))) {
                        c->line++;
                    }
                    if (csv_putc(c, ch)) goto nomem;
                }
            } else {
                /* unquoted text; a quote inside it is kept as is, text after
                   a closing quote is appended (Python's csv does the same) */
                c->p++;
                if (csv_putc(c, ch)) goto nomem;
            }
        }
        if (csv_end_field(c)) goto nomem;
        if (c->nf == 1 && c->flen[0] == 0 && !any_quote) continue; /* blank line */
        return 1;
    }
nomem:
    ramp__err_set(err, RAMP_ENOMEM, "%s:%zu: out of memory", c->name, c->line);
    return -1;
}

const char *ramp__csv_field(const ramp__csv *c, size_t i, size_t *len)
{
    if (len) *len = c->flen[i];
    return c->buf + c->off[i];
}

int ramp__parse_i64(const char *s, size_t n, int64_t *v)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    while (n > i && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    if (i == n) return 0;
    uint64_t x = 0;
    int over = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (x > (UINT64_MAX - d) / 10)
            over = 1;
        else
            x = x * 10 + d;
    }
    if (over || x > (uint64_t)INT64_MAX + (uint64_t)neg) return -1;
    *v = neg ? (x == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)x) : (int64_t)x;
    return 1;
}

/* ---- the string set ------------------------------------------------------ */

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a, then a final mix */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

static int strset_grow(ramp__strset *h, const size_t *offs, const size_t *lens, const char *base)
{
    size_t cap = h->cap ? h->cap * 2 : 1024;
    uint32_t *slot = calloc(cap, sizeof *slot);
    if (!slot) return -1;
    for (size_t i = 0; i < h->cap; i++) {
        if (!h->slot[i]) continue;
        uint32_t e = h->slot[i] - 1;
        size_t j = hash_bytes(base + offs[e], lens[e]) & (cap - 1);
        while (slot[j])
            j = (j + 1) & (cap - 1);
        slot[j] = h->slot[i];
    }
    free(h->slot);
    h->slot = slot;
    h->cap = cap;
    return 0;
}

long ramp__strset_add(ramp__strset *h, const char *base, const size_t *offs, const size_t *lens,
                      uint32_t entry)
{
    if ((h->n + 1) * 2 > h->cap && strset_grow(h, offs, lens, base)) return -2;
    const char *s = base + offs[entry];
    size_t n = lens[entry];
    size_t j = hash_bytes(s, n) & (h->cap - 1);
    while (h->slot[j]) {
        uint32_t e = h->slot[j] - 1;
        if (lens[e] == n && memcmp(base + offs[e], s, n) == 0) return (long)e;
        j = (j + 1) & (h->cap - 1);
    }
    h->slot[j] = entry + 1;
    h->n++;
    return -1;
}

void ramp__strset_free(ramp__strset *h)
{
    free(h->slot);
    h->slot = NULL;
    h->cap = h->n = 0;
}

/* ---- the index ------------------------------------------------------- */

#define ID_MAX_BYTES 1024    /* an id, whole */
#define ID_MAX_COMPONENT 255 /* one component (NAME_MAX on Linux) */

/* Why `id` (n bytes) is not a safe relative path under the images folder,
   or NULL when it is one. */
const char *ramp__id_unsafe(const char *id, size_t n)
{
    if (memchr(id, '\0', n)) return "NUL byte";
    if (memchr(id, '\\', n)) return "backslash";
    if (n > ID_MAX_BYTES) return "over 1024 bytes";
    if (id[0] == '/') return "starts with '/'";
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && id[i] != '/') continue;
        size_t len = i - start;
        const char *c = id + start;
        if (len == 0) return "empty component";
        if (len == 1 && c[0] == '.') return "'.' component";
        if (len == 2 && c[0] == '.' && c[1] == '.') return "'..' component";
        if (len > ID_MAX_COMPONENT) return "component over 255 bytes";
        start = i + 1;
    }
    return NULL;
}

struct ramp_index {
    char *name;
    char *ids; /* every id, NUL-terminated, back to back */
    size_t ids_len, ids_cap;
    size_t *off; /* id i at ids + off[i] */
    size_t *len;
    int32_t *labels;
    size_t *lines;
    size_t n, cap;
    /* rows skipped under RAMP_INDEX_SKIP_BAD_ROWS: messages back to back in
       skip_text, row k's at skip_off[k], its status skip_st[k] */
    char *skip_text;
    size_t skip_len, skip_text_cap;
    size_t *skip_off;
    ramp_status *skip_st;
    size_t n_skipped, skip_cap;
};

void ramp_index_free(ramp_index *ix)
{
    if (!ix) return;
    free(ix->name);
    free(ix->ids);
    free(ix->off);
    free(ix->len);
    free(ix->labels);
    free(ix->lines);
    free(ix->skip_text);
    free(ix->skip_off);
    free(ix->skip_st);
    free(ix);
}

static int index_reserve(ramp_index *ix, size_t id_bytes)
{
    if (ix->n == ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 1024;
        size_t *o = realloc(ix->off, cap * sizeof *o);
        if (!o) return -1;
        ix->off = o;
        size_t *l = realloc(ix->len, cap * sizeof *l);
        if (!l) return -1;
        ix->len = l;
        int32_t *y = realloc(ix->labels, cap * sizeof *y);
        if (!y) return -1;
        ix->labels = y;
        size_t *ln = realloc(ix->lines, cap * sizeof *ln);
        if (!ln) return -1;
        ix->lines = ln;
        ix->cap = cap;
    }
    if (ix->ids_len + id_bytes + 1 > ix->ids_cap) {
        size_t cap = ix->ids_cap ? ix->ids_cap : 4096;
        while (cap < ix->ids_len + id_bytes + 1)
            cap *= 2;
        char *b = realloc(ix->ids, cap);
        if (!b) return -1;
        ix->ids = b;
        ix->ids_cap = cap;
    }
    return 0;
}

/* Keeps a skipped row's message in the index; -1 when out of memory. */
static int index_skip(ramp_index *ix, ramp_status st, const char *msg)
{
    size_t len = strlen(msg);
    if (ix->n_skipped == ix->skip_cap) {
        size_t cap = ix->skip_cap ? 2 * ix->skip_cap : 16;
        size_t *off = realloc(ix->skip_off, cap * sizeof *off);
        if (!off) return -1;
        ix->skip_off = off;
        ramp_status *sts = realloc(ix->skip_st, cap * sizeof *sts);
        if (!sts) return -1;
        ix->skip_st = sts;
        ix->skip_cap = cap;
    }
    if (ix->skip_len + len + 1 > ix->skip_text_cap) {
        size_t cap = ix->skip_text_cap ? ix->skip_text_cap : 1024;
        while (cap < ix->skip_len + len + 1)
            cap *= 2;
        char *t = realloc(ix->skip_text, cap);
        if (!t) return -1;
        ix->skip_text = t;
        ix->skip_text_cap = cap;
    }
    memcpy(ix->skip_text + ix->skip_len, msg, len + 1);
    ix->skip_off[ix->n_skipped] = ix->skip_len;
    ix->skip_st[ix->n_skipped++] = st;
    ix->skip_len += len + 1;
    return 0;
}

/* A row-level problem: with RAMP_INDEX_SKIP_BAD_ROWS the row is skipped and
   the message kept in the index (RAMP_OK, or RAMP_ENOMEM in err); without,
   the call fails with it (returns the status). */
static ramp_status row_problem(ramp_index *ix, unsigned flags, ramp_err *err, ramp_status st,
                               const char *fmt, ...) RAMP__PRINTF(5, 6);
static ramp_status row_problem(ramp_index *ix, unsigned flags, ramp_err *err, ramp_status st,
                               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (flags & RAMP_INDEX_SKIP_BAD_ROWS) {
        ramp_err e;
        ramp__err_vset(&e, st, fmt, ap);
        va_end(ap);
        if (index_skip(ix, st, e.msg))
            return ramp__err_set(err, RAMP_ENOMEM, "%s (out of memory keeping it)", e.msg);
        return RAMP_OK;
    }
    ramp__err_vset(err, st, fmt, ap);
    va_end(ap);
    return st;
}

void ramp__csv_show(char *dst, size_t cap, const char *s, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j + 5 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f)
            j += (size_t)snprintf(dst + j, cap - j, "\\x%02x", ch);
        else
            dst[j++] = (char)ch;
        if (j >= 40 && i + 1 < n) {
            memcpy(dst + j, "...", 3);
            j += 3;
            break;
        }
    }
    dst[j] = 0;
}

ramp_status ramp_index_parse(ramp_index **out, const char *text, size_t len, const char *name,
                             int n_classes, unsigned flags, ramp_err *err)
{
    ramp__err_clear(err);
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "ramp_index_parse: out is NULL");
    *out = NULL;
    if (!text && len) return ramp__err_set(err, RAMP_EINVAL, "ramp_index_parse: text is NULL");
    if (!name) name = "<csv>";
    ramp_status st = RAMP_OK;
    ramp__csv c;
    ramp__strset seen = {0};
    ramp__csv_init(&c, text ? text : "", len, name);
    ramp_index *ix = calloc(1, sizeof *ix);
    if (!ix || !(ix->name = ramp__strdup(name))) {
        st = ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", name);
        goto fail;
    }
    int r = ramp__csv_next(&c, err);
    if (r < 0) {
        st = err ? err->code : RAMP_EPARSE;
        goto fail;
    }
    if (r == 0) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s:1: empty file (a header 'id,class' is required)",
                           name);
        goto fail;
    }
    size_t col_id = SIZE_MAX, col_class = SIZE_MAX, n_cols = c.nf;
    for (size_t i = 0; i < c.nf; i++) {
        size_t fl;
        const char *f = ramp__csv_field(&c, i, &fl);
        size_t *col = fl == 2 && memcmp(f, "id", 2) == 0      ? &col_id
                      : fl == 5 && memcmp(f, "class", 5) == 0 ? &col_class
                                                              : NULL;
        if (!col) continue;
        if (*col != SIZE_MAX) {
            st = ramp__err_set(err, RAMP_EFORMAT, "%s:%zu: column '%s' appears twice in the header",
                               name, c.rec_line, f);
            goto fail;
        }
        *col = i;
    }
    if (col_id == SIZE_MAX || (col_class == SIZE_MAX && !(flags & RAMP_INDEX_NO_CLASS))) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s:%zu: header has no '%s' column", name, c.rec_line,
                           col_id == SIZE_MAX ? "id" : "class");
        goto fail;
    }
    char shown[64];
    while ((r = ramp__csv_next(&c, err)) == 1) {
        size_t line = c.rec_line;
        if (c.nf != n_cols) {
            st = row_problem(ix, flags, err, RAMP_EFORMAT,
                             "%s:%zu: expected %zu fields (as the header), found %zu", name, line,
                             n_cols, c.nf);
            if (st) goto fail;
            continue;
        }
        size_t idl, cl;
        const char *id = ramp__csv_field(&c, col_id, &idl);
        const char *cs = "0"; /* no class column (RAMP_INDEX_NO_CLASS): class 0 */
        cl = 1;
        if (col_class != SIZE_MAX) cs = ramp__csv_field(&c, col_class, &cl);
        ramp__csv_show(shown, sizeof shown, id, idl);
        const char *why = idl ? ramp__id_unsafe(id, idl) : NULL;
        if (idl == 0) {
            st = row_problem(ix, flags, err, RAMP_EFORMAT, "%s:%zu: empty id", name, line);
        } else if (why) {
            st = row_problem(ix, flags, err, RAMP_EFORMAT,
                             "%s:%zu: id '%s' is not a safe relative path (%s)", name, line, shown,
                             why);
        } else {
            int64_t v = 0;
            int ok = ramp__parse_i64(cs, cl, &v);
            char cshown[64];
            ramp__csv_show(cshown, sizeof cshown, cs, cl);
            if (ok == 0) {
                st = row_problem(ix, flags, err, RAMP_EFORMAT,
                                 "%s:%zu: id '%s': class '%s' is not an integer", name, line, shown,
                                 cshown);
            } else if (ok < 0 || v < 0 || v > INT32_MAX || (n_classes > 0 && v >= n_classes)) {
                if (n_classes > 0)
                    st = row_problem(ix, flags, err, RAMP_ERANGE,
                                     "%s:%zu: id '%s': class %s out of range [0, %d)", name, line,
                                     shown, cshown, n_classes);
                else
                    st = row_problem(
                        ix, flags, err, RAMP_ERANGE,
                        "%s:%zu: id '%s': class %s out of range (negative or too large)", name,
                        line, shown, cshown);
            } else if (ix->n >= UINT32_MAX - 1) {
                st = ramp__err_set(err, RAMP_ETOOBIG, "%s:%zu: too many rows", name, line);
            } else {
                if (index_reserve(ix, idl)) {
                    st = ramp__err_set(err, RAMP_ENOMEM, "%s:%zu: out of memory", name, line);
                    goto fail;
                }
                size_t i = ix->n;
                ix->off[i] = ix->ids_len;
                ix->len[i] = idl;
                memcpy(ix->ids + ix->ids_len, id, idl + 1);
                long prev = ramp__strset_add(&seen, ix->ids, ix->off, ix->len, (uint32_t)i);
                if (prev == -2) {
                    st = ramp__err_set(err, RAMP_ENOMEM, "%s:%zu: out of memory", name, line);
                    goto fail;
                }
                if (prev >= 0) {
                    st = row_problem(ix, flags, err, RAMP_EDUP,
                                     "%s:%zu: duplicate id '%s' (first on line %zu)", name, line,
                                     shown, ix->lines[prev]);
                } else {
                    ix->ids_len += idl + 1;
                    ix->labels[i] = (int32_t)v;
                    ix->lines[i] = line;
                    ix->n++;
                }
            }
        }
        if (st) goto fail;
    }
    if (r < 0) {
        st = err ? err->code : RAMP_EPARSE;
        goto fail;
    }
    ramp__csv_free(&c);
    ramp__strset_free(&seen);
    *out = ix;
    return RAMP_OK;
fail:
    ramp__csv_free(&c);
    ramp__strset_free(&seen);
    ramp_index_free(ix);
    return st ? st : RAMP_EINTERNAL;
}

ramp_status ramp_index_load(ramp_index **out, const char *path, int n_classes, unsigned flags,
                            ramp_err *err)
{
    ramp__err_clear(err);
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "ramp_index_load: out is NULL");
    *out = NULL;
    uint8_t *data;
    size_t len;
    ramp_status st = ramp__read_file(path, (size_t)1 << 31, &data, &len, err);
    if (st) return st;
    st = ramp_index_parse(out, (const char *)data, len, path, n_classes, flags, err);
    free(data);
    return st;
}

size_t ramp_index_n(const ramp_index *ix)
{
    return ix ? ix->n : 0;
}

const char *ramp_index_id(const ramp_index *ix, size_t i)
{
    return ix && i < ix->n ? ix->ids + ix->off[i] : NULL;
}

int ramp_index_label(const ramp_index *ix, size_t i)
{
    return ix && i < ix->n ? ix->labels[i] : -1;
}

const int32_t *ramp_index_labels(const ramp_index *ix)
{
    return ix ? ix->labels : NULL;
}

size_t ramp_index_line(const ramp_index *ix, size_t i)
{
    return ix && i < ix->n ? ix->lines[i] : 0;
}

const char *ramp_index_name(const ramp_index *ix)
{
    return ix ? ix->name : "";
}

size_t ramp_index_n_skipped(const ramp_index *ix)
{
    return ix ? ix->n_skipped : 0;
}

const char *ramp_index_skipped(const ramp_index *ix, size_t k, ramp_status *st)
{
    if (!ix || k >= ix->n_skipped) {
        if (st) *st = RAMP_OK;
        return NULL;
    }
    if (st) *st = ix->skip_st[k];
    return ix->skip_text + ix->skip_off[k];
}
