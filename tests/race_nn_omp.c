/* race_nn_omp.c — several threads make their first ramp__nn_parallel call at
 * once (several nets training on several threads). Built with ThreadSanitizer
 * by test_nn_omp_race.sh, together with src/nn/omp.c alone: a lookup of the
 * OpenMP entry points that is not ordered before its uses is a data race
 * TSan reports (exit 66). Each call must also run its body. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

void ramp__nn_parallel(void (*fn)(void *user, int tid, int n), void *user);

enum { N_THREADS = 8 };

static void body(void *user, int tid, int n)
{
    (void)tid;
    (void)n;
    atomic_fetch_add((atomic_int *)user, 1);
}

static void *first_call(void *user)
{
    ramp__nn_parallel(body, user);
    return NULL;
}

int main(void)
{
    atomic_int calls = 0;
    pthread_t t[N_THREADS];
    for (int i = 0; i < N_THREADS; i++)
        if (pthread_create(&t[i], NULL, first_call, &calls)) return 2;
    for (int i = 0; i < N_THREADS; i++)
        pthread_join(t[i], NULL);
    printf("%d bodies ran\n", (int)calls);
    return calls >= N_THREADS ? 0 : 1;
}
