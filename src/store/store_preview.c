/* store_preview.c — a few test images of a detection or segmentation
 * submission with its bag's predictions, for its page.
 *
 * Design. The worker (trusted side, cmd_worker.c) picks the first test rows
 * of test.csv, reads their bytes from the kit's image folder and hands them
 * with the bag's objects (confidence at least RAMP__PREVIEW_MIN_CONF, at
 * most RAMP__PREVIEW_MAX_OBJECTS, as text) or class map (an 8-bit gray PNG)
 * and its colour overlay (an RGBA PNG) to ramp__store_finish, which stores
 * them in the same transaction as the scores: table preview, the image's
 * bytes in the content-addressed blob table. The server then serves a
 * preview's image by (submission id, position) from the store, never a
 * path, and the page draws each image in an inline SVG: the image, then
 * the objects as rect or circle elements (data-class, data-conf carry the
 * numbers as stored) with their class name and confidence, or the overlay
 * as a second image. No script: the page keeps its Content-Security-Policy.
 * Who may see a preview is the server's rule (server.c), not this file's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/coreInt.h"
#include "store/storeInt.h"

/* Ten well separated colours; class k takes k mod 10. */
static const uint8_t palette[10][3] = {
    {230, 25, 75},  {60, 180, 75},  {255, 225, 25}, {0, 130, 200},  {245, 130, 48},
    {145, 30, 180}, {70, 240, 240}, {240, 50, 230}, {210, 245, 60}, {250, 190, 190},
};

void ramp__preview_colour(int k, uint8_t rgba[4])
{
    if (k < 0 || k >= 255) {
        memset(rgba, 0, 4);
        return;
    }
    memcpy(rgba, palette[k % 10], 3);
    rgba[3] = 128;
}

ramp_status ramp__preview_insert(ramp__store *s, int64_t id, const ramp__preview *p, size_t n)
{
    ramp_status st = RAMP_OK;
    for (size_t i = 0; i < n && i < RAMP__PREVIEW_N; i++) {
        if (!p[i].bytes || !p[i].len || p[i].len > RAMP__PREVIEW_MAX_IMAGE || !p[i].name ||
            !p[i].type || p[i].width <= 0 || p[i].height <= 0)
            return ramp__store_fail(s, RAMP_EINVAL, "preview %zu of submission %lld: no image", i,
                                    (long long)id);
        char hash[65];
        ramp__sha256_hex(hash, p[i].bytes, p[i].len);
        if ((st = Q("INSERT INTO blob (hash, size, data) VALUES (?, ?, ?) ON CONFLICT (hash) DO"
                    " NOTHING",
                    RAMP__TEXT(hash), RAMP__INT(p[i].len), RAMP__BLOB(p[i].bytes, p[i].len))))
            return st;
        ramp__val mask = p[i].mask ? RAMP__BLOB(p[i].mask, p[i].mask_len) : RAMP__TEXT(NULL);
        ramp__val ov = p[i].overlay ? RAMP__BLOB(p[i].overlay, p[i].overlay_len) : RAMP__TEXT(NULL);
        if ((st = Q("INSERT INTO preview (submission_id, pos, name, width, height, type, hash,"
                    " geometry, dets, mask, overlay, classes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                    " ?, ?)",
                    RAMP__INT(id), RAMP__INT(i), RAMP__TEXT(p[i].name), RAMP__INT(p[i].width),
                    RAMP__INT(p[i].height), RAMP__TEXT(p[i].type), RAMP__TEXT(hash),
                    RAMP__INT(p[i].geometry), RAMP__TEXT(p[i].dets), mask, ov,
                    RAMP__TEXT(p[i].classes ? p[i].classes : ""))))
            return st;
    }
    return RAMP_OK;
}

ramp_status ramp__sub_team(ramp__store *s, int64_t id, int64_t *team_id)
{
    ramp__rows r;
    ramp_status st = QR(&r, "SELECT team_id FROM submission WHERE id = ?", RAMP__INT(id));
    if (st) return st;
    if (!r.n_rows)
        st = ramp__store_fail(s, RAMP_ENOENT, "no submission %lld", (long long)id);
    else
        *team_id = ramp__rows_int(&r, 0, 0);
    ramp__rows_clear(&r);
    return st;
}

ramp_status ramp__preview_file(ramp__store *s, int64_t id, int pos, int overlay, char **type,
                               uint8_t **bytes, size_t *len)
{
    *type = NULL;
    *bytes = NULL;
    *len = 0;
    ramp__rows r;
    ramp_status st = overlay
                         ? QR(&r,
                              "SELECT 'image/png', overlay FROM preview WHERE submission_id = ? AND"
                              " pos = ? AND overlay IS NOT NULL",
                              RAMP__INT(id), RAMP__INT(pos))
                         : QR(&r,
                              "SELECT p.type, b.data FROM preview p JOIN blob b ON b.hash = p.hash"
                              " WHERE p.submission_id = ? AND p.pos = ?",
                              RAMP__INT(id), RAMP__INT(pos));
    if (st) return st;
    if (!r.n_rows || !ramp__rows_text(&r, 0, 1)) {
        st = ramp__store_fail(s, RAMP_ENOENT, "no preview %d of submission %lld", pos,
                              (long long)id);
        goto done;
    }
    /* the cells are owned by r: take them */
    *type = r.cell[0];
    *bytes = (uint8_t *)r.cell[1];
    *len = r.len[1];
    r.cell[0] = r.cell[1] = NULL;
done:
    ramp__rows_clear(&r);
    return st;
}

/* The name of class k: line k of classes, else its number. */
static void class_name(char *out, size_t n, const char *classes, int k)
{
    const char *p = classes;
    for (int i = 0; p && i < k; i++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    if (p && *p && *p != '\n' && k >= 0) {
        size_t l = strcspn(p, "\n");
        snprintf(out, n, "%.*s", (int)(l < n - 1 ? l : n - 1), p);
    } else {
        snprintf(out, n, "%d", k);
    }
}

static void colour_hex(char *out, int k)
{
    uint8_t c[4];
    ramp__preview_colour(k, c);
    snprintf(out, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* The objects of one image (lines "class conf g0 g1 g2 g3") as SVG. */
static void dets_svg(ramp__buf *out, const char *dets, int circle, const char *classes, double lw)
{
    for (const char *p = dets; p && *p;) {
        int k;
        double c, g[4];
        int got = sscanf(p, "%d %lf %lf %lf %lf %lf", &k, &c, &g[0], &g[1], &g[2], &g[3]);
        p = strchr(p, '\n');
        if (p) p++;
        if (got != 6 || !isfinite(c) || !isfinite(g[0]) || !isfinite(g[1]) || !isfinite(g[2]) ||
            !isfinite(g[3]))
            continue;
        char col[8], name[128];
        colour_hex(col, k);
        class_name(name, sizeof name, classes, k);
        double tx, ty;
        if (circle) {
            ramp__buf_printf(
                out,
                "<circle class=\"det\" data-class=\"%d\" data-conf=\"%.9g\" cx=\"%.9g\""
                " cy=\"%.9g\" r=\"%.9g\" fill=\"none\" stroke=\"%s\""
                " stroke-width=\"%.3g\"/>",
                k, c, g[0], g[1], g[2], col, lw);
            tx = g[0] - g[2];
            ty = g[1] - g[2];
        } else {
            ramp__buf_printf(
                out,
                "<rect class=\"det\" data-class=\"%d\" data-conf=\"%.9g\" x=\"%.9g\""
                " y=\"%.9g\" width=\"%.9g\" height=\"%.9g\" fill=\"none\" stroke=\"%s\""
                " stroke-width=\"%.3g\"/>",
                k, c, g[0], g[1], g[2] - g[0], g[3] - g[1], col, lw);
            tx = g[0];
            ty = g[1];
        }
        /* above the shape, or inside its top when that would leave the image */
        ty = ty - lw < 5 * lw ? ty + 6 * lw : ty - lw;
        ramp__buf_printf(out, "<text x=\"%.9g\" y=\"%.9g\" fill=\"%s\" font-size=\"%.3g\">",
                         tx < 0 ? 0 : tx, ty, col, 6 * lw);
        ramp__buf_html(out, name);
        ramp__buf_printf(out, " %.2f</text>\n", c);
    }
}

ramp_status ramp__preview_html(ramp__store *s, int64_t id, ramp__buf *out)
{
    ramp__rows r;
    ramp_status st = QR(&r,
                        "SELECT pos, name, width, height, geometry, dets, overlay IS NOT NULL,"
                        " classes FROM preview WHERE submission_id = ? ORDER BY pos",
                        RAMP__INT(id));
    if (st) return st;
    if (!r.n_rows) goto done;
    ramp__buf_puts(out, "<h2>Predictions on test images</h2>\n<div id=\"preview\">\n");
    int seg = 0;
    const char *classes = ramp__rows_text(&r, 0, 7);
    for (int i = 0; i < r.n_rows; i++) {
        int pos = (int)ramp__rows_int(&r, i, 0);
        int w = (int)ramp__rows_int(&r, i, 2), h = (int)ramp__rows_int(&r, i, 3);
        int geom = (int)ramp__rows_int(&r, i, 4);
        int has_ov = (int)ramp__rows_int(&r, i, 6);
        /* drawn at least 192 pixels wide; lines and text scale with the image */
        double scale = w < 192 ? 192.0 / w : 1.0;
        double lw = fmax(1.0, (double)(w > h ? w : h) / 200.0);
        ramp__buf_printf(out,
                         "<figure class=\"pv\"><svg xmlns=\"http://www.w3.org/2000/svg\""
                         " id=\"pv-%d\" viewBox=\"0 0 %d %d\" width=\"%.0f\" height=\"%.0f\">"
                         "<image href=\"/submission/%lld/preview/%d/image\" x=\"0\" y=\"0\""
                         " width=\"%d\" height=\"%d\"/>\n",
                         pos, w, h, w * scale, h * scale, (long long)id, pos, w, h);
        if (geom < 0 && has_ov) {
            seg = 1;
            ramp__buf_printf(out,
                             "<image class=\"mask\" href=\"/submission/%lld/preview/%d/"
                             "overlay.png\" x=\"0\" y=\"0\" width=\"%d\" height=\"%d\"/>\n",
                             (long long)id, pos, w, h);
        } else if (geom >= 0) {
            dets_svg(out, ramp__rows_text(&r, i, 5), geom == 1, ramp__rows_text(&r, i, 7), lw);
        }
        ramp__buf_puts(out, "</svg><figcaption>");
        ramp__buf_html(out, ramp__rows_text(&r, i, 1));
        ramp__buf_puts(out, "</figcaption></figure>\n");
    }
    ramp__buf_puts(out, "</div>\n");
    if (seg && classes) { /* a legend of the overlay's colours */
        ramp__buf_puts(out, "<p id=\"legend\">");
        int k = 0;
        for (const char *p = classes; *p && k < 255; k++) {
            char col[8], name[128];
            colour_hex(col, k);
            class_name(name, sizeof name, classes, k);
            if (!strcasecmp(name, "background")) { /* not drawn (cmd_worker.c) */
                p = strchr(p, '\n');
                if (!p) break;
                p++;
                continue;
            }
            ramp__buf_printf(out,
                             "<svg width=\"12\" height=\"12\"><rect width=\"12\" height=\"12\""
                             " fill=\"%s\"/></svg> ",
                             col);
            ramp__buf_html(out, name);
            ramp__buf_puts(out, " &nbsp; ");
            p = strchr(p, '\n');
            if (!p) break;
            p++;
        }
        ramp__buf_puts(out, "</p>\n");
    }
    ramp__buf_puts(out, "<p>The bag's predictions");
    if (!seg)
        ramp__buf_printf(out, " with confidence at least %.1f (at most %d an image)",
                         RAMP__PREVIEW_MIN_CONF, RAMP__PREVIEW_MAX_OBJECTS);
    ramp__buf_puts(out, ".</p>\n");
done:
    ramp__rows_clear(&r);
    return st;
}
