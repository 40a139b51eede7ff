/* problem.c — the problem file (problem.ini) and the class codes.
 *
 * A line-oriented INI reader: sections [problem], [scores], [cv],
 * [workflow], [data]; `key = value` lines; full-line comments with '#' or ';'.
 * Every key has one parser that checks its value, so each error names
 * file:line and the key. A score line is `name = kind [param=value ...]`
 * (a detection score's minipatch=R0:R1:C0:C1 too).
 * Everything is copied into one handle; nothing refers back to the text.
 */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/coreInt.h"
#include "data/dataInt.h"
#include "ramp/problem.h"
#include "ramp/score.h"

#define MAX_SCORES 32
#define MAX_CLASSES (1 << 20)
#define N_DATA (RAMP_DATA_MASKS + 1)

typedef struct score_spec {
    ramp_score_kind kind;
    char name[64];
    int precision;
    double param;
    int has_patch;   /* minipatch=R0:R1:C0:C1 (detection scores) */
    double patch[4]; /* row_min, row_max, col_min, col_max */
    size_t line;     /* for the workflow check, made once the file is read */
} score_spec;

struct ramp_problem {
    char *title;
    int n_classes;
    char **class_names; /* n_classes strings */
    int n_scores;
    score_spec scores[MAX_SCORES];
    ramp_cv_method cv_method;
    char *folds_file;
    int n_splits;
    double test_size;
    uint64_t random_state;
    ramp_workflow_kind workflow;
    char *data[N_DATA]; /* [data] paths, by ramp_data_item; NULL when not named */
    int chunk_size, n_jobs, test_batch_size;
    /* detection: [problem] geometry, [detection] knobs */
    int geometry, max_objects, compat_rampwf, bagging;
    double iou_threshold;
};

void ramp_problem_free(ramp_problem *p)
{
    if (!p) return;
    free(p->title);
    free(p->folds_file);
    for (int i = 0; i < N_DATA; i++)
        free(p->data[i]);
    if (p->class_names)
        for (int i = 0; i < p->n_classes; i++)
            free(p->class_names[i]);
    free(p->class_names);
    free(p);
}

/* ---- value parsers ------------------------------------------------------ */

static int parse_int(const char *v, long lo, long hi, long *out)
{
    int64_t x;
    if (ramp__parse_i64(v, strlen(v), &x) != 1 || x < lo || x > hi) return 0;
    *out = (long)x;
    return 1;
}

static int parse_double(const char *v, double *out)
{
    char *end;
    errno = 0;
    if (!*v || isspace((unsigned char)*v)) return 0;
    double x = strtod(v, &end);
    if (*end || errno == ERANGE || !isfinite(x)) return 0;
    *out = x;
    return 1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
    return s;
}

static int is_name(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_-.()", *s)) return 0;
    return 1;
}

enum { SEC_NONE, SEC_PROBLEM, SEC_SCORES, SEC_CV, SEC_WORKFLOW, SEC_DATA, SEC_DETECTION, N_SEC };
static const char *const sec_names[N_SEC] = {"",         "problem", "scores",   "cv",
                                             "workflow", "data",    "detection"};

static const char *const workflow_names[] = {"image_classifier", "simplified_image_classifier",
                                             "detection", "segmentation"};
static const char *const cv_method_names[] = {"stratified_shuffle_split", "shuffle_split"};

const char *ramp_workflow_name(ramp_workflow_kind k)
{
    return k >= 0 && k <= RAMP_WORKFLOW_SEGMENTATION ? workflow_names[k] : "unknown";
}

/* The score task a workflow is scored on. */
static ramp_score_task workflow_task(ramp_workflow_kind k)
{
    return k == RAMP_WORKFLOW_DETECTION      ? RAMP_TASK_DETECTION
           : k == RAMP_WORKFLOW_SEGMENTATION ? RAMP_TASK_SEGMENTATION
                                             : RAMP_TASK_CLASSIFICATION;
}

static const char *task_name(ramp_score_task t)
{
    return t == RAMP_TASK_DETECTION      ? "detection"
           : t == RAMP_TASK_SEGMENTATION ? "segmentation"
                                         : "classification";
}

/* A [data] or folds path: non-empty, no NUL (checked by the line reader),
   no control characters. */
static int is_path(const char *v)
{
    if (!*v) return 0;
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || *v == 0x7f) return 0;
    return 1;
}

/* Parses a minipatch `R0:R1:C0:C1` (four finite numbers, R0 < R1, C0 < C1). */
static int parse_patch(const char *v, double out[4])
{
    char buf[256];
    if (strlen(v) >= sizeof buf) return 0;
    strcpy(buf, v);
    char *part = buf;
    for (int k = 0; k < 4; k++) {
        char *colon = strchr(part, ':');
        if ((k < 3) != (colon != NULL)) return 0;
        if (colon) *colon = 0;
        if (!parse_double(part, &out[k])) return 0;
        part = colon ? colon + 1 : part;
    }
    return out[0] < out[1] && out[2] < out[3];
}

/* Does a score of this kind take an IoU threshold (its param)? */
static int t_uses_iou(ramp_score_kind k)
{
    return k == RAMP_SCORE_MAP || k == RAMP_SCORE_DET_PRECISION || k == RAMP_SCORE_DET_RECALL ||
           k == RAMP_SCORE_MAD_CENTER || k == RAMP_SCORE_MAD_RADIUS;
}

/* Parses `kind [param=value ...]` into *s; on error writes a reason. */
static int parse_score(char *v, score_spec *s, char *why, size_t why_cap)
{
    char *save = NULL;
    char *tok = strtok_r(v, " \t", &save);
    if (!tok) return snprintf(why, why_cap, "empty score (expected a kind such as accuracy)"), 0;
    /* the score table (score.c) is the one list of kinds and defaults */
    const ramp_score_type *t = ramp_score_type_find(tok);
    if (!t) {
        char kinds[512] = "";
        for (int i = 0, k = 0; i < ramp_score_type_count() && k < (int)sizeof kinds; i++)
            k += snprintf(kinds + k, sizeof kinds - (size_t)k, i ? ", %s" : "%s",
                          ramp_score_type_at(i)->name);
        return snprintf(why, why_cap, "unknown score kind '%.40s' (%s)", tok, kinds), 0;
    }
    s->kind = t->kind;
    s->precision = s->kind == RAMP_SCORE_NLL ? 4 : 3;
    s->param = t->default_param;
    s->has_patch = 0;
    while ((tok = strtok_r(NULL, " \t", &save))) {
        char *eq = strchr(tok, '=');
        if (!eq) return snprintf(why, why_cap, "expected param=value, found '%.40s'", tok), 0;
        *eq = 0;
        const char *pv = eq + 1;
        long iv;
        double dv;
        if (strcmp(tok, "precision") == 0) {
            if (!parse_int(pv, 0, 15, &iv))
                return snprintf(why, why_cap, "precision '%.40s' is not an integer in [0, 15]", pv),
                       0;
            s->precision = (int)iv;
        } else if (strcmp(tok, "threshold") == 0 && s->kind == RAMP_SCORE_F1_ABOVE) {
            if (!parse_double(pv, &dv) || dv < 0 || dv > 1)
                return snprintf(why, why_cap, "threshold '%.40s' is not a number in [0, 1]", pv), 0;
            s->param = dv;
        } else if (strcmp(tok, "iou") == 0 &&
                   (s->kind == RAMP_SCORE_MAP || s->kind == RAMP_SCORE_DET_PRECISION ||
                    s->kind == RAMP_SCORE_DET_RECALL || s->kind == RAMP_SCORE_MAD_CENTER ||
                    s->kind == RAMP_SCORE_MAD_RADIUS)) {
            /* 0 only under compat = rampwf (its strict IoU > 0: any
               overlap), checked once [detection] is read */
            if (!parse_double(pv, &dv) || !(dv >= 0 && dv <= 1))
                return snprintf(why, why_cap, "iou '%.40s' is not a number in [0, 1]", pv), 0;
            s->param = dv;
        } else if (strcmp(tok, "minipatch") == 0) {
            if (t->task != RAMP_TASK_DETECTION)
                return snprintf(why, why_cap,
                                "minipatch is a detection score's parameter, not %s's", t->name),
                       0;
            if (!parse_patch(pv, s->patch))
                return snprintf(why, why_cap,
                                "minipatch '%.40s' is not ROW_MIN:ROW_MAX:COL_MIN:COL_MAX (four "
                                "finite numbers, min < max)",
                                pv),
                       0;
            s->has_patch = 1;
        } else if (strcmp(tok, "k") == 0 && s->kind == RAMP_SCORE_TOP_K) {
            if (!parse_int(pv, 1, MAX_CLASSES, &iv))
                return snprintf(why, why_cap, "k '%.40s' is not an integer >= 1", pv), 0;
            s->param = (double)iv;
        } else {
            return snprintf(why, why_cap, "unknown parameter '%.40s' for score kind %s", tok,
                            t->name),
                   0;
        }
    }
    return 1;
}

/* ---- class codes -------------------------------------------------------- */

static ramp_status parse_codes(ramp_problem *p, int n_line, const char *codes, size_t len,
                               const char *name, const char *ini_name, ramp_err *err)
{
    ramp_status st = RAMP_OK;
    ramp__csv c;
    ramp__csv_init(&c, codes, len, name);
    /* first pass into a growable list of (class, name, line) */
    typedef struct code {
        int64_t cls;
        char *name;
        size_t line;
    } code;
    code *list = NULL;
    size_t n = 0, cap = 0;
    size_t col_c = SIZE_MAX, col_n = SIZE_MAX, n_cols = 0;
    int r = ramp__csv_next(&c, err);
    if (r <= 0) {
        st = r < 0 ? (err ? err->code : RAMP_EPARSE)
                   : ramp__err_set(err, RAMP_EFORMAT,
                                   "%s:1: empty file (header 'class,name' required)", name);
        goto done;
    }
    n_cols = c.nf;
    for (size_t i = 0; i < c.nf; i++) {
        const char *f = ramp__csv_field(&c, i, NULL);
        if (strcmp(f, "class") == 0) col_c = i;
        if (strcmp(f, "name") == 0) col_n = i;
    }
    /* rampwf never reads this file, and its kits name the column as they
       like (`class,taxa_name`): without a 'name' column, the first other
       column holds the names */
    for (size_t i = 0; col_n == SIZE_MAX && col_c != SIZE_MAX && i < c.nf; i++)
        if (i != col_c) col_n = i;
    if (col_c == SIZE_MAX || col_n == SIZE_MAX) {
        st = ramp__err_set(err, RAMP_EFORMAT,
                           col_c == SIZE_MAX
                               ? "%s:%zu: header has no 'class' column (expected class,name)"
                               : "%s:%zu: header has no name column (expected class,name)",
                           name, c.rec_line);
        goto done;
    }
    while ((r = ramp__csv_next(&c, err)) == 1) {
        if (c.nf != n_cols) {
            st = ramp__err_set(err, RAMP_EFORMAT, "%s:%zu: expected %zu fields, found %zu", name,
                               c.rec_line, n_cols, c.nf);
            goto done;
        }
        size_t cl, nl;
        const char *cs = ramp__csv_field(&c, col_c, &cl);
        const char *ns = ramp__csv_field(&c, col_n, &nl);
        int64_t v;
        if (ramp__parse_i64(cs, cl, &v) != 1 || v < 0 || v >= MAX_CLASSES ||
            (n_line && v >= p->n_classes)) {
            st = ramp__err_set(err, RAMP_ERANGE,
                               "%s:%zu: class '%.40s' is not an integer in [0, %d)", name,
                               c.rec_line, cs, n_line ? p->n_classes : MAX_CLASSES);
            goto done;
        }
        if (nl == 0 || memchr(ns, 0, nl)) {
            st = ramp__err_set(err, RAMP_EFORMAT, "%s:%zu: class %lld has an empty name", name,
                               c.rec_line, (long long)v);
            goto done;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            code *l = realloc(list, nc * sizeof *l);
            if (!l) goto nomem;
            list = l;
            cap = nc;
        }
        list[n].cls = v;
        list[n].line = c.rec_line;
        if (!(list[n].name = ramp__strdup(ns))) goto nomem;
        n++;
    }
    if (r < 0) {
        st = err ? err->code : RAMP_EPARSE;
        goto done;
    }
    if (!n_line) {
        if (n < 2) {
            st = ramp__err_set(err, RAMP_EFORMAT,
                               "%s: no n_classes in [problem] and %s lists %zu classes (2 or more "
                               "needed)",
                               ini_name, name, n);
            goto done;
        }
        p->n_classes = (int)n;
    }
    p->class_names = calloc((size_t)p->n_classes, sizeof *p->class_names);
    if (!p->class_names) goto nomem;
    for (size_t i = 0; i < n; i++) {
        if (list[i].cls >= p->n_classes) {
            st = ramp__err_set(err, RAMP_ERANGE, "%s:%zu: class %lld out of range [0, %d)", name,
                               list[i].line, (long long)list[i].cls, p->n_classes);
            goto done;
        }
        if (p->class_names[list[i].cls]) {
            st = ramp__err_set(err, RAMP_EDUP, "%s:%zu: class %lld named twice", name, list[i].line,
                               (long long)list[i].cls);
            goto done;
        }
        p->class_names[list[i].cls] = list[i].name;
        list[i].name = NULL;
    }
    for (int i = 0; i < p->n_classes; i++)
        if (!p->class_names[i]) {
            st = ramp__err_set(err, RAMP_EFORMAT, "%s: no name for class %d", name, i);
            goto done;
        }
    goto done;
nomem:
    st = ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", name);
done:
    for (size_t i = 0; i < n; i++)
        free(list[i].name);
    free(list);
    ramp__csv_free(&c);
    return st;
}

/* ---- the problem file ---------------------------------------------------- */

static ramp_status resolve(char **path, const char *kit_dir);

ramp_status ramp_problem_parse(ramp_problem **out, const char *ini, size_t ini_len,
                               const char *ini_name, const char *codes, size_t codes_len,
                               const char *codes_name, const char *kit_dir, ramp_err *err)
{
    ramp__err_clear(err);
    if (!out) return ramp__err_set(err, RAMP_EINVAL, "ramp_problem_parse: out is NULL");
    *out = NULL;
    if (!ini_name) ini_name = "problem.ini";
    if (!codes_name) codes_name = "class_codes.csv";
    if (!ini && ini_len) return ramp__err_set(err, RAMP_EINVAL, "%s: text is NULL", ini_name);
    ramp_status st = RAMP_OK;
    char *line = NULL;
    ramp_problem *p = calloc(1, sizeof *p);
    if (!p) return ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", ini_name);
    p->n_splits = 8;
    p->cv_method = RAMP_CV_STRATIFIED_SHUFFLE_SPLIT;
    p->workflow = RAMP_WORKFLOW_IMAGE_CLASSIFIER;
    p->test_size = 0.2;
    p->random_state = 57;
    p->chunk_size = 1024;
    p->n_jobs = 2;
    p->test_batch_size = 256;
    p->geometry = 0;
    p->max_objects = 100;
    p->iou_threshold = 0.5;
    /* lines of the keys checked against the workflow once it is known */
    size_t geometry_line = 0, detection_line = 0, method_line = 0, masks_line = 0;
    size_t n_classes_line = 0;

    int sec = SEC_NONE;
    unsigned seen_sec = 0;
    /* keys seen, per section, as a bit each (for duplicates) */
    unsigned seen_key[N_SEC] = {0};
    const char *s = ini ? ini : "";
    const char *end = s + ini_len;
    if (ini_len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) s += 3;
    for (size_t ln = 1; s < end; ln++) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        if (n && s[n - 1] == '\r') n--;
        if (memchr(s, '\0', n)) {
            st = ramp__err_set(err, RAMP_EPARSE, "%s:%zu: NUL byte in line", ini_name, ln);
            goto fail;
        }
        free(line);
        if (!(line = malloc(n + 1))) goto nomem;
        memcpy(line, s, n);
        line[n] = 0;
        s = nl ? nl + 1 : end;
        char *t = trim(line);
        if (!*t || *t == '#' || *t == ';') continue;
        if (*t == '[') {
            size_t tl = strlen(t);
            if (t[tl - 1] != ']') {
                st = ramp__err_set(err, RAMP_EPARSE, "%s:%zu: section header without ']'", ini_name,
                                   ln);
                goto fail;
            }
            t[tl - 1] = 0;
            char *nm = trim(t + 1);
            sec = -1;
            for (int i = 1; i < N_SEC; i++)
                if (strcmp(nm, sec_names[i]) == 0) sec = i;
            if (sec < 0) {
                st = ramp__err_set(err, RAMP_EPARSE,
                                   "%s:%zu: unknown section [%.60s] (expected [problem], [scores], "
                                   "[cv], [workflow], [data] or [detection])",
                                   ini_name, ln, nm);
                goto fail;
            }
            if (seen_sec & (1u << sec)) {
                st = ramp__err_set(err, RAMP_EPARSE, "%s:%zu: section [%s] appears twice", ini_name,
                                   ln, sec_names[sec]);
                goto fail;
            }
            seen_sec |= 1u << sec;
            continue;
        }
        char *eq = strchr(t, '=');
        if (!eq) {
            st = ramp__err_set(err, RAMP_EPARSE, "%s:%zu: expected 'key = value'", ini_name, ln);
            goto fail;
        }
        *eq = 0;
        char *key = trim(t), *val = trim(eq + 1);
        if (sec == SEC_NONE) {
            st = ramp__err_set(err, RAMP_EPARSE, "%s:%zu: key '%.60s' outside any section",
                               ini_name, ln, key);
            goto fail;
        }
        if (sec == SEC_SCORES) {
            if (!is_name(key) || strlen(key) >= sizeof p->scores[0].name) {
                st = ramp__err_set(err, RAMP_EPARSE,
                                   "%s:%zu: bad score name '%.60s' (letters, digits, _ - . ( ) only)",
                                   ini_name, ln, key);
                goto fail;
            }
            for (int i = 0; i < p->n_scores; i++)
                if (strcmp(p->scores[i].name, key) == 0) {
                    st = ramp__err_set(err, RAMP_EDUP, "%s:%zu: score '%s' defined twice", ini_name,
                                       ln, key);
                    goto fail;
                }
            if (p->n_scores == MAX_SCORES) {
                st = ramp__err_set(err, RAMP_ETOOBIG, "%s:%zu: more than %d scores", ini_name, ln,
                                   MAX_SCORES);
                goto fail;
            }
            score_spec *sc = &p->scores[p->n_scores];
            char why[640];
            if (!parse_score(val, sc, why, sizeof why)) {
                st = ramp__err_set(err, RAMP_EPARSE, "%s:%zu: score '%s': %s", ini_name, ln, key,
                                   why);
                goto fail;
            }
            strcpy(sc->name, key);
            sc->line = ln;
            p->n_scores++;
            continue;
        }
        /* one table of the plain keys: section, name, bit */
        static const struct {
            int sec;
            const char *key;
        } keys[] = {{SEC_PROBLEM, "title"},
                    {SEC_PROBLEM, "n_classes"},
                    {SEC_CV, "n_splits"},
                    {SEC_CV, "test_size"},
                    {SEC_CV, "random_state"},
                    {SEC_WORKFLOW, "chunk_size"},
                    {SEC_WORKFLOW, "n_jobs"},
                    {SEC_WORKFLOW, "test_batch_size"},
                    {SEC_PROBLEM, "workflow"},
                    {SEC_CV, "method"},
                    {SEC_CV, "folds"},
                    {SEC_DATA, "images"},
                    {SEC_DATA, "train"},
                    {SEC_DATA, "test"},
                    {SEC_DATA, "class_codes"},
                    {SEC_PROBLEM, "geometry"},
                    {SEC_DETECTION, "max_objects"},
                    {SEC_DETECTION, "iou_threshold"},
                    {SEC_DETECTION, "compat"},
                    {SEC_DETECTION, "bagging"},
                    {SEC_DATA, "masks"}};
        int kidx = -1;
        for (int i = 0; i < (int)(sizeof keys / sizeof *keys); i++)
            if (keys[i].sec == sec && strcmp(keys[i].key, key) == 0) kidx = i;
        if (kidx < 0) {
            st = ramp__err_set(err, RAMP_EPARSE, "%s:%zu: unknown key '%.60s' in [%s]", ini_name,
                               ln, key, sec_names[sec]);
            goto fail;
        }
        if (seen_key[sec] & (1u << kidx)) {
            st = ramp__err_set(err, RAMP_EPARSE, "%s:%zu: key '%s' set twice in [%s]", ini_name, ln,
                               key, sec_names[sec]);
            goto fail;
        }
        seen_key[sec] |= 1u << kidx;
        long iv;
        double dv;
        const char *bad = NULL;
        switch (kidx) {
        case 0: /* title */
            if (!*val)
                bad = "a non-empty text";
            else if (!(p->title = ramp__strdup(val)))
                goto nomem;
            break;
        case 1: /* n_classes: 1 is for detection only (checked below) */
            n_classes_line = ln;
            if (!parse_int(val, 1, MAX_CLASSES, &iv))
                bad = "an integer in [2, 1048576]";
            else
                p->n_classes = (int)iv;
            break;
        case 2:
            if (!parse_int(val, 1, 10000, &iv))
                bad = "an integer in [1, 10000]";
            else
                p->n_splits = (int)iv;
            break;
        case 3: { /* test_size: a fraction in (0, 1) or a count >= 1 */
            int64_t cnt;
            if (ramp__parse_i64(val, strlen(val), &cnt) == 1) {
                if (cnt < 1 || cnt > ((int64_t)1 << 52))
                    bad = "a fraction in (0, 1) or a count >= 1";
                else
                    p->test_size = (double)cnt;
            } else if (!parse_double(val, &dv) || !(dv > 0 && dv < 1)) {
                bad = "a fraction in (0, 1) or a count >= 1";
            } else {
                p->test_size = dv;
            }
            break;
        }
        case 4: {
            int64_t rs; /* numpy's RandomState takes 32 bits */
            if (ramp__parse_i64(val, strlen(val), &rs) != 1 || rs < 0 || rs > 0xffffffffLL)
                bad = "an integer in [0, 4294967295]";
            else
                p->random_state = (uint64_t)rs;
            break;
        }
        case 5:
            if (!parse_int(val, 1, 1 << 24, &iv))
                bad = "an integer in [1, 16777216]";
            else
                p->chunk_size = (int)iv;
            break;
        case 6:
            if (!parse_int(val, 1, 1024, &iv))
                bad = "an integer in [1, 1024]";
            else
                p->n_jobs = (int)iv;
            break;
        case 7:
            if (!parse_int(val, 1, 1 << 24, &iv))
                bad = "an integer in [1, 16777216]";
            else
                p->test_batch_size = (int)iv;
            break;
        case 8: /* workflow */
            bad = "image_classifier, simplified_image_classifier, detection or segmentation";
            for (int w = 0; w <= RAMP_WORKFLOW_SEGMENTATION; w++)
                if (strcmp(val, workflow_names[w]) == 0) p->workflow = (ramp_workflow_kind)w, bad = NULL;
            break;
        case 9: /* cv method */
            method_line = ln;
            bad = "stratified_shuffle_split or shuffle_split";
            for (int m = 0; m <= RAMP_CV_SHUFFLE_SPLIT; m++)
                if (strcmp(val, cv_method_names[m]) == 0) p->cv_method = (ramp_cv_method)m, bad = NULL;
            break;
        case 10: /* folds file */
            if (!is_path(val))
                bad = "a file name (fold,set,row lines)";
            else if (!(p->folds_file = ramp__strdup(val)))
                goto nomem;
            break;
        case 11:
        case 12:
        case 13:
        case 14:
        case 20: {
            int item = kidx == 20 ? RAMP_DATA_MASKS : kidx - 11;
            if (kidx == 20) masks_line = ln;
            if (!is_path(val))
                bad = "a path";
            else if (!(p->data[item] = ramp__strdup(val)))
                goto nomem;
            break;
        }
        case 15: /* geometry */
            geometry_line = ln;
            if (strcmp(val, "box") == 0)
                p->geometry = 0;
            else if (strcmp(val, "circle") == 0)
                p->geometry = 1;
            else
                bad = "box or circle";
            break;
        case 16: /* max_objects */
            if (!detection_line) detection_line = ln;
            if (!parse_int(val, 1, 10000, &iv))
                bad = "an integer in [1, 10000]";
            else
                p->max_objects = (int)iv;
            break;
        case 17: /* iou_threshold */
            if (!detection_line) detection_line = ln;
            if (!parse_double(val, &dv) || !(dv > 0 && dv <= 1))
                bad = "a number in (0, 1]";
            else
                p->iou_threshold = dv;
            break;
        case 18: /* compat */
            if (!detection_line) detection_line = ln;
            if (strcmp(val, "ramp") == 0)
                p->compat_rampwf = 0;
            else if (strcmp(val, "rampwf") == 0)
                p->compat_rampwf = 1;
            else
                bad = "ramp or rampwf";
            break;
        case 19: /* bagging */
            if (!detection_line) detection_line = ln;
            if (strcmp(val, "wbf") == 0)
                p->bagging = 0;
            else if (strcmp(val, "nms") == 0)
                p->bagging = 1;
            else if (strcmp(val, "rampwf") == 0)
                p->bagging = 2;
            else
                bad = "wbf, nms or rampwf";
            break;
        }
        if (bad) {
            st = ramp__err_set(err, RAMP_ERANGE, "%s:%zu: %s = '%.60s': expected %s", ini_name, ln,
                               key, val, bad);
            goto fail;
        }
    }
    if (!p->title) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s: no title in [problem]", ini_name);
        goto fail;
    }
    if (p->folds_file) {
        /* 1 << 9 and 1 << 10: method and folds; n_splits, test_size,
           random_state (bits 2-4) say nothing beside a folds file */
        if (seen_key[SEC_CV] & ((1u << 9) | (1u << 2) | (1u << 3) | (1u << 4))) {
            st = ramp__err_set(err, RAMP_EPARSE,
                               "%s: [cv] folds = %s lists the folds: method, n_splits, test_size "
                               "and random_state cannot be set beside it",
                               ini_name, p->folds_file);
            goto fail;
        }
        p->cv_method = RAMP_CV_FOLDS_FILE;
    }
    if (p->n_scores == 0) {
        st = ramp__err_set(err, RAMP_EFORMAT, "%s: no score in [scores]", ini_name);
        goto fail;
    }
    /* what the workflow allows, now that it is known: its scores, the
       detection knobs, the masks folder, the cv method (detection and
       segmentation have no class per image to stratify on) */
    {
        ramp_workflow_kind w = p->workflow;
        ramp_score_task task = workflow_task(w);
        for (int i = 0; i < p->n_scores; i++) {
            const ramp_score_type *t = ramp_score_type_of(p->scores[i].kind);
            if (t && t->task != task) {
                st = ramp__err_set(err, RAMP_EINVAL,
                                   "%s:%zu: score '%s': %s is a %s score, but workflow %s is "
                                   "scored on %s",
                                   ini_name, p->scores[i].line, p->scores[i].name, t->name,
                                   task_name(t->task), ramp_workflow_name(w), task_name(task));
                goto fail;
            }
        }
        for (int i = 0; i < p->n_scores; i++)
            if (t_uses_iou(p->scores[i].kind) && p->scores[i].param == 0 &&
                (!p->compat_rampwf || p->scores[i].kind == RAMP_SCORE_MAP)) {
                st = ramp__err_set(err, RAMP_EINVAL,
                                   "%s:%zu: score '%s': iou = 0 needs compat = rampwf (rampwf's "
                                   "strict IoU > 0) and a score other than map",
                                   ini_name, p->scores[i].line, p->scores[i].name);
                goto fail;
            }
        for (int i = 0; i < p->n_scores; i++)
            if (p->compat_rampwf && p->scores[i].has_patch &&
                p->scores[i].kind == RAMP_SCORE_MAP) {
                st = ramp__err_set(err, RAMP_EINVAL,
                                   "%s:%zu: score '%s': map has no minipatch with compat = "
                                   "rampwf (rampwf's DetectionAveragePrecision takes none)",
                                   ini_name, p->scores[i].line, p->scores[i].name);
                goto fail;
            }
        size_t bad_line = w == RAMP_WORKFLOW_DETECTION ? 0
                          : geometry_line              ? geometry_line
                                                       : detection_line;
        if (bad_line) {
            st = ramp__err_set(err, RAMP_EINVAL,
                               "%s:%zu: %s is a detection setting, but the workflow is %s",
                               ini_name, bad_line,
                               bad_line == geometry_line ? "[problem] geometry" : "[detection]",
                               ramp_workflow_name(w));
            goto fail;
        }
        if (p->n_classes == 1 && w != RAMP_WORKFLOW_DETECTION) {
            st = ramp__err_set(err, RAMP_ERANGE,
                               "%s:%zu: n_classes = '1': expected an integer in [2, 1048576] (1 "
                               "is for detection kits only)",
                               ini_name, n_classes_line);
            goto fail;
        }
        if (w == RAMP_WORKFLOW_SEGMENTATION && p->n_classes > 255) {
            /* a mask is 8-bit gray and 255 is void: classes 0 .. 254 */
            st = ramp__err_set(err, RAMP_ERANGE,
                               "%s:%zu: n_classes = %d: a segmentation kit has at most 255 "
                               "classes (mask pixels are 8-bit, 255 is void)",
                               ini_name, n_classes_line, p->n_classes);
            goto fail;
        }
        if (masks_line && w != RAMP_WORKFLOW_SEGMENTATION) {
            st = ramp__err_set(err, RAMP_EINVAL,
                               "%s:%zu: [data] masks is a segmentation setting, but the workflow "
                               "is %s",
                               ini_name, masks_line, ramp_workflow_name(w));
            goto fail;
        }
        if (task != RAMP_TASK_CLASSIFICATION) {
            if (method_line && p->cv_method == RAMP_CV_STRATIFIED_SHUFFLE_SPLIT) {
                st = ramp__err_set(err, RAMP_EINVAL,
                                   "%s:%zu: [cv] method = stratified_shuffle_split needs a class "
                                   "per image; workflow %s has none (use shuffle_split or a folds "
                                   "file)",
                                   ini_name, method_line, ramp_workflow_name(w));
                goto fail;
            }
            if (p->cv_method == RAMP_CV_STRATIFIED_SHUFFLE_SPLIT)
                p->cv_method = RAMP_CV_SHUFFLE_SPLIT;
        }
    }
    if (codes) {
        st = parse_codes(p, p->n_classes, codes, codes_len, codes_name, ini_name, err);
        if (st) goto fail;
    } else {
        if (!p->n_classes) {
            st = ramp__err_set(err, RAMP_EFORMAT,
                               "%s: no n_classes in [problem] and no class codes file", ini_name);
            goto fail;
        }
        p->class_names = calloc((size_t)p->n_classes, sizeof *p->class_names);
        if (!p->class_names) goto nomem;
        for (int i = 0; i < p->n_classes; i++) {
            char b[16];
            snprintf(b, sizeof b, "%d", i);
            if (!(p->class_names[i] = ramp__strdup(b))) goto nomem;
        }
    }
    for (int i = 0; i < p->n_scores; i++)
        if (p->scores[i].kind == RAMP_SCORE_TOP_K && p->scores[i].param > p->n_classes) {
            st = ramp__err_set(err, RAMP_ERANGE, "%s: score '%s': k = %g exceeds n_classes = %d",
                               ini_name, p->scores[i].name, p->scores[i].param, p->n_classes);
            goto fail;
        }
    /* the folds file and [data] paths, relative to the kit */
    if (kit_dir) {
        if (resolve(&p->folds_file, kit_dir)) goto nomem;
        for (int i = 0; i < N_DATA; i++)
            if (resolve(&p->data[i], kit_dir)) goto nomem;
    }
    free(line);
    *out = p;
    return RAMP_OK;
nomem:
    st = ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", ini_name);
fail:
    free(line);
    ramp_problem_free(p);
    return st;
}

/* A path of the problem file resolved against the kit folder (absolute
   ones kept). */
static ramp_status resolve(char **path, const char *kit_dir)
{
    if (!*path || (*path)[0] == '/') return RAMP_OK;
    char *r = ramp__path_join(kit_dir, *path);
    if (!r) return RAMP_ENOMEM;
    free(*path);
    *path = r;
    return RAMP_OK;
}

ramp_status ramp_problem_load(ramp_problem **out, const char *kit_dir, ramp_err *err)
{
    *out = NULL;
    ramp__err_clear(err);
    ramp_status st;
    uint8_t *ini = NULL, *codes = NULL;
    size_t ini_len = 0, codes_len = 0;
    ramp_problem *hdr = NULL, *p = NULL;
    char *codes_path = NULL;
    char *ini_path = ramp__path_join(kit_dir, "problem.ini");
    if (!ini_path) {
        st = ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", kit_dir);
        goto done;
    }
    st = ramp__read_file(ini_path, 1 << 20, &ini, &ini_len, err);
    if (st == RAMP_ENOENT) {
        char *py = ramp__path_join(kit_dir, "problem.py");
        struct stat sb;
        if (py && stat(py, &sb) == 0)
            st = ramp__err_set(err, RAMP_ENOENT,
                               "%s: no problem.ini, but a problem.py: a RAMP kit "
                               "(`ramp test` reads it; `ramp kit import %s` writes the "
                               "problem.ini for the C tools)",
                               kit_dir, kit_dir);
        free(py);
    }
    if (st) goto done;
    /* the class codes file may be named by [data]: parse once without it */
    st = ramp_problem_parse(&hdr, (const char *)ini, ini_len, ini_path, NULL, 0, NULL, NULL, err);
    if (st == RAMP_EFORMAT && hdr == NULL) {
        /* no n_classes: it comes from the codes; look for them below */
        ramp__err_clear(err);
        st = RAMP_OK;
    }
    if (st) goto done;
    if (hdr && hdr->data[RAMP_DATA_CLASS_CODES]) {
        codes_path = ramp__strdup(hdr->data[RAMP_DATA_CLASS_CODES]);
        if (codes_path && (st = resolve(&codes_path, kit_dir))) {
            ramp__err_set(err, st, "%s: out of memory", kit_dir);
            goto done;
        }
    } else {
        codes_path = ramp__path_join(kit_dir, "data/class_codes.csv");
    }
    if (!codes_path) {
        st = ramp__err_set(err, RAMP_ENOMEM, "%s: out of memory", kit_dir);
        goto done;
    }
    st = ramp__read_file(codes_path, 16 << 20, &codes, &codes_len, err);
    if (st == RAMP_ENOENT) {
        ramp__err_clear(err);
        codes = NULL;
    } else if (st) {
        goto done;
    }
    st = ramp_problem_parse(&p, (const char *)ini, ini_len, ini_path, (const char *)codes,
                            codes_len, codes_path, kit_dir, err);
    if (st) goto done;
    *out = p;
    p = NULL;
done:
    ramp_problem_free(hdr);
    ramp_problem_free(p);
    free(ini);
    free(codes);
    free(ini_path);
    free(codes_path);
    return st;
}

/* ---- accessors ------------------------------------------------------------ */

const char *ramp_problem_title(const ramp_problem *p)
{
    return p ? p->title : NULL;
}
int ramp_problem_n_classes(const ramp_problem *p)
{
    return p ? p->n_classes : 0;
}

const char *ramp_problem_class_name(const ramp_problem *p, int i)
{
    return p && i >= 0 && i < p->n_classes ? p->class_names[i] : NULL;
}

int ramp_problem_n_scores(const ramp_problem *p)
{
    return p ? p->n_scores : 0;
}

ramp_score_kind ramp_problem_score_kind(const ramp_problem *p, int i)
{
    return p && i >= 0 && i < p->n_scores ? p->scores[i].kind : (ramp_score_kind)-1;
}

const char *ramp_problem_score_name(const ramp_problem *p, int i)
{
    return p && i >= 0 && i < p->n_scores ? p->scores[i].name : NULL;
}

int ramp_problem_score_precision(const ramp_problem *p, int i)
{
    return p && i >= 0 && i < p->n_scores ? p->scores[i].precision : 0;
}

double ramp_problem_score_param(const ramp_problem *p, int i)
{
    return p && i >= 0 && i < p->n_scores ? p->scores[i].param : 0;
}

int ramp_problem_score_minipatch(const ramp_problem *p, int i, double out[4])
{
    if (!p || i < 0 || i >= p->n_scores || !p->scores[i].has_patch) return 0;
    if (out) memcpy(out, p->scores[i].patch, sizeof p->scores[i].patch);
    return 1;
}

ramp_cv_method ramp_problem_cv_method(const ramp_problem *p)
{
    return p ? p->cv_method : RAMP_CV_STRATIFIED_SHUFFLE_SPLIT;
}
const char *ramp_problem_cv_folds_file(const ramp_problem *p)
{
    return p ? p->folds_file : NULL;
}
ramp_workflow_kind ramp_problem_workflow(const ramp_problem *p)
{
    return p ? p->workflow : RAMP_WORKFLOW_IMAGE_CLASSIFIER;
}
const char *ramp_problem_data_path(const ramp_problem *p, ramp_data_item which)
{
    return p && which >= 0 && which <= RAMP_DATA_MASKS ? p->data[which] : NULL;
}
int ramp_problem_geometry(const ramp_problem *p)
{
    return p ? p->geometry : 0;
}
int ramp_problem_max_objects(const ramp_problem *p)
{
    return p ? p->max_objects : 0;
}
double ramp_problem_iou_threshold(const ramp_problem *p)
{
    return p ? p->iou_threshold : 0;
}
int ramp_problem_compat_rampwf(const ramp_problem *p)
{
    return p ? p->compat_rampwf : 0;
}
int ramp_problem_bagging(const ramp_problem *p)
{
    return p ? p->bagging : 0;
}
int ramp_problem_cv_n_splits(const ramp_problem *p)
{
    return p ? p->n_splits : 0;
}
double ramp_problem_cv_test_size(const ramp_problem *p)
{
    return p ? p->test_size : 0;
}
uint64_t ramp_problem_cv_random_state(const ramp_problem *p)
{
    return p ? p->random_state : 0;
}
int ramp_problem_chunk_size(const ramp_problem *p)
{
    return p ? p->chunk_size : 0;
}
int ramp_problem_n_jobs(const ramp_problem *p)
{
    return p ? p->n_jobs : 0;
}
int ramp_problem_test_batch_size(const ramp_problem *p)
{
    return p ? p->test_batch_size : 0;
}
