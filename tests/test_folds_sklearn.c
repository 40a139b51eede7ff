/* test_folds_sklearn.c — ramp's StratifiedShuffleSplit and ShuffleSplit
 * against scikit-learn itself, live: random label vectors made here (sizes
 * 2..4000, 1..60 classes, some of 2 rows, label values out of order and
 * negative, float and integer test sizes, 1..8 splits, seeds over the whole
 * 32-bit range, a few inputs sklearn refuses) go to python3 in one batch;
 * every row of every split is compared, in order, and each refusal must be
 * a ramp error too.
 *
 * The interpreter is $RAMP_PYTHON when set (so RAMP_PYTHON=none skips),
 * else the first of python3 and /usr/bin/python3 that imports sklearn.
 * Without one the test reports SKIPPED (cmocka's skip()), never passed.
 */
#define _POSIX_C_SOURCE 200809L /* popen, mkstemp, fdopen */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ramp/dataset.h"
#include "ramp/rng.h"

/* Reads the cases file (argv[1]) and prints, per case, "ok" then a tr and a
   te line per split, or "error MESSAGE". */
static const char *const SCRIPT =
    "import sys\n"
    "import numpy as np\n"
    "from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit\n"
    "lines = open(sys.argv[1]).read().split('\\n')\n"
    "out = []\n"
    "i = 0\n"
    "while i < len(lines):\n"
    "    w = lines[i].split()\n"
    "    i += 1\n"
    "    if not w:\n"
    "        continue\n"
    "    kind, n, n_splits, ts, rs = w[0], int(w[1]), int(w[2]), w[3], int(w[4])\n"
    "    ts = float(ts) if '.' in ts else int(ts)\n"
    "    y = None\n"
    "    if kind == 'sss':\n"
    "        y = np.array([int(v) for v in lines[i].split()])\n"
    "        i += 1\n"
    "        cv = StratifiedShuffleSplit(n_splits=n_splits, test_size=ts, random_state=rs)\n"
    "    else:\n"
    "        cv = ShuffleSplit(n_splits=n_splits, test_size=ts, random_state=rs)\n"
    "    try:\n"
    "        res = list(cv.split(np.zeros((n, 1)), y))\n"
    "    except ValueError as e:\n"
    "        out.append('error ' + ' '.join(str(e).split()))\n"
    "        continue\n"
    "    out.append('ok')\n"
    "    for tr, te in res:\n"
    "        out.append(' '.join(map(str, tr)))\n"
    "        out.append(' '.join(map(str, te)))\n"
    "sys.stdout.write('\\n'.join(out) + '\\n')\n";

typedef struct tcase {
    int stratified;
    size_t n;
    int n_splits;
    double ts;
    int ts_is_count;
    uint32_t rs;
    int32_t *y;
} tcase;

enum { N_CASES = 60 };
static tcase cases[N_CASES];
static char python[256];

static int has_sklearn(const char *py)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s -c 'import sklearn, numpy' >/dev/null 2>&1", py);
    return system(cmd) == 0;
}

static int find_python(void)
{
    const char *env = getenv("RAMP_PYTHON");
    const char *cands[] = {env && *env ? env : "python3", env && *env ? NULL : "/usr/bin/python3"};
    for (size_t i = 0; i < sizeof cands / sizeof *cands; i++) {
        if (!cands[i] || strlen(cands[i]) >= sizeof python || strchr(cands[i], '\'')) continue;
        if (has_sklearn(cands[i])) {
            snprintf(python, sizeof python, "%s", cands[i]);
            return 1;
        }
    }
    return 0;
}

/* Random cases: mostly splittable, a few not (a class of 1 row, a side
   smaller than the classes). */
static void make_cases(void)
{
    ramp_rng r;
    ramp_rng_seed(&r, 20261204, 0);
    for (int i = 0; i < N_CASES; i++) {
        tcase *c = &cases[i];
        c->stratified = i % 5 != 4;
        int k = 1 + (int)ramp_rng_below(&r, i % 3 == 0 ? 60 : 12);
        size_t max_count = (size_t[]){3, 8, 40, 400}[ramp_rng_below(&r, 4)];
        size_t counts[60], n = 0;
        for (int j = 0; j < k; j++) {
            counts[j] = 2 + ramp_rng_below(&r, max_count - 1);
            n += counts[j];
        }
        if (i % 11 == 7) counts[ramp_rng_below(&r, (uint64_t)k)] = 1; /* sklearn refuses */
        n = 0;
        for (int j = 0; j < k; j++)
            n += counts[j];
        if (n < 2) counts[0] = 2, n = 1 + (size_t)k;
        c->n = n;
        c->n_splits = 1 + (int)ramp_rng_below(&r, 8);
        /* test size: a fraction that leaves each side >= k rows (mostly), or a count */
        if (ramp_rng_below(&r, 3) == 0) {
            c->ts_is_count = 1;
            size_t lo = (size_t)k, hi = n > (size_t)k ? n - (size_t)k : 1;
            c->ts = (double)(lo < hi ? lo + ramp_rng_below(&r, hi - lo + 1) : 1);
            if (c->ts >= (double)n) c->ts = (double)(n - 1);
        } else {
            double lo = (double)k / (double)n, hi = 1 - lo;
            double u = ramp_rng_uniform(&r);
            double ts = hi > lo ? lo + (hi - lo) * u : 0.5;
            int digits = 1 + (int)ramp_rng_below(&r, 5);
            char buf[64];
            snprintf(buf, sizeof buf, "%.*f", digits, ts);
            ts = strtod(buf, NULL);
            if (!(ts > 0 && ts < 1)) ts = 0.5;
            c->ts = ts;
        }
        if (i % 13 == 5 && !c->ts_is_count) c->ts = 0.999; /* n_train < classes */
        uint64_t pick = ramp_rng_below(&r, 4);
        c->rs = pick == 0 ? 0u : pick == 1 ? 4294967295u : (uint32_t)ramp_rng_u64(&r);
        /* labels: class j is the value 7 * (j * 37 % k) - 20, so the value
           order differs from the class order and some values are negative */
        c->y = malloc(n * sizeof *c->y);
        assert_non_null(c->y);
        size_t o = 0;
        for (int j = 0; j < k; j++)
            for (size_t t = 0; t < counts[j]; t++)
                c->y[o++] = 7 * (int32_t)((j * 37) % k) - 20;
        for (size_t t = n; t > 1; t--) { /* interleave the rows */
            size_t s = (size_t)ramp_rng_below(&r, t);
            int32_t tmp = c->y[t - 1];
            c->y[t - 1] = c->y[s];
            c->y[s] = tmp;
        }
    }
}

/* Reads one line of unsigned integers into v (at most `want` kept) and their
   number into *got; 0 on a character that is neither digit nor space. */
static int read_line_u32(FILE *f, uint32_t *v, size_t want, size_t *got)
{
    size_t k = 0;
    int ch;
    for (;;) {
        unsigned long long x = 0;
        int any = 0;
        while ((ch = fgetc(f)) == ' ')
            ;
        while (ch >= '0' && ch <= '9') {
            x = x * 10 + (unsigned)(ch - '0');
            any = 1;
            ch = fgetc(f);
        }
        if (any) {
            if (k < want) v[k] = (uint32_t)x;
            k++;
        }
        if (ch == '\n' || ch == EOF) break;
        if (ch != ' ') return 0;
    }
    *got = k;
    return 1;
}

static void test_live(void **state)
{
    (void)state;
    if (!find_python()) {
        print_message("python3 with scikit-learn not found: skipped\n");
        skip();
    }
    make_cases();
    char in_path[] = "folds_sklearn_in_XXXXXX", py_path[] = "folds_sklearn_py_XXXXXX";
    int fd = mkstemp(in_path), fd2 = mkstemp(py_path);
    assert_true(fd >= 0 && fd2 >= 0);
    FILE *in = fdopen(fd, "w"), *py = fdopen(fd2, "w");
    assert_true(in && py);
    fputs(SCRIPT, py);
    fclose(py);
    for (int i = 0; i < N_CASES; i++) {
        const tcase *c = &cases[i];
        if (c->ts_is_count)
            fprintf(in, "%s %zu %d %.0f %u\n", c->stratified ? "sss" : "ss", c->n, c->n_splits,
                    c->ts, c->rs);
        else
            fprintf(in, "%s %zu %d %.17g %u\n", c->stratified ? "sss" : "ss", c->n, c->n_splits,
                    c->ts, c->rs);
        if (c->stratified) {
            for (size_t j = 0; j < c->n; j++)
                fprintf(in, j ? " %d" : "%d", (int)c->y[j]);
            fputc('\n', in);
        }
    }
    fclose(in);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s %s", python, py_path, in_path);
    /* all of sklearn's answer first, so the files go whatever the result */
    FILE *pp = popen(cmd, "r");
    assert_non_null(pp);
    size_t len = 0, cap = 1 << 20;
    char *answer = malloc(cap);
    assert_non_null(answer);
    for (size_t got; (got = fread(answer + len, 1, cap - len, pp)) > 0;) {
        len += got;
        if (len == cap) {
            answer = realloc(answer, cap *= 2);
            assert_non_null(answer);
        }
    }
    int rc = pclose(pp);
    unlink(in_path);
    unlink(py_path);
    assert_int_equal(rc, 0);
    FILE *p = fmemopen(answer, len, "r");
    assert_non_null(p);
    int n_ok = 0, n_err = 0;
    char word[8];
    for (int i = 0; i < N_CASES; i++) {
        const tcase *c = &cases[i];
        size_t n_tr = 0, n_te = 0;
        ramp_err e;
        ramp_status st = ramp_split_sizes(&n_tr, &n_te, c->n, c->ts, &e);
        uint32_t *tr = malloc(((size_t)c->n_splits * n_tr + 1) * sizeof *tr);
        uint32_t *te = malloc(((size_t)c->n_splits * n_te + 1) * sizeof *te);
        uint32_t *v = malloc((c->n + 1) * sizeof *v);
        assert_true(tr && te && v);
        if (!st)
            st = c->stratified ? ramp_split_sss(tr, te, c->y, c->n, c->n_splits, c->ts, c->rs, &e)
                               : ramp_split_ss(tr, te, c->n, c->n_splits, c->ts, c->rs, &e);
        assert_int_equal(fscanf(p, "%7s", word), 1);
        if (strcmp(word, "error") == 0) {
            char msg[512];
            if (!fgets(msg, sizeof msg, p)) msg[0] = 0;
            if (st == RAMP_OK) print_error("case %d: sklearn refused:%s ramp split it\n", i, msg);
            assert_int_not_equal(st, RAMP_OK);
            n_err++;
        } else {
            assert_string_equal(word, "ok");
            assert_int_equal(fgetc(p), '\n');
            if (st) print_error("case %d: sklearn split it, ramp: %s\n", i, e.msg);
            assert_int_equal(st, RAMP_OK);
            for (int s = 0; s < c->n_splits; s++)
                for (int side = 0; side < 2; side++) {
                    size_t want = side ? n_te : n_tr, got;
                    const uint32_t *mine = (side ? te : tr) + (size_t)s * want;
                    assert_true(read_line_u32(p, v, c->n + 1, &got));
                    assert_int_equal(got, want);
                    for (size_t j = 0; j < want; j++)
                        if (mine[j] != v[j]) {
                            print_error("case %d (%s n=%zu ts=%g rs=%u) split %d %s[%zu]: ramp "
                                        "%u, sklearn %u\n",
                                        i, c->stratified ? "sss" : "ss", c->n, c->ts, c->rs, s,
                                        side ? "test" : "train", j, mine[j], v[j]);
                            fail();
                        }
                }
            n_ok++;
        }
        free(tr);
        free(te);
        free(v);
    }
    fclose(p);
    free(answer);
    for (int i = 0; i < N_CASES; i++)
        free(cases[i].y);
    print_message("%d cases split as sklearn splits them, %d refused by both\n", n_ok, n_err);
    assert_true(n_ok >= N_CASES * 2 / 3);
    assert_true(n_err >= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
