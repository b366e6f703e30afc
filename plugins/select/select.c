/* select: Spark's select / selectExpr. Each output column is an expression
 * of the input row, optionally named with `AS`:
 *
 *   { name = "slim"; input = "tweets"; transform = "select";
 *     columns = ["data.text AS text", "data.lang AS lang", "data.*", "*"]; }
 *
 * `*` stands for every input column and `x.*` for every field of struct x
 * (each named by its field name), as in Spark. Duplicate output names are
 * kept, as Spark keeps them.
 *
 * A bare top-level column (`lang`, or one that `*` stands for) is moved
 * from the input batch to the output untouched, buffers and all; only
 * computed columns, nested paths included, are evaluated. A column selected
 * twice is moved once and evaluated for its other places, since one Arrow
 * node cannot sit in two places of a batch. */
#include <stdlib.h>
#include <string.h>

#include <sluice/plugin.h>

#include <sluice/transform.h>

/* ---- configuration ---- */

struct select_conf {
    struct sluice_strlist columns;
};

static const struct sluice_option select_options[] = {
    { .name = "columns", .type = SLUICE_OPT_STRING_LIST, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct select_conf, columns),
      .help = "output columns in order: expressions, each optionally `expr AS name`; \"*\" is every input "
              "column, \"data.*\" every field of struct data" },
    { 0 }
};

/* ---- state ---- */

/* One output column: moved from input column `move_from`, or (move_from
 * -1) computed by `expr`. `expr` may also be set for a moved column (it
 * gave the column's name); star-expanded moved columns have none. */
struct select_col {
    struct sluice_expr *expr;
    int64_t move_from;
};

struct select_state {
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    struct select_col *cols;
    int64_t n_cols;
    int64_t cap_cols;
};

static void free_cols(struct select_state *s)
{
    for (int64_t i = 0; i < s->n_cols; i++)
        if (s->cols[i].expr) s->host->expr_free(s->cols[i].expr);
    free(s->cols);
    s->cols = NULL;
    s->n_cols = s->cap_cols = 0;
}

static struct select_col *add_col(struct select_state *s)
{
    if (s->n_cols == s->cap_cols) {
        int64_t cap = s->cap_cols ? 2 * s->cap_cols : 8;
        struct select_col *c = realloc(s->cols, (size_t)cap * sizeof *c);
        if (!c) return NULL;
        s->cols = c;
        s->cap_cols = cap;
    }
    struct select_col *c = &s->cols[s->n_cols++];
    c->expr = NULL;
    c->move_from = -1;
    return c;
}

/* `name` as one path segment: back-quoted, with back-quotes doubled, so
 * any field name (spaces, dots) reads back as itself. Appended at out. */
static size_t quoted_len(const char *name)
{
    size_t n = 2;
    for (const char *p = name; *p; p++) n += *p == '`' ? 2 : 1;
    return n;
}

static char *put_quoted(char *out, const char *name)
{
    *out++ = '`';
    for (const char *p = name; *p; p++) {
        if (*p == '`') *out++ = '`';
        *out++ = *p;
    }
    *out++ = '`';
    return out;
}

/* Compile `prefix` + "." + `field` back-quoted (prefix NULL: the field alone). */
static int compile_field(const struct sluice_host *host, const struct ArrowSchema *in, const char *prefix,
                         size_t prefix_len, const char *field, struct sluice_expr **out,
                         struct sluice_error *err)
{
    size_t len = (prefix ? prefix_len + 1 : 0) + quoted_len(field) + 1;
    char *text = malloc(len);
    if (!text) return host->error(err, SLUICE_ENOMEM, "out of memory");
    char *p = text;
    if (prefix) {
        memcpy(p, prefix, prefix_len);
        p += prefix_len;
        *p++ = '.';
    }
    p = put_quoted(p, field);
    *p = '\0';
    int rc = host->expr_compile(in, text, out, err);
    free(text);
    return rc;
}

/* The column for input column `i`: moved if no earlier output took it,
 * else computed from its name. */
static int add_input_column(struct select_state *s, const struct ArrowSchema *in, int64_t i, bool *moved,
                            struct sluice_error *err)
{
    struct select_col *c = add_col(s);
    if (!c) return s->host->error(err, SLUICE_ENOMEM, "out of memory");
    if (!moved[i]) {
        moved[i] = true;
        c->move_from = i;
        return SLUICE_OK;
    }
    int rc = compile_field(s->host, in, NULL, 0, in->children[i]->name, &c->expr, err);
    if (rc == SLUICE_OK) rc = sluice_use_expr_columns(s->host, s->ctx, c->expr, err);
    return rc;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* One entry of `columns`: `*`, `path.*`, or an expression. */
static int add_entry(struct select_state *s, const struct ArrowSchema *in, const char *text, bool *moved,
                     struct sluice_error *err)
{
    const struct sluice_host *host = s->host;
    const char *b = text, *e = text + strlen(text);
    while (b < e && is_space(*b)) b++;
    while (e > b && is_space(e[-1])) e--;

    if (e - b == 1 && *b == '*') {
        for (int64_t i = 0; i < in->n_children; i++) {
            int rc = add_input_column(s, in, i, moved, err);
            if (rc != SLUICE_OK) return rc;
        }
        return SLUICE_OK;
    }

    if (e - b >= 2 && e[-1] == '*' && e[-2] == '.') {
        size_t plen = (size_t)(e - 2 - b);
        char *prefix = malloc(plen + 1);
        if (!prefix) return host->error(err, SLUICE_ENOMEM, "out of memory");
        memcpy(prefix, b, plen);
        prefix[plen] = '\0';
        struct sluice_col col;
        int rc = host->col_resolve(in, prefix, &col, err);
        if (rc == SLUICE_OK && col.type != SLUICE_TYPE_STRUCT)
            rc = host->error(err, SLUICE_ECONFIG, "cannot expand '%s': '%s' is %s %s, not a struct", text,
                             prefix, col.type == SLUICE_TYPE_ARRAY ? "an" : "a", sluice_type_name(col.type));
        for (int64_t f = 0; rc == SLUICE_OK && f < col.schema->n_children; f++) {
            struct select_col *c = add_col(s);
            if (!c) {
                rc = host->error(err, SLUICE_ENOMEM, "out of memory");
                break;
            }
            rc = compile_field(host, in, prefix, plen, col.schema->children[f]->name, &c->expr, err);
            if (rc == SLUICE_OK) rc = sluice_use_expr_columns(s->host, s->ctx, c->expr, err);
        }
        free(prefix);
        return rc;
    }

    struct select_col *c = add_col(s);
    if (!c) return host->error(err, SLUICE_ENOMEM, "out of memory");
    int rc = host->expr_compile(in, text, &c->expr, err);
    if (rc != SLUICE_OK) return rc;
    int64_t from = host->expr_input_column(c->expr);
    if (from >= 0 && from < in->n_children && !moved[from]) {
        moved[from] = true;
        c->move_from = from;
        return SLUICE_OK;
    }
    return sluice_use_expr_columns(s->host, s->ctx, c->expr, err);
}

/* ---- callbacks ---- */

/* Main thread, once: compile every column, declare what is read and moved. */
static int select_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx,
                       void **state, struct sluice_error *err)
{
    const struct select_conf *conf = conf_ptr;
    const struct ArrowSchema *in = host->input_schema(ctx);
    if (conf->columns.n == 0)
        return sluice_error_key(err, "columns", host->error(err, SLUICE_ECONFIG, "columns is empty: select at least one column"));

    struct select_state *s = calloc(1, sizeof *s);
    bool *moved = calloc((size_t)in->n_children + 1, sizeof *moved);
    if (!s || !moved) {
        free(s);
        free(moved);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    s->host = host;
    s->ctx = ctx;

    int rc = SLUICE_OK;
    for (size_t k = 0; k < conf->columns.n && rc == SLUICE_OK; k++)
        rc = add_entry(s, in, conf->columns.items[k], moved, err);
    free(moved);
    if (rc != SLUICE_OK) {
        free_cols(s);
        free(s);
        return sluice_error_key(err, "columns", rc);
    }

    struct ArrowSchema out;
    host->schema_init(&out, SLUICE_FORMAT_STRUCT, "", false, s->n_cols);
    for (int64_t j = 0; j < s->n_cols; j++) {
        const struct select_col *c = &s->cols[j];
        if (c->move_from >= 0) {
            const struct ArrowSchema *field = in->children[c->move_from];
            /* An alias renames a moved column; `*` keeps the input's name. */
            const char *name = c->expr ? host->expr_result(c->expr)->name : NULL;
            sluice_schema_copy_named(host, field, name ? name : field->name, out.children[j]);
            host->pass_column(ctx, j, c->move_from);
        } else {
            const struct ArrowSchema *r = host->expr_result(c->expr);
            sluice_schema_copy_named(host, r, r->name ? r->name : "", out.children[j]);
        }
    }
    rc = host->set_output_schema(ctx, &out, err);
    if (rc != SLUICE_OK) {
        free_cols(s);
        free(s);
        return rc;
    }
    *state = s;
    return SLUICE_OK;
}

/* Any worker thread, concurrently: evaluate computed columns while the
 * input is whole, then move the passed ones out of it. */
static int select_process(void *state, struct sluice_batch *in, struct sluice_batch *out,
                          struct sluice_error *err)
{
    const struct select_state *s = state;
    const struct sluice_host *host = s->host;
    int64_t rows = sluice_batch_rows(in);

    struct ArrowArray *columns = calloc((size_t)s->n_cols + 1, sizeof *columns);
    if (!columns) {
        sluice_batch_release(in);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    int rc = SLUICE_OK;
    for (int64_t j = 0; j < s->n_cols && rc == SLUICE_OK; j++)
        if (s->cols[j].move_from < 0) rc = host->expr_eval(s->cols[j].expr, in, &columns[j], err);
    if (rc != SLUICE_OK) {
        for (int64_t j = 0; j < s->n_cols; j++)
            if (columns[j].release) columns[j].release(&columns[j]);
        free(columns);
        sluice_batch_release(in);
        return rc;
    }
    for (int64_t j = 0; j < s->n_cols; j++)
        if (s->cols[j].move_from >= 0) sluice_array_move(&columns[j], in->array.children[s->cols[j].move_from]);
    host->batch_assemble(out, host->output_schema(s->ctx), rows, columns, s->n_cols);
    free(columns);
    sluice_batch_release(in); /* what is left: the root and the columns not selected */
    return SLUICE_OK;
}

static void select_close(void *state)
{
    struct select_state *s = state;
    free_cols(s);
    free(s);
}

/* ---- the descriptor ---- */

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_TRANSFORM,
        .name = "select",
        .summary = "keep, compute and rename columns (Spark's select / selectExpr)",
        .options = select_options,
        .conf_size = sizeof(struct select_conf),
        .open = select_open,
        .close = select_close,
        .process = select_process,
    };
    return &p;
}
