/* kit.c — whole-kit tools: building the Fashion-MNIST kit from Debian's IDX
 * files (read by idx.c), and checking a kit.
 *
 * Both split their per-image work over a few pthreads by row number (thread
 * t takes rows t, t+T, ...), each with its own ramp_pp, so no lock is taken
 * in the loop. The builder writes every image with a single write(); the
 * checker keeps one result per row and reports them afterwards, in file
 * order, on the caller's thread (the report callback never runs
 * concurrently).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/coreInt.h"
#include "data/dataInt.h"
#include "ramp/dataset.h"
#include "ramp/image.h"
#include "ramp/problem.h"

#define FMNIST_SIDE 28

static const char *const fmnist_classes[10] = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                               "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                               "Bag",         "Ankle boot"};

static const char fmnist_problem_ini[] =
    "# Fashion-MNIST: 28x28 grayscale images of clothing, 10 classes\n"
    "# (made by `ramp data fashion-mnist`; format in docs/kits.md).\n"
    "[problem]\n"
    "title = Fashion-MNIST classification\n"
    "n_classes = 10\n"
    "\n"
    "[scores]\n"
    "# name = kind [param=value ...]; the first one is the official score\n"
    "acc = accuracy precision=4\n"
    "nll = nll precision=4\n"
    "f1_70 = f1_above threshold=0.7 precision=3\n"
    "err = error precision=4\n"
    "\n"
    "[cv]\n"
    "n_splits = 3\n"
    "test_size = 0.2\n"
    "random_state = 57\n"
    "\n"
    "[workflow]\n"
    "chunk_size = 1024\n"
    "n_jobs = 2\n"
    "test_batch_size = 256\n";

/* ---- small file helpers ------------------------------------------------- */

ramp_status ramp__write_all(const char *path, const void *data, size_t n, ramp_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return ramp__err_set(err, RAMP_EIO, "%s: %s", path, strerror(errno));
    const uint8_t *p = data;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            return ramp__err_set(err, RAMP_EIO, "%s: %s", path,
                                 w < 0 ? strerror(e) : "short write");
        }
        p += w;
        n -= (size_t)w;
    }
    if (close(fd) != 0) return ramp__err_set(err, RAMP_EIO, "%s: %s", path, strerror(errno));
    return RAMP_OK;
}

ramp_status ramp__make_dir(const char *path, ramp_err *err)
{
    if (ramp__mkdirs(path) == 0 || errno == EEXIST) { /* missing parents too */
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) return RAMP_OK;
        return ramp__err_set(err, RAMP_EIO, "%s: exists and is not a directory", path);
    }
    return ramp__err_set(err, RAMP_EIO, "%s: %s", path, strerror(errno));
}

/* 1 if path exists and holds anything, 0 if absent or empty, -1 if not a dir */
int ramp__dir_non_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    int any = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            any = 1;
            break;
        }
    closedir(d);
    return any;
}

/* ---- the builder -------------------------------------------------------- */

typedef struct build_job {
    const ramp_fmnist_opts *o;
    const uint8_t *px[2]; /* train, test pixels */
    size_t n[2];          /* rows used per split */
    const char *imgs_dir;
    int tid, n_threads;
    atomic_int *stop; /* set by a failing thread */
    uint64_t bytes;
    ramp_status st;
    ramp_err err;
} build_job;

static void *build_worker(void *arg)
{
    build_job *j = arg;
    const ramp_fmnist_opts *o = j->o;
    ramp_pp *pp = NULL;
    int side = o->size > 0 ? o->size : FMNIST_SIDE;
    j->st = ramp_pp_new(&pp, &j->err);
    if (j->st) return NULL;
    char path[4096];
    size_t total = j->n[0] + j->n[1];
    for (size_t r = (size_t)j->tid; r < total && !*j->stop; r += (size_t)j->n_threads) {
        int split = r >= j->n[0];
        size_t i = split ? r - j->n[0] : r;
        snprintf(path, sizeof path, "%s/%s_%05zu", j->imgs_dir, split ? "test" : "train", i);
        const uint8_t *src = j->px[split] + i * FMNIST_SIDE * FMNIST_SIDE;
        const uint8_t *px = src;
        size_t stride = FMNIST_SIDE;
        int ch = 1;
        if (side != FMNIST_SIDE || o->rgb) {
            ramp_pp_reset(pp);
            const ramp_image *x =
                ramp_img_from_pixels(pp, src, FMNIST_SIDE, FMNIST_SIDE, 1, FMNIST_SIDE);
            if (side != FMNIST_SIDE) x = ramp_img_resize(pp, x, side, side);
            if (o->rgb) x = ramp_img_rgb(pp, x);
            px = x ? ramp_img_pixels(pp, x, &stride) : NULL;
            if (!px) {
                j->st =
                    ramp__err_set(&j->err, ramp_pp_status(pp) ? ramp_pp_status(pp) : RAMP_EINTERNAL,
                                  "%s: %s", path, ramp_pp_errmsg(pp));
                break;
            }
            ch = ramp_img_channels(x);
        }
        uint8_t *enc = NULL;
        size_t enc_len = 0;
        j->st = ramp_img_encode(&enc, &enc_len, o->jpeg ? RAMP_FMT_JPEG : RAMP_FMT_PNG, px, side,
                                side, ch, stride, 90, &j->err);
        if (j->st) break;
        j->st = ramp__write_all(path, enc, enc_len, &j->err);
        free(enc);
        if (j->st) break;
        j->bytes += enc_len;
    }
    if (j->st) *j->stop = 1;
    ramp_pp_free(pp);
    return NULL;
}

/* id,class CSV for one split, in memory */
static ramp_status write_index(const char *path, const char *prefix, const uint8_t *labels,
                               size_t n, ramp_err *err)
{
    size_t cap = 16 + n * 32;
    char *b = malloc(cap);
    if (!b) return ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", path);
    size_t len = (size_t)snprintf(b, cap, "id,class\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(b + len, cap - len, "%s_%05zu,%u\n", prefix, i, labels[i]);
    ramp_status st = ramp__write_all(path, b, len, err);
    free(b);
    return st;
}

ramp_status ramp_kit_build_fashion_mnist(ramp_fmnist_stats *stats, const ramp_fmnist_opts *o,
                                         ramp_err *err)
{
    ramp__err_clear(err);
    if (stats) memset(stats, 0, sizeof *stats);
    if (!o || !o->out_dir || !*o->out_dir)
        return ramp__err_set(err, RAMP_EINVAL, "fashion-mnist: no output folder");
    if (o->size < 0 || o->size > 4096)
        return ramp__err_set(err, RAMP_EINVAL, "fashion-mnist: size %d not in [1, 4096]", o->size);
    const char *src = o->source_dir ? o->source_dir : RAMP__FMNIST_DIR;
    static const char *const files[4] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
    ramp_status st = RAMP_OK;
    uint8_t *data[4] = {0};
    uint32_t count[4] = {0};
    char *paths[8] = {0};
    int ne = ramp__dir_non_empty(o->out_dir);
    if (ne < 0) return ramp__err_set(err, RAMP_EIO, "%s: exists and is not a folder", o->out_dir);
    if (ne > 0 && !o->force)
        return ramp__err_set(err, RAMP_EINVAL, "%s: exists and is not empty (use --force)",
                             o->out_dir);
    for (int i = 0; i < 4; i++) {
        char *p = ramp__path_join(src, files[i]);
        if (!p) {
            st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
            goto done;
        }
        st = ramp__idx_read(p, i % 2 ? 0x801 : 0x803, 0, &data[i], &count[i], err);
        free(p);
        if (st) goto done;
    }
    for (int s = 0; s < 2; s++) {
        if (count[2 * s] != count[2 * s + 1]) {
            st = ramp__err_set(err, RAMP_EFORMAT, "%s: %s has %u images but %s has %u labels", src,
                               files[2 * s], count[2 * s], files[2 * s + 1], count[2 * s + 1]);
            goto done;
        }
        for (uint32_t i = 0; i < count[2 * s + 1]; i++)
            if (data[2 * s + 1][i] > 9) {
                st =
                    ramp__err_set(err, RAMP_EFORMAT, "%s/%s: label %u of item %u is not in [0, 10)",
                                  src, files[2 * s + 1], data[2 * s + 1][i], i);
                goto done;
            }
    }
    size_t n[2] = {count[0], count[2]};
    if (o->limit_train >= 0 && (size_t)o->limit_train < n[0]) n[0] = (size_t)o->limit_train;
    if (o->limit_test >= 0 && (size_t)o->limit_test < n[1]) n[1] = (size_t)o->limit_test;

    const char *rel[6] = {"data",           "data/imgs",    "problem.ini", "data/class_codes.csv",
                          "data/train.csv", "data/test.csv"};
    for (int i = 0; i < 6; i++)
        if (!(paths[i] = ramp__path_join(o->out_dir, rel[i]))) {
            st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
            goto done;
        }
    if ((st = ramp__make_dir(o->out_dir, err)) || (st = ramp__make_dir(paths[0], err)) ||
        (st = ramp__make_dir(paths[1], err)))
        goto done;
    if ((st = ramp__write_all(paths[2], fmnist_problem_ini, sizeof fmnist_problem_ini - 1, err)))
        goto done;
    {
        char codes[512];
        size_t len = (size_t)snprintf(codes, sizeof codes, "class,name\n");
        for (int c = 0; c < 10; c++)
            len +=
                (size_t)snprintf(codes + len, sizeof codes - len, "%d,%s\n", c, fmnist_classes[c]);
        if ((st = ramp__write_all(paths[3], codes, len, err))) goto done;
    }
    if ((st = write_index(paths[4], "train", data[1], n[0], err)) ||
        (st = write_index(paths[5], "test", data[3], n[1], err)))
        goto done;

    int T = o->n_threads > 0 ? o->n_threads : 2;
    if (T > 64) T = 64;
    build_job jobs[64];
    pthread_t th[64];
    atomic_int stop = 0;
    int started = 0;
    for (int t = 0; t < T; t++) {
        jobs[t] = (build_job){.o = o,
                              .px = {data[0], data[2]},
                              .n = {n[0], n[1]},
                              .imgs_dir = paths[1],
                              .tid = t,
                              .n_threads = T,
                              .stop = &stop};
        if (t > 0 && pthread_create(&th[t], NULL, build_worker, &jobs[t]) != 0) {
            stop = 1;
            st = ramp__err_set(err, RAMP_EIO, "fashion-mnist: cannot start a thread");
            break;
        }
        started = t + 1;
    }
    if (!st)
        build_worker(&jobs[0]);
    else
        started = started > 0 ? started : 1;
    for (int t = 1; t < started; t++)
        pthread_join(th[t], NULL);
    uint64_t bytes = 0;
    for (int t = 0; t < started && !st; t++) {
        if (jobs[t].st) {
            st = jobs[t].st;
            if (err) *err = jobs[t].err;
        }
        bytes += jobs[t].bytes;
    }
    if (!st && stats) {
        stats->n_train = n[0];
        stats->n_test = n[1];
        stats->bytes = bytes;
    }
done:
    for (int i = 0; i < 4; i++)
        free(data[i]);
    for (int i = 0; i < 8; i++)
        free(paths[i]);
    return st;
}

/* ---- the checker ------------------------------------------------------------
 *
 * Each split is a list of rows (id, csv line) made from the kit's index of
 * its workflow: the id,class index, a detection kit's images (with their
 * objects), or a segmentation kit's id list (with a mask per row). Every
 * row's image is decoded; a detection row's objects must lie in the image
 * (a box inside [0, w] x [0, h], a circle's centre inside it: a crater cut
 * by the tile's edge is fine); a segmentation row's mask must be an 8-bit
 * gray PNG of the image's size whose values are classes or 255. A row's
 * messages are kept, newline-separated, and reported in file order. */

typedef struct row_result {
    char *msg; /* NULL: fine; else one or more messages, '\n'-separated */
    int w, h;
    uint8_t fmt, ch;
    uint8_t done; /* the row was looked at (an out-of-memory leaves it 0) */
} row_result;

typedef struct check_split {
    size_t n;
    const char *const *ids;
    const size_t *lines; /* csv line of each row */
    const char *csv;
    const ramp_obj *objs; /* detection */
    const size_t *obj_off;
    const ramp_det_index *det;
} check_split;

typedef struct check_job {
    const check_split *sp[2];
    row_result *res[2];
    const char *imgs_dir, *masks_dir; /* masks_dir: segmentation only */
    int geometry, n_classes;
    uint64_t *pix[2]; /* this thread's pixel counts, n_classes + 1 (void last) */
    int tid, n_threads;
    ramp_status st; /* ENOMEM and the like: the check itself failed */
} check_job;

/* Appends a formatted message to *msg (newline-separated); -1 when out of
   memory. */
static int msg_add(char **msg, const char *fmt, ...) RAMP__PRINTF(2, 3);
static int msg_add(char **msg, const char *fmt, ...)
{
    char b[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    size_t old = *msg ? strlen(*msg) : 0, n = strlen(b);
    char *m = realloc(*msg, old + n + 2);
    if (!m) return -1;
    if (old) m[old++] = '\n';
    memcpy(m + old, b, n + 1);
    *msg = m;
    return 0;
}

/* Reads a file into *bytes; on a problem, adds "<what> '<id>': <why>" to
 *msg and returns 1 (0 when read, -1 out of memory). */
static int read_checked(const char *path, const char *csv, size_t line, const char *what,
                        const char *id, uint8_t **bytes, size_t *len, char **msg)
{
    ramp_err e;
    ramp_status st = ramp__read_file(path, (size_t)256 << 20, bytes, len, &e);
    int r = 0;
    if (st == RAMP_ENOENT)
        r = msg_add(msg, "%s:%zu: %s '%s': missing file (%s)", csv, line, what, id, path);
    else if (st == RAMP_ENOMEM)
        return -1;
    else if (st)
        r = msg_add(msg, "%s:%zu: %s '%s': %s: %s", csv, line, what, id, ramp_err_name(st), e.msg);
    else if (*len == 0)
        r = msg_add(msg, "%s:%zu: %s '%s': empty file (%s)", csv, line, what, id, path);
    else
        return 0;
    free(*bytes);
    *bytes = NULL;
    return r < 0 ? -1 : 1;
}

/* A segmentation mask against its image (w x h): 8-bit gray PNG, same
   size, values < n_classes or 255; counts its pixels into pix. */
static int check_mask(const check_job *j, ramp_pp *pp, uint64_t *pix, const char *csv, size_t line,
                      const char *id, int w, int h, char **msg)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", j->masks_dir, id);
    uint8_t *bytes = NULL;
    size_t len = 0;
    int r = read_checked(path, csv, line, "mask", id, &bytes, &len, msg);
    if (r) return r < 0 ? -1 : 0;
    r = 0;
    if (ramp_img_sniff(bytes, len) != RAMP_FMT_PNG || len < 33) {
        r = msg_add(msg, "%s:%zu: mask '%s': not a PNG file (%s)", csv, line, id, path);
    } else if (bytes[24] != 8 || bytes[25] != 0) {
        /* IHDR: bit depth at byte 24, colour type at 25 (0: gray) */
        r = msg_add(msg,
                    "%s:%zu: mask '%s': a PNG of bit depth %u and colour type %u (an 8-bit "
                    "gray PNG is required: bit depth 8, colour type 0)",
                    csv, line, id, bytes[24], bytes[25]);
    } else {
        ramp_pp_reset(pp);
        const ramp_image *m = ramp_img_from_memory(pp, bytes, len, path);
        size_t stride;
        const uint8_t *px = m ? ramp_img_pixels(pp, m, &stride) : NULL;
        if (!px) {
            ramp_status ps = ramp_pp_status(pp);
            if (ps == RAMP_ENOMEM)
                r = -1;
            else
                r = msg_add(msg, "%s:%zu: mask '%s': %s: %s", csv, line, id,
                            ramp_err_name(ps ? ps : RAMP_EFORMAT), ramp_pp_errmsg(pp));
        } else if (ramp_img_width(m) != w || ramp_img_height(m) != h) {
            r = msg_add(msg, "%s:%zu: mask '%s': %dx%d, but its image is %dx%d", csv, line, id,
                        ramp_img_width(m), ramp_img_height(m), w, h);
        } else {
            int K = j->n_classes;
            for (int y = 0; y < h && !r; y++)
                for (int x = 0; x < w; x++) {
                    uint8_t v = px[(size_t)y * stride + (size_t)x];
                    if (v == 255) {
                        pix[K]++;
                    } else if (v < K) {
                        pix[v]++;
                    } else {
                        r = msg_add(msg,
                                    "%s:%zu: mask '%s': pixel (%d, %d) has value %u (classes are "
                                    "0..%d, 255 void)",
                                    csv, line, id, x, y, v, K - 1);
                        if (r == 0) r = 1;
                        break;
                    }
                }
            if (r > 0) r = 0;
        }
    }
    free(bytes);
    return r < 0 ? -1 : 0;
}

static void *check_worker(void *arg)
{
    check_job *j = arg;
    ramp_pp *pp = NULL;
    if (ramp_pp_new(&pp, NULL)) {
        j->st = RAMP_ENOMEM;
        return NULL;
    }
    char path[4096];
    size_t n0 = j->sp[0]->n, total = n0 + j->sp[1]->n;
    for (size_t r = (size_t)j->tid; r < total; r += (size_t)j->n_threads) {
        int s = r >= n0;
        size_t i = s ? r - n0 : r;
        const check_split *sp = j->sp[s];
        row_result *out = &j->res[s][i];
        const char *id = sp->ids[i];
        const char *csv = sp->csv;
        size_t line = sp->lines[i];
        snprintf(path, sizeof path, "%s/%s", j->imgs_dir, id);
        uint8_t *bytes = NULL;
        size_t len = 0;
        int rc = read_checked(path, csv, line, "image", id, &bytes, &len, &out->msg);
        if (rc < 0) goto nomem;
        if (rc == 0 && ramp_img_sniff(bytes, len) == RAMP_FMT_PIXELS) {
            if (msg_add(&out->msg, "%s:%zu: image '%s': not a JPEG or PNG file (%s)", csv, line, id,
                        path))
                goto nomem;
        } else if (rc == 0) {
            ramp_pp_reset(pp);
            const ramp_image *x = ramp_img_from_memory(pp, bytes, len, path);
            size_t stride;
            if (x && ramp_img_pixels(pp, x, &stride)) {
                out->fmt = (uint8_t)ramp_img_format_of(x);
                out->w = ramp_img_width(x);
                out->h = ramp_img_height(x);
                out->ch = (uint8_t)ramp_img_channels(x);
            } else {
                ramp_status ps = ramp_pp_status(pp);
                if (ps == RAMP_ENOMEM ||
                    msg_add(&out->msg, "%s:%zu: image '%s': %s: %s", csv, line, id,
                            ramp_err_name(ps ? ps : RAMP_EFORMAT), ramp_pp_errmsg(pp)))
                    goto nomem;
            }
        }
        free(bytes);
        bytes = NULL;
        int W = out->w, H = out->h;
        if (W && sp->objs) /* detection: every object in its image */
            for (size_t o = sp->obj_off[i]; o < sp->obj_off[i + 1]; o++) {
                const float *g = sp->objs[o].g;
                size_t ol = ramp_det_index_obj_line(sp->det, o);
                int bad = j->geometry == RAMP_DET_BOX
                              ? g[0] < 0 || g[1] < 0 || g[2] > (float)W || g[3] > (float)H
                              : g[0] < 0 || g[1] < 0 || g[0] > (float)W || g[1] > (float)H;
                if (!bad) continue;
                int e = j->geometry == RAMP_DET_BOX
                            ? msg_add(&out->msg,
                                      "%s:%zu: id '%s': box (%g, %g, %g, %g) is not inside the "
                                      "%dx%d image",
                                      csv, ol, id, (double)g[0], (double)g[1], (double)g[2],
                                      (double)g[3], W, H)
                            : msg_add(&out->msg,
                                      "%s:%zu: id '%s': circle centre (%g, %g) is not inside the "
                                      "%dx%d image",
                                      csv, ol, id, (double)g[0], (double)g[1], W, H);
                if (e) goto nomem;
            }
        if (W && j->masks_dir) {
            if (check_mask(j, pp, j->pix[s], csv, line, id, W, H, &out->msg)) goto nomem;
        }
        out->done = 1;
        continue;
    nomem:
        free(bytes);
        j->st = RAMP_ENOMEM;
        break;
    }
    ramp_pp_free(pp);
    return NULL;
}

/* Appends a problem to the summary's list; -1 when out of memory. */
static int check_report(ramp_kit_summary *sum, size_t *cap, const char *msg)
{
    if (sum->n_problems == *cap) {
        size_t n = *cap ? 2 * *cap : 16;
        char **p = realloc(sum->problems, n * sizeof *p);
        if (!p) return -1;
        sum->problems = p;
        *cap = n;
    }
    if (!(sum->problems[sum->n_problems] = ramp__strdup(msg))) return -1;
    sum->n_problems++;
    return 0;
}

/* Reports each line of a row's messages. */
static int check_report_lines(ramp_kit_summary *sum, size_t *cap, char *msgs)
{
    for (char *p = msgs; p;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        if (check_report(sum, cap, p)) return -1;
        p = nl ? nl + 1 : NULL;
    }
    return 0;
}

void ramp_kit_summary_free(ramp_kit_summary *sum)
{
    if (!sum) return;
    for (int s = 0; s < 2; s++) {
        free(sum->per_class[s]);
        free(sum->pixels_per_class[s]);
        sum->per_class[s] = NULL;
        sum->pixels_per_class[s] = NULL;
    }
    for (size_t i = 0; sum->problems && i < sum->n_problems; i++)
        free(sum->problems[i]);
    free(sum->problems);
    sum->problems = NULL;
}

/* `which` from the problem's [data] section, else DATA/name (malloc'd). */
static char *kit_path(const ramp_problem *p, ramp_data_item which, const char *data,
                      const char *name)
{
    const char *named = p ? ramp_problem_data_path(p, which) : NULL;
    return named ? ramp__strdup(named) : ramp__path_join(data, name);
}

ramp_status ramp_kit_check(ramp_kit_summary *sum, const char *kit_dir, const char *data_dir,
                           int n_threads, ramp_err *err)
{
    ramp__err_clear(err);
    ramp_kit_summary local;
    if (!sum) sum = &local;
    memset(sum, 0, sizeof *sum);
    if (!kit_dir) return ramp__err_set(err, RAMP_EINVAL, "check: no kit folder");
    size_t cap = 0;
    ramp_status st = RAMP_OK;
    ramp_problem *prob = NULL;
    ramp_index *ix[2] = {0};
    ramp_det_index *det[2] = {0};
    row_result *res[2] = {0};
    size_t *lines[2] = {0};
    const char **ids[2] = {0};
    check_split sp[2];
    memset(sp, 0, sizeof sp);
    char *data = NULL, *imgs = NULL, *masks = NULL, *csv[2] = {0};
    uint64_t *pix = NULL; /* per thread, per split: K + 1 counts */
    ramp_err e;
    data = data_dir ? ramp__strdup(data_dir) : ramp__path_join(kit_dir, "data");
    if (!data) goto nomem;
    if (ramp_problem_load(&prob, kit_dir, &e) && check_report(sum, &cap, e.msg)) goto nomem;
    int n_classes = prob ? ramp_problem_n_classes(prob) : 0;
    ramp_workflow_kind wf = prob ? ramp_problem_workflow(prob) : RAMP_WORKFLOW_IMAGE_CLASSIFIER;
    int geometry = prob ? ramp_problem_geometry(prob) : 0;
    sum->workflow = (int)wf;
    if (!(imgs = kit_path(prob, RAMP_DATA_IMAGES, data, "imgs")) ||
        !(csv[0] = kit_path(prob, RAMP_DATA_TRAIN, data, "train.csv")) ||
        !(csv[1] = kit_path(prob, RAMP_DATA_TEST, data, "test.csv")))
        goto nomem;
    if (wf == RAMP_WORKFLOW_SEGMENTATION &&
        !(masks = kit_path(prob, RAMP_DATA_MASKS, data, "masks")))
        goto nomem;
    for (int s = 0; s < 2; s++) {
        ramp_status ls;
        if (wf == RAMP_WORKFLOW_DETECTION) {
            ls = ramp_det_index_load(&det[s], csv[s], n_classes, geometry, RAMP_INDEX_SKIP_BAD_ROWS,
                                     &e);
            if (ls == RAMP_ENOMEM) goto nomem;
            if (ls && check_report(sum, &cap, e.msg)) goto nomem;
            for (size_t k = 0; k < ramp_det_index_n_skipped(det[s]); k++)
                if (check_report(sum, &cap, ramp_det_index_skipped(det[s], k, NULL))) goto nomem;
            size_t n = ramp_det_index_n(det[s]);
            if (!(lines[s] = calloc(n + 1, sizeof *lines[s]))) goto nomem;
            for (size_t i = 0; i < n; i++)
                lines[s][i] = ramp_det_index_line(det[s], i);
            sp[s] = (check_split){.n = n,
                                  .ids = ramp_det_index_ids(det[s]),
                                  .lines = lines[s],
                                  .csv = csv[s],
                                  .objs = ramp_det_index_objs(det[s]),
                                  .obj_off = ramp_det_index_obj_off(det[s]),
                                  .det = det[s]};
            if (!det[s]) sp[s].n = 0;
        } else {
            unsigned fl = RAMP_INDEX_SKIP_BAD_ROWS |
                          (wf == RAMP_WORKFLOW_SEGMENTATION ? RAMP_INDEX_NO_CLASS : 0u);
            ls = ramp_index_load(&ix[s], csv[s], n_classes, fl, &e);
            if (ls == RAMP_ENOMEM) goto nomem;
            if (ls && check_report(sum, &cap, e.msg)) goto nomem;
            for (size_t k = 0; k < ramp_index_n_skipped(ix[s]); k++)
                if (check_report(sum, &cap, ramp_index_skipped(ix[s], k, NULL))) goto nomem;
            size_t n = ramp_index_n(ix[s]);
            if (!(lines[s] = calloc(n + 1, sizeof *lines[s])) ||
                !(ids[s] = calloc(n + 1, sizeof *ids[s])))
                goto nomem;
            for (size_t i = 0; i < n; i++) {
                lines[s][i] = ramp_index_line(ix[s], i);
                ids[s][i] = ramp_index_id(ix[s], i);
            }
            sp[s] = (check_split){.n = n, .ids = ids[s], .lines = lines[s], .csv = csv[s]};
        }
    }
    /* per-class counts: labels (classification; classes unknown: up to the
       largest label seen), objects (detection) */
    int K = n_classes;
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < ramp_index_n(ix[s]); i++)
            if (ramp_index_label(ix[s], i) + 1 > K) K = ramp_index_label(ix[s], i) + 1;
        for (size_t o = 0; o < ramp_det_index_n_objs(det[s]); o++)
            if (ramp_det_index_objs(det[s])[o].cls + 1 > K)
                K = ramp_det_index_objs(det[s])[o].cls + 1;
    }
    sum->n_classes = K;
    for (int s = 0; s < 2; s++) {
        sum->n_rows[s] = sp[s].n;
        if (!(sum->per_class[s] = calloc(K > 0 ? (size_t)K : 1, sizeof(size_t)))) goto nomem;
        if (wf == RAMP_WORKFLOW_SEGMENTATION) {
            if (!(sum->pixels_per_class[s] = calloc((size_t)K + 1, sizeof(uint64_t)))) goto nomem;
        } else if (wf == RAMP_WORKFLOW_DETECTION) {
            for (size_t o = 0; o < ramp_det_index_n_objs(det[s]); o++)
                sum->per_class[s][ramp_det_index_objs(det[s])[o].cls]++;
            sum->n_objects[s] = ramp_det_index_n_objs(det[s]);
        } else {
            for (size_t i = 0; i < ramp_index_n(ix[s]); i++)
                sum->per_class[s][ramp_index_label(ix[s], i)]++;
        }
        if (!(res[s] = calloc(sp[s].n + 1, sizeof *res[s]))) goto nomem;
    }
    /* the images */
    int T = n_threads > 0 ? n_threads : 2;
    if (T > 64) T = 64;
    if (!(pix = calloc((size_t)T * 2 * ((size_t)K + 1), sizeof *pix))) goto nomem;
    check_job jobs[64];
    pthread_t th[64];
    int started = 1;
    for (int t = 0; t < T; t++) {
        jobs[t] = (check_job){.sp = {&sp[0], &sp[1]},
                              .res = {res[0], res[1]},
                              .imgs_dir = imgs,
                              .masks_dir = masks,
                              .geometry = geometry,
                              .n_classes = K,
                              .pix = {pix + (size_t)(2 * t) * ((size_t)K + 1),
                                      pix + (size_t)(2 * t + 1) * ((size_t)K + 1)},
                              .tid = t,
                              .n_threads = T};
        if (t > 0) {
            if (pthread_create(&th[t], NULL, check_worker, &jobs[t]) != 0) {
                /* fewer threads: redo the split with those started */
                for (int u = 1; u < t; u++)
                    pthread_join(th[u], NULL);
                for (int s = 0; s < 2; s++)
                    for (size_t i = 0; i < sp[s].n; i++) {
                        free(res[s][i].msg);
                        memset(&res[s][i], 0, sizeof res[s][i]);
                    }
                memset(pix, 0, (size_t)T * 2 * ((size_t)K + 1) * sizeof *pix);
                T = 1;
                jobs[0].n_threads = 1;
                started = 1;
                break;
            }
            started = t + 1;
        }
    }
    check_worker(&jobs[0]);
    for (int t = 1; t < started; t++)
        pthread_join(th[t], NULL);
    for (int t = 0; t < started; t++)
        if (jobs[t].st) goto nomem;
    for (int s = 0; s < 2 && sum->pixels_per_class[s]; s++)
        for (int t = 0; t < started; t++)
            for (int c = 0; c <= K; c++)
                sum->pixels_per_class[s][c] += jobs[t].pix[s][c];
    sum->min_w = sum->min_h = 0;
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < sp[s].n; i++) {
            row_result *r = &res[s][i];
            if (r->msg && check_report_lines(sum, &cap, r->msg)) goto nomem;
            if (!r->w) continue; /* the image did not decode */
            if (sum->n_images == 0 || r->w < sum->min_w) sum->min_w = r->w;
            if (sum->n_images == 0 || r->h < sum->min_h) sum->min_h = r->h;
            if (r->w > sum->max_w) sum->max_w = r->w;
            if (r->h > sum->max_h) sum->max_h = r->h;
            if (r->ch >= 1 && r->ch <= 4) sum->n_channels[r->ch]++;
            if (r->fmt == RAMP_FMT_JPEG) sum->n_jpeg++;
            if (r->fmt == RAMP_FMT_PNG) sum->n_png++;
            sum->n_images++;
        }
    st = sum->n_problems ? RAMP_EFORMAT : RAMP_OK;
    if (sum->n_problems == 1)
        ramp__err_set(err, st, "%s", sum->problems[0]);
    else if (st)
        ramp__err_set(err, st, "%s (and %zu more problems)", sum->problems[0], sum->n_problems - 1);
    goto done;
nomem:
    st = ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory while checking", kit_dir);
    ramp_kit_summary_free(sum);
done:
    for (int s = 0; s < 2; s++) {
        if (res[s])
            for (size_t i = 0; i < sp[s].n; i++)
                free(res[s][i].msg);
        free(res[s]);
        free(lines[s]);
        free(ids[s]);
        ramp_index_free(ix[s]);
        ramp_det_index_free(det[s]);
        free(csv[s]);
    }
    free(pix);
    ramp_problem_free(prob);
    free(data);
    free(imgs);
    free(masks);
    if (sum == &local) ramp_kit_summary_free(&local);
    return st;
}
