/* store_team.c — the store's event (its kit, data and limits), teams and
 * their tokens, the organiser's token and the reveal switch, and web
 * sessions. Tokens are drawn from /dev/urandom; only their SHA-256 is
 * stored. */
#define _DEFAULT_SOURCE /* realpath */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "store/storeInt.h"

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
        return ramp__store_fail(s, st, "%s", e.msg);
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
        st = ramp__store_fail(s, RAMP_ENOMEM, "out of memory");
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
               RAMP__INT(1), RAMP__TEXT(ramp_problem_title(pb)), RAMP__TEXT(kit), RAMP__TEXT(data),
               RAMP__TEXT((const char *)ini), RAMP__REAL(min_gap_s > 0 ? min_gap_s : 0),
               RAMP__REAL(ramp__wall_now()));
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
        return ramp__store_fail(
            s, RAMP_ENOENT,
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
        return ramp__store_fail(s, RAMP_ENOMEM, "out of memory");
    }
    ramp_err e;
    /* its folds file and [data] paths are relative to the event's kit */
    st = ramp_problem_parse(&ev->problem, ev->problem_ini, strlen(ev->problem_ini),
                            "event problem.ini", NULL, 0, NULL, ev->kit_dir, &e);
    if (st) {
        ramp__event_clear(ev);
        return ramp__store_fail(s, st, "%s", e.msg);
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
    for (size_t i = 0; i < n_bytes; i++)
        sprintf(hex + 2 * i, "%02x", b[i]);
    return RAMP_OK;
}

ramp_status ramp__store_team_add(ramp__store *s, const char *name, char *token)
{
    if (!ramp__name_ok(name))
        return ramp__store_fail(
            s, RAMP_EINVAL,
            "team name '%s': use 1 to 64 of A-Z a-z 0-9 _ . - (not starting with .)", name);
    char hash[65];
    if (token) {
        if (random_hex(token, 32)) return ramp__store_fail(s, RAMP_EIO, "cannot read /dev/urandom");
        ramp__sha256_hex(hash, token, strlen(token));
    }
    ramp_status st =
        Q("INSERT INTO team (name, token_hash, created_at) VALUES (?, ?, ?)", RAMP__TEXT(name),
          RAMP__TEXT(token ? hash : NULL), RAMP__REAL(ramp__wall_now()));
    if (st == RAMP_EDUP) return ramp__store_fail(s, st, "team '%s' already exists", name);
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
    return ramp__store_fail(s, RAMP_ENOENT, "no team '%s' (add it with 'ramp team add')", name);
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
        return ramp__store_fail(s, RAMP_ENOENT, "no team has this token");
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
    if (random_hex(token, 32)) return ramp__store_fail(s, RAMP_EIO, "cannot read /dev/urandom");
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
        return ramp__store_fail(
            s, RAMP_ENOENT,
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
        return ramp__store_fail(
            s, RAMP_ENOENT,
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
    if (random_hex(sid, 32)) return ramp__store_fail(s, RAMP_EIO, "cannot read /dev/urandom");
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

ramp_status ramp__store_session_team(ramp__store *s, const char *sid, int64_t *team_id, char **team)
{
    *team_id = 0;
    if (team) *team = NULL;
    if (!sid || strlen(sid) != 64) return ramp__store_fail(s, RAMP_ENOENT, "no session");
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
        return ramp__store_fail(s, RAMP_ENOENT, "no session, or it expired: log in again");
    }
    *team_id = ramp__rows_int(&r, 0, 0);
    if (team) {
        *team = ramp__strdup(ramp__rows_text(&r, 0, 1));
        if (!*team) {
            ramp__rows_clear(&r);
            return ramp__store_fail(s, RAMP_ENOMEM, "out of memory");
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
