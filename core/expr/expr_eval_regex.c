/* Regex functions, with Java's semantics as Spark has them: split(str,
 * regex[, limit]) as String.split (limit <= 0: every piece, trailing
 * empty ones kept; limit > 0: at most that many, the last holding the
 * rest; a zero-width match at the start makes no empty first piece),
 * regexp_extract(str, regex[, idx]) as Matcher.find then group(idx) (""
 * when nothing matches or the group took no part), and
 * regexp_replace(str, regex, rep) as Matcher.replaceAll, `$n` and `${n}`
 * naming groups and `\` quoting the next character.
 *
 * Patterns are constants, compiled once at check time by PCRE2 (the
 * closest syntax to Java's, see expr_eval_match.c); a replacement is
 * translated once into PCRE2's syntax. A batch makes one match block per
 * call; results grow one buffer per batch, never one allocation per row. */
#include "expr_priv.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "builder.h"
#include "mem.h"

/* ---- at check time ---------------------------------------------------------------- */

int sluice_expr_regex_replacement(struct sluice_expr *e, struct expr_node *n, const struct expr_node *rep,
                                  const char *text, struct sluice_error *err)
{
    struct expr_value v;
    if (!sluice_expr_const_value(e, rep, &v))
        return sluice_expr_fail(err, text, rep->pos, "function 'regexp_replace' expects a constant replacement");
    if (v.is_null) return SLUICE_OK;
    /* Java's rules into PCRE2's: `\x` is x (a `$` doubled), `$n` and `${n}`
     * become `${n}`, any other `$` is Java's "Illegal group reference". */
    char *out = sluice_arena_alloc(e->arena, 3 * (size_t)v.s_len + 1);
    size_t o = 0;
    for (int32_t i = 0; i < v.s_len; i++) {
        char ch = v.s[i];
        if (ch == '\\') {
            if (++i == v.s_len)
                return sluice_expr_fail(err, text, rep->pos,
                                        "function 'regexp_replace': the replacement ends in a lone '\\'");
            if (v.s[i] == '$') out[o++] = '$';
            out[o++] = v.s[i];
        } else if (ch == '$') {
            int32_t j = i + 1;
            bool braced = j < v.s_len && v.s[j] == '{';
            if (braced) j++;
            int32_t d = j;
            while (j < v.s_len && v.s[j] >= '0' && v.s[j] <= '9') j++;
            if (j == d || (braced && (j == v.s_len || v.s[j] != '}')))
                return sluice_expr_fail(err, text, rep->pos,
                                        "function 'regexp_replace': illegal group reference in the replacement "
                                        "(write \\$ for a dollar sign)");
            o += (size_t)sprintf(out + o, "${%.*s}", (int)(j - d), v.s + d);
            i = braced ? j : j - 1;
        } else {
            out[o++] = ch;
        }
    }
    out[o] = '\0';
    n->rep = out;
    n->rep_len = o;
    return SLUICE_OK;
}

/* ---- evaluation ---------------------------------------------------------------------- */

static size_t char_len_at(const char *s, size_t at, size_t n)
{
    size_t k = at + 1;
    while (k < n && ((unsigned char)s[k] & 0xC0) == 0x80) k++;
    return k - at;
}

/* split: pieces of one row into the list builder `b` (its child takes the strings). */
static void split_row(const pcre2_code *re, pcre2_match_data *md, const char *s, size_t n, int64_t limit,
                      struct sluice_builder *b)
{
    struct sluice_builder *piece = &b->children[0];
    sluice_builder_begin_list(b);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    size_t from = 0, at = 0;
    int64_t pieces = 0;
    while (at <= n && (limit <= 0 || pieces < limit - 1)) {
        if (pcre2_match(re, (PCRE2_SPTR)s, n, at, 0, md, NULL) < 0) break;
        size_t ms = ov[0], me = ov[1];
        if (me == 0) {
            /* An empty match at the start cuts nothing (Java 8's split);
             * find() moves on a character after an empty match. */
            if (n == 0) break;
            at = char_len_at(s, 0, n);
            continue;
        }
        sluice_builder_append_string(piece, s + from, ms - from);
        pieces++;
        from = me;
        at = me > ms ? me : me + char_len_at(s, me, n);
    }
    sluice_builder_append_string(piece, s + from, n - from);
    sluice_builder_end_list(b);
}

/* split(str, '') is every character, as Spark's UTF8String.split has it. */
static void split_chars(const char *s, size_t n, int64_t limit, struct sluice_builder *b)
{
    struct sluice_builder *piece = &b->children[0];
    sluice_builder_begin_list(b);
    size_t at = 0;
    for (int64_t k = 0; at < n; k++) {
        size_t len = limit > 0 && k == limit - 1 ? n - at : char_len_at(s, at, n);
        sluice_builder_append_string(piece, s + at, len);
        at += len;
    }
    if (n == 0) sluice_builder_append_string(piece, "", 0);
    sluice_builder_end_list(b);
}

static const struct evec *eval_split(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *a = sluice_expr_eval_node(c, nd->args[0]);
    const struct evec *lim = nd->n_args > 2 ? sluice_expr_eval_node(c, nd->args[2]) : NULL;
    if (!nd->regex && !nd->iarg) return ectx_null(c); /* a NULL pattern */
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    struct sluice_builder *b = sluice_builder_new(nd->schema);
    int64_t *slots = ectx_alloc(c, (size_t)(n ? n : 1) * sizeof *slots);
    for (int64_t i = 0; i < n; i++) {
        if (!evec_valid(a, i) || (lim && !evec_valid(lim, i))) {
            sluice_builder_append_null(b);
            slots[i] = -1;
            continue;
        }
        int32_t len;
        const char *s = evec_str(a, i, &len);
        int64_t limit = lim ? lim->l[lim->konst ? 0 : i] : -1;
        if (nd->iarg) split_chars(s, (size_t)len, limit, b);
        else split_row(nd->regex, md, s, (size_t)len, limit, b);
        slots[i] = i;
    }
    pcre2_match_data_free(md);
    struct ArrowArray *arr = ectx_alloc(c, sizeof *arr);
    sluice_builder_finish_array(b, c->scratch, arr);
    bool refused = sluice_builder_refused(b);
    sluice_builder_free(b);
    ectx_own(c, arr);
    if (refused) {
        c->refused = true;
        return ectx_null(c);
    }
    struct evec *v = ectx_vec(c);
    v->arr = arr;
    v->slots = slots;
    return v;
}

/* A string result of unknown size: grown per batch, then copied once into
 * the call's scratch. */
struct grow {
    char *data;
    size_t len, cap;
};

static char *grow_room(struct grow *g, size_t more)
{
    if (g->len + more > g->cap) {
        g->cap = (g->len + more) * 2;
        g->data = sluice_xrealloc(g->data, g->cap);
    }
    return g->data + g->len;
}

/* The column: the grown bytes copied into the call's scratch, refused
 * past the size limit (size_limit.h) as every string kernel refuses. */
static const struct evec *finish_strings(struct ectx *c, struct grow *g, const int32_t *offs, uint8_t *valid)
{
    if (g->len > sbuild_limit()) {
        free(g->data);
        c->refused = true;
        return ectx_null(c);
    }
    char *data = ectx_alloc(c, g->len + 1);
    if (g->len) memcpy(data, g->data, g->len);
    free(g->data);
    struct evec *v = ectx_vec(c);
    v->offs = offs;
    v->data = data;
    v->valid = valid;
    return v;
}

static const struct evec *eval_extract(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *a = sluice_expr_eval_node(c, nd->args[0]);
    if (!nd->regex) return ectx_null(c);
    const struct evec *args[1] = { a };
    uint8_t *valid = ectx_valid_and(c, args, 1);
    int32_t *offs = ectx_alloc(c, ((size_t)n + 1) * sizeof *offs);
    offs[0] = 0;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(nd->regex, NULL);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    struct grow g = { 0 };
    int64_t idx = nd->iarg;
    for (int64_t i = 0; i < n; i++) {
        size_t len = 0;
        int32_t sl;
        const char *s = evec_valid(a, i) ? evec_str(a, i, &sl) : NULL;
        int rc = s ? pcre2_match(nd->regex, (PCRE2_SPTR)s, (PCRE2_SIZE)sl, 0, 0, md, NULL) : -1;
        if (rc > idx && ov[2 * idx] != PCRE2_UNSET) {
            len = ov[2 * idx + 1] - ov[2 * idx];
            memcpy(grow_room(&g, len), s + ov[2 * idx], len);
            g.len += len;
        }
        offs[i + 1] = (int32_t)g.len;
        if (g.len > sbuild_limit()) break; /* finish_strings refuses it; the rest is never read */
    }
    pcre2_match_data_free(md);
    return finish_strings(c, &g, offs, valid);
}

static const struct evec *eval_replace(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *a = sluice_expr_eval_node(c, nd->args[0]);
    if (!nd->regex || !nd->rep) return ectx_null(c);
    const struct evec *args[1] = { a };
    uint8_t *valid = ectx_valid_and(c, args, 1);
    int32_t *offs = ectx_alloc(c, ((size_t)n + 1) * sizeof *offs);
    offs[0] = 0;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(nd->regex, NULL);
    struct grow g = { 0 };
    for (int64_t i = 0; i < n; i++) {
        int32_t sl = 0;
        const char *s = evec_valid(a, i) ? evec_str(a, i, &sl) : NULL;
        if (s) {
            /* Room for the input twice over first; PCRE2 says how much when that is short. */
            PCRE2_SIZE room = 2 * (size_t)sl + 64, got;
            for (;;) {
                got = room;
                int rc = pcre2_substitute(nd->regex, (PCRE2_SPTR)s, (PCRE2_SIZE)sl, 0,
                                          PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH, md, NULL,
                                          (PCRE2_SPTR)nd->rep, nd->rep_len, (PCRE2_UCHAR *)grow_room(&g, room),
                                          &got);
                if (rc != PCRE2_ERROR_NOMEMORY) {
                    if (rc < 0) got = 0; /* invalid UTF-8 in the row: as no match */
                    if (rc < 0) memcpy(g.data + g.len, s, got = (size_t)sl);
                    break;
                }
                room = got;
            }
            g.len += got;
        }
        offs[i + 1] = (int32_t)g.len;
        if (g.len > sbuild_limit()) break;
    }
    pcre2_match_data_free(md);
    return finish_strings(c, &g, offs, valid);
}

const struct evec *sluice_expr_eval_regex(struct ectx *c, const struct expr_node *nd)
{
    switch (nd->fn) {
    case FN_SPLIT: return eval_split(c, nd);
    case FN_REGEXP_EXTRACT: return eval_extract(c, nd);
    case FN_REGEXP_REPLACE: return eval_replace(c, nd);
    default: return ectx_null(c);
    }
}
