/* cmd_label.c — `ramp label`: the organiser's side of the labelling page.
 *
 *   ramp label add    --db DB [--kit KIT] --images DIR [--geometry G] [--max-shapes N]
 *   ramp label on|off --db DB
 *   ramp label status --db DB
 *   ramp label export --db DB --out DIR [--fill C]
 *
 * `add` defines the pool (class names from KIT's problem, else the event's;
 * the geometry: box, circle or polygon, by default polygon for a
 * segmentation kit and box otherwise) and copies each PNG or JPEG at the
 * top of DIR into the store under its file name as id, after decoding it
 * (a corrupt image is refused here, not in a labeller's browser). Images
 * already in the pool are left as they are. The page starts off; `on`
 * opens it in `ramp serve`.
 *
 * `export` writes the latest save of each labelled image in the kit's
 * formats (docs/kits.md): labels.csv (detection: id,class,x0,y0,x1,y1 or
 * id,class,x,y,r, one row per object, an image saved with no object has
 * one row with the id alone; segmentation: the column id) and, for
 * polygons, masks/<id>: 8-bit gray PNGs of the image's size, each pixel
 * the class of the last polygon that contains its centre (even-odd rule),
 * else --fill (default 0, the background class of segmentation kits; 255
 * marks pixels as void). labellers.csv says who saved each image, when.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cliInt.h"
#include "core/coreInt.h"
#include "ramp/image.h"
#include "store/storeInt.h"

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: ramp label add --db DB [--kit KIT] --images DIR [--geometry box|circle|polygon]\n"
        "                      [--max-shapes N]\n"
        "       ramp label on|off --db DB\n"
        "       ramp label status --db DB\n"
        "       ramp label export --db DB --out DIR [--fill C]\n\n"
        "The labelling page of 'ramp serve' (/label): logged-in teams draw boxes,\n"
        "circles or polygons on a pool of images the organiser registered here.\n\n"
        "  add     registers the PNG and JPEG files at the top of DIR (id: the file name)\n"
        "          with the class names of KIT's problem (default: the event's kit);\n"
        "          geometry: polygon for a segmentation kit, else box; at most N shapes\n"
        "          per image (default 100)\n"
        "  on, off opens or closes the page (it starts closed)\n"
        "  status  the pool: images, images labelled, saves\n"
        "  export  the latest save of each labelled image: DIR/labels.csv (the kit's\n"
        "          format), DIR/masks/<id> for polygons (class per pixel, C elsewhere:\n"
        "          default 0, 255 for void) and DIR/labellers.csv (id, labeller, time)\n");
}

static ramp__store *open_store(const char *db)
{
    ramp__store *s = NULL;
    ramp_err err;
    if (ramp__store_open(&s, db, &err)) {
        ramp__cli_error("label: %s", err.msg);
        return NULL;
    }
    return s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int label_add(ramp__store *s, const char *kit, const char *dir, const char *geom,
                     int max_shapes)
{
    int rc = 1;
    ramp_problem *own = NULL;
    ramp__event ev = {0};
    const ramp_problem *pb = NULL;
    ramp_err err;
    char **names = NULL;
    size_t n_names = 0, cap = 0;
    const char **classes = NULL;
    ramp_pp *pp = NULL;
    DIR *d = NULL;
    if (kit) {
        if (ramp_problem_load(&own, kit, &err)) {
            ramp__cli_error("label: %s", err.msg);
            goto done;
        }
        pb = own;
    } else {
        if (ramp__store_event_get(s, &ev)) {
            ramp__cli_error("label: %s (or give --kit)", ramp__store_errmsg(s));
            goto done;
        }
        pb = ev.problem;
    }
    ramp__geom g = ramp_problem_workflow(pb) == RAMP_WORKFLOW_SEGMENTATION ? RAMP__GEOM_POLYGON
                                                                           : RAMP__GEOM_BOX;
    if (geom && ramp__geom_parse(geom, &g)) {
        ramp__cli_error("label: --geometry is box, circle or polygon, not '%s'", geom);
        rc = 2;
        goto done;
    }
    int nc = ramp_problem_n_classes(pb);
    classes = calloc(nc > 0 ? (size_t)nc : 1, sizeof *classes);
    if (!classes) goto nomem;
    for (int i = 0; i < nc; i++)
        classes[i] = ramp_problem_class_name(pb, i);
    char title[300];
    snprintf(title, sizeof title, "%s", ramp_problem_title(pb));
    if (ramp__label_set_define(s, title, classes, nc, g, max_shapes)) {
        ramp__cli_error("label: %s", ramp__store_errmsg(s));
        goto done;
    }
    if (!(d = opendir(dir))) {
        ramp__cli_error("label: cannot open the folder %s", dir);
        goto done;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n_names == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) goto nomem;
            names = nn;
        }
        if (!(names[n_names] = ramp__strdup(e->d_name))) goto nomem;
        n_names++;
    }
    if (n_names) qsort(names, n_names, sizeof *names, cmp_str);
    /* every name is checked before anything is added: a bad one adds nothing */
    for (size_t i = 0; i < n_names; i++)
        if (!ramp__label_id_ok(names[i])) {
            ramp__cli_error("label: %s/%s: an image id (its file name) uses 1 to 128 of A-Z a-z "
                            "0-9 _ . -: rename it; nothing was added",
                            dir, names[i]);
            goto done;
        }
    if (ramp_pp_new(&pp, &err)) {
        ramp__cli_error("label: %s", err.msg);
        goto done;
    }
    int added = 0, kept = 0, skipped = 0;
    for (size_t i = 0; i < n_names; i++) {
        char *path = ramp__path_join(dir, names[i]);
        if (!path) goto nomem;
        struct stat sb;
        if (stat(path, &sb) || !S_ISREG(sb.st_mode)) {
            free(path);
            continue;
        }
        uint8_t *bytes = NULL;
        size_t len = 0;
        if (ramp__read_file(path, RAMP__LABEL_MAX_IMAGE, &bytes, &len, &err)) {
            ramp__cli_error("label: %s", err.msg);
            free(path);
            goto done;
        }
        ramp_img_format f = ramp_img_sniff(bytes, len);
        if (f != RAMP_FMT_PNG && f != RAMP_FMT_JPEG) {
            fprintf(stderr, "ramp: label: %s is not a PNG or JPEG image: skipped\n", path);
            skipped++;
            free(bytes);
            free(path);
            continue;
        }
        ramp_pp_reset(pp);
        const ramp_image *im = ramp_img_from_memory(pp, bytes, len, path);
        size_t stride;
        if (!im || !ramp_img_pixels(pp, im, &stride)) {
            ramp__cli_error("label: %s", ramp_pp_errmsg(pp));
            free(bytes);
            free(path);
            goto done;
        }
        ramp_status st =
            ramp__label_image_add(s, names[i], bytes, len, ramp_img_width(im), ramp_img_height(im),
                                  f == RAMP_FMT_PNG ? "image/png" : "image/jpeg");
        free(bytes);
        free(path);
        if (st == RAMP_EDUP) {
            kept++;
        } else if (st) {
            ramp__cli_error("label: %s", ramp__store_errmsg(s));
            goto done;
        } else {
            added++;
        }
    }
    ramp__label_set ls;
    if (ramp__label_set_get(s, &ls)) {
        ramp__cli_error("label: %s", ramp__store_errmsg(s));
        goto done;
    }
    printf("labelling pool '%s': %d images added (%d already there, %d skipped), %d in all; "
           "%s, %d classes; the page is %s\n",
           ls.title, added, kept, skipped, ls.n_images, ramp__geom_name(ls.geometry), ls.n_classes,
           ls.enabled ? "on" : "off (open it with 'ramp label on')");
    ramp__label_set_clear(&ls);
    rc = 0;
    goto done;
nomem:
    ramp__cli_error("label: out of memory");
done:
    if (d) closedir(d);
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    free(classes);
    ramp_pp_free(pp);
    ramp_problem_free(own);
    ramp__event_clear(&ev);
    return rc;
}

/* Paints the polygon v[0..2n) with value c into mask (w × h): each pixel
   whose centre is inside by the even-odd rule. */
static void fill_polygon(uint8_t *mask, int w, int h, const double *v, int n, uint8_t c, double *xs)
{
    for (int y = 0; y < h; y++) {
        double yc = y + 0.5;
        int k = 0;
        for (int i = 0; i < n; i++) {
            double x0 = v[2 * i], y0 = v[2 * i + 1];
            double x1 = v[2 * ((i + 1) % n)], y1 = v[2 * ((i + 1) % n) + 1];
            /* half-open in y, so a vertex on the line counts once */
            if ((y0 <= yc && yc < y1) || (y1 <= yc && yc < y0))
                xs[k++] = x0 + (yc - y0) * (x1 - x0) / (y1 - y0);
        }
        for (int a = 1; a < k; a++) /* insertion sort: k is small */
            for (int b = a; b > 0 && xs[b - 1] > xs[b]; b--) {
                double t = xs[b];
                xs[b] = xs[b - 1];
                xs[b - 1] = t;
            }
        for (int p = 0; p + 1 < k; p += 2) {
            /* pixels x with xs[p] <= x + 0.5 < xs[p + 1] */
            long lo = (long)ceil(xs[p] - 0.5), hi = (long)ceil(xs[p + 1] - 0.5);
            if (lo < 0) lo = 0;
            if (hi > w) hi = w;
            for (long x = lo; x < hi; x++)
                mask[(size_t)y * (size_t)w + (size_t)x] = c;
        }
    }
}

static int label_export(ramp__store *s, const char *out, int fill)
{
    int rc = 1;
    ramp__label_set ls = {0};
    ramp__label_row *rows = NULL;
    size_t n = 0;
    FILE *csv = NULL, *who = NULL;
    char *p_csv = NULL, *p_who = NULL, *p_masks = NULL;
    uint8_t *mask = NULL;
    double xs[RAMP__LABEL_MAX_VERTICES + 1];
    if (ramp__label_set_get(s, &ls) || ramp__label_export(s, &rows, &n)) {
        ramp__cli_error("label: %s", ramp__store_errmsg(s));
        goto done;
    }
    p_csv = ramp__path_join(out, "labels.csv");
    p_who = ramp__path_join(out, "labellers.csv");
    p_masks = ramp__path_join(out, "masks");
    if (!p_csv || !p_who || !p_masks) goto nomem;
    if (ramp__mkdirs(out) || (ls.geometry == RAMP__GEOM_POLYGON && ramp__mkdirs(p_masks))) {
        ramp__cli_error("label: cannot make the folder %s", out);
        goto done;
    }
    if (!(csv = fopen(p_csv, "w")) || !(who = fopen(p_who, "w"))) {
        ramp__cli_error("label: cannot write in %s", out);
        goto done;
    }
    fputs(ls.geometry == RAMP__GEOM_BOX      ? "id,class,x0,y0,x1,y1\n"
          : ls.geometry == RAMP__GEOM_CIRCLE ? "id,class,x,y,r\n"
                                             : "id\n",
          csv);
    fputs("id,labeller,time\n", who);
    int n_saved = 0, n_objects = 0;
    for (size_t i = 0; i < n; i++) {
        const ramp__label_row *r = &rows[i];
        if (!r->shapes) continue; /* never saved: not labelled */
        ramp__shapes sh;
        char msg[300];
        if (ramp__shapes_parse(r->shapes, strlen(r->shapes), NULL, &sh, msg, sizeof msg) ||
            ramp__shapes_check(&sh, &ls, r->width, r->height, msg, sizeof msg)) {
            ramp__cli_error("label: the stored labels of '%s': %s", r->id, msg);
            goto done;
        }
        n_saved++;
        n_objects += sh.n;
        if (ls.geometry == RAMP__GEOM_POLYGON) {
            fprintf(csv, "%s\n", r->id);
            size_t npx = (size_t)r->width * (size_t)r->height;
            uint8_t *m = realloc(mask, npx);
            if (!m) {
                ramp__shapes_clear(&sh);
                goto nomem;
            }
            mask = m;
            memset(mask, fill, npx);
            for (int k = 0; k < sh.n; k++)
                fill_polygon(mask, r->width, r->height, sh.s[k].v, sh.s[k].n / 2,
                             (uint8_t)sh.s[k].cls, xs);
            uint8_t *png = NULL;
            size_t png_len = 0;
            ramp_err err;
            char *p = ramp__path_join(p_masks, r->id);
            FILE *f = NULL;
            int bad = !p ||
                      ramp_img_encode(&png, &png_len, RAMP_FMT_PNG, mask, r->width, r->height, 1,
                                      (size_t)r->width, 0, &err) ||
                      !(f = fopen(p, "wb")) || fwrite(png, 1, png_len, f) != png_len;
            if (f && fclose(f)) bad = 1;
            free(png);
            if (bad) {
                ramp__cli_error("label: cannot write the mask %s", p ? p : r->id);
                free(p);
                ramp__shapes_clear(&sh);
                goto done;
            }
            free(p);
        } else if (sh.n == 0) {
            fprintf(csv, "%s%s\n", r->id, ls.geometry == RAMP__GEOM_BOX ? ",,,,," : ",,,,");
        } else {
            for (int k = 0; k < sh.n; k++) {
                fprintf(csv, "%s,%d", r->id, sh.s[k].cls);
                for (int j = 0; j < sh.s[k].n; j++)
                    fprintf(csv, ",%.9g", sh.s[k].v[j]);
                fputc('\n', csv);
            }
        }
        char t[64];
        ramp__fmt_time(t, sizeof t, r->at);
        fprintf(who, "%s,%s,%s\n", r->id, r->labeller, t);
        ramp__shapes_clear(&sh);
    }
    if (ferror(csv) || ferror(who)) {
        ramp__cli_error("label: cannot write in %s", out);
        goto done;
    }
    printf("exported %d labelled images of %zu (%d objects) to %s\n", n_saved, n, n_objects, out);
    rc = 0;
    goto done;
nomem:
    ramp__cli_error("label: out of memory");
done:
    if (csv && fclose(csv)) rc = 1;
    if (who && fclose(who)) rc = 1;
    free(mask);
    free(p_csv);
    free(p_who);
    free(p_masks);
    ramp__label_rows_free(rows, n);
    ramp__label_set_clear(&ls);
    return rc;
}

int ramp__cmd_label(int argc, char **argv)
{
    const char *db = NULL, *kit = NULL, *images = NULL, *geom = NULL, *out = NULL, *verb = NULL;
    int max_shapes = 100, fill = 0;
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--db", &db),
        RAMP__OPT_STR("--kit", &kit),
        RAMP__OPT_STR("--images", &images),
        RAMP__OPT_STR("--geometry", &geom),
        RAMP__OPT_INT("--max-shapes", &max_shapes, 1, RAMP__LABEL_MAX_SHAPES),
        RAMP__OPT_STR("--out", &out),
        RAMP__OPT_INT("--fill", &fill, 0, 255),
        RAMP__OPT_END,
    };
    int prc = ramp__cli_parse(
        &(ramp__cli_spec){.cmd = "label", .usage = usage, .opts = opts, .pos = &verb, .max_pos = 1},
        argc, argv);
    if (prc) return prc == 1 ? 0 : prc;
    static const char *const verbs[] = {"add", "on", "off", "status", "export"};
    int v = -1;
    for (int i = 0; verb && i < 5; i++)
        if (!strcmp(verb, verbs[i])) v = i;
    if (v < 0 || !db) {
        ramp__cli_error("label: usage: ramp label add|on|off|status|export --db DB ... (see "
                        "'ramp label --help')");
        return 2;
    }
    if (v == 0 && !images) {
        ramp__cli_error("label add: --images DIR is required");
        return 2;
    }
    if (v == 4 && !out) {
        ramp__cli_error("label export: --out DIR is required");
        return 2;
    }
    ramp__store *s = open_store(db);
    if (!s) return 1;
    int rc = 0;
    if (v == 0) {
        rc = label_add(s, kit, images, geom, max_shapes);
    } else if (v == 1 || v == 2) {
        if (ramp__label_enable(s, v == 1)) {
            ramp__cli_error("label: %s", ramp__store_errmsg(s));
            rc = 1;
        } else {
            printf("the labelling page is %s\n", v == 1 ? "on (/label)" : "off");
        }
    } else if (v == 3) {
        ramp__label_set ls;
        int64_t saves = 0;
        if (ramp__label_set_get(s, &ls) || ramp__label_count_saves(s, &saves)) {
            ramp__cli_error("label: %s", ramp__store_errmsg(s));
            rc = 1;
        } else {
            printf("labelling pool '%s': %d images, %d labelled, %lld saves; %s, %d classes, at "
                   "most %d shapes per image; the page is %s\n",
                   ls.title, ls.n_images, ls.n_labelled, (long long)saves,
                   ramp__geom_name(ls.geometry), ls.n_classes, ls.max_shapes,
                   ls.enabled ? "on" : "off");
            ramp__label_set_clear(&ls);
        }
    } else {
        rc = label_export(s, out, fill);
    }
    ramp__store_close(s);
    return rc;
}
