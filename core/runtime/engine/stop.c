/* Stopping a run: a flag and a self-pipe. See stop.h. */
#define _GNU_SOURCE /* pipe2 */
#include "stop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "mem.h"

struct sluice_stop {
    atomic_int requested;
    int pipe[2];
};

struct sluice_stop *sluice_stop_new(void)
{
    struct sluice_stop *s = sluice_xcalloc(1, sizeof *s);
    if (pipe2(s->pipe, O_NONBLOCK | O_CLOEXEC) != 0) s->pipe[0] = s->pipe[1] = -1;
    return s;
}

void sluice_stop_free(struct sluice_stop *s)
{
    if (!s) return;
    if (s->pipe[0] >= 0) close(s->pipe[0]);
    if (s->pipe[1] >= 0) close(s->pipe[1]);
    free(s);
}

void sluice_stop_request(struct sluice_stop *s)
{
    int saved = errno; /* a signal handler must leave errno as it found it */
    atomic_store(&s->requested, 1);
    if (s->pipe[1] >= 0) {
        ssize_t n = write(s->pipe[1], "x", 1);
        (void)n; /* a full pipe: a wake-up is already pending */
    }
    errno = saved;
}

bool sluice_stop_requested(const struct sluice_stop *s)
{
    return atomic_load(&((struct sluice_stop *)s)->requested) != 0;
}

void sluice_stop_clear(struct sluice_stop *s)
{
    atomic_store(&s->requested, 0);
    char drain[64];
    while (s->pipe[0] >= 0 && read(s->pipe[0], drain, sizeof drain) > 0) {
    }
}

int sluice_stop_fd(const struct sluice_stop *s)
{
    return s->pipe[0];
}

void sluice_stop_sleep_until(const struct sluice_stop *s, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - sluice_monotonic_us();
        if (left <= 0 || sluice_stop_requested(s)) return;
        if (left > 50000) left = 50000;
        if (s->pipe[0] >= 0) {
            struct pollfd pfd = { s->pipe[0], POLLIN, 0 };
            poll(&pfd, 1, (int)((left + 999) / 1000));
        } else {
            struct timespec ts = { left / 1000000, (left % 1000000) * 1000 };
            nanosleep(&ts, NULL);
        }
    }
}
