/* core/runtime/join/join.h — the stream-static join: each micro-batch of
 * a stream joined with a static table read once when the pipeline starts
 * (Spark's stream-static join against `spark.read`).
 *
 *   { name = "users"; source = "file"; static = true; path = "users"; format = "csv";
 *     header = true; schema = "id STRING, name STRING"; },
 *   { name = "j"; input = "tweets";
 *     join = { with = "users"; on = "data.author_id = users.id"; type = "inner"; }; }
 *
 * A hash join, built once on the static side: every static row whose key
 * has no null is in a hash table by its encoded key (agg_key.h), rows of
 * one key chained in table order. Each stream batch is probed on the
 * worker that reads it (the table is read-only), so the join costs no
 * thread hand-off. As in SQL, a null never equals anything: a stream row
 * with a null key matches no row.
 *
 * Types (Spark's): inner (a row per matching pair), left_outer (and a row
 * with the static columns null for a stream row matching none), left_semi
 * (the stream row, once, when it matches), left_anti (when it matches
 * none). Output: the stream's columns, then (inner and left_outer) the
 * static table's, in the order the stream row's matches were read.
 *
 * Threads: built on the main thread; sluice_join_process on any number of
 * workers at once. */
#ifndef SLUICE_CORE_JOIN_H
#define SLUICE_CORE_JOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/batch.h>
#include <sluice/error.h>

#include "agg_table.h"

struct sluice_expr;

enum sluice_join_type {
    SLUICE_JOIN_INNER = 0,
    SLUICE_JOIN_LEFT_OUTER,
    SLUICE_JOIN_LEFT_SEMI,
    SLUICE_JOIN_LEFT_ANTI,
};

struct sluice_join {
    enum sluice_join_type type;
    /* Key pairs, compiled: stream_keys[i] against the stream, static_keys[i]
     * against the static table, of one type each pair (owned). */
    struct sluice_expr **stream_keys, **static_keys;
    size_t n_keys;
    const struct ArrowSchema *out_schema; /* the stage's output (borrowed) */
    /* The static table: its rows in one batch, and the table of keys:
     * each group's state is the index of its first row; next[row] the
     * following row of the same key, or -1. */
    struct sluice_batch table;
    int64_t *next;
    struct sluice_agg_table keys;
    int64_t rows_without_key; /* static rows with a null key: they join nothing */
};

/* A join of `type` over the key pairs (moved in, n >= 1). */
struct sluice_join *sluice_join_new(enum sluice_join_type type, struct sluice_expr **stream_keys,
                                    struct sluice_expr **static_keys, size_t n_keys);
void sluice_join_free(struct sluice_join *j);

/* Take the static table (moved in; its schema borrowed) and index it. */
int sluice_join_build(struct sluice_join *j, struct sluice_batch *table, struct sluice_error *err);

/* Join a stream batch (*in, consumed) into *out (the caller's), a batch of
 * j->out_schema. Any thread. */
int sluice_join_process(const struct sluice_join *j, struct sluice_batch *in, struct sluice_batch *out,
                        struct sluice_error *err);

#endif
