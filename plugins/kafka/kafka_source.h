/* The kafka source's insides, shared by kafka.c (options and callbacks),
 * kafka_offsets.c (offsets: JSON, where a batch ends, per-trigger limits)
 * and kafka_read.c (reading a partition's range into batches). */
#ifndef SLUICE_PLUGIN_KAFKA_SOURCE_H
#define SLUICE_PLUGIN_KAFKA_SOURCE_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdint.h>

#include <sluice/plugin.h>

struct kafka_conf {
    const char *bootstrap_servers;
    struct sluice_strlist subscribe;
    const char *subscribe_pattern;
    const char *assign;           /* {"topic":[0,1]} */
    const char *starting_offsets; /* earliest | latest | {"topic":{"0":42}} */
    const char *ending_offsets;   /* latest | {"topic":{"0":42}}: where available_now stops */
    int64_t max_offsets_per_trigger;
    int64_t min_offsets_per_trigger;
    int64_t max_trigger_delay_us;
    bool fail_on_data_loss;
    bool include_headers;
    const char *format;           /* NULL: the raw Kafka columns; json | csv: parse `value` */
    const struct ArrowSchema *schema;
    const char *mode;
    const char *corrupt_column;
    struct sluice_strlist kafka_columns; /* with format: Kafka columns added after the schema's */
    struct sluice_strlist kafka;  /* librdkafka properties, "name=value" (Spark's kafka.*) */
    int64_t timeout_us;           /* waiting for the brokers (metadata, offsets, a range that makes no progress) */
};

/* One topic-partition's offset. */
struct kafka_offset {
    char *topic;
    int32_t partition;
    int64_t offset;
};

/* Offsets by topic-partition: Spark's {"topic":{"0":42,"1":17}}. */
struct kafka_offsets {
    struct kafka_offset *v;
    size_t n, cap;
};

/* Messages fetched beyond a batch's end, kept for the next one. */
#define KAFKA_HELD_MAX 512

/* One topic-partition and its place in the stream. */
struct kafka_tp {
    char *topic;
    int32_t partition;
    int64_t low, high;            /* watermarks last seen */
    int64_t warned_low;           /* data loss below this was already warned about */
    rd_kafka_topic_t *rkt;        /* for reading, made on first use */
    bool started;                 /* fetching (rd_kafka_consume_start) */
    int64_t next;                 /* the next offset reading will hand over */
    rd_kafka_message_t *held[KAFKA_HELD_MAX];
    size_t n_held;
    /* In a group (kafka_group.c): this member owns the partition; it
     * arrived since the last batch and enters at `entry` (an offset, or
     * -2 earliest / -1 latest). */
    bool owned, entering;
    int64_t entry;
};

/* A range to read: offsets [from, to) of one topic-partition. */
struct kafka_range {
    const char *topic;            /* borrowed from the source's partition list */
    int32_t partition;
    int64_t from, to;
};

struct kafka_group;

struct kafka_source {
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    const struct kafka_conf *conf;
    rd_kafka_t *rk;               /* the consumer, made on first use (not by `sluice check`) */
    struct kafka_tp *tps;
    size_t n_tps;
    /* Decoding `value` (format set): the decoder options. */
    struct sluice_decode_opts decode;
    /* What of `value` the stages read: the projection without the paths of
     * kafka_columns, which are not in the value's schema. */
    struct sluice_projection value_projection;
    const char **value_paths;
    bool decode_value;
    /* The raw columns built per message: all of them (format raw), or the
     * kafka_columns kept beside a decoded value; NULL builder_schema: none. */
    struct ArrowSchema kept_schema;
    const struct ArrowSchema *builder_schema;
    /* Where the first batch starts (starting_offsets, resolved once and kept). */
    struct kafka_offsets initial;
    bool has_initial;
    /* Which raw columns the output has and the projection needs. */
    int col_key, col_value, col_topic, col_partition, col_offset, col_timestamp, col_timestamp_type, col_headers;
    /* The planned batch. */
    struct kafka_range *plan;
    size_t n_plan;
    int64_t last_batch_us;        /* when the last batch was planned: max_trigger_delay */
    struct kafka_group *group;    /* runtime.group: this source is a member; NULL: reads every partition */
};

/* ---- kafka_offsets.c ---- */

void kafka_offsets_free(struct kafka_offsets *o);
/* The offset of topic-partition in o into *out; false when o does not name it. */
bool kafka_offsets_find(const struct kafka_offsets *o, const char *topic, int32_t partition, int64_t *out);
void kafka_offsets_set(struct kafka_offsets *o, const char *topic, int32_t partition, int64_t offset);
/* Parse Spark's offset JSON (-2: earliest, -1: latest where allowed). */
int kafka_offsets_parse(const struct kafka_source *s, const char *json, struct kafka_offsets *out,
                        struct sluice_error *err);
/* Spark's JSON, topics and partitions in order. */
void kafka_offsets_format(const struct kafka_offsets *o, struct sluice_buf *out);
/* Where the first batch starts, by starting_offsets, as JSON. */
int kafka_offsets_start(struct kafka_source *s, struct sluice_buf *out, struct sluice_error *err);
/* Where the next batch ends, from `start` (the committed offsets; NULL for
 * the first batch, which starts at s->initial) and the partitions'
 * watermarks, honouring the per-trigger limits when `limited`. */
int kafka_offsets_latest(struct kafka_source *s, const char *start, bool limited, struct sluice_buf *out,
                         struct sluice_error *err);

/* ---- kafka.c ---- */

/* Make the consumer and list the partitions (on first use; again to find
 * new partitions of subscribed topics). */
int kafka_refresh_partitions(struct kafka_source *s, struct sluice_error *err);
/* The topic-partition's entry in s->tps, added when new; NULL out of memory. */
struct kafka_tp *kafka_add_tp(struct kafka_source *s, const char *topic, int32_t partition);

/* ---- kafka_group.c: runtime.group ---- */

/* Become a member of group `name` as `member` (open(); joins on first poll). */
int kafka_group_open(struct kafka_source *s, const char *name, const char *member, struct sluice_error *err);
/* Join on first use; serve rebalances: tps[].owned/entering follow the assignment. */
int kafka_group_poll(struct kafka_source *s, struct sluice_error *err);
/* Commit a committed batch's end offsets to the group (synchronously). */
int kafka_group_commit(struct kafka_source *s, const char *end, struct sluice_error *err);
void kafka_group_close(struct kafka_source *s);

/* ---- kafka_read.c ---- */

/* Read plan[unit] into batches passed to emit (a worker thread). */
int kafka_read_range(const struct kafka_source *s, const struct kafka_range *r, sluice_emit_fn emit, void *emit_arg,
                     struct sluice_error *err);
/* Main thread, before the units are read: point the consumer at every range. */
int kafka_assign_plan(struct kafka_source *s, struct sluice_error *err);

#endif
