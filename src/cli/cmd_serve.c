/* cmd_serve.c — `ramp serve`: runs the web server (http/server.c) until
 * SIGINT or SIGTERM, which it waits for with sigwait (no handler, no
 * global flag). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cliInt.h"
#include "http/httpInt.h"
#include "submission/submissionInt.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: ramp serve --db DB [--listen HOST:PORT] [--max-upload BYTES]\n"
               "                  [--threads N] [--cache S] [--compile-slots N]\n"
               "                  [--compile-wait S]\n\n"
               "Serves the leaderboard page, a page per submission, /plot.svg, the JSON\n"
               "API (/api/leaderboard.json, /api/submissions/ID.json) and uploads\n"
               "(POST /api/submit?name=N, multipart/form-data, Authorization: Bearer TOKEN),\n"
               "participants' pages (/login, /my) and the labelling page (/label, when\n"
               "'ramp label on').\n"
               "PORT 0 picks a free port; the address is printed on stdout.\n\n"
               "  --listen HOST:PORT   IPv4 address and port (default 127.0.0.1:8080)\n"
               "  --max-upload BYTES   largest upload body (default 5 MiB); more → 413\n"
               "  --threads N          server threads (default 4)\n"
               "  --cache S            leaderboard cache lifetime in seconds (default 1; 0: none)\n"
               "  --compile-slots N    uploads compiled at once, off the server threads (default 2)\n"
               "  --compile-wait S     longest wait of an upload for a compile slot (default 10;\n"
               "                       0: none); then 503 with Retry-After\n\n"
               "Test scores and the private and competition views are served only to\n"
               "requests with the organiser's token ('ramp event --admin-token') until\n"
               "'ramp event --reveal'.\n");
}

int ramp__cmd_serve(int argc, char **argv)
{
    ramp__http_opts o = {0};
    const char *listen = "127.0.0.1:8080";
    int64_t max_upload = 0;
    double cache = 1, compile_wait = 10;
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--db", &o.db),
        RAMP__OPT_STR("--listen", &listen),
        RAMP__OPT_INT("--max-upload", &max_upload, 1, 0),
        RAMP__OPT_INT("--threads", &o.threads, 1, 256),
        RAMP__OPT_NUMBER("--cache", &cache, 0),
        RAMP__OPT_INT("--compile-slots", &o.compile_slots, 1, 64),
        RAMP__OPT_NUMBER("--compile-wait", &compile_wait, 0),
        RAMP__OPT_END,
    };
    int prc = ramp__cli_parse(&(ramp__cli_spec){ .cmd = "serve", .usage = usage, .opts = opts },
                              argc, argv);
    if (prc) return prc == 1 ? 0 : prc;
    o.max_upload = (size_t)max_upload;
    o.cache_s = cache > 0 ? cache : -1;                  /* --cache 0: none */
    o.compile_wait_s = compile_wait > 0 ? compile_wait : -1; /* --compile-wait 0: none */
    if (!o.db) {
        ramp__cli_error("serve: --db is required");
        return 2;
    }
    char host[64];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host) {
        ramp__cli_error("serve: --listen wants HOST:PORT, not '%s'", listen);
        return 2;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535) {
        ramp__cli_error("serve: bad port in '%s'", listen);
        return 2;
    }
    o.host = host;
    o.port = (int)port;
    ramp__cli_tools tools;
    ramp__cli_tools_find(&tools);
    ramp__cli_tools_build(&tools, &o.build);
    const char *tmp = getenv("TMPDIR");
    o.tmp_dir = tmp && tmp[0] == '/' ? tmp : "/tmp";
    /* block the stop signals in every thread, then wait for one here */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    ramp__http *h;
    ramp_err err;
    if (ramp__http_start(&h, &o, &err)) {
        ramp__cli_error("serve: %s", err.msg);
        return 1;
    }
    printf("serving http://%s:%d/\n", host, ramp__http_port(h));
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    ramp__http_stop(h);
    return 0;
}
