/* Expressions over an aggregation's groups (expr.h): SQL's SELECT, HAVING
 * and ORDER BY after GROUP BY.
 *
 * The text is parsed with aggregate calls as EX_AGG nodes. Before the
 * usual check, a walk from the root binds the tree to the groups: a
 * subtree equal to a GROUP BY key (compared as trees, so `(lang)` is
 * `lang` and `LOWER( x )` is `lower(x)`) and an aggregate call become
 * EX_PATH nodes that read the groups' column and print as what they
 * replace; an alias (HAVING, ORDER BY) becomes the tree of the select item
 * it names; any other name is not grouped, an error. The check then types
 * the bound tree against the groups like any expression. */
#include "expr_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "colpath.h"
#include "error.h"
#include "mem.h"
#include "schema.h"

/* Deeper alias chains than this are a loop (`a` names `b` names `a`). */
#define ALIAS_DEPTH 16

/* ---- finding the calls ------------------------------------------------------ */

static int each_agg(const struct sluice_expr_groups *g, const char *text, const struct expr_node *n, size_t *found,
                    struct sluice_error *err)
{
    if (n->kind == EX_AGG) {
        if (found) (*found)++;
        return g->add_agg ? g->add_agg(g->arg, text, n->off, n->len, err) : SLUICE_OK;
    }
    for (int i = 0; i < n->n_args; i++) {
        int rc = each_agg(g, text, n->args[i], found, err);
        if (rc) return rc;
    }
    return SLUICE_OK;
}

int sluice_expr_find_aggregates(const char *text, const struct sluice_expr_groups *g, size_t *found,
                                struct sluice_error *err)
{
    struct sluice_expr *e = sluice_xcalloc(1, sizeof *e);
    e->arena = sluice_arena_new(0);
    e->groups = g;
    if (found) *found = 0;
    int rc = sluice_expr_parse(e, text, err);
    if (!rc) rc = each_agg(g, text, e->root, found, err);
    sluice_expr_free(e);
    return rc;
}

/* ---- binding to the groups ----------------------------------------------------- */

/* Do two parsed (unchecked) trees mean the same? Names compare as Spark
 * resolves them, without regard to case. */
static bool same_tree(const struct expr_node *a, const struct expr_node *b)
{
    if (a->kind != b->kind || a->negated != b->negated || a->n_args != b->n_args) return false;
    switch (a->kind) {
    case EX_LIT:
        if (a->type != b->type || strcmp(a->text ? a->text : "", b->text ? b->text : "") != 0) return false;
        break;
    case EX_PATH:
    case EX_CALL:
    case EX_FIELD:
        if (strcasecmp(a->text, b->text) != 0) return false;
        break;
    case EX_CAST:
        if (a->type != b->type) return false;
        break;
    case EX_LIKE:
        if (a->escape != b->escape) return false;
        break;
    case EX_AGG:
        return false; /* never in a key */
    default:
        break;
    }
    for (int i = 0; i < a->n_args; i++)
        if (!same_tree(a->args[i], b->args[i])) return false;
    return true;
}

struct binder {
    struct sluice_expr *e;
    const struct sluice_expr_groups *g;
    const struct ArrowSchema *groups;
    const char *text;
    struct sluice_error *err;
    struct expr_node **keys;          /* parsed */
    struct expr_node *window;         /* parsed, or NULL */
    const char **key_name, **key_leaf; /* as each key prints, and its result name */
};

/* An EX_PATH reading groups column `col`, printing as `name`. */
static struct expr_node *group_ref(struct binder *b, int pos, int64_t col, const char *name, const char *leaf)
{
    struct expr_node *n = sluice_expr_node_new(b->e, EX_PATH, pos, 0);
    struct sluice_buf path = { 0 };
    sluice_col_append_name(&path, b->groups->children[col]->name);
    n->text = sluice_arena_strndup(b->e->arena, path.data, path.len);
    sluice_buf_free(&path);
    n->bound_name = name;
    n->bound_leaf = leaf;
    return n;
}

/* A name that is neither grouped nor aggregated, said as Spark says it. */
static int ungrouped(struct binder *b, const struct expr_node *n)
{
    struct sluice_col col;
    struct sluice_error probe = { 0 };
    if (sluice_col_resolve(b->g->input, n->text, &col, &probe) == SLUICE_OK) {
        sluice_expr_fail(b->err, b->text, n->pos, "column '%s' is neither in GROUP BY nor inside an aggregate "
                         "function", n->text);
        sluice_error_hint(b->err, "add it to GROUP BY, or use an aggregate such as max(%s)", n->text);
    } else {
        sluice_expr_fail(b->err, b->text, n->pos, "%s", probe.message);
        sluice_error_hint(b->err, "%s", probe.hint);
    }
    return SLUICE_ECONFIG;
}

static int bind(struct binder *b, struct expr_node **slot, const char *src, int depth);

/* HAVING n > 1 with `count(*) AS n`: the item's tree in the alias's place. */
static int bind_alias(struct binder *b, struct expr_node **slot, const char *with, int depth)
{
    if (depth >= ALIAS_DEPTH)
        return sluice_expr_fail(b->err, b->text, (*slot)->pos, "alias '%s' names itself at character %d",
                                (*slot)->text, (*slot)->pos);
    struct expr_node *tree;
    struct sluice_error inner = { 0 };
    if (sluice_expr_parse_tree(b->e, with, &tree, &inner))
        return sluice_expr_fail(b->err, b->text, (*slot)->pos, "alias '%s' at character %d: %s", (*slot)->text,
                                (*slot)->pos, inner.message);
    /* Its nodes report where the alias is. */
    *slot = tree;
    return bind(b, slot, with, depth + 1);
}

/* `window` or `window.start` when the groups are windowed: the window's
 * column, then its fields (the checker resolves them). */
static bool window_path(struct binder *b, struct expr_node **slot)
{
    struct expr_node *n = *slot;
    char storage[256];
    const char *segs[8];
    if (strlen(n->text) >= sizeof storage || strchr(n->text, '[')) return false;
    int k = sluice_projection_path_split(n->text, storage, segs, 8);
    if (k <= 0 || strcasecmp(segs[0], "window") != 0) return false;
    struct expr_node *x = group_ref(b, n->pos, b->g->window_column, "window", "window");
    for (int i = 1; i < k; i++) {
        struct expr_node *f = sluice_expr_node_new(b->e, EX_FIELD, n->pos, 1);
        f->args[0] = x;
        f->text = sluice_arena_strndup(b->e->arena, segs[i], strlen(segs[i]));
        if (i == k - 1) f->leaf_name = f->text; /* named by its field, as a path is */
        x = f;
    }
    *slot = x;
    return true;
}

/* Bind the tree at *slot, parsed from `src` (the text, or an alias's). */
static int bind(struct binder *b, struct expr_node **slot, const char *src, int depth)
{
    struct expr_node *n = *slot;
    for (size_t k = 0; k < b->g->n_keys; k++)
        if (same_tree(n, b->keys[k])) {
            *slot = group_ref(b, n->pos, b->g->key_column[k], b->key_name[k], b->key_leaf[k]);
            return SLUICE_OK;
        }
    if (b->window && same_tree(n, b->window)) {
        *slot = group_ref(b, n->pos, b->g->window_column, "window", "window");
        return SLUICE_OK;
    }
    if (b->window && n->kind == EX_PATH && window_path(b, slot)) return SLUICE_OK;
    if (n->kind == EX_AGG) {
        int64_t col;
        const char *name;
        if (b->g->agg_column(b->g->arg, src, n->off, n->len, &col, &name))
            return sluice_expr_fail(b->err, b->text, n->pos, "internal: aggregate at character %d was not planned",
                                    n->pos);
        *slot = group_ref(b, n->pos, col, name, name);
        return SLUICE_OK;
    }
    if (n->kind == EX_PATH) {
        bool bare = !strpbrk(n->text, ".[`");
        const char *with = bare && b->g->alias ? b->g->alias(b->g->arg, n->text) : NULL;
        return with ? bind_alias(b, slot, with, depth) : ungrouped(b, n);
    }
    for (int i = 0; i < n->n_args; i++) {
        int rc = bind(b, &n->args[i], src, depth);
        if (rc) return rc;
    }
    return SLUICE_OK;
}

/* Each key parsed into the expression's arena, with the names it prints as:
 * compiled alone against the rows, as GROUP BY compiled it. */
static int parse_keys(struct binder *b)
{
    size_t n = b->g->n_keys;
    b->keys = sluice_arena_calloc(b->e->arena, (n + 1) * sizeof *b->keys);
    b->key_name = sluice_arena_calloc(b->e->arena, (n + 1) * sizeof *b->key_name);
    b->key_leaf = sluice_arena_calloc(b->e->arena, (n + 1) * sizeof *b->key_leaf);
    for (size_t k = 0; k < n; k++) {
        struct sluice_expr *key;
        int rc = sluice_expr_compile(b->g->input, b->g->keys[k], &key, b->err);
        if (rc) return rc;
        struct sluice_buf name = { 0 };
        sluice_buf_puts(&name, "");
        sluice_expr_name(key->root, &name);
        b->key_name[k] = sluice_arena_strndup(b->e->arena, name.data, name.len);
        const char *leaf = key->root->kind == EX_PATH ? key->root->leaf_name : NULL;
        b->key_leaf[k] = leaf ? sluice_arena_strndup(b->e->arena, leaf, strlen(leaf)) : NULL;
        sluice_buf_free(&name);
        sluice_expr_free(key);
        if ((rc = sluice_expr_parse_tree(b->e, b->g->keys[k], &b->keys[k], b->err))) return rc;
    }
    return b->g->window ? sluice_expr_parse_tree(b->e, b->g->window, &b->window, b->err) : SLUICE_OK;
}

int sluice_expr_compile_over_groups(const struct ArrowSchema *groups, const char *text,
                                    const struct sluice_expr_groups *g, struct sluice_expr **out,
                                    struct sluice_error *err)
{
    *out = NULL;
    struct sluice_expr *e = sluice_xcalloc(1, sizeof *e);
    e->arena = sluice_arena_new(0);
    e->input_children = groups->n_children;
    e->groups = g;
    struct binder b = { .e = e, .g = g, .groups = groups, .text = text, .err = err };
    int rc = parse_keys(&b);
    if (!rc) rc = sluice_expr_parse(e, text, err);
    if (!rc) rc = bind(&b, &e->root, text, 0);
    if (!rc) rc = sluice_expr_check(e, groups, text, err);
    e->groups = NULL;
    if (rc) {
        sluice_expr_free(e);
        return rc;
    }
    *out = e;
    return SLUICE_OK;
}
