/* The kafka source's offsets: Spark's JSON, where a batch ends, and the
 * per-trigger limits (maxOffsetsPerTrigger, minOffsetsPerTrigger with
 * maxTriggerDelay). See kafka_source.h. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_source.h"

#define EARLIEST -2
#define LATEST -1

void kafka_offsets_free(struct kafka_offsets *o)
{
    for (size_t i = 0; i < o->n; i++) free(o->v[i].topic);
    free(o->v);
    *o = (struct kafka_offsets){ 0 };
}

bool kafka_offsets_find(const struct kafka_offsets *o, const char *topic, int32_t partition, int64_t *out)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->v[i].partition == partition && strcmp(o->v[i].topic, topic) == 0) {
            *out = o->v[i].offset;
            return true;
        }
    return false;
}

void kafka_offsets_set(struct kafka_offsets *o, const char *topic, int32_t partition, int64_t offset)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->v[i].partition == partition && strcmp(o->v[i].topic, topic) == 0) {
            o->v[i].offset = offset;
            return;
        }
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 16;
        o->v = realloc(o->v, o->cap * sizeof *o->v);
    }
    o->v[o->n++] = (struct kafka_offset){ strdup(topic), partition, offset };
}

int kafka_offsets_parse(const struct kafka_source *s, const char *json, struct kafka_offsets *out,
                        struct sluice_error *err)
{
    *out = (struct kafka_offsets){ 0 };
    json_error_t je;
    json_t *root = json_loads(json, 0, &je);
    if (!json_is_object(root)) {
        json_decref(root);
        return s->host->error(err, SLUICE_EDATA, "not kafka offsets: '%s' (expected {\"topic\":{\"0\":42}})", json);
    }
    const char *topic;
    json_t *parts;
    json_object_foreach(root, topic, parts) {
        const char *p;
        json_t *off;
        if (!json_is_object(parts)) goto bad;
        json_object_foreach(parts, p, off) {
            char *end;
            long part = strtol(p, &end, 10);
            if (*end || part < 0 || part > INT32_MAX || !json_is_integer(off) || json_integer_value(off) < EARLIEST)
                goto bad;
            kafka_offsets_set(out, topic, (int32_t)part, json_integer_value(off));
        }
    }
    json_decref(root);
    return SLUICE_OK;
bad:
    json_decref(root);
    kafka_offsets_free(out);
    return s->host->error(err, SLUICE_EDATA, "not kafka offsets: '%s' (expected {\"topic\":{\"0\":42}})", json);
}

static int cmp_offset(const void *a, const void *b)
{
    const struct kafka_offset *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

void kafka_offsets_format(const struct kafka_offsets *o, struct sluice_buf *out)
{
    struct kafka_offset *v = malloc((o->n ? o->n : 1) * sizeof *v);
    if (o->n) { /* a member without partitions has none, and o->v is NULL */
        memcpy(v, o->v, o->n * sizeof *v);
        qsort(v, o->n, sizeof *v, cmp_offset);
    }
    sluice_buf_putc(out, '{');
    for (size_t i = 0; i < o->n; i++) {
        bool new_topic = i == 0 || strcmp(v[i].topic, v[i - 1].topic) != 0;
        if (new_topic) {
            if (i) sluice_buf_puts(out, "},");
            json_t *t = json_string(v[i].topic);
            char *q = json_dumps(t, JSON_ENCODE_ANY);
            sluice_buf_printf(out, "%s:{", q);
            free(q);
            json_decref(t);
        } else {
            sluice_buf_putc(out, ',');
        }
        sluice_buf_printf(out, "\"%" PRId32 "\":%" PRId64, v[i].partition, v[i].offset);
    }
    sluice_buf_puts(out, o->n ? "}}" : "}");
    free(v);
}

/* ---- where the next batch ends ------------------------------------------ */

int kafka_offsets_start(struct kafka_source *s, struct sluice_buf *out, struct sluice_error *err)
{
    const char *rule = s->conf->starting_offsets;
    struct kafka_offsets json = { 0 }, start = { 0 };
    int rc = rule[0] == '{' ? kafka_offsets_parse(s, rule, &json, err) : SLUICE_OK;
    for (size_t i = 0; i < s->n_tps && !rc; i++) {
        const struct kafka_tp *tp = &s->tps[i];
        int64_t o = strcmp(rule, "latest") == 0 ? LATEST : EARLIEST;
        /* A partition the JSON does not name starts at the earliest offset. */
        if (rule[0] == '{' && !kafka_offsets_find(&json, tp->topic, tp->partition, &o)) o = EARLIEST;
        kafka_offsets_set(&start, tp->topic, tp->partition, o == EARLIEST ? tp->low : o == LATEST ? tp->high : o);
    }
    if (!rc) kafka_offsets_format(&start, out);
    kafka_offsets_free(&json);
    kafka_offsets_free(&start);
    return rc;
}

/* Spark's KafkaMicroBatchStream.rateLimit: `limit` offsets shared among the
 * partitions in proportion to what each has, small ones not starved (a
 * share below one offset is rounded up). Spark's rounding can then go a
 * few offsets over the limit; here the largest shares give them back, so
 * a batch never holds more than `limit`. */
static void rate_limit(const struct kafka_source *s, int64_t limit, const int64_t *from, int64_t *until)
{
    double total = 0;
    for (size_t i = 0; i < s->n_tps; i++)
        if (until[i] > from[i]) total += (double)(until[i] - from[i]);
    if (total < 1) return;
    int64_t taken = 0;
    for (size_t i = 0; i < s->n_tps; i++) {
        if (until[i] <= from[i]) continue;
        double prorate = (double)limit * ((double)(until[i] - from[i]) / total);
        int64_t n = (int64_t)(prorate < 1 ? __builtin_ceil(prorate) : __builtin_floor(prorate));
        int64_t off = n > INT64_MAX - from[i] ? INT64_MAX : from[i] + n;
        if (off < until[i]) until[i] = off;
        taken += until[i] - from[i];
    }
    while (taken > limit) {
        size_t big = 0;
        for (size_t i = 1; i < s->n_tps; i++)
            if (until[i] - from[i] > until[big] - from[big]) big = i;
        until[big]--;
        taken--;
    }
}

int kafka_offsets_latest(struct kafka_source *s, const char *start, bool limited, struct sluice_buf *out,
                         struct sluice_error *err)
{
    const struct kafka_conf *c = s->conf;
    struct kafka_offsets committed = { 0 }, ending = { 0 };
    int rc = start ? kafka_offsets_parse(s, start, &committed, err) : SLUICE_OK;
    const struct kafka_offsets *base = start ? &committed : &s->initial;
    if (!rc && c->ending_offsets && c->ending_offsets[0] == '{') rc = kafka_offsets_parse(s, c->ending_offsets, &ending, err);
    int64_t *from = calloc(s->n_tps ? s->n_tps : 1, sizeof *from), *until = calloc(s->n_tps ? s->n_tps : 1, sizeof *until);
    int64_t available = 0;
    size_t entering = 0;
    for (size_t i = 0; i < s->n_tps && !rc; i++) {
        struct kafka_tp *tp = &s->tps[i];
        int64_t f;
        if (s->group && !tp->owned) continue; /* another member's */
        if (s->group && (tp->entering || !kafka_offsets_find(base, tp->topic, tp->partition, &f))) {
            /* Arrived in this member: it enters the offsets at its starting
             * point, read from the next batch on (kafka_group.c). */
            from[i] = until[i] = tp->entry == EARLIEST ? tp->low : tp->entry == LATEST ? tp->high : tp->entry;
            entering++;
            continue;
        }
        /* A partition that appeared since starts at its earliest offset (Spark). */
        if (!kafka_offsets_find(base, tp->topic, tp->partition, &f)) f = tp->low;
        if (f < tp->low) {
            /* Retention deleted what was to be read next. */
            if (c->fail_on_data_loss) {
                rc = s->host->error(err, SLUICE_EDATA,
                                    "partition %s-%" PRId32 ": offsets %" PRId64 " to %" PRId64
                                    " were deleted (retention) before they were read",
                                    tp->topic, tp->partition, f, tp->low - 1);
                s->host->error_hint(err, "set fail_on_data_loss = false to skip what was lost and go on");
                break;
            }
            if (tp->warned_low != tp->low)
                s->host->log(s->ctx, SLUICE_LOG_WARN, "partition %s-%" PRId32 ": offsets %" PRId64 " to %" PRId64
                             " were deleted before they were read: skipping them (fail_on_data_loss = false)",
                             tp->topic, tp->partition, f, tp->low - 1);
            tp->warned_low = tp->low;
            f = tp->low;
        }
        int64_t u = tp->high;
        int64_t cap;
        if (kafka_offsets_find(&ending, tp->topic, tp->partition, &cap) && cap >= 0 && cap < u) u = cap;
        if (u < f) u = f;
        from[i] = f;
        until[i] = u;
        available += u - f;
    }
    if (!rc && limited && c->min_offsets_per_trigger > 0 && available < c->min_offsets_per_trigger && start) {
        /* Wait for more, unless the longest wait has passed (Spark's maxTriggerDelay). */
        int64_t now = s->host->monotonic_us();
        if (!s->last_batch_us) s->last_batch_us = now;
        if (now - s->last_batch_us < c->max_trigger_delay_us) {
            for (size_t i = 0; i < s->n_tps; i++) until[i] = from[i];
            available = 0;
        }
    }
    if (!rc && limited && c->max_offsets_per_trigger > 0) rate_limit(s, c->max_offsets_per_trigger, from, until);
    if (!rc && (start || available > 0 || entering > 0)) {
        struct kafka_offsets end = { 0 };
        for (size_t i = 0; i < s->n_tps; i++)
            if (!s->group || s->tps[i].owned) kafka_offsets_set(&end, s->tps[i].topic, s->tps[i].partition, until[i]);
        /* Partitions that went away keep their offsets, as the committed JSON
         * had them; in a group they went to another member, which goes on
         * from the group's committed offsets. */
        int64_t ignored;
        for (size_t i = 0; i < committed.n && !s->group; i++)
            if (!kafka_offsets_find(&end, committed.v[i].topic, committed.v[i].partition, &ignored))
                kafka_offsets_set(&end, committed.v[i].topic, committed.v[i].partition, committed.v[i].offset);
        kafka_offsets_format(&end, out);
        kafka_offsets_free(&end);
    }
    free(from);
    free(until);
    kafka_offsets_free(&committed);
    kafka_offsets_free(&ending);
    return rc;
}
