/* sqlite.c — the store's SQLite back end: a file in WAL mode, a busy
 * timeout so that several workers on one host wait for each other's write
 * transactions instead of failing, and BEGIN IMMEDIATE for transactions
 * that will write (it takes the write lock at once, which is what makes a
 * claim atomic). Rows are copied out, so a statement never outlives a call.
 */
#define _POSIX_C_SOURCE 200809L
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/storeInt.h"

static ramp_status fail(sqlite3 *db, const char *what, char *msg, size_t msg_len)
{
    snprintf(msg, msg_len, "sqlite: %s: %s", what, sqlite3_errmsg(db));
    int code = sqlite3_errcode(db);
    if (code == SQLITE_CONSTRAINT) return RAMP_EDUP;
    if (code == SQLITE_NOMEM) return RAMP_ENOMEM;
    return RAMP_EIO;
}

static ramp_status sq_query(void *h, const char *sql, const ramp__val *params, int n_params,
                            ramp__rows *rows, char *msg, size_t msg_len)
{
    sqlite3 *db = h;
    sqlite3_stmt *st = NULL;
    ramp_status rc = RAMP_OK;
    if (rows) memset(rows, 0, sizeof *rows);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return fail(db, sql, msg, msg_len);
    for (int i = 0; i < n_params; i++) {
        const ramp__val *v = &params[i];
        int e = SQLITE_OK;
        switch (v->t) {
        case RAMP__V_NULL: e = sqlite3_bind_null(st, i + 1); break;
        case RAMP__V_INT: e = sqlite3_bind_int64(st, i + 1, v->i); break;
        case RAMP__V_REAL: e = sqlite3_bind_double(st, i + 1, v->d); break;
        case RAMP__V_TEXT: e = sqlite3_bind_text(st, i + 1, v->p, -1, SQLITE_STATIC); break;
        case RAMP__V_BLOB:
            e = sqlite3_bind_blob64(st, i + 1, v->p ? v->p : "", v->n, SQLITE_STATIC);
            break;
        }
        if (e != SQLITE_OK) {
            rc = fail(db, "bind", msg, msg_len);
            goto fail;
        }
    }
    for (;;) {
        int e = sqlite3_step(st);
        if (e == SQLITE_DONE) break;
        if (e != SQLITE_ROW) {
            rc = fail(db, sql, msg, msg_len);
            goto fail;
        }
        if (!rows) continue;
        int nc = sqlite3_column_count(st);
        rows->n_cols = nc;
        for (int c = 0; c < nc; c++) {
            int t = sqlite3_column_type(st, c);
            int r;
            if (t == SQLITE_NULL) {
                r = ramp__rows_push(rows, NULL, 0, 1);
            } else if (t == SQLITE_BLOB) {
                r = ramp__rows_push(rows, sqlite3_column_blob(st, c),
                                    (size_t)sqlite3_column_bytes(st, c), 0);
            } else if (t == SQLITE_FLOAT) {
                char num[40];
                int k = snprintf(num, sizeof num, "%.17g", sqlite3_column_double(st, c));
                r = ramp__rows_push(rows, num, (size_t)k, 0);
            } else {
                const unsigned char *s = sqlite3_column_text(st, c);
                r = ramp__rows_push(rows, s, (size_t)sqlite3_column_bytes(st, c), 0);
            }
            if (r) {
                snprintf(msg, msg_len, "sqlite: out of memory reading rows");
                rc = RAMP_ENOMEM;
                goto fail;
            }
        }
        rows->n_rows++;
    }
    sqlite3_finalize(st);
    return RAMP_OK;
fail:
    sqlite3_finalize(st);
    if (rows) ramp__rows_clear(rows);
    return rc;
}

static ramp_status sq_script(void *h, const char *sql, char *msg, size_t msg_len)
{
    sqlite3 *db = h;
    char *e = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK) {
        snprintf(msg, msg_len, "sqlite: %s", e ? e : sqlite3_errmsg(db));
        sqlite3_free(e);
        return RAMP_EIO;
    }
    return RAMP_OK;
}

static void sq_close(void *h)
{
    sqlite3_close(h);
}

static const ramp__backend sqlite_backend = {
    .name = "sqlite",
    .serial_pk = "INTEGER PRIMARY KEY AUTOINCREMENT",
    .blob_type = "BLOB",
    .begin_write = "BEGIN IMMEDIATE",
    .skip_locked = "",
    .for_update = "",
    .migrate_lock = NULL,
    .query = sq_query,
    .script = sq_script,
    .close = sq_close,
};

ramp_status ramp__sqlite_open(const char *path, const ramp__backend **be, void **out, char *msg,
                              size_t msg_len)
{
    sqlite3 *db = NULL;
    *out = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        snprintf(msg, msg_len, "sqlite: cannot open %s: %s", path,
                 db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return RAMP_EIO;
    }
    sqlite3_busy_timeout(db, 30000);
    ramp_status st = sq_script(db,
                               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                               "PRAGMA foreign_keys=ON;",
                               msg, msg_len);
    if (st) {
        sqlite3_close(db);
        return st;
    }
    *be = &sqlite_backend;
    *out = db;
    return RAMP_OK;
}
