/* cmd_score.c — `ramp score`: scores a saved n × n_classes prediction file
 * (.npy, rows in the split's CSV order) with the problem's score types, so
 * predictions made anywhere can be scored. Rows that are all NaN (samples a
 * run did not predict) are skipped, as in bagging. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cliInt.h"
#include "core/coreInt.h"
#include "ramp/npy.h"
#include "ramp/score.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: ramp score --kit DIR [--data DIR] --split train|test --pred FILE.npy [--json]\n\n"
               "Scores an n × n_classes prediction file (rows in the order of the split's CSV)\n"
               "against the kit's labels with the problem's score types.\n");
}

int ramp__cmd_score(int argc, char **argv)
{
    const char *kit_dir = ".", *data = NULL, *split = NULL, *pred = NULL;
    int as_json = 0;
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--kit", &kit_dir),
        RAMP__OPT_STR("--data", &data),
        RAMP__OPT_STR("--split", &split),
        RAMP__OPT_STR("--pred", &pred),
        RAMP__OPT_FLAG("--json", &as_json),
        RAMP__OPT_END,
    };
    int prc = ramp__cli_parse(&(ramp__cli_spec){ .cmd = "score", .usage = usage, .opts = opts },
                              argc, argv);
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
    int c = ramp_problem_n_classes(kit.problem);
    double *p = NULL;
    size_t rows = 0, cols = 0;
    int rc = 1;
    if (ramp_npy_read_matrix(&p, &rows, &cols, pred, &err)) {
        ramp__cli_error("%s", err.msg);
        goto done;
    }
    if (rows != sp->samples.n || cols != (size_t)c) {
        ramp__cli_error("%s: shape %zu × %zu, but the %s split has %zu rows and %d classes", pred,
                        rows, cols, split, sp->samples.n, c);
        goto done;
    }
    if (as_json) printf("{");
    for (int s = 0; s < ramp_problem_n_scores(kit.problem); s++) {
        double v;
        if (ramp_score_compute(&v, ramp_problem_score_kind(kit.problem, s),
                               ramp_problem_score_param(kit.problem, s), p, sp->samples.labels,
                               rows, c, &err)) {
            if (as_json) printf("}\n");
            ramp__cli_error("%s: %s", pred, err.msg);
            goto done;
        }
        const char *name = ramp_problem_score_name(kit.problem, s);
        if (as_json) {
            printf("%s", s ? ", " : "");
            ramp__json_fputs(stdout, name);
            printf(": %.17g", v);
        } else
            printf("%-12s %.*f\n", name, ramp_problem_score_precision(kit.problem, s), v);
    }
    if (as_json) printf("}\n");
    rc = 0;
done:
    free(p);
    ramp__kit_close(&kit);
    return rc;
}
