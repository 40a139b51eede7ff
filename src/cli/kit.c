/* kit.c — opening a kit for the commands that run or score submissions:
 * its problem, both CSV indexes and the image paths they name. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cliInt.h"
#include "core/coreInt.h"

ramp_status ramp__kit_split_open(ramp__kit_split *s, const char *data_dir, const char *name,
                              int n_classes, ramp_err *err)
{
    char csv[4096];
    snprintf(csv, sizeof csv, "%s/%s.csv", data_dir, name);
    ramp_status st = ramp_index_load(csv, n_classes, NULL, NULL, &s->index, err);
    if (st) return st;
    size_t n = ramp_index_n(s->index);
    s->paths = calloc(n, sizeof *s->paths);
    s->ids = calloc(n, sizeof *s->ids);
    if (!s->paths || !s->ids) return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    char imgs[4096];
    snprintf(imgs, sizeof imgs, "%s/imgs", data_dir);
    for (size_t i = 0; i < n; i++) {
        s->ids[i] = ramp_index_id(s->index, i);
        s->paths[i] = ramp__path_join(imgs, s->ids[i]);
        if (!s->paths[i]) return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    }
    s->samples.paths = (const char *const *)s->paths;
    s->samples.ids = s->ids;
    s->samples.labels = ramp_index_labels(s->index);
    s->samples.n = n;
    s->samples.n_classes = n_classes;
    return RAMP_OK;
}

void ramp__kit_split_close(ramp__kit_split *s)
{
    if (s->paths)
        for (size_t i = 0; i < s->samples.n; i++) free(s->paths[i]);
    free(s->paths);
    free(s->ids);
    ramp_index_free(s->index);
    memset(s, 0, sizeof *s);
}

ramp_status ramp__kit_open(ramp__kit *k, const char *kit_dir, const char *data_dir, ramp_err *err)
{
    memset(k, 0, sizeof *k);
    ramp_status st = ramp_problem_load(kit_dir, &k->problem, err);
    if (st) return st;
    char def[4096];
    if (!data_dir) {
        snprintf(def, sizeof def, "%s/data", kit_dir);
        data_dir = def;
    }
    snprintf(k->data_dir, sizeof k->data_dir, "%s", data_dir);
    int c = ramp_problem_n_classes(k->problem);
    st = ramp__kit_split_open(&k->train, data_dir, "train", c, err);
    if (!st) st = ramp__kit_split_open(&k->test, data_dir, "test", c, err);
    if (st) ramp__kit_close(k);
    return st;
}

void ramp__kit_close(ramp__kit *k)
{
    ramp__kit_split_close(&k->train);
    ramp__kit_split_close(&k->test);
    ramp_problem_free(k->problem);
    k->problem = NULL;
}
