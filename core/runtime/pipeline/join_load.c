/* A stream-static join from the config, and its static table read once.
 * See join_load.h. */
#include "join_load.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "builder.h"
#include "config.h"
#include "decimal.h"
#include "error.h"
#include "expr.h"
#include "graph_priv.h"
#include "join.h"
#include "mem.h"
#include "schema.h"
#include "stage.h"

static const char *const join_keys[] = { "with", "on", "type" };
/* In enum sluice_join_type's order, then the stream-stream join's own. */
static const char *const type_names[] = { "inner", "left_outer", "left_semi", "left_anti", "right_outer", "full_outer" };
#define STATIC_TYPES 4

int sluice_join_load_check(const config_setting_t *join, const char **with, struct sluice_error *err)
{
    if (!config_setting_is_group(join))
        return sluice_graph_expected(err, join, "a group: join = { with = \"users\"; on = \"a = users.b\"; }");
    for (int i = 0; i < config_setting_length(join); i++) {
        const config_setting_t *s = config_setting_get_elem(join, (unsigned)i);
        bool known = false;
        for (size_t k = 0; k < N_ELEMS(join_keys) && !known; k++) known = strcmp(config_setting_name(s), join_keys[k]) == 0;
        if (!known) return sluice_graph_unknown_key(err, s, join_keys, N_ELEMS(join_keys), "join");
    }
    for (size_t k = 0; k < 2; k++) {
        const config_setting_t *s = config_setting_get_member(join, join_keys[k]);
        if (!s) {
            sluice_error_at(err, SLUICE_ECONFIG, join, "missing key '%s' in join", join_keys[k]);
            sluice_error_hint(err, "join = { with = \"users\"; on = \"data.author_id = users.id\"; type = \"inner\"; }");
            return SLUICE_ECONFIG;
        }
        const char *v;
        int rc = sluice_graph_get_string(s, &v, err);
        if (rc) return rc;
        if (k == 0) *with = v;
    }
    const config_setting_t *type = config_setting_get_member(join, "type");
    if (type) {
        const char *t = config_setting_type(type) == CONFIG_TYPE_STRING ? config_setting_get_string(type) : NULL;
        bool ok = false;
        for (size_t k = 0; t && k < N_ELEMS(type_names) && !ok; k++) ok = strcmp(t, type_names[k]) == 0;
        if (!ok)
            return sluice_graph_expected(err, type, "\"inner\", \"left_outer\", \"right_outer\", \"full_outer\", "
                                         "\"left_semi\" or \"left_anti\"");
    }
    return SLUICE_OK;
}

size_t sluice_join_type_index(const config_setting_t *type)
{
    for (size_t k = 0; type && k < N_ELEMS(type_names); k++)
        if (strcmp(config_setting_get_string(type), type_names[k]) == 0) return k;
    return 0;
}

/* ---- `on` ---------------------------------------------------------------- */

static void trim(char *s)
{
    size_t n = strlen(s), i = 0;
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    while (isspace((unsigned char)s[i])) i++;
    memmove(s, s + i, n - i + 1);
}

/* The byte of the one top-level '=' of `text` (not part of <=, >=, !=,
 * ==, <=>), outside quotes and parentheses; -1 when there is none or more. */
static long equals_at(const char *text)
{
    long eq = -1;
    int d = 0;
    char q = 0;
    for (long k = 0; text[k]; k++) {
        if (q) {
            if (text[k] == q) q = 0;
            continue;
        }
        if (text[k] == '\'' || text[k] == '"' || text[k] == '`') q = text[k];
        else if (text[k] == '(') d++;
        else if (text[k] == ')') d--;
        else if (d == 0 && text[k] == '=' && (k == 0 || !strchr("<>!=", text[k - 1])) && text[k + 1] != '=' &&
                 text[k + 1] != '>') {
            if (eq != -1) return -1;
            eq = k;
        }
    }
    return eq;
}

size_t sluice_join_split_on(const char *on, struct sluice_join_conjunct **out)
{
    size_t n = strlen(on), start = 0, count = 0;
    *out = NULL;
    int depth = 0;
    char quote = 0;
    for (size_t i = 0; i <= n; i++) {
        char c = on[i];
        if (quote) {
            if (c == quote) quote = 0;
            continue;
        }
        if (c == '\'' || c == '"' || c == '`') quote = c;
        else if (c == '(') depth++;
        else if (c == ')') depth--;
        bool at_and = depth == 0 && i + 3 <= n && strncasecmp(on + i, "AND", 3) == 0 &&
                      (i == 0 || isspace((unsigned char)on[i - 1])) &&
                      (i + 3 == n || isspace((unsigned char)on[i + 3]));
        if (c != '\0' && !at_and) continue;
        /* on[start, i) is one conjunct. */
        struct sluice_join_conjunct cj = { sluice_xstrndup(on + start, i - start), NULL, NULL };
        trim(cj.text);
        long eq = equals_at(cj.text);
        if (eq >= 0) {
            cj.left = sluice_xstrndup(cj.text, (size_t)eq);
            cj.right = sluice_xstrdup(cj.text + eq + 1);
            trim(cj.left);
            trim(cj.right);
        }
        *out = sluice_xrealloc(*out, (count + 1) * sizeof **out);
        (*out)[count++] = cj;
        if (c == '\0') break;
        i += 2;
        start = i + 1;
    }
    return count;
}

void sluice_join_conjuncts_free(struct sluice_join_conjunct *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].text);
        free(c[i].left);
        free(c[i].right);
    }
    free(c);
}

/* `text` qualified by the static stage's name: the rest, or NULL. */
static const char *unqualified(const char *text, const char *with)
{
    size_t n = strlen(with);
    return strncmp(text, with, n) == 0 && text[n] == '.' && text[n + 1] ? text + n + 1 : NULL;
}

static bool numeric(enum sluice_type t)
{
    return t == SLUICE_TYPE_LONG || t == SLUICE_TYPE_DOUBLE;
}

/* SQL for a type a string side is cast to, or NULL. */
static const char *sql_type(enum sluice_type t)
{
    switch (t) {
    case SLUICE_TYPE_LONG: return "BIGINT";
    case SLUICE_TYPE_DOUBLE: return "DOUBLE";
    case SLUICE_TYPE_TIMESTAMP: return "TIMESTAMP";
    case SLUICE_TYPE_DATE: return "DATE";
    case SLUICE_TYPE_BOOLEAN: return "BOOLEAN";
    default: return NULL;
    }
}

/* Keys with a decimal: with a double both compare as doubles; with a
 * decimal or a long (a decimal(20,0)) as the wider decimal of both, so
 * equal values encode alike; a string is read as the decimal's type. */
static bool coerce_decimal(const struct ArrowSchema *sa, const struct ArrowSchema *sb, const char **cast_a,
                           const char **cast_b, char wider[48])
{
    enum sluice_type a = sluice_type_of(sa), b = sluice_type_of(sb);
    if (a == SLUICE_TYPE_DOUBLE || b == SLUICE_TYPE_DOUBLE) {
        if (a == SLUICE_TYPE_DECIMAL) *cast_a = "DOUBLE";
        if (b == SLUICE_TYPE_DECIMAL) *cast_b = "DOUBLE";
        return a != SLUICE_TYPE_STRING && b != SLUICE_TYPE_STRING && numeric(a == SLUICE_TYPE_DECIMAL ? b : a);
    }
    int p[2] = { 20, 20 }, s[2] = { 0, 0 };
    const struct ArrowSchema *sides[2] = { sa, sb };
    for (int i = 0; i < 2; i++) {
        enum sluice_type t = sluice_type_of(sides[i]);
        if (t == SLUICE_TYPE_DECIMAL) sluice_decimal_params(sides[i], &p[i], &s[i]);
        else if (t == SLUICE_TYPE_STRING) p[i] = -1;
        else if (t != SLUICE_TYPE_LONG) return false;
    }
    if (p[0] < 0) p[0] = p[1], s[0] = s[1]; /* a string takes the decimal's type */
    if (p[1] < 0) p[1] = p[0], s[1] = s[0];
    int prec, scale;
    sluice_dec_wider(p[0], s[0], p[1], s[1], &prec, &scale);
    snprintf(wider, 48, "DECIMAL(%d,%d)", prec, scale);
    char own[48];
    for (int i = 0; i < 2; i++) {
        bool same = false;
        if (sluice_type_of(sides[i]) == SLUICE_TYPE_DECIMAL) {
            snprintf(own, sizeof own, "DECIMAL(%d,%d)", p[i], s[i]);
            same = strcmp(own, wider) == 0;
        }
        if (!same) *(i ? cast_b : cast_a) = wider;
    }
    return true;
}

bool sluice_join_coerce(const struct ArrowSchema *sa, const struct ArrowSchema *sb, const char **cast_a,
                        const char **cast_b, char wider[48])
{
    enum sluice_type a = sluice_type_of(sa), b = sluice_type_of(sb);
    *cast_a = *cast_b = NULL;
    if (a == SLUICE_TYPE_DECIMAL || b == SLUICE_TYPE_DECIMAL) return coerce_decimal(sa, sb, cast_a, cast_b, wider);
    if (a == b) return true;
    if (numeric(a) && numeric(b)) {
        if (a == SLUICE_TYPE_LONG) *cast_a = "DOUBLE";
        else *cast_b = "DOUBLE";
        return true;
    }
    /* A date meets a timestamp at its midnight. */
    if (a == SLUICE_TYPE_DATE && b == SLUICE_TYPE_TIMESTAMP) return *cast_a = "TIMESTAMP", true;
    if (b == SLUICE_TYPE_DATE && a == SLUICE_TYPE_TIMESTAMP) return *cast_b = "TIMESTAMP", true;
    if (a == SLUICE_TYPE_STRING && sql_type(b)) return *cast_a = sql_type(b), true;
    if (b == SLUICE_TYPE_STRING && sql_type(a)) return *cast_b = sql_type(a), true;
    return false;
}

void sluice_join_output_schema(const struct ArrowSchema *left, const struct ArrowSchema *right, bool with_right,
                               const char *right_name, bool left_nullable, bool right_nullable, struct ArrowSchema *out)
{
    int64_t nl = left->n_children, nr = with_right ? right->n_children : 0;
    sluice_schema_init(out, "+s", "", false, nl + nr);
    for (int64_t c = 0; c < nl + nr; c++) {
        const struct ArrowSchema *from = c < nl ? left->children[c] : right->children[c - nl];
        struct ArrowSchema *col = out->children[c];
        sluice_schema_copy(from, col);
        if (c < nl ? left_nullable : right_nullable) col->flags |= ARROW_FLAG_NULLABLE;
        if (c < nl || sluice_schema_child_index(left, from->name) < 0) continue;
        struct sluice_buf q = { 0 };
        sluice_buf_printf(&q, "%s.%s", right_name, from->name);
        sluice_schema_set_name(col, q.data);
        sluice_buf_free(&q);
    }
}

int sluice_join_compile_side(const struct ArrowSchema *schema, const char *text, const char *cast,
                             struct sluice_expr **out, const config_setting_t *on, struct sluice_error *err)
{
    struct sluice_buf b = { 0 };
    if (cast) sluice_buf_printf(&b, "CAST((%s) AS %s)", text, cast);
    else sluice_buf_puts(&b, text);
    struct sluice_error e = { 0 };
    int rc = sluice_expr_compile(schema, b.data, out, &e);
    sluice_buf_free(&b);
    if (rc) {
        sluice_config_error_locate(&e, rc, on);
        *err = e;
    }
    return rc;
}

int sluice_join_load_open(struct sluice_stage *st, struct sluice_error *err)
{
    const config_setting_t *join = config_setting_get_member(st->setting, "join");
    const config_setting_t *on = config_setting_get_member(join, "on");
    const config_setting_t *type = config_setting_get_member(join, "type");
    const struct sluice_stage *with = st->join_with;
    const struct ArrowSchema *stream = st->ctx.input_schema, *table = &with->ctx.output_schema;
    enum sluice_join_type jt = (enum sluice_join_type)sluice_join_type_index(type);

    if (jt > SLUICE_JOIN_LEFT_ANTI) {
        int rc = sluice_error_at(err, SLUICE_ECONFIG, type, "%s join with a streaming DataFrame/Dataset on the left "
                                 "and a static DataFrame/Dataset on the right is not supported",
                                 jt == STATIC_TYPES ? "RightOuter" : "FullOuter");
        sluice_error_hint(err, "a static table can only be the right side: inner, left_outer, left_semi or left_anti");
        return sluice_error_stage(err, st->name), rc;
    }
    struct sluice_join_conjunct *cs;
    long n = (long)sluice_join_split_on(config_setting_get_string(on), &cs);
    int rc = SLUICE_OK;
    for (long i = 0; i < n && !rc; i++)
        if (!cs[i].left)
            rc = sluice_error_at(err, SLUICE_ECONFIG, on, "expected equalities joined by AND, such as "
                                 "\"data.author_id = %s.id\"; '%s' is not one", with->name, cs[i].text);
    if (rc) n = 0;
    struct sluice_expr **sk = sluice_xcalloc((size_t)(n ? n : 1), sizeof *sk);
    struct sluice_expr **tk = sluice_xcalloc((size_t)(n ? n : 1), sizeof *tk);
    for (long i = 0; i < n && !rc; i++) {
        const char *lt = unqualified(cs[i].left, with->name), *rt = unqualified(cs[i].right, with->name);
        if ((lt != NULL) == (rt != NULL)) {
            rc = sluice_error_at(err, SLUICE_ECONFIG, on, "'%s = %s' must compare a column of the stream with one of "
                                 "'%s', written %s.column", cs[i].left, cs[i].right, with->name, with->name);
            break;
        }
        const char *stext = lt ? cs[i].right : cs[i].left, *ttext = lt ? lt : rt;
        rc = sluice_join_compile_side(stream, stext, NULL, &sk[i], on, err);
        if (!rc) rc = sluice_join_compile_side(table, ttext, NULL, &tk[i], on, err);
        if (rc) break;
        enum sluice_type a = sluice_type_of(sluice_expr_result(sk[i])), b = sluice_type_of(sluice_expr_result(tk[i]));
        if (!sluice_schema_groupable(sluice_expr_result(sk[i])) || !sluice_schema_groupable(sluice_expr_result(tk[i]))) {
            rc = sluice_error_at(err, SLUICE_ECONFIG, on, "'%s = %s' compares maps, which are not orderable",
                                 cs[i].left, cs[i].right);
            break;
        }
        const char *cast_s, *cast_t;
        char wider[48];
        if (!sluice_join_coerce(sluice_expr_result(sk[i]), sluice_expr_result(tk[i]), &cast_s, &cast_t, wider)) {
            rc = sluice_error_at(err, SLUICE_ECONFIG, on, "cannot compare %s (%s) with %s.%s (%s)", stext,
                                 sluice_type_name(a), with->name, ttext, sluice_type_name(b));
            break;
        }
        if (cast_s) {
            sluice_expr_free(sk[i]);
            rc = sluice_join_compile_side(stream, stext, cast_s, &sk[i], on, err);
        }
        if (!rc && cast_t) {
            sluice_expr_free(tk[i]);
            rc = sluice_join_compile_side(table, ttext, cast_t, &tk[i], on, err);
        }
        const char *const *paths;
        size_t np = rc ? 0 : sluice_expr_columns(sk[i], &paths);
        for (size_t p = 0; p < np && !rc; p++) rc = sluice_ctx_use_column(&st->ctx, paths[p], err);
    }
    sluice_join_conjuncts_free(cs, (size_t)n);
    st->join = sluice_join_new(jt, sk, tk, (size_t)n);
    if (rc) return sluice_error_stage(err, st->name), rc;

    /* The stream's columns, then the table's (inner, left_outer), a static
     * row missing for left_outer. */
    bool with_table = jt == SLUICE_JOIN_INNER || jt == SLUICE_JOIN_LEFT_OUTER;
    struct ArrowSchema out;
    sluice_join_output_schema(stream, table, with_table, with->name, false, jt == SLUICE_JOIN_LEFT_OUTER, &out);
    rc = sluice_ctx_set_output_schema(&st->ctx, &out, err);
    for (int64_t c = 0; !rc && c < stream->n_children; c++) sluice_ctx_pass_column(&st->ctx, c, c);
    if (!rc) st->join->out_schema = sluice_ctx_output_schema(&st->ctx);
    return rc;
}

/* ---- the static table ---------------------------------------------------- */

struct collect {
    struct sluice_builder *b;
};

static int collect_rows(void *arg, struct sluice_batch *batch, struct sluice_error *err)
{
    (void)err;
    struct collect *c = arg;
    for (int64_t r = 0; r < sluice_batch_rows(batch); r++)
        sluice_builder_append_from(c->b, &batch->array, batch->array.offset + r);
    sluice_batch_release(batch);
    return SLUICE_OK;
}

int sluice_join_load_table(struct sluice_stage *st, struct sluice_error *err)
{
    struct sluice_stage *src = st->join_with;
    const struct sluice_plugin *p = src->plugin;
    struct sluice_buf end = { 0 };
    struct sluice_error e = { 0 };
    struct collect c = { sluice_builder_new(&src->ctx.output_schema) };
    int rc = p->latest_offset(src->state, NULL, false, &end, &e);
    size_t units = 0;
    if (!rc && end.len) rc = p->plan_read(src->state, NULL, end.data, &units, &e);
    for (size_t u = 0; u < units && !rc; u++) rc = p->read(src->state, u, collect_rows, &c, &e);
    sluice_buf_free(&end);
    if (rc) {
        sluice_builder_free(c.b);
        if (!e.message[0]) snprintf(e.message, sizeof e.message, "reading the static table failed with status %d", rc);
        if (!e.stage[0]) sluice_error_stage(&e, src->name);
        *err = e;
        return rc;
    }
    if (sluice_builder_refused(c.b)) {
        sluice_builder_free(c.b);
        return sluice_error_set(err, SLUICE_ELIMIT, "static table '%s' is larger than one batch may be (2 GiB of "
                                "strings)", src->name);
    }
    struct sluice_batch table;
    sluice_builder_finish(c.b, &table);
    sluice_builder_free(c.b);
    table.schema = &src->ctx.output_schema;
    rc = sluice_join_build(st->join, &table, err);
    if (rc) sluice_error_stage(err, st->name);
    return rc;
}
