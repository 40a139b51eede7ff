/* cmd_without.c — the platform's commands in a ramp configured with
 * -DRAMP_WITH_PLATFORM=OFF (CMakeLists.txt compiles this file in place of
 * cmd_submit.c, cmd_worker.c, cmd_leaderboard.c, cmd_serve.c and cmd_label.c): each says
 * that this ramp was built without them, and exits 1. */
#include "cli/cliInt.h"

static int without(const char *cmd)
{
    ramp__cli_error("%s: this ramp was built without the platform (store, worker, leaderboard, "
                    "web server): rebuild with -DRAMP_WITH_PLATFORM=ON (libsqlite3-dev libpq-dev "
                    "libmicrohttpd-dev nettle-dev)",
                    cmd);
    return 1;
}

int ramp__cmd_event(int argc, char **argv)
{
    (void)argc, (void)argv;
    return without("event");
}

int ramp__cmd_team(int argc, char **argv)
{
    (void)argc, (void)argv;
    return without("team");
}

int ramp__cmd_submit(int argc, char **argv)
{
    (void)argc, (void)argv;
    return without("submit");
}

int ramp__cmd_worker(int argc, char **argv)
{
    (void)argc, (void)argv;
    return without("worker");
}

int ramp__cmd_leaderboard(int argc, char **argv)
{
    (void)argc, (void)argv;
    return without("leaderboard");
}

int ramp__cmd_serve(int argc, char **argv)
{
    (void)argc, (void)argv;
    return without("serve");
}

int ramp__cmd_label(int argc, char **argv)
{
    (void)argc, (void)argv;
    return without("label");
}
