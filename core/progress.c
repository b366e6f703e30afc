/* The ring of recent progress records. See progress.h. */
#include "progress.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "render.h"
#include "timefmt.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *ring[SLUICE_PROGRESS_KEEP];
static size_t head; /* the next slot to write */
static size_t count;

static void put_string(struct sluice_buf *out, const char *s)
{
    sluice_render_json_string(s ? s : "", s ? strlen(s) : 0, out);
}

/* A source's offset is JSON text by contract; one that is not is kept as
 * a string rather than corrupting the document. */
static void put_offset(struct sluice_buf *out, const char *offset)
{
    if (!offset) {
        sluice_buf_puts(out, "null");
        return;
    }
    json_t *j = json_loads(offset, JSON_DECODE_ANY, NULL);
    if (j) {
        sluice_buf_puts(out, offset);
        json_decref(j);
    } else {
        put_string(out, offset);
    }
}

void sluice_progress_record(const struct sluice_progress_batch *b)
{
    struct sluice_buf out = { 0 };
    char ts[40];
    sluice_time_format_iso(sluice_now_us() - b->duration_us, ts); /* when the batch started */
    sluice_buf_puts(&out, "{\"name\":");
    put_string(&out, b->query);
    sluice_buf_printf(&out, ",\"batchId\":%lld,\"timestamp\":\"%s\"", (long long)b->batch_id, ts);
    sluice_buf_printf(&out, ",\"durationMs\":{\"triggerExecution\":%lld}",
                      (long long)(b->duration_us / 1000));
    sluice_buf_puts(&out, ",\"sources\":[{\"description\":");
    put_string(&out, b->source);
    sluice_buf_puts(&out, ",\"endOffset\":");
    put_offset(&out, b->end_offset);
    sluice_buf_printf(&out, ",\"numMalformedRows\":%lld}]", (long long)b->malformed);
    sluice_buf_printf(&out, ",\"sink\":{\"numOutputRows\":%lld}}", (long long)b->sink_rows);

    pthread_mutex_lock(&lock);
    char *old = ring[head];
    ring[head] = out.data;
    head = (head + 1) % SLUICE_PROGRESS_KEEP;
    if (count < SLUICE_PROGRESS_KEEP) count++;
    pthread_mutex_unlock(&lock);
    free(old);
}

void sluice_progress_json(struct sluice_buf *out)
{
    /* Copy under the lock, format outside it: the main thread never waits
     * for a slow reader. */
    char *copy[SLUICE_PROGRESS_KEEP];
    pthread_mutex_lock(&lock);
    size_t n = count;
    size_t first = (head + SLUICE_PROGRESS_KEEP - count) % SLUICE_PROGRESS_KEEP;
    for (size_t i = 0; i < n; i++) copy[i] = sluice_xstrdup(ring[(first + i) % SLUICE_PROGRESS_KEEP]);
    pthread_mutex_unlock(&lock);
    sluice_buf_putc(out, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) sluice_buf_putc(out, ',');
        sluice_buf_puts(out, copy[i]);
        free(copy[i]);
    }
    sluice_buf_putc(out, ']');
}

void sluice_progress_reset(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < SLUICE_PROGRESS_KEEP; i++) {
        free(ring[i]);
        ring[i] = NULL;
    }
    head = count = 0;
    pthread_mutex_unlock(&lock);
}
