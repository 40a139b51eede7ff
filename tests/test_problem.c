/* test_problem.c — the problem file: a good file through every accessor,
 * class codes, and each bad value / unknown key against its exact message
 * (file:line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ramp/problem.h"

static const char good_ini[] = "\xEF\xBB\xBF# a comment\r\n"
                               "[problem]\r\n"
                               "title = Fashion-MNIST classification\r\n"
                               "n_classes = 10\n"
                               "\n"
                               "; another comment\n"
                               "[scores]\n"
                               "acc = accuracy precision=4\n"
                               "nll = nll\n"
                               "f1_70 = f1_above threshold=0.7 precision=2\n"
                               "err = error\n"
                               "top3 = top_k k=3\n"
                               "mf1 = macro_f1\n"
                               "f1 = f1_above\n"
                               "[cv]\n"
                               "n_splits = 5\n"
                               "test_size = 0.25\n"
                               "random_state = 42\n"
                               "[workflow]\n"
                               "  chunk_size   =   512  \n"
                               "n_jobs = 3\n"
                               "test_batch_size = 64\n";

static ramp_problem *parse(const char *ini, const char *codes, ramp_err *e)
{
    ramp_problem *p = (ramp_problem *)1;
    ramp_status st = ramp_problem_parse(&p, ini, strlen(ini), "problem.ini", codes,
                                        codes ? strlen(codes) : 0, "class_codes.csv", NULL, e);
    if (st) {
        assert_null(p);
        assert_int_equal(e->code, st);
    }
    return p;
}

static void test_good(void **state)
{
    (void)state;
    ramp_err e;
    ramp_problem *p = parse(good_ini, NULL, &e);
    assert_non_null(p);
    assert_string_equal(ramp_problem_title(p), "Fashion-MNIST classification");
    assert_int_equal(ramp_problem_n_classes(p), 10);
    assert_string_equal(ramp_problem_class_name(p, 3), "3");
    assert_null(ramp_problem_class_name(p, 10));
    assert_null(ramp_problem_class_name(p, -1));
    assert_int_equal(ramp_problem_n_scores(p), 7);
    assert_string_equal(ramp_problem_score_name(p, 0), "acc");
    assert_int_equal(ramp_problem_score_kind(p, 0), RAMP_SCORE_ACCURACY);
    assert_int_equal(ramp_problem_score_precision(p, 0), 4);
    assert_int_equal(ramp_problem_score_kind(p, 1), RAMP_SCORE_NLL);
    assert_int_equal(ramp_problem_score_kind(p, 2), RAMP_SCORE_F1_ABOVE);
    assert_true(ramp_problem_score_param(p, 2) == 0.7);
    assert_int_equal(ramp_problem_score_precision(p, 2), 2);
    assert_int_equal(ramp_problem_score_kind(p, 3), RAMP_SCORE_ERROR);
    assert_int_equal(ramp_problem_score_kind(p, 4), RAMP_SCORE_TOP_K);
    assert_true(ramp_problem_score_param(p, 4) == 3);
    assert_int_equal(ramp_problem_score_kind(p, 5), RAMP_SCORE_MACRO_F1);
    assert_true(ramp_problem_score_param(p, 6) == 0.5); /* f1_above default θ */
    assert_null(ramp_problem_score_name(p, 7));
    assert_string_equal(ramp_score_kind_name(RAMP_SCORE_F1_ABOVE), "f1_above");
    assert_int_equal(ramp_problem_cv_n_splits(p), 5);
    assert_true(ramp_problem_cv_test_size(p) == 0.25);
    assert_int_equal(ramp_problem_cv_random_state(p), 42);
    assert_int_equal(ramp_problem_chunk_size(p), 512);
    assert_int_equal(ramp_problem_n_jobs(p), 3);
    assert_int_equal(ramp_problem_test_batch_size(p), 64);
    ramp_problem_free(p);
    ramp_problem_free(NULL);
}

static void test_defaults_and_count(void **state)
{
    (void)state;
    ramp_err e;
    ramp_problem *p = parse("[problem]\ntitle=t\nn_classes=2\n[scores]\na=accuracy\n"
                            "[cv]\ntest_size = 300\n",
                            NULL, &e);
    assert_non_null(p);
    assert_int_equal(ramp_problem_cv_n_splits(p), 8);
    assert_true(ramp_problem_cv_test_size(p) == 300);
    assert_int_equal(ramp_problem_cv_random_state(p), 57);
    assert_int_equal(ramp_problem_chunk_size(p), 1024);
    assert_int_equal(ramp_problem_score_precision(p, 0), 3);
    ramp_problem_free(p);
}

static void test_class_codes(void **state)
{
    (void)state;
    ramp_err e;
    const char *ini = "[problem]\ntitle = t\n[scores]\nacc = accuracy\n";
    ramp_problem *p =
        parse(ini, "class,name\r\n2,Pullover\r\n0,\"T-shirt/top\"\r\n1,Trouser\r\n", &e);
    assert_non_null(p);
    assert_int_equal(ramp_problem_n_classes(p), 3);
    assert_string_equal(ramp_problem_class_name(p, 0), "T-shirt/top");
    assert_string_equal(ramp_problem_class_name(p, 2), "Pullover");
    ramp_problem_free(p);

    const char *ini10 = "[problem]\ntitle = t\nn_classes = 3\n[scores]\nacc = accuracy\n";
    static const struct {
        const char *ini, *codes, *msg;
    } bad[] = {
        {NULL, "class,name\n0,a\n2,c\n", "class_codes.csv: no name for class 1"},
        {NULL, "class,name\n0,a\n1,b\n1,c\n", "class_codes.csv:4: class 1 named twice"},
        {NULL, "name,klass\n0,a\n",
         "class_codes.csv:1: header has no 'class' column (expected class,name)"},
        {NULL, "class\n0\n", "class_codes.csv:1: header has no name column (expected class,name)"},
        {NULL, "class,name\n0,a\n1,\n", "class_codes.csv:3: class 1 has an empty name"},
        {NULL, "class,name\n0,a\n3,b\n",
         "class_codes.csv:3: class '3' is not an integer in [0, 3)"},
        {NULL, "class,name\n0,a\n",
         "problem.ini: no n_classes in [problem] and class_codes.csv "
         "lists 1 classes (2 or more needed)"},
        {NULL, "class,name\n0,\"a\n", "class_codes.csv:2: unterminated quote"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *use = strstr(bad[i].msg, "no n_classes") ? ini : ini10;
        p = parse(bad[i].ini ? bad[i].ini : use, bad[i].codes, &e);
        assert_null(p);
        assert_string_equal(e.msg, bad[i].msg);
    }
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"[problem]\ntitle = t\nn_classes = 10\n[scores]\nacc = accuracy\n[bogus]\n",
         "problem.ini:6: unknown section [bogus] (expected [problem], [scores], [cv], "
         "[workflow], [data] or [detection])"},
        {"[problem]\ntitle = t\ncolour = red\n",
         "problem.ini:3: unknown key 'colour' in [problem]"},
        {"title = t\n", "problem.ini:1: key 'title' outside any section"},
        {"[problem]\n\n\ntitle\n", "problem.ini:4: expected 'key = value'"},
        {"[problem\n", "problem.ini:1: section header without ']'"},
        {"[problem]\ntitle = t\n[problem]\n", "problem.ini:3: section [problem] appears twice"},
        {"[problem]\ntitle = t\ntitle = u\n", "problem.ini:3: key 'title' set twice in [problem]"},
        {"[problem]\ntitle =\n", "problem.ini:2: title = '': expected a non-empty text"},
        {"[problem]\nn_classes = ten\n",
         "problem.ini:2: n_classes = 'ten': expected an integer in [2, 1048576]"},
        {"[problem]\nn_classes = 0\n",
         "problem.ini:2: n_classes = '0': expected an integer in [2, 1048576]"},
        {"[problem]\ntitle = t\nn_classes = 1\n[scores]\nacc = accuracy\n",
         "problem.ini:3: n_classes = '1': expected an integer in [2, 1048576] (1 is for "
         "detection kits only)"},
        {"[problem]\ntitle = t\nn_classes = 256\nworkflow = segmentation\n[scores]\nm = mean_iu\n",
         "problem.ini:3: n_classes = 256: a segmentation kit has at most 255 classes (mask "
         "pixels are 8-bit, 255 is void)"},
        {"[cv]\nn_splits = 0\n",
         "problem.ini:2: n_splits = '0': expected an integer in [1, 10000]"},
        {"[cv]\r\n\r\ntest_size = 1.5\r\n",
         "problem.ini:3: test_size = '1.5': expected a fraction in (0, 1) or a count >= 1"},
        {"[cv]\ntest_size = 0\n",
         "problem.ini:2: test_size = '0': expected a fraction in (0, 1) or a count >= 1"},
        {"[cv]\ntest_size = 0.2x\n",
         "problem.ini:2: test_size = '0.2x': expected a fraction in (0, 1) or a count >= 1"},
        {"[cv]\nrandom_state = -3\n",
         "problem.ini:2: random_state = '-3': expected an integer in [0, 4294967295]"},
        {"[cv]\nrandom_state = 4294967296\n",
         "problem.ini:2: random_state = '4294967296': expected an integer in [0, 4294967295]"},
        {"[problem]\nworkflow = detector\n",
         "problem.ini:2: workflow = 'detector': expected image_classifier, "
         "simplified_image_classifier, detection or segmentation"},
        {"[cv]\nmethod = kfold\n",
         "problem.ini:2: method = 'kfold': expected stratified_shuffle_split or shuffle_split"},
        {"[data]\nimages =\n", "problem.ini:2: images = '': expected a path"},
        {"[data]\nlabels = x.csv\n", "problem.ini:2: unknown key 'labels' in [data]"},
        {"[problem]\ntitle = t\nn_classes = 3\n[scores]\nacc = accuracy\n[cv]\n"
         "folds = f.csv\nn_splits = 3\n",
         "problem.ini: [cv] folds = f.csv lists the folds: method, n_splits, test_size and "
         "random_state cannot be set beside it"},
        {"[workflow]\nchunk_size = 0\n",
         "problem.ini:2: chunk_size = '0': expected an integer in [1, 16777216]"},
        {"[workflow]\nn_jobs = 2.5\n",
         "problem.ini:2: n_jobs = '2.5': expected an integer in [1, 1024]"},
        {"[workflow]\ntest_batch_size = \n",
         "problem.ini:2: test_batch_size = '': expected an integer in [1, 16777216]"},
        {"[workflow]\nbatch = 3\n", "problem.ini:2: unknown key 'batch' in [workflow]"},
        {"[scores]\nacc = accuracy\nacc = nll\n", "problem.ini:3: score 'acc' defined twice"},
        {"[scores]\nacc = accurracy\n",
         "problem.ini:2: score 'acc': unknown score kind 'accurracy' (accuracy, nll, f1_above, "
         "error, top_k, macro_f1, balanced_accuracy, macro_recall, brier, roc_auc, map, "
         "det_precision, det_recall, ospa, scp, mad_center, mad_radius, "
         "pixel_accuracy, mean_accuracy, mean_iu, fw_iu)"},
        {"[scores]\nf1 = f1_above threshold=1.5\n",
         "problem.ini:2: score 'f1': threshold '1.5' is not a number in [0, 1]"},
        {"[scores]\nacc = accuracy threshold=0.5\n",
         "problem.ini:2: score 'acc': unknown parameter 'threshold' for score kind accuracy"},
        {"[scores]\nacc = accuracy precision=x\n",
         "problem.ini:2: score 'acc': precision 'x' is not an integer in [0, 15]"},
        {"[scores]\nacc = accuracy precision\n",
         "problem.ini:2: score 'acc': expected param=value, found 'precision'"},
        {"[scores]\ntop = top_k k=0\n", "problem.ini:2: score 'top': k '0' is not an integer >= 1"},
        {"[scores]\nacc =\n",
         "problem.ini:2: score 'acc': empty score (expected a kind such as accuracy)"},
        {"[scores]\na/b = accuracy\n",
         "problem.ini:2: bad score name 'a/b' (letters, digits, _ - . ( ) only)"},
        {"[problem]\nn_classes = 3\n[scores]\nacc = accuracy\n",
         "problem.ini: no title in [problem]"},
        {"[problem]\ntitle = t\nn_classes = 3\n", "problem.ini: no score in [scores]"},
        {"[problem]\ntitle = t\n[scores]\nacc = accuracy\n",
         "problem.ini: no n_classes in [problem] and no class codes file"},
        {"[problem]\ntitle = t\nn_classes = 3\n[scores]\nt = top_k k=5\n",
         "problem.ini: score 't': k = 5 exceeds n_classes = 3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ramp_err e;
        ramp_problem *p = parse(cases[i].text, NULL, &e);
        if (p || strcmp(e.msg, cases[i].msg) != 0)
            print_error("case %zu: got '%s'\n", i, p ? "(accepted)" : e.msg);
        assert_null(p);
        assert_string_equal(e.msg, cases[i].msg);
    }
}

/* Detection and segmentation kits: the knobs, their defaults, their range
   checks, scores of another task and settings of another workflow refused
   naming the line. */
#define DET_HEAD "[problem]\ntitle = t\nn_classes = 3\nworkflow = detection\n"
#define SEG_HEAD "[problem]\ntitle = t\nn_classes = 3\nworkflow = segmentation\n"
static void test_detection_segmentation(void **state)
{
    (void)state;
    ramp_err e;
    ramp_problem *p = parse(DET_HEAD "geometry = circle\n[scores]\nap = map iou=0.3\n"
                                     "p = det_precision\no = ospa\n[detection]\n"
                                     "max_objects = 7\niou_threshold = 0.65\ncompat = rampwf\n"
                                     "bagging = nms\n",
                            NULL, &e);
    assert_non_null(p);
    assert_int_equal(ramp_problem_workflow(p), RAMP_WORKFLOW_DETECTION);
    assert_string_equal(ramp_workflow_name(RAMP_WORKFLOW_DETECTION), "detection");
    assert_string_equal(ramp_workflow_name(RAMP_WORKFLOW_SEGMENTATION), "segmentation");
    assert_string_equal(ramp_workflow_name((ramp_workflow_kind)4), "unknown");
    assert_int_equal(ramp_problem_geometry(p), 1);
    assert_int_equal(ramp_problem_max_objects(p), 7);
    assert_true(ramp_problem_iou_threshold(p) == 0.65);
    assert_int_equal(ramp_problem_compat_rampwf(p), 1);
    assert_int_equal(ramp_problem_bagging(p), 1);
    assert_true(ramp_problem_score_param(p, 0) == 0.3);
    assert_true(ramp_problem_score_param(p, 1) == 0.5);
    assert_int_equal(ramp_problem_score_kind(p, 2), RAMP_SCORE_OSPA);
    /* no class per image: ShuffleSplit by default */
    assert_int_equal(ramp_problem_cv_method(p), RAMP_CV_SHUFFLE_SPLIT);
    ramp_problem_free(p);
    /* rampwf's kits: iou = 0 (its strict "> 0") under compat, an IoU on the
       MADs, names with parentheses, rampwf's bagging */
    p = parse(DET_HEAD "geometry = circle\n[scores]\nprec(0) = det_precision iou=0\n"
                       "madc = mad_center iou=0.3\nmadr = mad_radius\n[detection]\n"
                       "compat = rampwf\nbagging = rampwf\n",
              NULL, &e);
    assert_non_null(p);
    assert_string_equal(ramp_problem_score_name(p, 0), "prec(0)");
    assert_true(ramp_problem_score_param(p, 0) == 0.0);
    assert_true(ramp_problem_score_param(p, 1) == 0.3);
    assert_true(ramp_problem_score_param(p, 2) == 0.5);
    assert_int_equal(ramp_problem_bagging(p), 2);
    ramp_problem_free(p);
    /* one class: detection only */
    p = parse("[problem]\ntitle = t\nn_classes = 1\nworkflow = detection\n[scores]\nap = map\n",
              NULL, &e);
    assert_non_null(p);
    assert_int_equal(ramp_problem_n_classes(p), 1);
    ramp_problem_free(p);
    /* defaults */
    p = parse(DET_HEAD "[scores]\nap = map\n", NULL, &e);
    assert_non_null(p);
    assert_int_equal(ramp_problem_geometry(p), 0);
    assert_int_equal(ramp_problem_max_objects(p), 100);
    assert_true(ramp_problem_iou_threshold(p) == 0.5);
    assert_int_equal(ramp_problem_compat_rampwf(p), 0);
    assert_int_equal(ramp_problem_bagging(p), 0);
    assert_null(ramp_problem_data_path(p, RAMP_DATA_MASKS));
    ramp_problem_free(p);
    p = parse(SEG_HEAD "[scores]\nmiu = mean_iu\npa = pixel_accuracy\n[data]\nmasks = m\n"
                       "[cv]\nfolds = f.csv\n",
              NULL, &e);
    assert_non_null(p);
    assert_int_equal(ramp_problem_workflow(p), RAMP_WORKFLOW_SEGMENTATION);
    assert_string_equal(ramp_problem_data_path(p, RAMP_DATA_MASKS), "m");
    assert_int_equal(ramp_problem_cv_method(p), RAMP_CV_FOLDS_FILE);
    ramp_problem_free(p);
    /* minipatch=ROW_MIN:ROW_MAX:COL_MIN:COL_MAX on detection scores */
    p = parse(DET_HEAD "geometry = circle\n[scores]\nospa = ospa minipatch=28:196:28:196 "
                       "precision=3\nprec_0.5 = det_precision iou=0.5 minipatch=28:196:28:196 "
                       "precision=3\nscp = scp minipatch=-1.5:2e2:0.25:7\nap = map\n"
                       "[detection]\ncompat = rampwf\n",
              NULL, &e);
    assert_non_null(p);
    double mp[4] = {9, 9, 9, 9};
    assert_int_equal(ramp_problem_score_minipatch(p, 0, mp), 1);
    assert_true(mp[0] == 28 && mp[1] == 196 && mp[2] == 28 && mp[3] == 196);
    assert_int_equal(ramp_problem_score_precision(p, 0), 3);
    assert_int_equal(ramp_problem_score_minipatch(p, 1, NULL), 1);
    assert_true(ramp_problem_score_param(p, 1) == 0.5);
    assert_int_equal(ramp_problem_score_minipatch(p, 2, mp), 1);
    assert_true(mp[0] == -1.5 && mp[1] == 200 && mp[2] == 0.25 && mp[3] == 7);
    mp[0] = 9;
    assert_int_equal(ramp_problem_score_minipatch(p, 3, mp), 0); /* none: out untouched */
    assert_true(mp[0] == 9);
    assert_int_equal(ramp_problem_score_minipatch(p, 4, mp), 0);
    assert_int_equal(ramp_problem_score_minipatch(p, -1, mp), 0);
    assert_int_equal(ramp_problem_score_minipatch(NULL, 0, mp), 0);
    ramp_problem_free(p);
    /* ours defines map on a minipatch */
    p = parse(DET_HEAD "[scores]\nap = map minipatch=0:10:0:10\n", NULL, &e);
    assert_non_null(p);
    assert_int_equal(ramp_problem_score_minipatch(p, 0, NULL), 1);
    ramp_problem_free(p);

    /* classification kits are unchanged: stratified by default */
    p = parse("[problem]\ntitle = t\nn_classes = 3\n[scores]\nacc = accuracy\n", NULL, &e);
    assert_non_null(p);
    assert_int_equal(ramp_problem_cv_method(p), RAMP_CV_STRATIFIED_SHUFFLE_SPLIT);
    assert_int_equal(ramp_problem_max_objects(p), 100);
    ramp_problem_free(p);

    static const struct {
        const char *text, *msg;
    } cases[] = {
        {DET_HEAD "[scores]\nap = map\nacc = accuracy\n",
         "problem.ini:7: score 'acc': accuracy is a classification score, but workflow detection "
         "is scored on detection"},
        {SEG_HEAD "[scores]\nap = map\n",
         "problem.ini:6: score 'ap': map is a detection score, but workflow segmentation is "
         "scored on segmentation"},
        {"[problem]\ntitle = t\nn_classes = 3\n[scores]\nacc = accuracy\nmiu = mean_iu\n",
         "problem.ini:6: score 'miu': mean_iu is a segmentation score, but workflow "
         "image_classifier is scored on classification"},
        {DET_HEAD "geometry = square\n",
         "problem.ini:5: geometry = 'square': expected box or circle"},
        {DET_HEAD "[scores]\nap = map\n[detection]\nmax_objects = 0\n",
         "problem.ini:8: max_objects = '0': expected an integer in [1, 10000]"},
        {DET_HEAD "[scores]\nap = map\n[detection]\nmax_objects = 10001\n",
         "problem.ini:8: max_objects = '10001': expected an integer in [1, 10000]"},
        {DET_HEAD "[scores]\nap = map\n[detection]\niou_threshold = 0\n",
         "problem.ini:8: iou_threshold = '0': expected a number in (0, 1]"},
        {DET_HEAD "[scores]\nap = map\n[detection]\niou_threshold = 1.01\n",
         "problem.ini:8: iou_threshold = '1.01': expected a number in (0, 1]"},
        {DET_HEAD "[scores]\nap = map\n[detection]\ncompat = sklearn\n",
         "problem.ini:8: compat = 'sklearn': expected ramp or rampwf"},
        {DET_HEAD "[scores]\nap = map\n[detection]\nbagging = vote\n",
         "problem.ini:8: bagging = 'vote': expected wbf, nms or rampwf"},
        {DET_HEAD "[scores]\nap = map\n[detection]\nnms = 1\n",
         "problem.ini:8: unknown key 'nms' in [detection]"},
        {DET_HEAD "[scores]\nap = map iou=0\n",
         "problem.ini:6: score 'ap': iou = 0 needs compat = rampwf (rampwf's strict IoU > 0) "
         "and a score other than map"},
        {DET_HEAD "[scores]\nap = map iou=-0.1\n",
         "problem.ini:6: score 'ap': iou '-0.1' is not a number in [0, 1]"},
        {DET_HEAD "[scores]\np0 = det_precision iou=0\n[detection]\ncompat = ramp\n",
         "problem.ini:6: score 'p0': iou = 0 needs compat = rampwf (rampwf's strict IoU > 0) "
         "and a score other than map"},
        {DET_HEAD "geometry = circle\n[scores]\nap = map iou=0\n[detection]\ncompat = rampwf\n",
         "problem.ini:7: score 'ap': iou = 0 needs compat = rampwf (rampwf's strict IoU > 0) "
         "and a score other than map"},
        {DET_HEAD "[scores]\nap = ospa iou=0.5\n",
         "problem.ini:6: score 'ap': unknown parameter 'iou' for score kind ospa"},
        {DET_HEAD "[scores]\no = ospa\nap = map minipatch=28:196:28:196\n[detection]\n"
                  "compat = rampwf\n",
         "problem.ini:7: score 'ap': map has no minipatch with compat = rampwf (rampwf's "
         "DetectionAveragePrecision takes none)"},
        {"[problem]\ntitle = t\nn_classes = 3\n[scores]\nacc = accuracy minipatch=0:1:0:1\n",
         "problem.ini:5: score 'acc': minipatch is a detection score's parameter, not "
         "accuracy's"},
        {SEG_HEAD "[scores]\nmiu = mean_iu minipatch=0:1:0:1\n",
         "problem.ini:6: score 'miu': minipatch is a detection score's parameter, not "
         "mean_iu's"},
        {DET_HEAD "[scores]\no = ospa minipatch=28:196:28\n",
         "problem.ini:6: score 'o': minipatch '28:196:28' is not ROW_MIN:ROW_MAX:COL_MIN:COL_MAX "
         "(four finite numbers, min < max)"},
        {DET_HEAD "[scores]\no = ospa minipatch=1:2:3:4:5\n",
         "problem.ini:6: score 'o': minipatch '1:2:3:4:5' is not ROW_MIN:ROW_MAX:COL_MIN:COL_MAX "
         "(four finite numbers, min < max)"},
        {DET_HEAD "[scores]\no = ospa minipatch=5:5:0:4\n",
         "problem.ini:6: score 'o': minipatch '5:5:0:4' is not ROW_MIN:ROW_MAX:COL_MIN:COL_MAX "
         "(four finite numbers, min < max)"},
        {DET_HEAD "[scores]\no = ospa minipatch=0:4:7:3\n",
         "problem.ini:6: score 'o': minipatch '0:4:7:3' is not ROW_MIN:ROW_MAX:COL_MIN:COL_MAX "
         "(four finite numbers, min < max)"},
        {DET_HEAD "[scores]\no = ospa minipatch=0:nan:0:3\n",
         "problem.ini:6: score 'o': minipatch '0:nan:0:3' is not ROW_MIN:ROW_MAX:COL_MIN:COL_MAX "
         "(four finite numbers, min < max)"},
        {DET_HEAD "[scores]\no = ospa minipatch=0:inf:0:3\n",
         "problem.ini:6: score 'o': minipatch '0:inf:0:3' is not ROW_MIN:ROW_MAX:COL_MIN:COL_MAX "
         "(four finite numbers, min < max)"},
        {DET_HEAD "[scores]\no = ospa minipatch=0::1:3\n",
         "problem.ini:6: score 'o': minipatch '0::1:3' is not ROW_MIN:ROW_MAX:COL_MIN:COL_MAX "
         "(four finite numbers, min < max)"},
        {DET_HEAD "[scores]\no = ospa minipatch=\n",
         "problem.ini:6: score 'o': minipatch '' is not ROW_MIN:ROW_MAX:COL_MIN:COL_MAX "
         "(four finite numbers, min < max)"},
        {SEG_HEAD "geometry = box\n[scores]\nmiu = mean_iu\n",
         "problem.ini:5: [problem] geometry is a detection setting, but the workflow is "
         "segmentation"},
        {SEG_HEAD "[scores]\nmiu = mean_iu\n[detection]\nbagging = nms\n",
         "problem.ini:8: [detection] is a detection setting, but the workflow is segmentation"},
        {DET_HEAD "[scores]\nap = map\n[data]\nmasks = m\n",
         "problem.ini:8: [data] masks is a segmentation setting, but the workflow is detection"},
        {SEG_HEAD "[scores]\nmiu = mean_iu\n[cv]\nmethod = stratified_shuffle_split\n",
         "problem.ini:8: [cv] method = stratified_shuffle_split needs a class per image; "
         "workflow segmentation has none (use shuffle_split or a folds file)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        p = parse(cases[i].text, NULL, &e);
        if (p || strcmp(e.msg, cases[i].msg) != 0)
            print_error("case %zu: got '%s'\n", i, p ? "(accepted)" : e.msg);
        assert_null(p);
        assert_string_equal(e.msg, cases[i].msg);
    }
}

/* rampwf kits: the workflow, the cv method or a folds file, the [data] paths,
   and class codes whose name column is not called 'name' */
static void test_rampwf_keys(void **state)
{
    (void)state;
    ramp_err e;
    ramp_problem *p = parse("[problem]\ntitle = t\nn_classes = 3\nworkflow = "
                            "simplified_image_classifier\n[scores]\nacc = accuracy\n[cv]\n"
                            "folds = folds.csv\n[data]\nimages = /srv/imgs\ntrain = t.csv\n",
                            "class,taxa_name\n0,\"Bees <Apis, Bombus>\"\n1,b\n2,c\n", &e);
    assert_non_null(p);
    assert_int_equal(ramp_problem_workflow(p), RAMP_WORKFLOW_SIMPLIFIED);
    assert_string_equal(ramp_workflow_name(ramp_problem_workflow(p)), "simplified_image_classifier");
    assert_int_equal(ramp_problem_cv_method(p), RAMP_CV_FOLDS_FILE);
    assert_string_equal(ramp_problem_cv_folds_file(p), "folds.csv");
    assert_string_equal(ramp_problem_data_path(p, RAMP_DATA_IMAGES), "/srv/imgs");
    assert_string_equal(ramp_problem_data_path(p, RAMP_DATA_TRAIN), "t.csv");
    assert_null(ramp_problem_data_path(p, RAMP_DATA_TEST));
    assert_string_equal(ramp_problem_class_name(p, 0), "Bees <Apis, Bombus>");
    ramp_problem_free(p);
    p = parse("[problem]\ntitle = t\nn_classes = 3\n[scores]\nacc = accuracy\n[cv]\n"
              "method = shuffle_split\nrandom_state = 4294967295\n",
              NULL, &e);
    assert_non_null(p);
    assert_int_equal(ramp_problem_workflow(p), RAMP_WORKFLOW_IMAGE_CLASSIFIER);
    assert_int_equal(ramp_problem_cv_method(p), RAMP_CV_SHUFFLE_SPLIT);
    assert_null(ramp_problem_cv_folds_file(p));
    assert_int_equal(ramp_problem_cv_random_state(p), 4294967295u);
    ramp_problem_free(p);
    /* a problem parsed from stored text: its paths resolved against the kit */
    const char *stored = "[problem]\ntitle = t\nn_classes = 3\n[scores]\nacc = accuracy\n[cv]\n"
                         "folds = data/folds.csv\n[data]\nimages = /srv/imgs\ntrain = t.csv\n";
    assert_int_equal(
        ramp_problem_parse(&p, stored, strlen(stored), "problem.ini", NULL, 0, NULL, "/kits/k", &e),
        RAMP_OK);
    assert_string_equal(ramp_problem_cv_folds_file(p), "/kits/k/data/folds.csv");
    assert_string_equal(ramp_problem_data_path(p, RAMP_DATA_IMAGES), "/srv/imgs");
    assert_string_equal(ramp_problem_data_path(p, RAMP_DATA_TRAIN), "/kits/k/t.csv");
    ramp_problem_free(p);
}

static void test_load_dir(void **state)
{
    (void)state;
    ramp_err e;
    ramp_problem *p = (ramp_problem *)1;
    assert_int_equal(ramp_problem_load(&p, RAMP_SOURCE_DIR "/tests/fixtures/kits/tiny", &e),
                     RAMP_OK);
    assert_non_null(p);
    assert_int_equal(ramp_problem_n_classes(p), 3);
    assert_string_equal(ramp_problem_class_name(p, 1), "square");
    ramp_problem_free(p);
    assert_int_equal(ramp_problem_load(&p, RAMP_SOURCE_DIR "/kits/fashion_mnist", &e), RAMP_OK);
    assert_int_equal(ramp_problem_n_classes(p), 10);
    assert_string_equal(ramp_problem_score_name(p, 0), "acc");
    ramp_problem_free(p);
    p = (ramp_problem *)1;
    assert_int_equal(ramp_problem_load(&p, RAMP_SOURCE_DIR "/tests/fixtures/kits/nonexistent", &e),
                     RAMP_ENOENT);
    assert_null(p);
    assert_non_null(strstr(e.msg, "nonexistent/problem.ini"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_defaults_and_count),
        cmocka_unit_test(test_class_codes),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_rampwf_keys),
        cmocka_unit_test(test_load_dir),
        cmocka_unit_test(test_detection_segmentation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
