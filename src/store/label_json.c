/* label_json.c — the labelling page's shapes: a strict parser of the one
 * JSON body a save sends, the checks against the pool and the image, and
 * the canonical JSON the store keeps (which the export reads back through
 * the same parser).
 *
 * The parser is not a general JSON reader: it knows the grammar
 *   {"id": STRING, "shapes": [SHAPE, ...]}     (or the bare array)
 *   SHAPE = {"class": INTEGER, "box" | "circle" | "polygon": [NUMBER, ...]}
 * in any key order, with JSON's whitespace and number syntax. Anything
 * else is refused, naming the byte offset: unknown or repeated keys,
 * strings with escapes or control characters (ids are plain), numbers JSON
 * does not allow (NaN, Infinity, 1., .5, 01, +1) or that overflow to
 * infinity, more shapes or numbers than the limits in storeInt.h, and
 * trailing bytes. It allocates once the sizes are known to be bounded.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "store/storeInt.h"

typedef struct jp {
    const char *p, *b, *e; /* cursor, start, end */
    char *msg;
    size_t msg_len;
    ramp__shapes *out;
    int cap_s, cap_v;
} jp;

static ramp_status jfail(jp *j, ramp_status st, const char *fmt, ...)
{
    char m[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    snprintf(j->msg, j->msg_len, "JSON at byte %ld: %s", (long)(j->p - j->b), m);
    return st;
}

static void ws(jp *j)
{
    while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int eat(jp *j, char c)
{
    ws(j);
    if (j->p < j->e && *j->p == c) {
        j->p++;
        return 1;
    }
    return 0;
}

/* A string without escapes into buf (cap bytes with the NUL). */
static ramp_status jstr(jp *j, char *buf, size_t cap)
{
    ws(j);
    if (j->p >= j->e || *j->p != '"') return jfail(j, RAMP_EPARSE, "a string was expected");
    const char *s = ++j->p;
    while (j->p < j->e && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        if (c == '\\') return jfail(j, RAMP_EPARSE, "escapes are not accepted in strings");
        if (c < 0x20) return jfail(j, RAMP_EPARSE, "a control character in a string");
        j->p++;
    }
    if (j->p >= j->e) return jfail(j, RAMP_EPARSE, "an unterminated string");
    size_t n = (size_t)(j->p - s);
    j->p++;
    if (n + 1 > cap) return jfail(j, RAMP_ETOOBIG, "a string longer than %zu bytes", cap - 1);
    memcpy(buf, s, n);
    buf[n] = '\0';
    return RAMP_OK;
}

/* A JSON number, finite. */
static ramp_status jnum(jp *j, double *v)
{
    ws(j);
    const char *s = j->p, *q = s;
    if (q < j->e && *q == '-') q++;
    if (q < j->e && *q == '0') {
        q++;
    } else if (q < j->e && *q >= '1' && *q <= '9') {
        while (q < j->e && isdigit((unsigned char)*q))
            q++;
    } else {
        return jfail(j, RAMP_EPARSE, "a number was expected (JSON has no NaN or Infinity)");
    }
    if (q < j->e && *q == '.') {
        q++;
        if (q >= j->e || !isdigit((unsigned char)*q))
            return jfail(j, RAMP_EPARSE, "a digit must follow the decimal point");
        while (q < j->e && isdigit((unsigned char)*q))
            q++;
    }
    if (q < j->e && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < j->e && (*q == '+' || *q == '-')) q++;
        if (q >= j->e || !isdigit((unsigned char)*q))
            return jfail(j, RAMP_EPARSE, "a digit must follow the exponent");
        while (q < j->e && isdigit((unsigned char)*q))
            q++;
    }
    char tmp[64];
    if ((size_t)(q - s) >= sizeof tmp)
        return jfail(j, RAMP_ETOOBIG, "a number of more than 63 characters");
    memcpy(tmp, s, (size_t)(q - s));
    tmp[q - s] = '\0';
    *v = strtod(tmp, NULL);
    if (!isfinite(*v)) return jfail(j, RAMP_ERANGE, "the number %s is not finite", tmp);
    j->p = q;
    return RAMP_OK;
}

static ramp_status grow(jp *j, int need_s, int need_v)
{
    ramp__shapes *o = j->out;
    if (need_s > j->cap_s) {
        int cap = j->cap_s ? 2 * j->cap_s : 16;
        while (cap < need_s)
            cap *= 2;
        ramp__shape *ns = realloc(o->s, (size_t)cap * sizeof *ns);
        if (!ns) return jfail(j, RAMP_ENOMEM, "out of memory");
        o->s = ns;
        j->cap_s = cap;
    }
    if (need_v > j->cap_v) {
        int cap = j->cap_v ? 2 * j->cap_v : 64;
        while (cap < need_v)
            cap *= 2;
        double *nv = realloc(o->v, (size_t)cap * sizeof *nv);
        if (!nv) return jfail(j, RAMP_ENOMEM, "out of memory");
        o->v = nv;
        j->cap_v = cap;
    }
    return RAMP_OK;
}

static ramp_status jshape(jp *j)
{
    ramp__shapes *o = j->out;
    if (o->n >= RAMP__LABEL_MAX_SHAPES)
        return jfail(j, RAMP_ETOOBIG, "more than %d shapes", RAMP__LABEL_MAX_SHAPES);
    ramp_status st = grow(j, o->n + 1, o->n_v);
    if (st) return st;
    ramp__shape *sh = &o->s[o->n];
    int have_cls = 0, have_geom = 0, first = o->n_v;
    sh->cls = -1;
    sh->n = 0;
    if (!eat(j, '{')) return jfail(j, RAMP_EPARSE, "shape %d: an object was expected", o->n);
    if (!eat(j, '}')) {
        do {
            char key[16];
            if ((st = jstr(j, key, sizeof key))) return st;
            if (!eat(j, ':')) return jfail(j, RAMP_EPARSE, "':' was expected");
            if (!strcmp(key, "class")) {
                if (have_cls++) return jfail(j, RAMP_EPARSE, "shape %d: 'class' twice", o->n);
                double v;
                if ((st = jnum(j, &v))) return st;
                if (v != floor(v) || v < 0 || v > 1e6)
                    return jfail(j, RAMP_ERANGE, "shape %d: the class is not a class number", o->n);
                sh->cls = (int)v;
                continue;
            }
            ramp__geom g;
            if (ramp__geom_parse(key, &g))
                return jfail(j, RAMP_EPARSE,
                             "shape %d: unknown key '%s' (class, box, circle or polygon)", o->n,
                             key);
            if (have_geom++)
                return jfail(j, RAMP_EPARSE, "shape %d: more than one of box, circle, polygon",
                             o->n);
            sh->kind = g;
            if (!eat(j, '[')) return jfail(j, RAMP_EPARSE, "shape %d: an array was expected", o->n);
            if (!eat(j, ']')) {
                do {
                    if (o->n_v >= RAMP__LABEL_MAX_POINTS)
                        return jfail(j, RAMP_ETOOBIG, "more than %d numbers in all",
                                     RAMP__LABEL_MAX_POINTS);
                    if ((st = grow(j, o->n + 1, o->n_v + 1))) return st;
                    if ((st = jnum(j, &o->v[o->n_v]))) return st;
                    o->n_v++;
                } while (eat(j, ','));
                if (!eat(j, ']')) return jfail(j, RAMP_EPARSE, "',' or ']' was expected");
            }
            sh->n = o->n_v - first;
        } while (eat(j, ','));
        if (!eat(j, '}')) return jfail(j, RAMP_EPARSE, "',' or '}' was expected");
    }
    if (!have_cls) return jfail(j, RAMP_EPARSE, "shape %d has no 'class'", o->n);
    if (!have_geom) return jfail(j, RAMP_EPARSE, "shape %d has no box, circle or polygon", o->n);
    sh->v = NULL; /* set once the numbers stop moving */
    o->n++;
    return RAMP_OK;
}

static ramp_status jshapes(jp *j)
{
    if (!eat(j, '[')) return jfail(j, RAMP_EPARSE, "an array of shapes was expected");
    if (eat(j, ']')) return RAMP_OK;
    ramp_status st;
    do {
        if ((st = jshape(j))) return st;
    } while (eat(j, ','));
    if (!eat(j, ']')) return jfail(j, RAMP_EPARSE, "',' or ']' was expected");
    return RAMP_OK;
}

void ramp__shapes_clear(ramp__shapes *sh)
{
    if (!sh) return;
    free(sh->s);
    free(sh->v);
    memset(sh, 0, sizeof *sh);
}

ramp_status ramp__shapes_parse(const char *json, size_t len, char *id, ramp__shapes *out, char *msg,
                               size_t msg_len)
{
    memset(out, 0, sizeof *out);
    jp j = {json, json, json + len, msg, msg_len, out, 0, 0};
    ramp_status st = RAMP_OK;
    if (id) id[0] = '\0';
    if (len > RAMP__LABEL_MAX_BODY) {
        st = jfail(&j, RAMP_ETOOBIG, "the body is over %u bytes", RAMP__LABEL_MAX_BODY);
        goto fail;
    }
    if (memchr(json, '\0', len)) {
        st = jfail(&j, RAMP_EPARSE, "a NUL byte in the body");
        goto fail;
    }
    if (!id) {
        if ((st = jshapes(&j))) goto fail;
    } else {
        int have_id = 0, have_shapes = 0;
        if (!eat(&j, '{')) {
            st = jfail(&j, RAMP_EPARSE, "an object {\"id\": ..., \"shapes\": [...]} was expected");
            goto fail;
        }
        if (!eat(&j, '}')) {
            do {
                char key[16];
                if ((st = jstr(&j, key, sizeof key))) goto fail;
                if (!eat(&j, ':')) {
                    st = jfail(&j, RAMP_EPARSE, "':' was expected");
                    goto fail;
                }
                if (!strcmp(key, "id") && !have_id++) {
                    if ((st = jstr(&j, id, 129))) goto fail;
                } else if (!strcmp(key, "shapes") && !have_shapes++) {
                    if ((st = jshapes(&j))) goto fail;
                } else {
                    st = jfail(&j, RAMP_EPARSE, "unknown or repeated key '%s' (id, shapes)", key);
                    goto fail;
                }
            } while (eat(&j, ','));
            if (!eat(&j, '}')) {
                st = jfail(&j, RAMP_EPARSE, "',' or '}' was expected");
                goto fail;
            }
        }
        if (!have_id || !have_shapes) {
            st = jfail(&j, RAMP_EPARSE, "the body needs both \"id\" and \"shapes\"");
            goto fail;
        }
    }
    ws(&j);
    if (j.p != j.e) {
        st = jfail(&j, RAMP_EPARSE, "bytes after the end of the JSON");
        goto fail;
    }
    for (int i = 0, off = 0; i < out->n; i++) {
        out->s[i].v = out->v + off;
        off += out->s[i].n;
    }
    return RAMP_OK;
fail:
    ramp__shapes_clear(out);
    return st;
}

ramp_status ramp__shapes_check(const ramp__shapes *sh, const ramp__label_set *ls, int width,
                               int height, char *msg, size_t msg_len)
{
    if (sh->n > ls->max_shapes) {
        snprintf(msg, msg_len, "%d shapes: at most %d per image", sh->n, ls->max_shapes);
        return RAMP_EINVAL;
    }
    double w = width, h = height;
    for (int i = 0; i < sh->n; i++) {
        const ramp__shape *s = &sh->s[i];
        const double *v = s->v;
        if (s->cls < 0 || s->cls >= ls->n_classes) {
            snprintf(msg, msg_len, "shape %d: class %d is not one of the pool's %d classes", i,
                     s->cls, ls->n_classes);
            return RAMP_EINVAL;
        }
        if (s->kind != ls->geometry) {
            snprintf(msg, msg_len, "shape %d: a %s, but this pool's shapes are of the kind %s", i,
                     ramp__geom_name(s->kind), ramp__geom_name(ls->geometry));
            return RAMP_EINVAL;
        }
        if (s->kind == RAMP__GEOM_BOX) {
            if (s->n != 4) {
                snprintf(msg, msg_len, "shape %d: a box is [x0, y0, x1, y1]", i);
                return RAMP_EINVAL;
            }
            if (!(v[0] >= 0 && v[0] < v[2] && v[2] <= w && v[1] >= 0 && v[1] < v[3] && v[3] <= h)) {
                snprintf(msg, msg_len,
                         "shape %d: box [%g, %g, %g, %g] is empty or not inside the %dx%d image", i,
                         v[0], v[1], v[2], v[3], width, height);
                return RAMP_EINVAL;
            }
        } else if (s->kind == RAMP__GEOM_CIRCLE) {
            if (s->n != 3) {
                snprintf(msg, msg_len, "shape %d: a circle is [x, y, r]", i);
                return RAMP_EINVAL;
            }
            if (!(v[0] >= 0 && v[0] <= w && v[1] >= 0 && v[1] <= h && v[2] > 0 &&
                  v[2] <= (w > h ? w : h))) {
                snprintf(msg, msg_len,
                         "shape %d: circle [%g, %g, %g] is not centred inside the %dx%d image "
                         "with 0 < r <= %d",
                         i, v[0], v[1], v[2], width, height, width > height ? width : height);
                return RAMP_EINVAL;
            }
        } else {
            int nv = s->n / 2;
            if (s->n % 2 || nv < 3 || nv > RAMP__LABEL_MAX_VERTICES) {
                snprintf(msg, msg_len,
                         "shape %d: a polygon is [x0, y0, x1, y1, ...] with 3 to %d "
                         "vertices",
                         i, RAMP__LABEL_MAX_VERTICES);
                return RAMP_EINVAL;
            }
            for (int k = 0; k < nv; k++)
                if (!(v[2 * k] >= 0 && v[2 * k] <= w && v[2 * k + 1] >= 0 && v[2 * k + 1] <= h)) {
                    snprintf(msg, msg_len,
                             "shape %d: vertex %d (%g, %g) is not inside the %dx%d image", i, k,
                             v[2 * k], v[2 * k + 1], width, height);
                    return RAMP_EINVAL;
                }
        }
    }
    return RAMP_OK;
}

void ramp__shapes_json(ramp__buf *out, const ramp__shapes *sh)
{
    ramp__buf_puts(out, "[");
    for (int i = 0; i < sh->n; i++) {
        const ramp__shape *s = &sh->s[i];
        ramp__buf_printf(out, "%s{\"class\": %d, \"%s\": [", i ? ", " : "", s->cls,
                         ramp__geom_name(s->kind));
        for (int k = 0; k < s->n; k++)
            ramp__buf_printf(out, "%s%.9g", k ? ", " : "", s->v[k]);
        ramp__buf_puts(out, "]}");
    }
    ramp__buf_puts(out, "]");
}
