/* filter: Spark's filter / where. Keeps the rows for which a boolean
 * expression is true; false and null both drop the row, as in SQL:
 *
 *   { name = "tagged"; input = "tweets"; transform = "filter";
 *     condition = "size(data.entities.hashtags) > 0"; }
 *
 * The condition is evaluated a batch at a time into a boolean column, the
 * kept row numbers are gathered once, and each column is taken at those
 * rows. A batch whose every row passes is handed on as it came, without
 * touching a buffer; one where no row passes becomes an empty batch of the
 * same columns. */
#include <stdlib.h>
#include <string.h>

#include <sluice/plugin.h>

#include <sluice/transform.h>

/* ---- configuration ---- */

struct filter_conf {
    const char *condition;
};

static const struct sluice_option filter_options[] = {
    { .name = "condition", .type = SLUICE_OPT_EXPR, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct filter_conf, condition),
      .help = "boolean expression; rows where it is false or null are dropped" },
    { 0 }
};

/* ---- state ---- */

struct filter_state {
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    const struct ArrowSchema *in_schema;
    struct sluice_expr *cond;
};

/* ---- callbacks ---- */

/* Main thread, once: compile and type-check the condition; every column
 * passes through. */
static int filter_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx,
                       void **state, struct sluice_error *err)
{
    const struct filter_conf *conf = conf_ptr;
    const struct ArrowSchema *in = host->input_schema(ctx);
    struct filter_state *s = calloc(1, sizeof *s);
    if (!s) return host->error(err, SLUICE_ENOMEM, "out of memory");
    s->host = host;
    s->ctx = ctx;
    s->in_schema = in;

    int rc = host->expr_compile(in, conf->condition, &s->cond, err);
    if (rc == SLUICE_OK) {
        enum sluice_type t = sluice_type_of(host->expr_result(s->cond));
        /* Spark's wording, so the message can be searched for. */
        if (t != SLUICE_TYPE_BOOLEAN)
            rc = host->error(err, SLUICE_ECONFIG, "filter expression '%s' of type %s is not a boolean",
                             conf->condition, sluice_type_name(t));
    }
    if (rc == SLUICE_OK) rc = sluice_use_expr_columns(host, ctx, s->cond, err);
    if (rc != SLUICE_OK) {
        if (s->cond) host->expr_free(s->cond);
        free(s);
        return sluice_error_key(err, "condition", rc);
    }

    struct ArrowSchema out;
    host->schema_copy(in, &out);
    for (int64_t i = 0; i < in->n_children; i++) host->pass_column(ctx, i, i);
    rc = host->set_output_schema(ctx, &out, err);
    if (rc != SLUICE_OK) {
        host->expr_free(s->cond);
        free(s);
        return rc;
    }
    *state = s;
    return SLUICE_OK;
}

/* Rows of `mask` (a boolean array) that are true and not null, written to
 * `kept` when it is non-NULL; returns how many. */
static int64_t true_rows(const struct ArrowArray *mask, int64_t rows, int64_t *kept)
{
    int64_t n = 0;
    for (int64_t r = 0; r < rows; r++) {
        int64_t p = mask->offset + r;
        if (sluice_array_valid(mask, p) && sluice_get_bool(mask, p)) {
            if (kept) kept[n] = r;
            n++;
        }
    }
    return n;
}

/* Any worker thread, concurrently. */
static int filter_process(void *state, struct sluice_batch *in, struct sluice_batch *out,
                          struct sluice_error *err)
{
    const struct filter_state *s = state;
    const struct sluice_host *host = s->host;
    int64_t rows = sluice_batch_rows(in);

    struct ArrowArray mask = { 0 };
    int rc = host->expr_eval(s->cond, in, &mask, err);
    if (rc != SLUICE_OK) {
        sluice_batch_release(in);
        return rc;
    }
    int64_t n_kept = true_rows(&mask, rows, NULL);
    if (n_kept == rows) {
        mask.release(&mask);
        sluice_batch_move(out, in);
        out->schema = host->output_schema(s->ctx);
        return SLUICE_OK;
    }
    int64_t none = 0; /* a valid pointer for an empty take */
    int64_t *kept = n_kept ? malloc((size_t)n_kept * sizeof *kept) : &none;
    if (!kept) {
        mask.release(&mask);
        sluice_batch_release(in);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    true_rows(&mask, rows, kept);
    mask.release(&mask);
    rc = sluice_take_rows(host, s->in_schema, in, kept, n_kept, host->output_schema(s->ctx), out, err);
    if (kept != &none) free(kept);
    sluice_batch_release(in);
    return rc;
}

static void filter_close(void *state)
{
    struct filter_state *s = state;
    s->host->expr_free(s->cond);
    free(s);
}

/* ---- the descriptor ---- */

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_TRANSFORM,
        .name = "filter",
        .summary = "keep the rows where a condition is true (Spark's filter / where)",
        .options = filter_options,
        .conf_size = sizeof(struct filter_conf),
        .open = filter_open,
        .close = filter_close,
        .process = filter_process,
    };
    return &p;
}
