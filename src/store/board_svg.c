/* board_svg.c — the SVG plots: the official score against submission time,
 * and a submission's learning curves read from its log. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "store/storeInt.h"

/* An SVG line/point plot: x, y in data units, w × h pixels. */
static void svg_axes(ramp__buf *out, int w, int h, const char *xlab, const char *ylab, double y0,
                     double y1)
{
    ramp__buf_printf(out,
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                     "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">"
                     "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>"
                     "<line x1=\"50\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>"
                     "<line x1=\"50\" y1=\"10\" x2=\"50\" y2=\"%d\" stroke=\"#444\"/>"
                     "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>"
                     "<text x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\" "
                     "text-anchor=\"middle\">%s</text>"
                     "<text x=\"46\" y=\"14\" text-anchor=\"end\">%.4g</text>"
                     "<text x=\"46\" y=\"%d\" text-anchor=\"end\">%.4g</text>",
                     w, h, w, h, w, h, h - 30, w - 10, h - 30, h - 30, (w + 40) / 2, h - 8, xlab,
                     (h - 30) / 2, (h - 30) / 2, ylab, y1, h - 32, y0);
}

void ramp__board_svg(const ramp__board *b, ramp__buf *out)
{
    const int w = 640, h = 320;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int i = 0; i < b->n_rows; i++) {
        const ramp__board_row *r = &b->rows[i];
        if (!isfinite(r->scores[0])) continue;
        x0 = fmin(x0, r->submitted_at), x1 = fmax(x1, r->submitted_at);
        y0 = fmin(y0, r->scores[0]), y1 = fmax(y1, r->scores[0]);
    }
    if (!(x0 <= x1)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    if (x1 - x0 < 1) x1 = x0 + 1;
    if (y1 - y0 < 1e-9) y0 -= 0.5, y1 += 0.5;
    char ylab[96];
    snprintf(ylab, sizeof ylab, "%s (%s)", b->n_scores ? b->score_names[0] : "score",
             ramp__view_split(b->view));
    svg_axes(out, w, h, "submitted at (seconds since the first)", ylab, y0, y1);
    for (int i = 0; i < b->n_rows; i++) {
        const ramp__board_row *r = &b->rows[i];
        if (!isfinite(r->scores[0])) continue;
        double px = 50 + (r->submitted_at - x0) / (x1 - x0) * (w - 70);
        double py = (h - 30) - (r->scores[0] - y0) / (y1 - y0) * (h - 50);
        ramp__buf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#36c\"><title>",
                         px, py);
        ramp__buf_html(out, r->team);
        ramp__buf_puts(out, " / ");
        ramp__buf_html(out, r->name);
        ramp__buf_printf(out, ": %.4f</title></circle>", r->scores[0]);
    }
    ramp__buf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f s</text></svg>\n",
                     w - 10, h - 16, x1 - x0);
}

/* Learning curves: the log's "fold K epoch E[/N]: ... loss X" lines. */
void ramp__learning_curve_svg(const char *log, ramp__buf *out)
{
    enum { MAXP = 512 };
    double fx[MAXP], fy[MAXP];
    int ff[MAXP], n = 0;
    for (const char *p = log; p && *p && n < MAXP;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(len < 511 ? len : 511), p);
        int fold, ep;
        const char *lp = strstr(line, " loss ");
        const char *fp = strstr(line, "fold ");
        if (lp && fp && sscanf(fp, "fold %d epoch %d", &fold, &ep) == 2) {
            fx[n] = ep, fy[n] = strtod(lp + 6, NULL), ff[n] = fold;
            n++;
        }
        p = nl ? nl + 1 : p + len;
    }
    if (!n) {
        ramp__buf_puts(out, "<p>No learning curve: the classifier reported no loss.</p>\n");
        return;
    }
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int i = 0; i < n; i++) {
        x0 = fmin(x0, fx[i]), x1 = fmax(x1, fx[i]);
        if (isfinite(fy[i])) y0 = fmin(y0, fy[i]), y1 = fmax(y1, fy[i]);
    }
    if (x1 - x0 < 1) x1 = x0 + 1;
    if (!(y1 - y0 > 1e-9)) y0 = isfinite(y0) ? y0 - 0.5 : 0, y1 = y0 + 1;
    const int w = 480, h = 260;
    svg_axes(out, w, h, "epoch", "training loss", y0, y1);
    static const char *col[] = {"#36c", "#c63", "#393", "#939", "#999"};
    for (int f = 0; f < 16; f++) {
        int any = 0;
        for (int i = 0; i < n; i++) {
            if (ff[i] != f || !isfinite(fy[i])) continue;
            double px = 50 + (fx[i] - x0) / (x1 - x0) * (w - 70);
            double py = (h - 30) - (fy[i] - y0) / (y1 - y0) * (h - 50);
            if (!any) ramp__buf_printf(out, "<polyline fill=\"none\" stroke=\"%s\" points=\"", col[f % 5]);
            ramp__buf_printf(out, "%.1f,%.1f ", px, py);
            any = 1;
        }
        if (any) ramp__buf_puts(out, "\"/>");
    }
    ramp__buf_puts(out, "</svg>\n");
}
