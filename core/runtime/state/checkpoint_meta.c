/* A checkpoint's metadata: query id and pipeline fingerprint. See
 * checkpoint_meta.h. */
#include "checkpoint_meta.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "agg_stage.h"
#include "checkpoint_file.h"
#include "clock.h"
#include "error.h"
#include "graph.h"
#include "mem.h"
#include "timefmt.h"
#include "window.h"

/* 2: state in one file per batch (state_store.h); 3: each aggregation
 * state carries its aggregator's state version (plugin.h, ABI 2). */
#define FORMAT_VERSION 3

void sluice_checkpoint_meta_uuid(char out[SLUICE_UUID_LEN + 1])
{
    uint8_t b[16];
    size_t have = 0;
    while (have < sizeof b) {
        ssize_t n = getrandom(b + have, sizeof b - have, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        have += (size_t)n;
    }
    /* No kernel entropy is close to impossible; a time-seeded id then
     * still tells runs apart, which is all an id is used for. */
    for (uint64_t x = (uint64_t)sluice_now_us() ^ (uint64_t)getpid() << 32; have < sizeof b; have++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        b[have] = (uint8_t)(x >> 56);
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, SLUICE_UUID_LEN + 1, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* ---- the fingerprint ----------------------------------------------------- */

/* An expression as written, with each run of whitespace outside quotes
 * made one space, so re-indenting a config is not a change. */
static json_t *normalized(const char *s)
{
    size_t n = strlen(s);
    char *out = sluice_xmalloc(n + 1);
    size_t o = 0;
    char quote = 0;
    bool space = false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (quote) {
            out[o++] = c;
            if (c == quote) quote = 0;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = o > 0;
            continue;
        }
        if (space) out[o++] = ' ';
        space = false;
        if (c == '\'' || c == '"' || c == '`') quote = c;
        out[o++] = c;
    }
    out[o] = '\0';
    json_t *j = json_string(out);
    free(out);
    return j;
}

/* A list of expressions as written, as a JSON array. */
static json_t *strings(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, normalized(v[i]));
    return a;
}

/* The watermark columns above `from`, its own chain first, then through
 * each further input of a union or join: a change to any of them changes
 * what the saved windows mean. */
static void add_marks(json_t *marks, const struct sluice_stage *from)
{
    for (const struct sluice_stage *s = from; s; s = s->input)
        if (s->has_watermark) json_array_append_new(marks, normalized(s->watermark.column));
    for (const struct sluice_stage *s = from; s; s = s->input)
        for (size_t m = 1; m < s->n_inputs; m++) add_marks(marks, s->inputs[m]);
}

static void add_aggregation(json_t *fp, const struct sluice_stage *st, const struct sluice_agg_spec *spec)
{
    char key[160];
    static const char *const groupings[] = { "group_by", "cube", "rollup" };
    /* A window alone is a group_by of nothing else: its keys are not written. */
    if (spec->n_keys || spec->grouping != SLUICE_AGG_GROUP_BY) {
        snprintf(key, sizeof key, "%s.%s", st->name, groupings[spec->grouping]);
        json_object_set_new(fp, key, strings(spec->keys, spec->n_keys));
    }
    snprintf(key, sizeof key, "%s.aggregate", st->name);
    json_object_set_new(fp, key, strings(spec->aggs, spec->n_aggs));
    if (spec->window_column) {
        struct sluice_buf text = { 0 };
        json_t *col = normalized(spec->window_column);
        sluice_buf_printf(&text, "%s, ", json_string_value(col));
        json_decref(col);
        sluice_window_describe(&spec->window, &text);
        snprintf(key, sizeof key, "%s.window", st->name);
        json_object_set_new(fp, key, json_string(text.data));
        sluice_buf_free(&text);
    }
    json_t *marks = json_array();
    add_marks(marks, st->input);
    if (json_array_size(marks)) {
        snprintf(key, sizeof key, "%s.watermark", st->name);
        json_object_set_new(fp, key, marks);
    } else {
        json_decref(marks);
    }
}

json_t *sluice_checkpoint_meta_fingerprint(const struct sluice_graph *g, struct sluice_stage *const *sources,
                                           size_t n_sources, struct sluice_stage *const *aggs,
                                           const struct sluice_agg_spec *specs, size_t n_aggs)
{
    json_t *fp = json_object();
    struct sluice_buf text = { 0 };
    for (size_t i = 0; i < n_sources; i++)
        sluice_buf_printf(&text, "%s%s (%s)", i ? ", " : "", sources[i]->name,
                          sources[i]->plugin_name ? sources[i]->plugin_name : "?");
    json_object_set_new(fp, n_sources > 1 ? "sources" : "source", json_string(text.data));
    sluice_buf_free(&text);
    const struct sluice_stage *lead = sluice_stage_lead(sources[0]);
    if (n_aggs) {
        json_t *names = json_array();
        for (size_t i = 0; i < n_aggs; i++) json_array_append_new(names, json_string(aggs[i]->name));
        json_object_set_new(fp, "aggregate stages", names);
        json_object_set_new(fp, "runtime.shuffle_partitions", json_integer(g->runtime.shuffle_partitions));
    }
    for (size_t i = 0; i < n_aggs; i++) add_aggregation(fp, aggs[i], specs ? &specs[i] : &aggs[i]->agg->spec);
    /* drop_duplicates' saved keys are encoded from its columns, a join's
     * buffered rows by its keys and sides. */
    for (size_t k = 0; k < g->n_stages; k++) {
        const struct sluice_stage *st = &g->stages[k];
        if (!st->state_spec || !st->feeds_sink || sluice_stage_lead(st) != lead) continue;
        char key[192];
        snprintf(key, sizeof key, "%s.%s", st->name, st->kind == SLUICE_STAGE_DEDUP ? "drop_duplicates" : "join");
        json_object_set_new(fp, key, json_string(st->state_spec));
    }
    return fp;
}

/* ---- comparing ----------------------------------------------------------- */

static void describe(const json_t *v, struct sluice_buf *out)
{
    if (!v) {
        sluice_buf_puts(out, "none");
        return;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    sluice_buf_puts(out, s ? s : "?");
    free(s);
}

size_t sluice_checkpoint_meta_differences(const json_t *was, const json_t *now, struct sluice_buf *out)
{
    size_t n = 0;
    const char *key;
    const json_t *v;
    for (int pass = 0; pass < 2; pass++) {
        const json_t *side = pass ? now : was, *other = pass ? was : now;
        json_object_foreach((json_t *)side, key, v) {
            const json_t *o = json_object_get(other, key);
            if (pass && o) continue; /* compared in the first pass */
            if (o && json_equal(v, o)) continue;
            sluice_buf_printf(out, "%s%s changed from ", n++ ? "; " : "", key);
            describe(pass ? NULL : v, out);
            sluice_buf_puts(out, " to ");
            describe(pass ? v : o, out);
        }
    }
    return n;
}

static int write_metadata(const char *root, const char *pipeline, json_t *fingerprint, char *id,
                          struct sluice_error *err)
{
    sluice_checkpoint_meta_uuid(id);
    char ts[40];
    sluice_time_format_iso(sluice_now_us(), ts);
    json_t *m = json_pack("{s:i, s:s, s:s, s:s, s:O}", "version", FORMAT_VERSION, "id", id, "pipeline",
                          pipeline ? pipeline : "", "createdAt", ts, "config", fingerprint);
    char *text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(m);
    int rc = sluice_checkpoint_file_write(root, "metadata", "metadata", text, strlen(text), err);
    free(text);
    return rc;
}

int sluice_checkpoint_meta_open(const char *root, const char *pipeline, json_t *fingerprint,
                               const struct sluice_where *where, char id[SLUICE_UUID_LEN + 1], bool *created,
                               struct sluice_error *err)
{
    size_t n = strlen(root) + 16;
    char *path = sluice_xmalloc(n);
    snprintf(path, n, "%s/metadata", root);
    *created = false;
    if (access(path, F_OK) != 0 && errno == ENOENT) {
        free(path);
        *created = true;
        return write_metadata(root, pipeline, fingerprint, id, err);
    }
    struct sluice_buf text = { 0 };
    int rc = sluice_checkpoint_file_read(path, "metadata", &text, err);
    json_t *m = rc ? NULL : json_loadb(text.data, text.len, 0, NULL);
    sluice_buf_free(&text);
    const json_t *version = json_object_get(m, "version"), *qid = json_object_get(m, "id");
    const json_t *was = json_object_get(m, "config");
    if (rc) {
        /* reported */
    } else if (!json_is_integer(version) || !json_is_string(qid) || !json_is_object(was) ||
               strlen(json_string_value(qid)) != SLUICE_UUID_LEN) {
        rc = sluice_error_set(err, SLUICE_EDATA, "checkpoint file '%s' is damaged: it lacks a version, id or config",
                              path);
    } else if (json_integer_value(version) != FORMAT_VERSION) {
        rc = sluice_error_set(err, SLUICE_ECONFIG,
                              "checkpoint '%s' has format version %lld; this sluice reads version %d", root,
                              (long long)json_integer_value(version), FORMAT_VERSION);
    } else {
        struct sluice_buf diff = { 0 };
        if (sluice_checkpoint_meta_differences(was, fingerprint, &diff)) {
            sluice_error_where(err, SLUICE_ECONFIG, where, "checkpoint '%s' belongs to another pipeline: %s", root,
                               diff.data);
            sluice_error_hint(err, "undo the change, or give the changed pipeline a new runtime.checkpoint "
                                   "directory (its saved state cannot be carried over)");
            rc = SLUICE_ECONFIG;
        } else {
            memcpy(id, json_string_value(qid), SLUICE_UUID_LEN + 1);
        }
        sluice_buf_free(&diff);
    }
    json_decref(m);
    free(path);
    return rc;
}
