/* kafka: Spark's Kafka source on librdkafka.
 *
 *   { name = "tweets"; source = "kafka"; bootstrap_servers = "127.0.0.1:9092";
 *     subscribe = ["tweets"]; starting_offsets = "earliest";
 *     format = "json"; schema = "@configs/schemas/tweet.json"; }
 *
 * Columns as Spark's: key, value, topic, partition, offset, timestamp,
 * timestampType (and headers with include_headers); key and value are
 * strings here (Spark's binary: CAST(value AS STRING) works as in Spark).
 * With `format` and `schema`, `value` is parsed by the host's decoder (the
 * file source's parse modes, projection and speed) and the columns are the
 * schema's, plus the Kafka columns named in kafka_columns.
 *
 * Offsets are Spark's JSON {"topic":{"0":42}}: the next offset of each
 * partition. A batch reads each partition's range [start, end), so a
 * replay after a restart reads exactly what the batch planned (offsets in
 * the checkpoint, never the group's). The first batch's start is kept in
 * the checkpoint (metadata entry 0) so that "latest" means the same after
 * a crash. Each partition of a batch is a unit, read by a worker thread.
 * With runtime.group the source is one member of a Kafka consumer group
 * and reads the partitions the group assigns it (kafka_group.c).
 * See kafka_offsets.c (limits, data loss) and kafka_read.c (reading). */
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_source.h"

/* ---- configuration ---- */

static const struct sluice_option kafka_options[] = {
    { .name = "bootstrap_servers", .type = SLUICE_OPT_STRING, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct kafka_conf, bootstrap_servers),
      .help = "brokers to connect to, host:port,... (Spark's kafka.bootstrap.servers)" },
    { .name = "subscribe", .type = SLUICE_OPT_STRING_LIST, .default_value = "",
      .offset = offsetof(struct kafka_conf, subscribe),
      .help = "topics to read (one of subscribe, subscribe_pattern, assign)" },
    { .name = "subscribe_pattern", .type = SLUICE_OPT_STRING,
      .offset = offsetof(struct kafka_conf, subscribe_pattern),
      .help = "a regular expression: every topic it matches (POSIX extended)" },
    { .name = "assign", .type = SLUICE_OPT_STRING,
      .offset = offsetof(struct kafka_conf, assign),
      .help = "partitions to read, as JSON: {\"topic\":[0,1]}" },
    { .name = "starting_offsets", .type = SLUICE_OPT_STRING, .default_value = "latest",
      .offset = offsetof(struct kafka_conf, starting_offsets),
      .help = "where a new query starts: earliest, latest or {\"topic\":{\"0\":42}} (-2 earliest, -1 latest)" },
    { .name = "ending_offsets", .type = SLUICE_OPT_STRING, .default_value = "latest",
      .offset = offsetof(struct kafka_conf, ending_offsets),
      .help = "where reading stops (for available_now): latest or {\"topic\":{\"0\":42}}" },
    { .name = "max_offsets_per_trigger", .type = SLUICE_OPT_LONG, .default_value = "0",
      .offset = offsetof(struct kafka_conf, max_offsets_per_trigger),
      .help = "most offsets per batch, shared by the partitions; 0: no limit", .min = "0" },
    { .name = "min_offsets_per_trigger", .type = SLUICE_OPT_LONG, .default_value = "0",
      .offset = offsetof(struct kafka_conf, min_offsets_per_trigger),
      .help = "fewest offsets to start a batch for (see max_trigger_delay)", .min = "0" },
    { .name = "max_trigger_delay", .type = SLUICE_OPT_DURATION, .default_value = "15 minutes",
      .offset = offsetof(struct kafka_conf, max_trigger_delay_us),
      .help = "with min_offsets_per_trigger: the longest a batch waits for that many" },
    { .name = "fail_on_data_loss", .type = SLUICE_OPT_BOOL, .default_value = "true",
      .offset = offsetof(struct kafka_conf, fail_on_data_loss),
      .help = "offsets deleted before they were read stop the query; false: warn and skip them" },
    { .name = "include_headers", .type = SLUICE_OPT_BOOL, .default_value = "false",
      .offset = offsetof(struct kafka_conf, include_headers),
      .help = "add the headers column, array<struct<key, value>>" },
    { .name = "format", .type = SLUICE_OPT_ENUM, .default_value = "raw",
      .offset = offsetof(struct kafka_conf, format),
      .help = "raw: Spark's Kafka columns; json or csv: parse value with `schema`",
      .choices = "raw|json|csv" },
    { .name = "schema", .type = SLUICE_OPT_SCHEMA,
      .offset = offsetof(struct kafka_conf, schema),
      .help = "with format: the schema of value" },
    { .name = "mode", .type = SLUICE_OPT_ENUM, .default_value = "permissive",
      .offset = offsetof(struct kafka_conf, mode),
      .help = "with format: malformed values, as the file source",
      .choices = "permissive|drop_malformed|fail_fast" },
    { .name = "column_name_of_corrupt_record", .type = SLUICE_OPT_STRING, .default_value = "_corrupt_record",
      .offset = offsetof(struct kafka_conf, corrupt_column),
      .help = "with format: the column for malformed values" },
    { .name = "kafka_columns", .type = SLUICE_OPT_STRING_LIST, .default_value = "",
      .offset = offsetof(struct kafka_conf, kafka_columns),
      .help = "with format: Kafka columns added after the schema's (key, topic, partition, offset, timestamp, ...)" },
    { .name = "kafka", .type = SLUICE_OPT_STRING_LIST, .default_value = "",
      .offset = offsetof(struct kafka_conf, kafka),
      .help = "librdkafka properties as \"name=value\" (Spark's kafka.* options: security, SASL, TLS)" },
    { .name = "timeout", .type = SLUICE_OPT_DURATION, .default_value = "60 seconds",
      .offset = offsetof(struct kafka_conf, timeout_us),
      .help = "how long to wait for the brokers before giving up" },
    { 0 }
};

/* Spark's Kafka columns, in its order. */
static const char *const raw_names[] = { "key", "value", "topic", "partition", "offset", "timestamp", "timestampType",
                                         "headers" };
static const char *const raw_ddl[] = { "STRING", "STRING", "STRING", "LONG", "LONG", "TIMESTAMP", "LONG",
                                       "ARRAY<STRUCT<key: STRING, value: STRING>>" };
#define N_RAW 8

/* librdkafka properties the source sets itself, as Spark refuses them. */
static const char *const reserved[] = { "enable.auto.commit", "auto.offset.reset", "key.deserializer",
                                        "value.deserializer", "enable.partition.eof", "bootstrap.servers" };

/* ---- opening ---- */

static int *raw_slot(struct kafka_source *s, int k)
{
    int *slots[N_RAW] = { &s->col_key, &s->col_value, &s->col_topic, &s->col_partition, &s->col_offset,
                          &s->col_timestamp, &s->col_timestamp_type, &s->col_headers };
    return slots[k];
}

static int raw_index(const char *name)
{
    for (int k = 0; k < N_RAW; k++)
        if (strcmp(name, raw_names[k]) == 0) return k;
    return -1;
}

/* The DDL of the output: the raw columns, or the schema's plus kafka_columns. */
static int build_schema(struct kafka_source *s, struct ArrowSchema *out, struct sluice_error *err)
{
    const struct kafka_conf *c = s->conf;
    const struct sluice_host *h = s->host;
    for (int k = 0; k < N_RAW; k++) *raw_slot(s, k) = -1;
    struct sluice_buf ddl = { 0 };
    sluice_buf_puts(&ddl, "");
    int n = 0;
    if (!s->decode_value) {
        for (int k = 0; k < N_RAW; k++) {
            if (k == 7 && !c->include_headers) continue;
            sluice_buf_printf(&ddl, "%s`%s` %s", n ? ", " : "", raw_names[k], raw_ddl[k]);
            *raw_slot(s, k) = n++;
        }
    } else {
        for (size_t i = 0; i < c->kafka_columns.n; i++) {
            const char *name = c->kafka_columns.items[i];
            int k = raw_index(name);
            if (k < 0 || (k == 7 && !c->include_headers)) {
                sluice_buf_free(&ddl);
                int rc = h->error(err, SLUICE_ECONFIG, "kafka_columns: no Kafka column '%s'", name);
                h->error_hint(err, "the Kafka columns are key, value, topic, partition, offset, timestamp, timestampType "
                                   "and, with include_headers, headers");
                return rc;
            }
            for (int64_t j = 0; j < c->schema->n_children; j++)
                if (strcmp(c->schema->children[j]->name, name) == 0) {
                    sluice_buf_free(&ddl);
                    return h->error(err, SLUICE_ECONFIG, "kafka_columns: '%s' is also a column of the schema", name);
                }
            sluice_buf_printf(&ddl, "%s`%s` %s", n ? ", " : "", name, raw_ddl[k]);
            *raw_slot(s, k) = n++;
        }
    }
    int rc = SLUICE_OK;
    if (n) {
        rc = h->schema_parse(ddl.data, &s->kept_schema, err);
        if (!rc) s->builder_schema = &s->kept_schema;
    }
    sluice_buf_free(&ddl);
    if (rc) return rc;
    if (!s->decode_value) {
        h->schema_copy(&s->kept_schema, out);
        return SLUICE_OK;
    }
    /* The schema's columns, then the kept Kafka ones. */
    int64_t np = c->schema->n_children, nk = n ? s->kept_schema.n_children : 0;
    h->schema_init(out, "+s", "", false, np + nk);
    for (int64_t i = 0; i < np; i++) h->schema_copy(c->schema->children[i], out->children[i]);
    for (int64_t i = 0; i < nk; i++) h->schema_copy(s->kept_schema.children[i], out->children[np + i]);
    return SLUICE_OK;
}

static void kafka_close(void *state);

static int kafka_open(const struct sluice_host *host, const void *conf, struct sluice_ctx *ctx, void **state,
                      struct sluice_error *err)
{
    const struct kafka_conf *c = conf;
    int ways = (c->subscribe.n > 0) + (c->subscribe_pattern != NULL) + (c->assign != NULL);
    if (ways != 1) {
        int rc = host->error(err, SLUICE_ECONFIG, "give exactly one of subscribe, subscribe_pattern and assign (%d given)", ways);
        host->error_hint(err, "e.g. subscribe = [\"tweets\"];");
        return rc;
    }
    if (strcmp(c->format, "raw") != 0 && !c->schema)
        return host->error(err, SLUICE_ECONFIG, "format '%s' needs a schema for the value", c->format);
    if (strcmp(c->format, "raw") == 0 && (c->schema || c->kafka_columns.n))
        return host->error(err, SLUICE_ECONFIG, "schema and kafka_columns go with format = \"json\" or \"csv\"");
    const char *so = c->starting_offsets;
    if (strcmp(so, "earliest") != 0 && strcmp(so, "latest") != 0 && so[0] != '{')
        return host->error(err, SLUICE_ECONFIG, "starting_offsets must be earliest, latest or JSON, got '%s'", so);
    if (strcmp(c->ending_offsets, "latest") != 0 && c->ending_offsets[0] != '{')
        return host->error(err, SLUICE_ECONFIG, "ending_offsets must be latest or JSON, got '%s'", c->ending_offsets);
    if (c->subscribe_pattern) {
        regex_t re;
        if (regcomp(&re, c->subscribe_pattern, REG_EXTENDED | REG_NOSUB) != 0)
            return host->error(err, SLUICE_ECONFIG, "subscribe_pattern '%s' is not a regular expression", c->subscribe_pattern);
        regfree(&re);
    }
    for (size_t i = 0; i < c->kafka.n; i++) {
        const char *p = c->kafka.items[i], *eq = strchr(p, '=');
        if (!eq || eq == p) return host->error(err, SLUICE_ECONFIG, "kafka: expected \"name=value\", got '%s'", p);
        for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
            if (strlen(reserved[k]) == (size_t)(eq - p) && strncmp(p, reserved[k], (size_t)(eq - p)) == 0)
                return host->error(err, SLUICE_ECONFIG, "kafka: '%s' is set by the source itself", reserved[k]);
    }
    struct kafka_source *s = calloc(1, sizeof *s);
    if (!s) return host->error(err, SLUICE_ENOMEM, "out of memory");
    s->host = host;
    s->ctx = ctx;
    s->conf = c;
    s->decode_value = strcmp(c->format, "raw") != 0;
    struct ArrowSchema out;
    int rc = build_schema(s, &out, err);
    if (!rc) rc = host->set_output_schema(ctx, &out, err);
    if (rc) {
        if (s->kept_schema.release) s->kept_schema.release(&s->kept_schema);
        free(s);
        return rc;
    }
    const char *member = NULL, *group = SLUICE_HOST_HAS(host, group_join) ? host->group_join(ctx, &member) : NULL;
    if (group && (rc = kafka_group_open(s, group, member, err))) {
        kafka_close(s);
        return rc;
    }
    *state = s;
    return SLUICE_OK;
}

static void kafka_close(void *state)
{
    struct kafka_source *s = state;
    kafka_group_close(s);
    for (size_t i = 0; i < s->n_tps; i++) {
        struct kafka_tp *tp = &s->tps[i];
        for (size_t k = 0; k < tp->n_held; k++) rd_kafka_message_destroy(tp->held[k]);
        if (tp->started) rd_kafka_consume_stop(tp->rkt, tp->partition);
        if (tp->rkt) rd_kafka_topic_destroy(tp->rkt);
        free(tp->topic);
    }
    free(s->tps);
    if (s->rk) rd_kafka_destroy(s->rk);
    free(s->plan);
    free(s->value_paths);
    kafka_offsets_free(&s->initial);
    if (s->kept_schema.release) s->kept_schema.release(&s->kept_schema);
    free(s);
}

/* Whether projection path `p` is a column of kafka_columns (or inside one). */
static bool kafka_column_path(const struct kafka_conf *c, const char *p)
{
    for (size_t i = 0; i < c->kafka_columns.n; i++) {
        size_t n = strlen(c->kafka_columns.items[i]);
        if (strncmp(p, c->kafka_columns.items[i], n) == 0 && (p[n] == '\0' || p[n] == '.')) return true;
    }
    return false;
}

static int kafka_prepare(void *state, const struct sluice_projection *projection, struct sluice_error *err)
{
    struct kafka_source *s = state;
    if (s->decode_value && projection && !projection->all && s->conf->kafka_columns.n) {
        free(s->value_paths);
        s->value_paths = calloc(projection->n_paths + 1, sizeof *s->value_paths);
        if (!s->value_paths) return s->host->error(err, SLUICE_ENOMEM, "out of memory");
        size_t n = 0;
        for (size_t i = 0; i < projection->n_paths; i++)
            if (!kafka_column_path(s->conf, projection->paths[i])) s->value_paths[n++] = projection->paths[i];
        s->value_projection = (struct sluice_projection){ false, n, s->value_paths };
        projection = &s->value_projection;
    }
    if (s->decode_value) {
        s->decode = (struct sluice_decode_opts){
            .size = sizeof s->decode, .format = s->conf->format, .schema = s->conf->schema, .projection = projection,
            .mode = strcmp(s->conf->mode, "fail_fast") == 0        ? SLUICE_PARSE_FAIL_FAST
                    : strcmp(s->conf->mode, "drop_malformed") == 0 ? SLUICE_PARSE_DROP_MALFORMED
                                                                   : SLUICE_PARSE_PERMISSIVE,
            .corrupt_column = s->conf->corrupt_column, .stats_size = sizeof(struct sluice_decode_stats) };
    }
    return SLUICE_OK; /* connecting waits for the run: `sluice check` calls prepare too */
}

/* ---- the client and the partitions ---- */

static int make_client(struct kafka_source *s, struct sluice_error *err)
{
    const struct kafka_conf *c = s->conf;
    char msg[512];
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    struct { const char *k, *v; } defaults[] = {
        { "bootstrap.servers", c->bootstrap_servers }, { "enable.auto.commit", "false" },
        { "enable.auto.offset.store", "false" },       { "enable.partition.eof", "true" },
        { "auto.offset.reset", "error" },             { "fetch.wait.max.ms", "100" },
        /* Each partition read has a fetch queue of its own, and this limit is
         * per queue: librdkafka's default (64 MiB) would let a topic of many
         * partitions fill the memory. The message count stays librdkafka's:
         * a low one (1000 was tried) starves a partition of small messages,
         * each fetch refilling so little that reading waits on the broker
         * (100,000 messages of 60 bytes: 6.1 s against 0.17 s). */
        { "queued.max.messages.kbytes", "1024" },      { "queued.min.messages", "100000" },
        { "log_level", "3" },
    };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (rd_kafka_conf_set(kc, defaults[i].k, defaults[i].v, msg, sizeof msg) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(kc);
            return s->host->error(err, SLUICE_ECONFIG, "kafka: %s", msg);
        }
    for (size_t i = 0; i < c->kafka.n; i++) {
        const char *p = c->kafka.items[i], *eq = strchr(p, '=');
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(eq - p), p);
        if (rd_kafka_conf_set(kc, name, eq + 1, msg, sizeof msg) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(kc);
            return s->host->error(err, SLUICE_ECONFIG, "kafka: %s", msg);
        }
    }
    s->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, msg, sizeof msg);
    if (!s->rk) return s->host->error(err, SLUICE_EIO, "cannot make a Kafka client: %s", msg);
    return SLUICE_OK;
}

struct kafka_tp *kafka_add_tp(struct kafka_source *s, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < s->n_tps; i++)
        if (s->tps[i].partition == partition && strcmp(s->tps[i].topic, topic) == 0) return &s->tps[i];
    struct kafka_tp *grown = realloc(s->tps, (s->n_tps + 1) * sizeof *grown);
    if (!grown) return NULL;
    s->tps = grown;
    s->tps[s->n_tps] = (struct kafka_tp){ .topic = strdup(topic), .partition = partition };
    return &s->tps[s->n_tps++];
}

static bool wanted(const struct kafka_source *s, const char *topic, const regex_t *re)
{
    const struct kafka_conf *c = s->conf;
    for (size_t i = 0; i < c->subscribe.n; i++)
        if (strcmp(c->subscribe.items[i], topic) == 0) return true;
    return re && regexec(re, topic, 0, NULL, 0) == 0;
}

int kafka_refresh_partitions(struct kafka_source *s, struct sluice_error *err)
{
    const struct kafka_conf *c = s->conf;
    const struct sluice_host *h = s->host;
    if (!s->rk) {
        int rc = make_client(s, err);
        if (rc) return rc;
    }
    int timeout_ms = (int)(c->timeout_us / 1000);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(s->rk, 1, NULL, &md, timeout_ms);
    if (e) {
        int rc = h->error(err, SLUICE_EIO, "cannot reach the Kafka brokers at %s: %s", c->bootstrap_servers,
                          rd_kafka_err2str(e));
        h->error_hint(err, "check bootstrap_servers; sluice waited %" PRId64 " s (the source's timeout)",
                      c->timeout_us / 1000000);
        return rc;
    }
    regex_t re;
    bool has_re = c->subscribe_pattern && regcomp(&re, c->subscribe_pattern, REG_EXTENDED | REG_NOSUB) == 0;
    json_t *assign = c->assign ? json_loads(c->assign, 0, NULL) : NULL;
    int rc = SLUICE_OK;
    if (c->assign && !json_is_object(assign))
        rc = h->error(err, SLUICE_ECONFIG, "assign: expected JSON such as {\"topic\":[0,1]}, got '%s'", c->assign);
    for (int t = 0; t < md->topic_cnt && !rc; t++) {
        const struct rd_kafka_metadata_topic *mt = &md->topics[t];
        if (mt->err) continue;
        if (assign) {
            json_t *parts = json_object_get(assign, mt->topic);
            size_t i;
            json_t *p;
            json_array_foreach(parts, i, p) {
                int32_t part = (int32_t)json_integer_value(p);
                bool exists = false;
                for (int k = 0; k < mt->partition_cnt; k++) exists |= mt->partitions[k].id == part;
                if (!exists) rc = h->error(err, SLUICE_ECONFIG, "assign: topic '%s' has no partition %" PRId32, mt->topic, part);
                else kafka_add_tp(s, mt->topic, part);
            }
        } else if (wanted(s, mt->topic, has_re ? &re : NULL)) {
            for (int k = 0; k < mt->partition_cnt; k++) kafka_add_tp(s, mt->topic, mt->partitions[k].id);
        }
    }
    /* A topic named outright must exist. */
    for (size_t i = 0; i < c->subscribe.n && !rc; i++) {
        bool found = false;
        for (int t = 0; t < md->topic_cnt && !found; t++) found = !md->topics[t].err && strcmp(md->topics[t].topic, c->subscribe.items[i]) == 0;
        if (!found) rc = h->error(err, SLUICE_EIO, "topic '%s' does not exist on %s", c->subscribe.items[i], c->bootstrap_servers);
    }
    const char *key;
    json_t *v;
    json_object_foreach(assign, key, v) {
        bool found = false;
        for (int t = 0; t < md->topic_cnt && !found; t++) found = !md->topics[t].err && strcmp(md->topics[t].topic, key) == 0;
        if (!found && !rc) rc = h->error(err, SLUICE_EIO, "topic '%s' does not exist on %s", key, c->bootstrap_servers);
    }
    json_decref(assign);
    if (has_re) regfree(&re);
    rd_kafka_metadata_destroy(md);
    for (size_t i = 0; i < s->n_tps && !rc; i++) {
        struct kafka_tp *tp = &s->tps[i];
        if (s->group && !tp->owned) continue; /* another member's */
        e = rd_kafka_query_watermark_offsets(s->rk, tp->topic, tp->partition, &tp->low, &tp->high, timeout_ms);
        if (e)
            rc = h->error(err, SLUICE_EIO, "cannot read the offsets of %s-%" PRId32 ": %s", tp->topic, tp->partition,
                          rd_kafka_err2str(e));
    }
    return rc;
}

/* ---- the source protocol ---- */

/* The first batch's start, kept so that a replay starts it at the same offsets. */
static int read_initial(void *arg, int64_t key, const char *data, size_t len, struct sluice_error *err)
{
    struct kafka_source *s = arg;
    if (key != 0) return SLUICE_OK;
    char *text = strndup(data, len);
    int rc = text ? kafka_offsets_parse(s, text, &s->initial, err) : SLUICE_ENOMEM;
    free(text);
    s->has_initial = rc == SLUICE_OK;
    return rc;
}

static int initial_offsets(struct kafka_source *s, struct sluice_error *err)
{
    if (s->has_initial) return SLUICE_OK;
    const struct sluice_host *h = s->host;
    if (h->meta_enabled(s->ctx)) {
        int rc = h->meta_scan(s->ctx, read_initial, s, err);
        if (rc || s->has_initial) return rc;
    }
    /* Where the first batch starts, by the starting_offsets rule, now. */
    struct sluice_buf json = { 0 };
    int rc = kafka_offsets_start(s, &json, err);
    if (!rc) rc = kafka_offsets_parse(s, json.data, &s->initial, err);
    if (!rc) rc = h->meta_put(s->ctx, 0, json.data, json.len, err);
    s->has_initial = rc == SLUICE_OK;
    sluice_buf_free(&json);
    return rc;
}

static int kafka_latest_offset(void *state, const char *start, bool limited, struct sluice_buf *out,
                               struct sluice_error *err)
{
    struct kafka_source *s = state;
    int rc = s->group ? kafka_group_poll(s, err) : SLUICE_OK;
    if (!rc) rc = kafka_refresh_partitions(s, err);
    /* In a group each partition enters at its own starting point. */
    if (!rc && !start && !s->group) rc = initial_offsets(s, err);
    if (!rc) rc = kafka_offsets_latest(s, start, limited, out, err);
    return rc;
}

static int kafka_plan_read(void *state, const char *start, const char *end, size_t *n_units, struct sluice_error *err)
{
    struct kafka_source *s = state;
    if (!s->rk) {
        int rc = kafka_refresh_partitions(s, err);
        if (rc) return rc;
    }
    struct kafka_offsets from = { 0 }, until = { 0 };
    int rc = start ? kafka_offsets_parse(s, start, &from, err) : s->group ? SLUICE_OK : initial_offsets(s, err);
    if (!rc) rc = kafka_offsets_parse(s, end, &until, err);
    free(s->plan);
    s->plan = calloc(until.n ? until.n : 1, sizeof *s->plan);
    s->n_plan = 0;
    const struct kafka_offsets *base = start ? &from : &s->initial;
    for (size_t i = 0; i < until.n && !rc; i++) {
        const struct kafka_offset *u = &until.v[i];
        int64_t f;
        struct kafka_tp *tp = kafka_add_tp(s, u->topic, u->partition);
        if (!tp) {
            rc = s->host->error(err, SLUICE_ENOMEM, "out of memory");
            break;
        }
        /* A partition that appeared after the batch before starts at its
         * earliest offset; in a group it enters at the batch's end offset,
         * with nothing read (kafka_group.c). */
        if (!kafka_offsets_find(base, u->topic, u->partition, &f) || tp->entering) f = s->group ? u->offset : tp->low;
        tp->entering = false;
        /* What retention deleted is skipped (latest_offset said so), or fails the read. */
        if (f < tp->low && !s->conf->fail_on_data_loss) f = tp->low;
        if (u->offset <= f) continue;
        s->plan[s->n_plan++] = (struct kafka_range){ tp->topic, tp->partition, f, u->offset };
    }
    kafka_offsets_free(&from);
    kafka_offsets_free(&until);
    if (!rc) rc = kafka_assign_plan(s, err);
    s->last_batch_us = s->host->monotonic_us();
    *n_units = rc ? 0 : s->n_plan;
    return rc;
}

/* Outside a group the offsets live in the checkpoint only, as Spark's do;
 * a member also commits them to its group (kafka_group.c). */
static int kafka_commit(void *state, const char *end, struct sluice_error *err)
{
    struct kafka_source *s = state;
    return s->group ? kafka_group_commit(s, end, err) : SLUICE_OK;
}

static int kafka_read(void *state, size_t unit, sluice_emit_fn emit, void *emit_arg, struct sluice_error *err)
{
    const struct kafka_source *s = state;
    return kafka_read_range(s, &s->plan[unit], emit, emit_arg, err);
}

/* Nothing new: look again in a while (sooner when stopped). */
static int kafka_wait(void *state, int64_t timeout_us, int wake_fd, struct sluice_error *err)
{
    struct pollfd pfd = { wake_fd, POLLIN, 0 };
    int64_t ms = timeout_us / 1000 < 100 ? timeout_us / 1000 : 100;
    poll(&pfd, wake_fd >= 0 ? 1 : 0, (int)ms);
    return SLUICE_OK;
}

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_SOURCE,
        .name = "kafka",
        .summary = "records of Kafka topics, as Spark's Kafka source (offsets in the checkpoint, replayable)",
        .options = kafka_options,
        .conf_size = sizeof(struct kafka_conf),
        .open = kafka_open,
        .close = kafka_close,
        .prepare = kafka_prepare,
        .latest_offset = kafka_latest_offset,
        .plan_read = kafka_plan_read,
        .read = kafka_read,
        .commit = kafka_commit,
        .wait = kafka_wait,
    };
    return &p;
}
