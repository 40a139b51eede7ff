/* synth.c — data made here for the detection and segmentation kits:
 * Fashion-MNIST items pasted onto textured canvases (`ramp data objects`)
 * and crater-like circles on a noisy terrain (`ramp data circles`).
 *
 * Every image is drawn from its own stream, ramp_rng_seed(seed,
 * key(split, row)), so the bytes depend on the seed alone, never on the
 * number of threads; the threads split rows as the Fashion-MNIST builder
 * does (thread t takes rows t, t+T, ...), keep each row's objects in a
 * per-row slot, and the CSVs are written in row order once they are done.
 *
 * Objects: a canvas of smooth random gradients, a low-frequency ripple and
 * pixel noise, with a few translucent shapes as distractors; then 1-4
 * items, each a Fashion-MNIST glyph scaled bilinearly from 28 px to a side
 * of S*20/128 .. S*64/128 px, tinted to contrast with the canvas, placed so
 * that it covers at most 30% of a smaller item's square (later items are
 * drawn over earlier ones). The glyph's value is its opacity. The box is
 * the tight box of the item's pixels of opacity >= 0.5, as pasted (a later
 * item may cover part of it). The mask (segmentation, its own class
 * numbering: 0 background, 1 + Fashion-MNIST class for an item) takes the
 * top item: class where its opacity >= 0.5, 255 (void) on its soft rim
 * (opacity in [0.15, 0.5)), the pixel's previous value elsewhere.
 *
 * Circles: a gray terrain of random low-frequency waves and noise; 0-6
 * craters, radius S*4/128 .. S*24/128, centre anywhere in the image (the
 * rim may leave it), each a bowl lit from the top left (the wall facing the
 * light bright, the other dark) with a raised rim.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/coreInt.h"
#include "data/dataInt.h"
#include "ramp/dataset.h"
#include "ramp/image.h"
#include "ramp/rng.h"

#define SYNTH_PI 3.14159265358979323846
#define MAX_ITEMS 6 /* objects a row may hold: 4 items, 6 craters */
#define FM_SIDE 28

static const char *const fm_names[10] = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                         "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                         "Bag",         "Ankle boot"};

/* The kits' problem files, written when OUT has none (the same as
   kits/objects_detection, kits/objects_segmentation and kits/circles:
   test_data_objects.sh compares them). */
static const char objects_det_ini[] =
    "# Objects: Fashion-MNIST items pasted onto textured 128x128 RGB canvases,\n"
    "# 1-4 a picture; find each item's box and class (10 classes).\n"
    "# Data: `ramp data objects --out kits/objects_detection` (docs/kits.md).\n"
    "[problem]\n"
    "title = Fashion-MNIST objects detection\n"
    "n_classes = 10\n"
    "workflow = detection\n"
    "geometry = box\n"
    "\n"
    "[scores]\n"
    "# name = kind [param=value ...]; the first one is the official score\n"
    "map = map iou=0.5 precision=4\n"
    "prec = det_precision iou=0.5 precision=3\n"
    "rec = det_recall iou=0.5 precision=3\n"
    "\n"
    "[cv]\n"
    "method = shuffle_split\n"
    "n_splits = 3\n"
    "test_size = 0.2\n"
    "random_state = 57\n"
    "\n"
    "[detection]\n"
    "max_objects = 16\n"
    "iou_threshold = 0.55\n"
    "compat = ramp\n"
    "bagging = wbf\n"
    "\n"
    "[workflow]\n"
    "chunk_size = 512\n"
    "n_jobs = 2\n"
    "test_batch_size = 128\n";

static const char objects_seg_ini[] =
    "# Objects: the images of kits/objects_detection; label every pixel with\n"
    "# its item's class (1-10) or the background (0); 255 marks the items' soft\n"
    "# rims, which are not scored.\n"
    "# Data: `ramp data objects --out kits/objects_segmentation` (the same seed\n"
    "# gives the same files as the detection kit's; docs/kits.md).\n"
    "[problem]\n"
    "title = Fashion-MNIST objects segmentation\n"
    "n_classes = 11\n"
    "workflow = segmentation\n"
    "\n"
    "[scores]\n"
    "# name = kind [param=value ...]; the first one is the official score\n"
    "miou = mean_iu precision=4\n"
    "pacc = pixel_accuracy precision=4\n"
    "macc = mean_accuracy precision=4\n"
    "fwiou = fw_iu precision=4\n"
    "\n"
    "[cv]\n"
    "method = shuffle_split\n"
    "n_splits = 3\n"
    "test_size = 0.2\n"
    "random_state = 57\n"
    "\n"
    "[data]\n"
    "# the id lists and the classes of this kit (the boxes are in train.csv)\n"
    "train = data/seg_train.csv\n"
    "test = data/seg_test.csv\n"
    "class_codes = data/seg_class_codes.csv\n"
    "\n"
    "[workflow]\n"
    "chunk_size = 512\n"
    "n_jobs = 2\n"
    "test_batch_size = 128\n";

static const char circles_ini[] =
    "# Circles: crater-like circles (shaded bowls with raised rims) on a noisy\n"
    "# 128x128 gray terrain, 0-6 a picture, radius 4-24 px; find each centre\n"
    "# and radius. Data: `ramp data circles --out kits/circles` (docs/kits.md).\n"
    "[problem]\n"
    "title = Craters (circles detection)\n"
    "n_classes = 1\n"
    "workflow = detection\n"
    "geometry = circle\n"
    "\n"
    "[scores]\n"
    "# name = kind [param=value ...]; the first one is the official score\n"
    "map = map iou=0.5 precision=4\n"
    "prec = det_precision iou=0.5 precision=3\n"
    "rec = det_recall iou=0.5 precision=3\n"
    "ospa = ospa precision=4\n"
    "scp = scp precision=4\n"
    "mad_center = mad_center precision=3\n"
    "mad_radius = mad_radius precision=3\n"
    "\n"
    "[cv]\n"
    "method = shuffle_split\n"
    "n_splits = 3\n"
    "test_size = 0.2\n"
    "random_state = 57\n"
    "\n"
    "[detection]\n"
    "max_objects = 16\n"
    "iou_threshold = 0.5\n"
    "compat = ramp\n"
    "bagging = wbf\n"
    "\n"
    "[workflow]\n"
    "chunk_size = 512\n"
    "n_jobs = 2\n"
    "test_batch_size = 128\n";

typedef struct synth_row {
    int n;
    ramp_obj o[MAX_ITEMS];
} synth_row;

typedef struct synth_job {
    const ramp_synth_opts *o;
    int circles;
    int side;
    size_t n[2];
    const uint8_t *px[2], *lab[2]; /* Fashion-MNIST source per split (objects) */
    size_t n_src[2];
    synth_row *rows[2];
    const char *imgs_dir, *masks_dir;
    int tid, n_threads;
    atomic_int *stop;
    uint64_t bytes;
    ramp_status st;
    ramp_err err;
} synth_job;

static double uni(ramp_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * ramp_rng_uniform(r);
}

static uint8_t clamp8(double v)
{
    return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)(v + 0.5);
}

/* ---- objects ------------------------------------------------------------ */

/* A canvas: gradient between two colours, a ripple, noise, distractors.
   rgb: S*S*3. */
static void draw_canvas(uint8_t *rgb, int S, ramp_rng *r)
{
    double c0[3], c1[3];
    for (int k = 0; k < 3; k++) {
        c0[k] = uni(r, 40, 215);
        c1[k] = uni(r, 40, 215);
    }
    double ang = uni(r, 0, 2 * SYNTH_PI), ca = cos(ang), sa = sin(ang);
    double fx = uni(r, 0.5, 3) * 2 * SYNTH_PI / S, fy = uni(r, 0.5, 3) * 2 * SYNTH_PI / S;
    double ph = uni(r, 0, 2 * SYNTH_PI), amp = uni(r, 5, 25);
    int noise = 1 + (int)ramp_rng_below(r, 4); /* +-1..4 levels, the same on R, G, B */
    double colx[1024]; /* the ripple is separable: a column factor, a row factor */
    for (int x = 0; x < S; x++)
        colx[x] = amp * sin(fx * x + ph);
    for (int y = 0; y < S; y++) {
        double rowy = cos(fy * y + ph);
        for (int x = 0; x < S; x++) {
            double t = 0.5 + ((x - S / 2.0) * ca + (y - S / 2.0) * sa) / (S * 1.4142);
            double rip = colx[x] * rowy;
            int nz = (int)(ramp_rng_u64(r) % (uint64_t)(2 * noise + 1)) - noise;
            for (int k = 0; k < 3; k++) {
                double v = c0[k] + (c1[k] - c0[k]) * t + rip + nz;
                rgb[((size_t)y * S + x) * 3 + k] = clamp8(v);
            }
        }
    }
    /* 1-4 translucent discs and rectangles */
    int nd = 1 + (int)ramp_rng_below(r, 4);
    for (int d = 0; d < nd; d++) {
        int disc = (int)ramp_rng_below(r, 2);
        double cx = uni(r, 0, S), cy = uni(r, 0, S), hw = uni(r, 3, S / 8.0),
               hh = uni(r, 3, S / 8.0);
        double col[3] = {uni(r, 0, 255), uni(r, 0, 255), uni(r, 0, 255)}, al = uni(r, 0.2, 0.5);
        for (int y = (int)fmax(0, cy - hh); y < (int)fmin(S, cy + hh + 1); y++)
            for (int x = (int)fmax(0, cx - hw); x < (int)fmin(S, cx + hw + 1); x++) {
                double dx = (x + 0.5 - cx) / hw, dy = (y + 0.5 - cy) / hh;
                if (disc ? dx * dx + dy * dy > 1 : fabs(dx) > 1 || fabs(dy) > 1) continue;
                uint8_t *p = rgb + ((size_t)y * S + x) * 3;
                for (int k = 0; k < 3; k++)
                    p[k] = clamp8(p[k] * (1 - al) + col[k] * al);
            }
    }
}

/* Opacity of a 28x28 glyph scaled to d x d at (u, v): bilinear, edges
   clamped. */
static double glyph_at(const uint8_t *g, int d, int u, int v)
{
    double sx = (u + 0.5) * FM_SIDE / d - 0.5, sy = (v + 0.5) * FM_SIDE / d - 0.5;
    int x0 = (int)floor(sx), y0 = (int)floor(sy);
    double fx = sx - x0, fy = sy - y0;
    int xa = x0 < 0 ? 0 : x0, xb = x0 + 1 > FM_SIDE - 1 ? FM_SIDE - 1 : x0 + 1;
    int ya = y0 < 0 ? 0 : y0, yb = y0 + 1 > FM_SIDE - 1 ? FM_SIDE - 1 : y0 + 1;
    if (xa > FM_SIDE - 1) xa = FM_SIDE - 1;
    if (ya > FM_SIDE - 1) ya = FM_SIDE - 1;
    double top = g[ya * FM_SIDE + xa] * (1 - fx) + g[ya * FM_SIDE + xb] * fx;
    double bot = g[yb * FM_SIDE + xa] * (1 - fx) + g[yb * FM_SIDE + xb] * fx;
    return (top * (1 - fy) + bot * fy) / 255.0;
}

/* One objects image: rgb S*S*3, mask S*S, its items in *row. */
static void draw_objects(uint8_t *rgb, uint8_t *mask, synth_row *row, const synth_job *j, int s,
                         ramp_rng *r)
{
    int S = j->side;
    draw_canvas(rgb, S, r);
    memset(mask, 0, (size_t)S * S);
    int want = 1 + (int)ramp_rng_below(r, 4);
    int lo = S * 20 / 128, hi = S * 64 / 128;
    if (lo < 8) lo = 8;
    if (hi < lo) hi = lo;
    int sq[4][3]; /* placed squares: x, y, side */
    row->n = 0;
    for (int it = 0; it < want; it++) {
        size_t src = (size_t)ramp_rng_below(r, j->n_src[s]);
        const uint8_t *g = j->px[s] + src * FM_SIDE * FM_SIDE;
        int cls = j->lab[s][src];
        int d = lo + (int)ramp_rng_below(r, (uint64_t)(hi - lo + 1));
        if (d > S) d = S;
        int x = 0, y = 0, ok = 0;
        for (int tries = 0; tries < 20 && !ok; tries++) {
            x = (int)ramp_rng_below(r, (uint64_t)(S - d + 1));
            y = (int)ramp_rng_below(r, (uint64_t)(S - d + 1));
            ok = 1;
            for (int k = 0; k < row->n && ok; k++) {
                int ix = (int)fmin(x + d, sq[k][0] + sq[k][2]) - (int)fmax(x, sq[k][0]);
                int iy = (int)fmin(y + d, sq[k][1] + sq[k][2]) - (int)fmax(y, sq[k][1]);
                int small = d < sq[k][2] ? d : sq[k][2];
                if (ix > 0 && iy > 0 && (double)ix * iy > 0.3 * small * small) ok = 0;
            }
        }
        double mean = 0;
        for (int v = 0; v < d; v++)
            for (int u = 0; u < d; u++) {
                const uint8_t *p = rgb + ((size_t)(y + v) * S + x + u) * 3;
                mean += (p[0] + p[1] + p[2]) / 3.0;
            }
        mean /= (double)d * d;
        double col[3];
        for (int k = 0; k < 3; k++)
            col[k] = mean < 128 ? uni(r, 170, 255) : uni(r, 0, 85);
        if (!ok) continue;
        int bx0 = S, by0 = S, bx1 = -1, by1 = -1;
        for (int v = 0; v < d; v++)
            for (int u = 0; u < d; u++) {
                double a = glyph_at(g, d, u, v);
                if (a <= 0) continue;
                size_t at = (size_t)(y + v) * S + x + u;
                uint8_t *p = rgb + at * 3;
                double shade = 0.55 + 0.45 * a;
                for (int k = 0; k < 3; k++)
                    p[k] = clamp8(p[k] * (1 - a) + col[k] * shade * a);
                if (a >= 0.5) {
                    mask[at] = (uint8_t)(1 + cls);
                    if (x + u < bx0) bx0 = x + u;
                    if (x + u > bx1) bx1 = x + u;
                    if (y + v < by0) by0 = y + v;
                    if (y + v > by1) by1 = y + v;
                } else if (a >= 0.15) {
                    mask[at] = RAMP_IGNORE_LABEL;
                }
            }
        if (bx1 < 0) continue; /* a glyph too faint to have a solid pixel */
        sq[row->n][0] = x;
        sq[row->n][1] = y;
        sq[row->n][2] = d;
        ramp_obj *o = &row->o[row->n++];
        o->cls = cls;
        o->conf = 1;
        o->g[0] = (float)bx0;
        o->g[1] = (float)by0;
        o->g[2] = (float)(bx1 + 1);
        o->g[3] = (float)(by1 + 1);
    }
}

/* ---- circles ------------------------------------------------------------ */

/* One circles image: gray S*S, its craters in *row (centres and radii
   rounded to 1/100 px, the values written to the CSV, before drawing). */
static void draw_circles(uint8_t *gray, synth_row *row, int S, ramp_rng *r)
{
    double *h = malloc((size_t)S * S * sizeof *h); /* S <= 1024: checked by the caller */
    if (!h) {
        memset(gray, 128, (size_t)S * S);
        row->n = 0;
        return;
    }
    double base = uni(r, 90, 160);
    double wf[4][4];
    for (int k = 0; k < 4; k++) {
        wf[k][0] = uni(r, 0.5, 4) * 2 * SYNTH_PI / S;
        wf[k][1] = uni(r, 0, 2 * SYNTH_PI);
        wf[k][2] = uni(r, 3, 14);
        wf[k][3] = uni(r, 0, SYNTH_PI);
    }
    int noise = 3 + (int)ramp_rng_below(r, 6); /* +-3..8 levels */
    /* sin(a x + b y + p) = sin(a x) cos(b y + p) + cos(a x) sin(b y + p):
       per-column and per-row factors */
    double *sx = malloc((size_t)S * 8 * sizeof *sx);
    if (!sx) {
        free(h);
        memset(gray, 128, (size_t)S * S);
        row->n = 0;
        return;
    }
    for (int k = 0; k < 4; k++)
        for (int x = 0; x < S; x++) {
            sx[(size_t)(2 * k) * S + x] = wf[k][2] * sin(wf[k][0] * cos(wf[k][3]) * x);
            sx[(size_t)(2 * k + 1) * S + x] = wf[k][2] * cos(wf[k][0] * cos(wf[k][3]) * x);
        }
    for (int y = 0; y < S; y++) {
        double cy[4], sy[4];
        for (int k = 0; k < 4; k++) {
            cy[k] = cos(wf[k][0] * sin(wf[k][3]) * y + wf[k][1]);
            sy[k] = sin(wf[k][0] * sin(wf[k][3]) * y + wf[k][1]);
        }
        for (int x = 0; x < S; x++) {
            double v = base;
            for (int k = 0; k < 4; k++)
                v += sx[(size_t)(2 * k) * S + x] * cy[k] + sx[(size_t)(2 * k + 1) * S + x] * sy[k];
            int nz = (int)(ramp_rng_u64(r) % (uint64_t)(2 * noise + 1)) - noise;
            h[(size_t)y * S + x] = v + nz;
        }
    }
    free(sx);
    int n = (int)ramp_rng_below(r, 7);
    double rlo = S * 4.0 / 128, rhi = S * 24.0 / 128;
    const double lx = -0.7071, ly = -0.7071; /* light from the top left */
    row->n = n;
    for (int c = 0; c < n; c++) {
        double cx = round(uni(r, 0, S) * 100) / 100, cy = round(uni(r, 0, S) * 100) / 100;
        /* small craters are more common, as on a real surface */
        double u = ramp_rng_uniform(r);
        double rad = round((rlo + (rhi - rlo) * u * u) * 100) / 100;
        double depth = uni(r, 35, 65);
        ramp_obj *o = &row->o[c];
        o->cls = 0;
        o->conf = 1;
        o->g[0] = (float)cx;
        o->g[1] = (float)cy;
        o->g[2] = (float)rad;
        o->g[3] = 0;
        int x0 = (int)fmax(0, floor(cx - 1.4 * rad)), x1 = (int)fmin(S - 1, ceil(cx + 1.4 * rad));
        int y0 = (int)fmax(0, floor(cy - 1.4 * rad)), y1 = (int)fmin(S - 1, ceil(cy + 1.4 * rad));
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++) {
                double dx = x + 0.5 - cx, dy = y + 0.5 - cy, d = sqrt(dx * dx + dy * dy);
                double q = d / rad;
                double facing = d > 0 ? -(dx * lx + dy * ly) / d : 0; /* +1: wall faces the light */
                double dv = 0;
                if (q < 1)
                    dv = depth * (0.9 * facing * q - 0.25);
                else if (q < 1.35)
                    dv = depth * 0.6 * (1 - fabs(q - 1.1) / 0.25) * (0.6 - 0.4 * facing);
                h[(size_t)y * S + x] += dv;
            }
    }
    for (size_t i = 0; i < (size_t)S * S; i++)
        gray[i] = clamp8(h[i]);
    free(h);
}

/* ---- the builder ---------------------------------------------------------- */

/* PNG at zlib level 1: the default level takes three times as long on the
   canvases' noise for a tenth fewer bytes. */
static ramp_status encode_write(const char *path, const uint8_t *px, int S, int ch, uint64_t *bytes,
                                ramp_err *err)
{
    uint8_t *enc = NULL;
    size_t len = 0;
    ramp_status st =
        ramp_img_encode(&enc, &len, RAMP_FMT_PNG, px, S, S, ch, (size_t)S * (size_t)ch, 1, err);
    if (st) return st;
    st = ramp__write_all(path, enc, len, err);
    free(enc);
    *bytes += len;
    return st;
}

static void *synth_worker(void *arg)
{
    synth_job *j = arg;
    int S = j->side;
    size_t total = j->n[0] + j->n[1];
    uint8_t *img = malloc((size_t)S * S * 3), *mask = malloc((size_t)S * S);
    char path[4200];
    if (!img || !mask) {
        j->st = ramp__err_set(&j->err, RAMP_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t rr = (size_t)j->tid; rr < total && !*j->stop; rr += (size_t)j->n_threads) {
        int s = rr >= j->n[0];
        size_t i = s ? rr - j->n[0] : rr;
        ramp_rng r;
        ramp_rng_seed(&r, j->o->seed, ramp_rng_key((uint64_t)s, (uint64_t)i));
        const char *pre = s ? "test" : "train";
        synth_row *row = &j->rows[s][i];
        if (j->circles) {
            draw_circles(img, row, S, &r);
            snprintf(path, sizeof path, "%s/%s_%05zu.png", j->imgs_dir, pre, i);
            if ((j->st = encode_write(path, img, S, 1, &j->bytes, &j->err))) break;
        } else {
            draw_objects(img, mask, row, j, s, &r);
            snprintf(path, sizeof path, "%s/%s_%05zu.png", j->imgs_dir, pre, i);
            if ((j->st = encode_write(path, img, S, 3, &j->bytes, &j->err))) break;
            snprintf(path, sizeof path, "%s/%s_%05zu.png", j->masks_dir, pre, i);
            if ((j->st = encode_write(path, mask, S, 1, &j->bytes, &j->err))) break;
        }
    }
done:
    if (j->st) *j->stop = 1;
    free(img);
    free(mask);
    return NULL;
}

/* The CSVs of one split: the objects (boxes or circles) and, for objects,
   the segmentation id list. */
static ramp_status write_csvs(const char *data, int s, const synth_row *rows, size_t n, int circles,
                              size_t *n_objs, ramp_err *err)
{
    const char *pre = s ? "test" : "train";
    size_t cap = 64 + n * (MAX_ITEMS + 1) * 64;
    char *b = malloc(cap), *ids = malloc(16 + n * 24);
    char path[4200];
    ramp_status st = RAMP_OK;
    if (!b || !ids) {
        st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
        goto done;
    }
    size_t len = (size_t)snprintf(b, cap, circles ? "id,x,y,r\n" : "id,class,x0,y0,x1,y1\n");
    size_t il = (size_t)snprintf(ids, 16, "id\n");
    for (size_t i = 0; i < n; i++) {
        const synth_row *row = &rows[i];
        il += (size_t)snprintf(ids + il, 24, "%s_%05zu.png\n", pre, i);
        if (row->n == 0)
            len += (size_t)snprintf(b + len, cap - len,
                                    circles ? "%s_%05zu.png,,,\n" : "%s_%05zu.png,,,,,\n", pre, i);
        for (int k = 0; k < row->n; k++) {
            const float *g = row->o[k].g;
            if (circles)
                len += (size_t)snprintf(b + len, cap - len, "%s_%05zu.png,%.2f,%.2f,%.2f\n", pre, i,
                                        (double)g[0], (double)g[1], (double)g[2]);
            else
                len += (size_t)snprintf(b + len, cap - len, "%s_%05zu.png,%d,%d,%d,%d,%d\n", pre, i,
                                        (int)row->o[k].cls, (int)g[0], (int)g[1], (int)g[2],
                                        (int)g[3]);
        }
        *n_objs += (size_t)row->n;
    }
    snprintf(path, sizeof path, "%s/%s.csv", data, pre);
    if ((st = ramp__write_all(path, b, len, err))) goto done;
    if (!circles) {
        snprintf(path, sizeof path, "%s/seg_%s.csv", data, pre);
        st = ramp__write_all(path, ids, il, err);
    }
done:
    free(b);
    free(ids);
    return st;
}

static ramp_status build(ramp_synth_stats *stats, const ramp_synth_opts *o, int circles,
                         ramp_err *err)
{
    ramp__err_clear(err);
    if (stats) memset(stats, 0, sizeof *stats);
    const char *what = circles ? "circles" : "objects";
    if (!o || !o->out_dir || !*o->out_dir)
        return ramp__err_set(err, RAMP_EINVAL, "%s: no output folder", what);
    int S = o->size > 0 ? o->size : 128;
    if (S < 32 || S > 1024)
        return ramp__err_set(err, RAMP_EINVAL, "%s: size %d not in [32, 1024]", what, S);
    size_t n[2] = {o->n_train >= 0 ? (size_t)o->n_train
                   : circles       ? 2000u
                                   : 3000u,
                   o->n_test >= 0 ? (size_t)o->n_test
                   : circles      ? 600u
                                  : 1000u};
    if (n[0] > 99999 || n[1] > 99999)
        return ramp__err_set(err, RAMP_EINVAL, "%s: at most 99999 images a split", what);
    ramp_status st = RAMP_OK;
    uint8_t *src[4] = {0};
    uint32_t count[4] = {0};
    synth_row *rows[2] = {0};
    char *data = NULL, *imgs = NULL, *masks = NULL;
    if (!(data = ramp__path_join(o->out_dir, "data")) || !(imgs = ramp__path_join(data, "imgs")) ||
        !(masks = ramp__path_join(data, "masks"))) {
        st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
        goto done;
    }
    int ne = ramp__dir_non_empty(data);
    if (ne < 0) {
        st = ramp__err_set(err, RAMP_EIO, "%s: exists and is not a folder", data);
        goto done;
    }
    if (ne > 0 && !o->force) {
        st = ramp__err_set(err, RAMP_EINVAL, "%s: exists and is not empty (use --force)", data);
        goto done;
    }
    if (!circles) {
        const char *dir = o->source_dir ? o->source_dir : RAMP__FMNIST_DIR;
        static const char *const files[4] = {
            "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz"};
        for (int i = 0; i < 4; i++) {
            char *p = ramp__path_join(dir, files[i]);
            if (!p) {
                st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
                goto done;
            }
            st = ramp__idx_read(p, i % 2 ? 0x801 : 0x803, 0, &src[i], &count[i], err);
            free(p);
            if (st) goto done;
        }
        for (int s = 0; s < 2; s++) {
            if (count[2 * s] != count[2 * s + 1] || count[2 * s] == 0) {
                st = ramp__err_set(err, RAMP_EFORMAT, "%s: %s has %u images but %s has %u labels",
                                   dir, files[2 * s], count[2 * s], files[2 * s + 1],
                                   count[2 * s + 1]);
                goto done;
            }
            for (uint32_t i = 0; i < count[2 * s + 1]; i++)
                if (src[2 * s + 1][i] > 9) {
                    st = ramp__err_set(err, RAMP_EFORMAT,
                                       "%s/%s: label %u of item %u is not in [0, 10)", dir,
                                       files[2 * s + 1], src[2 * s + 1][i], i);
                    goto done;
                }
        }
    }
    for (int s = 0; s < 2; s++)
        if (!(rows[s] = calloc(n[s] + 1, sizeof *rows[s]))) {
            st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
            goto done;
        }
    if ((st = ramp__make_dir(imgs, err)) || (!circles && (st = ramp__make_dir(masks, err))))
        goto done;

    int T = o->n_threads > 0 ? o->n_threads : 2;
    if (T > 64) T = 64;
    synth_job jobs[64];
    pthread_t th[64];
    atomic_int stop = 0;
    int started = 1;
    for (int t = 0; t < T; t++) {
        jobs[t] = (synth_job){.o = o,
                              .circles = circles,
                              .side = S,
                              .n = {n[0], n[1]},
                              .px = {src[0], src[2]},
                              .lab = {src[1], src[3]},
                              .n_src = {count[0], count[2]},
                              .rows = {rows[0], rows[1]},
                              .imgs_dir = imgs,
                              .masks_dir = masks,
                              .tid = t,
                              .n_threads = T,
                              .stop = &stop};
    }
    for (int t = 1; t < T; t++) {
        if (pthread_create(&th[t], NULL, synth_worker, &jobs[t]) != 0) break;
        started = t + 1;
    }
    if (started < T) { /* fewer threads: the rows of those not started go to thread 0's loop */
        stop = 1;
        for (int t = 1; t < started; t++)
            pthread_join(th[t], NULL);
        stop = 0;
        started = 1;
        jobs[0].n_threads = 1;
        jobs[0].bytes = 0;
    }
    synth_worker(&jobs[0]);
    for (int t = 1; t < started; t++)
        pthread_join(th[t], NULL);
    uint64_t bytes = 0;
    for (int t = 0; t < started; t++) {
        if (jobs[t].st && !st) {
            st = jobs[t].st;
            if (err) *err = jobs[t].err;
        }
        bytes += jobs[t].bytes;
    }
    if (st) goto done;
    size_t n_objs = 0;
    for (int s = 0; s < 2; s++)
        if ((st = write_csvs(data, s, rows[s], n[s], circles, &n_objs, err))) goto done;
    {
        char codes[512], path[4200];
        size_t len = (size_t)snprintf(codes, sizeof codes, "class,name\n");
        if (circles) {
            len += (size_t)snprintf(codes + len, sizeof codes - len, "0,crater\n");
        } else {
            for (int c = 0; c < 10; c++)
                len += (size_t)snprintf(codes + len, sizeof codes - len, "%d,%s\n", c, fm_names[c]);
        }
        snprintf(path, sizeof path, "%s/class_codes.csv", data);
        if ((st = ramp__write_all(path, codes, len, err))) goto done;
        if (!circles) {
            len = (size_t)snprintf(codes, sizeof codes, "class,name\n0,background\n");
            for (int c = 0; c < 10; c++)
                len += (size_t)snprintf(codes + len, sizeof codes - len, "%d,%s\n", c + 1,
                                        fm_names[c]);
            snprintf(path, sizeof path, "%s/seg_class_codes.csv", data);
            if ((st = ramp__write_all(path, codes, len, err))) goto done;
        }
    }
    { /* the kit's problem file, unless OUT has one */
        char *ini = ramp__path_join(o->out_dir, "problem.ini");
        if (!ini) {
            st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
            goto done;
        }
        struct stat sb;
        int wrote = 0;
        if (stat(ini, &sb) != 0) {
            const char *text = circles           ? circles_ini
                               : o->segmentation ? objects_seg_ini
                                                 : objects_det_ini;
            st = ramp__write_all(ini, text, strlen(text), err);
            wrote = 1;
        }
        free(ini);
        if (st) goto done;
        if (stats) stats->wrote_problem = wrote;
    }
    if (stats) {
        stats->n_train = n[0];
        stats->n_test = n[1];
        stats->n_objects = n_objs;
        stats->bytes = bytes;
    }
done:
    for (int i = 0; i < 4; i++)
        free(src[i]);
    free(rows[0]);
    free(rows[1]);
    free(data);
    free(imgs);
    free(masks);
    return st;
}

ramp_status ramp_kit_build_objects(ramp_synth_stats *stats, const ramp_synth_opts *o, ramp_err *err)
{
    return build(stats, o, 0, err);
}

ramp_status ramp_kit_build_circles(ramp_synth_stats *stats, const ramp_synth_opts *o, ramp_err *err)
{
    return build(stats, o, 1, err);
}
