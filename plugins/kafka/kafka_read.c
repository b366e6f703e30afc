/* Reading a topic-partition's range of offsets into batches, with the
 * simple consumer API: each partition has its own fetch queue, so the
 * workers read their partitions side by side from one client. A
 * partition keeps fetching between batches when the next batch starts
 * where this one ended (messages fetched beyond a batch's end wait in the
 * partition's slot), and is restarted at the offset otherwise (a replay).
 * See kafka_source.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_source.h"

#define ROWS_PER_EMIT 8192

static struct kafka_tp *tp_of(const struct kafka_source *s, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < s->n_tps; i++)
        if (s->tps[i].partition == partition && strcmp(s->tps[i].topic, topic) == 0) return &s->tps[i];
    return NULL;
}

int kafka_assign_plan(struct kafka_source *s, struct sluice_error *err)
{
    for (size_t i = 0; i < s->n_plan; i++) {
        const struct kafka_range *r = &s->plan[i];
        struct kafka_tp *tp = tp_of(s, r->topic, r->partition);
        if (!tp) return s->host->error(err, SLUICE_EINTERNAL, "partition %s-%d is not known", r->topic, r->partition);
        if (!tp->rkt) tp->rkt = rd_kafka_topic_new(s->rk, tp->topic, NULL);
        if (tp->started && tp->next == r->from) continue; /* fetching on from where it was */
        if (tp->started) {
            for (size_t k = 0; k < tp->n_held; k++) rd_kafka_message_destroy(tp->held[k]);
            tp->n_held = 0;
            rd_kafka_consume_stop(tp->rkt, tp->partition);
        }
        if (rd_kafka_consume_start(tp->rkt, tp->partition, r->from) != 0)
            return s->host->error(err, SLUICE_EIO, "cannot start reading %s-%" PRId32 " at offset %" PRId64 ": %s",
                                  tp->topic, tp->partition, r->from, rd_kafka_err2str(rd_kafka_last_error()));
        tp->started = true;
        tp->next = r->from;
    }
    return SLUICE_OK;
}

/* ---- rows ---- */

struct rows {
    const struct kafka_source *s;
    struct sluice_builder *b;       /* raw columns, or the Kafka columns kept beside a decoded value */
    struct sluice_buf values;       /* format set: the values as lines for the decoder */
    struct sluice_decoder *decoder;
    int64_t n;
};

static void append_text(const struct sluice_host *h, struct sluice_builder *b, const void *p, size_t n)
{
    if (p) h->append_string(b, p, n);
    else h->append_null(b);
}

/* One message into the columns the projection needs. */
static void add_message(struct rows *w, const rd_kafka_message_t *m)
{
    const struct kafka_source *s = w->s;
    const struct sluice_host *h = s->host;
    if (s->decode_value) {
        /* A value is one line for the decoder: line ends in it are JSON whitespace. */
        size_t at = w->values.len;
        sluice_buf_append(&w->values, m->payload ? m->payload : "", m->payload ? m->len : 0);
        for (size_t i = at; i < w->values.len; i++)
            if (w->values.data[i] == '\n' || w->values.data[i] == '\r') w->values.data[i] = ' ';
        if (w->values.len == at) sluice_buf_puts(&w->values, "{}"); /* an empty value still is a row */
        sluice_buf_putc(&w->values, '\n');
    }
    if (!w->b) {
        w->n++;
        return;
    }
    h->append_struct(w->b);
    if (s->col_key >= 0) append_text(h, h->builder_child(w->b, s->col_key), m->key, m->key_len);
    if (s->col_value >= 0) append_text(h, h->builder_child(w->b, s->col_value), m->payload, m->len);
    if (s->col_topic >= 0) {
        const char *t = rd_kafka_topic_name(m->rkt);
        h->append_string(h->builder_child(w->b, s->col_topic), t, strlen(t));
    }
    if (s->col_partition >= 0) h->append_long(h->builder_child(w->b, s->col_partition), m->partition);
    if (s->col_offset >= 0) h->append_long(h->builder_child(w->b, s->col_offset), m->offset);
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    if (s->col_timestamp >= 0) {
        if (ts >= 0) h->append_timestamp(h->builder_child(w->b, s->col_timestamp), ts * 1000);
        else h->append_null(h->builder_child(w->b, s->col_timestamp));
    }
    if (s->col_timestamp_type >= 0)
        h->append_long(h->builder_child(w->b, s->col_timestamp_type), tt == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? 1 : 0);
    if (s->col_headers >= 0) {
        struct sluice_builder *list = h->builder_child(w->b, s->col_headers);
        rd_kafka_headers_t *hdrs = NULL;
        if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR || !hdrs) {
            h->append_null(list);
        } else {
            struct sluice_builder *elem = h->builder_child(list, 0);
            h->begin_list(list);
            const char *name;
            const void *value;
            size_t size;
            for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
                h->append_struct(elem);
                h->append_string(h->builder_child(elem, 0), name, strlen(name));
                append_text(h, h->builder_child(elem, 1), value, size);
            }
            h->end_list(list);
        }
    }
    w->n++;
}

/* The rows gathered so far as a batch to emit. */
static int flush(struct rows *w, sluice_emit_fn emit, void *emit_arg, struct sluice_error *err)
{
    const struct kafka_source *s = w->s;
    const struct sluice_host *h = s->host;
    if (!w->n) return SLUICE_OK;
    struct sluice_batch out;
    if (!s->decode_value) {
        h->builder_finish(w->b, &out);
    } else {
        struct sluice_batch parsed = { 0 }, kept = { 0 };
        struct sluice_decode_stats stats = { 0 };
        struct sluice_decode_input in = { .data = w->values.data, .len = w->values.len, .origin = "kafka value",
                                          .first_line = 1 };
        int rc = h->decode(w->decoder, &in, &parsed, &stats, err);
        if (stats.malformed) h->count_malformed(s->ctx, stats.malformed);
        if (stats.invalid_utf8 && h->size > offsetof(struct sluice_host, count_invalid_utf8))
            h->count_invalid_utf8(s->ctx, stats.invalid_utf8);
        sluice_buf_clear(&w->values);
        if (w->b) h->builder_finish(w->b, &kept);
        if (rc) {
            sluice_batch_release(&kept);
            return rc;
        }
        /* drop_malformed drops rows: the Kafka columns then cannot be matched to them. */
        if (w->b && parsed.array.length != kept.array.length) {
            sluice_batch_release(&parsed);
            sluice_batch_release(&kept);
            return h->error(err, SLUICE_EDATA, "kafka_columns cannot be kept with mode drop_malformed");
        }
        if (!w->b) {
            out = parsed;
        } else {
            /* The schema's columns, then the Kafka ones. */
            int64_t np = parsed.array.n_children, nk = kept.array.n_children;
            struct ArrowArray *cols = calloc((size_t)(np + nk), sizeof *cols);
            for (int64_t i = 0; i < np; i++) sluice_array_move(&cols[i], parsed.array.children[i]);
            for (int64_t i = 0; i < nk; i++) sluice_array_move(&cols[np + i], kept.array.children[i]);
            h->batch_assemble(&out, h->output_schema(s->ctx), parsed.array.length, cols, np + nk);
            free(cols);
            sluice_batch_release(&parsed);
            sluice_batch_release(&kept);
        }
    }
    w->n = 0;
    return emit(emit_arg, &out, err);
}

/* ---- a range ---- */

int kafka_read_range(const struct kafka_source *s, const struct kafka_range *r, sluice_emit_fn emit, void *emit_arg,
                     struct sluice_error *err)
{
    const struct sluice_host *h = s->host;
    struct kafka_tp *tp = tp_of(s, r->topic, r->partition);
    struct rows w = { .s = s };
    if (s->decode_value) {
        int rc = h->decoder_new(&s->decode, &w.decoder, err);
        if (rc) return rc;
    }
    if (s->builder_schema) w.b = h->builder_new(s->builder_schema);
    rd_kafka_message_t *msgs[512];
    int rc = SLUICE_OK;
    int64_t deadline = h->monotonic_us() + s->conf->timeout_us;
    /* Messages fetched by the previous batch beyond its end come first. */
    size_t held = tp->n_held;
    tp->n_held = 0;
    for (size_t k = 0; k < held; k++) msgs[k] = tp->held[k];
    ssize_t got = (ssize_t)held;
    while (!rc && tp->next < r->to) {
        if (got == 0) {
            if (h->monotonic_us() > deadline) {
                rc = h->error(err, SLUICE_EIO, "reading %s-%" PRId32 ": nothing came for offsets %" PRId64 " to %" PRId64
                              " within %" PRId64 " s", r->topic, r->partition, tp->next, r->to - 1,
                              s->conf->timeout_us / 1000000);
                break;
            }
            got = rd_kafka_consume_batch(tp->rkt, tp->partition, 100, msgs, 512);
            if (got < 0) {
                rc = h->error(err, SLUICE_EIO, "reading %s-%" PRId32 ": %s", r->topic, r->partition,
                              rd_kafka_err2str(rd_kafka_last_error()));
                break;
            }
            continue;
        }
        for (ssize_t k = 0; k < got; k++) {
            rd_kafka_message_t *m = msgs[k];
            if (rc || tp->next >= r->to) {
                /* Beyond this batch: kept for the next one. */
                if (!rc && !m->err && tp->n_held < KAFKA_HELD_MAX) tp->held[tp->n_held++] = m;
                else rd_kafka_message_destroy(m);
                continue;
            }
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                /* Offsets up to the end of the range that never come (compaction,
                 * transaction markers) are done with once the partition's end is past them. */
                if (m->offset >= r->to) tp->next = r->to;
                rd_kafka_message_destroy(m);
                continue;
            }
            if (m->err) {
                if (m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE && !s->conf->fail_on_data_loss) {
                    h->log(s->ctx, SLUICE_LOG_WARN, "%s-%" PRId32 ": offset %" PRId64 " is gone (retention); skipping to what is left",
                           r->topic, r->partition, tp->next);
                } else {
                    rc = h->error(err, SLUICE_EDATA, "reading %s-%" PRId32 " at offset %" PRId64 ": %s", r->topic,
                                  r->partition, tp->next, rd_kafka_message_errstr(m));
                    if (m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)
                        h->error_hint(err, "the offsets were deleted (retention) before they were read; set "
                                           "fail_on_data_loss = false to skip them");
                }
                rd_kafka_message_destroy(m);
                continue;
            }
            if (m->offset >= tp->next) {
                add_message(&w, m);
                tp->next = m->offset + 1;
                deadline = h->monotonic_us() + s->conf->timeout_us;
            }
            rd_kafka_message_destroy(m);
            if (w.n == ROWS_PER_EMIT) rc = flush(&w, emit, emit_arg, err);
        }
        got = 0;
    }
    if (!rc) rc = flush(&w, emit, emit_arg, err);
    if (w.b) h->builder_free(w.b);
    sluice_buf_free(&w.values);
    if (w.decoder) h->decoder_free(w.decoder);
    return rc;
}
