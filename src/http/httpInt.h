/* httpInt.h — `ramp serve`'s web server (libmicrohttpd): the leaderboard
 * page, one page per submission, an SVG plot, a JSON API, submission upload
 * with per-team tokens, and participants' pages (log in with the team
 * token, upload through a form, "my submissions"). Test scores are shown
 * only with the organiser's token or after the reveal. Routes and formats:
 * docs/platform.md.
 *
 * The server runs on libmicrohttpd's thread pool; its state hangs off the
 * handle, passed to every handler as the cls pointer (no globals). One store
 * connection is shared under a mutex; rendered leaderboards are cached for
 * cache_s seconds (and dropped on every accepted upload), so a busy JSON
 * endpoint costs a copy, not a query.
 *
 * Uploads compile off the pool: a queue with a fixed number of slots
 * (jobq.c) runs each compile on a thread of its own while the connection is
 * suspended, so that slow compiles never hold the threads that answer the
 * pages; an upload that gets no slot within compile_wait_s is answered 503
 * with Retry-After.
 *
 * The labelling page (label_page.c, routes in server.c): logged-in teams
 * draw shapes on the organiser's pool of images (store_label.c) while the
 * organiser has it on.
 */
#ifndef RAMP_HTTP_INT_H
#define RAMP_HTTP_INT_H

#include <stddef.h>

#include "core/coreInt.h" /* ramp__buf */
#include "ramp/status.h"
#include "submission/submissionInt.h"

typedef struct ramp__http ramp__http;

typedef struct ramp__http_opts {
    const char *db;         /* the store: SQLite path or postgresql:// URI */
    const char *host;       /* IPv4 address to listen on (default 127.0.0.1) */
    int port;               /* 0: any free port (see ramp__http_port) */
    ramp__build_opts build; /* how uploads are checked to compile: ramp's headers, the
                               compilers (its strings borrowed until ramp__http_stop) */
    const char *tmp_dir;    /* where uploads are compiled (default /tmp) */
    size_t max_upload;      /* bytes of a POST body; more → 413 (0: 5 MiB) */
    int threads;            /* pool size (0: 4) */
    double cache_s;         /* leaderboard cache lifetime (0: 1 s; < 0: none) */
    int compile_slots;      /* uploads compiling at once (0: 2) */
    double compile_wait_s;  /* longest wait for a slot before 503 (0: 10 s; < 0: none) */
} ramp__http_opts;

/* Opens the store and starts serving. On failure *out is NULL and err
   says why (the store, or the address). The caller stops it. */
ramp_status ramp__http_start(ramp__http **out, const ramp__http_opts *o, ramp_err *err);
int ramp__http_port(const ramp__http *h);
/* Stops serving, waits for the threads, closes the store; NULL is a no-op. */
void ramp__http_stop(ramp__http *h);

/* ---- the labelling page (label_page.c) ---------------------------------- */

/* The page (title, team and csrf are escaped); its script, a line per
   string, NULL-terminated, served at /label/app.js. */
void ramp__label_page_html(ramp__buf *out, const char *title, const char *team, const char *csrf);
extern const char *const ramp__label_js[];

/* ---- a queue with fixed slots for slow work (jobq.c) ------------------- */

typedef struct ramp__jobq ramp__jobq;
/* got: 1 when the job had a slot (it runs its work), 0 when it waited
   wait_s in vain or the queue is stopping (it only answers). */
typedef void (*ramp__job_fn)(void *arg, int got);

/* slots >= 1 jobs run at once; at most max_waiting more wait, each at most
   wait_s seconds. EINVAL for bad sizes, ENOMEM. */
ramp_status ramp__jobq_new(ramp__jobq **out, int slots, double wait_s, int max_waiting);
/* Calls fn(arg, got) once, on a thread of its own (arg is borrowed until
   then). ETOOBIG at once, fn not called, when slots + max_waiting jobs are
   already in; ENOMEM when no thread can be made. Thread-safe. */
ramp_status ramp__jobq_run(ramp__jobq *q, ramp__job_fn fn, void *arg);
/* Stops taking jobs, lets the waiting ones end with got = 0, waits for the
   running ones, frees. NULL is a no-op. */
void ramp__jobq_free(ramp__jobq *q);

#endif
