/* dataInt.h — internals of the data module (kits): a CSV record reader
 * shared by the index and class-code readers, and a string hash set.
 *
 * The CSV reader walks a buffer already in memory and yields one record at a
 * time; its fields are copied (unquoted, "" unescaped) into one growing
 * buffer, each NUL-terminated, with its length kept beside it so an embedded
 * NUL can be detected. Blank lines are skipped; a record's line is the
 * physical line (1-based) where it starts, so errors can name file:line.
 */
#ifndef RAMP_DATA_INT_H
#define RAMP_DATA_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/dataset.h"
#include "ramp/problem.h"
#include "ramp/status.h"

typedef struct ramp__csv {
    const char *p, *end; /* unread input */
    const char *name;    /* file name for messages (borrowed) */
    size_t line;         /* physical line of p (1-based) */
    size_t rec_line;     /* line where the current record starts */
    char *buf;           /* field bytes, each field NUL-terminated */
    size_t len, cap;
    size_t *off;  /* field i starts at buf + off[i] */
    size_t *flen; /* field i has flen[i] bytes (before its NUL) */
    size_t nf, fcap;
} ramp__csv;

/* Starts reading `text` (borrowed, must outlive c); skips a UTF-8 BOM. */
void ramp__csv_init(ramp__csv *c, const char *text, size_t len, const char *name);

/* Reads the next non-blank record. Returns 1 when a record was read, 0 at
   the end, or -1 on error with *err set (unterminated quote: names the line
   where the quote opened; out of memory). */
int ramp__csv_next(ramp__csv *c, ramp_err *err);

/* Field i of the current record (i < c->nf) and its length. */
const char *ramp__csv_field(const ramp__csv *c, size_t i, size_t *len);

/* Frees the reader's buffers (not the text). */
void ramp__csv_free(ramp__csv *c);

/* A field's short printable form for messages: n bytes of s, control bytes
   as \xNN, cut with "..." past 40 bytes; NUL-terminated in dst (cap ≥ 48). */
void ramp__csv_show(char *dst, size_t cap, const char *s, size_t n);

/* Parses a decimal integer (optional sign, surrounding spaces allowed) into
   *v. Returns 0 if s[0..n) is not an integer, -1 if it overflows int64, 1 on
   success. */
int ramp__parse_i64(const char *s, size_t n, int64_t *v);

/* An open-addressing set of strings held elsewhere (by offset into a base
   buffer the caller passes to each call, since that buffer may move). */
typedef struct ramp__strset {
    uint32_t *slot; /* entry+1, 0 = empty */
    size_t cap;     /* power of two */
    size_t n;
} ramp__strset;

/* Looks up `s` (len bytes); if absent inserts `entry` (whose string is
   base + offs[entry], lens[entry]) and returns -1; if present returns the
   entry already there. Returns -2 when out of memory. */
long ramp__strset_add(ramp__strset *h, const char *base, const size_t *offs, const size_t *lens,
                      uint32_t entry);
void ramp__strset_free(ramp__strset *h);

/* Why `id` (n bytes) is not a safe relative path under a data folder
   ("'..' component", ...), or NULL when it is one (csv.c; the rule in
   dataset.h's ramp_index_load). */
const char *ramp__id_unsafe(const char *id, size_t n);

/* ---- kit files (kit.c), shared by the kit builders (kit.c, synth.c) ---- */

#define RAMP__FMNIST_DIR "/usr/share/datasets/fashion-mnist"

/* Writes n bytes to path (created or truncated, 0644); err names the path. */
ramp_status ramp__write_all(const char *path, const void *data, size_t n, ramp_err *err);
/* Makes the folder and its missing parents; an existing folder is fine. */
ramp_status ramp__make_dir(const char *path, ramp_err *err);
/* 1 if path is a folder holding anything, 0 if absent or empty, -1 if not a
   folder. */
int ramp__dir_non_empty(const char *path);

/* ---- IDX files (idx.c) --------------------------------------------------- */

/* Reads a gzipped IDX file: images (magic 0x803, N, 28, 28) or labels
   (0x801, N), its first `max` items only when max > 0 and N > max. *data
   receives count × item bytes (malloc'd), *count the items read; err names
   the file and what is wrong with it. */
ramp_status ramp__idx_read(const char *path, uint32_t magic, size_t max, uint8_t **data,
                           uint32_t *count, ramp_err *err);

/* ---- kits (kit_load.c) ---------------------------------------------------- */

/* One split of a kit: its index and the image path of each row; for a
   detection kit its objects (det; index is NULL), for a segmentation kit
   the mask path of each row. */
typedef struct ramp__kit_split {
    ramp_index *index;
    ramp_det_index *det;
    char **paths;
    const char **ids;
    char **mask_paths;
    ramp_samples samples; /* views of the above */
} ramp__kit_split;

typedef struct ramp__kit {
    ramp_problem *problem;
    char kit_dir[4096];
    char data_dir[4352];  /* the data folder, for messages: an ini kit's (--data, else
                             RAMP_DATA_DIR/data, else KIT/data), or RAMP_DATA_DIR/data for
                             a problem.py kit, as rampwf names it */
    char imgs_dir[4352];  /* the images: [data] images, else DATA/imgs */
    char masks_dir[4352]; /* segmentation masks: [data] masks, else DATA/masks ("" otherwise) */
    char train_csv[4352], test_csv[4352]; /* [data] train / test, else DATA/NAME.csv */
    int from_py;          /* the problem came from problem.py, through ramp's reader */
    char python[4096], reader[4096]; /* the reader's command (from_py) */
    char tmp_dir[4096];   /* the reader's private folder, removed by ramp__kit_close ("") */
    char *reader_log;     /* the reader's output when it failed (ramp__kit_report prints it) */
    ramp__kit_split train, test;
} ramp__kit;

typedef struct ramp__kit_opts {
    const char *kit_dir;
    const char *data_dir;      /* ramp's --data: the data folder itself (ini kits), or NULL */
    const char *ramp_data_dir; /* rampwf's --ramp-data-dir: the folder that holds data/
                                  (problem.py's get_*_data(path=...)), or NULL (KIT) */
    int quick;                 /* --quick-test: the reader reads the kit in RAMP's test mode */
    const char *python;        /* the Python that runs the reader (NULL: python3 on PATH) */
    const char *reader;        /* ramp's reader, python/ramp_problem.py (problem.py kits) */
    const char *tmp_base;      /* where the reader's private folder goes (NULL: /tmp) */
} ramp__kit_opts;

/* Loads KIT/problem.ini, or reads KIT/problem.py with ramp's reader when
   there is no problem.ini, then both CSVs (paths named by the problem's
   [data] section, else the data folder's defaults). On failure err says
   why and k keeps only the reader's output (reader_log, for the caller to
   show), then call ramp__kit_close. */
ramp_status ramp__kit_load(ramp__kit *k, const ramp__kit_opts *o, ramp_err *err);
/* Frees the kit and removes the reader's temporary folder; safe after a
   failed load. */
void ramp__kit_close(ramp__kit *k);
/* One split of a classification kit: the CSV index at `csv`, its images
   IMGS/<id>. */
ramp_status ramp__kit_split_open(ramp__kit_split *s, const char *csv, const char *imgs,
                                 int n_classes, ramp_err *err);
/* One split as problem p's workflow reads it: classification as above;
   detection: the objects CSV (ramp_det_index_load with p's geometry),
   samples.objs/obj_off set, labels NULL; segmentation: the id list
   (RAMP_INDEX_NO_CLASS), samples.mask_paths[i] = MASKS/<id>, labels NULL.
   masks is only read for segmentation (NULL there: IMGS/../masks). p is
   borrowed for the call. Close with ramp__kit_split_close. */
ramp_status ramp__kit_split_open_for(ramp__kit_split *s, const ramp_problem *p, const char *csv,
                                     const char *imgs, const char *masks, ramp_err *err);
void ramp__kit_split_close(ramp__kit_split *s);

/* Runs argv (argv[0] searched on PATH when it has no '/') and waits: its
   stdout and stderr go to log_path (NULL: this process's, which the caller
   flushes first), and so does "cannot run" when exec fails (exit 127).
   Returns its exit status, 128 + the signal that killed it, or -1 (errno)
   when it could not be started. */
int ramp__kit_run(char *const *argv, const char *log_path);

#endif
