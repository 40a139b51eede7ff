/* test_progress.c — `ramp test`'s training display (src/cli/progress.c)
 * driven by a fake clock: fixed 10 ms steps of 32 images give exactly
 * 10ms/step and 3200 img/s from the first step, the epoch's, fold's and
 * run's ETA, the finished bar's elapsed time, fold K/N, and, without a
 * terminal, a plain line at each epoch's end and at least every 10 s; and
 * the parent's reading of the fold's progress lines into its history. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/progress.c" /* the CLI is not in the library: its renderer alone */
#include "submission/runInt.h"

/* The report after `batch` steps of 10 ms (32 images each) of epoch `epoch`
   of 2, 12 steps an epoch, the epoch's figures at its end. */
static ramp_progress step10(int epoch, size_t batch)
{
    ramp_progress p = {epoch, 2, batch, 12, 0.5, 0.25, NAN, NAN, 0, 0, 0};
    p.epoch_seconds = 0.01 * (double)batch;
    p.seconds = 0.12 * epoch + p.epoch_seconds;
    p.images = 32 * batch;
    if (batch == 12) {
        p.val_loss = 0.75;
        p.val_accuracy = 0.125;
    }
    return p;
}

static void line_is(const ramp__bar *b, ramp_progress p, double now, const char *want)
{
    char got[512];
    size_t n = ramp__bar_line(b, &p, now, got, sizeof got);
    assert_int_equal(n, strlen(got));
    assert_string_equal(got, want);
}

static void test_fixed_steps(void **s)
{
    (void)s;
    ramp__bar b;
    ramp__bar_init(&b, 1, 100.0);
    ramp__bar_fold_start(&b, 1, 3, 100.0); /* the second fold of three */
    /* the first step: its rate and ETA are known, never "0 img/s" */
    line_is(&b, step10(0, 1), 100.01,
            "fold 2/3 epoch 1/2 1/12 [#...................] ETA 0.1s 10ms/step 3200 img/s "
            "loss 0.5000 acc 0.2500 | fold ETA 0.2s run ETA 0.5s");
    /* 6 of 24 steps: the fold has 0.18 s to go, the next fold as long as this one */
    line_is(&b, step10(0, 6), 100.06,
            "fold 2/3 epoch 1/2 6/12 [##########..........] ETA 0.1s 10ms/step 3200 img/s "
            "loss 0.5000 acc 0.2500 | fold ETA 0.2s run ETA 0.4s");
    /* the finished bar: the epoch's time, no step ETA, the validation figures */
    line_is(&b, step10(0, 12), 100.12,
            "fold 2/3 epoch 1/2 12/12 [####################] 0.1s 10ms/step 3200 img/s "
            "loss 0.5000 acc 0.2500 val_loss 0.7500 val_acc 0.1250 | fold ETA 0.1s run ETA 0.4s");
    /* the last epoch's end: the fold is done */
    line_is(&b, step10(1, 12), 100.24,
            "fold 2/3 epoch 2/2 12/12 [####################] 0.1s 10ms/step 3200 img/s "
            "loss 0.5000 acc 0.2500 val_loss 0.7500 val_acc 0.1250 | fold ETA 0.0s run ETA 0.2s");
    /* an epoch's start: nothing measured yet, so no rate and no ETA */
    ramp_progress p0 = step10(1, 0);
    p0.loss = p0.accuracy = NAN;
    line_is(&b, p0, 100.12, "fold 2/3 epoch 2/2 0/12 [....................] | fold ETA 0.1s "
                            "run ETA 0.4s");
}

static void test_long_run(void **s)
{
    (void)s;
    ramp__bar b;
    ramp__bar_init(&b, 1, 0);
    ramp__bar_fold_start(&b, 0, 3, 0);
    ramp__bar_fold_start(&b, 1, 3, 1000); /* fold 0 took 1000 s */
    /* 1 s steps of 100 images, 100 steps, 10 epochs, no loss reported */
    ramp_progress p = {4, 10, 1, 100, NAN, NAN, NAN, NAN, 401, 1, 100};
    line_is(&b, p, 1401, "fold 2/3 epoch 5/10 1/100 [....................] ETA 1:39 1.00s/step "
                         "100 img/s | fold ETA 9:59 run ETA 26:39");
    /* the retrain: no fold number, no run ETA; a loop that serves no images
       from ramp's generators shows no img/s */
    ramp__bar_fold_start(&b, -1, 3, 5000);
    ramp_progress r = {0, 1, 50, 100, 1.25, NAN, NAN, NAN, 3700, 3700, 0};
    line_is(&b, r, 8700, "retrain epoch 1/1 50/100 [##########..........] ETA 1:01:40 74.00s/step "
                         "loss 1.2500 | retrain ETA 1:01:40");
}

/* Without a terminal: a line at each epoch's end and at least every 10 s. */
static void test_plain_lines(void **s)
{
    (void)s;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    ramp__bar b;
    ramp__bar_init(&b, 0, 0);
    ramp__bar_fold_start(&b, 0, 2, 0);
    /* one epoch of 2500 steps of 10 ms: 25 s */
    for (size_t k = 1; k <= 2500; k++) {
        ramp_progress p = {0, 1, k, 2500, 0.5, NAN, NAN, NAN, 0.01 * k, 0.01 * k, 32 * k};
        ramp__bar_update(&b, &p, 0.01 * (double)k, f);
    }
    fclose(f);
    int lines = 0;
    for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
    assert_int_equal(lines, 3); /* at 10 s, 20 s, and the epoch's end */
    assert_null(strchr(text, '\r'));
    assert_null(strchr(text, '\033'));
    assert_non_null(strstr(text, "  fold 1/2 epoch 1/1 1000/2500 [########............] ETA 15s "
                                 "10ms/step 3200 img/s loss 0.5000 | fold ETA 15s run ETA 40s\n"));
    assert_non_null(strstr(text, "2500/2500 [####################] 25s 10ms/step"));
    free(text);
}

/* On a terminal: the bar redrawn in place, a newline at each epoch's end. */
static void test_tty(void **s)
{
    (void)s;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    ramp__bar b;
    ramp__bar_init(&b, 1, 0);
    ramp__bar_fold_start(&b, 0, 1, 0);
    ramp_progress p = step10(0, 3);
    ramp__bar_update(&b, &p, 0.03, f);
    assert_true(b.open_line);
    ramp__bar_close(&b, f);
    assert_false(b.open_line);
    p = step10(0, 12);
    ramp__bar_update(&b, &p, 0.12, f);
    assert_false(b.open_line);
    fclose(f);
    assert_non_null(strstr(text, "\r  fold 1/1 epoch 1/2 3/12 [#####...............] ETA 0.1s 10ms/step"));
    assert_non_null(strstr(text, "\033[K\n\r  fold 1/1 epoch 1/2 12/12"));
    assert_int_equal(text[len - 1], '\n');
    free(text);
    /* a 40-column terminal: the bar is cut to 37 characters after "\r  " */
    f = open_memstream(&text, &len);
    assert_non_null(f);
    b.columns = 40;
    p = step10(1, 3);
    ramp__bar_update(&b, &p, 0.15, f);
    fclose(f);
    assert_string_equal(text, "\r  fold 1/1 epoch 2/2 3/12 [#####.......\033[K");
    free(text);
}

/* The parent's reading of the child's PROG lines: each epoch's end once,
   in order, into the fold's history (what --json prints); lines of another
   form are ignored. */
static void test_wire_history(void **s)
{
    (void)s;
    const char *wire = "STEP training\n"
                       "PROG 0 2 5 10 0.5 0.9 nan nan 0.5 0.5 320\n"
                       "PROG 0 2 10 10 0.5 0.9 0.6 0.8 1.0 1.0 640\n"
                       "PROG 0 2 10 10 0.5 0.9 0.6 0.8 1.1 1.1 640\n" /* a repeat */
                       "PROG 1 2 10 10 0.4 0.9 0.5 0.85 2.0 1.0 640\n"
                       "PROG 2 2 10 10 0.4 0.9 0.5 0.85 3.0 1.0\n"      /* a field short */
                       "PROG 0 2 10 10 0.5 0.9 0.1 2.0 8\n"             /* the old form */
                       "PROG 3 2 11 10 0.4 0.9 0.5 0.85 3.0 1.0 640\n"  /* batch past the end */
                       "DONE\n";
    ramp__fold_result r;
    ramp__fold_protocol_test((const uint8_t *)wire, strlen(wire), 7, &r);
    assert_int_equal(r.n_history, 2);
    assert_int_equal(r.history[0].epoch, 0);
    assert_true(r.history[0].val_loss == 0.6 && r.history[0].val_accuracy == 0.8);
    assert_true(r.history[0].epoch_seconds == 1.0 && r.history[0].images == 640);
    assert_int_equal(r.history[1].epoch, 1);
    assert_true(r.history[1].loss == 0.4 && r.history[1].seconds == 2.0);
    ramp__fold_result_clear(&r);
    assert_null(r.history);
    assert_int_equal(r.n_history, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_steps),
        cmocka_unit_test(test_long_run),
        cmocka_unit_test(test_plain_lines),
        cmocka_unit_test(test_tty),
        cmocka_unit_test(test_wire_history),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
