/* det_index.c — a detection kit's CSV: one row per object, grouped by image.
 *
 * The header names the columns (any order, extra columns ignored): id and
 * x0, y0, x1, y1 (boxes) or x, y, r (circles), plus class (required for
 * boxes, optional for circles: class 0). A row whose fields other than the
 * id are all empty is an image without objects. The rows of an image need
 * not be adjacent: images are numbered in the order their id first
 * appears (a string set finds an id's image), and once the file is read a
 * stable counting sort by image lays the objects out as obj_off ranges,
 * each image's objects in file order. Ids follow ramp_index's safe-path
 * rule (ramp__id_unsafe); every message names file:line.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "data/dataInt.h"
#include "ramp/dataset.h"
#include "ramp/detection.h"

struct ramp_det_index {
    char *name;
    int geometry;
    /* images: id i at ids + id_off[i], first row on lines[i] */
    char *ids;
    size_t ids_len, ids_cap;
    size_t *id_off, *id_len, *lines;
    const char **id_ptr; /* filled once the file is read */
    size_t n, cap;
    /* objects: while reading in file order (img[j] their image), then
       sorted by image */
    ramp_obj *objs;
    size_t *obj_img, *obj_line;
    size_t n_objs, obj_cap;
    size_t *obj_off; /* n + 1 */
    /* skipped rows (RAMP_INDEX_SKIP_BAD_ROWS) */
    char **skipped;
    ramp_status *skip_st;
    size_t n_skipped, skip_cap;
};

void ramp_det_index_free(ramp_det_index *ix)
{
    if (!ix) return;
    free(ix->name);
    free(ix->ids);
    free(ix->id_off);
    free(ix->id_len);
    free(ix->lines);
    free(ix->id_ptr);
    free(ix->objs);
    free(ix->obj_img);
    free(ix->obj_line);
    free(ix->obj_off);
    for (size_t k = 0; k < ix->n_skipped; k++)
        free(ix->skipped[k]);
    free(ix->skipped);
    free(ix->skip_st);
    free(ix);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* A row-level problem: skipped and kept under RAMP_INDEX_SKIP_BAD_ROWS
   (returns RAMP_OK, or RAMP_ENOMEM in err), else the call's error. */
static ramp_status row_problem(ramp_det_index *ix, unsigned flags, ramp_err *err, ramp_status st,
                               const char *fmt, ...) RAMP__PRINTF(5, 6);
static ramp_status row_problem(ramp_det_index *ix, unsigned flags, ramp_err *err, ramp_status st,
                               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!(flags & RAMP_INDEX_SKIP_BAD_ROWS)) {
        ramp__err_vset(err, st, fmt, ap);
        va_end(ap);
        return st;
    }
    ramp_err e;
    ramp__err_vset(&e, st, fmt, ap);
    va_end(ap);
    if (ix->n_skipped == ix->skip_cap) {
        size_t cap = ix->skip_cap ? 2 * ix->skip_cap : 16;
        char **m = realloc(ix->skipped, cap * sizeof *m);
        if (!m) goto nomem;
        ix->skipped = m;
        ramp_status *s = realloc(ix->skip_st, cap * sizeof *s);
        if (!s) goto nomem;
        ix->skip_st = s;
        ix->skip_cap = cap;
    }
    if (!(ix->skipped[ix->n_skipped] = ramp__strdup(e.msg))) goto nomem;
    ix->skip_st[ix->n_skipped++] = st;
    return RAMP_OK;
nomem:
    return ramp__err_set(err, RAMP_ENOMEM, "%s (out of memory keeping it)", e.msg);
}

/* A coordinate: a finite decimal number (spaces around allowed) that a
   float holds. */
static int parse_coord(const char *s, size_t n, float *out)
{
    char b[64];
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= sizeof b) return 0;
    memcpy(b, s, n);
    b[n] = 0;
    if (!isdigit((unsigned char)b[0]) && b[0] != '-' && b[0] != '+' && b[0] != '.') return 0;
    char *end;
    errno = 0;
    double v = strtod(b, &end);
    if (*end || errno == ERANGE || !isfinite(v) || !isfinite((float)v)) return 0;
    *out = (float)v;
    return 1;
}

enum { C_ID, C_CLASS, C_X0, C_Y0, C_X1, C_Y1, C_X, C_Y, C_R, N_COLS };
static const char *const col_names[N_COLS] = {"id", "class", "x0", "y0", "x1", "y1", "x", "y", "r"};

ramp_status ramp_det_index_parse(ramp_det_index **out, const char *text, size_t len,
                                 const char *name, int n_classes, int geometry, unsigned flags,
                                 ramp_err *err)
{
    ramp__err_clear(err);
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "ramp_det_index_parse: out is NULL");
    *out = NULL;
    if (!text && len) return ramp__err_set(err, RAMP_EINVAL, "ramp_det_index_parse: text is NULL");
    if (geometry < -1 || geometry > 1)
        return ramp__err_set(err, RAMP_EINVAL, "ramp_det_index_parse: geometry %d (0, 1 or -1)",
                             geometry);
    if (!name) name = "<csv>";
    ramp_status st = RAMP_OK;
    ramp__csv c;
    ramp__strset seen = {0};
    size_t *empty_line = NULL; /* per image: line of its row without objects, 0 none */
    size_t empty_cap = 0;
    ramp__csv_init(&c, text ? text : "", len, name);
    ramp_det_index *ix = calloc(1, sizeof *ix);
    if (!ix || !(ix->name = ramp__strdup(name))) goto nomem;
    int r = ramp__csv_next(&c, err);
    if (r < 0) {
        st = err ? err->code : RAMP_EPARSE;
        goto fail;
    }
    if (r == 0) {
        st = ramp__err_set(err, RAMP_EFORMAT,
                           "%s:1: empty file (a header 'id,class,x0,y0,x1,y1' or 'id,x,y,r' is "
                           "required)",
                           name);
        goto fail;
    }
    size_t col[N_COLS];
    for (int k = 0; k < N_COLS; k++)
        col[k] = SIZE_MAX;
    size_t n_fields = c.nf;
    for (size_t i = 0; i < c.nf; i++) {
        const char *f = ramp__csv_field(&c, i, NULL);
        for (int k = 0; k < N_COLS; k++)
            if (strcmp(f, col_names[k]) == 0) {
                if (col[k] != SIZE_MAX) {
                    st = ramp__err_set(err, RAMP_EFORMAT,
                                       "%s:%zu: column '%s' appears twice in the header", name,
                                       c.rec_line, f);
                    goto fail;
                }
                col[k] = i;
            }
    }
    size_t hl = c.rec_line;
    int has_box = col[C_X0] != SIZE_MAX || col[C_Y0] != SIZE_MAX || col[C_X1] != SIZE_MAX ||
                  col[C_Y1] != SIZE_MAX;
    int has_circle = col[C_X] != SIZE_MAX || col[C_Y] != SIZE_MAX || col[C_R] != SIZE_MAX;
    if (col[C_ID] == SIZE_MAX) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s:%zu: header has no 'id' column", name, hl);
        goto fail;
    }
    if (has_box == has_circle) {
        st = ramp__err_set(err, RAMP_EFORMAT,
                           has_box ? "%s:%zu: header has both box (x0,y0,x1,y1) and circle "
                                     "(x,y,r) columns"
                                   : "%s:%zu: header has neither box columns (x0,y0,x1,y1) nor "
                                     "circle columns (x,y,r)",
                           name, hl);
        goto fail;
    }
    int geom = has_box ? RAMP_DET_BOX : RAMP_DET_CIRCLE;
    int first = geom == RAMP_DET_BOX ? C_X0 : C_X, n_g = geom == RAMP_DET_BOX ? 4 : 3;
    for (int k = first; k < first + n_g; k++)
        if (col[k] == SIZE_MAX) {
            st = ramp__err_set(err, RAMP_EFORMAT, "%s:%zu: header has no '%s' column", name, hl,
                               col_names[k]);
            goto fail;
        }
    if (geom == RAMP_DET_BOX && col[C_CLASS] == SIZE_MAX) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s:%zu: header has no 'class' column", name, hl);
        goto fail;
    }
    if (geometry >= 0 && geometry != geom) {
        st = ramp__err_set(err, RAMP_EFORMAT,
                           "%s:%zu: header has %s columns, but the problem's geometry is %s", name,
                           hl, geom == RAMP_DET_BOX ? "box (x0,y0,x1,y1)" : "circle (x,y,r)",
                           geometry == RAMP_DET_BOX ? "box" : "circle");
        goto fail;
    }
    ix->geometry = geom;

    char shown[64], vshown[64];
    while ((r = ramp__csv_next(&c, err)) == 1) {
        size_t line = c.rec_line;
        st = RAMP_OK;
        if (c.nf != n_fields) {
            st = row_problem(ix, flags, err, RAMP_EFORMAT,
                             "%s:%zu: expected %zu fields (as the header), found %zu", name, line,
                             n_fields, c.nf);
            if (st) goto fail;
            continue;
        }
        size_t idl;
        const char *id = ramp__csv_field(&c, col[C_ID], &idl);
        ramp__csv_show(shown, sizeof shown, id, idl);
        const char *why = idl ? ramp__id_unsafe(id, idl) : NULL;
        if (idl == 0) {
            st = row_problem(ix, flags, err, RAMP_EFORMAT, "%s:%zu: empty id", name, line);
            if (st) goto fail;
            continue;
        }
        if (why) {
            st = row_problem(ix, flags, err, RAMP_EFORMAT,
                             "%s:%zu: id '%s' is not a safe relative path (%s)", name, line, shown,
                             why);
            if (st) goto fail;
            continue;
        }
        /* the object's fields: all empty (no object) or all given */
        int n_empty = 0, n_obj_fields = n_g + (col[C_CLASS] != SIZE_MAX);
        const char *missing = NULL;
        for (int k = C_CLASS; k < N_COLS; k++) {
            if (col[k] == SIZE_MAX || (k != C_CLASS && (k < first || k >= first + n_g))) continue;
            size_t fl;
            ramp__csv_field(&c, col[k], &fl);
            if (fl == 0) {
                n_empty++;
                if (!missing) missing = col_names[k];
            }
        }
        int is_empty = n_empty == n_obj_fields;
        if (n_empty && !is_empty) {
            st = row_problem(ix, flags, err, RAMP_EFORMAT,
                             "%s:%zu: id '%s': empty %s (an image without objects leaves every "
                             "field but the id empty)",
                             name, line, shown, missing);
            if (st) goto fail;
            continue;
        }
        ramp_obj o = {0};
        o.conf = 1;
        if (!is_empty) {
            int bad = 0;
            if (col[C_CLASS] != SIZE_MAX) {
                size_t cl;
                const char *cs = ramp__csv_field(&c, col[C_CLASS], &cl);
                int64_t v;
                int ok = ramp__parse_i64(cs, cl, &v);
                ramp__csv_show(vshown, sizeof vshown, cs, cl);
                if (ok == 0) {
                    st = row_problem(ix, flags, err, RAMP_EFORMAT,
                                     "%s:%zu: id '%s': class '%s' is not an integer", name, line,
                                     shown, vshown);
                    bad = 1;
                } else if (ok < 0 || v < 0 || v > INT32_MAX || (n_classes > 0 && v >= n_classes)) {
                    st = row_problem(ix, flags, err, RAMP_ERANGE,
                                     "%s:%zu: id '%s': class %s out of range [0, %d)", name, line,
                                     shown, vshown, n_classes > 0 ? n_classes : INT32_MAX);
                    bad = 1;
                } else {
                    o.cls = (int32_t)v;
                }
            }
            for (int k = 0; !bad && k < n_g; k++) {
                size_t fl;
                const char *fs = ramp__csv_field(&c, col[first + k], &fl);
                if (!parse_coord(fs, fl, &o.g[k])) {
                    ramp__csv_show(vshown, sizeof vshown, fs, fl);
                    st = row_problem(ix, flags, err, RAMP_EFORMAT,
                                     "%s:%zu: id '%s': %s '%s' is not a finite number", name, line,
                                     shown, col_names[first + k], vshown);
                    bad = 1;
                }
            }
            if (!bad && geom == RAMP_DET_BOX && (o.g[0] > o.g[2] || o.g[1] > o.g[3])) {
                st = row_problem(ix, flags, err, RAMP_ERANGE,
                                 "%s:%zu: id '%s': box (%g, %g, %g, %g) has %s", name, line, shown,
                                 (double)o.g[0], (double)o.g[1], (double)o.g[2], (double)o.g[3],
                                 o.g[0] > o.g[2] ? "x0 > x1" : "y0 > y1");
                bad = 1;
            }
            if (!bad && geom == RAMP_DET_CIRCLE && o.g[2] < 0) {
                st = row_problem(ix, flags, err, RAMP_ERANGE,
                                 "%s:%zu: id '%s': radius %g is negative", name, line, shown,
                                 (double)o.g[2]);
                bad = 1;
            }
            if (bad) {
                if (st) goto fail;
                continue;
            }
        }
        /* the image: new, or the one this id already names */
        size_t old_cap = ix->cap;
        if (grow((void **)&ix->ids, &ix->ids_cap, ix->ids_len + idl + 1, 1) ||
            grow((void **)&ix->id_off, &ix->cap, ix->n + 1, sizeof *ix->id_off))
            goto nomem;
        if (ix->cap != old_cap) { /* the parallel arrays follow id_off's capacity */
            size_t *l1 = realloc(ix->id_len, ix->cap * sizeof *l1);
            if (!l1) goto nomem;
            ix->id_len = l1;
            size_t *l2 = realloc(ix->lines, ix->cap * sizeof *l2);
            if (!l2) goto nomem;
            ix->lines = l2;
        }
        if (grow((void **)&empty_line, &empty_cap, ix->n + 1, sizeof *empty_line)) goto nomem;
        size_t img = ix->n;
        ix->id_off[img] = ix->ids_len;
        ix->id_len[img] = idl;
        memcpy(ix->ids + ix->ids_len, id, idl + 1);
        long prev = ramp__strset_add(&seen, ix->ids, ix->id_off, ix->id_len, (uint32_t)img);
        if (prev == -2) goto nomem;
        if (prev >= 0) {
            img = (size_t)prev;
        } else {
            if (ix->n >= UINT32_MAX - 1) {
                st = ramp__err_set(err, RAMP_ETOOBIG, "%s:%zu: too many images", name, line);
                goto fail;
            }
            ix->ids_len += idl + 1;
            ix->lines[img] = line;
            empty_line[img] = 0;
            ix->n++;
        }
        if (is_empty) {
            if (empty_line[img]) {
                st = row_problem(ix, flags, err, RAMP_EDUP,
                                 "%s:%zu: id '%s': a second row without objects (first on line "
                                 "%zu)",
                                 name, line, shown, empty_line[img]);
                if (st) goto fail;
            } else {
                empty_line[img] = line;
            }
            continue;
        }
        size_t old_ocap = ix->obj_cap;
        if (grow((void **)&ix->objs, &ix->obj_cap, ix->n_objs + 1, sizeof *ix->objs)) goto nomem;
        if (ix->obj_cap != old_ocap) {
            size_t *a = realloc(ix->obj_img, ix->obj_cap * sizeof *a);
            if (!a) goto nomem;
            ix->obj_img = a;
            size_t *b = realloc(ix->obj_line, ix->obj_cap * sizeof *b);
            if (!b) goto nomem;
            ix->obj_line = b;
        }
        ix->objs[ix->n_objs] = o;
        ix->obj_img[ix->n_objs] = img;
        ix->obj_line[ix->n_objs++] = line;
    }
    if (r < 0) {
        st = err ? err->code : RAMP_EPARSE;
        goto fail;
    }
    /* an image both without objects and with some */
    for (size_t j = 0; j < ix->n_objs; j++) {
        size_t img = ix->obj_img[j];
        if (!empty_line[img]) continue;
        st = row_problem(ix, flags, err, RAMP_EFORMAT,
                         "%s:%zu: id '%s': a row without objects, but line %zu gives it one", name,
                         empty_line[img], ix->ids + ix->id_off[img], ix->obj_line[j]);
        if (st) goto fail;
        empty_line[img] = 0;
    }
    /* objects grouped by image, file order kept (a stable counting sort);
       a split without any object still has an objs array (callers tell a
       detection split by it) */
    if (!(ix->obj_off = calloc(ix->n + 1, sizeof *ix->obj_off)) ||
        !(ix->id_ptr = calloc(ix->n + 1, sizeof *ix->id_ptr)) ||
        (!ix->objs && !(ix->objs = malloc(sizeof *ix->objs))))
        goto nomem;
    for (size_t j = 0; j < ix->n_objs; j++)
        ix->obj_off[ix->obj_img[j] + 1]++;
    for (size_t i = 0; i < ix->n; i++) {
        ix->obj_off[i + 1] += ix->obj_off[i];
        ix->id_ptr[i] = ix->ids + ix->id_off[i];
    }
    if (ix->n_objs) {
        ramp_obj *so = malloc(ix->n_objs * sizeof *so);
        size_t *sl = malloc(ix->n_objs * sizeof *sl);
        size_t *next = malloc((ix->n + 1) * sizeof *next);
        if (!so || !sl || !next) {
            free(so);
            free(sl);
            free(next);
            goto nomem;
        }
        memcpy(next, ix->obj_off, (ix->n + 1) * sizeof *next);
        for (size_t j = 0; j < ix->n_objs; j++) {
            size_t d = next[ix->obj_img[j]]++;
            so[d] = ix->objs[j];
            sl[d] = ix->obj_line[j];
        }
        free(next);
        free(ix->objs);
        free(ix->obj_line);
        ix->objs = so;
        ix->obj_line = sl;
    }
    free(ix->obj_img);
    ix->obj_img = NULL;
    free(empty_line);
    ramp__csv_free(&c);
    ramp__strset_free(&seen);
    *out = ix;
    return RAMP_OK;
nomem:
    st = ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", name);
fail:
    free(empty_line);
    ramp__csv_free(&c);
    ramp__strset_free(&seen);
    ramp_det_index_free(ix);
    return st ? st : RAMP_EINTERNAL;
}

ramp_status ramp_det_index_load(ramp_det_index **out, const char *path, int n_classes, int geometry,
                                unsigned flags, ramp_err *err)
{
    ramp__err_clear(err);
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "ramp_det_index_load: out is NULL");
    *out = NULL;
    uint8_t *data;
    size_t len;
    ramp_status st = ramp__read_file(path, (size_t)1 << 31, &data, &len, err);
    if (st) return st;
    st = ramp_det_index_parse(out, (const char *)data, len, path, n_classes, geometry, flags, err);
    free(data);
    return st;
}

size_t ramp_det_index_n(const ramp_det_index *ix)
{
    return ix ? ix->n : 0;
}
const char *ramp_det_index_id(const ramp_det_index *ix, size_t i)
{
    return ix && i < ix->n ? ix->id_ptr[i] : NULL;
}
const char *const *ramp_det_index_ids(const ramp_det_index *ix)
{
    return ix ? ix->id_ptr : NULL;
}
size_t ramp_det_index_line(const ramp_det_index *ix, size_t i)
{
    return ix && i < ix->n ? ix->lines[i] : 0;
}
int ramp_det_index_geometry(const ramp_det_index *ix)
{
    return ix ? ix->geometry : -1;
}
size_t ramp_det_index_n_objs(const ramp_det_index *ix)
{
    return ix ? ix->n_objs : 0;
}
const ramp_obj *ramp_det_index_objs(const ramp_det_index *ix)
{
    return ix ? ix->objs : NULL;
}
const size_t *ramp_det_index_obj_off(const ramp_det_index *ix)
{
    return ix ? ix->obj_off : NULL;
}
size_t ramp_det_index_obj_line(const ramp_det_index *ix, size_t j)
{
    return ix && j < ix->n_objs ? ix->obj_line[j] : 0;
}
const char *ramp_det_index_name(const ramp_det_index *ix)
{
    return ix ? ix->name : "";
}
size_t ramp_det_index_n_skipped(const ramp_det_index *ix)
{
    return ix ? ix->n_skipped : 0;
}
const char *ramp_det_index_skipped(const ramp_det_index *ix, size_t k, ramp_status *st)
{
    if (!ix || k >= ix->n_skipped) {
        if (st) *st = RAMP_OK;
        return NULL;
    }
    if (st) *st = ix->skip_st[k];
    return ix->skipped[k];
}
