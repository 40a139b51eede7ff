/* cmd_score.c — `ramp score`: scores saved predictions with the problem's
 * score types, so predictions made anywhere can be scored. The problem's
 * workflow decides what --pred is:
 *   classification  an n × n_classes .npy (rows in the split's CSV order);
 *                   rows that are all NaN (samples a run did not predict)
 *                   are skipped, as in bagging;
 *   detection       a CSV, one row per detection: id,class,confidence then
 *                   x0,y0,x1,y1 (boxes) or x,y,r (circles; class may be
 *                   left out, then 0), columns named by the header in any
 *                   order; every id must be a row of the
 *                   split (an unknown one is an error naming file:line); an
 *                   image absent from the file has no detection, and a row
 *                   whose other fields are all empty says so explicitly;
 *                   the truth is the split's objects (ramp_samples.objs);
 *   segmentation    a folder of PNG masks named by id (8-bit gray, class per
 *                   pixel), each the size of the split's mask of that id,
 *                   counted into one confusion matrix.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cliInt.h"
#include "core/coreInt.h"
#include "ramp/detection.h"
#include "ramp/gen.h"
#include "ramp/image.h"
#include "ramp/npy.h"
#include "ramp/score.h"
#include "ramp/segmentation.h"

/* A prediction file's size cap. */
#define PRED_MAX_BYTES ((size_t)1 << 30)

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ramp score --kit DIR [--data DIR] --split train|test --pred PRED [--json]\n\n"
            "Scores saved predictions of the split against the kit's truth with the problem's\n"
            "score types. PRED is, by the problem's workflow:\n"
            "  classification  an n × n_classes .npy, rows in the order of the split's CSV\n"
            "  detection       a CSV: id,class,confidence,x0,y0,x1,y1 (boxes) or\n"
            "                  id,class,confidence,x,y,r (circles), one row per detection\n"
            "  segmentation    a folder of PNG masks named by id (class per pixel)\n");
}

/* Prints the problem's scores (values[s] for score s) as text or JSON. */
static void print_scores(const ramp_problem *p, const double *values, int as_json)
{
    int n = ramp_problem_n_scores(p);
    if (as_json) printf("{");
    for (int s = 0; s < n; s++) {
        const char *name = ramp_problem_score_name(p, s);
        if (as_json) {
            printf("%s", s ? ", " : "");
            ramp__json_fputs(stdout, name);
            if (isnan(values[s]))
                printf(": null");
            else
                printf(": %.17g", values[s]);
        } else
            printf("%-12s %.*f\n", name, ramp_problem_score_precision(p, s), values[s]);
    }
    if (as_json) printf("}\n");
}

/* ---- detection ----------------------------------------------------------------------- */

typedef struct id_row {
    const char *id;
    size_t row;
} id_row;

static int cmp_id_row(const void *a, const void *b)
{
    return strcmp(((const id_row *)a)->id, ((const id_row *)b)->id);
}

/* A number field: the whole of it (spaces around allowed) must parse, finite. */
static int parse_num(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(*v)) return -1;
    while (isspace((unsigned char)*end))
        end++;
    return *end ? -1 : 0;
}

typedef struct pred_obj {
    size_t row;
    ramp_det_obj o;
} pred_obj;

/* Reads the prediction CSV into per-row arrays: objs (sorted by row) and
   off (n + 1 offsets). Every message names file:line. */
static int read_det_pred(const char *file, const ramp_samples *sm, int n_classes,
                         ramp_det_geom geom, ramp_det_obj **objs_out, size_t **off_out)
{
    static const char *const box_cols[] = {"id", "class", "confidence", "x0", "y0", "x1", "y1"};
    static const char *const circ_cols[] = {"id", "class", "confidence", "x", "y", "r"};
    const char *const *want = geom == RAMP_DET_BOX ? box_cols : circ_cols;
    int n_want = geom == RAMP_DET_BOX ? 7 : 6;
    uint8_t *text = NULL;
    size_t len = 0, n_obj = 0, cap = 0;
    id_row *ids = NULL;
    pred_obj *po = NULL;
    ramp_det_obj *objs = NULL;
    size_t *off = NULL;
    int rc = 1;
    ramp_err err = {RAMP_OK, ""};
    ramp__csv c;
    ramp__csv_init(&c, "", 0, file);
    if (ramp__read_file(file, PRED_MAX_BYTES, &text, &len, &err)) {
        ramp__cli_error("%s", err.msg);
        return 1;
    }
    ids = malloc((sm->n ? sm->n : 1) * sizeof *ids);
    if (!ids) goto nomem;
    for (size_t i = 0; i < sm->n; i++)
        ids[i] = (id_row){sm->ids[i], i};
    qsort(ids, sm->n, sizeof *ids, cmp_id_row);

    ramp__csv_init(&c, (const char *)text, len, file);
    int r = ramp__csv_next(&c, &err);
    if (r < 0) goto csv_err;
    if (r == 0) {
        ramp__cli_error("%s: empty file (the header is %s)", file,
                        geom == RAMP_DET_BOX ? "id,class,confidence,x0,y0,x1,y1"
                                             : "id,class,confidence,x,y,r");
        goto done;
    }
    int col[7];
    size_t n_cols = c.nf;
    for (int q = 0; q < n_want; q++) {
        col[q] = -1;
        for (size_t f = 0; f < c.nf; f++)
            if (!strcmp(ramp__csv_field(&c, f, NULL), want[q])) col[q] = (int)f;
        if (col[q] < 0 && !(q == 1 && geom == RAMP_DET_CIRCLE)) { /* circles: class 0 */
            ramp__cli_error("%s:%zu: no column '%s' (a %s problem's predictions have the "
                            "columns %s)",
                            file, c.rec_line, want[q], geom == RAMP_DET_BOX ? "box" : "circle",
                            geom == RAMP_DET_BOX ? "id,class,confidence,x0,y0,x1,y1"
                                                 : "id,class,confidence,x,y,r");
            goto done;
        }
    }
    while ((r = ramp__csv_next(&c, &err)) > 0) {
        char show[64];
        if (c.nf != n_cols) {
            ramp__cli_error("%s:%zu: %zu fields, the header has %zu", file, c.rec_line, c.nf,
                            n_cols);
            goto done;
        }
        size_t idlen;
        const char *id = ramp__csv_field(&c, (size_t)col[0], &idlen);
        id_row key = {id, 0};
        const id_row *hit = bsearch(&key, ids, sm->n, sizeof *ids, cmp_id_row);
        if (!hit) {
            ramp__csv_show(show, sizeof show, id, idlen);
            ramp__cli_error("%s:%zu: id '%s' is not a row of the split", file, c.rec_line, show);
            goto done;
        }
        int empty = 1;
        for (int q = 1; q < n_want; q++)
            if (col[q] >= 0 && *ramp__csv_field(&c, (size_t)col[q], NULL)) empty = 0;
        if (empty) continue; /* an image without detections */
        double v[7] = {0};
        for (int q = 1; q < n_want; q++) {
            if (col[q] < 0) continue;
            size_t fl;
            const char *s = ramp__csv_field(&c, (size_t)col[q], &fl);
            if (parse_num(s, &v[q])) {
                ramp__csv_show(show, sizeof show, s, fl);
                ramp__cli_error("%s:%zu: %s '%s' is not a finite number", file, c.rec_line, want[q],
                                show);
                goto done;
            }
        }
        if (v[1] != floor(v[1]) || v[1] < 0 || v[1] >= n_classes) {
            ramp__cli_error("%s:%zu: class %g is not an integer in [0, %d)", file, c.rec_line, v[1],
                            n_classes);
            goto done;
        }
        ramp_det_obj o = {(int32_t)v[1], v[2], {v[3], v[4], v[5], geom == RAMP_DET_BOX ? v[6] : 0}};
        if (geom == RAMP_DET_BOX && (o.g[2] < o.g[0] || o.g[3] < o.g[1])) {
            ramp__cli_error("%s:%zu: box (%g, %g, %g, %g) has x1 < x0 or y1 < y0", file, c.rec_line,
                            o.g[0], o.g[1], o.g[2], o.g[3]);
            goto done;
        }
        if (geom == RAMP_DET_CIRCLE && o.g[2] < 0) {
            ramp__cli_error("%s:%zu: negative radius %g", file, c.rec_line, o.g[2]);
            goto done;
        }
        if (n_obj == cap) {
            size_t nc = cap ? 2 * cap : 256;
            pred_obj *np_ = realloc(po, nc * sizeof *po);
            if (!np_) goto nomem;
            po = np_;
            cap = nc;
        }
        po[n_obj++] = (pred_obj){hit->row, o};
    }
    if (r < 0) goto csv_err;
    /* counting sort by row, stable: each image keeps the file's order */
    off = calloc(sm->n + 1, sizeof *off);
    objs = malloc((n_obj ? n_obj : 1) * sizeof *objs);
    if (!off || !objs) goto nomem;
    for (size_t q = 0; q < n_obj; q++)
        off[po[q].row + 1]++;
    for (size_t i = 0; i < sm->n; i++)
        off[i + 1] += off[i];
    {
        size_t *fill = malloc((sm->n ? sm->n : 1) * sizeof *fill);
        if (!fill) goto nomem;
        memcpy(fill, off, sm->n * sizeof *fill);
        for (size_t q = 0; q < n_obj; q++)
            objs[fill[po[q].row]++] = po[q].o;
        free(fill);
    }
    *objs_out = objs;
    *off_out = off;
    objs = NULL;
    off = NULL;
    rc = 0;
    goto done;
csv_err:
    ramp__cli_error("%s", err.msg);
    goto done;
nomem:
    ramp__cli_error("%s: out of memory", file);
done:
    ramp__csv_free(&c);
    free(text);
    free(ids);
    free(po);
    free(objs);
    free(off);
    return rc;
}

static int score_detection(ramp__kit *kit, const ramp_samples *sm, const char *pred, int as_json)
{
    const ramp_problem *p = kit->problem;
    int K = ramp_problem_n_classes(p), n_scores = ramp_problem_n_scores(p), rc = 1;
    ramp_det_geom geom = ramp_problem_geometry(p) ? RAMP_DET_CIRCLE : RAMP_DET_BOX;
    int compat = ramp_problem_compat_rampwf(p);
    if (!sm->objs || !sm->obj_off) {
        ramp__cli_error("%s: the split has no detection targets", kit->kit_dir);
        return 1;
    }
    ramp_det_obj *pobjs = NULL, *tobjs = NULL;
    size_t *poff = NULL;
    ramp_det_image *im = NULL;
    double *values = NULL;
    ramp_pp *pp = NULL;
    if (read_det_pred(pred, sm, K, geom, &pobjs, &poff)) return 1;
    size_t n_truth = sm->obj_off[sm->n];
    tobjs = malloc((n_truth ? n_truth : 1) * sizeof *tobjs);
    im = calloc(sm->n ? sm->n : 1, sizeof *im);
    values = malloc((size_t)(n_scores ? n_scores : 1) * sizeof *values);
    if (!tobjs || !im || !values) {
        ramp__cli_error("out of memory");
        goto done;
    }
    for (size_t j = 0; j < n_truth; j++) {
        const ramp_obj *o = &sm->objs[j];
        tobjs[j] = (ramp_det_obj){o->cls, 1.0, {o->g[0], o->g[1], o->g[2], o->g[3]}};
    }
    for (size_t i = 0; i < sm->n; i++)
        im[i] = (ramp_det_image){tobjs + sm->obj_off[i],
                                 sm->obj_off[i + 1] - sm->obj_off[i],
                                 pobjs + poff[i],
                                 poff[i + 1] - poff[i],
                                 0,
                                 0};
    /* scp needs each image's size: its header only */
    int need_size = 0;
    for (int s = 0; s < n_scores; s++)
        need_size |= ramp_problem_score_kind(p, s) == RAMP_SCORE_SCP;
    if (need_size) {
        ramp_err err = {RAMP_OK, ""};
        if (ramp_pp_new(&pp, &err)) {
            ramp__cli_error("%s", err.msg);
            goto done;
        }
        for (size_t i = 0; i < sm->n; i++) {
            const ramp_image *x = ramp_img_open(pp, sm->paths[i]);
            if (!x) {
                ramp__cli_error("%s", ramp_pp_errmsg(pp));
                goto done;
            }
            im[i].width = ramp_img_width(x);
            im[i].height = ramp_img_height(x);
            ramp_pp_reset(pp);
        }
    }
    for (int s = 0; s < n_scores; s++) {
        ramp_err err = {RAMP_OK, ""};
        double mp[4];
        int has_mp = ramp_problem_score_minipatch(p, s, mp);
        if (ramp_score_detection_minipatch(&values[s], ramp_problem_score_kind(p, s),
                                           ramp_problem_score_param(p, s), im, sm->n, K, geom,
                                           compat, has_mp ? mp : NULL, &err)) {
            ramp__cli_error("%s: %s: %s", pred, ramp_problem_score_name(p, s), err.msg);
            goto done;
        }
    }
    print_scores(p, values, as_json);
    rc = 0;
done:
    ramp_pp_free(pp);
    free(pobjs);
    free(poff);
    free(tobjs);
    free(im);
    free(values);
    return rc;
}

/* ---- segmentation --------------------------------------------------------------------- */

/* A mask's 8-bit gray pixels, rows packed into *buf (grown as needed). */
static int mask_pixels(ramp_pp *pp, const ramp_image *x, const char *what, const char *id,
                       uint8_t **buf, size_t *cap)
{
    if (ramp_img_channels(x) != 1 || ramp_img_bits(x) != 8) {
        ramp__cli_error("id '%s': the %s mask %s has %d channels of %d bits (an 8-bit gray PNG "
                        "is expected)",
                        id, what, ramp_img_name(x), ramp_img_channels(x), ramp_img_bits(x));
        return 1;
    }
    size_t stride, w = (size_t)ramp_img_width(x), h = (size_t)ramp_img_height(x);
    const uint8_t *px = ramp_img_pixels(pp, x, &stride);
    if (!px) {
        ramp__cli_error("%s", ramp_pp_errmsg(pp));
        return 1;
    }
    if (w * h > *cap) {
        uint8_t *nb = realloc(*buf, w * h);
        if (!nb) {
            ramp__cli_error("out of memory (%zu × %zu mask)", w, h);
            return 1;
        }
        *buf = nb;
        *cap = w * h;
    }
    for (size_t r = 0; r < h; r++)
        memcpy(*buf + r * w, px + r * stride, w);
    return 0;
}

static int score_segmentation(ramp__kit *kit, const ramp_samples *sm, const char *pred, int as_json)
{
    const ramp_problem *p = kit->problem;
    int K = ramp_problem_n_classes(p), n_scores = ramp_problem_n_scores(p), rc = 1;
    if (!sm->mask_paths && !sm->mask_bytes) {
        ramp__cli_error("%s: the split has no segmentation masks", kit->kit_dir);
        return 1;
    }
    ramp_err err = {RAMP_OK, ""};
    ramp_seg_confusion *cm = NULL;
    ramp_pp *pp = NULL;
    uint8_t *tb = NULL, *pb = NULL;
    size_t tcap = 0, pcap = 0;
    double *values = malloc((size_t)(n_scores ? n_scores : 1) * sizeof *values);
    char *path = NULL;
    if (!values) {
        ramp__cli_error("out of memory");
        return 1;
    }
    if (ramp_seg_confusion_new(&cm, K, RAMP_IGNORE_LABEL, &err) || ramp_pp_new(&pp, &err)) {
        ramp__cli_error("%s", err.msg);
        goto done;
    }
    for (size_t i = 0; i < sm->n; i++) {
        const char *id = sm->ids[i];
        const ramp_image *t = sm->mask_bytes && sm->mask_bytes[i]
                                  ? ramp_img_from_memory(pp, sm->mask_bytes[i], sm->mask_len[i], id)
                                  : ramp_img_open(pp, sm->mask_paths[i]);
        if (!t) {
            ramp__cli_error("id '%s': %s", id, ramp_pp_errmsg(pp));
            goto done;
        }
        free(path);
        size_t plen = strlen(pred) + strlen(id) + 2;
        path = malloc(plen);
        if (!path) {
            ramp__cli_error("out of memory");
            goto done;
        }
        snprintf(path, plen, "%s/%s", pred, id);
        const ramp_image *q = ramp_img_open(pp, path);
        if (!q) {
            ramp__cli_error("id '%s': no predicted mask: %s", id, ramp_pp_errmsg(pp));
            goto done;
        }
        if (ramp_img_width(q) != ramp_img_width(t) || ramp_img_height(q) != ramp_img_height(t)) {
            ramp__cli_error("id '%s': the predicted mask %s is %dx%d, the true mask %dx%d", id,
                            path, ramp_img_width(q), ramp_img_height(q), ramp_img_width(t),
                            ramp_img_height(t));
            goto done;
        }
        if (mask_pixels(pp, t, "true", id, &tb, &tcap) ||
            mask_pixels(pp, q, "predicted", id, &pb, &pcap))
            goto done;
        size_t n_px = (size_t)ramp_img_width(t) * (size_t)ramp_img_height(t);
        if (ramp_seg_confusion_add_u8(cm, tb, pb, n_px)) {
            ramp__cli_error("id '%s' (%s): %s", id, path, ramp_seg_confusion_errmsg(cm));
            goto done;
        }
        ramp_pp_reset(pp);
    }
    for (int s = 0; s < n_scores; s++)
        if (ramp_score_segmentation(&values[s], ramp_problem_score_kind(p, s), cm, &err)) {
            ramp__cli_error("%s: %s: %s", pred, ramp_problem_score_name(p, s), err.msg);
            goto done;
        }
    print_scores(p, values, as_json);
    rc = 0;
done:
    free(path);
    free(tb);
    free(pb);
    free(values);
    ramp_pp_free(pp);
    ramp_seg_confusion_free(cm);
    return rc;
}

/* ---- classification ------------------------------------------------------------------- */

static int score_classification(ramp__kit *kit, const ramp__kit_split *sp, const char *split,
                                const char *pred, int as_json)
{
    const ramp_problem *p = kit->problem;
    int c = ramp_problem_n_classes(p), n_scores = ramp_problem_n_scores(p), rc = 1;
    double *proba = NULL, *values = NULL;
    size_t rows = 0, cols = 0;
    ramp_err err = {RAMP_OK, ""};
    if (ramp_npy_read_matrix(&proba, &rows, &cols, pred, &err)) {
        ramp__cli_error("%s", err.msg);
        goto done;
    }
    if (rows != sp->samples.n || cols != (size_t)c) {
        ramp__cli_error("%s: shape %zu × %zu, but the %s split has %zu rows and %d classes", pred,
                        rows, cols, split, sp->samples.n, c);
        goto done;
    }
    values = malloc((size_t)(n_scores ? n_scores : 1) * sizeof *values);
    if (!values) {
        ramp__cli_error("out of memory");
        goto done;
    }
    for (int s = 0; s < n_scores; s++)
        if (ramp_score_compute(&values[s], ramp_problem_score_kind(p, s),
                               ramp_problem_score_param(p, s), proba, sp->samples.labels, rows, c,
                               &err)) {
            ramp__cli_error("%s: %s", pred, err.msg);
            goto done;
        }
    print_scores(p, values, as_json);
    rc = 0;
done:
    free(proba);
    free(values);
    return rc;
}

int ramp__cmd_score(int argc, char **argv)
{
    const char *kit_dir = ".", *data = NULL, *split = NULL, *pred = NULL;
    int as_json = 0;
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--kit", &kit_dir),   RAMP__OPT_STR("--data", &data),
        RAMP__OPT_STR("--split", &split),   RAMP__OPT_STR("--pred", &pred),
        RAMP__OPT_FLAG("--json", &as_json), RAMP__OPT_END,
    };
    int prc = ramp__cli_parse(&(ramp__cli_spec){.cmd = "score", .usage = usage, .opts = opts}, argc,
                              argv);
    if (prc) return prc == 1 ? 0 : prc;
    if (!split || !pred || (strcmp(split, "train") && strcmp(split, "test"))) {
        usage(stderr);
        return 2;
    }
    ramp__kit kit;
    ramp_err err = {RAMP_OK, ""};
    if (ramp__kit_open(&kit, kit_dir, data, &err)) {
        ramp__kit_report(&kit, &err);
        ramp__kit_close(&kit);
        return 1;
    }
    const ramp__kit_split *sp = !strcmp(split, "train") ? &kit.train : &kit.test;
    int rc;
    switch (ramp_problem_workflow(kit.problem)) {
    case RAMP_WORKFLOW_DETECTION:
        rc = score_detection(&kit, &sp->samples, pred, as_json);
        break;
    case RAMP_WORKFLOW_SEGMENTATION:
        rc = score_segmentation(&kit, &sp->samples, pred, as_json);
        break;
    default:
        rc = score_classification(&kit, sp, split, pred, as_json);
        break;
    }
    ramp__kit_close(&kit);
    return rc;
}
