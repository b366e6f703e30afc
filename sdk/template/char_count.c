/* char_count: a complete sluice transform plugin, meant to be copied.
 *
 * It adds a long column holding the number of characters (UTF-8 code points)
 * of a string column, and passes every input column through untouched:
 *
 *   { name = "sized"; input = "tweets"; transform = "char_count";
 *     column = "data.text"; alias = "text_chars"; }
 *
 * Steps to make your own plugin from this file:
 *   1. Rename the file, the conf struct and the plugin name (the `.name` in
 *      the descriptor, and NAME in CMakeLists.txt: they must match).
 *   2. Describe your options in the option table; the core validates configs
 *      against it and fills your conf struct, so you never read the config.
 *   3. In open(): check options, resolve the columns you read, declare the
 *      output schema, the columns you read and the ones you pass through.
 *   4. In process(): turn each input batch into an output batch.
 *   5. In close(): free what open() made.
 * Include only the SDK's headers (<sluice/plugin.h>, and helpers such as
 * <sluice/transform.h>); reach the core only through `host`. */
#include <stdlib.h>
#include <string.h>

#include <sluice/plugin.h>
#include <sluice/transform.h>

/* ---- 1. configuration: what the core fills from the config ---- */

struct char_count_conf {
    const char *column; /* path of the string column to measure */
    const char *alias;  /* name of the column to add */
};

/* ---- 2. the option table: validation, defaults and `sluice plugins char_count` ---- */

static const struct sluice_option char_count_options[] = {
    { .name = "column", .type = SLUICE_OPT_STRING, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct char_count_conf, column),
      .help = "string column to measure, e.g. data.text" },
    { .name = "alias", .type = SLUICE_OPT_STRING, .default_value = "char_count",
      .offset = offsetof(struct char_count_conf, alias),
      .help = "name of the long column added" },
    { 0 }
};

/* What open() prepares and process() reads. process() may run on several
 * threads at once, so after open() this is read-only. */
struct char_count {
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    struct sluice_col column;     /* the measured column, resolved once */
    struct ArrowSchema new_field; /* a struct with the one added column, for the builder */
};

static int64_t count_code_points(const char *s, int32_t n)
{
    int64_t count = 0;
    for (int32_t i = 0; i < n; i++)
        count += ((unsigned char)s[i] & 0xC0) != 0x80; /* continuation bytes don't start a character */
    return count;
}

/* ---- 3. open: called once, on the main thread, before any batch ---- */
/* `sluice check` calls it too (then close): validate and declare here, but
 * make nothing outside the process. */

static int char_count_open(const struct sluice_host *host, const void *conf_ptr,
                           struct sluice_ctx *ctx, void **state, struct sluice_error *err)
{
    const struct char_count_conf *conf = conf_ptr;
    const struct ArrowSchema *in = host->input_schema(ctx);

    struct char_count *cc = calloc(1, sizeof *cc);
    if (!cc) return host->error(err, SLUICE_ENOMEM, "out of memory");
    cc->host = host;
    cc->ctx = ctx;

    /* Resolving reports unknown columns with a "did you mean" hint;
     * sluice_error_key and option_error point the error at `column`. */
    int rc = sluice_error_key(err, "column", host->col_resolve(in, conf->column, &cc->column, err));
    if (rc == SLUICE_OK && cc->column.type != SLUICE_TYPE_STRING)
        rc = host->option_error(err, SLUICE_ECONFIG, "column", "column '%s' is a %s, not a string",
                                conf->column, sluice_type_name(cc->column.type));
    /* Tell the core what we read, so the source parses it (projection pushdown). */
    if (rc == SLUICE_OK) rc = host->use_column(ctx, conf->column, err);
    if (rc != SLUICE_OK) {
        free(cc);
        return rc;
    }

    /* Output = every input column, passed through, plus ours at the end. */
    struct ArrowSchema out;
    sluice_schema_with_field(host, in, SLUICE_FORMAT_LONG, conf->alias, &out);
    sluice_pass_columns(host, ctx, in->n_children);
    rc = host->set_output_schema(ctx, &out, err); /* takes ownership of `out` */
    if (rc != SLUICE_OK) {
        free(cc);
        return rc;
    }

    host->schema_init(&cc->new_field, SLUICE_FORMAT_STRUCT, "", false, 1);
    host->schema_init(cc->new_field.children[0], SLUICE_FORMAT_LONG, conf->alias, true, 0);
    *state = cc;
    return SLUICE_OK;
}

/* ---- 4. process: called per batch, on any worker thread, concurrently ---- */

static int char_count_process(void *state, struct sluice_batch *in, struct sluice_batch *out,
                              struct sluice_error *err)
{
    struct char_count *cc = state;
    const struct sluice_host *host = cc->host;
    int64_t rows = sluice_batch_rows(in);

    /* Build the new column: one builder per call, since calls may overlap. */
    struct sluice_builder *b = host->builder_new(&cc->new_field);
    struct sluice_builder *lengths = host->builder_child(b, 0);
    for (int64_t r = 0; r < rows; r++) {
        host->append_struct(b); /* a row */
        const struct ArrowArray *leaf;
        int64_t slot;
        if (sluice_col_locate(&cc->column, &in->array, r, &leaf, &slot)) {
            const char *s;
            int32_t n = sluice_get_string(leaf, slot, &s);
            host->append_long(lengths, count_code_points(s, n));
        } else {
            host->append_null(lengths); /* null in, null out */
        }
    }
    struct sluice_batch built;
    host->builder_finish(b, &built);
    host->builder_free(b);

    /* The input's columns (moved, not copied) and ours. On an error the
     * core releases whatever is left in *in and *out. */
    int rc = sluice_batch_add_columns(host, in, built.array.children[0], 1, host->output_schema(cc->ctx),
                                      out, err);
    sluice_batch_release(&built); /* what is left of it: the emptied root */
    return rc;
}

/* ---- 5. close: called once, on the main thread, after the last batch ---- */

static void char_count_close(void *state)
{
    struct char_count *cc = state;
    if (cc->new_field.release) cc->new_field.release(&cc->new_field);
    free(cc);
}

/* ---- the descriptor: the one exported symbol ---- */

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_TRANSFORM,
        .name = "char_count",
        .summary = "add a column with the number of characters of a string column",
        .options = char_count_options,
        .conf_size = sizeof(struct char_count_conf),
        .open = char_count_open,
        .close = char_count_close,
        .process = char_count_process,
    };
    return &p;
}
