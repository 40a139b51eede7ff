/* test_store.c — the submission store on SQLite: migrations, the state
 * machine, claims from two connections, leases that expire, results stored
 * only by the claim's holder, names and tokens; the claim cap
 * (worker_killed), releases, the organiser's token and the reveal, and what
 * the leaderboard and submission pages show before and after it; the
 * labelling pool (schema 5) and the parser of the labelling page's shapes;
 * previews (schema 6). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/storeInt.h"

static void db_path(char *buf, size_t n, const char *tag)
{
    snprintf(buf, n, "/tmp/ramp-test-store-%s-%ld.db", tag, (long)getpid());
    char p[600];
    remove(buf);
    snprintf(p, sizeof p, "%s-wal", buf);
    remove(p);
    snprintf(p, sizeof p, "%s-shm", buf);
    remove(p);
}

/* An event from the repository's Fashion-MNIST kit. */
static ramp__store *open_with_event(const char *path)
{
    ramp__store *s;
    ramp_err err;
    assert_int_equal(ramp__store_open(&s, path, &err), RAMP_OK);
    assert_int_equal(ramp__store_event_set(s, RAMP_SOURCE_DIR "/kits/fashion_mnist", "/nonexistent", 0),
                     RAMP_OK);
    return s;
}

static const ramp__file files[2] = {
    {"batch_classifier.c", (uint8_t *)"int x;", 6},
    {"image_preprocessor.c", (uint8_t *)"int y;", 6},
};

static void test_migrations(void **state)
{
    (void)state;
    char path[512];
    db_path(path, sizeof path, "mig");
    ramp__store *s;
    ramp_err err;
    assert_int_equal(ramp__store_open_version(&s, path, 1, &err), RAMP_OK);
    assert_int_equal(ramp__store_schema_version(s), 1);
    ramp__rows r;
    /* version 1 has no claim log */
    assert_int_not_equal(ramp__store_query(s, "SELECT COUNT(*) FROM claim_log", NULL, 0, &r), RAMP_OK);
    ramp__store_close(s);
    /* version 2 to 3 keeps the rows: a submission gets n_released 0 */
    assert_int_equal(ramp__store_open_version(&s, path, 2, &err), RAMP_OK);
    assert_int_equal(ramp__store_schema_version(s), 2);
    assert_int_not_equal(ramp__store_query(s, "SELECT n_released FROM submission", NULL, 0, &r), RAMP_OK);
    assert_int_equal(ramp__store_event_set(s, RAMP_SOURCE_DIR "/kits/fashion_mnist", "/nonexistent", 0),
                     RAMP_OK);
    int64_t team, id;
    assert_int_equal(ramp__store_team_id(s, "old", 1, &team), RAMP_OK);
    assert_int_equal(ramp__store_submit(s, team, "v2", files, 2, &id), RAMP_OK);
    ramp__store_close(s);
    assert_int_equal(ramp__store_open(&s, path, &err), RAMP_OK);
    assert_int_equal(ramp__store_schema_version(s), RAMP__SCHEMA_VERSION);
    assert_int_equal(ramp__store_query(s, "SELECT n_released, name FROM submission", NULL, 0, &r), RAMP_OK);
    assert_int_equal(r.n_rows, 1);
    assert_int_equal(ramp__rows_int(&r, 0, 0), 0);
    assert_string_equal(ramp__rows_text(&r, 0, 1), "v2");
    ramp__rows_clear(&r);
    assert_int_equal(ramp__store_query(s, "SELECT COUNT(*) FROM claim_log", NULL, 0, &r), RAMP_OK);
    ramp__rows_clear(&r);
    /* version 3: the reveal flag, the organiser's token, released claims */
    assert_int_equal(ramp__store_query(s, "SELECT revealed, admin_token_hash FROM event", NULL, 0, &r),
                     RAMP_OK);
    ramp__rows_clear(&r);
    assert_int_equal(ramp__store_query(s, "SELECT n_released FROM submission", NULL, 0, &r), RAMP_OK);
    ramp__rows_clear(&r);
    /* a store from a newer tool is refused, by name */
    assert_int_equal(ramp__store_query(s, "INSERT INTO schema_version VALUES (99, 0)", NULL, 0, NULL),
                     RAMP_OK);
    ramp__store_close(s);
    assert_int_equal(ramp__store_open(&s, path, &err), RAMP_EUNSUPPORTED);
    assert_null(s);
    assert_non_null(strstr(err.msg, "version 99"));
    remove(path);
}

static void test_submit_and_names(void **state)
{
    (void)state;
    char path[512];
    db_path(path, sizeof path, "sub");
    ramp__store *s = open_with_event(path);
    int64_t team, id, id2;
    assert_int_equal(ramp__store_team_id(s, "alice", 0, &team), RAMP_ENOENT);
    assert_int_equal(ramp__store_team_id(s, "alice", 1, &team), RAMP_OK);
    assert_int_equal(ramp__store_submit(s, team, "a1", files, 2, &id), RAMP_OK);
    assert_int_equal(ramp__store_submit(s, team, "a1", files, 2, &id2), RAMP_EDUP);
    assert_non_null(strstr(ramp__store_errmsg(s), "'a1'"));
    assert_int_equal(ramp__store_submit(s, team, "../x", files, 2, &id2), RAMP_EINVAL);
    /* files are content-addressed: the same content is stored once */
    assert_int_equal(ramp__store_submit(s, team, "a2", files, 2, &id2), RAMP_OK);
    ramp__rows r;
    assert_int_equal(ramp__store_query(s, "SELECT COUNT(*) FROM blob", NULL, 0, &r), RAMP_OK);
    assert_int_equal(ramp__rows_int(&r, 0, 0), 2);
    ramp__rows_clear(&r);
    /* the minimum gap */
    assert_int_equal(ramp__store_event_set(s, RAMP_SOURCE_DIR "/kits/fashion_mnist", NULL, 3600), RAMP_OK);
    assert_int_equal(ramp__store_submit(s, team, "a3", files, 2, &id2), RAMP_ETOOSOON);
    assert_non_null(strstr(ramp__store_errmsg(s), "too soon"));
    /* tokens are stored hashed and found again */
    char token[65];
    assert_int_equal(ramp__store_team_add(s, "bob", token), RAMP_OK);
    assert_int_equal(strlen(token), 64);
    assert_int_equal(ramp__store_query(s, "SELECT COUNT(*) FROM team WHERE token_hash = ?",
                                       (const ramp__val[]){RAMP__TEXT(token)}, 1, &r),
                     RAMP_OK);
    assert_int_equal(ramp__rows_int(&r, 0, 0), 0);
    ramp__rows_clear(&r);
    int64_t bob;
    char *name = NULL;
    assert_int_equal(ramp__store_team_by_token(s, token, &bob, &name), RAMP_OK);
    assert_string_equal(name, "bob");
    free(name);
    assert_int_equal(ramp__store_team_by_token(s, "nope", &bob, NULL), RAMP_ENOENT);
    assert_int_equal(ramp__store_team_add(s, "bob", token), RAMP_EDUP);
    ramp__store_close(s);
    remove(path);
}

static void test_claims(void **state)
{
    (void)state;
    char path[512];
    db_path(path, sizeof path, "claim");
    ramp__store *a = open_with_event(path), *b;
    ramp_err err;
    assert_int_equal(ramp__store_open(&b, path, &err), RAMP_OK);
    int64_t team, id1, id2;
    assert_int_equal(ramp__store_team_id(a, "t", 1, &team), RAMP_OK);
    assert_int_equal(ramp__store_submit(a, team, "s1", files, 2, &id1), RAMP_OK);
    assert_int_equal(ramp__store_submit(a, team, "s2", files, 2, &id2), RAMP_OK);
    /* two connections: each claims a different one, then nothing is left */
    ramp__claim ca, cb, cc;
    int busy = -1;
    assert_int_equal(ramp__store_claim(a, "wa", 60, &ca, NULL), RAMP_OK);
    assert_int_equal(ramp__store_claim(b, "wb", 60, &cb, NULL), RAMP_OK);
    assert_int_equal(ca.id, id1);
    assert_int_equal(cb.id, id2);
    assert_int_equal(ca.n_files, 2);
    assert_string_equal(ca.files[0].name, "batch_classifier.c");
    assert_memory_equal(ca.files[1].data, "int y;", 6);
    assert_int_equal(ramp__store_claim(b, "wb", 60, &cc, &busy), RAMP_ENOENT);
    assert_int_equal(busy, 2);
    /* renewing: only the holder */
    assert_int_equal(ramp__store_renew(a, ca.id, "wa", 60), RAMP_OK);
    assert_int_equal(ramp__store_renew(a, ca.id, "wb", 60), RAMP_ELEASE);
    /* an expired lease: another worker takes it over; the first can no
       longer renew nor store results */
    assert_int_equal(ramp__store_renew(b, cb.id, "wb", -1), RAMP_OK);
    assert_int_equal(ramp__store_claim(a, "wc", 60, &cc, NULL), RAMP_OK);
    assert_int_equal(cc.id, id2);
    assert_int_equal(cc.n_claims, 2);
    assert_int_equal(ramp__store_renew(b, id2, "wb", 60), RAMP_ELEASE);
    const char *names[1] = {"acc"};
    double scores[6] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
    ramp__result res = {.state = "training_error", .log = "ramp: fold 0: training_error: boom",
                        .n_folds = 1, .n_scores = 1, .score_names = names, .scores = scores};
    assert_int_equal(ramp__store_finish(b, id2, "wb", &res), RAMP_ELEASE);
    assert_int_equal(ramp__store_finish(a, id2, "wc", &res), RAMP_OK);
    int64_t n;
    assert_int_equal(ramp__store_count(a, "training_error", &n), RAMP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ramp__store_count(a, "training", &n), RAMP_OK);
    assert_int_equal(n, 1);
    /* a failed submission's name may be used again */
    int64_t id3;
    assert_int_equal(ramp__store_submit(a, team, "s2", files, 2, &id3), RAMP_OK);
    assert_int_equal(ramp__store_count(a, "training_error", &n), RAMP_OK);
    assert_int_equal(n, 0);
    ramp__claim_clear(&ca);
    ramp__claim_clear(&cb);
    ramp__claim_clear(&cc);
    ramp__store_close(a);
    ramp__store_close(b);
    remove(path);
}

static void test_board_empty(void **state)
{
    (void)state;
    char path[512];
    db_path(path, sizeof path, "board");
    ramp__store *s = open_with_event(path);
    ramp__board b;
    assert_int_equal(ramp__board_build(s, RAMP__VIEW_PUBLIC, &b), RAMP_OK);
    assert_int_equal(b.n_rows, 0);
    assert_int_equal(b.n_scores, 4);
    ramp__buf out = {0};
    ramp__board_json(&b, &out);
    assert_non_null(strstr(out.p, "\"combined_score\": null"));
    ramp__buf_free(&out);
    ramp__board_html(&b, &out);
    assert_non_null(strstr(out.p, "<table id=\"lb\">"));
    ramp__buf_free(&out);
    ramp__board_clear(&b);
    /* HTML and JSON escaping */
    ramp__buf_html(&out, "<a href='x'>&</a>");
    assert_string_equal(out.p, "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
    ramp__buf_free(&out);
    ramp__buf_json(&out, "a\"b\\\n\x01");
    assert_string_equal(out.p, "\"a\\\"b\\\\\\n\\u0001\"");
    ramp__buf_free(&out);
    ramp__store_close(s);
    remove(path);
}

/* Expires submission id's lease at once (as a worker that died). */
static void expire(ramp__store *s, int64_t id)
{
    assert_int_equal(ramp__store_query(s, "UPDATE submission SET claimed_until = 0 WHERE id = ?",
                                       (const ramp__val[]){RAMP__INT(id)}, 1, NULL),
                     RAMP_OK);
}

static char *sub_text(ramp__store *s, int64_t id, const char *col)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT %s FROM submission WHERE id = ?", col);
    ramp__rows r;
    assert_int_equal(ramp__store_query(s, sql, (const ramp__val[]){RAMP__INT(id)}, 1, &r), RAMP_OK);
    assert_int_equal(r.n_rows, 1);
    const char *t = ramp__rows_text(&r, 0, 0);
    char *c = strdup(t ? t : "(null)");
    ramp__rows_clear(&r);
    assert_non_null(c);
    return c;
}

static void assert_state(ramp__store *s, int64_t id, const char *want)
{
    char *st = sub_text(s, id, "state");
    assert_string_equal(st, want);
    free(st);
}

/* A submission whose worker dies every time: claimed 3 times, then set
   aside as worker_killed with its last log and a reason; the next one is
   claimed in the same call. */
static void test_claim_cap(void **state)
{
    (void)state;
    char path[512];
    db_path(path, sizeof path, "cap");
    ramp__store *s = open_with_event(path);
    int64_t team, killer, next;
    assert_int_equal(ramp__store_team_id(s, "t", 1, &team), RAMP_OK);
    assert_int_equal(ramp__store_submit(s, team, "killer", files, 2, &killer), RAMP_OK);
    assert_int_equal(ramp__store_submit(s, team, "next", files, 2, &next), RAMP_OK);
    assert_int_equal(ramp__store_set_max_claims(s, 0), RAMP_EINVAL);
    ramp__claim c;
    char worker[16];
    for (int i = 1; i <= 3; i++) {
        snprintf(worker, sizeof worker, "w%d", i);
        assert_int_equal(ramp__store_claim(s, worker, 60, &c, NULL), RAMP_OK);
        assert_int_equal(c.id, killer);
        assert_int_equal(c.n_claims, i);
        ramp__claim_clear(&c);
        char log[64];
        snprintf(log, sizeof log, "fold 0 epoch 1: run %d loss 0.5", i);
        assert_int_equal(ramp__store_log(s, killer, worker, log), RAMP_OK);
        assert_int_equal(ramp__store_log(s, killer, "someone-else", "x"), RAMP_ELEASE);
        expire(s, killer);
    }
    /* the fourth claim: killer is dead for good, next is claimed */
    assert_int_equal(ramp__store_claim(s, "w4", 60, &c, NULL), RAMP_OK);
    assert_int_equal(c.id, next);
    ramp__claim_clear(&c);
    assert_state(s, killer, "worker_killed");
    char *log = sub_text(s, killer, "log");
    assert_non_null(strstr(log, "died 3 times"));
    assert_non_null(strstr(log, "'w3'"));
    assert_non_null(strstr(log, "run 3 loss 0.5")); /* the last run's log is kept */
    assert_null(strstr(log, "run 2 "));
    free(log);
    char *holder = sub_text(s, killer, "claimed_by");
    assert_string_equal(holder, "(null)");
    free(holder);
    int64_t n;
    assert_int_equal(ramp__store_count(s, "worker_killed", &n), RAMP_OK);
    assert_int_equal(n, 1);
    /* nothing else waits; the killed one stays put */
    expire(s, next);
    assert_int_equal(ramp__store_claim(s, "w5", 60, &c, NULL), RAMP_OK);
    assert_int_equal(c.id, next);
    ramp__claim_clear(&c);
    assert_int_equal(ramp__store_claim(s, "w5", 60, &c, NULL), RAMP_ENOENT);
    /* worker_killed is a failure: the name may be used again */
    int64_t again;
    assert_int_equal(ramp__store_submit(s, team, "killer", files, 2, &again), RAMP_OK);
    /* a cap of 1: the first death is final */
    assert_int_equal(ramp__store_set_max_claims(s, 1), RAMP_OK);
    assert_int_equal(ramp__store_claim(s, "w6", 60, &c, NULL), RAMP_OK);
    assert_int_equal(c.id, again);
    ramp__claim_clear(&c);
    expire(s, again);
    assert_int_equal(ramp__store_claim(s, "w7", 60, &c, NULL), RAMP_ENOENT);
    assert_state(s, again, "worker_killed");
    ramp__store_close(s);
    remove(path);
}

/* A stopped worker gives its claim back: new again, lease cleared, not a
   death; only its holder may. */
static void test_release(void **state)
{
    (void)state;
    char path[512];
    db_path(path, sizeof path, "release");
    ramp__store *s = open_with_event(path);
    int64_t team, id;
    assert_int_equal(ramp__store_team_id(s, "t", 1, &team), RAMP_OK);
    assert_int_equal(ramp__store_submit(s, team, "s", files, 2, &id), RAMP_OK);
    ramp__claim c;
    for (int i = 0; i < 5; i++) { /* released 5 times with a cap of 3: still claimed */
        assert_int_equal(ramp__store_claim(s, "wa", 60, &c, NULL), RAMP_OK);
        assert_int_equal(c.id, id);
        ramp__claim_clear(&c);
        assert_int_equal(ramp__store_release(s, id, "wb"), RAMP_ELEASE);
        assert_state(s, id, "training");
        assert_int_equal(ramp__store_release(s, id, "wa"), RAMP_OK);
        assert_state(s, id, "new");
        char *until = sub_text(s, id, "claimed_until");
        assert_string_equal(until, "(null)");
        free(until);
        assert_int_equal(ramp__store_release(s, id, "wa"), RAMP_ELEASE);
    }
    /* released claims do not count: two deaths after five releases are not
       yet three */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ramp__store_claim(s, "wc", 60, &c, NULL), RAMP_OK);
        ramp__claim_clear(&c);
        expire(s, id);
    }
    assert_int_equal(ramp__store_claim(s, "wd", 60, &c, NULL), RAMP_OK);
    assert_int_equal(c.id, id);
    assert_int_equal(c.n_claims, 8);
    ramp__claim_clear(&c);
    expire(s, id);
    assert_int_equal(ramp__store_claim(s, "we", 60, &c, NULL), RAMP_ENOENT);
    assert_state(s, id, "worker_killed");
    /* a released claim cannot store results */
    int64_t id2;
    assert_int_equal(ramp__store_submit(s, team, "s2", files, 2, &id2), RAMP_OK);
    assert_int_equal(ramp__store_claim(s, "wf", 60, &c, NULL), RAMP_OK);
    ramp__claim_clear(&c);
    assert_int_equal(ramp__store_release(s, id2, "wf"), RAMP_OK);
    ramp__result res = {.state = "tested", .n_folds = 0, .n_scores = 0};
    assert_int_equal(ramp__store_finish(s, id2, "wf", &res), RAMP_ELEASE);
    assert_int_equal(ramp__store_renew(s, id2, "wf", 60), RAMP_ELEASE);
    ramp__store_close(s);
    remove(path);
}

/* A scored submission with per-fold and bagged scores, stored as a worker
   would, for the visibility tests. */
static int64_t scored_submission(ramp__store *s)
{
    int64_t team, id;
    assert_int_equal(ramp__store_team_id(s, "vis", 1, &team), RAMP_OK);
    assert_int_equal(ramp__store_submit(s, team, "v", files, 2, &id), RAMP_OK);
    ramp__claim c;
    assert_int_equal(ramp__store_claim(s, "w", 60, &c, NULL), RAMP_OK);
    ramp__claim_clear(&c);
    const char *names[4] = {"acc", "nll", "f1_70", "err"};
    /* [(1 fold + bag) * 3 steps * 4 scores]: test scores are 0.777 */
    double sc[24];
    for (int f = 0; f < 2; f++)
        for (int k = 0; k < 3; k++)
            for (int j = 0; j < 4; j++) sc[(f * 3 + k) * 4 + j] = k == 2 ? 0.777 : 0.5 + 0.01 * k;
    double times[3] = {1, 2, 3};
    const char *log = "Reading train and test files from /srv/secret/data/ ...\n"
                      "Training /srv/secret/work/ramp-worker-1/kit/submissions/v ...\n"
                      "\tscore        acc\n\ttrain     0.5000\n\tvalid     0.5100\n"
                      "\ttest      0.7770\nfold 0 epoch 1: loss 0.25\n";
    ramp__result res = {.state = "tested", .log = log, .n_folds = 1, .n_scores = 4,
                        .score_names = names, .scores = sc, .times = times};
    assert_int_equal(ramp__store_finish(s, id, "w", &res), RAMP_OK);
    assert_int_equal(ramp__store_query(s, "UPDATE submission SET state = 'scored' WHERE id = ?",
                                       (const ramp__val[]){RAMP__INT(id)}, 1, NULL),
                     RAMP_OK);
    return id;
}

/* The organiser's token, the reveal, and what each reader sees. */
static void test_visibility(void **state)
{
    (void)state;
    char path[512];
    db_path(path, sizeof path, "vis");
    ramp__store *s;
    ramp_err err;
    assert_int_equal(ramp__store_open(&s, path, &err), RAMP_OK);
    char tok[65];
    int yes = -1;
    assert_int_equal(ramp__store_admin_token(s, tok), RAMP_ENOENT); /* no event yet */
    assert_int_equal(ramp__store_reveal(s, 1), RAMP_ENOENT);
    ramp__store_close(s);
    s = open_with_event(path);
    int64_t id = scored_submission(s);
    /* the token: 64 hex digits, stored hashed, replaced by the next one */
    assert_int_equal(ramp__store_admin_token(s, tok), RAMP_OK);
    assert_int_equal(strlen(tok), 64);
    assert_int_equal(ramp__store_is_admin(s, tok, &yes), RAMP_OK);
    assert_int_equal(yes, 1);
    ramp__rows r;
    assert_int_equal(ramp__store_query(s, "SELECT COUNT(*) FROM event WHERE admin_token_hash = ?",
                                       (const ramp__val[]){RAMP__TEXT(tok)}, 1, &r),
                     RAMP_OK);
    assert_int_equal(ramp__rows_int(&r, 0, 0), 0);
    ramp__rows_clear(&r);
    char tok2[65];
    assert_int_equal(ramp__store_admin_token(s, tok2), RAMP_OK);
    assert_string_not_equal(tok, tok2);
    assert_int_equal(ramp__store_is_admin(s, tok, &yes), RAMP_OK);
    assert_int_equal(yes, 0);
    assert_int_equal(ramp__store_is_admin(s, tok2, &yes), RAMP_OK);
    assert_int_equal(yes, 1);
    assert_int_equal(ramp__store_is_admin(s, "", &yes), RAMP_OK);
    assert_int_equal(yes, 0);
    assert_int_equal(ramp__store_is_admin(s, NULL, &yes), RAMP_OK);
    assert_int_equal(yes, 0);
    /* a team's token is not the organiser's */
    char team_tok[65];
    assert_int_equal(ramp__store_team_add(s, "other", team_tok), RAMP_OK);
    assert_int_equal(ramp__store_is_admin(s, team_tok, &yes), RAMP_OK);
    assert_int_equal(yes, 0);

    int rev = -1;
    assert_int_equal(ramp__store_revealed(s, &rev), RAMP_OK);
    assert_int_equal(rev, 0);
    /* before the reveal, the public reader: no test score anywhere, no path */
    ramp__board b;
    assert_int_equal(ramp__board_build_as(s, RAMP__VIEW_PRIVATE, 0, &b), RAMP_EINVAL);
    assert_int_equal(ramp__board_build_as(s, RAMP__VIEW_COMPETITION, 0, &b), RAMP_EINVAL);
    assert_int_equal(ramp__board_build_as(s, RAMP__VIEW_PUBLIC, 0, &b), RAMP_OK);
    assert_int_equal(b.n_rows, 1);
    ramp__buf out = {0};
    ramp__board_json(&b, &out);
    assert_null(strstr(out.p, "0.777"));
    assert_non_null(strstr(out.p, "0.51"));
    ramp__buf_free(&out);
    ramp__board_html(&b, &out);
    assert_null(strstr(out.p, "0.777"));
    assert_null(strstr(out.p, "view=private")); /* no link to a view it may not see */
    ramp__buf_free(&out);
    ramp__board_csv(&b, &out);
    assert_null(strstr(out.p, "0.777"));
    ramp__buf_free(&out);
    ramp__board_clear(&b);
    for (int json = 0; json < 2; json++) {
        assert_int_equal(json ? ramp__sub_json_as(s, id, 0, &out) : ramp__sub_page_html_as(s, id, 0, &out),
                         RAMP_OK);
        assert_null(strstr(out.p, "0.777"));   /* per-fold and bagged test scores */
        assert_null(strstr(out.p, "/srv"));    /* server paths */
        assert_null(strstr(out.p, "secret"));
        assert_non_null(strstr(out.p, "0.51")); /* validation scores stay */
        assert_null(strstr(out.p, "ramp-worker-1"));
        assert_non_null(strstr(out.p, "Training v ..."));
        ramp__buf_free(&out);
    }
    /* the organiser (and the CLI) sees everything, still without paths */
    assert_int_equal(ramp__sub_json_as(s, id, 1, &out), RAMP_OK);
    assert_non_null(strstr(out.p, "0.777"));
    assert_null(strstr(out.p, "/srv"));
    ramp__buf_free(&out);
    assert_int_equal(ramp__board_build(s, RAMP__VIEW_PRIVATE, &b), RAMP_OK);
    assert_int_equal(b.n_rows, 1);
    assert_true(b.rows[0].scores[0] > 0.776 && b.rows[0].scores[0] < 0.778);
    ramp__board_clear(&b);
    /* revealed: the private view is public; unrevealed again: not */
    assert_int_equal(ramp__store_reveal(s, 1), RAMP_OK);
    assert_int_equal(ramp__store_revealed(s, &rev), RAMP_OK);
    assert_int_equal(rev, 1);
    ramp__event ev;
    assert_int_equal(ramp__store_event_get(s, &ev), RAMP_OK);
    assert_int_equal(ev.revealed, 1);
    ramp__event_clear(&ev);
    assert_int_equal(ramp__store_reveal(s, 0), RAMP_OK);
    assert_int_equal(ramp__store_revealed(s, &rev), RAMP_OK);
    assert_int_equal(rev, 0);
    ramp__store_close(s);
    remove(path);
}

/* The public log: server paths become their last component, test rows are
   hidden unless the reader may see them. */
static void test_log_public(void **state)
{
    (void)state;
    ramp__buf b = {0};
    ramp__log_public(&b, "from /a/b/data/ and (/x/y/batch_classifier.c:3: error) 1/2 a / b\n"
                         "\ttest      0.7770\nTesting x\n  test 1\nlast /", 0);
    assert_string_equal(b.p, "from data/ and (batch_classifier.c:3: error) 1/2 a / b\n"
                             "\ttest      (hidden until the organiser reveals the test scores)\n"
                             "Testing x\n"
                             "  test      (hidden until the organiser reveals the test scores)\n"
                             "last /");
    ramp__buf_free(&b);
    ramp__log_public(&b, "\ttest      0.7770\n/p/q", 1);
    assert_string_equal(b.p, "\ttest      0.7770\nq");
    ramp__buf_free(&b);
    ramp__log_public(&b, NULL, 0);
    assert_true(b.len == 0);
    ramp__buf_free(&b);
}

/* Participants' sessions: stored hashed, expire, end; the CSRF token is
   derived from the session id; the team's page lists its own submissions
   only, with the form's token and no test score. */
static void test_sessions(void **state)
{
    (void)state;
    char path[512];
    db_path(path, sizeof path, "session");
    ramp__store *s = open_with_event(path);
    int64_t vis_id = scored_submission(s), team, other, id, got;
    assert_int_equal(ramp__store_team_id(s, "vis", 0, &team), RAMP_OK);
    assert_int_equal(ramp__store_team_id(s, "other", 1, &other), RAMP_OK);
    assert_int_equal(ramp__store_submit(s, other, "theirs", files, 2, &id), RAMP_OK);
    char sid[65], sid2[65], old[65];
    assert_int_equal(ramp__store_session_new(s, team, 3600, sid), RAMP_OK);
    assert_int_equal(strlen(sid), 64);
    char *name = NULL;
    assert_int_equal(ramp__store_session_team(s, sid, &got, &name), RAMP_OK);
    assert_int_equal(got, team);
    assert_string_equal(name, "vis");
    free(name);
    ramp__rows r;
    assert_int_equal(ramp__store_query(s, "SELECT COUNT(*) FROM session WHERE token_hash = ?",
                                       (const ramp__val[]){RAMP__TEXT(sid)}, 1, &r),
                     RAMP_OK);
    assert_int_equal(ramp__rows_int(&r, 0, 0), 0); /* only its hash is stored */
    ramp__rows_clear(&r);
    assert_int_equal(ramp__store_session_team(s, "nope", &got, NULL), RAMP_ENOENT);
    char bad[65];
    memcpy(bad, sid, 65);
    bad[0] = bad[0] == 'a' ? 'b' : 'a';
    assert_int_equal(ramp__store_session_team(s, bad, &got, NULL), RAMP_ENOENT);
    /* an expired session is refused, and removed when the next one starts */
    assert_int_equal(ramp__store_session_new(s, team, -1, old), RAMP_OK);
    assert_int_equal(ramp__store_session_team(s, old, &got, NULL), RAMP_ENOENT);
    assert_int_equal(ramp__store_session_new(s, team, 3600, sid2), RAMP_OK);
    assert_int_equal(ramp__store_query(s, "SELECT COUNT(*) FROM session", NULL, 0, &r), RAMP_OK);
    assert_int_equal(ramp__rows_int(&r, 0, 0), 2);
    ramp__rows_clear(&r);
    /* CSRF tokens: one per session, stable */
    char c1[65], c1b[65], c2[65];
    ramp__session_csrf(c1, sid);
    ramp__session_csrf(c1b, sid);
    ramp__session_csrf(c2, sid2);
    assert_string_equal(c1, c1b);
    assert_string_not_equal(c1, c2);
    assert_string_not_equal(c1, sid);
    /* the team's page: a failed submission shows its error log, paths cut */
    int64_t broke;
    assert_int_equal(ramp__store_submit(s, team, "broke", files, 2, &broke), RAMP_OK);
    assert_int_equal(ramp__store_query(s, "UPDATE submission SET state = 'training_error', log = ?"
                                          " WHERE id = ?",
                                       (const ramp__val[]){RAMP__TEXT("/srv/w/batch_classifier.c:3: boom"),
                                                           RAMP__INT(broke)},
                                       2, NULL),
                     RAMP_OK);
    ramp__buf out = {0};
    assert_int_equal(ramp__team_page_html(s, team, "vis", c1, 0, "<b>hi</b>", &out), RAMP_OK);
    assert_non_null(strstr(out.p, c1));
    assert_null(strstr(out.p, sid));
    assert_non_null(strstr(out.p, ">v</a>"));
    assert_null(strstr(out.p, "theirs"));
    assert_null(strstr(out.p, "0.777"));
    assert_non_null(strstr(out.p, "0.5100"));
    assert_non_null(strstr(out.p, "&lt;b&gt;hi&lt;/b&gt;"));
    assert_non_null(strstr(out.p, "error log</summary><pre>batch_classifier.c:3: boom</pre>"));
    assert_null(strstr(out.p, "/srv"));
    char row[64];
    snprintf(row, sizeof row, "data-id=\"%lld\"", (long long)vis_id);
    assert_non_null(strstr(out.p, row));
    ramp__buf_free(&out);
    /* log out */
    assert_int_equal(ramp__store_session_end(s, sid), RAMP_OK);
    assert_int_equal(ramp__store_session_team(s, sid, &got, NULL), RAMP_ENOENT);
    assert_int_equal(ramp__store_session_team(s, sid2, &got, NULL), RAMP_OK);
    ramp__store_close(s);
    remove(path);
}

/* The labelling pool: a store of schema 4 with a submission migrates to 5
   keeping it; the pool's settings, images by id (bytes back as stored,
   duplicates and bad ids refused), saves kept as history with the latest
   winning, and the export's rows. */
static void test_label_store(void **state)
{
    (void)state;
    char path[512];
    db_path(path, sizeof path, "label");
    ramp__store *s;
    ramp_err err;
    assert_int_equal(ramp__store_open_version(&s, path, 4, &err), RAMP_OK);
    assert_int_equal(ramp__store_event_set(s, RAMP_SOURCE_DIR "/kits/fashion_mnist", "/nonexistent", 0),
                     RAMP_OK);
    int64_t team, id;
    assert_int_equal(ramp__store_team_id(s, "old", 1, &team), RAMP_OK);
    assert_int_equal(ramp__store_submit(s, team, "v4", files, 2, &id), RAMP_OK);
    ramp__store_close(s);
    assert_int_equal(ramp__store_open(&s, path, &err), RAMP_OK);
    assert_int_equal(ramp__store_schema_version(s), RAMP__SCHEMA_VERSION);
    int64_t n = 0;
    assert_int_equal(ramp__store_count(s, "new", &n), RAMP_OK);
    assert_int_equal(n, 1);

    ramp__label_set ls;
    assert_int_equal(ramp__label_set_get(s, &ls), RAMP_ENOENT);
    assert_non_null(strstr(ramp__store_errmsg(s), "ramp label add"));
    assert_int_equal(ramp__label_enable(s, 1), RAMP_ENOENT);
    const char *cls[3] = {"cat", "dog", "bad\nname"};
    assert_int_equal(ramp__label_set_define(s, "t", cls, 3, RAMP__GEOM_BOX, 5), RAMP_EINVAL);
    assert_int_equal(ramp__label_set_define(s, "t", cls, 2, RAMP__GEOM_BOX, 0), RAMP_EINVAL);
    assert_int_equal(ramp__label_set_define(s, "t", cls, 2, RAMP__GEOM_BOX, 5), RAMP_OK);
    assert_int_equal(ramp__label_set_get(s, &ls), RAMP_OK);
    assert_int_equal(ls.n_classes, 2);
    assert_string_equal(ls.classes[1], "dog");
    assert_int_equal(ls.geometry, RAMP__GEOM_BOX);
    assert_int_equal(ls.enabled, 0);
    ramp__label_set_clear(&ls);
    assert_int_equal(ramp__label_enable(s, 1), RAMP_OK);

    const uint8_t px[5] = {1, 2, 0, 4, 5}; /* bytes with a NUL: stored as a blob */
    assert_int_equal(ramp__label_image_add(s, "a.png", px, 5, 8, 6, "image/png"), RAMP_OK);
    assert_int_equal(ramp__label_image_add(s, "a.png", px, 5, 8, 6, "image/png"), RAMP_EDUP);
    assert_int_equal(ramp__label_image_add(s, "../x.png", px, 5, 8, 6, "image/png"), RAMP_EINVAL);
    assert_int_equal(ramp__label_image_add(s, ".hidden", px, 5, 8, 6, "image/png"), RAMP_EINVAL);
    assert_int_equal(ramp__label_image_add(s, "b.jpg", px, 4, 8, 6, "image/jpeg"), RAMP_OK);
    int w, h;
    char *type;
    uint8_t *bytes;
    size_t len;
    assert_int_equal(ramp__label_image_get(s, "a.png", &w, &h, &type, &bytes, &len), RAMP_OK);
    assert_int_equal(w, 8);
    assert_int_equal(h, 6);
    assert_string_equal(type, "image/png");
    assert_int_equal(len, 5);
    assert_memory_equal(bytes, px, 5);
    free(type);
    free(bytes);
    assert_int_equal(ramp__label_image_get(s, "/etc/passwd", &w, &h, &type, &bytes, &len), RAMP_ENOENT);
    assert_int_equal(ramp__label_image_get(s, "c.png", &w, &h, &type, NULL, NULL), RAMP_ENOENT);

    /* two saves of a.png (history), none of b.jpg */
    assert_int_equal(ramp__label_save(s, "a.png", team, "old", "[]"), RAMP_OK);
    assert_int_equal(ramp__label_save(s, "a.png", 0, "organiser",
                                      "[{\"class\": 1, \"box\": [1, 2, 3, 4]}]"),
                     RAMP_OK);
    assert_int_equal(ramp__label_save(s, "zz.png", team, "old", "[]"), RAMP_ENOENT);
    assert_int_equal(ramp__label_count_saves(s, &n), RAMP_OK);
    assert_int_equal(n, 2);
    char *sh, *who;
    double at;
    assert_int_equal(ramp__label_latest(s, "a.png", &sh, &who, &at), RAMP_OK);
    assert_string_equal(sh, "[{\"class\": 1, \"box\": [1, 2, 3, 4]}]");
    assert_string_equal(who, "organiser");
    free(sh);
    free(who);
    assert_int_equal(ramp__label_latest(s, "b.jpg", &sh, &who, &at), RAMP_ENOENT);
    ramp__label_image *im;
    size_t ni;
    assert_int_equal(ramp__label_images(s, &im, &ni), RAMP_OK);
    assert_int_equal(ni, 2);
    assert_string_equal(im[0].id, "a.png");
    assert_int_equal(im[0].labelled, 1);
    assert_int_equal(im[1].labelled, 0);
    ramp__label_images_free(im, ni);
    ramp__label_row *rows;
    assert_int_equal(ramp__label_export(s, &rows, &ni), RAMP_OK);
    assert_int_equal(ni, 2);
    assert_string_equal(rows[0].shapes, "[{\"class\": 1, \"box\": [1, 2, 3, 4]}]");
    assert_null(rows[1].shapes);
    assert_null(rows[1].labeller);
    ramp__label_rows_free(rows, ni);
    /* an image keeps its last RAMP__LABEL_KEEP_SAVES saves */
    for (int i = 0; i < RAMP__LABEL_KEEP_SAVES + 5; i++) {
        char js[64];
        snprintf(js, sizeof js, "[{\"class\": 0, \"box\": [0, 0, 1, %d]}]", 1 + i % 5);
        assert_int_equal(ramp__label_save(s, "b.jpg", team, "old", js), RAMP_OK);
    }
    assert_int_equal(ramp__label_count_saves(s, &n), RAMP_OK);
    assert_int_equal(n, 2 + RAMP__LABEL_KEEP_SAVES);
    assert_int_equal(ramp__label_latest(s, "b.jpg", &sh, &who, &at), RAMP_OK);
    assert_string_equal(sh, "[{\"class\": 0, \"box\": [0, 0, 1, 5]}]"); /* i = 104 */
    free(sh);
    free(who);
    assert_int_equal(ramp__label_latest(s, "a.png", &sh, &who, &at), RAMP_OK);
    assert_string_equal(who, "organiser"); /* another image's history is untouched */
    free(sh);
    free(who);
    /* the geometry cannot change once labels are saved */
    assert_int_equal(ramp__label_set_define(s, "t", cls, 2, RAMP__GEOM_POLYGON, 5), RAMP_EINVAL);
    assert_non_null(strstr(ramp__store_errmsg(s), "another geometry"));
    assert_int_equal(ramp__label_set_define(s, "t2", cls, 2, RAMP__GEOM_BOX, 9), RAMP_OK);
    ramp__store_close(s);
    remove(path);
}

/* The shapes parser: each refusal with its message; the checks against an
   8 x 6 image; the canonical JSON reads back to the same shapes. */
/* Previews (schema 6): a store of schema 5 with a submission migrates
   keeping it; a finished submission's previews come back as stored (image
   bytes, overlay), the page draws the objects with escaped class names and
   skips malformed lines, shows nothing without the preview flag; a second
   finish replaces them; positions out of range are ENOENT. */
static void test_previews(void **state)
{
    (void)state;
    char path[512];
    db_path(path, sizeof path, "preview");
    ramp__store *s;
    ramp_err err;
    assert_int_equal(ramp__store_open_version(&s, path, 5, &err), RAMP_OK);
    assert_int_equal(ramp__store_event_set(s, RAMP_SOURCE_DIR "/kits/fashion_mnist", "/nonexistent", 0),
                     RAMP_OK);
    int64_t team, id;
    assert_int_equal(ramp__store_team_id(s, "t", 1, &team), RAMP_OK);
    assert_int_equal(ramp__store_submit(s, team, "v5", files, 2, &id), RAMP_OK);
    ramp__store_close(s);
    assert_int_equal(ramp__store_open(&s, path, &err), RAMP_OK);
    assert_int_equal(ramp__store_schema_version(s), 6);
    ramp__claim c;
    assert_int_equal(ramp__store_claim(s, "w", 60, &c, NULL), RAMP_OK);
    assert_int_equal(c.id, id);
    ramp__claim_clear(&c);
    static const uint8_t img[] = {0x89, 'P', 'N', 'G', 1, 2, 3, 0, 4};
    static const uint8_t ov[] = {9, 8, 7};
    ramp__preview pv[2] = {
        {.name = "a<b>.png", .width = 40, .height = 30, .type = "image/png", .bytes = img,
         .len = sizeof img, .geometry = 0,
         .dets = "1 0.75 2 3 12 23\nbad line\n0 nan 1 1 2 2\n0 0.5 1 1 2 2\n",
         .classes = "cat\n<dog>&\n"},
        {.name = "b.png", .width = 40, .height = 30, .type = "image/png", .bytes = img,
         .len = sizeof img, .geometry = -1, .mask = ov, .mask_len = 3, .overlay = ov,
         .overlay_len = 3, .classes = "cat\n<dog>&\n"},
    };
    double sc[6] = {0};
    const char *names[1] = {"acc"};
    ramp__result res = {.state = "tested", .n_folds = 1, .n_scores = 1, .score_names = names,
                        .scores = sc, .preview = pv, .n_preview = 2};
    assert_int_equal(ramp__store_finish(s, id, "w", &res), RAMP_OK);
    char *type;
    uint8_t *bytes;
    size_t len;
    assert_int_equal(ramp__preview_file(s, id, 0, 0, &type, &bytes, &len), RAMP_OK);
    assert_string_equal(type, "image/png");
    assert_int_equal(len, sizeof img);
    assert_memory_equal(bytes, img, sizeof img);
    free(type);
    free(bytes);
    assert_int_equal(ramp__preview_file(s, id, 1, 1, &type, &bytes, &len), RAMP_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(bytes, ov, 3);
    free(type);
    free(bytes);
    assert_int_equal(ramp__preview_file(s, id, 0, 1, &type, &bytes, &len), RAMP_ENOENT);
    assert_int_equal(ramp__preview_file(s, id, 2, 0, &type, &bytes, &len), RAMP_ENOENT);
    assert_int_equal(ramp__preview_file(s, id + 1, 0, 0, &type, &bytes, &len), RAMP_ENOENT);
    int64_t owner = 0;
    assert_int_equal(ramp__sub_team(s, id, &owner), RAMP_OK);
    assert_int_equal(owner, team);
    assert_int_equal(ramp__sub_team(s, id + 1, &owner), RAMP_ENOENT);

    ramp__buf b = {0};
    assert_int_equal(ramp__sub_page_html_ex(s, id, 0, 1, &b), RAMP_OK);
    assert_non_null(strstr(b.p, "<rect class=\"det\" data-class=\"1\" data-conf=\"0.75\" x=\"2\""
                                " y=\"3\" width=\"10\" height=\"20\""));
    assert_non_null(strstr(b.p, "&lt;dog&gt;&amp; 0.75</text>"));
    assert_non_null(strstr(b.p, ">cat 0.50</text>"));
    assert_null(strstr(b.p, "nan"));
    assert_null(strstr(b.p, "<dog>"));
    assert_null(strstr(b.p, "a<b>"));
    assert_non_null(strstr(b.p, "a&lt;b&gt;.png"));
    assert_non_null(strstr(b.p, "href=\"/submission/1/preview/1/overlay.png\""));
    const char *p = b.p;
    int n_rect = 0;
    while ((p = strstr(p, "<rect class=\"det\""))) n_rect++, p++;
    assert_int_equal(n_rect, 2);
    ramp__buf_free(&b);
    assert_int_equal(ramp__sub_page_html_as(s, id, 0, &b), RAMP_OK);
    assert_null(strstr(b.p, "preview"));
    ramp__buf_free(&b);

    /* finishing again (a new claim) replaces the previews */
    assert_int_equal(ramp__store_query(s, "UPDATE submission SET state = 'new' WHERE id = ?",
                                       (const ramp__val[]){RAMP__INT(id)}, 1, NULL),
                     RAMP_OK);
    assert_int_equal(ramp__store_claim(s, "w2", 60, &c, NULL), RAMP_OK);
    ramp__claim_clear(&c);
    res.n_preview = 1;
    assert_int_equal(ramp__store_finish(s, id, "w2", &res), RAMP_OK);
    assert_int_equal(ramp__preview_file(s, id, 1, 0, &type, &bytes, &len), RAMP_ENOENT);
    assert_int_equal(ramp__preview_file(s, id, 0, 0, &type, &bytes, &len), RAMP_OK);
    free(type);
    free(bytes);
    ramp__store_close(s);
    remove(path);
}

static void test_label_json(void **state)
{
    (void)state;
    static const struct {
        const char *json, *msg;
    } bad[] = {
        {"", "an object"},
        {"[]", "an object"},
        {"{\"id\": \"a\"}", "both \"id\" and \"shapes\""},
        {"{\"id\": \"a\", \"shapes\": [], \"id\": \"b\"}", "unknown or repeated key 'id'"},
        {"{\"id\": \"a\\u0041\", \"shapes\": []}", "escapes are not accepted"},
        {"{\"id\": \"a\", \"shapes\": [{\"class\": 0, \"box\": [NaN, 1, 2, 3]}]}", "no NaN"},
        {"{\"id\": \"a\", \"shapes\": [{\"class\": 0, \"box\": [-Infinity, 1, 2, 3]}]}", "no NaN"},
        {"{\"id\": \"a\", \"shapes\": [{\"class\": 0, \"box\": [1e400, 1, 2, 3]}]}", "not finite"},
        {"{\"id\": \"a\", \"shapes\": [{\"class\": 0, \"box\": [01, 1, 2, 3]}]}", "',' or ']'"},
        {"{\"id\": \"a\", \"shapes\": [{\"class\": 0, \"box\": [1., 1, 2, 3]}]}", "decimal point"},
        {"{\"id\": \"a\", \"shapes\": [{\"class\": 0, \"box\": [.5, 1, 2, 3]}]}", "a number was expected"},
        {"{\"id\": \"a\", \"shapes\": [{\"class\": 0, \"box\": [+1, 1, 2, 3]}]}", "a number was expected"},
        {"{\"id\": \"a\", \"shapes\": [{\"class\": -1, \"box\": [1, 1, 2, 3]}]}", "not a class number"},
        {"{\"id\": \"a\", \"shapes\": [{\"class\": 0, \"class\": 1, \"box\": [1]}]}", "'class' twice"},
        {"{\"id\": \"a\", \"shapes\": [{\"class\": 0, \"box\": [1], \"circle\": [1]}]}", "more than one of"},
        {"{\"id\": \"a\", \"shapes\": [{\"box\": [1, 2, 3, 4]}]}", "has no 'class'"},
        {"{\"id\": \"a\", \"shapes\": [{\"class\": 0}]}", "has no box, circle or polygon"},
        {"{\"id\": \"a\", \"shapes\": []} x", "bytes after the end"},
        {"{\"id\": \"a\", \"shapes\": [], }", "a string was expected"},
    };
    char id[129], msg[400];
    ramp__shapes sh;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ramp_status st = ramp__shapes_parse(bad[i].json, strlen(bad[i].json), id, &sh, msg, sizeof msg);
        if (st == RAMP_OK || !strstr(msg, bad[i].msg))
            fail_msg("'%s': status %d, message '%s' (want '%s')", bad[i].json, st, msg, bad[i].msg);
        assert_null(sh.s);
    }
    /* a long id and a body over the limit: ETOOBIG */
    char longid[300];
    snprintf(longid, sizeof longid, "{\"id\": \"%0200d\", \"shapes\": []}", 0);
    assert_int_equal(ramp__shapes_parse(longid, strlen(longid), id, &sh, msg, sizeof msg), RAMP_ETOOBIG);
    /* more numbers than the limit */
    ramp__buf b = {0};
    ramp__buf_puts(&b, "[{\"class\": 0, \"polygon\": [0");
    for (int i = 0; i < RAMP__LABEL_MAX_POINTS; i++) ramp__buf_puts(&b, ",0");
    ramp__buf_puts(&b, "]}]");
    assert_false(b.oom);
    assert_int_equal(ramp__shapes_parse(b.p, b.len, NULL, &sh, msg, sizeof msg), RAMP_ETOOBIG);
    assert_non_null(strstr(msg, "more than 20000 numbers"));
    ramp__buf_free(&b);

    /* checks against the pool and an 8 x 6 image */
    char *names[3] = {"a", "b", "c"};
    ramp__label_set ls = {.title = "t", .classes = names, .n_classes = 3,
                          .geometry = RAMP__GEOM_BOX, .max_shapes = 2};
    static const struct {
        const char *json, *msg; /* msg NULL: accepted */
    } chk[] = {
        {"[]", NULL},
        {"[{\"class\": 2, \"box\": [0, 0, 8, 6]}]", NULL},
        {"[{\"class\": 2, \"box\": [0, 0, 8.001, 6]}]", "not inside the 8x6 image"},
        {"[{\"class\": 2, \"box\": [3, 1, 3, 2]}]", "is empty"},
        {"[{\"class\": 3, \"box\": [0, 0, 1, 1]}]", "class 3 is not one of the pool's 3 classes"},
        {"[{\"class\": 0, \"box\": [0, 0, 1]}]", "a box is [x0, y0, x1, y1]"},
        {"[{\"class\": 0, \"circle\": [1, 1, 1]}]", "the kind box"},
        {"[{\"class\": 0, \"box\": [0, 0, 1, 1]}, {\"class\": 0, \"box\": [0, 0, 1, 1]},"
         " {\"class\": 0, \"box\": [0, 0, 1, 1]}]",
         "3 shapes: at most 2 per image"},
    };
    for (size_t i = 0; i < sizeof chk / sizeof *chk; i++) {
        assert_int_equal(ramp__shapes_parse(chk[i].json, strlen(chk[i].json), NULL, &sh, msg, sizeof msg),
                         RAMP_OK);
        ramp_status st = ramp__shapes_check(&sh, &ls, 8, 6, msg, sizeof msg);
        if (chk[i].msg ? st == RAMP_OK || !strstr(msg, chk[i].msg) : st != RAMP_OK)
            fail_msg("'%s': status %d, message '%s'", chk[i].json, st, st ? msg : "");
        ramp__shapes_clear(&sh);
    }
    ls.geometry = RAMP__GEOM_CIRCLE;
    const char *circ[] = {"[{\"class\": 0, \"circle\": [8, 6, 8]}]", "[{\"class\": 0, \"circle\": [4, 3, 0]}]",
                          "[{\"class\": 0, \"circle\": [4, 3, 8.5]}]", "[{\"class\": 0, \"circle\": [9, 3, 1]}]"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ramp__shapes_parse(circ[i], strlen(circ[i]), NULL, &sh, msg, sizeof msg), RAMP_OK);
        assert_int_equal(ramp__shapes_check(&sh, &ls, 8, 6, msg, sizeof msg), i == 0 ? RAMP_OK : RAMP_EINVAL);
        ramp__shapes_clear(&sh);
    }
    ls.geometry = RAMP__GEOM_POLYGON;
    const char *poly[] = {"[{\"class\": 1, \"polygon\": [0, 0, 8, 0, 4, 6]}]",
                          "[{\"class\": 1, \"polygon\": [0, 0, 8, 0]}]",
                          "[{\"class\": 1, \"polygon\": [0, 0, 8, 0, 4, 6, 1]}]",
                          "[{\"class\": 1, \"polygon\": [0, 0, 8, 0, 4, 6.5]}]"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ramp__shapes_parse(poly[i], strlen(poly[i]), NULL, &sh, msg, sizeof msg), RAMP_OK);
        assert_int_equal(ramp__shapes_check(&sh, &ls, 8, 6, msg, sizeof msg), i == 0 ? RAMP_OK : RAMP_EINVAL);
        ramp__shapes_clear(&sh);
    }

    /* the canonical JSON: whitespace and key order normalised, numbers %.9g */
    const char *in = " {\"shapes\" : [ {\"polygon\":[0.5,1e0, 2.25 ,3,4,5.000000001],\"class\":1} ,"
                     "{\"class\":0,\"polygon\":[1,1,2,2,3,1]}],\"id\":\"x.png\"} ";
    assert_int_equal(ramp__shapes_parse(in, strlen(in), id, &sh, msg, sizeof msg), RAMP_OK);
    assert_string_equal(id, "x.png");
    assert_int_equal(sh.n, 2);
    assert_int_equal(sh.s[0].n, 6);
    assert_true(sh.s[1].v[5] == 1.0);
    ramp__buf js = {0};
    ramp__shapes_json(&js, &sh);
    ramp__buf_put(&js, "", 1);
    assert_string_equal(js.p, "[{\"class\": 1, \"polygon\": [0.5, 1, 2.25, 3, 4, 5]}, "
                              "{\"class\": 0, \"polygon\": [1, 1, 2, 2, 3, 1]}]");
    ramp__shapes sh2;
    assert_int_equal(ramp__shapes_parse(js.p, strlen(js.p), NULL, &sh2, msg, sizeof msg), RAMP_OK);
    assert_int_equal(sh2.n, 2);
    assert_int_equal(sh2.n_v, sh.n_v);
    ramp__shapes_clear(&sh2);
    ramp__shapes_clear(&sh);
    ramp__buf_free(&js);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrations),
        cmocka_unit_test(test_submit_and_names),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_board_empty),
        cmocka_unit_test(test_claim_cap),
        cmocka_unit_test(test_release),
        cmocka_unit_test(test_visibility),
        cmocka_unit_test(test_log_public),
        cmocka_unit_test(test_sessions),
        cmocka_unit_test(test_label_store),
        cmocka_unit_test(test_label_json),
        cmocka_unit_test(test_previews),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
