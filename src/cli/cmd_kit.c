/* cmd_kit.c — `ramp kit import DIR`: a RAMP kit's problem.py made into
 * ramp's problem.ini, so the C tools and the platform need no Python.
 *
 * ramp's reader (python/ramp_problem.py --import, run with the user's
 * Python as for `ramp test`) writes KIT/problem.ini and the data files it
 * names when the kit's own do not fit (data/folds.csv when get_cv is not
 * one of sklearn's splitters ramp reproduces, data/ramp_*.csv). This command
 * then loads the result as every other command will (the problem, both
 * CSVs, the folds) and prints what was written and what it holds.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cliInt.h"
#include "core/coreInt.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ramp kit import DIR [--force] [--ramp-data-dir DIR]\n\n"
            "Reads the RAMP kit DIR's problem.py with your Python ($VIRTUAL_ENV's, else\n"
            "$CONDA_PREFIX's, else the one ramp was built for) and writes DIR/problem.ini\n"
            "(and the data files it names), then checks the result: the problem, train.csv,\n"
            "test.csv and the folds.\n"
            "ramp's tools then read problem.ini and never run problem.py.\n\n"
            "  --force              replace an existing problem.ini (and data files)\n"
            "  --ramp-data-dir DIR  the folder that holds data/ (problem.py's\n"
            "                       get_*_data(path=DIR); default: DIR)\n");
}

/* The regular files of a folder (not below), with their change stamps. */
typedef struct snap {
    char **names;
    struct timespec *mtime;
    ino_t *ino;
    size_t n;
} snap;

static void snap_take(snap *s, const char *dir)
{
    memset(s, 0, sizeof *s);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[4500];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' || stat(p, &sb) || !S_ISREG(sb.st_mode)) continue;
        char **nn = realloc(s->names, (s->n + 1) * sizeof *nn);
        struct timespec *mt = realloc(s->mtime, (s->n + 1) * sizeof *mt);
        if (nn) s->names = nn;
        if (mt) s->mtime = mt;
        ino_t *in = realloc(s->ino, (s->n + 1) * sizeof *in);
        if (in) s->ino = in;
        if (!nn || !mt || !in || !(s->names[s->n] = ramp__strdup(e->d_name))) break;
        s->mtime[s->n] = sb.st_mtim;
        s->ino[s->n] = sb.st_ino;
        s->n++;
    }
    if (d) closedir(d);
}

static void snap_free(snap *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->names[i]);
    free(s->names);
    free(s->mtime);
    free(s->ino);
}

/* Prints "wrote DIR/NAME" for each file of `after` absent from `before` or
   changed since. */
static void print_written(const char *dir, const snap *before, const snap *after)
{
    for (size_t i = 0; i < after->n; i++) {
        int same = 0;
        for (size_t j = 0; j < before->n && !same; j++)
            same = !strcmp(after->names[i], before->names[j]) &&
                   after->ino[i] == before->ino[j] &&
                   after->mtime[i].tv_sec == before->mtime[j].tv_sec &&
                   after->mtime[i].tv_nsec == before->mtime[j].tv_nsec;
        if (!same) printf("wrote %s/%s\n", dir, after->names[i]);
    }
}

int ramp__cmd_kit(int argc, char **argv)
{
    if (argc < 2 || ramp__cli_is_help(argv[1])) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "import")) {
        ramp__cli_error("kit: unknown subcommand '%s' (see 'ramp kit --help')", argv[1]);
        return 2;
    }
    const char *dir = NULL, *rdd = NULL;
    int force = 0, n_pos = 0;
    const ramp__cli_opt opts[] = {
        RAMP__OPT_FLAG("--force", &force),
        RAMP__OPT_STR("--ramp-data-dir", &rdd),
        RAMP__OPT_END,
    };
    int rc = ramp__cli_parse(&(ramp__cli_spec){.cmd = "kit import", .usage = usage, .opts = opts,
                                               .pos = &dir, .max_pos = 1, .n_pos = &n_pos},
                             argc - 1, argv + 1);
    if (rc) return rc == 1 ? 0 : rc;
    if (n_pos != 1) {
        usage(stderr);
        return 2;
    }
    char py[4200], data[4200];
    snprintf(py, sizeof py, "%s/problem.py", dir);
    struct stat sb;
    if (stat(py, &sb) || !S_ISREG(sb.st_mode)) {
        ramp__cli_error("kit import: %s: no such file (a RAMP kit's problem.py)", py);
        return 1;
    }
    char script[4096], python[4096];
    if (ramp__cli_reader(script, sizeof script, python, sizeof python)) {
        ramp__cli_error("kit import: cannot find ramp's reader of RAMP kits (%s, or "
                        "share/ramp/python/ beside an installed ramp)",
                        script);
        return 1;
    }
    char *tmp = ramp__cli_mkdtemp("import");
    if (!tmp) {
        ramp__cli_error("kit import: cannot make a temporary folder: %s", strerror(errno));
        return 1;
    }
    snprintf(data, sizeof data, "%s/data", dir);
    snap before[2], after[2];
    snap_take(&before[0], dir);
    snap_take(&before[1], data);
    char log[4300];
    snprintf(log, sizeof log, "%s/reader.log", tmp);
    char *args[12];
    int a = 0;
    args[a++] = python;
    args[a++] = script;
    args[a++] = "--kit";
    args[a++] = (char *)dir;
    if (rdd) {
        args[a++] = "--data";
        args[a++] = (char *)rdd;
    }
    args[a++] = "--import";
    if (force) args[a++] = "--force";
    args[a] = NULL;
    int status = ramp__kit_run(args, log);
    int ret = 1;
    if (status != 0) {
        if (status < 0)
            ramp__cli_error("kit import: %s: cannot run %s: %s", py, python, strerror(errno));
        else
            ramp__cli_error("kit import: %s: ramp's reader failed (%s %s exited with status %d)%s",
                            py, python, script, status,
                            status == 127 ? ": is Python installed (python3, or an activated "
                                            "virtualenv / conda environment)?"
                                          : "");
        uint8_t *text = NULL;
        size_t len = 0;
        if (ramp__read_file(log, (size_t)1 << 20, &text, &len, NULL) == RAMP_OK && len) {
            fprintf(stderr, "%s%s", (char *)text, text[len - 1] == '\n' ? "" : "\n");
        }
        free(text);
        goto done;
    }
    snap_take(&after[0], dir);
    snap_take(&after[1], data);
    print_written(dir, &before[0], &after[0]);
    print_written(data, &before[1], &after[1]);
    snap_free(&after[0]);
    snap_free(&after[1]);
    /* the check: what every command will load */
    ramp__kit kit;
    ramp_err err = {RAMP_OK, ""};
    ramp__kit_opts ko = {.kit_dir = dir, .ramp_data_dir = rdd};
    if (ramp__cli_kit_load(&kit, &ko, &err)) {
        ramp__kit_report(&kit, &err);
        ramp__kit_close(&kit);
        goto done;
    }
    ramp_folds *folds = NULL;
    const ramp_problem *pb = kit.problem;
    if (ramp_folds_make(&folds, pb, kit.train.samples.labels, kit.train.samples.n, &err)) {
        ramp__cli_error("kit import: the folds: %s", err.msg);
        ramp__kit_close(&kit);
        goto done;
    }
    static const char *methods[] = {"stratified shuffle split", "shuffle split", "folds file"};
    ramp_cv_method m = ramp_problem_cv_method(pb);
    printf("checked: '%s', %d classes, %s workflow; scores", ramp_problem_title(pb),
           ramp_problem_n_classes(pb), ramp_workflow_name(ramp_problem_workflow(pb)));
    for (int s = 0; s < ramp_problem_n_scores(pb); s++)
        printf("%s %s", s ? "," : "", ramp_problem_score_name(pb, s));
    printf("\n         %zu train rows (%s), %zu test rows (%s), images in %s\n",
           kit.train.samples.n, kit.train_csv, kit.test.samples.n, kit.test_csv, kit.imgs_dir);
    printf("         %d folds (%s%s%s)\n", ramp_folds_n(folds),
           m <= RAMP_CV_FOLDS_FILE ? methods[m] : "?", m == RAMP_CV_FOLDS_FILE ? " " : "",
           m == RAMP_CV_FOLDS_FILE ? ramp_problem_cv_folds_file(pb) : "");
    ramp_folds_free(folds);
    ramp__kit_close(&kit);
    ret = 0;
done:
    snap_free(&before[0]);
    snap_free(&before[1]);
    ramp__rmtree(tmp);
    free(tmp);
    return ret;
}
