/* httpInt.h — `ramp serve`'s web server (libmicrohttpd): the leaderboard
 * page, one page per submission, an SVG plot, a JSON API and submission
 * upload with per-team tokens. Routes and formats: docs/platform.md.
 *
 * The server runs on libmicrohttpd's thread pool; its state hangs off the
 * handle, passed to every handler as the cls pointer (no globals). One store
 * connection is shared under a mutex; rendered leaderboards are cached for
 * cache_s seconds (and dropped on every accepted upload), so a busy JSON
 * endpoint costs a copy, not a query.
 */
#ifndef RAMP_HTTP_INT_H
#define RAMP_HTTP_INT_H

#include <stddef.h>

#include "ramp/status.h"

typedef struct ramp__http ramp__http;

typedef struct ramp__http_opts {
    const char *db;          /* the store: SQLite path or postgresql:// URI */
    const char *host;        /* IPv4 address to listen on (default 127.0.0.1) */
    int port;                /* 0: any free port (see ramp__http_port) */
    const char *include_dir; /* ramp's headers, to check that uploads compile */
    size_t max_upload;       /* bytes of a POST body; more → 413 (0: 5 MiB) */
    int threads;             /* pool size (0: 4) */
    double cache_s;          /* leaderboard cache lifetime (0: 1 s; < 0: none) */
} ramp__http_opts;

/* Opens the store and starts serving. On failure *out is NULL and err
   says why (the store, or the address). The caller stops it. */
ramp_status ramp__http_start(ramp__http **out, const ramp__http_opts *o, ramp_err *err);
int ramp__http_port(const ramp__http *h);
/* Stops serving, waits for the threads, closes the store; NULL is a no-op. */
void ramp__http_stop(ramp__http *h);

#endif
