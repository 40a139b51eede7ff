/* test_csv.c — the id,class index reader: quoting, CRLF, BOM, blank lines,
 * column order, ids as relative paths (sub-folders accepted, every way out
 * of the images folder refused), each error against its exact file:line
 * message, the skip-bad-rows mode, ramp_kit_check's list of problems, and
 * 70k rows with duplicate detection. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ramp/dataset.h"

static ramp_index *parse(const char *text, size_t len, int n_classes, ramp_err *e)
{
    ramp_index *ix = (ramp_index *)1;
    ramp_status st = ramp_index_parse(&ix, text, len, "train.csv", n_classes, 0, e);
    if (st) {
        assert_null(ix);
        assert_int_equal(e->code, st);
    }
    return ix;
}

static void test_good(void **state)
{
    (void)state;
    static const char text[] = "\xEF\xBB\xBF"
                               "extra,class,id\r\n"
                               "x,3,img_a\r\n"
                               "\r\n"
                               "\"q,\"\"uoted\"\"\",0,\"b,\"\"c\"\"\"\r\n"
                               "y, 9 ,\"multi\nline\"\r\n"
                               "\n"
                               "z,1,last";
    ramp_err e;
    ramp_index *ix = parse(text, sizeof text - 1, 10, &e);
    assert_non_null(ix);
    assert_int_equal(ramp_index_n(ix), 4);
    assert_string_equal(ramp_index_id(ix, 0), "img_a");
    assert_int_equal(ramp_index_label(ix, 0), 3);
    assert_int_equal(ramp_index_line(ix, 0), 2);
    assert_string_equal(ramp_index_id(ix, 1), "b,\"c\"");
    assert_int_equal(ramp_index_label(ix, 1), 0);
    assert_int_equal(ramp_index_line(ix, 1), 4);
    assert_string_equal(ramp_index_id(ix, 2), "multi\nline");
    assert_int_equal(ramp_index_label(ix, 2), 9);
    assert_int_equal(ramp_index_line(ix, 2), 5);
    assert_string_equal(ramp_index_id(ix, 3), "last");
    assert_int_equal(ramp_index_line(ix, 3), 8); /* the quoted newline counts */
    assert_int_equal(ramp_index_labels(ix)[3], 1);
    assert_null(ramp_index_id(ix, 4));
    assert_string_equal(ramp_index_name(ix), "train.csv");
    ramp_index_free(ix);
    ramp_index_free(NULL);

    /* header only: an empty index */
    ix = parse("id,class\n", 9, 10, &e);
    assert_non_null(ix);
    assert_int_equal(ramp_index_n(ix), 0);
    ramp_index_free(ix);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"", "train.csv:1: empty file (a header 'id,class' is required)"},
        {"\n\n", "train.csv:1: empty file (a header 'id,class' is required)"},
        {"\n\nid,label\na,1\n", "train.csv:3: header has no 'class' column"},
        {"name,class\na,1\n", "train.csv:1: header has no 'id' column"},
        {"id,class,id\na,1,b\n", "train.csv:1: column 'id' appears twice in the header"},
        {"id,class\na,1\nb,10\n", "train.csv:3: id 'b': class 10 out of range [0, 10)"},
        {"id,class\r\na,1\r\nb,-1\r\n", "train.csv:3: id 'b': class -1 out of range [0, 10)"},
        {"id,class\na,1\n\nb,1.0\n", "train.csv:4: id 'b': class '1.0' is not an integer"},
        {"id,class\na,\n", "train.csv:2: id 'a': class '' is not an integer"},
        {"id,class\na,99999999999999999999\n",
         "train.csv:2: id 'a': class 99999999999999999999 out of range [0, 10)"},
        {"id,class\na,1\nb,2\na,3\n", "train.csv:4: duplicate id 'a' (first on line 2)"},
        {"id,class\n,1\n", "train.csv:2: empty id"},
        {"id,class\n\"\",1\n", "train.csv:2: empty id"},
        {"id,class\na,1\n\"b,2\nc,3\n", "train.csv:3: unterminated quote"},
        {"id,class\na,1,2\n", "train.csv:2: expected 2 fields (as the header), found 3"},
        {"id,class\na\n", "train.csv:2: expected 2 fields (as the header), found 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ramp_err e;
        ramp_index *ix = parse(cases[i].text, strlen(cases[i].text), 10, &e);
        if (ix || strcmp(e.msg, cases[i].msg) != 0)
            print_error("case %zu: got '%s'\n", i, ix ? "(accepted)" : e.msg);
        assert_null(ix);
        assert_string_equal(e.msg, cases[i].msg);
    }
    /* n_classes <= 0: any non-negative class */
    ramp_err e;
    ramp_index *ix = parse("id,class\na,12345\n", 17, 0, &e);
    assert_non_null(ix);
    assert_int_equal(ramp_index_label(ix, 0), 12345);
    ramp_index_free(ix);
}

/* RAMP_INDEX_SKIP_BAD_ROWS: every bad row is skipped and its message kept
   in the index, in file order, with its status. */
static void test_skip_bad_rows(void **state)
{
    (void)state;
    const char *text = "id,class\na,1\nb,10\nc,x\na,2\nd/../e,1\nf/g,2\n,1\n";
    ramp_index *ix = NULL;
    ramp_err e;
    assert_int_equal(
        ramp_index_parse(&ix, text, strlen(text), "t.csv", 10, RAMP_INDEX_SKIP_BAD_ROWS, &e),
        RAMP_OK);
    assert_int_equal(ramp_index_n_skipped(ix), 5);
    ramp_status st;
    assert_string_equal(ramp_index_skipped(ix, 0, &st),
                        "t.csv:3: id 'b': class 10 out of range [0, 10)");
    assert_int_equal(st, RAMP_ERANGE);
    assert_string_equal(ramp_index_skipped(ix, 1, NULL),
                        "t.csv:4: id 'c': class 'x' is not an integer");
    assert_string_equal(ramp_index_skipped(ix, 2, &st),
                        "t.csv:5: duplicate id 'a' (first on line 2)");
    assert_int_equal(st, RAMP_EDUP);
    assert_string_equal(ramp_index_skipped(ix, 3, NULL),
                        "t.csv:6: id 'd/../e' is not a safe relative path ('..' component)");
    assert_string_equal(ramp_index_skipped(ix, 4, &st), "t.csv:8: empty id");
    assert_int_equal(st, RAMP_EFORMAT);
    assert_null(ramp_index_skipped(ix, 5, &st));
    assert_int_equal(st, RAMP_OK);
    assert_int_equal(ramp_index_n(ix), 2); /* a and f/g */
    assert_string_equal(ramp_index_id(ix, 1), "f/g");
    ramp_index_free(ix);

    /* without the flag, the first bad row fails the call, naming it */
    ix = (ramp_index *)1;
    assert_int_equal(ramp_index_parse(&ix, text, strlen(text), "t.csv", 10, 0, &e), RAMP_ERANGE);
    assert_null(ix);
    assert_string_equal(e.msg, "t.csv:3: id 'b': class 10 out of range [0, 10)");

    /* a problem with the file as a whole still fails the call */
    ix = (ramp_index *)1;
    assert_int_equal(ramp_index_parse(&ix, "id\na\n", 5, "t.csv", 10, RAMP_INDEX_SKIP_BAD_ROWS, &e),
                     RAMP_EFORMAT);
    assert_null(ix);
    assert_string_equal(e.msg, "t.csv:1: header has no 'class' column");
    assert_int_equal(ramp_index_parse(NULL, "id\na\n", 5, "t.csv", 10, 0, &e), RAMP_EINVAL);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* ramp_kit_check returns every problem in the summary, in order (the CSVs'
   rows, then the images), and names the first with the count of the others
   in err. */
static void test_kit_check_list(void **state)
{
    (void)state;
    char dir[] = "/tmp/ramp_test_kit_XXXXXX", p[256];
    assert_non_null(mkdtemp(dir));
    snprintf(p, sizeof p, "%s/data", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/data/imgs", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/problem.ini", dir);
    write_text(p, "[problem]\ntitle = t\nn_classes = 3\n[scores]\nacc = accuracy\n");
    snprintf(p, sizeof p, "%s/data/train.csv", dir);
    write_text(p, "id,class\na.png,1\nb.png,7\na.png,2\n");
    snprintf(p, sizeof p, "%s/data/test.csv", dir);
    write_text(p, "id,class\n");
    ramp_kit_summary sum;
    ramp_err e;
    assert_int_equal(ramp_kit_check(&sum, dir, NULL, 1, &e), RAMP_EFORMAT);
    assert_int_equal(sum.n_problems, 3);
    char want[512];
    snprintf(want, sizeof want, "%s/data/train.csv:3: id 'b.png': class 7 out of range [0, 3)",
             dir);
    assert_string_equal(sum.problems[0], want);
    snprintf(want, sizeof want, "%s/data/train.csv:4: duplicate id 'a.png' (first on line 2)", dir);
    assert_string_equal(sum.problems[1], want);
    assert_non_null(strstr(sum.problems[2], "a.png")); /* the missing image */
    snprintf(want, sizeof want,
             "%s/data/train.csv:3: id 'b.png': class 7 out of range [0, 3) (and 2 more problems)",
             dir);
    assert_string_equal(e.msg, want);
    ramp_kit_summary_free(&sum);
    assert_null(sum.problems);
    ramp_kit_summary_free(&sum); /* twice is fine */
    const char *files[] = {"problem.ini", "data/train.csv", "data/test.csv", "data/imgs", "data"};
    for (int i = 0; i < 5; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        assert_int_equal(remove(p), 0);
    }
    assert_int_equal(rmdir(dir), 0);
}

/* Ids are relative paths under the images folder, as rampwf joins them
   (os.path.join(folder, id)); sub-folders are fine, escapes are not. */
static void test_id_paths(void **state)
{
    (void)state;
    static const char good[] = "id,class\n"
                               "train/0001.jpg,1\n"
                               "a/b/c/d.png,2\n"
                               "..a/b..,3\n"
                               ".hidden/x.,4\n"
                               "sp ace/\xc3\xa9t\xc3\xa9.jpg,5\n"
                               "train/0001.JPG,6\n";
    ramp_err e;
    ramp_index *ix = parse(good, sizeof good - 1, 10, &e);
    if (!ix) fail_msg("%s", e.msg);
    assert_int_equal(ramp_index_n(ix), 6);
    assert_string_equal(ramp_index_id(ix, 0), "train/0001.jpg");
    assert_string_equal(ramp_index_id(ix, 1), "a/b/c/d.png");
    assert_string_equal(ramp_index_id(ix, 2), "..a/b..");
    assert_string_equal(ramp_index_id(ix, 3), ".hidden/x.");
    assert_string_equal(ramp_index_id(ix, 4), "sp ace/\xc3\xa9t\xc3\xa9.jpg");
    ramp_index_free(ix);
    /* the length bounds: a 255-byte component and a 1024-byte id pass */
    char text[2200];
    char comp[300];
    memset(comp, 'c', 255);
    comp[255] = 0;
    snprintf(text, sizeof text, "id,class\n%s/x,1\n", comp);
    ix = parse(text, strlen(text), 10, &e);
    assert_non_null(ix);
    ramp_index_free(ix);
    char id[1100];
    memset(id, 'a', 1024);
    for (int i = 200; i < 1024; i += 201)
        id[i] = '/';
    id[1024] = 0;
    snprintf(text, sizeof text, "id,class\n%s,1\n", id);
    ix = parse(text, strlen(text), 10, &e);
    assert_non_null(ix);
    assert_int_equal(strlen(ramp_index_id(ix, 0)), 1024);
    ramp_index_free(ix);

    static const struct {
        const char *id, *msg;
    } bad[] = {
        {"/etc/passwd",
         "train.csv:2: id '/etc/passwd' is not a safe relative path (starts with '/')"},
        {"/", "train.csv:2: id '/' is not a safe relative path (starts with '/')"},
        {"a//b", "train.csv:2: id 'a//b' is not a safe relative path (empty component)"},
        {"a/", "train.csv:2: id 'a/' is not a safe relative path (empty component)"},
        {".", "train.csv:2: id '.' is not a safe relative path ('.' component)"},
        {"./a", "train.csv:2: id './a' is not a safe relative path ('.' component)"},
        {"a/./b", "train.csv:2: id 'a/./b' is not a safe relative path ('.' component)"},
        {"..", "train.csv:2: id '..' is not a safe relative path ('..' component)"},
        {"../x.jpg", "train.csv:2: id '../x.jpg' is not a safe relative path ('..' component)"},
        {"a/../../b", "train.csv:2: id 'a/../../b' is not a safe relative path ('..' component)"},
        {"a/..", "train.csv:2: id 'a/..' is not a safe relative path ('..' component)"},
        {"a\\b.jpg", "train.csv:2: id 'a\\b.jpg' is not a safe relative path (backslash)"},
        {"..\\x", "train.csv:2: id '..\\x' is not a safe relative path (backslash)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(text, sizeof text, "id,class\n%s,1\n", bad[i].id);
        ix = parse(text, strlen(text), 10, &e);
        if (ix || strcmp(e.msg, bad[i].msg) != 0)
            print_error("id '%s': got '%s'\n", bad[i].id, ix ? "(accepted)" : e.msg);
        assert_null(ix);
        assert_int_equal(e.code, RAMP_EFORMAT);
        assert_string_equal(e.msg, bad[i].msg);
    }
    /* an embedded NUL */
    static const char nul[] = "id,class\n\"a\0b\",1\n";
    assert_null(parse(nul, sizeof nul - 1, 10, &e));
    assert_string_equal(e.msg, "train.csv:2: id 'a\\x00b' is not a safe relative path (NUL byte)");
    /* too long: a 256-byte component; a 1025-byte id (shown cut to 40 bytes) */
    comp[255] = 'c';
    comp[256] = 0;
    snprintf(text, sizeof text, "id,class\nx/%s,1\n", comp);
    assert_null(parse(text, strlen(text), 10, &e));
    assert_string_equal(e.msg, "train.csv:2: id 'x/cccccccccccccccccccccccccccccccccccccc...' is "
                               "not a safe relative path (component over 255 bytes)");
    id[1024] = 'a';
    id[1025] = 0;
    snprintf(text, sizeof text, "id,class\n%s,1\n", id);
    assert_null(parse(text, strlen(text), 10, &e));
    assert_string_equal(e.msg, "train.csv:2: id 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is "
                               "not a safe relative path (over 1024 bytes)");
}

static void test_large(void **state)
{
    (void)state;
    size_t n = 70000, cap = n * 24 + 32, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text, cap, "id,class\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "train_%05zu,%zu\n", i, i % 10);
    ramp_err e;
    ramp_index *ix = parse(text, len, 10, &e);
    assert_non_null(ix);
    assert_int_equal(ramp_index_n(ix), n);
    assert_string_equal(ramp_index_id(ix, 69999), "train_69999");
    assert_int_equal(ramp_index_label(ix, 69999), 9);
    ramp_index_free(ix);
    /* a duplicate at the very end is found, with both lines */
    len += (size_t)snprintf(text + len, cap - len, "train_00007,1\n");
    assert_null(parse(text, len, 10, &e));
    assert_string_equal(e.msg, "train.csv:70002: duplicate id 'train_00007' (first on line 9)");
    free(text);
}

static void test_load_file(void **state)
{
    (void)state;
    ramp_index *ix = (ramp_index *)1;
    ramp_err e;
    assert_int_equal(
        ramp_index_load(&ix, RAMP_SOURCE_DIR "/tests/fixtures/kits/no_such.csv", 10, 0, &e),
        RAMP_ENOENT);
    assert_null(ix);
    assert_non_null(strstr(e.msg, "no_such.csv"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),          cmocka_unit_test(test_errors),
        cmocka_unit_test(test_skip_bad_rows), cmocka_unit_test(test_kit_check_list),
        cmocka_unit_test(test_id_paths),      cmocka_unit_test(test_large),
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
