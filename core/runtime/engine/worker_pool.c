/* The run's worker threads. See worker_pool.h. */
#include "worker_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "mem.h"

struct sluice_worker_pool {
    pthread_t *threads;
    size_t n;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* a job was posted, or the pool is closing */
    pthread_cond_t idle; /* a worker finished the job */
    uint64_t job;        /* counts jobs posted; a worker runs each once */
    void (*fn)(void *arg);
    void *arg;
    size_t running;      /* workers still inside the current job */
    bool closing;
};

static void *worker_main(void *p)
{
    struct sluice_worker_pool *pool = p;
    uint64_t done = 0;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->closing && pool->job == done) pthread_cond_wait(&pool->wake, &pool->lock);
        if (pool->closing) break;
        done = pool->job;
        void (*fn)(void *) = pool->fn;
        void *arg = pool->arg;
        pthread_mutex_unlock(&pool->lock);
        fn(arg);
        pthread_mutex_lock(&pool->lock);
        if (--pool->running == 0) pthread_cond_signal(&pool->idle);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

struct sluice_worker_pool *sluice_worker_pool_new(size_t n)
{
    struct sluice_worker_pool *p = sluice_xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->idle, NULL);
    p->threads = sluice_xcalloc(n ? n : 1, sizeof *p->threads);
    for (; p->n < n; p->n++)
        if (pthread_create(&p->threads[p->n], NULL, worker_main, p) != 0) break;
    return p;
}

size_t sluice_worker_pool_size(const struct sluice_worker_pool *p)
{
    return p->n;
}

void sluice_worker_pool_start(struct sluice_worker_pool *p, void (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->arg = arg;
    p->running = p->n;
    p->job++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

void sluice_worker_pool_join(struct sluice_worker_pool *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->running) pthread_cond_wait(&p->idle, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

void sluice_worker_pool_free(struct sluice_worker_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->closing = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (size_t i = 0; i < p->n; i++) pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->idle);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
}
