/* drop_nulls: Spark's na.drop(how, subset). Drops a row when any (how =
 * "any") or every (how = "all") column of `subset` is null:
 *
 *   { name = "complete"; input = "tweets"; transform = "drop_nulls"; how = "any"; }
 *   { name = "has_lang"; input = "tweets"; transform = "drop_nulls";
 *     subset = ["data.lang", "data.created_at"]; }
 *
 * As in Spark, a struct column counts as null only when the struct itself
 * is null (not when some field of it is), and a double NaN counts as null
 * (Spark's AtLeastNNonNulls). A nested path is null when it or any struct
 * on the way to it is null. Kept rows are taken column by column; a batch
 * that keeps every row is handed on untouched. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/plugin.h>

#include <sluice/transform.h>

/* ---- configuration ---- */

struct drop_nulls_conf {
    const char *how;
    struct sluice_strlist subset;
};

static const struct sluice_option drop_nulls_options[] = {
    { .name = "how", .type = SLUICE_OPT_ENUM, .default_value = "any",
      .offset = offsetof(struct drop_nulls_conf, how),
      .help = "any: drop a row if any subset column is null; all: only if every one is",
      .choices = "any|all" },
    { .name = "subset", .type = SLUICE_OPT_STRING_LIST,
      .offset = offsetof(struct drop_nulls_conf, subset),
      .help = "columns to look at, paths allowed (data.lang); default: every top-level column" },
    { 0 }
};

/* ---- state ---- */

struct drop_nulls_state {
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    const struct ArrowSchema *in_schema;
    bool all;
    struct sluice_col *cols; /* the subset, resolved */
    size_t n_cols;
};

/* A top-level column's name as a path: back-quoted unless a plain word,
 * so any name resolves to itself. The caller frees it. */
static char *name_path(const char *name)
{
    bool plain = name[0] != '\0';
    size_t len = 0;
    for (const char *p = name; *p; p++, len++)
        plain = plain && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                          *p == '_');
    char *out = malloc(2 * len + 3);
    if (!out) return NULL;
    if (plain) return memcpy(out, name, len + 1);
    char *o = out;
    *o++ = '`';
    for (const char *p = name; *p; p++) {
        if (*p == '`') *o++ = '`';
        *o++ = *p;
    }
    *o++ = '`';
    *o = '\0';
    return out;
}

/* ---- callbacks ---- */

/* Main thread, once: resolve the subset and declare it read. */
static int drop_nulls_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx,
                           void **state, struct sluice_error *err)
{
    const struct drop_nulls_conf *conf = conf_ptr;
    const struct ArrowSchema *in = host->input_schema(ctx);
    struct drop_nulls_state *s = calloc(1, sizeof *s);
    bool every = conf->subset.n == 0;
    size_t n = every ? (size_t)in->n_children : conf->subset.n;
    if (s) s->cols = calloc(n + 1, sizeof *s->cols);
    if (!s || !s->cols) {
        free(s);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    s->host = host;
    s->ctx = ctx;
    s->in_schema = in;
    s->all = strcmp(conf->how, "all") == 0;
    s->n_cols = n;

    int rc = SLUICE_OK;
    for (size_t k = 0; k < n && rc == SLUICE_OK; k++) {
        char *path = every ? name_path(in->children[k]->name) : NULL;
        if (every && !path) {
            rc = host->error(err, SLUICE_ENOMEM, "out of memory");
            break;
        }
        const char *p = every ? path : conf->subset.items[k];
        rc = host->col_resolve(in, p, &s->cols[k], err);
        /* Declared read: the source must parse it to tell null from not. */
        if (rc == SLUICE_OK) rc = host->use_column(ctx, p, err);
        free(path);
    }
    if (rc != SLUICE_OK) {
        free(s->cols);
        free(s);
        return sluice_error_key(err, "subset", rc);
    }

    struct ArrowSchema out;
    host->schema_copy(in, &out);
    for (int64_t i = 0; i < in->n_children; i++) host->pass_column(ctx, i, i);
    rc = host->set_output_schema(ctx, &out, err);
    if (rc != SLUICE_OK) {
        free(s->cols);
        free(s);
        return rc;
    }
    *state = s;
    return SLUICE_OK;
}

static bool is_null(const struct sluice_col *col, const struct ArrowArray *batch, int64_t row)
{
    const struct ArrowArray *leaf;
    int64_t slot;
    if (!sluice_col_locate(col, batch, row, &leaf, &slot)) return true;
    return col->type == SLUICE_TYPE_DOUBLE && isnan(sluice_get_double(leaf, slot));
}

/* Any worker thread, concurrently. */
static int drop_nulls_process(void *state, struct sluice_batch *in, struct sluice_batch *out,
                              struct sluice_error *err)
{
    const struct drop_nulls_state *s = state;
    const struct sluice_host *host = s->host;
    int64_t rows = sluice_batch_rows(in);

    int64_t *kept = malloc(((size_t)rows + 1) * sizeof *kept);
    if (!kept) {
        sluice_batch_release(in);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    int64_t n_kept = 0;
    for (int64_t r = 0; r < rows; r++) {
        size_t nulls = 0;
        for (size_t k = 0; k < s->n_cols; k++) {
            if (is_null(&s->cols[k], &in->array, r)) {
                nulls++;
                if (!s->all) break; /* one is enough to drop it */
            } else if (s->all) {
                break; /* one value is enough to keep it */
            }
        }
        bool drop = s->all ? s->n_cols > 0 && nulls == s->n_cols : nulls > 0;
        if (!drop) kept[n_kept++] = r;
    }
    if (n_kept == rows) {
        free(kept);
        sluice_batch_move(out, in);
        out->schema = host->output_schema(s->ctx);
        return SLUICE_OK;
    }
    int rc = sluice_take_rows(host, s->in_schema, in, kept, n_kept, host->output_schema(s->ctx), out, err);
    free(kept);
    sluice_batch_release(in);
    return rc;
}

static void drop_nulls_close(void *state)
{
    struct drop_nulls_state *s = state;
    free(s->cols);
    free(s);
}

/* ---- the descriptor ---- */

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_TRANSFORM,
        .name = "drop_nulls",
        .summary = "drop rows with null values (Spark's na.drop)",
        .options = drop_nulls_options,
        .conf_size = sizeof(struct drop_nulls_conf),
        .open = drop_nulls_open,
        .close = drop_nulls_close,
        .process = drop_nulls_process,
    };
    return &p;
}
