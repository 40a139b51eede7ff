/* jobq.c — a fixed number of slots for slow work (compiling uploads), so
 * that the server's own threads never wait for it.
 *
 * Design. Each job gets a thread of its own that waits for a slot, at most
 * wait_s seconds, then runs fn(arg, 1) and frees the slot; a job that got no
 * slot in time, or that was waiting when the queue was stopped, runs
 * fn(arg, 0) so that its owner can answer (503) at once. At most
 * max_waiting jobs wait: a job beyond that is refused by ramp__jobq_run
 * itself, without a thread. The server suspends the connection whose upload
 * is queued (libmicrohttpd's suspend/resume) and fn resumes it: the pool
 * threads keep answering the leaderboard meanwhile. Waits use
 * CLOCK_MONOTONIC. All state hangs off the handle; thread-safe.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "http/httpInt.h"

struct ramp__jobq {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a slot freed, a job ended, or stopping */
    int slots, running, waiting, live, max_waiting, stopping;
    double wait_s;
};

typedef struct job {
    ramp__jobq *q;
    ramp__job_fn fn;
    void *arg;
} job;

ramp_status ramp__jobq_new(ramp__jobq **out, int slots, double wait_s, int max_waiting)
{
    *out = NULL;
    if (slots < 1 || max_waiting < 0 || !(wait_s >= 0)) return RAMP_EINVAL;
    ramp__jobq *q = calloc(1, sizeof *q);
    if (!q) return RAMP_ENOMEM;
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca)) {
        free(q);
        return RAMP_ENOMEM;
    }
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int e = pthread_cond_init(&q->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (e) {
        free(q);
        return RAMP_ENOMEM;
    }
    if (pthread_mutex_init(&q->mu, NULL)) {
        pthread_cond_destroy(&q->cv);
        free(q);
        return RAMP_ENOMEM;
    }
    q->slots = slots;
    q->wait_s = wait_s;
    q->max_waiting = max_waiting;
    *out = q;
    return RAMP_OK;
}

static void *job_main(void *p)
{
    job j = *(job *)p;
    free(p);
    ramp__jobq *q = j.q;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    double w = q->wait_s;
    until.tv_sec += (time_t)w;
    until.tv_nsec += (long)((w - (double)(time_t)w) * 1e9);
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&q->mu);
    int timed_out = 0;
    while (q->running >= q->slots && !q->stopping && !timed_out)
        timed_out = pthread_cond_timedwait(&q->cv, &q->mu, &until) == ETIMEDOUT;
    int got = q->running < q->slots && !q->stopping;
    if (got) q->running++;
    q->waiting--;
    pthread_mutex_unlock(&q->mu);
    j.fn(j.arg, got);
    pthread_mutex_lock(&q->mu);
    if (got) q->running--;
    q->live--;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

ramp_status ramp__jobq_run(ramp__jobq *q, ramp__job_fn fn, void *arg)
{
    job *j = malloc(sizeof *j);
    if (!j) return RAMP_ENOMEM;
    *j = (job){q, fn, arg};
    pthread_mutex_lock(&q->mu);
    if (q->stopping || q->live >= q->slots + q->max_waiting) {
        pthread_mutex_unlock(&q->mu);
        free(j);
        return RAMP_ETOOBIG;
    }
    q->waiting++;
    q->live++;
    pthread_mutex_unlock(&q->mu);
    pthread_attr_t at;
    pthread_t t;
    int e = pthread_attr_init(&at);
    if (!e) {
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        e = pthread_create(&t, &at, job_main, j);
        pthread_attr_destroy(&at);
    }
    if (e) {
        free(j);
        pthread_mutex_lock(&q->mu);
        q->waiting--;
        q->live--;
        pthread_cond_broadcast(&q->cv);
        pthread_mutex_unlock(&q->mu);
        return RAMP_ENOMEM;
    }
    return RAMP_OK;
}

void ramp__jobq_free(ramp__jobq *q)
{
    if (!q) return;
    pthread_mutex_lock(&q->mu);
    q->stopping = 1;
    pthread_cond_broadcast(&q->cv);
    while (q->live > 0) pthread_cond_wait(&q->cv, &q->mu);
    pthread_mutex_unlock(&q->mu);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q);
}
