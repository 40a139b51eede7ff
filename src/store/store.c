/* store.c — the submission store's shared logic over either back end:
 * opening and migrating the schema, the event, teams, submissions and their
 * content-addressed files, claims under a lease, results, and the blend that
 * gives the combined score and the contributivities.
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
#define _DEFAULT_SOURCE /* realpath */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/coreInt.h"
#include "ramp/blend.h"
#include "ramp/npy.h"
#include "ramp/score.h"
#include "store/storeInt.h"

struct ramp__store {
    const ramp__backend *be;
    void *db;
    int max_claims; /* a submission whose worker died this many times is not claimed again */
    char msg[1024];
};

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

static size_t rows_len(const ramp__rows *r, int row, int col)
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

static ramp_status set_msg(ramp__store *s, ramp_status st, const char *fmt, ...)
    RAMP__PRINTF(3, 4);
static ramp_status set_msg(ramp__store *s, ramp_status st, const char *fmt, ...)
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

#define Q(sql, ...)                                                                        \
    ramp__store_query(s, sql, (const ramp__val[]){__VA_ARGS__},                            \
                      (int)(sizeof((const ramp__val[]){__VA_ARGS__}) / sizeof(ramp__val)), \
                      NULL)
#define QR(rows, sql, ...)                                                                 \
    ramp__store_query(s, sql, (const ramp__val[]){__VA_ARGS__},                            \
                      (int)(sizeof((const ramp__val[]){__VA_ARGS__}) / sizeof(ramp__val)), \
                      rows)

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
        st = set_msg(s, RAMP_EUNSUPPORTED,
                     "the store's schema is version %d, newer than this tool's %d: upgrade ramp",
                     v, RAMP__SCHEMA_VERSION);
        goto fail;
    }
    for (; v < target; v++) {
        char *sql = expand(s->be, migrations[v]);
        if (!sql) {
            st = set_msg(s, RAMP_ENOMEM, "out of memory");
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
            set_msg(s, st, "migration to schema version %d: %s", v + 1, m);
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

/* ---- the event ---------------------------------------------------------------------- */

void ramp__event_clear(ramp__event *ev)
{
    if (!ev) return;
    free(ev->title);
    free(ev->kit_dir);
    free(ev->data_dir);
    free(ev->problem_ini);
    ramp_problem_free(ev->problem);
    memset(ev, 0, sizeof *ev);
}

static char *abs_path(const char *p)
{
    char buf[4096];
    if (realpath(p, buf)) return ramp__strdup(buf);
    return ramp__strdup(p);
}

ramp_status ramp__store_event_set(ramp__store *s, const char *kit_dir, const char *data_dir,
                                  double min_gap_s)
{
    char ini_path[4200];
    snprintf(ini_path, sizeof ini_path, "%s/problem.ini", kit_dir);
    uint8_t *ini = NULL;
    size_t ini_len = 0;
    ramp_err e;
    ramp_problem *pb = NULL;
    char *kit = NULL, *data = NULL;
    ramp_status st = ramp__read_file(ini_path, 1 << 20, &ini, &ini_len, &e);
    if (!st)
        st = ramp_problem_parse(&pb, (const char *)ini, ini_len, ini_path, NULL, 0, NULL, NULL, &e);
    if (st) {
        free(ini);
        return set_msg(s, st, "%s", e.msg);
    }
    kit = abs_path(kit_dir);
    if (data_dir) {
        data = abs_path(data_dir);
    } else {
        char d[4200];
        snprintf(d, sizeof d, "%s/data", kit_dir);
        data = abs_path(d);
    }
    if (!kit || !data) {
        st = set_msg(s, RAMP_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = ramp__store_begin(s))) goto done;
    ramp__rows r;
    if ((st = QR(&r, "SELECT data_dir, min_gap_s FROM event WHERE id = ?", RAMP__INT(1))))
        goto fail;
    if (r.n_rows) {
        double gap = min_gap_s >= 0 ? min_gap_s : ramp__rows_real(&r, 0, 1);
        const char *dd = data_dir ? data : ramp__rows_text(&r, 0, 0);
        st = Q("UPDATE event SET title = ?, kit_dir = ?, data_dir = ?, problem_ini = ?,"
               " min_gap_s = ? WHERE id = ?",
               RAMP__TEXT(ramp_problem_title(pb)), RAMP__TEXT(kit), RAMP__TEXT(dd),
               RAMP__TEXT((const char *)ini), RAMP__REAL(gap), RAMP__INT(1));
    } else {
        st = Q("INSERT INTO event (id, title, kit_dir, data_dir, problem_ini, min_gap_s,"
               " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
               RAMP__INT(1), RAMP__TEXT(ramp_problem_title(pb)), RAMP__TEXT(kit),
               RAMP__TEXT(data), RAMP__TEXT((const char *)ini),
               RAMP__REAL(min_gap_s > 0 ? min_gap_s : 0), RAMP__REAL(ramp__wall_now()));
    }
    ramp__rows_clear(&r);
    if (st) goto fail;
    st = ramp__store_commit(s);
    goto done;
fail:
    ramp__store_rollback(s);
done:
    free(ini);
    free(kit);
    free(data);
    ramp_problem_free(pb);
    return st;
}

ramp_status ramp__store_event_get(ramp__store *s, ramp__event *ev)
{
    memset(ev, 0, sizeof *ev);
    ramp__rows r;
    ramp_status st = QR(&r,
                        "SELECT title, kit_dir, data_dir, problem_ini, min_gap_s, combined_valid,"
                        " combined_test, foldwise_best_valid, foldwise_best_test, revealed"
                        " FROM event WHERE id = ?",
                        RAMP__INT(1));
    if (st) return st;
    if (!r.n_rows) {
        ramp__rows_clear(&r);
        return set_msg(s, RAMP_ENOENT,
                       "the store has no event yet: register one with 'ramp event --db DB --kit "
                       "KIT'");
    }
    ev->title = ramp__strdup(ramp__rows_text(&r, 0, 0));
    ev->kit_dir = ramp__strdup(ramp__rows_text(&r, 0, 1));
    ev->data_dir = ramp__strdup(ramp__rows_text(&r, 0, 2));
    ev->problem_ini = ramp__strdup(ramp__rows_text(&r, 0, 3));
    ev->min_gap_s = ramp__rows_real(&r, 0, 4);
    ev->combined_valid = ramp__rows_real(&r, 0, 5);
    ev->combined_test = ramp__rows_real(&r, 0, 6);
    ev->foldwise_best_valid = ramp__rows_real(&r, 0, 7);
    ev->foldwise_best_test = ramp__rows_real(&r, 0, 8);
    ev->revealed = ramp__rows_int(&r, 0, 9) != 0;
    ramp__rows_clear(&r);
    if (!ev->title || !ev->kit_dir || !ev->data_dir || !ev->problem_ini) {
        ramp__event_clear(ev);
        return set_msg(s, RAMP_ENOMEM, "out of memory");
    }
    ramp_err e;
    /* its folds file and [data] paths are relative to the event's kit */
    st = ramp_problem_parse(&ev->problem, ev->problem_ini, strlen(ev->problem_ini),
                            "event problem.ini", NULL, 0, NULL, ev->kit_dir, &e);
    if (st) {
        ramp__event_clear(ev);
        return set_msg(s, st, "%s", e.msg);
    }
    return RAMP_OK;
}

/* ---- teams -------------------------------------------------------------------------- */

static ramp_status random_hex(char *hex, size_t n_bytes)
{
    uint8_t b[64];
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f) return RAMP_EIO;
    size_t got = fread(b, 1, n_bytes, f);
    fclose(f);
    if (got != n_bytes) return RAMP_EIO;
    for (size_t i = 0; i < n_bytes; i++) sprintf(hex + 2 * i, "%02x", b[i]);
    return RAMP_OK;
}

ramp_status ramp__store_team_add(ramp__store *s, const char *name, char *token)
{
    if (!ramp__name_ok(name))
        return set_msg(s, RAMP_EINVAL,
                       "team name '%s': use 1 to 64 of A-Z a-z 0-9 _ . - (not starting with .)",
                       name);
    char hash[65];
    if (token) {
        if (random_hex(token, 32)) return set_msg(s, RAMP_EIO, "cannot read /dev/urandom");
        ramp__sha256_hex(hash, token, strlen(token));
    }
    ramp_status st =
        Q("INSERT INTO team (name, token_hash, created_at) VALUES (?, ?, ?)", RAMP__TEXT(name),
          RAMP__TEXT(token ? hash : NULL), RAMP__REAL(ramp__wall_now()));
    if (st == RAMP_EDUP) return set_msg(s, st, "team '%s' already exists", name);
    return st;
}

ramp_status ramp__store_team_id(ramp__store *s, const char *name, int create, int64_t *id)
{
    ramp__rows r;
    for (int attempt = 0; attempt < 2; attempt++) {
        ramp_status st = QR(&r, "SELECT id FROM team WHERE name = ?", RAMP__TEXT(name));
        if (st) return st;
        if (r.n_rows) {
            *id = ramp__rows_int(&r, 0, 0);
            ramp__rows_clear(&r);
            return RAMP_OK;
        }
        ramp__rows_clear(&r);
        if (!create || attempt) break;
        st = ramp__store_team_add(s, name, NULL);
        if (st && st != RAMP_EDUP) return st; /* EDUP: made meanwhile by another */
    }
    return set_msg(s, RAMP_ENOENT, "no team '%s' (add it with 'ramp team add')", name);
}

ramp_status ramp__store_team_by_token(ramp__store *s, const char *token, int64_t *id, char **name)
{
    char hash[65];
    ramp__sha256_hex(hash, token, strlen(token));
    ramp__rows r;
    ramp_status st = QR(&r, "SELECT id, name FROM team WHERE token_hash = ?", RAMP__TEXT(hash));
    if (st) return st;
    if (!r.n_rows) {
        ramp__rows_clear(&r);
        return set_msg(s, RAMP_ENOENT, "no team has this token");
    }
    *id = ramp__rows_int(&r, 0, 0);
    if (name) *name = ramp__strdup(ramp__rows_text(&r, 0, 1));
    ramp__rows_clear(&r);
    return RAMP_OK;
}

/* ---- the organiser ------------------------------------------------------------------ */

ramp_status ramp__store_admin_token(ramp__store *s, char *token)
{
    char hash[65];
    if (random_hex(token, 32)) return set_msg(s, RAMP_EIO, "cannot read /dev/urandom");
    ramp__sha256_hex(hash, token, strlen(token));
    ramp__rows r;
    ramp_status st = QR(&r, "UPDATE event SET admin_token_hash = ? WHERE id = ? RETURNING id",
                        RAMP__TEXT(hash), RAMP__INT(1));
    memset(hash, 0, sizeof hash);
    if (st) {
        memset(token, 0, 65);
        return st;
    }
    int n = r.n_rows;
    ramp__rows_clear(&r);
    if (!n) {
        memset(token, 0, 65);
        return set_msg(s, RAMP_ENOENT,
                       "the store has no event yet: register one with 'ramp event --db DB --kit "
                       "KIT'");
    }
    return RAMP_OK;
}

ramp_status ramp__store_is_admin(ramp__store *s, const char *token, int *yes)
{
    *yes = 0;
    if (!token || !*token) return RAMP_OK;
    char hash[65];
    ramp__sha256_hex(hash, token, strlen(token));
    ramp__rows r;
    ramp_status st = QR(&r, "SELECT COUNT(*) FROM event WHERE id = ? AND admin_token_hash = ?",
                        RAMP__INT(1), RAMP__TEXT(hash));
    if (st) return st;
    *yes = ramp__rows_int(&r, 0, 0) == 1;
    ramp__rows_clear(&r);
    return RAMP_OK;
}

ramp_status ramp__store_reveal(ramp__store *s, int revealed)
{
    ramp__rows r;
    ramp_status st = QR(&r, "UPDATE event SET revealed = ? WHERE id = ? RETURNING id",
                        RAMP__INT(revealed ? 1 : 0), RAMP__INT(1));
    if (st) return st;
    int n = r.n_rows;
    ramp__rows_clear(&r);
    if (!n)
        return set_msg(s, RAMP_ENOENT,
                       "the store has no event yet: register one with 'ramp event --db DB --kit "
                       "KIT'");
    return RAMP_OK;
}

ramp_status ramp__store_revealed(ramp__store *s, int *revealed)
{
    *revealed = 0;
    ramp__rows r;
    ramp_status st = QR(&r, "SELECT revealed FROM event WHERE id = ?", RAMP__INT(1));
    if (st) return st;
    *revealed = r.n_rows && ramp__rows_int(&r, 0, 0) != 0;
    ramp__rows_clear(&r);
    return RAMP_OK;
}

/* ---- web sessions ------------------------------------------------------------------- */

ramp_status ramp__store_session_new(ramp__store *s, int64_t team_id, double ttl_s, char *sid)
{
    char hash[65];
    if (random_hex(sid, 32)) return set_msg(s, RAMP_EIO, "cannot read /dev/urandom");
    ramp__sha256_hex(hash, sid, strlen(sid));
    double now = ramp__wall_now();
    ramp_status st = ramp__store_begin(s);
    if (st) return st;
    if ((st = Q("DELETE FROM session WHERE expires_at < ?", RAMP__REAL(now)))) goto fail;
    if ((st = Q("INSERT INTO session (token_hash, team_id, created_at, expires_at) VALUES (?, ?,"
                " ?, ?)",
                RAMP__TEXT(hash), RAMP__INT(team_id), RAMP__REAL(now), RAMP__REAL(now + ttl_s))))
        goto fail;
    return ramp__store_commit(s);
fail:
    ramp__store_rollback(s);
    memset(sid, 0, 65);
    return st;
}

ramp_status ramp__store_session_team(ramp__store *s, const char *sid, int64_t *team_id,
                                     char **team)
{
    *team_id = 0;
    if (team) *team = NULL;
    if (!sid || strlen(sid) != 64) return set_msg(s, RAMP_ENOENT, "no session");
    char hash[65];
    ramp__sha256_hex(hash, sid, strlen(sid));
    ramp__rows r;
    ramp_status st = QR(&r,
                        "SELECT t.id, t.name FROM session x JOIN team t ON t.id = x.team_id"
                        " WHERE x.token_hash = ? AND x.expires_at >= ?",
                        RAMP__TEXT(hash), RAMP__REAL(ramp__wall_now()));
    if (st) return st;
    if (!r.n_rows) {
        ramp__rows_clear(&r);
        return set_msg(s, RAMP_ENOENT, "no session, or it expired: log in again");
    }
    *team_id = ramp__rows_int(&r, 0, 0);
    if (team) {
        *team = ramp__strdup(ramp__rows_text(&r, 0, 1));
        if (!*team) {
            ramp__rows_clear(&r);
            return set_msg(s, RAMP_ENOMEM, "out of memory");
        }
    }
    ramp__rows_clear(&r);
    return RAMP_OK;
}

ramp_status ramp__store_session_end(ramp__store *s, const char *sid)
{
    if (!sid) return RAMP_OK;
    char hash[65];
    ramp__sha256_hex(hash, sid, strlen(sid));
    return Q("DELETE FROM session WHERE token_hash = ?", RAMP__TEXT(hash));
}

void ramp__session_csrf(char *csrf, const char *sid)
{
    char tmp[160];
    snprintf(tmp, sizeof tmp, "ramp-csrf:%.100s", sid ? sid : "");
    ramp__sha256_hex(csrf, tmp, strlen(tmp));
}

ramp_status ramp__random_hex(char *hex, size_t n_bytes)
{
    if (n_bytes > 64) return RAMP_EINVAL;
    return random_hex(hex, n_bytes);
}

/* ---- files ---------------------------------------------------------------------------- */

int ramp__name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 1 || n > 64 || name[0] == '.') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

void ramp__files_free(ramp__file *f, size_t n)
{
    for (size_t i = 0; f && i < n; i++) {
        free(f[i].name);
        free(f[i].data);
    }
    free(f);
}

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const ramp__file *)a)->name, ((const ramp__file *)b)->name);
}

ramp_status ramp__files_read_dir(const char *dir, ramp__file **files, size_t *n, ramp_err *err)
{
    *files = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return ramp__err_set(err, errno == ENOENT ? RAMP_ENOENT : RAMP_EIO, "%s: %s", dir,
                                 strerror(errno));
    ramp__file *f = calloc(RAMP__SUB_MAX_FILES, sizeof *f);
    size_t k = 0, total = 0;
    ramp_status st = f ? RAMP_OK : ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    struct dirent *e;
    while (!st && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *p = ramp__path_join(dir, e->d_name);
        struct stat sb;
        if (!p) {
            st = ramp__err_set(err, RAMP_ENOMEM, "out of memory");
            break;
        }
        if (lstat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(p);
            continue; /* folders (training_output, caches) and links are not sent */
        }
        if (!ramp__name_ok(e->d_name))
            st = ramp__err_set(err, RAMP_EINVAL, "%s: file name not allowed", p);
        else if (k == RAMP__SUB_MAX_FILES)
            st = ramp__err_set(err, RAMP_ETOOBIG, "%s: more than %d files", dir,
                               RAMP__SUB_MAX_FILES);
        else if ((size_t)sb.st_size > RAMP__SUB_MAX_FILE)
            st = ramp__err_set(err, RAMP_ETOOBIG, "%s: %lld bytes, over the %u-byte limit", p,
                               (long long)sb.st_size, RAMP__SUB_MAX_FILE);
        if (!st) {
            f[k].name = ramp__strdup(e->d_name);
            st = f[k].name ? ramp__read_file(p, RAMP__SUB_MAX_FILE, &f[k].data, &f[k].len, err)
                           : ramp__err_set(err, RAMP_ENOMEM, "out of memory");
            k++;
            total += sb.st_size > 0 ? (size_t)sb.st_size : 0;
            if (!st && total > RAMP__SUB_MAX_TOTAL)
                st = ramp__err_set(err, RAMP_ETOOBIG, "%s: over %u bytes in all", dir,
                                   RAMP__SUB_MAX_TOTAL);
        }
        free(p);
    }
    closedir(d);
    if (st) {
        ramp__files_free(f, k);
        return st;
    }
    qsort(f, k, sizeof *f, cmp_file);
    *files = f;
    *n = k;
    return RAMP_OK;
}

ramp_status ramp__files_write_dir(const char *dir, const ramp__file *files, size_t n,
                                  ramp_err *err)
{
    if (ramp__mkdirs(dir) != 0) return ramp__err_set(err, RAMP_EIO, "%s: %s", dir, strerror(errno));
    for (size_t i = 0; i < n; i++) {
        if (!ramp__name_ok(files[i].name))
            return ramp__err_set(err, RAMP_EINVAL, "file name '%s' not allowed", files[i].name);
        char *p = ramp__path_join(dir, files[i].name);
        if (!p) return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
        FILE *f = fopen(p, "wb");
        int ok = f && fwrite(files[i].data, 1, files[i].len, f) == files[i].len;
        if (f && fclose(f) != 0) ok = 0;
        if (!ok) {
            ramp__err_set(err, RAMP_EIO, "%s: cannot write: %s", p, strerror(errno));
            free(p);
            return RAMP_EIO;
        }
        free(p);
    }
    return RAMP_OK;
}

/* ---- submissions ------------------------------------------------------------------------ */

static int is_error_state(const char *st)
{
    return st && (!strcmp(st, "training_error") || !strcmp(st, "validating_error") ||
                  !strcmp(st, "testing_error") || !strcmp(st, "timeout") ||
                  !strcmp(st, "worker_killed"));
}

ramp_status ramp__store_submit(ramp__store *s, int64_t team_id, const char *name,
                               const ramp__file *files, size_t n_files, int64_t *id)
{
    if (!ramp__name_ok(name))
        return set_msg(s, RAMP_EINVAL,
                       "submission name '%s': use 1 to 64 of A-Z a-z 0-9 _ . - (not starting "
                       "with .)",
                       name);
    ramp__rows r = {0};
    double now = ramp__wall_now();
    ramp_status st = ramp__store_begin(s);
    if (st) return st;
    if ((st = QR(&r, "SELECT min_gap_s FROM event WHERE id = ?", RAMP__INT(1)))) goto fail;
    if (!r.n_rows) {
        st = set_msg(s, RAMP_ENOENT,
                     "the store has no event yet: register one with 'ramp event --db DB --kit "
                     "KIT'");
        goto fail;
    }
    double gap = ramp__rows_real(&r, 0, 0);
    ramp__rows_clear(&r);
    if ((st = QR(&r, "SELECT id, state FROM submission WHERE team_id = ? AND name = ?",
                 RAMP__INT(team_id), RAMP__TEXT(name))))
        goto fail;
    if (r.n_rows) {
        int64_t old = ramp__rows_int(&r, 0, 0);
        const char *state = ramp__rows_text(&r, 0, 1);
        if (!is_error_state(state)) {
            st = set_msg(s, RAMP_EDUP,
                         "this team already has a submission named '%s' (id %lld, %s): choose "
                         "another name",
                         name, (long long)old, state ? state : "?");
            goto fail;
        }
        /* a failed submission's name may be used again: the old one goes */
        if ((st = Q("DELETE FROM submission WHERE id = ?", RAMP__INT(old)))) goto fail;
    }
    ramp__rows_clear(&r);
    if (gap > 0) {
        if ((st = QR(&r, "SELECT MAX(submitted_at) FROM submission WHERE team_id = ?",
                     RAMP__INT(team_id))))
            goto fail;
        double last = ramp__rows_real(&r, 0, 0);
        ramp__rows_clear(&r);
        if (isfinite(last) && now - last < gap) {
            st = set_msg(s, RAMP_ETOOSOON,
                         "too soon: this team submitted %.0f s ago, the minimum gap is %.0f s "
                         "(wait %.0f s)",
                         now - last, gap, ceil(gap - (now - last)));
            goto fail;
        }
    }
    if ((st = QR(&r,
                 "INSERT INTO submission (team_id, name, state, submitted_at) VALUES (?, ?, ?, ?)"
                 " RETURNING id",
                 RAMP__INT(team_id), RAMP__TEXT(name), RAMP__TEXT("new"), RAMP__REAL(now))))
        goto fail;
    *id = ramp__rows_int(&r, 0, 0);
    ramp__rows_clear(&r);
    for (size_t i = 0; i < n_files; i++) {
        char hash[65];
        ramp__sha256_hex(hash, files[i].data, files[i].len);
        if ((st = Q("INSERT INTO blob (hash, size, data) VALUES (?, ?, ?) ON CONFLICT (hash) DO "
                    "NOTHING",
                    RAMP__TEXT(hash), RAMP__INT(files[i].len),
                    RAMP__BLOB(files[i].data, files[i].len))))
            goto fail;
        if ((st = Q("INSERT INTO submission_file (submission_id, path, hash) VALUES (?, ?, ?)",
                    RAMP__INT(*id), RAMP__TEXT(files[i].name), RAMP__TEXT(hash))))
            goto fail;
    }
    return ramp__store_commit(s);
fail:
    ramp__rows_clear(&r);
    ramp__store_rollback(s);
    return st;
}

void ramp__claim_clear(ramp__claim *c)
{
    if (!c) return;
    free(c->team);
    free(c->name);
    ramp__files_free(c->files, c->n_files);
    memset(c, 0, sizeof *c);
}

ramp_status ramp__store_set_max_claims(ramp__store *s, int n)
{
    if (n < 1) return set_msg(s, RAMP_EINVAL, "the claim cap must be at least 1, not %d", n);
    s->max_claims = n;
    return RAMP_OK;
}

/* Inside the claim's transaction: submission id's worker died `deaths`
   times; it ends as worker_killed, its last log kept below the reason. */
static ramp_status mark_killed(ramp__store *s, int64_t id, int64_t deaths, double now)
{
    ramp__rows r;
    ramp_status st = QR(&r,
                        "SELECT log, claimed_by FROM submission WHERE id = ?", RAMP__INT(id));
    if (st) return st;
    ramp__buf b = {0};
    const char *log = ramp__rows_text(&r, 0, 0), *last = ramp__rows_text(&r, 0, 1);
    ramp__buf_printf(&b,
                     "ramp: worker_killed: the worker training it died %lld times (its lease"
                     " expired after each claim; the last holder was '%.200s'): it is not"
                     " claimed again.\n",
                     (long long)deaths, last ? last : "?");
    if (log && *log) {
        ramp__buf_puts(&b, "ramp: the last run's log follows.\n");
        ramp__buf_puts(&b, log);
    }
    if (b.oom) {
        ramp__rows_clear(&r);
        ramp__buf_free(&b);
        return set_msg(s, RAMP_ENOMEM, "out of memory");
    }
    ramp__rows_clear(&r);
    st = Q("UPDATE submission SET state = ?, claimed_by = NULL, claimed_until = NULL,"
           " finished_at = ?, log = ? WHERE id = ?",
           RAMP__TEXT("worker_killed"), RAMP__REAL(now), RAMP__TEXT(b.p), RAMP__INT(id));
    ramp__buf_free(&b);
    return st;
}

ramp_status ramp__store_claim(ramp__store *s, const char *worker, double lease_s, ramp__claim *c,
                              int *busy)
{
    memset(c, 0, sizeof *c);
    if (busy) *busy = 0;
    double now = ramp__wall_now();
    ramp__rows r = {0};
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT id, state, n_claims - n_released FROM submission WHERE state = ? OR"
             " (state = ? AND claimed_until < ?) ORDER BY submitted_at, id LIMIT 1%s",
             s->be->skip_locked);
    ramp_status st = ramp__store_begin(s);
    if (st) return st;
    /* An expired lease is a dead worker (a stopped one releases its claim):
       a submission whose workers died max_claims times is set aside as
       worker_killed and the search goes on, in the same transaction. */
    for (;;) {
        if ((st = QR(&r, sql, RAMP__TEXT("new"), RAMP__TEXT("training"), RAMP__REAL(now))))
            goto fail;
        if (!r.n_rows) break;
        const char *state = ramp__rows_text(&r, 0, 1);
        int64_t deaths = ramp__rows_int(&r, 0, 2);
        if (!state || strcmp(state, "training") != 0 || deaths < s->max_claims) break;
        int64_t dead = ramp__rows_int(&r, 0, 0);
        ramp__rows_clear(&r);
        if ((st = mark_killed(s, dead, deaths, now))) goto fail;
    }
    if (!r.n_rows) {
        ramp__rows_clear(&r);
        if ((st = QR(&r, "SELECT COUNT(*) FROM submission WHERE state = ?",
                     RAMP__TEXT("training"))))
            goto fail;
        if (busy) *busy = (int)ramp__rows_int(&r, 0, 0);
        ramp__rows_clear(&r);
        if ((st = ramp__store_commit(s))) return st;
        return set_msg(s, RAMP_ENOENT, "no submission waiting");
    }
    c->id = ramp__rows_int(&r, 0, 0);
    ramp__rows_clear(&r);
    if ((st = Q("UPDATE submission SET state = ?, claimed_by = ?, claimed_until = ?,"
                " n_claims = n_claims + 1, started_at = ? WHERE id = ?",
                RAMP__TEXT("training"), RAMP__TEXT(worker), RAMP__REAL(now + lease_s),
                RAMP__REAL(now), RAMP__INT(c->id))))
        goto fail;
    if ((st = Q("INSERT INTO claim_log (submission_id, worker, at) VALUES (?, ?, ?)",
                RAMP__INT(c->id), RAMP__TEXT(worker), RAMP__REAL(now))))
        goto fail;
    if ((st = QR(&r,
                 "SELECT t.name, s.name, s.n_claims FROM submission s JOIN team t ON t.id ="
                 " s.team_id WHERE s.id = ?",
                 RAMP__INT(c->id))))
        goto fail;
    c->team = ramp__strdup(ramp__rows_text(&r, 0, 0));
    c->name = ramp__strdup(ramp__rows_text(&r, 0, 1));
    c->n_claims = (int)ramp__rows_int(&r, 0, 2);
    ramp__rows_clear(&r);
    if ((st = QR(&r,
                 "SELECT f.path, b.data FROM submission_file f JOIN blob b ON b.hash = f.hash"
                 " WHERE f.submission_id = ? ORDER BY f.path",
                 RAMP__INT(c->id))))
        goto fail;
    c->files = calloc((size_t)r.n_rows + 1, sizeof *c->files);
    if (!c->files || !c->team || !c->name) {
        st = set_msg(s, RAMP_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < r.n_rows; i++) {
        size_t len = rows_len(&r, i, 1);
        c->files[i].name = ramp__strdup(ramp__rows_text(&r, i, 0));
        c->files[i].data = malloc(len + 1);
        c->files[i].len = len;
        c->n_files++;
        if (!c->files[i].name || !c->files[i].data) {
            st = set_msg(s, RAMP_ENOMEM, "out of memory");
            goto fail;
        }
        memcpy(c->files[i].data, ramp__rows_text(&r, i, 1), len);
    }
    ramp__rows_clear(&r);
    if ((st = ramp__store_commit(s))) goto fail;
    return RAMP_OK;
fail:
    ramp__rows_clear(&r);
    ramp__store_rollback(s);
    ramp__claim_clear(c);
    return st;
}

ramp_status ramp__store_renew(ramp__store *s, int64_t id, const char *worker, double lease_s)
{
    ramp__rows r;
    ramp_status st = QR(&r,
                        "UPDATE submission SET claimed_until = ? WHERE id = ? AND claimed_by = ?"
                        " AND state = ? RETURNING id",
                        RAMP__REAL(ramp__wall_now() + lease_s), RAMP__INT(id), RAMP__TEXT(worker),
                        RAMP__TEXT("training"));
    if (st) return st;
    int n = r.n_rows;
    ramp__rows_clear(&r);
    if (!n) return set_msg(s, RAMP_ELEASE, "submission %lld: the lease was lost", (long long)id);
    return RAMP_OK;
}

ramp_status ramp__store_release(ramp__store *s, int64_t id, const char *worker)
{
    ramp__rows r;
    ramp_status st = QR(&r,
                        "UPDATE submission SET state = ?, claimed_by = NULL, claimed_until = NULL,"
                        " started_at = NULL, n_released = n_released + 1 WHERE id = ? AND"
                        " claimed_by = ? AND state = ? RETURNING id",
                        RAMP__TEXT("new"), RAMP__INT(id), RAMP__TEXT(worker),
                        RAMP__TEXT("training"));
    if (st) return st;
    int n = r.n_rows;
    ramp__rows_clear(&r);
    if (!n)
        return set_msg(s, RAMP_ELEASE, "submission %lld: not held by worker '%s'", (long long)id,
                       worker);
    return RAMP_OK;
}

/* The last RAMP__LOG_MAX bytes of a log (not starting inside a UTF-8
   sequence): what the store keeps of any log. */
static const char *log_tail(const char *log)
{
    if (!log) return NULL;
    size_t n = strlen(log);
    const char *p = log;
    if (n > RAMP__LOG_MAX) {
        p = log + (n - RAMP__LOG_MAX);
        while (((unsigned char)*p & 0xc0) == 0x80) p++;
    }
    return p;
}

ramp_status ramp__store_log(ramp__store *s, int64_t id, const char *worker, const char *log)
{
    const char *p = log ? log_tail(log) : "";
    ramp__rows r;
    ramp_status st = QR(&r,
                        "UPDATE submission SET log = ? WHERE id = ? AND claimed_by = ? AND"
                        " state = ? RETURNING id",
                        RAMP__TEXT(p), RAMP__INT(id), RAMP__TEXT(worker), RAMP__TEXT("training"));
    if (st) return st;
    int held = r.n_rows;
    ramp__rows_clear(&r);
    if (!held) return set_msg(s, RAMP_ELEASE, "submission %lld: the lease was lost", (long long)id);
    return RAMP_OK;
}

static const char *const step_names[3] = {"train", "valid", "test"};

ramp_status ramp__store_finish(ramp__store *s, int64_t id, const char *worker,
                               const ramp__result *res)
{
    ramp__rows r = {0};
    double tsum[3] = {NAN, NAN, NAN};
    for (int f = 0; res->times && f < res->n_folds; f++)
        for (int k = 0; k < 3; k++) {
            if (isnan(tsum[k])) tsum[k] = 0;
            tsum[k] += res->times[f * 3 + k];
        }
    ramp_status st = ramp__store_begin(s);
    if (st) return st;
    if ((st = QR(&r,
                 "UPDATE submission SET state = ?, claimed_by = NULL, claimed_until = NULL,"
                 " finished_at = ?, log = ?, train_time = ?, valid_time = ?, test_time = ?,"
                 " max_rss_kb = ? WHERE id = ? AND claimed_by = ? AND state = ? RETURNING id",
                 RAMP__TEXT(res->state), RAMP__REAL(ramp__wall_now()), RAMP__TEXT(log_tail(res->log)),
                 RAMP__REAL(tsum[0]), RAMP__REAL(tsum[1]), RAMP__REAL(tsum[2]),
                 RAMP__INT(res->max_rss_kb), RAMP__INT(id), RAMP__TEXT(worker),
                 RAMP__TEXT("training"))))
        goto fail;
    if (!r.n_rows) {
        st = set_msg(s, RAMP_ELEASE,
                     "submission %lld: the lease was lost before its results were stored",
                     (long long)id);
        goto fail;
    }
    ramp__rows_clear(&r);
    if ((st = Q("DELETE FROM score WHERE submission_id = ?", RAMP__INT(id)))) goto fail;
    if ((st = Q("DELETE FROM prediction WHERE submission_id = ?", RAMP__INT(id)))) goto fail;
    for (int f = 0; res->scores && f <= res->n_folds; f++)
        for (int k = 0; k < 3; k++) {
            for (int j = 0; j < res->n_scores; j++) {
                double v = res->scores[((size_t)f * 3 + (size_t)k) * (size_t)res->n_scores +
                                       (size_t)j];
                if (!isfinite(v)) continue;
                if ((st = Q("INSERT INTO score (submission_id, fold, step, name, value)"
                            " VALUES (?, ?, ?, ?, ?)",
                            RAMP__INT(id), RAMP__INT(f == res->n_folds ? -1 : f),
                            RAMP__TEXT(step_names[k]), RAMP__TEXT(res->score_names[j]),
                            RAMP__REAL(v))))
                    goto fail;
            }
            if (f < res->n_folds && res->times &&
                (st = Q("INSERT INTO score (submission_id, fold, step, name, value)"
                        " VALUES (?, ?, ?, ?, ?)",
                        RAMP__INT(id), RAMP__INT(f), RAMP__TEXT(step_names[k]),
                        RAMP__TEXT("time"), RAMP__REAL(res->times[f * 3 + k]))))
                goto fail;
        }
    for (int f = 0; f < res->n_folds; f++) {
        struct {
            const char *kind;
            const uint8_t *const *p;
            const size_t *len;
        } pr[3] = {{"valid", res->valid_pred, res->valid_pred_len},
                   {"valid_idx", res->valid_idx, res->valid_idx_len},
                   {"test", res->test_pred, res->test_pred_len}};
        for (int k = 0; k < 3; k++) {
            if (!pr[k].p || !pr[k].p[f]) continue;
            if ((st = Q("INSERT INTO prediction (submission_id, fold, kind, npy) VALUES (?, ?, ?,"
                        " ?)",
                        RAMP__INT(id), RAMP__INT(f), RAMP__TEXT(pr[k].kind),
                        RAMP__BLOB(pr[k].p[f], pr[k].len[f]))))
                goto fail;
        }
    }
    return ramp__store_commit(s);
fail:
    ramp__rows_clear(&r);
    ramp__store_rollback(s);
    return st;
}

ramp_status ramp__store_count(ramp__store *s, const char *state, int64_t *n)
{
    ramp__rows r;
    ramp_status st = state ? QR(&r, "SELECT COUNT(*) FROM submission WHERE state = ?",
                                RAMP__TEXT(state))
                           : ramp__store_query(s, "SELECT COUNT(*) FROM submission", NULL, 0, &r);
    if (st) return st;
    *n = ramp__rows_int(&r, 0, 0);
    ramp__rows_clear(&r);
    return RAMP_OK;
}

/* ---- blending ------------------------------------------------------------------------------ */

typedef struct blend_ctx {
    ramp__store *s;
    const int64_t *ids;
} blend_ctx;

/* Reads prediction (id, fold, kind) as a parsed .npy. */
static ramp_status load_npy(ramp__store *s, int64_t id, int fold, const char *kind, ramp_npy *a)
{
    ramp__rows r;
    memset(a, 0, sizeof *a);
    ramp_status st = QR(&r,
                        "SELECT npy FROM prediction WHERE submission_id = ? AND fold = ? AND kind"
                        " = ?",
                        RAMP__INT(id), RAMP__INT(fold), RAMP__TEXT(kind));
    if (st) return st;
    if (!r.n_rows) {
        ramp__rows_clear(&r);
        return set_msg(s, RAMP_ENOENT, "submission %lld: no %s predictions for fold %d",
                       (long long)id, kind, fold);
    }
    char name[96];
    snprintf(name, sizeof name, "submission %lld fold %d %s", (long long)id, fold, kind);
    ramp_err e;
    st =
        ramp_npy_parse(a, (const uint8_t *)ramp__rows_text(&r, 0, 0), rows_len(&r, 0, 0), name, &e);
    ramp__rows_clear(&r);
    if (st) return set_msg(s, st, "%s", e.msg);
    return RAMP_OK;
}

static ramp_status blend_load(void *ctx, int sub, int fold, ramp_blend_which which, float *dst,
                              size_t rows, int c, ramp_err *err)
{
    blend_ctx *b = ctx;
    ramp_npy a;
    int64_t id = b->ids[sub];
    ramp_status st = load_npy(b->s, id, fold, which == RAMP_BLEND_VALID ? "valid" : "test", &a);
    if (st) return ramp__err_set(err, st, "%s", b->s->msg);
    if (a.shape[0] != rows || a.shape[1] != (size_t)c ||
        (a.dtype != RAMP_NPY_F4 && a.dtype != RAMP_NPY_F8)) {
        ramp_npy_clear(&a);
        return ramp__err_set(err, RAMP_ESHAPE,
                             "submission %lld fold %d: predictions are %zu×%zu, expected %zu×%d",
                             (long long)id, fold, a.shape[0], a.shape[1], rows, c);
    }
    size_t n = rows * (size_t)c;
    if (a.dtype == RAMP_NPY_F4)
        memcpy(dst, a.data, n * sizeof(float));
    else
        for (size_t i = 0; i < n; i++) dst[i] = (float)((double *)a.data)[i];
    ramp_npy_clear(&a);
    return RAMP_OK;
}

ramp_status ramp__store_blend(ramp__store *s, const ramp_problem *pb, const int32_t *y_train,
                              size_t n_train, const int32_t *y_test, size_t n_test)
{
    ramp__rows r = {0};
    int64_t *ids = NULL;
    int n_sub = 0, n_folds = 0;
    size_t *n_valid = NULL;
    size_t **vidx = NULL;
    ramp_blend_result *res = NULL;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT n_blends FROM event WHERE id = ?%s", s->be->for_update);
    ramp_status st = ramp__store_begin(s);
    if (st) return st;
    /* the event's row lock serialises blends (PostgreSQL); SQLite's write
       lock already does */
    if ((st = QR(&r, sql, RAMP__INT(1)))) goto fail;
    ramp__rows_clear(&r);
    if ((st = QR(&r,
                 "SELECT id FROM submission WHERE state = ? OR state = ?"
                 " ORDER BY submitted_at, id",
                 RAMP__TEXT("tested"), RAMP__TEXT("scored"))))
        goto fail;
    n_sub = r.n_rows;
    if (!n_sub) {
        ramp__rows_clear(&r);
        return ramp__store_commit(s);
    }
    ids = malloc((size_t)n_sub * sizeof *ids);
    if (!ids) {
        st = set_msg(s, RAMP_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < n_sub; i++) ids[i] = ramp__rows_int(&r, i, 0);
    ramp__rows_clear(&r);
    if ((st = QR(&r, "SELECT COUNT(*) FROM prediction WHERE submission_id = ? AND kind = ?",
                 RAMP__INT(ids[0]), RAMP__TEXT("valid_idx"))))
        goto fail;
    n_folds = (int)ramp__rows_int(&r, 0, 0);
    ramp__rows_clear(&r);
    if (n_folds < 1) {
        st = set_msg(s, RAMP_ENOENT, "submission %lld: no validation indices stored",
                     (long long)ids[0]);
        goto fail;
    }
    n_valid = calloc((size_t)n_folds, sizeof *n_valid);
    vidx = calloc((size_t)n_folds, sizeof *vidx);
    if (!n_valid || !vidx) {
        st = set_msg(s, RAMP_ENOMEM, "out of memory");
        goto fail;
    }
    for (int f = 0; f < n_folds; f++) {
        ramp_npy a;
        if ((st = load_npy(s, ids[0], f, "valid_idx", &a))) goto fail;
        n_valid[f] = a.shape[0];
        vidx[f] = malloc((a.shape[0] ? a.shape[0] : 1) * sizeof **vidx);
        if (!vidx[f]) {
            ramp_npy_clear(&a);
            st = set_msg(s, RAMP_ENOMEM, "out of memory");
            goto fail;
        }
        for (size_t i = 0; i < a.shape[0]; i++) {
            int64_t v = a.dtype == RAMP_NPY_I8 ? ((int64_t *)a.data)[i]
                        : a.dtype == RAMP_NPY_I4 ? ((int32_t *)a.data)[i]
                                                 : -1;
            if (v < 0 || (size_t)v >= n_train) {
                ramp_npy_clear(&a);
                st = set_msg(s, RAMP_ERANGE,
                             "submission %lld fold %d: validation index %lld outside the %zu "
                             "training rows",
                             (long long)ids[0], f, (long long)v, n_train);
                goto fail;
            }
            vidx[f][i] = (size_t)v;
        }
        ramp_npy_clear(&a);
    }
    blend_ctx bc = {s, ids};
    ramp_blend_input in = {
        .n_sub = n_sub,
        .n_folds = n_folds,
        .n_classes = ramp_problem_n_classes(pb),
        .n_train = n_train,
        .y_train = y_train,
        .n_valid = n_valid,
        .valid_index = (const size_t *const *)vidx,
        .n_test = n_test,
        .y_test = y_test,
        .load = blend_load,
        .load_ctx = &bc,
    };
    ramp_blend_params bp = {.kind = ramp_problem_score_kind(pb, 0),
                            .param = ramp_problem_score_param(pb, 0)};
    ramp_err e = {RAMP_OK, ""};
    if ((st = ramp_blend_run(&res, &in, &bp, &e))) {
        set_msg(s, st, "blend: %s", e.msg);
        goto fail;
    }
    for (int i = 0; i < n_sub; i++)
        if ((st = Q("UPDATE submission SET contributivity = ?, hist_sum = hist_sum + ?,"
                    " hist_n = hist_n + 1, state = ? WHERE id = ?",
                    RAMP__REAL(res->contributivity[i]), RAMP__REAL(res->contributivity[i]),
                    RAMP__TEXT("scored"), RAMP__INT(ids[i]))))
            goto fail;
    if ((st = Q("UPDATE event SET combined_valid = ?, combined_test = ?, foldwise_best_valid = ?,"
                " foldwise_best_test = ?, n_blends = n_blends + 1 WHERE id = ?",
                RAMP__REAL(res->combined_valid), RAMP__REAL(res->combined_test),
                RAMP__REAL(res->foldwise_best_valid), RAMP__REAL(res->foldwise_best_test),
                RAMP__INT(1))))
        goto fail;
    st = ramp__store_commit(s);
    goto done;
fail:
    ramp__rows_clear(&r);
    ramp__store_rollback(s);
done:
    ramp_blend_result_free(res);
    for (int f = 0; vidx && f < n_folds; f++) free(vidx[f]);
    free(vidx);
    free(n_valid);
    free(ids);
    return st;
}
