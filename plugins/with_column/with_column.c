/* with_column: Spark's withColumn(name, expr(...)). Adds a computed column,
 * or replaces the top-level column of that name in place:
 *
 *   { name = "flagged"; input = "tweets"; transform = "with_column";
 *     column = "covid_related"; expr = "lower(data.text) LIKE '%covid%'"; }
 *
 * As in Spark (spark.sql.caseSensitive off), the name matches existing
 * columns ignoring case; a match keeps its position and takes the new
 * spelling, no match appends the column at the end. Every other column is
 * moved from the input batch untouched. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sluice/plugin.h>

#include <sluice/transform.h>

/* ---- configuration ---- */

struct with_column_conf {
    const char *column;
    const char *expr;
};

static const struct sluice_option with_column_options[] = {
    { .name = "column", .type = SLUICE_OPT_STRING, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct with_column_conf, column),
      .help = "name of the column to add, or of the top-level column to replace (same position)" },
    { .name = "expr", .type = SLUICE_OPT_EXPR, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct with_column_conf, expr),
      .help = "the column's value, e.g. lower(data.text) LIKE '%covid%'" },
    { 0 }
};

/* ---- state ---- */

struct with_column_state {
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    struct sluice_expr *expr;
    /* Per output column: the input column moved there, or -1 where the
     * expression is evaluated. */
    int64_t *move_from;
    int64_t n_cols;
};

static void free_state(struct with_column_state *s)
{
    if (s->expr) s->host->expr_free(s->expr);
    free(s->move_from);
    free(s);
}

/* ---- callbacks ---- */

/* Main thread, once: compile the expression, lay out the output columns. */
static int with_column_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx,
                            void **state, struct sluice_error *err)
{
    const struct with_column_conf *conf = conf_ptr;
    const struct ArrowSchema *in = host->input_schema(ctx);
    if (!conf->column[0])
        return sluice_error_key(err, "column", host->error(err, SLUICE_ECONFIG, "column is empty: name the column to add"));

    struct with_column_state *s = calloc(1, sizeof *s);
    if (!s) return host->error(err, SLUICE_ENOMEM, "out of memory");
    s->host = host;
    s->ctx = ctx;
    int rc = host->expr_compile(in, conf->expr, &s->expr, err);
    if (rc != SLUICE_OK) {
        free_state(s);
        return sluice_error_key(err, "expr", rc);
    }

    bool replaces = false;
    for (int64_t i = 0; i < in->n_children; i++)
        replaces |= strcasecmp(in->children[i]->name, conf->column) == 0;
    s->n_cols = in->n_children + (replaces ? 0 : 1);
    s->move_from = malloc((size_t)s->n_cols * sizeof *s->move_from);
    if (!s->move_from) {
        free_state(s);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }

    /* `column = "x"; expr = "x"` needs no evaluation: x stays as it is. */
    int64_t same = host->expr_input_column(s->expr);
    bool evaluated = false;
    for (int64_t j = 0; j < s->n_cols; j++) {
        bool computed = j == in->n_children || strcasecmp(in->children[j]->name, conf->column) == 0;
        if (!computed) {
            s->move_from[j] = j;
        } else if (same >= 0 && same < in->n_children &&
                   strcasecmp(in->children[same]->name, conf->column) == 0) {
            s->move_from[j] = same;
            same = -1; /* moved once; a second place evaluates */
        } else {
            s->move_from[j] = -1;
            evaluated = true;
        }
    }
    if (evaluated) {
        rc = sluice_use_expr_columns(host, ctx, s->expr, err);
        if (rc != SLUICE_OK) {
            free_state(s);
            return sluice_error_key(err, "expr", rc);
        }
    }

    struct ArrowSchema out;
    host->schema_init(&out, SLUICE_FORMAT_STRUCT, "", false, s->n_cols);
    const struct ArrowSchema *result = host->expr_result(s->expr);
    for (int64_t j = 0; j < s->n_cols; j++) {
        bool computed = j == in->n_children || strcasecmp(in->children[j]->name, conf->column) == 0;
        if (computed) sluice_schema_copy_named(host, result, conf->column, out.children[j]);
        else host->schema_copy(in->children[j], out.children[j]);
        if (s->move_from[j] >= 0) host->pass_column(ctx, j, s->move_from[j]);
    }
    rc = host->set_output_schema(ctx, &out, err);
    if (rc != SLUICE_OK) {
        free_state(s);
        return rc;
    }
    *state = s;
    return SLUICE_OK;
}

/* Any worker thread, concurrently: evaluate first (it reads the whole
 * input), then move every other column. */
static int with_column_process(void *state, struct sluice_batch *in, struct sluice_batch *out,
                               struct sluice_error *err)
{
    const struct with_column_state *s = state;
    const struct sluice_host *host = s->host;
    struct ArrowArray *columns = calloc((size_t)s->n_cols + 1, sizeof *columns);
    if (!columns) {
        sluice_batch_release(in);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    int rc = SLUICE_OK;
    for (int64_t j = 0; j < s->n_cols && rc == SLUICE_OK; j++)
        if (s->move_from[j] < 0) rc = host->expr_eval(s->expr, in, &columns[j], err);
    if (rc != SLUICE_OK) {
        for (int64_t j = 0; j < s->n_cols; j++)
            if (columns[j].release) columns[j].release(&columns[j]);
        free(columns);
        sluice_batch_release(in);
        return rc;
    }
    for (int64_t j = 0; j < s->n_cols; j++)
        if (s->move_from[j] >= 0) sluice_array_move(&columns[j], in->array.children[s->move_from[j]]);
    host->batch_assemble(out, host->output_schema(s->ctx), sluice_batch_rows(in), columns, s->n_cols);
    free(columns);
    sluice_batch_release(in);
    return SLUICE_OK;
}

static void with_column_close(void *state)
{
    free_state(state);
}

/* ---- the descriptor ---- */

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_TRANSFORM,
        .name = "with_column",
        .summary = "add a computed column or replace one in place (Spark's withColumn)",
        .options = with_column_options,
        .conf_size = sizeof(struct with_column_conf),
        .open = with_column_open,
        .close = with_column_close,
        .process = with_column_process,
    };
    return &p;
}
