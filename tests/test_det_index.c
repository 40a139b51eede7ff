/* test_det_index.c — a detection kit's objects CSV (boxes and circles):
 * grouping by image in first-appearance order, images without objects,
 * every bad header and bad row against its exact message (file:line),
 * skipping bad rows; a segmentation id list (RAMP_INDEX_NO_CLASS); and
 * ramp__kit_load filling ramp_samples' objects or mask paths. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "data/dataInt.h"
#include "ramp/dataset.h"
#include "ramp/problem.h"

static ramp_det_index *parse(const char *text, int n_classes, int geometry, unsigned flags,
                             ramp_err *e)
{
    ramp_det_index *ix = (ramp_det_index *)1;
    ramp_status st =
        ramp_det_index_parse(&ix, text, strlen(text), "t.csv", n_classes, geometry, flags, e);
    if (st) {
        assert_null(ix);
        assert_int_equal(e->code, st);
    }
    return ix;
}

static void test_boxes(void **state)
{
    (void)state;
    ramp_err e;
    /* columns in another order, an extra column, ids interleaved, an image
       without objects, CRLF */
    ramp_det_index *ix = parse("x0,y0,x1,y1,id,note,class\r\n"
                               "1,2,3,4,a,,0\r\n"
                               "0.5,0.5,10.25,20,b,x,2\r\n"
                               ",,,,c,,\r\n"
                               "5,6,7,8,a,,1\r\n"
                               "\r\n"
                               " 3 , 3 , 3 , 3 ,b,,2\r\n",
                               3, RAMP_DET_BOX, 0, &e);
    assert_non_null(ix);
    assert_int_equal(ramp_det_index_geometry(ix), RAMP_DET_BOX);
    assert_int_equal(ramp_det_index_n(ix), 3);
    assert_string_equal(ramp_det_index_id(ix, 0), "a");
    assert_string_equal(ramp_det_index_id(ix, 1), "b");
    assert_string_equal(ramp_det_index_id(ix, 2), "c");
    assert_string_equal(ramp_det_index_ids(ix)[2], "c");
    assert_null(ramp_det_index_id(ix, 3));
    assert_int_equal(ramp_det_index_line(ix, 0), 2);
    assert_int_equal(ramp_det_index_line(ix, 2), 4);
    assert_int_equal(ramp_det_index_n_objs(ix), 4);
    const size_t *off = ramp_det_index_obj_off(ix);
    assert_int_equal(off[0], 0);
    assert_int_equal(off[1], 2);
    assert_int_equal(off[2], 4);
    assert_int_equal(off[3], 4);
    const ramp_obj *o = ramp_det_index_objs(ix);
    /* a's objects in file order: lines 2 and 5 */
    assert_int_equal(o[0].cls, 0);
    assert_true(o[0].g[0] == 1 && o[0].g[1] == 2 && o[0].g[2] == 3 && o[0].g[3] == 4);
    assert_int_equal(o[1].cls, 1);
    assert_true(o[1].g[0] == 5 && o[1].g[3] == 8);
    assert_true(o[2].g[0] == 0.5f && o[2].g[2] == 10.25f && o[2].g[3] == 20);
    assert_true(o[3].g[0] == 3 && o[3].conf == 1);
    assert_int_equal(ramp_det_index_obj_line(ix, 0), 2);
    assert_int_equal(ramp_det_index_obj_line(ix, 1), 5);
    assert_int_equal(ramp_det_index_obj_line(ix, 3), 7);
    assert_string_equal(ramp_det_index_name(ix), "t.csv");
    ramp_det_index_free(ix);
    ramp_det_index_free(NULL);
}

static void test_circles(void **state)
{
    (void)state;
    ramp_err e;
    ramp_det_index *ix = parse("id,x,y,r\nt1,10,20,3\nt2,,,\nt1,0,0,0\n", 1, -1, 0, &e);
    assert_non_null(ix);
    assert_int_equal(ramp_det_index_geometry(ix), RAMP_DET_CIRCLE);
    assert_int_equal(ramp_det_index_n(ix), 2);
    assert_int_equal(ramp_det_index_n_objs(ix), 2);
    const ramp_obj *o = ramp_det_index_objs(ix);
    assert_int_equal(o[0].cls, 0);
    assert_true(o[0].g[0] == 10 && o[0].g[1] == 20 && o[0].g[2] == 3 && o[0].g[3] == 0);
    assert_int_equal(ramp_det_index_obj_off(ix)[2], 2);
    ramp_det_index_free(ix);
    ix = parse("id,class,x,y,r\nt1,1,10,20,3\n", 2, RAMP_DET_CIRCLE, 0, &e);
    assert_non_null(ix);
    assert_int_equal(ramp_det_index_objs(ix)[0].cls, 1);
    ramp_det_index_free(ix);
    /* only a header: no image */
    ix = parse("id,x,y,r\n", 1, -1, 0, &e);
    assert_non_null(ix);
    assert_int_equal(ramp_det_index_n(ix), 0);
    assert_int_equal(ramp_det_index_obj_off(ix)[0], 0);
    ramp_det_index_free(ix);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int geometry;
        const char *msg;
    } cases[] = {
        {"", 0, "t.csv:1: empty file (a header 'id,class,x0,y0,x1,y1' or 'id,x,y,r' is required)"},
        {"class,x0,y0,x1,y1\n", 0, "t.csv:1: header has no 'id' column"},
        {"id,class\n", 0,
         "t.csv:1: header has neither box columns (x0,y0,x1,y1) nor circle columns (x,y,r)"},
        {"id,class,x0,y0,x1,y1,r\n", 0,
         "t.csv:1: header has both box (x0,y0,x1,y1) and circle (x,y,r) columns"},
        {"id,class,x0,y0,x1\n", 0, "t.csv:1: header has no 'y1' column"},
        {"id,x0,y0,x1,y1\n", 0, "t.csv:1: header has no 'class' column"},
        {"id,x,y\n", 1, "t.csv:1: header has no 'r' column"},
        {"id,id,x,y,r\n", 1, "t.csv:1: column 'id' appears twice in the header"},
        {"id,x,y,r\n", RAMP_DET_BOX,
         "t.csv:1: header has circle (x,y,r) columns, but the problem's geometry is box"},
        {"id,class,x0,y0,x1,y1\n", RAMP_DET_CIRCLE,
         "t.csv:1: header has box (x0,y0,x1,y1) columns, but the problem's geometry is circle"},
        {"id,class,x0,y0,x1,y1\na,0,1,2,3\n", 0,
         "t.csv:2: expected 6 fields (as the header), found 5"},
        {"id,class,x0,y0,x1,y1\n\n,0,1,2,3,4\n", 0, "t.csv:3: empty id"},
        {"id,class,x0,y0,x1,y1\n../a,0,1,2,3,4\n", 0,
         "t.csv:2: id '../a' is not a safe relative path ('..' component)"},
        {"id,class,x0,y0,x1,y1\n/etc/passwd,0,1,2,3,4\n", 0,
         "t.csv:2: id '/etc/passwd' is not a safe relative path (starts with '/')"},
        {"id,class,x0,y0,x1,y1\na,0,1,2,,4\n", 0,
         "t.csv:2: id 'a': empty x1 (an image without objects leaves every field but the id "
         "empty)"},
        {"id,class,x0,y0,x1,y1\na,,1,2,3,4\n", 0,
         "t.csv:2: id 'a': empty class (an image without objects leaves every field but the id "
         "empty)"},
        {"id,class,x0,y0,x1,y1\na,cat,1,2,3,4\n", 0,
         "t.csv:2: id 'a': class 'cat' is not an integer"},
        {"id,class,x0,y0,x1,y1\na,3,1,2,3,4\n", 0, "t.csv:2: id 'a': class 3 out of range [0, 3)"},
        {"id,class,x0,y0,x1,y1\na,-1,1,2,3,4\n", 0,
         "t.csv:2: id 'a': class -1 out of range [0, 3)"},
        {"id,class,x0,y0,x1,y1\na,0,1,nan,3,4\n", 0,
         "t.csv:2: id 'a': y0 'nan' is not a finite number"},
        {"id,class,x0,y0,x1,y1\na,0,1,2,inf,4\n", 0,
         "t.csv:2: id 'a': x1 'inf' is not a finite number"},
        {"id,class,x0,y0,x1,y1\na,0,1,2,3,1e39\n", 0,
         "t.csv:2: id 'a': y1 '1e39' is not a finite number"},
        {"id,class,x0,y0,x1,y1\na,0,1,2,3,4x\n", 0,
         "t.csv:2: id 'a': y1 '4x' is not a finite number"},
        {"id,class,x0,y0,x1,y1\na,0,5,2,3,4\n", 0, "t.csv:2: id 'a': box (5, 2, 3, 4) has x0 > x1"},
        {"id,class,x0,y0,x1,y1\na,0,1,5,3,4.5\n", 0,
         "t.csv:2: id 'a': box (1, 5, 3, 4.5) has y0 > y1"},
        {"id,x,y,r\na,1,2,-0.5\n", 1, "t.csv:2: id 'a': radius -0.5 is negative"},
        {"id,x,y,r\na,,,\nb,1,1,1\na,,,\n", 1,
         "t.csv:4: id 'a': a second row without objects (first on line 2)"},
        {"id,x,y,r\na,,,\nb,1,1,1\na,1,2,3\n", 1,
         "t.csv:2: id 'a': a row without objects, but line 4 gives it one"},
        {"id,x,y,r\na,\"1,1,1\n", 1, "t.csv:2: unterminated quote"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ramp_err e;
        ramp_det_index *ix = parse(cases[i].text, 3, cases[i].geometry, 0, &e);
        if (ix || strcmp(e.msg, cases[i].msg) != 0)
            print_error("case %zu: got '%s'\n", i, ix ? "(accepted)" : e.msg);
        assert_null(ix);
        assert_string_equal(e.msg, cases[i].msg);
    }
}

static void test_skip_bad_rows(void **state)
{
    (void)state;
    ramp_err e;
    ramp_det_index *ix = parse("id,class,x0,y0,x1,y1\n"
                               "a,0,1,2,3,4\n"
                               "b,9,1,2,3,4\n" /* b has only a bad row: left out */
                               "a,0,4,2,3,4\n"
                               "c,1,0,0,1,1\n",
                               3, 0, RAMP_INDEX_SKIP_BAD_ROWS, &e);
    assert_non_null(ix);
    assert_int_equal(ramp_det_index_n(ix), 2);
    assert_string_equal(ramp_det_index_id(ix, 1), "c");
    assert_int_equal(ramp_det_index_n_objs(ix), 2);
    assert_int_equal(ramp_det_index_n_skipped(ix), 2);
    ramp_status st;
    assert_string_equal(ramp_det_index_skipped(ix, 0, &st),
                        "t.csv:3: id 'b': class 9 out of range [0, 3)");
    assert_int_equal(st, RAMP_ERANGE);
    assert_string_equal(ramp_det_index_skipped(ix, 1, &st),
                        "t.csv:4: id 'a': box (4, 2, 3, 4) has x0 > x1");
    assert_null(ramp_det_index_skipped(ix, 2, &st));
    ramp_det_index_free(ix);
}

/* ---- a segmentation id list, and kits ---------------------------------- */

static void test_id_list(void **state)
{
    (void)state;
    ramp_err e;
    ramp_index *ix;
    const char *t = "id\nimg1.png\nimg2.png\n";
    assert_int_equal(ramp_index_parse(&ix, t, strlen(t), "ids.csv", 3, RAMP_INDEX_NO_CLASS, &e),
                     RAMP_OK);
    assert_int_equal(ramp_index_n(ix), 2);
    assert_int_equal(ramp_index_label(ix, 1), 0);
    ramp_index_free(ix);
    /* without the flag the class column is still required */
    assert_int_equal(ramp_index_parse(&ix, t, strlen(t), "ids.csv", 3, 0, &e), RAMP_EFORMAT);
    assert_string_equal(e.msg, "ids.csv:1: header has no 'class' column");
    /* with it, a class column present is checked */
    t = "id,class\na,5\n";
    assert_int_equal(ramp_index_parse(&ix, t, strlen(t), "ids.csv", 3, RAMP_INDEX_NO_CLASS, &e),
                     RAMP_ERANGE);
    assert_string_equal(e.msg, "ids.csv:2: id 'a': class 5 out of range [0, 3)");
}

static char dir[] = "/tmp/ramp-test-det-index-XXXXXX";

static void write_file(const char *name, const char *text)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_kit_detection(void **state)
{
    (void)state;
    char kit[300];
    snprintf(kit, sizeof kit, "%s/det", dir);
    mkdir(kit, 0700);
    write_file("det/problem.ini", "[problem]\ntitle = d\nn_classes = 2\nworkflow = detection\n"
                                  "[scores]\nap = map\n");
    mkdir(strcat(strcpy((char[400]){0}, kit), "/data"), 0700);
    write_file("det/data/train.csv", "id,class,x0,y0,x1,y1\np,1,0,0,4,4\nq,,,,,\np,0,1,1,2,2\n");
    write_file("det/data/test.csv", "id,class,x0,y0,x1,y1\nr,0,0,0,1,1\n");
    ramp__kit k;
    ramp_err err;
    ramp__kit_opts o = {.kit_dir = kit};
    assert_int_equal(ramp__kit_load(&k, &o, &err), RAMP_OK);
    const ramp_samples *s = &k.train.samples;
    assert_int_equal(s->n, 2);
    assert_null(s->labels);
    assert_null(s->mask_paths);
    assert_non_null(strstr(s->paths[1], "/det/data/imgs/q"));
    assert_string_equal(s->ids[0], "p");
    assert_int_equal(s->obj_off[1], 2);
    assert_int_equal(s->obj_off[2], 2);
    assert_int_equal(s->objs[0].cls, 1);
    assert_true(s->objs[1].g[2] == 2);
    assert_int_equal(k.test.samples.n, 1);
    ramp__kit_close(&k);
    /* a circle CSV in a box kit names the header */
    write_file("det/data/test.csv", "id,x,y,r\nr,1,1,1\n");
    assert_int_equal(ramp__kit_load(&k, &o, &err), RAMP_EFORMAT);
    assert_non_null(strstr(err.msg, "/det/data/test.csv:1: header has circle (x,y,r) columns, "
                                    "but the problem's geometry is box"));
    ramp__kit_close(&k);
}

static void test_kit_segmentation(void **state)
{
    (void)state;
    char kit[300];
    snprintf(kit, sizeof kit, "%s/seg", dir);
    mkdir(kit, 0700);
    write_file("seg/problem.ini", "[problem]\ntitle = s\nn_classes = 3\nworkflow = segmentation\n"
                                  "[scores]\nmiu = mean_iu\n[data]\ntrain = ids_train.csv\n"
                                  "masks = /srv/masks\n");
    mkdir(strcat(strcpy((char[400]){0}, kit), "/data"), 0700);
    write_file("seg/ids_train.csv", "id\na.png\nsub/b.png\n");
    write_file("seg/data/test.csv", "id,class,x0,y0,x1,y1\nc.png,0,0,0,1,1\n");
    ramp__kit k;
    ramp_err err;
    ramp__kit_opts o = {.kit_dir = kit};
    assert_int_equal(ramp__kit_load(&k, &o, &err), RAMP_OK);
    const ramp_samples *s = &k.train.samples;
    assert_int_equal(s->n, 2);
    assert_null(s->labels);
    assert_null(s->objs);
    assert_string_equal(s->mask_paths[1], "/srv/masks/sub/b.png");
    assert_non_null(strstr(s->paths[1], "/seg/data/imgs/sub/b.png"));
    assert_string_equal(k.masks_dir, "/srv/masks");
    /* the test CSV's extra columns are ignored (its class column checked) */
    assert_int_equal(k.test.samples.n, 1);
    assert_string_equal(k.test.samples.mask_paths[0], "/srv/masks/c.png");
    ramp__kit_close(&k);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boxes),
        cmocka_unit_test(test_circles),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_skip_bad_rows),
        cmocka_unit_test(test_id_list),
        cmocka_unit_test(test_kit_detection),
        cmocka_unit_test(test_kit_segmentation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
