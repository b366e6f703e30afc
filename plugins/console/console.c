/* console: Spark's console sink. Prints each micro-batch to stdout.
 *
 *   { name = "out"; input = "by_lang"; sink = "console"; output_mode = "complete"; }
 *
 * format = "table" prints exactly what Spark's console sink prints (a
 * `Batch: N` banner, then Dataset.show(num_rows, truncate)), so output can
 * be compared byte for byte. format = "jsonl" prints every row as
 * {"batch_id":N,"row":{...}}, for scripts.
 *
 * Spark builds the table from the first num_rows rows only, and looks at
 * one more just to say "only showing top N rows"; so does this sink: it
 * keeps only the batches holding the first num_rows rows, and the core's
 * show() (host->render_show, shared with `sluice query`) lays them out.
 *
 * At least once, as Spark's: the table is printed when the batch ends, but
 * jsonl rows as they arrive, so a batch that fails part-way may have printed
 * some, and its replay prints them again under the same batch_id. Holding
 * jsonl rows until end() would keep a whole batch's output in memory (the
 * engine otherwise streams a batch in bounded memory) for a guarantee the
 * replay after a crash between print and commit takes away anyway. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/plugin.h>

/* ---- configuration ---- */

struct console_conf {
    const char *format;
    int64_t num_rows;
    bool truncate;
};

/* ---- the option table ---- */

static const struct sluice_option console_options[] = {
    { .name = "format", .type = SLUICE_OPT_ENUM, .default_value = "table",
      .offset = offsetof(struct console_conf, format),
      .help = "table: Spark's show() table per batch; jsonl: one JSON object per row",
      .choices = "table|jsonl" },
    { .name = "num_rows", .type = SLUICE_OPT_LONG, .default_value = "20",
      .offset = offsetof(struct console_conf, num_rows),
      .help = "table: rows shown per batch", .min = "0" },
    { .name = "truncate", .type = SLUICE_OPT_BOOL, .default_value = "true",
      .offset = offsetof(struct console_conf, truncate),
      .help = "table: cut cells to 20 characters and align them right" },
    { 0 }
};

/* ---- state ---- */

struct console {
    const struct sluice_host *host;
    bool jsonl;
    int64_t num_rows;
    bool truncate;
    const struct ArrowSchema *schema; /* the input's */
    int64_t batch_id;
    /* The batch being shown: the batches holding its first num_rows rows. */
    struct sluice_batch *kept;
    size_t n_kept, kept_cap;
    int64_t kept_rows;
    bool more;                 /* rows beyond the kept ones arrived */
    struct sluice_buf scratch; /* one jsonl line, or the table */
};

static void release_kept(struct console *c)
{
    for (size_t i = 0; i < c->n_kept; i++) sluice_batch_release(&c->kept[i]);
    c->n_kept = 0;
    c->kept_rows = 0;
}

/* ---- callbacks ---- */

static void console_close(void *state);

static int console_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx,
                        void **state, struct sluice_error *err)
{
    const struct console_conf *conf = conf_ptr;
    struct console *c = calloc(1, sizeof *c);
    if (!c) return host->error(err, SLUICE_ENOMEM, "out of memory");
    c->host = host;
    c->jsonl = strcmp(conf->format, "jsonl") == 0;
    c->num_rows = conf->num_rows;
    c->truncate = conf->truncate;
    host->use_all_columns(ctx);
    c->schema = host->input_schema(ctx);

    *state = c;
    return SLUICE_OK;
}

static void console_close(void *state)
{
    struct console *c = state;
    release_kept(c);
    free(c->kept);
    sluice_buf_free(&c->scratch);
    free(c);
}

static int console_begin(void *state, int64_t batch_id, uint32_t mode,
                         struct sluice_error *err)
{
    /* A replayed batch id is printed again, as Spark's console sink does:
     * printing twice harms nothing. */
    struct console *c = state;
    c->batch_id = batch_id;
    release_kept(c);
    c->more = false;
    return SLUICE_OK;
}

static int write_failed(const struct console *c, struct sluice_error *err)
{
    return c->host->error(err, SLUICE_EIO, "cannot write to standard output: %s", strerror(errno));
}

static int write_jsonl(struct console *c, const struct sluice_batch *b, struct sluice_error *err)
{
    int64_t rows = sluice_batch_rows(b);
    for (int64_t r = 0; r < rows; r++) {
        sluice_buf_clear(&c->scratch);
        if (sluice_buf_printf(&c->scratch, "{\"batch_id\":%lld,\"row\":", (long long)c->batch_id))
            return c->host->error(err, SLUICE_ENOMEM, "out of memory");
        c->host->render_row_json(b, r, &c->scratch);
        if (sluice_buf_puts(&c->scratch, "}\n"))
            return c->host->error(err, SLUICE_ENOMEM, "out of memory");
        if (fwrite(c->scratch.data, 1, c->scratch.len, stdout) != c->scratch.len)
            return write_failed(c, err);
    }
    return SLUICE_OK;
}

/* Keep `b` while the batch still needs rows to show; past num_rows only
 * note that more exist. */
static int keep_rows(struct console *c, struct sluice_batch *b, struct sluice_error *err)
{
    if (c->kept_rows >= c->num_rows) {
        c->more = c->more || sluice_batch_rows(b) > 0;
        return SLUICE_OK;
    }
    if (c->n_kept == c->kept_cap) {
        size_t cap = c->kept_cap ? 2 * c->kept_cap : 4;
        struct sluice_batch *p = realloc(c->kept, cap * sizeof *p);
        if (!p) return c->host->error(err, SLUICE_ENOMEM, "out of memory");
        c->kept = p;
        c->kept_cap = cap;
    }
    c->kept_rows += sluice_batch_rows(b);
    sluice_batch_move(&c->kept[c->n_kept++], b);
    return SLUICE_OK;
}

static int console_write(void *state, struct sluice_batch *batch, struct sluice_error *err)
{
    struct console *c = state;
    int rc = c->jsonl ? write_jsonl(c, batch, err) : keep_rows(c, batch, err);
    sluice_batch_release(batch);
    return rc;
}

/* The banner Spark's console sink prints, then show()'s table. */
static int format_table(struct console *c, const struct ArrowSchema *schema, struct sluice_buf *out)
{
    int rc = sluice_buf_printf(out, "-------------------------------------------\n"
                                    "Batch: %lld\n"
                                    "-------------------------------------------\n",
                               (long long)c->batch_id);
    if (rc) return rc;
    /* show() of a batch with no rows still prints the header. */
    struct sluice_batch empty = { .schema = schema };
    if (c->n_kept) c->host->render_show(c->kept, c->n_kept, c->num_rows, c->truncate, c->more, out);
    else c->host->render_show(&empty, 1, c->num_rows, c->truncate, c->more, out);
    return SLUICE_OK;
}

static int console_end(void *state, int64_t batch_id, struct sluice_error *err)
{
    struct console *c = state;
    if (!c->jsonl) {
        sluice_buf_clear(&c->scratch);
        if (format_table(c, c->schema, &c->scratch)) return c->host->error(err, SLUICE_ENOMEM, "out of memory");
        if (fwrite(c->scratch.data, 1, c->scratch.len, stdout) != c->scratch.len)
            return write_failed(c, err);
        release_kept(c);
    }
    if (fflush(stdout) != 0) return write_failed(c, err);
    return SLUICE_OK;
}

/* ---- the descriptor ---- */

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_SINK,
        .name = "console",
        .summary = "print each micro-batch to standard output, as Spark's console sink",
        .options = console_options,
        .conf_size = sizeof(struct console_conf),
        .modes = SLUICE_MODE_APPEND | SLUICE_MODE_UPDATE | SLUICE_MODE_COMPLETE,
        .open = console_open,
        .close = console_close,
        .begin = console_begin,
        .write = console_write,
        .end = console_end,
    };
    return &p;
}
