/* Column paths: parse `includes.users[0].verified`, resolve it against a
 * schema once, and explain precisely what is wrong when it does not fit.
 *
 * Resolution is two passes over a short string: the syntax first (so a typo
 * in the brackets is reported as such), then the walk down the schema. */
#include "colpath.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "mem.h"
#include "schema.h"
#include "suggest.h"

/* One token of a path: a field name (index unused) or, when name is NULL, a
 * list index. `start` and `end` are its offsets in the path, for the caret
 * and for messages that quote the path up to the step that failed. */
struct tok {
    const char *name;
    int32_t index;
    size_t start, end;
};

struct path {
    const char *text; /* trimmed, NUL-terminated copy of the user's path */
    char *names;      /* storage for the unquoted names */
    struct tok toks[SLUICE_PATH_MAX_DEPTH];
    int n;
};

static int fail(struct sluice_error *err, const char *text, const char *at, const char *hint,
                const char *fmt, ...) SLUICE_FMT(5, 6);

/* With `at`, the caret goes under that character of the path `text`. */
static int fail(struct sluice_error *err, const char *text, const char *at, const char *hint,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sluice_error_setv(err, SLUICE_ECONFIG, fmt, ap);
    va_end(ap);
    if (err) snprintf(err->hint, sizeof err->hint, "%s", hint ? hint : "");
    if (at)
        sluice_schema_error_excerpt(err, text, at);
    else
        sluice_error_excerpt(err, "", 0);
    return SLUICE_ECONFIG;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_plain(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* ---- syntax ------------------------------------------------------------ */

static int tokenize(struct path *pp, struct sluice_error *err)
{
    const char *s = pp->text, *p = s;
    char *w = pp->names;
    pp->n = 0;
    if (!*p) return fail(err, NULL, NULL, NULL, "empty column path");
    for (;;) {
        /* a name */
        if (pp->n == SLUICE_PATH_MAX_DEPTH)
            return fail(err, NULL, NULL, NULL, "column path '%s' is deeper than %d steps", s,
                        SLUICE_PATH_MAX_DEPTH);
        struct tok *t = &pp->toks[pp->n];
        t->name = w;
        t->index = 0;
        t->start = (size_t)(p - s);
        if (*p == '`') {
            const char *open = p;
            for (p++;; p++) {
                if (!*p)
                    return fail(err, s, open, NULL,
                                "column path '%s': unterminated back-quote at character %d", s,
                                (int)(open - s) + 1);
                if (*p == '`') {
                    if (p[1] != '`') break;
                    p++;
                }
                *w++ = *p;
            }
            p++;
        } else {
            const char *start = p;
            while (*p && *p != '.' && *p != '[' && *p != ']' && *p != '`' && !is_space(*p)) *w++ = *p++;
            if (p == start) {
                if (is_space(*p))
                    return fail(err, s, p, "back-quote names that hold spaces: `my name`",
                                "column path '%s': unexpected space at character %d", s, (int)(p - s) + 1);
                if (*p == '.' || !*p)
                    return fail(err, s, p, NULL, "column path '%s': empty name at character %d", s,
                                (int)(p - s) + 1);
                return fail(err, s, p, NULL,
                            "column path '%s': expected a name at character %d, found '%c'", s,
                            (int)(p - s) + 1, *p);
            }
        }
        *w++ = '\0';
        t->end = (size_t)(p - s);
        pp->n++;
        /* any number of [N] */
        while (*p == '[') {
            const char *open = p++;
            int64_t v = 0;
            const char *digits = p;
            while (*p >= '0' && *p <= '9') {
                v = v * 10 + (*p - '0');
                if (v > INT32_MAX)
                    return fail(err, s, open, NULL,
                                "column path '%s': index at character %d is too large", s,
                                (int)(open - s) + 1);
                p++;
            }
            if (p == digits || *p != ']')
                return fail(err, s, open, "an index is a non-negative integer, as in users[0]",
                            "column path '%s': expected a number and ']' after '[' at character %d", s,
                            (int)(open - s) + 1);
            p++;
            if (pp->n == SLUICE_PATH_MAX_DEPTH)
                return fail(err, NULL, NULL, NULL, "column path '%s' is deeper than %d steps", s,
                            SLUICE_PATH_MAX_DEPTH);
            pp->toks[pp->n++] = (struct tok){ .name = NULL, .index = (int32_t)v,
                                               .start = (size_t)(open - s), .end = (size_t)(p - s) };
        }
        if (!*p) return SLUICE_OK;
        if (*p == '.') {
            p++;
            continue;
        }
        if (is_space(*p))
            return fail(err, s, p, "back-quote names that hold spaces: `my name`",
                        "column path '%s': unexpected space at character %d", s, (int)(p - s) + 1);
        return fail(err, s, p, NULL, "column path '%s': unexpected '%c' at character %d", s, *p,
                    (int)(p - s) + 1);
    }
}

/* ---- paths of a schema ------------------------------------------------- */

struct path_list {
    char **v;
    size_t n, cap;
};

static void list_push(struct path_list *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = sluice_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = sluice_xstrdup(s);
}

/* Projection paths below struct `s`; with `all`, struct and array nodes get
 * a path of their own too (for "did you mean"). */
static void collect(const struct ArrowSchema *s, struct sluice_buf *prefix, bool all,
                    struct path_list *l)
{
    for (int64_t i = 0; i < s->n_children; i++) {
        const struct ArrowSchema *c = s->children[i];
        size_t len = prefix->len;
        if (len) sluice_buf_putc(prefix, '.');
        sluice_col_append_name(prefix, c->name);
        const struct ArrowSchema *e = c;
        while (sluice_type_of(e) == SLUICE_TYPE_ARRAY && e->n_children == 1) e = e->children[0];
        if (sluice_type_of(e) == SLUICE_TYPE_STRUCT) {
            if (all) list_push(l, prefix->data);
            collect(e, prefix, all, l);
        } else {
            list_push(l, prefix->data);
        }
        prefix->len = len;
        prefix->data[len] = '\0';
    }
}

static char **schema_paths(const struct ArrowSchema *schema, bool all, size_t *n)
{
    struct path_list l = { 0 };
    struct sluice_buf prefix = { 0 };
    sluice_buf_puts(&prefix, "");
    if (sluice_type_of(schema) == SLUICE_TYPE_STRUCT) collect(schema, &prefix, all, &l);
    sluice_buf_free(&prefix);
    *n = l.n;
    return l.v;
}

char **sluice_schema_leaf_paths(const struct ArrowSchema *schema, size_t *n)
{
    return schema_paths(schema, false, n);
}

static void free_paths(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* ---- resolution -------------------------------------------------------- */

/* Spark resolves names case-insensitively by default; an exact match wins,
 * and two case-insensitive matches are an error rather than a coin toss. */
static int64_t find_field(const struct ArrowSchema *s, const char *name, int64_t *second)
{
    *second = -1;
    int64_t idx = sluice_schema_child_index(s, name);
    if (idx >= 0) return idx;
    for (int64_t i = 0; i < s->n_children; i++) {
        if (!s->children[i]->name || strcasecmp(s->children[i]->name, name) != 0) continue;
        if (idx >= 0) {
            *second = i;
            return idx;
        }
        idx = i;
    }
    return idx;
}

static const char *article(enum sluice_type t)
{
    return t == SLUICE_TYPE_ARRAY ? "an" : "a";
}

/* ---- "did you mean" ------------------------------------------------------ */

/* The user's path by name: toks[at[j]] is its j-th name, followed by the
 * index tokens written after it. */
struct written {
    const struct path *pp;
    int at[SLUICE_PATH_MAX_DEPTH];
    int n;
};

static const char *written_name(const struct written *w, int j)
{
    return w->pp->toks[w->at[j]].name;
}

/* Each of the candidate's segments within a typo of the user's name at the
 * same place (sluice_suggest_limit of that name): the total distance, or -1. */
static long typo_distance(const struct written *w, const char *const *segs, int k)
{
    if (k != w->n) return -1;
    long total = 0;
    for (int j = 0; j < k; j++) {
        size_t d = sluice_edit_distance(written_name(w, j), segs[j]);
        if (d > sluice_suggest_limit(strlen(written_name(w, j)))) return -1;
        total += (long)d;
    }
    return total;
}

/* The candidate is the user's path with levels left out before the name
 * that failed (`lang` for `data.lang`): the names before it lead there
 * exactly, and the names from it on end the candidate exactly. */
static bool skips_levels(const struct written *w, int failed, const char *const *segs, int k)
{
    if (k <= w->n) return false;
    for (int j = 0; j < failed; j++)
        if (strcasecmp(written_name(w, j), segs[j]) != 0) return false;
    for (int j = failed; j < w->n; j++)
        if (strcasecmp(written_name(w, j), segs[k - w->n + j]) != 0) return false;
    return true;
}

/* Write the candidate as a path that resolves: with the user's own indexes
 * after the names that line up with theirs (`mapped`), and [0] wherever an
 * array stands between a name and the next one and the user gave none.
 * False when the schema does not hold it (it always should). */
static bool write_candidate(const struct ArrowSchema *schema, const struct written *w, int failed,
                            const char *const *segs, int k, struct sluice_buf *out)
{
    const struct ArrowSchema *node = schema;
    for (int j = 0; j < k; j++) {
        int64_t c = sluice_type_of(node) == SLUICE_TYPE_STRUCT ? sluice_schema_child_index(node, segs[j]) : -1;
        if (c < 0) return false;
        node = node->children[c];
        if (j) sluice_buf_putc(out, '.');
        sluice_col_append_name(out, segs[j]);
        int m = k == w->n ? j : j < failed ? j : j >= k - (w->n - failed) ? j - (k - w->n) : -1;
        int t = m >= 0 ? w->at[m] + 1 : w->pp->n;
        while (sluice_type_of(node) == SLUICE_TYPE_ARRAY && node->n_children == 1) {
            if (t < w->pp->n && !w->pp->toks[t].name) sluice_buf_printf(out, "[%d]", (int)w->pp->toks[t++].index);
            else if (j + 1 < k) sluice_buf_puts(out, "[0]");
            else break;
            node = node->children[0];
        }
    }
    return true;
}

static int resolve(const struct ArrowSchema *schema, const struct path *pp, bool suggest, struct sluice_col *out,
                   struct sluice_error *err);

/* The hint for a name that is not there: the closest path of the schema,
 * only if it is a typo away or only skips levels, and only as a path that
 * resolves (never one that needs an index, unless it shows one). */
static void suggest_path(const struct ArrowSchema *schema, const struct path *pp, int failed,
                         struct sluice_buf *hint)
{
    struct written w = { .pp = pp };
    int failed_name = 0;
    for (int i = 0; i < pp->n; i++) {
        if (!pp->toks[i].name) continue;
        if (i == failed) failed_name = w.n;
        w.at[w.n++] = i;
    }
    size_t n;
    char **all = schema_paths(schema, true, &n);
    const char *segs[SLUICE_PATH_MAX_DEPTH];
    long best_d = -1;
    const char *best = NULL, *deeper = NULL;
    int deeper_hits = 0;
    for (size_t i = 0; i < n; i++) {
        char *storage = sluice_xmalloc(strlen(all[i]) + 1);
        int k = sluice_projection_path_split(all[i], storage, segs, SLUICE_PATH_MAX_DEPTH);
        long d = k > 0 ? typo_distance(&w, segs, k) : -1;
        if (d >= 0 && (best_d < 0 || d < best_d)) {
            best_d = d;
            best = all[i];
        }
        if (k > 0 && skips_levels(&w, failed_name, segs, k) && !deeper_hits++) deeper = all[i];
        free(storage);
    }
    /* Two places a name could come from would make the hint a guess. */
    if (!best && deeper_hits == 1) best = deeper;
    if (best) {
        char *storage = sluice_xmalloc(strlen(best) + 1);
        int k = sluice_projection_path_split(best, storage, segs, SLUICE_PATH_MAX_DEPTH);
        struct sluice_buf path = { 0 };
        sluice_buf_puts(&path, "");
        if (write_candidate(schema, &w, failed_name, segs, k, &path)) {
            struct path check = { .text = path.data, .names = sluice_xmalloc(path.len + 1) };
            struct sluice_col col = { 0 };
            struct sluice_error ignored = { 0 };
            if (tokenize(&check, &ignored) == SLUICE_OK && resolve(schema, &check, false, &col, &ignored) == SLUICE_OK)
                sluice_buf_printf(hint, "did you mean '%s'?", path.data);
            free(check.names);
        }
        sluice_buf_free(&path);
        free(storage);
    }
    free_paths(all, n);
}

static int no_column(const struct ArrowSchema *schema, const struct path *pp, int failed, bool suggest,
                     struct sluice_error *err)
{
    struct sluice_buf hint = { 0 };
    if (suggest) suggest_path(schema, pp, failed, &hint);
    const struct tok *t = &pp->toks[failed];
    int rc = fail(err, pp->text, pp->text + t->start, hint.data, "no column '%.*s' in the input",
                  (int)t->end, pp->text);
    sluice_buf_free(&hint);
    return rc;
}

static int resolve(const struct ArrowSchema *schema, const struct path *pp, bool suggest, struct sluice_col *out,
                   struct sluice_error *err)
{
    const struct ArrowSchema *node = schema;
    const char *s = pp->text;
    for (int i = 0; i < pp->n; i++) {
        const struct tok *t = &pp->toks[i];
        enum sluice_type type = sluice_type_of(node);
        /* `up` is the path up to (not including) this token, as written. */
        int up = i ? (int)pp->toks[i - 1].end : 0;
        if (!t->name) {
            if (type != SLUICE_TYPE_ARRAY || node->n_children != 1)
                return fail(err, s, s + t->start, NULL,
                            "'%.*s' is %s %s, not an array: cannot index it with [%d]", up, s,
                            article(type), sluice_type_name(type), (int)t->index);
            out->steps[out->depth++] = (struct sluice_path_step){ .child = -1, .index = t->index };
            node = node->children[0];
            continue;
        }
        if (type == SLUICE_TYPE_ARRAY) {
            /* Spark would project the field out of every element; sluice's
             * reader cannot yet, so say how to get there instead. */
            const struct ArrowSchema *e = node;
            while (sluice_type_of(e) == SLUICE_TYPE_ARRAY && e->n_children == 1) e = e->children[0];
            int64_t second;
            if (sluice_type_of(e) == SLUICE_TYPE_STRUCT && find_field(e, t->name, &second) >= 0)
                return fail(err, s, s + t->start, NULL,
                            "'%.*s' is an array: use [N] or a function such as explode to reach '%s'",
                            up, s, t->name);
            return no_column(schema, pp, i, suggest, err);
        }
        if (type != SLUICE_TYPE_STRUCT)
            return fail(err, s, s + t->start, NULL,
                        "'%.*s' is %s %s, not a struct: it has no field '%s'", up, s,
                        article(type), sluice_type_name(type), t->name);
        int64_t second;
        int64_t idx = find_field(node, t->name, &second);
        if (idx < 0) return no_column(schema, pp, i, suggest, err);
        if (second >= 0)
            return fail(err, s, s + t->start, "write the name in its exact case",
                        "ambiguous column '%.*s': it matches both '%s' and '%s'", (int)t->end, s,
                        node->children[idx]->name, node->children[second]->name);
        out->steps[out->depth++] = (struct sluice_path_step){ .child = (int32_t)idx, .index = 0 };
        node = node->children[idx];
    }
    out->schema = node;
    out->type = sluice_type_of(node);
    return SLUICE_OK;
}

int sluice_col_resolve(const struct ArrowSchema *schema, const char *path, struct sluice_col *out,
                       struct sluice_error *err)
{
    memset(out, 0, sizeof *out);
    if (sluice_type_of(schema) != SLUICE_TYPE_STRUCT)
        return fail(err, NULL, NULL, NULL, "cannot resolve column '%s': the input is not a struct",
                    path);
    /* Surrounding spaces are layout, not part of any name. */
    while (is_space(*path)) path++;
    size_t len = strlen(path);
    while (len && is_space(path[len - 1])) len--;
    char *buf = sluice_xmalloc(2 * len + 2);
    memcpy(buf, path, len);
    buf[len] = '\0';
    struct path pp = { .text = buf, .names = buf + len + 1 };
    int rc = tokenize(&pp, err);
    if (!rc) rc = resolve(schema, &pp, true, out, err);
    if (rc) memset(out, 0, sizeof *out);
    free(buf);
    return rc;
}

/* ---- projection form --------------------------------------------------- */

void sluice_col_append_name(struct sluice_buf *out, const char *name)
{
    const char *s = name ? name : "";
    bool plain = *s != '\0';
    for (const char *p = s; *p && plain; p++) plain = is_plain(*p);
    if (plain) {
        sluice_buf_puts(out, s);
        return;
    }
    sluice_buf_putc(out, '`');
    for (const char *p = s; *p; p++) {
        if (*p == '`') sluice_buf_putc(out, '`');
        sluice_buf_putc(out, *p);
    }
    sluice_buf_putc(out, '`');
}

void sluice_col_projection_path(const struct ArrowSchema *schema, const struct sluice_col *col,
                                struct sluice_buf *out)
{
    const struct ArrowSchema *node = schema;
    bool first = true;
    for (int32_t d = 0; d < col->depth; d++) {
        const struct sluice_path_step *st = &col->steps[d];
        if (st->child < 0) {
            node = node->children[0];
            continue;
        }
        node = node->children[st->child];
        if (!first) sluice_buf_putc(out, '.');
        sluice_col_append_name(out, node->name);
        first = false;
    }
}

int sluice_projection_path_split(const char *path, char *storage, const char **segs, int max)
{
    const char *p = path;
    char *w = storage;
    int n = 0;
    for (;;) {
        if (n == max) return -1;
        segs[n++] = w;
        if (*p == '`') {
            for (p++;; p++) {
                if (!*p) return -1;
                if (*p == '`') {
                    if (p[1] != '`') break;
                    p++;
                }
                *w++ = *p;
            }
            p++;
            if (*p && *p != '.') return -1;
        } else {
            const char *start = p;
            while (*p && *p != '.') {
                if (*p == '`') return -1;
                *w++ = *p++;
            }
            if (p == start) return -1;
        }
        *w++ = '\0';
        if (!*p) return n;
        p++; /* the dot */
    }
}
