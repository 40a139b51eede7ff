/* postgres.c — the store's PostgreSQL back end (libpq), for workers on
 * several hosts. The shared SQL's `?` placeholders become `$1..$n`; numbers
 * and text travel as text parameters (the server infers their types), blobs
 * as binary bytea parameters. Results are asked for in text and bytea cells
 * unescaped, so the rows look the same as SQLite's. Claims use
 * SELECT ... FOR UPDATE SKIP LOCKED; the server's notices are swallowed (the
 * library never prints).
 */
#define _POSIX_C_SOURCE 200809L
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/storeInt.h"

#define BYTEA_OID 17

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Rewrites ? into $n outside quoted strings; NULL when out of memory. */
static char *rewrite(const char *sql)
{
    size_t n = strlen(sql), q = 0;
    for (size_t i = 0; i < n; i++) q += sql[i] == '?';
    char *out = malloc(n + q * 6 + 1);
    if (!out) return NULL;
    size_t o = 0;
    int k = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = sql[i];
        if (ch == '\'') in_str = !in_str;
        if (ch == '?' && !in_str)
            o += (size_t)sprintf(out + o, "$%d", ++k);
        else
            out[o++] = ch;
    }
    out[o] = '\0';
    return out;
}

static ramp_status fail_res(PGconn *c, PGresult *res, const char *sql, char *msg, size_t msg_len)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *e = res ? PQresultErrorMessage(res) : PQerrorMessage(c);
    size_t el = strlen(e);
    while (el && (e[el - 1] == '\n')) el--;
    snprintf(msg, msg_len, "postgresql: %.*s (in: %.200s)", (int)el, e, sql);
    ramp_status st = RAMP_EIO;
    if (state && !strncmp(state, "23", 2)) st = RAMP_EDUP; /* integrity constraint violation */
    PQclear(res);
    return st;
}

static ramp_status pg_query(void *h, const char *sql, const ramp__val *params, int n_params,
                            ramp__rows *rows, char *msg, size_t msg_len)
{
    PGconn *c = h;
    ramp_status st = RAMP_OK;
    char *q = rewrite(sql);
    const char **vals = calloc((size_t)n_params + 1, sizeof *vals);
    int *lens = calloc((size_t)n_params + 1, sizeof *lens);
    int *fmts = calloc((size_t)n_params + 1, sizeof *fmts);
    Oid *types = calloc((size_t)n_params + 1, sizeof *types);
    char (*num)[40] = calloc((size_t)n_params + 1, sizeof *num);
    PGresult *res = NULL;
    if (rows) memset(rows, 0, sizeof *rows);
    if (!q || !vals || !lens || !fmts || !types || !num) {
        snprintf(msg, msg_len, "postgresql: out of memory");
        st = RAMP_ENOMEM;
        goto done;
    }
    for (int i = 0; i < n_params; i++) {
        const ramp__val *v = &params[i];
        switch (v->t) {
        case RAMP__V_NULL: vals[i] = NULL; break;
        case RAMP__V_INT:
            snprintf(num[i], sizeof num[i], "%lld", (long long)v->i);
            vals[i] = num[i];
            break;
        case RAMP__V_REAL:
            snprintf(num[i], sizeof num[i], "%.17g", v->d);
            /* NaN and infinities are spelt as PostgreSQL wants them */
            if (v->d != v->d) snprintf(num[i], sizeof num[i], "NaN");
            vals[i] = num[i];
            break;
        case RAMP__V_TEXT: vals[i] = v->p; break;
        case RAMP__V_BLOB:
            vals[i] = v->p ? v->p : "";
            lens[i] = (int)v->n;
            fmts[i] = 1;
            types[i] = BYTEA_OID;
            break;
        }
    }
    res = PQexecParams(c, q, n_params, types, vals, lens, fmts, 0);
    ExecStatusType es = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
        st = fail_res(c, res, sql, msg, msg_len);
        res = NULL;
        goto done;
    }
    if (rows && es == PGRES_TUPLES_OK) {
        int nr = PQntuples(res), nc = PQnfields(res);
        rows->n_cols = nc;
        for (int r = 0; r < nr; r++) {
            for (int k = 0; k < nc; k++) {
                int e;
                if (PQgetisnull(res, r, k)) {
                    e = ramp__rows_push(rows, NULL, 0, 1);
                } else if (PQftype(res, k) == BYTEA_OID) {
                    size_t bl = 0;
                    unsigned char *b =
                        PQunescapeBytea((const unsigned char *)PQgetvalue(res, r, k), &bl);
                    e = b ? ramp__rows_push(rows, b, bl, 0) : -1;
                    PQfreemem(b);
                } else {
                    e = ramp__rows_push(rows, PQgetvalue(res, r, k),
                                        (size_t)PQgetlength(res, r, k), 0);
                }
                if (e) {
                    snprintf(msg, msg_len, "postgresql: out of memory reading rows");
                    st = RAMP_ENOMEM;
                    ramp__rows_clear(rows);
                    goto done;
                }
            }
            rows->n_rows++;
        }
    }
done:
    PQclear(res);
    free(q);
    free(vals);
    free(lens);
    free(fmts);
    free(types);
    free(num);
    return st;
}

static ramp_status pg_script(void *h, const char *sql, char *msg, size_t msg_len)
{
    PGconn *c = h;
    PGresult *res = PQexec(c, sql);
    ExecStatusType es = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) return fail_res(c, res, sql, msg, msg_len);
    PQclear(res);
    return RAMP_OK;
}

static void pg_close(void *h)
{
    PQfinish(h);
}

static const ramp__backend pg_backend = {
    .name = "postgresql",
    .serial_pk = "BIGSERIAL PRIMARY KEY",
    .blob_type = "BYTEA",
    .begin_write = "BEGIN",
    .skip_locked = " FOR UPDATE SKIP LOCKED",
    .for_update = " FOR UPDATE",
    .migrate_lock = "SELECT pg_advisory_xact_lock(7252017)",
    .query = pg_query,
    .script = pg_script,
    .close = pg_close,
};

ramp_status ramp__pg_open(const char *conninfo, const ramp__backend **be, void **out, char *msg,
                          size_t msg_len)
{
    *out = NULL;
    PGconn *c = PQconnectdb(conninfo);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        const char *e = c ? PQerrorMessage(c) : "out of memory";
        size_t el = strlen(e);
        while (el && e[el - 1] == '\n') el--;
        snprintf(msg, msg_len, "postgresql: cannot connect to %s: %.*s", conninfo, (int)el, e);
        PQfinish(c);
        return RAMP_EIO;
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    *be = &pg_backend;
    *out = c;
    return RAMP_OK;
}
