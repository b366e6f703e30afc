/* Compiling an aggregation: splitting `func([DISTINCT] arg, literal...) AS
 * alias` entries, finding and binding aggregators, compiling keys and
 * arguments, grouping sets, state layout and Spark's output names. */
#include "agg_plan.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agg_param.h"
#include "colpath.h"
#include "error.h"
#include "expr.h"
#include "host.h"
#include "mem.h"
#include "schema.h"
#include "suggest.h"
#include "utf8.h"

#define MAX_PARAMS 8

/* One aggregate entry as written, by byte ranges of its text. */
struct entry {
    size_t fn_off, fn_len;
    bool distinct, star;
    size_t n_args;               /* the first is the argument, the rest are parameters */
    size_t arg_off[MAX_PARAMS + 1], arg_len[MAX_PARAMS + 1];
    char alias[128];             /* "" when none */
};

static int fail(struct sluice_error *err, const char *text, size_t off, const char *fmt, const char *a)
{
    sluice_error_set(err, SLUICE_ECONFIG, fmt, a);
    sluice_error_excerpt(err, text, sluice_utf8_position(text, off));
    return SLUICE_ECONFIG;
}

static bool word_start(char c) { return isalpha((unsigned char)c) || c == '_'; }
static bool word_char(char c) { return isalnum((unsigned char)c) || c == '_'; }
static size_t skip_ws(const char *t, size_t i)
{
    while (t[i] && isspace((unsigned char)t[i])) i++;
    return i;
}

/* Trim [*off, *off + *len) of whitespace. */
static void trim(const char *t, size_t *off, size_t *len)
{
    while (*len && isspace((unsigned char)t[*off])) (*off)++, (*len)--;
    while (*len && isspace((unsigned char)t[*off + *len - 1])) (*len)--;
}

/* The name after `func(...)`: `AS name`, `name`, or a back-quoted name. */
static int parse_alias(const char *t, size_t i, struct entry *e, struct sluice_error *err)
{
    i = skip_ws(t, i);
    if (!t[i]) return SLUICE_OK;
    bool as = strncasecmp(t + i, "AS", 2) == 0 && !word_char(t[i + 2]);
    if (as) i = skip_ws(t, i + 2);
    size_t from = i, n = 0;
    if (t[i] == '`') {
        for (i++; t[i] && !(t[i] == '`' && t[i + 1] != '`'); i++) {
            if (t[i] == '`') i++;
            if (n + 1 < sizeof e->alias) e->alias[n++] = t[i];
        }
        if (!t[i]) return fail(err, t, from, "unterminated back-quoted name%s", "");
        i++;
    } else if (word_start(t[i])) {
        for (; word_char(t[i]); i++)
            if (n + 1 < sizeof e->alias) e->alias[n++] = t[i];
    } else if (as) {
        return fail(err, t, i, "expected a name after AS%s", "");
    } else {
        return fail(err, t, i, "expected 'AS name' or the end of the aggregate, got '%s'", t + i);
    }
    e->alias[n] = '\0';
    if (n == 0) return fail(err, t, from, "empty alias%s", "");
    i = skip_ws(t, i);
    if (t[i]) return fail(err, t, i, "unexpected '%s' after the alias", t + i);
    return SLUICE_OK;
}

static int parse_entry(const char *t, struct entry *e, struct sluice_error *err)
{
    memset(e, 0, sizeof *e);
    size_t i = skip_ws(t, 0);
    if (!word_start(t[i])) {
        int rc = fail(err, t, i, "expected an aggregate function call such as count(*) or avg(x)%s", "");
        sluice_error_hint(err, "grouping keys go in group_by, cube or rollup");
        return rc;
    }
    e->fn_off = i;
    while (word_char(t[i])) i++;
    e->fn_len = i - e->fn_off;
    size_t open = skip_ws(t, i);
    if (t[open] != '(') {
        int rc = fail(err, t, open, "expected an aggregate function call such as count(*) or avg(x)%s", "");
        sluice_error_hint(err, "grouping keys go in group_by, cube or rollup");
        return rc;
    }
    /* Split the arguments at top-level commas, skipping quoted text. */
    int depth = 0;
    size_t from = open + 1;
    for (i = open + 1;; i++) {
        char c = t[i];
        if (!c) return fail(err, t, open, "missing ')' to close this '('%s", "");
        if (c == '\'' || c == '"') {
            for (i++; t[i] && t[i] != c; i++)
                if (t[i] == '\\' && t[i + 1]) i++;
            if (!t[i]) return fail(err, t, open, "missing ')' to close this '('%s", "");
        } else if (c == '`') {
            for (i++; t[i] && !(t[i] == '`' && t[i + 1] != '`'); i++)
                if (t[i] == '`') i++;
            if (!t[i]) return fail(err, t, open, "missing ')' to close this '('%s", "");
        } else if (c == '(') {
            depth++;
        } else if ((c == ',' || c == ')') && depth == 0) {
            if (e->n_args == MAX_PARAMS + 1) return fail(err, t, i, "too many arguments%s", "");
            size_t off = from, len = i - from;
            trim(t, &off, &len);
            if (len == 0 && (c == ',' || e->n_args > 0))
                return fail(err, t, i, "expected an argument before '%s'", c == ',' ? "," : ")");
            if (len) {
                e->arg_off[e->n_args] = off;
                e->arg_len[e->n_args++] = len;
            }
            from = i + 1;
            if (c == ')') break;
        } else if (c == ')') {
            depth--;
        }
    }
    if (e->n_args > 0) {
        size_t off = e->arg_off[0];
        if (strncasecmp(t + off, "DISTINCT", 8) == 0 && !word_char(t[off + 8]) && t[off + 8] != '.') {
            e->distinct = true;
            size_t len = e->arg_len[0] - 8;
            off += 8;
            trim(t, &off, &len);
            if (!len) return fail(err, t, off, "expected an argument after DISTINCT%s", "");
            e->arg_off[0] = off;
            e->arg_len[0] = len;
        }
        e->star = e->arg_len[0] == 1 && t[e->arg_off[0]] == '*';
    }
    return parse_alias(t, i + 1, e, err);
}

/* ---- naming ------------------------------------------------------------ */

/* `data.public_metrics.like_count`, `includes.users[0].verified`: a column
 * path and nothing else. */
static bool is_bare_path(const char *t, size_t len)
{
    size_t i = 0;
    for (;;) {
        if (i < len && t[i] == '`') {
            for (i++; i < len && !(t[i] == '`' && (i + 1 >= len || t[i + 1] != '`')); i++)
                if (t[i] == '`') i++;
            if (i >= len) return false;
            i++;
        } else if (i < len && word_start(t[i])) {
            while (i < len && word_char(t[i])) i++;
        } else {
            return false;
        }
        while (i < len && t[i] == '[') {
            for (i++; i < len && isdigit((unsigned char)t[i]); i++) {}
            if (i >= len || t[i] != ']') return false;
            i++;
        }
        if (i == len) return true;
        if (t[i] != '.') return false;
        i++;
    }
}

/* The length of the column path `t` starts with (`data.created_at`,
 * back-quoted segments, no indexes), or 0. */
static size_t path_prefix(const char *t)
{
    size_t i = 0;
    for (;;) {
        if (t[i] == '`') {
            for (i++; t[i] && !(t[i] == '`' && t[i + 1] != '`'); i++)
                if (t[i] == '`') i++;
            if (!t[i]) return 0;
            i++;
        } else if (word_start(t[i])) {
            while (word_char(t[i])) i++;
        } else {
            return 0;
        }
        if (t[i] != '.') return i;
        i++;
    }
}

/* True when key text is a column and nothing else, with an optional
 * `AS alias`: only such a key carries its column's event time, as only
 * an attribute carries Spark's watermark metadata. */
static bool is_bare_key(const char *t)
{
    size_t i = skip_ws(t, 0);
    size_t n = path_prefix(t + i);
    if (!n) return false;
    i = skip_ws(t, i + n);
    if (!t[i]) return true;
    if (strncasecmp(t + i, "AS", 2) != 0 || !isspace((unsigned char)t[i + 2])) return false;
    i = skip_ws(t, i + 2);
    if (t[i] == '`') {
        for (i++; t[i] && !(t[i] == '`' && t[i + 1] != '`'); i++)
            if (t[i] == '`') i++;
        if (!t[i]) return false;
        i++;
    } else if (word_start(t[i])) {
        while (word_char(t[i])) i++;
    } else {
        return false;
    }
    return !t[skip_ws(t, i)];
}

/* Record key k's column path when the key is a bare column. */
static void note_key_path(struct sluice_agg_plan *p, size_t k, const char *text)
{
    const char *const *paths;
    if (is_bare_key(text) && sluice_expr_columns(p->keys[k], &paths) == 1) p->key_paths[k] = sluice_xstrdup(paths[0]);
}

/* Spark's name for an argument: a path inside a function keeps every field
 * as the schema spells it (`avg(data.public_metrics.like_count)`, Spark 3
 * trims the `AS like_count` Spark 2 printed); anything else is named as
 * the expression names it. */
static void arg_name(const struct ArrowSchema *input, const char *text, const struct sluice_expr *e,
                     struct sluice_buf *out)
{
    struct sluice_col col;
    if (!is_bare_path(text, strlen(text)) || sluice_col_resolve(input, text, &col, NULL) != SLUICE_OK) {
        sluice_buf_puts(out, sluice_expr_result(e)->name);
        return;
    }
    const struct ArrowSchema *s = input;
    bool first = true;
    for (int32_t d = 0; d < col.depth; d++) {
        if (col.steps[d].child < 0) {
            sluice_buf_printf(out, "[%d]", (int)col.steps[d].index);
            s = s->children[0];
        } else {
            s = s->children[col.steps[d].child];
            if (!first) sluice_buf_putc(out, '.');
            sluice_buf_puts(out, s->name ? s->name : "");
            first = false;
        }
    }
}

/* ---- the plan -------------------------------------------------------- */

void sluice_agg_plan_free(struct sluice_agg_plan *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n_keys; i++) sluice_expr_free(p->keys[i]);
    for (size_t i = 0; p->key_paths && i < p->n_keys; i++) free(p->key_paths[i]);
    free(p->key_paths);
    for (size_t i = 0; i < p->n_args; i++) sluice_expr_free(p->args[i]);
    for (size_t i = 0; i < p->n_calls; i++)
        if (p->calls[i].fn->unbind) p->calls[i].fn->unbind(p->calls[i].bound);
    free(p->keys);
    free(p->args);
    free(p->calls);
    free(p->sets);
    sluice_schema_release(&p->output);
    free(p);
}

static void make_sets(struct sluice_agg_plan *p, enum sluice_agg_grouping g)
{
    /* The window is key 0 of every set: sets are made over the other keys
     * and shifted past it. */
    size_t lead = p->windowed ? 1 : 0;
    size_t n = p->n_keys - lead;
    uint32_t all = n ? (uint32_t)((UINT64_C(1) << n) - 1) : 0;
    if (g == SLUICE_AGG_GROUP_BY) {
        p->sets = sluice_xcalloc(1, sizeof *p->sets);
        p->sets[0] = all;
        p->n_sets = 1;
    } else if (g == SLUICE_AGG_ROLLUP) {
        /* rollup(a, b) = (a, b), (a), () */
        p->sets = sluice_xcalloc(n + 1, sizeof *p->sets);
        for (size_t k = 0; k <= n; k++) p->sets[k] = (uint32_t)((UINT64_C(1) << (n - k)) - 1);
        p->n_sets = n + 1;
    } else {
        /* Spark's cubeExprs: cube(a :: rest) = (a + each of cube(rest)) ++ cube(rest),
         * so cube(a, b) = (a, b), (a), (b), (). */
        size_t total = (size_t)1 << n;
        p->sets = sluice_xcalloc(total, sizeof *p->sets);
        p->sets[0] = 0;
        size_t have = 1;
        for (size_t k = n; k-- > 0;) {
            memmove(p->sets + have, p->sets, have * sizeof *p->sets);
            for (size_t j = 0; j < have; j++) p->sets[j] |= (uint32_t)1 << k;
            have *= 2;
        }
        p->n_sets = total;
    }
    for (size_t s = 0; lead && s < p->n_sets; s++) p->sets[s] = p->sets[s] << 1 | 1;
}

/* Aggregates whose result is never null (Spark: Count and
 * HyperLogLogPlusPlus are non-nullable), so schemas print as Spark's do. */
static bool never_null(const char *fn)
{
    return strcmp(fn, "count") == 0 || strcmp(fn, "count_distinct") == 0 ||
           strcmp(fn, "approx_count_distinct") == 0;
}

static int unknown_function(const struct sluice_agg_catalog *cat, const char *text, const struct entry *e,
                            const char *name, struct sluice_error *err)
{
    int rc = fail(err, text, e->fn_off, "unknown aggregate function '%s'", name);
    const char *const *names = NULL;
    size_t n = cat->names ? cat->names(cat->arg, &names) : 0;
    const char *close = n ? sluice_suggest(name, names, n) : NULL;
    if (close) {
        sluice_error_hint(err, "did you mean '%s'?", close);
    } else if (n) {
        char list[200];
        size_t used = 0;
        for (size_t i = 0; i < n && used < sizeof list; i++) {
            int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
            if (w > 0) used += (size_t)w;
        }
        sluice_error_hint(err, "aggregate functions found: %s", list);
    } else {
        sluice_error_hint(err, "no aggregator plugins were found on the plugin path");
    }
    return rc;
}

/* The argument's compile error points into the argument: move it into the entry. */
static int relocate(struct sluice_error *err, const char *text, size_t arg_off, const char *arg)
{
    if (err && strcmp(err->excerpt, arg) == 0) {
        int pos = err->position;
        sluice_error_excerpt(err, text, pos > 0 ? pos + sluice_utf8_position(text, arg_off) - 1 : 0);
    }
    return err ? err->code : SLUICE_ECONFIG;
}

static int add_call(struct sluice_agg_plan *p, const char *text, const struct ArrowSchema *input,
                    const struct sluice_agg_catalog *cat, char ***arg_texts, struct sluice_buf *name,
                    bool *nonnull, struct sluice_error *err)
{
    struct entry e;
    int rc = parse_entry(text, &e, err);
    if (rc) return rc;
    char fn[64];
    size_t n = e.fn_len < sizeof fn ? e.fn_len : sizeof fn - 1;
    for (size_t i = 0; i < n; i++) fn[i] = (char)tolower((unsigned char)text[e.fn_off + i]);
    fn[n] = '\0';
    bool count = strcmp(fn, "count") == 0;
    if (e.n_args == 0)
        return fail(err, text, e.fn_off, count ? "count() needs an argument: count(*) counts rows%s"
                                               : "%s() needs an argument", count ? "" : fn);
    if (e.star && (!count || e.distinct))
        return fail(err, text, e.arg_off[0], e.distinct ? "count(DISTINCT *) is not supported%s"
                                                        : "'*' is an argument of count only%s", "");
    if (e.distinct && !count) {
        int rc2 = fail(err, text, e.fn_off, "%s(DISTINCT ...) is not supported", fn);
        sluice_error_hint(err, "count(DISTINCT x) is; approx_count_distinct(x) estimates it with little memory");
        return rc2;
    }
    /* count(*) and count(1) count rows, and Spark names both count(1). */
    bool rows = count && !e.distinct && e.n_args == 1 &&
                (e.star || (e.arg_len[0] == 1 && text[e.arg_off[0]] == '1'));
    const char *lookup = e.distinct ? "count_distinct" : fn;
    const struct sluice_plugin *plugin = cat->find ? cat->find(cat->arg, lookup) : NULL;
    if (!plugin) return unknown_function(cat, text, &e, lookup, err);

    struct sluice_agg_call *c = &p->calls[p->n_calls];
    *c = (struct sluice_agg_call){ .fn = plugin, .arg = -1 };
    const struct ArrowSchema *arg_schema = NULL;
    char *arg = NULL;
    if (!rows) {
        arg = sluice_xstrndup(text + e.arg_off[0], e.arg_len[0]);
        for (size_t i = 0; i < p->n_args && c->arg < 0; i++)
            if (strcmp((*arg_texts)[i], arg) == 0) c->arg = (int64_t)i;
        if (c->arg < 0) {
            struct sluice_expr *x;
            rc = sluice_expr_compile(input, arg, &x, err);
            if (rc) {
                rc = relocate(err, text, e.arg_off[0], arg);
                free(arg);
                return rc;
            }
            *arg_texts = sluice_xrealloc(*arg_texts, (p->n_args + 1) * sizeof **arg_texts);
            (*arg_texts)[p->n_args] = arg;
            p->args[p->n_args] = x;
            c->arg = (int64_t)p->n_args++;
            arg = NULL;
        } else {
            free(arg);
        }
        arg_schema = sluice_expr_result(p->args[c->arg]);
    }
    char *texts[MAX_PARAMS] = { 0 }, *strs[MAX_PARAMS] = { 0 };
    struct sluice_agg_param params[MAX_PARAMS];
    size_t n_params = e.n_args - 1;
    for (size_t i = 0; i < n_params && !rc; i++) {
        texts[i] = sluice_xstrndup(text + e.arg_off[i + 1], e.arg_len[i + 1]);
        rc = sluice_agg_param_parse(input, texts[i], &params[i], &strs[i], err);
        if (rc) relocate(err, text, e.arg_off[i + 1], texts[i]);
    }
    struct sluice_error perr = { 0 };
    if (!rc) rc = plugin->bind(sluice_host(), arg_schema, params, n_params, &c->bound, &c->info, &perr);
    else if (err) perr = *err;
    for (size_t i = 0; i < n_params; i++) {
        free(texts[i]);
        free(strs[i]);
    }
    if (rc) {
        if (!perr.message[0]) snprintf(perr.message, sizeof perr.message, "aggregator '%s' refused its arguments", fn);
        if (!perr.excerpt[0]) sluice_error_excerpt(&perr, text, sluice_utf8_position(text, e.fn_off));
        if (err) *err = perr;
        return rc;
    }
    p->n_calls++; /* owns c->bound from here on */
    enum sluice_type rt = sluice_type_of_format(c->info.result_format);
    if (rt == SLUICE_TYPE_INVALID || rt == SLUICE_TYPE_STRUCT || rt == SLUICE_TYPE_ARRAY || rt == SLUICE_TYPE_MAP)
        return sluice_error_set(err, SLUICE_EPLUGIN, "aggregator '%s' declares result format '%s', which is not a "
                                "boolean, long, double, string or timestamp",
                                plugin->name, c->info.result_format ? c->info.result_format : "(null)");
    if (c->info.state_size == 0) {
        /* Its state would overlap the next aggregate's in the group's block. */
        sluice_error_set(err, SLUICE_EPLUGIN, "aggregator '%s' declares a state of 0 bytes", plugin->name);
        sluice_error_hint(err, "bind() must set info->state_size to the bytes of one group's state");
        return SLUICE_EPLUGIN;
    }
    if (c->info.has_destroy && !plugin->destroy)
        return sluice_error_set(err, SLUICE_EPLUGIN, "aggregator '%s' says its state owns memory (has_destroy) but "
                                "has no destroy callback", plugin->name);
    c->offset = p->state_size;
    p->state_size += (c->info.state_size + 7) & ~(size_t)7;
    p->has_destroy |= c->info.has_destroy;

    *nonnull = never_null(lookup);
    if (e.alias[0]) {
        sluice_buf_puts(name, e.alias);
    } else if (rows) {
        sluice_buf_puts(name, "count(1)");
    } else {
        sluice_buf_printf(name, "%s(%s", count ? "count" : fn, e.distinct ? "DISTINCT " : "");
        arg_name(input, (*arg_texts)[c->arg], p->args[c->arg], name);
        sluice_buf_putc(name, ')');
    }
    return SLUICE_OK;
}

static void set_where(struct sluice_agg_where *w, bool in_keys, size_t index)
{
    if (w) *w = (struct sluice_agg_where){ in_keys, index, false };
}

/* Key 0 of a windowed plan: the window's time column, a timestamp. */
static int add_window(struct sluice_agg_plan *p, const struct sluice_agg_spec *spec, const struct ArrowSchema *input,
                      struct sluice_error *err)
{
    int rc = sluice_window_check(&spec->window, NULL, err);
    if (rc) return rc;
    rc = sluice_expr_compile(input, spec->window_column, &p->keys[0], err);
    if (rc) return rc;
    p->n_keys = 1;
    const struct ArrowSchema *r = sluice_expr_result(p->keys[0]);
    if (sluice_type_of(r) != SLUICE_TYPE_TIMESTAMP) {
        rc = sluice_error_set(err, SLUICE_ECONFIG, "the window column '%s' is a %s, not a timestamp", spec->window_column,
                              sluice_type_name(sluice_type_of(r)));
        sluice_error_hint(err, "window over a timestamp column, or convert it: to_timestamp(%s)", spec->window_column);
        return rc;
    }
    p->windowed = true;
    p->window = spec->window;
    p->n_passes = sluice_window_passes(&spec->window);
    note_key_path(p, 0, spec->window_column);
    return SLUICE_OK;
}

int sluice_agg_plan_new(const struct sluice_agg_spec *spec, const struct ArrowSchema *input,
                        const struct sluice_agg_catalog *catalog, struct sluice_agg_plan **out,
                        struct sluice_agg_where *where, struct sluice_error *err)
{
    *out = NULL;
    set_where(where, true, 0);
    size_t max_keys = spec->grouping == SLUICE_AGG_CUBE ? SLUICE_AGG_MAX_CUBE_KEYS : SLUICE_AGG_MAX_KEYS;
    if (spec->n_keys > max_keys) {
        set_where(where, true, max_keys);
        return sluice_error_set(err, SLUICE_ECONFIG, "%s takes at most %zu keys, got %zu",
                                spec->grouping == SLUICE_AGG_CUBE ? "cube" : spec->grouping == SLUICE_AGG_ROLLUP
                                ? "rollup" : "group_by", max_keys, spec->n_keys);
    }
    if (spec->n_aggs == 0) {
        set_where(where, false, 0);
        return sluice_error_set(err, SLUICE_ECONFIG, "no aggregate given");
    }
    size_t lead = spec->window_column ? 1 : 0;
    if (lead && spec->n_keys + lead > SLUICE_AGG_MAX_KEYS) {
        set_where(where, true, SLUICE_AGG_MAX_KEYS - lead);
        return sluice_error_set(err, SLUICE_ECONFIG, "a windowed aggregation takes at most %zu keys besides the "
                                "window, got %zu", (size_t)SLUICE_AGG_MAX_KEYS - lead, spec->n_keys);
    }
    struct sluice_agg_plan *p = sluice_xcalloc(1, sizeof *p);
    p->keys = sluice_xcalloc(spec->n_keys + lead ? spec->n_keys + lead : 1, sizeof *p->keys);
    p->key_paths = sluice_xcalloc(spec->n_keys + lead ? spec->n_keys + lead : 1, sizeof *p->key_paths);
    p->args = sluice_xcalloc(spec->n_aggs, sizeof *p->args);
    p->calls = sluice_xcalloc(spec->n_aggs, sizeof *p->calls);
    p->n_passes = 1;
    int rc = SLUICE_OK;
    if (lead) {
        rc = add_window(p, spec, input, err);
        if (rc && where) *where = (struct sluice_agg_where){ .in_window = true };
    }
    for (size_t i = 0; i < spec->n_keys && !rc; i++) {
        rc = sluice_expr_compile(input, spec->keys[i], &p->keys[lead + i], err);
        if (!rc && !sluice_schema_groupable(sluice_expr_result(p->keys[lead + i]))) {
            struct sluice_buf t = { 0 };
            sluice_schema_type_ddl(sluice_expr_result(p->keys[lead + i]), &t);
            rc = sluice_error_set(err, SLUICE_ECONFIG, "'%s' cannot be a grouping key: its type %s holds a map, "
                                  "which is not orderable", spec->keys[i], t.data);
            sluice_error_hint(err, "group by one of its values instead, e.g. m['key']");
            sluice_buf_free(&t);
            sluice_expr_free(p->keys[lead + i]);
            p->keys[lead + i] = NULL;
        }
        if (!rc) note_key_path(p, p->n_keys++, spec->keys[i]);
        else set_where(where, true, i);
    }
    char **arg_texts = NULL;
    struct sluice_buf *names = sluice_xcalloc(spec->n_aggs, sizeof *names);
    bool *nonnull = sluice_xcalloc(spec->n_aggs, sizeof *nonnull);
    for (size_t i = 0; i < spec->n_aggs && !rc; i++) {
        rc = add_call(p, spec->aggs[i], input, catalog, &arg_texts, &names[i], &nonnull[i], err);
        if (rc) set_where(where, false, i);
    }
    if (!rc) {
        make_sets(p, spec->grouping);
        sluice_schema_init(&p->output, SLUICE_FORMAT_STRUCT, "", false, (int64_t)(p->n_keys + p->n_calls));
        for (size_t i = 0; i < p->n_keys; i++) {
            if (i == 0 && p->windowed) sluice_window_schema(p->output.children[0]);
            else sluice_schema_copy(sluice_expr_result(p->keys[i]), p->output.children[i]);
        }
        for (size_t i = 0; i < p->n_calls; i++)
            sluice_schema_init(p->output.children[p->n_keys + i], p->calls[i].info.result_format, names[i].data,
                               !nonnull[i], 0);
        const char *dup = sluice_schema_find_duplicate(&p->output);
        if (dup) {
            size_t second = 0;
            for (int64_t i = 0, seen = 0; i < p->output.n_children; i++)
                if (strcmp(p->output.children[i]->name, dup) == 0 && seen++) second = (size_t)i;
            set_where(where, second < p->n_keys, second < p->n_keys ? second - lead : second - p->n_keys);
            rc = sluice_error_set(err, SLUICE_ECONFIG, "duplicate output column '%s'", dup);
            sluice_error_hint(err, "name one of them with AS");
        }
    }
    for (size_t i = 0; i < p->n_args; i++) free(arg_texts ? arg_texts[i] : NULL);
    free(arg_texts);
    for (size_t i = 0; i < spec->n_aggs; i++) sluice_buf_free(&names[i]);
    free(names);
    free(nonnull);
    if (rc) {
        sluice_agg_plan_free(p);
        return rc;
    }
    *out = p;
    return SLUICE_OK;
}

static void add_paths(const struct sluice_expr *e, const char ***out, size_t *n)
{
    const char *const *paths;
    size_t k = sluice_expr_columns(e, &paths);
    for (size_t i = 0; i < k; i++) {
        bool seen = false;
        for (size_t j = 0; j < *n && !seen; j++) seen = strcmp((*out)[j], paths[i]) == 0;
        if (seen) continue;
        *out = sluice_xrealloc(*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = paths[i];
    }
}

const char **sluice_agg_plan_columns(const struct sluice_agg_plan *p, size_t *n)
{
    const char **out = NULL;
    *n = 0;
    for (size_t i = 0; i < p->n_keys; i++) add_paths(p->keys[i], &out, n);
    for (size_t i = 0; i < p->n_args; i++) add_paths(p->args[i], &out, n);
    return out;
}
