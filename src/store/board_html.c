/* board_html.c — the platform's web pages: the leaderboard (sortable,
 * searchable, no external assets), one submission's page, a team's own page
 * and the login page. Every text from the store is HTML-escaped; the cells
 * are the ones the text table shows (board.c). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/coreInt.h"
#include "store/storeInt.h"

static const char page_css[] =
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
    "h1{font-size:1.4em}table{border-collapse:collapse;font-size:.9em}"
    "th,td{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:right}"
    "figure.pv{display:inline-block;margin:.5em;vertical-align:top}"
    "figure.pv figcaption{font-size:.8em;text-align:center}"
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
    ramp__fmt_num(num, sizeof num, b->combined, b->n_scores ? b->precision[0] : 4);
    ramp__buf_printf(out, "</div>\n<div class=\"combined\">Combined score (%s, %s): <b id=\"combined\">%s</b>",
                     b->n_scores ? b->score_names[0] : "?", ramp__view_split(b->view), num);
    ramp__fmt_num(num, sizeof num, b->foldwise_best, b->n_scores ? b->precision[0] : 4);
    ramp__buf_printf(out, " &middot; foldwise best: %s</div>\n", num);
    ramp__buf_puts(out, "<input id=\"q\" type=\"search\" placeholder=\"search teams and submissions\">\n"
                        "<table id=\"lb\"><thead><tr>");
    ramp__board_cells *c = malloc(sizeof *c);
    if (!c) {
        out->oom = 1;
        return;
    }
    ramp__board_header_cells(b, c);
    for (int i = 0; i < c->n; i++) {
        ramp__buf_puts(out, "<th>");
        ramp__buf_html(out, c->v[i]);
        ramp__buf_puts(out, "</th>");
    }
    ramp__buf_puts(out, "</tr></thead><tbody>\n");
    for (int r = 0; r < b->n_rows; r++) {
        const ramp__board_row *w = &b->rows[r];
        ramp__board_row_cells(b, w, r + 1, c);
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
    for (int i = 0; i < b->n_all; i++) n_other += strcmp(b->all[i].state, ramp__state_name(RAMP__ST_SCORED)) != 0;
    if (n_other) {
        ramp__buf_puts(out, "<h2>Other submissions</h2><ul>");
        for (int i = 0; i < b->n_all; i++) {
            const ramp__board_row *w = &b->all[i];
            if (!strcmp(w->state, ramp__state_name(RAMP__ST_SCORED))) continue;
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

ramp_status ramp__sub_page_html_as(ramp__store *s, int64_t id, int see_test, ramp__buf *out)
{
    return ramp__sub_page_html_ex(s, id, see_test, 0, out);
}

ramp_status ramp__sub_page_html_ex(ramp__store *s, int64_t id, int see_test, int preview,
                                   ramp__buf *out)
{
    ramp__board_sub si;
    ramp_status st = ramp__board_sub_load(s, id, see_test, &si);
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
    ramp__fmt_time(at, sizeof at, ramp__rows_real(h, 0, 3));
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
                ramp__fmt_num(num, sizeof num, v, 4);
                ramp__buf_printf(out, "<td>%s</td>", num);
            }
            ramp__buf_puts(out, "</tr>\n");
            i = j;
        }
        ramp__buf_puts(out, "</tbody></table>\n");
    }
    const char *log = ramp__rows_text(h, 0, 4);
    ramp__buf_puts(out, "<h2>Learning curve</h2>\n");
    ramp__learning_curve_svg(log, out);
    int is_err = ramp__state_failed(state);
    ramp__buf_printf(out, "<h2%s>%s</h2><pre>", is_err ? " class=\"err\"" : "",
                     is_err ? "Error log" : "Training log");
    ramp__buf pub = {0};
    ramp__log_public(&pub, log, see_test);
    if (pub.oom) out->oom = 1;
    ramp__buf_html(out, log ? pub.p : "(none yet)");
    ramp__buf_free(&pub);
    ramp__buf_puts(out, "</pre>\n");
    if (preview && (st = ramp__preview_html(s, id, out))) {
        ramp__board_sub_free(&si);
        return st;
    }
    ramp__buf_printf(out, "<p><a href=\"/api/submissions/%lld.json\">JSON</a></p></body></html>\n",
                     (long long)id);
    ramp__board_sub_free(&si);
    return RAMP_OK;
}

/* ---- a team's own page ------------------------------------------------------------------ */

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
    ramp__label_set ls; /* the labelling page, when the organiser has it on */
    if (!ramp__label_set_get(s, &ls)) {
        if (ls.enabled)
            ramp__buf_printf(out,
                             "<p id=\"labelling\"><a href=\"/label\">Label images</a>: %d of %d "
                             "labelled</p>\n",
                             ls.n_labelled, ls.n_images);
        ramp__label_set_clear(&ls);
    }
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
        ramp__fmt_time(at, sizeof at, ramp__rows_real(&subs, i, 3));
        ramp__buf_printf(out, "<tr class=\"mine\" data-id=\"%lld\"><td>%lld</td><td class=\"t\">"
                              "<a href=\"/submission/%lld\">",
                         (long long)id, (long long)id, (long long)id);
        ramp__buf_html(out, ramp__rows_text(&subs, i, 1));
        ramp__buf_printf(out, "</a></td><td class=\"t%s\">", ramp__state_failed(state) ? " err" : "");
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
            ramp__fmt_num(num, sizeof num, v, ramp_problem_score_precision(ev.problem, k));
            ramp__buf_printf(out, "<td>%s</td>", num);
        }
        ramp__buf_puts(out, "</tr>\n");
        const char *log = ramp__rows_text(&subs, i, 4);
        if (ramp__state_failed(state) && log) {
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
