/* An aggregate stage's groups as records of the state store. See agg_state.h. */
#include "agg_state.h"

#include <stdio.h>
#include <string.h>

#include "agg_key.h"
#include "agg_stage.h"
#include "agg_table.h"
#include "error.h"
#include "host.h"
#include "state_store.h"

static void put_u32(struct sluice_buf *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    sluice_buf_append(b, x, 4);
}

static void patch_u32(struct sluice_buf *b, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++) b->data[at + (size_t)i] = (char)(uint8_t)(v >> (8 * i));
}

/* The format an aggregator's serialize() writes (plugin.h: 0 counts as 1). */
static uint32_t state_version(const struct sluice_plugin *fn)
{
    return fn->state_version ? fn->state_version : 1;
}

/* One group's value: per call, u32 length, then the aggregator's state
 * version as a varint and its serialized state. The version travels with
 * each record, not once per file: a partition's snapshot may be older than
 * its deltas, and an upgraded aggregator must read both. */
static int put_group(const struct sluice_agg_plan *plan, const uint8_t *st, struct sluice_buf *b,
                     struct sluice_error *err)
{
    for (size_t c = 0; c < plan->n_calls; c++) {
        const struct sluice_agg_call *call = &plan->calls[c];
        size_t len_at = b->len;
        put_u32(b, 0);
        uint32_t v = state_version(call->fn);
        do {
            sluice_buf_putc(b, (char)(uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0)));
            v >>= 7;
        } while (v);
        int rc = call->fn->serialize(sluice_host(), call->bound, st + call->offset, b, err);
        if (rc && err && !err->message[0])
            sluice_error_set(err, rc, "aggregator '%s' could not save its state (status %d)", call->fn->name, rc);
        if (rc) return rc;
        size_t len = b->len - len_at - 4;
        if (len > UINT32_MAX)
            return sluice_error_set(err, SLUICE_EDATA, "an aggregation state of %zu bytes is too large to save", len);
        patch_u32(b, len_at, (uint32_t)len);
    }
    return SLUICE_OK;
}

int sluice_agg_state_save(struct sluice_agg_stage *a, const char *op, struct sluice_state_store *store,
                          int64_t batch_id, struct sluice_agg_state_stats *stats, struct sluice_error *err)
{
    size_t n = sluice_agg_groups_partitions(a->state);
    for (size_t p = 0; p < n; p++) {
        const struct sluice_agg_table *tab = sluice_agg_groups_table(a->state, p);
        size_t changed = 0;
        for (size_t i = 0; i < tab->n_groups; i++) changed += tab->groups[i].updated == batch_id;
        stats->groups_updated += (int64_t)changed;
        if (!changed) continue;
        bool snapshot = sluice_state_store_wants_snapshot(store, op, (uint32_t)p, changed, tab->n_groups);
        sluice_state_store_section(store, op, (uint32_t)p, (uint32_t)n, snapshot);
        for (size_t i = 0; i < tab->n_groups; i++) {
            const struct sluice_agg_group *gr = &tab->groups[i];
            if (!snapshot && gr->updated != batch_id) continue;
            struct sluice_buf *b = sluice_state_store_put(store, gr->key, gr->key_len);
            int rc = put_group(a->plan, sluice_agg_table_state(tab, i), b, err);
            if (rc) return rc;
            stats->groups_written++;
        }
    }
    return SLUICE_OK;
}

/* ---- restoring ----------------------------------------------------------- */

struct restore {
    struct sluice_agg_stage *a;
    const char *op;
    size_t n_parts;
};

/* The store names the file around this message (state_store.h). */
static int damaged_group(struct sluice_error *err, const char *op, uint32_t part, const char *why)
{
    return sluice_error_set(err, SLUICE_EDATA, "a group of '%s' partition %u: %s", op, part, why);
}

/* Restore one group's states from its value; on failure every call's
 * state is left initialised, so the group can be destroyed like any other,
 * and why[cap] says what was wrong. SLUICE_EPLUGIN: a state in a format
 * the aggregator does not read; SLUICE_EDATA: damage. */
static int load_states(const struct sluice_agg_plan *plan, uint8_t *st, const uint8_t *v, size_t len,
                       char *why, size_t cap)
{
    const uint8_t *end = v + len;
    for (size_t k = 0; k < plan->n_calls; k++) {
        const struct sluice_agg_call *call = &plan->calls[k];
        struct sluice_error e = { 0 };
        int rc = SLUICE_OK;
        uint32_t n = 0;
        if (end - v < 4) rc = SLUICE_EDATA;
        else n = (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24, v += 4;
        if (!rc && (size_t)(end - v) < n) rc = SLUICE_EDATA;
        if (rc) snprintf(why, cap, "a group's state runs past the end");
        const uint8_t *state = v, *state_end = v + n;
        uint32_t version = 0;
        for (unsigned shift = 0; !rc; shift += 7) {
            if (state == state_end || shift > 28) {
                rc = SLUICE_EDATA;
                snprintf(why, cap, "a group's state has no format version");
                break;
            }
            version |= (uint32_t)(*state & 0x7f) << shift;
            if (!(*state++ & 0x80)) break;
        }
        if (!rc && (version == 0 || version > state_version(call->fn))) {
            /* Not damage: the state was saved by another build of the
             * aggregator, which deserialize must not be asked to guess at. */
            rc = SLUICE_EPLUGIN;
            snprintf(why, cap, "state of aggregator '%s' was saved in its format %u; this build of it reads "
                     "formats 1 to %u", call->fn->name, version, state_version(call->fn));
        } else if (!rc) {
            rc = call->fn->deserialize(sluice_host(), call->bound, st + call->offset, version, (const char *)state,
                                       (size_t)(state_end - state), &e);
            if (rc) snprintf(why, cap, "%s", e.message[0] ? e.message : "an aggregator could not read its state");
        }
        if (rc) {
            for (size_t j = k; j < plan->n_calls; j++)
                plan->calls[j].fn->init(plan->calls[j].bound, st + plan->calls[j].offset);
            return rc == SLUICE_EPLUGIN ? rc : SLUICE_EDATA;
        }
        v += n;
    }
    if (v != end) snprintf(why, cap, "a group's value has bytes after its states");
    return v == end ? SLUICE_OK : SLUICE_EDATA;
}

/* Group `key` of partition `part` of the stage's state now holds the
 * states in `value`, as of batch `version`. */
static int load_group(struct sluice_agg_stage *a, const char *op, uint32_t part, uint64_t hash, int64_t version,
                      const void *key, uint32_t key_len, const void *value, size_t value_len, struct sluice_error *err)
{
    const struct sluice_agg_plan *plan = a->plan;
    struct sluice_agg_table *tab = sluice_agg_groups_table(a->state, part);
    bool inserted;
    size_t gi = sluice_agg_table_upsert(tab, hash, key, key_len, &inserted);
    if (gi == SLUICE_AGG_TABLE_FULL)
        return sluice_error_set(err, SLUICE_ELIMIT, "state of '%s' partition %u holds more than the %lld groups a "
                                "partition may", op, part, (long long)tab->max_groups);
    uint8_t *st = sluice_agg_table_state(tab, gi);
    for (size_t k = 0; k < plan->n_calls && !inserted; k++) {
        const struct sluice_agg_call *call = &plan->calls[k];
        if (call->info.has_destroy) call->fn->destroy(call->bound, st + call->offset);
    }
    tab->groups[gi].updated = version;
    char why[sizeof err->message + 64];
    int rc = load_states(plan, st, value, value_len, why, sizeof why);
    if (rc == SLUICE_EPLUGIN) {
        sluice_error_set(err, rc, "%s", why);
        sluice_error_hint(err, "run this checkpoint with the aggregator that wrote it, or a newer one");
        return rc;
    }
    if (rc) return damaged_group(err, op, part, why);
    return SLUICE_OK;
}

static int restore_group(void *arg, uint32_t part, int64_t version, const void *key, uint32_t key_len,
                         const void *value, size_t value_len, struct sluice_error *err)
{
    struct restore *r = arg;
    if (!value) return damaged_group(err, r->op, part, "a group was removed, which aggregations never do");
    uint64_t hash = sluice_hash64(key, key_len, 0);
    size_t home = r->n_parts == 1 ? 0 : (size_t)(hash % r->n_parts);
    if (home != part) {
        char why[96];
        snprintf(why, sizeof why, "it holds a key of partition %zu", home);
        return damaged_group(err, r->op, part, why);
    }
    return load_group(r->a, r->op, part, hash, version, key, key_len, value, value_len, err);
}

int sluice_agg_state_value(const struct sluice_agg_stage *a, const uint8_t *state, struct sluice_buf *out,
                           struct sluice_error *err)
{
    return put_group(a->plan, state, out, err);
}

int sluice_agg_state_load(struct sluice_agg_stage *a, const char *op, int64_t version, const void *key,
                          uint32_t key_len, const void *value, size_t value_len, struct sluice_error *err)
{
    uint64_t hash = sluice_hash64(key, key_len, 0);
    size_t n = sluice_agg_groups_partitions(a->state);
    return load_group(a, op, (uint32_t)(n == 1 ? 0 : hash % n), hash, version, key, key_len, value, value_len, err);
}

int sluice_agg_state_restore(struct sluice_agg_stage *a, const char *op, struct sluice_state_store *store,
                             int64_t watermark, struct sluice_error *err)
{
    struct restore r = { a, op, sluice_agg_groups_partitions(a->state) };
    int rc = sluice_state_store_scan(store, op, (uint32_t)r.n_parts, restore_group, &r, err);
    if (rc) return rc;
    /* The batch that wrote the newest records evicted what its watermark
     * closed after writing; older records still hold those groups. */
    sluice_agg_groups_set_watermark(a->state, a->event_key, watermark);
    sluice_agg_groups_evict(a->state);
    /* Those evictions are not the next batch's to report. */
    struct sluice_agg_stats st;
    sluice_agg_groups_stats(a->state, &st);
    a->evicted_reported = st.evicted;
    return SLUICE_OK;
}
