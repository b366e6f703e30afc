/* kafka (sink): Spark's Kafka sink on librdkafka.
 *
 *   { name = "out"; input = "covid"; sink = "kafka"; bootstrap_servers = "127.0.0.1:9092";
 *     topic = "covid"; key = "data.id"; value = "to_json(data)"; }
 *
 * Each row is one message: `value` and `key` are expressions (the value
 * defaults to the whole row as JSON, as the JSON sinks write it; no key by
 * default); the topic is the `topic` option, else the row's `topic` column;
 * the partition is the `partition` expression's value (Spark's partition
 * column), else the producer's partitioner places the key;
 * a `headers` column of array<struct<key, value>> becomes the message's
 * headers, as in Spark. Delivery: an idempotent producer (no duplicates
 * from the producer's own retries); a batch ends only when every message
 * is acknowledged, and a message that cannot be delivered fails the batch.
 * A crash between delivery and the checkpoint's commit replays the batch:
 * at least once, as Spark's Kafka sink. */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/plugin.h>

struct ksink_conf {
    const char *bootstrap_servers;
    const char *topic;
    const char *key;
    const char *value;
    const char *partition;
    struct sluice_strlist columns;
    bool ignore_null_fields;
    struct sluice_strlist kafka;
    int64_t timeout_us;
};

static const struct sluice_option ksink_options[] = {
    { .name = "bootstrap_servers", .type = SLUICE_OPT_STRING, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct ksink_conf, bootstrap_servers),
      .help = "brokers to connect to, host:port,... (Spark's kafka.bootstrap.servers)" },
    { .name = "topic", .type = SLUICE_OPT_STRING,
      .offset = offsetof(struct ksink_conf, topic),
      .help = "topic to write to; without it, each row's `topic` column" },
    { .name = "key", .type = SLUICE_OPT_EXPR,
      .offset = offsetof(struct ksink_conf, key),
      .help = "expression for the message key (a string); none by default" },
    { .name = "value", .type = SLUICE_OPT_EXPR,
      .offset = offsetof(struct ksink_conf, value),
      .help = "expression for the message value (a string); default: the row as JSON" },
    { .name = "partition", .type = SLUICE_OPT_EXPR,
      .offset = offsetof(struct ksink_conf, partition),
      .help = "expression for the message's partition (an integer; null: the partitioner's choice), "
              "e.g. \"pmod(xxhash64(lang), 6)\"" },
    { .name = "columns", .type = SLUICE_OPT_STRING_LIST, .default_value = "",
      .offset = offsetof(struct ksink_conf, columns),
      .help = "without value: the columns the row's JSON is read from, e.g. [\"data.lang\"]; the others are not "
              "read (so not parsed upstream) and are null; default: every column" },
    { .name = "ignore_null_fields", .type = SLUICE_OPT_BOOL, .default_value = "false",
      .offset = offsetof(struct ksink_conf, ignore_null_fields),
      .help = "without value: leave null fields out of the row's JSON (Spark's ignoreNullFields)" },
    { .name = "kafka", .type = SLUICE_OPT_STRING_LIST, .default_value = "",
      .offset = offsetof(struct ksink_conf, kafka),
      .help = "librdkafka properties as \"name=value\" (Spark's kafka.* options)" },
    { .name = "timeout", .type = SLUICE_OPT_DURATION, .default_value = "60 seconds",
      .offset = offsetof(struct ksink_conf, timeout_us),
      .help = "how long a batch waits for its messages to be acknowledged" },
    { 0 }
};

struct ksink {
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    const struct ksink_conf *conf;
    rd_kafka_t *rk;
    struct sluice_expr *key, *value, *partition;
    int64_t topic_col, headers_col; /* input columns, or -1 */
    int64_t batch_id;
    atomic_int_least64_t failed;    /* delivery failures of this batch */
    char first_failure[256];
    rd_kafka_resp_err_t first_err;
    char failed_topic[256];
    int32_t failed_partition;
    struct sluice_buf scratch;
};

/* Delivery reports come on the thread that polls (write and end). */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct ksink *k = opaque;
    if (!m->err) return;
    if (atomic_fetch_add(&k->failed, 1) == 0) {
        snprintf(k->first_failure, sizeof k->first_failure, "%s", rd_kafka_err2str(m->err));
        snprintf(k->failed_topic, sizeof k->failed_topic, "%s", rd_kafka_topic_name(m->rkt));
        k->first_err = m->err;
        k->failed_partition = m->partition;
    }
}

static int64_t column(const struct ArrowSchema *s, const char *name, const char *format)
{
    for (int64_t i = 0; i < s->n_children; i++)
        if (strcmp(s->children[i]->name, name) == 0 && (!format || strcmp(s->children[i]->format, format) == 0)) return i;
    return -1;
}

/* Compile option `option`'s expression, whose result must have `format`. */
static int compile(struct ksink *k, const char *option, const char *text, const char *format,
                   struct sluice_expr **out, struct sluice_error *err)
{
    const struct sluice_host *h = k->host;
    const struct ArrowSchema *in = h->input_schema(k->ctx);
    int rc = h->expr_compile(in, text, out, err);
    if (!rc && strcmp(h->expr_result(*out)->format, format) != 0) {
        rc = strcmp(format, SLUICE_FORMAT_STRING) == 0
                 ? h->error(err, SLUICE_ECONFIG, "%s must be a string expression; use CAST(... AS STRING) or "
                            "to_json(...)", option)
                 : h->error(err, SLUICE_ECONFIG, "%s must be an integer expression, such as "
                            "pmod(xxhash64(key), 6)", option);
    }
    const char *const *paths;
    size_t n = rc ? 0 : h->expr_columns(*out, &paths);
    for (size_t i = 0; i < n && !rc; i++) rc = h->use_column(k->ctx, paths[i], err);
    if (rc && err) snprintf(err->key, sizeof err->key, "%s", option);
    return rc;
}

static int ksink_open(const struct sluice_host *host, const void *conf, struct sluice_ctx *ctx, void **state,
                      struct sluice_error *err)
{
    const struct ksink_conf *c = conf;
    struct ksink *k = calloc(1, sizeof *k);
    if (!k) return host->error(err, SLUICE_ENOMEM, "out of memory");
    k->host = host;
    k->ctx = ctx;
    k->conf = c;
    const struct ArrowSchema *in = host->input_schema(ctx);
    k->topic_col = column(in, "topic", SLUICE_FORMAT_STRING);
    k->headers_col = column(in, "headers", NULL);
    int rc = SLUICE_OK;
    if (!c->topic && k->topic_col < 0) {
        rc = host->error(err, SLUICE_ECONFIG, "no topic: set `topic`, or give the rows a string column `topic`");
    }
    if (!rc && c->key) rc = compile(k, "key", c->key, SLUICE_FORMAT_STRING, &k->key, err);
    if (!rc && c->value) rc = compile(k, "value", c->value, SLUICE_FORMAT_STRING, &k->value, err);
    if (!rc && c->partition) rc = compile(k, "partition", c->partition, SLUICE_FORMAT_LONG, &k->partition, err);
    if (!rc && !c->value && !c->columns.n) host->use_all_columns(ctx);
    for (size_t i = 0; !rc && !c->value && i < c->columns.n; i++) {
        rc = host->use_column(ctx, c->columns.items[i], err);
        if (rc && err) snprintf(err->key, sizeof err->key, "columns");
    }
    if (!rc && k->topic_col >= 0 && !c->topic) rc = host->use_column(ctx, "topic", err);
    if (!rc && k->headers_col >= 0) rc = host->use_column(ctx, "headers", err);
    char msg[512];
    rd_kafka_conf_t *kc = rc ? NULL : rd_kafka_conf_new();
    const char *defaults[][2] = { { "bootstrap.servers", c->bootstrap_servers }, { "enable.idempotence", "true" },
                                  { "linger.ms", "5" }, { "log_level", "3" } };
    for (size_t i = 0; kc && !rc && i < sizeof defaults / sizeof defaults[0]; i++)
        if (rd_kafka_conf_set(kc, defaults[i][0], defaults[i][1], msg, sizeof msg) != RD_KAFKA_CONF_OK)
            rc = host->error(err, SLUICE_ECONFIG, "kafka: %s", msg);
    for (size_t i = 0; kc && !rc && i < c->kafka.n; i++) {
        const char *p = c->kafka.items[i], *eq = strchr(p, '=');
        char name[256];
        if (!eq || eq == p) {
            rc = host->error(err, SLUICE_ECONFIG, "kafka: expected \"name=value\", got '%s'", p);
            break;
        }
        snprintf(name, sizeof name, "%.*s", (int)(eq - p), p);
        if (rd_kafka_conf_set(kc, name, eq + 1, msg, sizeof msg) != RD_KAFKA_CONF_OK)
            rc = host->error(err, SLUICE_ECONFIG, "kafka: %s", msg);
    }
    if (kc && !rc) {
        rd_kafka_conf_set_dr_msg_cb(kc, on_delivery);
        rd_kafka_conf_set_opaque(kc, k);
        /* The producer connects in the background; nothing is sent by `sluice check`. */
        k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, msg, sizeof msg);
        kc = NULL;
        if (!k->rk) rc = host->error(err, SLUICE_EIO, "cannot make a Kafka producer: %s", msg);
    }
    if (kc) rd_kafka_conf_destroy(kc);
    if (rc) {
        if (k->key) host->expr_free(k->key);
        if (k->value) host->expr_free(k->value);
        if (k->partition) host->expr_free(k->partition);
        free(k);
        return rc;
    }
    *state = k;
    return SLUICE_OK;
}

static void ksink_close(void *state)
{
    struct ksink *k = state;
    if (k->rk) {
        rd_kafka_flush(k->rk, (int)(k->conf->timeout_us / 1000));
        rd_kafka_destroy(k->rk);
    }
    if (k->key) k->host->expr_free(k->key);
    if (k->value) k->host->expr_free(k->value);
    if (k->partition) k->host->expr_free(k->partition);
    sluice_buf_free(&k->scratch);
    free(k);
}

static int ksink_begin(void *state, int64_t batch_id, uint32_t mode, struct sluice_error *err)
{
    struct ksink *k = state;
    k->batch_id = batch_id;
    atomic_store(&k->failed, 0);
    return SLUICE_OK;
}

/* The string at logical index i of `a` (i counts from a->offset); NULL when null. */
static const char *string_at(const struct ArrowArray *a, int64_t i, size_t *len)
{
    int64_t slot = a->offset + i;
    if (a->null_count && a->buffers[0] && !sluice_bit_get(a->buffers[0], slot)) return NULL;
    const int32_t *offs = a->buffers[1];
    *len = (size_t)(offs[slot + 1] - offs[slot]);
    return (const char *)a->buffers[2] + offs[slot];
}

/* The row's headers column, as librdkafka headers (NULL when none). */
static rd_kafka_headers_t *headers_of(const struct sluice_batch *b, int64_t col, int64_t row)
{
    const struct ArrowArray *list = b->array.children[col];
    int64_t slot = list->offset + b->array.offset + row;
    if (list->null_count && list->buffers[0] && !sluice_bit_get(list->buffers[0], slot)) return NULL;
    const int32_t *lo = list->buffers[1];
    const struct ArrowArray *items = list->children[0];
    if (items->n_children < 2) return NULL;
    rd_kafka_headers_t *hs = rd_kafka_headers_new((size_t)(lo[slot + 1] - lo[slot]));
    for (int32_t i = lo[slot]; i < lo[slot + 1]; i++) {
        size_t kl = 0, vl = 0;
        const char *key = string_at(items->children[0], items->offset + i, &kl);
        const char *val = string_at(items->children[1], items->offset + i, &vl);
        if (key) rd_kafka_header_add(hs, key, (ssize_t)kl, val, val ? (ssize_t)vl : 0);
    }
    return hs;
}

/* How many partitions `topic` has, or -1 when the brokers do not say. */
static int partition_count(struct ksink *k, const char *topic)
{
    rd_kafka_topic_t *t = rd_kafka_topic_new(k->rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    int n = -1;
    if (t && rd_kafka_metadata(k->rk, 0, t, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 &&
        !md->topics[0].err)
        n = md->topics[0].partition_cnt;
    if (md) rd_kafka_metadata_destroy(md);
    if (t) rd_kafka_topic_destroy(t);
    return n;
}

static int no_partition(struct ksink *k, const char *topic, int32_t partition, struct sluice_error *err)
{
    int rc = k->host->error(err, SLUICE_EDATA, "topic '%s' has no partition %" PRId32 " (it has %d)", topic, partition,
                            partition_count(k, topic));
    k->host->error_hint(err, "a `partition` expression gives 0 to the topic's partitions - 1: create the topic with "
                             "as many partitions as it places rows in");
    return rc;
}

static int produce(struct ksink *k, const char *topic, int32_t partition, const char *key, size_t kl,
                   const void *val, size_t vl, rd_kafka_headers_t *hs, struct sluice_error *err)
{
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            k->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(key, kl), RD_KAFKA_V_VALUE((void *)val, vl), RD_KAFKA_V_HEADERS(hs), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) return SLUICE_OK;
        if (e == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
            if (hs) rd_kafka_headers_destroy(hs);
            return no_partition(k, topic, partition, err);
        }
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            if (hs) rd_kafka_headers_destroy(hs);
            return k->host->error(err, SLUICE_EIO, "cannot send to topic '%s': %s", topic, rd_kafka_err2str(e));
        }
        rd_kafka_poll(k->rk, 50); /* the local queue is full: let deliveries drain it */
    }
}

static int ksink_write(void *state, struct sluice_batch *batch, struct sluice_error *err)
{
    struct ksink *k = state;
    const struct sluice_host *h = k->host;
    struct ArrowArray keys = { 0 }, values = { 0 }, parts = { 0 };
    int rc = k->key ? h->expr_eval(k->key, batch, &keys, err) : SLUICE_OK;
    if (!rc && k->value) rc = h->expr_eval(k->value, batch, &values, err);
    if (!rc && k->partition) rc = h->expr_eval(k->partition, batch, &parts, err);
    int64_t n = sluice_batch_rows(batch);
    for (int64_t r = 0; r < n && !rc; r++) {
        const char *topic = k->conf->topic;
        size_t tl = 0, kl = 0, vl = 0;
        if (!topic) {
            const char *t = string_at(batch->array.children[k->topic_col], batch->array.offset + r, &tl);
            if (!t) {
                rc = h->error(err, SLUICE_EDATA, "a row has a null topic and the sink has no `topic` option");
                break;
            }
            sluice_buf_clear(&k->scratch);
            sluice_buf_append(&k->scratch, t, tl);
            sluice_buf_putc(&k->scratch, '\0');
            topic = k->scratch.data;
        }
        const char *key = k->key ? string_at(&keys, r, &kl) : NULL;
        const char *val;
        struct sluice_buf json = { 0 };
        if (k->value) {
            val = string_at(&values, r, &vl);
        } else {
            if (k->conf->ignore_null_fields && SLUICE_HOST_HAS(h, render_row_json_nonnull))
                h->render_row_json_nonnull(batch, r, &json);
            else
                h->render_row_json(batch, r, &json);
            val = json.data;
            vl = json.len;
        }
        rd_kafka_headers_t *hs = k->headers_col >= 0 ? headers_of(batch, k->headers_col, r) : NULL;
        int32_t partition = RD_KAFKA_PARTITION_UA;
        if (k->partition && (!parts.null_count || sluice_bit_get(parts.buffers[0], parts.offset + r))) {
            int64_t p = sluice_get_long(&parts, parts.offset + r);
            if (p < 0 || p > INT32_MAX) {
                if (hs) rd_kafka_headers_destroy(hs);
                sluice_buf_free(&json);
                rc = h->error(err, SLUICE_EDATA, "the partition expression gave %" PRId64 ", not a partition", p);
                break;
            }
            partition = (int32_t)p;
        }
        rc = produce(k, topic, partition, key, kl, val, vl, hs, err);
        sluice_buf_free(&json);
    }
    rd_kafka_poll(k->rk, 0);
    if (keys.release) keys.release(&keys);
    if (values.release) values.release(&values);
    if (parts.release) parts.release(&parts);
    sluice_batch_release(batch);
    return rc;
}

static int ksink_end(void *state, int64_t batch_id, struct sluice_error *err)
{
    struct ksink *k = state;
    rd_kafka_resp_err_t e = rd_kafka_flush(k->rk, (int)(k->conf->timeout_us / 1000));
    int64_t failed = atomic_load(&k->failed);
    if (failed && k->first_err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
        return no_partition(k, k->failed_topic, k->failed_partition, err);
    if (failed)
        return k->host->error(err, SLUICE_EIO, "%" PRId64 " messages of batch %" PRId64 " were not delivered: %s", failed,
                              batch_id, k->first_failure);
    if (e)
        return k->host->error(err, SLUICE_EIO, "batch %" PRId64 ": messages still unacknowledged after %" PRId64 " s: %s",
                              batch_id, k->conf->timeout_us / 1000000, rd_kafka_err2str(e));
    return SLUICE_OK;
}

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_SINK,
        .name = "kafka",
        .summary = "rows to a Kafka topic, as Spark's Kafka sink (idempotent producer, at least once)",
        .options = ksink_options,
        .conf_size = sizeof(struct ksink_conf),
        .modes = SLUICE_MODE_APPEND | SLUICE_MODE_UPDATE | SLUICE_MODE_COMPLETE,
        .open = ksink_open,
        .close = ksink_close,
        .begin = ksink_begin,
        .write = ksink_write,
        .end = ksink_end,
    };
    return &p;
}
