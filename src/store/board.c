/* board.c — the leaderboard: built from the store once, rendered as a text
 * table, CSV, JSON, an HTML page (sortable, searchable, no external assets)
 * and an SVG plot of the official score against submission time; plus one
 * submission's page and JSON (per-fold scores, learning curve, log).
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

/* ---- buffer ------------------------------------------------------------------------ */

void ramp__buf_put(ramp__buf *b, const void *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void ramp__buf_puts(ramp__buf *b, const char *s)
{
    ramp__buf_put(b, s, strlen(s));
}

void ramp__buf_printf(ramp__buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        ramp__buf_put(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    ramp__buf_put(b, big, (size_t)n);
    free(big);
}

void ramp__buf_html(ramp__buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': ramp__buf_puts(b, "&lt;"); break;
        case '>': ramp__buf_puts(b, "&gt;"); break;
        case '&': ramp__buf_puts(b, "&amp;"); break;
        case '"': ramp__buf_puts(b, "&quot;"); break;
        case '\'': ramp__buf_puts(b, "&#39;"); break;
        default: ramp__buf_put(b, s, 1);
        }
    }
}

void ramp__buf_json(ramp__buf *b, const char *s)
{
    ramp__buf_put(b, "\"", 1);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            ramp__buf_printf(b, "\\%c", c);
        else if (c == '\n')
            ramp__buf_puts(b, "\\n");
        else if (c < 0x20 || c == 0x7f)
            ramp__buf_printf(b, "\\u%04x", c);
        else
            ramp__buf_put(b, s, 1);
    }
    ramp__buf_put(b, "\"", 1);
}

void ramp__buf_free(ramp__buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

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
        if (strcmp(b->all[i].state, "scored") != 0) continue;
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

static void fmt_time(char *out, size_t n, double t)
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

static void fmt_num(char *out, size_t n, double v, int prec)
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

/* The cells of row r (strings), shared by the table, CSV and HTML. */
typedef struct cells {
    char v[64][64];
    int n;
} cells;

static void row_cells(const ramp__board *b, const ramp__board_row *r, int rank, cells *c)
{
    int k = 0;
    snprintf(c->v[k++], 64, "%d", rank);
    snprintf(c->v[k++], 64, "%.63s", r->team);
    snprintf(c->v[k++], 64, "%.63s", r->name);
    fmt_pct(c->v[k++], 64, r->contributivity);
    fmt_pct(c->v[k++], 64, r->historical);
    for (int s = 0; s < b->n_scores && k < 58; s++)
        fmt_num(c->v[k++], 64, r->scores[s], b->precision[s]);
    fmt_num(c->v[k++], 64, r->train_time, 2);
    fmt_num(c->v[k++], 64, r->test_time, 2);
    fmt_num(c->v[k++], 64, r->max_ram_mb, 0);
    fmt_time(c->v[k++], 64, r->submitted_at);
    c->n = k;
}

static void header_cells(const ramp__board *b, cells *c)
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

static const char *split_name(ramp__view v)
{
    return v == RAMP__VIEW_PUBLIC ? "validation" : "test";
}

void ramp__board_table(const ramp__board *b, ramp__buf *out)
{
    char num[64];
    fmt_num(num, sizeof num, b->combined, b->n_scores ? b->precision[0] : 4);
    ramp__buf_printf(out, "%s — %s leaderboard\ncombined score (%s, %s): %s\n\n", b->title,
                     ramp__view_name(b->view), b->n_scores ? b->score_names[0] : "?",
                     split_name(b->view), num);
    cells *h = malloc(sizeof *h), *c = malloc(sizeof *c);
    int width[64] = {0};
    if (!h || !c) {
        out->oom = 1;
        free(h);
        free(c);
        return;
    }
    header_cells(b, h);
    for (int i = 0; i < h->n; i++) width[i] = (int)strlen(h->v[i]);
    for (int r = 0; r < b->n_rows; r++) {
        row_cells(b, &b->rows[r], r + 1, c);
        for (int i = 0; i < c->n; i++)
            if ((int)strlen(c->v[i]) > width[i]) width[i] = (int)strlen(c->v[i]);
    }
    for (int i = 0; i < h->n; i++) ramp__buf_printf(out, "%s%-*s", i ? "  " : "", width[i], h->v[i]);
    ramp__buf_puts(out, "\n");
    for (int r = 0; r < b->n_rows; r++) {
        row_cells(b, &b->rows[r], r + 1, c);
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
    cells *c = malloc(sizeof *c);
    if (!c) {
        out->oom = 1;
        return;
    }
    header_cells(b, c);
    for (int i = 0; i < c->n; i++) {
        if (i) ramp__buf_puts(out, ",");
        csv_field(out, c->v[i]);
    }
    ramp__buf_puts(out, "\n");
    for (int r = 0; r < b->n_rows; r++) {
        row_cells(b, &b->rows[r], r + 1, c);
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
                     ramp__view_name(b->view), split_name(b->view));
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

static const char page_css[] =
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
    "h1{font-size:1.4em}table{border-collapse:collapse;font-size:.9em}"
    "th,td{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:right}"
    "th{background:#f3f3f3;cursor:pointer;user-select:none}th.s-asc:after{content:' \\25B2'}"
    "th.s-desc:after{content:' \\25BC'}td.t{text-align:left}tr:hover td{background:#f8f8ff}"
    ".combined{font-size:1.1em;margin:.5em 0 1em}.views a{margin-right:1em}"
    "input#q{padding:.3em;margin:.5em 0;width:20em}.err{color:#a00}"
    "pre{background:#f6f6f6;padding:1em;overflow:auto;max-height:30em}";

static const char page_js[] =
    "(function(){var t=document.getElementById('lb');if(!t)return;"
    "var hs=t.tHead.rows[0].cells;"
    "function key(td){var v=td.getAttribute('data-v');if(v!==null&&v!=='')return parseFloat(v);"
    "return td.textContent.toLowerCase();}"
    "for(var i=0;i<hs.length;i++)(function(i){hs[i].onclick=function(){"
    "var asc=!hs[i].classList.contains('s-asc');"
    "for(var j=0;j<hs.length;j++)hs[j].classList.remove('s-asc','s-desc');"
    "hs[i].classList.add(asc?'s-asc':'s-desc');var b=t.tBodies[0];"
    "var rs=Array.prototype.slice.call(b.rows);rs.sort(function(x,y){"
    "var a=key(x.cells[i]),c=key(y.cells[i]);if(a===c)return 0;"
    "if(typeof a==='number'&&isNaN(a))return 1;if(typeof c==='number'&&isNaN(c))return -1;"
    "return (a<c?-1:1)*(asc?1:-1);});rs.forEach(function(r){b.appendChild(r);});};})(i);"
    "var q=document.getElementById('q');q.oninput=function(){var s=q.value.toLowerCase();"
    "Array.prototype.forEach.call(t.tBodies[0].rows,function(r){"
    "r.style.display=r.textContent.toLowerCase().indexOf(s)>=0?'':'none';});};})();";

static void html_head(ramp__buf *out, const char *title)
{
    ramp__buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                        "<meta name=\"viewport\" content=\"width=device-width\"><title>");
    ramp__buf_html(out, title);
    ramp__buf_printf(out, "</title><style>%s</style></head><body>\n", page_css);
}

void ramp__board_html(const ramp__board *b, ramp__buf *out)
{
    char t[256];
    snprintf(t, sizeof t, "%s — leaderboard", b->title);
    html_head(out, t);
    ramp__buf_puts(out, "<h1>");
    ramp__buf_html(out, b->title);
    ramp__buf_puts(out, "</h1>\n<div class=\"views\">");
    for (int v = 0; v < (b->see_test ? 3 : 1); v++)
        ramp__buf_printf(out, v == (int)b->view ? "<b>%s</b> " : "<a href=\"/?view=%s\">%s</a>",
                         ramp__view_name((ramp__view)v), ramp__view_name((ramp__view)v));
    char num[64];
    fmt_num(num, sizeof num, b->combined, b->n_scores ? b->precision[0] : 4);
    ramp__buf_printf(out, "</div>\n<div class=\"combined\">Combined score (%s, %s): <b id=\"combined\">%s</b>",
                     b->n_scores ? b->score_names[0] : "?", split_name(b->view), num);
    fmt_num(num, sizeof num, b->foldwise_best, b->n_scores ? b->precision[0] : 4);
    ramp__buf_printf(out, " &middot; foldwise best: %s</div>\n", num);
    ramp__buf_puts(out, "<input id=\"q\" type=\"search\" placeholder=\"search teams and submissions\">\n"
                        "<table id=\"lb\"><thead><tr>");
    cells *c = malloc(sizeof *c);
    if (!c) {
        out->oom = 1;
        return;
    }
    header_cells(b, c);
    for (int i = 0; i < c->n; i++) {
        ramp__buf_puts(out, "<th>");
        ramp__buf_html(out, c->v[i]);
        ramp__buf_puts(out, "</th>");
    }
    ramp__buf_puts(out, "</tr></thead><tbody>\n");
    for (int r = 0; r < b->n_rows; r++) {
        const ramp__board_row *w = &b->rows[r];
        row_cells(b, w, r + 1, c);
        ramp__buf_printf(out, "<tr class=\"sub\" data-id=\"%lld\">", (long long)w->id);
        for (int i = 0; i < c->n; i++) {
            double v = NAN;
            if (i == 0) v = r + 1;
            else if (i == 3) v = w->contributivity;
            else if (i == 4) v = w->historical;
            else if (i >= 5 && i < 5 + b->n_scores) v = w->scores[i - 5];
            else if (i == 5 + b->n_scores) v = w->train_time;
            else if (i == 6 + b->n_scores) v = w->test_time;
            else if (i == 7 + b->n_scores) v = w->max_ram_mb;
            else if (i == 8 + b->n_scores) v = w->submitted_at;
            if (i == 1 || i == 2)
                ramp__buf_puts(out, "<td class=\"t\">");
            else if (isfinite(v))
                ramp__buf_printf(out, "<td data-v=\"%.10g\">", v);
            else
                ramp__buf_puts(out, "<td data-v=\"NaN\">");
            if (i == 2) ramp__buf_printf(out, "<a href=\"/submission/%lld\">", (long long)w->id);
            ramp__buf_html(out, c->v[i]);
            ramp__buf_puts(out, i == 2 ? "</a></td>" : "</td>");
        }
        ramp__buf_puts(out, "</tr>\n");
    }
    free(c);
    ramp__buf_puts(out, "</tbody></table>\n<h2>Official score over time</h2>\n"
                        "<img src=\"/plot.svg\" alt=\"official score against submission time\">\n"
                        "<p><a href=\"/api/leaderboard.json\">JSON</a> &middot; "
                        "<a href=\"/my\">my submissions</a> (log in with your team token)</p>\n");
    int n_other = 0;
    for (int i = 0; i < b->n_all; i++) n_other += strcmp(b->all[i].state, "scored") != 0;
    if (n_other) {
        ramp__buf_puts(out, "<h2>Other submissions</h2><ul>");
        for (int i = 0; i < b->n_all; i++) {
            const ramp__board_row *w = &b->all[i];
            if (!strcmp(w->state, "scored")) continue;
            ramp__buf_printf(out, "<li><a href=\"/submission/%lld\">", (long long)w->id);
            ramp__buf_html(out, w->team);
            ramp__buf_puts(out, " / ");
            ramp__buf_html(out, w->name);
            ramp__buf_puts(out, "</a>: ");
            ramp__buf_html(out, w->state);
            ramp__buf_puts(out, "</li>");
        }
        ramp__buf_puts(out, "</ul>\n");
    }
    ramp__buf_printf(out, "<script>%s</script></body></html>\n", page_js);
}

/* An SVG line/point plot: x, y in data units, w × h pixels. */
static void svg_axes(ramp__buf *out, int w, int h, const char *xlab, const char *ylab, double y0,
                     double y1)
{
    ramp__buf_printf(out,
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                     "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">"
                     "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>"
                     "<line x1=\"50\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>"
                     "<line x1=\"50\" y1=\"10\" x2=\"50\" y2=\"%d\" stroke=\"#444\"/>"
                     "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>"
                     "<text x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\" "
                     "text-anchor=\"middle\">%s</text>"
                     "<text x=\"46\" y=\"14\" text-anchor=\"end\">%.4g</text>"
                     "<text x=\"46\" y=\"%d\" text-anchor=\"end\">%.4g</text>",
                     w, h, w, h, w, h, h - 30, w - 10, h - 30, h - 30, (w + 40) / 2, h - 8, xlab,
                     (h - 30) / 2, (h - 30) / 2, ylab, y1, h - 32, y0);
}

void ramp__board_svg(const ramp__board *b, ramp__buf *out)
{
    const int w = 640, h = 320;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int i = 0; i < b->n_rows; i++) {
        const ramp__board_row *r = &b->rows[i];
        if (!isfinite(r->scores[0])) continue;
        x0 = fmin(x0, r->submitted_at), x1 = fmax(x1, r->submitted_at);
        y0 = fmin(y0, r->scores[0]), y1 = fmax(y1, r->scores[0]);
    }
    if (!(x0 <= x1)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    if (x1 - x0 < 1) x1 = x0 + 1;
    if (y1 - y0 < 1e-9) y0 -= 0.5, y1 += 0.5;
    char ylab[96];
    snprintf(ylab, sizeof ylab, "%s (%s)", b->n_scores ? b->score_names[0] : "score",
             split_name(b->view));
    svg_axes(out, w, h, "submitted at (seconds since the first)", ylab, y0, y1);
    for (int i = 0; i < b->n_rows; i++) {
        const ramp__board_row *r = &b->rows[i];
        if (!isfinite(r->scores[0])) continue;
        double px = 50 + (r->submitted_at - x0) / (x1 - x0) * (w - 70);
        double py = (h - 30) - (r->scores[0] - y0) / (y1 - y0) * (h - 50);
        ramp__buf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#36c\"><title>",
                         px, py);
        ramp__buf_html(out, r->team);
        ramp__buf_puts(out, " / ");
        ramp__buf_html(out, r->name);
        ramp__buf_printf(out, ": %.4f</title></circle>", r->scores[0]);
    }
    ramp__buf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f s</text></svg>\n",
                     w - 10, h - 16, x1 - x0);
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

typedef struct sub_info {
    ramp__rows head, scores;
} sub_info;

static ramp_status sub_load(ramp__store *s, int64_t id, int see_test, sub_info *si)
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

static void sub_free(sub_info *si)
{
    ramp__rows_clear(&si->head);
    ramp__rows_clear(&si->scores);
}

ramp_status ramp__sub_json_as(ramp__store *s, int64_t id, int see_test, ramp__buf *out)
{
    sub_info si;
    ramp_status st = sub_load(s, id, see_test, &si);
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
    sub_free(&si);
    return RAMP_OK;
}

/* Learning curves: the log's "fold K epoch E[/N]: ... loss X" lines. */
static void learning_curve(const char *log, ramp__buf *out)
{
    enum { MAXP = 512 };
    double fx[MAXP], fy[MAXP];
    int ff[MAXP], n = 0;
    for (const char *p = log; p && *p && n < MAXP;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(len < 511 ? len : 511), p);
        int fold, ep;
        const char *lp = strstr(line, " loss ");
        const char *fp = strstr(line, "fold ");
        if (lp && fp && sscanf(fp, "fold %d epoch %d", &fold, &ep) == 2) {
            fx[n] = ep, fy[n] = strtod(lp + 6, NULL), ff[n] = fold;
            n++;
        }
        p = nl ? nl + 1 : p + len;
    }
    if (!n) {
        ramp__buf_puts(out, "<p>No learning curve: the classifier reported no loss.</p>\n");
        return;
    }
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int i = 0; i < n; i++) {
        x0 = fmin(x0, fx[i]), x1 = fmax(x1, fx[i]);
        if (isfinite(fy[i])) y0 = fmin(y0, fy[i]), y1 = fmax(y1, fy[i]);
    }
    if (x1 - x0 < 1) x1 = x0 + 1;
    if (!(y1 - y0 > 1e-9)) y0 = isfinite(y0) ? y0 - 0.5 : 0, y1 = y0 + 1;
    const int w = 480, h = 260;
    svg_axes(out, w, h, "epoch", "training loss", y0, y1);
    static const char *col[] = {"#36c", "#c63", "#393", "#939", "#999"};
    for (int f = 0; f < 16; f++) {
        int any = 0;
        for (int i = 0; i < n; i++) {
            if (ff[i] != f || !isfinite(fy[i])) continue;
            double px = 50 + (fx[i] - x0) / (x1 - x0) * (w - 70);
            double py = (h - 30) - (fy[i] - y0) / (y1 - y0) * (h - 50);
            if (!any) ramp__buf_printf(out, "<polyline fill=\"none\" stroke=\"%s\" points=\"", col[f % 5]);
            ramp__buf_printf(out, "%.1f,%.1f ", px, py);
            any = 1;
        }
        if (any) ramp__buf_puts(out, "\"/>");
    }
    ramp__buf_puts(out, "</svg>\n");
}

ramp_status ramp__sub_page_html_as(ramp__store *s, int64_t id, int see_test, ramp__buf *out)
{
    sub_info si;
    ramp_status st = sub_load(s, id, see_test, &si);
    if (st) return st;
    const ramp__rows *h = &si.head;
    char title[300];
    snprintf(title, sizeof title, "%s / %s", ramp__rows_text(h, 0, 0), ramp__rows_text(h, 0, 1));
    html_head(out, title);
    ramp__buf_puts(out, "<p><a href=\"/\">&larr; leaderboard</a></p><h1>");
    ramp__buf_html(out, title);
    ramp__buf_puts(out, "</h1>\n<p>State: <b id=\"state\">");
    const char *state = ramp__rows_text(h, 0, 2);
    ramp__buf_html(out, state);
    char at[64];
    fmt_time(at, sizeof at, ramp__rows_real(h, 0, 3));
    ramp__buf_printf(out, "</b> &middot; submitted at %s UTC &middot; trained %lld time(s)</p>\n",
                     at, (long long)ramp__rows_int(h, 0, 10));
    /* per-fold table: rows (fold, step), columns score names */
    if (si.scores.n_rows) {
        ramp__buf_puts(out, "<h2>Scores per fold</h2><table><thead><tr><th>fold</th><th>step</th>");
        const char *names[32];
        int nn = 0;
        for (int i = 0; i < si.scores.n_rows && nn < 32; i++) {
            const char *nm = ramp__rows_text(&si.scores, i, 2);
            int seen = 0;
            for (int j = 0; j < nn; j++) seen |= !strcmp(names[j], nm);
            if (!seen) names[nn++] = nm;
        }
        for (int j = 0; j < nn; j++) {
            ramp__buf_puts(out, "<th>");
            ramp__buf_html(out, names[j]);
            ramp__buf_puts(out, "</th>");
        }
        ramp__buf_puts(out, "</tr></thead><tbody>\n");
        for (int i = 0; i < si.scores.n_rows;) {
            int64_t fold = ramp__rows_int(&si.scores, i, 0);
            const char *step = ramp__rows_text(&si.scores, i, 1);
            int j = i;
            ramp__buf_puts(out, "<tr><td>");
            if (fold < 0)
                ramp__buf_puts(out, "bagged");
            else
                ramp__buf_printf(out, "%lld", (long long)fold);
            ramp__buf_puts(out, "</td><td>");
            ramp__buf_html(out, step);
            ramp__buf_puts(out, "</td>");
            while (j < si.scores.n_rows && ramp__rows_int(&si.scores, j, 0) == fold &&
                   !strcmp(ramp__rows_text(&si.scores, j, 1), step))
                j++;
            for (int k = 0; k < nn; k++) {
                double v = NAN;
                for (int q = i; q < j; q++)
                    if (!strcmp(ramp__rows_text(&si.scores, q, 2), names[k]))
                        v = ramp__rows_real(&si.scores, q, 3);
                char num[64];
                fmt_num(num, sizeof num, v, 4);
                ramp__buf_printf(out, "<td>%s</td>", num);
            }
            ramp__buf_puts(out, "</tr>\n");
            i = j;
        }
        ramp__buf_puts(out, "</tbody></table>\n");
    }
    const char *log = ramp__rows_text(h, 0, 4);
    ramp__buf_puts(out, "<h2>Learning curve</h2>\n");
    learning_curve(log, out);
    int is_err = state && (strstr(state, "error") || !strcmp(state, "timeout") ||
                           !strcmp(state, "worker_killed"));
    ramp__buf_printf(out, "<h2%s>%s</h2><pre>", is_err ? " class=\"err\"" : "",
                     is_err ? "Error log" : "Training log");
    ramp__buf pub = {0};
    ramp__log_public(&pub, log, see_test);
    if (pub.oom) out->oom = 1;
    ramp__buf_html(out, log ? pub.p : "(none yet)");
    ramp__buf_free(&pub);
    ramp__buf_printf(out, "</pre><p><a href=\"/api/submissions/%lld.json\">JSON</a></p></body></html>\n",
                     (long long)id);
    sub_free(&si);
    return RAMP_OK;
}

/* ---- a team's own page ------------------------------------------------------------------ */

static int error_state(const char *state)
{
    return state && (strstr(state, "error") || !strcmp(state, "timeout") ||
                     !strcmp(state, "worker_killed"));
}

ramp_status ramp__team_page_html(ramp__store *s, int64_t team_id, const char *team,
                                 const char *csrf, int see_test, const char *notice,
                                 ramp__buf *out)
{
    ramp__event ev;
    ramp__rows subs = {0}, sc = {0};
    ramp_status st = ramp__store_event_get(s, &ev);
    if (st) return st;
    st = ramp__store_query(s,
                           "SELECT id, name, state, submitted_at, log, n_claims FROM submission"
                           " WHERE team_id = ? ORDER BY id DESC",
                           (const ramp__val[]){RAMP__INT(team_id)}, 1, &subs);
    if (!st)
        st = ramp__store_query(s,
                               "SELECT c.submission_id, c.name, c.value FROM score c JOIN"
                               " submission u ON u.id = c.submission_id WHERE u.team_id = ? AND"
                               " c.fold = ? AND c.step = ?",
                               (const ramp__val[]){RAMP__INT(team_id), RAMP__INT(-1),
                                                   RAMP__TEXT("valid")},
                               3, &sc);
    if (st) goto done;
    char title[200];
    snprintf(title, sizeof title, "%.80s — my submissions", team);
    html_head(out, title);
    ramp__buf_puts(out, "<p><a href=\"/\">&larr; leaderboard</a></p><h1>");
    ramp__buf_html(out, title);
    ramp__buf_puts(out, "</h1>\n<form method=\"post\" action=\"/logout\">"
                        "<input type=\"hidden\" name=\"csrf\" value=\"");
    ramp__buf_html(out, csrf);
    ramp__buf_puts(out, "\"><button id=\"logout\">log out</button></form>\n");
    if (notice && *notice) {
        ramp__buf_puts(out, "<p id=\"notice\"><b>");
        ramp__buf_html(out, notice);
        ramp__buf_puts(out, "</b></p>\n");
    }
    ramp__buf_puts(out, "<h2>Submit</h2>\n<form id=\"up\" method=\"post\" action=\"/my/submit\""
                        " enctype=\"multipart/form-data\"><input type=\"hidden\" name=\"csrf\""
                        " value=\"");
    ramp__buf_html(out, csrf);
    ramp__buf_puts(out, "\"><p><label>name <input id=\"name\" name=\"name\" required maxlength=\"64\""
                        " pattern=\"[A-Za-z0-9_\\-][A-Za-z0-9_.\\-]*\"></label></p>"
                        "<p><label>image preprocessor <input id=\"pp\" type=\"file\""
                        " name=\"preprocessor\" required></label></p>"
                        "<p><label>batch classifier <input id=\"clf\" type=\"file\""
                        " name=\"classifier\" required></label></p>"
                        "<p><button id=\"send\">submit</button></p></form>\n");
    int ns = ramp_problem_n_scores(ev.problem);
    ramp__buf_puts(out, "<h2>My submissions</h2>\n<table id=\"mine\"><thead><tr><th>id</th>"
                        "<th>submission</th><th>state</th><th>submitted at (UTC)</th>");
    for (int k = 0; k < ns; k++) {
        ramp__buf_puts(out, "<th>");
        ramp__buf_html(out, ramp_problem_score_name(ev.problem, k));
        ramp__buf_puts(out, " (valid)</th>");
    }
    ramp__buf_puts(out, "</tr></thead><tbody>\n");
    for (int i = 0; i < subs.n_rows; i++) {
        int64_t id = ramp__rows_int(&subs, i, 0);
        const char *state = ramp__rows_text(&subs, i, 2);
        char at[64];
        fmt_time(at, sizeof at, ramp__rows_real(&subs, i, 3));
        ramp__buf_printf(out, "<tr class=\"mine\" data-id=\"%lld\"><td>%lld</td><td class=\"t\">"
                              "<a href=\"/submission/%lld\">",
                         (long long)id, (long long)id, (long long)id);
        ramp__buf_html(out, ramp__rows_text(&subs, i, 1));
        ramp__buf_printf(out, "</a></td><td class=\"t%s\">", error_state(state) ? " err" : "");
        ramp__buf_html(out, state);
        ramp__buf_printf(out, "</td><td>%s</td>", at);
        for (int k = 0; k < ns; k++) {
            double v = NAN;
            const char *nm = ramp_problem_score_name(ev.problem, k);
            for (int j = 0; j < sc.n_rows; j++)
                if (ramp__rows_int(&sc, j, 0) == id && ramp__rows_text(&sc, j, 1) &&
                    !strcmp(ramp__rows_text(&sc, j, 1), nm))
                    v = ramp__rows_real(&sc, j, 2);
            char num[64];
            fmt_num(num, sizeof num, v, ramp_problem_score_precision(ev.problem, k));
            ramp__buf_printf(out, "<td>%s</td>", num);
        }
        ramp__buf_puts(out, "</tr>\n");
        const char *log = ramp__rows_text(&subs, i, 4);
        if (error_state(state) && log) {
            ramp__buf pub = {0};
            ramp__log_public(&pub, log, see_test);
            if (pub.oom) out->oom = 1;
            ramp__buf_printf(out, "<tr><td></td><td colspan=\"%d\" class=\"t\"><details><summary>"
                                  "error log</summary><pre>",
                             3 + ns);
            ramp__buf_html(out, pub.p ? pub.p : "");
            ramp__buf_puts(out, "</pre></details></td></tr>\n");
            ramp__buf_free(&pub);
        }
    }
    ramp__buf_puts(out, "</tbody></table></body></html>\n");
done:
    ramp__rows_clear(&subs);
    ramp__rows_clear(&sc);
    ramp__event_clear(&ev);
    return st;
}

void ramp__login_page_html(const char *csrf, const char *notice, ramp__buf *out)
{
    html_head(out, "log in");
    ramp__buf_puts(out, "<p><a href=\"/\">&larr; leaderboard</a></p><h1>Log in</h1>\n");
    if (notice && *notice) {
        ramp__buf_puts(out, "<p id=\"notice\" class=\"err\">");
        ramp__buf_html(out, notice);
        ramp__buf_puts(out, "</p>\n");
    }
    ramp__buf_puts(out, "<form id=\"login\" method=\"post\" action=\"/login\">"
                        "<input type=\"hidden\" name=\"csrf\" value=\"");
    ramp__buf_html(out, csrf);
    ramp__buf_puts(out, "\"><p><label>team token <input id=\"token\" name=\"token\""
                        " type=\"password\" required maxlength=\"128\" autocomplete=\"off\">"
                        "</label></p><p><button id=\"go\">log in</button></p></form>"
                        "</body></html>\n");
}
