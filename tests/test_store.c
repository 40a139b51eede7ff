/* test_store.c — the submission store on SQLite: migrations, the state
 * machine, claims from two connections, leases that expire, results stored
 * only by the claim's holder, names and tokens. */
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
    assert_int_equal(ramp__store_open(&s, path, &err), RAMP_OK);
    assert_int_equal(ramp__store_schema_version(s), RAMP__SCHEMA_VERSION);
    assert_int_equal(ramp__store_query(s, "SELECT COUNT(*) FROM claim_log", NULL, 0, &r), RAMP_OK);
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
    assert_int_equal(ramp__store_submit(s, team, "a3", files, 2, &id2), RAMP_EINVAL);
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
    assert_int_equal(ramp__store_renew(a, ca.id, "wb", 60), RAMP_ECANCELED);
    /* an expired lease: another worker takes it over; the first can no
       longer renew nor store results */
    assert_int_equal(ramp__store_renew(b, cb.id, "wb", -1), RAMP_OK);
    assert_int_equal(ramp__store_claim(a, "wc", 60, &cc, NULL), RAMP_OK);
    assert_int_equal(cc.id, id2);
    assert_int_equal(cc.n_claims, 2);
    assert_int_equal(ramp__store_renew(b, id2, "wb", 60), RAMP_ECANCELED);
    const char *names[1] = {"acc"};
    double scores[6] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
    ramp__result res = {.state = "training_error", .log = "ramp: fold 0: training_error: boom",
                        .n_folds = 1, .n_scores = 1, .score_names = names, .scores = scores};
    assert_int_equal(ramp__store_finish(b, id2, "wb", &res), RAMP_ECANCELED);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrations),
        cmocka_unit_test(test_submit_and_names),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_board_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
