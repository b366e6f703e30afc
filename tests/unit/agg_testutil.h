/* Aggregators written inside the tests, so the planner and the runtime are
 * tested on their own (the real plugins have tests of their own):
 *   count    count(*) or count(x): rows, or non-null values (long)
 *   sum      sum of a long argument, null without values; sum(x, k) scales by k
 *   gather   the values of a long argument as a sorted "1,2,3" string, kept
 *            in a heap array, so states own memory (destroy, moves on merge)
 *   probe    count, keeping the literal arguments bind got in tu_params
 *   zero     count, but declaring a state of 0 bytes (a plugin bug)
 *   picky    count of a long, whose update fails on the value 13
 *   twice    count, whose finalize appends two values (a plugin bug)
 * plus a catalog over them and helpers to build batches. Header-only: each
 * test includes it once. */
#ifndef SLUICE_TEST_AGG_TESTUTIL_H
#define SLUICE_TEST_AGG_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/plugin.h>

#include "agg_plan.h"
#include "builder.h"
#include "schema.h"

static int64_t tu_unbinds;

struct tu_bound {
    int64_t scale;
};

static int tu_bind_common(const struct sluice_host *host, const struct ArrowSchema *arg, const struct sluice_agg_param *params,
                          size_t n_params, void **bound, struct sluice_agg_info *info, struct sluice_error *err,
                          bool need_long)
{
    if (need_long && (!arg || sluice_type_of(arg) != SLUICE_TYPE_LONG))
        return host->error(err, SLUICE_ECONFIG, "expected a long argument, got %s",
                           arg ? sluice_type_name(sluice_type_of(arg)) : "*");
    struct tu_bound *b = calloc(1, sizeof *b);
    b->scale = n_params ? params[0].l : 1;
    *bound = b;
    info->result_format = SLUICE_FORMAT_LONG;
    info->state_size = 16;
    return SLUICE_OK;
}

static void tu_unbind(void *bound)
{
    tu_unbinds++;
    free(bound);
}

static bool tu_valid(const struct ArrowArray *a, int64_t i)
{
    return sluice_array_valid(a, a->offset + i);
}

/* count: state[0] = n */
static int tu_count_bind(const struct sluice_host *host, const struct ArrowSchema *arg, const struct sluice_agg_param *params,
                         size_t n_params, void **bound, struct sluice_agg_info *info, struct sluice_error *err)
{
    return tu_bind_common(host, arg, params, n_params, bound, info, err, false);
}
static void tu_count_init(const void *bound, void *state) { memset(state, 0, 16); }
                          static int tu_count_update(const struct sluice_host *host, const void *bound, void *const *states,
                          const struct ArrowArray *arg, int64_t n, struct sluice_error *err)
{
    for (int64_t i = 0; i < n; i++)
        if (states[i] && (!arg || tu_valid(arg, i))) ((int64_t *)states[i])[0]++;
    return SLUICE_OK;
}
static int tu_count_merge(const struct sluice_host *host, const void *bound, void *dst, const void *src,
                          struct sluice_error *err)
{
    ((int64_t *)dst)[0] += ((const int64_t *)src)[0];
    return SLUICE_OK;
}
static int tu_count_finalize(const struct sluice_host *host, const void *bound, const void *state,
                             struct sluice_builder *out, struct sluice_error *err)
{
    sluice_builder_append_long(out, ((const int64_t *)state)[0]);
    return SLUICE_OK;
}

/* sum: state = { sum, any } */
static int tu_sum_bind(const struct sluice_host *host, const struct ArrowSchema *arg, const struct sluice_agg_param *params,
                       size_t n_params, void **bound, struct sluice_agg_info *info, struct sluice_error *err)
{
    return tu_bind_common(host, arg, params, n_params, bound, info, err, true);
}
static int tu_sum_update(const struct sluice_host *host, const void *bound, void *const *states,
                         const struct ArrowArray *arg, int64_t n, struct sluice_error *err)
{
    const int64_t *v = (const int64_t *)arg->buffers[1] + arg->offset;
    for (int64_t i = 0; i < n; i++) {
        if (!states[i] || !tu_valid(arg, i)) continue;
        ((int64_t *)states[i])[0] += v[i] * ((const struct tu_bound *)bound)->scale;
        ((int64_t *)states[i])[1] = 1;
    }
    return SLUICE_OK;
}
static int tu_sum_merge(const struct sluice_host *host, const void *bound, void *dst, const void *src,
                        struct sluice_error *err)
{
    ((int64_t *)dst)[0] += ((const int64_t *)src)[0];
    ((int64_t *)dst)[1] |= ((const int64_t *)src)[1];
    return SLUICE_OK;
}
static int tu_sum_finalize(const struct sluice_host *host, const void *bound, const void *state,
                           struct sluice_builder *out, struct sluice_error *err)
{
    if (((const int64_t *)state)[1]) sluice_builder_append_long(out, ((const int64_t *)state)[0]);
    else sluice_builder_append_null(out);
    return SLUICE_OK;
}

/* gather: state = { int64_t *vals, n, cap } */
struct tu_gather {
    int64_t *vals;
    int64_t n, cap;
};
static int tu_gather_bind(const struct sluice_host *host, const struct ArrowSchema *arg, const struct sluice_agg_param *params,
                          size_t n_params, void **bound, struct sluice_agg_info *info, struct sluice_error *err)
{
    int rc = tu_bind_common(host, arg, params, n_params, bound, info, err, true);
    info->result_format = SLUICE_FORMAT_STRING;
    info->state_size = sizeof(struct tu_gather);
    info->has_destroy = true;
    return rc;
}
static void tu_gather_init(const void *bound, void *state) { memset(state, 0, sizeof(struct tu_gather)); }
                           static void tu_gather_push(struct tu_gather *g, int64_t v)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 4;
        g->vals = realloc(g->vals, (size_t)g->cap * sizeof *g->vals);
    }
    g->vals[g->n++] = v;
}
static int tu_gather_update(const struct sluice_host *host, const void *bound, void *const *states,
                            const struct ArrowArray *arg, int64_t n, struct sluice_error *err)
{
    const int64_t *v = (const int64_t *)arg->buffers[1] + arg->offset;
    for (int64_t i = 0; i < n; i++)
        if (states[i] && tu_valid(arg, i)) tu_gather_push(states[i], v[i]);
    return SLUICE_OK;
}
static int tu_gather_merge(const struct sluice_host *host, const void *bound, void *dst, const void *src,
                           struct sluice_error *err)
{
    const struct tu_gather *s = src;
    for (int64_t i = 0; i < s->n; i++) tu_gather_push(dst, s->vals[i]);
    return SLUICE_OK;
}
static int tu_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}
static int tu_gather_finalize(const struct sluice_host *host, const void *bound, const void *state,
                              struct sluice_builder *out, struct sluice_error *err)
{
    const struct tu_gather *g = state;
    int64_t *v = malloc((size_t)(g->n ? g->n : 1) * sizeof *v);
    if (g->n) memcpy(v, g->vals, (size_t)g->n * sizeof *v);
    qsort(v, (size_t)g->n, sizeof *v, tu_cmp);
    char buf[1024];
    size_t used = 0;
    buf[0] = '\0';
    for (int64_t i = 0; i < g->n && used < sizeof buf; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%lld", i ? "," : "", (long long)v[i]);
    free(v);
    sluice_builder_append_string(out, buf, strlen(buf));
    return SLUICE_OK;
}
static void tu_gather_destroy(const void *bound, void *state)
{
    free(((struct tu_gather *)state)->vals);
    memset(state, 0, sizeof(struct tu_gather));
}

/* probe: what bind received, copied (strings too). */
static struct sluice_agg_param tu_params[4];
static char tu_param_strs[4][64];
static size_t tu_n_params;
static int tu_probe_bind(const struct sluice_host *host, const struct ArrowSchema *arg,
                         const struct sluice_agg_param *params, size_t n_params, void **bound,
                         struct sluice_agg_info *info, struct sluice_error *err)
{
    tu_n_params = n_params < 4 ? n_params : 4;
    for (size_t i = 0; i < tu_n_params; i++) {
        tu_params[i] = params[i];
        snprintf(tu_param_strs[i], sizeof tu_param_strs[i], "%s", params[i].s ? params[i].s : "");
        tu_params[i].s = params[i].s ? tu_param_strs[i] : NULL;
        tu_params[i].text = NULL;
    }
    return tu_bind_common(host, arg, NULL, 0, bound, info, err, false);
}
static int tu_zero_bind(const struct sluice_host *host, const struct ArrowSchema *arg,
                        const struct sluice_agg_param *params, size_t n_params, void **bound,
                        struct sluice_agg_info *info, struct sluice_error *err)
{
    int rc = tu_bind_common(host, arg, NULL, 0, bound, info, err, false);
    info->state_size = 0;
    return rc;
}

static int tu_picky_update(const struct sluice_host *host, const void *bound, void *const *states,
                           const struct ArrowArray *arg, int64_t n, struct sluice_error *err)
{
    const int64_t *v = (const int64_t *)arg->buffers[1] + arg->offset;
    for (int64_t i = 0; i < n; i++) {
        if (states[i] && tu_valid(arg, i) && v[i] == 13) return host->error(err, SLUICE_EDATA, "13 is unlucky");
        if (states[i]) ((int64_t *)states[i])[0]++;
    }
    return SLUICE_OK;
}
static int tu_twice_finalize(const struct sluice_host *host, const void *bound, const void *state,
                             struct sluice_builder *out, struct sluice_error *err)
{
    host->append_long(out, 1);
    host->append_long(out, 2);
    return SLUICE_OK;
}

#define TU_AGG(NAME, BIND, INIT, UPDATE, MERGE, FINALIZE, DESTROY)                                 \
    { .abi_version = SLUICE_ABI_VERSION, .size = sizeof(struct sluice_plugin),                    \
      .kind = SLUICE_KIND_AGGREGATOR, .name = NAME, .summary = NAME, .bind = BIND,                \
      .unbind = tu_unbind, .init = INIT, .update = UPDATE, .merge = MERGE, .finalize = FINALIZE, \
      .destroy = DESTROY }

static const struct sluice_plugin tu_aggs[] = {
    TU_AGG("count", tu_count_bind, tu_count_init, tu_count_update, tu_count_merge, tu_count_finalize, NULL),
    TU_AGG("sum", tu_sum_bind, tu_count_init, tu_sum_update, tu_sum_merge, tu_sum_finalize, NULL),
    TU_AGG("gather", tu_gather_bind, tu_gather_init, tu_gather_update, tu_gather_merge, tu_gather_finalize,
           tu_gather_destroy),
    /* count(DISTINCT x) asks for count_distinct: gather stands in for it */
    TU_AGG("count_distinct", tu_gather_bind, tu_gather_init, tu_gather_update, tu_gather_merge,
           tu_gather_finalize, tu_gather_destroy),
    TU_AGG("probe", tu_probe_bind, tu_count_init, tu_count_update, tu_count_merge, tu_count_finalize, NULL),
    TU_AGG("zero", tu_zero_bind, tu_count_init, tu_count_update, tu_count_merge, tu_count_finalize, NULL),
    TU_AGG("picky", tu_sum_bind, tu_count_init, tu_picky_update, tu_count_merge, tu_count_finalize, NULL),
    TU_AGG("twice", tu_count_bind, tu_count_init, tu_count_update, tu_count_merge, tu_twice_finalize, NULL),
};
static const char *const tu_names[] = { "count", "sum", "gather", "count_distinct" };

static const struct sluice_plugin *tu_find(void *arg, const char *name)
{
    for (size_t i = 0; i < sizeof tu_aggs / sizeof tu_aggs[0]; i++)
        if (strcmp(tu_aggs[i].name, name) == 0) return &tu_aggs[i];
    return NULL;
}
static size_t tu_list(void *arg, const char *const **names)
{
    *names = tu_names;
    return sizeof tu_names / sizeof tu_names[0];
}
static const struct sluice_agg_catalog tu_catalog = { tu_find, tu_list, NULL };

#endif
