/* storeInt.h — the platform's submission store: one interface, two back
 * ends (a SQLite file, or a PostgreSQL server through libpq).
 *
 * Design. The shared logic (schema and migrations, the state machine, claims
 * under a lease, results, blending, the leaderboard) lives in store*.c and
 * board*.c and speaks SQL written once with `?` placeholders. A back end is a
 * small table of functions (ramp__backend): run one statement with bound
 * parameters and hand back every row as owned text/bytes (ramp__rows), run a
 * parameterless script, close. PostgreSQL rewrites `?` into `$n`; the few
 * dialect differences (serial keys, blob type, row locks) are strings in the
 * table. Values are never pasted into SQL: every one is a bound parameter.
 *
 * A handle is one connection: not thread-safe; use one per thread (or a
 * lock). Every change is one transaction, so a process killed at any moment
 * leaves the store as it was before that change or after it.
 *
 * States: new → training → tested → scored, or training_error /
 * validating_error / testing_error / timeout (with the log), or
 * worker_killed (its workers died max_claims times): the list is
 * RAMP__STATES in core/coreInt.h. docs/platform.md describes the schema and
 * the commands.
 */
#ifndef RAMP_STORE_INT_H
#define RAMP_STORE_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "core/coreInt.h" /* ramp__buf */
#include "ramp/problem.h"
#include "ramp/status.h"

/* ---- back ends ------------------------------------------------------------ */

typedef enum ramp__vtype { RAMP__V_NULL, RAMP__V_INT, RAMP__V_REAL, RAMP__V_TEXT, RAMP__V_BLOB } ramp__vtype;

/* A bound parameter; p is borrowed for the call. TEXT with p NULL is NULL. */
typedef struct ramp__val {
    ramp__vtype t;
    int64_t i;
    double d;
    const void *p;
    size_t n;
} ramp__val;

#define RAMP__INT(x) ((ramp__val){RAMP__V_INT, (int64_t)(x), 0, NULL, 0})
#define RAMP__REAL(x) ((ramp__val){RAMP__V_REAL, 0, (double)(x), NULL, 0})
#define RAMP__TEXT(s) ramp__text_val(s)
static inline ramp__val ramp__text_val(const char *s)
{
    return (ramp__val){s ? RAMP__V_TEXT : RAMP__V_NULL, 0, 0, s, 0};
}
#define RAMP__BLOB(q, len) ((ramp__val){RAMP__V_BLOB, 0, 0, (q), (len)})

/* Every row of a result, copied: cell[r * n_cols + c] is a malloc'd
   NUL-terminated string (numbers as text, blobs as raw bytes with len), or
   NULL for SQL NULL. */
typedef struct ramp__rows {
    int n_rows, n_cols;
    size_t n_cells, cap;
    char **cell;
    size_t *len;
} ramp__rows;

void ramp__rows_clear(ramp__rows *r);
const char *ramp__rows_text(const ramp__rows *r, int row, int col); /* NULL for NULL */
int64_t ramp__rows_int(const ramp__rows *r, int row, int col);     /* 0 for NULL */
double ramp__rows_real(const ramp__rows *r, int row, int col);     /* NaN for NULL */
size_t ramp__rows_len(const ramp__rows *r, int row, int col);      /* bytes in a cell */
/* Appends a cell to a result being built (back ends); -1 when out of memory. */
int ramp__rows_push(ramp__rows *r, const void *data, size_t len, int is_null);

typedef struct ramp__backend {
    const char *name;       /* "sqlite" or "postgresql" */
    const char *serial_pk;  /* a self-numbering primary key column type */
    const char *blob_type;  /* BLOB / BYTEA */
    const char *begin_write;/* starts a transaction that will write */
    const char *skip_locked;/* suffix of the claim's SELECT */
    const char *for_update; /* suffix that locks the selected row */
    const char *migrate_lock; /* statement run first in the migration transaction, or NULL */
    /* Runs one statement with parameters; rows (may be NULL) receives the
       result. On failure a message goes to msg. */
    ramp_status (*query)(void *db, const char *sql, const ramp__val *params, int n_params,
                         ramp__rows *rows, char *msg, size_t msg_len);
    /* Runs several parameterless statements separated by ';'. */
    ramp_status (*script)(void *db, const char *sql, char *msg, size_t msg_len);
    void (*close)(void *db);
} ramp__backend;

ramp_status ramp__sqlite_open(const char *path, const ramp__backend **be, void **db, char *msg,
                              size_t msg_len);
ramp_status ramp__pg_open(const char *conninfo, const ramp__backend **be, void **db, char *msg,
                          size_t msg_len);

/* ---- the store ------------------------------------------------------------- */

#define RAMP__SCHEMA_VERSION 6

typedef struct ramp__store ramp__store;

/* Opens (creating and migrating as needed) the store at `url`: a
   postgresql:// or postgres:// URI, or a SQLite file path. On failure *out
   is NULL and err names the url. The caller closes it. */
ramp_status ramp__store_open(ramp__store **out, const char *url, ramp_err *err);
/* Same, migrating only up to `version` (tests of the migrations). */
ramp_status ramp__store_open_version(ramp__store **out, const char *url, int version,
                                     ramp_err *err);
void ramp__store_close(ramp__store *s);
const char *ramp__store_errmsg(const ramp__store *s);
const char *ramp__store_backend(const ramp__store *s);
int ramp__store_schema_version(ramp__store *s);

/* Low level, for the modules of the store and tests. */
ramp_status ramp__store_query(ramp__store *s, const char *sql, const ramp__val *params, int n,
                              ramp__rows *rows);
ramp_status ramp__store_begin(ramp__store *s);
ramp_status ramp__store_commit(ramp__store *s);
void ramp__store_rollback(ramp__store *s);

/* ---- inside the store's files (store*.c, board*.c) ------------------------- */

struct ramp__store {
    const ramp__backend *be;
    void *db;
    int max_claims; /* a submission whose worker died this many times is not claimed again */
    char msg[1024];
};

/* Formats the handle's message and returns st. */
ramp_status ramp__store_fail(ramp__store *s, ramp_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* One statement with its parameters given inline, on the handle `s` in scope. */
#define Q(sql, ...)                                                                        \
    ramp__store_query(s, sql, (const ramp__val[]){__VA_ARGS__},                            \
                      (int)(sizeof((const ramp__val[]){__VA_ARGS__}) / sizeof(ramp__val)), \
                      NULL)
#define QR(rows, sql, ...)                                                                 \
    ramp__store_query(s, sql, (const ramp__val[]){__VA_ARGS__},                            \
                      (int)(sizeof((const ramp__val[]){__VA_ARGS__}) / sizeof(ramp__val)), \
                      rows)

/* Wall-clock time in seconds since the epoch. */
double ramp__wall_now(void);

/* SHA-256 of data as 64 lowercase hex digits (hex: 65 bytes). */
void ramp__sha256_hex(char *hex, const void *data, size_t len);

/* ---- the event -------------------------------------------------------------- */

typedef struct ramp__event {
    char *title, *kit_dir, *data_dir, *problem_ini;
    double min_gap_s;
    double combined_valid, combined_test, foldwise_best_valid, foldwise_best_test; /* NaN: none */
    ramp_problem *problem; /* parsed problem_ini */
    int revealed;          /* the organiser has made the test scores public */
} ramp__event;

/* Registers or updates the event: kit_dir/problem.ini is read and stored;
   data_dir NULL keeps the old one (or KIT/data). */
ramp_status ramp__store_event_set(ramp__store *s, const char *kit_dir, const char *data_dir,
                                  double min_gap_s);
/* RAMP_ENOENT when no event is registered. The caller clears *ev. */
ramp_status ramp__store_event_get(ramp__store *s, ramp__event *ev);
void ramp__event_clear(ramp__event *ev);

/* ---- the organiser -------------------------------------------------------------- */

/* A fresh organiser token written into token (65 bytes), stored hashed in
   the event (the token itself is never stored); it replaces the previous
   one. ENOENT when no event is registered. HTTP requests bearing it see the
   test scores and the private and competition views before the reveal. */
ramp_status ramp__store_admin_token(ramp__store *s, char *token);
/* *yes = 1 when token (borrowed; NULL or "" is no token) is the organiser's. */
ramp_status ramp__store_is_admin(ramp__store *s, const char *token, int *yes);
/* Makes the test scores and the private and competition views public
   (revealed 1) or the organiser's again (0). ENOENT when no event. */
ramp_status ramp__store_reveal(ramp__store *s, int revealed);
ramp_status ramp__store_revealed(ramp__store *s, int *revealed);

/* ---- participants' web sessions ---------------------------------------------------- */

/* A new session for team_id, valid ttl_s seconds: its id (64 hex digits,
   the cookie's value) is written into sid (65 bytes) and stored hashed.
   Expired sessions are removed on the way. */
ramp_status ramp__store_session_new(ramp__store *s, int64_t team_id, double ttl_s, char *sid);
/* The team of a live session: ENOENT when sid (borrowed) is unknown or
   expired. team (may be NULL) receives a malloc'd copy of its name. */
ramp_status ramp__store_session_team(ramp__store *s, const char *sid, int64_t *team_id,
                                     char **team);
/* Ends the session (log out); an unknown one is not an error. */
ramp_status ramp__store_session_end(ramp__store *s, const char *sid);
/* The session's CSRF token (65 bytes): SHA-256 of a label and the session
   id, so it is never stored and only the session's holder can know it. */
void ramp__session_csrf(char *csrf, const char *sid);
/* n_bytes (at most 64) random bytes from /dev/urandom as 2·n_bytes hex
   digits and a NUL in hex. */
ramp_status ramp__random_hex(char *hex, size_t n_bytes);

/* ---- teams ------------------------------------------------------------------- */

/* Adds team `name` with a fresh token written into token (65 bytes) and
   stored hashed; EDUP when it exists. token may be NULL: no token. */
ramp_status ramp__store_team_add(ramp__store *s, const char *name, char *token);
/* The team id of `name`, creating the team (without a token) if create. */
ramp_status ramp__store_team_id(ramp__store *s, const char *name, int create, int64_t *id);
/* The team whose token this is: ENOENT when none (the token is hashed and
   compared; it is never stored). name (may be NULL) receives a malloc'd copy. */
ramp_status ramp__store_team_by_token(ramp__store *s, const char *token, int64_t *id, char **name);

/* ---- submissions ---------------------------------------------------------------- */

typedef struct ramp__file {
    char *name;
    uint8_t *data;
    size_t len;
} ramp__file;

void ramp__files_free(ramp__file *f, size_t n);

/* Limits on a submission's files. */
#define RAMP__SUB_MAX_FILES 16
#define RAMP__SUB_MAX_FILE (1u << 20)
#define RAMP__SUB_MAX_TOTAL (4u << 20)

/* Reads the regular files at the top of `dir` (not dot files) within the
   limits above. The caller frees with ramp__files_free. */
ramp_status ramp__files_read_dir(const char *dir, ramp__file **files, size_t *n, ramp_err *err);
/* Writes files into dir (created). */
ramp_status ramp__files_write_dir(const char *dir, const ramp__file *files, size_t n,
                                  ramp_err *err);
/* Checks a submission name: 1-64 of [A-Za-z0-9_.-], not starting with '.'. */
int ramp__name_ok(const char *name);

/* Stores a new submission (state new): EDUP when the team already has a
   live or scored one of that name (a failed one of that name is replaced),
   ETOOSOON (with the seconds to wait) when the event's minimum gap since the
   team's last submission has not passed. *id receives its id. */
ramp_status ramp__store_submit(ramp__store *s, int64_t team_id, const char *name,
                               const ramp__file *files, size_t n_files, int64_t *id);

typedef struct ramp__claim {
    int64_t id;
    char *team, *name;
    ramp__file *files;
    size_t n_files;
    int n_claims;
} ramp__claim;
void ramp__claim_clear(ramp__claim *c);

/* Claims are capped: a claim whose lease expired is a worker that died.
   A submission whose workers died max_claims times (counting the expired
   claim at hand; releases do not count) is not claimed again: the claim
   turns it into worker_killed, its last log (ramp__store_log) kept below the
   reason, and goes on to the next one. */
#define RAMP__DEFAULT_MAX_CLAIMS 3
/* Sets this handle's cap (n >= 1, else EINVAL); default 3. */
ramp_status ramp__store_set_max_claims(ramp__store *s, int n);

/* Atomically claims the oldest submission that is new, or in training under
   an expired lease, for `worker` until now + lease_s. ENOENT when there is
   none; *busy (may be NULL) then says how many are in training under a live
   lease. */
ramp_status ramp__store_claim(ramp__store *s, const char *worker, double lease_s, ramp__claim *c,
                              int *busy);
/* Extends the lease; ELEASE when the worker no longer holds it. */
ramp_status ramp__store_renew(ramp__store *s, int64_t id, const char *worker, double lease_s);
/* Gives the claim back at once (a worker stopped by SIGTERM/SIGINT): the
   submission is new again, its lease cleared, and the release does not
   count toward the cap. Only while `worker` holds it (ELEASE otherwise:
   nothing changes). */
ramp_status ramp__store_release(ramp__store *s, int64_t id, const char *worker);
/* Stores the running log (borrowed; its last RAMP__LOG_MAX bytes) while
   `worker` holds the claim (ELEASE otherwise), so that a submission
   whose worker dies keeps the log of its last run. */
#define RAMP__LOG_MAX (256u << 10)
ramp_status ramp__store_log(ramp__store *s, int64_t id, const char *worker, const char *log);

/* Results of one training. scores[fold][step][score]: fold n_folds is the
   bag; step 0 train, 1 valid, 2 test; NaN when missing. */
typedef struct ramp__result {
    const char *state; /* "tested" or an error state */
    const char *log;   /* the run's output (may be NULL) */
    int n_folds, n_scores;
    const char *const *score_names;
    const double *scores; /* [(n_folds + 1) * 3 * n_scores] */
    const double *times;  /* [n_folds * 3] train, valid, test */
    long max_rss_kb;
    /* per fold .npy bytes (may be NULL on error) */
    const uint8_t *const *valid_pred, *const *valid_idx, *const *test_pred;
    const size_t *valid_pred_len, *valid_idx_len, *test_pred_len;
    /* detection and segmentation: a few test images with the bag's
       predictions (store_preview.c); may be NULL */
    const struct ramp__preview *preview;
    size_t n_preview;
} ramp__result;

/* ---- previews (store_preview.c) ----------------------------------------------------- */

/* One test image of a finished detection or segmentation submission, as the
   worker stores it: the image's bytes (copied into the blob table, so the
   server never opens a path), and the bag's predictions: dets, one line
   per object "class confidence g0 g1 g2 g3" (%.9g, original-image pixels;
   box x0 y0 x1 y1, circle x y r 0), or mask, the class map as an 8-bit
   gray PNG of the image's size. classes: the kit's class names, one a
   line. */
#define RAMP__PREVIEW_N 6             /* images per submission */
#define RAMP__PREVIEW_MIN_CONF 0.3    /* objects shown */
#define RAMP__PREVIEW_MAX_OBJECTS 50  /* per image */
#define RAMP__PREVIEW_MAX_IMAGE (8u << 20)
typedef struct ramp__preview {
    const char *name; /* the test row's id */
    int width, height;
    const char *type; /* MIME type of bytes */
    const uint8_t *bytes;
    size_t len;
    int geometry;     /* detection: 0 box, 1 circle; -1 segmentation */
    const char *dets; /* detection (may be "") */
    const uint8_t *mask, *overlay; /* segmentation: the class map; its colour overlay
                                      (RGBA PNG, ramp__preview_colour) */
    size_t mask_len, overlay_len;
    const char *classes;
} ramp__preview;

/* Inserts the previews of submission id (inside ramp__store_finish's
   transaction). */
ramp_status ramp__preview_insert(ramp__store *s, int64_t id, const ramp__preview *p, size_t n);
/* The preview section of submission id's page (nothing when it has none):
   each image inside an inline SVG, the objects drawn as rect or circle
   elements with their class name and confidence, or the mask as a second
   image (ramp__preview_file's colour overlay). */
ramp_status ramp__preview_html(ramp__store *s, int64_t id, ramp__buf *out);
/* A preview's image (overlay 0: its stored bytes) or its mask's colour
   overlay (overlay 1, a PNG). ENOENT when there is none. */
ramp_status ramp__preview_file(ramp__store *s, int64_t id, int pos, int overlay, char **type,
                               uint8_t **bytes, size_t *len);
/* The overlay colour of class k (RGBA; void, 255, is transparent). */
void ramp__preview_colour(int k, uint8_t rgba[4]);
/* The team that made submission id (ENOENT when none). */
ramp_status ramp__sub_team(ramp__store *s, int64_t id, int64_t *team_id);

/* Stores the results and the new state in one transaction, if `worker`
   still holds the claim (ELEASE otherwise). */
ramp_status ramp__store_finish(ramp__store *s, int64_t id, const char *worker,
                               const ramp__result *r);

/* Recomputes the blend over every tested or scored submission: combined
   scores, contributivities, historical contributivities; tested becomes
   scored. y_train/y_test: the kit's labels (train.csv, test.csv). */
ramp_status ramp__store_blend(ramp__store *s, const ramp_problem *pb, const int32_t *y_train,
                              size_t n_train, const int32_t *y_test, size_t n_test);

/* Counts of submissions per state (for tests and the worker's --drain). */
ramp_status ramp__store_count(ramp__store *s, const char *state, int64_t *n);

/* ---- leaderboard (board.c) ---------------------------------------------------------- */

typedef enum ramp__view { RAMP__VIEW_PUBLIC, RAMP__VIEW_PRIVATE, RAMP__VIEW_COMPETITION } ramp__view;

typedef struct ramp__board_row {
    int64_t id;
    char *team, *name, *state;
    double contributivity, historical; /* NaN when not blended */
    double *scores;                    /* [n_scores] bagged: valid (public) or test */
    double train_time, valid_time, test_time; /* sums over folds */
    double max_ram_mb;
    double submitted_at;
    int n_claims;
} ramp__board_row;

typedef struct ramp__board {
    ramp__view view;
    int see_test;       /* built for a reader who may see test scores */
    char *title;
    int n_scores;
    char **score_names;
    int *lower_is_better;
    int *precision;
    double combined, foldwise_best; /* on the view's split */
    ramp__board_row *rows;          /* ranked rows (scored only) */
    int n_rows;
    ramp__board_row *all;           /* every submission, by id */
    int n_all;
} ramp__board;

/* Builds the board for the organiser (the command line: whoever holds the
   store sees everything). */
ramp_status ramp__board_build(ramp__store *s, ramp__view view, ramp__board *b);
/* Same, for a reader who may see test scores (see_test: the organiser, or
   anyone after the reveal) or not: then only the public view (EINVAL for the
   private and competition views) and no link to them. */
ramp_status ramp__board_build_as(ramp__store *s, ramp__view view, int see_test, ramp__board *b);
void ramp__board_clear(ramp__board *b);
const char *ramp__view_name(ramp__view v);
int ramp__view_parse(const char *s, ramp__view *v);

void ramp__board_table(const ramp__board *b, ramp__buf *out);
void ramp__board_csv(const ramp__board *b, ramp__buf *out);
void ramp__board_json(const ramp__board *b, ramp__buf *out);
void ramp__board_html(const ramp__board *b, ramp__buf *out);
void ramp__board_svg(const ramp__board *b, ramp__buf *out);

/* One submission's page and JSON: per-fold scores, log, learning curve.
   ENOENT when there is no such id. Test scores (per fold, bagged, the log's
   test rows) only when see_test; the log never shows server paths. */
ramp_status ramp__sub_page_html_as(ramp__store *s, int64_t id, int see_test, ramp__buf *out);
/* Same, with the preview section (ramp__preview_html) when preview. */
ramp_status ramp__sub_page_html_ex(ramp__store *s, int64_t id, int see_test, int preview,
                                   ramp__buf *out);
ramp_status ramp__sub_json_as(ramp__store *s, int64_t id, int see_test, ramp__buf *out);

/* A team's own page (`GET /my`): a log-out form and an upload form
   carrying csrf, a link to the labelling page while it is on, its
   submissions (newest first) with state, public
   (validation, bagged) scores and, for failed ones, the error log as the
   public may read it. notice (may be NULL) is shown on top, escaped. */
ramp_status ramp__team_page_html(ramp__store *s, int64_t team_id, const char *team,
                                 const char *csrf, int see_test, const char *notice,
                                 ramp__buf *out);
/* The log-in form (`GET /login`), carrying csrf; notice as above. */
void ramp__login_page_html(const char *csrf, const char *notice, ramp__buf *out);

/* Appends log as the public may read it: each absolute path is cut to its
   last component ("/srv/k/data/" → "data/"), and unless see_test, each row of
   test scores (a line whose first word is "test") is replaced by a note. */
void ramp__log_public(ramp__buf *out, const char *log, int see_test);

/* ---- the labelling pool (store_label.c, label_json.c) ------------------------------ */

/* The organiser registers a pool of images (`ramp label add`); logged-in
   teams draw shapes on them in the server's labelling page while the
   organiser has it on; every save is kept (who, when, what), the latest
   save of an image wins; `ramp label export` writes the kit's files. The
   images are stored as bytes (blob table): the server serves an image by
   its id from the pool, never a path. */

typedef enum ramp__geom { RAMP__GEOM_BOX, RAMP__GEOM_CIRCLE, RAMP__GEOM_POLYGON } ramp__geom;

#define RAMP__LABEL_MAX_IMAGE (32u << 20)   /* bytes of one image */
#define RAMP__LABEL_MAX_IMAGES 100000       /* images in the pool */
#define RAMP__LABEL_MAX_SHAPES 1000         /* cap on max_shapes */
#define RAMP__LABEL_MAX_VERTICES 256        /* of one polygon */
#define RAMP__LABEL_MAX_POINTS 20000        /* numbers in one save */
#define RAMP__LABEL_MAX_BODY (1u << 20)     /* bytes of a save's JSON body */
#define RAMP__LABEL_MAX_CLASSES 256
#define RAMP__LABEL_KEEP_SAVES 100          /* history kept per image */

/* "box", "circle", "polygon"; parse: 0 or -1. */
const char *ramp__geom_name(ramp__geom g);
int ramp__geom_parse(const char *s, ramp__geom *g);

typedef struct ramp__label_set {
    char *title;
    char **classes; /* n_classes names */
    int n_classes;
    ramp__geom geometry;
    int max_shapes; /* per image */
    int enabled;    /* the page is on */
    int n_images, n_labelled;
} ramp__label_set;

/* Defines (or redefines) the pool's title, class names (borrowed), geometry
   and cap on shapes per image. EINVAL for bad values, or when labels of
   another geometry are already saved. */
ramp_status ramp__label_set_define(ramp__store *s, const char *title, const char *const *classes,
                                   int n_classes, ramp__geom geometry, int max_shapes);
/* ENOENT when no pool is defined. The caller clears ls. */
ramp_status ramp__label_set_get(ramp__store *s, ramp__label_set *ls);
void ramp__label_set_clear(ramp__label_set *ls);
/* Turns the labelling page on or off (ENOENT when no pool). */
ramp_status ramp__label_enable(ramp__store *s, int on);

/* An id of the pool: 1 to 128 of A-Z a-z 0-9 _ . - (not starting with .). */
int ramp__label_id_ok(const char *id);
/* Adds an image (bytes copied into the store) of width × height pixels,
   type its MIME type. EDUP when the id is in the pool, EINVAL for a bad id,
   ETOOBIG past the limits above. */
ramp_status ramp__label_image_add(ramp__store *s, const char *id, const void *bytes, size_t len,
                                  int width, int height, const char *type);

typedef struct ramp__label_image {
    char *id;
    int width, height;
    int labelled; /* saved at least once */
} ramp__label_image;
/* The pool in the order it was added. The caller frees with
   ramp__label_images_free. */
ramp_status ramp__label_images(ramp__store *s, ramp__label_image **out, size_t *n);
void ramp__label_images_free(ramp__label_image *im, size_t n);
/* One image of the pool: size, type (malloc'd) and, when bytes is not NULL,
   its bytes (malloc'd). ENOENT when id is not in the pool. */
ramp_status ramp__label_image_get(ramp__store *s, const char *id, int *width, int *height,
                                  char **type, uint8_t **bytes, size_t *len);

/* Stores a save: the image's shapes as canonical JSON (ramp__shapes_json),
   by team_id (0: the organiser) named labeller, now. ENOENT when id is not
   in the pool. History is kept: the image's last RAMP__LABEL_KEEP_SAVES
   saves (older ones are removed in the same transaction, so that a
   labeller saving in a loop cannot grow the store without bound). */
ramp_status ramp__label_save(ramp__store *s, const char *id, int64_t team_id,
                             const char *labeller, const char *shapes_json);
/* The latest save of id: shapes JSON, labeller (malloc'd) and time. ENOENT
   when the image was never saved. */
ramp_status ramp__label_latest(ramp__store *s, const char *id, char **shapes_json,
                               char **labeller, double *at);

typedef struct ramp__label_row {
    char *id;
    int width, height;
    char *shapes;   /* the latest save's JSON, NULL when never saved */
    char *labeller; /* NULL when never saved */
    double at;
} ramp__label_row;
/* Every image of the pool (in order) with its latest save. The caller frees
   with ramp__label_rows_free. */
ramp_status ramp__label_export(ramp__store *s, ramp__label_row **out, size_t *n);
void ramp__label_rows_free(ramp__label_row *r, size_t n);
/* How many saves the store holds (all history). */
ramp_status ramp__label_count_saves(ramp__store *s, int64_t *n);

/* ---- shapes, as the page sends them (label_json.c) ---- */

typedef struct ramp__shape {
    int cls;
    ramp__geom kind;
    int n;       /* numbers: box 4 (x0 y0 x1 y1), circle 3 (x y r), polygon 2·vertices */
    double *v;   /* into ramp__shapes.v */
} ramp__shape;

typedef struct ramp__shapes {
    ramp__shape *s;
    int n;
    double *v; /* every number, shape after shape */
    int n_v;
} ramp__shapes;
void ramp__shapes_clear(ramp__shapes *sh);

/* Parses a save's body, strict JSON: {"id": "ID", "shapes": [SHAPE, ...]}
   with SHAPE {"class": K, "box": [x0, y0, x1, y1]} or "circle": [x, y, r]
   or "polygon": [x0, y0, x1, y1, ...]. id (may be NULL: then the body is the
   array of shapes alone) receives the id (129 bytes). Numbers must be
   finite; no unknown or repeated keys, no string escapes, nesting and sizes
   bounded (RAMP__LABEL_MAX_*). On failure msg says what and where (byte
   offset). EPARSE, ETOOBIG, ERANGE, ENOMEM. */
ramp_status ramp__shapes_parse(const char *json, size_t len, char *id, ramp__shapes *out,
                               char *msg, size_t msg_len);
/* Checks shapes against the pool and an image of width × height: the pool's
   geometry only, classes in [0, n_classes), at most max_shapes, boxes with
   0 <= x0 < x1 <= width (and y), circles centred inside with 0 < r <=
   max(width, height), polygons of 3 to RAMP__LABEL_MAX_VERTICES vertices
   inside. EINVAL with msg naming the shape. */
ramp_status ramp__shapes_check(const ramp__shapes *sh, const ramp__label_set *ls, int width,
                               int height, char *msg, size_t msg_len);
/* Appends the shapes as the canonical JSON array ("%.9g" numbers). */
void ramp__shapes_json(ramp__buf *out, const ramp__shapes *sh);

/* ---- shared by the leaderboard's files (board.c, board_html.c, board_svg.c) ---- */

/* The cells of a row (strings), shared by the table, CSV and HTML. */
typedef struct ramp__board_cells {
    char v[64][64];
    int n;
} ramp__board_cells;

void ramp__board_row_cells(const ramp__board *b, const ramp__board_row *r, int rank,
                           ramp__board_cells *c);
void ramp__board_header_cells(const ramp__board *b, ramp__board_cells *c);
/* "validation" for the public view, else "test". */
const char *ramp__view_split(ramp__view v);
/* t as "YYYY-MM-DD HH:MM:SS" (UTC); v with prec decimals; "-" when not finite. */
void ramp__fmt_time(char *out, size_t n, double t);
void ramp__fmt_num(char *out, size_t n, double v, int prec);

/* One submission's row and its scores (test ones only when see_test). */
typedef struct ramp__board_sub {
    ramp__rows head, scores;
} ramp__board_sub;
ramp_status ramp__board_sub_load(ramp__store *s, int64_t id, int see_test, ramp__board_sub *si);
void ramp__board_sub_free(ramp__board_sub *si);

/* The learning curves of a log (its "fold K epoch E: ... loss X" lines) as
   an SVG plot, or a note when it has none. */
void ramp__learning_curve_svg(const char *log, ramp__buf *out);

#endif
