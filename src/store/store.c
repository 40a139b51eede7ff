/* store.c — the submission store's shared logic over either back end:
 * result rows, transactions, and opening and migrating the schema. The rest
 * is one file per concern: the event, teams and sessions (store_team.c),
 * submission files (store_files.c), submissions, claims and results
 * (store_submit.c), the blend (store_blend.c), the leaderboard (board*.c).
 *
 * Every change runs in one transaction opened with the back end's
 * begin_write (SQLite: BEGIN IMMEDIATE, which takes the write lock at once;
 * PostgreSQL: BEGIN, with row locks): a process killed at any moment leaves
 * the change undone, never half done. The claim selects the oldest
 * submission that is new or whose lease has expired, and in PostgreSQL skips
 * rows another worker has locked, so two workers never claim the same one.
 * Results are stored only while the worker still holds the claim, so a
 * worker whose lease was taken over cannot overwrite its successor's work.
 *
 * Timestamps are the client's wall clock in seconds since the epoch: leases
 * across hosts assume clocks within a second or so of each other.
 */
#define _DEFAULT_SOURCE /* clock_gettime */
#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/coreInt.h"
#include "ramp/blend.h"
#include "ramp/npy.h"
#include "ramp/score.h"
#include "store/storeInt.h"


/* ---- rows ------------------------------------------------------------------ */

void ramp__rows_clear(ramp__rows *r)
{
    if (!r) return;
    for (size_t i = 0; r->cell && i < r->n_cells; i++) free(r->cell[i]);
    free(r->cell);
    free(r->len);
    memset(r, 0, sizeof *r);
}

int ramp__rows_push(ramp__rows *r, const void *data, size_t len, int is_null)
{
    if (r->n_cells == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        char **nc = realloc(r->cell, cap * sizeof *nc);
        if (!nc) return -1;
        r->cell = nc;
        size_t *nl = realloc(r->len, cap * sizeof *nl);
        if (!nl) return -1;
        r->len = nl;
        r->cap = cap;
    }
    char *c = NULL;
    if (!is_null) {
        c = malloc(len + 1);
        if (!c) return -1;
        if (len) memcpy(c, data, len);
        c[len] = '\0';
    }
    r->cell[r->n_cells] = c;
    r->len[r->n_cells] = is_null ? 0 : len;
    r->n_cells++;
    return 0;
}

const char *ramp__rows_text(const ramp__rows *r, int row, int col)
{
    if (!r || row < 0 || row >= r->n_rows || col < 0 || col >= r->n_cols) return NULL;
    return r->cell[(size_t)row * (size_t)r->n_cols + (size_t)col];
}

size_t ramp__rows_len(const ramp__rows *r, int row, int col)
{
    if (row < 0 || row >= r->n_rows || col < 0 || col >= r->n_cols) return 0;
    return r->len[(size_t)row * (size_t)r->n_cols + (size_t)col];
}

int64_t ramp__rows_int(const ramp__rows *r, int row, int col)
{
    const char *s = ramp__rows_text(r, row, col);
    return s ? strtoll(s, NULL, 10) : 0;
}

double ramp__rows_real(const ramp__rows *r, int row, int col)
{
    const char *s = ramp__rows_text(r, row, col);
    return s && *s ? strtod(s, NULL) : NAN;
}

/* ---- small helpers -------------------------------------------------------------- */

double ramp__wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void ramp__sha256_hex(char *hex, const void *data, size_t len)
{
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, data);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, d);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) sprintf(hex + 2 * i, "%02x", d[i]);
    hex[64] = '\0';
}

ramp_status ramp__store_fail(ramp__store *s, ramp_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->msg, sizeof s->msg, fmt, ap);
    va_end(ap);
    return st;
}

ramp_status ramp__store_query(ramp__store *s, const char *sql, const ramp__val *params, int n,
                              ramp__rows *rows)
{
    return s->be->query(s->db, sql, params, n, rows, s->msg, sizeof s->msg);
}

ramp_status ramp__store_begin(ramp__store *s)
{
    return ramp__store_query(s, s->be->begin_write, NULL, 0, NULL);
}

ramp_status ramp__store_commit(ramp__store *s)
{
    return ramp__store_query(s, "COMMIT", NULL, 0, NULL);
}

void ramp__store_rollback(ramp__store *s)
{
    char keep[sizeof s->msg];
    memcpy(keep, s->msg, sizeof keep);
    ramp__store_query(s, "ROLLBACK", NULL, 0, NULL);
    memcpy(s->msg, keep, sizeof keep);
}

const char *ramp__store_errmsg(const ramp__store *s)
{
    return s ? s->msg : "no store";
}

const char *ramp__store_backend(const ramp__store *s)
{
    return s->be->name;
}

/* ---- schema and migrations ------------------------------------------------------- */

/* Migration i takes the schema from version i to i + 1. {SERIAL} and {BLOB}
   are replaced by the back end's spelling. Never edit a released one: add
   the next. */
static const char *const migrations[RAMP__SCHEMA_VERSION] = {
    /* 1: the base schema */
    "CREATE TABLE event (id INTEGER PRIMARY KEY, title TEXT NOT NULL, kit_dir TEXT NOT NULL,"
    " data_dir TEXT NOT NULL, problem_ini TEXT NOT NULL,"
    " min_gap_s DOUBLE PRECISION NOT NULL DEFAULT 0,"
    " combined_valid DOUBLE PRECISION, combined_test DOUBLE PRECISION,"
    " foldwise_best_valid DOUBLE PRECISION, foldwise_best_test DOUBLE PRECISION,"
    " n_blends BIGINT NOT NULL DEFAULT 0, created_at DOUBLE PRECISION NOT NULL);"
    "CREATE TABLE team (id {SERIAL}, name TEXT NOT NULL UNIQUE, token_hash TEXT UNIQUE,"
    " created_at DOUBLE PRECISION NOT NULL);"
    "CREATE TABLE blob (hash TEXT PRIMARY KEY, size BIGINT NOT NULL, data {BLOB} NOT NULL);"
    "CREATE TABLE submission (id {SERIAL}, team_id BIGINT NOT NULL REFERENCES team(id),"
    " name TEXT NOT NULL, state TEXT NOT NULL, submitted_at DOUBLE PRECISION NOT NULL,"
    " claimed_by TEXT, claimed_until DOUBLE PRECISION, n_claims BIGINT NOT NULL DEFAULT 0,"
    " started_at DOUBLE PRECISION, finished_at DOUBLE PRECISION, log TEXT,"
    " train_time DOUBLE PRECISION, valid_time DOUBLE PRECISION, test_time DOUBLE PRECISION,"
    " max_rss_kb BIGINT, contributivity DOUBLE PRECISION,"
    " hist_sum DOUBLE PRECISION NOT NULL DEFAULT 0, hist_n BIGINT NOT NULL DEFAULT 0,"
    " UNIQUE (team_id, name));"
    "CREATE TABLE submission_file (submission_id BIGINT NOT NULL REFERENCES submission(id)"
    " ON DELETE CASCADE, path TEXT NOT NULL, hash TEXT NOT NULL REFERENCES blob(hash),"
    " PRIMARY KEY (submission_id, path));"
    "CREATE TABLE score (submission_id BIGINT NOT NULL REFERENCES submission(id)"
    " ON DELETE CASCADE, fold INTEGER NOT NULL, step TEXT NOT NULL, name TEXT NOT NULL,"
    " value DOUBLE PRECISION, PRIMARY KEY (submission_id, fold, step, name));"
    "CREATE TABLE prediction (submission_id BIGINT NOT NULL REFERENCES submission(id)"
    " ON DELETE CASCADE, fold INTEGER NOT NULL, kind TEXT NOT NULL, npy {BLOB} NOT NULL,"
    " PRIMARY KEY (submission_id, fold, kind));",
    /* 2: a log of every claim (who trained what, when), and the claim's index */
    "CREATE TABLE claim_log (submission_id BIGINT NOT NULL REFERENCES submission(id)"
    " ON DELETE CASCADE, worker TEXT NOT NULL, at DOUBLE PRECISION NOT NULL);"
    "CREATE INDEX submission_state ON submission (state, submitted_at);",
    /* 3: what is public (the organiser's token, the reveal of the test
       scores), releases that do not count as a worker's death */
    "ALTER TABLE event ADD COLUMN revealed INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE event ADD COLUMN admin_token_hash TEXT;"
    "ALTER TABLE submission ADD COLUMN n_released BIGINT NOT NULL DEFAULT 0;",
    /* 4: participants' web sessions (the SHA-256 of the session id only) */
    "CREATE TABLE session (token_hash TEXT PRIMARY KEY, team_id BIGINT NOT NULL"
    " REFERENCES team(id) ON DELETE CASCADE, created_at DOUBLE PRECISION NOT NULL,"
    " expires_at DOUBLE PRECISION NOT NULL);",
    /* 5: the labelling pool (one row of settings), its images (bytes in
       blob), and every save of an image's shapes (history; the latest wins) */
    "CREATE TABLE label_set (id INTEGER PRIMARY KEY, title TEXT NOT NULL, classes TEXT NOT NULL,"
    " geometry TEXT NOT NULL, max_shapes INTEGER NOT NULL, enabled INTEGER NOT NULL DEFAULT 0,"
    " created_at DOUBLE PRECISION NOT NULL);"
    "CREATE TABLE label_image (pos {SERIAL}, name TEXT NOT NULL UNIQUE, width INTEGER NOT NULL,"
    " height INTEGER NOT NULL, type TEXT NOT NULL, hash TEXT NOT NULL REFERENCES blob(hash),"
    " added_at DOUBLE PRECISION NOT NULL);"
    "CREATE TABLE label (id {SERIAL}, image_pos BIGINT NOT NULL REFERENCES label_image(pos)"
    " ON DELETE CASCADE, team_id BIGINT, labeller TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,"
    " shapes TEXT NOT NULL);"
    "CREATE INDEX label_image_pos ON label (image_pos, id);",
    /* 6: a few test images of a detection or segmentation submission with
       its bag's predictions (bytes in blob) */
    "CREATE TABLE preview (submission_id BIGINT NOT NULL REFERENCES submission(id)"
    " ON DELETE CASCADE, pos INTEGER NOT NULL, name TEXT NOT NULL, width INTEGER NOT NULL,"
    " height INTEGER NOT NULL, type TEXT NOT NULL, hash TEXT NOT NULL REFERENCES blob(hash),"
    " geometry INTEGER NOT NULL, dets TEXT, mask {BLOB}, overlay {BLOB}, classes TEXT NOT NULL,"
    " PRIMARY KEY (submission_id, pos));",
};

static char *expand(const ramp__backend *be, const char *sql)
{
    ramp__buf b = {0};
    for (const char *p = sql; *p;) {
        if (!strncmp(p, "{SERIAL}", 8)) {
            ramp__buf_puts(&b, be->serial_pk);
            p += 8;
        } else if (!strncmp(p, "{BLOB}", 6)) {
            ramp__buf_puts(&b, be->blob_type);
            p += 6;
        } else {
            ramp__buf_put(&b, p++, 1);
        }
    }
    if (b.oom) {
        ramp__buf_free(&b);
        return NULL;
    }
    ramp__buf_put(&b, "", 1);
    return b.p;
}

int ramp__store_schema_version(ramp__store *s)
{
    ramp__rows r;
    if (ramp__store_query(s, "SELECT MAX(version) FROM schema_version", NULL, 0, &r)) return -1;
    int v = r.n_rows ? (int)ramp__rows_int(&r, 0, 0) : 0;
    ramp__rows_clear(&r);
    return v;
}

static ramp_status migrate(ramp__store *s, int target)
{
    ramp_status st = s->be->script(s->db,
                                   "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER "
                                   "NOT NULL, applied_at DOUBLE PRECISION NOT NULL)",
                                   s->msg, sizeof s->msg);
    if (st) return st;
    if ((st = ramp__store_begin(s))) return st;
    if (s->be->migrate_lock && (st = ramp__store_query(s, s->be->migrate_lock, NULL, 0, NULL)))
        goto fail;
    int v = ramp__store_schema_version(s);
    if (v < 0) {
        st = RAMP_EIO;
        goto fail;
    }
    if (v > RAMP__SCHEMA_VERSION) {
        st = ramp__store_fail(s, RAMP_EUNSUPPORTED,
                     "the store's schema is version %d, newer than this tool's %d: upgrade ramp",
                     v, RAMP__SCHEMA_VERSION);
        goto fail;
    }
    for (; v < target; v++) {
        char *sql = expand(s->be, migrations[v]);
        if (!sql) {
            st = ramp__store_fail(s, RAMP_ENOMEM, "out of memory");
            goto fail;
        }
        st = s->be->script(s->db, sql, s->msg, sizeof s->msg);
        free(sql);
        if (!st)
            st = Q("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                   RAMP__INT(v + 1), RAMP__REAL(ramp__wall_now()));
        if (st) {
            char m[sizeof s->msg];
            snprintf(m, sizeof m, "%s", s->msg);
            ramp__store_fail(s, st, "migration to schema version %d: %s", v + 1, m);
            goto fail;
        }
    }
    return ramp__store_commit(s);
fail:
    ramp__store_rollback(s);
    return st;
}

ramp_status ramp__store_open_version(ramp__store **out, const char *url, int version,
                                     ramp_err *err)
{
    *out = NULL;
    if (!url || !*url) return ramp__err_set(err, RAMP_EINVAL, "no store given (--db)");
    ramp__store *s = calloc(1, sizeof *s);
    if (!s) return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    s->max_claims = RAMP__DEFAULT_MAX_CLAIMS;
    ramp_status st;
    if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11))
        st = ramp__pg_open(url, &s->be, &s->db, s->msg, sizeof s->msg);
    else
        st = ramp__sqlite_open(url, &s->be, &s->db, s->msg, sizeof s->msg);
    if (!st) st = migrate(s, version);
    if (st) {
        ramp__err_set(err, st, "%s", s->msg);
        ramp__store_close(s);
        return st;
    }
    *out = s;
    return RAMP_OK;
}

ramp_status ramp__store_open(ramp__store **out, const char *url, ramp_err *err)
{
    return ramp__store_open_version(out, url, RAMP__SCHEMA_VERSION, err);
}

void ramp__store_close(ramp__store *s)
{
    if (!s) return;
    if (s->db) s->be->close(s->db);
    free(s);
}
