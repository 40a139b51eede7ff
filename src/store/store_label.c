/* store_label.c — the labelling pool in the store: one row of settings
 * (label_set: title, class names, geometry, cap on shapes, on/off), the
 * images (label_image: id, size, MIME type; the bytes in the
 * content-addressed blob table, so the server reads an image by its id and
 * never opens a path), and every save (label: image, team, labeller name,
 * time, the shapes as canonical JSON). Saves are history: a new one never
 * replaces an old row; the latest (highest row id) of an image wins. The
 * last RAMP__LABEL_KEEP_SAVES saves of an image are kept.
 *
 * Class names are stored as one text, a name per line (names never hold a
 * newline: ramp__label_set_define refuses them).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "store/storeInt.h"

static const char *const geom_names[] = {"box", "circle", "polygon"};

const char *ramp__geom_name(ramp__geom g)
{
    return g >= RAMP__GEOM_BOX && g <= RAMP__GEOM_POLYGON ? geom_names[g] : "unknown";
}

int ramp__geom_parse(const char *s, ramp__geom *g)
{
    for (int i = 0; i < 3; i++)
        if (s && !strcmp(s, geom_names[i])) {
            *g = (ramp__geom)i;
            return 0;
        }
    return -1;
}

int ramp__label_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n < 1 || n > 128 || id[0] == '.') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

static const char no_pool[] =
    "the store has no labelling pool: add images with 'ramp label add --db DB --kit KIT "
    "--images DIR'";

ramp_status ramp__label_set_define(ramp__store *s, const char *title, const char *const *classes,
                                   int n_classes, ramp__geom geometry, int max_shapes)
{
    if (n_classes < 1 || n_classes > RAMP__LABEL_MAX_CLASSES)
        return ramp__store_fail(s, RAMP_EINVAL, "labelling: %d classes (1 to %d)", n_classes,
                                RAMP__LABEL_MAX_CLASSES);
    if (max_shapes < 1 || max_shapes > RAMP__LABEL_MAX_SHAPES)
        return ramp__store_fail(s, RAMP_EINVAL, "labelling: at most %d shapes per image (1 to %d)",
                                max_shapes, RAMP__LABEL_MAX_SHAPES);
    if (geometry < RAMP__GEOM_BOX || geometry > RAMP__GEOM_POLYGON)
        return ramp__store_fail(s, RAMP_EINVAL, "labelling: unknown geometry");
    ramp__buf cl = {0};
    for (int i = 0; i < n_classes; i++) {
        const char *c = classes[i];
        if (!c || !*c || strlen(c) > 200 || strpbrk(c, "\n\r")) {
            ramp__buf_free(&cl);
            return ramp__store_fail(s, RAMP_EINVAL,
                                    "labelling: class %d has an empty, long or multi-line name", i);
        }
        ramp__buf_printf(&cl, "%s%s", i ? "\n" : "", c);
    }
    ramp__buf_put(&cl, "", 1);
    if (cl.oom) {
        ramp__buf_free(&cl);
        return ramp__store_fail(s, RAMP_ENOMEM, "out of memory");
    }
    ramp__rows r = {0};
    ramp_status st = ramp__store_begin(s);
    if (st) goto done;
    if ((st = QR(&r, "SELECT geometry FROM label_set WHERE id = ?", RAMP__INT(1)))) goto fail;
    if (r.n_rows) {
        const char *old = ramp__rows_text(&r, 0, 0);
        int other = old && strcmp(old, ramp__geom_name(geometry)) != 0;
        ramp__rows_clear(&r);
        if (other) {
            if ((st = ramp__store_query(s, "SELECT COUNT(*) FROM label", NULL, 0, &r))) goto fail;
            int64_t n = ramp__rows_int(&r, 0, 0);
            ramp__rows_clear(&r);
            if (n > 0) {
                st = ramp__store_fail(s, RAMP_EINVAL,
                                      "labelling: the pool's labels are of another geometry "
                                      "(%lld saves): it cannot become '%s'",
                                      (long long)n, ramp__geom_name(geometry));
                goto fail;
            }
        }
        st = Q("UPDATE label_set SET title = ?, classes = ?, geometry = ?, max_shapes = ?"
               " WHERE id = ?",
               RAMP__TEXT(title ? title : "labelling"), RAMP__TEXT(cl.p),
               RAMP__TEXT(ramp__geom_name(geometry)), RAMP__INT(max_shapes), RAMP__INT(1));
    } else {
        ramp__rows_clear(&r);
        st = Q("INSERT INTO label_set (id, title, classes, geometry, max_shapes, enabled,"
               " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
               RAMP__INT(1), RAMP__TEXT(title ? title : "labelling"), RAMP__TEXT(cl.p),
               RAMP__TEXT(ramp__geom_name(geometry)), RAMP__INT(max_shapes), RAMP__INT(0),
               RAMP__REAL(ramp__wall_now()));
    }
    if (st) goto fail;
    st = ramp__store_commit(s);
    goto done;
fail:
    ramp__rows_clear(&r);
    ramp__store_rollback(s);
done:
    ramp__buf_free(&cl);
    return st;
}

void ramp__label_set_clear(ramp__label_set *ls)
{
    if (!ls) return;
    for (int i = 0; ls->classes && i < ls->n_classes; i++)
        free(ls->classes[i]);
    free(ls->classes);
    free(ls->title);
    memset(ls, 0, sizeof *ls);
}

ramp_status ramp__label_set_get(ramp__store *s, ramp__label_set *ls)
{
    memset(ls, 0, sizeof *ls);
    ramp__rows r;
    ramp_status st = QR(&r,
                        "SELECT title, classes, geometry, max_shapes, enabled,"
                        " (SELECT COUNT(*) FROM label_image),"
                        " (SELECT COUNT(DISTINCT image_pos) FROM label)"
                        " FROM label_set WHERE id = ?",
                        RAMP__INT(1));
    if (st) return st;
    if (!r.n_rows) {
        ramp__rows_clear(&r);
        return ramp__store_fail(s, RAMP_ENOENT, "%s", no_pool);
    }
    ls->title = ramp__strdup(ramp__rows_text(&r, 0, 0));
    const char *cl = ramp__rows_text(&r, 0, 1);
    if (ramp__geom_parse(ramp__rows_text(&r, 0, 2), &ls->geometry)) ls->geometry = RAMP__GEOM_BOX;
    ls->max_shapes = (int)ramp__rows_int(&r, 0, 3);
    ls->enabled = ramp__rows_int(&r, 0, 4) != 0;
    ls->n_images = (int)ramp__rows_int(&r, 0, 5);
    ls->n_labelled = (int)ramp__rows_int(&r, 0, 6);
    int n = 1;
    for (const char *p = cl ? cl : ""; *p; p++)
        n += *p == '\n';
    ls->classes = calloc((size_t)n, sizeof *ls->classes);
    if (!ls->title || !ls->classes || !cl) goto nomem;
    for (const char *p = cl;; ls->n_classes++) {
        const char *e = strchr(p, '\n');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        char *c = malloc(k + 1);
        if (!c) goto nomem;
        memcpy(c, p, k);
        c[k] = '\0';
        ls->classes[ls->n_classes] = c;
        if (!e) {
            ls->n_classes++;
            break;
        }
        p = e + 1;
    }
    ramp__rows_clear(&r);
    return RAMP_OK;
nomem:
    ramp__rows_clear(&r);
    ramp__label_set_clear(ls);
    return ramp__store_fail(s, RAMP_ENOMEM, "out of memory");
}

ramp_status ramp__label_enable(ramp__store *s, int on)
{
    ramp__rows r;
    ramp_status st = QR(&r, "UPDATE label_set SET enabled = ? WHERE id = ? RETURNING id",
                        RAMP__INT(on ? 1 : 0), RAMP__INT(1));
    if (st) return st;
    int n = r.n_rows;
    ramp__rows_clear(&r);
    return n ? RAMP_OK : ramp__store_fail(s, RAMP_ENOENT, "%s", no_pool);
}

ramp_status ramp__label_image_add(ramp__store *s, const char *id, const void *bytes, size_t len,
                                  int width, int height, const char *type)
{
    if (!ramp__label_id_ok(id))
        return ramp__store_fail(s, RAMP_EINVAL,
                                "image id '%.200s': use 1 to 128 of A-Z a-z 0-9 _ . - (not "
                                "starting with .)",
                                id ? id : "");
    if (len > RAMP__LABEL_MAX_IMAGE)
        return ramp__store_fail(s, RAMP_ETOOBIG, "image '%s': %zu bytes, the limit is %u", id, len,
                                RAMP__LABEL_MAX_IMAGE);
    if (width < 1 || height < 1) return ramp__store_fail(s, RAMP_EINVAL, "image '%s': no size", id);
    char hash[65];
    ramp__sha256_hex(hash, bytes, len);
    ramp__rows r = {0};
    ramp_status st = ramp__store_begin(s);
    if (st) return st;
    if ((st = ramp__store_query(s, "SELECT COUNT(*) FROM label_image", NULL, 0, &r))) goto fail;
    int64_t n = ramp__rows_int(&r, 0, 0);
    ramp__rows_clear(&r);
    if (n >= RAMP__LABEL_MAX_IMAGES) {
        st = ramp__store_fail(s, RAMP_ETOOBIG, "the pool holds %d images already (the limit)",
                              RAMP__LABEL_MAX_IMAGES);
        goto fail;
    }
    if ((st =
             Q("INSERT INTO blob (hash, size, data) VALUES (?, ?, ?) ON CONFLICT (hash) DO NOTHING",
               RAMP__TEXT(hash), RAMP__INT(len), RAMP__BLOB(bytes, len))))
        goto fail;
    st = Q("INSERT INTO label_image (name, width, height, type, hash, added_at) VALUES (?, ?, ?, ?,"
           " ?, ?)",
           RAMP__TEXT(id), RAMP__INT(width), RAMP__INT(height), RAMP__TEXT(type), RAMP__TEXT(hash),
           RAMP__REAL(ramp__wall_now()));
    if (st == RAMP_EDUP) {
        st = ramp__store_fail(s, RAMP_EDUP, "image '%s' is already in the pool", id);
        goto fail;
    }
    if (st) goto fail;
    return ramp__store_commit(s);
fail:
    ramp__store_rollback(s);
    return st;
}

void ramp__label_images_free(ramp__label_image *im, size_t n)
{
    for (size_t i = 0; im && i < n; i++)
        free(im[i].id);
    free(im);
}

ramp_status ramp__label_images(ramp__store *s, ramp__label_image **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    ramp__rows r;
    ramp_status st = QR(&r,
                        "SELECT i.name, i.width, i.height, EXISTS (SELECT 1 FROM label l WHERE"
                        " l.image_pos = i.pos) FROM label_image i WHERE i.pos > ? ORDER BY i.pos",
                        RAMP__INT(-1));
    if (st) return st;
    ramp__label_image *im = calloc(r.n_rows ? (size_t)r.n_rows : 1, sizeof *im);
    if (!im) goto nomem;
    for (int i = 0; i < r.n_rows; i++) {
        im[i].id = ramp__strdup(ramp__rows_text(&r, i, 0));
        if (!im[i].id) {
            ramp__label_images_free(im, (size_t)i);
            goto nomem;
        }
        im[i].width = (int)ramp__rows_int(&r, i, 1);
        im[i].height = (int)ramp__rows_int(&r, i, 2);
        const char *e = ramp__rows_text(&r, i, 3);
        im[i].labelled = e && (e[0] == '1' || e[0] == 't'); /* SQLite 1, PostgreSQL t */
    }
    *n = (size_t)r.n_rows;
    *out = im;
    ramp__rows_clear(&r);
    return RAMP_OK;
nomem:
    ramp__rows_clear(&r);
    return ramp__store_fail(s, RAMP_ENOMEM, "out of memory");
}

ramp_status ramp__label_image_get(ramp__store *s, const char *id, int *width, int *height,
                                  char **type, uint8_t **bytes, size_t *len)
{
    *type = NULL;
    if (bytes) *bytes = NULL;
    if (len) *len = 0;
    if (!ramp__label_id_ok(id))
        return ramp__store_fail(s, RAMP_ENOENT, "no such image in the pool");
    ramp__rows r;
    ramp_status st =
        bytes
            ? QR(&r,
                 "SELECT i.width, i.height, i.type, b.data FROM label_image i JOIN blob b ON"
                 " b.hash = i.hash WHERE i.name = ?",
                 RAMP__TEXT(id))
            : QR(&r, "SELECT width, height, type FROM label_image WHERE name = ?", RAMP__TEXT(id));
    if (st) return st;
    if (!r.n_rows) {
        ramp__rows_clear(&r);
        return ramp__store_fail(s, RAMP_ENOENT, "image '%s' is not in the labelling pool", id);
    }
    *width = (int)ramp__rows_int(&r, 0, 0);
    *height = (int)ramp__rows_int(&r, 0, 1);
    *type = ramp__strdup(ramp__rows_text(&r, 0, 2));
    if (!*type) goto nomem;
    if (bytes) {
        size_t k = ramp__rows_len(&r, 0, 3);
        *bytes = malloc(k ? k : 1);
        if (!*bytes) goto nomem;
        memcpy(*bytes, ramp__rows_text(&r, 0, 3), k);
        *len = k;
    }
    ramp__rows_clear(&r);
    return RAMP_OK;
nomem:
    ramp__rows_clear(&r);
    free(*type);
    *type = NULL;
    return ramp__store_fail(s, RAMP_ENOMEM, "out of memory");
}

ramp_status ramp__label_save(ramp__store *s, const char *id, int64_t team_id, const char *labeller,
                             const char *shapes_json)
{
    ramp__rows r;
    ramp_status st = ramp__store_begin(s);
    if (st) return st;
    if ((st = QR(&r, "SELECT pos FROM label_image WHERE name = ?", RAMP__TEXT(id)))) goto fail;
    if (!r.n_rows) {
        ramp__rows_clear(&r);
        st = ramp__store_fail(s, RAMP_ENOENT, "image '%.200s' is not in the labelling pool", id);
        goto fail;
    }
    int64_t pos = ramp__rows_int(&r, 0, 0);
    ramp__rows_clear(&r);
    if ((st = Q(
             "INSERT INTO label (image_pos, team_id, labeller, at, shapes) VALUES (?, ?, ?, ?, ?)",
             RAMP__INT(pos), team_id > 0 ? RAMP__INT(team_id) : RAMP__TEXT(NULL),
             RAMP__TEXT(labeller), RAMP__REAL(ramp__wall_now()), RAMP__TEXT(shapes_json))))
        goto fail;
    if ((st = Q("DELETE FROM label WHERE image_pos = ? AND id NOT IN (SELECT id FROM label WHERE"
                " image_pos = ? ORDER BY id DESC LIMIT ?)",
                RAMP__INT(pos), RAMP__INT(pos), RAMP__INT(RAMP__LABEL_KEEP_SAVES))))
        goto fail;
    return ramp__store_commit(s);
fail:
    ramp__store_rollback(s);
    return st;
}

ramp_status ramp__label_latest(ramp__store *s, const char *id, char **shapes_json, char **labeller,
                               double *at)
{
    *shapes_json = NULL;
    if (labeller) *labeller = NULL;
    ramp__rows r;
    ramp_status st = QR(&r,
                        "SELECT l.shapes, l.labeller, l.at FROM label l JOIN label_image i ON"
                        " i.pos = l.image_pos WHERE i.name = ? ORDER BY l.id DESC LIMIT 1",
                        RAMP__TEXT(id));
    if (st) return st;
    if (!r.n_rows) {
        ramp__rows_clear(&r);
        return ramp__store_fail(s, RAMP_ENOENT, "image '%.200s' has no labels yet", id);
    }
    *shapes_json = ramp__strdup(ramp__rows_text(&r, 0, 0));
    if (labeller) *labeller = ramp__strdup(ramp__rows_text(&r, 0, 1));
    if (at) *at = ramp__rows_real(&r, 0, 2);
    ramp__rows_clear(&r);
    if (!*shapes_json || (labeller && !*labeller)) {
        free(*shapes_json);
        *shapes_json = NULL;
        if (labeller) {
            free(*labeller);
            *labeller = NULL;
        }
        return ramp__store_fail(s, RAMP_ENOMEM, "out of memory");
    }
    return RAMP_OK;
}

void ramp__label_rows_free(ramp__label_row *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++) {
        free(r[i].id);
        free(r[i].shapes);
        free(r[i].labeller);
    }
    free(r);
}

ramp_status ramp__label_export(ramp__store *s, ramp__label_row **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    ramp__rows r;
    /* each image with its latest save (the highest label id), or none */
    ramp_status st = QR(&r,
                        "SELECT i.name, i.width, i.height, l.shapes, l.labeller, l.at"
                        " FROM label_image i LEFT JOIN label l ON l.id = (SELECT MAX(m.id) FROM"
                        " label m WHERE m.image_pos = i.pos) WHERE i.pos > ? ORDER BY i.pos",
                        RAMP__INT(-1));
    if (st) return st;
    ramp__label_row *o = calloc(r.n_rows ? (size_t)r.n_rows : 1, sizeof *o);
    if (!o) goto nomem;
    for (int i = 0; i < r.n_rows; i++) {
        const char *sh = ramp__rows_text(&r, i, 3), *lb = ramp__rows_text(&r, i, 4);
        o[i].id = ramp__strdup(ramp__rows_text(&r, i, 0));
        o[i].width = (int)ramp__rows_int(&r, i, 1);
        o[i].height = (int)ramp__rows_int(&r, i, 2);
        o[i].shapes = sh ? ramp__strdup(sh) : NULL;
        o[i].labeller = lb ? ramp__strdup(lb) : NULL;
        o[i].at = ramp__rows_real(&r, i, 5);
        if (!o[i].id || (sh && !o[i].shapes) || (lb && !o[i].labeller)) {
            ramp__label_rows_free(o, (size_t)i + 1);
            goto nomem;
        }
    }
    *n = (size_t)r.n_rows;
    *out = o;
    ramp__rows_clear(&r);
    return RAMP_OK;
nomem:
    ramp__rows_clear(&r);
    return ramp__store_fail(s, RAMP_ENOMEM, "out of memory");
}

ramp_status ramp__label_count_saves(ramp__store *s, int64_t *n)
{
    *n = 0;
    ramp__rows r;
    ramp_status st = ramp__store_query(s, "SELECT COUNT(*) FROM label", NULL, 0, &r);
    if (st) return st;
    *n = ramp__rows_int(&r, 0, 0);
    ramp__rows_clear(&r);
    return RAMP_OK;
}
