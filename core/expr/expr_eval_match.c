/* Pattern matching kernels: LIKE (patterns compiled by like.c) and RLIKE /
 * rlike() with PCRE2, whose syntax is the closest to the Java regexes Spark
 * uses. A regex is compiled (and JIT-compiled where the platform allows)
 * once per stage; a call makes one match block and reuses it for every
 * row. As in Java's Matcher.find, a row matches when the regex matches
 * anywhere in it. */
#include "expr_priv.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "arena.h"
#include "error.h"
#include "mem.h"

int sluice_expr_regex_compile(struct sluice_expr *e, struct expr_node *n, const struct expr_node *pat,
                              const char *text, struct sluice_error *err)
{
    struct expr_value v;
    if (!sluice_expr_const_value(e, pat, &v)) {
        if (n->kind == EX_CALL && n->fn != FN_RLIKE)
            return sluice_expr_fail(err, text, pat->pos, "function '%s' expects a constant pattern", n->fn_name);
        return sluice_expr_fail(err, text, pat->pos, "the pattern of RLIKE must be a constant string");
    }
    if (v.is_null) return SLUICE_OK; /* x RLIKE NULL is NULL */
    int code;
    PCRE2_SIZE at;
    /* Invalid UTF-8 in a row is then simply not matched, instead of failing the batch. */
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)v.s, (PCRE2_SIZE)v.s_len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                                   &code, &at, NULL);
    if (!re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof msg);
        return sluice_expr_fail(err, text, pat->pos, "invalid regular expression '%s': %s at offset %zu", v.s,
                                (const char *)msg, (size_t)at);
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* where JIT is unavailable, pcre2_match interprets */
    if (e->n_regexes == e->cap_regexes) {
        e->cap_regexes = e->cap_regexes ? 2 * e->cap_regexes : 4;
        e->regexes = sluice_xrealloc(e->regexes, e->cap_regexes * sizeof *e->regexes);
    }
    e->regexes[e->n_regexes++] = re;
    n->regex = re;
    return SLUICE_OK;
}

uint32_t sluice_expr_regex_groups(const void *code)
{
    uint32_t n = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &n);
    return n;
}

void sluice_expr_regex_free(void *code)
{
    pcre2_code_free(code);
}

void sluice_expr_match_data_free(void *md)
{
    pcre2_match_data_free(md);
}

static const struct evec *all_null(struct ectx *c)
{
    struct evec *v = ectx_vec(c);
    v->b = sluice_arena_calloc(c->scratch, (size_t)c->n + 1);
    v->valid = v->b;
    return v;
}

const struct evec *sluice_expr_eval_like(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *a = sluice_expr_eval_node(c, nd->args[0]);
    bool like = nd->kind == EX_LIKE;
    if (like ? !nd->like : !nd->regex) return all_null(c);
    struct evec *v = ectx_vec(c);
    v->valid = a->valid;
    v->b = ectx_alloc(c, (size_t)n);
    if (like && !a->konst) {
        sluice_like_match_column(nd->like, a->offs, a->data, n, v->b);
        return v;
    }
    if (like) {
        int32_t len;
        const char *s = evec_str(a, 0, &len);
        memset(v->b, sluice_like_match(nd->like, s, (size_t)len), (size_t)n);
        return v;
    }
    if (!c->match_data) c->match_data = pcre2_match_data_create(1, NULL);
    pcre2_match_data *md = c->match_data;
    for (int64_t i = 0; i < n; i++) {
        if (!evec_valid(a, i)) {
            v->b[i] = 0;
            continue;
        }
        int32_t len;
        const char *s = evec_str(a, i, &len);
        /* 0 means a match whose offsets did not fit the one-pair block: still a match. */
        v->b[i] = pcre2_match(nd->regex, (PCRE2_SPTR)s, (PCRE2_SIZE)len, 0, 0, md, NULL) >= 0;
    }
    return v;
}
