/* store_submit.c — submissions through their states: submitting (with the
 * event's limits), claims under a lease and their renewal or release, the
 * log, results, and counts by state. A result is stored only while the
 * worker still holds the claim (see store.c). */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "store/storeInt.h"

/* ---- submissions ------------------------------------------------------------------------ */

ramp_status ramp__store_submit(ramp__store *s, int64_t team_id, const char *name,
                               const ramp__file *files, size_t n_files, int64_t *id)
{
    if (!ramp__name_ok(name))
        return ramp__store_fail(
            s, RAMP_EINVAL,
            "submission name '%s': use 1 to 64 of A-Z a-z 0-9 _ . - (not starting "
            "with .)",
            name);
    ramp__rows r = {0};
    double now = ramp__wall_now();
    ramp_status st = ramp__store_begin(s);
    if (st) return st;
    if ((st = QR(&r, "SELECT min_gap_s FROM event WHERE id = ?", RAMP__INT(1)))) goto fail;
    if (!r.n_rows) {
        st = ramp__store_fail(
            s, RAMP_ENOENT,
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
        if (!ramp__state_failed(state)) {
            st = ramp__store_fail(
                s, RAMP_EDUP,
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
            st = ramp__store_fail(
                s, RAMP_ETOOSOON,
                "too soon: this team submitted %.0f s ago, the minimum gap is %.0f s "
                "(wait %.0f s)",
                now - last, gap, ceil(gap - (now - last)));
            goto fail;
        }
    }
    if ((st = QR(&r,
                 "INSERT INTO submission (team_id, name, state, submitted_at) VALUES (?, ?, ?, ?)"
                 " RETURNING id",
                 RAMP__INT(team_id), RAMP__TEXT(name), RAMP__TEXT(ramp__state_name(RAMP__ST_NEW)),
                 RAMP__REAL(now))))
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
    if (n < 1)
        return ramp__store_fail(s, RAMP_EINVAL, "the claim cap must be at least 1, not %d", n);
    s->max_claims = n;
    return RAMP_OK;
}

/* Inside the claim's transaction: submission id's worker died `deaths`
   times; it ends as worker_killed, its last log kept below the reason. */
static ramp_status mark_killed(ramp__store *s, int64_t id, int64_t deaths, double now)
{
    ramp__rows r;
    ramp_status st = QR(&r, "SELECT log, claimed_by FROM submission WHERE id = ?", RAMP__INT(id));
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
        return ramp__store_fail(s, RAMP_ENOMEM, "out of memory");
    }
    ramp__rows_clear(&r);
    st = Q("UPDATE submission SET state = ?, claimed_by = NULL, claimed_until = NULL,"
           " finished_at = ?, log = ? WHERE id = ?",
           RAMP__TEXT(ramp__state_name(RAMP__ST_WORKER_KILLED)), RAMP__REAL(now), RAMP__TEXT(b.p),
           RAMP__INT(id));
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
        if ((st = QR(&r, sql, RAMP__TEXT(ramp__state_name(RAMP__ST_NEW)),
                     RAMP__TEXT(ramp__state_name(RAMP__ST_TRAINING)), RAMP__REAL(now))))
            goto fail;
        if (!r.n_rows) break;
        const char *state = ramp__rows_text(&r, 0, 1);
        int64_t deaths = ramp__rows_int(&r, 0, 2);
        if (!state || strcmp(state, ramp__state_name(RAMP__ST_TRAINING)) != 0 ||
            deaths < s->max_claims)
            break;
        int64_t dead = ramp__rows_int(&r, 0, 0);
        ramp__rows_clear(&r);
        if ((st = mark_killed(s, dead, deaths, now))) goto fail;
    }
    if (!r.n_rows) {
        ramp__rows_clear(&r);
        if ((st = QR(&r, "SELECT COUNT(*) FROM submission WHERE state = ?",
                     RAMP__TEXT(ramp__state_name(RAMP__ST_TRAINING)))))
            goto fail;
        if (busy) *busy = (int)ramp__rows_int(&r, 0, 0);
        ramp__rows_clear(&r);
        if ((st = ramp__store_commit(s))) return st;
        return ramp__store_fail(s, RAMP_ENOENT, "no submission waiting");
    }
    c->id = ramp__rows_int(&r, 0, 0);
    ramp__rows_clear(&r);
    if ((st = Q("UPDATE submission SET state = ?, claimed_by = ?, claimed_until = ?,"
                " n_claims = n_claims + 1, started_at = ? WHERE id = ?",
                RAMP__TEXT(ramp__state_name(RAMP__ST_TRAINING)), RAMP__TEXT(worker),
                RAMP__REAL(now + lease_s), RAMP__REAL(now), RAMP__INT(c->id))))
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
        st = ramp__store_fail(s, RAMP_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < r.n_rows; i++) {
        size_t len = ramp__rows_len(&r, i, 1);
        c->files[i].name = ramp__strdup(ramp__rows_text(&r, i, 0));
        c->files[i].data = malloc(len + 1);
        c->files[i].len = len;
        c->n_files++;
        if (!c->files[i].name || !c->files[i].data) {
            st = ramp__store_fail(s, RAMP_ENOMEM, "out of memory");
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
                        RAMP__TEXT(ramp__state_name(RAMP__ST_TRAINING)));
    if (st) return st;
    int n = r.n_rows;
    ramp__rows_clear(&r);
    if (!n)
        return ramp__store_fail(s, RAMP_ELEASE, "submission %lld: the lease was lost",
                                (long long)id);
    return RAMP_OK;
}

ramp_status ramp__store_release(ramp__store *s, int64_t id, const char *worker)
{
    ramp__rows r;
    ramp_status st = QR(&r,
                        "UPDATE submission SET state = ?, claimed_by = NULL, claimed_until = NULL,"
                        " started_at = NULL, n_released = n_released + 1 WHERE id = ? AND"
                        " claimed_by = ? AND state = ? RETURNING id",
                        RAMP__TEXT(ramp__state_name(RAMP__ST_NEW)), RAMP__INT(id),
                        RAMP__TEXT(worker), RAMP__TEXT(ramp__state_name(RAMP__ST_TRAINING)));
    if (st) return st;
    int n = r.n_rows;
    ramp__rows_clear(&r);
    if (!n)
        return ramp__store_fail(s, RAMP_ELEASE, "submission %lld: not held by worker '%s'",
                                (long long)id, worker);
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
        while (((unsigned char)*p & 0xc0) == 0x80)
            p++;
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
                        RAMP__TEXT(p), RAMP__INT(id), RAMP__TEXT(worker),
                        RAMP__TEXT(ramp__state_name(RAMP__ST_TRAINING)));
    if (st) return st;
    int held = r.n_rows;
    ramp__rows_clear(&r);
    if (!held)
        return ramp__store_fail(s, RAMP_ELEASE, "submission %lld: the lease was lost",
                                (long long)id);
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
                 RAMP__TEXT(res->state), RAMP__REAL(ramp__wall_now()),
                 RAMP__TEXT(log_tail(res->log)), RAMP__REAL(tsum[0]), RAMP__REAL(tsum[1]),
                 RAMP__REAL(tsum[2]), RAMP__INT(res->max_rss_kb), RAMP__INT(id), RAMP__TEXT(worker),
                 RAMP__TEXT(ramp__state_name(RAMP__ST_TRAINING)))))
        goto fail;
    if (!r.n_rows) {
        st = ramp__store_fail(s, RAMP_ELEASE,
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
                double v =
                    res->scores[((size_t)f * 3 + (size_t)k) * (size_t)res->n_scores + (size_t)j];
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
                        RAMP__INT(id), RAMP__INT(f), RAMP__TEXT(step_names[k]), RAMP__TEXT("time"),
                        RAMP__REAL(res->times[f * 3 + k]))))
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
    if ((st = Q("DELETE FROM preview WHERE submission_id = ?", RAMP__INT(id)))) goto fail;
    if (res->preview && (st = ramp__preview_insert(s, id, res->preview, res->n_preview))) goto fail;
    return ramp__store_commit(s);
fail:
    ramp__rows_clear(&r);
    ramp__store_rollback(s);
    return st;
}

ramp_status ramp__store_count(ramp__store *s, const char *state, int64_t *n)
{
    ramp__rows r;
    ramp_status st =
        state ? QR(&r, "SELECT COUNT(*) FROM submission WHERE state = ?", RAMP__TEXT(state))
              : ramp__store_query(s, "SELECT COUNT(*) FROM submission", NULL, 0, &r);
    if (st) return st;
    *n = ramp__rows_int(&r, 0, 0);
    ramp__rows_clear(&r);
    return RAMP_OK;
}
