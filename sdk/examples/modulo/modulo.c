/* modulo: an example transform. It adds a long column holding a long column
 * modulo a divisor, and passes every input column through:
 *
 *   { name = "bucketed"; input = "ticks"; transform = "modulo";
 *     column = "value"; divisor = 4; alias = "bucket"; }
 *
 * What it shows an author: an option with declared bounds (the core
 * refuses `divisor = 0` naming the option and its range, so the code never
 * checks it), an error about an option pointed at its line
 * (host->option_error), and the <sluice/transform.h> helpers that make the
 * usual shape of a transform (input columns passed through, one added)
 * three calls. The remainder has the sign of the dividend, as Spark's %
 * does; null in, null out. */
#include <stdlib.h>

#include <sluice/plugin.h>
#include <sluice/transform.h>

struct modulo_conf {
    const char *column;
    int64_t divisor;
    const char *alias;
};

static const struct sluice_option modulo_options[] = {
    { .name = "column", .type = SLUICE_OPT_STRING, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct modulo_conf, column),
      .help = "the long column to divide, e.g. value" },
    { .name = "divisor", .type = SLUICE_OPT_LONG, .default_value = "10",
      .offset = offsetof(struct modulo_conf, divisor),
      .help = "what to divide by", .min = "1" },
    { .name = "alias", .type = SLUICE_OPT_STRING, .default_value = "bucket",
      .offset = offsetof(struct modulo_conf, alias),
      .help = "the name of the long column added" },
    { 0 }
};

/* Read-only after open: process() runs on several threads at once. */
struct modulo {
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    struct sluice_col column;
    int64_t divisor;
    struct ArrowSchema added; /* a struct of the one added column, for builders */
};

static int modulo_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx, void **state,
                       struct sluice_error *err)
{
    const struct modulo_conf *conf = conf_ptr;
    const struct ArrowSchema *in = host->input_schema(ctx);
    struct modulo *m = calloc(1, sizeof *m);
    if (!m) return host->error(err, SLUICE_ENOMEM, "out of memory");
    m->host = host;
    m->ctx = ctx;
    m->divisor = conf->divisor;
    /* An unknown column gets "did you mean"; either error points at `column`. */
    int rc = sluice_error_key(err, "column", host->col_resolve(in, conf->column, &m->column, err));
    if (!rc && m->column.type != SLUICE_TYPE_LONG)
        rc = host->option_error(err, SLUICE_ECONFIG, "column", "column '%s' is a %s, not a long", conf->column,
                                sluice_type_name(m->column.type));
    if (!rc) rc = host->use_column(ctx, conf->column, err);
    if (rc) {
        free(m);
        return rc;
    }
    struct ArrowSchema out;
    sluice_schema_with_field(host, in, SLUICE_FORMAT_LONG, conf->alias, &out);
    sluice_pass_columns(host, ctx, in->n_children);
    rc = host->set_output_schema(ctx, &out, err); /* takes `out` */
    if (rc) {
        free(m);
        return rc;
    }
    host->schema_init(&m->added, SLUICE_FORMAT_STRUCT, "", false, 1);
    host->schema_init(m->added.children[0], SLUICE_FORMAT_LONG, conf->alias, true, 0);
    *state = m;
    return SLUICE_OK;
}

static void modulo_close(void *state)
{
    struct modulo *m = state;
    m->added.release(&m->added);
    free(m);
}

static int modulo_process(void *state, struct sluice_batch *in, struct sluice_batch *out, struct sluice_error *err)
{
    const struct modulo *m = state;
    const struct sluice_host *h = m->host;
    struct sluice_builder *b = h->builder_new(&m->added); /* one per call: calls overlap */
    struct sluice_builder *col = h->builder_child(b, 0);
    for (int64_t r = 0; r < sluice_batch_rows(in); r++) {
        const struct ArrowArray *leaf;
        int64_t slot;
        h->append_struct(b);
        if (sluice_col_locate(&m->column, &in->array, r, &leaf, &slot))
            h->append_long(col, sluice_get_long(leaf, slot) % m->divisor);
        else
            h->append_null(col);
    }
    struct sluice_batch built;
    h->builder_finish(b, &built);
    h->builder_free(b);
    /* The input's columns moved, ours added: no value copied. On an error
     * the core releases what is left of *in. */
    int rc = sluice_batch_add_columns(h, in, built.array.children[0], 1, h->output_schema(m->ctx), out, err);
    sluice_batch_release(&built);
    return rc;
}

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_TRANSFORM,
        .name = "modulo",
        .summary = "add a long column: a long column modulo a divisor",
        .options = modulo_options,
        .conf_size = sizeof(struct modulo_conf),
        .open = modulo_open,
        .close = modulo_close,
        .process = modulo_process,
    };
    return &p;
}
