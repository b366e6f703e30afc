/* memory: Spark's memory sink. Keeps the stream's output as an in-memory
 * table named by query_name, which `sluice query` and runtime.http read
 * while the pipeline runs (the lab's spark.sql("SELECT ... FROM name")).
 *
 *   { name = "out"; input = "tweets"; sink = "memory"; query_name = "stream_size"; }
 *
 * Append mode adds each micro-batch's rows to the table; complete mode
 * replaces the table with them (an aggregation's whole result). The core
 * holds the table: this sink hands it each micro-batch between begin and
 * end, and readers see a micro-batch all at once when end() commits it. A
 * micro-batch id already committed (a replay) is skipped, as Spark's
 * MemorySink skips it, so rows are never duplicated.
 *
 * Like Spark's, this sink keeps everything in memory: for debugging and
 * small results, not for a stream that never stops growing in append mode. */
#include <stdlib.h>

#include <sluice/plugin.h>

/* ---- configuration ---- */

struct memory_conf {
    const char *query_name;
};

/* ---- the option table ---- */

static const struct sluice_option memory_options[] = {
    { .name = "query_name", .type = SLUICE_OPT_STRING, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct memory_conf, query_name),
      .help = "name of the in-memory table, as in SELECT ... FROM name (Spark's queryName)" },
    { 0 }
};

/* ---- state ---- */

struct memory {
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    struct sluice_table *table;
};

/* ---- callbacks ---- */

static int memory_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx,
                       void **state, struct sluice_error *err)
{
    const struct memory_conf *conf = conf_ptr;
    for (const char *c = conf->query_name; *c; c++)
        if (*c == '/' || *c == '?' || *c == '#' || *c == '%' || (unsigned char)*c <= ' ') {
            int rc = host->error(err, SLUICE_ECONFIG, "query_name '%s' has a '%c'", conf->query_name,
                                 *c <= ' ' ? ' ' : *c);
            host->error_hint(err, "use letters, digits and '_', so the table is easy to name in SQL and URLs");
            return rc;
        }
    host->use_all_columns(ctx);
    struct memory *m = calloc(1, sizeof *m);
    if (!m) return host->error(err, SLUICE_ENOMEM, "out of memory");
    m->host = host;
    m->ctx = ctx;
    int rc = host->table_open(ctx, conf->query_name, &m->table, err);
    if (rc) {
        free(m);
        return rc;
    }
    *state = m;
    return SLUICE_OK;
}

static void memory_close(void *state)
{
    struct memory *m = state;
    m->host->table_close(m->table);
    free(m);
}

static int memory_begin(void *state, int64_t batch_id, uint32_t mode, struct sluice_error *err)
{
    struct memory *m = state;
    if (!m->host->table_begin(m->table, batch_id, mode == SLUICE_MODE_COMPLETE))
        m->host->log(m->ctx, SLUICE_LOG_INFO, "skipping already committed batch %lld", (long long)batch_id);
    return SLUICE_OK;
}

static int memory_write(void *state, struct sluice_batch *batch, struct sluice_error *err)
{
    struct memory *m = state;
    m->host->table_add(m->table, batch);
    return SLUICE_OK;
}

static int memory_end(void *state, int64_t batch_id, struct sluice_error *err)
{
    struct memory *m = state;
    m->host->table_commit(m->table);
    return SLUICE_OK;
}

/* ---- the descriptor ---- */

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_SINK,
        .name = "memory",
        .summary = "keep the output as an in-memory table, queryable with `sluice query` while running",
        .options = memory_options,
        .conf_size = sizeof(struct memory_conf),
        .modes = SLUICE_MODE_APPEND | SLUICE_MODE_COMPLETE,
        .open = memory_open,
        .close = memory_close,
        .begin = memory_begin,
        .write = memory_write,
        .end = memory_end,
    };
    return &p;
}
