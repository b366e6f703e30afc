/* count: Spark's count(*), count(1) and count(x).
 *
 *   aggregate = ["count(*) AS n", "count(data.lang) AS with_lang"];
 *
 * Without an argument (count(*): bind sees a NULL schema) every row counts;
 * with one, only rows where it is not null, whatever its type. The result
 * is a long, never null: 0 for a group that saw no rows. The core maps
 * count(DISTINCT x) to the count_distinct aggregator, not to this one.
 *
 * State: one int64. Checkpoint format: the count as an unsigned varint. */
#include <stdlib.h>

#include <sluice/plugin.h>

#include <sluice/agg.h>

struct count_bound {
    const struct sluice_host *host;
    bool star; /* count(*): no argument, count rows */
};

struct count_state {
    int64_t n;
};

/* Main thread, at load. Any argument type counts: only its validity is read. */
static int count_bind(const struct sluice_host *host, const struct ArrowSchema *arg,
                      const struct sluice_agg_param *params, size_t n_params, void **bound,
                      struct sluice_agg_info *info, struct sluice_error *err)
{
    (void)params;
    if (n_params > 0)
        return host->error(err, SLUICE_ECONFIG, "function 'count' takes one argument, got %zu", n_params + 1);
    struct count_bound *b = malloc(sizeof *b);
    if (!b) return host->error(err, SLUICE_ENOMEM, "out of memory binding 'count'");
    b->host = host;
    b->star = arg == NULL;
    *bound = b;
    info->result_format = SLUICE_FORMAT_LONG;
    info->state_size = sizeof(struct count_state);
    info->has_destroy = false;
    return SLUICE_OK;
}

static void count_unbind(void *bound)
{
    free(bound);
}

static void count_init(const void *bound, void *state)
{
    (void)bound;
    ((struct count_state *)state)->n = 0;
}

/* Worker threads: one pass, the null test hoisted out when the argument
 * has no nulls (count(*), count(1), a column without nulls). */
static int count_update(const struct sluice_host *host, const void *bound, void *const *states,
                        const struct ArrowArray *arg, int64_t n, struct sluice_error *err)
{
    const struct count_bound *b = bound;
    const uint8_t *valid = b->star || !arg ? NULL : sluice_agg_validity(arg);
    if (!valid) {
        for (int64_t i = 0; i < n; i++)
            if (states[i]) ((struct count_state *)states[i])->n++;
        return SLUICE_OK;
    }
    int64_t off = arg->offset;
    for (int64_t i = 0; i < n; i++)
        if (states[i] && sluice_bit_get(valid, off + i)) ((struct count_state *)states[i])->n++;
    return SLUICE_OK;
}

static int count_merge(const struct sluice_host *host, const void *bound, void *dst, const void *src,
                       struct sluice_error *err)
{
    (void)bound;
    ((struct count_state *)dst)->n += ((const struct count_state *)src)->n;
    return SLUICE_OK;
}

static int count_finalize(const struct sluice_host *host, const void *bound, const void *state,
                          struct sluice_builder *out, struct sluice_error *err)
{
    host->append_long(out, ((const struct count_state *)state)->n);
    return SLUICE_OK;
}

static int count_serialize(const struct sluice_host *host, const void *bound, const void *state,
                           struct sluice_buf *out, struct sluice_error *err)
{
    if (sluice_buf_put_varint(out, (uint64_t)((const struct count_state *)state)->n))
        return host->error(err, SLUICE_ENOMEM, "out of memory saving count state");
    return SLUICE_OK;
}

static int count_deserialize(const struct sluice_host *host, const void *bound, void *state, uint32_t version,
                             const char *data, size_t len, struct sluice_error *err)
{
    struct count_state *s = state;
    s->n = 0;
    const uint8_t *p = (const uint8_t *)data, *end = len ? p + len : p;
    uint64_t v;
    if (!sluice_varint_decode(&p, end, &v) || p != end || v > (uint64_t)INT64_MAX)
        return host->error(err, SLUICE_EDATA, "corrupt count state (%zu bytes)", len);
    s->n = (int64_t)v;
    return SLUICE_OK;
}

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_AGGREGATOR,
        .name = "count",
        .summary = "count(*): rows in the group; count(x): rows where x is not null (long)",
        .bind = count_bind,
        .unbind = count_unbind,
        .init = count_init,
        .update = count_update,
        .merge = count_merge,
        .finalize = count_finalize,
        .serialize = count_serialize,
        .deserialize = count_deserialize,
    };
    return &p;
}
