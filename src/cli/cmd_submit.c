/* cmd_submit.c — the platform's commands that fill the store: `ramp event`
 * (register the kit; the organiser's token; reveal the test scores),
 * `ramp team add` (a team and its upload token) and
 * `ramp submit` (a submission's files, checked to compile, stored for the
 * workers). docs/platform.md describes the store and the commands.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cliInt.h"
#include "core/coreInt.h"
#include "store/storeInt.h"
#include "submission/submissionInt.h"

/* --db DB, else KIT/ramp.db when a kit is given. */
static const char *db_default(const char *db, const char *kit, char *buf, size_t len)
{
    if (db) return db;
    if (!kit) return NULL;
    snprintf(buf, len, "%s/ramp.db", kit);
    return buf;
}

static void usage_event(FILE *f)
{
    fprintf(f, "usage: ramp event [--db DB] --kit KIT [--data DIR] [--min-gap S]\n"
               "       ramp event --db DB [--admin-token] [--reveal | --unreveal]\n\n"
               "Registers (or updates) the store's event: the kit's problem.ini is stored,\n"
               "with the path of its data, which every worker must see at that path (or be\n"
               "given with 'ramp worker --data').\n\n"
               "  --db DB         SQLite file or postgresql:// URI (default: KIT/ramp.db)\n"
               "  --kit KIT       the kit (its problem.ini)\n"
               "  --data DIR      train.csv, test.csv and imgs/ (default: KIT/data)\n"
               "  --min-gap S     seconds a team must wait between two submissions\n"
               "  --admin-token   print a fresh organiser token (alone on stdout; the store\n"
               "                  keeps its SHA-256; it replaces the previous one). 'ramp serve'\n"
               "                  shows test scores and the private and competition views to\n"
               "                  requests with 'Authorization: Bearer TOKEN'\n"
               "  --reveal        make the test scores and those views public\n"
               "  --unreveal      make them the organiser's again\n");
}

int ramp__cmd_event(int argc, char **argv)
{
    const char *db = NULL, *kit = NULL, *data = NULL;
    double gap = -1;
    int admin = 0, reveal = 0, unreveal = 0;
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--db", &db),
        RAMP__OPT_STR("--kit", &kit),
        RAMP__OPT_STR("--data", &data),
        RAMP__OPT_NUMBER("--min-gap", &gap, 0),
        RAMP__OPT_FLAG("--admin-token", &admin),
        RAMP__OPT_FLAG("--reveal", &reveal),
        RAMP__OPT_FLAG("--unreveal", &unreveal),
        RAMP__OPT_END,
    };
    int prc = ramp__cli_parse(&(ramp__cli_spec){ .cmd = "event", .usage = usage_event,
                                                 .opts = opts },
                              argc, argv);
    if (prc) return prc == 1 ? 0 : prc;
    char dbbuf[4200];
    db = db_default(db, kit, dbbuf, sizeof dbbuf);
    int organiser = admin || reveal || unreveal;
    if (reveal && unreveal) {
        ramp__cli_error("event: --reveal or --unreveal, not both");
        return 2;
    }
    if (!db || (!kit && !organiser)) {
        ramp__cli_error("event: --kit is required (or --db with --admin-token, --reveal or "
                        "--unreveal)");
        return 2;
    }
    ramp__store *s;
    ramp_err err;
    if (ramp__store_open(&s, db, &err)) {
        ramp__cli_error("%s", err.msg);
        return 1;
    }
    int rc = 0;
    /* with --admin-token the token is alone on stdout; the rest goes to stderr */
    FILE *say = admin ? stderr : stdout;
    if (kit) {
        if (ramp__store_event_set(s, kit, data, gap)) {
            ramp__cli_error("event: %s", ramp__store_errmsg(s));
            rc = 1;
            goto done;
        }
        ramp__event ev;
        if (!ramp__store_event_get(s, &ev)) {
            fprintf(say, "event '%s': kit %s, data %s\n", ev.title, ev.kit_dir, ev.data_dir);
            ramp__event_clear(&ev);
        }
    }
    if (reveal || unreveal) {
        if (ramp__store_reveal(s, reveal)) {
            ramp__cli_error("event: %s", ramp__store_errmsg(s));
            rc = 1;
            goto done;
        }
        fprintf(say, reveal ? "the test scores and the private and competition views are now "
                              "public\n"
                            : "the test scores and the private and competition views are the "
                              "organiser's again\n");
    }
    if (admin) {
        char token[65];
        if (ramp__store_admin_token(s, token)) {
            ramp__cli_error("event: %s", ramp__store_errmsg(s));
            rc = 1;
            goto done;
        }
        printf("%s\n", token);
    }
done:
    ramp__store_close(s);
    return rc;
}

static void usage_team(FILE *f)
{
    fprintf(f, "usage: ramp team add --db DB NAME\n\n"
               "Adds a team and prints its upload token once (the store keeps only its\n"
               "SHA-256). The token goes in 'Authorization: Bearer TOKEN' for\n"
               "POST /api/submit on 'ramp serve'.\n");
}

int ramp__cmd_team(int argc, char **argv)
{
    const char *db = NULL, *pos[2] = { NULL, NULL };
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--db", &db),
        RAMP__OPT_END,
    };
    int prc = ramp__cli_parse(&(ramp__cli_spec){ .cmd = "team", .usage = usage_team,
                                                 .opts = opts, .pos = pos, .max_pos = 2 },
                              argc, argv);
    if (prc) return prc == 1 ? 0 : prc;
    const char *name = pos[1];
    if (!pos[0] || strcmp(pos[0], "add") || !name || !db) {
        ramp__cli_error("team: usage: ramp team add --db DB NAME");
        return 2;
    }
    ramp__store *s;
    ramp_err err;
    if (ramp__store_open(&s, db, &err)) {
        ramp__cli_error("%s", err.msg);
        return 1;
    }
    char token[65];
    int rc = 0;
    if (ramp__store_team_add(s, name, token)) {
        ramp__cli_error("team: %s", ramp__store_errmsg(s));
        rc = 1;
    } else {
        printf("%s\n", token);
    }
    ramp__store_close(s);
    return rc;
}

static void usage_submit(FILE *f)
{
    fprintf(f, "usage: ramp submit [--db DB] --team T --name N [--kit KIT [--data DIR]] DIR\n\n"
               "Stores the submission in folder DIR (its image preprocessor and batch\n"
               "classifier, and any other small top-level file such as build.flags) for\n"
               "the workers to train, after checking that both files exist and compile.\n"
               "A name the team already has is refused unless that submission failed.\n\n"
               "  --db DB      SQLite file or postgresql:// URI (default: KIT/ramp.db)\n"
               "  --team T     the team (created if new, without a token)\n"
               "  --name N     the submission's name, unique per team\n"
               "  --kit KIT    register KIT as the event first (as 'ramp event')\n"
               "  --data DIR   with --kit: the kit's data folder\n");
}

int ramp__cmd_submit(int argc, char **argv)
{
    const char *db = NULL, *team = NULL, *name = NULL, *dir = NULL, *kit = NULL, *data = NULL;
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--db", &db),
        RAMP__OPT_STR("--team", &team),
        RAMP__OPT_STR("--name", &name),
        RAMP__OPT_STR("--kit", &kit),
        RAMP__OPT_STR("--data", &data),
        RAMP__OPT_END,
    };
    int prc = ramp__cli_parse(&(ramp__cli_spec){ .cmd = "submit", .usage = usage_submit,
                                                 .opts = opts, .pos = &dir, .max_pos = 1 },
                              argc, argv);
    if (prc) return prc == 1 ? 0 : prc;
    char dbbuf[4200];
    db = db_default(db, kit, dbbuf, sizeof dbbuf);
    if (!db || !team || !name || !dir) {
        ramp__cli_error("submit: --db (or --kit), --team, --name and a folder are required");
        return 2;
    }
    if (!ramp__name_ok(name) || !ramp__name_ok(team)) {
        ramp__cli_error("submit: team and submission names use 1 to 64 of A-Z a-z 0-9 _ . - "
                        "(not starting with .)");
        return 2;
    }
    ramp__store *s = NULL;
    ramp__file *files = NULL;
    size_t n_files = 0;
    int rc = 1;
    int64_t team_id, id;
    ramp_err err = {RAMP_OK, ""};
    if (ramp__store_open(&s, db, &err)) {
        ramp__cli_error("%s", err.msg);
        goto done;
    }
    if (kit && ramp__store_event_set(s, kit, data, -1)) {
        ramp__cli_error("submit: %s", ramp__store_errmsg(s));
        goto done;
    }
    /* compile first: a submission that does not build is refused here; the
       model file is the one the event's workflow asks for */
    ramp__cli_tools tools;
    ramp__cli_tools_find(&tools);
    ramp__build_opts bo = {0};
    ramp__cli_tools_build(&tools, &bo);
    ramp__event ev;
    if (!ramp__store_event_get(s, &ev)) {
        int wf = ramp_problem_workflow(ev.problem);
        bo.model = wf == RAMP_WORKFLOW_DETECTION      ? RAMP__MODEL_DETECTOR
                   : wf == RAMP_WORKFLOW_SEGMENTATION ? RAMP__MODEL_SEGMENTER
                                                      : RAMP__MODEL_CLASSIFIER;
        ramp__event_clear(&ev);
    }
    ramp__sub_paths paths;
    char *log = NULL;
    if (ramp__sub_build_with(dir, &bo, &paths, &log, &err)) {
        ramp__cli_error("submit: %s", err.msg);
        if (log && *log) fprintf(stderr, "%s", log);
        free(log);
        goto done;
    }
    free(log);
    if (ramp__files_read_dir(dir, &files, &n_files, &err)) {
        ramp__cli_error("submit: %s", err.msg);
        goto done;
    }
    if (ramp__store_team_id(s, team, 1, &team_id) ||
        ramp__store_submit(s, team_id, name, files, n_files, &id)) {
        ramp__cli_error("submit: %s/%s: %s", team, name, ramp__store_errmsg(s));
        goto done;
    }
    printf("submission %lld: %s/%s, %zu file(s), waiting for a worker\n", (long long)id, team,
           name, n_files);
    rc = 0;
done:
    ramp__store_close(s);
    ramp__files_free(files, n_files);
    return rc;
}
