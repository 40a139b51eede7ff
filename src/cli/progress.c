/* progress.c — `ramp test`'s training display, as Keras's fit draws it:
 * a bar per step with its time per step and images per second, a line per
 * epoch with the training and validation figures, and where the fold and
 * the run stand (fold K/N, their ETA).
 *
 * Every figure comes from the child's report (ramp_progress: the epoch's
 * seconds since the previous epoch ended, the images served in it), so an
 * epoch's time counts the waits for data and the epochs add up to the fit.
 * Nothing is shown before it is known: no rate before the first step, no
 * fold ETA without the number of epochs, no run ETA without the number of
 * folds. The clock (`now`) is the caller's, so a test can drive the display
 * with a fake one. On a terminal the bar is redrawn in place; otherwise a
 * plain line comes at each epoch's end and at least every `plain_every`
 * seconds. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cliInt.h"
#include "core/coreInt.h"

void ramp__bar_init(ramp__bar *b, int tty, double now)
{
    memset(b, 0, sizeof *b);
    b->tty = tty;
    b->plain_every = 10;
    b->fold = 0;
    b->fold_t0 = b->last_line = now;
}

void ramp__bar_fold_start(ramp__bar *b, int fold, int n_folds, double now)
{
    if (b->fold >= 0 && b->started) { /* a CV fold ended: its time estimates the next */
        b->folds_s += now - b->fold_t0;
        b->folds_done++;
    }
    b->fold = fold;
    b->n_folds = n_folds;
    b->fold_t0 = b->last_line = now;
    b->started = 1;
}

/* A duration: "0.4s", "12s", "2:05", "1:02:05". */
static void dur(char *out, size_t len, double s)
{
    if (!(s >= 0)) s = 0;
    if (s < 9.95)
        snprintf(out, len, "%.1fs", s);
    else if (s < 59.5)
        snprintf(out, len, "%.0fs", s);
    else {
        long t = (long)(s + 0.5);
        if (t < 3600)
            snprintf(out, len, "%ld:%02ld", t / 60, t % 60);
        else
            snprintf(out, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    }
}

/* Appends to out (len bytes) at *at. */
static void put(char *out, size_t len, size_t *at, const char *fmt, ...) RAMP__PRINTF(4, 5);
static void put(char *out, size_t len, size_t *at, const char *fmt, ...)
{
    if (*at >= len) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(out + *at, len - *at, fmt, ap);
    va_end(ap);
    if (k > 0) *at = *at + (size_t)k < len ? *at + (size_t)k : len - 1;
}

size_t ramp__bar_line(const ramp__bar *b, const ramp_progress *p, double now, char *out,
                      size_t len)
{
    size_t at = 0;
    char t[32];
    out[0] = '\0';
    int end = p->batch >= p->n_batches;
    if (b->fold < 0)
        put(out, len, &at, "retrain ");
    else if (b->n_folds > 0)
        put(out, len, &at, "fold %d/%d ", b->fold + 1, b->n_folds);
    else
        put(out, len, &at, "fold %d ", b->fold + 1);
    if (p->n_epochs > 0)
        put(out, len, &at, "epoch %d/%d ", p->epoch + 1, p->n_epochs);
    else
        put(out, len, &at, "epoch %d ", p->epoch + 1);
    char bar[21];
    int fill = p->n_batches ? (int)(20 * p->batch / p->n_batches) : 0;
    for (int i = 0; i < 20; i++) bar[i] = i < fill ? '#' : '.';
    bar[20] = '\0';
    put(out, len, &at, "%zu/%zu [%s]", p->batch, p->n_batches, bar);
    /* after the bar, as Keras: the epoch's ETA, or its time once it ended;
       then its rates, once a step is done */
    double step = p->batch && p->epoch_seconds > 0 ? p->epoch_seconds / (double)p->batch : -1;
    if (end) {
        dur(t, sizeof t, p->epoch_seconds);
        put(out, len, &at, " %s", t);
    } else if (step > 0) {
        dur(t, sizeof t, step * (double)(p->n_batches - p->batch));
        put(out, len, &at, " ETA %s", t);
    }
    if (step > 0) {
        if (step >= 1)
            put(out, len, &at, " %.2fs/step", step);
        else if (step >= 1e-3)
            put(out, len, &at, " %.0fms/step", step * 1e3);
        else
            put(out, len, &at, " %.0fus/step", step * 1e6);
        if (p->images) put(out, len, &at, " %.0f img/s", (double)p->images / p->epoch_seconds);
    }
    if (isfinite(p->loss) && p->loss >= 0) put(out, len, &at, " loss %.4f", p->loss);
    if (isfinite(p->accuracy) && p->accuracy >= 0) put(out, len, &at, " acc %.4f", p->accuracy);
    if (isfinite(p->val_loss) && p->val_loss >= 0) put(out, len, &at, " val_loss %.4f", p->val_loss);
    if (isfinite(p->val_accuracy) && p->val_accuracy >= 0)
        put(out, len, &at, " val_acc %.4f", p->val_accuracy);
    /* the fold's training and the run: the fraction of epochs done so far */
    double frac = p->n_epochs > 0 && p->n_batches
                      ? ((double)p->epoch + (double)p->batch / (double)p->n_batches) /
                            (double)p->n_epochs
                      : 0;
    if (frac > 0 && frac <= 1 && p->seconds > 0) {
        double fold_eta = p->seconds * (1 - frac) / frac;
        dur(t, sizeof t, fold_eta);
        put(out, len, &at, " | %s ETA %s", b->fold < 0 ? "retrain" : "fold", t);
        if (b->fold >= 0 && b->n_folds > 0) {
            double per_fold = b->folds_done ? b->folds_s / b->folds_done
                                            : now - b->fold_t0 + fold_eta;
            int left = b->n_folds - b->fold - 1;
            dur(t, sizeof t, fold_eta + (left > 0 ? left : 0) * per_fold);
            put(out, len, &at, " run ETA %s", t);
        }
    }
    return at;
}

void ramp__bar_update(ramp__bar *b, const ramp_progress *p, double now, FILE *out)
{
    int end = p->batch >= p->n_batches;
    if (!b->tty && !end && now - b->last_line < b->plain_every) return;
    char line[512];
    ramp__bar_line(b, p, now, line, sizeof line);
    if (b->tty) {
        /* a bar wider than the terminal would wrap, and \r redraw only its
           last row: cut it (the line is ASCII) */
        if (b->columns > 3 && strlen(line) > (size_t)b->columns - 3) line[b->columns - 3] = '\0';
        fprintf(out, "\r  %s\033[K", line);
        b->open_line = !end;
        if (end) fputc('\n', out);
    } else {
        fprintf(out, "  %s\n", line);
        b->last_line = now;
    }
    fflush(out);
}

void ramp__bar_close(ramp__bar *b, FILE *out)
{
    if (b->open_line) fputc('\n', out);
    b->open_line = 0;
}
