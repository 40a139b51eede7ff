/* board.c — the leaderboard: built from the store once, rendered as a text
 * table, CSV and JSON here, as HTML pages in board_html.c and as SVG plots
 * (the official score against submission time, learning curves) in
 * board_svg.c; plus one submission's JSON (per-fold scores, log).
 *
 * Views: public ranks the scored submissions by their bagged validation
 * scores; private by their bagged test scores; competition keeps each
 * team's best submission by the public (validation) official score, ties to
 * the earliest, and shows and ranks it by its test scores — RAMP's rule that
 * a team picks on public figures and is judged on private ones.
 * Renderers append to a ramp__buf; nothing here prints.
 *
 * What is public: test scores (per fold and bagged, the private and
 * competition views) are shown only to a reader that may see them
 * (see_test: the organiser, the command line, or anyone once the organiser
 * revealed them). Logs on pages and in JSON go through ramp__log_public:
 * server paths are cut to their last component, and test score rows are
 * hidden from other readers.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/coreInt.h"
#include "ramp/score.h"
#include "store/storeInt.h"

static void json_num(ramp__buf *b, double v)
{
    if (isfinite(v))
        ramp__buf_printf(b, "%.10g", v);
    else
        ramp__buf_puts(b, "null");
}

/* ---- building --------------------------------------------------------------------------- */

const char *ramp__view_name(ramp__view v)
{
    return v == RAMP__VIEW_PRIVATE ? "private" : v == RAMP__VIEW_COMPETITION ? "competition" : "public";
}

int ramp__view_parse(const char *s, ramp__view *v)
{
    if (!strcmp(s, "public")) *v = RAMP__VIEW_PUBLIC;
    else if (!strcmp(s, "private")) *v = RAMP__VIEW_PRIVATE;
    else if (!strcmp(s, "competition")) *v = RAMP__VIEW_COMPETITION;
    else return -1;
    return 0;
}

static void row_clear(ramp__board_row *r)
{
    free(r->team);
    free(r->name);
    free(r->state);
    free(r->scores);
}

void ramp__board_clear(ramp__board *b)
{
    if (!b) return;
    for (int i = 0; i < b->n_all; i++) row_clear(&b->all[i]);
    free(b->all);
    free(b->rows);
    for (int i = 0; b->score_names && i < b->n_scores; i++) free(b->score_names[i]);
    free(b->score_names);
    free(b->lower_is_better);
    free(b->precision);
    free(b->title);
    memset(b, 0, sizeof *b);
}

typedef struct rank_ctx {
    int lower;
} rank_ctx;

/* qsort has no context argument: ranking sorts (key, index) pairs instead. */
typedef struct rank_key {
    double key; /* official score, negated when lower is better; NaN last */
    double at;
    int64_t id;
    int i;
} rank_key;

static int cmp_rank(const void *pa, const void *pb)
{
    const rank_key *a = pa, *b = pb;
    int na = isnan(a->key), nb = isnan(b->key);
    if (na != nb) return na - nb;
    if (!na && a->key != b->key) return a->key > b->key ? -1 : 1;
    if (a->at != b->at) return a->at < b->at ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

ramp_status ramp__board_build(ramp__store *s, ramp__view view, ramp__board *b)
{
    return ramp__board_build_as(s, view, 1, b);
}

ramp_status ramp__board_build_as(ramp__store *s, ramp__view view, int see_test, ramp__board *b)
{
    memset(b, 0, sizeof *b);
    if (!see_test && view != RAMP__VIEW_PUBLIC) return RAMP_EINVAL;
    b->view = view;
    b->see_test = see_test != 0;
    ramp__event ev;
    ramp__rows r = {0};
    double *official_valid = NULL;
    rank_key *keys = NULL;
    ramp_status st = ramp__store_event_get(s, &ev);
    if (st) return st;
    const ramp_problem *pb = ev.problem;
    int ns = ramp_problem_n_scores(pb);
    b->n_scores = ns;
    b->title = ramp__strdup(ev.title);
    b->score_names = calloc((size_t)ns, sizeof *b->score_names);
    b->lower_is_better = calloc((size_t)ns, sizeof(int));
    b->precision = calloc((size_t)ns, sizeof(int));
    if (!b->title || !b->score_names || !b->lower_is_better || !b->precision) goto oom;
    for (int i = 0; i < ns; i++) {
        b->score_names[i] = ramp__strdup(ramp_problem_score_name(pb, i));
        if (!b->score_names[i]) goto oom;
        const ramp_score_type *t = ramp_score_type_of(ramp_problem_score_kind(pb, i));
        b->lower_is_better[i] = t ? t->lower_is_better : 0;
        b->precision[i] = ramp_problem_score_precision(pb, i);
    }
    b->combined = view == RAMP__VIEW_PUBLIC ? ev.combined_valid : ev.combined_test;
    b->foldwise_best = view == RAMP__VIEW_PUBLIC ? ev.foldwise_best_valid : ev.foldwise_best_test;
    st = ramp__store_query(s,
                           "SELECT s.id, t.name, s.name, s.state, s.contributivity, s.hist_sum,"
                           " s.hist_n, s.train_time, s.valid_time, s.test_time, s.max_rss_kb,"
                           " s.submitted_at, s.n_claims FROM submission s JOIN team t ON t.id ="
                           " s.team_id ORDER BY s.id",
                           NULL, 0, &r);
    if (st) goto fail;
    b->all = calloc((size_t)r.n_rows + 1, sizeof *b->all);
    b->rows = calloc((size_t)r.n_rows + 1, sizeof *b->rows);
    official_valid = calloc((size_t)r.n_rows + 1, sizeof *official_valid);
    keys = calloc((size_t)r.n_rows + 1, sizeof *keys);
    if (!b->all || !b->rows || !official_valid || !keys) goto oom;
    for (int i = 0; i < r.n_rows; i++) {
        ramp__board_row *w = &b->all[i];
        b->n_all++;
        w->id = ramp__rows_int(&r, i, 0);
        w->team = ramp__strdup(ramp__rows_text(&r, i, 1));
        w->name = ramp__strdup(ramp__rows_text(&r, i, 2));
        w->state = ramp__strdup(ramp__rows_text(&r, i, 3));
        w->contributivity = ramp__rows_real(&r, i, 4);
        int64_t hn = ramp__rows_int(&r, i, 6);
        w->historical = hn > 0 ? ramp__rows_real(&r, i, 5) / (double)hn : NAN;
        w->train_time = ramp__rows_real(&r, i, 7);
        w->valid_time = ramp__rows_real(&r, i, 8);
        w->test_time = ramp__rows_real(&r, i, 9);
        const char *rss = ramp__rows_text(&r, i, 10);
        w->max_ram_mb = rss ? (double)strtoll(rss, NULL, 10) / 1024.0 : NAN;
        w->submitted_at = ramp__rows_real(&r, i, 11);
        w->n_claims = (int)ramp__rows_int(&r, i, 12);
        w->scores = malloc(((size_t)ns + 1) * sizeof *w->scores);
        if (!w->team || !w->name || !w->state || !w->scores) goto oom;
        for (int k = 0; k < ns; k++) w->scores[k] = NAN;
        official_valid[i] = NAN;
    }
    ramp__rows_clear(&r);
    /* bagged scores: the view's split, and the validation official score */
    for (int pass = 0; pass < 2; pass++) {
        const char *step = pass == 0 ? "valid" : "test";
        if (pass == 1 && view == RAMP__VIEW_PUBLIC) break;
        st = ramp__store_query(s,
                               "SELECT submission_id, name, value FROM score WHERE fold = ? AND"
                               " step = ? ORDER BY submission_id",
                               (const ramp__val[]){RAMP__INT(-1), RAMP__TEXT(step)}, 2, &r);
        if (st) goto fail;
        int j = 0;
        for (int i = 0; i < r.n_rows; i++) {
            int64_t id = ramp__rows_int(&r, i, 0);
            while (j < b->n_all && b->all[j].id < id) j++;
            if (j == b->n_all || b->all[j].id != id) continue;
            const char *nm = ramp__rows_text(&r, i, 1);
            for (int k = 0; k < ns; k++)
                if (nm && !strcmp(nm, b->score_names[k])) {
                    double v = ramp__rows_real(&r, i, 2);
                    if (pass == 0 && k == 0) official_valid[j] = v;
                    if ((pass == 0) == (view == RAMP__VIEW_PUBLIC)) b->all[j].scores[k] = v;
                }
        }
        ramp__rows_clear(&r);
    }
    /* ranking */
    int nk = 0;
    for (int i = 0; i < b->n_all; i++) {
        if (strcmp(b->all[i].state, ramp__state_name(RAMP__ST_SCORED)) != 0) continue;
        double key = view == RAMP__VIEW_COMPETITION ? official_valid[i] : b->all[i].scores[0];
        keys[nk++] = (rank_key){b->lower_is_better[0] ? -key : key, b->all[i].submitted_at,
                                b->all[i].id, i};
    }
    qsort(keys, (size_t)nk, sizeof *keys, cmp_rank);
    if (view == RAMP__VIEW_COMPETITION) {
        /* each team's best on public figures (ties: the earliest), ranked on test */
        int m = 0;
        for (int i = 0; i < nk; i++) {
            int seen = 0;
            for (int j = 0; j < m && !seen; j++)
                seen = !strcmp(b->all[keys[j].i].team, b->all[keys[i].i].team);
            if (seen) continue;
            keys[m] = keys[i];
            double t = b->all[keys[i].i].scores[0];
            keys[m].key = b->lower_is_better[0] ? -t : t;
            m++;
        }
        nk = m;
        qsort(keys, (size_t)nk, sizeof *keys, cmp_rank);
    }
    for (int i = 0; i < nk; i++) b->rows[i] = b->all[keys[i].i];
    b->n_rows = nk;
    free(official_valid);
    free(keys);
    ramp__event_clear(&ev);
    return RAMP_OK;
oom:
    st = RAMP_ENOMEM;
fail:
    ramp__rows_clear(&r);
    free(official_valid);
    free(keys);
    ramp__event_clear(&ev);
    ramp__board_clear(b);
    return st;
}

/* ---- renderers ---------------------------------------------------------------------- */

void ramp__fmt_time(char *out, size_t n, double t)
{
    if (!isfinite(t)) {
        snprintf(out, n, "-");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

void ramp__fmt_num(char *out, size_t n, double v, int prec)
{
    if (isfinite(v))
        snprintf(out, n, "%.*f", prec, v);
    else
        snprintf(out, n, "-");
}

static void fmt_pct(char *out, size_t n, double v)
{
    if (isfinite(v))
        snprintf(out, n, "%d", (int)lround(100 * v));
    else
        snprintf(out, n, "-");
}


void ramp__board_row_cells(const ramp__board *b, const ramp__board_row *r, int rank, ramp__board_cells *c)
{
    int k = 0;
    snprintf(c->v[k++], 64, "%d", rank);
    snprintf(c->v[k++], 64, "%.63s", r->team);
    snprintf(c->v[k++], 64, "%.63s", r->name);
    fmt_pct(c->v[k++], 64, r->contributivity);
    fmt_pct(c->v[k++], 64, r->historical);
    for (int s = 0; s < b->n_scores && k < 58; s++)
        ramp__fmt_num(c->v[k++], 64, r->scores[s], b->precision[s]);
    ramp__fmt_num(c->v[k++], 64, r->train_time, 2);
    ramp__fmt_num(c->v[k++], 64, r->test_time, 2);
    ramp__fmt_num(c->v[k++], 64, r->max_ram_mb, 0);
    ramp__fmt_time(c->v[k++], 64, r->submitted_at);
    c->n = k;
}

void ramp__board_header_cells(const ramp__board *b, ramp__board_cells *c)
{
    static const char *pre[] = {"rank", "team", "submission", "contributivity",
                                "historical contributivity"};
    static const char *post[] = {"train time [s]", "test time [s]", "max RAM [MB]",
                                 "submitted at (UTC)"};
    int k = 0;
    for (int i = 0; i < 5; i++) snprintf(c->v[k++], 64, "%s", pre[i]);
    for (int s = 0; s < b->n_scores && k < 58; s++) snprintf(c->v[k++], 64, "%.63s", b->score_names[s]);
    for (int i = 0; i < 4; i++) snprintf(c->v[k++], 64, "%s", post[i]);
    c->n = k;
}

const char *ramp__view_split(ramp__view v)
{
    return v == RAMP__VIEW_PUBLIC ? "validation" : "test";
}

void ramp__board_table(const ramp__board *b, ramp__buf *out)
{
    char num[64];
    ramp__fmt_num(num, sizeof num, b->combined, b->n_scores ? b->precision[0] : 4);
    ramp__buf_printf(out, "%s — %s leaderboard\ncombined score (%s, %s): %s\n\n", b->title,
                     ramp__view_name(b->view), b->n_scores ? b->score_names[0] : "?",
                     ramp__view_split(b->view), num);
    ramp__board_cells *h = malloc(sizeof *h), *c = malloc(sizeof *c);
    int width[64] = {0};
    if (!h || !c) {
        out->oom = 1;
        free(h);
        free(c);
        return;
    }
    ramp__board_header_cells(b, h);
    for (int i = 0; i < h->n; i++) width[i] = (int)strlen(h->v[i]);
    for (int r = 0; r < b->n_rows; r++) {
        ramp__board_row_cells(b, &b->rows[r], r + 1, c);
        for (int i = 0; i < c->n; i++)
            if ((int)strlen(c->v[i]) > width[i]) width[i] = (int)strlen(c->v[i]);
    }
    for (int i = 0; i < h->n; i++) ramp__buf_printf(out, "%s%-*s", i ? "  " : "", width[i], h->v[i]);
    ramp__buf_puts(out, "\n");
    for (int r = 0; r < b->n_rows; r++) {
        ramp__board_row_cells(b, &b->rows[r], r + 1, c);
        for (int i = 0; i < c->n; i++) {
            /* text left, numbers right */
            int left = i == 1 || i == 2;
            ramp__buf_printf(out, left ? "%s%-*s" : "%s%*s", i ? "  " : "", width[i], c->v[i]);
        }
        ramp__buf_puts(out, "\n");
    }
    free(h);
    free(c);
}

static void csv_field(ramp__buf *out, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        ramp__buf_puts(out, s);
        return;
    }
    ramp__buf_puts(out, "\"");
    for (; *s; s++) {
        if (*s == '"') ramp__buf_puts(out, "\"");
        ramp__buf_put(out, s, 1);
    }
    ramp__buf_puts(out, "\"");
}

void ramp__board_csv(const ramp__board *b, ramp__buf *out)
{
    ramp__board_cells *c = malloc(sizeof *c);
    if (!c) {
        out->oom = 1;
        return;
    }
    ramp__board_header_cells(b, c);
    for (int i = 0; i < c->n; i++) {
        if (i) ramp__buf_puts(out, ",");
        csv_field(out, c->v[i]);
    }
    ramp__buf_puts(out, "\n");
    for (int r = 0; r < b->n_rows; r++) {
        ramp__board_row_cells(b, &b->rows[r], r + 1, c);
        for (int i = 0; i < c->n; i++) {
            if (i) ramp__buf_puts(out, ",");
            csv_field(out, c->v[i]);
        }
        ramp__buf_puts(out, "\n");
    }
    free(c);
}

static void json_row(const ramp__board *b, const ramp__board_row *r, int rank, ramp__buf *out)
{
    ramp__buf_printf(out, "{\"rank\": %d, \"id\": %lld, \"team\": ", rank, (long long)r->id);
    ramp__buf_json(out, r->team);
    ramp__buf_puts(out, ", \"submission\": ");
    ramp__buf_json(out, r->name);
    ramp__buf_puts(out, ", \"state\": ");
    ramp__buf_json(out, r->state);
    ramp__buf_puts(out, ", \"contributivity\": ");
    json_num(out, r->contributivity);
    ramp__buf_puts(out, ", \"historical_contributivity\": ");
    json_num(out, r->historical);
    ramp__buf_puts(out, ", \"scores\": {");
    for (int s = 0; s < b->n_scores; s++) {
        if (s) ramp__buf_puts(out, ", ");
        ramp__buf_json(out, b->score_names[s]);
        ramp__buf_puts(out, ": ");
        json_num(out, r->scores[s]);
    }
    ramp__buf_puts(out, "}, \"train_time\": ");
    json_num(out, r->train_time);
    ramp__buf_puts(out, ", \"valid_time\": ");
    json_num(out, r->valid_time);
    ramp__buf_puts(out, ", \"test_time\": ");
    json_num(out, r->test_time);
    ramp__buf_puts(out, ", \"max_ram_mb\": ");
    json_num(out, r->max_ram_mb);
    ramp__buf_puts(out, ", \"submitted_at\": ");
    json_num(out, r->submitted_at);
    ramp__buf_printf(out, ", \"n_claims\": %d}", r->n_claims);
}

void ramp__board_json(const ramp__board *b, ramp__buf *out)
{
    ramp__buf_puts(out, "{\"title\": ");
    ramp__buf_json(out, b->title);
    ramp__buf_printf(out, ", \"view\": \"%s\", \"split\": \"%s\", \"official_score\": ",
                     ramp__view_name(b->view), ramp__view_split(b->view));
    ramp__buf_json(out, b->n_scores ? b->score_names[0] : "");
    ramp__buf_puts(out, ", \"combined_score\": ");
    json_num(out, b->combined);
    ramp__buf_puts(out, ", \"foldwise_best_score\": ");
    json_num(out, b->foldwise_best);
    ramp__buf_puts(out, ",\n \"rows\": [");
    for (int r = 0; r < b->n_rows; r++) {
        ramp__buf_puts(out, r ? ",\n  " : "\n  ");
        json_row(b, &b->rows[r], r + 1, out);
    }
    ramp__buf_puts(out, "],\n \"submissions\": [");
    for (int r = 0; r < b->n_all; r++) {
        const ramp__board_row *w = &b->all[r];
        ramp__buf_printf(out, "%s{\"id\": %lld, \"team\": ", r ? ",\n  " : "\n  ", (long long)w->id);
        ramp__buf_json(out, w->team);
        ramp__buf_puts(out, ", \"submission\": ");
        ramp__buf_json(out, w->name);
        ramp__buf_puts(out, ", \"state\": ");
        ramp__buf_json(out, w->state);
        ramp__buf_printf(out, ", \"n_claims\": %d, \"submitted_at\": ", w->n_claims);
        json_num(out, w->submitted_at);
        ramp__buf_puts(out, "}");
    }
    ramp__buf_puts(out, "]}\n");
}

/* ---- logs shown to the public --------------------------------------------------------- */

static int path_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-' || c == '+' || c == '@' || c == '%' || c == '~' ||
           c == '/';
}

static int path_start(const char *log, const char *p)
{
    return *p == '/' && (p == log || strchr(" \t\n\r'\"(=:,[<", p[-1]));
}

/* Is the line at p a row of test scores ("<blanks>test<blank>...")? */
static int test_row(const char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    return !strncmp(p, "test", 4) && (p[4] == ' ' || p[4] == '\t');
}

void ramp__log_public(ramp__buf *out, const char *log, int see_test)
{
    if (!log) return;
    for (const char *p = log; *p;) {
        if (!see_test && (p == log || p[-1] == '\n') && test_row(p)) {
            const char *q = p;
            while (*q == ' ' || *q == '\t') q++;
            ramp__buf_put(out, p, (size_t)(q - p));
            ramp__buf_puts(out, "test      (hidden until the organiser reveals the test scores)");
            while (*q && *q != '\n') q++;
            p = q;
            continue;
        }
        if (path_start(log, p)) {
            const char *e = p;
            while (path_char(*e)) e++;
            const char *end = e;
            while (end > p + 1 && end[-1] == '/') end--; /* trailing slashes */
            const char *base = end;
            while (base > p && base[-1] != '/') base--;
            if (end - base > 0) {
                ramp__buf_put(out, base, (size_t)(end - base));
                if (end < e) ramp__buf_puts(out, "/");
            } else {
                ramp__buf_puts(out, "/");
            }
            p = e;
            continue;
        }
        ramp__buf_put(out, p, 1);
        p++;
    }
}

/* ---- one submission --------------------------------------------------------------------- */


ramp_status ramp__board_sub_load(ramp__store *s, int64_t id, int see_test, ramp__board_sub *si)
{
    memset(si, 0, sizeof *si);
    ramp_status st = ramp__store_query(
        s,
        "SELECT t.name, s.name, s.state, s.submitted_at, s.log, s.train_time, s.valid_time,"
        " s.test_time, s.max_rss_kb, s.contributivity, s.n_claims FROM submission s JOIN team t"
        " ON t.id = s.team_id WHERE s.id = ?",
        (const ramp__val[]){RAMP__INT(id)}, 1, &si->head);
    if (st) return st;
    if (!si->head.n_rows) {
        ramp__rows_clear(&si->head);
        return RAMP_ENOENT;
    }
    st = ramp__store_query(s,
                           "SELECT fold, step, name, value FROM score WHERE submission_id = ?"
                           " AND (? = 1 OR step <> ?) ORDER BY fold, step, name",
                           (const ramp__val[]){RAMP__INT(id), RAMP__INT(see_test != 0),
                                               RAMP__TEXT("test")},
                           3, &si->scores);
    if (st) ramp__rows_clear(&si->head);
    return st;
}

void ramp__board_sub_free(ramp__board_sub *si)
{
    ramp__rows_clear(&si->head);
    ramp__rows_clear(&si->scores);
}

ramp_status ramp__sub_json_as(ramp__store *s, int64_t id, int see_test, ramp__buf *out)
{
    ramp__board_sub si;
    ramp_status st = ramp__board_sub_load(s, id, see_test, &si);
    if (st) return st;
    const ramp__rows *h = &si.head;
    ramp__buf_printf(out, "{\"id\": %lld, \"team\": ", (long long)id);
    ramp__buf_json(out, ramp__rows_text(h, 0, 0));
    ramp__buf_puts(out, ", \"submission\": ");
    ramp__buf_json(out, ramp__rows_text(h, 0, 1));
    ramp__buf_puts(out, ", \"state\": ");
    ramp__buf_json(out, ramp__rows_text(h, 0, 2));
    ramp__buf_puts(out, ", \"submitted_at\": ");
    json_num(out, ramp__rows_real(h, 0, 3));
    static const char *tn[] = {"train_time", "valid_time", "test_time"};
    for (int k = 0; k < 3; k++) {
        ramp__buf_printf(out, ", \"%s\": ", tn[k]);
        json_num(out, ramp__rows_real(h, 0, 5 + k));
    }
    ramp__buf_puts(out, ", \"max_rss_kb\": ");
    json_num(out, ramp__rows_real(h, 0, 8));
    ramp__buf_puts(out, ", \"contributivity\": ");
    json_num(out, ramp__rows_real(h, 0, 9));
    ramp__buf_printf(out, ", \"n_claims\": %lld, \"scores\": [", (long long)ramp__rows_int(h, 0, 10));
    for (int i = 0; i < si.scores.n_rows; i++) {
        ramp__buf_printf(out, "%s{\"fold\": %lld, \"step\": ", i ? ", " : "",
                         (long long)ramp__rows_int(&si.scores, i, 0));
        ramp__buf_json(out, ramp__rows_text(&si.scores, i, 1));
        ramp__buf_puts(out, ", \"name\": ");
        ramp__buf_json(out, ramp__rows_text(&si.scores, i, 2));
        ramp__buf_puts(out, ", \"value\": ");
        json_num(out, ramp__rows_real(&si.scores, i, 3));
        ramp__buf_puts(out, "}");
    }
    ramp__buf_puts(out, "], \"log\": ");
    ramp__buf log = {0};
    ramp__log_public(&log, ramp__rows_text(h, 0, 4), see_test);
    if (log.oom) out->oom = 1;
    ramp__buf_json(out, ramp__rows_text(h, 0, 4) ? log.p : NULL);
    ramp__buf_free(&log);
    ramp__buf_puts(out, "}\n");
    ramp__board_sub_free(&si);
    return RAMP_OK;
}
