/* explode: Spark's explode / explode_outer. One output row per element of
 * an array (or entry of a map), the row's other columns repeated:
 *
 *   { name = "tags"; input = "tagged"; transform = "explode";
 *     column = "data.entities.hashtags"; alias = "hashtag"; }
 *
 * The element goes in a new column `alias` (Spark's default name "col"),
 * of the array's element type, added after the input columns: Spark puts
 * it where explode() appears in the select, and a select after this stage
 * reorders as wanted. A map gives two columns, `key` and `value` (Spark's
 * names; key_alias and value_alias rename them). A null or empty array or
 * map gives no row; with explode_outer it gives one row of nulls.
 *
 * The row numbers to repeat and the element slots are gathered once per
 * batch, then every column is taken at them; when each row has exactly one
 * element the input columns are moved through untouched. */
#include <stdlib.h>
#include <string.h>

#include <sluice/plugin.h>

#include <sluice/transform.h>

/* ---- configuration ---- */

struct explode_conf {
    const char *column;
    const char *alias;
    bool outer;
    const char *key_alias, *value_alias;
};

static const struct sluice_option explode_options[] = {
    { .name = "column", .type = SLUICE_OPT_EXPR, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct explode_conf, column),
      .help = "the array to explode: a path such as data.entities.hashtags, or any array expression" },
    { .name = "alias", .type = SLUICE_OPT_STRING, .default_value = "col",
      .offset = offsetof(struct explode_conf, alias),
      .help = "name of the element column, added after the input columns (Spark's default: col)" },
    { .name = "explode_outer", .type = SLUICE_OPT_BOOL, .default_value = "false",
      .offset = offsetof(struct explode_conf, outer),
      .help = "true: a null or empty array gives one row with a null element instead of none" },
    { .name = "key_alias", .type = SLUICE_OPT_STRING, .default_value = "key",
      .offset = offsetof(struct explode_conf, key_alias),
      .help = "exploding a map: name of the key column (Spark's default: key)" },
    { .name = "value_alias", .type = SLUICE_OPT_STRING, .default_value = "value",
      .offset = offsetof(struct explode_conf, value_alias),
      .help = "exploding a map: name of the value column (Spark's default: value)" },
    { 0 }
};

/* ---- state ---- */

struct explode_state {
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    const struct ArrowSchema *in_schema;
    struct sluice_expr *array;
    const struct ArrowSchema *element; /* the array's element schema, or a map's entries (borrowed from the expression) */
    bool outer;
    bool map;                          /* entries: a key and a value column */
};

static void free_state(struct explode_state *s)
{
    if (s->array) s->host->expr_free(s->array);
    free(s);
}

/* ---- callbacks ---- */

/* Main thread, once: compile the array expression; output = input + element. */
static int explode_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx,
                        void **state, struct sluice_error *err)
{
    const struct explode_conf *conf = conf_ptr;
    const struct ArrowSchema *in = host->input_schema(ctx);
    if (!conf->alias[0])
        return sluice_error_key(err, "alias", host->error(err, SLUICE_ECONFIG, "alias is empty: name the element column"));
    struct explode_state *s = calloc(1, sizeof *s);
    if (!s) return host->error(err, SLUICE_ENOMEM, "out of memory");
    s->host = host;
    s->ctx = ctx;
    s->in_schema = in;
    s->outer = conf->outer;

    int rc = host->expr_compile(in, conf->column, &s->array, err);
    if (rc == SLUICE_OK) {
        const struct ArrowSchema *r = host->expr_result(s->array);
        enum sluice_type t = sluice_type_of(r);
        if ((t != SLUICE_TYPE_ARRAY && t != SLUICE_TYPE_MAP) || r->n_children != 1)
            rc = host->error(err, SLUICE_ECONFIG, "cannot explode '%s': it is %s %s, not an array or a map",
                             conf->column, t == SLUICE_TYPE_INVALID ? "an" : "a", sluice_type_name(t));
        else
            s->element = r->children[0];
        s->map = t == SLUICE_TYPE_MAP;
    }
    if (rc == SLUICE_OK) rc = sluice_use_expr_columns(host, ctx, s->array, err);
    if (rc != SLUICE_OK) {
        free_state(s);
        return sluice_error_key(err, "column", rc);
    }

    struct ArrowSchema out;
    host->schema_init(&out, SLUICE_FORMAT_STRUCT, "", false, in->n_children + 1 + s->map);
    for (int64_t i = 0; i < in->n_children; i++) {
        host->schema_copy(in->children[i], out.children[i]);
        host->pass_column(ctx, i, i);
    }
    /* The new columns: the element, or a map's key and value; every one
     * nullable, as explode_outer's rows are. */
    int64_t n_new = s->map ? 2 : 1;
    for (int64_t k = 0; k < n_new; k++) {
        const struct ArrowSchema *from = s->map ? s->element->children[k] : s->element;
        const char *name = !s->map ? conf->alias : k ? conf->value_alias : conf->key_alias;
        struct ArrowSchema *e = out.children[in->n_children + k];
        host->schema_init(e, from->format, name, true, from->n_children);
        for (int64_t i = 0; i < from->n_children; i++) host->schema_copy(from->children[i], e->children[i]);
    }
    rc = host->set_output_schema(ctx, &out, err);
    if (rc != SLUICE_OK) {
        free_state(s);
        return rc;
    }
    *state = s;
    return SLUICE_OK;
}

/* Output rows for list slot p (physical) of `list`. */
static int64_t slot_rows(const struct ArrowArray *list, int64_t p, bool outer, int64_t *first)
{
    if (!sluice_array_valid(list, p)) {
        *first = 0;
        return outer ? -1 : 0;
    }
    int64_t n = sluice_get_list(list, p, first);
    return n > 0 ? n : outer ? -1 : 0;
}

/* Any worker thread, concurrently. */
static int explode_process(void *state, struct sluice_batch *in, struct sluice_batch *out,
                           struct sluice_error *err)
{
    const struct explode_state *s = state;
    const struct sluice_host *host = s->host;
    int64_t rows = sluice_batch_rows(in);
    int64_t n_in = in->array.n_children;

    struct ArrowArray list = { 0 };
    int rc = host->expr_eval(s->array, in, &list, err);
    if (rc != SLUICE_OK) {
        sluice_batch_release(in);
        return rc;
    }

    /* Count first, so the index arrays are one exact allocation; -1 from
     * slot_rows is an outer row with a null element. */
    int64_t total = 0, first;
    bool one_each = true;
    for (int64_t r = 0; r < rows; r++) {
        int64_t n = slot_rows(&list, list.offset + r, s->outer, &first);
        total += n < 0 ? 1 : n;
        one_each = one_each && (n == 1 || n == -1);
    }
    int64_t *idx = malloc(((size_t)total * 2 + 1) * sizeof *idx);
    struct ArrowArray *columns = calloc((size_t)n_in + 2, sizeof *columns);
    if (!idx || !columns) {
        free(idx);
        free(columns);
        list.release(&list);
        sluice_batch_release(in);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    int64_t *row_of = idx, *element_of = idx + total;
    int64_t k = 0;
    for (int64_t r = 0; r < rows; r++) {
        int64_t n = slot_rows(&list, list.offset + r, s->outer, &first);
        if (n < 0) {
            row_of[k] = r;
            element_of[k++] = -1;
        }
        for (int64_t e = 0; e < n; e++) {
            row_of[k] = r;
            element_of[k++] = first + e; /* a logical slot of the element array */
        }
    }

    if (s->map) {
        /* Entry q of the list is row entries->offset + q of its key and value arrays. */
        const struct ArrowArray *entries = list.children[0];
        for (int64_t q = 0; q < total; q++)
            if (element_of[q] >= 0) element_of[q] += entries->offset;
        host->array_take(s->element->children[0], entries->children[0], element_of, total, &columns[n_in]);
        host->array_take(s->element->children[1], entries->children[1], element_of, total, &columns[n_in + 1]);
    } else {
        host->array_take(s->element, list.children[0], element_of, total, &columns[n_in]);
    }
    list.release(&list);
    for (int64_t i = 0; i < n_in; i++) {
        if (one_each) sluice_array_move(&columns[i], in->array.children[i]);
        else host->array_take(s->in_schema->children[i], in->array.children[i], row_of, total, &columns[i]);
    }
    host->batch_assemble(out, host->output_schema(s->ctx), total, columns, n_in + 1 + s->map);
    free(columns);
    free(idx);
    sluice_batch_release(in);
    return SLUICE_OK;
}

static void explode_close(void *state)
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
        .name = "explode",
        .summary = "one row per element of an array or entry of a map (Spark's explode / explode_outer)",
        .options = explode_options,
        .conf_size = sizeof(struct explode_conf),
        .open = explode_open,
        .close = explode_close,
        .process = explode_process,
    };
    return &p;
}
