/* Column paths in the checker: resolving a path against the input (and,
 * where a prefix is an array of structs, the fields of every element:
 * Spark's GetArrayStructFields), `x.field` on a struct or an array of
 * structs, and the projection paths an expression reads. The rest of the
 * checker is expr_check.c. */
#include "expr_check_priv.h"

#include <string.h>
#include <strings.h>

#include "arena.h"
#include "colpath.h"
#include "error.h"
#include "mem.h"
#include "schema.h"
#include "suggest.h"

/* ---- paths ------------------------------------------------------------------ */

/* Record a projection path read, once. */
static void add_path_text(struct checker *k, const char *path)
{
    for (size_t off = 0, i = 0; i < k->n_paths; i++) {
        if (strcmp(k->paths.data + off, path) == 0) return;
        off += strlen(k->paths.data + off) + 1;
    }
    sluice_buf_append(&k->paths, path, strlen(path) + 1);
    k->n_paths++;
}

static void add_path(struct checker *k, const struct sluice_col *col)
{
    struct sluice_buf one = { 0 };
    sluice_buf_puts(&one, "");
    sluice_col_projection_path(k->input, col, &one);
    add_path_text(k, one.data);
    sluice_buf_free(&one);
}

/* Where `text` (a canonical path) has a top-level '.': the byte after each
 * segment but the last, into cut[] (at most max); how many. */
static int path_cuts(const char *text, size_t *cut, int max)
{
    int n = 0;
    bool quoted = false;
    for (size_t i = 0; text[i]; i++) {
        if (text[i] == '`' && quoted && text[i + 1] == '`') i++; /* `` inside a quoted name */
        else if (text[i] == '`') quoted = !quoted;
        else if (text[i] == '.' && !quoted && n < max) cut[n++] = i;
    }
    return n;
}


/* `m.key` on a map: the value of "key" (Spark's GetMapValue, as its
 * resolver makes of a dotted name through a map): n becomes
 * element_at(x, 'key'), named `key` as Spark names it. */
static void map_get(struct checker *k, struct expr_node *n, struct expr_node *x, const char *key)
{
    struct expr_node *lit = sluice_expr_node_new(k->e, EX_LIT, n->pos, 0);
    lit->type = SLUICE_TYPE_STRING;
    lit->lit.s = sluice_arena_strndup(k->e->arena, key, strlen(key));
    lit->lit.s_len = (int32_t)strlen(key);
    lit->text = lit->lit.s;
    n->kind = EX_CALL;
    n->text = "element_at";
    n->args = sluice_arena_calloc(k->e->arena, 2 * sizeof *n->args);
    n->n_args = 2;
    n->args[0] = x;
    n->args[1] = lit;
    n->leaf_name = lit->lit.s;
}

/* `data.entities.hashtags.tag`, where hashtags is an array of structs, is
 * no column: it is the field `tag` of every element. Split the path at the
 * longest prefix that is a column, and take the rest as fields of it
 * (EX_FIELD nodes, which check_field allows over arrays of structs); n
 * becomes the outermost field. Through a map, the segment after it is a
 * key (map_get). False when no prefix is a column. */
static bool split_path(struct checker *k, struct expr_node *n)
{
    size_t cut[SLUICE_PATH_MAX_DEPTH];
    int n_cuts = path_cuts(n->text, cut, SLUICE_PATH_MAX_DEPTH);
    for (int c = n_cuts - 1; c >= 0; c--) {
        char *prefix = sluice_arena_strndup(k->e->arena, n->text, cut[c]);
        struct sluice_col col;
        struct sluice_error ignored = { 0 };
        if (sluice_col_resolve(k->input, prefix, &col, &ignored) != SLUICE_OK ||
            (col.type != SLUICE_TYPE_ARRAY && col.type != SLUICE_TYPE_MAP))
            continue;
        bool map = col.type == SLUICE_TYPE_MAP;
        /* The rest must be plain field names: `a.b.c`, no [i] after the array. */
        char storage[512];
        const char *segs[SLUICE_PATH_MAX_DEPTH];
        const char *rest = n->text + cut[c] + 1;
        if (strlen(rest) >= sizeof storage || strchr(rest, '[')) return false;
        int n_segs = sluice_projection_path_split(rest, storage, segs, SLUICE_PATH_MAX_DEPTH);
        if (n_segs <= 0) return false;
        struct expr_node *x = sluice_expr_node_new(k->e, EX_PATH, n->pos, 0);
        x->text = prefix;
        x->no_projection = !map; /* a map is read whole: its keys are data */
        if (map) {
            struct expr_node *get = n_segs == 1 ? n : sluice_expr_node_new(k->e, EX_CALL, n->pos, 0);
            map_get(k, get, x, segs[0]);
            x = get;
            if (n_segs == 1) return true;
        }
        for (int s = map ? 1 : 0; s < n_segs; s++) {
            struct expr_node *f = s == n_segs - 1 ? n : sluice_expr_node_new(k->e, EX_FIELD, n->pos, 1);
            if (f == n) {
                n->args = sluice_arena_calloc(k->e->arena, sizeof *n->args);
                n->n_args = 1;
                n->kind = EX_FIELD;
                n->leaf_name = n->text; /* a bare path is named by its last field, as Spark names columns */
            } else {
                f->no_projection = true;
            }
            f->args[0] = x;
            f->text = sluice_arena_strndup(k->e->arena, segs[s], strlen(segs[s]));
            x = f;
        }
        return true;
    }
    return false;
}

int sluice_expr_check_path(struct checker *k, struct expr_node *n)
{
    if (sluice_col_resolve(k->input, n->text, &n->col, k->err)) {
        struct sluice_error why = *k->err;
        if (split_path(k, n)) return sluice_expr_check_node(k, n);
        *k->err = why;
        sluice_error_excerpt(k->err, k->text, n->pos);
        return SLUICE_ECONFIG;
    }
    n->type = n->col.type;
    n->schema = n->col.schema;
    /* Spark names a path by the schema's own spelling of each field. */
    struct sluice_buf name = { 0 };
    sluice_buf_puts(&name, "");
    const struct ArrowSchema *s = k->input;
    const char *leaf = NULL;
    for (int32_t d = 0; d < n->col.depth; d++) {
        const struct sluice_path_step *st = &n->col.steps[d];
        if (st->child < 0) {
            sluice_buf_printf(&name, "[%d]", (int)st->index);
            s = s->children[0];
            leaf = NULL;
        } else {
            s = s->children[st->child];
            if (name.len) sluice_buf_putc(&name, '.');
            sluice_buf_puts(&name, s->name ? s->name : "");
            leaf = s->name ? s->name : "";
        }
    }
    n->name = sluice_arena_strndup(k->e->arena, name.data, name.len);
    n->leaf_name = leaf ? sluice_arena_strndup(k->e->arena, leaf, strlen(leaf)) : NULL;
    sluice_buf_free(&name);
    if (n->no_projection) return SLUICE_OK; /* the fields taken of it say what is read */
    if (n->bound_name) { /* a groups column prints as the key or call it stands for */
        n->name = n->bound_name;
        n->leaf_name = n->bound_leaf;
    }
    add_path(k, &n->col);
    return SLUICE_OK;
}

/* The array of field `f` of an array of structs: a list schema the
 * expression owns, whose element is the field (nullable: a null struct
 * gives a null element). */
static const struct ArrowSchema *array_of(struct sluice_expr *e, const struct ArrowSchema *list,
                                          const struct ArrowSchema *f)
{
    struct ArrowSchema element, *out = sluice_xcalloc(1, sizeof *out);
    sluice_schema_copy(f, &element);
    element.flags |= ARROW_FLAG_NULLABLE;
    sluice_schema_init_list(out, list->name ? list->name : "", true, &element);
    sluice_expr_own_schema(e, out);
    return out;
}

/* The projection path of a path, or of fields taken of one, for pushdown:
 * `data.entities.hashtags.tag` reads only `tag` of the hashtags. False
 * when `n` does not start at a column. */
static bool projection_of(struct checker *k, const struct expr_node *n, struct sluice_buf *out)
{
    if (n->kind == EX_PATH) {
        sluice_col_projection_path(k->input, &n->col, out);
        return true;
    }
    if (n->kind != EX_FIELD || !projection_of(k, n->args[0], out)) return false;
    sluice_buf_putc(out, '.');
    sluice_col_append_name(out, n->name);
    return true;
}

/* `x.field` on a struct result, or on an array of structs (every
 * element's field, Spark's GetArrayStructFields), or `x.key` on a map
 * (map_get); fields match case-insensitively, as Spark's resolver. */
int sluice_expr_check_field(struct checker *k, struct expr_node *n)
{
    const struct expr_node *x = n->args[0];
    if (x->type == SLUICE_TYPE_MAP) { /* `.key` of a map's value: its entry */
        map_get(k, n, n->args[0], n->text);
        return sluice_expr_check_node(k, n);
    }
    const struct ArrowSchema *st = x->schema;
    n->over_array = x->type == SLUICE_TYPE_ARRAY && sluice_type_of(st->children[0]) == SLUICE_TYPE_STRUCT;
    if (n->over_array) st = st->children[0];
    else if (x->type != SLUICE_TYPE_STRUCT)
        return sluice_expr_fail(k->err, k->text, n->pos, "cannot take field '%s' of %s: it is not a struct%s",
                                n->text, sluice_expr_tname(x->type),
                                x->type == SLUICE_TYPE_ARRAY ? " or an array of structs" : "");
    for (int64_t i = 0; i < st->n_children; i++) {
        const struct ArrowSchema *f = st->children[i];
        if (strcasecmp(f->name, n->text) != 0) continue;
        n->iarg = i;
        n->schema = n->over_array ? array_of(k->e, x->schema, f) : f;
        n->type = n->over_array ? SLUICE_TYPE_ARRAY : sluice_type_of(f);
        n->name = sluice_arena_strndup(k->e->arena, f->name, strlen(f->name)); /* the schema's spelling */
        if (n->leaf_name) n->leaf_name = n->name;
        if (!n->no_projection) {
            struct sluice_buf path = { 0 };
            sluice_buf_puts(&path, "");
            if (projection_of(k, n, &path)) add_path_text(k, path.data);
            sluice_buf_free(&path);
        }
        return SLUICE_OK;
    }
    int rc = sluice_expr_fail(k->err, k->text, n->pos, "no field '%s' in %s", n->text,
                              n->over_array ? "the array's structs" : "the struct");
    const char *names[64];
    size_t m = 0;
    for (int64_t i = 0; i < st->n_children && m < 64; i++) names[m++] = st->children[i]->name;
    const char *close = sluice_suggest(n->text, names, m);
    if (close) sluice_error_hint(k->err, "did you mean '%s'?", close);
    return rc;
}
