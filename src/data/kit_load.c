/* kit_load.c — opening a kit for the commands that run or score
 * submissions: its problem, both CSV indexes and the image paths they name.
 *
 * A kit describes its problem in problem.ini (ramp's own, docs/kits.md), or
 * in problem.py (a RAMP kit, rampwf's contract). A problem.py is read by
 * ramp's reader, python/ramp_problem.py, run with the caller's Python: it
 * writes a problem.ini naming the data files ([data]), the CSV indexes and the
 * folds get_cv gives into a private temporary folder, which the kit keeps
 * until it is closed. Everything after that is the same for both kinds.
 *
 * Which Python runs the reader, where the reader is and where temporary
 * folders go are the caller's to say (ramp__kit_opts): the command-line
 * tool reads them from the environment (src/cli/cli_kit.c); this file never does.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/coreInt.h"
#include "data/dataInt.h"
#include "ramp/problem.h"

static int is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* ---- running ramp's reader ------------------------------------------------------- */

int ramp__kit_run(char *const *argv, const char *log_path)
{
    int fd = -1;
    if (log_path && (fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    if (pid == 0) {
        if (fd >= 0 && (dup2(fd, 1) < 0 || dup2(fd, 2) < 0)) _exit(127);
        if (strchr(argv[0], '/'))
            execv(argv[0], argv);
        else
            execvp(argv[0], argv);
        if (fd >= 0) dprintf(fd, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (fd >= 0) close(fd);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* Runs the reader: SCRIPT --kit KIT --data DATA --out OUT [extra]. Its
   output goes into OUT/reader.log, kept in *log (malloc'd) when it fails. */
static ramp_status run_reader(ramp__kit *k, const ramp__kit_opts *o, const char *kit_dir,
                              const char *data, const char *out, const char *extra, char **log,
                              ramp_err *err)
{
    snprintf(k->reader, sizeof k->reader, "%s", o->reader ? o->reader : "");
    snprintf(k->python, sizeof k->python, "%s", o->python ? o->python : "python3");
    if (!is_file(k->reader))
        return ramp__err_set(err, RAMP_ENOENT,
                             "%s/problem.py: cannot find ramp's reader of RAMP kits (%s, or "
                             "share/ramp/python/ beside an installed ramp)",
                             kit_dir, k->reader);
    char lp[4200];
    snprintf(lp, sizeof lp, "%s/reader.log", out);
    char *argv[12];
    int a = 0;
    argv[a++] = k->python;
    argv[a++] = k->reader;
    argv[a++] = "--kit";
    argv[a++] = (char *)kit_dir;
    argv[a++] = "--data";
    argv[a++] = (char *)data;
    argv[a++] = "--out";
    argv[a++] = (char *)out;
    if (extra) argv[a++] = (char *)extra;
    argv[a] = NULL;
    int rc = ramp__kit_run(argv, lp);
    if (rc == 0) return RAMP_OK;
    uint8_t *text = NULL;
    size_t len = 0;
    if (ramp__read_file(lp, (size_t)1 << 20, &text, &len, NULL) == RAMP_OK) *log = (char *)text;
    if (rc < 0)
        return ramp__err_set(err, RAMP_EIO, "%s/problem.py: cannot run %s: %s", kit_dir, k->python,
                             strerror(errno));
    return ramp__err_set(err, RAMP_EFORMAT,
                         "%s/problem.py: ramp's reader failed (%s %s exited with status %d)%s",
                         kit_dir, k->python, k->reader, rc,
                         rc == 127 ? ": is Python installed (python3, or an activated "
                                     "virtualenv / conda environment)?"
                                   : "");
}

/* ---- splits ----------------------------------------------------------------------- */

ramp_status ramp__kit_split_open(ramp__kit_split *s, const char *csv, const char *imgs,
                                 int n_classes, ramp_err *err)
{
    memset(s, 0, sizeof *s);
    ramp_status st = ramp_index_load(&s->index, csv, n_classes, 0, err);
    if (st) return st;
    size_t n = ramp_index_n(s->index);
    s->paths = calloc(n + 1, sizeof *s->paths);
    s->ids = calloc(n + 1, sizeof *s->ids);
    if (!s->paths || !s->ids) return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    s->samples.n = n; /* set first: close frees the paths made so far */
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

/* Detection: one row per image of the objects CSV. */
static ramp_status split_open_det(ramp__kit_split *s, const ramp_problem *p, const char *csv,
                                  const char *imgs, ramp_err *err)
{
    int c = ramp_problem_n_classes(p);
    ramp_status st = ramp_det_index_load(&s->det, csv, c, ramp_problem_geometry(p), 0, err);
    if (st) return st;
    size_t n = ramp_det_index_n(s->det);
    s->paths = calloc(n + 1, sizeof *s->paths);
    s->ids = calloc(n + 1, sizeof *s->ids);
    if (!s->paths || !s->ids) return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    s->samples.n = n; /* set first: close frees the paths made so far */
    for (size_t i = 0; i < n; i++) {
        s->ids[i] = ramp_det_index_id(s->det, i);
        if (!(s->paths[i] = ramp__path_join(imgs, s->ids[i])))
            return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    }
    s->samples.paths = (const char *const *)s->paths;
    s->samples.ids = s->ids;
    s->samples.n_classes = c;
    s->samples.objs = ramp_det_index_objs(s->det);
    s->samples.obj_off = ramp_det_index_obj_off(s->det);
    s->samples.geometry = ramp_det_index_geometry(s->det);
    return RAMP_OK;
}

ramp_status ramp__kit_split_open_for(ramp__kit_split *s, const ramp_problem *p, const char *csv,
                                     const char *imgs, const char *masks, ramp_err *err)
{
    ramp_workflow_kind w = ramp_problem_workflow(p);
    int c = ramp_problem_n_classes(p);
    ramp_status st;
    if (w == RAMP_WORKFLOW_DETECTION) {
        memset(s, 0, sizeof *s);
        if ((st = split_open_det(s, p, csv, imgs, err))) ramp__kit_split_close(s);
        return st;
    }
    if (w != RAMP_WORKFLOW_SEGMENTATION) {
        if ((st = ramp__kit_split_open(s, csv, imgs, c, err))) ramp__kit_split_close(s);
        return st;
    }
    /* segmentation: an id list; each image's mask at MASKS/<id> */
    memset(s, 0, sizeof *s);
    char *dflt = NULL;
    if (!masks && !(masks = dflt = ramp__path_join(imgs, "../masks"))) {
        st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
        goto fail;
    }
    if ((st = ramp_index_load(&s->index, csv, c, RAMP_INDEX_NO_CLASS, err))) goto fail;
    size_t n = ramp_index_n(s->index);
    s->paths = calloc(n + 1, sizeof *s->paths);
    s->ids = calloc(n + 1, sizeof *s->ids);
    s->mask_paths = calloc(n + 1, sizeof *s->mask_paths);
    if (!s->paths || !s->ids || !s->mask_paths) {
        st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
        goto fail;
    }
    s->samples.n = n;
    for (size_t i = 0; i < n; i++) {
        s->ids[i] = ramp_index_id(s->index, i);
        if (!(s->paths[i] = ramp__path_join(imgs, s->ids[i])) ||
            !(s->mask_paths[i] = ramp__path_join(masks, s->ids[i]))) {
            st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
            goto fail;
        }
    }
    s->samples.paths = (const char *const *)s->paths;
    s->samples.ids = s->ids;
    s->samples.n_classes = c;
    s->samples.mask_paths = (const char *const *)s->mask_paths;
    free(dflt);
    return RAMP_OK;
fail:
    free(dflt);
    ramp__kit_split_close(s);
    return st;
}

void ramp__kit_split_close(ramp__kit_split *s)
{
    for (size_t i = 0; i < s->samples.n; i++) {
        if (s->paths) free(s->paths[i]);
        if (s->mask_paths) free(s->mask_paths[i]);
    }
    free(s->paths);
    free(s->mask_paths);
    free(s->ids);
    ramp_index_free(s->index);
    ramp_det_index_free(s->det);
    memset(s, 0, sizeof *s);
}

/* ---- kits --------------------------------------------------------------------------- */

/* `which` from the problem's [data] section, else DATA/name. */
static void data_path(char *buf, size_t len, const ramp_problem *p, ramp_data_item which,
                      const char *data, const char *name)
{
    const char *named = ramp_problem_data_path(p, which);
    if (named)
        snprintf(buf, len, "%s", named);
    else
        snprintf(buf, len, "%s/%s", data, name);
}

ramp_status ramp__kit_load(ramp__kit *k, const ramp__kit_opts *o, ramp_err *err)
{
    memset(k, 0, sizeof *k);
    const char *kit = o->kit_dir;
    char ini[4200], py[4200], data[4096];
    snprintf(k->kit_dir, sizeof k->kit_dir, "%s", kit);
    snprintf(ini, sizeof ini, "%s/problem.ini", kit);
    snprintf(py, sizeof py, "%s/problem.py", kit);
    ramp_status st;
    if (is_file(ini)) {
        if ((st = ramp_problem_load(&k->problem, kit, err))) goto fail;
        if (o->data_dir)
            snprintf(data, sizeof data, "%s", o->data_dir);
        else if (o->ramp_data_dir)
            snprintf(data, sizeof data, "%s/data", o->ramp_data_dir);
        else
            snprintf(data, sizeof data, "%s/data", kit);
        snprintf(k->data_dir, sizeof k->data_dir, "%s", data);
    } else if (is_file(py)) {
        if (o->data_dir) {
            st = ramp__err_set(err, RAMP_EINVAL,
                               "%s has problem.py: its data is read from --ramp-data-dir (the "
                               "folder that holds data/), not --data",
                               kit);
            goto fail;
        }
        const char *rdd = o->ramp_data_dir ? o->ramp_data_dir : kit;
        snprintf(k->tmp_dir, sizeof k->tmp_dir, "%s/ramp-kit-XXXXXX",
                 o->tmp_base && o->tmp_base[0] ? o->tmp_base : "/tmp");
        if (!mkdtemp(k->tmp_dir)) {
            st = ramp__err_set(err, RAMP_EIO, "cannot make a temporary folder %s: %s",
                               k->tmp_dir, strerror(errno));
            k->tmp_dir[0] = '\0';
            goto fail;
        }
        k->from_py = 1;
        if ((st = run_reader(k, o, kit, rdd, k->tmp_dir, o->quick ? "--quick-test" : NULL,
                             &k->reader_log, err)))
            goto fail;
        if ((st = ramp_problem_load(&k->problem, k->tmp_dir, err))) goto fail;
        snprintf(data, sizeof data, "%s/data", rdd);
        snprintf(k->data_dir, sizeof k->data_dir, "%s", data);
    } else {
        st = ramp__err_set(err, RAMP_ENOENT,
                           "%s is not a kit: it has neither problem.ini nor problem.py", kit);
        goto fail;
    }
    data_path(k->imgs_dir, sizeof k->imgs_dir, k->problem, RAMP_DATA_IMAGES, data, "imgs");
    data_path(k->train_csv, sizeof k->train_csv, k->problem, RAMP_DATA_TRAIN, data, "train.csv");
    data_path(k->test_csv, sizeof k->test_csv, k->problem, RAMP_DATA_TEST, data, "test.csv");
    const char *masks = NULL;
    if (ramp_problem_workflow(k->problem) == RAMP_WORKFLOW_SEGMENTATION) {
        data_path(k->masks_dir, sizeof k->masks_dir, k->problem, RAMP_DATA_MASKS, data, "masks");
        masks = k->masks_dir;
    }
    if ((st = ramp__kit_split_open_for(&k->train, k->problem, k->train_csv, k->imgs_dir, masks,
                                       err)) ||
        (st = ramp__kit_split_open_for(&k->test, k->problem, k->test_csv, k->imgs_dir, masks, err)))
        goto fail;
    return RAMP_OK;
fail:;
    char *log = k->reader_log;
    k->reader_log = NULL;
    ramp__kit_close(k);
    k->reader_log = log;
    return st;
}

void ramp__kit_close(ramp__kit *k)
{
    ramp__kit_split_close(&k->train);
    ramp__kit_split_close(&k->test);
    ramp_problem_free(k->problem);
    k->problem = NULL;
    if (k->tmp_dir[0]) ramp__rmtree(k->tmp_dir);
    k->tmp_dir[0] = '\0';
    free(k->reader_log);
    k->reader_log = NULL;
}
