/* server.c — `ramp serve`'s HTTP server on libmicrohttpd's thread pool.
 *
 *   GET  /                          the leaderboard page (?view=public|private|competition)
 *   GET  /submission/<id>           a submission's page
 *   GET  /submission/<id>/preview/<pos>/image, .../overlay.png
 *                                   a detection or segmentation submission's
 *                                   preview images (its team and whoever sees
 *                                   test scores; from the store)
 *   GET  /plot.svg                  official score against submission time (?view=)
 *   GET  /api/leaderboard.json      the leaderboard (?view=)
 *   GET  /api/submissions/<id>.json a submission, per-fold scores and log
 *   POST /api/submit?name=N         multipart/form-data, one part per file, with
 *                                   Authorization: Bearer <team token>
 *   GET  /login, POST /login        participants log in with their team token
 *   GET  /my                        the team's submissions and an upload form
 *   POST /my/submit, POST /logout   the forms (session cookie + CSRF field)
 *   GET  /label, /label/app.js      the labelling page and its script (a session;
 *   GET  /label/img/<id>            the organiser turned it on: `ramp label on`),
 *   GET  /api/label/images.json     an image of the pool by id (from the store,
 *   GET  /api/label/shapes/<id>.json never a path), the pool, an image's latest
 *   POST /api/label/save            shapes; a save (JSON, X-CSRF-Token header)
 *
 * Participants' sessions: a log-in form carries a one-time value also set
 * as an HttpOnly cookie scoped to /login (double submit); a good team token
 * opens a session whose id is an HttpOnly, SameSite=Strict cookie, stored
 * hashed with an expiry (12 h). Every form of the session carries its CSRF
 * token, derived from the session id (store.c), checked before anything is
 * done. The form upload then goes the API upload's way and answers with a
 * redirect to /my or a page saying what went wrong.
 *
 * What is public: a request bearing the organiser's token
 * (Authorization: Bearer, `ramp event --admin-token`) sees test scores and
 * the private and competition views; so does everyone once the organiser
 * revealed them (`ramp event --reveal`). Before that others get 403 for
 * those views and pages without any test score. Logs never show paths.
 *
 * An upload is judged before its body is read: no valid token → 401, a
 * Content-Length over 8× the limit → 413 at once; a body over the limit but
 * less far (or chunked) is read, dropped as it comes, and answered 413. Two
 * parts with the same file name → 400. A complete upload then waits for one
 * of the compile slots (jobq.c) with its connection suspended, so the pool
 * keeps serving pages; no slot within the wait → 503 with Retry-After. Only
 * an authorised upload within the limits whose files compile reaches the
 * store, in one transaction. Handlers reach the server's state through the
 * cls pointer only.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#define _XOPEN_SOURCE 700 /* nftw */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <ftw.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "http/httpInt.h"
#include "store/storeInt.h"
#include "submission/submissionInt.h"

enum { K_JSON, K_HTML, K_SVG, N_KINDS };

typedef struct cache_entry {
    ramp__buf buf;
    double at;
    int valid;
} cache_entry;

struct ramp__http {
    struct MHD_Daemon *d;
    ramp__store *s;
    pthread_mutex_t mu; /* guards s and cache */
    cache_entry cache[3][N_KINDS][2]; /* [view][kind][reader sees test scores] */
    ramp__jobq *compiles;
    ramp__build_opts build;
    char tmp_dir[4000];
    size_t max_upload;
    double cache_s;
    int compile_slots;
    double compile_wait_s;
    int port;
};

/* An upload's phases: its body is read (RECEIVING), it waits for a compile
   slot and compiles with its connection suspended (COMPILING), then the
   handler, called again on resume, answers (COMPILED). */
enum { RECEIVING, COMPILING, COMPILED };

/* What a POST is: an upload through the API (team token) or the form
   (session cookie and CSRF field), a log-in or a log-out form. */
enum { POST_API, POST_FORM, POST_LOGIN, POST_LOGOUT, POST_LABEL };

typedef struct upload {
    ramp__http *h;
    struct MHD_Connection *conn;
    int kind;
    int phase;
    char sid[65];   /* the session cookie (POST_FORM, POST_LOGOUT) */
    char csrf[80];  /* the form's csrf field */
    size_t csrf_len;
    char token[160]; /* the log-in form's token field */
    size_t token_len;
    int64_t team_id;
    char *team;
    ramp__file files[RAMP__SUB_MAX_FILES];
    size_t n_files;
    ramp__file *cur; /* the file whose part is being read */
    char name[80];
    size_t name_len;
    size_t total;
    int too_big;
    char bad[256];
    struct MHD_PostProcessor *pp;
    ramp__buf body; /* POST_LABEL: the JSON body */
    /* set by the compile job */
    int refused;          /* no slot in time */
    ramp_status build_st; /* ramp__sub_build's */
    char *build_msg;      /* its message and the compiler's output, paths cut */
} upload;

/* ---- responses ------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type,
                             const char *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

/* An HTML answer (or, with location, a 303 to it) that may set a cookie. */
static enum MHD_Result reply_page(struct MHD_Connection *c, unsigned code, const ramp__buf *body,
                                  const char *location, const char *set_cookie)
{
    if (body && body->oom) return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(
        body ? body->len : 0, body ? (void *)body->p : (void *)"", MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    if (location) MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
    if (set_cookie) MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, set_cookie);
    enum MHD_Result ret = MHD_queue_response(c, location ? 303 : code, r);
    MHD_destroy_response(r);
    return ret;
}

/* A short HTML page saying msg (escaped), with a link back. */
static enum MHD_Result reply_html_error(struct MHD_Connection *c, unsigned code, const char *msg,
                                        const char *back)
{
    ramp__buf b = {0};
    ramp__buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                         "<title>%u</title></head><body><p id=\"error\">", code);
    ramp__buf_html(&b, msg);
    ramp__buf_printf(&b, "</p><p><a href=\"%s\">back</a></p></body></html>\n", back);
    enum MHD_Result r = reply_page(c, code, &b, NULL, NULL);
    ramp__buf_free(&b);
    return r;
}

/* {"error": msg} with the status code. */
static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned code, const char *msg)
{
    ramp__buf b = {0};
    ramp__buf_printf(&b, "{\"status\": %u, \"error\": ", code);
    ramp__buf_json(&b, msg);
    ramp__buf_puts(&b, "}\n");
    enum MHD_Result r = b.oom ? MHD_NO : reply(c, code, "application/json", b.p, b.len);
    ramp__buf_free(&b);
    return r;
}

/* ---- who may see what ------------------------------------------------------------- */

/* *see = 1 when this request may see test scores: it bears the organiser's
   token, or the organiser revealed them. Takes h->mu. -1 when the store
   cannot be read. */
static int reader_sees_test(ramp__http *h, struct MHD_Connection *c, int *see)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    int revealed = 0, admin = 0;
    pthread_mutex_lock(&h->mu);
    ramp_status st = ramp__store_revealed(h->s, &revealed);
    if (!st && !revealed && auth && !strncmp(auth, "Bearer ", 7) && strlen(auth) < 200)
        st = ramp__store_is_admin(h->s, auth + 7, &admin);
    pthread_mutex_unlock(&h->mu);
    *see = revealed || admin;
    return st ? -1 : 0;
}

static const char hidden_msg[] =
    "the private and competition views and the test scores are the organiser's until the "
    "organiser reveals them (ramp event --reveal); send the organiser's token as "
    "Authorization: Bearer TOKEN";

/* ---- cached leaderboard ------------------------------------------------------------ */

static enum MHD_Result serve_board(ramp__http *h, struct MHD_Connection *c, int kind)
{
    const char *vs = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "view");
    ramp__view view = RAMP__VIEW_PUBLIC;
    if (vs && ramp__view_parse(vs, &view))
        return reply_error(c, 400, "view is public, private or competition");
    int see = 0;
    if (reader_sees_test(h, c, &see)) return reply_error(c, 500, "cannot read the store");
    if (view != RAMP__VIEW_PUBLIC && !see) return reply_error(c, 403, hidden_msg);
    static const char *types[N_KINDS] = {"application/json", "text/html; charset=utf-8",
                                         "image/svg+xml"};
    pthread_mutex_lock(&h->mu);
    cache_entry *e = &h->cache[view][kind][see];
    double now = ramp__now();
    if (!e->valid || h->cache_s < 0 || now - e->at > h->cache_s) {
        ramp__board b;
        ramp_status st = ramp__board_build_as(h->s, view, see, &b);
        if (st) {
            char msg[1100];
            snprintf(msg, sizeof msg, "%s", ramp__store_errmsg(h->s));
            pthread_mutex_unlock(&h->mu);
            return reply_error(c, st == RAMP_ENOENT ? 404 : 500, msg);
        }
        ramp__buf_free(&e->buf);
        if (kind == K_JSON) ramp__board_json(&b, &e->buf);
        else if (kind == K_HTML) ramp__board_html(&b, &e->buf);
        else ramp__board_svg(&b, &e->buf);
        ramp__board_clear(&b);
        e->valid = !e->buf.oom;
        e->at = now;
        if (!e->valid) {
            pthread_mutex_unlock(&h->mu);
            return reply_error(c, 500, "out of memory");
        }
    }
    enum MHD_Result r = reply(c, 200, types[kind], e->buf.p, e->buf.len);
    pthread_mutex_unlock(&h->mu);
    return r;
}

static void cache_drop(ramp__http *h)
{
    for (int v = 0; v < 3; v++)
        for (int k = 0; k < N_KINDS; k++)
            for (int t = 0; t < 2; t++) h->cache[v][k][t].valid = 0;
}

static int may_preview(ramp__http *h, struct MHD_Connection *c, int64_t id, int see, int *ok);
static enum MHD_Result serve_preview(ramp__http *h, struct MHD_Connection *c, int64_t id,
                                     const char *rest);

/* The page's policy: no script at all, images from the server only (the
   previews' images are SVG <image> elements). */
static enum MHD_Result reply_sub_html(struct MHD_Connection *c, const ramp__buf *b)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(b->len, b->p, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
                            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result serve_sub(ramp__http *h, struct MHD_Connection *c, const char *rest,
                                 int json)
{
    char *end;
    long long id = strtoll(rest, &end, 10);
    if (end == rest || id <= 0) return reply_error(c, 404, "no such page");
    if (!json && !strncmp(end, "/preview/", 9)) return serve_preview(h, c, id, end + 9);
    if (json ? strcmp(end, ".json") : *end != '\0') return reply_error(c, 404, "no such page");
    int see = 0, pv = 0;
    if (reader_sees_test(h, c, &see)) return reply_error(c, 500, "cannot read the store");
    if (!json && may_preview(h, c, id, see, &pv)) return reply_error(c, 500, "cannot read the store");
    ramp__buf b = {0};
    pthread_mutex_lock(&h->mu);
    ramp_status st = json ? ramp__sub_json_as(h->s, id, see, &b)
                          : ramp__sub_page_html_ex(h->s, id, see, pv, &b);
    char msg[1100];
    snprintf(msg, sizeof msg, "%s", ramp__store_errmsg(h->s));
    pthread_mutex_unlock(&h->mu);
    enum MHD_Result r;
    if (st == RAMP_ENOENT) {
        snprintf(msg, sizeof msg, "no submission %lld", id);
        r = reply_error(c, 404, msg);
    } else if (st || b.oom) {
        r = reply_error(c, 500, st ? msg : "out of memory");
    } else {
        r = json ? reply(c, 200, "application/json", b.p, b.len) : reply_sub_html(c, &b);
    }
    ramp__buf_free(&b);
    return r;
}

/* ---- upload ------------------------------------------------------------------------- */

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
    (void)kind;
    (void)content_type;
    (void)transfer_encoding;
    upload *u = cls;
    if (u->too_big || u->bad[0]) return MHD_YES;
    if (!filename) {
        if (key && (!strcmp(key, "csrf") || !strcmp(key, "token"))) {
            int is_csrf = key[0] == 'c';
            char *dst = is_csrf ? u->csrf : u->token;
            size_t cap = is_csrf ? sizeof u->csrf : sizeof u->token;
            size_t *len = is_csrf ? &u->csrf_len : &u->token_len;
            if ((off == 0 && *len) || *len + size >= cap) {
                snprintf(u->bad, sizeof u->bad, "a bad '%s' field", key);
                return MHD_YES;
            }
            memcpy(dst + *len, data, size);
            *len += size;
            dst[*len] = '\0';
            return MHD_YES;
        }
        if (key && !strcmp(key, "name")) {
            if (off == 0 && u->name_len) {
                snprintf(u->bad, sizeof u->bad, "two 'name' fields: send the name once");
                return MHD_YES;
            }
            if (u->name_len + size >= sizeof u->name) {
                snprintf(u->bad, sizeof u->bad, "the submission name is too long");
                return MHD_YES;
            }
            memcpy(u->name + u->name_len, data, size);
            u->name_len += size;
            u->name[u->name_len] = '\0';
        }
        return MHD_YES;
    }
    if (u->kind == POST_LOGIN || u->kind == POST_LOGOUT) {
        snprintf(u->bad, sizeof u->bad, "no files here");
        return MHD_YES;
    }
    if (!ramp__name_ok(filename)) {
        snprintf(u->bad, sizeof u->bad, "file name '%.80s' not allowed", filename);
        return MHD_YES;
    }
    ramp__file *f = NULL;
    for (size_t i = 0; i < u->n_files; i++)
        if (!strcmp(u->files[i].name, filename)) f = &u->files[i];
    /* A part's data comes in pieces at growing offsets; a file name seen
       again at offset 0 is a second part with that name (never merged). */
    if (f && off == 0 && (f != u->cur || f->len > 0)) {
        snprintf(u->bad, sizeof u->bad,
                 "two parts carry the file name '%.80s': send each file once", filename);
        return MHD_YES;
    }
    if (!f) {
        if (u->n_files == RAMP__SUB_MAX_FILES) {
            snprintf(u->bad, sizeof u->bad, "more than %d files", RAMP__SUB_MAX_FILES);
            return MHD_YES;
        }
        f = &u->files[u->n_files];
        f->name = ramp__strdup(filename);
        if (!f->name) return MHD_NO;
        u->n_files++;
    }
    u->cur = f;
    if (f->len + size > RAMP__SUB_MAX_FILE) {
        u->too_big = 1;
        return MHD_YES;
    }
    uint8_t *p = realloc(f->data, f->len + size + 1);
    if (!p) return MHD_NO;
    f->data = p;
    memcpy(p + f->len, data, size);
    f->len += size;
    return MHD_YES;
}

/* The compile job (on a thread of the compile queue): builds the upload in
   a scratch folder, keeps the outcome in u, and resumes the connection. */
static void compile_job(void *arg, int got)
{
    upload *u = arg;
    ramp__http *h = u->h;
    if (!got) {
        u->refused = 1;
    } else {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/ramp-upload-XXXXXX", h->tmp_dir);
        ramp_err err = {RAMP_OK, ""};
        ramp__sub_paths paths;
        char *log = NULL;
        if (!mkdtemp(dir)) {
            u->build_st = ramp__err_set(&err, RAMP_EIO, "cannot make a scratch folder");
        } else {
            u->build_st = ramp__files_write_dir(dir, u->files, u->n_files, &err);
            /* the model file the event's workflow asks for */
            ramp__build_opts bo = h->build;
            ramp__event ev;
            pthread_mutex_lock(&h->mu);
            if (!ramp__store_event_get(h->s, &ev)) {
                int wf = ramp_problem_workflow(ev.problem);
                bo.model = wf == RAMP_WORKFLOW_DETECTION      ? RAMP__MODEL_DETECTOR
                           : wf == RAMP_WORKFLOW_SEGMENTATION ? RAMP__MODEL_SEGMENTER
                                                              : RAMP__MODEL_CLASSIFIER;
                ramp__event_clear(&ev);
            }
            pthread_mutex_unlock(&h->mu);
            if (!u->build_st)
                u->build_st = ramp__sub_build_with(dir, &bo, &paths, &log, &err);
            ramp__rmtree(dir);
        }
        if (u->build_st) {
            /* the message and the compiler's output (its first 8000 bytes),
               with the scratch folder's and the server's paths cut */
            ramp__buf raw = {0}, b = {0};
            ramp__buf_puts(&raw, err.msg);
            if (log && *log) {
                ramp__buf_puts(&raw, "\n");
                ramp__buf_put(&raw, log, strlen(log) > 8000 ? 8000 : strlen(log));
            }
            if (!raw.oom) ramp__log_public(&b, raw.p, 1);
            u->build_msg = b.oom || raw.oom ? NULL : b.p;
            if (!u->build_msg) ramp__buf_free(&b);
            ramp__buf_free(&raw);
        }
        free(log);
    }
    u->phase = COMPILED;
    MHD_resume_connection(u->conn);
}

/* An error for this POST: JSON for the API, a page for the forms. */
static enum MHD_Result post_error(struct MHD_Connection *c, const upload *u, unsigned code,
                                  const char *msg)
{
    if (u->kind == POST_API || u->kind == POST_LABEL) return reply_error(c, code, msg);
    return reply_html_error(c, code, msg, u->kind == POST_LOGIN ? "/login" : "/my");
}

/* Headers and body read: check the name and files, then queue the compile
   with the connection suspended. */
static enum MHD_Result queue_upload(ramp__http *h, struct MHD_Connection *c, upload *u)
{
    const char *name = u->name_len ? u->name
                                   : MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
    if (!name || !ramp__name_ok(name))
        return post_error(c, u, 400,
                          "a submission name is required (?name=N or a 'name' field): 1 to 64 "
                          "of A-Z a-z 0-9 _ . -");
    if (!u->n_files) return post_error(c, u, 400, "no files: send multipart/form-data with the files");
    if (!u->name_len) {
        snprintf(u->name, sizeof u->name, "%s", name);
        u->name_len = strlen(u->name);
    }
    u->conn = c;
    u->phase = COMPILING;
    MHD_suspend_connection(c);
    if (ramp__jobq_run(h->compiles, compile_job, u)) {
        /* every slot busy and the waiting line full: answer 503 now */
        u->refused = 1;
        u->phase = COMPILED;
        MHD_resume_connection(c);
    }
    return MHD_YES;
}

static enum MHD_Result reply_busy(ramp__http *h, struct MHD_Connection *c, const upload *u)
{
    int after = h->compile_wait_s > 1 ? (int)ceil(h->compile_wait_s) : 1;
    char msg[256];
    snprintf(msg, sizeof msg,
             "the server is compiling other uploads (%d at once) and no slot freed in time: "
             "try again in %d s",
             h->compile_slots, after);
    ramp__buf b = {0};
    if (u->kind == POST_API) {
        ramp__buf_printf(&b, "{\"status\": 503, \"error\": ");
        ramp__buf_json(&b, msg);
        ramp__buf_puts(&b, "}\n");
    } else {
        ramp__buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                           "<title>503</title></head><body><p id=\"error\">");
        ramp__buf_html(&b, msg);
        ramp__buf_puts(&b, "</p><p><a href=\"/my\">back</a></p></body></html>\n");
    }
    if (b.oom) return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_COPY);
    ramp__buf_free(&b);
    if (!r) return MHD_NO;
    char ra[16];
    snprintf(ra, sizeof ra, "%d", after);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            u->kind == POST_API ? "application/json" : "text/html; charset=utf-8");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    enum MHD_Result ret = MHD_queue_response(c, 503, r);
    MHD_destroy_response(r);
    return ret;
}

/* Resumed after the compile: store it, or say why not. */
static enum MHD_Result finish_upload(ramp__http *h, struct MHD_Connection *c, upload *u)
{
    if (u->refused) return reply_busy(h, c, u);
    if (u->build_st) return post_error(c, u, 400, u->build_msg ? u->build_msg : "does not compile");
    int64_t id = 0;
    pthread_mutex_lock(&h->mu);
    ramp_status st = ramp__store_submit(h->s, u->team_id, u->name, u->files, u->n_files, &id);
    char msg[1100];
    snprintf(msg, sizeof msg, "%s", ramp__store_errmsg(h->s));
    if (!st) cache_drop(h);
    pthread_mutex_unlock(&h->mu);
    if (st == RAMP_EDUP) return post_error(c, u, 409, msg);
    if (st == RAMP_ETOOSOON) return post_error(c, u, 429, msg);
    if (st) return post_error(c, u, st == RAMP_EINVAL ? 400 : 500, msg);
    if (u->kind == POST_FORM) {
        char loc[64];
        snprintf(loc, sizeof loc, "/my?ok=%lld", (long long)id);
        return reply_page(c, 303, NULL, loc, NULL);
    }
    ramp__buf b = {0};
    ramp__buf_printf(&b, "{\"status\": 201, \"id\": %lld, \"team\": ", (long long)id);
    ramp__buf_json(&b, u->team);
    ramp__buf_puts(&b, ", \"submission\": ");
    ramp__buf_json(&b, u->name);
    ramp__buf_puts(&b, ", \"state\": \"new\"}\n");
    enum MHD_Result r = b.oom ? MHD_NO : reply(c, 201, "application/json", b.p, b.len);
    ramp__buf_free(&b);
    return r;
}

/* ---- participants' sessions ---------------------------------------------------------- */

#define SESSION_TTL_S (12 * 3600.0)

/* The session cookie's value if it looks like one (64 hex digits). */
static const char *session_cookie(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "ramp_session");
    if (!v || strlen(v) != 64 || strspn(v, "0123456789abcdef") != 64) return NULL;
    return v;
}

/* *ok = 1 when this request may see submission id's previews (test images
   with its predictions, which a good submission makes close to the secret
   test labels): whoever sees test scores (see: the organiser, or everyone
   after the reveal), or a session of the submission's own team. -1 when the
   store cannot be read. */
static int may_preview(ramp__http *h, struct MHD_Connection *c, int64_t id, int see, int *ok)
{
    *ok = see;
    const char *sid = session_cookie(c);
    if (see || !sid) return 0;
    int64_t mine = 0, owner = 0;
    pthread_mutex_lock(&h->mu);
    ramp_status st = ramp__store_session_team(h->s, sid, &mine, NULL);
    if (!st) st = ramp__sub_team(h->s, id, &owner);
    pthread_mutex_unlock(&h->mu);
    if (st == RAMP_ENOENT) return 0;
    if (st) return -1;
    *ok = mine == owner;
    return 0;
}

/* GET /submission/<id>/preview/<pos>/image or .../overlay.png: a preview's
   image or its mask's colour overlay, from the store (never a path), to
   those who may see the previews; 404 to others, as if there were none. */
static enum MHD_Result serve_preview(ramp__http *h, struct MHD_Connection *c, int64_t id,
                                     const char *rest)
{
    char *end;
    long pos = strtol(rest, &end, 10);
    int overlay;
    if (end == rest || *rest == '-' || *rest == '+' || pos >= RAMP__PREVIEW_N)
        return reply_error(c, 404, "no such preview");
    if (!strcmp(end, "/image")) overlay = 0;
    else if (!strcmp(end, "/overlay.png")) overlay = 1;
    else return reply_error(c, 404, "no such preview");
    int see = 0, ok = 0;
    if (reader_sees_test(h, c, &see) || may_preview(h, c, id, see, &ok))
        return reply_error(c, 500, "cannot read the store");
    if (!ok) return reply_error(c, 404, "no such preview");
    char *type = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    pthread_mutex_lock(&h->mu);
    ramp_status st = ramp__preview_file(h->s, id, (int)pos, overlay, &type, &bytes, &len);
    pthread_mutex_unlock(&h->mu);
    enum MHD_Result r;
    if (st == RAMP_ENOENT) r = reply_error(c, 404, "no such preview");
    else if (st) r = reply_error(c, 500, "cannot read the store");
    else r = reply(c, 200, type, (const char *)bytes, len);
    free(type);
    free(bytes);
    return r;
}

/* Constant-time comparison of two NUL-terminated strings of public length. */
static int same_secret(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n == 0 || n != strlen(b)) return 0;
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++) d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static enum MHD_Result serve_login(ramp__http *h, struct MHD_Connection *c, const char *notice,
                                   unsigned code)
{
    (void)h;
    char pre[65];
    if (ramp__random_hex(pre, 32)) return reply_error(c, 500, "cannot read /dev/urandom");
    char cookie[160];
    snprintf(cookie, sizeof cookie,
             "ramp_login=%s; HttpOnly; SameSite=Strict; Path=/login; Max-Age=3600", pre);
    ramp__buf b = {0};
    ramp__login_page_html(pre, notice, &b);
    enum MHD_Result r = reply_page(c, code, &b, NULL, cookie);
    ramp__buf_free(&b);
    return r;
}

static enum MHD_Result serve_my(ramp__http *h, struct MHD_Connection *c)
{
    const char *sid = session_cookie(c);
    int64_t team_id = 0;
    char *team = NULL;
    if (!sid) return reply_page(c, 303, NULL, "/login", NULL);
    int see = 0;
    if (reader_sees_test(h, c, &see)) return reply_error(c, 500, "cannot read the store");
    char csrf[65], notice[96] = "";
    ramp__session_csrf(csrf, sid);
    const char *ok = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ok");
    if (ok) {
        char *end;
        long long id = strtoll(ok, &end, 10);
        if (end != ok && !*end && id > 0)
            snprintf(notice, sizeof notice, "submission %lld stored: it waits for a worker", id);
    }
    ramp__buf b = {0};
    pthread_mutex_lock(&h->mu);
    ramp_status st = ramp__store_session_team(h->s, sid, &team_id, &team);
    if (!st) st = ramp__team_page_html(h->s, team_id, team, csrf, see, notice, &b);
    pthread_mutex_unlock(&h->mu);
    free(team);
    enum MHD_Result r;
    if (st == RAMP_ENOENT)
        r = reply_page(c, 303, NULL, "/login", NULL);
    else if (st || b.oom)
        r = reply_html_error(c, 500, "cannot read the store", "/");
    else
        r = reply_page(c, 200, &b, NULL, NULL);
    ramp__buf_free(&b);
    return r;
}

/* The log-in and log-out forms, once read. */
static enum MHD_Result finish_login(ramp__http *h, struct MHD_Connection *c, upload *u)
{
    if (u->kind == POST_LOGIN) {
        const char *pre = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "ramp_login");
        if (!pre || !same_secret(pre, u->csrf))
            return serve_login(h, c, "the form expired or did not come from this site: try again",
                               403);
        int64_t team_id = 0;
        char sid[65];
        pthread_mutex_lock(&h->mu);
        ramp_status st = u->token_len ? ramp__store_team_by_token(h->s, u->token, &team_id, NULL)
                                      : RAMP_ENOENT;
        if (!st) st = ramp__store_session_new(h->s, team_id, SESSION_TTL_S, sid);
        pthread_mutex_unlock(&h->mu);
        memset(u->token, 0, sizeof u->token);
        if (st == RAMP_ENOENT) return serve_login(h, c, "invalid team token", 401);
        if (st) return reply_html_error(c, 500, "cannot write the store", "/login");
        char cookie[200];
        snprintf(cookie, sizeof cookie,
                 "ramp_session=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%d", sid,
                 (int)SESSION_TTL_S);
        memset(sid, 0, sizeof sid);
        return reply_page(c, 303, NULL, "/my", cookie);
    }
    /* log out */
    char csrf[65];
    ramp__session_csrf(csrf, u->sid);
    if (!same_secret(csrf, u->csrf))
        return reply_html_error(c, 403, "the form did not come from this site", "/my");
    pthread_mutex_lock(&h->mu);
    ramp__store_session_end(h->s, u->sid);
    pthread_mutex_unlock(&h->mu);
    return reply_page(c, 303, NULL, "/login",
                      "ramp_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
}

/* ---- the labelling page ------------------------------------------------------------------ */

static const char label_off_msg[] =
    "the labelling page is off (the organiser opens it with 'ramp label on')";

/* The team of this request's session and the pool, if the page is on.
   Otherwise answers (401 without a session: a 303 to /login for the page,
   JSON for the API; 404 when the page is off) and returns -1 with *r set. */
static int label_gate(ramp__http *h, struct MHD_Connection *c, int page, int64_t *team_id,
                      char **team, ramp__label_set *ls, enum MHD_Result *r)
{
    const char *sid = session_cookie(c);
    *team = NULL;
    memset(ls, 0, sizeof *ls);
    ramp_status st = RAMP_ENOENT;
    if (sid) {
        pthread_mutex_lock(&h->mu);
        st = ramp__store_session_team(h->s, sid, team_id, team);
        pthread_mutex_unlock(&h->mu);
    }
    if (st == RAMP_ENOENT) {
        *r = page ? reply_page(c, 303, NULL, "/login", NULL)
                  : reply_error(c, 401, "log in first (POST /login with the team token)");
        return -1;
    }
    if (!st) {
        pthread_mutex_lock(&h->mu);
        st = ramp__label_set_get(h->s, ls);
        pthread_mutex_unlock(&h->mu);
    }
    if (st || !ls->enabled) {
        free(*team);
        *team = NULL;
        ramp__label_set_clear(ls);
        unsigned code = st && st != RAMP_ENOENT ? 500 : 404;
        const char *msg = code == 500 ? "cannot read the store" : label_off_msg;
        *r = page ? reply_html_error(c, code, msg, "/my") : reply_error(c, code, msg);
        return -1;
    }
    return 0;
}

static enum MHD_Result serve_label_page(ramp__http *h, struct MHD_Connection *c)
{
    int64_t team_id;
    char *team;
    ramp__label_set ls;
    enum MHD_Result r;
    if (label_gate(h, c, 1, &team_id, &team, &ls, &r)) return r;
    char csrf[65];
    ramp__session_csrf(csrf, session_cookie(c));
    ramp__buf b = {0};
    ramp__label_page_html(&b, ls.title, team, csrf);
    free(team);
    ramp__label_set_clear(&ls);
    if (b.oom) {
        ramp__buf_free(&b);
        return MHD_NO;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_COPY);
    ramp__buf_free(&b);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
    /* the script is /label/app.js: no inline script runs on this page */
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; script-src 'self'; connect-src 'self'; "
                            "img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
                            "base-uri 'none'; form-action 'self'");
    r = MHD_queue_response(c, 200, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result serve_label_js(struct MHD_Connection *c)
{
    ramp__buf b = {0};
    for (size_t i = 0; ramp__label_js[i]; i++) ramp__buf_puts(&b, ramp__label_js[i]);
    enum MHD_Result r = b.oom ? MHD_NO : reply(c, 200, "text/javascript; charset=utf-8", b.p, b.len);
    ramp__buf_free(&b);
    return r;
}

/* An image of the pool by its id (never a path: the bytes come from the
   store). */
static enum MHD_Result serve_label_img(ramp__http *h, struct MHD_Connection *c, const char *id)
{
    int64_t team_id;
    char *team;
    ramp__label_set ls;
    enum MHD_Result r;
    if (label_gate(h, c, 0, &team_id, &team, &ls, &r)) return r;
    free(team);
    ramp__label_set_clear(&ls);
    int w, hh;
    char *type = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    pthread_mutex_lock(&h->mu);
    ramp_status st = ramp__label_image_get(h->s, id, &w, &hh, &type, &bytes, &len);
    pthread_mutex_unlock(&h->mu);
    if (st == RAMP_ENOENT) return reply_error(c, 404, "no such image in the labelling pool");
    if (st) return reply_error(c, 500, "cannot read the store");
    r = reply(c, 200, type, (const char *)bytes, len);
    free(type);
    free(bytes);
    return r;
}

static enum MHD_Result serve_label_list(ramp__http *h, struct MHD_Connection *c)
{
    int64_t team_id;
    char *team;
    ramp__label_set ls;
    enum MHD_Result r;
    if (label_gate(h, c, 0, &team_id, &team, &ls, &r)) return r;
    ramp__label_image *im = NULL;
    size_t n = 0;
    pthread_mutex_lock(&h->mu);
    ramp_status st = ramp__label_images(h->s, &im, &n);
    pthread_mutex_unlock(&h->mu);
    ramp__buf b = {0};
    if (!st) {
        ramp__buf_puts(&b, "{\"title\": ");
        ramp__buf_json(&b, ls.title);
        ramp__buf_puts(&b, ", \"labeller\": ");
        ramp__buf_json(&b, team);
        ramp__buf_printf(&b, ", \"geometry\": \"%s\", \"max_shapes\": %d, \"classes\": [",
                         ramp__geom_name(ls.geometry), ls.max_shapes);
        for (int i = 0; i < ls.n_classes; i++) {
            if (i) ramp__buf_puts(&b, ", ");
            ramp__buf_json(&b, ls.classes[i]);
        }
        ramp__buf_puts(&b, "], \"images\": [");
        for (size_t i = 0; i < n; i++) {
            ramp__buf_puts(&b, i ? ",\n  {\"id\": " : "\n  {\"id\": ");
            ramp__buf_json(&b, im[i].id);
            ramp__buf_printf(&b, ", \"width\": %d, \"height\": %d, \"labelled\": %s}", im[i].width,
                             im[i].height, im[i].labelled ? "true" : "false");
        }
        ramp__buf_puts(&b, "]}\n");
    }
    ramp__label_images_free(im, n);
    free(team);
    ramp__label_set_clear(&ls);
    if (st) r = reply_error(c, 500, "cannot read the store");
    else r = b.oom ? MHD_NO : reply(c, 200, "application/json", b.p, b.len);
    ramp__buf_free(&b);
    return r;
}

/* The latest shapes of an image: /api/label/shapes/<id>.json. */
static enum MHD_Result serve_label_shapes(ramp__http *h, struct MHD_Connection *c, const char *rest)
{
    int64_t team_id;
    char *team;
    ramp__label_set ls;
    enum MHD_Result r;
    if (label_gate(h, c, 0, &team_id, &team, &ls, &r)) return r;
    free(team);
    ramp__label_set_clear(&ls);
    char id[140];
    size_t n = strlen(rest);
    if (n < 6 || n - 5 >= sizeof id || strcmp(rest + n - 5, ".json"))
        return reply_error(c, 404, "no such image in the labelling pool");
    memcpy(id, rest, n - 5);
    id[n - 5] = '\0';
    int w, hh;
    char *type = NULL, *shapes = NULL, *who = NULL;
    double at = 0;
    pthread_mutex_lock(&h->mu);
    ramp_status st = ramp__label_image_get(h->s, id, &w, &hh, &type, NULL, NULL);
    if (st == RAMP_ENOENT) {
        pthread_mutex_unlock(&h->mu);
        return reply_error(c, 404, "no such image in the labelling pool");
    }
    if (!st) st = ramp__label_latest(h->s, id, &shapes, &who, &at);
    pthread_mutex_unlock(&h->mu);
    free(type);
    if (st == RAMP_ENOENT) return reply_error(c, 404, "this image has no labels yet");
    if (st) return reply_error(c, 500, "cannot read the store");
    ramp__buf b = {0};
    char t[64];
    ramp__fmt_time(t, sizeof t, at);
    ramp__buf_puts(&b, "{\"id\": ");
    ramp__buf_json(&b, id);
    ramp__buf_puts(&b, ", \"labeller\": ");
    ramp__buf_json(&b, who);
    ramp__buf_puts(&b, ", \"at\": ");
    ramp__buf_json(&b, t);
    ramp__buf_printf(&b, ", \"shapes\": %s}\n", shapes); /* canonical JSON made by the server */
    free(shapes);
    free(who);
    r = b.oom ? MHD_NO : reply(c, 200, "application/json", b.p, b.len);
    ramp__buf_free(&b);
    return r;
}

/* Before a save's body is read: a session (401), its CSRF token in the
   X-CSRF-Token header (403: a page of another site cannot send it) and a
   JSON content type (415). 0 when all hold, with the team; else -1 with
   the answer queued in *r. */
static int label_post_gate(ramp__http *h, struct MHD_Connection *c, int64_t *team_id, char **team,
                           const char **sid_out, enum MHD_Result *r)
{
    const char *sid = session_cookie(c);
    ramp_status st = RAMP_ENOENT;
    *team = NULL;
    if (sid) {
        pthread_mutex_lock(&h->mu);
        st = ramp__store_session_team(h->s, sid, team_id, team);
        pthread_mutex_unlock(&h->mu);
    }
    if (st == RAMP_ENOENT) {
        *r = reply_error(c, 401, "log in first (POST /login with the team token)");
        return -1;
    }
    if (st || !*team) {
        free(*team);
        *team = NULL;
        *r = reply_error(c, 500, "cannot read the store");
        return -1;
    }
    char csrf[65];
    ramp__session_csrf(csrf, sid);
    const char *got = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
    if (!got || !same_secret(csrf, got)) {
        free(*team);
        *team = NULL;
        *r = reply_error(c, 403,
                         "the request did not come from the labelling page (X-CSRF-Token)");
        return -1;
    }
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (!ct || strncmp(ct, "application/json", 16) || (ct[16] && ct[16] != ';')) {
        free(*team);
        *team = NULL;
        *r = reply_error(c, 415, "send the labels as application/json");
        return -1;
    }
    *sid_out = sid;
    return 0;
}

/* The save's body is read: parse, check against the pool and the image,
   store. Nothing is stored unless every check passes. */
static enum MHD_Result finish_label(ramp__http *h, struct MHD_Connection *c, upload *u)
{
    char id[129], msg[400];
    ramp__shapes sh;
    ramp__label_set ls;
    ramp_status st = ramp__shapes_parse(u->body.p ? u->body.p : "", u->body.len, id, &sh, msg,
                                        sizeof msg);
    if (st == RAMP_ENOMEM) return reply_error(c, 500, "out of memory");
    if (st) return reply_error(c, st == RAMP_ETOOBIG ? 413 : 400, msg);
    int w = 0, hh = 0;
    char *type = NULL;
    pthread_mutex_lock(&h->mu);
    st = ramp__label_set_get(h->s, &ls);
    int on = !st && ls.enabled;
    if (on) st = ramp__label_image_get(h->s, id, &w, &hh, &type, NULL, NULL);
    free(type);
    enum MHD_Result r;
    if (st == RAMP_ENOENT || (!st && !on)) {
        pthread_mutex_unlock(&h->mu);
        if (on) {
            snprintf(msg, sizeof msg, "image '%.128s' is not in the labelling pool", id);
            r = reply_error(c, 404, msg);
        } else {
            r = reply_error(c, 404, label_off_msg);
        }
        goto done;
    }
    if (st) {
        pthread_mutex_unlock(&h->mu);
        r = reply_error(c, 500, "cannot read the store");
        goto done;
    }
    if (ramp__shapes_check(&sh, &ls, w, hh, msg, sizeof msg)) {
        pthread_mutex_unlock(&h->mu);
        r = reply_error(c, 400, msg);
        goto done;
    }
    ramp__buf js = {0};
    ramp__shapes_json(&js, &sh);
    ramp__buf_put(&js, "", 1);
    st = js.oom ? RAMP_ENOMEM : ramp__label_save(h->s, id, u->team_id, u->team, js.p);
    pthread_mutex_unlock(&h->mu);
    ramp__buf_free(&js);
    if (st) {
        r = reply_error(c, 500, "cannot write the store");
        goto done;
    }
    ramp__buf b = {0};
    ramp__buf_puts(&b, "{\"status\": 200, \"id\": ");
    ramp__buf_json(&b, id);
    ramp__buf_printf(&b, ", \"shapes\": %d}\n", sh.n);
    r = b.oom ? MHD_NO : reply(c, 200, "application/json", b.p, b.len);
    ramp__buf_free(&b);
done:
    ramp__shapes_clear(&sh);
    ramp__label_set_clear(&ls);
    return r;
}

/* ---- POST ------------------------------------------------------------------------------ */

static enum MHD_Result handle_post(ramp__http *h, struct MHD_Connection *c, int kind,
                                   const char *upload_data, size_t *upload_size, void **con_cls)
{
    upload *u = *con_cls;
    if (!u) {
        /* headers only: judge the credential and the declared size first */
        int64_t team_id = 0;
        char *team = NULL;
        const char *sid = NULL;
        size_t limit = kind == POST_LOGIN || kind == POST_LOGOUT ? 4096
                       : kind == POST_LABEL                    ? RAMP__LABEL_MAX_BODY
                                                               : h->max_upload;
        if (kind == POST_API) {
            const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
            if (!auth || strncmp(auth, "Bearer ", 7) != 0 || !auth[7])
                return reply_error(c, 401, "a team token is required: Authorization: Bearer TOKEN");
            if (strlen(auth) > 200) return reply_error(c, 401, "invalid team token");
            pthread_mutex_lock(&h->mu);
            ramp_status st = ramp__store_team_by_token(h->s, auth + 7, &team_id, &team);
            pthread_mutex_unlock(&h->mu);
            if (st == RAMP_ENOENT) return reply_error(c, 401, "invalid team token");
            if (st || !team) {
                free(team);
                return reply_error(c, 500, "cannot read the store");
            }
        } else if (kind == POST_LABEL) {
            /* a save of the labelling page: session, CSRF header and JSON
               type are judged before the body is read */
            enum MHD_Result r;
            if (label_post_gate(h, c, &team_id, &team, &sid, &r)) return r;
        } else if (kind == POST_FORM || kind == POST_LOGOUT) {
            sid = session_cookie(c);
            ramp_status st = RAMP_ENOENT;
            if (sid) {
                pthread_mutex_lock(&h->mu);
                st = ramp__store_session_team(h->s, sid, &team_id, &team);
                pthread_mutex_unlock(&h->mu);
            }
            if (st == RAMP_ENOENT)
                return reply_html_error(c, 401, "not logged in, or the session expired", "/login");
            if (st || !team) {
                free(team);
                return reply_html_error(c, 500, "cannot read the store", "/");
            }
        }
        /* A body declared far over the limit is refused at once (a client
           that sent "Expect: 100-continue" reads the 413 before sending it).
           One up to 8× over is read and dropped first, so that a client that
           sends its body straight away gets the 413 rather than a reset. */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && (kind == POST_LABEL ? strtoull(cl, NULL, 10) > limit
                                      : strtoull(cl, NULL, 10) / 8 > limit)) {
            free(team);
            char msg[128];
            snprintf(msg, sizeof msg, "upload too large: %.20s bytes, the limit is %zu", cl, limit);
            return kind == POST_API || kind == POST_LABEL ? reply_error(c, 413, msg)
                                                          : reply_html_error(c, 413, msg, "/");
        }
        u = calloc(1, sizeof *u);
        if (!u) {
            free(team);
            return MHD_NO;
        }
        u->h = h;
        u->kind = kind;
        u->team_id = team_id;
        u->team = team;
        if (sid) snprintf(u->sid, sizeof u->sid, "%s", sid);
        u->pp = kind == POST_LABEL ? NULL : MHD_create_post_processor(c, 64 * 1024, on_part, u);
        *con_cls = u;
        if (!u->pp && kind != POST_LABEL) {
            snprintf(u->bad, sizeof u->bad,
                     kind == POST_API || kind == POST_FORM
                         ? "send the files as multipart/form-data (one part per file)"
                         : "send the form as application/x-www-form-urlencoded");
        }
        return MHD_YES;
    }
    if (u->phase == COMPILED) return finish_upload(h, c, u);
    if (u->phase == COMPILING) return MHD_YES; /* not reached: suspended */
    size_t limit = kind == POST_LOGIN || kind == POST_LOGOUT ? 4096
                   : kind == POST_LABEL                    ? RAMP__LABEL_MAX_BODY
                                                           : h->max_upload;
    if (*upload_size) {
        u->total += *upload_size;
        if (u->total > limit) u->too_big = 1;
        if (kind == POST_LABEL && !u->too_big) {
            ramp__buf_put(&u->body, upload_data, *upload_size);
            if (u->body.oom) return MHD_NO;
            *upload_size = 0;
            return MHD_YES;
        }
        if (!u->too_big && !u->bad[0] && u->pp &&
            MHD_post_process(u->pp, upload_data, *upload_size) != MHD_YES)
            snprintf(u->bad, sizeof u->bad, "malformed form body");
        *upload_size = 0;
        return MHD_YES;
    }
    if (u->too_big)
        return post_error(c, u, 413,
                          kind == POST_LABEL ? "the labels' body is over 1 MiB" : "upload too large");
    if (kind == POST_LABEL) return finish_label(h, c, u);
    if (u->bad[0]) return post_error(c, u, 400, u->bad);
    if (kind == POST_LOGIN || kind == POST_LOGOUT) return finish_login(h, c, u);
    if (kind == POST_FORM) {
        char csrf[65];
        ramp__session_csrf(csrf, u->sid);
        if (!same_secret(csrf, u->csrf))
            return post_error(c, u, 403, "the form did not come from this site (CSRF token)");
    }
    return queue_upload(h, c, u);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    upload *u = *con_cls;
    if (!u) return;
    if (u->pp) MHD_destroy_post_processor(u->pp);
    ramp__buf_free(&u->body);
    for (size_t i = 0; i < u->n_files; i++) {
        free(u->files[i].name);
        free(u->files[i].data);
    }
    free(u->build_msg);
    free(u->team);
    free(u);
    *con_cls = NULL;
}

/* ---- routing ------------------------------------------------------------------------ */

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    ramp__http *h = cls;
    static const struct {
        const char *url;
        int kind;
    } posts[] = {{"/api/submit", POST_API},
                 {"/my/submit", POST_FORM},
                 {"/login", POST_LOGIN},
                 {"/logout", POST_LOGOUT},
                 {"/api/label/save", POST_LABEL}};
    if (!strcmp(method, "POST")) {
        for (size_t i = 0; i < sizeof posts / sizeof *posts; i++)
            if (!strcmp(url, posts[i].url))
                return handle_post(h, c, posts[i].kind, upload_data, upload_size, con_cls);
        return reply_error(c, 405, "only GET here");
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply_error(c, 405, "only GET and POST");
    if (!strcmp(url, "/api/submit")) return reply_error(c, 405, "use POST");
    if (!strcmp(url, "/login")) return serve_login(h, c, NULL, 200);
    if (!strcmp(url, "/my")) return serve_my(h, c);
    if (!strcmp(url, "/label")) return serve_label_page(h, c);
    if (!strcmp(url, "/label/app.js")) return serve_label_js(c);
    if (!strncmp(url, "/label/img/", 11)) return serve_label_img(h, c, url + 11);
    if (!strcmp(url, "/api/label/images.json")) return serve_label_list(h, c);
    if (!strncmp(url, "/api/label/shapes/", 18)) return serve_label_shapes(h, c, url + 18);
    if (!strcmp(url, "/") || !strcmp(url, "/index.html")) return serve_board(h, c, K_HTML);
    if (!strcmp(url, "/api/leaderboard.json")) return serve_board(h, c, K_JSON);
    if (!strcmp(url, "/plot.svg")) return serve_board(h, c, K_SVG);
    if (!strncmp(url, "/submission/", 12)) return serve_sub(h, c, url + 12, 0);
    if (!strncmp(url, "/api/submissions/", 17)) return serve_sub(h, c, url + 17, 1);
    return reply_error(c, 404, "no such page");
}

ramp_status ramp__http_start(ramp__http **out, const ramp__http_opts *o, ramp_err *err)
{
    *out = NULL;
    ramp__http *h = calloc(1, sizeof *h);
    if (!h) return ramp__err_set(err, RAMP_ENOMEM, "out of memory");
    ramp_status st = ramp__store_open(&h->s, o->db, err);
    if (st) {
        free(h);
        return st;
    }
    pthread_mutex_init(&h->mu, NULL);
    h->build = o->build;
    snprintf(h->tmp_dir, sizeof h->tmp_dir, "%s",
             o->tmp_dir && o->tmp_dir[0] ? o->tmp_dir : "/tmp");
    h->max_upload = o->max_upload ? o->max_upload : (size_t)5 << 20;
    h->cache_s = o->cache_s == 0 ? 1.0 : o->cache_s;
    h->compile_slots = o->compile_slots > 0 ? o->compile_slots : 2;
    h->compile_wait_s = o->compile_wait_s == 0 ? 10.0 : o->compile_wait_s < 0 ? 0 : o->compile_wait_s;
    /* waiting uploads hold their bodies (max_upload each): at most 16 wait */
    if ((st = ramp__jobq_new(&h->compiles, h->compile_slots, h->compile_wait_s, 16))) {
        ramp__err_set(err, st, "cannot make the compile queue");
        goto fail;
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)o->port);
    if (inet_pton(AF_INET, o->host ? o->host : "127.0.0.1", &addr.sin_addr) != 1) {
        st = ramp__err_set(err, RAMP_EINVAL, "listen address '%s' is not an IPv4 address",
                           o->host ? o->host : "");
        goto fail;
    }
    h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                                MHD_ALLOW_SUSPEND_RESUME,
                            (uint16_t)o->port,
                            NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads > 0 ? o->threads : 4),
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                            MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT, 1000u,
                            MHD_OPTION_END);
    if (!h->d) {
        st = ramp__err_set(err, RAMP_EIO, "cannot listen on %s:%d (in use, or not allowed)",
                           o->host ? o->host : "127.0.0.1", o->port);
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : o->port;
    *out = h;
    return RAMP_OK;
fail:
    ramp__jobq_free(h->compiles);
    ramp__store_close(h->s);
    pthread_mutex_destroy(&h->mu);
    free(h);
    return st;
}

int ramp__http_port(const ramp__http *h)
{
    return h->port;
}

void ramp__http_stop(ramp__http *h)
{
    if (!h) return;
    /* the compile jobs first: each resumes its connection, which MHD needs
       before it stops */
    ramp__jobq_free(h->compiles);
    if (h->d) MHD_stop_daemon(h->d);
    for (int v = 0; v < 3; v++)
        for (int k = 0; k < N_KINDS; k++)
            for (int t = 0; t < 2; t++) ramp__buf_free(&h->cache[v][k][t].buf);
    ramp__store_close(h->s);
    pthread_mutex_destroy(&h->mu);
    free(h);
}
