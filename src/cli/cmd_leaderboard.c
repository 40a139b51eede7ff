/* cmd_leaderboard.c — `ramp leaderboard`: the store's leaderboard as a
 * text table, CSV, JSON or an HTML page, in the public, private or
 * competition view (store/board.c builds and renders it). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "cli/cliInt.h"
#include "store/storeInt.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: ramp leaderboard --db DB [--format table|csv|json|html]\n"
               "                        [--view public|private|competition]\n\n"
               "Prints the scored submissions ranked by the official score, with the\n"
               "combined (blended) score above: public ranks on validation scores,\n"
               "private on test scores, competition keeps each team's best by its public\n"
               "score (ties: the earliest) and shows its test scores. Whoever can open the\n"
               "store is the organiser: every view is shown, revealed or not ('ramp serve'\n"
               "keeps test scores from others until 'ramp event --reveal').\n");
}

int ramp__cmd_leaderboard(int argc, char **argv)
{
    const char *db = NULL, *format = "table";
    ramp__view view = RAMP__VIEW_PUBLIC;
    const char *view_name = "public";
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--db", &db),
        RAMP__OPT_STR("--format", &format),
        RAMP__OPT_STR("--view", &view_name),
        RAMP__OPT_END,
    };
    int prc = ramp__cli_parse(&(ramp__cli_spec){ .cmd = "leaderboard", .usage = usage,
                                                 .opts = opts },
                              argc, argv);
    if (prc) return prc == 1 ? 0 : prc;
    if (ramp__view_parse(view_name, &view)) {
        ramp__cli_error("leaderboard: --view is public, private or competition, not '%s'",
                        view_name);
        return 2;
    }
    if (!db) {
        ramp__cli_error("leaderboard: --db is required");
        return 2;
    }
    if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json") &&
        strcmp(format, "html")) {
        ramp__cli_error("leaderboard: --format is table, csv, json or html, not '%s'", format);
        return 2;
    }
    ramp__store *s;
    ramp_err err;
    if (ramp__store_open(&s, db, &err)) {
        ramp__cli_error("%s", err.msg);
        return 1;
    }
    ramp__board b;
    if (ramp__board_build(s, view, &b)) {
        ramp__cli_error("leaderboard: %s", ramp__store_errmsg(s));
        ramp__store_close(s);
        return 1;
    }
    ramp__buf out = {0};
    if (!strcmp(format, "csv"))
        ramp__board_csv(&b, &out);
    else if (!strcmp(format, "json"))
        ramp__board_json(&b, &out);
    else if (!strcmp(format, "html"))
        ramp__board_html(&b, &out);
    else
        ramp__board_table(&b, &out);
    int rc = 0;
    if (out.oom) {
        ramp__cli_error("leaderboard: out of memory");
        rc = 1;
    } else if (out.len) {
        fwrite(out.p, 1, out.len, stdout);
    }
    ramp__buf_free(&out);
    ramp__board_clear(&b);
    ramp__store_close(s);
    return rc;
}
